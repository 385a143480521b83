/* data.c: loads CSV data sets (plain or gzipped) into contiguous float arrays,
 * encoding targets for the model's loss, and splits held-out rows off in place.
 * Every error names path:row:col (1-based file line, 1-based field) and what
 * was expected there. IDX files go to idx.c. */
#include <ctype.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checked.h"
#include "internal.h"
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
    int *feature_col;       /* [input_size] column of each feature */
    int target_col[1];      /* COLS_LABEL: the label's column */
    int *targets_col;       /* COLS_TARGETS: [output_size] column of each target */
} Csv;

static void csv_error(const Csv *c, int col, const char *fmt, ...) NETRT_PRINTF(3, 4);

/* Length of the valid UTF-8 sequence at s (1 to 4 bytes), or 0 if none starts there. */
static int utf8_len(const unsigned char *s)
{
    unsigned char lo = 0x80, hi = 0xbf;
    int n;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    if (s[0] == 0xe0)
        lo = 0xa0;      /* overlong */
    else if (s[0] == 0xed)
        hi = 0x9f;      /* surrogates */
    else if (s[0] == 0xf0)
        lo = 0x90;      /* overlong */
    else if (s[0] == 0xf4)
        hi = 0x8f;      /* beyond U+10FFFF */
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Writes text to stderr with control bytes and broken UTF-8 (binary junk, a cell
 * cut inside a character) shown as '?': a bad file cannot put terminal escapes
 * on the user's screen. */
static void put_clean(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        int n = utf8_len(s);
        if (n == 0 || (n == 1 && (*s < 0x20 || *s == 0x7f))) {
            fputc('?', stderr);
            s++;
        } else {
            fwrite(s, 1, (size_t)n, stderr);
            s += n;
        }
    }
}

