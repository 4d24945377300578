// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestiommu.ko teardown in every order: a full nesting set-up (IOAS with
 * guest RAM, stage 2, vIOMMU, vDEVICE, vEVENTQ, nested HWPT, attached
 * endpoint) is torn down in each of the 5040 orders of its 7 teardown
 * steps.  A step whose dependants still exist must fail with EBUSY and
 * leave everything working; every 10th order also runs a DMA after each
 * step (it must translate, fault or abort, never crash); every 7th order
 * stops half way and closes the descriptors with the rest still alive.
 * The module must then unload (vm-run.sh checks), i.e. nothing leaked a
 * module reference.
 */
#include <nestiommu/smmu.h>

#include "nio_test.h"

#define GPA_BASE	0x40000000ULL
#define GPA_SIZE	(64ULL << 10)

enum step { DETACH, NESTED, VDEV, VEVENTQ, VIOMMU, S2, IOAS, NSTEPS };

static const char *const names[NSTEPS] = {
	"detach", "nested", "vdevice", "veventq", "viommu", "s2", "ioas",
};

/* Steps that must be done before each one (bit mask) */
static const unsigned int deps[NSTEPS] = {
	[NESTED] = 1 << DETACH,
	[VIOMMU] = 1 << NESTED | 1 << VDEV | 1 << VEVENTQ,
	[S2] = 1 << VIOMMU,
	[IOAS] = 1 << S2,
};

struct setup {
	int fd, dev, evfd;
	uint32_t dev_id, id[NSTEPS];
};

static uint8_t *gram;

static int build(struct setup *s)
{
	struct iommu_hwpt_arm_smmuv3 ste = { .ste = {
		1 | (5ULL << 1) | GPA_BASE, 2 } };
	uint32_t pt;

	s->fd = open("/dev/iommu", O_RDWR);
	s->dev = nt_open_ep(0, 0, NULL, 0);
	if (s->fd < 0 || s->dev < 0)
		return -1;
	if (nt_bind(s->dev, s->fd, &s->dev_id) ||
	    nt_ioas_alloc(s->fd, &s->id[IOAS]) ||
	    nt_ioas_map(s->fd, s->id[IOAS], gram, GPA_SIZE, GPA_BASE,
			IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE) ||
	    nt_hwpt_alloc(s->fd, s->dev_id, s->id[IOAS],
			  IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0,
			  &s->id[S2]) ||
	    nt_viommu_alloc(s->fd, s->dev_id, s->id[S2],
			    IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &s->id[VIOMMU]) ||
	    nt_vdevice_alloc(s->fd, s->id[VIOMMU], s->dev_id, 0x10,
			     &s->id[VDEV]) ||
	    nt_veventq_alloc(s->fd, s->id[VIOMMU],
			     IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 8, &s->id[VEVENTQ],
			     &s->evfd) ||
	    nt_hwpt_alloc(s->fd, s->dev_id, s->id[VIOMMU], 0,
			  IOMMU_HWPT_DATA_ARM_SMMUV3, &ste, sizeof(ste),
			  &s->id[NESTED]))
		return -1;
	pt = s->id[NESTED];
	return nt_attach(s->dev, &pt);
}

static int do_step(struct setup *s, enum step st)
{
	if (st == DETACH)
		return nt_detach(s->dev);
	/* The vEVENTQ's fd holds a reference on it */
	if (st == VEVENTQ && s->evfd >= 0) {
		close(s->evfd);
		s->evfd = -1;
	}
	return nt_destroy(s->fd, s->id[st]);
}

static bool next_perm(int *a, int n)
{
	int i = n - 2, j, t;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return false;
	j = n - 1;
	while (a[j] <= a[i])
		j--;
	t = a[i]; a[i] = a[j]; a[j] = t;
	for (i++, j = n - 1; i < j; i++, j--) {
		t = a[i]; a[i] = a[j]; a[j] = t;
	}
	return true;
}

int main(void)
{
	int perm[NSTEPS] = { 0, 1, 2, 3, 4, 5, 6 };
	unsigned int nperm = 0, bad = 0, busy_ok = 0, dma_done = 0;
	struct nio_smmu *ctl;
	uint64_t *g;

	if (nio_smmu_open(&ctl))
		nt_die("nio_smmu_open");
	gram = mmap(NULL, GPA_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (gram == MAP_FAILED)
		nt_die("mmap");
	memset(gram, 0, GPA_SIZE);
	g = (uint64_t *)gram;
	/* CD 0, then a 4-level table mapping VA 0 to IPA GPA_BASE + 0x8000 */
	g[0] = 16 | (1ULL << 30) | (1ULL << 31) | (5ULL << 32) | (1ULL << 41) | (9ULL << 48);
	g[1] = GPA_BASE + 0x1000;
	g[0x1000 / 8] = (GPA_BASE + 0x2000) | 3;
	g[0x2000 / 8] = (GPA_BASE + 0x3000) | 3;
	g[0x3000 / 8] = (GPA_BASE + 0x4000) | 3;
	g[0x4000 / 8] = (GPA_BASE + 0x8000) | 3 | (1 << 10) | (1 << 6);

	do {
		unsigned int done = 0;
		bool close_early = (nperm % 7) == 3;
		bool dma = (nperm % 10) == 0;
		struct setup s = { .fd = -1, .dev = -1, .evfd = -1 };
		int k, pass;

		if (build(&s)) {
			bad++;
			printf("# order %u: set-up failed: %s\n", nperm,
			       strerror(errno));
			goto next;
		}
		for (pass = 0; pass < NSTEPS && done != (1u << NSTEPS) - 1;
		     pass++) {
			for (k = 0; k < NSTEPS; k++) {
				enum step st = perm[k];
				bool can = (deps[st] & ~done) == 0;
				int r, e;

				if (done & (1u << st))
					continue;
				if (close_early && k == NSTEPS / 2)
					goto next;
				r = do_step(&s, st);
				e = r ? errno : 0;
				if (can ? e != 0 : e != EBUSY) {
					bad++;
					printf("# order %u: %s: %s (deps %s)\n",
					       nperm, names[st],
					       e ? strerror(e) : "success",
					       can ? "done" : "pending");
				} else if (!can) {
					busy_ok++;
				}
				if (!e)
					done |= 1u << st;
				if (dma) {
					uint8_t b[8];
					int d = nio_smmu_dma_read(ctl, 0, 0,
						NIO_SMMU_NO_PASID, 0, b, 8);

					dma_done++;
					if (d && d != -EFAULT && d != -EPERM) {
						bad++;
						printf("# order %u: DMA after %s: %d\n",
						       nperm, names[st], d);
					}
				}
			}
		}
next:
		if (s.evfd >= 0)
			close(s.evfd);
		if (s.dev >= 0)
			close(s.dev);
		if (s.fd >= 0)
			close(s.fd);
		nperm++;
	} while (next_perm(perm, NSTEPS));

	printf("# %u orders, %u EBUSY as expected, %u DMAs\n", nperm, busy_ok,
	       dma_done);
	NT_CHECK(nperm == 5040, "all 5040 teardown orders tried");
	NT_CHECK(bad == 0, "every step failed only with EBUSY on a dependant, "
		 "DMA never misbehaved (%u problems)", bad);
	nio_smmu_close(ctl);
	return nt_done();
}
