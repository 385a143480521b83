/* train.c: the training loop (shuffle, mini-batch, loss_grad, SGD step),
 * evaluation over whole data sets, the metrics line, and progress display.
 * Every buffer is allocated before the first step. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checked.h"
#include "netrt.h"

#define EVAL_BATCH 256
#define LIVE_INTERVAL 0.1       /* seconds between live-line updates */

/* Real-typed buffers for up to cap samples (y and t may be absent). */
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
    b->work = NETRT_MALLOC(n * m->work_per_sample, rs);
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
    for (int start = 0; start < ds->rows; start += b->cap) {
        int n = ds->rows - start < b->cap ? ds->rows - start : b->cap;
        batch_load(m, b, ds, NULL, start, n);
        s.loss_sum += m->loss_fn(b->y, params, b->x, b->t, n, 0, 0, b->work) * n;
        s.rows += n;
        tally_batch(m, ds, start, n, b->y, &s);
    }
    out->loss = s.loss_sum / (double)s.rows;
    out->accuracy = s.judged ? (double)s.correct / (double)s.judged : 0.0;
    out->mse = s.sse / (double)s.elements;
    out->r2 = m->classification ? 0.0 : r2_score(ds, s.sse);
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
    int every;              /* SHOW_LINES: print every this many epochs */
    double last;            /* SHOW_LIVE: time of the last update */
    bool on_screen;         /* SHOW_LIVE: a line without its newline is showing */
} Display;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void display_init(Display *d, const NetrtTrainOptions *o)
{
    memset(d, 0, sizeof *d);
    d->every = o->epochs / 20 > 1 ? o->epochs / 20 : 1;
    if (o->quiet)
        d->mode = SHOW_NONE;
    else if (o->progress == 1 || (o->progress == -1 && isatty(fileno(stderr))))
        d->mode = SHOW_LIVE;
    else
        d->mode = SHOW_LINES;
    d->last = now_seconds();
}

/* Ends a live line so that what follows starts on a fresh line. */
static void display_break(Display *d)
{
    if (d->on_screen) {
        fputc('\n', stderr);
        d->on_screen = false;
    }
}

static void print_metric_pair(const NetrtModel *m, const char *prefix, const NetrtMetrics *mt)
{
    if (m->classification)
        fprintf(stderr, "  %sloss %.4g  %saccuracy %.2f%%", prefix, mt->loss, prefix,
                100.0 * mt->accuracy);
    else
        fprintf(stderr, "  %sloss %.4g  %smse %.4g", prefix, mt->loss, prefix, mt->mse);
}

/* Prints (or redraws) the line for an evaluated epoch. */
static void display_epoch(Display *d, const NetrtModel *m, int epoch, int epochs,
                          const NetrtMetrics *train, const NetrtMetrics *test)
{
    if (d->mode == SHOW_LIVE)
        fputc('\r', stderr);
    fprintf(stderr, "epoch %d/%d", epoch, epochs);
    print_metric_pair(m, "", train);
    if (test)
        print_metric_pair(m, "test ", test);
    if (d->mode == SHOW_LIVE) {
        fputs("\033[K", stderr);        /* clear what a longer earlier line left */
        d->on_screen = true;
        if (epoch == epochs)
            display_break(d);
    } else {
        fputc('\n', stderr);
    }
    fflush(stderr);
}

/* Live mode only: shows progress inside a long epoch. */
static void display_batch(Display *d, int epoch, int epochs, int batch, int batches,
                          double running_loss)
{
    double t = now_seconds();
    if (d->mode != SHOW_LIVE || t - d->last < LIVE_INTERVAL)
        return;
    d->last = t;
    fprintf(stderr, "\repoch %d/%d  batch %d/%d  loss %.4g\033[K", epoch, epochs, batch,
            batches, running_loss);
    d->on_screen = true;
    fflush(stderr);
}

/* Whether an epoch's end deserves an evaluated line. */
static bool display_due(Display *d, int epoch, int epochs)
{
    double t;
    if (d->mode == SHOW_NONE)
        return false;
    if (epoch == epochs)
        return true;
    if (d->mode == SHOW_LINES)
        return epoch % d->every == 0;
    t = now_seconds();
    if (t - d->last < LIVE_INTERVAL)
        return false;
    d->last = t;
    return true;
}

/* ---- training ---- */

