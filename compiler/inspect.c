/* inspect.c: views for tools and other languages: `netc inspect --json` (the IR
 * as JSON) and `netc weights dump` (a weights file as text). */
#include "netc.h"
#include "netrt.h"

#include <stdlib.h>
#include <string.h>

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static const char *init_word(InitKind k)
{
    switch (k) {
    case INIT_XAVIER: return "xavier";
    case INIT_HE: return "he";
    case INIT_UNIFORM: return "uniform";
    case INIT_ZEROS: return "zeros";
    default: return "default";
    }
}

static void json_layers(FILE *out, const NetSpec *s)
{
    fprintf(out, "  \"layers\": [\n");
    for (int i = 0; i < s->nlayers; i++) {
        const LayerSpec *l = &s->layers[i];
        fprintf(out, "    {\"name\": ");
        json_string(out, l->name);
        fprintf(out, ", \"kind\": \"dense\", \"units\": %d, \"activation\": \"%s\"", l->units,
                spec_act_name(l));
        fprintf(out, ", \"from\": ");
        json_string(out, s->nodes[l->src].name);
        if (l->act == ACT_LEAKY_RELU || l->act == ACT_ELU)
            fprintf(out, ", \"alpha\": %.17g", l->alpha);
        if (l->act == ACT_MAXOUT)
            fprintf(out, ", \"pieces\": %d", l->pieces);
        if (l->formula) {
            fprintf(out, ", \"args\": [");
            for (int k = 0; k < l->formula->nparams; k++)
                fprintf(out, "%s%.17g", k ? ", " : "", l->formula_args[k]);
            fputc(']', out);
        }
        fprintf(out, ", \"bias\": %s, \"init\": \"%s\", \"dropout\": %.17g}%s\n",
                l->bias ? "true" : "false", init_word(l->init), l->dropout,
                i + 1 < s->nlayers ? "," : "");
    }
    fprintf(out, "  ],\n");
}

static void json_params(FILE *out, const IrGraph *g)
{
    fprintf(out, "  \"params\": [\n");
    for (int i = 0; i < g->nparams; i++) {
        const IrValue *p = g->params[i];
        fprintf(out, "    {\"name\": ");
        json_string(out, p->name);
        fprintf(out, ", \"offset\": %zu, \"size\": %d, \"shape\": [%d, %d], \"init\": \"%s\", "
                     "\"regularized\": %s}%s\n",
                p->offset, p->size, p->rows, p->cols, init_word(p->init),
                p->is_weight ? "true" : "false", i + 1 < g->nparams ? "," : "");
    }
    fprintf(out, "  ],\n");
}

/* A formula as a Python expression over torch tensors, for cross-checks: the
 * functions it calls (concat, sl, lt, where, ...) are defined by the reader. */
static void python_expr(FILE *out, const AstExpr *e)
{
    static const struct { const char *op, *fn; } cmp[] = {
        {"<", "lt"}, {"<=", "le"}, {">", "gt"}, {">=", "ge"}, {"==", "eq"}, {"!=", "ne"},
    };
    switch (e->kind) {
    case EXPR_NUMBER: fprintf(out, "%.17g", e->num); return;
    case EXPR_NAME: fputs(e->name, out); return;
    case EXPR_INDEX:
        fprintf(out, "sl(%s, %d, %d)", e->name, (int)e->lo->num, (int)e->lo->num + 1);
        return;
    case EXPR_SLICE:
        fprintf(out, "sl(%s, %d, %d)", e->name, (int)e->lo->num, (int)e->hi->num);
        return;
    case EXPR_UNARY:
        fputs("(-", out);
        python_expr(out, e->a);
        fputc(')', out);
        return;
    case EXPR_CALL:
        fprintf(out, "%s(", e->name);
        for (int i = 0; i < e->nargs; i++) {
            if (i)
                fputs(", ", out);
            python_expr(out, e->args[i]);
        }
        fputc(')', out);
        return;
    case EXPR_BINARY:
        for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++) {
            if (strcmp(e->op, cmp[i].op) == 0) {
                fprintf(out, "%s(", cmp[i].fn);
                python_expr(out, e->a);
                fputs(", ", out);
                python_expr(out, e->b);
                fputc(')', out);
                return;
            }
        }
        fputc('(', out);
        python_expr(out, e->a);
        fprintf(out, " %s ", strcmp(e->op, "^") == 0 ? "**" : e->op);
        python_expr(out, e->b);
        fputc(')', out);
        return;
    }
}

