#!/bin/bash
# Export group: `netc export` on trained networks (iris, digits, XOR, every
# built-in activation with dropout, a libm-free graph, every formula spec):
# strict C under gcc and clang, byte-stable output, outputs against `netc
# predict` (1e-6 relative per row; bit-for-bit on rows netc predict computes
# alone, built with the trainer's flags), the reported accuracy against `netc
# eval`, int8 accuracy beside float, -m32, -ffreestanding, the stack figure
# against gcc's -fstack-usage, an arm-none-eabi build (skipped when the
# toolchain is absent), usage errors, and `netc build --single-header` in C and
# C++. Measured numbers are printed on the ok lines.
B=${1:-build}
NETC=$B/netc
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
BASE="-std=c99 -Wall -Wextra -Wpedantic -Werror"
STRICT="$BASE -Wshadow -Wconversion -Wdouble-promotion -Wstrict-prototypes -Wmissing-prototypes"
NATIVE=${NETC_CFLAGS:--O3 -march=native}     # how netc builds the trainers behind predict

ok() { echo "ok   export/$*"; }
fail() { echo "FAIL export/$*"; }

# info SPEC KEY: a top-level string or number from `netc inspect --json`.
info() {
    "$NETC" inspect "$1" --json | $PY -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}

# driver DIR NET REAL OUT [CC FLAGS...]: builds tests/export/driver.c around an export.
driver() {
    local dir=$1 net=$2 real=$3 out=$4 cc=${5:-gcc}
    shift 5 2>/dev/null || shift $#
    local up; up=$(echo "$net" | tr a-z A-Z)
    $cc $BASE "$@" -DNET="$net" -DNETU="$up" -DREAL="$real" -DNET_HEADER="\"${net}_infer.h\"" \
        -I"$dir" -o "$out" tests/export/driver.c "$dir/${net}_infer.c" "$dir/${net}_weights.c" -lm
}

# strict DIR NET LABEL: both files under gcc and clang with the full warning set.
strict() {
    local dir=$1 net=$2 label=$3 errs
    for cc in gcc clang; do
        local extra=""; [ $cc = clang ] && extra=-Wmissing-variable-declarations
        if errs=$($cc $STRICT $extra -c "$dir/${net}_infer.c" -o "$tmp/s.o" 2>&1) &&
           errs=$($cc $STRICT $extra -c "$dir/${net}_weights.c" -o "$tmp/s.o" 2>&1); then
            ok "$label-strict-$cc"
        else
            echo "$errs" | head -10; fail "$label-strict-$cc"
        fi
    done
}

# reported LOG WHICH: the accuracy or mse netc export printed for WHICH (float, double, int8).
reported() {
    sed -n "s/^test: .*$2 \(accuracy\|mse\) \([-0-9.e+]*\)%\{0,1\}.*/\1 \2/p" "$1" | head -1
}

