/* test_expr.c: the formula engine (expr.c): hash-consing, each simplification,
 * derivatives against central differences, subgradients at kinks, built-in
 * activations against their formula twins, derivative sizes, and the emitted C
 * compiled with strict warnings and run against expr_eval. */
#include <float.h>
#include <stdlib.h>

#include "check.h"
#include "expr.h"
#include "testutil.h"

static Arena arena;
static ExprPool *P;
static const char *const names[] = {"z", "t", "d"};

#define K(v) expr_const(P, (v))
#define Z expr_var(P, 0)
#define T expr_var(P, 1)
#define U(op, a) expr_unary(P, (op), (a))
#define B(op, a, b) expr_binary(P, (op), (a), (b))
#define ADD(a, b) B(EX_ADD, a, b)
#define SUB(a, b) B(EX_SUB, a, b)
#define MUL(a, b) B(EX_MUL, a, b)
#define DIV(a, b) B(EX_DIV, a, b)
#define POW(a, c) B(EX_POW, a, K(c))
#define WHERE(c, a, b) expr_where(P, (c), (a), (b))

/* expr_print into a static buffer. */
static const char *show(const Expr *e)
{
    static char buf[4096];
    FILE *m = fmemopen(buf, sizeof buf - 1, "w");
    if (e)
        expr_print(m, e, names);
    else
        fputs("(null)", m);
    fclose(m);
    return buf;
}

