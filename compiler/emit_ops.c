/* emit_ops.c: one C kernel per IR instruction, forward and backward side by side
 * per op family so each derivative can be checked against its forward on one
 * screen (docs/ops.md states the same math). Shapes: batched values are
 * [batch][size] row-major, weights [out][in]. Small linear layers (at most
 * unroll_limit multiply-adds) are fully unrolled with constants folded in;
 * larger ones get constant-bound loops the C compiler can vectorize. */
#include "emit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One kernel parameter: its C name and the IR value it carries. */
typedef struct {
    const char *name;
    const IrValue *v;
    bool out;
} Arg;

typedef struct {
    Arg a[36];
    int n;
    bool batched;       /* takes `int batch` */
    bool dropout;       /* takes the dropout seed (and `train` when forward) */
    bool returns;       /* returns the loss term as double */
} Sig;

static void arg(Sig *s, const char *name, const IrValue *v, bool out)
{
    s->a[s->n].name = name;
    s->a[s->n].v = v;
    s->a[s->n].out = out;
    s->n++;
}

/* Which of z (pre-activation) and y (output) an activation's derivative reads. */
static void act_bwd_reads(ActKind act, bool *z, bool *y)
{
    *z = act == ACT_RELU || act == ACT_LEAKY_RELU || act == ACT_ELU || act == ACT_SOFTPLUS;
    *y = act == ACT_SIGMOID || act == ACT_TANH || act == ACT_ELU;
}

/* "x0", "x1", ...: a formula's inputs. */
static const char *input_name(int i)
{
    static const char *const names[] = {
        "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
        "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24",
        "x25", "x26", "x27", "x28", "x29", "x30", "x31", "x32", "x33"
    };
    if (i < 0 || i >= (int)(sizeof names / sizeof names[0]))
        internal_error("formula input %d out of range", i);
    return names[i];
}

/* ---- a relu fused into the dense-layer GEMM next to it ---- */

static bool unrolled(const Emitter *e, const IrInstr *ins);

/* The relu (IR_ACT) that reads dense layer lin's output z, when lin's forward
 * GEMM also writes the relu's y in its epilogue (y = z > 0 ? z : 0, the same
 * expression as the relu kernel): the batch's z is then not read back in a
 * pass of its own, which with threads ran on one core while the other waited.
 * Training build only; NULL otherwise. */
const IrInstr *emit_fused_relu(const Emitter *e, const IrInstr *lin)
{
    const IrGraph *g = e->g;
    if (e->value_ptr || lin->op != IR_LINEAR || unrolled(e, lin))
        return NULL;
    for (int i = 0; i < g->nfwd; i++) {
        const IrInstr *a = g->fwd[i];
        if (a->op == IR_ACT && a->act == ACT_RELU && a->in[0] == lin->out)
            return a;
    }
    return NULL;
}

/* The relu derivative (IR_ACT_BWD) whose upstream gradient dy the input-gradient
 * GEMM dx computes, when dx writes the relu's dz = z > 0 ? dy : 0 directly in
 * its epilogue (dy is then never stored). Only where dx is dy's one writer, the
 * derivative its one reader and neither adds into its output. */
const IrInstr *emit_fused_relu_bwd(const Emitter *e, const IrInstr *dx)
{
    const IrGraph *g = e->g;
    if (e->value_ptr || dx->op != IR_LINEAR_DX || dx->accumulate || unrolled(e, dx))
        return NULL;
    const IrInstr *found = NULL;
    for (int i = 0; i < g->nbwd; i++) {
        const IrInstr *b = g->bwd[i];
        if (b != dx && b->out == dx->out)
            return NULL;    /* another writer of dy */
        for (int k = 0; k < b->nin; k++) {
            if (b->in[k] != dx->out)
                continue;
            if (found || b->op != IR_ACT_BWD || b->act != ACT_RELU || b->accumulate || k != 0)
                return NULL;    /* another reader, or not a relu derivative */
            found = b;
        }
    }
    return found;
}

/* Whether ins runs inside another instruction's kernel (the relu and its
 * derivative above): it then has no kernel and no call of its own. */
static bool absorbed(const Emitter *e, const IrInstr *ins)
{
    const IrGraph *g = e->g;
    if (ins->op == IR_ACT && ins->act == ACT_RELU) {
        for (int i = 0; i < g->nfwd; i++)
            if (g->fwd[i]->out == ins->in[0])
                return emit_fused_relu(e, g->fwd[i]) == ins;
    }
    if (ins->op == IR_ACT_BWD && ins->act == ACT_RELU) {
        for (int i = 0; i < g->nbwd; i++)
            if (g->bwd[i]->out == ins->in[0])
                return emit_fused_relu_bwd(e, g->bwd[i]) == ins;
    }
    return false;
}

static Sig signature(const Emitter *e, const IrInstr *ins)
{
    Sig s = {0};
    s.batched = true;
    const IrValue *o = ins->out, *const *in = (const IrValue *const *)ins->in;
    switch (ins->op) {
    case IR_LINEAR: {
        const IrInstr *relu = emit_fused_relu(e, ins);
        arg(&s, "z", o, true);
        if (relu)
            arg(&s, "y", relu->out, true);
        arg(&s, "x", in[0], false), arg(&s, "w", in[1], false);
        if (ins->nin > 2)
            arg(&s, "b", in[2], false);
        break;
    }
    case IR_ACT: case IR_MAXOUT: case IR_SOFTMAX:
        arg(&s, "y", o, true), arg(&s, "z", in[0], false);
        break;
    case IR_DROPOUT:
        arg(&s, "y", o, true), arg(&s, "x", in[0], false);
        s.dropout = true;
        break;
    case IR_LOSS:
        arg(&s, ins->fused ? "z" : "y", in[0], false), arg(&s, "t", in[1], false);
        s.returns = true;
        break;
    case IR_REG:
        arg(&s, "w", in[0], false);
        s.returns = true;
        s.batched = false;
        break;
    case IR_LINEAR_DX: {    /* fused: dx is the relu's dz, masked by its z */
        const IrInstr *relu = emit_fused_relu_bwd(e, ins);
        arg(&s, "dx", relu ? relu->out : o, true), arg(&s, "dz", in[0], false);
        arg(&s, "w", in[1], false);
        if (relu)
            arg(&s, "z", relu->in[1], false);
        break;
    }
    case IR_LINEAR_DW:
        arg(&s, "dw", o, true), arg(&s, "dz", in[0], false), arg(&s, "x", in[1], false);
        if (emit_dw_packs(e, ins))
            arg(&s, "pk", e->g->pack, true);
        break;
    case IR_LINEAR_DB:
        arg(&s, "db", o, true), arg(&s, "dz", in[0], false);
        break;
    case IR_ACT_BWD: {
        bool z, y;
        act_bwd_reads(ins->act, &z, &y);
        arg(&s, "dz", o, true), arg(&s, "dy", in[0], false);
        if (z)
            arg(&s, "z", in[1], false);
        if (y)
            arg(&s, "y", in[2], false);
        break;
    }
    case IR_MAXOUT_BWD:
        arg(&s, "dz", o, true), arg(&s, "dy", in[0], false), arg(&s, "z", in[1], false);
        break;
    case IR_SOFTMAX_BWD:
        arg(&s, "dz", o, true), arg(&s, "dy", in[0], false), arg(&s, "y", in[1], false);
        break;
    case IR_DROPOUT_BWD:
        arg(&s, "dx", o, true), arg(&s, "dy", in[0], false);
        s.dropout = true;
        break;
    case IR_LOSS_BWD:   /* returns the loss too: the training step's one loss kernel */
        arg(&s, ins->fused ? "dz" : "dy", o, true);
        arg(&s, ins->fused ? "z" : "y", in[0], false), arg(&s, "t", in[1], false);
        s.returns = true;
        break;
    case IR_REG_BWD:
        arg(&s, "dw", o, true), arg(&s, "w", in[0], false);
        s.batched = false;
        break;
    case IR_EXPR:
    case IR_CONCAT:
        arg(&s, "y", o, true);
        for (int i = 0; i < ins->nin; i++)
            arg(&s, input_name(i), in[i], false);
        break;
    case IR_SLICE:
        arg(&s, "y", o, true), arg(&s, "x", in[0], false);
        break;
    case IR_EXPR_BWD:   /* only the inputs the derivative reads */
        arg(&s, "dx", o, true), arg(&s, "dy", in[0], false);
        for (int i = 1; i < ins->nin; i++)
            if (expr_uses_var(ins->deriv, i - 1))
                arg(&s, input_name(i - 1), in[i], false);
        break;
    case IR_CONCAT_BWD:
    case IR_SLICE_BWD:
        arg(&s, "dx", o, true), arg(&s, "dy", in[0], false);
        break;
    }
    return s;
}

static const char *kernel_name(Emitter *e, const IrInstr *ins)
{
    return arena_printf(e->a, "%s_%s", e->p, ins->label);
}

static bool is_backward(const IrInstr *ins)
{
    return ins->op >= IR_LINEAR_DX;
}

/* Appends piece to a call or prototype being built in b, starting a continuation
 * line aligned after the opening parenthesis (column col) when the line would
 * pass 100 columns. */
static void add_piece(Buf *b, size_t *line_start, int col, const char *sep, const char *piece)
{
    /* line_start may sit before the buffer's start to account for indentation */
    if (b->len - *line_start + strlen(sep) + strlen(piece) > 98 && *sep) {
        buf_printf(b, ",\n%*s", col, "");
        *line_start = b->len - (size_t)col;
        buf_printf(b, "%s", piece);
        return;
    }
    buf_printf(b, "%s%s", sep, piece);
}