# case NAME SPEC TRAIN TEST [netc train args]: train, export in the spec's
# precision, check it every way; the int8 checks follow in int8_case.
case_float() {
    local name=$1 spec=$2 train=$3 test=$4
    shift 4
    local d=$tmp/$name net prec real
    mkdir -p "$d"
    net=$(info "$spec" network); prec=$(info "$spec" precision)
    real=$prec
    if ! "$NETC" train "$spec" --data "$train" --out "$d/w" --quiet "$@" > "$d/train.log" 2>&1; then
        tail -5 "$d/train.log"; fail "$name-train"; return
    fi
    if ! "$NETC" export "$spec" --weights "$d/w" -o "$d/f" --test "$test" > "$d/export.log" 2>&1; then
        cat "$d/export.log"; fail "$name-export"; return
    fi
    "$NETC" export "$spec" --weights "$d/w" -o "$d/f2" --test "$test" > /dev/null 2>&1
    if cmp -s "$d/f/${net}_infer.c" "$d/f2/${net}_infer.c" &&
       cmp -s "$d/f/${net}_weights.c" "$d/f2/${net}_weights.c" &&
       cmp -s "$d/f/${net}_infer.h" "$d/f2/${net}_infer.h"; then
        ok "$name-deterministic"
    else
        fail "$name-deterministic"
    fi
    strict "$d/f" "$net" "$name"

    # the accuracy (or mse) export reports is netc eval's
    local rep ev
    rep=$(reported "$d/export.log" "$prec")
    ev=$("$NETC" eval "$spec" --weights "$d/w" --data "$test" 2>&1)
    if [ "${rep%% *}" = accuracy ] && grep -q "accuracy ${rep#* }%" <<< "$ev"; then
        ok "$name-reported $rep (netc eval agrees)"
    elif [ "${rep%% *}" = mse ] &&
         $PY -c "import sys; a=float('${rep#* }'); b=float('$(sed -n 's/.*mse \([^ ]*\).*/\1/p' <<< "$ev")'); sys.exit(abs(a-b) > 1e-5*max(abs(b),1e-12))"; then
        ok "$name-reported $rep (netc eval agrees)"
    else
        echo "export: $rep"; echo "$ev"; fail "$name-reported"
    fi

    # outputs against netc predict on the whole test set
    "$NETC" predict "$spec" --weights "$d/w" --data "$test" > "$d/pred.csv" 2>&1
    if driver "$d/f" "$net" "$real" "$d/drv" gcc -O2 && "$d/drv" < "$test" > "$d/out.csv" &&
       res=$($PY tests/export/compare.py "$d/pred.csv" "$d/out.csv" 1e-6); then
        ok "$name-vs-predict $res"
    else
        echo "$res"; fail "$name-vs-predict"
    fi
    # bit for bit where netc predict sums in the same order: rows predicted one
    # at a time, the export built with the trainer's flags (float networks)
    [ "$prec" = float ] || return 0
    if driver "$d/f" "$net" "$real" "$d/drvn" gcc $NATIVE && "$d/drvn" < "$test" > "$d/outn.csv"; then
        local r bad=0
        for r in 1 2 3 4 5; do
            { head -1 "$test"; sed -n "$((r + 1))p" "$test"; } > "$d/row.csv"
            want=$("$NETC" predict "$spec" --weights "$d/w" --data "$d/row.csv" | sed -n 2p |
                   cut -d, -f1-"$(info "$spec" output_size)")
            [ "$want" = "$(sed -n "${r}p" "$d/outn.csv")" ] || { bad=1; echo "row $r: $want"; }
        done
        [ $bad = 0 ] && ok "$name-bit-exact (5 rows one at a time, $NATIVE)" || fail "$name-bit-exact"
    else
        fail "$name-bit-exact (build)"
    fi
}

