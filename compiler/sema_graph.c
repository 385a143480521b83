/* sema_graph.c: the sema stage for formulas and graphs: user-defined
 * activations and losses, `feature` values (a network becomes a DAG), and
 * scalar computation graphs (`param`, `const`, `feature`, `output`). Checks
 * names, arities, sizes and constant exponents; reports at the spec text. */
#include "sema_int.h"

#include <math.h>
#include <string.h>

/* Elementwise functions a formula may call, with their argument counts. */
static const char *const math_names[] = {
    "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "softplus", "min", "max", "where", NULL
};
static const int math_arity[] = { 1, 1, 1, 1, 1, 1, 1, 2, 2, 3 };

/* What names mean inside the formula being checked. */
typedef enum { CTX_FORMULA, CTX_FEATURE, CTX_SCALAR } ExprCtx;

typedef struct {
    Sema *s;
    ExprCtx ctx;
    const FormulaDef *def;      /* CTX_FORMULA: the definition being checked */
} Checker;

/* Sizes: a value of SIZE_CONST is a constant (broadcast to any size). */
enum { SIZE_CONST = 0, SIZE_ERROR = -1 };

void sema_add_node(Sema *s, NodeKind kind, const AstStmt *st, int size, int layer)
{
    NetSpec *n = s->net;
    arena_grow(s->arena, (void **)&n->nodes, &s->nodes_cap, n->nnodes + 1, sizeof *n->nodes);
    n->nodes[n->nnodes++] = (NodeSpec){ kind, st->name, st, size, layer, st->expr };
}

static int find_node(const NetSpec *n, const char *name)
{
    for (int i = n->nnodes - 1; i >= 0; i--)
        if (strcmp(n->nodes[i].name, name) == 0)
            return i;
    return -1;
}

static const ScalarSpec *find_scalar(const NetSpec *n, const char *name)
{
    for (int i = 0; i < n->nscalars; i++)
        if (strcmp(n->scalars[i].name, name) == 0)
            return &n->scalars[i];
    return NULL;
}

const FormulaDef *sema_find_activation(Sema *s, const char *word)
{
    for (int i = 0; i < s->net->nformulas; i++)
        if (s->net->formulas[i]->nvars == 1 && strcmp(s->net->formulas[i]->name, word) == 0)
            return s->net->formulas[i];
    return NULL;
}

/* Every name a formula could have meant, for "did you mean". */
static const char **known_names(Checker *c, const char *const *extra)
{
    NetSpec *n = c->s->net;
    int cap = n->nnodes + n->nscalars + n->nformulas + n->nfeatures + 16, k = 0;
    const char **names = arena_alloc(c->s->arena, sizeof(char *) * (size_t)cap);
    for (int i = 0; extra && extra[i] && k < cap - 1; i++)
        names[k++] = extra[i];
    for (int i = 0; i < n->nnodes && k < cap - 1; i++)
        names[k++] = n->nodes[i].name;
    for (int i = 0; i < n->nscalars && k < cap - 1; i++)
        names[k++] = n->scalars[i].name;
    for (int i = 0; i < n->nfeatures && k < cap - 1; i++)
        names[k++] = n->features[i]->name;
    if (c->def) {
        for (int i = 0; i < c->def->nvars && k < cap - 1; i++)
            names[k++] = c->def->vars[i];
        for (int i = 0; i < c->def->nparams && k < cap - 1; i++)
            names[k++] = c->def->param_names[i];
    }
    names[k] = NULL;
    return names;
}

static int check_expr(Checker *c, const AstExpr *e);

/* Two operand sizes of an elementwise operation: equal, or one broadcasts. */
static int combine(Checker *c, const AstExpr *e, int a, int b)
{
    if (a == SIZE_ERROR || b == SIZE_ERROR)
        return SIZE_ERROR;
    if (a == SIZE_CONST || a == 1)
        return b == SIZE_CONST ? a : b;
    if (b == SIZE_CONST || b == 1 || a == b)
        return a;
    diag_error(c->s->diag, e->loc, "operands have different sizes, %d and %d", a, b);
    return SIZE_ERROR;
}