static void json_python(FILE *out, const AstExpr *e)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        return;
    python_expr(m, e);
    fclose(m);
    json_string(out, text);
    free(text);
}

/* The graph: nodes in spec order, formulas and constants, for other tools. */
static void json_graph(FILE *out, const NetSpec *s)
{
    fprintf(out, "  \"nodes\": [\n");
    for (int i = 0; i < s->nnodes; i++) {
        const NodeSpec *n = &s->nodes[i];
        static const char *const kinds[] = { "input", "dense", "feature" };
        fprintf(out, "    {\"name\": ");
        json_string(out, n->name);
        fprintf(out, ", \"kind\": \"%s\", \"size\": %d", kinds[n->kind], n->size);
        if (n->kind == NODE_FEATURE) {
            fprintf(out, ", \"python\": ");
            json_python(out, n->expr);
        }
        fprintf(out, "}%s\n", i + 1 < s->nnodes ? "," : "");
    }
    fprintf(out, "  ],\n  \"formulas\": [\n");
    for (int i = 0; i < s->nformulas; i++) {
        const FormulaDef *f = s->formulas[i];
        fprintf(out, "    {\"name\": ");
        json_string(out, f->name);
        fprintf(out, ", \"vars\": [");
        for (int k = 0; k < f->nvars; k++) {
            fputs(k ? ", " : "", out);
            json_string(out, f->vars[k]);
        }
        fprintf(out, "], \"params\": {");
        for (int k = 0; k < f->nparams; k++) {
            fputs(k ? ", " : "", out);
            json_string(out, f->param_names[k]);
            fprintf(out, ": %.17g", f->param_defaults[k]);
        }
        fprintf(out, "}, \"sum\": %s, \"python\": ", f->sum ? "true" : "false");
        json_python(out, f->body);
        fprintf(out, "}%s\n", i + 1 < s->nformulas ? "," : "");
    }
    fprintf(out, "  ],\n  \"consts\": {");
    for (int i = 0, k = 0; i < s->nscalars; i++) {
        if (s->scalars[i].is_param)
            continue;
        fputs(k++ ? ", " : "", out);
        json_string(out, s->scalars[i].name);
        fprintf(out, ": %.17g", s->scalars[i].value);
    }
    fprintf(out, "},\n");
}

/* The train block's settings, with every optimizer hyperparameter. */
static void json_train(FILE *out, const TrainSpec *t)
{
    const NetrtOptimConfig *o = &t->optim;
    fprintf(out, "  \"train\": {\"optimizer\": \"%s\", \"lr\": %.17g, \"momentum\": %.17g, "
                 "\"beta1\": %.17g, \"beta2\": %.17g, \"rho\": %.17g, \"eps\": %.17g,\n",
            netrt_optim_name(o->kind), o->lr, o->momentum, o->beta1, o->beta2, o->rho, o->eps);
    fprintf(out, "            \"weight_decay\": %.17g, \"history\": %d, \"schedule\": \"%s\", "
                 "\"step_size\": %d, \"gamma\": %.17g, \"power\": %.17g, \"lr_min\": %.17g,\n",
            o->weight_decay, o->history, netrt_schedule_name(o->schedule), o->step_size, o->gamma,
            o->power, o->lr_min);
    fprintf(out, "            \"clip\": %.17g, \"batch\": %d, \"epochs\": %d, \"seed\": %llu, "
                 "\"scale\": \"%s\", \"patience\": %d, \"validation\": %.17g}\n",
            o->clip_norm, t->batch, t->epochs, t->seed, t->scale, t->patience, t->validation);
}

