# The shop: a shared library, six CGI binaries, the Stripe emulator, the seed tool and the tests.
# `make SANITIZER=address,undefined` builds everything with sanitizers; `make valgrind` runs the
# unit tests under valgrind. Build output other than cgi-bin/ goes to build/.

CC      ?= cc
B       := build
PKGS    := libcurl libcjson libsodium libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
           -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wvla -Wno-unused-parameter \
           -fstack-protector-strong -MMD -MP -Isrc/lib $(PKG_CFLAGS)
LDLIBS  := -lfcgi $(PKG_LIBS) -lpthread -lm
ifdef SANITIZER
CFLAGS  += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZER)
endif

CGI       := products register login checkout webhook orders
CGI_BIN   := $(CGI:%=cgi-bin/%)
LIB_OBJ   := $(patsubst src/%.c,$(B)/%.o,$(wildcard src/lib/*.c))
EMU_OBJ   := $(patsubst src/%.c,$(B)/%.o,$(wildcard src/emu/*.c))
UNIT_BIN  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))

all: $(CGI_BIN) $(B)/stripe-emu $(B)/seed

# `make V=1` shows the whole command lines.
Q := $(if $(V),,@)

# Everything is rebuilt when the flags change (a SANITIZER build after a plain one, say).
$(B)/flags: FORCE
	@mkdir -p $(B)
	@echo '$(CC) $(CFLAGS) $(LDFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS) $(LDFLAGS)' > $@

$(B)/%.o: src/%.c $(B)/flags
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libshop.a: $(LIB_OBJ)
	$(Q)$(AR) rcs $@ $^

LINK = $(Q)$(if $(Q),echo "  LD      $@";) $(CC) $(LDFLAGS) -o $@ $(filter %.o %.a %.c,$^)

cgi-bin/%: $(B)/cgi/%.o $(B)/libshop.a
	$(LINK) $(LDLIBS)

$(B)/stripe-emu: $(EMU_OBJ) $(B)/libshop.a
	$(LINK) $(LDLIBS)

$(B)/seed: $(B)/tools/seed.o $(B)/libshop.a
	$(LINK) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libshop.a $(B)/flags
	@mkdir -p $(@D)
	$(LINK) $(CFLAGS) -lcmocka $(LDLIBS)

deps:
	sh src/scripts/deps.sh

run: all
	sh src/scripts/run.sh

stop:
	sh src/scripts/stop.sh

seed: all
	build/seed

# Every test program runs even when one fails; the target fails if any did.
unit: $(UNIT_BIN)
	@rc=0; for t in $(UNIT_BIN); do echo "== $$t"; $$t || rc=1; done; exit $$rc

valgrind: $(UNIT_BIN)
	@rc=0; for t in $(UNIT_BIN); do \
		valgrind -q --error-exitcode=1 --leak-check=full $$t || rc=1; done; exit $$rc

test: all $(UNIT_BIN)
	sh tests/run-all.sh

bench: all
	sh tests/bench.sh

# The contract suite against real Stripe in test mode (STRIPE_SECRET_KEY=sk_test_…), less the
# emulator's own endpoints and the emulator_* files: where it fails, the emulator and Stripe
# differ. Needs no emulator; it creates objects in that account (tagged with the run).
check-live: cgi-bin/webhook
	@case "$$STRIPE_SECRET_KEY" in \
	sk_test_?*) ;; \
	"") echo "check-live: set STRIPE_SECRET_KEY to a Stripe test-mode secret key (sk_test_...)" >&2; \
	    exit 2 ;; \
	*) echo "check-live: STRIPE_SECRET_KEY is not a test-mode key (sk_test_...); refusing to" \
	    "run against live data" >&2; exit 2 ;; \
	esac
	@[ -d tests/node_modules/stripe ] || (cd tests && npm ci --no-audit --no-fund)
	cd tests && STRIPE_LIVE=1 node --test --test-concurrency=1 \
	    $$(ls contract/*.test.js | grep -v '^contract/emulator_')

clean:
	rm -rf $(B) $(CGI_BIN)

FORCE:
.PHONY: all deps run stop seed unit valgrind test bench check-live clean FORCE
.SECONDARY:
-include $(shell find $(B) -name '*.d' 2>/dev/null)