/* Emits `head(item, item, ...)` and then end (")" for a prototype, ");" for
 * a call) as one line at the current indent, continuing under the first item
 * when a line would pass 100 columns. */
static void emit_list(Emitter *e, const char *head, const char *const *items, int n,
                      const char *end)
{
    Buf b = {0};
    int base = e->indent * 4;
    buf_printf(&b, "%s(", head);
    int col = base + (int)b.len;
    /* the first line is indented by emit_line; continuation lines carry their whole indent, col */
    size_t start = (size_t)0 - (size_t)base;
    for (int i = 0; i < n; i++)
        add_piece(&b, &start, col, i ? ", " : "", items[i]);
    buf_printf(&b, "%s", end);
    emit_line(e, "%s", b.data);
    buf_free(&b);
}

/* Float sigmoid and tanh layers take the vector forms of the fast functions
 * (act_fwd_vector). Their kernels are inlined where they are called: out of
 * line, a one-sample call paid a call, the constants' reloads and a store the
 * next layer's load waited for, and iris 4-16-3 inference took 10% longer. */
static bool act_vector(const Emitter *e, const IrInstr *ins)
{
    return !e->dbl && ins->op == IR_ACT && (ins->act == ACT_SIGMOID || ins->act == ACT_TANH);
}

/* The kernel's prototype, e.g. "static void xor_h_linear(xor_real *restrict z, ...)". */
static void open_kernel(Emitter *e, const IrInstr *ins, const Sig *s)
{
    const char *items[40];
    int n = 0;
    for (int i = 0; i < s->n; i++)
        items[n++] = arena_printf(e->a, "%s%s *restrict %s", s->a[i].out ? "" : "const ", e->R,
                                  s->a[i].name);
    if (s->batched)
        items[n++] = "int batch";
    if (s->dropout && !is_backward(ins))
        items[n++] = "int train";
    if (s->dropout)
        items[n++] = "unsigned long long seed";
    const char *inl = act_vector(e, ins) ? arena_printf(e->a, "inline %s_INLINE ", e->P) : "";
    emit_list(e, arena_printf(e->a, "static %s%s %s", inl, s->returns ? "double" : "void",
                              kernel_name(e, ins)), items, n, ")");
    emit_brace(e);
}

const char *emit_value_ptr(Emitter *e, const IrValue *v, const char *batch)
{
    if (e->value_ptr)
        return e->value_ptr(e, v);
    switch (v->kind) {
    case VAL_INPUT: return "x";
    case VAL_TARGET: return "t";
    case VAL_PARAM: return arena_printf(e->a, "params + %zu", v->offset);
    case VAL_PARAM_GRAD: return arena_printf(e->a, "grad + %zu", v->offset);
    case VAL_ACT:
    case VAL_ACT_GRAD:
        if (v->offset == 0)
            return "work";
        if (strcmp(batch, "1") == 0)
            return arena_printf(e->a, "work + %zu", v->offset);
        return arena_printf(e->a, "work + (size_t)%s * %zu", batch, v->offset);
    case VAL_SCALAR: break;
    }
    internal_error("value '%s' has no storage", v->name);
}

void emit_kernel_call(Emitter *e, const IrInstr *ins, const char *batch)
{
    if (absorbed(e, ins))
        return;
    Sig s = signature(e, ins);
    const char *items[40];
    int n = 0;
    for (int i = 0; i < s.n; i++)
        items[n++] = emit_value_ptr(e, s.a[i].v, batch);
    if (s.batched)
        items[n++] = batch;
    if (s.dropout && !is_backward(ins))
        items[n++] = "train";
    if (s.dropout)
        items[n++] = "seed";
    emit_list(e, arena_printf(e->a, "%s%s", s.returns ? "loss += " : "", kernel_name(e, ins)),
              items, n, ");");
}

/* "=" or "+=" for a backward write. */
static const char *assign(const IrInstr *ins)
{
    return ins->accumulate ? "+=" : "=";
}

/* Emits "head term0 + term1 + ...;" as one statement, continuing on lines
 * indented one level deeper when it passes 100 columns. */
static void emit_sum(Emitter *e, const char *head, Buf *terms_buf)
{
    Buf b = {0};
    int cont = 4 * (e->indent + 1);
    size_t col = (size_t)(4 * e->indent) + strlen(head);
    char *save = NULL;
    bool first = true;
    buf_printf(&b, "%s", head);
    for (char *t = strtok_r(terms_buf->data, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
        size_t len = strlen(t);
        if (!first && col + 3 + len + 1 > 100) {
            buf_printf(&b, "\n%*s+ %s", cont, "", t);
            col = (size_t)cont + 2 + len;
        } else {
            buf_printf(&b, "%s%s", first ? "" : " + ", t);
            col += (first ? 0 : 3) + len;
        }
        first = false;
    }
    emit_line(e, "%s;", b.data);
    buf_free(&b);
}

/* ---- dense: z = x W^T + b ---- */

/* Whether a dense layer's kernels (ins: its IR_LINEAR or a backward of it) are
 * unrolled: at most unroll_limit multiply-adds, and only while the layers
 * unrolled before it, in forward order, leave room in EMIT_UNROLL_BUDGET; the
 * rest get loops, so the emitted C stays bounded whatever the limit. */
static bool unrolled(const Emitter *e, const IrInstr *ins)
{
    const IrInstr *f = ins->op == IR_LINEAR || !ins->fwd ? ins : ins->fwd;
    long budget = EMIT_UNROLL_BUDGET;
    for (int i = 0; i < e->g->nfwd; i++) {
        const IrInstr *l = e->g->fwd[i];
        if (l->op != IR_LINEAR)
            continue;
        long macs = (long)l->in[1]->rows * l->in[1]->cols;
        bool yes = macs <= e->opt->unroll_limit && macs <= budget;
        if (yes)
            budget -= macs;
        if (l == f)
            return yes;
    }
    return false;
}

static const char *describe(Emitter *e, const IrInstr *ins);
static const char *owner(const IrInstr *f);
static void emit_dw_step_kernel(Emitter *e, const IrInstr *dw);

/* The statements of one sample of an unrolled dense layer, zn[from..out)
 * from xn. Sums of 8 or more products go in 2 or 4 interleaved partial sums,
 * so that one sample's adds are not a single chain of dependent operations. */
static void linear_fwd_sample(Emitter *e, const IrInstr *ins, int from)
{
    int in = ins->in[1]->cols, out = ins->in[1]->rows;
    bool bias = ins->nin > 2;
    int chains = in >= 16 ? 4 : in >= 8 ? 2 : 1;
    if (chains > 1)
        emit_line(e, "%s %s;", e->R, chains == 4 ? "s0, s1, s2, s3" : "s0, s1");
    for (int o = from; o < out; o++) {
        for (int c = 0; c < chains; c++) {
            Buf terms = {0};
            if (bias && c == 0)
                buf_printf(&terms, "b[%d]|", o);
            for (int i = c; i < in; i += chains)
                buf_printf(&terms, "w[%d] * xn[%d]|", o * in + i, i);
            emit_sum(e, chains == 1 ? arena_printf(e->a, "zn[%d] = ", o)
                                    : arena_printf(e->a, "s%d = ", c), &terms);
            buf_free(&terms);
        }
        if (chains == 4)
            emit_line(e, "zn[%d] = (s0 + s1) + (s2 + s3);", o);
        else if (chains == 2)
            emit_line(e, "zn[%d] = s0 + s1;", o);
    }
}

/* `static inline void NAME_one(R *restrict out, const R *restrict xn, w[, b])`
 * and its opening brace: a one-sample function of the dense layer lin (b when
 * it has a bias). */
static void open_one_sample(Emitter *e, const char *name, const char *out, const IrInstr *lin)
{
    const char *items[] = {
        arena_printf(e->a, "%s *restrict %s", e->R, out),
        arena_printf(e->a, "const %s *restrict xn", e->R),
        arena_printf(e->a, "const %s *restrict w", e->R),
        arena_printf(e->a, "const %s *restrict b", e->R)
    };
    emit_list(e, arena_printf(e->a, "static inline void %s_one", name), items, lin->nin > 2 ? 4 : 3,
              ")");
    emit_brace(e);
}

/* An unrolled dense layer's one-sample function, NAME_LAYER_linear_one,
 * emitted before its kernel. The kernel calls it directly for a batch of 1:
 * in the batch loop the compiler hoists every weight load out of the loop and
 * spills most of them to the stack, which for a single sample costs more
 * than the layer's arithmetic. */
static void emit_linear_one(Emitter *e, const IrInstr *ins)
{
    emit_line(e, "/* %s, one sample */", describe(e, ins));
    open_one_sample(e, kernel_name(e, ins), "zn", ins);
    bool simd = emit_linear_one_simd(e, ins, linear_fwd_sample);
    linear_fwd_sample(e, ins, 0);
    if (simd)
        emit_line(e, "#endif");
    emit_close(e);
    emit_blank(e);
}

static void linear_fwd(Emitter *e, const IrInstr *ins)
{
    int in = ins->in[1]->cols, out = ins->in[1]->rows;
    const char *b = ins->nin > 2 ? ", b" : "";
    if (!unrolled(e, ins)) {
        emit_gemm_fwd(e, ins);
        return;
    }
    emit_open(e, "if (batch == 1)");
    emit_line(e, "%s_one(z, x, w%s);", kernel_name(e, ins), b);
    emit_line(e, "return;");
    emit_close(e);
    emit_line(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "    %s_one(z + (size_t)n * %d, x + (size_t)n * %d, w%s);", kernel_name(e, ins), out, in, b);
}

/* dx[n][i] = sum_o dz[n][o] * w[o][i] */
static void linear_dx(Emitter *e, const IrInstr *ins)
{
    int in = ins->in[1]->cols, out = ins->in[1]->rows;
    if (!unrolled(e, ins)) {
        emit_gemm_dx(e, ins);
        return;
    }
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "const %s *dzn = dz + (size_t)n * %d;", e->R, out);
    emit_line(e, "%s *dxn = dx + (size_t)n * %d;", e->R, in);
    for (int i = 0; i < in; i++) {
        Buf terms = {0};
        for (int o = 0; o < out; o++)
            buf_printf(&terms, "dzn[%d] * w[%d]|", o, o * in + i);
        emit_sum(e, arena_printf(e->a, "dxn[%d] %s ", i, assign(ins)), &terms);
        buf_free(&terms);
    }
    emit_close(e);
}

