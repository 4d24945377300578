// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestiommu.ko PCIe functions (module loaded with pci_devices=2, 2 or more
 * instances, 4 platform endpoints each: the functions are endpoints 4 and
 * 5 of their instance).
 *
 * Topology through sysfs and netlink (IDs, class, capabilities, one IOMMU
 * group each, the right instance, StreamID = RID), then function 0 of
 * instance 0 is bound to vfio-pci and driven as a VMM would: the VFIO cdev
 * bound to an iommufd, a nest-parent stage 2 over a memfd "guest RAM", a
 * vIOMMU, vDEVICE, vEVENTQ and nested stage 1, and the DMA engine started
 * through the VFIO config region (kernel/nestiommu_pci_regs.h).  Checks:
 * the bytes land where the stage-1 and stage-2 tables say; Bus Master off,
 * bad length, alignment, wrap, op and PASID complete with an error and no
 * DMA; a fault reaches the vEVENTQ with the vSID and the FAULT registers;
 * removal is refused while the function is in use; unbinding while open
 * goes through vfio-pci's request eventfd; a removal that has to wait for
 * a user does not hold the module's global lock and completes once the
 * user lets go.
 */
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>

#include <linux/pci_regs.h>
#include <nestiommu/smmu.h>

#include "nio_test.h"
#include "../../kernel/nestiommu_pci_regs.h"

#define PLATFORM_EPS	4		/* the module's default devices=4 */
#define NFN		2		/* pci_devices=2 */

#define GPA_BASE	0x40000000ULL
#define GPA_SIZE	(4ULL << 20)
#define VSID		0x21

#define CD_OFF		0x0000
#define L0_OFF		0x1000
#define L1_OFF		0x2000
#define L2_OFF		0x3000
#define L3_OFF		0x4000
#define L3B_OFF		0x5000
#define DATA_OFF	0x10000

#define VA_BASE		0x10000000ULL	/* L3_OFF: 4 KiB pages */
#define VA_BLOCK	0x10200000ULL	/* 2 MiB block at GPA + 2 MiB */
#define VA2		0x10400000ULL	/* L3B_OFF: GPA + 1 MiB + 4K * i */

#define D_VALID		(1ULL << 0)
#define D_TABLE		(1ULL << 1)
#define D_AP_UNPRIV	(1ULL << 6)
#define D_AP_RDONLY	(1ULL << 7)
#define D_AF		(1ULL << 10)
#define PAGE_RW		(D_VALID | D_TABLE | D_AF | D_AP_UNPRIV)
#define BLOCK_RW	(D_VALID | D_AF | D_AP_UNPRIV)

#define EVT_F_TRANSLATION	0x10
#define EVT_F_PERMISSION	0x13

struct fn {
	char bdf[16];
	unsigned int instance, slot;
};

static struct fn fns[64];

/* Copy a name that must fit */
static int copy_name(char *out, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (n >= len)
		return -1;
	memcpy(out, name, n + 1);
	return 0;
}
static unsigned int nfns;
static uint8_t *gram;
static int fd = -1, dev = -1, evq = -1;
static uint64_t cfg_off;
static struct nio_smmu *ctl;

static uint64_t *g64(uint64_t off)
{
	return (uint64_t *)(gram + off);
}

static int read_sysfs(const char *bdf, const char *attr, char *buf,
		      size_t len)
{
	char path[256];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	f = open(path, O_RDONLY);
	if (f < 0)
		return -1;
	n = read(f, buf, len - 1);
	close(f);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return (int)n;
}

static unsigned long sysfs_ul(const char *bdf, const char *attr)
{
	char buf[64];

	if (read_sysfs(bdf, attr, buf, sizeof(buf)) < 0)
		return ~0UL;
	return strtoul(buf, NULL, 0);
}

