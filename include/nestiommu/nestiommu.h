/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnestiommu: a stable C API over Linux iommufd and VFIO device cdevs,
 * for two-stage (nested) DMA translation of devices assigned to VMs.
 *
 * Conventions (see libnestiommu(3)):
 *  - Every function returning int returns 0 (or a count) on success and a
 *    negative errno on failure, and also leaves errno set to that value.
 *    nio_ctx_last_error() then names the failing ioctl and its arguments.
 *  - Kernel objects are named by their u32 iommufd IDs, exactly as the
 *    kernel does, so a VMM can mix library and raw calls.  The context
 *    tracks every object it created (nio_object_next()/nio_object_info())
 *    and those handed to it with nio_object_import().
 *  - Ownership: nio_object_info.own says which objects and descriptors
 *    the context destroys and closes; it never closes one it does not own.
 *  - Versions: functions marked "Since 0.2" are in the NESTIOMMU_0.2
 *    symbol version, those marked "Since 0.3" in NESTIOMMU_0.3, all others
 *    in NESTIOMMU_0.1 (lib/libnestiommu.sym).
 *  - Option structs start with "size_t sz" (see NIO_OPTS in common.h);
 *    a NULL opts pointer means all defaults.
 *  - A context is safe to use from several threads: a call using a
 *    device's or queue's descriptor holds a reference on it, and a
 *    concurrent nio_destroy() closes the descriptor only after the last
 *    such call returned (no call ever lands on a reused descriptor);
 *    nio_veventq_read() callers of one queue take turns, so they never
 *    see each other's records as sequence gaps; the log callback is
 *    called under a lock, and not at all once nio_ctx_set_log() replaced
 *    it.  The last nio_ctx_unref() must not race with other calls.
 */
#ifndef NESTIOMMU_NESTIOMMU_H
#define NESTIOMMU_NESTIOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <nestiommu/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nio_ctx;

/* Library version, e.g. "0.1.0". */
NIO_API const char *nio_version(void);

/* ------------------------------------------------------------------ */
/* Context                                                             */

enum nio_log_level {
	NIO_LOG_ERR = 3,
	NIO_LOG_WARN = 4,
	NIO_LOG_INFO = 6,
	NIO_LOG_DEBUG = 7,
};

typedef void (*nio_log_fn)(struct nio_ctx *ctx, enum nio_log_level level,
			   const char *msg, void *userdata);

struct nio_ctx_opts {
	size_t sz;
	/* Device node to open; default "/dev/iommu". */
	const char *path;
	/* Log callback (default: none, the library is silent). */
	nio_log_fn log_fn;
	void *log_userdata;
	/*
	 * Most verbose level passed to log_fn; 0 means NIO_LOG_ERR, or the
	 * level named by $NESTIOMMU_LOG ("err", "warn", "info", "debug").
	 */
	int log_level;
};
#define nio_ctx_opts__last_field log_level

/* Open /dev/iommu (or opts->path) and create a context owning it. */
NIO_API int nio_ctx_open(struct nio_ctx **ctx, const struct nio_ctx_opts *opts);

enum nio_adopt_flags {
	/*
	 * The caller keeps ownership of the descriptor: the library never
	 * closes it, and on the last unref destroys the objects it created
	 * (newest first) instead.  Without this flag the context owns the
	 * descriptor and closes it, which frees everything in the kernel.
	 */
	NIO_ADOPT_BORROW = 1 << 0,
};

/*
 * Create a context over an iommufd descriptor opened elsewhere (e.g. by a
 * management layer and passed with SCM_RIGHTS).  The descriptor is checked
 * to be an iommufd (-ENOTTY otherwise).  On failure the descriptor is left
 * open, whatever the flags.
 */
NIO_API int nio_ctx_adopt_fd(int fd, unsigned int flags,
			     const struct nio_ctx_opts *opts,
			     struct nio_ctx **ctx);

NIO_API struct nio_ctx *nio_ctx_ref(struct nio_ctx *ctx);
/* Drop a reference; the last one frees everything.  Returns NULL. */
NIO_API struct nio_ctx *nio_ctx_unref(struct nio_ctx *ctx);
/* The iommufd descriptor (owned by the context unless borrowed). */
NIO_API int nio_ctx_fd(const struct nio_ctx *ctx);
/*
 * Text of the calling thread's last error, if it happened on this context
 * ("" otherwise).  Like errno, it is per thread: threads sharing a context
 * never see each other's errors.  A thread keeps the texts of the four
 * contexts it most recently had errors on.  With a NULL ctx: the last error of a call
 * that had no context (nio_ctx_open, nio_device_find_cdev, ...).
 */
NIO_API const char *nio_ctx_last_error(const struct nio_ctx *ctx);
NIO_API void nio_ctx_set_log(struct nio_ctx *ctx, nio_log_fn fn,
			     void *userdata, enum nio_log_level level);

