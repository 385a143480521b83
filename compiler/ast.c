/* ast.c: AST constructors and ast_dump, the stable text form of the tree that the
 * parser tests and `netc check --dump-ast` print. */
#include "ast.h"

AstValue *ast_new_value(Arena *a, AstValueKind kind, Loc loc)
{
    AstValue *v = arena_alloc(a, sizeof *v);
    v->kind = kind;
    v->loc = loc;
    return v;
}

AstStmt *ast_new_stmt(Arena *a, AstStmtKind kind, Loc kw_loc)
{
    AstStmt *s = arena_alloc(a, sizeof *s);
    s->kind = kind;
    s->kw_loc = kw_loc;
    s->loc = kw_loc;
    return s;
}

AstExpr *ast_new_expr(Arena *a, AstExprKind kind, Loc loc)
{
    AstExpr *e = arena_alloc(a, sizeof *e);
    e->kind = kind;
    e->loc = loc;
    e->depth = 1;
    return e;
}

/* Fully parenthesized, so the dump shows how the parser grouped the formula. */
void ast_dump_expr(FILE *out, const AstExpr *e)
{
    switch (e->kind) {
    case EXPR_NUMBER:
        fputs(e->text, out);
        break;
    case EXPR_NAME:
        fputs(e->name, out);
        break;
    case EXPR_CALL:
        fprintf(out, "%s(", e->name);
        for (int i = 0; i < e->nargs; i++) {
            if (i)
                fputs(", ", out);
            ast_dump_expr(out, e->args[i]);
        }
        fputc(')', out);
        break;
    case EXPR_UNARY:
        fputs("(-", out);
        ast_dump_expr(out, e->a);
        fputc(')', out);
        break;
    case EXPR_BINARY:
        fputc('(', out);
        ast_dump_expr(out, e->a);
        fprintf(out, " %s ", e->op);
        ast_dump_expr(out, e->b);
        fputc(')', out);
        break;
    case EXPR_INDEX:
        fprintf(out, "%s[%s]", e->name, e->lo->text);
        break;
    case EXPR_SLICE:
        fprintf(out, "%s[%s:%s]", e->name, e->lo->text, e->hi->text);
        break;
    }
}

const char *ast_stmt_keyword(AstStmtKind kind)
{
    switch (kind) {
    case ST_NETWORK: return "network";
    case ST_PRECISION: return "precision";
    case ST_INPUT: return "input";
    case ST_DENSE: return "dense";
    case ST_DROPOUT: return "dropout";
    case ST_LOSS: return "loss";
    case ST_REGULARIZE: return "regularize";
    case ST_TRAIN: return "train";
    case ST_TRAIN_ITEM: return "train";
    case ST_ACTIVATION: return "activation";
    case ST_FEATURE: return "feature";
    case ST_PARAM: return "param";
    case ST_CONST: return "const";
    case ST_OUTPUT: return "output";
    }
    return "?";
}

/* Numbers print as spelled in the source, so the dump is exact and stable. */
static void dump_value(FILE *out, const AstValue *v)
{
    if (v->key)
        fprintf(out, "%s=", v->key);
    switch (v->kind) {
    case VAL_NUMBER:
        fputs(v->text, out);
        break;
    case VAL_WORD:
        fputs(v->word, out);
        break;
    case VAL_CALL:
        fprintf(out, "%s(", v->word);
        for (int i = 0; i < v->nargs; i++) {
            if (i > 0)
                fputs(v->args[i]->after_semicolon && !v->args[i - 1]->after_semicolon ? "; " : ", ",
                      out);
            dump_value(out, v->args[i]);
        }
        fputc(')', out);
        break;
    }
}

/* One line: `LINE:COL keyword [name] [[size]] values...` */
static void dump_stmt(FILE *out, const AstStmt *s, const char *indent)
{
    int line = 0, col = 0;
    if (s->kw_loc.file)
        src_line_col(s->kw_loc.file, s->kw_loc.start, &line, &col);
    fprintf(out, "%s%d:%d %s", indent, line, col,
            s->kind == ST_TRAIN_ITEM ? s->name : ast_stmt_keyword(s->kind));
    if (s->name && s->kind != ST_TRAIN_ITEM)
        fprintf(out, " %s", s->name);
    if (s->size) {
        fputs(" [", out);
        dump_value(out, s->size);
        fputc(']', out);
    }
    if (s->proto) {
        fputc(' ', out);
        dump_value(out, s->proto);
    }
    if (s->expr) {
        fputs(" = ", out);
        ast_dump_expr(out, s->expr);
    }
    for (int i = 0; i < s->nvals; i++) {
        fputc(' ', out);
        dump_value(out, s->vals[i]);
    }
    fputc('\n', out);
}

void ast_dump(FILE *out, const AstSpec *spec)
{
    for (int i = 0; i < spec->nstmts; i++) {
        const AstStmt *s = spec->stmts[i];
        dump_stmt(out, s, "");
        if (s->kind != ST_TRAIN)
            continue;
        for (int j = 0; j < s->nitems; j++)
            dump_stmt(out, s->items[j], "    ");
        fputs("end\n", out);
    }
}
