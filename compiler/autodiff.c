/* autodiff.c: reverse-mode differentiation of the forward IR. Runs after
 * shape.c. Walks the forward instructions in reverse and appends, for each one
 * whose output has a gradient, the instructions that push that gradient to its
 * inputs. The first write to a gradient overwrites it and later writes add to it,
 * so a value with several consumers (a weight used by its layer and by an L2
 * term) sums its gradient contributions. Each op's rule sits in one case below;
 * docs/ops.md states the same math. */
#include "ir.h"

typedef struct {
    Arena *a;
    IrGraph *g;
    const IrInstr *fwd;     /* the forward instruction being differentiated */
} Ad;

/* The gradient value of v, created on first use; NULL when v needs no gradient. */
static IrValue *grad_of(Ad *ad, IrValue *v)
{
    if (!v->needs_grad)
        return NULL;
    if (!v->grad) {
        IrValueKind k = v->kind == VAL_PARAM ? VAL_PARAM_GRAD : VAL_ACT_GRAD;
        IrValue *gv = ir_new_value(ad->a, ad->g, k, arena_printf(ad->a, "d(%s)", v->name),
                                   v->size);
        gv->rows = v->rows;
        gv->cols = v->cols;
        gv->grad_of = v;
        v->grad = gv;
    }
    return v->grad;
}

/* Appends one backward instruction writing d(target); NULL if target needs none. */
static IrInstr *emit_bwd(Ad *ad, IrOp op, IrValue *target, const char *suffix)
{
    IrValue *gv = grad_of(ad, target);
    if (!gv)
        return NULL;
    IrInstr *ins = ir_add_bwd(ad->a, ad->g, op, gv, ad->fwd->src);
    ins->accumulate = gv->grad_writers++ > 0;
    ins->fwd = (IrInstr *)ad->fwd;
    ins->act = ad->fwd->act;
    ins->alpha = ad->fwd->alpha;
    ins->pieces = ad->fwd->pieces;
    ins->p = ad->fwd->p;
    ins->site = ad->fwd->site;
    ins->loss = ad->fwd->loss;
    ins->fused = ad->fwd->fused;
    ins->reg = ad->fwd->reg;
    ins->lambda = ad->fwd->lambda;
    ins->formula = ad->fwd->formula;
    ins->sum = ad->fwd->sum;
    ins->name = ad->fwd->name;
    ins->lo = ad->fwd->lo;
    ins->label = arena_printf(ad->a, "%s_%s", ad->fwd->label, suffix);
    return ins;
}

static void add_inputs(Ad *ad, IrInstr *ins, IrValue *a, IrValue *b, IrValue *c)
{
    if (!ins)
        return;
    ir_add_input(ad->a, ins, a);
    if (b)
        ir_add_input(ad->a, ins, b);
    if (c)
        ir_add_input(ad->a, ins, c);
}

/* A formula's inputs each get dy times the formula's partial derivative. */
static void differentiate_expr(Ad *ad, const IrInstr *f)
{
    for (int i = 0; i < f->nin; i++) {
        IrInstr *ins = emit_bwd(ad, IR_EXPR_BWD, f->in[i], arena_printf(ad->a, "d%d", i));
        if (!ins)
            continue;
        ins->var = i;
        ins->deriv = expr_diff(ad->g->exprs, f->formula, i);
        ir_add_input(ad->a, ins, f->out->grad);
        for (int j = 0; j < f->nin; j++)
            ir_add_input(ad->a, ins, f->in[j]);
    }
}

/* Each part of a concat gets its slice of dy. */
static void differentiate_concat(Ad *ad, const IrInstr *f)
{
    int offset = 0;
    for (int i = 0; i < f->nin; i++) {
        IrInstr *ins = emit_bwd(ad, IR_CONCAT_BWD, f->in[i], arena_printf(ad->a, "d%d", i));
        if (ins) {
            ins->lo = offset;
            ir_add_input(ad->a, ins, f->out->grad);
        }
        offset += f->in[i]->size;
    }
}

