// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the SMMUv3 codecs.  Expected raw values are computed by
 * hand from the field positions of Linux 7.3 arm-smmu-v3.h and the SMMUv3
 * specification, not with the library's own masks.
 */
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nestiommu/smmuv3.h>

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static void put_words(void *buf, const uint64_t *words, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t le = htole64(words[i]);

		memcpy((char *)buf + 8 * i, &le, 8);
	}
}

static uint64_t get_word(const void *buf, size_t i)
{
	uint64_t le;

	memcpy(&le, (const char *)buf + 8 * i, 8);
	return le64toh(le);
}

static int vste_check(uint64_t w0, uint64_t w1,
		      struct nio_smmuv3_vste_result *res, const char **reason)
{
	unsigned char buf[NIO_SMMUV3_VSTE_SIZE];
	uint64_t w[2] = { w0, w1 };

	put_words(buf, w, 2);
	return nio_smmuv3_vste_validate(buf, sizeof(buf), res, reason);
}

static int cmd_check(uint64_t w0, uint64_t w1,
		     const struct nio_smmuv3_features *feat,
		     const char **reason)
{
	unsigned char buf[NIO_SMMUV3_CMD_SIZE];
	uint64_t w[2] = { w0, w1 };

	put_words(buf, w, 2);
	return nio_smmuv3_cmd_validate(buf, sizeof(buf), feat, reason);
}

/* An expected -EIO: the errno too, and a reason that names the field. */
#define ck_assert_eio(expr, reason, word)                               \
	do {                                                            \
		errno = 0;                                              \
		(reason) = NULL;                                        \
		ck_assert_int_eq((expr), -EIO);                         \
		ck_assert_int_eq(errno, EIO);                           \
		ck_assert_ptr_nonnull(reason);                          \
		ck_assert_msg(strstr((reason), (word)) != NULL,         \
			      "reason \"%s\" lacks \"%s\"", (reason), (word)); \
	} while (0)

/*
 * A host SMMU as the kernel would decode it, by hand:
 * IDR0 = S2P | S1P | TTF=AArch64 | COHACC | ATS | ASID16 | VMID16 | CD2L |
 *        ST_LEVEL=2-level  -> 0x1 | 0x2 | 0x8 | 0x10 | 0x400 | 0x1000 |
 *        0x40000 | 0x80000 | 0x8000000 = 0x080c141b
 * IDR1 = SIDSIZE=16 | SSIDSIZE=20<<6 | PRIQS=19<<11 | EVTQS=19<<16 |
 *        CMDQS=19<<21 = 0x10 | 0x500 | 0x9800 | 0x130000 | 0x2600000
 *        = 0x02739d10
 * IDR3 = RIL (bit 10) = 0x400
 * IDR5 = OAS=48 bits (5) | GRAN4K | GRAN64K = 0x5 | 0x10 | 0x40 = 0x55
 * IIDR = ProductID 0x487 (MMU-700) | Variant 1 | Revision 2 | Arm 0x43b
 *      = 0x4871243b
 * AIDR = SMMUv3.2 = 0x02
 */
static const struct nio_smmuv3_idregs host_regs = {
	.idr = { 0x080c141b, 0x02739d10, 0, 0x400, 0, 0x55 },
	.iidr = 0x4871243b,
	.aidr = 0x02,
};

static struct nio_smmuv3_features host_features(void)
{
	struct nio_smmuv3_features feat;

	ck_assert_int_eq(nio_smmuv3_idr_decode(&host_regs, &feat), 0);
	return feat;
}

/* ------------------------------------------------------------------ */
/* ID registers                                                        */
/* ------------------------------------------------------------------ */

START_TEST(test_idr_decode_by_hand)
{
	struct nio_smmuv3_features f = host_features();

	ck_assert(f.s2p && f.s1p && f.cohacc && f.ats && f.asid16 &&
		  f.vmid16 && f.cd2l);
	ck_assert(!f.btm && !f.pri && !f.term_model && !f.hyp);
	ck_assert_uint_eq(f.ttf, NIO_SMMUV3_TTF_AARCH64);
	ck_assert_uint_eq(f.httu, 0);
	ck_assert_uint_eq(f.st_level, 1);
	ck_assert_uint_eq(f.ttendian, NIO_SMMUV3_TTENDIAN_MIXED);
	ck_assert_uint_eq(f.stall_model, NIO_SMMUV3_STALL_MODEL_STALL_TERM);
	ck_assert_uint_eq(f.sidsize, 16);
	ck_assert_uint_eq(f.ssidsize, 20);
	ck_assert_uint_eq(f.priqs, 19);
	ck_assert_uint_eq(f.evtqs, 19);
	ck_assert_uint_eq(f.cmdqs, 19);
	ck_assert(f.ril && !f.fwb && !f.stt);
	ck_assert_uint_eq(f.bbml, 0);
	ck_assert(f.gran4k && !f.gran16k && f.gran64k && !f.ds);
	ck_assert_uint_eq(f.oas, 5);
	ck_assert_uint_eq(f.oas_bits, 48);
	ck_assert_uint_eq(f.vax, 0);
	ck_assert_uint_eq(f.implementer, NIO_SMMUV3_IIDR_IMPLEMENTER_ARM);
	ck_assert_uint_eq(f.productid, 0x487);
	ck_assert_uint_eq(f.variant, 1);
	ck_assert_uint_eq(f.revision, 2);
	ck_assert_uint_eq(f.arch_major, 0);
	ck_assert_uint_eq(f.arch_minor, 2);
	ck_assert_uint_eq(f.asid_bits, 16);
	ck_assert_uint_eq(f.vmid_bits, 16);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(f.unknown[i], 0);
}
END_TEST

START_TEST(test_idr_round_trip)
{
	static const uint32_t patterns[] = {
		0x00000000, 0xffffffff, 0x5a5a5a5a, 0xa5a5a5a5, 0x12345678,
	};

	for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
		struct nio_smmuv3_idregs in, out;
		struct nio_smmuv3_features f;

		for (int i = 0; i < 6; i++)
			in.idr[i] = patterns[p] ^ (uint32_t)(i * 0x01010101);
		in.iidr = patterns[p];
		in.aidr = patterns[p];
		ck_assert_int_eq(nio_smmuv3_idr_decode(&in, &f), 0);
		ck_assert_int_eq(nio_smmuv3_idr_encode(&f, &out), 0);
		ck_assert_mem_eq(&in, &out, sizeof(in));
	}
}
END_TEST

START_TEST(test_idr_unknown_bits)
{
	struct nio_smmuv3_idregs in = { .idr = { 1u << 31 | 1u << 29 } };
	struct nio_smmuv3_features f;

	/* IDR0 bits 29 and 31 are RES0: kept as unknown, not lost. */
	ck_assert_int_eq(nio_smmuv3_idr_decode(&in, &f), 0);
	ck_assert_uint_eq(f.unknown[0], 0xa0000000);
	/* AIDR [31:8] are RES0 */
	in.aidr = 0x123;
	ck_assert_int_eq(nio_smmuv3_idr_decode(&in, &f), 0);
	ck_assert_uint_eq(f.unknown[7], 0x100);
	ck_assert_uint_eq(f.arch_major, 2);
	ck_assert_uint_eq(f.arch_minor, 3);
}
END_TEST

START_TEST(test_idr_encode_by_hand)
{
	struct nio_smmuv3_features f;
	struct nio_smmuv3_idregs out;

	memset(&f, 0, sizeof(f));
	f.s1p = f.s2p = true;
	f.ttf = NIO_SMMUV3_TTF_AARCH64;
	f.ssidsize = 20;
	f.sidsize = 16;
	f.ril = true;
	f.gran4k = true;
	f.oas = 5;
	f.oas_bits = 99; /* derived: ignored */
	ck_assert_int_eq(nio_smmuv3_idr_encode(&f, &out), 0);
	ck_assert_uint_eq(out.idr[0], 0xb);
	ck_assert_uint_eq(out.idr[1], 0x510);
	ck_assert_uint_eq(out.idr[3], 0x400);
	ck_assert_uint_eq(out.idr[5], 0x15);

	f.sidsize = 64; /* 6-bit field */
	errno = 0;
	ck_assert_int_eq(nio_smmuv3_idr_encode(&f, &out), -ERANGE);
	ck_assert_int_eq(errno, ERANGE);
	f.sidsize = 16;
	f.unknown[0] = 1u << 1; /* overlaps S1P */
	ck_assert_int_eq(nio_smmuv3_idr_encode(&f, &out), -ERANGE);
}
END_TEST

