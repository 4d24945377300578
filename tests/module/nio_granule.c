// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestiommu.ko: stage 1 translation granules (4, 16 and 64 KiB).
 *
 * The guest's CD table holds one CD per configuration (granule, T0SZ and
 * so start level, ASID); each gets its own stage 1 tables, written by a
 * small VMSAv8-64 table writer for any granule.  For each configuration
 * whose granule the module advertises (IDR5, module parameter granules=,
 * told to the test in NIO_GRANULES, default "4k,16k,64k"), DMA goes
 * through pages and blocks of that granule and lands where the tables say;
 * a cached translation covers its whole granule page (a 4 KiB part never
 * used before still sees the old page after a PTE change), and each
 * TLBI_NH_VA/NH_VAA, with TG = 0 or with the granule's TG and NUM/SCALE,
 * drops exactly the pages and blocks its range covers.  A block where the
 * granule allows none is F_TRANSLATION.  A CD with a granule the module
 * does not advertise, a reserved TG0, or T0SZ outside 16..39 is C_BAD_CD;
 * with EPD0 = EPD1 = 1 neither is checked and every address faults.
 */
#include <poll.h>

#include <nestiommu/smmu.h>

#include "nio_test.h"

#define GPA_BASE	0x40000000ULL	/* 1 GiB aligned: any block's output */
#define GPA_SIZE	(16ULL << 20)
#define VSID		0x20

#define CD_OFF		0x000000
#define POOL_OFF	0x100000	/* stage 1 tables */
#define POOL_END	0x400000
#define DATA_OFF	0x400000	/* 512 KiB of pages per configuration */
#define BLKDATA_OFF	0xc00000	/* where block DMAs land */

#define D_VALID		(1ULL << 0)
#define D_TABLE		(1ULL << 1)
#define D_AP_UNPRIV	(1ULL << 6)
#define D_AF		(1ULL << 10)
#define PAGE_RW		(D_VALID | D_TABLE | D_AF | D_AP_UNPRIV)
#define BLOCK_RW	(D_VALID | D_AF | D_AP_UNPRIV)

#define CD0_T0SZ(x)	((uint64_t)(x))
#define CD0_TG0(x)	((uint64_t)(x) << 6)
#define CD0_EPD0	(1ULL << 14)
#define CD0_EPD1	(1ULL << 30)
#define CD0_V		(1ULL << 31)
#define CD0_IPS(x)	((uint64_t)(x) << 32)
#define CD0_AA64	(1ULL << 41)
#define CD0_ASID(x)	((uint64_t)(x) << 48)

#define TG0_4K		0
#define TG0_64K		1
#define TG0_16K		2
#define TG0_RESERVED	3

#define EVT_C_BAD_CD		0x0a
#define EVT_F_TRANSLATION	0x10

#define OP_TLBI_NH_VA	0x12
#define OP_TLBI_NH_VAA	0x13

/* A guest address space: one CD and its stage 1 tables */
struct as {
	uint32_t ssid;
	unsigned int g;			/* granule shift: 12, 14, 16 */
	unsigned int t0sz;
	uint16_t asid;
	uint64_t root;			/* guest RAM offset of the first table */
	uint64_t va;			/* three pages from here */
	uint64_t blk_va;		/* a level 2 block, 0: none */
	uint64_t l1blk_va;		/* a level 1 block (4K only), 0: none */
	uint64_t badblk_va;		/* a block where none is allowed, 0: none */
	int badblk_lvl;
};

