// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Offline SMMUv3 codecs: ste, cd, cmd, event, idr { encode | decode }.
 *
 * Raw records are given as 64-bit words (hex, least significant word
 * first, exactly the u64 array of the uAPI struct); fields as a JSON
 * object whose keys are the member names of the libnestiommu codec structs
 * with '_' written '-'.  decode accepts the output of encode (its "words"),
 * and encode accepts decode's "fields", so the two round-trip.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <nestiommu/smmuv3.h>

#include "nestctl.h"
#include "jarg.h"
#include "codec.h"
#include "jv.h"

enum fkind { F_BOOL, F_UINT, F_ADDR, F_ENUM };

struct field {
	const char *name; /* JSON name */
	size_t off;
	uint8_t size;
	uint8_t kind;
	int8_t names; /* enum nio_smmuv3_name_kind or -1 */
	uint32_t cmdf; /* NIO_SMMUV3_CMD_F_* for commands */
};

#define FLD(S, M, N, K, NK, CF)                                             \
	{ N, offsetof(struct S, M), sizeof(((struct S *)0)->M), K, NK, CF }
#define FB(S, M, N) FLD(S, M, N, F_BOOL, -1, 0)
#define FU(S, M, N) FLD(S, M, N, F_UINT, -1, 0)
#define FA(S, M, N) FLD(S, M, N, F_ADDR, -1, 0)
#define FE(S, M, N, NK) FLD(S, M, N, F_ENUM, NK, 0)

static const struct field ste_fields[] = {
	FB(nio_smmuv3_vste, valid, "valid"),
	FE(nio_smmuv3_vste, config, "config", NIO_SMMUV3_NAME_STE_CFG),
	FE(nio_smmuv3_vste, s1fmt, "s1fmt", NIO_SMMUV3_NAME_STE_S1FMT),
	FA(nio_smmuv3_vste, s1_context_ptr, "s1-context-ptr"),
	FU(nio_smmuv3_vste, s1cdmax, "s1cdmax"),
	FE(nio_smmuv3_vste, s1dss, "s1dss", NIO_SMMUV3_NAME_STE_S1DSS),
	FU(nio_smmuv3_vste, s1cir, "s1cir"),
	FU(nio_smmuv3_vste, s1cor, "s1cor"),
	FU(nio_smmuv3_vste, s1csh, "s1csh"),
	FB(nio_smmuv3_vste, s1stalld, "s1stalld"),
	FE(nio_smmuv3_vste, eats, "eats", NIO_SMMUV3_NAME_STE_EATS),
	{ 0 },
};

#define CDB(M) FB(nio_smmuv3_cd, M, #M)
#define CDU(M) FU(nio_smmuv3_cd, M, #M)
#define CDA(M) FA(nio_smmuv3_cd, M, #M)
static const struct field cd_fields[] = {
	CDB(valid), CDU(t0sz), CDU(tg0), CDU(irgn0), CDU(orgn0), CDU(sh0),
	CDB(epd0), CDB(endi), CDU(t1sz), CDU(tg1), CDU(irgn1), CDU(orgn1),
	CDU(sh1), CDB(epd1), CDU(ips), CDB(affd), CDB(wxn), CDB(uwxn),
	CDB(tbi0), CDB(tbi1), CDB(pan), CDB(aa64), CDB(hd), CDB(ha), CDB(s),
	CDB(r), CDB(a), CDB(aset), CDU(asid), CDB(nscfg0), CDB(had0),
	CDB(e0pd0), CDB(haft), CDA(ttb0), CDB(pnch), CDB(epan), CDB(nscfg1),
	CDB(had1), CDB(e0pd1), CDB(aie), CDA(ttb1), CDB(ds), CDB(pie),
	CDA(mair), CDA(amair), CDU(impdef), CDU(partid), CDU(pmg), CDA(piiu),
	CDA(piip),
	{ 0 },
};

#define CMF(M, K, F) FLD(nio_smmuv3_cmd, M, #M, K, -1, NIO_SMMUV3_CMD_F_##F)
static const struct field cmd_fields[] = {
	FE(nio_smmuv3_cmd, opcode, "opcode", NIO_SMMUV3_NAME_OPCODE),
	CMF(ssec, F_BOOL, SSEC), CMF(ssv, F_BOOL, SSV), CMF(ssid, F_UINT, SSID),
	CMF(sid, F_UINT, SID), CMF(vmid, F_UINT, VMID),
	CMF(asid, F_UINT, ASID), CMF(num, F_UINT, NUM),
	CMF(scale, F_UINT, SCALE), CMF(global, F_BOOL, GLOBAL),
	CMF(leaf, F_BOOL, LEAF), CMF(ttl, F_UINT, TTL), CMF(tg, F_UINT, TG),
	CMF(addr, F_ADDR, ADDR), CMF(size, F_UINT, SIZE),
	CMF(resp, F_UINT, RESP), CMF(grpid, F_UINT, GRPID),
	CMF(stag, F_UINT, STAG), CMF(cs, F_UINT, CS), CMF(msh, F_UINT, MSH),
	CMF(msiattr, F_UINT, MSIATTR), CMF(msidata, F_UINT, MSIDATA),
	{ 0 },
};