START_TEST(test_hw_info)
{
	uint32_t raw[10] = { NIO_SMMUV3_HW_INFO_ERRATA_REPEAT_TLBI_CFGI, 0 };
	unsigned char out[NIO_SMMUV3_HW_INFO_SIZE];
	struct nio_smmuv3_features f;

	memcpy(&raw[2], host_regs.idr, sizeof(host_regs.idr));
	raw[8] = host_regs.iidr;
	raw[9] = host_regs.aidr;
	ck_assert_uint_eq(sizeof(raw), NIO_SMMUV3_HW_INFO_SIZE);
	ck_assert_int_eq(nio_smmuv3_hw_info_decode(raw, sizeof(raw), &f), 0);
	ck_assert_uint_eq(f.hw_info_flags, 1);
	ck_assert(f.ats && f.ril);
	ck_assert_uint_eq(f.productid, 0x487);
	ck_assert_int_eq(nio_smmuv3_hw_info_encode(&f, out, sizeof(out)), 0);
	ck_assert_mem_eq(out, raw, sizeof(raw));

	ck_assert_int_eq(nio_smmuv3_hw_info_decode(raw, 32, &f), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_hw_info_decode(NULL, 40, &f), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_hw_info_decode(raw, 40, NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_hw_info_encode(&f, out, 41), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_hw_info_encode(NULL, out, 40), -EINVAL);
}
END_TEST

START_TEST(test_feature_table)
{
	struct nio_smmuv3_feature_info info;
	uint32_t used[8] = { 0 };
	const char *const regs[8] = { "IDR0", "IDR1", "IDR2", "IDR3", "IDR4",
				      "IDR5", "IIDR", "AIDR" };
	size_t n = 0, vmm_read = 0;

	while (nio_smmuv3_feature_info(n, &info) == 0) {
		int r = -1;
		uint32_t mask;

		ck_assert_ptr_nonnull(info.name);
		ck_assert_ptr_nonnull(info.description);
		for (int i = 0; i < 8; i++)
			if (!strcmp(info.reg, regs[i]))
				r = i;
		ck_assert_int_ge(r, 0);
		ck_assert_uint_ge(info.width, 1);
		ck_assert_uint_le(info.shift + info.width, 32);
		mask = (uint32_t)((((uint64_t)1 << info.width) - 1) << info.shift);
		/* fields of one register never overlap */
		ck_assert_uint_eq(used[r] & mask, 0);
		used[r] |= mask;
		if (info.use == NIO_SMMUV3_FEAT_VMM_READ)
			vmm_read++;
		n++;
	}
	ck_assert_int_eq(errno, ENOENT);
	/* iommufd.h (7.3) lists ST_LEVEL, TERM_MODEL, STALL_MODEL, TTENDIAN,
	 * CD2L, ASID16, TTF, SIDSIZE, SSIDSIZE, BBML, RIL, VAX, GRAN64K,
	 * GRAN16K, GRAN4K and DS. */
	ck_assert_uint_eq(vmm_read, 16);
	ck_assert_uint_eq(used[1], 0xffffffff);
	ck_assert_int_eq(nio_smmuv3_feature_info(0, NULL), -EINVAL);
}
END_TEST

START_TEST(test_feature_get)
{
	struct nio_smmuv3_features f = host_features();
	struct nio_smmuv3_feature_info info;
	uint32_t v;

	ck_assert_int_eq(nio_smmuv3_feature_get(&f, NULL, "ssidsize", &v, &info), 0);
	ck_assert_uint_eq(v, 20);
	ck_assert_str_eq(info.reg, "IDR1");
	ck_assert_int_eq(info.use, NIO_SMMUV3_FEAT_VMM_READ);
	ck_assert_int_eq(nio_smmuv3_feature_get(&f, "IDR0", "ASID16", &v, &info), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(nio_smmuv3_feature_get(&f, "IDR0", "HTTU", &v, &info), 0);
	ck_assert_int_eq(info.use, NIO_SMMUV3_FEAT_NOT_NESTED);
	ck_assert_int_eq(nio_smmuv3_feature_get(&f, NULL, "BTM", &v, &info), 0);
	ck_assert_int_eq(info.use, NIO_SMMUV3_FEAT_NOT_NESTED);
	ck_assert_int_eq(nio_smmuv3_feature_get(&f, NULL, "MPAM", &v, &info), 0);
	ck_assert_int_eq(info.use, NIO_SMMUV3_FEAT_NOT_NESTED);
	ck_assert_int_eq(nio_smmuv3_feature_get(&f, NULL, "S1P", &v, &info), 0);
	ck_assert_int_eq(info.use, NIO_SMMUV3_FEAT_VMM_ASSUMED);
	ck_assert_int_eq(nio_smmuv3_feature_get(&f, NULL, "COHACC", &v, &info), 0);
	ck_assert_int_eq(info.use, NIO_SMMUV3_FEAT_VMM_ASSUMED);
	ck_assert_int_eq(nio_smmuv3_feature_get(&f, NULL, "ATS", &v, &info), 0);
	ck_assert_int_eq(info.use, NIO_SMMUV3_FEAT_VMM_PER_DEVICE);
	ck_assert_int_eq(nio_smmuv3_feature_get(&f, NULL, "CMDQS", &v, NULL), 0);
	ck_assert_uint_eq(v, 19);
	ck_assert_int_eq(nio_smmuv3_feature_get(&f, "IDR1", "evtqs", &v, &info), 0);
	ck_assert_uint_eq(v, 19);
	ck_assert_str_eq(info.name, "EVENTQS");
	ck_assert_int_eq(nio_smmuv3_feature_get(&f, NULL, "ProductID", &v, &info), 0);
	ck_assert_uint_eq(v, 0x487);
	ck_assert_int_eq(info.use, NIO_SMMUV3_FEAT_HOST_ONLY);
	ck_assert_int_eq(nio_smmuv3_feature_get(&f, "IDR1", "ASID16", &v, NULL), -ENOENT);
	ck_assert_int_eq(nio_smmuv3_feature_get(&f, NULL, "nonsense", &v, NULL), -ENOENT);
	ck_assert_int_eq(nio_smmuv3_feature_get(NULL, NULL, "ATS", &v, NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_feature_get(&f, NULL, NULL, &v, NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_feature_get(&f, NULL, "ATS", NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(test_features_vmm_view)
{
	struct nio_smmuv3_features host = host_features(), view;
	struct nio_smmuv3_idregs regs;

	host.btm = true;
	host.httu = 2;
	host.pri = true;
	host.mpam = true;
	host.stall_max = 7;
	ck_assert_int_eq(nio_smmuv3_features_vmm_view(&host, false, &view), 0);
	/* kept: the fields iommufd.h lists */
	ck_assert_uint_eq(view.st_level, 1);
	ck_assert(view.asid16 && view.cd2l && view.ril && view.gran4k && view.gran64k);
	ck_assert_uint_eq(view.ttf, NIO_SMMUV3_TTF_AARCH64);
	ck_assert_uint_eq(view.sidsize, 16);
	ck_assert_uint_eq(view.ssidsize, 20);
	/* assumed and per device */
	ck_assert(view.s1p && view.cohacc && !view.ats);
	/* dropped: host-only and not supported for nesting */
	ck_assert(!view.s2p && !view.btm && !view.pri && !view.mpam && !view.vmid16);
	ck_assert_uint_eq(view.httu, 0);
	ck_assert_uint_eq(view.cmdqs, 0);
	ck_assert_uint_eq(view.stall_max, 0);
	ck_assert_uint_eq(view.implementer, 0);
	ck_assert_uint_eq(view.oas, 0);
	ck_assert_uint_eq(view.asid_bits, 16);
	ck_assert_int_eq(nio_smmuv3_features_vmm_view(&host, true, &view), 0);
	ck_assert(view.ats);
	/* by hand: IDR0 = S1P | TTF=2 | COHACC | ATS | ASID16 | CD2L |
	 * ST_LEVEL=1 = 0x2 | 0x8 | 0x10 | 0x400 | 0x1000 | 0x80000 | 0x8000000 */
	ck_assert_int_eq(nio_smmuv3_idr_encode(&view, &regs), 0);
	ck_assert_uint_eq(regs.idr[0], 0x0808141a);
	ck_assert_uint_eq(regs.idr[1], 0x510);
	ck_assert_uint_eq(regs.idr[3], 0x400);
	ck_assert_uint_eq(regs.idr[5], 0x50);
	ck_assert_uint_eq(regs.iidr, 0);
	ck_assert_int_eq(nio_smmuv3_features_vmm_view(NULL, true, &view), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_features_vmm_view(&host, true, NULL), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* vSTE                                                                */
/* ------------------------------------------------------------------ */

/*
 * By hand from arm-smmu-v3.h: word 0 allows V [0], Cfg [3:1], S1Fmt [5:4],
 * S1ContextPtr [51:6], S1CDMax [63:59]; word 1 allows S1DSS [1:0], S1CIR
 * [3:2], S1COR [5:4], S1CSH [7:6], S1STALLD [27], EATS [29:28].
 */
#define HAND_STE0_ALLOWED	0xf80fffffffffffffULL
#define HAND_STE1_ALLOWED	0x00000000380000ffULL

/* V=1, Cfg=S1_TRANS (5 << 1), CD table at 0x12340000 -> 0x1234000b */
#define S1_STE0			0x1234000bULL

START_TEST(test_vste_v0_accepted)
{
	struct nio_smmuv3_vste_result res;
	const char *reason;

	/* V=0 with garbage elsewhere: zeroed and accepted, installed abort */
	memset(&res, 0xff, sizeof(res));
	ck_assert_int_eq(vste_check(0xfffffffffffffffeULL, ~0ULL, &res, &reason), 0);
	ck_assert_uint_eq(res.stored[0], 0);
	ck_assert_uint_eq(res.stored[1], 0);
	ck_assert_int_eq(res.install, NIO_SMMUV3_VSTE_INSTALL_ABORT);
	ck_assert(!res.enable_ats && !res.needs_vdevice);
	ck_assert_uint_eq(res.phys[0], 0x1); /* V, Cfg=abort */
	ck_assert_uint_eq(res.phys[1], 0);
	ck_assert_ptr_nonnull(strstr(reason, "abort"));
}
END_TEST

START_TEST(test_vste_allowed_masks)
{
	const char *reason;

	/* a valid base with every allowed bit that keeps Cfg and EATS legal */
	ck_assert_int_eq(vste_check(S1_STE0 | 0xf80fffffffffffc0ULL | 0x30,
				    0x080000ffULL | (1ULL << 28), NULL, &reason), 0);

	for (int bit = 0; bit < 64; bit++) {
		uint64_t b = 1ULL << bit;

		if (!(HAND_STE0_ALLOWED & b))
			ck_assert_eio(vste_check(S1_STE0 | b, 0, NULL, &reason),
				      reason, "STE");
		if (!(HAND_STE1_ALLOWED & b))
			ck_assert_eio(vste_check(S1_STE0, b, NULL, &reason),
				      reason, "STE");
	}
	/* named fields in the refusal */
	ck_assert_eio(vste_check(S1_STE0, 3ULL << 44, NULL, &reason), reason, "SHCFG");
	ck_assert_eio(vste_check(S1_STE0, 1ULL << 19, NULL, &reason), reason, "MEV");
	ck_assert_eio(vste_check(S1_STE0, 1ULL << 25, NULL, &reason), reason, "S2FWB");
	ck_assert_eio(vste_check(S1_STE0, 2ULL << 30, NULL, &reason), reason, "STRW");
	ck_assert_eio(vste_check(S1_STE0 | 1ULL << 52, 0, NULL, &reason), reason,
		      "S1ContextPtr");
}
END_TEST

START_TEST(test_vste_config)
{
	struct nio_smmuv3_vste_result res;
	const char *reason;

	/* Cfg=S2_TRANS: V | 6 << 1 = 0xd */
	ck_assert_eio(vste_check(0xd, 0, NULL, &reason), reason, "S2_TRANS");
	/* Cfg=NESTED: 0xf */
	ck_assert_eio(vste_check(0xf, 0, NULL, &reason), reason, "NESTED");
	/* reserved Cfg 1..3 */
	for (uint64_t cfg = 1; cfg <= 3; cfg++)
		ck_assert_eio(vste_check(1 | cfg << 1, 0, NULL, &reason), reason,
			      "Config");

	/* abort: 0x1 */
	ck_assert_int_eq(vste_check(0x1, 0, &res, &reason), 0);
	ck_assert_int_eq(res.install, NIO_SMMUV3_VSTE_INSTALL_ABORT);
	ck_assert(!res.needs_vdevice);
	ck_assert_uint_eq(res.phys[0], 0x1);
	/* bypass: 0x9, physical STE is the parent's S2 (Cfg=6 -> 0xd) */
	ck_assert_int_eq(vste_check(0x9, 0, &res, &reason), 0);
	ck_assert_int_eq(res.install, NIO_SMMUV3_VSTE_INSTALL_BYPASS);
	ck_assert(!res.needs_vdevice);
	ck_assert_uint_eq(res.phys[0], 0xd);
	ck_assert_uint_eq(res.phys[1], 0);
	/* S1_TRANS: 0xb; physical is nested (Cfg=7) with the CD pointer */
	ck_assert_int_eq(vste_check(S1_STE0 | (31ULL << 59),
				    NIO_SMMUV3_STE_S1DSS_BYPASS, &res, &reason), 0);
	ck_assert_int_eq(res.install, NIO_SMMUV3_VSTE_INSTALL_NESTED);
	ck_assert(res.needs_vdevice);
	ck_assert_uint_eq(res.phys[0], 0xf800000012340000ULL | 0xf);
	/* word 1 gets MEV (bit 19) */
	ck_assert_uint_eq(res.phys[1], 0x80001);
}
END_TEST

START_TEST(test_vste_eats)
{
	struct nio_smmuv3_vste_result res;
	const char *reason;

	/* EATS=S1CHK (2 << 28) and the reserved 3 are refused, any Cfg */
	ck_assert_eio(vste_check(S1_STE0, 2ULL << 28, NULL, &reason), reason, "EATS");
	ck_assert_eio(vste_check(S1_STE0, 3ULL << 28, NULL, &reason), reason, "EATS");
	ck_assert_eio(vste_check(0x1, 2ULL << 28, NULL, &reason), reason, "EATS");

	/* S1_TRANS + EATS=TRANS: ATS stays on; EATS is not stored */
	ck_assert_int_eq(vste_check(S1_STE0, 1ULL << 28 | 0xff, &res, &reason), 0);
	ck_assert(res.enable_ats);
	ck_assert_uint_eq(res.stored[0], S1_STE0);
	ck_assert_uint_eq(res.stored[1], 0xff);
	ck_assert_uint_eq(res.phys[1], 0x800ff);
	/* S1_TRANS + EATS=ABT: no ATS */
	ck_assert_int_eq(vste_check(S1_STE0, 0, &res, &reason), 0);
	ck_assert(!res.enable_ats);
	/* bypass + EATS=TRANS: accepted, but enable_ats only for S1_TRANS */
	ck_assert_int_eq(vste_check(0x9, 1ULL << 28, &res, &reason), 0);
	ck_assert(!res.enable_ats);
	ck_assert_uint_eq(res.stored[1], 0);
}
END_TEST

START_TEST(test_vste_round_trip)
{
	struct nio_smmuv3_vste in = {
		.valid = true,
		.config = NIO_SMMUV3_STE_CFG_S1_TRANS,
		.s1fmt = NIO_SMMUV3_STE_S1FMT_64K_L2,
		.s1_context_ptr = 0x000fedcba9876540ULL,
		.s1cdmax = 20,
		.s1dss = NIO_SMMUV3_STE_S1DSS_SSID0,
		.s1cir = NIO_SMMUV3_CACHE_WBRA,
		.s1cor = NIO_SMMUV3_CACHE_WT,
		.s1csh = 3,
		.s1stalld = true,
		.eats = NIO_SMMUV3_STE_EATS_TRANS,
	};
	struct nio_smmuv3_vste out;
	unsigned char buf[NIO_SMMUV3_VSTE_SIZE];
	const char *reason;

	ck_assert_int_eq(nio_smmuv3_vste_encode(&in, buf, sizeof(buf)), 0);
	/* by hand: 1 | 5<<1 | 2<<4 | ptr | 20<<59 */
	ck_assert_uint_eq(get_word(buf, 0), 0xa00fedcba987656bULL);
	/* 2 | 1<<2 | 2<<4 | 3<<6 | 1<<27 | 1<<28 */
	ck_assert_uint_eq(get_word(buf, 1), 0x180000e6ULL);
	ck_assert_int_eq(nio_smmuv3_vste_validate(buf, sizeof(buf), NULL, &reason), 0);
	ck_assert_int_eq(nio_smmuv3_vste_decode(buf, sizeof(buf), &out), 0);
	ck_assert_mem_eq(&in, &out, sizeof(in));

	/* bits outside the allowed fields decode into "other" */
	in.other[1] = 3ULL << 44;
	ck_assert_int_eq(nio_smmuv3_vste_encode(&in, buf, sizeof(buf)), 0);
	ck_assert_int_eq(nio_smmuv3_vste_decode(buf, sizeof(buf), &out), 0);
	ck_assert_uint_eq(out.other[0], 0);
	ck_assert_uint_eq(out.other[1], 3ULL << 44);
	ck_assert_mem_eq(&in, &out, sizeof(in));
	ck_assert_int_eq(nio_smmuv3_vste_validate(buf, sizeof(buf), NULL, &reason), -EIO);
}
END_TEST

START_TEST(test_vste_encode_range)
{
	struct nio_smmuv3_vste v = { .valid = true, .config = 8 };
	unsigned char buf[NIO_SMMUV3_VSTE_SIZE];

	errno = 0;
	ck_assert_int_eq(nio_smmuv3_vste_encode(&v, buf, sizeof(buf)), -ERANGE);
	ck_assert_int_eq(errno, ERANGE);
	v.config = 5;
	v.s1_context_ptr = 0x1001; /* not 64-byte aligned */
	ck_assert_int_eq(nio_smmuv3_vste_encode(&v, buf, sizeof(buf)), -ERANGE);
	v.s1_context_ptr = 1ULL << 52; /* beyond [51:6] */
	ck_assert_int_eq(nio_smmuv3_vste_encode(&v, buf, sizeof(buf)), -ERANGE);
	v.s1_context_ptr = 0;
	v.other[0] = 1; /* overlaps V */
	ck_assert_int_eq(nio_smmuv3_vste_encode(&v, buf, sizeof(buf)), -ERANGE);
	v.other[0] = 0;
	v.eats = 4;
	ck_assert_int_eq(nio_smmuv3_vste_encode(&v, buf, sizeof(buf)), -ERANGE);
}
END_TEST

START_TEST(test_reserved_must_be_zero)
{
	unsigned char buf[NIO_SMMUV3_CD_SIZE];
	struct nio_smmuv3_features f = host_features();
	struct nio_smmuv3_idregs regs;
	struct nio_smmuv3_vste v = { .reserved = { 1 } };
	struct nio_smmuv3_cd cd = { .reserved = { 0, 1 } };
	struct nio_smmuv3_cmd c = { .opcode = 0x30, .reserved = { 1 } };
	struct nio_smmuv3_event e = { .id = 0x10, .reserved = { 1 } };

	ck_assert_int_eq(nio_smmuv3_vste_encode(&v, buf, NIO_SMMUV3_VSTE_SIZE), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cd_encode(&cd, buf, NIO_SMMUV3_CD_SIZE), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, buf, NIO_SMMUV3_CMD_SIZE), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_event_encode(&e, buf, NIO_SMMUV3_EVENT_SIZE), -EINVAL);
	f.reserved[15] = 1;
	ck_assert_int_eq(nio_smmuv3_idr_encode(&f, &regs), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_hw_info_encode(&f, buf, NIO_SMMUV3_HW_INFO_SIZE), -EINVAL);
	/* decoders zero it */
	memset(&v, 0xff, sizeof(v));
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(nio_smmuv3_vste_decode(buf, NIO_SMMUV3_VSTE_SIZE, &v), 0);
	ck_assert_uint_eq(v.reserved[0] | v.reserved[1], 0);
	memset(&f, 0xff, sizeof(f));
	ck_assert_int_eq(nio_smmuv3_idr_decode(&host_regs, &f), 0);
	ck_assert_uint_eq(f.reserved[0] | f.reserved[15], 0);
}
END_TEST

START_TEST(test_vste_bad_input)
{
	struct nio_smmuv3_vste v = { 0 };
	unsigned char buf[NIO_SMMUV3_VSTE_SIZE] = { 0 };

	errno = 0;
	ck_assert_int_eq(nio_smmuv3_vste_validate(NULL, 16, NULL, NULL), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(nio_smmuv3_vste_validate(buf, 15, NULL, NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_vste_validate(buf, 17, NULL, NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_vste_encode(NULL, buf, 16), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_vste_encode(&v, NULL, 16), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_vste_encode(&v, buf, 8), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_vste_decode(NULL, 16, &v), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_vste_decode(buf, 16, NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_vste_decode(buf, 0, &v), -EINVAL);
	/* NULL result and reason are allowed */
	ck_assert_int_eq(nio_smmuv3_vste_validate(buf, 16, NULL, NULL), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Context descriptor                                                  */
/* ------------------------------------------------------------------ */

/* The CD Linux writes (arm_smmu_make_s1_cd) for a 48-bit 4KB table. */
static struct nio_smmuv3_cd linux_cd(void)
{
	struct nio_smmuv3_cd cd;

	memset(&cd, 0, sizeof(cd));
	cd.t0sz = 16;
	cd.tg0 = NIO_SMMUV3_CD_TG0_4K;
	cd.irgn0 = 1;
	cd.orgn0 = 1;
	cd.sh0 = 3;
	cd.epd1 = true;
	cd.valid = true;
	cd.ips = 5;
	cd.aa64 = true;
	cd.r = true;
	cd.a = true;
	cd.aset = true;
	cd.asid = 0x42;
	cd.ttb0 = 0x0000008012345000ULL;
	cd.mair = 0x0000000000ff4404ULL;
	return cd;
}

static int cd_check(const struct nio_smmuv3_cd *cd,
		    const struct nio_smmuv3_features *f, const char **reason)
{
	return nio_smmuv3_cd_check(cd, f, false, reason);
}

START_TEST(test_cd_encode_by_hand)
{
	struct nio_smmuv3_cd cd = linux_cd(), out;
	unsigned char buf[NIO_SMMUV3_CD_SIZE];

	ck_assert_int_eq(nio_smmuv3_cd_encode(&cd, buf, sizeof(buf)), 0);
	/*
	 * T0SZ 0x10 | IR0 1<<8 | OR0 1<<10 | SH0 3<<12 | EPD1 1<<30 |
	 * V 1<<31 | IPS 5<<32 | AA64 1<<41 | R 1<<45 | A 1<<46 |
	 * ASET 1<<47 | ASID 0x42<<48
	 */
	ck_assert_uint_eq(get_word(buf, 0), 0x0042e205c0003510ULL);
	ck_assert_uint_eq(get_word(buf, 1), 0x0000008012345000ULL);
	ck_assert_uint_eq(get_word(buf, 2), 0);
	ck_assert_uint_eq(get_word(buf, 3), 0xff4404);
	for (int i = 4; i < 8; i++)
		ck_assert_uint_eq(get_word(buf, i), 0);
	ck_assert_int_eq(nio_smmuv3_cd_decode(buf, sizeof(buf), &out), 0);
	ck_assert_mem_eq(&cd, &out, sizeof(cd));
}
END_TEST

START_TEST(test_cd_round_trip_all_ones)
{
	unsigned char buf[NIO_SMMUV3_CD_SIZE], again[NIO_SMMUV3_CD_SIZE];
	struct nio_smmuv3_cd cd;

	/* every bit set: each lands in a field or in other, and back */
	memset(buf, 0xff, sizeof(buf));
	ck_assert_int_eq(nio_smmuv3_cd_decode(buf, sizeof(buf), &cd), 0);
	ck_assert(cd.valid && cd.aa64 && cd.haft && cd.pie && cd.ds);
	ck_assert_uint_eq(cd.t0sz, 63);
	ck_assert_uint_eq(cd.asid, 0xffff);
	ck_assert_uint_eq(cd.ttb0, 0x00fffffffffffff0ULL);
	ck_assert_uint_eq(cd.ttb1, 0x00fffffffffffff0ULL);
	ck_assert_uint_eq(cd.impdef, 0xffffffff);
	ck_assert_uint_eq(cd.partid, 0xffff);
	ck_assert_uint_eq(cd.pmg, 0xff);
	ck_assert_uint_eq(cd.piiu, 0xffffffffffffULL);
	ck_assert_uint_eq(cd.other[0], 0);
	ck_assert_uint_eq(cd.other[1], 0xf300000000000000ULL);
	ck_assert_uint_eq(cd.other[5], 0xff00000000000000ULL);
	ck_assert_uint_eq(cd.other[7], 0xffff000000000000ULL);
	ck_assert_int_eq(nio_smmuv3_cd_encode(&cd, again, sizeof(again)), 0);
	ck_assert_mem_eq(buf, again, sizeof(buf));

	cd.tg0 = 4;
	ck_assert_int_eq(nio_smmuv3_cd_encode(&cd, again, sizeof(again)), -ERANGE);
	cd.tg0 = 0;
	cd.ttb0 = 0x8;
	ck_assert_int_eq(nio_smmuv3_cd_encode(&cd, again, sizeof(again)), -ERANGE);
	ck_assert_int_eq(nio_smmuv3_cd_encode(NULL, again, 64), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cd_encode(&cd, again, 63), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cd_decode(buf, 65, &cd), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cd_decode(NULL, 64, &cd), -EINVAL);
}
END_TEST

START_TEST(test_cd_valid_and_v)
{
	struct nio_smmuv3_features f = host_features();
	struct nio_smmuv3_cd cd = linux_cd();
	const char *reason;

	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	cd.valid = false;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "CD.V");
	ck_assert_int_eq(nio_smmuv3_cd_check(NULL, &f, false, NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cd_check(&cd, NULL, false, NULL), -EINVAL);
}
END_TEST

START_TEST(test_cd_stall)
{
	struct nio_smmuv3_features f = host_features();
	struct nio_smmuv3_cd cd = linux_cd();
	const char *reason;

	/* STE.S1STALLD with CD.S */
	cd.s = true;
	ck_assert_int_eq(nio_smmuv3_cd_check(&cd, &f, false, &reason), 0);
	ck_assert_eio(nio_smmuv3_cd_check(&cd, &f, true, &reason), reason, "S1STALLD");
	/* STALL_MODEL=1: no stall */
	f.stall_model = NIO_SMMUV3_STALL_MODEL_TERM_ONLY;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "STALL_MODEL");
	cd.s = false;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	/* STALL_MODEL=2: stall forced */
	f.stall_model = NIO_SMMUV3_STALL_MODEL_FORCED;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "STALL_MODEL");
	cd.s = true;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
}
END_TEST

START_TEST(test_cd_term_model)
{
	struct nio_smmuv3_features f = host_features();
	struct nio_smmuv3_cd cd = linux_cd();
	const char *reason;

	cd.a = false;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	f.term_model = true;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "CD.A");
	cd.a = true;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
}
END_TEST

START_TEST(test_cd_endianness)
{
	struct nio_smmuv3_features f = host_features();
	struct nio_smmuv3_cd cd = linux_cd();
	const char *reason;

	cd.endi = true;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0); /* mixed */
	f.ttendian = NIO_SMMUV3_TTENDIAN_LE;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "ENDI");
	cd.endi = false;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	f.ttendian = NIO_SMMUV3_TTENDIAN_BE;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "ENDI");
	/* both halves disabled: ENDI is IGNORED */
	cd.epd0 = true;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
}
END_TEST

START_TEST(test_cd_aa64)
{
	struct nio_smmuv3_features f = host_features();
	struct nio_smmuv3_cd cd = linux_cd();
	const char *reason;

	/* AArch64-only SMMU, VMSAv8-32 LPAE CD */
	cd.aa64 = false;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "AA64");
	f.ttf = NIO_SMMUV3_TTF_AARCH32 | NIO_SMMUV3_TTF_AARCH64;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	/* VMSAv8-32: TTB0 limited to 40 bits */
	cd.ttb0 = 1ULL << 40;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "TTB0");
	cd = linux_cd();
	f.ttf = NIO_SMMUV3_TTF_AARCH32;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "AA64");
	/* VMSAv9-128 is not modelled */
	f.ttf = NIO_SMMUV3_TTF_AARCH64;
	f.d128 = true;
	cd.aa64 = false;
	errno = 0;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), -EOPNOTSUPP);
	ck_assert_int_eq(errno, EOPNOTSUPP);
}
END_TEST

START_TEST(test_cd_httu)
{
	struct nio_smmuv3_features f = host_features();
	struct nio_smmuv3_cd cd = linux_cd();
	const char *reason;

	cd.ha = true;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "HTTU");
	f.httu = 1;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	cd.hd = true;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "CD.HD");
	f.httu = 2;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	f.httu = 3;
	cd.haft = true;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	cd.ha = false;
	cd.hd = false;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "HAFT");
}
END_TEST

