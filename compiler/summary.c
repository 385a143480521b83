/* summary.c: `netc summary SPEC`, a table in the manner of Keras's model.summary():
 * one row per spec statement with its output shape, parameters and FLOPs per
 * sample forward and backward (counted on the compiled IR), then totals and the
 * size of the C the emitter writes for it (run in-process). Scalar graphs get a
 * table of their params, features and output with values and FLOPs. */
#include "netc.h"

#include <stdlib.h>
#include <string.h>

/* ---- a left/right-aligned text table ---- */

enum { MAX_COLS = 6, MAX_CELL = 96 };
typedef char Cell[MAX_CELL];

typedef struct {
    int ncols;
    const char *head[MAX_COLS];
    bool right[MAX_COLS];       /* numbers are right-aligned */
    Cell (*cells)[MAX_COLS];
    int nrows, cap;
} Table;

static Cell *table_row(Table *t)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = realloc(t->cells, sizeof *t->cells * (size_t)t->cap);
        if (!t->cells)
            internal_error("out of memory");
    }
    memset(t->cells[t->nrows], 0, sizeof t->cells[0]);
    return t->cells[t->nrows++];
}

static void table_print(FILE *out, Table *t)
{
    int w[MAX_COLS], total = 0;
    for (int c = 0; c < t->ncols; c++) {
        w[c] = (int)strlen(t->head[c]);
        for (int r = 0; r < t->nrows; r++)
            if ((int)strlen(t->cells[r][c]) > w[c])
                w[c] = (int)strlen(t->cells[r][c]);
        total += w[c] + (c ? 3 : 0);
    }
    char line[MAX_COLS * (MAX_CELL + 3) + 1];
    for (int r = -1; r < t->nrows; r++) {
        int len = 0;
        for (int c = 0; c < t->ncols; c++) {
            const char *s = r < 0 ? t->head[c] : t->cells[r][c];
            len += snprintf(line + len, sizeof line - (size_t)len, t->right[c] ? "%s%*s" : "%s%-*s",
                            c ? "   " : "", w[c], s);
        }
        while (len > 0 && line[len - 1] == ' ')
            len--;
        fprintf(out, "%.*s\n", len, line);
        if (r < 0) {
            for (int i = 0; i < total; i++)
                fputc('-', out);
            fputc('\n', out);
        }
    }
    free(t->cells);
    t->cells = NULL;
}

/* 101770 -> "101,770" */
static void group(char *buf, size_t n, long long v)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%lld", v < 0 ? -v : v);
    int len = (int)strlen(raw), j = 0;
    if (v < 0 && n > 1)
        buf[j++] = '-';
    for (int i = 0; i < len && (size_t)j + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[j++] = ',';
        buf[j++] = raw[i];
    }
    buf[j] = '\0';
}

/* ---- counting ---- */

/* Distinct operation nodes (not constants or variables) reachable from roots:
 * one FLOP each per element, functions (exp, tanh, ...) included. */
typedef struct {
    const Expr **seen;
    int n, cap;
} Visited;

static int count_ops(Visited *v, const Expr *e)
{
    if (!e || e->op == EX_CONST || e->op == EX_VAR)
        return 0;
    for (int i = 0; i < v->n; i++)
        if (v->seen[i] == e)
            return 0;
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 64;
        v->seen = realloc(v->seen, sizeof *v->seen * (size_t)v->cap);
        if (!v->seen)
            internal_error("out of memory");
    }
    v->seen[v->n++] = e;
    return 1 + count_ops(v, e->a) + count_ops(v, e->b) + count_ops(v, e->c);
}

static long long expr_ops(const Expr *e)
{
    Visited v = {NULL, 0, 0};
    long long n = count_ops(&v, e);
    free(v.seen);
    return n;
}

/* FLOPs of one instruction per sample (per step for regularizers, *per_step set):
 * a multiply-add is 2, every other arithmetic operation or function call 1. */
