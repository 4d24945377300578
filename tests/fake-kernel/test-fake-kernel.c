// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fake kernel's own rules, through raw ioctls (no libnestiommu): the
 * library tests are only as good as this model, so its kernel behaviours
 * are pinned here.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uapi.h"
#include "fake-kernel.h"

static int fd;

static void setup(void)
{
	fake_kernel_reset();
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
}

static void teardown(void)
{
	close(fd);
	ck_assert_uint_eq(fake_kernel_nr_fds(), 0);
	ck_assert_uint_eq(fake_kernel_nr_contexts(), 0);
}

/* ioctl() result as 0 or -errno */
static int io(int f, unsigned long req, void *arg)
{
	return ioctl(f, req, arg) ? -errno : 0;
}

static uint32_t ioas_alloc(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	ck_assert_int_eq(io(fd, IOMMU_IOAS_ALLOC, &a), 0);
	return a.out_ioas_id;
}

static int destroy(uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return io(fd, IOMMU_DESTROY, &d);
}

static int map(uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		.ioas_id = ioas,
		.user_va = 0x7f0000000000ULL,
		.length = len,
		.iova = iova,
	};

	return io(fd, IOMMU_IOAS_MAP, &m);
}

static int unmap(uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *out)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
				      .iova = iova, .length = len };
	int r = io(fd, IOMMU_IOAS_UNMAP, &u);

	if (out)
		*out = u.length;
	return r;
}

static uint32_t bind(int cdev)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b),
					      .iommufd = fd };

	ck_assert_int_eq(io(cdev, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	return b.out_devid;
}

START_TEST(test_size_rules)
{
	struct {
		struct iommu_ioas_alloc a;
		uint32_t tail[3];
	} big = { .a = { .size = sizeof(big) } };
	struct iommu_ioas_map m = { .size = sizeof(m), .__reserved = 1 };
	struct iommu_hwpt_alloc h = { .size = 24 };

	/* Smaller than the minimum */
	big.a.size = 8;
	ck_assert_int_eq(io(fd, IOMMU_IOAS_ALLOC, &big), -EINVAL);
	/* Larger, zero tail: fine, and only the known part is written */
	big.a.size = sizeof(big);
	ck_assert_int_eq(io(fd, IOMMU_IOAS_ALLOC, &big), 0);
	ck_assert_uint_eq(big.a.out_ioas_id, 1);
	ck_assert_uint_eq(big.tail[0], 0);
	/* Non-zero tail: E2BIG */
	big.tail[2] = 1;
	ck_assert_int_eq(io(fd, IOMMU_IOAS_ALLOC, &big), -E2BIG);
	/* Explicit reserved fields: EOPNOTSUPP */
	ck_assert_int_eq(io(fd, IOMMU_IOAS_MAP, &m), -EOPNOTSUPP);
	/* Minimum size of HWPT_ALLOC is 24: the rest reads as zero */
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h), -ENOENT);
	/* An older kernel's shorter struct */
	fake_kernel_set_kernel_size(IOMMU_HWPT_ALLOC, 24);
	h.size = sizeof(h);
	h.fault_id = 1;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h), -E2BIG);
	fake_kernel_set_kernel_size(IOMMU_HWPT_ALLOC, 0);
	/* NULL, unknown numbers, size/direction bits */
	ck_assert_int_eq(io(fd, IOMMU_IOAS_ALLOC, NULL), -EFAULT);
	ck_assert_int_eq(io(fd, _IO(';', 0x99), &big), -ENOTTY);
	ck_assert_int_eq(io(fd, _IOWR(';', 0x81, struct iommu_ioas_alloc), &big),
			 -ENOTTY);
	ck_assert_int_eq(io(fd, VFIO_DEVICE_BIND_IOMMUFD, &big), -ENOTTY);
}
END_TEST

START_TEST(test_ids)
{
	uint32_t a = ioas_alloc(), b = ioas_alloc(), c = ioas_alloc();

	ck_assert_uint_eq(a, 1);
	ck_assert_uint_eq(b, 2);
	ck_assert_uint_eq(c, 3);
	ck_assert_int_eq(destroy(b), 0);
	ck_assert_int_eq(destroy(b), -ENOENT);
	ck_assert_int_eq(destroy(0), -ENOENT);
	/* Lowest free ID first */
	ck_assert_uint_eq(ioas_alloc(), 2);
	ck_assert_uint_eq(ioas_alloc(), 4);
	ck_assert_uint_eq(fake_kernel_nr_objects(), 4);
	/* Another context has its own IDs */
	{
		int fd2 = open("/dev/iommu", O_RDWR);
		struct iommu_ioas_alloc x = { .size = sizeof(x) };

		ck_assert_int_eq(io(fd2, IOMMU_IOAS_ALLOC, &x), 0);
		ck_assert_uint_eq(x.out_ioas_id, 1);
		close(fd2);
	}
	ck_assert_uint_eq(fake_kernel_nr_objects(), 4);
}
END_TEST

