/* scalar.c: scalar computation graphs (see scalar.h). Used by `netc grad`,
 * `netc gradcheck` and `netc build` when a spec has `param` and `output`
 * statements instead of a network. */
#include "scalar.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ScalarGraph *g;
    Arena *a;
} Lowerer;

static const Expr *convert(Lowerer *L, const AstExpr *e);

static const Expr *lookup(Lowerer *L, const char *name)
{
    ScalarGraph *g = L->g;
    for (int i = 0; i < g->nparams; i++)
        if (strcmp(g->params[i]->name, name) == 0)
            return expr_var(g->pool, i);
    const NetSpec *n = g->spec;
    for (int i = 0; i < n->nscalars; i++)
        if (!n->scalars[i].is_param && strcmp(n->scalars[i].name, name) == 0)
            return expr_const(g->pool, n->scalars[i].value);
    for (int i = g->nfeatures - 1; i >= 0; i--)
        if (strcmp(n->features[i]->name, name) == 0)
            return g->features[i];
    internal_error("unknown name '%s' in a scalar graph after sema", name);
}

static const Expr *convert_call(Lowerer *L, const AstExpr *e)
{
    static const struct { const char *name; ExprOp op; } unary[] = {
        {"exp", EX_EXP}, {"log", EX_LOG}, {"sqrt", EX_SQRT}, {"abs", EX_ABS},
        {"tanh", EX_TANH}, {"sigmoid", EX_SIGMOID}, {"softplus", EX_SOFTPLUS},
    };
    ExprPool *p = L->g->pool;
    const Expr *args[3] = { NULL, NULL, NULL };
    for (int i = 0; i < e->nargs && i < 3; i++)
        args[i] = convert(L, e->args[i]);
    for (size_t i = 0; i < sizeof unary / sizeof unary[0]; i++)
        if (strcmp(e->name, unary[i].name) == 0)
            return expr_unary(p, unary[i].op, args[0]);
    if (strcmp(e->name, "min") == 0)
        return expr_binary(p, EX_MIN, args[0], args[1]);
    if (strcmp(e->name, "max") == 0)
        return expr_binary(p, EX_MAX, args[0], args[1]);
    if (strcmp(e->name, "where") == 0)
        return expr_where(p, args[0], args[1], args[2]);
    internal_error("function '%s' in a scalar graph after sema", e->name);
}

static const Expr *convert(Lowerer *L, const AstExpr *e)
{
    static const struct { const char *op; ExprOp ex; } binops[] = {
        {"+", EX_ADD}, {"-", EX_SUB}, {"*", EX_MUL}, {"/", EX_DIV}, {"^", EX_POW},
        {"<", EX_LT}, {"<=", EX_LE}, {">", EX_GT}, {">=", EX_GE}, {"==", EX_EQ}, {"!=", EX_NE},
    };
    ExprPool *p = L->g->pool;
    switch (e->kind) {
    case EXPR_NUMBER: return expr_const(p, e->num);
    case EXPR_NAME: return lookup(L, e->name);
    case EXPR_UNARY: return expr_unary(p, EX_NEG, convert(L, e->a));
    case EXPR_CALL: return convert_call(L, e);
    case EXPR_BINARY: {
        const Expr *a = convert(L, e->a), *b = convert(L, e->b);
        for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
            if (strcmp(e->op, binops[i].op) == 0)
                return expr_binary(p, binops[i].ex, a, b);
        break;
    }
    default:
        break;
    }
    internal_error("unsupported formula in a scalar graph after sema");
}

/* NULL is a division by a constant zero (expr.h): report it, continue with 0. */
static const Expr *checked(Diag *d, ScalarGraph *g, const Expr *e, Loc loc)
{
    if (e)
        return e;
    diag_error(d, loc, "division by zero: a divisor in this formula simplifies to 0");
    return expr_const(g->pool, 0);
}

