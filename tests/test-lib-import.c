// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Objects made outside the context (raw ioctls, as a VMM does), imported
 * owned or borrowed, against the fake kernel: every library call works on
 * them, nothing the library does not own is ever closed or destroyed, and
 * bad imports are clear errors.  Also the two nio_device_bind() descriptor
 * fixes: no leak when a bind fails, NIO_BIND_BORROW_FD.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "fk-check.h"

/* A VMM's own VFIO_DEVICE_BIND_IOMMUFD: returns the cdev fd, sets *dev. */
static int raw_bind(unsigned int idx, uint32_t *dev)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b),
					      .iommufd = ifd };
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u", idx);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	*dev = b.out_devid;
	return fd;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static uint32_t own_of(uint32_t id)
{
	struct nio_object_info oi = { .sz = sizeof(oi) };

	ck_ok(nio_object_info(ctx, id, &oi));
	return oi.own;
}

START_TEST(test_import_device_borrowed)
{
	struct nio_device_info di = { .sz = sizeof(di) };
	uint32_t dev, ioas, hwpt;
	int fd, got;

	fd = raw_bind(0, &dev);
	ck_ok(nio_object_import(ctx, NIO_OBJ_DEVICE, dev, fd, 0, NULL));
	ck_assert_uint_eq(own_of(dev), 0);
	ck_assert_int_eq(nio_device_fd(ctx, dev), fd);
	/* Every device call works on it */
	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_ok(nio_device_attach(ctx, dev, ioas, &hwpt));
	ck_ok(nio_device_info(ctx, dev, &di));
	ck_assert_uint_eq(di.num_regions, 9);
	ck_ok(nio_device_detach(ctx, dev));
	/* Destroy would have to close the caller's cdev: refused */
	ck_fails(ctx, nio_destroy(ctx, dev), EBUSY, "borrowed");
	ck_assert(fd_open(fd));
	ck_assert_uint_eq(fake_kernel_vfio_dev_id(fd), dev);
	ck_ok(nio_object_forget(ctx, dev, &got));
	ck_assert_int_eq(got, -1);
	ck_fails(ctx, nio_device_fd(ctx, dev), ENOENT, NULL);
	ck_assert(fd_open(fd));
	close(fd);
}
END_TEST

START_TEST(test_import_device_owned)
{
	uint32_t dev;
	int fd;

	fd = raw_bind(1, &dev);
	ck_ok(nio_object_import(ctx, NIO_OBJ_DEVICE, dev, fd, NIO_IMPORT_OWN,
				NULL));
	ck_assert_uint_eq(own_of(dev), NIO_OWN_OBJECT | NIO_OWN_FD);
	ck_ok(nio_destroy(ctx, dev));
	ck_assert(!fd_open(fd));
}
END_TEST

