/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * niot.h: raw iommufd/VFIO-cdev helpers shared by the arm64 tier's test
 * programs (nested-smoke.c, conform.c). Raw ioctls on purpose: the verdicts
 * (return code, errno, entry_num) must be the kernel's own, with nothing in
 * between, so that the upstream arm-smmu-v3 driver and nestiommu.ko can be
 * compared. Built against the testbed kernel's installed uAPI headers
 * (<builddir>/usr/include), statically, for arm64 or x86_64.
 */
#ifndef NIOT_H
#define NIOT_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

/* ---- SMMUv3 encodings (SMMUv3 spec 5.2 STE, 4.x commands) ---- */
#define BIT64(n)		(1ULL << (n))
#define GENMASK64(h, l)		(((~0ULL) << (l)) & (~0ULL >> (63 - (h))))
#define FPREP(mask, v)		(((uint64_t)(v) << __builtin_ctzll(mask)) & (mask))

#define STE0_V			BIT64(0)
#define STE0_CFG		GENMASK64(3, 1)
#define STE0_CFG_ABORT		0
#define STE0_CFG_BYPASS		4
#define STE0_CFG_S1_TRANS	5
#define STE0_CFG_S2_TRANS	6
#define STE0_CFG_NESTED		7
#define STE0_S1FMT		GENMASK64(5, 4)
#define STE0_S1CTXPTR		GENMASK64(51, 6)
#define STE0_S1CDMAX		GENMASK64(63, 59)
#define STE1_S1DSS		GENMASK64(1, 0)
#define STE1_S1CIR		GENMASK64(3, 2)
#define STE1_S1COR		GENMASK64(5, 4)
#define STE1_S1CSH		GENMASK64(7, 6)
#define STE1_MEV		BIT64(19)
#define STE1_S2FWB		BIT64(25)
#define STE1_S1STALLD		BIT64(27)
#define STE1_EATS		GENMASK64(29, 28)
#define STE1_STRW		GENMASK64(31, 30)
#define STE1_SHCFG		GENMASK64(45, 44)

#define STE_V_CFG(cfg)		(STE0_V | FPREP(STE0_CFG, (cfg)))

#define CMD0_OP			GENMASK64(7, 0)
#define CMD0_SSV		BIT64(11)
#define CMD_OP_PREFETCH_CFG	0x01
#define CMD_OP_CFGI_STE		0x03
#define CMD_OP_CFGI_ALL		0x04
#define CMD_OP_CFGI_CD		0x05
#define CMD_OP_CFGI_CD_ALL	0x06
#define CMD_OP_TLBI_NH_ALL	0x10
#define CMD_OP_TLBI_NH_ASID	0x11
#define CMD_OP_TLBI_NH_VA	0x12
#define CMD_OP_TLBI_NH_VAA	0x13
#define CMD_OP_TLBI_EL2_ALL	0x20
#define CMD_OP_TLBI_EL2_ASID	0x21
#define CMD_OP_TLBI_EL2_VA	0x22
#define CMD_OP_TLBI_S12_VMALL	0x28
#define CMD_OP_TLBI_S2_IPA	0x2a
#define CMD_OP_TLBI_NSNH_ALL	0x30
#define CMD_OP_ATC_INV		0x40
#define CMD_OP_PRI_RESP		0x41
#define CMD_OP_RESUME		0x44
#define CMD_OP_CMD_SYNC		0x46
#define CMD_CFGI0_SSID		GENMASK64(31, 12)
#define CMD_CFGI0_SID		GENMASK64(63, 32)
#define CMD_CFGI1_LEAF		BIT64(0)
#define CMD_TLBI0_NUM		GENMASK64(16, 12)
#define CMD_TLBI0_SCALE		GENMASK64(25, 20)
#define CMD_TLBI0_VMID		GENMASK64(47, 32)
#define CMD_TLBI0_ASID		GENMASK64(63, 48)
#define CMD_TLBI1_LEAF		BIT64(0)
#define CMD_TLBI1_TTL		GENMASK64(9, 8)
#define CMD_TLBI1_TG		GENMASK64(11, 10)
#define CMD_TLBI1_ADDR		GENMASK64(63, 12)
#define CMD_ATC0_GLOBAL		BIT64(9)
#define CMD_ATC0_SSID		GENMASK64(31, 12)
#define CMD_ATC0_SID		GENMASK64(63, 32)
#define CMD_ATC1_SIZE		GENMASK64(5, 0)
#define CMD_ATC1_ADDR		GENMASK64(63, 12)

