# oci-tools: see README.md. Targets: all check demo deps install clean format asan
VERSION := 0.1.0
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
PKG_CONFIG ?= pkg-config
WERROR ?= 1
# O: where objects and binaries go (bin/ and build/ under it); make asan uses its own.
O ?= .
CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wshadow -Wvla -Wno-unused-parameter \
	  $(if $(filter 1,$(WERROR)),-Werror)
CPPFLAGS += -D_GNU_SOURCE -DOCI_TOOLS_VERSION='"$(VERSION)"' -MMD -MP -Icommon

BIN := $(O)/bin
BUILD := $(O)/build

PKGS_common := jansson libcrypto
PKGS_oci-fetch := libcurl
PKGS_oci-unpack := libarchive
PKGS_oci-run := libseccomp
PKGS_oci-net := libnl-3.0 libnl-route-3.0 libnftables
PKGS_oci-build :=
PKGS_oci-compose := yaml-0.1

TOOLS := oci-fetch oci-unpack oci-run oci-net oci-build oci-compose
# Only tools that have a main.c are built.
BUILT_TOOLS := $(foreach t,$(TOOLS),$(if $(wildcard $(t)/main.c),$(t)))
PROGRAMS := $(addprefix $(BIN)/,$(BUILT_TOOLS))

pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pkg_libs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

COMMON_SRCS := $(wildcard common/*.c)
COMMON_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(COMMON_SRCS))
LIBCOMMON := $(BUILD)/libocicommon.a

all: $(LIBCOMMON) $(PROGRAMS) unit-tests helpers

$(BUILD)/common/%.o: common/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(call pkg_cflags,$(PKGS_common)) $(CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# One program: objects, a library of its modules (for the unit tests), a binary.
define tool_rules
$(1)_SRCS := $$(wildcard $(1)/*.c)
$(1)_OBJS := $$(patsubst %.c,$$(BUILD)/%.o,$$($(1)_SRCS))
$(1)_LIBOBJS := $$(filter-out $$(BUILD)/$(1)/main.o,$$($(1)_OBJS))
$(1)_LDLIBS := $$(call pkg_libs,$$(PKGS_$(1)) $$(PKGS_common)) -lpthread

$$(BUILD)/$(1)/%.o: $(1)/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) -I$(1) $$(call pkg_cflags,$$(PKGS_$(1)) $$(PKGS_common)) $$(CFLAGS) -c -o $$@ $$<

$$(BUILD)/lib$(1).a: $$($(1)_LIBOBJS)
	@rm -f $$@
	$$(AR) rcs $$@ $$^

$$(BIN)/$(1): $$(BUILD)/$(1)/main.o $$(BUILD)/lib$(1).a $$(LIBCOMMON)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$^ $$($(1)_LDLIBS)
endef
$(foreach t,$(BUILT_TOOLS),$(eval $(call tool_rules,$(t))))

# Unit tests: tests/unit/common/test-X.c links common; tests/unit/oci-T/test-X.c
# also links oci-T's modules and libraries.
UNIT_SRCS := $(wildcard tests/unit/common/test-*.c) \
	     $(foreach t,$(BUILT_TOOLS),$(wildcard tests/unit/$(t)/test-*.c))
UNIT_BINS := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRCS))
unit-tests: $(UNIT_BINS)

$(BUILD)/tests/unit/common/%: tests/unit/common/%.c $(LIBCOMMON) tests/unit/tap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(call pkg_cflags,$(PKGS_common)) $(CFLAGS) $(LDFLAGS) \
		-o $@ $< $(LIBCOMMON) $(call pkg_libs,$(PKGS_common)) -lpthread

define unit_rules
$$(BUILD)/tests/unit/$(1)/%: tests/unit/$(1)/%.c $$(BUILD)/lib$(1).a $$(LIBCOMMON) tests/unit/tap.h
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) -I$(1) -Itests/unit $$(call pkg_cflags,$$(PKGS_$(1)) $$(PKGS_common)) \
		$$(CFLAGS) $$(LDFLAGS) -o $$@ $$< $$(BUILD)/lib$(1).a $$(LIBCOMMON) $$($(1)_LDLIBS)
endef
$(foreach t,$(BUILT_TOOLS),$(eval $(call unit_rules,$(t))))

# Small programs the end-to-end tests drive (never installed).
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(HELPER_SRCS))
helpers: $(HELPER_BINS)
$(BUILD)/tests/helpers/%: tests/helpers/%.c $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(call pkg_cflags,$(PKGS_common)) $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(LIBCOMMON) $(call pkg_libs,$(PKGS_common)) -lpthread

deps:
	@scripts/deps.sh

# T= limits the run to some test files or folders (make check T=tests/oci-run).
check: deps
	@$(MAKE) --no-print-directory all
	@OCI_TEST_BIN=$(abspath $(BIN)) OCI_TEST_BUILD=$(abspath $(BUILD)) tests/run.sh $(T)

demo: deps
	@$(MAKE) --no-print-directory all
	@OCI_TEST_BIN=$(abspath $(BIN)) OCI_TEST_BUILD=$(abspath $(BUILD)) scripts/demo.sh

ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan: deps
	@$(MAKE) --no-print-directory O=build-asan CC=clang CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		OCI_TEST_BIN=$(abspath build-asan/bin) OCI_TEST_BUILD=$(abspath build-asan/build) tests/run.sh $(T)

MANPAGES := $(wildcard man/*.1)
install: all
	install -d $(DESTDIR)$(BINDIR)
	install -m755 $(PROGRAMS) $(DESTDIR)$(BINDIR)
	install -d $(DESTDIR)$(MANDIR)/man1
	$(if $(MANPAGES),install -m644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf bin build build-asan

.PHONY: all check demo deps install clean format asan unit-tests helpers

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
