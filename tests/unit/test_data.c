/* test_data.c: CSV loading: target encodings for each target kind, skipped
 * lines and CRLF, target columns by name or index, gzipped CSV, the exact
 * path:row:col of every kind of error (NUL bytes included), a BOM, long lines,
 * held-out splits and input scaling. */
#include <stdbool.h>

#include "check.h"
#include "netrt.h"
#include "testutil.h"

static const NetrtModel onehot3 = {
    .name = "iris3", .spec_path = "iris3.net", .real_size = 4, .input_size = 2,
    .output_size = 3, .target = NETRT_TARGET_ONEHOT, .classification = 1,
};
static const NetrtModel binary1 = {
    .name = "bin", .spec_path = "bin.net", .real_size = 4, .input_size = 2,
    .output_size = 1, .target = NETRT_TARGET_BINARY, .classification = 1,
};
static const NetrtModel binary2 = {
    .name = "bin2", .spec_path = "bin2.net", .real_size = 4, .input_size = 2,
    .output_size = 2, .target = NETRT_TARGET_BINARY, .classification = 1,
};
static const NetrtModel signed1 = {
    .name = "svm", .spec_path = "svm.net", .real_size = 8, .input_size = 2,
    .output_size = 1, .target = NETRT_TARGET_SIGNED, .classification = 1,
};
static const NetrtModel real2 = {
    .name = "reg", .spec_path = "reg.net", .real_size = 8, .input_size = 2,
    .output_size = 2, .target = NETRT_TARGET_REAL, .classification = 0,
};

static void test_onehot_crlf_comments(void)
{
    NetrtDataset ds;
    if (!CHECK(netrt_dataset_load_csv(&ds, &onehot3, "tests/data/crlf_comments.csv") == 0))
        return;
    CHECK_EQ_INT(ds.rows, 3);
    CHECK_EQ_INT(ds.num_features, 2);
    CHECK_EQ_INT(ds.num_targets, 3);
    CHECK_EQ_INT(ds.num_classes, 3);
    CHECK(ds.x[0] == 1.5f && ds.x[1] == -2.0f);
    CHECK(ds.x[2] == 0.3f && ds.x[3] == 4.0f);
    CHECK(ds.x[4] == -0.25f && ds.x[5] == 7.5f);
    CHECK_EQ_INT(ds.label[0], 0);
    CHECK_EQ_INT(ds.label[1], 2);
    CHECK_EQ_INT(ds.label[2], 1);
    CHECK(ds.t[0] == 1 && ds.t[1] == 0 && ds.t[2] == 0);
    CHECK(ds.t[3] == 0 && ds.t[4] == 0 && ds.t[5] == 1);
    CHECK(ds.t[6] == 0 && ds.t[7] == 1 && ds.t[8] == 0);
    CHECK_CONTAINS(ds.path, "crlf_comments.csv");
    netrt_dataset_free(&ds);
}

/* ONEHOT also accepts one column per output; label is then the argmax. */
static void test_onehot_columns(void)
{
    NetrtDataset ds;
    const char *p = write_tmp("cols.csv", "a,b,c0,c1,c2\n1,2,0,0,1\n3,4,0.1,0.8,0.1\n");
    if (!CHECK(netrt_dataset_load_csv(&ds, &onehot3, p) == 0))
        return;
    CHECK_EQ_INT(ds.rows, 2);
    CHECK_EQ_INT(ds.label[0], 2);
    CHECK_EQ_INT(ds.label[1], 1);
    CHECK(ds.t[4] == 0.8f);
    netrt_dataset_free(&ds);
}

