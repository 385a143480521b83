/* sema_int.h: what the files of the sema stage share: sema.c (statements,
 * layers, loss), sema_train.c (the train block) and sema_graph.c (formulas,
 * features, scalar graphs). */
#ifndef NETC_SEMA_INT_H
#define NETC_SEMA_INT_H

#include "spec.h"

typedef struct {
    Arena *arena;
    Diag *diag;
    const AstSpec *ast;
    NetSpec *net;
    int layers_cap, regs_cap;
    const AstStmt *network, *precision, *input, *loss, *train;
    const AstStmt *first_dense, *last_dense;
    const AstStmt **names;      /* input and dense statements, for duplicate checks */
    int nnames, names_cap;
    int nodes_cap, formulas_cap, scalars_cap, features_cap;
    double *feature_depth;      /* scalar graphs: each feature's depth once inlined */
    int feature_depth_cap;
    double formula_total;       /* inlined formula nodes over every use so far */
    bool too_many_layers;       /* SPEC_MAX_LAYERS reported */
} Sema;

/* sema.c helpers */
const char *spelling(Sema *s, const AstValue *v);
Loc after(const AstStmt *st);
int find_name(const char *word, const char *const *names);
void unknown(Sema *s, Loc loc, const char *what, const char *word, const char *const *names);
bool is_integral(double x);
bool want_number(Sema *s, const AstValue *v, const char *what);
bool check_range(Sema *s, const AstValue *v, const char *what, const char *range, bool ok);
void check_layer_name(Sema *s, const AstStmt *st, const char *what);
int check_size(Sema *s, const AstValue *v);

/* sema_train.c */
void sema_train_defaults(TrainSpec *t);
void sema_train(Sema *s, const AstStmt *st);   /* one `train` block */

/* sema_graph.c */
void sema_formula_def(Sema *s, const AstStmt *st);     /* activation / loss with a formula */
void sema_feature(Sema *s, const AstStmt *st);
void sema_scalar(Sema *s, const AstStmt *st);          /* param / const */
void sema_output(Sema *s, const AstStmt *st);
void sema_add_node(Sema *s, NodeKind kind, const AstStmt *st, int size, int layer);
/* A user-defined activation named word, or NULL. */
const FormulaDef *sema_find_activation(Sema *s, const char *word);
/* Adds a use's inlined formula size to the spec's total; false (reported once,
 * at loc) past FORMULA_TOTAL_NODES. */
bool sema_count_formula(Sema *s, double nodes, Loc loc);
/* Fills a layer's user-defined activation from its use `NAME` or `NAME(args)`. */
void sema_custom_activation(Sema *s, const AstValue *v, const FormulaDef *f, LayerSpec *l);
/* The node index `from NAME` names, or -1 after reporting why not. */
int sema_node_ref(Sema *s, const AstValue *v);
/* Checks that span the whole spec for graphs and scalar graphs. */
bool sema_is_scalar_graph(const Sema *s);
void sema_check_scalar_graph(Sema *s);

#endif