START_TEST(test_cd_asid)
{
	struct nio_smmuv3_features f = host_features();
	struct nio_smmuv3_cd cd = linux_cd();
	const char *reason;

	cd.asid = 0x100;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	f.asid16 = false;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "ASID");
	cd.asid = 0xff;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
}
END_TEST

START_TEST(test_cd_txsz)
{
	struct nio_smmuv3_features f = host_features();
	struct nio_smmuv3_cd cd = linux_cd();
	const char *reason;

	cd.t0sz = 39;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	cd.t0sz = 40;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "T0SZ");
	/* small translation tables: 48 with 4KB, 47 with 64KB */
	f.stt = true;
	cd.t0sz = 48;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	cd.tg0 = NIO_SMMUV3_CD_TG0_64K;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "T0SZ");
	cd.t0sz = 47;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	/* minimum 16, or 12 with 52-bit VA and a 64KB granule */
	cd.t0sz = 15;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "T0SZ");
	f.vax = 1;
	cd.t0sz = 12;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	cd.tg0 = NIO_SMMUV3_CD_TG0_4K;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "T0SZ");
	/* 4KB needs IDR5.DS and CD.DS for 52-bit VA */
	f.ds = true;
	cd.ds = true;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	/* EPD0 makes T0SZ IGNORED */
	cd = linux_cd();
	cd.t0sz = 63;
	cd.epd0 = true;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	/* T1SZ is checked when EPD1 is 0 */
	cd = linux_cd();
	cd.epd1 = false;
	cd.tg1 = NIO_SMMUV3_CD_TG1_4K;
	cd.t1sz = 16;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	cd.t1sz = 50;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "T1SZ");
}
END_TEST

