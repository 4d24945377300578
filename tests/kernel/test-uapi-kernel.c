// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-uapi, second translation unit: the testbed kernel's installed uAPI
 * headers (<builddir>/usr/include/linux/{iommufd,vfio}.h), never together
 * with lib/uapi.h.  Compiled with -I<builddir>/usr/include, and, when the
 * kernel source tree is there, -DHAVE_IOMMUFD_TEST_H
 * -I<src>/drivers/iommu/iommufd for the selftest-only values.
 */
#include <stddef.h>
#include <stdint.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>
#ifdef HAVE_IOMMUFD_TEST_H
#include "iommufd_test.h"
#define UAPI_TEST_CONST(n) { UAPI_K_TEST_CONST, #n, (uint64_t)(n), 0, 1 },
#else
#define UAPI_TEST_CONST(n) { UAPI_K_TEST_CONST, #n, 0, 0, 0 },
#endif

#include "uapi-table.h"

#if defined(_UAPI_IOMMUFD_H) || defined(NIO_UAPI_H)
#error "the kernel's side must not see lib/uapi.h"
#endif

const struct uapi_row uapi_kernel_rows[] = {
#include "uapi-list.h"
};
const size_t uapi_kernel_nrows =
	sizeof(uapi_kernel_rows) / sizeof(uapi_kernel_rows[0]);
#ifdef HAVE_IOMMUFD_TEST_H
const int uapi_kernel_has_test_h = 1;
#else
const int uapi_kernel_has_test_h = 0;
#endif
