// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * IOAS: I/O address spaces, their mappings and the iommufd options.
 */
#include "config.h"

#include <stdio.h>

#include "internal.h"

#define NIO_MAP_ALL_FLAGS (NIO_MAP_FIXED_IOVA | NIO_MAP_WRITE | NIO_MAP_READ)

_Static_assert((int)NIO_MAP_FIXED_IOVA == (int)IOMMU_IOAS_MAP_FIXED_IOVA &&
		       (int)NIO_MAP_WRITE == (int)IOMMU_IOAS_MAP_WRITEABLE &&
		       (int)NIO_MAP_READ == (int)IOMMU_IOAS_MAP_READABLE,
	       "map flags are the kernel's");
_Static_assert(sizeof(struct nio_iova_range) == sizeof(struct iommu_iova_range),
	       "nio_iova_range is passed to the kernel as is");

/*
 * Alignment rules belong to the kernel (an IOAS without a domain accepts
 * any alignment), so the library checks only what is wrong everywhere.
 */
static int check_range(struct nio_ctx *ctx, const char *fn, uint64_t iova,
		       uint64_t length, bool check_iova)
{
	if (!length)
		return nio_err(ctx, EINVAL, "%s: length is 0", fn);
	if (check_iova && iova + length - 1 < iova)
		return nio_err(ctx, EOVERFLOW,
			       "%s: iova 0x%llx + length 0x%llx overflows", fn,
			       (unsigned long long)iova,
			       (unsigned long long)length);
	return 0;
}

/*
 * Report a failed map/unmap/copy.  The kernel's bare EINVAL for a
 * misaligned range becomes a message saying which alignment the IOAS
 * needs (error path only: it costs one more ioctl).
 */
static int map_error(struct nio_ctx *ctx, uint32_t ioas_id, unsigned long req,
		     int err, const char *what)
{
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q),
		.ioas_id = ioas_id,
	};

	if (err == EINVAL &&
	    (ioctl(ctx->fd, IOMMU_IOAS_IOVA_RANGES, &q) == 0 ||
	     errno == EMSGSIZE) && q.out_iova_alignment > 1)
		return nio_err(ctx, EINVAL,
			       "%s: invalid argument (IOVA, length and user address must be aligned to 0x%llx, the alignment of IOAS %u)",
			       what, (unsigned long long)q.out_iova_alignment,
			       ioas_id);
	return nio_ioctl_failed(ctx, req, err, what);
}

NIO_API int nio_ioas_alloc(struct nio_ctx *ctx, uint32_t *ioas_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	struct nio_object_info info;
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, ioas_id);
	ret = nio_ioctl(ctx, ctx->fd, IOMMU_IOAS_ALLOC, &cmd,
			"IOMMU_IOAS_ALLOC");
	if (ret)
		return ret;
	nio_obj_info_init(&info, cmd.out_ioas_id, NIO_OBJ_IOAS, 0, 0);
	return nio_obj_track(ctx, &info, ioas_id);
}

static int check_map_args(struct nio_ctx *ctx, const char *fn,
			  uint64_t length, const uint64_t *iova,
			  uint32_t flags)
{
	if (!iova)
		return nio_err(ctx, EINVAL, "%s: invalid argument: iova is NULL",
			       fn);
	if (flags & ~(uint32_t)NIO_MAP_ALL_FLAGS)
		return nio_err(ctx, EINVAL, "%s: unknown flags 0x%x", fn,
			       flags & ~(uint32_t)NIO_MAP_ALL_FLAGS);
	if (!(flags & (NIO_MAP_READ | NIO_MAP_WRITE)))
		return nio_err(ctx, EINVAL,
			       "%s: flags must allow NIO_MAP_READ and/or NIO_MAP_WRITE",
			       fn);
	return check_range(ctx, fn, *iova, length, flags & NIO_MAP_FIXED_IOVA);
}

