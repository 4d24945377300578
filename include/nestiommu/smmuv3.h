/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ARM SMMUv3 codecs: pure, kernel-free encoders, decoders and validators
 * for the SMMUv3 records that cross the iommufd nesting uAPI.
 *
 *  - vSTE:    struct iommu_hwpt_arm_smmuv3 (2 x le64)
 *  - CD:      a context descriptor as the guest writes it (8 x le64)
 *  - command: struct iommu_viommu_arm_smmuv3_invalidate (2 x le64)
 *  - event:   struct iommu_vevent_arm_smmuv3 (4 x le64)
 *  - IDRs:    struct iommu_hw_info_arm_smmuv3 (IDR0..5, IIDR, AIDR)
 *
 * Raw records are passed as (buffer, length) exactly as the kernel sees
 * them in memory: little-endian 64-bit words for vSTE, CD, command and
 * event, native-endian 32-bit registers for hw_info.  The validators apply
 * the rules of the Linux 7.3 arm-smmu-v3 iommufd code (vSTE, commands) or
 * of the SMMUv3 architecture (CD) and return the errno the kernel returns.
 *
 * Every function returns 0 or a negative errno and sets errno; functions
 * returning a pointer return NULL and set errno.  None keeps state.
 * All are in libnestiommu's NESTIOMMU_0.1 symbol version (since 0.1).
 */
#ifndef NESTIOMMU_SMMUV3_H
#define NESTIOMMU_SMMUV3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nestiommu/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Sizes in bytes of the raw records. */
#define NIO_SMMUV3_VSTE_SIZE	16
#define NIO_SMMUV3_CD_SIZE	64
#define NIO_SMMUV3_CMD_SIZE	16
#define NIO_SMMUV3_EVENT_SIZE	32
#define NIO_SMMUV3_HW_INFO_SIZE	40

/* ------------------------------------------------------------------ */
/* Hardware features (IDR0..5, IIDR, AIDR)                             */
/* ------------------------------------------------------------------ */

/**
 * struct nio_smmuv3_idregs - the raw identification registers
 * @idr: SMMU_IDR0..SMMU_IDR5
 * @iidr: SMMU_IIDR
 * @aidr: SMMU_AIDR
 *
 * Same order as the tail of struct iommu_hw_info_arm_smmuv3.
 */
struct nio_smmuv3_idregs {
	uint32_t idr[6];
	uint32_t iidr;
	uint32_t aidr;
};

/* IDR0.STALL_MODEL values */
#define NIO_SMMUV3_STALL_MODEL_STALL_TERM	0 /* stall and terminate */
#define NIO_SMMUV3_STALL_MODEL_TERM_ONLY	1 /* no stall */
#define NIO_SMMUV3_STALL_MODEL_FORCED		2 /* stall forced */
/* IDR0.TTENDIAN values */
#define NIO_SMMUV3_TTENDIAN_MIXED		0
#define NIO_SMMUV3_TTENDIAN_LE			2
#define NIO_SMMUV3_TTENDIAN_BE			3
/* IDR0.TTF bits */
#define NIO_SMMUV3_TTF_AARCH32			1 /* VMSAv8-32 LPAE */
#define NIO_SMMUV3_TTF_AARCH64			2 /* VMSAv8-64 */
/* IIDR.Implementer of Arm Ltd */
#define NIO_SMMUV3_IIDR_IMPLEMENTER_ARM		0x43b

/* hw_info flags (enum iommu_hw_info_arm_smmuv3_flags, Linux 7.3) */
#define NIO_SMMUV3_HW_INFO_ERRATA_REPEAT_TLBI_CFGI	(1u << 0)

/**
 * struct nio_smmuv3_features - decoded identification registers
 *
 * One member per architected field, named after the SMMUv3 specification
 * (IHI 0070).  Booleans are single-bit fields; the others hold the raw
 * field value unless stated.  @oas_bits, @asid_bits and @vmid_bits are
 * derived for convenience and ignored by nio_smmuv3_idr_encode().
 * @unknown keeps the register bits that no member describes (RES0
 * today), so decode followed by encode is lossless.
 *
 * Every record struct of this header ends in "reserved", zeroed by the
 * decoders and required to be zero by the encoders (else -EINVAL), so
 * that later versions can name more fields without changing the size.
 */