static const struct field event_fields[] = {
	FE(nio_smmuv3_event, id, "id", NIO_SMMUV3_NAME_EVENT),
	FB(nio_smmuv3_event, ssv, "ssv"),
	FU(nio_smmuv3_event, ssid, "ssid"),
	FU(nio_smmuv3_event, sid, "sid"),
	FU(nio_smmuv3_event, stag, "stag"),
	FB(nio_smmuv3_event, stall, "stall"),
	FB(nio_smmuv3_event, pnu, "pnu"),
	FB(nio_smmuv3_event, ind, "ind"),
	FB(nio_smmuv3_event, rnw, "rnw"),
	FB(nio_smmuv3_event, s2, "s2"),
	FE(nio_smmuv3_event, event_class, "class", NIO_SMMUV3_NAME_EVT_CLASS),
	FB(nio_smmuv3_event, ttrnw, "ttrnw"),
	FA(nio_smmuv3_event, input_addr, "input-addr"),
	FA(nio_smmuv3_event, ipa, "ipa"),
	FA(nio_smmuv3_event, fetch_addr, "fetch-addr"),
	{ 0 },
};

/* One record kind: its fields, where "other" lives, its size in words. */
struct rec {
	const char *what;
	const struct field *fields;
	size_t size;       /* struct size */
	size_t other_off;  /* offset of uint64_t other[nwords] */
	unsigned int nwords;
};

static const struct rec rec_ste = {
	"vSTE", ste_fields, sizeof(struct nio_smmuv3_vste),
	offsetof(struct nio_smmuv3_vste, other), 2,
};
static const struct rec rec_cd = {
	"CD", cd_fields, sizeof(struct nio_smmuv3_cd),
	offsetof(struct nio_smmuv3_cd, other), 8,
};
static const struct rec rec_cmd = {
	"command", cmd_fields, sizeof(struct nio_smmuv3_cmd),
	offsetof(struct nio_smmuv3_cmd, other), 2,
};
static const struct rec rec_event = {
	"event", event_fields, sizeof(struct nio_smmuv3_event),
	offsetof(struct nio_smmuv3_event, other), 4,
};

