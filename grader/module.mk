# libgrader.a: queue, database, unpacking, pipeline, server. Three binaries, side by side:
#   gradebox          the front door (grader/front.c): a run a warm pool can serve, done here;
#                     everything else exec'ed in one of the two below. Built against musl,
#                     statically, where musl-gcc is installed (its start-up costs a fifth of
#                     glibc's on this kind of machine: docs/performance.md), else as the rest.
#   gradebox-run      the full runner: `run` (cold, --repeat, --result ...) and `pool`; links
#                     the sandbox library only, statically (grader/launcher.c)
#   gradebox-grader   every subcommand (grader/main.c)
FRONT_ONLY   := grader/front.c
GRADER_SRCS  := $(filter-out grader/main.c grader/launcher.c $(FRONT_ONLY),$(wildcard grader/*.c))
GRADER_OBJS  := $(GRADER_SRCS:%.c=$(B)/%.o)

$(B)/libgrader.a: $(GRADER_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(B)/gradebox-grader: $(B)/grader/main.o $(B)/libgrader.a $(B)/libsandbox.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(GRADER_LIBS) $(SANDBOX_LIBS)

# Static (a static PIE: ASLR stays) unless sanitizing: no dynamic loader work on every run.
LAUNCHER_LINK = $(if $(SANITIZE),,-static-pie)
LAUNCHER_OBJS = $(B)/grader/launcher.o $(B)/grader/cmd_run.o $(B)/grader/cmd_pool.o \
		$(B)/grader/run_cli.o $(B)/grader/run_json.o $(B)/grader/bpf_cache.o \
		$(B)/grader/pool_client.o
$(B)/gradebox-run: $(LAUNCHER_OBJS) $(B)/libsandbox.a $(B)/gradebox-grader
	$(CC) $(ALL_LDFLAGS) $(LAUNCHER_LINK) -o $@ $(LAUNCHER_OBJS) \
		$(B)/libsandbox.a $(shell pkg-config --libs jansson) $(SANDBOX_LIBS)

# The front door's sources: plain libc, the sandbox's request format and plain data.
FRONT_SRCS = grader/front.c grader/run_cli.c grader/bpf_cache.c grader/pool_client.c \
	     sandbox/util.c sandbox/log.c sandbox/request.c sandbox/bpf.c sandbox/config.c
MUSL_CC   ?= musl-gcc
HAVE_MUSL := $(if $(SANITIZE),,$(shell command -v $(MUSL_CC) 2>/dev/null))
ifneq ($(HAVE_MUSL),)
# Static, not PIE: a static PIE relocates itself at start, 16 more page faults here (0.4 ms per
# run). It parses only its own command line and the pool's reply (a root process); the
# fortified libc calls are glibc's (musl has none).
FRONT_OBJS   = $(FRONT_SRCS:%.c=$(B)/musl/%.o)
FRONT_CFLAGS = -std=gnu17 -D_GNU_SOURCE $(WARN) -fstack-protector-strong \
	       -fstack-clash-protection -MMD -MP $(if $(WERROR),-Werror) -Isandbox -Igrader \
	       $(CFLAGS)
$(B)/musl/%.o: %.c
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(FRONT_CFLAGS) -c -o $@ $<
$(B)/gradebox: $(FRONT_OBJS) $(B)/gradebox-run $(B)/gradebox-grader
	$(MUSL_CC) -static -Wl,-z,relro,-z,now,-z,noexecstack -o $@ $(FRONT_OBJS)
else
FRONT_OBJS = $(FRONT_SRCS:%.c=$(B)/%.o)
$(B)/gradebox: $(FRONT_OBJS) $(B)/gradebox-run $(B)/gradebox-grader
	$(CC) $(ALL_LDFLAGS) $(LAUNCHER_LINK) -o $@ $(FRONT_OBJS) -lm
endif

# The same front door built against glibc, as it is without musl-gcc or with SANITIZE: make
# test runs it too (13-pool.sh), so the fallback build is not left to bit-rot.
$(B)/tests/gradebox-glibc: $(FRONT_SRCS:%.c=$(B)/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $(LAUNCHER_LINK) -o $@ $^ -lm