#define CHECK_SHOWS(e, text) do { \
        const char *check_s_ = show(e); \
        if (!check_report(strcmp(check_s_, (text)) == 0, __FILE__, __LINE__, \
                          #e " prints " #text)) \
            fprintf(stderr, "    got %s\n", check_s_); \
    } while (0)

static bool is_num(const Expr *e, double v)
{
    double x;
    return expr_is_const(e, &x) && x == v;
}

/* ---- the formulas of the issue ---- */

static const Expr *swish(void)
{
    return MUL(Z, U(EX_SIGMOID, Z));
}

static const Expr *gelu_tanh(void)
{
    const Expr *inner = MUL(K(0.79788456), ADD(Z, MUL(K(0.044715), POW(Z, 3))));
    return MUL(MUL(K(0.5), Z), ADD(K(1), U(EX_TANH, inner)));
}

/* huber(y, t; d) with y = var 0, t = var 1 and d given. */
static const Expr *huber(const Expr *d)
{
    const Expr *r = SUB(Z, T), *ar = U(EX_ABS, r);
    return WHERE(B(EX_LE, ar, d), MUL(K(0.5), POW(r, 2)),
                 MUL(d, SUB(ar, MUL(K(0.5), d))));
}

/* ---- hash-consing ---- */

static void test_hash_consing(void)
{
    CHECK(gelu_tanh() == gelu_tanh());
    CHECK(huber(K(1.5)) == huber(K(1.5)));
    CHECK(ADD(Z, T) == ADD(T, Z));
    CHECK(MUL(Z, U(EX_EXP, T)) == MUL(U(EX_EXP, T), Z));
    CHECK(B(EX_MAX, Z, T) == B(EX_MAX, T, Z));
    CHECK(B(EX_EQ, Z, T) == B(EX_EQ, T, Z));
    CHECK(SUB(Z, T) != SUB(T, Z));
    CHECK(B(EX_LT, Z, T) != B(EX_LT, T, Z));
    CHECK(K(0.0) == K(-0.0));
    CHECK(K(2.5) == K(2.5));
    CHECK(expr_var(P, 2) == expr_var(P, 2));
    CHECK(expr_var(P, 2) != Z);
    CHECK_SHOWS(ADD(K(3), Z), "(3 + z)");    /* a constant goes first */
    CHECK_SHOWS(ADD(Z, K(3)), "(3 + z)");
    const Expr *a = U(EX_LOG, Z), *b = U(EX_SQRT, Z);
    CHECK(b->id > a->id);                   /* ids follow creation order */
}

/* The same formula in a fresh pool gets the same ids: nothing depends on addresses. */
static void test_ids_deterministic(void)
{
    Arena a2 = {0};
    ExprPool *saved = P;
    P = expr_pool_new(&a2);
    const Expr *g1 = gelu_tanh(), *d1 = expr_diff(P, g1, 0);
    P = expr_pool_new(&a2);
    const Expr *g2 = gelu_tanh(), *d2 = expr_diff(P, g2, 0);
    CHECK(g1 != g2);
    CHECK_EQ_INT(g1->id, g2->id);
    CHECK_EQ_INT(d1->id, d2->id);
    P = saved;
    arena_free_all(&a2);
}

/* ---- simplification ---- */

static void test_fold(void)
{
    CHECK(is_num(ADD(K(2), K(3)), 5));
    CHECK(is_num(MUL(K(2), SUB(K(1), K(4))), -6));
    CHECK(is_num(U(EX_EXP, K(0)), 1));
    CHECK(is_num(U(EX_NEG, K(3)), -3));
    CHECK(is_num(POW(K(2), 10), 1024));
    CHECK(is_num(U(EX_SIGMOID, K(0)), 0.5));
    CHECK(is_num(B(EX_MAX, K(2), K(-1)), 2));
    CHECK(is_num(U(EX_SIGN, K(-4)), -1));
    CHECK(is_num(B(EX_LT, K(3), K(4)), 1));
    CHECK(is_num(B(EX_GE, K(3), K(4)), 0));
    CHECK(is_num(B(EX_NE, K(3), K(4)), 1));
    /* Non-finite results stay symbolic: the emitter never sees inf or nan. */
    CHECK(!expr_is_const(U(EX_EXP, K(1000)), NULL));
    CHECK(!expr_is_const(U(EX_LOG, K(0)), NULL));
    CHECK(!expr_is_const(U(EX_SQRT, K(-1)), NULL));
}

static void test_identities(void)
{
    const Expr *x = U(EX_EXP, Z);
    CHECK(ADD(K(0), x) == x);
    CHECK(ADD(x, K(0)) == x);
    CHECK(SUB(x, K(0)) == x);
    CHECK(SUB(K(0), x) == U(EX_NEG, x));
    CHECK(is_num(SUB(x, x), 0));
    CHECK(MUL(K(1), x) == x);
    CHECK(MUL(x, K(1)) == x);
    CHECK(MUL(x, K(-1)) == U(EX_NEG, x));
    CHECK(is_num(MUL(K(0), x), 0));
    CHECK(is_num(MUL(x, K(0)), 0));
    CHECK(DIV(x, K(1)) == x);
    CHECK(is_num(DIV(x, x), 1));
    CHECK(is_num(DIV(K(0), x), 0));
    CHECK(U(EX_NEG, U(EX_NEG, x)) == x);
    CHECK(POW(x, 1) == x);
    CHECK(is_num(POW(x, 0), 1));
    CHECK(ADD(x, U(EX_NEG, T)) == SUB(x, T));
    CHECK(SUB(x, U(EX_NEG, T)) == ADD(x, T));
    CHECK(B(EX_MIN, x, x) == x);
    CHECK(is_num(B(EX_LT, x, x), 0));
    CHECK(is_num(B(EX_LE, x, x), 1));
    CHECK(U(EX_ABS, U(EX_NEG, Z)) == U(EX_ABS, Z));
    CHECK(U(EX_ABS, U(EX_ABS, Z)) == U(EX_ABS, Z));
    CHECK(U(EX_ABS, x) == x);               /* exp is never negative */
    CHECK(U(EX_ABS, POW(Z, 2)) == POW(Z, 2));
}

static void test_canonical_forms(void)
{
    CHECK(MUL(K(2), MUL(K(3), Z)) == MUL(K(6), Z));
    CHECK(MUL(MUL(K(2), Z), MUL(K(3), T)) == MUL(K(6), MUL(Z, T)));
    CHECK(MUL(K(2), DIV(K(3), Z)) == DIV(K(6), Z));
    CHECK(ADD(K(1), ADD(K(2), Z)) == ADD(K(3), Z));
    CHECK(ADD(Z, Z) == MUL(K(2), Z));
    CHECK(MUL(Z, Z) == POW(Z, 2));
    CHECK(POW(POW(Z, 2), 3) == POW(Z, 6));
    CHECK(POW(POW(Z, 0.5), 2) != Z);        /* only integer powers combine */
    CHECK(POW(U(EX_NEG, Z), 2) == POW(Z, 2));
    CHECK(POW(U(EX_NEG, Z), 3) == U(EX_NEG, POW(Z, 3)));
    CHECK(MUL(U(EX_NEG, Z), U(EX_NEG, T)) == MUL(Z, T));
    CHECK(MUL(U(EX_NEG, Z), T) == U(EX_NEG, MUL(Z, T)));
    CHECK(DIV(U(EX_NEG, Z), T) == U(EX_NEG, DIV(Z, T)));
    CHECK(U(EX_NEG, MUL(K(2), Z)) == MUL(K(-2), Z));
    CHECK(DIV(Z, K(4)) == MUL(K(0.25), Z)); /* exact: a power of two */
    CHECK_SHOWS(DIV(Z, K(3)), "(z / 3)");   /* not exact: stays a division */
    CHECK_SHOWS(ADD(Z, K(-1)), "(z - 1)");
    CHECK_SHOWS(SUB(Z, K(-1)), "(1 + z)");
    CHECK_SHOWS(U(EX_NEG, SUB(Z, T)), "(-(z - t))");
}

static void test_where_and_div_zero(void)
{
    const Expr *a = U(EX_EXP, Z), *b = U(EX_LOG, Z), *c = B(EX_GT, Z, K(0));
    CHECK(WHERE(K(1), a, b) == a);
    CHECK(WHERE(K(0), a, b) == b);
    CHECK(WHERE(B(EX_LT, K(1), K(2)), a, b) == a);
    CHECK(WHERE(c, a, a) == a);
    CHECK(WHERE(c, K(1), K(0)) == c);
    CHECK(WHERE(c, U(EX_NEG, a), U(EX_NEG, b)) == U(EX_NEG, WHERE(c, a, b)));
    CHECK(WHERE(c, U(EX_NEG, a), MUL(K(-2), b)) == U(EX_NEG, WHERE(c, a, MUL(K(2), b))));
    CHECK_SHOWS(WHERE(c, K(-1), K(-2)), "where((z > 0), -1, -2)");
    /* Division by a constant zero, even one that folding produced, is NULL. */
    CHECK(DIV(Z, K(0)) == NULL);
    CHECK(DIV(K(1), SUB(K(1), K(1))) == NULL);
    CHECK(DIV(Z, SUB(T, T)) == NULL);
    CHECK(POW(SUB(Z, Z), -1) == NULL);
    CHECK(is_num(POW(K(0), 2), 0));
    CHECK(ADD(Z, DIV(Z, K(0))) == NULL);    /* NULL propagates */
    CHECK(U(EX_EXP, NULL) == NULL);
    CHECK(WHERE(c, NULL, a) == NULL);
    CHECK(expr_subst(P, DIV(K(1), Z), 0, K(0)) == NULL);
}

static void test_queries(void)
{
    const Expr *h = huber(K(1.5));
    double v = 0;
    CHECK(expr_is_const(K(2), &v) && v == 2);
    CHECK(!expr_is_const(Z, NULL));
    CHECK(expr_uses_var(h, 0));
    CHECK(expr_uses_var(h, 1));
    CHECK(!expr_uses_var(h, 2));
    CHECK(!expr_uses_var(gelu_tanh(), 1));
    const Expr *roots[2] = {ADD(Z, T), MUL(Z, T)};
    CHECK_EQ_INT(expr_count(roots, 1), 3);
    CHECK_EQ_INT(expr_count(roots, 2), 4);  /* z and t shared */
    /* subst: swish(2t + 1) evaluated at t equals swish at 2t + 1. */
    const Expr *s = expr_subst(P, swish(), 0, ADD(K(1), MUL(K(2), T)));
    double x[2] = {0, 0.3}, y[1] = {1.6};
    CHECK_NEAR(expr_eval(s, x), expr_eval(swish(), y), 1e-15);
    CHECK(!expr_uses_var(s, 0));
    CHECK(is_num(expr_subst(P, huber(K(1)), 1, Z), 0));  /* y - y = 0 */
    CHECK_SHOWS(swish(), "(z * sigmoid(z))");
    CHECK_SHOWS(WHERE(B(EX_GT, Z, K(0)), Z, U(EX_SOFTPLUS, Z)),
                "where((z > 0), z, softplus(z))");
    CHECK(strcmp(expr_op_name(EX_SIGMOID), "sigmoid") == 0);
}

/* ---- derivatives against central differences ---- */

/* d f / d var at x by expr_diff agrees with a central difference. */
static void check_diff_at(const Expr *f, int var, const double *x, int line)
{
    const Expr *df = expr_diff(P, f, var);
    double xp[3], xm[3], h = 1e-6 * fmax(1, fabs(x[var]));
    memcpy(xp, x, sizeof xp);
    memcpy(xm, x, sizeof xm);
    xp[var] += h;
    xm[var] -= h;
    double fd = (expr_eval(f, xp) - expr_eval(f, xm)) / (xp[var] - xm[var]);
    double an = expr_eval(df, x);
    if (!check_report(fabs(an - fd) <= 1e-6 * fmax(1, fabs(fd)), __FILE__, line,
                      "derivative matches central difference"))
        fprintf(stderr, "    d/d%s %s at (%g, %g): %.12g vs %.12g\n", names[var], show(f),
                x[0], x[1], an, fd);
}

static void check_diff(const Expr *f, int line)
{
    static const double pts[][3] = {
        {-1.7, 0.45, 0}, {-0.6, -1.3, 0}, {0.35, 2.1, 0}, {1.3, 0.2, 0}, {2.2, -0.7, 0},
    };
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        check_diff_at(f, 0, pts[i], line);
        check_diff_at(f, 1, pts[i], line);
    }
}

