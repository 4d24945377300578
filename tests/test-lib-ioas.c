// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * IOAS against the fake kernel: exact payloads of alloc, map, map_file,
 * unmap, copy, iova_ranges, allow_iovas, change_process, get_pa,
 * vfio_ioas and options, and the kernel's answers (overlap, alignment,
 * whole-mapping unmap, EMSGSIZE).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>

#include "fk-check.h"

#define RW (NIO_MAP_READ | NIO_MAP_WRITE)
#define FIXED (NIO_MAP_FIXED_IOVA)

START_TEST(test_alloc)
{
	struct iommu_ioas_alloc want = { .size = 12 };
	uint32_t a, b;

	ck_ok(nio_ioas_alloc(ctx, &a));
	ck_last_payload(IOMMU_IOAS_ALLOC, want);
	ck_ok(nio_ioas_alloc(ctx, &b));
	ck_assert_uint_eq(a, 1);
	ck_assert_uint_eq(b, 2);
	ck_assert_int_eq(fake_kernel_obj_type(ifd, a), FK_OBJ_IOAS);
	ck_fails(ctx, nio_ioas_alloc(ctx, NULL), EINVAL, NULL);
	ck_fails(NULL, nio_ioas_alloc(NULL, &a), EINVAL, NULL);
	fake_kernel_fail_ioctl(IOMMU_IOAS_ALLOC, 0, ENOMEM);
	ck_fails(ctx, nio_ioas_alloc(ctx, &a), ENOMEM, "IOMMU_IOAS_ALLOC");
	ck_assert_uint_eq(a, 1);
}
END_TEST

START_TEST(test_map_fixed)
{
	uint8_t *buf = fk_pages(4);
	uint64_t iova = 0x10000, len, got;
	uint32_t ioas, flags;
	struct iommu_ioas_map want;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_ok(nio_ioas_map(ctx, ioas, buf, 4 * 4096, &iova, FIXED | RW));
	ck_assert_uint_eq(iova, 0x10000);
	want = (struct iommu_ioas_map){
		.size = 40,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_READABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = 4 * 4096,
		.iova = 0x10000,
	};
	ck_last_payload(IOMMU_IOAS_MAP, want);
	ck_ok(fake_kernel_ioas_mapping(ifd, ioas, 0, &got, &len, &flags));
	ck_assert_uint_eq(got, 0x10000);
	ck_assert_uint_eq(len, 4 * 4096);
	ck_assert_uint_eq(flags, IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE);

	/* Read-only */
	iova = 0x100000;
	ck_ok(nio_ioas_map(ctx, ioas, buf, 4096, &iova, FIXED | NIO_MAP_READ));
	want.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE;
	want.length = 4096;
	want.iova = 0x100000;
	ck_last_payload(IOMMU_IOAS_MAP, want);
	free(buf);
}
END_TEST

START_TEST(test_map_auto_iova)
{
	uint8_t *buf = fk_pages(2);
	uint64_t iova = 0xdead000, iova2 = 0;
	uint32_t ioas;
	struct iommu_ioas_map want;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_ok(nio_ioas_map(ctx, ioas, buf, 2 * 4096, &iova, NIO_MAP_WRITE));
	/* The library sends iova 0 when the kernel chooses */
	want = (struct iommu_ioas_map){
		.size = 40,
		.flags = IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = 2 * 4096,
	};
	ck_last_payload(IOMMU_IOAS_MAP, want);
	/* ... and returns what the kernel wrote back */
	{
		struct iommu_ioas_map out;

		memcpy(&out, fake_kernel_last_ioctl(IOMMU_IOAS_MAP)->out,
		       sizeof(out));
		ck_assert_uint_eq(iova, out.iova);
		ck_assert_uint_ne(iova, 0xdead000);
	}
	ck_ok(nio_ioas_map(ctx, ioas, buf, 4096, &iova2, NIO_MAP_READ));
	ck_assert_uint_ne(iova, iova2);
	ck_assert(iova2 >= iova + 2 * 4096 || iova2 + 4096 <= iova);
	free(buf);
}
END_TEST