ScalarGraph *scalar_lower(Arena *a, Diag *d, const NetSpec *spec)
{
    ScalarGraph *g = arena_alloc(a, sizeof *g);
    Lowerer L = { g, a };
    g->spec = spec;
    g->pool = expr_pool_new(a);
    g->params = arena_alloc(a, sizeof(ScalarSpec *) * (size_t)(spec->nscalars + 1));
    g->values = arena_alloc(a, sizeof(double) * (size_t)(spec->nscalars + 1));
    for (int i = 0; i < spec->nscalars; i++) {
        if (spec->scalars[i].is_param) {
            g->values[g->nparams] = spec->scalars[i].value;
            g->params[g->nparams++] = &spec->scalars[i];
        }
    }
    g->features = arena_alloc(a, sizeof(Expr *) * (size_t)(spec->nfeatures + 1));
    for (int i = 0; i < spec->nfeatures; i++) {
        g->features[i] = checked(d, g, convert(&L, spec->features[i]->expr),
                                 spec->features[i]->expr->loc);
        g->nfeatures = i + 1;
    }
    g->output = checked(d, g, convert(&L, spec->output->expr), spec->output->expr->loc);
    g->grad = arena_alloc(a, sizeof(Expr *) * (size_t)(g->nparams + 1));
    for (int i = 0; i < g->nparams; i++)
        g->grad[i] = expr_diff(g->pool, g->output, i);
    return g;
}

bool scalar_set(ScalarGraph *g, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (!eq) {
        fprintf(stderr, "netc: --set expects NAME=VALUE, found '%s'\n", assignment);
        return false;
    }
    size_t len = (size_t)(eq - assignment);
    for (int i = 0; i < g->nparams; i++) {
        const char *name = g->params[i]->name;
        if (strlen(name) != len || strncmp(name, assignment, len) != 0)
            continue;
        char *end;
        double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !isfinite(v)) {
            fprintf(stderr, "netc: --set %.*s expects a finite number, found '%s'\n", (int)len,
                    assignment, eq + 1);
            return false;
        }
        g->values[i] = v;
        return true;
    }
    fprintf(stderr, "netc: --set: '%.*s' is not a param of this graph\n", (int)len, assignment);
    return false;
}

void scalar_report(FILE *out, const ScalarGraph *g)
{
    const NetSpec *n = g->spec;
    const char *f = n->output->name;
    for (int i = 0; i < g->nparams; i++)
        fprintf(out, "%s = %.17g\n", g->params[i]->name, g->values[i]);
    for (int i = 0; i < g->nfeatures; i++)
        fprintf(out, "%s = %.17g\n", n->features[i]->name, expr_eval(g->features[i], g->values));
    fprintf(out, "%s = %.17g\n", f, expr_eval(g->output, g->values));
    for (int i = 0; i < g->nparams; i++)
        fprintf(out, "d%s/d%s = %.17g\n", f, g->params[i]->name, expr_eval(g->grad[i], g->values));
}

int scalar_gradcheck(FILE *out, const ScalarGraph *g, double tol)
{
    double *v = malloc(sizeof(double) * (size_t)(g->nparams + 1)), worst = 0;
    if (!v)
        internal_error("out of memory");
    int bad = 0;
    for (int i = 0; i < g->nparams; i++) {
        memcpy(v, g->values, sizeof(double) * (size_t)g->nparams);
        double h = 1e-5 * fmax(1.0, fabs(v[i])), x = v[i];
        v[i] = x + h;
        double up = expr_eval(g->output, v);
        v[i] = x - h;
        double down = expr_eval(g->output, v);
        double numeric = (up - down) / (2 * h), analytic = expr_eval(g->grad[i], g->values);
        double rel = fabs(analytic - numeric) / fmax(fmax(fabs(analytic), fabs(numeric)), 1e-8);
        bad += rel > tol;
        worst = fmax(worst, rel);
        fprintf(out, "  %-12s analytic %.12g  numeric %.12g  rel error %.2g\n",
                g->params[i]->name, analytic, numeric, rel);
    }
    free(v);
    fprintf(out, "gradcheck: %s (max rel error %.2g, tolerance %g)\n", bad ? "FAIL" : "PASS",
            worst, tol);
    return bad ? 1 : 0;
}

static char *text_of(void (*write)(FILE *, const ScalarGraph *, const EmitOptions *),
                     const ScalarGraph *g, const EmitOptions *o)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        internal_error("open_memstream failed");
    write(f, g, o);
    fclose(f);
    return text;
}

