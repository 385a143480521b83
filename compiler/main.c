/* main.c: the netc driver. Reads a spec, runs the pipeline stages in order
 * (parse -> sema -> lower -> shape -> autodiff -> emit) and dispatches the
 * subcommands. Exit status: 0 success, 1 errors in the input, 2 usage errors,
 * 70 internal errors. */
#include "netc.h"
#include "export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- usage ---- */

static const char *const usage_text =
    "usage: netc COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  check SPEC                       parse and validate a spec\n"
    "  build SPEC [-o DIR] [--unroll-limit N] [--single-header]\n"
    "                                   emit NAME.h, NAME.c and NAME_netrt.c\n"
    "  train SPEC --data TRAIN [--test TEST] [--out W] [options]\n"
    "                                   compile, train and save weights (docs/training.md)\n"
    "  gradcheck SPEC [--seed N] [--samples N] [--all] [--data F]\n"
    "                                   compare gradients with finite differences\n"
    "  predict SPEC --weights W --data X.csv\n"
    "                                   outputs for every row, as CSV\n"
    "  eval SPEC --weights W --data X.csv\n"
    "                                   loss and accuracy (or mse, r2) on a data set\n"
    "  grad SPEC --weights W --data X.csv\n"
    "                                   loss, every gradient entry and output\n"
    "  inspect SPEC --json              the IR as JSON\n"
    "  dot SPEC [--svg FILE]            the network as a Graphviz graph\n"
    "  export SPEC --weights W [-o DIR] [--precision float|double|int8]\n"
    "                                   inference C with the weights baked in\n"
    "  summary SPEC                     layers, shapes, parameters, FLOPs, code size\n"
    "  fmt SPEC [-i | --check]          the spec in canonical layout\n"
    "  weights dump W [SPEC]            a weights file as text\n"
    "\n"
    "`netc COMMAND --help` describes one command; docs/ has the language reference.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "netc: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'netc --help')\n");
    return EXIT_USAGE;
}

static bool is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* ---- check and build ---- */

static int cmd_check(int argc, char **argv)
{
    const char *path = NULL;
    bool dump_ir = false, dump_ast = false;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            printf("usage: netc check SPEC [--dump-ast] [--dump-ir]\n"
                   "Parses and validates SPEC; prints every error, exits 1 if there are any.\n");
            return 0;
        } else if (strcmp(argv[i], "--dump-ir") == 0) {
            dump_ir = true;
        } else if (strcmp(argv[i], "--dump-ast") == 0) {
            dump_ast = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return usage_error("check: unknown option '%s'", argv[i]);
        } else if (path) {
            return usage_error("check: more than one spec given ('%s')", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return usage_error("check: no spec given%s", "");
    Compilation c;
    int rc = compile_spec(&c, path, false);
    if (dump_ast && c.ast)
        ast_dump(stdout, c.ast);
    if (rc == 0 && dump_ir && c.graph)
        ir_dump(stdout, c.graph);
    compilation_free(&c);
    return rc;
}

/* The integer value of option `flag`, lo to hi; a usage error otherwise. */
static int parse_int_option(const char *flag, const char *s, long lo, long hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end || v < lo || v > hi) {
        char fmt[96];   /* flag is a literal without '%' */
        snprintf(fmt, sizeof fmt, "%s expects an integer from %ld to %ld, got '%%s'", flag, lo, hi);
        return usage_error(fmt, s);
    }
    *out = (int)v;
    return 0;
}

static int parse_unroll(const char *s, int *out)
{
    return parse_int_option("--unroll-limit", s, 0, 1000000, out);
}

/* --threads N: the generated kernels split over up to 256 OpenMP threads. */
static int parse_threads(const char *s, int *out)
{
    return parse_int_option("--threads", s, 1, 256, out);
}

static char *join_path(const char *dir, const char *name, const char *ext)
{
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s", dir, name, ext);
    return p;
}

