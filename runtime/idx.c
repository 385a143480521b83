/* idx.c: IDX files (the format of MNIST: http://yann.lecun.com/exdb/mnist/),
 * plain or gzipped, read through zlib's gzread (which passes plain files
 * through). Images become rows of floats scaled to [0, 1], labels class indices.
 * Also: what a data file holds (sniffed from its first bytes) and whole-file
 * gzip reading for compressed CSV. Used by data.c's netrt_dataset_load. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "checked.h"
#include "internal.h"
#include "netrt.h"

#define IDX_UBYTE 0x08
#define IDX_MAX_DIMS 8
#define CHUNK (1u << 20)        /* bytes decompressed per read */

static gzFile open_gz(const char *path)
{
    gzFile f = gzopen(path, "rb");
    if (!f) {
        int err = errno;
        netrt_error(path, "cannot open for reading: %s", err ? strerror(err) : "out of memory");
        if (err == ENOENT)
            netrt_hint("check the path; it is relative to the current directory");
    }
    return f;
}

int netrt_sniff_file(const char *path)
{
    unsigned char b[4] = { 1, 1, 1, 1 };
    FILE *f = NETRT_FOPEN(path, "rb");
    size_t n;
    if (!f)
        return -1;
    n = fread(b, 1, 4, f);
    fclose(f);
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
        gzFile g = open_gz(path);
        if (!g)
            return -1;
        memset(b, 1, sizeof b);
        n = (size_t)(gzread(g, b, 4) > 0 ? 4 : 0);
        gzclose(g);
        return n && b[0] == 0 && b[1] == 0 ? NETRT_FILE_IDX : NETRT_FILE_GZIP;
    }
    return n >= 2 && b[0] == 0 && b[1] == 0 ? NETRT_FILE_IDX : NETRT_FILE_PLAIN;
}

/* Reads up to n bytes; the count read, or -1 after an error naming the path. */
static long read_bytes(gzFile f, const char *path, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        unsigned want = n - got > CHUNK ? CHUNK : (unsigned)(n - got);
        int r = gzread(f, (char *)buf + got, want);
        if (r < 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            size_t plen = strlen(path);
            if (strncmp(msg, path, plen) == 0 && strncmp(msg + plen, ": ", 2) == 0)
                msg += plen + 2;        /* zlib puts the path in front */
            netrt_error(path, "cannot read: %s", zerr == Z_ERRNO ? strerror(errno) : msg);
            if (zerr == Z_DATA_ERROR)
                netrt_hint("the gzip data is corrupt; download the file again");
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (long)got;
}

char *netrt_read_gzip(const char *path, size_t *len)
{
    gzFile f = open_gz(path);
    size_t cap = 1 << 16, n = 0;
    char *buf = NULL;
    if (!f)
        return NULL;
    for (;;) {
        char *grown = realloc(buf, cap);
        if (!grown) {
            netrt_error(path, "out of memory decompressing (%zu bytes so far)", n);
            break;
        }
        buf = grown;
        long r = read_bytes(f, path, buf + n, cap - 1 - n);
        if (r < 0)
            break;
        n += (size_t)r;
        if (n < cap - 1) {
            buf[n] = '\0';
            *len = n;
            gzclose(f);
            return buf;
        }
        cap *= 2;
    }
    free(buf);
    gzclose(f);
    return NULL;
}

int netrt_idx_labels_path(const char *path, char *out, size_t size)
{
    const char *key = "images-idx3", *at = NULL;
    for (const char *p = strstr(path, key); p; p = strstr(p + 1, key))
        at = p;
    if (!at || strlen(path) >= size)
        return 0;
    snprintf(out, size, "%.*slabels-idx1%s", (int)(at - path), path, at + strlen(key));
    return 1;
}

/* ---- IDX ---- */

#define IDX_MAX_COUNT 0x7fffffffu   /* items, and values per item: they must fit an int */

typedef struct {
    gzFile f;
    const char *path;
    int ndims;
    uint32_t dims[IDX_MAX_DIMS];
    uint64_t items, item_size;  /* dims[0], product of the other dims */
} Idx;

static uint32_t get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* "28x28": the dimensions after the first, or all of them from 0. */
static void dims_text(const Idx *x, int from, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int d = from; d < x->ndims && used < size; d++)
        used += (size_t)snprintf(out + used, size - used, "%s%u", d > from ? "x" : "",
                                 (unsigned)x->dims[d]);
}

