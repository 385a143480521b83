/* test_optim.c: each optimizer's first two updates against values worked out by
 * hand from its formula (docs/optimizers.md), in float and in double; weight
 * decay reaching weights only; schedules; clipping; checkpoint state that
 * resumes bit-identically; L-BFGS reaching a least-squares optimum. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "netrt.h"

/* The old SGD-only interface, still used by train.c. */
static const NetrtModel m64 = { .name = "m64", .real_size = 8, .num_params = 2 };
static const NetrtModel m32 = { .name = "m32", .real_size = 4, .num_params = 2 };

static void test_old_sgd(void)
{
    NetrtSgd opt;
    double p[2] = { 1.0, 2.0 };
    const double g1[2] = { 0.5, -1.0 }, g2[2] = { 1.0, 1.0 };
    CHECK_EQ_INT(netrt_sgd_init(&opt, &m64, 0.1, 0.9), 0);
    CHECK(opt.velocity != NULL);
    netrt_sgd_step(&opt, &m64, p, g1);
    CHECK_NEAR(p[0], 0.95, 1e-15);
    CHECK_NEAR(p[1], 2.1, 1e-15);
    netrt_sgd_step(&opt, &m64, p, g2);
    CHECK_NEAR(((double *)opt.velocity)[0], 1.45, 1e-15);
    CHECK_NEAR(((double *)opt.velocity)[1], 0.1, 1e-15);
    CHECK_NEAR(p[0], 0.805, 1e-15);
    CHECK_NEAR(p[1], 2.09, 1e-15);
    netrt_sgd_free(&opt);
    CHECK(opt.velocity == NULL);

    float pf[2] = { 1.0f, 2.0f };
    const float f1[2] = { 0.5f, -1.0f }, f2[2] = { 1.0f, 1.0f };
    CHECK_EQ_INT(netrt_sgd_init(&opt, &m32, 0.1, 0.9), 0);
    netrt_sgd_step(&opt, &m32, pf, f1);
    netrt_sgd_step(&opt, &m32, pf, f2);
    CHECK_NEAR(pf[0], 0.805, 1e-6);
    CHECK_NEAR(pf[1], 2.09, 1e-6);
    netrt_sgd_free(&opt);

    double q[2] = { 1.0, 2.0 };
    CHECK_EQ_INT(netrt_sgd_init(&opt, &m64, 0.25, 0.0), 0);
    CHECK(opt.velocity == NULL);
    netrt_sgd_step(&opt, &m64, q, g1);
    netrt_sgd_step(&opt, &m64, q, g1);
    CHECK(q[0] == 0.75 && q[1] == 2.5);
    netrt_sgd_free(&opt);
}

/* A weight tensor w[2] and a bias b[1]: weight decay must touch w only. */
static const NetrtParamInfo wb_params[] = {
    { .name = "w", .offset = 0, .size = 2, .rows = 1, .cols = 2, .is_weight = 1 },
    { .name = "b", .offset = 2, .size = 1, .rows = 1, .cols = 1, .is_weight = 0 },
};
static const NetrtModel wb64 = { .name = "wb64", .real_size = 8, .num_params = 3,
                                 .num_param_tensors = 2, .params = wb_params };
static const NetrtModel wb32 = { .name = "wb32", .real_size = 4, .num_params = 3,
                                 .num_param_tensors = 2, .params = wb_params };

static const double P0[3] = { 1.0, 2.0, 0.5 };
static const double G1[3] = { 0.5, -1.0, 0.25 }, G2[3] = { 1.0, 1.0, -0.5 };

/* Two updates of c from P0 with G1 then G2 (lr from c), in the model's real type;
 * after1/after2 get the parameters after each. */
static void two_steps(const NetrtModel *m, const NetrtOptimConfig *c, double after1[3],
                      double after2[3])
{
    NetrtOptimizer o;
    double p[3], g[3];
    float pf[3], gf[3];
    void *pv = m->real_size == 8 ? (void *)p : (void *)pf;
    void *gv = m->real_size == 8 ? (void *)g : (void *)gf;
    for (int i = 0; i < 3; i++)
        netrt_set(m, pv, (size_t)i, P0[i]);
    CHECK_EQ_INT(netrt_optim_init(&o, m, c), 0);
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < 3; i++)
            netrt_set(m, gv, (size_t)i, s == 0 ? G1[i] : G2[i]);
        netrt_optim_step(&o, pv, gv, c->lr);
        for (int i = 0; i < 3; i++)
            (s == 0 ? after1 : after2)[i] = netrt_get(m, pv, (size_t)i);
    }
    CHECK_EQ_INT(o.t, 2);
    netrt_optim_free(&o);
}

