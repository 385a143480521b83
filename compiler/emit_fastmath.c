/* emit_fastmath.c: exp, tanh and sigmoid for the float fast path, emitted as
 * branch-free C (so loops that call them vectorize without -ffast-math). Each
 * is within 2 ulp of the correctly rounded result over the whole float range
 * (tests/unit/test_fastmath.c sweeps it against libm in double; `make ulp`
 * checks every float). Double-precision networks and gradient checks use libm. */
#include "emit.h"

#include <string.h>

/* 2^k for k in [-126, 127], from the exponent bits. */
static void pow2i(Buf *b, const char *p)
{
    buf_printf(b,
        "/* 2^k for -126 <= k <= 127, built from the float's exponent bits. */\n"
        "static inline float %s_pow2i(int k)\n"
        "{\n"
        "    union { unsigned int u; float f; } v;\n"
        "    v.u = (unsigned int)(k + 127) << 23;\n"
        "    return v.f;\n"
        "}\n\n", p);
}

/* exp(x) = 2^n exp(r): n = round(x / ln 2), r = x - n ln 2 in two parts (Cody
 * and Waite), exp(r) = 1 + r + r^2 P(r) (Cephes' coefficients); 2^n applied as
 * two factors so results that underflow to subnormals are rounded once. */
static void expf_source(Buf *b, const char *p)
{
    buf_printf(b,
        "/* expf within 2 ulp over the whole float range, branch-free. */\n"
        "static inline float %s_expf(float x)\n"
        "{\n"
        "    const float lo = x >= -104.0f ? x : -104.0f;     /* NaN becomes -104 here */\n"
        "    const float xc = lo > 89.0f ? 89.0f : lo;\n"
        "    const float n = floorf(xc * 1.44269504089f + 0.5f);\n"
        "    const float r = (xc - n * 0.693359375f) + n * 2.12194440e-4f;\n"
        "    float q = 1.9875691500e-4f;\n"
        "    q = q * r + 1.3981999507e-3f;\n"
        "    q = q * r + 8.3334519073e-3f;\n"
        "    q = q * r + 4.1665795894e-2f;\n"
        "    q = q * r + 1.6666665459e-1f;\n"
        "    q = q * r + 5.0000001201e-1f;\n"
        "    const float e = q * r * r + r + 1.0f;\n"
        "    const int k = (int)n, k1 = (int)((unsigned int)(k + 256) >> 1) - 128;   /* floor(k / 2) */\n"
        "    const float s = e * %s_pow2i(k1) * %s_pow2i(k - k1);\n"
        "    return x != x ? x : s;\n"
        "}\n\n", p, p, p);
}

/* tanh: x + x^3 P(x^2) below 0.625 (Cephes), 1 - 2 / (e^(2|x|) + 1) above. */
static void tanhf_source(Buf *b, const char *p)
{
    buf_printf(b,
        "/* tanhf within 2 ulp over the whole float range, branch-free. */\n"
        "static inline float %s_tanhf(float x)\n"
        "{\n"
        "    const float a = fabsf(x), z = x * x;\n"
        "    float q = -5.70498872745e-3f;\n"
        "    q = q * z + 2.06390887954e-2f;\n"
        "    q = q * z - 5.37397155531e-2f;\n"
        "    q = q * z + 1.33314422036e-1f;\n"
        "    q = q * z - 3.33332819422e-1f;\n"
        "    const float small = x + x * z * q;\n"
        "    const float big = 1.0f - 2.0f / (%s_expf(2.0f * a) + 1.0f);\n"
        "    return a < 0.625f ? small : copysignf(big, x);\n"
        "}\n\n", p, p);
}

static void sigmoid_source(Buf *b, const char *p)
{
    buf_printf(b,
        "/* The logistic function from e = exp(-|v|): 1 / (1 + e), or e / (1 + e)\n"
        " * for v < 0, so it neither overflows nor loses small results. */\n"
        "static inline float %s_sigmoid(float v)\n"
        "{\n"
        "    const float e = %s_expf(-fabsf(v));\n"
        "    return (v >= 0.0f ? 1.0f : e) / (1.0f + e);\n"
        "}\n\n", p, p);
}

/* The same three functions on 8 floats with AVX2, operation for operation (no
 * fused multiply-adds), so a vector lane gives the scalar function's bits. */
