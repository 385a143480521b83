/* emit.h: the C emitter. Turns the forward+backward IR into NAME.h / NAME.c
 * (standalone: needs only <math.h>) and NAME_netrt.c (the runtime descriptor).
 * Text is built in sections joined in a fixed order, so output is byte-stable. */
#ifndef NETC_EMIT_H
#define NETC_EMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "ir.h"

#define NETC_VERSION "0.1.0"

typedef struct {
    const char *spec_path;  /* as given on the command line; named in the banner */
    int unroll_limit;       /* multiply-adds per layer at or below which loops are unrolled */
} EmitOptions;

#define EMIT_DEFAULT_UNROLL_LIMIT 64
/* Multiply-adds unrolled over a whole network at most (docs/language.md, "Limits"):
 * past it, layers get loops whatever unroll_limit says. */
#define EMIT_UNROLL_BUDGET 65536

typedef struct {
    char *header, *source, *netrt;  /* malloc'd file contents */
    const char *base;               /* file stem: the network name */
} EmittedFiles;

void emit_model(const IrGraph *g, const EmitOptions *o, EmittedFiles *out);
void emitted_files_free(EmittedFiles *f);

/* ---- Shared by the emit_*.c files ---- */

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

enum { SEC_INCLUDES, SEC_HELPERS, SEC_FORWARD, SEC_BACKWARD, SEC_MODEL, SEC_COUNT };

typedef struct Emitter Emitter;
struct Emitter {
    const IrGraph *g;
    const EmitOptions *opt;
    Arena *a;               /* scratch names */
    Buf sec[SEC_COUNT];
    Buf *cur;               /* the section being written */
    int indent;
    const char *p;          /* lower-case prefix: the network name */
    const char *P;          /* upper-case prefix */
    const char *R;          /* the real type: NAME_real */
    bool dbl;               /* double precision */
    bool need_sigmoid, need_dropout, need_rng;  /* helpers to emit */
    bool need_dot, need_gemm;   /* the large-layer micro-kernels (emit_gemm.c) */
    bool need_dot8;             /* and the forward tiles 8 outputs wide */
    bool need_dot_rows;         /* NAME_dot in vector builds too: rows past the last tile */
    bool need_relu4;            /* and a fused relu's store */
    bool need_pack;             /* and the weight gradients' panel copy */
    unsigned gemm_rows;         /* bit 8, 10, 12: the tiles of 8, 10 and 12 rows called */
    bool need_hsum4, need_lanesum4; /* without the dot tiles: one-sample vector forms */
    bool need_parallel;         /* the OpenMP loop macro */
    bool need_omp_region;       /* and the region macro, with <omp.h> */
    bool need_fexp, need_ftanh; /* float fast-path exp and tanh (emit_fastmath.c) */
    bool need_fexp8;            /* and exp on 8 lanes without tanh or sigmoid */
    bool need_vtanh, need_vsigmoid; /* tanh and sigmoid on 8 and 16 lanes too */
    bool need_simd;             /* <immintrin.h> under the AVX2 guard */
    /* Inference-only mode (emit_infer.c): where values live instead of params and
     * work; NULL for the training build. */
    const char *(*value_ptr)(Emitter *e, const IrValue *v);
    const void *layout;
};

void buf_printf(Buf *b, const char *fmt, ...) NETC_PRINTF(2, 3);
void buf_free(Buf *b);

void emit_line(Emitter *e, const char *fmt, ...) NETC_PRINTF(2, 3);
void emit_open(Emitter *e, const char *fmt, ...) NETC_PRINTF(2, 3);
void emit_brace(Emitter *e);    /* "{" alone on a line (function bodies), then indent */
/* A function definition's first line, then "{" on its own line. */
void emit_fn(Emitter *e, const char *fmt, ...) NETC_PRINTF(2, 3);
void emit_close(Emitter *e);
void emit_blank(Emitter *e);
void emit_section(Emitter *e, int sec);

/* A real literal in the model's precision: "0.5f" / "0.5". Uses a rotating static
 * buffer set, so a few may appear in one printf. */