static void csv_error(const Csv *c, int col, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s:%d:%d: error: ", c->path, c->line, col);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    put_clean(msg);
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

/* The error for a header whose column count fits no layout. */
static void columns_error(const Csv *c, int ncols, bool inputs_only_ok)
{
    size_t nin = c->m->input_size, k = c->m->output_size;
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
}

/* Whether one column can hold the targets: a class label, or the only output. */
static bool single_column_target(const NetrtModel *m)
{
    return m->output_size == 1 || m->target == NETRT_TARGET_ONEHOT;
}

/* Resolves one --target item (a header name, else a 0-based index, negative from
 * the end) to a column; -1 after an error. */
static int resolve_column(const Csv *c, char **names, int ncols, const char *item)
{
    char *end;
    long v;
    for (int i = 0; i < ncols; i++)
        if (strcmp(names[i], item) == 0)
            return i;
    v = strtol(item, &end, 10);
    if (*item && !*end && v >= -ncols && v < ncols)
        return (int)(v < 0 ? v + ncols : v);
    if (*item && !*end)
        csv_error(c, 1, "target column index %s is out of range: the header has %d columns "
                  "(0..%d, or -1..-%d from the end)", item, ncols, ncols - 1, ncols);
    else
        csv_error(c, 1, "no column named '%.60s' in the header", item);
    char hint[512];
    size_t used = (size_t)snprintf(hint, sizeof hint, "hint: the columns are");
    for (int i = 0; i < ncols && i < 12 && used < sizeof hint; i++)
        used += (size_t)snprintf(hint + used, sizeof hint - used, "%s '%.30s'", i ? "," : "",
                                 names[i]);
    put_clean(hint);
    fprintf(stderr, "%s\n", ncols > 12 ? ", ..." : "");
    return -1;
}

/* Fills targets[] from a comma-separated --target list; returns the count or -1. */
static int explicit_targets(const Csv *c, char **names, int ncols, const char *list,
                            int *targets, int max)
{
    char item[256];
    int n = 0;
    for (const char *p = list;; p++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        snprintf(item, sizeof item, "%.*s", (int)(len < 255 ? len : 255), p);
        int col = resolve_column(c, names, ncols, item);
        if (col < 0)
            return -1;
        for (int j = 0; j < n; j++) {
            if (targets[j] == col) {
                csv_error(c, col + 1, "column '%.60s' is named twice as a target", names[col]);
                return -1;
            }
        }
        if (n == max) {
            csv_error(c, col + 1, "too many target columns: network '%s' has %zu outputs",
                      c->m->name, c->m->output_size);
            return -1;
        }
        targets[n++] = col;
        if (!comma)
            return n;
        p = comma;
    }
}

/* The default targets: a column named 'label' when one column can hold them,
 * else the last output_size columns (or the last one, a class label). */
static int default_targets(const Csv *c, char **names, int ncols, bool inputs_only_ok,
                           int *targets)
{
    size_t nin = c->m->input_size, k = c->m->output_size;
    int label = -1;
    for (int i = 0; i < ncols; i++)
        if (strcmp(names[i], "label") == 0)
            label = i;
    if (label >= 0 && single_column_target(c->m) && (size_t)ncols == nin + 1) {
        targets[0] = label;
        return 1;
    }
    if ((size_t)ncols == nin + k || ((size_t)ncols == nin + 1 && single_column_target(c->m))) {
        int n = (size_t)ncols == nin + k ? (int)k : 1;
        for (int j = 0; j < n; j++)
            targets[j] = ncols - n + j;
        return n;
    }
    if ((size_t)ncols == nin && inputs_only_ok)
        return 0;
    columns_error(c, ncols, inputs_only_ok);
    return -1;
}

/* Chooses how the header's columns map onto the model's inputs and outputs. */
static int choose_columns(Csv *c, char **names, int ncols, bool inputs_only_ok,
                          const char *target)
{
    size_t nin = c->m->input_size, k = c->m->output_size;
    int ntargets, *targets = NETRT_MALLOC(k + 1, sizeof(int)), f = 0;
    if (!targets)
        return -1;
    if (target)
        ntargets = explicit_targets(c, names, ncols, target, targets, (int)k);
    else
        ntargets = default_targets(c, names, ncols, inputs_only_ok, targets);
    if (ntargets > 0 && !((size_t)ntargets == k || (ntargets == 1 && single_column_target(c->m)))) {
        csv_error(c, targets[0] + 1, "expected %s%zu target columns for network '%s', found %d",
                  c->m->target == NETRT_TARGET_ONEHOT ? "a class label column or " : "", k,
                  c->m->name, ntargets);
        ntargets = -1;
    } else if (ntargets >= 0 && (size_t)(ncols - ntargets) != nin) {
        csv_error(c, 1, "expected %zu feature columns besides the %d target column%s, found %d",
                  nin, ntargets, ntargets == 1 ? "" : "s", ncols - ntargets);
        netrt_hint("network '%s' (%s) takes %zu inputs and has %zu outputs",
                   c->m->name, c->m->spec_path ? c->m->spec_path : "?", nin, k);
        ntargets = -1;
    }
    if (ntargets >= 0) {
        c->cols = ntargets == 0 ? COLS_NONE : (size_t)ntargets == k && k > 1 ? COLS_TARGETS
                                                                           : COLS_LABEL;
        c->target_col[0] = ntargets ? targets[0] : -1;
        for (size_t j = 0; j < (size_t)ntargets; j++)
            c->targets_col[j] = targets[j];
        for (int i = 0; i < ncols; i++) {
            bool is_target = false;
            for (int j = 0; j < ntargets; j++)
                is_target |= targets[j] == i;
            if (!is_target)
                c->feature_col[f++] = i;
        }
        c->ncols = ncols;
    }
    free(targets);
    return ntargets >= 0 ? 0 : -1;
}

static int count_fields(const char *line)
{
    int n = 1;
    for (; *line; line++)
        n += *line == ',';
    return n;
}

/* Reads the first non-skipped line as the header and fixes the column layout. */
static int read_header(Csv *c, char **p, bool inputs_only_ok, const char *target)
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
    n = count_fields(line);
    c->fields = NETRT_MALLOC((size_t)n, sizeof(char *));
    if (!c->fields)
        return -1;
    split(line, c->fields, n);
    if (all_numeric(c->fields, n)) {
        csv_error(c, 1, "expected a header row naming the columns, found numbers");
        netrt_hint("add a first line such as 'x1,x2,label'");
        return -1;
    }
    return choose_columns(c, c->fields, n, inputs_only_ok, target);
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
        if (parse_number(c, c->feature_col[i], &v))
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
        int col = c->target_col[0];
        if (parse_number(c, col, &v) || encode_label(c, col, v, t, label))
            return -1;
        for (size_t j = 0; t64 && j < k; j++)
            t64[j] = real ? v : t[j];
        return 0;
    }
    for (size_t j = 0; j < k; j++) {
        int col = c->targets_col[j];
        if (parse_number(c, col, &v) || encode_column(c, col, v, &t[j]))
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

static size_t count_lines(const char *s, size_t len)
{
    size_t n = 1;
    for (const char *end = s + len; (s = memchr(s, '\n', (size_t)(end - s))) != NULL; s++)
        n++;
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

/* A NUL byte would end the text early: refused at its row and field. */
static int check_no_nul(Csv *c, const char *text, size_t len)
{
    const char *nul = memchr(text, '\0', len), *line = text;
    int col = 1;
    if (!nul)
        return 0;
    c->line = 1;
    for (const char *s = text; s < nul; s++) {
        if (*s == '\n') {
            c->line++;
            line = s + 1;
        }
    }
    for (const char *s = line; s < nul; s++)
        col += *s == ',';
    csv_error(c, col, "NUL byte in the file (is it binary?)");
    return -1;
}

/* Rows and line numbers are ints. */
static int check_line_count(Csv *c, const char *text, size_t len)
{
    if (count_lines(text, len) < INT_MAX)
        return 0;
    c->line = INT_MAX;
    csv_error(c, 1, "the file has more than %d lines, the most netc reads", INT_MAX - 1);
    return -1;
}

int netrt_dataset_parse_csv(NetrtDataset *ds, const NetrtModel *m, const char *path, char *text,
                            size_t len, const NetrtDataSource *src, int flags)
{
    Csv c = { .path = path, .m = m };
    char *p = text;
    int rc = -1;
    memset(ds, 0, sizeof *ds);
    snprintf(ds->path, sizeof ds->path, "%s", path);
    if (check_no_nul(&c, text, len) || check_line_count(&c, text, len))
        return -1;
    if ((unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb && (unsigned char)p[2] == 0xbf)
        p += 3;     /* UTF-8 byte order mark, as some spreadsheets write */
    c.feature_col = NETRT_MALLOC(m->input_size + 1, sizeof(int));
    c.targets_col = NETRT_MALLOC(m->output_size + 1, sizeof(int));
    if (c.feature_col && c.targets_col &&
        read_header(&c, &p, flags & NETRT_LOAD_TARGETS_OPTIONAL, src ? src->target : NULL) == 0
        && alloc_rows(&c, ds, (int)count_lines(p, len - (size_t)(p - text)),
                      flags & NETRT_LOAD_EXACT) == 0)
        rc = read_rows(&c, &p, ds);
    free(c.fields);
    free(c.feature_col);
    free(c.targets_col);
    if (rc)
        netrt_dataset_free(ds);
    return rc;
}

int netrt_dataset_load(NetrtDataset *ds, const NetrtModel *m, const char *path,
                       const NetrtDataSource *src, int flags)
{
    size_t len;
    char *text;
    int rc, kind;
    memset(ds, 0, sizeof *ds);
    snprintf(ds->path, sizeof ds->path, "%s", path);
    kind = netrt_sniff_file(path);
    if (kind < 0)
        return -1;
    if (kind == NETRT_FILE_IDX) {
        const char *labels = src ? src->labels : NULL;
        char derived[600];
        if (!labels && netrt_idx_labels_path(path, derived, sizeof derived)) {
            if (access(derived, F_OK) == 0 || !(flags & NETRT_LOAD_TARGETS_OPTIONAL))
                labels = derived;
        }
        if (netrt_dataset_load_idx(ds, m, path, labels))
            return -1;
        if (!labels && !(flags & NETRT_LOAD_TARGETS_OPTIONAL)) {
            netrt_dataset_free(ds);
            netrt_error(path, "IDX images need a labels file to train or evaluate on");
            netrt_hint("give it with --labels FILE (it is found automatically when the "
                       "images path contains 'images-idx3' and the labels path 'labels-idx1')");
            return -1;
        }
        return 0;
    }
    text = kind == NETRT_FILE_GZIP ? netrt_read_gzip(path, &len) : NETRT_READ_FILE(path, &len);
    if (!text)
        return -1;
    rc = netrt_dataset_parse_csv(ds, m, path, text, len, src, flags);
    free(text);
    return rc;
}

int netrt_dataset_load_csv(NetrtDataset *ds, const NetrtModel *m, const char *path)
{
    return netrt_dataset_load(ds, m, path, NULL, 0);
}

int netrt_dataset_load_csv_inputs(NetrtDataset *ds, const NetrtModel *m, const char *path)
{
    return netrt_dataset_load(ds, m, path, NULL, NETRT_LOAD_TARGETS_OPTIONAL);
}

int netrt_dataset_load_csv_exact(NetrtDataset *ds, const NetrtModel *m, const char *path)
{
    return netrt_dataset_load(ds, m, path, NULL, NETRT_LOAD_TARGETS_OPTIONAL | NETRT_LOAD_EXACT);
}

/* ---- held-out splits ---- */

/* Marks want[c] rows of every class c as held out, chosen uniformly with r. */
static void mark_stratified(const NetrtDataset *ds, int nh, double fraction, NetrtRng *r,
                            char *hold, int *scratch)
{
    int k = ds->num_classes, n = ds->rows, *count = scratch + n, *want = count + k, given = 0;
    memset(count, 0, 2 * (size_t)k * sizeof(int));
    for (int i = 0; i < n; i++)
        count[ds->label[i]]++;
    for (int c = 0; c < k; c++) {
        want[c] = (int)floor(fraction * count[c]);
        given += want[c];
    }
    /* The rows rounding left over go to the classes with the largest remainders. */
    while (given < nh) {
        int best = -1;
        double best_rem = -1;
        for (int c = 0; c < k; c++) {
            double rem = fraction * count[c] - want[c];
            if (want[c] < count[c] && rem > best_rem) {
                best = c;
                best_rem = rem;
            }
        }
        if (best < 0)
            break;
        want[best]++;
        given++;
    }
    for (int c = 0; c < k; c++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (ds->label[i] == c)
                scratch[m++] = i;
        netrt_shuffle(r, scratch, m);
        for (int i = 0; i < want[c]; i++)
            hold[scratch[i]] = 1;
    }
}

/* Moves source row perm[i] to row i for every i, following cycles with one spare row. */
static void permute_rows(NetrtDataset *ds, const int *perm, char *done, float *spare,
                         double *spare64)
{
    size_t nf = (size_t)ds->num_features, k = (size_t)ds->num_targets;
    for (int i = 0; i < ds->rows; i++) {
        if (done[i] || perm[i] == i)
            continue;
        int j = i, lab = ds->label ? ds->label[i] : 0;
        memcpy(spare, ds->x + (size_t)i * nf, nf * sizeof(float));
        if (k)
            memcpy(spare + nf, ds->t + (size_t)i * k, k * sizeof(float));
        if (ds->x64)
            memcpy(spare64, ds->x64 + (size_t)i * nf, nf * sizeof(double));
        if (ds->t64)
            memcpy(spare64 + nf, ds->t64 + (size_t)i * k, k * sizeof(double));
        while (perm[j] != i) {
            size_t to = (size_t)j, from = (size_t)perm[j];
            memcpy(ds->x + to * nf, ds->x + from * nf, nf * sizeof(float));
            if (k)
                memcpy(ds->t + to * k, ds->t + from * k, k * sizeof(float));
            if (ds->label)
                ds->label[to] = ds->label[from];
            if (ds->x64)
                memcpy(ds->x64 + to * nf, ds->x64 + from * nf, nf * sizeof(double));
            if (ds->t64)
                memcpy(ds->t64 + to * k, ds->t64 + from * k, k * sizeof(double));
            done[j] = 1;
            j = perm[j];
        }
        memcpy(ds->x + (size_t)j * nf, spare, nf * sizeof(float));
        if (k)
            memcpy(ds->t + (size_t)j * k, spare + nf, k * sizeof(float));
        if (ds->label)
            ds->label[j] = lab;
        if (ds->x64)
            memcpy(ds->x64 + (size_t)j * nf, spare64, nf * sizeof(double));
        if (ds->t64)
            memcpy(ds->t64 + (size_t)j * k, spare64 + nf, k * sizeof(double));
        done[j] = 1;
    }
}

/* Makes held a view of rows [from, from + n) of ds. */
static void make_view(NetrtDataset *held, const NetrtDataset *ds, int from, int n)
{
    size_t nf = (size_t)ds->num_features, k = (size_t)ds->num_targets, r = (size_t)from;
    *held = *ds;
    held->is_view = 1;
    held->rows = n;
    held->x = ds->x + r * nf;
    held->t = ds->t ? ds->t + r * k : NULL;
    held->label = ds->label ? ds->label + r : NULL;
    held->x64 = ds->x64 ? ds->x64 + r * nf : NULL;
    held->t64 = ds->t64 ? ds->t64 + r * k : NULL;
}

int netrt_dataset_split(NetrtDataset *ds, NetrtDataset *held, double fraction, uint64_t seed)
{
    int n = ds->rows, k = ds->label ? ds->num_classes : 0;
    /* Round up as scikit-learn does, without counting 0.1 * 150 = 15.000000000000002 as 16. */
    double want = fraction * n;
    int nh = (int)ceil(want - 1e-9 * (want > 1 ? want : 1));
    memset(held, 0, sizeof *held);
    if (!(fraction > 0 && fraction < 1) || nh < 1 || nh >= n) {
        netrt_error(ds->path, "cannot hold out a fraction %g of %d rows: %s", fraction, n,
                    nh < 1 ? "no row would be held out" : "no row would be left to train on");
        return -1;
    }
    size_t nf = (size_t)ds->num_features, nt = (size_t)ds->num_targets;
    int *scratch = NETRT_MALLOC((size_t)n + 2 * (size_t)k + 1, sizeof(int));
    int *perm = NETRT_MALLOC((size_t)n, sizeof(int));
    char *hold = NETRT_CALLOC((size_t)n, 1), *done = NETRT_CALLOC((size_t)n, 1);
    float *spare = NETRT_MALLOC(nf + nt + 1, sizeof(float));
    double *spare64 = NETRT_MALLOC(nf + nt + 1, sizeof(double));
    int rc = -1;
    if (scratch && perm && hold && done && spare && spare64) {
        NetrtRng r;
        netrt_rng_seed(&r, seed);
        if (k > 0) {
            mark_stratified(ds, nh, fraction, &r, hold, scratch);
        } else {
            for (int i = 0; i < n; i++)
                scratch[i] = i;
            netrt_shuffle(&r, scratch, n);
            for (int i = 0; i < nh; i++)
                hold[scratch[i]] = 1;
        }
        int a = 0, b = 0;
        for (int i = 0; i < n; i++)
            b += hold[i];
        nh = b;
        b = n - nh;
        for (int i = 0; i < n; i++)
            perm[hold[i] ? b++ : a++] = i;
        permute_rows(ds, perm, done, spare, spare64);
        ds->rows = n - nh;
        make_view(held, ds, n - nh, nh);
        rc = 0;
    }
    free(scratch);
    free(perm);
    free(hold);
    free(done);
    free(spare);
    free(spare64);
    return rc;
}

void netrt_dataset_free(NetrtDataset *ds)
{
    if (!ds->is_view) {
        free(ds->x);
        free(ds->t);
        free(ds->label);
        free(ds->x64);
        free(ds->t64);
    }
    ds->is_view = 0;
    ds->x64 = NULL;
    ds->t64 = NULL;
    ds->x = NULL;
    ds->t = NULL;
    ds->label = NULL;
    ds->rows = 0;
}
