/* expr.c: the symbolic engine behind user formulas (see expr.h). A pool of
 * hash-consed nodes whose constructors simplify as they build, the derivative
 * (expr_diff), substitution, evaluation, printing and the C writer. Used by the
 * language front end (formula bodies) and the emitter; knows nothing of tensors. */
#include "expr.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ExprPool {
    Arena *arena;
    Expr **nodes;           /* by id */
    int count, cap;
    const Expr **table;     /* open addressing, tcap a power of two, load <= 1/2 */
    int tcap;
    int *mark;              /* traversal stamps by id (count, uses_var, emit) */
    int markcap, stamp;
    const Expr **memo;      /* per-call results by id (diff, subst) */
    int *memo_stamp;
    int memocap, memo_gen;
    double *val;            /* expr_eval's values by id */
    int *val_stamp;
    int valcap, val_gen;
};

ExprPool *expr_pool_new(Arena *arena)
{
    ExprPool *p = arena_alloc(arena, sizeof *p);
    p->arena = arena;
    p->tcap = 256;
    p->table = arena_alloc(arena, (size_t)p->tcap * sizeof *p->table);
    return p;
}

/* ---- hash-consing ---- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15u + (h << 6) + (h >> 2);
    return h;
}

static uint64_t double_bits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static int id_of(const Expr *e)
{
    return e ? e->id : -1;
}

/* Hashes ids, never pointers, so the table layout is the same on every run. */
static uint64_t node_hash(ExprOp op, double v, int var, const Expr *a, const Expr *b,
                          const Expr *c)
{
    uint64_t h = (uint64_t)op;
    h = mix(h, double_bits(v));
    h = mix(h, (uint64_t)(int64_t)var);
    h = mix(h, (uint64_t)(int64_t)id_of(a));
    h = mix(h, (uint64_t)(int64_t)id_of(b));
    h = mix(h, (uint64_t)(int64_t)id_of(c));
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return h;
}

static void table_insert(ExprPool *p, const Expr *e)
{
    unsigned mask = (unsigned)p->tcap - 1;
    unsigned i = (unsigned)node_hash(e->op, e->value, e->var, e->a, e->b, e->c) & mask;
    while (p->table[i])
        i = (i + 1) & mask;
    p->table[i] = e;
}

static void table_grow(ExprPool *p)
{
    p->tcap *= 2;
    p->table = arena_alloc(p->arena, (size_t)p->tcap * sizeof *p->table);
    for (int i = 0; i < p->count; i++)
        table_insert(p, p->nodes[i]);
}

/* The one node with these fields: found in the table or created with the next id. */
static const Expr *intern(ExprPool *p, ExprOp op, double v, int var, const Expr *a,
                          const Expr *b, const Expr *c)
{
    unsigned mask = (unsigned)p->tcap - 1;
    unsigned i = (unsigned)node_hash(op, v, var, a, b, c) & mask;
    uint64_t bits = double_bits(v);
    for (const Expr *e; (e = p->table[i]); i = (i + 1) & mask)
        if (e->op == op && double_bits(e->value) == bits && e->var == var && e->a == a
            && e->b == b && e->c == c)
            return e;
    Expr *e = arena_alloc(p->arena, sizeof *e);
    e->op = op;
    e->id = p->count;
    e->value = v;
    e->var = var;
    e->a = a;
    e->b = b;
    e->c = c;
    e->pool = p;
    ARENA_PUSH(p->arena, p->nodes, p->count, p->cap, e);
    p->table[i] = e;
    if (p->count * 2 > p->tcap)
        table_grow(p);
    return e;
}

/* ---- evaluation of one operation (shared by constant folding and expr_eval) ---- */

static double sigmoid(double v)
{
    if (v >= 0)
        return 1 / (1 + exp(-v));
    double ev = exp(v);
    return ev / (1 + ev);
}

static double eval_op(ExprOp op, double a, double b, double c)
{
    switch (op) {
    case EX_NEG: return -a;
    case EX_ADD: return a + b;
    case EX_SUB: return a - b;
    case EX_MUL: return a * b;
    case EX_DIV: return a / b;
    case EX_POW: return pow(a, b);
    case EX_EXP: return exp(a);
    case EX_LOG: return log(a);
    case EX_SQRT: return sqrt(a);
    case EX_ABS: return fabs(a);
    case EX_TANH: return tanh(a);
    case EX_SIGMOID: return sigmoid(a);
    case EX_SOFTPLUS: return fmax(a, 0) + log1p(exp(-fabs(a)));
    case EX_SIGN: return a > 0 ? 1 : a < 0 ? -1 : 0;
    case EX_MIN: return fmin(a, b);
    case EX_MAX: return fmax(a, b);
    case EX_LT: return a < b;
    case EX_LE: return a <= b;
    case EX_GT: return a > b;
    case EX_GE: return a >= b;
    case EX_EQ: return a == b;
    case EX_NE: return a != b;
    case EX_WHERE: return a != 0 ? b : c;
    default: break;
    }
    assert(!"eval_op: not an operation");
    return 0;
}

