/* examples/embed/main.c: using a generated network from a plain C program.
 * `netc build specs/xor.net` wrote xor.h / xor.c (the network, standalone) and
 * xor_netrt.c (its descriptor); `netc train` wrote the weights file this
 * program loads with libnetrt. Then inference is one call, with buffers the
 * program owns: no allocation, no globals. */
#include <stdio.h>

#include "netrt.h"
#include "xor.h"

extern const NetrtModel xor_model;      /* defined in xor_netrt.c */

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "xor.weights";
    xor_real params[XOR_NUM_PARAMS];
    if (netrt_weights_load(&xor_model, params, path) != 0)
        return 1;

    enum { N = 4 };
    const xor_real x[N][XOR_INPUT_SIZE] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    xor_real y[N][XOR_OUTPUT_SIZE];
    xor_real work[XOR_WORK_SIZE(N)];
    xor_forward(&y[0][0], params, &x[0][0], N, work);

    int correct = 0;
    for (int i = 0; i < N; i++) {
        int want = (int)x[i][0] ^ (int)x[i][1];
        int got = y[i][0] >= 0.5;
        correct += got == want;
        printf("xor(%g, %g) = %.4f -> %d\n", (double)x[i][0], (double)x[i][1], (double)y[i][0], got);
    }
    printf("%d of %d correct\n", correct, N);
    return correct == N ? 0 : 1;
}
