/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SMMUv3 records to and from JSON, shared by the codec commands and plans. */
#ifndef NESTCTL_CODEC_H
#define NESTCTL_CODEC_H

#include <stdbool.h>
#include <stdint.h>

#include <json.h>
#include <nestiommu/smmuv3.h>

#include "jarg.h"
#include "jv.h"

void words_to_le(const uint64_t *w, unsigned int n, void *buf);
void codec_default_features(struct nio_smmuv3_features *f);
int codec_parse_idr(const char *s, struct nio_smmuv3_features *feat,
		    char *msg, size_t msglen);
int codec_enum_value(struct jctx *jc, const char *key, struct jv *v,
		     int kind, uint64_t max, uint64_t *out);

struct json_object *codec_ste_json(const uint64_t w[2]);
struct json_object *codec_cmd_json(const uint64_t w[2],
				   const struct nio_smmuv3_features *feat,
				   bool feat_given);
struct json_object *codec_cd_json(const uint64_t w[8],
				  const struct nio_smmuv3_features *feat,
				  bool feat_given, bool s1stalld);
struct json_object *codec_event_json(const uint64_t w[4]);
struct json_object *codec_features_json(const struct nio_smmuv3_features *feat,
					const struct nio_smmuv3_idregs *regs,
					bool details);

/* Raw words: JSON array, "hex hex" string, or {"words": ...}. */
int codec_words_from_json(struct jctx *jc, const char *key,
			  struct jv *v, uint64_t *w, unsigned int n);
/* Words or fields (an object without "words"). */
int codec_ste_from_json(struct jctx *jc, const char *key,
			struct jv *v, uint64_t w[2]);
int codec_cmd_from_json(struct jctx *jc, const char *key,
			struct jv *v, uint64_t w[2]);
int codec_cd_from_json(struct jctx *jc, const char *key,
		       struct jv *v, uint64_t w[8]);

/*
 * An event record from JSON fields as "event encode" takes them (inline,
 * a file or -); 0, or the exit code after reporting the error.
 */
int codec_event_fields_arg(char *arg, uint64_t w[4]);

/*
 * Inline JSON text, a file name or "-".  NULL on error with a message in
 * msg and errno set (the read error, or EINVAL for malformed JSON).
 */
struct jv *load_json_arg(const char *arg, char *msg, size_t msglen);

#endif
