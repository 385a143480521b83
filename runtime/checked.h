/* checked.h: the runtime's internal checked wrappers (not part of the public API).
 * On failure they print the caller's file:line, the path involved and, when a
 * likely fix is known, a `hint:` line; they return NULL/-1 so the caller can
 * unwind, since a library should not exit on its user's behalf. */
#ifndef NETRT_CHECKED_H
#define NETRT_CHECKED_H

#include <stddef.h>
#include <stdio.h>

#if defined(__GNUC__) || defined(__clang__)
#define NETRT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NETRT_PRINTF(f, a)
#endif

void *netrt_check_malloc(size_t count, size_t size, const char *file, int line);
void *netrt_check_calloc(size_t count, size_t size, const char *file, int line);
FILE *netrt_check_fopen(const char *path, const char *mode, const char *file, int line);

/* count * size bytes, or NULL after a message naming the caller. */
#define NETRT_MALLOC(count, size) netrt_check_malloc((count), (size), __FILE__, __LINE__)
#define NETRT_CALLOC(count, size) netrt_check_calloc((count), (size), __FILE__, __LINE__)
#define NETRT_FOPEN(path, mode) netrt_check_fopen((path), (mode), __FILE__, __LINE__)

/* Prints `path: error: ...` (path may be NULL) to stderr. */
void netrt_error(const char *path, const char *fmt, ...) NETRT_PRINTF(2, 3);
/* Prints `hint: ...` to stderr. */
void netrt_hint(const char *fmt, ...) NETRT_PRINTF(1, 2);

/* Reads a whole file into a malloc'd, NUL-terminated buffer; *len gets its size. */
char *netrt_read_file(const char *path, size_t *len, const char *file, int line);
#define NETRT_READ_FILE(path, len) netrt_read_file((path), (len), __FILE__, __LINE__)

#endif
