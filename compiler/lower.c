/* lower.c: NetSpec -> forward IR. Runs after sema.c, before shape.c. Walks the
 * network's nodes in spec order: the input, dense layers (linear -> activation
 * -> dropout) and features (formulas over earlier values: IR_EXPR, IR_CONCAT,
 * IR_SLICE). The loss reads the output's logit when it is fused with the
 * output activation (bce with sigmoid, cross_entropy with softmax), so it can
 * be computed stably. Formulas become hash-consed expressions (expr.h). */
#include "ir.h"

#include <string.h>

enum { MAX_LEAVES = 32 };

typedef struct {
    Arena *a;
    Diag *d;
    IrGraph *g;
    const NetSpec *spec;
    int dropout_sites;
    IrValue **node_vals;    /* what each node's consumers read */
    IrValue **node_logits;  /* dense nodes: the pre-activation */
    int nfeature_ops;       /* numbering for feature instruction labels */
} Lowering;

static IrValue *new_act(Lowering *L, const char *name, bool needs_grad)
{
    IrValue *v = ir_new_value(L->a, L->g, VAL_ACT, name, 0);
    v->needs_grad = needs_grad;
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
    IrValue *d = new_act(L, arena_printf(L->a, "%s.drop", name), x->needs_grad);
    IrInstr *ins = ir_add_fwd(L->a, L->g, IR_DROPOUT, d, src);
    ir_add_input(L->a, ins, x);
    ins->p = p;
    ins->site = ++L->dropout_sites;
    ins->label = arena_printf(L->a, "%s_dropout", name);
    L->g->has_dropout = true;
    return d;
}

/* ---- formulas: AST -> Expr ---- */

/* What the names of a formula stand for while it is converted. */
typedef struct {
    Lowering *L;
    const FormulaDef *def;      /* converting a definition's body: its variables */
    const double *args;         /* ... and its parameters' values */
    const Expr *const *bound;   /* the variables' expressions (substitution) */
    IrValue **leaves;           /* converting a feature: the vectors read, as variables */
    int nleaves;
    Loc where;                  /* the formula, for errors */
} Conv;

static const Expr *convert(Conv *c, const AstExpr *e);

static const Expr *scalar_const(Conv *c, const char *name, bool *found)
{
    const NetSpec *n = c->L->spec;
    for (int i = 0; i < n->nscalars; i++) {
        if (strcmp(n->scalars[i].name, name) == 0) {
            *found = true;
            return expr_const(c->L->g->exprs, n->scalars[i].value);
        }
    }
    *found = false;
    return NULL;
}

static const FormulaDef *find_def(const NetSpec *n, const char *name)
{
    for (int i = 0; i < n->nformulas; i++)
        if (strcmp(n->formulas[i]->name, name) == 0)
            return n->formulas[i];
    return NULL;
}

/* A formula that simplified to a division by a constant zero is NULL: report it
 * and go on with 0, so lowering finishes and every such error is reported. */
static const Expr *checked(Lowering *L, const Expr *e, Loc loc)
{
    if (e)
        return e;
    diag_error(L->d, loc, "division by zero: a divisor in this formula simplifies to 0");
    return expr_const(L->g->exprs, 0);
}

/* A definition's body with its variables bound to `vars` and parameters to args. */
static const Expr *instantiate(Lowering *L, const FormulaDef *f, const double *args,
                               const Expr *const *vars)
{
    Conv c = { L, f, args, vars, NULL, 0, f->body->loc };
    return checked(L, convert(&c, f->body), f->body->loc);
}

static int leaf_var(Conv *c, IrValue *v)
{
    for (int i = 0; i < c->nleaves; i++)
        if (c->leaves[i] == v)
            return i;
    if (c->nleaves >= MAX_LEAVES) {
        if (c->nleaves++ == MAX_LEAVES)
            diag_error(c->L->d, c->where, "a formula may read at most %d different values; "
                       "split it into several features", MAX_LEAVES);
        return 0;
    }
    c->leaves[c->nleaves] = v;
    return c->nleaves++;
}

static IrValue *lower_vector(Lowering *L, const AstExpr *e, const AstStmt *src);

