#!/bin/bash
# netc fmt: every spec in the repository formats idempotently, keeps its comments
# and compiles to the same C bytes as the original; a messy spec gives the
# expected layout; -i and --check; a FANN saved network is named as such.
B=${1:-build}
NETC=$(pwd)/$B/netc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok   fmt/$1"; }
fail() { echo "FAIL fmt/$1${2:+: $2}"; }

# The specs netc ships and tests, plus every diag case that parses.
for spec in specs/*.net tests/formulas/*.net tests/golden/*.net examples/lectures/*.net \
            tests/fmt/messy.net; do
    name=$(echo "${spec%.net}" | tr / -)
    if ! "$NETC" fmt "$spec" > "$tmp/once.net" 2> "$tmp/err"; then
        head -5 "$tmp/err"; fail "$name" "netc fmt failed"; continue
    fi
    "$NETC" fmt "$tmp/once.net" > "$tmp/twice.net"
    cmp -s "$tmp/once.net" "$tmp/twice.net" && ok "idempotent-$name" \
        || { diff "$tmp/once.net" "$tmp/twice.net" | head -6; fail "idempotent-$name"; }
    # comments survive verbatim (trailing spaces aside), in order
    if diff <(grep -o '#.*' "$spec" | sed 's/[ \t\r]*$//') <(grep -o '#.*' "$tmp/once.net") > /dev/null
    then ok "comments-$name"; else fail "comments-$name"; fi
    [ "$(wc -l < "$tmp/once.net")" -le "$(wc -l < "$spec")" ] && ok "lines-$name" \
        || fail "lines-$name" "more lines than the original"
    # the same C, byte for byte: both built from the same relative path
    rm -rf "$tmp/a" "$tmp/b"
    mkdir -p "$tmp/a/$(dirname "$spec")" "$tmp/b/$(dirname "$spec")"
    cp "$spec" "$tmp/a/$spec"
    cp "$tmp/once.net" "$tmp/b/$spec"
    (cd "$tmp/a" && "$NETC" build "$spec" -o out) > /dev/null 2>&1
    (cd "$tmp/b" && "$NETC" build "$spec" -o out) > /dev/null 2>&1
    if [ -n "$(ls "$tmp/a/out" 2>/dev/null)" ] && diff -r "$tmp/a/out" "$tmp/b/out" > /dev/null; then
        ok "same-c-$name"
    else
        diff -r "$tmp/a/out" "$tmp/b/out" | head -6; fail "same-c-$name"
    fi
done

# Diag cases: whatever parses formats idempotently; what does not is refused.
nparse=0
for spec in tests/diag/*.net; do
    if "$NETC" fmt "$spec" > "$tmp/once.net" 2> /dev/null; then
        nparse=$((nparse + 1))
        "$NETC" fmt "$tmp/once.net" 2>/dev/null | cmp -s - "$tmp/once.net" \
            || fail "idempotent-$spec"
    elif [ $? -ne 1 ]; then
        fail "diag-status-$spec"
    fi
done
[ $nparse -gt 20 ] && ok "diag-specs-idempotent ($nparse parse)" || fail "diag-specs" "only $nparse parse"

# The messy spec: tabs, CRLF, odd spacing, signs, comments in every position.
"$NETC" fmt tests/fmt/messy.net | diff tests/fmt/messy.expected - > "$tmp/d" && ok messy-layout \
    || { head -20 "$tmp/d"; fail messy-layout; }

# -i rewrites in place; --check tells formatted from not.
cp tests/fmt/messy.net "$tmp/m.net"
"$NETC" fmt --check "$tmp/m.net" > "$tmp/out"; rc=$?
[ $rc -eq 1 ] && grep -q "not formatted" "$tmp/out" && ok check-unformatted || fail check-unformatted "status $rc"
"$NETC" fmt -i "$tmp/m.net" && cmp -s "$tmp/m.net" tests/fmt/messy.expected && ok in-place || fail in-place
ls "$tmp"/m.net.tmp.* > /dev/null 2>&1 && fail in-place-no-temp || ok in-place-no-temp
"$NETC" fmt --check "$tmp/m.net" specs/xor.net && ok check-formatted || fail check-formatted
cp "$tmp/m.net" "$tmp/m2.net"; touch -d '2001-01-01' "$tmp/m2.net"
"$NETC" fmt -i "$tmp/m2.net"
[ "$(stat -c %Y "$tmp/m2.net")" -lt 1000000000 ] && ok in-place-untouched-when-formatted \
    || fail in-place-untouched-when-formatted

# Errors: a spec that does not parse is refused with the diagnostic, nothing printed.
printf 'network bad\ninput x 2]\n' > "$tmp/bad.net"
"$NETC" fmt "$tmp/bad.net" > "$tmp/out" 2> "$tmp/err"; rc=$?
[ $rc -eq 1 ] && [ ! -s "$tmp/out" ] && grep -q "bad.net:2:9: error: syntax error" "$tmp/err" \
    && ok syntax-error || fail syntax-error "status $rc"
"$NETC" fmt > /dev/null 2>&1; [ $? -eq 2 ] && ok no-spec || fail no-spec
"$NETC" fmt specs/xor.net specs/or.net > /dev/null 2>&1; [ $? -eq 2 ] && ok two-specs-no-i || fail two-specs-no-i
"$NETC" fmt --frob specs/xor.net > /dev/null 2>&1; [ $? -eq 2 ] && ok unknown-option || fail unknown-option
"$NETC" fmt --help | grep -q "usage: netc fmt" && ok help || fail help

# A FANN saved network (same .net extension) is named, not parsed.
printf 'FANN_FLO_2.1\nnum_layers=3\nlearning_rate=0.700000\n' > "$tmp/fann.net"
"$NETC" check "$tmp/fann.net" 2> "$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "fann.net:1:1: error: this is a FANN saved network" "$tmp/err" \
    && grep -q "^hint:" "$tmp/err" && ok fann-check || { cat "$tmp/err"; fail fann-check "status $rc"; }
"$NETC" build "$tmp/fann.net" -o "$tmp/fannout" 2> "$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "FANN saved network" "$tmp/err" && ok fann-build || fail fann-build
"$NETC" fmt "$tmp/fann.net" > "$tmp/out" 2> "$tmp/err"; rc=$?
[ $rc -eq 1 ] && [ ! -s "$tmp/out" ] && grep -q "FANN saved network" "$tmp/err" && ok fann-fmt || fail fann-fmt

# Editor support: the grammars know every built-in name; Vim highlights a spec.
python3 tests/fmt/editors.py
if command -v vim > /dev/null; then
    cat > "$tmp/probe.vim" <<'VIM'
let out = []
for [l, c] in [[2, 1], [6, 14], [8, 8], [9, 15], [11, 1], [12, 5], [12, 13], [2, 29]]
    call add(out, synIDattr(synID(l, c, 1), 'name'))
endfor
call writefile([join(out, ' ')], g:outfile)
qa!
VIM
    vim -Nu NONE -Es -c 'set rtp^=editors/vim' -c 'filetype on' -c 'syntax on' -c 'filetype detect' \
        -c "let g:outfile='$tmp/syn'" -c "source $tmp/probe.vim" specs/xor.net < /dev/null
    want="netcStatement netcActivation netcLoss netcNumber netcBlock netcTrainItem netcOptimizer netcComment"
    [ "$(cat "$tmp/syn" 2>/dev/null)" = "$want" ] && ok vim-syntax || fail vim-syntax "$(cat "$tmp/syn" 2>/dev/null)"
    printf 'FANN_FLO_2.1\n' > "$tmp/f.net"
    vim -Nu NONE -Es -c 'set rtp^=editors/vim' -c 'filetype on' -c 'filetype detect' \
        -c "call writefile([&filetype], '$tmp/ft')" -c 'qa!' "$tmp/f.net" < /dev/null
    vim -Nu NONE -Es -c 'set rtp^=editors/vim' -c 'filetype on' -c 'filetype detect' \
        -c "call writefile([&filetype], '$tmp/ft2')" -c 'qa!' specs/xor.net < /dev/null
    [ "$(cat "$tmp/ft")" != netc ] && [ "$(cat "$tmp/ft2")" = netc ] && ok vim-ftdetect \
        || fail vim-ftdetect "FANN: '$(cat "$tmp/ft")', spec: '$(cat "$tmp/ft2")'"
fi