static uint64_t fget(const void *s, const struct field *f)
{
	const uint8_t *p = (const uint8_t *)s + f->off;

	if (f->kind == F_BOOL)
		return *(const bool *)p;
	switch (f->size) {
	case 1: return *p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	default: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
}

static void fset(void *s, const struct field *f, uint64_t v)
{
	uint8_t *p = (uint8_t *)s + f->off;

	if (f->kind == F_BOOL) {
		*(bool *)p = v;
		return;
	}
	switch (f->size) {
	case 1: *p = (uint8_t)v; break;
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

static uint64_t field_max(const struct field *f)
{
	if (f->kind == F_BOOL)
		return 1;
	return f->size == 8 ? UINT64_MAX : (1ULL << (8 * f->size)) - 1;
}

void words_to_le(const uint64_t *w, unsigned int n, void *buf)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t le = htole64(w[i]);

		memcpy((uint8_t *)buf + 8 * i, &le, 8);
	}
}

static void words_json(struct json_object *o, const char *key,
		       const uint64_t *w, unsigned int n)
{
	struct json_object *a = json_object_new_array();
	struct json_object *h = json_object_new_array();
	char hk[64];

	for (unsigned int i = 0; i < n; i++) {
		json_object_array_add(a, json_object_new_uint64(w[i]));
		json_object_array_add(h, j_hex_string(w[i]));
	}
	json_object_object_add(o, key, a);
	snprintf(hk, sizeof(hk), "%s-hex", key);
	json_object_object_add(o, hk, h);
}

static struct json_object *fields_json(const struct rec *r, const void *s,
				       uint32_t cmd_mask)
{
	struct json_object *o = json_object_new_object();
	const uint64_t *other = (const uint64_t *)((const uint8_t *)s + r->other_off);
	bool any = false;

	for (const struct field *f = r->fields; f->name; f++) {
		uint64_t v = fget(s, f);

		if (f->cmdf && !(cmd_mask & f->cmdf))
			continue;
		switch (f->kind) {
		case F_BOOL:
			j_bool(o, f->name, v);
			break;
		case F_UINT:
			j_u64(o, f->name, v);
			break;
		case F_ADDR:
			j_addr(o, f->name, v);
			break;
		case F_ENUM: {
			const char *n = nio_smmuv3_name(f->names, (unsigned int)v);

			if (n)
				j_str(o, f->name, n);
			else
				j_u64(o, f->name, v);
			break;
		}
		}
	}
	for (unsigned int i = 0; i < r->nwords; i++)
		any |= other[i] != 0;
	if (any)
		words_json(o, "other", other, r->nwords);
	return o;
}

static const struct field *find_field(const struct rec *r, const char *name)
{
	for (const struct field *f = r->fields; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

static int words_from_json(struct jctx *jc, const char *key,
			   struct jv *v, uint64_t *w, unsigned int n)
{
	if (!jv_is(v, JV_ARRAY))
		return jerr(jc, EINVAL,
			    "field \"%s\": expected an array of %u words, got %s",
			    key, n, jtype_name(v));
	if (jv_len(v) != n)
		return jerr(jc, EINVAL,
			    "field \"%s\": expected %u words, got %u", key, n,
			    jv_len(v));
	for (unsigned int i = 0; i < n; i++) {
		char name[48];
		int ret;

		snprintf(name, sizeof(name), "%s[%u]", key, i);
		ret = jval_word(jc, name, jv_idx(v, i), &w[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* Fill struct s from a JSON object of fields; *mask gets cmd field bits. */
static int fields_from_json(struct jctx *jc, const struct rec *r,
			    struct jv *obj, void *s)
{
	uint32_t cmd_mask = ~0u;

	if (!jv_is(obj, JV_OBJECT))
		return jerr(jc, EINVAL, "%s fields: expected an object, got %s",
			    r->what, jtype_name(obj));
	memset(s, 0, r->size);
	if (r == &rec_cmd) {
		const struct field *f = &cmd_fields[0];
		struct jv *v = jget(obj, "opcode");
		uint64_t op;
		int ret;

		if (!v)
			return jerr(jc, EINVAL, "missing field \"opcode\"");
		ret = codec_enum_value(jc, "opcode", v, NIO_SMMUV3_NAME_OPCODE,
				       0xff, &op);
		if (ret)
			return ret;
		fset(s, f, op);
		if (nio_smmuv3_cmd_fields((uint8_t)op, &cmd_mask))
			cmd_mask = 0;
	}
	jv_foreach_member(obj, m) {
		const char *key = m->key;
		struct jv *v = &m->val;
		const struct field *f = find_field(r, key);
		uint64_t val;
		int ret;

		if (!strcmp(key, "other")) {
			uint64_t *other = (uint64_t *)((uint8_t *)s + r->other_off);

			ret = words_from_json(jc, "other", v, other, r->nwords);
			if (ret)
				return ret;
			continue;
		}
		if (!f) {
			char list[600] = "";
			size_t n = 0;

			for (f = r->fields; f->name && n < sizeof(list) - 30; f++)
				n += snprintf(list + n, sizeof(list) - n, "%s%s",
					      n ? ", " : "", f->name);
			return jerr(jc, EINVAL,
				    "unknown %s field \"%s\" (known: %s, other)",
				    r->what, key, list);
		}
		if (r == &rec_cmd && f == &cmd_fields[0])
			continue;
		if (f->cmdf && !(cmd_mask & f->cmdf))
			return jerr(jc, EINVAL,
				    "field \"%s\" is not part of the layout of "
				    "opcode %s", key,
				    jv_str(jget(obj, "opcode")) ? jv_str(jget(obj, "opcode")) : "given");
		if (f->kind == F_BOOL) {
			bool b = false;

			ret = jval_bool(jc, key, v, &b);
			val = b;
		} else if (f->kind == F_ENUM) {
			ret = codec_enum_value(jc, key, v, f->names, field_max(f),
					       &val);
		} else {
			ret = jval_u64(jc, key, v, field_max(f), &val);
		}
		if (ret)
			return ret;
		fset(s, f, val);
	}
	return 0;
}

int codec_enum_value(struct jctx *jc, const char *key, struct jv *v,
		     int kind, uint64_t max, uint64_t *out)
{
	if (jv_is(v, JV_STRING)) {
		unsigned int val;

		if (nio_smmuv3_value(kind, v->s, &val)) {
			char list[600] = "";
			size_t n = 0;
			const char *name;

			for (size_t i = 0; n < sizeof(list) - 40 &&
			     !nio_smmuv3_name_at(kind, i, &name, &val); i++)
				n += snprintf(list + n, sizeof(list) - n, "%s%s",
					      n ? ", " : "", name);
			return jerr(jc, EINVAL,
				    "field \"%s\": unknown name \"%s\" (known: %s)",
				    key, v->s, list);
		}
		if (val > max)
			return jerr(jc, ERANGE, "field \"%s\": %u is out of range",
				    key, val);
		*out = val;
		return 0;
	}
	return jval_u64(jc, key, v, max, out);
}

/*
 * The library says -ERANGE without naming the field: find it by encoding
 * each field alone.
 */
typedef int (*encode_fn)(const void *s, void *buf, size_t len);

static int enc_ste(const void *s, void *b, size_t l)
{
	return nio_smmuv3_vste_encode(s, b, l);
}
static int enc_cd(const void *s, void *b, size_t l)
{
	return nio_smmuv3_cd_encode(s, b, l);
}
static int enc_cmd(const void *s, void *b, size_t l)
{
	return nio_smmuv3_cmd_encode(s, b, l);
}
static int enc_event(const void *s, void *b, size_t l)
{
	return nio_smmuv3_event_encode(s, b, l);
}

static int encode_rec(struct jctx *jc, const struct rec *r, encode_fn fn,
		      const void *s, uint64_t *words)
{
	uint8_t buf[64], one[sizeof(struct nio_smmuv3_cd)];
	int ret = fn(s, buf, r->nwords * 8);

	if (!ret) {
		for (unsigned int i = 0; i < r->nwords; i++) {
			uint64_t le;

			memcpy(&le, buf + 8 * i, 8);
			words[i] = le64toh(le);
		}
		return 0;
	}
	for (const struct field *f = r->fields; f->name; f++) {
		if (r == &rec_cmd && f == &cmd_fields[0])
			continue;
		if (!fget(s, f))
			continue;
		memset(one, 0, sizeof(one));
		if (r == &rec_cmd)
			fset(one, &cmd_fields[0], fget(s, &cmd_fields[0]));
		fset(one, f, fget(s, f));
		if (fn(one, buf, r->nwords * 8) == -ERANGE)
			return jerr(jc, ERANGE,
				    "field \"%s\": value 0x%" PRIx64
				    " does not fit the %s field", f->name,
				    fget(s, f), r->what);
	}
	if (ret == -ERANGE)
		return jerr(jc, ERANGE,
			    "field \"other\" overlaps a named field of the %s",
			    r->what);
	return jerr(jc, -ret, "cannot encode the %s: %s", r->what,
		    strerror(-ret));
}

/* ------------------------------------------------------------------ */
/* Features for validation                                             */

void codec_default_features(struct nio_smmuv3_features *f)
{
	/*
	 * A typical server SMMUv3 with nesting: 16-bit ASID/VMID, ATS, range
	 * invalidation, 20-bit SubstreamIDs, 48-bit OAS.
	 */
	memset(f, 0, sizeof(*f));
	f->s1p = f->s2p = true;
	f->ttf = NIO_SMMUV3_TTF_AARCH64;
	f->cohacc = f->asid16 = f->vmid16 = f->ats = f->ril = true;
	f->ttendian = NIO_SMMUV3_TTENDIAN_LE;
	f->sidsize = 32;
	f->ssidsize = 20;
	f->oas = 5;
	f->oas_bits = 48;
	f->asid_bits = f->vmid_bits = 16;
	f->gran4k = f->gran64k = true;
	f->cd2l = true;
	f->st_level = 1;
}

int codec_parse_idr(const char *s, struct nio_smmuv3_features *feat,
		    char *msg, size_t msglen)
{
	struct nio_smmuv3_idregs regs = { 0 };
	char *copy = strdup(s), *save = NULL, *tok;
	unsigned int n = 0;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (n >= 8) {
			snprintf(msg, msglen, "idr: more than 8 registers");
			ret = -EINVAL;
			break;
		}
		ret = parse_word(tok, true, UINT32_MAX, &v);
		if (ret) {
			snprintf(msg, msglen,
				 "idr: register %u \"%s\" is not a 32-bit hex value",
				 n, tok);
			break;
		}
		if (n < 6)
			regs.idr[n] = (uint32_t)v;
		else if (n == 6)
			regs.iidr = (uint32_t)v;
		else
			regs.aidr = (uint32_t)v;
		n++;
	}
	free(copy);
	if (!ret && n != 6 && n != 8) {
		snprintf(msg, msglen,
			 "idr: expected IDR0,...,IDR5[,IIDR,AIDR], got %u registers",
			 n);
		ret = -EINVAL;
	}
	if (!ret)
		ret = nio_smmuv3_idr_decode(&regs, feat);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Records to JSON                                                      */

static const char *install_name(enum nio_smmuv3_vste_install i)
{
	switch (i) {
	case NIO_SMMUV3_VSTE_INSTALL_ABORT: return "abort";
	case NIO_SMMUV3_VSTE_INSTALL_BYPASS: return "bypass";
	case NIO_SMMUV3_VSTE_INSTALL_NESTED: return "nested";
	}
	return "unknown";
}

struct json_object *codec_ste_json(const uint64_t w[2])
{
	struct json_object *o = json_object_new_object(), *v;
	struct nio_smmuv3_vste_result res;
	struct nio_smmuv3_vste ste;
	const char *reason = NULL;
	uint8_t buf[16];
	int ret;

	words_to_le(w, 2, buf);
	words_json(o, "words", w, 2);
	if (!nio_smmuv3_vste_decode(buf, sizeof(buf), &ste))
		json_object_object_add(o, "fields", fields_json(&rec_ste, &ste, 0));
	ret = nio_smmuv3_vste_validate(buf, sizeof(buf), &res, &reason);
	v = json_object_new_object();
	j_bool(v, "accepted", ret == 0);
	j_int(v, "errno", -ret);
	j_str(v, "reason", reason ? reason : "");
	if (!ret) {
		j_str(v, "install", install_name(res.install));
		j_bool(v, "enable-ats", res.enable_ats);
		j_bool(v, "needs-vdevice", res.needs_vdevice);
		words_json(v, "stored", res.stored, 2);
	}
	json_object_object_add(o, "verdict", v);
	return o;
}

struct json_object *codec_cmd_json(const uint64_t w[2],
				   const struct nio_smmuv3_features *feat,
				   bool feat_given)
{
	struct json_object *o = json_object_new_object(), *v;
	struct nio_smmuv3_cmd cmd;
	const char *reason = NULL;
	uint32_t mask = 0;
	uint8_t buf[16];
	int ret;

	words_to_le(w, 2, buf);
	words_json(o, "words", w, 2);
	if (!nio_smmuv3_cmd_decode(buf, sizeof(buf), &cmd)) {
		nio_smmuv3_cmd_fields(cmd.opcode, &mask);
		json_object_object_add(o, "fields",
				       fields_json(&rec_cmd, &cmd, mask));
	}
	ret = nio_smmuv3_cmd_validate(buf, sizeof(buf), feat, &reason);
	v = json_object_new_object();
	j_bool(v, "accepted", ret == 0);
	j_int(v, "errno", -ret);
	j_str(v, "reason", reason ? reason : "");
	j_str(v, "features", feat_given ? "idr" : "default");
	json_object_object_add(o, "verdict", v);
	return o;
}

struct json_object *codec_cd_json(const uint64_t w[8],
				  const struct nio_smmuv3_features *feat,
				  bool feat_given, bool s1stalld)
{
	struct json_object *o = json_object_new_object(), *v;
	struct nio_smmuv3_cd cd;
	const char *reason = NULL;
	uint8_t buf[64];
	int ret = -EINVAL;

	words_to_le(w, 8, buf);
	words_json(o, "words", w, 8);
	if (!nio_smmuv3_cd_decode(buf, sizeof(buf), &cd)) {
		json_object_object_add(o, "fields", fields_json(&rec_cd, &cd, 0));
		ret = nio_smmuv3_cd_check(&cd, feat, s1stalld, &reason);
	}
	v = json_object_new_object();
	j_bool(v, "legal", ret == 0);
	j_int(v, "errno", -ret);
	j_str(v, "reason", reason ? reason : "");
	j_str(v, "features", feat_given ? "idr" : "default");
	json_object_object_add(o, "verdict", v);
	return o;
}

static const char *route_name(enum nio_smmuv3_event_route r)
{
	switch (r) {
	case NIO_SMMUV3_EVENT_TO_VEVENTQ: return "veventq";
	case NIO_SMMUV3_EVENT_TO_FAULT_QUEUE: return "fault-queue";
	case NIO_SMMUV3_EVENT_TO_HOST_LOG: return "host-log";
	}
	return "unknown";
}

struct json_object *codec_event_json(const uint64_t w[4])
{
	struct json_object *o = json_object_new_object(), *v;
	struct nio_smmuv3_event evt;
	uint8_t buf[32];

	words_to_le(w, 4, buf);
	words_json(o, "words", w, 4);
	if (!nio_smmuv3_event_decode(buf, sizeof(buf), &evt)) {
		json_object_object_add(o, "fields",
				       fields_json(&rec_event, &evt, 0));
		v = json_object_new_object();
		j_str(v, "with-vdevice",
		      route_name(nio_smmuv3_event_route(&evt, true)));
		j_str(v, "without-vdevice",
		      route_name(nio_smmuv3_event_route(&evt, false)));
		json_object_object_add(o, "route", v);
	}
	return o;
}

static const char *use_name(enum nio_smmuv3_feature_use u)
{
	switch (u) {
	case NIO_SMMUV3_FEAT_VMM_READ: return "vmm-read";
	case NIO_SMMUV3_FEAT_VMM_ASSUMED: return "vmm-assumed";
	case NIO_SMMUV3_FEAT_VMM_PER_DEVICE: return "vmm-per-device";
	case NIO_SMMUV3_FEAT_NOT_NESTED: return "not-nested";
	case NIO_SMMUV3_FEAT_HOST_ONLY: return "host-only";
	}
	return "unknown";
}

static void lower(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i]; i++)
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 :
			 src[i] == '_' ? '-' : src[i];
	dst[i] = '\0';
}

struct json_object *codec_features_json(const struct nio_smmuv3_features *feat,
					const struct nio_smmuv3_idregs *regs,
					bool details)
{
	struct json_object *o = json_object_new_object(), *r, *f, *d, *u;
	struct nio_smmuv3_feature_info info;
	char brief[1024];
	size_t nb = 0;
	bool any = false;

	if (regs && brief_output && !details) {
		char t[160];

		snprintf(t, sizeof(t), "idr0=0x%x idr1=0x%x idr2=0x%x idr3=0x%x "
			 "idr4=0x%x idr5=0x%x iidr=0x%x aidr=0x%x",
			 regs->idr[0], regs->idr[1], regs->idr[2], regs->idr[3],
			 regs->idr[4], regs->idr[5], regs->iidr, regs->aidr);
		json_object_object_add(o, "registers", json_object_new_string(t));
	} else if (regs) {
		r = json_object_new_object();
		for (int i = 0; i < 6; i++) {
			char k[8];

			snprintf(k, sizeof(k), "idr%d", i);
			j_hex32(r, k, regs->idr[i]);
		}
		j_hex32(r, "iidr", regs->iidr);
		j_hex32(r, "aidr", regs->aidr);
		json_object_object_add(o, "registers", r);
	}
	f = json_object_new_object();
	d = details ? json_object_new_array() : NULL;
	brief[0] = '\0';
	for (size_t i = 0; !nio_smmuv3_feature_info(i, &info); i++) {
		uint32_t val = 0;
		char key[64];

		if (nio_smmuv3_feature_get(feat, info.reg, info.name, &val, NULL))
			continue;
		lower(key, info.name, sizeof(key));
		if (brief_output && !details) {
			/* -b: the features present, "NAME" or "NAME=value" */
			if (val && nb < sizeof(brief))
				nb += (size_t)snprintf(brief + nb, sizeof(brief) - nb,
						       info.width == 1 ? "%s%s" : "%s%s=%u",
						       nb ? " " : "", info.name, val);
			continue;
		}
		if (info.width == 1)
			j_bool(f, key, val);
		else
			j_u32(f, key, val);
		if (d) {
			struct json_object *e = json_object_new_object();

			j_str(e, "name", info.name);
			j_str(e, "reg", info.reg);
			j_u32(e, "shift", info.shift);
			j_u32(e, "width", info.width);
			j_u32(e, "value", val);
			j_str(e, "use", use_name(info.use));
			j_str(e, "description", info.description);
			json_object_array_add(d, e);
		}
	}
	if (brief_output && !details) {
		json_object_put(f);
		f = json_object_new_string(brief);
	}
	json_object_object_add(o, "features", f);
	u = json_object_new_object();
	j_u32(u, "oas-bits", feat->oas_bits);
	j_u32(u, "asid-bits", feat->asid_bits);
	j_u32(u, "vmid-bits", feat->vmid_bits);
	{
		char a[32];

		if (feat->arch_major == 0)
			snprintf(a, sizeof(a), "SMMUv3.%u", feat->arch_minor);
		else
			snprintf(a, sizeof(a), "unknown (AIDR major %u)",
				 feat->arch_major);
		j_str(u, "arch", a);
	}
	j_hex32(u, "hw-info-flags", feat->hw_info_flags);
	json_object_object_add(o, "derived", u);
	for (int i = 0; i < 8; i++)
		any |= feat->unknown[i] != 0;
	if (any) {
		struct json_object *a = json_object_new_array();

		for (int i = 0; i < 8; i++)
			json_object_array_add(a, j_hex_string(feat->unknown[i]));
		json_object_object_add(o, "unknown-bits-hex", a);
	}
	if (d)
		json_object_object_add(o, "fields", d);
	return o;
}

/* ------------------------------------------------------------------ */
/* Input parsing shared with plans                                      */

int codec_words_from_json(struct jctx *jc, const char *key,
			  struct jv *v, uint64_t *w, unsigned int n)
{
	if (jv_is(v, JV_OBJECT)) {
		struct jv *words = jget(v, "words");

		if (!words)
			return jerr(jc, EINVAL,
				    "field \"%s\": object without \"words\"", key);
		v = words;
	}
	if (jv_is(v, JV_STRING)) {
		/* "0x..,0x.." or "w0 w1" */
		char *copy = strdup(v->s), *save, *tok;
		unsigned int i = 0;
		int ret = 0;

		if (!copy)
			return -ENOMEM;
		for (tok = strtok_r(copy, " ,\t\n", &save); tok;
		     tok = strtok_r(NULL, " ,\t\n", &save)) {
			if (i >= n || parse_word(tok, true, UINT64_MAX, &w[i])) {
				ret = -EINVAL;
				break;
			}
			i++;
		}
		free(copy);
		if (ret || i != n)
			return jerr(jc, EINVAL,
				    "field \"%s\": expected %u hex words, got \"%s\"",
				    key, n, v->s);
		return 0;
	}
	return words_from_json(jc, key, v, w, n);
}

/*
 * A record given either as raw words (array, hex string, {"words": ...})
 * or as fields (an object without "words").
 */
static int rec_from_json(struct jctx *jc, const char *key, const struct rec *r,
			 encode_fn fn, struct jv *v, uint64_t *w)
{
	uint8_t s[sizeof(struct nio_smmuv3_cd)];
	int ret;

	_Static_assert(sizeof(struct nio_smmuv3_cd) >= sizeof(struct nio_smmuv3_cmd) &&
		       sizeof(struct nio_smmuv3_cd) >= sizeof(struct nio_smmuv3_event) &&
		       sizeof(struct nio_smmuv3_cd) >= sizeof(struct nio_smmuv3_vste),
		       "scratch size");
	if (!jv_is(v, JV_OBJECT) || jget(v, "words"))
		return codec_words_from_json(jc, key, v, w, r->nwords);
	if (jget(v, "fields"))
		v = jget(v, "fields");
	ret = fields_from_json(jc, r, v, s);
	if (ret)
		return ret;
	return encode_rec(jc, r, fn, s, w);
}

int codec_ste_from_json(struct jctx *jc, const char *key,
			struct jv *v, uint64_t w[2])
{
	return rec_from_json(jc, key, &rec_ste, enc_ste, v, w);
}

int codec_cmd_from_json(struct jctx *jc, const char *key,
			struct jv *v, uint64_t w[2])
{
	return rec_from_json(jc, key, &rec_cmd, enc_cmd, v, w);
}

int codec_cd_from_json(struct jctx *jc, const char *key,
		       struct jv *v, uint64_t w[8])
{
	return rec_from_json(jc, key, &rec_cd, enc_cd, v, w);
}

/* ------------------------------------------------------------------ */
/* Commands                                                             */

/* Load a JSON argument: inline text, a file name, or "-". */
struct jv *load_json_arg(const char *arg, char *msg, size_t msglen)
{
	struct jv *o;
	size_t len;
	char *text;

	if (arg[0] == '{' || arg[0] == '[') {
		o = jv_parse(arg, strlen(arg), msg, msglen);
		errno = o ? 0 : EINVAL;
		return o;
	}
	text = read_file_all(arg, &len);
	if (!text) {
		int err = errno;

		snprintf(msg, msglen, "cannot read \"%s\": %s", arg,
			 read_error(err));
		errno = err;
		return NULL;
	}
	o = jv_parse(text, len, msg, msglen);
	free(text);
	errno = o ? 0 : EINVAL;
	return o;
}

/* Options after the record: "idr R0,..,R5[,IIDR,AIDR]" and "s1stalld". */
struct rec_opts {
	struct nio_smmuv3_features feat;
	bool feat_given;
	bool s1stalld;
};

/* s1stalld only where a CD is checked (cd encode|decode). */
static int take_opts(int *argc, char **argv, struct rec_opts *o,
		     bool s1stalld)
{
	char msg[256];

	codec_default_features(&o->feat);
	while (*argc >= 1) {
		const char *kw = argv[*argc - 1];

		if (*argc >= 2 && !strcmp(argv[*argc - 2], "idr")) {
			if (codec_parse_idr(kw, &o->feat, msg, sizeof(msg)))
				return err_usage("%s", msg);
			o->feat_given = true;
			*argc -= 2;
		} else if (!strcmp(kw, "s1stalld") && s1stalld) {
			o->s1stalld = true;
			*argc -= 1;
		} else {
			break;
		}
	}
	return 0;
}

static int get_words(int argc, char **argv, const char *what, uint64_t *w,
		     unsigned int n)
{
	struct jctx jc = { .step = -1 };
	char msg[512];

	/*
	 * Every record has at least two words: one argument is JSON, a file
	 * of any kind (a FIFO, /dev/stdin) or "-", as for encode.
	 */
	if (argc == 1 && n > 1) {
		struct jv *o = load_json_arg(argv[0], msg, sizeof(msg));
		int ret;

		if (!o)
			return err_report(EXIT_USAGE, errno, NULL, "%s", msg);
		ret = codec_words_from_json(&jc, "words", o, w, n);
		jv_free(o);
		if (ret)
			return err_usage("%s", jc.msg);
		return 0;
	}
	if ((unsigned int)argc != n)
		return err_usage("%s: expected %u hex words (least significant "
				 "first), got %d", what, n, argc);
	for (unsigned int i = 0; i < n; i++) {
		int ret = parse_word(argv[i], true, UINT64_MAX, &w[i]);

		if (ret)
			return err_usage("%s: word %u \"%s\" is not a 64-bit "
					 "hex value", what, i, argv[i]);
	}
	return 0;
}

static int get_fields(int argc, char **argv, const struct rec *r,
		      encode_fn fn, uint64_t *w)
{
	struct jctx jc = { .step = -1 };
	struct jv *o;
	char msg[512];
	int ret;

	if (argc != 1)
		return err_usage("%s encode: expected one JSON object of fields "
				 "(inline, a file or -)", r->what);
	o = load_json_arg(argv[0], msg, sizeof(msg));
	if (!o)
		return err_report(EXIT_USAGE, errno, NULL, "%s", msg);
	ret = rec_from_json(&jc, "fields", r, fn, o, w);
	jv_free(o);
	if (ret)
		return err_report(EXIT_USAGE, jc.err, NULL, "%s", jc.msg);
	return 0;
}

int codec_event_fields_arg(char *arg, uint64_t w[4])
{
	return get_fields(1, &arg, &rec_event, enc_event, w);
}

static int do_ste_decode(int argc, char **argv)
{
	uint64_t w[2];
	int ret = get_words(argc, argv, "ste decode", w, 2);

	if (ret)
		return ret;
	out_emit(codec_ste_json(w));
	return EXIT_OK;
}

static int do_ste_encode(int argc, char **argv)
{
	uint64_t w[2];
	int ret = get_fields(argc, argv, &rec_ste, enc_ste, w);

	if (ret)
		return ret;
	out_emit(codec_ste_json(w));
	return EXIT_OK;
}

static int do_cd_decode(int argc, char **argv)
{
	struct rec_opts o = { 0 };
	uint64_t w[8];
	int ret = take_opts(&argc, argv, &o, true);

	if (!ret)
		ret = get_words(argc, argv, "cd decode", w, 8);
	if (ret)
		return ret;
	out_emit(codec_cd_json(w, &o.feat, o.feat_given, o.s1stalld));
	return EXIT_OK;
}

static int do_cd_encode(int argc, char **argv)
{
	struct rec_opts o = { 0 };
	uint64_t w[8];
	int ret = take_opts(&argc, argv, &o, true);

	if (!ret)
		ret = get_fields(argc, argv, &rec_cd, enc_cd, w);
	if (ret)
		return ret;
	out_emit(codec_cd_json(w, &o.feat, o.feat_given, o.s1stalld));
	return EXIT_OK;
}

static int do_cmd_decode(int argc, char **argv)
{
	struct rec_opts o = { 0 };
	uint64_t w[2];
	int ret = take_opts(&argc, argv, &o, false);

	if (!ret)
		ret = get_words(argc, argv, "cmd decode", w, 2);
	if (ret)
		return ret;
	out_emit(codec_cmd_json(w, &o.feat, o.feat_given));
	return EXIT_OK;
}

static int do_cmd_encode(int argc, char **argv)
{
	struct rec_opts o = { 0 };
	uint64_t w[2];
	int ret = take_opts(&argc, argv, &o, false);

	if (!ret)
		ret = get_fields(argc, argv, &rec_cmd, enc_cmd, w);
	if (ret)
		return ret;
	out_emit(codec_cmd_json(w, &o.feat, o.feat_given));
	return EXIT_OK;
}

static int do_event_decode(int argc, char **argv)
{
	uint64_t w[4];
	int ret = get_words(argc, argv, "event decode", w, 4);

	if (ret)
		return ret;
	out_emit(codec_event_json(w));
	return EXIT_OK;
}

static int do_event_encode(int argc, char **argv)
{
	uint64_t w[4];
	int ret = get_fields(argc, argv, &rec_event, enc_event, w);

	if (ret)
		return ret;
	out_emit(codec_event_json(w));
	return EXIT_OK;
}

static int do_idr_decode(int argc, char **argv)
{
	struct nio_smmuv3_idregs regs = { 0 };
	struct nio_smmuv3_features feat;
	bool details = false;

	if (argc && !strcmp(argv[argc - 1], "details")) {
		details = true;
		argc--;
	}
	if (argc != 6 && argc != 8)
		return err_usage("idr decode: expected IDR0 ... IDR5 [IIDR AIDR] "
				 "as 32-bit hex values, got %d", argc);
	for (int i = 0; i < argc; i++) {
		uint64_t v;

		if (parse_word(argv[i], true, UINT32_MAX, &v))
			return err_usage("idr decode: register %d \"%s\" is not "
					 "a 32-bit hex value", i, argv[i]);
		if (i < 6)
			regs.idr[i] = (uint32_t)v;
		else if (i == 6)
			regs.iidr = (uint32_t)v;
		else
			regs.aidr = (uint32_t)v;
	}
	if (nio_smmuv3_idr_decode(&regs, &feat))
		return err_lib(errno, "nio_smmuv3_idr_decode");
	out_emit(codec_features_json(&feat, &regs, details));
	return EXIT_OK;
}

/*
 * idr encode: {"s1p": true, "ssidsize": 20, ...} with the field names of
 * idr decode's "features" (case-insensitive, '-' or '_').  Placed by the
 * library's field table (register, shift, width).
 */
static int do_idr_encode(int argc, char **argv)
{
	struct nio_smmuv3_idregs regs = { 0 };
	struct nio_smmuv3_features feat;
	struct jctx jc = { .step = -1 };
	struct jv *doc, *o;
	char msg[512];

	if (argc != 1)
		return err_usage("idr encode: expected one JSON object of "
				 "features (inline, a file or -)");
	o = doc = load_json_arg(argv[0], msg, sizeof(msg));
	if (!o)
		return err_report(EXIT_USAGE, errno, NULL, "%s", msg);
	if (jv_is(o, JV_OBJECT) && jget(o, "features"))
		o = jget(o, "features");
	if (!jv_is(o, JV_OBJECT)) {
		jv_free(doc);
		return err_usage("idr encode: expected an object of features");
	}
	jv_foreach_member(o, m) {
		const char *key = m->key;
		struct jv *v = &m->val;
		struct nio_smmuv3_feature_info info;
		uint32_t *reg = NULL;
		char name[64];
		uint64_t val;
		size_t i;
		int ret;

		for (i = 0; !nio_smmuv3_feature_info(i, &info); i++) {
			lower(name, info.name, sizeof(name));
			if (!strcmp(name, key))
				break;
		}
		if (nio_smmuv3_feature_info(i, &info)) {
			/* report before jv_free(): key lives in doc */
			ret = err_usage("idr encode: unknown feature \"%.64s%s\" "
					"(see \"nestctl idr decode ... details\")",
					key, strlen(key) > 64 ? "..." : "");
			jv_free(doc);
			return ret;
		}
		if (jv_is(v, JV_BOOL))
			val = v->b;
		else if ((ret = jval_u64(&jc, key, v,
					 info.width >= 32 ? UINT32_MAX :
					 (1u << info.width) - 1, &val))) {
			jv_free(doc);
			return err_report(EXIT_USAGE, jc.err, NULL, "idr encode: %s",
					  jc.msg);
		}
		if (!strncmp(info.reg, "IDR", 3) && info.reg[3] >= '0' &&
		    info.reg[3] <= '5')
			reg = &regs.idr[info.reg[3] - '0'];
		else if (!strcmp(info.reg, "IIDR"))
			reg = &regs.iidr;
		else if (!strcmp(info.reg, "AIDR"))
			reg = &regs.aidr;
		if (!reg)
			continue; /* hw_info flags etc.: not a register */
		if (info.width >= 32)
			*reg = (uint32_t)val;
		else
			*reg |= (uint32_t)(val << info.shift);
	}
	jv_free(doc);
	if (nio_smmuv3_idr_decode(&regs, &feat))
		return err_lib(errno, "nio_smmuv3_idr_decode");
	out_emit(codec_features_json(&feat, &regs, false));
	return EXIT_OK;
}

const struct cmd ste_cmds[] = {
	{ "decode", do_ste_decode, "{ WORD0 WORD1 | JSON | FILE | - }",
	  "decode and validate a vSTE" },
	{ "encode", do_ste_encode, "{ FIELDS | FILE | - }",
	  "encode a vSTE from JSON fields and validate it" },
	{ 0 },
};

const struct cmd cd_cmds[] = {
	{ "decode", do_cd_decode,
	  "{ WORD0 ... WORD7 | JSON | FILE | - } [ idr IDRS ] [ s1stalld ]",
	  "decode and check a context descriptor" },
	{ "encode", do_cd_encode, "{ FIELDS | FILE | - } [ idr IDRS ] [ s1stalld ]",
	  "encode a context descriptor from JSON fields" },
	{ 0 },
};

const struct cmd cmd_cmds[] = {
	{ "decode", do_cmd_decode, "{ WORD0 WORD1 | JSON | FILE | - } [ idr IDRS ]",
	  "decode and validate an invalidation command" },
	{ "encode", do_cmd_encode, "{ FIELDS | FILE | - } [ idr IDRS ]",
	  "encode an invalidation command and validate it" },
	{ 0 },
};

const struct cmd event_cmds[] = {
	{ "decode", do_event_decode, "{ WORD0 ... WORD3 | JSON | FILE | - }",
	  "decode an event record and its routing" },
	{ "encode", do_event_encode, "{ FIELDS | FILE | - }",
	  "encode an event record from JSON fields" },
	{ 0 },
};

const struct cmd idr_cmds[] = {
	{ "decode", do_idr_decode, "IDR0 ... IDR5 [ IIDR AIDR ] [ details ]",
	  "decode SMMUv3 ID registers into features" },
	{ "encode", do_idr_encode, "{ FEATURES | FILE | - }",
	  "build ID registers from named features" },
	{ 0 },
};
