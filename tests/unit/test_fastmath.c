/* test_fastmath.c: the float fast path's exp, tanh and sigmoid (emitted by
 * compiler/emit_fastmath.c) against libm in double, rounded to float. The
 * emitted source is compiled with the system compiler and swept over float bit
 * patterns (every 1021st here; `make ulp` passes stride 1 for every float).
 * The bound is 2 ulp; these check what every float measured (`make
 * ulp`, docs/ops.md): exp and tanh within 1 ulp, the sigmoid within 2. Each
 * must also return NaN for NaN and saturate correctly, and tanh(-0) is -0. */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "emit.h"

static const char *const driver =
    "#include <math.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
    "static long ulp_diff(float a, float b)\n"
    "{\n"
    "    int ia, ib;\n"
    "    if (a == b) return 0;\n"
    "    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b) ? 0 : 1L << 40;\n"
    "    memcpy(&ia, &a, 4); memcpy(&ib, &b, 4);\n"
    "    long la = ia < 0 ? (long)0x80000000L - (long)(unsigned)ia : ia;\n"
    "    long lb = ib < 0 ? (long)0x80000000L - (long)(unsigned)ib : ib;\n"
    "    return labs(la - lb);\n"
    "}\n"
    "static double ref_sigmoid(double x) { return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "    unsigned long stride = argc > 1 ? strtoul(argv[1], NULL, 10) : 127;\n"
    "    long worst[3] = {0, 0, 0};\n"
    "    float at[3] = {0, 0, 0};\n"
    "    for (unsigned long i = 0; i <= 0xffffffffUL; i += stride) {\n"
    "        unsigned u = (unsigned)i;\n"
    "        float x;\n"
    "        memcpy(&x, &u, 4);\n"
    "        float got[3] = {t_expf(x), t_tanhf(x), t_sigmoid(x)};\n"
    "        float want[3] = {(float)exp((double)x), (float)tanh((double)x), (float)ref_sigmoid((double)x)};\n"
    "        for (int f = 0; f < 3; f++) {\n"
    "            long d = ulp_diff(got[f], want[f]);\n"
    "            if (d > worst[f]) { worst[f] = d; at[f] = x; }\n"
    "        }\n"
    "    }\n"
    "    long lanes_differ = 0;\n"
    "    /* tanh is odd down to the sign of zero */\n"
    "    long zero_sign = !signbit(t_tanhf(-0.0f)) + (signbit(t_tanhf(0.0f)) != 0);\n"
    "#if defined(__AVX2__) && defined(__FMA__)\n"
    "    float z8[8];\n"
    "    _mm256_storeu_ps(z8, t_tanhf8(_mm256_set1_ps(-0.0f)));\n"
    "    zero_sign += !signbit(z8[0]);\n"
    "    /* the 8-lane versions must give the scalar functions' bits */\n"
    "    for (unsigned long i = 0; i <= 0xffffffffUL; i += stride * 8) {\n"
    "        float x[8], e[8], t[8], s[8];\n"
    "        for (int l = 0; l < 8; l++) { unsigned u = (unsigned)(i + (unsigned long)l * stride); memcpy(&x[l], &u, 4); }\n"
    "        __m256 v = _mm256_loadu_ps(x);\n"
    "        _mm256_storeu_ps(t, t_tanhf8(v));\n"
    "        _mm256_storeu_ps(s, t_sigmoid8(v));\n"
    "        _mm256_storeu_ps(e, t_expf8(v));\n"
    "        for (int l = 0; l < 8; l++)\n"
    "            lanes_differ += ulp_diff(e[l], t_expf(x[l])) + ulp_diff(t[l], t_tanhf(x[l])) +\n"
    "                            ulp_diff(s[l], t_sigmoid(x[l])) != 0;\n"
    "    }\n"
    "#endif\n"
    "#if defined(__AVX512F__)\n"
    "    float z16[16];\n"
    "    _mm512_storeu_ps(z16, t_tanhf16(_mm512_set1_ps(-0.0f)));\n"
    "    zero_sign += !signbit(z16[0]);\n"
    "    /* and so must the 16-lane ones */\n"
    "    for (unsigned long i = 0; i <= 0xffffffffUL; i += stride * 16) {\n"
    "        float x[16], e[16], t[16], s[16];\n"
    "        for (int l = 0; l < 16; l++) { unsigned u = (unsigned)(i + (unsigned long)l * stride); memcpy(&x[l], &u, 4); }\n"
    "        __m512 v = _mm512_loadu_ps(x);\n"
    "        _mm512_storeu_ps(t, t_tanhf16(v));\n"
    "        _mm512_storeu_ps(s, t_sigmoid16(v));\n"
    "        _mm512_storeu_ps(e, t_expf16(v));\n"
    "        for (int l = 0; l < 16; l++)\n"
    "            lanes_differ += ulp_diff(e[l], t_expf(x[l])) + ulp_diff(t[l], t_tanhf(x[l])) +\n"
    "                            ulp_diff(s[l], t_sigmoid(x[l])) != 0;\n"
    "    }\n"
    "#endif\n"
    "    printf(\"%ld %ld %ld %.9g %.9g %.9g %ld %ld\\n\", worst[0], worst[1], worst[2], (double)at[0],\n"
    "           (double)at[1], (double)at[2], lanes_differ, zero_sign);\n"
    "    return 0;\n"
    "}\n";

