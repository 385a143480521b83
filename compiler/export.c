/* export.c: `netc export SPEC --weights W`: an inference-only build with the
 * trained weights baked in (NAME_infer.h, NAME_infer.c, NAME_weights.c), in
 * float, double or int8; with --test, the exported model's accuracy beside the
 * float model's. See docs/export.md. */
#include "netc.h"
#include "export.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const export_help =
    "usage: netc export SPEC --weights W [-o DIR] [--precision float|double|int8]\n"
    "                   [--calibrate DATA] [--test DATA] [--target COLS] [--unroll-limit N]\n"
    "Writes NAME_infer.h and NAME_infer.c (the forward pass: no allocation, no runtime\n"
    "library, no mutable globals) and NAME_weights.c (the weights, data only) into DIR\n"
    "(default: .). The input scaling saved with the weights is applied in NAME_predict.\n"
    "--precision defaults to the spec's; int8 quantizes every dense layer (weights per\n"
    "output row, inputs calibrated on the rows of --calibrate, int32 sums).\n"
    "--test reports the exported model's accuracy (or mse) beside the float model's.\n"
    "DATA is CSV or IDX, as for netc train; --target names the CSV target column(s).\n";

typedef struct {
    const char *spec, *weights, *dir, *prec, *calibrate, *test, *target;
    EmitOptions eo;
} ExportArgs;

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "netc: export: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'netc export --help')\n");
    return EXIT_USAGE;
}

static int parse_args(ExportArgs *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->dir = ".";
    a->eo.unroll_limit = EMIT_DEFAULT_UNROLL_LIMIT;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = strcmp(s, "--weights") == 0     ? &a->weights
                            : strcmp(s, "-o") == 0           ? &a->dir
                            : strcmp(s, "--precision") == 0  ? &a->prec
                            : strcmp(s, "--calibrate") == 0  ? &a->calibrate
                            : strcmp(s, "--test") == 0       ? &a->test
                            : strcmp(s, "--target") == 0     ? &a->target
                            : NULL;
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            fputs(export_help, stdout);
            return -1;
        } else if (slot && v) {
            *slot = v;
            i++;
        } else if (strcmp(s, "--unroll-limit") == 0 && v) {
            char *end;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 0 || n > 1000000)
                return usage("--unroll-limit expects an integer from 0 to 1000000, got '%s'", v);
            a->eo.unroll_limit = (int)n;
            i++;
        } else if (s[0] == '-' && s[1]) {
            return usage("unknown or incomplete option '%s'", s);
        } else if (a->spec) {
            return usage("more than one spec given ('%s')", s);
        } else {
            a->spec = s;
        }
    }
    if (!a->spec)
        return usage("no spec given%s", "");
    if (!a->weights)
        return usage("no weights given: --weights W (from netc train)%s", "");
    if (a->prec && strcmp(a->prec, "float") && strcmp(a->prec, "double") && strcmp(a->prec, "int8"))
        return usage("--precision expects float, double or int8, got '%s'", a->prec);
    if (a->prec && strcmp(a->prec, "int8") == 0 && !a->calibrate)
        return usage("--precision int8 needs --calibrate DATA (rows to measure each layer's "
                     "input range on)%s", "");
    a->eo.spec_path = a->spec;
    return 0;
}

/* The little of a runtime descriptor the data loader needs. */
static void describe(NetrtModel *d, const IrGraph *g)
{
    const NetSpec *s = g->spec;
    memset(d, 0, sizeof *d);
    d->name = s->name;
    d->spec_path = s->file ? s->file->name : "?";
    d->real_size = 4;
    d->input_size = (size_t)g->input->size;
    d->output_size = (size_t)g->output->size;
    d->target = NETRT_TARGET_REAL;
    if (!s->loss_formula && s->loss == LOSS_CROSS_ENTROPY)
        d->target = NETRT_TARGET_ONEHOT;
    else if (!s->loss_formula && s->loss == LOSS_BCE)
        d->target = NETRT_TARGET_BINARY;
    else if (!s->loss_formula && s->loss == LOSS_HINGE)
        d->target = NETRT_TARGET_SIGNED;
    d->classification = !(s->loss_formula || s->loss == LOSS_MSE || s->loss == LOSS_MAE);
    d->layout_hash = ir_layout_hash(g);
}

static int check_weights(const NetrtWeightsFile *wf, const IrGraph *g, const char *path)
{
    if (wf->layout_hash != ir_layout_hash(g) || wf->num_params != g->num_params) {
        fprintf(stderr, "netc: error: '%s' was trained for a different network layout "
                        "('%s', %llu parameters) than spec '%s' (%zu parameters)\n",
                path, wf->name, (unsigned long long)wf->num_params, g->spec->name,
                g->num_params);
        return -1;
    }
    if (wf->scale.kind != NETRT_SCALE_NONE && wf->scale.n != g->input->size) {
        fprintf(stderr, "netc: error: '%s' scales %d inputs, but '%s' has %d\n", path,
                wf->scale.n, g->spec->name, g->input->size);
        return -1;
    }
    return 0;
}

