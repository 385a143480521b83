/* train.c: the training loop (shuffle, mini-batch, loss_grad, optimizer step;
 * or full-batch L-BFGS), evaluation over whole data sets, early stopping,
 * per-epoch reporting (lines or a live progress bar, CSV log, SVG plot) and
 * checkpoints. Every buffer is allocated before the first step. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checked.h"
#include "internal.h"
#include "netrt.h"

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

#define EVAL_BATCH 256
#define LBFGS_CHUNK 1024        /* rows per loss_grad call in a full-batch evaluation */
#define LIVE_INTERVAL 0.1       /* seconds between progress-bar redraws */
#define BAR_WIDTH 24

/* Real-typed buffers for up to cap samples (y may be absent). */
typedef struct {
    int cap;
    void *x, *t, *y, *work;
} Batch;

static void batch_free(Batch *b)
{
    free(b->x);
    free(b->t);
    free(b->y);
    free(b->work);
    memset(b, 0, sizeof *b);
}

static int batch_init(Batch *b, const NetrtModel *m, int cap, bool with_y)
{
    size_t rs = (size_t)m->real_size, n = (size_t)cap;
    memset(b, 0, sizeof *b);
    b->cap = cap;
    b->x = NETRT_MALLOC(n * m->input_size, rs);
    b->t = NETRT_MALLOC(n * m->output_size, rs);
    b->work = NETRT_MALLOC(n * m->work_per_sample + 1, rs);
    if (with_y)
        b->y = NETRT_MALLOC(n * m->output_size, rs);
    if (!b->x || !b->t || !b->work || (with_y && !b->y)) {
        batch_free(b);
        return -1;
    }
    return 0;
}

/* Copies k floats to the real-typed dst. */
static void copy_reals(const NetrtModel *m, void *dst, size_t at, const float *src, size_t k)
{
    if (m->real_size == 8) {
        double *d = (double *)dst + at;
        for (size_t i = 0; i < k; i++)
            d[i] = src[i];
    } else {
        memcpy((float *)dst + at, src, k * sizeof(float));
    }
}

/* Loads rows idx[start..start+n) (rows start.. when idx is NULL) into b. */
static void batch_load(const NetrtModel *m, Batch *b, const NetrtDataset *ds, const int *idx,
                       int start, int n)
{
    size_t nin = m->input_size, k = m->output_size;
    for (int i = 0; i < n; i++) {
        size_t r = (size_t)(idx ? idx[start + i] : start + i);
        copy_reals(m, b->x, (size_t)i * nin, ds->x + r * nin, nin);
        if (ds->t)
            copy_reals(m, b->t, (size_t)i * k, ds->t + r * k, k);
    }
}

/* ---- metrics ---- */

typedef struct {
    double loss_sum, sse;
    long rows, correct, judged, elements;
} Tally;

static size_t argmax(const NetrtModel *m, const void *v, size_t at, size_t k)
{
    size_t best = 0;
    for (size_t j = 1; j < k; j++)
        if (netrt_get(m, v, at + j) > netrt_get(m, v, at + best))
            best = j;
    return best;
}

