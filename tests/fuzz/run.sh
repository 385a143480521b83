#!/bin/bash
# tests/fuzz/run.sh B: what fuzzing found stays fixed, without libFuzzer.
# - every input in tests/fuzz/crashes/ (spec_* through `netc build`, weights_*
#   through `netc weights dump`) is refused or accepted cleanly: exit 0 or 1
#   within 30 s, never a signal or an internal error (70);
# - the runtime readers' targets (fuzz_csv, fuzz_idx, fuzz_checkpoint) are built
#   with a plain main (replay.c) against B/libnetrt.a, and their crashes
#   (csv_*, idx_*, checkpoint_*) and seeds run through the very harness:
#   exit 0 within 30 s (the harness aborts when a loaded file breaks an invariant);
# - every spec of tests/fuzz/corpus/ (accepted specs the fuzzers generated;
#   tests/golden/run.sh does specs/) builds, and all the generated C compiles
#   under gcc and clang with the strict flags and -Werror (werror.sh).
B=${1:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
NETC=$B/netc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# replay TARGET: builds the target's harness with replay.c into $tmp/replay_TARGET.
replay_build() {
    ${CC:-cc} -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -g -Iruntime \
        -o "$tmp/replay_$1" "tests/fuzz/fuzz_$1.c" tests/fuzz/replay.c "$B/libnetrt.a" -lz -lm \
        2> "$tmp/err"
}
for t in csv idx checkpoint; do
    if ! replay_build $t; then
        head -20 "$tmp/err"; echo "FAIL fuzz/replay-$t: the harness does not build"; continue
    fi
    timeout 60 "$tmp/replay_$t" tests/fuzz/${t}_seeds/* > /dev/null 2> "$tmp/err"
    rc=$?
    if [ $rc -eq 0 ]; then echo "ok   fuzz/seeds-$t ($(ls tests/fuzz/${t}_seeds | wc -l) files)"
    else tail -c 600 "$tmp/err"; echo "FAIL fuzz/seeds-$t: exit status $rc"; fi
done

for f in tests/fuzz/crashes/*; do
    [ -f "$f" ] || continue
    name=fuzz/crash-$(basename "$f")
    case $(basename "$f") in
        csv_*|idx_*|checkpoint_*)
            timeout 30 "$tmp/replay_$(basename "$f" | cut -d_ -f1)" "$f" > /dev/null 2> "$tmp/err"
            rc=$?
            if [ $rc -eq 0 ]; then echo "ok   $name"
            else tail -c 600 "$tmp/err"; echo "FAIL $name: exit status $rc"; fi
            continue ;;
        weights_*) timeout 30 "$NETC" weights dump "$f" > /dev/null 2> "$tmp/err" ;;
        *) timeout 30 "$NETC" build "$f" -o "$tmp/crash" > /dev/null 2> "$tmp/err" ;;
    esac
    rc=$?
    if [ $rc -le 1 ]; then echo "ok   $name (exit $rc)"
    else head -c 600 "$tmp/err"; echo "FAIL $name: exit status $rc"; fi
done

tests/fuzz/werror.sh "$B" tests/fuzz/corpus specs bench/specs tests/golden examples
