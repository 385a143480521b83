/* toolchain.c: turns a compiled spec into a trainer program (generated C + a
 * two-line main + libnetrt), compiled with the system C compiler and cached by
 * the hash of everything that goes into it, then runs it. */
#include "netc.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Trainers are built for this machine: training runs where it is compiled. */
#define DEFAULT_CFLAGS "-O3 -march=native"

typedef struct {
    char lib[PATH_MAX];     /* libnetrt.a */
    char include[PATH_MAX]; /* directory holding netrt.h */
} Runtime;

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Finds libnetrt.a and netrt.h: $NETC_RUNTIME_DIR, else next to the netc binary
 * (the build tree: build/libnetrt.a, build/include), else ../lib and ../include. */
static bool find_runtime(Runtime *rt)
{
    char exe[PATH_MAX];
    const char *env = getenv("NETC_RUNTIME_DIR");
    const char *layouts[2][2] = {{"%s/libnetrt.a", "%s/include"},
                                 {"%s/../lib/libnetrt.a", "%s/../include"}};
    if (env && *env) {
        snprintf(exe, sizeof exe, "%s", env);
    } else {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
            return false;
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
    }
    for (int i = 0; i < 2; i++) {
        char h[PATH_MAX + 16];
        snprintf(rt->lib, sizeof rt->lib, layouts[i][0], exe);
        snprintf(rt->include, sizeof rt->include, layouts[i][1], exe);
        snprintf(h, sizeof h, "%s/netrt.h", rt->include);
        if (file_exists(rt->lib) && file_exists(h))
            return true;
    }
    return false;
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    return fnv(h, s, strlen(s) + 1);
}

static uint64_t fnv_file(uint64_t h, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return h;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        h = fnv(h, buf, n);
    fclose(f);
    return h;
}

/* The CPU's feature flags: trainers are built with -march=native, so a cache
 * shared between machines must not hand one CPU's binary to another. */
static uint64_t fnv_cpu(uint64_t h)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[4096];
    if (!f)
        return h;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "flags", 5) == 0 || strncmp(line, "model name", 10) == 0)
            h = fnv_str(h, line);
    fclose(f);
    return h;
}