/* A formula made of numbers and constants only, and its value. */
static bool const_value(Checker *c, const AstExpr *e, double *v)
{
    double a, b;
    switch (e->kind) {
    case EXPR_NUMBER:
        *v = e->num;
        return true;
    case EXPR_NAME: {
        const ScalarSpec *sc = c->ctx == CTX_FEATURE || c->ctx == CTX_FORMULA
                                   ? find_scalar(c->s->net, e->name) : NULL;
        if (sc && !sc->is_param) {
            *v = sc->value;
            return true;
        }
        return false;
    }
    case EXPR_UNARY:
        if (!const_value(c, e->a, &a))
            return false;
        *v = -a;
        return true;
    case EXPR_BINARY:
        if (!const_value(c, e->a, &a) || !const_value(c, e->b, &b))
            return false;
        switch (e->op[0]) {
        case '+': *v = a + b; return true;
        case '-': *v = a - b; return true;
        case '*': *v = a * b; return true;
        case '/': *v = a / b; return true;
        case '^': *v = pow(a, b); return true;
        default: return false;
        }
    default:
        return false;
    }
}

static int check_name(Checker *c, const AstExpr *e)
{
    NetSpec *n = c->s->net;
    if (c->def) {
        for (int i = 0; i < c->def->nvars; i++)
            if (strcmp(e->name, c->def->vars[i]) == 0)
                return 1;
        for (int i = 0; i < c->def->nparams; i++)
            if (strcmp(e->name, c->def->param_names[i]) == 0)
                return SIZE_CONST;
    }
    const ScalarSpec *sc = find_scalar(n, e->name);
    if (sc && (c->ctx == CTX_SCALAR || !sc->is_param))
        return c->ctx == CTX_SCALAR ? 1 : SIZE_CONST;
    if (sc) {
        diag_error(c->s->diag, e->loc, "'param %s' can only be used in a scalar graph", e->name);
        return SIZE_ERROR;
    }
    if (c->ctx == CTX_SCALAR) {
        for (int i = 0; i < n->nfeatures; i++)
            if (strcmp(n->features[i]->name, e->name) == 0)
                return 1;
    } else if (c->ctx == CTX_FEATURE) {
        int k = find_node(n, e->name);
        if (k >= 0)
            return n->nodes[k].size;
    }
    const char *hint = diag_suggest(e->name, known_names(c, NULL));
    if (hint && strcmp(hint, e->name) != 0)
        diag_error(c->s->diag, e->loc, "unknown name '%s'; did you mean '%s'?", e->name, hint);
    else
        diag_error(c->s->diag, e->loc, "unknown name '%s'%s", e->name,
                   c->ctx == CTX_FEATURE ? " (a feature may use names defined above it)" : "");
    return SIZE_ERROR;
}

/* x[i] and x[lo:hi] read a named value of the network. */
static int check_index(Checker *c, const AstExpr *e)
{
    if (c->ctx != CTX_FEATURE) {
        diag_error(c->s->diag, e->loc, "indexing is only allowed in 'feature' formulas");
        return SIZE_ERROR;
    }
    int k = find_node(c->s->net, e->name);
    if (k < 0) {
        diag_error(c->s->diag, e->name_loc, "unknown name '%s'", e->name);
        return SIZE_ERROR;
    }
    int size = c->s->net->nodes[k].size;
    const AstValue *lo = e->lo, *hi = e->hi;
    if (!is_integral(lo->num) || (hi && !is_integral(hi->num))) {
        diag_error(c->s->diag, e->loc, "indices must be whole numbers");
        return SIZE_ERROR;
    }
    if (!hi) {
        if (lo->num < 0 || lo->num >= size) {
            diag_error(c->s->diag, lo->loc, "index %s is out of range: '%s' has %d values (0 to %d)",
                       lo->text, e->name, size, size - 1);
            return SIZE_ERROR;
        }
        return 1;
    }
    if (lo->num >= hi->num) {
        diag_error(c->s->diag, e->loc, "slice [%s:%s] is empty: its end must be past its start",
                   lo->text, hi->text);
        return SIZE_ERROR;
    }
    if (lo->num < 0 || hi->num > size) {
        diag_error(c->s->diag, e->loc, "slice [%s:%s] is out of range: '%s' has %d values",
                   lo->text, hi->text, e->name, size);
        return SIZE_ERROR;
    }
    return (int)(hi->num - lo->num);
}

