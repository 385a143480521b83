/* spec.h: the checked network description sema.c produces from the AST and
 * lower.c turns into IR. Everything here is resolved and range-checked. */
#ifndef NETC_SPEC_H
#define NETC_SPEC_H

#include <stdbool.h>

#include "ast.h"

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
} LayerSpec;

typedef struct {
    RegKind kind;
    double lambda;
    const AstStmt *stmt;
} RegSpec;

/* Training defaults from the `train` block; `has_*` says the spec set it. */
typedef struct {
    const char *optimizer;  /* "sgd" */
    double lr, momentum;
    int batch, epochs;
    unsigned long long seed;
    const char *scale;      /* input feature scaling: "none" (default) or "standard" */
    bool has_optimizer, has_lr, has_momentum, has_batch, has_epochs, has_seed, has_scale;
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
    RegSpec *regs;
    int nregs;
    TrainSpec train;
} NetSpec;

/* Validates the tree and builds the NetSpec. Reports every problem it finds to
 * diag; returns NULL if there were errors. */
NetSpec *sema_check(Arena *a, Diag *d, const AstSpec *ast);

#endif