/* ------------------------------------------------------------------ */
/* Objects and the context's object graph                              */

enum nio_object_type {
	NIO_OBJ_NONE = 0,
	NIO_OBJ_IOAS,
	NIO_OBJ_DEVICE,
	NIO_OBJ_HWPT_PAGING,
	NIO_OBJ_HWPT_NESTED,
	NIO_OBJ_VIOMMU,
	NIO_OBJ_VDEVICE,
	NIO_OBJ_VEVENTQ,
	NIO_OBJ_FAULT,
	NIO_OBJ_HW_QUEUE,
};

/* "ioas", "device", "hwpt-paging", ... or NULL for an unknown type. */
NIO_API const char *nio_object_type_name(enum nio_object_type type);

struct nio_object_info {
	size_t sz;
	uint32_t id;
	enum nio_object_type type;
	/*
	 * The object this one was built on: IOAS or HWPT for a HWPT,
	 * nest parent for a vIOMMU, vIOMMU for vDEVICE/vEVENTQ/HW queue,
	 * IOAS/HWPT a device is attached to (0 when detached).
	 */
	uint32_t parent_id;
	/* Device the object was created for (HWPT, vIOMMU, vDEVICE). */
	uint32_t dev_id;
	/* HWPT flags, vIOMMU/vEVENTQ/HW queue type, hw_info type... */
	uint32_t flags;
	uint32_t type_param;
	/* Fault queue a HWPT reports to (NIO_HWPT_FAULT_ID_VALID), else 0. */
	uint32_t fault_id;
	/* vDEVICE virtual ID; vEVENTQ depth; HW queue index/IOVA. */
	uint64_t virt_id;
	uint64_t iova;
	uint64_t length;
	/* Descriptor of a device cdev, vEVENTQ or fault queue, else -1. */
	int fd;
	/* cdev path of a device ("" otherwise). */
	char path[64];
	/* What the context owns (enum nio_own bits).  Since 0.2. */
	uint32_t own;
};
#define nio_object_info__last_field own

/*
 * Ownership of an object in a context (nio_object_info.own).  Objects the
 * context created have both bits; imported ones what the importer gave.
 */
enum nio_own {
	/*
	 * The context destroys the kernel object when it is done with it:
	 * on the last nio_ctx_unref() of a context over a borrowed iommufd
	 * (an owned iommufd frees everything when it closes anyway).
	 */
	NIO_OWN_OBJECT = 1 << 0,
	/*
	 * The context closes the object's descriptor (fd) on nio_destroy()
	 * and on the last nio_ctx_unref().  For a device that also unbinds
	 * it (VFIO unbinds a cdev when it closes).  Without this bit the
	 * library never closes the descriptor.
	 */
	NIO_OWN_FD = 1 << 1,
};

/*
 * Iterate the objects the context created, oldest first: pass 0 to get the
 * first ID; returns the next ID, or 0 at the end.
 */
NIO_API uint32_t nio_object_next(struct nio_ctx *ctx, uint32_t prev_id);
NIO_API int nio_object_info(struct nio_ctx *ctx, uint32_t id,
			    struct nio_object_info *info);

/*
 * Destroy any object by ID (IOMMU_DESTROY).  A device ID unbinds and
 * closes the cdev; a vEVENTQ or fault queue ID closes its descriptor.
 * Descriptors the context does not own (no NIO_OWN_FD) are never closed:
 * a device whose cdev is the caller's is refused with -EBUSY (close the
 * cdev to unbind, then nio_object_forget()), and a queue whose descriptor
 * is the caller's is destroyed only once the caller closed it (the
 * kernel's -EBUSY until then).
 */
NIO_API int nio_destroy(struct nio_ctx *ctx, uint32_t id);

/* ------------------------------------------------------------------ */
/* Importing objects made elsewhere (since 0.2, NESTIOMMU_0.2)          */

enum nio_import_flags {
	/*
	 * The context takes ownership: of the object (NIO_OWN_OBJECT) and of
	 * its descriptor, if it has one (NIO_OWN_FD: closed by nio_destroy()
	 * and the last unref).  Without it, the import is a borrow: the
	 * library uses the object and its descriptor but never destroys or
	 * closes them.
	 */
	NIO_IMPORT_OWN = 1 << 0,
};

struct nio_import_opts {
	size_t sz;
	/* What the object was built on, as in nio_object_info.parent_id. */
	uint32_t parent_id;
	/* Device a HWPT, vIOMMU or vDEVICE was created for. */
	uint32_t dev_id;
	/*
	 * vEVENTQ: its type (enum nio_veventq_type, needed to read it);
	 * vIOMMU, HW queue: its type; HWPT: its allocation flags.
	 */
	uint32_t type_param;
	/* Fault queue a HWPT reports to, else 0. */
	uint32_t fault_id;
	/* vDEVICE virtual ID; vEVENTQ depth. */
	uint64_t virt_id;
};
#define nio_import_opts__last_field virt_id

