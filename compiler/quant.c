/* quant.c: the exported model's arithmetic run inside netc, for int8
 * calibration and for the accuracy `netc export --test` reports. Values are
 * kept in double and rounded to float after every op for float and int8
 * exports (so results track the float C code to rounding); int8 dense layers
 * repeat the generated kernel's float and integer steps exactly. */
#include "export.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct Runner {
    const ExportModel *m;
    double **val;       /* per value id: one sample's values, or NULL */
    double *buf;
};

Runner *runner_new(const ExportModel *m)
{
    const IrGraph *g = m->g;
    Runner *r = calloc(1, sizeof *r);
    size_t total = 0;
    if (!r || !(r->val = calloc((size_t)g->nvalues, sizeof(double *))))
        internal_error("out of memory");
    for (int i = 0; i < g->nvalues; i++)
        if (g->values[i]->kind == VAL_INPUT || g->values[i]->kind == VAL_ACT)
            total += (size_t)g->values[i]->size;
    if (!(r->buf = calloc(total ? total : 1, sizeof(double))))
        internal_error("out of memory");
    total = 0;
    for (int i = 0; i < g->nvalues; i++) {
        const IrValue *v = g->values[i];
        if (v->kind == VAL_INPUT || v->kind == VAL_ACT) {
            r->val[v->id] = r->buf + total;
            total += (size_t)v->size;
        }
    }
    r->m = m;
    return r;
}

void runner_free(Runner *r)
{
    if (!r)
        return;
    free(r->val);
    free(r->buf);
    free(r);
}

static double rnd(const Runner *r, double v)
{
    return r->m->prec == XP_DOUBLE ? v : (double)(float)v;
}

static const double *param(const Runner *r, const IrValue *v)
{
    return r->m->params + v->offset;
}

/* The int8 kernel of emit_infer.c, step for step. */
static void linear_q8(const QuantLayer *q, double *z, const double *x)
{
    int8_t *xq = malloc((size_t)q->cols);
    if (!xq)
        internal_error("out of memory");
    for (int i = 0; i < q->cols; i++) {
        float v = (float)x[i] * q->inv_sx + q->zp;
        if (!(v >= -128.0f))
            v = -128.0f;
        if (v > 127.0f)
            v = 127.0f;
        xq[i] = (int8_t)(v >= 0.0f ? (int)(v + 0.5f) : -(int)(0.5f - v));
    }
    for (int o = 0; o < q->rows; o++) {
        const int8_t *wo = q->w + (size_t)o * (size_t)q->cols;
        int32_t acc = q->b[o];
        for (int i = 0; i < q->cols; i++)
            acc += (int32_t)wo[i] * (int32_t)xq[i];
        z[o] = (double)((float)acc * q->scale[o]);
    }
    free(xq);
}

static void linear(const Runner *r, const IrInstr *ins, double *z, const double *x)
{
    const double *w = param(r, ins->in[1]), *b = ins->nin > 2 ? param(r, ins->in[2]) : NULL;
    int in = ins->in[1]->cols, out = ins->in[1]->rows;
    for (int o = 0; o < out; o++) {
        double s = b ? b[o] : 0.0;
        for (int i = 0; i < in; i++)
            s += w[(size_t)o * (size_t)in + (size_t)i] * x[i];
        z[o] = rnd(r, s);
    }
}

static double act(const IrInstr *ins, double v)
{
    switch (ins->act) {
    case ACT_STEP: return v >= 0 ? 1.0 : 0.0;
    case ACT_SIGMOID: return v >= 0 ? 1.0 / (1.0 + exp(-v)) : exp(v) / (1.0 + exp(v));
    case ACT_TANH: return tanh(v);
    case ACT_RELU: return v > 0 ? v : 0.0;
    case ACT_LEAKY_RELU: return v > 0 ? v : ins->alpha * v;
    case ACT_ELU: return v > 0 ? v : ins->alpha * expm1(v);
    case ACT_SOFTPLUS: return (v > 0 ? v : 0.0) + log1p(exp(-fabs(v)));
    default: break;
    }
    internal_error("activation '%s' is not elementwise", act_names[ins->act]);
}

static void softmax(const Runner *r, double *y, const double *z, int k)
{
    double m = z[0], s = 0;
    for (int i = 1; i < k; i++)
        m = z[i] > m ? z[i] : m;
    for (int i = 0; i < k; i++)
        s += y[i] = exp(z[i] - m);
    for (int i = 0; i < k; i++)
        y[i] = rnd(r, y[i] / s);
}

