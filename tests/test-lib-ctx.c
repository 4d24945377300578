// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Context life cycle against the fake kernel: open, adopt (owned and
 * borrowed descriptors), references, close releasing everything, the
 * object graph, destroy, last error and logging.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>

#include "fk-check.h"

START_TEST(test_open_close)
{
	const struct fk_call *c;
	struct nio_ctx *c2 = NULL;
	int fd2;

	/* The fixture opened /dev/iommu read-write, close-on-exec. */
	ck_assert_int_ge(ifd, 0);
	ck_assert_int_eq(fcntl(ifd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_uint_eq(fake_kernel_nr_contexts(), 1);

	ck_ok(nio_ctx_open(&c2, NULL));
	fd2 = nio_ctx_fd(c2);
	ck_assert_int_ne(fd2, ifd);
	c = fake_kernel_call(0);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->kind, FK_CALL_OPEN);
	ck_assert_str_eq(c->path, "/dev/iommu");
	ck_assert_int_eq((int)c->request & O_ACCMODE, O_RDWR);
	ck_assert_uint_eq(fake_kernel_nr_contexts(), 2);
	ck_assert_ptr_null(nio_ctx_unref(c2));
	ck_assert_int_eq(fake_kernel_fd_kind(fd2), FK_FILE_NONE);
	ck_assert_uint_eq(fake_kernel_nr_contexts(), 1);
}
END_TEST

START_TEST(test_open_fails)
{
	struct nio_ctx *c2 = (struct nio_ctx *)&c2;

	fake_kernel_fail_open_iommu(ENOENT);
	ck_fails(NULL, nio_ctx_open(&c2, NULL), ENOENT, "/dev/iommu");
	ck_assert_ptr_null(c2);
	fake_kernel_fail_open_iommu(EACCES);
	ck_fails(NULL, nio_ctx_open(&c2, NULL), EACCES, "open(/dev/iommu)");
	fake_kernel_fail_open_iommu(0);
	ck_fails(NULL, nio_ctx_open(NULL, NULL), EINVAL, NULL);
}
END_TEST

START_TEST(test_open_opts)
{
	struct nio_ctx *c2 = NULL;
	struct {
		struct nio_ctx_opts o;
		uint64_t tail[2];
	} big;

	/* Explicit path */
	{
		NIO_OPTS(nio_ctx_opts, o, .path = "/dev/iommu");

		ck_ok(nio_ctx_open(&c2, &o));
		ck_assert_int_eq(fake_kernel_fd_kind(nio_ctx_fd(c2)),
				 FK_FILE_IOMMUFD);
		c2 = nio_ctx_unref(c2);
	}
	/* An older caller's struct: only sz and path */
	{
		NIO_OPTS(nio_ctx_opts, o, .path = "/dev/iommu",
			 .log_level = 99);

		o.sz = offsetof(struct nio_ctx_opts, path) + sizeof(o.path);
		ck_ok(nio_ctx_open(&c2, &o));
		c2 = nio_ctx_unref(c2);
	}
	/* A path that is not the fake node goes to the real open() */
	{
		NIO_OPTS(nio_ctx_opts, o, .path = "/nonexistent/iommu");

		ck_fails(NULL, nio_ctx_open(&c2, &o), ENOENT,
			 "/nonexistent/iommu");
		ck_assert_ptr_null(c2);
	}
	/* A newer caller's struct: zero tail is fine, non-zero is E2BIG */
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	ck_ok(nio_ctx_open(&c2, &big.o));
	c2 = nio_ctx_unref(c2);
	big.tail[1] = 1;
	ck_fails(NULL, nio_ctx_open(&c2, &big.o), E2BIG, "nio_ctx_opts");
	ck_assert_ptr_null(c2);
	/* sz 0 with a non-NULL pointer */
	memset(&big, 0, sizeof(big));
	ck_fails(NULL, nio_ctx_open(&c2, &big.o), EINVAL, "nio_ctx_opts");
	ck_assert_ptr_null(c2);
	/* No descriptor was opened by any failure */
	ck_assert_uint_eq(fake_kernel_nr_fds(), 1);
}
END_TEST

START_TEST(test_adopt_owned)
{
	struct iommu_destroy probe = { .size = sizeof(probe), .id = 0 };
	struct nio_ctx *c2 = NULL;
	uint32_t ioas;
	int fd = open("/dev/iommu", O_RDWR);

	ck_assert_int_ge(fd, 0);
	fake_kernel_clear_calls();
	ck_ok(nio_ctx_adopt_fd(fd, 0, NULL, &c2));
	ck_assert_int_eq(nio_ctx_fd(c2), fd);
	/* The check is one harmless ioctl */
	ck_assert_uint_eq(fake_kernel_nr_calls(), 1);
	ck_last_payload(IOMMU_DESTROY, probe);
	ck_ok(nio_ioas_alloc(c2, &ioas));
	ck_assert_int_eq(fake_kernel_obj_type(fd, ioas), FK_OBJ_IOAS);
	/* Owned: the last unref closes the descriptor, freeing everything */
	ck_assert_ptr_null(nio_ctx_unref(c2));
	ck_assert_int_eq(fake_kernel_fd_kind(fd), FK_FILE_NONE);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert_uint_eq(fake_kernel_nr_contexts(), 1);
}
END_TEST

START_TEST(test_adopt_borrowed)
{
	struct nio_ctx *c2 = NULL;
	uint32_t ioas, ioas2, dev, s2, viommu, vdev, evq, fault, nested;
	const uint64_t ste[2] = { 0x1 | (5u << 1), 0 };
	const struct fk_call *c;
	uint32_t order[8];
	unsigned int i, n = 0;
	int fd = open("/dev/iommu", O_RDWR);
	void *buf = fk_pages(4);
	uint64_t iova = 0x100000;

	ck_assert_int_ge(fd, 0);
	ck_ok(nio_ctx_adopt_fd(fd, NIO_ADOPT_BORROW, NULL, &c2));
	ck_ok(nio_ioas_alloc(c2, &ioas));
	ck_ok(nio_ioas_alloc(c2, &ioas2));
	ck_ok(nio_ioas_map(c2, ioas, buf, 4 * 4096, &iova,
			   NIO_MAP_FIXED_IOVA | NIO_MAP_READ | NIO_MAP_WRITE));
	ck_ok(nio_device_bind(c2, "/dev/vfio/devices/vfio0", NULL, &dev));
	ck_ok(nio_hwpt_alloc_nest_parent(c2, dev, ioas, &s2));
	ck_ok(nio_viommu_alloc(c2, dev, s2, NIO_VIOMMU_ARM_SMMUV3, NULL,
			       &viommu));
	ck_ok(nio_vdevice_alloc(c2, viommu, dev, 0x42, &vdev));
	ck_ok(nio_hwpt_alloc_smmuv3_nested(c2, dev, viommu, ste, &nested));
	ck_ok(nio_device_attach(c2, dev, nested, NULL));
	ck_ok(nio_veventq_alloc(c2, viommu, NIO_VEVENTQ_ARM_SMMUV3, 16, &evq));
	ck_ok(nio_fault_alloc(c2, &fault, NULL));
	ck_assert_uint_eq(fake_kernel_nr_objects(), 9);

	fake_kernel_clear_calls();
	ck_assert_ptr_null(nio_ctx_unref(c2));
	/* Borrowed: the caller's descriptor stays open ... */
	ck_assert_int_eq(fake_kernel_fd_kind(fd), FK_FILE_IOMMUFD);
	ck_assert_uint_eq(fake_kernel_nr_fds(), 2);
	/* ... and every object the context created is gone */
	if (fake_kernel_nr_objects()) {
		fake_kernel_dump_calls();
		ck_abort_msg("%u objects left in a borrowed context",
			     fake_kernel_nr_objects());
	}
	/* Destroyed newest first */
	for (i = 0; (c = fake_kernel_call(i)); i++) {
		uint32_t id;

		if (c->kind != FK_CALL_IOCTL || c->request != IOMMU_DESTROY ||
		    c->err)
			continue;
		memcpy(&id, c->in + 4, 4);
		ck_assert_uint_lt(n, 8);
		order[n++] = id;
	}
	{
		const uint32_t want[] = { fault, evq, nested, vdev, viommu, s2,
					  ioas2, ioas };
		unsigned int j = 0;

		/* vdev may be gone with its device (tombstone): skip it */
		for (i = 0; i < sizeof(want) / sizeof(want[0]) && j < n; i++) {
			if (want[i] == vdev && order[j] != vdev)
				continue;
			ck_assert_uint_eq(order[j], want[i]);
			j++;
		}
		ck_assert_uint_eq(j, n);
	}
	close(fd);
	free(buf);
}
END_TEST

struct log_count {
	unsigned int errors;
	char last[512];
};

static void count_errors(struct nio_ctx *c, enum nio_log_level level,
			 const char *msg, void *userdata)
{
	struct log_count *lc = userdata;

	(void)c;
	if (level <= NIO_LOG_ERR) {
		lc->errors++;
		snprintf(lc->last, sizeof(lc->last), "%s", msg);
	}
}

/*
 * Tearing down a borrowed context is clean: every DESTROY it issues
 * succeeds and nothing is logged as an error (a vDEVICE dies with its
 * device, so it must not be destroyed again).
 */
START_TEST(test_borrowed_teardown_clean)
{
	struct log_count lc = { 0 };
	struct nio_ctx *c2 = NULL;
	uint32_t ioas, dev, s2, viommu, vdev;
	const struct fk_call *c;
	unsigned int i;
	int fd = open("/dev/iommu", O_RDWR);

	{
		NIO_OPTS(nio_ctx_opts, o, .log_fn = count_errors,
			 .log_userdata = &lc, .log_level = NIO_LOG_ERR);

		ck_ok(nio_ctx_adopt_fd(fd, NIO_ADOPT_BORROW, &o, &c2));
	}
	ck_ok(nio_ioas_alloc(c2, &ioas));
	ck_ok(nio_device_bind(c2, "/dev/vfio/devices/vfio0", NULL, &dev));
	ck_ok(nio_hwpt_alloc_nest_parent(c2, dev, ioas, &s2));
	ck_ok(nio_viommu_alloc(c2, dev, s2, NIO_VIOMMU_ARM_SMMUV3, NULL,
			       &viommu));
	ck_ok(nio_vdevice_alloc(c2, viommu, dev, 9, &vdev));
	fake_kernel_clear_calls();
	nio_ctx_unref(c2);
	for (i = 0; (c = fake_kernel_call(i)); i++)
		ck_assert_msg(c->kind != FK_CALL_IOCTL || !c->err,
			      "teardown: %s failed with %s",
			      fake_kernel_ioctl_name(c->request),
			      strerror(c->err));
	ck_assert_msg(lc.errors == 0, "teardown logged %u errors, last \"%s\"",
		      lc.errors, lc.last);
	ck_assert_uint_eq(fake_kernel_nr_objects(), 0);
	close(fd);
}
END_TEST

START_TEST(test_adopt_not_iommufd)
{
	struct nio_ctx *c2 = (struct nio_ctx *)&c2;
	int p[2], devnull, memfd, cdev;

	ck_assert_int_eq(pipe(p), 0);
	ck_fails(NULL, nio_ctx_adopt_fd(p[0], 0, NULL, &c2), ENOTTY,
		 "not an iommufd");
	ck_assert_ptr_null(c2);
	/* The descriptor is left open on failure, owned or borrowed */
	ck_assert_int_ge(fcntl(p[0], F_GETFD), 0);
	ck_fails(NULL, nio_ctx_adopt_fd(p[1], NIO_ADOPT_BORROW, NULL, &c2),
		 ENOTTY, NULL);
	ck_assert_int_ge(fcntl(p[1], F_GETFD), 0);

	devnull = open("/dev/null", O_RDWR);
	ck_assert_int_ge(devnull, 0);
	ck_fails(NULL, nio_ctx_adopt_fd(devnull, 0, NULL, &c2), ENOTTY, NULL);
	ck_assert_int_ge(fcntl(devnull, F_GETFD), 0);

	memfd = memfd_create("not-iommufd", 0);
	ck_assert_int_ge(memfd, 0);
	ck_fails(NULL, nio_ctx_adopt_fd(memfd, 0, NULL, &c2), ENOTTY, NULL);

	/* A VFIO cdev is a ';' ioctl device too, but not an iommufd */
	cdev = open("/dev/vfio/devices/vfio0", O_RDWR);
	ck_assert_int_ge(cdev, 0);
	ck_fails(NULL, nio_ctx_adopt_fd(cdev, 0, NULL, &c2), ENOTTY, NULL);
	ck_assert_int_eq(fake_kernel_fd_kind(cdev), FK_FILE_VFIO);

	/* Options refused: the descriptor is left open too */
	{
		struct {
			struct nio_ctx_opts o;
			uint64_t tail;
		} big = { .o = { .sz = sizeof(big) }, .tail = 1 };
		int fd = open("/dev/iommu", O_RDWR);

		ck_fails(NULL, nio_ctx_adopt_fd(fd, 0, &big.o, &c2), E2BIG,
			 "nio_ctx_opts");
		ck_assert_int_eq(fake_kernel_fd_kind(fd), FK_FILE_IOMMUFD);
		close(fd);
	}

	/* Closed descriptor */
	close(memfd);
	ck_fails(NULL, nio_ctx_adopt_fd(memfd, 0, NULL, &c2), ENOTTY, NULL);

	ck_fails(NULL, nio_ctx_adopt_fd(-1, 0, NULL, &c2), EINVAL, NULL);
	ck_fails(NULL, nio_ctx_adopt_fd(ifd, 0, NULL, NULL), EINVAL, NULL);
	ck_fails(NULL, nio_ctx_adopt_fd(ifd, 0x80, NULL, &c2), EINVAL, NULL);
	ck_assert_ptr_null(c2);
	close(p[0]);
	close(p[1]);
	close(devnull);
	close(cdev);
}
END_TEST

START_TEST(test_ref_unref)
{
	struct nio_ctx *c2 = NULL;
	int fd;

	ck_ok(nio_ctx_open(&c2, NULL));
	fd = nio_ctx_fd(c2);
	ck_assert_ptr_eq(nio_ctx_ref(c2), c2);
	ck_assert_ptr_null(nio_ctx_unref(c2));
	ck_assert_int_eq(fake_kernel_fd_kind(fd), FK_FILE_IOMMUFD);
	ck_assert_ptr_null(nio_ctx_unref(c2));
	ck_assert_int_eq(fake_kernel_fd_kind(fd), FK_FILE_NONE);
	ck_assert_ptr_null(nio_ctx_ref(NULL));
	ck_assert_ptr_null(nio_ctx_unref(NULL));
	ck_fails(NULL, nio_ctx_fd(NULL), EINVAL, NULL);
}
END_TEST

/* A full nesting graph; the fixture's teardown checks nothing is left. */
START_TEST(test_close_releases_everything)
{
	const uint64_t ste[2] = { 0x1 | (5u << 1), 0 };
	struct fk_nest n;
	uint32_t vdev, nested, evq, fault, dev1, hwq;
	uint64_t iova = 0x200000;
	void *buf = fk_pages(8);
	int ffd;

	fk_nest_setup(&n, 0);
	ck_ok(nio_ioas_map(ctx, n.ioas, buf, 8 * 4096, &iova,
			   NIO_MAP_FIXED_IOVA | NIO_MAP_READ));
	ck_ok(nio_vdevice_alloc(ctx, n.viommu, n.dev, 7, &vdev));
	ck_ok(nio_hwpt_alloc_smmuv3_nested(ctx, n.dev, n.viommu, ste, &nested));
	ck_ok(nio_device_attach(ctx, n.dev, nested, NULL));
	ck_ok(nio_veventq_alloc(ctx, n.viommu, NIO_VEVENTQ_ARM_SMMUV3, 8, &evq));
	ck_ok(nio_fault_alloc(ctx, &fault, &ffd));
	ck_ok(nio_hw_queue_alloc(ctx, n.viommu, 0xdeadbeef, 0, iova, 4096,
				 &hwq));
	dev1 = fk_bind(1);
	ck_ok(nio_device_attach(ctx, dev1, n.ioas, NULL));
	/* ioas, dev, s2, viommu, vdev, nested, evq, fault, hwq, dev1, auto */
	ck_assert_uint_eq(fake_kernel_nr_objects(), 11);
	/* iommufd, 2 cdevs, vEVENTQ, fault queue */
	ck_assert_uint_eq(fake_kernel_nr_fds(), 5);
	free(buf);
	/* fk_teardown: nio_ctx_unref must leave no fd and no context */
}
END_TEST

/* An owned context frees everything by closing: no IOMMU_DESTROY. */
START_TEST(test_owned_close_no_destroy)
{
	struct nio_ctx *c2 = NULL;
	uint32_t ioas, dev, s2, viommu, evq, fault;
	int fd;

	ck_ok(nio_ctx_open(&c2, NULL));
	fd = nio_ctx_fd(c2);
	ck_ok(nio_ioas_alloc(c2, &ioas));
	ck_ok(nio_device_bind(c2, "/dev/vfio/devices/vfio1", NULL, &dev));
	ck_ok(nio_hwpt_alloc_nest_parent(c2, dev, ioas, &s2));
	ck_ok(nio_viommu_alloc(c2, dev, s2, NIO_VIOMMU_ARM_SMMUV3, NULL,
			       &viommu));
	ck_ok(nio_veventq_alloc(c2, viommu, NIO_VEVENTQ_ARM_SMMUV3, 4, &evq));
	ck_ok(nio_fault_alloc(c2, &fault, NULL));
	fake_kernel_clear_calls();
	ck_assert_ptr_null(nio_ctx_unref(c2));
	ck_assert_uint_eq(fake_kernel_count_ioctl(IOMMU_DESTROY), 0);
	ck_assert_int_eq(fake_kernel_fd_kind(fd), FK_FILE_NONE);
	/* Only the fixture's context is left */
	ck_assert_uint_eq(fake_kernel_nr_contexts(), 1);
	ck_assert_uint_eq(fake_kernel_nr_objects(), 0);
	ck_assert_uint_eq(fake_kernel_nr_fds(), 1);
}
END_TEST

/* After a borrowed context is gone, the descriptor is the caller's. */
START_TEST(test_borrowed_fd_reusable)
{
	struct nio_ctx *c2 = NULL, *c3 = NULL;
	uint32_t ioas;
	int fd = open("/dev/iommu", O_RDWR);

	ck_ok(nio_ctx_adopt_fd(fd, NIO_ADOPT_BORROW, NULL, &c2));
	ck_ok(nio_ioas_alloc(c2, &ioas));
	ck_assert_ptr_null(nio_ctx_unref(c2));
	ck_assert_int_eq(fake_kernel_obj_type(fd, ioas), FK_OBJ_NONE);
	/* Adopt again, owned this time: the context now closes it */
	ck_ok(nio_ctx_adopt_fd(fd, 0, NULL, &c3));
	ck_ok(nio_ioas_alloc(c3, &ioas));
	ck_assert_uint_eq(ioas, 1);
	ck_assert_ptr_null(nio_ctx_unref(c3));
	ck_assert_int_eq(fake_kernel_fd_kind(fd), FK_FILE_NONE);
}
END_TEST

START_TEST(test_object_graph)
{
	struct nio_object_info info = { .sz = sizeof(info) };
	struct fk_nest n;
	uint32_t id, ids[16], evq, vdev, hwpt_auto, dev1;
	unsigned int count = 0;

	ck_assert_uint_eq(nio_object_next(ctx, 0), 0);
	fk_nest_setup(&n, 0);
	ck_ok(nio_vdevice_alloc(ctx, n.viommu, n.dev, 0x99, &vdev));
	ck_ok(nio_veventq_alloc(ctx, n.viommu, NIO_VEVENTQ_ARM_SMMUV3, 32, &evq));
	dev1 = fk_bind(1);
	ck_ok(nio_device_attach(ctx, dev1, n.ioas, &hwpt_auto));

	for (id = nio_object_next(ctx, 0); id; id = nio_object_next(ctx, id)) {
		ck_assert_uint_lt(count, 16);
		ids[count++] = id;
	}
	/* Oldest first */
	ck_assert_uint_eq(count, 7);
	ck_assert_uint_eq(ids[0], n.ioas);
	ck_assert_uint_eq(ids[1], n.dev);
	ck_assert_uint_eq(ids[2], n.s2);
	ck_assert_uint_eq(ids[3], n.viommu);
	ck_assert_uint_eq(ids[4], vdev);
	ck_assert_uint_eq(ids[5], evq);
	ck_assert_uint_eq(ids[6], dev1);

	ck_ok(nio_object_info(ctx, n.ioas, &info));
	ck_assert_uint_eq(info.id, n.ioas);
	ck_assert_int_eq(info.type, NIO_OBJ_IOAS);
	ck_assert_int_eq(info.fd, -1);
	ck_assert_str_eq(info.path, "");

	ck_ok(nio_object_info(ctx, n.dev, &info));
	ck_assert_int_eq(info.type, NIO_OBJ_DEVICE);
	ck_assert_uint_eq(info.dev_id, n.dev);
	ck_assert_int_eq(fake_kernel_fd_kind(info.fd), FK_FILE_VFIO);
	ck_assert_uint_eq(fake_kernel_vfio_dev_id(info.fd), n.dev);
	ck_assert_str_eq(info.path, "/dev/vfio/devices/vfio0");
	ck_assert_uint_eq(info.parent_id, 0);

	ck_ok(nio_object_info(ctx, dev1, &info));
	ck_assert_uint_eq(info.parent_id, hwpt_auto);

	ck_ok(nio_object_info(ctx, n.s2, &info));
	ck_assert_int_eq(info.type, NIO_OBJ_HWPT_PAGING);
	ck_assert_uint_eq(info.parent_id, n.ioas);
	ck_assert_uint_eq(info.dev_id, n.dev);
	ck_assert_uint_eq(info.flags, NIO_HWPT_NEST_PARENT);

	ck_ok(nio_object_info(ctx, n.viommu, &info));
	ck_assert_int_eq(info.type, NIO_OBJ_VIOMMU);
	ck_assert_uint_eq(info.parent_id, n.s2);
	ck_assert_uint_eq(info.dev_id, n.dev);

	ck_ok(nio_object_info(ctx, vdev, &info));
	ck_assert_int_eq(info.type, NIO_OBJ_VDEVICE);
	ck_assert_uint_eq(info.parent_id, n.viommu);
	ck_assert_uint_eq(info.dev_id, n.dev);
	ck_assert_uint_eq(info.virt_id, 0x99);

	ck_ok(nio_object_info(ctx, evq, &info));
	ck_assert_int_eq(info.type, NIO_OBJ_VEVENTQ);
	ck_assert_uint_eq(info.parent_id, n.viommu);
	ck_assert_uint_eq(info.virt_id, 32);
	ck_assert_int_eq(fake_kernel_fd_kind(info.fd), FK_FILE_VEVENTQ);

	/* The type names */
	ck_assert_str_eq(nio_object_type_name(NIO_OBJ_IOAS), "ioas");
	ck_assert_str_eq(nio_object_type_name(NIO_OBJ_HWPT_PAGING),
			 "hwpt-paging");
	ck_assert_ptr_null(nio_object_type_name((enum nio_object_type)99));

	/* Unknown IDs: not created by this context */
	ck_fails(ctx, nio_object_info(ctx, 999, &info), ENOENT, "999");
	ck_fails(ctx, nio_object_info(ctx, hwpt_auto, &info), ENOENT, NULL);
	ck_assert_uint_eq(nio_object_next(ctx, 999), 0);
	ck_fails(ctx, nio_object_info(ctx, n.ioas, NULL), EINVAL, NULL);
	ck_fails(NULL, nio_object_info(NULL, n.ioas, &info), EINVAL, NULL);
	errno = 0;
	ck_assert_uint_eq(nio_object_next(NULL, 0), 0);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* nio_object_info() with an older (shorter) or newer (longer) struct. */
START_TEST(test_object_info_sz)
{
	struct {
		struct nio_object_info info;
		uint8_t canary[16];
	} big;
	struct nio_object_info info;
	uint32_t ioas;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	/* Old caller: knows sz and id only */
	memset(&info, 0xa5, sizeof(info));
	info.sz = offsetof(struct nio_object_info, id) + sizeof(info.id);
	ck_ok(nio_object_info(ctx, ioas, &info));
	ck_assert_uint_eq(info.id, ioas);
	ck_assert_uint_eq(info.sz,
			  offsetof(struct nio_object_info, id) + sizeof(info.id));
	/* Nothing written past what the caller knows */
	ck_assert_uint_eq(*((uint8_t *)&info.type), 0xa5);
	/* New caller: the fields this library does not know are zeroed */
	memset(&big, 0xa5, sizeof(big));
	big.info.sz = sizeof(big);
	ck_ok(nio_object_info(ctx, ioas, &big.info));
	ck_assert_uint_eq(big.info.id, ioas);
	ck_assert_uint_eq(big.canary[0], 0);
	ck_assert_uint_eq(big.canary[15], 0);
	ck_assert_uint_eq(big.info.sz, sizeof(big));
	/* sz 0 */
	info.sz = 0;
	ck_fails(ctx, nio_object_info(ctx, ioas, &info), EINVAL, NULL);
}
END_TEST

START_TEST(test_destroy)
{
	struct iommu_destroy want;
	struct fk_nest n;
	uint32_t evq, id, fault;
	int qfd, cfd, ffd;
	unsigned int before;

	fk_nest_setup(&n, 0);
	/* Dependents: EBUSY from the kernel, named in the last error */
	ck_fails(ctx, nio_destroy(ctx, n.ioas), EBUSY, "IOMMU_DESTROY");
	want = (struct iommu_destroy){ .size = 8, .id = n.ioas };
	ck_last_payload(IOMMU_DESTROY, want);
	ck_assert_int_eq(fake_kernel_obj_type(ifd, n.ioas), FK_OBJ_IOAS);
	ck_assert_uint_eq(nio_object_next(ctx, 0), n.ioas);

	/* Unknown ID */
	ck_fails(ctx, nio_destroy(ctx, 4242), ENOENT, "IOMMU_DESTROY");
	ck_fails(NULL, nio_destroy(NULL, n.ioas), EINVAL, NULL);

	/* A queue: its descriptor is closed, the object destroyed */
	ck_ok(nio_veventq_alloc(ctx, n.viommu, NIO_VEVENTQ_ARM_SMMUV3, 4, &evq));
	qfd = nio_veventq_fd(ctx, evq);
	ck_assert_int_eq(fake_kernel_fd_kind(qfd), FK_FILE_VEVENTQ);
	ck_ok(nio_destroy(ctx, evq));
	ck_assert_int_eq(fake_kernel_fd_kind(qfd), FK_FILE_NONE);
	ck_assert_int_eq(fake_kernel_obj_type(ifd, evq), FK_OBJ_NONE);
	ck_fails(ctx, nio_object_info(ctx, evq, &(struct nio_object_info){
						 .sz = sizeof(struct nio_object_info) }),
		 ENOENT, NULL);
	ck_ok(nio_fault_alloc(ctx, &fault, &ffd));
	ck_ok(nio_destroy(ctx, fault));
	ck_assert_int_eq(fake_kernel_fd_kind(ffd), FK_FILE_NONE);
	ck_assert_int_eq(fake_kernel_obj_type(ifd, fault), FK_OBJ_NONE);

	/* A device: unbound by closing its cdev, not by IOMMU_DESTROY */
	cfd = nio_device_fd(ctx, n.dev);
	ck_assert_int_eq(fake_kernel_fd_kind(cfd), FK_FILE_VFIO);
	before = fake_kernel_count_ioctl(IOMMU_DESTROY);
	ck_ok(nio_destroy(ctx, n.viommu));
	ck_ok(nio_destroy(ctx, n.dev));
	ck_assert_int_eq(fake_kernel_fd_kind(cfd), FK_FILE_NONE);
	ck_assert_int_eq(fake_kernel_obj_type(ifd, n.dev), FK_OBJ_NONE);
	ck_assert_uint_eq(fake_kernel_count_ioctl(IOMMU_DESTROY), before + 1);
	ck_fails(ctx, nio_device_fd(ctx, n.dev), ENOENT, NULL);

	/* In order, everything else goes */
	ck_ok(nio_destroy(ctx, n.s2));
	ck_ok(nio_destroy(ctx, n.ioas));
	ck_assert_uint_eq(nio_object_next(ctx, 0), 0);
	ck_assert_uint_eq(fake_kernel_nr_objects(), 0);
	/* IDs are reused by the kernel: the table must follow */
	ck_ok(nio_ioas_alloc(ctx, &id));
	ck_assert_uint_eq(id, 1);
	ck_assert_uint_eq(nio_object_next(ctx, 0), id);
	ck_assert_uint_eq(nio_object_next(ctx, id), 0);
}
END_TEST

/* An ioctl the kernel lacks: -EOPNOTSUPP naming the release. */
START_TEST(test_missing_ioctl)
{
	struct fk_nest n;
	uint32_t id, fault;
	uint64_t len = 4096, pa;

	fk_nest_setup(&n, 0);
	fake_kernel_set_missing(IOMMU_VEVENTQ_ALLOC, true);
	ck_fails(ctx, nio_veventq_alloc(ctx, n.viommu, NIO_VEVENTQ_ARM_SMMUV3,
					4, &id),
		 EOPNOTSUPP, "IOMMU_VEVENTQ_ALLOC");
	ck_assert_ptr_nonnull(strstr(nio_ctx_last_error(ctx), "6.15"));
	fake_kernel_set_missing(IOMMU_HW_QUEUE_ALLOC, true);
	ck_fails(ctx, nio_hw_queue_alloc(ctx, n.viommu, 1, 0, 0, 4096, &id),
		 EOPNOTSUPP, "6.17");
	fake_kernel_set_missing(IOMMU_IOAS_NOIOMMU_GET_PA, true);
	ck_fails(ctx, nio_ioas_get_pa(ctx, n.ioas, 0, &len, &pa), EOPNOTSUPP,
		 "7.3");
	fake_kernel_set_missing(IOMMU_FAULT_QUEUE_ALLOC, true);
	ck_fails(ctx, nio_fault_alloc(ctx, &fault, NULL), EOPNOTSUPP, "6.11");
	fake_kernel_set_missing(IOMMU_VIOMMU_ALLOC, true);
	ck_fails(ctx, nio_viommu_alloc(ctx, n.dev, n.s2, NIO_VIOMMU_ARM_SMMUV3,
				       NULL, &id),
		 EOPNOTSUPP, "6.13");
	fake_kernel_set_missing(IOMMU_HWPT_ALLOC, true);
	ck_fails(ctx, nio_hwpt_alloc_nest_parent(ctx, n.dev, n.ioas, &id),
		 EOPNOTSUPP, "6.6");
	fake_kernel_set_missing(IOMMU_HWPT_INVALIDATE, true);
	{
		uint32_t num = 0;

		ck_fails(ctx, nio_invalidate(ctx, n.viommu,
					     NIO_INVALIDATE_ARM_SMMUV3, NULL,
					     16, &num),
			 EOPNOTSUPP, "6.8");
	}
	/* Nothing was added to the graph by the failures */
	ck_assert_uint_eq(fake_kernel_nr_objects(), 4);
	for (id = nio_object_next(ctx, 0), fault = 0; id;
	     id = nio_object_next(ctx, id))
		fault++;
	ck_assert_uint_eq(fault, 4);
}
END_TEST

struct log_rec {
	unsigned int calls;
	enum nio_log_level level;
	char msg[512];
};

static void log_cb(struct nio_ctx *c, enum nio_log_level level,
		   const char *msg, void *userdata)
{
	struct log_rec *r = userdata;

	(void)c;
	r->calls++;
	r->level = level;
	snprintf(r->msg, sizeof(r->msg), "%s", msg);
}

START_TEST(test_log)
{
	struct log_rec rec = { 0 };
	struct nio_ctx *c2 = NULL;
	uint32_t ioas;

	/* Silent by default */
	ck_fails(ctx, nio_destroy(ctx, 77), ENOENT, NULL);

	nio_ctx_set_log(ctx, log_cb, &rec, NIO_LOG_ERR);
	ck_fails(ctx, nio_destroy(ctx, 77), ENOENT, "IOMMU_DESTROY");
	ck_assert_uint_eq(rec.calls, 1);
	ck_assert_int_eq(rec.level, NIO_LOG_ERR);
	ck_assert_str_eq(rec.msg, nio_ctx_last_error(ctx));
	/* ERR level: success is not logged */
	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_assert_uint_eq(rec.calls, 1);
	/* DEBUG level: successes too */
	nio_ctx_set_log(ctx, log_cb, &rec, NIO_LOG_DEBUG);
	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_assert_uint_gt(rec.calls, 1);
	ck_assert_ptr_nonnull(strstr(rec.msg, "IOMMU_IOAS_ALLOC"));
	nio_ctx_set_log(ctx, NULL, NULL, NIO_LOG_ERR);
	nio_ctx_set_log(NULL, log_cb, &rec, NIO_LOG_ERR);

	/* Through the open options */
	{
		NIO_OPTS(nio_ctx_opts, o, .log_fn = log_cb,
			 .log_userdata = &rec, .log_level = NIO_LOG_ERR);

		memset(&rec, 0, sizeof(rec));
		ck_ok(nio_ctx_open(&c2, &o));
		ck_fails(c2, nio_destroy(c2, 5), ENOENT, NULL);
		ck_assert_uint_eq(rec.calls, 1);
		c2 = nio_ctx_unref(c2);
	}
	/* $NESTIOMMU_LOG picks the level when opts leave it 0 */
	{
		NIO_OPTS(nio_ctx_opts, o, .log_fn = log_cb,
			 .log_userdata = &rec);

		setenv("NESTIOMMU_LOG", "debug", 1);
		memset(&rec, 0, sizeof(rec));
		ck_ok(nio_ctx_open(&c2, &o));
		ck_ok(nio_ioas_alloc(c2, &ioas));
		ck_assert_uint_ge(rec.calls, 1);
		ck_assert_int_eq(rec.level, NIO_LOG_DEBUG);
		c2 = nio_ctx_unref(c2);
		unsetenv("NESTIOMMU_LOG");
	}
}
END_TEST

START_TEST(test_last_error)
{
	struct nio_ctx *c2 = NULL;
	uint32_t ioas;

	ck_assert_str_eq(nio_ctx_last_error(ctx), "");
	ck_ok(nio_ctx_open(&c2, NULL));
	ck_fails(ctx, nio_destroy(ctx, 9), ENOENT, "IOMMU_DESTROY(id=9)");
	/* Per context */
	ck_assert_str_eq(nio_ctx_last_error(c2), "");
	ck_fails(c2, nio_ioas_map(c2, 3, &ioas, 4096, &(uint64_t){ 0 },
				  NIO_MAP_READ),
		 ENOENT, "IOMMU_IOAS_MAP");
	ck_assert_ptr_nonnull(strstr(nio_ctx_last_error(ctx), "id=9"));
	c2 = nio_ctx_unref(c2);
	ck_assert_ptr_nonnull(nio_version());
	ck_assert_str_eq(nio_version(), "0.1.0");
}
END_TEST

/*
 * The library's object graph against the kernel's, after every step of a
 * random sequence of operations (seed: $FK_SEED, default 1): every object
 * listed exists in the kernel with the same type and parent, and every
 * kernel object the context created (automatic domains aside) is listed.
 */
static void check_graph(unsigned int step, unsigned int seed)
{
	struct nio_object_info info = { .sz = sizeof(info) };
	struct fk_obj_info fi;
	unsigned int listed = 0, kernel = 0;
	uint32_t id;

	for (id = nio_object_next(ctx, 0); id; id = nio_object_next(ctx, id)) {
		listed++;
		ck_assert_int_eq(nio_object_info(ctx, id, &info), 0);
		ck_assert_msg(fake_kernel_obj_info(ifd, id, &fi) == 0,
			      "seed %u step %u: %s %u is listed but not in the kernel",
			      seed, step, nio_object_type_name(info.type), id);
		ck_assert_msg((int)fi.type == (int)info.type,
			      "seed %u step %u: object %u is a %s, listed as %s",
			      seed, step, id, nio_object_type_name((enum nio_object_type)fi.type),
			      nio_object_type_name(info.type));
		if (info.type == NIO_OBJ_DEVICE)
			ck_assert_msg(fi.parent_id == info.parent_id,
				      "seed %u step %u: device %u attached to %u, listed %u",
				      seed, step, id, fi.parent_id, info.parent_id);
		else if (info.type != NIO_OBJ_HW_QUEUE)
			ck_assert_uint_eq(fi.parent_id, info.parent_id);
	}
	for (id = 1; id < 256; id++)
		if (fake_kernel_obj_info(ifd, id, &fi) == 0 && !fi.auto_domain)
			kernel++;
	ck_assert_msg(listed == kernel,
		      "seed %u step %u: %u objects listed, %u in the kernel",
		      seed, step, listed, kernel);
}

/* The k-th listed object of a type (k modulo their number), or 0. */
static uint32_t pick(enum nio_object_type type, unsigned int k)
{
	struct nio_object_info info = { .sz = sizeof(info) };
	uint32_t id, ids[256];
	unsigned int n = 0;

	for (id = nio_object_next(ctx, 0); id && n < 256;
	     id = nio_object_next(ctx, id)) {
		nio_object_info(ctx, id, &info);
		if (type == NIO_OBJ_NONE || info.type == type)
			ids[n++] = id;
	}
	return n ? ids[k % n] : 0;
}

/* A listed nest-parent HWPT (k modulo their number), or 0; its device. */
static uint32_t pick_nest_parent(unsigned int k, uint32_t *dev)
{
	struct nio_object_info info = { .sz = sizeof(info) };
	uint32_t id, ids[256], devs[256];
	unsigned int n = 0;

	for (id = nio_object_next(ctx, 0); id && n < 256;
	     id = nio_object_next(ctx, id)) {
		nio_object_info(ctx, id, &info);
		if (info.type == NIO_OBJ_HWPT_PAGING &&
		    (info.flags & NIO_HWPT_NEST_PARENT)) {
			devs[n] = info.dev_id;
			ids[n++] = id;
		}
	}
	*dev = n ? devs[k % n] : 0;
	return n ? ids[k % n] : 0;
}

/* The device a listed object was made for. */
static uint32_t dev_of(uint32_t id)
{
	struct nio_object_info info = { .sz = sizeof(info) };

	return nio_object_info(ctx, id, &info) ? 0 : info.dev_id;
}

START_TEST(test_random_graph)
{
	const char *env = getenv("FK_SEED");
	unsigned int seed = env ? (unsigned int)strtoul(env, NULL, 0) : 1;
	uint8_t *buf = fk_pages(4);
	unsigned int step;

	srand(seed);
	for (step = 0; step < 400; step++) {
		unsigned int r = (unsigned int)rand();
		uint32_t id, a = pick(NIO_OBJ_IOAS, r >> 8),
			 d = pick(NIO_OBJ_DEVICE, r >> 12);
		uint64_t iova = ((uint64_t)(r >> 16) % 64) << 16;
		char path[64];
		int ret = 0;

		errno = 0;
		switch (r % 22) {
		case 0:
			ret = nio_ioas_alloc(ctx, &id);
			break;
		case 1:
			ret = nio_ioas_map(ctx, a, buf, 4096, &iova,
					   NIO_MAP_FIXED_IOVA | NIO_MAP_READ);
			break;
		case 2:
			ret = nio_ioas_unmap_all(ctx, a, NULL);
			break;
		case 3:
			snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u",
				 (r >> 4) % 3);
			ret = nio_device_bind(ctx, path, NULL, &id);
			break;
		case 4:
			ret = nio_device_attach(ctx, d,
						(r & 0x100) ? a :
						pick(NIO_OBJ_HWPT_PAGING, r >> 9),
						NULL);
			break;
		case 5:
			ret = nio_device_detach(ctx, d);
			break;
		case 6:
			ret = nio_hwpt_alloc_nest_parent(ctx, d, a, &id);
			break;
		case 7: {
			uint32_t pd, s2 = pick_nest_parent(r >> 9, &pd);

			ret = nio_viommu_alloc(ctx, pd, s2,
					       NIO_VIOMMU_ARM_SMMUV3, NULL, &id);
			break;
		}
		case 8:
			ret = nio_vdevice_alloc(ctx, pick(NIO_OBJ_VIOMMU, r >> 9),
						d, (r >> 20) % 4, &id);
			break;
		case 9:
			ret = nio_veventq_alloc(ctx, pick(NIO_OBJ_VIOMMU, r >> 9),
						NIO_VEVENTQ_ARM_SMMUV3, 4, &id);
			break;
		case 10: {
			const uint64_t ste[2] = { 0x1 | (4ULL << 1), 0 };

			uint32_t v = pick(NIO_OBJ_VIOMMU, r >> 9);

			ret = nio_hwpt_alloc_smmuv3_nested(
				ctx, (r & 0x100) ? d : dev_of(v), v, ste, &id);
			break;
		}
		case 11:
			ret = nio_fault_alloc(ctx, &id, NULL);
			break;
		case 12: {
			/* A paging HWPT reporting to a fault queue */
			NIO_OPTS(nio_hwpt_alloc_opts, o,
				 .flags = NIO_HWPT_FAULT_ID_VALID,
				 .fault_id = pick(NIO_OBJ_FAULT, r >> 9));

			ret = nio_hwpt_alloc(ctx, d, a, &o, &id);
			break;
		}
		case 13:
			ret = nio_device_attach(ctx, d,
						pick(NIO_OBJ_HWPT_NESTED, r >> 9),
						NULL);
			break;
		case 14: {
			NIO_OPTS(nio_hwpt_alloc_opts, o, .flags = NIO_HWPT_PASID);

			if (r & 0x100)
				ret = nio_hwpt_alloc(ctx, d, a, &o, &id);
			else
				ret = nio_device_pasid_attach(
					ctx, d, (r >> 10) % 3,
					pick(NIO_OBJ_HWPT_PAGING, r >> 12), NULL);
			break;
		}
		case 15:
			ret = nio_device_pasid_detach(ctx, d, (r >> 10) % 3);
			break;
		case 16: {
			/* Map the queue's page in the nest parent's IOAS first */
			struct nio_object_info vi = { .sz = sizeof(vi) };
			uint32_t v = pick(NIO_OBJ_VIOMMU, r >> 9);

			if (v && !nio_object_info(ctx, v, &vi) &&
			    !nio_object_info(ctx, vi.parent_id, &vi))
				(void)nio_ioas_map(ctx, vi.parent_id, buf, 4096,
						   &iova, NIO_MAP_FIXED_IOVA |
								  NIO_MAP_READ);
			ret = nio_hw_queue_alloc(ctx, v, 0xdeadbeef,
						 (r >> 12) % 2, iova, 4096, &id);
			break;
		}
		case 17:
		case 18: {
			uint32_t pd, s2 = pick_nest_parent(r >> 9, &pd);

			/* Grow the graph: a vDEVICE, a nested HWPT, a queue */
			ret = nio_viommu_alloc(ctx, pd, s2,
					       NIO_VIOMMU_ARM_SMMUV3, NULL, &id);
			if (!ret)
				ret = nio_vdevice_alloc(ctx, id, pd, r >> 24, &id);
			break;
		}
		case 19:
			if (!a)
				ret = nio_ioas_alloc(ctx, &a);
			if (!d) {
				snprintf(path, sizeof(path),
					 "/dev/vfio/devices/vfio%u", (r >> 4) % 3);
				ret = nio_device_bind(ctx, path, NULL, &d);
			}
			if (!ret && a && d)
				ret = nio_hwpt_alloc_nest_parent(ctx, d, a, &id);
			break;
		default:
			ret = nio_destroy(ctx, pick(NIO_OBJ_NONE, r >> 5));
			break;
		}
		if (ret < 0)
			ck_assert_msg(errno == -ret,
				      "seed %u step %u op %u: returned %d, errno %d",
				      seed, step, r % 22, ret, errno);
		check_graph(step, seed);
	}
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lib-ctx");
	TCase *tc = tcase_create("open-errors");

	tcase_add_test(tc, test_open_fails);
	suite_add_tcase(s, tc);
	fake_kernel_reset();
	FK_TCASE(s, "ctx", test_open_close, test_open_opts, test_adopt_owned,
		 test_adopt_borrowed, test_borrowed_teardown_clean,
		 test_adopt_not_iommufd, test_ref_unref,
		 test_close_releases_everything, test_owned_close_no_destroy,
		 test_borrowed_fd_reusable, test_object_graph,
		 test_object_info_sz, test_destroy, test_missing_ioctl,
		 test_log, test_last_error, test_random_graph);
	return fk_run(s);
}
