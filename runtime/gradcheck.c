/* gradcheck.c: compares a generated network's analytic gradient (loss_grad)
 * with finite differences of its loss (loss_fn) in double precision, per
 * parameter tensor, skipping entries whose stencil straddles a kink. The method
 * and its constants are explained in docs/gradcheck.md. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "internal.h"
#include "netrt.h"

#define STEP 1e-4               /* h = STEP * max(1, |p|) */
#define INIT_NOISE 0.1          /* std of the noise added to initialized parameters */
/* Rounding in a loss evaluation, in DBL_EPSILON * |f| (a loss sums many terms). The
 * 4-point stencil turns it into (1 + 8 + 8 + 1) / 12 = 1.5 times that over h: the
 * numeric derivative's noise floor, below which no difference can be resolved. */
#define EVAL_NOISE 16.0
#define FLOOR_REL 1e-6          /* the noise floor counts as this relative error */
#define KINK_REL 0.05           /* relative mismatch of second differences at a kink */
#define KINK_NOISE 1e3          /* rounding floor for that mismatch, in DBL_EPSILON * |f| */

/* One gradient check: the problem (params, batch) and its scratch buffers. */
typedef struct {
    const NetrtModel *m;
    const NetrtGradcheckOptions *o;
    FILE *out;
    int n;                      /* samples */
    double *params, *grad, *x, *t, *y, *y2, *work;
    size_t *pick;               /* entry indices of the tensor being checked */
    uint64_t dropout_seed;
} Check;

typedef struct {
    double analytic, numeric, rel;
    bool kink, ok;
} Entry;

/* Worst result over a tensor, or over the whole network. */
typedef struct {
    size_t checked, kinks, failed;
    double max_rel;
    size_t worst;
    Entry worst_entry;
} Summary;

static void check_free(Check *c)
{
    free(c->params);
    free(c->grad);
    free(c->x);
    free(c->t);
    free(c->y);
    free(c->y2);
    free(c->work);
    free(c->pick);
}

static size_t largest_tensor(const NetrtModel *m)
{
    size_t most = 1;
    for (int i = 0; i < m->num_param_tensors; i++)
        most = m->params[i].size > most ? m->params[i].size : most;
    return most;
}

static int check_alloc(Check *c)
{
    const NetrtModel *m = c->m;
    size_t n = (size_t)c->n;
    c->params = NETRT_MALLOC(m->num_params, sizeof(double));
    c->grad = NETRT_MALLOC(m->num_params, sizeof(double));
    c->x = NETRT_MALLOC(n * m->input_size, sizeof(double));
    c->t = NETRT_MALLOC(n * m->output_size, sizeof(double));
    c->y = NETRT_CALLOC(n * m->output_size, sizeof(double));
    c->y2 = NETRT_CALLOC(n * m->output_size, sizeof(double));
    c->work = NETRT_MALLOC(n * m->work_per_sample, sizeof(double));
    c->pick = NETRT_MALLOC(largest_tensor(m), sizeof(size_t));
    return c->params && c->grad && c->x && c->t && c->y && c->y2 && c->work && c->pick ? 0 : -1;
}

/* Random targets encoded for the loss, one row. */
static void random_target(const NetrtModel *m, NetrtRng *r, double *t)
{
    size_t k = m->output_size, cls = (size_t)netrt_rng_below(r, k);
    for (size_t j = 0; j < k; j++) {
        switch (m->target) {
        case NETRT_TARGET_ONEHOT: t[j] = j == cls; break;
        case NETRT_TARGET_BINARY: t[j] = (double)netrt_rng_below(r, 2); break;
        case NETRT_TARGET_SIGNED: t[j] = netrt_rng_below(r, 2) ? 1.0 : -1.0; break;
        default: t[j] = netrt_rng_normal(r); break;
        }
    }
}

/* Parameters from the generated init plus noise (non-zero biases, kinks away from
 * exact zeros); inputs N(0, 1) or the data's first rows; targets random or the data's. */
static void check_setup(Check *c)
{
    const NetrtModel *m = c->m;
    const NetrtDataset *ds = c->o->data;
    size_t nin = m->input_size, k = m->output_size;
    NetrtRng r;
    netrt_rng_seed(&r, c->o->seed ^ 0x6772616463686b00ULL);
    m->init_params(c->params, c->o->seed);
    for (size_t i = 0; i < m->num_params; i++)
        c->params[i] += INIT_NOISE * netrt_rng_normal(&r);
    for (int s = 0; s < c->n; s++) {
        for (size_t i = 0; i < nin; i++)
            c->x[s * nin + i] = ds ? ds->x[s * nin + i] : netrt_rng_normal(&r);
        if (ds && ds->t)
            for (size_t j = 0; j < k; j++)
                c->t[s * k + j] = ds->t[s * k + j];
        else
            random_target(m, &r, c->t + s * k);
    }
    c->dropout_seed = netrt_rng_next(&r);
}

