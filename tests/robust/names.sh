#!/bin/sh
# tests/robust/names.sh NETC OUTDIR NAME: writes specs that use NAME in every
# place a spec names something (network, input, layer, feature, activation,
# loss, param, const, output) into OUTDIR, one per place, for the injection test.
netc=$1 dir=$2 n=$3
mkdir -p "$dir"
cat > "$dir/net_$n.net" <<S
network $n
input in0[3]
dense h0[2] tanh
dense out0[1] sigmoid
loss bce
S
cat > "$dir/input_$n.net" <<S
input $n[3]
dense h0[2] relu
dense out0[1] linear
loss mse
S
cat > "$dir/layer_$n.net" <<S
input in0[3]
dense $n[4] leaky_relu(0.1) init=uniform(-0.5, 0.5)
dropout 0.25
dense out0[3] softmax
loss cross_entropy
regularize l2 1e-3
S
cat > "$dir/layers_$n.net" <<S
input in0[300]
dense $n[4] maxout(2)
dense ${n}_w[40] elu
dense ${n}_linear[40] softplus
feature ${n}_f = concat(${n}_linear, $n)
dense out0[2] sigmoid from ${n}_f
loss bce
S
cat > "$dir/feature_$n.net" <<S
input in0[3]
feature $n = concat(in0, in0[0] * in0[1], in0[1:3])
dense h0[2] tanh from $n
feature f2 = h0 * sigmoid($n[0])
dense out0[1] linear from f2
loss mse
S
cat > "$dir/act_$n.net" <<S
activation $n(z; a = 2) = z * sigmoid(a * z)
loss l$n($n, t; d = 1) = where(abs($n - t) <= d, 0.5 * ($n - t)^2, d * (abs($n - t) - 0.5 * d))
input in0[3]
dense h0[2] $n
dense out0[1] linear
S
cat > "$dir/scalar_$n.net" <<S
param $n = 2
const c$n = 3
feature f$n = ($n + c$n) * $n
output o$n = f$n * sigmoid($n)
S