START_TEST(test_cd_granule)
{
	struct nio_smmuv3_features f = host_features();
	struct nio_smmuv3_cd cd = linux_cd();
	const char *reason;

	cd.tg0 = NIO_SMMUV3_CD_TG0_64K;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	cd.tg0 = NIO_SMMUV3_CD_TG0_16K; /* host has no GRAN16K */
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "TG0");
	f.gran16k = true;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	cd.tg0 = 3; /* reserved */
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "TG0");
	/* IGNORED with EPD0 */
	cd.epd0 = true;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	/* TG1 has its own encoding: 0 is reserved */
	cd = linux_cd();
	cd.epd1 = false;
	cd.t1sz = 16;
	cd.tg1 = 0;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "TG1");
	cd.tg1 = NIO_SMMUV3_CD_TG1_64K;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
}
END_TEST

/*
 * nestiommu.ko's IDRs, by hand (kernel/nestiommu_main.c, default
 * parameters), against the rules of QEMU 11.1's
 * smmuv3_accel_check_hw_compatible() for its own vSMMU (2-level stream
 * table, all three granules, AArch64, little endian, SIDSIZE 16, RIL):
 * IDR0 = S2P | S1P | TTF=AArch64 | COHACC | ASID16 | VMID16 |
 *        TTENDIAN=LE (2 << 21) | STALL_MODEL=1 (1 << 24) |
 *        ST_LEVEL=2-level (1 << 27) = 0x0b44101b
 * IDR1 = SIDSIZE 16 | SSIDSIZE 16 << 6 | EVTQS 7 << 16 | CMDQS 8 << 21
 *      = 0x01070410
 * IDR3 = RIL = 0x400
 * IDR5 = OAS 48 (5) | GRAN4K | GRAN16K | GRAN64K = 0x75
 */
START_TEST(test_idr_nestiommu_qemu_compatible)
{
	static const struct nio_smmuv3_idregs mod = {
		.idr = { 0x0b44101b, 0x01070410, 0, 0x400, 0, 0x75 },
		.iidr = 0x4e500000,
		.aidr = 0x02,
	};
	struct nio_smmuv3_features f;
	struct nio_smmuv3_cd cd = linux_cd();
	const char *reason;

	ck_assert_int_eq(nio_smmuv3_idr_decode(&mod, &f), 0);
	/* equal to QEMU's */
	ck_assert_uint_eq(f.st_level, 1);
	ck_assert(f.gran4k && f.gran16k && f.gran64k);
	/* no worse than QEMU's (ats=off ssidsize=0 oas=44 ril=on) */
	ck_assert_uint_eq(f.ttendian, NIO_SMMUV3_TTENDIAN_LE);
	ck_assert_uint_ge(f.ttf, NIO_SMMUV3_TTF_AARCH64);
	ck_assert_uint_ge(f.sidsize, 16);
	ck_assert(f.ril);
	ck_assert_uint_ge(f.oas, 4);
	ck_assert_uint_eq(f.oas_bits, 48);
	ck_assert(!f.stt && f.vax == 0 && !f.ds);

	/* every granule legal with T0SZ 16..39 (no STT, no 52-bit VA) */
	cd.tg0 = NIO_SMMUV3_CD_TG0_16K;
	cd.t0sz = 39;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	cd.t0sz = 40;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "T0SZ");
	cd.tg0 = NIO_SMMUV3_CD_TG0_64K;
	cd.t0sz = 16;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	cd.t0sz = 15;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "T0SZ");
	cd.t0sz = 25;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);

	/* granules=4k,64k: IDR5 = 0x55, a 16K TG0 or TG1 is ILLEGAL */
	f.gran16k = false;
	cd.tg0 = NIO_SMMUV3_CD_TG0_16K;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "TG0");
	cd.tg0 = NIO_SMMUV3_CD_TG0_4K;
	cd.epd1 = false;
	cd.t1sz = 16;
	cd.tg1 = NIO_SMMUV3_CD_TG1_16K;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "TG1");
	cd.tg1 = NIO_SMMUV3_CD_TG1_64K;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	/* granules=16k: only TG0 16K is legal */
	f.gran4k = f.gran64k = false;
	f.gran16k = true;
	cd = linux_cd();
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "TG0");
	cd.tg0 = NIO_SMMUV3_CD_TG0_64K;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "TG0");
	cd.tg0 = NIO_SMMUV3_CD_TG0_16K;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
}
END_TEST