static struct as spaces[] = {
	{ 0, 12, 16, 0x30, 0, 0x10000000, 0x20000000, 0x40000000,
	  0x8000000000ULL, 0 },
	{ 1, 14, 16, 0x31, 0, 0x10000000, 0x20000000, 0,
	  0x1000000000ULL, 1 },
	{ 2, 16, 16, 0x32, 0, 0x10000000, 0x20000000, 0,
	  0x40000000000ULL, 1 },
	{ 3, 16, 39, 0x33, 0, 0x100000, 0, 0, 0, 0 },	/* one level (3) */
	{ 4, 14, 30, 0x34, 0, 0x10000000, 0x20000000, 0, 0, 0 },
	{ 5, 12, 25, 0x35, 0, 0x10000000, 0x20000000, 0, 0, 0 },
	{ 6, 14, 39, 0x36, 0, 0x100000, 0, 0, 0, 0 },	/* one level (3) */
	{ 7, 16, 25, 0x37, 0, 0x10000000, 0x20000000, 0, 0, 0 },
};

static uint8_t *gram;
static int fd, dev, evq = -1;
static uint32_t viommu;
static struct nio_smmu *ctl;
static uint64_t pool = POOL_OFF;
static bool have16k = true, have64k = true, have4k = true;

static uint64_t *g64(uint64_t off)
{
	return (uint64_t *)(gram + off);
}

static int start_level(const struct as *a)
{
	unsigned int ias = 64 - a->t0sz, stride = a->g - 3;

	return 4 - (int)((ias - a->g + stride - 1) / stride);
}

static uint64_t alloc_table(unsigned int g)
{
	uint64_t off = (pool + (1ULL << g) - 1) & ~((1ULL << g) - 1);

	if (off + (1ULL << g) > POOL_END)
		nt_die("table pool exhausted");
	pool = off + (1ULL << g);
	memset(gram + off, 0, 1ULL << g);
	return off;
}

/* The descriptor that maps @va at @lvl, creating tables on the way */
static uint64_t *desc_at(struct as *a, uint64_t va, int lvl)
{
	unsigned int stride = a->g - 3;
	uint64_t tbl = a->root;
	int l;

	for (l = start_level(a);; l++) {
		unsigned int shift = a->g + stride * (3 - l);
		uint64_t *d = g64(tbl) + ((va >> shift) & ((1ULL << stride) - 1));

		if (l == lvl)
			return d;
		if (!(*d & D_VALID))
			*d = (GPA_BASE + alloc_table(a->g)) | D_VALID | D_TABLE;
		tbl = (*d & ((1ULL << 48) - 1) & ~((1ULL << a->g) - 1)) -
		      GPA_BASE;
	}
}

static void map(struct as *a, uint64_t va, uint64_t ipa, int lvl)
{
	unsigned int shift = a->g + (a->g - 3) * (3 - lvl);

	*desc_at(a, va, lvl) = (ipa & ~((1ULL << shift) - 1)) |
			       (lvl == 3 ? PAGE_RW : BLOCK_RW);
}

static bool granule_on(unsigned int g)
{
	return g == 12 ? have4k : g == 14 ? have16k : have64k;
}

static void write_cd(uint32_t ssid, uint64_t cd0, uint64_t ttb0)
{
	uint64_t *cd = g64(CD_OFF + ssid * 64);

	memset(cd, 0, 64);
	cd[0] = cd0 | CD0_EPD1 | CD0_V | CD0_IPS(5) | CD0_AA64;
	cd[1] = ttb0;
}

static unsigned int tg0_of(unsigned int g)
{
	return g == 12 ? TG0_4K : g == 14 ? TG0_16K : TG0_64K;
}

static int inv(uint64_t c0, uint64_t c1)
{
	uint64_t cmd[2] = { c0, c1 };
	uint32_t num = 1;

	return nt_invalidate(fd, viommu, cmd, sizeof(cmd), &num);
}

/* TLBI_NH_VA: TG 0 (one address) or a range of (num+1) << scale pages */
static int tlbi_va(const struct as *a, uint64_t va, unsigned int tg,
		   unsigned int num, unsigned int scale, unsigned int ttl)
{
	return inv(OP_TLBI_NH_VA | ((uint64_t)a->asid << 48) |
		   ((uint64_t)num << 12) | ((uint64_t)scale << 20),
		   (va & ~0xfffULL) | ((uint64_t)tg << 10) |
		   ((uint64_t)ttl << 8));
}