static int write_outputs(const char *dir, const EmittedFiles *f)
{
    if (mkdir_p(dir) != 0) {
        fprintf(stderr, "netc: error: cannot create directory '%s': %s\n", dir, strerror(errno));
        return EXIT_INPUT_ERROR;
    }
    const char *exts[3] = {".h", ".c", "_netrt.c"};
    const char *texts[3] = {f->header, f->source, f->netrt};
    for (int i = 0; i < 3 && texts[i]; i++) {
        char *p = join_path(dir, f->base, exts[i]);
        int rc = p ? write_file_atomic(p, texts[i]) : -1;
        free(p);
        if (rc != 0)
            return EXIT_INPUT_ERROR;
    }
    return 0;
}

static int cmd_build(int argc, char **argv)
{
    const char *path = NULL, *dir = ".";
    EmitOptions eo = {NULL, EMIT_DEFAULT_UNROLL_LIMIT};
    bool single = false;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            printf("usage: netc build SPEC [-o DIR] [--unroll-limit N] [--single-header]\n"
                   "Emits NAME.h and NAME.c (standalone; need only <math.h>) and NAME_netrt.c\n"
                   "(the descriptor libnetrt trains through) into DIR (default: .).\n"
                   "Dense layers with at most N multiply-adds (default %d) are fully unrolled.\n"
                   "--single-header: NAME.h alone, with NAME.c inside in the stb style (compiled\n"
                   "where NAME_IMPLEMENTATION is defined); no NAME_netrt.c.\n",
                   EMIT_DEFAULT_UNROLL_LIMIT);
            return 0;
        } else if (strcmp(argv[i], "--single-header") == 0) {
            single = true;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--unroll-limit") == 0 && i + 1 < argc) {
            if (parse_unroll(argv[++i], &eo.unroll_limit))
                return EXIT_USAGE;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return usage_error("build: unknown or incomplete option '%s'", argv[i]);
        } else if (path) {
            return usage_error("build: more than one spec given ('%s')", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return usage_error("build: no spec given%s", "");
    Compilation c;
    int rc = compile_spec(&c, path, false);
    if (rc == 0) {
        EmittedFiles f;
        eo.spec_path = path;
        if (c.scalar)
            scalar_emit(c.scalar, &eo, &f);
        else
            emit_model(c.graph, &eo, &f);
        if (single) {
            char *one = emit_single_header(f.base, f.header, f.source);
            free(f.header);
            free(f.source);
            free(f.netrt);
            f.header = one;
            f.source = f.netrt = NULL;
        }
        rc = write_outputs(dir, &f);
        emitted_files_free(&f);
    }
    compilation_free(&c);
    return rc;
}

/* ---- commands that run the trainer program ---- */

static const char *trainer_help(const char *sub)
{
    if (strcmp(sub, "train") == 0)
        return "usage: netc train SPEC --data TRAIN [--test TEST] [--out WEIGHTS] [options]\n"
               "Compiles SPEC (cached by content), trains it and saves the weights to WEIGHTS\n"
               "(default: NAME.weights). Defaults come from the spec's train block.\n"
               "data:      --data F (CSV, or IDX images with --labels F) --test F --valid F\n"
               "           --split X --validation X --target NAME|INDEX --scale none|standard|minmax\n"
               "optimizer: --optimizer sgd|nesterov|adagrad|rmsprop|adadelta|adam|adamw|lbfgs\n"
               "           --lr X --momentum X --nesterov --beta1 X --beta2 X --eps X --rho X\n"
               "           --weight-decay X --history N --clip X\n"
               "schedule:  --schedule constant|step|invscaling|cosine --lr-step N --lr-gamma X\n"
               "           --power X --lr-min X\n"
               "run:       --epochs N --batch N --seed N --patience N --init W --quiet\n"
               "           --progress|--no-progress --log F.csv --plot F.svg\n"
               "           --checkpoint F --checkpoint-every N --resume F --unroll-limit N\n"
               "           --threads N (the large layers on N threads, same results)\n"
               "Ends with `train: loss L accuracy A%` (or `mse M r2 R`) and, with a test set,\n"
               "`test: ...`. Every flag is described in docs/training.md.\n";
    if (strcmp(sub, "gradcheck") == 0)
        return "usage: netc gradcheck SPEC [--seed N] [--samples N] [--entries N] [--all]\n"
               "                      [--tolerance X] [--data F]\n"
               "Builds SPEC in double precision and compares its gradient with central finite\n"
               "differences, per parameter tensor. Exit 1 if any entry away from a kink exceeds\n"
               "the tolerance (default 1e-6). See docs/gradcheck.md.\n";
    if (strcmp(sub, "predict") == 0)
        return "usage: netc predict SPEC --weights W --data X.csv\n"
               "Prints the network's outputs for every row of X.csv as CSV.\n";
    if (strcmp(sub, "eval") == 0)
        return "usage: netc eval SPEC --weights W --data X.csv\n"
               "Prints loss and accuracy (classification) or mse and r2 (regression).\n";
    return "usage: netc grad SPEC --weights W --data X.csv [--dropout-seed N]\n"
           "Prints the loss on the whole file as one batch, every gradient entry and every\n"
           "output, at full precision (for cross-checks with other tools).\n";
}

static bool has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return true;
    return false;
}

