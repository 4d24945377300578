// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestiommu.ko lifetimes: iommufd takes no module reference for a
 * driver's domains and vIOMMUs, the module holds one per live object.
 * With the endpoints removed, rmmod must be refused while an iommufd
 * still holds a stage 2, a vIOMMU and a nested domain, and succeed once
 * that iommufd is closed.  Run with the module freshly loaded; it is
 * unloaded at the end.
 */
#include <sys/wait.h>

#include <nestiommu/smmu.h>

#include "nio_test.h"

static int rmmod(void)
{
	int st = system("rmmod nestiommu 2>/dev/null");

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
	struct iommu_hwpt_arm_smmuv3 ste = { .ste = { 1 | (4ULL << 1), 0 } };
	uint32_t dev_id = 0, ioas = 0, s2 = 0, viommu = 0, nested = 0;
	struct nio_smmu *ctl;
	int fd, dev;

	fd = open("/dev/iommu", O_RDWR);
	dev = nt_open_ep(0, 0, NULL, 0);
	if (fd < 0 || dev < 0)
		nt_die("open");
	NT_EXPECT(0, nt_bind(dev, fd, &dev_id), "bind");
	NT_EXPECT(0, nt_ioas_alloc(fd, &ioas), "IOAS");
	NT_EXPECT(0, nt_hwpt_alloc(fd, dev_id, ioas,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0,
				   &s2), "S2");
	NT_EXPECT(0, nt_viommu_alloc(fd, dev_id, s2,
				     IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &viommu),
		  "vIOMMU");
	NT_EXPECT(0, nt_hwpt_alloc(fd, dev_id, viommu, 0,
				   IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
				   sizeof(ste), &nested), "nested bypass");
	NT_EXPECT(0, nt_attach(dev, &nested), "attach");

	if (nio_smmu_open(&ctl))
		nt_die("nio_smmu_open");
	NT_EXPECT(EBUSY, nio_smmu_remove_devices(ctl, -1),
		  "remove endpoints while a VFIO device is open");
	close(dev);
	NT_EXPECT(0, nio_smmu_remove_devices(ctl, -1), "remove endpoints");
	nio_smmu_close(ctl);

	NT_CHECK(rmmod() != 0, "rmmod refused: the iommufd holds S2, vIOMMU, nested");
	close(fd);
	NT_CHECK(rmmod() == 0, "rmmod after the iommufd is closed");
	return nt_done();
}