START_TEST(test_map_errors)
{
	uint8_t *buf = fk_pages(4);
	uint64_t iova = 0x20000;
	uint32_t ioas;
	unsigned int n;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_ok(nio_ioas_map(ctx, ioas, buf, 2 * 4096, &iova, FIXED | RW));
	/* Overlap: EEXIST from the kernel */
	iova = 0x21000;
	ck_fails(ctx, nio_ioas_map(ctx, ioas, buf, 2 * 4096, &iova, FIXED | RW),
		 EEXIST, "IOMMU_IOAS_MAP");
	ck_assert_ptr_nonnull(strstr(nio_ctx_last_error(ctx), "0x21000"));
	ck_assert_uint_eq(iova, 0x21000);
	/* Unaligned IOVA: EINVAL, and the message gives the alignment */
	iova = 0x40800;
	ck_fails(ctx, nio_ioas_map(ctx, ioas, buf, 4096, &iova, FIXED | RW),
		 EINVAL, "IOMMU_IOAS_MAP");
	ck_assert_ptr_nonnull(strstr(nio_ctx_last_error(ctx), "0x1000"));
	/* Unaligned user address */
	iova = 0x40000;
	ck_fails(ctx, nio_ioas_map(ctx, ioas, buf + 16, 4096, &iova, FIXED | RW),
		 EINVAL, "IOMMU_IOAS_MAP");
	/* Unknown IOAS, or an ID of another type */
	ck_fails(ctx, nio_ioas_map(ctx, 77, buf, 4096, &iova, FIXED | RW), ENOENT,
		 "ioas=77");
	/* Argument checks never reach the kernel */
	n = fake_kernel_count_ioctl(IOMMU_IOAS_MAP);
	ck_fails(ctx, nio_ioas_map(ctx, ioas, buf, 0, &iova, FIXED | RW), EINVAL,
		 NULL);
	ck_fails(ctx, nio_ioas_map(ctx, ioas, NULL, 4096, &iova, RW), EINVAL, NULL);
	ck_fails(ctx, nio_ioas_map(ctx, ioas, buf, 4096, NULL, RW), EINVAL, NULL);
	ck_fails(ctx, nio_ioas_map(ctx, ioas, buf, 4096, &iova, 0x80 | RW),
		 EINVAL, NULL);
	ck_fails(ctx, nio_ioas_map(ctx, ioas, buf, 4096, &iova, FIXED), EINVAL,
		 NULL);
	iova = UINT64_MAX - 4095;
	ck_fails(ctx, nio_ioas_map(ctx, ioas, buf, 8192, &iova, FIXED | RW),
		 EOVERFLOW, NULL);
	ck_fails(NULL, nio_ioas_map(NULL, ioas, buf, 4096, &iova, RW), EINVAL,
		 NULL);
	ck_assert_uint_eq(fake_kernel_count_ioctl(IOMMU_IOAS_MAP), n);
	/* The mapping that failed left nothing behind */
	ck_assert_int_eq(fake_kernel_ioas_mapping(ifd, ioas, 1, NULL, NULL, NULL),
			 -ENOENT);
	free(buf);
}
END_TEST

START_TEST(test_map_reserved)
{
	uint8_t *buf = fk_pages(1);
	uint64_t iova = 0x8000000; /* the SMMUv3 SW_MSI window */
	uint32_t ioas, dev, hwpt;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	dev = fk_bind(0);
	ck_ok(nio_device_attach(ctx, dev, ioas, &hwpt));
	ck_fails(ctx, nio_ioas_map(ctx, ioas, buf, 4096, &iova, FIXED | RW),
		 EINVAL, "IOMMU_IOAS_MAP");
	iova = 1ULL << 48;
	ck_fails(ctx, nio_ioas_map(ctx, ioas, buf, 4096, &iova, FIXED | RW),
		 EINVAL, NULL);
	free(buf);
}
END_TEST

