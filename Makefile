# gradebox: single non-recursive make. Modules add themselves in */module.mk.
CC      ?= cc
CFLAGS  ?= -O2 -g
PKGS     = libseccomp libcap libevent libevent_extra sqlite3 libarchive jansson nettle
WARN     = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wmissing-declarations -Wpointer-arith -Wcast-qual -Wwrite-strings -Wundef -Wvla \
           -Wimplicit-fallthrough -Wno-missing-field-initializers
HARDEN   = -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection -fPIE
LDHARDEN = -pie -Wl,-z,relro,-z,now,-z,noexecstack
ALL_CFLAGS = -std=gnu17 -D_GNU_SOURCE $(WARN) $(HARDEN) -MMD -MP $(if $(WERROR),-Werror) \
           $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer) \
           -Isandbox -Igrader -Itests $(CFLAGS)
ALL_LDFLAGS = $(LDHARDEN) $(if $(SANITIZE),-fsanitize=$(SANITIZE)) $(LDFLAGS)

# sandbox/ links only libseccomp and libcap (see docs/ARCHITECTURE.md).
SANDBOX_LIBS = $(shell pkg-config --libs libseccomp libcap 2>/dev/null) -lm
GRADER_LIBS  = $(shell pkg-config --libs libevent libevent_extra sqlite3 libarchive jansson nettle 2>/dev/null)

B = build

all: $(B)/gradebox

include sandbox/module.mk
include grader/module.mk
include tests/module.mk

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Installs the Debian packages a fresh Debian 12 machine lacks (root only; a no-op otherwise).
deps:
	@bash tests/deps.sh

demo: deps all
	@bash grader/demo.sh

clean:
	rm -rf $(B)

.PHONY: all deps demo clean test check check-boundaries
-include $(shell find $(B) -name '*.d' 2>/dev/null)
