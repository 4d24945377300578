// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ARM SMMUv3 codecs: vSTE, context descriptor, commands, events and ID
 * registers.  Pure functions, no kernel needed.
 *
 * Field positions come from the SMMUv3 specification (IHI 0070) and from
 * the Linux 7.3 arm-smmu-v3 driver; the validation rules are those of
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.c in Linux 7.3 (vSTE,
 * commands) and CdIllegal() of the specification (CD).  The masks are the
 * project's own: no kernel header is included.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nestiommu/smmuv3.h>

#define BIT64(n)	(1ULL << (n))
#define GENMASK64(h, l)	((~0ULL >> (63 - (h))) & (~0ULL << (l)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static inline unsigned int mask_shift(uint64_t mask)
{
	return (unsigned int)__builtin_ctzll(mask);
}

static inline uint64_t field_get(uint64_t mask, uint64_t word)
{
	return (word & mask) >> mask_shift(mask);
}

static inline uint64_t field_prep(uint64_t mask, uint64_t val)
{
	return (val << mask_shift(mask)) & mask;
}

/* Set errno from a negative errno and return it. */
static int fail(int err)
{
	errno = -err;
	return err;
}

static void load_le64(const void *buf, uint64_t *words, size_t n)
{
	memcpy(words, buf, n * sizeof(uint64_t));
	for (size_t i = 0; i < n; i++)
		words[i] = le64toh(words[i]);
}

static void store_le64(void *buf, const uint64_t *words, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t le = htole64(words[i]);

		memcpy((char *)buf + i * sizeof(le), &le, sizeof(le));
	}
}

/* ------------------------------------------------------------------ */
/* Table-driven struct <-> words                                       */
/* ------------------------------------------------------------------ */

/*
 * One field of a record: where it sits in the words and which struct
 * member holds it.  An "in place" field is an address: the member holds
 * the masked bits unshifted (so it reads as an address).
 */
struct field {
	uint8_t word;
	bool in_place;
	uint16_t offset;
	uint8_t size;
	uint64_t mask;
};

#define FIELD(type, w, m, member)                                       \
	{ .word = (w), .in_place = false, .mask = (m),                  \
	  .offset = offsetof(struct type, member),                      \
	  .size = sizeof(((struct type *)0)->member) }
#define ADDR_FIELD(type, w, m, member)                                  \
	{ .word = (w), .in_place = true, .mask = (m),                   \
	  .offset = offsetof(struct type, member),                      \
	  .size = sizeof(((struct type *)0)->member) }

static uint64_t member_get(const void *obj, const struct field *f)
{
	const char *p = (const char *)obj + f->offset;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (f->size) {
	case 1: /* uint8_t or bool: a bool's representation is 0 or 1 */
		memcpy(&v8, p, 1);
		return v8;
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	default:
		memcpy(&v64, p, 8);
		return v64;
	}
}

static void member_set(void *obj, const struct field *f, uint64_t val)
{
	char *p = (char *)obj + f->offset;
	uint8_t v8 = (uint8_t)val;
	uint16_t v16 = (uint16_t)val;
	uint32_t v32 = (uint32_t)val;

	switch (f->size) {
	case 1:
		memcpy(p, &v8, 1);
		break;
	case 2:
		memcpy(p, &v16, 2);
		break;
	case 4:
		memcpy(p, &v32, 4);
		break;
	default:
		memcpy(p, &val, 8);
		break;
	}
}

static bool bool_member(const struct field *f)
{
	return f->size == 1 && !f->in_place &&
	       (f->mask & (f->mask - 1)) == 0;
}

static void fields_decode(const struct field *fields, size_t nfields,
			  const uint64_t *words, void *obj)
{
	for (size_t i = 0; i < nfields; i++) {
		const struct field *f = &fields[i];
		uint64_t w = words[f->word];

		member_set(obj, f, f->in_place ? (w & f->mask) :
						 field_get(f->mask, w));
	}
}

/* Bits of word w that the fields describe. */
static uint64_t fields_mask(const struct field *fields, size_t nfields,
			    unsigned int w)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < nfields; i++)
		if (fields[i].word == w)
			mask |= fields[i].mask;
	return mask;
}

static int fields_encode(const struct field *fields, size_t nfields,
			 const void *obj, uint64_t *words)
{
	for (size_t i = 0; i < nfields; i++) {
		const struct field *f = &fields[i];
		uint64_t v = member_get(obj, f);

		if (bool_member(f) && v > 1)
			return -ERANGE;
		if (f->in_place) {
			if (v & ~f->mask)
				return -ERANGE;
			words[f->word] |= v;
		} else {
			if (v & ~(f->mask >> mask_shift(f->mask)))
				return -ERANGE;
			words[f->word] |= field_prep(f->mask, v);
		}
	}
	return 0;
}

/* Start from "other", which must not overlap any field. */
static int other_init(const struct field *fields, size_t nfields,
		      const uint64_t *other, uint64_t *words, size_t nwords)
{
	for (size_t w = 0; w < nwords; w++) {
		if (other[w] & fields_mask(fields, nfields, (unsigned int)w))
			return -ERANGE;
		words[w] = other[w];
	}
	return 0;
}

static void other_collect(const struct field *fields, size_t nfields,
			  const uint64_t *words, uint64_t *other,
			  size_t nwords)
{
	for (size_t w = 0; w < nwords; w++)
		other[w] = words[w] & ~fields_mask(fields, nfields,
						   (unsigned int)w);
}

/*
 * A record from its fields and "other" bits (which must not overlap a
 * field), stored as nwords little-endian words.
 */
static int record_encode(const struct field *fields, size_t nfields,
			 const void *obj, const uint64_t *other, void *buf,
			 size_t nwords)
{
	uint64_t words[8];
	int ret;

	ret = other_init(fields, nfields, other, words, nwords);
	if (!ret)
		ret = fields_encode(fields, nfields, obj, words);
	if (!ret)
		store_le64(buf, words, nwords);
	return ret;
}

/* The fields of loaded words, and the bits no field describes. */
static void record_decode(const struct field *fields, size_t nfields,
			  const uint64_t *words, void *obj, uint64_t *other,
			  size_t nwords)
{
	fields_decode(fields, nfields, words, obj);
	other_collect(fields, nfields, words, other, nwords);
}

static bool bad_buf(const void *buf, size_t len, size_t want)
{
	return !buf || len != want;
}

/* The reserved tail of a record struct must be zero for the encoders. */
#define RESERVED_SET(obj)	reserved_set((obj)->reserved, sizeof((obj)->reserved))

static bool reserved_set(const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i])
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

struct name {
	unsigned int value;
	const char *name;
};

static const struct name opcode_names[] = {
	{ NIO_SMMUV3_CMD_PREFETCH_CONFIG, "CMD_PREFETCH_CONFIG" },
	{ NIO_SMMUV3_CMD_PREFETCH_ADDR, "CMD_PREFETCH_ADDR" },
	{ NIO_SMMUV3_CMD_CFGI_STE, "CMD_CFGI_STE" },
	{ NIO_SMMUV3_CMD_CFGI_STE_RANGE, "CMD_CFGI_STE_RANGE" },
	{ NIO_SMMUV3_CMD_CFGI_CD, "CMD_CFGI_CD" },
	{ NIO_SMMUV3_CMD_CFGI_CD_ALL, "CMD_CFGI_CD_ALL" },
	{ NIO_SMMUV3_CMD_CFGI_VMS_PIDM, "CMD_CFGI_VMS_PIDM" },
	{ NIO_SMMUV3_CMD_TLBI_NH_ALL, "CMD_TLBI_NH_ALL" },
	{ NIO_SMMUV3_CMD_TLBI_NH_ASID, "CMD_TLBI_NH_ASID" },
	{ NIO_SMMUV3_CMD_TLBI_NH_VA, "CMD_TLBI_NH_VA" },
	{ NIO_SMMUV3_CMD_TLBI_NH_VAA, "CMD_TLBI_NH_VAA" },
	{ NIO_SMMUV3_CMD_TLBI_EL3_ALL, "CMD_TLBI_EL3_ALL" },
	{ NIO_SMMUV3_CMD_TLBI_EL3_VA, "CMD_TLBI_EL3_VA" },
	{ NIO_SMMUV3_CMD_TLBI_EL2_ALL, "CMD_TLBI_EL2_ALL" },
	{ NIO_SMMUV3_CMD_TLBI_EL2_ASID, "CMD_TLBI_EL2_ASID" },
	{ NIO_SMMUV3_CMD_TLBI_EL2_VA, "CMD_TLBI_EL2_VA" },
	{ NIO_SMMUV3_CMD_TLBI_EL2_VAA, "CMD_TLBI_EL2_VAA" },
	{ NIO_SMMUV3_CMD_TLBI_S12_VMALL, "CMD_TLBI_S12_VMALL" },
	{ NIO_SMMUV3_CMD_TLBI_S2_IPA, "CMD_TLBI_S2_IPA" },
	{ NIO_SMMUV3_CMD_TLBI_NSNH_ALL, "CMD_TLBI_NSNH_ALL" },
	{ NIO_SMMUV3_CMD_ATC_INV, "CMD_ATC_INV" },
	{ NIO_SMMUV3_CMD_PRI_RESP, "CMD_PRI_RESP" },
	{ NIO_SMMUV3_CMD_RESUME, "CMD_RESUME" },
	{ NIO_SMMUV3_CMD_STALL_TERM, "CMD_STALL_TERM" },
	{ NIO_SMMUV3_CMD_SYNC, "CMD_SYNC" },
	{ NIO_SMMUV3_CMD_TLBI_S_EL2_ALL, "CMD_TLBI_S_EL2_ALL" },
	{ NIO_SMMUV3_CMD_TLBI_S_EL2_ASID, "CMD_TLBI_S_EL2_ASID" },
	{ NIO_SMMUV3_CMD_TLBI_S_EL2_VA, "CMD_TLBI_S_EL2_VA" },
	{ NIO_SMMUV3_CMD_TLBI_S_EL2_VAA, "CMD_TLBI_S_EL2_VAA" },
	{ NIO_SMMUV3_CMD_TLBI_S_S12_VMALL, "CMD_TLBI_S_S12_VMALL" },
	{ NIO_SMMUV3_CMD_TLBI_S_S2_IPA, "CMD_TLBI_S_S2_IPA" },
	{ NIO_SMMUV3_CMD_TLBI_SNH_ALL, "CMD_TLBI_SNH_ALL" },
	{ NIO_SMMUV3_CMD_DPTI_ALL, "CMD_DPTI_ALL" },
	{ NIO_SMMUV3_CMD_DPTI_PA, "CMD_DPTI_PA" },
};

