/* scalar.h: scalar computation graphs, the lecture's `f = (x + y) * z`: params
 * (the variables differentiated by), consts, named intermediate features and one
 * output, compiled to one expression with symbolic derivatives (expr.h). */
#ifndef NETC_SCALAR_H
#define NETC_SCALAR_H

#include "emit.h"

typedef struct {
    const NetSpec *spec;
    ExprPool *pool;
    int nparams;
    const ScalarSpec **params;  /* variable i of every expression */
    double *values;             /* the params' values (spec defaults, or --set) */
    int nfeatures;
    const Expr **features;      /* each feature as an expression of the params */
    const Expr *output;
    const Expr **grad;          /* d output / d param i */
} ScalarGraph;

/* Reports a formula that simplifies to a division by zero to d. */
ScalarGraph *scalar_lower(Arena *a, Diag *d, const NetSpec *spec);
/* Sets a param's value from `NAME=VALUE`; returns false (and says why) otherwise. */
bool scalar_set(ScalarGraph *g, const char *assignment);
/* The forward values and every partial derivative, as the lecture writes them. */
void scalar_report(FILE *out, const ScalarGraph *g);
/* Symbolic derivatives against central differences; 0 if all agree to tol. */
int scalar_gradcheck(FILE *out, const ScalarGraph *g, double tol);
/* The values and gradient as JSON (`netc inspect --json`). */
void scalar_json(FILE *out, const ScalarGraph *g);
/* NAME.h / NAME.c: `double NAME_output(const double *params, double *grad)`. */
void scalar_emit(const ScalarGraph *g, const EmitOptions *o, EmittedFiles *out);

#endif
