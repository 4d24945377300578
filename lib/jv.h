/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jv: the project's one JSON reader, for the library's layout files
 * (nio_device_guest_layout()) and nestctl's input documents (plans, codec
 * fields, requests).  Library-internal: compiled into libnestiommu with
 * hidden visibility (not in the ABI) and linked into nestctl from the
 * libjv.la convenience library.  Why it is kept over json-c, which writes
 * nestctl's output, is in jv.c's header.  Needs only libc.
 * Input is read-only, so it is parsed into one arena:
 * values are contiguous, objects keep their members in order (lookups are
 * linear: steps have a handful of keys).  The parser is strict RFC 8259
 * JSON, rejects duplicate keys and integers beyond 64 bits, and reports
 * the line and column of an error.
 */
#ifndef NESTIOMMU_JV_H
#define NESTIOMMU_JV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jv_type {
	JV_NULL,
	JV_BOOL,
	JV_INT,    /* an integer: magnitude u and sign neg */
	JV_DOUBLE, /* a number with a fraction or an exponent */
	JV_STRING,
	JV_ARRAY,
	JV_OBJECT,
};

struct jmember;

struct jv {
	enum jv_type type;
	uint32_t n; /* members, items, or string length */
	union {
		bool b;
		struct {
			uint64_t u;
			bool neg;
		} i;
		double d;
		const char *s;
		struct jv *items;
		struct jmember *members;
	};
};

struct jmember {
	const char *key;
	struct jv val;
};

/* Deepest nesting of arrays and objects jv_parse() takes. */
#define JV_MAX_DEPTH 256

/*
 * Parse len bytes of text (one value, nothing but whitespace after it).
 * Returns the root, or NULL with a message in msg ("malformed JSON at
 * line L column C: ...", or "out of memory") and errno set to EINVAL or
 * ENOMEM.  Free with jv_free().
 */
struct jv *jv_parse(const char *text, size_t len, char *msg, size_t msglen);
/* The same, taking at most max_depth (1 to JV_MAX_DEPTH) levels of nesting. */
struct jv *jv_parse_depth(const char *text, size_t len, int max_depth,
			  char *msg, size_t msglen);
void jv_free(struct jv *root);
/*
 * Length of the UTF-8 sequence at p (n bytes available): 1 to 4, or 0 if
 * it is not valid UTF-8 (RFC 3629: no overlongs, surrogates or beyond
 * U+10FFFF).  JSON input must be UTF-8, and so is nestctl's JSON output.
 */
size_t jv_utf8_len(const unsigned char *p, size_t n);

static inline bool jv_is(const struct jv *v, enum jv_type t)
{
	return v && v->type == t;
}

/* Member of an object (NULL when absent or v is not an object). */
struct jv *jv_get(const struct jv *v, const char *key);
static inline const char *jv_str(const struct jv *v)
{
	return v && v->type == JV_STRING ? v->s : NULL;
}
static inline uint32_t jv_len(const struct jv *v)
{
	return v && (v->type == JV_ARRAY || v->type == JV_OBJECT) ? v->n : 0;
}
static inline struct jv *jv_idx(const struct jv *v, uint32_t i)
{
	return v && v->type == JV_ARRAY && i < v->n ? &v->items[i] : NULL;
}

/* No pointer arithmetic unless obj is an object with members. */
#define jv_foreach_member(obj, m)                                     \
	for (struct jmember *m = (obj)->type == JV_OBJECT && (obj)->n ? \
				 (obj)->members : NULL;               \
	     m && m < (obj)->members + (obj)->n; m++)

#endif
