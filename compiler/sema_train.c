/* sema_train.c: the `train` block of sema: the optimizer and its hyperparameters,
 * the learning-rate schedule, clipping, batch, epochs, seed, input scaling and
 * early stopping. Defaults come from libnetrt's netrt_optim_defaults, so the
 * descriptor netc emits and the runtime agree. Keys: docs/optimizers.md. */
#include "sema_int.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *const train_item_names[] = {
    "optimizer", "lr", "momentum", "batch", "epochs", "seed", "scale",
    "schedule", "clip", "patience", "validation", NULL
};

enum {
    IT_OPTIMIZER, IT_LR, IT_MOMENTUM, IT_BATCH, IT_EPOCHS, IT_SEED, IT_SCALE,
    IT_SCHEDULE, IT_CLIP, IT_PATIENCE, IT_VALIDATION, IT_COUNT
};

static const char *const optimizer_names[] = {
    "sgd", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "lbfgs", NULL
};
static const char *const schedule_names[] = { "constant", "step", "invscaling", "cosine", NULL };
static const char *const scale_names[] = { "none", "standard", "minmax", NULL };

/* What a value must be. */
typedef enum { R_POSITIVE, R_UNIT, R_NONNEG, R_COUNT } RangeKind;

#define OPT(k) (1u << NETRT_OPT_##k)
#define FIRST_ORDER (OPT(SGD) | OPT(NESTEROV) | OPT(ADAGRAD) | OPT(RMSPROP) | OPT(ADADELTA) | \
                     OPT(ADAM) | OPT(ADAMW))

/* One key=value hyperparameter: where it goes, its range, who takes it. */
typedef struct {
    const char *key;
    const char *what;           /* its name in messages */
    size_t offset;              /* of a double (int for R_COUNT) in NetrtOptimConfig */
    RangeKind range;
    unsigned takers;            /* optimizers (1 << kind) or schedules (1 << kind) */
} HyperKey;

static const HyperKey optim_keys[] = {
    { "lr", "learning rate", offsetof(NetrtOptimConfig, lr), R_POSITIVE,
      FIRST_ORDER | OPT(LBFGS) },
    { "momentum", "momentum", offsetof(NetrtOptimConfig, momentum), R_UNIT,
      OPT(SGD) | OPT(NESTEROV) | OPT(RMSPROP) },
    { "beta1", "beta1", offsetof(NetrtOptimConfig, beta1), R_UNIT, OPT(ADAM) | OPT(ADAMW) },
    { "beta2", "beta2", offsetof(NetrtOptimConfig, beta2), R_UNIT, OPT(ADAM) | OPT(ADAMW) },
    { "rho", "rho", offsetof(NetrtOptimConfig, rho), R_UNIT, OPT(RMSPROP) | OPT(ADADELTA) },
    { "eps", "eps", offsetof(NetrtOptimConfig, eps), R_POSITIVE,
      FIRST_ORDER & ~(OPT(SGD) | OPT(NESTEROV)) },
    { "weight_decay", "weight decay", offsetof(NetrtOptimConfig, weight_decay), R_NONNEG,
      FIRST_ORDER },
    { "history", "history", offsetof(NetrtOptimConfig, history), R_COUNT, OPT(LBFGS) },
    { "tol_grad", "gradient tolerance", offsetof(NetrtOptimConfig, tol_grad), R_NONNEG,
      OPT(LBFGS) },
    { "tol_change", "change tolerance", offsetof(NetrtOptimConfig, tol_change), R_NONNEG,
      OPT(LBFGS) },
};
enum { OK_LR, OK_MOMENTUM, NOPTIM_KEYS = sizeof optim_keys / sizeof optim_keys[0] };

#define SCHED(k) (1u << NETRT_SCHED_##k)
static const HyperKey schedule_keys[] = {
    { "every", "step interval", offsetof(NetrtOptimConfig, step_size), R_COUNT, SCHED(STEP) },
    { "gamma", "decay factor", offsetof(NetrtOptimConfig, gamma), R_POSITIVE, SCHED(STEP) },
    { "power", "power", offsetof(NetrtOptimConfig, power), R_POSITIVE, SCHED(INVSCALING) },
    { "min", "minimum learning rate", offsetof(NetrtOptimConfig, lr_min), R_NONNEG,
      SCHED(COSINE) },
};
enum { NSCHED_KEYS = sizeof schedule_keys / sizeof schedule_keys[0] };