NIO_API int nio_ioas_map(struct nio_ctx *ctx, uint32_t ioas_id,
			 const void *va, uint64_t length, uint64_t *iova,
			 uint32_t flags)
{
	struct iommu_ioas_map cmd;
	char what[160];
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, va);
	ret = check_map_args(ctx, "nio_ioas_map", length, iova, flags);
	if (ret)
		return ret;
	cmd = (struct iommu_ioas_map){
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.user_va = nio_ptr_to_u64(va),
		.length = length,
		.iova = (flags & NIO_MAP_FIXED_IOVA) ? *iova : 0,
	};
	if (ioctl(ctx->fd, IOMMU_IOAS_MAP, &cmd)) {
		int err = errno;

		/* Format the arguments only on the error path: map is hot. */
		snprintf(what, sizeof(what),
			 "IOMMU_IOAS_MAP(ioas=%u, va=%p, length=0x%llx, iova=0x%llx, flags=0x%x)",
			 ioas_id, va, (unsigned long long)length,
			 (unsigned long long)cmd.iova, flags);
		return map_error(ctx, ioas_id, IOMMU_IOAS_MAP, err, what);
	}
	*iova = cmd.iova;
	return 0;
}

NIO_API int nio_ioas_map_file(struct nio_ctx *ctx, uint32_t ioas_id, int fd,
			      uint64_t start, uint64_t length, uint64_t *iova,
			      uint32_t flags)
{
	struct iommu_ioas_map_file cmd;
	char what[160];
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, fd >= 0);
	ret = check_map_args(ctx, "nio_ioas_map_file", length, iova, flags);
	if (ret)
		return ret;
	cmd = (struct iommu_ioas_map_file){
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.fd = fd,
		.start = start,
		.length = length,
		.iova = (flags & NIO_MAP_FIXED_IOVA) ? *iova : 0,
	};
	snprintf(what, sizeof(what),
		 "IOMMU_IOAS_MAP_FILE(ioas=%u, fd=%d, start=0x%llx, length=0x%llx, iova=0x%llx, flags=0x%x)",
		 ioas_id, fd, (unsigned long long)start,
		 (unsigned long long)length, (unsigned long long)cmd.iova,
		 flags);
	if (ioctl(ctx->fd, IOMMU_IOAS_MAP_FILE, &cmd))
		return map_error(ctx, ioas_id, IOMMU_IOAS_MAP_FILE, errno, what);
	*iova = cmd.iova;
	return 0;
}

static int ioas_unmap(struct nio_ctx *ctx, uint32_t ioas_id, uint64_t iova,
		      uint64_t length, uint64_t *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};
	char what[128];

	if (ioctl(ctx->fd, IOMMU_IOAS_UNMAP, &cmd)) {
		int err = errno;

		snprintf(what, sizeof(what),
			 "IOMMU_IOAS_UNMAP(ioas=%u, iova=0x%llx, length=0x%llx)",
			 ioas_id, (unsigned long long)iova,
			 (unsigned long long)length);
		return map_error(ctx, ioas_id, IOMMU_IOAS_UNMAP, err, what);
	}
	if (unmapped)
		*unmapped = cmd.length;
	return 0;
}

NIO_API int nio_ioas_unmap(struct nio_ctx *ctx, uint32_t ioas_id,
			   uint64_t iova, uint64_t length, uint64_t *unmapped)
{
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	ret = check_range(ctx, "nio_ioas_unmap", iova, length, true);
	if (ret)
		return ret;
	return ioas_unmap(ctx, ioas_id, iova, length, unmapped);
}

NIO_API int nio_ioas_unmap_all(struct nio_ctx *ctx, uint32_t ioas_id,
			       uint64_t *unmapped)
{
	NIO_CHECK_ARG(ctx, ctx);
	return ioas_unmap(ctx, ioas_id, 0, UINT64_MAX, unmapped);
}

