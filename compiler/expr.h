/* expr.h: elementwise scalar formulas, the language's `activation f(z) = ...`,
 * `loss g(y, t; d = 1) = ...` and `feature phi = ...` bodies. Nodes are
 * hash-consed in a pool, so building the same subexpression twice returns the
 * same node: common-subexpression elimination is structural. Constructors
 * simplify as they build (constant folding, x + 0, x * 1, x * 0, --x, x - x, ...),
 * expr_diff derives the symbolic derivative with the same constructors, and
 * expr_emit writes C with one temporary per shared subexpression.
 *
 * Simplifications assume formulas of finite values (no NaN or infinity flows in):
 * x * 0 = 0, 0 / x = 0, x - x = 0, x / x = 1, x < x = 0, x <= x = 1. Everything
 * else is exact in IEEE double, or reassociates constants only (2 * (3 * x) =
 * 6 * x, 1 + (2 + x) = 3 + x). Constants fold in double through the C library,
 * and only when the result is finite (exp(1000) stays a node). -0.0 is stored as
 * 0.0. Commutative operands are ordered constant first, then by id. */
#ifndef NETC_EXPR_H
#define NETC_EXPR_H

#include <stdbool.h>
#include <stdio.h>

#include "arena.h"

typedef enum {
    EX_CONST,       /* value */
    EX_VAR,         /* variable `var` (0..nvars-1): z, or y and t, or a feature's inputs */
    EX_NEG,
    EX_ADD, EX_SUB, EX_MUL, EX_DIV,
    EX_POW,         /* a ^ b where b is a constant */
    EX_EXP, EX_LOG, EX_SQRT, EX_ABS, EX_TANH, EX_SIGMOID, EX_SOFTPLUS,
    EX_SIGN,        /* -1, 0, 1: the derivative of abs (subgradient 0 at 0) */
    EX_MIN, EX_MAX,
    EX_LT, EX_LE, EX_GT, EX_GE, EX_EQ, EX_NE,   /* 1 or 0 */
    EX_WHERE,       /* where(c, a, b): a if c != 0 else b */
    EX_COUNT
} ExprOp;

typedef struct Expr Expr;
typedef struct ExprPool ExprPool;
struct Expr {
    ExprOp op;
    int id;             /* creation order in the pool: stable, so output is deterministic */
    double value;       /* EX_CONST */
    int var;            /* EX_VAR */
    const Expr *a, *b, *c;
    ExprPool *pool;     /* owner: expr_emit, expr_count and expr_uses_var take scratch here */
};

ExprPool *expr_pool_new(Arena *arena);

const Expr *expr_const(ExprPool *p, double v);
const Expr *expr_var(ExprPool *p, int var);
/* Unary ops (EX_NEG, EX_EXP ... EX_SIGN). */
const Expr *expr_unary(ExprPool *p, ExprOp op, const Expr *a);
/* Binary ops (EX_ADD ... EX_POW, EX_MIN, EX_MAX, comparisons). EX_POW requires a
 * constant exponent (the caller reports the error; this asserts).
 * Division by a constant zero (after folding: x / (1 - 1) too; also 0 ^ c with
 * c < 0) returns NULL: the caller reports it at the `/` or `^`. Every constructor
 * returns NULL when given a NULL operand, so a whole formula can be built first
 * and checked once at the end. */
const Expr *expr_binary(ExprPool *p, ExprOp op, const Expr *a, const Expr *b);
const Expr *expr_where(ExprPool *p, const Expr *c, const Expr *a, const Expr *b);

/* d e / d var, simplified. Where the derivative does not exist the documented
 * subgradient is used: abs'(0) = 0, sign' = 0, comparisons' = 0, where(c, a, b)'
 * = where(c, a', b') (the boundary takes the branch c selects), min/max take
 * the derivative of the argument they select; on a tie, the one first in the
 * canonical order: a constant if there is one (so max(z, 0)' = 0 at z = 0, as
 * relu's), else the older node. sqrt'(0) and log'(0) follow the formula
 * (infinite). Derivatives are memoized per node within one call, so the result
 * of a DAG is a DAG. */
const Expr *expr_diff(ExprPool *p, const Expr *e, int var);
/* e with variable var replaced by `with`, simplified; NULL if that creates a
 * division by a constant zero. */
const Expr *expr_subst(ExprPool *p, const Expr *e, int var, const Expr *with);

bool expr_is_const(const Expr *e, double *value);
/* True if e depends on variable var. */
bool expr_uses_var(const Expr *e, int var);
/* Number of distinct nodes reachable from the roots (the size of the emitted code). */
int expr_count(const Expr *const *roots, int nroots);

/* Writes C statements that compute every root, for the C emitter. Shared
 * subexpressions (used more than once across all roots) get a `const REAL tN =
 * ...;` temporary, numbered in a deterministic order; each root then becomes a
 * C expression string returned in out_exprs (allocated in the pool's arena).
 * var_names[i] is the C expression for variable i (e.g. "z[k]"). dbl picks
 * double literals and libm names (exp) versus float ones (1.0f, expf); real is
 * the C type name for temporaries. Each statement line is written to out with
 * `indent` spaces in front and a newline after. Never emits an unused
 * temporary; the output compiles warning-free under -Wall -Wextra -Wconversion
 * -Wdouble-promotion for float and double, needing only <math.h> (sigmoid and
 * softplus are written inline in overflow-free forms). var_names must be C
 * primary expressions (`z`, `z[k]`); temporaries are numbered from 1 per call, so
 * two calls in one C scope need different prefixes. An inline expression longer
 * than about 64 characters has its longest part moved into a temporary too, to
 * keep lines short. */
void expr_emit(FILE *out, int indent, const Expr *const *roots, int nroots,
               const char *const *var_names, bool dbl, const char *real,
               const char *tmp_prefix, const char **out_exprs);

/* The spelling of an op in formulas: "+", "exp", "where", ... */
const char *expr_op_name(ExprOp op);

/* A readable, fully parenthesized form for tests and diagnostics: "(z * sigmoid(z))". */
void expr_print(FILE *out, const Expr *e, const char *const *var_names);

/* Evaluates e with variables bound to vars[] (double precision), for tests and
 * gradient checks; where() evaluates only the branch it selects. Each node is
 * evaluated once per call (scratch in the pool), so cost is the DAG's size. */
double expr_eval(const Expr *e, const double *vars);

#endif