/* A borrowed-iommufd context leaves what it borrowed alone on unref. */
START_TEST(test_import_unref_borrowed)
{
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct nio_ctx *c2;
	uint32_t dev, ioas, ioas2;
	int fd;

	fd = raw_bind(0, &dev);
	ck_assert_int_eq(ioctl(ifd, IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_ok(nio_ioas_alloc(ctx, &ioas2));
	ck_ok(nio_ctx_adopt_fd(ifd, NIO_ADOPT_BORROW, NULL, &c2));
	ck_ok(nio_object_import(c2, NIO_OBJ_DEVICE, dev, fd, 0, NULL));
	ck_ok(nio_object_import(c2, NIO_OBJ_IOAS, ioas, -1, 0, NULL));
	ck_ok(nio_object_import(c2, NIO_OBJ_IOAS, ioas2, -1, NIO_IMPORT_OWN,
				NULL));
	ck_ok(nio_object_import(c2, NIO_OBJ_FAULT, fa.out_fault_id,
				(int)fa.out_fault_fd, 0, NULL));
	ck_ok(nio_device_attach(c2, dev, ioas, NULL));
	nio_ctx_unref(c2);
	ck_assert(fd_open((int)fa.out_fault_fd));
	ck_assert_int_eq(fake_kernel_obj_type(ifd, fa.out_fault_id), FK_OBJ_FAULT);
	close((int)fa.out_fault_fd);
	/* Borrowed: cdev open and bound, IOAS alive; owned: destroyed */
	ck_assert(fd_open(fd));
	ck_assert_uint_eq(fake_kernel_vfio_dev_id(fd), dev);
	ck_assert_int_eq(fake_kernel_obj_type(ifd, ioas), FK_OBJ_IOAS);
	ck_assert_int_eq(fake_kernel_obj_type(ifd, ioas2), FK_OBJ_NONE);
	close(fd);
}
END_TEST

START_TEST(test_import_queues)
{
	uint8_t evt[32] = { 0x10 }, pg[40] = { 0 };
	struct iommu_veventq_alloc va = { .size = sizeof(va),
					  .type = NIO_VEVENTQ_ARM_SMMUV3,
					  .veventq_depth = 8 };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	NIO_OPTS(nio_import_opts, qopts, .type_param = NIO_VEVENTQ_ARM_SMMUV3,
		 .virt_id = 8);
	struct nio_vevent ev[2];
	struct nio_fault f[2];
	struct fk_nest n;
	int vfd, ffd;

	fk_nest_setup(&n, 0);
	va.viommu_id = n.viommu;
	ck_assert_int_eq(ioctl(ifd, IOMMU_VEVENTQ_ALLOC, &va), 0);
	vfd = (int)va.out_veventq_fd;
	ck_assert_int_eq(ioctl(ifd, IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	ffd = (int)fa.out_fault_fd;

	qopts.parent_id = n.viommu;
	ck_ok(nio_object_import(ctx, NIO_OBJ_VEVENTQ, va.out_veventq_id, vfd,
				0, &qopts));
	ck_ok(nio_object_import(ctx, NIO_OBJ_FAULT, fa.out_fault_id, ffd, 0,
				NULL));
	ck_assert_int_eq(nio_veventq_fd(ctx, va.out_veventq_id), vfd);

	ck_ok(fake_kernel_veventq_report(ifd, va.out_veventq_id, evt,
					 sizeof(evt)));
	ck_assert_int_eq(nio_veventq_read(ctx, va.out_veventq_id, ev, 2), 1);
	ck_assert_uint_eq(ev[0].data_len, 32);
	ck_assert_uint_eq(ev[0].data[0], 0x10);

	ck_assert_int_ge(fake_kernel_fault_report(ifd, fa.out_fault_id, pg), 1);
	ck_assert_int_eq(nio_fault_read(ctx, fa.out_fault_id, f, 2), 1);
	ck_ok(nio_fault_respond(ctx, fa.out_fault_id, f[0].cookie,
				NIO_FAULT_RESP_SUCCESS));

	/* The caller's descriptor is open: the kernel says busy, nothing closed */
	ck_fails(ctx, nio_destroy(ctx, va.out_veventq_id), EBUSY, "borrowed");
	ck_assert(fd_open(vfd));
	close(vfd);
	ck_ok(nio_destroy(ctx, va.out_veventq_id));
	ck_assert_int_eq(fake_kernel_obj_type(ifd, va.out_veventq_id),
			 FK_OBJ_NONE);
	/* The fault queue's descriptor is the caller's to close */
	close(ffd);
}
END_TEST

START_TEST(test_import_bad)
{
	NIO_OPTS(nio_import_opts, qopts, .type_param = 0x1234);
	uint32_t dev, ioas, s2;
	int fd, p[2];

	fd = raw_bind(0, &dev);
	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_assert_int_eq(pipe(p), 0);

	ck_fails(NULL, nio_object_import(NULL, NIO_OBJ_IOAS, 1, -1, 0, NULL),
		 EINVAL, NULL);
	ck_fails(ctx, nio_object_import(ctx, NIO_OBJ_NONE, dev, -1, 0, NULL),
		 EINVAL, "unknown object type");
	ck_fails(ctx, nio_object_import(ctx, 99, dev, -1, 0, NULL), EINVAL,
		 "unknown object type");
	ck_fails(ctx, nio_object_import(ctx, NIO_OBJ_IOAS, 0, -1, 0, NULL),
		 EINVAL, "ID 0");
	ck_fails(ctx, nio_object_import(ctx, NIO_OBJ_DEVICE, dev, fd, 0x10,
					NULL), EINVAL, "unknown flags");
	ck_fails(ctx, nio_object_import(ctx, NIO_OBJ_DEVICE, dev, -1, 0, NULL),
		 EBADF, "needs its descriptor");
	ck_fails(ctx, nio_object_import(ctx, NIO_OBJ_DEVICE, dev, 999, 0, NULL),
		 EBADF, "not open");
	/* A descriptor that is not a VFIO device */
	ck_fails(ctx, nio_object_import(ctx, NIO_OBJ_DEVICE, dev, p[0], 0,
					NULL), ENOTTY, "not a VFIO device");
	/* The IOAS ID is not a device, the device ID not an IOAS */
	ck_fails(ctx, nio_object_import(ctx, NIO_OBJ_DEVICE, ioas, fd, 0, NULL),
		 ENOENT, "not a device");
	ck_fails(ctx, nio_object_import(ctx, NIO_OBJ_IOAS, dev, -1, 0, NULL),
		 ENOENT, "not an IOAS");
	/* Types without a descriptor refuse one */
	ck_fails(ctx, nio_object_import(ctx, NIO_OBJ_HWPT_PAGING, 77, p[0], 0,
					NULL), EINVAL, "has no descriptor");
	/* A vEVENTQ needs a type the library can read */
	ck_fails(ctx, nio_object_import(ctx, NIO_OBJ_VEVENTQ, 77, p[0], 0,
					NULL), EINVAL, "type_param");
	ck_fails(ctx, nio_object_import(ctx, NIO_OBJ_VEVENTQ, 77, p[0], 0,
					&qopts), EINVAL, "type_param");
	/* Already in the context */
	ck_fails(ctx, nio_object_import(ctx, NIO_OBJ_IOAS, ioas, -1, 0, NULL),
		 EEXIST, "already in this context (a ioas)");
	ck_ok(nio_object_import(ctx, NIO_OBJ_DEVICE, dev, fd, 0, NULL));
	ck_fails(ctx, nio_object_import(ctx, NIO_OBJ_DEVICE, dev, fd, 0, NULL),
		 EEXIST, "a device");
	/* Nothing was taken by the failures: the pipe is still open */
	ck_assert(fd_open(p[0]) && fd_open(p[1]));
	/* A wrong HWPT ID fails at its first use with the kernel's errno */
	ck_ok(nio_object_import(ctx, NIO_OBJ_HWPT_PAGING, 4242, -1, 0, NULL));
	ck_fails(ctx, nio_device_attach(ctx, dev, 4242, NULL), ENOENT, NULL);
	ck_ok(nio_hwpt_alloc_nest_parent(ctx, dev, ioas, &s2));
	ck_ok(nio_object_forget(ctx, dev, NULL));
	close(p[0]);
	close(p[1]);
	close(fd);
}
END_TEST

START_TEST(test_forget)
{
	uint32_t ioas, evq;
	struct fk_nest n;
	int fd = 5;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_ok(nio_object_forget(ctx, ioas, &fd));
	ck_assert_int_eq(fd, -1);
	ck_fails(ctx, nio_object_forget(ctx, ioas, &fd), ENOENT, NULL);
	/* Still alive in the kernel, destroyable by ID */
	ck_assert_int_eq(fake_kernel_obj_type(ifd, ioas), FK_OBJ_IOAS);
	ck_ok(nio_destroy(ctx, ioas));

	fk_nest_setup(&n, 0);
	ck_ok(nio_veventq_alloc(ctx, n.viommu, NIO_VEVENTQ_ARM_SMMUV3, 4, &evq));
	/* An owned descriptor must be taken */
	ck_fails(ctx, nio_object_forget(ctx, evq, NULL), EINVAL, "pass fd");
	ck_ok(nio_object_forget(ctx, evq, &fd));
	ck_assert_int_eq(fake_kernel_fd_kind(fd), FK_FILE_VEVENTQ);
	/* Ours now: the context's unref leaves it, we close it */
	close(fd);
}
END_TEST

/* cdev_fd -1: the library opens the cdev, and closes it when bind fails. */
START_TEST(test_bind_failure_no_leak)
{
	NIO_OPTS(nio_bind_opts, opts, .cdev_fd = -1);
	unsigned int before = fake_kernel_nr_fds();
	uint32_t dev;

	fake_kernel_fail_ioctl(VFIO_DEVICE_BIND_IOMMUFD, 0, EPERM);
	ck_fails(ctx, nio_device_bind(ctx, "/dev/vfio/devices/vfio0", &opts,
				      &dev), EPERM, NULL);
	ck_assert_uint_eq(fake_kernel_nr_fds(), before);
	fake_kernel_fail_ioctl(VFIO_DEVICE_BIND_IOMMUFD, 0, EBUSY);
	ck_fails(ctx, nio_device_bind(ctx, "/dev/vfio/devices/vfio0", NULL,
				      &dev), EBUSY, NULL);
	ck_assert_uint_eq(fake_kernel_nr_fds(), before);
}
END_TEST

START_TEST(test_bind_borrow_fd)
{
	NIO_OPTS(nio_bind_opts, opts);
	uint32_t dev, dev2;
	int fd, fd2;

	fd = open("/dev/vfio/devices/vfio0", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	opts.cdev_fd = fd;
	opts.flags = NIO_BIND_BORROW_FD;
	ck_ok(nio_device_bind(ctx, NULL, &opts, &dev));
	ck_assert_uint_eq(own_of(dev), NIO_OWN_OBJECT);
	ck_fails(ctx, nio_destroy(ctx, dev), EBUSY, "borrowed");
	ck_assert(fd_open(fd));
	/* A failed borrowed bind leaves the caller's descriptor too */
	fake_kernel_fail_ioctl(VFIO_DEVICE_BIND_IOMMUFD, 0, EBUSY);
	fd2 = open("/dev/vfio/devices/vfio1", O_RDWR | O_CLOEXEC);
	opts.cdev_fd = fd2;
	ck_fails(ctx, nio_device_bind(ctx, NULL, &opts, &dev2), EBUSY, NULL);
	ck_assert(fd_open(fd2));
	close(fd2);
	/* Without the flag the context takes the descriptor (0.1 behaviour) */
	opts.flags = 0;
	opts.cdev_fd = open("/dev/vfio/devices/vfio1", O_RDWR | O_CLOEXEC);
	ck_ok(nio_device_bind(ctx, NULL, &opts, &dev2));
	ck_assert_uint_eq(own_of(dev2), NIO_OWN_OBJECT | NIO_OWN_FD);
	/* Bad combinations */
	opts.cdev_fd = 0;
	opts.flags = NIO_BIND_BORROW_FD;
	ck_fails(ctx, nio_device_bind(ctx, "vfio1", &opts, &dev2), EINVAL,
		 "without a cdev_fd");
	opts.flags = 0x8;
	ck_fails(ctx, nio_device_bind(ctx, "vfio1", &opts, &dev2), EINVAL,
		 "unknown flags");
	/* The caller unbinds by closing, then forgets */
	close(fd);
	ck_ok(nio_object_forget(ctx, dev, NULL));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("import");

	FK_TCASE(s, "import", test_import_device_borrowed,
		 test_import_device_owned, test_import_unref_borrowed,
		 test_import_queues, test_import_bad, test_forget);
	FK_TCASE(s, "bind", test_bind_failure_no_leak, test_bind_borrow_fd);
	return fk_run(s);
}
