// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nestctl apply: run a plan (a JSON list of operations) on one iommufd
 * context, with references by name between steps, and print the resulting
 * object graph.  This file is the plan itself: its shape, the fields of a
 * step, running the steps, and the apply command.  The operations are in
 * plan-ops.c, the session's named objects (rollback, the graph) in
 * session.c, the keep server in keep.c.
 *
 * A plan is checked in two passes: first every step's shape (an object
 * with a known "op" and only that op's keys) before anything touches the
 * kernel, then each step in order with its types, ranges and names.  On
 * the first failing step everything this plan created is destroyed again
 * (newest first, retried while that makes progress) and the error names
 * the step index, the op and the field.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nestiommu/nestiommu.h>

#include "nestctl.h"
#include "jarg.h"
#include "codec.h"
#include "jv.h"
#include "plan.h"
#include "plan-int.h"

/* ------------------------------------------------------------------ */
/* Errors                                                              */

int perr(struct run *r, const char *field, int err, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->field = field;
	jerr(&r->jc, err, "%s", msg);
	return EXIT_USAGE;
}

int kerr(struct run *r, int ret, const char *call)
{
	const char *last = nio_ctx_last_error(r->s->ctx);

	if (ret > 0)
		ret = -ret;
	jerr(&r->jc, -ret, "%s: %s%s%s%s", call, strerror(-ret),
	     last && *last ? " (" : "", last ? last : "",
	     last && *last ? ")" : "");
	return EXIT_KERNEL;
}

/* Wrap jarg so that the failing field is recorded. */
int get_u64(struct run *r, const char *key, bool req, uint64_t max,
	    uint64_t *out)
{
	if (jget_u64(&r->jc, r->step, key, req, max, out)) {
		r->field = key;
		return EXIT_USAGE;
	}
	return 0;
}

int get_u32(struct run *r, const char *key, bool req, uint32_t *out)
{
	if (jget_u32(&r->jc, r->step, key, req, out)) {
		r->field = key;
		return EXIT_USAGE;
	}
	return 0;
}

int get_bool(struct run *r, const char *key, bool *out)
{
	if (jget_bool(&r->jc, r->step, key, out)) {
		r->field = key;
		return EXIT_USAGE;
	}
	return 0;
}
/* ------------------------------------------------------------------ */
/* Steps                                                               */

/* "recorded": what libnestiommu-record saw; nestctl replay compares it. */
static const char *const common_keys[] = { "op", "comment", "expect-errno",
					   "recorded" };

static inline bool streq(const char *a, const char *b)
{
	return a[0] == b[0] && !strcmp(a, b);
}

/* Operation by name: a small hash table, built on first use. */
static const struct op *find_op(const char *name)
{
	static const struct op *table[128];
	static bool built;
	unsigned int h;

	if (!built) {
		for (const struct op *o = plan_ops; o->name; o++) {
			h = 5381;
			for (const char *c = o->name; *c; c++)
				h = h * 33 + (unsigned char)*c;
			while (table[h & 127])
				h++;
			table[h & 127] = o;
		}
		built = true;
	}
	h = 5381;
	for (const char *c = name; *c; c++)
		h = h * 33 + (unsigned char)*c;
	for (;; h++) {
		const struct op *o = table[h & 127];

		if (!o)
			return NULL;
		if (streq(o->name, name))
			return o;
	}
}

static const struct { const char *n; int e; } errnames[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EIO", EIO },
	{ "ENXIO", ENXIO }, { "E2BIG", E2BIG }, { "EBADF", EBADF },
	{ "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM }, { "EACCES", EACCES },
	{ "EFAULT", EFAULT }, { "EBUSY", EBUSY }, { "EEXIST", EEXIST },
	{ "ENODEV", ENODEV }, { "EINVAL", EINVAL }, { "ENOSPC", ENOSPC },
	{ "ERANGE", ERANGE }, { "ENOTTY", ENOTTY }, { "EMSGSIZE", EMSGSIZE },
	{ "EOPNOTSUPP", EOPNOTSUPP }, { "EOVERFLOW", EOVERFLOW },
	{ "ETIMEDOUT", ETIMEDOUT }, { "EDOM", EDOM },
};

static const char *errno_name(int e)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].e == e)
			return errnames[i].n;
	return NULL;
}

const char *plan_errno_name(int e)
{
	return errno_name(e);
}

int plan_errno_value(const char *name)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (!strcmp(errnames[i].n, name))
			return errnames[i].e;
	return 0;
}

