// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-pci: libnestiommu against a real PCI device in a testbed VM: the
 * e1000e bound to vfio-pci by the VM's init, whose PCI address is in
 * $NESTIOMMU_VFIO_BDF (and cdev in $NESTIOMMU_VFIO_CDEV), behind either
 * IOMMU of the testbeds, told apart by the device's hw_info type:
 *   - x86_64 (tests/vm): QEMU's emulated Intel IOMMU (VT-d, legacy mode);
 *   - arm64 (tests/arm64): QEMU's emulated SMMUv3 (stage=nested) driven by
 *     the upstream arm-smmu-v3 driver.
 *
 * Found through sysfs, its IOMMU group and reserved regions read (the
 * platform's own MSI window), bound through its VFIO cdev, hw_info decoded
 * as that IOMMU's, attached to an IOAS and to a paging HWPT, DMA mapped
 * and unmapped, detached, and the nesting calls give the errno that IOMMU's
 * driver gives (VT-d in legacy mode refuses all of them; SMMUv3 builds a
 * nest parent, a vIOMMU and a nested HWPT, and refuses the rest).  Closing
 * the context, or killing a process holding the device, leaves it free to
 * bind again.  Any other IOMMU fails the platform-specific tests, naming it.
 *
 * Usage: test-pci   Output: TAP with a "# Totals:" line; exit 1 on failure.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/vfio.h>

#include <nestiommu/smmuv3.h>

#include "ktest.h"

#define PSZ 4096UL
#define MAP_RW (NIO_MAP_READ | NIO_MAP_WRITE)
#define MAP_FIXED_RW (NIO_MAP_FIXED_IOVA | MAP_RW)

/* x86 interrupt remapping window: VT-d reports it as an MSI region */
#define X86_MSI_START 0xfee00000ULL
#define X86_MSI_LAST 0xfeefffffULL
/* arm-smmu-v3's software MSI window (MSI_IOVA_BASE/LENGTH of
 * arm-smmu-v3.h), where the kernel maps the ITS doorbell itself */
#define SMMUV3_MSI_START 0x08000000ULL
#define SMMUV3_MSI_LAST 0x080fffffULL

/* VT-d capability bits (Intel VT-d spec, 11.4.3) */
#define ECAP_NEST (1ULL << 26)
#define ECAP_SMTS (1ULL << 43)
#define ECAP_SLTS (1ULL << 46)
#define ECAP_FLTS (1ULL << 47)
#define ECAP_SSADS (1ULL << 55)

/* VFIO_DEVICE_FLAGS_PCI of linux/vfio.h */
#define VFIO_FLAGS_PCI (1u << 1)

static const char *bdf, *cdev_env;
static struct nio_ctx *ctx;
static void *buf;

#define OPEN_CTX() ASSERT(nio_ctx_open(&ctx, NULL) == 0)

/*
 * The IOMMU in front of the device, from its hw_info type (read once in
 * main(), before the tests fork), and what the tests expect of it.
 */
static uint32_t plat = NIO_HW_INFO_DEFAULT;

struct platform {
	uint32_t type;
	const char *name;
	uint32_t hw_info_len;		/* driver data of hw_info */
	enum nio_resv_type msi_type;	/* its MSI region, as sysfs says */
	uint64_t msi_start, msi_last;
};

static const struct platform platforms[] = {
	/* struct iommu_hw_info_vtd: flags, reserved, cap_reg, ecap_reg */
	{ NIO_HW_INFO_INTEL_VTD, "VT-d", 24, NIO_RESV_MSI,
	  X86_MSI_START, X86_MSI_LAST },
	/* IOMMU_RESV_SW_MSI, which sysfs also calls "msi" */
	{ NIO_HW_INFO_ARM_SMMUV3, "SMMUv3", NIO_SMMUV3_HW_INFO_SIZE,
	  NIO_RESV_MSI, SMMUV3_MSI_START, SMMUV3_MSI_LAST },
};

/* The platform, or NULL after a failure naming the unknown IOMMU. */
static const struct platform *platform(void)
{
	size_t i;

	for (i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++)
		if (platforms[i].type == plat)
			return &platforms[i];
	KT_FAIL("the device sits behind an IOMMU this test does not know: hw_info type %u (%s)",
		plat, nio_hw_info_type_name(plat) ? nio_hw_info_type_name(plat) : "?");
	return NULL;
}

static int detect_platform(void)
{
	struct nio_hw_info info = { .sz = sizeof(info) };
	struct nio_ctx *c;
	uint32_t dev;
	int rc;

	rc = nio_ctx_open(&c, NULL);
	if (rc)
		return rc;
	rc = nio_device_bind(c, bdf, NULL, &dev);
	if (!rc)
		rc = nio_hw_info(c, dev, &info);
	if (rc)
		fprintf(stderr, "test-pci: hw_info of %s: %s\n", bdf,
			nio_ctx_last_error(c));
	else
		plat = info.type;
	nio_ctx_unref(c);
	return rc;
}

static void t_find_cdev(void)
{
	char cdev[64], path[PATH_MAX], shortbdf[32];
	struct stat st;

	EXPECT_OK_CTX(NULL, nio_device_find_cdev(bdf, cdev, sizeof(cdev)));
	printf("#   %s -> %s\n", bdf, cdev);
	if (cdev_env)
		EXPECT(!strcmp(cdev, cdev_env));
	EXPECT(stat(cdev, &st) == 0 && S_ISCHR(st.st_mode));
	/* the same through the sysfs directory and the short address */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	memset(shortbdf, 0, sizeof(shortbdf));
	EXPECT_OK_CTX(NULL, nio_device_find_cdev(path, cdev, sizeof(cdev)));
	if (cdev_env)
		EXPECT(!strcmp(cdev, cdev_env));
	if (!strncmp(bdf, "0000:", 5)) {
		snprintf(shortbdf, sizeof(shortbdf), "%s", bdf + 5);
		EXPECT_OK_CTX(NULL,
			      nio_device_find_cdev(shortbdf, cdev, sizeof(cdev)));
		if (cdev_env)
			EXPECT(!strcmp(cdev, cdev_env));
	}
	/* with the root named, and back from the cdev path (since 0.3) */
	{
		char again[64] = "";

		EXPECT_OK_CTX(NULL, nio_device_find_cdev_at("/sys", bdf, again,
							    sizeof(again)));
		EXPECT(!strcmp(again, cdev));
		memset(again, 0, sizeof(again));
		EXPECT_OK_CTX(NULL, nio_device_find_cdev(cdev, again,
							 sizeof(again)));
		EXPECT(!strcmp(again, cdev));
	}
	/* a device bound to no VFIO driver: the host bridge */
	EXPECT_ERR_CTX(NULL, ENODEV, "no VFIO cdev",
		       nio_device_find_cdev("0000:00:00.0", cdev, sizeof(cdev)));
	/* no such device */
	EXPECT_ERR_CTX(NULL, ENOENT, "no such device",
		       nio_device_find_cdev("0000:00:1f.7", cdev, sizeof(cdev)));
	EXPECT_ERR_CTX(NULL, ENAMETOOLONG, "does not fit",
		       nio_device_find_cdev(bdf, cdev, 8));
}

static void t_group_and_reserved_regions(void)
{
	char link[PATH_MAX], target[PATH_MAX];
	struct nio_resv_region r[16];
	const struct platform *p = platform();
	uint32_t num = 0, i;
	int group = -1, msi = 0;
	ssize_t n;

	ASSERT(p);
	EXPECT_OK_CTX(NULL, nio_device_iommu_group(bdf, &group));
	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(link, target, sizeof(target) - 1);
	ASSERT(n > 0);
	target[n] = '\0';
	EXPECT_EQ(group, atoi(strrchr(target, '/') + 1));
	printf("#   %s: iommu group %d\n", bdf, group);
	/* too small: the count needed */
	EXPECT_ERR_CTX(NULL, EMSGSIZE, "reserved_regions",
		       nio_device_reserved_regions(bdf, NULL, &num));
	EXPECT(num >= 1);
	num = 16;
	ASSERT(EXPECT_OK_CTX(NULL, nio_device_reserved_regions(bdf, r, &num)));
	for (i = 0; i < num; i++) {
		printf("#   reserved 0x%016llx-0x%016llx %s\n",
		       (unsigned long long)r[i].start,
		       (unsigned long long)r[i].last,
		       nio_resv_type_name(r[i].type));
		EXPECT(r[i].start <= r[i].last);
		if (r[i].type == p->msi_type && r[i].start == p->msi_start &&
		    r[i].last == p->msi_last)
			msi++;
		/* no other MSI region of either kind */
		else if (r[i].type == NIO_RESV_MSI || r[i].type == NIO_RESV_SW_MSI)
			KT_FAIL("unexpected MSI region 0x%llx-0x%llx %s",
				(unsigned long long)r[i].start,
				(unsigned long long)r[i].last,
				nio_resv_type_name(r[i].type));
	}
	/*
	 * Both reserve the interrupt window for every device: VT-d the x86
	 * interrupt window as a hardware MSI region, arm-smmu-v3 its own
	 * software MSI window (IOMMU_RESV_SW_MSI; the group's sysfs
	 * reserved_regions names both kinds "msi")
	 */
	printf("#   %s: MSI window 0x%llx-0x%llx (%s) expected\n", p->name,
	       (unsigned long long)p->msi_start,
	       (unsigned long long)p->msi_last, nio_resv_type_name(p->msi_type));
	EXPECT_EQ(msi, 1);
	/* the same regions with the root named and by group (since 0.3) */
	{
		struct nio_resv_region r2[16];
		uint32_t num2 = 16;
		int group2 = -1;

		EXPECT_OK_CTX(NULL, nio_device_iommu_group_at("/sys", bdf, &group2));
		EXPECT_EQ(group2, group);
		EXPECT_OK_CTX(NULL, nio_device_reserved_regions_at("/sys", bdf, r2,
								   &num2));
		EXPECT_EQ(num2, num);
		for (i = 0; i < num && i < num2; i++)
			EXPECT(r2[i].start == r[i].start && r2[i].last == r[i].last &&
			       r2[i].type == r[i].type);
		num2 = 16;
		memset(r2, 0, sizeof(r2));
		EXPECT_OK_CTX(NULL, nio_group_reserved_regions(NULL, group, r2,
							       &num2));
		EXPECT_EQ(num2, num);
		for (i = 0; i < num && i < num2; i++)
			EXPECT(r2[i].start == r[i].start && r2[i].last == r[i].last &&
			       r2[i].type == r[i].type);
	}
	EXPECT_ERR_CTX(NULL, ENOENT, "no such device",
		       nio_device_iommu_group("0000:00:1f.7", &group));
}

static void t_bind_info(void)
{
	struct nio_object_info info = { .sz = sizeof(info) };
	struct nio_device_info di = { .sz = sizeof(di) };
	uint32_t dev, dev2;
	int fd;

	OPEN_CTX();
	ASSERT_OK(nio_device_bind(ctx, bdf, NULL, &dev));
	EXPECT_OK(nio_object_info(ctx, dev, &info));
	EXPECT_EQ(info.type, NIO_OBJ_DEVICE);
	EXPECT_EQ(info.id, dev);
	EXPECT(info.fd >= 0);
	if (cdev_env)
		EXPECT(!strcmp(info.path, cdev_env));
	EXPECT_EQ(info.parent_id, 0);
	fd = nio_device_fd(ctx, dev);
	EXPECT_EQ(fd, info.fd);
	EXPECT_OK(nio_device_info(ctx, dev, &di));
	EXPECT(di.flags & VFIO_FLAGS_PCI);
	/* BAR0..5, ROM, config, VGA: 9 regions; INTx, MSI, MSI-X, ERR, REQ */
	EXPECT_EQ(di.num_regions, 9);
	EXPECT_EQ(di.num_irqs, 5);
	printf("#   device %u: flags 0x%x, %u regions, %u irqs\n", dev, di.flags,
	       di.num_regions, di.num_irqs);
	/* one device, one binding: a cdev is opened once (vfio_df_open) */
	EXPECT_ERR(EINVAL, "VFIO_DEVICE_BIND_IOMMUFD",
		   nio_device_bind(ctx, bdf, NULL, &dev2));
	/* unbind (closes the cdev), bind again, through the cdev path */
	EXPECT_OK(nio_destroy(ctx, dev));
	EXPECT(fcntl(fd, F_GETFD) == -1);
	EXPECT_ERR(ENOENT, "nio_device_fd", nio_device_fd(ctx, dev));
	if (cdev_env)
		EXPECT_OK(nio_device_bind(ctx, cdev_env, NULL, &dev));
	/* a caller's open descriptor */
	EXPECT_OK(nio_destroy(ctx, dev));
	fd = open(cdev_env ? cdev_env : "/dev/null", O_RDWR);
	{
		NIO_OPTS(nio_bind_opts, o, .cdev_fd = fd);

		EXPECT_OK(nio_device_bind(ctx, NULL, &o, &dev));
	}
	EXPECT_OK(nio_destroy(ctx, dev));
	/* errors */
	EXPECT_ERR(ENOENT, "no such device",
		   nio_device_bind(ctx, "0000:00:1f.7", NULL, &dev));
	EXPECT_ERR(ENODEV, "no VFIO cdev",
		   nio_device_bind(ctx, "0000:00:00.0", NULL, &dev));
	EXPECT_ERR(ENOENT, "open(/dev/vfio/devices/vfio99)",
		   nio_device_bind(ctx, "/dev/vfio/devices/vfio99", NULL, &dev));
	nio_ctx_unref(ctx);
}

/* VT-d: cap/ecap decoded; its own type asked for works, SMMUv3's not */
static void hw_info_vtd(uint32_t dev, struct nio_hw_info *got)
{
	struct nio_hw_info info = *got;
	uint64_t cap, ecap;
	uint32_t flags;

	EXPECT(nio_hw_info_type_name(info.type) &&
	       !strcmp(nio_hw_info_type_name(info.type), "intel-vtd"));
	memcpy(&flags, info.data, 4);
	memcpy(&cap, info.data + 8, 8);
	memcpy(&ecap, info.data + 16, 8);
	printf("#   VT-d hw_info: flags 0x%x cap_reg 0x%016llx ecap_reg 0x%016llx caps 0x%llx max_pasid_log2 %u\n",
	       flags, (unsigned long long)cap, (unsigned long long)ecap,
	       (unsigned long long)info.capabilities, info.max_pasid_log2);
	printf("#   VT-d: scalable mode %s, nesting %s, first stage %s, second stage %s, dirty (SSADS) %s\n",
	       ecap & ECAP_SMTS ? "yes" : "no", ecap & ECAP_NEST ? "yes" : "no",
	       ecap & ECAP_FLTS ? "yes" : "no", ecap & ECAP_SLTS ? "yes" : "no",
	       ecap & ECAP_SSADS ? "yes" : "no");
	EXPECT(cap != 0);
	/* no dirty tracking without scalable mode and SSADS */
	if (!(ecap & ECAP_SMTS) || !(ecap & ECAP_SSADS))
		EXPECT(!(info.capabilities & NIO_HW_CAP_DIRTY_TRACKING));
	/* asking for the VT-d type works, another type does not */
	info = (struct nio_hw_info){ .sz = sizeof(info),
				     .type = NIO_HW_INFO_INTEL_VTD };
	EXPECT_OK(nio_hw_info(ctx, dev, &info));
	EXPECT_EQ(info.type, NIO_HW_INFO_INTEL_VTD);
	info = (struct nio_hw_info){ .sz = sizeof(info),
				     .type = NIO_HW_INFO_ARM_SMMUV3 };
	EXPECT_ERR(EOPNOTSUPP, "IOMMU_GET_HW_INFO", nio_hw_info(ctx, dev, &info));
}

/*
 * SMMUv3: struct iommu_hw_info_arm_smmuv3 decoded with the library's own
 * codec; QEMU's stage=nested SMMU has both stages (the driver's
 * ARM_SMMU_FEAT_NESTING), AArch64 tables, and no dirty-bit HTTU, so no
 * dirty tracking; its own type asked for works, VT-d's not.
 */
static void hw_info_smmuv3(uint32_t dev, struct nio_hw_info *got)
{
	struct nio_hw_info info = *got;
	struct nio_smmuv3_features f;
	uint32_t idr0;

	EXPECT(nio_hw_info_type_name(info.type) &&
	       !strcmp(nio_hw_info_type_name(info.type), "arm-smmuv3"));
	ASSERT(nio_smmuv3_hw_info_decode(info.data, info.data_len, &f) == 0);
	memcpy(&idr0, info.data + 8, 4);
	printf("#   SMMUv3 hw_info: flags 0x%x IDR0 0x%08x caps 0x%llx max_pasid_log2 %u\n",
	       f.hw_info_flags, idr0, (unsigned long long)info.capabilities,
	       info.max_pasid_log2);
	printf("#   SMMUv3: stage 1 %s, stage 2 %s, AArch64 tables %s, HTTU %u, SIDSIZE %u, SSIDSIZE %u, IIDR implementer 0x%x\n",
	       f.s1p ? "yes" : "no", f.s2p ? "yes" : "no",
	       f.ttf & NIO_SMMUV3_TTF_AARCH64 ? "yes" : "no", f.httu,
	       f.sidsize, f.ssidsize, f.implementer);
	EXPECT(idr0 != 0);
	EXPECT(f.s1p);
	EXPECT(f.s2p);
	EXPECT(f.ttf & NIO_SMMUV3_TTF_AARCH64);
	EXPECT(f.sidsize > 0);
	EXPECT(f.gran4k); /* the kernel's 4 KiB pages */
	/* dirty tracking needs HTTU with the dirty state (IDR0.HTTU == 2+) */
	if (f.httu < 2)
		EXPECT(!(info.capabilities & NIO_HW_CAP_DIRTY_TRACKING));
	/* a substream (PASID) width only with SSIDSIZE */
	if (!f.ssidsize)
		EXPECT_EQ(info.max_pasid_log2, 0);
	info = (struct nio_hw_info){ .sz = sizeof(info),
				     .type = NIO_HW_INFO_ARM_SMMUV3 };
	EXPECT_OK(nio_hw_info(ctx, dev, &info));
	EXPECT_EQ(info.type, NIO_HW_INFO_ARM_SMMUV3);
	info = (struct nio_hw_info){ .sz = sizeof(info),
				     .type = NIO_HW_INFO_INTEL_VTD };
	EXPECT_ERR(EOPNOTSUPP, "IOMMU_GET_HW_INFO", nio_hw_info(ctx, dev, &info));
}

static void t_hw_info(void)
{
	struct nio_hw_info info = { .sz = sizeof(info) };
	const struct platform *p = platform();
	uint32_t dev;

	ASSERT(p);
	OPEN_CTX();
	ASSERT_OK(nio_device_bind(ctx, bdf, NULL, &dev));
	ASSERT_OK(nio_hw_info(ctx, dev, &info));
	EXPECT_EQ(info.type, p->type);
	EXPECT_EQ(info.data_len, p->hw_info_len);
	if (p->type == NIO_HW_INFO_INTEL_VTD)
		hw_info_vtd(dev, &info);
	else
		hw_info_smmuv3(dev, &info);
	nio_ctx_unref(ctx);
}

static void t_attach_ioas_map(void)
{
	struct nio_object_info info = { .sz = sizeof(info) };
	const struct platform *p = platform();
	struct nio_iova_range r[8];
	uint64_t iova, align = 0, unmapped, msi_iova;
	uint32_t dev, ioas, hwpt, num, i;
	bool msi_excluded = true;

	ASSERT(p);
	msi_iova = p->msi_start;
	OPEN_CTX();
	ASSERT_OK(nio_device_bind(ctx, bdf, NULL, &dev));
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	/* a mapping in the MSI window forbids the attach */
	ASSERT_OK(nio_ioas_map(ctx, ioas, buf, PSZ, &msi_iova, MAP_FIXED_RW));
	EXPECT_ERR(EADDRINUSE, "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
		   nio_device_attach(ctx, dev, ioas, &hwpt));
	EXPECT_OK(nio_ioas_unmap(ctx, ioas, msi_iova, PSZ, NULL));
	/* attach to the IOAS: the kernel makes a paging HWPT */
	ASSERT_OK(nio_device_attach(ctx, dev, ioas, &hwpt));
	EXPECT(hwpt != ioas && hwpt != 0);
	EXPECT_OK(nio_object_info(ctx, dev, &info));
	EXPECT_EQ(info.parent_id, hwpt);
	/* the IOAS now knows the IOMMU's aperture and the MSI window */
	num = 8;
	EXPECT_OK(nio_ioas_iova_ranges(ctx, ioas, r, &num, &align));
	EXPECT_EQ(align, PSZ);
	for (i = 0; i < num; i++) {
		printf("#   usable IOVA 0x%016llx-0x%016llx\n",
		       (unsigned long long)r[i].start,
		       (unsigned long long)r[i].last);
		if (r[i].start <= p->msi_last && r[i].last >= p->msi_start)
			msi_excluded = false;
	}
	EXPECT(num >= 2);
	EXPECT(msi_excluded);
	msi_iova = p->msi_start;
	EXPECT_ERR(EINVAL, "IOMMU_IOAS_MAP",
		   nio_ioas_map(ctx, ioas, buf, PSZ, &msi_iova, MAP_FIXED_RW));
	/* DMA map and unmap: kernel-chosen and fixed IOVAs */
	EXPECT_OK(nio_ioas_map(ctx, ioas, buf, 16 * PSZ, &iova, MAP_RW));
	EXPECT_EQ(iova % PSZ, 0);
	EXPECT_OK(nio_ioas_unmap(ctx, ioas, iova, 16 * PSZ, &unmapped));
	EXPECT_EQ(unmapped, 16 * PSZ);
	iova = 0x100000;
	EXPECT_OK(nio_ioas_map(ctx, ioas, buf, 16 * PSZ, &iova, MAP_FIXED_RW));
	EXPECT_EQ(iova, 0x100000);
	iova = 0x200000;
	EXPECT_OK(nio_ioas_map(ctx, ioas, buf, 4 * PSZ, &iova,
			       NIO_MAP_FIXED_IOVA | NIO_MAP_READ));
	/* unaligned for the IOMMU's 4 KiB pages: refused, alignment named */
	iova = 0x300000;
	EXPECT_ERR(EINVAL, "aligned to 0x1000",
		   nio_ioas_map(ctx, ioas, (char *)buf + 512, PSZ, &iova,
				MAP_FIXED_RW));
	/* a copy into a second IOAS, also mapped for the device later */
	{
		uint32_t ioas2, hwpt2;
		uint64_t dst = 0x100000;

		ASSERT_OK(nio_ioas_alloc(ctx, &ioas2));
		EXPECT_OK(nio_ioas_copy(ctx, ioas2, ioas, 0x100000, 16 * PSZ,
					&dst, MAP_FIXED_RW));
		/* replace: move the device to the other IOAS and back */
		EXPECT_OK(nio_device_replace(ctx, dev, ioas2, &hwpt2));
		EXPECT(hwpt2 != hwpt);
		EXPECT_OK(nio_device_replace(ctx, dev, ioas, &hwpt));
		EXPECT_OK(nio_destroy(ctx, ioas2));
	}
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, ioas));
	EXPECT_OK(nio_ioas_unmap_all(ctx, ioas, &unmapped));
	EXPECT_EQ(unmapped, 20 * PSZ);
	/* detach; then the IOAS can go */
	EXPECT_OK(nio_device_detach(ctx, dev));
	info = (struct nio_object_info){ .sz = sizeof(info) };
	EXPECT_OK(nio_object_info(ctx, dev, &info));
	EXPECT_EQ(info.parent_id, 0);
	EXPECT_OK(nio_destroy(ctx, ioas));
	nio_ctx_unref(ctx);
}

