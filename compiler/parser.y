/* parser.y: tokens -> AST (syntax only; sema.c checks names, kinds and ranges).
 * The language is line-oriented: every statement ends at NEWLINE, and a syntax
 * error skips to the end of its line so that one run reports every bad line. */
%define api.pure full
%define api.token.prefix {TOK_}
%define api.location.type {Loc}
%define parse.error custom
%locations
%expect 0

%parse-param {yyscan_t scanner} {ParseCtx *cx}
%lex-param {yyscan_t scanner}

%code requires {
#include <stdbool.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"

#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif

/* Shared by the parser and the scanner (flex's yyextra). */
typedef struct {
    Arena *arena;
    Diag *diag;
    const SrcFile *file;
    AstSpec *spec;
    int nstmts_cap;
    int offset;         /* scanner: byte offset of the next token */
    int nlines;         /* statements and train items so far */
    bool too_deep;      /* AST_MAX_DEPTH exceeded (reported once) */
    bool at_bol;        /* scanner: no token yet on the current line */
} ParseCtx;

/* Growing lists while a statement or a train block is parsed. */
typedef struct {
    AstValue **items;
    int n, cap;
} ValList;
typedef struct {
    AstStmt **items;
    int n, cap;
} StmtList;
typedef struct {
    AstExpr **items;
    int n, cap;
} ExprList;

/* A rule's span runs from its first symbol to its last; an empty rule sits at
 * the end of whatever came before it. */
#define YYLLOC_DEFAULT(cur, rhs, n)                                 \
    do {                                                            \
        if (n) {                                                    \
            (cur).file = YYRHSLOC(rhs, 1).file;                     \
            (cur).start = YYRHSLOC(rhs, 1).start;                   \
            (cur).end = YYRHSLOC(rhs, n).end;                       \
        } else {                                                    \
            (cur).file = YYRHSLOC(rhs, 0).file;                     \
            (cur).start = (cur).end = YYRHSLOC(rhs, 0).end;         \
        }                                                           \
    } while (0)
}

%code provides {
int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);
}

%code {
#include <string.h>

#include "lexer.h"
#include "spec.h"

static void yyerror(const YYLTYPE *loc, yyscan_t scanner, ParseCtx *cx, const char *msg);
static void add_stmt(ParseCtx *cx, AstStmt *s);
static AstStmt *stmt(ParseCtx *cx, AstStmtKind kind, Loc kw, Loc all);
static void set_vals(AstStmt *s, ValList vals);
static ValList push_val(ParseCtx *cx, ValList list, AstValue *v);
static ValList push_front(ParseCtx *cx, ValList list, AstValue *v);
static StmtList push_stmt(ParseCtx *cx, StmtList list, AstStmt *s);
static void set_items(AstStmt *train, StmtList items);
static AstValue *call(ParseCtx *cx, const char *word, ValList args, Loc all);
static AstValue *signed_number(ParseCtx *cx, AstValue *v, bool negate, Loc all);
static void unknown_statement(ParseCtx *cx, const char *word, Loc loc);
static AstExpr *binary(ParseCtx *cx, const char *op, AstExpr *a, AstExpr *b, Loc all);
static AstExpr *named(ParseCtx *cx, AstExprKind kind, const char *name, Loc name_loc, Loc all);
static ExprList push_expr(ParseCtx *cx, ExprList list, AstExpr *e);
static AstStmt *formula(ParseCtx *cx, AstStmtKind kind, Loc kw, Loc all, const char *name,
                        Loc name_loc, AstExpr *e);
static AstExpr *nest(ParseCtx *cx, AstExpr *e);
static bool count_line(ParseCtx *cx, Loc loc);
}

%union {
    const char *str;
    AstValue *val;
    AstStmt *stmt;
    AstExpr *expr;
    ValList list;
    StmtList stmts;
    ExprList exprs;
}

%token YYEOF 0 "end of file"
%token NEWLINE "end of line"
%token <str> IDENT "identifier"
%token <val> NUMBER "number"
%token KW_NETWORK "'network'"
%token KW_PRECISION "'precision'"
%token KW_INPUT "'input'"
%token KW_DENSE "'dense'"
%token KW_DROPOUT "'dropout'"
%token KW_LOSS "'loss'"
%token KW_REGULARIZE "'regularize'"
%token KW_TRAIN "'train'"
%token KW_END "'end'"
%token KW_ACTIVATION "'activation'"
%token KW_FEATURE "'feature'"
%token KW_PARAM "'param'"
%token KW_CONST "'const'"
%token KW_OUTPUT "'output'"
%token LE "'<='"
%token GE "'>='"
%token EQ "'=='"
%token NE "'!='"

