/* emit_fastmath.c: exp, tanh and sigmoid for the float fast path, emitted as
 * branch-free C (so loops that call them vectorize without -ffast-math), with
 * AVX2 and AVX-512 versions that give the scalar functions' bits. Each is
 * within 2 ulp of the correctly rounded result over the whole float range
 * (tests/unit/test_fastmath.c sweeps it against libm in double; `make ulp`
 * checks every float).
 *
 * A single sample waits on the chain of dependent operations inside these
 * functions, so the polynomials use Estrin's scheme (the degree-5 one of exp is
 * 3 multiply-adds deep instead of 5, which took a third off its latency), and
 * each multiply-add is fused where the CPU can: NAME_fma is fmaf, one
 * instruction, wherever __FMA__ is defined, and so wherever the vector forms
 * (fmadd) are built, so each build's scalar and vector forms give the same
 * bits; a build without FMA rounds the product and the sum separately, and
 * both kinds of build are checked against the bounds below. Every other
 * operation is its own statement. Double-precision networks and gradient
 * checks use libm. */
#include "emit.h"

#include <stdio.h>
#include <string.h>

/* exp(r) = 1 + r + r^2 Q(r) on |r| <= ln(2)/2 (Cephes' coefficients). */
#define EXP_Q0 "5.0000001201e-1f"
#define EXP_Q1 "1.6666665459e-1f"
#define EXP_Q2 "4.1665795894e-2f"
#define EXP_Q3 "8.3334519073e-3f"
#define EXP_Q4 "1.3981999507e-3f"
#define EXP_Q5 "1.9875691500e-4f"
/* ln(2) in two parts for the reduction (Cody and Waite): 0.693359375 - 2.12194440e-4. */
#define LN2_HI "0.693359375f"
#define LN2_LO "2.12194440e-4f"
#define LOG2E "1.44269504089f"
/* tanh(x) = x + x^3 P(x^2) for |x| < 0.625 (Cephes). */
#define TANH_P4 "-5.70498872745e-3f"
#define TANH_P3 "2.06390887954e-2f"
#define TANH_P2 "5.37397155531e-2f"     /* subtracted */
#define TANH_P1 "1.33314422036e-1f"
#define TANH_P0 "3.33332819422e-1f"     /* subtracted */

/* ---- scalar ---- */

/* 2^k for k in [-126, 127], from the exponent bits. */
static void scalar_fma(Buf *b, const char *p)
{
    buf_printf(b,
        "/* a * b + c, rounded once where the CPU has fused multiply-add (as the vector\n"
        " * forms' fmadd rounds it), twice elsewhere. */\n"
        "static inline float %s_fma(float a, float b, float c)\n"
        "{\n"
        "#if defined(__FMA__)\n"
        "    return fmaf(a, b, c);\n"
        "#else\n"
        "    return a * b + c;\n"
        "#endif\n"
        "}\n\n", p);
}

static void scalar_pow2i(Buf *b, const char *p)
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

/* exp's steps shared by expf and tanhf, from xl (arg / ln 2) to e1 = e^r - 1:
 * n = xl rounded to nearest, r = arg - n ln 2 in two parts (Cody and Waite),
 * and the polynomial. */
static void scalar_exp_core(Buf *b, const char *p, const char *arg)
{
    buf_printf(b,
        "    const float n = rintf(xl);     /* to nearest, as the vector forms round */\n"
        "    const float rh = %s_fma(-n, " LN2_HI ", %s);   /* n * ln2_hi is exact */\n"
        "    const float r = %s_fma(n, " LN2_LO ", rh);\n"
        "    const float r2 = r * r;\n"
        "    const float r4 = r2 * r2;\n"
        "    const float pa = %s_fma(" EXP_Q1 ", r, " EXP_Q0 ");\n"
        "    const float pb = %s_fma(" EXP_Q3 ", r, " EXP_Q2 ");\n"
        "    const float pc = %s_fma(" EXP_Q5 ", r, " EXP_Q4 ");\n"
        "    const float pab = %s_fma(pb, r2, pa);\n"
        "    const float pq = %s_fma(pc, r4, pab);\n"
        "    const float e1 = %s_fma(pq, r2, r);     /* e^r - 1 */\n", p, arg, p, p, p, p, p, p, p);
}

