/* fuzz_common.h: what the compiler's fuzz targets share (fuzz_spec.c,
 * fuzz_gen.c): run one spec's bytes through the whole pipeline and, if it is
 * accepted, through every emitter view. */
#ifndef NETC_FUZZ_COMMON_H
#define NETC_FUZZ_COMMON_H

#include "netc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *null_out(void)
{
    static FILE *f;
    if (!f)
        f = fopen("/dev/null", "w");
    if (!f)
        abort();
    return f;
}

/* For an accepted spec: the C in its own precision, the DOT and JSON views,
 * then the same spec forced to double with every layer unrolled that the
 * emitter's budget allows. */
static void emit_views(Compilation *c, const char *text, size_t len)
{
    EmitOptions eo = {"fuzz.net", EMIT_DEFAULT_UNROLL_LIMIT};
    EmittedFiles f;
    if (c->scalar) {
        scalar_emit(c->scalar, &eo, &f);
        emitted_files_free(&f);
        scalar_json(null_out(), c->scalar);
        dot_write(null_out(), c);
        return;
    }
    emit_model(c->graph, &eo, &f);
    emitted_files_free(&f);
    inspect_json(null_out(), c);
    dot_write(null_out(), c);
    Compilation d;
    if (compile_bytes(&d, "fuzz.net", text, len, null_out(), true) != 0)
        abort();    /* precision must not change whether a spec is accepted */
    eo.unroll_limit = 1000000;
    emit_model(d.graph, &eo, &f);
    emitted_files_free(&f);
    compilation_free(&d);
}

/* 1 if the spec was accepted (and emitted), 0 if refused. */
static int run_spec(const char *text, size_t len)
{
    Compilation c;
    int ok = compile_bytes(&c, "fuzz.net", text, len, null_out(), false) == 0;
    if (ok)
        emit_views(&c, text, len);
    compilation_free(&c);
    return ok;
}

#endif
