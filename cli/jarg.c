// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Typed access to JSON input (plans, codec fields) with precise errors.
 *
 * Every function returns 0 or a negative errno and on error writes a
 * message into the caller's buffer naming the field, so that a plan error
 * can say "step 3 (hwpt-alloc): field "dev": ...".
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nestctl.h"
#include "jarg.h"

int jerr(struct jctx *jc, int err, const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;

	jc->msg[0] = '\0';
	if (jc->step >= 0 && jc->op)
		n = (size_t)snprintf(jc->msg, sizeof(jc->msg), "step %d (%s): ",
				     jc->step, jc->op);
	else if (jc->step >= 0)
		n = (size_t)snprintf(jc->msg, sizeof(jc->msg), "step %d: ", jc->step);
	n += (size_t)snprintf(jc->msg + n, sizeof(jc->msg) - n, "%s", jc->sub);
	if (n >= sizeof(jc->msg))
		n = sizeof(jc->msg) - 1;
	va_start(ap, fmt);
	vsnprintf(jc->msg + n, sizeof(jc->msg) - n, fmt, ap);
	va_end(ap);
	jc->err = err;
	return -err;
}

const char *jtype_name(const struct jv *v)
{
	switch (v ? v->type : JV_NULL) {
	case JV_NULL: return "null";
	case JV_BOOL: return "a boolean";
	case JV_DOUBLE: return "a fraction";
	case JV_INT: return "an integer";
	case JV_OBJECT: return "an object";
	case JV_ARRAY: return "an array";
	case JV_STRING: return "a string";
	}
	return "?";
}

int jval_u64(struct jctx *jc, const char *field, struct jv *v,
	     uint64_t max, uint64_t *out)
{
	uint64_t val;

	switch (v->type) {
	case JV_INT:
		if (v->i.neg)
			return jerr(jc, ERANGE,
				    "field \"%s\": -%" PRIu64 " is negative",
				    field, v->i.u);
		val = v->i.u;
		break;
	case JV_STRING: {
		int ret = parse_u64(v->s, UINT64_MAX, &val);

		if (ret == -ERANGE)
			return jerr(jc, ERANGE,
				    "field \"%s\": \"%s\" is out of the 64-bit range",
				    field, v->s);
		if (ret == -EDOM)
			return jerr(jc, EINVAL,
				    "field \"%s\": \"%s\" has a leading zero "
				    "(numbers are decimal, or hex with 0x; never "
				    "octal)", field, v->s);
		if (ret)
			return jerr(jc, EINVAL,
				    "field \"%s\": \"%s\" is not a number "
				    "(decimal, or hex with 0x)", field, v->s);
		break;
	}
	default:
		return jerr(jc, EINVAL,
			    "field \"%s\": expected an unsigned integer "
			    "(number or \"0x...\" string), got %s",
			    field, jtype_name(v));
	}
	if (val > max)
		return jerr(jc, ERANGE,
			    "field \"%s\": %" PRIu64 " is out of range "
			    "(maximum %" PRIu64 " = 0x%" PRIx64 ")",
			    field, val, max, max);
	*out = val;
	return 0;
}

int jval_bool(struct jctx *jc, const char *field, struct jv *v, bool *out)
{
	if (v->type == JV_BOOL) {
		*out = v->b;
		return 0;
	}
	if (v->type == JV_INT) {
		if (!v->i.neg && v->i.u <= 1) {
			*out = v->i.u;
			return 0;
		}
		return jerr(jc, ERANGE, "field \"%s\": %s%" PRIu64
			    " is out of range for a flag (0 or 1)", field,
			    v->i.neg ? "-" : "", v->i.u);
	}
	return jerr(jc, EINVAL, "field \"%s\": expected a boolean, got %s",
		    field, jtype_name(v));
}

int jval_str(struct jctx *jc, const char *field, struct jv *v,
	     const char **out)
{
	if (v->type != JV_STRING)
		return jerr(jc, EINVAL, "field \"%s\": expected a string, got %s",
			    field, jtype_name(v));
	*out = v->s;
	return 0;
}

int jcheck_keys(struct jctx *jc, struct jv *obj, const char *const *allowed)
{
	if (obj->type != JV_OBJECT)
		return jerr(jc, EINVAL, "expected an object, got %s",
			    jtype_name(obj));
	jv_foreach_member(obj, m) {
		const char *const *a;

		for (a = allowed; *a; a++)
			if (!strcmp(*a, m->key))
				break;
		if (!*a) {
			char list[400] = "";
			size_t n = 0;

			for (a = allowed; *a && n < sizeof(list) - 40; a++)
				n += snprintf(list + n, sizeof(list) - n,
					      "%s%s", n ? ", " : "", *a);
			return jerr(jc, EINVAL,
				    "unknown field \"%s\" (known: %s)", m->key, list);
		}
	}
	return 0;
}

struct jv *jget(struct jv *obj, const char *key)
{
	return jv_get(obj, key);
}

int jget_u64(struct jctx *jc, struct jv *obj, const char *key,
	     bool required, uint64_t max, uint64_t *out)
{
	struct jv *v = jget(obj, key);

	if (!v) {
		if (required)
			return jerr(jc, EINVAL, "missing field \"%s\"", key);
		return 0;
	}
	return jval_u64(jc, key, v, max, out);
}

int jget_u32(struct jctx *jc, struct jv *obj, const char *key,
	     bool required, uint32_t *out)
{
	uint64_t v = *out;
	int ret = jget_u64(jc, obj, key, required, UINT32_MAX, &v);

	if (!ret)
		*out = (uint32_t)v;
	return ret;
}

int jget_bool(struct jctx *jc, struct jv *obj, const char *key,
	      bool *out)
{
	struct jv *v = jget(obj, key);

	return v ? jval_bool(jc, key, v, out) : 0;
}

int jget_str(struct jctx *jc, struct jv *obj, const char *key,
	     bool required, const char **out)
{
	struct jv *v = jget(obj, key);

	if (!v) {
		if (required)
			return jerr(jc, EINVAL, "missing field \"%s\"", key);
		return 0;
	}
	return jval_str(jc, key, v, out);
}

/*
 * A word where nestctl(8) says hex (raw words, IDRs): hex digits with or
 * without 0x.  Without hex_default, parse_u64()'s rule.
 */
int parse_word(const char *s, bool hex_default, uint64_t max, uint64_t *out)
{
	char buf[40];

	if (hex_default && strncmp(s, "0x", 2) && strncmp(s, "0X", 2)) {
		if (strlen(s) > 32)
			return -ERANGE;
		snprintf(buf, sizeof(buf), "0x%s", s);
		s = buf;
	}
	return parse_u64(s, max, out);
}

int jval_word(struct jctx *jc, const char *field, struct jv *v, uint64_t *out)
{
	int ret;

	if (v->type != JV_STRING)
		return jval_u64(jc, field, v, UINT64_MAX, out);
	ret = parse_word(v->s, true, UINT64_MAX, out);
	if (ret == -ERANGE)
		return jerr(jc, ERANGE,
			    "field \"%s\": \"%s\" is out of the 64-bit range",
			    field, v->s);
	if (ret)
		return jerr(jc, EINVAL,
			    "field \"%s\": \"%s\" is not a hex word", field,
			    v->s);
	return 0;
}
