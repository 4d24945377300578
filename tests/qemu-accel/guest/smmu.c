// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The guest's SMMUv3 driver: stream table (linear or 2-level), command
 * and event queues in guest RAM, STE/CD writes with their invalidations,
 * TLB invalidation, CMD_SYNC, event queue reads. Follows the order of
 * Linux's arm_smmu_device_reset() and the break-before-make rule for
 * live STEs and CDs. No interrupts: completion and events are polled.
 *
 * All tables use Non-cacheable, Outer Shareable attributes because that
 * is how this CPU (MMU off) sees the memory it writes them to.
 */
#include "smmu.h"

#define CMDQ_LOG2	8	/* 256 commands */
#define EVTQ_LOG2	7	/* 128 events */
#define STRTAB_SPLIT_BITS 8	/* 2-level: 256 STEs per L2 table */
#define LINEAR_LOG2	8	/* linear: SIDs 0-255 (bus 0) */
#define L1_LOG2		8	/* 2-level: 256 L1 descriptors, SIDs 0-64K */
#define POLL_MS		10000	/* nested virtualization under TCG is slow */

/* command opcodes and fields */
#define CMD_CFGI_STE		0x03
#define CMD_CFGI_ALL		0x04
#define CMD_CFGI_CD		0x05
#define CMD_TLBI_NH_ASID	0x11
#define CMD_TLBI_NH_VA		0x12
#define CMD_TLBI_NSNH_ALL	0x30
#define CMD_SYNC		0x46
#define CMD0_SID		GENMASK(63, 32)
#define CMD0_SSID		GENMASK(31, 12)
#define CMD0_ASID		GENMASK(63, 48)
#define CMD1_LEAF		BIT(0)
#define CMD1_CFGI_RANGE		GENMASK(4, 0)
#define CMD1_ADDR		GENMASK(63, 12)

/* STE */
#define STE0_V			BIT(0)
#define STE0_CFG		GENMASK(3, 1)
#define  STE_CFG_ABORT		0
#define  STE_CFG_BYPASS		4
#define  STE_CFG_S1		5
#define STE0_S1CTXPTR		GENMASK(51, 6)
#define STE1_S1CSH		GENMASK(7, 6)
#define STE1_SHCFG		GENMASK(45, 44)
#define  SH_OSH			2
#define  SHCFG_INCOMING		1

/* CD */
#define CD0_T0SZ		GENMASK(5, 0)
#define CD0_TG0			GENMASK(7, 6)	/* 0: 4 KiB */
#define CD0_SH0			GENMASK(13, 12)
#define CD0_EPD1		BIT(30)
#define CD0_V			BIT(31)
#define CD0_IPS			GENMASK(34, 32)
#define CD0_AA64		BIT(41)
#define CD0_R			BIT(45)
#define CD0_A			BIT(46)
#define CD0_ASET		BIT(47)
#define CD0_ASID		GENMASK(63, 48)
#define CD1_TTB0		GENMASK(51, 4)
#define VA_BITS			39	/* T0SZ 25: walk starts at level 1 */
#define MAIR_NC			0x44	/* AttrIndx 0: Normal Non-cacheable */

static u64 base;
static u32 idr[6];
static bool two_level;
static u32 cmdq_prod;
static u32 evtq_cons;
static bool sync_error;

static u64 cmdq[(1 << CMDQ_LOG2) * 2] __aligned(1 << (CMDQ_LOG2 + 4));
static u64 evtq[(1 << EVTQ_LOG2) * 4] __aligned(1 << (EVTQ_LOG2 + 5));
static u64 linear_strtab[(1 << LINEAR_LOG2) * 8] __aligned(1 << (LINEAR_LOG2 + 6));
static u64 l1_strtab[1 << L1_LOG2] __aligned(1 << (L1_LOG2 + 3));
static u64 l2_strtab[(1 << STRTAB_SPLIT_BITS) * 8] __aligned(1 << (STRTAB_SPLIT_BITS + 6));
static u32 l2_index = ~0U;	/* which L1 slot l2_strtab serves */
static u64 cd[8] __aligned(64);