static const struct name event_names[] = {
	{ NIO_SMMUV3_EVT_F_UUT, "F_UUT" },
	{ NIO_SMMUV3_EVT_C_BAD_STREAMID, "C_BAD_STREAMID" },
	{ NIO_SMMUV3_EVT_F_STE_FETCH, "F_STE_FETCH" },
	{ NIO_SMMUV3_EVT_C_BAD_STE, "C_BAD_STE" },
	{ NIO_SMMUV3_EVT_F_BAD_ATS_TREQ, "F_BAD_ATS_TREQ" },
	{ NIO_SMMUV3_EVT_F_STREAM_DISABLED, "F_STREAM_DISABLED" },
	{ NIO_SMMUV3_EVT_F_TRANSL_FORBIDDEN, "F_TRANSL_FORBIDDEN" },
	{ NIO_SMMUV3_EVT_C_BAD_SUBSTREAMID, "C_BAD_SUBSTREAMID" },
	{ NIO_SMMUV3_EVT_F_CD_FETCH, "F_CD_FETCH" },
	{ NIO_SMMUV3_EVT_C_BAD_CD, "C_BAD_CD" },
	{ NIO_SMMUV3_EVT_F_WALK_EABT, "F_WALK_EABT" },
	{ NIO_SMMUV3_EVT_F_TRANSLATION, "F_TRANSLATION" },
	{ NIO_SMMUV3_EVT_F_ADDR_SIZE, "F_ADDR_SIZE" },
	{ NIO_SMMUV3_EVT_F_ACCESS, "F_ACCESS" },
	{ NIO_SMMUV3_EVT_F_PERMISSION, "F_PERMISSION" },
	{ NIO_SMMUV3_EVT_F_TLB_CONFLICT, "F_TLB_CONFLICT" },
	{ NIO_SMMUV3_EVT_F_CFG_CONFLICT, "F_CFG_CONFLICT" },
	{ NIO_SMMUV3_EVT_E_PAGE_REQUEST, "E_PAGE_REQUEST" },
	{ NIO_SMMUV3_EVT_F_VMS_FETCH, "F_VMS_FETCH" },
};

static const struct name ste_cfg_names[] = {
	{ NIO_SMMUV3_STE_CFG_ABORT, "ABORT" },
	{ NIO_SMMUV3_STE_CFG_BYPASS, "BYPASS" },
	{ NIO_SMMUV3_STE_CFG_S1_TRANS, "S1_TRANS" },
	{ NIO_SMMUV3_STE_CFG_S2_TRANS, "S2_TRANS" },
	{ NIO_SMMUV3_STE_CFG_NESTED, "NESTED" },
};

static const struct name ste_eats_names[] = {
	{ NIO_SMMUV3_STE_EATS_ABT, "ABT" },
	{ NIO_SMMUV3_STE_EATS_TRANS, "TRANS" },
	{ NIO_SMMUV3_STE_EATS_S1CHK, "S1CHK" },
};

static const struct name ste_s1dss_names[] = {
	{ NIO_SMMUV3_STE_S1DSS_TERMINATE, "TERMINATE" },
	{ NIO_SMMUV3_STE_S1DSS_BYPASS, "BYPASS" },
	{ NIO_SMMUV3_STE_S1DSS_SSID0, "SSID0" },
};

static const struct name ste_s1fmt_names[] = {
	{ NIO_SMMUV3_STE_S1FMT_LINEAR, "LINEAR" },
	{ NIO_SMMUV3_STE_S1FMT_4K_L2, "4K_L2" },
	{ NIO_SMMUV3_STE_S1FMT_64K_L2, "64K_L2" },
};

static const struct name evt_class_names[] = {
	{ NIO_SMMUV3_EVT_CLASS_CD, "CD" },
	{ NIO_SMMUV3_EVT_CLASS_TT, "TT" },
	{ NIO_SMMUV3_EVT_CLASS_IN, "IN" },
};

struct name_space {
	const struct name *names;
	size_t count;
	unsigned int max;	/* largest value the field can hold */
};

static const struct name_space name_spaces[] = {
	[NIO_SMMUV3_NAME_OPCODE] = { opcode_names, ARRAY_SIZE(opcode_names), 0xff },
	[NIO_SMMUV3_NAME_EVENT] = { event_names, ARRAY_SIZE(event_names), 0xff },
	[NIO_SMMUV3_NAME_STE_CFG] = { ste_cfg_names, ARRAY_SIZE(ste_cfg_names), 7 },
	[NIO_SMMUV3_NAME_STE_EATS] = { ste_eats_names, ARRAY_SIZE(ste_eats_names), 3 },
	[NIO_SMMUV3_NAME_STE_S1DSS] = { ste_s1dss_names, ARRAY_SIZE(ste_s1dss_names), 3 },
	[NIO_SMMUV3_NAME_STE_S1FMT] = { ste_s1fmt_names, ARRAY_SIZE(ste_s1fmt_names), 3 },
	[NIO_SMMUV3_NAME_EVT_CLASS] = { evt_class_names, ARRAY_SIZE(evt_class_names), 3 },
};

static const struct name_space *name_space(enum nio_smmuv3_name_kind kind)
{
	if ((unsigned int)kind >= ARRAY_SIZE(name_spaces))
		return NULL;
	return &name_spaces[kind];
}

static const char *lookup_name(const struct name *names, size_t count,
			       unsigned int value)
{
	for (size_t i = 0; i < count; i++)
		if (names[i].value == value)
			return names[i].name;
	return NULL;
}

NIO_API const char *nio_smmuv3_name(enum nio_smmuv3_name_kind kind,
				    unsigned int value)
{
	const struct name_space *ns = name_space(kind);
	const char *name;

	if (!ns) {
		errno = EINVAL;
		return NULL;
	}
	name = lookup_name(ns->names, ns->count, value);
	if (!name)
		errno = ENOENT;
	return name;
}

NIO_API int nio_smmuv3_value(enum nio_smmuv3_name_kind kind, const char *name,
			     unsigned int *value)
{
	const struct name_space *ns = name_space(kind);
	unsigned long num;
	char *end;

	if (!ns || !name || !value)
		return fail(-EINVAL);

	for (size_t i = 0; i < ns->count; i++) {
		const char *n = ns->names[i].name;

		if (!strcasecmp(name, n) ||
		    (kind == NIO_SMMUV3_NAME_OPCODE &&
		     !strcasecmp(name, n + strlen("CMD_")))) {
			*value = ns->names[i].value;
			return 0;
		}
	}
	/* CFGI_ALL is CFGI_STE_RANGE with Range=31: same opcode. */
	if (kind == NIO_SMMUV3_NAME_OPCODE &&
	    (!strcasecmp(name, "CMD_CFGI_ALL") || !strcasecmp(name, "CFGI_ALL"))) {
		*value = NIO_SMMUV3_CMD_CFGI_ALL;
		return 0;
	}

	/* A raw number lets callers name reserved values too. */
	if (*name >= '0' && *name <= '9') {
		errno = 0;
		num = strtoul(name, &end, 0);
		if (errno || *end)
			return fail(-ENOENT);
		if (num > ns->max)
			return fail(-ERANGE);
		*value = (unsigned int)num;
		return 0;
	}
	return fail(-ENOENT);
}

NIO_API int nio_smmuv3_name_at(enum nio_smmuv3_name_kind kind, size_t idx,
			       const char **name, unsigned int *value)
{
	const struct name_space *ns = name_space(kind);

	if (!ns || !name || !value)
		return fail(-EINVAL);
	if (idx >= ns->count)
		return fail(-ENOENT);
	*name = ns->names[idx].name;
	*value = ns->names[idx].value;
	return 0;
}

/* ------------------------------------------------------------------ */
/* ID registers                                                        */
/* ------------------------------------------------------------------ */

enum { IDR0, IDR1, IDR2, IDR3, IDR4, IDR5, IIDR, AIDR, NUM_IDREGS };

static const char *const idreg_names[NUM_IDREGS] = {
	"IDR0", "IDR1", "IDR2", "IDR3", "IDR4", "IDR5", "IIDR", "AIDR",
};

struct feature {
	uint8_t reg;
	uint8_t shift;
	uint8_t width;
	uint8_t use;
	uint16_t offset;
	uint8_t size;
	const char *name;
	const char *description;
};

#define FEAT(r, s, w, u, member, n, d)                                  \
	{ .reg = (r), .shift = (s), .width = (w),                       \
	  .use = NIO_SMMUV3_FEAT_##u,                                   \
	  .offset = offsetof(struct nio_smmuv3_features, member),       \
	  .size = sizeof(((struct nio_smmuv3_features *)0)->member),    \
	  .name = (n), .description = (d) }

/*
 * The "use" column follows the comment of struct iommu_hw_info_arm_smmuv3
 * in Linux 7.3 include/uapi/linux/iommufd.h.
 */