static size_t argmax_f(const float *v, size_t k)
{
    size_t best = 0;
    for (size_t j = 1; j < k; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

/* Whether output j of a row is right; y is the model's output, t the encoded target. */
static bool element_correct(const NetrtModel *m, double y, double t)
{
    switch (m->target) {
    case NETRT_TARGET_BINARY:
        return (y >= 0.5) == (t >= 0.5);
    case NETRT_TARGET_SIGNED:
        return (y >= 0.0) == (t > 0.0);
    default:
        return fabs(y - t) < 0.5;
    }
}

/* The class a row of outputs predicts (single-label classifiers). */
int netrt_predicted_class(const NetrtModel *m, const void *y, size_t at)
{
    size_t k = m->output_size;
    if (k > 1)
        return (int)argmax(m, y, at, k);
    return netrt_get(m, y, at) >= (m->target == NETRT_TARGET_SIGNED ? 0.0 : 0.5);
}

/* Adds the accuracy and squared error of rows [start, start+n) with outputs y. */
static void tally_batch(const NetrtModel *m, const NetrtDataset *ds, int start, int n,
                        const void *y, Tally *s)
{
    size_t k = m->output_size;
    for (int i = 0; i < n; i++) {
        size_t r = (size_t)(start + i);
        const float *t = ds->t + r * k;
        for (size_t j = 0; j < k; j++) {
            double d = netrt_get(m, y, (size_t)i * k + j) - t[j];
            s->sse += d * d;
        }
        s->elements += (long)k;
        if (!m->classification)
            continue;
        if (m->target == NETRT_TARGET_ONEHOT || (m->target == NETRT_TARGET_REAL && k > 1)) {
            size_t want = ds->label ? (size_t)ds->label[r] : argmax_f(t, k);
            s->correct += argmax(m, y, (size_t)i * k, k) == want;
            s->judged++;
        } else {
            for (size_t j = 0; j < k; j++)
                s->correct += element_correct(m, netrt_get(m, y, (size_t)i * k + j), t[j]);
            s->judged += (long)k;
        }
    }
}

/* r2 = 1 - SS_res / SS_tot, SS_tot around each output column's own mean. */
static double r2_score(const NetrtDataset *ds, double sse)
{
    size_t k = (size_t)ds->num_targets;
    double ss_tot = 0;
    for (size_t j = 0; j < k; j++) {
        double mean = 0;
        for (int r = 0; r < ds->rows; r++)
            mean += ds->t[(size_t)r * k + j];
        mean /= ds->rows;
        for (int r = 0; r < ds->rows; r++) {
            double d = ds->t[(size_t)r * k + j] - mean;
            ss_tot += d * d;
        }
    }
    if (ss_tot == 0)
        return sse == 0 ? 1.0 : 0.0;    /* constant targets, as sklearn's r2_score */
    return 1.0 - sse / ss_tot;
}

/* Loss (no dropout) and metrics over ds, using the buffers of b. */
static void evaluate_with(const NetrtModel *m, const void *params, const NetrtDataset *ds,
                          Batch *b, NetrtMetrics *out)
{
    Tally s = { 0 };
    /* A float model reads the rows in place: the set's consecutive rows are
     * already the batch, so the per-epoch evaluations copy nothing. */
    bool in_place = m->real_size == 4 && ds->t;
    for (int start = 0; start < ds->rows; start += b->cap) {
        int n = ds->rows - start < b->cap ? ds->rows - start : b->cap;
        const void *x = b->x, *t = b->t;
        if (in_place) {
            x = ds->x + (size_t)start * m->input_size;
            t = ds->t + (size_t)start * m->output_size;
        } else {
            batch_load(m, b, ds, NULL, start, n);
        }
        s.loss_sum += m->loss_fn(b->y, params, x, t, n, 0, 0, b->work) * n;
        s.rows += n;
        tally_batch(m, ds, start, n, b->y, &s);
    }
    out->loss = s.loss_sum / (double)s.rows;
    out->accuracy = s.judged ? (double)s.correct / (double)s.judged : NAN;
    out->mse = s.sse / (double)s.elements;
    out->r2 = m->classification ? NAN : r2_score(ds, s.sse);
}

void netrt_evaluate(const NetrtModel *m, const void *params, const NetrtDataset *ds,
                    NetrtMetrics *out)
{
    Batch b;
    out->loss = out->accuracy = out->mse = out->r2 = NAN;
    if (!ds->t || ds->rows <= 0) {
        netrt_error(ds->path, "cannot evaluate: the data set has no targets");
        return;
    }
    if (batch_init(&b, m, ds->rows < EVAL_BATCH ? ds->rows : EVAL_BATCH, true))
        return;
    evaluate_with(m, params, ds, &b, out);
    batch_free(&b);
}

void netrt_print_metrics(FILE *out, const NetrtModel *m, const char *label,
                         const NetrtMetrics *mt)
{
    if (m->classification)
        fprintf(out, "%s: loss %.6g accuracy %.2f%%\n", label, mt->loss, 100.0 * mt->accuracy);
    else
        fprintf(out, "%s: loss %.6g mse %.6g r2 %.6g\n", label, mt->loss, mt->mse, mt->r2);
}

/* ---- progress display ---- */

typedef enum { SHOW_NONE, SHOW_LINES, SHOW_LIVE } ShowMode;

typedef struct {
    ShowMode mode;
    int every;              /* print an epoch line every this many epochs */
    int first, epochs;      /* the first epoch this run trains; the last */
    double start;           /* clock when this run started */
    double before;          /* training seconds before this run (a resumed checkpoint) */
    double last;            /* SHOW_LIVE: time of the last redraw */
    bool on_screen;         /* SHOW_LIVE: a bar is showing */
} Display;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void display_init(Display *d, const NetrtTrainOptions *o, int first, double before)
{
    memset(d, 0, sizeof *d);
    d->every = o->epochs / 20 > 1 ? o->epochs / 20 : 1;
    d->first = first;
    d->epochs = o->epochs;
    d->before = before;
    if (o->quiet)
        d->mode = SHOW_NONE;
    else if (o->progress == 1 || (o->progress == -1 && isatty(fileno(stderr))))
        d->mode = SHOW_LIVE;
    else
        d->mode = SHOW_LINES;
    d->start = d->last = now_seconds();
}

/* Training seconds so far, across resumes. */
static double display_elapsed(const Display *d)
{
    return d->before + now_seconds() - d->start;
}

/* Removes the progress bar, so what follows starts on a clean line. */
static void display_clear(Display *d)
{
    if (d->on_screen) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        d->on_screen = false;
    }
}

/* "8.3s", "2m05s", "1h02m" */
static void format_duration(char *out, size_t size, double s)
{
    if (!(s >= 0) || s > 1e8)
        snprintf(out, size, "?");
    else if (s < 60)
        snprintf(out, size, "%.1fs", s);
    else if (s < 3600)
        snprintf(out, size, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(out, size, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
}

/* Seconds left if the rest goes as fast as this run so far; done is the epochs
 * this run has finished, fractionally. */
static double display_eta(const Display *d, double done)
{
    double total = d->epochs - d->first + 1, spent = now_seconds() - d->start;
    return done > 0 ? spent / done * (total - done) : NAN;
}

static void print_metric_pair(const NetrtModel *m, const char *prefix, const NetrtMetrics *mt)
{
    if (isnan(mt->loss))
        return;
    if (m->classification)
        fprintf(stderr, "  %sloss %.4g  %saccuracy %.2f%%", prefix, mt->loss, prefix,
                100.0 * mt->accuracy);
    else
        /* a diverging fit's r2 runs to -1e300: %.4f would print 300 digits */
        fprintf(stderr, fabs(mt->r2) < 1e4 ? "  %sloss %.4g  %smse %.4g  %sr2 %.4f"
                                           : "  %sloss %.4g  %smse %.4g  %sr2 %.4g",
                prefix, mt->loss, prefix, mt->mse, prefix, mt->r2);
}

/* Whether an epoch's end deserves a line. */
static bool display_due(const Display *d, int epoch)
{
    return d->mode != SHOW_NONE && (epoch == d->epochs || epoch % d->every == 0);
}

/* Prints the line of a measured epoch: metrics, time so far and time left. */
static void display_epoch(Display *d, const NetrtModel *m, const NetrtEpoch *e, bool last)
{
    char spent[32], left[32];
    display_clear(d);
    fprintf(stderr, "epoch %d/%d", e->epoch, d->epochs);
    if (isnan(e->train.loss))
        fprintf(stderr, "  batch loss %.4g", e->batch_loss);
    print_metric_pair(m, "", &e->train);
    print_metric_pair(m, "valid ", &e->valid);
    print_metric_pair(m, "test ", &e->test);
    format_duration(spent, sizeof spent, e->seconds);
    format_duration(left, sizeof left, display_eta(d, e->epoch - d->first + 1));
    if (last)
        fprintf(stderr, "  %s\n", spent);
    else
        fprintf(stderr, "  %s  ETA %s\n", spent, left);
    fflush(stderr);
}

/* The live progress bar, redrawn at most every LIVE_INTERVAL seconds. */
static void display_batch(Display *d, int epoch, int batch, int batches, double running_loss)
{
    char spent[32], left[32], bar[BAR_WIDTH + 1];
    double t = now_seconds();
    if (d->mode != SHOW_LIVE || t - d->last < LIVE_INTERVAL)
        return;
    d->last = t;
    double done = epoch - d->first + (double)batch / batches;
    double frac = (epoch - 1 + (double)batch / batches) / d->epochs;
    int fill = (int)(frac * BAR_WIDTH);
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
    bar[BAR_WIDTH] = '\0';
    format_duration(spent, sizeof spent, display_elapsed(d));
    format_duration(left, sizeof left, display_eta(d, done));
    fprintf(stderr, "\repoch %d/%d [%s] batch %d/%d  loss %.4g  %s  ETA %s\033[K", epoch,
            d->epochs, bar, batch, batches, running_loss, spent, left);
    d->on_screen = true;
    fflush(stderr);
}

/* ---- training ---- */

void netrt_train_options_default(NetrtTrainOptions *o, const NetrtModel *m)
{
    memset(o, 0, sizeof *o);
    o->optim = m->train.optim;
    if (!(o->optim.lr > 0)) {
        netrt_optim_defaults(&o->optim, m->train.optim.kind);
        o->optim.momentum = m->train.optim.momentum > 0 ? m->train.optim.momentum
                                                        : o->optim.momentum;
    }
    o->batch = m->train.batch > 0 ? m->train.batch : 32;
    o->epochs = m->train.epochs > 0 ? m->train.epochs : 100;
    o->seed = m->train.seed;
    o->patience = m->train.patience > 0 ? m->train.patience : 0;
    o->progress = -1;
}

/* Everything one training run allocates, all before the first step. */
typedef struct {
    void *grad;
    double *acc;                /* L-BFGS: full-batch gradient accumulator */
    void *best;                 /* early stopping: the best epoch's parameters */
    NetrtEpoch *hist;           /* every epoch so far (plot, checkpoints), or NULL */
    int nhist, hist_cap;
    int saved_epoch;            /* the epoch of the checkpoint on disk, 0 if none */
    FILE *log;
    Batch batch, eval;
    NetrtOptimizer opt;
    NetrtCheckpointer ck;
    NetrtTrainState st;
} Trainer;

static void trainer_free(Trainer *tr)
{
    free(tr->grad);
    free(tr->acc);
    free(tr->best);
    free(tr->hist);
    free(tr->st.order);
    if (tr->log)
        fclose(tr->log);
    batch_free(&tr->batch);
    batch_free(&tr->eval);
    netrt_optim_free(&tr->opt);
    netrt_checkpointer_free(&tr->ck);
}

static int eval_rows(const NetrtDataset *train, const NetrtDataset *test,
                     const NetrtDataset *valid)
{
    int rows = train->rows;
    if (test && test->rows > rows)
        rows = test->rows;
    if (valid && valid->rows > rows)
        rows = valid->rows;
    return rows < EVAL_BATCH ? rows : EVAL_BATCH;
}

static int trainer_init(Trainer *tr, const NetrtModel *m, const NetrtDataset *ds,
                        const NetrtDataset *test, const NetrtTrainOptions *o)
{
    bool lbfgs = o->optim.kind == NETRT_OPT_LBFGS;
    int cap = lbfgs ? LBFGS_CHUNK : o->batch;
    size_t rs = (size_t)m->real_size;
    memset(tr, 0, sizeof *tr);
    tr->grad = NETRT_MALLOC(m->num_params, rs);
    tr->st.order = NETRT_MALLOC((size_t)ds->rows, sizeof(int));
    if (lbfgs)
        tr->acc = NETRT_MALLOC(m->num_params, sizeof(double));
    if (o->patience > 0)
        tr->best = NETRT_MALLOC(m->num_params, rs);
    if (o->plot_path || o->checkpoint_path || o->resume_path) {
        tr->hist_cap = o->epochs;
        tr->hist = NETRT_MALLOC((size_t)o->epochs, sizeof(NetrtEpoch));
    }
    if (!tr->grad || !tr->st.order || (lbfgs && !tr->acc) || (o->patience > 0 && !tr->best) ||
        (tr->hist_cap && !tr->hist) ||
        batch_init(&tr->batch, m, cap < ds->rows ? cap : ds->rows, false) ||
        batch_init(&tr->eval, m, eval_rows(ds, test, o->valid), true) ||
        netrt_optim_init(&tr->opt, m, &o->optim)) {
        trainer_free(tr);
        return -1;
    }
    for (int i = 0; i < ds->rows; i++)
        tr->st.order[i] = i;
    tr->st.rows = ds->rows;
    tr->st.best_loss = INFINITY;
    /* Decorrelated from the generated init, which may also seed from o->seed. */
    netrt_rng_seed(&tr->st.rng, o->seed ^ 0x747261696e000000ULL);
    return 0;
}

static int check_dataset(const NetrtModel *m, const NetrtDataset *ds)
{
    if (!ds->t || ds->rows <= 0 || (size_t)ds->num_features != m->input_size ||
        (size_t)ds->num_targets != m->output_size) {
        netrt_error(ds->path, "data set does not fit network '%s' (%zu inputs, %zu outputs, "
                    "targets required)", m->name, m->input_size, m->output_size);
        return -1;
    }
    return 0;
}

/* ---- divergence: a non-finite loss, gradient or parameter stops the run ---- */

/* The first non-finite value of a parameter-sized vector (gradient or parameters). */
typedef struct {
    int tensor;                 /* index into m->params; -1 when every value is finite */
    size_t at;                  /* element within that tensor */
    double value;
} NonFinite;

/* The index of the first non-finite value of v[from, from + n), or n if none. */
static size_t first_nonfinite(const NetrtModel *m, const void *v, size_t from, size_t n)
{
    if (m->real_size == 8) {
        const double *d = (const double *)v + from;
        for (size_t i = 0; i < n; i++)
            if (!isfinite(d[i]))
                return i;
    } else {
        const float *f = (const float *)v + from;
        for (size_t i = 0; i < n; i++)
            if (!isfinite(f[i]))
                return i;
    }
    return n;
}

/* Whether v[0, n) holds a NaN or an infinity. Exactly those have every exponent
 * bit set, and then (bits & EXP) + one exponent unit carries into the sign bit:
 * OR-ed over the vector, that is an and, an add and an or per value, which
 * the compiler vectorizes, 16 floats (8 doubles) at a time in the AVX-512
 * copy. The early-exit isfinite loop it replaces took 2 cycles a value, twice
 * per step: on MNIST 784-128-10 at batch 1 that was 130 us a step, four times
 * the step itself; with SSE2 intrinsics, 4 values at a time, this check was
 * still 6% of a five-epoch MNIST run at batch 32 on an AVX-512 Xeon. */
NETRT_WIDEST
static uint64_t nonfinite_bits64(const unsigned char *b, size_t n)
{
    uint64_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, b + i * 8, 8);
        bad |= (u & 0x7ff0000000000000ULL) + 0x0010000000000000ULL;
    }
    return bad;
}

NETRT_WIDEST
static uint32_t nonfinite_bits32(const unsigned char *b, size_t n)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, b + i * 4, 4);
        bad |= (u & 0x7f800000u) + 0x00800000u;
    }
    return bad;
}