int main(int argc, char **argv)
{
    const char *stride = argc > 1 ? argv[1] : "1021";
    char dir[] = "/tmp/netc_fastmath_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    Buf src = {0};
    buf_printf(&src, "#include <math.h>\n#if defined(__AVX2__) && defined(__FMA__)\n"
                     "#include <immintrin.h>\n#endif\n");
    fastmath_source(&src, "t", true, true, true, true, true, true);
    buf_printf(&src, "%s", driver);
    char path[256], cmd[1024], out[256] = "";
    snprintf(path, sizeof path, "%s/fm.c", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return check_summary("test_fastmath");
    fputs(src.data, f);
    fclose(f);
    buf_free(&src);
    /* the portable build and the vectorizing one must both hold the bound */
    const char *flags[3] = {"-O2", "-O3 -mavx2 -mfma", "-O3 -mavx512f -mfma"};
    int nflags = 2;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    if (__builtin_cpu_supports("avx512f"))
        nflags = 3;     /* the 16-lane versions run only where the CPU has them */
    else
        printf("skipped -mavx512f: this CPU has no AVX-512\n");
#endif
    for (int k = 0; k < nflags; k++) {
        /* Under `make test SANITIZE=1` cc adds ASan, whose fake stack frames for
         * detect_stack_use_after_return are not 64-byte aligned: gcc 12 spills
         * __m512 there and the program faults (any such program does, not this
         * code), so the check of stack reuse is off for these runs. */
        snprintf(cmd, sizeof cmd, "cc -std=c99 -Wall -Wextra -Wconversion -Werror %s -o %s/fm %s -lm "
                 "&& ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_stack_use_after_return=0\" "
                 "%s/fm %s", flags[k], dir, path, dir, stride);
        FILE *p = popen(cmd, "r");
        CHECK(p != NULL);
        if (!p)
            continue;
        if (!fgets(out, sizeof out, p))
            out[0] = '\0';
        CHECK(pclose(p) == 0);
        long e = 99, t = 99, s = 99, lanes = 99, zero_sign = 99;
        double ax = 0, at = 0, as = 0;
        CHECK(sscanf(out, "%ld %ld %ld %lf %lf %lf %ld %ld", &e, &t, &s, &ax, &at, &as, &lanes,
                     &zero_sign) == 8);
        CHECK(lanes == 0);      /* vector lanes equal the scalar functions bit for bit */
        CHECK(zero_sign == 0);  /* tanh(-0) is -0 in every form */
        printf("%s: max ulp exp %ld (at %g), tanh %ld (at %g), sigmoid %ld (at %g)\n", flags[k], e, ax,
               t, at, s, as);
        CHECK(e <= 1);
        CHECK(t <= 1);
        CHECK(s <= 2);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_summary("test_fastmath");
}
