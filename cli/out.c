// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nestctl output: one json-c tree per command, printed as JSON or as text.
 *
 * Text mode is a fixed rendering of the same tree (YAML-like, two-space
 * indentation), so both outputs always carry the same fields.  A key "K"
 * that has a sibling "K-hex" is shown in hex in text mode; JSON carries
 * both the number and the hex string.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nestctl.h"
#include "jv.h"

/*
 * JSON writer over json-c trees.  json_object_to_json_string_ext() formats
 * every integer with snprintf() and grows its buffer byte by byte; a plan
 * of a thousand steps spent a quarter of its time there.  Same output as
 * json-c's PLAIN and PRETTY|SPACED modes, except that empty containers
 * print as [] and {}.
 */
struct sbuf {
	char *p;
	size_t n, cap;
};

static void sb_grow(struct sbuf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *np;

	while (cap - b->n < more + 1)
		cap *= 2;
	np = realloc(b->p, cap);
	if (!np)
		abort();
	b->p = np;
	b->cap = cap;
}

static inline void sb_put(struct sbuf *b, const char *s, size_t len)
{
	if (b->cap - b->n < len + 1)
		sb_grow(b, len);
	memcpy(b->p + b->n, s, len);
	b->n += len;
}

static inline void sb_ch(struct sbuf *b, char c)
{
	if (b->cap - b->n < 2)
		sb_grow(b, 1);
	b->p[b->n++] = c;
}

static void sb_u64(struct sbuf *b, uint64_t v, bool neg)
{
	char buf[24], *q = buf + sizeof(buf);

	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		*--q = '-';
	sb_put(b, q, (size_t)(buf + sizeof(buf) - q));
}

/* 1 for the bytes a JSON string must escape or check (non-ASCII) */
static const unsigned char json_esc[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

static void sb_str(struct sbuf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0, i = 0;

	sb_ch(b, '"');
	for (;;) {
		unsigned char c;
		const char *esc = NULL;

		while (i < len && !json_esc[(unsigned char)s[i]])
			i++, run++;
		if (i >= len)
			break;
		sb_put(b, s + i - run, run);
		run = 0;
		c = (unsigned char)s[i];
		if (c >= 0x80) {
			/*
			 * Text from the command line or the system need not
			 * be UTF-8; JSON output must be: U+FFFD for each
			 * byte that does not start a valid sequence.
			 */
			size_t l = jv_utf8_len((const unsigned char *)s + i,
					       len - i);

			if (l)
				sb_put(b, s + i, l);
			else
				sb_put(b, "\\ufffd", 6);
			i += l ? l : 1;
			continue;
		}
		i++;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		}
		if (esc) {
			sb_put(b, esc, 2);
		} else {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			sb_put(b, u, 6);
		}
	}
	sb_put(b, s + len - run, run);
	sb_ch(b, '"');
}

static void sb_indent(struct sbuf *b, int level)
{
	sb_ch(b, '\n');
	for (int i = 0; i < level; i++)
		sb_put(b, "  ", 2);
}

static void sb_value(struct sbuf *b, struct json_object *v, int level)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		sb_put(b, "null", 4);
		break;
	case json_type_boolean:
		if (json_object_get_boolean(v))
			sb_put(b, "true", 4);
		else
			sb_put(b, "false", 5);
		break;
	case json_type_int: {
		int64_t i = json_object_get_int64(v);

		if (i < 0)
			sb_u64(b, (uint64_t)0 - (uint64_t)i, true);
		else
			sb_u64(b, json_object_get_uint64(v), false);
		break;
	}
	case json_type_double: {
		const char *d = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);

		sb_put(b, d, strlen(d));
		break;
	}
	case json_type_string:
		sb_str(b, json_object_get_string(v),
		       (size_t)json_object_get_string_len(v));
		break;
	case json_type_array: {
		size_t n = json_object_array_length(v);

		sb_ch(b, '[');
		for (size_t i = 0; i < n; i++) {
			if (i)
				sb_ch(b, ',');
			if (pretty_output)
				sb_indent(b, level + 1);
			sb_value(b, json_object_array_get_idx(v, i), level + 1);
		}
		if (pretty_output && n)
			sb_indent(b, level);
		sb_ch(b, ']');
		break;
	}
	case json_type_object: {
		bool first = true;

		sb_ch(b, '{');
		json_object_object_foreach(v, key, val) {
			if (!first)
				sb_ch(b, ',');
			first = false;
			if (pretty_output)
				sb_indent(b, level + 1);
			sb_str(b, key, strlen(key));
			if (pretty_output)
				sb_put(b, ": ", 2);
			else
				sb_ch(b, ':');
			sb_value(b, val, level + 1);
		}
		if (pretty_output && !first)
			sb_indent(b, level);
		sb_ch(b, '}');
		break;
	}
	}
}

