/* driver.h: what the robust drivers compiled against one generated network
 * share. Include after NET_H (-DNET=prefix -DNETU=PREFIX): the prefixed names
 * P(_loss_grad) and U(_NUM_PARAMS), the network's real type, and a
 * deterministic fill. */
#ifndef ROBUST_DRIVER_H
#define ROBUST_DRIVER_H

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define P(name) CAT(NET, name)
#define U(name) CAT(NETU, name)
typedef P(_real) real;

/* A deterministic fill in [-1, 1). */
static real value(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (real)((double)(*s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

#endif