const char *emit_real(Emitter *e, double v);
/* A libm name in the model's precision: "exp" -> "expf" for float. */
const char *emit_math(Emitter *e, const char *fn);
/* User text made safe inside a C comment or string: printable ASCII, no comment close. */
const char *emit_comment_safe(Emitter *e, const char *s);
/* "specs/xor.net:5" for a spec statement. */
const char *emit_where(Emitter *e, const AstStmt *st);

/* emit_ops.c: one kernel function per instruction, and the call that runs it. */
void emit_kernel(Emitter *e, const IrInstr *ins);
void emit_kernel_call(Emitter *e, const IrInstr *ins, const char *batch);
/* Whether a weight gradient takes the packing scratch pk (its layer's tiles pack dz). */
bool emit_dw_packs(const Emitter *e, const IrInstr *dw);
/* The dense layer NAME_forward runs with its softmax sm in registers on one
 * sample (NAME_LAYER_softmax_one under the AVX2 guard), or NULL. */
const IrInstr *emit_softmax_head(Emitter *e, const IrInstr *sm);
/* The C expression for a value's storage, e.g. "work + (size_t)n * 4". */
const char *emit_value_ptr(Emitter *e, const IrValue *v, const char *batch);

/* emit_model.c: helpers and includes shared by the training and inference builds. */
void emit_kernel_helpers(Emitter *e);
void emit_kernel_includes(const Emitter *e, Buf *out);
void emit_source_body(const Emitter *e, Buf *out);

/* emit_fastmath.c: branch-free float exp, tanh and sigmoid within 2 ulp. */
/* exp8: exp on 8 lanes; tanh, sigmoid: the scalar functions; vtanh, vsigmoid:
 * their 8- and 16-lane versions too. Only what is asked for is emitted: clang
 * rejects an unused static function under -Werror. */
void fastmath_source(Buf *out, const char *prefix, bool exp, bool exp8, bool tanh, bool sigmoid,
                     bool vtanh, bool vsigmoid);
void emit_fastmath_helpers(Emitter *e);

/* emit_gemm.c: register-blocked kernels for dense layers too large to unroll. */
void emit_gemm_fwd(Emitter *e, const IrInstr *ins);
void emit_gemm_dx(Emitter *e, const IrInstr *ins);
void emit_gemm_dw(Emitter *e, const IrInstr *ins);
void emit_gemm_dw_step(Emitter *e, const IrInstr *ins);
void emit_gemm_helpers(Emitter *e);
/* Whether a dense layer's one-sample function sums rows of whole vectors, and
 * its float sums of at most 4 rows into `const __m128 z` (see emit_gemm.c). */
bool emit_linear_one_rows(const Emitter *e, const IrInstr *ins);
void emit_linear_one_sum(Emitter *e, const IrInstr *ins);
/* #define NAME_macro as gnuc under gcc and clang, as other elsewhere. */
void emit_gnuc_define(Emitter *e, const char *macro, const char *gnuc, const char *other);
/* Whether a rows x cols product has a 6- or 12-row tile. */
bool emit_gemm_has_tiles(const Emitter *e, int rows, int cols);
/* The vector forms of an unrolled layer's one-sample forward; see emit_gemm.c. */
bool emit_linear_one_simd(Emitter *e, const IrInstr *ins,
                          void (*scalar_rows)(Emitter *e, const IrInstr *ins, int from));
/* emit_ops.c: the relu a dense layer's forward GEMM applies in its epilogue,
 * and the relu derivative its input-gradient GEMM applies; NULL for none. */
const IrInstr *emit_fused_relu(const Emitter *e, const IrInstr *lin);
const IrInstr *emit_fused_relu_bwd(const Emitter *e, const IrInstr *dx);
/* emit_ops.c: whether NAME_sgd_step takes blocked weight gradient dw straight
 * into the update (NAME_LAYER_linear_dw_step), and the call that does it. */
bool emit_dw_step_fused(const Emitter *e, const IrInstr *dw);
void emit_dw_step_call(Emitter *e, const IrInstr *dw, const char *batch);
/* A loop emitted twice: over OpenMP threads when it has at least
 * NAME_PARALLEL_MIN multiply-adds (macs, a C expression), serial otherwise. */
void emit_parallel(Emitter *e, const char *macs, void (*loop)(Emitter *e, const void *ctx),
                   const void *ctx);

#endif