struct nio_smmuv3_features {
	/* IDR0 */
	bool s2p;		/* stage 2 translation */
	bool s1p;		/* stage 1 translation */
	uint8_t ttf;		/* NIO_SMMUV3_TTF_* bits */
	bool cohacc;		/* coherent table walks and queues */
	bool btm;		/* broadcast TLB maintenance */
	uint8_t httu;		/* 0 none, 1 AF, 2 AF+dirty, 3 +table AF */
	bool dormhint;
	bool hyp;		/* EL2 stream world */
	bool ats;		/* PCIe ATS */
	bool ns1ats;
	bool asid16;		/* 16-bit ASIDs (else 8) */
	bool msi;
	bool sev;
	bool atos;
	bool pri;		/* PCIe PRI */
	bool vmw;
	bool vmid16;		/* 16-bit VMIDs (else 8) */
	bool cd2l;		/* 2-level CD tables */
	bool vatos;
	uint8_t ttendian;	/* NIO_SMMUV3_TTENDIAN_* */
	bool atsrecerr;
	uint8_t stall_model;	/* NIO_SMMUV3_STALL_MODEL_* */
	bool term_model;	/* 1: CD.A must be 1 */
	uint8_t st_level;	/* 0 linear, 1 2-level stream table */
	bool rme_impl;
	/* IDR1 */
	uint8_t sidsize;	/* StreamID bits */
	uint8_t ssidsize;	/* SubstreamID bits, 0: no substreams */
	uint8_t priqs;		/* log2 PRI queue entries */
	uint8_t evtqs;		/* log2 event queue entries */
	uint8_t cmdqs;		/* log2 command queue entries */
	bool attr_perms_ovr;
	bool attr_types_ovr;
	bool rel;
	bool queues_preset;
	bool tables_preset;
	bool ecmdq;
	/* IDR2 */
	uint16_t ba_vatos;
	/* IDR3 */
	bool had;
	bool pbha;
	bool xnx;
	bool pps;
	bool mpam;
	bool fwb;		/* stage 2 forced write-back */
	bool stt;		/* small translation tables */
	bool ril;		/* range invalidation (RANGE_INV) */
	uint8_t bbml;		/* break-before-make level */
	bool e0pd;
	bool ptwnnc;
	bool dpt;
	bool pasidtt;
	bool epan;
	bool s1pi;
	bool s2pi;
	bool s2po;
	bool the;
	bool mteperm;
	bool aie;
	/* IDR4: IMPLEMENTATION DEFINED */
	uint32_t idr4;
	/* IDR5 */
	uint8_t oas;		/* raw OAS field */
	bool gran4k;
	bool gran16k;
	bool gran64k;
	bool ds;		/* 52-bit addresses with 4K/16K granules */
	bool d128;		/* 128-bit descriptors */
	uint8_t vax;		/* 0: 48-bit VA, 1: 52-bit, 2: 56-bit */
	uint16_t stall_max;
	/* IIDR */
	uint16_t implementer;
	uint8_t revision;
	uint8_t variant;
	uint16_t productid;
	/* AIDR */
	uint8_t arch_major;	/* 0: SMMUv3.x */
	uint8_t arch_minor;	/* x of SMMUv3.x */
	/* iommu_hw_info_arm_smmuv3.flags */
	uint32_t hw_info_flags;	/* NIO_SMMUV3_HW_INFO_* */
	/* derived */
	unsigned int oas_bits;	/* output address size in bits */
	unsigned int asid_bits;	/* 8 or 16 */
	unsigned int vmid_bits;	/* 8 or 16 */
	/* register bits not described above, per nio_smmuv3_idregs order */
	uint32_t unknown[8];
	/* room for fields of later SMMU revisions; zero */
	uint32_t reserved[16];
};

/**
 * enum nio_smmuv3_feature_use - what the uAPI lets a VMM do with a field
 * @NIO_SMMUV3_FEAT_VMM_READ: documented in iommufd.h as readable by a VMM
 * @NIO_SMMUV3_FEAT_VMM_ASSUMED: a VMM should assume it true (S1P, COHACC)
 * @NIO_SMMUV3_FEAT_VMM_PER_DEVICE: a per-device property the VMM sets (ATS)
 * @NIO_SMMUV3_FEAT_NOT_NESTED: named by iommufd.h as unsupported for
 *	nesting (HTTU, BTM, MPAM)
 * @NIO_SMMUV3_FEAT_HOST_ONLY: raw host capability; a VMM must not read it
 */
enum nio_smmuv3_feature_use {
	NIO_SMMUV3_FEAT_VMM_READ = 0,
	NIO_SMMUV3_FEAT_VMM_ASSUMED,
	NIO_SMMUV3_FEAT_VMM_PER_DEVICE,
	NIO_SMMUV3_FEAT_NOT_NESTED,
	NIO_SMMUV3_FEAT_HOST_ONLY,
};

/**
 * struct nio_smmuv3_feature_info - one architected ID register field
 * @name: the field name of the specification, e.g. "ASID16"
 * @reg: the register, e.g. "IDR0"
 * @shift: lowest bit of the field
 * @width: width in bits
 * @use: what the uAPI lets a VMM do with it
 * @description: one line for humans
 */
struct nio_smmuv3_feature_info {
	const char *name;
	const char *reg;
	unsigned int shift;
	unsigned int width;
	enum nio_smmuv3_feature_use use;
	const char *description;
};

/**
 * nio_smmuv3_idr_decode() - decode the ID registers into named features
 * @regs: raw registers
 * @feat: filled on success (every member, including derived ones)
 *
 * Return: 0, or -EINVAL for NULL pointers.
 */
NIO_API int nio_smmuv3_idr_decode(const struct nio_smmuv3_idregs *regs,
				  struct nio_smmuv3_features *feat);

/**
 * nio_smmuv3_idr_encode() - build the ID registers from features
 * @feat: features; derived members are ignored, @feat->unknown is OR-ed in
 * @regs: filled on success
 *
 * Return: 0, -EINVAL for NULL pointers or a non-zero @reserved, -ERANGE
 * when a member does not fit its field (e.g. sidsize > 63).
 */
NIO_API int nio_smmuv3_idr_encode(const struct nio_smmuv3_features *feat,
				  struct nio_smmuv3_idregs *regs);

/**
 * nio_smmuv3_hw_info_decode() - decode a struct iommu_hw_info_arm_smmuv3
 * @buf: the hw_info payload the kernel wrote
 * @len: its length, NIO_SMMUV3_HW_INFO_SIZE
 * @feat: filled on success, with @feat->hw_info_flags
 *
 * Return: 0, or -EINVAL for NULL pointers or a wrong @len.
 */
NIO_API int nio_smmuv3_hw_info_decode(const void *buf, size_t len,
				      struct nio_smmuv3_features *feat);

/**
 * nio_smmuv3_hw_info_encode() - build a struct iommu_hw_info_arm_smmuv3
 * @feat: features (flags from @feat->hw_info_flags)
 * @buf: output buffer
 * @len: its length, NIO_SMMUV3_HW_INFO_SIZE
 *
 * Return: 0, -EINVAL for NULL pointers or a wrong @len, otherwise as
 * nio_smmuv3_idr_encode().
 */
