/* emit_infer.c: the inference-only emitter behind `netc export`. It reuses the
 * training emitter's forward kernels (emit_kernel, emit_kernel_call) and only
 * decides where values live: the caller's in/out arrays, or one stack array
 * `work` shared by values whose lifetimes do not overlap. Parameters come from
 * a const table defined in NAME_weights.c (data only), so a retrain changes
 * data, not code. Int8 dense layers get their own kernel (integer sums). */
#include "export.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { ST_IN, ST_OUT, ST_WORK };

typedef struct {
    int kind;
    size_t off;         /* ST_WORK: offset in work, in reals */
    int size;
    int def, last;      /* the step that writes it (-1: the scaling loop), the last that reads it */
} Slot;

typedef struct {
    const ExportModel *m;
    int *slot_of;       /* per value id, -1 if not stored */
    Slot *slots;
    int nslots;
    size_t work;        /* reals */
    int qmax;           /* bytes of int8 scratch: the widest quantized input */
    const IrInstr **run;    /* the forward instructions predict calls, in order */
    int nrun;
} Layout;

static bool quantized(const Layout *l, int step)
{
    const IrInstr *ins = l->run[step];
    return l->m->prec == XP_INT8 && ins->op == IR_LINEAR;
}

static int new_slot(Layout *l, int kind, int size, int def)
{
    Slot *s = &l->slots[l->nslots];
    s->kind = kind;
    s->size = size;
    s->def = def;
    s->last = def;
    return l->nslots++;
}

/* First fit: the lowest offset where size reals overlap no slot still live at step. */
static size_t first_fit(const Layout *l, int self, int step, int size)
{
    size_t off = 0;
    for (bool moved = true; moved;) {
        moved = false;
        for (int i = 0; i < l->nslots; i++) {
            const Slot *s = &l->slots[i];
            if (i == self || s->kind != ST_WORK || s->def >= step || s->last < step)
                continue;
            if (s->def < step && off < s->off + (size_t)s->size && s->off < off + (size_t)size) {
                off = s->off + (size_t)s->size;
                moved = true;
            }
        }
    }
    return off;
}

static void layout_build(Layout *l, const ExportModel *m, Arena *a)
{
    const IrGraph *g = m->g;
    memset(l, 0, sizeof *l);
    l->m = m;
    l->slot_of = arena_alloc(a, sizeof(int) * (size_t)g->nvalues);
    l->slots = arena_alloc(a, sizeof(Slot) * (size_t)(g->nvalues + 1));
    l->run = arena_alloc(a, sizeof(IrInstr *) * (size_t)(g->nfwd + 1));
    for (int i = 0; i < g->nvalues; i++)
        l->slot_of[i] = -1;
    bool scaled = m->scale->kind != NETRT_SCALE_NONE;
    l->slot_of[g->input->id] = new_slot(l, scaled ? ST_WORK : ST_IN, g->input->size, -1);
    for (int i = 0; i < g->nfwd; i++) {
        const IrInstr *ins = g->fwd[i];
        if (ins->op == IR_LOSS || ins->op == IR_REG)
            continue;
        if (ins->op == IR_DROPOUT) {    /* the identity at inference: share the input's slot */
            l->slot_of[ins->out->id] = l->slot_of[ins->in[0]->id];
            continue;
        }
        int step = l->nrun;
        l->run[l->nrun++] = ins;
        for (int k = 0; k < ins->nin; k++) {
            int s = l->slot_of[ins->in[k]->id];
            if (s >= 0)
                l->slots[s].last = step;
        }
        bool out = ins->out == g->output;
        l->slot_of[ins->out->id] = new_slot(l, out ? ST_OUT : ST_WORK, ins->out->size, step);
        if (quantized(l, l->nrun - 1) && ins->in[0]->size > l->qmax)
            l->qmax = ins->in[0]->size;
    }
    for (int i = 0; i < l->nslots; i++) {
        Slot *s = &l->slots[i];
        if (s->kind != ST_WORK)
            continue;
        s->off = first_fit(l, i, s->def, s->size);
        if (s->off + (size_t)s->size > l->work)
            l->work = s->off + (size_t)s->size;
    }
}

/* ---- names ---- */