static void test_diff_numeric(void)
{
    const Expr *pos = ADD(K(0.5), MUL(Z, Z));   /* positive, for log, sqrt, pow */
    const Expr *fs[] = {
        U(EX_NEG, MUL(Z, T)), ADD(Z, MUL(T, T)), SUB(POW(Z, 3), T), MUL(Z, U(EX_EXP, T)),
        DIV(ADD(Z, K(3)), ADD(K(2), POW(T, 2))), DIV(K(1), pos), POW(Z, 2), POW(Z, 3),
        POW(pos, -1), POW(pos, -2), POW(pos, 1.5), POW(pos, 0.5), U(EX_EXP, MUL(Z, T)),
        U(EX_LOG, pos), U(EX_SQRT, pos), U(EX_ABS, MUL(Z, T)), U(EX_TANH, MUL(K(0.7), Z)),
        U(EX_SIGMOID, SUB(Z, T)), U(EX_SOFTPLUS, MUL(Z, T)), MUL(U(EX_SIGN, Z), T),
        B(EX_MIN, Z, T), B(EX_MAX, Z, MUL(T, T)), MUL(B(EX_LT, Z, T), Z),
        ADD(B(EX_GE, Z, K(0)), T), WHERE(B(EX_GT, Z, T), MUL(Z, Z), U(EX_EXP, T)),
        WHERE(B(EX_NE, Z, K(1)), U(EX_TANH, Z), T), swish(), gelu_tanh(), huber(K(1.0)),
        huber(K(0.5)), MUL(Z, T),
    };
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
        check_diff(fs[i], __LINE__);
    /* Second derivatives go through the same rules. */
    check_diff(expr_diff(P, gelu_tanh(), 0), __LINE__);
    check_diff(expr_diff(P, U(EX_SIGMOID, MUL(Z, T)), 1), __LINE__);
}