static const struct feature features[] = {
	FEAT(IDR0, 0, 1, HOST_ONLY, s2p, "S2P", "stage 2 translation"),
	FEAT(IDR0, 1, 1, VMM_ASSUMED, s1p, "S1P", "stage 1 translation (true if a nested HWPT can be created)"),
	FEAT(IDR0, 2, 2, VMM_READ, ttf, "TTF", "table formats: 1 VMSAv8-32 LPAE, 2 VMSAv8-64, 3 both"),
	FEAT(IDR0, 4, 1, VMM_ASSUMED, cohacc, "COHACC", "coherent access (iommufd requires it)"),
	FEAT(IDR0, 5, 1, NOT_NESTED, btm, "BTM", "broadcast TLB maintenance"),
	FEAT(IDR0, 6, 2, NOT_NESTED, httu, "HTTU", "hardware access/dirty flag update"),
	FEAT(IDR0, 8, 1, HOST_ONLY, dormhint, "DORMHINT", "dormant hint"),
	FEAT(IDR0, 9, 1, HOST_ONLY, hyp, "HYP", "EL2 stream world"),
	FEAT(IDR0, 10, 1, VMM_PER_DEVICE, ats, "ATS", "PCIe ATS (a per-device property for a VMM)"),
	FEAT(IDR0, 11, 1, HOST_ONLY, ns1ats, "NS1ATS", "stage 1 only ATS not supported"),
	FEAT(IDR0, 12, 1, VMM_READ, asid16, "ASID16", "16-bit ASIDs"),
	FEAT(IDR0, 13, 1, HOST_ONLY, msi, "MSI", "MSIs"),
	FEAT(IDR0, 14, 1, HOST_ONLY, sev, "SEV", "WFE wake-up events"),
	FEAT(IDR0, 15, 1, HOST_ONLY, atos, "ATOS", "address translation operations"),
	FEAT(IDR0, 16, 1, HOST_ONLY, pri, "PRI", "PCIe PRI"),
	FEAT(IDR0, 17, 1, HOST_ONLY, vmw, "VMW", "VMID wildcards"),
	FEAT(IDR0, 18, 1, HOST_ONLY, vmid16, "VMID16", "16-bit VMIDs"),
	FEAT(IDR0, 19, 1, VMM_READ, cd2l, "CD2L", "2-level CD tables"),
	FEAT(IDR0, 20, 1, HOST_ONLY, vatos, "VATOS", "virtual ATOS page"),
	FEAT(IDR0, 21, 2, VMM_READ, ttendian, "TTENDIAN", "table walk endianness: 0 mixed, 2 LE, 3 BE"),
	FEAT(IDR0, 23, 1, HOST_ONLY, atsrecerr, "ATSRECERR", "extra ATS/PRI error events"),
	FEAT(IDR0, 24, 2, VMM_READ, stall_model, "STALL_MODEL", "0 stall+terminate, 1 terminate only, 2 stall forced"),
	FEAT(IDR0, 26, 1, VMM_READ, term_model, "TERM_MODEL", "terminated transactions always abort (CD.A must be 1)"),
	FEAT(IDR0, 27, 2, VMM_READ, st_level, "ST_LEVEL", "0 linear, 1 2-level stream table"),
	FEAT(IDR0, 30, 1, HOST_ONLY, rme_impl, "RME_IMPL", "Realm Management Extension"),
	FEAT(IDR1, 0, 6, VMM_READ, sidsize, "SIDSIZE", "StreamID bits"),
	FEAT(IDR1, 6, 5, VMM_READ, ssidsize, "SSIDSIZE", "SubstreamID bits (0: no substreams)"),
	FEAT(IDR1, 11, 5, HOST_ONLY, priqs, "PRIQS", "log2 of PRI queue entries"),
	FEAT(IDR1, 16, 5, HOST_ONLY, evtqs, "EVENTQS", "log2 of event queue entries"),
	FEAT(IDR1, 21, 5, HOST_ONLY, cmdqs, "CMDQS", "log2 of command queue entries"),
	FEAT(IDR1, 26, 1, HOST_ONLY, attr_perms_ovr, "ATTR_PERMS_OVR", "STE permission overrides"),
	FEAT(IDR1, 27, 1, HOST_ONLY, attr_types_ovr, "ATTR_TYPES_OVR", "STE attribute overrides"),
	FEAT(IDR1, 28, 1, HOST_ONLY, rel, "REL", "relative base pointers"),
	FEAT(IDR1, 29, 1, HOST_ONLY, queues_preset, "QUEUES_PRESET", "fixed queue base addresses"),
	FEAT(IDR1, 30, 1, HOST_ONLY, tables_preset, "TABLES_PRESET", "fixed table base addresses"),
	FEAT(IDR1, 31, 1, HOST_ONLY, ecmdq, "ECMDQ", "enhanced command queues"),
	FEAT(IDR2, 0, 10, HOST_ONLY, ba_vatos, "BA_VATOS", "VATOS page base"),
	FEAT(IDR3, 2, 1, HOST_ONLY, had, "HAD", "hierarchical attribute disables"),
	FEAT(IDR3, 3, 1, HOST_ONLY, pbha, "PBHA", "page-based hardware attributes"),
	FEAT(IDR3, 4, 1, HOST_ONLY, xnx, "XNX", "EL0/EL1 execute control at stage 2"),
	FEAT(IDR3, 5, 1, HOST_ONLY, pps, "PPS", "PRI response with PASID"),
	FEAT(IDR3, 7, 1, NOT_NESTED, mpam, "MPAM", "memory partitioning and monitoring"),
	FEAT(IDR3, 8, 1, HOST_ONLY, fwb, "FWB", "stage 2 forced write-back"),
	FEAT(IDR3, 9, 1, HOST_ONLY, stt, "STT", "small translation tables"),
	FEAT(IDR3, 10, 1, VMM_READ, ril, "RIL", "range invalidation"),
	FEAT(IDR3, 11, 2, VMM_READ, bbml, "BBML", "break-before-make level"),
	FEAT(IDR3, 13, 1, HOST_ONLY, e0pd, "E0PD", "EL0 access fault on TTBx halves"),
	FEAT(IDR3, 14, 1, HOST_ONLY, ptwnnc, "PTWNNC", "table walks of non-cacheable memory"),
	FEAT(IDR3, 15, 1, HOST_ONLY, dpt, "DPT", "device permission table"),
	FEAT(IDR3, 16, 1, HOST_ONLY, pasidtt, "PASIDTT", "PASID on ATS translated transactions"),
	FEAT(IDR3, 17, 1, HOST_ONLY, epan, "EPAN", "enhanced PAN"),
	FEAT(IDR3, 18, 1, HOST_ONLY, s1pi, "S1PI", "stage 1 permission indirection"),
	FEAT(IDR3, 19, 1, HOST_ONLY, s2pi, "S2PI", "stage 2 permission indirection"),
	FEAT(IDR3, 20, 1, HOST_ONLY, s2po, "S2PO", "stage 2 permission overlay"),
	FEAT(IDR3, 21, 1, HOST_ONLY, the, "THE", "translation hardening"),
	FEAT(IDR3, 22, 1, HOST_ONLY, mteperm, "MTEPERM", "MTE permissions"),
	FEAT(IDR3, 23, 1, HOST_ONLY, aie, "AIE", "attribute index extension"),
	FEAT(IDR4, 0, 32, HOST_ONLY, idr4, "IDR4", "IMPLEMENTATION DEFINED"),
	FEAT(IDR5, 0, 3, HOST_ONLY, oas, "OAS", "output address size: 32,36,40,42,44,48,52,56 bits"),
	FEAT(IDR5, 4, 1, VMM_READ, gran4k, "GRAN4K", "4KB granule"),
	FEAT(IDR5, 5, 1, VMM_READ, gran16k, "GRAN16K", "16KB granule"),
	FEAT(IDR5, 6, 1, VMM_READ, gran64k, "GRAN64K", "64KB granule"),
	FEAT(IDR5, 7, 1, VMM_READ, ds, "DS", "52-bit addresses with 4KB/16KB granules"),
	FEAT(IDR5, 8, 1, HOST_ONLY, d128, "D128", "128-bit descriptors"),
	FEAT(IDR5, 10, 2, VMM_READ, vax, "VAX", "VA size: 0 48-bit, 1 52-bit, 2 56-bit"),
	FEAT(IDR5, 16, 16, HOST_ONLY, stall_max, "STALL_MAX", "outstanding stalls"),
	FEAT(IIDR, 0, 12, HOST_ONLY, implementer, "Implementer", "JEP106 implementer code"),
	FEAT(IIDR, 12, 4, HOST_ONLY, revision, "Revision", "minor revision"),
	FEAT(IIDR, 16, 4, HOST_ONLY, variant, "Variant", "major revision"),
	FEAT(IIDR, 20, 12, HOST_ONLY, productid, "ProductID", "product"),
	FEAT(AIDR, 0, 4, HOST_ONLY, arch_minor, "ArchMinorRev", "x of SMMUv3.x"),
	FEAT(AIDR, 4, 4, HOST_ONLY, arch_major, "ArchMajorRev", "0: SMMUv3"),
};

static uint32_t feature_mask(const struct feature *f)
{
	return (uint32_t)(GENMASK64(f->shift + f->width - 1, f->shift));
}

static struct field feature_as_field(const struct feature *f)
{
	return (struct field){ .offset = f->offset, .size = f->size };
}

static uint32_t *idreg_slot(struct nio_smmuv3_idregs *regs, unsigned int r)
{
	if (r < 6)
		return &regs->idr[r];
	return r == IIDR ? &regs->iidr : &regs->aidr;
}

static uint32_t idreg_value(const struct nio_smmuv3_idregs *regs,
			    unsigned int r)
{
	if (r < 6)
		return regs->idr[r];
	return r == IIDR ? regs->iidr : regs->aidr;
}

static unsigned int oas_to_bits(unsigned int oas)
{
	static const unsigned int bits[8] = { 32, 36, 40, 42, 44, 48, 52, 56 };

	return bits[oas & 7];
}

NIO_API int nio_smmuv3_idr_decode(const struct nio_smmuv3_idregs *regs,
				  struct nio_smmuv3_features *feat)
{
	uint32_t known[NUM_IDREGS] = { 0 };

	if (!regs || !feat)
		return fail(-EINVAL);

	memset(feat, 0, sizeof(*feat));
	for (size_t i = 0; i < ARRAY_SIZE(features); i++) {
		const struct feature *f = &features[i];
		struct field fld = feature_as_field(f);
		uint32_t mask = feature_mask(f);

		member_set(feat, &fld, (idreg_value(regs, f->reg) & mask) >>
				       f->shift);
		known[f->reg] |= mask;
	}
	for (unsigned int r = 0; r < NUM_IDREGS; r++)
		feat->unknown[r] = idreg_value(regs, r) & ~known[r];

	feat->oas_bits = oas_to_bits(feat->oas);
	feat->asid_bits = feat->asid16 ? 16 : 8;
	feat->vmid_bits = feat->vmid16 ? 16 : 8;
	return 0;
}

NIO_API int nio_smmuv3_idr_encode(const struct nio_smmuv3_features *feat,
				  struct nio_smmuv3_idregs *regs)
{
	struct nio_smmuv3_idregs out;
	uint32_t known[NUM_IDREGS] = { 0 };

	if (!feat || !regs || RESERVED_SET(feat))
		return fail(-EINVAL);

	for (size_t i = 0; i < ARRAY_SIZE(features); i++)
		known[features[i].reg] |= feature_mask(&features[i]);
	for (unsigned int r = 0; r < NUM_IDREGS; r++) {
		if (feat->unknown[r] & known[r])
			return fail(-ERANGE);
		*idreg_slot(&out, r) = feat->unknown[r];
	}

	for (size_t i = 0; i < ARRAY_SIZE(features); i++) {
		const struct feature *f = &features[i];
		struct field fld = feature_as_field(f);
		uint64_t v = member_get(feat, &fld);

		if (v > (feature_mask(f) >> f->shift))
			return fail(-ERANGE);
		*idreg_slot(&out, f->reg) |= (uint32_t)(v << f->shift);
	}
	*regs = out;
	return 0;
}

/* struct iommu_hw_info_arm_smmuv3: flags, __reserved, idr[6], iidr, aidr */
NIO_API int nio_smmuv3_hw_info_decode(const void *buf, size_t len,
				      struct nio_smmuv3_features *feat)
{
	uint32_t raw[10];
	struct nio_smmuv3_idregs regs;
	int ret;

	if (bad_buf(buf, len, NIO_SMMUV3_HW_INFO_SIZE) || !feat)
		return fail(-EINVAL);

	memcpy(raw, buf, sizeof(raw));
	memcpy(regs.idr, &raw[2], sizeof(regs.idr));
	regs.iidr = raw[8];
	regs.aidr = raw[9];
	ret = nio_smmuv3_idr_decode(&regs, feat);
	if (ret)
		return ret;
	feat->hw_info_flags = raw[0];
	return 0;
}

NIO_API int nio_smmuv3_hw_info_encode(const struct nio_smmuv3_features *feat,
				      void *buf, size_t len)
{
	uint32_t raw[10] = { 0 };
	struct nio_smmuv3_idregs regs;
	int ret;

	if (!feat || bad_buf(buf, len, NIO_SMMUV3_HW_INFO_SIZE))
		return fail(-EINVAL);

	ret = nio_smmuv3_idr_encode(feat, &regs);
	if (ret)
		return ret;
	raw[0] = feat->hw_info_flags;
	memcpy(&raw[2], regs.idr, sizeof(regs.idr));
	raw[8] = regs.iidr;
	raw[9] = regs.aidr;
	memcpy(buf, raw, sizeof(raw));
	return 0;
}