static void t_paging_hwpt(void)
{
	uint32_t dev, ioas, hwpt, out, auto_hwpt;
	uint64_t iova = 0x100000;

	OPEN_CTX();
	ASSERT_OK(nio_device_bind(ctx, bdf, NULL, &dev));
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	ASSERT_OK(nio_hwpt_alloc(ctx, dev, ioas, NULL, &hwpt));
	ASSERT_OK(nio_device_attach(ctx, dev, hwpt, &out));
	EXPECT_EQ(out, hwpt);
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, hwpt));
	/* mappings of the IOAS reach the HWPT's domain */
	EXPECT_OK(nio_ioas_map(ctx, ioas, buf, 8 * PSZ, &iova, MAP_FIXED_RW));
	EXPECT_OK(nio_ioas_unmap(ctx, ioas, iova, 8 * PSZ, NULL));
	/* invalidation is for nested HWPTs and vIOMMUs only */
	{
		uint8_t entry[24] = { 0 };
		uint32_t num = 1;

		EXPECT_ERR(EINVAL, "IOMMU_HWPT_INVALIDATE",
			   nio_invalidate(ctx, hwpt, NIO_INVALIDATE_VTD_S1,
					  entry, sizeof(entry), &num));
		EXPECT_EQ(num, 0);
	}
	/* the IOAS instead: an automatic HWPT replaces ours */
	EXPECT_OK(nio_device_replace(ctx, dev, ioas, &auto_hwpt));
	EXPECT(auto_hwpt != hwpt);
	EXPECT_OK(nio_destroy(ctx, hwpt));
	EXPECT_OK(nio_device_detach(ctx, dev));
	/* detaching a detached device is a no-op for VFIO */
	EXPECT_OK(nio_device_detach(ctx, dev));
	/* attaching to nothing */
	EXPECT_ERR(ENOENT, "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
		   nio_device_attach(ctx, dev, 9999, &out));
	nio_ctx_unref(ctx);
}

