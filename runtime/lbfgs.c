/* lbfgs.c: full-batch L-BFGS, one iteration per call: the two-loop recursion for
 * the direction, then a line search satisfying the strong Wolfe conditions
 * (cubic interpolation and zoom, Nocedal & Wright alg. 3.5/3.6). Both follow
 * torch.optim.LBFGS(line_search_fn='strong_wolfe') operation for operation, so
 * the iterates agree with PyTorch's to rounding (docs/optimizers.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "netrt.h"
#include "optim_impl.h"

enum {
    /* persistent vectors (saved with the state) */
    V_D,            /* the last search direction */
    V_G,            /* the gradient at the current parameters */
    V_PG,           /* the gradient before the last step */
    /* scratch for one iteration */
    V_X,            /* parameters at the start of the line search */
    V_GPREV, V_GNEW, V_B0, V_B1,    /* line search gradients: previous, new, bracket ends */
    V_FIXED
};

typedef struct {
    size_t n;
    int real_size, history;
    int count, head;            /* stored pairs; the oldest is at head */
    int have_grad;              /* V_G and loss belong to the current parameters */
    double loss, prev_loss, t, h_diag;
    double *ro, *al;            /* [history] 1 / (y.s); two-loop scratch */
    void *vec;                  /* V_FIXED + 2 history vectors of n reals: fixed, then s[], y[] */
} Lbfgs;

/* ---- vector helpers: one loop per real type ---- */

static void *vec(const Lbfgs *lb, int k)
{
    return (char *)lb->vec + (size_t)k * lb->n * (size_t)lb->real_size;
}

static void *vec_s(const Lbfgs *lb, int i)
{
    return vec(lb, V_FIXED + (lb->head + i) % lb->history);
}

static void *vec_y(const Lbfgs *lb, int i)
{
    return vec(lb, V_FIXED + lb->history + (lb->head + i) % lb->history);
}

static double vdot(const Lbfgs *lb, const void *a, const void *b)
{
    double s = 0.0;
    if (lb->real_size == 8) {
        const double *x = a, *y = b;
        for (size_t i = 0; i < lb->n; i++)
            s += x[i] * y[i];
    } else {
        const float *x = a, *y = b;
        for (size_t i = 0; i < lb->n; i++)
            s += (double)x[i] * y[i];
    }
    return s;
}

/* y += alpha x */
static void vaxpy(const Lbfgs *lb, void *y, double alpha, const void *x)
{
    if (lb->real_size == 8) {
        double *v = y;
        const double *u = x;
        for (size_t i = 0; i < lb->n; i++)
            v[i] = v[i] + alpha * u[i];
    } else {
        float *v = y, a = (float)alpha;
        const float *u = x;
        for (size_t i = 0; i < lb->n; i++)
            v[i] = v[i] + a * u[i];
    }
}

/* y = alpha x */
static void vscaled(const Lbfgs *lb, void *y, double alpha, const void *x)
{
    if (lb->real_size == 8) {
        double *v = y;
        const double *u = x;
        for (size_t i = 0; i < lb->n; i++)
            v[i] = alpha * u[i];
    } else {
        float *v = y, a = (float)alpha;
        const float *u = x;
        for (size_t i = 0; i < lb->n; i++)
            v[i] = a * u[i];
    }
}

/* p = x + t d: the trial point, rounded as torch's p.add_(d, alpha=t) */
static void vstep(const Lbfgs *lb, void *p, const void *x, double t, const void *d)
{
    memcpy(p, x, lb->n * (size_t)lb->real_size);
    vaxpy(lb, p, t, d);
}

/* max |scale * x_i| (scale 1: the max norm), or sum |x_i| when sum is set */
static double vabs(const Lbfgs *lb, const void *x, double scale, int sum)
{
    double r = 0.0;
    for (size_t i = 0; i < lb->n; i++) {
        double v = lb->real_size == 8 ? ((const double *)x)[i] : ((const float *)x)[i];
        double a = fabs(scale == 1.0 ? v : v * scale);
        r = sum ? r + a : (a > r ? a : r);
    }
    return r;
}