static volatile u64 *v64(u64 *p)
{
	return (volatile u64 *)p;
}

u32 smmu_read(u32 off)
{
	return readl(base + off);
}

static int wait_reg(u32 off, u32 mask, u32 want)
{
	u64 end = now_ms() + POLL_MS;

	while ((readl(base + off) & mask) != want)
		if (now_ms() > end)
			return -1;
	return 0;
}

static int write_cr0(u32 val)
{
	writel(val, base + SMMU_CR0);
	if (wait_reg(SMMU_CR0ACK, ~0U, val)) {
		printf("# SMMU: CR0ACK %#x did not follow CR0 %#x\n",
		       readl(base + SMMU_CR0ACK), val);
		return -1;
	}
	return 0;
}

int smmu_probe(u64 b)
{
	static const char *const st[] = { "linear", "2-level", "?", "?" };
	int i;

	base = b;
	for (i = 0; i < 6; i++)
		idr[i] = readl(base + 4 * i);
	printf("# SMMU at %#llx: IDR0 %#010x IDR1 %#010x IDR2 %#010x IDR3 %#010x IDR4 %#010x IDR5 %#010x IIDR %#x AIDR %#x\n",
	       (unsigned long long)base, idr[0], idr[1], idr[2], idr[3],
	       idr[4], idr[5], readl(base + SMMU_IIDR),
	       readl(base + SMMU_AIDR));
	printf("# SMMU: stream table %s, S1P %d S2P %d TTF %d COHACC %d ATS %d HYP %d STALL_MODEL %d ASID16 %d\n",
	       st[FIELD_GET(IDR0_ST_LVL, idr[0])],
	       !!(idr[0] & IDR0_S1P), !!(idr[0] & IDR0_S2P),
	       (int)FIELD_GET(IDR0_TTF, idr[0]), !!(idr[0] & IDR0_COHACC),
	       !!(idr[0] & IDR0_ATS), !!(idr[0] & IDR0_HYP),
	       (int)FIELD_GET(IDR0_STALL_MODEL, idr[0]),
	       !!(idr[0] & IDR0_ASID16));
	printf("# SMMU: SIDSIZE %d SSIDSIZE %d CMDQS %d EVTQS %d RIL %d OAS %d GRAN4K %d GRAN16K %d GRAN64K %d\n",
	       (int)FIELD_GET(IDR1_SIDSIZE, idr[1]),
	       (int)FIELD_GET(IDR1_SSIDSIZE, idr[1]),
	       (int)FIELD_GET(IDR1_CMDQS, idr[1]),
	       (int)FIELD_GET(IDR1_EVTQS, idr[1]), !!(idr[3] & IDR3_RIL),
	       (int)FIELD_GET(IDR5_OAS, idr[5]), !!(idr[5] & IDR5_GRAN4K),
	       !!(idr[5] & IDR5_GRAN16K), !!(idr[5] & IDR5_GRAN64K));

	if (!(idr[0] & IDR0_S1P) || !(FIELD_GET(IDR0_TTF, idr[0]) & 2) ||
	    !(idr[5] & IDR5_GRAN4K)) {
		printf("# SMMU: no AArch64 stage 1 with a 4 KiB granule\n");
		return -1;
	}
	if (idr[1] & (IDR1_TABLES_PRESET | IDR1_QUEUES_PRESET)) {
		printf("# SMMU: preset tables or queues are not supported\n");
		return -1;
	}
	if (FIELD_GET(IDR1_CMDQS, idr[1]) < CMDQ_LOG2 ||
	    FIELD_GET(IDR1_EVTQS, idr[1]) < EVTQ_LOG2) {
		printf("# SMMU: queues smaller than this driver's\n");
		return -1;
	}
	return 0;
}

bool smmu_two_level(void)
{
	return two_level;
}

bool smmu_can_two_level(void)
{
	return FIELD_GET(IDR0_ST_LVL, idr[0]) == 1;
}

/* ---- command queue ---- */

