/* emit_gemm.c: kernels for dense layers too large to unroll. The three
 * products of a layer's training step each get a register-blocked kernel:
 *   forward  z = x W^T      dot products: 3 samples x 8 outputs per tile (x 4
 *                           where the outputs are not a multiple of 8), both
 *                           operands contiguous along the input dimension;
 *   dx = dz W               6 x 32 float (6 x 16 double) accumulator tiles,
 *   dW = dz^T x             12 rows at a time with AVX-512 (24 accumulators),
 *                           the same kernel on dz^T, each tile's rows first
 *                           copied into a panel (NAME_pack); AVX2 walks
 *                           the tile as two 6 x 16 halves, and a last strip of
 *                           16 columns (8 double) takes a one-half tile.
 * The micro-kernels are helper functions emitted once per network, with AVX2
 * and FMA intrinsics under `#if defined(__AVX2__) && defined(__FMA__)` and a
 * portable scalar version otherwise; both sum in a fixed order, so results are
 * deterministic for a given build and agree across builds to rounding. Sizes
 * are passed as constants, so the compiler specializes each call. */
#include "emit.h"

#include <string.h>

/* Output lanes of the 6-row tile: two vectors. */
static int tile_cols(const Emitter *e)
{
    return e->dbl ? 8 : 16;
}

/* Whether a rows x cols product gets a tile of 6 or 12 rows: at least 6 rows
 * and one strip of tile_cols columns. */
bool emit_gemm_has_tiles(const Emitter *e, int rows, int cols)
{
    return rows >= 6 && cols >= tile_cols(e);
}

/* ---- layer kernels ---- */

/* Emits the work twice: split over OpenMP threads when it has at least
 * NAME_PARALLEL_MIN multiply-adds (macs, a C expression), and on the calling
 * thread otherwise. The branch sits outside the pragma because even a team of
 * one costs libgomp about a microsecond per loop: digits 64-32-10 at batch 1
 * trained 4 times slower built with -fopenmp. par is the threads' version:
 * a loop for NAME_PARALLEL_FOR to divide, or with region a block that divides
 * the work among the team itself (under NAME_PARALLEL, with <omp.h>); loop is
 * the calling thread's. */
static void emit_parallel_split(Emitter *e, const char *macs, bool region,
                                void (*par)(Emitter *e, const void *ctx),
                                void (*loop)(Emitter *e, const void *ctx), const void *ctx)
{
    e->need_parallel = true;
    e->need_omp_region |= region;
    emit_line(e, "#if defined(_OPENMP)");
    emit_open(e, "if (%s >= %s_PARALLEL_MIN)", macs, e->P);
    emit_line(e, "%s_PARALLEL%s", e->P, region ? "" : "_FOR");
    par(e, ctx);
    e->indent--;
    emit_line(e, "} else");
    emit_line(e, "#endif");
    emit_brace(e);
    loop(e, ctx);
    emit_close(e);
}

/* One loop, the same for the threads (split by NAME_PARALLEL_FOR) as serially. */
void emit_parallel(Emitter *e, const char *macs,
                   void (*loop)(Emitter *e, const void *ctx), const void *ctx)
{
    emit_parallel_split(e, macs, false, loop, loop, ctx);
}

typedef struct {
    int in, out;
    const char *bias;
    bool relu;          /* also y = z > 0 ? z : 0 (emit_fused_relu) */
    int cols;           /* outputs per tile: 8 or 4 */
} FwdTiles;

/* The store of one forward output at index at (a C expression): z = val, and
 * with a fused relu y too, from the same value. */
static void fwd_store(Emitter *e, const FwdTiles *f, const char *at, const char *val)
{
    if (!f->relu) {
        emit_line(e, "z[%s] = %s%s;", at, f->bias, val);
        return;
    }
    const char *zero = emit_real(e, 0);
    emit_brace(e);
    emit_line(e, "const %s v = %s%s;", e->R, f->bias, val);
    emit_line(e, "z[%s] = v;", at);
    emit_line(e, "y[%s] = v > %s ? v : %s;", at, zero, zero);
    emit_close(e);
}

/* A fused relu's store of a tile row's 4 outputs (at: the first one's index,
 * c: their sums; C expressions): z = b + c and y = relu(z) through NAME_relu4,
 * one 4-lane add and max where a scalar epilogue took a compare and a blend
 * per value (digits 64-32-10 at batch 32: 5 more instructions per output). */
static void fwd_relu4(Emitter *e, const FwdTiles *f, const char *at, const char *b, const char *c)
{
    e->need_relu4 = true;
    emit_line(e, "const size_t at = %s;", at);
    emit_line(e, "%s_relu4(z + at, y + at, %s, %s);", e->p, *f->bias ? b : "NULL", c);
}

/* The stores of one tile row's f->cols outputs, from index at on (a C
 * expression); their sums are c[row + j] (row: a C expression, or NULL for 0).
 * A fused relu takes them 4 at a time. */
static void fwd_tile_row(Emitter *e, const FwdTiles *f, const char *at, const char *row)
{
    const char *c = row ? arena_printf(e->a, "c + %s", row) : "c";
    if (f->relu && f->cols == 4) {
        fwd_relu4(e, f, at, "b + o", c);
    } else if (f->relu) {
        emit_open(e, "for (int h = 0; h < %d; h += 4)", f->cols);
        fwd_relu4(e, f, arena_printf(e->a, "%s + (size_t)h", at), "b + o + h",
                  arena_printf(e->a, "%s + h", c));
        emit_close(e);
    } else {
        emit_line(e, "for (int j = 0; j < %d; j++)", f->cols);
        emit_line(e, "    z[%s + (size_t)j] = %sc[%s%sj];", at, f->bias, row ? row : "",
                  row ? " + " : "");
    }
}

static void gemm_fwd_loop(Emitter *e, const void *ctx)
{
    const FwdTiles *f = ctx;
    const int C = f->cols;
    emit_open(e, "for (int ob = 0; ob < %d; ob++)", f->out / C);
    emit_line(e, "const int o = ob * %d;", C);
    emit_line(e, "int n = 0;");
    emit_open(e, "for (; n + 3 <= batch; n += 3)");
    emit_line(e, "%s c[%d];", e->R, 3 * C);
    emit_line(e, "%s_dot3x%d(c, x + (size_t)n * %d, w + (size_t)o * %d, %d);", e->p, C, f->in,
              f->in, f->in);
    emit_open(e, "for (int r = 0; r < 3; r++)");
    fwd_tile_row(e, f, arena_printf(e->a, "(size_t)(n + r) * %d + (size_t)o", f->out),
                 arena_printf(e->a, "r * %d", C));
    emit_close(e);
    emit_close(e);
    emit_open(e, "for (; n < batch; n++)");
    emit_line(e, "%s c[%d];", e->R, C);
    emit_line(e, "%s_dot1x%d(c, x + (size_t)n * %d, w + (size_t)o * %d, %d);", e->p, C, f->in,
              f->in, f->in);
    fwd_tile_row(e, f, arena_printf(e->a, "(size_t)n * %d + (size_t)o", f->out), NULL);
    emit_close(e);
    emit_close(e);
}

/* z[n][o] = b[o] + sum_i x[n][i] w[o][i]: W's tile of 8 rows (4 where the
 * outputs are not a multiple of 8, or fewer than 16) stays in L1 while the
 * batch streams past it, 3 samples a step. Each step loads 3 x vectors for 24
 * multiply-adds with 8 rows, where 4 rows took 3 for 12: half the traffic from
 * L2, which is where x comes from (mnist 784-128-10 at batch 128 trained 5%
 * faster). */
