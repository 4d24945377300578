// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * guestfw: the guest's SMMUv3 driver and its checks. See README for the
 * UART protocol the harness relies on.
 */
#include "dev.h"
#include "smmu.h"

#define RAM_BASE	0x40000000UL
#ifndef PAUSE_MS
#define PAUSE_MS	120000	/* how long a harness may inspect the host */
#endif
#define EVENT_WAIT_MS	10000	/* QEMU relays a vEVENTQ record from its main loop */
#define ASID		1

/*
 * Stage-1 layout: 4 KiB granule, 39-bit VA (walk from level 1), every VA
 * in one 2 MiB block so one table per level serves them all. The VAs are
 * chosen not to be guest-physical addresses of anything here, so a DMA
 * that bypassed translation could not land on our pages.
 */
#define VA_BASE		0x12340000ULL
#define VA_TGT		(VA_BASE + 0x0000)	/* page A, later page B */
#define VA_PKT		(VA_BASE + 0x1000)	/* e1000e packet buffer */
#define VA_SRC		(VA_BASE + 0x2000)	/* nestiommu COPY source */
#define VA_UNMAPPED	(VA_BASE + 0x8000)	/* no PTE */

#define PTE_VALID	BIT(0)
#define PTE_TABLE	BIT(1)	/* table (levels 1-2) or page (level 3) */
#define PTE_AP_UNPRIV	BIT(6)	/* device accesses are unprivileged */
#define PTE_SH_OSH	(2ULL << 8)
#define PTE_AF		BIT(10)
#define PTE_NG		BIT(11)	/* ASID-tagged, as Linux's io-pgtable */
#define PTE_ADDR	GENMASK(47, 12)

static u64 pt_l1[512] __aligned(4096);
static u64 pt_l2[512] __aligned(4096);
static u64 pt_l3[512] __aligned(4096);
static u8 page_a[PAGE_SIZE] __aligned(4096);
static u8 page_b[PAGE_SIZE] __aligned(4096);
static u8 page_c[PAGE_SIZE] __aligned(4096);
static u8 page_pkt[PAGE_SIZE] __aligned(4096);
static u8 page_src[PAGE_SIZE] __aligned(4096);
static u8 before[PAGE_SIZE], after[PAGE_SIZE];

extern char __ram_start[];

static struct dma_dev dev;
static u32 sid;
static int n_test, n_fail;

static u64 pa(const void *p)
{
	return (u64)(uintptr_t)p;
}

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	n_test++;
	if (!ok)
		n_fail++;
	printf("%s %d - ", ok ? "ok" : "not ok", n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar_('\n');
}

static void finish(void) __attribute__((noreturn));
static void finish(void)
{
	printf("1..%d\n", n_test);
	printf("# %d of %d checks failed\n", n_fail, n_test);
	printf("@@ DONE %s\n", n_fail || !n_test ? "fail" : "pass");
	power_off();
}

/*
 * PSCI SYSTEM_OFF: QEMU's virt board uses the HVC conduit for a
 * non-secure -bios boot (KVM likewise); from EL2 the call is an SMC.
 * If nobody answers, wait for interrupts forever.
 */
void power_off(void)
{
	static bool tried;
	u64 el;

	asm volatile("mrs %0, CurrentEL" : "=r"(el));
	if (!tried) {
		tried = true;
		if (((el >> 2) & 3) == 2)
			asm volatile("mov x0, %0\n\tsmc #0" : : "r"(0x84000008ULL) : "x0", "memory");
		else
			asm volatile("mov x0, %0\n\thvc #0" : : "r"(0x84000008ULL) : "x0", "memory");
	}
	for (;;)
		asm volatile("wfi");
}

/* from start.S: an exception is a bug here, report it and stop */
void exception(u64 vec, u64 esr, u64 elr, u64 far);
void exception(u64 vec, u64 esr, u64 elr, u64 far)
{
	static bool nested;

	if (nested)
		power_off();	/* the exception came from the PSCI call */
	nested = true;
	printf("# exception: vector %llu ESR %#llx ELR %#llx FAR %#llx\n",
	       (unsigned long long)vec, (unsigned long long)esr,
	       (unsigned long long)elr, (unsigned long long)far);
	check(false, "no CPU exception");
	finish();
}