static double loss_at(Check *c, size_t i, double value)
{
    double saved = c->params[i], f;
    c->params[i] = value;
    f = c->m->loss_fn(NULL, c->params, c->x, c->t, c->n, 1, c->dropout_seed, c->work);
    c->params[i] = saved;
    return f;
}

static double max5(double a, double b, double c, double d, double e)
{
    return fmax(fmax(fmax(fabs(a), fabs(b)), fmax(fabs(c), fabs(d))), fabs(e));
}

/* |a - b| is more than rounding noise and more than KINK_REL of their size. */
static bool mismatch(double a, double b, double noise)
{
    return fabs(a - b) > fmax(KINK_REL * fmax(fabs(a), fabs(b)), noise);
}

/* Numeric derivative of entry i by the 4-point central difference, its kink
 * test, and the comparison with the analytic value. */
static void check_entry(Check *c, size_t i, Entry *e)
{
    double p = c->params[i], h = STEP * fmax(1.0, fabs(p));
    volatile double ph = p + h;     /* make h exactly representable around p */
    h = ph - p;
    double f0 = loss_at(c, i, p), fp1 = loss_at(c, i, p + h), fm1 = loss_at(c, i, p - h);
    double fp2 = loss_at(c, i, p + 2 * h), fm2 = loss_at(c, i, p - 2 * h);
    double fph = loss_at(c, i, p + h / 2), fmh = loss_at(c, i, p - h / 2);
    double noise = KINK_NOISE * DBL_EPSILON * fmax(max5(f0, fp1, fm1, fp2, fm2),
                                                   fmax(fabs(fph), fabs(fmh)));
    e->analytic = c->grad[i];
    e->numeric = (fm2 - 8 * fm1 + 8 * fp1 - fp2) / (12 * h);
    /* Smooth: second differences at h/2, h and 2h grow as 1 : 4 : 16 (up to h^4
     * terms). A kink inside the stencil breaks at least one ratio wherever it lies. */
    double s_half = fph - 2 * f0 + fmh, s1 = fp1 - 2 * f0 + fm1, s2 = fp2 - 2 * f0 + fm2;
    e->kink = mismatch(s1, 4 * s_half, noise) || mismatch(s2, 4 * s1, noise);
    double a = fabs(e->analytic), n = fabs(e->numeric), diff = fabs(e->analytic - e->numeric);
    /* relative to the larger of the two values, but never to less than the size
     * at which the noise floor is 1e-6 of it: below that, differences are noise */
    double noise_floor = 1.5 * EVAL_NOISE * DBL_EPSILON * fmax(max5(f0, fp1, fm1, fp2, fm2), 1.0) / h;
    e->rel = diff / fmax(fmax(a, n), noise_floor / FLOOR_REL);
    e->ok = e->kink || (isfinite(e->rel) && e->rel <= c->o->tolerance);
}

/* Chooses which entries of a tensor to check: all, or a seeded random subset. */
static size_t pick_entries(Check *c, int tensor, size_t size)
{
    size_t want = (size_t)c->o->max_entries;
    NetrtRng r;
    for (size_t i = 0; i < size; i++)
        c->pick[i] = i;
    if (want == 0 || size <= want)
        return size;
    netrt_rng_seed(&r, c->o->seed * 1000003u + (uint64_t)tensor);
    for (size_t i = 0; i < want; i++) {     /* partial Fisher-Yates */
        size_t j = i + (size_t)netrt_rng_below(&r, size - i), tmp = c->pick[i];
        c->pick[i] = c->pick[j];
        c->pick[j] = tmp;
    }
    for (size_t i = 1; i < want; i++) {     /* ascending, for readable output */
        size_t v = c->pick[i], j = i;
        for (; j > 0 && c->pick[j - 1] > v; j--)
            c->pick[j] = c->pick[j - 1];
        c->pick[j] = v;
    }
    return want;
}

/* a is a worse relative error than b (NaN is the worst). */
static bool worse(double a, double b)
{
    return (isnan(a) && !isnan(b)) || a > b;
}

static void note_entry(Summary *s, size_t i, const Entry *e)
{
    s->checked++;
    s->kinks += e->kink;
    s->failed += !e->ok;
    if (!e->kink && (s->checked - s->kinks == 1 || worse(e->rel, s->max_rel))) {
        s->max_rel = e->rel;
        s->worst = i;
        s->worst_entry = *e;
    }
}

