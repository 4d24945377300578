/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nestctl's own copy of the parts of the kernel's IOMMUFD_TEST interface
 * that plans use (mock-* operations), from Linux 7.3
 * drivers/iommu/iommufd/iommufd_test.h and
 * tools/testing/selftests/iommu/iommufd_utils.h.
 *
 * This is a test-only, kernel-internal interface: it exists only with
 * CONFIG_IOMMUFD_TEST ("dangerous, do not enable unless running
 * tools/testing/selftests/iommu") and is not part of the stable uAPI.  It
 * is deliberately kept out of libnestiommu; nestctl uses it so that the
 * testbed VM can run a complete nested session on the selftest mock
 * (vIOMMU type 0xdeadbeef, nested data 0xdead, invalidation 0xdeadbeef,
 * vEVENTQ 0xbeefbeef).  Layouts are pinned below.
 */
#ifndef NESTCTL_IOMMUFD_TEST_H
#define NESTCTL_IOMMUFD_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#define NIO_TEST_IOMMUFD_TYPE (';')
#define NIO_TEST_IOMMU_DESTROY _IO(NIO_TEST_IOMMUFD_TYPE, 0x80)
#define IOMMU_TEST_CMD _IO(NIO_TEST_IOMMUFD_TYPE, 0x80 + 32)

struct nio_test_destroy {
	uint32_t size;
	uint32_t id;
};

enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	IOMMU_TEST_OP_MOCK_DOMAIN,
	IOMMU_TEST_OP_MD_CHECK_MAP,
	IOMMU_TEST_OP_MD_CHECK_REFS,
	IOMMU_TEST_OP_CREATE_ACCESS,
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_RW,
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
	IOMMU_TEST_OP_DIRTY,
	IOMMU_TEST_OP_MD_CHECK_IOTLB,
	IOMMU_TEST_OP_TRIGGER_IOPF,
	IOMMU_TEST_OP_DEV_CHECK_CACHE,
	IOMMU_TEST_OP_TRIGGER_VEVENT,
	IOMMU_TEST_OP_PASID_ATTACH,
	IOMMU_TEST_OP_PASID_REPLACE,
	IOMMU_TEST_OP_PASID_DETACH,
	IOMMU_TEST_OP_PASID_CHECK_HWPT,
};

enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,
};

#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad
#define IOMMU_TEST_INVALIDATE_FLAG_ALL (1 << 0)

/* Data types and object types of the mock driver */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeef
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeef
#define IOMMU_HW_QUEUE_TYPE_SELFTEST 0xdeadbeef

struct iommu_hwpt_selftest {
	uint32_t iotlb;
	uint32_t pagetable_type;
};

struct iommu_hwpt_invalidate_selftest {
	uint32_t flags;
	uint32_t iotlb_id;
};

struct iommu_viommu_invalidate_selftest {
	uint32_t flags;
	uint32_t vdev_id;
	uint32_t cache_id;
};

struct iommu_viommu_event_selftest {
	uint32_t virt_id;
};

struct iommu_test_cmd {
	uint32_t size;
	uint32_t op;
	uint32_t id;
	uint32_t __reserved;
	union {
		struct {
			uint64_t start __attribute__((aligned(8)));
			uint64_t length __attribute__((aligned(8)));
		} add_reserved;
		struct {
			uint32_t out_stdev_id;
			uint32_t out_hwpt_id;
			uint32_t out_idev_id;
		} mock_domain;
		struct {
			uint32_t out_stdev_id;
			uint32_t out_hwpt_id;
			uint32_t out_idev_id;
			uint32_t dev_flags;
		} mock_domain_flags;
		struct {
			uint32_t pt_id;
		} mock_domain_replace;
		struct {
			uint32_t id;
			uint32_t iotlb;
		} check_iotlb;
		struct {
			uint32_t dev_id;
			uint32_t pasid;
			uint32_t grpid;
			uint32_t perm;
			uint64_t addr;
		} trigger_iopf;
		struct {
			uint32_t id;
			uint32_t cache;
		} check_dev_cache;
		struct {
			uint32_t dev_id;
		} trigger_vevent;
		/* the kernel's union is 48 bytes (the dirty member) */
		uint8_t __union_size[48];
	};
	uint32_t last;
};

_Static_assert(offsetof(struct iommu_test_cmd, mock_domain) == 16, "test cmd");
_Static_assert(offsetof(struct iommu_test_cmd, last) == 64, "test cmd");
_Static_assert(sizeof(struct iommu_test_cmd) == 72, "test cmd");
_Static_assert(sizeof(struct iommu_viommu_invalidate_selftest) == 12, "inv");

#endif
