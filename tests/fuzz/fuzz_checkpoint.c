/* fuzz_checkpoint.c: libFuzzer target for the checkpoint reader
 * (runtime/checkpoint.c, through weights.c and the optimizer state of optim.c).
 * The first byte chooses: bit 0, fix the CRC32 trailer so mutations reach the
 * sections behind it; bits 1-3, the run's optimizer; bit 4, whether the run
 * scales its inputs. The rest is the checkpoint file, written to a temporary
 * path and resumed into a small hand-made model (3 float parameters) with a
 * fixed run identity. Any crash, sanitizer report, leak or restored state that
 * breaks the trainer's invariants (abort) is a bug.
 * NETC_FUZZ_WRITE_SEEDS=DIR fuzz_checkpoint -runs=0 writes the seeds
 * (tests/fuzz/checkpoint_seeds/): checkpoints this harness's runs save. */
#include "internal.h"
#include "netrt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

enum { ROWS = 4, EPOCHS = 8, NPARAMS = 3 };

static const NetrtParamInfo params_info[2] = {
    {.name = "h.w", .offset = 0, .size = 2, .rows = 1, .cols = 2, .is_weight = 1},
    {.name = "h.b", .offset = 2, .size = 1, .rows = 1, .cols = 1},
};

static NetrtModel model(void)
{
    NetrtModel m;
    memset(&m, 0, sizeof m);
    m.name = "fz";
    m.spec_path = "fz.net";
    m.real_size = 4;
    m.num_params = NPARAMS;
    m.input_size = 2;
    m.output_size = 1;
    m.num_param_tensors = 2;
    m.params = params_info;
    m.layout_hash = 0x1234567890abcdefULL;
    return m;
}

static double scale_mean[2] = { 0.5, -1 }, scale_std[2] = { 2, 0.25 };
static const NetrtScaler scaler = { NETRT_SCALE_STANDARD, 2, scale_mean, scale_std };

/* The buffers and identity of one run (the fields describe_run sets in train.c). */
typedef struct {
    int order[ROWS];
    NetrtEpoch hist[EPOCHS];
    float best[NPARAMS];
    NetrtTrainState st;
} Run;

static void run_init(Run *r, NetrtOptimKind kind)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < ROWS; i++)
        r->order[i] = i;
    r->st.order = r->order;
    r->st.rows = ROWS;
    r->st.hist = r->hist;
    r->st.hist_cap = EPOCHS;
    r->st.best = r->best;
    r->st.batch = 2;
    r->st.optim_kind = (int)kind;
    r->st.patience = 3;
    r->st.seed = 1;
    r->st.data_hash = 0xfeedULL;
}

static const char *tmp_path(void)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/netc-fuzz-checkpoint.%ld", (long)getpid());
    return path;
}

static void write_file(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0)
        abort();
}

/* What a restored state must satisfy for the trainer to go on safely. */
static void check_restored(const Run *r)
{
    const NetrtTrainState *st = &r->st;
    char seen[ROWS] = { 0 };
    if (st->epoch < 0 || st->epoch > EPOCHS || st->nhist < 0 || st->nhist > st->epoch ||
        st->best_epoch < 0 || st->best_epoch > st->epoch || st->since_best < 0 ||
        st->since_best > st->epoch)
        abort();
    for (int i = 0; i < ROWS; i++) {
        if (st->order[i] < 0 || st->order[i] >= ROWS || seen[st->order[i]]++)
            abort();
    }
    for (int i = 0; i < st->nhist; i++)
        if (r->hist[i].epoch < 1 || r->hist[i].epoch > st->epoch)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    NetrtOptimKind kind = (NetrtOptimKind)((data[0] >> 1) & 7);
    const NetrtScaler *sc = data[0] & 0x10 ? &scaler : NULL;
    uint8_t *file = malloc(size);
    if (!file)
        abort();
    memcpy(file, data + 1, size - 1);
    if ((data[0] & 1) && size - 1 >= 4) {
        uint32_t crc = (uint32_t)crc32(0, file, (uInt)(size - 5));
        netrt_put_u32(file + size - 5, crc);
    }
    write_file(tmp_path(), file, size - 1);
    free(file);

    NetrtModel m = model();
    NetrtOptimConfig cfg;
    NetrtOptimizer opt;
    NetrtCheckpointer ck;
    Run run;
    float params[NPARAMS];
    netrt_optim_defaults(&cfg, kind);
    if (netrt_optim_init(&opt, &m, &cfg))
        abort();
    run_init(&run, kind);
    if (netrt_checkpointer_init(&ck, &m, sc, &opt, ROWS, EPOCHS, true))
        abort();
    if (netrt_checkpoint_load(&ck, tmp_path(), params, &opt, &run.st) == 0)
        check_restored(&run);
    netrt_checkpointer_free(&ck);
    netrt_optim_free(&opt);
    remove(tmp_path());
    return 0;
}

