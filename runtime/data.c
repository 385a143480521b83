/* data.c: loads CSV data sets into contiguous float arrays, encoding targets for
 * the model's loss. Every error names path:row:col (1-based file line, 1-based
 * field) and what was expected there. */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "netrt.h"

typedef enum {
    COLS_NONE,      /* features only */
    COLS_LABEL,     /* features, then one label column */
    COLS_TARGETS    /* features, then one column per model output */
} TargetCols;

/* Parser state for one file; the text is tokenized in place. */
typedef struct {
    const char *path;
    const NetrtModel *m;
    int line;               /* 1-based line number of the current row */
    int ncols;              /* fields per row, fixed by the header */
    TargetCols cols;
    char **fields;          /* ncols pointers into the current row */
} Csv;

static void csv_error(const Csv *c, int col, const char *fmt, ...) NETRT_PRINTF(3, 4);

static void csv_error(const Csv *c, int col, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s:%d:%d: error: ", c->path, c->line, col);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Cuts the next line out of *p (LF or CRLF), NUL-terminating it in place. */
static char *next_line(char **p)
{
    char *start = *p, *end;
    if (*start == '\0')
        return NULL;
    end = strchr(start, '\n');
    if (end) {
        *p = end + 1;
    } else {
        end = start + strlen(start);
        *p = end;
    }
    if (end > start && end[-1] == '\r')
        end--;
    *end = '\0';
    return start;
}

static bool is_skipped(const char *line)
{
    while (*line == ' ' || *line == '\t')
        line++;
    return *line == '\0' || *line == '#';
}

static char *trim(char *s)
{
    char *end;
    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *end = '\0';
    return s;
}

/* Splits line at commas into at most max fields; returns the real field count. */
static int split(char *line, char **fields, int max)
{
    int n = 0;
    for (;;) {
        char *comma = strchr(line, ',');
        if (comma)
            *comma = '\0';
        if (n < max)
            fields[n] = trim(line);
        n++;
        if (!comma)
            return n;
        line = comma + 1;
    }
}

/* Decimal number syntax only: [+-] digits [. digits] [e [+-] digits]. This keeps
 * out what strtod would also accept (nan, inf, hex floats). */
static bool is_decimal(const char *s)
{
    int digits = 0;
    if (*s == '+' || *s == '-')
        s++;
    while (isdigit((unsigned char)*s))
        s++, digits++;
    if (*s == '.')
        for (s++; isdigit((unsigned char)*s); s++)
            digits++;
    if (digits == 0)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!isdigit((unsigned char)*s))
            return false;
        while (isdigit((unsigned char)*s))
            s++;
    }
    return *s == '\0';
}

static bool looks_non_finite(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    return strncmp(s, "nan", 3) == 0 || strncmp(s, "NaN", 3) == 0 || strncmp(s, "NAN", 3) == 0
           || strncmp(s, "inf", 3) == 0 || strncmp(s, "Inf", 3) == 0 || strncmp(s, "INF", 3) == 0;
}

/* Parses field col (0-based) of the current row as a finite number that fits a float. */
static int parse_number(const Csv *c, int col, double *out)
{
    const char *s = c->fields[col];
    double v;
    if (*s == '\0') {
        csv_error(c, col + 1, "expected a number, found an empty field");
        return -1;
    }
    if (!is_decimal(s)) {
        if (looks_non_finite(s))
            csv_error(c, col + 1, "expected a finite number, found '%.40s'", s);
        else
            csv_error(c, col + 1, "expected a number, found '%.40s'", s);
        return -1;
    }
    v = strtod(s, NULL);
    if (!isfinite(v) || fabs(v) > FLT_MAX) {
        csv_error(c, col + 1, "number '%.40s' is out of range for a float", s);
        return -1;
    }
    *out = v;
    return 0;
}

static bool all_numeric(char **fields, int n)
{
    for (int i = 0; i < n; i++)
        if (!is_decimal(fields[i]))
            return false;
    return true;
}

/* Chooses how the header's columns map onto the model's inputs and outputs. */
static int choose_columns(Csv *c, int ncols, bool inputs_only_ok)
{
    size_t nin = c->m->input_size, k = c->m->output_size;
    if ((size_t)ncols == nin + k)
        c->cols = k == 1 ? COLS_LABEL : COLS_TARGETS;
    else if ((size_t)ncols == nin + 1 && c->m->target == NETRT_TARGET_ONEHOT)
        c->cols = COLS_LABEL;
    else if ((size_t)ncols == nin && inputs_only_ok)
        c->cols = COLS_NONE;
    else {
        char what[160];
        if (c->m->target == NETRT_TARGET_ONEHOT && k > 1)
            snprintf(what, sizeof what, "a 'label' column (%zu columns) or %zu target columns"
                     " (%zu columns)", nin + 1, k, nin + k);
        else
            snprintf(what, sizeof what, "%zu target column%s (%zu columns)", k,
                     k == 1 ? "" : "s", nin + k);
        csv_error(c, 1, "expected %zu feature columns followed by %s%s, found %d columns",
                  nin, what, inputs_only_ok ? ", or the feature columns alone" : "", ncols);
        netrt_hint("network '%s' (%s) takes %zu inputs and has %zu outputs",
                   c->m->name, c->m->spec_path ? c->m->spec_path : "?", nin, k);
        return -1;
    }
    c->ncols = ncols;
    return 0;
}