/* ---- constructors ---- */

bool expr_is_const(const Expr *e, double *value)
{
    if (!e || e->op != EX_CONST)
        return false;
    if (value)
        *value = e->value;
    return true;
}

static bool is_val(const Expr *e, double v)
{
    return e->op == EX_CONST && e->value == v;
}

static bool is_int(double v)
{
    return fabs(v) < 1e15 && v == floor(v);
}

const Expr *expr_const(ExprPool *p, double v)
{
    if (v == 0)
        v = 0;      /* one zero: -0.0 becomes +0.0 */
    return intern(p, EX_CONST, v, 0, NULL, NULL, NULL);
}

const Expr *expr_var(ExprPool *p, int var)
{
    assert(var >= 0);
    return intern(p, EX_VAR, 0, var, NULL, NULL, NULL);
}

static const Expr *mk1(ExprPool *p, ExprOp op, const Expr *a)
{
    return intern(p, op, 0, 0, a, NULL, NULL);
}

static const Expr *mk2(ExprPool *p, ExprOp op, const Expr *a, const Expr *b)
{
    return intern(p, op, 0, 0, a, b, NULL);
}

static const Expr *neg(ExprPool *p, const Expr *a)
{
    return expr_unary(p, EX_NEG, a);
}

static const Expr *add(ExprPool *p, const Expr *a, const Expr *b)
{
    return expr_binary(p, EX_ADD, a, b);
}

static const Expr *sub(ExprPool *p, const Expr *a, const Expr *b)
{
    return expr_binary(p, EX_SUB, a, b);
}

static const Expr *mul(ExprPool *p, const Expr *a, const Expr *b)
{
    return expr_binary(p, EX_MUL, a, b);
}

static const Expr *num(ExprPool *p, double v)
{
    return expr_const(p, v);
}

/* -a: --x = x, -(c * x) = (-c) * x, -(c / x) = (-c) / x. -(a - b) stays, so it
 * shares a - b with the code around it. */
static const Expr *simplify_neg(ExprPool *p, const Expr *a)
{
    if (a->op == EX_NEG)
        return a->a;
    if ((a->op == EX_MUL || a->op == EX_DIV) && a->a->op == EX_CONST)
        return expr_binary(p, a->op, num(p, -a->a->value), a->b);
    return mk1(p, EX_NEG, a);
}

/* abs of something already non-negative, or of a negation. */
static const Expr *simplify_abs(ExprPool *p, const Expr *a)
{
    switch (a->op) {
    case EX_ABS: case EX_EXP: case EX_SQRT: case EX_SIGMOID: case EX_SOFTPLUS:
        return a;
    case EX_NEG:
        return expr_unary(p, EX_ABS, a->a);
    case EX_POW:
        if (is_int(a->b->value) && fmod(a->b->value, 2) == 0)
            return a;
        break;
    default:
        break;
    }
    return mk1(p, EX_ABS, a);
}

const Expr *expr_unary(ExprPool *p, ExprOp op, const Expr *a)
{
    assert(op >= EX_NEG && op <= EX_SIGN && op != EX_ADD && op != EX_SUB && op != EX_MUL
           && op != EX_DIV && op != EX_POW);
    if (!a)
        return NULL;
    if (a->op == EX_CONST) {
        double r = eval_op(op, a->value, 0, 0);
        if (isfinite(r))
            return num(p, r);
    }
    if (op == EX_NEG)
        return simplify_neg(p, a);
    if (op == EX_ABS)
        return simplify_abs(p, a);
    return mk1(p, op, a);
}

/* a + b, constant (if any) first: 0 + x, x + x = 2x, x + (-y) = x - y,
 * c1 + (c2 + x) = (c1 + c2) + x, c1 + (x - c2) = (c1 - c2) + x, c + x with c < 0
 * = x - |c|. */
static const Expr *simplify_add(ExprPool *p, const Expr *a, const Expr *b)
{
    if (is_val(a, 0))
        return b;
    if (a == b)
        return mul(p, num(p, 2), a);
    if (b->op == EX_NEG)
        return sub(p, a, b->a);
    if (a->op == EX_NEG)
        return sub(p, b, a->a);
    if (a->op == EX_CONST && b->op == EX_ADD && b->a->op == EX_CONST)
        return add(p, num(p, a->value + b->a->value), b->b);
    if (a->op == EX_CONST && b->op == EX_SUB && b->b->op == EX_CONST)
        return add(p, num(p, a->value - b->b->value), b->a);
    if (a->op == EX_CONST && a->value < 0)
        return sub(p, b, num(p, -a->value));
    return mk2(p, EX_ADD, a, b);
}