/* One block of `rows` weight rows from row o0 of an unrolled layer's dW: the
 * sums live in a local array across the batch loop (registers, not a
 * load-add-store through dw per sample), each added in sample order as the
 * plain loop would, so the numbers are the same. */
static void linear_dw_rows(Emitter *e, const IrInstr *ins, int o0, int rows)
{
    int in = ins->out->cols, out = ins->out->rows, m = rows * in;
    /* o0 < 0: the enclosing loop's variable o0 */
    const char *at = o0 < 0 ? arena_printf(e->a, "o0 * %d + ", in)
                   : o0 ? arena_printf(e->a, "%d + ", o0 * in) : "";
    emit_line(e, "%s a[%d];", e->R, m);
    if (ins->accumulate)
        emit_line(e, "for (int k = 0; k < %d; k++) a[k] = dw[%sk];", m, at);
    else
        emit_line(e, "for (int k = 0; k < %d; k++) a[k] = %s;", m, emit_real(e, 0));
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "const %s *dzn = dz + (size_t)n * %d%s;", e->R, out,
              o0 < 0 ? " + o0" : o0 ? arena_printf(e->a, " + %d", o0) : "");
    emit_line(e, "const %s *xn = x + (size_t)n * %d;", e->R, in);
    if (rows == 1) {
        emit_line(e, "for (int i = 0; i < %d; i++) a[i] += dzn[0] * xn[i];", in);
    } else {
        emit_open(e, "for (int r = 0; r < %d; r++)", rows);
        emit_line(e, "for (int i = 0; i < %d; i++) a[r * %d + i] += dzn[r] * xn[i];", in, in);
        emit_close(e);
    }
    emit_close(e);
    emit_line(e, "for (int k = 0; k < %d; k++) dw[%sk] = a[k];", m, at);
}

/* Rows from..out of dW in blocks of `per` rows: one block alone, or a loop over
 * the whole blocks (block's o0 < 0: the loop variable o0), then the rows left. */
static void dw_blocks(Emitter *e, const IrInstr *ins, int from, int per,
                      void (*block)(Emitter *, const IrInstr *, int o0, int rows))
{
    int out = ins->out->rows;
    if (per > out - from)
        per = out - from;
    int full = from + (out - from) / per * per;
    if (full == from + per) {
        emit_brace(e);
        block(e, ins, from, per);
        emit_close(e);
    } else {
        emit_open(e, "for (int o0 = %d; o0 < %d; o0 += %d)", from, full, per);
        block(e, ins, -1, per);
        emit_close(e);
    }
    if (full < out) {
        emit_brace(e);
        block(e, ins, full, out - full);
        emit_close(e);
    }
}

/* The portable dW: blocks of rows whose sums fit about 32 reals. */
static void linear_dw_portable(Emitter *e, const IrInstr *ins, int from)
{
    int in = ins->out->cols;
    dw_blocks(e, ins, from, in >= 32 ? 1 : 32 / in, linear_dw_rows);
}

/* AVX2 dW, x wide (in a multiple of the lanes): blocks of rb rows, each row's
 * sums in in / L vectors, one broadcast of dz per row and sample. */
static void linear_dw_rows_simd(Emitter *e, const IrInstr *ins, int o0, int rb)
{
    int in = ins->out->cols, out = ins->out->rows, L = e->dbl ? 4 : 8, nq = in / L;
    const char *V = e->dbl ? "__m256d" : "__m256", *S = e->dbl ? "pd" : "ps";
    const char *at = o0 < 0 ? "o0" : arena_printf(e->a, "%d", o0);
    emit_line(e, "%s c[%d];", V, rb * nq);
    emit_line(e, "for (int k = 0; k < %d; k++)", rb * nq);
    if (ins->accumulate)
        emit_line(e, "    c[k] = _mm256_loadu_%s(dw + (size_t)(%s + k / %d) * %d + (size_t)(k %% %d) * %d);",
                  S, at, nq, in, nq, L);
    else
        emit_line(e, "    c[k] = _mm256_setzero_%s();", S);
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "const %s *dzn = dz + (size_t)n * %d + %s, *xn = x + (size_t)n * %d;", e->R, out,
              at, in);
    emit_open(e, "for (int r = 0; r < %d; r++)", rb);
    emit_line(e, "const %s t = _mm256_set1_%s(dzn[r]);", V, S);
    emit_line(e, "for (int q = 0; q < %d; q++)", nq);
    emit_line(e, "    c[r * %d + q] = _mm256_fmadd_%s(t, _mm256_loadu_%s(xn + q * %d), c[r * %d + q]);",
              nq, S, S, L, nq);
    emit_close(e);
    emit_close(e);
    emit_line(e, "for (int k = 0; k < %d; k++)", rb * nq);
    emit_line(e, "    _mm256_storeu_%s(dw + (size_t)(%s + k / %d) * %d + (size_t)(k %% %d) * %d, c[k]);",
              S, at, nq, in, nq, L);
}

/* AVX2 dW, x narrow (in below the lanes): dW^T in blocks of rv vectors of L
 * rows, loaded straight from dz; one broadcast of x per input and sample. */
static void linear_dw_cols_simd(Emitter *e, const IrInstr *ins, int o0, int rv)
{
    int in = ins->out->cols, out = ins->out->rows, L = e->dbl ? 4 : 8;
    const char *V = e->dbl ? "__m256d" : "__m256", *S = e->dbl ? "pd" : "ps";
    const char *at = o0 < 0 ? "o0" : arena_printf(e->a, "%d", o0);
    emit_line(e, "%s c[%d], d[%d];", V, in * rv, rv);
    emit_line(e, "%s tmp[%d];", e->R, L);
    emit_open(e, "for (int k = 0; k < %d; k++)", in * rv);
    if (ins->accumulate) {
        emit_line(e, "for (int r = 0; r < %d; r++)", L);
        emit_line(e, "    tmp[r] = dw[(size_t)(%s + (k %% %d) * %d + r) * %d + (size_t)(k / %d)];", at,
                  rv, L, in, rv);
        emit_line(e, "c[k] = _mm256_loadu_%s(tmp);", S);
    } else {
        emit_line(e, "c[k] = _mm256_setzero_%s();", S);
    }
    emit_close(e);
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "const %s *dzn = dz + (size_t)n * %d + %s, *xn = x + (size_t)n * %d;", e->R, out,
              at, in);
    emit_line(e, "for (int v = 0; v < %d; v++) d[v] = _mm256_loadu_%s(dzn + v * %d);", rv, S, L);
    emit_open(e, "for (int i = 0; i < %d; i++)", in);
    emit_line(e, "const %s t = _mm256_set1_%s(xn[i]);", V, S);
    emit_line(e, "for (int v = 0; v < %d; v++) c[i * %d + v] = _mm256_fmadd_%s(t, d[v], c[i * %d + v]);",
              rv, rv, S, rv);
    emit_close(e);
    emit_close(e);
    emit_open(e, "for (int k = 0; k < %d; k++)", in * rv);
    emit_line(e, "_mm256_storeu_%s(tmp, c[k]);", S);
    emit_line(e, "for (int r = 0; r < %d; r++)", L);
    emit_line(e, "    dw[(size_t)(%s + (k %% %d) * %d + r) * %d + (size_t)(k / %d)] = tmp[r];", at, rv,
              L, in, rv);
    emit_close(e);
}

/* dw[o][i] = sum_n dz[n][o] * x[n][i]. With AVX2, vectors along x when it is
 * a whole number of vectors wide, else along the rows (dz) for as many rows as
 * fill whole vectors; the portable blocks do the rest and non-AVX2 builds. */
static void linear_dw(Emitter *e, const IrInstr *ins)
{
    int in = ins->out->cols, out = ins->out->rows, L = e->dbl ? 4 : 8;
    if (!unrolled(e, ins)) {
        emit_gemm_dw(e, ins);
        return;
    }
    bool wide = in % L == 0, narrow = in < L && out >= L;
    if (!wide && !narrow) {
        linear_dw_portable(e, ins, 0);
        return;
    }
    e->need_simd = true;
    emit_line(e, "#if defined(__AVX2__) && defined(__FMA__)");
    if (wide) {
        int nq = in / L;
        dw_blocks(e, ins, 0, nq >= 8 ? 1 : 8 / nq, linear_dw_rows_simd);
    } else {
        int nv = out / L, rv = in >= 8 ? 1 : 8 / in;
        if (rv > nv)
            rv = nv;
        int groups = nv / rv, done = groups * rv * L;
        if (groups == 1) {
            emit_brace(e);
            linear_dw_cols_simd(e, ins, 0, rv);
            emit_close(e);
        } else {
            emit_open(e, "for (int o0 = 0; o0 < %d; o0 += %d)", done, rv * L);
            linear_dw_cols_simd(e, ins, -1, rv);
            emit_close(e);
        }
        if (done < out)
            linear_dw_portable(e, ins, done);
    }
    emit_line(e, "#else");
    linear_dw_portable(e, ins, 0);
    emit_line(e, "#endif");
}