/* concat(a, b, ...): vectors end to end. */
static int check_concat(Checker *c, const AstExpr *e)
{
    if (c->ctx != CTX_FEATURE) {
        diag_error(c->s->diag, e->name_loc, "'concat' is only allowed in 'feature' formulas");
        return SIZE_ERROR;
    }
    if (e->nargs < 1) {
        diag_error(c->s->diag, e->loc, "'concat' needs at least one argument");
        return SIZE_ERROR;
    }
    int total = 0;
    for (int i = 0; i < e->nargs; i++) {
        int k = check_expr(c, e->args[i]);
        if (k == SIZE_CONST) {
            diag_error(c->s->diag, e->args[i]->loc, "'concat' joins values of the network, "
                       "not constants");
            k = SIZE_ERROR;
        }
        total = k == SIZE_ERROR || total == SIZE_ERROR ? SIZE_ERROR : total + k;
    }
    return total;
}

static int check_call(Checker *c, const AstExpr *e)
{
    if (strcmp(e->name, "concat") == 0)
        return check_concat(c, e);
    int m = find_name(e->name, math_names);
    const FormulaDef *f = m < 0 ? sema_find_activation(c->s, e->name) : NULL;
    if (m < 0 && !f) {
        const char *hint = diag_suggest(e->name, math_names);
        if (!hint && c->ctx == CTX_FEATURE && strcmp(e->name, "concat") != 0)
            hint = diag_suggest(e->name, (const char *const[]){ "concat", NULL });
        if (hint)
            diag_error(c->s->diag, e->name_loc, "unknown function '%s'; did you mean '%s'?",
                       e->name, hint);
        else
            diag_error(c->s->diag, e->name_loc, "unknown function '%s'", e->name);
        return SIZE_ERROR;
    }
    int want = m >= 0 ? math_arity[m] : 1;
    int extra = f ? f->nparams : 0;     /* an activation's parameters may follow its input */
    if (e->nargs < want || e->nargs > want + extra) {
        if (extra)
            diag_error(c->s->diag, e->loc, "'%s' takes 1 to %d arguments, got %d", e->name,
                       1 + extra, e->nargs);
        else
            diag_error(c->s->diag, e->loc, "'%s' takes %d argument%s, got %d", e->name, want,
                       want == 1 ? "" : "s", e->nargs);
        return SIZE_ERROR;
    }
    int size = SIZE_CONST;
    for (int i = 0; i < e->nargs; i++) {
        int k = check_expr(c, e->args[i]);
        double v;
        if (i >= want && k != SIZE_ERROR && !const_value(c, e->args[i], &v)) {
            diag_error(c->s->diag, e->args[i]->loc, "parameters of '%s' must be constants",
                       e->name);
            return SIZE_ERROR;
        }
        if (i < want)
            size = combine(c, e, size, k);
        else if (k == SIZE_ERROR)
            size = SIZE_ERROR;
    }
    return size;
}

static int check_binary(Checker *c, const AstExpr *e)
{
    int a = check_expr(c, e->a), b = check_expr(c, e->b);
    double v;
    if (strcmp(e->op, "^") == 0 && b != SIZE_ERROR && !const_value(c, e->b, &v)) {
        diag_error(c->s->diag, e->b->loc, "the exponent of '^' must be a constant");
        return SIZE_ERROR;
    }
    if (strcmp(e->op, "/") == 0 && b != SIZE_ERROR && const_value(c, e->b, &v) && v == 0) {
        diag_error(c->s->diag, e->b->loc, "division by zero");
        return SIZE_ERROR;
    }
    return combine(c, e, a, b);
}

/* The size of a formula's value (SIZE_CONST for constants); reports problems. */
static int check_expr(Checker *c, const AstExpr *e)
{
    switch (e->kind) {
    case EXPR_NUMBER: return SIZE_CONST;
    case EXPR_NAME: return check_name(c, e);
    case EXPR_CALL: return check_call(c, e);
    case EXPR_UNARY: return check_expr(c, e->a);
    case EXPR_BINARY: return check_binary(c, e);
    case EXPR_INDEX:
    case EXPR_SLICE: return check_index(c, e);
    }
    return SIZE_ERROR;
}

/* ---- sizes once inlined ---- */

/* A formula's size (AST nodes walked) and depth once every user-defined function
 * it calls is inlined, as lower.c instantiates a definition's body at each call
 * (its argument is converted once and shared). In a scalar graph a feature's
 * name stands for the feature's whole formula: shared in the expression DAG, so
 * it adds depth but no walk. */
