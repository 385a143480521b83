/* test_parser.c: the front end on in-memory specs: parse_spec builds the expected
 * tree (checked through ast_dump), sema_check fills the NetSpec (defaults, sizes,
 * activation parameters, init, dropout, train block), errors are counted and placed. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "spec.h"

/* One parse + check of an in-memory spec, with the dump and diagnostics captured. */
typedef struct {
    Arena arena;
    Diag diag;
    AstSpec *ast;
    NetSpec *net;
    char *dump;         /* ast_dump output (malloc'd by open_memstream) */
    char *msgs;         /* diagnostics */
    size_t dump_len, msgs_len;
} Run;

static void run(Run *r, const char *name, const char *text)
{
    memset(r, 0, sizeof *r);
    FILE *msgs = open_memstream(&r->msgs, &r->msgs_len);
    diag_init(&r->diag, msgs);
    const SrcFile *f = src_from_string(&r->arena, name, text);
    r->ast = parse_spec(&r->arena, &r->diag, f);
    if (diag_errors(&r->diag) == 0)
        r->net = sema_check(&r->arena, &r->diag, r->ast);
    fclose(msgs);
    FILE *dump = open_memstream(&r->dump, &r->dump_len);
    ast_dump(dump, r->ast);
    fclose(dump);
}

static void done(Run *r)
{
    free(r->dump);
    free(r->msgs);
    arena_free_all(&r->arena);
}

static const char xor_spec[] =
    "# the classic 2-2-1 network\n"
    "network xor                 # C prefix\n"
    "precision double\n"
    "\n"
    "input  x[2]\n"
    "dense  h[2] sigmoid\n"
    "dense  y[1] sigmoid\n"
    "loss   bce\n"
    "regularize l2 1e-4\n"
    "\n"
    "train\n"
    "  optimizer sgd lr=0.5 momentum=0.9\n"
    "  batch 4\n"
    "  epochs 5000\n"
    "  seed 1\n"
    "end\n";

static void test_xor_ast(void)
{
    Run r;
    run(&r, "xor.net", xor_spec);
    CHECK_EQ_INT(diag_errors(&r.diag), 0);
    CHECK_EQ_INT(r.ast->nstmts, 8);
    CHECK_CONTAINS(r.dump, "2:1 network xor\n3:1 precision double\n5:1 input x [2]\n");
    CHECK_CONTAINS(r.dump, "6:1 dense h [2] sigmoid\n7:1 dense y [1] sigmoid\n8:1 loss bce\n");
    CHECK_CONTAINS(r.dump, "9:1 regularize l2 1e-4\n11:1 train\n");
    CHECK_CONTAINS(r.dump, "    12:3 optimizer sgd lr=0.5 momentum=0.9\n    13:3 batch 4\n");
    CHECK_CONTAINS(r.dump, "    15:3 seed 1\nend\n");
    const AstStmt *dense = r.ast->stmts[3];
    CHECK_EQ_INT(dense->kind, ST_DENSE);
    CHECK(strcmp(dense->name, "h") == 0);
    CHECK_EQ_INT(dense->size->num, 2);
    CHECK(dense->size->is_int);
    CHECK_EQ_INT(dense->nvals, 1);
    CHECK_EQ_INT(dense->vals[0]->kind, VAL_WORD);
    const SrcFile *f = r.ast->file;
    CHECK(strncmp(f->text + dense->loc.start, "dense  h[2] sigmoid", 19) == 0);
    CHECK_EQ_INT(dense->loc.end - dense->loc.start, 19);
    CHECK(strncmp(f->text + dense->name_loc.start, "h", 1) == 0);
    const AstStmt *train = r.ast->stmts[7];
    CHECK_EQ_INT(train->kind, ST_TRAIN);
    CHECK_EQ_INT(train->nitems, 4);
    CHECK_EQ_INT(train->items[0]->kind, ST_TRAIN_ITEM);
    CHECK_EQ_INT(train->items[0]->nvals, 3);
    CHECK(strcmp(train->items[0]->vals[1]->key, "lr") == 0);
    CHECK_NEAR(train->items[0]->vals[1]->num, 0.5, 0);
    CHECK(strncmp(f->text + train->loc.end - 3, "end", 3) == 0);
    done(&r);
}