void netrt_train_options_default(NetrtTrainOptions *o, const NetrtModel *m)
{
    o->lr = m->train.optim.lr > 0 ? m->train.optim.lr : 0.01;
    o->momentum = m->train.optim.momentum >= 0 ? m->train.optim.momentum : 0.0;
    o->batch = m->train.batch > 0 ? m->train.batch : 32;
    o->epochs = m->train.epochs > 0 ? m->train.epochs : 100;
    o->seed = m->train.seed;
    o->quiet = 0;
    o->progress = -1;
}

/* Everything one training run allocates, all before the first step. */
typedef struct {
    void *grad;
    int *idx;
    Batch batch, eval;
    NetrtSgd opt;
} Trainer;

static void trainer_free(Trainer *tr)
{
    free(tr->grad);
    free(tr->idx);
    batch_free(&tr->batch);
    batch_free(&tr->eval);
    netrt_sgd_free(&tr->opt);
}

static int trainer_init(Trainer *tr, const NetrtModel *m, const NetrtDataset *ds,
                        const NetrtDataset *test, const NetrtTrainOptions *o, int batch)
{
    int eval_rows = ds->rows;
    memset(tr, 0, sizeof *tr);
    if (test && test->rows > eval_rows)
        eval_rows = test->rows;
    tr->grad = NETRT_MALLOC(m->num_params, (size_t)m->real_size);
    tr->idx = NETRT_MALLOC((size_t)ds->rows, sizeof(int));
    if (!tr->grad || !tr->idx || batch_init(&tr->batch, m, batch, false) ||
        batch_init(&tr->eval, m, eval_rows < EVAL_BATCH ? eval_rows : EVAL_BATCH, true) ||
        netrt_sgd_init(&tr->opt, m, o->lr, o->momentum)) {
        trainer_free(tr);
        return -1;
    }
    for (int i = 0; i < ds->rows; i++)
        tr->idx[i] = i;
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

/* One epoch of mini-batch SGD; returns the mean batch loss, or NAN after an error. */
static double run_epoch(const NetrtModel *m, void *params, const NetrtDataset *ds, Trainer *tr,
                        NetrtRng *rng, int epoch, const NetrtTrainOptions *o, Display *d)
{
    int bs = tr->batch.cap, batches = (ds->rows + bs - 1) / bs;
    double sum = 0;
    netrt_shuffle(rng, tr->idx, ds->rows);
    for (int b = 0; b < batches; b++) {
        int start = b * bs, n = ds->rows - start < bs ? ds->rows - start : bs;
        batch_load(m, &tr->batch, ds, tr->idx, start, n);
        uint64_t dropout_seed = netrt_rng_next(rng);
        double loss = m->loss_grad(tr->grad, params, tr->batch.x, tr->batch.t, n, dropout_seed,
                                   tr->batch.work);
        if (!isfinite(loss)) {
            display_break(d);
            netrt_error(NULL, "training stopped: the loss is %g at epoch %d, batch %d of %d",
                        loss, epoch, b + 1, batches);
            netrt_hint("lower the learning rate (now --lr %g) or scale the input features",
                       o->lr);
            return NAN;
        }
        netrt_sgd_step(&tr->opt, m, params, tr->grad);
        sum += loss * n;
        display_batch(d, epoch, o->epochs, b + 1, batches, sum / (start + n));
    }
    return sum / ds->rows;
}

int netrt_train(const NetrtModel *m, void *params, const NetrtDataset *train,
                const NetrtDataset *test, const NetrtTrainOptions *o)
{
    Trainer tr;
    Display d;
    NetrtRng rng;
    int rc = 0;
    if (check_dataset(m, train) || (test && check_dataset(m, test)))
        return -1;
    if (trainer_init(&tr, m, train, test, o, o->batch < train->rows ? o->batch : train->rows))
        return -1;
    /* Decorrelated from the generated init, which may also seed from o->seed. */
    netrt_rng_seed(&rng, o->seed ^ 0x747261696e000000ULL);
    display_init(&d, o);
    for (int epoch = 1; epoch <= o->epochs; epoch++) {
        if (isnan(run_epoch(m, params, train, &tr, &rng, epoch, o, &d))) {
            rc = -1;
            break;
        }
        if (display_due(&d, epoch, o->epochs)) {
            NetrtMetrics mt, mtest;
            evaluate_with(m, params, train, &tr.eval, &mt);
            if (test)
                evaluate_with(m, params, test, &tr.eval, &mtest);
            display_epoch(&d, m, epoch, o->epochs, &mt, test ? &mtest : NULL);
        }
    }
    display_break(&d);
    trainer_free(&tr);
    return rc;
}
