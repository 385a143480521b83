#!/bin/sh
# tests/fuzz/fuzz.sh B SECONDS [TARGET...]: runs each libFuzzer target (built by `make
# fuzz-build` into B/fuzz) for SECONDS seconds at nice 19. The corpora live in
# B/fuzz/corpus/TARGET and grow from run to run; every run also reads the seeds:
# every .net in the repository (spec target), tests/fuzz/TARGET_seeds (weights,
# csv, idx, checkpoint) and the saved crashes of tests/fuzz/crashes. The gen target (bytes are
# choices that build a spec) starts from nothing. A crash stops the run and
# leaves the input in B/fuzz/artifacts/; keep it under tests/fuzz/crashes/ once
# fixed. Prints one summary line per target with its executions, then checks
# that the C of every accepted spec the run added compiles -Werror (werror.sh).
B=${1:-build}
secs=${2:-60}
shift 2 2>/dev/null
targets=${*:-spec gen weights csv idx checkpoint}
fz=$B/fuzz
mkdir -p "$fz/corpus/spec" "$fz/corpus/gen" "$fz/corpus/weights" "$fz/artifacts" \
    "$fz/seeds/spec" "$fz/seeds/gen"
# the seeds, under names made unique from their paths
for f in $(git ls-files '*.net' 2>/dev/null || find . -name '*.net' -not -path './build/*'); do
    cp "$f" "$fz/seeds/spec/$(echo "$f" | tr '/' '_')"
done
cp tests/fuzz/crashes/spec_* "$fz/seeds/spec/" 2>/dev/null
for t in weights csv idx checkpoint; do
    mkdir -p "$fz/corpus/$t" "$fz/seeds/$t"
    cp tests/fuzz/${t}_seeds/* tests/fuzz/crashes/${t}_* "$fz/seeds/$t/" 2>/dev/null
done

status=0
stamp=$fz/run-start
: > "$stamp"
for t in $targets; do
    log=$fz/$t.log
    dict=""
    [ $t = spec ] && dict=-dict=tests/fuzz/spec.dict
    # -close_fd_mask=2: the targets' own messages (every bad weights file is
    # reported) would swamp the log; libFuzzer still prints its crash reports.
    start=$(date +%s)
    nice -n 19 "$fz/fuzz_$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
        -max_len=4096 -close_fd_mask=2 -print_final_stats=1 \
        -artifact_prefix="$fz/artifacts/${t}_" \
        $dict "$fz/corpus/$t" "$fz/seeds/$t" > "$log" 2>&1
    rc=$?
    secs_run=$(( $(date +%s) - start ))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    [ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    echo "fuzz: $t: ${secs_run}s, ${runs:-?} inputs, $cov, exit $rc"
    echo "$(date -u +%Y-%m-%dT%H:%MZ) $t ${secs_run}s ${runs:-?} inputs $cov exit $rc" >> "$fz/history"
    if [ $rc -ne 0 ]; then
        grep -A30 'ERROR\|==ERROR\|SUMMARY\|deadly signal\|Test unit written' "$log" | head -60
        status=1
    fi
done
# The C of every accepted spec the run added to the corpora must compile
# -Werror: new spec inputs as they are, new gen inputs through the specs they
# build (tests/fuzz/werror.sh B DIR checks a whole corpus).
dirs=""
rm -rf "$fz/new"
mkdir -p "$fz/new/spec" "$fz/new/gen" "$fz/new/gen-specs"
case " $targets " in *" spec "*)
    find "$fz/corpus/spec" -type f -newer "$stamp" -exec cp {} "$fz/new/spec/" \;
    dirs="$fz/new/spec" ;;
esac
case " $targets " in *" gen "*)
    find "$fz/corpus/gen" -type f -newer "$stamp" -exec cp {} "$fz/new/gen/" \;
    NETC_FUZZ_SAVE=$fz/new/gen-specs nice -n 19 "$fz/fuzz_gen" -runs=0 -close_fd_mask=2 \
        "$fz/new/gen" > /dev/null 2>&1
    dirs="$dirs $fz/new/gen-specs" ;;
esac
if [ -n "$dirs" ]; then
    out=$(nice -n 19 tests/fuzz/werror.sh "$B" $dirs 2>&1)
    rc=$?
    echo "$out" | sed 's/^/fuzz: /'
    [ $rc -eq 0 ] || status=1
fi
exit $status
