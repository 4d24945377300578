// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * codec-diff: the library's SMMUv3 codecs against the upstream driver.
 * The library promises that nio_smmuv3_vste_validate(),
 * nio_smmuv3_cmd_validate() and nio_smmuv3_cmd_validate_array() judge as
 * Linux 7.3's arm-smmu-v3 does; here every judgement is checked against
 * the real driver (QEMU's SMMUv3, the e1000e on vfio-pci), with the set-up
 * done through the library itself (context, bind, hw_info decode, IOAS,
 * nest parent, vIOMMU, vDEVICE, nested HWPTs, invalidation arrays).
 *
 * The same differential runs against nestiommu.ko in tests/module/nio_vmm.c;
 * this is the reference side. TAP output, exit 1 on any difference.
 * Environment: NESTIOMMU_VFIO_CDEV (set by the testbed's init).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <nestiommu/nestiommu.h>
#include <nestiommu/smmuv3.h>

#define GPA_BASE	0x40000000ULL
#define GPA_SIZE	0x200000ULL
#define VSID		0x42

static int n_test, n_fail;

static void check(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void check(int cond, const char *fmt, ...)
{
	va_list ap;

	n_test++;
	if (!cond)
		n_fail++;
	printf("%s %d - ", cond ? "ok" : "not ok", n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static uint64_t rnd_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* a command of the allowed kinds with random fields, sometimes broken */
static void random_cmd(uint64_t c[2], int i)
{
	static const uint8_t ops[] = { 0x01, 0x03, 0x04, 0x05, 0x06, 0x10, 0x11,
		0x12, 0x13, 0x20, 0x28, 0x2a, 0x30, 0x40, 0x41, 0x44, 0x46 };
	uint8_t op = i % 10 ? ops[rnd() % sizeof(ops)] : rnd() & 0xff;
	int nb = rnd() % 4;

	c[0] = op | ((uint64_t)VSID << 32);
	c[1] = 0;
	if (rnd() % 2)
		c[0] |= (rnd() & 0xffff) << 48;		/* ASID */
	if (rnd() % 3 == 0)
		c[1] = rnd() & ~0xfffULL;		/* address */
	if (rnd() % 3 == 0)
		c[1] |= rnd() & 0xfff;			/* TG/TTL/Leaf/Size */
	if (rnd() % 3 == 0)
		c[0] |= rnd() & 0x3fff000ULL;		/* NUM/SCALE/SSID */
	while (nb--)
		c[rnd() % 2] ^= 1ULL << (rnd() % 64);
}

/* the codec does not model the vSID lookup: only VSID has a vDEVICE */
static int predict_cmd(const uint64_t c[2], const struct nio_smmuv3_features *feat,
		       const char **why)
{
	int want = nio_smmuv3_cmd_validate(c, 16, feat, why);
	uint8_t op = c[0] & 0xff;

	if (!want && (op == 0x05 || op == 0x06 || op == 0x40) && (c[0] >> 32) != VSID) {
		want = -EIO;
		if (why)
			*why = "vSID without a vDEVICE (not modelled by the codec)";
	}
	return want;
}

int main(void)
{
	const char *cdev = getenv("NESTIOMMU_VFIO_CDEV");
	struct nio_smmuv3_features feat;
	struct nio_hw_info hw;
	struct nio_ctx *ctx = NULL;
	uint32_t dev = 0, ioas = 0, s2 = 0, viommu = 0, vdev = 0, num;
	uint64_t iova = GPA_BASE;
	unsigned int i, mism_ste = 0, mism_cmd = 0, mism_arr = 0, n_ok = 0, n_eio = 0;
	unsigned int ste_ok = 0;
	void *gram;
	int e;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n# codec-diff: libnestiommu's SMMUv3 codecs vs the upstream arm-smmu-v3 driver\n");
	if (!cdev || !*cdev) {
		printf("1..0 # SKIP no vfio-pci device ($NESTIOMMU_VFIO_CDEV unset)\n");
		return 77;
	}
	e = nio_ctx_open(&ctx, NULL);
	check(!e, "nio_ctx_open: %d", e);
	if (e)
		goto out;
	e = nio_device_bind(ctx, cdev, NULL, &dev);
	check(!e, "nio_device_bind(%s): %d", cdev, e);
	if (e)
		goto out;
	memset(&hw, 0, sizeof(hw));
	hw.sz = sizeof(hw);
	e = nio_hw_info(ctx, dev, &hw);
	check(!e && hw.type == 2, "nio_hw_info: %d, type %u", e, hw.type);
	memset(&feat, 0, sizeof(feat));
	e = nio_smmuv3_hw_info_decode(hw.data, hw.data_len, &feat);
	check(!e, "nio_smmuv3_hw_info_decode: %d", e);
	printf("# decoded: s1p=%d s2p=%d ats=%d asid16=%d vmid16=%d ssidsize=%u sidsize=%u ril=%d\n",
	       feat.s1p, feat.s2p, feat.ats, feat.asid16, feat.vmid16, feat.ssidsize,
	       feat.sidsize, feat.ril);
	check(feat.s1p && feat.s2p && !feat.ats && feat.asid16 && feat.ssidsize == 0 &&
	      feat.sidsize == 16 && feat.ril,
	      "QEMU's SMMUv3 decoded: S1P S2P ASID16 SIDSIZE=16 RIL, no ATS, no substreams");

	gram = mmap(NULL, GPA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (gram == MAP_FAILED) {
		check(0, "mmap");
		goto out;
	}
	memset(gram, 0, GPA_SIZE);
	e = nio_ioas_alloc(ctx, &ioas);
	if (!e)
		e = nio_ioas_map(ctx, ioas, gram, GPA_SIZE, &iova,
				 NIO_MAP_FIXED_IOVA | NIO_MAP_READ | NIO_MAP_WRITE);
	if (!e)
		e = nio_hwpt_alloc_nest_parent(ctx, dev, ioas, &s2);
	if (!e)
		e = nio_device_attach(ctx, dev, s2, NULL);
	if (!e)
		e = nio_viommu_alloc(ctx, dev, s2, NIO_VIOMMU_ARM_SMMUV3, NULL, &viommu);
	if (!e)
		e = nio_vdevice_alloc(ctx, viommu, dev, VSID, &vdev);
	check(!e, "IOAS, map, nest parent, attach, vIOMMU, vDEVICE through the library: %d", e);
	if (e)
		goto out;

	/* vSTEs: the codec's verdict against IOMMU_HWPT_ALLOC */
	for (i = 0; i < 3000; i++) {
		uint64_t w[2] = { 0xbULL | (GPA_BASE & ~0x3fULL), 0 };	/* V, S1_TRANS */
		uint32_t id = 0;
		const char *why = NULL;
		int want, got, flips = rnd() % 3;

		if (i % 4 == 0)
			w[0] = (w[0] & ~0xeULL) | ((rnd() % 8) << 1);
		if (i % 5 == 0)
			w[1] |= (rnd() % 4) << 28;	/* EATS */
		if (i % 7 == 0)
			w[1] |= rnd() & 0xff;		/* S1DSS, S1CIR/COR/CSH */
		while (flips--)
			w[rnd() % 2] ^= 1ULL << (rnd() % 64);
		want = nio_smmuv3_vste_validate(w, 16, NULL, &why);
		got = nio_hwpt_alloc_smmuv3_nested(ctx, dev, viommu, w, &id);
		if (id)
			nio_destroy(ctx, id);
		if (!got)
			ste_ok++;
		if (want != got && ++mism_ste <= 8)
			printf("# vSTE %016llx %016llx: codec %d (%s), kernel %d\n",
			       (unsigned long long)w[0], (unsigned long long)w[1], want,
			       why ? why : "-", got);
	}
	printf("# vSTEs: %u of 3000 accepted by the kernel\n", ste_ok);
	check(mism_ste == 0, "3000 fuzzed vSTEs: nio_smmuv3_vste_validate() == the upstream driver (%u differ)",
	      mism_ste);

	/* single commands: the codec against IOMMU_HWPT_INVALIDATE */
	for (i = 0; i < 4000; i++) {
		uint64_t c[2];
		const char *why = NULL;
		int want, got;

		random_cmd(c, i);
		want = predict_cmd(c, &feat, &why);
		num = 1;
		got = nio_invalidate(ctx, viommu, NIO_INVALIDATE_ARM_SMMUV3, c, 16, &num);
		if (got)
			n_eio++;
		else
			n_ok++;
		if ((want != got || num != (got ? 0u : 1u)) && ++mism_cmd <= 8)
			printf("# cmd %016llx %016llx: codec %d (%s), kernel %d (entry_num %u)\n",
			       (unsigned long long)c[0], (unsigned long long)c[1], want,
			       why ? why : "-", got, num);
	}
	printf("# commands: %u accepted, %u refused by the kernel\n", n_ok, n_eio);
	check(n_ok > 100, "enough accepted commands in the mix");
	check(mism_cmd == 0, "4000 fuzzed commands: nio_smmuv3_cmd_validate() == the upstream driver (%u differ)",
	      mism_cmd);

	/* arrays: the codec's entry_num against the kernel's */
	for (i = 0; i < 500; i++) {
		uint64_t c[16][2];
		size_t n = 1 + rnd() % 16, done = 0, k;
		int want, got;

		for (k = 0; k < n; k++) {
			/* mostly good commands, so that failures fall in the middle */
			if (rnd() % 4) {
				c[k][0] = 0x11 | ((rnd() & 0xff) << 48);	/* TLBI_NH_ASID */
				c[k][1] = 0;
			} else {
				random_cmd(c[k], (int)k + 1);
			}
		}
		want = nio_smmuv3_cmd_validate_array(c, n, &feat, &done, NULL);
		/* add the vSID lookup the codec leaves to the kernel */
		for (k = 0; k < done; k++) {
			uint8_t op = c[k][0] & 0xff;
			if ((op == 0x05 || op == 0x06 || op == 0x40) && (c[k][0] >> 32) != VSID) {
				want = -EIO;
				done = k;
				break;
			}
		}
		num = (uint32_t)n;
		got = nio_invalidate(ctx, viommu, NIO_INVALIDATE_ARM_SMMUV3, c, 16, &num);
		if ((want != got || num != done) && ++mism_arr <= 8)
			printf("# array of %zu: codec %d entry_num %zu, kernel %d entry_num %u\n",
			       n, want, done, got, num);
	}
	check(mism_arr == 0, "500 fuzzed arrays: nio_smmuv3_cmd_validate_array() verdict and entry_num == the upstream driver (%u differ)",
	      mism_arr);
out:
	if (ctx)
		nio_ctx_unref(ctx);
	printf("1..%d\n# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       n_test, n_test - n_fail, n_fail);
	return n_fail ? 1 : 0;
}
