/* test_cli.c: netrt_main, the trainer command line, driven with the toy
 * logistic model: train/predict/eval/grad/gradcheck outputs, input scaling
 * saved with the weights, and exit status 2 for usage errors, 1 for bad input. */
#include <stdarg.h>

#include "check.h"
#include "netrt.h"
#include "testutil.h"
#include "toy_model.h"

static const char *out, *err;

/* Runs `toy ARGS...` (NULL-terminated), capturing stdout and stderr. */
static int run(const char *first, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    argv[argc++] = "toy";
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    capture_fd_begin(1);
    capture_fd_begin(2);
    int rc = netrt_main(&toy_logistic, argc, argv);
    err = capture_fd_end(2);
    out = capture_fd_end(1);
    return rc;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_train_predict_eval(void)
{
    const char *w = tmp_path("toy.weights"), *data = "tests/data/separable.csv";
    CHECK_EQ_INT(run("train", "--data", data, "--test", data, "--out", w, "--quiet", NULL), 0);
    CHECK_CONTAINS(out, "train: loss ");
    CHECK_CONTAINS(out, " accuracy 100.00%\ntest: loss ");
    CHECK_CONTAINS(out, "saved weights to ");
    CHECK(strcmp(err, "") == 0);

    CHECK_EQ_INT(run("predict", "--weights", w, "--data", data, NULL), 0);
    CHECK(strncmp(out, "output_0,class\n", 15) == 0);
    CHECK_EQ_INT(count_lines(out), 13);
    CHECK_CONTAINS(out, ",1\n");
    CHECK_CONTAINS(out, ",0\n");
    /* rows 1-6 are class 1, rows 7-12 class 0: the class column says so */
    const char *line = strchr(out, '\n') + 1;
    int right = 0;
    for (int r = 0; r < 12 && line; r++) {
        const char *comma = strchr(line, ',');
        right += comma && comma[1] == (r < 6 ? '1' : '0');
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    CHECK_EQ_INT(right, 12);

    CHECK_EQ_INT(run("eval", "--weights", w, "--data", data, NULL), 0);
    CHECK(strncmp(out, "eval: loss ", 11) == 0);
    CHECK_CONTAINS(out, " accuracy 100.00%\n");

    /* predict also takes inputs without targets */
    const char *inputs = write_tmp("inputs.csv", "x1,x2\n3,3\n-3,-3\n");
    CHECK_EQ_INT(run("predict", "--weights", w, "--data", inputs, NULL), 0);
    CHECK_EQ_INT(count_lines(out), 3);
    CHECK_CONTAINS(out, ",1\n");
    CHECK_CONTAINS(out, ",0\n");

    /* --init continues from saved weights */
    CHECK_EQ_INT(run("train", "--data", data, "--init", w, "--epochs", "1", "--quiet", NULL), 0);
    CHECK_CONTAINS(out, "accuracy 100.00%");
}

/* grad prints the loss, each gradient entry and each output at full precision. */
static void test_grad(void)
{
    const char *w = tmp_path("grad.weights");
    const double p[3] = { 0.5, -0.25, 0.125 };
    const char *data = write_tmp("grad.csv", "x1,x2,label\n0.1,0.2,1\n-0.3,0.7,0\n");
    double loss, g[3], expect_g[3];
    const double x[4] = { 0.1, 0.2, -0.3, 0.7 }, t[2] = { 1, 0 };
    netrt_weights_save(&toy_logistic, p, w);
    CHECK_EQ_INT(run("grad", "--weights", w, "--data", data, "--dropout-seed", "5", NULL), 0);
    double expect = toy_logistic.loss_grad(expect_g, p, x, t, 2, 5, NULL);
    CHECK(sscanf(out, "loss %lf\ngrad 0 %lf\ngrad 1 %lf\ngrad 2 %lf", &loss, &g[0], &g[1],
                 &g[2]) == 4);
    CHECK(loss == expect);      /* exact: the inputs were read as doubles */
    CHECK(g[0] == expect_g[0] && g[1] == expect_g[1] && g[2] == expect_g[2]);
    CHECK_CONTAINS(out, "\noutput 0 0 0.5");
    CHECK_CONTAINS(out, "\noutput 1 0 ");
    CHECK_EQ_INT(count_lines(out), 1 + 3 + 2);
}

static void test_gradcheck(void)
{
    CHECK_EQ_INT(run("gradcheck", "--seed", "3", "--samples", "5", "--all", NULL), 0);
    CHECK_CONTAINS(out, "5 samples, seed 3, all entries");
    CHECK_CONTAINS(out, "gradcheck: PASS");
    toy_grad_bug = 1e-3;
    CHECK_EQ_INT(run("gradcheck", NULL), 1);
    CHECK_CONTAINS(out, "gradcheck: FAIL");
    toy_grad_bug = 0;
    CHECK_EQ_INT(run("gradcheck", "--data", "tests/data/separable.csv", "--tolerance", "1e-8",
                     NULL), 0);
    CHECK_CONTAINS(out, "4 samples from the data");
    CHECK_CONTAINS(out, "tolerance 1e-08)");
}

/* Scaling fitted at training time is saved and applied again by eval/predict. */
static void test_scaling(void)
{
    const char *w = tmp_path("scaled.weights"), *data = "tests/data/separable.csv";
    CHECK_EQ_INT(run("train", "--data", data, "--out", w, "--quiet", "--scale", "standard", NULL),
                 0);
    NetrtWeightsFile wf;
    if (CHECK(netrt_weights_read(&wf, w) == 0)) {
        CHECK(wf.scale.kind == NETRT_SCALE_STANDARD && wf.scale.n == 2);
        netrt_weights_file_free(&wf);
    }
    CHECK_EQ_INT(run("eval", "--weights", w, "--data", data, NULL), 0);
    CHECK_CONTAINS(out, "accuracy 100.00%");
    CHECK_EQ_INT(run("train", "--data", data, "--out", w, "--quiet", "--scale", "minmax", NULL),
                 0);
    if (CHECK(netrt_weights_read(&wf, w) == 0)) {
        CHECK(wf.scale.kind == NETRT_SCALE_MINMAX && wf.scale.n == 2);
        CHECK(wf.scale.mean[0] == -2.0 && wf.scale.std[0] == 4.0);    /* min, max - min */
        netrt_weights_file_free(&wf);
    }
    CHECK_EQ_INT(run("predict", "--weights", w, "--data", data, NULL), 0);
    CHECK_EQ_INT(run("train", "--data", data, "--scale", "robust", NULL), 2);
    CHECK_CONTAINS(err, "--scale expects none, standard or minmax, found 'robust'");
}

/* The training flags reach the run: optimizers, held-out sets, reports. */
static void test_training_flags(void)
{
    const char *data = "tests/data/separable.csv", *log = tmp_path("log.csv");
    const char *plot = tmp_path("plot.svg");
    CHECK_EQ_INT(run("train", "--data", data, "--optimizer", "adam", "--lr", "0.1", "--quiet",
                     "--log", log, "--plot", plot, "--epochs", "30", NULL), 0);
    CHECK_CONTAINS(out, "train: loss ");
    CHECK(access(log, F_OK) == 0 && access(plot, F_OK) == 0);
    /* a classifier's report: confusion matrix of the training set without a test set */
    CHECK_CONTAINS(out, "confusion matrix (train; rows: true class, columns: predicted class):");
    CHECK_CONTAINS(out, "   class  precision     recall         f1    support\n");

    CHECK_EQ_INT(run("train", "--data", data, "--split", "0.25", "--quiet", NULL), 0);
    CHECK_CONTAINS(out, "confusion matrix (test;");
    CHECK_CONTAINS(out, "\ntest: loss ");
    CHECK_EQ_INT(run("train", "--data", data, "--validation", "0.25", "--patience", "5",
                     "--quiet", NULL), 0);
    CHECK_CONTAINS(out, "early stopping: best epoch ");
    CHECK_CONTAINS(out, "\nvalidation: loss ");
    CHECK_EQ_INT(run("train", "--data", data, "--valid", data, "--patience", "5", "--epochs",
                     "3", NULL), 0);
    CHECK_CONTAINS(err, "  valid loss ");
    CHECK_CONTAINS(out, "early stopping: best epoch 3 (validation loss ");

    /* a flag the optimizer does not use is ignored, with a warning */
    CHECK_EQ_INT(run("train", "--data", data, "--beta1", "0.8", "--quiet", "--epochs", "2",
                     NULL), 0);
    CHECK_CONTAINS(err, "toy train: warning: --beta1/--beta2 does not apply to optimizer 'sgd'");
    CHECK_EQ_INT(run("train", "--data", data, "--nesterov", "--quiet", "--epochs", "2", NULL),
                 2);
    CHECK_CONTAINS(err, "Nesterov momentum needs --momentum > 0");
    CHECK_EQ_INT(run("train", "--data", data, "--nesterov", "--momentum", "0.9", "--quiet",
                     "--epochs", "2", NULL), 0);
    /* a target column by name */
    const char *moved = write_tmp("moved.csv", "y,x1,x2\n1,1,1\n0,-1,-1\n1,2,0\n0,0,-2\n");
    CHECK_EQ_INT(run("train", "--data", moved, "--target", "y", "--quiet", NULL), 0);
    CHECK_EQ_INT(run("train", "--data", moved, "--target", "z", "--quiet", NULL), 1);
    CHECK_CONTAINS(err, "moved.csv:1:1: error: no column named 'z' in the header");
}

/* Wrong values for the new flags are usage errors (exit 2) with a message. */
static void test_training_flag_errors(void)
{
    const char *data = "tests/data/separable.csv";
    const struct { const char *flag, *value, *message; } cases[] = {
        { "--optimizer", "adamax", "--optimizer expects sgd, nesterov, adagrad, rmsprop, "
          "adadelta, adam, adamw or lbfgs, found 'adamax'" },
        { "--schedule", "linear", "--schedule expects constant, step, invscaling or cosine, "
          "found 'linear'" },
        { "--validation", "1.5", "--validation must be in [0, 1), found 1.5" },
        { "--split", "0", "--split must be in (0, 1), found 0" },
        { "--beta2", "1", "--beta2 must be in [0, 1), found 1" },
        { "--lr-gamma", "0", "--lr-gamma must be > 0, found 0" },
        { "--weight-decay", "-0.1", "--weight-decay must be >= 0, found -0.1" },
        { "--clip", "x", "--clip expects a number, found 'x'" },
        { "--history", "0", "--history, --lr-step and --checkpoint-every must be at least 1" },
        { "--patience", "-1", "--patience expects a whole number >= 0, found '-1'" },
        { "--patience", "3", "--patience needs a validation set" },
        { "--checkpoint-every", "2", "--checkpoint-every needs --checkpoint FILE" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ_INT(run("train", "--data", data, cases[i].flag, cases[i].value, NULL), 2);
        CHECK_CONTAINS(err, cases[i].message);
    }
    CHECK_EQ_INT(run("train", "--data", data, "--valid", data, "--validation", "0.1", NULL), 2);
    CHECK_CONTAINS(err, "give --validation FRACTION or --valid FILE, not both");
    CHECK_EQ_INT(run("train", "--data", data, "--test", data, "--split", "0.1", NULL), 2);
    CHECK_CONTAINS(err, "give --test FILE or --split FRACTION, not both");
    CHECK_EQ_INT(run("train", "--data", data, "--init", "a", "--resume", "b", NULL), 2);
    CHECK_CONTAINS(err, "give --init WEIGHTS or --resume CHECKPOINT, not both");
    CHECK_EQ_INT(run("train", "--data", data, "--nesterov", "--optimizer", "adam", NULL), 2);
    CHECK_CONTAINS(err, "--nesterov applies to optimizer sgd, not 'adam'");
    CHECK_EQ_INT(run("train", "--data", data, "--split", "0.95", "--quiet", NULL), 1);
    CHECK_CONTAINS(err, "no row would be left to train on");
    /* an unwritable plot or checkpoint is reported before any training */
    CHECK_EQ_INT(run("train", "--data", data, "--plot", tmp_path("no/such/dir/p.svg"), NULL), 1);
    CHECK_CONTAINS(err, "p.svg: error: cannot write the plot there: No such file or directory");
    CHECK(strstr(err, "epoch") == NULL);
    CHECK_EQ_INT(run("train", "--data", data, "--checkpoint", tmp_path("no/c.ckpt"), NULL), 1);
    CHECK_CONTAINS(err, "c.ckpt: error: cannot write the checkpoint there");
}

/* --checkpoint then --resume through the command line: the same weights as one run. */
static void test_checkpoint_flags(void)
{
    const char *data = "tests/data/separable.csv", *ck = tmp_path("cli.ckpt");
    const char *a = tmp_path("straight.w"), *b = tmp_path("resumed.w");
    unsigned char wa[256], wb[256];
    CHECK_EQ_INT(run("train", "--data", data, "--epochs", "10", "--momentum", "0.9", "--quiet",
                     "--out", a, NULL), 0);
    CHECK_EQ_INT(run("train", "--data", data, "--epochs", "4", "--momentum", "0.9", "--quiet",
                     "--checkpoint", ck, "--checkpoint-every", "2", NULL), 0);
    CHECK_EQ_INT(run("train", "--data", data, "--epochs", "10", "--momentum", "0.9",
                     "--resume", ck, "--out", b, "--no-progress", NULL), 0);
    CHECK_CONTAINS(err, "resumed from ");
    CHECK_CONTAINS(err, " at epoch 4\n");
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    size_t na = fa ? fread(wa, 1, sizeof wa, fa) : 0, nb = fb ? fread(wb, 1, sizeof wb, fb) : 1;
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    CHECK(na > 0 && na == nb && memcmp(wa, wb, na) == 0);
    CHECK_EQ_INT(run("train", "--data", data, "--epochs", "10", "--batch", "3", "--resume", ck,
                     NULL), 1);
    CHECK_CONTAINS(err, "cli.ckpt: error: checkpoint was written by a run with --batch 4; this "
                   "run has 3");
}

static void test_usage_and_input_errors(void)
{
    const char *data = "tests/data/separable.csv";
    CHECK_EQ_INT(run(NULL), 2);
    CHECK_CONTAINS(err, "usage: toy SUBCOMMAND");
    CHECK_EQ_INT(run("--help", NULL), 0);
    CHECK_CONTAINS(out, "usage: toy SUBCOMMAND");
    CHECK_EQ_INT(run("--version", NULL), 0);
    CHECK_CONTAINS(out, "netrt " NETRT_VERSION);
    CHECK_EQ_INT(run("fly", NULL), 2);
    CHECK_CONTAINS(err, "toy: error: unknown subcommand 'fly'");
    CHECK_EQ_INT(run("train", "--help", NULL), 0);
    CHECK_CONTAINS(out, "usage: toy train --data TRAIN [--test TEST | --split F]");
    CHECK_EQ_INT(run("train", NULL), 2);
    CHECK_CONTAINS(err, "toy train: error: --data is required\ntry 'toy train --help'\n");
    CHECK_EQ_INT(run("train", "--data", data, "--epochs", "ten", NULL), 2);
    CHECK_CONTAINS(err, "--epochs expects a whole number up to 1e9, found 'ten'");
    CHECK_EQ_INT(run("train", "--data", data, "--epochs", "0", NULL), 2);
    CHECK_EQ_INT(run("train", "--data", data, "--lr=-1", NULL), 2);
    CHECK_CONTAINS(err, "--lr must be > 0, found -1");
    CHECK_EQ_INT(run("train", "--data", data, "--momentum", "1", NULL), 2);
    CHECK_EQ_INT(run("train", "--data", data, "--bogus", NULL), 2);
    CHECK_CONTAINS(err, "unknown option '--bogus'");
    CHECK_EQ_INT(run("train", "--data", NULL), 2);
    CHECK_CONTAINS(err, "--data needs a value");
    CHECK_EQ_INT(run("predict", "--data", data, NULL), 2);
    CHECK_CONTAINS(err, "--weights is required");
    CHECK_EQ_INT(run("eval", "--weights", "x", "--data", data, "--epochs", "3", NULL), 2);
    CHECK_CONTAINS(err, "unknown option '--epochs'");
    CHECK_EQ_INT(run("predict", "--weights", tmp_path("missing.weights"), "--data", data, NULL),
                 1);
    CHECK_CONTAINS(err, "cannot open for reading");
    CHECK_EQ_INT(run("train", "--data", "tests/data/crlf_comments.csv", NULL), 1);
    CHECK_CONTAINS(err, "crlf_comments.csv:6:3: error: expected a binary label 0 or 1, found '2'");
}

int main(void)
{
    tmpdir_create();
    test_train_predict_eval();
    test_grad();
    test_gradcheck();
    test_scaling();
    test_training_flags();
    test_training_flag_errors();
    test_checkpoint_flags();
    test_usage_and_input_errors();
    tmpdir_remove();
    return check_summary("test_cli");
}