static void differentiate(Ad *ad, const IrInstr *f)
{
    IrValue *x = f->in[0], *y = f->out, *dy = y->grad;
    switch (f->op) {
    case IR_LINEAR:     /* y = x W^T + b:  dx = dy W,  dW = dy^T x,  db = sum_n dy */
        add_inputs(ad, emit_bwd(ad, IR_LINEAR_DX, x, "dx"), dy, f->in[1], NULL);
        add_inputs(ad, emit_bwd(ad, IR_LINEAR_DW, f->in[1], "dw"), dy, x, NULL);
        if (f->nin > 2)
            add_inputs(ad, emit_bwd(ad, IR_LINEAR_DB, f->in[2], "db"), dy, NULL, NULL);
        break;
    case IR_ACT:        /* dx = dy * f'(x), from x or the saved y */
        add_inputs(ad, emit_bwd(ad, IR_ACT_BWD, x, "bwd"), dy, x, y);
        break;
    case IR_MAXOUT:     /* the winning piece takes dy */
        add_inputs(ad, emit_bwd(ad, IR_MAXOUT_BWD, x, "bwd"), dy, x, NULL);
        break;
    case IR_SOFTMAX:    /* dx = y * (dy - <dy, y>) */
        add_inputs(ad, emit_bwd(ad, IR_SOFTMAX_BWD, x, "bwd"), dy, y, NULL);
        break;
    case IR_DROPOUT:    /* the same mask as forward */
        add_inputs(ad, emit_bwd(ad, IR_DROPOUT_BWD, x, "bwd"), dy, NULL, NULL);
        break;
    case IR_LOSS: {     /* the loss is a term of the total: its own gradient is 1 */
        IrInstr *ins = emit_bwd(ad, IR_LOSS_BWD, x, "bwd");
        add_inputs(ad, ins, x, f->in[1], NULL);
        if (ins && f->formula)
            ins->deriv = expr_diff(ad->g->exprs, f->formula, 0);
        break;
    }
    case IR_EXPR:
        differentiate_expr(ad, f);
        break;
    case IR_CONCAT:
        differentiate_concat(ad, f);
        break;
    case IR_SLICE:      /* dy lands in the sliced range; the rest gets 0 */
        add_inputs(ad, emit_bwd(ad, IR_SLICE_BWD, x, "bwd"), dy, NULL, NULL);
        break;
    case IR_REG:
        add_inputs(ad, emit_bwd(ad, IR_REG_BWD, x, "bwd"), x, NULL, NULL);
        break;
    default:
        internal_error("no derivative rule for '%s'", ir_op_name(f->op));
    }
}

/* Scalars (loss terms) are summed into the total loss, so they always propagate;
 * other values propagate only when something downstream gave them a gradient. */
static bool has_gradient(const IrInstr *f)
{
    return f->out->kind == VAL_SCALAR || f->out->grad != NULL;
}

/* A blocked layer's weight gradient dW = dz^T x broadcasts dz down its columns,
 * one value per sample from rows `out` reals apart; with out a power of two
 * those rows share a handful of L1 sets and evict each other. emit_gemm.c
 * first copies each 6- or 12-row tile of dz^T into a contiguous panel of this
 * scratch (tile at row r: from r * batch on), so the widest layer that can
 * have such tiles (6 rows, a vector's 8 or 16 columns) needs out reals per
 * sample. Whether it is blocked is the emitter's choice, made later. */
static void reserve_pack(Arena *a, IrGraph *g, size_t *work)
{
    int widest = 0;
    for (int i = 0; i < g->nbwd; i++) {
        const IrInstr *b = g->bwd[i];
        if (b->op == IR_LINEAR_DW && b->out->rows >= 6 && b->out->cols >= 8 &&
            b->out->rows > widest)
            widest = b->out->rows;
    }
    if (widest == 0)
        return;
    IrValue *v = arena_alloc(a, sizeof *v);
    v->id = -1;
    v->kind = VAL_ACT_GRAD;
    v->name = "pack";
    v->size = widest;
    v->offset = ir_work_place(work, widest);
    g->pack = v;
}

void autodiff(Arena *a, IrGraph *g)
{
    Ad ad = {a, g, NULL};
    for (int i = g->nfwd - 1; i >= 0; i--) {
        ad.fwd = g->fwd[i];
        if (has_gradient(ad.fwd))
            differentiate(&ad, ad.fwd);
    }
    for (int i = 0; i < g->nparams; i++)
        if (!g->params[i]->grad)
            internal_error("parameter '%s' received no gradient", g->params[i]->name);

    size_t work = g->work_fwd;
    for (int i = 0; i < g->nvalues; i++) {
        IrValue *v = g->values[i];
        if (v->kind == VAL_PARAM_GRAD) {
            v->offset = v->grad_of->offset;
        } else if (v->kind == VAL_ACT_GRAD) {
            v->offset = ir_work_place(&work, v->size);
        }
    }
    reserve_pack(a, g, &work);
    g->work_total = work;
}
