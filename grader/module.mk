# libgrader.a: queue, database, unpacking, pipeline, server; main.c is the `gradebox` binary.
GRADER_SRCS := $(filter-out grader/main.c,$(wildcard grader/*.c))
GRADER_OBJS := $(GRADER_SRCS:%.c=$(B)/%.o)

$(B)/libgrader.a: $(GRADER_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(B)/gradebox: $(B)/grader/main.o $(B)/libgrader.a $(B)/libsandbox.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(GRADER_LIBS) $(SANDBOX_LIBS)