static const Expr *convert_call(Conv *c, const AstExpr *e)
{
    ExprPool *p = c->L->g->exprs;
    static const struct { const char *name; ExprOp op; } unary[] = {
        {"exp", EX_EXP}, {"log", EX_LOG}, {"sqrt", EX_SQRT}, {"abs", EX_ABS},
        {"tanh", EX_TANH}, {"sigmoid", EX_SIGMOID}, {"softplus", EX_SOFTPLUS},
    };
    const Expr *a = e->nargs > 0 ? convert(c, e->args[0]) : NULL;
    for (size_t i = 0; i < sizeof unary / sizeof unary[0]; i++)
        if (strcmp(e->name, unary[i].name) == 0)
            return expr_unary(p, unary[i].op, a);
    const Expr *b = e->nargs > 1 ? convert(c, e->args[1]) : NULL;
    const Expr *third = e->nargs > 2 ? convert(c, e->args[2]) : NULL;
    if (strcmp(e->name, "min") == 0)
        return expr_binary(p, EX_MIN, a, b);
    if (strcmp(e->name, "max") == 0)
        return expr_binary(p, EX_MAX, a, b);
    if (strcmp(e->name, "where") == 0)
        return expr_where(p, a, b, third);
    const FormulaDef *f = find_def(c->L->spec, e->name);
    if (!f)
        internal_error("unknown function '%s' after sema", e->name);
    double *args = arena_alloc(c->L->a, sizeof(double) * (size_t)(f->nparams + 1));
    for (int i = 0; i < f->nparams; i++) {
        args[i] = f->param_defaults[i];
        if (i + 1 < e->nargs) {
            double v;
            const Expr *arg = i + 1 == 1 ? b : i + 1 == 2 ? third : convert(c, e->args[i + 1]);
            if (!expr_is_const(arg, &v))
                internal_error("non-constant parameter after sema");
            args[i] = v;
        }
    }
    return instantiate(c->L, f, args, &a);
}

static const Expr *convert_name(Conv *c, const AstExpr *e)
{
    ExprPool *p = c->L->g->exprs;
    if (c->def) {
        for (int i = 0; i < c->def->nvars; i++)
            if (strcmp(e->name, c->def->vars[i]) == 0)
                return c->bound[i];
        for (int i = 0; i < c->def->nparams; i++)
            if (strcmp(e->name, c->def->param_names[i]) == 0)
                return expr_const(p, c->args[i]);
    }
    bool found;
    const Expr *k = scalar_const(c, e->name, &found);
    if (found)
        return k;
    if (!c->leaves)
        internal_error("name '%s' outside a feature after sema", e->name);
    return expr_var(p, leaf_var(c, lower_vector(c->L, e, NULL)));
}

static const Expr *convert(Conv *c, const AstExpr *e)
{
    ExprPool *p = c->L->g->exprs;
    static const struct { const char *op; ExprOp ex; } binops[] = {
        {"+", EX_ADD}, {"-", EX_SUB}, {"*", EX_MUL}, {"/", EX_DIV}, {"^", EX_POW},
        {"<", EX_LT}, {"<=", EX_LE}, {">", EX_GT}, {">=", EX_GE}, {"==", EX_EQ}, {"!=", EX_NE},
    };
    switch (e->kind) {
    case EXPR_NUMBER:
        return expr_const(p, e->num);
    case EXPR_NAME:
        return convert_name(c, e);
    case EXPR_UNARY:
        return expr_unary(p, EX_NEG, convert(c, e->a));
    case EXPR_BINARY: {
        /* left before right: variables are numbered in reading order */
        const Expr *a = convert(c, e->a), *b = convert(c, e->b);
        for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
            if (strcmp(e->op, binops[i].op) == 0)
                return expr_binary(p, binops[i].ex, a, b);
        break;
    }
    case EXPR_CALL:
        if (strcmp(e->name, "concat") == 0)
            return expr_var(p, leaf_var(c, lower_vector(c->L, e, NULL)));
        return convert_call(c, e);
    case EXPR_INDEX:
    case EXPR_SLICE:
        return expr_var(p, leaf_var(c, lower_vector(c->L, e, NULL)));
    }
    internal_error("unhandled formula node");
}

/* ---- features: vector values ---- */

static IrValue *node_value(Lowering *L, const char *name)
{
    for (int i = L->spec->nnodes - 1; i >= 0; i--)
        if (L->node_vals[i] && strcmp(L->spec->nodes[i].name, name) == 0)
            return L->node_vals[i];
    internal_error("unknown value '%s' after sema", name);
}

