// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench-parse: what reading a plan costs nestctl with its own parser
 * (lib/jv.c) and with json-c, side by side in one process.
 *
 *   bench-parse PLAN [ROUNDS] [NESTCTL_MS C_MS [NESTCTL_MIN_MS C_MIN_MS]]
 *   bench-parse --strictness
 *
 * Each round parses the text of PLAN (read once) with both parsers,
 * alternating which goes first, walks every step as "nestctl apply" does
 * (the "op" member, then every member with its value: strings, integers,
 * nested values) and frees the document.  json-c is measured at its
 * cheapest: json_tokener_parse_ex() in strict mode, with nothing of what
 * nestctl needs on top (duplicate keys, which json-c silently overwrites,
 * and line/column of an error).  Prints the medians and minima (ms) as
 * JSON.
 *
 * Given the median ms of "nestctl apply" and of the C program from
 * "bench-apply run" on the same plan (NESTCTL_MS C_MS, same machine), it
 * also prints the apply ratio nestctl would have with json-c instead,
 * (NESTCTL_MS - jv + json-c) / C_MS, and whether that meets the apply
 * target (<= 1.5, bench-apply's bound); the same from the minima when
 * they are given (on a loaded host the least disturbed runs).
 *
 * --strictness parses inputs that jv (lib/jv.c) refuses with json-c (strict
 * mode, UTF-8 validation, the same depth limit) and prints what json-c
 * makes of each: what nestctl would accept if it parsed with json-c.
 *
 * Exit status 0, or 2 on an error.
 *
 * tests/cli/vm-mock-session-vm.sh runs it in the testbed VM with BENCH=1,
 * after bench-apply, on bench-apply's plans.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>

#include "jv.h"

/* The walk's result, so that the compiler keeps the walk. */
static volatile unsigned long long sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long long walk_jv(const struct jv *v)
{
	unsigned long long h = v->type;

	switch (v->type) {
	case JV_INT:
		return h + v->i.u;
	case JV_STRING:
		return h + v->n + (unsigned char)v->s[0];
	case JV_ARRAY:
		for (uint32_t i = 0; i < v->n; i++)
			h += walk_jv(&v->items[i]);
		return h;
	case JV_OBJECT:
		jv_foreach_member(v, m)
			h += strlen(m->key) + walk_jv(&m->val);
		return h;
	default:
		return h;
	}
}

static unsigned long long walk_jsonc(struct json_object *v)
{
	unsigned long long h = json_object_get_type(v);

	switch (json_object_get_type(v)) {
	case json_type_int:
		return h + json_object_get_uint64(v);
	case json_type_string:
		return h + (unsigned int)json_object_get_string_len(v) +
		       (unsigned char)json_object_get_string(v)[0];
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++)
			h += walk_jsonc(json_object_array_get_idx(v, i));
		return h;
	case json_type_object: {
		json_object_object_foreach(v, k, m)
			h += strlen(k) + walk_jsonc(m);
		return h;
	}
	default:
		return h;
	}
}

/* Parse, look up each step's "op" and walk it, free: seconds. */
static double round_jv(const char *text, size_t len)
{
	double t0 = now();
	char msg[256];
	struct jv *root = jv_parse(text, len, msg, sizeof(msg));
	unsigned long long h = 0;

	if (!root) {
		fprintf(stderr, "bench-parse: jv: %s\n", msg);
		exit(2);
	}
	for (uint32_t i = 0; i < jv_len(root); i++) {
		struct jv *st = jv_idx(root, i);

		h += jv_str(jv_get(st, "op"))[0] + walk_jv(st);
	}
	jv_free(root);
	sink += h;
	return now() - t0;
}

static double round_jsonc(const char *text, size_t len)
{
	double t0 = now();
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root, *op;
	unsigned long long h = 0;

	if (!tok)
		exit(2);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success) {
		fprintf(stderr, "bench-parse: json-c: %s\n",
			json_tokener_error_desc(json_tokener_get_error(tok)));
		exit(2);
	}
	json_tokener_free(tok);
	for (size_t i = 0; i < json_object_array_length(root); i++) {
		struct json_object *st = json_object_array_get_idx(root, i);

		if (json_object_object_get_ex(st, "op", &op))
			h += json_object_get_string(op)[0];
		h += walk_jsonc(st);
	}
	json_object_put(root);
	sink += h;
	return now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			char *b = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*len = n;
	return buf;
}

/* Inputs jv refuses (tests/cli/golden has each error). */
static const char *const strict_cases[] = {
	"{\"a\":1,\"a\":2}",
	"[18446744073709551616]",
	"[-18446744073709551616]",
	"[1e400]",
	"[\"\\ud800\"]",
	"[\"\xed\xa0\x80\"]",
	"[\"\xc0\x80\"]",
	"[\"a\tb\"]",
	"{'a':1}",
};

/* s with bytes outside printable ASCII as \xNN (the input is not UTF-8). */
static struct json_object *printable(const char *s)
{
	char buf[256];
	size_t n = 0;

	for (; *s && n + 5 < sizeof(buf); s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\\x%02x", c);
	}
	buf[n] = '\0';
	return json_object_new_string(buf);
}

