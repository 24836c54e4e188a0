# libgrader.a: queue, database, unpacking, pipeline, server. Two binaries:
#   gradebox          the front door: `gradebox run` itself (sandbox library only, fast to
#                     start), everything else exec'ed in gradebox-grader (grader/launcher.c)
#   gradebox-grader   every subcommand (grader/main.c)
GRADER_SRCS := $(filter-out grader/main.c grader/launcher.c,$(wildcard grader/*.c))
GRADER_OBJS := $(GRADER_SRCS:%.c=$(B)/%.o)

$(B)/libgrader.a: $(GRADER_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(B)/gradebox-grader: $(B)/grader/main.o $(B)/libgrader.a $(B)/libsandbox.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(GRADER_LIBS) $(SANDBOX_LIBS)

# Static (a static PIE: ASLR stays) unless sanitizing: no dynamic loader work on every run.
LAUNCHER_LINK = $(if $(SANITIZE),,-static-pie)
LAUNCHER_OBJS = $(B)/grader/launcher.o $(B)/grader/cmd_run.o $(B)/grader/cmd_pool.o
$(B)/gradebox: $(LAUNCHER_OBJS) $(B)/libsandbox.a $(B)/gradebox-grader
	$(CC) $(ALL_LDFLAGS) $(LAUNCHER_LINK) -o $@ $(LAUNCHER_OBJS) \
		$(B)/libsandbox.a $(shell pkg-config --libs jansson) $(SANDBOX_LIBS)