static int dma_w(const struct as *a, uint64_t iova, const void *buf,
		 size_t len)
{
	return nio_smmu_dma_write(ctl, 0, 0, a->ssid, iova, buf, len);
}

static int read_event(uint64_t evt[4])
{
	struct pollfd p = { .fd = evq, .events = POLLIN };
	uint8_t buf[sizeof(struct iommufd_vevent_header) + 32];

	if (poll(&p, 1, 200) <= 0)
		return 0;
	if (read(evq, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return -1;
	memcpy(evt, buf + sizeof(struct iommufd_vevent_header), 32);
	return 1;
}

static void expect_event(unsigned int id, uint32_t ssid, uint64_t addr,
			 const char *what)
{
	uint64_t evt[4] = { 0 };

	NT_CHECK(read_event(evt) == 1, "%s: one event on the vEVENTQ", what);
	NT_CHECK((evt[0] & 0xff) == id && (evt[0] >> 32) == VSID &&
		 (evt[0] & (1ULL << 11)) &&
		 ((evt[0] >> 12) & 0xfffff) == ssid &&
		 (id < EVT_F_TRANSLATION || evt[2] == addr),
		 "%s: event 0x%02llx vSID 0x%llx SSID %llu addr 0x%llx", what,
		 (unsigned long long)(evt[0] & 0xff),
		 (unsigned long long)(evt[0] >> 32),
		 (unsigned long long)((evt[0] >> 12) & 0xfffff),
		 (unsigned long long)evt[2]);
}

static bool tlb_has(uint16_t asid, uint64_t iova, uint64_t ipa)
{
	struct nio_smmu_tlb_entry *e;
	bool found = false;
	size_t n, i;

	if (nio_smmu_tlb(ctl, 0, &e, &n))
		return false;
	for (i = 0; i < n; i++)
		if (e[i].asid == asid && e[i].iova == iova && e[i].ipa == ipa)
			found = true;
	free(e);
	return found;
}

/* Write a 16-byte tag at @va; true if it landed at guest offset @off */
static bool lands(const struct as *a, uint64_t va, uint64_t off)
{
	char tag[16];

	snprintf(tag, sizeof(tag), "t%llx", (unsigned long long)(va & 0xffffffff));
	memset(gram + off, 0, sizeof(tag));
	if (dma_w(a, va, tag, sizeof(tag)))
		return false;
	return !memcmp(gram + off, tag, sizeof(tag));
}

static void test_space(struct as *a, unsigned int idx)
{
	const uint64_t G = 1ULL << a->g;
	const uint64_t last = G - 0x1000;	/* the last 4 KiB part */
	const uint64_t data = DATA_OFF + idx * 0x80000ULL;
	const unsigned int tg = (a->g - 10) / 2;
	char what[64];
	uint8_t rb[32];
	int k;

	snprintf(what, sizeof(what), "%uK T0SZ %u (start level %d)",
		 1U << (a->g - 10), a->t0sz, start_level(a));
	printf("# %s\n", what);

	if (!granule_on(a->g)) {
		NT_EXPECT(EFAULT, dma_w(a, a->va, "x", 1),
			  "%s: CD of a granule the module does not advertise",
			  what);
		expect_event(EVT_C_BAD_CD, a->ssid, 0, "C_BAD_CD (granule off)");
		return;
	}

	/* Pages: three granule pages, DMA into their last 4 KiB part */
	for (k = 0; k < 3; k++)
		map(a, a->va + k * G, GPA_BASE + data + k * G, 3);
	for (k = 0; k < 3; k++)
		NT_CHECK(lands(a, a->va + k * G + last + 0x10,
			       data + k * G + last + 0x10),
			 "%s: page %d lands at its IPA", what, k);
	/* A DMA across two 4 KiB parts of page 0 (16K/64K) or pages 0-1 */
	memset(gram + data + 0xff0, 0x5a, 32);
	NT_EXPECT(0, nio_smmu_dma_read(ctl, 0, 0, a->ssid, a->va + 0xff0, rb,
				       32), "%s: DMA read across 0x1000", what);
	NT_CHECK(rb[0] == 0x5a && rb[31] == 0x5a, "%s: bytes read", what);

	/* Stale: new PTEs, no TLBI; the old pages stay in use */
	for (k = 0; k < 3; k++)
		map(a, a->va + k * G, GPA_BASE + data + (3 + k) * G, 3);
	NT_CHECK(lands(a, a->va + 0x20, data + 0x20),
		 "%s: stale page 0, even in a 4 KiB part not used before",
		 what);
	NT_CHECK(tlb_has(a->asid, a->va, GPA_BASE + data) &&
		 tlb_has(a->asid, a->va + last, GPA_BASE + data + last),
		 "%s: TLB dump has both 4 KiB parts of page 0", what);
	NT_CHECK(lands(a, a->va + G + 0x20, data + G + 0x20) &&
		 lands(a, a->va + 2 * G + 0x20, data + 2 * G + 0x20),
		 "%s: stale pages 1 and 2", what);

	/* Range TLBI of this granule: page 1 only */
	NT_EXPECT(0, tlbi_va(a, a->va + G, tg, 0, 0, 3),
		  "%s: TLBI_NH_VA TG %u NUM 0 at page 1", what, tg);
	NT_CHECK(lands(a, a->va + 0x30, data + 0x30),
		 "%s: page 0 still stale", what);
	NT_CHECK(lands(a, a->va + G + 0x30, data + 4 * G + 0x30),
		 "%s: page 1 new", what);
	NT_CHECK(lands(a, a->va + 2 * G + 0x30, data + 2 * G + 0x30),
		 "%s: page 2 still stale", what);
	/* TG = 0, an address inside page 0 (not its base with 16K/64K) */
	NT_EXPECT(0, tlbi_va(a, a->va + last, 0, 0, 0, 0),
		  "%s: TLBI_NH_VA TG 0 at page 0 + 0x%llx", what,
		  (unsigned long long)last);
	NT_CHECK(lands(a, a->va + 0x40, data + 3 * G + 0x40),
		 "%s: page 0 new", what);
	NT_CHECK(lands(a, a->va + 2 * G + 0x40, data + 2 * G + 0x40),
		 "%s: page 2 still stale", what);
	/* NH_VAA, NUM 1: pages 1 and 2 */
	NT_EXPECT(0, inv(OP_TLBI_NH_VAA | (1ULL << 12),
			 (a->va + G) | ((uint64_t)tg << 10) | (3ULL << 8)),
		  "%s: TLBI_NH_VAA TG %u NUM 1 at page 1", what, tg);
	NT_CHECK(lands(a, a->va + 2 * G + 0x50, data + 5 * G + 0x50),
		 "%s: page 2 new", what);

	/* A level 2 block, cached as two granule pages */
	if (a->blk_va) {
		uint64_t bsize = 1ULL << (a->g + (a->g - 3));
		uint64_t off1 = BLKDATA_OFF + idx * 0x10000ULL;
		uint64_t off2 = off1 + 2 * G;
		uint64_t out = off1 & ~(bsize - 1);	/* guest RAM offset */
		uint64_t va1 = a->blk_va + off1 - out;
		uint64_t va2 = a->blk_va + off2 - out;

		map(a, a->blk_va, GPA_BASE + out, 2);
		NT_CHECK(lands(a, va1, off1) && lands(a, va2, off2),
			 "%s: %llu MiB block lands at IPA 0x%llx + offset",
			 what, (unsigned long long)(bsize >> 20),
			 GPA_BASE + out);
		*desc_at(a, a->blk_va, 2) = 0;
		NT_CHECK(lands(a, va1 + 0x10, off1 + 0x10) &&
			 lands(a, va2 + 0x10, off2 + 0x10),
			 "%s: removed block still cached", what);
		/* one page of the block that was never used */
		NT_EXPECT(0, tlbi_va(a, va2 + G, tg, 0, 0, 2),
			  "%s: TLBI_NH_VA TG %u TTL 2 inside the block", what,
			  tg);
		NT_EXPECT(EFAULT, dma_w(a, va1, "x", 1),
			  "%s: whole block dropped (first page)", what);
		expect_event(EVT_F_TRANSLATION, a->ssid, va1, "F_TRANSLATION");
		NT_EXPECT(EFAULT, dma_w(a, va2, "x", 1),
			  "%s: whole block dropped (second page)", what);
		expect_event(EVT_F_TRANSLATION, a->ssid, va2, "F_TRANSLATION");
	}
	if (a->l1blk_va) {
		uint64_t off = BLKDATA_OFF + 0x8000 + idx * 0x10000ULL;

		map(a, a->l1blk_va, GPA_BASE, 1);
		NT_CHECK(lands(a, a->l1blk_va + off, off),
			 "%s: 1 GiB block lands", what);
	}
	if (a->badblk_va) {
		map(a, a->badblk_va, GPA_BASE, a->badblk_lvl);
		NT_EXPECT(EFAULT, dma_w(a, a->badblk_va + 0x10, "x", 1),
			  "%s: block at level %d (not allowed)", what,
			  a->badblk_lvl);
		expect_event(EVT_F_TRANSLATION, a->ssid, a->badblk_va + 0x10,
			     "F_TRANSLATION (block level)");
	}
}

/*
 * QEMU 11.1's smmuv3_accel_check_hw_compatible() (hw/arm/smmuv3-accel.c)
 * on this host's hw_info, for the vSMMU of "-device arm-smmuv3,accel=on,
 * ats=off,ril=on,ssidsize=0,oas=44" (ST_LEVEL 2-level, little endian,
 * AArch64, SIDSIZE 16, all three granules; the "auto" values are copied
 * from the host and so always pass).  NULL if QEMU accepts the host.
 */
static const char *qemu_accel_refuses(const struct iommu_hw_info_arm_smmuv3 *h)
{
	/* QEMU's vSMMU: the fields compared, as QEMU sets them */
	static const struct {
		unsigned int stlevel, ttendian, ttf, sidsize, ssidsize, ril;
		unsigned int oas, ats;
	} q = { 1, 2, 2, 16, 0, 1, 4, 0 };
#define F(reg, sh, w) ((h->idr[reg] >> (sh)) & ((1U << (w)) - 1))
	if (F(0, 27, 2) != q.stlevel)
		return "Host SMMUv3 Stream Table format mismatch";
	if (F(0, 21, 2) > q.ttendian)
		return "Host SMMUv3 doesn't support Little-endian translation table";
	if (F(0, 2, 2) < q.ttf)
		return "Host SMMUv3 doesn't support AArch64 translation table format";
	if (F(1, 0, 6) < q.sidsize)
		return "Host SMMUv3 SIDSIZE not compatible";
	if (F(1, 6, 5) < q.ssidsize)
		return "Host SMMUv3 SSIDSIZE not compatible";
	if (F(3, 10, 1) < q.ril)
		return "Host SMMUv3 doesn't support Range Invalidation";
	if (F(5, 0, 3) < q.oas)
		return "Host SMMUv3 supports only a smaller IPA than oas=44";
	if (F(0, 10, 1) < q.ats)
		return "Host SMMUv3 doesn't support Address Translation Services";
	if (F(5, 4, 1) != 1)
		return "Host SMMUv3 doesn't support 4K translation granule";
	if (F(5, 5, 1) != 1)
		return "Host SMMUv3 doesn't support 16K translation granule";
	if (F(5, 6, 1) != 1)
		return "Host SMMUv3 doesn't support 64K translation granule";
#undef F
	return NULL;
}

int main(void)
{
	/* S1CDMax 4: 16 CDs (SSIDs 0-7 the spaces, 8-13 ILLEGAL or odd) */
	const uint64_t ste0 = 1 | (5ULL << 1) | (GPA_BASE + CD_OFF) |
			      (4ULL << 59);
	const char *env = getenv("NIO_GRANULES");
	struct iommu_hw_info_arm_smmuv3 info = { 0 };
	struct iommu_hwpt_arm_smmuv3 ste = { .ste = { ste0, 2 } };
	uint32_t dev_id = 0, ioas = 0, s2 = 0, vdev = 0, evq_id = 0, hwpt = 0;
	unsigned int i;
	int mfd;

	if (env) {
		have4k = strstr(env, "4k") != NULL;
		have16k = strstr(env, "16k") != NULL;
		have64k = strstr(env, "64k") != NULL;
	}
	if (nio_smmu_open(&ctl))
		nt_die("nio_smmu_open");
	fd = open("/dev/iommu", O_RDWR);
	dev = nt_open_ep(0, 0, NULL, 0);
	if (fd < 0 || dev < 0)
		nt_die("open");
	mfd = memfd_create("guest-ram", 0);
	if (mfd < 0 || ftruncate(mfd, GPA_SIZE))
		nt_die("memfd");
	gram = mmap(NULL, GPA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (gram == MAP_FAILED)
		nt_die("mmap");

	NT_EXPECT(0, nt_bind(dev, fd, &dev_id), "bind");
	{
		struct iommu_hw_info cmd = {
			.size = sizeof(cmd),
			.dev_id = dev_id,
			.data_len = sizeof(info),
			.data_uptr = (uintptr_t)&info,
		};

		NT_EXPECT(0, ioctl(fd, IOMMU_GET_HW_INFO, &cmd) ? errno : 0,
			  "hw_info");
	}
	NT_CHECK(((info.idr[0] >> 27) & 3) == 1,
		 "IDR0.ST_LEVEL 2-level (0x%08x)", info.idr[0]);
	NT_CHECK(!!(info.idr[5] & (1 << 4)) == have4k &&
		 !!(info.idr[5] & (1 << 5)) == have16k &&
		 !!(info.idr[5] & (1 << 6)) == have64k,
		 "IDR5 GRAN4K/16K/64K = %d/%d/%d (NIO_GRANULES %s, 0x%08x)",
		 have4k, have16k, have64k, env ? env : "unset", info.idr[5]);

	{
		const char *why = qemu_accel_refuses(&info);

		if (have4k && have16k && have64k)
			NT_CHECK(!why, "QEMU 11.1 accel=on accepts the host SMMU (%s)",
				 why ? why : "all checks pass");
		else
			NT_CHECK(why && strstr(why, "granule"),
				 "QEMU 11.1 accel=on refuses it: %s",
				 why ? why : "(accepted)");
	}

	nt_nest_setup(fd, dev_id, gram, GPA_SIZE, GPA_BASE, VSID, &ioas, &s2,
		      &viommu, &vdev);
	NT_EXPECT(0, nt_veventq_alloc(fd, viommu,
				      IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 64,
				      &evq_id, &evq), "vEVENTQ");

	memset(gram, 0, GPA_SIZE);
	for (i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		struct as *a = &spaces[i];

		a->root = alloc_table(a->g);
		write_cd(a->ssid, CD0_T0SZ(a->t0sz) | CD0_TG0(tg0_of(a->g)) |
			 CD0_ASID(a->asid), GPA_BASE + a->root);
	}
	/* ILLEGAL CDs: reserved TG0, T0SZ 40 (4K), T0SZ 15 (64K) */
	write_cd(8, CD0_T0SZ(16) | CD0_TG0(TG0_RESERVED) | CD0_ASID(0x38),
		 GPA_BASE + spaces[0].root);
	write_cd(9, CD0_T0SZ(40) | CD0_TG0(TG0_4K) | CD0_ASID(0x39),
		 GPA_BASE + spaces[0].root);
	write_cd(10, CD0_T0SZ(15) | CD0_TG0(TG0_64K) | CD0_ASID(0x3a),
		 GPA_BASE + spaces[2].root);
	write_cd(11, CD0_T0SZ(39) | CD0_TG0(TG0_16K) | CD0_ASID(0x3b),
		 GPA_BASE + alloc_table(14));
	/* Legal: both halves disabled, so T0SZ 0 and TG0 3 are not checked */
	write_cd(12, CD0_EPD0 | CD0_T0SZ(0) | CD0_ASID(0x3c), 0);
	write_cd(13, CD0_EPD0 | CD0_T0SZ(0) | CD0_TG0(TG0_RESERVED) |
		 CD0_ASID(0x3d), 0);

	NT_EXPECT(0, nt_hwpt_alloc(fd, dev_id, viommu, 0,
				   IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
				   sizeof(ste), &hwpt), "nested HWPT");
	NT_EXPECT(0, nt_attach(dev, &hwpt), "attach");

	for (i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++)
		test_space(&spaces[i], i);

	NT_EXPECT(EFAULT, nio_smmu_dma_write(ctl, 0, 0, 8, 0x1000, "x", 1),
		  "CD with the reserved TG0 value");
	expect_event(EVT_C_BAD_CD, 8, 0, "C_BAD_CD (TG0 3)");
	NT_EXPECT(EFAULT, nio_smmu_dma_write(ctl, 0, 0, 9, 0x1000, "x", 1),
		  "CD with T0SZ 40");
	expect_event(EVT_C_BAD_CD, 9, 0, "C_BAD_CD (T0SZ 40)");
	NT_EXPECT(EFAULT, nio_smmu_dma_write(ctl, 0, 0, 10, 0x1000, "x", 1),
		  "CD with T0SZ 15 (64K, no 52-bit VA)");
	expect_event(EVT_C_BAD_CD, 10, 0, "C_BAD_CD (T0SZ 15)");
	/* 16K, T0SZ 39: legal, one level; nothing mapped at VA 0x1000 */
	NT_EXPECT(EFAULT, nio_smmu_dma_write(ctl, 0, 0, 11, 0x1000, "x", 1),
		  "16K CD with T0SZ 39");
	expect_event(have16k ? EVT_F_TRANSLATION : EVT_C_BAD_CD, 11, 0x1000,
		     have16k ? "F_TRANSLATION (16K T0SZ 39 is legal)" :
			       "C_BAD_CD (16K off)");

	/*
	 * EPD0 = EPD1 = 1 with T0SZ 0: every address faults, and the walk
	 * must not shift by the 64-bit input size first (UBSAN shift report;
	 * run.sh builds the module with shift checks that trap)
	 */
	NT_EXPECT(EFAULT, nio_smmu_dma_write(ctl, 0, 0, 12, 0, "x", 1),
		  "CD with EPD0 = EPD1 = 1, T0SZ 0, VA 0");
	expect_event(EVT_F_TRANSLATION, 12, 0, "F_TRANSLATION (EPD0, T0SZ 0)");
	NT_EXPECT(EFAULT, nio_smmu_dma_write(ctl, 0, 0, 12, 0x1000, "x", 1),
		  "CD with EPD0 = EPD1 = 1, T0SZ 0, VA 0x1000");
	expect_event(EVT_F_TRANSLATION, 12, 0x1000,
		     "F_TRANSLATION (EPD0, T0SZ 0, VA 0x1000)");
	NT_EXPECT(EFAULT, nio_smmu_dma_write(ctl, 0, 0, 13, 0, "x", 1),
		  "CD with EPD0 = EPD1 = 1, T0SZ 0, TG0 3");
	expect_event(EVT_F_TRANSLATION, 13, 0, "F_TRANSLATION (EPD0, TG0 3)");

	NT_EXPECT(0, nt_detach(dev), "detach");
	close(evq);
	close(dev);
	close(fd);
	nio_smmu_close(ctl);
	return nt_done();
}
