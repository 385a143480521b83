#!/bin/bash
# End-to-end training: the shipped specs on the shipped data, fixed seeds,
# thresholds on the final `train:`/`test:` lines. Also: the same seed twice gives
# bit-identical weights, and predict agrees with the trained accuracy; checkpoints
# survive kills (kill.sh) and divergence.
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

# --threads 2: the trainer built with -fopenmp (so it links an OpenMP runtime)
# and its large layers split over 2 threads (at batch 64, 64 x 64 x 256
# multiply-adds: above NAME_PARALLEL_MIN), with the same weights to the bit.
printf '%s\n' "network wide_digits" "input x[64]" "dense h[256] relu" "dense y[10] softmax" \
    "loss cross_entropy" "train" "  optimizer adam lr=0.001" "  batch 64" "  epochs 3" "  seed 4" \
    "end" > "$tmp/wide_digits.net"
NETC_CACHE_DIR=$tmp/cache1 train threads1 "$tmp/wide_digits.net" --data $D/digits.train.csv --threads 1 &&
NETC_CACHE_DIR=$tmp/cache2 train threads2 "$tmp/wide_digits.net" --data $D/digits.train.csv --threads 2 &&
if cmp -s "$tmp/threads1.weights" "$tmp/threads2.weights"; then echo "ok   train/threads-same-weights"
else echo "FAIL train/threads-same-weights: --threads 2 wrote other weights than --threads 1"; fi
if ! ldd "$tmp"/cache1/*/trainer | grep -q "libgomp\|libomp" &&
   ldd "$tmp"/cache2/*/trainer | grep -q "libgomp\|libomp"; then echo "ok   train/threads-links-openmp"
else echo "FAIL train/threads-links-openmp: only the --threads 2 trainer should link an OpenMP runtime"; fi

# predict on the trained XOR: every row classified right.
if out=$("$NETC" predict specs/xor.net --weights "$tmp/xor.weights" --data $D/xor.csv); then
    bad=$(echo "$out" | tail -n +2 | paste -d, - <(tail -n +2 $D/xor.csv) | awk -F, '($1 >= 0.5) != $NF' | wc -l)
    [ "$bad" -eq 0 ] && echo "ok   train/predict-xor" || { echo "$out"; echo "FAIL train/predict-xor: $bad rows wrong"; }
else
    echo "FAIL train/predict-xor: netc predict failed"
fi

# Early stopping on iris: 20% held out (stratified, seeded), patience 5.
if train iris_es specs/softmax.net --data $D/iris.train.csv --validation 0.2 --patience 5 --epochs 2000; then
    line=$(grep '^early stopping:' "$tmp/iris_es.out")
    best=$(echo "$line" | sed -n 's/^early stopping: best epoch \([0-9]*\) (validation loss [0-9.e+-]*)$/\1/p')
    if [ -n "$best" ] && [ "$best" -lt 2000 ] && grep -q '^validation: loss ' "$tmp/iris_es.out"; then
        echo "ok   train/early-stopping $line"
    else
        echo "FAIL train/early-stopping: '$line'"
    fi
fi
# The held-out rows and the shuffles come from the seed: a second run is bit-identical.
train iris_es2 specs/softmax.net --data $D/iris.train.csv --validation 0.2 --patience 5 --epochs 2000
if cmp -s "$tmp/iris_es.weights" "$tmp/iris_es2.weights"; then echo "ok   train/reproducible-validation"
else echo "FAIL train/reproducible-validation: two runs wrote different weights"; fi

# --split holds out a stratified test set of --data and reports it as test:.
train iris_split specs/softmax.net --data $D/iris.csv --split 0.2 --optimizer adam --lr 0.05 --epochs 200 &&
    at_least iris_split test accuracy 90

# IDX data, gzipped, as MNIST ships it: 2x2 images whose brighter half is the
# class; the labels files are found from the images' names.
/usr/bin/python3 - "$tmp" <<'PY'
import gzip, random, struct, sys
rng = random.Random(7)
for prefix, n in (("train", 300), ("t10k", 100)):
    imgs, labels = bytearray(), bytearray()
    for i in range(n):
        c = rng.randrange(2)
        hi, lo = rng.randrange(140, 256), rng.randrange(0, 110)
        px = [hi, lo, hi, lo] if c == 0 else [lo, hi, lo, hi]
        imgs += bytes(px)
        labels.append(c)
    with gzip.open("%s/%s-images-idx3-ubyte.gz" % (sys.argv[1], prefix), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 2, 2) + imgs)
    with gzip.open("%s/%s-labels-idx1-ubyte.gz" % (sys.argv[1], prefix), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + labels)
PY
printf 'network idx4\ninput x[4]\ndense y[2] softmax\nloss cross_entropy\n' > "$tmp/idx4.net"
train idx "$tmp/idx4.net" --data "$tmp/train-images-idx3-ubyte.gz" --test "$tmp/t10k-images-idx3-ubyte.gz" \
    --optimizer adam --lr 0.05 --epochs 30 && at_least idx test accuracy 98
