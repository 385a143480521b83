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
    CHECK_EQ_INT(run("train", "--data", data, "--scale", "minmax", NULL), 2);
    CHECK_CONTAINS(err, "--scale expects 'none' or 'standard', found 'minmax'");
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
    CHECK_CONTAINS(out, "usage: toy train --data TRAIN.csv");
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
    test_usage_and_input_errors();
    tmpdir_remove();
    return check_summary("test_cli");
}
