// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jv: a strict JSON parser into one arena (see jv.h).
 *
 * The project has one JSON reader, this, shared by the library (layout
 * files of nio_device_guest_layout(); the library must stay libc-only, so
 * it cannot read with json-c) and nestctl (plans, codec fields, keep
 * requests), and one writer, json-c, which writes all of nestctl's output
 * (issue 10 item 5: keep one JSON stack, json-c unless a benchmark shows
 * it cannot meet the apply target).  Why nestctl does not read with
 * json-c too:
 *
 * Speed is not the reason.  tests/cli/bench-parse reads bench-apply's
 * 1,000-step plan (65 KB) both ways and walks it as apply does; in the
 * TCG testbed (BENCH=1 tests/cli/vm-mock-session-vm.sh, 2026-12-07, load
 * average 12 to 15 on 2 cores, 3 plan variants in 2 runs) json-c takes
 * 16.9 to 18.7 ms (minimum of 101 rounds; medians 39 to 64) against jv's
 * 1.9 to 2.1 ms (medians 4 to 6.6), about 10 times as long; but that is
 * some 15 to 17 ms more in an apply of 1,000 operations whose C
 * equivalent takes 350 ms or more at best, at most 0.05 on the
 * nestctl/C ratio: json-c would keep apply within its bound of 1.5 where
 * jv keeps it (README: 1.26 to 1.43; so 1.31 to 1.48 with json-c).
 *
 * Validation is.  json-c 0.16 (bookworm), even with JSON_TOKENER_STRICT
 * and JSON_TOKENER_VALIDATE_UTF8, silently accepts what a plan must not
 * carry and what nestctl refuses with the line and column
 * ("bench-parse --strictness" prints each case): duplicate keys (the
 * last wins), integers beyond 64 bits (clamped: 2^64 becomes
 * 0xffffffffffffffff, an IOVA or length nobody wrote), numbers beyond
 * double (1e400), unpaired surrogate escapes, overlong and surrogate
 * UTF-8, raw control characters and single-quoted names; its errors give
 * a byte offset, not a line and column.  Parsing with json-c and keeping
 * these checks would need a second pass over the text as long as this
 * parser, i.e. two JSON readers instead of one.  And the library would
 * still need a reader of its own.  So the project keeps one reader (this,
 * in the library, hidden from its ABI, and linked into nestctl from
 * libjv.la) and one writer (json-c); revisit nestctl's side when json-c
 * refuses these inputs (bench-parse --strictness then says "refused").
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jv.h"

#define CHUNK_MIN (64u << 10)

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

/* The arena header sits in front of the root value. */
struct doc {
	struct chunk *chunks;
	struct jv root;
};

struct parser {
	const char *p, *start, *end;
	struct doc *doc;
	/* scratch stacks for the children of open arrays/objects */
	struct jv *vals;
	size_t nvals, capvals;
	struct jmember *mems;
	size_t nmems, capmems;
	char *msg;
	size_t msglen;
	int depth, max_depth;
	bool failed, nomem;
};

static void *arena_alloc(struct doc *d, size_t size)
{
	struct chunk *c = d->chunks;
	size_t a = (size + 15) & ~(size_t)15;

	if (!c || c->size - c->used < a) {
		size_t sz = a > CHUNK_MIN ? a : CHUNK_MIN;

		c = malloc(sizeof(*c) + sz);
		if (!c)
			return NULL;
		c->size = sz;
		c->used = 0;
		c->next = d->chunks;
		d->chunks = c;
	}
	c->used += a;
	return (char *)c->data + c->used - a;
}

