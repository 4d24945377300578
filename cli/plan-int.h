/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nestctl apply, inside: what plan.c (parsing and running a plan),
 * plan-ops.c (the operations) and session.c (the session's named objects,
 * which "apply keep" holds between plans) share.  Not used elsewhere.
 */
#ifndef NESTCTL_PLAN_INT_H
#define NESTCTL_PLAN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "jarg.h"
#include "plan.h"

/* The step being run. */
struct run {
	struct session *s;
	struct jctx jc;
	const char *field;
	int index;
	const char *opname;
	struct jv *step;
	struct json_object *res;
};

/* plan.c: errors and fields of the step being run (the field is recorded). */
int perr(struct run *r, const char *field, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A library/kernel call failed. */
int kerr(struct run *r, int ret, const char *call);
int get_u64(struct run *r, const char *key, bool req, uint64_t max,
	    uint64_t *out);
int get_u32(struct run *r, const char *key, bool req, uint32_t *out);
int get_bool(struct run *r, const char *key, bool *out);

/* plan-ops.c: the operations, up to a zeroed entry. */
struct op {
	const char *name;
	int (*fn)(struct run *r);
	const char *const *keys;
	const char *desc;
};
extern const struct op plan_ops[];

/* plan-ops.c: names of the numeric "type" fields' values. */
struct named_value {
	const char *name;
	uint32_t value;
};
extern const struct named_value viommu_types[], veventq_types[],
	hwpt_data_types[];
const char *value_name(const struct named_value *t, uint32_t v);

/* session.c: the session's named objects. */
const char *kind_name(enum pkind k);
struct pobj *find_name(struct session *s, const char *name);
/* Resolve the name in field key to an object of one of the kinds in mask. */
int ref(struct run *r, const char *key, unsigned int mask, bool req,
	struct pobj **out);
/* Check the "name" field of a creating step (free, well-formed). */
int new_name(struct run *r, const char *key, bool req, const char **out);
/* Record a new object (name NULL: unnamed); may move s->objs. */
struct pobj *add_obj(struct run *r, const char *name, enum pkind kind,
		     uint32_t id);
/* The object is gone from the kernel: drop its memory, mark it dead. */
void forget(struct session *s, struct pobj *o);
/* Destroy the object in the kernel and forget it. */
int destroy_obj(struct session *s, struct pobj *o);
/* Drop dead entries once they are the majority. */
void compact(struct session *s);
/* Destroy what plan seq created, newest first; the names destroyed. */
struct json_object *rollback(struct session *s, unsigned int seq);

#endif