/* Formula operators, loosest first; unary minus binds tighter than * but
 * looser than ^, so -z^2 is -(z^2). */
%nonassoc '<' '>' LE GE EQ NE
%left '+' '-'
%left '*' '/'
%precedence NEG
%right '^'

%type <stmt> kw_stmt train_head
%type <list> values args arglist
%type <stmts> items
%type <val> value plain number
%type <expr> expr
%type <exprs> exprs exprlist
%type <str> reduction

%initial-action { @$ = (Loc){ cx->file, 0, 0 }; }

%%

spec:
    stmts
  | stmts train_head items {
        /* the file ended inside the block */
        diag_error(cx->diag, $2->kw_loc, "'train' block is not closed with 'end'");
        set_items($2, $3);
        add_stmt(cx, $2);
    }
  ;

stmts:
    %empty
  | stmts stmt
  ;

stmt:
    kw_stmt NEWLINE { add_stmt(cx, $1); }
  | train_head items KW_END NEWLINE {
        $1->loc = loc_join(@1, @3);
        set_items($1, $2);
        add_stmt(cx, $1);
    }
  | train_head items KW_END error NEWLINE {
        /* `end` with more on its line still closes the block */
        yyerrok;
        $1->loc = loc_join(@1, @3);
        set_items($1, $2);
        add_stmt(cx, $1);
    }
  | IDENT junk NEWLINE { unknown_statement(cx, $1, @1); }
  | KW_END NEWLINE { diag_error(cx->diag, @1, "'end' without a 'train' block to close"); }
  | error NEWLINE { yyerrok; }
  ;

kw_stmt:
    KW_NETWORK IDENT {
        $$ = stmt(cx, ST_NETWORK, @1, @$);
        $$->name = $2;
        $$->name_loc = @2;
    }
  | KW_PRECISION values {
        $$ = stmt(cx, ST_PRECISION, @1, @$);
        set_vals($$, $2);
    }
  | KW_INPUT IDENT '[' number ']' {
        $$ = stmt(cx, ST_INPUT, @1, @$);
        $$->name = $2;
        $$->name_loc = @2;
        $$->size = $4;
    }
  | KW_DENSE IDENT '[' number ']' values {
        $$ = stmt(cx, ST_DENSE, @1, @$);
        $$->name = $2;
        $$->name_loc = @2;
        $$->size = $4;
        set_vals($$, $6);
    }
  | KW_DROPOUT values {
        $$ = stmt(cx, ST_DROPOUT, @1, @$);
        set_vals($$, $2);
    }
  | KW_LOSS {
        $$ = stmt(cx, ST_LOSS, @1, @$);
    }
  | KW_LOSS value values {
        $$ = stmt(cx, ST_LOSS, @1, @$);
        set_vals($$, push_front(cx, $3, $2));
    }
  | KW_LOSS IDENT '(' args ')' '=' expr reduction {
        /* loss huber(y, t; d = 1.0) = ...: defines the loss and uses it */
        $$ = formula(cx, ST_LOSS, @1, @$, $2, @2, $7);
        $$->proto = call(cx, $2, $4, loc_join(@2, @5));
        if ($8) {
            AstValue *w = ast_new_value(cx->arena, VAL_WORD, @8);
            w->word = $8;
            set_vals($$, push_val(cx, (ValList){ NULL, 0, 0 }, w));
        }
    }
  | KW_ACTIVATION IDENT '(' args ')' '=' expr {
        $$ = formula(cx, ST_ACTIVATION, @1, @$, $2, @2, $7);
        $$->proto = call(cx, $2, $4, loc_join(@2, @5));
    }
  | KW_FEATURE IDENT '=' expr { $$ = formula(cx, ST_FEATURE, @1, @$, $2, @2, $4); }
  | KW_OUTPUT IDENT '=' expr { $$ = formula(cx, ST_OUTPUT, @1, @$, $2, @2, $4); }
  | KW_PARAM IDENT '=' number {
        $$ = formula(cx, ST_PARAM, @1, @$, $2, @2, NULL);
        set_vals($$, push_val(cx, (ValList){ NULL, 0, 0 }, $4));
    }
  | KW_CONST IDENT '=' number {
        $$ = formula(cx, ST_CONST, @1, @$, $2, @2, NULL);
        set_vals($$, push_val(cx, (ValList){ NULL, 0, 0 }, $4));
    }
  | KW_REGULARIZE values {
        $$ = stmt(cx, ST_REGULARIZE, @1, @$);
        set_vals($$, $2);
    }
  ;