static int write_file(const char *path, const char *val)
{
	ssize_t n;
	int f = open(path, O_WRONLY);

	if (f < 0)
		return -1;
	n = write(f, val, strlen(val));
	close(f);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* basename of a sysfs link of the function, e.g. its iommu_group */
static int link_name(const char *bdf, const char *attr, char *out, size_t len)
{
	char path[256], target[256];
	ssize_t n;
	char *s;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = 0;
	s = strrchr(target, '/');
	return copy_name(out, len, s ? s + 1 : target);
}

/* The functions, each with its instance from the iommu class device */
static void find_functions(void)
{
	struct dirent *de;
	DIR *d = opendir("/sys/bus/pci/devices");

	if (!d)
		nt_die("/sys/bus/pci/devices");
	while ((de = readdir(d)) && nfns < 64) {
		struct fn *f = &fns[nfns];
		char iommu[64];
		unsigned int dom, bus, slot, func;

		if (de->d_name[0] == '.' ||
		    sysfs_ul(de->d_name, "vendor") != NIO_PCI_VENDOR_ID ||
		    sysfs_ul(de->d_name, "device") != NIO_PCI_DEVICE_ID ||
		    copy_name(f->bdf, sizeof(f->bdf), de->d_name))
			continue;
		if (sscanf(f->bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &func) != 4 ||
		    link_name(f->bdf, "iommu", iommu, sizeof(iommu)) ||
		    sscanf(iommu, "nestiommu.%u", &f->instance) != 1)
			f->instance = ~0u;
		f->slot = slot;
		nfns++;
	}
	closedir(d);
}

static struct fn *fn_of(unsigned int instance, unsigned int slot)
{
	for (unsigned int i = 0; i < nfns; i++)
		if (fns[i].instance == instance && fns[i].slot == slot)
			return &fns[i];
	return NULL;
}

static void check_topology(void)
{
	char groups[64][32];
	unsigned int i, j, inst;

	find_functions();
	NT_CHECK(nfns >= 2 * NFN && nfns % NFN == 0,
		 "%u PCIe functions 1b36:11e5 (%u per instance)", nfns, NFN);
	for (i = 0; i < nfns; i++) {
		struct fn *f = &fns[i];
		unsigned int dom, bus, slot, func;
		struct nio_smmu_device d;

		sscanf(f->bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &func);
		NT_CHECK(f->instance != ~0u && dom <= 0xffff && bus == 0 &&
			 func == 0 && slot < NFN,
			 "%s: served by nestiommu.%u, domain <= 0xffff, bus 00, function 0",
			 f->bdf, f->instance);
		NT_CHECK(sysfs_ul(f->bdf, "class") == NIO_PCI_CLASS,
			 "%s: class 0x%06x", f->bdf, NIO_PCI_CLASS);
		NT_CHECK(sysfs_ul(f->bdf, "irq") == 0, "%s: no INTx", f->bdf);
		NT_CHECK(!link_name(f->bdf, "iommu_group", groups[i],
				    sizeof(groups[i])), "%s: iommu group %s",
			 f->bdf, groups[i]);
		for (j = 0; j < i; j++)
			if (!strcmp(groups[i], groups[j]))
				break;
		NT_CHECK(j == i, "%s: group not shared", f->bdf);
		/* StreamID = RID (bus 0: the devfn), as the module reports */
		NT_EXPECT(0, nio_smmu_device_get(ctl, f->instance,
						 PLATFORM_EPS + slot, &d),
			  "%s: netlink device %u.%u", f->bdf, f->instance,
			  PLATFORM_EPS + slot);
		NT_CHECK(d.sid == slot << 3,
			 "%s: StreamID 0x%x == RID 0x%x", f->bdf, d.sid, slot << 3);
	}
	/* Config space as lspci would walk it (sysfs config, root only) */
	{
		uint8_t c[256];
		int f;
		char path[256];

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config",
			 fns[0].bdf);
		f = open(path, O_RDONLY);
		NT_CHECK(f >= 0 && pread(f, c, 256, 0) == 256,
			 "read config space");
		if (f >= 0)
			close(f);
		NT_CHECK((c[PCI_HEADER_TYPE] & 0x7f) == 0 &&
			 c[PCI_INTERRUPT_PIN] == 0 &&
			 !c[PCI_BASE_ADDRESS_0] && !c[PCI_BASE_ADDRESS_5] &&
			 (c[PCI_STATUS] & PCI_STATUS_CAP_LIST),
			 "type-0 header, no INTx pin, no BARs, capability list");
		NT_CHECK(c[PCI_CAPABILITY_LIST] == NIO_PCI_CAP_EXP &&
			 c[NIO_PCI_CAP_EXP] == PCI_CAP_ID_EXP &&
			 (c[NIO_PCI_CAP_EXP + PCI_EXP_FLAGS] & 0xf) == 2 &&
			 (c[NIO_PCI_CAP_EXP + PCI_EXP_FLAGS] >> 4) ==
			 PCI_EXP_TYPE_ENDPOINT,
			 "PCI Express capability v2, endpoint, at 0x%x",
			 NIO_PCI_CAP_EXP);
		NT_CHECK(c[NIO_PCI_CAP_EXP + 1] == NIO_PCI_CAP_DMA &&
			 c[NIO_PCI_CAP_DMA] == PCI_CAP_ID_VNDR &&
			 c[NIO_PCI_CAP_DMA + 2] == NIO_PCI_DMA_CAP_LEN &&
			 c[NIO_PCI_CAP_DMA + 3] == NIO_PCI_DMA_CAP_VERSION &&
			 c[NIO_PCI_CAP_DMA + 1] == 0,
			 "vendor capability (DMA engine v%u) at 0x%x, last",
			 NIO_PCI_DMA_CAP_VERSION, NIO_PCI_CAP_DMA);
	}
	for (inst = 0; inst < 2; inst++)
		for (i = 0; i < NFN; i++)
			NT_CHECK(fn_of(inst, i), "instance %u has function %u",
				 inst, i);
}

