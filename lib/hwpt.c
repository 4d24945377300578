// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * HW page tables (paging, nest parent, nested), dirty tracking and cache
 * invalidation arrays.
 */
#include "config.h"

#include <endian.h>
#include <stdio.h>
#include <string.h>

#include <nestiommu/smmuv3.h>

#include "internal.h"

#define NIO_HWPT_ALL_FLAGS                                            \
	(NIO_HWPT_NEST_PARENT | NIO_HWPT_DIRTY_TRACKING |             \
	 NIO_HWPT_FAULT_ID_VALID | NIO_HWPT_PASID)

_Static_assert((int)NIO_HWPT_NEST_PARENT == (int)IOMMU_HWPT_ALLOC_NEST_PARENT &&
		       (int)NIO_HWPT_DIRTY_TRACKING == (int)IOMMU_HWPT_ALLOC_DIRTY_TRACKING &&
		       (int)NIO_HWPT_FAULT_ID_VALID == (int)IOMMU_HWPT_FAULT_ID_VALID &&
		       (int)NIO_HWPT_PASID == (int)IOMMU_HWPT_ALLOC_PASID,
	       "HWPT flags are the kernel's");

/*
 * The kernel allocates the whole invalidation array at once; beyond this
 * many entries the library splits it so one call cannot ask the kernel
 * for an unbounded allocation.  Chunks stop at the first failure.
 */
#define NIO_INVALIDATE_CHUNK 4096u

/* Say which field of a vSTE the kernel refused (error path only). */
static int explain_vste_eio(struct nio_ctx *ctx, const void *data,
			    uint32_t data_len, const char *what)
{
	const char *reason = NULL;

	if (data_len < NIO_SMMUV3_VSTE_SIZE ||
	    nio_smmuv3_vste_validate(data, NIO_SMMUV3_VSTE_SIZE, NULL,
				     &reason) != -EIO || !reason)
		return -EIO;
	return nio_err(ctx, EIO, "%s: vSTE rejected: %s", what, reason);
}

/*
 * Say why the kernel refused an SMMUv3 command (error path only).  The
 * SMMU's features are not known here, so the command is judged against
 * one with every feature: what still fails is the command's own fault,
 * what passes needs a feature the SMMU lacks, or a vSID without vDEVICE.
 */
static int explain_cmd_eio(struct nio_ctx *ctx, const void *entry,
			   const char *what)
{
	struct nio_smmuv3_features all = { .ats = true, .asid16 = true,
					   .ril = true, .ssidsize = 20 };
	const char *reason = NULL, *name;
	struct nio_smmuv3_cmd cmd;

	if (nio_smmuv3_cmd_decode(entry, NIO_SMMUV3_CMD_SIZE, &cmd))
		return -EIO;
	name = nio_smmuv3_name(NIO_SMMUV3_NAME_OPCODE, cmd.opcode) ?: "unknown";
	if (nio_smmuv3_cmd_validate(entry, NIO_SMMUV3_CMD_SIZE, &all,
				    &reason) == -EIO && reason)
		return nio_err(ctx, EIO, "%s: command %s (0x%02x) rejected: %s",
			       what, name, cmd.opcode, reason);
	return nio_err(ctx, EIO,
		       "%s: command %s (0x%02x) rejected: its vSID has no vDEVICE, or it needs a feature this SMMU lacks (ATS, 16-bit ASID, substreams, range invalidation)",
		       what, name, cmd.opcode);
}

/*
 * The kernel makes a paging HWPT on an IOAS (whatever the driver data, e.g.
 * a page-table format) and a nested one on a HWPT or vIOMMU.  For a pt_id
 * this context did not create, the data type is the best guess.
 */
static enum nio_object_type hwpt_kind(struct nio_ctx *ctx, uint32_t pt_id,
				      uint32_t data_type)
{
	struct nio_object_info pt;

	if (nio_obj_get(ctx, pt_id, &pt) == 0)
		return pt.type == NIO_OBJ_IOAS ? NIO_OBJ_HWPT_PAGING :
						 NIO_OBJ_HWPT_NESTED;
	return data_type == NIO_HWPT_DATA_NONE ? NIO_OBJ_HWPT_PAGING :
						 NIO_OBJ_HWPT_NESTED;
}

