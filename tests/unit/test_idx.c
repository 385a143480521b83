/* test_idx.c: IDX data sets (MNIST's format), written here byte by byte, plain
 * and gzipped: images flattened to [0, 1], labels as classes, the labels path
 * derived from the images path, and an error naming the file for a wrong magic,
 * an unsupported type, truncation (also of a header announcing 2^31 - 1 images),
 * zero or overflowing dimensions, a count or size mismatch, and a bad label. */
#include <zlib.h>

#include "check.h"
#include "netrt.h"
#include "testutil.h"

/* 2x3 images, 4 classes. */
static const NetrtModel img6 = {
    .name = "img", .spec_path = "img.net", .real_size = 4, .input_size = 6,
    .output_size = 4, .target = NETRT_TARGET_ONEHOT, .classification = 1,
};

/* An IDX header: 00 00 type ndims, then big-endian sizes. */
static size_t header(unsigned char *b, int type, int ndims, const unsigned *dims)
{
    size_t n = 0;
    b[n++] = 0;
    b[n++] = 0;
    b[n++] = (unsigned char)type;
    b[n++] = (unsigned char)ndims;
    for (int d = 0; d < ndims; d++)
        for (int k = 3; k >= 0; k--)
            b[n++] = (unsigned char)(dims[d] >> (8 * k));
    return n;
}

/* Writes a file in the scratch directory; its path stays valid for the whole test. */
static const char *write_bytes(const char *name, const unsigned char *b, size_t n, int gz)
{
    static char paths[64][256];
    static int next;
    char *path = paths[next++ % 64];
    snprintf(path, 256, "%s", tmp_path(name));
    if (gz) {
        gzFile f = gzopen(path, "wb");
        if (!f || gzwrite(f, b, (unsigned)n) != (int)n || gzclose(f) != Z_OK)
            exit(1);
    } else {
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0)
            exit(1);
    }
    return path;
}

/* Three 2x3 images: image i has pixels 10 * i + j; labels 3, 0, 1. */
static const char *images_file(const char *name, int gz, unsigned count, size_t cut)
{
    unsigned char b[256];
    unsigned dims[3] = { count, 2, 3 };
    size_t n = header(b, 0x08, 3, dims);
    for (unsigned i = 0; i < 3; i++)
        for (unsigned j = 0; j < 6; j++)
            b[n++] = (unsigned char)(i == 2 && j == 5 ? 255 : 10 * i + j);
    return write_bytes(name, b, n - cut, gz);
}

static const char *labels_file(const char *name, int gz, unsigned count, int bad)
{
    unsigned char b[64];
    unsigned dims[1] = { count };
    size_t n = header(b, 0x08, 1, dims);
    b[n++] = 3;
    b[n++] = 0;
    b[n++] = bad ? 9 : 1;
    for (unsigned i = 3; i < count; i++)
        b[n++] = 0;
    return write_bytes(name, b, n, gz);
}

static void check_loaded(const NetrtDataset *ds)
{
    CHECK_EQ_INT(ds->rows, 3);
    CHECK_EQ_INT(ds->num_features, 6);
    CHECK_EQ_INT(ds->num_targets, 4);
    CHECK_EQ_INT(ds->num_classes, 4);
    CHECK(ds->x[0] == 0.0f && ds->x[1] == 1.0f / 255.0f && ds->x[6] == 10.0f / 255.0f);
    CHECK(ds->x[17] == 1.0f);
    CHECK(ds->label[0] == 3 && ds->label[1] == 0 && ds->label[2] == 1);
    CHECK(ds->t[3] == 1 && ds->t[4] == 1 && ds->t[9] == 1 && ds->t[0] == 0);
}

static void test_plain_and_gzip(void)
{
    NetrtDataset ds;
    for (int gz = 0; gz < 2; gz++) {
        const char *img = images_file(gz ? "i.gz" : "i.idx", gz, 3, 0);
        const char *lab = labels_file(gz ? "l.gz" : "l.idx", gz, 3, 0);
        if (CHECK(netrt_dataset_load_idx(&ds, &img6, img, lab) == 0)) {
            check_loaded(&ds);
            netrt_dataset_free(&ds);
        }
        /* the generic loader recognises IDX by content */
        NetrtDataSource src = { NULL, lab };
        if (CHECK(netrt_dataset_load(&ds, &img6, img, &src, 0) == 0)) {
            check_loaded(&ds);
            netrt_dataset_free(&ds);
        }
    }
}

