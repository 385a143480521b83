/* diag.c: source file loading and diagnostics printing; see diag.h. */
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void index_lines(Arena *a, SrcFile *f)
{
    int n = 1;
    for (int i = 0; i < f->len; i++)
        if (f->text[i] == '\n')
            n++;
    f->line_starts = arena_alloc(a, sizeof(int) * (size_t)n);
    f->nlines = 0;
    f->line_starts[f->nlines++] = 0;
    for (int i = 0; i < f->len; i++)
        if (f->text[i] == '\n' && f->nlines < n)
            f->line_starts[f->nlines++] = i + 1;
}

SrcFile *src_from_bytes(Arena *a, const char *name, const char *bytes, size_t len)
{
    SrcFile *f = arena_alloc(a, sizeof *f);
    f->name = arena_strdup(a, name);
    f->len = (int)(len > (size_t)SRC_MAX_BYTES + 1 ? (size_t)SRC_MAX_BYTES + 1 : len);
    f->text = arena_strndup(a, bytes, (size_t)f->len);
    index_lines(a, f);
    return f;
}

SrcFile *src_from_string(Arena *a, const char *name, const char *text)
{
    return src_from_bytes(a, name, text, strlen(text));
}

/* Reads at most SRC_MAX_BYTES + 1 bytes: a longer file is reported by the caller
 * (its len tells), without reading all of it. */
SrcFile *src_load(Arena *a, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "netc: error: cannot open '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0, want = (size_t)SRC_MAX_BYTES + 1;
    char *buf = malloc(cap);
    size_t got;
    while (buf && len < want && (got = fread(buf + len, 1, cap - len, fp)) > 0) {
        len += got;
        if (len == cap && cap < want) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int err = ferror(fp);
    fclose(fp);
    if (!buf || err) {
        fprintf(stderr, "netc: error: cannot read '%s'%s%s\n", path, err ? ": " : "",
                err ? strerror(errno) : "");
        free(buf);
        return NULL;
    }
    SrcFile *f = src_from_bytes(a, path, buf, len);
    free(buf);
    return f;
}

void src_line_col(const SrcFile *f, int offset, int *line, int *col)
{
    int lo = 0, hi = f->nlines - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (f->line_starts[mid] <= offset)
            lo = mid;
        else
            hi = mid - 1;
    }
    *line = lo + 1;
    *col = offset - f->line_starts[lo] + 1;
}

void diag_init(Diag *d, FILE *out)
{
    memset(d, 0, sizeof *d);
    d->out = out;
    d->max_errors = 50;
}

/* Prints the source line holding loc and a caret underline for the span.
 * Tabs in the prefix are copied so the caret lines up at any tab width. Control
 * bytes print as '?'; a line longer than EXCERPT_MAX bytes is cut to a window
 * around the span, marked with "...". */
enum { EXCERPT_MAX = 160, EXCERPT_BEFORE = 40 };

/* The length of the character at p if it may be printed as is: a tab, printable
 * ASCII, or a well-formed UTF-8 sequence that is not a C1 control; else 0, and
 * the byte is shown as '?' (no NUL, no terminal escapes, no broken UTF-8). */
