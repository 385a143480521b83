/* testutil.h: helpers for runtime unit tests: a scratch directory, writing small
 * files into it, and capturing what the runtime prints to stderr. */
#ifndef TEST_TESTUTIL_H
#define TEST_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char test_dir[64];

/* Creates a fresh scratch directory under /tmp; returns its path. */
static inline const char *tmpdir_create(void)
{
    snprintf(test_dir, sizeof test_dir, "/tmp/netrt_test_XXXXXX");
    if (!mkdtemp(test_dir)) {
        perror("mkdtemp");
        exit(1);
    }
    return test_dir;
}

static inline void tmpdir_remove(void)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "chmod -R u+w %s; rm -rf %s", test_dir, test_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", test_dir);
}

/* Path of name inside the scratch directory (a static buffer per call site slot). */
static inline const char *tmp_path(const char *name)
{
    static char bufs[8][256];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 256, "%s/%s", test_dir, name);
    return b;
}

static inline const char *write_tmp(const char *name, const char *text)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, strlen(text), f) != strlen(text) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    return path;
}

/* stderr capture: everything written to fd 2 between begin and end. */
static int capture_saved_fd = -1;
static FILE *capture_file;
static char captured[8192];

static inline void capture_begin(void)
{
    fflush(stderr);
    capture_file = tmpfile();
    capture_saved_fd = dup(2);
    dup2(fileno(capture_file), 2);
}

static inline const char *capture_end(void)
{
    size_t n;
    fflush(stderr);
    dup2(capture_saved_fd, 2);
    close(capture_saved_fd);
    rewind(capture_file);
    n = fread(captured, 1, sizeof captured - 1, capture_file);
    captured[n] = '\0';
    fclose(capture_file);
    return captured;
}

#endif