/* `train` opens a block of item lines closed by `end`. */
train_head:
    KW_TRAIN NEWLINE { $$ = stmt(cx, ST_TRAIN, @1, @1); }
  | KW_TRAIN error NEWLINE { yyerrok; $$ = stmt(cx, ST_TRAIN, @1, @1); }
  ;

items:
    %empty { $$ = (StmtList){ NULL, 0, 0 }; }
  | items IDENT values NEWLINE {
        AstStmt *s = stmt(cx, ST_TRAIN_ITEM, @2, loc_join(@2, @3));
        s->name = $2;
        s->name_loc = @2;
        set_vals(s, $3);
        $$ = push_stmt(cx, $1, s);
    }
  | items kw_stmt NEWLINE {
        diag_error(cx->diag, $2->kw_loc, "'%s' is not allowed inside a 'train' block",
                   ast_stmt_keyword($2->kind));
        $$ = $1;
    }
  | items KW_TRAIN NEWLINE {
        diag_error(cx->diag, @2, "'train' blocks cannot be nested");
        $$ = $1;
    }
  | items error NEWLINE { yyerrok; $$ = $1; }
  ;

/* The rest of an unknown statement's line: anything goes, it is reported once. */
junk:
    %empty
  | junk junk_token
  ;

junk_token:
    IDENT | NUMBER | '[' | ']' | '(' | ')' | ',' | '=' | '-' | '+' | '*' | '/' | '^'
  | '<' | '>' | LE | GE | EQ | NE | ':' | ';'
  | KW_NETWORK | KW_PRECISION | KW_INPUT | KW_DENSE | KW_DROPOUT | KW_LOSS
  | KW_REGULARIZE | KW_TRAIN | KW_END | KW_ACTIVATION | KW_FEATURE | KW_PARAM | KW_CONST
  | KW_OUTPUT
  ;

values:
    %empty { $$ = (ValList){ NULL, 0, 0 }; }
  | values value { $$ = push_val(cx, $1, $2); }
  ;

/* key=value or a plain value */
value:
    plain
  | IDENT '=' plain {
        $$ = $3;
        $$->key = $1;
        $$->key_loc = @1;
        $$->loc = @$;
    }
  ;

plain:
    number
  | IDENT {
        $$ = ast_new_value(cx->arena, VAL_WORD, @1);
        $$->word = $1;
    }
  | IDENT '(' args ')' { $$ = call(cx, $1, $3, @$); }
  ;

args:
    %empty { $$ = (ValList){ NULL, 0, 0 }; }
  | arglist
  ;

/* Call arguments; after a ';' come a formula's named parameters: f(y, t; d = 1). */
arglist:
    value { $$ = push_val(cx, (ValList){ NULL, 0, 0 }, $1); }
  | arglist ',' value {
        $3->after_semicolon = $1.n > 0 && $1.items[$1.n - 1]->after_semicolon;
        $$ = push_val(cx, $1, $3);
    }
  | arglist ';' value { $3->after_semicolon = true; $$ = push_val(cx, $1, $3); }
  ;

/* `mean` (the default) or `sum` after a loss formula */
reduction:
    %empty { $$ = NULL; }
  | IDENT
  ;

expr:
    NUMBER {
        $$ = ast_new_expr(cx->arena, EXPR_NUMBER, @1);
        $$->num = $1->num;
        $$->text = $1->text;
    }
  | IDENT { $$ = named(cx, EXPR_NAME, $1, @1, @$); }
  | IDENT '(' exprs ')' {
        $$ = named(cx, EXPR_CALL, $1, @1, @$);
        $$->args = $3.items;
        $$->nargs = $3.n;
        $$ = nest(cx, $$);
    }
  | IDENT '[' number ']' {
        $$ = named(cx, EXPR_INDEX, $1, @1, @$);
        $$->lo = $3;
    }
  | IDENT '[' number ':' number ']' {
        $$ = named(cx, EXPR_SLICE, $1, @1, @$);
        $$->lo = $3;
        $$->hi = $5;
    }
  | '(' expr ')' { $$ = $2; $$->loc = @$; }
  | '-' expr %prec NEG {
        $$ = ast_new_expr(cx->arena, EXPR_UNARY, @$);
        $$->op = "neg";
        $$->a = $2;
        $$ = nest(cx, $$);
    }
  | '+' expr %prec NEG { $$ = $2; $$->loc = @$; }
  | expr '+' expr { $$ = binary(cx, "+", $1, $3, @$); }
  | expr '-' expr { $$ = binary(cx, "-", $1, $3, @$); }
  | expr '*' expr { $$ = binary(cx, "*", $1, $3, @$); }
  | expr '/' expr { $$ = binary(cx, "/", $1, $3, @$); }
  | expr '^' expr { $$ = binary(cx, "^", $1, $3, @$); }
  | expr '<' expr { $$ = binary(cx, "<", $1, $3, @$); }
  | expr '>' expr { $$ = binary(cx, ">", $1, $3, @$); }
  | expr LE expr { $$ = binary(cx, "<=", $1, $3, @$); }
  | expr GE expr { $$ = binary(cx, ">=", $1, $3, @$); }
  | expr EQ expr { $$ = binary(cx, "==", $1, $3, @$); }
  | expr NE expr { $$ = binary(cx, "!=", $1, $3, @$); }
  ;