void emit_gemm_fwd(Emitter *e, const IrInstr *ins)
{
    int in = ins->in[1]->cols, out = ins->in[1]->rows;
    bool relu = emit_fused_relu(e, ins) != NULL;
    int cols = out % 8 == 0 && out >= 16 ? 8 : 4;
    FwdTiles f = {in, out, ins->nin > 2 ? "b[o + j] + " : "", relu, cols};
    if (cols == 8)
        e->need_dot8 = true;
    else
        e->need_dot = true;
    if (out % 4)
        e->need_dot_rows = true;
    emit_parallel(e, arena_printf(e->a, "(long)batch * %ld", (long)in * out), gemm_fwd_loop, &f);
    if (out % 4 == 0)
        return;
    FwdTiles last = {in, out, ins->nin > 2 ? "b[o] + " : "", relu, 1};
    emit_line(e, "for (int o = %d; o < %d; o++)", out / 4 * 4, out);
    emit_line(e, "    for (int n = 0; n < batch; n++)");
    e->indent += 2;
    fwd_store(e, &last, arena_printf(e->a, "(size_t)n * %d + (size_t)o", out),
              arena_printf(e->a, "%s_dot(x + (size_t)n * %d, w + (size_t)o * %d, %d)", e->p, in,
                           in, in));
    e->indent -= 2;
}

typedef struct {
    const char *c;
    int ldc;
    const char *a, *rsa, *csa, *b;
    int ldb;
    const char *rows;
    int cols;           /* the columns the tiles cover, a multiple of NR */
    const char *k;
    int mode;           /* the micro-kernels' mode: 0 store, 1 add, 2 SGD step */
    int rows_n;         /* > 0: rows is this constant, and threads split the rows */
    const char *mask;   /* NULL, or the relu input z (ldc apart) zeroing c where z <= 0 */
    const char *pack;   /* NULL, or the scratch each 6- and 12-row tile's a is copied to */
} Tiles;

/* The micro-kernels' learning-rate argument: lr for the SGD step, else 0. */
static const char *lr_arg(Emitter *e, const Tiles *t)
{
    return t->mode == 2 ? "lr" : emit_real(e, 0);
}

/* The micro-kernels' mask argument for the tile at row r, column j (C
 * expressions): "NULL", or the mask at the same place as c. */
static const char *mask_at(Emitter *e, const Tiles *t, const char *r, const char *j)
{
    if (!t->mask)
        return "NULL";
    return arena_printf(e->a, "%s + (size_t)%s * %d + (size_t)%s", t->mask, r, t->ldc, j);
}

/* Row r (a C expression) across one column strip: a tile of `rows` rows
 * (gemm6, gemm8, gemm10, gemm12) or a single row with gemm1. */
static void one_row_strip(Emitter *e, const Tiles *t, const char *r, const char *j, int halves,
                          int rows)
{
    const char *name = arena_printf(e->a, "gemm%d", rows);
    e->gemm_rows |= 1u << rows;
    int cont = 4 * e->indent + (int)strlen(e->p) + (int)strlen(name) + 2;  /* under the first argument */
    const char *a = arena_printf(e->a, "%s + (size_t)%s * %s", t->a, r, t->rsa);
    const char *rsa = t->rsa, *csa = t->csa;
    if (t->pack && rows > 1) {  /* the tile's panel (pack_tile) */
        a = arena_printf(e->a, "%s + (size_t)%s * (size_t)%s", t->pack, r, t->k);
        rsa = "1";
        csa = arena_printf(e->a, "%d", rows);
    }
    if (rows > 1)
        emit_line(e, "%s_%s(%s + (size_t)%s * %d + %s, %d, %s, %s, %s,\n"
                     "%*s%s + %s, %d, %s, %d, %d, %s, %s);", e->p, name, t->c, r, t->ldc, j, t->ldc,
                  a, rsa, csa, cont, "", t->b, j, t->ldb, t->k, t->mode, halves,
                  mask_at(e, t, r, j), lr_arg(e, t));
    else
        emit_line(e, "%s_%s(%s + (size_t)%s * %d + %s, %s, %s,\n"
                     "%*s%s + %s, %d, %s, %d, %d, %s, %s);", e->p, name, t->c, r, t->ldc, j, a, csa,
                  cont, "", t->b, j, t->ldb, t->k, t->mode, halves, mask_at(e, t, r, j),
                  lr_arg(e, t));
}

/* What a walk over rows does with the tile of `rows` rows at row r. */
typedef void (*TileVisit)(Emitter *e, const Tiles *t, const char *r, int rows, const void *arg);

/* Which of the 8- and 10-row tiles (bit 8, bit 10) the walks of rows_n rows
 * can reach: with rows_n a constant, the walk's last block starts at a
 * multiple of 6, so what its 12-row tiles leave is 6 + rows_n % 6 or 6 more;
 * a batch (rows_n 0) can leave anything. */
static unsigned tail_tiles(int rows_n)
{
    int rest = rows_n % 6;
    if (rows_n == 0 || rest >= 4)
        return 1u << 8 | 1u << 10;
    return rest >= 2 ? 1u << 8 : 0;
}

/* The tiles after the 12-row ones for the `left` rows they leave (6 to 17, or
 * fewer), in walk_rows' order; returns their count. Single rows are the rest. */
static int tail_split(int left, unsigned tails, int *sizes)
{
    int n = 0;
    if (left >= 14 && tails & 1u << 8) {
        sizes[n++] = 8;
        left -= 8;
    }
    for (int rows = 12; rows >= 6; rows -= 2) {
        if (left >= rows && (rows % 6 == 0 || tails & 1u << rows)) {
            sizes[n++] = rows;
            break;
        }
    }
    return n;
}

/* Rows lo to hi (C expressions) in tiles: 12-row ones while 18 or more rows are
 * left, then the 6 to 17 left in at most two tiles of 12, 10, 8 or 6 rows
 * (14 is 8 + 6, 16 is 8 + 8) and a single row if their count is odd. Single
 * rows (gemm1: two accumulators, so FMA latency, not throughput, sets its pace)
 * ran at an eighth of a 12-row tile's speed per row, and the rows that a walk
 * in tiles of 12 and 6 left were single rows whenever the count was not a
 * multiple of 6: every power of two. Rows 0 to a constant are walked here, by
 * tail_split; a thread's block or a batch by the same steps in C. */
static void walk_rows(Emitter *e, const Tiles *t, const char *lo, const char *hi, bool singles,
                      TileVisit visit, const void *arg)
{
    unsigned tails = tail_tiles(t->rows_n);
    if (t->rows_n > 0 && strcmp(lo, "0") == 0) {
        int n = t->rows_n, twelves = n >= 18 ? (n - 6) / 12 : 0, r = 12 * twelves, sizes[2];
        if (twelves > 1) {
            emit_open(e, "for (int r = 0; r < %d; r += 12)", r);
            visit(e, t, "r", 12, arg);
            emit_close(e);
        } else if (twelves == 1) {
            visit(e, t, "0", 12, arg);
        }
        for (int k = 0, m = tail_split(n - r, tails, sizes); k < m; r += sizes[k++])
            visit(e, t, arena_printf(e->a, "%d", r), sizes[k], arg);
        if (singles && r < n) {
            emit_open(e, "for (int r = %d; r < %d; r++)", r, n);
            visit(e, t, "r", 1, arg);
            emit_close(e);
        }
        return;
    }
    emit_line(e, "int r = %s;", lo);
    emit_open(e, "for (; r + 18 <= %s; r += 12)", hi);
    visit(e, t, "r", 12, arg);
    emit_close(e);
    if (tails & 1u << 8) {
        emit_open(e, "if (%s - r >= 14)", hi);
        visit(e, t, "r", 8, arg);
        emit_line(e, "r += 8;");
        emit_close(e);
    }
    emit_open(e, "if (%s - r >= 12)", hi);
    for (int rows = 12; rows >= 6; rows -= 2) {
        if (rows < 12) {
            if (rows != 6 && !(tails & 1u << rows))
                continue;
            e->indent--;
            emit_open(e, "} else if (%s - r >= %d)", hi, rows);
        }
        visit(e, t, "r", rows, arg);
        emit_line(e, "r += %d;", rows);
    }
    emit_close(e);
    if (singles) {
        emit_open(e, "for (; r < %s; r++)", hi);
        visit(e, t, "r", 1, arg);
        emit_close(e);
    }
}

/* Copies the rows x k block of a at tile row r (a C expression) into its
 * panel: from pack + r * k on, k groups of `rows` consecutive reals, so the
 * micro-kernel's broadcasts walk memory in order (rsa 1, csa rows). Single
 * rows are read in place. */