static void write_header(FILE *f, const ScalarGraph *g, const EmitOptions *o)
{
    const char *p = g->spec->name;
    char P[64];
    snprintf(P, sizeof P, "%s", p);
    for (char *c = P; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    fprintf(f, "/* Generated by netc %s from a scalar graph. Do not edit. */\n", NETC_VERSION);
    (void)o;
    fprintf(f, "#ifndef %s_H\n#define %s_H\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", P, P);
    fprintf(f, "#define %s_NUM_PARAMS %d\n", P, g->nparams);
    for (int i = 0; i < g->nparams; i++)
        fprintf(f, "#define %s_%s %d    /* params[%d]; the spec sets %.17g */\n", P,
                g->params[i]->name, i, i, g->params[i]->value);
    fprintf(f, "\n/* Returns %s and writes its derivative by each param to grad. */\n",
            g->spec->output->name);
    fprintf(f, "double %s_output(const double *params, double *grad);\n\n", p);
    fprintf(f, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
}

static void write_source(FILE *f, const ScalarGraph *g, const EmitOptions *o)
{
    const char *p = g->spec->name;
    (void)o;
    fprintf(f, "/* Generated by netc %s from a scalar graph. Do not edit. */\n", NETC_VERSION);
    fprintf(f, "#include <math.h>\n\n#include \"%s.h\"\n\n", p);
    fprintf(f, "/* %s and its gradient, derived symbolically. */\n", g->spec->output->name);
    fprintf(f, "double %s_output(const double *params, double *grad)\n{\n", p);
    bool reads = false;     /* an output that does not depend on the params: `output L = 0` */
    for (int i = 0; i < g->nparams; i++)
        reads = reads || expr_uses_var(g->output, i);
    if (!reads)
        fprintf(f, "    (void)params;\n");
    int n = g->nparams + 1;
    const Expr **roots = malloc(sizeof(Expr *) * (size_t)n);
    const char **vars = malloc(sizeof(char *) * (size_t)(g->nparams + 1));
    const char **exprs = malloc(sizeof(char *) * (size_t)n);
    char (*names)[32] = malloc(sizeof *names * (size_t)(g->nparams + 1));
    if (!roots || !vars || !exprs || !names)
        internal_error("out of memory");
    roots[0] = g->output;
    for (int i = 0; i < g->nparams; i++) {
        roots[i + 1] = g->grad[i];
        snprintf(names[i], sizeof names[i], "params[%d]", i);
        vars[i] = names[i];
    }
    expr_emit(f, 4, roots, n, vars, true, "double", "t", exprs);
    for (int i = 0; i < g->nparams; i++)
        fprintf(f, "    grad[%d] = %s;    /* d%s/d%s */\n", i, exprs[i + 1],
                g->spec->output->name, g->params[i]->name);
    fprintf(f, "    return %s;\n}\n", exprs[0]);
    free(roots);
    free(vars);
    free(exprs);
    free(names);
}

void scalar_emit(const ScalarGraph *g, const EmitOptions *o, EmittedFiles *out)
{
    out->base = g->spec->name;
    out->header = text_of(write_header, g, o);
    out->source = text_of(write_source, g, o);
    out->netrt = NULL;
}

void scalar_json(FILE *out, const ScalarGraph *g)
{
    const NetSpec *n = g->spec;
    fprintf(out, "{\n  \"network\": \"%s\",\n  \"kind\": \"scalar_graph\",\n  \"params\": {", n->name);
    for (int i = 0; i < g->nparams; i++)
        fprintf(out, "%s\"%s\": %.17g", i ? ", " : "", g->params[i]->name, g->values[i]);
    fprintf(out, "},\n  \"features\": {");
    for (int i = 0; i < g->nfeatures; i++)
        fprintf(out, "%s\"%s\": %.17g", i ? ", " : "", n->features[i]->name,
                expr_eval(g->features[i], g->values));
    fprintf(out, "},\n  \"output\": {\"name\": \"%s\", \"value\": %.17g},\n  \"gradient\": {",
            n->output->name, expr_eval(g->output, g->values));
    for (int i = 0; i < g->nparams; i++)
        fprintf(out, "%s\"%s\": %.17g", i ? ", " : "", g->params[i]->name,
                expr_eval(g->grad[i], g->values));
    fprintf(out, "}\n}\n");
}