/* Runs c in double and in float against the expected parameters. */
static void expect_steps(const char *what, const NetrtOptimConfig *c, const double want1[3],
                         const double want2[3])
{
    double a1[3], a2[3];
    for (int prec = 0; prec < 2; prec++) {
        const NetrtModel *m = prec == 0 ? &wb64 : &wb32;
        double tol = prec == 0 ? 1e-13 : 2e-6;
        two_steps(m, c, a1, a2);
        for (int i = 0; i < 3; i++) {
            int before = check_failed;
            CHECK_NEAR(a1[i], want1[i], tol * (1 + fabs(want1[i])));
            CHECK_NEAR(a2[i], want2[i], tol * (1 + fabs(want2[i])));
            if (check_failed != before)
                fprintf(stderr, "    in %s (%s), parameter %d\n", what, m->name, i);
        }
    }
}

static void test_sgd(void)
{
    NetrtOptimConfig c;
    netrt_optim_defaults(&c, NETRT_OPT_SGD);
    c.lr = 0.1;
    /* plain: p -= 0.1 g */
    expect_steps("sgd", &c, (double[]){ 0.95, 2.1, 0.475 }, (double[]){ 0.85, 2.0, 0.525 });
    /* momentum 0.9: v1 = g1; v2 = 0.9 g1 + g2 = (1.45, 0.1, -0.275) */
    c.momentum = 0.9;
    expect_steps("sgd momentum", &c, (double[]){ 0.95, 2.1, 0.475 },
                 (double[]){ 0.805, 2.09, 0.5025 });
    /* weight decay 0.1, no momentum: weights see g + 0.1 p, the bias plain g.
     * step 1: w = (1 - 0.1 * 0.6, 2 - 0.1 * -0.8) = (0.94, 2.08)
     * step 2: w -= 0.1 (1 + 0.094, 1 + 0.208) = (0.8306, 1.9592) */
    c.momentum = 0.0;
    c.weight_decay = 0.1;
    expect_steps("sgd weight decay", &c, (double[]){ 0.94, 2.08, 0.475 },
                 (double[]){ 0.8306, 1.9592, 0.525 });
}

static void test_nesterov(void)
{
    NetrtOptimConfig c;
    netrt_optim_defaults(&c, NETRT_OPT_NESTEROV);
    CHECK(c.momentum == 0.9);
    c.lr = 0.1;
    /* step 1: v = g1, d = g1 + 0.9 g1 = (0.95, -1.9, 0.475)
     * step 2: v = (1.45, 0.1, -0.275), d = g2 + 0.9 v = (2.305, 1.09, -0.7475) */
    expect_steps("nesterov", &c, (double[]){ 0.905, 2.19, 0.4525 },
                 (double[]){ 0.6745, 2.081, 0.52725 });
}

static void test_adagrad(void)
{
    NetrtOptimConfig c;
    netrt_optim_defaults(&c, NETRT_OPT_ADAGRAD);
    CHECK(c.eps == 1e-10 && c.lr == 0.01);
    c.lr = 0.1;
    /* s1 = g1^2, so step 1 moves each by 0.1 sign(g1) (eps 1e-10 shifts it ~1e-10);
     * s2 = (1.25, 2, 0.3125): step 2 moves by 0.1 g2 / sqrt(s2). */
    double e = 1e-10;
    double w1[3] = { 1 - 0.1 * 0.5 / (0.5 + e), 2 + 0.1 * 1 / (1 + e),
                     0.5 - 0.1 * 0.25 / (0.25 + e) };
    double w2[3] = { w1[0] - 0.1 / (sqrt(1.25) + e), w1[1] - 0.1 / (sqrt(2.0) + e),
                     w1[2] + 0.1 * 0.5 / (sqrt(0.3125) + e) };
    expect_steps("adagrad", &c, w1, w2);
}

static void test_rmsprop(void)
{
    NetrtOptimConfig c;
    netrt_optim_defaults(&c, NETRT_OPT_RMSPROP);
    CHECK(c.rho == 0.99 && c.eps == 1e-8 && c.lr == 0.01);
    /* a1 = 0.01 g1^2 = (0.0025, 0.01, 0.000625): sqrt = 0.1 |g1|
     * a2 = 0.99 a1 + 0.01 g2^2 = (0.012475, 0.0199, 0.00311875) */
    double e = 1e-8;
    double d1[3] = { 0.5 / (0.05 + e), -1 / (0.1 + e), 0.25 / (0.025 + e) };
    double d2[3] = { 1 / (sqrt(0.012475) + e), 1 / (sqrt(0.0199) + e),
                     -0.5 / (sqrt(0.00311875) + e) };
    double w1[3], w2[3], m1[3], m2[3];
    for (int i = 0; i < 3; i++) {
        w1[i] = P0[i] - 0.01 * d1[i];
        w2[i] = w1[i] - 0.01 * d2[i];
        /* momentum 0.9: b1 = d1, b2 = 0.9 d1 + d2 */
        m1[i] = P0[i] - 0.01 * d1[i];
        m2[i] = m1[i] - 0.01 * (0.9 * d1[i] + d2[i]);
    }
    expect_steps("rmsprop", &c, w1, w2);
    c.momentum = 0.9;
    expect_steps("rmsprop momentum", &c, m1, m2);
}

