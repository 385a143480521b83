#!/bin/bash
# netc summary: parameter counts against the IR (`inspect --json`) and by hand,
# dense FLOPs (2 per multiply-add, 1 per bias), feature and scalar-graph rows,
# and the code size it reports against the files `netc build` writes.
B=${1:-build}
NETC=$(pwd)/$B/netc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok   summary/$1"; }
fail() { echo "FAIL summary/$1${2:+: $2}"; }
# has NAME FILE REGEX: a line of FILE matches the extended regex
has() { if grep -Eq -- "$3" "$2"; then ok "$1"; else cat "$2"; fail "$1" "no line matching '$3'"; fi; }

for spec in specs/*.net tests/formulas/*.net tests/golden/*.net; do
    name=$(basename "$spec" .net)
    if ! "$NETC" summary "$spec" > "$tmp/s" 2> "$tmp/err"; then
        cat "$tmp/err"; fail "run-$name"; continue
    fi
    want=$("$NETC" inspect "$spec" --json | sed -n 's/.*"num_params": \([0-9]*\).*/\1/p')
    got=$(sed -n 's/^params: \([0-9,]*\) .*/\1/p' "$tmp/s" | tr -d ,)
    [ -n "$want" ] && [ "$got" = "$want" ] && ok "params-$name" || fail "params-$name" "$got vs $want"
    # the generated code's size is what `netc build` writes
    rm -rf "$tmp/gen"; "$NETC" build "$spec" -o "$tmp/gen" > /dev/null
    base=$(ls "$tmp/gen" | sed -n 's/\.h$//p')
    line="generated C: $base.c $(wc -l < "$tmp/gen/$base.c") lines, $(wc -c < "$tmp/gen/$base.c") bytes; $base.h $(wc -l < "$tmp/gen/$base.h") lines, $(wc -c < "$tmp/gen/$base.h") bytes"
    grep -qxF "$line" "$tmp/s" && ok "code-size-$name" || { grep generated "$tmp/s"; fail "code-size-$name" "want '$line'"; }
done

# 784-128-10: Keras's 101,770; h is 2*784*128 + 128 FLOPs forward.
"$NETC" summary specs/mlp_mnist.net > "$tmp/s"
has mnist-h "$tmp/s" '^h \(dense relu\) +\(n, 128\) +100,480 +200,960 '
has mnist-y "$tmp/s" '^y \(dense softmax\) +\(n, 10\) +1,290 '
has mnist-total "$tmp/s" '^params: 101,770 \(407,080 bytes as float; 101,632 weights, 138 biases\)'
has mnist-input "$tmp/s" '^x \(input\) +\(n, 784\) +0 +0 +0$'

# xor in double; the regularizer is per step and marked so.
"$NETC" summary specs/xor.net > "$tmp/s"
has xor-head "$tmp/s" "^network 'xor' \(specs/xor.net\), precision double$"
has xor-h "$tmp/s" '^h \(dense sigmoid\) +\(n, 2\) +6 +12 '
has xor-bytes "$tmp/s" '^params: 9 \(72 bytes as double'
has xor-reg "$tmp/s" '^regularize \(l2 0.0001\) +scalar +0 +12\* +12\*$'
has xor-work "$tmp/s" '^workspace: 11 reals per sample'

# A graph spec: the feature's sub-formulas (x[0]*x[1], x[2:4]^2) count for it.
"$NETC" summary tests/golden/graph.net > "$tmp/s"
has graph-xx "$tmp/s" '^xx \(feature\) +\(n, 7\) +0 +3 +0$'
has graph-gate "$tmp/s" '^gate \(feature\) +\(n, 5\) +0 +15 +15$'
has graph-a "$tmp/s" '^a \(dense tanh\) +\(n, 5\) +40 +80 '
has graph-totals "$tmp/s" 'FLOPs per sample: forward 218, backward 255, training step 473'
"$NETC" summary tests/golden/mix.net > "$tmp/s"
has mix-dropout "$tmp/s" '^dropout \(0.1\) +\(n, 3\) +0 +3 +0$'
has mix-maxout "$tmp/s" '^m \(dense maxout\) +\(n, 20\) +200 +380 '

# Scalar graphs: values as the lecture computes them, each operation counted once.
"$NETC" summary examples/lectures/circuit.net > "$tmp/s"
has circuit-q "$tmp/s" '^q \(feature\) +3 +1 +x \+ y$'
has circuit-f "$tmp/s" '^f \(output\) +-12 +1 +q \* z$'
has circuit-param "$tmp/s" '^z \(param\) +-4$'
"$NETC" summary examples/lectures/logistic_ls.net > "$tmp/s"
has logistic-L "$tmp/s" '^L \(output\) +0.682176 '
has logistic-total "$tmp/s" '^params: 2; FLOPs: forward 9, gradient 6 more'
"$NETC" build examples/lectures/logistic_ls.net -o "$tmp/lec" > /dev/null
has logistic-code "$tmp/s" "^generated C: logistic_ls.c $(wc -l < "$tmp/lec/logistic_ls.c") lines, $(wc -c < "$tmp/lec/logistic_ls.c") bytes"

# --unroll-limit reaches the emitter; usage and input errors.
a=$("$NETC" summary specs/xor.net | grep generated)
b=$("$NETC" summary specs/xor.net --unroll-limit 0 | grep generated)
[ "$a" != "$b" ] && ok unroll-limit || fail unroll-limit "same code size"
"$NETC" summary > /dev/null 2>&1; [ $? -eq 2 ] && ok no-spec || fail no-spec
"$NETC" summary specs/xor.net --frob > /dev/null 2>&1; [ $? -eq 2 ] && ok unknown-option || fail unknown-option
"$NETC" summary tests/diag/bad_unknown_statement.net > /dev/null 2>&1; [ $? -eq 1 ] && ok bad-spec || fail bad-spec
"$NETC" summary --help | grep -q "usage: netc summary" && ok help || fail help
