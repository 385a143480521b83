#!/bin/bash
# bench/bench.sh [B]: `make bench`. Builds and runs every speed benchmark on the
# same synthetic data and writes docs/performance.md (through bench/report.py).
#   netc-generated trainers and inference (-O3 -march=native, -O2, and
#   -O3 -march=native -fopenmp with 2 threads), FANN, PyTorch (1 and 2
#   threads), a C trainer on OpenBLAS (1 and 2 threads), hand-written loops
#   (-O3 -march=native -ffast-math) and an FMA peak probe.
# Environment: BENCH_TIME (seconds per repeat, default 0.25), BENCH_REPS
# (repeats, default 5), BENCH_PAIRS (back-to-back 1- and 2-thread pairs for
# the 2-thread targets, default 7), BENCH_NETS (default "xor iris digits mnist wide"),
# BENCH_OUT (default docs/performance.md), BENCH_WORK (build products and raw
# results, default B/bench). Timing lives here, never in `make test`.
set -u
B=${1:-build}
OUT=${BENCH_OUT:-docs/performance.md}
W=${BENCH_WORK:-$B/bench}
NETS=${BENCH_NETS:-xor iris digits mnist wide}
export BENCH_TIME=${BENCH_TIME:-0.25} BENCH_REPS=${BENCH_REPS:-5}
BENCH_PAIRS=${BENCH_PAIRS:-7}
CC=${CC:-cc}
[ "$CC" = cc ] || echo "bench: CC=$CC"
STD="-std=c99 -D_POSIX_C_SOURCE=200809L"
NDATA=2048
mkdir -p "$W"
RES=$W/results.txt
: > "$RES"
log() { echo "bench: $*" >&2; }
meta() { echo "META $*" >> "$RES"; }

batches() {
    case $1 in xor|iris|digits) echo 1,32 ;; *) echo 1,32,128 ;; esac
}
upper() { echo "$1" | tr a-z A-Z; }

# OpenBLAS reads these at load time; the benchmark lets it choose its own
# kernel for this CPU, and reports what it chose.
meta "env_OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-<unset>}"
meta "env_OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-<unset>}"
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS OMP_NUM_THREADS

# --- what is installed ---------------------------------------------------------
missing=
have_fann=1 have_blas=1 have_torch=1
[ -x "$B/netc" ] || { log "$B/netc missing: run make first"; exit 1; }
if ! echo '#include <floatfann.h>
int main(void){return 0;}' | $CC -x c - -o /dev/null -lfloatfann 2>/dev/null; then
    have_fann=0; missing="$missing libfann-dev"
fi
BLAS_INC=
for d in /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/openblas /usr/include; do
    [ -f "$d/cblas.h" ] && grep -q openblas_set_num_threads "$d/cblas.h" && { BLAS_INC=$d; break; }
done
if [ -z "$BLAS_INC" ] || ! echo 'int main(void){return 0;}' | $CC -x c - -o /dev/null -lopenblas 2>/dev/null; then
    have_blas=0; missing="$missing libopenblas-dev"
fi
PY=/usr/bin/python3
if ! $PY -c 'import torch, numpy' 2>/dev/null; then
    have_torch=0; missing="$missing python3-torch python3-numpy"
fi
if [ -n "$missing" ]; then
    log "not installed:$missing; those columns are skipped."
    log "install with: apt-get install$missing"
fi
meta "missing=${missing# }"
meta "bench_time=$BENCH_TIME"
meta "bench_reps=$BENCH_REPS"
meta "bench_pairs=$BENCH_PAIRS"

# --- machine -------------------------------------------------------------------
meta "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
meta "cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
meta "cpu_family_model=$(grep -m1 '^cpu family' /proc/cpuinfo | sed 's/.*: //')/$(grep -m1 '^model\s*:' /proc/cpuinfo | sed 's/.*: //')"
meta "nproc=$(nproc)"
meta "hypervisor=$(lscpu 2>/dev/null | sed -n 's/^Hypervisor vendor: *//p')"
meta "caches=$(lscpu 2>/dev/null | sed -n 's/^\(L[123][di]* cache\): *\(.*\)/\1 \2/p' | tr '\n' ';')"
meta "isa=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512_fp16|amx_bf16)$' | tr '\n' ' ')"
meta "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
# CPU jiffies busy and total so far (for the share other jobs took during the run).
cpu_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $3 }' /proc/stat; }
read -r busy0 total0 nice0 < <(cpu_jiffies)
meta "gcc=$($CC --version | head -1)"
meta "march_native=$($CC -march=native -Q --help=target 2>/dev/null | sed -n 's/^[[:space:]]*-march=[[:space:]]*//p' | head -1)"
meta "prefer_vector_width=$($CC -march=native -Q --help=target 2>/dev/null | sed -n 's/^[[:space:]]*-mprefer-vector-width=[[:space:]]*//p' | head -1)"
meta "netc=$($B/netc --version 2>/dev/null | head -1)"
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- build -----------------------------------------------------------------------
$CC $STD -O2 -Wall -Wextra -o "$W/gen_data" bench/gen_data.c -lm || exit 1
$CC $STD -O2 -fopenmp -Wall -Wextra -o "$W/peak" bench/peak.c -lm || exit 1
$CC $STD -O3 -march=native -ffast-math -Wall -Wextra -o "$W/bench_hand" bench/bench_hand.c -lm || exit 1
if [ $have_fann = 1 ]; then
    $CC $STD -O2 -Wall -Wextra -o "$W/bench_fann" bench/bench_fann.c -lfloatfann -lm || exit 1
    meta "fann=$(dpkg-query -W -f '${Version}' libfann2 2>/dev/null)"
