// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestiommu.ko, step 4 and 6: real two-stage translation.
 *
 * A "guest" RAM (memfd) is mapped into the IOAS at IPA 0x40000000 as the
 * stage 2 (NEST_PARENT).  The test writes the guest's CD table and
 * stage-1 tables into it, creates the vIOMMU, vDEVICE, vEVENTQ and nested
 * HWPT, then has the endpoint DMA through the library's netlink client
 * and checks where the bytes land, the stale-TLB behaviour, each fault on
 * the vEVENTQ with the vSID, and MSI delivery in a moved window.
 */
#include <poll.h>
#include <sys/eventfd.h>

#include <nestiommu/smmu.h>

#include "nio_test.h"

#define GPA_BASE	0x40000000ULL
#define GPA_SIZE	(4ULL << 20)
#define VSID		0x10

/* Guest layout (offsets in guest RAM) */
#define CD_OFF		0x0000
#define L0_OFF		0x1000
#define L1_OFF		0x2000
#define L2_OFF		0x3000
#define L3_OFF		0x4000
#define L3B_OFF		0x5000		/* maps VA2: 512 pages */
#define DATA_OFF	0x10000

#define VA_BASE		0x10000000ULL	/* L0 0, L1 0, L2 0x80 */
#define VA2		0x10400000ULL	/* L2 0x82 */

/* Stage 1 descriptors */
#define D_VALID		(1ULL << 0)
#define D_TABLE		(1ULL << 1)
#define D_AP_UNPRIV	(1ULL << 6)
#define D_AP_RDONLY	(1ULL << 7)
#define D_AF		(1ULL << 10)
#define PAGE_RW		(D_VALID | D_TABLE | D_AF | D_AP_UNPRIV)
#define BLOCK_RW	(D_VALID | D_AF | D_AP_UNPRIV)

/* CD fields */
#define CD0_T0SZ(x)	((uint64_t)(x))
#define CD0_EPD1	(1ULL << 30)
#define CD0_V		(1ULL << 31)
#define CD0_IPS(x)	((uint64_t)(x) << 32)
#define CD0_AA64	(1ULL << 41)
#define CD0_ASID(x)	((uint64_t)(x) << 48)

#define EVT_C_BAD_STE		0x04
#define EVT_F_STREAM_DISABLED	0x06
#define EVT_C_BAD_SUBSTREAMID	0x08
#define EVT_C_BAD_CD		0x0a
#define EVT_F_TRANSLATION	0x10
#define EVT_F_ADDR_SIZE		0x11
#define EVT_F_ACCESS		0x12
#define EVT_F_PERMISSION	0x13

static uint8_t *gram;
static int fd, dev;
static uint32_t dev_id, viommu;
static int evq = -1;
static struct nio_smmu *ctl;

static uint64_t *g64(uint64_t off)
{
	return (uint64_t *)(gram + off);
}

/* Map VA_BASE + page*4K to guest offset @off with descriptor @attr */
static void s1_map(unsigned int page, uint64_t ipa, uint64_t attr)
{
	g64(L3_OFF)[page] = (ipa & ~0xfffULL) | attr;
}

static void write_cd(unsigned int ssid, unsigned int ips, unsigned int asid)
{
	uint64_t *cd = g64(CD_OFF + ssid * 64);

	memset(cd, 0, 64);
	cd[0] = CD0_T0SZ(16) | CD0_EPD1 | CD0_V | CD0_IPS(ips) | CD0_AA64 |
		CD0_ASID(asid);
	cd[1] = GPA_BASE + L0_OFF;
}