void inspect_json(FILE *out, const Compilation *c)
{
    const NetSpec *s = c->spec;
    const IrGraph *g = c->graph;
    fprintf(out, "{\n  \"network\": ");
    json_string(out, s->name);
    fprintf(out, ",\n  \"spec\": ");
    json_string(out, c->file->name);
    fprintf(out, ",\n  \"precision\": \"%s\",\n", s->precision == PREC_DOUBLE ? "double" : "float");
    fprintf(out, "  \"input\": {\"name\": ");
    json_string(out, s->input_name);
    fprintf(out, ", \"size\": %d, \"dropout\": %.17g},\n", s->input_size, s->input_dropout);
    json_layers(out, s);
    json_graph(out, s);
    fprintf(out, "  \"loss\": \"%s\",\n  \"regularizers\": [", spec_loss_name(s));
    for (int i = 0; i < s->nregs; i++)
        fprintf(out, "%s{\"kind\": \"%s\", \"lambda\": %.17g}", i ? ", " : "",
                s->regs[i].kind == REG_L1 ? "l1" : "l2", s->regs[i].lambda);
    fprintf(out, "],\n");
    json_params(out, g);
    fprintf(out, "  \"num_params\": %zu,\n  \"output_size\": %d,\n", g->num_params, g->output->size);
    fprintf(out, "  \"work_per_sample\": %zu,\n", g->work_total);
    fprintf(out, "  \"layout_hash\": \"0x%016llx\",\n", ir_layout_hash(g));
    json_train(out, &s->train);
    fprintf(out, "}\n");
}

/* Prints each tensor's values, named by the spec's layout when one is given. */
static void dump_tensors(const NetrtWeightsFile *wf, const IrGraph *g)
{
    for (int i = 0; i < g->nparams; i++) {
        const IrValue *p = g->params[i];
        printf("%s [%d][%d]\n", p->name, p->rows, p->cols);
        for (int r = 0; r < p->rows; r++) {
            printf(" ");
            for (int k = 0; k < p->cols; k++)
                printf(" %.9g", wf->values[p->offset + (size_t)r * (size_t)p->cols + (size_t)k]);
            printf("\n");
        }
    }
}

int weights_dump(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        printf("usage: netc weights dump WEIGHTS [SPEC]\n"
               "Prints a weights file's header and values; with SPEC, per named tensor.\n");
        return argc < 1 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[0], "dump") != 0 || argc < 2 || argc > 3) {
        fprintf(stderr, "netc: usage: netc weights dump WEIGHTS [SPEC]\n");
        return EXIT_USAGE;
    }
    NetrtWeightsFile wf;
    if (netrt_weights_read(&wf, argv[1]) != 0)
        return EXIT_INPUT_ERROR;
    printf("# %s: netc weights format %u, network '%s', %llu parameters, %s, layout 0x%016llx\n",
           argv[1], wf.version, wf.name, (unsigned long long)wf.num_params,
           wf.real_size == 8 ? "double" : "float", (unsigned long long)wf.layout_hash);
    int rc = 0;
    if (argc == 3) {
        Compilation c;
        rc = compile_spec(&c, argv[2], false);
        if (rc == 0 && !c.graph) {
            fprintf(stderr, "netc: error: '%s' is a scalar graph, which has no weights\n", argv[2]);
            rc = EXIT_INPUT_ERROR;
        } else if (rc == 0 && ir_layout_hash(c.graph) != wf.layout_hash) {
            fprintf(stderr, "netc: error: '%s' was not trained for the layout of '%s'\n", argv[1],
                    argv[2]);
            rc = EXIT_INPUT_ERROR;
        } else if (rc == 0) {
            dump_tensors(&wf, c.graph);
        }
        compilation_free(&c);
    } else {
        for (uint64_t i = 0; i < wf.num_params; i++)
            printf("%llu %.17g\n", (unsigned long long)i, wf.values[i]);
    }
    netrt_weights_file_free(&wf);
    return rc;
}
