#!/bin/bash
# tests/fuzz/werror.sh B FILE_OR_DIR...: every spec among the files (and the
# files in the directories) that `netc check` accepts is built, and all the C it
# generates must compile under gcc and clang with the strict flags of
# tests/golden/run.sh and -Werror. Prints one ok/FAIL line per compiler (with
# the specs that failed) and exits 1 on any failure. Used by tests/fuzz/run.sh
# on the committed corpus and by fuzz.sh on the corpora a run grew.
B=${1:-build}
shift
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
NETC=$B/netc
ROOT=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
STRICT="-std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wdouble-promotion -Wstrict-prototypes -Wmissing-prototypes -Werror"

n=0 total=0 status=0
for arg in "$@"; do
    for spec in $( [ -d "$arg" ] && find "$arg" -type f | sort || echo "$arg"); do
        total=$((total + 1))
        timeout 30 "$NETC" check "$spec" > /dev/null 2>&1 || continue
        n=$((n + 1))
        if ! timeout 30 "$NETC" build "$spec" -o "$tmp/c/$n" > /dev/null 2> "$tmp/err"; then
            head -5 "$tmp/err"; echo "FAIL fuzz/werror-build $spec"; status=1
        fi
        echo "$spec" > "$tmp/c/$n/.spec"
    done
done
for cc in gcc clang; do
    command -v $cc > /dev/null || { echo "ok   fuzz/werror-$cc (skipped: no $cc)"; continue; }
    extra=""
    [ $cc = clang ] && extra="-Wmissing-variable-declarations"
    bad=""
    for d in "$tmp"/c/*/; do
        for f in "$d"*.c; do
            [ -f "$f" ] || continue
            if ! $cc $STRICT $extra -I"$ROOT/runtime" -I"$d" -c "$f" -o "$tmp/o.o" 2> "$tmp/cc.err"; then
                [ -z "$bad" ] && head -20 "$tmp/cc.err"
                bad="$bad $(cat "$d/.spec")"
                break
            fi
        done
    done
    if [ -z "$bad" ]; then echo "ok   fuzz/werror-$cc ($n accepted specs of $total)"
    else echo "FAIL fuzz/werror-$cc:$bad"; status=1; fi
done
exit $status