/*
 * Make an object that was created outside this context (by the VMM's own
 * ioctls, or by another context on the same iommufd) usable by every
 * library call: a device by dev_id with its VFIO cdev descriptor, a
 * vEVENTQ or fault queue by ID with its descriptor, an IOAS, HWPT,
 * vIOMMU, vDEVICE or HW queue by ID (fd -1).  flags: NIO_IMPORT_OWN or 0
 * (borrow).  opts may be NULL (a vEVENTQ needs opts->type_param).
 *
 * Checked: the ID is not already in the context (-EEXIST); a device's
 * descriptor is a VFIO device (-ENOTTY) and dev_id a device bound to this
 * iommufd (-ENOENT); an IOAS ID is an IOAS (-ENOENT); queue descriptors
 * are open (-EBADF); objects without a descriptor get none (-EINVAL).
 * iommufd has no query for the type of a HWPT, vIOMMU, vDEVICE or HW
 * queue ID: a wrong one fails at its first use with the kernel's errno.
 * On failure nothing is taken, whatever the flags.  Since 0.2.
 */
NIO_API int nio_object_import(struct nio_ctx *ctx, enum nio_object_type type,
			      uint32_t id, int fd, unsigned int flags,
			      const struct nio_import_opts *opts);

/*
 * Drop an object from the context without destroying it or closing its
 * descriptor: it is the caller's again.  If the context owned a
 * descriptor (NIO_OWN_FD), it is handed over in *fd (then fd must not be
 * NULL: -EINVAL); otherwise *fd (when fd is not NULL) is set to -1.
 * A device's vDEVICE stays in the context.  Since 0.2.
 */
NIO_API int nio_object_forget(struct nio_ctx *ctx, uint32_t id, int *fd);

/* ------------------------------------------------------------------ */
/* IOAS                                                                */

struct nio_iova_range {
	uint64_t start;
	uint64_t last; /* inclusive */
};

enum nio_map_flags {
	NIO_MAP_FIXED_IOVA = 1 << 0, /* *iova is the input */
	NIO_MAP_WRITE = 1 << 1,
	NIO_MAP_READ = 1 << 2,
};

NIO_API int nio_ioas_alloc(struct nio_ctx *ctx, uint32_t *ioas_id);
NIO_API int nio_ioas_map(struct nio_ctx *ctx, uint32_t ioas_id,
			 const void *va, uint64_t length, uint64_t *iova,
			 uint32_t flags);
/* Map from a memfd (or, since Linux 6.19, a VFIO dma-buf). */
NIO_API int nio_ioas_map_file(struct nio_ctx *ctx, uint32_t ioas_id, int fd,
			      uint64_t start, uint64_t length, uint64_t *iova,
			      uint32_t flags);
/* Unmap whole mappings inside [iova, iova+length); *unmapped may be NULL. */
NIO_API int nio_ioas_unmap(struct nio_ctx *ctx, uint32_t ioas_id,
			   uint64_t iova, uint64_t length, uint64_t *unmapped);
NIO_API int nio_ioas_unmap_all(struct nio_ctx *ctx, uint32_t ioas_id,
			       uint64_t *unmapped);
NIO_API int nio_ioas_copy(struct nio_ctx *ctx, uint32_t dst_ioas_id,
			  uint32_t src_ioas_id, uint64_t src_iova,
			  uint64_t length, uint64_t *dst_iova, uint32_t flags);
/*
 * Usable IOVA ranges.  *num is the capacity of ranges on input and the
 * number of ranges on output; when too small, returns -EMSGSIZE with *num
 * set to the count needed.  alignment may be NULL.
 */
NIO_API int nio_ioas_iova_ranges(struct nio_ctx *ctx, uint32_t ioas_id,
				 struct nio_iova_range *ranges, uint32_t *num,
				 uint64_t *alignment);
NIO_API int nio_ioas_allow_iovas(struct nio_ctx *ctx, uint32_t ioas_id,
				 const struct nio_iova_range *ranges,
				 uint32_t num);
/* Move pinned-page accounting of every IOAS to the calling process. */
NIO_API int nio_ioas_change_process(struct nio_ctx *ctx);
/* Physical address behind an IOVA (no-IOMMU mode only, Linux 7.3). */
NIO_API int nio_ioas_get_pa(struct nio_ctx *ctx, uint32_t ioas_id,
			    uint64_t iova, uint64_t *length, uint64_t *phys);

enum nio_vfio_ioas_op {
	NIO_VFIO_IOAS_GET = 0,
	NIO_VFIO_IOAS_SET = 1,
	NIO_VFIO_IOAS_CLEAR = 2,
};
/* The IOAS used by the VFIO container compatibility layer. */
NIO_API int nio_vfio_ioas(struct nio_ctx *ctx, enum nio_vfio_ioas_op op,
			  uint32_t *ioas_id);

