// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vIOMMU, vDEVICE, HW queue and cache invalidation arrays against the
 * fake kernel, including partial progress (entry_num) on failure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>

#include "fk-check.h"

/* SMMUv3 commands, as two little-endian words (x86 is little-endian). */
#define CMD_TLBI_NH_ASID(asid) { 0x11 | ((uint64_t)(asid) << 48), 0 }
#define CMD_TLBI_NSNH_ALL { 0x30, 0 }
#define CMD_CFGI_CD(vsid) { 0x05 | ((uint64_t)(vsid) << 32), 0 }
#define CMD_CFGI_STE(vsid) { 0x03 | ((uint64_t)(vsid) << 32), 0 }

START_TEST(test_viommu_alloc)
{
	struct iommu_viommu_alloc want;
	struct nio_object_info info = { .sz = sizeof(info) };
	struct fk_obj_info fi;
	uint32_t ioas, dev, s2, viommu, plain;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	dev = fk_bind(0);
	ck_ok(nio_hwpt_alloc_nest_parent(ctx, dev, ioas, &s2));
	ck_ok(nio_viommu_alloc(ctx, dev, s2, NIO_VIOMMU_ARM_SMMUV3, NULL, &viommu));
	want = (struct iommu_viommu_alloc){
		.size = 40,
		.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
		.dev_id = dev,
		.hwpt_id = s2,
	};
	ck_last_payload(IOMMU_VIOMMU_ALLOC, want);
	ck_ok(fake_kernel_obj_info(ifd, viommu, &fi));
	ck_assert_int_eq(fi.type, FK_OBJ_VIOMMU);
	ck_assert_uint_eq(fi.parent_id, s2);
	ck_ok(nio_object_info(ctx, viommu, &info));
	ck_assert_int_eq(info.type, NIO_OBJ_VIOMMU);
	ck_assert_uint_eq(info.parent_id, s2);
	ck_assert_uint_eq(info.dev_id, dev);
	ck_assert_uint_eq(info.type_param, NIO_VIOMMU_ARM_SMMUV3);
	/* The nest parent is held by the vIOMMU */
	ck_fails(ctx, nio_destroy(ctx, s2), EBUSY, NULL);

	/* Kernel rules */
	ck_ok(nio_hwpt_alloc(ctx, dev, ioas, NULL, &plain));
	ck_fails(ctx, nio_viommu_alloc(ctx, dev, plain, NIO_VIOMMU_ARM_SMMUV3,
				       NULL, &viommu),
		 EINVAL, "IOMMU_VIOMMU_ALLOC");
	ck_fails(ctx, nio_viommu_alloc(ctx, dev, s2, NIO_VIOMMU_DEFAULT, NULL,
				       &viommu),
		 EOPNOTSUPP, "IOMMU_VIOMMU_ALLOC");
	ck_fails(ctx, nio_viommu_alloc(ctx, dev, s2, NIO_VIOMMU_TEGRA241_CMDQV,
				       NULL, &viommu),
		 EOPNOTSUPP, NULL);
	ck_fails(ctx, nio_viommu_alloc(ctx, dev, 999, NIO_VIOMMU_ARM_SMMUV3, NULL,
				       &viommu),
		 ENOENT, NULL);
	ck_fails(ctx, nio_viommu_alloc(ctx, 999, s2, NIO_VIOMMU_ARM_SMMUV3, NULL,
				       &viommu),
		 ENOENT, NULL);
	ck_fails(ctx, nio_viommu_alloc(ctx, dev, s2, NIO_VIOMMU_ARM_SMMUV3, NULL,
				       NULL),
		 EINVAL, NULL);
	/* Another SMMU's device */
	{
		uint32_t dev2 = fk_bind(2);

		ck_fails(ctx, nio_viommu_alloc(ctx, dev2, s2,
					       NIO_VIOMMU_ARM_SMMUV3, NULL,
					       &viommu),
			 EINVAL, NULL);
	}
}
END_TEST

