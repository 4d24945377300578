// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench-apply: "nestctl apply" of a plan with N operations against a C
 * program doing the same library calls, side by side in one run.
 *
 *   bench-apply plan N [MAPLEN] [mock]     print the plan (JSON) on stdout
 *   bench-apply lib N [MAPLEN] [mock]      do the N operations through
 *                                          libnestiommu
 *   bench-apply run N NESTCTL [R] [MAPLEN] [mock]
 *          time R rounds (default 11) of both, each as its own process,
 *          alternating; print medians, minima and their ratios as JSON;
 *          exit 1 when the median ratio nestctl/C > 1.5 (the issue's
 *          bound).  The minimum is printed too because on a loaded host
 *          (TCG shares the CPUs with everything else) interference only
 *          ever adds time: the minima are the least disturbed runs.
 *
 * The operations: N/100 IOAS allocations (each followed, with "mock", by
 * an IOMMUFD_TEST mock device attached to it, so that mapping pins pages
 * into a domain as with a real device), then mappings of one fresh buffer
 * of MAPLEN bytes (default 4096) each at a fixed IOVA and their unmaps,
 * alternating, so the plan has exactly N steps.  Both sides mmap and touch
 * a buffer per mapping (a VMM maps memory it allocated).  Both sides are
 * timed from fork to exit, so process start-up, plan parsing and
 * nestctl's JSON output (to /dev/null) count against nestctl.
 *
 * "MAPLEN 4096, no mock" is the worst case for nestctl (least kernel work
 * per operation); report it together with the others.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sys/ioctl.h>

#include <nestiommu/nestiommu.h>

#include "../../cli/iommufd_test.h"

static unsigned long long MAP_LEN = 4096;
static int use_mock;
#define IOVA_BASE 0x1000000ULL /* MOCK_APERTURE_START */

struct op {
	enum { OP_ALLOC, OP_MOCK, OP_MAP, OP_UNMAP } kind;
	unsigned int ioas; /* index */
	uint64_t iova;
};

/* The operation list both sides perform. */
static struct op *make_ops(unsigned int n)
{
	struct op *ops = calloc(n ? n : 1, sizeof(*ops));
	unsigned int nioas = n / 100 ? n / 100 : 1, i, k = 0;

	if (!ops)
		abort();
	if (nioas > n)
		nioas = n;
	for (i = 0; i < nioas && k < n; i++) {
		ops[k++] = (struct op){ OP_ALLOC, i, 0 };
		if (use_mock && k < n)
			ops[k++] = (struct op){ OP_MOCK, i, 0 };
	}
	for (i = 0; k < n; i++) {
		uint64_t iova = IOVA_BASE + (uint64_t)(i / nioas) * MAP_LEN;

		ops[k++] = (struct op){ OP_MAP, i % nioas, iova };
		if (k < n)
			ops[k++] = (struct op){ OP_UNMAP, i % nioas, iova };
	}
	return ops;
}

static int do_plan(unsigned int n)
{
	struct op *ops = make_ops(n);

	printf("[\n");
	for (unsigned int i = 0; i < n; i++) {
		const struct op *o = &ops[i];

		if (o->kind == OP_ALLOC)
			printf("{\"op\":\"ioas-alloc\",\"name\":\"ioas%u\"}", o->ioas);
		else if (o->kind == OP_MOCK)
			printf("{\"op\":\"mock-device\",\"name\":\"mock%u\",\"pt\":"
			       "\"ioas%u\"}", o->ioas, o->ioas);
		else if (o->kind == OP_MAP)
			printf("{\"op\":\"ioas-map\",\"ioas\":\"ioas%u\",\"length\":%llu,"
			       "\"iova\":%" PRIu64 "}", o->ioas, MAP_LEN, o->iova);
		else
			printf("{\"op\":\"ioas-unmap\",\"ioas\":\"ioas%u\",\"iova\":%" PRIu64
			       ",\"length\":%llu}", o->ioas, o->iova, MAP_LEN);
		printf(i + 1 < n ? ",\n" : "\n");
	}
	printf("]\n");
	free(ops);
	return 0;
}