/* ---- seeds ---- */

/* Saves a checkpoint of a made-up run after `epochs` epochs, as the trainer would. */
static void write_seed(const char *dir, NetrtOptimKind kind, const NetrtScaler *sc, int epochs,
                       int best_epoch)
{
    NetrtModel m = model();
    NetrtOptimConfig cfg;
    NetrtOptimizer opt;
    NetrtCheckpointer ck;
    Run run;
    float params[NPARAMS] = { 0.25f, -0.5f, 1 }, grad[NPARAMS] = { 0.1f, -0.2f, 0.3f };
    char path[512];
    netrt_optim_defaults(&cfg, kind);
    if (netrt_optim_init(&opt, &m, &cfg))
        abort();
    run_init(&run, kind);
    if (kind != NETRT_OPT_LBFGS)
        netrt_optim_step(&opt, params, grad, 0.01);
    run.st.epoch = epochs;
    run.st.nhist = epochs;
    for (int i = 0; i < epochs; i++)
        run.hist[i] = (NetrtEpoch){ .epoch = i + 1, .seconds = 0.1 * (i + 1), .lr = 0.01,
                                    .batch_loss = 1.0 / (i + 1), .train = { .loss = 0.5 } };
    run.st.best_epoch = best_epoch;
    run.st.since_best = best_epoch ? epochs - best_epoch : 0;
    run.st.best_loss = best_epoch ? 0.25 : 1e300;
    if (!best_epoch)
        run.st.best = NULL;
    run.order[0] = 2;
    run.order[2] = 0;
    uint8_t flags = (uint8_t)((int)kind << 1 | (sc ? 0x10 : 0));
    snprintf(path, sizeof path, "%s/%s%s_e%d_b%d.ckpt", dir, netrt_optim_name(kind),
             sc ? "_scaled" : "", epochs, best_epoch);
    if (netrt_checkpointer_init(&ck, &m, sc, &opt, ROWS, EPOCHS, true) ||
        netrt_checkpoint_save(&ck, tmp_path(), params, &opt, &run.st))
        abort();
    /* the seed is the flags byte, then the file */
    FILE *in = fopen(tmp_path(), "rb"), *out = fopen(path, "wb");
    int ch;
    if (!in || !out)
        abort();
    fputc(flags, out);
    while ((ch = fgetc(in)) != EOF)
        fputc(ch, out);
    fclose(in);
    if (fclose(out) != 0)
        abort();
    netrt_checkpointer_free(&ck);
    netrt_optim_free(&opt);
    remove(tmp_path());
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("NETC_FUZZ_WRITE_SEEDS");
    (void)argc;
    (void)argv;
    if (!dir)
        return 0;
    write_seed(dir, NETRT_OPT_SGD, NULL, 3, 2);
    write_seed(dir, NETRT_OPT_ADAM, &scaler, 2, 0);
    write_seed(dir, NETRT_OPT_LBFGS, NULL, 1, 1);
    write_seed(dir, NETRT_OPT_RMSPROP, NULL, 8, 5);
    exit(0);
}
