# Kartoteka build.  `make` builds bin/kt-node; `make test` runs every test;
# `make check` runs the same tests under ASan and UBSan; `make fuzz` fuzzes
# longer; `make bench` prints the benchmark figures; `make demo` shows a node
# at work.  Every target first makes sure the Debian packages are present.

CC      ?= gcc
CXX     ?= g++
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror
OPT     ?= -O2 -g
PKGS    := libzmq lmdb msgpack libsodium jansson libutf8proc
# Each floor sees its own headers and those of the floors below it
# (docs/ARCHITECTURE.md): common < proto < store < node, hub.  Tests, the
# benchmarks and the fuzz targets see them all.
INC_common := -Icommon
INC_proto  := -I. -Icommon
INC_store  := -I. -Icommon -Istore
INC_node   := -I. -Icommon -Istore -Inode
INC_hub    := -I. -Icommon -Istore -Ihub
INC        := -I. -Icommon -Istore -Inode -Ihub
LIBS    := -llmdb -lmsgpackc -lsodium -ljansson -lutf8proc -lzmq -lphonenumber -lstemmer -lstdc++ -lm -lpthread

BUILD   ?= build
SAN     ?=
CFLAGS_ALL   = $(CSTD) $(WARN) $(OPT) $(SAN) $(INC) -MMD -MP
CXXFLAGS_ALL = -std=c++17 $(WARN) $(OPT) $(SAN) $(INC) -MMD -MP

