/* netrt.h: the netc training runtime's one public header. Generated networks
 * describe themselves with a NetrtModel (emitted by `netc build` into
 * NAME_netrt.c); everything in the runtime is driven by that descriptor and
 * knows no particular network. */
#ifndef NETRT_H
#define NETRT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NETRT_VERSION "0.1.0"

/* How a parameter tensor is initialized (the generated init follows the same table). */
typedef enum {
    NETRT_INIT_ZEROS = 0,
    NETRT_INIT_XAVIER = 1,      /* U(-a, a), a = sqrt(6 / (fan_in + fan_out)) */
    NETRT_INIT_HE = 2,          /* U(-a, a), a = sqrt(6 / fan_in) */
    NETRT_INIT_UNIFORM = 3      /* U(init_a, init_b) */
} NetrtInit;

/* What the targets of a data set mean to the loss. */
typedef enum {
    NETRT_TARGET_REAL = 0,      /* regression: one float per output */
    NETRT_TARGET_ONEHOT = 1,    /* class index 0..K-1, one-hot over K outputs */
    NETRT_TARGET_BINARY = 2,    /* 0/1 per output (sigmoid + bce) */
    NETRT_TARGET_SIGNED = 3     /* -1/+1 per output; 0/1 labels map to -1/+1 (hinge) */
} NetrtTarget;

typedef struct {
    const char *name;           /* "h.w", "h.b" */
    size_t offset, size;        /* in reals, into the flat parameter vector */
    int rows, cols;             /* weights: [rows = outputs, cols = inputs]; biases: [rows, 1] */
    int fan_in, fan_out;
    NetrtInit init;
    double init_a, init_b;
    int is_weight;              /* 1 for weights (regularized), 0 for biases */
} NetrtParamInfo;

/* ---- Optimizer settings (docs/optimizers.md) ---- */
typedef enum {
    NETRT_OPT_SGD = 0,          /* torch.optim.SGD: v = mu v + g; p -= lr v */
    NETRT_OPT_NESTEROV = 1,     /* SGD with Nesterov momentum (torch's nesterov=True) */
    NETRT_OPT_ADAGRAD = 2,
    NETRT_OPT_RMSPROP = 3,
    NETRT_OPT_ADADELTA = 4,
    NETRT_OPT_ADAM = 5,
    NETRT_OPT_ADAMW = 6,        /* Adam with decoupled weight decay */
    NETRT_OPT_LBFGS = 7         /* full batch, Wolfe line search */
} NetrtOptimKind;

typedef enum {
    NETRT_SCHED_CONSTANT = 0,
    NETRT_SCHED_STEP = 1,       /* lr * gamma^floor(epoch / step_size) */
    NETRT_SCHED_INVSCALING = 2, /* lr / t^power (scikit-learn's invscaling) */
    NETRT_SCHED_COSINE = 3      /* lr_min + (lr - lr_min) (1 + cos(pi epoch / epochs)) / 2 */
} NetrtScheduleKind;

/* Every optimizer hyperparameter. netrt_optim_defaults fills the optimizer's
 * usual values (PyTorch's); the spec's `train` block and flags override them. */
typedef struct {
    NetrtOptimKind kind;
    double lr;
    double momentum;            /* sgd, nesterov, rmsprop */
    double beta1, beta2;        /* adam, adamw */
    double rho;                 /* rmsprop's smoothing constant (torch's alpha), adadelta's rho */
    double eps;
    double weight_decay;        /* weights only: adamw decoupled, others L2 added to the gradient */
    int history;                /* lbfgs: correction pairs kept */
    double tol_grad;            /* lbfgs: converged when max |gradient| <= tol_grad */
    double tol_change;          /* lbfgs: converged when a step or loss change is below this */
    NetrtScheduleKind schedule;
    int step_size;              /* step schedule: epochs per decay */
    double gamma;               /* step schedule: decay factor */
    double power;               /* invscaling exponent */
    double lr_min;              /* cosine floor */
    double clip_norm;           /* > 0: rescale each gradient to at most this L2 norm */
} NetrtOptimConfig;

/* Defaults from the spec's `train` block (command-line flags override them). */
typedef struct {
    NetrtOptimConfig optim;
    int batch, epochs;
    unsigned long long seed;
    const char *scale;          /* input scaling: "none", "standard" or "minmax"; NULL means "none" */
    int patience;               /* early stopping: epochs without improvement; 0 off */
    double validation;          /* fraction of the training set held out for validation; 0 none */
} NetrtTrainDefaults;

