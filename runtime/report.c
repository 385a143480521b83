/* report.c: what a training run reports beyond its loss: the confusion matrix
 * and per-class precision, recall and F1; the per-epoch CSV log (--log); and the
 * learning curve as a self-contained SVG (--plot), drawn here in plain C. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "internal.h"
#include "netrt.h"

#define PREDICT_ROWS 256
#define MATRIX_MAX_CLASSES 30   /* wider matrices are not printed, only the scores */

/* ---- confusion matrix ---- */

int netrt_confusion_init(NetrtConfusion *c, int k)
{
    c->k = k;
    c->counts = NETRT_CALLOC((size_t)k * (size_t)k, sizeof(long));
    return c->counts ? 0 : -1;
}

void netrt_confusion_free(NetrtConfusion *c)
{
    free(c->counts);
    c->counts = NULL;
    c->k = 0;
}

void netrt_confusion_add(NetrtConfusion *c, int truth, int predicted)
{
    if (truth >= 0 && truth < c->k && predicted >= 0 && predicted < c->k)
        c->counts[(size_t)truth * (size_t)c->k + (size_t)predicted]++;
}

int netrt_confusion_eval(NetrtConfusion *c, const NetrtModel *m, const void *params,
                         const NetrtDataset *ds)
{
    size_t rs = (size_t)m->real_size, nin = m->input_size, k = m->output_size;
    void *x, *y, *work;
    if (!ds->label) {
        netrt_error(ds->path, "no class labels to build a confusion matrix from");
        return -1;
    }
    x = NETRT_MALLOC(PREDICT_ROWS * nin, rs);
    y = NETRT_MALLOC(PREDICT_ROWS * k, rs);
    work = NETRT_MALLOC(PREDICT_ROWS * m->work_per_sample + 1, rs);
    for (int start = 0; x && y && work && start < ds->rows; start += PREDICT_ROWS) {
        int n = ds->rows - start < PREDICT_ROWS ? ds->rows - start : PREDICT_ROWS;
        for (size_t i = 0; i < (size_t)n * nin; i++)
            netrt_set(m, x, i, ds->x[(size_t)start * nin + i]);
        m->forward(y, params, x, n, work);
        for (int i = 0; i < n; i++)
            netrt_confusion_add(c, ds->label[start + i],
                                netrt_predicted_class(m, y, (size_t)i * k));
    }
    int rc = x && y && work ? 0 : -1;
    free(x);
    free(y);
    free(work);
    return rc;
}

static long row_sum(const NetrtConfusion *c, int j)
{
    long s = 0;
    for (int p = 0; p < c->k; p++)
        s += c->counts[(size_t)j * (size_t)c->k + (size_t)p];
    return s;
}

static long col_sum(const NetrtConfusion *c, int j)
{
    long s = 0;
    for (int t = 0; t < c->k; t++)
        s += c->counts[(size_t)t * (size_t)c->k + (size_t)j];
    return s;
}

void netrt_confusion_scores(const NetrtConfusion *c, int j, double *precision, double *recall,
                            double *f1)
{
    long tp = c->counts[(size_t)j * (size_t)c->k + (size_t)j];
    long predicted = col_sum(c, j), actual = row_sum(c, j);
    *precision = predicted ? (double)tp / (double)predicted : 0.0;
    *recall = actual ? (double)tp / (double)actual : 0.0;
    *f1 = *precision + *recall > 0 ? 2 * *precision * *recall / (*precision + *recall) : 0.0;
}