static bool fail(struct parser *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool fail(struct parser *ps, const char *fmt, ...)
{
	size_t line = 1, col = 1, n;
	va_list ap;

	if (ps->failed)
		return false;
	ps->failed = true;
	for (const char *q = ps->start; q < ps->p && q < ps->end; q++) {
		if (*q == '\n')
			line++, col = 1;
		else
			col++;
	}
	n = (size_t)snprintf(ps->msg, ps->msglen,
			     "malformed JSON at line %zu column %zu: ", line, col);
	if (n < ps->msglen) {
		va_start(ap, fmt);
		vsnprintf(ps->msg + n, ps->msglen - n, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool oom(struct parser *ps)
{
	if (!ps->failed) {
		ps->failed = ps->nomem = true;
		snprintf(ps->msg, ps->msglen, "out of memory");
	}
	return false;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool literal(struct parser *ps, const char *word, size_t len)
{
	if ((size_t)(ps->end - ps->p) < len || memcmp(ps->p, word, len))
		return fail(ps, "unexpected character (expected %s)", word);
	ps->p += len;
	return true;
}

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static char *put_utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* Bytes that end the fast scan of a string (non-ASCII is checked). */
static const unsigned char special[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

size_t jv_utf8_len(const unsigned char *p, size_t n)
{
	unsigned int c = p[0], cp, len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0; /* continuation byte, overlong lead, beyond U+10FFFF */
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0; /* overlong, too large, or a surrogate */
	return len;
}

/* A string at ps->p (the opening quote); copied into the arena. */
static bool parse_string(struct parser *ps, const char **out, uint32_t *outlen)
{
	const char *q = ++ps->p;
	char *buf, *o;

	/* fast path: no escapes */
	while (q < ps->end && !special[(unsigned char)*q])
		q++;
	if (q >= ps->end) {
		ps->p = q;
		return fail(ps, "unterminated string");
	}
	if (*q == '"') {
		size_t n = (size_t)(q - ps->p);

		buf = arena_alloc(ps->doc, n + 1);
		if (!buf)
			return oom(ps);
		memcpy(buf, ps->p, n);
		buf[n] = '\0';
		*out = buf;
		*outlen = (uint32_t)n;
		ps->p = q + 1;
		return true;
	}
	/* escapes: the result is never longer than the source */
	buf = arena_alloc(ps->doc, (size_t)(ps->end - ps->p) + 1);
	if (!buf)
		return oom(ps);
	o = buf;
	q = ps->p;
	while (q < ps->end && *q != '"') {
		unsigned char c = (unsigned char)*q;

		if (c < 0x20) {
			ps->p = q;
			return fail(ps, "control character in a string");
		}
		if (c >= 0x80) {
			size_t l = jv_utf8_len((const unsigned char *)q,
					       (size_t)(ps->end - q));

			if (!l) {
				ps->p = q;
				return fail(ps, "invalid UTF-8 in a string");
			}
			memcpy(o, q, l);
			o += l;
			q += l;
			continue;
		}
		if (c != '\\') {
			*o++ = (char)c;
			q++;
			continue;
		}
		if (++q >= ps->end)
			break;
		switch (*q) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			int cp = ps->end - q > 4 ? hex4(q + 1) : -1;

			if (cp < 0) {
				ps->p = q;
				return fail(ps, "bad \\u escape");
			}
			q += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				int lo = ps->end - q > 6 && q[1] == '\\' && q[2] == 'u' ?
					 hex4(q + 3) : -1;

				if (lo < 0xdc00 || lo > 0xdfff) {
					ps->p = q;
					return fail(ps, "unpaired surrogate in \\u escape");
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				q += 6;
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				ps->p = q;
				return fail(ps, "unpaired surrogate in \\u escape");
			}
			if (!cp) {
				ps->p = q;
				return fail(ps, "\\u0000 in a string");
			}
			o = put_utf8(o, (unsigned int)cp);
			break;
		}
		default:
			ps->p = q;
			return fail(ps, "bad escape \\%c", *q);
		}
		q++;
	}
	if (q >= ps->end) {
		ps->p = q;
		return fail(ps, "unterminated string");
	}
	*o = '\0';
	*out = buf;
	*outlen = (uint32_t)(o - buf);
	ps->p = q + 1;
	return true;
}

static bool parse_number(struct parser *ps, struct jv *v)
{
	const char *q = ps->p, *digits;
	bool neg = false, frac = false;
	uint64_t u = 0;
	bool overflow = false;

	if (*q == '-') {
		neg = true;
		q++;
	}
	digits = q;
	if (q < ps->end && *q == '0') {
		if (++q < ps->end && *q >= '0' && *q <= '9') {
			ps->p = q - 1;
			return fail(ps, "numbers have no leading zeros (write hex as a string: \"0x...\")");
		}
	} else if (q < ps->end && *q >= '1' && *q <= '9') {
		while (q < ps->end && *q >= '0' && *q <= '9') {
			unsigned int d = (unsigned int)(*q - '0');

			if (u > (UINT64_MAX - d) / 10)
				overflow = true;
			u = u * 10 + d;
			q++;
		}
	} else {
		ps->p = q;
		return fail(ps, "bad number");
	}
	if (q < ps->end && *q == '.') {
		frac = true;
		if (++q >= ps->end || *q < '0' || *q > '9') {
			ps->p = q;
			return fail(ps, "bad number");
		}
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		frac = true;
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || *q < '0' || *q > '9') {
			ps->p = q;
			return fail(ps, "bad number");
		}
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (frac) {
		char tmp[64];
		size_t n = (size_t)(q - ps->p);

		if (n >= sizeof(tmp))
			n = sizeof(tmp) - 1;
		memcpy(tmp, ps->p, n);
		tmp[n] = '\0';
		v->type = JV_DOUBLE;
		v->d = strtod(tmp, NULL);
		if (!isfinite(v->d))
			return fail(ps, "a number is out of range");
	} else {
		if (overflow)
			return fail(ps, "a number in the JSON input is out of the "
				    "64-bit range");
		v->type = JV_INT;
		v->i.u = u;
		v->i.neg = neg && u;
	}
	(void)digits;
	ps->p = q;
	return true;
}

static bool parse_value(struct parser *ps, struct jv *v);

/*
 * After an item of an array or object closed by close: 1 when another
 * follows (past the ','), 0 at the end (past close), -1 on an error.
 */
static int after_item(struct parser *ps, char close)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ',') {
		ps->p++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == close) {
			fail(ps, "trailing ',' before '%c'", close);
			return -1;
		}
		return 1;
	}
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	if (ps->p < ps->end)
		fail(ps, "expected ',' or '%c'", close);
	else
		fail(ps, "unexpected end of input");
	return -1;
}

static bool push_val(struct parser *ps, const struct jv *v)
{
	if (ps->nvals == ps->capvals) {
		size_t cap = ps->capvals ? ps->capvals * 2 : 64;
		struct jv *n = realloc(ps->vals, cap * sizeof(*n));

		if (!n)
			return oom(ps);
		ps->vals = n;
		ps->capvals = cap;
	}
	ps->vals[ps->nvals++] = *v;
	return true;
}

static bool push_mem(struct parser *ps, const char *key, const struct jv *v)
{
	if (ps->nmems == ps->capmems) {
		size_t cap = ps->capmems ? ps->capmems * 2 : 64;
		struct jmember *n = realloc(ps->mems, cap * sizeof(*n));

		if (!n)
			return oom(ps);
		ps->mems = n;
		ps->capmems = cap;
	}
	ps->mems[ps->nmems].key = key;
	ps->mems[ps->nmems].val = *v;
	ps->nmems++;
	return true;
}

static bool parse_array(struct parser *ps, struct jv *v)
{
	size_t base = ps->nvals, n;

	ps->p++; /* [ */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		v->type = JV_ARRAY;
		v->n = 0;
		v->items = NULL;
		return true;
	}
	for (;;) {
		struct jv item;
		int more;

		skip_ws(ps);
		if (!parse_value(ps, &item) || !push_val(ps, &item))
			return false;
		more = after_item(ps, ']');
		if (more < 0)
			return false;
		if (!more)
			break;
	}
	n = ps->nvals - base;
	v->type = JV_ARRAY;
	v->n = (uint32_t)n;
	v->items = arena_alloc(ps->doc, n * sizeof(struct jv));
	if (!v->items)
		return oom(ps);
	memcpy(v->items, ps->vals + base, n * sizeof(struct jv));
	ps->nvals = base;
	return true;
}