/* Valid until the next call. */
const char *out_json_string(struct json_object *obj)
{
	static struct sbuf b;

	b.n = 0;
	sb_value(&b, obj, 0);
	if (!b.p)
		sb_grow(&b, 1);
	b.p[b.n] = '\0';
	return b.p;
}

static void scalar_text(FILE *f, struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		fputs("none", f);
		break;
	case json_type_boolean:
		fputs(json_object_get_boolean(v) ? "yes" : "no", f);
		break;
	case json_type_string:
		fputs(json_object_get_string(v), f);
		break;
	default:
		fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), f);
		break;
	}
}

static bool is_scalar(struct json_object *v)
{
	enum json_type t = json_object_get_type(v);

	return t != json_type_object && t != json_type_array;
}

static bool all_scalars(struct json_object *arr)
{
	size_t n = json_object_array_length(arr);

	for (size_t i = 0; i < n; i++)
		if (!is_scalar(json_object_array_get_idx(arr, i)))
			return false;
	return true;
}

static void render_value(FILE *f, struct json_object *v, int indent);

/* Print an object's members at indent; lead replaces the first indent. */
static void render_object(FILE *f, struct json_object *obj, int indent,
			  const char *lead)
{
	bool first = true;

	json_object_object_foreach(obj, key, val) {
		size_t kl = strlen(key);
		struct json_object *hex = NULL;
		char hexkey[128];

		/* "K-hex" is printed in place of "K" when both exist. */
		if (kl > 4 && !strcmp(key + kl - 4, "-hex")) {
			char base[128];

			snprintf(base, sizeof(base), "%.*s", (int)(kl - 4), key);
			if (json_object_object_get_ex(obj, base, NULL))
				continue;
		}
		snprintf(hexkey, sizeof(hexkey), "%s-hex", key);
		json_object_object_get_ex(obj, hexkey, &hex);

		if (first && lead)
			fprintf(f, "%*s%s", indent - (int)strlen(lead), "", lead);
		else
			fprintf(f, "%*s", indent, "");
		first = false;

		if (hex && json_object_is_type(hex, json_type_array))
			val = hex, hex = NULL;
		if (hex || is_scalar(val)) {
			fprintf(f, "%s: ", key);
			scalar_text(f, hex ? hex : val);
			fputc('\n', f);
		} else if (json_object_is_type(val, json_type_array) &&
			   all_scalars(val)) {
			size_t n = json_object_array_length(val);

			fprintf(f, "%s:", key);
			if (!n)
				fputs(" none", f);
			for (size_t i = 0; i < n; i++) {
				fputc(' ', f);
				scalar_text(f, json_object_array_get_idx(val, i));
			}
			fputc('\n', f);
		} else {
			fprintf(f, "%s:\n", key);
			render_value(f, val, indent + 2);
		}
	}
	if (first && lead)
		fprintf(f, "%*s%s{}\n", indent - (int)strlen(lead), "", lead);
}

static void render_value(FILE *f, struct json_object *v, int indent)
{
	if (json_object_is_type(v, json_type_object)) {
		render_object(f, v, indent, NULL);
	} else if (json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);

		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			if (json_object_is_type(e, json_type_object)) {
				render_object(f, e, indent + 2, "- ");
			} else {
				fprintf(f, "%*s- ", indent, "");
				if (is_scalar(e))
					scalar_text(f, e);
				else
					fputs(json_object_to_json_string_ext(
						      e, JSON_C_TO_STRING_PLAIN),
					      f);
				fputc('\n', f);
			}
		}
	} else {
		fprintf(f, "%*s", indent, "");
		scalar_text(f, v);
		fputc('\n', f);
	}
}

/* errno of the first failed write to stdout */
static int out_errno;

void out_flush(void)
{
	errno = 0;
	if ((fflush(stdout) || ferror(stdout)) && !out_errno)
		out_errno = errno ? errno : EIO;
}