START_TEST(test_viommu_data)
{
	uint8_t data[16] = { 0xaa, 0xbb };
	const uint8_t out[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct iommu_viommu_alloc want;
	const struct fk_call *c;
	uint32_t ioas, dev, s2, viommu;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	dev = fk_bind(0);
	ck_ok(nio_hwpt_alloc_nest_parent(ctx, dev, ioas, &s2));
	fake_kernel_set_viommu_data_out(out, sizeof(out));
	{
		NIO_OPTS(nio_viommu_alloc_opts, o, .data = data,
			 .data_len = sizeof(data));

		ck_ok(nio_viommu_alloc(ctx, dev, s2, NIO_VIOMMU_ARM_SMMUV3, &o,
				       &viommu));
	}
	want = (struct iommu_viommu_alloc){
		.size = 40,
		.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
		.dev_id = dev,
		.hwpt_id = s2,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)data,
	};
	ck_last_payload(IOMMU_VIOMMU_ALLOC, want);
	c = fake_kernel_last_ioctl(IOMMU_VIOMMU_ALLOC);
	ck_assert_uint_eq(c->aux_len, sizeof(data));
	ck_assert_uint_eq(c->aux[0], 0xaa);
	/* The kernel's answer is in the caller's buffer */
	ck_assert_mem_eq(data, out, sizeof(out));
	/* OPTS */
	{
		NIO_OPTS(nio_viommu_alloc_opts, o, .data_len = 8);

		ck_fails(ctx, nio_viommu_alloc(ctx, dev, s2,
					       NIO_VIOMMU_ARM_SMMUV3, &o,
					       &viommu),
			 EINVAL, NULL);
	}
	{
		struct {
			struct nio_viommu_alloc_opts o;
			uint32_t tail[4];
		} big = { .o = { .sz = sizeof(big) }, .tail = { 0, 0, 0, 9 } };

		ck_fails(ctx, nio_viommu_alloc(ctx, dev, s2,
					       NIO_VIOMMU_ARM_SMMUV3, &big.o,
					       &viommu),
			 E2BIG, "nio_viommu_alloc_opts");
		big.o.sz = 0;
		ck_fails(ctx, nio_viommu_alloc(ctx, dev, s2,
					       NIO_VIOMMU_ARM_SMMUV3, &big.o,
					       &viommu),
			 EINVAL, NULL);
		/* Older caller knowing only data: data_len defaults to 0 */
		big.o.sz = offsetof(struct nio_viommu_alloc_opts, data) +
			   sizeof(void *);
		big.o.data = data;
		big.o.data_len = 16;
		ck_ok(nio_viommu_alloc(ctx, dev, s2, NIO_VIOMMU_ARM_SMMUV3,
				       &big.o, &viommu));
		want.data_len = 0;
		ck_last_payload(IOMMU_VIOMMU_ALLOC, want);
	}
}
END_TEST

/*
 * An older kernel (6.13-6.16) knows a 24-byte iommu_viommu_alloc: the
 * library's larger struct is fine while the new fields are zero, and
 * driver data gives the kernel's E2BIG.
 */
START_TEST(test_viommu_old_kernel)
{
	uint8_t data[8] = { 1 };
	uint32_t ioas, dev, s2, viommu;

	fake_kernel_set_kernel_size(IOMMU_VIOMMU_ALLOC, 24);
	ck_ok(nio_ioas_alloc(ctx, &ioas));
	dev = fk_bind(0);
	ck_ok(nio_hwpt_alloc_nest_parent(ctx, dev, ioas, &s2));
	ck_ok(nio_viommu_alloc(ctx, dev, s2, NIO_VIOMMU_ARM_SMMUV3, NULL,
			       &viommu));
	{
		NIO_OPTS(nio_viommu_alloc_opts, o, .data = data,
			 .data_len = sizeof(data));

		ck_fails(ctx, nio_viommu_alloc(ctx, dev, s2,
					       NIO_VIOMMU_ARM_SMMUV3, &o,
					       &viommu),
			 E2BIG, "IOMMU_VIOMMU_ALLOC");
	}
}
END_TEST

