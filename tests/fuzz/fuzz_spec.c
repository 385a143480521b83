/* fuzz_spec.c: libFuzzer target for the compiler's front and middle end and the
 * C emitter. Each input is a spec's bytes (NUL bytes included); it runs the
 * pipeline of compile_spec (parse, sema, lower, shape, autodiff, or scalar_lower
 * for scalar graphs), and for an accepted spec emits the C in float and in
 * double and writes the DOT and JSON views (fuzz_common.h). Diagnostics go to
 * /dev/null. Any crash, sanitizer report, leak, exit() (an internal error) or
 * timeout is a bug. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run_spec((const char *)data, size);
    return 0;
}
