/* test_weights.c: weights files round-trip (and convert between float and
 * double), every kind of damage is detected, and a failed save leaves the old
 * file untouched with no temporary left behind. */
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "check.h"
#include "netrt.h"
#include "testutil.h"
#include "toy_model.h"

static const double P1[3] = { 0.125, -1.0 / 3.0, 2.5e-7 };
static const double P2[3] = { 9.0, 8.0, 7.0 };

/* Reads a whole file into buf; returns its length. */
static size_t slurp(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, cap, f) : 0;
    if (f)
        fclose(f);
    return n;
}

static void spit(const char *path, const unsigned char *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(buf, 1, n, f);
        fclose(f);
    }
}

/* Bitwise CRC-32 (IEEE), written independently of the runtime's table version. */
static uint32_t crc32_slow(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

static void test_layout_and_round_trip(void)
{
    const char *path = tmp_path("toy.weights");
    unsigned char b[256];
    double back[3];
    CHECK_EQ_INT(netrt_weights_save(&toy_logistic, P1, path), 0);
    size_t n = slurp(path, b, sizeof b);
    CHECK_EQ_INT(n, 8 + 4 + 4 + 8 + 8 + 4 + 3 + 3 * 8 + 4);
    CHECK(memcmp(b, "NETCWTS\0", 8) == 0);
    CHECK(b[8] == 1 && b[9] == 0 && b[12] == 8);
    CHECK(b[16] == 0xab && b[23] == 0x70);     /* layout hash, little-endian */
    CHECK(b[24] == 3 && b[32] == 3 && memcmp(b + 36, "toy", 3) == 0);
    uint32_t crc = (uint32_t)b[n - 4] | (uint32_t)b[n - 3] << 8 | (uint32_t)b[n - 2] << 16 |
                   (uint32_t)b[n - 1] << 24;
    CHECK(crc == crc32_slow(b, n - 4));
    CHECK_EQ_INT(netrt_weights_load(&toy_logistic, back, path), 0);
    CHECK(memcmp(back, P1, sizeof back) == 0);

    NetrtWeightsFile wf;
    if (CHECK(netrt_weights_read(&wf, path) == 0)) {
        CHECK_EQ_INT(wf.version, 1);
        CHECK_EQ_INT(wf.real_size, 8);
        CHECK(wf.layout_hash == toy_logistic.layout_hash);
        CHECK_EQ_INT(wf.num_params, 3);
        CHECK(strcmp(wf.name, "toy") == 0);
        CHECK(wf.values[1] == P1[1]);
        netrt_weights_file_free(&wf);
    }
}

/* A float file loads into a double model exactly, and a double file into a float model rounded. */
static void test_precision_conversion(void)
{
    const char *p32 = tmp_path("toy32.weights"), *p64 = tmp_path("toy64.weights");
    float f[3] = { 0.1f, -2.0f, 3.0e-3f }, fback[3];
    double d[3];
    CHECK_EQ_INT(netrt_weights_save(&toy_logistic_f32, f, p32), 0);
    CHECK_EQ_INT(netrt_weights_load(&toy_logistic, d, p32), 0);
    CHECK(d[0] == (double)0.1f && d[1] == -2.0 && d[2] == (double)3.0e-3f);
    CHECK_EQ_INT(netrt_weights_save(&toy_logistic, P1, p64), 0);
    CHECK_EQ_INT(netrt_weights_load(&toy_logistic_f32, fback, p64), 0);
    CHECK(fback[1] == (float)P1[1] && fback[2] == (float)P1[2]);
}

/* Writes a damaged copy of a good file, tries to load it, checks the message. */
static void expect_load_error(const NetrtModel *m, const unsigned char *b, size_t n,
                              const char *message)
{
    const char *path = tmp_path("damaged.weights");
    double back[3] = { 0, 0, 0 };
    spit(path, b, n);
    capture_begin();
    int rc = netrt_weights_load(m, back, path);
    const char *err = capture_end();
    CHECK_EQ_INT(rc, -1);
    CHECK_CONTAINS(err, message);
    CHECK(back[0] == 0 && back[1] == 0 && back[2] == 0);
}

static void test_damage_detected(void)
{
    const char *path = tmp_path("good.weights");
    unsigned char b[256], d[256];
    netrt_weights_save(&toy_logistic, P1, path);
    size_t n = slurp(path, b, sizeof b);

    memcpy(d, b, n);
    d[50] ^= 0x04;      /* a bit inside the values */
    expect_load_error(&toy_logistic, d, n, "damaged.weights: error: weights file is corrupted "
                      "(CRC32 checksum mismatch)");
    memcpy(d, b, n);
    d[n - 1] ^= 0x80;   /* the checksum itself */
    expect_load_error(&toy_logistic, d, n, "CRC32 checksum mismatch");
    expect_load_error(&toy_logistic, b, n - 5, "error: weights file is truncated or corrupted: "
                      "its header describes at least 67 bytes, but the file has 62");
    memcpy(d, b, n);
    d[n] = 0;           /* bytes after the values that are not a whole section */
    d[n + 1] = 0;
    expect_load_error(&toy_logistic, d, n + 2, "CRC32 checksum mismatch");
    expect_load_error(&toy_logistic, b, 20, "shorter than its header");
    expect_load_error(&toy_logistic, b, 0, "not a netc weights file (bad magic)");
    memcpy(d, b, n);
    d[0] = 'X';
    expect_load_error(&toy_logistic, d, n, "not a netc weights file (bad magic)");
    memcpy(d, b, n);
    d[8] = 2;
    expect_load_error(&toy_logistic, d, n, "weights file format version 2 was written by a "
                      "newer netc (this runtime reads version 1)");
    memcpy(d, b, n);
    d[12] = 5;
    expect_load_error(&toy_logistic, d, n, "corrupt weights header (version 1, real size 5)");

    NetrtModel other = toy_logistic;
    other.name = "other";
    other.spec_path = "other.net";
    other.layout_hash ^= 1;
    expect_load_error(&other, b, n, "damaged.weights: error: was trained for a different network "
                      "layout (spec 'toy'), not for 'other' (other.net)");
}

/* Appends the CRC of b[0..n) at b + n; returns the new length. */
static size_t seal(unsigned char *b, size_t n)
{
    uint32_t crc = crc32_slow(b, n);
    for (int i = 0; i < 4; i++)
        b[n + (size_t)i] = (unsigned char)(crc >> (8 * i));
    return n + 4;
}

/* Input scaling travels with the weights; unknown sections are skipped, broken ones refused. */
static void test_scale_section(void)
{
    const char *path = tmp_path("scaled.weights");
    double mean[2] = { 1.5, -2.0 }, sd[2] = { 0.25, 3.0 }, back[3];
    NetrtScaler sc = { NETRT_SCALE_STANDARD, 2, mean, sd }, got;
    unsigned char b[512], d[512];
    CHECK_EQ_INT(netrt_weights_save_scaled(&toy_logistic, P1, &sc, path), 0);
    size_t n = slurp(path, b, sizeof b);
    CHECK_EQ_INT(n, 67 + 8 + 8 + 32);
    CHECK(memcmp(b + 63, "SCAL", 4) == 0);
    CHECK_EQ_INT(netrt_weights_load_scaled(&toy_logistic, back, &got, path), 0);
    CHECK(memcmp(back, P1, sizeof back) == 0);
    CHECK(got.kind == NETRT_SCALE_STANDARD && got.n == 2);
    CHECK(got.mean[0] == 1.5 && got.mean[1] == -2.0 && got.std[0] == 0.25 && got.std[1] == 3.0);
    netrt_scaler_free(&got);
    CHECK_EQ_INT(netrt_weights_load(&toy_logistic, back, path), 0);   /* plain load ignores it */

    /* Without scaling: kind NONE. */
    CHECK_EQ_INT(netrt_weights_save(&toy_logistic, P1, path), 0);
    CHECK_EQ_INT(netrt_weights_load_scaled(&toy_logistic, back, &got, path), 0);
    CHECK(got.kind == NETRT_SCALE_NONE && got.mean == NULL);

    /* An unknown section ("ZZZZ", 3 bytes) before the CRC is skipped. */
    n = slurp(path, b, sizeof b) - 4;
    memcpy(d, b, n);
    memcpy(d + n, "ZZZZ\3\0\0\0abc", 11);
    size_t m = seal(d, n + 11);
    double back2[3];
    spit(path, d, m);
    CHECK_EQ_INT(netrt_weights_load(&toy_logistic, back2, path), 0);
    CHECK(memcmp(back2, P1, sizeof back2) == 0);
    /* A section longer than the file is corruption. */
    memcpy(d + n, "ZZZZ\x30\0\0\0abc", 11);
    m = seal(d, n + 11);
    expect_load_error(&toy_logistic, d, m, "weights file is corrupted (a section runs past the end)");
    /* A std of 0 (or NaN, or a NaN mean) would make every scaled input NaN. */
    sd[1] = 0;
    CHECK_EQ_INT(netrt_weights_save_scaled(&toy_logistic, P1, &sc, path), 0);
    n = slurp(path, d, sizeof d);
    expect_load_error(&toy_logistic, d, n, "weights file has a malformed input-scaling section "
                      "(feature 2: mean -2, std 0)");
    sd[1] = 3.0;
    /* A scaling section for another input size is refused. */
    mean[0] = 0;
    NetrtScaler three = { NETRT_SCALE_STANDARD, 1, mean, sd };
    CHECK_EQ_INT(netrt_weights_save_scaled(&toy_logistic, P1, &three, path), 0);
    n = slurp(path, d, sizeof d);
    expect_load_error(&toy_logistic, d, n, "input scaling is for 1 features, but network 'toy' "
                      "has 2 inputs");
}

/* Whether the weights directory (the scratch dir's `ro`) holds a leftover temporary. */
static bool has_temp_files(void)
{
    DIR *dir = opendir(tmp_path("ro"));
    struct dirent *e;
    bool found = false;
    while (dir && (e = readdir(dir)) != NULL)
        found |= strstr(e->d_name, ".tmp.") != NULL;
    if (dir)
        closedir(dir);
    return found;
}

/* The old file must still load as P1. */
static void check_old_file_intact(const char *path)
{
    double back[3];
    CHECK_EQ_INT(netrt_weights_load(&toy_logistic, back, path), 0);
    CHECK(memcmp(back, P1, sizeof back) == 0);
    CHECK(!has_temp_files());
}

static void test_failed_save_keeps_old_file(void)
{
    const char *sub = tmp_path("ro"), *path = tmp_path("ro/w.weights");
    char blocker[300];
    mkdir(sub, 0755);
    CHECK_EQ_INT(netrt_weights_save(&toy_logistic, P1, path), 0);

    /* 1. Unwritable directory (root ignores permissions, so only as a normal user). */
    if (geteuid() != 0) {
        chmod(sub, 0555);
        capture_begin();
        CHECK_EQ_INT(netrt_weights_save(&toy_logistic, P2, path), -1);
        CHECK_CONTAINS(capture_end(), "Permission denied");
        chmod(sub, 0755);
        check_old_file_intact(path);
    } else {
        printf("test_weights: running as root, unwritable-directory case skipped\n");
    }

    /* 2. The temporary cannot be created (a directory is in its way). */
    snprintf(blocker, sizeof blocker, "%s.tmp.%ld", path, (long)getpid());
    mkdir(blocker, 0755);
    capture_begin();
    CHECK_EQ_INT(netrt_weights_save(&toy_logistic, P2, path), -1);
    CHECK_CONTAINS(capture_end(), "the existing file, if any, is unchanged");
    rmdir(blocker);
    check_old_file_intact(path);

    /* 3. The disk fills up part way through the write: a file size limit above
     * the size of our error message (the captured stderr obeys it too) but below
     * the size of a 1000-parameter weights file. */
    static double big_p[1000], big_back[1000];
    NetrtModel big = toy_logistic;
    const char *big_path = tmp_path("ro/big.weights");
    big.num_params = 1000;
    for (int i = 0; i < 1000; i++)
        big_p[i] = i * 0.5;
    CHECK_EQ_INT(netrt_weights_save(&big, big_p, big_path), 0);
    struct rlimit old, small;
    getrlimit(RLIMIT_FSIZE, &old);
    small.rlim_cur = 4096;
    small.rlim_max = old.rlim_max;
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &small);
    capture_begin();
    big_p[0] = -1;
    int rc = netrt_weights_save(&big, big_p, big_path);
    const char *err = capture_end();
    setrlimit(RLIMIT_FSIZE, &old);
    CHECK_EQ_INT(rc, -1);
    CHECK_CONTAINS(err, "big.weights: error: cannot write weights: File too large; "
                   "the existing file, if any, is unchanged");
    CHECK_EQ_INT(netrt_weights_load(&big, big_back, big_path), 0);
    CHECK(big_back[0] == 0.0 && big_back[999] == 499.5);
    CHECK(!has_temp_files());

    /* And a successful save replaces the file. */
    double back[3];
    CHECK_EQ_INT(netrt_weights_save(&toy_logistic, P2, path), 0);
    CHECK_EQ_INT(netrt_weights_load(&toy_logistic, back, path), 0);
    CHECK(memcmp(back, P2, sizeof back) == 0);
}

int main(void)
{
    tmpdir_create();
    test_layout_and_round_trip();
    test_precision_conversion();
    test_damage_detected();
    test_scale_section();
    test_failed_save_keeps_old_file();
    tmpdir_remove();
    return check_summary("test_weights");
}