NIO_API int nio_smmuv3_hw_info_encode(const struct nio_smmuv3_features *feat,
				      void *buf, size_t len);

/**
 * nio_smmuv3_feature_info() - describe the idx-th ID register field
 * @idx: 0, 1, ... (enumerates every field nio_smmuv3_idr_decode() knows)
 * @info: filled on success; strings are static
 *
 * Return: 0, -ENOENT past the last field, -EINVAL for a NULL @info.
 */
NIO_API int nio_smmuv3_feature_info(size_t idx,
				    struct nio_smmuv3_feature_info *info);

/**
 * nio_smmuv3_feature_get() - read a feature by its field name
 * @feat: decoded features
 * @reg: register name ("IDR0", ...) or NULL to match any register
 * @name: field name, case-insensitive, e.g. "ssidsize"; the Linux spelling
 *	"EVTQS" is accepted for the specification's "EVENTQS"
 * @value: the field value on success
 * @info: if not NULL, the field description on success
 *
 * Return: 0, -ENOENT for an unknown name, -EINVAL for NULL pointers.
 */
NIO_API int nio_smmuv3_feature_get(const struct nio_smmuv3_features *feat,
				   const char *reg, const char *name,
				   uint32_t *value,
				   struct nio_smmuv3_feature_info *info);

/**
 * nio_smmuv3_features_vmm_view() - the host features a VMM may build on
 * @host: the host SMMU's features, from hw_info
 * @ats: whether the VMM describes the device as ATS capable
 * @view: on success, @host with only the fields whose use is
 *	NIO_SMMUV3_FEAT_VMM_READ kept, S1P and COHACC set (the uAPI says to
 *	assume them), ATS set from @ats, and every other field zero: the VMM
 *	fills those (queue sizes, OAS, ...) from its own emulation
 *
 * Return: 0, or -EINVAL for NULL pointers.
 */
NIO_API int nio_smmuv3_features_vmm_view(const struct nio_smmuv3_features *host,
					 bool ats,
					 struct nio_smmuv3_features *view);

/* ------------------------------------------------------------------ */
/* Virtual STE (struct iommu_hwpt_arm_smmuv3)                          */
/* ------------------------------------------------------------------ */

/* STE.Config values (1..3 are reserved) */
#define NIO_SMMUV3_STE_CFG_ABORT	0
#define NIO_SMMUV3_STE_CFG_BYPASS	4
#define NIO_SMMUV3_STE_CFG_S1_TRANS	5
#define NIO_SMMUV3_STE_CFG_S2_TRANS	6
#define NIO_SMMUV3_STE_CFG_NESTED	7
/* STE.S1Fmt values */
#define NIO_SMMUV3_STE_S1FMT_LINEAR	0
#define NIO_SMMUV3_STE_S1FMT_4K_L2	1
#define NIO_SMMUV3_STE_S1FMT_64K_L2	2
/* STE.S1DSS values */
#define NIO_SMMUV3_STE_S1DSS_TERMINATE	0
#define NIO_SMMUV3_STE_S1DSS_BYPASS	1
#define NIO_SMMUV3_STE_S1DSS_SSID0	2
/* STE.EATS values */
#define NIO_SMMUV3_STE_EATS_ABT		0
#define NIO_SMMUV3_STE_EATS_TRANS	1
#define NIO_SMMUV3_STE_EATS_S1CHK	2
/* STE.S1CIR/S1COR values */
#define NIO_SMMUV3_CACHE_NC		0
#define NIO_SMMUV3_CACHE_WBRA		1
#define NIO_SMMUV3_CACHE_WT		2
#define NIO_SMMUV3_CACHE_WB		3

/**
 * struct nio_smmuv3_vste - the two words of a guest STE, as fields
 * @valid: V
 * @config: Config, NIO_SMMUV3_STE_CFG_*
 * @s1fmt: S1Fmt, NIO_SMMUV3_STE_S1FMT_*
 * @s1_context_ptr: S1ContextPtr as an address (bits [51:6], low bits 0)
 * @s1cdmax: S1CDMax, log2 of the number of CDs
 * @s1dss: S1DSS, NIO_SMMUV3_STE_S1DSS_*
 * @s1cir: S1CIR, NIO_SMMUV3_CACHE_*
 * @s1cor: S1COR, NIO_SMMUV3_CACHE_*
 * @s1csh: S1CSH shareability
 * @s1stalld: S1STALLD
 * @eats: EATS, NIO_SMMUV3_STE_EATS_*
 * @other: every bit outside the fields above, in place (word 0, word 1).
 *	These are the bits outside the kernel's nesting-allowed masks; any
 *	of them set makes a valid vSTE fail with -EIO.
 */
struct nio_smmuv3_vste {
	bool valid;
	uint8_t config;
	uint8_t s1fmt;
	uint64_t s1_context_ptr;
	uint8_t s1cdmax;
	uint8_t s1dss;
	uint8_t s1cir;
	uint8_t s1cor;
	uint8_t s1csh;
	bool s1stalld;
	uint8_t eats;
	uint64_t other[2];
	uint64_t reserved[2];
};

/**
 * enum nio_smmuv3_vste_install - what the kernel installs for a vSTE
 * @NIO_SMMUV3_VSTE_INSTALL_ABORT: an abort STE (V=0 or Config=abort); a
 *	V=0 vSTE is accepted and installed as abort so that the guest can
 *	be sent C_BAD_STE
 * @NIO_SMMUV3_VSTE_INSTALL_BYPASS: the nest parent's stage-2-only STE
 * @NIO_SMMUV3_VSTE_INSTALL_NESTED: Config=nested: the guest CD table
 *	(S1ContextPtr, an IPA) through the parent's stage 2, with MEV set
 */