enum nio_option {
	NIO_OPTION_RLIMIT_MODE = 0, /* global: 0 per-user, 1 per-process */
	NIO_OPTION_HUGE_PAGES = 1,  /* per IOAS: 1 allow (default), 0 deny */
};
NIO_API int nio_option_get(struct nio_ctx *ctx, enum nio_option option,
			   uint32_t object_id, uint64_t *val);
NIO_API int nio_option_set(struct nio_ctx *ctx, enum nio_option option,
			   uint32_t object_id, uint64_t val);

/* ------------------------------------------------------------------ */
/* Devices (VFIO cdev)                                                 */

/*
 * Find the VFIO cdev of a device given as a sysfs path
 * ("/sys/bus/pci/devices/0000:00:03.0", or any device directory) or a PCI
 * address ("0000:00:03.0" or "00:03.0").  Writes "/dev/vfio/devices/vfioN".
 */
NIO_API int nio_device_find_cdev(const char *device, char *cdev,
				 size_t cdev_len);
/* Group number from the device's iommu_group link. */
NIO_API int nio_device_iommu_group(const char *device, int *group);

enum nio_resv_type {
	NIO_RESV_DIRECT,
	NIO_RESV_DIRECT_RELAXABLE,
	NIO_RESV_RESERVED,
	NIO_RESV_MSI,
	NIO_RESV_SW_MSI,
	NIO_RESV_UNKNOWN,
};
struct nio_resv_region {
	uint64_t start;
	uint64_t last; /* inclusive */
	enum nio_resv_type type;
};
/*
 * The ARM SMMU drivers' fixed SW_MSI window (MSI_IOVA_BASE and
 * MSI_IOVA_LENGTH of arm-smmu-v3 and arm-smmu; the kernel has no option
 * to move it).  sysfs prints "msi" for it and for hardware MSI ranges
 * alike: nio_resv_is_arm_sw_msi() tells it apart by its range, as
 * nio_device_guest_layout() and nestctl do.  Since 0.3 (constants and an
 * inline function: no symbols).
 */
#define NIO_ARM_SW_MSI_BASE 0x8000000ULL
#define NIO_ARM_SW_MSI_SIZE 0x100000ULL
static inline bool nio_resv_is_arm_sw_msi(const struct nio_resv_region *r)
{
	return r->type == NIO_RESV_MSI && r->start == NIO_ARM_SW_MSI_BASE &&
	       r->last == NIO_ARM_SW_MSI_BASE + NIO_ARM_SW_MSI_SIZE - 1;
}
/*
 * The reserved regions of the device's IOMMU group.  *num is capacity in,
 * count out (-EMSGSIZE with the count needed when too small).
 */
NIO_API int nio_device_reserved_regions(const char *device,
					struct nio_resv_region *regions,
					uint32_t *num);
NIO_API const char *nio_resv_type_name(enum nio_resv_type type);

/*
 * The same lookups in the sysfs tree at sysfs_root instead of /sys (NULL
 * or "" means /sys): a captured tree in tests, or sysfs mounted elsewhere.
 * A device is named as for nio_device_find_cdev(), also by a cdev path
 * ("/dev/vfio/devices/vfioN", found as class/vfio-dev/vfioN under the
 * root) or by the name of a device with a vfio-dev cdev on any bus; an
 * absolute device path is used as it is (give one under the root).
 * Errors as for the functions without _at: -ENOENT no such device under
 * the root, -ENODEV no vfio-dev cdev or no IOMMU group, -EINVAL a
 * relative path, -ENAMETOOLONG, -EMSGSIZE.  Since 0.3.
 */
NIO_API int nio_device_find_cdev_at(const char *sysfs_root, const char *device,
				    char *cdev, size_t cdev_len);
NIO_API int nio_device_iommu_group_at(const char *sysfs_root,
				      const char *device, int *group);
NIO_API int nio_device_reserved_regions_at(const char *sysfs_root,
					   const char *device,
					   struct nio_resv_region *regions,
					   uint32_t *num);
/*
 * The reserved regions of IOMMU group number group (>= 0), read from
 * <sysfs_root>/kernel/iommu_groups/<group>/reserved_regions; *num as
 * above; lines that are not "START LAST TYPE" are skipped, an unknown
 * type is NIO_RESV_UNKNOWN.  -ENOENT when there is no such group.
 * Since 0.3.
 */
NIO_API int nio_group_reserved_regions(const char *sysfs_root, int group,
				       struct nio_resv_region *regions,
				       uint32_t *num);

/*
 * Guest layout advice (Since 0.3): what a VMM must tell the guest about
 * the device's host reserved regions, given the guest's memory map.
 * See nio_guest_layout(3).
 */
enum nio_guest_kind {
	NIO_GUEST_RAM,
	NIO_GUEST_DEVICE,
	NIO_GUEST_ITS,    /* GICv3 ITS frame: the MSI doorbell is base + 0x10040 */
	NIO_GUEST_GICV2M, /* GICv2m frame: the MSI doorbell is base + 0x40 */
};
struct nio_guest_region {
	char name[32];
	uint64_t start;
	uint64_t size;
	enum nio_guest_kind kind;
};

