/* checkpoint.c: training checkpoints (--checkpoint, --resume). A checkpoint is a
 * weights file (docs/weights.md) with more sections: the training state, the
 * shuffle order, the per-epoch history, the optimizer state and the best
 * epoch's parameters. Saved atomically, so `predict --weights CHECKPOINT` works
 * and a killed run leaves the previous checkpoint whole. Buffers are sized
 * before the first epoch; saving allocates nothing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "internal.h"
#include "netrt.h"

#define STATE_VERSION 1u
#define STATE_FIXED 104         /* bytes of the TRNS section */
#define EPOCH_REALS 16          /* f64 values per history record */

/* ---- little-endian fields ---- */


static uint8_t *put_f64(uint8_t *p, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    return netrt_put_u64(p, bits);
}

static uint32_t get_u32(const uint8_t **p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | (*p)[i];
    *p += 4;
    return v;
}

static uint64_t get_u64(const uint8_t **p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | (*p)[i];
    *p += 8;
    return v;
}

static double get_f64(const uint8_t **p)
{
    uint64_t bits = get_u64(p);
    double v;
    memcpy(&v, &bits, 8);
    return v;
}

uint64_t netrt_dataset_hash(const NetrtDataset *train, const NetrtDataset *valid)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    const NetrtDataset *sets[2] = { train, valid };
    for (int s = 0; s < 2 && sets[s]; s++) {
        const NetrtDataset *ds = sets[s];
        const uint8_t *parts[2] = { (const uint8_t *)ds->x, (const uint8_t *)ds->t };
        size_t sizes[2] = { (size_t)ds->rows * (size_t)ds->num_features * sizeof(float),
                            (size_t)ds->rows * (size_t)ds->num_targets * sizeof(float) };
        for (int k = 0; k < 2; k++)
            for (size_t i = 0; parts[k] && i < sizes[k]; i++)
                h = (h ^ parts[k][i]) * 0x100000001b3ULL;
    }
    return h;
}

/* ---- writing ---- */

static size_t state_bytes(int rows, int nhist)
{
    return STATE_FIXED + 4 * (size_t)rows + 8 * EPOCH_REALS * (size_t)nhist;
}

/* The sections after the parameters; n_out gets their count. */
static void sections(const NetrtCheckpointer *c, const NetrtTrainState *st, NetrtSection *sec,
                     int *n_out)
{
    int n = 0;
    size_t order = 4 * (size_t)st->rows;
    sec[n++] = (NetrtSection){ "TRNS", c->state, STATE_FIXED };
    sec[n++] = (NetrtSection){ "ORDR", c->state + STATE_FIXED, order };
    sec[n++] = (NetrtSection){ "HIST", c->state + STATE_FIXED + order,
                               8 * EPOCH_REALS * (size_t)st->nhist };
    sec[n++] = (NetrtSection){ "OPTS", c->opt, c->opt_size };
    if (st->best)
        sec[n++] = (NetrtSection){ "BEST", st->best,
                                   c->m->num_params * (size_t)c->m->real_size };
    *n_out = n;
}

int netrt_checkpointer_init(NetrtCheckpointer *c, const NetrtModel *m, const NetrtScaler *sc,
                            const NetrtOptimizer *opt, int rows, int hist_cap, bool enabled)
{
    NetrtSection sec[5];
    NetrtTrainState most = { .rows = rows, .nhist = hist_cap, .best = (void *)1 };
    int n;
    memset(c, 0, sizeof *c);
    c->m = m;
    c->scaler = sc;
    if (!enabled)
        return 0;
    c->opt_size = netrt_optim_state_size(opt);
    c->state_size = state_bytes(rows, hist_cap);
    c->opt = NETRT_MALLOC(c->opt_size, 1);
    c->state = NETRT_MALLOC(c->state_size, 1);
    if (c->opt && c->state) {
        sections(c, &most, sec, &n);    /* points into state: allocated first */
        c->image_size = netrt_weights_file_size(m, sc, sec, n);
        c->image = NETRT_MALLOC(c->image_size, 1);
    }
    if (!c->opt || !c->state || !c->image) {
        netrt_checkpointer_free(c);
        return -1;
    }
    return 0;
}

void netrt_checkpointer_free(NetrtCheckpointer *c)
{
    free(c->opt);
    free(c->state);
    free(c->image);
    memset(c, 0, sizeof *c);
}

static uint8_t *put_metrics(uint8_t *p, const NetrtMetrics *mt)
{
    p = put_f64(p, mt->loss);
    p = put_f64(p, mt->accuracy);
    p = put_f64(p, mt->mse);
    return put_f64(p, mt->r2);
}

