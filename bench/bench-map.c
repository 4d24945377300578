// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench-map: mapping 1 GiB into an IOAS whose mock domain pins and maps
 * every page, from user memory (nio_ioas_map of an anonymous mmap) versus
 * from a file (nio_ioas_map_file of a memfd).  All buffers are populated
 * beforehand, so the times are the kernel's pinning and page-table work.
 * With transparent huge pages the anonymous buffer is made of 2 MiB pages
 * while the memfd (shmem) is not, so the user-VA map is also measured on
 * an anonymous buffer with MADV_NOHUGEPAGE (4 KiB pages, like the memfd).
 * Interleaved rounds; reported are the medians of the map and of the unmap
 * time per GiB, and the ratios.  (Needs ~3.5 GiB of guest RAM.)
 *
 * Usage: bench-map [ROUNDS [MiB]]   (default 5 rounds of 1024 MiB)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>

#include "bench.h"

static struct nio_ctx *ctx;
static uint32_t ioas;

static void map_once(bool file, void *va, int mfd, uint64_t len, double *tmap,
		     double *tunmap)
{
	uint64_t iova = MOCK_APERTURE_START, unmapped = 0;
	const uint32_t fl = NIO_MAP_FIXED_IOVA | NIO_MAP_READ | NIO_MAP_WRITE;
	double t0 = now_s();
	int ret;

	ret = file ? nio_ioas_map_file(ctx, ioas, mfd, 0, len, &iova, fl) :
		     nio_ioas_map(ctx, ioas, va, len, &iova, fl);
	if (ret)
		DIE("%s: %s", file ? "map_file" : "map", nio_ctx_last_error(ctx));
	*tmap = now_s() - t0;
	t0 = now_s();
	if (nio_ioas_unmap(ctx, ioas, iova, len, &unmapped) || unmapped != len)
		DIE("unmap: %s", nio_ctx_last_error(ctx));
	*tunmap = now_s() - t0;
}

static void *populated(uint64_t len, bool thp)
{
	void *va = mmap(NULL, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (va == MAP_FAILED)
		DIE("mmap %llu bytes", (unsigned long long)len);
	/* fails only without THP support: no huge pages either way */
	(void)madvise(va, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	memset(va, 0x5a, len);
	return va;
}

int main(int argc, char **argv)
{
	unsigned int rounds = argc > 1 ? (unsigned int)atoi(argv[1]) : 5;
	uint64_t mib = argc > 2 ? strtoull(argv[2], NULL, 0) : 1024;
	uint64_t len = mib << 20;
	double *t[6], gib = (double)len / (1ULL << 30), m[6];
	char thp[128] = "?";
	unsigned int r, i;
	void *va, *va4k;
	int mfd;
	FILE *f;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!rounds || !mib)
		DIE("usage: bench-map [ROUNDS [MiB]]");
	for (i = 0; i < 6; i++)
		if (!(t[i] = calloc(rounds, sizeof(double))))
			DIE("calloc");
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f) {
		if (!fgets(thp, sizeof(thp), f))
			strcpy(thp, "?");
		thp[strcspn(thp, "\n")] = '\0';
		fclose(f);
	}
	if (nio_ctx_open(&ctx, NULL) || nio_ioas_alloc(ctx, &ioas))
		DIE("context/IOAS");
	mock_device(nio_ctx_fd(ctx), ioas, NULL, NULL);

	va = populated(len, true);
	va4k = populated(len, false);
	mfd = memfd_create("bench-map", 0);
	if (mfd < 0 || ftruncate(mfd, (off_t)len) ||
	    fallocate(mfd, 0, 0, (off_t)len))
		DIE("memfd %llu MiB", (unsigned long long)mib);

	printf("== bench-map: IOAS map of %llu MiB through a pinning mock domain: user VA (anonymous, THP; and 4 KiB pages) vs memfd (map_file); THP: %s\n",
	       (unsigned long long)mib, thp);
	/* warm-up (the first call of a kernel path under TCG translates it) */
	{
		double x, y;

		map_once(false, va, -1, len, &x, &y);
		map_once(false, va4k, -1, len, &x, &y);
		map_once(true, NULL, mfd, len, &x, &y);
	}
	for (r = 0; r < rounds; r++) {
		/* rotate the order of the three variants */
		for (i = 0; i < 3; i++) {
			switch ((i + r) % 3) {
			case 0:
				map_once(false, va, -1, len, &t[0][r], &t[1][r]);
				break;
			case 1:
				map_once(false, va4k, -1, len, &t[2][r], &t[3][r]);
				break;
			case 2:
				map_once(true, NULL, mfd, len, &t[4][r], &t[5][r]);
				break;
			}
		}
		printf("round %u: map %.3f s (4 KiB pages %.3f s), map_file %.3f s; unmap %.3f / %.3f / %.3f s\n",
		       r + 1, t[0][r], t[2][r], t[4][r], t[1][r], t[3][r],
		       t[5][r]);
	}
	for (i = 0; i < 6; i++)
		m[i] = median(t[i], rounds) / gib;
	printf("map      (user VA, THP)       : %.3f s/GiB map, %.3f s/GiB unmap\n", m[0], m[1]);
	printf("map      (user VA, 4 KiB)     : %.3f s/GiB map, %.3f s/GiB unmap\n", m[2], m[3]);
	printf("map_file (memfd)              : %.3f s/GiB map, %.3f s/GiB unmap\n", m[4], m[5]);
	printf("INFO map 1 GiB: user VA %.3f s/GiB (4 KiB pages %.3f s/GiB), map_file %.3f s/GiB; map_file/map(4 KiB) %.2fx, median of %u rounds\n",
	       m[0], m[2], m[4], m[4] / m[2], rounds);
	nio_ctx_unref(ctx);
	return 0;
}
