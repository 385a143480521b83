/* examples/embed/infer.c: the same XOR network as main.c, without the runtime.
 * `netc export specs/xor.net --weights xor.weights` wrote xor_infer.h /
 * xor_infer.c (the forward pass) and xor_weights.c (the trained weights as
 * constant arrays), so this program needs no weights file, no libnetrt and no
 * allocation: only the three generated files and <math.h>. The spec says
 * `precision double`, so predict takes and returns doubles. */
#include <stdio.h>

#include "xor_infer.h"

int main(void)
{
    enum { N = 4 };
    const double x[N][XOR_INPUT_SIZE] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    double y[N][XOR_OUTPUT_SIZE];
    xor_predict_batch(&x[0][0], &y[0][0], N);

    int correct = 0;
    for (int i = 0; i < N; i++) {
        int want = (int)x[i][0] ^ (int)x[i][1];
        int got = y[i][0] >= 0.5;
        correct += got == want;
        printf("xor(%g, %g) = %.4f -> %d\n", x[i][0], x[i][1], y[i][0], got);
    }
    printf("%d of %d correct (exported: no runtime, %d bytes of stack)\n", correct, N,
           XOR_STACK_BYTES);
    return correct == N ? 0 : 1;
}