/* Reads the first non-skipped line as the header and fixes the column layout. */
static int read_header(Csv *c, char **p, bool inputs_only_ok)
{
    char *line;
    int n;
    c->line = 0;
    while ((line = next_line(p)) != NULL) {
        c->line++;
        if (!is_skipped(line))
            break;
    }
    if (!line) {
        c->line = c->line > 0 ? c->line : 1;
        csv_error(c, 1, "expected a header row naming the columns, found an empty file");
        return -1;
    }
    n = split(line, c->fields, c->ncols);
    if (n <= c->ncols && all_numeric(c->fields, n)) {
        csv_error(c, 1, "expected a header row naming the columns, found numbers");
        netrt_hint("add a first line such as 'x1,x2,label'");
        return -1;
    }
    return choose_columns(c, n, inputs_only_ok);
}

/* Encodes a class label (COLS_LABEL) for the model's target kind into t[0..k). */
static int encode_label(const Csv *c, int col, double v, float *t, int *label)
{
    size_t k = c->m->output_size;
    const char *s = c->fields[col];
    switch (c->m->target) {
    case NETRT_TARGET_ONEHOT:
        if (v != floor(v)) {
            csv_error(c, col + 1, "expected an integer class label 0..%zu, found '%.40s'", k - 1, s);
            return -1;
        }
        if (v < 0 || v >= (double)k) {
            csv_error(c, col + 1, "class label %.40s is out of range: the network has %zu "
                      "outputs (classes 0..%zu)", s, k, k - 1);
            return -1;
        }
        for (size_t j = 0; j < k; j++)
            t[j] = (size_t)v == j ? 1.0f : 0.0f;
        *label = (int)v;
        return 0;
    case NETRT_TARGET_BINARY:
        if (v != 0 && v != 1) {
            csv_error(c, col + 1, "expected a binary label 0 or 1, found '%.40s'", s);
            return -1;
        }
        t[0] = (float)v;
        *label = (int)v;
        return 0;
    case NETRT_TARGET_SIGNED:
        if (v != 0 && v != 1 && v != -1) {
            csv_error(c, col + 1, "expected a label 0/1 or -1/+1, found '%.40s'", s);
            return -1;
        }
        t[0] = v > 0 ? 1.0f : -1.0f;
        *label = v > 0;
        return 0;
    case NETRT_TARGET_REAL:
        break;
    }
    t[0] = (float)v;
    return 0;
}

/* Encodes one target column (COLS_TARGETS) value. */
static int encode_column(const Csv *c, int col, double v, float *t)
{
    const char *s = c->fields[col];
    if (c->m->target == NETRT_TARGET_BINARY && v != 0 && v != 1) {
        csv_error(c, col + 1, "expected a binary target 0 or 1, found '%.40s'", s);
        return -1;
    }
    if (c->m->target == NETRT_TARGET_SIGNED) {
        if (v != 0 && v != 1 && v != -1) {
            csv_error(c, col + 1, "expected a target 0/1 or -1/+1, found '%.40s'", s);
            return -1;
        }
        v = v > 0 ? 1 : -1;
    }
    *t = (float)v;
    return 0;
}

static int argmax_f(const float *v, size_t n)
{
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        if (v[j] > v[best])
            best = j;
    return (int)best;
}

/* Parses the current row's fields into row r of the data set. */
static int parse_row(const Csv *c, NetrtDataset *ds, int r)
{
    size_t nin = c->m->input_size, k = c->m->output_size;
    float *x = ds->x + (size_t)r * nin;
    double v;
    for (size_t i = 0; i < nin; i++) {
        if (parse_number(c, (int)i, &v))
            return -1;
        x[i] = (float)v;
        if (ds->x64)
            ds->x64[(size_t)r * nin + i] = v;
    }
    if (c->cols == COLS_NONE)
        return 0;
    float *t = ds->t + (size_t)r * k;
    int dummy, *label = ds->label ? &ds->label[r] : &dummy;
    bool real = c->m->target == NETRT_TARGET_REAL;
    double *t64 = ds->t64 ? ds->t64 + (size_t)r * k : NULL;
    if (c->cols == COLS_LABEL) {
        if (parse_number(c, (int)nin, &v) || encode_label(c, (int)nin, v, t, label))
            return -1;
        for (size_t j = 0; t64 && j < k; j++)
            t64[j] = real ? v : t[j];
        return 0;
    }
    for (size_t j = 0; j < k; j++) {
        if (parse_number(c, (int)(nin + j), &v) || encode_column(c, (int)(nin + j), v, &t[j]))
            return -1;
        if (t64)
            t64[j] = real ? v : t[j];
    }
    if (ds->label)
        *label = argmax_f(t, k);
    return 0;
}

