/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the libFuzzer harnesses (tests/fuzz/README).
 *
 * Harnesses run nestctl and the library in-process against the fake
 * kernel (tests/fake-kernel) as root: fuzz_begin()..fuzz_end() bracket one
 * input, and in between every open()/fopen() is checked by the guard in
 * fuzz-common.c (fake devices, the captured sysfs tree and read-only /sys
 * only), so no input can open a real device such as /dev/watchdog.
 */
#ifndef NESTIOMMU_FUZZ_COMMON_H
#define NESTIOMMU_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jv.h"

/* Once per process: stdio to /dev/null, an empty working directory. */
void fuzz_init(void);
/* Around one input: resets the fake kernel, arms the open() guard. */
void fuzz_begin(void);
void fuzz_end(void);
/*
 * Inputs that would only be slow or huge (waits, large mappings, large
 * counts): the harnesses skip them.  Walks a parsed JSON document.
 */
bool fuzz_plan_too_costly(const struct jv *v);

#endif