START_TEST(test_map_rules)
{
	uint32_t ioas = ioas_alloc();
	uint64_t n;

	ck_assert_int_eq(map(ioas, 0x10000, 0x2000), 0);
	ck_assert_int_eq(map(ioas, 0x11000, 0x2000), -EEXIST);
	ck_assert_int_eq(map(ioas, 0x20800, 0x1000), -EINVAL);
	ck_assert_int_eq(map(ioas, 0x20000, 0x800), -EINVAL);
	ck_assert_int_eq(map(ioas, 0x20000, 0), -EINVAL);
	ck_assert_int_eq(map(ioas, 0x20000, 0x1000), 0);
	ck_assert_int_eq(map(ioas, 0x30000, 0x1000), 0);
	/* Partial cover: areas before the split one go, then ENOENT */
	ck_assert_int_eq(unmap(ioas, 0x10000, 0x20800, &n), -ENOENT);
	ck_assert_int_eq(fake_kernel_ioas_mapping(fd, ioas, 0, &n, NULL, NULL),
			 0);
	ck_assert_uint_eq(n, 0x30000);
	ck_assert_int_eq(unmap(ioas, 0x40000, 0x1000, NULL), -ENOENT);
	/* Unmap all */
	ck_assert_int_eq(unmap(ioas, 0, UINT64_MAX, &n), 0);
	ck_assert_uint_eq(n, 0x1000);
	ck_assert_int_eq(unmap(ioas, 0, UINT64_MAX, &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_iova_ranges_emsgsize)
{
	struct iommu_iova_range r[1];
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .num_iovas = 1,
					    .allowed_iovas = (uintptr_t)r };
	uint32_t ioas = ioas_alloc();
	int cdev = open("/dev/vfio/devices/vfio0", O_RDWR);
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at),
						    .pt_id = ioas };

	q.ioas_id = ioas;
	bind(cdev);
	ck_assert_int_eq(io(cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
	ck_assert_uint_ne(at.pt_id, ioas);
	ck_assert_int_eq(io(fd, IOMMU_IOAS_IOVA_RANGES, &q), -EMSGSIZE);
	ck_assert_uint_eq(q.num_iovas, 2);
	ck_assert_uint_eq(q.out_iova_alignment, 4096);
	ck_assert_uint_eq(r[0].last, 0x7ffffff);
	/* Mapping in the SW_MSI window is refused while attached */
	ck_assert_int_eq(map(ioas, 0x8000000, 0x1000), -EINVAL);
	/* Detached: the automatic domain and its restrictions are gone */
	{
		struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };

		ck_assert_int_eq(io(cdev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	}
	ck_assert_int_eq(fake_kernel_obj_type(fd, at.pt_id), FK_OBJ_NONE);
	q.num_iovas = 1;
	ck_assert_int_eq(io(fd, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	ck_assert_uint_eq(q.num_iovas, 1);
	ck_assert_uint_eq(r[0].last, UINT64_MAX);
	ck_assert_int_eq(map(ioas, 0x8000000, 0x1000), 0);
	/* ... and attaching again conflicts with that mapping */
	at.pt_id = ioas;
	ck_assert_int_eq(io(cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at),
			 -EADDRINUSE);
	/* A paging HWPT alone narrows to its aperture, no MSI hole */
	{
		struct iommu_hwpt_alloc h = { .size = sizeof(h),
					      .dev_id = fake_kernel_vfio_dev_id(cdev),
					      .pt_id = ioas };

		ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h), 0);
		q.num_iovas = 1;
		ck_assert_int_eq(io(fd, IOMMU_IOAS_IOVA_RANGES, &q), 0);
		ck_assert_uint_eq(r[0].last, (1ULL << 48) - 1);
		/* Attaching to it: the mapping in the window is in the way */
		at.pt_id = h.out_hwpt_id;
		ck_assert_int_eq(io(cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at),
				 -EADDRINUSE);
	}
	close(cdev);
}
END_TEST

START_TEST(test_lifetimes)
{
	int cdev = open("/dev/vfio/devices/vfio0", O_RDWR), d;
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct stat st;
	uint32_t dev;

	/* Before bind, only BIND works on a cdev */
	ck_assert_int_eq(io(cdev, VFIO_DEVICE_GET_INFO, &info), -EINVAL);
	dev = bind(cdev);
	ck_assert_int_eq(io(cdev, VFIO_DEVICE_GET_INFO, &info), 0);
	ck_assert_uint_eq(info.num_regions, 9);
	info.argsz = 8;
	ck_assert_int_eq(io(cdev, VFIO_DEVICE_GET_INFO, &info), -EINVAL);
	/* Bound again: EINVAL */
	{
		struct vfio_device_bind_iommufd b = { .argsz = sizeof(b),
						      .iommufd = fd };

		ck_assert_int_eq(io(cdev, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
		b.iommufd = 1000;
		ck_assert_int_eq(io(open("/dev/vfio/devices/vfio1", O_RDWR),
				    VFIO_DEVICE_BIND_IOMMUFD, &b),
				 -EBADF);
	}
	/* A device is not destroyed by IOMMU_DESTROY */
	ck_assert_int_eq(destroy(dev), -EBUSY);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	/* A dup keeps the context; so does a bound cdev */
	d = dup(fd);
	close(fd);
	ck_assert_uint_eq(fake_kernel_nr_contexts(), 1);
	close(d);
	ck_assert_uint_eq(fake_kernel_nr_contexts(), 1);
	ck_assert_uint_eq(fake_kernel_nr_objects(), 1);
	close(cdev);
	ck_assert_uint_eq(fake_kernel_nr_contexts(), 0);
	ck_assert_uint_eq(fake_kernel_nr_objects(), 0);
	/* vfio1 opened above */
	fake_kernel_reset();
	fd = open("/dev/iommu", O_RDWR);
}
END_TEST

START_TEST(test_queues)
{
	int cdev = open("/dev/vfio/devices/vfio0", O_RDWR);
	uint32_t ioas = ioas_alloc(), dev = bind(cdev);
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .dev_id = dev,
				      .pt_id = ioas,
				      .flags = IOMMU_HWPT_ALLOC_NEST_PARENT };
	struct iommu_viommu_alloc v = { .size = sizeof(v), .dev_id = dev,
					.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3 };
	struct iommu_veventq_alloc q = { .size = sizeof(q), .veventq_depth = 2,
					 .type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	uint8_t buf[256], evt[32] = { 7 };
	struct iommu_hwpt_pgfault pf = { .addr = 0x1000 };

	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h), 0);
	v.hwpt_id = h.out_hwpt_id;
	ck_assert_int_eq(io(fd, IOMMU_VIOMMU_ALLOC, &v), 0);
	q.viommu_id = v.out_viommu_id;
	ck_assert_int_eq(io(fd, IOMMU_VEVENTQ_ALLOC, &q), 0);
	ck_assert_int_eq(io(fd, IOMMU_VEVENTQ_ALLOC, &q), -EEXIST);
	/* Empty: 0 bytes */
	ck_assert_int_eq(read((int)q.out_veventq_fd, buf, sizeof(buf)), 0);
	fake_kernel_veventq_report(fd, q.out_veventq_id, evt, 32);
	/* Too small for a whole record: 0 bytes, record kept */
	ck_assert_int_eq(read((int)q.out_veventq_fd, buf, 39), 0);
	ck_assert_int_eq(read((int)q.out_veventq_fd, buf, 40), 40);
	ck_assert_uint_eq(buf[8], 7);
	/* Busy while its descriptor is open */
	ck_assert_int_eq(destroy(q.out_veventq_id), -EBUSY);
	close((int)q.out_veventq_fd);
	ck_assert_int_eq(destroy(q.out_veventq_id), 0);

	ck_assert_int_eq(io(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	ck_assert_int_eq(read((int)fa.out_fault_fd, buf, 39), -1);
	ck_assert_int_eq(errno, ESPIPE);
	ck_assert_int_gt(fake_kernel_fault_report(fd, fa.out_fault_id, &pf), 0);
	ck_assert_int_eq(read((int)fa.out_fault_fd, buf, 80), 40);
	close((int)fa.out_fault_fd);
	close(cdev);
}
END_TEST

START_TEST(test_invalidate_progress)
{
	int cdev = open("/dev/vfio/devices/vfio0", O_RDWR);
	uint32_t ioas = ioas_alloc(), dev = bind(cdev);
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .dev_id = dev,
				      .pt_id = ioas,
				      .flags = IOMMU_HWPT_ALLOC_NEST_PARENT };
	struct iommu_viommu_alloc v = { .size = sizeof(v), .dev_id = dev,
					.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3 };
	uint64_t cmds[4][2] = { { 0x10, 0 }, { 0x11, 0 }, { 0x03, 0 },
				{ 0x10, 0 } };
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.data_uptr = (uintptr_t)cmds,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = 16,
		.entry_num = 4,
	};

	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h), 0);
	v.hwpt_id = h.out_hwpt_id;
	ck_assert_int_eq(io(fd, IOMMU_VIOMMU_ALLOC, &v), 0);
	inv.hwpt_id = v.out_viommu_id;
	/* CFGI_STE is not accepted: EIO at entry 2, entry_num written */
	ck_assert_int_eq(io(fd, IOMMU_HWPT_INVALIDATE, &inv), -EIO);
	ck_assert_uint_eq(inv.entry_num, 2);
	cmds[2][0] = 0x30;
	inv.entry_num = 4;
	fake_kernel_fail_invalidate_at(1, ENOMEM);
	ck_assert_int_eq(io(fd, IOMMU_HWPT_INVALIDATE, &inv), -ENOMEM);
	ck_assert_uint_eq(inv.entry_num, 1);
	inv.entry_num = 4;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_INVALIDATE, &inv), 0);
	ck_assert_uint_eq(inv.entry_num, 4);
	/* Empty SMMUv3 array: EINVAL on 7.3 */
	inv.entry_num = 0;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_INVALIDATE, &inv), -EINVAL);
	/* Failures before the driver write back entry_num = 0 */
	inv.entry_num = 4;
	inv.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_INVALIDATE, &inv), -EINVAL);
	ck_assert_uint_eq(inv.entry_num, 0);
	inv.entry_num = 4;
	inv.hwpt_id = 999;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_INVALIDATE, &inv), -ENOENT);
	ck_assert_uint_eq(inv.entry_num, 0);
	close(cdev);
}
END_TEST