static const char *feature_label(Lowering *L, const char *what)
{
    return arena_printf(L->a, "f%d_%s", ++L->nfeature_ops, what);
}

static IrValue *lower_slice(Lowering *L, const AstExpr *e)
{
    IrValue *x = node_value(L, e->name);
    int lo = (int)e->lo->num, hi = e->hi ? (int)e->hi->num : lo + 1;
    IrValue *v = new_act(L, arena_printf(L->a, "%s[%d:%d]", e->name, lo, hi), x->needs_grad);
    IrInstr *ins = ir_add_fwd(L->a, L->g, IR_SLICE, v, NULL);
    ir_add_input(L->a, ins, x);
    ins->lo = lo;
    v->size = hi - lo;      /* shape.c checks it */
    ins->label = feature_label(L, "slice");
    return v;
}

/* The parts are lowered first: instructions stay in execution order. */
static IrValue *lower_concat(Lowering *L, const AstExpr *e)
{
    IrValue **parts = arena_alloc(L->a, sizeof(IrValue *) * (size_t)e->nargs);
    for (int i = 0; i < e->nargs; i++)
        parts[i] = lower_vector(L, e->args[i], NULL);
    IrValue *v = new_act(L, "concat", false);
    IrInstr *ins = ir_add_fwd(L->a, L->g, IR_CONCAT, v, NULL);
    for (int i = 0; i < e->nargs; i++) {
        ir_add_input(L->a, ins, parts[i]);
        v->needs_grad |= parts[i]->needs_grad;
    }
    ins->label = feature_label(L, "concat");
    return v;
}

/* An elementwise formula over the vectors it reads. */
static IrValue *lower_elementwise(Lowering *L, const AstExpr *e, const AstStmt *src)
{
    IrValue *leaves[MAX_LEAVES];
    Conv c = { L, NULL, NULL, NULL, leaves, 0, e->loc };
    const Expr *f = checked(L, convert(&c, e), e->loc);
    if (c.nleaves > MAX_LEAVES)
        c.nleaves = MAX_LEAVES;
    IrValue *v = new_act(L, src ? src->name : "expr", false);
    IrInstr *ins = ir_add_fwd(L->a, L->g, IR_EXPR, v, src);
    for (int i = 0; i < c.nleaves; i++) {
        ir_add_input(L->a, ins, leaves[i]);
        v->needs_grad |= leaves[i]->needs_grad;
    }
    ins->formula = f;
    ins->label = src ? arena_printf(L->a, "%s_formula", src->name) : feature_label(L, "expr");
    return v;
}

/* The value of a feature formula (src: the feature statement, for the top level). */
static IrValue *lower_vector(Lowering *L, const AstExpr *e, const AstStmt *src)
{
    switch (e->kind) {
    case EXPR_NAME: {
        bool found;
        Conv c = { L, NULL, NULL, NULL, NULL, 0, e->loc };
        if (!scalar_const(&c, e->name, &found) || !found)
            return node_value(L, e->name);
        break;
    }
    case EXPR_INDEX:
    case EXPR_SLICE:
        return lower_slice(L, e);
    case EXPR_CALL:
        if (strcmp(e->name, "concat") == 0)
            return lower_concat(L, e);
        break;
    default:
        break;
    }
    return lower_elementwise(L, e, src);
}

/* ---- dense layers ---- */

static void lower_activation(Lowering *L, const LayerSpec *ls, IrValue *z, IrValue *y)
{
    IrInstr *act;
    if (ls->formula) {
        act = ir_add_fwd(L->a, L->g, IR_EXPR, y, ls->stmt);
        const Expr *var = expr_var(L->g->exprs, 0);
        act->formula = instantiate(L, ls->formula, ls->formula_args, &var);
        act->name = ls->formula->name;
    } else {
        IrOp op = ls->act == ACT_MAXOUT ? IR_MAXOUT : ls->act == ACT_SOFTMAX ? IR_SOFTMAX : IR_ACT;
        act = ir_add_fwd(L->a, L->g, op, y, ls->stmt);
    }
    ir_add_input(L->a, act, z);
    act->act = ls->act;
    act->alpha = ls->alpha;
    act->pieces = ls->pieces;
    act->label = arena_printf(L->a, "%s_%s", ls->name, spec_act_name(ls));
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
    bool plain = ls->act == ACT_LINEAR && !ls->formula;
    IrValue *z = new_act(L, plain ? ls->name : arena_printf(L->a, "%s.pre", ls->name), true);
    IrInstr *lin = ir_add_fwd(L->a, L->g, IR_LINEAR, z, ls->stmt);
    ir_add_input(L->a, lin, x);
    ir_add_input(L->a, lin, w);
    if (b)
        ir_add_input(L->a, lin, b);
    lin->label = arena_printf(L->a, "%s_linear", ls->name);
    *logit = z;
    if (plain)
        return z;
    IrValue *y = new_act(L, ls->name, true);
    lower_activation(L, ls, z, y);
    return y;
}

