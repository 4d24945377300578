// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nestctl replay: run a plan recorded by libnestiommu-record on a fresh
 * context and check that every call gives the same result as when it was
 * recorded (errno, IDs, IOVAs, entry_num...) and that the object graph at
 * the end is the recorded one.  The first divergence is the error (exit
 * 2); a step the kernel refuses (a feature it lacks) stops the replay
 * there with the kernel's errno.  Opaque steps (ioctls no plan operation
 * expresses) are not replayed, and the output says which.
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
#include "codec.h"
#include "jarg.h"
#include "jv.h"
#include "plan.h"

struct diff {
	char field[96];
	char recorded[160];
	char replayed[160];
	unsigned int compared;
};

static void jv_text(const struct jv *v, char *buf, size_t len)
{
	switch (v->type) {
	case JV_INT:
		snprintf(buf, len, "%s%" PRIu64, v->i.neg ? "-" : "", v->i.u);
		break;
	case JV_STRING:
		snprintf(buf, len, "%s", v->s);
		break;
	case JV_BOOL:
		snprintf(buf, len, "%s", v->b ? "true" : "false");
		break;
	case JV_ARRAY:
		snprintf(buf, len, "an array of %u", v->n);
		break;
	default:
		snprintf(buf, len, "a JSON %s", jtype_name(v));
		break;
	}
}

/*
 * Compare a recorded value with the replayed one: numbers, strings and
 * booleans by value, arrays element by element, objects on the keys that
 * both have.  False with d filled at the first difference.
 */
static bool same_value(const struct jv *rv, struct json_object *o,
		       const char *path, struct diff *d)
{
	bool ok = true;

	switch (rv->type) {
	case JV_INT:
		if (json_object_is_type(o, json_type_int)) {
			ok = rv->i.neg ? json_object_get_int64(o) == -(int64_t)rv->i.u :
			     json_object_get_uint64(o) == rv->i.u;
		} else {
			ok = false;
		}
		break;
	case JV_STRING:
		ok = json_object_is_type(o, json_type_string) &&
		     !strcmp(json_object_get_string(o), rv->s);
		break;
	case JV_BOOL:
		ok = json_object_is_type(o, json_type_boolean) &&
		     json_object_get_boolean(o) == rv->b;
		break;
	case JV_ARRAY:
		if (!json_object_is_type(o, json_type_array) ||
		    json_object_array_length(o) != rv->n) {
			ok = false;
			break;
		}
		for (uint32_t i = 0; i < rv->n; i++) {
			char p[96];

			snprintf(p, sizeof(p), "%s[%u]", path, i);
			if (!same_value(&rv->items[i],
					json_object_array_get_idx(o, i), p, d))
				return false;
		}
		return true;
	case JV_OBJECT:
		if (!json_object_is_type(o, json_type_object)) {
			ok = false;
			break;
		}
		jv_foreach_member(rv, m) {
			struct json_object *v;
			char p[96];

			if (!json_object_object_get_ex(o, m->key, &v))
				continue;
			snprintf(p, sizeof(p), "%s.%s", path, m->key);
			if (!same_value(&m->val, v, p, d))
				return false;
		}
		return true;
	default:
		ok = false;
		break;
	}
	d->compared++;
	if (!ok) {
		snprintf(d->field, sizeof(d->field), "%s", path);
		jv_text(rv, d->recorded, sizeof(d->recorded));
		snprintf(d->replayed, sizeof(d->replayed), "%s",
			 o ? json_object_get_string(o) : "(nothing)");
	}
	return ok;
}

/* The kernel's answers that a step's result shows too. */
static bool same_step(struct jv *step, struct json_object *res, struct diff *d)
{
	struct jv *rec = jget(step, "recorded");
	static const char *const info[] = { "call", "ioctl", "ret", "errno",
					    "close", NULL };

	if (!rec || !jv_is(rec, JV_OBJECT))
		return true;
	jv_foreach_member(rec, m) {
		struct json_object *v;
		bool skip = false;

		for (const char *const *k = info; *k && !skip; k++)
			skip = !strcmp(*k, m->key);
		if (skip || !json_object_object_get_ex(res, m->key, &v))
			continue;
		if (!same_value(&m->val, v, m->key, d))
			return false;
	}
	return true;
}