static void test_binary_and_signed(void)
{
    NetrtDataset ds;
    const char *p = write_tmp("bin.csv", "a,b,label\n1,2,0\n3,4,1\n");
    if (CHECK(netrt_dataset_load_csv(&ds, &binary1, p) == 0)) {
        CHECK(ds.t[0] == 0.0f && ds.t[1] == 1.0f);
        CHECK(ds.label && ds.label[0] == 0 && ds.label[1] == 1);
        CHECK_EQ_INT(ds.num_classes, 2);
        netrt_dataset_free(&ds);
    }
    p = write_tmp("svm.csv", "a,b,label\n1,2,0\n3,4,1\n5,6,-1\n7,8,+1\n");
    if (CHECK(netrt_dataset_load_csv(&ds, &signed1, p) == 0)) {
        CHECK(ds.t[0] == -1.0f && ds.t[1] == 1.0f && ds.t[2] == -1.0f && ds.t[3] == 1.0f);
        CHECK(ds.label[0] == 0 && ds.label[1] == 1 && ds.label[2] == 0 && ds.label[3] == 1);
        netrt_dataset_free(&ds);
    }
    p = write_tmp("bin2.csv", "a,b,t0,t1\n1,2,0,1\n3,4,1,1\n");
    if (CHECK(netrt_dataset_load_csv(&ds, &binary2, p) == 0)) {
        CHECK(ds.label == NULL);
        CHECK(ds.t[0] == 0 && ds.t[1] == 1 && ds.t[2] == 1 && ds.t[3] == 1);
        netrt_dataset_free(&ds);
    }
}

static void test_real_targets(void)
{
    NetrtDataset ds;
    const char *p = write_tmp("reg.csv", "a,b,y0,y1\n1,2,151.0,-3.5e2\n");
    if (!CHECK(netrt_dataset_load_csv(&ds, &real2, p) == 0))
        return;
    CHECK(ds.label == NULL);
    CHECK_EQ_INT(ds.num_classes, 0);
    CHECK(ds.t[0] == 151.0f && ds.t[1] == -350.0f);
    netrt_dataset_free(&ds);
}

static void test_inputs_only(void)
{
    NetrtDataset ds;
    const char *p = write_tmp("inputs.csv", "a,b\n1,2\n3,4\n5,6\n");
    if (CHECK(netrt_dataset_load_csv_inputs(&ds, &onehot3, p) == 0)) {
        CHECK_EQ_INT(ds.rows, 3);
        CHECK(ds.t == NULL && ds.label == NULL);
        CHECK_EQ_INT(ds.num_targets, 0);
        CHECK(ds.x[5] == 6.0f);
        netrt_dataset_free(&ds);
    }
    if (CHECK(netrt_dataset_load_csv_inputs(&ds, &onehot3, "tests/data/crlf_comments.csv") == 0)) {
        CHECK(ds.t != NULL && ds.label != NULL);
        netrt_dataset_free(&ds);
    }
    /* Training data must have targets. */
    capture_begin();
    CHECK(netrt_dataset_load_csv(&ds, &onehot3, p) == -1);
    CHECK_CONTAINS(capture_end(), "inputs.csv:1:1: error: expected 2 feature columns followed by "
                   "a 'label' column (3 columns) or 3 target columns (5 columns), found 2 columns");
    CHECK(ds.x == NULL);
}

/* Loads text as name with model m, expects failure, and checks the message. */
static void expect_error(const NetrtModel *m, const char *name, const char *text,
                         const char *message)
{
    NetrtDataset ds;
    const char *p = write_tmp(name, text), *err;
    capture_begin();
    int rc = netrt_dataset_load_csv(&ds, m, p);
    err = capture_end();
    CHECK_EQ_INT(rc, -1);
    CHECK_CONTAINS(err, message);
    CHECK(ds.x == NULL && ds.t == NULL && ds.label == NULL);
}

