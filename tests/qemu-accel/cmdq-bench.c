// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmdq-bench: the library half of the command queue benchmark of the
 * QEMU accel tier.  guestfw times 2000 TLBI_NH_VA that the guest queues
 * (10 batches of 200, each closed by a CMD_SYNC) and that QEMU forwards
 * one IOMMU_HWPT_INVALIDATE each; this program sends the same commands to
 * the same device from the VM that ran QEMU, through libnestiommu on a
 * vIOMMU of its own: one command per call (what QEMU does) and in arrays
 * of 200 (what the library allows).  Rounds of the two variants are
 * interleaved and the median round is reported, so the harness can print
 * the ratio to the guest's rate measured minutes earlier on the same VM.
 *
 * Usage: cmdq-bench DEVICE [ROUNDS]   (a VFIO cdev path or a PCI BDF)
 * Prints: @@ LIBBENCH tlbi=2000 one_per_s=N array_per_s=M rounds=R
 * Exit: 0, 1 when a step fails (the error names the call).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <nestiommu/nestiommu.h>
#include <nestiommu/smmuv3.h>

#define NCMDS		2000
#define BATCH		200
#define VSID		0x8
#define RAM_IOVA	0x40000000ull
#define RAM_SIZE	(2u << 20)

static uint64_t cmds[NCMDS][2];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Send all NCMDS commands, per_call at a time; returns seconds or -1. */
static double send_all(struct nio_ctx *ctx, uint32_t viommu,
		       unsigned int per_call)
{
	double t0 = now_s();
	unsigned int i;
	uint32_t num;

	for (i = 0; i < NCMDS; i += per_call) {
		num = per_call;
		if (nio_invalidate(ctx, viommu, NIO_INVALIDATE_ARM_SMMUV3,
				   cmds[i], sizeof(cmds[0]), &num) ||
		    num != per_call) {
			fprintf(stderr, "cmdq-bench: %s\n",
				nio_ctx_last_error(ctx));
			return -1;
		}
	}
	return now_s() - t0;
}

int main(int argc, char **argv)
{
	unsigned int rounds = argc > 2 ? (unsigned int)atoi(argv[2]) : 5;
	uint32_t dev, ioas, s2, viommu, vdev;
	double one[64], arr[64];
	struct nio_ctx *ctx;
	uint64_t iova = RAM_IOVA;
	unsigned int i, r;
	void *ram;

	if (argc < 2 || !rounds || rounds > 64) {
		fprintf(stderr, "usage: cmdq-bench DEVICE [ROUNDS (1..64)]\n");
		return 1;
	}
	/* the guest's commands: TLBI_NH_VA, ASID 1, one leaf page each */
	for (i = 0; i < NCMDS; i++) {
		struct nio_smmuv3_cmd c = {
			.opcode = NIO_SMMUV3_CMD_TLBI_NH_VA,
			.asid = 1,
			.leaf = true,
			.addr = 0x12340000ull + (uint64_t)(i % BATCH) * 4096,
		};

		if (nio_smmuv3_cmd_encode(&c, cmds[i], sizeof(cmds[i]))) {
			fprintf(stderr, "cmdq-bench: encoding TLBI_NH_VA failed\n");
			return 1;
		}
	}
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED) {
		perror("cmdq-bench: mmap");
		return 1;
	}
	if (nio_ctx_open(&ctx, NULL)) {
		perror("cmdq-bench: nio_ctx_open");
		return 1;
	}
	if (nio_device_bind(ctx, argv[1], NULL, &dev) ||
	    nio_ioas_alloc(ctx, &ioas) ||
	    nio_ioas_map(ctx, ioas, ram, RAM_SIZE, &iova,
			 NIO_MAP_FIXED_IOVA | NIO_MAP_READ | NIO_MAP_WRITE) ||
	    nio_hwpt_alloc_nest_parent(ctx, dev, ioas, &s2) ||
	    nio_viommu_alloc(ctx, dev, s2, NIO_VIOMMU_ARM_SMMUV3, NULL,
			     &viommu) ||
	    nio_vdevice_alloc(ctx, viommu, dev, VSID, &vdev)) {
		fprintf(stderr, "cmdq-bench: set-up: %s\n",
			nio_ctx_last_error(ctx));
		nio_ctx_unref(ctx);
		return 1;
	}
	for (r = 0; r < rounds; r++) {
		one[r] = send_all(ctx, viommu, 1);
		arr[r] = send_all(ctx, viommu, BATCH);
		if (one[r] < 0 || arr[r] < 0) {
			nio_ctx_unref(ctx);
			return 1;
		}
	}
	nio_ctx_unref(ctx);
	qsort(one, rounds, sizeof(one[0]), cmp_double);
	qsort(arr, rounds, sizeof(arr[0]), cmp_double);
	printf("@@ LIBBENCH tlbi=%u one_per_s=%.0f array_per_s=%.0f rounds=%u\n",
	       NCMDS, NCMDS / one[rounds / 2], NCMDS / arr[rounds / 2], rounds);
	return 0;
}
