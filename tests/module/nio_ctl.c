// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nio_ctl: a minimal command line over the nestiommu.ko netlink client
 * (libnestiommu-smmu, lib/smmu/genl.c), for the module's shell tests in
 * the VM.
 *
 *   nio_ctl instances | devices | tlb INSTANCE
 *   nio_ctl remove [INSTANCE]
 *   nio_ctl msi-window INSTANCE START SIZE
 *   nio_ctl read INSTANCE DEVICE IOVA LEN
 *   nio_ctl bench-inval INSTANCE ENTRIES ITERS
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nestiommu/smmu.h>

static int fail(struct nio_smmu *s, const char *what, int ret)
{
	fprintf(stderr, "nio_ctl: %s: %s%s%s\n", what, strerror(-ret),
		*nio_smmu_last_error(s) ? ": " : "", nio_smmu_last_error(s));
	return 2;
}

int main(int argc, char **argv)
{
	struct nio_smmu *s;
	size_t n, i;
	int ret;

	if (argc < 2) {
		fprintf(stderr, "usage: see the source\n");
		return 1;
	}
	ret = nio_smmu_open(&s);
	if (ret)
		return fail(s, "open", ret);

	if (!strcmp(argv[1], "instances")) {
		struct nio_smmu_instance *in;

		ret = nio_smmu_instances(s, &in, &n);
		if (ret)
			return fail(s, "instances", ret);
		for (i = 0; i < n; i++)
			printf("instance %u devices %u attached %u msi 0x%" PRIx64
			       "+0x%" PRIx64 " idr0 0x%08x translations %" PRIu64
			       " hits %" PRIu64 " misses %" PRIu64 " faults %"
			       PRIu64 " msis %" PRIu64 " tlb %" PRIu64 "\n",
			       in[i].id, in[i].num_devices, in[i].attached,
			       in[i].msi_start, in[i].msi_size, in[i].idr[0],
			       in[i].counters[NIO_SMMU_CNT_TRANSLATIONS],
			       in[i].counters[NIO_SMMU_CNT_TLB_HITS],
			       in[i].counters[NIO_SMMU_CNT_TLB_MISSES],
			       in[i].counters[NIO_SMMU_CNT_FAULTS],
			       in[i].counters[NIO_SMMU_CNT_MSIS],
			       in[i].counters[NIO_SMMU_CNT_TLB_ENTRIES]);
		free(in);
	} else if (!strcmp(argv[1], "devices")) {
		struct nio_smmu_device *d;

		ret = nio_smmu_devices(s, &d, &n);
		if (ret)
			return fail(s, "devices", ret);
		for (i = 0; i < n; i++) {
			printf("device %u.%u %s sid 0x%x domain %u ste0 0x%016"
			       PRIx64, d[i].instance, d[i].index, d[i].cdev,
			       d[i].sid, d[i].domain, d[i].ste[0]);
			if (d[i].has_vsid)
				printf(" vsid 0x%x", d[i].vsid);
			if (d[i].vmid)
				printf(" vmid %u", d[i].vmid);
			printf("\n");
		}
		free(d);
	} else if (!strcmp(argv[1], "tlb") && argc == 3) {
		struct nio_smmu_tlb_entry *e;

		ret = nio_smmu_tlb(s, strtoul(argv[2], NULL, 0), &e, &n);
		if (ret)
			return fail(s, "tlb", ret);
		for (i = 0; i < n; i++)
			printf("vmid %u asid %u iova 0x%" PRIx64 " ipa 0x%" PRIx64
			       " perm 0x%x\n", e[i].vmid, e[i].asid, e[i].iova,
			       e[i].ipa, e[i].perm);
		free(e);
	} else if (!strcmp(argv[1], "remove")) {
		ret = nio_smmu_remove_devices(s, argc > 2 ? atoi(argv[2]) : -1);
		if (ret)
			return fail(s, "remove", ret);
	} else if (!strcmp(argv[1], "msi-window") && argc == 5) {
		ret = nio_smmu_set_msi_window(s, strtoul(argv[2], NULL, 0),
					      strtoull(argv[3], NULL, 0),
					      strtoull(argv[4], NULL, 0));
		if (ret)
			return fail(s, "msi-window", ret);
	} else if (!strcmp(argv[1], "read") && argc == 6) {
		size_t len = strtoul(argv[5], NULL, 0);
		unsigned char *buf = calloc(1, len ? len : 1);

		ret = nio_smmu_dma_read(s, strtoul(argv[2], NULL, 0),
					strtoul(argv[3], NULL, 0),
					NIO_SMMU_NO_PASID,
					strtoull(argv[4], NULL, 0), buf, len);
		if (ret)
			return fail(s, "read", ret);
		for (i = 0; i < len; i++)
			printf("%02x%s", buf[i], (i % 16 == 15) ? "\n" : " ");
		printf("\n");
		free(buf);
	} else if (!strcmp(argv[1], "bench-inval") && argc == 5) {
		uint64_t ns;

		ret = nio_smmu_bench(s, strtoul(argv[2], NULL, 0), 0,
				     NIO_SMMU_BENCH_INVAL, NIO_SMMU_NO_PASID, 0,
				     strtoul(argv[4], NULL, 0),
				     strtoul(argv[3], NULL, 0), &ns);
		if (ret)
			return fail(s, "bench", ret);
		printf("%" PRIu64 "\n", ns);
	} else {
		fprintf(stderr, "nio_ctl: unknown command\n");
		return 1;
	}
	nio_smmu_close(s);
	return 0;
}
