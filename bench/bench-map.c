// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench-map: mapping 1 GiB into an IOAS whose mock domain pins and maps
 * every page, from user memory (nio_ioas_map of an anonymous mmap) versus
 * from a file (nio_ioas_map_file of a memfd).  Both buffers are populated
 * beforehand, so the times are the kernel's pinning and page-table work.
 * Interleaved rounds; reported are the medians of the map and of the unmap
 * time per GiB for both, and their ratio.  (Needs ~2.5 GiB of guest RAM.)
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

int main(int argc, char **argv)
{
	unsigned int rounds = argc > 1 ? (unsigned int)atoi(argv[1]) : 5;
	uint64_t mib = argc > 2 ? strtoull(argv[2], NULL, 0) : 1024;
	uint64_t len = mib << 20;
	double *am, *au, *fm, *fu, gib = (double)len / (1ULL << 30);
	double ram, rau, rfm, rfu;
	char thp[128] = "?";
	unsigned int r;
	void *va;
	int mfd;
	FILE *f;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!rounds || !mib)
		DIE("usage: bench-map [ROUNDS [MiB]]");
	am = calloc(rounds, sizeof(double));
	au = calloc(rounds, sizeof(double));
	fm = calloc(rounds, sizeof(double));
	fu = calloc(rounds, sizeof(double));
	if (!am || !au || !fm || !fu)
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

	va = mmap(NULL, len, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (va == MAP_FAILED)
		DIE("mmap %llu MiB", (unsigned long long)mib);
	mfd = memfd_create("bench-map", 0);
	if (mfd < 0 || ftruncate(mfd, (off_t)len) ||
	    fallocate(mfd, 0, 0, (off_t)len))
		DIE("memfd %llu MiB", (unsigned long long)mib);

	printf("== bench-map: IOAS map of %llu MiB, user VA (anonymous mmap) vs memfd (map_file); mock domain; THP: %s\n",
	       (unsigned long long)mib, thp);
	for (r = 0; r < rounds; r++) {
		if (r % 2) {
			map_once(true, NULL, mfd, len, &fm[r], &fu[r]);
			map_once(false, va, -1, len, &am[r], &au[r]);
		} else {
			map_once(false, va, -1, len, &am[r], &au[r]);
			map_once(true, NULL, mfd, len, &fm[r], &fu[r]);
		}
		printf("round %u: map %.3f s, map_file %.3f s, unmap %.3f s / %.3f s\n",
		       r + 1, am[r], fm[r], au[r], fu[r]);
	}
	ram = median(am, rounds) / gib;
	rau = median(au, rounds) / gib;
	rfm = median(fm, rounds) / gib;
	rfu = median(fu, rounds) / gib;
	printf("map      (user VA): %.3f s/GiB map, %.3f s/GiB unmap\n", ram, rau);
	printf("map_file (memfd)  : %.3f s/GiB map, %.3f s/GiB unmap\n", rfm, rfu);
	printf("INFO map_file/map time ratio: %.3f (map), %.3f (unmap), median of %u rounds\n",
	       rfm / ram, rfu / rau, rounds);
	nio_ctx_unref(ctx);
	return 0;
}