/* db[o] = sum_n dz[n][o] */
static void linear_db(Emitter *e, const IrInstr *ins)
{
    int out = ins->out->size;
    if (!ins->accumulate)
        emit_line(e, "for (int o = 0; o < %d; o++) db[o] = %s;", out, emit_real(e, 0));
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "for (int o = 0; o < %d; o++) db[o] += dz[(size_t)n * %d + (size_t)o];", out,
              out);
    emit_close(e);
}

/* ---- elementwise activations: y = f(z), dz = dy * f'(z) ---- */

/* Float sigmoid and tanh: 8 lanes at a time with the AVX2 versions of the fast
 * functions (the same bits as the scalar ones), the rest one by one. */
static bool act_fwd_vector(Emitter *e, const IrInstr *ins)
{
    if (!act_vector(e, ins))
        return false;
    const char *fn = ins->act == ACT_SIGMOID ? "sigmoid" : "tanhf";
    if (ins->act == ACT_SIGMOID)
        e->need_sigmoid = e->need_vsigmoid = true;
    else
        e->need_ftanh = e->need_vtanh = true;
    e->need_simd = true;
    emit_line(e, "int k = 0;");
    emit_line(e, "#if defined(__AVX512F__)");
    emit_line(e, "for (; k + 16 <= batch * %d; k += 16)", ins->out->size);
    emit_line(e, "    _mm512_storeu_ps(y + k, %s_%s16(_mm512_loadu_ps(z + k)));", e->p, fn);
    emit_line(e, "#endif");
    emit_line(e, "#if defined(__AVX2__) && defined(__FMA__)");
    emit_line(e, "for (; k + 8 <= batch * %d; k += 8)", ins->out->size);
    emit_line(e, "    _mm256_storeu_ps(y + k, %s_%s8(_mm256_loadu_ps(z + k)));", e->p, fn);
    emit_line(e, "#endif");
    emit_line(e, "for (; k < batch * %d; k++)", ins->out->size);
    emit_line(e, "    y[k] = %s_%s(z[k]);", e->p, fn);
    return true;
}

static void act_fwd(Emitter *e, const IrInstr *ins)
{
    const char *one = emit_real(e, 1), *zero = emit_real(e, 0);
    if (act_fwd_vector(e, ins))
        return;
    emit_open(e, "for (int k = 0; k < batch * %d; k++)", ins->out->size);
    emit_line(e, "const %s v = z[k];", e->R);
    switch (ins->act) {
    case ACT_STEP:
        emit_line(e, "y[k] = v >= %s ? %s : %s;", zero, one, zero);
        break;
    case ACT_SIGMOID:
        e->need_sigmoid = true;
        emit_line(e, "y[k] = %s_sigmoid(v);", e->p);
        break;
    case ACT_TANH:
        emit_line(e, "y[k] = %s(v);", emit_math(e, "tanh"));
        break;
    case ACT_RELU:
        emit_line(e, "y[k] = v > %s ? v : %s;", zero, zero);
        break;
    case ACT_LEAKY_RELU:
        emit_line(e, "y[k] = v > %s ? v : %s * v;", zero, emit_real(e, ins->alpha));
        break;
    case ACT_ELU:
        emit_line(e, "y[k] = v > %s ? v : %s * %s(v);", zero, emit_real(e, ins->alpha),
                  emit_math(e, "expm1"));
        break;
    case ACT_SOFTPLUS:  /* log(1 + e^v) without overflow */
        emit_line(e, "y[k] = (v > %s ? v : %s) + %s(%s(-%s(v)));", zero, zero,
                  emit_math(e, "log1p"), emit_math(e, "exp"), emit_math(e, "fabs"));
        break;
    default:
        internal_error("activation '%s' is not elementwise", act_names[ins->act]);
    }
    emit_close(e);
}

static void act_bwd(Emitter *e, const IrInstr *ins)
{
    const char *one = emit_real(e, 1), *zero = emit_real(e, 0), *op = assign(ins);
    if (ins->act == ACT_STEP) {     /* zero almost everywhere; undefined at the threshold */
        if (!ins->accumulate)
            emit_line(e, "for (int k = 0; k < batch * %d; k++) dz[k] = %s;", ins->out->size,
                      zero);
        emit_line(e, "(void)dy;");
        if (ins->accumulate) {
            emit_line(e, "(void)dz;");
            emit_line(e, "(void)batch;");
        }
        return;
    }
    emit_open(e, "for (int k = 0; k < batch * %d; k++)", ins->out->size);
    switch (ins->act) {
    case ACT_SIGMOID:
        emit_line(e, "dz[k] %s dy[k] * y[k] * (%s - y[k]);", op, one);
        break;
    case ACT_TANH:
        emit_line(e, "dz[k] %s dy[k] * (%s - y[k] * y[k]);", op, one);
        break;
    case ACT_RELU:      /* subgradient 0 at z = 0 */
        emit_line(e, "dz[k] %s z[k] > %s ? dy[k] : %s;", op, zero, zero);
        break;
    case ACT_LEAKY_RELU:
        emit_line(e, "dz[k] %s z[k] > %s ? dy[k] : %s * dy[k];", op, zero,
                  emit_real(e, ins->alpha));
        break;
    case ACT_ELU:       /* f'(z) = alpha e^z = y + alpha for z <= 0 */
        emit_line(e, "dz[k] %s z[k] > %s ? dy[k] : dy[k] * (y[k] + %s);", op, zero,
                  emit_real(e, ins->alpha));
        break;
    case ACT_SOFTPLUS:
        e->need_sigmoid = true;
        emit_line(e, "dz[k] %s dy[k] * %s_sigmoid(z[k]);", op, e->p);
        break;
    default:
        internal_error("activation '%s' is not elementwise", act_names[ins->act]);
    }
    emit_close(e);
}

/* ---- maxout: y[u] = max_j z[u*k + j]; the first maximal piece takes the gradient ---- */

static void maxout_fwd(Emitter *e, const IrInstr *ins)
{
    int units = ins->out->size, k = ins->pieces;
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_open(e, "for (int u = 0; u < %d; u++)", units);
    emit_line(e, "const %s *zu = z + (size_t)n * %d + (size_t)u * %d;", e->R, units * k, k);
    emit_line(e, "%s m = zu[0];", e->R);
    emit_line(e, "for (int j = 1; j < %d; j++) if (zu[j] > m) m = zu[j];", k);
    emit_line(e, "y[(size_t)n * %d + (size_t)u] = m;", units);
    emit_close(e);
    emit_close(e);
}

static void maxout_bwd(Emitter *e, const IrInstr *ins)
{
    int units = ins->fwd->out->size, k = ins->pieces;
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_open(e, "for (int u = 0; u < %d; u++)", units);
    emit_line(e, "const %s *zu = z + (size_t)n * %d + (size_t)u * %d;", e->R, units * k, k);
    emit_line(e, "%s *dzu = dz + (size_t)n * %d + (size_t)u * %d;", e->R, units * k, k);
    emit_line(e, "int best = 0;");
    emit_line(e, "for (int j = 1; j < %d; j++) if (zu[j] > zu[best]) best = j;", k);
    if (!ins->accumulate)
        emit_line(e, "for (int j = 0; j < %d; j++) dzu[j] = %s;", k, emit_real(e, 0));
    emit_line(e, "dzu[best] += dy[(size_t)n * %d + (size_t)u];", units);
    emit_close(e);
    emit_close(e);
}

/* ---- softmax over each sample ---- */

/* v[i] = exp(v[i]) for i < count (a C expression): 8 lanes at a time with
 * AVX2, the scalar function (the same bits) for the rest. Float only. */
static void emit_exp_in_place(Emitter *e, const char *v, const char *count)
{
    const char *exp = emit_math(e, "exp");
    e->need_simd = e->need_fexp8 = true;
    emit_line(e, "int i = 0;");
    emit_line(e, "#if defined(__AVX2__) && defined(__FMA__)");
    emit_line(e, "for (; i + 8 <= %s; i += 8)", count);
    emit_line(e, "    _mm256_storeu_ps(%s + i, %s8(_mm256_loadu_ps(%s + i)));", v, exp, v);
    emit_line(e, "#endif");
    emit_line(e, "for (; i < %s; i++)", count);
    emit_line(e, "    %s[i] = %s(%s[i]);", v, exp, v);
}

/* v[n][k] = exp(z[n][k] - max_k z[n][k]) over the batch, the exponentials
 * through emit_exp_in_place. Float only. */
static void emit_exp_shifted(Emitter *e, const char *v, int K)
{
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "const %s *zn = z + (size_t)n * %d;", e->R, K);
    emit_line(e, "%s m = zn[0];", e->R);
    emit_line(e, "for (int k = 1; k < %d; k++) if (zn[k] > m) m = zn[k];", K);
    emit_line(e, "for (int k = 0; k < %d; k++) %s[(size_t)n * %d + (size_t)k] = zn[k] - m;", K, v,
              K);
    emit_close(e);
    emit_exp_in_place(e, v, arena_printf(e->a, "batch * %d", K));
}