static void check_tensor(Check *c, int tensor, Summary *total)
{
    const NetrtParamInfo *pi = &c->m->params[tensor];
    Summary s = { 0 };
    char where[48];
    size_t count = pick_entries(c, tensor, pi->size);
    for (size_t k = 0; k < count; k++) {
        Entry e;
        check_entry(c, pi->offset + c->pick[k], &e);
        note_entry(&s, c->pick[k], &e);
        if (c->o->verbose) {
            netrt_entry_name(where, sizeof where, pi, c->pick[k]);
            fprintf(c->out, "    %s%s analytic %.12g numeric %.12g rel %.2g%s\n", pi->name,
                    where, e.analytic, e.numeric, e.rel,
                    e.kink ? " (at a kink: skipped)" : e.ok ? "" : "  FAIL");
        }
    }
    fprintf(c->out, "  %-12s %zu/%zu checked, %zu at kinks skipped", pi->name, s.checked,
            pi->size, s.kinks);
    if (s.checked > s.kinks) {
        netrt_entry_name(where, sizeof where, pi, s.worst);
        fprintf(c->out, ", max rel error %.2g at %s (analytic %.10g, numeric %.10g)", s.max_rel,
                where, s.worst_entry.analytic, s.worst_entry.numeric);
    }
    fprintf(c->out, "%s\n", s.failed ? "  FAIL" : "");
    if (s.checked > s.kinks && (total->checked == total->kinks || worse(s.max_rel, total->max_rel)))
        total->max_rel = s.max_rel;
    total->checked += s.checked;
    total->kinks += s.kinks;
    total->failed += s.failed;
}

static bool near(double a, double b)
{
    return fabs(a - b) <= 1e-12 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* The generated functions must agree with each other before differences mean
 * anything: loss_grad's loss equals loss_fn's with the same dropout masks, and
 * forward equals loss_fn's outputs without dropout. */
static int check_consistency(Check *c)
{
    const NetrtModel *m = c->m;
    size_t ny = (size_t)c->n * m->output_size;
    int bad = 0;
    double lg = m->loss_grad(c->grad, c->params, c->x, c->t, c->n, c->dropout_seed, c->work);
    double lf = m->loss_fn(NULL, c->params, c->x, c->t, c->n, 1, c->dropout_seed, c->work);
    if (!isfinite(lg) || !near(lg, lf)) {
        fprintf(c->out, "gradcheck: loss_grad returned loss %.17g but loss_fn (train, same "
                "dropout seed) returned %.17g\n", lg, lf);
        bad = 1;
    }
    m->loss_fn(c->y, c->params, c->x, c->t, c->n, 0, 0, c->work);
    m->forward(c->y2, c->params, c->x, c->n, c->work);
    for (size_t i = 0; i < ny && !bad; i++) {
        if (!near(c->y[i], c->y2[i])) {
            fprintf(c->out, "gradcheck: forward output %zu is %.17g but loss_fn's is %.17g\n",
                    i, c->y2[i], c->y[i]);
            bad = 1;
        }
    }
    return bad;
}

static int check_run(Check *c)
{
    const NetrtModel *m = c->m;
    const NetrtGradcheckOptions *o = c->o;
    Summary total = { 0 };
    check_setup(c);
    fprintf(c->out, "gradcheck: network '%s' (%s), %d samples%s, seed %llu, %s\n", m->name,
            m->spec_path ? m->spec_path : "?", c->n, o->data ? " from the data" : "", o->seed,
            o->max_entries ? "sampled entries" : "all entries");
    int bad = check_consistency(c);
    for (int i = 0; i < m->num_param_tensors; i++)
        check_tensor(c, i, &total);
    if (bad || total.failed) {
        fprintf(c->out, "gradcheck: FAIL (max rel error %.2g, tolerance %g; %zu of %zu entries "
                "over tolerance%s)\n", total.max_rel, o->tolerance, total.failed, total.checked,
                bad ? ", and the functions disagree" : "");
        return 1;
    }
    fprintf(c->out, "gradcheck: PASS (max rel error %.2g, tolerance %g)\n", total.max_rel,
            o->tolerance);
    return 0;
}

int netrt_gradcheck(const NetrtModel *m, const NetrtGradcheckOptions *o, FILE *out)
{
    Check c = { .m = m, .o = o, .out = out, .n = o->samples > 0 ? o->samples : 1 };
    int rc = 1;
    if (m->real_size != 8) {
        netrt_error(NULL, "gradcheck needs a network built in double precision; '%s' uses "
                    "float, where rounding swamps the differences", m->name);
        netrt_hint("rebuild the spec in double precision for checking (docs/gradcheck.md)");
        return 1;
    }
    if (o->data) {
        if ((size_t)o->data->num_features != m->input_size || o->data->rows <= 0) {
            netrt_error(o->data->path, "data set does not fit network '%s'", m->name);
            return 1;
        }
        c.n = c.n < o->data->rows ? c.n : o->data->rows;
    }
    if (check_alloc(&c) == 0)
        rc = check_run(&c);
    check_free(&c);
    return rc;
}