/* Generated functions. `real` below means the model's real type (float or
 * double, real_size bytes); the descriptor passes them as void pointers.
 * Arrays are row-major [n][size]. work must hold work_per_sample * n reals. */
typedef void (*NetrtInitFn)(void *params, unsigned long long seed);
typedef void (*NetrtForwardFn)(void *y, const void *params, const void *x, int n, void *work);
/* Mean loss (+ regularization) over the n samples; writes outputs to y unless NULL.
 * train != 0 applies dropout with masks derived from dropout_seed, exactly as loss_grad. */
typedef double (*NetrtLossFn)(void *y, const void *params, const void *x, const void *t, int n,
                              int train, unsigned long long dropout_seed, void *work);
/* Training loss, and its gradient written (not accumulated) to grad[num_params]. */
typedef double (*NetrtLossGradFn)(void *grad, const void *params, const void *x, const void *t,
                                  int n, unsigned long long dropout_seed, void *work);

typedef struct {
    const char *name;           /* network name from the spec */
    const char *spec_path;      /* as given to netc */
    int real_size;              /* 4 (float) or 8 (double) */
    size_t num_params, input_size, output_size;
    size_t work_per_sample;     /* reals of workspace per sample */
    int num_param_tensors;
    const NetrtParamInfo *params;
    const char *loss;           /* "mse", "mae", "bce", "cross_entropy", "hinge" */
    NetrtTarget target;
    int classification;         /* 1: report accuracy; 0: report mse and r2 */
    int has_dropout;
    uint64_t layout_hash;       /* FNV-1a of the parameter layout; weights files carry it */
    NetrtTrainDefaults train;
    NetrtInitFn init_params;
    NetrtForwardFn forward;
    NetrtLossFn loss_fn;
    NetrtLossGradFn loss_grad;
} NetrtModel;

/* ---- RNG: splitmix64-seeded xoshiro256**, identical on every platform ---- */
typedef struct {
    uint64_t s[4];
} NetrtRng;
void netrt_rng_seed(NetrtRng *r, uint64_t seed);
uint64_t netrt_rng_next(NetrtRng *r);
double netrt_rng_uniform(NetrtRng *r);          /* [0, 1) with 53 random bits */
double netrt_rng_normal(NetrtRng *r);           /* standard normal */
uint64_t netrt_rng_below(NetrtRng *r, uint64_t n);  /* uniform in [0, n) without bias */
void netrt_shuffle(NetrtRng *r, int *idx, int n);   /* Fisher-Yates */

/* ---- Data sets: held once, as contiguous float arrays ---- */
typedef struct {
    int rows;
    int num_features, num_targets;  /* num_targets = model output size after encoding */
    float *x;                   /* [rows][num_features] */
    float *t;                   /* [rows][num_targets], encoded for the model's loss */
    int *label;                 /* [rows] class index for classification, else NULL */
    int num_classes;            /* classification: number of classes the model predicts */
    char path[512];
    double *x64, *t64;          /* full-precision copies (netrt_dataset_load_csv_exact), else NULL */
    int is_view;                /* the arrays belong to another data set (netrt_dataset_split) */
} NetrtDataset;

/* Where a data set's targets are; NULL fields take the defaults. */
typedef struct {
    /* CSV: the target column(s), comma-separated, each a header name or a 0-based
     * index (negative counts from the end: -1 is the last column). NULL: a column
     * named 'label' if there is one, else the last column(s). */
    const char *target;
    /* IDX images: the labels file. NULL: the images path with 'images-idx3'
     * replaced by 'labels-idx1', when it contains that. */
    const char *labels;
} NetrtDataSource;

enum {
    NETRT_LOAD_TARGETS_OPTIONAL = 1,    /* inputs alone are fine (prediction) */
    NETRT_LOAD_EXACT = 2                /* also keep CSV values as doubles in x64/t64 */
};

/* Loads a data set from path: an IDX image file (MNIST's format) or a CSV file
 * with a header row, either one plain or gzip-compressed (recognised by content).
 * IDX images are flattened and scaled to [0, 1], IDX labels are class indices.
 * The file must have model->input_size features; targets are encoded for
 * model->target. src may be NULL; flags are NETRT_LOAD_*. Errors name the file
 * (and for CSV the row and column); returns 0 on success, -1 after printing the
 * error to stderr. */