static void test_xor_spec(void)
{
    Run r;
    run(&r, "xor.net", xor_spec);
    const NetSpec *n = r.net;
    CHECK(n != NULL);
    if (!n)
        return;
    CHECK(strcmp(n->name, "xor") == 0);
    CHECK_EQ_INT(n->precision, PREC_DOUBLE);
    CHECK(strcmp(n->input_name, "x") == 0);
    CHECK_EQ_INT(n->input_size, 2);
    CHECK_EQ_INT(n->nlayers, 2);
    CHECK_EQ_INT(n->layers[0].units, 2);
    CHECK_EQ_INT(n->layers[0].act, ACT_SIGMOID);
    CHECK(n->layers[0].bias);
    CHECK_EQ_INT(n->layers[0].init, INIT_DEFAULT);
    CHECK_EQ_INT(n->layers[0].pieces, 1);
    CHECK(strcmp(n->layers[1].name, "y") == 0);
    CHECK_EQ_INT(n->loss, LOSS_BCE);
    CHECK(n->loss_stmt != NULL);
    CHECK_EQ_INT(n->nregs, 1);
    CHECK_EQ_INT(n->regs[0].kind, REG_L2);
    CHECK_NEAR(n->regs[0].lambda, 1e-4, 0);
    CHECK(strcmp(n->train.optimizer, "sgd") == 0);
    CHECK_NEAR(n->train.lr, 0.5, 0);
    CHECK_NEAR(n->train.momentum, 0.9, 0);
    CHECK_EQ_INT(n->train.batch, 4);
    CHECK_EQ_INT(n->train.epochs, 5000);
    CHECK_EQ_INT(n->train.seed, 1);
    CHECK(n->train.has_optimizer && n->train.has_lr && n->train.has_momentum);
    CHECK(n->train.has_batch && n->train.has_epochs && n->train.has_seed);
    done(&r);
}

/* No network, precision or train statement: everything takes its default. */
static void test_defaults(void)
{
    Run r;
    run(&r, "specs/My-Net.v2.net", "input x[3]\ndense y[1] linear\nloss mse");
    const NetSpec *n = r.net;
    CHECK(n != NULL);
    if (!n)
        return;
    CHECK(strcmp(n->name, "my_net_v2") == 0);
    CHECK_EQ_INT(n->precision, PREC_FLOAT);
    CHECK_EQ_INT(n->loss, LOSS_MSE);
    CHECK_EQ_INT(n->nregs, 0);
    CHECK_NEAR(n->input_dropout, 0, 0);
    CHECK(strcmp(n->train.optimizer, "sgd") == 0);
    CHECK_NEAR(n->train.lr, 0.01, 0);
    CHECK_NEAR(n->train.momentum, 0, 0);
    CHECK_EQ_INT(n->train.batch, 32);
    CHECK_EQ_INT(n->train.epochs, 100);
    CHECK_EQ_INT(n->train.seed, 1);
    CHECK(strcmp(n->train.scale, "none") == 0);
    CHECK(!n->train.has_optimizer && !n->train.has_lr && !n->train.has_batch);
    CHECK(!n->train.has_scale);
    done(&r);

    run(&r, "7up.net", "input x[3]\ndense y[1] linear\nloss mse\n");
    CHECK(r.net && strcmp(r.net->name, "net_7up") == 0);
    done(&r);
}