static int divergence(int err, int step, const char *op, const char *what,
		      struct diff *d, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int divergence(int err, int step, const char *op, const char *what,
		      struct diff *d, const char *fmt, ...)
{
	struct json_object *extra = json_object_new_object();
	char msg[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	J_STR(extra, "divergence", what);
	if (step >= 0) {
		J_INT(extra, "step", step);
		J_STR(extra, "op", op);
	}
	if (d) {
		J_STR(extra, "field", d->field);
		J_STR(extra, "recorded", d->recorded);
		J_STR(extra, "replayed", d->replayed);
	}
	return err_report(EXIT_KERNEL, err, extra, "%s", msg);
}

static struct json_object *find_named(struct json_object *objs, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(objs); i++) {
		struct json_object *o = json_object_array_get_idx(objs, i), *n;

		if (json_object_object_get_ex(o, "name", &n) && n &&
		    !strcmp(json_object_get_string(n), name))
			return o;
	}
	return NULL;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ?
	       json_object_get_string(v) : NULL;
}

static uint64_t ju64(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_uint64(v) : 0;
}

static uint64_t jvu(struct jv *o, const char *key)
{
	struct jv *v = jget(o, key);

	return jv_is(v, JV_INT) && !v->i.neg ? v->i.u : UINT64_MAX;
}

/* The graph after the last step against the recorded one. */
static int same_graph(struct jv *rec, struct json_object *out, int nsteps)
{
	struct json_object *objs = json_object_object_get(out, "objects");
	struct json_object *maps = json_object_object_get(out, "mappings");
	struct jv *robjs = jget(rec, "objects"), *rmaps = jget(rec, "mappings");
	size_t nmaps = 0, live_maps = 0;
	bool *used;

	for (uint32_t i = 0; i < jv_len(robjs); i++) {
		struct jv *ro = jv_idx(robjs, i);
		const char *name = jv_str(jget(ro, "name"));
		const char *type = jv_str(jget(ro, "type"));
		struct json_object *o;

		if (!name || !type)
			return err_usage("replay: \"recorded\".objects[%u]: expected "
					 "{\"name\", \"type\", \"id\"}", i);
		o = find_named(objs, name);
		if (!o)
			return divergence(EPROTO, nsteps, NULL, "graph", NULL,
					  "after the last step: %s \"%s\" (id %" PRIu64
					  ") of the recording does not exist",
					  type, name, jvu(ro, "id"));
		if (strcmp(jstr(o, "type") ? jstr(o, "type") : "", type) ||
		    ju64(o, "id") != jvu(ro, "id"))
			return divergence(EPROTO, nsteps, NULL, "graph", NULL,
					  "after the last step: \"%s\" is %s id %" PRIu64
					  ", the recording had %s id %" PRIu64, name,
					  jstr(o, "type"), ju64(o, "id"), type,
					  jvu(ro, "id"));
	}
	for (size_t i = 0; i < json_object_array_length(objs); i++) {
		struct json_object *o = json_object_array_get_idx(objs, i);
		const char *name = jstr(o, "name");
		bool found = false;

		for (uint32_t j = 0; name && j < jv_len(robjs) && !found; j++)
			found = !strcmp(jv_str(jget(jv_idx(robjs, j), "name")), name);
		if (!found)
			return divergence(EPROTO, nsteps, NULL, "graph", NULL,
					  "after the last step: %s \"%s\" (id %" PRIu64
					  ") exists, the recording has no such object",
					  jstr(o, "type"), name ? name : "(unnamed)",
					  ju64(o, "id"));
	}
	/* Mappings of the IOASes still there, as a multiset. */
	nmaps = json_object_array_length(maps);
	used = calloc(nmaps + 1, sizeof(*used));
	if (!used)
		return err_lib(ENOMEM, "replay");
	for (size_t i = 0; i < nmaps; i++) {
		struct json_object *m = json_object_array_get_idx(maps, i);
		bool live = false;

		for (size_t j = 0; j < json_object_array_length(objs) && !live; j++) {
			struct json_object *o = json_object_array_get_idx(objs, j);

			live = jstr(o, "type") && !strcmp(jstr(o, "type"), "ioas") &&
			       ju64(o, "id") == ju64(m, "ioas");
		}
		used[i] = !live; /* mappings of a destroyed IOAS do not count */
		live_maps += live;
	}
	for (uint32_t i = 0; i < jv_len(rmaps); i++) {
		struct jv *rm = jv_idx(rmaps, i);
		bool found = false;

		for (size_t j = 0; j < nmaps && !found; j++) {
			struct json_object *m = json_object_array_get_idx(maps, j);

			if (!used[j] && ju64(m, "ioas") == jvu(rm, "ioas") &&
			    ju64(m, "iova") == jvu(rm, "iova") &&
			    ju64(m, "length") == jvu(rm, "length"))
				found = used[j] = true;
		}
		if (!found) {
			free(used);
			return divergence(EPROTO, nsteps, NULL, "graph", NULL,
					  "after the last step: the mapping of IOAS %"
					  PRIu64 " at 0x%" PRIx64 " (0x%" PRIx64 " bytes) "
					  "of the recording is not there",
					  jvu(rm, "ioas"), jvu(rm, "iova"),
					  jvu(rm, "length"));
		}
	}
	free(used);
	if (live_maps != jv_len(rmaps))
		return divergence(EPROTO, nsteps, NULL, "graph", NULL,
				  "after the last step: %zu mappings, the recording "
				  "had %u", live_maps, jv_len(rmaps));
	return 0;
}

static const char *errname(int e)
{
	static char buf[16];

	snprintf(buf, sizeof(buf), "errno %d", e);
	return e ? buf : "success";
}

static int do_replay(int argc, char **argv)
{
	struct json_object *out, *results, *opq, *res;
	struct jv *plan, *steps, *rec;
	struct diff d = { .compared = 0 };
	int ret, nsteps, failed = -1, code;
	struct session s;
	char msg[512];

	if (argc == 1 && (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help") ||
			  !strcmp(argv[0], "-h"))) {
		printf("Usage: nestctl [OPTIONS] replay { PLAN | - }\n"
		       "Run a plan recorded by libnestiommu-record(8) on a fresh\n"
		       "context; every step must give the recorded result and the\n"
		       "final object graph must be the recorded one.\n");
		return EXIT_OK;
	}
	if (argc != 1)
		return err_usage("replay: expected one PLAN (a file, or - for stdin)");
	plan = load_json_arg(argv[0], msg, sizeof(msg));
	if (!plan)
		return err_usage("replay: %s", msg);
	rec = jget(plan, "recorded");
	if (!jv_is(plan, JV_OBJECT) || !jv_is(rec, JV_OBJECT)) {
		jv_free(plan);
		return err_usage("replay: \"%s\" is not a recording (no \"recorded\" "
				 "object: record with libnestiommu-record, or run "
				 "a plain plan with nestctl apply)", argv[0]);
	}
	steps = plan_check(plan, &out);
	if (!steps) {
		jv_free(plan);
		return report_plan_error(EXIT_USAGE, out);
	}
	nsteps = (int)jv_len(steps);
	ret = session_open(&s);
	if (ret < 0) {
		jv_free(plan);
		return err_lib(ret, "replay: cannot open /dev/iommu");
	}
	code = session_run(&s, plan, &out);
	results = json_object_object_get(out, code ? "completed-steps" : "steps");
	if (code)
		failed = (int)json_object_get_int(json_object_object_get(out, "step"));
	opq = json_object_new_array();
	/* First divergence among the steps that ran. */
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		struct json_object *r = json_object_array_get_idx(results, i);
		int idx = (int)json_object_get_int(json_object_object_get(r, "step"));
		struct jv *st = jv_idx(steps, (uint32_t)idx);
		const char *op = jv_str(jget(st, "op"));

		if (!strcmp(op, "opaque")) {
			struct json_object *o = json_object_new_object();

			J_INT(o, "step", idx);
			J_STR(o, "request", jv_str(jget(st, "request")));
			J_STR(o, "name", jv_str(jget(st, "name")));
			J_STR(o, "note", jv_str(jget(st, "note")));
			json_object_array_add(opq, o);
			continue;
		}
		if (!same_step(st, r, &d)) {
			json_object_put(opq);
			json_object_put(out);
			session_close(&s);
			ret = divergence(EPROTO, idx, op, "result", &d,
					 "step %d (%s): %s is %s on replay, the "
					 "recording had %s", idx, op, d.field,
					 d.replayed, d.recorded);
			jv_free(plan);
			return ret;
		}
	}
	if (code) {
		struct jv *st = jv_idx(steps, (uint32_t)failed);
		struct json_object *extra = json_object_new_object();
		uint64_t rerr = jvu(jget(st, "recorded"), "errno");
		int kerrno = (int)json_object_get_int(json_object_object_get(out, "errno"));

		json_object_object_foreach(out, k, v)
			if (strcmp(k, "error") && strcmp(k, "errno") &&
			    strcmp(k, "completed-steps"))
				json_object_object_add(extra, k, json_object_get(v));
		J_STR(extra, "divergence", "errno");
		J_INT(extra, "recorded-errno", rerr == UINT64_MAX ? 0 : (int64_t)rerr);
		snprintf(msg, sizeof(msg), "%s", jstr(out, "error"));
		json_object_put(opq);
		json_object_put(out);
		session_close(&s);
		jv_free(plan);
		return err_report(code, kerrno, extra,
				  "%s; the replay stops here (the recording had %s)",
				  msg, errname(rerr == UINT64_MAX ? 0 : (int)rerr));
	}
	ret = same_graph(rec, out, nsteps);
	if (ret) {
		json_object_put(opq);
		json_object_put(out);
		session_close(&s);
		jv_free(plan);
		return ret;
	}
	res = json_object_new_object();
	J_STR(res, "result", "same");
	J_INT(res, "steps", nsteps);
	J_INT(res, "replayed", nsteps - (int)json_object_array_length(opq));
	J_INT(res, "values-compared", d.compared);
	J_INT(res, "objects", json_object_array_length(json_object_object_get(out, "objects")));
	J_INT(res, "mappings", json_object_array_length(json_object_object_get(out, "mappings")));
	J_BOOL(res, "recording-complete",
	       jv_is(jget(rec, "complete"), JV_BOOL) && jget(rec, "complete")->b);
	if (json_object_array_length(opq))
		fprintf(stderr, "%s: replay: %zu recorded call(s) not replayed "
			"(opaque: no plan operation expresses them; see \"opaque\")\n",
			progname, json_object_array_length(opq));
	json_object_object_add(res, "opaque", opq);
	json_object_put(out);
	session_close(&s);
	jv_free(plan);
	out_emit(res);
	return EXIT_OK;
}

const struct cmd replay_cmds[] = {
	{ "", do_replay, "{ PLAN | - }",
	  "replay a recorded session and compare every result" },
	{ 0 },
};