/* Whether one row's K exponentials go through one padded 8-lane vector
 * (exp_row_padded) rather than K scalar calls: float rows shorter than 8. */
static bool exp_row_vector(const Emitter *e, int K)
{
    return !e->dbl && K < 8;
}

/* ek[k] = exp(zn[k] - m) for k < K <= 8 in a local ek[8]: one 8-lane exp with
 * AVX2 (the scalar function's bits; the padding lanes are exp(0), unused), so
 * a single sample's exponentials are one vector, not K dependent calls. */
static void exp_row_padded(Emitter *e, int K)
{
    const char *exp = emit_math(e, "exp");
    e->need_simd = e->need_fexp8 = true;
    emit_line(e, "%s ek[8] = {0};", e->R);
    emit_line(e, "for (int k = 0; k < %d; k++) ek[k] = zn[k] - m;", K);
    emit_line(e, "#if defined(__AVX2__) && defined(__FMA__)");
    emit_line(e, "_mm256_storeu_ps(ek, %s8(_mm256_loadu_ps(ek)));", exp);
    emit_line(e, "#else");
    emit_line(e, "for (int k = 0; k < %d; k++) ek[k] = %s(ek[k]);", K, exp);
    emit_line(e, "#endif");
}

static void softmax_rows(Emitter *e, int K)
{
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "const %s *zn = z + (size_t)n * %d;", e->R, K);
    emit_line(e, "%s *yn = y + (size_t)n * %d;", e->R, K);
    emit_line(e, "%s m = zn[0], s = %s;", e->R, emit_real(e, 0));
    emit_line(e, "for (int k = 1; k < %d; k++) if (zn[k] > m) m = zn[k];", K);
    if (exp_row_vector(e, K)) {
        exp_row_padded(e, K);
        emit_line(e, "for (int k = 0; k < %d; k++) s += yn[k] = ek[k];", K);
    } else {
        emit_line(e, "for (int k = 0; k < %d; k++) s += yn[k] = %s(zn[k] - m);", K,
                  emit_math(e, "exp"));
    }
    emit_line(e, "for (int k = 0; k < %d; k++) yn[k] /= s;", K);
    emit_close(e);
}

/* Float: y = z - max of its row, exp over the whole batch 8 at a time, then
 * each row divided by its sum (the bits of softmax_rows). */
static void softmax_fwd(Emitter *e, const IrInstr *ins)
{
    int K = ins->out->size;
    if (e->dbl) {
        softmax_rows(e, K);
        return;
    }
    if (K < 8) {    /* fewer than 8 values: the extra passes would cost more */
        emit_open(e, "if (batch * %d < 8)", K);
        softmax_rows(e, K);
        emit_line(e, "return;");
        emit_close(e);
    }
    emit_exp_shifted(e, "y", K);
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "%s *yn = y + (size_t)n * %d, s = %s;", e->R, K, emit_real(e, 0));
    emit_line(e, "for (int k = 0; k < %d; k++) s += yn[k];", K);
    emit_line(e, "for (int k = 0; k < %d; k++) yn[k] /= s;", K);
    emit_close(e);
}

/* The dense layer whose softmax sm is the network's output, when NAME_forward
 * runs the two on one sample in registers (NAME_LAYER_softmax_one): float, 2
 * to 4 classes, an unrolled layer of whole-vector rows right before it. A
 * sample's logits went through memory twice, stored one by one and loaded as
 * one vector for the exponentials, a load that waited for those stores to
 * leave the core: iris 4-16-3 inference took a fifth longer. NULL otherwise. */
const IrInstr *emit_softmax_head(Emitter *e, const IrInstr *sm)
{
    const IrGraph *g = e->g;
    int K = sm->out->size;
    if (e->dbl || e->value_ptr || sm->op != IR_SOFTMAX || sm->out != g->output || K < 2 || K > 4)
        return NULL;
    for (int i = 1; i < g->nfwd; i++) {
        const IrInstr *lin = g->fwd[i - 1];
        if (g->fwd[i] != sm)
            continue;
        for (int j = i + 1; j < g->nfwd; j++)
            if (g->fwd[j]->op != IR_LOSS && g->fwd[j]->op != IR_REG)
                return NULL;
        bool fits = lin->op == IR_LINEAR && lin->out == sm->in[0] && unrolled(e, lin) &&
                    emit_linear_one_rows(e, lin);
        return fits ? lin : NULL;
    }
    return NULL;
}

/* NAME_LAYER_softmax_one(yn, xn, w[, b]) for emit_softmax_head: the layer's
 * sums as its one-sample function forms them, the bias, then the softmax's
 * steps in the order softmax_rows takes them, so the same bits (the padding
 * lanes are zeros, their exponentials unused). */
static void emit_softmax_one(Emitter *e, const IrInstr *lin, const IrInstr *sm)
{
    int K = sm->out->size;
    bool bias = lin->nin > 2;
    e->need_simd = e->need_fexp8 = true;
    emit_line(e, "#if defined(__AVX2__) && defined(__FMA__)");
    emit_line(e, "/* %s: dense %d -> %d and softmax (%s), one sample in registers */", owner(lin),
              lin->in[1]->cols, K, emit_where(e, lin->src));
    open_one_sample(e, kernel_name(e, sm), "yn", lin);
    emit_linear_one_sum(e, lin);
    const char *keep = "_mm_castsi128_ps(keep)";
    if (K < 4)
        emit_line(e, "const __m128i keep = _mm_setr_epi32(%s);   /* the %d classes' lanes */",
                  K == 2 ? "-1, -1, 0, 0" : "-1, -1, -1, 0", K);
    const char *zb = "z";
    if (bias)
        zb = K < 4 ? "_mm_add_ps(z, _mm_maskload_ps(b, keep))" : "_mm_add_ps(z, _mm_loadu_ps(b))";
    emit_line(e, "const __m128 zb = %s;", zb);
    emit_line(e, "__m128 m = zb;");
    for (int k = 1; k < K; k++)   /* m = zn[k] > m ? zn[k] : m, as maxss orders them */
        emit_line(e, "m = _mm_max_ss(_mm_shuffle_ps(zb, zb, %d), m);", k);
    emit_line(e, "m = _mm_shuffle_ps(m, m, 0);");
    const char *d = "_mm_sub_ps(zb, m)";
    if (K < 4)
        d = arena_printf(e->a, "_mm_and_ps(%s, %s)", d, keep);
    emit_line(e, "const __m128 d = %s;", d);
    emit_line(e, "const __m256 d8 = _mm256_insertf128_ps(_mm256_setzero_ps(), d, 0);");
    emit_line(e, "const __m128 ek = _mm256_castps256_ps128(%s_expf8(d8));", e->p);
    emit_line(e, "__m128 s = ek;   /* 0 + ek[0] is ek[0] */");
    for (int k = 1; k < K; k++)
        emit_line(e, "s = _mm_add_ss(s, _mm_shuffle_ps(ek, ek, %d));", k);
    const char *y = "_mm_div_ps(ek, _mm_shuffle_ps(s, s, 0))";
    if (K < 4)
        emit_line(e, "_mm_maskstore_ps(yn, keep, %s);", y);
    else
        emit_line(e, "_mm_storeu_ps(yn, %s);", y);
    emit_close(e);
    emit_line(e, "#endif");
    emit_blank(e);
}

/* dz = y * (dy - <dy, y>) */
static void softmax_bwd(Emitter *e, const IrInstr *ins)
{
    int K = ins->out->size;
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "const %s *yn = y + (size_t)n * %d, *dyn = dy + (size_t)n * %d;", e->R, K, K);
    emit_line(e, "%s dot = %s;", e->R, emit_real(e, 0));
    emit_line(e, "for (int k = 0; k < %d; k++) dot += dyn[k] * yn[k];", K);
    emit_line(e, "for (int k = 0; k < %d; k++) dz[(size_t)n * %d + (size_t)k] %s yn[k] * (dyn[k] - dot);",
              K, K, assign(ins));
    emit_close(e);
}

/* ---- inverted dropout: keep with probability 1 - p and scale by 1 / (1 - p) ---- */

static void dropout_fwd(Emitter *e, const IrInstr *ins)
{
    int size = ins->out->size;
    e->need_dropout = true;
    emit_open(e, "if (!train)");
    emit_line(e, "for (int k = 0; k < batch * %d; k++) y[k] = x[k];", size);
    emit_line(e, "return;");
    emit_close(e);
    emit_line(e, "const double p = %.17g;", ins->p);
    emit_line(e, "const %s scale = %s;   /* 1 / (1 - p) */", e->R, emit_real(e, 1.0 / (1.0 - ins->p)));
    emit_open(e, "for (int k = 0; k < batch * %d; k++)", size);
    emit_line(e, "const int keep = %s_dropout_keep(seed, %d, (unsigned long long)k, p);", e->p,
              ins->site);
    emit_line(e, "y[k] = keep ? x[k] * scale : %s;", emit_real(e, 0));
    emit_close(e);
}

static void dropout_bwd(Emitter *e, const IrInstr *ins)
{
    int size = ins->out->size;
    emit_line(e, "const double p = %.17g;", ins->p);
    emit_line(e, "const %s scale = %s;   /* 1 / (1 - p) */", e->R, emit_real(e, 1.0 / (1.0 - ins->p)));
    emit_open(e, "for (int k = 0; k < batch * %d; k++)", size);
    emit_line(e, "const int keep = %s_dropout_keep(seed, %d, (unsigned long long)k, p);", e->p,
              ins->site);
    emit_line(e, "dx[k] %s keep ? dy[k] * scale : %s;", assign(ins), emit_real(e, 0));
    emit_close(e);
}

