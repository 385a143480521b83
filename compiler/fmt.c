/* fmt.c: `netc fmt`, a spec in the canonical layout. The language is line-oriented,
 * so formatting works line by line and keeps every line where it was (diagnostics
 * and the generated C's comments cite the same line numbers): each line's tokens
 * are re-spaced, keywords padded to a column, train items indented, and trailing
 * comments aligned. The parser's AST says which '+'/'-' are binary operators and
 * which lines hold formulas; comments, which the lexer drops, come from the text. */
#include "netc.h"

#include <stdlib.h>
#include <string.h>

enum {
    KW_WIDTH = 6,           /* keywords up to this long are padded: `dense  h[4] relu` */
    ITEM_INDENT = 2,        /* lines inside `train ... end` */
    COMMENT_MIN_COL = 28,   /* trailing comments start at this 0-based column or later, */
    COMMENT_STEP = 4,       /* on a multiple of this, */
    COMMENT_MAX_COL = 60    /* unless the code is longer: then two spaces after it */
};

typedef enum { T_WORD, T_NUMBER, T_PUNCT } TokKind;

typedef struct {
    TokKind kind;
    const char *text;
    int len;
    int offset;             /* byte offset in the file */
    bool binop;             /* a binary operator of a formula */
} Tok;

/* One output line: its code (without trailing spaces) and its comment, if any. */
typedef struct {
    char *code;
    const char *comment;    /* from '#' to the end of the line, trailing spaces dropped */
    int comment_len;
    bool blank;             /* no code and no comment */
} Line;

typedef struct {
    Arena *a;
    const SrcFile *file;
    unsigned char *binop;   /* by byte offset: a binary formula operator starts here */
    unsigned char *formula; /* by line: a formula statement, whose '=' are spaced */
} Fmt;

/* ---- what the AST knows ---- */

static int line_of(const SrcFile *f, int offset)
{
    int line, col;
    src_line_col(f, offset, &line, &col);
    return line - 1;
}

/* The first byte at or after offset that starts a token (skips blanks, comments). */
static int next_token(const SrcFile *f, int offset)
{
    while (offset < f->len) {
        char c = f->text[offset];
        if (c == '#') {
            while (offset < f->len && f->text[offset] != '\n')
                offset++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
            offset++;
        } else {
            break;
        }
    }
    return offset;
}

/* Marks the operator of every binary node: the token right after its left operand
 * (whose span includes any parentheses around it). */
static void mark_binops(Fmt *F, const AstExpr *e)
{
    if (!e)
        return;
    if (e->kind == EXPR_BINARY) {
        int at = next_token(F->file, e->a->loc.end);
        if (at < F->file->len)
            F->binop[at] = 1;
    }
    mark_binops(F, e->a);
    mark_binops(F, e->b);
    for (int i = 0; i < e->nargs; i++)
        mark_binops(F, e->args[i]);
}

static void scan_ast(Fmt *F, const AstSpec *ast)
{
    for (int i = 0; i < ast->nstmts; i++) {
        const AstStmt *s = ast->stmts[i];
        mark_binops(F, s->expr);
        bool formula = s->expr || s->kind == ST_PARAM || s->kind == ST_CONST;
        if (formula)
            F->formula[line_of(F->file, s->kw_loc.start)] = 1;
    }
}

/* ---- one line ---- */

static bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The length of the number at p (the lexer's NUM, or its invalid longer form). */
static int number_len(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && (is_word_char(*q) || *q == '.'))
        q++;
    /* an exponent sign belongs to the number: 1e-4 */
    while (q + 1 < end && (q[-1] == 'e' || q[-1] == 'E') && (*q == '-' || *q == '+') &&
           is_digit(q[1])) {
        q++;
        while (q < end && (is_word_char(*q) || *q == '.'))
            q++;
    }
    return (int)(q - p);
}

/* Splits the bytes [start, end) of one line into tokens and an optional comment. */
static int lex_line(const Fmt *F, int start, int end, Tok *toks, const char **comment,
                    int *comment_len)
{
    const char *t = F->file->text;
    int n = 0, i = start;
    *comment = NULL;
    while (i < end) {
        char c = t[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
            continue;
        }
        if (c == '#') {
            int e = end;
            while (e > i && (t[e - 1] == ' ' || t[e - 1] == '\t' || t[e - 1] == '\r'))
                e--;
            *comment = t + i;
            *comment_len = e - i;
            break;
        }
        Tok *k = &toks[n++];
        k->text = t + i;
        k->offset = i;
        k->binop = F->binop[i] != 0;
        if (is_digit(c) || (c == '.' && i + 1 < end && is_digit(t[i + 1]))) {
            k->kind = T_NUMBER;
            k->len = number_len(t + i, t + end);
        } else if (is_word_char(c)) {
            k->kind = T_WORD;
            k->len = 1;
            while (i + k->len < end && is_word_char(t[i + k->len]))
                k->len++;
        } else {
            k->kind = T_PUNCT;
            k->len = (i + 1 < end && t[i + 1] == '=' && strchr("<>=!", c)) ? 2 : 1;
        }
        i += k->len;
    }
    return n;
}