static void vcopy(const Lbfgs *lb, void *dst, const void *src)
{
    if (dst != src)
        memcpy(dst, src, lb->n * (size_t)lb->real_size);
}

/* ---- allocation and state ---- */

void *netrt_lbfgs_alloc(const NetrtModel *m, int history)
{
    Lbfgs *lb = NETRT_CALLOC(1, sizeof *lb);
    if (!lb)
        return NULL;
    lb->n = m->num_params;
    lb->real_size = m->real_size;
    lb->history = history < 1 ? 1 : history;
    lb->h_diag = 1.0;
    lb->ro = NETRT_CALLOC((size_t)lb->history, sizeof *lb->ro);
    lb->al = NETRT_CALLOC((size_t)lb->history, sizeof *lb->al);
    size_t nvec = (size_t)V_FIXED + 2 * (size_t)lb->history;
    lb->vec = NETRT_CALLOC(nvec * (lb->n ? lb->n : 1), (size_t)lb->real_size);
    if (!lb->ro || !lb->al || !lb->vec) {
        netrt_lbfgs_free(lb);
        return NULL;
    }
    return lb;
}

void netrt_lbfgs_free(void *p)
{
    Lbfgs *lb = p;
    if (!lb)
        return;
    free(lb->ro);
    free(lb->al);
    free(lb->vec);
    free(lb);
}

/* Saved: the scalars, ro[], and the vectors d, g, prev g, s[], y[] (scratch is not). */
typedef struct {
    int64_t count, head, have_grad, history;
    double loss, prev_loss, t, h_diag;
} LbfgsScalars;

static size_t vec_bytes(const Lbfgs *lb)
{
    return lb->n * (size_t)lb->real_size;
}

size_t netrt_lbfgs_state_size(const void *p)
{
    const Lbfgs *lb = p;
    size_t nvec = 3 + 2 * (size_t)lb->history;
    return sizeof(LbfgsScalars) + (size_t)lb->history * sizeof(double) + nvec * vec_bytes(lb);
}

void netrt_lbfgs_state_save(const void *p, void *buf)
{
    const Lbfgs *lb = p;
    LbfgsScalars s = { lb->count, lb->head, lb->have_grad, lb->history,
                       lb->loss, lb->prev_loss, lb->t, lb->h_diag };
    unsigned char *out = buf;
    memcpy(out, &s, sizeof s);
    out += sizeof s;
    memcpy(out, lb->ro, (size_t)lb->history * sizeof(double));
    out += (size_t)lb->history * sizeof(double);
    memcpy(out, vec(lb, V_D), 3 * vec_bytes(lb));
    out += 3 * vec_bytes(lb);
    memcpy(out, vec(lb, V_FIXED), 2 * (size_t)lb->history * vec_bytes(lb));
}

int netrt_lbfgs_state_load(void *p, const void *buf)
{
    Lbfgs *lb = p;
    LbfgsScalars s;
    const unsigned char *in = buf;
    memcpy(&s, in, sizeof s);
    if (s.history != lb->history || s.count < 0 || s.count > lb->history || s.head < 0 ||
        s.head >= lb->history) {
        netrt_error(NULL, "L-BFGS state does not match this run (history %lld, expected %d)",
                    (long long)s.history, lb->history);
        return -1;
    }
    in += sizeof s;
    lb->count = (int)s.count;
    lb->head = (int)s.head;
    lb->have_grad = (int)s.have_grad;
    lb->loss = s.loss;
    lb->prev_loss = s.prev_loss;
    lb->t = s.t;
    lb->h_diag = s.h_diag;
    memcpy(lb->ro, in, (size_t)lb->history * sizeof(double));
    in += (size_t)lb->history * sizeof(double);
    memcpy(vec(lb, V_D), in, 3 * vec_bytes(lb));
    in += 3 * vec_bytes(lb);
    memcpy(vec(lb, V_FIXED), in, 2 * (size_t)lb->history * vec_bytes(lb));
    return 0;
}

/* ---- the direction ---- */