static void test_activations_and_options(void)
{
    Run r;
    run(&r, "acts.net",
        "input x[16]\n"
        "dropout 0.25\n"
        "dense a[8] leaky_relu init=he\n"
        "dense b[8] leaky_relu(0.2) nobias\n"
        "dense c[8] elu\n"
        "dense d[8] elu(0.5) init=glorot\n"
        "dense e[8] maxout\n"
        "dense f[8] maxout(3) init=uniform(-0.1, +0.25)\n"
        "dropout 0.5\n"
        "dense g[8] tanh init=zeros bias\n"
        "dense y[4] softmax init=xavier\n"
        "loss cross_entropy\n"
        "regularize l1 0\n"
        "regularize l2 1e-3\n");
    CHECK_EQ_INT(diag_errors(&r.diag), 0);
    CHECK_CONTAINS(r.dump, "8:1 dense f [8] maxout(3) init=uniform(-0.1, +0.25)\n");
    const NetSpec *n = r.net;
    CHECK(n != NULL);
    if (!n)
        return;
    CHECK_EQ_INT(n->nlayers, 8);
    CHECK_NEAR(n->input_dropout, 0.25, 0);
    CHECK(n->input_dropout_stmt != NULL);
    const LayerSpec *l = n->layers;
    CHECK_EQ_INT(l[0].act, ACT_LEAKY_RELU);
    CHECK_NEAR(l[0].alpha, 0.01, 0);
    CHECK_EQ_INT(l[0].init, INIT_HE);
    CHECK_NEAR(l[1].alpha, 0.2, 0);
    CHECK(!l[1].bias);
    CHECK_NEAR(l[2].alpha, 1.0, 0);
    CHECK_NEAR(l[3].alpha, 0.5, 0);
    CHECK_EQ_INT(l[3].init, INIT_XAVIER);
    CHECK_EQ_INT(l[4].act, ACT_MAXOUT);
    CHECK_EQ_INT(l[4].pieces, 2);
    CHECK_EQ_INT(l[5].pieces, 3);
    CHECK_EQ_INT(l[5].init, INIT_UNIFORM);
    CHECK_NEAR(l[5].init_a, -0.1, 0);
    CHECK_NEAR(l[5].init_b, 0.25, 0);
    CHECK_NEAR(l[5].dropout, 0.5, 0);
    CHECK(l[5].dropout_stmt != NULL);
    CHECK_NEAR(l[4].dropout, 0, 0);
    CHECK_EQ_INT(l[6].init, INIT_ZEROS);
    CHECK(l[6].bias);
    CHECK_EQ_INT(l[7].act, ACT_SOFTMAX);
    CHECK_EQ_INT(l[7].units, 4);
    CHECK_EQ_INT(n->loss, LOSS_CROSS_ENTROPY);
    CHECK_EQ_INT(n->nregs, 2);
    CHECK_EQ_INT(n->regs[0].kind, REG_L1);
    CHECK_NEAR(n->regs[1].lambda, 1e-3, 0);
    done(&r);
}

/* Number spellings, signs and the value locations that messages point at. */
static void test_numbers(void)
{
    Run r;
    run(&r, "n.net", "input x[4]\ndense y[1] sigmoid init=uniform(-1e-2, .5)\nloss bce\n"
                     "train\n  seed 18446744073709551615\n  epochs 1e3\n  scale standard\nend\n");
    CHECK_EQ_INT(diag_errors(&r.diag), 0);
    const AstValue *init = r.ast->stmts[1]->vals[1];
    CHECK_EQ_INT(init->kind, VAL_CALL);
    CHECK(strcmp(init->key, "init") == 0 && strcmp(init->word, "uniform") == 0);
    CHECK_EQ_INT(init->nargs, 2);
    CHECK(strcmp(init->args[0]->text, "-1e-2") == 0);
    CHECK_NEAR(init->args[0]->num, -0.01, 0);
    CHECK(!init->args[0]->is_int);
    CHECK_NEAR(init->args[1]->num, 0.5, 0);
    const char *text = r.ast->file->text;
    CHECK(strncmp(text + init->loc.start, "init=uniform(-1e-2, .5)", 23) == 0);
    CHECK_EQ_INT(init->loc.end - init->loc.start, 23);
    CHECK(strncmp(text + init->key_loc.start, "init", 4) == 0);
    CHECK(r.net && r.net->train.seed == 18446744073709551615ULL);
    CHECK(r.net && r.net->train.epochs == 1000);
    CHECK(r.net && strcmp(r.net->train.scale, "standard") == 0 && r.net->train.has_scale);
    done(&r);
}

/* The train block: every optimizer's defaults, its keys, schedules, clipping,
 * early stopping; lines in any order (lr before the optimizer still applies). */