static int strictness(void)
{
	int ret = 0;

	for (size_t i = 0; i < sizeof(strict_cases) / sizeof(strict_cases[0]); i++) {
		const char *in = strict_cases[i];
		struct json_tokener *tok = json_tokener_new_ex(JV_MAX_DEPTH);
		struct json_object *r = json_object_new_object(), *o;
		char msg[256];
		struct jv *v = jv_parse(in, strlen(in), msg, sizeof(msg));

		if (!tok || !r)
			return 2;
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
		o = json_tokener_parse_ex(tok, in, (int)strlen(in));
		json_object_object_add(r, "input", printable(in));
		if (v) {
			/* the list is of inputs jv refuses */
			json_object_object_add(r, "jv", json_object_new_string("accepted"));
			ret = 2;
			jv_free(v);
		} else {
			json_object_object_add(r, "jv", json_object_new_string(msg));
		}
		if (o && json_tokener_get_error(tok) == json_tokener_success) {
			snprintf(msg, sizeof(msg), "accepted as %s",
				 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_object_add(r, "json-c", printable(msg));
		} else {
			snprintf(msg, sizeof(msg), "refused: %s",
				 json_tokener_error_desc(json_tokener_get_error(tok)));
			json_object_object_add(r, "json-c", json_object_new_string(msg));
		}
		printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(r);
		json_object_put(o);
		json_tokener_free(tok);
	}
	return ret;
}

int main(int argc, char **argv)
{
	unsigned int rounds = 101;
	double *tj, *tc, mj, mc, nestctl_ms = 0, c_ms = 0, nmin = 0, cmin = 0;
	size_t len;
	char *text;

	if (argc == 2 && !strcmp(argv[1], "--strictness"))
		return strictness();
	if (argc != 2 && argc != 3 && argc != 5 && argc != 7) {
		fprintf(stderr, "usage: bench-parse PLAN [ROUNDS] [NESTCTL_MS C_MS "
			"[NESTCTL_MIN_MS C_MIN_MS]]\n       bench-parse --strictness\n");
		return 2;
	}
	if (argc >= 3)
		rounds = (unsigned int)strtoul(argv[2], NULL, 10);
	if (argc >= 5) {
		nestctl_ms = strtod(argv[3], NULL);
		c_ms = strtod(argv[4], NULL);
	}
	if (argc == 7) {
		nmin = strtod(argv[5], NULL);
		cmin = strtod(argv[6], NULL);
	}
	if (!rounds || rounds > 100000 ||
	    (argc >= 5 && (nestctl_ms <= 0 || c_ms <= 0)) ||
	    (argc == 7 && (nmin <= 0 || cmin <= 0))) {
		fprintf(stderr, "bench-parse: bad ROUNDS or times\n");
		return 2;
	}
	text = read_all(argv[1], &len);
	if (!text) {
		fprintf(stderr, "bench-parse: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	tj = calloc(rounds, sizeof(double));
	tc = calloc(rounds, sizeof(double));
	if (!tj || !tc)
		return 2;
	for (unsigned int r = 0; r < rounds; r++) {
		if (r % 2) {
			tc[r] = round_jsonc(text, len);
			tj[r] = round_jv(text, len);
		} else {
			tj[r] = round_jv(text, len);
			tc[r] = round_jsonc(text, len);
		}
	}
	qsort(tj, rounds, sizeof(double), cmp_double);
	qsort(tc, rounds, sizeof(double), cmp_double);
	mj = tj[rounds / 2] * 1e3;
	mc = tc[rounds / 2] * 1e3;
	printf("{\"bench\":\"parse\",\"bytes\":%zu,\"rounds\":%u,"
	       "\"jv-median-ms\":%.3f,\"json-c-median-ms\":%.3f,"
	       "\"jv-min-ms\":%.3f,\"json-c-min-ms\":%.3f,"
	       "\"json-c/jv\":%.2f", len, rounds, mj, mc, tj[0] * 1e3,
	       tc[0] * 1e3, mc / mj);
	if (c_ms > 0) {
		double projected = (nestctl_ms - mj + mc) / c_ms;

		printf(",\"nestctl-median-ms\":%.3f,\"c-median-ms\":%.3f,"
		       "\"ratio\":%.3f,\"ratio-with-json-c\":%.3f,\"bound\":1.5,"
		       "\"json-c-meets-bound\":%s", nestctl_ms, c_ms,
		       nestctl_ms / c_ms, projected,
		       projected <= 1.5 ? "true" : "false");
	}
	if (cmin > 0) {
		double projected = (nmin - tj[0] * 1e3 + tc[0] * 1e3) / cmin;

		printf(",\"nestctl-min-ms\":%.3f,\"c-min-ms\":%.3f,"
		       "\"ratio-min\":%.3f,\"ratio-min-with-json-c\":%.3f,"
		       "\"json-c-meets-bound-min\":%s", nmin, cmin, nmin / cmin,
		       projected, projected <= 1.5 ? "true" : "false");
	}
	printf("}\n");
	free(tj);
	free(tc);
	free(text);
	return 0;
}
