// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Drivers for the two kinds of DMA-capable function the firmware tests
 * the SMMU with.
 */
#include "dev.h"
#include "../../../kernel/nestiommu_pci_regs.h"

#define PCI_COMMAND		0x04
#define  PCI_COMMAND_MEMORY	BIT(1)
#define  PCI_COMMAND_MASTER	BIT(2)
#define PCI_CAP_ID_VNDR		0x09
#define DMA_TIMEOUT_MS		10000	/* a config write crosses QEMU, vfio and the module */

u64 dma_buf_iova;

static void enable(u32 bdf, u16 bits)
{
	pci_write16(bdf, PCI_COMMAND, pci_read16(bdf, PCI_COMMAND) | bits);
}

/* ---- nestiommu.ko endpoint: FILL part of the page, status in config ---- */

#define NIO_FILL_OFF	0x100	/* bytes outside [OFF, OFF+LEN) must stay */
#define NIO_FILL_LEN	0x800

static u32 nio_bdf, nio_cap;
static u32 nio_pattern = 0x4e494f00;

static void nio_wr(u32 reg, u32 v)
{
	pci_write32(nio_bdf, nio_cap + reg, v);
}

static u32 nio_rd(u32 reg)
{
	return pci_read32(nio_bdf, nio_cap + reg);
}

/* ring the doorbell and wait for DONE; the error code or -ETIMEDOUT */
static int nio_go(void)
{
	u64 end;
	u32 st;

	nio_wr(NIO_PCI_DMA_DOORBELL, NIO_PCI_DMA_DOORBELL_GO);
	end = now_ms() + DMA_TIMEOUT_MS;
	do {
		st = nio_rd(NIO_PCI_DMA_STATUS);
		if ((st & NIO_PCI_DMA_STATUS_DONE) &&
		    !(st & NIO_PCI_DMA_STATUS_BUSY)) {
			u32 code = st & NIO_PCI_DMA_STATUS_CODE;

			if (code)
				printf("# nestiommu DMA: STATUS %#x (code %u) RESULT %u FAULT %#x%08x\n",
				       st, code, nio_rd(NIO_PCI_DMA_RESULT),
				       nio_rd(NIO_PCI_DMA_FAULT_HI),
				       nio_rd(NIO_PCI_DMA_FAULT_LO));
			return code ? -(int)code : 0;
		}
	} while (now_ms() < end);
	printf("# nestiommu DMA: no DONE in %u ms (STATUS %#x)\n",
	       DMA_TIMEOUT_MS, st);
	return -110;
}

static void nio_prepare(u8 *page)
{
	u32 i;

	for (i = 0; i < PAGE_SIZE; i++)
		((volatile u8 *)page)[i] = (u8)(0xa5 ^ i);
}

static void nio_expect(u8 *img)
{
	u32 i;

	/* DATA repeats little-endian over the range */
	for (i = 0; i < NIO_FILL_LEN; i++)
		img[NIO_FILL_OFF + i] = (u8)(nio_pattern >> (8 * (i & 3)));
}

static int nio_run(u64 iova)
{
	u64 dst = iova + NIO_FILL_OFF;

	nio_pattern++;	/* a value no earlier DMA wrote */
	nio_wr(NIO_PCI_DMA_SRC_LO, 0);
	nio_wr(NIO_PCI_DMA_SRC_HI, 0);
	nio_wr(NIO_PCI_DMA_DST_LO, (u32)dst);
	nio_wr(NIO_PCI_DMA_DST_HI, (u32)(dst >> 32));
	nio_wr(NIO_PCI_DMA_LEN, NIO_FILL_LEN);
	nio_wr(NIO_PCI_DMA_PASID, 0);
	nio_wr(NIO_PCI_DMA_OP, NIO_PCI_DMA_OP_FILL);
	nio_wr(NIO_PCI_DMA_DATA, nio_pattern);
	return nio_go();
}

static int nio_copy(u64 src, u64 dst, u32 len)
{
	nio_wr(NIO_PCI_DMA_SRC_LO, (u32)src);
	nio_wr(NIO_PCI_DMA_SRC_HI, (u32)(src >> 32));
	nio_wr(NIO_PCI_DMA_DST_LO, (u32)dst);
	nio_wr(NIO_PCI_DMA_DST_HI, (u32)(dst >> 32));
	nio_wr(NIO_PCI_DMA_LEN, len);
	nio_wr(NIO_PCI_DMA_PASID, 0);
	nio_wr(NIO_PCI_DMA_OP, NIO_PCI_DMA_OP_COPY);
	return nio_go();
}