/* Pass 1: shape of every step, before touching the kernel. */
static int check_step_shape(struct jv *step, int i, struct jctx *jc,
			    const char **field, const char **opname)
{
	struct jv *opv;
	const struct op *op;

	*opname = NULL;
	jc->step = i;
	jc->op = NULL;
	if (!jv_is(step, JV_OBJECT)) {
		*field = NULL;
		return jerr(jc, EINVAL, "expected an object, got %s", jtype_name(step));
	}
	opv = jget(step, "op");
	*field = "op";
	if (!opv)
		return jerr(jc, EINVAL, "missing field \"op\"");
	if (!jv_is(opv, JV_STRING))
		return jerr(jc, EINVAL, "field \"op\": expected a string, got %s",
			    jtype_name(opv));
	op = find_op(jv_str(opv));
	if (!op)
		return jerr(jc, EINVAL,
			    "field \"op\": unknown operation \"%s\" (see "
			    "\"nestctl apply help\")", jv_str(opv));
	*opname = op->name;
	jc->op = op->name;
	jv_foreach_member(step, m) {
		const char *key = m->key;
		bool ok = false;

		for (const char *const *k = op->keys; *k && !ok; k++)
			ok = streq(*k, key);
		for (size_t k = 0; k < 4 && !ok; k++)
			ok = streq(common_keys[k], key);
		if (!ok) {
			char list[400] = "";
			size_t n = 0;

			for (const char *const *k = op->keys; *k; k++)
				n += snprintf(list + n, sizeof(list) - n, "%s, ", *k);
			*field = key;
			return jerr(jc, EINVAL, "unknown field \"%s\" (known: "
				    "%scomment, expect-errno, recorded)", key, list);
		}
	}
	return 0;
}

static int expected_errno(struct jv *step, struct jctx *jc, int *out)
{
	struct jv *v = jget(step, "expect-errno");

	*out = 0;
	if (!v)
		return 0;
	if (jv_is(v, JV_STRING)) {
		for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
			if (!strcmp(errnames[i].n, jv_str(v))) {
				*out = errnames[i].e;
				return 0;
			}
		return jerr(jc, EINVAL, "field \"expect-errno\": unknown errno "
			    "name \"%s\"", jv_str(v));
	}
	{
		uint64_t e;

		if (jval_u64(jc, "expect-errno", v, 4095, &e))
			return -EINVAL;
		if (!e)
			return jerr(jc, ERANGE, "field \"expect-errno\": must not be 0");
		*out = (int)e;
	}
	return 0;
}

/*
 * Pass 1 on its own, before any context exists: the plan's shape.
 * Returns the step array (borrowed) or NULL with *err set.
 */
struct jv *plan_check(struct jv *plan, struct json_object **err)
{
	struct jv *steps_in = plan;
	const char *field = NULL, *opname = NULL;
	struct jctx jc = { .step = -1 };
	size_t n;
	int i;

	*err = NULL;
	if (jv_is(plan, JV_OBJECT)) {
		static const char *const keys[] = { "steps", "comment", "recorded",
						    NULL };

		if (jcheck_keys(&jc, plan, keys)) {
			*err = err_object(jc.err, jc.msg);
			return NULL;
		}
		steps_in = jget(plan, "steps");
	}
	if (!steps_in || !jv_is(steps_in, JV_ARRAY)) {
		*err = err_object(EINVAL, "a plan is a JSON array of steps "
				  "(or {\"steps\": [...]})");
		return NULL;
	}
	n = jv_len(steps_in);
	for (i = 0; i < (int)n; i++) {
		struct jv *st = jv_idx(steps_in, i);
		int e;

		bool bad = check_step_shape(st, i, &jc, &field, &opname);

		/* a step that is no object has no field to blame: null */
		if (!bad && expected_errno(st, &jc, &e)) {
			field = "expect-errno";
			bad = true;
		}
		if (bad) {
			*err = err_object(jc.err, jc.msg);
			J_INT(*err, "step", i);
			J_STR(*err, "op", opname);
			J_STR(*err, "field", field);
			return NULL;
		}
	}
	return steps_in;
}

int session_start(struct session *s, const char *cmd, const char *src)
{
	struct json_object *out;
	struct jv *plan;
	char msg[512];
	int ret;

	plan = load_json_arg(src, msg, sizeof(msg));
	if (!plan)
		return err_report(EXIT_USAGE, errno, NULL, "%s: %s", cmd, msg);
	if (!plan_check(plan, &out)) {
		jv_free(plan);
		return report_plan_error(EXIT_USAGE, out);
	}
	ret = session_open(s);
	if (ret < 0) {
		jv_free(plan);
		return err_lib(ret, "%s: cannot open /dev/iommu", cmd);
	}
	ret = session_run(s, plan, &out);
	jv_free(plan);
	if (ret) {
		ret = report_plan_error(ret, out);
		session_close(s);
		return ret;
	}
	json_object_put(out);
	return EXIT_OK;
}

