/* ir.h: the IR. A graph of tensor values and the instructions that compute them.
 * lower.c builds the forward instructions from a NetSpec, shape.c checks and
 * lays out storage, autodiff.c appends the backward instructions. Values are
 * tensors; instructions write one value (forward) or add into one gradient
 * (backward), so the graph may be any DAG: a value can feed several
 * instructions and its gradient then accumulates. */
#ifndef NETC_IR_H
#define NETC_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "expr.h"
#include "spec.h"

typedef enum {
    VAL_INPUT,      /* the caller's x: [n][size] */
    VAL_TARGET,     /* the caller's t: [n][size] */
    VAL_PARAM,      /* a slice of params: [rows][cols] */
    VAL_ACT,        /* a batched intermediate in work: [n][size] */
    VAL_SCALAR,     /* one number (a loss term) */
    VAL_PARAM_GRAD, /* a slice of grad, same layout as its parameter */
    VAL_ACT_GRAD    /* gradient of a VAL_ACT, in work */
} IrValueKind;

typedef struct IrValue IrValue;
struct IrValue {
    int id;
    IrValueKind kind;
    const char *name;       /* "h", "h.w", "h.pre", "d(h)"; used in comments and labels */
    int size;               /* per sample for batched values; element count otherwise */
    int rows, cols;         /* parameters: [rows][cols] */
    size_t offset;          /* params/grad: offset in reals; VAL_ACT(_GRAD): per-sample offset in work */
    bool needs_grad;        /* depends on a parameter (set by lower.c) */
    IrValue *grad;          /* gradient value, created by autodiff.c */
    IrValue *grad_of;       /* for gradient values: the value they differentiate */
    int grad_writers;       /* backward instructions that write this gradient so far */
    /* parameters */
    InitKind init;
    double init_a, init_b;
    int fan_in, fan_out;
    bool is_weight;         /* weights are regularized, biases are not */
};

typedef enum {
    /* forward */
    IR_LINEAR,      /* out[n][o] = sum_i in0[n][i] * in1[o][i] (+ in2[o])       x, W, [b] */
    IR_ACT,         /* out = act(in0) elementwise (not linear, maxout or softmax)        */
    IR_MAXOUT,      /* out[n][u] = max_j in0[n][u*k + j]                                  */
    IR_SOFTMAX,     /* out[n] = softmax(in0[n])                                           */
    IR_DROPOUT,     /* out = in0 * mask / (1 - p) in training, in0 otherwise              */
    IR_LOSS,        /* scalar = mean loss(in0, in1 = target); in0 is the logit when fused */
    IR_REG,         /* scalar = lambda * |W|_1  or  lambda/2 * |W|_2^2                    */
    IR_EXPR,        /* out = formula(in0, in1, ...) elementwise; size-1 inputs broadcast  */
    IR_CONCAT,      /* out[n] = in0[n] ++ in1[n] ++ ...                                   */
    IR_SLICE,       /* out[n][j] = in0[n][lo + j]                                         */
    /* backward: out is a gradient value; `accumulate` says += rather than = */
    IR_LINEAR_DX,   /* out[n][i] = sum_o in0[n][o] * in1[o][i]          dy, W   */
    IR_LINEAR_DW,   /* out[o][i] = sum_n in0[n][o] * in1[n][i]          dy, x   */
    IR_LINEAR_DB,   /* out[o]    = sum_n in0[n][o]                      dy      */
    IR_ACT_BWD,     /* out = in0 * act'(...)                            dy, z, y */
    IR_MAXOUT_BWD,  /* out[n][u*k+j] = in0[n][u] if piece j wins        dy, z   */
    IR_SOFTMAX_BWD, /* out = y * (dy - sum(dy * y))                     dy, y   */
    IR_DROPOUT_BWD, /* out = in0 * mask / (1 - p)                       dy      */
    IR_LOSS_BWD,    /* out = d loss / d in                              y|z, t  */
    IR_REG_BWD,     /* out = lambda * sign(W)  or  lambda * W           W       */
    IR_EXPR_BWD,    /* out = dy * d formula / d in[var] (summed when broadcast)  dy, ins */
    IR_CONCAT_BWD,  /* out[n][j] = dy[n][lo + j]                        dy      */
    IR_SLICE_BWD    /* out[n][lo + j] = dy[n][j], 0 elsewhere           dy      */
} IrOp;