bool netrt_any_nonfinite(const NetrtModel *m, const void *v, size_t n)
{
    if (m->real_size == 8)
        return nonfinite_bits64(v, n) >> 63 != 0;
    return nonfinite_bits32(v, n) >> 31 != 0;
}

/* One fast pass over v (netrt_any_nonfinite); then, only if it found one, the first
 * tensor (in the model's order) holding one. */
static NonFinite find_nonfinite(const NetrtModel *m, const void *v)
{
    NonFinite nf = { -1, 0, 0.0 };
    if (!netrt_any_nonfinite(m, v, m->num_params))
        return nf;
    for (int k = 0; k < m->num_param_tensors; k++) {
        const NetrtParamInfo *p = &m->params[k];
        size_t i = first_nonfinite(m, v, p->offset, p->size);
        if (i < p->size) {
            nf.tensor = k;
            nf.at = i;
            nf.value = netrt_get(m, v, p->offset + i);
            break;
        }
    }
    return nf;
}

typedef enum { BAD_LOSS, BAD_GRADIENT, BAD_UPDATE } BadKind;

/* What went non-finite, and where the run was. */
typedef struct {
    BadKind kind;
    int epoch, batch, batches;  /* batches 0: a full-batch (L-BFGS) iteration */
    double loss;                /* the batch's loss */
    NonFinite nf;               /* the tensor, for BAD_GRADIENT and BAD_UPDATE */
    double lr;
} Divergence;