/* exp(x) = 2^n exp(r): n = x / ln 2 rounded to nearest (rintf: one instruction
 * with SSE4.1, no 1/2 to add first), r = x - n ln 2 in two parts, exp(r)
 * by the polynomial, 2^n applied as two factors so results that underflow to
 * subnormals are rounded once. */
static void scalar_expf(Buf *b, const char *p)
{
    buf_printf(b,
        "/* expf within 2 ulp over the whole float range, branch-free. */\n"
        "static inline float %s_expf(float x)\n"
        "{\n"
        "    const float lo = x >= -104.0f ? x : -104.0f;     /* NaN becomes -104 here */\n"
        "    const float xc = lo > 89.0f ? 89.0f : lo;\n"
        "    const float xl = xc * " LOG2E ";\n", p);
    scalar_exp_core(b, p, "xc");
    buf_printf(b,
        "    const float e = e1 + 1.0f;\n"
        "    const int k = (int)n, k1 = (int)((unsigned int)(k + 256) >> 1) - 128;   /* floor(k / 2) */\n"
        "    const float s1 = e * %s_pow2i(k1);\n"
        "    const float s = s1 * %s_pow2i(k - k1);\n"
        "    return x != x ? x : s;\n"
        "}\n\n", p, p);
}

/* tanh: a + a^3 P(a^2) below 0.625, 1 - 2 / (e^(2a) + 1) above, on a = |x|, with
 * x's sign put back last (so tanh(-0) is -0). The exponential is inlined and
 * cut to what tanh needs, which shortens the chain a single sample waits on by
 * about a quarter: 2a is clamped to 20 (tanh is 1.0f from 9.01 on), so 2^n is
 * one factor and there is no low clamp; e^(2a) + 1 is one multiply-add from
 * e^r - 1; a NaN falls to the small branch, which returns it. */
static void scalar_tanhf(Buf *b, const char *p)
{
    buf_printf(b,
        "/* tanhf within 2 ulp over the whole float range, branch-free. */\n"
        "static inline float %s_tanhf(float x)\n"
        "{\n"
        "    const float a = fabsf(x), z = a * a;\n"
        "    float q = " TANH_P4 ";\n"
        "    q = %s_fma(q, z, " TANH_P3 ");\n"
        "    q = %s_fma(q, z, -" TANH_P2 ");\n"
        "    q = %s_fma(q, z, " TANH_P1 ");\n"
        "    q = %s_fma(q, z, -" TANH_P0 ");\n"
        "    const float az = a * z;\n"
        "    const float small = %s_fma(az, q, a);\n"
        "    const float ac = a < 10.0f ? a : 10.0f;     /* NaN becomes 10 here */\n"
        "    const float xl = ac * (2.0f * " LOG2E ");\n", p, p, p, p, p, p);
    scalar_exp_core(b, p, "ac + ac");
    buf_printf(b,
        "    const float s = %s_pow2i((int)n);     /* 2^n, n <= 29 */\n"
        "    const float d = %s_fma(e1, s, s + 1.0f);     /* e^(2a) + 1 */\n"
        "    const float big = 1.0f - 2.0f / d;\n"
        "    return copysignf(a >= 0.625f ? big : small, x);\n"
        "}\n\n", p, p);
}

static void scalar_sigmoid(Buf *b, const char *p)
{
    buf_printf(b,
        "/* The logistic function from e = exp(-|v|): 1 / (1 + e), or e / (1 + e)\n"
        " * for v < 0, so it neither overflows nor loses small results. */\n"
        "static inline float %s_sigmoid(float v)\n"
        "{\n"
        "    const float e = %s_expf(-fabsf(v));\n"
        "    const float d = 1.0f + e;\n"
        "    return (v >= 0.0f ? 1.0f : e) / d;\n"
        "}\n\n", p, p);
}

