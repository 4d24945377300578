/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Typed, checked access to JSON input (see jarg.c). */
#ifndef NESTCTL_JARG_H
#define NESTCTL_JARG_H

#include <stdbool.h>
#include <stdint.h>

#include "jv.h"

struct jctx {
	/* Messages start "step 3 (hwpt-alloc): " + sub (built on error only) */
	int step;         /* -1: not in a plan */
	const char *op;
	char sub[48];     /* e.g. "entries[2]: " */
	char msg[768];
	int err; /* positive errno of the last error */
};

int jerr(struct jctx *jc, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *jtype_name(const struct jv *v);
int jval_u64(struct jctx *jc, const char *field, struct jv *v,
	     uint64_t max, uint64_t *out);
int jval_bool(struct jctx *jc, const char *field, struct jv *v,
	      bool *out);
int jval_str(struct jctx *jc, const char *field, struct jv *v,
	     const char **out);
/* Reject any key not in the NULL-terminated list. */
int jcheck_keys(struct jctx *jc, struct jv *obj,
		const char *const *allowed);
struct jv *jget(struct jv *obj, const char *key);
/* Optional keys leave *out untouched when absent. */
int jget_u64(struct jctx *jc, struct jv *obj, const char *key,
	     bool required, uint64_t max, uint64_t *out);
int jget_u32(struct jctx *jc, struct jv *obj, const char *key,
	     bool required, uint32_t *out);
int jget_bool(struct jctx *jc, struct jv *obj, const char *key,
	      bool *out);
int jget_str(struct jctx *jc, struct jv *obj, const char *key,
	     bool required, const char **out);
int parse_word(const char *s, bool hex_default, uint64_t max, uint64_t *out);
/* A raw word: a JSON number, or a string of hex (0x optional). */
int jval_word(struct jctx *jc, const char *field, struct jv *v, uint64_t *out);

#endif