typedef struct {
    double nodes, depth;
} Cost;

static Cost cost_of(const Sema *s, const AstExpr *e, ExprCtx ctx)
{
    Cost c = { 1, 1 };
    const NetSpec *n = s->net;
    if (e->kind == EXPR_NAME && ctx == CTX_SCALAR) {
        for (int i = n->nfeatures - 1; i >= 0; i--) {
            if (strcmp(n->features[i]->name, e->name) == 0) {
                c.depth = s->feature_depth[i];
                break;
            }
        }
        return c;
    }
    const AstExpr *kids[2] = { e->a, e->b };
    for (int i = 0; i < 2 + e->nargs; i++) {
        const AstExpr *k = i < 2 ? kids[i] : e->args[i - 2];
        if (!k)
            continue;
        Cost kc = cost_of(s, k, ctx);
        c.nodes += kc.nodes;
        c.depth = kc.depth + 1 > c.depth ? kc.depth + 1 : c.depth;
    }
    const FormulaDef *f = e->kind == EXPR_CALL ? sema_find_activation((Sema *)s, e->name) : NULL;
    if (f) {
        c.nodes += f->inline_nodes;
        c.depth += f->inline_depth;
    }
    return c;
}

/* Checks a formula's inlined cost against the limits (what names it in messages)
 * and counts it `uses` times toward the spec's total. False after an error. */
static bool check_cost(Sema *s, Cost c, Loc loc, const char *what, double uses)
{
    if (c.nodes > FORMULA_MAX_NODES) {
        diag_error(s->diag, loc, "%s is too large once the functions it calls are inlined: "
                   "%.0f operations (limit %d)", what, c.nodes, FORMULA_MAX_NODES);
        return false;
    }
    if (c.depth > FORMULA_MAX_DEPTH) {
        diag_error(s->diag, loc, "%s is nested too deeply once the functions and features it "
                   "uses are inlined: %.0f levels (limit %d)", what, c.depth, FORMULA_MAX_DEPTH);
        return false;
    }
    return sema_count_formula(s, c.nodes * uses, loc);
}

bool sema_count_formula(Sema *s, double nodes, Loc loc)
{
    bool was_ok = s->formula_total <= FORMULA_TOTAL_NODES;
    s->formula_total += nodes;
    if (was_ok && s->formula_total > FORMULA_TOTAL_NODES)
        diag_error(s->diag, loc, "the formulas of this spec add up to more than %d operations "
                   "once inlined at every use (the limit)", FORMULA_TOTAL_NODES);
    return s->formula_total <= FORMULA_TOTAL_NODES;
}

/* ---- activation f(z; p = v) = ... and loss g(y, t; p = v) = ... ---- */

static bool name_taken(Sema *s, const AstStmt *st)
{
    NetSpec *n = s->net;
    for (int i = 0; i < n->nformulas; i++) {
        if (strcmp(n->formulas[i]->name, st->name) == 0) {
            diag_error(s->diag, st->name_loc, "'%s' is defined twice", st->name);
            diag_note(s->diag, n->formulas[i]->stmt->name_loc, "the first definition is here");
            return true;
        }
    }
    bool builtin = find_name(st->name, act_names) >= 0 || find_name(st->name, loss_names) >= 0 ||
                   find_name(st->name, math_names) >= 0 || strcmp(st->name, "concat") == 0;
    if (builtin)
        diag_error(s->diag, st->name_loc, "'%s' is a built-in name and cannot be redefined",
                   st->name);
    return builtin;
}

/* A name given twice among a prototype's variables and parameters: `(t, t)`
 * would make two C parameters of one name. */
static void proto_duplicate(Sema *s, const AstValue *p)
{
    for (int i = 0; i < p->nargs; i++) {
        const AstValue *a = p->args[i];
        const char *name = a->after_semicolon ? a->key : a->word;
        for (int j = 0; name && j < i; j++) {
            const AstValue *b = p->args[j];
            const char *prev = b->after_semicolon ? b->key : b->word;
            if (prev && strcmp(prev, name) == 0) {
                diag_error(s->diag, a->after_semicolon ? a->key_loc : a->loc,
                           "'%s' is named twice in the definition", name);
                diag_note(s->diag, b->after_semicolon ? b->key_loc : b->loc,
                          "the first '%s' is here", name);
                return;
            }
        }
    }
}

