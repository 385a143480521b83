/* arena.h: the compiler's only allocator. One arena per compilation, freed in one call.
 * Memory is zeroed and aligned for any scalar; nothing is freed individually. */
#ifndef NETC_ARENA_H
#define NETC_ARENA_H

#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct {
    ArenaBlock *head;   /* newest block; blocks are chained to the oldest */
} Arena;

void *arena_alloc(Arena *a, size_t size);
void arena_free_all(Arena *a);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_strdup(Arena *a, const char *s);
char *arena_printf(Arena *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Grows *items (element size elem) so it can hold at least need elements. *cap is
 * the current capacity; old copies are abandoned in the arena (doubling bounds the waste). */
void arena_grow(Arena *a, void **items, int *cap, int need, size_t elem);

/* Appends one pointer to a growable pointer array. */
#define ARENA_PUSH(a, arr, count, cap, value)                                        \
    do {                                                                             \
        arena_grow((a), (void **)&(arr), &(cap), (count) + 1, sizeof *(arr));        \
        (arr)[(count)++] = (value);                                                  \
    } while (0)

#endif