static int shown_utf8(const char *p, int left)
{
    const unsigned char *u = (const unsigned char *)p;
    if (u[0] == '\t' || (u[0] >= 0x20 && u[0] < 0x7f))
        return 1;
    int n = u[0] >= 0xc2 && u[0] <= 0xdf ? 2 : u[0] >= 0xe0 && u[0] <= 0xef ? 3
          : u[0] >= 0xf0 && u[0] <= 0xf4 ? 4 : 0;
    if (n == 0 || n > left)
        return 0;
    unsigned cp = u[0] & (0x7f >> n);
    for (int k = 1; k < n; k++) {
        if ((u[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (u[k] & 0x3f);
    }
    static const unsigned min_cp[5] = { 0, 0, 0xa0, 0x800, 0x10000 };   /* no overlong forms */
    if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static void print_excerpt(FILE *out, Loc loc)
{
    const SrcFile *f = loc.file;
    int line, col;
    src_line_col(f, loc.start, &line, &col);
    int bol = f->line_starts[line - 1];
    int eol = bol;
    while (eol < f->len && f->text[eol] != '\n' && f->text[eol] != '\r')
        eol++;
    int from = bol, to = eol;
    if (eol - bol > EXCERPT_MAX) {
        from = loc.start - EXCERPT_BEFORE > bol ? loc.start - EXCERPT_BEFORE : bol;
        to = from + EXCERPT_MAX < eol ? from + EXCERPT_MAX : eol;
    }
    fprintf(out, "%5d | %s", line, from > bol ? "..." : "");
    for (int i = from; i < to; i++) {
        int n = shown_utf8(f->text + i, to - i);
        if (n > 0) {
            fwrite(f->text + i, 1, (size_t)n, out);
            i += n - 1;
        } else {
            fputc('?', out);
        }
    }
    fprintf(out, "%s\n      | %s", to < eol ? "..." : "", from > bol ? "   " : "");
    for (int i = from; i < loc.start && i < to; i++)
        fputc(f->text[i] == '\t' ? '\t' : ' ', out);
    fputc('^', out);
    int end = loc.end < to ? loc.end : to;
    for (int i = loc.start + 1; i < end; i++)
        fputc('~', out);
    fputc('\n', out);
}

static void vreport(Diag *d, Loc loc, const char *kind, const char *fmt, va_list ap)
{
    if (loc.file) {
        int line, col;
        src_line_col(loc.file, loc.start, &line, &col);
        fprintf(d->out, "%s:%d:%d: %s: ", loc.file->name, line, col, kind);
    } else {
        fprintf(d->out, "netc: %s: ", kind);
    }
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
    if (loc.file)
        print_excerpt(d->out, loc);
}

void diag_error(Diag *d, Loc loc, const char *fmt, ...)
{
    d->errors++;
    if (d->max_errors && d->errors > d->max_errors) {
        if (d->errors == d->max_errors + 1)
            fprintf(d->out, "netc: too many errors, stopping here\n");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vreport(d, loc, "error", fmt, ap);
    va_end(ap);
}

void diag_warning(Diag *d, Loc loc, const char *fmt, ...)
{
    d->warnings++;
    va_list ap;
    va_start(ap, fmt);
    vreport(d, loc, "warning", fmt, ap);
    va_end(ap);
}

void diag_note(Diag *d, Loc loc, const char *fmt, ...)
{
    if (d->max_errors && d->errors > d->max_errors)
        return;
    va_list ap;
    va_start(ap, fmt);
    vreport(d, loc, "note", fmt, ap);
    va_end(ap);
}

int diag_errors(const Diag *d)
{
    return d->errors;
}

Loc loc_join(Loc a, Loc b)
{
    if (!a.file)
        return b;
    if (!b.file)
        return a;
    Loc r = a;
    if (b.start < r.start)
        r.start = b.start;
    if (b.end > r.end)
        r.end = b.end;
    return r;
}

static int edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    int prev[64], cur[64];
    for (int j = 0; j <= lb; j++)
        prev[j] = j;
    for (int i = 1; i <= la; i++) {
        cur[0] = i;
        for (int j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(int) * (size_t)(lb + 1));
    }
    return prev[lb];
}

const char *diag_suggest(const char *word, const char *const *cands)
{
    const char *best = NULL;
    int best_d = 1 << 30;
    for (int i = 0; cands[i]; i++) {
        int dist = edit_distance(word, cands[i]);
        if (dist < best_d) {
            best_d = dist;
            best = cands[i];
        }
    }
    int len = (int)strlen(word);
    int limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    return best && best_d <= limit ? best : NULL;
}

void netc_internal_error(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "netc: internal error at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_INTERNAL);
}