/* virtio-iommu VIRTIO_IOMMU_RESV_MEM_T_* subtypes of a PROBE property */
enum nio_resv_mem_subtype {
	NIO_RESV_MEM_RESERVED = 0,
	NIO_RESV_MEM_MSI = 1,
};

struct nio_guest_layout_opts {
	size_t sz;
	/*
	 * Guest memory map: "virt" (the default: QEMU's arm virt machine) or
	 * the path of a JSON layout file (nio_guest_layout(3) describes it).
	 */
	const char *layout;
	/* The layout file's text instead of its path (layout names it then). */
	const char *layout_json;
	/* RAM size for the "virt" layout; 0: QEMU's default, 128 MiB. */
	uint64_t ram_size;
	/*
	 * Host reserved regions to use instead of the device's IOMMU group
	 * (device may then be NULL); entries of type NIO_RESV_SW_MSI are the
	 * software MSI window.
	 */
	const struct nio_resv_region *host;
	uint32_t num_host;
	/* StreamID of the device in the guest, for the IORT RMR nodes. */
	uint32_t sid;
	/*
	 * Evaluate as if the SW_MSI window were here instead (what
	 * "nestctl msi set" would make it); msi_size 0: as found.
	 */
	uint64_t msi_start;
	uint64_t msi_size;
	/* Directory that stands for /sys (NULL: "/sys"). */
	const char *sysfs_root;
};
#define nio_guest_layout_opts__last_field sysfs_root

struct nio_guest_rmr {       /* an IORT RMR node: identity-mapped range */
	uint32_t sid;
	uint64_t start;
	uint64_t size;
	enum nio_resv_type source; /* the host region it comes from */
};
struct nio_guest_resv_mem {  /* a virtio-iommu RESV_MEM probe property */
	enum nio_resv_mem_subtype subtype;
	uint64_t start;
	uint64_t end; /* inclusive, as the property */
};
struct nio_guest_collision { /* a host reserved range inside a guest region */
	struct nio_resv_region host;
	struct nio_guest_region guest;
	uint64_t start; /* the overlap */
	uint64_t last;
};

struct nio_guest_layout {
	char layout[64];     /* "virt" or the layout's "name" */
	char iommu[64];      /* the device's IOMMU ("" if unknown) */
	int instance;        /* nestiommu.ko instance, -1 if another IOMMU */
	struct nio_resv_region *host;
	uint32_t num_host;
	struct nio_guest_region *guest;
	uint32_t num_guest;
	struct nio_guest_rmr *rmr;
	uint32_t num_rmr;
	struct nio_guest_resv_mem *resv_mem;
	uint32_t num_resv_mem;
	struct nio_guest_collision *collisions;
	uint32_t num_collisions;
	bool has_msi_gpa;    /* QEMU's msi-gpa: the guest's ITS/GICv2m doorbell */
	uint64_t msi_gpa;
	bool has_msi_window; /* the SW_MSI window evaluated */
	uint64_t msi_start;
	uint64_t msi_size;
	bool msi_window_clean; /* it overlaps no guest region */
	bool has_advice;       /* a window of msi_size that avoids everything */
	uint64_t advice_start;
};

/*
 * Compute the advice for a device (as nio_device_reserved_regions() takes
 * it, or NULL with opts->host).  *layout is allocated; free it with
 * nio_guest_layout_free().  -EINVAL names the bad field or region of a
 * layout file in nio_ctx_last_error(NULL).
 */
NIO_API int nio_device_guest_layout(const char *device,
				    const struct nio_guest_layout_opts *opts,
				    struct nio_guest_layout **layout);
NIO_API void nio_guest_layout_free(struct nio_guest_layout *layout);
/* "ram", "device", "its", "gicv2m"; NULL if out of range. */
NIO_API const char *nio_guest_kind_name(enum nio_guest_kind kind);

enum nio_bind_flags {
	/*
	 * cdev_fd stays the caller's (since 0.2): the library binds and uses
	 * it but never closes it, so the VMM keeps it for regions and IRQs.
	 * The device is then unbound by the caller closing it.
	 */
	NIO_BIND_BORROW_FD = 1 << 0,
};

struct nio_bind_opts {
	size_t sz;
	/*
	 * Already open cdev descriptor to use (> 0; 0 or -1: the library
	 * opens the device).  The context takes it unless NIO_BIND_BORROW_FD.
	 */
	int cdev_fd;
	/* 16-byte VF token (VFIO_DEVICE_BIND_FLAG_TOKEN), or NULL. */
	const uint8_t *token_uuid;
	/* enum nio_bind_flags (since 0.2). */
	uint32_t flags;
};
#define nio_bind_opts__last_field flags