static void pack_tile(Emitter *e, const Tiles *t, const char *r, int rows, const void *arg)
{
    (void)arg;
    if (rows == 1)
        return;
    e->need_pack = true;
    emit_line(e, "%s_pack(%s + (size_t)%s * (size_t)%s, %s + (size_t)%s * %s, %s, %s, %d, %s);", e->p,
              t->pack, r, t->k, t->a, r, t->rsa, t->rsa, t->csa, rows, t->k);
}

/* Whether a walk over t's rows can end in single rows: a batch, or rows_n not
 * a multiple of 6 (a thread's block can then be shorter than 6 rows). */
static bool has_singles(const Tiles *t)
{
    return t->rows_n == 0 || t->rows_n % 6 != 0;
}

typedef struct {
    const char *j;
    int halves;
} Strip;

static void strip_tile(Emitter *e, const Tiles *t, const char *r, int rows, const void *arg)
{
    const Strip *s = arg;
    one_row_strip(e, t, r, s->j, s->halves, rows);
}

/* One column strip of `halves` x NR columns starting at column j (a C
 * expression), down all the rows. */
static void tile_strip(Emitter *e, const Tiles *t, const char *j, int halves)
{
    Strip s = {j, halves};
    walk_rows(e, t, "0", t->rows, has_singles(t), strip_tile, &s);
}

static void tiled_loop(Emitter *e, const void *ctx)
{
    const Tiles *t = ctx;
    int nr = tile_cols(e), pairs = t->cols / (2 * nr);
    if (t->pack)                /* the panels, packed once before the column strips all read them */
        walk_rows(e, t, "0", t->rows, false, pack_tile, NULL);
    if (pairs > 0) {
        emit_open(e, "for (int jb = 0; jb < %d; jb++)", pairs);
        emit_line(e, "const size_t j = (size_t)jb * %d;", 2 * nr);
        tile_strip(e, t, "j", 2);
        emit_close(e);
    }
    if (t->cols % (2 * nr)) {   /* one strip of NR columns left */
        emit_brace(e);
        tile_strip(e, t, arena_printf(e->a, "%d", pairs * 2 * nr), 1);
        emit_close(e);
    }
}

/* The tile at row r across every column strip, its panel packed first. */
static void row_across(Emitter *e, const Tiles *t, const char *r, int rows, const void *arg)
{
    (void)arg;
    int nr = tile_cols(e), pairs = t->cols / (2 * nr);
    if (t->pack)                /* each thread packs its own tiles' panels */
        pack_tile(e, t, r, rows, NULL);
    if (pairs > 0) {
        emit_line(e, "for (int jb = 0; jb < %d; jb++)", pairs);
        e->indent++;
        one_row_strip(e, t, r, arena_printf(e->a, "(size_t)jb * %d", 2 * nr), 2, rows);
        e->indent--;
    }
    if (t->cols % (2 * nr))     /* one strip of NR columns left */
        one_row_strip(e, t, r, arena_printf(e->a, "%d", pairs * 2 * nr), 1, rows);
}

/* The threads' order: each takes a contiguous block of whole 6-row tiles (the
 * block a static schedule of the tiles would give it) across all columns, so
 * a thread writes the same rows of the tensor that it reads and writes in the
 * update after it (a split by columns made both threads write every row: half
 * of each row's cache lines then moved between the cores, and 2 threads were
 * slower than 1 on mnist at batch 32). It walks its block as walk_rows does:
 * a loop over 12-row tiles would split mnist's 128 rows 72 to 56. With them,
 * 2 threads trained mnist 5% faster at batch 32 and 128 than with 6-row tiles,
 * 784-512-512-10 4% at 128. */
static void tiled_rows_loop(Emitter *e, const void *ctx)
{
    const Tiles *t = ctx;
    int tiles = (t->rows_n + 5) / 6;
    emit_brace(e);
    emit_line(e, "const int nt = omp_get_num_threads(), th = omp_get_thread_num();");
    emit_line(e, "const int q = %d / nt, rem = %d %% nt;", tiles, tiles);
    emit_line(e, "const int t0 = th * q + (th < rem ? th : rem), t1 = t0 + q + (th < rem);");
    emit_line(e, "const int hi = t1 * 6 < %d ? t1 * 6 : %d;", t->rows_n, t->rows_n);
    walk_rows(e, t, "t0 * 6", "hi", has_singles(t), row_across, NULL);
    emit_close(e);
}

/* c[r][j] (+)= sum_p a[r * rsa + p * csa] b[p * ldb + j] over a rows x cols block,
 * in 6 x 2NR tiles (and one 6 x NR strip); a column strip of b stays in L1
 * across the row tiles. */
static void emit_tiled(Emitter *e, const char *c, int ldc, const char *a, const char *rsa,
                       const char *csa, const char *b, int ldb, const char *rows, int cols,
                       const char *k, int mode, int rows_n, const char *mask, const char *pack)
{
    int nr = tile_cols(e), main_cols = cols / nr * nr;
    if (main_cols > 0) {
        Tiles t = {c, ldc, a, rsa, csa, b, ldb, rows, main_cols, k, mode, rows_n, mask, pack};
        e->need_gemm = true;
        if (rows_n > 0 || main_cols >= 2 * nr)
            emit_parallel_split(e, arena_printf(e->a, "(long)%s * %s * %d", rows, k, cols),
                                rows_n > 0, rows_n > 0 ? tiled_rows_loop : tiled_loop, tiled_loop, &t);
        else    /* a single strip of NR columns, no loop over strips for the threads to split */
            tiled_loop(e, &t);
    }
    if (main_cols < cols) {     /* the columns left over: one at a time */
        emit_open(e, "for (int r = 0; r < %s; r++)", rows);
        emit_open(e, "for (int j = %d; j < %d; j++)", main_cols, cols);
        const char *at = arena_printf(e->a, "%s[(size_t)r * %d + (size_t)j]", c, ldc);
        emit_line(e, "%s s = %s;", e->R, mode == 1 ? at : emit_real(e, 0));
        emit_line(e, "for (int p = 0; p < %s; p++)", k);
        emit_line(e, "    s += %s[(size_t)r * %s + (size_t)p * %s] * %s[(size_t)p * %d + (size_t)j];",
                  a, rsa, csa, b, ldb);
        if (mode == 2)
            emit_line(e, "%s = %s - lr * s;", at, at);
        else if (mask)
            emit_line(e, "%s = %s[(size_t)r * %d + (size_t)j] > %s ? s : %s;", at, mask, ldc,
                      emit_real(e, 0), emit_real(e, 0));
        else
            emit_line(e, "%s = s;", at);
        emit_close(e);
        emit_close(e);
    }
}

/* dx[n][i] (+)= sum_o dz[n][o] w[o][i] */
void emit_gemm_dx(Emitter *e, const IrInstr *ins)
{
    int in = ins->in[1]->cols, out = ins->in[1]->rows;
    emit_tiled(e, "dx", in, "dz", arena_printf(e->a, "%d", out), "1", "w", in, "batch", in,
               arena_printf(e->a, "%d", out), ins->accumulate, 0,
               emit_fused_relu_bwd(e, ins) ? "z" : NULL, NULL);
}

/* dw[o][i] (+)= sum_n dz[n][o] x[n][i]: dz read transposed */
void emit_gemm_dw(Emitter *e, const IrInstr *ins)
{
    int in = ins->out->cols, out = ins->out->rows;
    emit_tiled(e, "dw", in, "dz", "1", arena_printf(e->a, "%d", out), "x", in,
               arena_printf(e->a, "%d", out), in, "batch", ins->accumulate, out, NULL,
               emit_dw_packs(e, ins) ? "pk" : NULL);
}

/* w[o][i] -= lr * sum_n dz[n][o] x[n][i]: the weight gradient of emit_gemm_dw
 * taken straight into the SGD step, each tile subtracted from the weights as
 * it is finished, by the thread that computed it. */
void emit_gemm_dw_step(Emitter *e, const IrInstr *ins)
{
    int in = ins->out->cols, out = ins->out->rows;
    emit_tiled(e, "w", in, "dz", "1", arena_printf(e->a, "%d", out), "x", in,
               arena_printf(e->a, "%d", out), in, "batch", 2, out, NULL,
               emit_dw_packs(e, ins) ? "pk" : NULL);
}

/* ---- the micro-kernels, emitted once per network ---- */