static int digits(long v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

static void print_matrix(FILE *out, const NetrtConfusion *c, const char *label)
{
    long most = 0;
    for (size_t i = 0; i < (size_t)c->k * (size_t)c->k; i++)
        most = c->counts[i] > most ? c->counts[i] : most;
    int w = digits(most) > digits(c->k) ? digits(most) + 2 : digits(c->k) + 2;
    w = w < 5 ? 5 : w;
    fprintf(out, "confusion matrix (%s; rows: true class, columns: predicted class):\n", label);
    fprintf(out, "%*s", 8, "");
    for (int p = 0; p < c->k; p++)
        fprintf(out, "%*d", w, p);
    fputc('\n', out);
    for (int t = 0; t < c->k; t++) {
        fprintf(out, "%8d", t);
        for (int p = 0; p < c->k; p++)
            fprintf(out, "%*ld", w, c->counts[(size_t)t * (size_t)c->k + (size_t)p]);
        fputc('\n', out);
    }
}

void netrt_confusion_print(FILE *out, const NetrtConfusion *c, const char *label)
{
    double macro[3] = { 0, 0, 0 }, weighted[3] = { 0, 0, 0 };
    long total = 0;
    if (c->k <= MATRIX_MAX_CLASSES)
        print_matrix(out, c, label);
    else
        fprintf(out, "per-class scores (%s; %d classes, matrix not shown):\n", label, c->k);
    fprintf(out, "%8s %10s %10s %10s %10s\n", "class", "precision", "recall", "f1", "support");
    for (int j = 0; j < c->k; j++) {
        double s[3];
        long support = row_sum(c, j);
        netrt_confusion_scores(c, j, &s[0], &s[1], &s[2]);
        fprintf(out, "%8d %10.4f %10.4f %10.4f %10ld\n", j, s[0], s[1], s[2], support);
        for (int i = 0; i < 3; i++) {
            macro[i] += s[i] / c->k;
            weighted[i] += s[i] * (double)support;
        }
        total += support;
    }
    for (int i = 0; i < 3; i++)
        weighted[i] = total ? weighted[i] / (double)total : 0.0;
    fprintf(out, "%8s %10.4f %10.4f %10.4f %10ld\n", "macro", macro[0], macro[1], macro[2], total);
    fprintf(out, "%8s %10.4f %10.4f %10.4f %10ld\n", "weighted", weighted[0], weighted[1],
            weighted[2], total);
}

/* ---- CSV log ---- */

static const char *const sets[3] = { "train", "valid", "test" };

FILE *netrt_log_open(const NetrtModel *m, const char *path)
{
    FILE *f = NETRT_FOPEN(path, "w");
    if (!f)
        return NULL;
    fputs("epoch,seconds,lr,batch_loss", f);
    for (int s = 0; s < 3; s++) {
        if (m->classification)
            fprintf(f, ",%s_loss,%s_accuracy", sets[s], sets[s]);
        else
            fprintf(f, ",%s_loss,%s_mse,%s_r2", sets[s], sets[s], sets[s]);
    }
    fputc('\n', f);
    fflush(f);
    return f;
}

/* A field: the value, or nothing when it was not measured. */
static void field(FILE *f, double v)
{
    if (isnan(v))
        fputc(',', f);
    else
        fprintf(f, ",%.9g", v);
}

void netrt_log_epoch(FILE *f, const NetrtModel *m, const NetrtEpoch *e)
{
    const NetrtMetrics *mt[3] = { &e->train, &e->valid, &e->test };
    fprintf(f, "%d,%.3f", e->epoch, e->seconds);
    field(f, e->lr);
    field(f, e->batch_loss);
    for (int s = 0; s < 3; s++) {
        field(f, mt[s]->loss);
        if (m->classification) {
            field(f, mt[s]->accuracy);
        } else {
            field(f, mt[s]->mse);
            field(f, mt[s]->r2);
        }
    }
    fputc('\n', f);
    fflush(f);      /* each line whole on disk as the epoch ends */
}

/* ---- SVG learning curve ---- */

#define SVG_W 960
#define SVG_H 420
#define PANEL_W 480
#define MARGIN_L 72
#define MARGIN_R 24
#define MARGIN_T 78
#define MARGIN_B 54
#define MAX_POINTS 2000         /* longer runs are thinned to this many points */

/* A growable text buffer for the SVG document. */
typedef struct {
    char *text;
    size_t len, cap;
    bool failed;
} Svg;

static void svg(Svg *s, const char *fmt, ...) NETRT_PRINTF(2, 3);

static void svg(Svg *s, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t room = s->cap - s->len;
        va_start(ap, fmt);
        int n = s->failed ? 0 : vsnprintf(s->text + s->len, room, fmt, ap);
        va_end(ap);
        if (s->failed || n < 0)
            return;
        if ((size_t)n < room) {
            s->len += (size_t)n;
            return;
        }
        char *grown = realloc(s->text, 2 * s->cap + (size_t)n);
        if (!grown) {
            s->failed = true;
            return;
        }
        s->text = grown;
        s->cap = 2 * s->cap + (size_t)n;
    }
}

/* Text with &, <, > and quotes escaped. */
static void svg_escaped(Svg *s, const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '&': svg(s, "&amp;"); break;
        case '<': svg(s, "&lt;"); break;
        case '>': svg(s, "&gt;"); break;
        case '"': svg(s, "&quot;"); break;
        default: svg(s, "%c", *text);
        }
    }
}

/* An axis: the data range widened to round tick values. */
typedef struct {
    double lo, hi, step;
} Axis;