static void vector_source(Buf *b, const char *p, bool tanh, bool sigmoid)
{
    buf_printf(b,
        "#if defined(__AVX2__) && defined(__FMA__)\n"
        "/* %s_expf on 8 lanes. */\n"
        "static inline __m256 %s_expf8(__m256 x)\n"
        "{\n"
        "    const __m256 lo = _mm256_max_ps(x, _mm256_set1_ps(-104.0f));\n"
        "    const __m256 xc = _mm256_min_ps(lo, _mm256_set1_ps(89.0f));\n"
        "    const __m256 n = _mm256_floor_ps(_mm256_add_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504089f)),\n"
        "                                                   _mm256_set1_ps(0.5f)));\n"
        "    const __m256 r = _mm256_add_ps(_mm256_sub_ps(xc, _mm256_mul_ps(n, _mm256_set1_ps(0.693359375f))),\n"
        "                                   _mm256_mul_ps(n, _mm256_set1_ps(2.12194440e-4f)));\n"
        "    __m256 q = _mm256_set1_ps(1.9875691500e-4f);\n"
        "    q = _mm256_add_ps(_mm256_mul_ps(q, r), _mm256_set1_ps(1.3981999507e-3f));\n"
        "    q = _mm256_add_ps(_mm256_mul_ps(q, r), _mm256_set1_ps(8.3334519073e-3f));\n"
        "    q = _mm256_add_ps(_mm256_mul_ps(q, r), _mm256_set1_ps(4.1665795894e-2f));\n"
        "    q = _mm256_add_ps(_mm256_mul_ps(q, r), _mm256_set1_ps(1.6666665459e-1f));\n"
        "    q = _mm256_add_ps(_mm256_mul_ps(q, r), _mm256_set1_ps(5.0000001201e-1f));\n"
        "    const __m256 e = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(q, r), r), r),\n"
        "                                   _mm256_set1_ps(1.0f));\n"
        "    const __m256i k = _mm256_cvttps_epi32(n);\n"
        "    const __m256i k1 = _mm256_srai_epi32(k, 1);   /* floor(k / 2) */\n"
        "    const __m256i bias = _mm256_set1_epi32(127);\n"
        "    const __m256 p1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, bias), 23));\n"
        "    const __m256 p2 = _mm256_castsi256_ps(\n"
        "        _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(k, k1), bias), 23));\n"
        "    const __m256 s = _mm256_mul_ps(_mm256_mul_ps(e, p1), p2);\n"
        "    return _mm256_blendv_ps(s, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));\n"
        "}\n\n", p, p);
    if (tanh)
        buf_printf(b,
            "/* %s_tanhf on 8 lanes. */\n"
            "static inline __m256 %s_tanhf8(__m256 x)\n"
            "{\n"
            "    const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);\n"
            "    const __m256 a = _mm256_andnot_ps(sign, x), z = _mm256_mul_ps(x, x);\n"
            "    __m256 q = _mm256_set1_ps(-5.70498872745e-3f);\n"
            "    q = _mm256_add_ps(_mm256_mul_ps(q, z), _mm256_set1_ps(2.06390887954e-2f));\n"
            "    q = _mm256_sub_ps(_mm256_mul_ps(q, z), _mm256_set1_ps(5.37397155531e-2f));\n"
            "    q = _mm256_add_ps(_mm256_mul_ps(q, z), _mm256_set1_ps(1.33314422036e-1f));\n"
            "    q = _mm256_sub_ps(_mm256_mul_ps(q, z), _mm256_set1_ps(3.33332819422e-1f));\n"
            "    const __m256 small = _mm256_add_ps(x, _mm256_mul_ps(_mm256_mul_ps(x, z), q));\n"
            "    const __m256 e = %s_expf8(_mm256_mul_ps(_mm256_set1_ps(2.0f), a));\n"
            "    const __m256 big = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));\n"
            "    const __m256 signed_big = _mm256_or_ps(_mm256_andnot_ps(sign, big), _mm256_and_ps(sign, x));\n"
            "    return _mm256_blendv_ps(signed_big, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));\n"
            "}\n\n", p, p, p);
    if (sigmoid)
        buf_printf(b,
            "/* %s_sigmoid on 8 lanes. */\n"
            "static inline __m256 %s_sigmoid8(__m256 v)\n"
            "{\n"
            "    const __m256 one = _mm256_set1_ps(1.0f);\n"
            "    const __m256 e = %s_expf8(_mm256_or_ps(v, _mm256_set1_ps(-0.0f)));\n"
            "    const __m256 num = _mm256_blendv_ps(e, one, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GE_OQ));\n"
            "    return _mm256_div_ps(num, _mm256_add_ps(one, e));\n"
            "}\n\n", p, p, p);
    buf_printf(b, "#endif\n\n");
}

/* The same on 16 floats with AVX-512F alone (its and/or/andnot on floats need
 * AVX-512DQ, so the sign work goes through the integer forms), operation for
 * operation as the scalar functions again. */
