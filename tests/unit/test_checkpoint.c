/* test_checkpoint.c: a run interrupted after some epochs and resumed from its
 * checkpoint ends with the bit-identical weights of the uninterrupted run (Adam
 * state, dropout, shuffles, validation and early stopping included); the
 * checkpoint is also a weights file; resuming another run is refused. */
#include "check.h"
#include "netrt.h"
#include "testutil.h"
#include "toy_model.h"

/* 40 rows, 3 features, 3 classes from a fixed formula. */
static const char *mlp_csv(void)
{
    static char text[4096];
    int n = snprintf(text, sizeof text, "a,b,c,label\n");
    for (int i = 0; i < 40; i++) {
        double a = (i * 37 % 17) / 8.0 - 1, b = (i * 11 % 13) / 6.0 - 1, c = (i % 7) / 3.0 - 1;
        int label = a + b > 0.3 ? 2 : a - c > 0 ? 1 : 0;
        n += snprintf(text + n, sizeof text - (size_t)n, "%.4f,%.4f,%.4f,%d\n", a, b, c, label);
    }
    return write_tmp("mlp.csv", text);
}

static NetrtTrainOptions adam_options(const NetrtDataset *valid)
{
    NetrtTrainOptions o;
    netrt_train_options_default(&o, &toy_mlp);
    netrt_optim_defaults(&o.optim, NETRT_OPT_ADAM);
    o.optim.lr = 0.02;
    o.optim.schedule = NETRT_SCHED_STEP;
    o.optim.step_size = 3;
    o.optim.gamma = 0.5;
    o.batch = 8;
    o.epochs = 10;
    o.seed = 3;
    o.quiet = 1;
    o.valid = valid;
    o.patience = 100;       /* tracked, never reached */
    return o;
}

static int lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, c;
    while (f && (c = fgetc(f)) != EOF)
        n += c == '\n';
    if (f)
        fclose(f);
    return n;
}

static void test_resume_bit_identical(void)
{
    NetrtDataset ds, valid;
    NetrtTrainResult r;
    double straight[38], resumed[38], at4[38], loaded[38];
    const char *ck = tmp_path("run.ckpt"), *log = tmp_path("resumed.csv");
    toy_mlp_drop = 0.2;
    if (!CHECK(netrt_dataset_load_csv(&ds, &toy_mlp, mlp_csv()) == 0))
        return;
    CHECK_EQ_INT(netrt_dataset_split(&ds, &valid, 0.25, 11), 0);
    NetrtTrainOptions o = adam_options(&valid);
    toy_mlp.init_params(straight, o.seed);
    CHECK_EQ_INT(netrt_train(&toy_mlp, straight, &ds, NULL, &o, NULL), 0);

    /* 4 epochs with a checkpoint, then 6 more from it into other memory */
    toy_mlp.init_params(at4, o.seed);
    o.epochs = 4;
    o.checkpoint_path = ck;
    CHECK_EQ_INT(netrt_train(&toy_mlp, at4, &ds, NULL, &o, NULL), 0);
    memset(resumed, 0, sizeof resumed);
    o.epochs = 10;
    o.resume_path = ck;
    o.checkpoint_path = tmp_path("run2.ckpt");
    o.log_path = log;
    CHECK_EQ_INT(netrt_train(&toy_mlp, resumed, &ds, NULL, &o, &r), 0);
    CHECK_EQ_INT(r.resumed_from, 4);
    CHECK_EQ_INT(r.epochs_run, 10);
    CHECK(memcmp(straight, resumed, sizeof straight) == 0);
    CHECK(memcmp(straight, at4, sizeof straight) != 0);
    CHECK_EQ_INT(lines(log), 11);       /* the log holds all 10 epochs, not just the last 6 */

    /* the checkpoint is a weights file too: predict and eval can use it */
    CHECK_EQ_INT(netrt_weights_load(&toy_mlp, loaded, ck), 0);
    CHECK(memcmp(loaded, at4, sizeof loaded) == 0);

    /* resuming a run that already ended trains no more */
    o.resume_path = tmp_path("run2.ckpt");
    o.checkpoint_path = NULL;
    o.log_path = NULL;
    CHECK_EQ_INT(netrt_train(&toy_mlp, resumed, &ds, NULL, &o, &r), 0);
    CHECK(memcmp(straight, resumed, sizeof straight) == 0);
    netrt_dataset_free(&valid);
    netrt_dataset_free(&ds);
    toy_mlp_drop = 0;
}

/* Each mismatch names what differs. */
static void expect_refused(const NetrtModel *m, const NetrtDataset *ds, NetrtTrainOptions o,
                           const char *message)
{
    double p[38];
    m->init_params(p, 1);
    capture_begin();
    int rc = netrt_train(m, p, ds, NULL, &o, NULL);
    const char *err = capture_end();
    CHECK_EQ_INT(rc, -1);
    CHECK_CONTAINS(err, message);
}