fi
if [ $have_blas = 1 ]; then
    $CC $STD -O2 -Wall -Wextra -I"$BLAS_INC" -o "$W/bench_blas" bench/bench_blas.c -lopenblas -lm || exit 1
    meta "openblas=$(dpkg-query -W -f '${Version}' libopenblas0-pthread 2>/dev/null)"
fi
if [ $have_torch = 1 ]; then
    meta "torch=$($PY -c 'import torch; print(torch.__version__)' 2>/dev/null)"
    meta "libblas3=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
fi

# netc: generated code compiled directly (NETC_CFLAGS plays no part), three ways.
for n in $NETS; do
    g=$W/gen/$n
    rm -rf "$g" && mkdir -p "$g"
    "$B/netc" build "bench/specs/$n.net" -o "$g" > /dev/null || { log "netc build $n failed"; exit 1; }
    "$W/gen_data" "$n" $NDATA "$W/$n.bin" || exit 1
    U=$(upper "$n")
    for v in netc netc-O2 netc-omp; do
        case $v in
        netc) fl="-O3 -march=native" ;;
        netc-O2) fl="-O2" ;;
        netc-omp) fl="-O3 -march=native -fopenmp" ;;
        esac
        $CC $STD $fl -I"$g" -Ibench -DNET="$n" -DNET_UPPER="$U" "-DNET_HEADER=\"$n.h\"" \
            "-DIMPL=\"$v\"" -o "$W/bench_$v.$n" bench/bench_netc.c "$g/$n.c" -lm || exit 1
    done
    # Size and gcc -O2 compile time of the generated network (median of 3).
    lines=$(wc -l < "$g/$n.c")
    ts=$(for r in 1 2 3; do
        t0=$(date +%s.%N); $CC $STD -O2 -c -o "$g/$n.o" "$g/$n.c"; t1=$(date +%s.%N)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
    done | sort -n | sed -n 2p)
    omp=$(grep -cE '#pragma omp|_Pragma\("omp' "$g/$n.c")
    v256=$(grep -c '__m256' "$g/$n.c")
    v512=$(grep -c '__m512' "$g/$n.c")
    echo "SIZE net=$n lines=$lines hlines=$(wc -l < "$g/$n.h") compile_O2=$ts omp_pragmas=$omp m256=$v256 m512=$v512 params=$(sed -n "s/#define ${U}_NUM_PARAMS //p" "$g/$n.h")" >> "$RES"
done

# --- run -------------------------------------------------------------------------
# On a busy machine, OpenMP's default spin-then-sleep barrier makes a 2-thread
# fork/join wait for a time slice of a CPU other jobs hold; the passive policy
# sleeps at once instead, but costs a wake-up per parallel loop on a quiet
# machine (mnist b32 on 2 threads: 1.27x one thread with the default, 0.9x
# passive). Chosen, unless set, from what other jobs use in 2 s of nothing
# from us just before the runs; the load average would count our own builds.
read -r qb0 qt0 _ < <(cpu_jiffies)
sleep 2
read -r qb1 qt1 _ < <(cpu_jiffies)
busy_other=$(awk -v a="$qb0" -v b="$qb1" -v s="$qt0" -v t="$qt1" 'BEGIN { printf "%.0f", (t > s ? 100 * (b - a) / (t - s) : 0) }')
meta "cpu_busy_before_runs=$busy_other"
if [ -z "${OMP_WAIT_POLICY-}" ] && [ "$busy_other" -ge 25 ]; then
    export OMP_WAIT_POLICY=passive
