/* cli.c: netrt_main, the command line of a generated trainer program
 * (`NAME train|predict|eval|gradcheck|grad ...`). `netc train SPEC ...` builds
 * such a program and runs it. Exit status: 0 ok, 1 bad input or failed check,
 * 2 usage error. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "netrt.h"

#define EXIT_INPUT 1
#define EXIT_USAGE 2
#define PREDICT_BATCH 256

typedef enum { OPT_STR, OPT_INT, OPT_U64, OPT_REAL, OPT_FLAG } OptKind;

/* One accepted option of a subcommand; dst points into the Args below. */
typedef struct {
    const char *name;
    OptKind kind;
    void *dst;
    int flag_value;             /* OPT_FLAG: the value stored when the flag is given */
} Opt;

/* Everything a subcommand may be given. */
typedef struct {
    const char *data, *test, *out, *init, *weights, *scale;
    int epochs, batch, quiet, progress, samples, entries, all, verbose;
    double lr, momentum, tolerance;
    unsigned long long seed, dropout_seed;
} Args;

/* What a command loaded; released in one place whatever path it took. */
typedef struct {
    NetrtDataset data, test;
    NetrtScaler scale;
    void *params;
} Session;

static void session_free(Session *s)
{
    netrt_dataset_free(&s->data);
    netrt_dataset_free(&s->test);
    netrt_scaler_free(&s->scale);
    free(s->params);
}

static const NetrtModel *g_model;   /* for messages only */
static const char *g_sub;

static int usage_error(const char *fmt, ...) NETRT_PRINTF(1, 2);

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    if (g_sub)
        fprintf(stderr, "%s %s: error: ", g_model->name, g_sub);
    else
        fprintf(stderr, "%s: error: ", g_model->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (g_sub)
        fprintf(stderr, "\ntry '%s %s --help'\n", g_model->name, g_sub);
    else
        fprintf(stderr, "\ntry '%s --help'\n", g_model->name);
    return EXIT_USAGE;
}

/* Parses text into opt's destination; the whole text must be a valid value. */
static int parse_value(const Opt *opt, const char *text)
{
    char *end;
    errno = 0;
    if (opt->kind == OPT_STR) {
        *(const char **)opt->dst = text;
        return 0;
    }
    if (opt->kind == OPT_REAL) {
        double v = strtod(text, &end);
        if (end == text || *end || errno || !isfinite(v))
            return usage_error("--%s expects a number, found '%s'", opt->name, text);
        *(double *)opt->dst = v;
        return 0;
    }
    if (text[0] == '-' || text[0] == '+' || text[0] == ' ')
        return usage_error("--%s expects a whole number >= 0, found '%s'", opt->name, text);
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end || errno || (opt->kind == OPT_INT && v > 1000000000ULL))
        return usage_error("--%s expects a whole number%s, found '%s'", opt->name,
                           opt->kind == OPT_INT ? " up to 1e9" : "", text);
    if (opt->kind == OPT_INT)
        *(int *)opt->dst = (int)v;
    else
        *(unsigned long long *)opt->dst = v;
    return 0;
}

/* Matches argv against opts (`--name value` or `--name=value`). */
static int parse_options(const Opt *opts, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *eq;
        const Opt *o = NULL;
        if (strncmp(arg, "--", 2) != 0)
            return usage_error("unexpected argument '%s'", arg);
        eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        for (const Opt *p = opts; p->name && !o; p++)
            if (strlen(p->name) == len && strncmp(arg + 2, p->name, len) == 0)
                o = p;
        if (!o)
            return usage_error("unknown option '%.*s'", (int)len + 2, arg);
        if (o->kind == OPT_FLAG) {
            if (eq)
                return usage_error("--%s takes no value", o->name);
            *(int *)o->dst = o->flag_value;
            continue;
        }
        if (!eq && i + 1 >= argc)
            return usage_error("--%s needs a value", o->name);
        if (parse_value(o, eq ? eq + 1 : argv[++i]))
            return EXIT_USAGE;
    }
    return 0;
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

static int require(const char *value, const char *option)
{
    return value ? 0 : usage_error("%s is required", option);
}

/* ---- shared steps ---- */

