#!/bin/bash
# Command-line behaviour of netc: help and version, exit statuses (0 ok, 1 bad
# input, 2 usage), the trainer cache (a second run does not recompile), and the
# machine-readable views (inspect --json, weights dump).
B=${1:-build}
NETC=$(pwd)/$B/netc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NETC_CACHE_DIR=$tmp/cache

# expect NAME STATUS CMD... : the command exits with STATUS
expect() {
    local name=$1 want=$2; shift 2
    "$@" > "$tmp/out" 2> "$tmp/err"
    local rc=$?
    if [ $rc -eq "$want" ]; then echo "ok   cli/$name"
    else cat "$tmp/err" | head -5; echo "FAIL cli/$name: status $rc, want $want"; fi
}
# contains NAME FILE TEXT
contains() {
    if grep -qF -- "$3" "$2"; then echo "ok   cli/$1"
    else head -5 "$2"; echo "FAIL cli/$1: no '$3' in the output"; fi
}

expect version 0 "$NETC" --version
contains version-text "$tmp/out" "netc 0.1.0"
expect help 0 "$NETC" --help
for sub in check build train gradcheck predict eval grad inspect; do
    expect "help-$sub" 0 "$NETC" $sub --help
    contains "help-$sub-usage" "$tmp/out" "usage: netc $sub"
done
expect no-args 2 "$NETC"
expect unknown-command 2 "$NETC" trian specs/xor.net
contains unknown-command-suggests "$tmp/err" "did you mean 'train'?"
expect build-no-spec 2 "$NETC" build
expect build-bad-unroll 2 "$NETC" build specs/xor.net --unroll-limit lots
expect train-bad-threads 2 "$NETC" train specs/xor.net --data examples/data/xor.csv --threads 0
contains train-bad-threads-says "$tmp/err" "--threads expects an integer from 1 to 256, got '0'"
expect check-unknown-option 2 "$NETC" check --frobnicate specs/xor.net
expect check-missing-file 1 "$NETC" check no/such/spec.net
contains check-missing-file-says "$tmp/err" "cannot open 'no/such/spec.net'"
expect check-bad-spec 1 "$NETC" check tests/diag/bad_unknown_statement.net
expect train-no-data 2 "$NETC" train specs/xor.net
expect train-bad-epochs 2 "$NETC" train specs/xor.net --data examples/data/xor.csv --epochs -3
expect train-wrong-data 1 "$NETC" train specs/xor.net --data examples/data/iris.csv
expect predict-missing-weights 1 "$NETC" predict specs/xor.net --weights "$tmp/none.weights" --data examples/data/xor.csv
# Training flags: a wrong value is a usage error (2), bad data an input error (1) naming file:row:col.
X="specs/xor.net --data examples/data/xor.csv --quiet"
expect train-bad-optimizer 2 "$NETC" train $X --optimizer adamax
contains train-bad-optimizer-says "$tmp/err" "--optimizer expects sgd, nesterov, adagrad"
expect train-bad-validation 2 "$NETC" train $X --validation 1.5
expect train-bad-schedule 2 "$NETC" train $X --schedule sometimes
expect train-bad-scale 2 "$NETC" train $X --scale log
expect train-patience-alone 2 "$NETC" train $X --patience 3
expect train-split-and-test 2 "$NETC" train $X --split 0.2 --test examples/data/xor.csv
expect train-resume-missing 1 "$NETC" train $X --resume "$tmp/none.ckpt"
printf 'x1,x2,y\n0,0,0\n0,1,1\n1,zero,1\n' > "$tmp/bad.csv"
expect train-bad-cell 1 "$NETC" train specs/xor.net --data "$tmp/bad.csv" --target y --quiet
contains train-bad-cell-says "$tmp/err" "bad.csv:4:2: error: expected a number, found 'zero'"
expect train-bad-target 1 "$NETC" train specs/xor.net --data "$tmp/bad.csv" --target label --quiet
contains train-bad-target-says "$tmp/err" "bad.csv:1:1: error: no column named 'label' in the header"

# build writes the three files into a new directory
expect build-outdir 0 "$NETC" build specs/xor.net -o "$tmp/gen/sub"
if [ -f "$tmp/gen/sub/xor.h" ] && [ -f "$tmp/gen/sub/xor.c" ] && [ -f "$tmp/gen/sub/xor_netrt.c" ]; then
    echo "ok   cli/build-files"; else echo "FAIL cli/build-files: missing output"; ls "$tmp/gen/sub"; fi

# The trainer cache: a second run reuses the binary; another unroll limit builds another.
expect cache-first 0 "$NETC" train specs/xor.net --data examples/data/xor.csv --epochs 2 --quiet --out "$tmp/a.weights"
first=$(ls -l --time-style=full-iso "$NETC_CACHE_DIR"/*/trainer 2>/dev/null)
expect cache-second 0 "$NETC" train specs/xor.net --data examples/data/xor.csv --epochs 2 --quiet --out "$tmp/b.weights"
second=$(ls -l --time-style=full-iso "$NETC_CACHE_DIR"/*/trainer 2>/dev/null)
if [ -n "$first" ] && [ "$first" = "$second" ] && [ "$(echo "$first" | wc -l)" -eq 1 ]; then
    echo "ok   cli/cache-reused"; else echo "FAIL cli/cache-reused: '$first' vs '$second'"; fi
expect cache-other 0 "$NETC" train specs/xor.net --data examples/data/xor.csv --epochs 2 --quiet --out "$tmp/c.weights" --unroll-limit 0
n=$(ls "$NETC_CACHE_DIR"/*/trainer | wc -l)
[ "$n" -eq 2 ] && echo "ok   cli/cache-keyed-by-source" || echo "FAIL cli/cache-keyed-by-source: $n trainers"

# Machine-readable views.
expect inspect 0 "$NETC" inspect specs/mlp_digits.net --json
if /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["network"] == "mlp_digits" and d["num_params"] == 64 * 32 + 32 + 32 * 10 + 10
assert [p["name"] for p in d["params"]] == ["h.w", "h.b", "y.w", "y.b"]
assert d["params"][2]["offset"] == 64 * 32 + 32 and d["params"][2]["shape"] == [10, 32]
assert d["layers"][0]["activation"] == "relu" and d["loss"] == "cross_entropy"
' "$tmp/out"; then echo "ok   cli/inspect-json"; else echo "FAIL cli/inspect-json"; fi
expect weights-dump 0 "$NETC" weights dump "$tmp/a.weights"
[ "$(grep -c '^[0-9]' "$tmp/out")" -eq 9 ] && echo "ok   cli/weights-dump-values" || echo "FAIL cli/weights-dump-values"
expect weights-dump-spec 0 "$NETC" weights dump "$tmp/a.weights" specs/xor.net
contains weights-dump-names "$tmp/out" "h.w [2][2]"
expect weights-dump-wrong-spec 1 "$NETC" weights dump "$tmp/a.weights" specs/or.net
