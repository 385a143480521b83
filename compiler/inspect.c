/* inspect.c: views for tools and other languages: `netc inspect --json` (the IR
 * as JSON) and `netc weights dump` (a weights file as text). */
#include "netc.h"
#include "netrt.h"

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
                act_names[l->act]);
        if (l->act == ACT_LEAKY_RELU || l->act == ACT_ELU)
            fprintf(out, ", \"alpha\": %.17g", l->alpha);
        if (l->act == ACT_MAXOUT)
            fprintf(out, ", \"pieces\": %d", l->pieces);
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
    fprintf(out, "  \"loss\": \"%s\",\n  \"regularizers\": [", loss_names[s->loss]);
    for (int i = 0; i < s->nregs; i++)
        fprintf(out, "%s{\"kind\": \"%s\", \"lambda\": %.17g}", i ? ", " : "",
                s->regs[i].kind == REG_L1 ? "l1" : "l2", s->regs[i].lambda);
    fprintf(out, "],\n");
    json_params(out, g);
    fprintf(out, "  \"num_params\": %zu,\n  \"output_size\": %d,\n", g->num_params, g->output->size);
    fprintf(out, "  \"work_per_sample\": %zu,\n", g->work_total);
    fprintf(out, "  \"layout_hash\": \"0x%016llx\",\n", ir_layout_hash(g));
    fprintf(out, "  \"train\": {\"optimizer\": ");
    json_string(out, s->train.optimizer);
    fprintf(out, ", \"lr\": %.17g, \"momentum\": %.17g, \"batch\": %d, \"epochs\": %d, "
                 "\"seed\": %llu}\n}\n",
            s->train.lr, s->train.momentum, s->train.batch, s->train.epochs, s->train.seed);
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
        if (rc == 0 && ir_layout_hash(c.graph) != wf.layout_hash) {
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