/* a - b: x - 0, 0 - x = -x, x - x = 0, x - (-y) = x + y, x - c with c < 0 = x + |c|. */
static const Expr *simplify_sub(ExprPool *p, const Expr *a, const Expr *b)
{
    if (is_val(b, 0))
        return a;
    if (is_val(a, 0))
        return neg(p, b);
    if (a == b)
        return num(p, 0);
    if (b->op == EX_NEG)
        return add(p, a, b->a);
    if (b->op == EX_CONST && b->value < 0)
        return add(p, a, num(p, -b->value));
    return mk2(p, EX_SUB, a, b);
}

/* a * b, constant (if any) first: 0 * x = 0, 1 * x, -1 * x = -x, x * x = x^2,
 * negations pulled out, constant factors gathered in front and merged. */
static const Expr *simplify_mul(ExprPool *p, const Expr *a, const Expr *b)
{
    if (is_val(a, 0))
        return a;
    if (is_val(a, 1))
        return b;
    if (is_val(a, -1))
        return neg(p, b);
    if (a == b)
        return expr_binary(p, EX_POW, a, num(p, 2));
    if (a->op == EX_NEG && b->op == EX_NEG)
        return mul(p, a->a, b->a);
    if (a->op == EX_NEG)
        return neg(p, mul(p, a->a, b));
    if (b->op == EX_NEG)
        return neg(p, mul(p, a, b->a));
    if (a->op == EX_CONST && (b->op == EX_MUL || b->op == EX_DIV) && b->a->op == EX_CONST
        && isfinite(a->value * b->a->value))
        return expr_binary(p, b->op, num(p, a->value * b->a->value), b->b);
    if (a->op == EX_MUL && a->a->op == EX_CONST)
        return mul(p, a->a, mul(p, a->b, b));
    if (a->op != EX_CONST && b->op == EX_MUL && b->a->op == EX_CONST)
        return mul(p, b->a, mul(p, a, b->b));
    return mk2(p, EX_MUL, a, b);
}

/* a / b: NULL for a constant zero divisor; x / 1, x / -1, 0 / x = 0, x / x = 1,
 * negations pulled out, division by a power of two becomes an (exact) product. */
static const Expr *simplify_div(ExprPool *p, const Expr *a, const Expr *b)
{
    if (is_val(b, 0))
        return NULL;
    if (is_val(b, 1))
        return a;
    if (is_val(b, -1))
        return neg(p, a);
    if (is_val(a, 0))
        return a;
    if (a == b)
        return num(p, 1);
    if (a->op == EX_NEG && b->op == EX_NEG)
        return expr_binary(p, EX_DIV, a->a, b->a);
    if (a->op == EX_NEG)
        return neg(p, expr_binary(p, EX_DIV, a->a, b));
    if (b->op == EX_NEG)
        return neg(p, expr_binary(p, EX_DIV, a, b->a));
    int e2;
    if (b->op == EX_CONST && fabs(frexp(b->value, &e2)) == 0.5 && isfinite(1 / b->value))
        return mul(p, num(p, 1 / b->value), a);
    return mk2(p, EX_DIV, a, b);
}

/* a ^ c: x^1, x^0 = 1, (x^m)^n = x^(mn) for integers, (-x)^n by parity of n. */
static const Expr *simplify_pow(ExprPool *p, const Expr *a, const Expr *b)
{
    double c = b->value;
    if (c == 1)
        return a;
    if (c == 0)
        return num(p, 1);
    if (a->op == EX_POW && is_int(a->b->value) && is_int(c))
        return expr_binary(p, EX_POW, a->a, num(p, a->b->value * c));
    if (a->op == EX_NEG && is_int(c)) {
        const Expr *r = expr_binary(p, EX_POW, a->a, b);
        return fmod(c, 2) == 0 ? r : neg(p, r);
    }
    return mk2(p, EX_POW, a, b);
}

/* Comparisons of a node with itself (formulas are of finite values, so no NaN). */
static const Expr *simplify_cmp(ExprPool *p, ExprOp op, const Expr *a, const Expr *b)
{
    if (a == b)
        return num(p, op == EX_LE || op == EX_GE || op == EX_EQ);
    return mk2(p, op, a, b);
}

static bool commutative(ExprOp op)
{
    return op == EX_ADD || op == EX_MUL || op == EX_MIN || op == EX_MAX || op == EX_EQ
           || op == EX_NE;
}

/* Canonical operand order of a commutative op: a constant first, else the older
 * node first, so a + b and b + a are one node. */