/* ---- vector: the same functions on 8 (AVX2) or 16 (AVX-512F) lanes ---- */

typedef struct {
    const char *pre;    /* intrinsic prefix */
    const char *width;  /* bits, as in _mm512_castsi512_ps */
    const char *vf;     /* float vector */
    const char *vi;     /* integer vector */
    const char *mask;   /* a comparison's result */
    const char *cmp;    /* the comparison */
    const char *n;      /* lanes */
    const char *round;  /* xl rounded to nearest, as rintf rounds it */
    bool bitmask;       /* selects take a bit mask first (AVX-512) */
} Isa;

/* AVX-512 rounds by adding and subtracting 1.5 * 2^23 (rintf's result for
 * |xl| < 2^22; here |xl| < 151): gcc 12's _mm512_roundscale_ps is a macro at
 * -O0 that passes -1 as an unsigned mask, which -Wconversion rejects. */
static const Isa avx2 = {"_mm256", "256", "__m256", "__m256i", "__m256", "_mm256_cmp_ps", "8",
                         "_mm256_round_ps(xl, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)",
                         false};
static const Isa avx512 = {"_mm512", "512", "__m512", "__m512i", "__mmask16", "_mm512_cmp_ps_mask",
                           "16",
                           "_mm512_sub_ps(_mm512_add_ps(xl, _mm512_set1_ps(12582912.0f)),\n"
                           "        _mm512_set1_ps(12582912.0f))",
                           true};

/* Appends the select m ? t : f in the ISA's form; args is "m, f, t)" (names).
 * Returns what follows it. */
static const char *put_select(Buf *b, const Isa *v, const char *args)
{
    char m[32] = "", f[32] = "", t[32] = "";
    int used = 0;
    sscanf(args, " %31[^, ] , %31[^, ] , %31[^) ])%n", m, f, t, &used);
    if (v->bitmask)
        buf_printf(b, "%s_mask_blend_ps(%s, %s, %s)", v->pre, m, f, t);
    else
        buf_printf(b, "%s_blendv_ps(%s, %s, %s)", v->pre, f, t, m);
    return args + used;     /* a malformed template shows in the output, which the unit test compiles */
}

/* Copies a template, expanding $P (intrinsic prefix), $W (width), $V, $I, $M
 * (types), $C (comparison), $N (lanes), $R (xl rounded), $p (the network prefix) and
 * $S(m, f, t) (t in the lanes where mask m is set, f elsewhere); $R is the
 * rounding of xl. */
static void vec_source(Buf *b, const Isa *v, const char *p, const char *t)
{
    for (;;) {
        const char *d = strchr(t, '$');
        size_t plain = d ? (size_t)(d - t) : strlen(t);
        buf_printf(b, "%.*s", (int)plain, t);
        if (!d)
            return;
        t = d + 2;
        switch (d[1]) {
        case 'P': buf_printf(b, "%s", v->pre); break;
        case 'W': buf_printf(b, "%s", v->width); break;
        case 'V': buf_printf(b, "%s", v->vf); break;
        case 'I': buf_printf(b, "%s", v->vi); break;
        case 'M': buf_printf(b, "%s", v->mask); break;
        case 'C': buf_printf(b, "%s", v->cmp); break;
        case 'N': buf_printf(b, "%s", v->n); break;
        case 'R': buf_printf(b, "%s", v->round); break;
        case 'p': buf_printf(b, "%s", p); break;
        case 'S': t = put_select(b, v, t + 1); break;
        default: buf_printf(b, "%.2s", d); break;
        }
    }
}

