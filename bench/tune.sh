#!/bin/bash
# bench/tune.sh B SPEC DATA [FLAGS...]: trains SPEC on 80% of examples/data/DATA.train.csv
# (bench/valsplit.py) and reports the validation metric over seeds 1..5 (SEEDS to
# change), mean and std. Used to choose the results specs' hyperparameters without
# touching the test split. Example: bench/tune.sh build specs/iris_mlp.net iris --lr 0.05
B=${1:-build}; spec=$2; data=$3; shift 3
export NETC_CACHE_DIR=${NETC_CACHE_DIR:-/tmp/netc-cache-results}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 bench/valsplit.py "examples/data/$data.train.csv" "$tmp"
for s in ${SEEDS:-1 2 3 4 5}; do
    "$B/netc" train "$spec" --data "$tmp/fit.csv" --test "$tmp/val.csv" --seed "$s" --quiet \
        --out "$tmp/w" "$@" | sed -n 's/^test: .*\(accuracy\|mse\) \([-0-9.e+]*\).*/\2/p'
done | awk -v args="$*" '{ s += $1; q += $1 * $1; n++; v = v " " $1 }
    END { m = s / n; sd = n > 1 ? sqrt((q - n * m * m) / (n - 1)) : 0;
          printf "%-40s val %.3f +- %.3f  (%s )\n", args, m, sd, v }'