static int alloc_params(Session *s, const NetrtModel *m)
{
    s->params = NETRT_CALLOC(m->num_params, (size_t)m->real_size);
    return s->params ? 0 : -1;
}

/* Loads weights (with their input scaling) from a.weights. */
static int load_weights(Session *s, const NetrtModel *m, const char *path)
{
    if (alloc_params(s, m))
        return -1;
    return netrt_weights_load_scaled(m, s->params, &s->scale, path);
}

static void print_predictions(const NetrtModel *m, const void *y, int n)
{
    size_t k = m->output_size;
    bool cls = m->classification && (m->target == NETRT_TARGET_ONEHOT || k == 1);
    for (int i = 0; i < n; i++) {
        size_t best = 0;
        for (size_t j = 0; j < k; j++) {
            double v = netrt_get(m, y, (size_t)i * k + j);
            printf("%s%.9g", j ? "," : "", v);
            if (v > netrt_get(m, y, (size_t)i * k + best))
                best = j;
        }
        if (cls && m->target == NETRT_TARGET_ONEHOT)
            printf(",%zu", best);
        else if (cls)
            printf(",%d", netrt_get(m, y, (size_t)i * k) >=
                              (m->target == NETRT_TARGET_SIGNED ? 0.0 : 0.5));
        putchar('\n');
    }
}

/* Copies rows [start, start+n) of the float data into the real-typed x. */
static void load_inputs(const NetrtModel *m, void *x, const NetrtDataset *ds, int start, int n)
{
    size_t nin = m->input_size;
    for (size_t i = 0; i < (size_t)n * nin; i++)
        netrt_set(m, x, i, ds->x[(size_t)start * nin + i]);
}

/* ---- subcommands ---- */

static const char *const train_help =
    "usage: %s train --data TRAIN.csv [--test TEST.csv] [--out WEIGHTS] [--init WEIGHTS]\n"
    "             [--epochs N] [--lr X] [--momentum X] [--batch N] [--seed N]\n"
    "             [--scale none|standard] [--quiet] [--progress|--no-progress]\n"
    "Trains from the seed's initialization (or --init), prints the final `train:` and\n"
    "`test:` lines, and saves the weights (with the input scaling) to --out.\n"
    "Progress goes to stderr: a live line on a terminal, else every epochs/20 epochs.\n";

static int train_command(const NetrtModel *m, Session *s, const Args *a)
{
    NetrtTrainOptions o;
    NetrtScale kind;
    NetrtMetrics mt;
    netrt_train_options_default(&o, m);
    o.lr = isnan(a->lr) ? o.lr : a->lr;
    o.momentum = isnan(a->momentum) ? o.momentum : a->momentum;
    o.batch = a->batch > 0 ? a->batch : o.batch;
    o.epochs = a->epochs > 0 ? a->epochs : o.epochs;
    o.seed = a->seed != ~0ULL ? a->seed : o.seed;
    o.quiet = a->quiet;
    o.progress = a->progress;
    if (netrt_scale_parse(a->scale ? a->scale : m->train.scale, &kind))
        return usage_error("--scale expects 'none' or 'standard', found '%s'", a->scale);
    if (netrt_dataset_load_csv(&s->data, m, a->data) ||
        (a->test && netrt_dataset_load_csv(&s->test, m, a->test)))
        return EXIT_INPUT;
    if (a->init) {
        if (load_weights(s, m, a->init))
            return EXIT_INPUT;
    } else {
        if (alloc_params(s, m))
            return EXIT_INPUT;
        m->init_params(s->params, o.seed);
    }
    /* Weights from --init keep the scaling they were trained with. */
    if (s->scale.kind == NETRT_SCALE_NONE && netrt_scaler_fit(&s->scale, kind, &s->data))
        return EXIT_INPUT;
    netrt_scaler_apply(&s->scale, &s->data);
    netrt_scaler_apply(&s->scale, &s->test);
    if (netrt_train(m, s->params, &s->data, a->test ? &s->test : NULL, &o))
        return EXIT_INPUT;
    netrt_evaluate(m, s->params, &s->data, &mt);
    netrt_print_metrics(stdout, m, "train", &mt);
    if (a->test) {
        netrt_evaluate(m, s->params, &s->test, &mt);
        netrt_print_metrics(stdout, m, "test", &mt);
    }
    if (a->out) {
        if (netrt_weights_save_scaled(m, s->params, &s->scale, a->out))
            return EXIT_INPUT;
        printf("saved weights to %s\n", a->out);
    }
    return 0;
}