void out_emit(struct json_object *obj)
{
	if (json_output) {
		/* Mutating commands print null, as bpftool does. */
		puts(obj ? out_json_string(obj) : "null");
	} else if (obj && json_object_is_type(obj, json_type_array)) {
		size_t n = json_object_array_length(obj);

		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(obj, i);

			if (i && !is_scalar(e))
				putchar('\n');
			render_value(stdout, e, 0);
		}
	} else if (obj) {
		render_value(stdout, obj, 0);
	}
	out_flush();
	json_object_put(obj);
}

int out_finish(int code)
{
	int err;

	/* As close_stdout() of gnulib: a full disk must not exit 0. */
	out_flush();
	if (!ferror(stdout))
		return code;
	err = out_errno ? out_errno : EIO;
	if (err == EBADF && fcntl(STDOUT_FILENO, F_GETFD) < 0)
		return code; /* started without a standard output */
	fprintf(stderr, "%s: cannot write the output: %s\n", progname,
		strerror(err));
	return code ? code : EXIT_KERNEL;
}

#if defined(__SANITIZE_ADDRESS__)
#define FREE_AT_EXIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FREE_AT_EXIT 1
#endif
#endif
#ifndef FREE_AT_EXIT
#define FREE_AT_EXIT 0
#endif

void out_drop_final(struct json_object *obj)
{
	if (FREE_AT_EXIT || getenv("NESTCTL_FREE_AT_EXIT"))
		json_object_put(obj);
}

void out_emit_final(struct json_object *obj)
{
	if (FREE_AT_EXIT || getenv("NESTCTL_FREE_AT_EXIT")) {
		out_emit(obj);
		return;
	}
	/* out_emit() without the final put */
	out_emit(json_object_get(obj));
}

struct json_object *err_object(int err, const char *msg)
{
	struct json_object *o = json_object_new_object();

	j_str(o, "error", msg);
	j_int(o, "errno", err < 0 ? -err : err);
	return o;
}

static int verr_report(int exit_code, int err, struct json_object *extra,
		       const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static int verr_report(int exit_code, int err, struct json_object *extra,
		       const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (json_output) {
		struct json_object *o = err_object(err, msg);

		if (extra) {
			json_object_object_foreach(extra, k, v)
				json_object_object_add(o, k, json_object_get(v));
		}
		puts(out_json_string(o));
		out_flush();
		json_object_put(o);
	} else {
		fprintf(stderr, "%s: %s\n", progname, msg);
	}
	json_object_put(extra);
	return exit_code;
}

int err_report(int exit_code, int err, struct json_object *extra,
	       const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = verr_report(exit_code, err, extra, fmt, ap);
	va_end(ap);
	return ret;
}

int err_usage(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = verr_report(EXIT_USAGE, EINVAL, NULL, fmt, ap);
	va_end(ap);
	return ret;
}

int err_lib(int err, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	if (err < 0)
		err = -err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_report(EXIT_KERNEL, err, NULL, "%s: %s", msg, strerror(err));
}

/* ------------------------------------------------------------------ */

void j_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

void j_u32(struct json_object *o, const char *key, uint32_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

void j_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

void j_bool(struct json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

void j_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

/* "0x..." without printf: this runs for every address of every step. */
struct json_object *j_hex_string(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char buf[24], *p = buf + sizeof(buf);
	int len;

	*--p = '\0';
	do {
		*--p = digits[v & 0xf];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	len = (int)(buf + sizeof(buf) - 1 - p);
	return json_object_new_string_len(p, len);
}

static void add_hex_sibling(struct json_object *o, const char *key, uint64_t v)
{
	size_t kl = strlen(key);
	char hk[128];

	if (kl > sizeof(hk) - 5)
		kl = sizeof(hk) - 5;
	memcpy(hk, key, kl);
	memcpy(hk + kl, "-hex", 5);
	json_object_object_add(o, hk, j_hex_string(v));
}

void j_addr_k(struct json_object *o, const char *key, const char *hexkey,
	      uint64_t v)
{
	json_object_object_add_ex(o, key, json_object_new_uint64(v),
				  JSON_C_OBJECT_ADD_CONSTANT_KEY);
	json_object_object_add_ex(o, hexkey, j_hex_string(v),
				  JSON_C_OBJECT_ADD_CONSTANT_KEY);
}

void j_addr(struct json_object *o, const char *key, uint64_t v)
{
	j_u64(o, key, v);
	add_hex_sibling(o, key, v);
}

void j_hex32(struct json_object *o, const char *key, uint32_t v)
{
	j_u32(o, key, v);
	add_hex_sibling(o, key, v);
}
