/* test_train.c: training the toy logistic model separates a separable set in
 * double and in float, runs are repeatable, a non-finite loss stops training,
 * and evaluation, metrics lines and progress lines are what they should be. */
#include "check.h"
#include "netrt.h"
#include "testutil.h"
#include "toy_model.h"

static NetrtTrainOptions quiet_options(const NetrtModel *m)
{
    NetrtTrainOptions o;
    netrt_train_options_default(&o, m);
    o.quiet = 1;
    return o;
}

static void test_separable_double_and_float(void)
{
    NetrtDataset ds;
    NetrtMetrics before, after;
    double p[3];
    float pf[3];
    if (!CHECK(netrt_dataset_load_csv(&ds, &toy_logistic, "tests/data/separable.csv") == 0))
        return;
    NetrtTrainOptions o = quiet_options(&toy_logistic);
    toy_logistic.init_params(p, o.seed);
    netrt_evaluate(&toy_logistic, p, &ds, &before);
    CHECK_EQ_INT(netrt_train(&toy_logistic, p, &ds, NULL, &o), 0);
    netrt_evaluate(&toy_logistic, p, &ds, &after);
    CHECK_NEAR(after.accuracy, 1.0, 0);
    CHECK(after.loss < 0.2 && after.loss < before.loss);

    o = quiet_options(&toy_logistic_f32);
    toy_logistic_f32.init_params(pf, o.seed);
    CHECK_EQ_INT(netrt_train(&toy_logistic_f32, pf, &ds, &ds, &o), 0);
    netrt_evaluate(&toy_logistic_f32, pf, &ds, &after);
    CHECK_NEAR(after.accuracy, 1.0, 0);
    CHECK(after.loss < 0.2);
    netrt_dataset_free(&ds);
}

static void test_repeatable(void)
{
    NetrtDataset ds;
    double a[3], b[3], c[3];
    if (!CHECK(netrt_dataset_load_csv(&ds, &toy_logistic, "tests/data/separable.csv") == 0))
        return;
    NetrtTrainOptions o = quiet_options(&toy_logistic);
    o.epochs = 5;
    o.momentum = 0.5;
    toy_logistic.init_params(a, 1);
    memcpy(b, a, sizeof a);
    memcpy(c, a, sizeof a);
    netrt_train(&toy_logistic, a, &ds, NULL, &o);
    netrt_train(&toy_logistic, b, &ds, NULL, &o);
    o.seed = 2;     /* another shuffle order */
    netrt_train(&toy_logistic, c, &ds, NULL, &o);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(memcmp(a, c, sizeof a) != 0);
    netrt_dataset_free(&ds);
}

/* loss_grad that returns NaN on its 5th call. */
static int nan_calls;
static double nan_loss_grad(void *grad, const void *params, const void *x, const void *t, int n,
                            unsigned long long seed, void *work)
{
    double loss = toy_logistic_loss_grad(grad, params, x, t, n, seed, work);
    return ++nan_calls == 5 ? NAN : loss;
}

static void test_nonfinite_loss_stops(void)
{
    NetrtDataset ds;
    NetrtModel m = toy_logistic;
    double p[3] = { 0, 0, 0 };
    m.loss_grad = nan_loss_grad;
    if (!CHECK(netrt_dataset_load_csv(&ds, &m, "tests/data/separable.csv") == 0))
        return;
    NetrtTrainOptions o = quiet_options(&m);
    o.batch = 4;    /* 12 rows: 3 batches per epoch, so call 5 is epoch 2, batch 2 */
    capture_begin();
    int rc = netrt_train(&m, p, &ds, NULL, &o);
    const char *err = capture_end();
    CHECK_EQ_INT(rc, -1);
    CHECK_CONTAINS(err, "error: training stopped: the loss is nan at epoch 2, batch 2 of 3");
    CHECK_CONTAINS(err, "hint: lower the learning rate");
    netrt_dataset_free(&ds);
}

