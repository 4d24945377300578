// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-uapi: compare the library's own uAPI definitions (lib/uapi.h) with
 * the testbed kernel's installed <linux/iommufd.h> and <linux/vfio.h>:
 * the size and alignment of every struct, the offset and size of every
 * member, every ioctl request number and every enum value or flag that
 * the library defines (the list is uapi-list.h).  Runs on the host: it
 * needs only the headers.
 *
 * This translation unit sees only lib/uapi.h; test-uapi-kernel.c sees only
 * the kernel's headers (the two must never meet).  Output is TAP; exit
 * status 1 on any difference.
 *
 * Usage: test-uapi [-v]   (-v: one line per compared item)
 */
#include <stdio.h>
#include <string.h>

#include "uapi.h"
#include "uapi-table.h"

#define UAPI_TEST_CONST(n) { UAPI_K_TEST_CONST, #n, (uint64_t)(n), 0, 1 },

const struct uapi_row uapi_lib_rows[] = {
#include "uapi-list.h"
};
const size_t uapi_lib_nrows = sizeof(uapi_lib_rows) / sizeof(uapi_lib_rows[0]);

static const char *const kind_names[] = {
	[UAPI_K_STRUCT] = "struct",
	[UAPI_K_FIELD] = "field",
	[UAPI_K_IOCTL] = "ioctl",
	[UAPI_K_CONST] = "constant",
	[UAPI_K_TEST_CONST] = "selftest constant",
};

static const struct uapi_row *kernel_row(enum uapi_kind kind, const char *name)
{
	size_t i;

	for (i = 0; i < uapi_kernel_nrows; i++)
		if (uapi_kernel_rows[i].kind == kind &&
		    !strcmp(uapi_kernel_rows[i].name, name))
			return &uapi_kernel_rows[i];
	return NULL;
}

static int verbose;

/* Compare one row; prints a diagnostic and returns 1 on a difference. */
static int compare_row(const struct uapi_row *l)
{
	const struct uapi_row *k = kernel_row(l->kind, l->name);

	if (!k) {
		printf("#   %s %s: not compared by the kernel side\n",
		       kind_names[l->kind], l->name);
		return 1;
	}
	switch (l->kind) {
	case UAPI_K_STRUCT:
		if (l->a != k->a || l->b != k->b) {
			printf("#   struct %s: library size %llu align %llu, kernel size %llu align %llu\n",
			       l->name, (unsigned long long)l->a,
			       (unsigned long long)l->b,
			       (unsigned long long)k->a,
			       (unsigned long long)k->b);
			return 1;
		}
		break;
	case UAPI_K_FIELD:
		if (l->a != k->a || l->b != k->b) {
			printf("#   %s: library offset %llu size %llu, kernel offset %llu size %llu\n",
			       l->name, (unsigned long long)l->a,
			       (unsigned long long)l->b,
			       (unsigned long long)k->a,
			       (unsigned long long)k->b);
			return 1;
		}
		break;
	default:
		if (l->a != k->a) {
			printf("#   %s %s: library 0x%llx, kernel 0x%llx\n",
			       kind_names[l->kind], l->name,
			       (unsigned long long)l->a,
			       (unsigned long long)k->a);
			return 1;
		}
	}
	if (verbose)
		printf("#   %s %s: 0x%llx/0x%llx same\n", kind_names[l->kind],
		       l->name, (unsigned long long)l->a,
		       (unsigned long long)l->b);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int pass = 0, fail = 0, skip = 0, n = 0, planned = 0;
	size_t i, j;

	verbose = argc > 1 && !strcmp(argv[1], "-v");
	/* One test per struct (with its fields), ioctl and constant. */
	for (i = 0; i < uapi_lib_nrows; i++)
		planned += uapi_lib_rows[i].kind != UAPI_K_FIELD;
	printf("TAP version 13\n1..%u\n", planned);
	for (i = 0; i < uapi_lib_nrows; i = j) {
		const struct uapi_row *l = &uapi_lib_rows[i];
		int bad = 0;

		n++;
		if (l->kind == UAPI_K_TEST_CONST && !uapi_kernel_has_test_h) {
			printf("ok %u - %s %s # SKIP no iommufd_test.h (kernel source tree)\n",
			       n, kind_names[l->kind], l->name);
			skip++;
			j = i + 1;
			continue;
		}
		bad |= compare_row(l);
		/* the fields of a struct follow it */
		for (j = i + 1; j < uapi_lib_nrows &&
				uapi_lib_rows[j].kind == UAPI_K_FIELD; j++)
			bad |= compare_row(&uapi_lib_rows[j]);
		if (l->kind == UAPI_K_STRUCT)
			printf("%s %u - struct %s: size, alignment and %zu member offsets/sizes\n",
			       bad ? "not ok" : "ok", n, l->name, j - i - 1);
		else
			printf("%s %u - %s %s = 0x%llx\n", bad ? "not ok" : "ok",
			       n, kind_names[l->kind], l->name,
			       (unsigned long long)l->a);
		if (bad)
			fail++;
		else
			pass++;
	}
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0\n",
	       pass, fail, skip);
	return fail ? 1 : 0;
}