COMMON_SRC := $(wildcard common/*.c)
COMMON_CXX := $(wildcard common/*.cc)
PROTO_SRC  := $(wildcard proto/*.c)
STORE_SRC  := $(wildcard store/*.c)
NODE_SRC   := $(filter-out node/main.c,$(wildcard node/*.c))
HUB_SRC    := $(filter-out hub/main.c,$(wildcard hub/*.c))

LIB_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(COMMON_SRC) $(PROTO_SRC) $(STORE_SRC) $(NODE_SRC) $(HUB_SRC)) \
           $(patsubst %.cc,$(BUILD)/%.o,$(COMMON_CXX))
LIB     := $(BUILD)/libkt.a

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC)) $(BUILD)/tests/test_han_table
BENCH_BIN := $(BUILD)/tests/bench
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all deps test check fuzz faults bench demo clean han-table
# deps runs before anything is compiled, also under `make -j` (a fresh
# machine has no headers until deploy/deps.sh has installed them).
all: deps
	@$(MAKE) --no-print-directory bin/kt-node bin/kt-hub

deps:
	@sh deploy/deps.sh

$(BUILD)/common/%.o: INC = $(INC_common)
$(BUILD)/proto/%.o: INC = $(INC_proto)
$(BUILD)/store/%.o: INC = $(INC_store)
$(BUILD)/node/%.o: INC = $(INC_node)
$(BUILD)/hub/%.o: INC = $(INC_hub)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS_ALL) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/bin/kt-node: $(BUILD)/node/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(LIBS)

bin/kt-node: $(BUILD)/bin/kt-node
	@mkdir -p bin
	cp $< $@

$(BUILD)/bin/kt-hub: $(BUILD)/hub/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(LIBS)

bin/kt-hub: $(BUILD)/bin/kt-hub
	@mkdir -p bin
	cp $< $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB) tests/unit/t.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB) $(LIBS)

# The Traditional-Simplified table search folds Han characters through
# (common/han_table.h, committed): the tool that makes it from ICU checks it.
$(BUILD)/tests/test_han_table: tests/tools/gen_han.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS_ALL) -o $@ $< -licui18n -licuuc

han-table: $(BUILD)/tests/test_han_table
	$(BUILD)/tests/test_han_table --print >common/han_table.h

# bench.c and the section files beside it (bench_sync.c is a program of its own).
BENCH_SRC := $(filter-out tests/bench/bench_sync.c,$(wildcard tests/bench/*.c))
$(BENCH_BIN): $(BENCH_SRC) tests/bench/bench.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $(BENCH_SRC) $(LIB) $(LIBS)

$(BUILD)/tests/bench_sync: tests/bench/bench_sync.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB) $(LIBS)

# Fuzz targets are built by clang with libFuzzer against a sanitized copy of
# the library sources (no separate library: clang builds them directly).
FUZZ_LIBSRC := $(COMMON_SRC) $(PROTO_SRC) $(STORE_SRC) $(NODE_SRC) $(HUB_SRC)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIBSRC) $(BUILD)/fuzz/phone.o
	@mkdir -p $(dir $@)
	clang $(CSTD) $(INC) -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_LIBSRC) $(BUILD)/fuzz/phone.o $(LIBS)

$(BUILD)/fuzz/phone.o: $(COMMON_CXX)
	@mkdir -p $(dir $@)
	clang++ -std=c++17 $(INC) -g -O1 -fsanitize=address,undefined -fno-sanitize=vptr -c $< -o $@

FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

test: deps
	@$(MAKE) --no-print-directory bin/kt-node bin/kt-hub $(UNIT_BIN) $(FUZZ_BIN)
	@KT_BUILD=$(BUILD) KT_FUZZ_SECONDS=$${KT_FUZZ_SECONDS:-3} sh tests/run.sh

check: deps
	@$(MAKE) --no-print-directory BUILD=build-san OPT="-O1 -g" \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		build-san/bin/kt-node build-san/bin/kt-hub $(patsubst $(BUILD)/%,build-san/%,$(UNIT_BIN))
	@KT_BUILD=build-san KT_NODE=build-san/bin/kt-node KT_HUB=build-san/bin/kt-hub KT_FUZZ_SECONDS=0 \
		KT_SIM_SCHEDULES=$${KT_SIM_SCHEDULES:-1000} \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 sh tests/run.sh

fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
		mkdir -p $(BUILD)/corpus/$$(basename $$f); \
		$$f -max_total_time=$${KT_FUZZ_SECONDS:-60} -rss_limit_mb=2048 \
			$(BUILD)/corpus/$$(basename $$f) tests/fuzz/seeds/$$(basename $$f) || exit 1; \
	done

# The long forms of the fault tests (README, "Reliability"): the simulation
# over many more schedules, kill -9 loops of writers and of the daemons, and
# every fuzz target for minutes.  About 20 minutes with the defaults.
faults: deps
	@$(MAKE) --no-print-directory bin/kt-node bin/kt-hub $(BUILD)/tests/test_sim $(FUZZ_BIN)
	@KT_SIM_SCHEDULES=$${KT_SIM_SCHEDULES:-200000} $(BUILD)/tests/test_sim
	@KT_SIM_SCHEDULES=$${KT_SIM_FLIP_SCHEDULES:-20000} KT_SIM_FLIPS=10 KT_SIM_STEPS=150 \
		$(BUILD)/tests/test_sim
	@KT_KILLS=$${KT_KILLS:-600} sh tests/faults/kill_writers.sh
	@KT_KILLS=$${KT_DAEMON_KILLS:-100} sh tests/faults/kill_daemons.sh
	@$(MAKE) --no-print-directory fuzz KT_FUZZ_SECONDS=$${KT_FUZZ_SECONDS:-60}

bench: deps
	@$(MAKE) --no-print-directory bin/kt-node bin/kt-hub $(BENCH_BIN) $(BUILD)/tests/bench_sync
	@$(BENCH_BIN) $${KT_BENCH_ARGS:-}
	@$(BUILD)/tests/bench_sync $${KT_BENCH_ARGS:-}

demo: deps
	@$(MAKE) --no-print-directory bin/kt-node bin/kt-hub
	@sh deploy/demo.sh

clean:
	rm -rf build build-san bin

-include $(shell find build build-san -name '*.d' 2>/dev/null)
