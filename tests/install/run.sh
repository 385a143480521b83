#!/bin/bash
# make install into a temporary PREFIX, then out-of-tree projects against it:
# a Makefile with `include netc.mk` (rebuilds the C when the spec changes), a
# pkg-config build, a CMake project with netc_add_network, and the installed
# netc training (it finds libnetrt through ../lib and ../include).
B=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
P=$tmp/prefix
ok() { echo "ok   install/$1"; }
fail() { echo "FAIL install/$1${2:+: $2}"; }
# run NAME CMD...: the command succeeds (its output in $tmp/log)
run() {
    local name=$1; shift
    if "$@" > "$tmp/log" 2>&1; then ok "$name"; else tail -15 "$tmp/log"; fail "$name"; fi
}

run make-install make --no-print-directory install B="$B" PREFIX="$P"
for f in bin/netc lib/libnetrt.a include/netrt.h include/netc.mk lib/pkgconfig/netrt.pc \
         lib/cmake/netc/netc-config.cmake share/man/man1/netc.1; do
    [ -f "$P/$f" ] || fail "file-$f" "not installed"
done
[ -x "$P/bin/netc" ] && ok files || fail files
MANWIDTH=80 man -l "$P/share/man/man1/netc.1" 2> "$tmp/err" | grep -q "netc summary SPEC" \
    && [ ! -s "$tmp/err" ] && ok man-page || { cat "$tmp/err"; fail man-page; }
groff -man -ww -z "$P/share/man/man1/netc.1" 2> "$tmp/err" && [ ! -s "$tmp/err" ] \
    && ok man-page-warnings || { cat "$tmp/err"; fail man-page-warnings; }

# Nothing of the build tree may be used from here on.
export PATH="$P/bin:${NETC_SANBIN:+$NETC_SANBIN:}/usr/bin:/bin"   # SANITIZE=1: the sanitizing cc first
unset NETC_RUNTIME_DIR
export NETC_CACHE_DIR=$tmp/cache
export PKG_CONFIG_PATH=$P/lib/pkgconfig

# The installed netc trains: the trainer links the installed libnetrt.
mkdir -p "$tmp/proj"
cp specs/xor.net examples/embed/main.c examples/data/xor.csv "$tmp/proj/"
(cd "$tmp/proj" && netc train xor.net --data xor.csv --out direct.weights) > "$tmp/log" 2>&1
grep -q "^train: loss .* accuracy 100.00%" "$tmp/log" && ok installed-netc-trains \
    || { tail -5 "$tmp/log"; fail installed-netc-trains; }

# pkg-config: flags and libraries for a program that loads weights.
[ "$(echo $(pkg-config --cflags netrt))" = "-I$P/include" ] && ok pkg-config-cflags \
    || fail pkg-config-cflags "$(pkg-config --cflags netrt)"
[ "$(pkg-config --variable=netc netrt)" = "$P/bin/netc" ] && ok pkg-config-netc || fail pkg-config-netc
[ "$(pkg-config --modversion netrt)" = "$(netc --version | cut -d' ' -f2)" ] && ok pkg-config-version \
    || fail pkg-config-version
(cd "$tmp/proj" && netc build xor.net -o pc && \
    cc -std=c99 -Wall -Wextra -Werror -Ipc main.c pc/xor.c pc/xor_netrt.c \
       $(pkg-config --cflags --libs netrt) -o pc_demo && ./pc_demo direct.weights) > "$tmp/log" 2>&1 \
    && grep -q "4 of 4 correct" "$tmp/log" && ok pkg-config-build || { tail -5 "$tmp/log"; fail pkg-config-build; }

# A Makefile that includes netc.mk (found through -I PREFIX/include).
cat > "$tmp/proj/Makefile" <<'MK'
include netc.mk
NETC_SPECS = xor.net
CFLAGS = -std=c99 -Wall -Wextra -Werror -O2 $(NETRT_CFLAGS)

all: xor_demo xor.weights
xor_demo: main.o xor.o xor_netrt.o
	$(CC) -o $@ $^ $(NETRT_LIBS)
main.o: main.c xor.h
xor.weights: xor.net xor.csv
	$(NETC) train xor.net --data xor.csv --out $@ --quiet
