/* replay.c: runs a fuzz target's LLVMFuzzerTestOneInput on files, without
 * libFuzzer, so the fuzz test group replays saved crashes through the very
 * harness that found them (tests/fuzz/run.sh builds it with each target). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole file in a malloc'd buffer (libFuzzer also hands over exact-size copies). */
static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    if (!f || !buf) {
        perror(path);
        exit(1);
    }
    for (size_t got; (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap && !(buf = realloc(buf, cap *= 2)))
            exit(1);
    }
    fclose(f);
    *size = n;
    return buf;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        size_t n;
        uint8_t *data = read_all(argv[i], &n);
        uint8_t *exact = malloc(n ? n : 1);
        if (!exact)
            return 1;
        for (size_t j = 0; j < n; j++)
            exact[j] = data[j];
        free(data);
        LLVMFuzzerTestOneInput(exact, n);
        free(exact);
    }
    return 0;
}