typedef struct {
    Sema *s;
    TrainSpec *t;
    const AstStmt *seen[IT_COUNT];
    const AstValue *set[NOPTIM_KEYS];   /* where each optimizer key was set */
    const AstValue *min_val;            /* the cosine floor, checked against lr */
    bool kind_known;                    /* the optimizer name was valid */
} Train;

/* ---- small helpers ---- */

static bool number_value(Sema *s, const AstValue *v, const char *what)
{
    if (v->kind == VAL_NUMBER)
        return true;
    diag_error(s->diag, v->loc, "%s must be a number, found '%s'", what, spelling(s, v));
    return false;
}

static void extra_values(Sema *s, const AstStmt *st, int used, const char *after_what)
{
    if (st->nvals > used)
        diag_error(s->diag, st->vals[used]->loc, "unexpected '%s' after %s",
                   spelling(s, st->vals[used]), after_what);
}

static int find_key(const HyperKey *table, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(table[i].key, key) == 0)
            return i;
    return -1;
}

/* "'a', 'b' or 'c'" from the keys of table whose takers include bit. */
static const char *key_list(Sema *s, const HyperKey *table, int n, unsigned bit,
                            const char *extra)
{
    const char *names[16];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (table[i].takers & bit)
            names[k++] = table[i].key;
    if (extra)
        names[k++] = extra;
    if (k == 0)
        return "no options";
    const char *list = "";
    for (int i = 0; i < k; i++)
        list = arena_printf(s->arena, "%s%s'%s'", list, i == 0 ? "" : i + 1 < k ? ", " : " or ",
                            names[i]);
    return list;
}

static const char *const *key_names(Sema *s, const HyperKey *table, int n, unsigned bit,
                                    const char *extra)
{
    const char **names = arena_alloc(s->arena, (size_t)(n + 2) * sizeof *names);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (table[i].takers & bit)
            names[k++] = table[i].key;
    if (extra)
        names[k++] = extra;
    return names;
}

/* A key the optimizer or schedule `owner` does not take: a did-you-mean for a
 * misspelling, else the list of the keys it takes. */
static void bad_key(Sema *s, const AstValue *o, const char *what, const char *owner,
                    const HyperKey *table, int n, unsigned bit, const char *extra)
{
    const char *hint = find_key(table, n, o->key) < 0 ?
        diag_suggest(o->key, key_names(s, table, n, bit, extra)) : NULL;
    if (hint)
        diag_error(s->diag, o->key_loc, "unknown %s option '%s'; did you mean '%s'?", what,
                   o->key, hint);
    else
        diag_error(s->diag, o->key_loc, "%s '%s' does not take '%s'; it takes %s", what, owner,
                   o->key, key_list(s, table, n, bit, extra));
}

/* Checks v against k's range and stores it into cfg. */
static void store_key(Sema *s, const HyperKey *k, const AstValue *v, NetrtOptimConfig *cfg)
{
    if (!number_value(s, v, k->what))
        return;
    double x = v->num;
    bool ok;
    const char *range;
    switch (k->range) {
    case R_POSITIVE: ok = isfinite(x) && x > 0; range = "> 0"; break;
    case R_UNIT: ok = x >= 0 && x < 1; range = "in [0, 1)"; break;
    case R_NONNEG: ok = isfinite(x) && x >= 0; range = ">= 0"; break;
    default:
        ok = is_integral(x) && x >= 1 && x <= 1000;
        range = "an integer from 1 to 1000";
        break;
    }
    if (!check_range(s, v, k->what, range, ok))
        return;
    char *field = (char *)cfg + k->offset;
    if (k->range == R_COUNT)
        *(int *)field = (int)x;
    else
        *(double *)field = x;
}

/* ---- the optimizer ---- */

static bool set_once(Sema *s, const AstValue **seen, const AstValue *v, const char *what)
{
    if (*seen) {
        diag_error(s->diag, v->loc, "%s is set twice", what);
        diag_note(s->diag, (*seen)->loc, "first set here");
        return false;
    }
    *seen = v;
    return true;
}

/* Optimizer key ki set to v (from `key=v` or from the `lr`/`momentum` items);
 * loc is what a "does not take" error points at. */
static void set_optim_key(Train *tr, int ki, const AstValue *v, Loc loc)
{
    Sema *s = tr->s;
    const HyperKey *k = &optim_keys[ki];
    NetrtOptimKind kind = tr->t->optim.kind;
    if (tr->kind_known && !(k->takers & (1u << kind))) {
        diag_error(s->diag, loc, "optimizer '%s' does not take '%s'; it takes %s",
                   netrt_optim_name(kind), k->key,
                   key_list(s, optim_keys, NOPTIM_KEYS, 1u << kind,
                            kind == NETRT_OPT_SGD ? "nesterov" : NULL));
        return;
    }
    if (number_value(s, v, k->what) && set_once(s, &tr->set[ki], v, k->what))
        store_key(s, k, v, &tr->t->optim);
}