/* ---- losses: the mean over the batch (and outputs), accumulated in double ---- */

/* Writes C for formula roots inside the current function body; returns each
 * root as a C expression. vars[i] is the C text for formula variable i. */
static const char **emit_formula(Emitter *e, const Expr *const *roots, int n,
                                 const char *const *vars)
{
    const char **out = arena_alloc(e->a, sizeof(char *) * (size_t)n);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        internal_error("open_memstream failed");
    expr_emit(f, 4 * e->indent, roots, n, vars, e->dbl, e->R, "t", out);
    fclose(f);
    buf_printf(e->cur, "%s", text);
    free(text);
    return out;
}

/* `(void)name;` for each formula input none of the roots reads (a formula may
 * ignore one: `loss l(y, t) = y * y`), so the kernel compiles -Wunused-parameter. */
static void void_unused(Emitter *e, const Expr *const *roots, int n, const char *const *names,
                        int nvars)
{
    for (int v = 0; v < nvars; v++) {
        bool used = false;
        for (int r = 0; r < n && !used; r++)
            used = expr_uses_var(roots[r], v);
        if (!used)
            emit_line(e, "(void)%s;", names[v]);
    }
}

/* A user-defined loss: f(y, t) per output, reduced by mean (or sum). */
static void custom_loss_fwd(Emitter *e, const IrInstr *ins)
{
    int K = ins->in[0]->size;
    const char *vars[2] = { "y[k]", "t[k]" };
    void_unused(e, &ins->formula, 1, (const char *const[]){ "y", "t" }, 2);
    emit_line(e, "double s = 0.0;");
    emit_open(e, "for (int k = 0; k < batch * %d; k++)", K);
    const char **v = emit_formula(e, &ins->formula, 1, vars);
    emit_line(e, "s += (double)(%s);", v[0]);
    emit_close(e);
    if (ins->sum)
        emit_line(e, "return s;");
    else
        emit_line(e, "return s / ((double)batch * %d);", K);
}

/* The value and the gradient in one pass, sharing subexpressions. */
static void custom_loss_bwd(Emitter *e, const IrInstr *ins)
{
    int K = ins->in[0]->size;
    const char *vars[2] = { "y[k]", "t[k]" };
    const Expr *roots[2] = { ins->formula, ins->deriv };
    void_unused(e, roots, 2, (const char *const[]){ ins->fused ? "z" : "y", "t" }, 2);
    emit_line(e, "double s = 0.0;");
    if (ins->sum)
        emit_line(e, "(void)batch;");
    else
        emit_line(e, "const %s inv = %s / (%s)(batch * %d);", e->R, emit_real(e, 1), e->R, K);
    emit_open(e, "for (int k = 0; k < batch * %d; k++)", K);
    const char **v = emit_formula(e, roots, 2, vars);
    emit_line(e, "s += (double)(%s);", v[0]);
    emit_line(e, "dy[k] %s (%s)%s;", assign(ins), v[1], ins->sum ? "" : " * inv");
    emit_close(e);
    if (ins->sum)
        emit_line(e, "return s;");
    else
        emit_line(e, "return s / ((double)batch * %d);", K);
}

static void loss_fwd(Emitter *e, const IrInstr *ins)
{
    int K = ins->in[0]->size;
    if (ins->formula) {
        custom_loss_fwd(e, ins);
        return;
    }
    emit_line(e, "double s = 0.0;");
    switch (ins->loss) {
    case LOSS_MSE:      /* 1/2 mean (y - t)^2 */
        emit_open(e, "for (int k = 0; k < batch * %d; k++)", K);
        emit_line(e, "const double d = (double)y[k] - (double)t[k];");
        emit_line(e, "s += d * d;");
        emit_close(e);
        emit_line(e, "return s / (2.0 * batch * %d);", K);
        break;
    case LOSS_MAE:      /* mean |y - t| */
        emit_line(e, "for (int k = 0; k < batch * %d; k++) s += fabs((double)y[k] - (double)t[k]);", K);
        emit_line(e, "return s / ((double)batch * %d);", K);
        break;
    case LOSS_BCE:      /* from the logit: max(z, 0) - z t + log(1 + e^-|z|) */
        emit_open(e, "for (int k = 0; k < batch * %d; k++)", K);
        emit_line(e, "const double v = (double)z[k];");
        emit_line(e, "s += (v > 0.0 ? v : 0.0) - v * (double)t[k] + log1p(exp(-fabs(v)));");
        emit_close(e);
        emit_line(e, "return s / ((double)batch * %d);", K);
        break;
    case LOSS_CROSS_ENTROPY:    /* sum_k t_k (logsumexp(z) - z_k), mean over samples */
        emit_open(e, "for (int n = 0; n < batch; n++)");
        emit_line(e, "const %s *zn = z + (size_t)n * %d, *tn = t + (size_t)n * %d;", e->R, K, K);
        emit_line(e, "double m = (double)zn[0], se = 0.0;");
        emit_line(e, "for (int k = 1; k < %d; k++) if ((double)zn[k] > m) m = (double)zn[k];", K);
        emit_line(e, "for (int k = 0; k < %d; k++) se += exp((double)zn[k] - m);", K);
        emit_line(e, "const double lse = m + log(se);");
        emit_line(e, "for (int k = 0; k < %d; k++) s += (double)tn[k] * (lse - (double)zn[k]);", K);
        emit_close(e);
        emit_line(e, "return s / (double)batch;");
        break;
    case LOSS_HINGE:    /* mean max(0, 1 - t y), t in {-1, +1} */
        emit_open(e, "for (int k = 0; k < batch * %d; k++)", K);
        emit_line(e, "const double m = 1.0 - (double)t[k] * (double)y[k];");
        emit_line(e, "s += m > 0.0 ? m : 0.0;");
        emit_close(e);
        emit_line(e, "return s / ((double)batch * %d);", K);
        break;
    default:
        internal_error("loss '%s' has no forward", loss_names[ins->loss]);
    }
}

/* The training step's loss: its value and its gradient in one pass (the value is
 * accumulated in double), so nothing is computed twice. */
/* Cross-entropy backward one row at a time: the loss sum into s, dz (op: = or
 * +=) = (softmax(z) sum(t) - t) * inv. */
static void cross_entropy_bwd_rows(Emitter *e, const char *op, int K)
{
    const char *zero = emit_real(e, 0);
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "const %s *zn = z + (size_t)n * %d, *tn = t + (size_t)n * %d;", e->R, K, K);
    emit_line(e, "%s *dzn = dz + (size_t)n * %d;", e->R, K);
    emit_line(e, "%s m = zn[0], se = %s, st = %s, tz = %s;", e->R, zero, zero, zero);
    emit_line(e, "for (int k = 1; k < %d; k++) if (zn[k] > m) m = zn[k];", K);
    bool vec = exp_row_vector(e, K);
    if (vec)
        exp_row_padded(e, K);
    else
        emit_line(e, "%s ek[%d];", e->R, K);
    emit_open(e, "for (int k = 0; k < %d; k++)", K);
    if (!vec)
        emit_line(e, "ek[k] = %s(zn[k] - m);", emit_math(e, "exp"));
    emit_line(e, "se += ek[k];");
    emit_line(e, "st += tn[k];");
    emit_line(e, "tz += tn[k] * zn[k];");
    emit_close(e);
    emit_line(e, "s += (double)st * (double)(m + %s(se)) - (double)tz;", emit_math(e, "log"));
    emit_line(e, "for (int k = 0; k < %d; k++) dzn[k] %s (ek[k] / se * st - tn[k]) * inv;", K, op);
    emit_close(e);
}

/* Float cross-entropy backward with its exponentials 8 at a time over the
 * whole batch: dz first holds z - max of its row, then exp of that (the same
 * values and sums as one row at a time, so the same bits), then the gradient.
 * Written only where dz is not accumulated into. */
static bool cross_entropy_bwd_vector(Emitter *e, const IrInstr *ins, int K)
{
    if (e->dbl || ins->accumulate)
        return false;
    const char *zero = emit_real(e, 0);
    if (K < 8) {    /* fewer than 8 values: the extra passes would cost more */
        emit_open(e, "if (batch * %d < 8)", K);
        cross_entropy_bwd_rows(e, "=", K);
        emit_line(e, "return s / (double)batch;");
        emit_close(e);
    }
    emit_exp_shifted(e, "dz", K);
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "const %s *zn = z + (size_t)n * %d, *tn = t + (size_t)n * %d;", e->R, K, K);
    emit_line(e, "%s *dzn = dz + (size_t)n * %d;", e->R, K);
    emit_line(e, "%s m = zn[0], se = %s, st = %s, tz = %s;", e->R, zero, zero, zero);
    emit_line(e, "for (int k = 1; k < %d; k++) if (zn[k] > m) m = zn[k];", K);
    emit_open(e, "for (int k = 0; k < %d; k++)", K);
    emit_line(e, "se += dzn[k];");
    emit_line(e, "st += tn[k];");
    emit_line(e, "tz += tn[k] * zn[k];");
    emit_close(e);
    emit_line(e, "s += (double)st * (double)(m + %s(se)) - (double)tz;", emit_math(e, "log"));
    emit_line(e, "for (int k = 0; k < %d; k++) dzn[k] = (dzn[k] / se * st - tn[k]) * inv;", K);
    emit_close(e);
    emit_line(e, "return s / (double)batch;");
    return true;
}

