# SPDX-License-Identifier: GPL-2.0-or-later
#
# The libFuzzer harnesses, built with clang (GNU make; run.sh calls it):
#
#   make -f fuzz.mk SRC=<top_srcdir> BLD=<top_builddir> O=<output dir> \
#	FUZZ_CC=clang NL=1 JSONC_CFLAGS=... JSONC_LIBS=... LIBNL_CFLAGS=...
#
# The library, nestctl and the fake kernel are compiled again into each
# harness with coverage (-fsanitize=fuzzer-no-link), ASan and UBSan.
# Sources are globbed so that files moving inside lib/ need no change here.
# The fake kernel's open/openat/fopen are renamed fkg_* (objcopy) so that
# fuzz-common.c's guarded versions come first.

FUZZ_CC ?= clang
OBJCOPY ?= objcopy
NL ?= 0
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
CFLAGS_F := -g -O1 -std=gnu11 $(SAN) -fsanitize=fuzzer-no-link \
	-Wall -Wextra -Wno-unused-parameter -Werror
CPPFLAGS_F := -DHAVE_CONFIG_H -I$(BLD) -I$(SRC)/include -I$(SRC)/lib \
	-I$(SRC)/cli -I$(SRC)/tests/fake-kernel -I$(SRC)/tests/fuzz \
	$(JSONC_CFLAGS) $(if $(filter 1,$(NL)),$(LIBNL_CFLAGS))

LIB_SRC := $(wildcard $(SRC)/lib/*.c) \
	$(if $(filter 1,$(NL)),$(wildcard $(SRC)/lib/smmu/*.c))
CLI_SRC := $(wildcard $(SRC)/cli/*.c)
FK_SRC := $(SRC)/tests/fake-kernel/fake-kernel.c \
	$(SRC)/tests/fake-kernel/fake-iommufd.c
COMMON_SRC := $(SRC)/tests/fuzz/fuzz-common.c

obj = $(patsubst $(SRC)/%.c,$(O)/obj/%.o,$(1))
LIB_OBJ := $(call obj,$(LIB_SRC))
CLI_OBJ := $(call obj,$(CLI_SRC))
FK_OBJ := $(patsubst %.o,%.guarded.o,$(call obj,$(FK_SRC)))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
ALL_OBJ := $(LIB_OBJ) $(CLI_OBJ) $(FK_OBJ) $(COMMON_OBJ)
LIBS := $(JSONC_LIBS) $(if $(filter 1,$(NL)),$(LIBNL_LIBS)) -ldl -lpthread

HARNESSES := fuzz-plan fuzz-smmuv3 fuzz-cli fuzz-layout

all: $(addprefix $(O)/,$(HARNESSES))

$(O)/fuzz-%: $(O)/obj/tests/fuzz/fuzz-%.o $(ALL_OBJ)
	$(FUZZ_CC) $(SAN) -fsanitize=fuzzer -o $@ $^ $(LIBS)

# main() of nestctl is called by fuzz-cli as nestctl_main()
$(O)/obj/cli/main.o: CPPFLAGS_F += -Dmain=nestctl_main
$(O)/obj/cli/main.o: CFLAGS_F += -Wno-missing-prototypes

$(O)/obj/%.o: $(SRC)/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS_F) $(CFLAGS_F) -MMD -MP -c -o $@ $<

$(O)/obj/%.guarded.o: $(O)/obj/%.o
	$(OBJCOPY) $(foreach s,open open64 openat openat64 fopen fopen64, \
		--redefine-sym $(s)=fkg_$(s)) $< $@

.SECONDARY:
.PHONY: all

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