typedef struct {
    const char *V, *S;  /* vector type, intrinsic suffix */
    int L;              /* lanes */
    const char *P;      /* intrinsic prefix: _mm256 or _mm512 */
    bool wide;          /* AVX-512 */
} Simd;

static Simd simd(const Emitter *e)
{
    return e->dbl ? (Simd){"__m256d", "pd", 4, "_mm256", false}
                  : (Simd){"__m256", "ps", 8, "_mm256", false};
}

static Simd simd512(const Emitter *e)
{
    return e->dbl ? (Simd){"__m512d", "pd", 8, "_mm512", true}
                  : (Simd){"__m512", "ps", 16, "_mm512", true};
}

/* Vector acc with the lanes where the mask at p (a C pointer expression) is
 * not above 0 set to +0: a relu derivative, as `z > 0 ? dy : 0` rounds. */
static const char *masked(Emitter *e, Simd v, const char *p, const char *acc)
{
    if (v.wide)
        return arena_printf(e->a, "%s_maskz_mov_%s(%s_cmp_%s_mask(%s_loadu_%s(%s), %s_setzero_%s(), "
                            "_CMP_GT_OQ), %s)", v.P, v.S, v.P, v.S, v.P, v.S, p, v.P, v.S, acc);
    return arena_printf(e->a, "%s_and_%s(%s_cmp_%s(%s_loadu_%s(%s), %s_setzero_%s(), _CMP_GT_OQ), %s)",
                        v.P, v.S, v.P, v.S, v.P, v.S, p, v.P, v.S, acc);
}

/* Emits body once per vector ISA (AVX-512, then AVX2 + FMA) under its guard; the
 * caller writes the portable version after the `#else` this leaves open. */
static void per_isa(Emitter *e, void (*body)(Emitter *, Simd))
{
    emit_line(e, "#if defined(__AVX512F__)");
    body(e, simd512(e));
    emit_line(e, "#elif defined(__AVX2__) && defined(__FMA__)");
    body(e, simd(e));
    emit_line(e, "#else");
}

/* q: the 128-bit lanes of the float vector u (512 or 256 bits) added into one. */
static void emit_lanes_to128(Emitter *e, Simd v)
{
    if (v.wide) {
        emit_line(e, "const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(u),");
        emit_line(e, "                               _mm256_castpd_ps(_mm512_extractf64x4_pd("
                     "_mm512_castps_pd(u), 1)));");
        emit_line(e, "const __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));");
    } else {
        emit_line(e, "const __m128 q = _mm_add_ps(_mm256_castps256_ps128(u), _mm256_extractf128_ps(u, 1));");
    }
}

/* The lane sums of the dot products, in one order for every ISA's vector
 * width: within each 128-bit lane (x0 + x2) + (x1 + x3) (doubles: x0 + x1),
 * then the 128-bit lanes pairwise, the halves of a 512-bit vector first. hsum4
 * sums four vectors at once, transposing as it adds (about 13 instructions
 * for four sums instead of 8 for each: the forward kernels of mnist-wide
 * were 5% faster), and hsum gives the same sum for one vector, so an output
 * is the same whichever tile or the plain dot computed it. */
static void emit_hsum(Emitter *e, Simd v)
{
    const char *V = v.V, *R = e->R, *p = e->p;
    bool one = e->need_dot_rows, four = e->need_dot || e->need_dot8 || e->need_hsum4;
    if (e->dbl) {
        if (one) {
            emit_fn(e, "static inline %s %s_hsum(%s v)", R, p, V);
            if (v.wide)
                emit_line(e, "const __m256d h = _mm256_add_pd(_mm512_castpd512_pd256(v), "
                             "_mm512_extractf64x4_pd(v, 1));");
            else
                emit_line(e, "const __m256d h = v;");
            emit_line(e, "const __m256d s = _mm256_hadd_pd(h, h);");
            emit_line(e, "return _mm_cvtsd_f64(_mm_add_pd(_mm256_castpd256_pd128(s), "
                         "_mm256_extractf128_pd(s, 1)));");
            emit_close(e);
            emit_blank(e);
        }
        if (!four)
            return;
        emit_fn(e, "static inline __m256d %s_hsum4(%s a, %s b, %s c, %s d)", p, V, V, V, V);
        if (v.wide) {
            static const char *const x[4] = {"a", "b", "c", "d"};
            for (int i = 0; i < 4; i++)
                emit_line(e, "const __m256d %s2 = _mm256_add_pd(_mm512_castpd512_pd256(%s), "
                             "_mm512_extractf64x4_pd(%s, 1));", x[i], x[i], x[i]);
            emit_line(e, "const __m256d ab = _mm256_hadd_pd(a2, b2), cd = _mm256_hadd_pd(c2, d2);");
        } else {
            emit_line(e, "const __m256d ab = _mm256_hadd_pd(a, b), cd = _mm256_hadd_pd(c, d);");
        }
        emit_line(e, "return _mm256_add_pd(_mm256_permute2f128_pd(ab, cd, 0x20), "
                     "_mm256_permute2f128_pd(ab, cd, 0x31));");
        emit_close(e);
        emit_blank(e);
        return;
    }
    const char *P = v.P;
    if (one) {
        emit_fn(e, "static inline %s %s_hsum(%s v)", R, p, V);
        emit_line(e, "const %s t = %s_add_ps(v, %s_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));", V, P, P);
        emit_line(e, "const %s u = %s_add_ps(t, %s_permute_ps(t, _MM_SHUFFLE(2, 3, 0, 1)));", V, P, P);
        emit_lanes_to128(e, v);
        emit_line(e, "return _mm_cvtss_f32(q);");
        emit_close(e);
        emit_blank(e);
    }
    emit_line(e, "/* each 128-bit lane of the result: lane j of a, b, c and d summed */");
    emit_fn(e, "static inline %s %s_lanesum4(%s a, %s b, %s c, %s d)", V, p, V, V, V, V);
    emit_line(e, "const %s ab = %s_add_ps(%s_unpacklo_ps(a, b), %s_unpackhi_ps(a, b));", V, P, P, P);
    emit_line(e, "const %s cd = %s_add_ps(%s_unpacklo_ps(c, d), %s_unpackhi_ps(c, d));", V, P, P, P);
    emit_line(e, "return %s_add_ps(%s_shuffle_ps(ab, cd, _MM_SHUFFLE(1, 0, 1, 0)),", P, P);
    emit_line(e, "%*s%s_shuffle_ps(ab, cd, _MM_SHUFFLE(3, 2, 3, 2)));", (int)strlen(P) + 12, "", P);
    emit_close(e);
    emit_blank(e);
    if (!four)
        return;
    emit_fn(e, "static inline __m128 %s_hsum4(%s a, %s b, %s c, %s d)", p, V, V, V, V);
    emit_line(e, "const %s u = %s_lanesum4(a, b, c, d);", V, p);
    emit_lanes_to128(e, v);
    emit_line(e, "return q;");
    emit_close(e);
    emit_blank(e);
}

static void emit_hsums(Emitter *e)
{
    emit_line(e, "#if defined(__AVX512F__)");
    emit_hsum(e, simd512(e));
    emit_line(e, "#elif defined(__AVX2__) && defined(__FMA__)");
    emit_hsum(e, simd(e));
    emit_line(e, "#endif");
    emit_blank(e);
}

/* dot: one vector accumulator, summed the way every output of the tiles is, so
 * a value does not depend on which tile computed it (or on the batch around it). */
static void dot_simd(Emitter *e, Simd v)
{
    const char *S = v.S, *P = v.P;
    emit_line(e, "%s s0 = %s_setzero_%s();", v.V, P, S);
    emit_line(e, "for (; i + %d <= k; i += %d)", v.L, v.L);
    emit_line(e, "    s0 = %s_fmadd_%s(%s_loadu_%s(a + i), %s_loadu_%s(b + i), s0);", P, S, P, S, P, S);
    emit_line(e, "s = %s_hsum(s0);", e->p);
}

/* NAME_dot serves the tiles' portable version, and the rows past the last
 * tile of 4 in every build; without such rows a vector build leaves it out,
 * since clang warns about an unused static function, inline or not. */
