#!/bin/bash
# PyTorch cross-check group: generates double-precision specs covering every
# activation (hidden and output), every loss, l1/l2 and bias on/off, and runs
# crosscheck.py over them (needs /usr/bin/python3 with python3-torch).
B=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
    echo "FAIL torch/setup: /usr/bin/python3 cannot import torch and numpy (apt-get install python3-torch python3-numpy)"
    exit 0
fi
n=0
emit() {   # NAME LINES...
    local f=$tmp/$1.net; shift
    printf '%s\n' "network t$n" "precision double" "$@" > "$f"
    n=$((n + 1))
}
for act in linear step sigmoid tanh relu "leaky_relu(0.2)" "elu(0.7)" softplus "maxout(3)"; do
    a=${act%%(*}
    emit "${a}_ce"    "input x[4]" "dense h[6] $act" "dense y[3] softmax" "loss cross_entropy" "regularize l2 0.05"
    emit "${a}_bce"   "input x[3]" "dense h[5] $act nobias" "dense y[2] sigmoid" "loss bce" "regularize l1 0.02"
    emit "${a}_mse"   "input x[3]" "dense h[4] $act" "dense y[2] $act" "loss mse"
    emit "${a}_mae"   "input x[3]" "dense h[4] tanh" "dense y[2] $act" "loss mae" "regularize l1 0.01" "regularize l2 0.01"
    emit "${a}_hinge" "input x[3]" "dense h[4] $act" "dense y[1] linear" "loss hinge"
done
emit deep_mix "input x[6]" "dense a[7] relu" "dense b[20] tanh" "dense c[5] elu" "dense y[4] softmax nobias" "loss cross_entropy" "regularize l1 0.001" "regularize l2 0.01"
emit softmax_mse "input x[3]" "dense y[4] softmax" "loss mse"
emit svm "input x[5]" "dense y[1] linear" "loss hinge" "regularize l2 0.1"
emit wide "input x[40]" "dense h[33] sigmoid" "dense y[2] sigmoid" "loss bce"
/usr/bin/python3 tests/torch/crosscheck.py "$B/netc" "$tmp"/*.net

# Optimizer trajectories against torch.optim: a C harness steps libnetrt's
# optimizers on two generated networks, optim_check.py repeats each run in torch.
printf '%s\n' "network optim_ce" "precision double" "input x[4]" "dense h[5] tanh" \
    "dense y[3] softmax" "loss cross_entropy" "regularize l2 0.01" > "$tmp/optim_ce.net"
printf '%s\n' "network optim_mse" "precision double" "input x[3]" "dense h[4] tanh" \
    "dense y[2] linear" "loss mse" > "$tmp/optim_mse.net"
nets=
for net in optim_ce optim_mse; do
    if "$B/netc" build "$tmp/$net.net" -o "$tmp/$net" >/dev/null &&
       ${CC:-cc} -std=c99 -O2 -Iruntime -I"$tmp/$net" -DMODEL="${net}_model" \
           -o "$tmp/$net/harness" tests/torch/optim_harness.c "$tmp/$net/$net.c" \
           "$tmp/$net/${net}_netrt.c" "$B/libnetrt.a" -lm; then
        nets="$nets ${net#optim_}=$tmp/$net/harness=$tmp/$net.net"
    else
        echo "FAIL torch/optim_build_$net"
    fi
done
[ -n "$nets" ] && /usr/bin/python3 tests/torch/optim_check.py "$B/netc" $nets

# The large-layer kernels: tile edges in every dimension (70 inputs = 4 x 16 + 6,
# 37 outputs = 9 x 4 + 1 = 3 x 12 + 1, batch 19 = 12 + 6 + 1 rows for the 12-
# and 6-row tiles and a single row), through the default
# -march=native build (AVX-512 where the CPU has it), the AVX2/FMA path, the
# portable path (-O2, no -march) and OpenMP with two threads splitting every
# loop; each must match PyTorch to 1e-9.
fast=$tmp/fast
mkdir -p "$fast"
printf '%s\n' "network tiles" "precision double" "input x[70]" "dense h[37] relu" \
    "dense g[19] tanh" "dense y[5] softmax" "loss cross_entropy" "regularize l2 0.01" > "$fast/tiles.net"
printf '%s\n' "network tiles_mse" "precision double" "input x[33]" "dense h[48] sigmoid" \
    "dense y[17] linear" "loss mse" > "$fast/tiles_mse.net"
# 29 and 27 columns: a strip of two 8-double halves, one of a single half, then
# single columns (the dW and dx tiles' every case).
printf '%s\n' "network tiles_half" "precision double" "input x[29]" "dense h[27] tanh" \
    "dense y[3] linear" "loss mse" > "$fast/tiles_half.net"
# The unrolled small layers' dW: vectors along the rows when x is narrower
# than a vector (3 and 2 inputs; 12 rows = 8 in vectors + 4 left to the
# portable blocks), along x when it is whole vectors wide (12 and 16 inputs),
# adding to the L2 penalty's gradient in the first net.
printf '%s\n' "network small_dw" "precision double" "input x[3]" "dense h[12] tanh" \
    "dense y[4] linear" "loss mse" "regularize l2 0.01" > "$fast/small_dw.net"
printf '%s\n' "network small_dw2" "precision double" "input x[2]" "dense h[16] sigmoid" \
    "dense y[4] softmax" "loss cross_entropy" > "$fast/small_dw2.net"
# The same tile edges in float (16-lane AVX-512, 8-lane AVX2 and the portable
# kernels), whose relu layers' forward and input-gradient GEMMs apply the relu
# and its derivative in their epilogues; float is held to 2e-4.
printf '%s\n' "network ftiles" "precision float" "input x[70]" "dense h[37] relu" \
    "dense g[45] relu" "dense y[5] softmax" "loss cross_entropy" > "$fast/ftiles.net"
printf '%s\n' "network ftiles_mse" "precision float" "input x[33]" "dense h[53] relu" \
    "dense y[17] relu" "loss mse" "regularize l2 0.01" > "$fast/ftiles_mse.net"
for mode in native avx2 portable openmp; do
    case $mode in
        native) flags="-O3 -march=native" ;;
        avx2) flags="-O3 -mavx2 -mfma" ;;
        portable) flags="-O2" ;;
        # every loop split over the 2 threads, however small (NAME_PARALLEL_MIN=1)
        openmp) flags="-O3 -march=native -fopenmp$(for n in tiles tiles_mse tiles_half small_dw \
                    small_dw2 ftiles ftiles_mse; do printf ' -D%s_PARALLEL_MIN=1' "$(echo $n | tr a-z A-Z)"; done)" ;;
    esac
    NETC_CFLAGS="$flags" OMP_NUM_THREADS=2 CROSSCHECK_ROWS=19 \
        /usr/bin/python3 tests/torch/crosscheck.py "$B/netc" "$fast"/*.net | sed "s/torch\//torch\/$mode-/"
done