static void feature_fill_info(const struct feature *f,
			      struct nio_smmuv3_feature_info *info)
{
	info->name = f->name;
	info->reg = idreg_names[f->reg];
	info->shift = f->shift;
	info->width = f->width;
	info->use = (enum nio_smmuv3_feature_use)f->use;
	info->description = f->description;
}

NIO_API int nio_smmuv3_feature_info(size_t idx,
				    struct nio_smmuv3_feature_info *info)
{
	if (!info)
		return fail(-EINVAL);
	if (idx >= ARRAY_SIZE(features))
		return fail(-ENOENT);
	feature_fill_info(&features[idx], info);
	return 0;
}

NIO_API int nio_smmuv3_feature_get(const struct nio_smmuv3_features *feat,
				   const char *reg, const char *name,
				   uint32_t *value,
				   struct nio_smmuv3_feature_info *info)
{
	if (!feat || !name || !value)
		return fail(-EINVAL);
	/* arm-smmu-v3.h spells IDR1.EVENTQS as EVTQS */
	if (!strcasecmp(name, "EVTQS"))
		name = "EVENTQS";

	for (size_t i = 0; i < ARRAY_SIZE(features); i++) {
		const struct feature *f = &features[i];
		struct field fld = feature_as_field(f);

		if (strcasecmp(f->name, name) ||
		    (reg && strcasecmp(idreg_names[f->reg], reg)))
			continue;
		*value = (uint32_t)member_get(feat, &fld);
		if (info)
			feature_fill_info(f, info);
		return 0;
	}
	return fail(-ENOENT);
}

NIO_API int nio_smmuv3_features_vmm_view(const struct nio_smmuv3_features *host,
					 bool ats,
					 struct nio_smmuv3_features *view)
{
	struct nio_smmuv3_features out;

	if (!host || !view)
		return fail(-EINVAL);

	memset(&out, 0, sizeof(out));
	for (size_t i = 0; i < ARRAY_SIZE(features); i++) {
		const struct feature *f = &features[i];
		struct field fld = feature_as_field(f);

		if (f->use == NIO_SMMUV3_FEAT_VMM_READ)
			member_set(&out, &fld, member_get(host, &fld));
	}
	out.s1p = true;
	out.cohacc = true;
	out.ats = ats;
	out.asid_bits = out.asid16 ? 16 : 8;
	out.vmid_bits = 8;
	out.oas_bits = oas_to_bits(out.oas);
	*view = out;
	return 0;
}

/* ------------------------------------------------------------------ */
/* vSTE                                                                */
/* ------------------------------------------------------------------ */

#define STE0_V			BIT64(0)
#define STE0_CFG		GENMASK64(3, 1)
#define STE0_S1FMT		GENMASK64(5, 4)
#define STE0_S1CTXPTR		GENMASK64(51, 6)
#define STE0_S1CDMAX		GENMASK64(63, 59)
#define STE1_S1DSS		GENMASK64(1, 0)
#define STE1_S1CIR		GENMASK64(3, 2)
#define STE1_S1COR		GENMASK64(5, 4)
#define STE1_S1CSH		GENMASK64(7, 6)
#define STE1_S1STALLD		BIT64(27)
#define STE1_EATS		GENMASK64(29, 28)
#define STE1_MEV		BIT64(19)

/* STRTAB_STE_{0,1}_NESTING_ALLOWED of Linux 7.3 */
#define STE0_NESTING_ALLOWED	(STE0_V | STE0_CFG | STE0_S1FMT | \
				 STE0_S1CTXPTR | STE0_S1CDMAX)
#define STE1_NESTING_ALLOWED	(STE1_S1DSS | STE1_S1CIR | STE1_S1COR | \
				 STE1_S1CSH | STE1_S1STALLD | STE1_EATS)

static const struct field vste_fields[] = {
	FIELD(nio_smmuv3_vste, 0, STE0_V, valid),
	FIELD(nio_smmuv3_vste, 0, STE0_CFG, config),
	FIELD(nio_smmuv3_vste, 0, STE0_S1FMT, s1fmt),
	ADDR_FIELD(nio_smmuv3_vste, 0, STE0_S1CTXPTR, s1_context_ptr),
	FIELD(nio_smmuv3_vste, 0, STE0_S1CDMAX, s1cdmax),
	FIELD(nio_smmuv3_vste, 1, STE1_S1DSS, s1dss),
	FIELD(nio_smmuv3_vste, 1, STE1_S1CIR, s1cir),
	FIELD(nio_smmuv3_vste, 1, STE1_S1COR, s1cor),
	FIELD(nio_smmuv3_vste, 1, STE1_S1CSH, s1csh),
	FIELD(nio_smmuv3_vste, 1, STE1_S1STALLD, s1stalld),
	FIELD(nio_smmuv3_vste, 1, STE1_EATS, eats),
};

/* The STE fields a guest may not set, to name them in a refusal. */
struct named_bits {
	uint8_t word;
	uint64_t mask;
	const char *reason;
};

static const struct named_bits ste_forbidden[] = {
	{ 0, GENMASK64(55, 52), "STE.S1ContextPtr bits [55:52] are beyond the 52-bit address the kernel allows" },
	{ 0, GENMASK64(58, 56), "STE word 0 bits [58:56] are RES0" },
	{ 1, GENMASK64(11, 8), "STE.S2HWU59..62 is not a nesting-allowed field" },
	{ 1, BIT64(12), "STE.DRE is not a nesting-allowed field" },
	{ 1, GENMASK64(16, 13), "STE.CONT is not a nesting-allowed field" },
	{ 1, BIT64(17), "STE.DCP is not a nesting-allowed field" },
	{ 1, BIT64(18), "STE.PPAR is not a nesting-allowed field" },
	{ 1, BIT64(19), "STE.MEV is not a nesting-allowed field (the host sets it)" },
	{ 1, GENMASK64(23, 20), "STE.SW_RESERVED is not a nesting-allowed field" },
	{ 1, BIT64(24), "STE.S1PIE is not a nesting-allowed field" },
	{ 1, BIT64(25), "STE.S2FWB is not a nesting-allowed field" },
	{ 1, BIT64(26), "STE.S1MPAM is not a nesting-allowed field" },
	{ 1, GENMASK64(31, 30), "STE.STRW is not a nesting-allowed field" },
	{ 1, GENMASK64(35, 32), "STE.MemAttr is not a nesting-allowed field" },
	{ 1, BIT64(36), "STE.MTCFG is not a nesting-allowed field" },
	{ 1, GENMASK64(40, 37), "STE.ALLOCCFG is not a nesting-allowed field" },
	{ 1, GENMASK64(43, 41), "STE word 1 bits [43:41] are RES0" },
	{ 1, GENMASK64(45, 44), "STE.SHCFG is not a nesting-allowed field" },
	{ 1, GENMASK64(47, 46), "STE.NSCFG is not a nesting-allowed field" },
	{ 1, GENMASK64(49, 48), "STE.PRIVCFG is not a nesting-allowed field" },
	{ 1, GENMASK64(51, 50), "STE.INSTCFG is not a nesting-allowed field" },
	{ 1, GENMASK64(63, 52), "STE IMPLEMENTATION DEFINED bits [127:116] are not nesting-allowed" },
};

static void set_reason(const char **reason, const char *text)
{
	if (reason)
		*reason = text;
}

NIO_API int nio_smmuv3_vste_encode(const struct nio_smmuv3_vste *ste,
				   void *buf, size_t len)
{
	int ret;

	if (!ste || bad_buf(buf, len, NIO_SMMUV3_VSTE_SIZE) || RESERVED_SET(ste))
		return fail(-EINVAL);

	ret = record_encode(vste_fields, ARRAY_SIZE(vste_fields), ste,
			    ste->other, buf, 2);
	return ret ? fail(ret) : 0;
}

NIO_API int nio_smmuv3_vste_decode(const void *buf, size_t len,
				   struct nio_smmuv3_vste *ste)
{
	uint64_t words[2];

	if (bad_buf(buf, len, NIO_SMMUV3_VSTE_SIZE) || !ste)
		return fail(-EINVAL);

	load_le64(buf, words, 2);
	memset(ste, 0, sizeof(*ste));
	record_decode(vste_fields, ARRAY_SIZE(vste_fields), words, ste,
		      ste->other, 2);
	return 0;
}