START_TEST(test_cd_encode_granules)
{
	static const struct {
		uint8_t tg0, tg1;
		uint64_t bits;	/* TG0 [7:6], TG1 [23:22] */
	} g[] = {
		{ NIO_SMMUV3_CD_TG0_4K, NIO_SMMUV3_CD_TG1_4K, 2ULL << 22 },
		{ NIO_SMMUV3_CD_TG0_16K, NIO_SMMUV3_CD_TG1_16K,
		  (2ULL << 6) | (1ULL << 22) },
		{ NIO_SMMUV3_CD_TG0_64K, NIO_SMMUV3_CD_TG1_64K,
		  (1ULL << 6) | (3ULL << 22) },
	};
	unsigned int i;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		struct nio_smmuv3_cd cd = linux_cd(), out;
		uint64_t w[8];

		cd.tg0 = g[i].tg0;
		cd.tg1 = g[i].tg1;
		ck_assert_int_eq(nio_smmuv3_cd_encode(&cd, w, sizeof(w)), 0);
		ck_assert_uint_eq(le64toh(w[0]) & ((3ULL << 6) | (3ULL << 22)),
				  g[i].bits);
		ck_assert_int_eq(nio_smmuv3_cd_decode(w, sizeof(w), &out), 0);
		ck_assert_uint_eq(out.tg0, g[i].tg0);
		ck_assert_uint_eq(out.tg1, g[i].tg1);
	}
}
END_TEST

START_TEST(test_cd_ttb_range)
{
	struct nio_smmuv3_features f = host_features();
	struct nio_smmuv3_cd cd = linux_cd();
	const char *reason;

	/* IPS=32 bits */
	cd.ips = 0;
	cd.ttb0 = 0xfffff000;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	cd.ttb0 = 1ULL << 32;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "TTB0");
	/* IPS=52 capped to the 48-bit OAS */
	cd.ips = 6;
	cd.ttb0 = 1ULL << 47;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	cd.ttb0 = 1ULL << 48;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "TTB0");
	/* OAS 52 bits: 4KB tables still 48-bit without DS, 64KB 52-bit */
	f.oas = 6;
	f.oas_bits = 52;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "TTB0");
	/* CD.DS counts only with IDR5.DS */
	cd.ds = true;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "TTB0");
	f.ds = true;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	cd.ds = false;
	f.ds = false;
	cd.tg0 = NIO_SMMUV3_CD_TG0_64K;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	/* EPD0 makes TTB0 IGNORED */
	cd.tg0 = NIO_SMMUV3_CD_TG0_4K;
	cd.epd0 = true;
	ck_assert_int_eq(cd_check(&cd, &f, &reason), 0);
	/* TTB1 with EPD1=0 */
	cd = linux_cd();
	cd.epd1 = false;
	cd.tg1 = NIO_SMMUV3_CD_TG1_4K;
	cd.t1sz = 16;
	cd.ttb1 = 1ULL << 50;
	ck_assert_eio(cd_check(&cd, &f, &reason), reason, "TTB1");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

/* Hand-built command words (Linux 7.3 CMDQ_* layout). */
#define OP(x)		((uint64_t)(x))
#define SSV		(1ULL << 11)
#define SSID(x)		((uint64_t)(x) << 12)
#define SID(x)		((uint64_t)(x) << 32)
#define VMID(x)		((uint64_t)(x) << 32)
#define ASID(x)		((uint64_t)(x) << 48)
#define NUM(x)		((uint64_t)(x) << 12)
#define SCALE(x)	((uint64_t)(x) << 20)
#define GLOBAL		(1ULL << 9)
#define SSEC		(1ULL << 10)
#define LEAF		1ULL
#define TTL(x)		((uint64_t)(x) << 8)
#define TG(x)		((uint64_t)(x) << 10)
#define SIZE(x)		((uint64_t)(x))

static const uint8_t accepted_opcodes[] = {
	0x30, 0x10, 0x11, 0x12, 0x13, 0x40, 0x05, 0x06,
};

START_TEST(test_cmd_opcode_set)
{
	struct nio_smmuv3_features f = host_features();
	const char *reason;

	for (unsigned int op = 0; op < 256; op++) {
		bool accepted = memchr(accepted_opcodes, (int)op,
				       sizeof(accepted_opcodes)) != NULL;

		if (accepted)
			ck_assert_int_eq(cmd_check(OP(op), 0, &f, &reason), 0);
		else
			ck_assert_eio(cmd_check(OP(op), 0, &f, &reason), reason,
				      "opcode");
	}
	/* CMD_SYNC, CFGI_STE, CFGI_ALL, TLBI_S12_VMALL: host-only */
	ck_assert_eio(cmd_check(OP(0x46), 0, &f, &reason), reason, "opcode");
	ck_assert_eio(cmd_check(OP(0x03) | SID(1), LEAF, &f, &reason), reason, "opcode");
	ck_assert_eio(cmd_check(OP(0x04), 31, &f, &reason), reason, "opcode");
	ck_assert_eio(cmd_check(OP(0x28) | VMID(1), 0, &f, &reason), reason, "opcode");
}
END_TEST

START_TEST(test_cmd_nsnh_all)
{
	struct nio_smmuv3_features f = host_features();
	const char *reason;

	ck_assert_int_eq(cmd_check(OP(0x30), 0, &f, &reason), 0);
	ck_assert_eio(cmd_check(OP(0x30) | VMID(1), 0, &f, &reason), reason, "NSNH");
	ck_assert_eio(cmd_check(OP(0x30), 1ULL << 63, &f, &reason), reason, "NSNH");
}
END_TEST

START_TEST(test_cmd_nh_all_asid)
{
	struct nio_smmuv3_features f = host_features();
	const char *reason;

	/* NH_ALL: VMID only (the kernel overwrites it) */
	ck_assert_int_eq(cmd_check(OP(0x10) | VMID(0xffff), 0, &f, &reason), 0);
	ck_assert_eio(cmd_check(OP(0x10) | ASID(1), 0, &f, &reason), reason, "field");
	ck_assert_eio(cmd_check(OP(0x10), LEAF, &f, &reason), reason, "field");
	/* NH_ASID: ASID within asid_bits */
	ck_assert_int_eq(cmd_check(OP(0x11) | ASID(0xffff) | VMID(3), 0, &f, &reason), 0);
	ck_assert_eio(cmd_check(OP(0x11) | ASID(1), LEAF, &f, &reason), reason, "field");
	f.asid16 = false;
	ck_assert_int_eq(cmd_check(OP(0x11) | ASID(0xff), 0, &f, &reason), 0);
	ck_assert_eio(cmd_check(OP(0x11) | ASID(0x100), 0, &f, &reason), reason, "ASID");
}
END_TEST

START_TEST(test_cmd_nh_va_fields)
{
	struct nio_smmuv3_features f = host_features();
	const char *reason;

	f.ril = false;
	ck_assert_int_eq(cmd_check(OP(0x12) | ASID(0x1234) | VMID(7),
				   0xffff800012345000ULL | LEAF, &f, &reason), 0);
	/* a range field without RANGE_INV */
	ck_assert_eio(cmd_check(OP(0x12) | NUM(1), 0x1000, &f, &reason), reason, "RANGE_INV");
	ck_assert_eio(cmd_check(OP(0x12) | SCALE(1), 0x1000, &f, &reason), reason, "RANGE_INV");
	ck_assert_eio(cmd_check(OP(0x12), TG(1) | 0x1000, &f, &reason), reason, "RANGE_INV");
	ck_assert_eio(cmd_check(OP(0x12), TTL(3) | 0x1000, &f, &reason), reason, "RANGE_INV");
	ck_assert_eio(cmd_check(OP(0x13), TTL(3), &f, &reason), reason, "RANGE_INV");
	/* RES0 bits [7:1] of word 1, SSV, SSEC */
	ck_assert_eio(cmd_check(OP(0x12), 1ULL << 1, &f, &reason), reason, "field");
	ck_assert_eio(cmd_check(OP(0x12) | SSV, 0, &f, &reason), reason, "field");
	ck_assert_eio(cmd_check(OP(0x12) | SSEC, 0, &f, &reason), reason, "SSec");
	/* ASID width, as NH_ASID */
	f.asid16 = false;
	ck_assert_eio(cmd_check(OP(0x12) | ASID(0x8000), 0, &f, &reason), reason, "ASID");
	/* NH_VAA has no ASID */
	f.asid16 = true;
	ck_assert_int_eq(cmd_check(OP(0x13) | VMID(1), 0x1000 | LEAF, &f, &reason), 0);
	ck_assert_eio(cmd_check(OP(0x13) | ASID(1), 0, &f, &reason), reason, "field");
}
END_TEST

START_TEST(test_cmd_nh_va_range)
{
	struct nio_smmuv3_features f = host_features();
	const char *reason;

	ck_assert(f.ril && !f.ds);
	for (int op = 0x12; op <= 0x13; op++) {
		/* TG=0: NUM, SCALE and TTL are RES0 */
		ck_assert_int_eq(cmd_check(OP(op), 0x1000, &f, &reason), 0);
		ck_assert_eio(cmd_check(OP(op) | NUM(1), 0, &f, &reason), reason, "TG");
		ck_assert_eio(cmd_check(OP(op) | SCALE(2), 0, &f, &reason), reason, "TG");
		ck_assert_eio(cmd_check(OP(op), TTL(3), &f, &reason), reason, "TG");
		/* TG set: a range or a TTL is needed */
		ck_assert_eio(cmd_check(OP(op), TG(1), &f, &reason), reason, "reserved");
		ck_assert_int_eq(cmd_check(OP(op) | NUM(31) | SCALE(31), TG(1), &f, &reason), 0);
		ck_assert_int_eq(cmd_check(OP(op), TG(3) | TTL(3), &f, &reason), 0);
		ck_assert_int_eq(cmd_check(OP(op) | NUM(1), TG(2) | TTL(2), &f, &reason), 0);
		/* TTL=1 with 16KB TG needs DS */
		ck_assert_eio(cmd_check(OP(op), TG(2) | TTL(1), &f, &reason), reason, "DS");
		/* SCALE above 31 needs DS */
		ck_assert_eio(cmd_check(OP(op) | SCALE(32), TG(1), &f, &reason), reason, "DS");
	}
	f.ds = true;
	ck_assert_int_eq(cmd_check(OP(0x12), TG(2) | TTL(1), &f, &reason), 0);
	ck_assert_int_eq(cmd_check(OP(0x12) | SCALE(32), TG(1), &f, &reason), 0);
	ck_assert_int_eq(cmd_check(OP(0x12) | SCALE(63), TG(1), &f, &reason), 0);
}
END_TEST

