#!/bin/bash
# Gradient checks: every activation x every compatible loss x (no regularizer,
# l1, l2, both) x (bias, nobias), plus dropout, each built in double and checked
# with `netc gradcheck` (central differences, tolerance 1e-6, kinks reported
# and not counted). Specs are generated into a temporary folder; the hand-written
# ones in this folder run too.
B=${1:-build}
NETC=$B/netc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
JOBS=${JOBS:-2}

HIDDEN="linear step sigmoid tanh relu leaky_relu(0.2) elu(0.7) softplus maxout(3)"
REGS="none l1 l2 both"

# spec NAME HIDDEN_ACT OUT_UNITS OUT_ACT LOSS REG BIAS DROPOUT
spec() {
    f=$tmp/$1.net
    {
        echo "network $1"
        echo "precision double"
        echo "input x[4]"
        [ "$8" = yes ] && echo "dropout 0.25"
        echo "dense h[5] $2 $7"
        [ "$8" = yes ] && echo "dropout 0.5"
        echo "dense y[$3] $4 $7"
        echo "loss $5"
        case $6 in l1|both) echo "regularize l1 0.01" ;; esac
        case $6 in l2|both) echo "regularize l2 0.03" ;; esac
    } > "$f"
}

i=0
for act in $HIDDEN; do
    a=$(echo "$act" | sed 's/(.*//')
    # the activation as hidden layer, under every loss
    for pair in "1 linear mse" "2 linear mae" "1 sigmoid bce" "3 softmax cross_entropy" "1 linear hinge" "3 softmax mse"; do
        set -- $pair
        loss=$3
        reg=$(echo $REGS | cut -d' ' -f$((i % 4 + 1)))
        bias=""; [ $((i / 4 % 2)) -eq 1 ] && bias=nobias
        spec "g${i}_${a}_${loss}" "$act" "$1" "$2" "$loss" "$reg" "$bias" no
        i=$((i + 1))
    done
    # the activation on the output, under the losses that accept any output
    for loss in mse mae hinge; do
        spec "o${i}_${a}_${loss}" tanh 2 "$act" "$loss" both "" no
        i=$((i + 1))
    done
    # every regularizer and bias combination
    for reg in $REGS; do
        for bias in "" nobias; do
            spec "r${i}_${a}_${reg}${bias}" "$act" 3 softmax cross_entropy "$reg" "$bias" no
            i=$((i + 1))
        done
    done
    spec "d${i}_${a}_dropout" "$act" 1 sigmoid bce l2 "" yes
    i=$((i + 1))
done
cp tests/gradcheck/*.net "$tmp"/ 2>/dev/null

check_one() {
    name=$(basename "$1" .net)
    if out=$("$NETC" gradcheck "$1" --seed 7 --samples 3 2>&1); then
        echo "ok   gradcheck/$name $(echo "$out" | tail -n 1)"
    else
        echo "$out" | tail -n 15; echo "FAIL gradcheck/$name"
    fi
}
export NETC
export -f check_one
ls "$tmp"/*.net | xargs -P "$JOBS" -n 1 bash -c 'check_one "$0"'