exprs:
    %empty { $$ = (ExprList){ NULL, 0, 0 }; }
  | exprlist
  ;

exprlist:
    expr { $$ = push_expr(cx, (ExprList){ NULL, 0, 0 }, $1); }
  | exprlist ',' expr { $$ = push_expr(cx, $1, $3); }
  ;

/* A sign belongs to the number: uniform(-0.1, 0.1). */
number:
    NUMBER
  | '-' NUMBER { $$ = signed_number(cx, $2, true, @$); }
  | '+' NUMBER { $$ = signed_number(cx, $2, false, @$); }
  ;

%%

/* Counts a statement or train item; false (reported once) past the limit. */
static bool count_line(ParseCtx *cx, Loc loc)
{
    if (++cx->nlines == AST_MAX_STATEMENTS + 1)
        diag_error(cx->diag, loc, "too many statements: a spec may have at most %d statements "
                   "and train items", AST_MAX_STATEMENTS);
    return cx->nlines <= AST_MAX_STATEMENTS;
}

/* Sets e's depth from its operands. Past AST_MAX_DEPTH it reports the formula
 * (once per spec) and returns the deepest operand instead, so no tree handed to
 * the later stages, which recurse over formulas, is deeper than the limit. */
static AstExpr *nest(ParseCtx *cx, AstExpr *e)
{
    AstExpr *deepest = NULL;
    AstExpr *kids[2] = { e->a, e->b };
    for (int i = 0; i < 2; i++)
        if (kids[i] && (!deepest || kids[i]->depth > deepest->depth))
            deepest = kids[i];
    for (int i = 0; i < e->nargs; i++)
        if (!deepest || e->args[i]->depth > deepest->depth)
            deepest = e->args[i];
    e->depth = deepest ? deepest->depth + 1 : 1;
    if (e->depth <= AST_MAX_DEPTH)
        return e;
    if (!cx->too_deep)
        diag_error(cx->diag, e->loc, "formula nested too deeply: more than %d levels of "
                   "operators and calls; split it into features or activations", AST_MAX_DEPTH);
    cx->too_deep = true;
    return deepest;
}

static void add_stmt(ParseCtx *cx, AstStmt *s)
{
    AstSpec *spec = cx->spec;
    if (!count_line(cx, s->loc))
        return;
    ARENA_PUSH(cx->arena, spec->stmts, spec->nstmts, cx->nstmts_cap, s);
}

static AstStmt *stmt(ParseCtx *cx, AstStmtKind kind, Loc kw, Loc all)
{
    AstStmt *s = ast_new_stmt(cx->arena, kind, kw);
    s->loc = all;
    return s;
}

static void set_vals(AstStmt *s, ValList vals)
{
    s->vals = vals.items;
    s->nvals = vals.n;
}

static ValList push_front(ParseCtx *cx, ValList list, AstValue *v)
{
    ValList r = { NULL, 0, 0 };
    r = push_val(cx, r, v);
    for (int i = 0; i < list.n; i++)
        r = push_val(cx, r, list.items[i]);
    return r;
}

static AstExpr *binary(ParseCtx *cx, const char *op, AstExpr *a, AstExpr *b, Loc all)
{
    AstExpr *e = ast_new_expr(cx->arena, EXPR_BINARY, all);
    e->op = op;
    e->a = a;
    e->b = b;
    return nest(cx, e);
}

static AstExpr *named(ParseCtx *cx, AstExprKind kind, const char *name, Loc name_loc, Loc all)
{
    AstExpr *e = ast_new_expr(cx->arena, kind, all);
    e->name = name;
    e->name_loc = name_loc;
    return e;
}

static ExprList push_expr(ParseCtx *cx, ExprList list, AstExpr *e)
{
    ARENA_PUSH(cx->arena, list.items, list.n, list.cap, e);
    return list;
}