static void test_diff_rules(void)
{
    CHECK(expr_diff(P, U(EX_EXP, MUL(K(2), Z)), 0) == MUL(K(2), U(EX_EXP, MUL(K(2), Z))));
    CHECK(expr_diff(P, POW(Z, 2), 0) == MUL(K(2), Z));
    CHECK(expr_diff(P, U(EX_SOFTPLUS, Z), 0) == U(EX_SIGMOID, Z));
    CHECK(is_num(expr_diff(P, U(EX_SIGN, Z), 0), 0));
    CHECK(is_num(expr_diff(P, B(EX_LT, Z, T), 0), 0));
    CHECK(is_num(expr_diff(P, MUL(Z, U(EX_LOG, K(0))), 1), 0));
    CHECK(is_num(expr_diff(P, Z, 0), 1));
    CHECK(is_num(expr_diff(P, T, 0), 0));
    CHECK_SHOWS(expr_diff(P, U(EX_LOG, Z), 0), "(1 / z)");
    CHECK_SHOWS(expr_diff(P, U(EX_TANH, Z), 0), "(1 - (tanh(z) ^ 2))");
    CHECK_SHOWS(expr_diff(P, U(EX_SIGMOID, Z), 0), "(sigmoid(z) * (1 - sigmoid(z)))");
    CHECK_SHOWS(expr_diff(P, B(EX_MAX, Z, T), 1), "where((z >= t), 0, 1)");
}

