/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The project's own copy of the iommufd and VFIO cdev uAPI (Linux 7.3).
 *
 * Distribution headers lag years behind the kernel, so the library does not
 * depend on them.  Names follow the kernel's so that a reader can compare;
 * the two must never meet in one translation unit.  Sizes and offsets are
 * pinned by _Static_assert here and compared with the testbed kernel's real
 * headers by tests/vm (test-uapi-compare).
 */
#ifndef NIO_UAPI_H
#define NIO_UAPI_H

#if defined(_UAPI_IOMMUFD_H) || defined(_IOMMUFD_H) || \
	defined(_UAPIVFIO_H) || defined(VFIO_H)
#error "lib/uapi.h replaces <linux/iommufd.h> and <linux/vfio.h>; do not mix them"
#endif

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#define NIO_ALIGNED_U64 uint64_t __attribute__((aligned(8)))

#define IOMMUFD_TYPE (';')

enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,
	IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
	IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,
	IOMMUFD_CMD_HW_QUEUE_ALLOC = 0x94,
	IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA = 0x95,
	IOMMUFD_CMD_LAST = IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA,
};

struct iommu_destroy {
	uint32_t size;
	uint32_t id;
};

struct iommu_ioas_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_ioas_id;
};

struct iommu_iova_range {
	NIO_ALIGNED_U64 start;
	NIO_ALIGNED_U64 last;
};

struct iommu_ioas_iova_ranges {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas;
	uint32_t __reserved;
	NIO_ALIGNED_U64 allowed_iovas;
	NIO_ALIGNED_U64 out_iova_alignment;
};

struct iommu_ioas_allow_iovas {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas;
	uint32_t __reserved;
	NIO_ALIGNED_U64 allowed_iovas;
};

enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

struct iommu_ioas_map {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	uint32_t __reserved;
	NIO_ALIGNED_U64 user_va;
	NIO_ALIGNED_U64 length;
	NIO_ALIGNED_U64 iova;
};

struct iommu_ioas_noiommu_get_pa {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	uint32_t __reserved;
	NIO_ALIGNED_U64 iova;
	NIO_ALIGNED_U64 length;
	NIO_ALIGNED_U64 out_phys;
};

struct iommu_ioas_map_file {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	int32_t fd;
	NIO_ALIGNED_U64 start;
	NIO_ALIGNED_U64 length;
	NIO_ALIGNED_U64 iova;
};

struct iommu_ioas_copy {
	uint32_t size;
	uint32_t flags;
	uint32_t dst_ioas_id;
	uint32_t src_ioas_id;
	NIO_ALIGNED_U64 length;
	NIO_ALIGNED_U64 dst_iova;
	NIO_ALIGNED_U64 src_iova;
};

struct iommu_ioas_unmap {
	uint32_t size;
	uint32_t ioas_id;
	NIO_ALIGNED_U64 iova;
	NIO_ALIGNED_U64 length;
};

enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
};

enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

struct iommu_option {
	uint32_t size;
	uint32_t option_id;
	uint16_t op;
	uint16_t __reserved;
	uint32_t object_id;
	NIO_ALIGNED_U64 val64;
};

struct iommu_vfio_ioas {
	uint32_t size;
	uint32_t ioas_id;
	uint16_t op;
	uint16_t __reserved;
};

enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,
};

enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,
	IOMMU_HWPT_DATA_AMD_GUEST = 3,
	IOMMU_HWPT_DATA_SELFTEST = 0xdead,
};

struct iommu_hwpt_vtd_s1 {
	NIO_ALIGNED_U64 flags;
	NIO_ALIGNED_U64 pgtbl_addr;
	uint32_t addr_width;
	uint32_t __reserved;
};

struct iommu_hwpt_arm_smmuv3 {
	NIO_ALIGNED_U64 ste[2];
};

struct iommu_hwpt_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pt_id;
	uint32_t out_hwpt_id;
	uint32_t __reserved;
	uint32_t data_type;
	uint32_t data_len;
	NIO_ALIGNED_U64 data_uptr;
	uint32_t fault_id;
	uint32_t __reserved2;
};

enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_DEFAULT = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,
	IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3,
	IOMMU_HW_INFO_TYPE_AMD = 4,
	IOMMU_HW_INFO_TYPE_SELFTEST = 0xfeedbeef,
};

enum iommufd_hw_info_flags {
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,
};

struct iommu_hw_info {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t data_len;
	NIO_ALIGNED_U64 data_uptr;
	union {
		uint32_t in_data_type;
		uint32_t out_data_type;
	};
	uint8_t out_max_pasid_log2;
	uint8_t __reserved[3];
	NIO_ALIGNED_U64 out_capabilities;
};

struct iommu_hw_info_vtd {
	uint32_t flags;
	uint32_t __reserved;
	NIO_ALIGNED_U64 cap_reg;
	NIO_ALIGNED_U64 ecap_reg;
};

struct iommu_hw_info_arm_smmuv3 {
	uint32_t flags;
	uint32_t __reserved;
	uint32_t idr[6];
	uint32_t iidr;
	uint32_t aidr;
};

struct iommu_hwpt_set_dirty_tracking {
	uint32_t size;
	uint32_t flags;
	uint32_t hwpt_id;
	uint32_t __reserved;
};

struct iommu_hwpt_get_dirty_bitmap {
	uint32_t size;
	uint32_t hwpt_id;
	uint32_t flags;
	uint32_t __reserved;
	NIO_ALIGNED_U64 iova;
	NIO_ALIGNED_U64 length;
	NIO_ALIGNED_U64 page_size;
	NIO_ALIGNED_U64 data;
};

enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,
	IOMMU_HWPT_INVALIDATE_DATA_SELFTEST = 0xdeadbeef,
};

struct iommu_hwpt_invalidate {
	uint32_t size;
	uint32_t hwpt_id;
	NIO_ALIGNED_U64 data_uptr;
	uint32_t data_type;
	uint32_t entry_len;
	uint32_t entry_num;
	uint32_t __reserved;
};

struct iommu_viommu_arm_smmuv3_invalidate {
	NIO_ALIGNED_U64 cmd[2];
};

struct iommu_fault_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_fault_id;
	uint32_t out_fault_fd;
};

struct iommu_hwpt_pgfault {
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pasid;
	uint32_t grpid;
	uint32_t perm;
	uint32_t __reserved;
	NIO_ALIGNED_U64 addr;
	uint32_t length;
	uint32_t cookie;
};

struct iommu_hwpt_page_response {
	uint32_t cookie;
	uint32_t code;
};

enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0,
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2,
	IOMMU_VIOMMU_TYPE_SELFTEST = 0xdeadbeef,
};

struct iommu_viommu_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t type;
	uint32_t dev_id;
	uint32_t hwpt_id;
	uint32_t out_viommu_id;
	uint32_t data_len;
	uint32_t __reserved;
	NIO_ALIGNED_U64 data_uptr;
};

struct iommu_vdevice_alloc {
	uint32_t size;
	uint32_t viommu_id;
	uint32_t dev_id;
	uint32_t out_vdevice_id;
	NIO_ALIGNED_U64 virt_id;
};

struct iommu_ioas_change_process {
	uint32_t size;
	uint32_t __reserved;
};

enum iommu_veventq_flag {
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = 1U << 0,
};

struct iommufd_vevent_header {
	uint32_t flags;
	uint32_t sequence;
};

enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0,
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,
	IOMMU_VEVENTQ_TYPE_SELFTEST = 0xbeefbeef,
};

struct iommu_vevent_arm_smmuv3 {
	NIO_ALIGNED_U64 evt[4];
};

struct iommu_veventq_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t viommu_id;
	uint32_t type;
	uint32_t veventq_depth;
	uint32_t out_veventq_id;
	uint32_t out_veventq_fd;
	uint32_t __reserved;
};

