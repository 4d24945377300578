// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vIOMMU, vDEVICE and HW queue objects.
 */
#include "config.h"

#include <stdio.h>

#include "internal.h"

NIO_API int nio_viommu_alloc(struct nio_ctx *ctx, uint32_t dev_id,
			     uint32_t parent_hwpt_id, uint32_t type,
			     const struct nio_viommu_alloc_opts *opts,
			     uint32_t *viommu_id)
{
	struct iommu_viommu_alloc cmd;
	struct nio_object_info info;
	char what[128];
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, viommu_id);
	ret = NIO_OPTS_CHECK(ctx, opts, nio_viommu_alloc_opts);
	if (ret)
		return ret;
	cmd = (struct iommu_viommu_alloc){
		.size = sizeof(cmd),
		.type = type,
		.dev_id = dev_id,
		.hwpt_id = parent_hwpt_id,
		.data_len = NIO_OPTS_GET(opts, data_len, 0),
		.data_uptr = nio_ptr_to_u64(NIO_OPTS_GET(opts, data, NULL)),
	};
	NIO_CHECK_ARG(ctx, cmd.data_uptr || !cmd.data_len);
	snprintf(what, sizeof(what),
		 "IOMMU_VIOMMU_ALLOC(dev=%u, hwpt=%u, type=0x%x, data_len=%u)",
		 dev_id, parent_hwpt_id, type, cmd.data_len);
	ret = nio_ioctl(ctx, ctx->fd, IOMMU_VIOMMU_ALLOC, &cmd, what);
	if (ret)
		return ret;
	nio_obj_info_init(&info, cmd.out_viommu_id, NIO_OBJ_VIOMMU,
			  parent_hwpt_id, dev_id);
	info.type_param = type;
	return nio_obj_track(ctx, &info, viommu_id);
}

NIO_API int nio_vdevice_alloc(struct nio_ctx *ctx, uint32_t viommu_id,
			      uint32_t dev_id, uint64_t virt_id,
			      uint32_t *vdevice_id)
{
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.dev_id = dev_id,
		.virt_id = virt_id,
	};
	struct nio_object_info info;
	char what[128];
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, vdevice_id);
	snprintf(what, sizeof(what),
		 "IOMMU_VDEVICE_ALLOC(viommu=%u, dev=%u, virt_id=0x%llx)",
		 viommu_id, dev_id, (unsigned long long)virt_id);
	ret = nio_ioctl(ctx, ctx->fd, IOMMU_VDEVICE_ALLOC, &cmd, what);
	if (ret)
		return ret;
	nio_obj_info_init(&info, cmd.out_vdevice_id, NIO_OBJ_VDEVICE, viommu_id,
			  dev_id);
	info.virt_id = virt_id;
	return nio_obj_track(ctx, &info, vdevice_id);
}

NIO_API int nio_hw_queue_alloc(struct nio_ctx *ctx, uint32_t viommu_id,
			       uint32_t type, uint32_t index, uint64_t iova,
			       uint64_t length, uint32_t *hw_queue_id)
{
	struct iommu_hw_queue_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.type = type,
		.index = index,
		.nesting_parent_iova = iova,
		.length = length,
	};
	struct nio_object_info info;
	char what[160];
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, hw_queue_id);
	snprintf(what, sizeof(what),
		 "IOMMU_HW_QUEUE_ALLOC(viommu=%u, type=0x%x, index=%u, iova=0x%llx, length=0x%llx)",
		 viommu_id, type, index, (unsigned long long)iova,
		 (unsigned long long)length);
	ret = nio_ioctl(ctx, ctx->fd, IOMMU_HW_QUEUE_ALLOC, &cmd, what);
	if (ret)
		return ret;
	nio_obj_info_init(&info, cmd.out_hw_queue_id, NIO_OBJ_HW_QUEUE,
			  viommu_id, 0);
	info.type_param = type;
	info.virt_id = index;
	info.iova = iova;
	info.length = length;
	return nio_obj_track(ctx, &info, hw_queue_id);
}
