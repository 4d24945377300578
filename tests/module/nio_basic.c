// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestiommu.ko, step 1 and 2: the endpoints are VFIO cdevs that bind to
 * iommufd, attach an IOAS and map; hw_info, reserved MSI window, paging
 * domain rules.  Raw ioctls, the testbed kernel's uapi headers.
 *
 * Usage (in the VM, after insmod nestiommu.ko): [NIO_SSIDSIZE=N] nio_basic
 * (NIO_SSIDSIZE: the module's ssidsize= parameter, default 16)
 */
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include <nestiommu/smmu.h>

#include "nio_test.h"

#define PAGE 4096UL

int main(void)
{
	struct iommu_hw_info_arm_smmuv3 info;
	struct iommu_hw_info hw;
	struct iommu_ioas_iova_ranges rq;
	struct iommu_iova_range ranges[16];
	uint32_t dev_id = 0, dev_id2, ioas = 0, pt, hwpt, s2;
	char name[32];
	int fd, dev, dev2, i;
	bool msi_excluded = false;
	void *buf;

	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0)
		nt_die("open /dev/iommu");
	dev = nt_open_ep(0, 0, name, sizeof(name));
	NT_CHECK(dev >= 0, "open cdev of nestiommu-ep.0 (%s)", name);
	if (dev < 0)
		return nt_done();

	/* Bind needs the isolated-MSI domain; EPERM otherwise */
	NT_EXPECT(0, nt_bind(dev, fd, &dev_id), "VFIO_DEVICE_BIND_IOMMUFD");

	/* hw_info: type in/out, ARM_SMMUV3 IDRs */
	memset(&info, 0, sizeof(info));
	memset(&hw, 0, sizeof(hw));
	hw.size = sizeof(hw);
	hw.dev_id = dev_id;
	hw.data_len = sizeof(info);
	hw.data_uptr = (uintptr_t)&info;
	NT_EXPECT(0, ioctl(fd, IOMMU_GET_HW_INFO, &hw), "GET_HW_INFO default");
	NT_CHECK(hw.out_data_type == IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
		 "hw_info type %u", hw.out_data_type);
	NT_CHECK((info.idr[0] & 3) == 3, "IDR0 S1P+S2P (0x%08x)", info.idr[0]);
	NT_CHECK(((info.idr[0] >> 2) & 3) == 2, "IDR0 TTF AArch64");
	NT_CHECK(info.idr[0] & (1 << 12) && info.idr[0] & (1 << 18),
		 "IDR0 ASID16 VMID16");
	NT_CHECK((info.idr[5] & 7) == 5 && (info.idr[5] & (1 << 4)),
		 "IDR5 OAS 48 bit, 4K granule (0x%08x)", info.idr[5]);
	/* the module's ssidsize= (default 16); vm-run.sh also loads 0 */
	NT_CHECK(((info.idr[1] >> 6) & 0x1f) ==
		 (getenv("NIO_SSIDSIZE") ? (unsigned int)atoi(getenv("NIO_SSIDSIZE")) : 16),
		 "IDR1 SSIDSIZE %u (NIO_SSIDSIZE %s)", (info.idr[1] >> 6) & 0x1f,
		 getenv("NIO_SSIDSIZE") ? getenv("NIO_SSIDSIZE") : "unset: 16");
	NT_CHECK(info.idr[3] & (1 << 10), "IDR3 RIL");
	hw.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	hw.in_data_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	NT_EXPECT(0, ioctl(fd, IOMMU_GET_HW_INFO, &hw),
		  "GET_HW_INFO input type ARM_SMMUV3");
	hw.in_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	NT_EXPECT(EOPNOTSUPP, ioctl(fd, IOMMU_GET_HW_INFO, &hw),
		  "GET_HW_INFO input type INTEL_VTD (arm_smmu_hw_info)");

	/* IOAS, attach, map */
	NT_EXPECT(0, nt_ioas_alloc(fd, &ioas), "IOAS_ALLOC");
	pt = ioas;
	NT_EXPECT(0, nt_attach(dev, &pt), "attach IOAS (auto paging HWPT %u)",
		  pt);
	buf = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 0x5a, 16 * PAGE);
	NT_EXPECT(0, nt_ioas_map(fd, ioas, buf, 16 * PAGE, 0x100000,
				 IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE),
		  "IOAS_MAP 64K at 0x100000");

	/* The SW_MSI window is reserved in the IOAS */
	memset(&rq, 0, sizeof(rq));
	rq.size = sizeof(rq);
	rq.ioas_id = ioas;
	rq.num_iovas = 16;
	rq.allowed_iovas = (uintptr_t)ranges;
	NT_EXPECT(0, ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &rq), "IOVA_RANGES");
	for (i = 0; i < (int)rq.num_iovas && i < 16; i++) {
		printf("# allowed 0x%llx-0x%llx\n",
		       (unsigned long long)ranges[i].start,
		       (unsigned long long)ranges[i].last);
		if (ranges[i].last == 0x8000000 - 1)
			msi_excluded = true;
	}
	NT_CHECK(msi_excluded, "0x8000000 (SW_MSI) is excluded");
	NT_EXPECT(EINVAL, nt_ioas_map(fd, ioas, buf, PAGE, 0x8000000,
					  IOMMU_IOAS_MAP_READABLE),
		  "map into the SW_MSI window (reserved: iopt_check_iova)");
	/* DMA through the plain (one stage) paging domain */
	{
		struct nio_smmu *ctl;
		char rb[16];

		NT_EXPECT(0, nio_smmu_open(&ctl), "netlink open");
		NT_EXPECT(0, nio_smmu_dma_write(ctl, 0, 0, NIO_SMMU_NO_PASID,
						0x100000 + 5 * PAGE + 3,
						"one stage", 10),
			  "DMA write through the auto paging domain");
		NT_CHECK(!memcmp((char *)buf + 5 * PAGE + 3, "one stage", 10),
			 "bytes landed in the mapped buffer");
		NT_EXPECT(0, nio_smmu_dma_read(ctl, 0, 0, NIO_SMMU_NO_PASID,
					       0x100000, rb, 16),
			  "DMA read");
		NT_CHECK(rb[0] == 0x5a, "read the buffer's bytes");
		{
			/* the reply outgrows libnl's default receive buffer */
			static char big[32768];

			NT_EXPECT(0, nio_smmu_dma_read(ctl, 0, 0,
						       NIO_SMMU_NO_PASID,
						       0x100000, big,
						       sizeof(big)),
				  "DMA read of 32 KiB (the documented maximum)");
			NT_CHECK(!memcmp(big, buf, sizeof(big)),
				 "the 32 KiB match the buffer");
			NT_EXPECT(0, nio_smmu_dma_read(ctl, 0, 0,
						       NIO_SMMU_NO_PASID,
						       0x100000, rb, 16),
				  "the handle still works after it");
		}
		NT_EXPECT(EFAULT, nio_smmu_dma_read(ctl, 0, 0,
						    NIO_SMMU_NO_PASID,
						    0x100000 + 16 * PAGE, rb, 4),
			  "DMA to an unmapped IOVA");
		NT_EXPECT(EFAULT, nio_smmu_dma_read(ctl, 0, 0, 1, 0x100000,
						    rb, 4),
			  "PASID without stage 1 (C_BAD_SUBSTREAMID)");
		NT_EXPECT(ENODEV, nio_smmu_dma_read(ctl, 0, 99,
						    NIO_SMMU_NO_PASID,
						    0x100000, rb, 4),
			  "DMA of a device that does not exist");
		NT_EXPECT(EINVAL, nio_smmu_dma_read(ctl, 0, 0,
						    NIO_SMMU_NO_PASID,
						    0x100000, rb, 0),
			  "DMA of length 0");
		nio_smmu_close(ctl);
	}
	/* Admin only: a process without CAP_NET_ADMIN gets EPERM */
	{
		pid_t pid = fork();
		int st = 0;

		if (!pid) {
			struct nio_smmu_instance *in;
			struct nio_smmu *ctl;
			size_t n;

			if (setgid(65534) || setuid(65534))
				_exit(3);
			if (nio_smmu_open(&ctl))
				_exit(4);
			_exit(nio_smmu_instances(ctl, &in, &n) == -EPERM ?
			      0 : 5);
		}
		waitpid(pid, &st, 0);
		NT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			 "netlink as uid 65534: EPERM (status %d)",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	/*
	 * CAP_NET_ADMIN alone: the listing works, but DMA into the IOAS,
	 * the dumps with host physical addresses (devices' S2TTB, the TLB)
	 * and BENCH need CAP_SYS_ADMIN
	 */
	{
		pid_t pid = fork();
		int st = 0;

		if (!pid) {
			struct __user_cap_header_struct h = {
				.version = _LINUX_CAPABILITY_VERSION_3,
			};
			struct __user_cap_data_struct d[2] = { 0 };
			struct nio_smmu_instance *in = NULL;
			struct nio_smmu_device *dv = NULL;
			struct nio_smmu_tlb_entry *te = NULL;
			struct nio_smmu *ctl;
			uint64_t ns;
			size_t n;
			char rb[4];

			d[0].effective = d[0].permitted =
				1U << CAP_NET_ADMIN;
			if (syscall(SYS_capset, &h, d))
				_exit(3);
			if (nio_smmu_open(&ctl))
				_exit(4);
			if (nio_smmu_instances(ctl, &in, &n))
				_exit(5);
			if (nio_smmu_dma_read(ctl, 0, 0, NIO_SMMU_NO_PASID,
					      0x100000, rb, 4) != -EPERM)
				_exit(6);
			/* the module says why (netlink extended ack) */
			if (!strstr(nio_smmu_last_error(ctl), "CAP_SYS_ADMIN"))
				_exit(11);
			if (nio_smmu_dma_write(ctl, 0, 0, NIO_SMMU_NO_PASID,
					       0x100000, "x", 1) != -EPERM)
				_exit(7);
			if (nio_smmu_devices(ctl, &dv, &n) != -EPERM)
				_exit(8);
			if (nio_smmu_tlb(ctl, 0, &te, &n) != -EPERM)
				_exit(9);
			if (nio_smmu_bench(ctl, 0, 0, NIO_SMMU_BENCH_INVAL,
					   NIO_SMMU_NO_PASID, 0, 1, 0,
					   &ns) != -EPERM)
				_exit(10);
			_exit(0);
		}
		waitpid(pid, &st, 0);
		NT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			 "netlink with CAP_NET_ADMIN only: listing ok, DMA/"
			 "devices/TLB/bench EPERM (status %d)",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	NT_EXPECT(0, nt_ioas_unmap(fd, ioas, 0x100000, 16 * PAGE), "unmap");

	/* domain_alloc_paging_flags rules */
	NT_EXPECT(0, nt_hwpt_alloc(fd, dev_id, ioas, 0, 0, NULL, 0, &hwpt),
		  "HWPT_ALLOC plain paging");
	NT_EXPECT(0, nt_hwpt_alloc(fd, dev_id, ioas,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0,
				   &s2),
		  "HWPT_ALLOC NEST_PARENT");
	NT_EXPECT(EOPNOTSUPP,
		  nt_hwpt_alloc(fd, dev_id, ioas,
				IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0,
				NULL),
		  "HWPT_ALLOC DIRTY_TRACKING (no HTTU)");
	NT_EXPECT(EOPNOTSUPP,
		  nt_hwpt_alloc(fd, dev_id, ioas,
				IOMMU_HWPT_ALLOC_NEST_PARENT |
				IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0,
				NULL),
		  "HWPT_ALLOC NEST_PARENT|DIRTY_TRACKING");
	pt = hwpt;
	NT_EXPECT(0, nt_attach(dev, &pt), "replace with plain HWPT");
	pt = s2;
	NT_EXPECT(0, nt_attach(dev, &pt), "replace with NEST_PARENT HWPT");
	NT_EXPECT(EBUSY, nt_destroy(fd, s2), "destroy attached HWPT");
	NT_EXPECT(0, nt_ioas_map(fd, ioas, buf, 16 * PAGE, 0x200000,
				 IOMMU_IOAS_MAP_READABLE),
		  "map with two domains");

	/* A second endpoint: its own group */
	dev2 = nt_open_ep(0, 1, NULL, 0);
	NT_CHECK(dev2 >= 0, "open second endpoint");
	NT_EXPECT(0, nt_bind(dev2, fd, &dev_id2), "bind second endpoint");
	pt = s2;
	NT_EXPECT(0, nt_attach(dev2, &pt), "attach second endpoint to S2");

	/* No host PASID support (max_pasids 0, no set_dev_pasid) */
	{
		struct vfio_device_attach_iommufd_pt at = {
			.argsz = sizeof(at),
			.flags = VFIO_DEVICE_ATTACH_PASID,
			.pt_id = hwpt,
			.pasid = 1,
		};

		NT_EXPECT(EINVAL, ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at),
			  "PASID attach (iommufd_hwpt_pasid_compat: no ALLOC_PASID HWPT here)");
	}
	NT_EXPECT(0, nt_detach(dev), "detach");
	NT_EXPECT(0, nt_destroy(fd, hwpt), "destroy plain HWPT");
	close(dev2);
	close(dev);
	close(fd);
	return nt_done();
}