/* Mirrors arm_smmu_validate_vste() and arm_vsmmu_alloc_domain_nested(). */
NIO_API int nio_smmuv3_vste_validate(const void *buf, size_t len,
				     struct nio_smmuv3_vste_result *result,
				     const char **reason)
{
	uint64_t words[2];
	uint64_t extra[2];
	unsigned int cfg, eats;
	struct nio_smmuv3_vste_result res = { 0 };

	if (bad_buf(buf, len, NIO_SMMUV3_VSTE_SIZE))
		return fail(-EINVAL);

	load_le64(buf, words, 2);

	/* V=0: the kernel zeroes the whole vSTE and accepts it. */
	if (!(words[0] & STE0_V)) {
		res.install = NIO_SMMUV3_VSTE_INSTALL_ABORT;
		res.phys[0] = STE0_V | field_prep(STE0_CFG, NIO_SMMUV3_STE_CFG_ABORT);
		if (result)
			*result = res;
		set_reason(reason, "STE.V is 0: accepted, installed as an abort STE (guest gets C_BAD_STE)");
		return 0;
	}

	extra[0] = words[0] & ~STE0_NESTING_ALLOWED;
	extra[1] = words[1] & ~STE1_NESTING_ALLOWED;
	if (extra[0] || extra[1]) {
		const char *why = "STE has a bit outside the nesting-allowed fields";

		for (size_t i = 0; i < ARRAY_SIZE(ste_forbidden); i++) {
			const struct named_bits *nb = &ste_forbidden[i];

			if (extra[nb->word] & nb->mask) {
				why = nb->reason;
				break;
			}
		}
		set_reason(reason, why);
		return fail(-EIO);
	}

	cfg = (unsigned int)field_get(STE0_CFG, words[0]);
	if (cfg != NIO_SMMUV3_STE_CFG_ABORT && cfg != NIO_SMMUV3_STE_CFG_BYPASS &&
	    cfg != NIO_SMMUV3_STE_CFG_S1_TRANS) {
		set_reason(reason, cfg == NIO_SMMUV3_STE_CFG_S2_TRANS ?
			   "STE.Config is S2_TRANS: only abort, bypass or S1_TRANS may be nested" :
			   cfg == NIO_SMMUV3_STE_CFG_NESTED ?
			   "STE.Config is NESTED: only abort, bypass or S1_TRANS may be nested" :
			   "STE.Config is a reserved value: only abort, bypass or S1_TRANS may be nested");
		return fail(-EIO);
	}

	eats = (unsigned int)field_get(STE1_EATS, words[1]);
	if (eats != NIO_SMMUV3_STE_EATS_ABT && eats != NIO_SMMUV3_STE_EATS_TRANS) {
		set_reason(reason, eats == NIO_SMMUV3_STE_EATS_S1CHK ?
			   "STE.EATS is S1CHK: only ABT (ATS UR) or TRANS (full ATS) is supported" :
			   "STE.EATS is a reserved value: only ABT or TRANS is supported");
		return fail(-EIO);
	}

	res.stored[0] = words[0];
	res.stored[1] = words[1] & ~STE1_EATS;
	res.enable_ats = cfg == NIO_SMMUV3_STE_CFG_S1_TRANS &&
			 eats == NIO_SMMUV3_STE_EATS_TRANS;
	/* arm_smmu_make_nested_domain_ste() */
	switch (cfg) {
	case NIO_SMMUV3_STE_CFG_S1_TRANS:
		res.install = NIO_SMMUV3_VSTE_INSTALL_NESTED;
		res.needs_vdevice = true;
		res.phys[0] = STE0_V |
			      field_prep(STE0_CFG, NIO_SMMUV3_STE_CFG_NESTED) |
			      (res.stored[0] & ~STE0_CFG);
		res.phys[1] = res.stored[1] | STE1_MEV;
		set_reason(reason, "accepted: Config=S1_TRANS, installed as a nested STE over the parent's stage 2");
		break;
	case NIO_SMMUV3_STE_CFG_BYPASS:
		res.install = NIO_SMMUV3_VSTE_INSTALL_BYPASS;
		res.phys[0] = STE0_V |
			      field_prep(STE0_CFG, NIO_SMMUV3_STE_CFG_S2_TRANS);
		set_reason(reason, "accepted: Config=bypass, installed as the parent's stage-2-only STE");
		break;
	default:
		res.install = NIO_SMMUV3_VSTE_INSTALL_ABORT;
		res.phys[0] = STE0_V |
			      field_prep(STE0_CFG, NIO_SMMUV3_STE_CFG_ABORT);
		set_reason(reason, "accepted: Config=abort, installed as an abort STE");
		break;
	}
	if (result)
		*result = res;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Context descriptor                                                  */
/* ------------------------------------------------------------------ */

#define CD0_T0SZ	GENMASK64(5, 0)
#define CD0_TG0		GENMASK64(7, 6)
#define CD0_IR0		GENMASK64(9, 8)
#define CD0_OR0		GENMASK64(11, 10)
#define CD0_SH0		GENMASK64(13, 12)
#define CD0_EPD0	BIT64(14)
#define CD0_ENDI	BIT64(15)
#define CD0_T1SZ	GENMASK64(21, 16)
#define CD0_TG1		GENMASK64(23, 22)
#define CD0_IR1		GENMASK64(25, 24)
#define CD0_OR1		GENMASK64(27, 26)
#define CD0_SH1		GENMASK64(29, 28)
#define CD0_EPD1	BIT64(30)
#define CD0_V		BIT64(31)
#define CD0_IPS		GENMASK64(34, 32)
#define CD0_AFFD	BIT64(35)
#define CD0_WXN		BIT64(36)
#define CD0_UWXN	BIT64(37)
#define CD0_TBI0	BIT64(38)
#define CD0_TBI1	BIT64(39)
#define CD0_PAN		BIT64(40)
#define CD0_AA64	BIT64(41)
#define CD0_HD		BIT64(42)
#define CD0_HA		BIT64(43)
#define CD0_S		BIT64(44)
#define CD0_R		BIT64(45)
#define CD0_A		BIT64(46)
#define CD0_ASET	BIT64(47)
#define CD0_ASID	GENMASK64(63, 48)
#define CD1_NSCFG0	BIT64(0)
#define CD1_HAD0	BIT64(1)
#define CD1_E0PD0	BIT64(2)
#define CD1_HAFT	BIT64(3)
#define CD1_TTB0	GENMASK64(55, 4)
#define CD1_PNCH	BIT64(58)
#define CD1_EPAN	BIT64(59)
#define CD2_NSCFG1	BIT64(0)
#define CD2_HAD1	BIT64(1)
#define CD2_E0PD1	BIT64(2)
#define CD2_AIE		BIT64(3)
#define CD2_TTB1	GENMASK64(55, 4)
#define CD2_DS		BIT64(58)
#define CD2_PIE		BIT64(59)
#define CD3_MAIR	GENMASK64(63, 0)
#define CD4_AMAIR	GENMASK64(63, 0)
#define CD5_IMPDEF	GENMASK64(31, 0)
#define CD5_PARTID	GENMASK64(47, 32)
#define CD5_PMG		GENMASK64(55, 48)
#define CD6_PIIU	GENMASK64(47, 0)
#define CD7_PIIP	GENMASK64(47, 0)

#define CD_FIELD(w, m, member)	FIELD(nio_smmuv3_cd, w, m, member)

static const struct field cd_fields[] = {
	CD_FIELD(0, CD0_T0SZ, t0sz),
	CD_FIELD(0, CD0_TG0, tg0),
	CD_FIELD(0, CD0_IR0, irgn0),
	CD_FIELD(0, CD0_OR0, orgn0),
	CD_FIELD(0, CD0_SH0, sh0),
	CD_FIELD(0, CD0_EPD0, epd0),
	CD_FIELD(0, CD0_ENDI, endi),
	CD_FIELD(0, CD0_T1SZ, t1sz),
	CD_FIELD(0, CD0_TG1, tg1),
	CD_FIELD(0, CD0_IR1, irgn1),
	CD_FIELD(0, CD0_OR1, orgn1),
	CD_FIELD(0, CD0_SH1, sh1),
	CD_FIELD(0, CD0_EPD1, epd1),
	CD_FIELD(0, CD0_V, valid),
	CD_FIELD(0, CD0_IPS, ips),
	CD_FIELD(0, CD0_AFFD, affd),
	CD_FIELD(0, CD0_WXN, wxn),
	CD_FIELD(0, CD0_UWXN, uwxn),
	CD_FIELD(0, CD0_TBI0, tbi0),
	CD_FIELD(0, CD0_TBI1, tbi1),
	CD_FIELD(0, CD0_PAN, pan),
	CD_FIELD(0, CD0_AA64, aa64),
	CD_FIELD(0, CD0_HD, hd),
	CD_FIELD(0, CD0_HA, ha),
	CD_FIELD(0, CD0_S, s),
	CD_FIELD(0, CD0_R, r),
	CD_FIELD(0, CD0_A, a),
	CD_FIELD(0, CD0_ASET, aset),
	CD_FIELD(0, CD0_ASID, asid),
	CD_FIELD(1, CD1_NSCFG0, nscfg0),
	CD_FIELD(1, CD1_HAD0, had0),
	CD_FIELD(1, CD1_E0PD0, e0pd0),
	CD_FIELD(1, CD1_HAFT, haft),
	ADDR_FIELD(nio_smmuv3_cd, 1, CD1_TTB0, ttb0),
	CD_FIELD(1, CD1_PNCH, pnch),
	CD_FIELD(1, CD1_EPAN, epan),
	CD_FIELD(2, CD2_NSCFG1, nscfg1),
	CD_FIELD(2, CD2_HAD1, had1),
	CD_FIELD(2, CD2_E0PD1, e0pd1),
	CD_FIELD(2, CD2_AIE, aie),
	ADDR_FIELD(nio_smmuv3_cd, 2, CD2_TTB1, ttb1),
	CD_FIELD(2, CD2_DS, ds),
	CD_FIELD(2, CD2_PIE, pie),
	CD_FIELD(3, CD3_MAIR, mair),
	CD_FIELD(4, CD4_AMAIR, amair),
	CD_FIELD(5, CD5_IMPDEF, impdef),
	CD_FIELD(5, CD5_PARTID, partid),
	CD_FIELD(5, CD5_PMG, pmg),
	CD_FIELD(6, CD6_PIIU, piiu),
	CD_FIELD(7, CD7_PIIP, piip),
};

NIO_API int nio_smmuv3_cd_encode(const struct nio_smmuv3_cd *cd,
				 void *buf, size_t len)
{
	int ret;

	if (!cd || bad_buf(buf, len, NIO_SMMUV3_CD_SIZE) || RESERVED_SET(cd))
		return fail(-EINVAL);

	ret = record_encode(cd_fields, ARRAY_SIZE(cd_fields), cd, cd->other,
			    buf, 8);
	return ret ? fail(ret) : 0;
}

NIO_API int nio_smmuv3_cd_decode(const void *buf, size_t len,
				 struct nio_smmuv3_cd *cd)
{
	uint64_t words[8];

	if (bad_buf(buf, len, NIO_SMMUV3_CD_SIZE) || !cd)
		return fail(-EINVAL);

	load_le64(buf, words, 8);
	memset(cd, 0, sizeof(*cd));
	record_decode(cd_fields, ARRAY_SIZE(cd_fields), words, cd, cd->other,
		      8);
	return 0;
}

/* Granule sizes as log2 bytes; 0 for a reserved encoding. */
static unsigned int cd_tg0_bits(unsigned int tg0)
{
	static const unsigned int bits[4] = { 12, 16, 14, 0 };

	return bits[tg0 & 3];
}

static unsigned int cd_tg1_bits(unsigned int tg1)
{
	static const unsigned int bits[4] = { 0, 14, 12, 16 };

	return bits[tg1 & 3];
}

static bool granule_supported(const struct nio_smmuv3_features *feat,
			      unsigned int bits)
{
	return (bits == 12 && feat->gran4k) || (bits == 14 && feat->gran16k) ||
	       (bits == 16 && feat->gran64k);
}

/* CDTxSZInvalid() of the specification, VMSAv8-64 only. */
static bool cd_txsz_invalid(const struct nio_smmuv3_features *feat,
			    const struct nio_smmuv3_cd *cd, unsigned int txsz,
			    unsigned int granule)
{
	unsigned int txsz_min = 16, txsz_max;

	if (feat->stt)
		txsz_max = (granule == 12 || granule == 14) ? 48 : 47;
	else
		txsz_max = 39;

	/* 52-bit VAs need a 64KB granule or DS (VAX 1 and 2 alike here) */
	if ((feat->vax == 1 || feat->vax == 2) &&
	    (granule == 16 || (feat->ds && cd->ds)))
		txsz_min = 12;

	return txsz < txsz_min || txsz > txsz_max;
}

/* Effective IPS in bits: CD.IPS capped to the OAS; 40 for VMSAv8-32. */
static unsigned int cd_ips_bits(const struct nio_smmuv3_features *feat,
				const struct nio_smmuv3_cd *cd)
{
	unsigned int bits;

	if (!cd->aa64)
		return 40;
	switch (cd->ips) {
	case 6: /* reserved in SMMUv3.0, behaves as 48 bits */
		bits = feat->arch_minor == 0 ? 48 : 52;
		break;
	case 7: /* 56 bits from SMMUv3.4; before, reserved */
		bits = feat->arch_minor == 0 ? 48 :
		       feat->arch_minor < 4 ? 52 : 56;
		break;
	default:
		bits = oas_to_bits(cd->ips);
		break;
	}
	/* from the raw field: callers may fill features by hand */
	if (bits > oas_to_bits(feat->oas))
		bits = oas_to_bits(feat->oas);
	return bits;
}

static bool cd_ttb_out_of_range(const struct nio_smmuv3_features *feat,
				const struct nio_smmuv3_cd *cd, uint64_t ttb,
				unsigned int granule)
{
	unsigned int range = cd_ips_bits(feat, cd);

	/*
	 * Without DS, VMSAv8-64 tables with 4KB/16KB granules are 48-bit;
	 * CD.DS takes effect only if the SMMU has IDR5.DS.
	 */
	if (cd->aa64 && !(cd->ds && feat->ds) && granule != 16 && range > 48)
		range = 48;
	return range < 64 && (ttb >> range) != 0;
}

/*
 * CdIllegal() of the SMMUv3 specification (section 5.4.2), for a
 * Non-secure stream whose STE selects StreamWorld NS-EL1: EPDx take
 * effect as written, and no EL2/EL3 rules apply.
 */
NIO_API int nio_smmuv3_cd_check(const struct nio_smmuv3_cd *cd,
				const struct nio_smmuv3_features *feat,
				bool ste_s1stalld, const char **reason)
{
	bool vmsa32;
	unsigned int g0, g1;

	if (!cd || !feat)
		return fail(-EINVAL);

	if (feat->d128 && !cd->aa64) {
		set_reason(reason, "CD.AA64=0 selects VMSAv9-128 (IDR5.D128=1), which is not modelled");
		return fail(-EOPNOTSUPP);
	}
	vmsa32 = !cd->aa64;
	g0 = cd_tg0_bits(cd->tg0);
	g1 = cd_tg1_bits(cd->tg1);

#define ILLEGAL(text) do { set_reason(reason, text); return fail(-EIO); } while (0)
	if (!cd->valid)
		ILLEGAL("CD.V is 0");
	if (ste_s1stalld && cd->s)
		ILLEGAL("CD.S is 1 but STE.S1STALLD disables stalls");
	if (feat->term_model && !cd->a)
		ILLEGAL("CD.A is 0 but IDR0.TERM_MODEL=1 requires aborts");
	if (feat->stall_model == NIO_SMMUV3_STALL_MODEL_TERM_ONLY && cd->s)
		ILLEGAL("CD.S is 1 but IDR0.STALL_MODEL says stall is not supported");
	if (feat->stall_model == NIO_SMMUV3_STALL_MODEL_FORCED && !cd->s)
		ILLEGAL("CD.S is 0 but IDR0.STALL_MODEL says stall is forced");
	if ((!cd->epd0 || !cd->epd1) &&
	    ((feat->ttendian == NIO_SMMUV3_TTENDIAN_LE && cd->endi) ||
	     (feat->ttendian == NIO_SMMUV3_TTENDIAN_BE && !cd->endi)))
		ILLEGAL("CD.ENDI selects a table endianness that IDR0.TTENDIAN does not support");
	if (vmsa32 && !(feat->ttf & NIO_SMMUV3_TTF_AARCH32))
		ILLEGAL("CD.AA64 is 0 but IDR0.TTF has no VMSAv8-32 LPAE");
	if (!vmsa32 && !(feat->ttf & NIO_SMMUV3_TTF_AARCH64))
		ILLEGAL("CD.AA64 is 1 but IDR0.TTF has no VMSAv8-64");
	if (!vmsa32) {
		if ((cd->ha || cd->hd) && feat->httu == 0)
			ILLEGAL("CD.HA/HD set but IDR0.HTTU supports no flag updates");
		if (cd->hd && feat->httu == 1)
			ILLEGAL("CD.HD set but IDR0.HTTU supports only the Access flag");
		if (feat->httu == 3 && cd->haft && !cd->ha)
			ILLEGAL("CD.HAFT set without CD.HA");
	}
	if (!feat->asid16 && (cd->asid >> 8))
		ILLEGAL("CD.ASID[15:8] is non-zero but IDR0.ASID16=0 (8-bit ASIDs)");
	/* Out-of-range TxSZ: ILLEGAL from v3.1, may be clamped on v3.0. */
	if (!vmsa32 && !cd->epd0 && cd_txsz_invalid(feat, cd, cd->t0sz, g0))
		ILLEGAL("CD.T0SZ is out of the range the SMMU supports");
	if (!vmsa32 && !cd->epd1 && cd_txsz_invalid(feat, cd, cd->t1sz, g1))
		ILLEGAL("CD.T1SZ is out of the range the SMMU supports");
	if (!cd->epd0 && !vmsa32 && !granule_supported(feat, g0))
		ILLEGAL("CD.TG0 selects a granule that IDR5 does not support (or a reserved value)");
	if (!cd->epd0 && cd_ttb_out_of_range(feat, cd, cd->ttb0, g0))
		ILLEGAL("CD.TTB0 is outside the effective IPS range");
	if (!cd->epd1 && !vmsa32 && !granule_supported(feat, g1))
		ILLEGAL("CD.TG1 selects a granule that IDR5 does not support (or a reserved value)");
	if (!cd->epd1 && cd_ttb_out_of_range(feat, cd, cd->ttb1, g1))
		ILLEGAL("CD.TTB1 is outside the effective IPS range");
#undef ILLEGAL

	set_reason(reason, "CD is valid");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

#define CMD0_OP			GENMASK64(7, 0)
#define CMD0_GLOBAL		BIT64(9)
#define CMD0_SSEC		BIT64(10)
#define CMD0_SSV		BIT64(11)
#define CMD0_SSID		GENMASK64(31, 12)
#define CMD0_SID		GENMASK64(63, 32)
#define CMD0_NUM		GENMASK64(16, 12)
#define CMD0_SCALE		GENMASK64(25, 20)
#define CMD0_VMID		GENMASK64(47, 32)
#define CMD0_ASID		GENMASK64(63, 48)
#define CMD0_RESUME_RESP	GENMASK64(13, 12)
#define CMD0_SYNC_CS		GENMASK64(13, 12)
#define CMD0_SYNC_MSH		GENMASK64(23, 22)
#define CMD0_SYNC_MSIATTR	GENMASK64(27, 24)
#define CMD0_SYNC_MSIDATA	GENMASK64(63, 32)
#define CMD1_LEAF		BIT64(0)
#define CMD1_TTL		GENMASK64(9, 8)
#define CMD1_TG			GENMASK64(11, 10)
#define CMD1_VA			GENMASK64(63, 12)
#define CMD1_IPA		GENMASK64(55, 12)
#define CMD1_MSIADDR		GENMASK64(55, 2)
#define CMD1_ATC_SIZE		GENMASK64(5, 0)
#define CMD1_SIZE5		GENMASK64(4, 0)
#define CMD1_PRI_GRPID		GENMASK64(8, 0)
#define CMD1_PRI_RESP		GENMASK64(13, 12)
#define CMD1_STAG		GENMASK64(15, 0)

#define F(x)	NIO_SMMUV3_CMD_F_##x
#define TLBI_RANGE	(F(NUM) | F(SCALE) | F(LEAF) | F(TTL) | F(TG) | F(ADDR))

/*
 * Command layouts (SMMUv3 specification, chapter 4).  The layout of a
 * field is the same in every command that has it, except where the
 * per-opcode columns say otherwise (address width, Size width, which
 * word holds Resp).
 */
struct cmd_layout {
	uint8_t opcode;
	uint32_t fields;
	uint64_t addr_mask;
	uint64_t size_mask;
	uint8_t resp_word;
};

static const struct cmd_layout cmd_layouts[] = {
	{ .opcode = NIO_SMMUV3_CMD_PREFETCH_CONFIG, .fields = F(SSEC) | F(SSV) | F(SSID) | F(SID) },
	/* Stride and NS of PREFETCH_ADDR are left in "other" */
	{ .opcode = NIO_SMMUV3_CMD_PREFETCH_ADDR, .fields = F(SSEC) | F(SSV) | F(SSID) | F(SID) |
	  F(SIZE) | F(ADDR), .addr_mask = CMD1_VA, .size_mask = CMD1_SIZE5 },
	{ .opcode = NIO_SMMUV3_CMD_CFGI_STE, .fields = F(SSEC) | F(SID) | F(LEAF) },
	{ .opcode = NIO_SMMUV3_CMD_CFGI_STE_RANGE, .fields = F(SSEC) | F(SID) | F(SIZE), .size_mask = CMD1_SIZE5 },
	{ .opcode = NIO_SMMUV3_CMD_CFGI_CD, .fields = F(SSEC) | F(SSID) | F(SID) | F(LEAF) },
	{ .opcode = NIO_SMMUV3_CMD_CFGI_CD_ALL, .fields = F(SSEC) | F(SID) },
	{ .opcode = NIO_SMMUV3_CMD_CFGI_VMS_PIDM, .fields = F(SSEC) | F(VMID) },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_NH_ALL, .fields = F(VMID) },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_NH_ASID, .fields = F(VMID) | F(ASID) },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_NH_VA, .fields = F(VMID) | F(ASID) | TLBI_RANGE, .addr_mask = CMD1_VA },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_NH_VAA, .fields = F(VMID) | TLBI_RANGE, .addr_mask = CMD1_VA },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_EL3_ALL, .fields = 0 },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_EL3_VA, .fields = TLBI_RANGE, .addr_mask = CMD1_VA },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_EL2_ALL, .fields = 0 },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_EL2_ASID, .fields = F(ASID) },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_EL2_VA, .fields = F(ASID) | TLBI_RANGE, .addr_mask = CMD1_VA },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_EL2_VAA, .fields = TLBI_RANGE, .addr_mask = CMD1_VA },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_S12_VMALL, .fields = F(VMID) },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_S2_IPA, .fields = F(VMID) | TLBI_RANGE, .addr_mask = CMD1_IPA },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_NSNH_ALL, .fields = 0 },
	{ .opcode = NIO_SMMUV3_CMD_ATC_INV, .fields = F(SSV) | F(GLOBAL) | F(SSID) | F(SID) |
	  F(SIZE) | F(ADDR), .addr_mask = CMD1_VA, .size_mask = CMD1_ATC_SIZE },
	{ .opcode = NIO_SMMUV3_CMD_PRI_RESP, .fields = F(SSV) | F(SSID) | F(SID) |
	  F(GRPID) | F(RESP), .resp_word = 1 },
	{ .opcode = NIO_SMMUV3_CMD_RESUME, .fields = F(SSEC) | F(SID) | F(RESP) | F(STAG) },
	{ .opcode = NIO_SMMUV3_CMD_STALL_TERM, .fields = F(SSEC) | F(SID) },
	{ .opcode = NIO_SMMUV3_CMD_SYNC, .fields = F(CS) | F(MSH) | F(MSIATTR) | F(MSIDATA) |
	  F(ADDR), .addr_mask = CMD1_MSIADDR },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_S_EL2_ALL, .fields = 0 },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_S_EL2_ASID, .fields = F(ASID) },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_S_EL2_VA, .fields = F(ASID) | TLBI_RANGE, .addr_mask = CMD1_VA },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_S_EL2_VAA, .fields = TLBI_RANGE, .addr_mask = CMD1_VA },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_S_S12_VMALL, .fields = F(VMID) },
	/* the NS operand of TLBI_S_S2_IPA is left in "other" */
	{ .opcode = NIO_SMMUV3_CMD_TLBI_S_S2_IPA, .fields = F(VMID) | TLBI_RANGE, .addr_mask = CMD1_IPA },
	{ .opcode = NIO_SMMUV3_CMD_TLBI_SNH_ALL, .fields = 0 },
	{ .opcode = NIO_SMMUV3_CMD_DPTI_ALL, .fields = 0 },
	/* the DPTI_PA operands are left in "other" */
	{ .opcode = NIO_SMMUV3_CMD_DPTI_PA, .fields = 0 },
};