/* The optimizer's kind from `optimizer NAME [nesterov]`, before any value is read,
 * so the defaults are the chosen optimizer's whatever the order of the lines. */
static NetrtOptimKind optimizer_kind(Train *tr, const AstStmt *it)
{
    const AstValue *v = it->nvals > 0 ? it->vals[0] : NULL;
    NetrtOptimKind kind = NETRT_OPT_SGD;
    tr->kind_known = v && v->kind == VAL_WORD && !v->key &&
                     netrt_optim_parse(v->word, &kind) == 0;
    for (int i = 1; tr->kind_known && i < it->nvals; i++) {
        const AstValue *o = it->vals[i];
        if (!o->key && o->kind == VAL_WORD && strcmp(o->word, "nesterov") == 0 &&
            kind == NETRT_OPT_SGD)
            kind = NETRT_OPT_NESTEROV;
    }
    return kind;
}

/* `optimizer NAME [key=value ...] [nesterov]` */
static void check_optimizer(Train *tr, const AstStmt *it)
{
    Sema *s = tr->s;
    const AstValue *v = it->nvals > 0 ? it->vals[0] : NULL;
    if (!v || v->kind != VAL_WORD || v->key) {
        diag_error(s->diag, v ? v->loc : after(it),
                   "'optimizer' expects an optimizer name, e.g. 'optimizer adam'");
        return;
    }
    if (!tr->kind_known)
        unknown(s, v->loc, "optimizer", v->word, optimizer_names);
    tr->t->has_optimizer = true;
    NetrtOptimKind kind = tr->t->optim.kind;
    for (int i = 1; i < it->nvals; i++) {
        const AstValue *o = it->vals[i];
        if (!o->key && o->kind == VAL_WORD && strcmp(o->word, "nesterov") == 0) {
            if (tr->kind_known && kind != NETRT_OPT_NESTEROV)
                diag_error(s->diag, o->loc, "'nesterov' applies to optimizer 'sgd' only, "
                           "not '%s'", netrt_optim_name(kind));
            continue;
        }
        if (!o->key) {
            diag_error(s->diag, o->loc, "optimizer options are written key=value, e.g. "
                       "lr=0.1; found '%s'", spelling(s, o));
            continue;
        }
        int ki = find_key(optim_keys, NOPTIM_KEYS, o->key);
        if (ki >= 0)
            set_optim_key(tr, ki, o, o->key_loc);
        else if (tr->kind_known)
            bad_key(s, o, "optimizer", v->word, optim_keys, NOPTIM_KEYS, 1u << kind,
                    kind == NETRT_OPT_SGD ? "nesterov" : NULL);
    }
}

/* ---- schedule, clip, early stopping ---- */

/* `schedule constant | step every=N gamma=G | invscaling power=P | cosine min=M` */
static void check_schedule(Train *tr, const AstStmt *it)
{
    Sema *s = tr->s;
    NetrtOptimConfig *c = &tr->t->optim;
    const AstValue *v = it->nvals > 0 ? it->vals[0] : NULL;
    NetrtScheduleKind kind;
    if (!v || v->kind != VAL_WORD || v->key) {
        diag_error(s->diag, v ? v->loc : after(it),
                   "'schedule' expects 'constant', 'step', 'invscaling' or 'cosine'");
        return;
    }
    if (netrt_schedule_parse(v->word, &kind) != 0) {
        unknown(s, v->loc, "schedule", v->word, schedule_names);
        return;
    }
    c->schedule = kind;
    tr->t->has_schedule = true;
    for (int i = 1; i < it->nvals; i++) {
        const AstValue *o = it->vals[i];
        int ki = o->key ? find_key(schedule_keys, NSCHED_KEYS, o->key) : -1;
        if (!o->key) {
            diag_error(s->diag, o->loc, "schedule options are written key=value, e.g. "
                       "gamma=0.5; found '%s'", spelling(s, o));
        } else if (ki >= 0 && (schedule_keys[ki].takers & (1u << kind))) {
            store_key(s, &schedule_keys[ki], o, c);
            if (ki == NSCHED_KEYS - 1)
                tr->min_val = o;
        } else {
            bad_key(s, o, "schedule", v->word, schedule_keys, NSCHED_KEYS, 1u << kind, NULL);
        }
    }
}