static void test_adadelta(void)
{
    NetrtOptimConfig c;
    netrt_optim_defaults(&c, NETRT_OPT_ADADELTA);
    CHECK(c.rho == 0.9 && c.eps == 1e-6 && c.lr == 1.0);
    double e = 1e-6, w1[3], w2[3];
    for (int i = 0; i < 3; i++) {
        /* step 1: a = 0.1 g1^2, u = 0: dx = sqrt(e) / sqrt(a + e) g1; u = 0.1 dx^2 */
        double a = 0.1 * G1[i] * G1[i];
        double dx = sqrt(e) / sqrt(a + e) * G1[i];
        double u = 0.1 * dx * dx;
        w1[i] = P0[i] - dx;
        /* step 2 */
        a = 0.9 * a + 0.1 * G2[i] * G2[i];
        dx = sqrt(u + e) / sqrt(a + e) * G2[i];
        w2[i] = w1[i] - dx;
    }
    expect_steps("adadelta", &c, w1, w2);
}

static void test_adam(void)
{
    NetrtOptimConfig c;
    netrt_optim_defaults(&c, NETRT_OPT_ADAM);
    CHECK(c.beta1 == 0.9 && c.beta2 == 0.999 && c.eps == 1e-8 && c.lr == 0.001);
    c.lr = 0.1;
    /* step 1: m = 0.1 g, v = 0.001 g^2; m / (1 - 0.9) = g, sqrt(v / (1 - 0.999)) = |g|:
     * p -= 0.1 g / (|g| + 1e-8).
     * step 2: m = 0.09 g1 + 0.1 g2, v = 0.000999 g1^2 + 0.001 g2^2,
     * p -= 0.1 / 0.19 m / (sqrt(v) / sqrt(1 - 0.998001) + 1e-8). */
    double e = 1e-8, w1[3], w2[3], d1[3], d2[3], aw1[3], aw2[3];
    for (int i = 0; i < 3; i++) {
        d1[i] = 0.1 * G1[i] / (fabs(G1[i]) + e);
        double m = 0.09 * G1[i] + 0.1 * G2[i];
        double v = 0.000999 * G1[i] * G1[i] + 0.001 * G2[i] * G2[i];
        d2[i] = 0.1 / 0.19 * m / (sqrt(v) / sqrt(1 - 0.998001) + e);
        w1[i] = P0[i] - d1[i];
        w2[i] = w1[i] - d2[i];
        /* AdamW, weight_decay 0.1: weights shrink by 1 - 0.1 * 0.1 before each update */
        double keep = wb_params[i < 2 ? 0 : 1].is_weight ? 0.99 : 1.0;
        aw1[i] = P0[i] * keep - d1[i];
        aw2[i] = aw1[i] * keep - d2[i];
    }
    expect_steps("adam", &c, w1, w2);
    netrt_optim_defaults(&c, NETRT_OPT_ADAMW);
    CHECK(c.weight_decay == 0.01);
    c.lr = 0.1;
    c.weight_decay = 0.1;
    expect_steps("adamw", &c, aw1, aw2);
}

static void test_names(void)
{
    for (int k = NETRT_OPT_SGD; k <= NETRT_OPT_LBFGS; k++) {
        NetrtOptimKind back;
        CHECK_EQ_INT(netrt_optim_parse(netrt_optim_name((NetrtOptimKind)k), &back), 0);
        CHECK_EQ_INT(back, k);
    }
    NetrtOptimKind kind = NETRT_OPT_ADAM;
    CHECK_EQ_INT(netrt_optim_parse("adamax", &kind), -1);
    CHECK_EQ_INT(kind, NETRT_OPT_ADAM);
    CHECK(strcmp(netrt_optim_name(NETRT_OPT_ADAMW), "adamw") == 0);
    for (int k = NETRT_SCHED_CONSTANT; k <= NETRT_SCHED_COSINE; k++) {
        NetrtScheduleKind back;
        CHECK_EQ_INT(netrt_schedule_parse(netrt_schedule_name((NetrtScheduleKind)k), &back), 0);
        CHECK_EQ_INT(back, k);
    }
    NetrtScheduleKind sk;
    CHECK_EQ_INT(netrt_schedule_parse("exponential", &sk), -1);
}