static AstStmt *formula(ParseCtx *cx, AstStmtKind kind, Loc kw, Loc all, const char *name,
                        Loc name_loc, AstExpr *e)
{
    AstStmt *s = stmt(cx, kind, kw, all);
    s->name = name;
    s->name_loc = name_loc;
    s->expr = e;
    return s;
}

static ValList push_val(ParseCtx *cx, ValList list, AstValue *v)
{
    ARENA_PUSH(cx->arena, list.items, list.n, list.cap, v);
    return list;
}

static StmtList push_stmt(ParseCtx *cx, StmtList list, AstStmt *s)
{
    if (!count_line(cx, s->loc))
        return list;
    ARENA_PUSH(cx->arena, list.items, list.n, list.cap, s);
    return list;
}

static void set_items(AstStmt *train, StmtList items)
{
    train->items = items.items;
    train->nitems = items.n;
}

static AstValue *call(ParseCtx *cx, const char *word, ValList args, Loc all)
{
    AstValue *v = ast_new_value(cx->arena, VAL_CALL, all);
    v->word = word;
    v->args = args.items;
    v->nargs = args.n;
    return v;
}

/* The spelling keeps the sign as written, so messages quote the source. */
static AstValue *signed_number(ParseCtx *cx, AstValue *v, bool negate, Loc all)
{
    if (negate)
        v->num = -v->num;
    v->loc = all;
    v->text = arena_strndup(cx->arena, cx->file->text + all.start, (size_t)(all.end - all.start));
    return v;
}

static const char *const statement_names[] = {
    "network", "precision", "input", "dense", "dropout", "loss", "regularize", "train",
    "activation", "feature", "param", "const", "output", NULL
};

/* A line that starts with a word no statement begins with. */
static void unknown_statement(ParseCtx *cx, const char *word, Loc loc)
{
    for (int i = 0; train_item_names[i]; i++) {
        if (strcmp(word, train_item_names[i]) == 0) {
            diag_error(cx->diag, loc, "'%s' is only allowed inside a 'train' block", word);
            return;
        }
    }
    const char *hint = diag_suggest(word, statement_names);
    if (hint)
        diag_error(cx->diag, loc, "unknown statement '%s'; did you mean '%s'?", word, hint);
    else
        diag_error(cx->diag, loc, "unknown statement '%s'", word);
}

static void yyerror(const YYLTYPE *loc, yyscan_t scanner, ParseCtx *cx, const char *msg)
{
    (void)scanner;
    if (strcmp(msg, "memory exhausted") == 0)   /* bison's stack of YYMAXDEPTH entries */
        diag_error(cx->diag, *loc, "statement nested too deeply: the parser's stack of %d "
                   "levels is full (too many parentheses or '^' in a row?)", YYMAXDEPTH);
    else
        diag_error(cx->diag, *loc, "%s", msg);
}

/* bison's "detailed" wording, except that a long list of expected tokens that
 * includes statement keywords is summarized as "a statement". */
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, ParseCtx *cx)
{
    (void)scanner;
    enum { MAX_LISTED = 4 };
    yysymbol_kind_t exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
    if (n < 0)
        return n;
    char msg[256];
    int len = snprintf(msg, sizeof msg, "syntax error, unexpected %s",
                       yysymbol_name(yypcontext_token(ctx)));
    if (n > 0 && n <= MAX_LISTED) {
        for (int i = 0; i < n; i++)
            len += snprintf(msg + len, sizeof msg - (size_t)len, "%s%s",
                            i == 0 ? ", expecting " : " or ", yysymbol_name(exp[i]));
    } else {
        for (int i = 0; i < n; i++) {
            if (exp[i] == YYSYMBOL_KW_DENSE) {
                snprintf(msg + len, sizeof msg - (size_t)len, ", expecting a statement");
                break;
            }
        }
    }
    diag_error(cx->diag, *yypcontext_location(ctx), "%s", msg);
    return 0;
}

AstSpec *parse_spec(Arena *a, Diag *d, const SrcFile *file)
{
    ParseCtx cx = { .arena = a, .diag = d, .file = file, .at_bol = true };
    cx.spec = arena_alloc(a, sizeof *cx.spec);
    cx.spec->file = file;
    yyscan_t scanner;
    if (yylex_init_extra(&cx, &scanner) != 0)
        internal_error("cannot initialize the scanner");
    yy_scan_bytes(file->text, file->len, scanner);
    yyparse(scanner, &cx);
    yylex_destroy(scanner);
    return cx.spec;
}