/* Reads `(z; a = 1, b = 2)` into def. Returns false after reporting a problem. */
static bool read_proto(Sema *s, const AstStmt *st, FormulaDef *def, int nvars)
{
    const AstValue *p = st->proto;
    def->param_names = arena_alloc(s->arena, sizeof(char *) * (size_t)(p->nargs + 1));
    def->param_defaults = arena_alloc(s->arena, sizeof(double) * (size_t)(p->nargs + 1));
    int vars = 0;
    for (int i = 0; i < p->nargs; i++) {
        const AstValue *a = p->args[i];
        if (!a->after_semicolon) {
            if (a->kind != VAL_WORD || a->key) {
                diag_error(s->diag, a->loc, "expected a variable name");
                return false;
            }
            if (vars < 2)
                def->vars[vars] = a->word;
            vars++;
        } else if (!a->key || a->kind != VAL_NUMBER) {
            diag_error(s->diag, a->loc, "a parameter needs a default value, e.g. 'alpha = 1.0'");
            return false;
        } else {
            def->param_names[def->nparams] = a->key;
            def->param_defaults[def->nparams++] = a->num;
        }
    }
    proto_duplicate(s, p);     /* reported; the definition is still registered */
    if (vars != nvars) {
        diag_error(s->diag, p->loc, nvars == 1
                   ? "an activation takes one variable, e.g. 'activation swish(z) = ...'"
                   : "a loss takes two variables, the prediction and the target, e.g. "
                     "'loss huber(y, t) = ...'");
        return false;
    }
    def->nvars = nvars;
    return true;
}

static void set_reduction(Sema *s, const AstStmt *st, FormulaDef *def)
{
    if (st->nvals == 0)
        return;
    const AstValue *w = st->vals[0];
    if (strcmp(w->word, "sum") == 0)
        def->sum = true;
    else if (strcmp(w->word, "mean") != 0)
        diag_error(s->diag, w->loc, "expected 'mean' or 'sum' after the loss formula, found '%s'",
                   w->word);
}

static bool mentions(const AstExpr *e, const char *name)
{
    if (!e)
        return false;
    if (e->kind == EXPR_NAME && strcmp(e->name, name) == 0)
        return true;
    for (int i = 0; i < e->nargs; i++)
        if (mentions(e->args[i], name))
            return true;
    return mentions(e->a, name) || mentions(e->b, name);
}

/* A loss that ignores the prediction has a zero gradient (nothing is learned);
 * one that ignores the target learns nothing from the data. Legal, but warned. */
static void warn_unused_vars(Sema *s, const AstStmt *st, const FormulaDef *def)
{
    static const char *const what[2] = {
        "its gradient is zero and the network learns nothing",
        "the network learns nothing from the targets"
    };
    for (int i = 0; i < 2; i++)
        if (!mentions(st->expr, def->vars[i]))
            diag_warning(s->diag, st->expr->loc, "the loss '%s' does not use its %s '%s': %s",
                         def->name, i == 0 ? "prediction" : "target", def->vars[i], what[i]);
}

void sema_formula_def(Sema *s, const AstStmt *st)
{
    bool is_loss = st->kind == ST_LOSS;
    FormulaDef *def = arena_alloc(s->arena, sizeof *def);
    def->name = st->name;
    def->stmt = st;
    def->body = st->expr;
    bool taken = name_taken(s, st);
    if (!read_proto(s, st, def, is_loss ? 2 : 1) || taken)
        return;
    Checker c = { s, CTX_FORMULA, def };
    /* registered even if its body has errors, so its uses are not reported too */
    bool body_ok = check_expr(&c, st->expr) != SIZE_ERROR;
    if (body_ok) {
        Cost cost = cost_of(s, st->expr, CTX_FORMULA);
        def->inline_nodes = cost.nodes;
        def->inline_depth = cost.depth;
        /* counted at its uses (layers, features); a loss is used once */
        const char *what = arena_printf(s->arena, "'%s'", st->name);
        body_ok = check_cost(s, cost, st->name_loc, what, is_loss ? 1 : 0);
        if (!body_ok)
            def->inline_nodes = def->inline_depth = 1;  /* its uses are not reported too */
    }
    NetSpec *n = s->net;
    arena_grow(s->arena, (void **)&n->formulas, &s->formulas_cap, n->nformulas + 1,
               sizeof *n->formulas);
    n->formulas[n->nformulas++] = def;
    if (!is_loss || !body_ok)
        return;
    warn_unused_vars(s, st, def);
    set_reduction(s, st, def);
    if (s->loss) {
        diag_error(s->diag, st->kw_loc, "duplicate 'loss' statement");
        diag_note(s->diag, s->loss->kw_loc, "the first 'loss' statement is here");
        return;
    }
    s->loss = st;
    n->loss = LOSS_COUNT;
    n->loss_formula = def;
    n->loss_args = def->param_defaults;
    n->loss_stmt = st;
}

