// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PCI config space through ECAM (bus 0 only: the device under test is
 * plugged straight into pcie.0, so no bridge needs numbering), and a
 * bump allocator for the memory BARs of the one function we drive.
 */
#include "fw.h"

#define PCI_VENDOR_ID		0x00
#define PCI_HEADER_TYPE		0x0e
#define PCI_STATUS		0x06
#define  PCI_STATUS_CAP_LIST	BIT(4)
#define PCI_BASE_ADDRESS_0	0x10
#define PCI_CAPABILITY_LIST	0x34

static u64 ecam, ecam_len;

void pci_init(u64 base, u64 size)
{
	ecam = base;
	ecam_len = size;
}

static u64 cfg(u32 bdf, u32 off)
{
	return ecam + ((u64)bdf << 12) + off;
}

u32 pci_read32(u32 bdf, u32 off)
{
	return readl(cfg(bdf, off));
}

u16 pci_read16(u32 bdf, u32 off)
{
	return readw(cfg(bdf, off));
}

u8 pci_read8(u32 bdf, u32 off)
{
	return readb(cfg(bdf, off));
}

void pci_write32(u32 bdf, u32 off, u32 v)
{
	writel(v, cfg(bdf, off));
}

void pci_write16(u32 bdf, u32 off, u16 v)
{
	writew(v, cfg(bdf, off));
}

void pci_print_bdf(u32 bdf)
{
	printf("%02x:%02x.%x", (bdf >> 8) & 0xff, (bdf >> 3) & 0x1f, bdf & 7);
}

/* first function on bus 0 with this vendor/device, listing all of them */
int pci_find(u16 vendor, u16 device, u32 *found)
{
	u32 dev, fn;
	int ret = -1;

	for (dev = 0; dev < 32; dev++) {
		for (fn = 0; fn < 8; fn++) {
			u32 bdf = dev << 3 | fn;
			u32 id;

			if (((u64)bdf << 12) >= ecam_len)
				return ret;
			id = pci_read32(bdf, PCI_VENDOR_ID);
			if ((id & 0xffff) == 0xffff) {
				if (!fn)
					break;
				continue;
			}
			if ((id & 0xffff) == vendor && id >> 16 == device &&
			    ret) {
				*found = bdf;
				ret = 0;
			}
			/* functions 1-7 exist only in a multi-function device */
			if (!fn && !(pci_read8(bdf, PCI_HEADER_TYPE) & 0x80))
				break;
		}
	}
	return ret;
}

/* config offset of the capability with this ID at or after start, or -1 */
int pci_find_cap(u32 bdf, u8 id, u32 start)
{
	u32 pos, ttl = 48;

	if (!(pci_read16(bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return -1;
	pos = pci_read8(bdf, PCI_CAPABILITY_LIST) & ~3U;
	while (pos >= 0x40 && ttl--) {
		if (pci_read8(bdf, pos) == id && pos >= start)
			return (int)pos;
		pos = pci_read8(bdf, pos + 1) & ~3U;
	}
	return -1;
}

/*
 * Size each memory BAR (write all ones, read back) and place it naturally
 * aligned in [*next, end). I/O BARs are left alone: nothing here uses
 * them. Returns the number of BARs placed, -1 if the window is too small.
 */
int pci_assign_bars(u32 bdf, u64 *next, u64 end, u64 bar_addr[6])
{
	int i, placed = 0;

	for (i = 0; i < 6; i++)
		bar_addr[i] = 0;
	for (i = 0; i < 6; i++) {
		u32 off = PCI_BASE_ADDRESS_0 + 4 * i;
		u32 orig = pci_read32(bdf, off), lo, hi = 0xffffffff;
		bool is64 = (orig & 0x7) == 0x4;
		u64 size, mask, addr;

		if (orig & 1)		/* I/O */
			continue;
		pci_write32(bdf, off, 0xffffffff);
		lo = pci_read32(bdf, off);
		if (is64) {
			pci_write32(bdf, off + 4, 0xffffffff);
			hi = pci_read32(bdf, off + 4);
		}
		mask = ((u64)hi << 32 | (lo & ~0xfU));
		if (!is64)
			mask |= 0xffffffff00000000ULL;
		if (!(lo & ~0xfU)) {	/* unimplemented BAR */
			pci_write32(bdf, off, orig);
			continue;
		}
		size = ~mask + 1;
		addr = (*next + size - 1) & ~(size - 1);
		if (addr + size > end)
			return -1;
		pci_write32(bdf, off, (u32)addr);
		if (is64)
			pci_write32(bdf, off + 4, (u32)(addr >> 32));
		bar_addr[i] = addr;
		*next = addr + size;
		placed++;
		printf("# BAR%d: %#llx size %#llx%s\n", i, (unsigned long long)addr,
		       (unsigned long long)size, is64 ? " (64-bit)" : "");
		if (is64)
			i++;
	}
	return placed;
}