static void test_errors(void)
{
    expect_error(&onehot3, "abc.csv", "a,b,label\n1,2,0\n1,abc,0\n",
                 "abc.csv:3:2: error: expected a number, found 'abc'");
    expect_error(&onehot3, "comment_rows.csv", "a,b,label\n# c\n\n1,2,0\n1,2,x\n",
                 "comment_rows.csv:5:3: error: expected a number, found 'x'");
    expect_error(&onehot3, "nan.csv", "a,b,label\nnan,2,0\n",
                 "nan.csv:2:1: error: expected a finite number, found 'nan'");
    expect_error(&onehot3, "inf.csv", "a,b,label\n1,-Inf,0\n",
                 "inf.csv:2:2: error: expected a finite number, found '-Inf'");
    expect_error(&onehot3, "hex.csv", "a,b,label\n0x10,1,0\n",
                 "hex.csv:2:1: error: expected a number, found '0x10'");
    expect_error(&onehot3, "big.csv", "a,b,label\n1,1e39,0\n",
                 "big.csv:2:2: error: number '1e39' is out of range for a float");
    expect_error(&onehot3, "empty_field.csv", "a,b,label\n1,,0\n",
                 "empty_field.csv:2:2: error: expected a number, found an empty field");
    expect_error(&onehot3, "short.csv", "a,b,label\n1,2,0\n1,2\n",
                 "short.csv:3:3: error: expected 3 columns as in the header, found 2");
    expect_error(&onehot3, "long.csv", "a,b,label\n1,2,0,5\n",
                 "long.csv:2:4: error: expected 3 columns as in the header, found 4");
    expect_error(&onehot3, "range.csv", "a,b,label\n1,2,3\n",
                 "range.csv:2:3: error: class label 3 is out of range: the network has 3 "
                 "outputs (classes 0..2)");
    expect_error(&onehot3, "negative.csv", "a,b,label\n1,2,-1\n",
                 "negative.csv:2:3: error: class label -1 is out of range");
    expect_error(&onehot3, "frac.csv", "a,b,label\n1,2,1.5\n",
                 "frac.csv:2:3: error: expected an integer class label 0..2, found '1.5'");
    expect_error(&onehot3, "nodata.csv", "a,b,label\n# nothing\n\n",
                 "nodata.csv:4:1: error: expected data rows after the header, found none");
    expect_error(&onehot3, "empty.csv", "",
                 "empty.csv:1:1: error: expected a header row naming the columns, found an "
                 "empty file");
    expect_error(&onehot3, "noheader.csv", "1,2,0\n3,4,1\n",
                 "noheader.csv:1:1: error: expected a header row naming the columns, found "
                 "numbers");
    expect_error(&binary1, "bin_label.csv", "a,b,label\n1,2,2\n",
                 "bin_label.csv:2:3: error: expected a binary label 0 or 1, found '2'");
    expect_error(&binary2, "bin_cols.csv", "a,b,t0,t1\n1,2,0,0.5\n",
                 "bin_cols.csv:2:4: error: expected a binary target 0 or 1, found '0.5'");
    expect_error(&signed1, "svm_label.csv", "a,b,label\n1,2,0.5\n",
                 "svm_label.csv:2:3: error: expected a label 0/1 or -1/+1, found '0.5'");
    expect_error(&real2, "reg_cols.csv", "a,b,y\n1,2,3\n",
                 "reg_cols.csv:1:1: error: expected 2 feature columns followed by 2 target "
                 "columns (4 columns), found 3 columns");
}

/* Writes n bytes (NULs included) to name in the scratch directory. */
static const char *write_tmp_bytes(const char *name, const char *bytes, size_t n)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, n, f) != n || fclose(f) != 0)
        exit(1);
    return path;
}

/* A NUL byte (a binary file) is refused at its row and column, not read as the end. */
static void test_nul_bytes(void)
{
    static const char rows[] = "a,b,label\n1,2,0\n1,\0,1\n3,4,2\n";
    static const char first[] = "\0a,b,label\n1,2,0\n";
    NetrtDataset ds;
    capture_begin();
    CHECK(netrt_dataset_load_csv(&ds, &onehot3, write_tmp_bytes("nul.csv", rows,
                                 sizeof rows - 1)) == -1);
    CHECK_CONTAINS(capture_end(), "nul.csv:3:2: error: NUL byte in the file (is it binary?)");
    CHECK(ds.x == NULL && ds.t == NULL && ds.label == NULL);
    capture_begin();
    CHECK(netrt_dataset_load_csv(&ds, &onehot3, write_tmp_bytes("nul1.csv", first,
                                 sizeof first - 1)) == -1);
    CHECK_CONTAINS(capture_end(), "nul1.csv:1:1: error: NUL byte in the file (is it binary?)");
}

