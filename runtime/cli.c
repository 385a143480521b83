/* cli.c: netrt_main, the command line of a generated trainer program
 * (`NAME train|predict|eval|gradcheck|grad ...`). `netc train SPEC ...` builds
 * such a program and runs it. Exit status: 0 ok, 1 bad input or failed check,
 * 2 usage error. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "netrt.h"

#define EXIT_INPUT 1
#define EXIT_USAGE 2
#define PREDICT_BATCH 256
#define MAX_OPTS 48             /* options one subcommand accepts, plus one */

typedef enum { OPT_STR, OPT_INT, OPT_U64, OPT_REAL, OPT_FLAG } OptKind;

/* One accepted option of a subcommand; dst points into the Args below. */
typedef struct {
    const char *name;
    OptKind kind;
    void *dst;
    int flag_value;             /* OPT_FLAG: the value stored when the flag is given */
} Opt;

/* Everything a subcommand may be given; numbers not given are -1 or NAN. */
typedef struct {
    const char *data, *test, *out, *init, *weights, *scale;
    const char *target, *labels, *valid, *log, *plot, *checkpoint, *resume;
    const char *optimizer, *schedule;
    int epochs, batch, quiet, progress, samples, entries, all, verbose, nesterov;
    int history, lr_step, patience, checkpoint_every;
    double lr, momentum, tolerance, beta1, beta2, eps, rho, weight_decay, lr_gamma, power;
    double lr_min, clip, validation, split;
    unsigned long long seed, dropout_seed;
} Args;

/* What a command loaded; released in one place whatever path it took. The
 * validation set and a --split test set may be views into data. */
typedef struct {
    NetrtDataset data, test, valid;
    NetrtScaler scale;
    void *params;
} Session;

static void session_free(Session *s)
{
    netrt_dataset_free(&s->valid);
    netrt_dataset_free(&s->test);
    netrt_dataset_free(&s->data);
    netrt_scaler_free(&s->scale);
    free(s->params);
}

static const NetrtModel *g_model;   /* for messages only */
static const char *g_sub;

static int usage_error(const char *fmt, ...) NETRT_PRINTF(1, 2);

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    if (g_sub)
        fprintf(stderr, "%s %s: error: ", g_model->name, g_sub);
    else
        fprintf(stderr, "%s: error: ", g_model->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (g_sub)
        fprintf(stderr, "\ntry '%s %s --help'\n", g_model->name, g_sub);
    else
        fprintf(stderr, "\ntry '%s --help'\n", g_model->name);
    return EXIT_USAGE;
}

/* Parses text into opt's destination; the whole text must be a valid value. */
static int parse_value(const Opt *opt, const char *text)
{
    char *end;
    errno = 0;
    if (opt->kind == OPT_STR) {
        *(const char **)opt->dst = text;
        return 0;
    }
    if (opt->kind == OPT_REAL) {
        double v = strtod(text, &end);
        if (end == text || *end || errno || !isfinite(v))
            return usage_error("--%s expects a number, found '%s'", opt->name, text);
        *(double *)opt->dst = v;
        return 0;
    }
    if (text[0] == '-' || text[0] == '+' || text[0] == ' ')
        return usage_error("--%s expects a whole number >= 0, found '%s'", opt->name, text);
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end || errno || (opt->kind == OPT_INT && v > 1000000000ULL))
        return usage_error("--%s expects a whole number%s, found '%s'", opt->name,
                           opt->kind == OPT_INT ? " up to 1e9" : "", text);
    if (opt->kind == OPT_INT)
        *(int *)opt->dst = (int)v;
    else
        *(unsigned long long *)opt->dst = v;
    return 0;
}

/* Matches argv against opts (`--name value` or `--name=value`). */
static int parse_options(const Opt *opts, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *eq;
        const Opt *o = NULL;
        if (strncmp(arg, "--", 2) != 0)
            return usage_error("unexpected argument '%s'", arg);
        eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        for (const Opt *p = opts; p->name && !o; p++)
            if (strlen(p->name) == len && strncmp(arg + 2, p->name, len) == 0)
                o = p;
        if (!o)
            return usage_error("unknown option '%.*s'", (int)len + 2, arg);
        if (o->kind == OPT_FLAG) {
            if (eq)
                return usage_error("--%s takes no value", o->name);
            *(int *)o->dst = o->flag_value;
            continue;
        }
        if (!eq && i + 1 >= argc)
            return usage_error("--%s needs a value", o->name);
        if (parse_value(o, eq ? eq + 1 : argv[++i]))
            return EXIT_USAGE;
    }
    return 0;
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

