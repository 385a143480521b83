#!/bin/sh
# tests/run.sh B [GROUP] [ARGS...]: runs the test groups in order, fastest first.
# Each group script (tests/GROUP/run.sh B) prints one `ok NAME` or `FAIL NAME` line
# per test; this script counts them and ends with `N passed, N failed`.
# A group that runs longer than TEST_GROUP_LIMIT seconds (default 1500; the
# slowest takes a few minutes, under ASan too) is stopped and fails, with the
# processes that were still running listed just before: a hung test costs
# minutes and names itself, instead of running into CI's time limit unseen.
B=${1:-build}
shift
GROUPS_ALL="unit diag robust fuzz cli fmt summary doctest golden gradcheck torch formulas export train results bench valgrind examples install"
if [ $# -gt 0 ]; then groups=$1; shift; else groups=$GROUPS_ALL; fi
limit=${TEST_GROUP_LIMIT:-1500}

log=$(mktemp)
work=$(mktemp -d)
trap 'rm -rf "$log" "$work"' EXIT
status=0
for g in $groups; do
    [ -x "tests/$g/run.sh" ] || { echo "FAIL group $g: tests/$g/run.sh missing"; status=1; continue; }
    echo "== $g"
    start=$(date +%s)
    # The watcher lists the processes 5 s before the limit; timeout then stops
    # the group (TERM, KILL 10 s later) and exits 124. Its output goes nowhere:
    # the kill below leaves its sleep running, which would otherwise hold a
    # pipe reading this script's output open for the whole limit.
    ( sleep $((limit - 5)) && ps --ppid 2 -p 2 --deselect -o pid,ppid,pgid,etime,stat,args --forest | cut -c1-200 > "$work/ps" ) > /dev/null 2>&1 &
    watcher=$!
    { timeout -k 10 "$limit" tests/"$g"/run.sh "$B" "$@"; echo $? > "$work/rc"; } 2>&1 | tee -a "$log"
    kill "$watcher" 2> /dev/null
    if [ "$(cat "$work/rc")" = 124 ] || [ "$(cat "$work/rc")" = 137 ]; then
        echo "FAIL group $g: stopped after $limit s (TEST_GROUP_LIMIT); the processes running 5 s before:" |
            tee -a "$log"
        cat "$work/ps" 2> /dev/null
    fi
    echo "== $g: $(( $(date +%s) - start )) s"
    if grep -q '^FAIL' "$log"; then status=1; echo "stopping after group $g"; break; fi
done
passed=$(grep -c '^ok' "$log")
failed=$(grep -c '^FAIL' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && [ $status -eq 0 ]
