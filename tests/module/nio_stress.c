// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestiommu.ko under concurrency: for a few seconds, threads run DMA
 * (two endpoints on one stage 2), invalidations of every accepted kind,
 * HWPT replaces (nested S1 / bypass / abort), stage 2 unmap and remap of
 * the data pages, TLB dumps and MSI triggers, all at once.  The results
 * must stay within the expected set (a DMA translates, faults or aborts)
 * and the kernel must stay clean (run-vm.sh fails on any lockdep report,
 * WARN or oops).  Usage: nio_stress [SECONDS]
 */
#include <pthread.h>
#include <sys/eventfd.h>

#include <nestiommu/smmu.h>

#include "nio_test.h"

#define GPA_BASE	0x40000000ULL
#define GPA_SIZE	(256ULL << 10)
#define DATA_OFF	0x20000ULL
#define VA		0x10000000ULL

static int fd, dev[2], stop_flag;
static uint32_t dev_id[2], ioas, s2, viommu, h_s1, h_bypass, h_abort;
static uint8_t *gram;
static unsigned long bad, ops[6];

static void *dma_thread(void *arg)
{
	long which = (long)arg;
	struct nio_smmu *ctl;
	uint8_t b[64];

	if (nio_smmu_open(&ctl))
		return NULL;
	while (!__atomic_load_n(&stop_flag, __ATOMIC_RELAXED)) {
		uint64_t va = VA + (rand() % 16) * 4096 + (rand() % 64);
		int r = rand() % 2 ?
			nio_smmu_dma_write(ctl, 0, which, NIO_SMMU_NO_PASID,
					   va, b, sizeof(b)) :
			nio_smmu_dma_read(ctl, 0, which, NIO_SMMU_NO_PASID,
					  va, b, sizeof(b));

		if (r && r != -EFAULT && r != -EPERM)
			__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&ops[which], 1, __ATOMIC_RELAXED);
	}
	nio_smmu_close(ctl);
	return NULL;
}