static bool out_of_order(const Expr *a, const Expr *b)
{
    if (a->op == EX_CONST || b->op == EX_CONST)
        return b->op == EX_CONST && a->op != EX_CONST;
    return b->id < a->id;
}

const Expr *expr_binary(ExprPool *p, ExprOp op, const Expr *a, const Expr *b)
{
    assert((op >= EX_ADD && op <= EX_POW) || (op >= EX_MIN && op <= EX_NE));
    if (!a || !b)
        return NULL;
    assert(op != EX_POW || b->op == EX_CONST);
    if ((op == EX_DIV && is_val(b, 0)) || (op == EX_POW && is_val(a, 0) && b->value < 0))
        return NULL;    /* x / 0 and 0 ^ -n divide by a constant zero */
    if (a->op == EX_CONST && b->op == EX_CONST) {
        double r = eval_op(op, a->value, b->value, 0);
        if (isfinite(r))
            return num(p, r);
    }
    if (commutative(op) && out_of_order(a, b)) {
        const Expr *t = a;
        a = b;
        b = t;
    }
    switch (op) {
    case EX_ADD: return simplify_add(p, a, b);
    case EX_SUB: return simplify_sub(p, a, b);
    case EX_MUL: return simplify_mul(p, a, b);
    case EX_DIV: return simplify_div(p, a, b);
    case EX_POW: return simplify_pow(p, a, b);
    case EX_MIN: case EX_MAX: return a == b ? a : mk2(p, op, a, b);
    default: return simplify_cmp(p, op, a, b);
    }
}

static bool is_comparison(ExprOp op)
{
    return op >= EX_LT && op <= EX_NE;
}

/* x with e = -x when that is free to see (-x, c * x with c < 0, c < 0), else NULL. */
static const Expr *negated(ExprPool *p, const Expr *e)
{
    if (e->op == EX_NEG)
        return e->a;
    if (e->op == EX_CONST && e->value < 0)
        return num(p, -e->value);
    if (e->op == EX_MUL && e->a->op == EX_CONST && e->a->value < 0)
        return mul(p, num(p, -e->a->value), e->b);
    return NULL;
}

/* where(const, a, b) picks, where(c, a, a) = a, where(cmp, 1, 0) = cmp,
 * where(c, -a, -b) = -where(c, a, b) (so d/dt of a loss in y - t shares d/dy). */
const Expr *expr_where(ExprPool *p, const Expr *c, const Expr *a, const Expr *b)
{
    if (!c || !a || !b)
        return NULL;
    if (c->op == EX_CONST)
        return c->value != 0 ? a : b;
    if (a == b)
        return a;
    if (is_comparison(c->op) && is_val(a, 1) && is_val(b, 0))
        return c;
    const Expr *na = negated(p, a), *nb = na ? negated(p, b) : NULL;
    if (nb && (a->op != EX_CONST || b->op != EX_CONST))
        return neg(p, expr_where(p, c, na, nb));
    return intern(p, EX_WHERE, 0, 0, c, a, b);
}

/* ---- per-call memo by node id (diff, subst) ---- */

static void memo_begin(ExprPool *p)
{
    if (p->memocap < p->count) {
        int cap = p->count * 2;
        p->memo = arena_alloc(p->arena, (size_t)cap * sizeof *p->memo);
        p->memo_stamp = arena_alloc(p->arena, (size_t)cap * sizeof *p->memo_stamp);
        p->memocap = cap;
        p->memo_gen = 0;
    }
    p->memo_gen++;
}

static const Expr *memo_get(const ExprPool *p, const Expr *e, bool *found)
{
    *found = e->id < p->memocap && p->memo_stamp[e->id] == p->memo_gen;
    return *found ? p->memo[e->id] : NULL;
}

static void memo_put(ExprPool *p, const Expr *e, const Expr *r)
{
    if (e->id < p->memocap) {
        p->memo[e->id] = r;
        p->memo_stamp[e->id] = p->memo_gen;
    }
}

/* ---- derivative ---- */

static const Expr *diff(ExprPool *p, const Expr *e, int var);

/* The chain-rule factor f'(a) of a unary f, given the node e = f(a). */
static const Expr *unary_slope(ExprPool *p, const Expr *e)
{
    const Expr *a = e->a;
    switch (e->op) {
    case EX_NEG: return num(p, -1);
    case EX_EXP: return e;
    case EX_LOG: return expr_binary(p, EX_DIV, num(p, 1), a);
    case EX_SQRT: return expr_binary(p, EX_DIV, num(p, 0.5), e);
    case EX_ABS: return expr_unary(p, EX_SIGN, a);     /* subgradient 0 at 0 */
    case EX_TANH: return sub(p, num(p, 1), expr_binary(p, EX_POW, e, num(p, 2)));
    case EX_SIGMOID: return mul(p, e, sub(p, num(p, 1), e));
    case EX_SOFTPLUS: return expr_unary(p, EX_SIGMOID, a);
    case EX_POW: {
        double c = e->b->value;
        return mul(p, num(p, c), expr_binary(p, EX_POW, a, num(p, c - 1)));
    }
    default: return num(p, 0);  /* sign: 0 everywhere (subgradient 0 at 0) */
    }
}

