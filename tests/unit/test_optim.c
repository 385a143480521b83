/* test_optim.c: SGD steps equal hand-computed ones, in float and in double,
 * with and without momentum (torch.optim.SGD's form: v = mu v + g; p -= lr v). */
#include "check.h"
#include "netrt.h"

static const NetrtModel m64 = { .name = "m64", .real_size = 8, .num_params = 2 };
static const NetrtModel m32 = { .name = "m32", .real_size = 4, .num_params = 2 };

static void test_momentum_double(void)
{
    NetrtSgd opt;
    double p[2] = { 1.0, 2.0 };
    const double g1[2] = { 0.5, -1.0 }, g2[2] = { 1.0, 1.0 };
    CHECK_EQ_INT(netrt_sgd_init(&opt, &m64, 0.1, 0.9), 0);
    CHECK(opt.velocity != NULL);
    netrt_sgd_step(&opt, &m64, p, g1);
    /* v = g1; p = p - 0.1 v */
    CHECK_NEAR(p[0], 0.95, 1e-15);
    CHECK_NEAR(p[1], 2.1, 1e-15);
    netrt_sgd_step(&opt, &m64, p, g2);
    /* v = 0.9 * (0.5, -1) + (1, 1) = (1.45, 0.1); p -= 0.1 v */
    CHECK_NEAR(((double *)opt.velocity)[0], 1.45, 1e-15);
    CHECK_NEAR(((double *)opt.velocity)[1], 0.1, 1e-15);
    CHECK_NEAR(p[0], 0.805, 1e-15);
    CHECK_NEAR(p[1], 2.09, 1e-15);
    netrt_sgd_free(&opt);
    CHECK(opt.velocity == NULL);
}

static void test_momentum_float(void)
{
    NetrtSgd opt;
    float p[2] = { 1.0f, 2.0f };
    const float g1[2] = { 0.5f, -1.0f }, g2[2] = { 1.0f, 1.0f };
    CHECK_EQ_INT(netrt_sgd_init(&opt, &m32, 0.1, 0.9), 0);
    netrt_sgd_step(&opt, &m32, p, g1);
    netrt_sgd_step(&opt, &m32, p, g2);
    CHECK_NEAR(p[0], 0.805, 1e-6);
    CHECK_NEAR(p[1], 2.09, 1e-6);
    netrt_sgd_free(&opt);
}

static void test_plain_sgd(void)
{
    NetrtSgd opt;
    double p[2] = { 1.0, 2.0 };
    const double g[2] = { 0.5, -1.0 };
    CHECK_EQ_INT(netrt_sgd_init(&opt, &m64, 0.25, 0.0), 0);
    CHECK(opt.velocity == NULL);
    netrt_sgd_step(&opt, &m64, p, g);
    netrt_sgd_step(&opt, &m64, p, g);
    CHECK(p[0] == 0.75 && p[1] == 2.5);
    netrt_sgd_free(&opt);
}

int main(void)
{
    test_momentum_double();
    test_momentum_float();
    test_plain_sgd();
    return check_summary("test_optim");
}