/* "h.w" -> "h_w": the parameter's field in the weight table. */
static const char *field(Arena *a, const char *name)
{
    char *r = arena_strdup(a, name);
    for (char *q = r; *q; q++)
        if (*q == '.')
            *q = '_';
    return r;
}

/* A dense layer's stem: its weight tensor's name without ".w". */
static const char *stem(Arena *a, const IrInstr *ins)
{
    const char *w = ins->in[1]->name;
    size_t n = strlen(w);
    return arena_strndup(a, w, n > 2 && strcmp(w + n - 2, ".w") == 0 ? n - 2 : n);
}

static const char *value_ptr(Emitter *e, const IrValue *v)
{
    const Layout *l = e->layout;
    if (v->kind == VAL_PARAM)
        return arena_printf(e->a, "wt->%s", field(e->a, v->name));
    int s = v->id < l->m->g->nvalues ? l->slot_of[v->id] : -1;
    if (s < 0)
        internal_error("value '%s' has no place in predict", v->name);
    const Slot *sl = &l->slots[s];
    if (sl->kind == ST_IN)
        return "in";
    if (sl->kind == ST_OUT)
        return "out";
    return sl->off ? arena_printf(e->a, "work + %zu", sl->off) : "work";
}

static const char *io_type(const ExportModel *m)
{
    return m->prec == XP_DOUBLE ? "double" : "float";
}

/* ---- the int8 dense kernel ---- */

static void emit_q8_kernel(Emitter *e, const IrInstr *ins)
{
    int in = ins->in[1]->cols, out = ins->in[1]->rows;
    const char *name = arena_printf(e->a, "%s_%s", e->p, ins->label);
    int col = (int)strlen(name) + 13;
    emit_section(e, SEC_FORWARD);
    emit_line(e, "/* %s: dense %d -> %d (%s), int8:", stem(e->a, ins), in, out,
              emit_where(e, ins->src));
    emit_line(e, " * q = round(x / sx + zp) clamped to int8, z = (b + W q) * scale,");
    emit_line(e, " * W per-row symmetric int8, int32 sums */");
    emit_line(e, "static void %s(float *restrict z, const float *restrict x, int8_t *restrict q,",
              name);
    emit_line(e, "%*sconst int8_t *restrict w, const int32_t *restrict b,", col, "");
    emit_line(e, "%*sconst float *restrict scale, float inv_sx, float zp)", col, "");
    emit_brace(e);
    emit_open(e, "for (int i = 0; i < %d; i++)", in);
    emit_line(e, "float v = x[i] * inv_sx + zp;");
    emit_line(e, "if (!(v >= -128.0f))   /* NaN too */");
    emit_line(e, "    v = -128.0f;");
    emit_line(e, "if (v > 127.0f)");
    emit_line(e, "    v = 127.0f;");
    emit_line(e, "q[i] = (int8_t)(v >= 0.0f ? (int)(v + 0.5f) : -(int)(0.5f - v));");
    emit_close(e);
    emit_open(e, "for (int o = 0; o < %d; o++)", out);
    emit_line(e, "const int8_t *wo = w + (size_t)o * %d;", in);
    emit_line(e, "int32_t acc = b[o];");
    emit_line(e, "for (int i = 0; i < %d; i++)", in);
    emit_line(e, "    acc += (int32_t)wo[i] * (int32_t)q[i];");
    emit_line(e, "z[o] = (float)acc * scale[o];");
    emit_close(e);
    emit_close(e);
    emit_blank(e);
}

static void emit_q8_call(Emitter *e, const IrInstr *ins)
{
    const char *s = field(e->a, stem(e->a, ins));
    emit_line(e, "%s_%s(%s, %s, q, wt->%s_wq, wt->%s_bq,", e->p, ins->label,
              value_ptr(e, ins->out), value_ptr(e, ins->in[0]), s, s);
    emit_line(e, "%*swt->%s_scale, wt->%s_inv_sx, wt->%s_zp);",
              (int)(strlen(e->p) + strlen(ins->label) + 2), "", s, s, s);
}

/* ---- helpers the kernels asked for ---- */

/* The same helpers as the training build (emit_model.c). */
static void emit_infer_helpers(Emitter *e)
{
    emit_kernel_helpers(e);
    if (e->need_dropout || e->need_rng)
        internal_error("an inference kernel asked for the random generator");
}