static void emit_dot(Emitter *e)
{
    const char *R = e->R;
    if (!e->need_dot_rows)
        emit_line(e, "#if !defined(__AVX512F__) && !(defined(__AVX2__) && defined(__FMA__))");
    emit_line(e, "/* sum_i a[i] b[i] */");
    emit_fn(e, "static inline %s %s_dot(const %s *a, const %s *b, int k)", R, e->p, R, R);
    emit_line(e, "int i = 0;");
    emit_line(e, "%s s = %s;", R, emit_real(e, 0));
    if (e->need_dot_rows)
        per_isa(e, dot_simd);
    emit_line(e, "%s p[8] = {%s};", R, emit_real(e, 0));
    emit_line(e, "for (; i + 8 <= k; i += 8)");
    emit_line(e, "    for (int j = 0; j < 8; j++) p[j] += a[i + j] * b[i + j];");
    emit_line(e, "s = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));");
    if (e->need_dot_rows)
        emit_line(e, "#endif");
    /* the last terms through advanced pointers: indexing a[i] here makes gcc -m32 -O2
     * warn that an impossible iteration overflows (-Waggressive-loop-optimizations) */
    emit_line(e, "a += i;");
    emit_line(e, "b += i;");
    emit_line(e, "for (int r = 0; r < k - i; r++) s += a[r] * b[r];");
    emit_line(e, "return s;");
    emit_close(e);
    if (!e->need_dot_rows)
        emit_line(e, "#endif");
    emit_blank(e);
}

/* One dot tile's vector body: rows x cols accumulators (cols 4 or 8), each a
 * and b vector loaded once per step; every output is one vector accumulator
 * summed by hsum4, then the tail, as in dot. Rows of a are k apart, of b too;
 * the sums go to cp[r * ldc + j] (cp, bp: C pointer names). */
static void dot_tile_body(Emitter *e, Simd v, int rows, int cols, int ldc, const char *bp,
                          const char *cp)
{
    const char *S = v.S, *P = v.P;
    emit_line(e, "int i = 0;");
    for (int r = 0; r < rows; r++)
        for (int j0 = 0; j0 < cols; j0 += 4)
            emit_line(e, "%s c%d%d = %s_setzero_%s(), c%d%d = c%d%d, c%d%d = c%d%d, c%d%d = c%d%d;",
                      v.V, r, j0, P, S, r, j0 + 1, r, j0, r, j0 + 2, r, j0, r, j0 + 3, r, j0);
    emit_open(e, "for (; i + %d <= k; i += %d)", v.L, v.L);
    for (int r = 0; r < rows; r++)
        emit_line(e, "const %s a%d = %s_loadu_%s(a + (size_t)%d * (size_t)k + (size_t)i);", v.V, r,
                  P, S, r);
    for (int j = 0; j < cols; j++) {
        emit_line(e, "%s b%d = %s_loadu_%s(%s + (size_t)%d * (size_t)k + (size_t)i);", v.V, j, P,
                  S, bp, j);
        emit_line(e, "%s_KEEP(b%d);", e->P, j);
        for (int r = 0; r < rows; r++)
            emit_line(e, "c%d%d = %s_fmadd_%s(a%d, b%d, c%d%d);", r, j, P, S, r, j, r, j);
    }
    emit_close(e);
    for (int r = 0; r < rows; r++)
        for (int j0 = 0; j0 < cols; j0 += 4)
            emit_line(e, "%s(%s + %d, %s_hsum4(c%d%d, c%d%d, c%d%d, c%d%d));",
                      e->dbl ? "_mm256_storeu_pd" : "_mm_storeu_ps", cp, r * ldc + j0, e->p, r, j0,
                      r, j0 + 1, r, j0 + 2, r, j0 + 3);
    emit_open(e, "for (; i < k; i++)");
    emit_line(e, "for (int r = 0; r < %d; r++)", rows);
    emit_line(e, "    for (int j = 0; j < %d; j++)", cols);
    emit_line(e, "        %s[r * %d + j] += a[(size_t)r * (size_t)k + (size_t)i] * "
                 "%s[(size_t)j * (size_t)k + (size_t)i];", cp, ldc, bp);
    emit_close(e);
}

/* c[r * cols + j] = dot(a row r, b row j) for `rows` rows of a (3, or 1 for
 * the batch's last rows) and cols rows of b (4 or 8), both with stride k.
 * AVX-512 holds the 3 x 8 tile's 24 accumulators in its 32 registers; AVX2
 * has 16, so it walks the 8 rows of b as two 4-row halves. */
static void emit_dot_tile(Emitter *e, int rows, int cols)
{
    const char *R = e->R;
    emit_line(e, "/* c[r * %d + j] = sum_i a[r * k + i] b[j * k + i], r < %d, j < %d */", cols, rows,
              cols);
    emit_fn(e, "static %s_NOINLINE void %s_dot%dx%d(%s *c, const %s *a, const %s *b, int k)", e->P,
            e->p, rows, cols, R, R, R);
    emit_line(e, "#if defined(__AVX512F__)");
    dot_tile_body(e, simd512(e), rows, cols, cols, "b", "c");
    emit_line(e, "#elif defined(__AVX2__) && defined(__FMA__)");
    if (cols == 4) {
        dot_tile_body(e, simd(e), rows, 4, 4, "b", "c");
    } else {
        emit_open(e, "for (int h = 0; h < %d; h += 4)", cols);
        emit_line(e, "const %s *bh = b + (size_t)h * (size_t)k;", R);
        emit_line(e, "%s *ch = c + h;", R);
        dot_tile_body(e, simd(e), rows, 4, cols, "bh", "ch");
        emit_close(e);
    }
    emit_line(e, "#else");
    emit_line(e, "for (int r = 0; r < %d; r++)", rows);
    emit_line(e, "    for (int j = 0; j < %d; j++)", cols);
    emit_line(e, "        c[r * %d + j] = %s_dot(a + (size_t)r * (size_t)k, b + (size_t)j * (size_t)k, k);",
              cols, e->p);
    emit_line(e, "#endif");
    emit_close(e);
    emit_blank(e);
}

/* The tile's epilogue before its stores, for accumulators acc[i] that go to
 * c + off[i] and whose mask sits at m + off[i]: the SGD step (mode 2: c minus
 * lr times the sum, a multiply then a subtract as in `p -= lr * g`), or the
 * relu derivative's mask where m is given. */
static void tile_epilogue(Emitter *e, Simd v, int n, const char *const *acc, const char *const *off)
{
    const char *S = v.S, *P = v.P;
    emit_open(e, "if (mode == 2)");
    emit_line(e, "const %s l = %s_set1_%s(lr);", v.V, P, S);
    for (int i = 0; i < n; i++)
        emit_line(e, "%s = %s_sub_%s(%s_loadu_%s(c + %s), %s_mul_%s(l, %s));", acc[i], P, S, P, S,
                  off[i], P, S, acc[i]);
    e->indent--;
    emit_open(e, "} else if (m)");
    for (int i = 0; i < n; i++)
        emit_line(e, "%s = %s;", acc[i],
                  masked(e, v, arena_printf(e->a, "m + %s", off[i]), acc[i]));
    emit_close(e);
}

/* A tile of `rows` rows over nv vectors per row starting at column col0 (a C
 * expression): one broadcast of a per row and step, nv loads of b. */
static void gemm_tile(Emitter *e, Simd v, int rows, int nv, const char *col0)
{
    const char *S = v.S, *P = v.P;
    col0 = strcmp(col0, "0") == 0 ? "" : arena_printf(e->a, "%s + ", col0);
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < nv; q++)
            emit_line(e, "%s c%d%d = mode == 1 ? %s_loadu_%s(c + %d * ldc + %s%d) : %s_setzero_%s();",
                      v.V, r, q, P, S, r, col0, q * v.L, P, S);
    emit_open(e, "for (int p = 0; p < k; p++)");
    emit_line(e, "const %s *bp = b + (size_t)p * ldb%s%.*s, *ap = a + (size_t)p * csa;", e->R,
              *col0 ? " + " : "", *col0 ? (int)strlen(col0) - 3 : 0, col0);
    for (int q = 0; q < nv; q++)
        emit_line(e, "const %s b%d = %s_loadu_%s(bp + %d);", v.V, q, P, S, q * v.L);
    emit_line(e, "%s t;", v.V);
    for (int r = 0; r < rows; r++) {
        emit_line(e, "t = %s_set1_%s(ap[%d * rsa]);", P, S, r);
        for (int q = 0; q < nv; q++)
            emit_line(e, "c%d%d = %s_fmadd_%s(t, b%d, c%d%d);", r, q, P, S, q, r, q);
    }
    emit_close(e);
    const char *acc[24] = {0}, *off[24] = {0};
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < nv; q++) {
            acc[r * nv + q] = arena_printf(e->a, "c%d%d", r, q);
            off[r * nv + q] = arena_printf(e->a, "%d * ldc + %s%d", r, col0, q * v.L);
        }
    tile_epilogue(e, v, rows * nv, acc, off);
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < nv; q++)
            emit_line(e, "%s_storeu_%s(c + %d * ldc + %s%d, c%d%d);", P, S, r, col0, q * v.L, r, q);
}