int netrt_dataset_load(NetrtDataset *ds, const NetrtModel *m, const char *path,
                       const NetrtDataSource *src, int flags);
/* netrt_dataset_load with flags 0, NETRT_LOAD_TARGETS_OPTIONAL and
 * NETRT_LOAD_TARGETS_OPTIONAL | NETRT_LOAD_EXACT, and the default columns. */
int netrt_dataset_load_csv(NetrtDataset *ds, const NetrtModel *m, const char *path);
int netrt_dataset_load_csv_inputs(NetrtDataset *ds, const NetrtModel *m, const char *path);
int netrt_dataset_load_csv_exact(NetrtDataset *ds, const NetrtModel *m, const char *path);
/* IDX images (and labels, unless labels_path is NULL) into ds. */
int netrt_dataset_load_idx(NetrtDataset *ds, const NetrtModel *m, const char *images_path,
                           const char *labels_path);
/* Holds out round-up(fraction * rows) rows of ds into held, chosen with seed:
 * stratified by class when ds has labels (every class keeps its share), else
 * uniformly. Rows are reordered in place, each part keeping the file's order;
 * ds keeps the rest and held becomes a view into ds's arrays (valid while ds is;
 * netrt_dataset_free on it only forgets the view). Returns 0, or -1 (message
 * printed) when either part would be empty. */
int netrt_dataset_split(NetrtDataset *ds, NetrtDataset *held, double fraction, uint64_t seed);
void netrt_dataset_free(NetrtDataset *ds);

/* ---- Input scaling, fitted on the training set and saved with the weights, so
 * predict and eval apply the same x' = (x - mean) / std ---- */
typedef enum {
    NETRT_SCALE_NONE = 0,
    NETRT_SCALE_STANDARD = 1,   /* mean 0, variance 1 per feature (population std) */
    NETRT_SCALE_MINMAX = 2      /* [0, 1] per feature over the training set */
} NetrtScale;
typedef struct {
    NetrtScale kind;
    int n;                      /* features; 0 when kind is NETRT_SCALE_NONE */
    double *mean, *std;         /* [n] each, owned; minmax: mean = min, std = max - min */
} NetrtScaler;
/* Fits kind on ds's features (a constant feature gets std 1, or range 1). Returns 0 or -1. */
int netrt_scaler_fit(NetrtScaler *s, NetrtScale kind, const NetrtDataset *ds);
/* Scales ds's features (and x64 if present) in place; a no-op for NETRT_SCALE_NONE. */
void netrt_scaler_apply(const NetrtScaler *s, NetrtDataset *ds);
void netrt_scaler_free(NetrtScaler *s);
/* "none", "standard" or "minmax" -> kind; returns -1 for anything else. */
int netrt_scale_parse(const char *name, NetrtScale *kind);
const char *netrt_scale_name(NetrtScale kind);

/* ---- Weights files (format in docs/weights.md) ---- */
/* Writes atomically (temporary file, fsync, rename). Returns 0 or -1 (message printed). */
int netrt_weights_save(const NetrtModel *m, const void *params, const char *path);
/* Reads into params (the model's real type; converts from the file's precision).
 * Refuses a file whose layout hash or size differs from the model. Ignores any
 * input scaling stored with the weights (see netrt_weights_load_scaled). */
int netrt_weights_load(const NetrtModel *m, void *params, const char *path);
/* The same, with the input scaling the weights were trained with (kind NONE if
 * none): save it with the weights, get it back on load (free with netrt_scaler_free). */
int netrt_weights_save_scaled(const NetrtModel *m, const void *params, const NetrtScaler *scale,
                              const char *path);
int netrt_weights_load_scaled(const NetrtModel *m, void *params, NetrtScaler *scale,
                              const char *path);

/* A weights file read on its own, without a model (for `netc weights dump`). */
typedef struct {
    uint32_t version, real_size;
    uint64_t layout_hash;
    uint64_t num_params;
    char name[128];
    double *values;             /* num_params values, converted to double */
    NetrtScaler scale;          /* input scaling stored with the weights (kind NONE if none) */
} NetrtWeightsFile;
int netrt_weights_read(NetrtWeightsFile *wf, const char *path);
void netrt_weights_file_free(NetrtWeightsFile *wf);