static void pause_point(const char *tag)
{
#ifdef GUESTFW_NOPAUSE
	(void)tag;
#else
	int c;

	/* bytes sent before the pause (a terminal's noise) do not count */
	while (uart_getc_timeout(0) >= 0)
		;
	printf("@@ PAUSE %s\n", tag);
	c = uart_getc_timeout(PAUSE_MS);
	if (c >= 0)
		check(true, "pause %s: harness answered", tag);
	else
		check(false, "pause %s: harness answered (no byte within %u s)",
		      tag, PAUSE_MS / 1000);
#endif
}

/* ---- stage-1 tables ---- */

static void map(u64 va, u64 page)
{
	volatile u64 *l1 = pt_l1, *l2 = pt_l2, *l3 = pt_l3;

	l1[(va >> 30) & 511] = pa(pt_l2) | PTE_TABLE | PTE_VALID;
	l2[(va >> 21) & 511] = pa(pt_l3) | PTE_TABLE | PTE_VALID;
	l3[(va >> 12) & 511] = (page & PTE_ADDR) | PTE_NG | PTE_AF |
			       PTE_SH_OSH | PTE_AP_UNPRIV | PTE_TABLE |
			       PTE_VALID;	/* AttrIndx 0: MAIR Normal NC */
	mb();
}

/* ---- one DMA and what it did ---- */

#define HIT_NONE	(-1)
#define HIT_BAD		(-2)

/*
 * Prepare every candidate page with the device's image, start one DMA at
 * iova and classify: the index of the one page that now holds exactly
 * the expected bytes with all others untouched, HIT_NONE if no page
 * changed, HIT_BAD for anything else (several pages, wrong bytes).
 */
static int dma_where(u64 iova, u8 *const pages[], int n, int *rc)
{
	int i, hit = HIT_NONE;

	for (i = 0; i < n; i++)
		dev.prepare(pages[i]);
	memcpy(before, pages[0], PAGE_SIZE);
	*rc = dev.run(iova);
	memcpy(after, before, PAGE_SIZE);
	dev.expect(after);
	for (i = 0; i < n; i++) {
		if (!memcmp(pages[i], before, PAGE_SIZE))
			continue;
		if (memcmp(pages[i], after, PAGE_SIZE) || hit != HIT_NONE) {
			u32 j;

			for (j = 0; j < PAGE_SIZE; j++)
				if (pages[i][j] != after[j])
					break;
			printf("# page %d changed, first unexpected byte at %#x: %#x (expected %#x)\n",
			       i, j, j < PAGE_SIZE ? pages[i][j] : 0,
			       j < PAGE_SIZE ? after[j] : 0);
			return HIT_BAD;
		}
		hit = i;
	}
	return hit;
}

static const char *where_name(int w)
{
	static const char *const names[] = { "page A", "page B", "page C" };

	if (w == HIT_NONE)
		return "no page";
	if (w == HIT_BAD)
		return "wrong bytes";
	return names[w];
}

static const char *evt_name(u8 type)
{
	switch (type) {
	case EVT_C_BAD_STREAMID: return "C_BAD_STREAMID";
	case EVT_C_BAD_STE: return "C_BAD_STE";
	case EVT_C_BAD_CD: return "C_BAD_CD";
	case EVT_F_TRANSLATION: return "F_TRANSLATION";
	case EVT_F_ADDR_SIZE: return "F_ADDR_SIZE";
	case EVT_F_ACCESS: return "F_ACCESS";
	case EVT_F_PERMISSION: return "F_PERMISSION";
	default: return "event";
	}
}

static void print_event(const struct smmu_event *ev)
{
	printf("# event %#x %s sid %#x addr %#llx [%#llx %#llx %#llx %#llx]\n",
	       ev->type, evt_name(ev->type), ev->sid,
	       (unsigned long long)ev->addr, (unsigned long long)ev->raw[0],
	       (unsigned long long)ev->raw[1], (unsigned long long)ev->raw[2],
	       (unsigned long long)ev->raw[3]);
}

/* print and count what the event queue holds now */
static int drain_events(void)
{
	struct smmu_event ev;
	int n = 0;

	while (smmu_next_event(&ev)) {
		print_event(&ev);
		n++;
	}
	return n;
}

