/* netc.h: what the driver's files share: one compilation (spec -> IR -> C) and
 * the subcommands built on it. */
#ifndef NETC_NETC_H
#define NETC_NETC_H

#include "emit.h"
#include "scalar.h"

typedef struct {
    Arena arena;
    Diag diag;
    const SrcFile *file;
    AstSpec *ast;
    NetSpec *spec;
    IrGraph *graph;         /* networks */
    ScalarGraph *scalar;    /* scalar graphs (`param` ... `output`) */
} Compilation;

/* Runs the front end and the middle end on path. force_double builds the network
 * in double whatever the spec says (gradient checks). Returns 0, or the exit
 * status to stop with (1 for errors in the spec). */
int compile_spec(Compilation *c, const char *path, bool force_double);
/* The same on len bytes in memory (they may hold NUL bytes), named name in
 * messages, which go to diag_out (the fuzz targets). */
int compile_bytes(Compilation *c, const char *name, const char *bytes, size_t len,
                  FILE *diag_out, bool force_double);
void compilation_free(Compilation *c);

/* Creates a directory and its missing parents; 0, or -1 with errno set. */
int mkdir_p(const char *path);

/* Writes text to path atomically (temporary file, then rename). 0 or -1 (printed). */
int write_file_atomic(const char *path, const char *text);

/* toolchain.c: build the trainer program for a compiled spec (cached by content
 * hash) and run it with args; returns the trainer's exit status. threads > 1
 * builds it with -fopenmp and runs it with OMP_NUM_THREADS=threads. */
int run_trainer(Compilation *c, const EmitOptions *eo, int threads, const char *sub, int argc,
                char **argv);

/* netc grad / gradcheck on a scalar graph, in-process. */
int run_scalar(Compilation *c, const char *sub, int argc, char **argv);

/* Subcommands in their own files: argv holds the arguments after the command. */
int cmd_export(int argc, char **argv);     /* export.c: inference code with baked weights */
int cmd_fmt(int argc, char **argv);        /* fmt.c: canonical layout */
int cmd_summary(int argc, char **argv);    /* summary.c: a Keras-style table */

/* dot.c: the spec as a Graphviz digraph. */
void dot_write(FILE *out, const Compilation *c);

/* inspect.c */
void inspect_json(FILE *out, const Compilation *c);
int weights_dump(int argc, char **argv);

#endif