/* IDR fields used for the feature line */
#define IDR0_S2P		BIT64(0)
#define IDR0_S1P		BIT64(1)
#define IDR0_TTF		GENMASK64(3, 2)
#define IDR0_COHACC		BIT64(4)
#define IDR0_ATS		BIT64(10)
#define IDR0_ASID16		BIT64(12)
#define IDR0_MSI		BIT64(13)
#define IDR0_VMID16		BIT64(18)
#define IDR0_CD2L		BIT64(19)
#define IDR0_ST_LVL		GENMASK64(28, 27)
#define IDR1_SIDSIZE		GENMASK64(5, 0)
#define IDR1_SSIDSIZE		GENMASK64(10, 6)
#define IDR3_FWB		BIT64(8)
#define IDR3_RIL		BIT64(10)
#define IDR3_BBML		GENMASK64(12, 11)
#define IDR5_OAS		GENMASK64(2, 0)
#define IDR5_GRAN4K		BIT64(4)
#define IDR5_GRAN16K		BIT64(5)
#define IDR5_GRAN64K		BIT64(6)
#define IDR5_DS			BIT64(7)
#define IDR5_VAX		GENMASK64(11, 10)
#define FGET(mask, v)		(((uint64_t)(v) & (mask)) >> __builtin_ctzll(mask))

/* ---- the fixture: one iommufd context, one bound VFIO cdev ---- */
#define NIOT_IOVA	0x40000000ULL	/* 1 GiB: clear of the SW_MSI window (0x8000000) and PCI windows */
#define NIOT_LEN	0x200000ULL	/* 2 MiB of anonymous memory */
#define NIOT_CD_IOVA	(NIOT_IOVA + 0x1000)	/* where a vSTE's S1ContextPtr points */
#define NIOT_VSID	0x42		/* the vDEVICE's virtual StreamID */
#define NIOT_VSID_BAD	0x43		/* a vSID with no vDEVICE */

enum niot_level {
	NIOT_BOUND,	/* iommufd + cdev bound */
	NIOT_IOAS,	/* + IOAS with NIOT_LEN mapped at NIOT_IOVA */
	NIOT_S2,	/* + NEST_PARENT HWPT, device attached to it */
	NIOT_VIOMMU,	/* + vIOMMU type ARM_SMMUV3 on the S2 */
	NIOT_VDEV,	/* + vDEVICE with vSID NIOT_VSID */
};

struct niot {
	int iommufd, devfd;
	uint32_t dev_id, ioas_id, s2_id, viommu_id, vdev_id;
	void *mem;
	char failed[160];	/* which fixture step failed, with errno */
};

static const char *niot_cdev_path(void)
{
	const char *p = getenv("NESTIOMMU_VFIO_CDEV");
	return p && *p ? p : "/dev/vfio/devices/vfio0";
}

/* errno as its name ("EIO"), "ok" for 0 */
static inline const char *niot_ename(int e)
{
	const char *n;

	if (!e)
		return "ok";
	n = strerrorname_np(e);
	return n ? n : "E?";
}

/* an ioctl whose verdict is 0 or the errno */
static inline int niot_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? errno : 0;
}

static inline int niot_destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };
	return niot_ioctl(fd, IOMMU_DESTROY, &d);
}

static inline int niot_attach(struct niot *t, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = pt_id };
	return niot_ioctl(t->devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
}

static inline int niot_detach(struct niot *t)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };
	return niot_ioctl(t->devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

static inline int niot_hwpt_alloc(struct niot *t, uint32_t flags, uint32_t pt_id,
				  uint32_t data_type, const void *data, uint32_t len,
				  uint32_t *out)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .flags = flags, .dev_id = t->dev_id,
		.pt_id = pt_id, .data_type = data_type, .data_len = len,
		.data_uptr = (uintptr_t)data,
	};
	int e = niot_ioctl(t->iommufd, IOMMU_HWPT_ALLOC, &a);
	if (!e && out)
		*out = a.out_hwpt_id;
	return e;
}

/* a nested HWPT on the vIOMMU from a vSTE */
static inline int niot_nested(struct niot *t, uint64_t ste0, uint64_t ste1, uint32_t *out)
{
	struct iommu_hwpt_arm_smmuv3 s = { .ste = { ste0, ste1 } };
	return niot_hwpt_alloc(t, 0, t->viommu_id, IOMMU_HWPT_DATA_ARM_SMMUV3,
			       &s, sizeof(s), out);
}

static inline int niot_viommu(struct niot *t, uint32_t type, uint32_t hwpt, uint32_t *out)
{
	struct iommu_viommu_alloc a = {
		.size = sizeof(a), .type = type, .dev_id = t->dev_id, .hwpt_id = hwpt,
	};
	int e = niot_ioctl(t->iommufd, IOMMU_VIOMMU_ALLOC, &a);
	if (!e && out)
		*out = a.out_viommu_id;
	return e;
}

static inline int niot_vdevice(struct niot *t, uint32_t viommu, uint64_t vsid, uint32_t *out)
{
	struct iommu_vdevice_alloc a = {
		.size = sizeof(a), .viommu_id = viommu, .dev_id = t->dev_id, .virt_id = vsid,
	};
	int e = niot_ioctl(t->iommufd, IOMMU_VDEVICE_ALLOC, &a);
	if (!e && out)
		*out = a.out_vdevice_id;
	return e;
}