START_TEST(test_map_file)
{
	struct iommu_ioas_map_file want;
	uint64_t iova = 0x400000;
	uint32_t ioas;
	int mfd = memfd_create("nio-test", MFD_CLOEXEC);

	ck_assert_int_ge(mfd, 0);
	ck_assert_int_eq(ftruncate(mfd, 8 * 4096), 0);
	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_ok(nio_ioas_map_file(ctx, ioas, mfd, 4096, 2 * 4096, &iova,
				FIXED | NIO_MAP_READ));
	want = (struct iommu_ioas_map_file){
		.size = 40,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		.ioas_id = ioas,
		.fd = mfd,
		.start = 4096,
		.length = 2 * 4096,
		.iova = 0x400000,
	};
	ck_last_payload(IOMMU_IOAS_MAP_FILE, want);
	/* The descriptor is the caller's: still open */
	ck_assert_int_ge(fcntl(mfd, F_GETFD), 0);
	/* Kernel chooses */
	iova = 0;
	ck_ok(nio_ioas_map_file(ctx, ioas, mfd, 0, 4096, &iova, RW));
	ck_assert_uint_ne(iova, 0x400000);
	/* Bad descriptor: the kernel's EBADF */
	iova = 0x800000;
	ck_fails(ctx, nio_ioas_map_file(ctx, ioas, 999, 0, 4096, &iova,
					FIXED | RW),
		 EBADF, "IOMMU_IOAS_MAP_FILE");
	ck_fails(ctx, nio_ioas_map_file(ctx, ioas, -1, 0, 4096, &iova,
					FIXED | RW),
		 EINVAL, NULL);
	/* Unaligned offset in the file */
	ck_fails(ctx, nio_ioas_map_file(ctx, ioas, mfd, 100, 4096, &iova,
					FIXED | RW),
		 EINVAL, "IOMMU_IOAS_MAP_FILE");
	close(mfd);
}
END_TEST

START_TEST(test_unmap)
{
	uint8_t *buf = fk_pages(4);
	struct iommu_ioas_unmap want;
	uint64_t iova, unmapped = 0;
	uint32_t ioas;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	iova = 0x10000;
	ck_ok(nio_ioas_map(ctx, ioas, buf, 2 * 4096, &iova, FIXED | RW));
	iova = 0x20000;
	ck_ok(nio_ioas_map(ctx, ioas, buf, 4096, &iova, FIXED | RW));
	iova = 0x30000;
	ck_ok(nio_ioas_map(ctx, ioas, buf, 4096, &iova, FIXED | RW));

	/* Splitting a mapping is refused: ENOENT */
	ck_fails(ctx, nio_ioas_unmap(ctx, ioas, 0x10000, 4096, &unmapped),
		 ENOENT, "IOMMU_IOAS_UNMAP");
	want = (struct iommu_ioas_unmap){ .size = 24, .ioas_id = ioas,
					  .iova = 0x10000, .length = 4096 };
	ck_last_payload(IOMMU_IOAS_UNMAP, want);
	/* Nothing there */
	ck_fails(ctx, nio_ioas_unmap(ctx, ioas, 0x50000, 4096, NULL), ENOENT,
		 NULL);
	/* A range covering whole mappings, with holes, is fine */
	ck_ok(nio_ioas_unmap(ctx, ioas, 0x10000, 0x11000, &unmapped));
	ck_assert_uint_eq(unmapped, 3 * 4096);
	want.length = 0x11000;
	ck_last_payload(IOMMU_IOAS_UNMAP, want);
	ck_assert_int_eq(fake_kernel_ioas_mapping(ifd, ioas, 1, NULL, NULL, NULL),
			 -ENOENT);
	/* unmapped may be NULL */
	ck_ok(nio_ioas_unmap(ctx, ioas, 0x30000, 4096, NULL));
	/* Argument checks */
	ck_fails(ctx, nio_ioas_unmap(ctx, ioas, 0x30000, 0, NULL), EINVAL, NULL);
	ck_fails(ctx, nio_ioas_unmap(ctx, ioas, UINT64_MAX - 10, 4096, NULL),
		 EOVERFLOW, NULL);
	ck_fails(ctx, nio_ioas_unmap(ctx, 99, 0x30000, 4096, NULL), ENOENT,
		 "IOMMU_IOAS_UNMAP");
	free(buf);
}
END_TEST

