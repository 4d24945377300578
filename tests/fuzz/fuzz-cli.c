// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: nestctl's whole command line, in-process, on the
 * fake kernel and the captured sysfs tree (tests/cli/sysfs).  The input is
 * the argument list, NUL-separated (at most 16 arguments); main() runs as
 * nestctl_main() (cli/main.c built with -Dmain=nestctl_main).
 *
 * Left out, because they block or leave the process: keep servers and
 * "to" clients and graph's "socket" (sockets), events watch (waits), and
 * the nestiommu.ko commands smmu, msi, dma and graph's "module" (netlink
 * to the host's kernel).  Inline
 * plans that only cost time or memory are skipped as in fuzz-plan.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nestctl.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int nestctl_main(int argc, char **argv);

#define MAX_ARGS 16

static bool arg_allowed(const char *a)
{
	static const char *const deny[] = {
		"keep", "--keep", "to", "--to", "events", "smmu", "msi", "dma",
		"socket", "module",
	};
	char msg[64];
	struct jv *v;
	bool ok;

	for (size_t i = 0; i < sizeof(deny) / sizeof(deny[0]); i++)
		if (!strcmp(a, deny[i]))
			return false;
	if (a[0] != '{' && a[0] != '[')
		return true;
	v = jv_parse(a, strlen(a), msg, sizeof(msg));
	ok = !fuzz_plan_too_costly(v);
	jv_free(v);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *argv[MAX_ARGS + 2];
	int argc = 0;
	size_t i = 0;

	fuzz_init();
	if (size > 16384)
		return -1;
	copy = malloc(size + 1);
	if (!copy)
		return -1;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = (char *)"nestctl";
	while (i <= size && argc <= MAX_ARGS) {
		char *a = copy + i;

		if (!arg_allowed(a)) {
			free(copy);
			return -1;
		}
		argv[argc++] = a;
		i += strlen(a) + 1;
	}
	if (i <= size) { /* more than MAX_ARGS */
		free(copy);
		return -1;
	}
	argv[argc] = NULL;

	json_output = pretty_output = false;
	fuzz_begin();
	nestctl_main(argc, argv);
	fuzz_end();
	free(copy);
	return 0;
}