NIO_API int nio_hwpt_alloc(struct nio_ctx *ctx, uint32_t dev_id,
			   uint32_t pt_id,
			   const struct nio_hwpt_alloc_opts *opts,
			   uint32_t *hwpt_id)
{
	struct nio_object_info info;
	struct iommu_hwpt_alloc cmd;
	uint32_t flags, data_type, data_len;
	const void *data;
	char what[160];
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, hwpt_id);
	ret = NIO_OPTS_CHECK(ctx, opts, nio_hwpt_alloc_opts);
	if (ret)
		return ret;
	flags = NIO_OPTS_GET(opts, flags, 0);
	data_type = NIO_OPTS_GET(opts, data_type, NIO_HWPT_DATA_NONE);
	data_len = NIO_OPTS_GET(opts, data_len, 0);
	data = NIO_OPTS_GET(opts, data, NULL);
	/* Unknown flags are left to the kernel, which knows its version. */
	if ((data_type == NIO_HWPT_DATA_NONE) != (data_len == 0))
		return nio_err(ctx, EINVAL,
			       "nio_hwpt_alloc: data_type %u needs %s data_len (got %u)",
			       data_type, data_type ? "a non-zero" : "a zero",
			       data_len);
	NIO_CHECK_ARG(ctx, data || !data_len);
	cmd = (struct iommu_hwpt_alloc){
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = data_type,
		.data_len = data_len,
		.data_uptr = nio_ptr_to_u64(data),
		.fault_id = NIO_OPTS_GET(opts, fault_id, 0),
	};
	snprintf(what, sizeof(what),
		 "IOMMU_HWPT_ALLOC(dev=%u, pt=%u, flags=0x%x, data_type=%u, data_len=%u, fault=%u)",
		 dev_id, pt_id, flags, data_type, data_len, cmd.fault_id);
	ret = nio_ioctl(ctx, ctx->fd, IOMMU_HWPT_ALLOC, &cmd, what);
	if (ret == -EIO && data_type == NIO_HWPT_DATA_ARM_SMMUV3)
		ret = explain_vste_eio(ctx, data, data_len, what);
	if (ret)
		return ret;
	nio_obj_info_init(&info, cmd.out_hwpt_id,
			  hwpt_kind(ctx, pt_id, data_type), pt_id, dev_id);
	info.flags = flags;
	info.type_param = data_type;
	if (flags & NIO_HWPT_FAULT_ID_VALID)
		info.fault_id = cmd.fault_id;
	return nio_obj_track(ctx, &info, hwpt_id);
}

NIO_API int nio_hwpt_alloc_nest_parent(struct nio_ctx *ctx, uint32_t dev_id,
				       uint32_t ioas_id, uint32_t *hwpt_id)
{
	NIO_OPTS(nio_hwpt_alloc_opts, opts, .flags = NIO_HWPT_NEST_PARENT);

	return nio_hwpt_alloc(ctx, dev_id, ioas_id, &opts, hwpt_id);
}

NIO_API int nio_hwpt_alloc_smmuv3_nested(struct nio_ctx *ctx,
					 uint32_t dev_id, uint32_t viommu_id,
					 const uint64_t ste[2],
					 uint32_t *hwpt_id)
{
	struct iommu_hwpt_arm_smmuv3 data;

	NIO_CHECK_ARG(ctx, ste);
	data.ste[0] = htole64(ste[0]);
	data.ste[1] = htole64(ste[1]);
	NIO_OPTS(nio_hwpt_alloc_opts, opts,
		 .data_type = NIO_HWPT_DATA_ARM_SMMUV3,
		 .data_len = sizeof(data), .data = &data);
	return nio_hwpt_alloc(ctx, dev_id, viommu_id, &opts, hwpt_id);
}