fi
meta "omp_wait_policy=${OMP_WAIT_POLICY:-default}"
run() { "$@" >> "$RES" 2>> "$W/errors.txt" || log "failed: $*"; }
: > "$W/errors.txt"
log "FMA peak probe"
run "$W/peak"
for n in $NETS; do
    b=$(batches "$n")
    d=$W/$n.bin
    log "$n: training, batches $b"
    OMP_NUM_THREADS=1 run "$W/bench_netc.$n" "$d" "$b"
    [ "$(uname -m)" = x86_64 ] && BENCH_FTZ=1 OMP_NUM_THREADS=1 run "$W/bench_netc.$n" "$d" "$b"
    OMP_NUM_THREADS=1 run "$W/bench_netc-O2.$n" "$d" "$b"
    OMP_NUM_THREADS=2 run "$W/bench_netc-omp.$n" "$d" "$b"
    run "$W/bench_hand" "$n" "$d" "$b"
    [ $have_fann = 1 ] && run "$W/bench_fann" "$n" "$d" "$b"
    if [ $have_blas = 1 ]; then
        for t in 1 2; do OMP_NUM_THREADS=$t run "$W/bench_blas" "$n" "$d" "$b" $t; done
        # For reference: OpenBLAS held to its AVX2 (Haswell) kernel, the ISA netc's kernels use.
        case $n in mnist|wide)
            OMP_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell run "$W/bench_blas" "$n" "$d" "$b" 1 openblas-haswell ;;
        esac
    fi
    if [ $have_torch = 1 ]; then
        for t in 1 2; do
            OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t run $PY bench/bench_torch.py "$n" "$d" "$b" $t
        done
    fi
    log "$n: inference, one sample"
    OMP_NUM_THREADS=1 run "$W/bench_netc.$n" "$d" 1 infer
    OMP_NUM_THREADS=1 run "$W/bench_netc.$n" "$d" 1 chain
    OMP_NUM_THREADS=1 run "$W/bench_netc-O2.$n" "$d" 1 infer
    run "$W/bench_hand" "$n" "$d" 1 infer
    [ $have_fann = 1 ] && run "$W/bench_fann" "$n" "$d" 1 infer
    [ $have_torch = 1 ] && OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 run $PY bench/bench_torch.py "$n" "$d" 1 1 infer
done
# The 2-thread targets compare two runs that happened minutes apart, and the
# second CPU's load drifts in between. So for them, also back-to-back pairs:
# one repeat on 1 thread (the plain build), then one on 2 (the -fopenmp build),
# BENCH_PAIRS times; the report takes the median of the pairs' ratios.
log "1 and 2 threads back to back, $BENCH_PAIRS pairs"
for n in $NETS; do
    case $n in mnist|wide) ;; *) continue ;; esac
    for b in 32 128; do
        for i in $(seq "$BENCH_PAIRS"); do
            for t in 1 2; do
                exe=$W/bench_netc.$n
                [ $t = 2 ] && exe=$W/bench_netc-omp.$n
                OMP_NUM_THREADS=$t BENCH_REPS=1 BENCH_NO_SPLIT=1 "$exe" "$W/$n.bin" "$b" 2>> "$W/errors.txt" |
                    sed -n "s/^RESULT /PAIR pair=$i /p" >> "$RES"
            done
        done
    done
done
# Where netc's time goes: perf (cpu-clock samples) on each trainer and on
# inference, when perf works here. PROFILE lines: share, shared object, symbol.
if perf record -e cpu-clock -q -o "$W/perf.data" true > /dev/null 2>&1; then
    log "profiles (perf)"
    profile() { # MODE NET BATCH ARGS...
        local mode=$1 n=$2 b=$3
        shift 3
        BENCH_TIME=0.15 BENCH_REPS=2 OMP_NUM_THREADS=1 \
            perf record -e cpu-clock -q -o "$W/perf.data" "$@" > /dev/null 2>> "$W/errors.txt" || return
        perf report -i "$W/perf.data" --stdio --sort dso,symbol 2> /dev/null |
            awk -v n="$n" -v m="$mode" -v b="$b" '/^ *[0-9.]+%/ && k < 12 {
                sub(/%/, "", $1); print "PROFILE net=" n " mode=" m " batch=" b " pct=" $1 " dso=" $2 " sym=" $4; k++ }' >> "$RES"
    }
    for n in $NETS; do
        for b in $(batches "$n" | tr ',' ' '); do
            profile train "$n" "$b" "$W/bench_netc.$n" "$W/$n.bin" "$b"
        done
        profile infer "$n" 1 "$W/bench_netc.$n" "$W/$n.bin" 1 infer
    done
    rm -f "$W/perf.data" "$W/perf.data.old"
else
    meta "perf=unavailable"
fi
log "FMA peak probe (again, after the runs)"
run "$W/peak"
meta "load_end=$(cut -d' ' -f1-3 /proc/loadavg)"
read -r busy1 total1 nice1 < <(cpu_jiffies)
# Niced jobs (nice > 0) yield to the benchmark, so they are counted apart.
meta "cpu_other_niced=$(awk -v a="$nice0" -v b="$nice1" -v t0="$total0" -v t1="$total1" 'BEGIN { printf "%.0f", 100 * (b - a) / (t1 - t0) }')"
# Our own CPU time: children's user + system (bash `times`, second line), in seconds.
times > "$W/times.txt"
own=$(sed -n 2p "$W/times.txt" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, /m/); sub(/s/, "", a[2]); t += a[1] * 60 + a[2] } print t }')
meta "cpu_other=$(awk -v b0="$busy0" -v t0="$total0" -v b1="$busy1" -v t1="$total1" -v own="$own" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { o = (b1 - b0) - own * hz; if (o < 0) o = 0; printf "%.0f", 100 * o / (t1 - t0) }')"
log "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -s "$W/errors.txt" ] && { log "messages from the drivers:"; cat "$W/errors.txt" >&2; }
$PY bench/report.py "$RES" > "$OUT.tmp" && mv "$OUT.tmp" "$OUT" && log "wrote $OUT"
