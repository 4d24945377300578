/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nestctl apply: plans of iommufd operations on one context (plan.c,
 * plan-ops.c, session.c; the keep server in keep.c). */
#ifndef NESTCTL_PLAN_H
#define NESTCTL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "jv.h"

struct nio_ctx;

enum pkind {
	K_IOAS = 1 << 0,
	K_DEVICE = 1 << 1,   /* VFIO cdev bound with nio_device_bind() */
	K_MOCKDEV = 1 << 2,  /* IOMMUFD_TEST mock device (idev ID) */
	K_HWPT = 1 << 3,
	K_VIOMMU = 1 << 4,
	K_VDEVICE = 1 << 5,
	K_VEVENTQ = 1 << 6,
	K_FAULT = 1 << 7,
	K_HWQUEUE = 1 << 8,
	K_MAPPING = 1 << 9,  /* an IOVA range mapped into an IOAS */
};

/* A named thing a plan created. */
struct pobj {
	char *name;
	enum pkind kind;
	uint32_t id;          /* iommufd object ID (idev ID for devices) */
	uint32_t stdev_id;    /* mock device: the selftest device object */
	uint32_t type;        /* vIOMMU/vEVENTQ type, HWPT data type */
	uint32_t ioas_id;     /* mapping: its IOAS */
	uint64_t iova, length; /* mapping */
	void *mem;            /* mapping: the memory behind it */
	uint8_t *va;          /* mapping: where iova is in mem */
	size_t memlen;
	int memfd;
	int fd;               /* fault queue: its descriptor (context's) */
	unsigned int plan;    /* sequence number of the plan that made it */
	bool kernel_owned;    /* auto HWPT: never destroyed by us */
	uint32_t owner;       /* auto HWPT: the device it was made for */
	bool dead;
};

struct session {
	struct nio_ctx *ctx;
	struct pobj *objs;
	size_t nobjs, cap;
	size_t ndead;         /* entries of objs that are dead */
	unsigned int plan_seq;
};

/* Open /dev/iommu; returns a negative errno. */
int session_open(struct session *s);
void session_close(struct session *s);

/*
 * Run one plan (a JSON array of steps, or {"steps": [...]}).  Returns the
 * exit code; *out receives the result ({"steps", "objects"}) or the error
 * object ({"error", "errno", "step", "op", "field", ...}).
 */
int session_run(struct session *s, struct jv *plan,
		struct json_object **out);
/*
 * Load the plan named by @src (inline JSON, a file or "-"), run it on a
 * fresh session in @s and drop its result: for commands that then work on
 * the objects it made.  Returns EXIT_OK with @s open, or the exit code
 * (the error printed, naming @cmd) with @s closed.
 */
int session_start(struct session *s, const char *cmd, const char *src);
/* Check a plan's shape without a context (NULL and *err on error). */
struct jv *plan_check(struct jv *plan, struct json_object **err);
/* Print a plan error object (taken over); returns code. */
int report_plan_error(int code, struct json_object *out);
/* The object graph: what the library tracks plus the plan's names. */
struct json_object *session_graph(struct session *s);

/* Decoders of queue records (plan-ops.c), shared with events watch. */
struct nio_vevent;
struct nio_fault;
struct json_object *vevent_json(uint32_t type, const struct nio_vevent *e);
struct json_object *fault_json(const struct nio_fault *f);

/* keep.c */
int keep_serve(struct session *s, const char *sockpath);
int keep_send(const char *sockpath, const char *text, size_t len);
/* what names the command in errors ("to", "graph socket"). */
int keep_request(const char *what, const char *sockpath, const char *text,
		 size_t len, struct json_object **reply);

/* errno names plans use ("ETIMEDOUT"): NULL or 0 when not one of them */
const char *plan_errno_name(int e);
int plan_errno_value(const char *name);

#endif
