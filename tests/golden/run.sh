#!/bin/sh
# Golden tests: for every spec in specs/ and tests/golden/: emit twice and compare
# byte for byte; compile the output warning-free under gcc and clang with strict
# flags; and for tests/golden/*.net compare the IR dump and the generated files
# with the expected copies (`make golden-update` rewrites them).
B=${1:-build}
update=${2:-}
NETC=$B/netc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
STRICT="-std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wdouble-promotion -Wstrict-prototypes -Wmissing-prototypes -Werror"

for spec in specs/*.net tests/golden/*.net; do
    [ -f "$spec" ] || continue
    name=$(basename "$spec" .net)
    d1=$tmp/$name.1 d2=$tmp/$name.2
    mkdir -p "$d1" "$d2"
    if ! "$NETC" build "$spec" -o "$d1" || ! "$NETC" build "$spec" -o "$d2"; then
        echo "FAIL golden/$name: netc build failed"; continue
    fi
    if diff -r "$d1" "$d2" >/dev/null; then echo "ok   golden/$name deterministic"
    else echo "FAIL golden/$name: two builds differ"; diff -r "$d1" "$d2" | head; fi
    for cc in gcc clang; do
        extra=""
        [ $cc = clang ] && extra="-Wmissing-variable-declarations"
        if out=$(for f in "$d1"/*.c; do
                     $cc $STRICT $extra -Iruntime -I"$d1" -c "$f" -o "$tmp/o.o" || exit 1
                 done 2>&1); then
            echo "ok   golden/$name $cc -Werror"
        else
            echo "$out" | head -20; echo "FAIL golden/$name $cc -Werror"
        fi
    done
    case $spec in tests/golden/*) ;; *) continue ;; esac
    "$NETC" check "$spec" --dump-ir > "$d1/$name.ir"
    for f in "$d1"/*; do
        want=tests/golden/$(basename "$f")
        if [ "$update" = "--update" ]; then cp "$f" "$want"; continue; fi
        if cmp -s "$f" "$want"; then echo "ok   golden/$(basename "$f")"
        else diff -u "$want" "$f" | head -40; echo "FAIL golden/$(basename "$f") differs (make golden-update if intended)"; fi
    done
done