MK
M="make --no-print-directory -I $P/include -C $tmp/proj"
run make-project $M
(cd "$tmp/proj" && ./xor_demo xor.weights) > "$tmp/log" 2>&1 && grep -q "4 of 4 correct" "$tmp/log" \
    && ok make-project-runs || { cat "$tmp/log"; fail make-project-runs; }
$M -q && ok make-up-to-date || fail make-up-to-date "make -q wants to rebuild"
# a changed spec regenerates the C and relinks; nothing else changes
sed -i 's/^dense  h\[2\] sigmoid/dense  h[3] sigmoid/' "$tmp/proj/xor.net"
$M xor_demo > "$tmp/log" 2>&1
grep -q "netc build xor.net" "$tmp/log" && grep -q "XOR_NUM_PARAMS 13" "$tmp/proj/xor.h" \
    && ok make-rebuilds-on-change || { cat "$tmp/log"; fail make-rebuilds-on-change; }
# a spec whose network name is not its file name is refused with a hint
cp specs/or.net "$tmp/proj/gate.net"
$M gate.c > "$tmp/log" 2>&1 && fail make-name-mismatch "no error" \
    || { grep -q "names its network differently" "$tmp/log" && ok make-name-mismatch \
         || { cat "$tmp/log"; fail make-name-mismatch; }; }

# CMake: find_package(netc) and netc_add_network, trainable and standalone.
mkdir -p "$tmp/cm"
cp specs/xor.net examples/embed/main.c "$tmp/cm/"
cp examples/lectures/circuit.net "$tmp/cm/"
cat > "$tmp/cm/standalone.c" <<'C'
#include <stdio.h>
#include "xor.h"
#include "circuit.h"
int main(void)
{
    xor_real params[XOR_NUM_PARAMS], x[XOR_INPUT_SIZE] = {1, 0}, y[XOR_OUTPUT_SIZE];
    xor_real work[XOR_WORK_SIZE(1)];
    double p[3] = {-2, 5, -4}, g[3];
    xor_init_params(params, 1);
    xor_forward(y, params, x, 1, work);
    printf("%d params, y in (0, 1): %d, f = %g\n", XOR_NUM_PARAMS, y[0] > 0 && y[0] < 1,
           circuit_output(p, g));
    return 0;
}
C
cat > "$tmp/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.19)
project(demo C)
find_package(netc REQUIRED)
netc_add_network(xornet xor.net TRAINABLE)
add_executable(xor_demo main.c)
target_link_libraries(xor_demo PRIVATE xornet)
netc_add_network(xorplain xor.net FLAGS --unroll-limit 0)
netc_add_network(circuitnet circuit.net)
add_executable(standalone standalone.c)
target_link_libraries(standalone PRIVATE xorplain circuitnet)
CM
run cmake-configure cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_C_FLAGS="-Wall -Werror"
run cmake-build cmake --build "$tmp/cm/build"
"$tmp/cm/build/xor_demo" "$tmp/proj/direct.weights" > "$tmp/log" 2>&1 && grep -q "4 of 4 correct" "$tmp/log" \
    && ok cmake-trainable || { cat "$tmp/log"; fail cmake-trainable; }
"$tmp/cm/build/standalone" > "$tmp/log" 2>&1 && grep -q "^9 params, y in (0, 1): 1, f = -12$" "$tmp/log" \
    && ok cmake-standalone || { cat "$tmp/log"; fail cmake-standalone; }
nm "$tmp/cm/build/standalone" | grep -q netrt_ && fail cmake-standalone-no-runtime \
    || ok cmake-standalone-no-runtime
sed -i 's/^dense  h\[2\] sigmoid/dense  h[3] sigmoid/' "$tmp/cm/xor.net"
cmake --build "$tmp/cm/build" > "$tmp/log" 2>&1
"$tmp/cm/build/standalone" | grep -q "^13 params" && ok cmake-rebuilds-on-change \
    || { tail -5 "$tmp/log"; fail cmake-rebuilds-on-change; }

run make-uninstall make --no-print-directory uninstall B="$B" PREFIX="$P"
left=$(find "$P" -type f | wc -l)
[ "$left" -eq 0 ] && ok uninstall || fail uninstall "$left files left"