/* Stores the pair s = t d, y = g - prev g unless y.s <= 1e-10 (curvature too
 * small to keep H positive definite), dropping the oldest pair when full. */
static void push_pair(Lbfgs *lb)
{
    void *g = vec(lb, V_G), *pg = vec(lb, V_PG), *d = vec(lb, V_D);
    int slot = lb->count < lb->history ? lb->count : 0;
    void *s = vec_s(lb, slot), *y = vec_y(lb, slot);
    /* the slot is the free one or the oldest; only commit the pair if it is accepted,
     * so compute y.s first from the operands */
    double ys = 0.0;
    for (size_t i = 0; i < lb->n; i++) {
        double gi, pgi, di;
        if (lb->real_size == 8) {
            gi = ((double *)g)[i], pgi = ((double *)pg)[i], di = ((double *)d)[i];
            ys += (gi - pgi) * (di * lb->t);
        } else {
            float yf = ((float *)g)[i] - ((float *)pg)[i];
            float sf = ((float *)d)[i] * (float)lb->t;
            ys += (double)yf * sf;
        }
    }
    if (!(ys > 1e-10))
        return;
    vscaled(lb, s, lb->t, d);
    vcopy(lb, y, g);
    vaxpy(lb, y, -1.0, pg);
    if (lb->count == lb->history) {
        lb->ro[lb->head] = 1.0 / ys;
        lb->head = (lb->head + 1) % lb->history;
    } else {
        lb->ro[(lb->head + lb->count) % lb->history] = 1.0 / ys;
        lb->count++;
    }
    lb->h_diag = ys / vdot(lb, y, y);
}

static double ro_at(const Lbfgs *lb, int i)
{
    return lb->ro[(lb->head + i) % lb->history];
}

/* d = -H g by the two-loop recursion, H0 = h_diag I. */
static void direction(Lbfgs *lb, int first)
{
    void *d = vec(lb, V_D), *g = vec(lb, V_G);
    if (first) {
        vscaled(lb, d, -1.0, g);
        lb->count = lb->head = 0;
        lb->h_diag = 1.0;
        return;
    }
    push_pair(lb);
    vscaled(lb, d, -1.0, g);
    for (int i = lb->count - 1; i >= 0; i--) {
        lb->al[i] = vdot(lb, vec_s(lb, i), d) * ro_at(lb, i);
        vaxpy(lb, d, -lb->al[i], vec_y(lb, i));
    }
    vscaled(lb, d, lb->h_diag, d);
    for (int i = 0; i < lb->count; i++) {
        double be = vdot(lb, vec_y(lb, i), d) * ro_at(lb, i);
        vaxpy(lb, d, lb->al[i] - be, vec_s(lb, i));
    }
}

/* ---- the strong Wolfe line search ---- */

/* Minimizer of the cubic through (x1, f1, g1), (x2, f2, g2), clamped to [lo, hi]
 * (to the interval between x1 and x2 unless bounded); the midpoint if it has none. */
static double cubic_min(double x1, double f1, double g1, double x2, double f2, double g2,
                        int bounded, double lo, double hi)
{
    if (!bounded) {
        lo = x1 <= x2 ? x1 : x2;
        hi = x1 <= x2 ? x2 : x1;
    }
    double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
    double d2sq = d1 * d1 - g1 * g2;
    if (!(d2sq >= 0))
        return (lo + hi) / 2.0;
    double d2 = sqrt(d2sq), x;
    if (x1 <= x2)
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
    else
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    /* min(max(x, lo), hi) as Python evaluates it, NaN included */
    double m = lo > x ? lo : x;
    return hi < m ? hi : m;
}

typedef struct {
    Lbfgs *lb;
    void *params;
    NetrtLossGradEval eval;
    void *ctx;
    double f0, gtd0;            /* loss and slope at t = 0 */
} Search;

/* Loss at x + t d, its gradient into V_GNEW; *gtd gets the slope along d. */
static double probe(Search *s, double t, double *gtd)
{
    Lbfgs *lb = s->lb;
    vstep(lb, s->params, vec(lb, V_X), t, vec(lb, V_D));
    double f = s->eval(s->ctx, s->params, vec(lb, V_GNEW));
    *gtd = vdot(lb, vec(lb, V_GNEW), vec(lb, V_D));
    return f;
}

