/* dot.c: `netc dot SPEC`: the network (or scalar graph) as a Graphviz DOT
 * digraph: values as nodes with their sizes, activations and parameter counts,
 * edges for what reads what, the loss and regularizers at the end. */
#include "netc.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *seen[64];
    int n;
} Edges;

/* Names a formula reads, as one edge each into `to`. */
static void collect(Edges *ed, const AstExpr *e)
{
    if (!e)
        return;
    if (e->kind == EXPR_NAME || e->kind == EXPR_INDEX || e->kind == EXPR_SLICE) {
        bool dup = false;
        for (int i = 0; i < ed->n; i++)
            dup |= strcmp(ed->seen[i], e->name) == 0;
        if (!dup && ed->n < 64)
            ed->seen[ed->n++] = e->name;
    }
    collect(ed, e->a);
    collect(ed, e->b);
    for (int i = 0; i < e->nargs; i++)
        collect(ed, e->args[i]);
}

static void formula_edges(FILE *out, const NetSpec *s, const AstExpr *e, const char *to)
{
    Edges ed = {{0}, 0};
    collect(&ed, e);
    for (int i = 0; i < ed.n; i++) {
        bool known = s->output != NULL;     /* scalar graphs draw params and consts too */
        for (int k = 0; k < s->nnodes; k++)
            known |= strcmp(s->nodes[k].name, ed.seen[i]) == 0;
        if (known)
            fprintf(out, "  \"%s\" -> \"%s\";\n", ed.seen[i], to);
    }
}

/* The formula's text, quoted for a DOT label. */
static void formula_label(FILE *out, const AstExpr *e)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        return;
    ast_dump_expr(m, e);
    fclose(m);
    for (const char *c = text; *c; c++) {
        if (*c == '"' || *c == '\\')
            fputc('\\', out);
        fputc(*c, out);
    }
    free(text);
}

static void network_dot(FILE *out, const NetSpec *s)
{
    for (int i = 0; i < s->nnodes; i++) {
        const NodeSpec *n = &s->nodes[i];
        if (n->kind == NODE_INPUT) {
            fprintf(out, "  \"%s\" [shape=oval, label=\"input %s\\n[%d]\"];\n", n->name, n->name,
                    n->size);
        } else if (n->kind == NODE_DENSE) {
            const LayerSpec *l = &s->layers[n->layer];
            long in = s->nodes[l->src].size, rows = (long)l->units * l->pieces;
            long params = rows * in + (l->bias ? rows : 0);
            fprintf(out, "  \"%s\" [shape=box, label=\"dense %s\\n[%d] %s\\n%ld params%s\"];\n",
                    n->name, n->name, n->size, spec_act_name(l), params,
                    l->dropout > 0 ? "\\n+ dropout" : "");
            fprintf(out, "  \"%s\" -> \"%s\";\n", s->nodes[l->src].name, n->name);
        } else {
            fprintf(out, "  \"%s\" [shape=box, style=rounded, label=\"feature %s\\n[%d] = ",
                    n->name, n->name, n->size);
            formula_label(out, n->expr);
            fprintf(out, "\"];\n");
            formula_edges(out, s, n->expr, n->name);
        }
    }
    fprintf(out, "  \"loss\" [shape=diamond, label=\"loss %s", spec_loss_name(s));
    for (int i = 0; i < s->nregs; i++)
        fprintf(out, "\\n+ %s %g", s->regs[i].kind == REG_L1 ? "l1" : "l2", s->regs[i].lambda);
    fprintf(out, "\"];\n  \"%s\" -> \"loss\";\n", s->nodes[s->nnodes - 1].name);
}

static void scalar_dot(FILE *out, const NetSpec *s)
{
    for (int i = 0; i < s->nscalars; i++)
        fprintf(out, "  \"%s\" [shape=oval, label=\"%s %s = %g\"];\n", s->scalars[i].name,
                s->scalars[i].is_param ? "param" : "const", s->scalars[i].name,
                s->scalars[i].value);
    for (int i = 0; i < s->nfeatures; i++) {
        const AstStmt *f = s->features[i];
        fprintf(out, "  \"%s\" [shape=box, style=rounded, label=\"%s = ", f->name, f->name);
        formula_label(out, f->expr);
        fprintf(out, "\"];\n");
        formula_edges(out, s, f->expr, f->name);
    }
    fprintf(out, "  \"%s\" [shape=diamond, label=\"output %s = ", s->output->name,
            s->output->name);
    formula_label(out, s->output->expr);
    fprintf(out, "\"];\n");
    formula_edges(out, s, s->output->expr, s->output->name);
}

void dot_write(FILE *out, const Compilation *c)
{
    const NetSpec *s = c->spec;
    fprintf(out, "digraph \"%s\" {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n", s->name);
    if (s->output)
        scalar_dot(out, s);
    else
        network_dot(out, s);
    fprintf(out, "}\n");
}
