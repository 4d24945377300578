/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One row per uAPI item of uapi-list.h, filled in by each of the two
 * translation units of test-uapi from its own headers.  Includes neither
 * lib/uapi.h nor <linux/iommufd.h>: the two never meet.
 */
#ifndef NIO_TEST_UAPI_TABLE_H
#define NIO_TEST_UAPI_TABLE_H

#include <stddef.h>
#include <stdint.h>

enum uapi_kind {
	UAPI_K_STRUCT,     /* a = sizeof, b = alignof */
	UAPI_K_FIELD,      /* a = offsetof, b = sizeof(member) */
	UAPI_K_IOCTL,      /* a = request number */
	UAPI_K_CONST,      /* a = value */
	UAPI_K_TEST_CONST, /* a = value (iommufd_test.h) */
};

struct uapi_row {
	enum uapi_kind kind;
	const char *name;   /* "struct", "struct.field", "NAME" */
	uint64_t a, b;
	int present;        /* 0: this side could not define it */
};

#define UAPI_TABLE_ROWS_MAX 1024

/* test-uapi.c: the library's definitions (lib/uapi.h) */
extern const struct uapi_row uapi_lib_rows[];
extern const size_t uapi_lib_nrows;
/* test-uapi-kernel.c: the testbed kernel's installed headers */
extern const struct uapi_row uapi_kernel_rows[];
extern const size_t uapi_kernel_nrows;
/* 1 if the kernel side had drivers/iommu/iommufd/iommufd_test.h */
extern const int uapi_kernel_has_test_h;

/* The rows, expanded from uapi-list.h with whatever headers are included. */
#define UAPI_STRUCT(s) \
	{ UAPI_K_STRUCT, #s, sizeof(struct s), _Alignof(struct s), 1 },
#define UAPI_FIELD(s, f)                                                    \
	{ UAPI_K_FIELD, #s "." #f, offsetof(struct s, f),                   \
	  sizeof(((struct s *)0)->f), 1 },
#define UAPI_IOCTL(n) { UAPI_K_IOCTL, #n, (uint64_t)(n), 0, 1 },
#define UAPI_CONST(n) { UAPI_K_CONST, #n, (uint64_t)(n), 0, 1 },

#endif