/* A tile's portable form: its `rows` rows one at a time through gemm1. */
static void rows_by_gemm1(Emitter *e, int rows)
{
    emit_line(e, "for (int r = 0; r < %d; r++)", rows);
    emit_line(e, "    %s_gemm1(c + (size_t)r * ldc, a + (size_t)r * rsa, csa, b, ldb, k, mode, halves,",
              e->p);
    emit_line(e, "    %*sm ? m + (size_t)r * ldc : NULL, lr);", (int)strlen(e->p) + 10, "");
}

/* The signature (and opening brace) of the tile of `rows` rows, NAME_gemmROWS. */
static void tile_signature(Emitter *e, int rows)
{
    const char *R = e->R;
    int pad = (int)strlen(e->P) + (int)strlen(e->p) + 28 + (rows >= 10);
    emit_line(e, "static %s_NOINLINE void %s_gemm%d(%s *c, size_t ldc, const %s *a, size_t rsa,",
              e->P, e->p, rows, R, R);
    emit_line(e, "%*ssize_t csa, const %s *b, size_t ldb, int k,", pad, "", R);
    emit_fn(e, "%*sint mode, int halves, const %s *m, %s lr)", pad, "", R, R);
}

/* AVX-512 holds a 6 x 2NR tile in 12 of its 32 registers: with fewer
 * independent accumulators than FMA latency x FMA ports, and a broadcast per
 * FMA, a 6 x NR tile could not keep both FMA units busy. AVX2's 16 registers
 * take a 6 x NR tile (12 accumulators), so it walks the halves in turn. */
static void gemm6_simd(Emitter *e, Simd v)
{
    int per_half = tile_cols(e) / v.L;
    if (v.wide) {
        emit_open(e, "if (halves == 2)");
        gemm_tile(e, v, 6, 2 * per_half, "0");
        e->indent--;
        emit_open(e, "} else");
        gemm_tile(e, v, 6, per_half, "0");
        emit_close(e);
        return;
    }
    emit_open(e, "for (int h = 0; h < halves; h++)");
    gemm_tile(e, v, 6, per_half, arena_printf(e->a, "(size_t)h * %d", tile_cols(e)));
    emit_close(e);
}

/* The 6 x (halves x NR) tile: c[r][j] (+)= sum_p a[r * rsa + p * csa] b[p * ldb + j]. */
static void emit_gemm6(Emitter *e)
{
    emit_line(e, "/* s[r][j] = sum_p a[r * rsa + p * csa] b[p * ldb + j], r < 6, j < halves * %d",
              tile_cols(e));
    emit_line(e, " * (halves is 1 or 2), into c[r * ldc + j] by mode: 0 c = s (0 where a mask m");
    emit_line(e, " * is given and m[r * ldc + j] is not above 0), 1 c += s, 2 c -= lr * s */");
    tile_signature(e, 6);
    per_isa(e, gemm6_simd);
    rows_by_gemm1(e, 6);
    emit_line(e, "#endif");
    emit_close(e);
    emit_blank(e);
}

/* The tiles of 8, 10 and 12 rows for AVX-512, whose 32 registers hold up to
 * 24 accumulators: the 12-row one loads b half as often per multiply-add as
 * the 6-row tile (the dW and dx kernels ran 8-12% faster with it on an
 * AVX-512 Xeon, data in L1); the 8- and 10-row ones take the rows a column of
 * 12-row tiles leaves, which single rows took at an eighth of the speed.
 * Elsewhere they are tiles of 6 and 4 rows; each sum is the same whichever
 * tile computes it. */
static void emit_gemm_rows(Emitter *e, int rows)
{
    emit_line(e, "/* gemm6 for rows r < %d */", rows);
    tile_signature(e, rows);
    int per_half = tile_cols(e) / simd512(e).L;
    emit_line(e, "#if defined(__AVX512F__)");
    emit_open(e, "if (halves == 2)");
    gemm_tile(e, simd512(e), rows, 2 * per_half, "0");
    e->indent--;
    emit_open(e, "} else");
    gemm_tile(e, simd512(e), rows, per_half, "0");
    emit_close(e);
    emit_line(e, "#else");
    int first = rows == 8 ? 4 : 6;      /* 8 = 4 + 4, 10 = 6 + 4, 12 = 6 + 6 */
    emit_line(e, "%s_gemm%d(c, ldc, a, rsa, csa, b, ldb, k, mode, halves, m, lr);", e->p, first);
    emit_line(e, "%s_gemm%d(c + %d * ldc, ldc, a + %d * rsa, rsa, csa, b, ldb, k, mode, halves,", e->p,
              rows - first, first, first);
    emit_line(e, "%*sm ? m + %d * ldc : NULL, lr);", (int)strlen(e->p) + 7, "", first);
    emit_line(e, "#endif");
    emit_close(e);
    emit_blank(e);
}

/* The 4-row tile of the 8- and 10-row ones where there is no AVX-512: AVX2
 * holds 4 rows x NR columns in 8 of its 16 registers, enough independent sums
 * for both FMA units, where the single rows it replaces had 2. */
static void emit_gemm4(Emitter *e)
{
    emit_line(e, "/* gemm6 for rows r < 4 */");
    tile_signature(e, 4);
    emit_line(e, "#if defined(__AVX2__) && defined(__FMA__)");
    emit_open(e, "for (int h = 0; h < halves; h++)");
    gemm_tile(e, simd(e), 4, tile_cols(e) / simd(e).L,
              arena_printf(e->a, "(size_t)h * %d", tile_cols(e)));
    emit_close(e);
    emit_line(e, "#else");
    rows_by_gemm1(e, 4);
    emit_line(e, "#endif");
    emit_close(e);
    emit_blank(e);
}

static void gemm1_simd(Emitter *e, Simd v)
{
    const char *S = v.S, *P = v.P;
    int nv = tile_cols(e) / v.L;
    const char *acc[4] = {0}, *off[4] = {0};
    emit_open(e, "for (int h = 0; h < halves; h++)");
    emit_line(e, "const size_t j = (size_t)h * %d;", tile_cols(e));
    for (int q = 0; q < nv; q++) {
        acc[q] = arena_printf(e->a, "c%d", q);
        off[q] = q ? arena_printf(e->a, "j + %d", q * v.L) : "j";
        emit_line(e, "%s c%d = mode == 1 ? %s_loadu_%s(c + %s) : %s_setzero_%s();", v.V, q, P, S,
                  off[q], P, S);
    }
    emit_open(e, "for (int p = 0; p < k; p++)");
    emit_line(e, "const %s t = %s_set1_%s(a[(size_t)p * csa]);", v.V, P, S);
    for (int q = 0; q < nv; q++)
        emit_line(e, "c%d = %s_fmadd_%s(t, %s_loadu_%s(b + (size_t)p * ldb + %s), c%d);", q, P, S, P,
                  S, off[q], q);
    emit_close(e);
    tile_epilogue(e, v, nv, acc, off);
    for (int q = 0; q < nv; q++)
        emit_line(e, "%s_storeu_%s(c + %s, c%d);", P, S, off[q], q);
    emit_close(e);
}