static void formula(const Runner *r, const IrInstr *ins, double *y)
{
    int size = ins->out->size;
    double vars[64];
    if (ins->nin > 64)
        internal_error("formula with %d inputs", ins->nin);
    for (int k = 0; k < size; k++) {
        for (int i = 0; i < ins->nin; i++) {
            const IrValue *v = ins->in[i];
            vars[i] = r->val[v->id][v->size == size && size > 1 ? k : 0];
        }
        y[k] = rnd(r, expr_eval(ins->formula, vars));
    }
}

static void run_instr(Runner *r, int idx, const IrInstr *ins)
{
    double *y = r->val[ins->out->id];
    const double *x = ins->nin > 0 && r->val[ins->in[0]->id] ? r->val[ins->in[0]->id] : NULL;
    int size = ins->out->size;
    switch (ins->op) {
    case IR_LINEAR:
        if (r->m->quant && r->m->quant[idx])
            linear_q8(r->m->quant[idx], y, x);
        else
            linear(r, ins, y, x);
        return;
    case IR_ACT:
        for (int k = 0; k < size; k++)
            y[k] = rnd(r, act(ins, x[k]));
        return;
    case IR_MAXOUT:
        for (int u = 0; u < size; u++) {
            const double *zu = x + (size_t)u * (size_t)ins->pieces;
            double m = zu[0];
            for (int j = 1; j < ins->pieces; j++)
                m = zu[j] > m ? zu[j] : m;
            y[u] = m;
        }
        return;
    case IR_SOFTMAX:
        softmax(r, y, x, size);
        return;
    case IR_DROPOUT:
        memcpy(y, x, sizeof(double) * (size_t)size);
        return;
    case IR_EXPR:
        formula(r, ins, y);
        return;
    case IR_CONCAT:
        for (int i = 0, off = 0; i < ins->nin; off += ins->in[i]->size, i++)
            memcpy(y + off, r->val[ins->in[i]->id], sizeof(double) * (size_t)ins->in[i]->size);
        return;
    case IR_SLICE:
        memcpy(y, x + ins->lo, sizeof(double) * (size_t)size);
        return;
    case IR_LOSS:
    case IR_REG:
        return;
    default:
        internal_error("backward op in the forward pass");
    }
}

/* The input as predict sees it after the scaling from training. */
static void scale_input(Runner *r, const float *x, double *out, int n)
{
    const NetrtScaler *s = r->m->scale;
    for (int i = 0; i < n; i++) {
        if (s->kind == NETRT_SCALE_NONE) {
            out[i] = x[i];
        } else if (r->m->prec == XP_INT8) {
            float inv = 1.0f / (float)s->std[i];
            out[i] = (double)(((float)x[i] - (float)s->mean[i]) * inv);
        } else {
            out[i] = rnd(r, ((double)x[i] - s->mean[i]) / s->std[i]);
        }
    }
}

void runner_predict(Runner *r, const float *x, double *y)
{
    const IrGraph *g = r->m->g;
    scale_input(r, x, r->val[g->input->id], g->input->size);
    for (int i = 0; i < g->nfwd; i++)
        run_instr(r, i, g->fwd[i]);
    memcpy(y, r->val[g->output->id], sizeof(double) * (size_t)g->output->size);
}

/* ---- int8 quantization ---- */

static double round_half_away(double v)
{
    return v >= 0 ? floor(v + 0.5) : -floor(0.5 - v);
}

static int quantize_layer(QuantLayer *q, const Runner *r, const IrInstr *ins, Arena *a)
{
    const double *w = param(r, ins->in[1]), *b = ins->nin > 2 ? param(r, ins->in[2]) : NULL;
    int rows = q->rows = ins->in[1]->rows, cols = q->cols = ins->in[1]->cols;
    q->w = arena_alloc(a, (size_t)rows * (size_t)cols);
    q->b = arena_alloc(a, sizeof(int32_t) * (size_t)rows);
    q->scale = arena_alloc(a, sizeof(float) * (size_t)rows);
    double lo = q->lo < 0 ? q->lo : 0, hi = q->hi > 0 ? q->hi : 0;  /* 0 exactly representable */
    if (hi - lo <= 0)
        hi = lo + 1;
    double sx = (hi - lo) / 255.0;
    double zp = round_half_away(-128.0 - lo / sx);
    zp = zp < -128 ? -128 : zp > 127 ? 127 : zp;
    q->inv_sx = (float)(1.0 / sx);
    q->zp = (float)zp;
    sx = 1.0 / (double)q->inv_sx;   /* the step the kernel really uses */
    for (int o = 0; o < rows; o++) {
        const double *wo = w + (size_t)o * (size_t)cols;
        double m = 0, sum = 0;
        for (int i = 0; i < cols; i++)
            m = fabs(wo[i]) > m ? fabs(wo[i]) : m;
        double sw = m > 0 ? m / 127.0 : 1.0;
        for (int i = 0; i < cols; i++) {
            double v = round_half_away(wo[i] / sw);
            v = v < -127 ? -127 : v > 127 ? 127 : v;
            q->w[(size_t)o * (size_t)cols + (size_t)i] = (int8_t)v;
            sum += v;
        }
        double bq = (b ? round_half_away(b[o] / (sw * sx)) : 0.0) - zp * sum;
        if (fabs(bq) + (double)cols * 127.0 * 128.0 > 2147483647.0) {
            fprintf(stderr, "netc: error: int8: the sums of layer '%s' could overflow 32 bits "
                            "(%d inputs, bias %g)\nhint: export it with --precision float\n",
                    ins->out->name, cols, b ? b[o] : 0.0);
            return -1;
        }
        q->b[o] = (int32_t)bq;
        q->scale[o] = (float)(sw * sx);
    }
    return 0;
}

