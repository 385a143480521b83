/* test_gradcheck.c: gradcheck passes correct toy gradients (smooth, relu,
 * dropout), fails wrong ones, skips entries at kinks instead of failing them,
 * and reports inconsistent generated functions and float networks. */
#include <stdlib.h>

#include "check.h"
#include "netrt.h"
#include "testutil.h"
#include "toy_model.h"

static char *report;

/* Runs gradcheck on m, keeping its report in `report`; returns its result. */
static int run(const NetrtModel *m, const NetrtGradcheckOptions *o)
{
    size_t len;
    FILE *f = open_memstream(&report, &len);
    int rc = netrt_gradcheck(m, o, f);
    fclose(f);
    return rc;
}

static NetrtGradcheckOptions defaults(void)
{
    NetrtGradcheckOptions o = { .seed = 1, .samples = 4, .max_entries = 64, .tolerance = 1e-6 };
    return o;
}

static void test_correct_logistic_passes(void)
{
    NetrtGradcheckOptions o = defaults();
    CHECK_EQ_INT(run(&toy_logistic, &o), 0);
    CHECK_CONTAINS(report, "gradcheck: network 'toy' (tests/lib/toy_model.h), 4 samples, seed 1");
    CHECK_CONTAINS(report, "  lr.w         2/2 checked, 0 at kinks skipped, max rel error ");
    CHECK_CONTAINS(report, "gradcheck: PASS (max rel error ");
    CHECK_CONTAINS(report, ", tolerance 1e-06)\n");
    free(report);
}

static void test_wrong_gradient_fails(void)
{
    NetrtGradcheckOptions o = defaults();
    toy_grad_bug = 1e-5;    /* a 0.001% error in d loss / d w[1] is still caught */
    CHECK_EQ_INT(run(&toy_logistic, &o), 1);
    CHECK_CONTAINS(report, "max rel error 1e-05 at [0][1]");
    CHECK_CONTAINS(report, "  FAIL\n");
    CHECK_CONTAINS(report, "gradcheck: FAIL (max rel error 1e-05, tolerance 1e-06; 1 of 3 "
                   "entries over tolerance)");
    free(report);
    toy_grad_bug = 0;
}

static void test_mlp_variants_pass(void)
{
    NetrtGradcheckOptions o = defaults();
    int failures = 0;
    o.samples = 16;
    for (int relu = 0; relu <= 1; relu++) {
        for (int drop = 0; drop <= 1; drop++) {
            toy_mlp_relu = relu;
            toy_mlp_drop = drop ? 0.5 : 0.0;
            for (o.seed = 1; o.seed <= 25; o.seed++) {
                int rc = run(&toy_mlp, &o);
                if (rc)
                    fputs(report, stderr);
                failures += rc;
                free(report);
            }
        }
    }
    CHECK_EQ_INT(failures, 0);
    toy_mlp_relu = 0;
    toy_mlp_drop = 0;
}

/* ---- a loss full of kinks: sum of triangle waves, plus a tiny smooth term ---- */
#define TRI_PERIOD 4e-3

static double tri_loss(void *y, const void *params, const void *x, const void *t, int n,
                       int train, unsigned long long seed, void *work)
{
    const double *p = params;
    double f = 0;
    (void)x, (void)t, (void)train, (void)seed, (void)work;
    if (y)
        memset(y, 0, (size_t)n * sizeof(double));
    for (int i = 0; i < 40; i++)
        f += fabs(p[i] - TRI_PERIOD * round(p[i] / TRI_PERIOD));
    return f + 0.5e-9 * p[40] * p[40];  /* gradient ~1e-10: below rounding noise */
}

static double tri_loss_grad(void *grad, const void *params, const void *x, const void *t, int n,
                            unsigned long long seed, void *work)
{
    const double *p = params;
    double *g = grad;
    for (int i = 0; i < 40; i++)
        g[i] = p[i] - TRI_PERIOD * round(p[i] / TRI_PERIOD) >= 0 ? 1.0 : -1.0;
    g[40] = 1e-9 * p[40];
    g[41] = 0;
    return tri_loss(NULL, params, x, t, n, 1, seed, work);
}

static void tri_init(void *params, unsigned long long seed)
{
    (void)seed;
    memset(params, 0, 42 * sizeof(double));
}

static void tri_forward(void *y, const void *params, const void *x, int n, void *work)
{
    (void)params, (void)x, (void)work;
    memset(y, 0, (size_t)n * sizeof(double));
}