/* "nan", "inf" or "-inf" (glibc prints a NaN with its sign bit as "-nan"). */
static const char *nonfinite_name(double v)
{
    return isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
}

static void report_divergence(const NetrtModel *m, const Divergence *dv)
{
    char where[96], index[64] = "";
    const NetrtParamInfo *p = dv->kind == BAD_LOSS ? NULL : &m->params[dv->nf.tensor];
    if (dv->batches > 0)
        snprintf(where, sizeof where, "epoch %d, batch %d of %d", dv->epoch, dv->batch,
                 dv->batches);
    else
        snprintf(where, sizeof where, "epoch %d (L-BFGS, full batch)", dv->epoch);
    if (p)
        netrt_entry_name(index, sizeof index, p, dv->nf.at);
    if (dv->kind == BAD_LOSS)
        netrt_error(NULL, "training stopped at %s: the loss is %s", where,
                    nonfinite_name(dv->loss));
    else if (dv->kind == BAD_GRADIENT)
        netrt_error(NULL, "training stopped at %s: the gradient of '%s' has a non-finite value "
                    "(%s at %s)", where, p->name, nonfinite_name(dv->nf.value), index);
    else
        netrt_error(NULL, "training stopped at %s: the update made '%s' non-finite (%s at %s) "
                    "from a finite gradient", where, p->name, nonfinite_name(dv->nf.value), index);
    /* A finite loss with an infinite slope is the spec's math, not the step size. */
    if (dv->kind == BAD_GRADIENT && isfinite(dv->loss))
        netrt_hint("the loss is finite (%g) there: a formula in the spec may have an infinite "
                   "derivative at these values (sqrt or log at 0)", dv->loss);
    if (dv->batches == 0)
        netrt_hint("scale the input features (--scale standard), lower --lr (now %g) or try "
                   "--optimizer adam", dv->lr);
    else
        netrt_hint("lower the learning rate (now --lr %g), scale the input features "
                   "(--scale standard) or clip the gradient (--clip 1)", dv->lr);
}

