/* testutil.h: helpers for runtime unit tests: a scratch directory, writing small
 * files into it, and capturing what the runtime prints to stdout or stderr. */
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

/* Output capture: everything written to fd 1 or 2 between begin and end. */
static int capture_saved_fd[3] = { -1, -1, -1 };
static FILE *capture_file[3];
static char captured[3][16384];

static inline void capture_fd_begin(int fd)
{
    fflush(stdout);
    fflush(stderr);
    capture_file[fd] = tmpfile();
    capture_saved_fd[fd] = dup(fd);
    dup2(fileno(capture_file[fd]), fd);
}

static inline const char *capture_fd_end(int fd)
{
    size_t n;
    fflush(stdout);
    fflush(stderr);
    dup2(capture_saved_fd[fd], fd);
    close(capture_saved_fd[fd]);
    rewind(capture_file[fd]);
    n = fread(captured[fd], 1, sizeof captured[fd] - 1, capture_file[fd]);
    captured[fd][n] = '\0';
    fclose(capture_file[fd]);
    return captured[fd];
}

static inline void capture_begin(void)
{
    capture_fd_begin(2);
}

static inline const char *capture_end(void)
{
    return capture_fd_end(2);
}

#endif