/* Bind @bdf to vfio-pci with driver_override; open its cdev */
static int open_vfio(const char *bdf)
{
	char path[256], name[32] = "";
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	if (write_file(path, "vfio-pci") ||
	    write_file("/sys/bus/pci/drivers_probe", bdf))
		return -1;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "vfio", 4))
			copy_name(name, sizeof(name), de->d_name);
	closedir(d);
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	return name[0] ? open(path, O_RDWR) : -1;
}

/* ------------------------------------------------------------------ */
/* The guest: tables as in nio_nested                                  */

static void build_guest(void)
{
	uint64_t *cd = g64(CD_OFF);

	memset(gram, 0, GPA_SIZE);
	/* CD 0: T0SZ 16, EPD1, V, IPS 48, AA64, ASID 0x42, TTB0 */
	cd[0] = 16 | (1ULL << 30) | (1ULL << 31) | (5ULL << 32) |
		(1ULL << 41) | (0x42ULL << 48);
	cd[1] = GPA_BASE + L0_OFF;
	g64(L0_OFF)[0] = (GPA_BASE + L1_OFF) | D_VALID | D_TABLE;
	g64(L1_OFF)[0] = (GPA_BASE + L2_OFF) | D_VALID | D_TABLE;
	g64(L2_OFF)[0x80] = (GPA_BASE + L3_OFF) | D_VALID | D_TABLE;
	g64(L2_OFF)[0x81] = (GPA_BASE + 0x200000) | BLOCK_RW;
	g64(L2_OFF)[0x82] = (GPA_BASE + L3B_OFF) | D_VALID | D_TABLE;
	for (int i = 0; i < 512; i++)
		g64(L3B_OFF)[i] = (GPA_BASE + 0x100000 + i * 4096ULL) | PAGE_RW;
	g64(L3_OFF)[0] = (GPA_BASE + DATA_OFF) | PAGE_RW;
	g64(L3_OFF)[1] = (GPA_BASE + DATA_OFF + 0x1000) | PAGE_RW | D_AP_RDONLY;
	/* page 3: invalid */
}

/* ------------------------------------------------------------------ */
/* The DMA engine through the VFIO config region                      */

static int cfg_read(unsigned int off, void *buf, size_t len)
{
	return pread(dev, buf, len, cfg_off + off) == (ssize_t)len ? 0 : -1;
}