/* After a loss_grad: whether the loss and then every gradient tensor are finite
 * (dv says which was not). */
static bool gradient_finite(const NetrtModel *m, const void *grad, Divergence *dv)
{
    dv->kind = isfinite(dv->loss) ? BAD_GRADIENT : BAD_LOSS;
    if (dv->kind == BAD_LOSS)
        return false;
    dv->nf = find_nonfinite(m, grad);
    return dv->nf.tensor < 0;
}

/* After an update from a finite gradient: whether the parameters are still finite
 * (a huge learning rate can overflow them). */
static bool update_finite(const NetrtModel *m, const void *params, Divergence *dv)
{
    dv->kind = BAD_UPDATE;
    dv->nf = find_nonfinite(m, params);
    return dv->nf.tensor < 0;
}

/* Ends an epoch that diverged: the message, under any progress bar. */
static double stop_epoch(const NetrtModel *m, Display *d, const Divergence *dv)
{
    display_clear(d);
    report_divergence(m, dv);
    return NAN;
}

/* One epoch of mini-batch updates; returns the mean batch loss, or NAN after an error. */
static double run_epoch(const NetrtModel *m, void *params, const NetrtDataset *ds, Trainer *tr,
                        int epoch, const NetrtTrainOptions *o, Display *d, double *lr_out)
{
    int bs = tr->batch.cap, batches = (ds->rows + bs - 1) / bs;
    double sum = 0, lr = o->optim.lr;
    netrt_shuffle(&tr->st.rng, tr->st.order, ds->rows);
    for (int b = 0; b < batches; b++) {
        int start = b * bs, n = ds->rows - start < bs ? ds->rows - start : bs;
        batch_load(m, &tr->batch, ds, tr->st.order, start, n);
        uint64_t dropout_seed = netrt_rng_next(&tr->st.rng);
        double loss = m->loss_grad(tr->grad, params, tr->batch.x, tr->batch.t, n, dropout_seed,
                                   tr->batch.work);
        lr = netrt_schedule_lr(&o->optim, epoch - 1, o->epochs, tr->opt.t + 1);
        Divergence dv = { .epoch = epoch, .batch = b + 1, .batches = batches, .loss = loss,
                          .lr = o->optim.lr };
        if (!gradient_finite(m, tr->grad, &dv))
            return stop_epoch(m, d, &dv);
        if (o->optim.clip_norm > 0)
            netrt_clip_gradient(m, tr->grad, o->optim.clip_norm);
        netrt_optim_step(&tr->opt, params, tr->grad, lr);
        if (!update_finite(m, params, &dv))
            return stop_epoch(m, d, &dv);
        sum += loss * n;
        display_batch(d, epoch, b + 1, batches, sum / (start + n));
    }
    *lr_out = lr;
    return sum / ds->rows;
}

