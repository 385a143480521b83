/* checked.c: checked allocation and file opening for the runtime; every failure
 * names the runtime source line that asked, the path, and a hint when one helps. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"

/* Strips the directory so messages say `data.c:42`, not a build path. */
static const char *base_name(const char *file)
{
    const char *slash = strrchr(file, '/');
    return slash ? slash + 1 : file;
}

void netrt_error(const char *path, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);     /* keep stdout and stderr in order on a shared terminal */
    if (path)
        fprintf(stderr, "%s: ", path);
    fputs("error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void netrt_hint(const char *fmt, ...)
{
    va_list ap;
    fputs("hint: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void *alloc_failed(size_t count, size_t size, const char *file, int line)
{
    netrt_error(NULL, "out of memory allocating %zu x %zu bytes (at %s:%d)",
                count, size, base_name(file), line);
    netrt_hint("use a smaller --batch or a smaller data set");
    return NULL;
}

/* Every block starts on a cache line: the generated vector kernels load whole
 * 64-byte lines from parameters, gradients and workspaces, and a misaligned
 * base splits each load in two (mnist inference took twice as long). The
 * blocks are still released with free(). */
enum { NETRT_ALIGNMENT = 64 };

void *netrt_check_malloc(size_t count, size_t size, const char *file, int line)
{
    size_t bytes;
    void *p = NULL;
    if (size != 0 && count > SIZE_MAX / size)
        return alloc_failed(count, size, file, line);
    bytes = count * size;
    if (posix_memalign(&p, NETRT_ALIGNMENT, bytes > 0 ? bytes : 1) != 0)
        p = NULL;
    return p ? p : alloc_failed(count, size, file, line);
}

void *netrt_check_calloc(size_t count, size_t size, const char *file, int line)
{
    void *p = netrt_check_malloc(count, size, file, line);
    if (p)
        memset(p, 0, count * size);
    return p;
}

/* A hint for the errno values users actually run into. */
static void open_hint(int err, const char *mode)
{
    int writing = mode[0] == 'w' || mode[0] == 'a';
    if (err == ENOENT && !writing)
        netrt_hint("check the path; it is relative to the current directory");
    else if (err == ENOENT)
        netrt_hint("the directory does not exist; create it first");
    else if (err == EACCES || err == EPERM || err == EROFS)
        netrt_hint("check the permissions of the file and its directory");
    else if (err == EISDIR)
        netrt_hint("the path names a directory; give a file name");
}

FILE *netrt_check_fopen(const char *path, const char *mode, const char *file, int line)
{
    FILE *f = fopen(path, mode);
    if (!f) {
        int err = errno;
        netrt_error(path, "cannot open for %s: %s (at %s:%d)",
                    mode[0] == 'r' ? "reading" : "writing", strerror(err),
                    base_name(file), line);
        open_hint(err, mode);
    }
    return f;
}

char *netrt_read_file(const char *path, size_t *len, const char *file, int line)
{
    FILE *f = netrt_check_fopen(path, "rb", file, line);
    size_t cap = 1 << 16, n = 0;
    char *buf;
    if (!f)
        return NULL;
    buf = netrt_check_malloc(cap, 1, file, line);
    while (buf) {
        n += fread(buf + n, 1, cap - 1 - n, f);
        if (n < cap - 1)
            break;
        char *grown = realloc(buf, cap * 2);
        if (!grown) {
            free(buf);
            buf = alloc_failed(cap, 2, file, line);
            break;
        }
        buf = grown;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        netrt_error(path, "read failed: %s (at %s:%d)", strerror(errno), base_name(file), line);
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}