/* `dense h[64] swish` or `swish(2.0)`: positional values override the defaults. */
void sema_custom_activation(Sema *s, const AstValue *v, const FormulaDef *f, LayerSpec *l)
{
    l->act = ACT_COUNT;
    l->formula = f;
    sema_count_formula(s, f->inline_nodes, v->loc);
    l->formula_args = arena_alloc(s->arena, sizeof(double) * (size_t)(f->nparams + 1));
    memcpy(l->formula_args, f->param_defaults, sizeof(double) * (size_t)f->nparams);
    if (v->kind != VAL_CALL)
        return;
    if (v->nargs > f->nparams) {
        diag_error(s->diag, v->loc, "'%s' has %d parameter%s, got %d arguments", f->name,
                   f->nparams, f->nparams == 1 ? "" : "s", v->nargs);
        return;
    }
    for (int i = 0; i < v->nargs; i++)
        if (want_number(s, v->args[i], "activation parameter"))
            l->formula_args[i] = v->args[i]->num;
}

/* ---- feature NAME = ... ---- */

static bool name_defined(Sema *s, const AstStmt *st)
{
    NetSpec *n = s->net;
    int k = find_node(n, st->name);
    const AstStmt *first = k >= 0 ? n->nodes[k].stmt : NULL;
    for (int i = 0; !first && i < n->nscalars; i++)
        if (strcmp(n->scalars[i].name, st->name) == 0)
            first = n->scalars[i].stmt;
    for (int i = 0; !first && i < n->nfeatures; i++)
        if (strcmp(n->features[i]->name, st->name) == 0)
            first = n->features[i];
    if (!first)
        return false;
    diag_error(s->diag, st->name_loc, "'%s' is defined twice", st->name);
    diag_note(s->diag, first->name_loc, "the first definition is here");
    return true;
}

void sema_feature(Sema *s, const AstStmt *st)
{
    if (name_defined(s, st))
        return;
    bool scalar = sema_is_scalar_graph(s);
    Checker c = { s, scalar ? CTX_SCALAR : CTX_FEATURE, NULL };
    int size = check_expr(&c, st->expr);
    if (size == SIZE_ERROR)
        return;
    /* registered even when too large, so its uses are not reported too */
    Cost cost = cost_of(s, st->expr, c.ctx);
    check_cost(s, cost, st->name_loc, arena_printf(s->arena, "feature '%s'", st->name), 1);
    if (scalar) {
        NetSpec *n = s->net;
        arena_grow(s->arena, (void **)&s->feature_depth, &s->feature_depth_cap,
                   n->nfeatures + 1, sizeof *s->feature_depth);
        s->feature_depth[n->nfeatures] = cost.depth;
        arena_grow(s->arena, (void **)&n->features, &s->features_cap, n->nfeatures + 1,
                   sizeof *n->features);
        n->features[n->nfeatures++] = st;
        return;
    }
    if (size == SIZE_CONST) {
        diag_error(s->diag, st->expr->loc, "feature '%s' does not depend on the input", st->name);
        return;
    }
    sema_add_node(s, NODE_FEATURE, st, size, -1);
}

/* `from NAME` on a dense layer: any value defined above it. */
int sema_node_ref(Sema *s, const AstValue *v)
{
    if (v->kind != VAL_WORD || v->key) {
        diag_error(s->diag, v->loc, "'from' expects the name of a value defined above");
        return -1;
    }
    int k = find_node(s->net, v->word);
    if (k >= 0)
        return k;
    const char **names = arena_alloc(s->arena, sizeof(char *) * (size_t)(s->net->nnodes + 1));
    for (int i = 0; i < s->net->nnodes; i++)
        names[i] = s->net->nodes[i].name;
    const char *hint = diag_suggest(v->word, names);
    if (hint)
        diag_error(s->diag, v->loc, "unknown value '%s'; did you mean '%s'?", v->word, hint);
    else
        diag_error(s->diag, v->loc, "unknown value '%s' (a layer may read the input, a layer "
                   "or a feature defined above it)", v->word);
    return -1;
}