static void put_state(uint8_t *p, const NetrtTrainState *st)
{
    p = netrt_put_u32(p, STATE_VERSION);
    p = netrt_put_u32(p, (uint32_t)st->epoch);
    p = put_f64(p, st->seconds);
    for (int i = 0; i < 4; i++)
        p = netrt_put_u64(p, st->rng.s[i]);
    p = netrt_put_u32(p, (uint32_t)st->rows);
    p = netrt_put_u32(p, (uint32_t)st->best_epoch);
    p = netrt_put_u32(p, (uint32_t)st->since_best);
    p = put_f64(p, st->best_loss);
    p = netrt_put_u32(p, (uint32_t)st->nhist);
    p = netrt_put_u32(p, (uint32_t)st->batch);
    p = netrt_put_u32(p, (uint32_t)st->optim_kind);
    p = netrt_put_u32(p, (uint32_t)st->patience);
    p = netrt_put_u32(p, (uint32_t)st->valid_rows);
    p = netrt_put_u64(p, st->seed);
    p = netrt_put_u64(p, st->data_hash);
    for (int r = 0; r < st->rows; r++)
        p = netrt_put_u32(p, (uint32_t)st->order[r]);
    for (int i = 0; i < st->nhist; i++) {
        const NetrtEpoch *e = &st->hist[i];
        p = put_f64(p, e->epoch);
        p = put_f64(p, e->seconds);
        p = put_f64(p, e->lr);
        p = put_f64(p, e->batch_loss);
        p = put_metrics(p, &e->train);
        p = put_metrics(p, &e->valid);
        p = put_metrics(p, &e->test);
    }
}

int netrt_checkpoint_save(NetrtCheckpointer *c, const char *path, const void *params,
                          const NetrtOptimizer *opt, const NetrtTrainState *st)
{
    NetrtSection sec[5];
    int n;
    netrt_optim_state_save(opt, c->opt);
    put_state(c->state, st);
    sections(c, st, sec, &n);
    return netrt_weights_save_sections(c->m, params, c->scaler, sec, n, path, c->image);
}

/* ---- reading ---- */

static void get_metrics(const uint8_t **p, NetrtMetrics *mt)
{
    mt->loss = get_f64(p);
    mt->accuracy = get_f64(p);
    mt->mse = get_f64(p);
    mt->r2 = get_f64(p);
}

/* Whether two scalings are the same, bit for bit. */
static bool same_scaling(const NetrtScaler *a, const NetrtScaler *b)
{
    NetrtScale ka = a ? a->kind : NETRT_SCALE_NONE, kb = b ? b->kind : NETRT_SCALE_NONE;
    if (ka != kb)
        return false;
    if (ka == NETRT_SCALE_NONE)
        return true;
    return a->n == b->n && memcmp(a->mean, b->mean, (size_t)a->n * sizeof(double)) == 0 &&
           memcmp(a->std, b->std, (size_t)a->n * sizeof(double)) == 0;
}

/* One identity field of the run; an error naming the flag when they differ. */
static int same(const char *path, const char *what, unsigned long long saved,
                unsigned long long now)
{
    if (saved == now)
        return 0;
    netrt_error(path, "checkpoint was written by a run with %s %llu; this run has %llu", what,
                saved, now);
    netrt_hint("resume with the settings of the run that wrote the checkpoint");
    return -1;
}

/* Reads the TRNS fields into st after checking they describe this run. */
static int get_state(const char *path, const uint8_t *p, NetrtTrainState *st, int *nhist)
{
    const uint8_t *q = p;
    uint32_t version = get_u32(&q), epoch = get_u32(&q);
    double seconds = get_f64(&q);
    uint64_t rng[4];
    for (int i = 0; i < 4; i++)
        rng[i] = get_u64(&q);
    uint32_t rows = get_u32(&q), best_epoch = get_u32(&q), since = get_u32(&q);
    double best_loss = get_f64(&q);
    uint32_t n = get_u32(&q), batch = get_u32(&q), kind = get_u32(&q), patience = get_u32(&q);
    uint32_t valid_rows = get_u32(&q);
    uint64_t seed = get_u64(&q), hash = get_u64(&q);
    if (version != STATE_VERSION) {
        netrt_error(path, "checkpoint training state has version %u; this runtime reads %u",
                    version, STATE_VERSION);
        return -1;
    }
    if (kind != (uint32_t)st->optim_kind) {
        netrt_error(path, "checkpoint was written by a run with --optimizer %s; this run "
                    "uses %s", netrt_optim_name((NetrtOptimKind)kind),
                    netrt_optim_name((NetrtOptimKind)st->optim_kind));
        return -1;
    }
    if (same(path, "--batch", batch, (unsigned)st->batch) ||
        same(path, "--seed", seed, st->seed) ||
        same(path, "--patience", patience, (unsigned)st->patience) ||
        same(path, "validation rows", valid_rows, (unsigned)st->valid_rows) ||
        same(path, "training rows", rows, (unsigned)st->rows))
        return -1;
    if (hash != st->data_hash) {
        netrt_error(path, "checkpoint was written for other training data (the rows differ)");
        netrt_hint("resume with the --data, --validation/--valid, --split, --scale and --seed "
                   "of the run that wrote it");
        return -1;
    }
    if (epoch > (uint32_t)st->hist_cap) {
        netrt_error(path, "checkpoint has reached epoch %u, beyond --epochs %d", epoch,
                    st->hist_cap);
        netrt_hint("give --epochs %u or more to continue it", epoch);
        return -1;
    }
    /* one history record per epoch; the best epoch and the wait since are epochs too */
    if (n > epoch || best_epoch > epoch || since > epoch) {
        netrt_error(path, "checkpoint is damaged: its training state is inconsistent (epoch %u, "
                    "%u history records, best epoch %u, %u epochs since)", epoch, n,
                    best_epoch, since);
        return -1;
    }
    st->epoch = (int)epoch;
    st->seconds = seconds;
    memcpy(st->rng.s, rng, sizeof rng);
    st->best_epoch = (int)best_epoch;
    st->since_best = (int)since;
    st->best_loss = best_loss;
    *nhist = (int)n;
    return 0;
}