/* The full-batch objective L-BFGS minimizes: the loss over every training row
 * (in chunks, weighted by their share) and its gradient. */
typedef struct {
    const NetrtModel *m;
    const NetrtDataset *ds;
    Trainer *tr;
    uint64_t dropout_seed;      /* fixed, so the objective is the same function each call */
    Divergence bad;             /* the first evaluation with a finite loss and a non-finite
                                 * gradient (bad.nf.tensor -1 while there is none) */
} FullBatch;

static double full_loss_grad(void *ctx, const void *params, void *grad)
{
    FullBatch *fb = ctx;
    const NetrtModel *m = fb->m;
    Trainer *tr = fb->tr;
    double loss = 0;
    memset(tr->acc, 0, m->num_params * sizeof(double));
    for (int start = 0; start < fb->ds->rows; start += tr->batch.cap) {
        int n = fb->ds->rows - start < tr->batch.cap ? fb->ds->rows - start : tr->batch.cap;
        double w = (double)n / fb->ds->rows;
        batch_load(m, &tr->batch, fb->ds, NULL, start, n);
        loss += w * m->loss_grad(tr->grad, params, tr->batch.x, tr->batch.t, n,
                                 fb->dropout_seed, tr->batch.work);
        for (size_t i = 0; i < m->num_params; i++)
            tr->acc[i] += w * netrt_get(m, tr->grad, i);
    }
    for (size_t i = 0; i < m->num_params; i++)
        netrt_set(m, grad, i, tr->acc[i]);
    /* The line search may try a point whose loss overflows and back off from it,
     * but a finite loss with a non-finite gradient could be accepted. */
    if (fb->bad.nf.tensor < 0 && isfinite(loss)) {
        Divergence dv = fb->bad;
        dv.loss = loss;
        if (!gradient_finite(m, grad, &dv))
            fb->bad = dv;
    }
    return loss;
}

/* One L-BFGS iteration as an epoch; NAN after an error, *converged set when done. */
static double lbfgs_epoch(const NetrtModel *m, void *params, const NetrtDataset *ds,
                          Trainer *tr, const NetrtTrainOptions *o, int epoch, int *converged)
{
    Divergence dv = { .epoch = epoch, .nf = { -1, 0, 0.0 }, .lr = o->optim.lr };
    FullBatch fb = { m, ds, tr, o->seed ^ 0x6c62666773000000ULL, dv };
    double loss = NAN;
    int rc = netrt_lbfgs_iterate(&tr->opt, params, full_loss_grad, &fb, &loss);
    if (rc < 0 && isfinite(loss) && fb.bad.nf.tensor < 0)
        return NAN;             /* not a divergence; netrt_lbfgs_iterate said why */
    dv.loss = loss;
    if (fb.bad.nf.tensor >= 0)
        dv = fb.bad;
    else if (!isfinite(loss))
        dv.kind = BAD_LOSS;
    if (fb.bad.nf.tensor >= 0 || !isfinite(loss) || !update_finite(m, params, &dv)) {
        report_divergence(m, &dv);
        return NAN;
    }
    *converged = rc == 1;
    return loss;
}

/* Measures what this epoch's record needs: the validation set always, the
 * training and test sets when a line, log or plot will show them. */