if "$NETC" train "$tmp/idx4.net" --data "$tmp/t10k-labels-idx1-ubyte.gz" --quiet > /dev/null 2> "$tmp/idxerr" ||
   ! grep -q "t10k-labels-idx1-ubyte.gz: error: IDX file holds 100 single values" "$tmp/idxerr"; then
    cat "$tmp/idxerr"; echo "FAIL train/idx-labels-as-images: no error naming the file"
else echo "ok   train/idx-labels-as-images"; fi

# --log and --plot: one CSV line per epoch under a header; a well-formed SVG.
if train digits_report specs/mlp_digits.net --data $D/digits.train.csv --test $D/digits.test.csv \
        --epochs 12 --log "$tmp/log.csv" --plot "$tmp/curve.svg"; then
    n=$(wc -l < "$tmp/log.csv")
    head=$(head -n 1 "$tmp/log.csv")
    if [ "$n" -eq 13 ] && [ "$head" = "epoch,seconds,lr,batch_loss,train_loss,train_accuracy,valid_loss,valid_accuracy,test_loss,test_accuracy" ]; then
        echo "ok   train/log-csv"; else echo "FAIL train/log-csv: $n lines, header '$head'"; fi
    if command -v xmllint > /dev/null; then
        if xmllint --noout "$tmp/curve.svg"; then echo "ok   train/plot-svg-well-formed"
        else echo "FAIL train/plot-svg-well-formed"; fi
    elif grep -q '</svg>' "$tmp/curve.svg"; then echo "ok   train/plot-svg-written (xmllint not installed)"
    else echo "FAIL train/plot-svg-written"; fi
    grep -q '^confusion matrix (test;' "$tmp/digits_report.out" && echo "ok   train/confusion-matrix" ||
        echo "FAIL train/confusion-matrix: not in the output"
fi

# Checkpoints: 10 epochs straight equal 4 epochs, then 6 resumed from the checkpoint.
digits="specs/mlp_digits.net --data $D/digits.train.csv"
train ck_straight $digits --epochs 10
train ck_first $digits --epochs 4 --checkpoint "$tmp/d.ckpt"
if train ck_resumed $digits --epochs 10 --resume "$tmp/d.ckpt" &&
   cmp -s "$tmp/ck_straight.weights" "$tmp/ck_resumed.weights"; then echo "ok   train/resume-bit-identical"
else echo "FAIL train/resume-bit-identical: 4 + 6 epochs differ from 10"; fi

# A run killed (SIGKILL) while it writes checkpoints leaves a loadable one, and
# resuming from it ends where the uninterrupted run does.
train kill_straight $digits --epochs 1500
setsid "$NETC" train $digits --epochs 1500 --checkpoint "$tmp/k.ckpt" --checkpoint-every 5 --quiet \
    --out "$tmp/killed.weights" > /dev/null 2>&1 &
pid=$!
for i in $(seq 100); do [ -f "$tmp/k.ckpt" ] && break; sleep 0.1; done
sleep 0.3
kill -9 -- -"$pid" 2> /dev/null
wait "$pid" 2> /dev/null
if "$NETC" eval specs/mlp_digits.net --weights "$tmp/k.ckpt" --data $D/digits.test.csv > "$tmp/k.eval" 2>&1; then
    echo "ok   train/killed-checkpoint-loads $(cat "$tmp/k.eval")"
else cat "$tmp/k.eval"; echo "FAIL train/killed-checkpoint-loads"; fi
if train kill_resumed $digits --epochs 1500 --checkpoint "$tmp/k.ckpt" --resume "$tmp/k.ckpt" &&
   cmp -s "$tmp/kill_straight.weights" "$tmp/kill_resumed.weights"; then echo "ok   train/killed-resume-bit-identical"
else echo "FAIL train/killed-resume-bit-identical"; fi

# L-BFGS (full batch, one iteration per epoch) reaches the least-squares fit.
if train linreg_lbfgs specs/linreg.net --data $D/diabetes.train.csv --test $D/diabetes.test.csv --optimizer lbfgs --epochs 100; then
    got=$(field "$(grep '^test:' "$tmp/linreg_lbfgs.out")" mse)
    if [ -n "$got" ] && [ -n "$want" ] && awk "BEGIN { r = $got / $want; exit !(r > 0.999 && r < 1.001) }"; then
        echo "ok   train/lbfgs-linreg test mse $got, closed form $want"
    else
        echo "FAIL train/lbfgs-linreg: test mse '$got' not within 0.1% of the closed-form '$want'"
    fi
fi