/* ---- the checks (issue 14, item 6) ---- */

static void check_s1_dma(const char *what)
{
	u8 *const pages[] = { page_a, page_b };
	int rc, w, ev;

	w = dma_where(VA_TGT, pages, 2, &rc);
	ev = drain_events();
	check(!rc && w == 0 && !ev,
	      "%s: DMA at VA %#llx lands at page A (PA %#llx) byte for byte, page B untouched, no event (rc %d, %s, %d events)",
	      what, (unsigned long long)VA_TGT, (unsigned long long)pa(page_a),
	      rc, where_name(w), ev);
}

static void check_copy(void)
{
	u32 i;
	int rc;

	for (i = 0; i < PAGE_SIZE; i++) {
		page_src[i] = (u8)(i * 7 + (i >> 8) + 1);
		page_a[i] = 0;
	}
	rc = dev.copy(VA_SRC, VA_TGT, PAGE_SIZE);
	check(!rc && !memcmp(page_a, page_src, PAGE_SIZE) && !drain_events(),
	      "COPY VA %#llx -> VA %#llx: page A holds the source page byte for byte (rc %d)",
	      (unsigned long long)VA_SRC, (unsigned long long)VA_TGT, rc);
}

static void check_tlb(void)
{
	u8 *const pages[] = { page_a, page_b };
	int rc, w;

	map(VA_TGT, pa(page_b));
	w = dma_where(VA_TGT, pages, 2, &rc);
	check(w == 0, "PTE moved to page B without TLBI: DMA still lands at page A, the TLB holds the old walk (%s)",
	      where_name(w));
	check(!smmu_tlbi_va(ASID, VA_TGT), "TLBI_NH_VA + CMD_SYNC complete");
	w = dma_where(VA_TGT, pages, 2, &rc);
	check(!rc && w == 1, "after TLBI_NH_VA: DMA lands at page B (rc %d, %s)",
	      rc, where_name(w));

	map(VA_TGT, pa(page_a));
	w = dma_where(VA_TGT, pages, 2, &rc);
	check(w == 1, "PTE moved back to page A without TLBI: DMA still lands at page B (%s)",
	      where_name(w));
	check(!smmu_tlbi_asid(ASID), "TLBI_NH_ASID + CMD_SYNC complete");
	w = dma_where(VA_TGT, pages, 2, &rc);
	check(!rc && w == 0, "after TLBI_NH_ASID: DMA lands at page A (rc %d, %s)",
	      rc, where_name(w));
	drain_events();
}

static void check_fault(void)
{
	u8 *const pages[] = { page_a, page_b };
	struct smmu_event ev;
	bool found = false;
	int rc, w;
	u64 end;

	drain_events();
	w = dma_where(VA_UNMAPPED, pages, 2, &rc);
	check(w == HIT_NONE && (dev.copy ? rc != 0 : true),
	      "DMA at unmapped VA %#llx: no memory changes%s (rc %d, %s)",
	      (unsigned long long)VA_UNMAPPED,
	      dev.copy ? ", the engine reports an error" : "", rc,
	      where_name(w));
	end = now_ms() + EVENT_WAIT_MS;
	while (!found && now_ms() < end) {
		if (!smmu_next_event(&ev))
			continue;
		print_event(&ev);
		found = ev.type == EVT_F_TRANSLATION && ev.sid == sid &&
			(ev.addr & ~(PAGE_SIZE - 1)) == VA_UNMAPPED;
	}
	check(found, "F_TRANSLATION for VA %#llx with StreamID %#x in the guest's event queue",
	      (unsigned long long)VA_UNMAPPED, sid);
	drain_events();
}

/* a DMA aimed at page C's IPA, which only bypass lets through */
static int dma_at_ipa(int *rc)
{
	u8 *const pages[] = { page_a, page_b, page_c };

	dma_buf_iova = pa(page_pkt);
	return dma_where(pa(page_c), pages, 3, rc);
}