/*
 * Open the device's cdev (device as for nio_device_find_cdev(), or a
 * /dev/vfio/devices/vfioN path) and bind it to the context.  The cdev
 * descriptor belongs to the context (unless opts->cdev_fd was passed with
 * NIO_BIND_BORROW_FD); nio_destroy(dev_id) unbinds.  On failure a
 * descriptor the library opened is closed and one passed in is left open.
 */
NIO_API int nio_device_bind(struct nio_ctx *ctx, const char *device,
			    const struct nio_bind_opts *opts, uint32_t *dev_id);
/* The device's cdev descriptor (still owned as nio_object_info.own says). */
NIO_API int nio_device_fd(struct nio_ctx *ctx, uint32_t dev_id);
/*
 * Attach to an IOAS or HWPT (an IOAS gets an automatic paging HWPT whose
 * ID goes to *out_hwpt_id, which may be NULL).  Attaching again replaces.
 */
NIO_API int nio_device_attach(struct nio_ctx *ctx, uint32_t dev_id,
			      uint32_t pt_id, uint32_t *out_hwpt_id);
NIO_API int nio_device_replace(struct nio_ctx *ctx, uint32_t dev_id,
			       uint32_t pt_id, uint32_t *out_hwpt_id);
NIO_API int nio_device_detach(struct nio_ctx *ctx, uint32_t dev_id);
NIO_API int nio_device_pasid_attach(struct nio_ctx *ctx, uint32_t dev_id,
				    uint32_t pasid, uint32_t pt_id,
				    uint32_t *out_hwpt_id);
NIO_API int nio_device_pasid_detach(struct nio_ctx *ctx, uint32_t dev_id,
				    uint32_t pasid);

struct nio_device_info {
	size_t sz;
	uint32_t flags; /* VFIO_DEVICE_FLAGS_* */
	uint32_t num_regions;
	uint32_t num_irqs;
};
#define nio_device_info__last_field num_irqs
NIO_API int nio_device_info(struct nio_ctx *ctx, uint32_t dev_id,
			    struct nio_device_info *info);

/* ------------------------------------------------------------------ */
/* hw_info                                                             */

enum nio_hw_info_type {
	NIO_HW_INFO_DEFAULT = 0,
	NIO_HW_INFO_INTEL_VTD = 1,
	NIO_HW_INFO_ARM_SMMUV3 = 2,
	NIO_HW_INFO_TEGRA241_CMDQV = 3,
	NIO_HW_INFO_AMD = 4,
	NIO_HW_INFO_SELFTEST = 0xfeedbeef,
};

enum nio_hw_cap {
	NIO_HW_CAP_DIRTY_TRACKING = 1 << 0,
	NIO_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	NIO_HW_CAP_PCI_PASID_PRIV = 1 << 2,
	NIO_HW_CAP_PCI_ATS_NOT_SUPPORTED = 1 << 3,
};

#define NIO_HW_INFO_DATA_MAX 128

struct nio_hw_info {
	size_t sz;
	/* In: requested type (DEFAULT = the driver's own). Out: its type. */
	uint32_t type;
	uint8_t max_pasid_log2;
	uint64_t capabilities;
	uint32_t data_len;
	/* Raw driver data, e.g. struct iommu_hw_info_arm_smmuv3 (LE). */
	uint8_t data[NIO_HW_INFO_DATA_MAX] __attribute__((aligned(8)));
};
#define nio_hw_info__last_field data

NIO_API int nio_hw_info(struct nio_ctx *ctx, uint32_t dev_id,
			struct nio_hw_info *info);
NIO_API const char *nio_hw_info_type_name(uint32_t type);
/* "dirty-tracking", ... for one capability bit, or NULL. */
NIO_API const char *nio_hw_cap_name(uint64_t cap_bit);

/* ------------------------------------------------------------------ */
/* HW page tables                                                      */

enum nio_hwpt_flags {
	NIO_HWPT_NEST_PARENT = 1 << 0,
	NIO_HWPT_DIRTY_TRACKING = 1 << 1,
	NIO_HWPT_FAULT_ID_VALID = 1 << 2,
	NIO_HWPT_PASID = 1 << 3,
};

enum nio_hwpt_data_type {
	NIO_HWPT_DATA_NONE = 0,
	NIO_HWPT_DATA_VTD_S1 = 1,
	NIO_HWPT_DATA_ARM_SMMUV3 = 2,
	NIO_HWPT_DATA_AMD_GUEST = 3,
	NIO_HWPT_DATA_SELFTEST = 0xdead,
};

struct nio_hwpt_alloc_opts {
	size_t sz;
	uint32_t flags; /* enum nio_hwpt_flags */
	uint32_t fault_id; /* with NIO_HWPT_FAULT_ID_VALID */
	uint32_t data_type; /* enum nio_hwpt_data_type */
	uint32_t data_len;
	const void *data; /* driver data: vSTE, VT-d stage 1, ... */
};
#define nio_hwpt_alloc_opts__last_field data

