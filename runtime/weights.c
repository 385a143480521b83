/* weights.c: the weights file (docs/weights.md). Little-endian header, the
 * values in the model's real type, and a CRC32 trailer; saved atomically via a
 * temporary file and rename, so a failed save never damages the old file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checked.h"
#include "internal.h"
#include "netrt.h"

#define MAGIC "NETCWTS"         /* 8 bytes with its NUL */
#define FORMAT_VERSION 1u
#define HEADER_FIXED 36         /* magic, version, real_size, hash, count, name length */
#define SCALE_TAG "SCAL"        /* section: input scaling */

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32()). */
static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t table[256], crc = 0xffffffffu;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return crc ^ 0xffffffffu;
}

/* Little-endian fields of weights files and checkpoints (internal.h). */
uint8_t *netrt_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

uint8_t *netrt_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint8_t *put_f64(uint8_t *p, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    return netrt_put_u64(p, bits);
}

static double get_f64(const uint8_t *p)
{
    uint64_t bits = get_u64(p);
    double v;
    memcpy(&v, &bits, 8);
    return v;
}

/* The optional input-scaling section: tag, length, kind, n, means, stds. */
static size_t scale_section_size(const NetrtScaler *sc)
{
    return sc && sc->kind != NETRT_SCALE_NONE ? 8 + 8 + 16 * (size_t)sc->n : 0;
}

static uint8_t *put_scale_section(uint8_t *p, const NetrtScaler *sc)
{
    memcpy(p, SCALE_TAG, 4);
    p = netrt_put_u32(p + 4, (uint32_t)(8 + 16 * (size_t)sc->n));
    p = netrt_put_u32(p, (uint32_t)sc->kind);
    p = netrt_put_u32(p, (uint32_t)sc->n);
    for (int j = 0; j < sc->n; j++)
        p = put_f64(p, sc->mean[j]);
    for (int j = 0; j < sc->n; j++)
        p = put_f64(p, sc->std[j]);
    return p;
}

static size_t extra_size(const NetrtSection *extra, int n_extra)
{
    size_t n = 0;
    for (int i = 0; i < n_extra; i++)
        n += 8 + extra[i].size;
    return n;
}

size_t netrt_weights_file_size(const NetrtModel *m, const NetrtScaler *sc,
                               const NetrtSection *extra, int n_extra)
{
    const char *name = m->name ? m->name : "";
    return HEADER_FIXED + strlen(name) + m->num_params * (size_t)m->real_size +
           scale_section_size(sc) + extra_size(extra, n_extra) + 4;
}

/* Builds the whole file image in buf (or a new buffer); *len gets its size. */
static uint8_t *serialize(const NetrtModel *m, const void *params, const NetrtScaler *sc,
                          const NetrtSection *extra, int n_extra, uint8_t *buf, size_t *len)
{
    const char *name = m->name ? m->name : "";
    size_t name_len = strlen(name), rs = (size_t)m->real_size;
    size_t n = netrt_weights_file_size(m, sc, extra, n_extra);
    uint8_t *p;
    if (!buf)
        buf = NETRT_MALLOC(n, 1);
    if (!buf)
        return NULL;
    p = buf;
    memcpy(p, MAGIC, 8);
    p = netrt_put_u32(p + 8, FORMAT_VERSION);
    p = netrt_put_u32(p, (uint32_t)rs);
    p = netrt_put_u64(p, m->layout_hash);
    p = netrt_put_u64(p, m->num_params);
    p = netrt_put_u32(p, (uint32_t)name_len);
    memcpy(p, name, name_len);
    p += name_len;
    for (size_t i = 0; i < m->num_params; i++) {
        if (rs == 8) {
            uint64_t bits;
            memcpy(&bits, (const double *)params + i, 8);
            p = netrt_put_u64(p, bits);
        } else {
            uint32_t bits;
            memcpy(&bits, (const float *)params + i, 4);
            p = netrt_put_u32(p, bits);
        }
    }
    if (scale_section_size(sc))
        p = put_scale_section(p, sc);
    for (int i = 0; i < n_extra; i++) {
        memcpy(p, extra[i].tag, 4);
        p = netrt_put_u32(p + 4, (uint32_t)extra[i].size);
        if (extra[i].size)
            memcpy(p, extra[i].data, extra[i].size);
        p += extra[i].size;
    }
    netrt_put_u32(p, crc32_ieee(buf, n - 4));
    *len = n;
    return buf;
}

