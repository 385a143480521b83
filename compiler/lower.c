/* lower.c: NetSpec -> forward IR. Runs after sema.c, before shape.c. Each dense
 * layer becomes linear -> activation (-> dropout); the loss reads the output's
 * logit when it is fused with the output activation (bce with sigmoid,
 * cross_entropy with softmax), so it can be computed stably. */
#include "ir.h"

#include <string.h>

typedef struct {
    Arena *a;
    IrGraph *g;
    int dropout_sites;
} Lowering;

static IrValue *new_act(Lowering *L, const char *name, IrValue *from)
{
    IrValue *v = ir_new_value(L->a, L->g, VAL_ACT, name, 0);
    v->needs_grad = from->needs_grad;
    return v;
}

static IrValue *new_param(Lowering *L, const char *name, int rows, bool is_weight)
{
    IrValue *p = ir_new_value(L->a, L->g, VAL_PARAM, name, 0);
    p->rows = rows;
    p->needs_grad = true;
    p->is_weight = is_weight;
    ARENA_PUSH(L->a, L->g->params, L->g->nparams, L->g->cap_params, p);
    return p;
}

static bool relu_like(ActKind act)
{
    return act == ACT_RELU || act == ACT_LEAKY_RELU || act == ACT_ELU || act == ACT_MAXOUT;
}

static IrValue *lower_dropout(Lowering *L, IrValue *x, double p, const char *name,
                              const AstStmt *src)
{
    IrValue *d = new_act(L, arena_printf(L->a, "%s.drop", name), x);
    IrInstr *ins = ir_add_fwd(L->a, L->g, IR_DROPOUT, d, src);
    ir_add_input(ins, x);
    ins->p = p;
    ins->site = ++L->dropout_sites;
    ins->label = arena_printf(L->a, "%s_dropout", name);
    L->g->has_dropout = true;
    return d;
}

/* dense NAME[N] ACT: z = x W^T + b, then the activation. Returns the layer's output
 * and stores its pre-activation in *logit. */
static IrValue *lower_dense(Lowering *L, const LayerSpec *ls, IrValue *x, IrValue **logit)
{
    int rows = ls->units * ls->pieces;
    IrValue *w = new_param(L, arena_printf(L->a, "%s.w", ls->name), rows, true);
    w->init = ls->init != INIT_DEFAULT ? ls->init : relu_like(ls->act) ? INIT_HE : INIT_XAVIER;
    w->init_a = ls->init_a;
    w->init_b = ls->init_b;
    IrValue *b = NULL;
    if (ls->bias) {
        b = new_param(L, arena_printf(L->a, "%s.b", ls->name), rows, false);
        b->init = ls->init == INIT_UNIFORM ? INIT_UNIFORM : INIT_ZEROS;
        b->init_a = ls->init_a;
        b->init_b = ls->init_b;
    }
    bool plain = ls->act == ACT_LINEAR;
    IrValue *z = new_act(L, plain ? ls->name : arena_printf(L->a, "%s.pre", ls->name), w);
    IrInstr *lin = ir_add_fwd(L->a, L->g, IR_LINEAR, z, ls->stmt);
    ir_add_input(lin, x);
    ir_add_input(lin, w);
    if (b)
        ir_add_input(lin, b);
    lin->label = arena_printf(L->a, "%s_linear", ls->name);
    *logit = z;
    if (plain)
        return z;

    IrValue *y = new_act(L, ls->name, z);
    IrOp op = ls->act == ACT_MAXOUT ? IR_MAXOUT : ls->act == ACT_SOFTMAX ? IR_SOFTMAX : IR_ACT;
    IrInstr *act = ir_add_fwd(L->a, L->g, op, y, ls->stmt);
    ir_add_input(act, z);
    act->act = ls->act;
    act->alpha = ls->alpha;
    act->pieces = ls->pieces;
    act->label = arena_printf(L->a, "%s_%s", ls->name, act_names[ls->act]);
    return y;
}

static bool loss_is_fused(LossKind loss, ActKind out_act)
{
    return (loss == LOSS_BCE && out_act == ACT_SIGMOID) ||
           (loss == LOSS_CROSS_ENTROPY && out_act == ACT_SOFTMAX);
}

static void lower_loss(Lowering *L, const NetSpec *spec, IrValue *y, IrValue *logit)
{
    const LayerSpec *last = &spec->layers[spec->nlayers - 1];
    bool fused = loss_is_fused(spec->loss, last->act);
    IrValue *s = ir_new_value(L->a, L->g, VAL_SCALAR, "loss", 1);
    IrInstr *ins = ir_add_fwd(L->a, L->g, IR_LOSS, s, spec->loss_stmt);
    ir_add_input(ins, fused ? logit : y);
    ir_add_input(ins, L->g->target);
    ins->loss = spec->loss;
    ins->fused = fused;
    ins->label = arena_printf(L->a, "loss_%s", loss_names[spec->loss]);
}

static void lower_regularizers(Lowering *L, const NetSpec *spec)
{
    for (int r = 0; r < spec->nregs; r++) {
        const RegSpec *rs = &spec->regs[r];
        for (int i = 0; i < L->g->nparams; i++) {
            IrValue *w = L->g->params[i];
            if (!w->is_weight)
                continue;
            const char *kind = rs->kind == REG_L1 ? "l1" : "l2";
            IrValue *s = ir_new_value(L->a, L->g, VAL_SCALAR,
                                      arena_printf(L->a, "%s(%s)", kind, w->name), 1);
            IrInstr *ins = ir_add_fwd(L->a, L->g, IR_REG, s, rs->stmt);
            ir_add_input(ins, w);
            ins->reg = rs->kind;
            ins->lambda = rs->lambda;
            ins->label = arena_printf(L->a, "%.*s_%s", (int)(strchr(w->name, '.') - w->name),
                                      w->name, kind);
        }
    }
}

IrGraph *lower(Arena *a, const NetSpec *spec)
{
    Lowering L = {a, arena_alloc(a, sizeof(IrGraph)), 0};
    IrGraph *g = L.g;
    g->spec = spec;
    g->input = ir_new_value(a, g, VAL_INPUT, spec->input_name, spec->input_size);
    IrValue *x = g->input;
    if (spec->input_dropout > 0)
        x = lower_dropout(&L, x, spec->input_dropout, spec->input_name, spec->input_dropout_stmt);

    IrValue *logit = NULL;
    for (int i = 0; i < spec->nlayers; i++) {
        const LayerSpec *ls = &spec->layers[i];
        x = lower_dense(&L, ls, x, &logit);
        if (ls->dropout > 0)
            x = lower_dropout(&L, x, ls->dropout, ls->name, ls->dropout_stmt);
    }
    g->output = x;
    g->target = ir_new_value(a, g, VAL_TARGET, "target", 0);
    lower_loss(&L, spec, x, logit);
    lower_regularizers(&L, spec);
    return g;
}