typedef struct IrInstr IrInstr;
struct IrInstr {
    IrOp op;
    IrValue *out;
    IrValue **in;
    int nin, cap_in;
    bool accumulate;        /* backward: add into out instead of overwriting it */
    ActKind act;            /* IR_ACT(_BWD) */
    double alpha;           /* leaky_relu / elu parameter */
    int pieces;             /* IR_MAXOUT(_BWD): k */
    double p;               /* IR_DROPOUT(_BWD): drop probability */
    int site;               /* IR_DROPOUT(_BWD): which dropout, for its mask stream */
    LossKind loss;          /* IR_LOSS(_BWD); LOSS_COUNT for a user-defined loss */
    bool fused;             /* IR_LOSS(_BWD): in0 is the logit of the output activation */
    bool sum;               /* IR_LOSS(_BWD) user-defined: reduce by sum, not mean */
    const Expr *formula;    /* IR_EXPR(_BWD), user-defined IR_LOSS: the value; vars = inputs */
    const Expr *deriv;      /* backward: d formula / d var */
    int var;                /* IR_EXPR_BWD: which input */
    int lo;                 /* IR_SLICE(_BWD): first element; IR_CONCAT_BWD: offset in the concat */
    const char *name;       /* user-defined activation or loss name, for comments */
    RegKind reg;            /* IR_REG(_BWD) */
    double lambda;
    const char *label;      /* unique C-identifier fragment: "h_linear", "h_sigmoid_bwd" */
    const AstStmt *src;     /* the spec statement it implements */
    IrInstr *fwd;           /* backward instructions: the forward one they differentiate */
};

typedef struct {
    const NetSpec *spec;
    IrValue **values;
    int nvalues, cap_values;
    IrInstr **fwd;          /* forward instructions in execution order */
    int nfwd, cap_fwd;
    IrInstr **bwd;          /* backward instructions in execution order */
    int nbwd, cap_bwd;
    IrValue *input, *target, *output;  /* output: what predict returns */
    ExprPool *exprs;        /* formulas of IR_EXPR and user-defined losses */
    IrValue **params;       /* parameters in layout order */
    int nparams, cap_params;
    size_t num_params;      /* total reals */
    size_t work_fwd;        /* reals per sample needed by the forward pass */
    size_t work_total;      /* forward + gradients (+ pack) */
    IrValue *pack;          /* the weight gradients' packing scratch in work, or NULL
                             * (emit_gemm.c; not in values: no instruction names it) */
    bool has_dropout;
} IrGraph;

IrValue *ir_new_value(Arena *a, IrGraph *g, IrValueKind kind, const char *name, int size);
IrInstr *ir_add_fwd(Arena *a, IrGraph *g, IrOp op, IrValue *out, const AstStmt *src);
IrInstr *ir_add_bwd(Arena *a, IrGraph *g, IrOp op, IrValue *out, const AstStmt *src);
void ir_add_input(Arena *a, IrInstr *ins, IrValue *v);
/* Places a work buffer of size reals per sample at *work and advances it. */
size_t ir_work_place(size_t *work, int size);

/* AST -> forward IR (lower.c). */
IrGraph *lower(Arena *a, Diag *d, const NetSpec *spec);
/* Shape checks and storage layout (shape.c); returns false on internal inconsistency. */
bool shape_infer(Arena *a, Diag *d, IrGraph *g);
/* Appends the backward pass (autodiff.c) and lays out gradient storage. */
void autodiff(Arena *a, IrGraph *g);

const char *ir_op_name(IrOp op);
void ir_dump(FILE *out, const IrGraph *g);
/* FNV-1a hash of the parameter layout (names, shapes, order) and I/O sizes. */
unsigned long long ir_layout_hash(const IrGraph *g);

#endif