START_TEST(test_unmap_all)
{
	uint8_t *buf = fk_pages(4);
	struct iommu_ioas_unmap want;
	uint64_t iova, unmapped = 1;
	uint32_t ioas;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	/* Nothing mapped: fine, 0 bytes */
	ck_ok(nio_ioas_unmap_all(ctx, ioas, &unmapped));
	ck_assert_uint_eq(unmapped, 0);
	want = (struct iommu_ioas_unmap){ .size = 24, .ioas_id = ioas,
					  .iova = 0, .length = UINT64_MAX };
	ck_last_payload(IOMMU_IOAS_UNMAP, want);
	iova = 0x10000;
	ck_ok(nio_ioas_map(ctx, ioas, buf, 4 * 4096, &iova, FIXED | RW));
	iova = 0x7000000000ULL;
	ck_ok(nio_ioas_map(ctx, ioas, buf, 4096, &iova, FIXED | RW));
	ck_ok(nio_ioas_unmap_all(ctx, ioas, &unmapped));
	ck_assert_uint_eq(unmapped, 5 * 4096);
	ck_last_payload(IOMMU_IOAS_UNMAP, want);
	ck_ok(nio_ioas_unmap_all(ctx, ioas, NULL));
	ck_fails(ctx, nio_ioas_unmap_all(ctx, 55, NULL), ENOENT, NULL);
	free(buf);
}
END_TEST

START_TEST(test_copy)
{
	uint8_t *buf = fk_pages(4);
	struct iommu_ioas_copy want;
	uint64_t iova = 0x10000, dst = 0x90000;
	uint32_t a, b;

	ck_ok(nio_ioas_alloc(ctx, &a));
	ck_ok(nio_ioas_alloc(ctx, &b));
	ck_ok(nio_ioas_map(ctx, a, buf, 4 * 4096, &iova, FIXED | RW));
	ck_ok(nio_ioas_copy(ctx, b, a, 0x10000, 4 * 4096, &dst,
			    FIXED | NIO_MAP_READ));
	want = (struct iommu_ioas_copy){
		.size = 40,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		.dst_ioas_id = b,
		.src_ioas_id = a,
		.length = 4 * 4096,
		.dst_iova = 0x90000,
		.src_iova = 0x10000,
	};
	ck_last_payload(IOMMU_IOAS_COPY, want);
	ck_assert_uint_eq(dst, 0x90000);
	ck_ok(fake_kernel_ioas_mapping(ifd, b, 0, &dst, NULL, NULL));
	ck_assert_uint_eq(dst, 0x90000);
	/* Kernel-chosen destination */
	dst = 0;
	ck_ok(nio_ioas_copy(ctx, b, a, 0x10000, 4096, &dst, RW));
	ck_assert_uint_ne(dst, 0x90000);
	/* Source not mapped */
	dst = 0xa0000;
	ck_fails(ctx, nio_ioas_copy(ctx, b, a, 0x50000, 4096, &dst, FIXED | RW),
		 ENOENT, "IOMMU_IOAS_COPY");
	/* Destination taken */
	dst = 0x90000;
	ck_fails(ctx, nio_ioas_copy(ctx, b, a, 0x10000, 4096, &dst, FIXED | RW),
		 EEXIST, "IOMMU_IOAS_COPY");
	ck_fails(ctx, nio_ioas_copy(ctx, b, a, 0x10000, 0, &dst, RW), EINVAL,
		 NULL);
	ck_fails(ctx, nio_ioas_copy(ctx, b, a, 0x10000, 4096, NULL, RW), EINVAL,
		 NULL);
	free(buf);
}
END_TEST