/* ---- predict ---- */

static void emit_scaling(Emitter *e, const Layout *l)
{
    const ExportModel *m = l->m;
    const Slot *sl = &l->slots[l->slot_of[m->g->input->id]];
    const char *x = sl->off ? arena_printf(e->a, "work[%zu + i]", sl->off) : "work[i]";
    emit_line(e, "/* %s scaling from training: x = (in - %s) / %s */",
              netrt_scale_name(m->scale->kind),
              m->scale->kind == NETRT_SCALE_MINMAX ? "min" : "mean",
              m->scale->kind == NETRT_SCALE_MINMAX ? "(max - min)" : "std");
    emit_line(e, "for (int i = 0; i < %d; i++)", m->g->input->size);
    if (m->prec == XP_FLOAT)    /* in double, exactly as netc predict scales */
        emit_line(e, "    %s = (float)(((double)in[i] - wt->in_mean[i]) / wt->in_std[i]);", x);
    else if (m->prec == XP_DOUBLE)
        emit_line(e, "    %s = (in[i] - wt->in_mean[i]) / wt->in_std[i];", x);
    else
        emit_line(e, "    %s = (in[i] - wt->in_mean[i]) * wt->in_inv_std[i];", x);
}

static void emit_predict(Emitter *e, const Layout *l)
{
    const ExportModel *m = l->m;
    const IrGraph *g = m->g;
    const char *T = io_type(m);
    emit_section(e, SEC_MODEL);
    emit_line(e, "void %s_predict(const %s in[%s_INPUT_SIZE], %s out[%s_OUTPUT_SIZE])", e->p, T,
              e->P, T, e->P);
    emit_brace(e);
    emit_line(e, "const %s_weight_table *wt = &%s_weights;", e->p, e->p);
    if (l->work)
        emit_line(e, "%s work[%zu];   /* every intermediate value, reused once dead */", e->R,
                  l->work);
    if (l->qmax)
        emit_line(e, "int8_t q[%d];   /* a dense layer's quantized input */", l->qmax);
    if (m->scale->kind != NETRT_SCALE_NONE)
        emit_scaling(e, l);
    for (int i = 0; i < l->nrun; i++) {
        if (quantized(l, i))
            emit_q8_call(e, l->run[i]);
        else
            emit_kernel_call(e, l->run[i], "1");
    }
    emit_close(e);
    emit_blank(e);
    emit_line(e, "void %s_predict_batch(const %s *in, %s *out, int n)", e->p, T, T);
    emit_brace(e);
    emit_line(e, "for (int s = 0; s < n; s++)");
    emit_line(e, "    %s_predict(in + (size_t)s * %d, out + (size_t)s * %d);", e->p,
              g->input->size, g->output->size);
    emit_close(e);
}

/* ---- which libm functions the code calls ---- */

/* text without its comments, so that "round(x)" in a comment is not a call. */
static char *strip_comments(const char *text)
{
    size_t n = strlen(text);
    char *r = malloc(n + 1), *q = r;
    if (!r)
        internal_error("out of memory");
    for (const char *p = text; *p;) {
        if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 2 : p + strlen(p);
            *q++ = ' ';
        } else if (p[0] == '/' && p[1] == '/') {
            while (*p && *p != '\n')
                p++;
        } else {
            *q++ = *p++;
        }
    }
    *q = '\0';
    return r;
}

static void find_libm(const char *commented, char *out, size_t cap)
{
    char *text = strip_comments(commented);
    static const char *const fns[] = {
        "exp", "expm1", "exp2", "log", "log1p", "log2", "sqrt", "cbrt", "fabs", "tanh", "erf",
        "pow", "fmin", "fmax", "floor", "ceil", "round", "trunc", "rint", "nearbyint", "ldexp",
        "frexp", "fma", "sin", "cos", "atan", NULL
    };
    out[0] = '\0';
    for (int i = 0; fns[i]; i++) {
        for (int f = 0; f < 2; f++) {
            char name[16];
            snprintf(name, sizeof name, "%s%s(", fns[i], f ? "f" : "");
            for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
                if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
                    continue;
                size_t n = strlen(out);
                snprintf(out + n, cap - n, "%s%.*s", n ? " " : "", (int)strlen(name) - 1, name);
                break;
            }
        }
    }
    free(text);
}

