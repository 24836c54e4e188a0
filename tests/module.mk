# Tests: forked C unit tests (TAP), static probes that run inside the sandbox, fuzz targets
# (replayed over their corpora by `make test`, fuzzed with libFuzzer by `make fuzz`), and bash
# integration tests. `make test` is one prove run over all of them.
UNIT_SRCS  := $(wildcard tests/unit/test-*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)
PROBE_SRCS := $(wildcard tests/probes/*.c)
PROBE_BINS := $(PROBE_SRCS:tests/probes/%.c=$(B)/tests/probes/%)
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_REPLAY := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/tests/fuzz-replay/%)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)
INTEG      := $(sort $(wildcard tests/integration/*.sh))
LIBS_ALL    = $(B)/libgrader.a $(B)/libsandbox.a

$(B)/tests/unit/%: tests/unit/%.c $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBS_ALL) $(GRADER_LIBS) $(SANDBOX_LIBS)

# Probes run inside the sandbox: static (no loader surprises in a minimal image) and built
# without sanitizers (ASan needs syscalls the run policy denies).
$(B)/tests/probes/%: tests/probes/%.c tests/probes/probe.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu17 -D_GNU_SOURCE -O2 -Wall -static -o $@ $<

$(B)/tests/fuzz-replay/%: tests/fuzz/%.c tests/fuzz/replay.c $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -DFUZZ_NAME='"$*"' -o $@ $< tests/fuzz/replay.c $(LIBS_ALL) $(GRADER_LIBS) $(SANDBOX_LIBS)

# libFuzzer builds: make fuzz CC=clang
FUZZ_CFLAGS = -std=gnu17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isandbox -Igrader -Itests
$(B)/fuzz/%: tests/fuzz/%.c $(SANDBOX_SRCS) $(GRADER_SRCS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(SANDBOX_SRCS) $(GRADER_SRCS) $(GRADER_LIBS) $(SANDBOX_LIBS)

fuzz: $(FUZZ_BINS)

test-bins: all $(UNIT_BINS) $(PROBE_BINS) $(FUZZ_REPLAY) $(B)/tests/gradebox-glibc

test: deps test-bins check-boundaries check-format
	prove --exec '' $(UNIT_BINS) $(FUZZ_REPLAY) $(INTEG)

# Boundary rules from docs/ARCHITECTURE.md: the mechanism never sees the service's libraries,
# the service never calls the mechanism's syscalls directly.
check-boundaries:
	@! grep -nE '#include <(sqlite3|event2/|archive)' sandbox/*.[ch] || { echo "sandbox/ includes a grader library"; exit 1; }
	@! grep -nE '\b(mount|umount2|clone3?|unshare|pivot_root|seccomp_load|cap_set_proc)\(' grader/*.c || { echo "grader/ calls a sandbox syscall"; exit 1; }
	@! grep -nE '#include (<seccomp\.h>|<jansson\.h>|"policy\.h")' $(FRONT_SRCS) || { echo "the front door's sources need more than libc (grader/module.mk)"; exit 1; }
	@echo "boundaries ok"

check: check-boundaries check-format test

.PHONY: fuzz test-bins

# clang-format 14 with the repository's .clang-format (crun's CI does the same).
FORMAT_SRCS = $(filter-out tests/probes/%,$(wildcard sandbox/*.[ch] grader/*.[ch] tests/unit/*.c tests/fuzz/*.c))
check-format:
	clang-format --dry-run -Werror $(FORMAT_SRCS)

.PHONY: check-format