static void test_schedules(void)
{
    NetrtOptimConfig c;
    netrt_optim_defaults(&c, NETRT_OPT_SGD);
    c.lr = 0.1;
    CHECK(netrt_schedule_lr(&c, 57, 100, 999) == 0.1);
    /* step: every 3 epochs times 0.5 */
    c.schedule = NETRT_SCHED_STEP;
    c.step_size = 3;
    c.gamma = 0.5;
    CHECK(netrt_schedule_lr(&c, 0, 10, 1) == 0.1);
    CHECK(netrt_schedule_lr(&c, 2, 10, 1) == 0.1);
    CHECK(netrt_schedule_lr(&c, 3, 10, 1) == 0.05);
    CHECK(netrt_schedule_lr(&c, 5, 10, 1) == 0.05);
    CHECK(netrt_schedule_lr(&c, 6, 10, 1) == 0.025);
    CHECK(netrt_schedule_lr(&c, 9, 10, 1) == 0.0125);
    /* invscaling: lr / t^power over updates */
    c.schedule = NETRT_SCHED_INVSCALING;
    c.power = 0.5;
    CHECK_NEAR(netrt_schedule_lr(&c, 0, 10, 1), 0.1, 1e-17);
    CHECK_NEAR(netrt_schedule_lr(&c, 0, 10, 4), 0.05, 1e-17);
    CHECK_NEAR(netrt_schedule_lr(&c, 3, 10, 100), 0.01, 1e-17);
    c.power = 1.0;
    CHECK_NEAR(netrt_schedule_lr(&c, 0, 10, 8), 0.0125, 1e-17);
    /* cosine from 0.1 to 0.001 over 10 epochs */
    c.schedule = NETRT_SCHED_COSINE;
    c.lr_min = 0.001;
    CHECK_NEAR(netrt_schedule_lr(&c, 0, 10, 1), 0.1, 1e-15);
    CHECK_NEAR(netrt_schedule_lr(&c, 5, 10, 1), 0.0505, 1e-15);
    CHECK_NEAR(netrt_schedule_lr(&c, 10, 10, 1), 0.001, 1e-15);
    /* 1 + cos(pi / 5) = 1.80901699437494742 */
    CHECK_NEAR(netrt_schedule_lr(&c, 2, 10, 1), 0.001 + 0.099 * 1.80901699437494742 / 2, 1e-15);
}

static void test_clip(void)
{
    const NetrtModel *ms[2] = { &m64, &m32 };
    for (int k = 0; k < 2; k++) {
        const NetrtModel *m = ms[k];
        double g[2];
        float gf[2];
        void *gv = m->real_size == 8 ? (void *)g : (void *)gf;
        double tol = m->real_size == 8 ? 1e-15 : 1e-7;
        netrt_set(m, gv, 0, 3.0);
        netrt_set(m, gv, 1, -4.0);
        /* below the limit: unchanged, norm returned */
        CHECK_NEAR(netrt_clip_gradient(m, gv, 10.0), 5.0, tol);
        CHECK(netrt_get(m, gv, 0) == 3.0 && netrt_get(m, gv, 1) == -4.0);
        CHECK_NEAR(netrt_clip_gradient(m, gv, 0.0), 5.0, tol);
        CHECK(netrt_get(m, gv, 0) == 3.0);
        /* above: scaled by 1 / (5 + 1e-6), as clip_grad_norm_ does */
        CHECK_NEAR(netrt_clip_gradient(m, gv, 1.0), 5.0, tol);
        CHECK_NEAR(netrt_get(m, gv, 0), 3.0 / (5.0 + 1e-6), tol);
        CHECK_NEAR(netrt_get(m, gv, 1), -4.0 / (5.0 + 1e-6), tol);
        CHECK_NEAR(netrt_clip_gradient(m, gv, 0.0), 5.0 / (5.0 + 1e-6), tol);
    }
}

/* A deterministic, changing gradient for step s. */
static void fake_grad(const NetrtModel *m, void *g, int s)
{
    for (size_t i = 0; i < m->num_params; i++)
        netrt_set(m, g, i, sin(1.7 * (double)s + 0.9 * (double)i) + 0.1 * (double)i);
}

/* Run 3 steps, save; a fresh optimizer loads the state and both run 3 more
 * steps: the parameters and state must agree bit for bit. */