/*
 * Duplicate keys: objects of up to KEYS_LINEAR members compare linearly
 * (plan steps have a handful of keys); larger ones get a hash table of
 * member indices, so the check stays linear in the size of the input.
 */
#define KEYS_LINEAR 16

struct keyset {
	uint32_t *slot; /* member index - base + 1; 0 = empty */
	size_t cap;     /* power of two */
};

static uint32_t key_hash(const char *k)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h;
}

/* Insert member i of the object at base; false if its key is a duplicate. */
static bool keyset_add(struct parser *ps, struct keyset *ks, size_t base,
		       size_t i, bool *nomem)
{
	const char *key = ps->mems[i].key;
	size_t j;

	if ((i - base + 1) * 2 > ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 4 * KEYS_LINEAR;
		uint32_t *slot = calloc(cap, sizeof(*slot));

		if (!slot) {
			*nomem = true;
			return false;
		}
		free(ks->slot);
		ks->slot = slot;
		ks->cap = cap;
		/* rehash the members before i (distinct by construction) */
		for (size_t m = base; m < i; m++) {
			j = key_hash(ps->mems[m].key) & (cap - 1);
			while (slot[j])
				j = (j + 1) & (cap - 1);
			slot[j] = (uint32_t)(m - base + 1);
		}
	}
	for (j = key_hash(key) & (ks->cap - 1); ks->slot[j];
	     j = (j + 1) & (ks->cap - 1))
		if (!strcmp(ps->mems[base + ks->slot[j] - 1].key, key))
			return false;
	ks->slot[j] = (uint32_t)(i - base + 1);
	return true;
}

/* Is the newest member's key new in its object? */
static bool member_is_new(struct parser *ps, struct keyset *ks, size_t base,
			  bool *nomem)
{
	size_t last = ps->nmems - 1;
	const char *key = ps->mems[last].key;

	if (last - base < KEYS_LINEAR) {
		for (size_t i = base; i < last; i++)
			if (ps->mems[i].key[0] == key[0] &&
			    !strcmp(ps->mems[i].key, key))
				return false;
		return true;
	}
	if (!ks->cap) {
		/* the first KEYS_LINEAR were checked linearly: index them */
		for (size_t i = base; i < last; i++)
			if (!keyset_add(ps, ks, base, i, nomem))
				return false;
	}
	return keyset_add(ps, ks, base, last, nomem);
}