static const char *const predict_help =
    "usage: %s predict --weights W --data X.csv\n"
    "Prints the outputs for every row of X.csv (targets optional) as CSV:\n"
    "output_0,...,output_K-1 and, for classifiers, the predicted class.\n";

static int predict_command(const NetrtModel *m, Session *s, const Args *a)
{
    size_t rs = (size_t)m->real_size, nb = PREDICT_BATCH;
    void *x, *y, *work;
    if (load_weights(s, m, a->weights) || netrt_dataset_load_csv_inputs(&s->data, m, a->data))
        return EXIT_INPUT;
    netrt_scaler_apply(&s->scale, &s->data);
    x = NETRT_MALLOC(nb * m->input_size, rs);
    y = NETRT_MALLOC(nb * m->output_size, rs);
    work = NETRT_MALLOC(nb * m->work_per_sample, rs);
    if (x && y && work) {
        bool cls = m->classification && (m->target == NETRT_TARGET_ONEHOT || m->output_size == 1);
        for (size_t j = 0; j < m->output_size; j++)
            printf("%soutput_%zu", j ? "," : "", j);
        printf("%s\n", cls ? ",class" : "");
        for (int start = 0; start < s->data.rows; start += (int)nb) {
            int n = s->data.rows - start < (int)nb ? s->data.rows - start : (int)nb;
            load_inputs(m, x, &s->data, start, n);
            m->forward(y, s->params, x, n, work);
            print_predictions(m, y, n);
        }
    }
    free(x);
    free(y);
    free(work);
    return x && y && work ? 0 : EXIT_INPUT;
}

static const char *const eval_help =
    "usage: %s eval --weights W --data X.csv\n"
    "Prints `eval: loss L accuracy A%%` (classifiers) or `eval: loss L mse M r2 R`.\n";

static int eval_command(const NetrtModel *m, Session *s, const Args *a)
{
    NetrtMetrics mt;
    if (load_weights(s, m, a->weights) || netrt_dataset_load_csv(&s->data, m, a->data))
        return EXIT_INPUT;
    netrt_scaler_apply(&s->scale, &s->data);
    netrt_evaluate(m, s->params, &s->data, &mt);
    netrt_print_metrics(stdout, m, "eval", &mt);
    return 0;
}

static const char *const gradcheck_help =
    "usage: %s gradcheck [--seed N] [--samples N] [--entries N] [--all] [--tolerance X]\n"
    "                 [--data F] [--verbose]\n"
    "Compares the analytic gradient with 4-point central differences in double\n"
    "precision (defaults: seed 1, 4 samples, 64 entries per tensor, tolerance 1e-6).\n"
    "Entries at kinks are reported and skipped. Exit 1 on failure (docs/gradcheck.md).\n";

static int gradcheck_command(const NetrtModel *m, Session *s, const Args *a)
{
    NetrtGradcheckOptions o = {
        .seed = a->seed != ~0ULL ? a->seed : 1, .samples = a->samples > 0 ? a->samples : 4,
        .max_entries = a->all ? 0 : a->entries >= 0 ? a->entries : 64,
        .tolerance = isnan(a->tolerance) ? 1e-6 : a->tolerance, .verbose = a->verbose,
    };
    NetrtScale kind;
    if (a->data) {
        if (netrt_dataset_load_csv_inputs(&s->data, m, a->data))
            return EXIT_INPUT;
        if (netrt_scale_parse(m->train.scale, &kind) == 0 &&
            netrt_scaler_fit(&s->scale, kind, &s->data) == 0)
            netrt_scaler_apply(&s->scale, &s->data);
        o.data = &s->data;
    }
    return netrt_gradcheck(m, &o, stdout) ? EXIT_INPUT : 0;
}