/* ---- kinks: the documented subgradients ---- */

static double d_at(const Expr *f, int var, double z, double t)
{
    double x[3] = {z, t, 0};
    return expr_eval(expr_diff(P, f, var), x);
}

static void test_subgradients(void)
{
    CHECK(d_at(U(EX_ABS, Z), 0, 0, 0) == 0);
    CHECK(d_at(U(EX_ABS, Z), 0, -0.0, 0) == 0);
    CHECK(d_at(U(EX_SIGN, Z), 0, 0, 0) == 0);
    CHECK(d_at(WHERE(B(EX_GT, Z, K(0)), Z, K(0)), 0, 0, 0) == 0);    /* relu: 0 at 0 */
    CHECK(d_at(WHERE(B(EX_GE, Z, K(0)), Z, K(0)), 0, 0, 0) == 1);    /* the branch c picks */
    CHECK(d_at(WHERE(B(EX_GT, Z, K(1)), POW(Z, 2), MUL(K(3), Z)), 0, 1, 0) == 3);
    CHECK(d_at(B(EX_MAX, Z, K(0)), 0, 0, 0) == 0);  /* tie: the constant's derivative */
    CHECK(d_at(B(EX_MIN, Z, K(0)), 0, 0, 0) == 0);
    CHECK(d_at(B(EX_MAX, Z, T), 0, 1, 1) == 1);     /* tie: the older node, z */
    CHECK(d_at(B(EX_MAX, Z, T), 1, 1, 1) == 0);
    CHECK(d_at(huber(K(1)), 0, 1, 0) == 1);         /* |y - t| = d: quadratic side */
    CHECK(d_at(huber(K(1)), 0, 0, 0) == 0);
    CHECK(isinf(d_at(U(EX_SQRT, Z), 0, 0, 0)));    /* follows the formula */
}

/* ---- built-in activations and their formula twins ---- */

/* |a - b| <= 1e-15 |b| + slack: slack covers the built-in's own cancellation. */
static void check_twin(const char *what, const Expr *twin, const Expr *builtin,
                       double slack, double lo, double hi)
{
    double worst = 0;
    int bad = 0;
    for (double z = lo; z <= hi; z += 0.0625 * 1.01) {
        double x[1] = {z};
        double a = expr_eval(expr_diff(P, twin, 0), x);
        double b = expr_eval(expr_diff(P, builtin, 0), x);
        double err = fabs(a - b);
        bad += err > 1e-15 * fabs(b) + slack;
        if (err / fabs(b) > worst)
            worst = err / fabs(b);
    }
    if (!check_report(bad == 0, __FILE__, __LINE__, what))
        fprintf(stderr, "    %d points off; worst relative %.3g\n", bad, worst);
}

