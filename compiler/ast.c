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
                fputs(", ", out);
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