enum nio_smmuv3_vste_install {
	NIO_SMMUV3_VSTE_INSTALL_ABORT = 0,
	NIO_SMMUV3_VSTE_INSTALL_BYPASS,
	NIO_SMMUV3_VSTE_INSTALL_NESTED,
};

/**
 * struct nio_smmuv3_vste_result - the kernel's view of an accepted vSTE
 * @stored: the vSTE words the nested domain keeps (CPU order): all zero
 *	when V=0, EATS cleared otherwise
 * @install: what attach installs in the physical STE
 * @enable_ats: ATS stays enabled at attach (Config=S1_TRANS, EATS=TRANS)
 * @needs_vdevice: attach fails (-ENOENT) without a vDEVICE for the device
 *	(translating configuration); abort/bypass attach without one
 * @phys: words 0 and 1 of the physical STE as far as they follow from the
 *	vSTE: abort {V, 0}; bypass {V | Config=S2_TRANS, 0}; nested
 *	{V | Config=NESTED | the vSTE's word 0 but Config, the vSTE's word 1
 *	without EATS | MEV}.  The host adds its stage 2 fields (S2FWB,
 *	SHCFG, EATS from the ATS state) and words 2..7.
 */
struct nio_smmuv3_vste_result {
	uint64_t stored[2];
	uint64_t phys[2];
	enum nio_smmuv3_vste_install install;
	bool enable_ats;
	bool needs_vdevice;
	uint64_t reserved[2];
};

/**
 * nio_smmuv3_vste_encode() - build the raw vSTE from fields
 * @ste: fields; @ste->other is OR-ed in unchanged
 * @buf: output, NIO_SMMUV3_VSTE_SIZE bytes of little-endian words
 * @len: NIO_SMMUV3_VSTE_SIZE
 *
 * Encoding does not judge: nio_smmuv3_vste_validate() does.
 *
 * Return: 0, -EINVAL for NULL pointers, a wrong @len or a non-zero
 * @reserved, -ERANGE when a value does not fit its field or @other
 * overlaps a field.
 */
NIO_API int nio_smmuv3_vste_encode(const struct nio_smmuv3_vste *ste,
				   void *buf, size_t len);

/**
 * nio_smmuv3_vste_decode() - split a raw vSTE into fields
 * @buf: NIO_SMMUV3_VSTE_SIZE bytes of little-endian words
 * @len: NIO_SMMUV3_VSTE_SIZE
 * @ste: filled on success; bits outside the fields go to @ste->other
 *
 * Return: 0, or -EINVAL for NULL pointers or a wrong @len.
 */
NIO_API int nio_smmuv3_vste_decode(const void *buf, size_t len,
				   struct nio_smmuv3_vste *ste);

/**
 * nio_smmuv3_vste_validate() - judge a vSTE as Linux 7.3 does
 * @buf: NIO_SMMUV3_VSTE_SIZE bytes of little-endian words
 * @len: NIO_SMMUV3_VSTE_SIZE
 * @result: if not NULL, what the kernel keeps and installs (on success)
 * @reason: if not NULL, a static string naming the failing field, or
 *	saying why the vSTE is accepted
 *
 * Applies arm_smmu_validate_vste(): V=0 is accepted (installed as abort);
 * a bit outside the nesting-allowed fields, a Config other than abort,
 * bypass or S1_TRANS, or EATS other than ABT/TRANS gives -EIO.
 *
 * Return: 0, -EIO when IOMMU_HWPT_ALLOC would fail with EIO, -EINVAL for
 * NULL @buf or a wrong @len.
 */
NIO_API int nio_smmuv3_vste_validate(const void *buf, size_t len,
				     struct nio_smmuv3_vste_result *result,
				     const char **reason);

/* ------------------------------------------------------------------ */
/* Context descriptor                                                  */
/* ------------------------------------------------------------------ */

/* CD.TG0 values (CD.TG1 uses a different encoding, see below) */
#define NIO_SMMUV3_CD_TG0_4K		0
#define NIO_SMMUV3_CD_TG0_64K		1
#define NIO_SMMUV3_CD_TG0_16K		2
/* CD.TG1 values */
#define NIO_SMMUV3_CD_TG1_16K		1
#define NIO_SMMUV3_CD_TG1_4K		2
#define NIO_SMMUV3_CD_TG1_64K		3

/**
 * struct nio_smmuv3_cd - a context descriptor as fields
 *
 * Members are named after the CD fields of the SMMUv3 specification
 * (section 5.4); TTB0/TTB1 are addresses (bits [55:4], low bits zero).
 * @piiu and @piip are the permission indirection fields of words 6 and 7
 * (48 bits each).  @other keeps every bit that no member describes.
 */
struct nio_smmuv3_cd {
	/* word 0 */
	uint8_t t0sz;
	uint8_t tg0;
	uint8_t irgn0;
	uint8_t orgn0;
	uint8_t sh0;
	bool epd0;
	bool endi;
	uint8_t t1sz;
	uint8_t tg1;
	uint8_t irgn1;
	uint8_t orgn1;
	uint8_t sh1;
	bool epd1;
	bool valid;
	uint8_t ips;
	bool affd;
	bool wxn;
	bool uwxn;
	bool tbi0;
	bool tbi1;
	bool pan;
	bool aa64;
	bool hd;
	bool ha;
	bool s;
	bool r;
	bool a;
	bool aset;
	uint16_t asid;
	/* word 1 */
	bool nscfg0;
	bool had0;
	bool e0pd0;
	bool haft;
	uint64_t ttb0;
	bool pnch;
	bool epan;
	/* word 2 */
	bool nscfg1;
	bool had1;
	bool e0pd1;
	bool aie;
	uint64_t ttb1;
	bool ds;
	bool pie;
	/* words 3..7 */
	uint64_t mair;
	uint64_t amair;
	uint32_t impdef;
	uint16_t partid;
	uint8_t pmg;
	uint64_t piiu;
	uint64_t piip;
	uint64_t other[8];
	uint64_t reserved[2];
};