static int require(const char *value, const char *option)
{
    return value ? 0 : usage_error("%s is required", option);
}

/* ---- shared steps ---- */

static int alloc_params(Session *s, const NetrtModel *m)
{
    s->params = NETRT_CALLOC(m->num_params, (size_t)m->real_size);
    return s->params ? 0 : -1;
}

/* Loads weights (with their input scaling) from a.weights. */
static int load_weights(Session *s, const NetrtModel *m, const char *path)
{
    if (alloc_params(s, m))
        return -1;
    return netrt_weights_load_scaled(m, s->params, &s->scale, path);
}

static void print_predictions(const NetrtModel *m, const void *y, int n)
{
    size_t k = m->output_size;
    bool cls = m->classification && (m->target == NETRT_TARGET_ONEHOT || k == 1);
    for (int i = 0; i < n; i++) {
        size_t best = 0;
        for (size_t j = 0; j < k; j++) {
            double v = netrt_get(m, y, (size_t)i * k + j);
            printf("%s%.9g", j ? "," : "", v);
            if (v > netrt_get(m, y, (size_t)i * k + best))
                best = j;
        }
        if (cls && m->target == NETRT_TARGET_ONEHOT)
            printf(",%zu", best);
        else if (cls)
            printf(",%d", netrt_get(m, y, (size_t)i * k) >=
                              (m->target == NETRT_TARGET_SIGNED ? 0.0 : 0.5));
        putchar('\n');
    }
}

/* Copies rows [start, start+n) of the float data into the real-typed x. */
static void load_inputs(const NetrtModel *m, void *x, const NetrtDataset *ds, int start, int n)
{
    size_t nin = m->input_size;
    for (size_t i = 0; i < (size_t)n * nin; i++)
        netrt_set(m, x, i, ds->x[(size_t)start * nin + i]);
}

/* ---- subcommands ---- */

static const char *const train_help =
    "usage: %s train --data TRAIN [--test TEST | --split F] [--out WEIGHTS] [OPTIONS]\n"
    "Trains from the seed's initialization (or --init), prints the final `train:` and\n"
    "`test:` lines (and a confusion matrix for classifiers), and saves the weights\n"
    "with the input scaling to --out. Defaults come from the spec's train block.\n"
    "data:      --data F (CSV, or IDX images such as MNIST's; gzip allowed)\n"
    "           --target NAME|INDEX[,...]  --labels F (IDX labels)  --test F\n"
    "           --split F (hold out a test fraction of --data)  --scale none|standard|minmax\n"
    "optimizer: --optimizer sgd|nesterov|adagrad|rmsprop|adadelta|adam|adamw|lbfgs\n"
    "           --lr X --momentum X --nesterov --beta1 X --beta2 X --eps X --rho X\n"
    "           --weight-decay X --history N --clip X\n"
    "schedule:  --schedule constant|step|invscaling|cosine --lr-step N --lr-gamma X\n"
    "           --power X --lr-min X\n"
    "loop:      --epochs N --batch N --seed N --init WEIGHTS\n"
    "stopping:  --validation F | --valid F   --patience N\n"
    "reports:   --quiet --progress --no-progress --log F.csv --plot F.svg\n"
    "resuming:  --checkpoint F --checkpoint-every N --resume F\n"
    "Progress goes to stderr: a live bar on a terminal, else every epochs/20 epochs.\n"
    "docs/training.md describes every option.\n";

/* Applies the optimizer flags to o->optim: the spec's config, or the defaults of
 * another --optimizer, then each flag given. */
