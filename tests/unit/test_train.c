/* test_train.c: training the toy logistic model separates a separable set in
 * double and in float, runs are repeatable, a non-finite loss, gradient or
 * update stops training and names the tensor,
 * evaluation, metrics lines and progress lines are what they should be, early
 * stopping keeps the best epoch, and the CSV log and SVG plot are well formed. */
#include <stdbool.h>
#include <time.h>

#include "check.h"
#include "internal.h"
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
    CHECK_EQ_INT(netrt_train(&toy_logistic, p, &ds, NULL, &o, NULL), 0);
    netrt_evaluate(&toy_logistic, p, &ds, &after);
    CHECK_NEAR(after.accuracy, 1.0, 0);
    CHECK(after.loss < 0.2 && after.loss < before.loss);

    o = quiet_options(&toy_logistic_f32);
    toy_logistic_f32.init_params(pf, o.seed);
    CHECK_EQ_INT(netrt_train(&toy_logistic_f32, pf, &ds, &ds, &o, NULL), 0);
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
    o.optim.momentum = 0.5;
    toy_logistic.init_params(a, 1);
    memcpy(b, a, sizeof a);
    memcpy(c, a, sizeof a);
    netrt_train(&toy_logistic, a, &ds, NULL, &o, NULL);
    netrt_train(&toy_logistic, b, &ds, NULL, &o, NULL);
    o.seed = 2;     /* another shuffle order */
    netrt_train(&toy_logistic, c, &ds, NULL, &o, NULL);
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
    int rc = netrt_train(&m, p, &ds, NULL, &o, NULL);
    const char *err = capture_end();
    CHECK_EQ_INT(rc, -1);
    CHECK_CONTAINS(err, "error: training stopped at epoch 2, batch 2 of 3: the loss is nan\n");
    CHECK_CONTAINS(err, "hint: lower the learning rate");
    netrt_dataset_free(&ds);
}

/* loss_grad whose 5th call has a finite loss but non-finite gradients in both tensors. */
static int bad_grad_calls;
static double bad_grad_loss_grad(void *grad, const void *params, const void *x, const void *t,
                                 int n, unsigned long long seed, void *work)
{
    double loss = toy_logistic_loss_grad(grad, params, x, t, n, seed, work);
    if (++bad_grad_calls == 5) {
        ((double *)grad)[1] = INFINITY;     /* lr.w[0][1]: named first */
        ((double *)grad)[2] = NAN;          /* lr.b[0] */
    }
    return loss;
}

static void test_nonfinite_gradient_stops(void)
{
    NetrtDataset ds;
    NetrtModel m = toy_logistic;
    double p[3] = { 0, 0, 0 };
    m.loss_grad = bad_grad_loss_grad;
    if (!CHECK(netrt_dataset_load_csv(&ds, &m, "tests/data/separable.csv") == 0))
        return;
    NetrtTrainOptions o = quiet_options(&m);
    o.batch = 4;
    capture_begin();
    int rc = netrt_train(&m, p, &ds, NULL, &o, NULL);
    const char *err = capture_end();
    CHECK_EQ_INT(rc, -1);
    CHECK_CONTAINS(err, "error: training stopped at epoch 2, batch 2 of 3: the gradient of "
                   "'lr.w' has a non-finite value (inf at [0][1])\n");
    CHECK_CONTAINS(err, "hint: the loss is finite");
    /* The bad gradient was not applied: the parameters are those of the step before. */
    CHECK(isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2]));
    netrt_dataset_free(&ds);
}

/* loss_grad with gradients 1e10 times too large, still finite. */
static double huge_grad_loss_grad(void *grad, const void *params, const void *x, const void *t,
                                  int n, unsigned long long seed, void *work)
{
    double loss = toy_logistic_loss_grad(grad, params, x, t, n, seed, work);
    for (int i = 0; i < 3; i++)
        ((double *)grad)[i] *= 1e10;
    return loss;
}