/* A number item: clip (> 0), validation ([0, 0.9]). */
static void check_clip(Train *tr, const AstValue *v)
{
    if (check_range(tr->s, v, "clipping norm", "> 0", isfinite(v->num) && v->num > 0)) {
        tr->t->optim.clip_norm = v->num;
        tr->t->has_clip = true;
    }
}

static void check_validation(Train *tr, const AstValue *v)
{
    if (check_range(tr->s, v, "validation fraction", "in [0, 0.9]", v->num >= 0 &&
                    v->num <= 0.9)) {
        tr->t->validation = v->num;
        tr->t->has_validation = true;
    }
}

/* ---- batch, epochs, seed, scale, patience ---- */

static bool item_int(Sema *s, const AstValue *v, const char *what, double lo, double hi,
                     const char *range)
{
    return check_range(s, v, what, range, is_integral(v->num) && v->num >= lo && v->num <= hi);
}

/* seed: any unsigned 64-bit integer. Integers spelled in full are read exactly. */
static void set_seed(Sema *s, const AstValue *v, TrainSpec *t)
{
    if (!item_int(s, v, "seed", 0, HUGE_VAL, "an integer >= 0"))
        return;
    unsigned long long seed = 0;
    bool too_large;
    if (v->is_int) {
        errno = 0;
        seed = strtoull(v->text, NULL, 10);
        too_large = errno == ERANGE;
    } else {
        too_large = v->num >= 18446744073709551616.0;
        seed = too_large ? 0 : (unsigned long long)v->num;
    }
    if (too_large) {
        diag_error(s->diag, v->loc, "seed %s is too large (limit 18446744073709551615)", v->text);
        return;
    }
    t->seed = seed;
    t->has_seed = true;
}

/* `scale none|standard|minmax`: how `netc train` scales input features. */
static void check_scale(Train *tr, const AstStmt *it)
{
    Sema *s = tr->s;
    const AstValue *v = it->nvals > 0 ? it->vals[0] : NULL;
    if (!v || v->kind != VAL_WORD || v->key) {
        diag_error(s->diag, v ? v->loc : after(it),
                   "'scale' expects 'none', 'standard' or 'minmax'");
        return;
    }
    int k = find_name(v->word, scale_names);
    if (k < 0) {
        unknown(s, v->loc, "scaling", v->word, scale_names);
        return;
    }
    tr->t->scale = scale_names[k];
    tr->t->has_scale = true;
    extra_values(s, it, 1, "the scaling");
}

/* An item whose value is one plain number. */
static void check_number_item(Train *tr, const AstStmt *it, int k)
{
    static const char *const what[IT_COUNT] = {
        [IT_LR] = "learning rate", [IT_MOMENTUM] = "momentum", [IT_BATCH] = "batch size",
        [IT_EPOCHS] = "epochs", [IT_SEED] = "seed", [IT_CLIP] = "clipping norm",
        [IT_PATIENCE] = "patience", [IT_VALIDATION] = "validation fraction",
    };
    static const char *const examples[IT_COUNT] = {
        [IT_LR] = "lr 0.01", [IT_MOMENTUM] = "momentum 0.9", [IT_BATCH] = "batch 32",
        [IT_EPOCHS] = "epochs 100", [IT_SEED] = "seed 1", [IT_CLIP] = "clip 1.0",
        [IT_PATIENCE] = "patience 10", [IT_VALIDATION] = "validation 0.1",
    };
    Sema *s = tr->s;
    TrainSpec *t = tr->t;
    if (it->nvals == 0) {
        diag_error(s->diag, after(it), "'%s' expects a number, e.g. '%s'", it->name, examples[k]);
        return;
    }
    const AstValue *v = it->vals[0];
    if (!want_number(s, v, what[k])) {
        /* reported */
    } else if (k == IT_LR || k == IT_MOMENTUM) {
        set_optim_key(tr, k == IT_LR ? OK_LR : OK_MOMENTUM, v, it->name_loc);
    } else if (k == IT_BATCH && item_int(s, v, what[k], 1, 1e6, "an integer from 1 to 1000000")) {
        t->batch = (int)v->num;
        t->has_batch = true;
    } else if (k == IT_EPOCHS &&
               item_int(s, v, what[k], 1, 1e9, "an integer from 1 to 1000000000")) {
        t->epochs = (int)v->num;
        t->has_epochs = true;
    } else if (k == IT_SEED) {
        set_seed(s, v, t);
    } else if (k == IT_CLIP) {
        check_clip(tr, v);
    } else if (k == IT_PATIENCE &&
               item_int(s, v, what[k], 0, 1e9, "an integer from 0 to 1000000000")) {
        t->patience = (int)v->num;
        t->has_patience = true;
    } else if (k == IT_VALIDATION) {
        check_validation(tr, v);
    }
    extra_values(s, it, 1, arena_printf(s->arena, "the value of '%s'", it->name));
}