/* Accepted: a UTF-8 byte order mark, CRLF line ends, no newline at the end. */
static void test_bom_crlf_no_final_newline(void)
{
    NetrtDataset ds;
    const char *p = write_tmp("bom.csv", "\xef\xbb\xbf" "a,b,label\r\n1,2,0\r\n3,4,2");
    if (CHECK(netrt_dataset_load_csv(&ds, &onehot3, p) == 0)) {
        CHECK_EQ_INT(ds.rows, 2);
        CHECK(ds.x[0] == 1 && ds.x[3] == 4 && ds.label[0] == 0 && ds.label[1] == 2);
        netrt_dataset_free(&ds);
    }
    expect_error(&onehot3, "header_only.csv", "a,b,label",
                 "header_only.csv:2:1: error: expected data rows after the header, found none");
}

/* Lines longer than any buffer: the loader has none; messages quote 40 bytes at most. */
static void test_long_lines(void)
{
    size_t cell = 300000, cols = 100000;
    char *text = malloc(cell + cols * 2 + 64);
    if (!CHECK(text != NULL))
        return;
    size_t n = (size_t)sprintf(text, "a,b,label\n1,");
    memset(text + n, 'x', cell);
    strcpy(text + n + cell, ",0\n");
    expect_error(&onehot3, "long_cell.csv", text,
                 "long_cell.csv:2:2: error: expected a number, found "
                 "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'\n");
    n = (size_t)sprintf(text, "a,b,label\n");
    for (size_t i = 0; i < cols; i++)
        text[n++] = '1', text[n++] = ',';
    strcpy(text + n - 1, "\n");
    expect_error(&onehot3, "wide_row.csv", text,
                 "wide_row.csv:2:4: error: expected 3 columns as in the header, found 100000");
    free(text);
}

/* Cells are quoted in messages with control bytes and broken UTF-8 as '?': a file
 * cannot put terminal escapes on the screen. Valid UTF-8 is shown as it is. */
static void test_messages_clean(void)
{
    expect_error(&onehot3, "escape.csv", "a,b,label\n1,\033[31mred\xe2\x82,0\n",
                 "escape.csv:2:2: error: expected a number, found '?[31mred?" "?'\n");
    expect_error(&onehot3, "utf8.csv", "a,b,label\n1,gr\xc3\xb6\xc3\x9f" "e,0\n",
                 "utf8.csv:2:2: error: expected a number, found 'gr\xc3\xb6\xc3\x9f" "e'\n");
}

/* The exact loader keeps the text's double value; the float arrays round it. */
static void test_exact_values(void)
{
    NetrtDataset ds;
    const char *p = write_tmp("exact.csv", "a,b,y0,y1\n0.1,2,0.30000000000000004,-1e-300\n");
    if (!CHECK(netrt_dataset_load_csv_exact(&ds, &real2, p) == 0))
        return;
    CHECK(ds.x64 && ds.t64);
    CHECK(ds.x64[0] == 0.1 && ds.x[0] == 0.1f && (double)ds.x[0] != 0.1);
    CHECK(ds.t64[0] == 0.30000000000000004 && ds.t64[1] == -1e-300);
    netrt_dataset_free(&ds);
    CHECK(ds.x64 == NULL && ds.t64 == NULL);
    if (CHECK(netrt_dataset_load_csv_exact(&ds, &onehot3, "tests/data/crlf_comments.csv") == 0)) {
        CHECK(ds.t64[3] == 0 && ds.t64[5] == 1);     /* one-hot of class 2 */
        netrt_dataset_free(&ds);
    }
}