/* scalar_exp_core on vectors; arg may hold template codes. */
static void vector_exp_core(Buf *b, const Isa *v, const char *p, const char *arg)
{
    char t[1024];
    snprintf(t, sizeof t,
        "    const $V n = $R;\n"
        "    const $V r = $P_fmadd_ps(n, $P_set1_ps(" LN2_LO "),\n"
        "        $P_fnmadd_ps(n, $P_set1_ps(" LN2_HI "), %s));\n"
        "    const $V r2 = $P_mul_ps(r, r);\n"
        "    const $V r4 = $P_mul_ps(r2, r2);\n"
        "    const $V pa = $P_fmadd_ps($P_set1_ps(" EXP_Q1 "), r, $P_set1_ps(" EXP_Q0 "));\n"
        "    const $V pb = $P_fmadd_ps($P_set1_ps(" EXP_Q3 "), r, $P_set1_ps(" EXP_Q2 "));\n"
        "    const $V pc = $P_fmadd_ps($P_set1_ps(" EXP_Q5 "), r, $P_set1_ps(" EXP_Q4 "));\n"
        "    const $V pq = $P_fmadd_ps(pc, r4, $P_fmadd_ps(pb, r2, pa));\n"
        "    const $V e1 = $P_fmadd_ps(pq, r2, r);     /* e^r - 1 */\n", arg);
    vec_source(b, v, p, t);
}

static void vector_expf(Buf *b, const Isa *v, const char *p)
{
    vec_source(b, v, p,
        "/* $p_expf on $N lanes, operation for operation. */\n"
        "static inline $V $p_expf$N($V x)\n"
        "{\n"
        "    const $V lo = $P_max_ps(x, $P_set1_ps(-104.0f));\n"
        "    const $V xc = $P_min_ps(lo, $P_set1_ps(89.0f));\n"
        "    const $V xl = $P_mul_ps(xc, $P_set1_ps(" LOG2E "));\n");
    vector_exp_core(b, v, p, "xc");
    vec_source(b, v, p,
        "    const $V e = $P_add_ps(e1, $P_set1_ps(1.0f));\n"
        "    const $I k = $P_cvttps_epi32(n);\n"
        "    const $I k1 = $P_srai_epi32(k, 1);   /* floor(k / 2) */\n"
        "    const $I bias = $P_set1_epi32(127);\n"
        "    const $V p1 = $P_castsi$W_ps($P_slli_epi32($P_add_epi32(k1, bias), 23));\n"
        "    const $V p2 = $P_castsi$W_ps(\n"
        "        $P_slli_epi32($P_add_epi32($P_sub_epi32(k, k1), bias), 23));\n"
        "    const $V s = $P_mul_ps($P_mul_ps(e, p1), p2);\n"
        "    const $M nan = $C(x, x, _CMP_UNORD_Q);\n"
        "    return $S(nan, s, x);\n"
        "}\n\n");
}

/* The sign bit work goes through the integer forms: AVX-512F alone has no
 * and/or on floats (they need AVX-512DQ). */
static void vector_tanhf(Buf *b, const Isa *v, const char *p)
{
    vec_source(b, v, p,
        "/* $p_tanhf on $N lanes, operation for operation. */\n"
        "static inline $V $p_tanhf$N($V x)\n"
        "{\n"
        "    const $I sign = $P_set1_epi32((int)0x80000000u);\n"
        "    const $V one = $P_set1_ps(1.0f);\n"
        "    const $V a = $P_castsi$W_ps($P_andnot_si$W(sign, $P_castps_si$W(x)));\n"
        "    const $V z = $P_mul_ps(a, a);\n"
        "    $V q = $P_set1_ps(" TANH_P4 ");\n"
        "    q = $P_fmadd_ps(q, z, $P_set1_ps(" TANH_P3 "));\n"
        "    q = $P_fmsub_ps(q, z, $P_set1_ps(" TANH_P2 "));\n"
        "    q = $P_fmadd_ps(q, z, $P_set1_ps(" TANH_P1 "));\n"
        "    q = $P_fmsub_ps(q, z, $P_set1_ps(" TANH_P0 "));\n"
        "    const $V small = $P_fmadd_ps($P_mul_ps(a, z), q, a);\n"
        "    const $V ac = $P_min_ps(a, $P_set1_ps(10.0f));   /* NaN becomes 10 here */\n"
        "    const $V xl = $P_mul_ps(ac, $P_set1_ps(2.0f * " LOG2E "));\n");
    vector_exp_core(b, v, p, "$P_add_ps(ac, ac)");
    vec_source(b, v, p,
        "    const $V s = $P_castsi$W_ps($P_slli_epi32(\n"
        "        $P_add_epi32($P_cvttps_epi32(n), $P_set1_epi32(127)), 23));     /* 2^n */\n"
        "    const $V d = $P_fmadd_ps(e1, s, $P_add_ps(s, one));     /* e^(2a) + 1 */\n"
        "    const $V big = $P_sub_ps(one, $P_div_ps($P_set1_ps(2.0f), d));\n"
        "    const $M near0 = $C(a, $P_set1_ps(0.625f), _CMP_NGE_UQ);   /* or NaN */\n"
        "    const $V t = $S(near0, big, small);\n"
        "    /* t >= 0 (or NaN), so x's sign bit xor'ed in is copysignf */\n"
        "    return $P_castsi$W_ps($P_xor_si$W($P_castps_si$W(t), $P_and_si$W(sign, $P_castps_si$W(x))));\n"
        "}\n\n");
}