/**
 * nio_smmuv3_cd_encode() - build a raw CD from fields
 * @cd: fields; @cd->other is OR-ed in unchanged
 * @buf: output, NIO_SMMUV3_CD_SIZE bytes of little-endian words
 * @len: NIO_SMMUV3_CD_SIZE
 *
 * Return: 0, -EINVAL for NULL pointers, a wrong @len or a non-zero
 * @reserved, -ERANGE when a value does not fit its field or @other
 * overlaps a field.
 */
NIO_API int nio_smmuv3_cd_encode(const struct nio_smmuv3_cd *cd,
				 void *buf, size_t len);

/**
 * nio_smmuv3_cd_decode() - split a raw CD into fields
 * @buf: NIO_SMMUV3_CD_SIZE bytes of little-endian words
 * @len: NIO_SMMUV3_CD_SIZE
 * @cd: filled on success
 *
 * Return: 0, or -EINVAL for NULL pointers or a wrong @len.
 */
NIO_API int nio_smmuv3_cd_decode(const void *buf, size_t len,
				 struct nio_smmuv3_cd *cd);

/**
 * nio_smmuv3_cd_check() - would the SMMU treat this CD as ILLEGAL?
 * @cd: the CD
 * @feat: the SMMU's features (for a guest: the vIDRs the VMM exposes)
 * @ste_s1stalld: S1STALLD of the STE that locates the CD
 * @reason: if not NULL, a static string naming the offending field
 *
 * Follows CdIllegal() of the SMMUv3 specification (section 5.4.2) for a
 * Non-secure stream with StreamWorld NS-EL1, the only one a nested guest
 * STE can select.  An out-of-range TxSZ is ILLEGAL from SMMUv3.1; on
 * SMMUv3.0 it is CONSTRAINED UNPREDICTABLE and reported as ILLEGAL too.
 *
 * Return: 0 when valid, -EIO when the SMMU would raise C_BAD_CD,
 * -EOPNOTSUPP for a VMSAv9-128 CD (D128 with AA64=0, not modelled),
 * -EINVAL for NULL pointers.
 */
NIO_API int nio_smmuv3_cd_check(const struct nio_smmuv3_cd *cd,
				const struct nio_smmuv3_features *feat,
				bool ste_s1stalld, const char **reason);

/* ------------------------------------------------------------------ */
/* Commands (struct iommu_viommu_arm_smmuv3_invalidate)                */
/* ------------------------------------------------------------------ */

/* Command opcodes (SMMUv3 specification, section 4.1.1) */
#define NIO_SMMUV3_CMD_PREFETCH_CONFIG	0x01
#define NIO_SMMUV3_CMD_PREFETCH_ADDR	0x02
#define NIO_SMMUV3_CMD_CFGI_STE		0x03
#define NIO_SMMUV3_CMD_CFGI_STE_RANGE	0x04
#define NIO_SMMUV3_CMD_CFGI_ALL		0x04 /* CFGI_STE_RANGE, Range=31 */
#define NIO_SMMUV3_CMD_CFGI_CD		0x05
#define NIO_SMMUV3_CMD_CFGI_CD_ALL	0x06
#define NIO_SMMUV3_CMD_CFGI_VMS_PIDM	0x07
#define NIO_SMMUV3_CMD_TLBI_NH_ALL	0x10
#define NIO_SMMUV3_CMD_TLBI_NH_ASID	0x11
#define NIO_SMMUV3_CMD_TLBI_NH_VA	0x12
#define NIO_SMMUV3_CMD_TLBI_NH_VAA	0x13
#define NIO_SMMUV3_CMD_TLBI_EL3_ALL	0x18
#define NIO_SMMUV3_CMD_TLBI_EL3_VA	0x1a
#define NIO_SMMUV3_CMD_TLBI_EL2_ALL	0x20
#define NIO_SMMUV3_CMD_TLBI_EL2_ASID	0x21
#define NIO_SMMUV3_CMD_TLBI_EL2_VA	0x22
#define NIO_SMMUV3_CMD_TLBI_EL2_VAA	0x23
#define NIO_SMMUV3_CMD_TLBI_S12_VMALL	0x28
#define NIO_SMMUV3_CMD_TLBI_S2_IPA	0x2a
#define NIO_SMMUV3_CMD_TLBI_NSNH_ALL	0x30
#define NIO_SMMUV3_CMD_ATC_INV		0x40
#define NIO_SMMUV3_CMD_PRI_RESP		0x41
#define NIO_SMMUV3_CMD_RESUME		0x44
#define NIO_SMMUV3_CMD_STALL_TERM	0x45
#define NIO_SMMUV3_CMD_SYNC		0x46
#define NIO_SMMUV3_CMD_TLBI_S_EL2_ALL	0x50
#define NIO_SMMUV3_CMD_TLBI_S_EL2_ASID	0x51
#define NIO_SMMUV3_CMD_TLBI_S_EL2_VA	0x52
#define NIO_SMMUV3_CMD_TLBI_S_EL2_VAA	0x53
#define NIO_SMMUV3_CMD_TLBI_S_S12_VMALL	0x58
#define NIO_SMMUV3_CMD_TLBI_S_S2_IPA	0x5a
#define NIO_SMMUV3_CMD_TLBI_SNH_ALL	0x60
#define NIO_SMMUV3_CMD_DPTI_ALL		0x70
#define NIO_SMMUV3_CMD_DPTI_PA		0x73