/* Allocates x, t and label for at most max_rows rows. */
static int alloc_rows(const Csv *c, NetrtDataset *ds, int max_rows, bool exact)
{
    const NetrtModel *m = c->m;
    bool has_label = c->cols != COLS_NONE && m->classification &&
                     (m->target == NETRT_TARGET_ONEHOT || m->output_size == 1) &&
                     m->target != NETRT_TARGET_REAL;
    ds->num_features = (int)m->input_size;
    ds->num_targets = c->cols == COLS_NONE ? 0 : (int)m->output_size;
    ds->x = NETRT_MALLOC((size_t)max_rows * m->input_size, sizeof(float));
    if (c->cols != COLS_NONE)
        ds->t = NETRT_MALLOC((size_t)max_rows * m->output_size, sizeof(float));
    if (has_label)
        ds->label = NETRT_MALLOC((size_t)max_rows, sizeof(int));
    if (exact) {
        ds->x64 = NETRT_MALLOC((size_t)max_rows * m->input_size, sizeof(double));
        if (c->cols != COLS_NONE)
            ds->t64 = NETRT_MALLOC((size_t)max_rows * m->output_size, sizeof(double));
        if (!ds->x64 || (!ds->t64 && c->cols != COLS_NONE))
            return -1;
    }
    if (m->target == NETRT_TARGET_ONEHOT)
        ds->num_classes = (int)m->output_size;
    else if (m->target != NETRT_TARGET_REAL)
        ds->num_classes = 2;
    return ds->x && (ds->t || c->cols == COLS_NONE) && (ds->label || !has_label) ? 0 : -1;
}

static int count_lines(const char *s)
{
    int n = 1;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Parses every data row after the header. */
static int read_rows(Csv *c, char **p, NetrtDataset *ds)
{
    char *line;
    int r = 0;
    while ((line = next_line(p)) != NULL) {
        c->line++;
        if (is_skipped(line))
            continue;
        int n = split(line, c->fields, c->ncols);
        if (n != c->ncols) {
            csv_error(c, n < c->ncols ? n + 1 : c->ncols + 1,
                      "expected %d columns as in the header, found %d", c->ncols, n);
            return -1;
        }
        if (parse_row(c, ds, r))
            return -1;
        r++;
    }
    if (r == 0) {
        c->line++;
        csv_error(c, 1, "expected data rows after the header, found none");
        return -1;
    }
    ds->rows = r;
    return 0;
}

static int load(NetrtDataset *ds, const NetrtModel *m, const char *path, bool inputs_only_ok,
                bool exact)
{
    Csv c = { .path = path, .m = m };
    size_t len;
    char *text, *p;
    int rc = -1;
    memset(ds, 0, sizeof *ds);
    snprintf(ds->path, sizeof ds->path, "%s", path);
    text = NETRT_READ_FILE(path, &len);
    if (!text)
        return -1;
    p = text;
    if ((unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb && (unsigned char)p[2] == 0xbf)
        p += 3;     /* UTF-8 byte order mark, as some spreadsheets write */
    c.ncols = (int)(m->input_size + m->output_size + 1);
    c.fields = NETRT_MALLOC((size_t)c.ncols, sizeof(char *));
    if (c.fields && read_header(&c, &p, inputs_only_ok) == 0 &&
        alloc_rows(&c, ds, count_lines(p), exact) == 0)
        rc = read_rows(&c, &p, ds);
    free(c.fields);
    free(text);
    if (rc)
        netrt_dataset_free(ds);
    return rc;
}

int netrt_dataset_load_csv(NetrtDataset *ds, const NetrtModel *m, const char *path)
{
    return load(ds, m, path, false, false);
}

int netrt_dataset_load_csv_inputs(NetrtDataset *ds, const NetrtModel *m, const char *path)
{
    return load(ds, m, path, true, false);
}

int netrt_dataset_load_csv_exact(NetrtDataset *ds, const NetrtModel *m, const char *path)
{
    return load(ds, m, path, true, true);
}

void netrt_dataset_free(NetrtDataset *ds)
{
    free(ds->x);
    free(ds->t);
    free(ds->label);
    free(ds->x64);
    free(ds->t64);
    ds->x64 = NULL;
    ds->t64 = NULL;
    ds->x = NULL;
    ds->t = NULL;
    ds->label = NULL;
    ds->rows = 0;
}