static void *inv_thread(void *arg)
{
	static const uint64_t cmds[][2] = {
		{ 0x10, 0 }, { 0x30, 0 }, { 0x11 | (5ULL << 48), 0 },
		{ 0x12 | (5ULL << 48), VA }, { 0x13, VA + 0x3000 },
		{ 0x05 | (0x10ULL << 32), 0 }, { 0x06 | (0x11ULL << 32), 0 },
	};
	uint32_t num;

	while (!__atomic_load_n(&stop_flag, __ATOMIC_RELAXED)) {
		uint64_t c[2];
		int r;

		memcpy(c, cmds[rand() % 7], sizeof(c));
		num = 1;
		r = nt_invalidate(fd, viommu, c, 16, &num);
		if (r && errno != EIO)	/* EIO: vDEVICE gone meanwhile */
			__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&ops[2], 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *replace_thread(void *arg)
{
	const uint32_t hw[] = { h_s1, h_s1, h_bypass, h_abort };

	while (!__atomic_load_n(&stop_flag, __ATOMIC_RELAXED)) {
		uint32_t pt = hw[rand() % 4];
		int d = rand() % 2;

		if (rand() % 8 == 0) {
			if (nt_detach(dev[d]))
				__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		} else if (nt_attach(dev[d], &pt)) {
			__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		}
		__atomic_add_fetch(&ops[3], 1, __ATOMIC_RELAXED);
		usleep(200);
	}
	return NULL;
}

static void *unmap_thread(void *arg)
{
	while (!__atomic_load_n(&stop_flag, __ATOMIC_RELAXED)) {
		uint64_t off = DATA_OFF + (rand() % 16) * 4096;

		if (nt_ioas_unmap(fd, ioas, GPA_BASE + off, 4096) ||
		    nt_ioas_map(fd, ioas, gram + off, 4096, GPA_BASE + off,
				IOMMU_IOAS_MAP_READABLE |
				IOMMU_IOAS_MAP_WRITEABLE))
			__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&ops[4], 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *misc_thread(void *arg)
{
	struct nio_smmu *ctl;
	int efd = eventfd(0, EFD_NONBLOCK);

	if (nio_smmu_open(&ctl))
		return NULL;
	nio_smmu_set_msi(ctl, 0, 0, 0, VA + 15 * 4096, efd, false);
	while (!__atomic_load_n(&stop_flag, __ATOMIC_RELAXED)) {
		struct nio_smmu_tlb_entry *e;
		struct nio_smmu_device *d;
		size_t n;
		int r;

		if (!nio_smmu_tlb(ctl, 0, &e, &n))
			free(e);
		if (!nio_smmu_devices(ctl, &d, &n))
			free(d);
		r = nio_smmu_msi_trigger(ctl, 0, 0, 0);
		if (r && r != -EFAULT && r != -EPERM)
			__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&ops[5], 1, __ATOMIC_RELAXED);
	}
	nio_smmu_set_msi(ctl, 0, 0, 0, 0, -1, false);
	close(efd);
	nio_smmu_close(ctl);
	return NULL;
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 8;
	struct iommu_hwpt_arm_smmuv3 ste = { .ste = {
		1 | (5ULL << 1) | GPA_BASE, 2 } };
	pthread_t th[6];
	uint32_t vdev0, vdev1, pt;
	uint64_t *g;
	int i;

	fd = open("/dev/iommu", O_RDWR);
	dev[0] = nt_open_ep(0, 0, NULL, 0);
	dev[1] = nt_open_ep(0, 1, NULL, 0);
	gram = mmap(NULL, GPA_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || dev[0] < 0 || dev[1] < 0 || gram == MAP_FAILED)
		nt_die("set-up");
	memset(gram, 0, GPA_SIZE);
	g = (uint64_t *)gram;
	/* CD 0 (EPD1, ASID 5), tables, 16 pages at VA; page 15 -> MSI */
	g[0] = 16 | (1ULL << 30) | (1ULL << 31) | (5ULL << 32) |
	       (1ULL << 41) | (5ULL << 48);
	g[1] = GPA_BASE + 0x1000;
	g[0x1000 / 8] = (GPA_BASE + 0x2000) | 3;
	g[0x2000 / 8] = (GPA_BASE + 0x3000) | 3;
	g[0x3000 / 8 + 0x80] = (GPA_BASE + 0x4000) | 3;
	for (i = 0; i < 15; i++)
		g[0x4000 / 8 + i] = (GPA_BASE + DATA_OFF + i * 4096) | 3 |
				    (1 << 10) | (1 << 6);
	g[0x4000 / 8 + 15] = 0x8000000 | 3 | (1 << 10) | (1 << 6);

	NT_EXPECT(0, nt_bind(dev[0], fd, &dev_id[0]), "bind 0");
	NT_EXPECT(0, nt_bind(dev[1], fd, &dev_id[1]), "bind 1");
	NT_EXPECT(0, nt_ioas_alloc(fd, &ioas), "IOAS");
	NT_EXPECT(0, nt_ioas_map(fd, ioas, gram, DATA_OFF, GPA_BASE,
				 IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE), "map tables");
	for (i = 0; i < 16; i++)
		nt_ioas_map(fd, ioas, gram + DATA_OFF + i * 4096, 4096,
			    GPA_BASE + DATA_OFF + i * 4096,
			    IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE);
	NT_EXPECT(0, nt_hwpt_alloc(fd, dev_id[0], ioas,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0,
				   &s2), "S2");
	NT_EXPECT(0, nt_viommu_alloc(fd, dev_id[0], s2,
				     IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &viommu),
		  "vIOMMU");
	NT_EXPECT(0, nt_vdevice_alloc(fd, viommu, dev_id[0], 0x10, &vdev0),
		  "vDEVICE 0");
	NT_EXPECT(0, nt_vdevice_alloc(fd, viommu, dev_id[1], 0x11, &vdev1),
		  "vDEVICE 1");
	NT_EXPECT(0, nt_hwpt_alloc(fd, dev_id[0], viommu, 0,
				   IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
				   sizeof(ste), &h_s1), "nested S1");
	ste.ste[0] = 1 | (4ULL << 1);
	ste.ste[1] = 0;
	NT_EXPECT(0, nt_hwpt_alloc(fd, dev_id[0], viommu, 0,
				   IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
				   sizeof(ste), &h_bypass), "nested bypass");
	ste.ste[0] = 1;
	NT_EXPECT(0, nt_hwpt_alloc(fd, dev_id[0], viommu, 0,
				   IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
				   sizeof(ste), &h_abort), "nested abort");
	pt = h_s1;
	NT_EXPECT(0, nt_attach(dev[0], &pt), "attach 0");
	pt = h_s1;
	NT_EXPECT(0, nt_attach(dev[1], &pt), "attach 1");

	pthread_create(&th[0], NULL, dma_thread, (void *)0L);
	pthread_create(&th[1], NULL, dma_thread, (void *)1L);
	pthread_create(&th[2], NULL, inv_thread, NULL);
	pthread_create(&th[3], NULL, replace_thread, NULL);
	pthread_create(&th[4], NULL, unmap_thread, NULL);
	pthread_create(&th[5], NULL, misc_thread, NULL);
	sleep(secs);
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	printf("# %d s: DMA %lu + %lu, invalidations %lu, replaces %lu, "
	       "S2 unmap/map %lu, dumps+MSI %lu\n", secs, ops[0], ops[1],
	       ops[2], ops[3], ops[4], ops[5]);
	NT_CHECK(bad == 0, "no unexpected result (%lu)", bad);
	NT_CHECK(ops[0] && ops[1] && ops[2] && ops[3] && ops[4] && ops[5],
		 "every thread made progress");
	close(dev[0]);
	close(dev[1]);
	close(fd);
	return nt_done();
}