static long long instr_flops(const IrInstr *ins, bool *per_step)
{
    const IrValue *o = ins->out;
    long long size = o->size;
    switch (ins->op) {
    case IR_LINEAR: {
        const IrValue *w = ins->in[1];
        return 2LL * w->rows * w->cols + (ins->nin > 2 ? w->rows : 0);
    }
    case IR_LINEAR_DX: return 2LL * ins->in[1]->rows * ins->in[1]->cols;
    case IR_LINEAR_DW: return 2LL * o->rows * o->cols;
    case IR_LINEAR_DB: return o->rows;
    case IR_ACT: return size;
    case IR_ACT_BWD: return 2 * size;                       /* f'(z), times dy */
    case IR_MAXOUT: return (long long)ins->in[0]->size - size;  /* k - 1 compares per unit */
    case IR_MAXOUT_BWD: return size;
    case IR_SOFTMAX: return 4 * size;                       /* max, exp, sum, divide */
    case IR_SOFTMAX_BWD: return 4 * size;
    case IR_DROPOUT:
    case IR_DROPOUT_BWD: return size;
    case IR_LOSS:
        if (ins->formula)
            return ins->in[0]->size * (expr_ops(ins->formula) + 1);
        return 3LL * ins->in[0]->size;
    case IR_LOSS_BWD:
        if (ins->deriv)
            return size * (expr_ops(ins->deriv) + 1);
        return 2 * size;
    case IR_EXPR: return size * expr_ops(ins->formula);
    case IR_EXPR_BWD: return size * (expr_ops(ins->deriv) + 1);
    case IR_REG:
    case IR_REG_BWD:
        *per_step = true;
        return 2LL * ins->in[0]->size;
    default: return 0;                                      /* concat, slice: copies */
    }
}

/* ---- networks ---- */

typedef struct {
    long long params, fwd, bwd;
    bool per_step;
} RowCount;

/* The statement each forward instruction implements. The parts of a feature's
 * formula (slices, concats, sub-formulas) carry no statement; lower.c emits them
 * while lowering that feature, right after the statement before it, so they
 * belong to the first feature that follows the last instruction with one. */
static const AstStmt **owners(Arena *a, const AstSpec *ast, const IrGraph *g)
{
    const AstStmt **own = arena_alloc(a, sizeof *own * (size_t)(g->nfwd + 1));
    int after = -1;
    for (int i = 0; i < g->nfwd; i++) {
        own[i] = g->fwd[i]->src;
        if (own[i]) {
            after = own[i]->loc.start;
            continue;
        }
        for (int k = 0; k < ast->nstmts && !own[i]; k++)
            if (ast->stmts[k]->kind == ST_FEATURE && ast->stmts[k]->kw_loc.start > after)
                own[i] = ast->stmts[k];
    }
    return own;
}

static const AstStmt *owner_of(const IrGraph *g, const AstStmt **own, const IrInstr *ins)
{
    for (int i = 0; i < g->nfwd; i++)
        if (g->fwd[i] == ins || g->fwd[i] == ins->fwd)
            return own[i];
    return ins->src;
}

static RowCount count_stmt(const IrGraph *g, const AstStmt **own, const AstStmt *st)
{
    RowCount r = {0, 0, 0, false};
    for (int i = 0; i < g->nfwd; i++) {
        const IrInstr *ins = g->fwd[i];
        if (own[i] != st)
            continue;
        r.fwd += instr_flops(ins, &r.per_step);
        if (ins->op == IR_LINEAR)
            for (int k = 1; k < ins->nin; k++)
                r.params += ins->in[k]->size;
    }
    for (int i = 0; i < g->nbwd; i++)
        if (owner_of(g, own, g->bwd[i]) == st)
            r.bwd += instr_flops(g->bwd[i], &r.per_step);
    return r;
}

static const NodeSpec *node_of(const NetSpec *s, const AstStmt *st)
{
    for (int i = 0; i < s->nnodes; i++)
        if (s->nodes[i].stmt == st)
            return &s->nodes[i];
    return NULL;
}

/* The size a dropout statement's mask covers. */
static int dropout_size(const IrGraph *g, const AstStmt *st)
{
    for (int i = 0; i < g->nfwd; i++)
        if (g->fwd[i]->src == st && g->fwd[i]->op == IR_DROPOUT)
            return g->fwd[i]->out->size;
    return 0;
}

