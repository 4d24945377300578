/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fake-kernel: a userspace double of iommufd (/dev/iommu) and of VFIO
 * device cdevs (/dev/vfio/devices/vfioN), in the style of kmod's testsuite.
 *
 * libfakekernel.so interposes open/openat (and their 64/_2 variants),
 * ioctl, read, write, close, dup/dup2/dup3, fcntl(F_DUPFD*) and fstat,
 * and redirects /sys paths (stat, lstat, access, readlink, opendir, fopen)
 * into a prepared tree.
 * Descriptors opened on the fake nodes are real descriptors (eventfds, so
 * that poll() works on the event queues) that the fake tracks; every other
 * descriptor is passed through to libc untouched.  A test links the
 * library *before* libnestiommu (or loads it with LD_PRELOAD) and drives
 * and inspects it with the fake_kernel_*() functions below.
 *
 * The model follows drivers/iommu/iommufd (see
 * ../../../shared/reference/iommufd-uapi.md for the rules):
 *  - one object ID space per iommufd context, lowest free ID first (the
 *    kernel's xa_alloc with XA_FLAGS_ALLOC1), so IDs are reused;
 *  - size < minimum -> EINVAL; size > known struct with a non-zero tail ->
 *    E2BIG; explicit __reserved fields or unknown flags -> EOPNOTSUPP;
 *    missing IDs -> ENOENT; a NULL argument -> EFAULT;
 *  - IOAS mappings: overlap -> EEXIST, unaligned IOVA/VA -> EINVAL, unmap
 *    must cover whole mappings (else ENOENT), iova 0 + length U64_MAX
 *    unmaps everything, unmapping a range pinned by a HW queue -> EBUSY;
 *  - DESTROY with dependents -> EBUSY (a device can only be unbound by
 *    closing its cdev; a vEVENTQ or fault object whose fd is open is busy);
 *  - HWPT, vIOMMU, vDEVICE, vEVENTQ, fault and HW queue allocation rules of
 *    Linux 7.3; SMMUv3 invalidation accepts the opcodes the upstream driver
 *    accepts and fails the others (and unknown vSIDs) with EIO, writing
 *    back entry_num = entries handled;
 *  - vEVENTQ reads return whole records only, 0 when empty; a full queue
 *    queues one LOST_EVENTS header; sequences wrap at INT_MAX.
 *
 * Every call on a fake descriptor is recorded with the exact bytes the
 * caller passed (and what the fake wrote back), so a test can compare the
 * payload with the one it expects.
 */
#ifndef FAKE_KERNEL_H
#define FAKE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef FK_API
#define FK_API __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------ */
/* State                                                               */

/*
 * Forget everything: closes every fake descriptor still open (without
 * recording it), frees every context, clears the call log, scripts and
 * device table, then registers the default devices (see below).
 */
FK_API void fake_kernel_reset(void);

/* ------------------------------------------------------------------ */
/* Fake devices: /dev/vfio/devices/vfio<index>                          */

struct fk_device_cfg {
	/* GET_HW_INFO answer. */
	uint32_t hw_info_type;
	uint64_t capabilities;
	uint8_t max_pasid_log2;
	uint32_t hw_info_len;
	uint8_t hw_info[128];
	/* Physical IOMMU instance: vIOMMU/vDEVICE/nesting must match. */
	uint32_t iommu_instance;
	/* VFIO_DEVICE_GET_INFO answer. */
	uint32_t vfio_flags;
	uint32_t num_regions;
	uint32_t num_irqs;
	/* HWPT_ALLOC_DIRTY_TRACKING accepted. */
	bool dirty_tracking;
	/* VFIO_DEVICE_ATTACH_PASID accepted. */
	bool pasid;
	/* Binding requires this VF token (VFIO_DEVICE_BIND_FLAG_TOKEN). */
	bool needs_token;
	uint8_t token[16];
	/*
	 * Nested HWPT data type accepted (IOMMU_HWPT_DATA_*), and whether the
	 * parent may be a nest-parent HWPT (VT-d, selftest) or only a vIOMMU
	 * (SMMUv3).
	 */
	uint32_t nested_data_type;
	bool nested_on_parent;
	/* vIOMMU type accepted (IOMMU_VIOMMU_TYPE_*), 0 = none. */
	uint32_t viommu_type;
	/* HW queue type accepted on its vIOMMUs, 0 = none. */
	uint32_t hw_queue_type;
};

/*
 * Defaults of a device: an ARM SMMUv3 on instance 0 (hw_info type 2 with
 * plausible IDR values, max_pasid_log2 20, dirty tracking, PASID), a
 * vfio-pci device (flags RESET|PCI, 9 regions, 5 irqs), nested data type
 * ARM_SMMUV3 through a vIOMMU only, vIOMMU type ARM_SMMUV3, HW queue type
 * SELFTEST.
 */
FK_API void fake_kernel_device_defaults(struct fk_device_cfg *cfg);
/*
 * Register (or replace) /dev/vfio/devices/vfio<index>; cfg NULL means the
 * defaults.  fake_kernel_reset() registers vfio0 and vfio1 (instance 0)
 * and vfio2 (instance 1).  Returns 0 or -errno.
 */
FK_API int fake_kernel_add_device(unsigned int index,
				  const struct fk_device_cfg *cfg);
FK_API int fake_kernel_remove_device(unsigned int index);

/*
 * Redirect /sys/... to <dir>/sys/... for open, openat, fopen, opendir,
 * stat, lstat, access and readlink (kmod's path.c), so that sysfs lookups
 * see a prepared tree.  NULL or "" turns it off.  The environment
 * variable FAKE_KERNEL_SYSFS sets it at start-up.  Not undone by
 * fake_kernel_reset().
 */
FK_API void fake_kernel_set_sysfs_root(const char *dir);

/* ------------------------------------------------------------------ */
/* Scripts                                                             */

/*
 * The kernel lacks this ioctl (request number, e.g. IOMMU_VEVENTQ_ALLOC):
 * every call fails with ENOTTY before anything is checked, as on a kernel
 * that predates it.
 */
FK_API void fake_kernel_set_missing(unsigned long request, bool missing);
/*
 * Fail call number nth (0 = the next one) of this ioctl with err, with no
 * side effect and no write-back.  Several scripts may be queued (two with
 * nth 0 fail the next two calls).  err 0 removes every script pending for
 * this request.
 */
FK_API void fake_kernel_fail_ioctl(unsigned long request, unsigned int nth,
				   int err);
/*
 * The kernel knows only the first size bytes of this ioctl's struct, as
 * an older kernel whose struct has grown since: a non-zero byte past it
 * is E2BIG, fields past it read as zero and are not written back.  The
 * size must still cover the handler's fields in use.  0 restores.
 */
FK_API void fake_kernel_set_kernel_size(unsigned long request, uint32_t size);
/* open("/dev/iommu") fails with err (0 = works again). */
FK_API void fake_kernel_fail_open_iommu(int err);
/*
 * IOMMU_HWPT_INVALIDATE: entry number k (0-based, counted over the whole
 * array of the next call that reaches it) fails with err; entries before
 * it take effect and entry_num is written back as k.  err 0 disables.
 */
FK_API void fake_kernel_fail_invalidate_at(unsigned int k, int err);
/* IOMMU_HWPT_INVALIDATE handles at most n entries per call (0 = all). */
FK_API void fake_kernel_set_invalidate_batch(unsigned int n);
/* Bytes written back into the vIOMMU driver data buffer on VIOMMU_ALLOC. */
FK_API void fake_kernel_set_viommu_data_out(const void *data, uint32_t len);
/* IOMMU_OPTION RLIMIT_MODE SET fails with EPERM (unprivileged caller). */
FK_API void fake_kernel_set_unprivileged(bool unprivileged);

/* ------------------------------------------------------------------ */
/* Events                                                              */

/*
 * Report an event on a vEVENTQ the way iommufd_viommu_report_event()
 * does: it gets the next sequence number; on a full queue it is dropped
 * and a single LOST_EVENTS header is queued instead.  Returns 0, -ENOENT,
 * or -EOVERFLOW when the event was dropped.
 */
FK_API int fake_kernel_veventq_report(int iommufd, uint32_t veventq_id,
				      const void *data, uint32_t len);
/*
 * Queue a record verbatim (flags, sequence, payload of len bytes), for
 * gaps and wrap-around the real kernel rarely produces.  The queue's next
 * sequence becomes sequence + 1.
 */
FK_API int fake_kernel_veventq_push_raw(int iommufd, uint32_t veventq_id,
					uint32_t flags, uint32_t sequence,
					const void *data, uint32_t len);
/* Set the sequence number the next reported event gets. */
FK_API int fake_kernel_veventq_set_sequence(int iommufd, uint32_t veventq_id,
					    uint32_t sequence);
/* Records queued and not yet read (a LOST_EVENTS header counts). */
FK_API int fake_kernel_veventq_pending(int iommufd, uint32_t veventq_id);

/*
 * Queue a page fault (struct iommu_hwpt_pgfault, 40 bytes) on a fault
 * object; the fake assigns and returns the cookie (>= 1), or -errno.
 */
FK_API int fake_kernel_fault_report(int iommufd, uint32_t fault_id,
				    const void *pgfault);
/*
 * Responses written to the fault fd, in order: (cookie, code) of the
 * i-th one.  Returns -ENOENT past the end.
 */
FK_API int fake_kernel_fault_response(int iommufd, uint32_t fault_id,
				      unsigned int i, uint32_t *cookie,
				      uint32_t *code);

/* Mark a page dirty in a dirty-tracking paging HWPT. */
FK_API int fake_kernel_set_dirty(int iommufd, uint32_t hwpt_id,
				 uint64_t iova);

/* ------------------------------------------------------------------ */
/* Inspection                                                          */

enum fk_obj_type {
	FK_OBJ_NONE = 0,
	FK_OBJ_IOAS,
	FK_OBJ_DEVICE,
	FK_OBJ_HWPT_PAGING,
	FK_OBJ_HWPT_NESTED,
	FK_OBJ_VIOMMU,
	FK_OBJ_VDEVICE,
	FK_OBJ_VEVENTQ,
	FK_OBJ_FAULT,
	FK_OBJ_HW_QUEUE,
};

/* Fake descriptors open (every kind). */
FK_API unsigned int fake_kernel_nr_fds(void);
/* iommufd contexts alive (a context lives while any file refers to it). */
FK_API unsigned int fake_kernel_nr_contexts(void);
/* Live objects over every context (tombstones not counted). */
FK_API unsigned int fake_kernel_nr_objects(void);
/* Type of object id in the context of iommufd, FK_OBJ_NONE if none. */
FK_API enum fk_obj_type fake_kernel_obj_type(int iommufd, uint32_t id);
/*
 * Facts about an object: parent (IOAS/HWPT/vIOMMU it was built on, or the
 * HWPT a device is attached to), users (references held by other objects
 * and descriptors), flags (HWPT flags, vIOMMU/vEVENTQ type), virt_id.
 */
struct fk_obj_info {
	enum fk_obj_type type;
	uint32_t parent_id;
	uint32_t dev_id;
	uint32_t users;
	uint32_t flags;
	uint64_t virt_id;
	bool auto_domain;
	uint32_t nr_mappings;
};
FK_API int fake_kernel_obj_info(int iommufd, uint32_t id,
				struct fk_obj_info *info);
/* i-th mapping of an IOAS in IOVA order: iova, length, flags. */
FK_API int fake_kernel_ioas_mapping(int iommufd, uint32_t ioas_id,
				    unsigned int i, uint64_t *iova,
				    uint64_t *length, uint32_t *flags);
/* Whether fd is a fake descriptor, and of which kind. */
enum fk_file_kind {
	FK_FILE_NONE = 0,
	FK_FILE_IOMMUFD,
	FK_FILE_VFIO,
	FK_FILE_VEVENTQ,
	FK_FILE_FAULT,
};
FK_API enum fk_file_kind fake_kernel_fd_kind(int fd);
/* For a bound VFIO cdev descriptor, its device object ID (else 0). */
FK_API uint32_t fake_kernel_vfio_dev_id(int fd);

/* ------------------------------------------------------------------ */
/* Call log                                                            */

#define FK_PAYLOAD_MAX 256

enum fk_call_kind {
	FK_CALL_OPEN,
	FK_CALL_IOCTL,
	FK_CALL_READ,
	FK_CALL_WRITE,
	FK_CALL_CLOSE,
	FK_CALL_DUP,
};

struct fk_call {
	enum fk_call_kind kind;
	enum fk_file_kind file_kind;
	int fd;
	/* ioctl request; for FK_CALL_DUP the old descriptor. */
	unsigned long request;
	/* Return value and errno (0 on success) as the caller saw them. */
	long ret;
	int err;
	/*
	 * ioctl: the bytes of the argument as passed (in) and after the call
	 * (out), len = its size/argsz field, capped at FK_PAYLOAD_MAX.
	 * read/write: count requested in count, the data in in/out (capped).
	 */
	uint32_t len;
	size_t count;
	uint8_t in[FK_PAYLOAD_MAX];
	uint8_t out[FK_PAYLOAD_MAX];
	/*
	 * Indirect data the kernel read through a pointer in the argument:
	 * invalidation entries, HWPT/vIOMMU driver data, IOVA ranges of
	 * ALLOW_IOVAS, a VF token.
	 */
	uint32_t aux_len;
	const uint8_t *aux;
	/* open: the path. */
	char path[128];
};

/* Number of calls recorded since the last reset/clear. */
FK_API unsigned int fake_kernel_nr_calls(void);
/* The i-th call (valid until the next reset/clear), or NULL. */
FK_API const struct fk_call *fake_kernel_call(unsigned int i);
/* The nth (0-based) ioctl with this request, or NULL. */
FK_API const struct fk_call *fake_kernel_find_ioctl(unsigned long request,
						    unsigned int nth);
/* The last ioctl with this request, or NULL. */
FK_API const struct fk_call *fake_kernel_last_ioctl(unsigned long request);
/* ioctls with this request since the last reset/clear. */
FK_API unsigned int fake_kernel_count_ioctl(unsigned long request);
FK_API void fake_kernel_clear_calls(void);
/* Print the log to stderr (debugging a failing test). */
FK_API void fake_kernel_dump_calls(void);
/* Name of an ioctl request ("IOMMU_IOAS_MAP", ...) or NULL. */
FK_API const char *fake_kernel_ioctl_name(unsigned long request);

#ifdef __cplusplus
}
#endif

#endif