static void resume_case(const NetrtModel *m, const NetrtOptimConfig *c)
{
    size_t bytes = m->num_params * (size_t)m->real_size;
    unsigned char p1[64], p2[64], g[64];
    NetrtOptimizer a, b;
    CHECK_EQ_INT(netrt_optim_init(&a, m, c), 0);
    CHECK_EQ_INT(netrt_optim_init(&b, m, c), 0);
    for (size_t i = 0; i < m->num_params; i++)
        netrt_set(m, p1, i, P0[i]);
    for (int s = 0; s < 3; s++) {
        fake_grad(m, g, s);
        netrt_optim_step(&a, p1, g, netrt_schedule_lr(c, s, 6, a.t + 1));
    }
    size_t size = netrt_optim_state_size(&a);
    void *buf = malloc(size);
    netrt_optim_state_save(&a, buf);
    CHECK_EQ_INT(netrt_optim_state_load(&b, buf, size), 0);
    CHECK_EQ_INT(b.t, 3);
    memcpy(p2, p1, bytes);
    for (int s = 3; s < 6; s++) {
        fake_grad(m, g, s);
        netrt_optim_step(&a, p1, g, netrt_schedule_lr(c, s, 6, a.t + 1));
        netrt_optim_step(&b, p2, g, netrt_schedule_lr(c, s, 6, b.t + 1));
    }
    CHECK(memcmp(p1, p2, bytes) == 0);
    for (int i = 0; i < 3; i++)
        CHECK(!a.state[i] || memcmp(a.state[i], b.state[i], bytes) == 0);
    /* the resumed run really moved, and the state is not from a fresh start */
    CHECK(memcmp(p1, buf, bytes) != 0);
    /* a different optimizer or a cut buffer is refused */
    NetrtOptimConfig other = *c;
    other.kind = c->kind == NETRT_OPT_ADAM ? NETRT_OPT_ADAGRAD : NETRT_OPT_ADAM;
    NetrtOptimizer x;
    CHECK_EQ_INT(netrt_optim_init(&x, m, &other), 0);
    fprintf(stderr, "(expected errors follow)\n");
    CHECK_EQ_INT(netrt_optim_state_load(&x, buf, size), -1);
    CHECK_EQ_INT(netrt_optim_state_load(&b, buf, size - 1), -1);
    netrt_optim_free(&x);
    free(buf);
    netrt_optim_free(&a);
    netrt_optim_free(&b);
}

static void test_resume(void)
{
    for (int k = NETRT_OPT_SGD; k < NETRT_OPT_LBFGS; k++) {
        NetrtOptimConfig c;
        netrt_optim_defaults(&c, (NetrtOptimKind)k);
        c.momentum = k == NETRT_OPT_SGD || k == NETRT_OPT_RMSPROP ? 0.5 : c.momentum;
        c.weight_decay = 0.05;
        c.schedule = NETRT_SCHED_STEP;
        c.step_size = 2;
        c.gamma = 0.7;
        resume_case(&wb64, &c);
        resume_case(&wb32, &c);
    }
}

/* ---- L-BFGS ---- */

enum { LS_ROWS = 40, LS_COLS = 6 };

typedef struct {
    double a[LS_ROWS][LS_COLS], b[LS_ROWS];
    int evals;
} LeastSquares;

/* f(x) = 1/(2 rows) |A x - b|^2, gradient A^T (A x - b) / rows. */
static double ls_eval(void *ctx, const void *params, void *grad)
{
    LeastSquares *ls = ctx;
    const double *x = params;
    double *g = grad, f = 0.0;
    ls->evals++;
    memset(g, 0, LS_COLS * sizeof *g);
    for (int r = 0; r < LS_ROWS; r++) {
        double e = -ls->b[r];
        for (int c = 0; c < LS_COLS; c++)
            e += ls->a[r][c] * x[c];
        f += e * e;
        for (int c = 0; c < LS_COLS; c++)
            g[c] += ls->a[r][c] * e / LS_ROWS;
    }
    return f / (2.0 * LS_ROWS);
}

static void ls_fill(LeastSquares *ls)
{
    NetrtRng rng;
    netrt_rng_seed(&rng, 11);
    for (int r = 0; r < LS_ROWS; r++) {
        for (int c = 0; c < LS_COLS; c++)
            ls->a[r][c] = netrt_rng_normal(&rng) * (1.0 + c);   /* columns scaled 1..6 */
        ls->b[r] = 3.0 * netrt_rng_normal(&rng) + 1.0;
    }
    ls->evals = 0;
}

/* The optimum from the normal equations A^T A x = A^T b (Gaussian elimination
 * with partial pivoting). */
static void ls_solve(const LeastSquares *ls, double x[LS_COLS])
{
    double m[LS_COLS][LS_COLS + 1] = { { 0 } };
    for (int i = 0; i < LS_COLS; i++) {
        for (int j = 0; j < LS_COLS; j++)
            for (int r = 0; r < LS_ROWS; r++)
                m[i][j] += ls->a[r][i] * ls->a[r][j];
        for (int r = 0; r < LS_ROWS; r++)
            m[i][LS_COLS] += ls->a[r][i] * ls->b[r];
    }
    for (int k = 0; k < LS_COLS; k++) {
        int piv = k;
        for (int i = k + 1; i < LS_COLS; i++)
            if (fabs(m[i][k]) > fabs(m[piv][k]))
                piv = i;
        for (int j = 0; j <= LS_COLS; j++) {
            double tmp = m[k][j];
            m[k][j] = m[piv][j];
            m[piv][j] = tmp;
        }
        for (int i = k + 1; i < LS_COLS; i++) {
            double f = m[i][k] / m[k][k];
            for (int j = k; j <= LS_COLS; j++)
                m[i][j] -= f * m[k][j];
        }
    }
    for (int i = LS_COLS - 1; i >= 0; i--) {
        double v = m[i][LS_COLS];
        for (int j = i + 1; j < LS_COLS; j++)
            v -= m[i][j] * x[j];
        x[i] = v / m[i][i];
    }
}