int session_run(struct session *s, struct jv *plan,
		struct json_object **out)
{
	struct jv *steps_in;
	struct json_object *results, *err;
	struct run r = { .s = s, .jc = { .step = -1 } };
	size_t n;
	int ret = 0, i;

	*out = NULL;
	steps_in = plan_check(plan, out);
	if (!steps_in)
		return EXIT_USAGE;
	n = jv_len(steps_in);

	s->plan_seq++;
	results = json_object_new_array();
	for (i = 0; i < (int)n; i++) {
		struct jv *st = jv_idx(steps_in, i);
		const struct op *op = find_op(jv_str(jget(st, "op")));
		int expect = 0;

		compact(s);
		expected_errno(st, &r.jc, &expect);
		r.step = st;
		r.index = i;
		r.opname = op->name;
		r.field = NULL;
		r.jc.err = 0;
		r.jc.step = i;
		r.jc.op = op->name;
		r.res = json_object_new_object();
		J_INT(r.res, "step", i);
		J_STR(r.res, "op", op->name);
		ret = op->fn(&r);
		/* The library reports an ioctl the kernel lacks (ENOTTY, as a
		 * recording has it) as EOPNOTSUPP naming the release. */
		if (ret == EXIT_KERNEL && expect == ENOTTY && r.jc.err == EOPNOTSUPP)
			r.jc.err = ENOTTY;
		if (ret == EXIT_KERNEL && expect && r.jc.err == expect) {
			const char *en = errno_name(expect);

			J_BOOL(r.res, "failed-as-expected", true);
			J_INT(r.res, "errno", expect);
			J_STR(r.res, "errno-name", en);
			J_STR(r.res, "error", r.jc.msg);
			ret = 0;
		} else if (!ret && expect) {
			/* the kernel did not refuse: the plan was wrong */
			jerr(&r.jc, EPROTO, "succeeded, but \"expect-errno\" "
			     "wanted it to fail with %s (%d)",
			     errno_name(expect) ? errno_name(expect) : "?", expect);
			r.field = "expect-errno";
			ret = EXIT_USAGE;
		} else if (ret == EXIT_KERNEL && expect) {
			size_t l = strlen(r.jc.msg);

			snprintf(r.jc.msg + l, sizeof(r.jc.msg) - l,
				 " (\"expect-errno\" wanted %s)",
				 errno_name(expect) ? errno_name(expect) : "?");
		}
		if (ret) {
			json_object_put(r.res);
			break;
		}
		json_object_array_add(results, r.res);
		r.res = NULL;
	}
	if (ret) {
		err = err_object(r.jc.err ? r.jc.err : EINVAL, r.jc.msg);
		J_INT(err, "step", i);
		J_STR(err, "op", r.opname);
		J_STR(err, "field", r.field);
		json_object_object_add(err, "completed-steps", results);
		json_object_object_add(err, "destroyed", rollback(s, s->plan_seq));
		*out = err;
		return ret;
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "steps", results);
	{
		struct json_object *g = session_graph(s);

		json_object_object_foreach(g, k, v)
			json_object_object_add(*out, k, json_object_get(v));
		json_object_put(g);
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static int print_plan_help(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return err_lib(errno, "open_memstream");
	fprintf(f,
		"Usage: nestctl [OPTIONS] apply { PLAN | - } [ keep SOCKET ]\n"
		"       nestctl [OPTIONS] apply { PLAN | - } to SOCKET\n"
		"       nestctl apply help\n"
		"\n"
		"PLAN is a JSON array of steps (or {\"steps\": [...]}), each\n"
		"{\"op\": OP, ...}.  Objects are named with \"name\" and referred to\n"
		"by that name in later steps.  Every step also takes \"comment\" and\n"
		"\"expect-errno\" (the step must fail with this errno, e.g. \"EIO\").\n"
		"\n"
		"Operations:\n");
	for (const struct op *o = plan_ops; o->name; o++) {
		fprintf(f, "  %-22s %s\n   ", o->name, o->desc);
		for (const char *const *k = o->keys; *k; k++)
			fprintf(f, " %s", *k);
		fputc('\n', f);
	}
	fprintf(f,
		"\n"
		"keep SOCKET: after the plan, keep the context and serve further\n"
		"plans on the Unix socket SOCKET (one JSON request per connection;\n"
		"{\"op\": \"show\"} prints the graph, {\"op\": \"stop\"} ends).\n"
		"to SOCKET: send PLAN to such a server and print its reply.\n");
	fclose(f);
	if (json_output) {
		struct json_object *o = json_object_new_object();
		struct json_object *a = json_object_new_array();

		json_object_object_add(o, "help",
				       json_object_new_string_len(text, (int)len));
		for (const struct op *op = plan_ops; op->name; op++)
			json_object_array_add(a, json_object_new_string(op->name));
		json_object_object_add(o, "ops", a);
		out_emit(o);
	} else {
		fwrite(text, 1, len, stdout);
	}
	free(text);
	return EXIT_OK;
}

/* Print a plan error object (taken over) as nestctl's error. */
int report_plan_error(int code, struct json_object *out)
{
	struct json_object *extra = json_object_new_object();
	char m[800];

	snprintf(m, sizeof(m), "%s", json_object_get_string(json_object_object_get(out, "error")));
	json_object_object_foreach(out, k, v)
		if (strcmp(k, "error") && strcmp(k, "errno"))
			json_object_object_add(extra, k, json_object_get(v));
	code = err_report(code, (int)json_object_get_int(json_object_object_get(out, "errno")),
			  extra, "%s", m);
	if (!json_output && json_object_object_get(out, "destroyed") &&
	    json_object_array_length(json_object_object_get(out, "destroyed"))) {
		struct json_object *d = json_object_object_get(out, "destroyed");

		fprintf(stderr, "%s: destroyed what the plan had created:", progname);
		for (size_t i = 0; i < json_object_array_length(d); i++)
			fprintf(stderr, " %s",
				json_object_get_string(json_object_array_get_idx(d, i)));
		fputc('\n', stderr);
	}
	json_object_put(out);
	return code;
}

static int do_apply(int argc, char **argv)
{
	const char *keep = NULL, *to = NULL, *src = NULL;
	struct jv *plan = NULL;
	struct json_object *out;
	struct session s;
	char msg[512];
	int ret;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "help") || !strcmp(argv[i], "--help") ||
		    !strcmp(argv[i], "-h")) {
			if (argc > 1)
				return err_usage("apply help: takes no other "
						 "argument");
			return print_plan_help();
		}
		if ((!strcmp(argv[i], "keep") || !strcmp(argv[i], "--keep")) &&
		    i + 1 < argc)
			keep = argv[++i];
		else if ((!strcmp(argv[i], "to") || !strcmp(argv[i], "--to")) &&
			 i + 1 < argc)
			to = argv[++i];
		else if (!src)
			src = argv[i];
		else
			return err_usage("apply: unexpected argument \"%s\"", argv[i]);
	}
	if (keep && to)
		return err_usage("apply: \"keep\" and \"to\" exclude each other");
	if (!src && !keep)
		return err_usage("apply: missing PLAN (a JSON file, or - for stdin)");
	if (to) {
		size_t len;
		char *text;

		/* inline JSON, as everywhere a PLAN is taken */
		if (src[0] == '{' || src[0] == '[')
			return keep_send(to, src, strlen(src));
		text = read_file_all(src, &len);
		if (!text) {
			int err = errno;

			return err_report(EXIT_USAGE, err, NULL,
					  "apply: cannot read \"%s\": %s", src,
					  read_error(err));
		}
		ret = keep_send(to, text, len);
		free(text);
		return ret;
	}
	if (src) {
		plan = load_json_arg(src, msg, sizeof(msg));
		if (!plan)
			return err_report(EXIT_USAGE, errno, NULL, "apply: %s",
					  msg);
	}
	if (plan && !plan_check(plan, &out)) {
		jv_free(plan);
		return report_plan_error(EXIT_USAGE, out);
	}
	ret = session_open(&s);
	if (ret < 0) {
		jv_free(plan);
		return err_lib(ret, "apply: cannot open /dev/iommu");
	}
	if (plan) {
		ret = session_run(&s, plan, &out);
		jv_free(plan);
		if (ret) {
			ret = report_plan_error(ret, out);
			session_close(&s);
			return ret;
		}
		if (!keep)
			out_emit_final(out);
		else
			json_object_put(out);
	}
	if (keep)
		ret = keep_serve(&s, keep);
	session_close(&s);
	return ret;
}

const struct cmd apply_cmds[] = {
	{ "", do_apply, "{ PLAN | - } [ keep SOCKET | to SOCKET ]",
	  "run a plan of operations on one iommufd context" },
	{ 0 },
};
