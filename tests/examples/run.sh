#!/bin/sh
# Examples group: `make examples` builds examples/embed around generated C and
# runs it; it exits non-zero unless the trained XOR network gets all 4 rows right.
B=${1:-build}
if out=$(make -s examples B="$B" 2>&1); then
    echo "$out" | tail -n 1 | sed 's/^/ok   examples\/embed: /'
else
    echo "$out" | tail -20; echo "FAIL examples/embed"
fi
