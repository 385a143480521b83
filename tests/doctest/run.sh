#!/bin/bash
# tests/doctest/run.sh B [--all]: the commands shown in README.md, docs/*.md and
# examples/lectures/README.md, run and compared with the output the docs show
# (conventions in tests/doctest/doctest.py and docs/tutorial.md). `make test`
# runs the quick subset; `make doctest` (--all) every block, MNIST included when
# B/data/mnist exists. First the runner checks itself on good.md, bad.md, mnist.md.
B=${1:-build}
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NETC_CACHE_DIR=$tmp/cache
D=tests/doctest

# self-test: passes what matches, fails each mismatch, skips MNIST blocks without data
python3 $D/doctest.py "$B" $D/good.md > "$tmp/out"
if [ $? -eq 0 ] && [ "$(grep -c "^ok" "$tmp/out")" -eq 8 ] && grep -q '^skip.*needs no-such-tool-netc' "$tmp/out"
then echo "ok   doctest/self-good"; else cat "$tmp/out"; echo "FAIL doctest/self-good"; fi
python3 $D/doctest.py "$B" $D/bad.md > "$tmp/out"
rc=$?
n=$(grep -c '^FAIL' "$tmp/out")
if [ $rc -ne 0 ] && [ "$n" -eq 7 ] && ! grep -q '^ok' "$tmp/out"
then echo "ok   doctest/self-bad"; else sed 's/^FAIL/fail/' "$tmp/out"; echo "FAIL doctest/self-bad: $n failures, want 7"; fi
mkdir -p "$tmp/b"; ln -s "$(cd "$B" && pwd)/netc" "$tmp/b/netc"
python3 $D/doctest.py "$tmp/b" $D/mnist.md > "$tmp/out"
grep -q '^skip doctest/tests/doctest/mnist.md:3: needs MNIST' "$tmp/out" && ! grep -q '^ok\|^FAIL' "$tmp/out" \
    && echo "ok   doctest/self-mnist-skip" || { cat "$tmp/out"; echo "FAIL doctest/self-mnist-skip"; }

if [ "$1" = --all ]; then shift; smoke=; else smoke=--smoke; fi
python3 $D/doctest.py "$B" $smoke "$@"