static u32 q_idx(u32 v, int log2)
{
	return v & ((1U << log2) - 1);
}

/* index and wrap bit: equal means the SMMU consumed everything */
static u32 q_pos(u32 v, int log2)
{
	return v & ((2U << log2) - 1);
}

static void cmd_fill_sync(u32 slot)
{
	v64(cmdq)[2 * slot] = CMD_SYNC;	/* CS=SIG_NONE: we poll CONS */
	v64(cmdq)[2 * slot + 1] = 0;
}

static int cmd_push(u64 c0, u64 c1)
{
	u32 cons = readl(base + SMMU_CMDQ_CONS);
	u32 slot = q_idx(cmdq_prod, CMDQ_LOG2);

	/* full: same index, different wrap; our batches never get there
	 * as every batch ends in a CMD_SYNC we wait for */
	if (q_idx(cons, CMDQ_LOG2) == slot &&
	    q_pos(cons, CMDQ_LOG2) != q_pos(cmdq_prod, CMDQ_LOG2)) {
		printf("# SMMU: command queue full\n");
		return -1;
	}
	v64(cmdq)[2 * slot] = c0;
	v64(cmdq)[2 * slot + 1] = c1;
	cmdq_prod = q_pos(cmdq_prod + 1, CMDQ_LOG2);
	return 0;
}

/*
 * Queue a CMD_SYNC, publish PROD and wait until CONS passes it. A command
 * the SMMU rejects raises GERROR.CMDQ_ERR with CONS at that command and
 * the reason in CONS.ERR: report it, replace the command with a CMD_SYNC
 * (what Linux does) and acknowledge, so the queue moves on.
 */
static int cmd_sync(void)
{
	u64 end;
	int ret = 0;

	if (cmd_push(CMD_SYNC, 0))
		return -1;
	writel(cmdq_prod, base + SMMU_CMDQ_PROD);
	end = now_ms() + POLL_MS;
	for (;;) {
		u32 cons = readl(base + SMMU_CMDQ_CONS);
		u32 gerr = readl(base + SMMU_GERROR);
		u32 gerrn = readl(base + SMMU_GERRORN);

		if ((gerr ^ gerrn) & GERROR_CMDQ_ERR) {
			u32 slot = q_idx(cons, CMDQ_LOG2);

			printf("# SMMU: CERROR %u on command %#llx %#llx (CONS %#x)\n",
			       (unsigned int)FIELD_GET(CMDQ_CONS_ERR, cons),
			       (unsigned long long)v64(cmdq)[2 * slot],
			       (unsigned long long)v64(cmdq)[2 * slot + 1],
			       cons);
			cmd_fill_sync(slot);
			writel(gerrn ^ GERROR_CMDQ_ERR, base + SMMU_GERRORN);
			sync_error = true;
			ret = -1;
			continue;
		}
		if (q_pos(cons, CMDQ_LOG2) == cmdq_prod)
			return ret;
		if (now_ms() > end) {
			printf("# SMMU: CMD_SYNC timed out: PROD %#x CONS %#x GERROR %#x\n",
			       cmdq_prod, cons, gerr);
			sync_error = true;
			return -1;
		}
	}
}

bool smmu_sync_errors_seen(void)
{
	return sync_error;
}

static int cfgi_ste(u32 sid)
{
	if (cmd_push(CMD_CFGI_STE | FIELD_PREP(CMD0_SID, sid), CMD1_LEAF))
		return -1;
	return cmd_sync();
}

static int cfgi_cd(u32 sid)
{
	if (cmd_push(CMD_CFGI_CD | FIELD_PREP(CMD0_SID, sid) |
		     FIELD_PREP(CMD0_SSID, 0), CMD1_LEAF))
		return -1;
	return cmd_sync();
}

int smmu_cfgi_all(void)
{
	if (cmd_push(CMD_CFGI_ALL, FIELD_PREP(CMD1_CFGI_RANGE, 31)) ||
	    cmd_push(CMD_TLBI_NSNH_ALL, 0))
		return -1;
	return cmd_sync();
}