NIO_API int nio_hwpt_set_dirty_tracking(struct nio_ctx *ctx, uint32_t hwpt_id,
					bool enable)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = enable ? 1 : 0,
		.hwpt_id = hwpt_id,
	};
	char what[96];

	NIO_CHECK_ARG(ctx, ctx);
	snprintf(what, sizeof(what),
		 "IOMMU_HWPT_SET_DIRTY_TRACKING(hwpt=%u, %s)", hwpt_id,
		 enable ? "enable" : "disable");
	return nio_ioctl(ctx, ctx->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd,
			 what);
}

NIO_API int nio_hwpt_get_dirty_bitmap(struct nio_ctx *ctx, uint32_t hwpt_id,
				      uint64_t iova, uint64_t length,
				      uint64_t page_size, uint64_t *bitmap,
				      uint32_t flags)
{
	struct iommu_hwpt_get_dirty_bitmap cmd;
	char what[160];

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, bitmap);
	NIO_CHECK_ARG(ctx, length);
	if (!page_size || (page_size & (page_size - 1)))
		return nio_err(ctx, EINVAL,
			       "nio_hwpt_get_dirty_bitmap: page_size 0x%llx is not a power of two",
			       (unsigned long long)page_size);
	if ((iova | length) & (page_size - 1))
		return nio_err(ctx, EINVAL,
			       "nio_hwpt_get_dirty_bitmap: iova 0x%llx and length 0x%llx must be multiples of page_size 0x%llx",
			       (unsigned long long)iova,
			       (unsigned long long)length,
			       (unsigned long long)page_size);
	if (flags & ~(uint32_t)NIO_DIRTY_NO_CLEAR)
		return nio_err(ctx, EINVAL,
			       "nio_hwpt_get_dirty_bitmap: unknown flags 0x%x",
			       flags);
	cmd = (struct iommu_hwpt_get_dirty_bitmap){
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.flags = flags,
		.iova = iova,
		.length = length,
		.page_size = page_size,
		.data = nio_ptr_to_u64(bitmap),
	};
	snprintf(what, sizeof(what),
		 "IOMMU_HWPT_GET_DIRTY_BITMAP(hwpt=%u, iova=0x%llx, length=0x%llx, page_size=0x%llx)",
		 hwpt_id, (unsigned long long)iova, (unsigned long long)length,
		 (unsigned long long)page_size);
	return nio_ioctl(ctx, ctx->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd, what);
}

/* The failure half of an invalidation ioctl, out of the hot path. */
__attribute__((noinline, cold)) static int
invalidate_failed(struct nio_ctx *ctx, int err,
		  const struct iommu_hwpt_invalidate *cmd, uint32_t asked,
		  uint32_t first)
{
	/* The kernel writes back entry_num even when it fails. */
	uint32_t done = cmd->entry_num;
	char what[160];
	int ret;

	snprintf(what, sizeof(what),
		 "IOMMU_HWPT_INVALIDATE(id=%u, data_type=0x%x, entry_len=%u, entry_num=%u) failed at entry %u",
		 cmd->hwpt_id, cmd->data_type, cmd->entry_len, asked,
		 first + done);
	ret = nio_ioctl_failed(ctx, IOMMU_HWPT_INVALIDATE, err, what);
	if (ret == -EIO && cmd->data_type == NIO_INVALIDATE_ARM_SMMUV3 &&
	    cmd->entry_len >= NIO_SMMUV3_CMD_SIZE && done < asked)
		ret = explain_cmd_eio(ctx,
				      (const char *)(uintptr_t)cmd->data_uptr +
					      (size_t)done * cmd->entry_len,
				      what);
	return ret;
}