static void vector_sigmoid(Buf *b, const Isa *v, const char *p)
{
    vec_source(b, v, p,
        "/* $p_sigmoid on $N lanes, operation for operation. */\n"
        "static inline $V $p_sigmoid$N($V v)\n"
        "{\n"
        "    const $V one = $P_set1_ps(1.0f);\n"
        "    const $I sign = $P_set1_epi32((int)0x80000000u);\n"
        "    const $V e = $p_expf$N($P_castsi$W_ps($P_or_si$W($P_castps_si$W(v), sign)));   /* -|v| */\n"
        "    const $M pos = $C(v, $P_setzero_ps(), _CMP_GE_OQ);\n"
        "    const $V num = $S(pos, e, one);\n"
        "    return $P_div_ps(num, $P_add_ps(one, e));\n"
        "}\n\n");
}

static void vector_source(Buf *b, const Isa *v, const char *p, bool exp, bool tanh, bool sigmoid)
{
    if (exp || sigmoid)
        vector_expf(b, v, p);
    if (tanh)
        vector_tanhf(b, v, p);
    if (sigmoid)
        vector_sigmoid(b, v, p);
}

void fastmath_source(Buf *out, const char *prefix, bool exp, bool exp8, bool tanh, bool sigmoid,
                     bool vtanh, bool vsigmoid)
{
    if (exp || tanh || sigmoid) {
        scalar_fma(out, prefix);
        scalar_pow2i(out, prefix);
    }
    if (exp || sigmoid)
        scalar_expf(out, prefix);
    if (tanh)
        scalar_tanhf(out, prefix);
    if (sigmoid)
        scalar_sigmoid(out, prefix);
    if (exp8 || vtanh || vsigmoid) {
        buf_printf(out, "#if defined(__AVX2__) && defined(__FMA__)\n");
        vector_source(out, &avx2, prefix, exp8, vtanh, vsigmoid);
        buf_printf(out, "#endif\n\n");
    }
    if (vtanh || vsigmoid) {
        buf_printf(out, "#if defined(__AVX512F__)\n");
        vector_source(out, &avx512, prefix, false, vtanh, vsigmoid);
        buf_printf(out, "#endif\n\n");
    }
}

void emit_fastmath_helpers(Emitter *e)
{
    if (e->dbl)
        return;
    fastmath_source(e->cur, e->p, e->need_fexp, e->need_fexp8, e->need_ftanh, e->need_sigmoid,
                    e->need_vtanh, e->need_vsigmoid);
    if (e->need_vtanh || e->need_vsigmoid) {
        emit_line(e, "/* The sigmoid and tanh layers' kernels are inlined where they are called. */");
        emit_gnuc_define(e, "INLINE", " __attribute__((always_inline))", "");
    }
}