START_TEST(test_vdevice)
{
	struct iommu_vdevice_alloc want;
	struct nio_object_info info = { .sz = sizeof(info) };
	struct fk_nest n;
	uint32_t vdev, dev1, vdev1, id;

	fk_nest_setup(&n, 0);
	ck_ok(nio_vdevice_alloc(ctx, n.viommu, n.dev, 0x1234, &vdev));
	want = (struct iommu_vdevice_alloc){
		.size = 24,
		.viommu_id = n.viommu,
		.dev_id = n.dev,
		.virt_id = 0x1234,
	};
	ck_last_payload(IOMMU_VDEVICE_ALLOC, want);
	ck_assert_int_eq(fake_kernel_obj_type(ifd, vdev), FK_OBJ_VDEVICE);
	ck_ok(nio_object_info(ctx, vdev, &info));
	ck_assert_uint_eq(info.virt_id, 0x1234);
	ck_assert_uint_eq(info.parent_id, n.viommu);
	/* The device already has one: EEXIST */
	ck_fails(ctx, nio_vdevice_alloc(ctx, n.viommu, n.dev, 0x99, &id), EEXIST,
		 "IOMMU_VDEVICE_ALLOC");
	/* The virtual ID is taken: EEXIST */
	dev1 = fk_bind(1);
	ck_fails(ctx, nio_vdevice_alloc(ctx, n.viommu, dev1, 0x1234, &id),
		 EEXIST, "virt_id=0x1234");
	ck_ok(nio_vdevice_alloc(ctx, n.viommu, dev1, 0x1235, &vdev1));
	/* Unknown or wrong IDs */
	ck_fails(ctx, nio_vdevice_alloc(ctx, 444, dev1, 1, &id), ENOENT, NULL);
	ck_fails(ctx, nio_vdevice_alloc(ctx, n.viommu, 444, 1, &id), ENOENT, NULL);
	ck_fails(ctx, nio_vdevice_alloc(ctx, n.s2, dev1, 1, &id), ENOENT, NULL);
	ck_fails(ctx, nio_vdevice_alloc(ctx, n.viommu, dev1, 1, NULL), EINVAL,
		 NULL);
	/* The vIOMMU is busy with vDEVICEs */
	ck_fails(ctx, nio_destroy(ctx, n.viommu), EBUSY, NULL);
	ck_ok(nio_destroy(ctx, vdev));
	ck_ok(nio_destroy(ctx, vdev1));
	ck_ok(nio_destroy(ctx, n.viommu));
	/* A device of another SMMU */
	{
		uint32_t dev2 = fk_bind(2), viommu2;

		ck_ok(nio_viommu_alloc(ctx, n.dev, n.s2, NIO_VIOMMU_ARM_SMMUV3,
				       NULL, &viommu2));
		ck_fails(ctx, nio_vdevice_alloc(ctx, viommu2, dev2, 5, &id),
			 EINVAL, NULL);
	}
}
END_TEST

START_TEST(test_hw_queue)
{
	struct iommu_hw_queue_alloc want;
	struct nio_object_info info = { .sz = sizeof(info) };
	uint8_t *buf = fk_pages(4);
	uint64_t iova = 0x40000;
	struct fk_nest n;
	uint32_t q, id;

	fk_nest_setup(&n, 0);
	ck_ok(nio_ioas_map(ctx, n.ioas, buf, 4 * 4096, &iova,
			   NIO_MAP_FIXED_IOVA | NIO_MAP_READ | NIO_MAP_WRITE));
	ck_ok(nio_hw_queue_alloc(ctx, n.viommu, 0xdeadbeef, 0, 0x41000, 8192,
				 &q));
	want = (struct iommu_hw_queue_alloc){
		.size = 40,
		.viommu_id = n.viommu,
		.type = 0xdeadbeef,
		.index = 0,
		.nesting_parent_iova = 0x41000,
		.length = 8192,
	};
	ck_last_payload(IOMMU_HW_QUEUE_ALLOC, want);
	ck_ok(nio_object_info(ctx, q, &info));
	ck_assert_int_eq(info.type, NIO_OBJ_HW_QUEUE);
	ck_assert_uint_eq(info.parent_id, n.viommu);
	ck_assert_uint_eq(info.iova, 0x41000);
	ck_assert_uint_eq(info.length, 8192);
	/* The range is pinned: unmapping it is refused */
	ck_fails(ctx, nio_ioas_unmap_all(ctx, n.ioas, NULL), EBUSY,
		 "IOMMU_IOAS_UNMAP");
	/* Unmapped IOVA, zero length, unsupported type */
	ck_fails(ctx, nio_hw_queue_alloc(ctx, n.viommu, 0xdeadbeef, 1, 0x900000,
					 4096, &id),
		 ENOENT, "IOMMU_HW_QUEUE_ALLOC");
	ck_fails(ctx, nio_hw_queue_alloc(ctx, n.viommu, 0xdeadbeef, 1, 0x40000,
					 0, &id),
		 EINVAL, NULL);
	ck_fails(ctx, nio_hw_queue_alloc(ctx, n.viommu, 1, 1, 0x40000, 4096,
					 &id),
		 EOPNOTSUPP, NULL);
	ck_fails(ctx, nio_hw_queue_alloc(ctx, n.viommu, 0xdeadbeef, 1, 0x40000,
					 4096, NULL),
		 EINVAL, NULL);
	ck_ok(nio_destroy(ctx, q));
	ck_ok(nio_ioas_unmap_all(ctx, n.ioas, NULL));
	free(buf);
}
END_TEST

