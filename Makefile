# loy — loyalty programme toolkit.  See README.md.
CFLAGS ?= -g -O2
override CFLAGS := -std=c11 -D_GNU_SOURCE -pthread -Wall -Wextra $(CFLAGS)
override CPPFLAGS := -Ilib $(CPPFLAGS)
LDLIBS = -lsqlite3 -lcsv -lpcre2-8 -pthread

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# zsh on Debian searches /usr/share/zsh/vendor-completions for the
# system's packages and /usr/local/share/zsh/site-functions for local ones,
# not /usr/share/zsh/site-functions: with PREFIX=/usr the completion goes
# to the first, with any other prefix to PREFIX/share/zsh/site-functions.
ZSHCOMPDIR ?= $(if $(filter /usr /usr/,$(PREFIX)),$(PREFIX)/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)

BUILD ?= build
PROGS = loy loy-accrue loy-check loy-enroll loy-expire loy-init loy-program loy-redeem loy-report loy-segment
LIBSRC = $(wildcard lib/*.c)
LIBOBJ = $(LIBSRC:lib/%.c=$(BUILD)/lib/%.o)
BINS = $(PROGS:%=$(BUILD)/bin/%)
MAN1 = $(wildcard man/*.1)
MAN5 = $(wildcard man/*.5)

# Debian packages the build and the tests need; `make deps` installs the
# missing ones (apt-get update once, then apt-get install -y).
DEPS = gcc make pkg-config libsqlite3-dev libcsv-dev libpcre2-dev sqlite3 tzdata bats man-db chromium zsh strace

.PHONY: all deps check check-asan test demo bench install uninstall clean
.PHONY: trials crash concurrency differential fuzz valgrind

# Fuzz harnesses (fuzz/*.c), built plainly to replay their seeds and the
# crash reproducers in `make check`; `make fuzz` builds them with AFL++.
FUZZ_HARNESSES = csv money when programme
FUZZBINS = $(FUZZ_HARNESSES:%=$(BUILD)/fuzz/%)

all: $(BINS) $(FUZZBINS)

deps:
	@sh tests/deps.sh $(DEPS)

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h) | $(BUILD)/lib
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/cmd/%.o: cmd/%.c $(wildcard lib/*.h) | $(BUILD)/cmd
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libloy.a: $(LIBOBJ)
	$(AR) rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/cmd/%.o $(BUILD)/libloy.a | $(BUILD)/bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/%: fuzz/%.c fuzz/driver.h $(BUILD)/libloy.a | $(BUILD)/fuzz
	$(CC) $(CPPFLAGS) -Ifuzz $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libloy.a $(LDLIBS)

$(BUILD)/lib $(BUILD)/cmd $(BUILD)/bin $(BUILD)/fuzz:
	@mkdir -p $@

# The whole suite; its last line reads "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=$(BUILD)-faults CPPFLAGS=-DLOY_FAULTS all
	@sh tests/run.sh $(BUILD)/bin

test: check

check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan \
	    CFLAGS="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" all
	@$(MAKE) --no-print-directory BUILD=build-asan-faults CPPFLAGS=-DLOY_FAULTS \
	    CFLAGS="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    sh tests/run.sh build-asan/bin

demo: deps
	@$(MAKE) --no-print-directory all
	@sh examples/demo.sh $(BUILD)/bin

bench: deps
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh $(BUILD)/bin

# The trust trials, long versions (README, "Trust"); their short versions
# are tests/trust.bats in `make check`.
TRIALS ?= 1000
DURATION ?= 60
FUZZ_SECONDS ?= 600
SEEDS ?= 200
crash: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=$(BUILD)-faults CPPFLAGS=-DLOY_FAULTS all
	@bash tests/trials/crash.sh $(BUILD)/bin $(BUILD)-faults/bin $(TRIALS)

concurrency: deps
	@$(MAKE) --no-print-directory all
	@bash tests/trials/concurrency.sh $(BUILD)/bin $(DURATION)

# the model is Python: installed here, not for `make check`
differential: deps
	@sh tests/deps.sh python3
	@$(MAKE) --no-print-directory all
	@bash tests/trials/differential.sh $(BUILD)/bin $(SEEDS)

fuzz: deps
	@sh tests/deps.sh afl++
	@sh fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

valgrind: deps
	@sh tests/deps.sh valgrind
	@$(MAKE) --no-print-directory all
	@bash tests/trials/valgrind.sh $(BUILD)/bin

trials: crash concurrency differential valgrind fuzz

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5
	install -m 644 completions/loy.bash $(DESTDIR)$(BASHCOMPDIR)/loy
	for p in $(PROGS); do [ $$p = loy ] || ln -sf loy $(DESTDIR)$(BASHCOMPDIR)/$$p; done
	install -m 644 completions/_loy $(DESTDIR)$(ZSHCOMPDIR)/_loy

uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(BINDIR)/$$p $(DESTDIR)$(BASHCOMPDIR)/$$p; done
	rm -f $(MAN1:man/%=$(DESTDIR)$(MANDIR)/man1/%) $(MAN5:man/%=$(DESTDIR)$(MANDIR)/man5/%)
	rm -f $(DESTDIR)$(ZSHCOMPDIR)/_loy

clean:
	rm -rf build build-asan build-faults build-asan-faults build-fuzz demo
