/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers of the nestiommu.ko tests: raw iommufd/VFIO ioctls with the
 * testbed kernel's own uapi headers, TAP-like output.
 */
#ifndef NIO_TEST_H
#define NIO_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

static int nt_failures;
static int nt_count;

#define NT_CHECK(cond, ...)                                                   \
	do {                                                                  \
		nt_count++;                                                   \
		if (cond) {                                                   \
			printf("ok %d - ", nt_count);                         \
		} else {                                                      \
			nt_failures++;                                        \
			printf("not ok %d - %s:%d: ", nt_count, __FILE__,    \
			       __LINE__);                                     \
		}                                                             \
		printf(__VA_ARGS__);                                          \
		printf("\n");                                                 \
		fflush(stdout);                                               \
	} while (0)

/* Expect an ioctl result: 0 for success or a positive errno */
#define NT_EXPECT(err, expr, ...)                                             \
	do {                                                                  \
		int __r = (expr);                                             \
		int __e = __r < 0 ? errno : 0;                                \
		nt_count++;                                                   \
		if (__e == (err)) {                                           \
			printf("ok %d - ", nt_count);                         \
		} else {                                                      \
			nt_failures++;                                        \
			printf("not ok %d - %s:%d: got %s, want %s: ",        \
			       nt_count, __FILE__, __LINE__,                  \
			       __e ? strerror(__e) : "success",               \
			       (err) ? strerror(err) : "success");            \
		}                                                             \
		printf(__VA_ARGS__);                                          \
		printf("\n");                                                 \
		fflush(stdout);                                               \
	} while (0)

static inline void nt_die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(2);
}

static inline int nt_done(void)
{
	printf("1..%d\n# %d failure(s)\n", nt_count, nt_failures);
	return nt_failures ? 1 : 0;
}

/* /dev/vfio/devices/vfioN of endpoint "nestiommu-ep.<id>" */
static inline int nt_open_ep(unsigned int instance, unsigned int index,
			     char *name, size_t namelen)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int fd = -1;

	snprintf(path, sizeof(path),
		 "/sys/bus/platform/devices/nestiommu-ep.%u/vfio-dev",
		 instance * 256 + index);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "vfio", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/vfio/devices/%s",
			 de->d_name);
		if (name && strlen(de->d_name) < namelen)
			memcpy(name, de->d_name, strlen(de->d_name) + 1);
		fd = open(path, O_RDWR);
		break;
	}
	closedir(d);
	return fd;
}

static inline int nt_bind(int devfd, int iommufd, uint32_t *dev_id)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};
	int ret = ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind);

	if (!ret)
		*dev_id = bind.out_devid;
	return ret;
}

static inline int nt_attach(int devfd, uint32_t *pt_id)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at),
		.pt_id = *pt_id,
	};
	int ret = ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);

	if (!ret)
		*pt_id = at.pt_id;
	return ret;
}

static inline int nt_detach(int devfd)
{
	struct vfio_device_detach_iommufd_pt de = { .argsz = sizeof(de) };

	return ioctl(devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de);
}

static inline int nt_ioas_alloc(int fd, uint32_t *id)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int ret = ioctl(fd, IOMMU_IOAS_ALLOC, &a);

	if (!ret)
		*id = a.out_ioas_id;
	return ret;
}

static inline int nt_ioas_map(int fd, uint32_t ioas, void *buf, uint64_t len,
			      uint64_t iova, uint32_t flags)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = flags | IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = iova,
	};

	return ioctl(fd, IOMMU_IOAS_MAP, &m);
}

static inline int nt_ioas_unmap(int fd, uint32_t ioas, uint64_t iova,
				uint64_t len)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	return ioctl(fd, IOMMU_IOAS_UNMAP, &u);
}

static inline int nt_hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id,
				uint32_t flags, uint32_t data_type,
				void *data, uint32_t data_len, uint32_t *id)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = data_type,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
	};
	int ret = ioctl(fd, IOMMU_HWPT_ALLOC, &a);

	if (!ret && id)
		*id = a.out_hwpt_id;
	return ret;
}

static inline int nt_destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &d);
}

static inline int nt_viommu_alloc(int fd, uint32_t dev_id, uint32_t hwpt,
				  uint32_t type, uint32_t *id)
{
	struct iommu_viommu_alloc a = {
		.size = sizeof(a),
		.type = type,
		.dev_id = dev_id,
		.hwpt_id = hwpt,
	};
	int ret = ioctl(fd, IOMMU_VIOMMU_ALLOC, &a);

	if (!ret && id)
		*id = a.out_viommu_id;
	return ret;
}

static inline int nt_vdevice_alloc(int fd, uint32_t viommu, uint32_t dev_id,
				   uint64_t virt_id, uint32_t *id)
{
	struct iommu_vdevice_alloc a = {
		.size = sizeof(a),
		.viommu_id = viommu,
		.dev_id = dev_id,
		.virt_id = virt_id,
	};
	int ret = ioctl(fd, IOMMU_VDEVICE_ALLOC, &a);

	if (!ret && id)
		*id = a.out_vdevice_id;
	return ret;
}

/*
 * The VMM's half of every nested test: guest RAM mapped at IPA gpa in a new
 * IOAS, a NEST_PARENT stage 2 on it, an ARM SMMUv3 vIOMMU and a vDEVICE with
 * virtual StreamID vsid. Each step is one TAP line.
 */
static inline void nt_nest_setup(int fd, uint32_t dev_id, void *gram,
				 uint64_t size, uint64_t gpa, uint64_t vsid,
				 uint32_t *ioas, uint32_t *s2,
				 uint32_t *viommu, uint32_t *vdev)
{
	NT_EXPECT(0, nt_ioas_alloc(fd, ioas), "IOAS");
	NT_EXPECT(0, nt_ioas_map(fd, *ioas, gram, size, gpa,
				 IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE),
		  "map guest RAM at IPA 0x%llx", (unsigned long long)gpa);
	NT_EXPECT(0, nt_hwpt_alloc(fd, dev_id, *ioas,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0,
				   s2), "NEST_PARENT (stage 2)");
	NT_EXPECT(0, nt_viommu_alloc(fd, dev_id, *s2,
				     IOMMU_VIOMMU_TYPE_ARM_SMMUV3, viommu),
		  "vIOMMU");
	NT_EXPECT(0, nt_vdevice_alloc(fd, *viommu, dev_id, vsid, vdev),
		  "vDEVICE vSID 0x%llx", (unsigned long long)vsid);
}

static inline int nt_veventq_alloc(int fd, uint32_t viommu, uint32_t type,
				   uint32_t depth, uint32_t *id, int *evfd)
{
	struct iommu_veventq_alloc a = {
		.size = sizeof(a),
		.viommu_id = viommu,
		.type = type,
		.veventq_depth = depth,
	};
	int ret = ioctl(fd, IOMMU_VEVENTQ_ALLOC, &a);

	if (!ret) {
		if (id)
			*id = a.out_veventq_id;
		*evfd = a.out_veventq_fd;
	}
	return ret;
}

/* Invalidate on a vIOMMU; returns the ioctl result, *num updated */
static inline int nt_invalidate(int fd, uint32_t id, void *cmds,
				uint32_t entry_len, uint32_t *num)
{
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.hwpt_id = id,
		.data_uptr = (uintptr_t)cmds,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = entry_len,
		.entry_num = *num,
	};
	int ret = ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv);

	*num = inv.entry_num;
	return ret;
}

#endif
