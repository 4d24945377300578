// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small VMM for the recorder's tests: the iommufd and VFIO-cdev calls of
 * QEMU's accelerated SMMUv3 path, made with raw ioctls the way QEMU makes
 * them (an EMSGSIZE probe of the IOVA ranges, an automatic HWPT first,
 * then a nest parent, vIOMMU, vDEVICE, vSTE, forwarded invalidations one
 * at a time and as an array that fails part-way, a vEVENTQ, VFIO region
 * queries that no plan expresses, an ioctl nobody knows, a descriptor
 * duplicated with dup(), IOAS maps from several threads at once, a forked
 * child whose call the recording must not contain).
 *
 * It prints every call's result (return value, errno, IDs, IOVAs,
 * entry_num) so that the test can check that the recorder changes none of
 * them.  "kill" as argument: SIGKILL itself half-way (the recording must
 * still be a valid plan).  "bar": only map the device's BAR 0 into an IOAS
 * as QEMU does for peer-to-peer DMA (a vfio-pci device; the recorder must
 * keep that map out of the plan).  $REC_VMM_CDEV: the VFIO cdev (default
 * /dev/vfio/devices/vfio0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uapi.h"

#define NTHREADS 4
#define NMAPS 25

static int iommufd;
static uint32_t ioas;
static char *ram;

static void show(const char *what, int ret, unsigned long long v)
{
	printf("%-28s ret=%d errno=%d value=0x%llx\n", what, ret,
	       ret < 0 ? errno : 0, v);
}

static void *mapper(void *arg)
{
	uintptr_t t = (uintptr_t)arg;
	static pthread_mutex_t out = PTHREAD_MUTEX_INITIALIZER;
	uint64_t iovas[NMAPS];
	int fails = 0;

	for (int i = 0; i < NMAPS; i++) {
		struct iommu_ioas_map m = {
			.size = sizeof(m), .ioas_id = ioas,
			.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
			.user_va = (uintptr_t)ram + (t * NMAPS + (uint64_t)i) * 4096,
			.length = 4096,
		};

		if (ioctl(iommufd, IOMMU_IOAS_MAP, &m))
			fails++;
		iovas[i] = m.iova;
		if (i % 3 == 2) {
			struct iommu_ioas_unmap u = {
				.size = sizeof(u), .ioas_id = ioas,
				.iova = iovas[i - 1], .length = 4096,
			};

			if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &u))
				fails++;
		}
	}
	pthread_mutex_lock(&out);
	printf("thread %u: %d failures\n", (unsigned int)t, fails);
	pthread_mutex_unlock(&out);
	return NULL;
}

/* VFIO_DEVICE_GET_REGION_INFO (linux/vfio.h) */
struct region_info {
	uint32_t argsz, flags, index, cap_offset;
	uint64_t size, offset;
};

static int bar_map(const char *path)
{
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct region_info ri = { .argsz = sizeof(ri), .index = 0 };
	int cdev = open(path, O_RDWR | O_CLOEXEC), ret;
	void *bar;

	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (cdev < 0 || iommufd < 0)
		return 1;
	b.iommufd = iommufd;
	show("BIND", ioctl(cdev, VFIO_DEVICE_BIND_IOMMUFD, &b), b.out_devid);
	show("IOAS_ALLOC", ioctl(iommufd, IOMMU_IOAS_ALLOC, &ia), ia.out_ioas_id);
	at.pt_id = ia.out_ioas_id;
	show("ATTACH", ioctl(cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), at.pt_id);
	ret = ioctl(cdev, _IO(';', 100 + 8), &ri);
	show("GET_REGION_INFO 0", ret, ri.size);
	bar = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, cdev,
		   (off_t)ri.offset);
	if (bar == MAP_FAILED) {
		perror("mmap BAR 0");
		return 1;
	}
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ia.out_ioas_id,
		.user_va = (uintptr_t)bar, .length = ri.size, .iova = 0x80000000,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
	};
	show("IOAS_MAP BAR 0", ioctl(iommufd, IOMMU_IOAS_MAP, &m), m.iova);
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ia.out_ioas_id,
				      .iova = 0x80000000, .length = ri.size };
	show("IOAS_UNMAP BAR 0", ioctl(iommufd, IOMMU_IOAS_UNMAP, &u), u.length);
	return 0;
}