static void test_train_block(void)
{
    Run r;
    run(&r, "t.net", "input x[4]\ndense y[3] softmax\nloss cross_entropy\ntrain\n"
                     "  lr 0.002\n  optimizer adam beta1=0.8 weight_decay=0.001\n"
                     "  schedule cosine min=1e-5\n  clip 2.5\n  patience 7\n"
                     "  validation 0.2\n  scale minmax\nend\n");
    CHECK_EQ_INT(diag_errors(&r.diag), 0);
    const TrainSpec *t = r.net ? &r.net->train : NULL;
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_INT(t->optim.kind, NETRT_OPT_ADAM);
        CHECK(strcmp(t->optimizer, "adam") == 0);
        CHECK(t->optim.lr == 0.002 && t->lr == 0.002 && t->has_lr);
        CHECK(t->optim.beta1 == 0.8 && t->optim.beta2 == 0.999 && t->optim.eps == 1e-8);
        CHECK(t->optim.weight_decay == 0.001);
        CHECK_EQ_INT(t->optim.schedule, NETRT_SCHED_COSINE);
        CHECK(t->optim.lr_min == 1e-5 && t->optim.clip_norm == 2.5);
        CHECK(t->patience == 7 && t->validation == 0.2 && strcmp(t->scale, "minmax") == 0);
        CHECK(t->has_schedule && t->has_clip && t->has_patience && t->has_validation);
    }
    done(&r);

    /* defaults follow the optimizer: adadelta lr 1, rho 0.9, eps 1e-6 */
    run(&r, "t.net", "input x[4]\ndense y[1] linear\nloss mse\ntrain\n"
                     "  optimizer adadelta\n  schedule step every=5 gamma=0.5\nend\n");
    t = r.net ? &r.net->train : NULL;
    CHECK(t && t->optim.kind == NETRT_OPT_ADADELTA && t->optim.lr == 1.0);
    CHECK(t && t->optim.rho == 0.9 && t->optim.eps == 1e-6 && !t->has_lr);
    CHECK(t && t->optim.schedule == NETRT_SCHED_STEP && t->optim.step_size == 5);
    CHECK(t && t->optim.gamma == 0.5);
    done(&r);

    /* `sgd ... nesterov` is the nesterov optimizer; adamw's decay defaults to 0.01 */
    run(&r, "t.net", "input x[4]\ndense y[1] linear\nloss mse\ntrain\n"
                     "  optimizer sgd lr=0.1 momentum=0.8 nesterov\nend\n");
    t = r.net ? &r.net->train : NULL;
    CHECK(t && t->optim.kind == NETRT_OPT_NESTEROV && t->optim.momentum == 0.8);
    CHECK(t && strcmp(t->optimizer, "nesterov") == 0 && t->has_momentum);
    done(&r);
    run(&r, "t.net", "input x[4]\ndense y[1] linear\nloss mse\ntrain\n"
                     "  optimizer adamw\nend\n");
    t = r.net ? &r.net->train : NULL;
    CHECK(t && t->optim.kind == NETRT_OPT_ADAMW && t->optim.weight_decay == 0.01);
    CHECK(t && t->optim.lr == 0.001);
    done(&r);
    run(&r, "t.net", "input x[4]\ndense y[1] linear\nloss mse\ntrain\n"
                     "  optimizer lbfgs history=5 tol_grad=1e-9\n"
                     "  schedule constant\nend\n");
    t = r.net ? &r.net->train : NULL;
    CHECK(t && t->optim.kind == NETRT_OPT_LBFGS && t->optim.history == 5);
    CHECK(t && t->optim.tol_grad == 1e-9 && t->optim.lr == 1.0);
    done(&r);
    run(&r, "t.net", "input x[4]\ndense y[1] linear\nloss mse\ntrain\n"
                     "  optimizer rmsprop momentum=0.5 rho=0.9\n"
                     "  schedule invscaling power=0.25\nend\n");
    t = r.net ? &r.net->train : NULL;
    CHECK(t && t->optim.kind == NETRT_OPT_RMSPROP && t->optim.rho == 0.9);
    CHECK(t && t->optim.momentum == 0.5 && t->optim.eps == 1e-8 && t->optim.lr == 0.01);
    CHECK(t && t->optim.schedule == NETRT_SCHED_INVSCALING && t->optim.power == 0.25);
    done(&r);

    /* a key of another optimizer names the keys this one takes */
    run(&r, "t.net", "input x[4]\ndense y[1] linear\nloss mse\ntrain\n"
                     "  optimizer sgd beta2=0.9\nend\n");
    CHECK(r.net == NULL);
    CHECK_CONTAINS(r.msgs, "5:17: error: optimizer 'sgd' does not take 'beta2'; it takes "
                   "'lr', 'momentum', 'weight_decay' or 'nesterov'");
    done(&r);
}

