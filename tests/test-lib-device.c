// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Devices (VFIO cdev bind, attach, replace, detach, PASID, info), hw_info
 * and HW page tables (paging, nest parent, SMMUv3 nested, dirty tracking)
 * against the fake kernel.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <endian.h>
#include <fcntl.h>
#include <stdint.h>

#include "fk-check.h"

START_TEST(test_bind)
{
	struct vfio_device_bind_iommufd want;
	struct nio_object_info info = { .sz = sizeof(info) };
	const struct fk_call *c;
	uint32_t dev;
	int cfd;

	ck_ok(nio_device_bind(ctx, "/dev/vfio/devices/vfio0", NULL, &dev));
	c = fake_kernel_call(0);
	ck_assert_int_eq(c->kind, FK_CALL_OPEN);
	ck_assert_str_eq(c->path, "/dev/vfio/devices/vfio0");
	ck_assert_int_eq((int)c->request & O_ACCMODE, O_RDWR);
	ck_assert_int_eq((int)c->request & O_CLOEXEC, O_CLOEXEC);
	cfd = (int)c->ret;
	want = (struct vfio_device_bind_iommufd){
		.argsz = 24,
		.flags = 0,
		.iommufd = ifd,
	};
	ck_last_payload(VFIO_DEVICE_BIND_IOMMUFD, want);
	ck_assert_int_eq(fake_kernel_last_ioctl(VFIO_DEVICE_BIND_IOMMUFD)->fd,
			 cfd);
	ck_assert_int_eq(fake_kernel_obj_type(ifd, dev), FK_OBJ_DEVICE);
	ck_assert_int_eq(nio_device_fd(ctx, dev), cfd);
	ck_assert_uint_eq(fake_kernel_vfio_dev_id(cfd), dev);
	ck_ok(nio_object_info(ctx, dev, &info));
	ck_assert_int_eq(info.fd, cfd);
	ck_assert_str_eq(info.path, "/dev/vfio/devices/vfio0");
}
END_TEST

START_TEST(test_bind_token)
{
	static const uint8_t token[16] = { 1, 2, 3, 4, 5, 6, 7, 8,
					   9, 10, 11, 12, 13, 14, 15, 16 };
	static const uint8_t wrong[16] = { 0xff };
	struct vfio_device_bind_iommufd want;
	struct fk_device_cfg cfg;
	const struct fk_call *c;
	uint32_t dev;

	fake_kernel_device_defaults(&cfg);
	cfg.needs_token = true;
	memcpy(cfg.token, token, 16);
	fake_kernel_add_device(5, &cfg);
	/* A VF needing a token: without it, EACCES; the cdev is closed */
	ck_fails(ctx, nio_device_bind(ctx, "/dev/vfio/devices/vfio5", NULL,
				      &dev),
		 EACCES, "VFIO_DEVICE_BIND_IOMMUFD");
	ck_assert_uint_eq(fake_kernel_nr_fds(), 1);
	{
		NIO_OPTS(nio_bind_opts, o, .token_uuid = wrong);

		ck_fails(ctx, nio_device_bind(ctx, "/dev/vfio/devices/vfio5",
					      &o, &dev),
			 EACCES, NULL);
	}
	{
		NIO_OPTS(nio_bind_opts, o, .token_uuid = token);

		ck_ok(nio_device_bind(ctx, "/dev/vfio/devices/vfio5", &o, &dev));
	}
	want = (struct vfio_device_bind_iommufd){
		.argsz = 24,
		.flags = VFIO_DEVICE_BIND_FLAG_TOKEN,
		.iommufd = ifd,
		.token_uuid_ptr = (uintptr_t)token,
	};
	ck_last_payload(VFIO_DEVICE_BIND_IOMMUFD, want);
	c = fake_kernel_last_ioctl(VFIO_DEVICE_BIND_IOMMUFD);
	ck_assert_uint_eq(c->aux_len, 16);
	ck_assert_mem_eq(c->aux, token, 16);
}
END_TEST

START_TEST(test_bind_cdev_fd)
{
	uint32_t dev;
	int cfd = open("/dev/vfio/devices/vfio1", O_RDWR);

	ck_assert_int_ge(cfd, 0);
	{
		NIO_OPTS(nio_bind_opts, o, .cdev_fd = cfd);

		/* The caller's descriptor stays the caller's on failure */
		fake_kernel_fail_ioctl(VFIO_DEVICE_BIND_IOMMUFD, 0, EPERM);
		ck_fails(ctx, nio_device_bind(ctx, NULL, &o, &dev), EPERM,
			 "VFIO_DEVICE_BIND_IOMMUFD");
		ck_assert_int_eq(fake_kernel_fd_kind(cfd), FK_FILE_VFIO);
		/* ... and the context's on success */
		ck_ok(nio_device_bind(ctx, NULL, &o, &dev));
	}
	ck_assert_int_eq(nio_device_fd(ctx, dev), cfd);
	ck_ok(nio_destroy(ctx, dev));
	ck_assert_int_eq(fake_kernel_fd_kind(cfd), FK_FILE_NONE);
	ck_assert_int_eq(fake_kernel_obj_type(ifd, dev), FK_OBJ_NONE);
}
END_TEST

START_TEST(test_bind_errors)
{
	uint32_t dev, dev2;

	ck_fails(ctx, nio_device_bind(ctx, "/dev/vfio/devices/vfio9", NULL, &dev),
		 ENOENT, "/dev/vfio/devices/vfio9");
	ck_fails(ctx, nio_device_bind(ctx, NULL, NULL, &dev), EINVAL, NULL);
	ck_fails(ctx, nio_device_bind(ctx, "/dev/vfio/devices/vfio0", NULL, NULL),
		 EINVAL, NULL);
	ck_fails(NULL, nio_device_bind(NULL, "/dev/vfio/devices/vfio0", NULL,
				       &dev),
		 EINVAL, NULL);
	/* Bound twice: the kernel refuses, the second cdev is not leaked */
	dev = fk_bind(0);
	ck_fails(ctx, nio_device_bind(ctx, "/dev/vfio/devices/vfio0", NULL,
				      &dev2),
		 EINVAL, "VFIO_DEVICE_BIND_IOMMUFD");
	ck_assert_uint_eq(fake_kernel_nr_fds(), 2);
	/* Unknown device IDs */
	ck_fails(ctx, nio_device_fd(ctx, 99), ENOENT, NULL);
	ck_fails(ctx, nio_device_attach(ctx, 99, 1, NULL), ENOENT, NULL);
	ck_fails(ctx, nio_device_detach(ctx, 99), ENOENT, NULL);
	/* An IOAS ID is not a device */
	{
		uint32_t ioas;

		ck_ok(nio_ioas_alloc(ctx, &ioas));
		ck_fails(ctx, nio_device_attach(ctx, ioas, ioas, NULL), ENOENT,
			 NULL);
	}
	/* Options */
	{
		struct {
			struct nio_bind_opts o;
			uint64_t tail;
		} big = { .o = { .sz = sizeof(big) }, .tail = 1 };

		ck_fails(ctx, nio_device_bind(ctx, "/dev/vfio/devices/vfio1",
					      &big.o, &dev2),
			 E2BIG, "nio_bind_opts");
		big.o.sz = 0;
		ck_fails(ctx, nio_device_bind(ctx, "/dev/vfio/devices/vfio1",
					      &big.o, &dev2),
			 EINVAL, NULL);
		big.o.sz = sizeof(size_t);
		ck_ok(nio_device_bind(ctx, "/dev/vfio/devices/vfio1", &big.o,
				      &dev2));
	}
	ck_assert_uint_eq(fake_kernel_nr_fds(), 3);
}
END_TEST