/* Reads n history records: record i is epoch i + 1, as the trainer writes them. */
static int get_history(const char *path, const uint8_t *p, NetrtTrainState *st, int n)
{
    for (int i = 0; i < n; i++) {
        NetrtEpoch *e = &st->hist[i];
        double epoch = get_f64(&p);
        if (epoch != i + 1) {
            netrt_error(path, "checkpoint is damaged: history record %d is not epoch %d",
                        i + 1, i + 1);
            return -1;
        }
        e->epoch = i + 1;
        e->seconds = get_f64(&p);
        e->lr = get_f64(&p);
        e->batch_loss = get_f64(&p);
        get_metrics(&p, &e->train);
        get_metrics(&p, &e->valid);
        get_metrics(&p, &e->test);
    }
    st->nhist = n;
    return 0;
}

/* Reads the shuffle order, which must be a permutation of the rows. */
static int get_order(const char *path, const uint8_t *p, NetrtTrainState *st)
{
    char *seen = NETRT_CALLOC((size_t)st->rows, 1);
    int rc = seen ? 0 : -1;
    for (int r = 0; rc == 0 && r < st->rows; r++) {
        uint32_t v = get_u32(&p);
        if (v >= (uint32_t)st->rows || seen[v]++) {
            netrt_error(path, "checkpoint is damaged: the shuffle order is not a permutation");
            rc = -1;
        } else {
            st->order[r] = (int)v;
        }
    }
    free(seen);
    return rc;
}

/* Finds a section that must be there with exactly size bytes (size 0: any). */
static const uint8_t *need(const char *path, const uint8_t *file, size_t len, const char *tag,
                           size_t size, size_t *got)
{
    const uint8_t *p = netrt_weights_find_section(file, len, tag, got);
    if (!p && strcmp(tag, "TRNS") == 0) {
        netrt_error(path, "is a weights file, not a checkpoint (it has no training state)");
        netrt_hint("--init starts from weights; --resume needs a file written by --checkpoint");
    } else if (!p || (size && *got != size)) {
        netrt_error(path, "checkpoint is damaged: section %s is %s", tag,
                    p ? "the wrong size" : "missing");
    } else {
        return p;
    }
    return NULL;
}

/* Restores the sections of a checked file image. */
static int restore(NetrtCheckpointer *c, const char *path, const uint8_t *file, size_t len,
                   NetrtOptimizer *opt, NetrtTrainState *st)
{
    size_t size;
    int n;
    const uint8_t *p = need(path, file, len, "TRNS", STATE_FIXED, &size);
    if (!p || get_state(path, p, st, &n))
        return -1;
    if (!(p = need(path, file, len, "ORDR", 4 * (size_t)st->rows, &size)))
        return -1;
    if (get_order(path, p, st))
        return -1;
    if (!(p = need(path, file, len, "HIST", 8 * EPOCH_REALS * (size_t)n, &size)))
        return -1;
    if (st->hist && get_history(path, p, st, n))
        return -1;
    if (!(p = need(path, file, len, "OPTS", 0, &size)))
        return -1;
    if (netrt_optim_state_load(opt, p, size)) {
        netrt_error(path, "cannot resume from this checkpoint's optimizer state");
        return -1;
    }
    size_t best_size = c->m->num_params * (size_t)c->m->real_size;
    if (st->best_epoch > 0 && st->best) {
        if (!(p = need(path, file, len, "BEST", best_size, &size)))
            return -1;
        memcpy(st->best, p, best_size);
    }
    return 0;
}

int netrt_checkpoint_load(NetrtCheckpointer *c, const char *path, void *params,
                          NetrtOptimizer *opt, NetrtTrainState *st)
{
    NetrtScaler sc;
    size_t len;
    uint8_t *file;
    int rc = -1;
    if (netrt_weights_load_scaled(c->m, params, &sc, path))
        return -1;
    file = (uint8_t *)NETRT_READ_FILE(path, &len);
    if (file && !same_scaling(&sc, c->scaler)) {
        netrt_error(path, "checkpoint was written with other input scaling (%s) than this run's "
                    "(%s)", netrt_scale_name(sc.kind),
                    netrt_scale_name(c->scaler ? c->scaler->kind : NETRT_SCALE_NONE));
        netrt_hint("resume with the --scale, --data and --seed of the run that wrote it");
    } else if (file) {
        rc = restore(c, path, file, len, opt, st);
    }
    free(file);
    netrt_scaler_free(&sc);
    return rc;
}