static void build_guest(void)
{
	memset(gram, 0, GPA_SIZE);
	write_cd(0, 5, 0x42);
	write_cd(1, 0, 0x43);	/* IPS 32 bits */
	/* CD 2 stays invalid; CD 3 leaves TTB1 enabled with T1SZ 0 */
	write_cd(3, 5, 0x45);
	*g64(CD_OFF + 3 * 64) &= ~CD0_EPD1;
	g64(L0_OFF)[0] = (GPA_BASE + L1_OFF) | D_VALID | D_TABLE;
	g64(L1_OFF)[0] = (GPA_BASE + L2_OFF) | D_VALID | D_TABLE;
	g64(L2_OFF)[0x80] = (GPA_BASE + L3_OFF) | D_VALID | D_TABLE;
	/* 2 MiB block: VA 0x10200000 -> IPA 0x40200000 */
	g64(L2_OFF)[0x81] = (GPA_BASE + 0x200000) | BLOCK_RW;
	g64(L2_OFF)[0x82] = (GPA_BASE + L3B_OFF) | D_VALID | D_TABLE;
	for (int i = 0; i < 512; i++)
		g64(L3B_OFF)[i] = (GPA_BASE + 0x100000 + i * 4096ULL) | PAGE_RW;
	s1_map(0, GPA_BASE + DATA_OFF, PAGE_RW);
	s1_map(1, GPA_BASE + DATA_OFF + 0x1000, PAGE_RW | D_AP_RDONLY);
	s1_map(2, GPA_BASE + DATA_OFF + 0x2000, PAGE_RW & ~D_AF);
	/* page 3: invalid */
	s1_map(4, 0x70000000, PAGE_RW);		/* not mapped by stage 2 */
	s1_map(5, 0x100000000ULL, PAGE_RW);	/* above a 32-bit IPS */
	s1_map(6, GPA_BASE + DATA_OFF + 0x6000, D_VALID | D_TABLE | D_AF);
	s1_map(8, 0x8000000, PAGE_RW);		/* MSI window (default) */
	s1_map(9, 0x9000000, PAGE_RW);		/* MSI window (moved) */
}

static int nested_hwpt(uint64_t s0, uint64_t s1, uint32_t *id)
{
	struct iommu_hwpt_arm_smmuv3 ste = { .ste = { s0, s1 } };

	return nt_hwpt_alloc(fd, dev_id, viommu, 0,
			     IOMMU_HWPT_DATA_ARM_SMMUV3, &ste, sizeof(ste),
			     id);
}

static int inv(uint64_t c0, uint64_t c1)
{
	uint64_t cmd[2] = { c0, c1 };
	uint32_t num = 1;

	return nt_invalidate(fd, viommu, cmd, sizeof(cmd), &num);
}

static int dma_w(uint32_t pasid, uint64_t iova, const void *buf, size_t len)
{
	return nio_smmu_dma_write(ctl, 0, 0, pasid, iova, buf, len);
}

static int dma_r(uint32_t pasid, uint64_t iova, void *buf, size_t len)
{
	return nio_smmu_dma_read(ctl, 0, 0, pasid, iova, buf, len);
}

/* Read one event from the vEVENTQ; 0 if none within the timeout */
static int read_event(uint64_t evt[4])
{
	struct pollfd p = { .fd = evq, .events = POLLIN };
	uint8_t buf[sizeof(struct iommufd_vevent_header) + 32];
	ssize_t n;

	if (poll(&p, 1, 200) <= 0)
		return 0;
	n = read(evq, buf, sizeof(buf));
	if (n != (ssize_t)sizeof(buf))
		return -1;
	memcpy(evt, buf + sizeof(struct iommufd_vevent_header), 32);
	return 1;
}

static void expect_event(unsigned int id, uint64_t addr, bool ssv,
			 uint32_t ssid, const char *what)
{
	uint64_t evt[4] = { 0 };
	int got = read_event(evt);

	NT_CHECK(got == 1, "%s: one event on the vEVENTQ", what);
	if (got != 1)
		return;
	NT_CHECK((evt[0] & 0xff) == id, "%s: event id 0x%02llx == 0x%02x",
		 what, (unsigned long long)(evt[0] & 0xff), id);
	NT_CHECK((evt[0] >> 32) == VSID, "%s: SID field is the vSID 0x%llx",
		 what, (unsigned long long)(evt[0] >> 32));
	NT_CHECK(!!(evt[0] & (1ULL << 11)) == ssv &&
		 (!ssv || ((evt[0] >> 12) & 0xfffff) == ssid),
		 "%s: SSV/SSID", what);
	if (id >= EVT_F_TRANSLATION)
		NT_CHECK(evt[2] == addr, "%s: address 0x%llx", what,
			 (unsigned long long)evt[2]);
	NT_CHECK(!(evt[1] & (1ULL << 39)), "%s: stage 1 (S2 clear)", what);
}

static void expect_no_event(const char *what)
{
	uint64_t evt[4];

	NT_CHECK(read_event(evt) == 0, "%s: nothing on the vEVENTQ", what);
}