# Divergence: a non-finite loss, gradient or update stops the run with exit 1 and
# names the epoch, the batch and the tensor; the checkpoint on disk and an
# existing --out file are left as they were.
# diverge NAME ARGS...: a run that must exit 1; its stderr in $tmp/NAME.err.
diverge() {
    local name=$1 status; shift
    "$NETC" train "$@" --quiet > /dev/null 2> "$tmp/$name.err"
    status=$?
    [ $status -eq 1 ] && return 0
    cat "$tmp/$name.err"; echo "FAIL train/$name: exit status $status, want 1"; return 1
}
# has NAME REGEX: a line of the run's stderr matches REGEX (extended, whole line).
has() { grep -qxE "$2" "$tmp/$1.err" || { cat "$tmp/$1.err"; echo "FAIL train/$1: no line '$2'"; return 1; }; }
same() { cmp -s "$2" "$3" || { echo "FAIL train/$1: $2 changed"; return 1; }; }
loads() {
    "$NETC" eval "$2" --weights "$3" --data $D/diabetes.test.csv > "$tmp/$1.eval" 2>&1 ||
        { cat "$tmp/$1.eval"; echo "FAIL train/$1: $3 does not load"; return 1; }
}
linreg="specs/linreg.net --data $D/diabetes.train.csv"
echo "not weights" > "$tmp/dv_prev.weights"
cp "$tmp/dv_prev.weights" "$tmp/dv_out.weights"

# The loss overflows (lr 10 on least squares) after a checkpoint every epoch.
if diverge diverge-loss $linreg --lr 10 --epochs 300 --checkpoint "$tmp/dv.ckpt" --checkpoint-every 1 \
        --out "$tmp/dv_out.weights" &&
   has diverge-loss "error: training stopped at epoch [0-9]+, batch 1 of 1: the loss is (inf|nan)" &&
   has diverge-loss "hint: lower the learning rate \(now --lr 10\), .* or clip the gradient \(--clip 1\)" &&
   has diverge-loss "note: the weights were not saved; '$tmp/dv_out.weights' was not written" &&
   same diverge-loss "$tmp/dv_prev.weights" "$tmp/dv_out.weights" && loads diverge-loss specs/linreg.net "$tmp/dv.ckpt"; then
    e=$(sed -n 's/^error: training stopped at epoch \([0-9]*\),.*/\1/p' "$tmp/diverge-loss.err")
    if has diverge-loss "note: the checkpoint '$tmp/dv.ckpt' of epoch $((e - 1)) is kept as it was; .*"; then
        echo "ok   train/diverge-loss at epoch $e, the checkpoint of epoch $((e - 1)) loads, --out untouched"
    fi
fi

# The update overflows from a finite gradient (lr 1e308), on the first epoch after
# a resume that would otherwise be the last: the checkpoint of epoch 50 and the
# --out file stay byte-identical (without the check both get infinite weights).
train dv_base $linreg --epochs 50 --checkpoint "$tmp/dvu.ckpt"
cp "$tmp/dvu.ckpt" "$tmp/dvu_before.ckpt"
cp "$tmp/dv_base.weights" "$tmp/dvu_out.weights"
if diverge diverge-update $linreg --epochs 51 --lr 1e308 --resume "$tmp/dvu.ckpt" --checkpoint "$tmp/dvu.ckpt" \
        --out "$tmp/dvu_out.weights" &&
   has diverge-update "error: training stopped at epoch 51, batch 1 of 1: the update made 'y.w' non-finite \(-?inf at \[0\]\[[0-9]\]\) from a finite gradient" &&
   has diverge-update "note: the checkpoint '$tmp/dvu.ckpt' of epoch 50 is kept as it was; .*" &&
   same diverge-update "$tmp/dvu_before.ckpt" "$tmp/dvu.ckpt" && same diverge-update "$tmp/dv_base.weights" "$tmp/dvu_out.weights" &&
   loads diverge-update specs/linreg.net "$tmp/dvu.ckpt"; then
    echo "ok   train/diverge-update: $(grep -o "the update made.*gradient" "$tmp/diverge-update.err"); checkpoint and --out byte-identical"
fi

# A finite loss with a non-finite gradient: sqrt(z) at z = 0 (zero weights) has an
# infinite derivative. Mini-batch SGD and full-batch L-BFGS stop at their first step.
cat > "$tmp/root.net" <<'NET'
network root
precision double
activation root(z) = sqrt(z)
input  x[10]
dense  y[1] root init=zeros
loss   mse
train
  scale standard
  batch 32
  seed 1
end
NET
grad_line="the gradient of 'y.w' has a non-finite value \((nan|-?inf) at \[0\]\[0\]\)"
if diverge diverge-gradient "$tmp/root.net" --data $D/diabetes.train.csv &&
   has diverge-gradient "error: training stopped at epoch 1, batch 1 of 12: $grad_line" &&
   has diverge-gradient "hint: the loss is finite \([0-9.e+]+\) there: a formula in the spec may have an infinite derivative .*"; then
    echo "ok   train/diverge-gradient $(grep -o "the gradient of.*" "$tmp/diverge-gradient.err")"
fi
if diverge diverge-gradient-lbfgs "$tmp/root.net" --data $D/diabetes.train.csv --optimizer lbfgs &&
   has diverge-gradient-lbfgs "error: training stopped at epoch 1 \(L-BFGS, full batch\): $grad_line" &&
   has diverge-gradient-lbfgs "hint: scale the input features .*--optimizer adam"; then
    echo "ok   train/diverge-gradient-lbfgs"
fi

# Killed at 26 moments over a run that checkpoints every epoch (tests/train/kill.sh).
tests/train/kill.sh "$B"