START_TEST(test_log_and_scripts)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	const struct fk_call *c;

	fake_kernel_clear_calls();
	fake_kernel_fail_ioctl(IOMMU_IOAS_ALLOC, 1, ENOSPC);
	ck_assert_int_eq(io(fd, IOMMU_IOAS_ALLOC, &a), 0);
	ck_assert_int_eq(io(fd, IOMMU_IOAS_ALLOC, &a), -ENOSPC);
	ck_assert_int_eq(io(fd, IOMMU_IOAS_ALLOC, &a), 0);
	fake_kernel_set_missing(IOMMU_IOAS_ALLOC, true);
	ck_assert_int_eq(io(fd, IOMMU_IOAS_ALLOC, &a), -ENOTTY);
	fake_kernel_set_missing(IOMMU_IOAS_ALLOC, false);
	ck_assert_uint_eq(fake_kernel_count_ioctl(IOMMU_IOAS_ALLOC), 4);
	c = fake_kernel_find_ioctl(IOMMU_IOAS_ALLOC, 0);
	ck_assert_uint_eq(c->len, 12);
	ck_assert_uint_eq(c->in[8], 0);   /* out_ioas_id as sent */
	ck_assert_uint_eq(c->out[8], 1);  /* and as written back */
	c = fake_kernel_find_ioctl(IOMMU_IOAS_ALLOC, 1);
	ck_assert_int_eq(c->err, ENOSPC);
	ck_assert_str_eq(fake_kernel_ioctl_name(IOMMU_HWPT_INVALIDATE),
			 "IOMMU_HWPT_INVALIDATE");
	ck_assert_ptr_null(fake_kernel_ioctl_name(0x1234));
	/* Untouched descriptors pass through */
	ck_assert_int_eq(fake_kernel_fd_kind(0), FK_FILE_NONE);
	fake_kernel_fail_open_iommu(EACCES);
	ck_assert_int_eq(open("/dev/iommu", O_RDWR), -1);
	ck_assert_int_eq(errno, EACCES);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fake-kernel");
	TCase *tc = tcase_create("rules");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_size_rules);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_map_rules);
	tcase_add_test(tc, test_iova_ranges_emsgsize);
	tcase_add_test(tc, test_lifetimes);
	tcase_add_test(tc, test_queues);
	tcase_add_test(tc, test_invalidate_progress);
	tcase_add_test(tc, test_log_and_scripts);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
