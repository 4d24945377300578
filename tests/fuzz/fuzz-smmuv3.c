// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the SMMUv3 codecs.  The first byte chooses:
 *
 *   0-3  lib/smmuv3.c on raw records (vSTE, CD, command, event): decode,
 *        validate/check (against features decoded from the input's first
 *        32 bytes), route, and the round trip decode -> encode, which
 *        must give back the same bytes (a trap otherwise);
 *   4    ID registers: decode, every feature by name, encode back, the
 *        VMM view, hw_info decode/encode;
 *   5-6  names: nio_smmuv3_value() on the rest as a string, for each kind;
 *   7-9  nestctl's codec JSON: the rest is JSON text given to
 *        codec_ste_from_json(), codec_cmd_from_json() or
 *        codec_words_from_json() (8 words, as a CD), then printed as
 *        nestctl prints the record.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nestiommu/smmuv3.h>

#include "nestctl.h"
#include "codec.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void features_from(const uint8_t *d, size_t n,
			  struct nio_smmuv3_features *feat)
{
	struct nio_smmuv3_idregs regs = { 0 };
	uint8_t raw[32] = { 0 };

	memcpy(raw, d, n < sizeof(raw) ? n : sizeof(raw));
	memcpy(regs.idr, raw, sizeof(regs.idr));
	memcpy(&regs.iidr, raw + 24, 4);
	memcpy(&regs.aidr, raw + 28, 4);
	if (nio_smmuv3_idr_decode(&regs, feat))
		abort();
}

/* decode(buf) -> encode must give buf back */
#define ROUND_TRIP(type, dec, enc, sz)                                 \
	do {                                                           \
		struct type r_;                                        \
		uint8_t back_[sz];                                     \
		if (!dec(buf, sz, &r_)) {                              \
			if (enc(&r_, back_, sz) || memcmp(buf, back_, sz)) \
				__builtin_trap();                      \
		}                                                      \
	} while (0)

static void raw_records(unsigned int which, const uint8_t *d, size_t n)
{
	struct nio_smmuv3_features feat;
	const char *reason = NULL;
	uint8_t buf[64] = { 0 };

	features_from(d, n, &feat);
	if (n > 32)
		d += 32, n -= 32;
	memcpy(buf, d, n < sizeof(buf) ? n : sizeof(buf));
	switch (which) {
	case 0: {
		struct nio_smmuv3_vste_result res;

		nio_smmuv3_vste_validate(buf, 16, &res, &reason);
		ROUND_TRIP(nio_smmuv3_vste, nio_smmuv3_vste_decode,
			   nio_smmuv3_vste_encode, 16);
		break;
	}
	case 1: {
		struct nio_smmuv3_cd cd;

		if (!nio_smmuv3_cd_decode(buf, 64, &cd)) {
			nio_smmuv3_cd_check(&cd, &feat, false, &reason);
			nio_smmuv3_cd_check(&cd, &feat, true, &reason);
		}
		ROUND_TRIP(nio_smmuv3_cd, nio_smmuv3_cd_decode,
			   nio_smmuv3_cd_encode, 64);
		break;
	}
	case 2: {
		size_t done;

		nio_smmuv3_cmd_validate(buf, 16, &feat, &reason);
		nio_smmuv3_cmd_validate_array(buf, 4, &feat, &done, &reason);
		ROUND_TRIP(nio_smmuv3_cmd, nio_smmuv3_cmd_decode,
			   nio_smmuv3_cmd_encode, 16);
		break;
	}
	default: {
		struct nio_smmuv3_event evt;

		if (!nio_smmuv3_event_decode(buf, 32, &evt)) {
			nio_smmuv3_event_route(&evt, true);
			nio_smmuv3_event_route(&evt, false);
		}
		ROUND_TRIP(nio_smmuv3_event, nio_smmuv3_event_decode,
			   nio_smmuv3_event_encode, 32);
		break;
	}
	}
}

static void idregs(const uint8_t *d, size_t n)
{
	struct nio_smmuv3_features feat, view, again;
	struct nio_smmuv3_feature_info info;
	struct nio_smmuv3_idregs regs;
	uint8_t hw[NIO_SMMUV3_HW_INFO_SIZE] = { 0 };

	features_from(d, n, &feat);
	for (size_t i = 0; !nio_smmuv3_feature_info(i, &info); i++) {
		uint32_t v;

		if (nio_smmuv3_feature_get(&feat, info.reg, info.name, &v, NULL))
			__builtin_trap(); /* every listed field can be read */
	}
	nio_smmuv3_features_vmm_view(&feat, n & 1, &view);
	if (!nio_smmuv3_idr_encode(&feat, &regs))
		nio_smmuv3_idr_decode(&regs, &again);
	memcpy(hw, d, n < sizeof(hw) ? n : sizeof(hw));
	if (!nio_smmuv3_hw_info_decode(hw, sizeof(hw), &feat))
		nio_smmuv3_hw_info_encode(&feat, hw, sizeof(hw));
	json_object_put(codec_features_json(&feat, NULL, true));
}

static void names(const uint8_t *d, size_t n)
{
	char s[64];
	unsigned int v;

	if (n >= sizeof(s))
		n = sizeof(s) - 1;
	memcpy(s, d, n);
	s[n] = '\0';
	for (int k = NIO_SMMUV3_NAME_OPCODE; k <= NIO_SMMUV3_NAME_EVT_CLASS; k++)
		if (!nio_smmuv3_value(k, s, &v))
			nio_smmuv3_name(k, v);
}

static void codec_json(unsigned int which, const uint8_t *d, size_t n)
{
	struct nio_smmuv3_features feat;
	struct jctx jc = { .step = -1 };
	struct json_object *o = NULL;
	uint64_t w[8];
	struct jv *v;
	char msg[256];

	v = jv_parse((const char *)d, n, msg, sizeof(msg));
	if (!v)
		return;
	codec_default_features(&feat);
	if (which == 7 && !codec_ste_from_json(&jc, "ste", v, w))
		o = codec_ste_json(w);
	else if (which == 8 && !codec_cmd_from_json(&jc, "cmd", v, w))
		o = codec_cmd_json(w, &feat, false);
	else if (which == 9 && !codec_words_from_json(&jc, "cd", v, w, 8))
		o = codec_cd_json(w, &feat, false, false);
	if (o) {
		out_json_string(o);
		json_object_put(o);
	}
	jv_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int which;

	if (!size || size > 4096)
		return -1;
	which = data[0] % 10;
	data++, size--;
	if (which <= 3)
		raw_records(which, data, size);
	else if (which == 4)
		idregs(data, size);
	else if (which <= 6)
		names(data, size);
	else
		codec_json(which, data, size);
	return 0;
}