/*
 * Allocate a HWPT for dev_id on pt_id: an IOAS gives a paging HWPT
 * (NIO_HWPT_NEST_PARENT for a stage 2), a nest-parent HWPT or a vIOMMU
 * gives a nested HWPT described by opts->data.
 */
NIO_API int nio_hwpt_alloc(struct nio_ctx *ctx, uint32_t dev_id,
			   uint32_t pt_id,
			   const struct nio_hwpt_alloc_opts *opts,
			   uint32_t *hwpt_id);
/* Shorthands for the two allocations every nesting VMM makes. */
NIO_API int nio_hwpt_alloc_nest_parent(struct nio_ctx *ctx, uint32_t dev_id,
				       uint32_t ioas_id, uint32_t *hwpt_id);
NIO_API int nio_hwpt_alloc_smmuv3_nested(struct nio_ctx *ctx,
					 uint32_t dev_id, uint32_t viommu_id,
					 const uint64_t ste[2],
					 uint32_t *hwpt_id);

NIO_API int nio_hwpt_set_dirty_tracking(struct nio_ctx *ctx, uint32_t hwpt_id,
					bool enable);
enum nio_dirty_flags {
	NIO_DIRTY_NO_CLEAR = 1 << 0,
};
/*
 * Read (and clear unless NIO_DIRTY_NO_CLEAR) the dirty bits of
 * [iova, iova+length) into bitmap, one bit per page_size page.
 */
NIO_API int nio_hwpt_get_dirty_bitmap(struct nio_ctx *ctx, uint32_t hwpt_id,
				      uint64_t iova, uint64_t length,
				      uint64_t page_size, uint64_t *bitmap,
				      uint32_t flags);

enum nio_invalidate_data_type {
	NIO_INVALIDATE_VTD_S1 = 0,
	NIO_INVALIDATE_ARM_SMMUV3 = 1,
	NIO_INVALIDATE_SELFTEST = 0xdeadbeef,
};

/*
 * Invalidate caches with an array of entry_len-byte entries, on a nested
 * HWPT or a vIOMMU.  The library issues as few ioctls as the kernel allows.
 * *entry_num is the number of entries on input and the number the kernel
 * processed on output, also on failure: when the call fails at entry k,
 * entries [0, k) took effect and *entry_num == k.  An empty array
 * (*entry_num == 0) is passed to the kernel as is, which some drivers
 * use to probe data_type support.
 */
NIO_API int nio_invalidate(struct nio_ctx *ctx, uint32_t id,
			   uint32_t data_type, const void *entries,
			   uint32_t entry_len, uint32_t *entry_num);

/* ------------------------------------------------------------------ */
/* vIOMMU, vDEVICE, HW queue                                           */

enum nio_viommu_type {
	NIO_VIOMMU_DEFAULT = 0,
	NIO_VIOMMU_ARM_SMMUV3 = 1,
	NIO_VIOMMU_TEGRA241_CMDQV = 2,
	NIO_VIOMMU_SELFTEST = 0xdeadbeef,
};

struct nio_viommu_alloc_opts {
	size_t sz;
	/* Driver data, in and out (the kernel may write it back). */
	void *data;
	uint32_t data_len;
};
#define nio_viommu_alloc_opts__last_field data_len

NIO_API int nio_viommu_alloc(struct nio_ctx *ctx, uint32_t dev_id,
			     uint32_t parent_hwpt_id, uint32_t type,
			     const struct nio_viommu_alloc_opts *opts,
			     uint32_t *viommu_id);
/* Bind dev_id to the vIOMMU under virt_id (the vSID on SMMUv3). */
NIO_API int nio_vdevice_alloc(struct nio_ctx *ctx, uint32_t viommu_id,
			      uint32_t dev_id, uint64_t virt_id,
			      uint32_t *vdevice_id);
NIO_API int nio_hw_queue_alloc(struct nio_ctx *ctx, uint32_t viommu_id,
			       uint32_t type, uint32_t index, uint64_t iova,
			       uint64_t length, uint32_t *hw_queue_id);

/* ------------------------------------------------------------------ */
/* vEVENTQ and fault queue                                             */

enum nio_veventq_type {
	NIO_VEVENTQ_DEFAULT = 0,
	NIO_VEVENTQ_ARM_SMMUV3 = 1,
	NIO_VEVENTQ_TEGRA241_CMDQV = 2,
	NIO_VEVENTQ_SELFTEST = 0xbeefbeef,
};

NIO_API int nio_veventq_alloc(struct nio_ctx *ctx, uint32_t viommu_id,
			      uint32_t type, uint32_t depth,
			      uint32_t *veventq_id);
/* The queue's descriptor, to poll() for readability. */
NIO_API int nio_veventq_fd(struct nio_ctx *ctx, uint32_t veventq_id);

