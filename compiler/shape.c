/* shape.c: shape inference over the forward IR, then storage layout. Runs after
 * lower.c and before autodiff.c. Sizes flow from the input through each
 * instruction's rule; parameter column counts are inferred from what feeds them. */
#include "ir.h"

static Loc src_loc(const IrInstr *ins)
{
    Loc none = {0};
    return ins->src ? ins->src->loc : none;
}

/* Computes ins->out's shape from its inputs; reports mismatches at the spec line. */
static bool infer_instr(Diag *d, IrInstr *ins)
{
    IrValue *x = ins->nin > 0 ? ins->in[0] : NULL, *out = ins->out;
    switch (ins->op) {
    case IR_LINEAR: {
        IrValue *w = ins->in[1];
        if (w->cols == 0) {
            w->cols = x->size;
            w->size = w->rows * w->cols;
            w->fan_in = w->cols;
            w->fan_out = w->rows;
        } else if (w->cols != x->size) {
            diag_error(d, src_loc(ins), "'%s' expects %d inputs, but its input has %d", w->name,
                       w->cols, x->size);
            return false;
        }
        if (ins->nin > 2) {
            IrValue *b = ins->in[2];
            b->cols = 1;
            b->size = b->rows;
            b->fan_in = w->fan_in;
            b->fan_out = w->fan_out;
        }
        out->size = w->rows;
        return true;
    }
    case IR_ACT:
    case IR_SOFTMAX:
    case IR_DROPOUT:
        out->size = x->size;
        return true;
    case IR_MAXOUT:
        if (x->size % ins->pieces != 0)
            internal_error("maxout input %d not divisible by %d", x->size, ins->pieces);
        out->size = x->size / ins->pieces;
        return true;
    case IR_LOSS:
        if (ins->in[1]->size == 0)
            ins->in[1]->size = x->size;
        out->size = 1;
        return true;
    case IR_REG:
        out->size = 1;
        return true;
    case IR_EXPR:   /* inputs of one size; size-1 inputs broadcast */
        out->size = 1;
        for (int i = 0; i < ins->nin; i++) {
            int k = ins->in[i]->size;
            if (k != 1 && out->size != 1 && k != out->size)
                internal_error("formula inputs of sizes %d and %d", k, out->size);
            if (k > out->size)
                out->size = k;
        }
        return true;
    case IR_CONCAT:
        out->size = 0;
        for (int i = 0; i < ins->nin; i++)
            out->size += ins->in[i]->size;
        return true;
    case IR_SLICE:
        if (ins->lo < 0 || ins->lo + out->size > x->size || out->size < 1)
            internal_error("slice [%d, +%d) of %d values", ins->lo, out->size, x->size);
        return true;
    default:
        internal_error("backward instruction '%s' in the forward pass", ir_op_name(ins->op));
    }
}

/* Limits that keep the generated code and its buffers within reason. */
enum { MAX_PARAMS = 100 * 1000 * 1000, MAX_WORK = 50 * 1000 * 1000 };

bool shape_infer(Arena *a, Diag *d, IrGraph *g)
{
    (void)a;
    for (int i = 0; i < g->nfwd; i++)
        if (!infer_instr(d, g->fwd[i]))
            return false;
    size_t off = 0;
    for (int i = 0; i < g->nparams; i++) {
        g->params[i]->offset = off;
        off += (size_t)g->params[i]->size;
    }
    g->num_params = off;
    if (off > MAX_PARAMS) {
        diag_error(d, g->spec->input_stmt ? g->spec->input_stmt->loc : (Loc){0},
                   "the network has %zu parameters (limit %d)", off, MAX_PARAMS);
        return false;
    }
    size_t work = 0;
    for (int i = 0; i < g->nvalues; i++) {
        IrValue *v = g->values[i];
        if (v->kind == VAL_ACT)
            v->offset = ir_work_place(&work, v->size);
    }
    g->work_fwd = g->work_total = work;
    if (work > MAX_WORK) {
        diag_error(d, g->spec->input_stmt ? g->spec->input_stmt->loc : (Loc){0},
                   "the network needs %zu values per sample (limit %d)", work, MAX_WORK);
        return false;
    }
    return true;
}