/* Known parameters: loss, accuracy, mse and r2 against values computed here. */
static void test_evaluate_classification(void)
{
    NetrtDataset ds;
    NetrtMetrics mt;
    const double p[3] = { 1.0, 1.0, 0.0 };     /* sign(x1 + x2) is the label */
    double loss = 0;
    if (!CHECK(netrt_dataset_load_csv(&ds, &toy_logistic, "tests/data/separable.csv") == 0))
        return;
    for (int r = 0; r < ds.rows; r++) {
        double z = (double)ds.x[2 * r] + (double)ds.x[2 * r + 1];
        double py = 1 / (1 + exp(-z));
        loss -= ds.t[r] ? log(py) : log(1 - py);
    }
    netrt_evaluate(&toy_logistic, p, &ds, &mt);
    CHECK_NEAR(mt.loss, loss / ds.rows, 1e-12);
    CHECK_NEAR(mt.accuracy, 1.0, 0);
    const double q[3] = { -1.0, -1.0, 0.0 };   /* every prediction wrong */
    netrt_evaluate(&toy_logistic, q, &ds, &mt);
    CHECK_NEAR(mt.accuracy, 0.0, 0);
    netrt_dataset_free(&ds);
}

static void test_evaluate_regression(void)
{
    NetrtDataset ds;
    NetrtMetrics mt;
    /* y0 = x0, y1 = x1 + 1 */
    const double p[6] = { 1, 0, 0, 1, 0, 1 };
    const char *path = write_tmp("reg.csv", "a,b,t0,t1\n0,0,1,1\n1,2,1,3\n2,4,3,6\n");
    if (!CHECK(netrt_dataset_load_csv(&ds, &toy_linear, path) == 0))
        return;
    /* residuals: row0 (0-1, 1-1), row1 (1-1, 3-3), row2 (2-3, 5-6) -> SS_res = 3 */
    /* column means 5/3 and 10/3: SS_tot = (4/9+4/9+16/9) + (49/9+1/9+64/9) = 138/9 */
    netrt_evaluate(&toy_linear, p, &ds, &mt);
    CHECK_NEAR(mt.mse, 3.0 / 6, 1e-12);
    CHECK_NEAR(mt.loss, 3.0 / 6, 1e-12);
    CHECK_NEAR(mt.r2, 1 - 3 / (138.0 / 9), 1e-12);
    netrt_dataset_free(&ds);
}

static void test_print_metrics(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    NetrtMetrics c = { .loss = 0.0123, .accuracy = 1.0 };
    NetrtMetrics r = { .loss = 0.0871, .mse = 0.0871, .r2 = 0.4321 };
    netrt_print_metrics(f, &toy_logistic, "train", &c);
    netrt_print_metrics(f, &toy_linear, "test", &r);
    fclose(f);
    CHECK(strcmp(buf, "train: loss 0.0123 accuracy 100.00%\n"
                      "test: loss 0.0871 mse 0.0871 r2 0.4321\n") == 0);
    free(buf);
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (s = strstr(s, needle); s; s = strstr(s + 1, needle))
        n++;
    return n;
}

static void test_progress_lines(void)
{
    NetrtDataset ds;
    double p[3];
    if (!CHECK(netrt_dataset_load_csv(&ds, &toy_logistic, "tests/data/separable.csv") == 0))
        return;
    NetrtTrainOptions o = quiet_options(&toy_logistic);
    o.quiet = 0;
    o.progress = 0;
    o.epochs = 45;      /* every 2 epochs, plus the last */
    toy_logistic.init_params(p, 1);
    capture_begin();
    netrt_train(&toy_logistic, p, &ds, &ds, &o);
    const char *out = capture_end();
    CHECK_EQ_INT(count(out, "\n"), 23);
    CHECK_CONTAINS(out, "epoch 2/45  loss ");
    CHECK_CONTAINS(out, "\nepoch 45/45  loss ");
    CHECK_CONTAINS(out, "  test accuracy 100.00%\n");
    CHECK_EQ_INT(count(out, "\r"), 0);

    o.progress = 1;     /* live line: carriage returns, one final newline */
    capture_begin();
    netrt_train(&toy_logistic, p, &ds, NULL, &o);
    out = capture_end();
    CHECK(count(out, "\r") >= 1);
    CHECK_EQ_INT(count(out, "\n"), 1);
    CHECK_CONTAINS(out, "\repoch 45/45  loss ");

    o.quiet = 1;
    capture_begin();
    netrt_train(&toy_logistic, p, &ds, NULL, &o);
    CHECK(strcmp(capture_end(), "") == 0);
    netrt_dataset_free(&ds);
}

int main(void)
{
    tmpdir_create();
    test_separable_double_and_float();
    test_repeatable();
    test_nonfinite_loss_stops();
    test_evaluate_classification();
    test_evaluate_regression();
    test_print_metrics();
    test_progress_lines();
    tmpdir_remove();
    return check_summary("test_train");
}
