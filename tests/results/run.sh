#!/bin/bash
# Smoke test of the results table (docs/results.md, `make accuracy`): every cheap
# results spec trained once (seed 1) on its shipped split, with loose floors far
# below the table's numbers, so a regression in training shows here without
# running the 5-seed table. A few seconds in all.
B=${1:-build}
NETC=$B/netc
D=examples/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check NAME SPEC DATA METRIC OP LIMIT: one training run, then METRIC OP LIMIT on
# its `test:` line (OP is >= for accuracy, <= for mse).
check() {
    local name=$1 spec=$2 data=$3 metric=$4 op=$5 limit=$6 line val
    if ! "$NETC" train "$spec" --data "$D/$data.train.csv" --test "$D/$data.test.csv" --seed 1 \
            --quiet --out "$tmp/$name.weights" > "$tmp/$name.out" 2> "$tmp/$name.err"; then
        tail -3 "$tmp/$name.err"; echo "FAIL results/$name: netc train failed"; return
    fi
    line=$(grep '^test:' "$tmp/$name.out")
    val=$(echo "$line" | sed -n "s/.* $metric \([-0-9.e+]*\).*/\1/p")
    if [ -n "$val" ] && awk "BEGIN { exit !($val $op $limit) }"; then
        echo "ok   results/$name $line"
    else
        echo "FAIL results/$name: want test $metric $op $limit, got '$line'"
    fi
}

check iris_softmax specs/softmax.net           iris          accuracy '>=' 90
check iris_mlp     specs/iris_mlp.net          iris          accuracy '>=' 90
check wine_mlp     specs/wine_mlp.net          wine          accuracy '>=' 94
check bc_logreg    specs/logreg.net            breast_cancer accuracy '>=' 95
check bc_mlp       specs/breast_cancer_mlp.net breast_cancer accuracy '>=' 93
check digits_mlp   specs/digits_mlp.net        digits        accuracy '>=' 95
check diabetes_lin specs/linreg.net            diabetes      mse      '<=' 2750
check diabetes_mlp specs/diabetes_mlp.net      diabetes      mse      '<=' 3500