static void test_resume_refused(void)
{
    NetrtDataset ds, valid, other;
    double p[38];
    const char *ck = tmp_path("a.ckpt"), *w = tmp_path("plain.weights");
    if (!CHECK(netrt_dataset_load_csv(&ds, &toy_mlp, mlp_csv()) == 0) ||
        !CHECK(netrt_dataset_load_csv(&other, &toy_mlp, mlp_csv()) == 0))
        return;
    CHECK_EQ_INT(netrt_dataset_split(&ds, &valid, 0.25, 11), 0);
    NetrtTrainOptions o = adam_options(&valid);
    o.epochs = 2;
    o.checkpoint_path = ck;
    toy_mlp.init_params(p, o.seed);
    CHECK_EQ_INT(netrt_train(&toy_mlp, p, &ds, NULL, &o, NULL), 0);
    CHECK_EQ_INT(netrt_weights_save(&toy_mlp, p, w), 0);
    o.checkpoint_path = NULL;
    o.resume_path = ck;
    NetrtTrainOptions bad = o;
    bad.batch = 4;
    expect_refused(&toy_mlp, &ds, bad, "a.ckpt: error: checkpoint was written by a run with "
                   "--batch 8; this run has 4");
    bad = o;
    bad.seed = 4;
    expect_refused(&toy_mlp, &ds, bad, "with --seed 3; this run has 4");
    bad = o;
    netrt_optim_defaults(&bad.optim, NETRT_OPT_SGD);
    expect_refused(&toy_mlp, &ds, bad, "was written by a run with --optimizer adam; this run "
                   "uses sgd");
    bad = o;
    bad.epochs = 1;
    expect_refused(&toy_mlp, &ds, bad, "checkpoint has reached epoch 2, beyond --epochs 1");
    other.x[0] += 1;     /* the same row count, another value */
    other.rows = ds.rows;
    expect_refused(&toy_mlp, &other, o, "checkpoint was written for other training data");
    bad = o;
    bad.resume_path = w;
    expect_refused(&toy_mlp, &ds, bad, "plain.weights: error: is a weights file, not a "
                   "checkpoint");
    bad.resume_path = tmp_path("none.ckpt");
    expect_refused(&toy_mlp, &ds, bad, "none.ckpt: error: cannot open for reading");
    NetrtScaler sc = { NETRT_SCALE_NONE, 0, NULL, NULL };
    double mean[3] = { 0, 0, 0 }, sd[3] = { 1, 1, 1 };
    sc.kind = NETRT_SCALE_STANDARD;
    sc.n = 3;
    sc.mean = mean;
    sc.std = sd;
    bad = o;
    bad.scaler = &sc;
    expect_refused(&toy_mlp, &ds, bad, "checkpoint was written with other input scaling (none) "
                   "than this run's (standard)");
    netrt_dataset_free(&valid);
    netrt_dataset_free(&ds);
    netrt_dataset_free(&other);
}

/* Early stopping's state survives a resume: stopping at epoch 4 with epoch 1's
 * weights, whether or not the run was interrupted after epoch 2. */
static void test_resume_early_stopping(void)
{
    NetrtDataset ds, flipped;
    NetrtTrainResult r;
    double a[3], b[3];
    const char *ck = tmp_path("es.ckpt");
    if (!CHECK(netrt_dataset_load_csv(&ds, &toy_logistic, "tests/data/separable.csv") == 0) ||
        !CHECK(netrt_dataset_load_csv(&flipped, &toy_logistic, "tests/data/separable.csv") == 0))
        return;
    for (int i = 0; i < flipped.rows; i++) {
        flipped.t[i] = 1 - flipped.t[i];
        flipped.label[i] = 1 - flipped.label[i];
    }
    NetrtTrainOptions o;
    netrt_train_options_default(&o, &toy_logistic);
    o.quiet = 1;
    o.epochs = 50;
    o.valid = &flipped;
    o.patience = 3;
    toy_logistic.init_params(a, o.seed);
    CHECK_EQ_INT(netrt_train(&toy_logistic, a, &ds, NULL, &o, &r), 0);
    CHECK(r.best_epoch == 1 && r.epochs_run == 4);

    toy_logistic.init_params(b, o.seed);
    o.epochs = 2;
    o.checkpoint_path = ck;
    CHECK_EQ_INT(netrt_train(&toy_logistic, b, &ds, NULL, &o, NULL), 0);
    o.epochs = 50;
    o.checkpoint_path = NULL;
    o.resume_path = ck;
    memset(b, 0, sizeof b);
    CHECK_EQ_INT(netrt_train(&toy_logistic, b, &ds, NULL, &o, &r), 0);
    CHECK(r.best_epoch == 1 && r.epochs_run == 4 && r.stopped_early);
    CHECK(memcmp(a, b, sizeof a) == 0);
    netrt_dataset_free(&ds);
    netrt_dataset_free(&flipped);
}

int main(void)
{
    tmpdir_create();
    test_resume_bit_identical();
    test_resume_refused();
    test_resume_early_stopping();
    tmpdir_remove();
    return check_summary("test_checkpoint");
}