/* The members of an object into ps->mems from base on. */
static bool parse_members(struct parser *ps, size_t base, struct keyset *ks)
{
	ps->p++; /* { */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return true;
	}
	for (;;) {
		const char *key, *keypos;
		bool nomem = false;
		uint32_t klen;
		struct jv val;
		int more;

		skip_ws(ps);
		if (ps->p >= ps->end)
			return fail(ps, "unexpected end of input");
		if (*ps->p != '"')
			return fail(ps, "quoted object property name expected");
		keypos = ps->p;
		if (!parse_string(ps, &key, &klen))
			return false;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return fail(ps, ps->p < ps->end ? "expected ':'"
							: "unexpected end of input");
		ps->p++;
		skip_ws(ps);
		if (!parse_value(ps, &val) || !push_mem(ps, key, &val))
			return false;
		if (!member_is_new(ps, ks, base, &nomem)) {
			if (nomem)
				return oom(ps);
			ps->p = keypos;
			return fail(ps, "duplicate key \"%.64s%s\"", key,
				    klen > 64 ? "..." : "");
		}
		more = after_item(ps, '}');
		if (more < 0)
			return false;
		if (!more)
			break;
	}
	return true;
}

static bool parse_object(struct parser *ps, struct jv *v)
{
	size_t base = ps->nmems, n;
	struct keyset ks = { 0 };
	bool ok = parse_members(ps, base, &ks);

	free(ks.slot);
	if (!ok)
		return false;

	n = ps->nmems - base;
	v->type = JV_OBJECT;
	v->n = (uint32_t)n;
	v->members = arena_alloc(ps->doc, n * sizeof(struct jmember));
	if (!v->members)
		return oom(ps);
	if (n) /* ps->mems is NULL before the first member */
		memcpy(v->members, ps->mems + base, n * sizeof(struct jmember));
	ps->nmems = base;
	return true;
}

static bool parse_value(struct parser *ps, struct jv *v)
{
	bool ok;

	memset(v, 0, sizeof(*v));
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of input");
	if (++ps->depth > ps->max_depth)
		return fail(ps, "nested too deeply");
	switch (*ps->p) {
	case '{':
		ok = parse_object(ps, v);
		break;
	case '[':
		ok = parse_array(ps, v);
		break;
	case '"':
		v->type = JV_STRING;
		ok = parse_string(ps, &v->s, &v->n);
		break;
	case 't':
		v->type = JV_BOOL;
		v->b = true;
		ok = literal(ps, "true", 4);
		break;
	case 'f':
		v->type = JV_BOOL;
		ok = literal(ps, "false", 5);
		break;
	case 'n':
		v->type = JV_NULL;
		ok = literal(ps, "null", 4);
		break;
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			ok = parse_number(ps, v);
		else
			ok = fail(ps, "unexpected character");
		break;
	}
	ps->depth--;
	return ok;
}

struct jv *jv_parse(const char *text, size_t len, char *msg, size_t msglen)
{
	return jv_parse_depth(text, len, JV_MAX_DEPTH, msg, msglen);
}

struct jv *jv_parse_depth(const char *text, size_t len, int max_depth,
			  char *msg, size_t msglen)
{
	struct parser ps = {
		.p = text, .start = text, .end = text + len,
		.msg = msg, .msglen = msglen,
		.max_depth = max_depth < 1 || max_depth > JV_MAX_DEPTH ?
			     JV_MAX_DEPTH : max_depth,
	};
	struct doc *d = calloc(1, sizeof(*d));
	bool ok;

	if (!d) {
		snprintf(msg, msglen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ps.doc = d;
	skip_ws(&ps);
	ok = parse_value(&ps, &d->root);
	if (ok) {
		skip_ws(&ps);
		if (ps.p < ps.end)
			ok = fail(&ps, "trailing data after the JSON value");
	}
	free(ps.vals);
	free(ps.mems);
	if (!ok) {
		jv_free(&d->root);
		errno = ps.nomem ? ENOMEM : EINVAL;
		return NULL;
	}
	return &d->root;
}

void jv_free(struct jv *root)
{
	struct doc *d;
	struct chunk *c;

	if (!root)
		return;
	d = (struct doc *)((char *)root - offsetof(struct doc, root));
	c = d->chunks;
	while (c) {
		struct chunk *next = c->next;

		free(c);
		c = next;
	}
	free(d);
}

struct jv *jv_get(const struct jv *v, const char *key)
{
	if (!v || v->type != JV_OBJECT)
		return NULL;
	for (uint32_t i = 0; i < v->n; i++) {
		const char *k = v->members[i].key;

		/* first byte first: most keys differ there */
		if (k[0] == key[0] && !strcmp(k, key))
			return &v->members[i].val;
	}
	return NULL;
}
