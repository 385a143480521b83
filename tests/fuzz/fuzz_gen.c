/* fuzz_gen.c: structure-aware libFuzzer target. The input bytes are choices
 * that build a spec out of the language's pieces (precision, formula
 * activations and losses, input, dense layers with every activation, options
 * and `from`, dropout, features with concat, slices and broadcasts, a loss,
 * regularizers, a train block), so most inputs pass the checker and reach
 * lowering, autodiff and every emitter, which byte-level mutation of specs
 * rarely does. The spec text then runs as in fuzz_spec.c.
 *
 * NETC_FUZZ_SAVE=DIR: also write every accepted spec to DIR/NNNNNN.net (the
 * corpus of tests/fuzz/corpus/ was collected this way). */
#include "fuzz_common.h"

#include <stdarg.h>

typedef struct {
    const uint8_t *p;
    size_t n;
    char text[8192];
    size_t len;
    /* values defined so far: name and size */
    char names[32][16];
    int sizes[32];
    int nvals;
    int nacts;          /* user activations act0.. */
} Gen;

/* The next choice in [0, k). Past the end of the input every choice is 0. */
static unsigned pick(Gen *g, unsigned k)
{
    if (g->n == 0 || k == 0)
        return 0;
    g->n--;
    return *g->p++ % k;
}