static int nio_init(struct dma_dev *d)
{
	int cap = pci_find_cap(d->bdf, PCI_CAP_ID_VNDR, 0);
	u32 hdr;

	/* the engine's capability is the vendor-specific one of its length */
	while (cap >= 0) {
		hdr = pci_read32(d->bdf, (u32)cap);
		if (((hdr >> 16) & 0xff) == NIO_PCI_DMA_CAP_LEN)
			break;
		cap = pci_find_cap(d->bdf, PCI_CAP_ID_VNDR, (u32)cap + 1);
	}
	if (cap < 0) {
		printf("# nestiommu function without its DMA engine capability\n");
		return -1;
	}
	if (hdr >> 24 != NIO_PCI_DMA_CAP_VERSION) {
		printf("# nestiommu DMA engine version %u, this firmware knows %u\n",
		       hdr >> 24, NIO_PCI_DMA_CAP_VERSION);
		return -1;
	}
	nio_bdf = d->bdf;
	nio_cap = (u32)cap;
	printf("# nestiommu DMA engine at config offset %#x\n", nio_cap);
	/* no BARs: Bus Master Enable is all the engine needs */
	enable(d->bdf, PCI_COMMAND_MASTER);
	d->name = "nestiommu";
	d->prepare = nio_prepare;
	d->expect = nio_expect;
	d->run = nio_run;
	d->copy = nio_copy;
	return 0;
}

/* ---- e1000e (82574): legacy transmit descriptors ---- */

#define E_CTRL		0x0000
#define  E_CTRL_RST	BIT(26)
#define E_STATUS	0x0008
#define E_IMC		0x00d8
#define E_TCTL		0x0400
#define  E_TCTL_EN	BIT(1)
#define  E_TCTL_PSP	BIT(3)
#define E_TDBAL		0x3800
#define E_TDBAH		0x3804
#define E_TDLEN		0x3808
#define E_TDH		0x3810
#define E_TDT		0x3818
#define TXD_CMD_EOP	0x01
#define TXD_CMD_IFCS	0x02
#define TXD_CMD_RS	0x08
#define TXD_STA_DD	0x01
#define TXD_SIZE	16
#define RING_N		8	/* TDLEN must be a multiple of 128 bytes */
#define PKT_LEN		60

static u64 e_bar;

static void e_wr(u32 reg, u32 v)
{
	writel(v, e_bar + reg);
}

static u32 e_rd(u32 reg)
{
	return readl(e_bar + reg);
}

/* descriptor 0 of a ring at the page start: send PKT_LEN bytes from the
 * packet buffer and report status (RS); the rest of the page is zero */
static void e_prepare(u8 *page)
{
	volatile u8 *p = page;
	u32 i;

	for (i = 0; i < PAGE_SIZE; i++)
		p[i] = 0;
	for (i = 0; i < 8; i++)
		p[i] = (u8)(dma_buf_iova >> (8 * i));
	p[8] = PKT_LEN;
	p[11] = TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS;
}

/* the device writes the descriptor's upper dword back with DD set */
static void e_expect(u8 *img)
{
	img[12] |= TXD_STA_DD;
}

static int e_run(u64 iova)
{
	u64 end;

	e_wr(E_TCTL, 0);
	e_wr(E_TDBAL, (u32)iova);
	e_wr(E_TDBAH, (u32)(iova >> 32));
	e_wr(E_TDLEN, RING_N * TXD_SIZE);
	e_wr(E_TDH, 0);
	e_wr(E_TDT, 0);
	e_wr(E_TCTL, E_TCTL_EN | E_TCTL_PSP);
	e_wr(E_TDT, 1);
	/* the head passes a descriptor after fetching, sending and writing
	 * it back, whether or not those DMAs were translated */
	end = now_ms() + DMA_TIMEOUT_MS;
	while (e_rd(E_TDH) != 1)
		if (now_ms() > end) {
			printf("# e1000e: TDH %u after %u ms\n", e_rd(E_TDH),
			       DMA_TIMEOUT_MS);
			return -110;
		}
	return 0;
}

static int e1000e_init(struct dma_dev *d, u64 *next, u64 end)
{
	u64 bars[6];
	u64 t;

	if (pci_assign_bars(d->bdf, next, end, bars) < 0 || !bars[0]) {
		printf("# e1000e: BAR0 does not fit the PCI memory window\n");
		return -1;
	}
	e_bar = bars[0];
	enable(d->bdf, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	/* whatever the function did before (a host driver, vfio's reset) */
	e_wr(E_IMC, ~0U);
	e_wr(E_CTRL, e_rd(E_CTRL) | E_CTRL_RST);
	mdelay(10);
	t = now_ms() + 1000;
	while (e_rd(E_CTRL) & E_CTRL_RST)
		if (now_ms() > t) {
			printf("# e1000e: CTRL.RST stays set\n");
			return -1;
		}
	e_wr(E_IMC, ~0U);
	printf("# e1000e: BAR0 %#llx STATUS %#x\n", (unsigned long long)e_bar,
	       e_rd(E_STATUS));
	d->name = "e1000e";
	d->prepare = e_prepare;
	d->expect = e_expect;
	d->run = e_run;
	d->copy = NULL;
	return 0;
}

/* a nestiommu.ko function if there is one, else an e1000e */
int dev_probe(struct dma_dev *d, u64 *mmio_next, u64 mmio_end)
{
	if (!pci_find(NIO_PCI_VENDOR_ID, NIO_PCI_DEVICE_ID, &d->bdf))
		return nio_init(d);
	if (!pci_find(0x8086, 0x10d3, &d->bdf))
		return e1000e_init(d, mmio_next, mmio_end);
	printf("# bus 0 has neither a nestiommu function (%04x:%04x) nor an e1000e (8086:10d3)\n",
	       NIO_PCI_VENDOR_ID, NIO_PCI_DEVICE_ID);
	return -1;
}