/* ATC_INV Size that invalidates the whole ATC */
#define NIO_SMMUV3_ATC_INV_SIZE_ALL	52

/**
 * struct nio_smmuv3_cmd - a command as fields
 * @opcode: NIO_SMMUV3_CMD_*
 * @ssec: SSec (must be 0 on the Non-secure queue)
 * @ssv: SSV, substream valid
 * @ssid: SubstreamID
 * @sid: StreamID (a vSID in a guest command)
 * @vmid: VMID (TLBI)
 * @asid: ASID (TLBI)
 * @num: NUM (range TLBI)
 * @scale: SCALE (range TLBI)
 * @global: Global (ATC_INV)
 * @leaf: Leaf (TLBI, CFGI_STE, CFGI_CD)
 * @ttl: TTL (range TLBI)
 * @tg: TG (range TLBI)
 * @addr: address, VA/IPA/ATC address (bits [63:12]) or CMD_SYNC MSIAddr
 * @size: Size (ATC_INV, PREFETCH_ADDR) or Range (CFGI_STE_RANGE)
 * @resp: Resp (PRI_RESP), or Action | Abort << 1 (RESUME)
 * @grpid: PRG index (PRI_RESP)
 * @stag: STAG (RESUME)
 * @cs: CS completion signal (CMD_SYNC)
 * @msh: MSH (CMD_SYNC)
 * @msiattr: MSIAttr (CMD_SYNC)
 * @msidata: MSIData (CMD_SYNC)
 * @other: bits that no field of @opcode describes (RES0), in place
 *
 * Only the members that the opcode's layout has are used; the others
 * must be zero for nio_smmuv3_cmd_encode() and are zeroed by decode.
 * nio_smmuv3_cmd_fields() tells which ones an opcode has.
 */
struct nio_smmuv3_cmd {
	uint8_t opcode;
	bool ssec;
	bool ssv;
	uint32_t ssid;
	uint32_t sid;
	uint16_t vmid;
	uint16_t asid;
	uint8_t num;
	uint8_t scale;
	bool global;
	bool leaf;
	uint8_t ttl;
	uint8_t tg;
	uint64_t addr;
	uint8_t size;
	uint8_t resp;
	uint16_t grpid;
	uint16_t stag;
	uint8_t cs;
	uint8_t msh;
	uint8_t msiattr;
	uint32_t msidata;
	uint64_t other[2];
	uint64_t reserved[2];
};

/* Bits of nio_smmuv3_cmd_fields(): which members an opcode uses */
#define NIO_SMMUV3_CMD_F_SSEC		(1u << 0)
#define NIO_SMMUV3_CMD_F_SSV		(1u << 1)
#define NIO_SMMUV3_CMD_F_SSID		(1u << 2)
#define NIO_SMMUV3_CMD_F_SID		(1u << 3)
#define NIO_SMMUV3_CMD_F_VMID		(1u << 4)
#define NIO_SMMUV3_CMD_F_ASID		(1u << 5)
#define NIO_SMMUV3_CMD_F_NUM		(1u << 6)
#define NIO_SMMUV3_CMD_F_SCALE		(1u << 7)
#define NIO_SMMUV3_CMD_F_GLOBAL		(1u << 8)
#define NIO_SMMUV3_CMD_F_LEAF		(1u << 9)
#define NIO_SMMUV3_CMD_F_TTL		(1u << 10)
#define NIO_SMMUV3_CMD_F_TG		(1u << 11)
#define NIO_SMMUV3_CMD_F_ADDR		(1u << 12)
#define NIO_SMMUV3_CMD_F_SIZE		(1u << 13)
#define NIO_SMMUV3_CMD_F_RESP		(1u << 14)
#define NIO_SMMUV3_CMD_F_GRPID		(1u << 15)
#define NIO_SMMUV3_CMD_F_STAG		(1u << 16)
#define NIO_SMMUV3_CMD_F_CS		(1u << 17)
#define NIO_SMMUV3_CMD_F_MSH		(1u << 18)
#define NIO_SMMUV3_CMD_F_MSIATTR	(1u << 19)
#define NIO_SMMUV3_CMD_F_MSIDATA	(1u << 20)

/**
 * nio_smmuv3_cmd_fields() - which struct members an opcode's layout has
 * @opcode: NIO_SMMUV3_CMD_*
 * @fields: on success, a mask of NIO_SMMUV3_CMD_F_*
 *
 * Return: 0, -ENOENT for a reserved or IMPLEMENTATION DEFINED opcode,
 * -EINVAL for a NULL @fields.
 */
NIO_API int nio_smmuv3_cmd_fields(uint8_t opcode, uint32_t *fields);

/**
 * nio_smmuv3_cmd_encode() - build a raw command from fields
 * @cmd: fields; @cmd->other is OR-ed in unchanged
 * @buf: output, NIO_SMMUV3_CMD_SIZE bytes of little-endian words
 * @len: NIO_SMMUV3_CMD_SIZE
 *
 * An unknown opcode is encoded with @other only (the CLI can build any
 * bit pattern to test the kernel's refusal).
 *
 * Return: 0, -EINVAL for NULL pointers, a wrong @len or a non-zero
 * @reserved, -ERANGE when a value does not fit its field, a member the
 * opcode lacks is non-zero, or @other overlaps a field.
 */
NIO_API int nio_smmuv3_cmd_encode(const struct nio_smmuv3_cmd *cmd,
				  void *buf, size_t len);

/**
 * nio_smmuv3_cmd_decode() - split a raw command into fields
 * @buf: NIO_SMMUV3_CMD_SIZE bytes of little-endian words
 * @len: NIO_SMMUV3_CMD_SIZE
 * @cmd: filled on success; bits that the opcode's layout does not
 *	describe go to @cmd->other
 *
 * Return: 0, or -EINVAL for NULL pointers or a wrong @len.
 */