int quant_build(ExportModel *m, const NetrtDataset *ds, Arena *a)
{
    const IrGraph *g = m->g;
    QuantLayer **ql = arena_alloc(a, sizeof(QuantLayer *) * (size_t)g->nfwd);
    for (int i = 0; i < g->nfwd; i++) {
        if (g->fwd[i]->op != IR_LINEAR)
            continue;
        ql[i] = arena_alloc(a, sizeof(QuantLayer));
        ql[i]->lo = INFINITY;
        ql[i]->hi = -INFINITY;
    }
    m->quant = NULL;    /* calibrate on the float model */
    Runner *r = runner_new(m);
    double *y = malloc(sizeof(double) * (size_t)g->output->size);
    if (!y)
        internal_error("out of memory");
    for (int row = 0; row < ds->rows; row++) {
        runner_predict(r, ds->x + (size_t)row * (size_t)ds->num_features, y);
        for (int i = 0; i < g->nfwd; i++) {
            if (!ql[i])
                continue;
            const IrValue *x = g->fwd[i]->in[0];
            for (int k = 0; k < x->size; k++) {
                double v = r->val[x->id][k];
                ql[i]->lo = v < ql[i]->lo ? v : ql[i]->lo;
                ql[i]->hi = v > ql[i]->hi ? v : ql[i]->hi;
            }
        }
    }
    int rc = 0;
    for (int i = 0; i < g->nfwd && rc == 0; i++)
        if (ql[i])
            rc = quantize_layer(ql[i], r, g->fwd[i], a);
    free(y);
    runner_free(r);
    m->quant = ql;
    return rc;
}

/* ---- metrics, as runtime/train.c counts them ---- */

static bool element_correct(const NetrtModel *d, double y, double t)
{
    switch (d->target) {
    case NETRT_TARGET_BINARY: return (y >= 0.5) == (t >= 0.5);
    case NETRT_TARGET_SIGNED: return (y >= 0.0) == (t > 0.0);
    default: return fabs(y - t) < 0.5;
    }
}

static size_t argmax(const double *v, size_t k)
{
    size_t best = 0;
    for (size_t j = 1; j < k; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

void export_evaluate(const ExportModel *m, const NetrtModel *d, const NetrtDataset *ds,
                     ExportMetrics *out)
{
    size_t k = d->output_size;
    double *y = malloc(sizeof(double) * k), *t = malloc(sizeof(double) * k), sse = 0;
    long correct = 0, judged = 0;
    Runner *r = runner_new(m);
    if (!y || !t)
        internal_error("out of memory");
    for (int row = 0; row < ds->rows; row++) {
        runner_predict(r, ds->x + (size_t)row * (size_t)ds->num_features, y);
        for (size_t j = 0; j < k; j++) {
            t[j] = ds->t[(size_t)row * k + j];
            sse += (y[j] - t[j]) * (y[j] - t[j]);
        }
        if (!d->classification)
            continue;
        if (d->target == NETRT_TARGET_ONEHOT || (d->target == NETRT_TARGET_REAL && k > 1)) {
            size_t want = ds->label ? (size_t)ds->label[row] : argmax(t, k);
            correct += argmax(y, k) == want;
            judged++;
        } else {
            for (size_t j = 0; j < k; j++)
                correct += element_correct(d, y[j], t[j]);
            judged += (long)k;
        }
    }
    out->rows = ds->rows;
    out->accuracy = judged ? (double)correct / (double)judged : NAN;
    out->mse = ds->rows ? sse / ((double)ds->rows * (double)k) : NAN;
    runner_free(r);
    free(y);
    free(t);
}