NIO_API int nio_ioas_copy(struct nio_ctx *ctx, uint32_t dst_ioas_id,
			  uint32_t src_ioas_id, uint64_t src_iova,
			  uint64_t length, uint64_t *dst_iova, uint32_t flags)
{
	struct iommu_ioas_copy cmd;
	char what[160];
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	ret = check_map_args(ctx, "nio_ioas_copy", length, dst_iova, flags);
	if (ret)
		return ret;
	ret = check_range(ctx, "nio_ioas_copy", src_iova, length, true);
	if (ret)
		return ret;
	cmd = (struct iommu_ioas_copy){
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst_ioas_id,
		.src_ioas_id = src_ioas_id,
		.length = length,
		.dst_iova = (flags & NIO_MAP_FIXED_IOVA) ? *dst_iova : 0,
		.src_iova = src_iova,
	};
	snprintf(what, sizeof(what),
		 "IOMMU_IOAS_COPY(dst=%u, src=%u, src_iova=0x%llx, length=0x%llx, flags=0x%x)",
		 dst_ioas_id, src_ioas_id, (unsigned long long)src_iova,
		 (unsigned long long)length, flags);
	if (ioctl(ctx->fd, IOMMU_IOAS_COPY, &cmd))
		return map_error(ctx, dst_ioas_id, IOMMU_IOAS_COPY, errno,
				 what);
	*dst_iova = cmd.dst_iova;
	return 0;
}

NIO_API int nio_ioas_iova_ranges(struct nio_ctx *ctx, uint32_t ioas_id,
				 struct nio_iova_range *ranges, uint32_t *num,
				 uint64_t *alignment)
{
	struct iommu_ioas_iova_ranges cmd;
	char what[96];
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, num);
	NIO_CHECK_ARG(ctx, ranges || *num == 0);
	cmd = (struct iommu_ioas_iova_ranges){
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = *num,
		.allowed_iovas = nio_ptr_to_u64(ranges),
	};
	snprintf(what, sizeof(what),
		 "IOMMU_IOAS_IOVA_RANGES(ioas=%u, num_iovas=%u)", ioas_id,
		 *num);
	ret = nio_ioctl(ctx, ctx->fd, IOMMU_IOAS_IOVA_RANGES, &cmd, what);
	/* EMSGSIZE still reports the count needed. */
	if (ret == 0 || ret == -EMSGSIZE)
		*num = cmd.num_iovas;
	if (ret == 0 && alignment)
		*alignment = cmd.out_iova_alignment;
	if (ret == -EMSGSIZE)
		errno = EMSGSIZE;
	return ret;
}

NIO_API int nio_ioas_allow_iovas(struct nio_ctx *ctx, uint32_t ioas_id,
				 const struct nio_iova_range *ranges,
				 uint32_t num)
{
	struct iommu_ioas_allow_iovas cmd;
	char what[96];
	uint32_t i;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, ranges || num == 0);
	for (i = 0; i < num; i++) {
		if (ranges[i].start > ranges[i].last)
			return nio_err(ctx, EINVAL,
				       "nio_ioas_allow_iovas: range %u: start 0x%llx > last 0x%llx",
				       i, (unsigned long long)ranges[i].start,
				       (unsigned long long)ranges[i].last);
		if (i && ranges[i].start <= ranges[i - 1].last &&
		    ranges[i].last >= ranges[i - 1].start)
			return nio_err(ctx, EINVAL,
				       "nio_ioas_allow_iovas: range %u overlaps range %u",
				       i, i - 1);
	}
	cmd = (struct iommu_ioas_allow_iovas){
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = num,
		.allowed_iovas = nio_ptr_to_u64(ranges),
	};
	snprintf(what, sizeof(what),
		 "IOMMU_IOAS_ALLOW_IOVAS(ioas=%u, num_iovas=%u)", ioas_id, num);
	return nio_ioctl(ctx, ctx->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd, what);
}

NIO_API int nio_ioas_change_process(struct nio_ctx *ctx)
{
	struct iommu_ioas_change_process cmd = { .size = sizeof(cmd) };

	NIO_CHECK_ARG(ctx, ctx);
	return nio_ioctl(ctx, ctx->fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd,
			 "IOMMU_IOAS_CHANGE_PROCESS");
}