/* "name (type)" for a statement's row, or NULL if it gets none. */
static const char *row_label(Arena *a, const NetSpec *s, const AstStmt *st)
{
    const NodeSpec *n = node_of(s, st);
    switch (st->kind) {
    case ST_INPUT: return arena_printf(a, "%s (input)", st->name);
    case ST_DENSE:
        if (n && n->kind == NODE_DENSE)
            return arena_printf(a, "%s (dense %s)", st->name, spec_act_name(&s->layers[n->layer]));
        return NULL;
    case ST_FEATURE: return arena_printf(a, "%s (feature)", st->name);
    case ST_DROPOUT:
        return arena_printf(a, "dropout (%s)", st->nvals ? st->vals[0]->text : "?");
    case ST_LOSS: return arena_printf(a, "loss (%s)", spec_loss_name(s));
    case ST_REGULARIZE:
        for (int i = 0; i < s->nregs; i++)
            if (s->regs[i].stmt == st)
                return arena_printf(a, "regularize (%s %g)",
                                    s->regs[i].kind == REG_L1 ? "l1" : "l2", s->regs[i].lambda);
        return NULL;
    default: return NULL;
    }
}

static void flops_cell(char *cell, long long v, bool per_step)
{
    group(cell, MAX_CELL - 1, v);
    if (per_step)
        strcat(cell, "*");
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

static void code_size(FILE *out, const EmittedFiles *f)
{
    fprintf(out, "generated C: %s.c %zu lines, %zu bytes; %s.h %zu lines, %zu bytes\n", f->base,
            count_lines(f->source), strlen(f->source), f->base, count_lines(f->header),
            strlen(f->header));
}

static void network_summary(FILE *out, Compilation *c, const EmitOptions *eo)
{
    const NetSpec *s = c->spec;
    const IrGraph *g = c->graph;
    Table t = {5, {"layer (type)", "output", "params", "fwd FLOPs", "bwd FLOPs"},
               {false, false, true, true, true}, NULL, 0, 0};
    long long fwd = 0, bwd = 0, params = 0;
    bool any_per_step = false;
    const AstStmt **own = owners(&c->arena, c->ast, g);
    for (int i = 0; i < c->ast->nstmts; i++) {
        const AstStmt *st = c->ast->stmts[i];
        const char *label = row_label(&c->arena, s, st);
        if (!label)
            continue;
        RowCount r = count_stmt(g, own, st);
        const NodeSpec *n = node_of(s, st);
        Cell *row = table_row(&t);
        snprintf(row[0], MAX_CELL, "%s", label);
        if (n)
            snprintf(row[1], MAX_CELL, "(n, %d)", n->size);
        else if (st->kind == ST_DROPOUT)
            snprintf(row[1], MAX_CELL, "(n, %d)", dropout_size(g, st));
        else
            snprintf(row[1], MAX_CELL, "scalar");
        group(row[2], MAX_CELL, r.params);
        flops_cell(row[3], r.fwd, r.per_step);
        flops_cell(row[4], r.bwd, r.per_step);
        params += r.params;
        if (r.per_step)
            any_per_step = true;
        else
            fwd += r.fwd, bwd += r.bwd;
    }
    fprintf(out, "network '%s' (%s), precision %s\n\n", s->name, c->file->name,
            s->precision == PREC_DOUBLE ? "double" : "float");
    table_print(out, &t);

    char p[32], f1[32], f2[32], f3[32];
    size_t real = s->precision == PREC_DOUBLE ? 8 : 4;
    group(p, sizeof p, params);
    group(f1, sizeof f1, fwd);
    group(f2, sizeof f2, bwd);
    group(f3, sizeof f3, fwd + bwd);
    long long weights = 0;
    for (int i = 0; i < g->nparams; i++)
        if (g->params[i]->is_weight)
            weights += g->params[i]->size;
    char bytes[32], nw[32], nb[32];
    group(bytes, sizeof bytes, params * (long long)real);
    group(nw, sizeof nw, weights);
    group(nb, sizeof nb, params - weights);
    fprintf(out, "\nparams: %s (%s bytes as %s; %s weight%s, %s bias%s)\n", p, bytes,
            real == 8 ? "double" : "float", nw, weights == 1 ? "" : "s", nb,
            params - weights == 1 ? "" : "es");
    fprintf(out, "FLOPs per sample: forward %s, backward %s, training step %s\n", f1, f2, f3);
    if (any_per_step)
        fprintf(out, "  (* per training step, not per sample)\n");
    fprintf(out, "workspace: %zu reals per sample (forward %zu)\n", g->work_total, g->work_fwd);
    EmittedFiles ef;
    emit_model(g, eo, &ef);
    code_size(out, &ef);
    emitted_files_free(&ef);
}

/* ---- scalar graphs ---- */

static void scalar_summary(FILE *out, Compilation *c, const EmitOptions *eo)
{
    const NetSpec *s = c->spec;
    const ScalarGraph *g = c->scalar;
    Table t = {4, {"name (kind)", "value", "FLOPs", "formula"}, {false, true, true, false},
               NULL, 0, 0};
    for (int i = 0; i < s->nscalars; i++) {
        Cell *row = table_row(&t);
        snprintf(row[0], MAX_CELL, "%s (%s)", s->scalars[i].name,
                 s->scalars[i].is_param ? "param" : "const");
        double v = s->scalars[i].value;
        for (int k = 0; k < g->nparams; k++)
            if (g->params[k] == &s->scalars[i])
                v = g->values[k];
        snprintf(row[1], MAX_CELL, "%.6g", v);
    }
    /* each row counts the operations it adds to the ones above it */
    Visited v = {NULL, 0, 0};
    long long fwd = 0, bwd = 0;
    for (int i = 0; i <= g->nfeatures; i++) {
        const Expr *e = i < g->nfeatures ? g->features[i] : g->output;
        const AstStmt *st = i < g->nfeatures ? s->features[i] : s->output;
        Cell *row = table_row(&t);
        snprintf(row[0], MAX_CELL, "%s (%s)", st->name, i < g->nfeatures ? "feature" : "output");
        snprintf(row[1], MAX_CELL, "%.6g", expr_eval(e, g->values));
        long long ops = count_ops(&v, e);
        fwd += ops;
        group(row[2], MAX_CELL, ops);
        /* the formula as written, blanks collapsed */
        const char *src = c->file->text + st->expr->loc.start;
        int len = st->expr->loc.end - st->expr->loc.start, k = 0;
        for (int j = 0; j < len && k < MAX_CELL - 1; j++)
            if (!(src[j] == ' ' || src[j] == '\t') || (k > 0 && row[3][k - 1] != ' '))
                row[3][k++] = src[j] == '\t' ? ' ' : src[j];
        row[3][k] = '\0';
    }
    for (int k = 0; k < g->nparams; k++)
        bwd += count_ops(&v, g->grad[k]);
    free(v.seen);
    fprintf(out, "scalar graph '%s' (%s), precision double\n\n", s->name, c->file->name);
    table_print(out, &t);
    fprintf(out, "\nparams: %d; FLOPs: forward %lld, gradient %lld more (each operation counted "
                 "once)\n", g->nparams, fwd, bwd);
    EmittedFiles ef;
    scalar_emit(g, eo, &ef);
    code_size(out, &ef);
    emitted_files_free(&ef);
}

int cmd_summary(int argc, char **argv)
{
    const char *path = NULL;
    EmitOptions eo = {NULL, EMIT_DEFAULT_UNROLL_LIMIT};
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: netc summary SPEC [--unroll-limit N]\n"
                   "Prints one row per layer, dropout, feature, loss and regularizer: output\n"
                   "shape, parameters, FLOPs per sample forward and backward (a multiply-add\n"
                   "counts 2, any other operation 1); then totals, the workspace and the size\n"
                   "of the C `netc build` writes. A scalar graph lists its values instead.\n");
            return 0;
        } else if (strcmp(argv[i], "--unroll-limit") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 1000000) {
                fprintf(stderr, "netc: --unroll-limit expects an integer from 0 to 1000000, "
                                "got '%s'\n", argv[i]);
                return EXIT_USAGE;
            }
            eo.unroll_limit = (int)v;
        } else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "netc: summary: unexpected argument '%s'\n(see 'netc --help')\n",
                    argv[i]);
            return EXIT_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        fprintf(stderr, "netc: summary: no spec given\n(see 'netc --help')\n");
        return EXIT_USAGE;
    }
    Compilation c;
    int rc = compile_spec(&c, path, false);
    if (rc == 0) {
        eo.spec_path = path;
        if (c.scalar)
            scalar_summary(stdout, &c, &eo);
        else
            network_summary(stdout, &c, &eo);
    }
    compilation_free(&c);
    return rc;
}
