/* fuzz_spec.c: libFuzzer target for the compiler's front and middle end and the
 * C emitter. Each input is a spec's bytes (NUL bytes included); it runs the
 * pipeline of compile_spec (parse, sema, lower, shape, autodiff, or scalar_lower
 * for scalar graphs), and for an accepted spec emits the C in float and in
 * double and writes the DOT and JSON views. Diagnostics go to /dev/null. Any
 * crash, sanitizer report, leak, exit() (an internal error) or timeout is a bug.
 *
 * NETC_FUZZ_EMIT_DIR (optional): write the C of every accepted spec there, as
 * N.c / N.h, for the -Werror test (tests/fuzz/run.sh). */
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

static void emit_both(Compilation *c, const uint8_t *data, size_t size)
{
    EmitOptions eo = {"fuzz.net", EMIT_DEFAULT_UNROLL_LIMIT};
    EmittedFiles f;
    if (c->scalar) {
        scalar_emit(c->scalar, &eo, &f);
        emitted_files_free(&f);
        scalar_json(null_out(), c->scalar);
        return;
    }
    emit_model(c->graph, &eo, &f);
    emitted_files_free(&f);
    inspect_json(null_out(), c);
    dot_write(null_out(), c);
    /* the same spec forced to double precision, and fully unrolled */
    Compilation d;
    if (compile_bytes(&d, "fuzz.net", (const char *)data, size, null_out(), true) != 0)
        abort();    /* precision must not change whether a spec is accepted */
    eo.unroll_limit = 1000000;
    emit_model(d.graph, &eo, &f);
    emitted_files_free(&f);
    compilation_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Compilation c;
    if (compile_bytes(&c, "fuzz.net", (const char *)data, size, null_out(), false) == 0)
        emit_both(&c, data, size);
    compilation_free(&c);
    return 0;
}