static bool punct(const Tok *k, char c)
{
    return k->kind == T_PUNCT && k->len == 1 && k->text[0] == c;
}

/* A sign or unary operator: '-' or '+' that is not a binary operator. */
static bool is_sign(const Tok *k)
{
    return (punct(k, '-') || punct(k, '+')) && !k->binop;
}

/* Whether one space separates tokens a and b (else none). In formula lines '='
 * is spaced (`feature q = x + y`); in options it binds (`lr=0.5`). Binary
 * operators are spaced, except '^' (`z^2`). */
static bool space_between(const Tok *a, const Tok *b, bool formula)
{
    if (punct(a, '(') || punct(a, '[') || punct(a, ':') || is_sign(a))
        return false;
    if (punct(b, ')') || punct(b, ']') || punct(b, ',') || punct(b, ';') || punct(b, ':'))
        return false;
    if (punct(b, '[') || (punct(b, '(') && a->kind == T_WORD))
        return false;
    if (punct(a, '^') || punct(b, '^'))
        return false;
    if (punct(a, '=') || punct(b, '='))
        return formula;
    return true;
}

/* The code of one line: keyword padded to the column, items indented. */
static char *format_code(Fmt *F, const Tok *toks, int n, bool item, bool formula)
{
    size_t cap = 16;
    for (int i = 0; i < n; i++)
        cap += (size_t)toks[i].len + 1;
    cap += KW_WIDTH + ITEM_INDENT;
    char *out = arena_alloc(F->a, cap), *p = out;
    if (item) {
        memset(p, ' ', ITEM_INDENT);
        p += ITEM_INDENT;
    }
    for (int i = 0; i < n; i++) {
        if (i == 1 && !item && toks[0].kind == T_WORD) {
            int pad = toks[0].len < KW_WIDTH ? KW_WIDTH - toks[0].len + 1 : 1;
            memset(p, ' ', (size_t)pad);
            p += pad;
        } else if (i > 0 && space_between(&toks[i - 1], &toks[i], formula)) {
            *p++ = ' ';
        }
        memcpy(p, toks[i].text, (size_t)toks[i].len);
        p += toks[i].len;
    }
    *p = '\0';
    return out;
}

static bool tok_is(const Tok *k, const char *word)
{
    return k->kind == T_WORD && (size_t)k->len == strlen(word) &&
           memcmp(k->text, word, (size_t)k->len) == 0;
}

/* Formats every line of the file into lines[]; returns how many there are
 * (trailing blank lines dropped). */
static int format_lines(Fmt *F, Line *lines)
{
    const SrcFile *f = F->file;
    Tok *toks = arena_alloc(F->a, sizeof *toks * (size_t)(f->len + 1));
    bool in_train = false;
    int nlines = 0;
    for (int l = 0; l < f->nlines; l++) {
        int start = f->line_starts[l];
        int end = l + 1 < f->nlines ? f->line_starts[l + 1] - 1 : f->len;
        Line *L = &lines[l];
        int n = lex_line(F, start, end, toks, &L->comment, &L->comment_len);
        bool is_end = n > 0 && tok_is(&toks[0], "end");
        bool item = in_train && n > 0 && !is_end;
        if (n > 0 && tok_is(&toks[0], "train") && !in_train)
            in_train = true;
        else if (is_end)
            in_train = false;
        L->code = format_code(F, toks, n, item, F->formula[l] != 0);
        if (n == 0 && L->comment && in_train) {
            /* a comment line inside the block is indented like the items */
            L->code = arena_strdup(F->a, "  ");
        }
        L->blank = n == 0 && !L->comment;
        if (!L->blank)
            nlines = l + 1;
    }
    return nlines;
}

/* The column of the trailing comments of the run of non-blank lines [from, to). */
static int comment_column(const Line *lines, int from, int to)
{
    int col = COMMENT_MIN_COL;
    for (int i = from; i < to; i++) {
        int len = (int)strlen(lines[i].code);
        if (!lines[i].comment || len == 0 || len + 2 > COMMENT_MAX_COL)
            continue;
        while (col < len + 2)
            col += COMMENT_STEP;
    }
    return col;
}