static inline int niot_veventq(struct niot *t, uint32_t viommu, uint32_t type,
			       uint32_t depth, uint32_t *out_id, int *out_fd)
{
	struct iommu_veventq_alloc a = {
		.size = sizeof(a), .viommu_id = viommu, .type = type, .veventq_depth = depth,
	};
	int e = niot_ioctl(t->iommufd, IOMMU_VEVENTQ_ALLOC, &a);
	if (!e) {
		if (out_id)
			*out_id = a.out_veventq_id;
		if (out_fd)
			*out_fd = (int)a.out_veventq_fd;
		else
			close((int)a.out_veventq_fd);
	}
	return e;
}

/* invalidation array; *entry_num in: count, out: what the kernel reports */
static inline int niot_invalidate(struct niot *t, uint32_t id, uint32_t data_type,
				  const void *data, uint32_t entry_len, uint32_t *entry_num)
{
	struct iommu_hwpt_invalidate a = {
		.size = sizeof(a), .hwpt_id = id, .data_uptr = (uintptr_t)data,
		.data_type = data_type, .entry_len = entry_len, .entry_num = *entry_num,
	};
	int e = niot_ioctl(t->iommufd, IOMMU_HWPT_INVALIDATE, &a);
	*entry_num = a.entry_num;
	return e;
}

static inline int niot_fail(struct niot *t, const char *step, int e)
{
	snprintf(t->failed, sizeof(t->failed), "%s: %s (%s)", step, niot_ename(e), strerror(e));
	return e ? e : EINVAL;
}

static inline void niot_close(struct niot *t)
{
	if (t->devfd >= 0)
		close(t->devfd);
	if (t->iommufd >= 0)
		close(t->iommufd);
	if (t->mem && t->mem != MAP_FAILED)
		munmap(t->mem, NIOT_LEN);
	t->devfd = t->iommufd = -1;
	t->mem = NULL;
}

/* open the fixture up to `level`; 0 or an errno, with t->failed set */
static inline int niot_open(struct niot *t, enum niot_level level)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct iommu_ioas_map m = { .size = sizeof(m) };
	int e;

	memset(t, 0, sizeof(*t));
	t->iommufd = t->devfd = -1;
	t->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (t->iommufd < 0)
		return niot_fail(t, "open /dev/iommu", errno);
	t->devfd = open(niot_cdev_path(), O_RDWR | O_CLOEXEC);
	if (t->devfd < 0)
		return niot_fail(t, "open the VFIO cdev", errno);
	b.iommufd = t->iommufd;
	if ((e = niot_ioctl(t->devfd, VFIO_DEVICE_BIND_IOMMUFD, &b)))
		return niot_fail(t, "VFIO_DEVICE_BIND_IOMMUFD", e);
	t->dev_id = b.out_devid;
	if (level < NIOT_IOAS)
		return 0;

	if ((e = niot_ioctl(t->iommufd, IOMMU_IOAS_ALLOC, &ia)))
		return niot_fail(t, "IOMMU_IOAS_ALLOC", e);
	t->ioas_id = ia.out_ioas_id;
	t->mem = mmap(NULL, NIOT_LEN, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (t->mem == MAP_FAILED)
		return niot_fail(t, "mmap", errno);
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	m.ioas_id = t->ioas_id;
	m.user_va = (uintptr_t)t->mem;
	m.length = NIOT_LEN;
	m.iova = NIOT_IOVA;
	if ((e = niot_ioctl(t->iommufd, IOMMU_IOAS_MAP, &m)))
		return niot_fail(t, "IOMMU_IOAS_MAP", e);
	if (level < NIOT_S2)
		return 0;

	if ((e = niot_hwpt_alloc(t, IOMMU_HWPT_ALLOC_NEST_PARENT, t->ioas_id,
				 IOMMU_HWPT_DATA_NONE, NULL, 0, &t->s2_id)))
		return niot_fail(t, "IOMMU_HWPT_ALLOC(NEST_PARENT)", e);
	if ((e = niot_attach(t, t->s2_id)))
		return niot_fail(t, "VFIO_DEVICE_ATTACH_IOMMUFD_PT(S2)", e);
	if (level < NIOT_VIOMMU)
		return 0;

	if ((e = niot_viommu(t, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, t->s2_id, &t->viommu_id)))
		return niot_fail(t, "IOMMU_VIOMMU_ALLOC(ARM_SMMUV3)", e);
	if (level < NIOT_VDEV)
		return 0;

	if ((e = niot_vdevice(t, t->viommu_id, NIOT_VSID, &t->vdev_id)))
		return niot_fail(t, "IOMMU_VDEVICE_ALLOC", e);
	return 0;
}

#endif /* NIOT_H */