static void set_up_vsids(struct fk_nest *n, uint32_t *vdev)
{
	fk_nest_setup(n, 0);
	ck_ok(nio_vdevice_alloc(ctx, n->viommu, n->dev, 0x10, vdev));
}

START_TEST(test_invalidate)
{
	const uint64_t cmds[4][2] = { CMD_TLBI_NH_ASID(1), CMD_TLBI_NSNH_ALL,
				      CMD_CFGI_CD(0x10), CMD_TLBI_NH_ASID(2) };
	struct iommu_hwpt_invalidate want;
	const struct fk_call *c;
	struct fk_nest n;
	uint32_t vdev, num = 4;

	set_up_vsids(&n, &vdev);
	fake_kernel_clear_calls();
	ck_ok(nio_invalidate(ctx, n.viommu, NIO_INVALIDATE_ARM_SMMUV3, cmds, 16,
			     &num));
	ck_assert_uint_eq(num, 4);
	/* One ioctl for the whole array */
	ck_assert_uint_eq(fake_kernel_count_ioctl(IOMMU_HWPT_INVALIDATE), 1);
	want = (struct iommu_hwpt_invalidate){
		.size = 32,
		.hwpt_id = n.viommu,
		.data_uptr = (uintptr_t)cmds,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = 16,
		.entry_num = 4,
	};
	ck_last_payload(IOMMU_HWPT_INVALIDATE, want);
	c = fake_kernel_last_ioctl(IOMMU_HWPT_INVALIDATE);
	ck_assert_uint_eq(c->aux_len, sizeof(cmds));
	ck_assert_mem_eq(c->aux, cmds, sizeof(cmds));
}
END_TEST

/* The kernel fails at entry k: entries [0, k) took effect, *num == k. */
START_TEST(test_invalidate_partial)
{
	const uint64_t cmds[5][2] = { CMD_TLBI_NH_ASID(1), CMD_TLBI_NH_ASID(2),
				      CMD_TLBI_NH_ASID(3), CMD_TLBI_NH_ASID(4),
				      CMD_TLBI_NH_ASID(5) };
	struct fk_nest n;
	uint32_t vdev, num = 5;

	set_up_vsids(&n, &vdev);
	fake_kernel_clear_calls();
	fake_kernel_fail_invalidate_at(3, EIO);
	ck_fails(ctx, nio_invalidate(ctx, n.viommu, NIO_INVALIDATE_ARM_SMMUV3,
				     cmds, 16, &num),
		 EIO, "IOMMU_HWPT_INVALIDATE");
	ck_assert_uint_eq(num, 3);
	ck_assert_ptr_nonnull(strstr(nio_ctx_last_error(ctx), "entry 3"));
	/* Issued once: entries [0, 3) must not be invalidated twice */
	if (fake_kernel_count_ioctl(IOMMU_HWPT_INVALIDATE) != 1) {
		fake_kernel_dump_calls();
		ck_abort_msg("a failed invalidation was issued %u times",
			     fake_kernel_count_ioctl(IOMMU_HWPT_INVALIDATE));
	}
}
END_TEST

/* A command the driver rejects (CFGI_STE): EIO at its index. */
START_TEST(test_invalidate_rejected_command)
{
	const uint64_t cmds[3][2] = { CMD_TLBI_NH_ASID(1), CMD_CFGI_STE(0x10),
				      CMD_TLBI_NH_ASID(3) };
	const uint64_t unknown_vsid[2][2] = { CMD_TLBI_NSNH_ALL,
					      CMD_CFGI_CD(0x77) };
	struct fk_nest n;
	uint32_t vdev, num = 3;

	set_up_vsids(&n, &vdev);
	ck_fails(ctx, nio_invalidate(ctx, n.viommu, NIO_INVALIDATE_ARM_SMMUV3,
				     cmds, 16, &num),
		 EIO, "entry 1");
	ck_assert_uint_eq(num, 1);
	num = 2;
	ck_fails(ctx, nio_invalidate(ctx, n.viommu, NIO_INVALIDATE_ARM_SMMUV3,
				     unknown_vsid, 16, &num),
		 EIO, NULL);
	ck_assert_uint_eq(num, 1);
}
END_TEST