/* Line ends: CRLF, blank and comment-only lines, no final newline. */
static void test_line_ends(void)
{
    Run r;
    run(&r, "crlf.net",
        "\r\n# c\r\n\r\ninput x[2]   # in\r\n  \r\ndense y[1] sigmoid\r\nloss bce");
    CHECK_EQ_INT(diag_errors(&r.diag), 0);
    CHECK_EQ_INT(r.ast->nstmts, 3);
    CHECK_CONTAINS(r.dump, "4:1 input x [2]\n6:1 dense y [1] sigmoid\n7:1 loss bce\n");
    CHECK(r.net != NULL);
    done(&r);

    run(&r, "empty.net", "");
    CHECK_EQ_INT(r.ast->nstmts, 0);
    CHECK(r.net == NULL);
    CHECK_CONTAINS(r.msgs, "empty.net:1:1: error: the spec is empty");
    done(&r);
}

/* Every bad line is reported; the lines around it still parse. */
static void test_recovery(void)
{
    Run r;
    run(&r, "rec.net",
        "input x[4\n"
        "dense h[8] relu\n"
        "dense [1] sigmoid\n"
        "dense y[1] sigmoid ? \n"
        "dence z[1] relu\n"
        "loss bce\n"
        "train\n"
        "  batch 4\n"
        "  dense q[2] relu\n"
        "  epochs 3\n");
    CHECK_EQ_INT(diag_errors(&r.diag), 6);
    CHECK_CONTAINS(r.msgs, "rec.net:1:10: error: syntax error, unexpected end of line, "
                           "expecting ']'\n");
    CHECK_CONTAINS(r.msgs, "rec.net:3:7: error: syntax error, unexpected '[', "
                           "expecting identifier");
    CHECK_CONTAINS(r.msgs, "rec.net:4:20: error: unexpected character '?'\n");
    CHECK_CONTAINS(r.msgs, "rec.net:5:1: error: unknown statement 'dence'; did you mean 'dense'?");
    CHECK_CONTAINS(r.msgs, "rec.net:9:3: error: 'dense' is not allowed inside a 'train' block");
    CHECK_CONTAINS(r.msgs, "rec.net:7:1: error: 'train' block is not closed with 'end'");
    /* dense h, dense y, loss and the unclosed train block made it into the tree */
    CHECK_EQ_INT(r.ast->nstmts, 4);
    CHECK_CONTAINS(r.dump, "2:1 dense h [8] relu\n4:1 dense y [1] sigmoid\n6:1 loss bce\n");
    CHECK_CONTAINS(r.dump, "7:1 train\n    8:3 batch 4\n    10:3 epochs 3\nend\n");
    CHECK(r.net == NULL);
    done(&r);
}

/* sema reports every problem and returns NULL. */
static void test_sema_errors(void)
{
    Run r;
    run(&r, "s.net",
        "input x[0]\n"
        "dense h[8] leaky_relu(0.1, 2)\n"
        "dense h[8] relu\n"
        "dense y[1] relu\n"
        "loss bce\n");
    CHECK(r.net == NULL);
    CHECK_EQ_INT(diag_errors(&r.diag), 4);
    CHECK_CONTAINS(r.msgs, "s.net:1:9: error: size must be at least 1\n");
    CHECK_CONTAINS(r.msgs, "s.net:2:12: error: 'leaky_relu' takes 1 argument, got 2\n");
    CHECK_CONTAINS(r.msgs, "s.net:3:7: error: duplicate name 'h'\n");
    CHECK_CONTAINS(r.msgs, "s.net:2:7: note: 'h' is first defined here\n");
    CHECK_CONTAINS(r.msgs, "s.net:5:6: error: loss 'bce' needs a 'sigmoid' output layer, "
                           "but 'y' uses 'relu'\n");
    done(&r);
}

int main(void)
{
    test_xor_ast();
    test_xor_spec();
    test_defaults();
    test_activations_and_options();
    test_numbers();
    test_train_block();
    test_line_ends();
    test_recovery();
    test_sema_errors();
    return check_summary("test_parser");
}