static const char *const grad_help =
    "usage: %s grad --weights W --data X.csv [--dropout-seed N]\n"
    "Runs the whole file as one batch and prints, at full precision, `loss L`, then\n"
    "`grad I G` for every parameter and `output R J Y` for every output (no dropout).\n"
    "Inputs are read as doubles, not rounded to float (for cross-checks).\n";

/* Copies full-precision values into the model's real type. */
static void *to_reals(const NetrtModel *m, const double *v, size_t n)
{
    void *r = NETRT_MALLOC(n ? n : 1, (size_t)m->real_size);
    for (size_t i = 0; r && i < n; i++)
        netrt_set(m, r, i, v[i]);
    return r;
}

static int grad_command(const NetrtModel *m, Session *s, const Args *a)
{
    size_t n, rs = (size_t)m->real_size;
    void *x = NULL, *t = NULL, *y = NULL, *g = NULL, *work = NULL;
    if (load_weights(s, m, a->weights) || netrt_dataset_load_csv_exact(&s->data, m, a->data))
        return EXIT_INPUT;
    if (!s->data.t64) {
        netrt_error(a->data, "grad needs target columns after the %zu feature columns",
                    m->input_size);
        return EXIT_INPUT;
    }
    netrt_scaler_apply(&s->scale, &s->data);
    n = (size_t)s->data.rows;
    x = to_reals(m, s->data.x64, n * m->input_size);
    t = to_reals(m, s->data.t64, n * m->output_size);
    y = NETRT_MALLOC(n * m->output_size, rs);
    g = NETRT_MALLOC(m->num_params, rs);
    work = NETRT_MALLOC(n * m->work_per_sample + 1, rs);
    int ok = x && t && y && g && work;
    if (ok) {
        double loss = m->loss_grad(g, s->params, x, t, (int)n, a->dropout_seed, work);
        printf("loss %.17g\n", loss);
        for (size_t i = 0; i < m->num_params; i++)
            printf("grad %zu %.17g\n", i, netrt_get(m, g, i));
        m->forward(y, s->params, x, (int)n, work);
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < m->output_size; j++)
                printf("output %zu %zu %.17g\n", r, j, netrt_get(m, y, r * m->output_size + j));
    }
    free(x);
    free(t);
    free(y);
    free(g);
    free(work);
    return ok ? 0 : EXIT_INPUT;
}

/* ---- dispatch ---- */

typedef int (*CommandFn)(const NetrtModel *m, Session *s, const Args *a);

typedef struct {
    const char *name;
    CommandFn run;
    const char *help;
} Command;

static const Command commands[] = {
    { "train", train_command, train_help },
    { "predict", predict_command, predict_help },
    { "eval", eval_command, eval_help },
    { "gradcheck", gradcheck_command, gradcheck_help },
    { "grad", grad_command, grad_help },
};

static void print_usage(FILE *f, const NetrtModel *m)
{
    fprintf(f, "usage: %s SUBCOMMAND [OPTIONS]   (network '%s' from %s)\n"
            "  train      train on a CSV data set and save the weights\n"
            "  predict    print the outputs for each row of a CSV file\n"
            "  eval       print loss and accuracy (or mse and r2) on a CSV file\n"
            "  gradcheck  check the gradient against finite differences\n"
            "  grad       print loss, gradient and outputs at full precision\n"
            "'%s SUBCOMMAND --help' describes each; '%s --version' prints the version.\n",
            m->name, m->name, m->spec_path ? m->spec_path : "?", m->name, m->name);
}

