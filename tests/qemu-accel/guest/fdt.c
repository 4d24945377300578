// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Just enough of a flattened device tree reader to find the SMMUv3, the
 * PCIe host bridge (ECAM and memory window) and RAM in the tree QEMU's
 * virt board puts at the start of RAM for a -bios boot (hw/arm/boot.c
 * copies the DTB to the RAM base when no kernel is loaded). All of them
 * are children of the root node there, including an SMMUv3 created with
 * -device arm-smmuv3 (create_smmuv3_dev_dtb() in hw/arm/virt.c adds
 * /smmuv3@<platform bus address> and the host bridge's iommu-map), so
 * only depth-1 nodes are looked at.
 */
#include "fw.h"

#define FDT_MAGIC	0xd00dfeed
#define FDT_BEGIN_NODE	1
#define FDT_END_NODE	2
#define FDT_PROP	3
#define FDT_NOP		4
#define FDT_END		9

/* the blob is 8-byte aligned and every token and value 4-byte aligned */
static u32 be32(u64 a)
{
	return __builtin_bswap32(*(const volatile u32 *)a);
}

static u64 cells(u64 a, u32 n)
{
	u64 v = 0;

	while (n--) {
		v = (v << 32) | be32(a);
		a += 4;
	}
	return v;
}

static bool has_compat(u64 val, u32 len, const char *want)
{
	u64 end = val + len;

	while (val < end) {
		const char *s = (const char *)val;

		if (!strcmp(s, want))
			return true;
		val += strlen(s) + 1;
	}
	return false;
}

struct node {
	u64 reg, ranges, iommu_map, compat, device_type;
	u32 reg_len, ranges_len, iommu_map_len, compat_len, dt_len;
	u32 phandle;
};

static u32 root_ac = 2, root_sc = 2;

static void take_node(struct platform *p, const struct node *n)
{
	u32 stride, i;

	if (n->compat && n->reg &&
	    has_compat(n->compat, n->compat_len, "arm,smmu-v3") &&
	    p->nr_smmus < MAX_SMMUS) {
		p->smmu_base[p->nr_smmus] = cells(n->reg, root_ac);
		p->smmu_phandle[p->nr_smmus++] = n->phandle;
	}
	if (n->compat && n->reg && !p->ecam_base &&
	    has_compat(n->compat, n->compat_len, "pci-host-ecam-generic")) {
		p->ecam_base = cells(n->reg, root_ac);
		p->ecam_size = cells(n->reg + 4 * root_ac, root_sc);
		/* ranges: <flags pci.hi pci.lo> <cpu addr> <size> */
		stride = 4 * (3 + root_ac + 2);
		for (i = 0; n->ranges && i + stride <= n->ranges_len; i += stride) {
			u64 r = n->ranges + i;

			/* space code 2: 32-bit memory, the window the BARs
			 * of a 32-bit memory BAR (e1000e BAR0) must live in */
			if (((be32(r) >> 24) & 3) == 2 && !p->mmio_base) {
				p->mmio_base = cells(r + 12, root_ac);
				p->mmio_size = cells(r + 12 + 4 * root_ac, 2);
				if (cells(r + 4, 2) != p->mmio_base)
					printf("# PCI memory window is not identity mapped (pci %#llx cpu %#llx)\n",
					       (unsigned long long)cells(r + 4, 2),
					       (unsigned long long)p->mmio_base);
			}
		}
		if (n->iommu_map && n->iommu_map_len >= 16) {
			for (i = 0; i < 4; i++)
				p->iommu_map[i] = be32(n->iommu_map + 4 * i);
			p->have_iommu_map = true;
		}
	}
	if (n->device_type && n->reg && !p->ram_size &&
	    !strcmp((const char *)n->device_type, "memory")) {
		p->ram_base = cells(n->reg, root_ac);
		p->ram_size = cells(n->reg + 4 * root_ac, root_sc);
	}
}

int fdt_scan(u64 fdt, struct platform *p)
{
	u64 off, strings, end;
	struct node n;
	int depth = 0;

	if (be32(fdt) != FDT_MAGIC)
		return -1;
	off = fdt + be32(fdt + 8);
	strings = fdt + be32(fdt + 12);
	end = fdt + be32(fdt + 4);
	memset(&n, 0, sizeof(n));

	while (off < end) {
		u32 tok = be32(off);

		off += 4;
		switch (tok) {
		case FDT_BEGIN_NODE:
			off += (strlen((const char *)off) + 4) & ~3UL;
			if (++depth == 2)
				memset(&n, 0, sizeof(n));
			break;
		case FDT_END_NODE:
			if (depth == 2)
				take_node(p, &n);
			depth--;
			break;
		case FDT_PROP: {
			u32 len = be32(off), nameoff = be32(off + 4);
			const char *name = (const char *)(strings + nameoff);
			u64 val = off + 8;

			off = val + ((len + 3) & ~3U);
			if (depth == 1 && !strcmp(name, "#address-cells"))
				root_ac = be32(val);
			else if (depth == 1 && !strcmp(name, "#size-cells"))
				root_sc = be32(val);
			if (depth != 2)
				break;
			if (!strcmp(name, "reg"))
				n.reg = val, n.reg_len = len;
			else if (!strcmp(name, "ranges"))
				n.ranges = val, n.ranges_len = len;
			else if (!strcmp(name, "iommu-map"))
				n.iommu_map = val, n.iommu_map_len = len;
			else if (!strcmp(name, "compatible"))
				n.compat = val, n.compat_len = len;
			else if (!strcmp(name, "device_type"))
				n.device_type = val, n.dt_len = len;
			else if (!strcmp(name, "phandle"))
				n.phandle = be32(val);
			break;
		}
		case FDT_NOP:
			break;
		case FDT_END:
			return 0;
		default:
			return -1;
		}
	}
	return 0;
}