static const struct cmd_layout *cmd_layout(uint8_t opcode)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmd_layouts); i++)
		if (cmd_layouts[i].opcode == opcode)
			return &cmd_layouts[i];
	return NULL;
}

#define CMD_FIELD(w, m, member)	FIELD(nio_smmuv3_cmd, w, m, member)

/* Build the field table of one opcode; returns the number of fields. */
static size_t cmd_fields_of(const struct cmd_layout *l, struct field *out)
{
	size_t n = 0;

	out[n++] = (struct field)CMD_FIELD(0, CMD0_OP, opcode);
	if (!l)
		return n;
	if (l->fields & F(SSEC))
		out[n++] = (struct field)CMD_FIELD(0, CMD0_SSEC, ssec);
	if (l->fields & F(SSV))
		out[n++] = (struct field)CMD_FIELD(0, CMD0_SSV, ssv);
	if (l->fields & F(SSID))
		out[n++] = (struct field)CMD_FIELD(0, CMD0_SSID, ssid);
	if (l->fields & F(SID))
		out[n++] = (struct field)CMD_FIELD(0, CMD0_SID, sid);
	if (l->fields & F(VMID))
		out[n++] = (struct field)CMD_FIELD(0, CMD0_VMID, vmid);
	if (l->fields & F(ASID))
		out[n++] = (struct field)CMD_FIELD(0, CMD0_ASID, asid);
	if (l->fields & F(NUM))
		out[n++] = (struct field)CMD_FIELD(0, CMD0_NUM, num);
	if (l->fields & F(SCALE))
		out[n++] = (struct field)CMD_FIELD(0, CMD0_SCALE, scale);
	if (l->fields & F(GLOBAL))
		out[n++] = (struct field)CMD_FIELD(0, CMD0_GLOBAL, global);
	if (l->fields & F(LEAF))
		out[n++] = (struct field)CMD_FIELD(1, CMD1_LEAF, leaf);
	if (l->fields & F(TTL))
		out[n++] = (struct field)CMD_FIELD(1, CMD1_TTL, ttl);
	if (l->fields & F(TG))
		out[n++] = (struct field)CMD_FIELD(1, CMD1_TG, tg);
	if (l->fields & F(ADDR))
		out[n++] = (struct field)ADDR_FIELD(nio_smmuv3_cmd, 1,
						    l->addr_mask, addr);
	if (l->fields & F(SIZE))
		out[n++] = (struct field)CMD_FIELD(1, l->size_mask, size);
	if (l->fields & F(RESP))
		out[n++] = l->resp_word ?
			(struct field)CMD_FIELD(1, CMD1_PRI_RESP, resp) :
			(struct field)CMD_FIELD(0, CMD0_RESUME_RESP, resp);
	if (l->fields & F(GRPID))
		out[n++] = (struct field)CMD_FIELD(1, CMD1_PRI_GRPID, grpid);
	if (l->fields & F(STAG))
		out[n++] = (struct field)CMD_FIELD(1, CMD1_STAG, stag);
	if (l->fields & F(CS))
		out[n++] = (struct field)CMD_FIELD(0, CMD0_SYNC_CS, cs);
	if (l->fields & F(MSH))
		out[n++] = (struct field)CMD_FIELD(0, CMD0_SYNC_MSH, msh);
	if (l->fields & F(MSIATTR))
		out[n++] = (struct field)CMD_FIELD(0, CMD0_SYNC_MSIATTR, msiattr);
	if (l->fields & F(MSIDATA))
		out[n++] = (struct field)CMD_FIELD(0, CMD0_SYNC_MSIDATA, msidata);
	return n;
}

