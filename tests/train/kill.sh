#!/bin/bash
# tests/train/kill.sh B: kills a training run with SIGKILL at 26 moments spread
# over the whole run (one pseudo-random epoch and delay in each 26th of it, from
# a fixed seed, so the same moments every time), writing a checkpoint every
# epoch and --out at the end, all to the same two paths. After each kill: once a checkpoint has been
# seen, it must still be there; what is there loads with `netc eval` and resumes;
# --out is absent or loads; leftover temporary files belong to a killed process,
# the next run ignores them and removes them as it saves. Prints one ok/FAIL line per property, with counts.
B=${1:-build}
NETC=$B/netc
D=examples/data
KILLS=26
SEED=20241
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

spec=specs/softmax.net
EPOCHS=100
run="$spec --data $D/iris.train.csv --epochs $EPOCHS --batch 16 --seed 3"
ck=$tmp/k.ckpt
out=$tmp/k.weights

# next_fraction: the next value in [0, 1) of a fixed LCG sequence (in $frac).
rng=$SEED
next_fraction() {
    rng=$(( (rng * 1103515245 + 12345) % 2147483648 ))
    frac=$(awk "BEGIN { printf \"%.4f\", ($rng % 10000) / 10000 }")
}

# loads FILE: whether netc eval accepts FILE as the network's weights.
loads() { "$NETC" eval $spec --weights "$1" --data $D/iris.test.csv > "$tmp/eval.out" 2>&1; }

# Warm netc's cache, so every run below starts the same way.
"$NETC" train $run --quiet --out "$tmp/warm.weights" > /dev/null 2>&1

# nap SECONDS: sleep without starting a process (read times out on a pipe that
# never delivers), so polling keeps up with epochs of a few milliseconds.
exec {never}<> <(:)
nap() { read -r -t "$1" -u "$never" _; }