/* One item line; each name may appear once. */
static void check_item(Train *tr, const AstStmt *it)
{
    Sema *s = tr->s;
    int k = find_name(it->name, train_item_names);
    if (k < 0) {
        unknown(s, it->name_loc, "train setting", it->name, train_item_names);
        return;
    }
    if (tr->seen[k]) {
        const char *what = arena_printf(s->arena, "train setting '%s'", it->name);
        diag_error(s->diag, it->kw_loc, "duplicate %s", what);
        diag_note(s->diag, tr->seen[k]->kw_loc, "the first %s is here", what);
        return;
    }
    tr->seen[k] = it;
    if (k == IT_OPTIMIZER)
        check_optimizer(tr, it);
    else if (k == IT_SCALE)
        check_scale(tr, it);
    else if (k == IT_SCHEDULE)
        check_schedule(tr, it);
    else
        check_number_item(tr, it, k);
}

/* Settings that make sense alone but not together. */
static void check_combinations(Train *tr)
{
    Sema *s = tr->s;
    const NetrtOptimConfig *c = &tr->t->optim;
    if (!tr->kind_known)
        return;
    if (c->kind == NETRT_OPT_LBFGS) {
        if (tr->seen[IT_SCHEDULE] && c->schedule != NETRT_SCHED_CONSTANT)
            diag_error(s->diag, tr->seen[IT_SCHEDULE]->kw_loc, "'schedule' does not apply to "
                       "'lbfgs', whose line search chooses each step");
        if (tr->seen[IT_CLIP])
            diag_error(s->diag, tr->seen[IT_CLIP]->kw_loc, "'clip' does not apply to 'lbfgs', "
                       "whose line search chooses each step");
    }
    if (c->kind == NETRT_OPT_NESTEROV && c->momentum == 0 && tr->set[OK_MOMENTUM])
        diag_error(s->diag, tr->set[OK_MOMENTUM]->loc, "nesterov momentum must be > 0, "
                   "found '%s'", tr->set[OK_MOMENTUM]->text);
    if (tr->set[OK_LR] && c->lr >= 10)
        diag_warning(s->diag, tr->set[OK_LR]->loc, "learning rate %s is very large (10 or "
                     "more): training will likely diverge; typical rates are 0.0001 to 1",
                     tr->set[OK_LR]->text);
    if (c->schedule == NETRT_SCHED_COSINE && tr->min_val && c->lr_min >= c->lr)
        diag_error(s->diag, tr->min_val->loc, "the cosine schedule's minimum must be below the "
                   "learning rate %g, found '%s'", c->lr, tr->min_val->text);
}

void sema_train_defaults(TrainSpec *t)
{
    memset(t, 0, sizeof *t);
    netrt_optim_defaults(&t->optim, NETRT_OPT_SGD);
    t->batch = 32;
    t->epochs = 100;
    t->seed = 1;
    t->scale = "none";
    t->patience = 0;
    t->validation = 0.0;
    t->optimizer = netrt_optim_name(t->optim.kind);
    t->lr = t->optim.lr;
    t->momentum = t->optim.momentum;
}

/* The train block: the optimizer's kind first (its defaults), then every line. */
void sema_train(Sema *s, const AstStmt *st)
{
    TrainSpec *t = &s->net->train;
    Train tr = { .s = s, .t = t, .kind_known = true };
    for (int i = 0; i < st->nitems; i++) {
        if (strcmp(st->items[i]->name, "optimizer") == 0) {
            netrt_optim_defaults(&t->optim, optimizer_kind(&tr, st->items[i]));
            break;
        }
    }
    for (int i = 0; i < st->nitems; i++)
        check_item(&tr, st->items[i]);
    check_combinations(&tr);
    t->has_lr = tr.set[OK_LR] != NULL;
    t->has_momentum = tr.set[OK_MOMENTUM] != NULL;
    t->optimizer = netrt_optim_name(t->optim.kind);
    t->lr = t->optim.lr;
    t->momentum = t->optim.momentum;
}
