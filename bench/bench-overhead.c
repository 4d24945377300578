// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench-overhead: the cost of the library over raw ioctls.
 *
 * The same two loops, each through libnestiommu and through the raw
 * ioctls a VMM would issue:
 *   - IOAS map + unmap of one page at a fixed IOVA, on an IOAS whose
 *     nest-parent domain (selftest mock) really maps and pins it;
 *   - cache invalidation, one selftest command per call, on a vIOMMU
 *     (the mock's cache_invalidate, real kernel work).
 * Chunks of the two variants are interleaved (lib/raw, raw/lib, ...);
 * reported are the median per-call times and the median ratio lib/raw over
 * adjacent chunk pairs (and, for reference, the per-round ratios).
 * Target: ratio <= 1.03.  A control (librawcall.so, rawcall.c) puts the raw
 * ioctl alone behind a shared-library call, to separate the price of any
 * library call under TCG from the library's own work.
 *
 * Usage: bench-overhead [ROUNDS [ITERATIONS]]   (default 41 rounds, 200)
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "bench.h"

#define PSZ 4096UL
#define IOVA (MOCK_APERTURE_START + 0x100000)

static struct bench_env e;
static void *page;

static double map_lib(unsigned int n)
{
	double t0 = now_s();
	uint64_t iova;

	while (n--) {
		iova = IOVA;
		if (nio_ioas_map(e.ctx, e.ioas, page, PSZ, &iova,
				 NIO_MAP_FIXED_IOVA | NIO_MAP_READ |
					 NIO_MAP_WRITE) ||
		    nio_ioas_unmap(e.ctx, e.ioas, IOVA, PSZ, NULL))
			DIE("library map/unmap: %s", nio_ctx_last_error(e.ctx));
	}
	return now_s() - t0;
}

static double map_raw(unsigned int n)
{
	double t0 = now_s();

	while (n--) {
		struct iommu_ioas_map m = {
			.size = sizeof(m),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = e.ioas,
			.user_va = (uintptr_t)page,
			.length = PSZ,
			.iova = IOVA,
		};
		struct iommu_ioas_unmap u = {
			.size = sizeof(u),
			.ioas_id = e.ioas,
			.iova = IOVA,
			.length = PSZ,
		};

		if (ioctl(e.fd, IOMMU_IOAS_MAP, &m) ||
		    ioctl(e.fd, IOMMU_IOAS_UNMAP, &u))
			DIE("raw map/unmap");
	}
	return now_s() - t0;
}

static double inv_lib(unsigned int n)
{
	struct iommu_viommu_invalidate_selftest cmd = { .vdev_id = 0x99 };
	double t0 = now_s();
	uint32_t num;

	while (n--) {
		cmd.cache_id = n % 4;
		num = 1;
		if (nio_invalidate(e.ctx, e.viommu, NIO_INVALIDATE_SELFTEST,
				   &cmd, sizeof(cmd), &num))
			DIE("nio_invalidate: %s", nio_ctx_last_error(e.ctx));
	}
	return now_s() - t0;
}

static double inv_raw(unsigned int n)
{
	struct iommu_viommu_invalidate_selftest cmd = { .vdev_id = 0x99 };
	double t0 = now_s();

	while (n--) {
		struct iommu_hwpt_invalidate inv = {
			.size = sizeof(inv),
			.hwpt_id = e.viommu,
			.data_uptr = (uintptr_t)&cmd,
			.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
			.entry_len = sizeof(cmd),
			.entry_num = 1,
		};

		cmd.cache_id = n % 4;
		if (ioctl(e.fd, IOMMU_HWPT_INVALIDATE, &inv) || inv.entry_num != 1)
			DIE("raw IOMMU_HWPT_INVALIDATE");
	}
	return now_s() - t0;
}

/* librawcall.so (rawcall.c): the raw ioctl behind a shared-library call */
int bench_raw_invalidate(int fd, uint32_t id, uint32_t type, const void *cmd,
			 uint32_t len, uint32_t *num);

static double inv_call(unsigned int n)
{
	struct iommu_viommu_invalidate_selftest cmd = { .vdev_id = 0x99 };
	double t0 = now_s();
	uint32_t num;

	while (n--) {
		cmd.cache_id = n % 4;
		num = 1;
		if (bench_raw_invalidate(e.fd, e.viommu,
					 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
					 &cmd, sizeof(cmd), &num))
			DIE("raw IOMMU_HWPT_INVALIDATE (librawcall)");
	}
	return now_s() - t0;
}

/*
 * Rounds of the two loops, interleaved finely: each round alternates
 * chunks of CHUNK iterations of a and of b (in alternating order), so that
 * both see the same disturbances of a shared, loaded host.  Each adjacent
 * pair of chunks gives one ratio a/b; the median over all pairs is robust
 * against a chunk that was descheduled (an outlier in one pair only).
 * Also shown: the median of the per-round ratios and its middle half.
 */
#define CHUNK 10
static double compare(const char *what, double (*a)(unsigned int),
		      double (*b)(unsigned int), unsigned int rounds,
		      unsigned int iters, unsigned int ops_per_iter)
{
	unsigned int chunks = iters / CHUNK, npairs = rounds * chunks, r, k;
	double *ta = calloc(rounds, sizeof(double));
	double *tb = calloc(rounds, sizeof(double));
	double *ratio = calloc(rounds, sizeof(double));
	double *pa = calloc(npairs, sizeof(double));
	double *pb = calloc(npairs, sizeof(double));
	double *pr = calloc(npairs, sizeof(double));
	double ma, mb, mpair, mr, lo, hi;

	if (!ta || !tb || !ratio || !pa || !pb || !pr)
		DIE("calloc");
	a(iters / 4 + 1); /* warm-up */
	b(iters / 4 + 1);
	for (r = 0; r < rounds; r++) {
		for (k = 0; k < chunks; k++) {
			unsigned int i = r * chunks + k;

			if ((k + r) % 2) {
				pb[i] = b(CHUNK);
				pa[i] = a(CHUNK);
			} else {
				pa[i] = a(CHUNK);
				pb[i] = b(CHUNK);
			}
			pr[i] = pa[i] / pb[i];
			ta[r] += pa[i];
			tb[r] += pb[i];
		}
		ratio[r] = ta[r] / tb[r];
	}
	ma = median(pa, npairs) / CHUNK / ops_per_iter * 1e6;
	mb = median(pb, npairs) / CHUNK / ops_per_iter * 1e6;
	mpair = median(pr, npairs);
	mr = median(ratio, rounds);
	lo = ratio[rounds / 4];
	hi = ratio[rounds - 1 - rounds / 4];
	printf("%s: library %.2f us/call, raw ioctl %.2f us/call; ratio library/raw: median %.4f over %u chunk pairs (per-round median %.4f, middle half %.4f..%.4f; %u rounds x %u)\n",
	       what, ma, mb, mpair, npairs, mr, lo, hi, rounds, chunks * CHUNK);
	free(ta);
	free(tb);
	free(ratio);
	free(pa);
	free(pb);
	free(pr);
	return mpair;
}

int main(int argc, char **argv)
{
	unsigned int rounds = argc > 1 ? (unsigned int)atoi(argv[1]) : 41;
	unsigned int iters = argc > 2 ? (unsigned int)atoi(argv[2]) : 200;
	double rmap, rinv, rcall;
	int fail = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (rounds < 3 || iters < CHUNK)
		DIE("usage: bench-overhead [ROUNDS>=3 [ITERATIONS]]");
	bench_env(&e);
	page = mmap(NULL, PSZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (page == MAP_FAILED)
		DIE("mmap");
	printf("== bench-overhead: library vs raw ioctls (selftest mock, nest-parent domain, vIOMMU)\n");
	rmap = compare("IOAS map+unmap (1 page, pinned)", map_lib, map_raw,
		       rounds, iters, 2);
	rinv = compare("invalidate (1 command per call, vIOMMU)", inv_lib,
		       inv_raw, rounds, iters * 2, 1);
	rcall = compare("  control: invalidate, library vs the raw ioctl alone in a shared library",
			inv_lib, inv_call, rounds, iters * 2, 1);
	printf("INFO invalidation loop: library/raw %.3fx = shared-library call alone %.3fx x library's own work %.3fx\n",
	       rinv, rinv / rcall, rcall);
	fail |= verdict("library overhead, IOAS map/unmap loop", rmap, "<=",
			1.03, "x");
	fail |= verdict("library overhead, invalidation loop", rinv, "<=",
			1.03, "x");
	nio_ctx_unref(e.ctx);
	return fail;
}
