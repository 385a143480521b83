/* internal.h: declarations shared between runtime files, not part of the public
 * API (netrt.h) and not installed: file sniffing and gzip reading (idx.c), the
 * weights file's section writer and reader (weights.c, used by checkpoint.c),
 * the training state checkpoints hold (train.c, checkpoint.c) and the CSV log
 * (report.c), and the CSV parser on text in memory (data.c, for the fuzzer). */
#ifndef NETRT_INTERNAL_H
#define NETRT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netrt.h"

/* A loop over parameters compiled three times on x86-64 Linux (gcc, or clang
 * 14 and later): for AVX-512, for AVX2 and for the baseline; the loader picks
 * the widest the CPU has (an ifunc; valgrind's CPU has no AVX-512 and gets
 * AVX2). Put it on its own line above a static function: clang 14 gives a
 * public one no symbol of its plain name, and the fuzz build failed to link. */
#if defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__) && \
    (defined(__clang__) ? __clang_major__ >= 14 : defined(__GNUC__))
#define NETRT_WIDEST __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NETRT_WIDEST
#endif

/* ---- idx.c ---- */
enum { NETRT_FILE_PLAIN, NETRT_FILE_GZIP, NETRT_FILE_IDX };
/* What path holds, from its first bytes: IDX (plain or gzipped), other gzip, or
 * anything else; -1 after an error naming the path (cannot open it). */
int netrt_sniff_file(const char *path);
/* A whole gzip file, decompressed and NUL-terminated; NULL after an error. */
char *netrt_read_gzip(const char *path, size_t *len);
/* Writes path with its last 'images-idx3' replaced by 'labels-idx1' into out;
 * returns 0 when path contains no 'images-idx3'. */
int netrt_idx_labels_path(const char *path, char *out, size_t size);

/* ---- data.c ---- */
/* Parses CSV text of len bytes (text[len] is a NUL; the text is modified in
 * place) as the file path into ds: netrt_dataset_load after reading the file. */
int netrt_dataset_parse_csv(NetrtDataset *ds, const NetrtModel *m, const char *path, char *text,
                            size_t len, const NetrtDataSource *src, int flags);

/* ---- weights.c ---- */
/* A tagged section of a weights file (docs/weights.md): 4 ASCII bytes and a payload. */
typedef struct {
    char tag[4];
    const void *data;
    size_t size;
} NetrtSection;
/* The size of a weights file with this scaling and these extra sections. */
size_t netrt_weights_file_size(const NetrtModel *m, const NetrtScaler *sc,
                               const NetrtSection *extra, int n_extra);
/* Saves the weights with their scaling and extra sections, atomically; the file
 * image is built in image (netrt_weights_file_size bytes) or, if NULL, in a
 * buffer of its own. */
int netrt_weights_save_sections(const NetrtModel *m, const void *params, const NetrtScaler *sc,
                                const NetrtSection *extra, int n_extra, const char *path,
                                void *image);
/* Finds section tag in a weights file image already checked by netrt_weights_read;
 * returns its payload (and *size), or NULL when absent. */
const uint8_t *netrt_weights_find_section(const uint8_t *file, size_t len, const char *tag,
                                          size_t *size);
/* Writes buf to path atomically (temporary, fsync, rename); what names the file
 * in messages ("weights", "checkpoint", "plot"). Returns 0 or -1 (message printed). */
int netrt_write_file_atomic(const char *path, const void *buf, size_t n, const char *what);

/* ---- train.c and checkpoint.c ---- */
/* A training run's state between epochs: what a checkpoint saves and restores. */
typedef struct {
    int epoch;                  /* epochs completed */
    double seconds;             /* training time so far */
    NetrtRng rng;               /* shuffles and dropout seeds */
    int *order, rows;           /* the shuffle order, [rows], owned by the trainer */
    int best_epoch, since_best; /* early stopping */
    double best_loss;
    void *best;                 /* the best epoch's parameters (trainer's buffer), or NULL */
    NetrtEpoch *hist;           /* trainer's buffer of hist_cap epochs, or NULL */
    int nhist, hist_cap;
    /* What identifies the run; a checkpoint resumes only the same run. */
    int batch, optim_kind, patience, valid_rows;
    uint64_t seed, data_hash;
} NetrtTrainState;

/* Buffers for writing checkpoints, sized once before the first epoch. */
typedef struct {
    const NetrtModel *m;
    const NetrtScaler *scaler;
    size_t opt_size, state_size, image_size;
    uint8_t *opt, *state, *image;   /* optimizer state, the other sections, the file */
} NetrtCheckpointer;

/* enabled false leaves c empty (no checkpoints this run). */
int netrt_checkpointer_init(NetrtCheckpointer *c, const NetrtModel *m, const NetrtScaler *sc,
                            const NetrtOptimizer *opt, int rows, int hist_cap, bool enabled);
void netrt_checkpointer_free(NetrtCheckpointer *c);
/* Writes params, the optimizer state, st and the scaling to path atomically. */
int netrt_checkpoint_save(NetrtCheckpointer *c, const char *path, const void *params,
                          const NetrtOptimizer *opt, const NetrtTrainState *st);
/* Restores a checkpoint written by the same run (identity fields of st, the
 * scaling and the model must match) into params, opt and st. */
int netrt_checkpoint_load(NetrtCheckpointer *c, const char *path, void *params,
                          NetrtOptimizer *opt, NetrtTrainState *st);
/* FNV-1a over the training (and validation) rows, to recognise the same data. */
uint64_t netrt_dataset_hash(const NetrtDataset *train, const NetrtDataset *valid);

/* ---- report.c ---- */
/* The per-epoch CSV log: opened (truncated) with its header row, one line per epoch. */
FILE *netrt_log_open(const NetrtModel *m, const char *path);
void netrt_log_epoch(FILE *f, const NetrtModel *m, const NetrtEpoch *e);
/* train.c: whether v[0, n) (reals of m's type) holds a NaN or an infinity. */
bool netrt_any_nonfinite(const NetrtModel *m, const void *v, size_t n);
/* train.c: the class a row of outputs y (at offset at) predicts. */
int netrt_predicted_class(const NetrtModel *m, const void *y, size_t at);

/* weights.c: little-endian fields, shared with checkpoint.c; each returns p past the field. */
uint8_t *netrt_put_u32(uint8_t *p, uint32_t v);
/* "[4][2]" for entry at of a weight matrix [rows][cols], "[4]" for a vector
 * (the gradient check's and the divergence message's index of a value). */
void netrt_entry_name(char *buf, size_t cap, const NetrtParamInfo *p, size_t at);
uint8_t *netrt_put_u64(uint8_t *p, uint64_t v);

#endif
