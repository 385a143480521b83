#!/bin/bash
# bench/accuracy.sh B: the results table of docs/results.md (`make accuracy`).
# Trains every task of bench/tasks.txt with `netc train` on the shipped
# train/test split, seeds 1..5, and prints the test accuracy (test MSE for
# regression) as mean ± sample std with the median wall-clock and CPU time of one run,
# beside scikit-learn and PyTorch on the same splits (bench/reference.py, when
# /usr/bin/python3 has sklearn and torch).
#
# Environment:
#   SEEDS="1 2 3 4 5"   seeds for every task
#   MNIST_SEEDS=...     seeds for MNIST (default: SEEDS)
#   ONLY=a,b            only these task names
#   REF=0               skip the reference implementations
#   OUT=DIR             where runs.tsv and table.md go (default B/accuracy)
# netc's time is the whole `netc train` process with a warm trainer cache
# (process start, CSV/IDX parsing, scaling, training, final evaluation); the
# references' time is scaling + fitting with the data already in memory. CPU
# time (user + system, all threads) is recorded too: it is what to compare on a
# machine that is busy with other work. runs.tsv: impl, task, seed, metric,
# wall seconds, CPU seconds, note.
set -u
B=${1:-build}
NETC=$B/netc
SEEDS=${SEEDS:-1 2 3 4 5}
MNIST_SEEDS=${MNIST_SEEDS:-$SEEDS}
ONLY=${ONLY:-}
REF=${REF:-1}
OUT=${OUT:-$B/accuracy}
MNIST=${MNIST:-$B/data/mnist}
PY=/usr/bin/python3
export NETC_CACHE_DIR=${NETC_CACHE_DIR:-/tmp/netc-cache-results}
mkdir -p "$OUT"
runs=$OUT/runs.tsv
: > "$runs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

field() { sed -n "s/.* $1 \([-0-9.e+naif]*\).*/\1/p"; }
wanted() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }

grep -v '^#' bench/tasks.txt | while read -r name spec data bar; do
    [ -n "$name" ] && wanted "$name" || continue
    if [ "$data" = mnist ]; then
        if [ ! -f "$MNIST/train-images-idx3-ubyte.gz" ]; then
            echo "accuracy: $name skipped: no MNIST in $MNIST (make mnist)" >&2
            continue
        fi
        args=(--data "$MNIST/train-images-idx3-ubyte.gz" --test "$MNIST/t10k-images-idx3-ubyte.gz")
        seeds=$MNIST_SEEDS
    else
        args=(--data "examples/data/$data.train.csv" --test "examples/data/$data.test.csv")
        seeds=$SEEDS
    fi
    # Build the trainer once so that no run's time includes the C compiler.
    "$NETC" train "$spec" "${args[@]}" --epochs 1 --quiet --out "$tmp/w" > /dev/null 2>&1
    for s in $seeds; do
        if /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$NETC" train "$spec" "${args[@]}" \
                --seed "$s" --quiet --out "$tmp/w" > "$tmp/out" 2> "$tmp/err"; then
            line=$(grep '^test:' "$tmp/out")
            case $data in diabetes) v=$(echo "$line" | field mse) ;; *) v=$(echo "$line" | field accuracy | tr -d %) ;; esac
            read -r wall user sys < "$tmp/time"
            printf 'netc\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$s" "$v" "$wall" \
                "$(awk "BEGIN { print $user + $sys }")" "$line" | tee -a "$runs"
        else
            echo "accuracy: $name seed $s: netc train failed: $(tail -1 "$tmp/err")" >&2
            printf 'netc\t%s\t%s\tNA\t0\t0\t%s\n' "$name" "$s" "$(tail -1 "$tmp/err")" >> "$runs"
        fi
    done
done >&2

if [ "$REF" != 0 ]; then
    if $PY -c 'import sklearn, torch' 2>/dev/null; then
        $PY bench/reference.py --netc "$NETC" --seeds "$(echo $SEEDS | tr ' ' ,)" \
            --mnist-seeds "$(echo $MNIST_SEEDS | tr ' ' ,)" --mnist-dir "$MNIST" \
            ${ONLY:+--only "$ONLY"} | tee -a "$runs" >&2
    else
        echo "accuracy: no reference columns: $PY cannot import sklearn and torch" \
             "(apt-get install python3-sklearn python3-torch)" >&2
    fi
fi

bench/table.sh "$runs" | tee "$OUT/table.md"