/* Standard scaling: population mean and std per feature; a constant feature keeps std 1. */
static void test_scaler(void)
{
    NetrtDataset ds;
    NetrtScaler sc;
    NetrtScale kind;
    const char *p = write_tmp("scale.csv", "a,b,label\n1,5,0\n2,5,1\n3,5,2\n");
    if (!CHECK(netrt_dataset_load_csv_exact(&ds, &onehot3, p) == 0))
        return;
    CHECK(netrt_scale_parse("standard", &kind) == 0 && kind == NETRT_SCALE_STANDARD);
    CHECK(netrt_scale_parse(NULL, &kind) == 0 && kind == NETRT_SCALE_NONE);
    CHECK(netrt_scale_parse("minmax", &kind) == 0 && kind == NETRT_SCALE_MINMAX);
    CHECK(netrt_scale_parse("robust", &kind) == -1);
    CHECK_EQ_INT(netrt_scaler_fit(&sc, NETRT_SCALE_STANDARD, &ds), 0);
    CHECK_NEAR(sc.mean[0], 2.0, 1e-12);
    CHECK_NEAR(sc.std[0], sqrt(2.0 / 3.0), 1e-7);
    CHECK_NEAR(sc.mean[1], 5.0, 0);
    CHECK_NEAR(sc.std[1], 1.0, 0);
    netrt_scaler_apply(&sc, &ds);
    CHECK_NEAR(ds.x[0], -1.0 / sqrt(2.0 / 3.0), 1e-6);
    CHECK_NEAR(ds.x64[4], 1.0 / sqrt(2.0 / 3.0), 1e-7);
    CHECK(ds.x[1] == 0 && ds.x[3] == 0 && ds.x[5] == 0);
    netrt_scaler_free(&sc);
    CHECK_EQ_INT(netrt_scaler_fit(&sc, NETRT_SCALE_NONE, &ds), 0);
    netrt_scaler_apply(&sc, &ds);   /* a no-op */
    CHECK(sc.mean == NULL && ds.x[1] == 0);
    netrt_dataset_free(&ds);
}

static void test_missing_file(void)
{
    NetrtDataset ds;
    capture_begin();
    CHECK(netrt_dataset_load_csv(&ds, &onehot3, "tests/data/no_such_file.csv") == -1);
    const char *err = capture_end();
    CHECK_CONTAINS(err, "tests/data/no_such_file.csv: error: cannot open for reading: "
                   "No such file or directory");
    CHECK_CONTAINS(err, "hint: ");
}

/* Loads text with --target spec; returns the data set (rows 0 on failure). */
static int load_target(NetrtDataset *ds, const NetrtModel *m, const char *name, const char *text,
                       const char *target)
{
    NetrtDataSource src = { target, NULL };
    return netrt_dataset_load(ds, m, write_tmp(name, text), &src, 0);
}

