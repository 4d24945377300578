// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nestctl apply: the session, the state that outlives a step and, with
 * "apply ... keep", a plan: the context, the objects the plans created
 * with their names, what a failed plan destroys again (rollback), and the
 * object graph that apply and the keep server (keep.c) print.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <nestiommu/nestiommu.h>

#include "nestctl.h"
#include "jarg.h"
#include "jv.h"
#include "plan.h"
#include "plan-int.h"
#include "iommufd_test.h"

/* ------------------------------------------------------------------ */
/* Names                                                               */

const char *kind_name(enum pkind k)
{
	switch (k) {
	case K_IOAS: return "IOAS";
	case K_DEVICE: return "device";
	case K_MOCKDEV: return "mock device";
	case K_HWPT: return "HWPT";
	case K_VIOMMU: return "vIOMMU";
	case K_VDEVICE: return "vDEVICE";
	case K_VEVENTQ: return "vEVENTQ";
	case K_FAULT: return "fault queue";
	case K_HWQUEUE: return "HW queue";
	case K_MAPPING: return "mapping";
	}
	return "object";
}

static void kinds_text(unsigned int mask, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int b = 1; b <= K_MAPPING && n < len; b <<= 1)
		if (mask & b)
			n += snprintf(buf + n, len - n, "%s%s", n ? " or " : "",
				      kind_name(b));
}

struct pobj *find_name(struct session *s, const char *name)
{
	for (size_t i = 0; i < s->nobjs; i++)
		if (!s->objs[i].dead && s->objs[i].name[0] == name[0] &&
		    !strcmp(s->objs[i].name, name))
			return &s->objs[i];
	return NULL;
}

static const char *name_of_id(struct session *s, uint32_t id, unsigned int mask)
{
	for (size_t i = 0; i < s->nobjs; i++)
		if (!s->objs[i].dead && s->objs[i].id == id &&
		    (s->objs[i].kind & mask) && s->objs[i].name[0] != '#')
			return s->objs[i].name;
	return NULL;
}

int ref(struct run *r, const char *key, unsigned int mask, bool req,
	struct pobj **out)
{
	struct jv *v = jget(r->step, key);
	struct pobj *o;
	char kinds[128];

	*out = NULL;
	if (!v) {
		if (!req)
			return 0;
		return perr(r, key, EINVAL, "missing field \"%s\"", key);
	}
	if (!jv_is(v, JV_STRING))
		return perr(r, key, EINVAL,
			    "field \"%s\": expected the name of an object, got %s",
			    key, jtype_name(v));
	o = find_name(r->s, jv_str(v));
	if (!o || !(o->kind & mask))
		kinds_text(mask, kinds, sizeof(kinds));
	if (!o)
		return perr(r, key, ENOENT,
			    "field \"%s\": unknown name \"%s\" (no %s of that "
			    "name was created by an earlier step)",
			    key, jv_str(v), kinds);
	if (!(o->kind & mask))
		return perr(r, key, EINVAL,
			    "field \"%s\": \"%s\" is of kind %s, expected %s",
			    key, o->name, kind_name(o->kind), kinds);
	*out = o;
	return 0;
}

int new_name(struct run *r, const char *key, bool req, const char **out)
{
	struct jv *v = jget(r->step, key);
	const char *n;

	*out = NULL;
	if (!v) {
		if (req)
			return perr(r, key, EINVAL, "missing field \"%s\"", key);
		return 0;
	}
	if (!jv_is(v, JV_STRING))
		return perr(r, key, EINVAL, "field \"%s\": expected a string, got %s",
			    key, jtype_name(v));
	n = jv_str(v);
	if (!*n || strlen(n) > 64 || n[0] == '#')
		return perr(r, key, EINVAL,
			    "field \"%s\": a name has 1 to 64 characters and does "
			    "not start with '#'", key);
	if (find_name(r->s, n))
		return perr(r, key, EEXIST, "field \"%s\": name \"%s\" is already "
			    "used by a %s", key, n, kind_name(find_name(r->s, n)->kind));
	*out = n;
	return 0;
}