/* train-images-idx3-ubyte.gz finds train-labels-idx1-ubyte.gz by itself. */
static void test_derived_labels(void)
{
    NetrtDataset ds;
    const char *img = images_file("train-images-idx3-ubyte.gz", 1, 3, 0);
    labels_file("train-labels-idx1-ubyte.gz", 1, 3, 0);
    if (CHECK(netrt_dataset_load(&ds, &img6, img, NULL, 0) == 0)) {
        check_loaded(&ds);
        netrt_dataset_free(&ds);
    }
    /* images alone are fine for prediction, refused for training */
    const char *alone = images_file("pics.idx", 0, 3, 0);
    if (CHECK(netrt_dataset_load(&ds, &img6, alone, NULL, NETRT_LOAD_TARGETS_OPTIONAL) == 0)) {
        CHECK(ds.rows == 3 && ds.t == NULL && ds.label == NULL && ds.num_targets == 0);
        netrt_dataset_free(&ds);
    }
    capture_begin();
    CHECK(netrt_dataset_load(&ds, &img6, alone, NULL, 0) == -1);
    const char *err = capture_end();
    CHECK_CONTAINS(err, "pics.idx: error: IDX images need a labels file to train or evaluate on");
    CHECK_CONTAINS(err, "hint: give it with --labels FILE");
    /* a derived labels file that does not exist is named when training */
    const char *orphan = images_file("t10k-images-idx3-ubyte", 0, 3, 0);
    capture_begin();
    CHECK(netrt_dataset_load(&ds, &img6, orphan, NULL, 0) == -1);
    CHECK_CONTAINS(capture_end(), "t10k-labels-idx1-ubyte: error: cannot open for reading: "
                   "No such file or directory");
}

static void expect_error(const char *images, const char *labels, const NetrtModel *m,
                         const char *message)
{
    NetrtDataset ds;
    capture_begin();
    int rc = netrt_dataset_load_idx(&ds, m, images, labels);
    const char *err = capture_end();
    CHECK_EQ_INT(rc, -1);
    CHECK_CONTAINS(err, message);
    CHECK(ds.x == NULL && ds.t == NULL && ds.label == NULL);
}

static void test_errors(void)
{
    unsigned char b[64];
    unsigned dims[3] = { 3, 2, 3 };
    const char *img = images_file("ok.idx", 0, 3, 0), *lab = labels_file("ok.lab", 0, 3, 0);
    size_t n = header(b, 0x08, 3, dims);
    b[0] = 0x1f;
    expect_error(write_bytes("magic.idx", b, n, 0), lab, &img6,
                 "magic.idx: error: not an IDX file (magic 1f 00 08 03");
    n = header(b, 0x0d, 3, dims);
    expect_error(write_bytes("float.idx", b, n, 0), lab, &img6,
                 "float.idx: error: IDX element type 0x0d is not supported; netc reads "
                 "unsigned bytes (type 0x08, as MNIST)");
    n = header(b, 0x08, 3, dims);
    expect_error(write_bytes("short.idx", b, 6, 0), lab, &img6,
                 "short.idx: error: IDX file is truncated inside its header");
    expect_error(images_file("cut.gz", 1, 3, 4), lab, &img6,
                 "cut.gz: error: IDX file is truncated: the header announces 3 images of 2x3 "
                 "(18 bytes) but the file holds only 14");
    expect_error(images_file("cut.idx", 0, 3, 4), lab, &img6,
                 "cut.idx: error: IDX file is truncated: the header announces 3 images of 2x3 "
                 "(18 bytes) but the file holds only 14");
    unsigned three[1] = { 3 };
    n = header(b, 0x08, 1, three);
    b[n++] = 1;
    b[n++] = 2;
    expect_error(img, write_bytes("cut.lab", b, n, 0), &img6,
                 "cut.lab: error: IDX file is truncated: the header announces 3 labels "
                 "(3 bytes) but the file holds only 2");
    expect_error(images_file("extra.idx", 0, 2, 0), labels_file("two.lab", 0, 2, 0), &img6,
                 "extra.idx: error: IDX file has data after the 2 items its header describes");
    expect_error(img, labels_file("four.lab", 0, 4, 0), &img6,
                 "four.lab: error: count mismatch: 4 labels for the 3 images in ");
    expect_error(img, labels_file("bad.lab", 1, 3, 1), &img6,
                 "bad.lab: error: label 9 of item 2 is out of range: network 'img' has 4 "
                 "outputs (classes 0..3)");
    expect_error(lab, lab, &img6, "ok.lab: error: IDX file holds 3 single values (a labels "
                 "file?); images need at least 2 dimensions");
    expect_error(img, img, &img6, "ok.idx: error: IDX labels file must have 1 dimension, "
                 "found 3 (an images file?)");
    NetrtModel wide = img6;
    wide.input_size = 784;
    expect_error(img, lab, &wide, "ok.idx: error: IDX images have 2x3 = 6 values each, but "
                 "network 'img' (img.net) takes 784 inputs");
    /* a corrupt gzip stream */
    const char *gz = images_file("corrupt.gz", 1, 3, 0);
    FILE *f = fopen(gz, "r+b");
    if (f) {
        fseek(f, 14, SEEK_SET);
        fputs("garbage!", f);
        fclose(f);
    }
    expect_error(gz, lab, &img6, "corrupt.gz: error: cannot read: ");
}