static void test_target_columns(void)
{
    NetrtDataset ds;
    /* a column named 'label' anywhere is the target */
    if (CHECK(load_target(&ds, &onehot3, "lab.csv", "label,a,b\n2,1.5,-1\n0,3,4\n", NULL) == 0)) {
        CHECK(ds.label[0] == 2 && ds.label[1] == 0);
        CHECK(ds.x[0] == 1.5f && ds.x[1] == -1.0f && ds.x[2] == 3.0f);
        netrt_dataset_free(&ds);
    }
    /* by name, in the middle; the other columns are the features, in order */
    if (CHECK(load_target(&ds, &onehot3, "name.csv", "a,species,b\n1,2,3\n4,0,6\n",
                          "species") == 0)) {
        CHECK(ds.label[0] == 2 && ds.label[1] == 0);
        CHECK(ds.x[0] == 1 && ds.x[1] == 3 && ds.x[2] == 4 && ds.x[3] == 6);
        netrt_dataset_free(&ds);
    }
    /* by 0-based index, and negative from the end */
    if (CHECK(load_target(&ds, &onehot3, "idx.csv", "c,a,b\n1,2,3\n", "0") == 0)) {
        CHECK(ds.label[0] == 1 && ds.x[0] == 2 && ds.x[1] == 3);
        netrt_dataset_free(&ds);
    }
    if (CHECK(load_target(&ds, &onehot3, "neg.csv", "a,b,c\n2,1,0\n", "-2") == 0)) {
        CHECK(ds.label[0] == 1 && ds.x[0] == 2 && ds.x[1] == 0);
        netrt_dataset_free(&ds);
    }
    /* several target columns, in the order given */
    if (CHECK(load_target(&ds, &real2, "multi.csv", "y1,a,y0,b\n10,1,20,2\n", "y0,y1") == 0)) {
        CHECK(ds.t[0] == 20 && ds.t[1] == 10 && ds.x[0] == 1 && ds.x[1] == 2);
        netrt_dataset_free(&ds);
    }
    /* errors name the file, the header row and the column */
    const char *err;
    capture_begin();
    CHECK(load_target(&ds, &onehot3, "missing.csv", "a,b,c\n1,2,0\n", "species") == -1);
    err = capture_end();
    CHECK_CONTAINS(err, "missing.csv:1:1: error: no column named 'species' in the header");
    CHECK_CONTAINS(err, "hint: the columns are 'a', 'b', 'c'");
    capture_begin();
    CHECK(load_target(&ds, &onehot3, "range.csv", "a,b,c\n1,2,0\n", "3") == -1);
    CHECK_CONTAINS(capture_end(), "range.csv:1:1: error: target column index 3 is out of range: "
                   "the header has 3 columns (0..2, or -1..-3 from the end)");
    capture_begin();
    CHECK(load_target(&ds, &onehot3, "count.csv", "a,b,c,d\n1,2,0,1\n", "d") == -1);
    CHECK_CONTAINS(capture_end(), "count.csv:1:1: error: expected 2 feature columns besides the "
                   "1 target column, found 3");
    capture_begin();
    CHECK(load_target(&ds, &real2, "twice.csv", "a,b,y\n1,2,0\n", "y,y") == -1);
    CHECK_CONTAINS(capture_end(), "twice.csv:1:3: error: column 'y' is named twice as a target");
    /* a bad value in a moved target column is reported at its own column */
    capture_begin();
    CHECK(load_target(&ds, &onehot3, "val.csv", "a,label,b\n1,7,2\n", NULL) == -1);
    CHECK_CONTAINS(capture_end(), "val.csv:2:2: error: class label 7 is out of range");
}

/* A gzipped CSV reads like the plain one. */
static void test_gzip_csv(void)
{
    NetrtDataset ds;
    char cmd[300];
    const char *p = write_tmp("z.csv", "a,b,label\n1,2,1\n3,4,2\n");
    snprintf(cmd, sizeof cmd, "gzip -f %s", p);
    if (!CHECK(system(cmd) == 0))
        return;
    if (CHECK(netrt_dataset_load_csv(&ds, &onehot3, tmp_path("z.csv.gz")) == 0)) {
        CHECK_EQ_INT(ds.rows, 2);
        CHECK(ds.label[1] == 2 && ds.x[2] == 3);
        netrt_dataset_free(&ds);
    }
}

/* Rows of a 3-class set: class c has counts[c] rows with x0 = row number. */
static const char *class_csv(const char *name, const int *counts)
{
    static char text[8192];
    int n = snprintf(text, sizeof text, "a,b,label\n"), row = 0;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < counts[c]; i++, row++)
            n += snprintf(text + n, sizeof text - (size_t)n, "%d,%d,%d\n", row, c * 10, c);
    return write_tmp(name, text);
}

