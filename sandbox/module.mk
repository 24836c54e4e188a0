# libsandbox.a: the isolation mechanism. Links libseccomp and libcap only.
SANDBOX_SRCS := $(wildcard sandbox/*.c)
SANDBOX_OBJS := $(SANDBOX_SRCS:%.c=$(B)/%.o)

$(B)/libsandbox.a: $(SANDBOX_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^