static int optimizer_flags(const NetrtModel *m, const Args *a, NetrtTrainOptions *o)
{
    NetrtOptimConfig *c = &o->optim;
    NetrtOptimKind kind = c->kind;
    if (a->optimizer && netrt_optim_parse(a->optimizer, &kind))
        return usage_error("--optimizer expects sgd, nesterov, adagrad, rmsprop, adadelta, "
                           "adam, adamw or lbfgs, found '%s'", a->optimizer);
    if (a->nesterov) {
        if (kind != NETRT_OPT_SGD && kind != NETRT_OPT_NESTEROV)
            return usage_error("--nesterov applies to optimizer sgd, not '%s'",
                               netrt_optim_name(kind));
        if (c->kind == NETRT_OPT_SGD && kind == NETRT_OPT_SGD) {
            c->kind = NETRT_OPT_NESTEROV;       /* keep the spec's sgd settings */
            kind = NETRT_OPT_NESTEROV;
        } else {
            kind = NETRT_OPT_NESTEROV;
        }
    }
    if (kind != c->kind)
        netrt_optim_defaults(c, kind);
    if (a->schedule && netrt_schedule_parse(a->schedule, &c->schedule))
        return usage_error("--schedule expects constant, step, invscaling or cosine, found "
                           "'%s'", a->schedule);
    c->lr = isnan(a->lr) ? c->lr : a->lr;
    c->momentum = isnan(a->momentum) ? c->momentum : a->momentum;
    c->beta1 = isnan(a->beta1) ? c->beta1 : a->beta1;
    c->beta2 = isnan(a->beta2) ? c->beta2 : a->beta2;
    c->eps = isnan(a->eps) ? c->eps : a->eps;
    c->rho = isnan(a->rho) ? c->rho : a->rho;
    c->weight_decay = isnan(a->weight_decay) ? c->weight_decay : a->weight_decay;
    c->history = a->history >= 0 ? a->history : c->history;
    c->step_size = a->lr_step >= 0 ? a->lr_step : c->step_size;
    c->gamma = isnan(a->lr_gamma) ? c->gamma : a->lr_gamma;
    c->power = isnan(a->power) ? c->power : a->power;
    c->lr_min = isnan(a->lr_min) ? c->lr_min : a->lr_min;
    c->clip_norm = isnan(a->clip) ? c->clip_norm : a->clip;
    if (c->kind == NETRT_OPT_NESTEROV && !(c->momentum > 0))
        return usage_error("Nesterov momentum needs --momentum > 0");
    if (c->schedule == NETRT_SCHED_COSINE && c->lr_min > c->lr)
        return usage_error("--lr-min %g is above the learning rate %g", c->lr_min, c->lr);
    if (c->kind == NETRT_OPT_LBFGS && c->history < 1)
        c->history = 10;
    (void)m;
    return 0;
}