# running PID: whether PID is running. Not `kill -0`, which succeeds on a
# zombie: bash may leave the run unreaped while this script only runs builtins
# (seen: a run that ended before epoch N polled for minutes, a CI run timed out).
running() {
    local stat
    read -r stat 2> /dev/null < "/proc/$1/stat" || return 1  # 2> first: it must cover the <
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# wait_epoch N PID: until the run's log shows epoch N or the run ends. Kills
# follow the run's progress, not the clock: disk writes vary too much in speed.
wait_epoch() {
    local lines
    while running "$2"; do
        if [ -f "$tmp/k.log" ]; then
            mapfile -t lines < "$tmp/k.log"
            [ ${#lines[@]} -gt "$1" ] && return
        fi
        nap 0.0005
    done
}

mid_run=0 finished=0 with_ck=0 ck_loads=0 resumed=0 lost=0 out_seen=0 out_loads=0
in_write=0 bad_temp=0
seen_ck=false
epochs=""                   # the epoch each resumed checkpoint had reached
for i in $(seq 0 $((KILLS - 1))); do
    # Kill i lands in the stratum [i, i+1) of EPOCHS + 10% (beyond the end: the
    # run finishes first), at a random epoch in it and a random moment (0-6 ms)
    # after that epoch's log line: inside its checkpoint write or the next epoch.
    next_fraction
    epoch=$(awk "BEGIN { printf \"%d\", ($i + $frac) * $EPOCHS * 1.1 / $KILLS }")
    next_fraction
    delay=$(awk "BEGIN { printf \"%.4f\", $frac * 0.006 }")
    where="epoch $epoch + ${delay}s"
    rm -f "$tmp/k.log"
    before=$(ls "$tmp" | grep -c '\.tmp\.')
    setsid "$NETC" train $run --checkpoint "$ck" --checkpoint-every 1 --quiet --out "$out" \
        --log "$tmp/k.log" > /dev/null 2>&1 &
    pid=$!
    if [ "$epoch" -eq 0 ]; then
        nap "$(awk "BEGIN { print $delay * 5 }")"     # before the first epoch ends
    else
        wait_epoch "$epoch" "$pid"
        nap "$delay"
    fi
    kill -9 -- -"$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    status=$?
    if [ $status -eq 137 ]; then mid_run=$((mid_run + 1))
    elif [ $status -eq 0 ]; then finished=$((finished + 1))
    else echo "FAIL train/kill: run $i ($where) exited with status $status"; fi
    [ "$(ls "$tmp" | grep -c '\.tmp\.')" -gt "$before" ] && in_write=$((in_write + 1))
    if [ -f "$ck" ]; then
        seen_ck=true
        with_ck=$((with_ck + 1))
        if loads "$ck"; then ck_loads=$((ck_loads + 1))
        else echo "run $i, $where: $(cat "$tmp/eval.out")"; fi
        # Resume without checkpoints (fast); the run's identity must match.
        if "$NETC" train $run --resume "$ck" --no-progress --out "$tmp/resumed.weights" \
                > /dev/null 2> "$tmp/resume.err" &&
           e=$(sed -n "s|^resumed from $ck at epoch \([0-9]*\)\$|\1|p" "$tmp/resume.err") &&
           [ -n "$e" ]; then
            resumed=$((resumed + 1))
            epochs="$epochs $e"
        else echo "run $i, $where: $(cat "$tmp/resume.err")"; fi
    elif $seen_ck; then
        lost=$((lost + 1))
        echo "run $i, $where: the checkpoint written by an earlier run is gone"
    fi
    if [ -f "$out" ]; then
        out_seen=$((out_seen + 1))
        if loads "$out"; then out_loads=$((out_loads + 1))
        else echo "run $i, $where: $(cat "$tmp/eval.out")"; fi
    fi
done

# Leftovers of an interrupted atomic write are named PATH.tmp.PID (or PATH.probe.PID)
# after the killed process; nothing reads them.
for f in $(ls "$tmp" | grep -E '\.(tmp|probe)\.'); do
    echo "$f" | grep -qE '^k\.(ckpt|weights)\.(tmp|probe)\.[0-9]+$' || bad_temp=$((bad_temp + 1))
done
left=$(ls "$tmp" | grep -cE '\.(tmp|probe)\.')

summary="$KILLS runs, $mid_run killed mid-run ($in_write during a write), $finished finished"
if [ $((mid_run + finished)) -eq $KILLS ] && [ $mid_run -ge 20 ]; then
    echo "ok   train/kill-$KILLS-times: $summary"
else echo "FAIL train/kill-$KILLS-times: $summary; want at least 20 kills mid-run"; fi
if [ $lost -eq 0 ] && [ $ck_loads -eq $with_ck ] && [ $with_ck -ge $((KILLS - 3)) ]; then
    echo "ok   train/kill-checkpoint-loads: $with_ck of $KILLS kills left a checkpoint, all loadable"
else echo "FAIL train/kill-checkpoint-loads: $with_ck with a checkpoint, $ck_loads loadable, $lost lost"; fi
if [ $resumed -eq $with_ck ]; then
    echo "ok   train/kill-checkpoint-resumes: all $resumed resumed (epochs$epochs)"
else echo "FAIL train/kill-checkpoint-resumes: $resumed of $with_ck resumed"; fi
if [ $out_loads -eq $out_seen ] && [ $out_seen -gt 0 ]; then
    echo "ok   train/kill-out-loads: --out present after $out_seen kills, all loadable"
else echo "FAIL train/kill-out-loads: --out present after $out_seen kills, $out_loads loadable"; fi
# A full run after the kills removes them (their processes are gone) as it saves,
# and leaves a live process's alone: one planted for a process that has exited
# and one for this shell, which is still running.
sh -c 'exit 0' & dead=$!
wait $dead
: > "$ck.tmp.$dead"
: > "$ck.tmp.$$"
if [ $bad_temp -eq 0 ] && "$NETC" train $run --checkpoint "$ck" --checkpoint-every 1 --quiet \
        --out "$out" > /dev/null 2>&1 && loads "$ck" && loads "$out" &&
   after=$(ls "$tmp" | grep -E '\.(tmp|probe)\.' | tr '\n' ' '; true) && [ "$after" = "k.ckpt.tmp.$$ " ]; then
    echo "ok   train/kill-temp-files: $left left by the last killed writes (earlier ones went as later runs saved) and one planted for an exited process: all removed by a full run after them, the one of a live process kept"
else echo "FAIL train/kill-temp-files: $bad_temp unexpected temporary files, the run after the kills failed, or left: ${after:-?}"; fi