/* Checks the first 4 bytes: 00 00, the unsigned-byte type, 1..IDX_MAX_DIMS dimensions. */
static int check_magic(const char *path, const unsigned char *h)
{
    if (h[0] != 0 || h[1] != 0 || h[3] == 0 || h[3] > IDX_MAX_DIMS) {
        netrt_error(path, "not an IDX file (magic %02x %02x %02x %02x; IDX files start "
                    "00 00, a type byte and 1..%d dimensions)", h[0], h[1], h[2], h[3],
                    IDX_MAX_DIMS);
        return -1;
    }
    if (h[2] != IDX_UBYTE) {
        netrt_error(path, "IDX element type 0x%02x is not supported; netc reads unsigned "
                    "bytes (type 0x08, as MNIST)", h[2]);
        return -1;
    }
    return 0;
}

/* Checks the sizes: no zero dimension, at most IDX_MAX_COUNT items and values per
 * item (checked factor by factor, so the product cannot overflow). */
static int check_dims(Idx *x)
{
    char shape[128], item[128];
    dims_text(x, 0, shape, sizeof shape);
    dims_text(x, 1, item, sizeof item);
    x->items = x->dims[0];
    x->item_size = 1;
    for (int d = 0; d < x->ndims; d++) {
        if (x->dims[d] == 0) {
            netrt_error(x->path, "IDX header declares a zero dimension (%s): nothing to load",
                        shape);
            return -1;
        }
        if (d > 0 && x->item_size > IDX_MAX_COUNT / x->dims[d]) {
            netrt_error(x->path, "IDX header declares %u items of %s values: more than %u "
                        "values per item", (unsigned)x->dims[0], item, IDX_MAX_COUNT);
            return -1;
        }
        if (d > 0)
            x->item_size *= x->dims[d];
    }
    if (x->items > IDX_MAX_COUNT) {
        netrt_error(x->path, "IDX header declares %llu items: more than %u",
                    (unsigned long long)x->items, IDX_MAX_COUNT);
        return -1;
    }
    return 0;
}

/* Opens an IDX file and reads its header: 00 00 TYPE NDIMS, then NDIMS
 * big-endian u32 sizes. */
static int idx_open(Idx *x, const char *path)
{
    unsigned char h[4 + 4 * IDX_MAX_DIMS];
    long n;
    memset(x, 0, sizeof *x);
    x->path = path;
    x->f = open_gz(path);
    if (!x->f)
        return -1;
    n = read_bytes(x->f, path, h, 4);
    if (n < 0)
        return -1;
    if (n < 4) {
        netrt_error(path, "not an IDX file: %ld bytes, shorter than the 4-byte header", n);
        return -1;
    }
    if (check_magic(path, h))
        return -1;
    x->ndims = h[3];
    n = read_bytes(x->f, path, h + 4, 4 * (size_t)x->ndims);
    if (n < 0)
        return -1;
    if (n < 4 * x->ndims) {
        netrt_error(path, "IDX file is truncated inside its header (%d dimensions declared)",
                    x->ndims);
        return -1;
    }
    for (int d = 0; d < x->ndims; d++)
        x->dims[d] = get_be32(h + 4 + 4 * d);
    return check_dims(x);
}

static void idx_close(Idx *x)
{
    if (x->f)
        gzclose(x->f);
    x->f = NULL;
}

/* The error for a file that holds only have of the bytes of data its header announces. */
static void truncated_error(const Idx *x, uint64_t have)
{
    char shape[96];
    dims_text(x, 1, shape, sizeof shape);
    netrt_error(x->path, "IDX file is truncated: the header announces %llu %s%s%s (%llu bytes) "
                "but the file holds only %llu", (unsigned long long)x->items,
                x->ndims > 1 ? "images" : "labels", x->ndims > 1 ? " of " : "", shape,
                (unsigned long long)(x->items * x->item_size), (unsigned long long)have);
}

