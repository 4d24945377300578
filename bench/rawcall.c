// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * librawcall.so, a control for bench-overhead: the raw invalidation ioctl
 * and nothing else, behind a call into a shared library, exactly as
 * nio_invalidate() is reached (PLT call, separate code pages).  Under TCG
 * such a call costs translation-block lookups that native code does not
 * pay; library/rawcall isolates the library's own work.
 */
#include <stdint.h>
#include <sys/ioctl.h>

#include <linux/iommufd.h>

__attribute__((visibility("default")))
int bench_raw_invalidate(int fd, uint32_t id, uint32_t type, const void *cmd,
			 uint32_t len, uint32_t *num)
{
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.hwpt_id = id,
		.data_uptr = (uintptr_t)cmd,
		.data_type = type,
		.entry_len = len,
		.entry_num = *num,
	};
	int ret = ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv);

	*num = inv.entry_num;
	return ret;
}