START_TEST(test_cmd_atc_inv)
{
	struct nio_smmuv3_features f = host_features();
	const char *reason;

	ck_assert_int_eq(cmd_check(OP(0x40) | SID(0x99), 0x12345000 | SIZE(52), &f, &reason), 0);
	ck_assert_eio(cmd_check(OP(0x40) | SID(0x99), SIZE(53), &f, &reason), reason, "Size");
	ck_assert_eio(cmd_check(OP(0x40), SIZE(63), &f, &reason), reason, "Size");
	/* RES0 bits [11:6] of word 1 */
	ck_assert_eio(cmd_check(OP(0x40), 1ULL << 6, &f, &reason), reason, "field");
	/* substreams: SSV/SSID/Global allowed with SSIDSIZE > 0 */
	ck_assert_int_eq(cmd_check(OP(0x40) | SSV | SSID(0xfffff) | GLOBAL, 0, &f, &reason), 0);
	f.ssidsize = 0;
	ck_assert_eio(cmd_check(OP(0x40) | SSV, 0, &f, &reason), reason, "SSIDSIZE");
	ck_assert_eio(cmd_check(OP(0x40) | SSID(1), 0, &f, &reason), reason, "SSIDSIZE");
	ck_assert_eio(cmd_check(OP(0x40) | GLOBAL, 0, &f, &reason), reason, "SSIDSIZE");
	ck_assert_int_eq(cmd_check(OP(0x40) | SID(1), 0, &f, &reason), 0);
	/* no ATS on the SMMU: ATC_INV itself is illegal */
	f.ats = false;
	ck_assert_eio(cmd_check(OP(0x40) | SID(1), 0, &f, &reason), reason, "ATS");
}
END_TEST

START_TEST(test_cmd_cfgi_cd)
{
	struct nio_smmuv3_features f = host_features();
	const char *reason;

	ck_assert_int_eq(cmd_check(OP(0x05) | SID(7) | SSID(3), LEAF, &f, &reason), 0);
	/* no SSV for CFGI_CD */
	ck_assert_eio(cmd_check(OP(0x05) | SSV, 0, &f, &reason), reason, "field");
	ck_assert_eio(cmd_check(OP(0x05), 1ULL << 1, &f, &reason), reason, "field");
	ck_assert_eio(cmd_check(OP(0x05) | SSEC, 0, &f, &reason), reason, "SSec");
	f.ssidsize = 0;
	ck_assert_eio(cmd_check(OP(0x05) | SSID(3), 0, &f, &reason), reason, "SSIDSIZE");
	ck_assert_int_eq(cmd_check(OP(0x05) | SID(7), LEAF, &f, &reason), 0);
	/* CFGI_CD_ALL: SID only */
	ck_assert_int_eq(cmd_check(OP(0x06) | SID(0xffffffff), 0, &f, &reason), 0);
	ck_assert_eio(cmd_check(OP(0x06), LEAF, &f, &reason), reason, "field");
	f.ssidsize = 20;
	ck_assert_eio(cmd_check(OP(0x06) | SSID(1), 0, &f, &reason), reason, "field");
}
END_TEST

/*
 * Per opcode, the bits a guest may set, by hand from the CMDQ_* masks of
 * Linux 7.3 (OP [7:0], GLOBAL 9, SSV 11, SSID [31:12], SID/VMID [63:32]/
 * [47:32], ASID [63:48]; word 1: LEAF 0, ATC Size [5:0], address [63:12]).
 * Without RANGE_INV so that a single bit never forms a range encoding.
 */
struct allowed_bits {
	uint8_t op;
	bool asid16;
	bool ssid;
	uint64_t w0;
	uint64_t w1;
};

static const struct allowed_bits allowed_bits[] = {
	{ 0x30, true, true, 0x00000000000000ffULL, 0 },
	{ 0x10, true, true, 0x0000ffff000000ffULL, 0 },
	{ 0x11, true, true, 0xffffffff000000ffULL, 0 },
	{ 0x11, false, true, 0x00ffffff000000ffULL, 0 },
	{ 0x12, true, true, 0xffffffff000000ffULL, 0xfffffffffffff001ULL },
	{ 0x12, false, true, 0x00ffffff000000ffULL, 0xfffffffffffff001ULL },
	{ 0x13, true, true, 0x0000ffff000000ffULL, 0xfffffffffffff001ULL },
	{ 0x40, true, true, 0xfffffffffffffaffULL, 0xfffffffffffff03fULL },
	{ 0x40, true, false, 0xffffffff000000ffULL, 0xfffffffffffff03fULL },
	{ 0x05, true, true, 0xfffffffffffff0ffULL, 0x1 },
	{ 0x05, true, false, 0xffffffff000000ffULL, 0x1 },
	{ 0x06, true, true, 0xffffffff000000ffULL, 0 },
};

START_TEST(test_cmd_allowed_bits)
{
	const struct allowed_bits *a = &allowed_bits[_i];
	struct nio_smmuv3_features f = host_features();
	const char *reason;

	f.ril = false;
	f.asid16 = a->asid16;
	f.ssidsize = a->ssid ? 20 : 0;
	/* bits [7:0] are the opcode itself */
	for (int bit = 8; bit < 64; bit++) {
		uint64_t b = 1ULL << bit;
		int ret = cmd_check(a->op | b, 0, &f, &reason);

		ck_assert_msg(ret == ((a->w0 & b) ? 0 : -EIO),
			      "op %#x word 0 bit %d: %d", a->op, bit, ret);
	}
	for (int bit = 0; bit < 64; bit++) {
		uint64_t b = 1ULL << bit;
		int ret = cmd_check(a->op, b, &f, &reason);

		ck_assert_msg(ret == ((a->w1 & b) ? 0 : -EIO),
			      "op %#x word 1 bit %d: %d", a->op, bit, ret);
	}
	/* all allowed bits at once (an ATC_INV Size of 63 is above 52) */
	ck_assert_int_eq(cmd_check((a->w0 & ~0xffULL) | a->op,
				   a->op == 0x40 ? (a->w1 & ~0x3fULL) | 52 : a->w1,
				   &f, &reason), 0);
}
END_TEST

START_TEST(test_cmd_validate_array)
{
	struct nio_smmuv3_features f = host_features();
	unsigned char buf[3 * NIO_SMMUV3_CMD_SIZE];
	uint64_t w[6] = { OP(0x11) | ASID(1), 0, OP(0x46), 0, OP(0x30), 0 };
	const char *reason;
	size_t done = 99;

	put_words(buf, w, 6);
	ck_assert_int_eq(nio_smmuv3_cmd_validate_array(buf, 3, &f, &done, &reason), -EIO);
	ck_assert_uint_eq(done, 1);
	ck_assert_int_eq(nio_smmuv3_cmd_validate_array(buf, 1, &f, &done, &reason), 0);
	ck_assert_uint_eq(done, 1);
	w[2] = OP(0x10);
	put_words(buf, w, 6);
	ck_assert_int_eq(nio_smmuv3_cmd_validate_array(buf, 3, &f, &done, NULL), 0);
	ck_assert_uint_eq(done, 3);
	errno = 0;
	ck_assert_int_eq(nio_smmuv3_cmd_validate_array(buf, 0, &f, &done, NULL), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(nio_smmuv3_cmd_validate_array(NULL, 1, &f, NULL, NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cmd_validate_array(buf, 1, NULL, NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(test_cmd_bad_input)
{
	struct nio_smmuv3_features f = host_features();
	struct nio_smmuv3_cmd c = { 0 };
	unsigned char buf[NIO_SMMUV3_CMD_SIZE] = { 0x30 };
	uint32_t fields;

	ck_assert_int_eq(nio_smmuv3_cmd_validate(NULL, 16, &f, NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cmd_validate(buf, 16, NULL, NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cmd_validate(buf, 32, &f, NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cmd_validate(buf, 16, &f, NULL), 0);
	ck_assert_int_eq(nio_smmuv3_cmd_encode(NULL, buf, 16), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, NULL, 16), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, buf, 15), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cmd_decode(NULL, 16, &c), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cmd_decode(buf, 16, NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cmd_fields(0x12, NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_cmd_fields(0x08, &fields), -ENOENT);
	ck_assert_int_eq(nio_smmuv3_cmd_fields(0x85, &fields), -ENOENT);
}
END_TEST

START_TEST(test_cmd_encode_by_hand)
{
	struct nio_smmuv3_cmd c = {
		.opcode = NIO_SMMUV3_CMD_TLBI_NH_VA,
		.asid = 0x1234, .vmid = 5, .leaf = true,
		.addr = 0xffff800012345000ULL,
	};
	struct nio_smmuv3_cmd out;
	unsigned char buf[NIO_SMMUV3_CMD_SIZE];

	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(get_word(buf, 0), 0x1234000500000012ULL);
	ck_assert_uint_eq(get_word(buf, 1), 0xffff800012345001ULL);
	ck_assert_int_eq(nio_smmuv3_cmd_decode(buf, sizeof(buf), &out), 0);
	ck_assert_mem_eq(&c, &out, sizeof(c));

	/* ATC_INV vSID 0x99, SSID 5, whole ATC */
	memset(&c, 0, sizeof(c));
	c.opcode = NIO_SMMUV3_CMD_ATC_INV;
	c.sid = 0x99;
	c.ssv = true;
	c.ssid = 5;
	c.size = NIO_SMMUV3_ATC_INV_SIZE_ALL;
	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(get_word(buf, 0), 0x0000009900005840ULL);
	ck_assert_uint_eq(get_word(buf, 1), 52);

	/* CMD_SYNC with an MSI: CS=IRQ(1)<<12, MSH=3<<22, MSIATTR=0xf<<24 */
	memset(&c, 0, sizeof(c));
	c.opcode = NIO_SMMUV3_CMD_SYNC;
	c.cs = 1;
	c.msh = 3;
	c.msiattr = 0xf;
	c.msidata = 0xdeadbeef;
	c.addr = 0x8000004;
	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(get_word(buf, 0), 0xdeadbeef0fc01046ULL);
	ck_assert_uint_eq(get_word(buf, 1), 0x8000004);

	/* PRI_RESP and RESUME, as arm_smmu_make_cmd_pri_resp/_resume build them */
	memset(&c, 0, sizeof(c));
	c.opcode = NIO_SMMUV3_CMD_PRI_RESP;
	c.sid = 5;
	c.ssv = true;
	c.ssid = 3;
	c.grpid = 0x1ff;
	c.resp = 2;
	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(get_word(buf, 0), 0x0000000500003841ULL);
	ck_assert_uint_eq(get_word(buf, 1), 0x21ff);
	c.ssec = true; /* PRI_RESP has no SSec */
	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, buf, sizeof(buf)), -ERANGE);
	memset(&c, 0, sizeof(c));
	c.opcode = NIO_SMMUV3_CMD_RESUME;
	c.sid = 7;
	c.resp = 1;
	c.stag = 0x1234;
	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(get_word(buf, 0), 0x0000000700001044ULL);
	ck_assert_uint_eq(get_word(buf, 1), 0x1234);

	/* a member the opcode lacks must be zero */
	memset(&c, 0, sizeof(c));
	c.opcode = NIO_SMMUV3_CMD_TLBI_NSNH_ALL;
	c.vmid = 1;
	errno = 0;
	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, buf, sizeof(buf)), -ERANGE);
	ck_assert_int_eq(errno, ERANGE);
	/* a value too wide */
	c.vmid = 0;
	c.opcode = NIO_SMMUV3_CMD_TLBI_NH_VA;
	c.num = 32;
	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, buf, sizeof(buf)), -ERANGE);
	c.num = 0;
	c.addr = 0x1001;
	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, buf, sizeof(buf)), -ERANGE);
	/* other overlapping a field of the opcode */
	c.addr = 0;
	c.other[1] = LEAF;
	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, buf, sizeof(buf)), -ERANGE);
	/* a reserved opcode encodes with other bits only */
	memset(&c, 0, sizeof(c));
	c.opcode = 0x99;
	c.other[0] = 0xff00;
	c.other[1] = 7;
	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(get_word(buf, 0), 0xff99);
	ck_assert_int_eq(nio_smmuv3_cmd_decode(buf, sizeof(buf), &out), 0);
	ck_assert_mem_eq(&c, &out, sizeof(c));
	c.asid = 1;
	ck_assert_int_eq(nio_smmuv3_cmd_encode(&c, buf, sizeof(buf)), -ERANGE);
}
END_TEST

