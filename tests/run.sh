#!/bin/sh
# tests/run.sh B [GROUP] [ARGS...]: runs the test groups in order, fastest first.
# Each group script (tests/GROUP/run.sh B) prints one `ok NAME` or `FAIL NAME` line
# per test; this script counts them and ends with `N passed, N failed`.
B=${1:-build}
shift
GROUPS_ALL="unit diag robust fuzz cli fmt summary doctest golden gradcheck torch formulas export train results valgrind examples install"
if [ $# -gt 0 ]; then groups=$1; shift; else groups=$GROUPS_ALL; fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for g in $groups; do
    [ -x "tests/$g/run.sh" ] || { echo "FAIL group $g: tests/$g/run.sh missing"; status=1; continue; }
    echo "== $g"
    tests/"$g"/run.sh "$B" "$@" 2>&1 | tee -a "$log"
    if grep -q '^FAIL' "$log"; then status=1; echo "stopping after group $g"; break; fi
done
passed=$(grep -c '^ok' "$log")
failed=$(grep -c '^FAIL' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && [ $status -eq 0 ]