/* The options each subcommand accepts. */
static void options_for(const char *sub, Args *a, Opt *opts)
{
    const Opt all[] = {
        { "data", OPT_STR, &a->data, 0 }, { "weights", OPT_STR, &a->weights, 0 },
        { "test", OPT_STR, &a->test, 0 }, { "out", OPT_STR, &a->out, 0 },
        { "init", OPT_STR, &a->init, 0 }, { "epochs", OPT_INT, &a->epochs, 0 },
        { "lr", OPT_REAL, &a->lr, 0 }, { "momentum", OPT_REAL, &a->momentum, 0 },
        { "batch", OPT_INT, &a->batch, 0 }, { "seed", OPT_U64, &a->seed, 0 },
        { "scale", OPT_STR, &a->scale, 0 }, { "quiet", OPT_FLAG, &a->quiet, 1 },
        { "progress", OPT_FLAG, &a->progress, 1 }, { "no-progress", OPT_FLAG, &a->progress, 0 },
        { "samples", OPT_INT, &a->samples, 0 }, { "entries", OPT_INT, &a->entries, 0 },
        { "all", OPT_FLAG, &a->all, 1 }, { "tolerance", OPT_REAL, &a->tolerance, 0 },
        { "verbose", OPT_FLAG, &a->verbose, 1 },
        { "dropout-seed", OPT_U64, &a->dropout_seed, 0 },
    };
    static const char *const allowed[][15] = {
        { "train", "data", "test", "out", "init", "epochs", "lr", "momentum", "batch", "seed",
          "scale", "quiet", "progress", "no-progress", NULL },
        { "predict", "weights", "data", NULL },
        { "eval", "weights", "data", NULL },
        { "gradcheck", "seed", "samples", "entries", "all", "tolerance", "data", "verbose",
          NULL },
        { "grad", "weights", "data", "dropout-seed", NULL },
    };
    int n = 0;
    for (size_t c = 0; c < sizeof allowed / sizeof allowed[0]; c++) {
        if (strcmp(allowed[c][0], sub) != 0)
            continue;
        for (int k = 1; allowed[c][k]; k++)
            for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                if (strcmp(all[i].name, allowed[c][k]) == 0)
                    opts[n++] = all[i];
    }
    opts[n].name = NULL;
}

/* Range checks the parser cannot do by type alone. */
static int check_args(const char *sub, const Args *a)
{
    if (!isnan(a->momentum) && (a->momentum < 0 || a->momentum >= 1))
        return usage_error("--momentum must be in [0, 1), found %g", a->momentum);
    if (!isnan(a->lr) && a->lr <= 0)
        return usage_error("--lr must be > 0, found %g", a->lr);
    if (!isnan(a->tolerance) && a->tolerance <= 0)
        return usage_error("--tolerance must be > 0, found %g", a->tolerance);
    if (a->epochs == 0 || a->batch == 0 || a->samples == 0)
        return usage_error("--epochs, --batch and --samples must be at least 1");
    if (strcmp(sub, "train") == 0 || strcmp(sub, "gradcheck") == 0)
        return strcmp(sub, "train") == 0 ? require(a->data, "--data") : 0;
    return require(a->weights, "--weights") || require(a->data, "--data") ? EXIT_USAGE : 0;
}

static int run_command(const NetrtModel *m, const Command *c, int argc, char **argv)
{
    Args a = { .epochs = -1, .batch = -1, .progress = -1, .samples = -1, .entries = -1,
               .lr = NAN, .momentum = NAN, .tolerance = NAN, .seed = ~0ULL };
    Opt opts[24];
    Session s;
    int rc;
    if (wants_help(argc, argv)) {
        printf(c->help, m->name);
        return 0;
    }
    options_for(c->name, &a, opts);
    rc = parse_options(opts, argc, argv);
    if (rc == 0)
        rc = check_args(c->name, &a);
    if (rc)
        return rc;
    memset(&s, 0, sizeof s);
    rc = c->run(m, &s, &a);
    session_free(&s);
    return rc;
}

int netrt_main(const NetrtModel *m, int argc, char **argv)
{
    g_model = m;
    g_sub = NULL;
    if (m->real_size != 4 && m->real_size != 8) {
        netrt_error(NULL, "network '%s' has real size %d (expected 4 or 8)", m->name,
                    m->real_size);
        return EXIT_INPUT;
    }
    if (argc < 2) {
        print_usage(stderr, m);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_usage(stdout, m);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("%s: trainer for network '%s' (%s), netrt %s\n", m->name, m->name,
               m->spec_path ? m->spec_path : "?", NETRT_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            g_sub = commands[i].name;
            int rc = run_command(m, &commands[i], argc - 2, argv + 2);
            fflush(stdout);
            return rc;
        }
    }
    return usage_error("unknown subcommand '%s' (train, predict, eval, gradcheck, grad)",
                       argv[1]);
}