static int do_lib(unsigned int n)
{
	struct op *ops = make_ops(n);
	uint32_t ids[1024];
	void *mem[1024] = { 0 };
	struct nio_ctx *ctx;
	int ret;

	ret = nio_ctx_open(&ctx, NULL);
	if (ret < 0) {
		fprintf(stderr, "bench-apply: nio_ctx_open: %s\n", strerror(-ret));
		free(ops);
		return 2;
	}
	for (unsigned int i = 0; i < n && !ret; i++) {
		const struct op *o = &ops[i];
		uint64_t iova = o->iova;

		if (o->ioas >= 1024) {
			ret = -E2BIG;
			break;
		}
		switch (o->kind) {
		case OP_ALLOC:
			ret = nio_ioas_alloc(ctx, &ids[o->ioas]);
			break;
		case OP_MOCK: {
			struct iommu_test_cmd cmd = {
				.size = sizeof(cmd),
				.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
				.id = ids[o->ioas],
			};

			ret = ioctl(nio_ctx_fd(ctx), IOMMU_TEST_CMD, &cmd) ? -errno : 0;
			break;
		}
		case OP_MAP:
			mem[o->ioas] = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (mem[o->ioas] == MAP_FAILED) {
				ret = -errno;
				break;
			}
			memset(mem[o->ioas], 0, MAP_LEN);
			ret = nio_ioas_map(ctx, ids[o->ioas], mem[o->ioas], MAP_LEN,
					   &iova, NIO_MAP_FIXED_IOVA | NIO_MAP_READ |
					   NIO_MAP_WRITE);
			break;
		case OP_UNMAP:
			ret = nio_ioas_unmap(ctx, ids[o->ioas], o->iova, MAP_LEN, NULL);
			munmap(mem[o->ioas], MAP_LEN);
			mem[o->ioas] = NULL;
			break;
		}
		if (ret < 0)
			fprintf(stderr, "bench-apply: operation %u: %s (%s)\n", i,
				strerror(-ret), nio_ctx_last_error(ctx));
	}
	for (unsigned int i = 0; i < 1024; i++)
		if (mem[i])
			munmap(mem[i], MAP_LEN);
	nio_ctx_unref(ctx);
	free(ops);
	return ret < 0 ? 2 : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run argv with stdout to /dev/null; returns seconds or -1 on failure. */
static double timed_run_status(char *const argv[], bool any_status)
{
	double t0 = now();
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (!pid) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0)
			dup2(fd, STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    (WEXITSTATUS(status) && !any_status))
		return -1;
	return now() - t0;
}