/* ---- scalar graphs: param, const, feature, output ---- */

/* A spec with an `output`, or with params and no input, is a scalar graph. */
bool sema_is_scalar_graph(const Sema *s)
{
    const AstSpec *ast = s->ast;
    bool param = false, input = false;
    for (int i = 0; i < ast->nstmts; i++) {
        AstStmtKind k = ast->stmts[i]->kind;
        if (k == ST_OUTPUT)
            return true;
        param |= k == ST_PARAM;
        input |= k == ST_INPUT;
    }
    return param && !input;
}

void sema_scalar(Sema *s, const AstStmt *st)
{
    if (st->kind == ST_PARAM && !sema_is_scalar_graph(s)) {
        diag_error(s->diag, st->kw_loc, "'param' is only allowed in a scalar graph (a spec with "
                   "an 'output'); a network learns its weights");
        return;
    }
    if (name_defined(s, st))
        return;
    if (strcmp(st->name, "NUM_PARAMS") == 0 || strcmp(st->name, "H") == 0) {
        /* the generated header defines NAME_<param> beside NAME_NUM_PARAMS and NAME_H */
        diag_error(s->diag, st->name_loc, "'%s' cannot name a %s: the generated header "
                   "already defines NAME_%s", st->name, ast_stmt_keyword(st->kind), st->name);
    }
    const AstValue *v = st->vals[0];
    NetSpec *n = s->net;
    arena_grow(s->arena, (void **)&n->scalars, &s->scalars_cap, n->nscalars + 1,
               sizeof *n->scalars);
    n->scalars[n->nscalars++] = (ScalarSpec){ st->name, st, v->num, st->kind == ST_PARAM };
    if (!isfinite(v->num))
        diag_error(s->diag, v->loc, "'%s' must be a finite number", st->name);
}

void sema_output(Sema *s, const AstStmt *st)
{
    if (s->net->output) {
        diag_error(s->diag, st->kw_loc, "a scalar graph has one 'output'");
        diag_note(s->diag, s->net->output->kw_loc, "the first 'output' is here");
        return;
    }
    Checker c = { s, CTX_SCALAR, NULL };
    if (check_expr(&c, st->expr) == SIZE_ERROR)
        return;
    /* registered even when too large, so it is not reported missing too */
    check_cost(s, cost_of(s, st->expr, CTX_SCALAR), st->name_loc,
               arena_printf(s->arena, "output '%s'", st->name), 1);
    s->net->output = st;
}

/* A scalar graph has params and one output, and none of a network's statements. */
void sema_check_scalar_graph(Sema *s)
{
    const AstSpec *ast = s->ast;
    for (int i = 0; i < ast->nstmts; i++) {
        const AstStmt *st = ast->stmts[i];
        if (st->kind == ST_INPUT || st->kind == ST_DENSE || st->kind == ST_DROPOUT ||
            st->kind == ST_LOSS || st->kind == ST_REGULARIZE || st->kind == ST_TRAIN)
            diag_error(s->diag, st->kw_loc, "'%s' cannot be used in a scalar graph (a spec with "
                       "'param' or 'output' statements)", ast_stmt_keyword(st->kind));
    }
    bool any_param = false;
    for (int i = 0; i < s->net->nscalars; i++)
        any_param |= s->net->scalars[i].is_param;
    Loc first = ast->nstmts ? ast->stmts[0]->kw_loc : (Loc){ ast->file, 0, 0 };
    if (!s->net->output)
        diag_error(s->diag, first, "a scalar graph needs an 'output' statement, e.g. "
                   "'output f = (x + y) * z'");
    if (!any_param)
        diag_error(s->diag, first, "a scalar graph needs at least one 'param' to differentiate by");
}

const char *spec_act_name(const LayerSpec *l)
{
    return l->formula ? l->formula->name : act_names[l->act];
}

const char *spec_loss_name(const NetSpec *n)
{
    return n->loss_formula ? n->loss_formula->name : loss_names[n->loss];
}