static int cfg_write(unsigned int off, const void *buf, size_t len)
{
	return pwrite(dev, buf, len, cfg_off + off) == (ssize_t)len ? 0 : -1;
}

static uint32_t reg_r(unsigned int reg)
{
	uint32_t v = ~0u;

	if (cfg_read(NIO_PCI_CAP_DMA + reg, &v, 4))
		return ~0u;
	return v;
}

static int reg_w(unsigned int reg, uint32_t v)
{
	return cfg_write(NIO_PCI_CAP_DMA + reg, &v, 4);
}

static int set_master(bool on)
{
	uint16_t cmd;

	if (cfg_read(PCI_COMMAND, &cmd, 2))
		return -1;
	cmd = on ? cmd | PCI_COMMAND_MASTER : cmd & ~PCI_COMMAND_MASTER;
	return cfg_write(PCI_COMMAND, &cmd, 2);
}

struct xfer {
	uint32_t op;
	uint64_t src, dst;
	uint32_t len;
	uint32_t pasid;
	uint32_t data;
};

/* Program, ring, wait (5 s at most); the final STATUS */
static uint32_t dma(const struct xfer *x)
{
	struct timespec t0, t;
	uint32_t st;

	if (reg_w(NIO_PCI_DMA_SRC_LO, (uint32_t)x->src) ||
	    reg_w(NIO_PCI_DMA_SRC_HI, (uint32_t)(x->src >> 32)) ||
	    reg_w(NIO_PCI_DMA_DST_LO, (uint32_t)x->dst) ||
	    reg_w(NIO_PCI_DMA_DST_HI, (uint32_t)(x->dst >> 32)) ||
	    reg_w(NIO_PCI_DMA_LEN, x->len) ||
	    reg_w(NIO_PCI_DMA_PASID, x->pasid) ||
	    reg_w(NIO_PCI_DMA_OP, x->op) ||
	    reg_w(NIO_PCI_DMA_DATA, x->data) ||
	    reg_w(NIO_PCI_DMA_DOORBELL, NIO_PCI_DMA_DOORBELL_GO))
		return ~0u;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		st = reg_r(NIO_PCI_DMA_STATUS);
		if (st == ~0u || !(st & NIO_PCI_DMA_STATUS_BUSY))
			return st;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5)
			return st;
		usleep(1000);
	}
}

#define DONE(code)	(NIO_PCI_DMA_STATUS_DONE | (code))

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

/* A request the engine must refuse: error code, no DMA, no event */
static void refused(const struct xfer *x, uint32_t code, const char *what)
{
	uint8_t before[256];
	uint64_t evt[4];
	uint32_t st;

	memcpy(before, gram + DATA_OFF, sizeof(before));
	st = dma(x);
	NT_CHECK(st == DONE(code), "%s: STATUS 0x%08x == DONE|%u", what, st,
		 code);
	NT_CHECK(reg_r(NIO_PCI_DMA_RESULT) == 0, "%s: RESULT 0", what);
	NT_CHECK(!memcmp(before, gram + DATA_OFF, sizeof(before)),
		 "%s: no byte written", what);
	NT_CHECK(read_event(evt) == 0, "%s: no event", what);
}