static void loss_bwd(Emitter *e, const IrInstr *ins)
{
    int K = ins->in[0]->size;
    if (ins->formula) {
        custom_loss_bwd(e, ins);
        return;
    }
    const char *op = assign(ins), *zero = emit_real(e, 0), *one = emit_real(e, 1);
    bool per_sample = ins->loss == LOSS_CROSS_ENTROPY;
    emit_line(e, "double s = 0.0;");
    emit_line(e, "const %s inv = %s / (%s)(batch%s);", e->R, one, e->R,
              per_sample ? "" : arena_printf(e->a, " * %d", K));
    switch (ins->loss) {
    case LOSS_MSE:
        emit_open(e, "for (int k = 0; k < batch * %d; k++)", K);
        emit_line(e, "const %s d = y[k] - t[k];", e->R);
        emit_line(e, "s += (double)d * (double)d;");
        emit_line(e, "dy[k] %s d * inv;", op);
        emit_close(e);
        emit_line(e, "return s / (2.0 * batch * %d);", K);
        break;
    case LOSS_MAE:      /* subgradient 0 where y = t */
        emit_open(e, "for (int k = 0; k < batch * %d; k++)", K);
        emit_line(e, "const %s d = y[k] - t[k];", e->R);
        emit_line(e, "s += fabs((double)d);");
        emit_line(e, "dy[k] %s (d > %s ? inv : d < %s ? -inv : %s);", op, zero, zero, zero);
        emit_close(e);
        emit_line(e, "return s / ((double)batch * %d);", K);
        break;
    case LOSS_BCE:      /* e = exp(-|z|): sigmoid and log(1 + e^-|z|) share it */
        emit_open(e, "for (int k = 0; k < batch * %d; k++)", K);
        emit_line(e, "const %s v = z[k], ev = %s(-%s(v));", e->R, emit_math(e, "exp"),
                  emit_math(e, "fabs"));
        emit_line(e, "s += (double)((v > %s ? v : %s) - v * t[k] + %s(ev));", zero, zero,
                  emit_math(e, "log1p"));
        emit_line(e, "dz[k] %s ((v >= %s ? %s : ev) / (%s + ev) - t[k]) * inv;", op, zero, one, one);
        emit_close(e);
        emit_line(e, "return s / ((double)batch * %d);", K);
        break;
    case LOSS_CROSS_ENTROPY:    /* sum_k t_k (logsumexp(z) - z_k); dz = softmax(z) sum(t) - t */
        if (cross_entropy_bwd_vector(e, ins, K))
            break;
        cross_entropy_bwd_rows(e, op, K);
        emit_line(e, "return s / (double)batch;");
        break;
    case LOSS_HINGE:    /* subgradient 0 at the hinge t y = 1 */
        emit_open(e, "for (int k = 0; k < batch * %d; k++)", K);
        emit_line(e, "const %s margin = %s - t[k] * y[k];", e->R, one);
        emit_line(e, "s += margin > %s ? (double)margin : 0.0;", zero);
        emit_line(e, "dy[k] %s margin > %s ? -t[k] * inv : %s;", op, zero, zero);
        emit_close(e);
        emit_line(e, "return s / ((double)batch * %d);", K);
        break;
    default:
        internal_error("loss '%s' has no backward", loss_names[ins->loss]);
    }
}

/* ---- regularizers on one weight tensor ---- */

static void reg_fwd(Emitter *e, const IrInstr *ins)
{
    int size = ins->in[0]->size;
    emit_line(e, "double s = 0.0;");
    if (ins->reg == REG_L1) {
        emit_line(e, "for (int k = 0; k < %d; k++) s += fabs((double)w[k]);", size);
        emit_line(e, "return %.17g * s;", ins->lambda);
    } else {
        emit_line(e, "for (int k = 0; k < %d; k++) s += (double)w[k] * (double)w[k];", size);
        emit_line(e, "return %.17g * s;", ins->lambda / 2);
    }
}

static void reg_bwd(Emitter *e, const IrInstr *ins)
{
    int size = ins->out->size;
    const char *zero = emit_real(e, 0);
    emit_line(e, "const %s lambda = %s;", e->R, emit_real(e, ins->lambda));
    emit_open(e, "for (int k = 0; k < %d; k++)", size);
    if (ins->reg == REG_L1)     /* subgradient 0 at w = 0 */
        emit_line(e, "dw[k] %s w[k] > %s ? lambda : w[k] < %s ? -lambda : %s;", assign(ins), zero,
                  zero, zero);
    else
        emit_line(e, "dw[k] %s lambda * w[k];", assign(ins));
    emit_close(e);
}

/* ---- formulas: y = f(x0, x1, ...) elementwise; size-1 inputs broadcast ---- */

/* The C text of each formula input at element k of sample n. */
static const char **formula_vars(Emitter *e, const IrInstr *ins, int first, int size)
{
    int nvars = ins->nin - first;
    const char **vars = arena_alloc(e->a, sizeof(char *) * (size_t)(nvars + 1));
    for (int i = 0; i < nvars; i++)
        vars[i] = arena_printf(e->a, ins->in[first + i]->size == size && size > 1 ? "%s[k]" : "%s[n]",
                               input_name(i));
    return vars;
}

static void expr_fwd(Emitter *e, const IrInstr *ins)
{
    int size = ins->out->size;
    const char **vars = formula_vars(e, ins, 0, size);
    const char **names = arena_alloc(e->a, sizeof(char *) * (size_t)(ins->nin + 1));
    for (int i = 0; i < ins->nin; i++)
        names[i] = input_name(i);
    void_unused(e, &ins->formula, 1, names, ins->nin);
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_open(e, "for (int i = 0; i < %d; i++)", size);
    emit_line(e, "const size_t k = (size_t)n * %d + (size_t)i;", size);
    if (size == 1)
        emit_line(e, "(void)k;");
    const char **v = emit_formula(e, &ins->formula, 1, vars);
    emit_line(e, "y[k] = %s;", v[0]);
    emit_close(e);
    emit_close(e);
}

/* dx = dy * df/dx; an input broadcast over the outputs sums its share. */
static void expr_bwd(Emitter *e, const IrInstr *ins)
{
    int size = ins->fwd->out->size;
    bool broadcast = ins->out->size == 1 && size > 1;
    const char **vars = formula_vars(e, ins, 1, size);
    emit_open(e, "for (int n = 0; n < batch; n++)");
    if (broadcast)
        emit_line(e, "%s acc = %s;", e->R, emit_real(e, 0));
    emit_open(e, "for (int i = 0; i < %d; i++)", size);
    emit_line(e, "const size_t k = (size_t)n * %d + (size_t)i;", size);
    const char **v = emit_formula(e, &ins->deriv, 1, vars);
    if (broadcast)
        emit_line(e, "acc += dy[k] * (%s);", v[0]);
    else
        emit_line(e, "dx[k] %s dy[k] * (%s);", assign(ins), v[0]);
    emit_close(e);
    if (broadcast)
        emit_line(e, "dx[n] %s acc;", assign(ins));
    emit_close(e);
}

/* ---- concat and slices ---- */

static void concat_fwd(Emitter *e, const IrInstr *ins)
{
    int size = ins->out->size, off = 0;
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "%s *yn = y + (size_t)n * %d;", e->R, size);
    for (int i = 0; i < ins->nin; i++) {
        int k = ins->in[i]->size;
        emit_line(e, "for (int j = 0; j < %d; j++) yn[%d + j] = %s[(size_t)n * %d + (size_t)j];",
                  k, off, input_name(i), k);
        off += k;
    }
    emit_close(e);
}

static void concat_bwd(Emitter *e, const IrInstr *ins)
{
    int size = ins->out->size, whole = ins->fwd->out->size;
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "for (int j = 0; j < %d; j++) dx[(size_t)n * %d + (size_t)j] %s "
                 "dy[(size_t)n * %d + %d + (size_t)j];", size, size, assign(ins), whole, ins->lo);
    emit_close(e);
}

static void slice_fwd(Emitter *e, const IrInstr *ins)
{
    int size = ins->out->size, from = ins->in[0]->size;
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "for (int j = 0; j < %d; j++) y[(size_t)n * %d + (size_t)j] = "
                 "x[(size_t)n * %d + %d + (size_t)j];", size, size, from, ins->lo);
    emit_close(e);
}

static void slice_bwd(Emitter *e, const IrInstr *ins)
{
    int size = ins->fwd->out->size, from = ins->out->size;
    if (!ins->accumulate)
        emit_line(e, "for (int k = 0; k < batch * %d; k++) dx[k] = %s;", from, emit_real(e, 0));
    emit_open(e, "for (int n = 0; n < batch; n++)");
    emit_line(e, "for (int j = 0; j < %d; j++) dx[(size_t)n * %d + %d + (size_t)j] += "
                 "dy[(size_t)n * %d + (size_t)j];", size, from, ins->lo, size);
    emit_close(e);
}

/* The spec name an instruction belongs to: the layer (or input) of its statement. */
static const char *owner(const IrInstr *f)
{
    if (f->src && f->src->name)
        return f->src->name;
    if (!f->src)
        return f->out->name;
    return f->op == IR_DROPOUT ? f->in[0]->name : f->out->name;
}