/* d(a/b) = (a' - (a/b) b') / b: reuses the quotient node e = a/b. */
static const Expr *diff_div(ExprPool *p, const Expr *e, const Expr *da, const Expr *db)
{
    return expr_binary(p, EX_DIV, sub(p, da, mul(p, e, db)), e->b);
}

static const Expr *diff_node(ExprPool *p, const Expr *e, int var)
{
    if (e->op == EX_CONST)
        return num(p, 0);
    if (e->op == EX_VAR)
        return num(p, e->var == var);
    if (is_comparison(e->op))
        return num(p, 0);
    if (e->op == EX_WHERE)
        return expr_where(p, e->a, diff(p, e->b, var), diff(p, e->c, var));
    const Expr *da = diff(p, e->a, var);
    const Expr *db = e->b && e->op != EX_POW ? diff(p, e->b, var) : num(p, 0);
    if (is_val(da, 0) && is_val(db, 0))
        return da;
    switch (e->op) {
    case EX_ADD: return add(p, da, db);
    case EX_SUB: return sub(p, da, db);
    case EX_MUL: return add(p, mul(p, da, e->b), mul(p, e->a, db));
    case EX_DIV: return diff_div(p, e, da, db);
    case EX_MIN: return expr_where(p, expr_binary(p, EX_LE, e->a, e->b), da, db);
    case EX_MAX: return expr_where(p, expr_binary(p, EX_GE, e->a, e->b), da, db);
    default: return mul(p, unary_slope(p, e), da);
    }
}

static const Expr *diff(ExprPool *p, const Expr *e, int var)
{
    bool found;
    const Expr *r = memo_get(p, e, &found);
    if (found)
        return r;
    r = diff_node(p, e, var);
    memo_put(p, e, r);
    return r;
}

const Expr *expr_diff(ExprPool *p, const Expr *e, int var)
{
    if (!e)
        return NULL;
    memo_begin(p);
    return diff(p, e, var);
}

/* ---- substitution ---- */

static const Expr *subst(ExprPool *p, const Expr *e, int var, const Expr *with)
{
    bool found;
    const Expr *r = memo_get(p, e, &found);
    if (found)
        return r;
    if (e->op == EX_CONST)
        r = e;
    else if (e->op == EX_VAR)
        r = e->var == var ? with : e;
    else if (e->op == EX_WHERE)
        r = expr_where(p, subst(p, e->a, var, with), subst(p, e->b, var, with),
                       subst(p, e->c, var, with));
    else if (!e->b)
        r = expr_unary(p, e->op, subst(p, e->a, var, with));
    else
        r = expr_binary(p, e->op, subst(p, e->a, var, with), subst(p, e->b, var, with));
    memo_put(p, e, r);
    return r;
}

const Expr *expr_subst(ExprPool *p, const Expr *e, int var, const Expr *with)
{
    if (!e || !with)
        return NULL;
    memo_begin(p);
    return subst(p, e, var, with);
}

/* ---- traversals ---- */

/* Starts a traversal: afterwards mark_visit(p, e) is true once per node. */
static void mark_begin(ExprPool *p)
{
    if (p->markcap < p->count) {
        p->markcap = p->count * 2;
        p->mark = arena_alloc(p->arena, (size_t)p->markcap * sizeof *p->mark);
        p->stamp = 0;
    }
    p->stamp++;
}

static bool mark_visit(ExprPool *p, const Expr *e)
{
    if (p->mark[e->id] == p->stamp)
        return false;
    p->mark[e->id] = p->stamp;
    return true;
}

static bool uses_var(ExprPool *p, const Expr *e, int var)
{
    if (!e || !mark_visit(p, e))
        return false;
    if (e->op == EX_VAR)
        return e->var == var;
    return uses_var(p, e->a, var) || uses_var(p, e->b, var) || uses_var(p, e->c, var);
}

bool expr_uses_var(const Expr *e, int var)
{
    if (!e)
        return false;
    mark_begin(e->pool);
    return uses_var(e->pool, e, var);
}

static int count_nodes(ExprPool *p, const Expr *e)
{
    if (!e || !mark_visit(p, e))
        return 0;
    return 1 + count_nodes(p, e->a) + count_nodes(p, e->b) + count_nodes(p, e->c);
}