/* A kernel handling fewer entries per call: the library goes on. */
START_TEST(test_invalidate_batches)
{
	uint64_t cmds[10][2];
	struct iommu_hwpt_invalidate want;
	struct fk_nest n;
	uint32_t vdev, num = 10, i;

	for (i = 0; i < 10; i++) {
		cmds[i][0] = 0x11 | ((uint64_t)i << 48);
		cmds[i][1] = 0;
	}
	set_up_vsids(&n, &vdev);
	fake_kernel_set_invalidate_batch(4);
	fake_kernel_clear_calls();
	ck_ok(nio_invalidate(ctx, n.viommu, NIO_INVALIDATE_ARM_SMMUV3, cmds, 16,
			     &num));
	ck_assert_uint_eq(num, 10);
	ck_assert_uint_eq(fake_kernel_count_ioctl(IOMMU_HWPT_INVALIDATE), 3);
	want = (struct iommu_hwpt_invalidate){
		.size = 32,
		.hwpt_id = n.viommu,
		.data_uptr = (uintptr_t)cmds[4],
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = 16,
		.entry_num = 6,
	};
	ck_nth_payload(IOMMU_HWPT_INVALIDATE, 1, want);
	want.data_uptr = (uintptr_t)cmds[8];
	want.entry_num = 2;
	ck_nth_payload(IOMMU_HWPT_INVALIDATE, 2, want);
	/* A failure in the second call counts the first call's entries */
	num = 10;
	fake_kernel_fail_invalidate_at(6, EIO);
	fake_kernel_clear_calls();
	ck_fails(ctx, nio_invalidate(ctx, n.viommu, NIO_INVALIDATE_ARM_SMMUV3,
				     cmds, 16, &num),
		 EIO, NULL);
	/* First call: 4 done; second call fails at its entry 2 = entry 6 */
	ck_assert_uint_eq(num, 6);
	ck_assert_ptr_nonnull(strstr(nio_ctx_last_error(ctx), "entry 6"));
}
END_TEST

/* Very long arrays are split by the library (bounded kernel allocation). */
START_TEST(test_invalidate_long_array)
{
	const uint32_t total = 5000;
	uint64_t (*cmds)[2] = calloc(total, sizeof(*cmds));
	struct fk_nest n;
	uint32_t vdev, num = total, i, sum = 0;
	const struct fk_call *c;

	ck_assert_ptr_nonnull(cmds);
	for (i = 0; i < total; i++)
		cmds[i][0] = 0x30;
	set_up_vsids(&n, &vdev);
	fake_kernel_clear_calls();
	ck_ok(nio_invalidate(ctx, n.viommu, NIO_INVALIDATE_ARM_SMMUV3, cmds, 16,
			     &num));
	ck_assert_uint_eq(num, total);
	/* Few calls, covering the array once, in order */
	ck_assert_uint_le(fake_kernel_count_ioctl(IOMMU_HWPT_INVALIDATE), 2);
	for (i = 0; (c = fake_kernel_find_ioctl(IOMMU_HWPT_INVALIDATE, i)); i++) {
		struct iommu_hwpt_invalidate sent;

		memcpy(&sent, c->in, sizeof(sent));
		ck_assert_uint_eq(sent.data_uptr, (uintptr_t)cmds[sum]);
		sum += sent.entry_num;
	}
	ck_assert_uint_eq(sum, total);
	free(cmds);
}
END_TEST

