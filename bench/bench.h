/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared helpers of the libnestiommu benchmarks (run in the testbed VM):
 * timing, medians, interleaved rounds, and the iommufd selftest mock for a
 * device and a vIOMMU to work on.
 *
 * The raw-ioctl variants use the testbed kernel's own <linux/iommufd.h>,
 * as a VMM would; the library variants use only <nestiommu/nestiommu.h>.
 *
 * Method: the machine is shared and noisy (a TCG guest on a loaded host is
 * descheduled for milliseconds at a time), so every benchmark measures its
 * two variants side by side in the same process, interleaved finely: each
 * round alternates short chunks of A and B (A B, B A, ...) and sums them, so
 * both variants see the same disturbances; reported are the medians over
 * rounds of the per-call values and of the per-round ratios.
 */
#ifndef NIO_BENCH_H
#define NIO_BENCH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include "iommufd_test.h"

#include <nestiommu/nestiommu.h>

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of n values (the array is sorted in place). */
static inline double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define DIE(...)                                                  \
	do {                                                      \
		fprintf(stderr, "bench: " __VA_ARGS__);           \
		fprintf(stderr, " (%s)\n", strerror(errno));      \
		exit(2);                                          \
	} while (0)

/* A selftest mock device on pt_id: its device ID and its stdev object. */
static inline void mock_device(int fd, uint32_t pt_id, uint32_t *stdev,
			       uint32_t *idev)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
	};

	if (ioctl(fd, IOMMU_TEST_CMD, &cmd))
		DIE("IOMMU_TEST_OP_MOCK_DOMAIN");
	if (stdev)
		*stdev = cmd.mock_domain.out_stdev_id;
	if (idev)
		*idev = cmd.mock_domain.out_idev_id;
}

static inline void mock_replace(int fd, uint32_t stdev, uint32_t pt_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev,
		.mock_domain_replace = { .pt_id = pt_id },
	};

	if (ioctl(fd, IOMMU_TEST_CMD, &cmd))
		DIE("IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE");
}

/*
 * The nesting set-up of the benchmarks, built with the library: IOAS with
 * a mock device, nest-parent HWPT, selftest vIOMMU, a vDEVICE (virt ID
 * 0x99) and a nested HWPT on the vIOMMU that the device is attached to.
 */
struct bench_env {
	struct nio_ctx *ctx;
	int fd;
	uint32_t ioas, stdev, idev, parent, viommu, vdev, nested;
};

static inline void bench_env(struct bench_env *e)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	NIO_OPTS(nio_hwpt_alloc_opts, o, .data_type = NIO_HWPT_DATA_SELFTEST,
		 .data_len = sizeof(data), .data = &data);

	memset(e, 0, sizeof(*e));
	if (nio_ctx_open(&e->ctx, NULL))
		DIE("nio_ctx_open");
	e->fd = nio_ctx_fd(e->ctx);
	if (nio_ioas_alloc(e->ctx, &e->ioas))
		DIE("nio_ioas_alloc: %s", nio_ctx_last_error(e->ctx));
	mock_device(e->fd, e->ioas, &e->stdev, &e->idev);
	if (nio_hwpt_alloc_nest_parent(e->ctx, e->idev, e->ioas, &e->parent) ||
	    nio_viommu_alloc(e->ctx, e->idev, e->parent, NIO_VIOMMU_SELFTEST,
			     NULL, &e->viommu) ||
	    nio_vdevice_alloc(e->ctx, e->viommu, e->idev, 0x99, &e->vdev) ||
	    nio_hwpt_alloc(e->ctx, e->idev, e->viommu, &o, &e->nested))
		DIE("nesting set-up: %s", nio_ctx_last_error(e->ctx));
	mock_replace(e->fd, e->stdev, e->nested);
}

/* "PASS"/"FAIL" line with the measured value and the target. */
static inline int verdict(const char *what, double value, const char *op,
			  double target, const char *unit)
{
	int pass = !strcmp(op, "<=") ? value <= target : value >= target;

	printf("%s %s: %.3f%s (target %s %.2f%s)\n", pass ? "PASS" : "FAIL",
	       what, value, unit, op, target, unit);
	return pass ? 0 : 1;
}

#endif