/* Makes the rename durable; best effort, since not every file system allows it. */
static void sync_parent_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    int fd;
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path) + (slash == path), path);
    fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Writes buf to tmp, flushes it to disk and renames it over path. */
static int write_atomically(const char *path, const char *tmp, const uint8_t *buf, size_t n,
                            const char *what)
{
    FILE *f = NETRT_FOPEN(tmp, "wb");
    int ok;
    if (!f) {
        netrt_error(path, "%s not saved; the existing file, if any, is unchanged", what);
        return -1;
    }
    ok = fwrite(buf, 1, n, f) == n && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int err = errno;
    ok = (fclose(f) == 0) && ok;
    if (ok && rename(tmp, path) == 0) {
        sync_parent_dir(path);
        return 0;
    }
    if (ok)
        err = errno;
    remove(tmp);
    netrt_error(path, "cannot write %s: %s; the existing file, if any, is unchanged",
                what, strerror(err));
    if (err == ENOSPC || err == EFBIG || err == EDQUOT)
        netrt_hint("free some disk space or save to another file system");
    return -1;
}

/* The process id in name if it is base + ".tmp." or ".probe." + digits, else 0. */
static long temp_owner(const char *name, const char *base)
{
    size_t nb = strlen(base);
    const char *kinds[] = {".tmp.", ".probe."};
    if (strncmp(name, base, nb) != 0)
        return 0;
    for (int k = 0; k < 2; k++) {
        size_t nk = strlen(kinds[k]);
        const char *digits = name + nb + nk;
        char *end;
        if (strncmp(name + nb, kinds[k], nk) != 0 || *digits < '1' || *digits > '9')
            continue;
        long pid = strtol(digits, &end, 10);
        return *end == '\0' && pid > 0 ? pid : 0;
    }
    return 0;
}

/* Whether process pid is gone: no such process, or on Linux a zombie (a killed
 * process nobody has reaped, which writes nothing any more). */
static bool process_gone(long pid)
{
    if (kill((pid_t)pid, 0) != 0)
        return errno == ESRCH;
    char stat_path[64], line[512];
    snprintf(stat_path, sizeof stat_path, "/proc/%ld/stat", pid);
    FILE *f = fopen(stat_path, "r");
    if (!f)
        return false;
    const char *paren = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
    fclose(f);
    return paren && (paren[1] == ' ') && (paren[2] == 'Z' || paren[2] == 'X');
}

/* Removes the temporary files a killed writer of path left behind (PATH.tmp.PID
 * and PATH.probe.PID whose process no longer exists), so a run killed again and
 * again does not litter the directory. Files of live processes are theirs. */
static void remove_stale_temps(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path) + (slash == path), path);
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *ent; (ent = readdir(d)) != NULL;) {
        long pid = temp_owner(ent->d_name, base);
        if (pid == 0 || pid == (long)getpid() || !process_gone(pid))
            continue;
        char stale[4096 + 256];
        snprintf(stale, sizeof stale, "%s/%s", dir, ent->d_name);
        remove(stale);
    }
    closedir(d);
}

int netrt_write_file_atomic(const char *path, const void *buf, size_t n, const char *what)
{
    char tmp[4096 + 32];
    if (strlen(path) >= 4096) {
        netrt_error(path, "path too long; %s not saved", what);
        return -1;
    }
    remove_stale_temps(path);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    return write_atomically(path, tmp, buf, n, what);
}

void netrt_entry_name(char *buf, size_t cap, const NetrtParamInfo *p, size_t at)
{
    if (p->cols > 1)
        snprintf(buf, cap, "[%zu][%zu]", at / (size_t)p->cols, at % (size_t)p->cols);
    else
        snprintf(buf, cap, "[%zu]", at);
}

int netrt_weights_save(const NetrtModel *m, const void *params, const char *path)
{
    return netrt_weights_save_scaled(m, params, NULL, path);
}

int netrt_weights_save_scaled(const NetrtModel *m, const void *params, const NetrtScaler *scale,
                              const char *path)
{
    return netrt_weights_save_sections(m, params, scale, NULL, 0, path, NULL);
}

