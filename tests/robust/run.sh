#!/bin/bash
# tests/robust/run.sh B: hardening (docs/robustness.md). Inputs too large to keep
# as files are generated here: every limit of docs/language.md is hit and must
# give its message (exit 1, quickly, no crash); names that could collide with C
# or with generated and runtime symbols must be refused or compile -Werror; bad
# files of every kind are refused with a message and no control bytes; and a
# refused spec never touches a file netc wrote before.
B=${1:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
NETC=$B/netc
ROOT=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
STRICT="-std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wdouble-promotion -Wstrict-prototypes -Wmissing-prototypes -Werror"

# Messages are well-formed UTF-8 without control characters other than tab and newline.
clean='import sys, unicodedata
t = open(sys.argv[1], "rb").read().decode("utf-8")
sys.exit(any(unicodedata.category(c) == "Cc" and c not in "\t\n" for c in t))'

# refused NAME SPEC TEXT [ARGS...]: `netc build SPEC` exits 1 within 30 s and
# stderr holds TEXT (a fixed string) and is clean (above).
refused() {
    local name=$1 spec=$2 text=$3; shift 3
    timeout 30 "$NETC" build "$spec" -o "$tmp/out" "$@" > /dev/null 2> "$tmp/err"
    local rc=$?
    if [ $rc -ne 1 ]; then
        head -c 600 "$tmp/err"; echo "FAIL robust/$name: status $rc, want 1"
    elif ! grep -qF -- "$text" "$tmp/err"; then
        head -c 600 "$tmp/err"; echo "FAIL robust/$name: no '$text' in the messages"
    elif ! python3 -c "$clean" "$tmp/err"; then
        echo "FAIL robust/$name: control bytes or broken UTF-8 in the messages"
    else
        echo "ok   robust/$name"
    fi
}

# ---- limits ----
gen() { python3 -c "$1" > "$tmp/$2"; }
gen "print('input x[2]\n' + '#' * (1 << 20))" big.net
refused limit-file-size "$tmp/big.net" "larger than 1048576 bytes (1 MiB)"
gen "print('input x[2]\n' + 'const c = 1\n' * 10000)" statements.net
refused limit-statements "$tmp/statements.net" "at most 10000 statements"
gen "print('input x[2]\n' + ''.join('dense h%d[2] relu\n' % i for i in range(1001)) + 'loss mse')" layers.net
refused limit-layers "$tmp/layers.net" "at most 1000 'dense' layers"
gen "print('input x[2]\nfeature f = ' + '(' * 10001 + 'x' + ')' * 10001)" parens.net
refused limit-parens "$tmp/parens.net" "the parser's stack of 10000 levels is full"
gen "print('input x[2]\nfeature f = ' + '-' * 5000 + 'x')" minus.net
refused limit-unary "$tmp/minus.net" "more than 256 levels"
gen "print('input x[2]\nfeature f = x' + ' ^ 2' * 5000)" power.net
refused limit-power "$tmp/power.net" "nested too deeply"
gen "print('input x[2]\nfeature f = x' + ' + x' * 100000)" chain.net
refused limit-chain "$tmp/chain.net" "more than 256 levels"
gen "print('input x[4]\nactivation g(z) = ' + ' + '.join('tanh(z) * %d' % i for i in range(80)) + '\n' + ''.join('feature f%d = g(%s)\n' % (i, 'x' if i == 0 else 'f%d' % (i - 1)) for i in range(1000)) + 'dense y[1] linear\nloss mse')" total.net
refused limit-formula-total "$tmp/total.net" "add up to more than 200000 operations"
gen "print('param a = 1\n' + ''.join('feature f%d = %s * 2 + a\n' % (i, 'f%d' % (i - 1) if i else 'a') for i in range(2000)) + 'output o = f1999')" scalar.net
refused limit-scalar-depth "$tmp/scalar.net" "nested too deeply once the functions and features"
gen "print('input x[1000000]\ndense h[1000] relu\ndense y[1] linear\nloss mse')" params.net
refused limit-params "$tmp/params.net" "parameters (limit 100000000)"
gen "print('input x[1000001]\ndense y[1] linear\nloss mse')" units.net
refused limit-units "$tmp/units.net" "is too large (limit 1000000)"
gen "print('input x[1000]\nfeature f0 = x * 2\n' + ''.join('feature f%d = concat(f%d, x)\n' % (i, i - 1) for i in range(1, 400)) + 'dense y[1] linear\nloss mse')" work.net
refused limit-work "$tmp/work.net" "values per sample (limit 50000000)"

# The emitted C stays under 1,000,000 lines whatever --unroll-limit says: the
# largest networks the limits allow, fully unrolled where the budget lets them.
gen "print('input x[8]\n' + ''.join('dense h%d[8] tanh\n' % i for i in range(999)) + 'dense y[8] linear\nloss mse')" deep.net
gen "print('input x[256]\n' + ''.join('dense h%d[256] relu\n' % i for i in range(999)) + 'dense y[1] linear\nloss mse')" wide.net
gen "print('input x[4]\n' + ''.join('feature f%d = %s * 2\n' % (i, 'x' if i == 0 else 'f%d' % (i - 1)) for i in range(9990)) + 'dense y[1] linear\nloss mse')" features.net
for n in deep wide features; do
    rm -rf "$tmp/out"
    if ! timeout 60 "$NETC" build "$tmp/$n.net" -o "$tmp/out" --unroll-limit 1000000 2> "$tmp/err"; then
        head -5 "$tmp/err"; echo "FAIL robust/lines-$n: netc build failed"; continue
    fi
    lines=$(cat "$tmp"/out/*.c "$tmp"/out/*.h | wc -l)
    if [ "$lines" -lt 1000000 ]; then echo "ok   robust/lines-$n ($lines lines)"
    else echo "FAIL robust/lines-$n: $lines lines of C, limit 1000000"; fi
done

# ---- bad files of every kind ----
head -c 4096 /dev/urandom > "$tmp/random.net"
printf 'input x[2]\n\0\0dense y[1] relu\n' > "$tmp/nul.net"
printf 'input x[2]\ndense y[1] \033[31mrelu\033[0m\nloss mse\n' > "$tmp/escape.net"
: > "$tmp/empty.net"
mkdir -p "$tmp/dir.net"
refused random-bytes "$tmp/random.net" "error:"
refused nul-bytes "$tmp/nul.net" "NUL byte in the spec"
refused terminal-escape "$tmp/escape.net" "unexpected character '\\x1b'"
refused empty "$tmp/empty.net" "the spec is empty"
refused directory "$tmp/dir.net" "error:"
refused missing "$tmp/none.net" "cannot open"
printf 'FANN_FLO_2.1\nnum_layers=2\n' > "$tmp/fann.net"
refused fann "$tmp/fann.net" "FANN saved network"

# a weights file whose network name holds a terminal escape: shown as '?'
"$NETC" weights dump tests/fuzz/crashes/weights_control_name > "$tmp/dump" 2>&1
if python3 -c "$clean" "$tmp/dump" && grep -q "network '?\[31mred'" "$tmp/dump"; then
    echo "ok   robust/weights-name-escaped"
else
    echo "FAIL robust/weights-name-escaped: control bytes from a weights file reached the output"
fi

# ---- nothing saved is lost ----
mkdir -p "$tmp/keep"
"$NETC" build specs/xor.net -o "$tmp/keep" && cp -r "$tmp/keep" "$tmp/keep.orig"
printf 'network xor\ninput x[2]\ndense y[1] nosuch\nloss mse\n' > "$tmp/xor_bad.net"
"$NETC" build "$tmp/xor_bad.net" -o "$tmp/keep" 2> /dev/null
if diff -r "$tmp/keep" "$tmp/keep.orig" > /dev/null; then echo "ok   robust/refused-spec-keeps-outputs"
else echo "FAIL robust/refused-spec-keeps-outputs: a refused spec changed earlier outputs"; fi
cp "$tmp/big.net" "$tmp/big.orig"
"$NETC" fmt -i "$tmp/big.net" 2> "$tmp/err"
rc=$?
if [ $rc -eq 1 ] && cmp -s "$tmp/big.net" "$tmp/big.orig"; then echo "ok   robust/fmt-keeps-large-file"
else echo "FAIL robust/fmt-keeps-large-file: status $rc, file changed or not refused"; fi
ls "$tmp" | grep -q '\.tmp\.' && echo "FAIL robust/no-temporaries: a temporary file was left" \
    || echo "ok   robust/no-temporaries"

# ---- names: C keywords, generated and runtime symbols ----
# Each name goes everywhere a spec names something (tests/robust/names.sh); a
# spec is either refused with a message or builds C that compiles -Werror.
names="work params batch n grad x t y w b z main size_t NULL forward NUM_PARAMS H netrt_x _x
       double"
mkdir -p "$tmp/names"
for n in $names; do tests/robust/names.sh "$NETC" "$tmp/names/specs" "$n"; done
built=0 refused_n=0 bad=0
for spec in "$tmp"/names/specs/*.net; do
    base=$(basename "$spec" .net)
    if timeout 30 "$NETC" build "$spec" -o "$tmp/names/c/$base" > /dev/null 2> "$tmp/err"; then
        built=$((built + 1))
    else
        rc=$?
        if [ $rc -ne 1 ] || ! grep -q ': error: ' "$tmp/err"; then
            bad=$((bad + 1)); head -3 "$tmp/err"; echo "FAIL robust/names-$base: status $rc"
        fi
        refused_n=$((refused_n + 1))
    fi
done
[ $bad -eq 0 ] && echo "ok   robust/names-refused-with-message ($refused_n refused, $built built)"
incs=$(for d in "$tmp"/names/c/*/; do printf -- '-I%s ' "$d"; done)
for cc in gcc clang; do
    command -v $cc > /dev/null || { echo "ok   robust/names-$cc (skipped: no $cc)"; continue; }
    mkdir -p "$tmp/names/o-$cc"
    # every generated file in one compiler run, from a scratch directory (the objects)
    if (cd "$tmp/names/o-$cc" && $cc $STRICT -I"$ROOT/runtime" $incs -c "$tmp"/names/c/*/*.c) \
           > "$tmp/cc.err" 2>&1; then
        echo "ok   robust/names-$cc -Werror"
    else
        head -20 "$tmp/cc.err"; echo "FAIL robust/names-$cc -Werror"
    fi
done

# The spec's path reaches comments and a string: '*/', backslashes, newlines,
# quotes and trigraphs in it must not escape them; the default network name
# made from the file name is an identifier.
mkdir -p "$tmp/we*"
odd=$tmp/we*/$'a\\b\n?"??=.net'
printf 'input x[2]\ndense y[1] sigmoid\nloss bce\n' > "$odd"
if "$NETC" build "$odd" -o "$tmp/odd" > /dev/null 2> "$tmp/err" &&
   (cd "$tmp/odd" && for f in *.c; do
        gcc $STRICT -trigraphs -I"$ROOT/runtime" -I. -c "$f" -o /dev/null || exit 1
    done) 2> "$tmp/err"; then
    echo "ok   robust/path-in-comments"
else
    head -5 "$tmp/err"; echo "FAIL robust/path-in-comments"
fi

# Builds a test driver with gcc (the arguments after NAME and BINARY) and runs
# it: the test NAME passes when the driver's output ends in a line "ok".
run_driver() {   # NAME BINARY GCC-ARGS...
    local name=$1 bin=$2; shift 2
    if gcc "$@" -o "$bin" 2> "$tmp/err" && "$bin" > "$tmp/driver.out" 2>&1 &&
       grep -q "^ok$" "$tmp/driver.out"; then
        echo "ok   robust/$name"
    else
        head -10 "$tmp/err" "$tmp/driver.out"; echo "FAIL robust/$name"
    fi
}

# ---- NAME_sgd_step: the same numbers as NAME_loss_grad and the update ----
# tests/robust/sgd_step.c, bit for bit, on networks with every kind of kernel:
# unrolled and blocked layers, dropout, features, regularization, double.
for spec in specs/xor.net tests/golden/mix.net tests/golden/graph.net specs/mlp_digits.net \
            specs/iris_mlp.net bench/specs/mnist.net; do
    n=$(basename "$spec" .net)
    d=$tmp/step/$n
    "$NETC" build "$spec" -o "$d" > /dev/null || { echo "FAIL robust/sgd-step-$n: netc build"; continue; }
    net=$(basename "$(ls "$d"/*_netrt.c)" _netrt.c)
    up=$(echo "$net" | tr a-z A-Z)
    for fl in "-O2" "-O3 -march=native"; do
        tag=O2; [ "$fl" = -O2 ] || tag=native
        run_driver "sgd-step-$n-$tag" "$d/s" -std=c99 $fl -Wall -Wextra -Werror -DNET="$net" \
            -DNETU="$up" -DNET_H="\"$net.h\"" -I"$d" tests/robust/sgd_step.c "$d/$net.c" -lm
    done
done

# ---- unrolled layers' one-sample vector forms against the blocked kernels ----
# tests/robust/one_sample.c: each spec built fully unrolled and fully blocked
# under two names; the outputs must agree to rounding on the AVX-512, AVX2 and
# portable paths. The shapes: float rows of 4 inputs, 16 to a 512-bit vector,
# with rows left over and no bias; float rows of 16 and 32 inputs (whole
# vectors, groups of 4 rows with a part group); double rows of 8 and 16. And
# blocked layers of 16 or more outputs in multiples of 8, which take the
# forward tiles 8 outputs wide (AVX-512 whole, AVX2 as two halves): inputs not
# a multiple of the vector, a relu fused or not, with and without bias, float
# and double; 13 samples, so the 3-sample tiles leave one over.
one_spec() {   # NAME PRECISION LINES...
    local n=$1 prec=$2; shift 2
    mkdir -p "$tmp/one"
    printf '%s\n' "precision $prec" "$@" > "$tmp/one/$n.body"
}
one_spec packed  float  "input x[4]" "dense h[21] tanh nobias" "dense y[3] softmax" "loss cross_entropy"
one_spec rows16  float  "input x[4]" "dense h[16] tanh" "dense g[7] sigmoid" "dense y[2] linear" "loss mse"
one_spec rows32  float  "input x[32]" "dense h[9] relu nobias" "dense y[1] linear" "loss mse"
one_spec drows16 double "input x[16]" "dense h[6] tanh" "dense y[2] linear" "loss mse"
one_spec drows8  double "input x[8]" "dense h[5] elu" "dense y[3] softmax" "loss cross_entropy"
one_spec tile8   float  "input x[37]" "dense h[24] relu" "dense g[16] tanh nobias" "dense y[3] softmax" \
                        "loss cross_entropy"
one_spec dtile8  double "input x[21]" "dense h[32] relu nobias" "dense y[16] linear" "loss mse"
# Softmax outputs of 2 to 4 classes after rows of whole vectors, which
# NAME_forward runs on one sample in registers (NAME_y_softmax_one): one
# vector of rows, two with bias, three to six chunks (FMA), no bias.
one_spec head3   float  "input x[4]" "dense h[16] tanh" "dense y[3] softmax" "loss cross_entropy"
one_spec head2   float  "input x[9]" "dense h[32] sigmoid" "dense y[2] softmax nobias" \
                        "loss cross_entropy"
one_spec head4   float  "input x[5]" "dense h[48] relu" "dense y[4] softmax" "loss cross_entropy"
for n in packed rows16 rows32 drows16 drows8 tile8 dtile8 head3 head2 head4; do
    d=$tmp/one/$n
    { echo "network u_$n"; cat "$tmp/one/$n.body"; } > "$tmp/one/u_$n.net"
    { echo "network g_$n"; cat "$tmp/one/$n.body"; } > "$tmp/one/g_$n.net"
    if ! "$NETC" build "$tmp/one/u_$n.net" -o "$d" --unroll-limit 100000 > /dev/null ||
       ! "$NETC" build "$tmp/one/g_$n.net" -o "$d" --unroll-limit 0 > /dev/null; then
        echo "FAIL robust/one-sample-$n: netc build"; continue
    fi
    for fl in "-O2" "-O3 -mavx2 -mfma" "-O3 -march=native"; do
        tag=portable; [ "$fl" = -O2 ] || tag=avx2; [ "$fl" = "-O3 -march=native" ] && tag=native
        up=$(echo "$n" | tr a-z A-Z)
        run_driver "one-sample-$n-$tag" "$d/t" -std=c99 $fl -Wall -Wextra -Werror -DU="u_$n" \
            -DUU="U_$up" -DG="g_$n" -DGU="G_$up" -DU_H="\"u_$n.h\"" -DG_H="\"g_$n.h\"" -I"$d" \
            tests/robust/one_sample.c "$d/u_$n.c" "$d/g_$n.c" -lm
    done
done

# ---- the same bits on any number of OpenMP threads ----
# tests/robust/threads_same.c: each blocked layer's rows are split among the
# threads in blocks of whole 6-row tiles, and each block ends in tiles of 12,
# 10, 8 or 6 rows and single rows that depend on where it ends. Layers of 36 to
# 46 outputs (every count of rows past a multiple of 6), batches 1 to 31 (the
# input gradient's rows) and inputs off the 16- and 8-lane vectors: the
# -fopenmp build on 1 to 4 threads, every loop split (NAME_PARALLEL_MIN=1),
# must print what the plain build prints, on the AVX-512 and AVX2 paths.
printf '%s\n' "network same_f" "input x[45]" "dense a[38] relu" "dense b[46] tanh" \
    "dense c[41] relu" "dense d[27] sigmoid" "dense e[36] relu" "dense f[37] relu nobias" \
    "dense y[5] softmax" "loss cross_entropy" > "$tmp/same_f.net"
printf '%s\n' "network same_d" "precision double" "input x[29]" "dense a[40] relu" \
    "dense b[27] tanh" "dense y[3] linear" "loss mse" > "$tmp/same_d.net"
for n in same_f same_d; do
    d=$tmp/same/$n
    up=$(echo "$n" | tr a-z A-Z)
    "$NETC" build "$tmp/$n.net" -o "$d" --unroll-limit 0 > /dev/null ||
        { echo "FAIL robust/threads-same-$n: netc build"; continue; }
    for isa in native avx2; do
        fl="-march=native"; [ $isa = avx2 ] && fl="-mavx2 -mfma"
        cc_same() { gcc -std=c99 -O3 $fl -Wall -Wextra -Werror "$@" -DNET="$n" -DNETU="$up" \
                        -DNET_H="\"$n.h\"" -I"$d" tests/robust/threads_same.c "$d/$n.c" -lm; }
        if ! cc_same -o "$d/plain" 2> "$tmp/err" ||
           ! cc_same -fopenmp -D"$up"_PARALLEL_MIN=1 -o "$d/omp" 2> "$tmp/err" ||
           ! "$d/plain" > "$d/want"; then
            head -5 "$tmp/err"; echo "FAIL robust/threads-same-$n-$isa: build or run"; continue
        fi
        for th in 1 2 3 4; do
            if OMP_NUM_THREADS=$th "$d/omp" > "$d/got" && cmp -s "$d/want" "$d/got"; then
                echo "ok   robust/threads-same-$n-$isa-$th"
            else
                diff "$d/want" "$d/got" | head -4; echo "FAIL robust/threads-same-$n-$isa-$th"
            fi
        done
    done
done

# ---- thread safety: generated functions called from 4 threads at once ----
# tests/robust/threads.c against a few networks (dropout, features and graphs,
# the large-layer kernels, double precision); under ThreadSanitizer when gcc
# has it, and with OpenMP inside the kernels.
tsan=""
echo 'int main(void){return 0;}' | gcc -fsanitize=thread -x c - -o "$tmp/tsan" 2>/dev/null && tsan=1
for spec in specs/xor.net tests/golden/mix.net tests/golden/graph.net specs/mlp_digits.net \
            specs/iris_mlp.net; do
    n=$(basename "$spec" .net)
    d=$tmp/threads/$n
    "$NETC" build "$spec" -o "$d" > /dev/null || { echo "FAIL robust/threads-$n: netc build"; continue; }
    net=$(basename "$(ls "$d"/*_netrt.c)" _netrt.c)
    up=$(echo "$net" | tr a-z A-Z)
    variants="plain"
    [ -n "$tsan" ] && variants="$variants tsan"
    [ $n = mlp_digits ] && variants="$variants openmp"
    for v in $variants; do
        case $v in plain) f="" ;; tsan) f="-fsanitize=thread" ;; openmp) f="-fopenmp" ;; esac
        run_driver "threads-$n-$v" "$d/t-$v" -std=c99 -O2 -g -pthread $f -DNET="$net" -DNETU="$up" \
            -DNET_H="\"$net.h\"" -I"$d" tests/robust/threads.c "$d/$net.c" -lm
    done
done
