/* test_ir.c: the middle end on in-memory specs: lowering, shape inference and
 * the backward pass autodiff derives (what it writes, what it accumulates). */
#include <stdlib.h>

#include "check.h"
#include "emit.h"
#include "ir.h"

typedef struct {
    Arena arena;
    Diag diag;
    IrGraph *g;
    char dump[16384];
} Run;

static void compile(Run *r, const char *text)
{
    memset(r, 0, sizeof *r);
    diag_init(&r->diag, stderr);
    const SrcFile *f = src_from_string(&r->arena, "test.net", text);
    AstSpec *ast = parse_spec(&r->arena, &r->diag, f);
    NetSpec *spec = ast ? sema_check(&r->arena, &r->diag, ast) : NULL;
    if (!spec)
        return;
    r->g = lower(&r->arena, &r->diag, spec);
    if (!shape_infer(&r->arena, &r->diag, r->g))
        return;
    autodiff(&r->arena, r->g);
    FILE *m = fmemopen(r->dump, sizeof r->dump - 1, "w");
    ir_dump(m, r->g);
    fclose(m);
}

static const IrInstr *find_bwd(const IrGraph *g, const char *label)
{
    for (int i = 0; i < g->nbwd; i++)
        if (strcmp(g->bwd[i]->label, label) == 0)
            return g->bwd[i];
    return NULL;
}

/* Shapes flow from the input; parameters are laid out in spec order. */
static void test_shapes_and_layout(void)
{
    Run r;
    compile(&r, "network n\ninput x[5]\ndense h[7] relu\ndense m[3] maxout(4)\n"
                "dense y[2] softmax nobias\nloss cross_entropy\n");
    CHECK(r.g != NULL);
    if (!r.g)
        return;
    CHECK_EQ_INT(r.g->nparams, 5);
    CHECK_EQ_INT(r.g->params[0]->rows, 7);      /* h.w [7][5] */
    CHECK_EQ_INT(r.g->params[0]->cols, 5);
    CHECK_EQ_INT(r.g->params[2]->rows, 12);     /* m.w: 3 units x 4 pieces */
    CHECK_EQ_INT(r.g->params[2]->cols, 7);
    CHECK_EQ_INT(r.g->params[4]->cols, 3);      /* y.w reads maxout's 3 outputs */
    CHECK_EQ_INT(r.g->num_params, 7 * 5 + 7 + 12 * 7 + 12 + 2 * 3);
    CHECK_EQ_INT(r.g->params[4]->offset, 7 * 5 + 7 + 12 * 7 + 12);
    CHECK_EQ_INT(r.g->output->size, 2);
    CHECK_CONTAINS(r.dump, "loss.cross_entropy.fused");
    arena_free_all(&r.arena);
}

/* A weight used by its layer and by both regularizers: the first backward write
 * overwrites its gradient, the later ones add. */
static void test_fan_out_accumulates(void)
{
    Run r;
    compile(&r, "input x[2]\ndense y[1] linear\nloss mse\nregularize l1 0.1\nregularize l2 0.2\n");
    if (!r.g) {
        CHECK(r.g != NULL);
        return;
    }
    const IrInstr *l2 = find_bwd(r.g, "y_l2_bwd"), *l1 = find_bwd(r.g, "y_l1_bwd"),
                  *dw = find_bwd(r.g, "y_linear_dw");
    CHECK(l1 && l2 && dw);
    if (l1 && l2 && dw) {
        CHECK(l1->out == l2->out && l2->out == dw->out);
        CHECK_EQ_INT(l2->accumulate + l1->accumulate + dw->accumulate, 2);
        CHECK(!r.g->bwd[0]->accumulate);
    }
    /* the input needs no gradient: no dx for the first layer */
    CHECK(find_bwd(r.g, "y_linear_dx") == NULL);
    arena_free_all(&r.arena);
}

/* Fused losses read the logit; the output activation then gets no backward. */
static void test_fused_loss_skips_output_activation(void)
{
    Run r;
    compile(&r, "input x[3]\ndense h[4] tanh\ndense y[1] sigmoid\nloss bce\n");
    if (!r.g) {
        CHECK(r.g != NULL);
        return;
    }
    CHECK(find_bwd(r.g, "y_sigmoid_bwd") == NULL);
    CHECK(find_bwd(r.g, "h_tanh_bwd") != NULL);
    CHECK(find_bwd(r.g, "y_linear_dx") != NULL);
    CHECK_CONTAINS(r.dump, "loss_bwd.bce.fused");
    /* mse on a sigmoid output is not fused: the sigmoid is differentiated */
    Run r2;
    compile(&r2, "input x[3]\ndense y[1] sigmoid\nloss mse\n");
    CHECK(r2.g && find_bwd(r2.g, "y_sigmoid_bwd") != NULL);
    arena_free_all(&r.arena);
    arena_free_all(&r2.arena);
}

/* Dropout gets a backward with the same site; input dropout needs none. */
static void test_dropout(void)
{
    Run r;
    compile(&r, "input x[3]\ndropout 0.2\ndense h[4] relu\ndropout 0.5\ndense y[2] linear\nloss mse\n");
    if (!r.g) {
        CHECK(r.g != NULL);
        return;
    }
    CHECK(r.g->has_dropout);
    const IrInstr *d = find_bwd(r.g, "h_dropout_bwd");
    CHECK(d != NULL && d->site == 2 && d->p == 0.5);
    CHECK(find_bwd(r.g, "x_dropout_bwd") == NULL);
    arena_free_all(&r.arena);
}

/* The emitter: same graph, same bytes; unrolling follows the limit. */
static void test_emit_deterministic_and_unroll(void)
{
    Run r;
    compile(&r, "network u\ninput x[3]\ndense y[2] linear\nloss mse\n");
    if (!r.g) {
        CHECK(r.g != NULL);
        return;
    }
    EmitOptions small = {"u.net", 64}, none = {"u.net", 0};
    EmittedFiles a, b, c;
    emit_model(r.g, &small, &a);
    emit_model(r.g, &small, &b);
    emit_model(r.g, &none, &c);
    CHECK(strcmp(a.source, b.source) == 0 && strcmp(a.header, b.header) == 0);
    CHECK_CONTAINS(a.source, "zn[1] = b[1] + w[3] * xn[0] + w[4] * xn[1] + w[5] * xn[2];");
    CHECK_CONTAINS(c.source, "u_dot(x + (size_t)n * 3");     /* the large-layer kernels */
    CHECK(strstr(c.source, "zn[1] = b[1]") == NULL);
    CHECK_CONTAINS(a.header, "#define U_NUM_PARAMS 8");
    CHECK_CONTAINS(a.header, "extern \"C\"");
    CHECK_CONTAINS(a.source, "(u.net:3)");
    emitted_files_free(&a);
    emitted_files_free(&b);
    emitted_files_free(&c);
    arena_free_all(&r.arena);
}

int main(void)
{
    test_shapes_and_layout();
    test_fan_out_accumulates();
    test_fused_loss_skips_output_activation();
    test_dropout();
    test_emit_deterministic_and_unroll();
    return check_summary("test_ir");
}