static double nice_step(double span, int ticks)
{
    double raw = span / ticks, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static Axis nice_axis(double lo, double hi, int ticks, bool integer)
{
    Axis a;
    if (!(hi > lo)) {
        double pad = fabs(lo) > 0 ? fabs(lo) * 0.1 : 1.0;
        lo -= pad;
        hi += pad;
    }
    a.step = nice_step(hi - lo, ticks);
    if (integer && a.step < 1)
        a.step = 1;
    a.lo = floor(lo / a.step) * a.step;
    a.hi = ceil(hi / a.step) * a.step;
    return a;
}

/* Which value of an epoch a panel plots. */
typedef double (*Pick)(const NetrtMetrics *mt);

static double pick_loss(const NetrtMetrics *mt)
{
    return mt->loss;
}

static double pick_accuracy(const NetrtMetrics *mt)
{
    return 100.0 * mt->accuracy;
}

static double pick_r2(const NetrtMetrics *mt)
{
    return mt->r2;
}

static const NetrtMetrics *metrics_of(const NetrtEpoch *e, int set)
{
    return set == 0 ? &e->train : set == 1 ? &e->valid : &e->test;
}

static const char *const series_color[3] = { "#1f77b4", "#ff7f0e", "#2ca02c" };
static const char *const series_dash[3] = { "", "", " stroke-dasharray=\"6 4\"" };
static const char *const series_name[3] = { "train", "validation", "test" };

/* The panel's plot area in SVG coordinates. */
typedef struct {
    double x0, y0, w, h;        /* left, top, width, height */
    Axis ax, ay;
} Frame;

static double fx(const Frame *f, double v)
{
    return f->x0 + (v - f->ax.lo) / (f->ax.hi - f->ax.lo) * f->w;
}

static double fy(const Frame *f, double v)
{
    return f->y0 + f->h - (v - f->ay.lo) / (f->ay.hi - f->ay.lo) * f->h;
}

static void draw_axes(Svg *s, const Frame *f, const char *title, const char *ylabel)
{
    svg(s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" "
        "stroke=\"#444444\"/>\n", f->x0, f->y0, f->w, f->h);
    for (double v = f->ay.lo; v <= f->ay.hi + f->ay.step * 1e-6; v += f->ay.step) {
        double y = fy(f, v);
        svg(s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n",
            f->x0, y, f->x0 + f->w, y);
        svg(s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444444\"/>\n",
            f->x0 - 5, y, f->x0, y);
        svg(s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>\n", f->x0 - 8,
            y + 4, fabs(v) < f->ay.step * 1e-6 ? 0.0 : v);
    }
    for (double v = f->ax.lo; v <= f->ax.hi + f->ax.step * 1e-6; v += f->ax.step) {
        double x = fx(f, v);
        svg(s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444444\"/>\n",
            x, f->y0 + f->h, x, f->y0 + f->h + 5);
        svg(s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.6g</text>\n", x,
            f->y0 + f->h + 19, v);
    }
    svg(s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-weight=\"bold\">%s</text>\n",
        f->x0 + f->w / 2, f->y0 - 10, title);
    svg(s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">epoch</text>\n",
        f->x0 + f->w / 2, f->y0 + f->h + 40);
    svg(s, "<text transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\">%s"
        "</text>\n", f->x0 - 54, f->y0 + f->h / 2, ylabel);
}

/* One series as a polyline (broken where a value is missing), thinned to MAX_POINTS. */
static void draw_series(Svg *s, const Frame *f, const NetrtEpoch *h, int n, int set, Pick pick)
{
    int every = n > MAX_POINTS ? (n + MAX_POINTS - 1) / MAX_POINTS : 1;
    bool pen_down = false, open = false;
    for (int i = 0; i < n; i++) {
        double v = pick(metrics_of(&h[i], set));
        if (i % every != 0 && i != n - 1)
            continue;
        if (!isfinite(v)) {
            pen_down = false;
            continue;
        }
        if (!open) {
            svg(s, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s d=\"",
                series_color[set], series_dash[set]);
            open = true;
        }
        svg(s, "%s%.1f %.1f ", pen_down ? "L" : "M", fx(f, h[i].epoch), fy(f, v));
        pen_down = true;
    }
    if (open)
        svg(s, "\"/>\n");
    if (n <= 40)    /* few epochs: mark each point */
        for (int i = 0; i < n; i++) {
            double v = pick(metrics_of(&h[i], set));
            if (isfinite(v))
                svg(s, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                    fx(f, h[i].epoch), fy(f, v), series_color[set]);
        }
}

static bool has_series(const NetrtEpoch *h, int n, int set, Pick pick)
{
    for (int i = 0; i < n; i++)
        if (isfinite(pick(metrics_of(&h[i], set))))
            return true;
    return false;
}

/* The epoch with the lowest validation loss (the one early stopping keeps), or 0. */
static int best_epoch(const NetrtEpoch *h, int n)
{
    int best = 0;
    double lo = INFINITY;
    for (int i = 0; i < n; i++)
        if (h[i].valid.loss < lo) {
            lo = h[i].valid.loss;
            best = h[i].epoch;
        }
    return best;
}

static void draw_panel(Svg *s, double left, const NetrtEpoch *h, int n, Pick pick,
                       const char *title, const char *ylabel)
{
    Frame f = { left + MARGIN_L, MARGIN_T, PANEL_W - MARGIN_L - MARGIN_R,
                SVG_H - MARGIN_T - MARGIN_B, { 0, 0, 0 }, { 0, 0, 0 } };
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++)
        for (int set = 0; set < 3; set++) {
            double v = pick(metrics_of(&h[i], set));
            if (isfinite(v)) {
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
        }
    if (!isfinite(lo))
        lo = 0, hi = 1;
    f.ax = nice_axis(h[0].epoch > 1 ? h[0].epoch : 0, h[n - 1].epoch, 6, true);
    if (h[n - 1].epoch > f.ax.lo)
        f.ax.hi = h[n - 1].epoch;       /* the curve reaches the right edge */
    f.ay = nice_axis(lo, hi, 5, false);
    draw_axes(s, &f, title, ylabel);
    int best = best_epoch(h, n);
    if (best > 0 && pick == pick_loss) {
        double x = fx(&f, best);
        svg(s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888888\" "
            "stroke-dasharray=\"3 3\"/>\n", x, f.y0, x, f.y0 + f.h);
        svg(s, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#666666\" text-anchor=\"%s\">best epoch %d"
            "</text>\n", x + (x > f.x0 + f.w / 2 ? -4 : 4), f.y0 + 14,
            x > f.x0 + f.w / 2 ? "end" : "start", best);
    }
    for (int set = 0; set < 3; set++)
        if (has_series(h, n, set, pick))
            draw_series(s, &f, h, n, set, pick);
}

/* The legend under the title: one entry per series present. */
static void draw_legend(Svg *s, const NetrtEpoch *h, int n)
{
    int count = 0;
    for (int set = 0; set < 3; set++)
        count += has_series(h, n, set, pick_loss);
    double x = SVG_W / 2.0 - 55.0 * count + 10;
    for (int set = 0; set < 3; set++) {
        if (!has_series(h, n, set, pick_loss))
            continue;
        svg(s, "<line x1=\"%.1f\" y1=\"42\" x2=\"%.1f\" y2=\"42\" stroke=\"%s\" "
            "stroke-width=\"2\"%s/>\n", x, x + 28, series_color[set], series_dash[set]);
        svg(s, "<text x=\"%.1f\" y=\"46\">%s</text>\n", x + 34, series_name[set]);
        x += 110;
    }
}

int netrt_plot_svg(const NetrtModel *m, const NetrtEpoch *hist, int n, const char *path)
{
    Svg s = { NULL, 0, 0, false };
    int rc = -1;
    s.cap = 1 << 16;
    s.text = NETRT_MALLOC(s.cap, 1);
    if (!s.text)
        return -1;
    svg(&s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
        "font-size=\"13\">\n", SVG_W, SVG_H, SVG_W, SVG_H);
    svg(&s, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fafafa\"/>\n");
    svg(&s, "<text x=\"%d\" y=\"22\" text-anchor=\"middle\" font-size=\"16\" "
        "font-weight=\"bold\">", SVG_W / 2);
    svg_escaped(&s, m->name ? m->name : "network");
    svg(&s, ": learning curve (%d epoch%s)</text>\n", n, n == 1 ? "" : "s");
    if (n > 0) {
        draw_legend(&s, hist, n);
        draw_panel(&s, 0, hist, n, pick_loss, "Loss", "loss");
        if (m->classification)
            draw_panel(&s, PANEL_W, hist, n, pick_accuracy, "Accuracy", "accuracy (%)");
        else
            draw_panel(&s, PANEL_W, hist, n, pick_r2, "R\xc2\xb2", "R\xc2\xb2");
    } else {
        svg(&s, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no epochs trained</text>\n",
            SVG_W / 2, SVG_H / 2);
    }
    svg(&s, "</svg>\n");
    if (s.failed)
        netrt_error(path, "out of memory drawing the plot; plot not saved");
    else
        rc = netrt_write_file_atomic(path, s.text, s.len, "plot");
    free(s.text);
    return rc;
}