/* The one-line comment above a kernel: spec name, what it computes, spec line. */
static const char *describe(Emitter *e, const IrInstr *ins)
{
    const IrInstr *f = is_backward(ins) ? ins->fwd : ins;
    const char *where = emit_where(e, f->src), *who = owner(f), *op = assign(ins);
    Arena *a = e->a;
    int in = f->op == IR_LINEAR ? f->in[1]->cols : 0, out = f->op == IR_LINEAR ? f->in[1]->rows : 0;
    switch (ins->op) {
    case IR_LINEAR:
        return arena_printf(a, "%s: dense %d -> %d (%s)  z = x W^T%s, W is [%d][%d]", who, in, out,
                            where, f->nin > 2 ? " + b" : "", out, in);
    case IR_LINEAR_DX: return arena_printf(a, "%s backward (%s)  dx %s dz W", who, where, op);
    case IR_LINEAR_DW: return arena_printf(a, "%s backward (%s)  dW %s dz^T x", who, where, op);
    case IR_LINEAR_DB:
        return arena_printf(a, "%s backward (%s)  db %s sum over the batch of dz", who, where, op);
    case IR_ACT:
    case IR_MAXOUT:
    case IR_SOFTMAX:
        return arena_printf(a, "%s: %s over %d values (%s)", who, act_names[f->act],
                            f->in[0]->size, where);
    case IR_ACT_BWD:
    case IR_MAXOUT_BWD:
    case IR_SOFTMAX_BWD:
        return arena_printf(a, "%s: %s backward (%s)  dz %s dy * f'", who, act_names[f->act],
                            where, op);
    case IR_DROPOUT:
        return arena_printf(a, "%s: inverted dropout, p = %g (%s)", who, f->p, where);
    case IR_DROPOUT_BWD:
        return arena_printf(a, "%s: dropout backward with the forward mask (%s)", who, where);
    case IR_LOSS:
        return arena_printf(a, "loss %s%s, %s over the batch (%s)",
                            f->name ? f->name : loss_names[f->loss],
                            f->fused ? " from the output logit" : "", f->sum ? "sum" : "mean",
                            where);
    case IR_LOSS_BWD:
        return arena_printf(a, "loss %s and its gradient, for training (%s)",
                            f->name ? f->name : loss_names[f->loss], where);
    case IR_EXPR:
        return arena_printf(a, "%s: %s, elementwise over %d values (%s)", who,
                            f->name ? f->name : "formula", f->out->size, where);
    case IR_EXPR_BWD:
        return arena_printf(a, "%s backward (%s)  d(input %d) %s dy * df/d(input %d)", who, where,
                            ins->var, op, ins->var);
    case IR_CONCAT:
        return arena_printf(a, "%s: concat of %d values into %d (%s)", who, f->nin, f->out->size,
                            where);
    case IR_CONCAT_BWD:
        return arena_printf(a, "%s backward (%s)  part %s dy[%d:]", who, where, op, ins->lo);
    case IR_SLICE:
        return arena_printf(a, "%s: slice [%d:%d] of %s (%s)", who, f->lo, f->lo + f->out->size,
                            f->in[0]->name, where);
    case IR_SLICE_BWD:
        return arena_printf(a, "%s backward (%s)  dx[%d:] += dy", who, where, ins->lo);
    case IR_REG:
    case IR_REG_BWD:
        return arena_printf(a, "%s %s on %s, lambda %g (%s)", f->reg == REG_L1 ? "l1" : "l2",
                            is_backward(ins) ? "gradient" : "penalty", f->in[0]->name, f->lambda,
                            where);
    }
    return "";
}

void emit_kernel(Emitter *e, const IrInstr *ins)
{
    if (absorbed(e, ins))
        return;
    Sig s = signature(e, ins);
    emit_section(e, is_backward(ins) ? SEC_BACKWARD : SEC_FORWARD);
    if (ins->op == IR_LINEAR && unrolled(e, ins))
        emit_linear_one(e, ins);
    emit_line(e, "/* %s */", describe(e, ins));
    const IrInstr *relu = ins->op == IR_LINEAR ? emit_fused_relu(e, ins)
                        : ins->op == IR_LINEAR_DX ? emit_fused_relu_bwd(e, ins) : NULL;
    if (relu)
        emit_line(e, "/* with %s: %s */", describe(e, relu),
                  ins->op == IR_LINEAR ? "y = z > 0 ? z : 0 in the epilogue"
                                       : "dx is its dz, 0 where z <= 0");
    open_kernel(e, ins, &s);
    switch (ins->op) {
    case IR_LINEAR: linear_fwd(e, ins); break;
    case IR_LINEAR_DX: linear_dx(e, ins); break;
    case IR_LINEAR_DW: linear_dw(e, ins); break;
    case IR_LINEAR_DB: linear_db(e, ins); break;
    case IR_ACT: act_fwd(e, ins); break;
    case IR_ACT_BWD: act_bwd(e, ins); break;
    case IR_MAXOUT: maxout_fwd(e, ins); break;
    case IR_MAXOUT_BWD: maxout_bwd(e, ins); break;
    case IR_SOFTMAX: softmax_fwd(e, ins); break;
    case IR_SOFTMAX_BWD: softmax_bwd(e, ins); break;
    case IR_DROPOUT: dropout_fwd(e, ins); break;
    case IR_DROPOUT_BWD: dropout_bwd(e, ins); break;
    case IR_LOSS: loss_fwd(e, ins); break;
    case IR_LOSS_BWD: loss_bwd(e, ins); break;
    case IR_REG: reg_fwd(e, ins); break;
    case IR_REG_BWD: reg_bwd(e, ins); break;
    case IR_EXPR: expr_fwd(e, ins); break;
    case IR_EXPR_BWD: expr_bwd(e, ins); break;
    case IR_CONCAT: concat_fwd(e, ins); break;
    case IR_CONCAT_BWD: concat_bwd(e, ins); break;
    case IR_SLICE: slice_fwd(e, ins); break;
    case IR_SLICE_BWD: slice_bwd(e, ins); break;
    }
    emit_close(e);
    emit_blank(e);
    const IrInstr *head = ins->op == IR_SOFTMAX ? emit_softmax_head(e, ins) : NULL;
    if (head)
        emit_softmax_one(e, head, ins);
    if (emit_dw_step_fused(e, ins))
        emit_dw_step_kernel(e, ins);
}

/* Whether weight gradient dw (an IR_LINEAR_DW) is a blocked layer's, whose
 * tiles of 6 and 12 rows copy dz^T into the packing scratch first (emit_gemm.c)
 * and so take it as argument pk. Training build only. */
bool emit_dw_packs(const Emitter *e, const IrInstr *dw)
{
    return !e->value_ptr && e->g->pack && dw->op == IR_LINEAR_DW &&
           emit_gemm_has_tiles(e, dw->out->rows, dw->out->cols) && !unrolled(e, dw);
}

/* ---- a blocked layer's weight gradient taken straight into the SGD step ---- */

/* Whether NAME_sgd_step takes weight gradient dw (an IR_LINEAR_DW of a blocked
 * layer) straight into its update through NAME_LAYER_linear_dw_step, the
 * gradient never stored: dw is the gradient's only writer, and no instruction
 * after it reads the weights or their gradient (a penalty's gradient adds in
 * after it, so a regularized layer keeps the separate update). A batch of 1
 * has its own one-sample update instead (emit_model.c). Training build only. */
bool emit_dw_step_fused(const Emitter *e, const IrInstr *dw)
{
    const IrGraph *g = e->g;
    if (e->value_ptr || dw->op != IR_LINEAR_DW || dw->accumulate || unrolled(e, dw))
        return false;
    const IrValue *w = dw->out->grad_of;
    bool after = false;
    for (int i = 0; i < g->nbwd; i++) {
        const IrInstr *b = g->bwd[i];
        if (b == dw) {
            after = true;
            continue;
        }
        bool uses = b->out == dw->out;
        for (int k = 0; k < b->nin; k++)
            uses |= b->in[k] == w || b->in[k] == dw->out;
        if (uses && (after || b->out == dw->out))
            return false;
    }
    return true;
}

static void emit_dw_step_kernel(Emitter *e, const IrInstr *dw)
{
    emit_line(e, "/* %s, taken into the SGD step: w -= lr * dW */", describe(e, dw));
    const char *items[] = {
        arena_printf(e->a, "%s *restrict w", e->R),
        arena_printf(e->a, "const %s *restrict dz", e->R),
        arena_printf(e->a, "const %s *restrict x", e->R),
        "int batch",
        arena_printf(e->a, "%s lr", e->R),
        arena_printf(e->a, "%s *restrict pk", e->R)
    };
    emit_list(e, arena_printf(e->a, "static void %s_step", kernel_name(e, dw)), items,
              emit_dw_packs(e, dw) ? 6 : 5, ")");
    emit_brace(e);
    emit_gemm_dw_step(e, dw);
    emit_close(e);
    emit_blank(e);
}

void emit_dw_step_call(Emitter *e, const IrInstr *dw, const char *batch)
{
    const IrValue *w = dw->out->grad_of;
    bool packs = emit_dw_packs(e, dw);
    const char *items[] = {
        arena_printf(e->a, "params + %zu", w->offset), emit_value_ptr(e, dw->in[0], batch),
        emit_value_ptr(e, dw->in[1], batch), batch, "lr",
        packs ? emit_value_ptr(e, e->g->pack, batch) : NULL
    };
    emit_line(e, "/* %s -= lr * its gradient, never stored */", emit_comment_safe(e, w->name));
    emit_list(e, arena_printf(e->a, "%s_step", kernel_name(e, dw)), items, packs ? 6 : 5, ");");
}