int main(int argc, char **argv)
{
	bool kill_self = argc > 1 && !strcmp(argv[1], "kill");
	struct iommu_iova_range ranges[8];
	pthread_t th[NTHREADS];
	uint32_t dev, s2, viommu, vdev, abort_hwpt, nested, evq, auto_hwpt;
	uint64_t words[2];
	int cdev, dupfd, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "bar"))
		return bar_map(getenv("REC_VMM_CDEV") ? getenv("REC_VMM_CDEV") :
			       "/dev/vfio/devices/vfio0");
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	show("open /dev/iommu", iommufd < 0 ? -1 : 0, 0);
	if (iommufd < 0)
		return 1;
	/* 1 MiB-aligned, so that kernel-chosen IOVAs (aligned like the
	 * address) do not depend on where mmap() put it */
	ram = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		return 1;
	ram = (char *)(((uintptr_t)ram + (1 << 20) - 1) & ~(uintptr_t)((1 << 20) - 1));

	/* QEMU's first call (live update support) */
	struct iommu_ioas_change_process cp = { .size = sizeof(cp) };
	ret = ioctl(iommufd, IOMMU_IOAS_CHANGE_PROCESS, &cp);
	show("IOAS_CHANGE_PROCESS", ret, 0);

	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	ret = ioctl(iommufd, IOMMU_IOAS_ALLOC, &ia);
	ioas = ia.out_ioas_id;
	show("IOAS_ALLOC", ret, ioas);

	/* QEMU asks for the count first */
	struct iommu_ioas_iova_ranges ir = { .size = sizeof(ir), .ioas_id = ioas };
	ret = ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &ir);
	show("IOVA_RANGES probe", ret, ir.num_iovas);
	ir.allowed_iovas = (uintptr_t)ranges;
	ret = ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &ir);
	show("IOVA_RANGES", ret, ranges[0].last);

	cdev = open(getenv("REC_VMM_CDEV") ? getenv("REC_VMM_CDEV") :
		    "/dev/vfio/devices/vfio0", O_RDWR | O_CLOEXEC);
	struct vfio_device_info di = { .argsz = sizeof(di) };
	ret = ioctl(cdev, VFIO_DEVICE_GET_INFO, &di);
	show("VFIO_DEVICE_GET_INFO", ret, di.num_regions);
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = iommufd };
	ret = ioctl(cdev, VFIO_DEVICE_BIND_IOMMUFD, &b);
	dev = b.out_devid;
	show("BIND", ret, dev);

	uint8_t info[64];
	struct iommu_hw_info hi = { .size = sizeof(hi), .dev_id = dev,
				    .data_len = sizeof(info),
				    .data_uptr = (uintptr_t)info };
	ret = ioctl(iommufd, IOMMU_GET_HW_INFO, &hi);
	show("GET_HW_INFO", ret, hi.out_data_type);

	/* guest RAM, fixed IOVA; a read-only ROM at a kernel-chosen IOVA */
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)ram,
		.length = 1 << 16, .iova = 0x40000000,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
	};
	ret = ioctl(iommufd, IOMMU_IOAS_MAP, &m);
	show("IOAS_MAP ram", ret, m.iova);
	m.flags = IOMMU_IOAS_MAP_READABLE;
	m.user_va = (uintptr_t)ram + (1 << 16);
	m.length = 8192;
	ret = ioctl(iommufd, IOMMU_IOAS_MAP, &m);
	show("IOAS_MAP rom", ret, m.iova);
	/* overlapping: EEXIST */
	m.flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
	m.iova = 0x40000000;
	ret = ioctl(iommufd, IOMMU_IOAS_MAP, &m);
	show("IOAS_MAP overlap", ret, 0);

	/* the VFIO core attaches to the IOAS first: an automatic HWPT */
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = ioas };
	ret = ioctl(cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	auto_hwpt = at.pt_id;
	show("ATTACH ioas", ret, auto_hwpt);

	struct iommu_hwpt_alloc ha = { .size = sizeof(ha), .dev_id = dev,
				       .pt_id = ioas,
				       .flags = IOMMU_HWPT_ALLOC_NEST_PARENT };
	ret = ioctl(iommufd, IOMMU_HWPT_ALLOC, &ha);
	s2 = ha.out_hwpt_id;
	show("HWPT_ALLOC nest parent", ret, s2);
	at.pt_id = s2;
	ret = ioctl(cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	show("ATTACH s2", ret, at.pt_id);

	struct iommu_viommu_alloc va = { .size = sizeof(va), .dev_id = dev,
					 .hwpt_id = s2,
					 .type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3 };
	ret = ioctl(iommufd, IOMMU_VIOMMU_ALLOC, &va);
	viommu = va.out_viommu_id;
	show("VIOMMU_ALLOC", ret, viommu);

	/* QEMU's abort vSTE {V}, then the guest's STE */
	words[0] = 1;
	words[1] = 0;
	ha = (struct iommu_hwpt_alloc){ .size = sizeof(ha), .dev_id = dev,
					.pt_id = viommu,
					.data_type = IOMMU_HWPT_DATA_ARM_SMMUV3,
					.data_len = 16, .data_uptr = (uintptr_t)words };
	ret = ioctl(iommufd, IOMMU_HWPT_ALLOC, &ha);
	abort_hwpt = ha.out_hwpt_id;
	show("HWPT_ALLOC abort", ret, abort_hwpt);

	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .viommu_id = viommu,
					  .dev_id = dev, .virt_id = 0x10 };
	ret = ioctl(iommufd, IOMMU_VDEVICE_ALLOC, &vd);
	vdev = vd.out_vdevice_id;
	show("VDEVICE_ALLOC", ret, vdev);

	words[0] = 0x40000000ULL | 0xb; /* V, Cfg=S1_TRANS, S1ContextPtr */
	ha.data_uptr = (uintptr_t)words;
	ret = ioctl(iommufd, IOMMU_HWPT_ALLOC, &ha);
	nested = ha.out_hwpt_id;
	show("HWPT_ALLOC nested", ret, nested);
	at.pt_id = nested;
	ret = ioctl(cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	show("ATTACH nested", ret, at.pt_id);

	/* a vSTE the kernel refuses (Config S2_TRANS): EIO */
	words[0] = 0xd;
	ret = ioctl(iommufd, IOMMU_HWPT_ALLOC, &ha);
	show("HWPT_ALLOC bad vSTE", ret, 0);

	/* each guest command alone, as QEMU forwards them, then an array
	 * whose third entry is refused: entry_num tells how far it went */
	uint64_t cmds[4][2] = {
		{ 0x06 | (0x10ULL << 32), 0 },   /* CFGI_CD_ALL sid 16 */
		{ 0x11 | (1ULL << 48), 0 },      /* TLBI_NH_ASID asid 1 */
		{ 0x46, 0 },                     /* CMD_SYNC: refused */
		{ 0x11, 0 },
	};
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv), .hwpt_id = viommu,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = 16, .entry_num = 1, .data_uptr = (uintptr_t)cmds,
	};
	ret = ioctl(iommufd, IOMMU_HWPT_INVALIDATE, &inv);
	show("INVALIDATE one", ret, inv.entry_num);
	inv.entry_num = 4;
	ret = ioctl(iommufd, IOMMU_HWPT_INVALIDATE, &inv);
	show("INVALIDATE array", ret, inv.entry_num);

	struct iommu_veventq_alloc ea = { .size = sizeof(ea), .viommu_id = viommu,
					  .type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
					  .veventq_depth = 64 };
	ret = ioctl(iommufd, IOMMU_VEVENTQ_ALLOC, &ea);
	evq = ea.out_veventq_id;
	show("VEVENTQ_ALLOC", ret, evq);

	/* an ioctl nobody knows, on the iommufd and on the cdev */
	ret = ioctl(iommufd, _IO(';', 0xef), NULL);
	show("unknown iommufd ioctl", ret, 0);
	ret = ioctl(cdev, _IO(';', 99), NULL);
	show("unknown vfio ioctl", ret, 0);

	/* the same context through a duplicate descriptor */
	dupfd = dup(iommufd);
	struct iommu_ioas_alloc ia2 = { .size = sizeof(ia2) };
	ret = ioctl(dupfd, IOMMU_IOAS_ALLOC, &ia2);
	show("IOAS_ALLOC on dup", ret, ia2.out_ioas_id);
	struct iommu_destroy d = { .size = sizeof(d), .id = ia2.out_ioas_id };
	ret = ioctl(dupfd, IOMMU_DESTROY, &d);
	show("DESTROY", ret, 0);
	close(dupfd);
	d.id = s2;
	ret = ioctl(iommufd, IOMMU_DESTROY, &d);
	show("DESTROY busy s2", ret, 0);

	/* a forked child's calls are not the recorded process's */
	pid_t child = fork();
	if (child == 0) {
		struct iommu_ioas_alloc cia = { .size = sizeof(cia) };

		_exit(ioctl(iommufd, IOMMU_IOAS_ALLOC, &cia) ? 1 : 0);
	}
	int wst = 0;
	waitpid(child, &wst, 0);
	show("forked child's IOAS_ALLOC", WIFEXITED(wst) ? -WEXITSTATUS(wst) : -9, 0);

	if (kill_self) {
		fflush(stdout);
		raise(SIGKILL);
	}

	/* maps and unmaps from several threads at once (kernel-chosen IOVAs:
	 * the replay gives the same ones only in the same order) */
	for (uintptr_t t = 0; t < NTHREADS; t++)
		pthread_create(&th[t], NULL, mapper, (void *)t);
	for (int t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);

	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
				      .iova = 0x40000000, .length = 1 << 16 };
	ret = ioctl(iommufd, IOMMU_IOAS_UNMAP, &u);
	show("IOAS_UNMAP ram", ret, u.length);
	/* exit with the rest still there: the graph is taken at exit */
	return 0;
}