static const NetrtModel ls_model = { .name = "ls", .real_size = 8, .num_params = LS_COLS };

static void test_lbfgs_least_squares(void)
{
    static LeastSquares ls;
    ls_fill(&ls);
    double opt[LS_COLS], x[LS_COLS] = { 0 }, loss = 0, first = 0;
    ls_solve(&ls, opt);
    NetrtOptimConfig c;
    netrt_optim_defaults(&c, NETRT_OPT_LBFGS);
    CHECK(c.history == 10 && c.lr == 1.0);
    /* torch's tolerance_change 1e-9 on the loss stops at ~3e-6 relative here; go on */
    c.tol_change = 1e-14;
    NetrtOptimizer o;
    CHECK_EQ_INT(netrt_optim_init(&o, &ls_model, &c), 0);
    int rc = 0, iters = 0;
    while (rc == 0 && iters < 200) {
        rc = netrt_lbfgs_iterate(&o, x, ls_eval, &ls, &loss);
        if (iters++ == 0)
            first = loss;
    }
    CHECK_EQ_INT(rc, 1);
    CHECK(iters < 60);
    CHECK(loss < first);
    double num = 0, den = 0;
    for (int i = 0; i < LS_COLS; i++) {
        num += (x[i] - opt[i]) * (x[i] - opt[i]);
        den += opt[i] * opt[i];
    }
    if (!CHECK(sqrt(num / den) <= 1e-6))
        fprintf(stderr, "    relative error %.3g after %d iterations\n", sqrt(num / den), iters);
    if (getenv("VERBOSE"))
        printf("lbfgs least squares: relative error %.3g after %d iterations, %d evaluations\n",
               sqrt(num / den), iters, ls.evals);
    /* converged means the gradient test holds: another call changes nothing */
    double before[LS_COLS];
    memcpy(before, x, sizeof x);
    CHECK_EQ_INT(netrt_lbfgs_iterate(&o, x, ls_eval, &ls, &loss), 1);
    CHECK(memcmp(before, x, sizeof x) == 0);
    netrt_optim_free(&o);
    CHECK(o.lbfgs == NULL);
}

/* Rosenbrock's valley: non-convex, the line search must bracket and zoom. */
static double rosen_eval(void *ctx, const void *params, void *grad)
{
    const double *x = params;
    double *g = grad, a = x[1] - x[0] * x[0];
    (void)ctx;
    g[0] = -400.0 * x[0] * a - 2.0 * (1.0 - x[0]);
    g[1] = 200.0 * a;
    return 100.0 * a * a + (1.0 - x[0]) * (1.0 - x[0]);
}

static const NetrtModel rosen_model = { .name = "rosen", .real_size = 8, .num_params = 2 };

static void test_lbfgs_rosenbrock(void)
{
    NetrtOptimConfig c;
    netrt_optim_defaults(&c, NETRT_OPT_LBFGS);
    c.tol_change = 1e-14;
    NetrtOptimizer o;
    CHECK_EQ_INT(netrt_optim_init(&o, &rosen_model, &c), 0);
    double x[2] = { -1.2, 1.0 }, loss = 0;
    int rc = 0, iters = 0;
    while (rc == 0 && iters < 500) {
        rc = netrt_lbfgs_iterate(&o, x, rosen_eval, NULL, &loss);
        iters++;
    }
    CHECK_EQ_INT(rc, 1);
    if (getenv("VERBOSE"))
        printf("lbfgs rosenbrock: (%.12g, %.12g) after %d iterations\n", x[0], x[1], iters);
    CHECK_NEAR(x[0], 1.0, 1e-6);
    CHECK_NEAR(x[1], 1.0, 1e-6);
    CHECK(loss < 1e-12);
    netrt_optim_free(&o);
}

/* Stop after k iterations, save, resume in a fresh optimizer: the iterates must
 * match an uninterrupted run bit for bit (the history has wrapped by then). */