# int8_case NAME SPEC TRAIN TEST MAXDROP: int8 beside float on the test set.
int8_case() {
    local name=$1 spec=$2 train=$3 test=$4 maxdrop=$5
    local d=$tmp/$name net
    net=$(info "$spec" network)
    [ -f "$d/w" ] || return 0
    if ! "$NETC" export "$spec" --weights "$d/w" -o "$d/q" --precision int8 --calibrate "$train" \
            --test "$test" > "$d/q.log" 2>&1; then
        cat "$d/q.log"; fail "$name-int8-export"; return
    fi
    strict "$d/q" "$net" "$name-int8"
    local fl q8 got
    fl=$(reported "$d/q.log" float); q8=$(reported "$d/q.log" int8)
    if driver "$d/q" "$net" float "$d/drvq" gcc -O2 && "$d/drvq" < "$test" > "$d/outq.csv"; then
        got=$($PY tests/export/score.py "$d/outq.csv" "$test")
    fi
    # the compiled int8 code scores what netc export reported (within one row:
    # the report runs the same arithmetic in-process, rounding may differ once)
    local rows=${got##* }
    if [ -n "$got" ] && $PY - "$fl" "$q8" "${got% rows*}" "$rows" "$maxdrop" <<'PY'
import sys
fl, q8, got, rows, maxdrop = sys.argv[1:]
kind, f = fl.split()[0], float(fl.split()[1])
q, g = float(q8.split()[1]), float(got.split()[1])
if kind == "accuracy":
    ok = abs(g - q) <= 100.0 / int(rows) + 1e-9 and f - q <= float(maxdrop)
else:
    ok = abs(g - q) <= 1e-3 * max(q, 1e-9) and q <= f * (1 + float(maxdrop))
sys.exit(0 if ok else 1)
PY
    then
        ok "$name-int8 float $fl, int8 $q8, compiled int8 ${got% rows*} ($(sed -n 's/^size: //p' "$d/q.log"))"
    else
        cat "$d/q.log"; echo "compiled: $got"; fail "$name-int8 (allowed drop $maxdrop)"
    fi
}

case_float iris specs/iris_mlp.net examples/data/iris.train.csv examples/data/iris.test.csv
case_float digits specs/digits_mlp.net examples/data/digits.train.csv examples/data/digits.test.csv
case_float xor specs/xor.net examples/data/xor.csv examples/data/xor.csv --scale minmax
for s in zoo plain; do
    mkdir -p "$tmp/data-$s"
    $PY tests/export/data.py "$NETC" tests/export/$s.net "$tmp/data-$s"
done
case_float zoo tests/export/zoo.net "$tmp/data-zoo/train.csv" "$tmp/data-zoo/test.csv" \
    --epochs 60 --optimizer adam --lr 0.01 --scale minmax
case_float plain tests/export/plain.net "$tmp/data-plain/train.csv" "$tmp/data-plain/test.csv" \
    --epochs 60 --optimizer adam --lr 0.01 --scale standard
for spec in tests/formulas/*.net; do
    name=formulas-$(basename "$spec" .net)
    mkdir -p "$tmp/data-$name"
    $PY tests/export/data.py "$NETC" "$spec" "$tmp/data-$name"
    case_float "$name" "$spec" "$tmp/data-$name/train.csv" "$tmp/data-$name/test.csv" \
        --epochs 20 --scale none
    # the same double network rendered in float and in int8: strict C too
    for p in float int8; do
        if "$NETC" export "$spec" --weights "$tmp/$name/w" -o "$tmp/$name/$p" --precision $p \
               --calibrate "$tmp/data-$name/train.csv" > /dev/null &&
           gcc $STRICT -c "$tmp/$name/$p/$(info "$spec" network)_infer.c" -o "$tmp/s.o"; then
            ok "$name-as-$p-strict-gcc"
        else
            fail "$name-as-$p-strict-gcc"
        fi
    done
done

int8_case iris specs/iris_mlp.net examples/data/iris.train.csv examples/data/iris.test.csv 3.4
int8_case digits specs/digits_mlp.net examples/data/digits.train.csv examples/data/digits.test.csv 1.0
int8_case zoo tests/export/zoo.net "$tmp/data-zoo/train.csv" "$tmp/data-zoo/test.csv" 2.5
int8_case plain tests/export/plain.net "$tmp/data-plain/train.csv" "$tmp/data-plain/test.csv" 0.25

# ---- 32-bit x86 (Debian's gcc-multilib): float against netc predict, int8 as reported ----
# Building needs gcc-multilib; running needs a kernel that runs 32-bit programs
# (some virtual machines' kernels are built without it).
if ! echo 'int main(void){return 0;}' | gcc -m32 -x c - -o "$tmp/m32" 2>/dev/null; then
    echo "skip export/m32: gcc -m32 cannot build (apt-get install gcc-multilib)"
elif ! "$tmp/m32" 2>/dev/null; then
    echo "skip export/m32: this kernel does not run 32-bit x86 programs"
else
    for name in iris digits; do
        d=$tmp/$name; net=$(info "specs/${name}_mlp.net" network)
        test=examples/data/$name.test.csv
        if driver "$d/f" "$net" float "$d/drv32" gcc -m32 -O2 && "$d/drv32" < "$test" > "$d/out32.csv" &&
           res=$($PY tests/export/compare.py "$d/pred.csv" "$d/out32.csv" 1e-6) &&
           driver "$d/q" "$net" float "$d/drvq32" gcc -m32 -O2 && "$d/drvq32" < "$test" > "$d/outq32.csv" &&
           q32=$($PY tests/export/score.py "$d/outq32.csv" "$test") &&
           [ "$q32" = "$($PY tests/export/score.py "$d/outq.csv" "$test")" ]; then
            ok "$name-m32 $res; int8 ${q32% rows*} as on x86-64"
        else
            echo "$res / $q32"; fail "$name-m32"
        fi
    done
fi

# ---- freestanding: a network without libm activations needs no library at all ----
for v in f q; do
    d=$tmp/plain/$v
    if grep -q '#include <math.h>' "$d/plain_infer.c"; then
        fail "plain-freestanding-$v: includes <math.h>"; continue
    fi
    if gcc $STRICT -ffreestanding -nostdlib -O2 -c "$d/plain_infer.c" -o "$tmp/fs1.o" &&
       gcc $STRICT -ffreestanding -nostdlib -O2 -c "$d/plain_weights.c" -o "$tmp/fs2.o" &&
       clang $STRICT -ffreestanding -nostdlib -O2 -c "$d/plain_infer.c" -o "$tmp/fs3.o" &&
       ld -r -o "$tmp/fs_gcc.o" "$tmp/fs1.o" "$tmp/fs2.o" && ld -r -o "$tmp/fs_clang.o" "$tmp/fs3.o" "$tmp/fs2.o"; then
        undef=$(nm -u "$tmp/fs_gcc.o" "$tmp/fs_clang.o" | awk 'NF == 2 {print $2}' | sort -u | tr '\n' ' ')
        if [ -z "$undef" ]; then
            ok "plain-freestanding-$v (gcc and clang, no undefined symbols)"
        else
            fail "plain-freestanding-$v: calls $undef"
        fi
    else
        fail "plain-freestanding-$v"
    fi
done

# ---- stack: NAME_STACK_BYTES against gcc's -fstack-usage. Unoptimized, predict's
# frame holds the declared arrays; optimized, every function's frame together stays
# within the declared bytes plus a small overhead (inlined kernels' scalars, saved
# registers; the optimizer may also keep some of the arrays in registers). ----
su() {   # FILE OPT: "predict's frame, every function's frame summed"
    gcc -std=c99 $2 -fstack-usage -c "$1" -o "$tmp/su.o" &&
    awk -F'\t' '/_predict\t/ {own = $2} !/_predict_batch\t/ {all += $2} END {print own, all}' "$tmp/su.su"
}
for c in digits/f digits/q plain/q; do
    d=$tmp/${c%/*}/${c#*/}; net=$(ls "$d" | sed -n 's/_infer\.c$//p')
    declared=$(sed -n 's/^#define [A-Z0-9_]*_STACK_BYTES \([0-9]*\)$/\1/p' "$d/${net}_infer.h")
    read -r own0 all0 <<< "$(su "$d/${net}_infer.c" -O0)"
    read -r own2 all2 <<< "$(su "$d/${net}_infer.c" -O2)"
    if [ -n "$own0" ] && [ "$own0" -ge "$declared" ] && [ "$own0" -le $((declared + 128)) ] &&
       [ -n "$all2" ] && [ "$all2" -le $((declared + 512)) ]; then
        ok "${c/\//-}-stack declared $declared bytes; gcc x86-64 -O0: predict's frame $own0; -O2: $own2, all functions $all2"
    else
        echo "-O0: $own0 $all0, -O2: $own2 $all2"; fail "${c/\//-}-stack declared $declared"
    fi