/* one 4 KiB leaf: NUM/SCALE and TG 0 is the non-range form */
int smmu_tlbi_va(u16 asid, u64 va)
{
	if (cmd_push(CMD_TLBI_NH_VA | FIELD_PREP(CMD0_ASID, asid),
		     (va & CMD1_ADDR) | CMD1_LEAF))
		return -1;
	return cmd_sync();
}

int smmu_tlbi_asid(u16 asid)
{
	if (cmd_push(CMD_TLBI_NH_ASID | FIELD_PREP(CMD0_ASID, asid), 0))
		return -1;
	return cmd_sync();
}

/*
 * The command queue path's throughput: batches of n TLBI_NH_VA (distinct
 * pages from va) each closed by one CMD_SYNC, as a guest driver unmapping
 * n pages would issue them. Returns the microseconds all batches took.
 */
long smmu_bench_tlbi(u16 asid, u64 va, u32 n, u32 batches)
{
	u64 start = now_us();
	u32 b, i;

	if (n + 1 >= (1U << CMDQ_LOG2))
		return -1;
	for (b = 0; b < batches; b++) {
		for (i = 0; i < n; i++)
			if (cmd_push(CMD_TLBI_NH_VA | FIELD_PREP(CMD0_ASID, asid),
				     ((va + (u64)i * PAGE_SIZE) & CMD1_ADDR) |
				     CMD1_LEAF))
				return -1;
		if (cmd_sync())
			return -1;
	}
	return (long)(now_us() - start);
}

/* ---- stream table ---- */

static void ste_make(u64 ste[8], enum ste_kind kind, u64 cd_pa)
{
	memset(ste, 0, 64);
	switch (kind) {
	case STE_ABORT:
		ste[0] = STE0_V | FIELD_PREP(STE0_CFG, STE_CFG_ABORT);
		break;
	case STE_BYPASS:
		ste[0] = STE0_V | FIELD_PREP(STE0_CFG, STE_CFG_BYPASS);
		ste[1] = FIELD_PREP(STE1_SHCFG, SHCFG_INCOMING);
		break;
	case STE_S1:
		/* one CD (S1CDMAX 0, S1FMT linear), so S1DSS is unused */
		ste[0] = STE0_V | FIELD_PREP(STE0_CFG, STE_CFG_S1) |
			 (cd_pa & STE0_S1CTXPTR);
		ste[1] = FIELD_PREP(STE1_S1CSH, SH_OSH);
		break;
	}
}

static u64 *ste_slot(bool l2, u32 sid)
{
	if (l2)
		return (sid >> STRTAB_SPLIT_BITS) == l2_index ?
		       &l2_strtab[(sid & ((1 << STRTAB_SPLIT_BITS) - 1)) * 8] : NULL;
	return sid < (1U << LINEAR_LOG2) ? &linear_strtab[sid * 8] : NULL;
}

/* a table that is not in use yet: no ordering or invalidation needed */
static void ste_install_idle(u64 *slot, enum ste_kind kind, u64 cd_pa)
{
	u64 ste[8];
	int i;

	ste_make(ste, kind, cd_pa);
	for (i = 0; i < 8; i++)
		v64(slot)[i] = ste[i];
}

/*
 * Break before make: the SMMU may cache the STE and read it at any time,
 * so first make it invalid and invalidate, then write the new words with
 * V last, then invalidate again.
 */
int smmu_set_ste(u32 sid, enum ste_kind kind, u64 cd_pa)
{
	u64 *slot = ste_slot(two_level, sid), ste[8];
	int i, ret = 0;

	if (!slot) {
		printf("# SMMU: StreamID %#x is outside the stream table\n", sid);
		return -1;
	}
	ste_make(ste, kind, cd_pa);
	if (v64(slot)[0] & STE0_V) {
		v64(slot)[0] = 0;
		ret |= cfgi_ste(sid);
	}
	for (i = 1; i < 8; i++)
		v64(slot)[i] = ste[i];
	mb();
	v64(slot)[0] = ste[0];
	ret |= cfgi_ste(sid);
	return ret;
}