static void test_lbfgs_resume(void)
{
    NetrtOptimConfig c;
    netrt_optim_defaults(&c, NETRT_OPT_LBFGS);
    c.history = 3;
    NetrtOptimizer a, b;
    CHECK_EQ_INT(netrt_optim_init(&a, &rosen_model, &c), 0);
    CHECK_EQ_INT(netrt_optim_init(&b, &rosen_model, &c), 0);
    double xa[2] = { -1.2, 1.0 }, xb[2], la = 0, lb = 0;
    for (int i = 0; i < 8; i++)
        CHECK_EQ_INT(netrt_lbfgs_iterate(&a, xa, rosen_eval, NULL, &la), 0);
    size_t size = netrt_optim_state_size(&a);
    void *buf = malloc(size);
    netrt_optim_state_save(&a, buf);
    CHECK_EQ_INT(netrt_optim_state_load(&b, buf, size), 0);
    memcpy(xb, xa, sizeof xa);
    for (int i = 0; i < 10; i++) {
        int ra = netrt_lbfgs_iterate(&a, xa, rosen_eval, NULL, &la);
        int rb = netrt_lbfgs_iterate(&b, xb, rosen_eval, NULL, &lb);
        CHECK_EQ_INT(ra, rb);
        CHECK(memcmp(xa, xb, sizeof xa) == 0 && la == lb);
    }
    CHECK(a.t == b.t && a.t == 18);
    /* a different history length is refused */
    NetrtOptimizer x;
    c.history = 4;
    CHECK_EQ_INT(netrt_optim_init(&x, &rosen_model, &c), 0);
    CHECK_EQ_INT(netrt_optim_state_load(&x, buf, size), -1);
    netrt_optim_free(&x);
    free(buf);
    netrt_optim_free(&a);
    netrt_optim_free(&b);
}

/* ---- vector bodies and their tails, bit for bit ----
 * The runtime's update loops are vectorized (libnetrt is built with
 * -fvect-cost-model=dynamic -fno-math-errno, so even sqrt and division run
 * 4 or 2 lanes wide); the 3-parameter models above never leave the scalar
 * tail. Here a weight tensor of 67 values and a bias of 6 take three updates
 * of every optimizer, and each parameter must equal, to the bit, the formula
 * evaluated one value at a time below (the same operations in the same order,
 * IEEE-rounded: sqrt and division are correctly rounded in every lane). */
enum { VW = 67, VB = 6, VN = VW + VB };
static const NetrtParamInfo vec_params[] = {
    { .name = "w", .offset = 0, .size = VW, .rows = 1, .cols = VW, .is_weight = 1 },
    { .name = "b", .offset = VW, .size = VB, .rows = 1, .cols = VB, .is_weight = 0 },
};
static const NetrtModel vec64 = { .name = "vec64", .real_size = 8, .num_params = VN,
                                  .num_param_tensors = 2, .params = vec_params };
static const NetrtModel vec32 = { .name = "vec32", .real_size = 4, .num_params = VN,
                                  .num_param_tensors = 2, .params = vec_params };

/* One element's update by the formulas of optim.c, in type T with square root
 * SQRT; s0 and s1 are the element's optimizer state, t the step (from 1). */
#define REF_UPDATE(T, SQRT)                                                                    \
    static void ref_update_##T(const NetrtOptimConfig *c, double lr, int t, int is_w, T *p,  \
                               T g, T *s0, T *s1)                                             \
    {                                                                                         \
        const T wd = is_w ? (T)c->weight_decay : (T)0, mu = (T)c->momentum;                   \
        const T rho = (T)c->rho, cr = (T)(1.0 - c->rho), eps = (T)c->eps, l = (T)lr;          \
        T d = g + wd * *p, dx;                                                                \
        switch (c->kind) {                                                                    \
        case NETRT_OPT_SGD:                                                                   \
        case NETRT_OPT_NESTEROV:                                                              \
            if (c->momentum == 0.0) {                                                         \
                *p = *p - l * d;                                                              \
            } else {                                                                          \
                *s0 = *s0 * mu + d;                                                           \
                *p = *p - l * (c->kind == NETRT_OPT_NESTEROV ? d + mu * *s0 : *s0);           \
            }                                                                                 \
            break;                                                                            \
        case NETRT_OPT_ADAGRAD:                                                               \
            *s0 = *s0 + d * d;                                                                \
            *p = *p - l * (d / (SQRT(*s0) + eps));                                            \
            break;                                                                            \
        case NETRT_OPT_RMSPROP:                                                               \
            *s0 = *s0 * rho + cr * d * d;                                                     \
            if (c->momentum != 0.0) {                                                         \
                *s1 = *s1 * mu + d / (SQRT(*s0) + eps);                                       \
                *p = *p - l * *s1;                                                            \
            } else {                                                                          \
                *p = *p - l * (d / (SQRT(*s0) + eps));                                        \
            }                                                                                 \
            break;                                                                            \
        case NETRT_OPT_ADADELTA:                                                              \
            *s0 = *s0 * rho + cr * d * d;                                                     \
            dx = SQRT(*s1 + eps) / SQRT(*s0 + eps) * d;                                       \
            *s1 = *s1 * rho + cr * dx * dx;                                                   \
            *p = *p - l * dx;                                                                 \
            break;                                                                            \
        case NETRT_OPT_ADAM:                                                                  \
        case NETRT_OPT_ADAMW: {                                                               \
            const int dec = c->kind == NETRT_OPT_ADAMW;                                       \
            const T keep = dec ? (T)(1.0 - lr * (is_w ? c->weight_decay : 0.0)) : (T)1;       \
            const T ss = (T)(lr / (1.0 - pow(c->beta1, (double)t)));                          \
            const T bc2s = (T)sqrt(1.0 - pow(c->beta2, (double)t));                           \
            *p = *p * keep;                                                                   \
            d = g + (dec ? (T)0 : wd) * *p;                                                   \
            *s0 = *s0 * (T)c->beta1 + (T)(1.0 - c->beta1) * d;                                \
            *s1 = *s1 * (T)c->beta2 + (T)(1.0 - c->beta2) * d * d;                            \
            *p = *p - ss * (*s0 / (SQRT(*s1) / bc2s + eps));                                  \
            break;                                                                            \
        }                                                                                     \
        case NETRT_OPT_LBFGS:                                                                 \
            break;                                                                            \
        }                                                                                     \
    }