typedef struct {
    double t[2], f[2], gtd[2];
    int n;                      /* 1: the search is done at t[0] */
} Bracket;

enum { MAX_LS = 25 };
/* torch's _strong_wolfe defaults (LBFGS does not pass its own tolerance_change) */
static const double C1 = 1e-4, C2 = 0.9, LS_TOL_CHANGE = 1e-9;

/* Phase 1: grow t until an interval holding a Wolfe point is bracketed (or t
 * satisfies both conditions). Returns the number of probes after the first. */
static int bracket_phase(Search *s, double t, Bracket *b)
{
    Lbfgs *lb = s->lb;
    double gtd_new, f_new = probe(s, t, &gtd_new);
    double t_prev = 0.0, f_prev = s->f0, gtd_prev = s->gtd0;
    vcopy(lb, vec(lb, V_GPREV), vec(lb, V_G));
    int it = 0;
    while (it < MAX_LS) {
        int too_far = f_new > s->f0 + C1 * t * s->gtd0 || (it > 1 && f_new >= f_prev);
        if (!too_far && fabs(gtd_new) <= -C2 * s->gtd0) {
            /* both conditions hold at t */
            *b = (Bracket){ { t, t }, { f_new, f_new }, { gtd_new, gtd_new }, 1 };
            vcopy(lb, vec(lb, V_B0), vec(lb, V_GNEW));
            return it;
        }
        if (too_far || gtd_new >= 0) {
            *b = (Bracket){ { t_prev, t }, { f_prev, f_new }, { gtd_prev, gtd_new }, 2 };
            vcopy(lb, vec(lb, V_B0), vec(lb, V_GPREV));
            vcopy(lb, vec(lb, V_B1), vec(lb, V_GNEW));
            return it;
        }
        /* extrapolate: the cubic's minimizer in [t + 0.01 (t - t_prev), 10 t] */
        double next = cubic_min(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, 1,
                                t + 0.01 * (t - t_prev), t * 10);
        t_prev = t;
        f_prev = f_new;
        gtd_prev = gtd_new;
        vcopy(lb, vec(lb, V_GPREV), vec(lb, V_GNEW));
        t = next;
        f_new = probe(s, t, &gtd_new);
        it++;
    }
    /* out of probes: bracket [0, t] (torch leaves the slopes unset; zoom never runs) */
    *b = (Bracket){ { 0.0, t }, { s->f0, f_new }, { s->gtd0, gtd_new }, 2 };
    vcopy(lb, vec(lb, V_B0), vec(lb, V_G));
    vcopy(lb, vec(lb, V_B1), vec(lb, V_GNEW));
    return it;
}

/* Copies bracket end `from` over end `to`, gradient included. */
static void bracket_copy(Lbfgs *lb, Bracket *b, int to, int from)
{
    b->t[to] = b->t[from];
    b->f[to] = b->f[from];
    b->gtd[to] = b->gtd[from];
    vcopy(lb, vec(lb, to ? V_B1 : V_B0), vec(lb, from ? V_B1 : V_B0));
}

/* Phase 2: shrink the bracket by safeguarded cubic interpolation until a point
 * satisfies both Wolfe conditions. Returns the index of the best end. */