static const NetrtParamInfo tri_params[] = {
    { .name = "tri", .offset = 0, .size = 40, .rows = 40, .cols = 1 },
    { .name = "tiny", .offset = 40, .size = 1, .rows = 1, .cols = 1 },
    { .name = "unused", .offset = 41, .size = 1, .rows = 1, .cols = 1 },
};

static const NetrtModel tri_model = {
    .name = "tri", .spec_path = "test_gradcheck.c", .real_size = 8, .num_params = 42,
    .input_size = 1, .output_size = 1, .work_per_sample = 1, .num_param_tensors = 3,
    .params = tri_params, .target = NETRT_TARGET_REAL, .init_params = tri_init,
    .forward = tri_forward, .loss_fn = tri_loss, .loss_grad = tri_loss_grad,
};

static void test_kinks_skipped(void)
{
    NetrtGradcheckOptions o = defaults();
    int checked = -1, kinks = -1;
    CHECK_EQ_INT(run(&tri_model, &o), 0);
    const char *line = strstr(report, "  tri ");
    CHECK(line && sscanf(line, "  tri %d/40 checked, %d at kinks skipped", &checked, &kinks) == 2);
    CHECK_EQ_INT(checked, 40);
    CHECK(kinks >= 2 && kinks <= 30);   /* about a fifth of the stencils hold a kink */
    /* gradients far below the loss's size agree to the finite differences' noise
     * floor: within tolerance, not failures */
    double tiny = -1, unused = -1;
    const char *t = strstr(report, "  tiny "), *u = strstr(report, "  unused ");
    CHECK(t && sscanf(t, "  tiny 1/1 checked, 0 at kinks skipped, max rel error %lf", &tiny) == 1);
    CHECK(u && sscanf(u, "  unused 1/1 checked, 0 at kinks skipped, max rel error %lf", &unused) == 1);
    CHECK(tiny >= 0 && tiny < 1e-8);
    CHECK(unused >= 0 && unused < 1e-8);
    CHECK_CONTAINS(report, "gradcheck: PASS");
    free(report);
}

static void test_sampled_entries(void)
{
    NetrtGradcheckOptions o = defaults();
    char *first;
    o.max_entries = 4;
    o.verbose = 1;
    CHECK_EQ_INT(run(&toy_mlp, &o), 0);
    CHECK_CONTAINS(report, "  h.w          4/15 checked");
    CHECK_CONTAINS(report, "  out.b        3/3 checked");
    first = report;
    CHECK_EQ_INT(run(&toy_mlp, &o), 0);
    CHECK(strcmp(first, report) == 0);      /* the same seed picks the same entries */
    free(first);
    free(report);
    o.max_entries = 0;
    o.verbose = 0;
    CHECK_EQ_INT(run(&toy_mlp, &o), 0);
    CHECK_CONTAINS(report, "  h.w          15/15 checked");
    free(report);
}

/* loss_fn that ignores dropout while loss_grad applies it: the masks disagree. */
static double no_dropout_loss(void *y, const void *params, const void *x, const void *t, int n,
                              int train, unsigned long long seed, void *work)
{
    (void)train;
    return toy_mlp_loss(y, params, x, t, n, 0, seed, work);
}

static void test_inconsistent_functions(void)
{
    NetrtGradcheckOptions o = defaults();
    NetrtModel m = toy_mlp;
    m.loss_fn = no_dropout_loss;
    toy_mlp_drop = 0.5;
    CHECK_EQ_INT(run(&m, &o), 1);
    CHECK_CONTAINS(report, "gradcheck: loss_grad returned loss ");
    CHECK_CONTAINS(report, "and the functions disagree)");
    free(report);
    toy_mlp_drop = 0;
}

static void test_data_and_float(void)
{
    NetrtDataset ds;
    NetrtGradcheckOptions o = defaults();
    if (CHECK(netrt_dataset_load_csv(&ds, &toy_logistic, "tests/data/separable.csv") == 0)) {
        o.data = &ds;
        o.samples = 100;    /* more than the 12 rows: all rows are used */
        CHECK_EQ_INT(run(&toy_logistic, &o), 0);
        CHECK_CONTAINS(report, "12 samples from the data");
        free(report);
        netrt_dataset_free(&ds);
    }
    o = defaults();
    capture_begin();
    CHECK_EQ_INT(run(&toy_logistic_f32, &o), 1);
    CHECK_CONTAINS(capture_end(), "error: gradcheck needs a network built in double precision");
    free(report);
}

int main(void)
{
    test_correct_logistic_passes();
    test_wrong_gradient_fails();
    test_mlp_variants_pass();
    test_kinks_skipped();
    test_sampled_entries();
    test_inconsistent_functions();
    test_data_and_float();
    return check_summary("test_gradcheck");
}