static void test_split_stratified(void)
{
    NetrtDataset ds, held, again, held2;
    const int counts[3] = { 50, 30, 20 };
    int got[3] = { 0, 0, 0 }, kept[3] = { 0, 0, 0 };
    const char *p = class_csv("strat.csv", counts);
    if (!CHECK(netrt_dataset_load_csv(&ds, &onehot3, p) == 0))
        return;
    CHECK_EQ_INT(netrt_dataset_split(&ds, &held, 0.2, 42), 0);
    CHECK_EQ_INT(ds.rows, 80);
    CHECK_EQ_INT(held.rows, 20);
    CHECK(held.is_view && !ds.is_view);
    for (int i = 0; i < held.rows; i++)
        got[held.label[i]]++;
    for (int i = 0; i < ds.rows; i++)
        kept[ds.label[i]]++;
    CHECK(got[0] == 10 && got[1] == 6 && got[2] == 4);      /* 20% of every class */
    CHECK(kept[0] == 40 && kept[1] == 24 && kept[2] == 16);
    /* rows travel whole (x0 is the file row, x1 the class) and keep the file order */
    bool whole = true, ordered = true;
    for (int i = 0; i < ds.rows + held.rows; i++) {
        whole &= ds.x[2 * i + 1] == 10.0f * (float)ds.label[i] && ds.t[3 * i + ds.label[i]] == 1;
        if (i > 0 && i != ds.rows)
            ordered &= ds.x[2 * i] > ds.x[2 * (i - 1)];
    }
    CHECK(whole);
    CHECK(ordered);
    /* the same seed holds out the same rows; another seed other rows */
    if (CHECK(netrt_dataset_load_csv(&again, &onehot3, p) == 0)) {
        CHECK_EQ_INT(netrt_dataset_split(&again, &held2, 0.2, 42), 0);
        CHECK(memcmp(held.x, held2.x, 40 * sizeof(float)) == 0);
        netrt_dataset_free(&held2);
        netrt_dataset_free(&again);
    }
    if (CHECK(netrt_dataset_load_csv(&again, &onehot3, p) == 0)) {
        CHECK_EQ_INT(netrt_dataset_split(&again, &held2, 0.2, 43), 0);
        CHECK(memcmp(held.x, held2.x, 40 * sizeof(float)) != 0);
        netrt_dataset_free(&held2);
        netrt_dataset_free(&again);
    }
    netrt_dataset_free(&held);
    CHECK(held.x == NULL && ds.x != NULL);     /* freeing a view leaves the owner alone */
    netrt_dataset_free(&ds);
}

/* Rounding: 10% of 150 is 15 (not 16), leftovers go to the largest remainders. */
static void test_split_rounding(void)
{
    NetrtDataset ds, held;
    const int even[3] = { 50, 50, 50 }, odd[3] = { 7, 7, 7 };
    int got[3] = { 0, 0, 0 };
    if (CHECK(netrt_dataset_load_csv(&ds, &onehot3, class_csv("even.csv", even)) == 0)) {
        CHECK_EQ_INT(netrt_dataset_split(&ds, &held, 0.1, 1), 0);
        CHECK_EQ_INT(held.rows, 15);
        netrt_dataset_free(&ds);
    }
    if (CHECK(netrt_dataset_load_csv(&ds, &onehot3, class_csv("odd.csv", odd)) == 0)) {
        CHECK_EQ_INT(netrt_dataset_split(&ds, &held, 0.25, 1), 0);   /* ceil(5.25) = 6 */
        CHECK_EQ_INT(held.rows, 6);
        for (int i = 0; i < held.rows; i++)
            got[held.label[i]]++;
        CHECK(got[0] == 2 && got[1] == 2 && got[2] == 2);
        netrt_dataset_free(&ds);
    }
    /* regression: a plain random fraction */
    if (CHECK(netrt_dataset_load_csv(&ds, &real2, write_tmp("r.csv", "a,b,y0,y1\n1,1,1,1\n"
                                     "2,2,2,2\n3,3,3,3\n4,4,4,4\n5,5,5,5\n")) == 0)) {
        CHECK_EQ_INT(netrt_dataset_split(&ds, &held, 0.4, 9), 0);
        CHECK_EQ_INT(held.rows, 2);
        CHECK_EQ_INT(ds.rows, 3);
        CHECK(held.label == NULL && held.t[0] == held.x[0]);
        netrt_dataset_free(&ds);
    }
    /* nothing left to train on, or nothing held out */
    if (CHECK(netrt_dataset_load_csv(&ds, &onehot3, "tests/data/crlf_comments.csv") == 0)) {
        capture_begin();
        CHECK_EQ_INT(netrt_dataset_split(&ds, &held, 0.9, 1), -1);
        CHECK_CONTAINS(capture_end(), "crlf_comments.csv: error: cannot hold out a fraction 0.9 "
                       "of 3 rows: no row would be left to train on");
        netrt_dataset_free(&ds);
    }
}