/* For a plain (uncompressed) regular file, whether it holds the bytes of data the
 * header announces: checked before anything that size is allocated. Gzip
 * streams have no size to compare with; they are checked as they are read. */
static int check_plain_size(const Idx *x)
{
    struct stat sb;
    uint64_t header = 4 + 4 * (uint64_t)x->ndims, have;
    if (!gzdirect(x->f) || stat(x->path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return 0;
    have = (uint64_t)sb.st_size > header ? (uint64_t)sb.st_size - header : 0;
    if (have < x->items * x->item_size) {
        truncated_error(x, have);
        return -1;
    }
    return 0;
}

/* Reads n more bytes of item data into buf, or fails naming what is missing. */
static int idx_read(Idx *x, unsigned char *buf, size_t n, uint64_t done)
{
    long r = read_bytes(x->f, x->path, buf, n);
    if (r < 0)
        return -1;
    if ((size_t)r < n) {
        truncated_error(x, done + (uint64_t)r);
        return -1;
    }
    return 0;
}

/* After the last item: anything left means the header does not describe the file. */
static int idx_check_end(Idx *x)
{
    unsigned char extra[16];
    long r = read_bytes(x->f, x->path, extra, sizeof extra);
    if (r < 0)
        return -1;
    if (r > 0) {
        netrt_error(x->path, "IDX file has data after the %llu items its header describes",
                    (unsigned long long)x->items);
        return -1;
    }
    return 0;
}

/* Grows *buf of *cap elements of size elem to hold at least need of them, doubling
 * (at most to limit), so memory follows the data a stream really holds. */
static int grow(const Idx *x, void **buf, size_t *cap, size_t need, size_t limit, size_t elem)
{
    size_t want = *cap;
    void *grown;
    if (need <= *cap)
        return 0;
    while (want < need) {
        size_t next = want ? want * 2 : CHUNK;
        want = next < limit ? next : limit;
    }
    grown = realloc(*buf, want * elem);
    if (!grown) {
        netrt_error(x->path, "out of memory reading %zu x %zu bytes", want, elem);
        return -1;
    }
    *buf = grown;
    *cap = want;
    return 0;
}

/* Reads total bytes of item data as floats in [0, 1]; NULL after an error. A
 * plain file's size was checked, so its buffer is allocated at once; a gzip
 * stream's grows with what it really decompresses to. */
static float *read_pixels(Idx *x, size_t total)
{
    unsigned char *buf = NETRT_MALLOC(CHUNK, 1);
    void *px = NULL;
    size_t cap = 0, done = 0;
    bool ok = buf != NULL;
    if (ok && gzdirect(x->f))
        ok = grow(x, &px, &cap, total, total, sizeof(float)) == 0;
    while (ok && done < total) {
        size_t n = total - done < CHUNK ? total - done : CHUNK;
        ok = grow(x, &px, &cap, done + n, total, sizeof(float)) == 0 &&
             idx_read(x, buf, n, done) == 0;
        for (size_t i = 0; ok && i < n; i++)
            ((float *)px)[done + i] = (float)buf[i] / 255.0f;
        done += n;
    }
    free(buf);
    if (!ok) {
        free(px);
        return NULL;
    }
    return px;
}

/* Reads every image as input_size floats in [0, 1]. */
static int read_images(Idx *x, const NetrtModel *m, NetrtDataset *ds)
{
    char shape[96];
    dims_text(x, 1, shape, sizeof shape);
    if (x->ndims < 2) {
        netrt_error(x->path, "IDX file holds %llu single values (a labels file?); images need "
                    "at least 2 dimensions", (unsigned long long)x->items);
        netrt_hint("give the images file to --data and the labels file to --labels");
        return -1;
    }
    if (x->item_size != m->input_size) {
        netrt_error(x->path, "IDX images have %s = %llu values each, but network '%s' (%s) "
                    "takes %zu inputs", shape, (unsigned long long)x->item_size, m->name,
                    m->spec_path ? m->spec_path : "?", m->input_size);
        return -1;
    }
    if (check_plain_size(x))
        return -1;
    ds->x = read_pixels(x, (size_t)x->items * (size_t)x->item_size);
    if (!ds->x)
        return -1;
    ds->rows = (int)x->items;
    ds->num_features = (int)m->input_size;
    return idx_check_end(x);
}

/* Encodes one class label for the model's target kind into t[0..k). */
static int encode_label(const Idx *x, const NetrtModel *m, uint64_t item, int v, float *t,
                        int *label)
{
    size_t k = m->output_size;
    switch (m->target) {
    case NETRT_TARGET_ONEHOT:
        if ((size_t)v >= k) {
            netrt_error(x->path, "label %d of item %llu is out of range: network '%s' has %zu "
                        "outputs (classes 0..%zu)", v, (unsigned long long)item, m->name, k,
                        k - 1);
            return -1;
        }
        for (size_t j = 0; j < k; j++)
            t[j] = (size_t)v == j ? 1.0f : 0.0f;
        *label = v;
        return 0;
    case NETRT_TARGET_BINARY:
    case NETRT_TARGET_SIGNED:
        if (v > 1) {
            netrt_error(x->path, "label %d of item %llu is not a binary label 0 or 1", v,
                        (unsigned long long)item);
            return -1;
        }
        t[0] = m->target == NETRT_TARGET_SIGNED ? (v ? 1.0f : -1.0f) : (float)v;
        *label = v;
        return 0;
    case NETRT_TARGET_REAL:
        break;
    }
    t[0] = (float)v;
    return 0;
}

/* Reads the labels (one byte per item) and encodes them as targets. */
static int read_labels(Idx *x, const NetrtModel *m, NetrtDataset *ds, const char *images)
{
    size_t k = m->output_size;
    if (x->ndims != 1) {
        netrt_error(x->path, "IDX labels file must have 1 dimension, found %d (an images "
                    "file?)", x->ndims);
        return -1;
    }
    if (x->items != (uint64_t)ds->rows) {
        netrt_error(x->path, "count mismatch: %llu labels for the %d images in %s",
                    (unsigned long long)x->items, ds->rows, images);
        return -1;
    }
    if (k > 1 && m->target != NETRT_TARGET_ONEHOT) {
        netrt_error(x->path, "IDX labels give one value per image, but network '%s' has %zu "
                    "outputs that are not one class", m->name, k);
        return -1;
    }
    if (check_plain_size(x))
        return -1;
    bool has_label = m->classification && m->target != NETRT_TARGET_REAL;
    unsigned char *buf = NETRT_MALLOC((size_t)x->items, 1);
    ds->t = NETRT_MALLOC((size_t)x->items * k, sizeof(float));
    ds->label = has_label ? NETRT_MALLOC((size_t)x->items, sizeof(int)) : NULL;
    int rc = -1, dummy;
    if (buf && ds->t && (ds->label || !has_label) && idx_read(x, buf, (size_t)x->items, 0) == 0) {
        rc = 0;
        for (uint64_t i = 0; i < x->items && rc == 0; i++)
            rc = encode_label(x, m, i, buf[i], ds->t + i * k, has_label ? &ds->label[i] : &dummy);
    }
    free(buf);
    if (rc)
        return -1;
    ds->num_targets = (int)k;
    if (m->target == NETRT_TARGET_ONEHOT)
        ds->num_classes = (int)k;
    else if (m->target != NETRT_TARGET_REAL)
        ds->num_classes = 2;
    return idx_check_end(x);
}

int netrt_dataset_load_idx(NetrtDataset *ds, const NetrtModel *m, const char *images_path,
                           const char *labels_path)
{
    Idx x;
    int rc;
    memset(ds, 0, sizeof *ds);
    snprintf(ds->path, sizeof ds->path, "%s", images_path);
    rc = idx_open(&x, images_path);
    if (rc == 0)
        rc = read_images(&x, m, ds);
    idx_close(&x);
    if (rc == 0 && labels_path) {
        rc = idx_open(&x, labels_path);
        if (rc == 0)
            rc = read_labels(&x, m, ds, images_path);
        idx_close(&x);
    }
    if (rc)
        netrt_dataset_free(ds);
    return rc;
}