START_TEST(test_iova_ranges)
{
	struct nio_iova_range r[4];
	struct iommu_ioas_iova_ranges want;
	uint64_t align = 0;
	uint32_t ioas, num, dev;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	/* A fresh IOAS: everything */
	num = 4;
	ck_ok(nio_ioas_iova_ranges(ctx, ioas, r, &num, &align));
	want = (struct iommu_ioas_iova_ranges){
		.size = 32,
		.ioas_id = ioas,
		.num_iovas = 4,
		.allowed_iovas = (uintptr_t)r,
	};
	ck_last_payload(IOMMU_IOAS_IOVA_RANGES, want);
	ck_assert_uint_eq(num, 1);
	ck_assert_uint_eq(r[0].start, 0);
	ck_assert_uint_eq(r[0].last, UINT64_MAX);
	ck_assert_uint_eq(align, 4096);

	/* A device's reserved regions split it */
	dev = fk_bind(0);
	ck_ok(nio_device_attach(ctx, dev, ioas, NULL));
	num = 4;
	ck_ok(nio_ioas_iova_ranges(ctx, ioas, r, &num, NULL));
	ck_assert_uint_eq(num, 2);
	ck_assert_uint_eq(r[0].last, 0x7ffffff);
	ck_assert_uint_eq(r[1].start, 0x8100000);
	ck_assert_uint_eq(r[1].last, (1ULL << 48) - 1);

	/* Too small: EMSGSIZE with the count needed */
	num = 1;
	memset(r, 0, sizeof(r));
	ck_fails(ctx, nio_ioas_iova_ranges(ctx, ioas, r, &num, &align), EMSGSIZE,
		 "IOMMU_IOAS_IOVA_RANGES");
	ck_assert_uint_eq(num, 2);
	/* Only the capacity was written */
	ck_assert_uint_eq(r[0].last, 0x7ffffff);
	ck_assert_uint_eq(r[1].last, 0);
	/* Counting only */
	num = 0;
	ck_fails(ctx, nio_ioas_iova_ranges(ctx, ioas, NULL, &num, NULL), EMSGSIZE,
		 NULL);
	ck_assert_uint_eq(num, 2);
	want = (struct iommu_ioas_iova_ranges){ .size = 32, .ioas_id = ioas };
	ck_last_payload(IOMMU_IOAS_IOVA_RANGES, want);

	ck_fails(ctx, nio_ioas_iova_ranges(ctx, ioas, r, NULL, NULL), EINVAL,
		 NULL);
	num = 2;
	ck_fails(ctx, nio_ioas_iova_ranges(ctx, ioas, NULL, &num, NULL), EINVAL,
		 NULL);
	ck_fails(ctx, nio_ioas_iova_ranges(ctx, 42, r, &num, NULL), ENOENT,
		 NULL);
}
END_TEST