static void test_engine(uint32_t h_s1, uint32_t h_abort)
{
	struct xfer x = { 0 };
	uint64_t evt[4] = { 0 };
	uint32_t st, pt;
	unsigned int i;
	bool ok;

	NT_EXPECT(0, set_master(true), "Bus Master Enable on");

	/* FILL: VA page 0 -> IPA GPA + DATA_OFF */
	x = (struct xfer){ .op = NIO_PCI_DMA_OP_FILL, .dst = VA_BASE + 0x100,
			   .len = 64, .data = 0xa5c3e10fu };
	st = dma(&x);
	NT_CHECK(st == DONE(NIO_PCI_DMA_OK), "FILL: STATUS 0x%08x", st);
	NT_CHECK(reg_r(NIO_PCI_DMA_RESULT) == 64, "FILL: RESULT 64");
	for (i = 0, ok = true; i < 16; i++)
		ok &= *(uint32_t *)(gram + DATA_OFF + 0x100 + 4 * i) ==
		      0xa5c3e10fu;
	NT_CHECK(ok && gram[DATA_OFF + 0xff] == 0 &&
		 gram[DATA_OFF + 0x140] == 0,
		 "FILL landed at IPA 0x%llx, 64 bytes exactly",
		 GPA_BASE + DATA_OFF + 0x100);

	/* COPY 12 KiB + 8 across pages of the second L3 table to the block */
	for (i = 0; i < 0x3008; i++)
		gram[0x100000 + 0x800 + i] = (uint8_t)(i * 7 + 1);
	x = (struct xfer){ .op = NIO_PCI_DMA_OP_COPY, .src = VA2 + 0x800,
			   .dst = VA_BLOCK + 0x3004, .len = 0x3008 };
	st = dma(&x);
	NT_CHECK(st == DONE(NIO_PCI_DMA_OK), "COPY 0x3008 bytes: STATUS 0x%08x",
		 st);
	NT_CHECK(reg_r(NIO_PCI_DMA_RESULT) == 0x3008, "COPY: RESULT 0x3008");
	NT_CHECK(!memcmp(gram + 0x200000 + 0x3004, gram + 0x100800, 0x3008) &&
		 gram[0x200000 + 0x3003] == 0 && gram[0x200000 + 0x600c] == 0,
		 "COPY: IPA 0x%llx -> 0x%llx byte for byte (pages and block)",
		 GPA_BASE + 0x100800, GPA_BASE + 0x203004);

	/* READ: RESULT counts the bytes read */
	x = (struct xfer){ .op = NIO_PCI_DMA_OP_READ, .src = VA_BASE,
			   .len = 4096 };
	NT_CHECK(dma(&x) == DONE(NIO_PCI_DMA_OK) &&
		 reg_r(NIO_PCI_DMA_RESULT) == 4096, "READ 4 KiB");

	/* Malformed requests: error status, no DMA, no event */
	x = (struct xfer){ .op = NIO_PCI_DMA_OP_FILL, .dst = VA_BASE,
			   .len = 64, .data = 0xffffffff };
	NT_EXPECT(0, set_master(false), "Bus Master Enable off");
	refused(&x, NIO_PCI_DMA_ERR_NO_MASTER, "BME off");
	NT_EXPECT(0, set_master(true), "Bus Master Enable on");
	x.len = 0;
	refused(&x, NIO_PCI_DMA_ERR_LEN, "LEN 0");
	x.len = NIO_PCI_DMA_MAX_LEN + 4;
	refused(&x, NIO_PCI_DMA_ERR_LEN, "LEN above the maximum");
	x.len = 6;
	refused(&x, NIO_PCI_DMA_ERR_ALIGN, "LEN 6");
	x.len = 64;
	x.dst = VA_BASE + 2;
	refused(&x, NIO_PCI_DMA_ERR_ALIGN, "DST unaligned");
	x.op = NIO_PCI_DMA_OP_COPY;
	x.dst = VA_BASE;
	x.src = VA2 + 1;
	refused(&x, NIO_PCI_DMA_ERR_ALIGN, "SRC unaligned");
	x.src = 0xfffffffffffff000ULL;
	x.len = 0x2000;
	refused(&x, NIO_PCI_DMA_ERR_WRAP, "SRC range wraps");
	x.op = NIO_PCI_DMA_OP_FILL;
	x.dst = 0xfffffffffffffff0ULL;
	x.len = 0x20;
	refused(&x, NIO_PCI_DMA_ERR_WRAP, "DST range wraps");
	x.dst = VA_BASE;
	x.op = 9;
	refused(&x, NIO_PCI_DMA_ERR_OP, "unknown OP");
	x.op = NIO_PCI_DMA_OP_FILL;
	x.pasid = NIO_PCI_DMA_PASID_VALID | 1;
	refused(&x, NIO_PCI_DMA_ERR_PASID, "PASID (no PASID capability)");

	/* A fault: page 3 is invalid in stage 1 */
	x = (struct xfer){ .op = NIO_PCI_DMA_OP_FILL, .dst = VA_BASE + 0x3010,
			   .len = 16, .data = 1 };
	st = dma(&x);
	NT_CHECK(st == DONE(NIO_PCI_DMA_ERR_FAULT), "fault: STATUS 0x%08x",
		 st);
	NT_CHECK(reg_r(NIO_PCI_DMA_FAULT_LO) == (uint32_t)(VA_BASE + 0x3010) &&
		 reg_r(NIO_PCI_DMA_FAULT_HI) == 0 &&
		 reg_r(NIO_PCI_DMA_RESULT) == 0,
		 "fault: FAULT_LO/HI = the IOVA, RESULT 0");
	NT_CHECK(read_event(evt) == 1 && (evt[0] & 0xff) == EVT_F_TRANSLATION &&
		 (evt[0] >> 32) == VSID && evt[2] == VA_BASE + 0x3010,
		 "fault: F_TRANSLATION with vSID 0x%x and the IOVA on the vEVENTQ",
		 VSID);

	/* Partly done: page 0 writable, page 1 read-only in stage 1 */
	x = (struct xfer){ .op = NIO_PCI_DMA_OP_FILL, .dst = VA_BASE + 0xff0,
			   .len = 32, .data = 0x5a5a5a5a };
	st = dma(&x);
	NT_CHECK(st == DONE(NIO_PCI_DMA_ERR_FAULT) &&
		 reg_r(NIO_PCI_DMA_RESULT) == 16 &&
		 reg_r(NIO_PCI_DMA_FAULT_LO) == (uint32_t)(VA_BASE + 0x1000),
		 "write across into a read-only page: 16 bytes, then a fault at its start");
	NT_CHECK(*(uint32_t *)(gram + DATA_OFF + 0xffc) == 0x5a5a5a5a &&
		 gram[DATA_OFF + 0x1000] == 0, "first 16 bytes landed");
	NT_CHECK(read_event(evt) == 1 && (evt[0] & 0xff) == EVT_F_PERMISSION &&
		 (evt[0] >> 32) == VSID, "F_PERMISSION on the vEVENTQ");

	/* An abort STE: ERR_ABORT, silently */
	pt = h_abort;
	NT_EXPECT(0, nt_attach(dev, &pt), "replace with an abort vSTE");
	x = (struct xfer){ .op = NIO_PCI_DMA_OP_FILL, .dst = VA_BASE,
			   .len = 16, .data = 2 };
	refused(&x, NIO_PCI_DMA_ERR_ABORT, "abort vSTE");
	pt = h_s1;
	NT_EXPECT(0, nt_attach(dev, &pt), "back to the stage-1 vSTE");

	/* The netlink DMA control reaches the function too (endpoint 4) */
	NT_EXPECT(0, nio_smmu_dma_write(ctl, 0, PLATFORM_EPS, NIO_SMMU_NO_PASID,
					VA_BASE + 0x300, "netlink", 8),
		  "netlink DMA write as the PCIe function");
	NT_CHECK(!memcmp(gram + DATA_OFF + 0x300, "netlink", 8),
		 "netlink DMA landed through the same two stages");

	/* Fault injection: the engine's completion comes 300 ms late */
	NT_EXPECT(0, nio_smmu_inject_dma_delay(ctl, 0, PLATFORM_EPS, 300000),
		  "inject a DMA completion delay of 300 ms");
	{
		struct timespec t0, t1;
		double ms;

		x = (struct xfer){ .op = NIO_PCI_DMA_OP_FILL,
				   .dst = VA_BASE + 0x400, .len = 16,
				   .data = 0x600dd1e5u };
		clock_gettime(CLOCK_MONOTONIC, &t0);
		st = dma(&x);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1e3 +
		     (t1.tv_nsec - t0.tv_nsec) / 1e6;
		NT_CHECK(st == DONE(NIO_PCI_DMA_OK) && ms >= 300 &&
			 *(uint32_t *)(gram + DATA_OFF + 0x40c) == 0x600dd1e5u,
			 "delayed FILL: STATUS 0x%08x after %.0f ms (>= 300), bytes landed",
			 st, ms);
	}
	NT_EXPECT(0, nio_smmu_inject_dma_delay(ctl, 0, PLATFORM_EPS, 0),
		  "delay off");

	/* The largest transfer: 1 MiB through 256 pages of the L3B table */
	x = (struct xfer){ .op = NIO_PCI_DMA_OP_READ, .src = VA2,
			   .len = NIO_PCI_DMA_MAX_LEN };
	st = dma(&x);
	NT_CHECK(st == DONE(NIO_PCI_DMA_OK) &&
		 reg_r(NIO_PCI_DMA_RESULT) == NIO_PCI_DMA_MAX_LEN,
		 "READ 1 MiB: STATUS 0x%08x RESULT 0x%x", st,
		 reg_r(NIO_PCI_DMA_RESULT));
}