static void check_ste_kinds(void)
{
	u64 cd = smmu_cd_addr();
	int rc, w;

	check(!smmu_set_ste(sid, STE_ABORT, 0), "abort STE installed (CFGI_STE + CMD_SYNC)");
	w = dma_at_ipa(&rc);
	check(w == HIT_NONE && (dev.copy ? rc != 0 : true),
	      "abort STE: DMA fails, no memory changes (rc %d, %s)", rc,
	      where_name(w));
	drain_events();

	check(!smmu_set_ste(sid, STE_BYPASS, 0), "bypass STE installed (CFGI_STE + CMD_SYNC)");
	w = dma_at_ipa(&rc);
	check(!rc && w == 2, "bypass STE: DMA at IPA %#llx lands there (rc %d, %s)",
	      (unsigned long long)pa(page_c), rc, where_name(w));
	drain_events();
	pause_point("bypass");

	dma_buf_iova = VA_PKT;
	check(!smmu_set_ste(sid, STE_S1, cd), "S1_TRANS STE installed again");
	check_s1_dma("S1_TRANS STE again");
}

static void check_disable(void)
{
	u64 cd = smmu_cd_addr();
	bool l2;
	int rc, w;

	check(!smmu_set_gbpa(true) && !smmu_enable(false),
	      "SMMUEN cleared with GBPA.ABORT set (CR0ACK %#x GBPA %#x)",
	      smmu_read(SMMU_CR0ACK), smmu_read(SMMU_GBPA));
	w = dma_at_ipa(&rc);
	check(w == HIT_NONE && (dev.copy ? rc != 0 : true),
	      "SMMU disabled, GBPA abort: DMA fails, no memory changes (rc %d, %s)",
	      rc, where_name(w));

	check(!smmu_set_gbpa(false), "GBPA.ABORT cleared while disabled (GBPA %#x)",
	      smmu_read(SMMU_GBPA));
	w = dma_at_ipa(&rc);
	check(!rc && w == 2, "SMMU disabled, GBPA bypass: DMA at IPA %#llx lands there (rc %d, %s)",
	      (unsigned long long)pa(page_c), rc, where_name(w));
	pause_point("disabled");

	/*
	 * Come back with a 2-level stream table if the SMMU offers one: the
	 * first part ran on a linear table, so both formats get used. Not
	 * the other way round: QEMU's SMMUv3 (smmu_writel(), up to 11.x at
	 * least) keeps walking 2-level tables once STRTAB_BASE_CFG.FMT was
	 * 2-level, whatever is written later.
	 */
	l2 = smmu_can_two_level();
	check(!smmu_switch_strtab(l2, sid, STE_S1, cd),
	      "stream table switched to %s while disabled (CFGI_ALL + CMD_SYNC)",
	      l2 ? "2-level" : "linear");
	check(!smmu_set_gbpa(true) && !smmu_enable(true),
	      "SMMU enabled again with a %s stream table (CR0ACK %#x)",
	      smmu_two_level() ? "2-level" : "linear", smmu_read(SMMU_CR0ACK));
	dma_buf_iova = VA_PKT;
	check_s1_dma(smmu_two_level() ? "2-level stream table" : "linear stream table");
}

/*
 * Issue 14's benchmark, guest side: TLBI_NH_VA commands per second
 * through this SMMU's command queue (under accel: guest write to QEMU,
 * QEMU to the host's vIOMMU). Printed for the harness, which compares it
 * with the same commands sent through the library; not a pass/fail.
 */
#define BENCH_TLBI	200	/* per CMD_SYNC */
#define BENCH_BATCHES	10

static void bench_cmdq(void)
{
	long us = smmu_bench_tlbi(ASID, VA_BASE, BENCH_TLBI, BENCH_BATCHES);
	u64 cmds = (u64)BENCH_TLBI * BENCH_BATCHES;

	check(us >= 0, "benchmark: %llu TLBI_NH_VA in %d batches, each closed by CMD_SYNC, completed",
	      (unsigned long long)cmds, BENCH_BATCHES);
	if (us < 0)
		return;
	printf("@@ BENCH cmdq tlbi=%llu syncs=%d us=%ld per_s=%llu\n",
	       (unsigned long long)cmds, BENCH_BATCHES, us,
	       (unsigned long long)(us ? cmds * 1000000 / (u64)us : 0));
}

