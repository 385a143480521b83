/* sema.c: checks the AST (names, statement order, kinds, ranges, loss/activation
 * compatibility) and builds the NetSpec; runs after parser.y, before lower.c.
 * Every problem is reported; the result is NULL if there was any. */
#include "sema_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const act_names[ACT_COUNT + 1] = {
#define ACT(kind, name, nparams, def) name,
#include "ops.def"
#undef ACT
    NULL
};

const char *const loss_names[LOSS_COUNT + 1] = {
#define LOSS(kind, name, fused) name,
#include "ops.def"
#undef LOSS
    NULL
};

static const int act_nparams[ACT_COUNT] = {
#define ACT(kind, name, nparams, def) nparams,
#include "ops.def"
#undef ACT
};

static const double act_default[ACT_COUNT] = {
#define ACT(kind, name, nparams, def) def,
#include "ops.def"
#undef ACT
};

/* The output activation a loss is computed from (ACT_COUNT: any). */
static const ActKind loss_fused[LOSS_COUNT] = {
#define LOSS(kind, name, fused) fused,
#include "ops.def"
#undef LOSS
};

enum { NAME_MAX_LEN = 48, SIZE_LIMIT = 1000000 };


/* ---- small helpers ---- */

/* The source text of a value, for quoting in messages. */
const char *spelling(Sema *s, const AstValue *v)
{
    const char *text = s->ast->file->text + v->loc.start;
    return arena_strndup(s->arena, text, (size_t)(v->loc.end - v->loc.start));
}

/* A zero-width location just after a statement, where a missing word belongs. */
Loc after(const AstStmt *st)
{
    Loc l = st->loc;
    l.start = l.end;
    return l;
}

int find_name(const char *word, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(word, names[i]) == 0)
            return i;
    return -1;
}

/* "unknown WHAT 'word'" with a did-you-mean, or the list of valid names. */
void unknown(Sema *s, Loc loc, const char *what, const char *word,
                    const char *const *names)
{
    const char *hint = diag_suggest(word, names);
    if (hint) {
        diag_error(s->diag, loc, "unknown %s '%s'; did you mean '%s'?", what, word, hint);
        return;
    }
    char list[256] = "";
    size_t len = 0;
    for (int i = 0; names[i] && len < sizeof list - 32; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s'%s'",
                                i == 0 ? "" : names[i + 1] ? ", " : " or ", names[i]);
    diag_error(s->diag, loc, "unknown %s '%s'; expected %s", what, word, list);
}

bool is_integral(double x)
{
    return isfinite(x) && x == floor(x);
}

/* True if v is a plain number; otherwise reports that WHAT must be one. */
bool want_number(Sema *s, const AstValue *v, const char *what)
{
    if (v->kind == VAL_NUMBER && !v->key)
        return true;
    diag_error(s->diag, v->loc, "%s must be a number, found '%s'", what, spelling(s, v));
    return false;
}

/* Reports "WHAT must be RANGE, found 'N'" unless ok. */
bool check_range(Sema *s, const AstValue *v, const char *what, const char *range, bool ok)
{
    if (!ok)
        diag_error(s->diag, v->loc, "%s must be %s, found '%s'", what, range, v->text);
    return ok;
}

/* Values after the ones a statement uses are errors. */
static void extra_values(Sema *s, const AstStmt *st, int used, const char *after_what)
{
    if (st->nvals > used)
        diag_error(s->diag, st->vals[used]->loc, "unexpected '%s' after %s",
                   spelling(s, st->vals[used]), after_what);
}

/* A second statement of a kind that may appear once. */
static bool once(Sema *s, const AstStmt **seen, const AstStmt *st, const char *what)
{
    if (!*seen) {
        *seen = st;
        return true;
    }
    diag_error(s->diag, st->kw_loc, "duplicate %s", what);
    diag_note(s->diag, (*seen)->kw_loc, "the first %s is here", what);
    return false;
}

/* ---- names ---- */

static const char *const c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
    "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
    "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
    "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
    "alignas", "alignof", "bool", "constexpr", "false", "nullptr", "static_assert",
    "thread_local", "true", "typeof", "typeof_unqual", NULL
};

/* Why name cannot become part of generated C identifiers, or NULL if it can.
 * The network name is a prefix of every external symbol, so it has more rules. */