struct pobj *add_obj(struct run *r, const char *name, enum pkind kind,
		     uint32_t id)
{
	struct session *s = r->s;
	struct pobj *o;
	static const char auto_name[] = "#";

	if (s->nobjs == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct pobj *n = realloc(s->objs, cap * sizeof(*n));

		if (!n)
			abort();
		s->objs = n;
		s->cap = cap;
	}
	if (!name)
		name = auto_name; /* "#": unnamed (names never start with '#') */
	o = &s->objs[s->nobjs++];
	memset(o, 0, sizeof(*o));
	o->name = strdup(name);
	o->kind = kind;
	o->id = id;
	o->plan = s->plan_seq;
	o->memfd = -1;
	o->fd = -1;
	if (r->res) {
		if (name != auto_name)
			J_STR(r->res, "name", name);
		if (kind != K_MAPPING)
			J_U32(r->res, "id", id);
	}
	return o;
}

static void release_mem(struct pobj *o)
{
	if (o->mem)
		munmap(o->mem, o->memlen);
	if (o->memfd >= 0)
		close(o->memfd);
	o->mem = NULL;
	o->va = NULL;
	o->memfd = -1;
}

void forget(struct session *s, struct pobj *o)
{
	release_mem(o);
	if (!o->dead)
		s->ndead++;
	o->dead = true;
}

/*
 * Drop dead entries (keeping creation order, which rollback needs) once
 * they are the majority, so that name lookups and scans stay proportional
 * to the live objects (a plan mapping and unmapping thousands of times).
 */
void compact(struct session *s)
{
	size_t j = 0;

	if (s->ndead < 64 || s->ndead * 2 < s->nobjs)
		return;
	for (size_t i = 0; i < s->nobjs; i++) {
		if (s->objs[i].dead) {
			free(s->objs[i].name);
			continue;
		}
		s->objs[j++] = s->objs[i];
	}
	s->nobjs = j;
	s->ndead = 0;
}

static int raw_destroy(struct session *s, uint32_t id)
{
	struct nio_test_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(nio_ctx_fd(s->ctx), NIO_TEST_IOMMU_DESTROY, &d) ? -errno : 0;
}

int destroy_obj(struct session *s, struct pobj *o)
{
	int ret = 0;

	if (o->kernel_owned)
		ret = 0;
	else if (o->kind == K_MAPPING)
		ret = nio_ioas_unmap(s->ctx, o->ioas_id, o->iova, o->length, NULL);
	else if (o->kind == K_MOCKDEV)
		ret = raw_destroy(s, o->stdev_id);
	else
		ret = nio_destroy(s->ctx, o->id);
	/* An IOAS destroyed earlier took its mappings along. */
	if (ret == -ENOENT && o->kind == K_MAPPING)
		ret = 0;
	if (!ret)
		forget(s, o);
	return ret;
}

/* Destroy what plan seq created, newest first, retrying on EBUSY. */
struct json_object *rollback(struct session *s, unsigned int seq)
{
	struct json_object *done = json_object_new_array();
	bool progress = true;

	/* Auto HWPTs go with their device; drop their names first. */
	for (size_t i = 0; i < s->nobjs; i++)
		if (s->objs[i].plan == seq && s->objs[i].kernel_owned)
			forget(s, &s->objs[i]);
	while (progress) {
		progress = false;
		for (size_t i = s->nobjs; i-- > 0;) {
			struct pobj *o = &s->objs[i];

			if (o->dead || o->plan != seq)
				continue;
			if (!destroy_obj(s, o)) {
				char m[64];

				snprintf(m, sizeof(m), "mapping 0x%" PRIx64, o->iova);
				json_object_array_add(done, json_object_new_string(
					o->name[0] == '#' && o->kind == K_MAPPING ? m : o->name));
				progress = true;
			}
		}
	}
	return done;
}