/*
 * Nesting, with the errno each IOMMU's driver gives.  Both: no dirty
 * tracking without the hardware for it, no driver data on a paging HWPT,
 * no stage-1 HWPT on a parent that is not a nest parent, no DEFAULT
 * vIOMMU type.  VT-d in legacy mode refuses the rest (no nest parent, no
 * vIOMMU); SMMUv3 (QEMU stage=nested, the arm64 tier's canwbs patch)
 * builds a nest parent, an arm-smmuv3 vIOMMU on it and a nested HWPT
 * from an abort vSTE through the vIOMMU, and refuses a nested HWPT
 * straight on the nest parent (arm-smmu-v3 has no domain_alloc_nested:
 * only through a vIOMMU) and VT-d's stage-1 data.
 */
static void t_nesting(void)
{
	struct nio_hw_info info = { .sz = sizeof(info) };
	const struct platform *p = platform();
	uint8_t vtd_s1[24] = { 0 }; /* struct iommu_hwpt_vtd_s1 */
	const uint64_t abort_ste[2] = { 1, 0 }; /* V=1, Config=abort */
	bool smmuv3;
	uint32_t dev, ioas, hwpt, out;
	NIO_OPTS(nio_hwpt_alloc_opts, s1o, .data_type = NIO_HWPT_DATA_VTD_S1,
		 .data_len = sizeof(vtd_s1), .data = vtd_s1);

	ASSERT(p);
	smmuv3 = p->type == NIO_HW_INFO_ARM_SMMUV3;
	OPEN_CTX();
	ASSERT_OK(nio_device_bind(ctx, bdf, NULL, &dev));
	ASSERT_OK(nio_hw_info(ctx, dev, &info));
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	/* no dirty tracking where the IOMMU does not offer it (neither
	 * QEMU's legacy-mode VT-d nor its SMMUv3 does) */
	if (!(info.capabilities & NIO_HW_CAP_DIRTY_TRACKING)) {
		NIO_OPTS(nio_hwpt_alloc_opts, o,
			 .flags = NIO_HWPT_DIRTY_TRACKING);

		EXPECT_ERR(EOPNOTSUPP, "IOMMU_HWPT_ALLOC",
			   nio_hwpt_alloc(ctx, dev, ioas, &o, &out));
	}
	/* a paging HWPT takes no driver data on either */
	EXPECT_ERR(EOPNOTSUPP, "IOMMU_HWPT_ALLOC",
		   nio_hwpt_alloc(ctx, dev, ioas, &s1o, &out));
	/* a stage-1 HWPT needs a nest parent: VT-d checks the parent;
	 * arm-smmu-v3 takes nested HWPTs only through a vIOMMU */
	ASSERT_OK(nio_hwpt_alloc(ctx, dev, ioas, NULL, &hwpt));
	EXPECT_ERR(smmuv3 ? EOPNOTSUPP : EINVAL, "IOMMU_HWPT_ALLOC",
		   nio_hwpt_alloc(ctx, dev, hwpt, &s1o, &out));
	EXPECT_ERR(smmuv3 ? EOPNOTSUPP : EINVAL, "IOMMU_HWPT_ALLOC",
		   nio_hwpt_alloc_smmuv3_nested(ctx, dev, hwpt, abort_ste,
						&out));
	/* a vIOMMU: VT-d has none (no get_viommu_size); arm-smmu-v3 needs
	 * a nest parent under it */
	EXPECT_ERR(smmuv3 ? EINVAL : EOPNOTSUPP, "IOMMU_VIOMMU_ALLOC",
		   nio_viommu_alloc(ctx, dev, hwpt, NIO_VIOMMU_ARM_SMMUV3, NULL,
				    &out));
	EXPECT_ERR(EOPNOTSUPP, "IOMMU_VIOMMU_ALLOC",
		   nio_viommu_alloc(ctx, dev, hwpt, NIO_VIOMMU_DEFAULT, NULL,
				    &out));
	EXPECT_OK(nio_destroy(ctx, hwpt));
	if (!smmuv3) {
		/* no nest parent (nested_supported(): scalable mode + NEST) */
		EXPECT_ERR(EOPNOTSUPP, "IOMMU_HWPT_ALLOC",
			   nio_hwpt_alloc_nest_parent(ctx, dev, ioas, &out));
	} else {
		uint32_t s2, viommu, nested;

		/* the driver's ARM_SMMU_FEAT_NESTING: both stages */
		ASSERT_OK(nio_hwpt_alloc_nest_parent(ctx, dev, ioas, &s2));
		/* straight on the nest parent: only through a vIOMMU */
		EXPECT_ERR(EOPNOTSUPP, "IOMMU_HWPT_ALLOC",
			   nio_hwpt_alloc_smmuv3_nested(ctx, dev, s2,
							abort_ste, &out));
		ASSERT_OK(nio_viommu_alloc(ctx, dev, s2, NIO_VIOMMU_ARM_SMMUV3,
					   NULL, &viommu));
		/* VT-d's stage-1 data on an SMMUv3 vIOMMU: wrong data type */
		EXPECT_ERR(EINVAL, "IOMMU_HWPT_ALLOC",
			   nio_hwpt_alloc(ctx, dev, viommu, &s1o, &out));
		ASSERT_OK(nio_hwpt_alloc_smmuv3_nested(ctx, dev, viommu,
						       abort_ste, &nested));
		EXPECT_OK(nio_device_attach(ctx, dev, nested, &out));
		EXPECT_EQ(out, nested);
		EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, s2));
		EXPECT_OK(nio_device_detach(ctx, dev));
		EXPECT_OK(nio_destroy(ctx, nested));
		EXPECT_OK(nio_destroy(ctx, viommu));
		EXPECT_OK(nio_destroy(ctx, s2));
	}
	EXPECT_OK(nio_destroy(ctx, ioas));
	nio_ctx_unref(ctx);
}