int expr_count(const Expr *const *roots, int nroots)
{
    if (nroots <= 0)
        return 0;
    ExprPool *p = roots[0]->pool;
    mark_begin(p);
    int n = 0;
    for (int i = 0; i < nroots; i++)
        n += count_nodes(p, roots[i]);
    return n;
}

/* ---- evaluation and printing ---- */

/* One value per node per call, so a DAG costs its size, not its tree size. */
static double eval(ExprPool *p, const Expr *e, const double *vars)
{
    if (p->val_stamp[e->id] == p->val_gen)
        return p->val[e->id];
    double r;
    switch (e->op) {
    case EX_CONST:
        r = e->value;
        break;
    case EX_VAR:
        r = vars[e->var];
        break;
    case EX_WHERE:  /* only the selected branch, as the emitted ?: does */
        r = eval(p, e->a, vars) != 0 ? eval(p, e->b, vars) : eval(p, e->c, vars);
        break;
    default:
        r = eval_op(e->op, eval(p, e->a, vars), e->b ? eval(p, e->b, vars) : 0, 0);
        break;
    }
    p->val[e->id] = r;
    p->val_stamp[e->id] = p->val_gen;
    return r;
}

double expr_eval(const Expr *e, const double *vars)
{
    ExprPool *p = e->pool;
    if (p->valcap < p->count) {
        p->valcap = p->count * 2;
        p->val = arena_alloc(p->arena, (size_t)p->valcap * sizeof *p->val);
        p->val_stamp = arena_alloc(p->arena, (size_t)p->valcap * sizeof *p->val_stamp);
        p->val_gen = 0;
    }
    p->val_gen++;
    return eval(p, e, vars);
}

static const char *const op_names[EX_COUNT] = {
    [EX_CONST] = "const", [EX_VAR] = "var", [EX_NEG] = "-", [EX_ADD] = "+",
    [EX_SUB] = "-", [EX_MUL] = "*", [EX_DIV] = "/", [EX_POW] = "^",
    [EX_EXP] = "exp", [EX_LOG] = "log", [EX_SQRT] = "sqrt", [EX_ABS] = "abs",
    [EX_TANH] = "tanh", [EX_SIGMOID] = "sigmoid", [EX_SOFTPLUS] = "softplus",
    [EX_SIGN] = "sign", [EX_MIN] = "min", [EX_MAX] = "max", [EX_LT] = "<",
    [EX_LE] = "<=", [EX_GT] = ">", [EX_GE] = ">=", [EX_EQ] = "==", [EX_NE] = "!=",
    [EX_WHERE] = "where",
};

const char *expr_op_name(ExprOp op)
{
    return op >= 0 && op < EX_COUNT ? op_names[op] : "?";
}

/* Shortest %g form that reads back as the same double (or float when !dbl). */
static void shortest(char buf[40], double v, bool dbl)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, 40, "%.*g", prec, v);
        double back = strtod(buf, NULL);
        if (dbl ? back == v : (float)back == (float)v)
            return;
    }
}

void expr_print(FILE *out, const Expr *e, const char *const *var_names)
{
    char buf[40];
    switch (e->op) {
    case EX_CONST:
        shortest(buf, e->value, true);
        fputs(buf, out);
        return;
    case EX_VAR:
        if (var_names)
            fputs(var_names[e->var], out);
        else
            fprintf(out, "x%d", e->var);
        return;
    case EX_NEG:
        fputs("(-", out);
        expr_print(out, e->a, var_names);
        fputs(")", out);
        return;
    default:
        break;
    }
    bool infix = (e->op >= EX_ADD && e->op <= EX_POW) || is_comparison(e->op);
    fputs(infix ? "(" : op_names[e->op], out);
    if (!infix)
        fputs("(", out);
    expr_print(out, e->a, var_names);
    if (e->b) {
        fprintf(out, infix ? " %s " : ", ", op_names[e->op]);
        expr_print(out, e->b, var_names);
    }
    if (e->c) {
        fputs(", ", out);
        expr_print(out, e->c, var_names);
    }
    fputs(")", out);
}

/* ---- C emission ---- */

enum { EMIT_WIDTH = 64 };   /* longest inline expression before parts become temporaries */

typedef struct {
    ExprPool *p;
    FILE *out;
    int indent;
    const char *const *vars;
    bool dbl;
    const char *real, *prefix;
    int *uses;              /* by id: references from the emitted text of parents and roots */
    const char **text;      /* by id: inline C text, or the temporary's name */
    bool *tmp;              /* by id: has a temporary */
    int ntemps;
} Emit;