START_TEST(test_allow_iovas)
{
	const struct nio_iova_range r[2] = {
		{ .start = 0x100000, .last = 0x1fffff },
		{ .start = 0x10000000, .last = 0x1fffffff },
	};
	const struct nio_iova_range bad[2] = {
		{ .start = 0x100000, .last = 0x1fffff },
		{ .start = 0x180000, .last = 0x2fffff },
	};
	const struct nio_iova_range inverted = { .start = 2, .last = 1 };
	struct iommu_ioas_allow_iovas want;
	const struct fk_call *c;
	uint8_t *buf = fk_pages(1);
	uint64_t iova = 0;
	uint32_t ioas;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_ok(nio_ioas_allow_iovas(ctx, ioas, r, 2));
	want = (struct iommu_ioas_allow_iovas){
		.size = 24,
		.ioas_id = ioas,
		.num_iovas = 2,
		.allowed_iovas = (uintptr_t)r,
	};
	ck_last_payload(IOMMU_IOAS_ALLOW_IOVAS, want);
	c = fake_kernel_last_ioctl(IOMMU_IOAS_ALLOW_IOVAS);
	ck_assert_uint_eq(c->aux_len, sizeof(r));
	ck_assert_mem_eq(c->aux, r, sizeof(r));
	/* Automatic IOVAs come from the allowed ranges */
	ck_ok(nio_ioas_map(ctx, ioas, buf, 4096, &iova, RW));
	ck_assert_uint_ge(iova, 0x100000);
	ck_assert_uint_le(iova, 0x1fffff);
	/* Bad lists */
	ck_fails(ctx, nio_ioas_allow_iovas(ctx, ioas, bad, 2), EINVAL, NULL);
	ck_fails(ctx, nio_ioas_allow_iovas(ctx, ioas, &inverted, 1), EINVAL,
		 NULL);
	ck_fails(ctx, nio_ioas_allow_iovas(ctx, ioas, NULL, 1), EINVAL, NULL);
	/* Empty list: clears */
	ck_ok(nio_ioas_allow_iovas(ctx, ioas, NULL, 0));
	want = (struct iommu_ioas_allow_iovas){ .size = 24, .ioas_id = ioas };
	ck_last_payload(IOMMU_IOAS_ALLOW_IOVAS, want);
	ck_fails(ctx, nio_ioas_allow_iovas(ctx, 31, r, 2), ENOENT,
		 "IOMMU_IOAS_ALLOW_IOVAS");
	free(buf);
}
END_TEST

START_TEST(test_change_process)
{
	struct iommu_ioas_change_process want = { .size = 8 };
	uint8_t *buf = fk_pages(1);
	uint64_t iova = 0x1000;
	uint32_t ioas;
	int mfd = memfd_create("nio-test", MFD_CLOEXEC);

	ck_assert_int_eq(ftruncate(mfd, 4096), 0);
	ck_ok(nio_ioas_change_process(ctx));
	ck_last_payload(IOMMU_IOAS_CHANGE_PROCESS, want);
	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_ok(nio_ioas_map_file(ctx, ioas, mfd, 0, 4096, &iova, FIXED | RW));
	ck_ok(nio_ioas_change_process(ctx));
	/* A user-VA mapping cannot move */
	iova = 0x2000;
	ck_ok(nio_ioas_map(ctx, ioas, buf, 4096, &iova, FIXED | RW));
	ck_fails(ctx, nio_ioas_change_process(ctx), EINVAL,
		 "IOMMU_IOAS_CHANGE_PROCESS");
	ck_fails(NULL, nio_ioas_change_process(NULL), EINVAL, NULL);
	close(mfd);
	free(buf);
}
END_TEST

START_TEST(test_get_pa)
{
	struct iommu_ioas_noiommu_get_pa want;
	uint8_t *buf = fk_pages(4);
	uint64_t iova = 0x40000, len = 4096, pa = 0;
	uint32_t ioas;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_ok(nio_ioas_map(ctx, ioas, buf, 4 * 4096, &iova, FIXED | RW));
	ck_ok(nio_ioas_get_pa(ctx, ioas, 0x41000, &len, &pa));
	want = (struct iommu_ioas_noiommu_get_pa){
		.size = 40,
		.ioas_id = ioas,
		.iova = 0x41000,
		.length = 4096,
	};
	ck_last_payload(IOMMU_IOAS_NOIOMMU_GET_PA, want);
	ck_assert_uint_ne(pa, 0);
	ck_assert_uint_eq(len, 3 * 4096);
	len = 4096;
	ck_fails(ctx, nio_ioas_get_pa(ctx, ioas, 0x90000, &len, &pa), ENOENT,
		 "IOMMU_IOAS_NOIOMMU_GET_PA");
	ck_fails(ctx, nio_ioas_get_pa(ctx, ioas, 0x41000, NULL, &pa), EINVAL,
		 NULL);
	ck_fails(ctx, nio_ioas_get_pa(ctx, ioas, 0x41000, &len, NULL), EINVAL,
		 NULL);
	free(buf);
}
END_TEST

