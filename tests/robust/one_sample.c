/* one_sample.c: an unrolled network's forward pass (its layers' one-sample
 * functions, vector forms included) against the same network's blocked
 * kernels. Compiled against two builds of one spec under two names:
 * -DU=unrolled prefix -DUU=its upper case, -DG=blocked prefix -DGU=...,
 * -DU_H='"u.h"' -DG_H='"g.h"'. From the same parameters and inputs, every
 * output of U_forward must be within TOL of G_forward's (two independent
 * code paths: different summation orders, so not bit for bit), and U_forward
 * on one sample must give exactly the bits of the same sample inside a batch
 * (both go through the one-sample functions). Exit 0 and "ok". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include U_H
#include G_H

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
typedef CAT(U, _real) real;

enum { B = 13, IN = CAT(UU, _INPUT_SIZE), OUT = CAT(UU, _OUTPUT_SIZE), NP = CAT(UU, _NUM_PARAMS) };
#define TOL (sizeof(real) == 4 ? 2e-5 : 1e-12)

static real value(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (real)((double)(*s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

int main(void)
{
    static real p[NP], x[B * IN], yu[B * OUT], yg[B * OUT], y1[OUT];
    static real wu[CAT(UU, _WORK_SIZE)(B)], wg[CAT(GU, _WORK_SIZE)(B)];
    unsigned long long s = 42;
    int bad = 0;
    if (CAT(GU, _NUM_PARAMS) != NP) {
        fprintf(stderr, "the two builds differ in parameters\n");
        return 1;
    }
    for (int k = 0; k < NP; k++)
        p[k] = value(&s);
    for (int k = 0; k < B * IN; k++)
        x[k] = 2 * value(&s);
    CAT(U, _forward)(yu, p, x, B, wu);
    CAT(G, _forward)(yg, p, x, B, wg);
    for (int k = 0; k < B * OUT; k++)
        if (!(fabs((double)yu[k] - (double)yg[k]) <= TOL * (1 + fabs((double)yg[k])))) {
            fprintf(stderr, "y[%d][%d]: unrolled %.9g, blocked %.9g\n", k / OUT, k % OUT,
                    (double)yu[k], (double)yg[k]);
            bad = 1;
        }
    for (int n = 0; n < B; n++) {
        CAT(U, _forward)(y1, p, x + n * IN, 1, wu);
        if (memcmp(y1, yu + n * OUT, sizeof y1) != 0) {
            fprintf(stderr, "sample %d alone differs from the same sample in a batch\n", n);
            bad = 1;
        }
    }
    puts(bad ? "FAIL" : "ok");
    return bad;
}
