/* fuzz_csv.c: libFuzzer target for the CSV loader (runtime/data.c). The first
 * byte chooses the model (one-hot, binary, signed or real targets), the load
 * flags and a --target list; the rest is the file's text, parsed from memory by
 * netrt_dataset_parse_csv, NUL bytes included. An accepted data set is checked
 * (finite values, labels in range), split and scaled. Any crash, sanitizer
 * report, leak or broken invariant (abort) is a bug; every bad file must be
 * refused with a message. Seeds: tests/fuzz/csv_seeds/. */
#include "internal.h"
#include "fuzz_data.h"
#include "netrt.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const NetrtModel models[4] = {
    { .name = "onehot", .spec_path = "fz.net", .real_size = 4, .input_size = 2,
      .output_size = 3, .target = NETRT_TARGET_ONEHOT, .classification = 1 },
    { .name = "binary", .spec_path = "fz.net", .real_size = 4, .input_size = 2,
      .output_size = 1, .target = NETRT_TARGET_BINARY, .classification = 1 },
    { .name = "signed", .spec_path = "fz.net", .real_size = 8, .input_size = 2,
      .output_size = 1, .target = NETRT_TARGET_SIGNED, .classification = 1 },
    { .name = "real", .spec_path = "fz.net", .real_size = 8, .input_size = 2,
      .output_size = 2, .target = NETRT_TARGET_REAL },
};

static const char *const targets[4] = { NULL, "label", "-1", "y0,y1" };

/* Held-out split and both scalings, on a data set the loader accepted. */
static void split_and_scale(NetrtDataset *ds)
{
    NetrtDataset held;
    NetrtScaler sc;
    if (ds->rows >= 2 && netrt_dataset_split(ds, &held, 0.5, 7) == 0)
        netrt_dataset_free(&held);
    for (int kind = NETRT_SCALE_STANDARD; kind <= NETRT_SCALE_MINMAX; kind++) {
        if (netrt_scaler_fit(&sc, (NetrtScale)kind, ds) != 0)
            continue;
        netrt_scaler_apply(&sc, ds);
        netrt_scaler_free(&sc);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const NetrtModel *m = &models[data[0] & 3];
    NetrtDataSource src = { targets[(data[0] >> 2) & 3], NULL };
    int flags = (data[0] & 0x10 ? NETRT_LOAD_TARGETS_OPTIONAL : 0) |
                (data[0] & 0x20 ? NETRT_LOAD_EXACT : 0);
    char *text = malloc(size);
    if (!text)
        abort();
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    NetrtDataset ds;
    if (netrt_dataset_parse_csv(&ds, m, "fuzz.csv", text, size - 1, &src, flags) == 0) {
        check_loaded(&ds, m);
        split_and_scale(&ds);
        netrt_dataset_free(&ds);
    } else if (ds.x || ds.t || ds.label || ds.x64 || ds.t64) {
        abort();    /* a refused file leaves nothing allocated */
    }
    free(text);
    return 0;
}
