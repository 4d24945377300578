/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnestiommu internals: the context, object table, errors and OPTS.
 */
#ifndef NIO_INTERNAL_H
#define NIO_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nestiommu/nestiommu.h>

#include "uapi.h"

struct nio_obj {
	struct nio_object_info info;
	/* vEVENTQ: sequence expected next, valid once one record was read. */
	uint32_t next_seq;
	bool seq_valid;
	/* Calls using info.fd right now (nio_obj_fd_get() .. _put()). */
	unsigned int users;
	/* Being destroyed: no new users; the fd closes after the last one. */
	bool dying;
	/* vEVENTQ: a nio_veventq_read() holds the sequence state. */
	bool reading;
};

struct nio_ctx {
	int refcount;
	uint64_t serial; /* unique per process, keys the last-error slots */
	int fd;
	bool borrowed;
	pthread_mutex_t lock; /* protects objs */
	pthread_cond_t cond; /* an object's users or reading changed */
	/* recursive: a log callback may call the library on this context */
	pthread_mutex_t log_lock; /* protects log_fn, log_userdata, log_level */
	struct nio_obj *objs; /* creation order */
	size_t nr_objs, cap_objs;
	nio_log_fn log_fn;
	void *log_userdata;
	int log_level;
};


__attribute__((format(printf, 3, 4)))
void nio_log(struct nio_ctx *ctx, int level, const char *fmt, ...);

/*
 * Record an error: sets errno and the last-error text, logs it at
 * NIO_LOG_ERR, and returns -err, so callers write "return nio_err(...)".
 */
__attribute__((format(printf, 3, 4)))
int nio_err(struct nio_ctx *ctx, int err, const char *fmt, ...);

/*
 * Issue an iommufd ioctl and translate failure into the library's error
 * convention.  "what" names the call and its arguments for the message.
 * ENOTTY becomes -EOPNOTSUPP naming the release that added the ioctl.
 */
int nio_ioctl(struct nio_ctx *ctx, int fd, unsigned long req, void *arg,
	      const char *what);

/*
 * The error half of nio_ioctl(), for hot paths that issue the ioctl
 * themselves and format "what" only when it failed.
 */
int nio_ioctl_failed(struct nio_ctx *ctx, unsigned long req, int err,
		     const char *what);

/* Object table (callers hold no lock: these take ctx->lock). */
int nio_obj_add(struct nio_ctx *ctx, const struct nio_object_info *info);
/* Add a kernel object just created; destroy it again if that fails. */
int nio_obj_track(struct nio_ctx *ctx, struct nio_object_info *info,
		  uint32_t *out_id);
void nio_obj_remove(struct nio_ctx *ctx, uint32_t id);
/* Add unless the ID is tracked already: -EEXIST with its info in *existing. */
int nio_obj_add_unique(struct nio_ctx *ctx, const struct nio_object_info *info,
		       struct nio_object_info *existing);
/*
 * Remove an object once the calls using its descriptor returned, and
 * return what it was; -ENOENT if absent or being destroyed.
 */
int nio_obj_take(struct nio_ctx *ctx, uint32_t id, struct nio_object_info *out);
/*
 * Use a tracked object's descriptor: takes a reference that keeps the
 * descriptor open until nio_obj_fd_put() (a concurrent nio_destroy()
 * waits for it).  -ENOENT when absent, of another type or being
 * destroyed; *info is a copy.  With reading (vEVENTQ), also waits for
 * and holds the queue's sequence state (one reader at a time).
 */
int nio_obj_fd_get(struct nio_ctx *ctx, uint32_t id, enum nio_object_type type,
		   bool reading, struct nio_object_info *info);
void nio_obj_fd_put(struct nio_ctx *ctx, uint32_t id, bool reading);
/* Payload bytes after each vEVENTQ header for a vEVENTQ type, or -1. */
int nio_vevent_payload_len(uint32_t type);
/* Copy of an object's info; -ENOENT if the context did not create it. */
int nio_obj_get(struct nio_ctx *ctx, uint32_t id, struct nio_object_info *out);
/* Apply fn to the object under the lock; -ENOENT if absent. */
int nio_obj_update(struct nio_ctx *ctx, uint32_t id,
		   void (*fn)(struct nio_obj *obj, void *arg), void *arg);

/* Fill the common part of a new object's info. */
void nio_obj_info_init(struct nio_object_info *info, uint32_t id,
		       enum nio_object_type type, uint32_t parent_id,
		       uint32_t dev_id);

/* IOMMU_DESTROY without touching the object table. */
int nio_kernel_destroy(struct nio_ctx *ctx, uint32_t id);

/*
 * OPTS (libbpf semantics).  nio_opts_check() validates opts->sz against
 * the size this library knows: 0 means absent (-EINVAL with a non-NULL
 * pointer), smaller is fine, larger needs a zero tail (-E2BIG).
 */
int nio_opts_check(struct nio_ctx *ctx, const void *opts, size_t user_sz,
		   size_t known_sz, const char *type_name);

/*
 * Copy an output struct that starts with "size_t sz" into a caller's
 * struct of dst->sz bytes (the caller's sz is kept).
 */
void nio_copy_out(void *dst, const void *src, size_t src_sz);

/*
 * A device's sysfs directory under root (NULL: /sys), named as
 * nio_device_find_cdev_at() takes it (device.c); a vfio-dev name or cdev
 * path gives its class/vfio-dev entry.  0 or a negative errno.
 */
int nio_device_sysfs_dir(const char *root, const char *device, char *dir,
			 size_t len);

#define NIO_OPTS_CHECK(ctx, opts, TYPE)                                      \
	nio_opts_check(ctx, opts, (opts) ? (opts)->sz : 0,                   \
		       offsetof(struct TYPE, TYPE##__last_field) +           \
			       sizeof(((struct TYPE *)0)->TYPE##__last_field), \
		       #TYPE)

#define NIO_OPTS_HAS(opts, field)                                           \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +      \
				       sizeof((opts)->field))

#define NIO_OPTS_GET(opts, field, fallback) \
	(NIO_OPTS_HAS(opts, field) ? (opts)->field : (fallback))

#define NIO_CHECK_ARG(ctx, cond)                                       \
	do {                                                           \
		if (!(cond))                                           \
			return nio_err(ctx, EINVAL, "%s: invalid argument: %s", \
				       __func__, #cond);               \
	} while (0)

#define nio_ptr_to_u64(p) ((uint64_t)(uintptr_t)(p))

#endif