int netrt_weights_save_sections(const NetrtModel *m, const void *params, const NetrtScaler *sc,
                                const NetrtSection *extra, int n_extra, const char *path,
                                void *image)
{
    size_t n;
    uint8_t *buf = serialize(m, params, sc, extra, n_extra, image, &n);
    int rc = -1;
    if (buf)
        rc = netrt_write_file_atomic(path, buf, n, n_extra ? "checkpoint" : "weights");
    if (buf != image)
        free(buf);
    return rc;
}

/* Checks everything that does not need a model: magic, version, sizes, CRC. */
static int parse_header(NetrtWeightsFile *wf, const uint8_t *b, size_t len, const char *path,
                        size_t *values_at)
{
    uint32_t name_len;
    if (len < 8 || memcmp(b, MAGIC, 8) != 0) {
        netrt_error(path, "not a netc weights file (bad magic)");
        return -1;
    }
    if (len < HEADER_FIXED) {
        netrt_error(path, "weights file is truncated: %zu bytes, shorter than its header", len);
        return -1;
    }
    wf->version = get_u32(b + 8);
    wf->real_size = get_u32(b + 12);
    wf->layout_hash = get_u64(b + 16);
    wf->num_params = get_u64(b + 24);
    name_len = get_u32(b + 32);
    if (wf->version > FORMAT_VERSION) {
        netrt_error(path, "weights file format version %u was written by a newer netc "
                    "(this runtime reads version %u)", wf->version, FORMAT_VERSION);
        netrt_hint("rebuild the trainer with the newer netc");
        return -1;
    }
    if (wf->version != FORMAT_VERSION || (wf->real_size != 4 && wf->real_size != 8)) {
        netrt_error(path, "corrupt weights header (version %u, real size %u)",
                    wf->version, wf->real_size);
        return -1;
    }
    /* num_params is bounded first so the expected size cannot overflow. */
    uint64_t want = UINT64_MAX;
    if (wf->num_params < (UINT64_MAX >> 4))
        want = HEADER_FIXED + (uint64_t)name_len + wf->num_params * wf->real_size + 4;
    if (want > len) {
        netrt_error(path, "weights file is truncated or corrupted: its header describes "
                    "at least %llu bytes, but the file has %zu", (unsigned long long)want, len);
        return -1;
    }
    if (get_u32(b + len - 4) != crc32_ieee(b, len - 4)) {
        netrt_error(path, "weights file is corrupted (CRC32 checksum mismatch)");
        return -1;
    }
    snprintf(wf->name, sizeof wf->name, "%.*s", (int)name_len, (const char *)b + HEADER_FIXED);
    /* the name is printed in messages and dumps: no control bytes or escapes */
    for (char *c = wf->name; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            *c = '?';
    *values_at = HEADER_FIXED + name_len;
    return 0;
}

/* Reads the sections between the values and the CRC; unknown tags are skipped,
 * so later additions need no new format version. */
static int parse_sections(NetrtWeightsFile *wf, const uint8_t *p, size_t left, const char *path)
{
    while (left > 0) {
        uint32_t size = left >= 8 ? get_u32(p + 4) : 0;
        if (left < 8 || size > left - 8) {
            netrt_error(path, "weights file is corrupted (a section runs past the end)");
            return -1;
        }
        if (memcmp(p, SCALE_TAG, 4) == 0) {
            NetrtScaler *sc = &wf->scale;
            uint32_t n = size >= 8 ? get_u32(p + 12) : 0;
            uint32_t kind = size >= 8 ? get_u32(p + 8) : 0;
            if (size != 8 + 16 * (uint64_t)n ||
                (kind != NETRT_SCALE_STANDARD && kind != NETRT_SCALE_MINMAX)) {
                netrt_error(path, "weights file has a malformed input-scaling section");
                return -1;
            }
            netrt_scaler_free(sc);
            sc->mean = NETRT_MALLOC(n ? n : 1, sizeof(double));
            sc->std = NETRT_MALLOC(n ? n : 1, sizeof(double));
            if (!sc->mean || !sc->std)
                return -1;
            sc->kind = (NetrtScale)kind;
            sc->n = (int)n;
            for (uint32_t j = 0; j < n; j++) {
                sc->mean[j] = get_f64(p + 16 + 8 * j);
                sc->std[j] = get_f64(p + 16 + 8 * ((size_t)n + j));
                /* a fitted scaling divides by std > 0; anything else would make NaNs */
                if (!isfinite(sc->mean[j]) || !isfinite(sc->std[j]) || !(sc->std[j] > 0)) {
                    netrt_error(path, "weights file has a malformed input-scaling section "
                                "(feature %u: mean %g, std %g)", j + 1, sc->mean[j], sc->std[j]);
                    return -1;
                }
            }
        }
        p += 8 + size;
        left -= 8 + size;
    }
    return 0;
}

const uint8_t *netrt_weights_find_section(const uint8_t *file, size_t len, const char *tag,
                                          size_t *size)
{
    NetrtWeightsFile wf;
    size_t at;
    memset(&wf, 0, sizeof wf);
    if (parse_header(&wf, file, len, "?", &at))
        return NULL;
    at += (size_t)wf.num_params * wf.real_size;
    while (at + 8 <= len - 4) {
        uint32_t n = get_u32(file + at + 4);
        if (n > len - 4 - at - 8)
            return NULL;
        if (memcmp(file + at, tag, 4) == 0) {
            *size = n;
            return file + at + 8;
        }
        at += 8 + (size_t)n;
    }
    return NULL;
}

static void decode_values(NetrtWeightsFile *wf, const uint8_t *p)
{
    for (uint64_t i = 0; i < wf->num_params; i++) {
        if (wf->real_size == 8) {
            uint64_t bits = get_u64(p + 8 * i);
            memcpy(&wf->values[i], &bits, 8);
        } else {
            uint32_t bits = get_u32(p + 4 * i);
            float v;
            memcpy(&v, &bits, 4);
            wf->values[i] = v;
        }
    }
}

int netrt_weights_read(NetrtWeightsFile *wf, const char *path)
{
    size_t len, values_at;
    uint8_t *buf;
    memset(wf, 0, sizeof *wf);
    buf = (uint8_t *)NETRT_READ_FILE(path, &len);
    if (!buf)
        return -1;
    if (parse_header(wf, buf, len, path, &values_at) == 0) {
        size_t end = values_at + (size_t)wf->num_params * wf->real_size;
        wf->values = NETRT_MALLOC((size_t)wf->num_params, sizeof(double));
        if (wf->values)
            decode_values(wf, buf + values_at);
        if (wf->values && parse_sections(wf, buf + end, len - 4 - end, path))
            netrt_weights_file_free(wf);
    }
    free(buf);
    return wf->values ? 0 : -1;
}

void netrt_weights_file_free(NetrtWeightsFile *wf)
{
    free(wf->values);
    wf->values = NULL;
    netrt_scaler_free(&wf->scale);
}

int netrt_weights_load(const NetrtModel *m, void *params, const char *path)
{
    return netrt_weights_load_scaled(m, params, NULL, path);
}

int netrt_weights_load_scaled(const NetrtModel *m, void *params, NetrtScaler *scale,
                              const char *path)
{
    NetrtWeightsFile wf;
    int rc = -1;
    if (scale)
        memset(scale, 0, sizeof *scale);
    if (netrt_weights_read(&wf, path))
        return -1;
    if (wf.layout_hash != m->layout_hash) {
        netrt_error(path, "was trained for a different network layout (spec '%s'), "
                    "not for '%s' (%s)", wf.name, m->name, m->spec_path ? m->spec_path : "?");
        netrt_hint("use the trainer built from the spec these weights came from, or retrain");
    } else if (wf.num_params != m->num_params) {
        netrt_error(path, "holds %llu parameters, but network '%s' has %zu",
                    (unsigned long long)wf.num_params, m->name, m->num_params);
    } else if (wf.scale.kind != NETRT_SCALE_NONE && (size_t)wf.scale.n != m->input_size) {
        netrt_error(path, "input scaling is for %d features, but network '%s' has %zu inputs",
                    wf.scale.n, m->name, m->input_size);
    } else {
        for (size_t i = 0; i < m->num_params; i++)
            netrt_set(m, params, i, wf.values[i]);
        if (scale) {
            *scale = wf.scale;      /* hand the arrays over to the caller */
            memset(&wf.scale, 0, sizeof wf.scale);
        }
        rc = 0;
    }
    netrt_weights_file_free(&wf);
    return rc;
}
