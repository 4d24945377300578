// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Importing objects a VMM made itself (raw ioctls, another library, another
 * context on the same iommufd), owned or borrowed, and handing them back.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static bool type_has_fd(enum nio_object_type type)
{
	return type == NIO_OBJ_DEVICE || type == NIO_OBJ_VEVENTQ ||
	       type == NIO_OBJ_FAULT;
}

/* The checks the kernel allows without side effects, per type. */
static int import_check(struct nio_ctx *ctx, enum nio_object_type type,
			uint32_t id, int fd, const struct nio_import_opts *opts)
{
	const char *name = nio_object_type_name(type);
	char what[96];
	int ret;

	if (type_has_fd(type) && fcntl(fd, F_GETFD) < 0)
		return nio_err(ctx, EBADF,
			       "nio_object_import: %s %u: descriptor %d is not open",
			       name, id, fd);
	switch (type) {
	case NIO_OBJ_DEVICE: {
		struct vfio_device_info vinfo = { .argsz = sizeof(vinfo) };
		struct iommu_hw_info hw = { .size = sizeof(hw), .dev_id = id };

		if (ioctl(fd, VFIO_DEVICE_GET_INFO, &vinfo))
			return nio_err(ctx, ENOTTY,
				       "nio_object_import: descriptor %d is not a VFIO device cdev (VFIO_DEVICE_GET_INFO: %s)",
				       fd, strerror(errno));
		snprintf(what, sizeof(what), "IOMMU_GET_HW_INFO(dev=%u)", id);
		if (ioctl(ctx->fd, IOMMU_GET_HW_INFO, &hw) && errno == ENOENT)
			return nio_err(ctx, ENOENT,
				       "nio_object_import: %s: %u is not a device bound to this iommufd",
				       what, id);
		return 0;
	}
	case NIO_OBJ_IOAS: {
		struct iommu_ioas_iova_ranges r = { .size = sizeof(r),
						    .ioas_id = id };

		if (ioctl(ctx->fd, IOMMU_IOAS_IOVA_RANGES, &r) &&
		    errno != EMSGSIZE) {
			ret = errno;
			return nio_err(ctx, ret,
				       "nio_object_import: IOMMU_IOAS_IOVA_RANGES(ioas=%u): %s%s",
				       id, strerror(ret),
				       ret == ENOENT ? " (not an IOAS of this iommufd)" : "");
		}
		return 0;
	}
	case NIO_OBJ_VEVENTQ: {
		uint32_t vtype = NIO_OPTS_GET(opts, type_param, 0);

		if (nio_vevent_payload_len(vtype) < 0)
			return nio_err(ctx, EINVAL,
				       "nio_object_import: vEVENTQ %u: opts->type_param 0x%x is not a vEVENTQ type this library can read",
				       id, vtype);
		return 0;
	}
	default:
		return 0;
	}
}

NIO_API int nio_object_import(struct nio_ctx *ctx, enum nio_object_type type,
			      uint32_t id, int fd, unsigned int flags,
			      const struct nio_import_opts *opts)
{
	struct nio_object_info info, existing;
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	ret = NIO_OPTS_CHECK(ctx, opts, nio_import_opts);
	if (ret)
		return ret;
	if (type <= NIO_OBJ_NONE || type > NIO_OBJ_HW_QUEUE)
		return nio_err(ctx, EINVAL,
			       "nio_object_import: unknown object type %d",
			       (int)type);
	if (!id)
		return nio_err(ctx, EINVAL, "nio_object_import: ID 0 names no object");
	if (flags & ~(unsigned int)NIO_IMPORT_OWN)
		return nio_err(ctx, EINVAL, "nio_object_import: unknown flags 0x%x",
			       flags);
	if (type_has_fd(type) && fd < 0)
		return nio_err(ctx, EBADF,
			       "nio_object_import: a %s needs its descriptor",
			       nio_object_type_name(type));
	if (!type_has_fd(type) && fd >= 0)
		return nio_err(ctx, EINVAL,
			       "nio_object_import: a %s has no descriptor (pass -1)",
			       nio_object_type_name(type));
	ret = import_check(ctx, type, id, fd, opts);
	if (ret)
		return ret;

	nio_obj_info_init(&info, id, type, NIO_OPTS_GET(opts, parent_id, 0),
			  type == NIO_OBJ_DEVICE ? id :
						   NIO_OPTS_GET(opts, dev_id, 0));
	info.type_param = NIO_OPTS_GET(opts, type_param, 0);
	if (type == NIO_OBJ_HWPT_PAGING || type == NIO_OBJ_HWPT_NESTED)
		info.flags = info.type_param;
	info.fault_id = NIO_OPTS_GET(opts, fault_id, 0);
	info.virt_id = NIO_OPTS_GET(opts, virt_id, 0);
	info.fd = fd;
	info.own = (flags & NIO_IMPORT_OWN) ? NIO_OWN_OBJECT | NIO_OWN_FD : 0;
	if (type == NIO_OBJ_DEVICE) {
		char link[32];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, info.path, sizeof(info.path) - 1);
		info.path[n > 0 ? n : 0] = '\0';
	}
	ret = nio_obj_add_unique(ctx, &info, &existing);
	if (ret == -EEXIST)
		return nio_err(ctx, EEXIST,
			       "nio_object_import: %u is already in this context (a %s)",
			       id, nio_object_type_name(existing.type));
	if (ret)
		return ret;
	nio_log(ctx, NIO_LOG_DEBUG, "imported %s %u (fd %d, %s)",
		nio_object_type_name(type), id, fd,
		(flags & NIO_IMPORT_OWN) ? "owned" : "borrowed");
	return 0;
}

NIO_API int nio_object_forget(struct nio_ctx *ctx, uint32_t id, int *fd)
{
	struct nio_object_info info;

	NIO_CHECK_ARG(ctx, ctx);
	if (nio_obj_get(ctx, id, &info))
		return nio_err(ctx, ENOENT,
			       "nio_object_forget: %u is not in this context", id);
	if (info.fd >= 0 && (info.own & NIO_OWN_FD) && !fd)
		return nio_err(ctx, EINVAL,
			       "nio_object_forget: %s %u has descriptor %d owned by the context: pass fd to take it",
			       nio_object_type_name(info.type), id, info.fd);
	if (nio_obj_take(ctx, id, &info))
		return nio_err(ctx, ENOENT,
			       "nio_object_forget: %u is not in this context", id);
	if (fd)
		*fd = (info.own & NIO_OWN_FD) ? info.fd : -1;
	return 0;
}