/* Set every member an opcode has to its maximum; the rest stay zero. */
static void fill_cmd(struct nio_smmuv3_cmd *c, uint8_t op, uint32_t fields)
{
	memset(c, 0, sizeof(*c));
	c->opcode = op;
	c->ssec = fields & NIO_SMMUV3_CMD_F_SSEC;
	c->ssv = fields & NIO_SMMUV3_CMD_F_SSV;
	if (fields & NIO_SMMUV3_CMD_F_SSID)
		c->ssid = 0xfffff;
	if (fields & NIO_SMMUV3_CMD_F_SID)
		c->sid = 0xffffffff;
	if (fields & NIO_SMMUV3_CMD_F_VMID)
		c->vmid = 0xffff;
	if (fields & NIO_SMMUV3_CMD_F_ASID)
		c->asid = 0xffff;
	if (fields & NIO_SMMUV3_CMD_F_NUM)
		c->num = 31;
	if (fields & NIO_SMMUV3_CMD_F_SCALE)
		c->scale = 63;
	c->global = fields & NIO_SMMUV3_CMD_F_GLOBAL;
	c->leaf = fields & NIO_SMMUV3_CMD_F_LEAF;
	if (fields & NIO_SMMUV3_CMD_F_TTL)
		c->ttl = 3;
	if (fields & NIO_SMMUV3_CMD_F_TG)
		c->tg = 3;
	if (fields & NIO_SMMUV3_CMD_F_ADDR)
		c->addr = 0x00fffffffffff000ULL;
	if (fields & NIO_SMMUV3_CMD_F_SIZE)
		c->size = 31;
	if (fields & NIO_SMMUV3_CMD_F_RESP)
		c->resp = 3;
	if (fields & NIO_SMMUV3_CMD_F_GRPID)
		c->grpid = 0x1ff;
	if (fields & NIO_SMMUV3_CMD_F_STAG)
		c->stag = 0xffff;
	if (fields & NIO_SMMUV3_CMD_F_CS)
		c->cs = 3;
	if (fields & NIO_SMMUV3_CMD_F_MSH)
		c->msh = 3;
	if (fields & NIO_SMMUV3_CMD_F_MSIATTR)
		c->msiattr = 0xf;
	if (fields & NIO_SMMUV3_CMD_F_MSIDATA)
		c->msidata = 0xffffffff;
}