#define NIO_VEVENT_DATA_MAX 64

enum nio_vevent_flags {
	/* The kernel dropped events here (queue full): no payload. */
	NIO_VEVENT_LOST_EVENTS = 1 << 0,
};

struct nio_vevent {
	uint32_t flags; /* enum nio_vevent_flags */
	uint32_t sequence;
	/*
	 * Sequence numbers missing between the previous record read from
	 * this queue and this one (0 when contiguous).
	 */
	uint32_t gap;
	uint32_t data_len;
	uint8_t data[NIO_VEVENT_DATA_MAX] __attribute__((aligned(8)));
};

/*
 * Read up to max records without blocking; returns the number read (0 when
 * the queue is empty; poll nio_veventq_fd() to wait).  Sequence numbers are
 * checked across calls (the context keeps them per queue); gaps are
 * reported in each record's gap field.  Copies every record into events:
 * nio_veventq_read_buf() reads in place.
 */
NIO_API int nio_veventq_read(struct nio_ctx *ctx, uint32_t veventq_id,
			     struct nio_vevent *events, unsigned int max);

/*
 * Reading without allocation or copies (since 0.2, NESTIOMMU_0.2): the
 * caller owns a buffer and a cursor; nio_veventq_read_buf() fills the
 * buffer with one read() of whole records and points the cursor at them;
 * nio_vevent_next() walks them in place.  The cursor keeps the expected
 * sequence number across reads, so gaps (records the kernel dropped or
 * another reader took) and the kernel's LOST_EVENTS markers are reported
 * per record.  Zero the cursor once per queue (NIO_VEVENT_CURSOR_INIT) and
 * keep it: one cursor per reader.  The library keeps no state for it and
 * takes the context lock once per read.
 */
struct nio_vevent_cursor {
	uint32_t next_seq;	/* sequence expected next (when seq_valid) */
	uint32_t seq_valid;	/* a record was walked already */
	uint32_t payload_len;	/* bytes after each header (the queue's type) */
	uint32_t __reserved;
	const uint8_t *pos;	/* next record in the buffer */
	const uint8_t *end;	/* end of the bytes read */
};
#define NIO_VEVENT_CURSOR_INIT { 0 }

/* One record, in place in the caller's buffer. */
struct nio_vevent_rec {
	uint32_t flags;		/* enum nio_vevent_flags */
	uint32_t sequence;
	/* Sequence numbers missing before this record (0: contiguous). */
	uint32_t gap;
	uint32_t data_len;	/* 0 for a LOST_EVENTS marker */
	const void *data;	/* the payload, inside the caller's buffer */
};

/*
 * Fill buf (len bytes: room for at least one whole record) without
 * blocking and set the cursor to walk it.  Returns the bytes read, 0 when
 * the queue is empty (poll nio_veventq_fd() to wait), or a negative errno
 * (-EINVAL for a buffer too small for one record).  The records are the
 * kernel's: struct iommufd_vevent_header then the payload of the queue's
 * type (NIO_SMMUV3_EVENT_SIZE bytes for an SMMUv3 queue).
 */
NIO_API int nio_veventq_read_buf(struct nio_ctx *ctx, uint32_t veventq_id,
				 void *buf, size_t len,
				 struct nio_vevent_cursor *cur);
/*
 * The next record of the last read: 1 with *rec filled, 0 when all were
 * walked, -EPROTO (errno set) for a truncated record.  No context needed.
 */
NIO_API int nio_vevent_next(struct nio_vevent_cursor *cur,
			    struct nio_vevent_rec *rec);

NIO_API int nio_fault_alloc(struct nio_ctx *ctx, uint32_t *fault_id,
			    int *fault_fd);

enum nio_fault_flags {
	NIO_FAULT_PASID_VALID = 1 << 0,
	NIO_FAULT_LAST_PAGE = 1 << 1,
};
enum nio_fault_perm {
	NIO_FAULT_PERM_READ = 1 << 0,
	NIO_FAULT_PERM_WRITE = 1 << 1,
	NIO_FAULT_PERM_EXEC = 1 << 2,
	NIO_FAULT_PERM_PRIV = 1 << 3,
};
struct nio_fault {
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pasid;
	uint32_t grpid;
	uint32_t perm;
	uint32_t __reserved;
	uint64_t addr;
	uint32_t length;
	uint32_t cookie;
};
/* Non-blocking read of page fault records; returns the count. */
NIO_API int nio_fault_read(struct nio_ctx *ctx, uint32_t fault_id,
			   struct nio_fault *faults, unsigned int max);
enum nio_fault_code {
	NIO_FAULT_RESP_SUCCESS = 0,
	NIO_FAULT_RESP_INVALID = 1,
};
NIO_API int nio_fault_respond(struct nio_ctx *ctx, uint32_t fault_id,
			      uint32_t cookie, enum nio_fault_code code);

#ifdef __cplusplus
}
#endif

#endif
