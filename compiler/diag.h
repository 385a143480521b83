/* diag.h: source files, byte-offset locations, and gcc-style diagnostics
 * (`file:line:col: error: message`, the source line, a caret underline). */
#ifndef NETC_DIAG_H
#define NETC_DIAG_H

#include <stdbool.h>
#include <stdio.h>

#include "arena.h"

#if defined(__GNUC__)
#define NETC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define NETC_NORETURN __attribute__((noreturn))
#else
#define NETC_PRINTF(f, a)
#define NETC_NORETURN
#endif

typedef struct {
    const char *name;   /* path as given on the command line */
    const char *text;   /* whole file, NUL-terminated */
    int len;
    int *line_starts;   /* byte offset of each line's first byte */
    int nlines;
} SrcFile;

/* A span of source text in byte offsets [start, end). */
typedef struct {
    const SrcFile *file;
    int start, end;
} Loc;

typedef struct {
    FILE *out;          /* where diagnostics go (stderr) */
    int errors, warnings;
    int max_errors;     /* stop printing after this many errors (0: no limit) */
    bool color;
} Diag;

/* The largest spec file netc reads (1 MiB); src_load and src_from_bytes keep at
 * most one byte more, so a caller sees `len > SRC_MAX_BYTES` and reports it. */
enum { SRC_MAX_BYTES = 1 << 20 };

/* Loads a whole file into the arena; returns NULL (and prints why) if it cannot be read. */
SrcFile *src_load(Arena *a, const char *path);
/* Wraps in-memory bytes (they may hold NUL bytes; the copy is NUL-terminated). */
SrcFile *src_from_bytes(Arena *a, const char *name, const char *bytes, size_t len);
/* Wraps in-memory text (for tests and stdin). */
SrcFile *src_from_string(Arena *a, const char *name, const char *text);
/* 1-based line and column (bytes) of a byte offset. */
void src_line_col(const SrcFile *f, int offset, int *line, int *col);

void diag_init(Diag *d, FILE *out);
void diag_error(Diag *d, Loc loc, const char *fmt, ...) NETC_PRINTF(3, 4);
void diag_warning(Diag *d, Loc loc, const char *fmt, ...) NETC_PRINTF(3, 4);
void diag_note(Diag *d, Loc loc, const char *fmt, ...) NETC_PRINTF(3, 4);
int diag_errors(const Diag *d);

/* Closest candidate to word by edit distance, or NULL when none is close enough
 * to be a plausible typo. cands is a NULL-terminated list. */
const char *diag_suggest(const char *word, const char *const *cands);

/* Joins two locations into the span covering both. */
Loc loc_join(Loc a, Loc b);

NETC_NORETURN void netc_internal_error(const char *file, int line, const char *fmt, ...)
    NETC_PRINTF(3, 4);
#define internal_error(...) netc_internal_error(__FILE__, __LINE__, __VA_ARGS__)

/* Exit statuses shared by every netc command. */
enum { EXIT_INPUT_ERROR = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 70 };

#endif
