/* pipeline.c: one compilation, the stages in order: parse -> sema -> lower ->
 * shape -> autodiff (the emitter runs on demand), plus atomic file writes. */
#include "netc.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The stages after loading: c->file and c->diag are set. */
static int compile_loaded(Compilation *c, bool force_double)
{
    if (c->file->len > SRC_MAX_BYTES) {
        fprintf(c->diag.out, "%s: error: the spec is larger than %d bytes (1 MiB), the limit "
                "for a spec file\n", c->file->name, SRC_MAX_BYTES);
        return EXIT_INPUT_ERROR;
    }
    if (c->file->len >= 5 && memcmp(c->file->text, "FANN_", 5) == 0) {
        /* FANN's saved networks share the .net extension */
        fprintf(c->diag.out, "%s:1:1: error: this is a FANN saved network (it starts with "
                "'FANN_'), not a netc spec\nhint: a netc spec starts with statements such as "
                "'network NAME' and 'input x[N]'; see docs/language.md\n", c->file->name);
        return EXIT_INPUT_ERROR;
    }
    c->ast = parse_spec(&c->arena, &c->diag, c->file);
    if (diag_errors(&c->diag))
        return EXIT_INPUT_ERROR;
    c->spec = sema_check(&c->arena, &c->diag, c->ast);
    if (!c->spec || diag_errors(&c->diag))
        return EXIT_INPUT_ERROR;
    if (force_double)
        c->spec->precision = PREC_DOUBLE;
    if (c->spec->output) {
        c->scalar = scalar_lower(&c->arena, &c->diag, c->spec);
        return diag_errors(&c->diag) ? EXIT_INPUT_ERROR : 0;
    }
    c->graph = lower(&c->arena, &c->diag, c->spec);
    if (diag_errors(&c->diag) || !shape_infer(&c->arena, &c->diag, c->graph))
        return EXIT_INPUT_ERROR;
    autodiff(&c->arena, c->graph);
    return 0;
}

int compile_spec(Compilation *c, const char *path, bool force_double)
{
    memset(c, 0, sizeof *c);
    diag_init(&c->diag, stderr);
    c->file = src_load(&c->arena, path);
    if (!c->file)
        return EXIT_INPUT_ERROR;
    return compile_loaded(c, force_double);
}

int compile_bytes(Compilation *c, const char *name, const char *bytes, size_t len,
                  FILE *diag_out, bool force_double)
{
    memset(c, 0, sizeof *c);
    diag_init(&c->diag, diag_out);
    c->file = src_from_bytes(&c->arena, name, bytes, len);
    if (!c->file)
        return EXIT_INPUT_ERROR;
    return compile_loaded(c, force_double);
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

int run_scalar(Compilation *c, const char *sub, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            if (!scalar_set(c->scalar, argv[++i]))
                return EXIT_USAGE;
        } else if (strncmp(argv[i], "--set=", 6) == 0) {
            if (!scalar_set(c->scalar, argv[i] + 6))
                return EXIT_USAGE;
        } else {
            fprintf(stderr, "netc: %s: a scalar graph takes only --set NAME=VALUE, found '%s'\n",
                    sub, argv[i]);
            return EXIT_USAGE;
        }
    }
    if (strcmp(sub, "grad") == 0) {
        scalar_report(stdout, c->scalar);
        return 0;
    }
    if (strcmp(sub, "gradcheck") == 0)
        return scalar_gradcheck(stdout, c->scalar, 1e-6);
    fprintf(stderr, "netc: %s: '%s' is a scalar graph, with no data to %s; use 'netc grad'\n",
            sub, c->file->name, sub);
    return EXIT_INPUT_ERROR;
}
