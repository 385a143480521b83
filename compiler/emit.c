/* emit.c: text buffers, indentation and literal formatting for the emitter. */
#include "emit.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void buf_vprintf(Buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        internal_error("bad format '%s'", fmt);
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            internal_error("out of memory");
        b->data = d;
        b->cap = cap;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_printf(Buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void buf_free(Buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static void indent(Emitter *e)
{
    for (int i = 0; i < e->indent; i++)
        buf_printf(e->cur, "    ");
}

/* One indented line from fmt, ending in tail ("\n" or " {\n"). */
static void vline(Emitter *e, const char *tail, const char *fmt, va_list ap)
{
    indent(e);
    buf_vprintf(e->cur, fmt, ap);
    buf_printf(e->cur, "%s", tail);
}

void emit_line(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(e, "\n", fmt, ap);
    va_end(ap);
}

void emit_open(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(e, " {\n", fmt, ap);
    va_end(ap);
    e->indent++;
}

void emit_fn(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(e, "\n", fmt, ap);
    va_end(ap);
    emit_brace(e);
}

void emit_brace(Emitter *e)
{
    indent(e);
    buf_printf(e->cur, "{\n");
    e->indent++;
}

void emit_close(Emitter *e)
{
    e->indent--;
    indent(e);
    buf_printf(e->cur, "}\n");
}

void emit_blank(Emitter *e)
{
    buf_printf(e->cur, "\n");
}

void emit_section(Emitter *e, int sec)
{
    e->cur = &e->sec[sec];
}

const char *emit_real(Emitter *e, double v)
{
    static char bufs[8][40];
    static int next;
    char *b = bufs[next++ % 8];
    if (!isfinite(v))
        internal_error("non-finite constant reached the emitter");
    if (!e->dbl && !isfinite((double)(float)v))
        /* beyond FLT_MAX: a float network rounds it to infinity, as its own
         * arithmetic would (printing it would give the C text "inf.0f") */
        return v > 0 ? "HUGE_VALF" : "(-HUGE_VALF)";
    snprintf(b, 32, e->dbl ? "%.17g" : "%.9g", e->dbl ? v : (double)(float)v);
    if (!strpbrk(b, ".eEn"))
        strcat(b, ".0");
    if (!e->dbl)
        strcat(b, "f");
    return b;
}

/* Float networks get the fast, vectorizable exp and tanh of emit_fastmath.c. */
const char *emit_math(Emitter *e, const char *fn)
{
    if (e->dbl)
        return fn;
    if (strcmp(fn, "exp") == 0) {
        e->need_fexp = true;
        return arena_printf(e->a, "%s_expf", e->p);
    }
    if (strcmp(fn, "tanh") == 0) {
        e->need_ftanh = true;
        return arena_printf(e->a, "%s_tanhf", e->p);
    }
    return arena_printf(e->a, "%sf", fn);
}

/* Comment or string-literal text from user-controlled strings (paths): printable
 * ASCII without quotes, backslashes or '?' (trigraphs), and no comment close. */
const char *emit_comment_safe(Emitter *e, const char *s)
{
    size_t n = strlen(s);
    char *r = arena_alloc(e->a, n * 2 + 1), *q = r;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '*' && s[i + 1] == '/') {
            *q++ = '*';
            *q++ = ' ';
        } else {
            *q++ = (c >= 32 && c < 127 && c != '"' && c != '\\' && c != '?') ? (char)c : '_';
        }
    }
    *q = '\0';
    return r;
}

const char *emit_where(Emitter *e, const AstStmt *st)
{
    if (!st)
        return emit_comment_safe(e, e->opt->spec_path);
    int line, col;
    src_line_col(st->loc.file, st->loc.start, &line, &col);
    return arena_printf(e->a, "%s:%d", emit_comment_safe(e, e->opt->spec_path), line);
}