/* netc SUB SPEC [args]: compiles SPEC, then runs `trainer SUB args`. netc's own
 * options (--unroll-limit, --threads) are taken out; the trainer checks the rest. */
static int cmd_trainer(const char *sub, int argc, char **argv)
{
    const char *path = NULL;
    EmitOptions eo = {NULL, EMIT_DEFAULT_UNROLL_LIMIT};
    int threads = 1;
    char **rest = malloc(sizeof(char *) * (size_t)(argc + 3));
    int nrest = 0;
    if (!rest)
        return EXIT_INTERNAL;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(trainer_help(sub), stdout);
            free(rest);
            return 0;
        } else if (strcmp(argv[i], "--unroll-limit") == 0 && i + 1 < argc) {
            if (parse_unroll(argv[++i], &eo.unroll_limit)) {
                free(rest);
                return EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            if (parse_threads(argv[++i], &threads)) {
                free(rest);
                return EXIT_USAGE;
            }
        } else if (!path && argv[i][0] != '-') {
            path = argv[i];
        } else {
            rest[nrest++] = argv[i];
        }
    }
    if (!path) {
        free(rest);
        return usage_error("%s: no spec given", sub);
    }
    Compilation c;
    int rc = compile_spec(&c, path, strcmp(sub, "gradcheck") == 0);
    char *out = NULL;
    if (rc == 0 && !c.scalar && strcmp(sub, "train") == 0 && !has_flag(nrest, rest, "--out")) {
        out = malloc(strlen(c.spec->name) + 16);
        if (out) {
            sprintf(out, "%s.weights", c.spec->name);
            rest[nrest++] = "--out";
            rest[nrest++] = out;
        }
    }
    if (rc == 0 && c.scalar) {
        rc = run_scalar(&c, sub, nrest, rest);
    } else if (rc == 0) {
        eo.spec_path = path;
        rc = run_trainer(&c, &eo, threads, sub, nrest, rest);
    }
    free(out);
    free(rest);
    compilation_free(&c);
    return rc;
}

