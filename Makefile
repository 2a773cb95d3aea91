# cowbench: 'make run' and 'make test' set everything up themselves.
SANITIZE ?= 0
ifeq ($(SANITIZE),1)
O := build-san
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
O := build
SAN :=
endif

CC ?= gcc
LIBPERF := build/libperf
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CFLAGS := -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -I$(LIBPERF)/include \
	-DCOWBENCH_VERSION='"$(VERSION)"' $(SAN) -MMD -MP
LDFLAGS := $(SAN)
LDLIBS := $(LIBPERF)/lib/libperf.a $(LIBPERF)/lib/libapi.a -lpfm -lhwloc -luring -lz -lm

CORE := $(wildcard lib/*.c analysis/*.c)
BENCH := $(wildcard bench/*.c workloads/*.c)
CLI := cowbench.c $(wildcard builtin-*.c)
UNIT := $(wildcard tests/unit/*.c)

CORE_O := $(CORE:%.c=$(O)/%.o)
BENCH_O := $(BENCH:%.c=$(O)/%.o)
CLI_O := $(CLI:%.c=$(O)/%.o)
UNIT_O := $(UNIT:%.c=$(O)/%.o)

FUZZ_SECONDS ?= 60

.PHONY: all deps run test test-vm test-patches fuzz clean format
all: deps $(O)/cowbench $(O)/unit-tests $(O)/mkrun
ifeq ($(SANITIZE),0)
	@ln -sf build/cowbench cowbench
endif

deps:
	@scripts/deps.sh

$(O)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(O)/libcowbench.a: $(CORE_O)
	$(AR) rcs $@ $^

$(O)/cowbench: $(CLI_O) $(BENCH_O) $(O)/libcowbench.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_O) $(BENCH_O) $(O)/libcowbench.a $(LDLIBS)

$(O)/unit-tests: $(UNIT_O) $(O)/libcowbench.a
	$(CC) $(LDFLAGS) -o $@ $(UNIT_O) $(O)/libcowbench.a $(LDLIBS)

$(O)/mkrun: $(O)/tests/mkrun.o $(O)/libcowbench.a
	$(CC) $(LDFLAGS) -o $@ $< $(O)/libcowbench.a $(LDLIBS)

run: all
	./cowbench run configs/quick.conf

test: all
	COWBENCH=$(O)/cowbench UNIT=$(O)/unit-tests MKRUN=$(O)/mkrun tests/run

# Guest kernels: build the 6.12 policy kernel (cached outside the checkout),
# boot it per policy, check cowbench's records and `cowbench check`
# against configs/expect (scripts/test-vm.sh); needs root and qemu.
test-vm: all
	COWBENCH=$(O)/cowbench scripts/test-vm.sh

# The policy patches apply to the source they name; kernel definitions parse.
test-patches:
	scripts/test-patches.sh

# libFuzzer on the config parser (clang); corpus in build/fuzz-corpus
fuzz: deps
	@mkdir -p build/fuzz-corpus
	cp -n configs/*.conf build/fuzz-corpus/ 2>/dev/null || true
	clang -g -O1 -fsanitize=fuzzer,address,undefined -Wall -Wextra -Werror \
		-o build/fuzz-cfg tests/fuzz-cfg.c lib/cfg.c lib/util.c
	build/fuzz-cfg -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-print_final_stats=1 build/fuzz-corpus

format:
	clang-format -i lib/*.[ch] bench/*.[ch] workloads/*.[ch] analysis/*.[ch] ./*.[ch] tests/unit/*.[ch] tests/*.c

clean:
	rm -rf build/cowbench build/unit-tests build/lib build/bench build/analysis \
		build/tests build/*.o build/*.d build/*.a build-san cowbench

-include $(shell find $(O) -name '*.d' 2>/dev/null)