/*
 * Real DMA through the emulated IOMMU: the e1000e transmits one frame from
 * a descriptor ring at an IOVA that the library mapped.  The device reads
 * the descriptor and the frame (DMA reads) and writes the descriptor's
 * status back (a DMA write) through the VT-d translation of our mapping;
 * its DD bit in our buffer proves the mapping end to end.  Registers are
 * reached through the VFIO region of BAR0 (raw VFIO ioctls on the cdev
 * descriptor the library bound).
 */
#define E1000_CTRL 0x0000
#define E1000_CTRL_RST (1u << 26)
#define E1000_TCTL 0x0400
#define E1000_TCTL_EN (1u << 1)
#define E1000_TCTL_PSP (1u << 3)
#define E1000_TDBAL 0x3800
#define E1000_TDBAH 0x3804
#define E1000_TDLEN 0x3808
#define E1000_TDH 0x3810
#define E1000_TDT 0x3818
#define TXD_CMD_EOP 0x01
#define TXD_CMD_IFCS 0x02
#define TXD_CMD_RS 0x08
#define TXD_STAT_DD 0x01

struct tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso, cmd, status, css;
	uint16_t special;
};

static int dev_fd_g;
static uint64_t bar0_off, cfg_off;

static uint32_t rd32(uint32_t reg)
{
	uint32_t v = 0xffffffff;

	if (pread(dev_fd_g, &v, 4, (off_t)(bar0_off + reg)) != 4)
		KT_FAIL("pread BAR0+0x%x: %s", reg, strerror(errno));
	return v;
}