/* ---- the three files ---- */

static const char *banner(Emitter *e, const char *weights_path)
{
    static const char *const precs[] = {"float", "double", "int8"};
    return arena_printf(e->a, "/* Generated by netc %s from %s and %s\n * (netc export, precision %s). "
                        "Do not edit. */", NETC_VERSION, emit_comment_safe(e, e->opt->spec_path),
                        emit_comment_safe(e, weights_path),
                        precs[((const Layout *)e->layout)->m->prec]);
}

static const char *elem_type(const ExportModel *m)
{
    return m->prec == XP_DOUBLE ? "double" : "float";
}

static void table_fields(Emitter *e, const Layout *l, Buf *h)
{
    const ExportModel *m = l->m;
    const IrGraph *g = m->g;
    if (m->scale->kind != NETRT_SCALE_NONE) {
        const char *t = m->prec == XP_INT8 ? "float" : "double";
        buf_printf(h, "    const %s *in_mean;   /* [%d] input scaling (%s): %s */\n", t,
                   g->input->size, netrt_scale_name(m->scale->kind),
                   m->scale->kind == NETRT_SCALE_MINMAX ? "min" : "mean");
        buf_printf(h, "    const %s *%s;    /* [%d] %s */\n", t,
                   m->prec == XP_INT8 ? "in_inv_std" : "in_std", g->input->size,
                   m->prec == XP_INT8 ? "1 / std (1 / (max - min) for minmax)"
                                      : "std (max - min for minmax)");
    }
    for (int i = 0; i < g->nfwd; i++) {
        const IrInstr *ins = g->fwd[i];
        if (ins->op != IR_LINEAR)
            continue;
        const char *s = field(e->a, stem(e->a, ins));
        int rows = ins->in[1]->rows, cols = ins->in[1]->cols;
        if (m->prec == XP_INT8) {
            buf_printf(h, "    const int8_t *%s_wq;     /* [%d][%d] */\n", s, rows, cols);
            buf_printf(h, "    const int32_t *%s_bq;    /* [%d] */\n", s, rows);
            buf_printf(h, "    const float *%s_scale;   /* [%d] */\n", s, rows);
            buf_printf(h, "    float %s_inv_sx, %s_zp;\n", s, s);
            continue;
        }
        for (int k = 1; k < ins->nin; k++)
            buf_printf(h, "    const %s *%s;    /* [%d][%d] */\n", elem_type(m),
                       field(e->a, ins->in[k]->name), ins->in[k]->rows, ins->in[k]->cols);
    }
}

