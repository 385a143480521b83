#!/bin/bash
# tests/fuzz/werror.sh B FILE_OR_DIR...: every spec among the files (and the
# files in the directories) that `netc check` accepts is built, and all the C it
# generates must compile under gcc and clang with the strict flags of
# tests/golden/run.sh and -Werror, for the portable path and for the AVX2 and
# AVX-512 ones (compiled only, so any machine can check them: clang warns about
# a static function one path leaves unused). clang stops after its front end
# (-fsyntax-only), which gives all its warnings; gcc warns of unused static
# functions only when it compiles, so it compiles the portable path and checks
# the syntax of the vector ones, where clang's check covers those. Prints one ok/FAIL line per
# compiler and path (with the specs that failed) and exits 1 on any failure.
# Used by tests/fuzz/run.sh on the committed corpus and by fuzz.sh on the
# corpora a run grew.
B=${1:-build}
shift
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
NETC=$B/netc
ROOT=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
STRICT="-std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wdouble-promotion -Wstrict-prototypes -Wmissing-prototypes -Werror"

n=0 total=0 status=0
for arg in "$@"; do
    for spec in $( [ -d "$arg" ] && find "$arg" -type f | sort || echo "$arg"); do
        total=$((total + 1))
        timeout 30 "$NETC" check "$spec" > /dev/null 2>&1 || continue
        n=$((n + 1))
        if ! timeout 30 "$NETC" build "$spec" -o "$tmp/c/$n" > /dev/null 2> "$tmp/err"; then
            head -5 "$tmp/err"; echo "FAIL fuzz/werror-build $spec"; status=1
        fi
        echo "$spec" > "$tmp/c/$n/.spec"
    done
done
# One compiler on one path over every spec: an ok/FAIL line; exit 1 on a failure.
check() {   # CC ISA
    local cc=$1 isa=$2 extra="" fl="" bad="" out="-c -o $tmp/o.$1.$2.o"
    [ $cc = clang ] && extra="-Wmissing-variable-declarations"
    { [ $cc = clang ] || [ $isa != portable ]; } && out=-fsyntax-only
    case $isa in avx2) fl="-mavx2 -mfma" ;; avx512) fl="-mavx512f -mfma" ;; esac
    for d in "$tmp"/c/*/; do
        for f in "$d"*.c; do
            [ -f "$f" ] || continue
            if ! $cc $STRICT $extra $fl -I"$ROOT/runtime" -I"$d" $out "$f" \
                    2> "$tmp/cc.$cc.$isa.err"; then
                [ -z "$bad" ] && head -20 "$tmp/cc.$cc.$isa.err"
                bad="$bad $(cat "$d/.spec")"
                break
            fi
        done
    done
    if [ -z "$bad" ]; then echo "ok   fuzz/werror-$cc-$isa ($n accepted specs of $total)"
    else echo "FAIL fuzz/werror-$cc-$isa:$bad"; return 1; fi
}
# gcc and clang side by side (the machine's two cores), each path in turn.
for isa in portable avx2 avx512; do
    for cc in gcc clang; do
        if command -v $cc > /dev/null; then
            check $cc $isa > "$tmp/out.$cc.$isa" 2>&1 &
        else
            echo "ok   fuzz/werror-$cc-$isa (skipped: no $cc)" > "$tmp/out.$cc.$isa"
        fi
    done
    wait
    for cc in gcc clang; do
        cat "$tmp/out.$cc.$isa"
        grep -q "^FAIL" "$tmp/out.$cc.$isa" && status=1
    done
done
exit $status