/* $NETC_CACHE_DIR, else $XDG_CACHE_HOME/netc, else ~/.cache/netc. */
static void cache_root(char *out, size_t n)
{
    const char *e = getenv("NETC_CACHE_DIR"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    if (e && *e)
        snprintf(out, n, "%s", e);
    else if (x && *x)
        snprintf(out, n, "%s/netc", x);
    else if (h && *h)
        snprintf(out, n, "%s/.cache/netc", h);
    else
        snprintf(out, n, "/tmp/netc-cache-%ld", (long)getuid());
}

/* Splits a space-separated setting ($CC, $NETC_CFLAGS) into argv entries. */
static int split_words(char *s, char **out, int max)
{
    int n = 0;
    for (char *tok = strtok(s, " \t"); tok && n < max; tok = strtok(NULL, " \t"))
        out[n++] = tok;
    return n;
}

static int run_wait(char **argv)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "netc: error: cannot run '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

typedef struct {
    char dir[PATH_MAX];
    char cc[512], cflags[512];
} Build;

static int compile_trainer(const Build *b, const Runtime *rt, const char *name, const char *exe)
{
    char cc[512], cflags[512], src[3][PATH_MAX + 64], inc1[PATH_MAX + 4], inc2[PATH_MAX + 4],
        tmp[PATH_MAX + 64];
    char *argv[96];
    int n = 0;
    snprintf(cc, sizeof cc, "%s", b->cc);
    snprintf(cflags, sizeof cflags, "%s", b->cflags);
    snprintf(src[0], sizeof src[0], "%s/%s.c", b->dir, name);
    snprintf(src[1], sizeof src[1], "%s/%s_netrt.c", b->dir, name);
    snprintf(src[2], sizeof src[2], "%s/main.c", b->dir);
    snprintf(inc1, sizeof inc1, "-I%s", b->dir);
    snprintf(inc2, sizeof inc2, "-I%s", rt->include);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", exe, (long)getpid());
    n += split_words(cc, argv + n, 16);
    argv[n++] = "-std=c99";
    n += split_words(cflags, argv + n, 48);
    argv[n++] = inc1;
    argv[n++] = inc2;
    argv[n++] = "-o";
    argv[n++] = tmp;
    for (int i = 0; i < 3; i++)
        argv[n++] = src[i];
    argv[n++] = (char *)rt->lib;
    argv[n++] = "-lz";
    argv[n++] = "-lm";
    argv[n] = NULL;
    int rc = run_wait(argv);
    if (rc != 0 || rename(tmp, exe) != 0) {
        remove(tmp);
        fprintf(stderr, "netc: error: compiling the generated trainer failed (%s, in %s)\n"
                        "hint: set CC to a working C99 compiler, or NETC_CFLAGS to its flags\n",
                b->cc, b->dir);
        return -1;
    }
    return 0;
}

static int write_sources(const Build *b, const EmittedFiles *f, const char *main_text)
{
    const char *names[4] = {".h", ".c", "_netrt.c", NULL};
    const char *texts[4] = {f->header, f->source, f->netrt, main_text};
    char path[PATH_MAX + 64];
    for (int i = 0; i < 4; i++) {
        if (names[i])
            snprintf(path, sizeof path, "%s/%s%s", b->dir, f->base, names[i]);
        else
            snprintf(path, sizeof path, "%s/main.c", b->dir);
        if (write_file_atomic(path, texts[i]) != 0)
            return -1;
    }
    return 0;
}

int run_trainer(Compilation *c, const EmitOptions *eo, int threads, const char *sub, int argc,
                char **argv)
{
    Runtime rt;
    if (!find_runtime(&rt)) {
        fprintf(stderr, "netc: error: cannot find libnetrt.a and netrt.h next to netc\n"
                        "hint: run `make`, or set NETC_RUNTIME_DIR to the directory holding them\n");
        return EXIT_INTERNAL;
    }
    EmittedFiles f;
    emit_model(c->graph, eo, &f);
    char *main_text = arena_printf(&c->arena,
        "/* Generated by netc %s: the trainer program for %s. */\n"
        "#include \"netrt.h\"\n\nextern const NetrtModel %s_model;\n\n"
        "int main(int argc, char **argv)\n{\n    return netrt_main(&%s_model, argc, argv);\n}\n",
        NETC_VERSION, f.base, f.base, f.base);

    Build b;
    const char *cc = getenv("CC"), *cflags = getenv("NETC_CFLAGS");
    snprintf(b.cc, sizeof b.cc, "%s", cc && *cc ? cc : "cc");
    snprintf(b.cflags, sizeof b.cflags, "%s%s", cflags ? cflags : DEFAULT_CFLAGS,
             threads > 1 ? " -fopenmp" : "");
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv_str(fnv_str(fnv_str(fnv_str(h, f.header), f.source), f.netrt), main_text);
    h = fnv_str(fnv_str(h, b.cc), b.cflags);
    h = fnv_file(h, rt.lib);
    h = fnv_cpu(h);
    char root[PATH_MAX - 64], exe[PATH_MAX + 16];
    cache_root(root, sizeof root);
    snprintf(b.dir, sizeof b.dir, "%s/%s-%016llx", root, f.base, (unsigned long long)h);
    snprintf(exe, sizeof exe, "%s/trainer", b.dir);

    int rc = 0;
    if (!file_exists(exe)) {
        if (mkdir_p(b.dir) != 0) {
            fprintf(stderr, "netc: error: cannot create cache directory '%s': %s\n"
                            "hint: set NETC_CACHE_DIR to a writable directory\n",
                    b.dir, strerror(errno));
            rc = EXIT_INPUT_ERROR;
        } else if (write_sources(&b, &f, main_text) != 0 ||
                   compile_trainer(&b, &rt, f.base, exe) != 0) {
            if (threads > 1)
                fprintf(stderr, "hint: --threads builds with -fopenmp, which needs the "
                                "compiler's OpenMP runtime (gcc: libgomp; clang: libomp-dev)\n");
            rc = EXIT_INTERNAL;
        }
    }
    emitted_files_free(&f);
    if (rc)
        return rc;
    if (threads > 1) {          /* the trainer inherits it; the kernels split their rows */
        char n[16];
        snprintf(n, sizeof n, "%d", threads);
        setenv("OMP_NUM_THREADS", n, 1);
    }

    char **targv = arena_alloc(&c->arena, sizeof(char *) * (size_t)(argc + 3));
    targv[0] = exe;
    targv[1] = (char *)sub;
    for (int i = 0; i < argc; i++)
        targv[i + 2] = argv[i];
    fflush(NULL);
    rc = run_wait(targv);
    return rc < 0 ? EXIT_INTERNAL : rc;
}