static void strtab_program(bool l2)
{
	if (l2) {
		writeq(Q_BASE_RWA | ((u64)(uintptr_t)l1_strtab & GENMASK(51, 6)),
		       base + SMMU_STRTAB_BASE);
		writel(STRTAB_FMT_2LVL |
		       FIELD_PREP(STRTAB_SPLIT, STRTAB_SPLIT_BITS) |
		       FIELD_PREP(STRTAB_LOG2SIZE, L1_LOG2 + STRTAB_SPLIT_BITS),
		       base + SMMU_STRTAB_BASE_CFG);
	} else {
		writeq(Q_BASE_RWA | ((u64)(uintptr_t)linear_strtab & GENMASK(51, 6)),
		       base + SMMU_STRTAB_BASE);
		writel(FIELD_PREP(STRTAB_LOG2SIZE, LINEAR_LOG2),
		       base + SMMU_STRTAB_BASE_CFG);
	}
	two_level = l2;
}

/* both formats are kept ready, every STE aborting, so that a switch only
 * reprograms STRTAB_BASE (allowed while SMMUEN is 0) */
static int strtab_init(u32 sid)
{
	u32 i;

	for (i = 0; i < (1U << LINEAR_LOG2); i++)
		ste_install_idle(&linear_strtab[i * 8], STE_ABORT, 0);
	for (i = 0; i < (1U << STRTAB_SPLIT_BITS); i++)
		ste_install_idle(&l2_strtab[i * 8], STE_ABORT, 0);
	for (i = 0; i < (1U << L1_LOG2); i++)
		v64(l1_strtab)[i] = 0;	/* span 0: no L2 table */
	l2_index = sid >> STRTAB_SPLIT_BITS;
	if (l2_index >= (1U << L1_LOG2))
		return -1;
	/* span = SPLIT + 1: the L2 table holds 2^SPLIT STEs */
	v64(l1_strtab)[l2_index] = ((u64)(uintptr_t)l2_strtab & GENMASK(51, 6)) |
				   (STRTAB_SPLIT_BITS + 1);
	return 0;
}

int smmu_switch_strtab(bool l2, u32 sid, enum ste_kind kind, u64 cd_pa)
{
	u64 *slot = ste_slot(l2, sid);

	if (readl(base + SMMU_CR0) & CR0_SMMUEN) {
		printf("# SMMU: STRTAB_BASE is read-only while SMMUEN is set\n");
		return -1;
	}
	if (!slot || (l2 && !smmu_can_two_level()))
		return -1;
	ste_install_idle(slot, kind, cd_pa);
	mb();
	strtab_program(l2);
	return smmu_cfgi_all();
}

/* ---- context descriptor ---- */

int smmu_write_cd(u32 sid, u16 asid, u64 ttb0)
{
	u64 oas = FIELD_GET(IDR5_OAS, idr[5]);
	u64 cd0;
	int ret = 0;

	/* IPS is the SMMU's OAS: guest RAM and our tables sit below it */
	cd0 = FIELD_PREP(CD0_T0SZ, 64 - VA_BITS) | FIELD_PREP(CD0_TG0, 0) |
	      FIELD_PREP(CD0_SH0, SH_OSH) | CD0_EPD1 | CD0_V |
	      FIELD_PREP(CD0_IPS, oas > 5 ? 5 : oas) | CD0_AA64 |
	      CD0_R | CD0_A | CD0_ASET | FIELD_PREP(CD0_ASID, asid);
	if (v64(cd)[0] & CD0_V) {
		v64(cd)[0] = 0;
		ret |= cfgi_cd(sid);
	}
	v64(cd)[1] = ttb0 & CD1_TTB0;
	v64(cd)[2] = 0;
	v64(cd)[3] = MAIR_NC;
	v64(cd)[4] = 0;
	v64(cd)[5] = 0;
	v64(cd)[6] = 0;
	v64(cd)[7] = 0;
	mb();
	v64(cd)[0] = cd0;
	ret |= cfgi_cd(sid);
	return ret;
}

