// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A VMM-like test of nestiommu.ko through the library: everything goes
 * through libnestiommu (context, bind, IOAS, nest parent, vIOMMU, vDEVICE,
 * vEVENTQ, nested HWPT, invalidation) and the guest's CD and vSTE are
 * built with the library's SMMUv3 codecs.  The endpoint's DMA (through the
 * library's netlink client) must land at the right guest-physical address,
 * faults must decode on the vEVENTQ with the vSID, and then the codecs'
 * predictions (vSTE and command validation, which model Linux 7.3) are
 * compared with what the module answers for a few thousand fuzzed inputs.
 */
#include <poll.h>

#include <nestiommu/nestiommu.h>
#include <nestiommu/smmu.h>
#include <nestiommu/smmuv3.h>

#include "nio_test.h"

#define GPA_BASE	0x40000000ULL
#define GPA_SIZE	(1ULL << 20)
#define VA		0x20000000ULL	/* L0 0, L1 0, L2 0x100, L3 0 */
#define VSID		0x33

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

int main(void)
{
	struct nio_smmuv3_features feat;
	struct nio_smmuv3_vste vste;
	struct nio_smmuv3_cd cd;
	struct nio_smmuv3_event ev;
	struct nio_vevent vev[4];
	struct nio_hw_info hw;
	struct nio_ctx *ctx = NULL;
	struct nio_smmu *ctl = NULL;
	uint32_t dev_id = 0, ioas = 0, s2 = 0, viommu = 0, vdev = 0, evq = 0;
	uint32_t nested = 0, num;
	uint64_t iova = GPA_BASE, ste[2], *g;
	uint8_t raw[64], rb[16];
	char cdev[64];
	unsigned int i, mism_ste = 0, mism_cmd = 0, n_ok = 0, n_eio = 0;
	uint8_t *gram;
	int ret;

	NT_EXPECT(0, nio_ctx_open(&ctx, NULL), "nio_ctx_open");
	NT_EXPECT(0, nio_smmu_open(&ctl), "nio_smmu_open");
	if (!ctx || !ctl)
		return nt_done();
	NT_EXPECT(0, nio_device_find_cdev("/sys/bus/platform/devices/nestiommu-ep.0",
					  cdev, sizeof(cdev)),
		  "nio_device_find_cdev of a platform endpoint (%s)", cdev);
	NT_EXPECT(0, nio_device_bind(ctx, cdev, NULL, &dev_id), "bind");

	memset(&hw, 0, sizeof(hw));
	hw.sz = sizeof(hw);
	NT_EXPECT(0, nio_hw_info(ctx, dev_id, &hw), "nio_hw_info");
	NT_EXPECT(0, nio_smmuv3_hw_info_decode(hw.data, hw.data_len, &feat),
		  "decode IDRs");
	NT_CHECK(feat.s1p && feat.s2p && feat.asid16 && feat.vmid16 &&
		 feat.gran4k && feat.oas_bits == 48 && feat.ril &&
		 feat.ssidsize == 16 && !feat.cd2l,
		 "features: S1P S2P ASID16 VMID16 4K OAS48 RIL SSID16 !CD2L");

	gram = mmap(NULL, GPA_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(gram, 0, GPA_SIZE);
	NT_EXPECT(0, nio_ioas_alloc(ctx, &ioas), "IOAS");
	NT_EXPECT(0, nio_ioas_map(ctx, ioas, gram, GPA_SIZE, &iova,
				  NIO_MAP_FIXED_IOVA | NIO_MAP_READ |
				  NIO_MAP_WRITE),
		  "map guest RAM at 0x%llx", (unsigned long long)iova);
	NT_EXPECT(0, nio_hwpt_alloc_nest_parent(ctx, dev_id, ioas, &s2),
		  "nest parent");
	NT_EXPECT(0, nio_viommu_alloc(ctx, dev_id, s2, NIO_VIOMMU_ARM_SMMUV3,
				      NULL, &viommu), "vIOMMU");
	NT_EXPECT(0, nio_vdevice_alloc(ctx, viommu, dev_id, VSID, &vdev),
		  "vDEVICE");
	NT_EXPECT(0, nio_veventq_alloc(ctx, viommu, NIO_VEVENTQ_ARM_SMMUV3, 16,
				       &evq), "vEVENTQ");

	/* The guest: CD 0 at IPA GPA_BASE (codec), tables at +0x1000.. */
	memset(&cd, 0, sizeof(cd));
	cd.valid = true;
	cd.aa64 = true;
	cd.t0sz = 16;
	cd.epd1 = true;		/* no TTB1, as Linux guests do */
	cd.tg0 = NIO_SMMUV3_CD_TG0_4K;
	cd.ips = 5;
	cd.asid = 0x77;
	cd.ttb0 = GPA_BASE + 0x1000;
	NT_EXPECT(0, nio_smmuv3_cd_encode(&cd, gram, NIO_SMMUV3_CD_SIZE),
		  "encode CD");
	NT_EXPECT(0, nio_smmuv3_cd_check(&cd, &feat, false, NULL),
		  "the codec finds the CD legal");
	g = (uint64_t *)gram;
	g[0x1000 / 8] = (GPA_BASE + 0x2000) | 3;
	g[0x2000 / 8] = (GPA_BASE + 0x3000) | 3;
	g[0x3000 / 8 + 0x100] = (GPA_BASE + 0x4000) | 3;
	g[0x4000 / 8] = (GPA_BASE + 0x9000) | 3 | (1 << 10) | (1 << 6);

	memset(&vste, 0, sizeof(vste));
	vste.valid = true;
	vste.config = NIO_SMMUV3_STE_CFG_S1_TRANS;
	vste.s1_context_ptr = GPA_BASE;
	vste.s1dss = NIO_SMMUV3_STE_S1DSS_SSID0;
	vste.s1cdmax = 1;	/* CD 0, and CD 1 for the fuzzed CDs */
	NT_EXPECT(0, nio_smmuv3_vste_encode(&vste, raw, NIO_SMMUV3_VSTE_SIZE),
		  "encode vSTE");
	NT_EXPECT(0, nio_smmuv3_vste_validate(raw, NIO_SMMUV3_VSTE_SIZE, NULL,
					      NULL), "codec accepts the vSTE");
	memcpy(ste, raw, sizeof(ste));
	NT_EXPECT(0, nio_hwpt_alloc_smmuv3_nested(ctx, dev_id, viommu, ste,
						  &nested), "nested HWPT");
	NT_EXPECT(0, nio_device_attach(ctx, dev_id, nested, NULL), "attach");

	NT_EXPECT(0, nio_smmu_dma_write(ctl, 0, 0, NIO_SMMU_NO_PASID, VA + 8,
					"vmm!", 5), "DMA write");
	NT_CHECK(!memcmp(gram + 0x9008, "vmm!", 5),
		 "landed at IPA 0x%llx", GPA_BASE + 0x9008);

	/* Stale until the library's invalidation */
	g[0x4000 / 8] = (GPA_BASE + 0xa000) | 3 | (1 << 10) | (1 << 6);
	NT_EXPECT(0, nio_smmu_dma_write(ctl, 0, 0, NIO_SMMU_NO_PASID, VA,
					"old", 4), "DMA, PTE changed");
	NT_CHECK(!memcmp(gram + 0x9000, "old", 4), "stale translation");
	{
		struct nio_smmuv3_cmd c = { .opcode = NIO_SMMUV3_CMD_TLBI_NH_VA,
					    .asid = 0x77, .addr = VA };

		NT_EXPECT(0, nio_smmuv3_cmd_encode(&c, raw,
						   NIO_SMMUV3_CMD_SIZE),
			  "encode TLBI_NH_VA");
		num = 1;
		NT_EXPECT(0, nio_invalidate(ctx, viommu,
					    NIO_INVALIDATE_ARM_SMMUV3, raw,
					    NIO_SMMUV3_CMD_SIZE, &num),
			  "nio_invalidate");
	}
	NT_EXPECT(0, nio_smmu_dma_write(ctl, 0, 0, NIO_SMMU_NO_PASID, VA,
					"new", 4), "DMA after TLBI");
	NT_CHECK(!memcmp(gram + 0xa000, "new", 4), "new translation");

	/* A fault, read back with the library and decoded with the codec */
	NT_EXPECT(EFAULT, nio_smmu_dma_read(ctl, 0, 0, NIO_SMMU_NO_PASID,
					     VA + 0x1000, rb, 4),
		  "DMA to an unmapped VA");
	{
		struct pollfd p = { .fd = nio_veventq_fd(ctx, evq),
				    .events = POLLIN };

		poll(&p, 1, 500);
	}
	ret = nio_veventq_read(ctx, evq, vev, 4);
	NT_CHECK(ret == 1 && vev[0].data_len == NIO_SMMUV3_EVENT_SIZE,
		 "one vEVENT (%d)", ret);
	if (ret == 1) {
		NT_EXPECT(0, nio_smmuv3_event_decode(vev[0].data,
						     vev[0].data_len, &ev),
			  "decode the event");
		NT_CHECK(ev.id == NIO_SMMUV3_EVT_F_TRANSLATION &&
			 ev.sid == VSID && ev.input_addr == VA + 0x1000 &&
			 ev.rnw && !ev.s2,
			 "F_TRANSLATION, vSID 0x%x, input 0x%llx, read, S1",
			 ev.sid, (unsigned long long)ev.input_addr);
	}

	/* Differential: the codec's vSTE verdicts against the module */
	for (i = 0; i < 3000; i++) {
		uint64_t w[2] = { ste[0], ste[1] };
		uint32_t id = 0;
		int want, got, flips = rnd() % 3;

		if (i % 4 == 0)
			w[0] = (w[0] & ~0xeULL) | ((rnd() % 8) << 1);
		if (i % 5 == 0)
			w[1] |= (rnd() % 4) << 28;	/* EATS */
		while (flips--)
			w[rnd() % 2] ^= 1ULL << (rnd() % 64);
		want = nio_smmuv3_vste_validate(w, 16, NULL, NULL);
		got = nio_hwpt_alloc_smmuv3_nested(ctx, dev_id, viommu, w, &id);
		if (id)
			nio_destroy(ctx, id);
		if (want != got) {
			mism_ste++;
			if (mism_ste < 5)
				printf("# vSTE %016llx %016llx: codec %d, module %d\n",
				       (unsigned long long)w[0],
				       (unsigned long long)w[1], want, got);
		}
	}
	NT_CHECK(mism_ste == 0, "3000 fuzzed vSTEs: codec == module (%u differ)",
		 mism_ste);

	/* Differential: the codec's CdIllegal against the module's C_BAD_CD */
	{
		unsigned int mism_cd = 0, bad = 0;

		for (i = 0; i < 1500; i++) {
			uint64_t w[8];
			int want, got, flips = 1 + rnd() % 2;

			memcpy(w, gram, sizeof(w));	/* CD 0 */
			while (flips--) {
				unsigned int b = rnd() % 3 ? rnd() % 64 :
						 64 + rnd() % 128;

				w[b / 64] ^= 1ULL << (b % 64);
			}
			/* keep the ASID: TLB entries are per ASID */
			memcpy(gram + 64, w, sizeof(w));	/* CD 1 */
			if (nio_smmuv3_cd_decode(w, 64, &cd))
				continue;
			want = nio_smmuv3_cd_check(&cd, &feat, false, NULL);
			got = nio_smmu_dma_read(ctl, 0, 0, 1, 0, rb, 4);
			/* EIO (C_BAD_CD) vs any translation outcome */
			if (got == -EFAULT) {
				struct nio_smmu_device d;

				nio_smmu_device_get(ctl, 0, 0, &d);
				if ((d.event[0] & 0xff) == 0x0a)
					got = -EIO;
				else
					got = 0;
			}
			if (got == -EIO)
				bad++;
			if ((want == -EIO) != (got == -EIO)) {
				mism_cd++;
				if (mism_cd < 5)
					printf("# CD %016llx %016llx %016llx: codec %d, module %d\n",
					       (unsigned long long)w[0],
					       (unsigned long long)w[1],
					       (unsigned long long)w[2], want,
					       got);
			}
			/* CFGI_CD so that the next CD 1 is fetched again */
			{
				uint64_t c[2] = { 0x05 | ((uint64_t)VSID << 32) |
						  (1ULL << 12), 0 };

				num = 1;
				nio_invalidate(ctx, viommu,
					       NIO_INVALIDATE_ARM_SMMUV3, c, 16,
					       &num);
			}
			while (nio_veventq_read(ctx, evq, vev, 4) > 0)
				;
		}
		printf("# CDs: %u illegal of 1500\n", bad);
		NT_CHECK(mism_cd == 0,
			 "1500 fuzzed CDs: codec CdIllegal == module C_BAD_CD (%u differ)",
			 mism_cd);
	}

	/* Differential: command validation */
	for (i = 0; i < 4000; i++) {
		static const uint8_t ops[] = { 0x01, 0x03, 0x04, 0x05, 0x06,
			0x10, 0x11, 0x12, 0x13, 0x20, 0x28, 0x2a, 0x30, 0x40,
			0x41, 0x44, 0x46 };
		uint64_t c[2];
		uint8_t op = i % 10 ? ops[rnd() % sizeof(ops)] : rnd() & 0xff;
		int want, got, k, nb = rnd() % 4;

		c[0] = op | ((uint64_t)VSID << 32);
		c[1] = 0;
		if (rnd() % 2)
			c[0] |= (rnd() & 0xffff) << 48;		/* ASID */
		if (rnd() % 3 == 0)
			c[1] = rnd() & ~0xfffULL;		/* address */
		if (rnd() % 3 == 0)
			c[1] |= rnd() & 0xfff;			/* TG/TTL/... */
		if (rnd() % 3 == 0)
			c[0] |= rnd() & 0x3fff000ULL;		/* NUM/SCALE */
		for (k = 0; k < nb; k++)
			c[rnd() % 2] ^= 1ULL << (rnd() % 64);
		want = nio_smmuv3_cmd_validate(c, 16, &feat, NULL);
		/* The vSID lookup is the kernel's: only VSID exists */
		op = c[0] & 0xff;	/* the bit flips may change it */
		if (!want && (op == 0x05 || op == 0x06 || op == 0x40) &&
		    (c[0] >> 32) != VSID)
			want = -EIO;
		num = 1;
		got = nio_invalidate(ctx, viommu, NIO_INVALIDATE_ARM_SMMUV3, c,
				     16, &num);
		if (got)
			n_eio++;
		else
			n_ok++;
		if (want != got || num != (got ? 0u : 1u)) {
			mism_cmd++;
			if (mism_cmd < 8)
				printf("# cmd %016llx %016llx: codec %d, module %d (entry_num %u)\n",
				       (unsigned long long)c[0],
				       (unsigned long long)c[1], want, got,
				       num);
		}
	}
	printf("# commands: %u accepted, %u refused\n", n_ok, n_eio);
	NT_CHECK(n_ok > 100, "enough accepted commands in the mix");
	NT_CHECK(mism_cmd == 0,
		 "4000 fuzzed commands: codec == module (%u differ)",
		 mism_cmd);

	/* Everything goes with the context */
	nio_ctx_unref(ctx);
	nio_smmu_close(ctl);
	return nt_done();
}
