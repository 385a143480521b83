#!/bin/bash
# End-to-end training: the shipped specs on the shipped data, fixed seeds,
# thresholds on the final `train:`/`test:` lines. Also: the same seed twice gives
# bit-identical weights, and predict agrees with the trained accuracy.
B=${1:-build}
NETC=$B/netc
D=examples/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# field LINE WORD: the number after WORD in LINE ("accuracy 97.37%" -> 97.37)
field() { echo "$1" | sed -n "s/.*$2 \([-0-9.e+]*\).*/\1/p"; }

# train NAME SPEC ARGS...: runs netc train, keeps stdout in $tmp/NAME.out
train() {
    local name=$1; shift
    if ! "$NETC" train "$@" --quiet --out "$tmp/$name.weights" > "$tmp/$name.out" 2> "$tmp/$name.err"; then
        cat "$tmp/$name.err" | tail -5; echo "FAIL train/$name: netc train failed"; return 1
    fi
}

# at_least NAME LABEL METRIC MIN
at_least() {
    local line val
    line=$(grep "^$2:" "$tmp/$1.out")
    val=$(field "$line" "$3")
    if [ -n "$val" ] && awk "BEGIN { exit !($val >= $4) }"; then
        echo "ok   train/$1 $line"
    else
        echo "FAIL train/$1: want $2 $3 >= $4, got '$line'"
    fi
}

train xor specs/xor.net --data $D/xor.csv && at_least xor train accuracy 100
train or specs/or.net --data $D/or.csv && at_least or train accuracy 100
train logreg specs/logreg.net --data $D/breast_cancer.train.csv --test $D/breast_cancer.test.csv &&
    at_least logreg test accuracy 95
train softmax specs/softmax.net --data $D/iris.train.csv --test $D/iris.test.csv &&
    at_least softmax test accuracy 90
train digits specs/mlp_digits.net --data $D/digits.train.csv --test $D/digits.test.csv &&
    at_least digits test accuracy 95

# Linear regression against the closed-form least-squares fit (numpy lstsq).
if train linreg specs/linreg.net --data $D/diabetes.train.csv --test $D/diabetes.test.csv; then
    got=$(field "$(grep '^test:' "$tmp/linreg.out")" mse)
    want=$(/usr/bin/python3 - <<'PY'
import numpy as np
tr = np.loadtxt("examples/data/diabetes.train.csv", delimiter=",", skiprows=1)
te = np.loadtxt("examples/data/diabetes.test.csv", delimiter=",", skiprows=1)
A = np.c_[tr[:, :-1], np.ones(len(tr))]
w, *_ = np.linalg.lstsq(A, tr[:, -1], rcond=None)
pred = np.c_[te[:, :-1], np.ones(len(te))] @ w
print("%.6f" % np.mean((pred - te[:, -1]) ** 2))
PY
)
    if [ -n "$got" ] && awk "BEGIN { r = $got / $want; exit !(r > 0.99 && r < 1.01) }"; then
        echo "ok   train/linreg test mse $got, closed form $want"
    else
        echo "FAIL train/linreg: test mse '$got' not within 1% of the closed-form $want"
    fi
fi

# Reproducibility: the same seed and data give bit-identical weights.
train xor_again specs/xor.net --data $D/xor.csv
if cmp -s "$tmp/xor.weights" "$tmp/xor_again.weights"; then echo "ok   train/reproducible"
else echo "FAIL train/reproducible: two runs with seed 1 wrote different weights"; fi
train xor_seed2 specs/xor.net --data $D/xor.csv --seed 2
if ! cmp -s "$tmp/xor.weights" "$tmp/xor_seed2.weights"; then echo "ok   train/seed-changes-weights"
else echo "FAIL train/seed-changes-weights: seed 2 wrote the same weights as seed 1"; fi

# predict on the trained XOR: every row classified right.
if out=$("$NETC" predict specs/xor.net --weights "$tmp/xor.weights" --data $D/xor.csv); then
    bad=$(echo "$out" | tail -n +2 | paste -d, - <(tail -n +2 $D/xor.csv) | awk -F, '($1 >= 0.5) != $NF' | wc -l)
    [ "$bad" -eq 0 ] && echo "ok   train/predict-xor" || { echo "$out"; echo "FAIL train/predict-xor: $bad rows wrong"; }
else
    echo "FAIL train/predict-xor: netc predict failed"
fi