/* A flag given for an optimizer that does not use it is ignored, with a warning. */
static void warn_unused(const Args *a, const NetrtOptimConfig *c)
{
    NetrtOptimKind k = c->kind;
    bool adam = k == NETRT_OPT_ADAM || k == NETRT_OPT_ADAMW, lbfgs = k == NETRT_OPT_LBFGS;
    struct { bool given, used; const char *flag; } checks[] = {
        { !isnan(a->momentum), k <= NETRT_OPT_NESTEROV || k == NETRT_OPT_RMSPROP, "--momentum" },
        { !isnan(a->beta1) || !isnan(a->beta2), adam, "--beta1/--beta2" },
        { !isnan(a->rho), k == NETRT_OPT_RMSPROP || k == NETRT_OPT_ADADELTA, "--rho" },
        { !isnan(a->eps), k >= NETRT_OPT_ADAGRAD && !lbfgs, "--eps" },
        { !isnan(a->weight_decay), !lbfgs, "--weight-decay" },
        { a->history >= 0, lbfgs, "--history" },
        { !isnan(a->clip) || a->schedule != NULL, !lbfgs, "--clip/--schedule" },
        { a->batch > 0, !lbfgs, "--batch" },
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (checks[i].given && !checks[i].used)
            fprintf(stderr, "%s train: warning: %s does not apply to optimizer '%s'; ignored\n",
                    g_model->name, checks[i].flag, netrt_optim_name(k));
}

static int train_settings(const NetrtModel *m, const Args *a, NetrtTrainOptions *o)
{
    netrt_train_options_default(o, m);
    if (optimizer_flags(m, a, o))
        return EXIT_USAGE;
    o->batch = a->batch > 0 ? a->batch : o->batch;
    o->epochs = a->epochs > 0 ? a->epochs : o->epochs;
    o->seed = a->seed != ~0ULL ? a->seed : o->seed;
    o->patience = a->patience >= 0 ? a->patience : o->patience;
    o->quiet = a->quiet;
    o->progress = a->progress;
    o->log_path = a->log;
    o->plot_path = a->plot;
    o->checkpoint_path = a->checkpoint;
    o->checkpoint_every = a->checkpoint_every > 0 ? a->checkpoint_every : 0;
    o->resume_path = a->resume;
    warn_unused(a, &o->optim);
    return 0;
}

/* Loads an optional data file with the same column choices as --data. */
static int load_more(NetrtDataset *ds, const NetrtModel *m, const char *path, const Args *a)
{
    NetrtDataSource src = { a->target, NULL };
    return path ? netrt_dataset_load(ds, m, path, &src, 0) : 0;
}

/* Loads --data, --test and --valid, and holds out the --split and --validation rows. */
static int load_train_data(const NetrtModel *m, Session *s, const Args *a,
                           const NetrtTrainOptions *o, double validation)
{
    NetrtDataSource src = { a->target, a->labels };
    if (netrt_dataset_load(&s->data, m, a->data, &src, 0) || load_more(&s->test, m, a->test, a) ||
        load_more(&s->valid, m, a->valid, a))
        return -1;
    /* Split seeds derive from the run's seed, so the same seed holds out the same rows. */
    if (!isnan(a->split) &&
        netrt_dataset_split(&s->data, &s->test, a->split, o->seed ^ 0x73706c6974000000ULL))
        return -1;
    if (validation > 0 &&
        netrt_dataset_split(&s->data, &s->valid, validation, o->seed ^ 0x76616c6964000000ULL))
        return -1;
    return 0;
}

/* Fits the scaling on the training rows (unless --init brought one) and applies it. */
static int scale_data(const NetrtModel *m, Session *s, const Args *a)
{
    NetrtScale kind;
    const char *name = a->scale ? a->scale : m->train.scale;
    if (netrt_scale_parse(name, &kind))
        return usage_error("--scale expects none, standard or minmax, found '%s'", name);
    if (s->scale.kind == NETRT_SCALE_NONE && netrt_scaler_fit(&s->scale, kind, &s->data))
        return EXIT_INPUT;
    netrt_scaler_apply(&s->scale, &s->data);
    netrt_scaler_apply(&s->scale, &s->test);
    netrt_scaler_apply(&s->scale, &s->valid);
    return 0;
}

/* The confusion matrix and per-class scores of the test set, else the training set. */
static void print_class_report(const NetrtModel *m, const Session *s, bool has_test)
{
    const NetrtDataset *ds = has_test ? &s->test : &s->data;
    NetrtConfusion c;
    if (!m->classification || !ds->label || ds->num_classes < 2)
        return;
    if (netrt_confusion_init(&c, ds->num_classes))
        return;
    if (netrt_confusion_eval(&c, m, s->params, ds) == 0)
        netrt_confusion_print(stdout, &c, has_test ? "test" : "train");
    netrt_confusion_free(&c);
}

static void print_results(const NetrtModel *m, const Session *s, const NetrtTrainOptions *o,
                          const NetrtTrainResult *r, bool has_test)
{
    NetrtMetrics mt;
    if (o->patience > 0 && r->best_epoch > 0)
        printf("early stopping: best epoch %d (validation loss %.6g)\n", r->best_epoch,
               r->best_loss);
    print_class_report(m, s, has_test);
    netrt_evaluate(m, s->params, &s->data, &mt);
    netrt_print_metrics(stdout, m, "train", &mt);
    if (o->valid) {
        netrt_evaluate(m, s->params, o->valid, &mt);
        netrt_print_metrics(stdout, m, "validation", &mt);
    }
    if (has_test) {
        netrt_evaluate(m, s->params, &s->test, &mt);
        netrt_print_metrics(stdout, m, "test", &mt);
    }
}

/* Notes on stderr about how the run went, unless --quiet. */
static void print_notes(const NetrtTrainOptions *o, const NetrtTrainResult *r)
{
    if (o->quiet)
        return;
    if (r->resumed_from > 0)
        fprintf(stderr, "resumed from %s at epoch %d\n", o->resume_path, r->resumed_from);
    if (r->stopped_early)
        fprintf(stderr, "stopped at epoch %d: no lower validation loss in the last %d epochs\n",
                r->epochs_run, o->patience);
    if (r->converged)
        fprintf(stderr, "L-BFGS converged at iteration %d\n", r->epochs_run);
}

static int train_command(const NetrtModel *m, Session *s, const Args *a)
{
    NetrtTrainOptions o;
    NetrtTrainResult r = { 0 };
    int rc = train_settings(m, a, &o);
    /* The spec's validation fraction applies unless a flag says otherwise. */
    double validation = !isnan(a->validation) ? a->validation
                        : a->valid ? 0.0 : m->train.validation;
    if (rc)
        return rc;
    if (o.patience > 0 && !(validation > 0) && !a->valid)
        return usage_error("--patience needs a validation set: give --validation FRACTION or "
                           "--valid FILE");
    if (load_train_data(m, s, a, &o, validation))
        return EXIT_INPUT;
    if (a->init ? load_weights(s, m, a->init) : alloc_params(s, m))
        return EXIT_INPUT;
    if (!a->init)
        m->init_params(s->params, o.seed);
    /* Weights from --init keep the scaling they were trained with. */
    if ((rc = scale_data(m, s, a)) != 0)
        return rc;
    bool has_test = s->test.x != NULL;
    o.valid = s->valid.x ? &s->valid : NULL;
    o.scaler = &s->scale;
    /* A report that failed after the epochs ran does not cost the trained weights. */
    rc = netrt_train(m, s->params, &s->data, has_test ? &s->test : NULL, &o, &r) ? EXIT_INPUT : 0;
    /* A run that stopped early (divergence, checkpoint error) may hold non-finite
     * parameters: an existing --out file is worth more than they are. */
    if (rc && !r.trained) {
        if (a->out)
            fprintf(stderr, "note: the weights were not saved; '%s' was not written\n", a->out);
        return rc;
    }
    print_notes(&o, &r);
    print_results(m, s, &o, &r, has_test);
    if (a->out) {
        if (netrt_weights_save_scaled(m, s->params, &s->scale, a->out))
            return EXIT_INPUT;
        printf("saved weights to %s\n", a->out);
    }
    return rc;
}

static const char *const predict_help =
    "usage: %s predict --weights W --data X [--target COLS] [--labels F]\n"
    "Prints the outputs for every row of X (CSV or IDX; targets optional) as CSV:\n"
    "output_0,...,output_K-1 and, for classifiers, the predicted class. The input\n"
    "scaling saved with the weights is applied first.\n";

static int predict_command(const NetrtModel *m, Session *s, const Args *a)
{
    size_t rs = (size_t)m->real_size, nb = PREDICT_BATCH;
    void *x, *y, *work;
    NetrtDataSource src = { a->target, a->labels };
    if (load_weights(s, m, a->weights) ||
        netrt_dataset_load(&s->data, m, a->data, &src, NETRT_LOAD_TARGETS_OPTIONAL))
        return EXIT_INPUT;
    netrt_scaler_apply(&s->scale, &s->data);
    x = NETRT_MALLOC(nb * m->input_size, rs);
    y = NETRT_MALLOC(nb * m->output_size, rs);
    work = NETRT_MALLOC(nb * m->work_per_sample, rs);
    if (x && y && work) {
        bool cls = m->classification && (m->target == NETRT_TARGET_ONEHOT || m->output_size == 1);
        for (size_t j = 0; j < m->output_size; j++)
            printf("%soutput_%zu", j ? "," : "", j);
        printf("%s\n", cls ? ",class" : "");
        for (int start = 0; start < s->data.rows; start += (int)nb) {
            int n = s->data.rows - start < (int)nb ? s->data.rows - start : (int)nb;
            load_inputs(m, x, &s->data, start, n);
            m->forward(y, s->params, x, n, work);
            print_predictions(m, y, n);
        }
    }
    free(x);
    free(y);
    free(work);
    return x && y && work ? 0 : EXIT_INPUT;
}

static const char *const eval_help =
    "usage: %s eval --weights W --data X [--target COLS] [--labels F]\n"
    "Prints `eval: loss L accuracy A%%` (classifiers) or `eval: loss L mse M r2 R`.\n";

static int eval_command(const NetrtModel *m, Session *s, const Args *a)
{
    NetrtMetrics mt;
    NetrtDataSource src = { a->target, a->labels };
    if (load_weights(s, m, a->weights) || netrt_dataset_load(&s->data, m, a->data, &src, 0))
        return EXIT_INPUT;
    netrt_scaler_apply(&s->scale, &s->data);
    netrt_evaluate(m, s->params, &s->data, &mt);
    netrt_print_metrics(stdout, m, "eval", &mt);
    return 0;
}

static const char *const gradcheck_help =
    "usage: %s gradcheck [--seed N] [--samples N] [--entries N] [--all] [--tolerance X]\n"
    "                 [--data F] [--verbose]\n"
    "Compares the analytic gradient with 4-point central differences in double\n"
    "precision (defaults: seed 1, 4 samples, 64 entries per tensor, tolerance 1e-6).\n"
    "Entries at kinks are reported and skipped. Exit 1 on failure (docs/gradcheck.md).\n";

static int gradcheck_command(const NetrtModel *m, Session *s, const Args *a)
{
    NetrtGradcheckOptions o = {
        .seed = a->seed != ~0ULL ? a->seed : 1, .samples = a->samples > 0 ? a->samples : 4,
        .max_entries = a->all ? 0 : a->entries >= 0 ? a->entries : 64,
        .tolerance = isnan(a->tolerance) ? 1e-6 : a->tolerance, .verbose = a->verbose,
    };
    NetrtScale kind;
    if (a->data) {
        NetrtDataSource src = { a->target, NULL };
        if (netrt_dataset_load(&s->data, m, a->data, &src, NETRT_LOAD_TARGETS_OPTIONAL))
            return EXIT_INPUT;
        if (netrt_scale_parse(m->train.scale, &kind) == 0 &&
            netrt_scaler_fit(&s->scale, kind, &s->data) == 0)
            netrt_scaler_apply(&s->scale, &s->data);
        o.data = &s->data;
    }
    return netrt_gradcheck(m, &o, stdout) ? EXIT_INPUT : 0;
}

static const char *const grad_help =
    "usage: %s grad --weights W --data X.csv [--target COLS] [--dropout-seed N]\n"
    "Runs the whole file as one batch and prints, at full precision, `loss L`, then\n"
    "`grad I G` for every parameter and `output R J Y` for every output (no dropout).\n"
    "Inputs are read as doubles, not rounded to float (for cross-checks).\n";

/* Copies full-precision values into the model's real type. */
static void *to_reals(const NetrtModel *m, const double *v, size_t n)
{
    void *r = NETRT_MALLOC(n ? n : 1, (size_t)m->real_size);
    for (size_t i = 0; r && i < n; i++)
        netrt_set(m, r, i, v[i]);
    return r;
}

static int grad_command(const NetrtModel *m, Session *s, const Args *a)
{
    size_t n, rs = (size_t)m->real_size;
    void *x = NULL, *t = NULL, *y = NULL, *g = NULL, *work = NULL;
    NetrtDataSource src = { a->target, NULL };
    if (load_weights(s, m, a->weights) ||
        netrt_dataset_load(&s->data, m, a->data, &src,
                           NETRT_LOAD_TARGETS_OPTIONAL | NETRT_LOAD_EXACT))
        return EXIT_INPUT;
    if (!s->data.t64) {
        netrt_error(a->data, "grad needs target columns after the %zu feature columns",
                    m->input_size);
        return EXIT_INPUT;
    }
    netrt_scaler_apply(&s->scale, &s->data);
    n = (size_t)s->data.rows;
    x = to_reals(m, s->data.x64, n * m->input_size);
    t = to_reals(m, s->data.t64, n * m->output_size);
    y = NETRT_MALLOC(n * m->output_size, rs);
    g = NETRT_MALLOC(m->num_params, rs);
    work = NETRT_MALLOC(n * m->work_per_sample + 1, rs);
    int ok = x && t && y && g && work;
    if (ok) {
        double loss = m->loss_grad(g, s->params, x, t, (int)n, a->dropout_seed, work);
        printf("loss %.17g\n", loss);
        for (size_t i = 0; i < m->num_params; i++)
            printf("grad %zu %.17g\n", i, netrt_get(m, g, i));
        m->forward(y, s->params, x, (int)n, work);
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < m->output_size; j++)
                printf("output %zu %zu %.17g\n", r, j, netrt_get(m, y, r * m->output_size + j));
    }
    free(x);
    free(t);
    free(y);
    free(g);
    free(work);
    return ok ? 0 : EXIT_INPUT;
}

