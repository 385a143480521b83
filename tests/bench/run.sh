#!/bin/bash
# Smoke test of the speed benchmark (`make bench`, docs/performance.md): the
# whole pipeline on xor and iris with a few milliseconds per figure, into a
# scratch page. It checks that every driver builds and runs, that the netc
# trainers' losses stay finite and that the page has its tables; it asserts
# nothing about speed (timing lives in the benchmark, never in `make test`).
B=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
page=$tmp/performance.md
res=$tmp/work/results.txt

if ! BENCH_NETS="xor iris" BENCH_TIME=0.02 BENCH_REPS=1 BENCH_PAIRS=1 BENCH_OUT="$page" \
        BENCH_WORK="$tmp/work" bench/bench.sh "$B" > "$tmp/log" 2>&1; then
    tail -5 "$tmp/log"; echo "FAIL bench/run: bench.sh failed"; exit 0
fi
echo "ok   bench/run"

if grep -q '^bench: failed:' "$tmp/log"; then
    grep '^bench: failed:' "$tmp/log" | head -5; echo "FAIL bench/drivers: a driver exited with an error"
else
    echo "ok   bench/drivers (every run exited 0)"
fi

# Every driver's standard error (a sanitizer's report under SANITIZE=1, a loss
# gone bad, a size mismatch) is collected here; a clean run leaves it empty.
if [ -s "$tmp/work/errors.txt" ]; then
    head -20 "$tmp/work/errors.txt"; echo "FAIL bench/errors: the drivers wrote to standard error"
else
    echo "ok   bench/errors (the drivers wrote nothing to standard error)"
fi

# RESULT lines: every netc configuration, with a positive median.
for want in "impl=netc net=xor mode=train batch=1 " "impl=netc net=xor mode=train batch=32 " \
            "impl=netc net=iris mode=train batch=32 " "impl=netc-O2 net=iris mode=train batch=1 " \
            "impl=netc net=iris mode=infer batch=1 " "impl=netc net=iris mode=chain batch=1 " \
            "impl=netc net=xor mode=chain batch=1 " "impl=netc-omp net=xor mode=train batch=32 "; do
    line=$(grep -F "RESULT $want" "$res" | head -1)
    med=$(echo "$line" | sed -n 's/.* med=\([0-9.e+-]*\).*/\1/p')
    if [ -n "$med" ] && awk "BEGIN { exit !($med > 0) }"; then
        echo "ok   bench/result ${want% }"
    else
        echo "FAIL bench/result: no positive figure for '$want' in the raw results"
    fi
done

# Training losses after the runs: finite, for every netc trainer.
bad=$(grep '^LOSS impl=netc' "$res" | grep -Eiv 'loss=[-0-9.e+]+$')
n=$(grep -c '^LOSS impl=netc' "$res")
if [ "$n" -ge 4 ] && [ -z "$bad" ]; then
    echo "ok   bench/losses ($n finite)"
else
    echo "FAIL bench/losses: $n netc losses, not finite: $bad"
fi

# The page: its sections, the summary rows and the chained inference column.
for want in "## Targets" "## Training, every configuration" "## Inference latency, one sample" \
            "## Generated code: size and compile time" "| xor | 1 | " "| iris | 32 | " \
            "netc -O3 -march=native, chained" "| iris inference latency |"; do
    if grep -qF -- "$want" "$page"; then
        echo "ok   bench/page has '$want'"
    else
        echo "FAIL bench/page: no '$want' in the generated page"
    fi
done
# Each inference row has a netc figure in both netc columns.
for net in xor iris; do
    row=$(grep "^| $net | [0-9.]* ns" "$page" | grep -c "^| $net | [0-9.]* ns \[[^]]*\] | [0-9.]* ns \[")
    if [ "$row" = 1 ]; then
        echo "ok   bench/page inference row $net"
    else
        echo "FAIL bench/page: the $net inference row lacks a netc or chained figure"
    fi
done