static void measure(const NetrtModel *m, const void *params, const NetrtDataset *train,
                    const NetrtDataset *test, const NetrtTrainOptions *o, Trainer *tr,
                    bool full, NetrtEpoch *e)
{
    NetrtMetrics none = { NAN, NAN, NAN, NAN };
    e->train = e->valid = e->test = none;
    if (o->valid)
        evaluate_with(m, params, o->valid, &tr->eval, &e->valid);
    if (!full)
        return;
    evaluate_with(m, params, train, &tr->eval, &e->train);
    if (test)
        evaluate_with(m, params, test, &tr->eval, &e->test);
}

/* Early stopping bookkeeping after an epoch; returns true when patience ran out. */
static bool track_best(const NetrtModel *m, const void *params, Trainer *tr,
                       const NetrtTrainOptions *o, const NetrtEpoch *e)
{
    NetrtTrainState *st = &tr->st;
    if (o->patience <= 0)
        return false;
    if (e->valid.loss < st->best_loss) {
        st->best_loss = e->valid.loss;
        st->best_epoch = e->epoch;
        st->since_best = 0;
        memcpy(tr->best, params, m->num_params * (size_t)m->real_size);
    } else {
        st->since_best++;
    }
    return st->since_best >= o->patience;
}

static void keep_history(Trainer *tr, const NetrtEpoch *e)
{
    if (tr->hist && tr->nhist < tr->hist_cap)
        tr->hist[tr->nhist++] = *e;
}

/* Checks up front that a file can be written where path says, so a long run does
 * not end in a write error (a missing directory, no permission). */
static int probe_writable(const char *path, const char *what)
{
    char tmp[4096 + 40];
    FILE *f;
    if (!path)
        return 0;
    snprintf(tmp, sizeof tmp, "%.4096s.probe.%ld", path, (long)getpid());
    f = fopen(tmp, "wb");
    if (!f) {
        int err = errno;
        netrt_error(path, "cannot write the %s there: %s", what, strerror(err));
        netrt_hint("check that the directory exists and is writable; nothing was trained");
        return -1;
    }
    fclose(f);
    remove(tmp);
    return 0;
}

/* Opens the log and writes its header (and, after a resume, the epochs before). */
static int open_log(const NetrtModel *m, Trainer *tr, const NetrtTrainOptions *o)
{
    if (!o->log_path)
        return 0;
    tr->log = netrt_log_open(m, o->log_path);
    if (!tr->log)
        return -1;
    for (int i = 0; i < tr->nhist; i++)
        netrt_log_epoch(tr->log, m, &tr->hist[i]);
    return 0;
}

/* Saves the run's state when one is due: every checkpoint_every epochs and at the end. */
static int maybe_checkpoint(const void *params, Trainer *tr, const NetrtTrainOptions *o,
                            bool last)
{
    int e = tr->st.epoch;
    if (!o->checkpoint_path || !(last || (o->checkpoint_every > 0 && e % o->checkpoint_every == 0)))
        return 0;
    tr->st.hist = tr->hist;
    tr->st.nhist = tr->nhist;
    tr->st.best = tr->st.best_epoch > 0 ? tr->best : NULL;
    if (netrt_checkpoint_save(&tr->ck, o->checkpoint_path, params, &tr->opt, &tr->st))
        return -1;
    tr->saved_epoch = e;
    return 0;
}

/* After a divergence: nothing more is saved, so the checkpoint on disk (if any)
 * is the last good state; says which. */
static void report_checkpoint_kept(const Trainer *tr, const NetrtTrainOptions *o)
{
    if (!o->checkpoint_path)
        return;
    if (tr->saved_epoch > 0)
        fprintf(stderr, "note: the checkpoint '%s' of epoch %d is kept as it was; resume from "
                "it with --resume and a lower --lr\n", o->checkpoint_path, tr->saved_epoch);
    else
        fprintf(stderr, "note: no checkpoint was saved before that; '%s' was not written\n",
                o->checkpoint_path);
}

/* Restores the state of a checkpoint into params, the optimizer and tr. */
static int resume(void *params, Trainer *tr, const NetrtTrainOptions *o)
{
    NetrtTrainState *st = &tr->st;
    st->hist = tr->hist;
    st->hist_cap = tr->hist_cap;
    st->best = tr->best;
    if (netrt_checkpoint_load(&tr->ck, o->resume_path, params, &tr->opt, st))
        return -1;
    tr->nhist = st->nhist;
    return 0;
}

/* What identifies a run, checked when a checkpoint is resumed. */
static void describe_run(NetrtTrainState *st, const NetrtDataset *ds,
                         const NetrtTrainOptions *o)
{
    st->batch = o->batch;
    st->seed = o->seed;
    st->optim_kind = (int)o->optim.kind;
    st->patience = o->patience;
    st->valid_rows = o->valid ? o->valid->rows : 0;
    st->data_hash = netrt_dataset_hash(ds, o->valid);
}