static int write_all(const char *dir, const char *base, const ExportFiles *f)
{
    if (mkdir_p(dir) != 0) {
        fprintf(stderr, "netc: error: cannot create directory '%s': %s\n", dir, strerror(errno));
        return -1;
    }
    const char *exts[3] = {"_infer.h", "_infer.c", "_weights.c"};
    const char *texts[3] = {f->header, f->source, f->weights};
    printf("export: wrote");
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(dir) + strlen(base) + 16;
        char *p = malloc(n);
        if (!p)
            return -1;
        snprintf(p, n, "%s/%s%s", dir, base, exts[i]);
        int rc = write_file_atomic(p, texts[i]);
        printf(" %s", p);
        free(p);
        if (rc != 0)
            return -1;
    }
    printf("\n");
    return 0;
}

static const char *metric(char buf[64], const NetrtModel *d, const ExportMetrics *m)
{
    if (d->classification)
        snprintf(buf, 64, "accuracy %.2f%%", 100.0 * m->accuracy);
    else
        snprintf(buf, 64, "mse %.6g", m->mse);
    return buf;
}

/* The float (or double) model beside the exported one on a labelled set. */
static int report_test(const ExportArgs *a, ExportModel *m, const NetrtModel *d)
{
    NetrtDataset ds;
    NetrtDataSource src = {a->target, NULL};
    if (netrt_dataset_load(&ds, d, a->test, &src, 0) != 0)
        return -1;
    ExportMetrics ref, q;
    QuantLayer **quant = m->quant;
    ExportPrecision prec = m->prec;
    m->quant = NULL;
    m->prec = prec == XP_INT8 ? XP_FLOAT : prec;
    export_evaluate(m, d, &ds, &ref);
    m->quant = quant;
    m->prec = prec;
    char b1[64], b2[64];
    if (prec == XP_INT8) {
        export_evaluate(m, d, &ds, &q);
        printf("test: float %s, int8 %s (%d rows of %s)\n", metric(b1, d, &ref),
               metric(b2, d, &q), ds.rows, a->test);
    } else {
        printf("test: %s %s (%d rows of %s)\n", prec == XP_DOUBLE ? "double" : "float",
               metric(b1, d, &ref), ds.rows, a->test);
    }
    netrt_dataset_free(&ds);
    return 0;
}

static int quantize(const ExportArgs *a, ExportModel *m, const NetrtModel *d, Arena *arena)
{
    NetrtDataset ds;
    NetrtDataSource src = {a->target, NULL};
    if (netrt_dataset_load(&ds, d, a->calibrate, &src, NETRT_LOAD_TARGETS_OPTIONAL) != 0)
        return -1;
    int rc = quant_build(m, &ds, arena);
    if (rc == 0) {
        int layers = 0;
        for (int i = 0; i < m->g->nfwd; i++)
            layers += m->quant[i] != NULL;
        printf("int8: %d dense layer%s quantized (weights per output row, inputs calibrated on "
               "%d rows of %s)\n", layers, layers == 1 ? "" : "s", ds.rows, a->calibrate);
    }
    netrt_dataset_free(&ds);
    return rc;
}

static int export_model(const ExportArgs *a, Compilation *c)
{
    const IrGraph *g = c->graph;
    NetrtWeightsFile wf;
    if (netrt_weights_read(&wf, a->weights) != 0)
        return EXIT_INPUT_ERROR;
    int rc = check_weights(&wf, g, a->weights) ? EXIT_INPUT_ERROR : 0;
    NetrtModel d;
    describe(&d, g);
    ExportModel m = {g, g->spec->precision == PREC_DOUBLE ? XP_DOUBLE : XP_FLOAT, wf.values,
                     &wf.scale, NULL};
    if (a->prec)
        m.prec = strcmp(a->prec, "int8") == 0     ? XP_INT8
                 : strcmp(a->prec, "double") == 0 ? XP_DOUBLE
                                                  : XP_FLOAT;
    if (rc == 0 && m.prec == XP_INT8 && quantize(a, &m, &d, &c->arena) != 0)
        rc = EXIT_INPUT_ERROR;
    if (rc == 0) {
        ExportFiles f;
        emit_infer(&m, &a->eo, a->weights, &f);
        if (write_all(a->dir, g->spec->name, &f) != 0)
            rc = EXIT_INPUT_ERROR;
        else
            printf("size: stack %zu bytes (predict's arrays), data %zu bytes, libm: %s\n",
                   f.stack_bytes, f.data_bytes, *f.libm ? f.libm : "none");
        export_files_free(&f);
    }
    if (rc == 0 && a->test && report_test(a, &m, &d) != 0)
        rc = EXIT_INPUT_ERROR;
    netrt_weights_file_free(&wf);
    return rc;
}

int cmd_export(int argc, char **argv)
{
    ExportArgs a;
    int rc = parse_args(&a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    Compilation c;
    rc = compile_spec(&c, a.spec, false);
    if (rc == 0 && c.scalar) {
        fprintf(stderr, "netc: error: '%s' is a scalar graph, which has no weights to export\n"
                        "hint: netc build emits its C\n", a.spec);
        rc = EXIT_INPUT_ERROR;
    }
    if (rc == 0)
        rc = export_model(&a, &c);
    compilation_free(&c);
    return rc;
}