START_TEST(test_invalidate_args)
{
	const uint64_t cmds[1][2] = { CMD_TLBI_NSNH_ALL };
	struct iommu_hwpt_invalidate want;
	struct fk_nest n;
	uint32_t vdev, num, nested;
	const uint64_t ste[2] = { 0x1 | (5ULL << 1), 0 };

	set_up_vsids(&n, &vdev);
	/* Empty array: passed to the kernel as is (SMMUv3 on 7.3: EINVAL) */
	num = 0;
	fake_kernel_clear_calls();
	ck_fails(ctx, nio_invalidate(ctx, n.viommu, NIO_INVALIDATE_ARM_SMMUV3,
				     NULL, 16, &num),
		 EINVAL, "IOMMU_HWPT_INVALIDATE");
	ck_assert_msg(fake_kernel_count_ioctl(IOMMU_HWPT_INVALIDATE) == 1,
		      "an empty array went to the kernel %u times",
		      fake_kernel_count_ioctl(IOMMU_HWPT_INVALIDATE));
	want = (struct iommu_hwpt_invalidate){
		.size = 32,
		.hwpt_id = n.viommu,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = 16,
	};
	ck_last_payload(IOMMU_HWPT_INVALIDATE, want);
	ck_assert_uint_eq(num, 0);
	/* Wrong data type */
	num = 1;
	ck_fails(ctx, nio_invalidate(ctx, n.viommu, NIO_INVALIDATE_VTD_S1, cmds,
				     16, &num),
		 EINVAL, NULL);
	ck_assert_uint_eq(num, 0);
	/* Entry too short for the type */
	num = 1;
	ck_fails(ctx, nio_invalidate(ctx, n.viommu, NIO_INVALIDATE_ARM_SMMUV3,
				     cmds, 8, &num),
		 EINVAL, NULL);
	/* Longer entries with a zero tail are fine, a non-zero tail E2BIG */
	{
		uint64_t longer[2][3] = { { 0x30, 0, 0 }, { 0x30, 0, 0 } };

		num = 2;
		ck_ok(nio_invalidate(ctx, n.viommu, NIO_INVALIDATE_ARM_SMMUV3,
				     longer, 24, &num));
		ck_assert_uint_eq(num, 2);
		longer[1][2] = 1;
		num = 2;
		ck_fails(ctx, nio_invalidate(ctx, n.viommu,
					     NIO_INVALIDATE_ARM_SMMUV3, longer,
					     24, &num),
			 E2BIG, NULL);
	}
	/* Not a vIOMMU or nested HWPT */
	num = 1;
	ck_fails(ctx, nio_invalidate(ctx, n.s2, NIO_INVALIDATE_ARM_SMMUV3, cmds,
				     16, &num),
		 EINVAL, NULL);
	num = 1;
	ck_fails(ctx, nio_invalidate(ctx, 999, NIO_INVALIDATE_ARM_SMMUV3, cmds,
				     16, &num),
		 ENOENT, NULL);
	/* SMMUv3 nested HWPTs are invalidated through the vIOMMU */
	ck_ok(nio_hwpt_alloc_smmuv3_nested(ctx, n.dev, n.viommu, ste, &nested));
	num = 1;
	ck_fails(ctx, nio_invalidate(ctx, nested, NIO_INVALIDATE_ARM_SMMUV3, cmds,
				     16, &num),
		 EOPNOTSUPP, NULL);
	/* Library argument checks */
	num = 1;
	ck_fails(ctx, nio_invalidate(ctx, n.viommu, NIO_INVALIDATE_ARM_SMMUV3,
				     NULL, 16, &num),
		 EINVAL, NULL);
	ck_assert_uint_eq(num, 0);
	num = 1;
	ck_fails(ctx, nio_invalidate(ctx, n.viommu, NIO_INVALIDATE_ARM_SMMUV3,
				     cmds, 0, &num),
		 EINVAL, NULL);
	ck_fails(ctx, nio_invalidate(ctx, n.viommu, NIO_INVALIDATE_ARM_SMMUV3,
				     cmds, 16, NULL),
		 EINVAL, NULL);
	ck_fails(NULL, nio_invalidate(NULL, n.viommu, NIO_INVALIDATE_ARM_SMMUV3,
				      cmds, 16, &num),
		 EINVAL, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lib-viommu");

	FK_TCASE(s, "viommu", test_viommu_alloc, test_viommu_data,
		 test_viommu_old_kernel, test_vdevice,
		 test_hw_queue);
	FK_TCASE(s, "invalidate", test_invalidate, test_invalidate_partial,
		 test_invalidate_rejected_command, test_invalidate_batches,
		 test_invalidate_long_array, test_invalidate_args);
	return fk_run(s);
}
