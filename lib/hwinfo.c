// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * IOMMU_GET_HW_INFO: what the physical IOMMU behind a device can do.
 * Decoding the SMMUv3 registers is the codecs' job (smmuv3.c).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

_Static_assert(NIO_HW_INFO_DATA_MAX >= sizeof(struct iommu_hw_info_arm_smmuv3),
	       "hw_info data holds the SMMUv3 payload");

NIO_API int nio_hw_info(struct nio_ctx *ctx, uint32_t dev_id,
			struct nio_hw_info *info)
{
	struct nio_hw_info out = { .sz = sizeof(out) };
	struct iommu_hw_info cmd;
	uint32_t in_type;
	char what[96];
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, info);
	NIO_CHECK_ARG(ctx, info->sz >= sizeof(size_t));
	in_type = NIO_OPTS_GET(info, type, NIO_HW_INFO_DEFAULT);
	cmd = (struct iommu_hw_info){
		.size = sizeof(cmd),
		.flags = in_type ? IOMMU_HW_INFO_FLAG_INPUT_TYPE : 0,
		.dev_id = dev_id,
		.data_len = sizeof(out.data),
		.data_uptr = nio_ptr_to_u64(out.data),
		.in_data_type = in_type,
	};
	snprintf(what, sizeof(what), "IOMMU_GET_HW_INFO(dev=%u, type=%s)",
		 dev_id, nio_hw_info_type_name(in_type) ?: "?");
	ret = nio_ioctl(ctx, ctx->fd, IOMMU_GET_HW_INFO, &cmd, what);
	if (ret)
		return ret;
	out.type = cmd.out_data_type;
	out.max_pasid_log2 = cmd.out_max_pasid_log2;
	out.capabilities = cmd.out_capabilities;
	out.data_len = cmd.data_len < sizeof(out.data) ? cmd.data_len :
							 sizeof(out.data);
	nio_copy_out(info, &out, sizeof(out));
	return 0;
}

NIO_API const char *nio_hw_info_type_name(uint32_t type)
{
	switch (type) {
	case NIO_HW_INFO_DEFAULT:
		return "default";
	case NIO_HW_INFO_INTEL_VTD:
		return "intel-vtd";
	case NIO_HW_INFO_ARM_SMMUV3:
		return "arm-smmuv3";
	case NIO_HW_INFO_TEGRA241_CMDQV:
		return "tegra241-cmdqv";
	case NIO_HW_INFO_AMD:
		return "amd";
	case NIO_HW_INFO_SELFTEST:
		return "selftest";
	}
	return NULL;
}

NIO_API const char *nio_hw_cap_name(uint64_t cap_bit)
{
	switch (cap_bit) {
	case NIO_HW_CAP_DIRTY_TRACKING:
		return "dirty-tracking";
	case NIO_HW_CAP_PCI_PASID_EXEC:
		return "pci-pasid-exec";
	case NIO_HW_CAP_PCI_PASID_PRIV:
		return "pci-pasid-priv";
	case NIO_HW_CAP_PCI_ATS_NOT_SUPPORTED:
		return "pci-ats-not-supported";
	}
	return NULL;
}