static char *emit_header(Emitter *e, const Layout *l, const char *weights_path, size_t stack,
                         size_t data, const char *libm)
{
    const ExportModel *m = l->m;
    const IrGraph *g = m->g;
    const char *P = e->P, *p = e->p, *T = io_type(m);
    Buf h = {0};
    buf_printf(&h, "%s\n", banner(e, weights_path));
    buf_printf(&h, "#ifndef %s_INFER_H\n#define %s_INFER_H\n\n", P, P);
    if (m->prec == XP_INT8)
        buf_printf(&h, "#include <stdint.h>\n\n");
    buf_printf(&h, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    buf_printf(&h, "#define %s_INPUT_SIZE %d\n", P, g->input->size);
    buf_printf(&h, "#define %s_OUTPUT_SIZE %d\n", P, g->output->size);
    buf_printf(&h, "/* Stack: %s_predict's arrays take %s_STACK_BYTES bytes\n * (work: %zu %ss",
               p, P, l->work, e->R);
    if (l->qmax)
        buf_printf(&h, ", q: %d bytes", l->qmax);
    buf_printf(&h, "); the compiler adds its frame (saved registers, a few\n * scalars). "
                   "Nothing allocates, there is no mutable global state, and the only\n"
                   " * library calls are %s. */\n", *libm ? libm : "none");
    buf_printf(&h, "#define %s_STACK_BYTES %zu\n", P, stack);
    buf_printf(&h, "/* Bytes of the arrays in %s_weights.c. */\n#define %s_DATA_BYTES %zu\n\n",
               p, P, data);
    buf_printf(&h, "/* The weight arrays of 64 bytes or more start on a cache line, so the\n"
                   " * vector kernels' loads never straddle two (GCC and Clang). */\n");
    buf_printf(&h, "#if defined(__GNUC__)\n#define %s_ALIGNED __attribute__((aligned(64)))\n"
                   "#else\n#define %s_ALIGNED\n#endif\n\n", P, P);
    buf_printf(&h, "/* The baked parameters: %s_weights.c (data only) defines %s_weights. */\n",
               p, p);
    buf_printf(&h, "typedef struct {\n");
    table_fields(e, l, &h);
    buf_printf(&h, "} %s_weight_table;\n\nextern const %s_weight_table %s_weights;\n\n", p, p, p);
    buf_printf(&h, "/* One sample: out = the network's output for the raw features in");
    if (m->scale->kind != NETRT_SCALE_NONE)
        buf_printf(&h, "\n * (the %s scaling used in training is applied here)",
                   netrt_scale_name(m->scale->kind));
    buf_printf(&h, ".\n * in and out must not overlap. Reentrant. */\n");
    buf_printf(&h, "void %s_predict(const %s in[%s_INPUT_SIZE], %s out[%s_OUTPUT_SIZE]);\n\n", p,
               T, P, T, P);
    buf_printf(&h, "/* n samples: in[n][%s_INPUT_SIZE] -> out[n][%s_OUTPUT_SIZE], one at a time\n"
                   " * (the same stack as %s_predict). */\n", P, P, p);
    buf_printf(&h, "void %s_predict_batch(const %s *in, %s *out, int n);\n\n", p, T, T);
    buf_printf(&h, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
    return h.data;
}

/* ---- NAME_weights.c: one static const array per tensor, then the table ---- */

typedef struct {
    Buf b;
    size_t bytes;
    Buf init;           /* the table's initializer lines */
} Data;

/* The alignment attribute for an array of the given bytes (see the header). */
static const char *aligned(Emitter *e, size_t bytes)
{
    return bytes >= 64 ? arena_printf(e->a, " %s_ALIGNED", e->P) : "";
}

static void data_reals(Emitter *e, Data *d, const char *name, const char *type, const double *v,
                       int n, const char *what)
{
    buf_printf(&d->b, "/* %s */\nstatic const %s %s_%s[%d]%s = {", what, type, e->p, name, n,
               aligned(e, (size_t)n * (strcmp(type, "double") == 0 ? 8 : 4)));
    bool dbl = strcmp(type, "double") == 0;
    bool save = e->dbl;
    e->dbl = dbl;
    for (int i = 0; i < n; i++)
        buf_printf(&d->b, "%s%s,", i % (dbl ? 3 : 5) ? " " : "\n    ", emit_real(e, v[i]));
    e->dbl = save;
    buf_printf(&d->b, "\n};\n\n");
    d->bytes += (size_t)n * (dbl ? 8 : 4);
    buf_printf(&d->init, "    .%s = %s_%s,\n", name, e->p, name);
}

static void data_ints(Emitter *e, Data *d, const char *name, const char *type, const void *v,
                      int n, size_t size, const char *what)
{
    buf_printf(&d->b, "/* %s */\nstatic const %s %s_%s[%d]%s = {", what, type, e->p, name, n,
               aligned(e, (size_t)n * size));
    for (int i = 0; i < n; i++) {
        long x = size == 1 ? ((const int8_t *)v)[i] : (long)((const int32_t *)v)[i];
        buf_printf(&d->b, "%s%ld,", i % (size == 1 ? 16 : 6) ? " " : "\n    ", x);
    }
    buf_printf(&d->b, "\n};\n\n");
    d->bytes += (size_t)n * size;
    buf_printf(&d->init, "    .%s = %s_%s,\n", name, e->p, name);
}

static void data_scaler(Emitter *e, const ExportModel *m, Data *d)
{
    const NetrtScaler *s = m->scale;
    if (s->kind == NETRT_SCALE_NONE)
        return;
    const char *kind = netrt_scale_name(s->kind);
    if (m->prec != XP_INT8) {
        data_reals(e, d, "in_mean", "double", s->mean, s->n,
                   arena_printf(e->a, "input scaling (%s): subtract", kind));
        data_reals(e, d, "in_std", "double", s->std, s->n, "then divide by");
        return;
    }
    double *inv = arena_alloc(e->a, sizeof(double) * (size_t)s->n);
    for (int i = 0; i < s->n; i++)
        inv[i] = 1.0f / (float)s->std[i];
    data_reals(e, d, "in_mean", "float", s->mean, s->n,
               arena_printf(e->a, "input scaling (%s): subtract", kind));
    data_reals(e, d, "in_inv_std", "float", inv, s->n, "then multiply by");
}

static void data_layer(Emitter *e, const ExportModel *m, const IrInstr *ins, int idx, Data *d)
{
    const char *s = field(e->a, stem(e->a, ins));
    if (m->prec != XP_INT8) {
        for (int k = 1; k < ins->nin; k++) {
            const IrValue *v = ins->in[k];
            data_reals(e, d, field(e->a, v->name), elem_type(m), m->params + v->offset, v->size,
                       arena_printf(e->a, "%s [%d][%d]", v->name, v->rows, v->cols));
        }
        return;
    }
    const QuantLayer *q = m->quant[idx];
    double *scale = arena_alloc(e->a, sizeof(double) * (size_t)q->rows);
    for (int o = 0; o < q->rows; o++)
        scale[o] = q->scale[o];
    data_ints(e, d, arena_printf(e->a, "%s_wq", s), "int8_t", q->w, q->rows * q->cols, 1,
              arena_printf(e->a, "%s, int8 [%d][%d]", ins->in[1]->name, q->rows, q->cols));
    data_ints(e, d, arena_printf(e->a, "%s_bq", s), "int32_t", q->b, q->rows, 4,
              arena_printf(e->a, "%s: bias and zero-point correction, int32 [%d]", s, q->rows));
    data_reals(e, d, arena_printf(e->a, "%s_scale", s), "float", scale, q->rows,
               arena_printf(e->a, "%s: output scale per row, sw[o] * sx", s));
    char a[40], b[40];
    snprintf(a, sizeof a, "%s", emit_real(e, (double)q->inv_sx));
    snprintf(b, sizeof b, "%s", emit_real(e, (double)q->zp));
    buf_printf(&d->init, "    .%s_inv_sx = %s,   /* input range [%.6g, %.6g] */\n", s, a, q->lo,
               q->hi);
    buf_printf(&d->init, "    .%s_zp = %s,\n", s, b);
}

static char *emit_weights(Emitter *e, const ExportModel *m, const char *weights_path,
                          size_t *bytes)
{
    Data d = {0};
    bool save = e->dbl;
    e->dbl = false;     /* int8 scalars are floats */
    data_scaler(e, m, &d);
    for (int i = 0; i < m->g->nfwd; i++)
        if (m->g->fwd[i]->op == IR_LINEAR)
            data_layer(e, m, m->g->fwd[i], i, &d);
    e->dbl = save;
    Buf w = {0};
    buf_printf(&w, "%s\n", banner(e, weights_path));
    buf_printf(&w, "/* The trained parameters of %s, data only: %s_infer.c holds the code. */\n",
               e->p, e->p);
    buf_printf(&w, "#include \"%s_infer.h\"\n\n%s", e->p, d.b.data ? d.b.data : "");
    buf_printf(&w, "const %s_weight_table %s_weights = {\n%s};\n", e->p, e->p, d.init.data);
    *bytes = d.bytes;
    buf_free(&d.b);
    buf_free(&d.init);
    return w.data;
}

static char *join_source(Emitter *e, const char *weights_path, const char *libm)
{
    Buf c = {0};
    buf_printf(&c, "%s\n", banner(e, weights_path));
    if (*libm)
        buf_printf(&c, "#include <math.h>\n");
    buf_printf(&c, "#include <stddef.h>\n");
    emit_kernel_includes(e, &c);
    buf_printf(&c, "\n#include \"%s_infer.h\"\n\n", e->p);
    emit_source_body(e, &c);
    return c.data;
}

static const char *upper(Arena *a, const char *s)
{
    char *r = arena_strdup(a, s);
    for (char *q = r; *q; q++)
        *q = (char)toupper((unsigned char)*q);
    return r;
}

void emit_infer(const ExportModel *m, const EmitOptions *o, const char *weights_path,
                ExportFiles *out)
{
    Arena scratch = {0};
    Layout l;
    Emitter e = {0};
    layout_build(&l, m, &scratch);
    e.g = m->g;
    e.opt = o;
    e.a = &scratch;
    e.p = m->g->spec->name;
    e.P = upper(&scratch, e.p);
    e.dbl = m->prec == XP_DOUBLE;
    e.R = e.dbl ? "double" : "float";
    e.value_ptr = value_ptr;
    e.layout = &l;
    for (int i = 0; i < l.nrun; i++) {
        if (quantized(&l, i))
            emit_q8_kernel(&e, l.run[i]);
        else
            emit_kernel(&e, l.run[i]);
    }
    emit_infer_helpers(&e);
    emit_predict(&e, &l);
    memset(out, 0, sizeof *out);
    Buf code = {0};
    buf_printf(&code, "%s%s", e.sec[SEC_HELPERS].data ? e.sec[SEC_HELPERS].data : "",
               e.sec[SEC_FORWARD].data ? e.sec[SEC_FORWARD].data : "");
    find_libm(code.data ? code.data : "", out->libm, sizeof out->libm);
    buf_free(&code);
    out->stack_bytes = l.work * (e.dbl ? 8 : 4) + (size_t)l.qmax;
    out->source = join_source(&e, weights_path, out->libm);
    out->weights = emit_weights(&e, m, weights_path, &out->data_bytes);
    out->header = emit_header(&e, &l, weights_path, out->stack_bytes, out->data_bytes, out->libm);
    for (int s = 0; s < SEC_COUNT; s++)
        buf_free(&e.sec[s]);
    arena_free_all(&scratch);
}

void export_files_free(ExportFiles *f)
{
    free(f->header);
    free(f->source);
    free(f->weights);
    memset(f, 0, sizeof *f);
}

/* ---- netc build --single-header ---- */

char *emit_single_header(const char *base, const char *header, const char *source)
{
    Buf b = {0};
    char upper_base[128];
    size_t n = 0;
    for (; base[n] && n + 1 < sizeof upper_base; n++)
        upper_base[n] = (char)toupper((unsigned char)base[n]);
    upper_base[n] = '\0';
    const char *banner_end = strchr(header, '\n');
    buf_printf(&b, "%.*s\n", (int)(banner_end - header), header);
    buf_printf(&b, "/* One file in the stb style. Include it where the API is needed, and in\n"
                   " * exactly one C file define %s_IMPLEMENTATION first:\n"
                   " *     #define %s_IMPLEMENTATION\n *     #include \"%s.h\"\n"
                   " * The implementation includes <math.h>: link with -lm. */\n",
               upper_base, upper_base, base);
    buf_printf(&b, "%s", banner_end + 1);
    buf_printf(&b, "\n#ifdef %s_IMPLEMENTATION\n#ifndef %s_IMPLEMENTATION_DONE\n"
                   "#define %s_IMPLEMENTATION_DONE\n", upper_base, upper_base, upper_base);
    buf_printf(&b, "#if defined(__cplusplus) && !defined(restrict)\n#define restrict __restrict\n"
                   "#define %s_UNDEF_RESTRICT\n#endif\n", upper_base);
    /* the source without its banner and without its own #include of the header */
    const char *s = strchr(source, '\n');
    s = s ? s + 1 : source;
    char *include = NULL;
    size_t len = strlen(base) + 16;
    include = malloc(len);
    if (!include)
        internal_error("out of memory");
    snprintf(include, len, "#include \"%s.h\"\n", base);
    const char *at = strstr(s, include);
    if (at)
        buf_printf(&b, "%.*s%s", (int)(at - s), s, at + strlen(include));
    else
        buf_printf(&b, "%s", s);
    free(include);
    buf_printf(&b, "#ifdef %s_UNDEF_RESTRICT\n#undef restrict\n#undef %s_UNDEF_RESTRICT\n#endif\n",
               upper_base, upper_base);
    buf_printf(&b, "#endif /* %s_IMPLEMENTATION_DONE */\n#endif /* %s_IMPLEMENTATION */\n",
               upper_base, upper_base);
    return b.data;
}