START_TEST(test_vfio_ioas)
{
	struct iommu_vfio_ioas want;
	uint32_t ioas, got = 0;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	/* None yet: the kernel's ENODEV */
	ck_fails(ctx, nio_vfio_ioas(ctx, NIO_VFIO_IOAS_GET, &got), ENODEV,
		 "IOMMU_VFIO_IOAS");
	ck_ok(nio_vfio_ioas(ctx, NIO_VFIO_IOAS_SET, &ioas));
	want = (struct iommu_vfio_ioas){ .size = 12, .ioas_id = ioas, .op = 1 };
	ck_last_payload(IOMMU_VFIO_IOAS, want);
	ck_ok(nio_vfio_ioas(ctx, NIO_VFIO_IOAS_GET, &got));
	ck_assert_uint_eq(got, ioas);
	want = (struct iommu_vfio_ioas){ .size = 12, .op = 0 };
	ck_last_payload(IOMMU_VFIO_IOAS, want);
	ck_ok(nio_vfio_ioas(ctx, NIO_VFIO_IOAS_CLEAR, NULL));
	want = (struct iommu_vfio_ioas){ .size = 12, .op = 2 };
	ck_last_payload(IOMMU_VFIO_IOAS, want);
	ck_fails(ctx, nio_vfio_ioas(ctx, NIO_VFIO_IOAS_GET, &got), ENODEV, NULL);
	got = 1234;
	ck_fails(ctx, nio_vfio_ioas(ctx, NIO_VFIO_IOAS_SET, &got), ENOENT, NULL);
	ck_fails(ctx, nio_vfio_ioas(ctx, NIO_VFIO_IOAS_GET, NULL), EINVAL, NULL);
	ck_fails(ctx, nio_vfio_ioas(ctx, (enum nio_vfio_ioas_op)7, &got), EINVAL,
		 NULL);
}
END_TEST

START_TEST(test_options)
{
	struct iommu_option want;
	uint64_t val = 77;
	uint32_t ioas;

	ck_ok(nio_option_get(ctx, NIO_OPTION_RLIMIT_MODE, 0, &val));
	ck_assert_uint_eq(val, 0);
	want = (struct iommu_option){ .size = 24, .option_id = 0, .op = 1 };
	ck_last_payload(IOMMU_OPTION, want);
	ck_ok(nio_option_set(ctx, NIO_OPTION_RLIMIT_MODE, 0, 1));
	want = (struct iommu_option){ .size = 24, .option_id = 0, .op = 0,
				      .val64 = 1 };
	ck_last_payload(IOMMU_OPTION, want);
	ck_ok(nio_option_get(ctx, NIO_OPTION_RLIMIT_MODE, 0, &val));
	ck_assert_uint_eq(val, 1);
	/* RLIMIT_MODE is global */
	ck_fails(ctx, nio_option_get(ctx, NIO_OPTION_RLIMIT_MODE, 3, &val), EINVAL,
		 "RLIMIT_MODE");
	fake_kernel_set_unprivileged(true);
	ck_fails(ctx, nio_option_set(ctx, NIO_OPTION_RLIMIT_MODE, 0, 0), EPERM,
		 "IOMMU_OPTION");

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_ok(nio_option_get(ctx, NIO_OPTION_HUGE_PAGES, ioas, &val));
	ck_assert_uint_eq(val, 1);
	ck_ok(nio_option_set(ctx, NIO_OPTION_HUGE_PAGES, ioas, 0));
	want = (struct iommu_option){ .size = 24, .option_id = 1, .op = 0,
				      .object_id = ioas, .val64 = 0 };
	ck_last_payload(IOMMU_OPTION, want);
	ck_ok(nio_option_get(ctx, NIO_OPTION_HUGE_PAGES, ioas, &val));
	ck_assert_uint_eq(val, 0);
	ck_fails(ctx, nio_option_set(ctx, NIO_OPTION_HUGE_PAGES, ioas, 2), EINVAL,
		 "HUGE_PAGES");
	ck_fails(ctx, nio_option_get(ctx, NIO_OPTION_HUGE_PAGES, 99, &val),
		 ENOENT, NULL);
	/* Unknown option: the kernel's EOPNOTSUPP */
	ck_fails(ctx, nio_option_get(ctx, (enum nio_option)9, 0, &val), EOPNOTSUPP,
		 "IOMMU_OPTION");
	ck_fails(ctx, nio_option_get(ctx, NIO_OPTION_HUGE_PAGES, ioas, NULL),
		 EINVAL, NULL);
}
END_TEST

