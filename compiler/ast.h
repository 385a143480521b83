/* ast.h: the syntax tree the parser builds (syntax only: no name resolution or
 * range checks; sema.c does those). Every node keeps the Loc of its source text. */
#ifndef NETC_AST_H
#define NETC_AST_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"

typedef enum {
    VAL_NUMBER,     /* 0.5, 1e-4, 4 */
    VAL_WORD,       /* sgd, nobias, xavier */
    VAL_CALL        /* uniform(-0.1, 0.1), leaky_relu(0.2), maxout(3) */
} AstValueKind;

/* One word of a statement after its keyword. `key=value` sets key; a value is a
 * number, a word or a call. */
typedef struct AstValue AstValue;
struct AstValue {
    AstValueKind kind;
    Loc loc;                /* the whole item, key included */
    const char *key;        /* "lr" in lr=0.5; NULL when positional */
    Loc key_loc;
    const char *word;       /* VAL_WORD, VAL_CALL: the identifier */
    double num;             /* VAL_NUMBER: value (strtod, C locale) */
    const char *text;       /* VAL_NUMBER: source spelling */
    bool is_int;            /* VAL_NUMBER: spelled as an integer (no '.', 'e') */
    AstValue **args;        /* VAL_CALL */
    int nargs;
    bool after_semicolon;   /* a call argument that followed a ';' (formula parameters) */
};

/* A formula: `z * sigmoid(z)`, `concat(x, x[0] * x[1])`. Operators keep their
 * spelling in `op`: + - * / ^ < <= > >= == != and "neg" for unary minus. */
typedef enum {
    EXPR_NUMBER,    /* num, text */
    EXPR_NAME,      /* name */
    EXPR_CALL,      /* name(args) */
    EXPR_UNARY,     /* op a */
    EXPR_BINARY,    /* a op b */
    EXPR_INDEX,     /* name[lo] */
    EXPR_SLICE      /* name[lo:hi] */
} AstExprKind;

typedef struct AstExpr AstExpr;
struct AstExpr {
    AstExprKind kind;
    Loc loc;
    const char *op;
    const char *name;
    Loc name_loc;
    double num;
    const char *text;
    AstExpr *a, *b;
    AstExpr **args;
    int nargs;
    AstValue *lo, *hi;      /* EXPR_INDEX, EXPR_SLICE: the numbers as written */
    int depth;              /* 1 for a leaf; the parser keeps it <= AST_MAX_DEPTH */
};

/* Limits the parser enforces (docs/language.md, "Limits"): formulas nest at
 * most AST_MAX_DEPTH operators and calls deep (parentheses alone do not count),
 * so every stage may recurse over a formula; a spec has at most
 * AST_MAX_STATEMENTS statements and train items; identifiers are at most
 * AST_MAX_IDENT bytes (longer ones are reported and cut). */
enum { AST_MAX_DEPTH = 256, AST_MAX_STATEMENTS = 10000, AST_MAX_IDENT = 255 };

typedef enum {
    ST_NETWORK,     /* network NAME */
    ST_PRECISION,   /* precision float|double   (the word is vals[0]) */
    ST_INPUT,       /* input NAME[N] */
    ST_DENSE,       /* dense NAME[N] ACTIVATION [options...] */
    ST_DROPOUT,     /* dropout P */
    ST_LOSS,        /* loss KIND [options...] */
    ST_REGULARIZE,  /* regularize l1|l2 LAMBDA */
    ST_TRAIN,       /* train ... end: items */
    ST_TRAIN_ITEM,  /* one line inside train: name = the leading word */
    ST_ACTIVATION,  /* activation NAME(z; p = v) = EXPR   (proto, expr) */
    ST_FEATURE,     /* feature NAME = EXPR */
    ST_PARAM,       /* param NAME = NUMBER   (a scalar the graph is differentiated by) */
    ST_CONST,       /* const NAME = NUMBER */
    ST_OUTPUT       /* output NAME = EXPR    (the value a scalar graph computes) */
} AstStmtKind;

typedef struct AstStmt AstStmt;
struct AstStmt {
    AstStmtKind kind;
    Loc loc;                /* whole statement line */
    Loc kw_loc;             /* the leading keyword */
    const char *name;       /* NETWORK/INPUT/DENSE: the name; TRAIN_ITEM: the leading word */
    Loc name_loc;
    AstValue *size;         /* INPUT/DENSE: N in [N]; NULL otherwise */
    AstValue **vals;        /* words after name/size (or after the keyword) */
    int nvals;
    AstStmt **items;        /* TRAIN: its lines */
    int nitems;
    AstValue *proto;        /* ACTIVATION, LOSS with a formula: NAME(formal args) as a call */
    AstExpr *expr;          /* ACTIVATION, LOSS, FEATURE, OUTPUT: the formula */
};

typedef struct {
    const SrcFile *file;
    AstStmt **stmts;        /* in source order */
    int nstmts;
} AstSpec;

/* Constructors (arena-allocated, zeroed); the parser fills in the rest. */
AstValue *ast_new_value(Arena *a, AstValueKind kind, Loc loc);
AstStmt *ast_new_stmt(Arena *a, AstStmtKind kind, Loc kw_loc);
/* The keyword that starts a statement of this kind ("dense"; "train" for items). */
const char *ast_stmt_keyword(AstStmtKind kind);

AstExpr *ast_new_expr(Arena *a, AstExprKind kind, Loc loc);
void ast_dump_expr(FILE *out, const AstExpr *e);

/* Parses one spec file. Syntax errors go to diag (all of them, with recovery at
 * the end of the line); the returned tree holds every statement that parsed. */
AstSpec *parse_spec(Arena *a, Diag *d, const SrcFile *file);

/* Prints the tree in a stable text form (tests, `netc check --dump-ast`). */
void ast_dump(FILE *out, const AstSpec *spec);

#endif