done

# ---- arm-none-eabi (Cortex-M4F): builds and links; sizes reported ----
if command -v arm-none-eabi-gcc >/dev/null && command -v arm-none-eabi-size >/dev/null; then
    ARM="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os $BASE"
    for c in digits/f digits/q plain/q; do
        d=$tmp/${c%/*}/${c#*/}; net=$(ls "$d" | sed -n 's/_infer\.c$//p'); up=$(echo "$net" | tr a-z A-Z)
        printf '#include "%s_infer.h"\nint main(void)\n{\n    static float x[%s_INPUT_SIZE], y[%s_OUTPUT_SIZE];\n    %s_predict(x, y);\n    return y[0] > 0.5f;\n}\n' \
            "$net" "$up" "$up" "$net" > "$tmp/arm_main.c"
        if arm-none-eabi-gcc $ARM -c "$d/${net}_infer.c" -o "$tmp/arm_i.o" &&
           arm-none-eabi-gcc $ARM -c "$d/${net}_weights.c" -o "$tmp/arm_w.o" &&
           arm-none-eabi-gcc $ARM -I"$d" --specs=nosys.specs -o "$tmp/arm.elf" "$tmp/arm_main.c" \
               "$tmp/arm_i.o" "$tmp/arm_w.o" -lm; then
            sz=$(arm-none-eabi-size "$tmp/arm_i.o" "$tmp/arm_w.o" | awk 'NR > 1 {printf "%s text %s data %s bss %s; ", ($6 ~ /_i\.o$/ ? "code" : "weights"), $1, $2, $3}')
            ok "${c/\//-}-arm-none-eabi (Cortex-M4F, -Os) ${sz%; }"
        else
            fail "${c/\//-}-arm-none-eabi"
        fi
    done