NIO_API int nio_smmuv3_cmd_decode(const void *buf, size_t len,
				  struct nio_smmuv3_cmd *cmd);

/**
 * nio_smmuv3_cmd_validate() - judge a guest command as Linux 7.3 does
 * @buf: NIO_SMMUV3_CMD_SIZE bytes of little-endian words
 * @len: NIO_SMMUV3_CMD_SIZE
 * @feat: the host SMMU's features: asid16, ats, ril, ds and ssidsize
 *	matter (decode them from the hw_info IDRs)
 * @reason: if not NULL, a static string naming the failing field
 *
 * Applies arm_vsmmu_validate_user_cmd() of a nested vIOMMU: only
 * TLBI_NSNH_ALL, TLBI_NH_{ALL,ASID,VA,VAA}, ATC_INV, CFGI_CD and
 * CFGI_CD_ALL, each with only its own fields; range fields only with
 * RANGE_INV and then checked by arm_vsmmu_validate_range(); ASID no wider
 * than asid_bits; ATC_INV only with ATS and Size <= 52; SSV/SSID/Global
 * only with substreams.  The vSID lookup (-EIO for a vSID without a
 * vDEVICE) needs the kernel's state and is not modelled.
 *
 * Return: 0, -EIO when the kernel would refuse the command, -EINVAL for
 * NULL pointers or a wrong @len.
 */
NIO_API int nio_smmuv3_cmd_validate(const void *buf, size_t len,
				    const struct nio_smmuv3_features *feat,
				    const char **reason);

/**
 * nio_smmuv3_cmd_validate_array() - judge an invalidation array
 * @cmds: @num consecutive raw commands
 * @num: number of commands (entry_num)
 * @feat: as nio_smmuv3_cmd_validate()
 * @done: if not NULL, the entry_num the kernel would report back: the
 *	index of the first refused command, or @num
 * @reason: as nio_smmuv3_cmd_validate()
 *
 * Return: 0, -EIO at the first refused command, -EINVAL for NULL pointers
 * or an empty array (the kernel refuses entry_num 0 for this data type
 * with EINVAL).
 */
NIO_API int nio_smmuv3_cmd_validate_array(const void *cmds, size_t num,
					  const struct nio_smmuv3_features *feat,
					  size_t *done, const char **reason);

/* ------------------------------------------------------------------ */
/* Event records (struct iommu_vevent_arm_smmuv3)                      */
/* ------------------------------------------------------------------ */

/* Event numbers (SMMUv3 specification, section 7.3) */
#define NIO_SMMUV3_EVT_F_UUT			0x01
#define NIO_SMMUV3_EVT_C_BAD_STREAMID		0x02
#define NIO_SMMUV3_EVT_F_STE_FETCH		0x03
#define NIO_SMMUV3_EVT_C_BAD_STE		0x04
#define NIO_SMMUV3_EVT_F_BAD_ATS_TREQ		0x05
#define NIO_SMMUV3_EVT_F_STREAM_DISABLED	0x06
#define NIO_SMMUV3_EVT_F_TRANSL_FORBIDDEN	0x07
#define NIO_SMMUV3_EVT_C_BAD_SUBSTREAMID	0x08
#define NIO_SMMUV3_EVT_F_CD_FETCH		0x09
#define NIO_SMMUV3_EVT_C_BAD_CD			0x0a
#define NIO_SMMUV3_EVT_F_WALK_EABT		0x0b
#define NIO_SMMUV3_EVT_F_TRANSLATION		0x10
#define NIO_SMMUV3_EVT_F_ADDR_SIZE		0x11
#define NIO_SMMUV3_EVT_F_ACCESS			0x12
#define NIO_SMMUV3_EVT_F_PERMISSION		0x13
#define NIO_SMMUV3_EVT_F_TLB_CONFLICT		0x20
#define NIO_SMMUV3_EVT_F_CFG_CONFLICT		0x21
#define NIO_SMMUV3_EVT_E_PAGE_REQUEST		0x24
#define NIO_SMMUV3_EVT_F_VMS_FETCH		0x25

/* Event CLASS values */
#define NIO_SMMUV3_EVT_CLASS_CD		0 /* CD fetch */
#define NIO_SMMUV3_EVT_CLASS_TT		1 /* stage 1 table walk */
#define NIO_SMMUV3_EVT_CLASS_IN		2 /* input address */

/**
 * struct nio_smmuv3_event - an event record as fields
 * @id: event number, NIO_SMMUV3_EVT_*
 * @ssv: SSV
 * @ssid: SubstreamID (meaningful when @ssv)
 * @sid: StreamID (the vSID in a vEVENTQ record)
 * @stag: STAG of a stalled transaction
 * @stall: Stall: the transaction is stalled, awaiting CMD_RESUME
 * @pnu: PnU: privileged
 * @ind: InD: instruction
 * @rnw: RnW: read
 * @s2: S2: stage 2 fault
 * @event_class: CLASS, NIO_SMMUV3_EVT_CLASS_*
 * @ttrnw: TTRnW: a table walk read caused the stage 2 permission fault
 * @input_addr: InputAddr
 * @ipa: IPA (bits [51:12] of word 3) for events that carry one
 * @fetch_addr: FetchAddr (bits [51:3] of word 3) for F_STE_FETCH,
 *	F_CD_FETCH, F_WALK_EABT and F_VMS_FETCH
 * @other: bits that no member describes, in place
 *
 * Every record is split with the common layout that the Linux driver's
 * arm_smmu_decode_event() applies to all events; a field that a given
 * event does not define reads whatever that record holds there
 * (normally zero, an IMPLEMENTATION DEFINED Reason for some faults).
 */