/* ---- dispatch ---- */

typedef int (*CommandFn)(const NetrtModel *m, Session *s, const Args *a);

typedef struct {
    const char *name;
    CommandFn run;
    const char *help;
} Command;

static const Command commands[] = {
    { "train", train_command, train_help },
    { "predict", predict_command, predict_help },
    { "eval", eval_command, eval_help },
    { "gradcheck", gradcheck_command, gradcheck_help },
    { "grad", grad_command, grad_help },
};

static void print_usage(FILE *f, const NetrtModel *m)
{
    fprintf(f, "usage: %s SUBCOMMAND [OPTIONS]   (network '%s' from %s)\n"
            "  train      train on a CSV data set and save the weights\n"
            "  predict    print the outputs for each row of a CSV file\n"
            "  eval       print loss and accuracy (or mse and r2) on a CSV file\n"
            "  gradcheck  check the gradient against finite differences\n"
            "  grad       print loss, gradient and outputs at full precision\n"
            "'%s SUBCOMMAND --help' describes each; '%s --version' prints the version.\n",
            m->name, m->name, m->spec_path ? m->spec_path : "?", m->name, m->name);
}

/* The options each subcommand accepts. */
static void options_for(const char *sub, Args *a, Opt *opts)
{
    const Opt all[] = {
        { "data", OPT_STR, &a->data, 0 }, { "weights", OPT_STR, &a->weights, 0 },
        { "test", OPT_STR, &a->test, 0 }, { "out", OPT_STR, &a->out, 0 },
        { "init", OPT_STR, &a->init, 0 }, { "epochs", OPT_INT, &a->epochs, 0 },
        { "lr", OPT_REAL, &a->lr, 0 }, { "momentum", OPT_REAL, &a->momentum, 0 },
        { "batch", OPT_INT, &a->batch, 0 }, { "seed", OPT_U64, &a->seed, 0 },
        { "scale", OPT_STR, &a->scale, 0 }, { "quiet", OPT_FLAG, &a->quiet, 1 },
        { "progress", OPT_FLAG, &a->progress, 1 }, { "no-progress", OPT_FLAG, &a->progress, 0 },
        { "samples", OPT_INT, &a->samples, 0 }, { "entries", OPT_INT, &a->entries, 0 },
        { "all", OPT_FLAG, &a->all, 1 }, { "tolerance", OPT_REAL, &a->tolerance, 0 },
        { "verbose", OPT_FLAG, &a->verbose, 1 },
        { "dropout-seed", OPT_U64, &a->dropout_seed, 0 },
        { "target", OPT_STR, &a->target, 0 }, { "labels", OPT_STR, &a->labels, 0 },
        { "optimizer", OPT_STR, &a->optimizer, 0 }, { "nesterov", OPT_FLAG, &a->nesterov, 1 },
        { "beta1", OPT_REAL, &a->beta1, 0 }, { "beta2", OPT_REAL, &a->beta2, 0 },
        { "eps", OPT_REAL, &a->eps, 0 }, { "rho", OPT_REAL, &a->rho, 0 },
        { "weight-decay", OPT_REAL, &a->weight_decay, 0 },
        { "history", OPT_INT, &a->history, 0 }, { "schedule", OPT_STR, &a->schedule, 0 },
        { "lr-step", OPT_INT, &a->lr_step, 0 }, { "lr-gamma", OPT_REAL, &a->lr_gamma, 0 },
        { "power", OPT_REAL, &a->power, 0 }, { "lr-min", OPT_REAL, &a->lr_min, 0 },
        { "clip", OPT_REAL, &a->clip, 0 }, { "validation", OPT_REAL, &a->validation, 0 },
        { "valid", OPT_STR, &a->valid, 0 }, { "patience", OPT_INT, &a->patience, 0 },
        { "split", OPT_REAL, &a->split, 0 }, { "log", OPT_STR, &a->log, 0 },
        { "plot", OPT_STR, &a->plot, 0 }, { "checkpoint", OPT_STR, &a->checkpoint, 0 },
        { "checkpoint-every", OPT_INT, &a->checkpoint_every, 0 },
        { "resume", OPT_STR, &a->resume, 0 },
    };
    static const char *const allowed[][MAX_OPTS] = {
        { "train", "data", "test", "out", "init", "epochs", "lr", "momentum", "batch", "seed",
          "scale", "quiet", "progress", "no-progress", "target", "labels", "optimizer",
          "nesterov", "beta1", "beta2", "eps", "rho", "weight-decay", "history", "schedule",
          "lr-step", "lr-gamma", "power", "lr-min", "clip", "validation", "valid", "patience",
          "split", "log", "plot", "checkpoint", "checkpoint-every", "resume", NULL },
        { "predict", "weights", "data", "target", "labels", NULL },
        { "eval", "weights", "data", "target", "labels", NULL },
        { "gradcheck", "seed", "samples", "entries", "all", "tolerance", "data", "verbose",
          "target", NULL },
        { "grad", "weights", "data", "target", "dropout-seed", NULL },
    };
    int n = 0;
    for (size_t c = 0; c < sizeof allowed / sizeof allowed[0]; c++) {
        if (strcmp(allowed[c][0], sub) != 0)
            continue;
        for (int k = 1; allowed[c][k]; k++)
            for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                if (strcmp(all[i].name, allowed[c][k]) == 0)
                    opts[n++] = all[i];
    }
    opts[n].name = NULL;
}