else
    echo "skip export/arm-none-eabi: arm-none-eabi-gcc not installed (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"
fi

# ---- usage and input errors ----
expect() {   # NAME STATUS MESSAGE-SUBSTRING ARGS...
    local name=$1 want=$2 msg=$3 out st
    shift 3
    out=$("$NETC" export "$@" 2>&1); st=$?
    if [ "$st" = "$want" ] && grep -qF -- "$msg" <<< "$out"; then
        ok "error-$name"
    else
        echo "$out"; fail "error-$name (status $st, want $want)"
    fi
}
expect wrong-layout 1 "trained for a different network layout" specs/digits_mlp.net --weights "$tmp/iris/w" -o "$tmp/e"
expect int8-needs-data 2 "needs --calibrate" specs/iris_mlp.net --weights "$tmp/iris/w" --precision int8
expect bad-precision 2 "expects float, double or int8" specs/iris_mlp.net --weights "$tmp/iris/w" --precision half
expect no-weights 2 "no weights given" specs/iris_mlp.net
expect scalar-graph 1 "scalar graph" examples/lectures/circuit.net --weights "$tmp/iris/w"

# ---- netc build --single-header: one file, in C (two units) and C++ ----
sh=$tmp/single
mkdir -p "$sh"
"$NETC" build specs/digits_mlp.net -o "$sh" --single-header >/dev/null
printf '#define DIGITS_MLP_IMPLEMENTATION\n#include "digits_mlp.h"\n' > "$sh/impl.c"
cat > "$sh/use.c" <<'C'
#include <stdio.h>
#include "digits_mlp.h"
int main(void)
{
    static digits_mlp_real params[DIGITS_MLP_NUM_PARAMS], work[DIGITS_MLP_WORK_SIZE(2)];
    static digits_mlp_real x[2 * DIGITS_MLP_INPUT_SIZE], y[2 * DIGITS_MLP_OUTPUT_SIZE];
    for (int i = 0; i < 2 * DIGITS_MLP_INPUT_SIZE; i++)
        x[i] = (digits_mlp_real)(i % 17);
    digits_mlp_init_params(params, 7);
    digits_mlp_forward(y, params, x, 2, work);
    for (int k = 0; k < 2 * DIGITS_MLP_OUTPUT_SIZE; k++)
        printf("%.9g\n", (double)y[k]);
    return 0;
}
C
cp "$sh/impl.c" "$sh/impl.cpp"; cp "$sh/use.c" "$sh/use.cpp"
"$NETC" build specs/digits_mlp.net -o "$sh/two" >/dev/null
if [ "$(ls "$sh")" = "$(printf 'digits_mlp.h\nimpl.c\nimpl.cpp\ntwo\nuse.c\nuse.cpp')" ] &&
   gcc $STRICT -O2 -I"$sh" -o "$sh/c" "$sh/impl.c" "$sh/use.c" -lm &&
   gcc $STRICT -O2 -I"$sh/two" -o "$sh/ref" "$sh/two/digits_mlp.c" "$sh/use.c" -lm &&
   g++ -Wall -Wextra -Wpedantic -Werror -O2 -I"$sh" -o "$sh/cpp" "$sh/impl.cpp" "$sh/use.cpp" &&
   "$sh/c" > "$sh/c.out" && "$sh/ref" > "$sh/ref.out" && "$sh/cpp" > "$sh/cpp.out" &&
   cmp -s "$sh/c.out" "$sh/ref.out"; then
    ok "single-header (one file; C in two units as the two-file build, C++ with the implementation)"
else
    ls "$sh"; fail "single-header"
fi

# ---- the C++ example: the export's header from C++ (g++ -Wall -Wextra -Werror) ----
if out=$(make -s -C examples/cpp B="$(cd "$B" && pwd)" TOP="$PWD" 2>&1); then
    ok "examples/cpp: $(echo "$out" | tail -n 1)"
else
    echo "$out" | tail -10; fail "examples/cpp"
fi
