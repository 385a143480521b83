#!/bin/bash
# Memory checks: netc itself (good and bad specs, every read-only command) and a
# generated trainer (train, gradcheck, predict) under valgrind: no errors, no leaks.
B=${1:-build}
NETC=$B/netc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! command -v valgrind >/dev/null; then echo "FAIL valgrind/setup: valgrind not installed"; exit 0; fi
if [ -n "${NETC_SANITIZE:-}" ]; then echo "skip valgrind: a SANITIZE=1 build (valgrind cannot run ASan-instrumented code)"; exit 0; fi
VG="valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99"

# vg NAME EXPECTED_STATUS CMD...
vg() {
    local name=$1 want=$2; shift 2
    "$@" > /dev/null 2> "$tmp/vg.err"
    local rc=$?
    if [ $rc -eq 99 ] || [ $rc -ne "$want" ]; then
        tail -30 "$tmp/vg.err"; echo "FAIL valgrind/$name (status $rc, want $want)"
    else
        echo "ok   valgrind/$name"
    fi
}

vg check 0 $VG "$NETC" check specs/mlp_digits.net
vg check-errors 1 $VG "$NETC" check $(ls tests/diag/bad_*.net | head -n 1)
vg build 0 $VG "$NETC" build specs/xor.net -o "$tmp/gen"
vg build-golden 0 $VG "$NETC" build tests/golden/mix.net -o "$tmp/gen"
vg inspect 0 $VG "$NETC" inspect specs/mlp_digits.net --json
vg usage 2 $VG "$NETC" build

# A trainer built by hand from the generated C, so valgrind sees no compiler run.
cat > "$tmp/gen/main.c" <<'C'
#include "netrt.h"
extern const NetrtModel xor_model;
int main(int argc, char **argv) { return netrt_main(&xor_model, argc, argv); }
C
if cc -std=c99 -O1 -g -gdwarf-4 -I"$tmp/gen" -I"$B/include" -o "$tmp/trainer" "$tmp/gen/main.c" \
      "$tmp/gen/xor.c" "$tmp/gen/xor_netrt.c" "$B/libnetrt.a" -lz -lm; then
    vg trainer-train 0 $VG "$tmp/trainer" train --data examples/data/xor.csv --epochs 50 --quiet --out "$tmp/x.weights"
    vg trainer-gradcheck 0 $VG "$tmp/trainer" gradcheck
    vg trainer-predict 0 $VG "$tmp/trainer" predict --weights "$tmp/x.weights" --data examples/data/xor.csv
    vg trainer-bad-data 1 $VG "$tmp/trainer" train --data examples/data/iris.csv --epochs 1 --quiet
    vg trainer-train-reports 0 $VG "$tmp/trainer" train --data examples/data/xor.csv --epochs 30 \
        --optimizer adam --validation 0.25 --patience 5 --log "$tmp/x.csv" --plot "$tmp/x.svg" \
        --checkpoint "$tmp/x.ckpt" --checkpoint-every 10 --quiet --out "$tmp/x2.weights"
    vg trainer-resume 0 $VG "$tmp/trainer" train --data examples/data/xor.csv --epochs 40 \
        --optimizer adam --validation 0.25 --patience 5 --resume "$tmp/x.ckpt" --quiet
    vg trainer-progress-bar 0 $VG "$tmp/trainer" train --data examples/data/xor.csv --epochs 20 \
        --split 0.5 --progress --scale minmax
    vg trainer-bad-target 1 $VG "$tmp/trainer" train --data examples/data/xor.csv --target nope
    vg trainer-bad-resume 1 $VG "$tmp/trainer" train --data examples/data/xor.csv --resume "$tmp/x.weights"
    vg weights-dump 0 $VG "$NETC" weights dump "$tmp/x.weights" specs/xor.net
else
    echo "FAIL valgrind/trainer: could not compile the generated trainer"
fi

# Every shipped spec: netc builds it, and its trainer trains two epochs on
# made-up rows (tests/valgrind/mkdata.py) and predicts, all clean.
for spec in specs/*.net; do
    n=$(basename "$spec" .net)
    d=$tmp/spec-$n
    vg "spec-$n-build" 0 $VG "$NETC" build "$spec" -o "$d"
    net=$(basename "$(ls "$d"/*_netrt.c 2>/dev/null)" _netrt.c)
    printf '#include "netrt.h"\nextern const NetrtModel %s_model;\nint main(int argc, char **argv) { return netrt_main(&%s_model, argc, argv); }\n' \
        "$net" "$net" > "$d/main.c"
    if ! "$NETC" inspect "$spec" --json > "$d/inspect.json" ||
       ! python3 tests/valgrind/mkdata.py "$d/inspect.json" > "$d/data.csv" ||
       ! cc -std=c99 -O1 -g -gdwarf-4 -I"$d" -I"$B/include" -o "$d/trainer" "$d/main.c" \
            "$d/$net.c" "$d/${net}_netrt.c" "$B/libnetrt.a" -lz -lm; then
        echo "FAIL valgrind/spec-$n-trainer: could not build the trainer"; continue
    fi
    vg "spec-$n-train" 0 $VG "$d/trainer" train --data "$d/data.csv" --epochs 2 --quiet --out "$d/w"
    vg "spec-$n-predict" 0 $VG "$d/trainer" predict --weights "$d/w" --data "$d/data.csv"
done
# netc on inputs that hit limits, hold NUL bytes or only warn
vg check-limit-depth 1 $VG "$NETC" check tests/diag/bad_limit_depth.net
vg check-limit-inline 1 $VG "$NETC" check tests/diag/bad_limit_inline_depth.net
vg check-nul 1 $VG "$NETC" check tests/diag/bad_nul.net
vg check-warning 0 $VG "$NETC" check tests/diag/warn_softmax_mse.net
