/* arena.c: bump allocator in chained blocks; see arena.h. */
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef union {
    long double ld;
    long long ll;
    void *p;
    double d;
} MaxAlign;

struct ArenaBlock {
    ArenaBlock *next;
    size_t used, cap;
    MaxAlign data[];    /* cap bytes follow */
};

enum { BLOCK_MIN = 64 * 1024 };

static size_t align_up(size_t n)
{
    size_t a = sizeof(MaxAlign);
    return (n + a - 1) / a * a;
}

void *arena_alloc(Arena *a, size_t size)
{
    size = align_up(size ? size : 1);
    ArenaBlock *b = a->head;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > BLOCK_MIN ? size : BLOCK_MIN;
        b = malloc(sizeof *b + cap);
        if (!b) {
            fprintf(stderr, "netc: out of memory (asked for %zu bytes)\n", size);
            exit(70);
        }
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

void arena_free_all(Arena *a)
{
    ArenaBlock *b = a->head;
    while (b) {
        ArenaBlock *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(Arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(Arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void arena_grow(Arena *a, void **items, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return;
    int ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    void *p = arena_alloc(a, (size_t)ncap * elem);
    if (*items)
        memcpy(p, *items, (size_t)*cap * elem);
    *items = p;
    *cap = ncap;
}