static void test_overflowing_update_stops(void)
{
    NetrtDataset ds;
    NetrtModel m = toy_logistic;
    double p[3] = { 0, 0, 0 };
    m.loss_grad = huge_grad_loss_grad;
    if (!CHECK(netrt_dataset_load_csv(&ds, &m, "tests/data/separable.csv") == 0))
        return;
    NetrtTrainOptions o = quiet_options(&m);
    o.batch = 4;
    o.optim.lr = 1e308;     /* times a gradient of about 1e9: beyond DBL_MAX */
    o.optim.momentum = 0;
    capture_begin();
    int rc = netrt_train(&m, p, &ds, NULL, &o, NULL);
    const char *err = capture_end();
    CHECK_EQ_INT(rc, -1);
    CHECK_CONTAINS(err, "error: training stopped at epoch 1, batch 1 of 3: the update made "
                   "'lr.w' non-finite (");
    CHECK_CONTAINS(err, "from a finite gradient\n");
    CHECK_CONTAINS(err, "hint: lower the learning rate (now --lr 1e+308)");
    netrt_dataset_free(&ds);
}

/* The vectorized check finds a NaN or an infinity at every position of every
 * length (the vector part and the tail), in float and double, and nothing else. */
static void test_any_nonfinite(void)
{
    NetrtModel mf = toy_logistic, md = toy_logistic;
    mf.real_size = 4;
    md.real_size = 8;
    const double specials[] = {INFINITY, -INFINITY, NAN, -NAN, 3.4e38, -1e-45, 0.0, -1e308};
    float f[67];
    double d[67];
    int wrong = 0;
    for (int s = 0; s < 8; s++)
        for (int n = 1; n <= 67; n += 3)
            for (int p = 0; p < n; p++) {
                for (int i = 0; i < n; i++) {
                    f[i] = (float)(i * 0.5 - 3);
                    d[i] = i * 0.25 - 2;
                }
                f[p] = (float)specials[s];
                d[p] = specials[s];
                wrong += netrt_any_nonfinite(&mf, f, (size_t)n) != !isfinite(f[p]);
                wrong += netrt_any_nonfinite(&md, d, (size_t)n) != !isfinite(d[p]);
            }
    CHECK(wrong == 0);
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
    netrt_train(&toy_logistic, p, &ds, &ds, &o, NULL);
    const char *out = capture_end();
    CHECK_EQ_INT(count(out, "\n"), 23);
    CHECK_CONTAINS(out, "epoch 2/45  loss ");
    CHECK_CONTAINS(out, "\nepoch 45/45  loss ");
    CHECK_CONTAINS(out, "  test accuracy 100.00%  ");
    CHECK_CONTAINS(out, "s  ETA ");     /* time so far and time left */
    CHECK_EQ_INT(count(out, "ETA"), 22); /* not on the last line */
    CHECK_EQ_INT(count(out, "\r"), 0);

    o.progress = 1;     /* live: the same lines, no bar in so short a run */
    capture_begin();
    netrt_train(&toy_logistic, p, &ds, NULL, &o, NULL);
    out = capture_end();
    CHECK_EQ_INT(count(out, "\n"), 23);
    CHECK_CONTAINS(out, "epoch 45/45  loss ");

    o.quiet = 1;
    capture_begin();
    netrt_train(&toy_logistic, p, &ds, NULL, &o, NULL);
    CHECK(strcmp(capture_end(), "") == 0);
    netrt_dataset_free(&ds);
}