/*
 * A failed MAP/UNMAP/COPY must be issued once: asking the kernel again on
 * the error path repeats side effects (an UNMAP that removed some
 * mappings before failing), and when the retry succeeds the caller is
 * told so without getting the IOVA the kernel chose.
 */
START_TEST(test_failed_map_issued_once)
{
	uint8_t *buf = fk_pages(2);
	uint64_t iova = 0x123000, dst = 0;
	uint32_t ioas;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	fake_kernel_clear_calls();
	fake_kernel_fail_ioctl(IOMMU_IOAS_MAP, 0, ENOMEM);
	ck_fails(ctx, nio_ioas_map(ctx, ioas, buf, 4096, &iova, RW), ENOMEM,
		 "IOMMU_IOAS_MAP");
	ck_assert_uint_eq(fake_kernel_count_ioctl(IOMMU_IOAS_MAP), 1);
	ck_assert_int_eq(fake_kernel_ioas_mapping(ifd, ioas, 0, NULL, NULL, NULL),
			 -ENOENT);

	iova = 0x10000;
	ck_ok(nio_ioas_map(ctx, ioas, buf, 2 * 4096, &iova, FIXED | RW));
	fake_kernel_clear_calls();
	fake_kernel_fail_ioctl(IOMMU_IOAS_COPY, 0, ENOMEM);
	ck_fails(ctx, nio_ioas_copy(ctx, ioas, ioas, 0x10000, 4096, &dst, RW),
		 ENOMEM, "IOMMU_IOAS_COPY");
	ck_assert_uint_eq(fake_kernel_count_ioctl(IOMMU_IOAS_COPY), 1);

	fake_kernel_clear_calls();
	fake_kernel_fail_ioctl(IOMMU_IOAS_UNMAP, 0, EBUSY);
	ck_fails(ctx, nio_ioas_unmap(ctx, ioas, 0x10000, 2 * 4096, NULL), EBUSY,
		 "IOMMU_IOAS_UNMAP");
	ck_assert_uint_eq(fake_kernel_count_ioctl(IOMMU_IOAS_UNMAP), 1);
	ck_assert_int_eq(fake_kernel_ioas_mapping(ifd, ioas, 0, NULL, NULL, NULL),
			 0);
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lib-ioas");

	FK_TCASE(s, "ioas", test_alloc, test_map_fixed, test_map_auto_iova,
		 test_map_errors, test_map_reserved, test_map_file, test_unmap,
		 test_unmap_all, test_copy, test_iova_ranges, test_allow_iovas,
		 test_change_process, test_get_pa, test_vfio_ioas,
		 test_options, test_failed_map_issued_once);
	return fk_run(s);
}