NIO_API int nio_ioas_get_pa(struct nio_ctx *ctx, uint32_t ioas_id,
			    uint64_t iova, uint64_t *length, uint64_t *phys)
{
	struct iommu_ioas_noiommu_get_pa cmd;
	char what[128];
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, length && *length);
	NIO_CHECK_ARG(ctx, phys);
	cmd = (struct iommu_ioas_noiommu_get_pa){
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = *length,
	};
	snprintf(what, sizeof(what),
		 "IOMMU_IOAS_NOIOMMU_GET_PA(ioas=%u, iova=0x%llx, length=0x%llx)",
		 ioas_id, (unsigned long long)iova,
		 (unsigned long long)*length);
	ret = nio_ioctl(ctx, ctx->fd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd, what);
	if (ret)
		return ret;
	*length = cmd.length;
	*phys = cmd.out_phys;
	return 0;
}

NIO_API int nio_vfio_ioas(struct nio_ctx *ctx, enum nio_vfio_ioas_op op,
			  uint32_t *ioas_id)
{
	struct iommu_vfio_ioas cmd;
	char what[64];
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, ioas_id || op == NIO_VFIO_IOAS_CLEAR);
	if ((unsigned int)op > NIO_VFIO_IOAS_CLEAR)
		return nio_err(ctx, EINVAL, "nio_vfio_ioas: unknown op %u",
			       (unsigned int)op);
	cmd = (struct iommu_vfio_ioas){
		.size = sizeof(cmd),
		.ioas_id = op == NIO_VFIO_IOAS_SET ? *ioas_id : 0,
		.op = (uint16_t)op,
	};
	snprintf(what, sizeof(what), "IOMMU_VFIO_IOAS(op=%u, ioas=%u)",
		 (unsigned int)op, cmd.ioas_id);
	ret = nio_ioctl(ctx, ctx->fd, IOMMU_VFIO_IOAS, &cmd, what);
	if (ret == 0 && op == NIO_VFIO_IOAS_GET)
		*ioas_id = cmd.ioas_id;
	return ret;
}

static int option(struct nio_ctx *ctx, enum nio_option opt, uint16_t op,
		  uint32_t object_id, uint64_t *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = (uint32_t)opt,
		.op = op,
		.object_id = object_id,
		.val64 = *val,
	};
	char what[128];
	int ret;

	if (opt == NIO_OPTION_RLIMIT_MODE && object_id)
		return nio_err(ctx, EINVAL,
			       "IOMMU_OPTION: RLIMIT_MODE is global, object_id must be 0 (got %u)",
			       object_id);
	snprintf(what, sizeof(what),
		 "IOMMU_OPTION(%s %s, object=%u, val=%llu)",
		 op == IOMMU_OPTION_OP_SET ? "set" : "get",
		 opt == NIO_OPTION_RLIMIT_MODE ? "RLIMIT_MODE" :
		 opt == NIO_OPTION_HUGE_PAGES ? "HUGE_PAGES" : "unknown",
		 object_id, (unsigned long long)*val);
	ret = nio_ioctl(ctx, ctx->fd, IOMMU_OPTION, &cmd, what);
	if (ret == 0)
		*val = cmd.val64;
	return ret;
}

NIO_API int nio_option_get(struct nio_ctx *ctx, enum nio_option opt,
			   uint32_t object_id, uint64_t *val)
{
	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, val);
	*val = 0;
	return option(ctx, opt, IOMMU_OPTION_OP_GET, object_id, val);
}

NIO_API int nio_option_set(struct nio_ctx *ctx, enum nio_option opt,
			   uint32_t object_id, uint64_t val)
{
	NIO_CHECK_ARG(ctx, ctx);
	return option(ctx, opt, IOMMU_OPTION_OP_SET, object_id, &val);
}
