#!/bin/bash
# Formulas and graphs: every spec here gradchecked (all entries) and cross-checked
# with PyTorch; built-ins against their formula twins; the generated C strict
# under gcc and clang; the lecture's scalar graphs print the lecture's numbers;
# the XOR feature map learns XOR with no hidden layer.
B=${1:-build}
NETC=$B/netc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
STRICT="-std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wdouble-promotion -Wstrict-prototypes -Wmissing-prototypes -Werror"

for spec in tests/formulas/*.net; do
    name=$(basename "$spec" .net)
    if out=$("$NETC" gradcheck "$spec" --all --seed 5 --samples 4 2>&1); then
        echo "ok   formulas/gradcheck-$name $(echo "$out" | tail -n 1)"
    else
        echo "$out" | tail -12; echo "FAIL formulas/gradcheck-$name"
    fi
    # the same spec in float too: strict C under both compilers
    sed 's/^precision double/precision float/' "$spec" > "$tmp/$name.net"
    for prec in double float; do
        src=$spec; [ $prec = float ] && src=$tmp/$name.net
        rm -rf "$tmp/gen"; "$NETC" build "$src" -o "$tmp/gen" >/dev/null || { echo "FAIL formulas/build-$name-$prec"; continue; }
        for cc in gcc clang; do
            extra=""; [ $cc = clang ] && extra=-Wmissing-variable-declarations
            if errs=$($cc $STRICT $extra -Iruntime -c "$tmp/gen/$name.c" -o "$tmp/o.o" 2>&1); then
                echo "ok   formulas/strict-$name-$prec-$cc"
            else
                echo "$errs" | head -10; echo "FAIL formulas/strict-$name-$prec-$cc"
            fi
        done
    done
done

if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    /usr/bin/python3 tests/torch/crosscheck.py "$NETC" tests/formulas/*.net | sed 's/torch\//formulas\/torch-/'
    /usr/bin/python3 tests/formulas/twins.py "$NETC"
else
    echo "FAIL formulas/torch: /usr/bin/python3 cannot import torch"
fi

# The lecture's numbers (examples/lectures/README.md walks through them).
lecture() {   # NAME EXPECTED_LINES... ; runs netc grad with $ARGS
    local name=$1; shift
    local out; out=$("$NETC" grad examples/lectures/circuit.net $ARGS 2>&1)
    for want in "$@"; do
        grep -qx -- "$want" <<< "$out" || { echo "$out"; echo "FAIL formulas/$name: no '$want'"; return; }
    done
    echo "ok   formulas/$name"
}
ARGS="" lecture lecture-circuit "q = 3" "f = -12" "df/dx = -4" "df/dy = -4" "df/dz = 3"
ARGS="--set x=-1 --set y=2 --set z=-3" lecture lecture-circuit-2 "q = 1" "f = -3" "df/dx = -3" "df/dy = -3" "df/dz = 1"
if out=$("$NETC" gradcheck examples/lectures/logistic_ls.net 2>&1); then
    echo "ok   formulas/lecture-logistic-ls $(echo "$out" | tail -n 1)"
else
    echo "$out"; echo "FAIL formulas/lecture-logistic-ls"
fi
if "$NETC" build examples/lectures/logistic_ls.net -o "$tmp/ls" && gcc $STRICT -c "$tmp/ls/logistic_ls.c" -o "$tmp/ls.o"; then
    echo "ok   formulas/lecture-build"
else
    echo "FAIL formulas/lecture-build"
fi

# XOR through a feature map, no hidden layer: 100% from a fixed seed.
if out=$("$NETC" train specs/xor_feature.net --data examples/data/xor.csv --quiet --out "$tmp/xf.weights" 2>&1) &&
   grep -q "^train: .*accuracy 100.00%" <<< "$out"; then
    echo "ok   formulas/xor-feature-map $(grep '^train:' <<< "$out")"
else
    echo "$out" | tail -5; echo "FAIL formulas/xor-feature-map"
fi

# netc dot: the graph's edges (each once), and an SVG when Graphviz is installed.
if out=$("$NETC" dot tests/formulas/residual.net) &&
   grep -q '"a" -> "r";' <<< "$out" && grep -q '"b" -> "r";' <<< "$out" &&
   grep -q '"r" -> "r2";' <<< "$out" && [ "$(grep -c -- '->' <<< "$out")" -eq 9 ]; then
    echo "ok   formulas/dot"
else
    echo "$out"; echo "FAIL formulas/dot"
fi
if command -v dot >/dev/null; then
    if "$NETC" dot examples/lectures/circuit.net --svg "$tmp/c.svg" && grep -q "<svg" "$tmp/c.svg"; then
        echo "ok   formulas/dot-svg"
    else
        echo "FAIL formulas/dot-svg"
    fi
fi

# A row's outputs do not depend on the batch around it: the large-layer tiles and
# the single-row kernels sum each output the same way (AVX-512, AVX2, portable).
"$NETC" build specs/mlp_mnist.net -o "$tmp/rows" >/dev/null
cat > "$tmp/rows/rows.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "mlp_mnist.h"
int main(void)
{
    enum { N = 7 };
    static mlp_mnist_real p[MLP_MNIST_NUM_PARAMS], x[N * MLP_MNIST_INPUT_SIZE];
    static mlp_mnist_real all[N * 10], one[10], w[MLP_MNIST_WORK_SIZE(N)];
    mlp_mnist_init_params(p, 3);
    for (int i = 0; i < N * MLP_MNIST_INPUT_SIZE; i++) x[i] = (mlp_mnist_real)((i * 7919) % 256) / 255.0f;
    mlp_mnist_forward(all, p, x, N, w);
    for (int n = 0; n < N; n++) {
        mlp_mnist_forward(one, p, x + n * MLP_MNIST_INPUT_SIZE, 1, w);
        if (memcmp(one, all + n * 10, sizeof one) != 0) { printf("row %d differs\n", n); return 1; }
    }
    return 0;
}
C
for flags in "-O3 -march=native" "-O3 -mavx2 -mfma" "-O2"; do
    if cc -std=c99 $flags -I"$tmp/rows" -o "$tmp/rows/t" "$tmp/rows/rows.c" "$tmp/rows/mlp_mnist.c" -lm &&
       out=$("$tmp/rows/t"); then
        echo "ok   formulas/rows-independent-of-batch ($flags)"
    else
        echo "$out"; echo "FAIL formulas/rows-independent-of-batch ($flags)"
    fi
done