/* ---- Element access for the model's real type ---- */
double netrt_get(const NetrtModel *m, const void *v, size_t i);
void netrt_set(const NetrtModel *m, void *v, size_t i, double value);

/* ---- Optimizers ---- */
void netrt_optim_defaults(NetrtOptimConfig *c, NetrtOptimKind kind);
/* Name <-> kind: "sgd", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "lbfgs". */
int netrt_optim_parse(const char *name, NetrtOptimKind *kind);
const char *netrt_optim_name(NetrtOptimKind kind);
/* "constant", "step", "invscaling", "cosine" */
int netrt_schedule_parse(const char *name, NetrtScheduleKind *kind);
const char *netrt_schedule_name(NetrtScheduleKind kind);

typedef struct {
    NetrtOptimConfig cfg;
    const NetrtModel *m;
    long long t;                /* updates taken so far */
    void *state[3];             /* per-parameter state in the model's real type, or NULL */
    void *lbfgs;                /* L-BFGS history (lbfgs.c), or NULL */
} NetrtOptimizer;

int netrt_optim_init(NetrtOptimizer *o, const NetrtModel *m, const NetrtOptimConfig *c);
void netrt_optim_free(NetrtOptimizer *o);
/* One first-order update of params from grad, with this step's learning rate. */
void netrt_optim_step(NetrtOptimizer *o, void *params, const void *grad, double lr);
/* Full-batch loss and gradient at params, for L-BFGS. */
typedef double (*NetrtLossGradEval)(void *ctx, const void *params, void *grad);
/* One L-BFGS iteration (direction + Wolfe line search); *loss gets the new loss.
 * Returns 0, 1 when converged (no further progress possible), -1 on failure. */
int netrt_lbfgs_iterate(NetrtOptimizer *o, void *params, NetrtLossGradEval eval, void *ctx,
                        double *loss);
/* The learning rate for an update: epoch is 0-based, t counts updates from 1. */
double netrt_schedule_lr(const NetrtOptimConfig *c, int epoch, int epochs, long long t);
/* Rescales grad to L2 norm at most max_norm (no-op if max_norm <= 0); returns the norm before. */
double netrt_clip_gradient(const NetrtModel *m, void *grad, double max_norm);
/* Optimizer state as bytes, for checkpoints (the step count and every state array). */
size_t netrt_optim_state_size(const NetrtOptimizer *o);
void netrt_optim_state_save(const NetrtOptimizer *o, void *buf);
int netrt_optim_state_load(NetrtOptimizer *o, const void *buf, size_t size);

/* The old SGD-only interface, kept until train.c moves to netrt_optim_*. */
typedef struct {
    double lr, momentum;
    void *velocity;             /* num_params reals; NULL when momentum == 0 */
} NetrtSgd;
int netrt_sgd_init(NetrtSgd *opt, const NetrtModel *m, double lr, double momentum);
void netrt_sgd_step(NetrtSgd *opt, const NetrtModel *m, void *params, const void *grad);
void netrt_sgd_free(NetrtSgd *opt);

/* ---- Training (docs/training.md) ---- */
typedef struct {
    double loss;
    double accuracy;            /* classification: fraction correct */
    double mse, r2;             /* regression */
} NetrtMetrics;

/* One epoch of a run, as shown, logged (--log), plotted (--plot) and kept in
 * checkpoints. Metrics not measured that epoch are NAN. */
typedef struct {
    int epoch;                  /* 1-based */
    double seconds;             /* training time so far, across resumes */
    double lr;                  /* learning rate of the epoch's last update */
    double batch_loss;          /* mean loss of the epoch's mini-batches as trained (dropout on) */
    NetrtMetrics train, valid, test;    /* after the epoch, without dropout */
} NetrtEpoch;

typedef struct {
    NetrtOptimConfig optim;
    int batch, epochs;
    unsigned long long seed;
    int quiet;                  /* no per-epoch lines */
    int progress;               /* -1 auto (terminal), 0 plain lines, 1 live progress bar */
    const NetrtDataset *valid;  /* validation set, measured every epoch; NULL for none */
    int patience;               /* > 0: stop after this many epochs without a lower validation
                                 * loss and keep the best epoch's weights (needs valid) */
    const char *log_path;       /* per-epoch metrics as CSV, or NULL */
    const char *plot_path;      /* SVG learning curve written at the end, or NULL */
    const char *checkpoint_path;    /* checkpoint file, or NULL */
    int checkpoint_every;       /* epochs between checkpoints (the last epoch always writes one) */
    const char *resume_path;    /* continue the run saved in this checkpoint, or NULL */
    const NetrtScaler *scaler;  /* the input scaling, kept in checkpoints; NULL for none */
} NetrtTrainOptions;