u64 smmu_cd_addr(void)
{
	return (u64)(uintptr_t)cd;
}

/* ---- global bypass, enable ---- */

int smmu_set_gbpa(bool abort)
{
	if (wait_reg(SMMU_GBPA, GBPA_UPDATE, 0))
		return -1;
	writel(GBPA_UPDATE | (abort ? GBPA_ABORT : 0), base + SMMU_GBPA);
	if (wait_reg(SMMU_GBPA, GBPA_UPDATE, 0)) {
		printf("# SMMU: GBPA.Update stuck\n");
		return -1;
	}
	return 0;
}

int smmu_enable(bool on)
{
	u32 cr0 = readl(base + SMMU_CR0);

	return write_cr0(on ? cr0 | CR0_SMMUEN : cr0 & ~CR0_SMMUEN);
}

/* ---- event queue ---- */

/* 1 and the next record, or 0 when the queue is empty */
int smmu_next_event(struct smmu_event *ev)
{
	u32 prod = readl(base + SMMU_EVTQ_PROD);
	u32 slot;
	int i;

	if (q_pos(prod, EVTQ_LOG2) == q_pos(evtq_cons, EVTQ_LOG2))
		return 0;
	slot = q_idx(evtq_cons, EVTQ_LOG2);
	for (i = 0; i < 4; i++)
		ev->raw[i] = v64(evtq)[4 * slot + i];
	ev->type = ev->raw[0] & 0xff;
	ev->sid = ev->raw[0] >> 32;
	ev->addr = ev->raw[2];
	evtq_cons = q_pos(evtq_cons + 1, EVTQ_LOG2);
	/* acknowledge an overflow by copying OVFLG into CONS.OVACKFLG */
	writel(evtq_cons | (prod & BIT(31)), base + SMMU_EVTQ_CONS);
	return 1;
}

/* ---- bring-up, in the order of arm_smmu_device_reset() ---- */

int smmu_init(bool want_two_level, u32 sid)
{
	if (sid >> FIELD_GET(IDR1_SIDSIZE, idr[1])) {
		printf("# SMMU: StreamID %#x needs more than SIDSIZE bits\n", sid);
		return -1;
	}
	if (strtab_init(sid))
		return -1;
	if (write_cr0(0))
		return -1;
	/* nothing may pass while the tables are built */
	if (smmu_set_gbpa(true))
		return -1;
	writel(0, base + SMMU_IRQ_CTRL);
	if (wait_reg(SMMU_IRQ_CTRLACK, ~0U, 0))
		return -1;
	/* tables and queues: Non-cacheable, Outer Shareable */
	writel(FIELD_PREP(GENMASK(11, 10), SH_OSH) | FIELD_PREP(GENMASK(5, 4), SH_OSH),
	       base + SMMU_CR1);
	writel(CR2_PTM | CR2_RECINVSID, base + SMMU_CR2);

	/* a linear table here covers bus 0 only */
	if (sid >= (1U << LINEAR_LOG2))
		want_two_level = true;
	strtab_program(want_two_level && smmu_can_two_level());

	writeq(Q_BASE_RWA | ((u64)(uintptr_t)cmdq & GENMASK(51, 5)) | CMDQ_LOG2,
	       base + SMMU_CMDQ_BASE);
	writel(0, base + SMMU_CMDQ_PROD);
	writel(0, base + SMMU_CMDQ_CONS);
	cmdq_prod = 0;
	if (write_cr0(CR0_CMDQEN))
		return -1;
	if (smmu_cfgi_all())
		return -1;

	writeq(Q_BASE_RWA | ((u64)(uintptr_t)evtq & GENMASK(51, 5)) | EVTQ_LOG2,
	       base + SMMU_EVTQ_BASE);
	writel(0, base + SMMU_EVTQ_PROD);
	writel(0, base + SMMU_EVTQ_CONS);
	evtq_cons = 0;
	if (write_cr0(CR0_CMDQEN | CR0_EVTQEN))
		return -1;
	return write_cr0(CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
}
