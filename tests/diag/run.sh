#!/bin/sh
# tests/diag/run.sh B [--update]: diagnostic tests for `netc check`.
# bad_NAME.net must exit 1 with stderr exactly bad_NAME.err (--update rewrites
# the .err files from the current output: review the diff before committing).
# warn_NAME.net must exit 0 with stderr exactly warn_NAME.err (its warnings).
# good_*.net and every specs/*.net must exit 0 with empty stderr.
B=${1:-build}
[ $# -gt 0 ] && shift
update=0
[ "${1:-}" = "--update" ] && update=1

# Run from the repository root so the paths in messages match the .err files.
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
cd "$(dirname "$0")/../.." || exit 1
netc=$B/netc
out=$(mktemp)
trap 'rm -f "$out"' EXIT

for spec in tests/diag/bad_*.net; do
    [ -e "$spec" ] || continue
    name=diag/$(basename "$spec" .net)
    err=${spec%.net}.err
    "$netc" check "$spec" >/dev/null 2>"$out"
    rc=$?
    [ $update -eq 1 ] && cp "$out" "$err"
    if [ ! -f "$err" ]; then
        echo "FAIL $name: $err is missing (run with --update and review it)"
    elif [ $rc -ne 1 ]; then
        echo "FAIL $name: exit status $rc, expected 1"
        cat "$out"
    elif ! diff -u "$err" "$out"; then
        echo "FAIL $name"
    else
        echo "ok   $name"
    fi
done

# warn_NAME.net: legal but suspicious; exit 0 with stderr exactly warn_NAME.err
for spec in tests/diag/warn_*.net; do
    [ -e "$spec" ] || continue
    name=diag/$(basename "$spec" .net)
    err=${spec%.net}.err
    "$netc" check "$spec" >/dev/null 2>"$out"
    rc=$?
    [ $update -eq 1 ] && cp "$out" "$err"
    if [ ! -f "$err" ]; then
        echo "FAIL $name: $err is missing (run with --update and review it)"
    elif [ $rc -ne 0 ]; then
        echo "FAIL $name: exit status $rc, expected 0"
        cat "$out"
    elif ! grep -q ': warning: ' "$out" || ! diff -u "$err" "$out"; then
        echo "FAIL $name"
    else
        echo "ok   $name"
    fi
done

for spec in tests/diag/good_*.net specs/*.net; do
    [ -e "$spec" ] || continue
    name=$(basename "$(dirname "$spec")")/$(basename "$spec" .net)
    "$netc" check "$spec" >/dev/null 2>"$out"
    rc=$?
    if [ $rc -ne 0 ] || [ -s "$out" ]; then
        echo "FAIL $name: exit status $rc, expected 0 and no messages"
        cat "$out"
    else
        echo "ok   $name"
    fi
done
