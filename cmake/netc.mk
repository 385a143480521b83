# netc.mk: compile netc specs from a Makefile (GNU make).
#
#   include netc.mk                 # installed in PREFIX/include: make finds it there
#   NETC_SPECS = model.net          #   for /usr/local and /usr, else `make -I PREFIX/include`
#   app: main.o model.o
#           $(CC) -o $@ $^ -lm
#   main.o: model.h
#
# The pattern rule below turns DIR/NAME.net into DIR/NAME.h, DIR/NAME.c (the
# network, standalone) and DIR/NAME_netrt.c (the descriptor libnetrt trains
# through; not for scalar graphs), and runs again whenever the spec or netc changes. NAME must be the
# network's name: leave out the `network` line (the name is then the file's
# stem) or make them agree. Programs that use libnetrt (training, loading
# weights) add $(NETRT_CFLAGS) and $(NETRT_LIBS).
#
# Variables you may set before or after the include:
#   NETC        the compiler (default: the netc installed with this file)
#   NETC_FLAGS  extra `netc build` options, e.g. --unroll-limit 0
#   NETC_SPECS  your specs; NETC_SOURCES, NETC_HEADERS and NETC_NETRT_SOURCES
#               list the files they make, NETC_OUTPUTS all of them
NETC_PREFIX := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
NETC ?= $(NETC_PREFIX)/bin/netc
NETC_FLAGS ?=
NETRT_CFLAGS ?= -I$(NETC_PREFIX)/include
NETRT_LIBS ?= $(NETC_PREFIX)/lib/libnetrt.a @NETRT_LIBS@

NETC_SOURCES = $(NETC_SPECS:.net=.c)
NETC_HEADERS = $(NETC_SPECS:.net=.h)
NETC_NETRT_SOURCES = $(NETC_SPECS:.net=_netrt.c)
NETC_OUTPUTS = $(NETC_SOURCES) $(NETC_HEADERS) $(NETC_NETRT_SOURCES)

# One netc run writes all three files (a pattern rule's targets are made together).
%.c %.h %_netrt.c: %.net $(wildcard $(NETC))
	$(NETC) build $< -o $(@D) $(NETC_FLAGS)
	@test -f $*.c || { echo "netc.mk: $< names its network differently from its file;" \
	    "remove its 'network' line or rename the file" >&2; exit 1; }

# Generated files are kept even when make reaches them only through a chain
# (model.o from model.c from model.net).
.PRECIOUS: %.c %.h %_netrt.c
