// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smmu, msi, dma: state and actions of nestiommu.ko through its generic
 * netlink family "nestiommu" (via the library's client, once it exists).
 *
 * Until then, and whenever the module is not loaded, every command fails
 * with a clear error naming the module: exit code 2, and with -j
 * {"error": "...", "errno": N, "module": "nestiommu"}.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nestctl.h"

#define MODULE_NAME "nestiommu"

static int module_unavailable(const char *what)
{
	char path[PATH_MAX];
	struct json_object *extra = json_object_new_object();

	j_str(extra, "module", MODULE_NAME);
	snprintf(path, sizeof(path), "%s/module/%s", sysfs_root(), MODULE_NAME);
	if (access(path, F_OK))
		return err_report(EXIT_KERNEL, ENOENT, extra,
				  "%s: the %s kernel module is not loaded (no "
				  "generic netlink family \"%s\"); load it with "
				  "\"modprobe %s\"", what, MODULE_NAME,
				  MODULE_NAME, MODULE_NAME);
	return err_report(EXIT_KERNEL, EOPNOTSUPP, extra,
			  "%s: the %s module is loaded, but this nestctl was "
			  "built without its netlink client", what, MODULE_NAME);
}

#define MODULE_CMD(fn, label)                                  \
	static int fn(int argc, char **argv)                   \
	{                                                      \
		(void)argc;                                    \
		(void)argv;                                    \
		return module_unavailable(label);              \
	}

MODULE_CMD(do_smmu_show, "smmu show")
MODULE_CMD(do_smmu_ste, "smmu ste")
MODULE_CMD(do_smmu_tlb, "smmu tlb")
MODULE_CMD(do_smmu_counters, "smmu counters")
MODULE_CMD(do_msi_set, "msi set")
MODULE_CMD(do_msi_raise, "msi raise")
MODULE_CMD(do_dma_read, "dma read")
MODULE_CMD(do_dma_write, "dma write")

const struct cmd smmu_cmds[] = {
	{ "show", do_smmu_show, "[ INSTANCE ]",
	  "show software SMMUv3 instances and their devices" },
	{ "ste", do_smmu_ste, "INSTANCE [ sid SID ]", "dump stream table entries" },
	{ "tlb", do_smmu_tlb, "INSTANCE", "dump TLB and configuration caches" },
	{ "counters", do_smmu_counters, "[ INSTANCE ]", "show counters" },
	{ NULL },
};

const struct cmd msi_cmds[] = {
	{ "set", do_msi_set, "INSTANCE base ADDR size SIZE",
	  "move the MSI doorbell window of an instance" },
	{ "raise", do_msi_raise, "DEVICE [ vector N ]",
	  "make a device write its MSI" },
	{ NULL },
};

const struct cmd dma_cmds[] = {
	{ "read", do_dma_read, "DEVICE iova IOVA length LEN",
	  "make a device read memory through its IOMMU" },
	{ "write", do_dma_write, "DEVICE iova IOVA data HEX",
	  "make a device write memory through its IOMMU" },
	{ NULL },
};
