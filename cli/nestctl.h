/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nestctl: shared declarations of the command-line tool.
 *
 * Every command builds one json-c tree and hands it to out_emit(), which
 * prints it either as JSON (-j, -p) or as indented text: text and JSON
 * come from the same tree, so they cannot drift apart.
 */
#ifndef NESTCTL_H
#define NESTCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json.h>

/* Exit codes (as ip(8)): 0 ok, 1 usage or plan error, 2 kernel/library. */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_KERNEL = 2,
};

extern bool json_output;
extern bool pretty_output;
/* -b: decoded ID registers as one line of feature names */
extern bool brief_output;
extern const char *progname;

/* ------------------------------------------------------------------ */
/* Output (out.c)                                                      */

/* Print one result tree (takes ownership) to stdout in the chosen mode. */
void out_emit(struct json_object *obj);
/*
 * Print obj and, when the process is about to exit anyway, do not free it:
 * a plan's result of thousands of objects costs as much to free as to
 * build.  Sanitizer builds free it (LeakSanitizer must see no leaks).
 */
void out_emit_final(struct json_object *obj);
/*
 * At exit: flush standard output; if anything written to it was lost (a
 * full disk, a closed descriptor) say so on stderr and turn exit code 0
 * into EXIT_KERNEL.  Returns the exit code to use.
 */
int out_finish(int code);
/* fflush(stdout), remembering the errno of a failed write for out_finish. */
void out_flush(void);
/* Drop a tree at exit (same rule). */
void out_drop_final(struct json_object *obj);
/* Serialize obj in the current JSON mode (for --keep replies). */
const char *out_json_string(struct json_object *obj);

/*
 * Errors: with -j/-p {"error": msg, "errno": err, ...extra} on stdout, else
 * "nestctl: msg" on stderr.  err is a positive errno.  Return the exit code
 * so that a handler can "return err_usage(...)".  extra (may be NULL) is
 * merged into the error object (taken over).
 */
int err_report(int exit_code, int err, struct json_object *extra,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int err_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* err: negative or positive errno from the library. */
int err_lib(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Build an error object without printing it (for plans and --keep). */
struct json_object *err_object(int err, const char *msg);

/* JSON building helpers. */
void j_u64(struct json_object *o, const char *key, uint64_t v);
void j_u32(struct json_object *o, const char *key, uint32_t v);
void j_int(struct json_object *o, const char *key, int64_t v);
void j_bool(struct json_object *o, const char *key, bool v);
void j_str(struct json_object *o, const char *key, const char *v);
/* An address or 64-bit register: "key": number and "key-hex": "0x...". */
void j_addr(struct json_object *o, const char *key, uint64_t v);
/* A 32-bit register shown in hex as well. */
void j_hex32(struct json_object *o, const char *key, uint32_t v);
struct json_object *j_hex_string(uint64_t v);
void j_addr_k(struct json_object *o, const char *key, const char *hexkey,
	      uint64_t v);

/*
 * The same with a string literal as key: json-c then keeps the pointer
 * instead of copying the key (plans print thousands of step results).
 */
#define J_ADD_(o, k, v) \
	json_object_object_add_ex(o, "" k, v, JSON_C_OBJECT_ADD_CONSTANT_KEY)
#define J_U64(o, k, v) J_ADD_(o, k, json_object_new_uint64(v))
#define J_U32(o, k, v) J_ADD_(o, k, json_object_new_int64((uint32_t)(v)))
#define J_INT(o, k, v) J_ADD_(o, k, json_object_new_int64(v))
#define J_BOOL(o, k, v) J_ADD_(o, k, json_object_new_boolean(v))
static inline struct json_object *j_str_or_null(const char *v)
{
	return v ? json_object_new_string(v) : NULL;
}
#define J_STR(o, k, v) J_ADD_(o, k, j_str_or_null(v))
#define J_ADDR(o, k, v) j_addr_k(o, "" k, k "-hex", v)
#define J_HEX32(o, k, v) j_addr_k(o, "" k, k "-hex", (uint32_t)(v))

/* ------------------------------------------------------------------ */
/* Argument helpers (main.c)                                           */

/*
 * Parse an unsigned number: decimal, or hex with 0x.  -EDOM for a leading
 * zero ("010" is neither octal nor decimal here), -ERANGE above max,
 * -EINVAL otherwise.  Where nestctl(8) says hex, parse_word() (jarg.h).
 */
int parse_u64(const char *s, uint64_t max, uint64_t *out);
/*
 * Input documents (plans, codec input, keep requests) are at most this
 * large: a plan of 100,000 steps is a few MiB.
 */
#define NESTCTL_MAX_INPUT (16u << 20)
/*
 * Read a whole file ("-" = stdin) into a NUL-terminated buffer; NULL with
 * errno set on failure (EFBIG beyond NESTCTL_MAX_INPUT).
 */
char *read_file_all(const char *path, size_t *len);
/* strerror(), but EFBIG names the input limit. */
const char *read_error(int err);
/* ------------------------------------------------------------------ */
/* Commands: each is int (*)(int argc, char **argv), argv[0] is the    */
/* first argument after the command keyword.                           */

struct cmd {
	const char *name; /* NULL ends a table; "" = the object itself */
	int (*func)(int argc, char **argv);
	const char *args; /* synopsis of the arguments, for help */
	const char *desc; /* one line */
};

struct object {
	const char *name;
	const struct cmd *cmds;
	const char *desc;
};

extern const struct object objects[];

int do_object_help(const struct object *obj);

/* codec.c */
extern const struct cmd ste_cmds[], cd_cmds[], cmd_cmds[], event_cmds[],
	idr_cmds[];
/* sysfs.c */
extern const struct cmd device_cmds[], iommu_cmds[], group_cmds[],
	hwinfo_cmds[];
/* plan.c; replay.c */
extern const struct cmd apply_cmds[];
extern const struct cmd replay_cmds[];
/* events.c */
extern const struct cmd events_cmds[];
/* module.c */
extern const struct cmd smmu_cmds[], msi_cmds[], dma_cmds[];
/* events watch ... audit (module.c): the module's stale-use stream */
struct nio_smmu;
int audit_watch_open(struct nio_smmu **out);	/* fd, or -(exit code) */
int audit_watch_emit(struct nio_smmu *smmu, uint64_t max);
void audit_watch_close(struct nio_smmu *smmu);

/* sysfs.c: hw_info decoding, shared with plans */
struct nio_hw_info;
struct json_object *hw_info_json(const struct nio_hw_info *info);
int parse_hw_info_type(const char *s, uint32_t *type);

/* graph.c */
extern const struct cmd graph_cmds[];
/* layout.c: "device guest-layout" */
int do_device_guest_layout(int argc, char **argv);

/* sysfs.c: root of /sys, overridable with $NESTCTL_SYSFS for tests. */
const char *sysfs_root(void);

#endif
