// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestiommu.ko: no stale translation is cached after an invalidation
 * completed.
 *
 * A translation reads the guest's stage 1 tables and caches the result
 * later; an invalidation in between must keep that result out of the TLB
 * (the module's TLB generation).  One thread loops DMA reads of a page;
 * the main thread loops {map the page, wait until the reader used it,
 * clear the PTE, TLBI_NH_VA, DMA must fault}.  A DMA that succeeds after
 * the TLBI returned used a stale TLB entry.
 * Usage (in the VM, after insmod nestiommu.ko): nio_race [ROUNDS]
 * (default NIO_RACE_ROUNDS or 10000: about a minute under TCG)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <nestiommu/smmu.h>

#include "nio_test.h"

#define GPA_BASE	0x40000000ULL
#define GPA_SIZE	(1ULL << 20)
#define VA		0x10000000ULL
#define ASID		7
#define PTE		((GPA_BASE + 0x10000) | 3 | (1 << 10) | (1 << 6))

static atomic_bool stop;
static atomic_ulong reads_ok;

static void *reader(void *arg)
{
	struct nio_smmu *c;
	char b[4];

	(void)arg;
	if (nio_smmu_open(&c))
		nt_die("reader: nio_smmu_open");
	while (!atomic_load(&stop))
		if (!nio_smmu_dma_read(c, 0, 0, NIO_SMMU_NO_PASID, VA, b, 4))
			atomic_fetch_add(&reads_ok, 1);
	nio_smmu_close(c);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *env = getenv("NIO_RACE_ROUNDS");
	unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 0) :
			       env ? strtoul(env, NULL, 0) : 10000;
	struct iommu_hwpt_arm_smmuv3 ste = { .ste = {
		1 | (5ULL << 1) | GPA_BASE, 0 } };
	uint32_t dev_id = 0, ioas = 0, s2 = 0, viommu = 0, vdev = 0, nested = 0;
	unsigned long r, stale = 0, raced = 0, waited = 0;
	volatile uint64_t *pte;
	struct timespec t0, t1;
	struct nio_smmu *ctl;
	uint64_t *g, cmd[2];
	pthread_t th;
	uint8_t *gram;
	int fd, dev;
	char b[4];

	if (nio_smmu_open(&ctl))
		nt_die("nio_smmu_open");
	fd = open("/dev/iommu", O_RDWR);
	dev = nt_open_ep(0, 0, NULL, 0);
	gram = mmap(NULL, GPA_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || dev < 0 || gram == MAP_FAILED)
		nt_die("set-up");
	memset(gram, 0, GPA_SIZE);
	g = (uint64_t *)gram;
	/* CD 0: T0SZ 16, EPD1, V, IPS 48, AA64, ASID 7; TTB0 = L0 at 0x1000 */
	g[0] = 16 | (1ULL << 30) | (1ULL << 31) | (5ULL << 32) | (1ULL << 41) |
	       ((uint64_t)ASID << 48);
	g[1] = GPA_BASE + 0x1000;
	g[0x1000 / 8] = (GPA_BASE + 0x2000) | 3;
	g[0x2000 / 8] = (GPA_BASE + 0x3000) | 3;
	g[0x3000 / 8 + 0x80] = (GPA_BASE + 0x4000) | 3;
	pte = &g[0x4000 / 8];

	NT_EXPECT(0, nt_bind(dev, fd, &dev_id), "bind");
	nt_nest_setup(fd, dev_id, gram, GPA_SIZE, GPA_BASE, 1, &ioas, &s2,
		      &viommu, &vdev);
	NT_EXPECT(0, nt_hwpt_alloc(fd, dev_id, viommu, 0,
				   IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
				   sizeof(ste), &nested), "nested");
	NT_EXPECT(0, nt_attach(dev, &nested), "attach");
	*pte = PTE;
	NT_EXPECT(0, nio_smmu_dma_read(ctl, 0, 0, NIO_SMMU_NO_PASID, VA, b, 4),
		  "DMA through the mapped page");

	if (pthread_create(&th, NULL, reader, NULL))
		nt_die("pthread_create");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (r = 0; r < rounds; r++) {
		unsigned long before = atomic_load(&reads_ok);
		uint32_t num = 1;
		int i, ret;

		*pte = PTE;
		/* Let the reader translate through the valid PTE */
		for (i = 0; i < 2000 && atomic_load(&reads_ok) == before; i++)
			usleep(10);
		if (atomic_load(&reads_ok) != before)
			waited++;
		*pte = 0;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		before = atomic_load(&reads_ok);
		/* TLBI_NH_VA of the page; the ioctl's return is the sync */
		cmd[0] = 0x12 | ((uint64_t)ASID << 48);
		cmd[1] = VA;
		if (nt_invalidate(fd, viommu, cmd, sizeof(cmd), &num))
			nt_die("TLBI_NH_VA");
		ret = nio_smmu_dma_read(ctl, 0, 0, NIO_SMMU_NO_PASID, VA, b, 4);
		if (ret != -EFAULT) {
			if (!stale)
				printf("# round %lu: DMA after the TLBI: %d\n",
				       r, ret);
			stale++;
		}
		if (atomic_load(&reads_ok) != before)
			raced++;	/* the reader translated across it */
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	atomic_store(&stop, true);
	pthread_join(th, NULL);
	printf("# %lu rounds in %.1f s; the reader translated through the "
	       "valid PTE in %lu, across the clear+TLBI in %lu; %lu stale\n",
	       rounds, (t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9, waited, raced, stale);
	NT_CHECK(waited > rounds / 2,
		 "the reader used the page in most rounds (%lu of %lu)",
		 waited, rounds);
	NT_CHECK(stale == 0,
		 "no DMA succeeded after its TLBI returned (%lu stale of %lu)",
		 stale, rounds);

	NT_EXPECT(0, nt_detach(dev), "detach");
	close(dev);
	close(fd);
	nio_smmu_close(ctl);
	return nt_done();
}