REF_UPDATE(double, sqrt)
REF_UPDATE(float, sqrtf)

/* Deterministic values in [-1, 1): a step's gradient, the starting parameters. */
static double vec_value(int step, int i)
{
    unsigned u = (unsigned)(step * 7919 + i * 104729 + 12345) * 2654435761u;
    return (double)(u >> 8) / (double)(1u << 23) - 1.0;
}

static void expect_vector_bodies(const char *what, const NetrtOptimConfig *c)
{
    for (int prec = 0; prec < 2; prec++) {
        const NetrtModel *m = prec == 0 ? &vec64 : &vec32;
        double pd[VN], gd[VN], rd[VN], a0d[VN] = { 0 }, a1d[VN] = { 0 };
        float pf[VN], gf[VN], rf[VN], a0f[VN] = { 0 }, a1f[VN] = { 0 };
        void *pv = prec == 0 ? (void *)pd : (void *)pf, *gv = prec == 0 ? (void *)gd : (void *)gf;
        for (int i = 0; i < VN; i++) {
            netrt_set(m, pv, (size_t)i, vec_value(0, i));
            rd[i] = pd[i];
            rf[i] = pf[i];
        }
        NetrtOptimizer o;
        CHECK_EQ_INT(netrt_optim_init(&o, m, c), 0);
        int bad = -1;
        for (int t = 1; t <= 3; t++) {
            for (int i = 0; i < VN; i++) {
                netrt_set(m, gv, (size_t)i, vec_value(t, i));
                if (prec == 0)
                    ref_update_double(c, c->lr, t, i < VW, &rd[i], gd[i], &a0d[i], &a1d[i]);
                else
                    ref_update_float(c, c->lr, t, i < VW, &rf[i], gf[i], &a0f[i], &a1f[i]);
            }
            netrt_optim_step(&o, pv, gv, c->lr);
            for (int i = 0; i < VN && bad < 0; i++)
                if (prec == 0 ? memcmp(&pd[i], &rd[i], sizeof(double)) != 0
                              : memcmp(&pf[i], &rf[i], sizeof(float)) != 0)
                    bad = i;
            if (bad >= 0) {
                fprintf(stderr, "    %s (%s), step %d, parameter %d: %.17g, by the formula %.17g\n",
                        what, m->name, t, bad, netrt_get(m, pv, (size_t)bad),
                        prec == 0 ? rd[bad] : (double)rf[bad]);
                break;
            }
        }
        CHECK(bad < 0);
        netrt_optim_free(&o);
    }
}

static void test_vector_bodies(void)
{
    static const struct { NetrtOptimKind kind; double momentum; const char *what; } cases[] = {
        { NETRT_OPT_SGD, 0.0, "sgd" },           { NETRT_OPT_SGD, 0.9, "sgd momentum" },
        { NETRT_OPT_NESTEROV, 0.9, "nesterov" },  { NETRT_OPT_ADAGRAD, 0.0, "adagrad" },
        { NETRT_OPT_RMSPROP, 0.0, "rmsprop" },    { NETRT_OPT_RMSPROP, 0.9, "rmsprop momentum" },
        { NETRT_OPT_ADADELTA, 0.0, "adadelta" },  { NETRT_OPT_ADAM, 0.0, "adam" },
        { NETRT_OPT_ADAMW, 0.0, "adamw" },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        NetrtOptimConfig c;
        netrt_optim_defaults(&c, cases[k].kind);
        c.lr = 0.05;
        c.momentum = cases[k].momentum;
        c.weight_decay = 0.1;
        expect_vector_bodies(cases[k].what, &c);
    }
}

int main(void)
{
    test_old_sgd();
    test_sgd();
    test_nesterov();
    test_adagrad();
    test_rmsprop();
    test_adadelta();
    test_adam();
    test_vector_bodies();
    test_names();
    test_schedules();
    test_clip();
    test_resume();
    test_lbfgs_least_squares();
    test_lbfgs_rosenbrock();
    test_lbfgs_resume();
    return check_summary("test_optim");
}