/* netc dot SPEC [--svg FILE]: DOT on stdout, or an SVG through Graphviz's dot. */
static int cmd_dot(int argc, char **argv)
{
    const char *path = NULL, *svg = NULL;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            printf("usage: netc dot SPEC [--svg FILE]\n"
                   "Prints the network (or scalar graph) as a Graphviz DOT digraph; with --svg,\n"
                   "renders it to FILE with Graphviz's `dot` (apt-get install graphviz).\n");
            return 0;
        } else if (strcmp(argv[i], "--svg") == 0 && i + 1 < argc) {
            svg = argv[++i];
        } else if (argv[i][0] == '-' || path) {
            return usage_error("dot: unexpected argument '%s'", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return usage_error("dot: no spec given%s", "");
    Compilation c;
    int rc = compile_spec(&c, path, false);
    if (rc == 0 && !svg) {
        dot_write(stdout, &c);
    } else if (rc == 0) {
        char *cmd = malloc(strlen(svg) * 4 + 64), *q;
        if (!cmd) {
            compilation_free(&c);
            return EXIT_INTERNAL;
        }
        /* single-quote the path for the shell */
        q = cmd + sprintf(cmd, "dot -Tsvg -o '");
        for (const char *p = svg; *p; p++)
            q += *p == '\'' ? sprintf(q, "'\\''") : sprintf(q, "%c", *p);
        sprintf(q, "'");
        FILE *pipe = popen(cmd, "w");
        if (pipe)
            dot_write(pipe, &c);
        int st = pipe ? pclose(pipe) : -1;
        if (st != 0) {
            fprintf(stderr, "netc: error: Graphviz's dot could not write '%s'\n"
                            "hint: apt-get install graphviz, or use `netc dot SPEC > FILE.dot`\n",
                    svg);
            rc = EXIT_INPUT_ERROR;
        }
        free(cmd);
    }
    compilation_free(&c);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (is_help(cmd) || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("netc %s\n", NETC_VERSION);
        return 0;
    }
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 2, argv + 2);
    if (strcmp(cmd, "build") == 0)
        return cmd_build(argc - 2, argv + 2);
    if (strcmp(cmd, "inspect") == 0 || strcmp(cmd, "weights") == 0) {
        if (strcmp(cmd, "weights") == 0)
            return weights_dump(argc - 2, argv + 2);
        const char *path = NULL;
        for (int i = 2; i < argc; i++) {
            if (is_help(argv[i])) {
                printf("usage: netc inspect SPEC --json\nPrints the IR as JSON: layers, sizes, "
                       "activations, loss, parameter layout with offsets.\n");
                return 0;
            } else if (strcmp(argv[i], "--json") != 0) {
                if (path || argv[i][0] == '-')
                    return usage_error("inspect: unexpected argument '%s'", argv[i]);
                path = argv[i];
            }
        }
        if (!path)
            return usage_error("inspect: no spec given%s", "");
        Compilation c;
        int rc = compile_spec(&c, path, false);
        if (rc == 0 && c.scalar) {
            scalar_json(stdout, c.scalar);
        } else if (rc == 0) {
            inspect_json(stdout, &c);
        }
        compilation_free(&c);
        return rc;
    }
    if (strcmp(cmd, "dot") == 0)
        return cmd_dot(argc - 2, argv + 2);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc - 2, argv + 2);
    if (strcmp(cmd, "fmt") == 0)
        return cmd_fmt(argc - 2, argv + 2);
    if (strcmp(cmd, "summary") == 0)
        return cmd_summary(argc - 2, argv + 2);
    const char *subs[] = {"train", "gradcheck", "predict", "eval", "grad", NULL};
    for (int i = 0; subs[i]; i++)
        if (strcmp(cmd, subs[i]) == 0)
            return cmd_trainer(cmd, argc - 2, argv + 2);
    const char *cmds[] = {"check", "build", "train", "gradcheck", "predict", "eval",
                          "grad", "inspect", "weights", "dot", "export", "fmt", "summary",
                          NULL};
    const char *s = diag_suggest(cmd, cmds);
    fprintf(stderr, "netc: unknown command '%s'", cmd);
    if (s)
        fprintf(stderr, "; did you mean '%s'?", s);
    fprintf(stderr, "\n(see 'netc --help')\n");
    return EXIT_USAGE;
}
