#!/bin/bash
# tests/fuzz/run.sh B: what fuzzing found stays fixed, without libFuzzer.
# - every input in tests/fuzz/crashes/ (spec_* through `netc build`, weights_*
#   through `netc weights dump`) is refused or accepted cleanly: exit 0 or 1
#   within 30 s, never a signal or an internal error (70);
# - every spec of tests/fuzz/corpus/ (accepted specs the fuzzers generated;
#   tests/golden/run.sh does specs/) builds, and all the generated C compiles
#   under gcc and clang with the strict flags of tests/golden/run.sh, -Werror.
B=${1:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
NETC=$B/netc
ROOT=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
STRICT="-std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wdouble-promotion -Wstrict-prototypes -Wmissing-prototypes -Werror"

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

n=0
for spec in tests/fuzz/corpus/*.net; do
    [ -f "$spec" ] || continue
    n=$((n + 1))
    if ! timeout 30 "$NETC" build "$spec" -o "$tmp/c/$n" > /dev/null 2> "$tmp/err"; then
        head -5 "$tmp/err"; echo "FAIL fuzz/corpus-build $spec"
    fi
done
for cc in gcc clang; do
    command -v $cc > /dev/null || { echo "ok   fuzz/corpus-$cc (skipped: no $cc)"; continue; }
    extra=""
    [ $cc = clang ] && extra="-Wmissing-variable-declarations"
    mkdir -p "$tmp/o-$cc"
    # one compiler run for every file (objects land in a scratch directory);
    # generated names repeat across specs, so each file compiles on its own
    if (cd "$tmp/o-$cc" && for f in "$tmp"/c/*/*.c; do
            $cc $STRICT $extra -I"$ROOT/runtime" -I"$(dirname "$f")" -c "$f" -o o.o || exit 1
        done) > "$tmp/cc.err" 2>&1; then
        echo "ok   fuzz/corpus-$cc -Werror ($n specs)"
    else
        head -20 "$tmp/cc.err"; echo "FAIL fuzz/corpus-$cc -Werror"
    fi
done