static int zoom_phase(Search *s, Bracket *b, int it)
{
    Lbfgs *lb = s->lb;
    double dnorm = vabs(lb, vec(lb, V_D), 1.0, 0);
    int low = b->f[0] <= b->f[1] ? 0 : 1, high = 1 - low, done = b->n == 1, insuf = 0;
    while (!done && it < MAX_LS) {
        if (fabs(b->t[1] - b->t[0]) * dnorm < LS_TOL_CHANGE)
            break;
        double t = cubic_min(b->t[0], b->f[0], b->gtd[0], b->t[1], b->f[1], b->gtd[1], 0, 0, 0);
        double tmax = b->t[0] > b->t[1] ? b->t[0] : b->t[1];
        double tmin = b->t[0] > b->t[1] ? b->t[1] : b->t[0];
        double eps = 0.1 * (tmax - tmin);
        /* too close to an end: move eps inside, unless the last step was fine */
        if ((tmax - t < t - tmin ? tmax - t : t - tmin) < eps) {
            if (insuf || t >= tmax || t <= tmin) {
                t = fabs(t - tmax) < fabs(t - tmin) ? tmax - eps : tmin + eps;
                insuf = 0;
            } else {
                insuf = 1;
            }
        } else {
            insuf = 0;
        }
        double gtd_new, f_new = probe(s, t, &gtd_new);
        it++;
        int to;
        if (f_new > s->f0 + C1 * t * s->gtd0 || f_new >= b->f[low]) {
            to = high;
        } else {
            if (fabs(gtd_new) <= -C2 * s->gtd0)
                done = 1;
            else if (gtd_new * (b->t[high] - b->t[low]) >= 0)
                bracket_copy(lb, b, high, low);
            to = low;
        }
        b->t[to] = t;
        b->f[to] = f_new;
        b->gtd[to] = gtd_new;
        vcopy(lb, vec(lb, to ? V_B1 : V_B0), vec(lb, V_GNEW));
        if (to == high) {
            low = b->f[0] <= b->f[1] ? 0 : 1;
            high = 1 - low;
        }
    }
    return low;
}

/* The strong Wolfe search from the current parameters along V_D starting at t:
 * leaves the parameters at x + t d, the gradient there in V_G; returns the loss. */
static double line_search(Search *s, double *t_io)
{
    Lbfgs *lb = s->lb;
    Bracket b;
    vcopy(lb, vec(lb, V_X), s->params);
    int it = bracket_phase(s, *t_io, &b);
    int low = zoom_phase(s, &b, it);
    *t_io = b.t[low];
    vcopy(lb, vec(lb, V_G), vec(lb, low ? V_B1 : V_B0));
    vstep(lb, s->params, vec(lb, V_X), b.t[low], vec(lb, V_D));
    return b.f[low];
}

/* One iteration, as one torch LBFGS.step() with max_iter=1: the gradient test,
 * the direction, the first step t = min(1, 1 / |g|_1) lr (then lr), the line
 * search, and the convergence tests on the result. */
int netrt_lbfgs_iterate(NetrtOptimizer *o, void *params, NetrtLossGradEval eval, void *ctx,
                        double *loss)
{
    Lbfgs *lb = o->lbfgs;
    const NetrtOptimConfig *c = &o->cfg;
    if (!lb) {
        netrt_error(NULL, "netrt_lbfgs_iterate needs an optimizer initialized for lbfgs");
        return -1;
    }
    if (!lb->have_grad) {
        lb->loss = eval(ctx, params, vec(lb, V_G));
        lb->have_grad = 1;
    }
    *loss = lb->loss;
    if (!isfinite(lb->loss))
        return -1;
    if (vabs(lb, vec(lb, V_G), 1.0, 0) <= c->tol_grad)
        return 1;
    o->t++;
    direction(lb, o->t == 1);
    vcopy(lb, vec(lb, V_PG), vec(lb, V_G));
    lb->prev_loss = lb->loss;
    double t = c->lr;
    if (o->t == 1)
        t = fmin(1.0, 1.0 / vabs(lb, vec(lb, V_G), 1.0, 1)) * c->lr;
    double gtd = vdot(lb, vec(lb, V_G), vec(lb, V_D));
    if (gtd > -c->tol_change)
        return 1;
    Search s = { lb, params, eval, ctx, lb->loss, gtd };
    lb->loss = line_search(&s, &t);
    lb->t = t;
    *loss = lb->loss;
    if (!isfinite(lb->loss))
        return -1;
    if (vabs(lb, vec(lb, V_G), 1.0, 0) <= c->tol_grad ||
        vabs(lb, vec(lb, V_D), t, 0) <= c->tol_change ||
        fabs(lb->loss - lb->prev_loss) < c->tol_change)
        return 1;
    return 0;
}
