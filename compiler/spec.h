/* spec.h: the checked network description sema.c produces from the AST and
 * lower.c turns into IR. Everything here is resolved and range-checked. */
#ifndef NETC_SPEC_H
#define NETC_SPEC_H

#include <stdbool.h>

#include "ast.h"
#include "netrt.h"

typedef enum {
#define ACT(kind, name, nparams, def) kind,
#include "ops.def"
#undef ACT
    ACT_COUNT
} ActKind;

typedef enum {
#define LOSS(kind, name, fused) kind,
#include "ops.def"
#undef LOSS
    LOSS_COUNT
} LossKind;

extern const char *const act_names[ACT_COUNT + 1];     /* NULL-terminated */
extern const char *const loss_names[LOSS_COUNT + 1];   /* NULL-terminated */
extern const char *const train_item_names[];           /* NULL-terminated: lr, batch, ... */

/* A user-defined activation or loss: `activation swish(z) = z * sigmoid(z)`,
 * `loss huber(y, t; d = 1.0) = ...`. Variables are z (activations) or y, t
 * (losses); parameters after ';' have defaults a use may override. */
typedef struct {
    const char *name;
    const AstStmt *stmt;
    int nvars;                  /* 1 (activation) or 2 (loss) */
    const char *vars[2];
    int nparams;
    const char **param_names;
    double *param_defaults;
    const AstExpr *body;
    bool sum;                   /* loss: reduce by sum over outputs and batch, not mean */
    double inline_nodes;        /* the body's size and depth with every definition it */
    double inline_depth;        /* calls inlined (lower.c instantiates them per call) */
} FormulaDef;

/* Limits on formulas once user-defined functions (and, in scalar graphs,
 * features) are inlined: per formula, and summed over every use in a spec
 * (docs/language.md, "Limits"). The parser bounds a formula as written. */
enum { FORMULA_MAX_NODES = 10000, FORMULA_MAX_DEPTH = 1000, FORMULA_TOTAL_NODES = 200000 };

/* Limit on dense layers per network. */
enum { SPEC_MAX_LAYERS = 1000 };

typedef enum { INIT_DEFAULT, INIT_XAVIER, INIT_HE, INIT_UNIFORM, INIT_ZEROS } InitKind;
typedef enum { PREC_FLOAT, PREC_DOUBLE } Precision;
typedef enum { REG_L1, REG_L2 } RegKind;

typedef struct {
    const char *name;
    Loc loc;            /* the name in `dense NAME[N]` */
    const AstStmt *stmt;
    int units;
    ActKind act;
    double alpha;       /* leaky_relu/elu slope; unused otherwise */
    int pieces;         /* maxout k (>= 2); 1 otherwise */
    bool bias;
    InitKind init;      /* INIT_DEFAULT resolves in lower.c: he for relu-like, xavier otherwise */
    double init_a, init_b;  /* INIT_UNIFORM bounds */
    double dropout;     /* inverted dropout on this layer's output, 0 for none */
    const AstStmt *dropout_stmt;
    int src;            /* the node it reads (index into NetSpec.nodes) */
    const FormulaDef *formula;  /* a user-defined activation (act is ACT_COUNT), else NULL */
    double *formula_args;       /* its parameters' values for this layer */
} LayerSpec;

/* The network as a graph: every named value in spec order. */
typedef enum { NODE_INPUT, NODE_DENSE, NODE_FEATURE } NodeKind;
typedef struct {
    NodeKind kind;
    const char *name;
    const AstStmt *stmt;
    int size;                   /* values per sample */
    int layer;                  /* NODE_DENSE: index into layers */
    const AstExpr *expr;        /* NODE_FEATURE */
} NodeSpec;

/* `param NAME = v` (differentiated) and `const NAME = v` (not). */
typedef struct {
    const char *name;
    const AstStmt *stmt;
    double value;
    bool is_param;
} ScalarSpec;

typedef struct {
    RegKind kind;
    double lambda;
    const AstStmt *stmt;
} RegSpec;

/* Training defaults from the `train` block; `has_*` says the spec set it. The
 * optimizer config starts from netrt_optim_defaults of the chosen optimizer. */
typedef struct {
    NetrtOptimConfig optim;     /* kind, hyperparameters, schedule, clipping */
    const char *optimizer;      /* netrt_optim_name(optim.kind) */
    double lr, momentum;        /* copies of optim.lr and optim.momentum */
    int batch, epochs;
    unsigned long long seed;
    const char *scale;          /* input feature scaling: "none" (default), "standard", "minmax" */
    int patience;               /* early stopping: epochs without improvement, 0 off */
    double validation;          /* held-out fraction for early stopping */
    bool has_optimizer, has_lr, has_momentum, has_batch, has_epochs, has_seed, has_scale;
    bool has_schedule, has_clip, has_patience, has_validation;
} TrainSpec;

typedef struct {
    const SrcFile *file;
    const char *name;       /* C prefix, a valid identifier */
    Precision precision;
    const char *input_name;
    Loc input_loc;
    const AstStmt *input_stmt;
    int input_size;
    double input_dropout;   /* `dropout` right after `input` */
    const AstStmt *input_dropout_stmt;
    LayerSpec *layers;      /* in spec order, at least one */
    int nlayers;
    LossKind loss;
    const AstStmt *loss_stmt;
    const FormulaDef *loss_formula;   /* a user-defined loss (loss is LOSS_COUNT), else NULL */
    double *loss_args;
    NodeSpec *nodes;        /* input, dense layers and features in spec order */
    int nnodes;
    FormulaDef **formulas;  /* user-defined activations and losses, in spec order */
    int nformulas;
    ScalarSpec *scalars;    /* params and consts */
    int nscalars;
    const AstStmt **features;   /* scalar graphs: `feature` statements in order */
    int nfeatures;
    const AstStmt *output;  /* a scalar graph's `output` statement; NULL for networks */
    RegSpec *regs;
    int nregs;
    TrainSpec train;
} NetSpec;

/* Names for messages and generated comments, custom ones included. */
const char *spec_act_name(const LayerSpec *l);
const char *spec_loss_name(const NetSpec *n);

/* Validates the tree and builds the NetSpec. Reports every problem it finds to
 * diag; returns NULL if there were errors. */
NetSpec *sema_check(Arena *a, Diag *d, const AstSpec *ast);

#endif