/* minmax: [0, 1] per feature over the fitting set; a constant feature maps to 0. */
static void test_minmax(void)
{
    NetrtDataset ds, other;
    NetrtScaler sc;
    const char *p = write_tmp("mm.csv", "a,b,label\n-2,5,0\n2,5,1\n0,5,2\n");
    if (!CHECK(netrt_dataset_load_csv(&ds, &onehot3, p) == 0))
        return;
    CHECK_EQ_INT(netrt_scaler_fit(&sc, NETRT_SCALE_MINMAX, &ds), 0);
    CHECK(sc.kind == NETRT_SCALE_MINMAX && sc.n == 2);
    CHECK(sc.mean[0] == -2 && sc.std[0] == 4 && sc.mean[1] == 5 && sc.std[1] == 1);
    netrt_scaler_apply(&sc, &ds);
    CHECK(ds.x[0] == 0 && ds.x[2] == 1 && ds.x[4] == 0.5f);
    CHECK(ds.x[1] == 0 && ds.x[3] == 0 && ds.x[5] == 0);
    /* other data is scaled with the training set's min and range, not its own */
    const char *q = write_tmp("mm2.csv", "a,b,label\n4,7,0\n");
    if (CHECK(netrt_dataset_load_csv(&other, &onehot3, q) == 0)) {
        netrt_scaler_apply(&sc, &other);
        CHECK(other.x[0] == 1.5f && other.x[1] == 2);
        netrt_dataset_free(&other);
    }
    CHECK(strcmp(netrt_scale_name(NETRT_SCALE_MINMAX), "minmax") == 0);
    /* saved with the weights and read back */
    double w[3] = { 1, 2, 3 };
    NetrtScaler back;
    NetrtModel m = { .name = "mm", .real_size = 8, .num_params = 3, .input_size = 2,
                     .output_size = 3, .layout_hash = 7 };
    const char *wp = tmp_path("mm.weights");
    CHECK_EQ_INT(netrt_weights_save_scaled(&m, w, &sc, wp), 0);
    CHECK_EQ_INT(netrt_weights_load_scaled(&m, w, &back, wp), 0);
    CHECK(back.kind == NETRT_SCALE_MINMAX && back.mean[0] == -2 && back.std[0] == 4);
    netrt_scaler_free(&back);
    netrt_scaler_free(&sc);
    netrt_dataset_free(&ds);
}

int main(void)
{
    tmpdir_create();
    test_onehot_crlf_comments();
    test_onehot_columns();
    test_binary_and_signed();
    test_real_targets();
    test_inputs_only();
    test_errors();
    test_nul_bytes();
    test_bom_crlf_no_final_newline();
    test_long_lines();
    test_messages_clean();
    test_exact_values();
    test_scaler();
    test_missing_file();
    test_target_columns();
    test_gzip_csv();
    test_split_stratified();
    test_split_rounding();
    test_minmax();
    tmpdir_remove();
    return check_summary("test_data");
}
