#!/bin/bash
# tests/fuzz/run.sh B: what fuzzing found stays fixed, without libFuzzer.
# - every input in tests/fuzz/crashes/ (spec_* through `netc build`, weights_*
#   through `netc weights dump`) is refused or accepted cleanly: exit 0 or 1
#   within 30 s, never a signal or an internal error (70);
# - every spec of tests/fuzz/corpus/ (accepted specs the fuzzers generated;
#   tests/golden/run.sh does specs/) builds, and all the generated C compiles
#   under gcc and clang with the strict flags and -Werror (werror.sh).
B=${1:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
NETC=$B/netc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in tests/fuzz/crashes/*; do
    [ -f "$f" ] || continue
    name=fuzz/crash-$(basename "$f")
    case $(basename "$f") in
        weights_*) timeout 30 "$NETC" weights dump "$f" > /dev/null 2> "$tmp/err" ;;
        *) timeout 30 "$NETC" build "$f" -o "$tmp/crash" > /dev/null 2> "$tmp/err" ;;
    esac
    rc=$?
    if [ $rc -le 1 ]; then echo "ok   $name (exit $rc)"
    else head -c 600 "$tmp/err"; echo "FAIL $name: exit status $rc"; fi
done

tests/fuzz/werror.sh "$B" tests/fuzz/corpus