static double timed_run(char *const argv[])
{
	return timed_run_status(argv, false);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int do_run(unsigned int n, const char *nestctl, unsigned int rounds,
		  const char *self)
{
	char plan[] = "/tmp/bench-apply-XXXXXX";
	char nbuf[16], lbuf[24], selfpath[4096];
	double *tn = calloc(rounds, sizeof(double));
	double *tc = calloc(rounds, sizeof(double));
	double mn, mc, ratio, minratio;
	int fd = mkstemp(plan);
	FILE *f;
	ssize_t l;

	if (fd < 0 || !tn || !tc)
		return 2;
	f = fdopen(fd, "w");
	fflush(stdout);
	{
		int saved = dup(STDOUT_FILENO);

		dup2(fd, STDOUT_FILENO);
		do_plan(n);
		fflush(stdout);
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	fclose(f);
	l = readlink("/proc/self/exe", selfpath, sizeof(selfpath) - 1);
	if (l > 0)
		selfpath[l] = '\0';
	else
		snprintf(selfpath, sizeof(selfpath), "%s", self);
	snprintf(nbuf, sizeof(nbuf), "%u", n);
	snprintf(lbuf, sizeof(lbuf), "%llu", MAP_LEN);
	for (unsigned int r = 0; r < rounds; r++) {
		char *nargv[] = { (char *)nestctl, "-j", "apply", plan, NULL };
		char *cargv[] = { selfpath, "lib", nbuf, lbuf,
				  use_mock ? "mock" : NULL, NULL };

		/* alternate the order so neither side always runs warm */
		if (r % 2) {
			tc[r] = timed_run(cargv);
			tn[r] = timed_run(nargv);
		} else {
			tn[r] = timed_run(nargv);
			tc[r] = timed_run(cargv);
		}
		if (tn[r] < 0 || tc[r] < 0) {
			fprintf(stderr, "bench-apply: round %u failed (%s)\n", r,
				tn[r] < 0 ? "nestctl apply" : "C program");
			unlink(plan);
			return 2;
		}
	}
	unlink(plan);
	qsort(tn, rounds, sizeof(double), cmp_double);
	qsort(tc, rounds, sizeof(double), cmp_double);
	mn = tn[rounds / 2];
	mc = tc[rounds / 2];
	ratio = mn / mc;
	minratio = tn[0] / tc[0];
	printf("{\"operations\":%u,\"map-length\":%llu,\"mock\":%s,"
	       "\"rounds\":%u,\"nestctl-median-ms\":%.3f,\"c-median-ms\":%.3f,"
	       "\"ratio\":%.3f,\"nestctl-min-ms\":%.3f,\"c-min-ms\":%.3f,"
	       "\"ratio-min\":%.3f,\"bound\":1.5,\"ok\":%s}\n",
	       n, MAP_LEN, use_mock ? "true" : "false", rounds, mn * 1e3,
	       mc * 1e3, ratio, tn[0] * 1e3, tc[0] * 1e3, minratio,
	       ratio <= 1.5 ? "true" : "false");
	free(tn);
	free(tc);
	return ratio <= 1.5 ? 0 : 1;
}

/* "time R CMD ARGS...": median wall time of R runs of CMD (diagnosis). */
static int do_time(unsigned int rounds, char **cmd)
{
	double *t = calloc(rounds ? rounds : 1, sizeof(double));

	if (!t || !rounds)
		return 2;
	for (unsigned int r = 0; r < rounds; r++) {
		t[r] = timed_run_status(cmd, true);
		if (t[r] < 0) {
			fprintf(stderr, "bench-apply: %s failed\n", cmd[0]);
			free(t);
			return 2;
		}
	}
	qsort(t, rounds, sizeof(double), cmp_double);
	printf("{\"command\":\"%s\",\"rounds\":%u,\"median-ms\":%.3f}\n",
	       cmd[0], rounds, t[rounds / 2] * 1e3);
	free(t);
	return 0;
}

/* Optional trailing [MAPLEN] [mock] from argv[first]. */
static void tail_args(int argc, char **argv, int first)
{
	for (int i = first; i < argc; i++) {
		if (!strcmp(argv[i], "mock"))
			use_mock = 1;
		else
			MAP_LEN = strtoull(argv[i], NULL, 0);
	}
	if (!MAP_LEN || MAP_LEN % 4096)
		MAP_LEN = 4096;
}

int main(int argc, char **argv)
{
	unsigned int n = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 0) : 1000;

	if (argc >= 4 && !strcmp(argv[1], "time"))
		return do_time(n, argv + 3);
	if (argc >= 3 && !strcmp(argv[1], "plan")) {
		tail_args(argc, argv, 3);
		return do_plan(n);
	}
	if (argc >= 3 && !strcmp(argv[1], "lib")) {
		tail_args(argc, argv, 3);
		return do_lib(n);
	}
	if (argc >= 4 && !strcmp(argv[1], "run")) {
		tail_args(argc, argv, 5);
		return do_run(n, argv[3],
			      argc > 4 ? (unsigned int)strtoul(argv[4], NULL, 0) : 11,
			      argv[0]);
	}
	fprintf(stderr,
		"usage: %s plan N [MAPLEN] [mock] | lib N [MAPLEN] [mock] | "
		"run N NESTCTL [ROUNDS] [MAPLEN] [mock] | time ROUNDS CMD [ARG]...\n",
		argv[0]);
	return 2;
}
