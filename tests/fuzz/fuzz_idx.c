/* fuzz_idx.c: libFuzzer target for the IDX reader (runtime/idx.c) and the file
 * sniffing of netrt_dataset_load. Input layout: a flags byte (bit 0: gzip the
 * images file, bit 1: gzip the labels file, bit 2: no labels file, bits 3-4:
 * the model, bit 5: load through netrt_dataset_load, which also reads gzipped
 * and plain CSV), two bytes giving the images file's length (little-endian),
 * the images file, then the labels file. The files are written to temporary
 * paths (zlib reads files), compressed in memory first when asked. Any crash,
 * sanitizer report, leak or broken invariant (abort) is a bug. Seeds:
 * tests/fuzz/idx_seeds/. */
#include "fuzz_data.h"
#include "netrt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2x2 images; one-hot with 3 classes, binary, real, and one-hot over 4x1 images. */
static const NetrtModel models[4] = {
    { .name = "onehot", .spec_path = "fz.net", .real_size = 4, .input_size = 4,
      .output_size = 3, .target = NETRT_TARGET_ONEHOT, .classification = 1 },
    { .name = "binary", .spec_path = "fz.net", .real_size = 4, .input_size = 4,
      .output_size = 1, .target = NETRT_TARGET_BINARY, .classification = 1 },
    { .name = "real", .spec_path = "fz.net", .real_size = 8, .input_size = 4,
      .output_size = 1, .target = NETRT_TARGET_REAL },
    { .name = "wide", .spec_path = "fz.net", .real_size = 4, .input_size = 2,
      .output_size = 10, .target = NETRT_TARGET_ONEHOT, .classification = 1 },
};

static const char *tmp_path(int which)
{
    static char path[2][64];
    if (!path[which][0])
        snprintf(path[which], sizeof path[which], "/tmp/netc-fuzz-idx.%ld.%s", (long)getpid(),
                 which ? "labels" : "images");
    return path[which];
}

/* Writes n bytes to path, gzip-compressed when gz. */
static void write_file(const char *path, const uint8_t *b, size_t n, int gz)
{
    if (gz) {
        gzFile f = gzopen(path, "wb1");
        if (!f || (n && gzwrite(f, b, (unsigned)n) != (int)n) || gzclose(f) != Z_OK)
            abort();
        return;
    }
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    int flags = data[0];
    size_t images_len = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3;
    size -= 3;
    if (images_len > size)
        images_len = size;
    const NetrtModel *m = &models[(flags >> 3) & 3];
    const char *labels = flags & 4 ? NULL : tmp_path(1);
    write_file(tmp_path(0), data, images_len, flags & 1);
    if (labels)
        write_file(labels, data + images_len, size - images_len, flags & 2);
    NetrtDataset ds;
    int rc;
    if (flags & 0x20) {
        NetrtDataSource src = { NULL, labels };
        rc = netrt_dataset_load(&ds, m, tmp_path(0), &src, NETRT_LOAD_TARGETS_OPTIONAL);
    } else {
        rc = netrt_dataset_load_idx(&ds, m, tmp_path(0), labels);
    }
    if (rc == 0) {
        check_loaded(&ds, m);
        netrt_dataset_free(&ds);
    } else if (ds.x || ds.t || ds.label) {
        abort();    /* a refused file leaves nothing allocated */
    }
    remove(tmp_path(0));
    remove(tmp_path(1));
    return 0;
}