START_TEST(test_cmd_round_trip_every_opcode)
{
	const char *name;
	unsigned int value;
	size_t n = 0;

	while (nio_smmuv3_name_at(NIO_SMMUV3_NAME_OPCODE, n, &name, &value) == 0) {
		struct nio_smmuv3_cmd c, out;
		unsigned char buf[NIO_SMMUV3_CMD_SIZE], again[NIO_SMMUV3_CMD_SIZE];
		uint32_t fields;

		ck_assert_int_eq(nio_smmuv3_cmd_fields((uint8_t)value, &fields), 0);
		fill_cmd(&c, (uint8_t)value, fields);
		ck_assert_msg(nio_smmuv3_cmd_encode(&c, buf, sizeof(buf)) == 0,
			      "%s does not encode", name);
		ck_assert_int_eq(nio_smmuv3_cmd_decode(buf, sizeof(buf), &out), 0);
		ck_assert_msg(!memcmp(&c, &out, sizeof(c)), "%s round trip", name);

		/* all ones: every bit is a field or other, and back */
		memset(buf, 0xff, sizeof(buf));
		buf[0] = (unsigned char)value;
		ck_assert_int_eq(nio_smmuv3_cmd_decode(buf, sizeof(buf), &out), 0);
		ck_assert_uint_eq(out.opcode, value);
		ck_assert_int_eq(nio_smmuv3_cmd_encode(&out, again, sizeof(again)), 0);
		ck_assert_msg(!memcmp(buf, again, sizeof(buf)), "%s all ones", name);
		n++;
	}
	ck_assert_uint_eq(n, 34);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

START_TEST(test_event_decode_by_hand)
{
	/*
	 * F_TRANSLATION (0x10), SSV, SSID 5, vSID 0x99; word 1: RnW (35),
	 * PnU (33), CLASS=IN (2 << 40); InputAddr; IPA 0x80001000.
	 */
	uint64_t w[4] = {
		0x0000009900005810ULL,
		(1ULL << 35) | (1ULL << 33) | (2ULL << 40),
		0x0000ffff12345678ULL,
		0x0000000080001000ULL,
	};
	unsigned char buf[NIO_SMMUV3_EVENT_SIZE], again[NIO_SMMUV3_EVENT_SIZE];
	struct nio_smmuv3_event e;

	put_words(buf, w, 4);
	ck_assert_int_eq(nio_smmuv3_event_decode(buf, sizeof(buf), &e), 0);
	ck_assert_uint_eq(e.id, NIO_SMMUV3_EVT_F_TRANSLATION);
	ck_assert_str_eq(nio_smmuv3_name(NIO_SMMUV3_NAME_EVENT, e.id), "F_TRANSLATION");
	ck_assert(e.ssv && e.rnw && e.pnu && !e.ind && !e.s2 && !e.stall);
	ck_assert_uint_eq(e.ssid, 5);
	ck_assert_uint_eq(e.sid, 0x99);
	ck_assert_uint_eq(e.event_class, NIO_SMMUV3_EVT_CLASS_IN);
	ck_assert_str_eq(nio_smmuv3_name(NIO_SMMUV3_NAME_EVT_CLASS, e.event_class), "IN");
	ck_assert_uint_eq(e.input_addr, 0x0000ffff12345678ULL);
	ck_assert_uint_eq(e.ipa, 0x80001000);
	ck_assert_uint_eq(e.fetch_addr, 0);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(e.other[i], 0);
	ck_assert_int_eq(nio_smmuv3_event_encode(&e, again, sizeof(again)), 0);
	ck_assert_mem_eq(buf, again, sizeof(buf));

	/* a stalled permission fault: STAG 0x77, Stall, S2, TTRnW */
	w[0] = 0x13;
	w[1] = 0x77 | (1ULL << 31) | (1ULL << 39) | (1ULL << 40) | (1ULL << 44);
	put_words(buf, w, 4);
	ck_assert_int_eq(nio_smmuv3_event_decode(buf, sizeof(buf), &e), 0);
	ck_assert(e.stall && e.s2 && e.ttrnw);
	ck_assert_uint_eq(e.stag, 0x77);
	ck_assert_uint_eq(e.event_class, NIO_SMMUV3_EVT_CLASS_TT);
}
END_TEST

START_TEST(test_event_fetch_addr)
{
	/* F_CD_FETCH: word 3 is FetchAddr [51:3] */
	uint64_t w[4] = { 0x09, 0, 0, 0x000fffffffffff08ULL };
	unsigned char buf[NIO_SMMUV3_EVENT_SIZE];
	struct nio_smmuv3_event e;

	put_words(buf, w, 4);
	ck_assert_int_eq(nio_smmuv3_event_decode(buf, sizeof(buf), &e), 0);
	ck_assert_uint_eq(e.fetch_addr, 0x000fffffffffff08ULL);
	ck_assert_uint_eq(e.ipa, 0);
	/* an F_TRANSLATION has no FetchAddr: bits [11:3] land in other */
	w[0] = 0x10;
	put_words(buf, w, 4);
	ck_assert_int_eq(nio_smmuv3_event_decode(buf, sizeof(buf), &e), 0);
	ck_assert_uint_eq(e.ipa, 0x000ffffffffff000ULL);
	ck_assert_uint_eq(e.other[3], 0xf08);

	/* encode refuses the address the event does not carry */
	memset(&e, 0, sizeof(e));
	e.id = NIO_SMMUV3_EVT_F_STE_FETCH;
	e.ipa = 0x1000;
	ck_assert_int_eq(nio_smmuv3_event_encode(&e, buf, sizeof(buf)), -ERANGE);
	e.id = NIO_SMMUV3_EVT_F_PERMISSION;
	e.ipa = 0;
	e.fetch_addr = 0x8;
	ck_assert_int_eq(nio_smmuv3_event_encode(&e, buf, sizeof(buf)), -ERANGE);
	e.fetch_addr = 0;
	e.ipa = 0x1008; /* not page aligned */
	ck_assert_int_eq(nio_smmuv3_event_encode(&e, buf, sizeof(buf)), -ERANGE);
	e.ipa = 0;
	e.event_class = 4;
	ck_assert_int_eq(nio_smmuv3_event_encode(&e, buf, sizeof(buf)), -ERANGE);
}
END_TEST

START_TEST(test_event_round_trip_every_id)
{
	const char *name;
	unsigned int value;
	size_t n = 0;

	while (nio_smmuv3_name_at(NIO_SMMUV3_NAME_EVENT, n, &name, &value) == 0) {
		unsigned char buf[NIO_SMMUV3_EVENT_SIZE], again[NIO_SMMUV3_EVENT_SIZE];
		struct nio_smmuv3_event e;

		memset(buf, 0xff, sizeof(buf));
		buf[0] = (unsigned char)value;
		ck_assert_int_eq(nio_smmuv3_event_decode(buf, sizeof(buf), &e), 0);
		ck_assert_uint_eq(e.id, value);
		ck_assert_int_eq(nio_smmuv3_event_encode(&e, again, sizeof(again)), 0);
		ck_assert_msg(!memcmp(buf, again, sizeof(buf)), "%s", name);
		n++;
	}
	ck_assert_uint_eq(n, 19);
}
END_TEST

START_TEST(test_event_route)
{
	static const uint8_t handled[] = { 0x04, 0x06, 0x08, 0x0a,
					   0x10, 0x11, 0x12, 0x13 };
	struct nio_smmuv3_event e;

	memset(&e, 0, sizeof(e));
	for (unsigned int id = 0; id < 256; id++) {
		bool h = memchr(handled, (int)id, sizeof(handled)) != NULL;

		e.id = (uint8_t)id;
		ck_assert_int_eq(nio_smmuv3_event_route(&e, true),
				 h ? NIO_SMMUV3_EVENT_TO_VEVENTQ :
				     NIO_SMMUV3_EVENT_TO_HOST_LOG);
	}
	e.id = NIO_SMMUV3_EVT_F_TRANSLATION;
	ck_assert_int_eq(nio_smmuv3_event_route(&e, false), NIO_SMMUV3_EVENT_TO_HOST_LOG);
	e.s2 = true;
	ck_assert_int_eq(nio_smmuv3_event_route(&e, true), NIO_SMMUV3_EVENT_TO_HOST_LOG);
	e.stall = true;
	ck_assert_int_eq(nio_smmuv3_event_route(&e, false), NIO_SMMUV3_EVENT_TO_FAULT_QUEUE);
	e.id = NIO_SMMUV3_EVT_F_WALK_EABT;
	ck_assert_int_eq(nio_smmuv3_event_route(&e, true), NIO_SMMUV3_EVENT_TO_HOST_LOG);
	ck_assert_int_eq(nio_smmuv3_event_route(NULL, true), NIO_SMMUV3_EVENT_TO_HOST_LOG);
}
END_TEST

START_TEST(test_event_bad_input)
{
	struct nio_smmuv3_event e = { 0 };
	unsigned char buf[NIO_SMMUV3_EVENT_SIZE] = { 0 };

	ck_assert_int_eq(nio_smmuv3_event_decode(NULL, 32, &e), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_event_decode(buf, 16, &e), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_event_decode(buf, 32, NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_event_encode(NULL, buf, 32), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_event_encode(&e, NULL, 32), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_event_encode(&e, buf, 33), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

START_TEST(test_names_round_trip)
{
	static const enum nio_smmuv3_name_kind kinds[] = {
		NIO_SMMUV3_NAME_OPCODE, NIO_SMMUV3_NAME_EVENT,
		NIO_SMMUV3_NAME_STE_CFG, NIO_SMMUV3_NAME_STE_EATS,
		NIO_SMMUV3_NAME_STE_S1DSS, NIO_SMMUV3_NAME_STE_S1FMT,
		NIO_SMMUV3_NAME_EVT_CLASS,
	};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const char *name;
		unsigned int value, back;

		for (size_t i = 0; nio_smmuv3_name_at(kinds[k], i, &name, &value) == 0; i++) {
			ck_assert_str_eq(nio_smmuv3_name(kinds[k], value), name);
			ck_assert_int_eq(nio_smmuv3_value(kinds[k], name, &back), 0);
			ck_assert_uint_eq(back, value);
		}
		ck_assert_int_eq(errno, ENOENT);
	}
}
END_TEST

START_TEST(test_names_values)
{
	unsigned int v;

	ck_assert_str_eq(nio_smmuv3_name(NIO_SMMUV3_NAME_OPCODE, 0x46), "CMD_SYNC");
	ck_assert_str_eq(nio_smmuv3_name(NIO_SMMUV3_NAME_OPCODE, 0x30), "CMD_TLBI_NSNH_ALL");
	ck_assert_str_eq(nio_smmuv3_name(NIO_SMMUV3_NAME_OPCODE, 0x04), "CMD_CFGI_STE_RANGE");
	ck_assert_str_eq(nio_smmuv3_name(NIO_SMMUV3_NAME_EVENT, 0x0a), "C_BAD_CD");
	ck_assert_str_eq(nio_smmuv3_name(NIO_SMMUV3_NAME_EVENT, 0x25), "F_VMS_FETCH");
	ck_assert_str_eq(nio_smmuv3_name(NIO_SMMUV3_NAME_STE_CFG, 6), "S2_TRANS");
	ck_assert_str_eq(nio_smmuv3_name(NIO_SMMUV3_NAME_STE_EATS, 2), "S1CHK");
	errno = 0;
	ck_assert_ptr_null(nio_smmuv3_name(NIO_SMMUV3_NAME_OPCODE, 0x08));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(nio_smmuv3_name(NIO_SMMUV3_NAME_STE_CFG, 2));
	ck_assert_ptr_null(nio_smmuv3_name(NIO_SMMUV3_NAME_EVENT, 0x00));
	errno = 0;
	ck_assert_ptr_null(nio_smmuv3_name((enum nio_smmuv3_name_kind)99, 0));
	ck_assert_int_eq(errno, EINVAL);

	ck_assert_int_eq(nio_smmuv3_value(NIO_SMMUV3_NAME_OPCODE, "tlbi_nh_va", &v), 0);
	ck_assert_uint_eq(v, 0x12);
	ck_assert_int_eq(nio_smmuv3_value(NIO_SMMUV3_NAME_OPCODE, "CMD_CFGI_ALL", &v), 0);
	ck_assert_uint_eq(v, 0x04);
	ck_assert_int_eq(nio_smmuv3_value(NIO_SMMUV3_NAME_OPCODE, "cfgi_all", &v), 0);
	ck_assert_uint_eq(v, 0x04);
	ck_assert_int_eq(nio_smmuv3_value(NIO_SMMUV3_NAME_OPCODE, "0x99", &v), 0);
	ck_assert_uint_eq(v, 0x99);
	ck_assert_int_eq(nio_smmuv3_value(NIO_SMMUV3_NAME_EVENT, "16", &v), 0);
	ck_assert_uint_eq(v, 0x10);
	ck_assert_int_eq(nio_smmuv3_value(NIO_SMMUV3_NAME_STE_S1FMT, "64k_l2", &v), 0);
	ck_assert_uint_eq(v, 2);
	ck_assert_int_eq(nio_smmuv3_value(NIO_SMMUV3_NAME_OPCODE, "0x100", &v), -ERANGE);
	ck_assert_int_eq(nio_smmuv3_value(NIO_SMMUV3_NAME_STE_CFG, "8", &v), -ERANGE);
	ck_assert_int_eq(nio_smmuv3_value(NIO_SMMUV3_NAME_OPCODE, "0x1z", &v), -ENOENT);
	errno = 0;
	ck_assert_int_eq(nio_smmuv3_value(NIO_SMMUV3_NAME_OPCODE, "TLBI_EVERYTHING", &v), -ENOENT);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(nio_smmuv3_value(NIO_SMMUV3_NAME_EVENT, "CMD_SYNC", &v), -ENOENT);
	ck_assert_int_eq(nio_smmuv3_value(NIO_SMMUV3_NAME_OPCODE, NULL, &v), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_value(NIO_SMMUV3_NAME_OPCODE, "CMD_SYNC", NULL), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_value((enum nio_smmuv3_name_kind)-1, "x", &v), -EINVAL);
	ck_assert_int_eq(nio_smmuv3_name_at(NIO_SMMUV3_NAME_OPCODE, 0, NULL, &v), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *smmuv3_suite(void)
{
	Suite *s = suite_create("smmuv3");
	TCase *tc;

	tc = tcase_create("idr");
	tcase_add_test(tc, test_idr_decode_by_hand);
	tcase_add_test(tc, test_idr_round_trip);
	tcase_add_test(tc, test_idr_unknown_bits);
	tcase_add_test(tc, test_idr_encode_by_hand);
	tcase_add_test(tc, test_hw_info);
	tcase_add_test(tc, test_feature_table);
	tcase_add_test(tc, test_feature_get);
	tcase_add_test(tc, test_features_vmm_view);
	suite_add_tcase(s, tc);

	tc = tcase_create("vste");
	tcase_add_test(tc, test_vste_v0_accepted);
	tcase_add_test(tc, test_vste_allowed_masks);
	tcase_add_test(tc, test_vste_config);
	tcase_add_test(tc, test_vste_eats);
	tcase_add_test(tc, test_vste_round_trip);
	tcase_add_test(tc, test_vste_encode_range);
	tcase_add_test(tc, test_vste_bad_input);
	tcase_add_test(tc, test_reserved_must_be_zero);
	suite_add_tcase(s, tc);

	tc = tcase_create("cd");
	tcase_add_test(tc, test_cd_encode_by_hand);
	tcase_add_test(tc, test_cd_round_trip_all_ones);
	tcase_add_test(tc, test_cd_valid_and_v);
	tcase_add_test(tc, test_cd_stall);
	tcase_add_test(tc, test_cd_term_model);
	tcase_add_test(tc, test_cd_endianness);
	tcase_add_test(tc, test_cd_aa64);
	tcase_add_test(tc, test_cd_httu);
	tcase_add_test(tc, test_cd_asid);
	tcase_add_test(tc, test_cd_txsz);
	tcase_add_test(tc, test_cd_granule);
	tcase_add_test(tc, test_idr_nestiommu_qemu_compatible);
	tcase_add_test(tc, test_cd_encode_granules);
	tcase_add_test(tc, test_cd_ttb_range);
	suite_add_tcase(s, tc);

	tc = tcase_create("cmd");
	tcase_add_test(tc, test_cmd_opcode_set);
	tcase_add_test(tc, test_cmd_nsnh_all);
	tcase_add_test(tc, test_cmd_nh_all_asid);
	tcase_add_test(tc, test_cmd_nh_va_fields);
	tcase_add_test(tc, test_cmd_nh_va_range);
	tcase_add_test(tc, test_cmd_atc_inv);
	tcase_add_test(tc, test_cmd_cfgi_cd);
	tcase_add_loop_test(tc, test_cmd_allowed_bits, 0,
			    sizeof(allowed_bits) / sizeof(allowed_bits[0]));
	tcase_add_test(tc, test_cmd_validate_array);
	tcase_add_test(tc, test_cmd_bad_input);
	tcase_add_test(tc, test_cmd_encode_by_hand);
	tcase_add_test(tc, test_cmd_round_trip_every_opcode);
	suite_add_tcase(s, tc);

	tc = tcase_create("event");
	tcase_add_test(tc, test_event_decode_by_hand);
	tcase_add_test(tc, test_event_fetch_addr);
	tcase_add_test(tc, test_event_round_trip_every_id);
	tcase_add_test(tc, test_event_route);
	tcase_add_test(tc, test_event_bad_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_names_round_trip);
	tcase_add_test(tc, test_names_values);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(smmuv3_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* exit status = number of failures (capped: it is 8 bits) */
	return failed > 255 ? 255 : failed;
}