static void put(Gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(g->text + g->len, sizeof g->text - g->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        g->len += (size_t)n < sizeof g->text - g->len ? (size_t)n : sizeof g->text - g->len - 1;
}

static const char *const acts[] = {
    "linear", "step", "sigmoid", "tanh", "relu", "leaky_relu(0.1)", "elu(0.5)", "softplus",
    "maxout(2)", "maxout(3)", "softmax", "leaky_relu", "elu"
};
static const char *const unary_fns[] = { "exp", "log", "sqrt", "abs", "tanh", "sigmoid",
                                         "softplus" };

/* A scalar formula over the variables vars[0..nv) and constants. */
static void formula(Gen *g, const char *const *vars, int nv, int depth)
{
    unsigned k = pick(g, depth > 3 ? 3 : 10);
    switch (k) {
    case 0: put(g, "%s", vars[pick(g, (unsigned)nv)]); break;
    case 1: put(g, "%s", vars[0]); break;
    case 2: put(g, "%g", (double)pick(g, 9) * 0.5 - 1.0); break;
    case 3: case 4: case 5: {
        static const char *const ops[] = { " + ", " - ", " * ", " / ", " < ", " >= ", " == " };
        put(g, "(");
        formula(g, vars, nv, depth + 1);
        put(g, "%s", ops[pick(g, 7)]);
        formula(g, vars, nv, depth + 1);
        put(g, ")");
        break;
    }
    case 6:
        put(g, "%s(", unary_fns[pick(g, 7)]);
        formula(g, vars, nv, depth + 1);
        put(g, ")");
        break;
    case 7:
        put(g, "%s(", pick(g, 2) ? "min" : "max");
        formula(g, vars, nv, depth + 1);
        put(g, ", ");
        formula(g, vars, nv, depth + 1);
        put(g, ")");
        break;
    case 8:
        put(g, "where(");
        formula(g, vars, nv, depth + 1);
        put(g, " > 0, ");
        formula(g, vars, nv, depth + 1);
        put(g, ", ");
        formula(g, vars, nv, depth + 1);
        put(g, ")");
        break;
    default:
        put(g, "(");
        formula(g, vars, nv, depth + 1);
        put(g, ")^%u", 1 + pick(g, 3));
        break;
    }
}

static void add_val(Gen *g, const char *name, int size)
{
    if (g->nvals < 32) {
        snprintf(g->names[g->nvals], sizeof g->names[0], "%s", name);
        g->sizes[g->nvals++] = size;
    }
}

/* A feature: a vector value of the network combined with scalars from it. */
static void feature(Gen *g, int idx)
{
    char name[16];
    snprintf(name, sizeof name, "f%d", idx);
    int a = (int)pick(g, (unsigned)g->nvals), b = (int)pick(g, (unsigned)g->nvals);
    int sa = g->sizes[a], sb = g->sizes[b];
    put(g, "feature %s = ", name);
    switch (pick(g, 4)) {
    case 0:
        put(g, "concat(%s, %s)\n", g->names[a], g->names[b]);
        add_val(g, name, sa + sb);
        return;
    case 1: {
        int lo = (int)pick(g, (unsigned)sa), hi = lo + 1 + (int)pick(g, (unsigned)(sa - lo));
        put(g, "%s[%d:%d] * sigmoid(%s[%d])\n", g->names[a], lo, hi, g->names[b],
            (int)pick(g, (unsigned)sb));
        add_val(g, name, hi - lo);
        return;
    }
    case 2: {
        const char *vars[1] = { g->names[a] };
        formula(g, vars, 1, 1);
        put(g, "\n");
        add_val(g, name, sa);
        return;
    }
    default:
        put(g, "concat(%s, %s[%d] * %s[%d])\n", g->names[a], g->names[a],
            (int)pick(g, (unsigned)sa), g->names[b], (int)pick(g, (unsigned)sb));
        add_val(g, name, sa + 1);
        return;
    }
}

static void layer(Gen *g, int idx, bool last, int *units_out, const char **act_out)
{
    static const int sizes[] = { 1, 2, 3, 4, 5, 8, 10, 16, 33, 70, 130 };
    char name[16];
    snprintf(name, sizeof name, "h%d", idx);
    int units = sizes[pick(g, 11)];
    const char *act;
    static char custom[16];     /* outlives the call: *act_out may point here */
    if (g->nacts && pick(g, 4) == 0) {
        snprintf(custom, sizeof custom, "act%u", pick(g, (unsigned)g->nacts));
        act = custom;
    } else {
        act = acts[pick(g, 13)];
    }
    if (strncmp(act, "maxout", 6) == 0 && pick(g, 2))
        act = "relu";
    if (strcmp(act, "softmax") == 0 && (!last || units < 2))
        act = "tanh";
    put(g, "dense %s[%d] %s", name, units, act);
    if (pick(g, 4) == 0)
        put(g, " nobias");
    if (pick(g, 4) == 0) {
        static const char *const inits[] = { "he", "xavier", "zeros", "uniform(-0.5, 0.5)" };
        put(g, " init=%s", inits[pick(g, 4)]);
    }
    if (g->nvals > 1 && pick(g, 3) == 0)
        put(g, " from %s", g->names[g->nvals - 1 - (int)pick(g, 2)]);
    put(g, "\n");
    int out = units;
    if (strcmp(act, "maxout(2)") == 0)
        out = units;
    if (!last && pick(g, 5) == 0)
        put(g, "dropout 0.%u\n", 1 + pick(g, 8));
    add_val(g, name, out);
    *units_out = units;
    *act_out = act;
}

static void loss(Gen *g, int units, const char *act)
{
    if (pick(g, 6) == 0) {
        const char *vars[2] = { "y", "t" };
        put(g, "loss lf(y, t; d = 1.5) = ");
        formula(g, vars, 2, 1);
        put(g, "%s\n", pick(g, 2) ? " sum" : "");
        return;
    }
    if (strcmp(act, "sigmoid") == 0 && pick(g, 2))
        put(g, "loss bce\n");
    else if (strcmp(act, "softmax") == 0)
        put(g, "loss cross_entropy\n");
    else
        put(g, "loss %s\n", (const char *const[]){ "mse", "mae", "hinge" }[pick(g, 3)]);
    (void)units;
}

static void train_block(Gen *g)
{
    static const char *const items[] = {
        "optimizer adam lr=0.01", "optimizer sgd lr=0.1 momentum=0.9", "optimizer lbfgs",
        "optimizer rmsprop", "batch 8", "epochs 3", "seed 7", "scale standard", "scale minmax",
        "schedule cosine", "clip 1.0", "patience 2", "validation 0.2", "optimizer adamw"
    };
    put(g, "train\n");
    for (unsigned k = pick(g, 4); k > 0; k--)
        put(g, "  %s\n", items[pick(g, 14)]);
    put(g, "end\n");
}

static void generate(Gen *g)
{
    if (pick(g, 2))
        put(g, "network %s\n", (const char *const[]){ "g", "main", "work", "n_x" }[pick(g, 4)]);
    if (pick(g, 2))
        put(g, "precision %s\n", pick(g, 2) ? "double" : "float");
    for (unsigned k = pick(g, 3); k > 0; k--) {
        const char *vars[2] = { "z", "a" };
        put(g, "activation act%d(z; a = 0.5) = ", g->nacts++);
        formula(g, vars, 2, 1);
        put(g, "\n");
    }
    static const int in_sizes[] = { 1, 2, 3, 4, 7, 16, 300 };
    int in = in_sizes[pick(g, 7)];
    put(g, "input x[%d]\n", in);
    add_val(g, "x", in);
    if (pick(g, 6) == 0)
        put(g, "dropout 0.2\n");
    int nlayers = 1 + (int)pick(g, 4), units = 1, nf = 0;
    const char *act = "linear";
    for (int i = 0; i < nlayers; i++) {
        if (pick(g, 3) == 0)
            feature(g, nf++);
        layer(g, i, i == nlayers - 1, &units, &act);
    }
    loss(g, units, act);
    if (pick(g, 3) == 0)
        put(g, "regularize l2 1e-4\n");
    if (pick(g, 4) == 0)
        put(g, "regularize l1 1e-5\n");
    if (pick(g, 2))
        train_block(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static Gen g;
    memset(&g, 0, sizeof g);
    g.p = data;
    g.n = size;
    generate(&g);
    if (run_spec(g.text, g.len)) {
        static unsigned saved;
        const char *dir = getenv("NETC_FUZZ_SAVE");
        if (dir && *dir) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%06u.net", dir, saved++);
            FILE *f = fopen(path, "w");
            if (f) {
                fwrite(g.text, 1, g.len, f);
                fclose(f);
            }
        }
    }
    return 0;
}