static struct json_object *object_json(struct session *s,
				       const struct nio_object_info *info)
{
	struct json_object *o = json_object_new_object();
	const char *tn = nio_object_type_name(info->type);
	const char *name = name_of_id(s, info->id, ~(unsigned int)K_MAPPING);

	J_U32(o, "id", info->id);
	J_STR(o, "type", tn ? tn : "unknown");
	J_STR(o, "name", name);
	J_U32(o, "parent", info->parent_id);
	J_U32(o, "dev", info->dev_id);
	switch (info->type) {
	case NIO_OBJ_DEVICE:
		J_STR(o, "path", info->path);
		break;
	case NIO_OBJ_HWPT_PAGING:
	case NIO_OBJ_HWPT_NESTED: {
		struct json_object *f = json_object_new_array();

		J_HEX32(o, "flags", info->flags);
		if (info->flags & NIO_HWPT_NEST_PARENT)
			json_object_array_add(f, json_object_new_string("nest-parent"));
		if (info->flags & NIO_HWPT_DIRTY_TRACKING)
			json_object_array_add(f, json_object_new_string("dirty-tracking"));
		if (info->flags & NIO_HWPT_FAULT_ID_VALID)
			json_object_array_add(f, json_object_new_string("fault"));
		if (info->flags & NIO_HWPT_PASID)
			json_object_array_add(f, json_object_new_string("pasid"));
		J_ADD_(o, "flag-names", f);
		J_HEX32(o, "data-type", info->type_param);
		J_STR(o, "data-type-name", value_name(hwpt_data_types, info->type_param));
		break;
	}
	case NIO_OBJ_VIOMMU:
		J_HEX32(o, "viommu-type", info->type_param);
		J_STR(o, "viommu-type-name", value_name(viommu_types, info->type_param));
		break;
	case NIO_OBJ_VEVENTQ:
		J_HEX32(o, "veventq-type", info->type_param);
		J_STR(o, "veventq-type-name", value_name(veventq_types, info->type_param));
		J_U64(o, "depth", info->virt_id);
		break;
	case NIO_OBJ_VDEVICE:
		J_ADDR(o, "virt-id", info->virt_id);
		break;
	case NIO_OBJ_HW_QUEUE:
		J_U64(o, "index", info->virt_id);
		J_ADDR(o, "iova", info->iova);
		J_ADDR(o, "length", info->length);
		break;
	default:
		break;
	}
	return o;
}

struct json_object *session_graph(struct session *s)
{
	struct json_object *g = json_object_new_object();
	struct json_object *objs = json_object_new_array();
	struct json_object *maps = json_object_new_array();
	struct json_object *names = json_object_new_object();

	for (uint32_t id = nio_object_next(s->ctx, 0); id;
	     id = nio_object_next(s->ctx, id)) {
		struct nio_object_info info = { .sz = sizeof(info) };

		if (nio_object_info(s->ctx, id, &info))
			continue;
		json_object_array_add(objs, object_json(s, &info));
	}
	for (size_t i = 0; i < s->nobjs; i++) {
		struct pobj *o = &s->objs[i];

		if (o->dead)
			continue;
		if (o->kind == K_MAPPING) {
			struct json_object *m = json_object_new_object();

			J_STR(m, "name", o->name[0] == '#' ? NULL : o->name);
			J_U32(m, "ioas", o->ioas_id);
			J_ADDR(m, "iova", o->iova);
			J_ADDR(m, "length", o->length);
			json_object_array_add(maps, m);
			continue;
		}
		if (o->name[0] != '#')
			j_u32(names, o->name, o->id);
		if (o->kind == K_MOCKDEV || o->kernel_owned) {
			/* not created through the library: not in its list */
			struct json_object *m = json_object_new_object();

			J_U32(m, "id", o->id);
			J_STR(m, "type", o->kind == K_MOCKDEV ? "mock-device"
							      : "hwpt-auto");
			J_STR(m, "name", o->name);
			if (o->kind == K_MOCKDEV)
				J_U32(m, "stdev-id", o->stdev_id);
			json_object_array_add(objs, m);
		}
	}
	json_object_object_add(g, "objects", objs);
	json_object_object_add(g, "mappings", maps);
	json_object_object_add(g, "names", names);
	return g;
}

int session_open(struct session *s)
{
	memset(s, 0, sizeof(*s));
	return nio_ctx_open(&s->ctx, NULL);
}

void session_close(struct session *s)
{
	for (size_t i = 0; i < s->nobjs; i++) {
		release_mem(&s->objs[i]);
		free(s->objs[i].name);
	}
	free(s->objs);
	nio_ctx_unref(s->ctx);
	memset(s, 0, sizeof(*s));
}