/* Headers that announce more than the file holds, or sizes that cannot be: the
 * error comes before anything of the announced size is allocated (under ASan an
 * allocation of 2^31 - 1 images of 28x28 floats aborts). */
static void test_bad_sizes(void)
{
    unsigned char b[64];
    const char *lab = labels_file("sizes.lab", 0, 3, 0);
    NetrtModel mnist = img6;
    mnist.input_size = 784;
    unsigned huge[3] = { 0x7fffffff, 28, 28 };
    size_t n = header(b, 0x08, 3, huge);
    expect_error(write_bytes("huge-images-idx3-ubyte", b, n, 0), lab, &mnist,
                 "huge-images-idx3-ubyte: error: IDX file is truncated: the header announces "
                 "2147483647 images of 28x28 (1683627179248 bytes) but the file holds only 0");
    memset(b + n, 7, 20);
    expect_error(write_bytes("huge-images-idx3-ubyte.gz", b, n + 20, 1), lab, &mnist,
                 "huge-images-idx3-ubyte.gz: error: IDX file is truncated: the header "
                 "announces 2147483647 images of 28x28 (1683627179248 bytes) but the file "
                 "holds only 20");
    unsigned zero[3] = { 3, 0, 3 };
    n = header(b, 0x08, 3, zero);
    expect_error(write_bytes("zero.idx", b, n, 0), lab, &img6,
                 "zero.idx: error: IDX header declares a zero dimension (3x0x3): nothing to load");
    unsigned wide[4] = { 3, 65536, 65536, 65536 };
    n = header(b, 0x08, 4, wide);
    expect_error(write_bytes("wide.idx", b, n, 0), lab, &img6,
                 "wide.idx: error: IDX header declares 3 items of 65536x65536x65536 values: "
                 "more than 2147483647 values per item");
    unsigned many[1] = { 0x80000000u };
    n = header(b, 0x08, 1, many);
    expect_error(write_bytes("many.idx", b, n, 0), lab, &img6,
                 "many.idx: error: IDX header declares 2147483648 items: more than 2147483647");
    unsigned zero_items[3] = { 0, 2, 3 };
    n = header(b, 0x08, 3, zero_items);
    expect_error(write_bytes("none.idx", b, n, 0), lab, &img6,
                 "none.idx: error: IDX header declares a zero dimension (0x2x3): nothing to load");
}

int main(void)
{
    tmpdir_create();
    test_plain_and_gzip();
    test_derived_labels();
    test_errors();
    test_bad_sizes();
    tmpdir_remove();
    return check_summary("test_idx");
}