static void vector16_source(Buf *b, const char *p, bool tanh, bool sigmoid)
{
    buf_printf(b,
        "#if defined(__AVX512F__)\n"
        "#define %s_F16(v) _mm512_castsi512_ps(v)\n"
        "#define %s_I16(v) _mm512_castps_si512(v)\n"
        "/* %s_expf on 16 lanes. */\n"
        "static inline __m512 %s_expf16(__m512 x)\n"
        "{\n"
        "    const __m512 lo = _mm512_max_ps(x, _mm512_set1_ps(-104.0f));\n"
        "    const __m512 xc = _mm512_min_ps(lo, _mm512_set1_ps(89.0f));\n"
        "    const __m512 n = _mm512_roundscale_ps(_mm512_add_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504089f)),\n"
        "                                                        _mm512_set1_ps(0.5f)),\n"
        "                                          _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);\n"
        "    const __m512 r = _mm512_add_ps(_mm512_sub_ps(xc, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f))),\n"
        "                                   _mm512_mul_ps(n, _mm512_set1_ps(2.12194440e-4f)));\n"
        "    __m512 q = _mm512_set1_ps(1.9875691500e-4f);\n"
        "    q = _mm512_add_ps(_mm512_mul_ps(q, r), _mm512_set1_ps(1.3981999507e-3f));\n"
        "    q = _mm512_add_ps(_mm512_mul_ps(q, r), _mm512_set1_ps(8.3334519073e-3f));\n"
        "    q = _mm512_add_ps(_mm512_mul_ps(q, r), _mm512_set1_ps(4.1665795894e-2f));\n"
        "    q = _mm512_add_ps(_mm512_mul_ps(q, r), _mm512_set1_ps(1.6666665459e-1f));\n"
        "    q = _mm512_add_ps(_mm512_mul_ps(q, r), _mm512_set1_ps(5.0000001201e-1f));\n"
        "    const __m512 e = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(q, r), r), r),\n"
        "                                   _mm512_set1_ps(1.0f));\n"
        "    const __m512i k = _mm512_cvttps_epi32(n);\n"
        "    const __m512i k1 = _mm512_srai_epi32(k, 1);   /* floor(k / 2) */\n"
        "    const __m512i bias = _mm512_set1_epi32(127);\n"
        "    const __m512 p1 = %s_F16(_mm512_slli_epi32(_mm512_add_epi32(k1, bias), 23));\n"
        "    const __m512 p2 = %s_F16(_mm512_slli_epi32(_mm512_add_epi32(_mm512_sub_epi32(k, k1), bias), 23));\n"
        "    const __m512 s = _mm512_mul_ps(_mm512_mul_ps(e, p1), p2);\n"
        "    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), s, x);\n"
        "}\n\n", p, p, p, p, p, p);
    if (tanh)
        buf_printf(b,
            "/* %s_tanhf on 16 lanes. */\n"
            "static inline __m512 %s_tanhf16(__m512 x)\n"
            "{\n"
            "    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);\n"
            "    const __m512 one = _mm512_set1_ps(1.0f);\n"
            "    const __m512 a = %s_F16(_mm512_andnot_si512(sign, %s_I16(x))), z = _mm512_mul_ps(x, x);\n"
            "    __m512 q = _mm512_set1_ps(-5.70498872745e-3f);\n"
            "    q = _mm512_add_ps(_mm512_mul_ps(q, z), _mm512_set1_ps(2.06390887954e-2f));\n"
            "    q = _mm512_sub_ps(_mm512_mul_ps(q, z), _mm512_set1_ps(5.37397155531e-2f));\n"
            "    q = _mm512_add_ps(_mm512_mul_ps(q, z), _mm512_set1_ps(1.33314422036e-1f));\n"
            "    q = _mm512_sub_ps(_mm512_mul_ps(q, z), _mm512_set1_ps(3.33332819422e-1f));\n"
            "    const __m512 small = _mm512_add_ps(x, _mm512_mul_ps(_mm512_mul_ps(x, z), q));\n"
            "    const __m512 e = %s_expf16(_mm512_mul_ps(_mm512_set1_ps(2.0f), a));\n"
            "    const __m512 big = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));\n"
            "    const __m512 signed_big = %s_F16(_mm512_or_si512(_mm512_andnot_si512(sign, %s_I16(big)),\n"
            "                                                    _mm512_and_si512(sign, %s_I16(x))));\n"
            "    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, _mm512_set1_ps(0.625f), _CMP_LT_OQ),\n"
            "                                signed_big, small);\n"
            "}\n\n", p, p, p, p, p, p, p, p);
    if (sigmoid)
        buf_printf(b,
            "/* %s_sigmoid on 16 lanes. */\n"
            "static inline __m512 %s_sigmoid16(__m512 v)\n"
            "{\n"
            "    const __m512 one = _mm512_set1_ps(1.0f);\n"
            "    const __m512 e = %s_expf16(%s_F16(_mm512_or_si512(%s_I16(v), _mm512_set1_epi32((int)0x80000000u))));\n"
            "    const __m512 num = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GE_OQ), e, one);\n"
            "    return _mm512_div_ps(num, _mm512_add_ps(one, e));\n"
            "}\n\n", p, p, p, p, p);
    buf_printf(b, "#endif\n\n");
}

void fastmath_source(Buf *out, const char *prefix, bool exp, bool exp8, bool tanh, bool sigmoid)
{
    if (exp || tanh || sigmoid) {
        pow2i(out, prefix);
        expf_source(out, prefix);
    }
    if (tanh)
        tanhf_source(out, prefix);
    if (sigmoid)
        sigmoid_source(out, prefix);
    if (exp8 || tanh || sigmoid)
        vector_source(out, prefix, tanh, sigmoid);
    if (tanh || sigmoid)
        vector16_source(out, prefix, tanh, sigmoid);
}

void emit_fastmath_helpers(Emitter *e)
{
    if (e->dbl)
        return;
    fastmath_source(e->cur, e->p, e->need_fexp, e->need_fexp8, e->need_ftanh, e->need_sigmoid);
}