/* Every member of struct nio_smmuv3_cmd but opcode and other. */
static const struct field cmd_all_members[] = {
	CMD_FIELD(0, CMD0_SSEC, ssec),
	CMD_FIELD(0, CMD0_SSV, ssv),
	CMD_FIELD(0, CMD0_SSID, ssid),
	CMD_FIELD(0, CMD0_SID, sid),
	CMD_FIELD(0, CMD0_VMID, vmid),
	CMD_FIELD(0, CMD0_ASID, asid),
	CMD_FIELD(0, CMD0_NUM, num),
	CMD_FIELD(0, CMD0_SCALE, scale),
	CMD_FIELD(0, CMD0_GLOBAL, global),
	CMD_FIELD(1, CMD1_LEAF, leaf),
	CMD_FIELD(1, CMD1_TTL, ttl),
	CMD_FIELD(1, CMD1_TG, tg),
	ADDR_FIELD(nio_smmuv3_cmd, 1, CMD1_VA, addr),
	CMD_FIELD(1, CMD1_ATC_SIZE, size),
	CMD_FIELD(1, CMD1_PRI_RESP, resp),
	CMD_FIELD(1, CMD1_PRI_GRPID, grpid),
	CMD_FIELD(1, CMD1_STAG, stag),
	CMD_FIELD(0, CMD0_SYNC_CS, cs),
	CMD_FIELD(0, CMD0_SYNC_MSH, msh),
	CMD_FIELD(0, CMD0_SYNC_MSIATTR, msiattr),
	CMD_FIELD(0, CMD0_SYNC_MSIDATA, msidata),
};
static const uint32_t cmd_all_member_flags[] = {
	F(SSEC), F(SSV), F(SSID), F(SID), F(VMID), F(ASID), F(NUM), F(SCALE),
	F(GLOBAL), F(LEAF), F(TTL), F(TG), F(ADDR), F(SIZE), F(RESP),
	F(GRPID), F(STAG), F(CS), F(MSH), F(MSIATTR), F(MSIDATA),
};

#define CMD_MAX_FIELDS	(ARRAY_SIZE(cmd_all_members) + 1)

NIO_API int nio_smmuv3_cmd_fields(uint8_t opcode, uint32_t *fields)
{
	const struct cmd_layout *l = cmd_layout(opcode);

	if (!fields)
		return fail(-EINVAL);
	if (!l)
		return fail(-ENOENT);
	*fields = l->fields;
	return 0;
}

NIO_API int nio_smmuv3_cmd_encode(const struct nio_smmuv3_cmd *cmd,
				  void *buf, size_t len)
{
	struct field fields[CMD_MAX_FIELDS];
	const struct cmd_layout *l;
	size_t n;
	int ret;

	if (!cmd || bad_buf(buf, len, NIO_SMMUV3_CMD_SIZE) || RESERVED_SET(cmd))
		return fail(-EINVAL);

	l = cmd_layout(cmd->opcode);
	/* A member the opcode does not have must be zero, not dropped. */
	for (size_t i = 0; i < ARRAY_SIZE(cmd_all_members); i++)
		if (!(l && (l->fields & cmd_all_member_flags[i])) &&
		    member_get(cmd, &cmd_all_members[i]))
			return fail(-ERANGE);

	n = cmd_fields_of(l, fields);
	ret = record_encode(fields, n, cmd, cmd->other, buf, 2);
	return ret ? fail(ret) : 0;
}

NIO_API int nio_smmuv3_cmd_decode(const void *buf, size_t len,
				  struct nio_smmuv3_cmd *cmd)
{
	struct field fields[CMD_MAX_FIELDS];
	uint64_t words[2];
	size_t n;

	if (bad_buf(buf, len, NIO_SMMUV3_CMD_SIZE) || !cmd)
		return fail(-EINVAL);

	load_le64(buf, words, 2);
	memset(cmd, 0, sizeof(*cmd));
	n = cmd_fields_of(cmd_layout((uint8_t)(words[0] & CMD0_OP)), fields);
	record_decode(fields, n, words, cmd, cmd->other, 2);
	return 0;
}

/*
 * arm_vsmmu_validate_range() of Linux 7.3: reject the range encodings the
 * specification defines as Reserved.
 */
static int cmd_validate_range(const struct nio_smmuv3_features *feat,
			      const uint64_t *data, const char **reason)
{
	bool range = data[0] & (CMD0_NUM | CMD0_SCALE);
	unsigned int ttl = (unsigned int)field_get(CMD1_TTL, data[1]);
	unsigned int tg = (unsigned int)field_get(CMD1_TG, data[1]);

	if (!tg) {
		if (range || ttl) {
			set_reason(reason, "TLBI NUM/SCALE/TTL must be 0 when TG is 0");
			return -EIO;
		}
		return 0;
	}
	if (tg == 2 && ttl == 1 && !feat->ds) {
		set_reason(reason, "TLBI TTL=1 with a 16KB TG needs IDR5.DS");
		return -EIO;
	}
	if (!range && !ttl) {
		set_reason(reason, "TLBI with TG set needs NUM/SCALE or TTL (NUM=SCALE=TTL=0 is reserved)");
		return -EIO;
	}
	return 0;
}

/* Name the field of refused bits, most specific first. */
static const char *cmd_refusal(const struct nio_smmuv3_features *feat,
			       uint8_t op, const uint64_t *bad)
{
	bool has_range = op == NIO_SMMUV3_CMD_TLBI_NH_VA ||
			 op == NIO_SMMUV3_CMD_TLBI_NH_VAA;
	bool has_asid = op == NIO_SMMUV3_CMD_TLBI_NH_VA ||
			op == NIO_SMMUV3_CMD_TLBI_NH_ASID;

	if (has_range && ((bad[0] & (CMD0_NUM | CMD0_SCALE)) ||
			  (bad[1] & (CMD1_TG | CMD1_TTL)))) {
		if (!feat->ril)
			return "TLBI range fields (NUM/SCALE/TG/TTL) need RANGE_INV (IDR3.RIL)";
		return "TLBI SCALE above 31 needs IDR5.DS";
	}
	if (has_asid && (bad[0] & CMD0_ASID))
		return "TLBI ASID is wider than the SMMU's 8-bit ASIDs (IDR0.ASID16=0)";
	if (op == NIO_SMMUV3_CMD_ATC_INV &&
	    (bad[0] & (CMD0_SSV | CMD0_SSID | CMD0_GLOBAL)))
		return "ATC_INV SSV/SSID/Global need substreams (IDR1.SSIDSIZE > 0)";
	if (op == NIO_SMMUV3_CMD_CFGI_CD && (bad[0] & CMD0_SSID))
		return "CFGI_CD SSID needs substreams (IDR1.SSIDSIZE > 0)";
	if (bad[0] & CMD0_SSEC)
		return "SSec must be 0 (Secure streams are not reachable)";
	if (op == NIO_SMMUV3_CMD_TLBI_NSNH_ALL)
		return "TLBI_NSNH_ALL takes no operand: a bit besides the opcode is set";
	return "a field that this opcode may not carry, or a RES0 bit, is set";
}