START_TEST(test_attach_detach)
{
	struct vfio_device_attach_iommufd_pt want;
	struct vfio_device_detach_iommufd_pt dwant;
	struct nio_object_info info = { .sz = sizeof(info) };
	struct fk_obj_info fi;
	uint32_t ioas, ioas2, dev, hwpt = 0, hwpt2 = 0, s2;
	int cfd;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	ck_ok(nio_ioas_alloc(ctx, &ioas2));
	dev = fk_bind(0);
	cfd = nio_device_fd(ctx, dev);

	/* IOAS: an automatic paging HWPT */
	ck_ok(nio_device_attach(ctx, dev, ioas, &hwpt));
	want = (struct vfio_device_attach_iommufd_pt){ .argsz = 16,
						       .pt_id = ioas };
	ck_last_payload(VFIO_DEVICE_ATTACH_IOMMUFD_PT, want);
	ck_assert_int_eq(fake_kernel_last_ioctl(VFIO_DEVICE_ATTACH_IOMMUFD_PT)->fd,
			 cfd);
	ck_assert_uint_ne(hwpt, ioas);
	ck_ok(fake_kernel_obj_info(ifd, hwpt, &fi));
	ck_assert_int_eq(fi.type, FK_OBJ_HWPT_PAGING);
	ck_assert(fi.auto_domain);
	ck_assert_uint_eq(fi.parent_id, ioas);
	ck_ok(nio_object_info(ctx, dev, &info));
	ck_assert_uint_eq(info.parent_id, hwpt);

	/* Replace with another IOAS: the old automatic HWPT goes away */
	ck_ok(nio_device_replace(ctx, dev, ioas2, &hwpt2));
	want.pt_id = ioas2;
	ck_last_payload(VFIO_DEVICE_ATTACH_IOMMUFD_PT, want);
	ck_assert_int_eq(fake_kernel_obj_type(ifd, hwpt), FK_OBJ_NONE);
	ck_ok(nio_object_info(ctx, dev, &info));
	ck_assert_uint_eq(info.parent_id, hwpt2);

	/* Replace with an explicit nest parent; out_hwpt_id may be NULL */
	ck_ok(nio_hwpt_alloc_nest_parent(ctx, dev, ioas, &s2));
	ck_ok(nio_device_attach(ctx, dev, s2, NULL));
	ck_ok(nio_object_info(ctx, dev, &info));
	ck_assert_uint_eq(info.parent_id, s2);
	ck_ok(fake_kernel_obj_info(ifd, s2, &fi));
	ck_assert_uint_eq(fi.users, 1);

	/* Detach */
	ck_ok(nio_device_detach(ctx, dev));
	dwant = (struct vfio_device_detach_iommufd_pt){ .argsz = 12 };
	ck_last_payload(VFIO_DEVICE_DETACH_IOMMUFD_PT, dwant);
	ck_ok(fake_kernel_obj_info(ifd, s2, &fi));
	ck_assert_uint_eq(fi.users, 0);
	ck_ok(nio_object_info(ctx, dev, &info));
	ck_assert_uint_eq(info.parent_id, 0);

	/* Kernel errors */
	ck_fails(ctx, nio_device_attach(ctx, dev, 555, NULL), ENOENT,
		 "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	ck_fails(ctx, nio_device_attach(ctx, dev, dev, NULL), EINVAL,
		 "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	/* A HWPT of another physical IOMMU */
	{
		uint32_t dev2 = fk_bind(2), other;

		ck_ok(nio_hwpt_alloc(ctx, dev2, ioas2, NULL, &other));
		ck_fails(ctx, nio_device_attach(ctx, dev, other, NULL), EINVAL,
			 NULL);
	}
}
END_TEST

START_TEST(test_pasid)
{
	struct vfio_device_attach_iommufd_pt want;
	struct vfio_device_detach_iommufd_pt dwant;
	struct nio_object_info info = { .sz = sizeof(info) };
	struct fk_obj_info fi;
	uint32_t ioas, dev, hwpt = 0, phwpt;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	dev = fk_bind(0);
	{
		NIO_OPTS(nio_hwpt_alloc_opts, o, .flags = NIO_HWPT_PASID);

		ck_ok(nio_hwpt_alloc(ctx, dev, ioas, &o, &phwpt));
	}
	ck_ok(nio_device_pasid_attach(ctx, dev, 5, phwpt, &hwpt));
	want = (struct vfio_device_attach_iommufd_pt){
		.argsz = 16,
		.flags = VFIO_DEVICE_ATTACH_PASID,
		.pt_id = phwpt,
		.pasid = 5,
	};
	ck_last_payload(VFIO_DEVICE_ATTACH_IOMMUFD_PT, want);
	ck_assert_uint_eq(hwpt, phwpt);
	ck_ok(fake_kernel_obj_info(ifd, phwpt, &fi));
	ck_assert_uint_eq(fi.users, 1);
	/* A PASID attachment is not the device's own */
	ck_ok(nio_object_info(ctx, dev, &info));
	ck_assert_uint_eq(info.parent_id, 0);
	ck_ok(nio_device_pasid_detach(ctx, dev, 5));
	dwant = (struct vfio_device_detach_iommufd_pt){
		.argsz = 12,
		.flags = VFIO_DEVICE_DETACH_PASID,
		.pasid = 5,
	};
	ck_last_payload(VFIO_DEVICE_DETACH_IOMMUFD_PT, dwant);
	ck_ok(fake_kernel_obj_info(ifd, phwpt, &fi));
	ck_assert_uint_eq(fi.users, 0);
	/* A HWPT without NIO_HWPT_PASID cannot serve a PASID */
	{
		uint32_t plain;

		ck_ok(nio_hwpt_alloc(ctx, dev, ioas, NULL, &plain));
		ck_fails(ctx, nio_device_pasid_attach(ctx, dev, 5, plain, NULL),
			 EINVAL, "pasid=5");
	}
	/* A device without PASID support */
	{
		struct fk_device_cfg cfg;
		uint32_t dev3;

		fake_kernel_device_defaults(&cfg);
		cfg.pasid = false;
		fake_kernel_add_device(3, &cfg);
		dev3 = fk_bind(3);
		ck_fails(ctx, nio_device_pasid_attach(ctx, dev3, 1, phwpt, NULL),
			 EOPNOTSUPP, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	}
}
END_TEST

START_TEST(test_device_info)
{
	struct vfio_device_info want = { .argsz = 24 };
	struct nio_device_info info = { .sz = sizeof(info) };
	struct fk_device_cfg cfg;
	uint32_t dev;

	fake_kernel_device_defaults(&cfg);
	cfg.vfio_flags = VFIO_DEVICE_FLAGS_PLATFORM | VFIO_DEVICE_FLAGS_RESET;
	cfg.num_regions = 3;
	cfg.num_irqs = 2;
	fake_kernel_add_device(4, &cfg);
	dev = fk_bind(4);
	ck_ok(nio_device_info(ctx, dev, &info));
	ck_last_payload(VFIO_DEVICE_GET_INFO, want);
	ck_assert_uint_eq(info.flags,
			  VFIO_DEVICE_FLAGS_PLATFORM | VFIO_DEVICE_FLAGS_RESET);
	ck_assert_uint_eq(info.num_regions, 3);
	ck_assert_uint_eq(info.num_irqs, 2);
	ck_assert_uint_eq(info.sz, sizeof(info));
	/* An older caller knowing only flags */
	{
		struct nio_device_info old;

		memset(&old, 0xee, sizeof(old));
		old.sz = offsetof(struct nio_device_info, flags) +
			 sizeof(old.flags);
		ck_ok(nio_device_info(ctx, dev, &old));
		ck_assert_uint_eq(old.flags, info.flags);
		ck_assert_uint_eq(old.num_regions, 0xeeeeeeee);
	}
	ck_fails(ctx, nio_device_info(ctx, dev, NULL), EINVAL, NULL);
	ck_fails(ctx, nio_device_info(ctx, 12, &info), ENOENT, NULL);
	info.sz = 0;
	ck_fails(ctx, nio_device_info(ctx, dev, &info), EINVAL, NULL);
}
END_TEST

START_TEST(test_hw_info)
{
	struct nio_hw_info hi = { .sz = sizeof(hi) };
	struct iommu_hw_info want;
	struct fk_device_cfg cfg;
	const struct fk_call *c;
	struct iommu_hw_info sent;
	uint32_t dev;

	fake_kernel_device_defaults(&cfg);
	dev = fk_bind(0);
	ck_ok(nio_hw_info(ctx, dev, &hi));
	c = fake_kernel_last_ioctl(IOMMU_GET_HW_INFO);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->len, sizeof(want));
	memcpy(&sent, c->in, sizeof(sent));
	want = (struct iommu_hw_info){
		.size = 40,
		.flags = 0,
		.dev_id = dev,
		.data_len = NIO_HW_INFO_DATA_MAX,
		.data_uptr = sent.data_uptr, /* the library's own buffer */
	};
	ck_assert_uint_ne(sent.data_uptr, 0);
	ck_assert_mem_eq(&sent, &want, sizeof(want));
	ck_assert_uint_eq(hi.type, NIO_HW_INFO_ARM_SMMUV3);
	ck_assert_uint_eq(hi.data_len, cfg.hw_info_len);
	ck_assert_mem_eq(hi.data, cfg.hw_info, cfg.hw_info_len);
	ck_assert_uint_eq(hi.capabilities, NIO_HW_CAP_DIRTY_TRACKING);
	ck_assert_uint_eq(hi.max_pasid_log2, 20);

	/* A requested type */
	memset(&hi, 0, sizeof(hi));
	hi.sz = sizeof(hi);
	hi.type = NIO_HW_INFO_ARM_SMMUV3;
	ck_ok(nio_hw_info(ctx, dev, &hi));
	memcpy(&sent, fake_kernel_last_ioctl(IOMMU_GET_HW_INFO)->in, sizeof(sent));
	ck_assert_uint_eq(sent.flags, IOMMU_HW_INFO_FLAG_INPUT_TYPE);
	ck_assert_uint_eq(sent.in_data_type, IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
	hi.type = NIO_HW_INFO_INTEL_VTD;
	ck_fails(ctx, nio_hw_info(ctx, dev, &hi), EOPNOTSUPP, "IOMMU_GET_HW_INFO");

	ck_fails(ctx, nio_hw_info(ctx, 99, &hi), ENOENT, "IOMMU_GET_HW_INFO");
	ck_fails(ctx, nio_hw_info(ctx, dev, NULL), EINVAL, NULL);
	ck_assert_str_eq(nio_hw_info_type_name(NIO_HW_INFO_ARM_SMMUV3),
			 "arm-smmuv3");
	ck_assert_str_eq(nio_hw_cap_name(NIO_HW_CAP_DIRTY_TRACKING),
			 "dirty-tracking");
	ck_assert_ptr_null(nio_hw_cap_name(1ULL << 40));
}
END_TEST

/* A 6.6 kernel's iommu_hw_info ends before out_capabilities. */
START_TEST(test_hw_info_old_kernel)
{
	struct nio_hw_info hi;
	uint32_t dev = fk_bind(0);

	fake_kernel_set_kernel_size(IOMMU_GET_HW_INFO, 32);
	memset(&hi, 0xff, sizeof(hi));
	hi.sz = sizeof(hi);
	hi.type = NIO_HW_INFO_DEFAULT;
	ck_ok(nio_hw_info(ctx, dev, &hi));
	ck_assert_uint_eq(hi.type, NIO_HW_INFO_ARM_SMMUV3);
	/* Not written by that kernel: 0, not garbage */
	ck_assert_uint_eq(hi.capabilities, 0);
}
END_TEST

START_TEST(test_hwpt_paging)
{
	struct iommu_hwpt_alloc want;
	struct nio_object_info info = { .sz = sizeof(info) };
	struct fk_obj_info fi;
	uint32_t ioas, dev, hwpt, s2, fault;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	dev = fk_bind(0);
	ck_ok(nio_hwpt_alloc(ctx, dev, ioas, NULL, &hwpt));
	want = (struct iommu_hwpt_alloc){
		.size = 48,
		.dev_id = dev,
		.pt_id = ioas,
	};
	ck_last_payload(IOMMU_HWPT_ALLOC, want);
	ck_ok(fake_kernel_obj_info(ifd, hwpt, &fi));
	ck_assert_int_eq(fi.type, FK_OBJ_HWPT_PAGING);
	ck_assert_uint_eq(fi.parent_id, ioas);
	ck_ok(nio_object_info(ctx, hwpt, &info));
	ck_assert_int_eq(info.type, NIO_OBJ_HWPT_PAGING);
	ck_assert_uint_eq(info.parent_id, ioas);
	ck_assert_uint_eq(info.dev_id, dev);

	ck_ok(nio_hwpt_alloc_nest_parent(ctx, dev, ioas, &s2));
	want.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	ck_last_payload(IOMMU_HWPT_ALLOC, want);
	ck_ok(fake_kernel_obj_info(ifd, s2, &fi));
	ck_assert_uint_eq(fi.flags, IOMMU_HWPT_ALLOC_NEST_PARENT);

	/* Fault queue attached to a paging HWPT */
	ck_ok(nio_fault_alloc(ctx, &fault, NULL));
	{
		NIO_OPTS(nio_hwpt_alloc_opts, o,
			 .flags = NIO_HWPT_FAULT_ID_VALID, .fault_id = fault);

		ck_ok(nio_hwpt_alloc(ctx, dev, ioas, &o, &hwpt));
	}
	want = (struct iommu_hwpt_alloc){
		.size = 48,
		.flags = IOMMU_HWPT_FAULT_ID_VALID,
		.dev_id = dev,
		.pt_id = ioas,
		.fault_id = fault,
	};
	ck_last_payload(IOMMU_HWPT_ALLOC, want);
	ck_ok(fake_kernel_obj_info(ifd, fault, &fi));
	ck_assert_uint_eq(fi.users, 2); /* its fd and the HWPT */
	/* ... but not with a nest parent */
	{
		NIO_OPTS(nio_hwpt_alloc_opts, o,
			 .flags = NIO_HWPT_FAULT_ID_VALID | NIO_HWPT_NEST_PARENT,
			 .fault_id = fault);

		ck_fails(ctx, nio_hwpt_alloc(ctx, dev, ioas, &o, &hwpt),
			 EOPNOTSUPP, "IOMMU_HWPT_ALLOC");
	}
	/* Unknown IDs and wrong types */
	ck_fails(ctx, nio_hwpt_alloc(ctx, dev, 999, NULL, &hwpt), ENOENT,
		 "IOMMU_HWPT_ALLOC");
	ck_fails(ctx, nio_hwpt_alloc(ctx, 999, ioas, NULL, &hwpt), ENOENT, NULL);
	ck_fails(ctx, nio_hwpt_alloc(ctx, dev, dev, NULL, &hwpt), EINVAL,
		 "IOMMU_HWPT_ALLOC");
	ck_fails(ctx, nio_hwpt_alloc(ctx, dev, ioas, NULL, NULL), EINVAL, NULL);
	/* A nest parent cannot be the parent of a plain paging HWPT request */
	ck_fails(ctx, nio_hwpt_alloc(ctx, dev, hwpt, NULL, &hwpt), EINVAL, NULL);
}
END_TEST

START_TEST(test_hwpt_opts)
{
	uint32_t ioas, dev, hwpt;
	struct {
		struct nio_hwpt_alloc_opts o;
		uint64_t tail[2];
	} big;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	dev = fk_bind(0);
	/* An older caller: sz up to flags only */
	{
		NIO_OPTS(nio_hwpt_alloc_opts, o, .flags = NIO_HWPT_NEST_PARENT,
			 .data_type = 77, .data_len = 5, .data = &big);

		o.sz = offsetof(struct nio_hwpt_alloc_opts, flags) +
		       sizeof(o.flags);
		ck_ok(nio_hwpt_alloc(ctx, dev, ioas, &o, &hwpt));
		{
			struct iommu_hwpt_alloc want = {
				.size = 48,
				.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
				.dev_id = dev,
				.pt_id = ioas,
			};

			ck_last_payload(IOMMU_HWPT_ALLOC, want);
		}
	}
	/* A newer caller with a zero tail works; non-zero tail is E2BIG */
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	ck_ok(nio_hwpt_alloc(ctx, dev, ioas, &big.o, &hwpt));
	big.tail[0] = 0x100;
	ck_fails(ctx, nio_hwpt_alloc(ctx, dev, ioas, &big.o, &hwpt), E2BIG,
		 "nio_hwpt_alloc_opts");
	big.o.sz = 0;
	ck_fails(ctx, nio_hwpt_alloc(ctx, dev, ioas, &big.o, &hwpt), EINVAL,
		 NULL);
	/* data_type and data_len must agree */
	{
		NIO_OPTS(nio_hwpt_alloc_opts, o, .data_type = NIO_HWPT_DATA_ARM_SMMUV3);

		ck_fails(ctx, nio_hwpt_alloc(ctx, dev, ioas, &o, &hwpt), EINVAL,
			 NULL);
	}
	{
		NIO_OPTS(nio_hwpt_alloc_opts, o, .data_len = 16, .data = &big);

		ck_fails(ctx, nio_hwpt_alloc(ctx, dev, ioas, &o, &hwpt), EINVAL,
			 NULL);
	}
	{
		NIO_OPTS(nio_hwpt_alloc_opts, o,
			 .data_type = NIO_HWPT_DATA_ARM_SMMUV3, .data_len = 16);

		ck_fails(ctx, nio_hwpt_alloc(ctx, dev, ioas, &o, &hwpt), EINVAL,
			 NULL);
	}
	/* Unknown flags go to the kernel, which refuses them */
	{
		NIO_OPTS(nio_hwpt_alloc_opts, o, .flags = 1u << 20);

		ck_fails(ctx, nio_hwpt_alloc(ctx, dev, ioas, &o, &hwpt),
			 EOPNOTSUPP, "IOMMU_HWPT_ALLOC");
	}
}
END_TEST

START_TEST(test_hwpt_smmuv3_nested)
{
	/* V=1, Cfg=S1_TRANS, S1ContextPtr, S1CDMax 0; EATS=TRANS */
	const uint64_t ste[2] = { 0x1 | (5ULL << 1) | 0x12345640ULL,
				  1ULL << 28 };
	const uint64_t bad_cfg[2] = { 0x1 | (6ULL << 1), 0 };
	const uint64_t bad_bits[2] = { 0x1 | (4ULL << 1), 1ULL << 40 };
	const uint64_t abort_ste[2] = { 0x1, 0 };
	struct iommu_hwpt_alloc want;
	struct nio_object_info info = { .sz = sizeof(info) };
	const struct fk_call *c;
	struct fk_nest n;
	uint32_t nested, vdev;
	uint64_t le[2];

	fk_nest_setup(&n, 0);
	ck_ok(nio_hwpt_alloc_smmuv3_nested(ctx, n.dev, n.viommu, ste, &nested));
	c = fake_kernel_last_ioctl(IOMMU_HWPT_ALLOC);
	{
		struct iommu_hwpt_alloc sent;

		memcpy(&sent, c->in, sizeof(sent));
		want = (struct iommu_hwpt_alloc){
			.size = 48,
			.dev_id = n.dev,
			.pt_id = n.viommu,
			.data_type = IOMMU_HWPT_DATA_ARM_SMMUV3,
			.data_len = 16,
			.data_uptr = sent.data_uptr,
		};
		ck_assert_uint_ne(sent.data_uptr, 0);
		ck_assert_mem_eq(&sent, &want, sizeof(want));
	}
	/* The vSTE went as two little-endian words */
	le[0] = htole64(ste[0]);
	le[1] = htole64(ste[1]);
	ck_assert_uint_eq(c->aux_len, 16);
	ck_assert_mem_eq(c->aux, le, 16);
	ck_assert_int_eq(fake_kernel_obj_type(ifd, nested), FK_OBJ_HWPT_NESTED);
	ck_ok(nio_object_info(ctx, nested, &info));
	ck_assert_int_eq(info.type, NIO_OBJ_HWPT_NESTED);
	ck_assert_uint_eq(info.parent_id, n.viommu);
	ck_assert_uint_eq(info.type_param, NIO_HWPT_DATA_ARM_SMMUV3);

	/* S1_TRANS needs a vDEVICE before attach (the kernel's ENOENT) */
	ck_fails(ctx, nio_device_attach(ctx, n.dev, nested, NULL), ENOENT,
		 "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	ck_ok(nio_vdevice_alloc(ctx, n.viommu, n.dev, 3, &vdev));
	ck_ok(nio_device_attach(ctx, n.dev, nested, NULL));
	/* Abort vSTE: no vDEVICE needed, replace works */
	{
		uint32_t ab;

		ck_ok(nio_hwpt_alloc_smmuv3_nested(ctx, n.dev, n.viommu,
						   abort_ste, &ab));
		ck_ok(nio_device_replace(ctx, n.dev, ab, NULL));
	}
	/* Illegal vSTEs: EIO, as the upstream driver */
	ck_fails(ctx, nio_hwpt_alloc_smmuv3_nested(ctx, n.dev, n.viommu, bad_cfg,
						   &nested),
		 EIO, "IOMMU_HWPT_ALLOC");
	ck_fails(ctx, nio_hwpt_alloc_smmuv3_nested(ctx, n.dev, n.viommu,
						   bad_bits, &nested),
		 EIO, NULL);
	ck_fails(ctx, nio_hwpt_alloc_smmuv3_nested(ctx, n.dev, n.viommu, NULL,
						   &nested),
		 EINVAL, NULL);
	/* SMMUv3 nests through a vIOMMU, not directly on the parent */
	ck_fails(ctx, nio_hwpt_alloc_smmuv3_nested(ctx, n.dev, n.s2, ste,
						   &nested),
		 EOPNOTSUPP, NULL);
	/* A device behind another SMMU */
	{
		uint32_t dev2 = fk_bind(2);

		ck_fails(ctx, nio_hwpt_alloc_smmuv3_nested(ctx, dev2, n.viommu,
							   ste, &nested),
			 EINVAL, NULL);
	}
}
END_TEST

/*
 * A VT-d-like IOMMU: nested HWPTs on the nest parent itself (no vIOMMU),
 * invalidated through the nested HWPT with VTD_S1 entries.
 */
START_TEST(test_hwpt_nested_on_parent)
{
	struct iommu_hwpt_vtd_s1 s1 = { .flags = 0, .pgtbl_addr = 0x1000000,
					.addr_width = 48 };
	uint64_t inv[2][3] = { { 0x1000, 1, 0 }, { 0x2000, 4, 0 } };
	struct nio_object_info info = { .sz = sizeof(info) };
	struct iommu_hwpt_alloc want;
	struct fk_device_cfg cfg;
	const struct fk_call *c;
	uint32_t ioas, dev, s2, nested, num = 2, viommu;

	fake_kernel_device_defaults(&cfg);
	cfg.hw_info_type = NIO_HW_INFO_INTEL_VTD;
	cfg.nested_data_type = NIO_HWPT_DATA_VTD_S1;
	cfg.nested_on_parent = true;
	cfg.viommu_type = 0;
	cfg.iommu_instance = 7;
	fake_kernel_add_device(6, &cfg);
	ck_ok(nio_ioas_alloc(ctx, &ioas));
	dev = fk_bind(6);
	ck_ok(nio_hwpt_alloc_nest_parent(ctx, dev, ioas, &s2));
	{
		NIO_OPTS(nio_hwpt_alloc_opts, o, .data_type = NIO_HWPT_DATA_VTD_S1,
			 .data_len = sizeof(s1), .data = &s1);

		ck_ok(nio_hwpt_alloc(ctx, dev, s2, &o, &nested));
	}
	want = (struct iommu_hwpt_alloc){
		.size = 48,
		.dev_id = dev,
		.pt_id = s2,
		.data_type = IOMMU_HWPT_DATA_VTD_S1,
		.data_len = sizeof(s1),
		.data_uptr = (uintptr_t)&s1,
	};
	ck_last_payload(IOMMU_HWPT_ALLOC, want);
	c = fake_kernel_last_ioctl(IOMMU_HWPT_ALLOC);
	ck_assert_mem_eq(c->aux, &s1, sizeof(s1));
	ck_ok(nio_object_info(ctx, nested, &info));
	ck_assert_int_eq(info.type, NIO_OBJ_HWPT_NESTED);
	ck_assert_uint_eq(info.parent_id, s2);
	ck_assert_uint_eq(info.type_param, NIO_HWPT_DATA_VTD_S1);
	ck_ok(nio_device_attach(ctx, dev, nested, NULL));
	/* Invalidation goes to the nested HWPT itself */
	ck_ok(nio_invalidate(ctx, nested, NIO_INVALIDATE_VTD_S1, inv, 24, &num));
	ck_assert_uint_eq(num, 2);
	{
		struct iommu_hwpt_invalidate iwant = {
			.size = 32,
			.hwpt_id = nested,
			.data_uptr = (uintptr_t)inv,
			.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
			.entry_len = 24,
			.entry_num = 2,
		};

		ck_last_payload(IOMMU_HWPT_INVALIDATE, iwant);
	}
	/* Empty array: a probe of the data type, 0 entries, success */
	num = 0;
	ck_ok(nio_invalidate(ctx, nested, NIO_INVALIDATE_VTD_S1, NULL, 24, &num));
	ck_assert_uint_eq(num, 0);
	/* No vIOMMU on this IOMMU */
	ck_fails(ctx, nio_viommu_alloc(ctx, dev, s2, NIO_VIOMMU_ARM_SMMUV3, NULL,
				       &viommu),
		 EOPNOTSUPP, "IOMMU_VIOMMU_ALLOC");
	/* Not a nest parent: EINVAL */
	{
		uint32_t plain;

		NIO_OPTS(nio_hwpt_alloc_opts, o, .data_type = NIO_HWPT_DATA_VTD_S1,
			 .data_len = sizeof(s1), .data = &s1);
		ck_ok(nio_hwpt_alloc(ctx, dev, ioas, NULL, &plain));
		ck_fails(ctx, nio_hwpt_alloc(ctx, dev, plain, &o, &nested), EINVAL,
			 "IOMMU_HWPT_ALLOC");
	}
}
END_TEST

START_TEST(test_dirty_tracking)
{
	struct iommu_hwpt_set_dirty_tracking swant;
	struct iommu_hwpt_get_dirty_bitmap gwant;
	uint64_t bitmap[2] = { 0 };
	uint32_t ioas, dev, hwpt, plain;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	dev = fk_bind(0);
	{
		NIO_OPTS(nio_hwpt_alloc_opts, o, .flags = NIO_HWPT_DIRTY_TRACKING);

		ck_ok(nio_hwpt_alloc(ctx, dev, ioas, &o, &hwpt));
	}
	ck_ok(nio_hwpt_set_dirty_tracking(ctx, hwpt, true));
	swant = (struct iommu_hwpt_set_dirty_tracking){ .size = 16, .flags = 1,
							.hwpt_id = hwpt };
	ck_last_payload(IOMMU_HWPT_SET_DIRTY_TRACKING, swant);
	ck_ok(nio_hwpt_set_dirty_tracking(ctx, hwpt, false));
	swant.flags = 0;
	ck_last_payload(IOMMU_HWPT_SET_DIRTY_TRACKING, swant);

	fake_kernel_set_dirty(ifd, hwpt, 0x100000);
	fake_kernel_set_dirty(ifd, hwpt, 0x100000 + 65 * 4096);
	fake_kernel_set_dirty(ifd, hwpt, 0x900000); /* outside */
	ck_ok(nio_hwpt_get_dirty_bitmap(ctx, hwpt, 0x100000, 128 * 4096, 4096,
					bitmap, NIO_DIRTY_NO_CLEAR));
	gwant = (struct iommu_hwpt_get_dirty_bitmap){
		.size = 48,
		.hwpt_id = hwpt,
		.flags = 1,
		.iova = 0x100000,
		.length = 128 * 4096,
		.page_size = 4096,
		.data = (uintptr_t)bitmap,
	};
	ck_last_payload(IOMMU_HWPT_GET_DIRTY_BITMAP, gwant);
	ck_assert_uint_eq(bitmap[0], 1);
	ck_assert_uint_eq(bitmap[1], 2);
	/* Clearing read */
	memset(bitmap, 0, sizeof(bitmap));
	ck_ok(nio_hwpt_get_dirty_bitmap(ctx, hwpt, 0x100000, 128 * 4096, 4096,
					bitmap, 0));
	gwant.flags = 0;
	ck_last_payload(IOMMU_HWPT_GET_DIRTY_BITMAP, gwant);
	ck_assert_uint_eq(bitmap[1], 2);
	memset(bitmap, 0, sizeof(bitmap));
	ck_ok(nio_hwpt_get_dirty_bitmap(ctx, hwpt, 0x100000, 128 * 4096, 4096,
					bitmap, 0));
	ck_assert_uint_eq(bitmap[0] | bitmap[1], 0);

	/* Argument checks */
	ck_fails(ctx, nio_hwpt_get_dirty_bitmap(ctx, hwpt, 0x100000, 4096, 3000,
						bitmap, 0),
		 EINVAL, "page_size");
	ck_fails(ctx, nio_hwpt_get_dirty_bitmap(ctx, hwpt, 0x100800, 4096, 4096,
						bitmap, 0),
		 EINVAL, NULL);
	ck_fails(ctx, nio_hwpt_get_dirty_bitmap(ctx, hwpt, 0x100000, 4096, 4096,
						NULL, 0),
		 EINVAL, NULL);
	ck_fails(ctx, nio_hwpt_get_dirty_bitmap(ctx, hwpt, 0x100000, 0, 4096,
						bitmap, 0),
		 EINVAL, NULL);
	ck_fails(ctx, nio_hwpt_get_dirty_bitmap(ctx, hwpt, 0x100000, 4096, 4096,
						bitmap, 0x10),
		 EINVAL, NULL);
	/* Without dirty tracking */
	ck_ok(nio_hwpt_alloc(ctx, dev, ioas, NULL, &plain));
	ck_fails(ctx, nio_hwpt_set_dirty_tracking(ctx, plain, true), EOPNOTSUPP,
		 "IOMMU_HWPT_SET_DIRTY_TRACKING");
	ck_fails(ctx, nio_hwpt_set_dirty_tracking(ctx, 99, true), ENOENT, NULL);
	/* A device that cannot track */
	{
		struct fk_device_cfg cfg;
		uint32_t dev3;

		fake_kernel_device_defaults(&cfg);
		cfg.dirty_tracking = false;
		fake_kernel_add_device(3, &cfg);
		dev3 = fk_bind(3);
		NIO_OPTS(nio_hwpt_alloc_opts, o, .flags = NIO_HWPT_DIRTY_TRACKING);
		ck_fails(ctx, nio_hwpt_alloc(ctx, dev3, ioas, &o, &plain),
			 EOPNOTSUPP, "IOMMU_HWPT_ALLOC");
	}
}
END_TEST

/*
 * A fault queue a HWPT reports to is busy: nio_destroy() fails with
 * EBUSY, and the queue must stay usable (its descriptor open), since the
 * HWPT still delivers faults to it.
 */
START_TEST(test_destroy_busy_fault_keeps_fd)
{
	struct nio_object_info fq = { .sz = sizeof(fq) };
	uint32_t ioas, dev, hwpt, fault;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	dev = fk_bind(0);
	ck_ok(nio_fault_alloc(ctx, &fault, NULL));
	{
		NIO_OPTS(nio_hwpt_alloc_opts, o,
			 .flags = NIO_HWPT_FAULT_ID_VALID, .fault_id = fault);

		ck_ok(nio_hwpt_alloc(ctx, dev, ioas, &o, &hwpt));
	}
	ck_ok(nio_object_info(ctx, fault, &fq));
	/* Refused by the kernel or by the library's own graph: either way */
	ck_fails(ctx, nio_destroy(ctx, fault), EBUSY, NULL);
	ck_assert_msg(fake_kernel_fd_kind(fq.fd) == FK_FILE_FAULT,
		      "nio_destroy() of a busy fault queue closed its descriptor");
	ck_ok(nio_object_info(ctx, fault, &fq));
	ck_assert_int_eq(fake_kernel_fd_kind(fq.fd), FK_FILE_FAULT);
	/* Once the HWPT is gone, it goes */
	ck_ok(nio_destroy(ctx, hwpt));
	ck_ok(nio_destroy(ctx, fault));
	ck_assert_int_eq(fake_kernel_obj_type(ifd, fault), FK_OBJ_NONE);
}
END_TEST

/*
 * Unbinding a device destroys its vDEVICE in the kernel (a tombstone since
 * Linux 6.17): the context must not list it any more.
 */
START_TEST(test_unbind_forgets_vdevice)
{
	struct nio_object_info info = { .sz = sizeof(info) };
	struct fk_nest n;
	uint32_t vdev, id, count = 0;

	fk_nest_setup(&n, 0);
	ck_ok(nio_vdevice_alloc(ctx, n.viommu, n.dev, 0x21, &vdev));
	ck_ok(nio_destroy(ctx, n.dev));
	ck_assert_int_eq(fake_kernel_obj_type(ifd, vdev), FK_OBJ_NONE);
	for (id = nio_object_next(ctx, 0); id; id = nio_object_next(ctx, id)) {
		ck_assert_msg(id != vdev,
			      "vDEVICE %u of an unbound device is still listed",
			      vdev);
		count++;
	}
	ck_assert_uint_eq(count, 3); /* ioas, s2, viommu */
	ck_fails(ctx, nio_object_info(ctx, vdev, &info), ENOENT, NULL);
	/* The vIOMMU is free to go now */
	ck_ok(nio_destroy(ctx, n.viommu));
}
END_TEST

/* Closing a context with attached devices frees the automatic HWPTs. */
START_TEST(test_unbind_on_destroy)
{
	uint32_t ioas, dev, hwpt;
	int cfd;

	ck_ok(nio_ioas_alloc(ctx, &ioas));
	dev = fk_bind(1);
	cfd = nio_device_fd(ctx, dev);
	ck_ok(nio_device_attach(ctx, dev, ioas, &hwpt));
	ck_assert_uint_eq(fake_kernel_nr_objects(), 3);
	/* The IOAS is in use by the device's automatic HWPT */
	ck_fails(ctx, nio_destroy(ctx, ioas), EBUSY, NULL);
	ck_ok(nio_destroy(ctx, dev));
	ck_assert_int_eq(fake_kernel_fd_kind(cfd), FK_FILE_NONE);
	ck_assert_uint_eq(fake_kernel_nr_objects(), 1);
	ck_ok(nio_destroy(ctx, ioas));
	ck_assert_uint_eq(fake_kernel_nr_objects(), 0);
	/* The device can be bound again */
	dev = fk_bind(1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* sysfs lookups, in a fake tree (fake_kernel_set_sysfs_root)          */

static char sysroot[] = "/tmp/nio-sysfs-XXXXXX";

static void put(const char *rel, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", sysroot, rel);
	/* fopen of a path outside /sys is not redirected */
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
}

/* A shell command; $R is the root of the fake tree. */
static void sh(const char *cmd)
{
	ck_assert_int_eq(setenv("R", sysroot, 1), 0);
	ck_assert_int_eq(system(cmd), 0);
}

static void sysfs_setup(void)
{
	fk_setup();
	/* CK_FORK=no runs every test in one process: a fresh name each time */
	snprintf(sysroot, sizeof(sysroot), "/tmp/nio-sysfs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(sysroot));
	/* 0000:00:03.0 bound to vfio-pci (vfio0), in IOMMU group 7 */
	sh("mkdir -p $R/sys/devices/pci0000:00/0000:00:03.0/vfio-dev/vfio0 "
	   "$R/sys/kernel/iommu_groups/7 $R/sys/bus/pci/devices "
	   "$R/sys/class/vfio-dev");
	sh("ln -s ../../../devices/pci0000:00/0000:00:03.0 "
	   "$R/sys/bus/pci/devices/0000:00:03.0");
	sh("ln -s ../../../kernel/iommu_groups/7 "
	   "$R/sys/devices/pci0000:00/0000:00:03.0/iommu_group");
	sh("ln -s ../../devices/pci0000:00/0000:00:03.0/vfio-dev/vfio0 "
	   "$R/sys/class/vfio-dev/vfio0");
	sh("ln -s ../../../0000:00:03.0 "
	   "$R/sys/devices/pci0000:00/0000:00:03.0/vfio-dev/vfio0/device");
	/* 0000:00:04.0: not bound to VFIO, no IOMMU */
	sh("mkdir -p $R/sys/devices/pci0000:00/0000:00:04.0");
	sh("ln -s ../../../devices/pci0000:00/0000:00:04.0 "
	   "$R/sys/bus/pci/devices/0000:00:04.0");
	put("/sys/kernel/iommu_groups/7/reserved_regions",
	    "0x0000000008000000 0x00000000080fffff msi\n"
	    "0x00000000fee00000 0x00000000feefffff reserved\n"
	    "0x0000000000000000 0x0000000000000fff direct-relaxable\n");
	fake_kernel_set_sysfs_root(sysroot);
}

static void sysfs_teardown(void)
{
	fake_kernel_set_sysfs_root(NULL);
	sh("rm -rf \"$R\"");
	fk_teardown();
}

START_TEST(test_find_cdev)
{
	char cdev[64];

	ck_ok(nio_device_find_cdev("0000:00:03.0", cdev, sizeof(cdev)));
	ck_assert_str_eq(cdev, "/dev/vfio/devices/vfio0");
	memset(cdev, 0, sizeof(cdev));
	ck_ok(nio_device_find_cdev("00:03.0", cdev, sizeof(cdev)));
	ck_assert_str_eq(cdev, "/dev/vfio/devices/vfio0");
	ck_ok(nio_device_find_cdev("/sys/bus/pci/devices/0000:00:03.0", cdev,
				   sizeof(cdev)));
	ck_assert_str_eq(cdev, "/dev/vfio/devices/vfio0");
	ck_ok(nio_device_find_cdev("/sys/class/vfio-dev/vfio0", cdev,
				   sizeof(cdev)));
	ck_assert_str_eq(cdev, "/dev/vfio/devices/vfio0");
	ck_ok(nio_device_find_cdev("vfio0", cdev, sizeof(cdev)));
	ck_assert_str_eq(cdev, "/dev/vfio/devices/vfio0");
	/* Not bound to VFIO, absent, malformed, too small */
	ck_fails(NULL, nio_device_find_cdev("0000:00:04.0", cdev, sizeof(cdev)),
		 ENODEV, "vfio-dev");
	ck_fails(NULL, nio_device_find_cdev("0000:00:09.0", cdev, sizeof(cdev)),
		 ENOENT, "0000:00:09.0");
	ck_fails(NULL, nio_device_find_cdev("relative/path", cdev, sizeof(cdev)),
		 EINVAL, NULL);
	ck_fails(NULL, nio_device_find_cdev("0000:00:03.0", cdev, 8),
		 ENAMETOOLONG, NULL);
	ck_fails(NULL, nio_device_find_cdev(NULL, cdev, sizeof(cdev)), EINVAL,
		 NULL);
	ck_fails(NULL, nio_device_find_cdev("0000:00:03.0", NULL, 64), EINVAL,
		 NULL);
}
END_TEST

START_TEST(test_iommu_group)
{
	int group = -1;

	ck_ok(nio_device_iommu_group("0000:00:03.0", &group));
	ck_assert_int_eq(group, 7);
	group = -1;
	ck_ok(nio_device_iommu_group("/sys/class/vfio-dev/vfio0", &group));
	ck_assert_int_eq(group, 7);
	ck_fails(NULL, nio_device_iommu_group("0000:00:04.0", &group), ENODEV,
		 "iommu_group");
	ck_fails(NULL, nio_device_iommu_group("0000:00:03.0", NULL), EINVAL,
		 NULL);
}
END_TEST

START_TEST(test_reserved_regions)
{
	struct nio_resv_region r[4];
	uint32_t num = 4;

	ck_ok(nio_device_reserved_regions("0000:00:03.0", r, &num));
	ck_assert_uint_eq(num, 3);
	ck_assert_uint_eq(r[0].start, 0x8000000);
	ck_assert_uint_eq(r[0].last, 0x80fffff);
	ck_assert_int_eq(r[0].type, NIO_RESV_MSI);
	ck_assert_int_eq(r[1].type, NIO_RESV_RESERVED);
	ck_assert_int_eq(r[2].type, NIO_RESV_DIRECT_RELAXABLE);
	num = 1;
	memset(r, 0, sizeof(r));
	ck_fails(NULL, nio_device_reserved_regions("0000:00:03.0", r, &num),
		 EMSGSIZE, NULL);
	ck_assert_uint_eq(num, 3);
	ck_assert_uint_eq(r[0].start, 0x8000000);
	ck_assert_uint_eq(r[1].start, 0);
	num = 0;
	ck_fails(NULL, nio_device_reserved_regions("0000:00:03.0", NULL, &num),
		 EMSGSIZE, NULL);
	ck_assert_uint_eq(num, 3);
	ck_fails(NULL, nio_device_reserved_regions("0000:00:03.0", r, NULL),
		 EINVAL, NULL);
	ck_assert_str_eq(nio_resv_type_name(NIO_RESV_SW_MSI), "sw-msi");
	ck_assert_ptr_null(nio_resv_type_name((enum nio_resv_type)42));
}
END_TEST

/*
 * The _at lookups read the tree they are given, not /sys: the fake
 * kernel's redirection of /sys is off, so the plain calls find nothing.
 */
START_TEST(test_sysfs_root_at)
{
	struct nio_resv_region r[4];
	char root[64], cdev[64], path[128];
	uint32_t num = 4;
	int group = -1;

	/* A device on a bus of its own, known only by its vfio-dev entry. */
	sh("mkdir -p $R/sys/devices/virtual/nioep/nioep.1/vfio-dev/vfio1");
	sh("ln -s ../../devices/virtual/nioep/nioep.1/vfio-dev/vfio1 "
	   "$R/sys/class/vfio-dev/vfio1");
	sh("ln -s ../../../nioep.1 "
	   "$R/sys/devices/virtual/nioep/nioep.1/vfio-dev/vfio1/device");
	fake_kernel_set_sysfs_root(NULL);
	snprintf(root, sizeof(root), "%s/sys", sysroot);
	ck_ok(nio_device_find_cdev_at(root, "0000:00:03.0", cdev, sizeof(cdev)));
	ck_assert_str_eq(cdev, "/dev/vfio/devices/vfio0");
	memset(cdev, 0, sizeof(cdev));
	ck_ok(nio_device_find_cdev_at(root, "00:03.0", cdev, sizeof(cdev)));
	ck_assert_str_eq(cdev, "/dev/vfio/devices/vfio0");
	ck_ok(nio_device_find_cdev_at(root, "/dev/vfio/devices/vfio0", cdev,
				      sizeof(cdev)));
	ck_assert_str_eq(cdev, "/dev/vfio/devices/vfio0");
	ck_ok(nio_device_find_cdev_at(root, "nioep.1", cdev, sizeof(cdev)));
	ck_assert_str_eq(cdev, "/dev/vfio/devices/vfio1");
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:00:03.0", root);
	ck_ok(nio_device_find_cdev_at(root, path, cdev, sizeof(cdev)));
	ck_assert_str_eq(cdev, "/dev/vfio/devices/vfio0");
	ck_fails(NULL, nio_device_find_cdev_at(root, "0000:00:04.0", cdev,
					       sizeof(cdev)), ENODEV, "vfio-dev");
	ck_fails(NULL, nio_device_find_cdev_at(root, "/dev/vfio/devices/vfio9",
					       cdev, sizeof(cdev)), ENOENT, NULL);
	ck_fails(NULL, nio_device_find_cdev_at(root, "nioep.2", cdev,
					       sizeof(cdev)), ENOENT, NULL);
	/* "/sys" is not the tree: without redirection nothing is there. */
	ck_fails(NULL, nio_device_find_cdev_at("/sys", "nioep.1", cdev,
					       sizeof(cdev)), ENOENT, NULL);

	ck_ok(nio_device_iommu_group_at(root, "/dev/vfio/devices/vfio0", &group));
	ck_assert_int_eq(group, 7);
	ck_fails(NULL, nio_device_iommu_group_at(root, "nioep.1", &group),
		 ENODEV, "iommu_group");
	ck_ok(nio_device_reserved_regions_at(root, "0000:00:03.0", r, &num));
	ck_assert_uint_eq(num, 3);
	ck_assert_uint_eq(r[1].start, 0xfee00000);
	ck_assert_uint_eq(r[1].last, 0xfeefffff);
	ck_assert_int_eq(r[1].type, NIO_RESV_RESERVED);
	num = 2;
	ck_fails(NULL, nio_device_reserved_regions_at(root, "0000:00:03.0", r,
						      &num), EMSGSIZE, NULL);
	ck_assert_uint_eq(num, 3);

	/* By group number; malformed lines and unknown types */
	put("/sys/kernel/iommu_groups/7/reserved_regions",
	    "0x0000000008000000 0x00000000080fffff msi\n"
	    "garbage\n"
	    "0x0000000000001000 0x0000000000001fff future-type\n");
	num = 4;
	ck_ok(nio_group_reserved_regions(root, 7, r, &num));
	ck_assert_uint_eq(num, 2);
	ck_assert_int_eq(r[0].type, NIO_RESV_MSI);
	ck_assert_uint_eq(r[1].start, 0x1000);
	ck_assert_int_eq(r[1].type, NIO_RESV_UNKNOWN);
	ck_fails(NULL, nio_group_reserved_regions(root, 8, r, &num), ENOENT,
		 "iommu_groups/8");
	ck_fails(NULL, nio_group_reserved_regions(root, -1, r, &num), EINVAL,
		 NULL);
	ck_fails(NULL, nio_group_reserved_regions(root, 7, NULL, NULL), EINVAL,
		 NULL);
}
END_TEST

/* Binding by PCI address goes through sysfs to the cdev. */
START_TEST(test_bind_by_address)
{
	struct nio_object_info info = { .sz = sizeof(info) };
	uint32_t dev;

	ck_ok(nio_device_bind(ctx, "0000:00:03.0", NULL, &dev));
	ck_assert_int_eq(fake_kernel_obj_type(ifd, dev), FK_OBJ_DEVICE);
	ck_ok(nio_object_info(ctx, dev, &info));
	ck_assert_str_eq(info.path, "/dev/vfio/devices/vfio0");
	ck_fails(ctx, nio_device_bind(ctx, "0000:00:04.0", NULL, &dev), ENODEV,
		 NULL);
	ck_assert_uint_eq(fake_kernel_nr_fds(), 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lib-device-hwpt");

	FK_TCASE(s, "device", test_bind, test_bind_token, test_bind_cdev_fd,
		 test_bind_errors, test_attach_detach, test_pasid,
		 test_device_info, test_hw_info, test_hw_info_old_kernel,
		 test_unbind_on_destroy,
		 test_unbind_forgets_vdevice);
	FK_TCASE(s, "hwpt", test_hwpt_paging, test_hwpt_opts,
		 test_hwpt_smmuv3_nested, test_hwpt_nested_on_parent,
		 test_dirty_tracking,
		 test_destroy_busy_fault_keeps_fd);
	{
		TCase *tc = tcase_create("sysfs");

		tcase_add_checked_fixture(tc, sysfs_setup, sysfs_teardown);
		tcase_add_test(tc, test_find_cdev);
		tcase_add_test(tc, test_iommu_group);
		tcase_add_test(tc, test_reserved_regions);
		tcase_add_test(tc, test_sysfs_root_at);
		tcase_add_test(tc, test_bind_by_address);
		suite_add_tcase(s, tc);
	}
	return fk_run(s);
}