/* ---- loss and regularizers ---- */

static bool loss_is_fused(LossKind loss, ActKind out_act)
{
    return (loss == LOSS_BCE && out_act == ACT_SIGMOID) ||
           (loss == LOSS_CROSS_ENTROPY && out_act == ACT_SOFTMAX);
}

static void lower_loss(Lowering *L, const NetSpec *spec, IrValue *y, IrValue *logit)
{
    const NodeSpec *out = &spec->nodes[spec->nnodes - 1];
    bool fused = out->kind == NODE_DENSE && !spec->loss_formula &&
                 loss_is_fused(spec->loss, spec->layers[out->layer].act);
    IrValue *s = ir_new_value(L->a, L->g, VAL_SCALAR, "loss", 1);
    IrInstr *ins = ir_add_fwd(L->a, L->g, IR_LOSS, s, spec->loss_stmt);
    ir_add_input(L->a, ins, fused ? logit : y);
    ir_add_input(L->a, ins, L->g->target);
    ins->loss = spec->loss;
    ins->fused = fused;
    if (spec->loss_formula) {
        const Expr *vars[2] = { expr_var(L->g->exprs, 0), expr_var(L->g->exprs, 1) };
        ins->formula = instantiate(L, spec->loss_formula, spec->loss_args, vars);
        ins->sum = spec->loss_formula->sum;
        ins->name = spec->loss_formula->name;
    }
    ins->label = arena_printf(L->a, "loss_%s", spec_loss_name(spec));
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
            ir_add_input(L->a, ins, w);
            ins->reg = rs->kind;
            ins->lambda = rs->lambda;
            ins->label = arena_printf(L->a, "%.*s_%s", (int)(strchr(w->name, '.') - w->name),
                                      w->name, kind);
        }
    }
}

/* One node of the spec: the value its consumers read (after its dropout). */
static void lower_node(Lowering *L, int i)
{
    const NetSpec *spec = L->spec;
    const NodeSpec *node = &spec->nodes[i];
    IrValue *v = NULL;
    if (node->kind == NODE_INPUT) {
        v = L->g->input;
        if (spec->input_dropout > 0)
            v = lower_dropout(L, v, spec->input_dropout, spec->input_name,
                              spec->input_dropout_stmt);
    } else if (node->kind == NODE_DENSE) {
        const LayerSpec *ls = &spec->layers[node->layer];
        v = lower_dense(L, ls, L->node_vals[ls->src], &L->node_logits[i]);
        if (ls->dropout > 0)
            v = lower_dropout(L, v, ls->dropout, ls->name, ls->dropout_stmt);
    } else {
        v = lower_vector(L, node->expr, node->stmt);   /* a plain name is that value */
    }
    L->node_vals[i] = v;
}

IrGraph *lower(Arena *a, Diag *d, const NetSpec *spec)
{
    Lowering L = {a, d, arena_alloc(a, sizeof(IrGraph)), spec, 0, NULL, NULL, 0};
    IrGraph *g = L.g;
    g->spec = spec;
    g->exprs = expr_pool_new(a);
    g->input = ir_new_value(a, g, VAL_INPUT, spec->input_name, spec->input_size);
    L.node_vals = arena_alloc(a, sizeof(IrValue *) * (size_t)spec->nnodes);
    L.node_logits = arena_alloc(a, sizeof(IrValue *) * (size_t)spec->nnodes);
    for (int i = 0; i < spec->nnodes; i++)
        lower_node(&L, i);
    g->output = L.node_vals[spec->nnodes - 1];
    g->target = ir_new_value(a, g, VAL_TARGET, "target", 0);
    lower_loss(&L, spec, g->output, L.node_logits[spec->nnodes - 1]);
    lower_regularizers(&L, spec);
    return g;
}
