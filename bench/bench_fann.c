/* bench/bench_fann.c: FANN 2.2 (Debian's libfann-dev, float build) on the
 * same nets and data (make bench). Usage: bench_fann NET DATA.bin BATCHES [infer]
 *
 * What FANN can and cannot do here:
 * - batch 1: fann_train, FANN_TRAIN_INCREMENTAL (one weight update per sample);
 * - batch B > 1: FANN_TRAIN_BATCH on a B-sample fann_train_data (FANN's own
 *   struct pointing into the data set), so each fann_train_epoch call is one
 *   mini-batch step: forward, backward and slope accumulation per sample, then
 *   one update. FANN has no mini-batch mode of its own and no batched matrix
 *   kernels: it always walks one sample at a time;
 * - FANN 2.2 has no ReLU and no softmax/cross-entropy: relu layers run as
 *   FANN_LINEAR_PIECE (clipped linear, the same cost class), tanh as
 *   FANN_SIGMOID_SYMMETRIC, and softmax+CE outputs as sigmoid with FANN's MSE
 *   error (FANN_ERRORFUNC_LINEAR). Sigmoid steepness is 0.5 so that FANN's
 *   1/(1+exp(-2sz)) is the ordinary logistic function;
 * - single-threaded only. Inference: fann_run on one sample. */
#include "bench_common.h"
#include <floatfann.h>

typedef struct {
    BenchData d;
    struct fann *ann;
    struct fann_train_data td; /* num_data = batch, input/output point into in/out */
    fann_type **in, **out;
    int batch;
    long pos;
} Ctx;

static void train_steps(void *vc, long steps)
{
    Ctx *c = vc;
    for (long s = 0; s < steps; s++) {
        if (c->pos + c->batch > c->d.n) c->pos = 0;
        if (c->batch == 1) {
            fann_train(c->ann, c->in[c->pos], c->out[c->pos]);
        } else {
            c->td.input = c->in + c->pos;
            c->td.output = c->out + c->pos;
            fann_train_epoch(c->ann, &c->td);
        }
        c->pos += c->batch;
    }
}

static void infer_steps(void *vc, long steps)
{
    Ctx *c = vc;
    for (long s = 0; s < steps; s++) {
        if (c->pos >= c->d.n) c->pos = 0;
        fann_run(c->ann, c->in[c->pos]);
        c->pos++;
    }
}

static struct fann *make(const BenchNet *net)
{
    unsigned layers[4];
    for (int l = 0; l <= net->nlayers; l++) layers[l] = (unsigned)net->sizes[l];
    struct fann *ann = fann_create_standard_array((unsigned)net->nlayers + 1, layers);
    enum fann_activationfunc_enum hidden = net->act == ACT_SIGMOID ? FANN_SIGMOID
                                           : net->act == ACT_TANH  ? FANN_SIGMOID_SYMMETRIC
                                                                   : FANN_LINEAR_PIECE;
    fann_set_activation_function_hidden(ann, hidden);
    fann_set_activation_function_output(ann, FANN_SIGMOID);
    fann_set_activation_steepness_hidden(ann, 0.5f);
    fann_set_activation_steepness_output(ann, 0.5f);
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);
    fann_set_learning_rate(ann, (float)bench_env("BENCH_LR", 0.01));
    fann_set_learning_momentum(ann, 0.0f);
    srand(1);
    fann_randomize_weights(ann, -0.1f, 0.1f);
    return ann;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_fann NET DATA.bin BATCHES [infer]\n");
        return 2;
    }
    const BenchNet *net = bench_net(argv[1]);
    Ctx c;
    memset(&c, 0, sizeof c);
    c.d = bench_load(argv[2]);
    c.in = bench_alloc(sizeof(fann_type *) * (size_t)c.d.n);
    c.out = bench_alloc(sizeof(fann_type *) * (size_t)c.d.n);
    for (int k = 0; k < c.d.n; k++) {
        c.in[k] = c.d.x + (size_t)k * c.d.in;
        c.out[k] = c.d.t + (size_t)k * c.d.out;
    }
    c.td.num_input = (unsigned)c.d.in;
    c.td.num_output = (unsigned)c.d.out;
    if (argc > 4 && strcmp(argv[4], "infer") == 0) {
        c.ann = make(net);
        bench_run("fann", argv[1], "infer", 1, 1, infer_steps, &c);
        fann_destroy(c.ann);
        return 0;
    }
    int batches[8], nb = bench_batches(argv[3], batches, 8);
    for (int k = 0; k < nb; k++) {
        c.ann = make(net);
        c.batch = batches[k];
        c.pos = 0;
        fann_set_training_algorithm(c.ann, c.batch == 1 ? FANN_TRAIN_INCREMENTAL : FANN_TRAIN_BATCH);
        c.td.num_data = (unsigned)c.batch;
        bench_run("fann", argv[1], "train", c.batch, 1, train_steps, &c);
        /* FANN's MSE of the last epoch (batch > 1) or since the last reset. */
        printf("LOSS impl=fann net=%s batch=%d loss=%.6g\n", argv[1], c.batch, (double)fann_get_MSE(c.ann));
        if (fann_get_total_connections(c.ann) != (unsigned)bench_num_params(net))
            fprintf(stderr, "bench_fann: %u connections, expected %ld\n",
                    fann_get_total_connections(c.ann), bench_num_params(net));
        fann_destroy(c.ann);
    }
    return 0;
}