/* loss_grad that takes 30 ms, so the live bar must be drawn within an epoch. */
static double slow_loss_grad(void *grad, const void *params, const void *x, const void *t,
                             int n, unsigned long long seed, void *work)
{
    struct timespec ts = { 0, 30 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    return toy_logistic_loss_grad(grad, params, x, t, n, seed, work);
}

static void test_progress_bar(void)
{
    NetrtDataset ds;
    NetrtModel m = toy_logistic;
    double p[3];
    m.loss_grad = slow_loss_grad;
    if (!CHECK(netrt_dataset_load_csv(&ds, &m, "tests/data/separable.csv") == 0))
        return;
    NetrtTrainOptions o = quiet_options(&m);
    o.quiet = 0;
    o.progress = 1;
    o.epochs = 2;
    o.batch = 2;        /* 6 batches of 30 ms per epoch */
    m.init_params(p, 1);
    capture_begin();
    netrt_train(&m, p, &ds, NULL, &o, NULL);
    const char *out = capture_end();
    CHECK_CONTAINS(out, "\repoch 1/2 [");
    CHECK_CONTAINS(out, "] batch ");
    CHECK_CONTAINS(out, "/6  loss ");
    CHECK_CONTAINS(out, "\r\033[Kepoch 1/2  loss ");    /* the bar is cleared for the line */
    CHECK_CONTAINS(out, "\r\033[Kepoch 2/2  loss ");
    CHECK_EQ_INT(count(out, "\n"), 2);
    CHECK(out[strlen(out) - 1] == '\n');                /* nothing left on the last line */
    netrt_dataset_free(&ds);
}

/* Validation labels opposite to the training labels: the better the fit, the
 * worse the validation loss, so the best epoch is the first and patience 3 stops
 * after epoch 4 with epoch 1's weights restored. */
static void test_early_stopping_restores_best(void)
{
    NetrtDataset ds, flipped;
    NetrtTrainResult r;
    double p[3], one[3];
    if (!CHECK(netrt_dataset_load_csv(&ds, &toy_logistic, "tests/data/separable.csv") == 0) ||
        !CHECK(netrt_dataset_load_csv(&flipped, &toy_logistic, "tests/data/separable.csv") == 0))
        return;
    for (int i = 0; i < flipped.rows; i++) {
        flipped.t[i] = 1 - flipped.t[i];
        flipped.label[i] = 1 - flipped.label[i];
    }
    NetrtTrainOptions o = quiet_options(&toy_logistic);
    o.epochs = 1;
    toy_logistic.init_params(one, o.seed);
    CHECK_EQ_INT(netrt_train(&toy_logistic, one, &ds, NULL, &o, NULL), 0);

    o.epochs = 50;
    o.valid = &flipped;
    o.patience = 3;
    toy_logistic.init_params(p, o.seed);
    CHECK_EQ_INT(netrt_train(&toy_logistic, p, &ds, NULL, &o, &r), 0);
    CHECK_EQ_INT(r.best_epoch, 1);
    CHECK_EQ_INT(r.epochs_run, 4);
    CHECK_EQ_INT(r.stopped_early, 1);
    CHECK(memcmp(p, one, sizeof p) == 0);
    NetrtMetrics mt;
    netrt_evaluate(&toy_logistic, p, &flipped, &mt);
    CHECK_NEAR(mt.loss, r.best_loss, 0);

    /* patience without a validation set is refused */
    o.valid = NULL;
    capture_begin();
    CHECK_EQ_INT(netrt_train(&toy_logistic, p, &ds, NULL, &o, NULL), -1);
    CHECK_CONTAINS(capture_end(), "early stopping (patience 3) needs a validation set");
    netrt_dataset_free(&ds);
    netrt_dataset_free(&flipped);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    static char buf[1 << 18];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_log_csv(void)
{
    NetrtDataset ds;
    double p[3];
    const char *log = tmp_path("log.csv");
    if (!CHECK(netrt_dataset_load_csv(&ds, &toy_logistic, "tests/data/separable.csv") == 0))
        return;
    NetrtTrainOptions o = quiet_options(&toy_logistic);
    o.epochs = 3;
    o.log_path = log;
    o.valid = &ds;
    toy_logistic.init_params(p, 1);
    CHECK_EQ_INT(netrt_train(&toy_logistic, p, &ds, NULL, &o, NULL), 0);
    const char *text = slurp(log);
    CHECK(strncmp(text, "epoch,seconds,lr,batch_loss,train_loss,train_accuracy,valid_loss,"
                  "valid_accuracy,test_loss,test_accuracy\n", 94) == 0);
    CHECK_EQ_INT(count(text, "\n"), 4);
    CHECK_CONTAINS(text, "\n1,");
    CHECK_CONTAINS(text, "\n3,");
    CHECK_EQ_INT(count(text, ",0.5,"), 3);     /* the learning rate */
    CHECK_EQ_INT(count(text, ",,\n"), 3);      /* no test set: empty fields */
    /* the last line's train loss is what evaluation says after training */
    NetrtMetrics mt;
    netrt_evaluate(&toy_logistic, p, &ds, &mt);
    char want[64];
    snprintf(want, sizeof want, ",%.9g,", mt.loss);
    CHECK_CONTAINS(strrchr(text, '\n') - 60 > text ? text : text, want);
    /* regression columns */
    NetrtDataset reg;
    double q[6];
    const char *path = write_tmp("reg.csv", "a,b,t0,t1\n0,0,1,1\n1,2,1,3\n2,4,3,6\n");
    if (CHECK(netrt_dataset_load_csv(&reg, &toy_linear, path) == 0)) {
        NetrtTrainOptions ol = quiet_options(&toy_linear);
        ol.epochs = 2;
        ol.optim.lr = 0.01;
        ol.log_path = log;
        toy_linear.init_params(q, 1);
        CHECK_EQ_INT(netrt_train(&toy_linear, q, &reg, &reg, &ol, NULL), 0);
        text = slurp(log);
        CHECK(strncmp(text, "epoch,seconds,lr,batch_loss,train_loss,train_mse,train_r2,"
                      "valid_loss,valid_mse,valid_r2,test_loss,test_mse,test_r2\n", 110) == 0);
        CHECK_EQ_INT(count(text, "\n"), 3);
        netrt_dataset_free(&reg);
    }
    netrt_dataset_free(&ds);
}

/* Checks that every tag of an XML text is closed in order (no parser needed). */
static bool tags_balance(const char *s)
{
    char stack[64][32];
    int depth = 0;
    for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<')) {
        const char *end = strchr(p, '>');
        if (!end)
            return false;
        if (p[1] == '?' || p[1] == '!')
            continue;
        if (p[1] == '/') {
            size_t n = strcspn(p + 2, " >");
            if (depth == 0 || strncmp(stack[depth - 1], p + 2, n) != 0)
                return false;
            depth--;
        } else if (end[-1] != '/') {
            size_t n = strcspn(p + 1, " >/");
            if (depth == 64 || n >= 32)
                return false;
            snprintf(stack[depth++], 32, "%.*s", (int)n, p + 1);
        }
    }
    return depth == 0;
}

static void test_plot_svg(void)
{
    NetrtDataset ds, valid;
    double p[3];
    const char *plot = tmp_path("curve.svg");
    if (!CHECK(netrt_dataset_load_csv(&ds, &toy_logistic, "tests/data/separable.csv") == 0))
        return;
    NetrtTrainOptions o = quiet_options(&toy_logistic);
    o.epochs = 30;
    o.plot_path = plot;
    CHECK_EQ_INT(netrt_dataset_split(&ds, &valid, 0.25, 5), 0);
    o.valid = &valid;
    toy_logistic.init_params(p, 1);
    CHECK_EQ_INT(netrt_train(&toy_logistic, p, &ds, &valid, &o, NULL), 0);
    const char *svg = slurp(plot);
    CHECK(strncmp(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44) == 0);
    CHECK(tags_balance(svg));
    CHECK_CONTAINS(svg, "toy: learning curve (30 epochs)");
    CHECK_CONTAINS(svg, ">Loss</text>");
    CHECK_CONTAINS(svg, ">Accuracy</text>");
    CHECK_CONTAINS(svg, ">epoch</text>");
    CHECK_CONTAINS(svg, ">validation</text>");
    CHECK_CONTAINS(svg, "best epoch ");
    CHECK_EQ_INT(count(svg, "<path "), 6);     /* train, validation, test in both panels */
    CHECK(strcmp(svg + strlen(svg) - 7, "</svg>\n") == 0);
    /* names are escaped */
    NetrtModel m = toy_logistic;
    m.name = "a<b&c";
    NetrtEpoch e = { .epoch = 1, .train = { 0.5, 0.75, NAN, NAN },
                     .valid = { NAN, NAN, NAN, NAN }, .test = { NAN, NAN, NAN, NAN } };
    CHECK_EQ_INT(netrt_plot_svg(&m, &e, 1, plot), 0);
    svg = slurp(plot);
    CHECK_CONTAINS(svg, "a&lt;b&amp;c: learning curve (1 epoch)");
    CHECK(tags_balance(svg));
    netrt_dataset_free(&valid);
    netrt_dataset_free(&ds);
}

/* A hand-made confusion matrix: counts, scores and the printed table. */
static void test_confusion(void)
{
    NetrtConfusion c;
    double pr, rc, f1;
    /* truth 0: 3 right, 1 called 1; truth 1: 2 right; truth 2: 1 called 0, 1 called 1 */
    const int truth[] = { 0, 0, 0, 0, 1, 1, 2, 2 }, pred[] = { 0, 0, 0, 1, 1, 1, 0, 1 };
    if (!CHECK(netrt_confusion_init(&c, 3) == 0))
        return;
    for (int i = 0; i < 8; i++)
        netrt_confusion_add(&c, truth[i], pred[i]);
    netrt_confusion_add(&c, 5, 0);      /* out of range: ignored */
    CHECK_EQ_INT(c.counts[0 * 3 + 0], 3);
    CHECK_EQ_INT(c.counts[0 * 3 + 1], 1);
    CHECK_EQ_INT(c.counts[2 * 3 + 0], 1);
    netrt_confusion_scores(&c, 0, &pr, &rc, &f1);
    CHECK_NEAR(pr, 3.0 / 4, 1e-15);
    CHECK_NEAR(rc, 3.0 / 4, 1e-15);
    CHECK_NEAR(f1, 3.0 / 4, 1e-15);
    netrt_confusion_scores(&c, 1, &pr, &rc, &f1);
    CHECK_NEAR(pr, 2.0 / 4, 1e-15);
    CHECK_NEAR(rc, 1.0, 0);
    CHECK_NEAR(f1, 2 * 0.5 / 1.5, 1e-15);
    netrt_confusion_scores(&c, 2, &pr, &rc, &f1);   /* never predicted: 0, not NaN */
    CHECK(pr == 0 && rc == 0 && f1 == 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    netrt_confusion_print(f, &c, "test");
    fclose(f);
    CHECK_CONTAINS(buf, "confusion matrix (test; rows: true class, columns: predicted class):\n"
                        "            0    1    2\n"
                        "       0    3    1    0\n"
                        "       1    0    2    0\n"
                        "       2    1    1    0\n");
    CHECK_CONTAINS(buf, "   class  precision     recall         f1    support\n"
                        "       0     0.7500     0.7500     0.7500          4\n");
    CHECK_CONTAINS(buf, "\n       2     0.0000     0.0000     0.0000          2\n");
    CHECK_CONTAINS(buf, "\n   macro     0.4167     0.5833     0.4722          8\n");
    /* weighted by support: (0.75*4 + 0.5*2 + 0*2) / 8, (0.75*4 + 1*2 + 0) / 8 */
    CHECK_CONTAINS(buf, "\nweighted     0.5000     0.6250     0.5417          8\n");
    free(buf);
    netrt_confusion_free(&c);
}

/* The confusion matrix of a model's predictions over a data set. */
static void test_confusion_eval(void)
{
    NetrtDataset ds;
    NetrtConfusion c;
    const double p[3] = { 1.0, 1.0, 0.0 };     /* right on every row */
    if (!CHECK(netrt_dataset_load_csv(&ds, &toy_logistic, "tests/data/separable.csv") == 0))
        return;
    if (CHECK(netrt_confusion_init(&c, 2) == 0)) {
        CHECK_EQ_INT(netrt_confusion_eval(&c, &toy_logistic, p, &ds), 0);
        CHECK(c.counts[0] == 6 && c.counts[1] == 0 && c.counts[2] == 0 && c.counts[3] == 6);
        netrt_confusion_free(&c);
    }
    netrt_dataset_free(&ds);
}

int main(void)
{
    tmpdir_create();
    test_separable_double_and_float();
    test_repeatable();
    test_nonfinite_loss_stops();
    test_nonfinite_gradient_stops();
    test_overflowing_update_stops();
    test_any_nonfinite();
    test_evaluate_classification();
    test_evaluate_regression();
    test_print_metrics();
    test_progress_lines();
    test_progress_bar();
    test_early_stopping_restores_best();
    test_log_csv();
    test_plot_svg();
    test_confusion();
    test_confusion_eval();
    tmpdir_remove();
    return check_summary("test_train");
}