/* A real flag, when given, must lie in [lo, hi] (open ends when lo_open/hi_open). */
static int in_range(double v, const char *flag, double lo, bool lo_open, double hi, bool hi_open)
{
    if (isnan(v))
        return 0;
    if ((lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi))
        return 0;
    if (isinf(hi))
        return usage_error("%s must be %s %g, found %g", flag, lo_open ? ">" : ">=", lo, v);
    return usage_error("%s must be in %c%g, %g%c, found %g", flag, lo_open ? '(' : '[', lo, hi,
                       hi_open ? ')' : ']', v);
}

/* Value checks for the training flags: wrong values are usage errors (exit 2). */
static int check_train_args(const Args *a)
{
    NetrtScale kind;
    if (in_range(a->momentum, "--momentum", 0, false, 1, true) ||
        in_range(a->lr, "--lr", 0, true, INFINITY, false) ||
        in_range(a->beta1, "--beta1", 0, false, 1, true) ||
        in_range(a->beta2, "--beta2", 0, false, 1, true) ||
        in_range(a->eps, "--eps", 0, false, INFINITY, false) ||
        in_range(a->rho, "--rho", 0, false, 1, true) ||
        in_range(a->weight_decay, "--weight-decay", 0, false, INFINITY, false) ||
        in_range(a->lr_gamma, "--lr-gamma", 0, true, INFINITY, false) ||
        in_range(a->power, "--power", 0, false, INFINITY, false) ||
        in_range(a->lr_min, "--lr-min", 0, false, INFINITY, false) ||
        in_range(a->clip, "--clip", 0, false, INFINITY, false) ||
        in_range(a->validation, "--validation", 0, false, 1, true) ||
        in_range(a->split, "--split", 0, true, 1, true))
        return EXIT_USAGE;
    if (a->history == 0 || a->lr_step == 0 || a->checkpoint_every == 0)
        return usage_error("--history, --lr-step and --checkpoint-every must be at least 1");
    if (a->scale && netrt_scale_parse(a->scale, &kind))
        return usage_error("--scale expects none, standard or minmax, found '%s'", a->scale);
    if (a->valid && !isnan(a->validation))
        return usage_error("give --validation FRACTION or --valid FILE, not both");
    if (a->test && !isnan(a->split))
        return usage_error("give --test FILE or --split FRACTION, not both");
    if (a->init && a->resume)
        return usage_error("give --init WEIGHTS or --resume CHECKPOINT, not both");
    if (a->checkpoint_every > 0 && !a->checkpoint)
        return usage_error("--checkpoint-every needs --checkpoint FILE");
    return require(a->data, "--data");
}