/* One row of the tile: c[j] (+)= sum_p a[p * csa] b[p * ldb + j], j < halves x NR. */
static void emit_gemm1(Emitter *e)
{
    const char *R = e->R;
    int nr = tile_cols(e);
    emit_line(e, "/* One row of gemm6: s[j] = sum_p a[p * csa] b[p * ldb + j], j < halves * %d,", nr);
    emit_line(e, " * into c[j] by mode as there */");
    emit_line(e, "static %s_NOINLINE void %s_gemm1(%s *c, const %s *a, size_t csa, const %s *b,",
              e->P, e->p, R, R, R);
    emit_fn(e, "%*ssize_t ldb, int k, int mode, int halves, const %s *m, %s lr)",
            (int)strlen(e->P) + (int)strlen(e->p) + 28, "", R, R);
    per_isa(e, gemm1_simd);
    const char *zero = emit_real(e, 0);
    emit_line(e, "%s s[%d];", R, 2 * nr);
    emit_line(e, "for (int j = 0; j < halves * %d; j++) s[j] = mode == 1 ? c[j] : %s;", nr, zero);
    emit_line(e, "for (int p = 0; p < k; p++)");
    emit_line(e, "    for (int j = 0; j < halves * %d; j++)", nr);
    emit_line(e, "        s[j] += a[(size_t)p * csa] * b[(size_t)p * ldb + (size_t)j];");
    emit_line(e, "for (int j = 0; j < halves * %d; j++)", nr);
    emit_line(e, "    c[j] = mode == 2 ? c[j] - lr * s[j] : m && !(m[j] > %s) ? %s : s[j];", zero,
              zero);
    emit_line(e, "#endif");
    emit_close(e);
    emit_blank(e);
}

/* NAME_relu4: a fused relu's 4 outputs (fwd_relu4). max(v, 0) with v first is
 * `v > 0 ? v : 0` to the bit: +0 for either zero and for NaN. */
static void emit_relu4(Emitter *e)
{
    const char *R = e->R;
    bool d = e->dbl;
    emit_line(e, "/* z[j] = b[j] + c[j] (c[j] without b) and y[j] = z[j] > 0 ? z[j] : 0, j < 4 */");
    emit_line(e, "static inline void %s_relu4(%s *z, %s *y, const %s *b,", e->p, R, R, R);
    emit_fn(e, "%*sconst %s *c)", (int)strlen(e->p) + 25, "", R);
    emit_line(e, "#if defined(__AVX2__) && defined(__FMA__)");
    const char *V = d ? "__m256d" : "__m128", *P = d ? "_mm256" : "_mm", *S = d ? "pd" : "ps";
    emit_line(e, "%s v = %s_loadu_%s(c);", V, P, S);
    emit_line(e, "if (b)");
    emit_line(e, "    v = %s_add_%s(%s_loadu_%s(b), v);", P, S, P, S);
    emit_line(e, "%s_storeu_%s(z, v);", P, S);
    emit_line(e, "%s_storeu_%s(y, %s_max_%s(v, %s_setzero_%s()));", P, S, P, S, P, S);
    emit_line(e, "#else");
    emit_open(e, "for (int j = 0; j < 4; j++)");
    emit_line(e, "const %s v = b ? b[j] + c[j] : c[j];", R);
    emit_line(e, "z[j] = v;");
    emit_line(e, "y[j] = v > %s ? v : %s;", emit_real(e, 0), emit_real(e, 0));
    emit_close(e);
    emit_line(e, "#endif");
    emit_close(e);
    emit_blank(e);
}

/* ---- one sample of an unrolled layer, in vectors ---- */

/* The vector forms of an unrolled layer's one-sample function: ONE_ROWS when
 * a row of W is whole vectors (a dot product per row, four rows summed at
 * once by hsum4); ONE_PACKED when a float row is 4 values, so a
 * vector holds L / 4 rows and four vectors L outputs (lanesum4, then one
 * permute puts them in order); else none. One sample's forward pass is a
 * chain of dependent steps, and the scalar statements' shuffles (gcc's SLP
 * vectorizer) and stores of single values that a vector load then waited for
 * made it a fifth longer: iris 4-16-3 inference 65 -> 53 ns. */
enum { ONE_NONE, ONE_ROWS, ONE_PACKED };

/* The form is AVX-512's and AVX2's alike, so an AVX-512 build never needs an
 * AVX2 form's helpers (each ISA's hsum4 takes its own vector type): rows of
 * whole 512-bit vectors, or 16 or more float rows of 4. */
static int one_form(const Emitter *e, int in, int out)
{
    if (in % simd512(e).L == 0)
        return ONE_ROWS;
    return !e->dbl && in == 4 && out >= 16 ? ONE_PACKED : ONE_NONE;
}

/* zn[o0 .. o0 + rows) from rows whole-vector rows of w: a product per vector
 * chunk, added with FMA in chunk order, then the four rows' lanes by hsum4 (a
 * missing row is a zero vector) and the bias. */
static void one_rows_products(Emitter *e, Simd v, int in, int o0, int rows)
{
    const char *P = v.P, *S = v.S;
    for (int r = 0; r < rows; r++)
        emit_line(e, "%s%s c%d = %s_mul_%s(%s_loadu_%s(w + %d), %s_loadu_%s(xn));",
                  in == v.L ? "const " : "", v.V, r, P, S, P, S, (o0 + r) * in, P, S);
    for (int c = v.L; c < in; c += v.L)
        for (int r = 0; r < rows; r++)
            emit_line(e, "c%d = %s_fmadd_%s(%s_loadu_%s(w + %d), %s_loadu_%s(xn + %d), c%d);", r, P, S,
                      P, S, (o0 + r) * in + c, P, S, c, r);
    for (int r = rows; r < 4; r++)
        emit_line(e, "const %s c%d = %s_setzero_%s();", v.V, r, P, S);
}

static void one_rows_group(Emitter *e, Simd v, int in, int o0, int rows, bool bias)
{
    const char *R = e->R;
    const char *h = e->dbl ? "_mm256" : "_mm", *hs = e->dbl ? "pd" : "ps";
    emit_brace(e);
    one_rows_products(e, v, in, o0, rows);
    const char *sum = arena_printf(e->a, "%s_hsum4(c0, c1, c2, c3)", e->p);
    if (rows == 4) {
        if (bias)
            sum = arena_printf(e->a, "%s_add_%s(%s, %s_loadu_%s(b + %d))", h, hs, sum, h, hs, o0);
        emit_line(e, "%s_storeu_%s(zn + %d, %s);", h, hs, o0, sum);
    } else {
        emit_line(e, "%s t[4];", R);
        emit_line(e, "%s_storeu_%s(t, %s);", h, hs, sum);
        for (int r = 0; r < rows; r++)
            emit_line(e, "zn[%d] = t[%d]%s;", o0 + r, r, bias ? arena_printf(e->a, " + b[%d]", o0 + r) : "");
    }
    emit_close(e);
}

/* zn[o0 .. o0 + v.L) from 4-input rows: v.L / 4 rows in each of four vectors
 * times x repeated, lanesum4 (128-bit lane j then holds rows j, L/4 + j, ...),
 * and a permute back to row order. */
static void one_packed_group(Emitter *e, Simd v, int o0, bool bias)
{
    const char *P = v.P;
    emit_brace(e);
    for (int k = 0; k < 4; k++)
        emit_line(e, "const %s p%d = %s_mul_ps(%s_loadu_ps(w + %d), xb);", v.V, k, P, P, o0 * 4 + k * v.L);
    emit_line(e, "const %s u = %s_lanesum4(p0, p1, p2, p3);", v.V, e->p);
    const char *z = v.wide ? "_mm512_permutexvar_ps(idx, u)" : "_mm256_permutevar8x32_ps(u, idx)";
    if (bias)
        z = arena_printf(e->a, "%s_add_ps(%s, %s_loadu_ps(b + %d))", P, z, P, o0);
    emit_line(e, "%s_storeu_ps(zn + %d, %s);", P, o0, z);
    emit_close(e);
}

