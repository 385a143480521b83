/* ir.c: IR constructors, the text dump used by tests and `netc inspect`, and the
 * layout hash that ties weights files to a network. */
#include "ir.h"

#include <string.h>

IrValue *ir_new_value(Arena *a, IrGraph *g, IrValueKind kind, const char *name, int size)
{
    IrValue *v = arena_alloc(a, sizeof *v);
    v->id = g->nvalues;
    v->kind = kind;
    v->name = name;
    v->size = size;
    ARENA_PUSH(a, g->values, g->nvalues, g->cap_values, v);
    return v;
}

static IrInstr *new_instr(Arena *a, IrOp op, IrValue *out, const AstStmt *src)
{
    IrInstr *ins = arena_alloc(a, sizeof *ins);
    ins->op = op;
    ins->out = out;
    ins->src = src;
    ins->pieces = 1;
    return ins;
}

IrInstr *ir_add_fwd(Arena *a, IrGraph *g, IrOp op, IrValue *out, const AstStmt *src)
{
    IrInstr *ins = new_instr(a, op, out, src);
    ARENA_PUSH(a, g->fwd, g->nfwd, g->cap_fwd, ins);
    return ins;
}

IrInstr *ir_add_bwd(Arena *a, IrGraph *g, IrOp op, IrValue *out, const AstStmt *src)
{
    IrInstr *ins = new_instr(a, op, out, src);
    ARENA_PUSH(a, g->bwd, g->nbwd, g->cap_bwd, ins);
    return ins;
}

void ir_add_input(Arena *a, IrInstr *ins, IrValue *v)
{
    ARENA_PUSH(a, ins->in, ins->nin, ins->cap_in, v);
}

const char *ir_op_name(IrOp op)
{
    switch (op) {
    case IR_LINEAR: return "linear";
    case IR_ACT: return "act";
    case IR_MAXOUT: return "maxout";
    case IR_SOFTMAX: return "softmax";
    case IR_DROPOUT: return "dropout";
    case IR_LOSS: return "loss";
    case IR_REG: return "reg";
    case IR_LINEAR_DX: return "linear_dx";
    case IR_LINEAR_DW: return "linear_dw";
    case IR_LINEAR_DB: return "linear_db";
    case IR_ACT_BWD: return "act_bwd";
    case IR_MAXOUT_BWD: return "maxout_bwd";
    case IR_SOFTMAX_BWD: return "softmax_bwd";
    case IR_DROPOUT_BWD: return "dropout_bwd";
    case IR_LOSS_BWD: return "loss_bwd";
    case IR_REG_BWD: return "reg_bwd";
    case IR_EXPR: return "expr";
    case IR_CONCAT: return "concat";
    case IR_SLICE: return "slice";
    case IR_EXPR_BWD: return "expr_bwd";
    case IR_CONCAT_BWD: return "concat_bwd";
    case IR_SLICE_BWD: return "slice_bwd";
    }
    return "?";
}

static const char *kind_name(IrValueKind k)
{
    switch (k) {
    case VAL_INPUT: return "input";
    case VAL_TARGET: return "target";
    case VAL_PARAM: return "param";
    case VAL_ACT: return "act";
    case VAL_SCALAR: return "scalar";
    case VAL_PARAM_GRAD: return "param_grad";
    case VAL_ACT_GRAD: return "act_grad";
    }
    return "?";
}

static void dump_value(FILE *out, const IrValue *v)
{
    fprintf(out, "  %%%d %-10s %-12s", v->id, kind_name(v->kind), v->name);
    if (v->kind == VAL_PARAM || v->kind == VAL_PARAM_GRAD)
        fprintf(out, " [%d x %d] @%zu", v->rows, v->cols, v->offset);
    else if (v->kind == VAL_ACT || v->kind == VAL_ACT_GRAD)
        fprintf(out, " [n x %d] @n*%zu", v->size, v->offset);
    else if (v->kind != VAL_SCALAR)
        fprintf(out, " [n x %d]", v->size);
    fputc('\n', out);
}

static void dump_instr(FILE *out, const IrInstr *ins)
{
    fprintf(out, "  %%%d %s= %s", ins->out->id, ins->accumulate ? "+" : "", ir_op_name(ins->op));
    if ((ins->op == IR_ACT || ins->op == IR_ACT_BWD) && ins->act < ACT_COUNT)
        fprintf(out, ".%s", act_names[ins->act]);
    if (ins->op == IR_LOSS || ins->op == IR_LOSS_BWD)
        fprintf(out, ".%s%s", ins->name ? ins->name : loss_names[ins->loss],
                ins->fused ? ".fused" : "");
    if (ins->op == IR_EXPR_BWD)
        fprintf(out, ".d%d", ins->var);
    if (ins->op == IR_SLICE || ins->op == IR_SLICE_BWD || ins->op == IR_CONCAT_BWD)
        fprintf(out, "[%d]", ins->lo);
    if (ins->op == IR_REG || ins->op == IR_REG_BWD)
        fprintf(out, ".%s", ins->reg == REG_L1 ? "l1" : "l2");
    for (int i = 0; i < ins->nin; i++)
        fprintf(out, "%s%%%d", i ? ", " : " ", ins->in[i]->id);
    fprintf(out, "    ; %s", ins->label);
    if (ins->formula) {
        fputs("  ", out);
        static const char *const vars[] = { "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7",
                                            "v8", "v9", "v10", "v11", "v12", "v13", "v14",
                                            "v15", "v16", "v17", "v18", "v19", "v20", "v21",
                                            "v22", "v23", "v24", "v25", "v26", "v27", "v28",
                                            "v29", "v30", "v31" };
        expr_print(out, ins->deriv ? ins->deriv : ins->formula, vars);
    }
    fputc('\n', out);
}

void ir_dump(FILE *out, const IrGraph *g)
{
    fprintf(out, "values:\n");
    for (int i = 0; i < g->nvalues; i++)
        dump_value(out, g->values[i]);
    fprintf(out, "forward:\n");
    for (int i = 0; i < g->nfwd; i++)
        dump_instr(out, g->fwd[i]);
    fprintf(out, "backward:\n");
    for (int i = 0; i < g->nbwd; i++)
        dump_instr(out, g->bwd[i]);
    fprintf(out, "params %zu, work per sample %zu (forward %zu)\n", g->num_params,
            g->work_total, g->work_fwd);
}

static unsigned long long fnv_str(unsigned long long h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* A batch of n samples keeps the buffer at offset n * offset of the workspace,
 * so buffers of a vector's width or more start on a multiple of 16 reals: with
 * a 64-byte aligned workspace each one then starts on a cache line and the
 * vector kernels' loads never straddle two (a misaligned base doubled mnist's
 * inference time). Smaller buffers pack tightly; they are not vector-loaded. */
enum { WORK_ALIGN_REALS = 16 };

size_t ir_work_place(size_t *work, int size)
{
    if (size >= WORK_ALIGN_REALS)
        *work = (*work + WORK_ALIGN_REALS - 1) / WORK_ALIGN_REALS * WORK_ALIGN_REALS;
    size_t at = *work;
    *work += (size_t)size;
    return at;
}

unsigned long long ir_layout_hash(const IrGraph *g)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    char buf[64];
    snprintf(buf, sizeof buf, "in %d out %d;", g->input->size, g->output->size);
    h = fnv_str(h, buf);
    for (int i = 0; i < g->nparams; i++) {
        const IrValue *p = g->params[i];
        h = fnv_str(h, p->name);
        snprintf(buf, sizeof buf, ":%dx%d;", p->rows, p->cols);
        h = fnv_str(h, buf);
    }
    return h;
}