static void test_twins(void)
{
    const Expr *ez2 = U(EX_EXP, MUL(K(2), Z)), *sig = U(EX_SIGMOID, Z);
    const Expr *sig_twin = DIV(K(1), ADD(K(1), U(EX_EXP, U(EX_NEG, Z))));
    const Expr *tanh_twin = DIV(SUB(ez2, K(1)), ADD(ez2, K(1)));
    const Expr *sp_twin = U(EX_LOG, ADD(K(1), U(EX_EXP, Z)));
    /* Where the built-in y(1 - y) does not cancel, 1e-15 relative outright. */
    check_twin("sigmoid twin, z <= 0", sig_twin, sig, 0, -30, 0);
    check_twin("softplus twin", sp_twin, U(EX_SOFTPLUS, Z), 0, -30, 30);
    check_twin("tanh twin, |z| < 0.5", tanh_twin, U(EX_TANH, Z), 0, -0.5, 0.5);
    /* Elsewhere 1 - y (sigmoid) or 1 - y^2 (tanh) loses digits in the built-in,
     * so add the rounding of that subtraction (an ulp of 1, as absolute slack). */
    check_twin("sigmoid twin", sig_twin, sig, DBL_EPSILON, -30, 30);
    check_twin("tanh twin", tanh_twin, U(EX_TANH, Z), 4 * DBL_EPSILON, -15, 15);
    /* Piecewise twins: equal to the built-in kernels' expressions away from 0. */
    const Expr *relu1 = B(EX_MAX, Z, K(0)), *relu2 = WHERE(B(EX_GT, Z, K(0)), Z, K(0));
    const Expr *leaky = WHERE(B(EX_GT, Z, K(0)), Z, MUL(K(0.01), Z));
    const Expr *elu = WHERE(B(EX_GT, Z, K(0)), Z, SUB(U(EX_EXP, Z), K(1)));
    int bad = 0;
    for (double z = -4; z <= 4; z += 0.25 * 1.01) {
        bad += d_at(relu1, 0, z, 0) != (z > 0 ? 1 : 0);
        bad += d_at(relu2, 0, z, 0) != (z > 0 ? 1 : 0);
        bad += d_at(leaky, 0, z, 0) != (z > 0 ? 1 : 0.01);
        /* y + alpha (alpha = 1) cancels in the built-in: one ulp of 1 as slack. */
        double elu_builtin = z > 0 ? 1 : expm1(z) + 1;
        bad += fabs(d_at(elu, 0, z, 0) - elu_builtin) > 1e-15 * elu_builtin + DBL_EPSILON;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(d_at(relu1, 0, 0, 0) == 0 && d_at(relu2, 0, 0, 0) == 0);  /* relu'(0) = 0 */
}

/* ---- size: the derivative is not bloated ---- */

static int count1(const Expr *e)
{
    return expr_count(&e, 1);
}

static void test_sizes(void)
{
    const Expr *g = gelu_tanh(), *dg = expr_diff(P, g, 0);
    const Expr *both[2] = {g, dg};
    printf("gelu_tanh: value %d nodes, derivative %d, both %d\n", count1(g), count1(dg),
           expr_count(both, 2));
    CHECK(count1(dg) <= 24);
    CHECK(expr_count(both, 2) <= 26);
    const Expr *h = huber(K(1.0)), *hs[3] = {h, expr_diff(P, h, 0), expr_diff(P, h, 1)};
    printf("huber: value %d nodes, d/dy %d, value and both derivatives %d\n", count1(h),
           count1(hs[1]), expr_count(hs, 3));
    CHECK(expr_count(hs, 3) <= 16);
    CHECK(hs[2] == U(EX_NEG, hs[1]));       /* d/dt = -d/dy, shared */
    const Expr *s = swish(), *ss[2] = {s, expr_diff(P, s, 0)};
    CHECK(expr_count(ss, 2) <= 8);
    const Expr *h15 = huber(K(1.5));
    CHECK(expr_diff(P, h15, 1) == U(EX_NEG, expr_diff(P, h15, 0)));
    /* Memoized per node: a chain of 60 squarings differentiates in linear size. */
    const Expr *e = Z;
    for (int i = 0; i < 60; i++)
        e = U(EX_TANH, MUL(e, ADD(e, K(1))));
    const Expr *de = expr_diff(P, e, 0);
    CHECK(count1(de) < 12 * 60);
    double x[1] = {0.1};                    /* expr_eval: once per node, not per path */
    CHECK(isfinite(expr_eval(de, x)));
}

/* ---- C emission ---- */

typedef struct {
    const char *name;
    const Expr *roots[8];
    int nroots, nvars;
} Fn;

/* One C function per Fn: in[] -> out[], the roots in order. */
static void write_fn(FILE *f, const Fn *fn, bool dbl)
{
    const char *real = dbl ? "double" : "float";
    const char *outs[8];
    fprintf(f, "void %s(const %s *in, %s *out);\n", fn->name, real, real);
    fprintf(f, "void %s(const %s *in, %s *out)\n{\n", fn->name, real, real);
    for (int i = 0; i < fn->nvars; i++)
        fprintf(f, "    const %s %s = in[%d];\n", real, names[i], i);
    expr_emit(f, 4, fn->roots, fn->nroots, names, dbl, real, "t", outs);
    for (int i = 0; i < fn->nroots; i++)
        fprintf(f, "    out[%d] = %s;\n", i, outs[i]);
    fprintf(f, "}\n\n");
}

static int make_fns(Fn *fns)
{
    const Expr *pos = ADD(K(0.5), MUL(Z, Z));
    const Expr *sink = ADD(ADD(MUL(U(EX_SIGN, Z), B(EX_MIN, Z, T)), B(EX_MAX, Z, K(0.25))),
                           ADD(DIV(POW(pos, 1.5), POW(pos, -2)),
                               MUL(B(EX_LT, Z, T), U(EX_SOFTPLUS, MUL(Z, T)))));
    sink = ADD(sink, WHERE(SUB(Z, T), U(EX_LOG, pos), U(EX_SQRT, POW(pos, -1))));
    const Expr *fs[4] = {swish(), gelu_tanh(), huber(K(1.5)), sink};
    const char *fnames[4] = {"f_swish", "f_gelu", "f_huber", "f_sink"};
    for (int i = 0; i < 4; i++) {
        fns[i].name = fnames[i];
        fns[i].nvars = i < 2 ? 1 : 2;
        fns[i].nroots = 1 + fns[i].nvars;
        fns[i].roots[0] = fs[i];
        for (int v = 0; v < fns[i].nvars; v++)
            fns[i].roots[1 + v] = expr_diff(P, fs[i], v);
    }
    return 4;
}

/* The emitted functions plus a main that prints every root at a few points. */
static void write_program(FILE *f, const Fn *fns, int nfns, bool dbl, bool with_main)
{
    fprintf(f, "#include <math.h>\n#include <stdio.h>\n\n");
    for (int i = 0; i < nfns; i++)
        write_fn(f, &fns[i], dbl);
    if (!with_main)
        return;
    const char *real = dbl ? "double" : "float";
    fprintf(f, "int main(void)\n{\n    static const %s pts[][2] = {{-1.75%s, 0.5%s}, "
            "{-0.25%s, -1.5%s}, {0.5%s, 2.0%s}, {2.5%s, 0.75%s}};\n    %s out[8];\n",
            real, dbl ? "" : "f", dbl ? "" : "f", dbl ? "" : "f", dbl ? "" : "f",
            dbl ? "" : "f", dbl ? "" : "f", dbl ? "" : "f", dbl ? "" : "f", real);
    fprintf(f, "    for (int p = 0; p < 4; p++) {\n");
    for (int i = 0; i < nfns; i++) {
        fprintf(f, "        %s(pts[p], out);\n", fns[i].name);
        fprintf(f, "        for (int k = 0; k < %d; k++)\n", fns[i].nroots);
        fprintf(f, "            printf(\"%%.17g\\n\", (double)out[k]);\n");
    }
    fprintf(f, "    }\n    return 0;\n}\n");
}

static char *emit_to_string(const Fn *fns, int nfns, bool dbl)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    write_program(m, fns, nfns, dbl, false);
    fclose(m);
    return buf;
}