/* Trains epochs after st.epoch until the last, early stopping or convergence. */
static int train_loop(const NetrtModel *m, void *params, const NetrtDataset *train,
                      const NetrtDataset *test, const NetrtTrainOptions *o, Trainer *tr,
                      Display *d, NetrtTrainResult *res)
{
    bool lbfgs = o->optim.kind == NETRT_OPT_LBFGS;
    bool stop = o->patience > 0 && tr->st.since_best >= o->patience;
    while (!stop && tr->st.epoch < o->epochs) {
        int epoch = tr->st.epoch + 1, converged = 0;
        NetrtEpoch e = { .epoch = epoch, .lr = o->optim.lr };
        e.batch_loss = lbfgs ? lbfgs_epoch(m, params, train, tr, o, epoch, &converged)
                             : run_epoch(m, params, train, tr, epoch, o, d, &e.lr);
        if (isnan(e.batch_loss)) {
            report_checkpoint_kept(tr, o);
            return -1;
        }
        e.seconds = display_elapsed(d);
        bool due = display_due(d, epoch) || (converged && d->mode != SHOW_NONE);
        bool full = due || o->log_path || o->plot_path;
        measure(m, params, train, test, o, tr, full, &e);
        stop = track_best(m, params, tr, o, &e);
        if (stop && !full && d->mode != SHOW_NONE)
            measure(m, params, train, test, o, tr, true, &e);     /* for the last line */
        tr->st.epoch = epoch;
        tr->st.seconds = e.seconds;
        keep_history(tr, &e);
        if (tr->log)
            netrt_log_epoch(tr->log, m, &e);
        if (due || (stop && d->mode != SHOW_NONE))
            display_epoch(d, m, &e, epoch == o->epochs || stop || converged);
        res->stopped_early = stop && epoch < o->epochs;
        res->converged = converged;
        stop = stop || converged;
        if (maybe_checkpoint(params, tr, o, stop || epoch == o->epochs))
            return -1;
    }
    return 0;
}

/* Training flushes subnormal floats to zero (x86 SSE: FTZ and DAZ): optimizer state
 * for rarely used inputs decays into subnormals, which the CPU handles tens of
 * times slower, for values that make no difference to the weights. The caller's
 * floating-point state is restored afterwards. */
static unsigned flush_denormals(void)
{
#if defined(__SSE__) || defined(__x86_64__)
    unsigned old = _mm_getcsr();
    _mm_setcsr(old | 0x8040u);
    return old;
#else
    return 0;
#endif
}

static void restore_fp_state(unsigned old)
{
#if defined(__SSE__) || defined(__x86_64__)
    _mm_setcsr(old);
#else
    (void)old;
#endif
}

int netrt_train(const NetrtModel *m, void *params, const NetrtDataset *train,
                const NetrtDataset *test, const NetrtTrainOptions *o, NetrtTrainResult *result)
{
    Trainer tr;
    Display d;
    NetrtTrainResult res = { 0 };
    int rc;
    if (result)
        *result = res;
    if (check_dataset(m, train) || (test && check_dataset(m, test)) ||
        (o->valid && check_dataset(m, o->valid)))
        return -1;
    if (o->patience > 0 && !o->valid) {
        netrt_error(NULL, "early stopping (patience %d) needs a validation set", o->patience);
        return -1;
    }
    if (trainer_init(&tr, m, train, test, o))
        return -1;
    rc = netrt_checkpointer_init(&tr.ck, m, o->scaler, &tr.opt, train->rows, tr.hist_cap,
                                 o->checkpoint_path || o->resume_path);
    if (rc == 0 && (o->checkpoint_path || o->resume_path))
        describe_run(&tr.st, train, o);
    if (rc == 0 && o->resume_path) {
        rc = resume(params, &tr, o);
        res.resumed_from = tr.st.epoch;
        if (o->checkpoint_path && strcmp(o->checkpoint_path, o->resume_path) == 0)
            tr.saved_epoch = tr.st.epoch;
    }
    if (rc == 0 && (probe_writable(o->plot_path, "plot") ||
                    probe_writable(o->checkpoint_path, "checkpoint")))
        rc = -1;
    if (rc == 0)
        rc = open_log(m, &tr, o);
    if (rc == 0) {
        unsigned fp_state = flush_denormals();
        display_init(&d, o, tr.st.epoch + 1, tr.st.seconds);
        rc = train_loop(m, params, train, test, o, &tr, &d, &res);
        display_clear(&d);
        restore_fp_state(fp_state);
    }
    if (rc == 0 && o->patience > 0 && tr.st.best_epoch > 0)
        memcpy(params, tr.best, m->num_params * (size_t)m->real_size);
    res.trained = rc == 0;
    if (rc == 0 && o->plot_path && netrt_plot_svg(m, tr.hist, tr.nhist, o->plot_path))
        rc = -1;
    res.epochs_run = tr.st.epoch;
    res.best_epoch = tr.st.best_epoch;
    res.best_loss = tr.st.best_loss;
    if (result)
        *result = res;
    trainer_free(&tr);
    return rc;
}