enum iommu_hw_queue_type {
	IOMMU_HW_QUEUE_TYPE_DEFAULT = 0,
	IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1,
	IOMMU_HW_QUEUE_TYPE_SELFTEST = 0xdeadbeef,
};

struct iommu_hw_queue_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t viommu_id;
	uint32_t type;
	uint32_t index;
	uint32_t out_hw_queue_id;
	NIO_ALIGNED_U64 nesting_parent_iova;
	NIO_ALIGNED_U64 length;
};

#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)
#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)
#define IOMMU_HWPT_SET_DIRTY_TRACKING \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)
#define IOMMU_HWPT_GET_DIRTY_BITMAP \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)
#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)
#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)
#define IOMMU_VIOMMU_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)
#define IOMMU_VDEVICE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)
#define IOMMU_IOAS_CHANGE_PROCESS \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_CHANGE_PROCESS)
#define IOMMU_VEVENTQ_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)
#define IOMMU_HW_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HW_QUEUE_ALLOC)
#define IOMMU_IOAS_NOIOMMU_GET_PA \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA)

/* VFIO device cdev side (include/uapi/linux/vfio.h). */
#define VFIO_TYPE (';')
#define VFIO_BASE 100

struct vfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_DEVICE_BIND_FLAG_TOKEN (1 << 0)
	int32_t iommufd;
	uint32_t out_devid;
	NIO_ALIGNED_U64 token_uuid_ptr;
};

struct vfio_device_attach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_DEVICE_ATTACH_PASID (1 << 0)
	uint32_t pt_id;
	uint32_t pasid;
};

struct vfio_device_detach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_DEVICE_DETACH_PASID (1 << 0)
	uint32_t pasid;
};

struct vfio_device_info {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_DEVICE_FLAGS_RESET (1 << 0)
#define VFIO_DEVICE_FLAGS_PCI (1 << 1)
#define VFIO_DEVICE_FLAGS_PLATFORM (1 << 2)
#define VFIO_DEVICE_FLAGS_AMBA (1 << 3)
#define VFIO_DEVICE_FLAGS_CCW (1 << 4)
#define VFIO_DEVICE_FLAGS_AP (1 << 5)
#define VFIO_DEVICE_FLAGS_FSL_MC (1 << 6)
#define VFIO_DEVICE_FLAGS_CAPS (1 << 7)
#define VFIO_DEVICE_FLAGS_CDX (1 << 8)
	uint32_t num_regions;
	uint32_t num_irqs;
	uint32_t cap_offset;
	uint32_t pad;
};

#define VFIO_DEVICE_GET_INFO _IO(VFIO_TYPE, VFIO_BASE + 7)
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)

