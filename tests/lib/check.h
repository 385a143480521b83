/* check.h: the unit tests' assertions. Each failed check prints file:line and
 * the expression; check_summary() prints one line and gives main's exit code. */
#ifndef TEST_CHECK_H
#define TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_total, check_failed;

static inline int check_report(int ok, const char *file, int line, const char *expr)
{
    check_total++;
    if (!ok) {
        check_failed++;
        fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
    }
    return ok;
}

#define CHECK(cond) check_report(!!(cond), __FILE__, __LINE__, #cond)

#define CHECK_EQ_INT(a, b) do { \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
        if (!check_report(check_a_ == check_b_, __FILE__, __LINE__, #a " == " #b)) \
            fprintf(stderr, "    %lld != %lld\n", check_a_, check_b_); \
    } while (0)

#define CHECK_NEAR(a, b, tol) do { \
        double check_a_ = (double)(a), check_b_ = (double)(b); \
        if (!check_report(fabs(check_a_ - check_b_) <= (tol), __FILE__, __LINE__, \
                          "|" #a " - " #b "| <= " #tol)) \
            fprintf(stderr, "    %.17g vs %.17g (diff %.3g)\n", check_a_, check_b_, \
                    fabs(check_a_ - check_b_)); \
    } while (0)

/* haystack contains needle; prints the haystack when it does not. */
#define CHECK_CONTAINS(hay, needle) do { \
        const char *check_h_ = (hay); \
        if (!check_report(check_h_ && strstr(check_h_, (needle)) != NULL, __FILE__, __LINE__, \
                          #hay " contains " #needle)) \
            fprintf(stderr, "    in: %s\n", check_h_ ? check_h_ : "(null)"); \
    } while (0)

/* Prints `name: N checks, F failed` and returns main's exit status. */
static inline int check_summary(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_total, check_failed);
    return check_failed != 0;
}

#endif