static void one_body(Emitter *e, const IrInstr *ins, Simd v, int form,
                     void (*scalar_rows)(Emitter *e, const IrInstr *ins, int from))
{
    int in = ins->in[1]->cols, out = ins->in[1]->rows;
    bool bias = ins->nin > 2;
    if (form == ONE_ROWS) {
        for (int o = 0; o < out; o += 4)
            one_rows_group(e, v, in, o, out - o < 4 ? out - o : 4, bias);
        return;
    }
    if (v.wide) {
        emit_line(e, "const __m512 xb = _mm512_broadcast_f32x4(_mm_loadu_ps(xn));");
        emit_line(e, "const __m512i idx = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, "
                     "2, 6, 10, 14, 3, 7, 11, 15);");
    } else {
        emit_line(e, "const __m256 xb = _mm256_broadcast_ps((const __m128 *)xn);");
        emit_line(e, "const __m256i idx = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);");
    }
    int done = out / v.L * v.L;
    for (int o = 0; o < done; o += v.L)
        one_packed_group(e, v, o, bias);
    if (done < out)
        scalar_rows(e, ins, done);
}

/* The vector statements of an unrolled dense layer's one-sample function (ins:
 * its IR_LINEAR) under each ISA's guard, leaving the `#else` for the
 * caller's portable statements and `#endif`; false (nothing emitted) where
 * the layer has no vector form. scalar_rows writes the portable statements
 * for rows from..out, for the rows the vector form leaves. */
bool emit_linear_one_simd(Emitter *e, const IrInstr *ins,
                          void (*scalar_rows)(Emitter *e, const IrInstr *ins, int from))
{
    int form = one_form(e, ins->in[1]->cols, ins->in[1]->rows);
    if (form == ONE_NONE)
        return false;
    e->need_simd = true;
    if (form == ONE_ROWS)
        e->need_hsum4 = true;
    else
        e->need_lanesum4 = true;
    emit_line(e, "#if defined(__AVX512F__)");
    one_body(e, ins, simd512(e), form, scalar_rows);
    emit_line(e, "#elif defined(__AVX2__) && defined(__FMA__)");
    one_body(e, ins, simd(e), form, scalar_rows);
    emit_line(e, "#else");
    return true;
}

/* Whether a dense layer's one-sample function sums whole-vector rows by
 * hsum4 (ONE_ROWS), on AVX-512 and AVX2 alike. */
bool emit_linear_one_rows(const Emitter *e, const IrInstr *ins)
{
    return one_form(e, ins->in[1]->cols, ins->in[1]->rows) == ONE_ROWS;
}

/* `const __m128 z = ...;`: the float outputs of a layer of at most 4 rows that
 * emit_linear_one_rows accepts, without bias, from xn and w, as its
 * one-sample function sums them (the AVX-512 or the AVX2 form). */
void emit_linear_one_sum(Emitter *e, const IrInstr *ins)
{
    int in = ins->in[1]->cols, rows = ins->in[1]->rows;
    e->need_simd = e->need_hsum4 = true;
    for (int wide = 1; wide >= 0; wide--) {
        emit_line(e, wide ? "#if defined(__AVX512F__)" : "#else");
        one_rows_products(e, wide ? simd512(e) : simd(e), in, 0, rows);
        emit_line(e, "const __m128 z = %s_hsum4(c0, c1, c2, c3);", e->p);
    }
    emit_line(e, "#endif");
}

/* The panel copy of pack_tile: out x batch reals per layer against out x in x
 * batch multiply-adds. On an Intel Xeon with two 512-bit FMA ports it made
 * 784-512-512-10 at batch 128 train 3-9% faster than with dz^T read in place
 * (interleaved runs), mnist 784-128-10 2-6%; batch 32 did not change. */
static void emit_pack(Emitter *e)
{
    emit_line(e, "/* p[q * rows + i] = a[i * rsa + q * csa], i < rows, q < k: a tile's rows of a");
    emit_line(e, " * in one panel, read in order by the micro-kernel's broadcasts */");
    emit_line(e, "static void %s_pack(%s *restrict p, const %s *restrict a, size_t rsa, size_t csa,",
              e->p, e->R, e->R);
    emit_line(e, "%*sint rows, int k)", (int)strlen(e->p) + 18, "");
    emit_brace(e);
    emit_line(e, "for (int q = 0; q < k; q++)");
    emit_line(e, "    for (int i = 0; i < rows; i++)");
    emit_line(e, "        p[(size_t)q * (size_t)rows + (size_t)i] = a[(size_t)i * rsa + (size_t)q * csa];");
    emit_close(e);
    emit_blank(e);
}

/* NAME_macro defined as gnuc under gcc and clang, as other elsewhere (both
 * with their leading space, or empty). */
void emit_gnuc_define(Emitter *e, const char *macro, const char *gnuc, const char *other)
{
    emit_line(e, "#if defined(__GNUC__)");
    emit_line(e, "#define %s_%s%s", e->P, macro, gnuc);
    emit_line(e, "#else");
    emit_line(e, "#define %s_%s%s", e->P, macro, other);
    emit_line(e, "#endif");
    emit_blank(e);
}

void emit_gemm_helpers(Emitter *e)
{
    if (e->need_parallel) {
        emit_line(e, "/* Large layers split their output tiles over OpenMP threads when built");
        emit_line(e, " * with -fopenmp; each output is computed by one thread in a fixed order,");
        emit_line(e, " * so results do not depend on the thread count. A loop of fewer than");
        emit_line(e, " * %s_PARALLEL_MIN multiply-adds (define it to tune) stays on the", e->P);
        emit_line(e, " * calling thread, where it is faster than a team would be. */");
        emit_line(e, "#if defined(_OPENMP)");
        emit_line(e, "#ifndef %s_PARALLEL_MIN", e->P);
        emit_line(e, "#define %s_PARALLEL_MIN 262144L", e->P);
        emit_line(e, "#endif");
        emit_line(e, "#define %s_PARALLEL_FOR _Pragma(\"omp parallel for schedule(static)\")", e->P);
        if (e->need_omp_region)
            emit_line(e, "#define %s_PARALLEL _Pragma(\"omp parallel\")", e->P);
        emit_line(e, "#endif");
        emit_blank(e);
    }
    bool dots = e->need_dot || e->need_dot8;
    if (dots || e->need_hsum4 || e->need_lanesum4)
        emit_hsums(e);
    if (!dots && !e->need_gemm)
        return;
    emit_line(e, "/* The tiles stay out of line. Inlined into a layer kernel with a fused");
    emit_line(e, " * epilogue, gcc 12 reloaded each x vector of a dot tile for every FMA");
    emit_line(e, " * instead of once per step, and the layer took a third longer; inlined");
    emit_line(e, " * into an OpenMP region, gemm12 kept its b vectors on the stack, and the");
    emit_line(e, " * weight gradient ran at half speed on every thread. gemm6, gemm4 and");
    emit_line(e, " * gemm1 are the larger tiles' fallback, so one ISA's build may not call");
    emit_line(e, " * them. */");
    emit_gnuc_define(e, "NOINLINE", " __attribute__((noinline, unused))", "");
    if (dots) {
        emit_line(e, "/* Holds a dot tile's b vector in a register for the rows that use it:");
        emit_line(e, " * without it, gcc 12 folded the load into each row's multiply-add, three");
        emit_line(e, " * loads where one does, and a 3 x 8 tile's 27 loads a step (2 a cycle");
        emit_line(e, " * with AVX-512) outlasted its 24 multiply-adds; mnist 784-128-10 and");
        emit_line(e, " * 784-512-512-10 trained 8-10%% faster with it on an AMD EPYC (Zen 5). */");
        emit_gnuc_define(e, "KEEP(v)", " __asm__(\"\" : \"+v\"(v))", " (void)0");
        emit_dot(e);
        if (e->need_dot) {
            emit_dot_tile(e, 1, 4);
            emit_dot_tile(e, 3, 4);
        }
        if (e->need_dot8) {
            emit_dot_tile(e, 1, 8);
            emit_dot_tile(e, 3, 8);
        }
    }
    if (e->need_gemm) {
        emit_gemm1(e);
        emit_gemm6(e);
        if (e->gemm_rows & (1u << 8 | 1u << 10))
            emit_gemm4(e);
        for (int rows = 8; rows <= 12; rows += 2)
            if (e->gemm_rows & 1u << rows)
                emit_gemm_rows(e, rows);
    }
    if (e->need_pack)
        emit_pack(e);
    if (e->need_relu4)
        emit_relu4(e);
}
