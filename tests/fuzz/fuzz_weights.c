/* fuzz_weights.c: libFuzzer target for the weights-file reader
 * (runtime/weights.c): each input is written to a temporary file and read with
 * netrt_weights_read, then loaded into a small hand-made model of 3 float
 * parameters and 2 inputs with netrt_weights_load_scaled. Any crash, sanitizer
 * report or leak is a bug; every bad file must be refused with a message. The
 * seeds (tests/fuzz/weights_seeds/) are files this model saves. */
#include "netrt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

volatile double sink;

static const NetrtParamInfo params[2] = {
    {.name = "h.w", .offset = 0, .size = 2, .rows = 1, .cols = 2, .is_weight = 1},
    {.name = "h.b", .offset = 2, .size = 1, .rows = 1, .cols = 1},
};

static NetrtModel model(void)
{
    NetrtModel m;
    memset(&m, 0, sizeof m);
    m.name = "fz";
    m.spec_path = "fz.net";
    m.real_size = 4;
    m.num_params = 3;
    m.input_size = 2;
    m.output_size = 1;
    m.num_param_tensors = 2;
    m.params = params;
    m.layout_hash = 0x1234567890abcdefULL;
    return m;
}

static const char *tmp_path(void)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/netc-fuzz-weights.%ld", (long)getpid());
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(tmp_path(), "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    NetrtWeightsFile wf;
    if (netrt_weights_read(&wf, tmp_path()) == 0) {
        double sum = 0;     /* touches every value: ASan checks the sizes */
        for (uint64_t i = 0; i < wf.num_params; i++)
            sum += wf.values[i];
        for (int j = 0; j < wf.scale.n; j++)
            sum += wf.scale.mean[j] + wf.scale.std[j];
        sink = sum;
        netrt_weights_file_free(&wf);
    }
    NetrtModel m = model();
    float p[3];
    NetrtScaler sc;
    if (netrt_weights_load_scaled(&m, p, &sc, tmp_path()) == 0) {
        if (sc.kind != NETRT_SCALE_NONE && sc.n != 2)
            abort();    /* the load must refuse a scaling of another width */
        netrt_scaler_free(&sc);
    }
    remove(tmp_path());
    return 0;
}