/* Layout pins: size and the offset of each member a caller relies on. */
#define NIO_UAPI_PIN(type, sz) _Static_assert(sizeof(struct type) == (sz), #type " size")
#define NIO_UAPI_OFF(type, field, off) \
	_Static_assert(offsetof(struct type, field) == (off), #type "." #field " offset")

NIO_UAPI_PIN(iommu_destroy, 8);
NIO_UAPI_PIN(iommu_ioas_alloc, 12);
NIO_UAPI_PIN(iommu_iova_range, 16);
NIO_UAPI_PIN(iommu_ioas_iova_ranges, 32);
NIO_UAPI_OFF(iommu_ioas_iova_ranges, allowed_iovas, 16);
NIO_UAPI_OFF(iommu_ioas_iova_ranges, out_iova_alignment, 24);
NIO_UAPI_PIN(iommu_ioas_allow_iovas, 24);
NIO_UAPI_PIN(iommu_ioas_map, 40);
NIO_UAPI_OFF(iommu_ioas_map, user_va, 16);
NIO_UAPI_OFF(iommu_ioas_map, iova, 32);
NIO_UAPI_PIN(iommu_ioas_noiommu_get_pa, 40);
NIO_UAPI_PIN(iommu_ioas_map_file, 40);
NIO_UAPI_OFF(iommu_ioas_map_file, fd, 12);
NIO_UAPI_OFF(iommu_ioas_map_file, start, 16);
NIO_UAPI_PIN(iommu_ioas_copy, 40);
NIO_UAPI_OFF(iommu_ioas_copy, src_iova, 32);
NIO_UAPI_PIN(iommu_ioas_unmap, 24);
NIO_UAPI_OFF(iommu_ioas_unmap, length, 16);
NIO_UAPI_PIN(iommu_option, 24);
NIO_UAPI_OFF(iommu_option, object_id, 12);
NIO_UAPI_OFF(iommu_option, val64, 16);
NIO_UAPI_PIN(iommu_vfio_ioas, 12);
NIO_UAPI_PIN(iommu_hwpt_vtd_s1, 24);
NIO_UAPI_PIN(iommu_hwpt_arm_smmuv3, 16);
NIO_UAPI_PIN(iommu_hwpt_alloc, 48);
NIO_UAPI_OFF(iommu_hwpt_alloc, data_type, 24);
NIO_UAPI_OFF(iommu_hwpt_alloc, data_uptr, 32);
NIO_UAPI_OFF(iommu_hwpt_alloc, fault_id, 40);
NIO_UAPI_PIN(iommu_hw_info, 40);
NIO_UAPI_OFF(iommu_hw_info, data_uptr, 16);
NIO_UAPI_OFF(iommu_hw_info, out_data_type, 24);
NIO_UAPI_OFF(iommu_hw_info, out_max_pasid_log2, 28);
NIO_UAPI_OFF(iommu_hw_info, out_capabilities, 32);
NIO_UAPI_PIN(iommu_hw_info_vtd, 24);
NIO_UAPI_PIN(iommu_hw_info_arm_smmuv3, 40);
NIO_UAPI_PIN(iommu_hwpt_set_dirty_tracking, 16);
NIO_UAPI_PIN(iommu_hwpt_get_dirty_bitmap, 48);
NIO_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, data, 40);
NIO_UAPI_PIN(iommu_hwpt_invalidate, 32);
NIO_UAPI_OFF(iommu_hwpt_invalidate, data_type, 16);
NIO_UAPI_OFF(iommu_hwpt_invalidate, entry_num, 24);
NIO_UAPI_PIN(iommu_viommu_arm_smmuv3_invalidate, 16);
NIO_UAPI_PIN(iommu_fault_alloc, 16);
NIO_UAPI_PIN(iommu_hwpt_pgfault, 40);
NIO_UAPI_OFF(iommu_hwpt_pgfault, addr, 24);
NIO_UAPI_OFF(iommu_hwpt_pgfault, cookie, 36);
NIO_UAPI_PIN(iommu_hwpt_page_response, 8);
NIO_UAPI_PIN(iommu_viommu_alloc, 40);
NIO_UAPI_OFF(iommu_viommu_alloc, out_viommu_id, 20);
NIO_UAPI_OFF(iommu_viommu_alloc, data_uptr, 32);
NIO_UAPI_PIN(iommu_vdevice_alloc, 24);
NIO_UAPI_OFF(iommu_vdevice_alloc, virt_id, 16);
NIO_UAPI_PIN(iommu_ioas_change_process, 8);
NIO_UAPI_PIN(iommufd_vevent_header, 8);
NIO_UAPI_PIN(iommu_vevent_arm_smmuv3, 32);
NIO_UAPI_PIN(iommu_veventq_alloc, 32);
NIO_UAPI_OFF(iommu_veventq_alloc, out_veventq_fd, 24);
NIO_UAPI_PIN(iommu_hw_queue_alloc, 40);
NIO_UAPI_OFF(iommu_hw_queue_alloc, nesting_parent_iova, 24);
NIO_UAPI_PIN(vfio_device_bind_iommufd, 24);
NIO_UAPI_OFF(vfio_device_bind_iommufd, token_uuid_ptr, 16);
NIO_UAPI_PIN(vfio_device_attach_iommufd_pt, 16);
NIO_UAPI_PIN(vfio_device_detach_iommufd_pt, 12);
NIO_UAPI_PIN(vfio_device_info, 24);

#endif