/* Range checks the parser cannot do by type alone. */
static int check_args(const char *sub, const Args *a)
{
    if (!isnan(a->tolerance) && a->tolerance <= 0)
        return usage_error("--tolerance must be > 0, found %g", a->tolerance);
    if (a->epochs == 0 || a->batch == 0 || a->samples == 0)
        return usage_error("--epochs, --batch and --samples must be at least 1");
    if (strcmp(sub, "train") == 0)
        return check_train_args(a);
    if (strcmp(sub, "gradcheck") == 0)
        return 0;
    return require(a->weights, "--weights") || require(a->data, "--data") ? EXIT_USAGE : 0;
}

static int run_command(const NetrtModel *m, const Command *c, int argc, char **argv)
{
    Args a = { .epochs = -1, .batch = -1, .progress = -1, .samples = -1, .entries = -1,
               .history = -1, .lr_step = -1, .patience = -1, .checkpoint_every = -1,
               .lr = NAN, .momentum = NAN, .tolerance = NAN, .beta1 = NAN, .beta2 = NAN,
               .eps = NAN, .rho = NAN, .weight_decay = NAN, .lr_gamma = NAN, .power = NAN,
               .lr_min = NAN, .clip = NAN, .validation = NAN, .split = NAN, .seed = ~0ULL };
    Opt opts[MAX_OPTS];
    Session s;
    int rc;
    if (wants_help(argc, argv)) {
        printf(c->help, m->name);
        return 0;
    }
    options_for(c->name, &a, opts);
    rc = parse_options(opts, argc, argv);
    if (rc == 0)
        rc = check_args(c->name, &a);
    if (rc)
        return rc;
    memset(&s, 0, sizeof s);
    rc = c->run(m, &s, &a);
    session_free(&s);
    return rc;
}

int netrt_main(const NetrtModel *m, int argc, char **argv)
{
    g_model = m;
    g_sub = NULL;
    if (m->real_size != 4 && m->real_size != 8) {
        netrt_error(NULL, "network '%s' has real size %d (expected 4 or 8)", m->name,
                    m->real_size);
        return EXIT_INPUT;
    }
    if (argc < 2) {
        print_usage(stderr, m);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_usage(stdout, m);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("%s: trainer for network '%s' (%s), netrt %s\n", m->name, m->name,
               m->spec_path ? m->spec_path : "?", NETRT_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            g_sub = commands[i].name;
            int rc = run_command(m, &commands[i], argc - 2, argv + 2);
            fflush(stdout);
            return rc;
        }
    }
    return usage_error("unknown subcommand '%s' (train, predict, eval, gradcheck, grad)",
                       argv[1]);
}