static const char *pf(Emit *em, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static const char *pf(Emit *em, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = arena_alloc(em->p->arena, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* A C literal of the real type; non-finite values through <math.h> macros. */
static const char *literal(Emit *em, double v)
{
    if (isnan(v))
        return em->dbl ? "((double)NAN)" : "NAN";
    /* a float network rounds a constant beyond FLT_MAX to infinity, as its own
     * arithmetic would (printing it would give the C text "inf.0f") */
    if (isinf(v) || (!em->dbl && isinf((double)(float)v)))
        return pf(em, "%s%s", v < 0 ? "-" : "", em->dbl ? "HUGE_VAL" : "HUGE_VALF");
    char buf[40];
    shortest(buf, em->dbl ? v : (double)(float)v, em->dbl);
    return pf(em, "%s%s%s", buf, strpbrk(buf, ".e") ? "" : ".0", em->dbl ? "" : "f");
}

static const char *fn(const Emit *em, const char *name)
{
    static const char *const fnames[][2] = {
        {"exp", "expf"}, {"log", "logf"}, {"sqrt", "sqrtf"}, {"fabs", "fabsf"},
        {"tanh", "tanhf"}, {"fmin", "fminf"}, {"fmax", "fmaxf"}, {"pow", "powf"},
        {"log1p", "log1pf"},
    };
    for (size_t i = 0; i < sizeof fnames / sizeof fnames[0]; i++)
        if (strcmp(fnames[i][0], name) == 0)
            return fnames[i][em->dbl ? 0 : 1];
    assert(!"unknown libm function");
    return name;
}

/* How many times e's emitted text mentions its child number k (0, 1, 2). */
static int child_refs(const Expr *e, int k)
{
    switch (e->op) {
    case EX_POW: {
        double c = e->b->value;
        if (k == 1)
            return c == 2 || c == 3 || c == -1 || c == -2 ? 0 : 1;
        return c == 2 || c == -2 ? 2 : c == 3 ? 3 : 1;
    }
    case EX_SIGMOID: return 4;
    case EX_SOFTPLUS: case EX_SIGN: return 2;
    default: return 1;
    }
}

/* Comparisons are cheap and read best as `a < b` inside a ?:, so they are never
 * temporaries: each use re-counts their operands instead. */
static void count_uses(Emit *em, const Expr *e)
{
    if (!is_comparison(e->op) && !mark_visit(em->p, e))
        return;
    const Expr *kids[3] = {e->a, e->b, e->c};
    for (int k = 0; k < 3; k++)
        if (kids[k]) {
            em->uses[kids[k]->id] += child_refs(e, k);
            count_uses(em, kids[k]);
        }
}

static bool trivial(const Expr *e)
{
    return e->op == EX_CONST || e->op == EX_VAR;
}

/* Writes `const REAL tN = text;` for e and makes its name its text. */
static void make_temp(Emit *em, const Expr *e)
{
    const char *name = pf(em, "%s%d", em->prefix, ++em->ntemps);
    fprintf(em->out, "%*sconst %s %s = %s;\n", em->indent, "", em->real, name,
            em->text[e->id]);
    em->text[e->id] = name;
    em->tmp[e->id] = true;
}

/* Text of x where it appears right after a unary minus (no `--`). */
static const char *after_minus(Emit *em, const char *x)
{
    return x[0] == '-' ? pf(em, "(%s)", x) : x;
}

static const char *cmp_token(ExprOp op)
{
    return op_names[op];
}

/* The condition of a where: `a < b` for an inlined comparison, else `c != 0`. */
static const char *cond_text(Emit *em, const Expr *c)
{
    if (is_comparison(c->op) && !em->tmp[c->id])
        return pf(em, "%s %s %s", em->text[c->a->id], cmp_token(c->op), em->text[c->b->id]);
    return pf(em, "%s != %s", em->text[c->id], literal(em, 0));
}

static const char *pow_text(Emit *em, const Expr *e, const char *a)
{
    double c = e->b->value;
    if (c == 2)
        return pf(em, "(%s * %s)", a, a);
    if (c == 3)
        return pf(em, "(%s * %s * %s)", a, a, a);
    if (c == -1)
        return pf(em, "(%s / %s)", literal(em, 1), a);
    if (c == -2)
        return pf(em, "(%s / (%s * %s))", literal(em, 1), a, a);
    return pf(em, "%s(%s, %s)", fn(em, "pow"), a, literal(em, c));
}

/* sigmoid(v) without overflow for large |v|; v is a variable or a temporary. */
static const char *sigmoid_text(Emit *em, const char *v)
{
    const char *one = literal(em, 1), *ex = fn(em, "exp"), *mv = after_minus(em, v);
    return pf(em, "(%s >= %s ? %s / (%s + %s(-%s)) : %s(%s) / (%s + %s(%s)))", v,
              literal(em, 0), one, one, ex, mv, ex, v, one, ex, v);
}

static const char *softplus_text(Emit *em, const char *v)
{
    return pf(em, "(%s(%s, %s) + %s(%s(-%s(%s))))", fn(em, "fmax"), v, literal(em, 0),
              fn(em, "log1p"), fn(em, "exp"), fn(em, "fabs"), v);
}

static const char *unary_text(Emit *em, const Expr *e, const char *a)
{
    static const char *const libm[EX_COUNT] = {
        [EX_EXP] = "exp", [EX_LOG] = "log", [EX_SQRT] = "sqrt", [EX_ABS] = "fabs",
        [EX_TANH] = "tanh",
    };
    switch (e->op) {
    case EX_NEG: return pf(em, "(-%s)", after_minus(em, a));
    case EX_SIGMOID: return sigmoid_text(em, a);
    case EX_SOFTPLUS: return softplus_text(em, a);
    case EX_SIGN:
        return pf(em, "(%s > %s ? %s : (%s < %s ? %s : %s))", a, literal(em, 0),
                  literal(em, 1), a, literal(em, 0), literal(em, -1), literal(em, 0));
    default: return pf(em, "%s(%s)", fn(em, libm[e->op]), a);
    }
}

/* The inline C text of e from its children's texts. */
static const char *node_text(Emit *em, const Expr *e)
{
    const char *a = e->a ? em->text[e->a->id] : NULL;
    const char *b = e->b ? em->text[e->b->id] : NULL;
    switch (e->op) {
    case EX_CONST: return literal(em, e->value);
    case EX_VAR: return em->vars[e->var];
    case EX_ADD: case EX_SUB: case EX_MUL: case EX_DIV:
        return pf(em, "(%s %s %s)", a, op_names[e->op], b);
    case EX_POW: return pow_text(em, e, a);
    case EX_MIN: return pf(em, "%s(%s, %s)", fn(em, "fmin"), a, b);
    case EX_MAX: return pf(em, "%s(%s, %s)", fn(em, "fmax"), a, b);
    case EX_WHERE:
        return pf(em, "(%s ? %s : %s)", cond_text(em, e->a), b, em->text[e->c->id]);
    default:
        if (is_comparison(e->op))
            return pf(em, "(%s ? %s : %s)", cond_text(em, e), literal(em, 1),
                      literal(em, 0));
        return unary_text(em, e, a);
    }
}

/* Moves e's longest inlined child into a temporary; false if none is worth it. */
static bool hoist_longest(Emit *em, const Expr *e)
{
    const Expr *kids[3] = {e->a, e->b, e->c}, *best = NULL;
    size_t best_len = 12;
    for (int k = 0; k < 3; k++) {
        const Expr *x = kids[k];
        if (x && !trivial(x) && !is_comparison(x->op) && !em->tmp[x->id]
            && strlen(em->text[x->id]) > best_len) {
            best = x;
            best_len = strlen(em->text[x->id]);
        }
    }
    if (!best)
        return false;
    make_temp(em, best);
    return true;
}

/* Post-order: children first, so every temporary follows the ones it reads. */
static void build(Emit *em, const Expr *e)
{
    if (!mark_visit(em->p, e))
        return;
    if (e->a)
        build(em, e->a);
    if (e->b)
        build(em, e->b);
    if (e->c)
        build(em, e->c);
    em->text[e->id] = node_text(em, e);
    while (strlen(em->text[e->id]) > EMIT_WIDTH && hoist_longest(em, e))
        em->text[e->id] = node_text(em, e);
    if (!trivial(e) && !is_comparison(e->op) && em->uses[e->id] > 1)
        make_temp(em, e);
}

void expr_emit(FILE *out, int indent, const Expr *const *roots, int nroots,
               const char *const *var_names, bool dbl, const char *real,
               const char *tmp_prefix, const char **out_exprs)
{
    if (nroots <= 0)
        return;
    ExprPool *p = roots[0]->pool;
    Arena *a = p->arena;
    Emit em = {.p = p, .out = out, .indent = indent, .vars = var_names, .dbl = dbl,
               .real = real, .prefix = tmp_prefix};
    em.uses = arena_alloc(a, (size_t)p->count * sizeof *em.uses);
    em.text = arena_alloc(a, (size_t)p->count * sizeof *em.text);
    em.tmp = arena_alloc(a, (size_t)p->count * sizeof *em.tmp);
    mark_begin(p);
    for (int i = 0; i < nroots; i++) {
        em.uses[roots[i]->id]++;
        count_uses(&em, roots[i]);
    }
    mark_begin(p);
    for (int i = 0; i < nroots; i++)
        build(&em, roots[i]);
    for (int i = 0; i < nroots; i++)
        out_exprs[i] = em.text[roots[i]->id];
}
