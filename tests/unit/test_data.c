/* test_data.c: CSV loading: target encodings for each target kind, skipped
 * lines and CRLF, and the exact path:row:col of every kind of error. */
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
    CHECK(netrt_scale_parse("minmax", &kind) == -1);
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

int main(void)
{
    tmpdir_create();
    test_onehot_crlf_comments();
    test_onehot_columns();
    test_binary_and_signed();
    test_real_targets();
    test_inputs_only();
    test_errors();
    test_exact_values();
    test_scaler();
    test_missing_file();
    tmpdir_remove();
    return check_summary("test_data");
}