/* ------------------------------------------------------------------ */
/* Removal and unbinding while in use                                  */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Run @path <- @val in a child; its pid */
static pid_t write_in_child(const char *path, const char *val)
{
	pid_t pid = fork();

	if (pid == 0) {
		/* Our copies of the VFIO and iommufd descriptors would keep
		 * the device open: the child holds nothing
		 */
		for (int i = 3; i < 1024; i++)
			close(i);
		_exit(write_file(path, val) ? 1 : 0);
	}
	return pid;
}

/* Wait up to @secs for @pid; its exit status, or -1 on timeout */
static int wait_child(pid_t pid, double secs)
{
	double t0 = now();
	int status;

	while (now() - t0 < secs) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		usleep(20000);
	}
	return -1;
}

static bool has_driver(const char *bdf)
{
	char name[64];

	return !link_name(bdf, "driver", name, sizeof(name));
}

static void test_removal(const char *bdf, const char *bdf2)
{
	const char *rm = "/sys/module/nestiommu/parameters/remove_endpoints";
	char path[256];
	struct vfio_irq_set *irq;
	char irqbuf[sizeof(*irq) + sizeof(int)];
	struct nio_smmu_device d;
	double t0;
	pid_t pid;
	int req, dev2, st;

	/* In use by a VMM (DMA owned through iommufd): refused at once */
	t0 = now();
	NT_CHECK(write_file(rm, "1") && errno == EBUSY && now() - t0 < 5,
		 "remove_endpoints refused (EBUSY) while %s is in use", bdf);
	NT_CHECK(has_driver(bdf), "%s still bound", bdf);

	/* Unbind while open: vfio-pci asks through the request eventfd */
	req = eventfd(0, EFD_CLOEXEC);
	irq = (struct vfio_irq_set *)irqbuf;
	irq->argsz = sizeof(irqbuf);
	irq->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq->index = VFIO_PCI_REQ_IRQ_INDEX;
	irq->start = 0;
	irq->count = 1;
	memcpy(irq->data, &req, sizeof(int));
	NT_EXPECT(0, ioctl(dev, VFIO_DEVICE_SET_IRQS, irq),
		  "request eventfd registered");
	pid = write_in_child("/sys/bus/pci/drivers/vfio-pci/unbind", bdf);
	{
		struct pollfd p = { .fd = req, .events = POLLIN };

		NT_CHECK(poll(&p, 1, 10000) == 1,
			 "unbind while open: the request eventfd fires");
	}
	NT_CHECK(wait_child(pid, 0.5) == -1, "unbind waits for the user");
	t0 = now();
	NT_EXPECT(0, nio_smmu_device_get(ctl, 0, 0, &d),
		  "netlink works meanwhile");
	NT_CHECK(now() - t0 < 2, "... at once (%.2f s)", now() - t0);
	/* The user lets go, as QEMU does on a request */
	close(evq);
	close(dev);
	close(fd);
	close(req);
	evq = dev = fd = -1;
	st = wait_child(pid, 20);
	NT_CHECK(st == 0, "unbind completes once the user closed (%d)", st);
	NT_CHECK(!has_driver(bdf), "%s unbound", bdf);

	/* A removal that waits for a user holds no lock netlink needs */
	dev2 = open_vfio(bdf2);
	NT_CHECK(dev2 >= 0, "%s bound to vfio-pci, cdev open", bdf2);
	pid = write_in_child(rm, "1");
	NT_CHECK(wait_child(pid, 1.0) == -1,
		 "remove_endpoints waits while %s's cdev is open", bdf2);
	t0 = now();
	NT_EXPECT(0, nio_smmu_device_get(ctl, 1, 0, &d),
		  "netlink works during the wait");
	NT_CHECK(now() - t0 < 2, "... at once (%.2f s)", now() - t0);
	close(dev2);
	st = wait_child(pid, 20);
	NT_CHECK(st == 0, "remove_endpoints completes after the close (%d)",
		 st);
	if (st < 0) {
		kill(pid, SIGKILL);
		return;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	NT_CHECK(access(path, F_OK), "%s removed", bdf);
	nfns = 0;
	find_functions();
	NT_CHECK(nfns == 0, "no PCIe function left (%u)", nfns);
	NT_CHECK(nio_smmu_device_get(ctl, 0, 0, &d) == -ENODEV,
		 "platform endpoints removed too");
}

int main(void)
{
	const uint64_t ste0 = 1 | (5ULL << 1) | (GPA_BASE + CD_OFF);
	uint32_t dev_id = 0, ioas = 0, s2 = 0, viommu = 0, vdev = 0, evq_id = 0;
	uint32_t h_s1 = 0, h_abort = 0, pt;
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct iommu_hwpt_arm_smmuv3 ste = { 0 };
	struct fn *f, *f2;
	int mfd;

	if (nio_smmu_open(&ctl))
		nt_die("nio_smmu_open");
	check_topology();
	f = fn_of(0, 0);
	f2 = fn_of(1, 1);
	if (!f || !f2) {
		printf("Bail out! functions missing\n");
		return nt_done();
	}

	dev = open_vfio(f->bdf);
	NT_CHECK(dev >= 0, "%s bound to vfio-pci (driver_override), cdev open",
		 f->bdf);
	fd = open("/dev/iommu", O_RDWR);
	if (dev < 0 || fd < 0)
		nt_die("open");
	mfd = memfd_create("guest-ram", 0);
	if (mfd < 0 || ftruncate(mfd, GPA_SIZE))
		nt_die("memfd");
	gram = mmap(NULL, GPA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (gram == MAP_FAILED)
		nt_die("mmap");
	build_guest();

	NT_EXPECT(0, nt_bind(dev, fd, &dev_id),
		  "bind to iommufd (isolated MSI on the bridge's bus)");
	NT_EXPECT(0, ioctl(dev, VFIO_DEVICE_GET_INFO, &di), "device info");
	NT_CHECK(di.flags & VFIO_DEVICE_FLAGS_PCI, "a vfio-pci device");
	NT_CHECK(di.flags & VFIO_DEVICE_FLAGS_RESET, "reset (FLR) available");
	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	NT_EXPECT(0, ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri),
		  "config region");
	cfg_off = ri.offset;
	nt_nest_setup(fd, dev_id, gram, GPA_SIZE, GPA_BASE, VSID, &ioas, &s2,
		      &viommu, &vdev);
	NT_EXPECT(0, nt_veventq_alloc(fd, viommu,
				      IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 64,
				      &evq_id, &evq), "vEVENTQ");
	ste.ste[0] = ste0;
	NT_EXPECT(0, nt_hwpt_alloc(fd, dev_id, viommu, 0,
				   IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
				   sizeof(ste), &h_s1), "nested S1_TRANS");
	ste.ste[0] = 1;
	NT_EXPECT(0, nt_hwpt_alloc(fd, dev_id, viommu, 0,
				   IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
				   sizeof(ste), &h_abort), "nested abort");
	pt = h_s1;
	NT_EXPECT(0, nt_attach(dev, &pt), "attach nested S1");

	test_engine(h_s1, h_abort);
	test_removal(f->bdf, f2->bdf);
	nio_smmu_close(ctl);
	return nt_done();
}