/* arm_vsmmu_validate_user_cmd() of Linux 7.3, on CPU-order words. */
static int cmd_validate_words(const struct nio_smmuv3_features *feat,
			      const uint64_t *data, const char **reason)
{
	uint64_t allowed[2] = { CMD0_OP, 0 };
	uint64_t bad[2];
	unsigned int asid_bits = feat->asid16 ? 16 : 8;
	uint8_t op = (uint8_t)(data[0] & CMD0_OP);
	int ret;

	switch (op) {
	case NIO_SMMUV3_CMD_TLBI_NSNH_ALL:
		break;
	case NIO_SMMUV3_CMD_TLBI_NH_VA:
	case NIO_SMMUV3_CMD_TLBI_NH_VAA:
		if (op == NIO_SMMUV3_CMD_TLBI_NH_VA)
			allowed[0] |= field_prep(CMD0_ASID,
						 GENMASK64(asid_bits - 1, 0));
		if (feat->ril) {
			ret = cmd_validate_range(feat, data, reason);
			if (ret)
				return ret;
			allowed[0] |= CMD0_NUM | CMD0_SCALE;
			allowed[1] |= CMD1_TG | CMD1_TTL;
			/* SCALE bit 5 (values above 31) is RES0 without DS */
			if (!feat->ds)
				allowed[0] &= ~field_prep(CMD0_SCALE, BIT64(5));
		}
		allowed[0] |= CMD0_VMID;
		allowed[1] |= CMD1_LEAF | CMD1_VA;
		break;
	case NIO_SMMUV3_CMD_TLBI_NH_ASID:
	case NIO_SMMUV3_CMD_TLBI_NH_ALL:
		if (op == NIO_SMMUV3_CMD_TLBI_NH_ASID)
			allowed[0] |= field_prep(CMD0_ASID,
						 GENMASK64(asid_bits - 1, 0));
		allowed[0] |= CMD0_VMID;
		break;
	case NIO_SMMUV3_CMD_ATC_INV:
		if (!feat->ats) {
			set_reason(reason, "ATC_INV needs ATS (IDR0.ATS)");
			return -EIO;
		}
		if (field_get(CMD1_ATC_SIZE, data[1]) > NIO_SMMUV3_ATC_INV_SIZE_ALL) {
			set_reason(reason, "ATC_INV Size is above 52");
			return -EIO;
		}
		/* SSID and Global are IGNORED, not RES0, when SSV is 0 */
		if (feat->ssidsize)
			allowed[0] |= CMD0_SSV | CMD0_SSID | CMD0_GLOBAL;
		allowed[0] |= CMD0_SID;
		allowed[1] |= CMD1_ATC_SIZE | CMD1_VA;
		break;
	case NIO_SMMUV3_CMD_CFGI_CD:
	case NIO_SMMUV3_CMD_CFGI_CD_ALL:
		if (op == NIO_SMMUV3_CMD_CFGI_CD) {
			/* no SSV for CFGI_CD */
			if (feat->ssidsize)
				allowed[0] |= CMD0_SSID;
			allowed[1] |= CMD1_LEAF;
		}
		allowed[0] |= CMD0_SID;
		break;
	default:
		set_reason(reason, "opcode not accepted by a nested vIOMMU (only TLBI_NSNH_ALL, TLBI_NH_ALL/ASID/VA/VAA, ATC_INV, CFGI_CD, CFGI_CD_ALL)");
		return -EIO;
	}

	bad[0] = data[0] & ~allowed[0];
	bad[1] = data[1] & ~allowed[1];
	if (bad[0] || bad[1]) {
		set_reason(reason, cmd_refusal(feat, op, bad));
		return -EIO;
	}
	set_reason(reason, "accepted");
	return 0;
}

NIO_API int nio_smmuv3_cmd_validate(const void *buf, size_t len,
				    const struct nio_smmuv3_features *feat,
				    const char **reason)
{
	uint64_t words[2];
	int ret;

	if (bad_buf(buf, len, NIO_SMMUV3_CMD_SIZE) || !feat)
		return fail(-EINVAL);

	load_le64(buf, words, 2);
	ret = cmd_validate_words(feat, words, reason);
	return ret ? fail(ret) : 0;
}

NIO_API int nio_smmuv3_cmd_validate_array(const void *cmds, size_t num,
					  const struct nio_smmuv3_features *feat,
					  size_t *done, const char **reason)
{
	if (!cmds || !feat || !num) {
		if (done)
			*done = 0;
		set_reason(reason, "an empty or NULL invalidation array is refused with EINVAL");
		return fail(-EINVAL);
	}
	for (size_t i = 0; i < num; i++) {
		uint64_t words[2];
		int ret;

		load_le64((const char *)cmds + i * NIO_SMMUV3_CMD_SIZE, words, 2);
		ret = cmd_validate_words(feat, words, reason);
		if (ret) {
			if (done)
				*done = i;
			return fail(ret);
		}
	}
	if (done)
		*done = num;
	return 0;
}

#undef F

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

#define EVT0_ID		GENMASK64(7, 0)
#define EVT0_SSV	BIT64(11)
#define EVT0_SSID	GENMASK64(31, 12)
#define EVT0_SID	GENMASK64(63, 32)
#define EVT1_STAG	GENMASK64(15, 0)
#define EVT1_STALL	BIT64(31)
#define EVT1_PNU	BIT64(33)
#define EVT1_IND	BIT64(34)
#define EVT1_RNW	BIT64(35)
#define EVT1_S2		BIT64(39)
#define EVT1_CLASS	GENMASK64(41, 40)
#define EVT1_TTRNW	BIT64(44)
#define EVT2_ADDR	GENMASK64(63, 0)
#define EVT3_IPA	GENMASK64(51, 12)
#define EVT3_FETCH_ADDR	GENMASK64(51, 3)

#define EVT_FIELD(w, m, member)	FIELD(nio_smmuv3_event, w, m, member)

static const struct field event_fields[] = {
	EVT_FIELD(0, EVT0_ID, id),
	EVT_FIELD(0, EVT0_SSV, ssv),
	EVT_FIELD(0, EVT0_SSID, ssid),
	EVT_FIELD(0, EVT0_SID, sid),
	EVT_FIELD(1, EVT1_STAG, stag),
	EVT_FIELD(1, EVT1_STALL, stall),
	EVT_FIELD(1, EVT1_PNU, pnu),
	EVT_FIELD(1, EVT1_IND, ind),
	EVT_FIELD(1, EVT1_RNW, rnw),
	EVT_FIELD(1, EVT1_S2, s2),
	EVT_FIELD(1, EVT1_CLASS, event_class),
	EVT_FIELD(1, EVT1_TTRNW, ttrnw),
	ADDR_FIELD(nio_smmuv3_event, 2, EVT2_ADDR, input_addr),
};

static const struct field event_ipa =
	ADDR_FIELD(nio_smmuv3_event, 3, EVT3_IPA, ipa);
static const struct field event_fetch =
	ADDR_FIELD(nio_smmuv3_event, 3, EVT3_FETCH_ADDR, fetch_addr);

/* Events whose word 3 is a FetchAddr rather than an IPA. */
static bool event_has_fetch_addr(uint8_t id)
{
	return id == NIO_SMMUV3_EVT_F_STE_FETCH ||
	       id == NIO_SMMUV3_EVT_F_CD_FETCH ||
	       id == NIO_SMMUV3_EVT_F_WALK_EABT ||
	       id == NIO_SMMUV3_EVT_F_VMS_FETCH;
}

/* The field table of one event: the common fields and its word 3. */
static size_t event_fields_of(uint8_t id, struct field *out)
{
	size_t n = ARRAY_SIZE(event_fields);

	memcpy(out, event_fields, sizeof(event_fields));
	out[n++] = event_has_fetch_addr(id) ? event_fetch : event_ipa;
	return n;
}

NIO_API int nio_smmuv3_event_encode(const struct nio_smmuv3_event *evt,
				    void *buf, size_t len)
{
	struct field fields[ARRAY_SIZE(event_fields) + 1];
	size_t n;
	int ret;

	if (!evt || bad_buf(buf, len, NIO_SMMUV3_EVENT_SIZE) || RESERVED_SET(evt))
		return fail(-EINVAL);

	/* The address this event does not carry must be left zero. */
	if (event_has_fetch_addr(evt->id) ? evt->ipa : evt->fetch_addr)
		return fail(-ERANGE);

	n = event_fields_of(evt->id, fields);
	ret = record_encode(fields, n, evt, evt->other, buf, 4);
	return ret ? fail(ret) : 0;
}

NIO_API int nio_smmuv3_event_decode(const void *buf, size_t len,
				    struct nio_smmuv3_event *evt)
{
	struct field fields[ARRAY_SIZE(event_fields) + 1];
	uint64_t words[4];
	size_t n;

	if (bad_buf(buf, len, NIO_SMMUV3_EVENT_SIZE) || !evt)
		return fail(-EINVAL);

	load_le64(buf, words, 4);
	memset(evt, 0, sizeof(*evt));
	n = event_fields_of((uint8_t)field_get(EVT0_ID, words[0]), fields);
	record_decode(fields, n, words, evt, evt->other, 4);
	return 0;
}

/* arm_smmu_handle_event() of Linux 7.3. */
NIO_API enum nio_smmuv3_event_route
nio_smmuv3_event_route(const struct nio_smmuv3_event *evt, bool has_vdevice)
{
	if (!evt)
		return NIO_SMMUV3_EVENT_TO_HOST_LOG;

	switch (evt->id) {
	case NIO_SMMUV3_EVT_C_BAD_STE:
	case NIO_SMMUV3_EVT_F_STREAM_DISABLED:
	case NIO_SMMUV3_EVT_C_BAD_SUBSTREAMID:
	case NIO_SMMUV3_EVT_C_BAD_CD:
	case NIO_SMMUV3_EVT_F_TRANSLATION:
	case NIO_SMMUV3_EVT_F_ADDR_SIZE:
	case NIO_SMMUV3_EVT_F_ACCESS:
	case NIO_SMMUV3_EVT_F_PERMISSION:
		break;
	default:
		return NIO_SMMUV3_EVENT_TO_HOST_LOG;
	}
	if (evt->stall)
		return NIO_SMMUV3_EVENT_TO_FAULT_QUEUE;
	if (has_vdevice && !evt->s2)
		return NIO_SMMUV3_EVENT_TO_VEVENTQ;
	return NIO_SMMUV3_EVENT_TO_HOST_LOG;
}