static inline __attribute__((always_inline)) int
invalidate_once(struct nio_ctx *ctx, uint32_t id,
			   uint32_t data_type, const void *entries,
			   uint32_t entry_len, uint32_t *entry_num,
			   uint32_t first)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = id,
		.data_uptr = nio_ptr_to_u64(entries),
		.data_type = data_type,
		.entry_len = entry_len,
		.entry_num = *entry_num,
	};
	uint32_t asked = *entry_num;

	if (__builtin_expect(ioctl(ctx->fd, IOMMU_HWPT_INVALIDATE, &cmd) == 0,
			     1)) {
		*entry_num = cmd.entry_num;
		return 0;
	}
	{
		int err = errno;

		*entry_num = cmd.entry_num;
		return invalidate_failed(ctx, err, &cmd, asked, first);
	}
}

/*
 * More than one ioctl: chunks, from entry done on.  proto holds the call's
 * hwpt_id, data_uptr (entry 0), data_type and entry_len.
 */
__attribute__((noinline)) static int
invalidate_chunks(struct nio_ctx *ctx, const struct iommu_hwpt_invalidate *proto,
		  uint32_t *entry_num, uint32_t total, uint32_t done)
{
	const char *entries = (const char *)(uintptr_t)proto->data_uptr;
	uint32_t id = proto->hwpt_id, data_type = proto->data_type;
	uint32_t entry_len = proto->entry_len;
	int ret;

	do {
		uint32_t n = total - done < NIO_INVALIDATE_CHUNK ?
				     total - done : NIO_INVALIDATE_CHUNK;
		uint32_t asked = n;

		ret = invalidate_once(ctx, id, data_type,
				      entries + (size_t)done * entry_len,
				      entry_len, &n, done);
		/* A kernel claiming more than asked is not believed. */
		done += n < asked ? n : asked;
		if (!ret && !n)
			ret = nio_err(ctx, EPROTO,
				      "IOMMU_HWPT_INVALIDATE(id=%u): the kernel handled none of %u entries without an error",
				      id, asked);
	} while (!ret && done < total);
	*entry_num = done;
	if (ret)
		errno = -ret;
	return ret;
}

/*
 * The one-ioctl path did not handle everything: a failure (err != 0), or
 * fewer entries than asked without an error (go on from there), or a
 * kernel claiming more than asked (not believed).
 */
__attribute__((noinline, cold)) static int
invalidate_rest(struct nio_ctx *ctx, struct iommu_hwpt_invalidate *cmd,
		int err, uint32_t *entry_num, uint32_t total)
{
	uint32_t done = cmd->entry_num < total ? cmd->entry_num : total;

	if (err) {
		*entry_num = done;
		cmd->entry_num = done;
		return invalidate_failed(ctx, err, cmd, total, 0);
	}
	if (done == total) {
		*entry_num = total;
		return 0;
	}
	return invalidate_chunks(ctx, cmd, entry_num, total, done);
}

NIO_API int nio_invalidate(struct nio_ctx *ctx, uint32_t id,
			   uint32_t data_type, const void *entries,
			   uint32_t entry_len, uint32_t *entry_num)
{
	struct iommu_hwpt_invalidate cmd;
	uint32_t total;
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, entry_num);
	total = *entry_num;
	if (total && (!entries || !entry_len)) {
		*entry_num = 0;
		return nio_err(ctx, EINVAL,
			       "nio_invalidate: %u entries need a non-NULL array and a non-zero entry_len",
			       total);
	}
	cmd = (struct iommu_hwpt_invalidate){
		.size = sizeof(cmd),
		.hwpt_id = id,
		.data_uptr = nio_ptr_to_u64(entries),
		.data_type = data_type,
		.entry_len = entry_len,
		.entry_num = total,
	};
	if (__builtin_expect(total > NIO_INVALIDATE_CHUNK, 0))
		return invalidate_chunks(ctx, &cmd, entry_num, total, 0);
	/*
	 * The common case, one ioctl, kept short: what a failure or a
	 * partial answer needs is in cmd and the cold functions.
	 */
	ret = ioctl(ctx->fd, IOMMU_HWPT_INVALIDATE, &cmd);
	if (__builtin_expect(ret == 0 && cmd.entry_num == total, 1)) {
		*entry_num = total;
		return 0;
	}
	return invalidate_rest(ctx, &cmd, ret ? errno : 0, entry_num, total);
}
