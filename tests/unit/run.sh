#!/bin/sh
# Unit tests: one program per stage or runtime module, built by make into $B/tests/unit.
B=${1:-build}
for t in "$B"/tests/unit/test_*; do
    [ -x "$t" ] || continue
    name=unit/$(basename "$t")
    if out=$("$t" 2>&1); then echo "ok   $name"; else echo "$out" | tail -20; echo "FAIL $name"; fi
done