struct nio_smmuv3_event {
	uint8_t id;
	bool ssv;
	uint32_t ssid;
	uint32_t sid;
	uint16_t stag;
	bool stall;
	bool pnu;
	bool ind;
	bool rnw;
	bool s2;
	uint8_t event_class;
	bool ttrnw;
	uint64_t input_addr;
	uint64_t ipa;
	uint64_t fetch_addr;
	uint64_t other[4];
	uint64_t reserved[2];
};

/**
 * enum nio_smmuv3_event_route - where Linux 7.3 sends a host event
 * @NIO_SMMUV3_EVENT_TO_VEVENTQ: to the vIOMMU's vEVENTQ with the vSID
 *	(the device has a vDEVICE)
 * @NIO_SMMUV3_EVENT_TO_FAULT_QUEUE: a stall: to the IOPF fault queue
 * @NIO_SMMUV3_EVENT_TO_HOST_LOG: not forwarded (unhandled id, stage 2
 *	fault, or no vDEVICE); the host logs it
 */
enum nio_smmuv3_event_route {
	NIO_SMMUV3_EVENT_TO_VEVENTQ = 0,
	NIO_SMMUV3_EVENT_TO_FAULT_QUEUE,
	NIO_SMMUV3_EVENT_TO_HOST_LOG,
};

/**
 * nio_smmuv3_event_encode() - build a raw event record from fields
 * @evt: fields; @ipa is used unless @id is a fetch event, then @fetch_addr
 * @buf: output, NIO_SMMUV3_EVENT_SIZE bytes of little-endian words
 * @len: NIO_SMMUV3_EVENT_SIZE
 *
 * Return: 0, -EINVAL for NULL pointers, a wrong @len or a non-zero
 * @reserved, -ERANGE when a value does not fit its field, the unused
 * address of word 3 is set, or @other overlaps a field.
 */
NIO_API int nio_smmuv3_event_encode(const struct nio_smmuv3_event *evt,
				    void *buf, size_t len);

/**
 * nio_smmuv3_event_decode() - split a raw event record into fields
 * @buf: NIO_SMMUV3_EVENT_SIZE bytes of little-endian words
 * @len: NIO_SMMUV3_EVENT_SIZE
 * @evt: filled on success
 *
 * Return: 0, or -EINVAL for NULL pointers or a wrong @len.
 */
NIO_API int nio_smmuv3_event_decode(const void *buf, size_t len,
				    struct nio_smmuv3_event *evt);

/**
 * nio_smmuv3_event_route() - where the host kernel sends this event
 * @evt: the host event (physical StreamID)
 * @has_vdevice: the device behind the StreamID has a vDEVICE
 *
 * Mirrors arm_smmu_handle_event(): only C_BAD_STE, F_STREAM_DISABLED,
 * C_BAD_SUBSTREAMID, C_BAD_CD, F_TRANSLATION, F_ADDR_SIZE, F_ACCESS and
 * F_PERMISSION are handled; stalls go to the fault queue; stage 1 events
 * of a device with a vDEVICE go to the vEVENTQ.
 *
 * Return: the route; NIO_SMMUV3_EVENT_TO_HOST_LOG for a NULL @evt.
 */
NIO_API enum nio_smmuv3_event_route
nio_smmuv3_event_route(const struct nio_smmuv3_event *evt, bool has_vdevice);

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

/**
 * enum nio_smmuv3_name_kind - the value spaces nio_smmuv3_name() knows
 */
enum nio_smmuv3_name_kind {
	NIO_SMMUV3_NAME_OPCODE = 0,	/* "CMD_TLBI_NH_VA" */
	NIO_SMMUV3_NAME_EVENT,		/* "F_TRANSLATION" */
	NIO_SMMUV3_NAME_STE_CFG,	/* "S1_TRANS" */
	NIO_SMMUV3_NAME_STE_EATS,	/* "TRANS" */
	NIO_SMMUV3_NAME_STE_S1DSS,	/* "BYPASS" */
	NIO_SMMUV3_NAME_STE_S1FMT,	/* "LINEAR" */
	NIO_SMMUV3_NAME_EVT_CLASS,	/* "TT" */
};

/**
 * nio_smmuv3_name() - the name of a value
 * @kind: the value space
 * @value: the value
 *
 * Return: a static string, or NULL with errno ENOENT for a reserved or
 * unknown value (EINVAL for an unknown @kind).
 */
NIO_API const char *nio_smmuv3_name(enum nio_smmuv3_name_kind kind,
				    unsigned int value);

/**
 * nio_smmuv3_value() - the value of a name
 * @kind: the value space
 * @name: a name as nio_smmuv3_name() returns it, case-insensitive; an
 *	opcode may omit the "CMD_" prefix; "CFGI_ALL" is an alias of
 *	"CMD_CFGI_STE_RANGE"; a number (0x.., decimal) is accepted too
 * @value: the value on success
 *
 * Return: 0, -ENOENT for an unknown name, -ERANGE for a number too large
 * for the field, -EINVAL for NULL pointers or an unknown @kind.
 */
NIO_API int nio_smmuv3_value(enum nio_smmuv3_name_kind kind, const char *name,
			     unsigned int *value);

/**
 * nio_smmuv3_name_at() - enumerate the names of a value space
 * @kind: the value space
 * @idx: 0, 1, ...
 * @name: the idx-th name on success (static)
 * @value: its value on success
 *
 * Return: 0, -ENOENT past the end, -EINVAL for NULL pointers or an unknown
 * @kind.
 */
NIO_API int nio_smmuv3_name_at(enum nio_smmuv3_name_kind kind, size_t idx,
			       const char **name, unsigned int *value);

#ifdef __cplusplus
}
#endif

#endif