int main(void)
{
	struct platform plat;
	u64 mmio_next, dtb_size;
	u32 rid;
	int i, smmu = 0;

	uart_init();
	printf("# guestfw: SMMUv3 guest driver (issue 14)\n");

	memset(&plat, 0, sizeof(plat));
	if (fdt_scan(RAM_BASE, &plat)) {
		printf("# no device tree at %#lx: assuming the virt board's defaults\n",
		       RAM_BASE);
		plat.nr_smmus = 1;
		plat.smmu_base[0] = 0x09050000;
		plat.ecam_base = 0x4010000000ULL;
		plat.ecam_size = 0x10000000;
		plat.mmio_base = 0x10000000;
		plat.mmio_size = 0x2eff0000;
	} else {
		dtb_size = __builtin_bswap32(*(volatile u32 *)(RAM_BASE + 4));
		printf("# device tree at %#lx, %llu bytes; RAM %#llx + %#llx\n",
		       RAM_BASE, (unsigned long long)dtb_size,
		       (unsigned long long)plat.ram_base,
		       (unsigned long long)plat.ram_size);
		if (RAM_BASE + dtb_size > pa(__ram_start))
			printf("# the device tree overlaps this firmware's RAM\n");
	}
	for (i = 0; i < plat.nr_smmus; i++) {
		printf("# arm,smmu-v3 at %#llx phandle %#x\n",
		       (unsigned long long)plat.smmu_base[i], plat.smmu_phandle[i]);
		if (plat.have_iommu_map && plat.smmu_phandle[i] == plat.iommu_map[1])
			smmu = i;
	}
	printf("# PCIe ECAM %#llx + %#llx, 32-bit memory window %#llx + %#llx%s\n",
	       (unsigned long long)plat.ecam_base,
	       (unsigned long long)plat.ecam_size,
	       (unsigned long long)plat.mmio_base,
	       (unsigned long long)plat.mmio_size,
	       plat.have_iommu_map ? "" : ", no iommu-map");
	if (!plat.nr_smmus || !plat.ecam_base || !plat.mmio_base) {
		check(false, "the device tree names an SMMUv3 and a PCIe host bridge");
		finish();
	}

	pci_init(plat.ecam_base, plat.ecam_size);
	mmio_next = plat.mmio_base;
	if (dev_probe(&dev, &mmio_next, plat.mmio_base + plat.mmio_size)) {
		check(false, "a DMA-capable function on bus 0");
		finish();
	}
	/* StreamID: the RID through the host bridge's iommu-map */
	rid = dev.bdf;
	sid = rid;
	if (plat.have_iommu_map && rid >= plat.iommu_map[0] &&
	    rid - plat.iommu_map[0] < plat.iommu_map[3])
		sid = rid - plat.iommu_map[0] + plat.iommu_map[2];
	printf("@@ DEVICE %s %02x:%02x.%x sid=%#x\n", dev.name,
	       (rid >> 8) & 0xff, (rid >> 3) & 0x1f, rid & 7, sid);

	if (smmu_probe(plat.smmu_base[smmu])) {
		check(false, "the SMMU offers what this driver needs");
		finish();
	}
	check(!smmu_init(false, sid),
	      "SMMU enabled: %s stream table, command and event queues in guest RAM (CR0ACK %#x GERROR %#x)",
	      smmu_two_level() ? "2-level" : "linear",
	      smmu_read(SMMU_CR0ACK), smmu_read(SMMU_GERROR));

	map(VA_TGT, pa(page_a));
	map(VA_PKT, pa(page_pkt));
	map(VA_SRC, pa(page_src));
	dma_buf_iova = VA_PKT;
	check(!smmu_write_cd(sid, ASID, pa(pt_l1)) &&
	      !smmu_set_ste(sid, STE_S1, smmu_cd_addr()),
	      "S1_TRANS STE and CD (ASID %d, TTB0 %#llx) installed: CFGI_CD, CFGI_STE, CMD_SYNC without CERROR",
	      ASID, (unsigned long long)pa(pt_l1));

	check_s1_dma("stage 1");
	if (dev.copy)
		check_copy();
	pause_point("stage1");

	check_tlb();
	check_fault();
	pause_point("fault");
	check_ste_kinds();
	check_disable();

	bench_cmdq();
	check(!smmu_sync_errors_seen(), "no command was rejected (CERROR) and every CMD_SYNC completed");
	finish();
}
