// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestiommu.ko lifetimes: iommufd takes no module reference for a
 * driver's domains and vIOMMUs, the module holds one per live object.
 * With the endpoints removed, rmmod must be refused while an iommufd
 * still holds a stage 2, a vIOMMU and a nested domain, and succeed once
 * that iommufd is closed.  Run with the module freshly loaded; it is
 * unloaded at the end.
 */
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include <nestiommu/smmu.h>

#include "nio_test.h"

static int rmmod(void)
{
	int st = system("rmmod nestiommu 2>/dev/null");

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * A VMM killed with everything set up: nested attach with a vDEVICE, a
 * vEVENTQ, an MSI eventfd.  Afterwards the endpoint must be blocked with
 * no vSID, no endpoint attached, and the MSI registration gone.
 */
static void killed_vmm(void)
{
	int pipefd[2];
	pid_t pid;

	if (pipe(pipefd))
		nt_die("pipe");
	pid = fork();
	if (!pid) {
		struct iommu_hwpt_arm_smmuv3 ste = {
			.ste = { 1 | (5ULL << 1) | 0x40000000, 2 } };
		uint32_t id, s2, viommu, ioas, nested, evq;
		struct nio_smmu *ctl;
		int fd = open("/dev/iommu", O_RDWR);
		int dev = nt_open_ep(0, 1, NULL, 0);
		void *ram = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int evfd, efd = eventfd(0, 0);

		if (nt_bind(dev, fd, &id) || nt_ioas_alloc(fd, &ioas) ||
		    nt_ioas_map(fd, ioas, ram, 1 << 20, 0x40000000,
				IOMMU_IOAS_MAP_READABLE |
				IOMMU_IOAS_MAP_WRITEABLE) ||
		    nt_hwpt_alloc(fd, id, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
				  0, NULL, 0, &s2) ||
		    nt_viommu_alloc(fd, id, s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
				    &viommu) ||
		    nt_vdevice_alloc(fd, viommu, id, 0x21, NULL) ||
		    nt_veventq_alloc(fd, viommu,
				     IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 4, &evq,
				     &evfd) ||
		    nt_hwpt_alloc(fd, id, viommu, 0,
				  IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
				  sizeof(ste), &nested) ||
		    nt_attach(dev, &nested) || nio_smmu_open(&ctl) ||
		    nio_smmu_set_msi(ctl, 0, 1, 0, 0x1000, efd, false))
			_exit(1);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	{
		struct nio_smmu_instance *in;
		struct nio_smmu_device d;
		struct nio_smmu *ctl;
		char c = 0;
		size_t n;
		int st;

		NT_CHECK(read(pipefd[0], &c, 1) == 1 && c == 'r',
			 "child VMM set up");
		NT_EXPECT(0, nio_smmu_open(&ctl), "netlink");
		NT_EXPECT(0, nio_smmu_device_get(ctl, 0, 1, &d), "dump");
		NT_CHECK(d.domain == NIO_SMMU_DOMAIN_NESTED && d.has_vsid,
			 "endpoint 0.1 nested with a vSID before the kill");
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		NT_EXPECT(0, nio_smmu_device_get(ctl, 0, 1, &d), "dump");
		NT_CHECK(d.domain == NIO_SMMU_DOMAIN_BLOCKED && !d.has_vsid,
			 "after SIGKILL: blocked, no vSID");
		NT_EXPECT(0, nio_smmu_instances(ctl, &in, &n), "instances");
		NT_CHECK(n >= 1 && in[0].attached == 0, "nothing attached");
		free(in);
		NT_EXPECT(EPERM, nio_smmu_msi_trigger(ctl, 0, 1, 0),
			  "MSI of the killed VMM's vector: blocked, no target");
		nio_smmu_close(ctl);
	}
	close(pipefd[0]);
	close(pipefd[1]);
}

int main(void)
{
	struct iommu_hwpt_arm_smmuv3 ste = { .ste = { 1 | (4ULL << 1), 0 } };
	uint32_t dev_id = 0, ioas = 0, s2 = 0, viommu = 0, nested = 0;
	struct nio_smmu *ctl;
	int fd, dev;

	killed_vmm();

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