static const char *name_problem(const char *name, bool network)
{
    if (find_name(name, c_keywords) >= 0)
        return "is a C keyword";
    if (strlen(name) > NAME_MAX_LEN)
        return "is too long (limit 48 characters)";
    if (network && name[0] == '_')
        return "must not start with '_'";
    if (network && (strncmp(name, "netrt", 5) == 0 || strncmp(name, "NETRT", 5) == 0))
        return "must not start with 'netrt' (reserved for the runtime)";
    return NULL;
}

static bool same_ignoring_case(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

/* Input and layer names must be distinct even ignoring case, because generated
 * macros spell them in capitals (XOR_H_W). */
void check_layer_name(Sema *s, const AstStmt *st, const char *what)
{
    const char *problem = name_problem(st->name, false);
    if (problem)
        diag_error(s->diag, st->name_loc, "%s name '%s' %s", what, st->name, problem);
    for (int i = 0; i < s->nnames; i++) {
        const AstStmt *prev = s->names[i];
        if (strcmp(prev->name, st->name) == 0) {
            diag_error(s->diag, st->name_loc, "duplicate name '%s'", st->name);
        } else if (same_ignoring_case(prev->name, st->name)) {
            diag_error(s->diag, st->name_loc,
                       "name '%s' differs from '%s' only in case (generated macros are "
                       "upper case)", st->name, prev->name);
        } else {
            continue;
        }
        diag_note(s->diag, prev->name_loc, "'%s' is first defined here", prev->name);
        break;
    }
    ARENA_PUSH(s->arena, s->names, s->nnames, s->names_cap, st);
}

/* `network NAME`: the C prefix of everything generated. */
static void check_network(Sema *s, const AstStmt *st)
{
    if (!once(s, &s->network, st, "'network' statement"))
        return;
    const char *problem = name_problem(st->name, true);
    if (problem)
        diag_error(s->diag, st->name_loc, "network name '%s' %s", st->name, problem);
    s->net->name = st->name;
}

/* Without a `network` statement the name is the file's base name, lower-cased,
 * with every other character turned into '_' (specs/mlp-mnist.net: mlp_mnist). */
static void default_network_name(Sema *s)
{
    const char *path = s->ast->file->name;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    while (len > 0 && !isalnum((unsigned char)*base)) {
        base++;
        len--;
    }
    bool digit = len > 0 && isdigit((unsigned char)base[0]);
    char *name = arena_printf(s->arena, "%s%.*s", len == 0 ? "net" : digit ? "net_" : "",
                              (int)len, base);
    for (char *p = name; *p; p++)
        *p = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
    const char *problem = name_problem(name, true);
    if (problem)
        diag_error(s->diag, (Loc){ s->ast->file, 0, 0 },
                   "network name '%s' (taken from the file name) %s; add a 'network NAME' "
                   "statement", name, problem);
    s->net->name = name;
}

/* ---- statements ---- */

/* `[N]`: an integer from 1 to SIZE_LIMIT. */
int check_size(Sema *s, const AstValue *v)
{
    if (!is_integral(v->num) && isfinite(v->num)) {
        diag_error(s->diag, v->loc, "size must be an integer, found '%s'", v->text);
        return 1;
    }
    if (v->num < 1) {
        diag_error(s->diag, v->loc, "size must be at least 1");
        return 1;
    }
    if (v->num > SIZE_LIMIT) {
        diag_error(s->diag, v->loc, "size %s is too large (limit %d)", v->text, SIZE_LIMIT);
        return 1;
    }
    return (int)v->num;
}

static void check_precision(Sema *s, const AstStmt *st)
{
    static const char *const names[] = { "float", "double", NULL };
    if (!once(s, &s->precision, st, "'precision' statement"))
        return;
    if (st->nvals == 0) {
        diag_error(s->diag, after(st), "'precision' expects 'float' or 'double'");
        return;
    }
    const AstValue *v = st->vals[0];
    int k = v->kind == VAL_WORD && !v->key ? find_name(v->word, names) : -1;
    if (k < 0 && v->kind == VAL_WORD && !v->key)
        unknown(s, v->loc, "precision", v->word, names);
    else if (k < 0)
        diag_error(s->diag, v->loc, "expected 'float' or 'double', found '%s'", spelling(s, v));
    else
        s->net->precision = k == 0 ? PREC_FLOAT : PREC_DOUBLE;
    extra_values(s, st, 1, "the precision");
}

static void check_input(Sema *s, const AstStmt *st)
{
    if (!once(s, &s->input, st, "'input' statement"))
        return;
    check_layer_name(s, st, "input");
    s->net->input_name = st->name;
    s->net->input_loc = st->name_loc;
    s->net->input_stmt = st;
    s->net->input_size = check_size(s, st->size);
    sema_add_node(s, NODE_INPUT, st, s->net->input_size, -1);
}

/* Checks an activation's argument list against its ops.def row and fills the
 * layer's parameter (alpha or pieces). */
static void check_act_params(Sema *s, const AstValue *v, LayerSpec *l)
{
    const char *name = act_names[l->act];
    int want = act_nparams[l->act];
    int got = v->kind == VAL_CALL ? v->nargs : 0;
    if (l->act == ACT_MAXOUT)
        l->pieces = (int)act_default[l->act];
    else
        l->alpha = act_default[l->act];
    if (v->kind != VAL_CALL)
        return;     /* bare name: the default parameter */
    if (got != want) {
        if (want == 0)
            diag_error(s->diag, v->loc, "'%s' takes no arguments", name);
        else
            diag_error(s->diag, v->loc, "'%s' takes %d argument, got %d", name, want, got);
        return;
    }
    const AstValue *a = v->args[0];
    if (!want_number(s, a, l->act == ACT_MAXOUT ? "maxout piece count" : "activation parameter"))
        return;
    if (l->act == ACT_LEAKY_RELU) {
        check_range(s, a, "leaky_relu slope", ">= 0", isfinite(a->num) && a->num >= 0);
        l->alpha = a->num;
    } else if (l->act == ACT_ELU) {
        check_range(s, a, "elu alpha", "> 0", isfinite(a->num) && a->num > 0);
        l->alpha = a->num;
    } else if (l->act == ACT_MAXOUT) {
        bool ok = is_integral(a->num) && a->num >= 2 && a->num <= 64;
        if (check_range(s, a, "maxout piece count", "an integer from 2 to 64", ok))
            l->pieces = (int)a->num;
    }
}

/* The first value after `dense NAME[N]` names the activation. */
static void check_activation(Sema *s, const AstStmt *st, LayerSpec *l)
{
    const AstValue *v = st->nvals > 0 ? st->vals[0] : NULL;
    if (!v || v->key || v->kind == VAL_NUMBER) {
        diag_error(s->diag, v ? v->loc : after(st),
                   "layer '%s' needs an activation after its size, e.g. 'relu' or 'linear'",
                   st->name);
        return;
    }
    int k = find_name(v->word, act_names);
    const FormulaDef *custom = k < 0 ? sema_find_activation(s, v->word) : NULL;
    if (custom) {
        sema_custom_activation(s, v, custom, l);
        return;
    }
    if (k < 0) {
        unknown(s, v->loc, "activation", v->word, act_names);
        return;
    }
    l->act = (ActKind)k;
    check_act_params(s, v, l);
    if (l->act == ACT_SOFTMAX && l->units < 2 && l->units > 0)
        diag_error(s->diag, v->loc, "softmax needs at least 2 units, but '%s' has %d",
                   st->name, l->units);
}

/* init=xavier|glorot|he|zeros|uniform(a, b) */
static void check_init(Sema *s, const AstValue *v, LayerSpec *l)
{
    static const char *const names[] = { "xavier", "glorot", "he", "uniform", "zeros", NULL };
    static const InitKind kinds[] = {
        INIT_XAVIER, INIT_XAVIER, INIT_HE, INIT_UNIFORM, INIT_ZEROS
    };
    if (v->kind == VAL_NUMBER) {
        diag_error(s->diag, v->loc, "expected an initializer name, found '%s'", v->text);
        return;
    }
    int k = find_name(v->word, names);
    if (k < 0) {
        unknown(s, v->loc, "initializer", v->word, names);
        return;
    }
    l->init = kinds[k];
    if (l->init != INIT_UNIFORM) {
        if (v->kind == VAL_CALL)
            diag_error(s->diag, v->loc, "'%s' takes no arguments", v->word);
        return;
    }
    if (v->kind != VAL_CALL) {
        diag_error(s->diag, v->loc, "'uniform' needs bounds, e.g. init=uniform(-0.1, 0.1)");
        return;
    }
    if (v->nargs != 2) {
        diag_error(s->diag, v->loc, "'uniform' takes 2 arguments, got %d", v->nargs);
        return;
    }
    if (!want_number(s, v->args[0], "uniform bound") ||
        !want_number(s, v->args[1], "uniform bound"))
        return;
    l->init_a = v->args[0]->num;
    l->init_b = v->args[1]->num;
    if (!isfinite(l->init_a) || !isfinite(l->init_b) || !(l->init_a < l->init_b))
        diag_error(s->diag, v->loc, "uniform bounds must be finite with a < b, found '%s'",
                   spelling(s, v));
}

/* Reports an option given twice, or bias after nobias (and the reverse). */
static void repeated_option(Sema *s, const AstValue *v, const AstValue *first)
{
    const char *word = v->key ? v->key : v->word;
    const char *prev = first->key ? first->key : first->word;
    if (strcmp(word, prev) != 0)
        diag_error(s->diag, v->loc, "'%s' contradicts the earlier '%s'", word, prev);
    else
        diag_error(s->diag, v->loc, "duplicate option '%s'", word);
}

/* Options after the activation: bias | nobias | init=... */
static void check_dense_options(Sema *s, const AstStmt *st, LayerSpec *l)
{
    static const char *const names[] = { "bias", "nobias", "init", "from", NULL };
    const AstValue *bias_opt = NULL, *init_opt = NULL, *from_opt = NULL;
    for (int i = 1; i < st->nvals; i++) {
        const AstValue *v = st->vals[i];
        const AstValue **seen;
        if (!v->key && v->kind == VAL_WORD && strcmp(v->word, "from") == 0) {
            /* `from NAME`: the layer reads NAME instead of the value above it */
            if (i + 1 >= st->nvals) {
                diag_error(s->diag, v->loc, "'from' needs the name of a value, e.g. 'from x'");
                continue;
            }
            int k = sema_node_ref(s, st->vals[++i]);
            if (k >= 0)
                l->src = k;
            seen = &from_opt;
        } else if (v->key && strcmp(v->key, "init") == 0) {
            seen = &init_opt;
            check_init(s, v, l);
        } else if (v->key) {
            unknown(s, v->key_loc, "option", v->key, names);
            continue;
        } else if (v->kind == VAL_NUMBER) {
            diag_error(s->diag, v->loc, "unexpected number '%s' in the options of layer '%s'",
                       v->text, st->name);
            continue;
        } else if (strcmp(v->word, "init") == 0) {
            diag_error(s->diag, v->loc, "option 'init' needs a value, e.g. init=he");
            continue;
        } else if (find_name(v->word, names) >= 0) {
            if (v->kind == VAL_CALL)
                diag_error(s->diag, v->loc, "'%s' takes no arguments", v->word);
            seen = &bias_opt;
            l->bias = strcmp(v->word, "bias") == 0;
        } else if (find_name(v->word, act_names) >= 0) {
            diag_error(s->diag, v->loc, "layer '%s' already has an activation; unexpected '%s'",
                       st->name, spelling(s, v));
            continue;
        } else {
            unknown(s, v->loc, "option", v->word, names);
            continue;
        }
        if (*seen)
            repeated_option(s, v, *seen);
        *seen = v;
    }
}

static void check_dense(Sema *s, const AstStmt *st)
{
    if (s->net->nlayers >= SPEC_MAX_LAYERS) {
        if (!s->too_many_layers)
            diag_error(s->diag, st->kw_loc, "too many layers: a network may have at most %d "
                       "'dense' layers", SPEC_MAX_LAYERS);
        s->too_many_layers = true;
        return;
    }
    if (!s->first_dense)
        s->first_dense = st;
    s->last_dense = st;
    check_layer_name(s, st, "layer");
    LayerSpec l = { .name = st->name, .loc = st->name_loc, .stmt = st, .pieces = 1,
                    .bias = true, .init = INIT_DEFAULT, .src = s->net->nnodes - 1 };
    l.units = check_size(s, st->size);
    check_activation(s, st, &l);
    check_dense_options(s, st, &l);
    NetSpec *n = s->net;
    arena_grow(s->arena, (void **)&n->layers, &s->layers_cap, n->nlayers + 1, sizeof l);
    n->layers[n->nlayers++] = l;
    sema_add_node(s, NODE_DENSE, st, l.units, n->nlayers - 1);
}

/* `dropout P` applies to the statement just before it: the input or a layer. */
static void check_dropout(Sema *s, const AstStmt *st, const AstStmt *prev)
{
    double p = 0;
    if (st->nvals == 0) {
        diag_error(s->diag, after(st), "'dropout' expects a probability, e.g. 'dropout 0.5'");
    } else if (want_number(s, st->vals[0], "dropout probability")) {
        const AstValue *v = st->vals[0];
        if (check_range(s, v, "dropout probability", "in [0, 1)", v->num >= 0 && v->num < 1))
            p = v->num;
    }
    extra_values(s, st, 1, "the dropout probability");
    if (prev && prev->kind == ST_DROPOUT) {
        diag_error(s->diag, st->kw_loc, "two 'dropout' statements in a row");
        diag_note(s->diag, prev->kw_loc, "the previous 'dropout' is here");
    } else if (!prev || (prev->kind != ST_INPUT && prev->kind != ST_DENSE)) {
        diag_error(s->diag, st->kw_loc, "'dropout' must follow an 'input' or 'dense' statement");
    } else if (prev->kind == ST_INPUT && prev == s->input) {
        s->net->input_dropout = p;
        s->net->input_dropout_stmt = st;
    } else if (prev->kind == ST_DENSE) {
        LayerSpec *l = &s->net->layers[s->net->nlayers - 1];
        l->dropout = p;
        l->dropout_stmt = st;
    }
}

static void check_loss(Sema *s, const AstStmt *st)
{
    if (!once(s, &s->loss, st, "'loss' statement"))
        return;
    const AstValue *v = st->nvals > 0 ? st->vals[0] : NULL;
    if (!v || v->kind != VAL_WORD || v->key) {
        diag_error(s->diag, v ? v->loc : after(st), "'loss' expects a loss name, e.g. 'loss mse'");
        return;
    }
    int k = find_name(v->word, loss_names);
    if (k < 0) {
        unknown(s, v->loc, "loss", v->word, loss_names);
        return;     /* loss_stmt stays NULL: no compatibility checks */
    }
    s->net->loss = (LossKind)k;
    s->net->loss_stmt = st;
    extra_values(s, st, 1, "the loss name");
}

/* `regularize l1|l2 LAMBDA`, each kind at most once. */
static void check_regularize(Sema *s, const AstStmt *st)
{
    static const char *const names[] = { "l1", "l2", NULL };
    const AstValue *v = st->nvals > 0 ? st->vals[0] : NULL;
    if (!v || v->kind != VAL_WORD || v->key) {
        diag_error(s->diag, v ? v->loc : after(st),
                   "'regularize' expects 'l1' or 'l2' and a strength, e.g. 'regularize l2 1e-4'");
        return;
    }
    int k = find_name(v->word, names);
    if (k < 0) {
        unknown(s, v->loc, "regularizer", v->word, names);
        return;
    }
    NetSpec *n = s->net;
    for (int i = 0; i < n->nregs; i++) {
        if (n->regs[i].kind == (RegKind)k) {
            diag_error(s->diag, st->kw_loc, "duplicate 'regularize %s' statement", v->word);
            diag_note(s->diag, n->regs[i].stmt->kw_loc, "the first one is here");
            return;
        }
    }
    RegSpec r = { .kind = k == 0 ? REG_L1 : REG_L2, .stmt = st };
    if (st->nvals < 2) {
        diag_error(s->diag, after(st), "missing strength after '%s', e.g. 'regularize %s 1e-4'",
                   v->word, v->word);
    } else if (want_number(s, st->vals[1], "regularization strength")) {
        const AstValue *lam = st->vals[1];
        check_range(s, lam, "regularization strength", ">= 0",
                    isfinite(lam->num) && lam->num >= 0);
        r.lambda = lam->num;
    }
    extra_values(s, st, 2, "the regularization strength");
    arena_grow(s->arena, (void **)&n->regs, &s->regs_cap, n->nregs + 1, sizeof r);
    n->regs[n->nregs++] = r;
}

/* ---- the train block (sema_train.c) ---- */

static void check_train(Sema *s, const AstStmt *st)
{
    if (once(s, &s->train, st, "'train' block"))
        sema_train(s, st);
}

/* ---- whole-network checks ---- */

/* Loss and output activation must agree: bce is computed from the sigmoid's logit
 * and cross_entropy from the softmax's, so those pairs are required. */
static void check_loss_compat(Sema *s)
{
    const NetSpec *n = s->net;
    if (n->loss_formula)
        return;     /* a user-defined loss takes any output */
    const NodeSpec *out = &n->nodes[n->nnodes - 1];
    const char *loss = loss_names[n->loss];
    ActKind need = loss_fused[n->loss];
    if (out->kind != NODE_DENSE) {
        if (need != ACT_COUNT)
            diag_error(s->diag, n->loss_stmt->vals[0]->loc, "loss '%s' needs a '%s' output "
                       "layer, but the output is the feature '%s'", loss, act_names[need],
                       out->name);
        return;
    }
    const LayerSpec *last = &n->layers[out->layer];
    const AstValue *act = last->stmt->nvals > 0 ? last->stmt->vals[0] : NULL;
    if (need != ACT_COUNT && last->act != need) {
        diag_error(s->diag, n->loss_stmt->vals[0]->loc,
                   "loss '%s' needs a '%s' output layer, but '%s' uses '%s'", loss,
                   act_names[need], last->name, spec_act_name(last));
    } else if (n->loss == LOSS_HINGE && last->act == ACT_SOFTMAX) {
        diag_error(s->diag, n->loss_stmt->vals[0]->loc,
                   "loss 'hinge' cannot be used with a softmax output layer");
    } else {
        return;
    }
    diag_note(s->diag, act ? act->loc : last->loc, "the activation of '%s' is set here",
              last->name);
}

/* Legal but suspicious pairings of the output layer and the loss: warnings. */
static void warn_loss_pairing(Sema *s)
{
    const NetSpec *n = s->net;
    const NodeSpec *out = &n->nodes[n->nnodes - 1];
    if (n->loss_formula || !n->loss_stmt || out->kind != NODE_DENSE)
        return;
    const LayerSpec *last = &n->layers[out->layer];
    const AstValue *act = last->stmt->nvals > 0 ? last->stmt->vals[0] : NULL;
    bool regression = n->loss == LOSS_MSE || n->loss == LOSS_MAE;
    Loc at = n->loss_stmt->vals[0]->loc;
    if (regression && last->act == ACT_SOFTMAX) {
        diag_warning(s->diag, at, "loss '%s' on a softmax output: its gradient vanishes as the "
                     "softmax saturates; 'cross_entropy' is the loss for softmax outputs",
                     loss_names[n->loss]);
    } else if (regression && last->act == ACT_RELU) {
        diag_warning(s->diag, at, "loss '%s' on a 'relu' output layer: '%s' cannot predict "
                     "negative values and its units stop learning once they go below 0; "
                     "regression outputs are usually 'linear'", loss_names[n->loss], last->name);
    } else {
        return;
    }
    diag_note(s->diag, act ? act->loc : last->loc, "the activation of '%s' is set here",
              last->name);
}

/* Marks the nodes a feature formula reads. */
static void mark_uses(const NetSpec *n, const AstExpr *e, bool *used)
{
    if (!e)
        return;
    if (e->kind == EXPR_NAME || e->kind == EXPR_INDEX || e->kind == EXPR_SLICE) {
        for (int i = n->nnodes - 1; i >= 0; i--) {
            if (strcmp(n->nodes[i].name, e->name) == 0) {
                used[i] = true;
                break;
            }
        }
    }
    mark_uses(n, e->a, used);
    mark_uses(n, e->b, used);
    for (int i = 0; i < e->nargs; i++)
        mark_uses(n, e->args[i], used);
}

/* Every layer and feature must feed the output: an unused layer's weights would
 * never get a gradient. */
static void check_unused(Sema *s)
{
    const NetSpec *n = s->net;
    bool *used = arena_alloc(s->arena, sizeof(bool) * (size_t)n->nnodes);
    for (int i = 0; i < n->nnodes; i++) {
        const NodeSpec *node = &n->nodes[i];
        if (node->kind == NODE_DENSE && n->layers[node->layer].src >= 0)
            used[n->layers[node->layer].src] = true;
        if (node->kind == NODE_FEATURE)
            mark_uses(n, node->expr, used);
    }
    for (int i = 0; i + 1 < n->nnodes; i++) {
        const NodeSpec *node = &n->nodes[i];
        if (used[i] || node->kind == NODE_INPUT)
            continue;
        diag_error(s->diag, node->stmt->name_loc, "'%s' is not used by anything after it; "
                   "the network's output is the last value, '%s'", node->name,
                   n->nodes[n->nnodes - 1].name);
    }
}

static void check_layer_order(Sema *s)
{
    const NetSpec *n = s->net;
    for (int i = 0; i + 1 < n->nlayers; i++) {
        const LayerSpec *l = &n->layers[i];
        if (l->act == ACT_SOFTMAX)
            diag_error(s->diag, l->stmt->vals[0]->loc,
                       "softmax is only allowed on the last layer, but '%s' is followed by '%s'",
                       l->name, n->layers[i + 1].name);
    }
    const LayerSpec *last = &n->layers[n->nlayers - 1];
    if (n->nodes[n->nnodes - 1].kind == NODE_DENSE && last->dropout_stmt)
        diag_error(s->diag, last->dropout_stmt->kw_loc,
                   "'dropout' cannot follow the last layer '%s'", last->name);
}

static void check_whole(Sema *s)
{
    const AstSpec *ast = s->ast;
    Loc first = ast->nstmts > 0 ? ast->stmts[0]->kw_loc : (Loc){ ast->file, 0, 0 };
    if (ast->nstmts == 0) {
        diag_error(s->diag, first, "the spec is empty; a network needs 'input', 'dense' and "
                   "'loss' statements");
        return;
    }
    if (!s->input)
        diag_error(s->diag, first, "missing 'input' statement");
    else if (s->first_dense && s->first_dense->loc.start < s->input->loc.start) {
        diag_error(s->diag, s->input->kw_loc, "'input' must come before the first 'dense' layer");
        diag_note(s->diag, s->first_dense->kw_loc, "the first layer '%s' is here",
                  s->first_dense->name);
    }
    if (s->net->nlayers == 0) {
        diag_error(s->diag, s->input ? s->input->kw_loc : first,
                   "the network has no 'dense' layer");
        return;
    }
    check_layer_order(s);
    if (s->input && s->first_dense && s->input->loc.start < s->first_dense->loc.start)
        check_unused(s);
    if (!s->loss)
        diag_error(s->diag, s->last_dense->kw_loc,
                   "missing 'loss' statement after the last layer, e.g. 'loss mse'");
    else if (s->net->loss_stmt)
        check_loss_compat(s);
    if (diag_errors(s->diag) == 0)
        warn_loss_pairing(s);
}

static void set_defaults(NetSpec *n)
{
    n->precision = PREC_FLOAT;
    sema_train_defaults(&n->train);
}

static void check_stmt(Sema *s, const AstStmt *st, const AstStmt *prev)
{
    switch (st->kind) {
    case ST_NETWORK: check_network(s, st); break;
    case ST_PRECISION: check_precision(s, st); break;
    case ST_INPUT: check_input(s, st); break;
    case ST_DENSE: check_dense(s, st); break;
    case ST_DROPOUT: check_dropout(s, st, prev); break;
    case ST_LOSS:
        if (st->expr)
            sema_formula_def(s, st);
        else
            check_loss(s, st);
        break;
    case ST_ACTIVATION: sema_formula_def(s, st); break;
    case ST_FEATURE: sema_feature(s, st); break;
    case ST_PARAM:
    case ST_CONST: sema_scalar(s, st); break;
    case ST_OUTPUT: sema_output(s, st); break;
    case ST_REGULARIZE: check_regularize(s, st); break;
    case ST_TRAIN: check_train(s, st); break;
    case ST_TRAIN_ITEM: internal_error("train item outside a train block"); break;
    }
}

NetSpec *sema_check(Arena *a, Diag *d, const AstSpec *ast)
{
    int errors = diag_errors(d);
    Sema s = { .arena = a, .diag = d, .ast = ast };
    s.net = arena_alloc(a, sizeof *s.net);
    s.net->file = ast->file;
    set_defaults(s.net);
    for (int i = 0; i < ast->nstmts; i++)
        check_stmt(&s, ast->stmts[i], i > 0 ? ast->stmts[i - 1] : NULL);
    if (!s.network)
        default_network_name(&s);
    if (sema_is_scalar_graph(&s))
        sema_check_scalar_graph(&s);
    else
        check_whole(&s);
    return diag_errors(d) > errors ? NULL : s.net;
}