static bool have_cc(const char *cc)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", cc);
    return system(cmd) == 0;
}

/* Compiles path as an object with the strict warning set; true on success. */
static bool compiles(const char *cc, const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s -std=c99 -Wall -Wextra -Wpedantic -Wconversion "
             "-Wdouble-promotion -Wshadow -Werror -c -o %s.o %s", cc, path, path);
    return system(cmd) == 0;
}

static void write_file(const char *path, const Fn *fns, int nfns, bool dbl, bool with_main)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    write_program(f, fns, nfns, dbl, with_main);
    fclose(f);
}

/* Runs the compiled program and compares each printed value with expr_eval. */
static void check_run(const char *exe, const Fn *fns, int nfns, bool dbl)
{
    static const double pts[][2] = {{-1.75, 0.5}, {-0.25, -1.5}, {0.5, 2.0}, {2.5, 0.75}};
    FILE *f = popen(exe, "r");
    int bad = 0, n = 0;
    for (int p = 0; p < 4; p++)
        for (int i = 0; i < nfns; i++)
            for (int k = 0; k < fns[i].nroots; k++) {
                double got, want = expr_eval(fns[i].roots[k], (const double[3]){
                                                 pts[p][0], pts[p][1], 0});
                if (fscanf(f, "%lf", &got) != 1)
                    got = NAN;
                n++;
                if (!(fabs(got - want) <= (dbl ? 1e-13 : 2e-5) * fmax(1, fabs(want)))) {
                    bad++;
                    fprintf(stderr, "    %s root %d at point %d: %.17g vs %.17g\n",
                            fns[i].name, k, p, got, want);
                }
            }
    CHECK(pclose(f) == 0);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(n, 4 * (2 + 2 + 3 + 3));
}

