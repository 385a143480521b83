/* pipeline.c: one compilation, the stages in order: parse -> sema -> lower ->
 * shape -> autodiff (the emitter runs on demand), plus atomic file writes. */
#include "netc.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int compile_spec(Compilation *c, const char *path, bool force_double)
{
    memset(c, 0, sizeof *c);
    diag_init(&c->diag, stderr);
    c->file = src_load(&c->arena, path);
    if (!c->file)
        return EXIT_INPUT_ERROR;
    c->ast = parse_spec(&c->arena, &c->diag, c->file);
    if (diag_errors(&c->diag))
        return EXIT_INPUT_ERROR;
    c->spec = sema_check(&c->arena, &c->diag, c->ast);
    if (!c->spec || diag_errors(&c->diag))
        return EXIT_INPUT_ERROR;
    if (force_double)
        c->spec->precision = PREC_DOUBLE;
    c->graph = lower(&c->arena, c->spec);
    if (!shape_infer(&c->arena, &c->diag, c->graph))
        return EXIT_INPUT_ERROR;
    autodiff(&c->arena, c->graph);
    return 0;
}

void compilation_free(Compilation *c)
{
    arena_free_all(&c->arena);
}

int write_file_atomic(const char *path, const char *text)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return -1;
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "netc: error: cannot write '%s': %s\n", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}


int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    return mkdir(tmp, 0777) != 0 && errno != EEXIST ? -1 : 0;
}