static void wr32(uint32_t reg, uint32_t v)
{
	if (pwrite(dev_fd_g, &v, 4, (off_t)(bar0_off + reg)) != 4)
		KT_FAIL("pwrite BAR0+0x%x: %s", reg, strerror(errno));
}

static bool region(int fd, uint32_t index, uint64_t *offset, uint64_t *size)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = index };

	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return false;
	*offset = ri.offset;
	*size = ri.size;
	return true;
}

/* Reset the e1000e and start transmitting the ring at ring_iova. */
static void e1000e_tx(uint64_t ring_iova)
{
	wr32(E1000_CTRL, rd32(E1000_CTRL) | E1000_CTRL_RST);
	usleep(20000);
	wr32(E1000_TDBAL, (uint32_t)ring_iova);
	wr32(E1000_TDBAH, (uint32_t)(ring_iova >> 32));
	wr32(E1000_TDLEN, 8 * sizeof(struct tx_desc));
	wr32(E1000_TDH, 0);
	wr32(E1000_TDT, 0);
	wr32(E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
	wr32(E1000_TDT, 1);
}

static uint8_t wait_dd(volatile struct tx_desc *d, int ms)
{
	int i;

	for (i = 0; i < ms / 5; i++) {
		if (d->status & TXD_STAT_DD)
			break;
		usleep(5000);
	}
	return d->status;
}

static void t_real_dma(void)
{
	/* beyond the guest's RAM: only the IOMMU can turn it into our page */
	const uint64_t ring_iova = 0x4000000000ULL, frame_iova = ring_iova + PSZ;
	struct tx_desc *ring = buf;
	uint8_t *frame = (uint8_t *)buf + PSZ;
	uint64_t iova = ring_iova, size;
	uint32_t dev, ioas;
	uint16_t cmdreg;
	uint8_t st;

	OPEN_CTX();
	ASSERT_OK(nio_device_bind(ctx, bdf, NULL, &dev));
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	ASSERT_OK(nio_device_attach(ctx, dev, ioas, NULL));
	memset(buf, 0, 2 * PSZ);
	ASSERT_OK(nio_ioas_map(ctx, ioas, buf, 2 * PSZ, &iova, MAP_FIXED_RW));
	dev_fd_g = nio_device_fd(ctx, dev);
	ASSERT(dev_fd_g >= 0);
	ASSERT(region(dev_fd_g, VFIO_PCI_BAR0_REGION_INDEX, &bar0_off, &size));
	ASSERT(size >= 0x4000);
	ASSERT(region(dev_fd_g, VFIO_PCI_CONFIG_REGION_INDEX, &cfg_off, &size));
	/* memory space and bus mastering on */
	ASSERT(pread(dev_fd_g, &cmdreg, 2, (off_t)cfg_off + 4) == 2);
	cmdreg |= 0x6;
	ASSERT(pwrite(dev_fd_g, &cmdreg, 2, (off_t)cfg_off + 4) == 2);

	/* one 60-byte broadcast frame in descriptor 0 of an 8-entry ring */
	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x52\x54\x00\x12\x34\x56\x88\xb5", 8);
	ring[0] = (struct tx_desc){ .addr = frame_iova, .length = 60,
				    .cmd = TXD_CMD_EOP | TXD_CMD_IFCS |
					   TXD_CMD_RS };
	__sync_synchronize();
	e1000e_tx(ring_iova);
	st = wait_dd(ring, 1000);
	printf("#   e1000e TX, ring at IOVA 0x%llx: descriptor status 0x%02x, TDH %u\n",
	       (unsigned long long)ring_iova, st, rd32(E1000_TDH));
	EXPECT(st & TXD_STAT_DD);
	EXPECT_EQ(rd32(E1000_TDH), 1);

	/* unmapped: the device no longer reaches our page (IOTLB flushed) */
	wr32(E1000_TCTL, 0);
	EXPECT_OK(nio_ioas_unmap(ctx, ioas, ring_iova, 2 * PSZ, NULL));
	ring[0].status = 0;
	__sync_synchronize();
	e1000e_tx(ring_iova);
	st = wait_dd(ring, 200);
	printf("#   after unmap: descriptor status 0x%02x (the DMA faults in the IOMMU)\n",
	       st);
	EXPECT_EQ(st, 0);
	wr32(E1000_TCTL, 0);
	wr32(E1000_CTRL, rd32(E1000_CTRL) | E1000_CTRL_RST);
	usleep(20000);
	EXPECT_OK(nio_device_detach(ctx, dev));
	nio_ctx_unref(ctx);
}

/* Closing with everything in place leaves the device free. */
static void t_close_midway(void)
{
	uint32_t dev, ioas, hwpt;
	uint64_t iova = 0x100000;
	int fds = kt_count_fds();

	OPEN_CTX();
	ASSERT_OK(nio_device_bind(ctx, bdf, NULL, &dev));
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	ASSERT_OK(nio_hwpt_alloc(ctx, dev, ioas, NULL, &hwpt));
	ASSERT_OK(nio_device_attach(ctx, dev, hwpt, NULL));
	ASSERT_OK(nio_ioas_map(ctx, ioas, buf, 16 * PSZ, &iova, MAP_FIXED_RW));
	EXPECT_EQ(kt_count_fds(), fds + 2); /* iommufd and the cdev */
	nio_ctx_unref(ctx);
	EXPECT_EQ(kt_count_fds(), fds);
	OPEN_CTX();
	EXPECT_OK(nio_device_bind(ctx, bdf, NULL, &dev));
	nio_ctx_unref(ctx);
}

/* A borrowed descriptor: the library closes the device and destroys its
 * objects, the owner's descriptor stays usable. */
static void t_close_borrowed(void)
{
	uint32_t dev, ioas, hwpt;
	uint64_t iova = 0x100000;
	int fd = open("/dev/iommu", O_RDWR);

	ASSERT(fd >= 0);
	ASSERT(nio_ctx_adopt_fd(fd, NIO_ADOPT_BORROW, NULL, &ctx) == 0);
	ASSERT_OK(nio_device_bind(ctx, bdf, NULL, &dev));
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	ASSERT_OK(nio_hwpt_alloc(ctx, dev, ioas, NULL, &hwpt));
	ASSERT_OK(nio_device_attach(ctx, dev, hwpt, NULL));
	ASSERT_OK(nio_ioas_map(ctx, ioas, buf, 16 * PSZ, &iova, MAP_FIXED_RW));
	nio_ctx_unref(ctx);
	/* the same descriptor, a new context: everything is free again */
	ASSERT(nio_ctx_adopt_fd(fd, NIO_ADOPT_BORROW, NULL, &ctx) == 0);
	EXPECT_ERR(ENOENT, "IOMMU_DESTROY", nio_destroy(ctx, hwpt));
	EXPECT_ERR(ENOENT, "IOMMU_DESTROY", nio_destroy(ctx, ioas));
	EXPECT_OK(nio_device_bind(ctx, bdf, NULL, &dev));
	nio_ctx_unref(ctx);
	close(fd);
}

/* A client killed with the device bound and mapped: it can be bound again. */
static void t_kill_child(void)
{
	int pipefd[2], status;
	pid_t child;
	uint32_t dev;
	char c;

	ASSERT(pipe(pipefd) == 0);
	fflush(stdout);
	child = fork();
	ASSERT(child >= 0);
	if (child == 0) {
		uint32_t ioas;
		uint64_t iova = 0x100000;

		close(pipefd[0]);
		if (nio_ctx_open(&ctx, NULL) ||
		    nio_device_bind(ctx, bdf, NULL, &dev) ||
		    nio_ioas_alloc(ctx, &ioas) ||
		    nio_device_attach(ctx, dev, ioas, NULL) ||
		    nio_ioas_map(ctx, ioas, buf, 16 * PSZ, &iova, MAP_FIXED_RW) ||
		    write(pipefd[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	EXPECT_EQ(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	OPEN_CTX();
	/* taken while the child holds it */
	EXPECT_ERR(EINVAL, "VFIO_DEVICE_BIND_IOMMUFD",
		   nio_device_bind(ctx, bdf, NULL, &dev));
	kill(child, SIGKILL);
	EXPECT(waitpid(child, &status, 0) == child && WIFSIGNALED(status));
	EXPECT_OK(nio_device_bind(ctx, bdf, NULL, &dev));
	nio_ctx_unref(ctx);
}

/*
 * A VMM's own bind (raw ioctls), imported borrowed: the library attaches,
 * maps and reads device info through it; the kernel-side import checks
 * (dev_id a device, IOAS ID an IOAS) give the real kernel's answers; the
 * library never closes the VMM's cdev; and a failed bind with
 * cdev_fd = -1 leaves no descriptor behind.
 */
static void t_import_borrowed_device(void)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct nio_device_info di = { .sz = sizeof(di) };
	NIO_OPTS(nio_bind_opts, bopts, .cdev_fd = -1);
	uint64_t iova = 0x200000;
	uint32_t ioas, dev2;
	int cfd, before;

	OPEN_CTX();
	ASSERT(cdev_env);
	cfd = open(cdev_env, O_RDWR | O_CLOEXEC);
	ASSERT(cfd >= 0);
	b.iommufd = nio_ctx_fd(ctx);
	ASSERT(ioctl(cfd, VFIO_DEVICE_BIND_IOMMUFD, &b) == 0);
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	/* the real kernel tells a device from an IOAS */
	EXPECT_ERR(ENOENT, "not a device",
		   nio_object_import(ctx, NIO_OBJ_DEVICE, ioas, cfd, 0, NULL));
	EXPECT_ERR(ENOENT, "not an IOAS",
		   nio_object_import(ctx, NIO_OBJ_IOAS, b.out_devid, -1, 0,
				     NULL));
	ASSERT_OK(nio_object_import(ctx, NIO_OBJ_DEVICE, b.out_devid, cfd, 0,
				    NULL));
	EXPECT_OK(nio_device_info(ctx, b.out_devid, &di));
	EXPECT(di.flags & VFIO_FLAGS_PCI);
	EXPECT_OK(nio_device_attach(ctx, b.out_devid, ioas, NULL));
	EXPECT_OK(nio_ioas_map(ctx, ioas, buf, 16 * PSZ, &iova, MAP_FIXED_RW));
	EXPECT_ERR(EBUSY, "borrowed", nio_destroy(ctx, b.out_devid));
	/* already bound (by us): the bind fails, the cdev it opened is closed */
	before = kt_count_fds();
	EXPECT_ERR(EINVAL, "VFIO_DEVICE_BIND_IOMMUFD",
		   nio_device_bind(ctx, bdf, &bopts, &dev2));
	EXPECT_EQ(kt_count_fds(), before);
	nio_ctx_unref(ctx);
	/* the VMM's cdev is still open and still bound: closing it unbinds */
	EXPECT(fcntl(cfd, F_GETFD) >= 0);
	OPEN_CTX();
	EXPECT_ERR(EINVAL, "VFIO_DEVICE_BIND_IOMMUFD",
		   nio_device_bind(ctx, bdf, NULL, &dev2));
	close(cfd);
	EXPECT_OK(nio_device_bind(ctx, bdf, NULL, &dev2));
	nio_ctx_unref(ctx);
}

static const struct ktest tests[] = {
	{ "find_cdev_sysfs", t_find_cdev },
	{ "iommu_group_reserved_regions", t_group_and_reserved_regions },
	{ "bind_cdev_device_info", t_bind_info },
	{ "hw_info", t_hw_info },
	{ "attach_ioas_dma_map_unmap", t_attach_ioas_map },
	{ "paging_hwpt_attach_replace_detach", t_paging_hwpt },
	{ "nesting_per_platform", t_nesting },
	{ "e1000e_dma_through_mapping", t_real_dma },
	{ "close_midway_frees_device", t_close_midway },
	{ "close_borrowed_frees_device", t_close_borrowed },
	{ "kill_child_frees_device", t_kill_child },
	{ "import_borrowed_device", t_import_borrowed_device },
};

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	bdf = getenv("NESTIOMMU_VFIO_BDF");
	cdev_env = getenv("NESTIOMMU_VFIO_CDEV");
	if (!bdf || !*bdf) {
		printf("1..0 # SKIP no vfio-pci device ($NESTIOMMU_VFIO_BDF unset)\n");
		return 0;
	}
	buf = mmap(NULL, 64 * PSZ, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("test-pci: mmap");
		return 2;
	}
	memset(buf, 0x5a, 64 * PSZ);
	/* the IOMMU in front of the device (a failure here fails the tests
	 * that depend on it, naming the error above) */
	detect_platform();
	printf("# IOMMU: hw_info type %u (%s)\n", plat,
	       nio_hw_info_type_name(plat) ? nio_hw_info_type_name(plat) : "?");
	return ktest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