static bool tlb_has(uint32_t asid, uint64_t iova, uint64_t ipa)
{
	struct nio_smmu_tlb_entry *e;
	bool found = false;
	size_t n, i;

	if (nio_smmu_tlb(ctl, 0, &e, &n))
		return false;
	for (i = 0; i < n; i++)
		if (e[i].asid == asid && e[i].iova == iova &&
		    (!ipa || e[i].ipa == ipa))
			found = true;
	free(e);
	return found;
}

static uint64_t eventfd_count(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&p, 1, 200) <= 0)
		return 0;
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

int main(void)
{
	const uint64_t ste0 = 1 | (5ULL << 1) | (GPA_BASE + CD_OFF) |
			      (2ULL << 59);	/* S1CDMax 2: 4 CDs */
	const uint64_t ste1 = 2;		/* S1DSS: SSID0 */
	uint32_t ioas = 0, s2 = 0, vdev = 0, h_s1 = 0, h_v0 = 0, h_abort = 0;
	uint32_t h_bypass = 0, evq_id = 0, pt;
	struct nio_smmu_device d;
	char buf[64];
	uint8_t rb[64];
	int mfd, efd1, efd2, ret;

	ret = nio_smmu_open(&ctl);
	if (ret)
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
	build_guest();

	NT_EXPECT(0, nt_bind(dev, fd, &dev_id), "bind");
	nt_nest_setup(fd, dev_id, gram, GPA_SIZE, GPA_BASE, VSID, &ioas, &s2,
		      &viommu, &vdev);
	NT_EXPECT(0, nt_veventq_alloc(fd, viommu,
				      IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 64,
				      &evq_id, &evq), "vEVENTQ");
	NT_EXPECT(0, nested_hwpt(ste0, ste1, &h_s1), "nested S1_TRANS");
	NT_EXPECT(0, nested_hwpt(0, 0, &h_v0), "nested V=0");
	NT_EXPECT(0, nested_hwpt(1, 0, &h_abort), "nested abort");
	NT_EXPECT(0, nested_hwpt(1 | (4ULL << 1), 0, &h_bypass),
		  "nested bypass");

	/* Blocked before attach */
	NT_EXPECT(EPERM, dma_r(NIO_SMMU_NO_PASID, VA_BASE, rb, 4),
		  "DMA while blocked");

	pt = h_s1;
	NT_EXPECT(0, nt_attach(dev, &pt), "attach nested S1");
	NT_EXPECT(0, nio_smmu_device_get(ctl, 0, 0, &d), "device dump");
	NT_CHECK(d.domain == NIO_SMMU_DOMAIN_NESTED && d.has_vsid &&
		 d.vsid == VSID && d.vmid,
		 "dump: nested, vSID 0x%x, VMID %u", d.vsid, d.vmid);
	NT_CHECK((d.ste[2] & 0xffff) == d.vmid, "STE.S2VMID is the VMID");
	NT_CHECK(((d.ste[0] >> 1) & 7) == 7 && (d.ste[1] & (1ULL << 19)),
		 "installed STE: Config NESTED, MEV (0x%llx 0x%llx)",
		 (unsigned long long)d.ste[0], (unsigned long long)d.ste[1]);

	/* Two-stage DMA lands at the right guest-physical address */
	strcpy(buf, "hello through two stages");
	NT_EXPECT(0, dma_w(NIO_SMMU_NO_PASID, VA_BASE + 0x10, buf,
			   strlen(buf) + 1), "DMA write VA 0x%llx",
		  VA_BASE + 0x10);
	NT_CHECK(!strcmp((char *)gram + DATA_OFF + 0x10, buf),
		 "bytes at IPA 0x%llx", GPA_BASE + DATA_OFF + 0x10);
	memset(rb, 0, sizeof(rb));
	NT_EXPECT(0, dma_r(NIO_SMMU_NO_PASID, VA_BASE + 0x10, rb,
			   strlen(buf) + 1), "DMA read back");
	NT_CHECK(!strcmp((char *)rb, buf), "read back matches");
	NT_CHECK(tlb_has(0x42, VA_BASE, GPA_BASE + DATA_OFF),
		 "TLB entry (ASID 0x42, VA, IPA)");
	NT_EXPECT(0, dma_w(NIO_SMMU_NO_PASID, VA_BASE + 0x200000 + 0x1234,
			   "blk", 4), "DMA through a 2 MiB block");
	NT_CHECK(!memcmp(gram + 0x201234, "blk", 4), "block lands at +0x201234");
	/*
	 * A TLBI that names only part of a block drops the whole block: DMA
	 * at block + 1 MiB caches it, the block moves to IPA 0, and
	 * TLBI_NH_VA with TG 0 (one 4 KiB page) at the block's base must
	 * make the next DMA at block + 1 MiB use the new block
	 */
	NT_EXPECT(0, dma_w(NIO_SMMU_NO_PASID, VA_BASE + 0x300010, "old", 4),
		  "DMA at block + 1 MiB");
	NT_CHECK(!memcmp(gram + 0x300010, "old", 4), "lands at +0x300010");
	g64(L2_OFF)[0x81] = GPA_BASE | BLOCK_RW;
	NT_EXPECT(0, inv(0x12 | (0x42ULL << 48), VA_BASE + 0x200000),
		  "TLBI_NH_VA TG 0 at the block's base");
	NT_EXPECT(0, dma_w(NIO_SMMU_NO_PASID, VA_BASE + 0x300010, "new", 4),
		  "DMA at block + 1 MiB after the remap");
	NT_CHECK(!memcmp(gram + 0x100010, "new", 4) &&
		 !memcmp(gram + 0x300010, "old", 4),
		 "the new block is used (whole block dropped)");
	g64(L2_OFF)[0x81] = (GPA_BASE + 0x200000) | BLOCK_RW;
	NT_EXPECT(0, inv(0x12 | (0x42ULL << 48), VA_BASE + 0x200000),
		  "TLBI_NH_VA TG 0: the block back at its IPA");
	memset(gram + 0x100010, 0, 4);
	/* A write spanning two pages: page 0 RW, page 1 read-only */
	NT_EXPECT(0, dma_r(NIO_SMMU_NO_PASID, VA_BASE + 0xff0, rb, 32),
		  "DMA read across pages 0-1");

	/* 512 more translations: a TLB dump that spans several messages */
	{
		struct nio_smmu_tlb_entry *e;
		unsigned int k, errs = 0, found = 0;
		size_t n;

		for (k = 0; k < 512; k++)
			if (dma_r(NIO_SMMU_NO_PASID, VA2 + k * 4096ULL, rb, 4))
				errs++;
		NT_CHECK(!errs, "512 DMAs through the second L3 table");
		NT_EXPECT(0, nio_smmu_tlb(ctl, 0, &e, &n), "TLB dump");
		for (k = 0; k < n; k++)
			if (e[k].asid == 0x42 && e[k].iova >= VA2 &&
			    e[k].iova < VA2 + 512 * 4096ULL &&
			    e[k].ipa == GPA_BASE + 0x100000 + (e[k].iova - VA2))
				found++;
		NT_CHECK(found == 512, "all 512 entries in the dump (%u of %zu)",
			 found, n);
		free(e);
		NT_EXPECT(0, inv(0x12 | (0x42ULL << 48) |
				 (31ULL << 12) | (4ULL << 20),
				 VA2 | (1ULL << 10)),
			  "TLBI_NH_VA range: NUM 31 SCALE 4 (512 pages)");
		NT_EXPECT(0, nio_smmu_tlb(ctl, 0, &e, &n), "TLB dump");
		for (k = 0, found = 0; k < n; k++)
			if (e[k].iova >= VA2 && e[k].iova < VA2 + 512 * 4096ULL)
				found++;
		NT_CHECK(found == 0, "range invalidation dropped them (%u left)",
			 found);
		free(e);
	}

	/* Stale TLB: change the PTE, no invalidation -> old page */
	s1_map(0, GPA_BASE + DATA_OFF + 0x3000, PAGE_RW);
	NT_EXPECT(0, dma_w(NIO_SMMU_NO_PASID, VA_BASE, "stale", 6),
		  "DMA after PTE change without TLBI");
	NT_CHECK(!memcmp(gram + DATA_OFF, "stale", 6),
		 "stale translation used (old page written)");
	NT_EXPECT(0, inv(0x12 | (0x42ULL << 48), VA_BASE), "TLBI_NH_VA");
	NT_EXPECT(0, dma_w(NIO_SMMU_NO_PASID, VA_BASE, "fresh", 6),
		  "DMA after TLBI_NH_VA");
	NT_CHECK(!memcmp(gram + DATA_OFF + 0x3000, "fresh", 6),
		 "new translation used");
	/* TLBI_NH_ASID, NH_ALL, NSNH_ALL each drop the entry */
	NT_EXPECT(0, inv(0x11 | (0x42ULL << 48), 0), "TLBI_NH_ASID");
	NT_CHECK(!tlb_has(0x42, VA_BASE, 0), "entry gone after NH_ASID");
	dma_r(NIO_SMMU_NO_PASID, VA_BASE, rb, 4);
	NT_EXPECT(0, inv(0x30, 0), "TLBI_NSNH_ALL");
	NT_CHECK(!tlb_has(0x42, VA_BASE, 0), "entry gone after NSNH_ALL");
	dma_r(NIO_SMMU_NO_PASID, VA_BASE, rb, 4);
	NT_EXPECT(0, inv(0x13, VA_BASE), "TLBI_NH_VAA");
	NT_CHECK(!tlb_has(0x42, VA_BASE, 0), "entry gone after NH_VAA");

	/* CD cache: a new ASID is seen only after CFGI_CD */
	write_cd(0, 5, 0x44);
	NT_EXPECT(0, inv(0x10, 0), "TLBI_NH_ALL");
	dma_r(NIO_SMMU_NO_PASID, VA_BASE, rb, 4);
	NT_CHECK(tlb_has(0x42, VA_BASE, 0) && !tlb_has(0x44, VA_BASE, 0),
		 "cached CD still used (ASID 0x42)");
	NT_EXPECT(0, inv(0x05 | ((uint64_t)VSID << 32), 1), "CFGI_CD vSID");
	dma_r(NIO_SMMU_NO_PASID, VA_BASE, rb, 4);
	NT_CHECK(tlb_has(0x44, VA_BASE, 0), "new CD used (ASID 0x44)");
	write_cd(0, 5, 0x42);
	NT_EXPECT(0, inv(0x06 | ((uint64_t)VSID << 32), 0), "CFGI_CD_ALL");

	/* Faults: each on the vEVENTQ with the vSID */
	expect_no_event("before faults");
	NT_EXPECT(EFAULT, dma_r(NIO_SMMU_NO_PASID, VA_BASE + 0x3000, rb, 4),
		  "DMA to an invalid S1 PTE");
	expect_event(EVT_F_TRANSLATION, VA_BASE + 0x3000, false, 0,
		     "F_TRANSLATION");
	NT_EXPECT(0, nio_smmu_device_get(ctl, 0, 0, &d), "device dump");
	NT_CHECK(d.has_event && (d.event[0] & 0xff) == EVT_F_TRANSLATION,
		 "last event in the device dump");
	NT_EXPECT(0, dma_r(NIO_SMMU_NO_PASID, VA_BASE + 0x1000, rb, 4),
		  "read of a read-only page");
	NT_EXPECT(EFAULT, dma_w(NIO_SMMU_NO_PASID, VA_BASE + 0x1008, "x", 1),
		  "write to a read-only page");
	expect_event(EVT_F_PERMISSION, VA_BASE + 0x1008, false, 0,
		     "F_PERMISSION (AP[2])");
	NT_EXPECT(EFAULT, dma_r(NIO_SMMU_NO_PASID, VA_BASE + 0x6000, rb, 4),
		  "read of a privileged-only page");
	expect_event(EVT_F_PERMISSION, VA_BASE + 0x6000, false, 0,
		     "F_PERMISSION (AP[1])");
	NT_EXPECT(EFAULT, dma_r(NIO_SMMU_NO_PASID, VA_BASE + 0x2000, rb, 4),
		  "DMA to a PTE with AF=0");
	expect_event(EVT_F_ACCESS, VA_BASE + 0x2000, false, 0, "F_ACCESS");
	NT_EXPECT(EFAULT, dma_r(1, VA_BASE + 0x5000, rb, 4),
		  "SSID 1 (IPS 32 bits) to IPA 4 GiB");
	expect_event(EVT_F_ADDR_SIZE, VA_BASE + 0x5000, true, 1,
		     "F_ADDR_SIZE");
	NT_EXPECT(EFAULT, dma_r(NIO_SMMU_NO_PASID, 1ULL << 48, rb, 4),
		  "VA above T0SZ");
	expect_event(EVT_F_TRANSLATION, 1ULL << 48, false, 0,
		     "F_TRANSLATION (input range)");
	NT_EXPECT(EFAULT, dma_r(2, VA_BASE, rb, 4), "SSID 2: CD V=0");
	expect_event(EVT_C_BAD_CD, 0, true, 2, "C_BAD_CD");
	NT_EXPECT(EFAULT, dma_r(3, VA_BASE, rb, 4),
		  "SSID 3: CD with EPD1=0 and T1SZ=0 (CdIllegal)");
	expect_event(EVT_C_BAD_CD, 0, true, 3, "C_BAD_CD (T1SZ)");
	NT_EXPECT(EFAULT, dma_r(5, VA_BASE, rb, 4), "SSID 5 >= 2^S1CDMax");
	expect_event(EVT_C_BAD_SUBSTREAMID, 0, true, 5, "C_BAD_SUBSTREAMID");
	NT_EXPECT(0, dma_r(1, VA_BASE, rb, 4), "SSID 1 translates (CD 1)");
	NT_CHECK(tlb_has(0x43, VA_BASE, 0), "TLB entry of ASID 0x43");
	/* Stage 2 fault: host log, not the vEVENTQ */
	NT_EXPECT(EFAULT, dma_r(NIO_SMMU_NO_PASID, VA_BASE + 0x4000, rb, 4),
		  "S1 output not mapped by stage 2");
	expect_no_event("stage 2 fault");
	NT_EXPECT(0, nio_smmu_device_get(ctl, 0, 0, &d), "device dump");
	NT_CHECK(d.has_event && (d.event[1] & (1ULL << 39)) &&
		 ((d.event[3] & ~0xfffULL) == 0x70000000),
		 "last event: S2 fault, IPA 0x70000000");

	/* C_BAD_STE after replace with V=0; abort is silent */
	pt = h_v0;
	NT_EXPECT(0, nt_attach(dev, &pt), "replace with nested V=0");
	NT_EXPECT(EFAULT, dma_r(NIO_SMMU_NO_PASID, VA_BASE, rb, 4),
		  "DMA with V=0");
	expect_event(EVT_C_BAD_STE, 0, false, 0, "C_BAD_STE");
	{
		uint32_t h;

		NT_EXPECT(0, nested_hwpt(ste0 | (17ULL << 59), ste1, &h),
			  "nested S1CDMax 17 (accepted by the vSTE checks)");
		pt = h;
		NT_EXPECT(0, nt_attach(dev, &pt), "replace");
		NT_EXPECT(EFAULT, dma_r(NIO_SMMU_NO_PASID, VA_BASE, rb, 4),
			  "DMA with S1CDMax 17 > SSIDSIZE 16");
		expect_event(EVT_C_BAD_STE, 0, false, 0,
			     "C_BAD_STE (S1CDMax)");
		NT_EXPECT(0, nested_hwpt(ste0, 3, &h), "nested S1DSS 3");
		pt = h;
		NT_EXPECT(0, nt_attach(dev, &pt), "replace");
		NT_EXPECT(EFAULT, dma_r(NIO_SMMU_NO_PASID, VA_BASE, rb, 4),
			  "DMA with the reserved S1DSS value");
		expect_event(EVT_C_BAD_STE, 0, false, 0, "C_BAD_STE (S1DSS)");
		NT_EXPECT(0, nested_hwpt(ste0 | (1ULL << 4), ste1, &h),
			  "nested S1Fmt 4K_L2");
		pt = h;
		NT_EXPECT(0, nt_attach(dev, &pt), "replace");
		NT_EXPECT(EFAULT, dma_r(NIO_SMMU_NO_PASID, VA_BASE, rb, 4),
			  "DMA with a 2-level CD table (no CD2L)");
		expect_event(EVT_C_BAD_STE, 0, false, 0, "C_BAD_STE (S1Fmt)");
	}
	pt = h_abort;
	NT_EXPECT(0, nt_attach(dev, &pt), "replace with nested abort");
	NT_EXPECT(EPERM, dma_r(NIO_SMMU_NO_PASID, VA_BASE, rb, 4),
		  "DMA with abort STE");
	expect_no_event("abort");
	pt = h_bypass;
	NT_EXPECT(0, nt_attach(dev, &pt), "replace with nested bypass");
	NT_EXPECT(0, dma_r(NIO_SMMU_NO_PASID, GPA_BASE + DATA_OFF + 0x10, rb,
			   6), "bypass: DMA at the IPA (stage 2 only)");
	NT_CHECK(!memcmp(rb, "hello", 5), "bypass reads guest RAM");

	/* MSI: default window, then moved */
	efd1 = eventfd(0, EFD_NONBLOCK);
	efd2 = eventfd(0, EFD_NONBLOCK);
	pt = h_s1;
	NT_EXPECT(0, nt_attach(dev, &pt), "back to nested S1");
	NT_EXPECT(0, nio_smmu_set_msi(ctl, 0, 0, 1, VA_BASE + 0x8000, efd1,
				      false), "MSI vector 1 -> VA page 8");
	NT_EXPECT(0, nio_smmu_msi_trigger(ctl, 0, 0, 1), "trigger MSI 1");
	NT_CHECK(eventfd_count(efd1) == 1, "eventfd of vector 1 signalled");
	NT_EXPECT(EBUSY, nio_smmu_set_msi_window(ctl, 0, 0x9000000, 0x100000),
		  "move the MSI window while attached");
	NT_EXPECT(0, nt_detach(dev), "detach");
	NT_EXPECT(0, nio_smmu_set_msi_window(ctl, 0, 0x9000000, 0x100000),
		  "move the MSI window to 0x9000000");
	NT_EXPECT(0, nt_attach(dev, &pt), "re-attach nested S1");
	{
		NT_EXPECT(EINVAL, nt_ioas_map(fd, ioas, gram, 4096, 0x9000000,
					      IOMMU_IOAS_MAP_READABLE),
			  "moved window is reserved in the IOAS");
		NT_EXPECT(0, nt_ioas_map(fd, ioas, gram, 4096, 0x8000000,
					 IOMMU_IOAS_MAP_READABLE),
			  "old window is mappable again");
		NT_EXPECT(0, nt_ioas_unmap(fd, ioas, 0x8000000, 4096),
			  "unmap it");
	}
	NT_EXPECT(0, nio_smmu_set_msi(ctl, 0, 0, 2, VA_BASE + 0x9000, efd2,
				      false), "MSI vector 2 -> VA page 9");
	NT_EXPECT(0, nio_smmu_msi_trigger(ctl, 0, 0, 2), "trigger MSI 2");
	NT_CHECK(eventfd_count(efd2) == 1, "eventfd of vector 2 signalled");
	NT_EXPECT(EFAULT, nio_smmu_msi_trigger(ctl, 0, 0, 1),
		  "vector 1 now points outside the window (S2 fault)");
	NT_CHECK(eventfd_count(efd1) == 0, "vector 1 not signalled");
	NT_EXPECT(0, nio_smmu_set_msi(ctl, 0, 0, 2, 0, -1, false),
		  "unregister vector 2");
	NT_EXPECT(0, nt_detach(dev), "detach");
	NT_EXPECT(0, nio_smmu_set_msi_window(ctl, 0, 0x8000000, 0x100000),
		  "window back to the default");

	/* Stage 2 unmap drops cached translations (no use after unpin) */
	NT_EXPECT(0, nt_attach(dev, &pt), "attach nested S1");
	NT_EXPECT(0, dma_r(NIO_SMMU_NO_PASID, VA_BASE, rb, 4), "DMA");
	NT_EXPECT(0, nt_ioas_unmap(fd, ioas, GPA_BASE, GPA_SIZE),
		  "unmap the guest RAM from stage 2");
	NT_CHECK(!tlb_has(0x42, VA_BASE, 0), "TLB flushed by the S2 unmap");
	NT_EXPECT(EFAULT, dma_r(NIO_SMMU_NO_PASID, VA_BASE, rb, 4),
		  "DMA after the S2 unmap faults");

	/* Teardown with everything live: closing the fd frees it all */
	close(efd1);
	close(efd2);
	close(evq);
	close(dev);
	close(fd);
	nio_smmu_close(ctl);
	return nt_done();
}