static void write_lines(Buf *out, const Line *lines, int n)
{
    int col = 0;
    for (int i = 0; i < n; i++) {
        const Line *L = &lines[i];
        if (i == 0 || lines[i - 1].blank) {
            int j = i;
            while (j < n && !lines[j].blank)
                j++;
            col = comment_column(lines, i, j);
        }
        int len = (int)strlen(L->code);
        bool code = len > 0 && strspn(L->code, " ") < (size_t)len;
        if (!L->comment)
            buf_printf(out, "%s\n", L->code);
        else if (!code)
            buf_printf(out, "%s%.*s\n", L->code, L->comment_len, L->comment);
        else
            buf_printf(out, "%-*s%.*s\n", len + 2 > col ? len + 2 : col, L->code,
                       L->comment_len, L->comment);
    }
}

/* Formats the spec at path into a malloc'd string; NULL (errors printed) if it
 * does not parse. */
static char *format_file(const char *path)
{
    Arena a = {0};
    Diag d;
    diag_init(&d, stderr);
    const SrcFile *f = src_load(&a, path);
    if (f && f->len > SRC_MAX_BYTES) {
        /* src_load kept only the first part: formatting it would truncate the file */
        fprintf(stderr, "%s: error: the spec is larger than %d bytes (1 MiB), the limit "
                "for a spec file\n", path, SRC_MAX_BYTES);
        f = NULL;
    }
    if (f && strncmp(f->text, "FANN_", 5) == 0) {
        fprintf(stderr, "%s:1:1: error: this is a FANN saved network, not a netc spec\n", path);
        f = NULL;
    }
    AstSpec *ast = f ? parse_spec(&a, &d, f) : NULL;
    char *result = NULL;
    if (ast && diag_errors(&d) == 0) {
        Fmt F = {&a, f, arena_alloc(&a, (size_t)f->len + 1), arena_alloc(&a, (size_t)f->nlines)};
        scan_ast(&F, ast);
        Line *lines = arena_alloc(&a, sizeof *lines * (size_t)f->nlines);
        int n = format_lines(&F, lines);
        Buf out = {0};
        buf_printf(&out, "%s", "");
        write_lines(&out, lines, n);
        result = out.data;
    }
    arena_free_all(&a);
    return result;
}

static int fmt_usage(void)
{
    printf("usage: netc fmt SPEC          print SPEC in the canonical layout\n"
           "       netc fmt -i SPEC...    rewrite each SPEC in place (atomically)\n"
           "       netc fmt --check SPEC...\n"
           "                              exit 1 if a SPEC is not in the canonical layout\n"
           "Keeps every line (and comment) where it is; re-spaces tokens, pads keywords to\n"
           "a column, indents train items by 2 and aligns trailing comments. `netc fmt` of\n"
           "its own output is the same text. See docs/language.md.\n");
    return 0;
}

/* The file's current bytes equal text. */
static bool same_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = strlen(text), i = 0;
    int c;
    bool same = true;
    while (same && (c = fgetc(f)) != EOF)
        same = i < n && (char)c == text[i++];
    fclose(f);
    return same && i == n;
}

int cmd_fmt(int argc, char **argv)
{
    bool in_place = false, check = false;
    int nfiles = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fmt_usage();
        else if (strcmp(argv[i], "-i") == 0)
            in_place = true;
        else if (strcmp(argv[i], "--check") == 0)
            check = true;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "netc: fmt: unknown option '%s'\n(see 'netc fmt --help')\n", argv[i]);
            return EXIT_USAGE;
        } else {
            nfiles++;
        }
    }
    if (nfiles == 0 || (nfiles > 1 && !in_place && !check) || (in_place && check)) {
        fprintf(stderr, "netc: fmt: %s\n(see 'netc fmt --help')\n",
                nfiles == 0 ? "no spec given"
                : in_place && check ? "-i and --check do not go together"
                : "several specs need -i or --check");
        return EXIT_USAGE;
    }
    int rc = 0;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1])
            continue;
        char *text = format_file(argv[i]);
        if (!text) {
            rc = EXIT_INPUT_ERROR;
        } else if (check) {
            if (!same_text(argv[i], text)) {
                printf("%s: not formatted\n", argv[i]);
                rc = EXIT_INPUT_ERROR;
            }
        } else if (in_place) {
            if (!same_text(argv[i], text) && write_file_atomic(argv[i], text) != 0)
                rc = EXIT_INPUT_ERROR;
        } else {
            fputs(text, stdout);
        }
        free(text);
    }
    return rc;
}