typedef struct {
    int epochs_run;             /* the last epoch trained */
    int resumed_from;           /* the epoch a --resume checkpoint had reached, else 0 */
    int best_epoch;             /* early stopping: the epoch whose weights were kept, else 0 */
    double best_loss;           /* its validation loss */
    int stopped_early;          /* patience ran out before the last epoch */
    int converged;              /* L-BFGS: no further progress possible */
    int trained;                /* the epochs ran to their end: params hold the result even
                                 * when writing the plot failed afterwards */
} NetrtTrainResult;

/* The spec's defaults (m->train), with fallbacks for a descriptor that leaves them 0. */
void netrt_train_options_default(NetrtTrainOptions *o, const NetrtModel *m);
/* Trains params in place on train (shuffled each epoch from the seed); test, if not
 * NULL, is only reported. With o->patience the best epoch's weights are restored.
 * result may be NULL. Returns 0, or -1 after an error (a non-finite loss, gradient
 * or update, named with its epoch, batch and tensor; an unusable checkpoint; a
 * failed write). */
int netrt_train(const NetrtModel *m, void *params, const NetrtDataset *train,
                const NetrtDataset *test, const NetrtTrainOptions *o, NetrtTrainResult *result);
/* Loss (no dropout) and metrics of params over a whole data set. */
void netrt_evaluate(const NetrtModel *m, const void *params, const NetrtDataset *ds,
                    NetrtMetrics *out);
/* Prints `label: loss L accuracy A%` or `label: loss L mse M r2 R` to out. */
void netrt_print_metrics(FILE *out, const NetrtModel *m, const char *label,
                         const NetrtMetrics *mt);

/* ---- Reports (report.c): confusion matrix, per-class scores, learning curve ---- */
typedef struct {
    int k;                      /* classes */
    long *counts;               /* [k][k]: row = true class, column = predicted class */
} NetrtConfusion;
int netrt_confusion_init(NetrtConfusion *c, int k);
void netrt_confusion_free(NetrtConfusion *c);
void netrt_confusion_add(NetrtConfusion *c, int truth, int predicted);
/* Adds the model's predictions over ds (which must have labels). Returns 0 or -1. */
int netrt_confusion_eval(NetrtConfusion *c, const NetrtModel *m, const void *params,
                         const NetrtDataset *ds);
/* Class j's precision, recall and F1; 0 where undefined (scikit-learn's zero_division=0). */
void netrt_confusion_scores(const NetrtConfusion *c, int j, double *precision, double *recall,
                            double *f1);
/* Prints the matrix and a precision/recall/F1/support table with macro and weighted averages. */
void netrt_confusion_print(FILE *out, const NetrtConfusion *c, const char *label);
/* Writes an SVG learning curve (loss, and accuracy or r2, by epoch) atomically. */
int netrt_plot_svg(const NetrtModel *m, const NetrtEpoch *hist, int n, const char *path);

/* ---- Gradient check (docs/gradcheck.md) ---- */
typedef struct {
    unsigned long long seed;
    int samples;                /* batch of random (or data) samples */
    int max_entries;            /* entries checked per tensor, 0: all */
    double tolerance;           /* max relative error allowed */
    const NetrtDataset *data;   /* inputs/targets from here if non-NULL */
    int verbose;
} NetrtGradcheckOptions;
/* Compares loss_grad with finite differences; prints a per-tensor report to out.
 * Returns 0 if every checked entry away from kinks is within tolerance, 1 otherwise. */
int netrt_gradcheck(const NetrtModel *m, const NetrtGradcheckOptions *o, FILE *out);

/* ---- The trainer program: `NAME train|predict|gradcheck|grad ...` ----
 * netc generates `int main(int argc, char **argv) { return netrt_main(&NAME_model, argc, argv); }`.
 * Exit status: 0 success, 1 bad input (data, weights) or failed check, 2 usage. */
int netrt_main(const NetrtModel *m, int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