/* The text: byte-identical when repeated, float names and literals, short lines. */
static void test_emit_text(const Fn *fns, int nfns)
{
    char *f1 = emit_to_string(fns, nfns, false), *f2 = emit_to_string(fns, nfns, false);
    char *d1 = emit_to_string(fns, nfns, true);
    CHECK(strcmp(f1, f2) == 0);
    CHECK_CONTAINS(f1, "expf(-z)");         /* swish: sigmoid inline, float libm */
    CHECK_CONTAINS(f1, "tanhf(");
    CHECK_CONTAINS(f1, "(z * z * z)");      /* z^3 as products */
    CHECK_CONTAINS(f1, "log1pf(expf(-fabsf(");
    CHECK_CONTAINS(f1, "out[2] = (-t4);");  /* huber: d/dt = -d/dy */
    CHECK_CONTAINS(f1, "0.5f");
    CHECK_CONTAINS(d1, "tanh(");
    CHECK(strstr(d1, "0.5f") == NULL);
    CHECK(strstr(f1, "pow(") == NULL);      /* powf only in float */
    int longest = 0, cur = 0;
    for (const char *c = f1; *c; c++) {
        cur = *c == '\n' ? 0 : cur + 1;
        longest = cur > longest ? cur : longest;
    }
    CHECK(longest < 100);
    printf("emitted float code:\n%s", f1);
    free(f1);
    free(f2);
    free(d1);
}

/* Every function, float and double, compiles with the strict set under cc and clang. */
static void test_emit_compiles(const Fn *fns, int nfns)
{
    const char *ccs[2] = {"cc", "clang"};
    for (int c = 0; c < 2; c++) {
        if (!have_cc(ccs[c])) {
            printf("skip: no %s, emitted C not compiled with it\n", ccs[c]);
            continue;
        }
        for (int dbl = 0; dbl <= 1; dbl++) {
            const char *src = tmp_path(dbl ? "fd.c" : "ff.c");
            write_file(src, fns, nfns, dbl, false);
            if (!CHECK(compiles(ccs[c], src)))
                fprintf(stderr, "    %s, %s\n", ccs[c], dbl ? "double" : "float");
        }
    }
}

/* The compiled functions compute what expr_eval computes. */
static void test_emit_runs(const Fn *fns, int nfns)
{
    if (!have_cc("cc"))
        return;
    for (int dbl = 0; dbl <= 1; dbl++) {
        const char *src = tmp_path("run.c"), *exe = tmp_path("run");
        char cmd[512];
        write_file(src, fns, nfns, dbl, true);
        snprintf(cmd, sizeof cmd, "cc -std=c99 -O1 -o %s %s -lm", exe, src);
        if (CHECK(system(cmd) == 0))
            check_run(exe, fns, nfns, dbl);
    }
}

static void test_emit(void)
{
    Fn fns[4];
    int nfns = make_fns(fns);
    test_emit_text(fns, nfns);
    tmpdir_create();
    test_emit_compiles(fns, nfns);
    test_emit_runs(fns, nfns);
    tmpdir_remove();
}

int main(void)
{
    P = expr_pool_new(&arena);
    test_hash_consing();
    test_ids_deterministic();
    test_fold();
    test_identities();
    test_canonical_forms();
    test_where_and_div_zero();
    test_queries();
    test_diff_numeric();
    test_diff_rules();
    test_subgradients();
    test_twins();
    test_sizes();
    test_emit();
    arena_free_all(&arena);
    return check_summary("test_expr");
}
