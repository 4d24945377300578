// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Context life cycle, errors, logging, the object table and OPTS checks.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"

/*
 * Each thread keeps the last error of the few contexts it used most
 * recently (slot 0 also serves calls without a context): like errno, one
 * thread's error never overwrites another's, and a context never shows
 * another context's error.
 */
#define NIO_ERROR_SLOTS 4

/*
 * Slots are keyed by the context's serial number, not its address: a new
 * context may reuse a freed one's address while another thread's slot
 * still names it.  Serial 0 stands for "no context".
 */
static uint64_t ctx_serial_next = 1;

static uint64_t ctx_serial(const struct nio_ctx *ctx)
{
	return ctx ? ctx->serial : 0;
}

struct error_slot {
	uint64_t serial;
	bool used;
	char text[512];
};

static __thread struct error_slot error_slots[NIO_ERROR_SLOTS];

static struct error_slot *error_slot_find(const struct nio_ctx *ctx)
{
	uint64_t serial = ctx_serial(ctx);

	for (int i = 0; i < NIO_ERROR_SLOTS; i++)
		if (error_slots[i].used && error_slots[i].serial == serial)
			return &error_slots[i];
	return NULL;
}

/* The context's slot, moved to the front; the oldest one makes room. */
static struct error_slot *error_slot_get(const struct nio_ctx *ctx)
{
	struct error_slot *slot = error_slot_find(ctx);
	struct error_slot tmp;
	int idx = slot ? (int)(slot - error_slots) : NIO_ERROR_SLOTS - 1;

	/* A free slot (never used, or of a freed context) before the oldest */
	while (!slot && idx > 0 && error_slots[idx].used)
		idx--;
	if (!slot && error_slots[idx].used)
		idx = NIO_ERROR_SLOTS - 1;

	tmp = error_slots[idx];
	memmove(&error_slots[1], &error_slots[0], idx * sizeof(tmp));
	error_slots[0] = tmp;
	if (!slot) {
		error_slots[0].serial = ctx_serial(ctx);
		error_slots[0].used = true;
	}
	return &error_slots[0];
}

NIO_API const char *nio_version(void)
{
	return PACKAGE_VERSION;
}

static const char *const level_names[] = {
	[NIO_LOG_ERR] = "err",
	[NIO_LOG_WARN] = "warn",
	[NIO_LOG_INFO] = "info",
	[NIO_LOG_DEBUG] = "debug",
};

static int log_level_from_env(void)
{
	const char *env = getenv("NESTIOMMU_LOG");
	size_t i;

	if (!env)
		return NIO_LOG_ERR;
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (level_names[i] && !strcasecmp(env, level_names[i]))
			return (int)i;
	return NIO_LOG_ERR;
}

void nio_log(struct nio_ctx *ctx, int level, const char *fmt, ...)
{
	int saved_errno = errno;
	char msg[512];
	va_list ap;

	if (!ctx)
		return;
	/*
	 * Under the log lock, so that once nio_ctx_set_log() returns the old
	 * callback is never called again (its userdata may be freed).
	 */
	pthread_mutex_lock(&ctx->log_lock);
	if (ctx->log_fn && level <= ctx->log_level) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		ctx->log_fn(ctx, (enum nio_log_level)level, msg,
			    ctx->log_userdata);
	}
	pthread_mutex_unlock(&ctx->log_lock);
	errno = saved_errno;
}

int nio_err(struct nio_ctx *ctx, int err, const char *fmt, ...)
{
	struct error_slot *slot;
	char text[sizeof(slot->text)];
	va_list ap;

	/* Format first: an argument may point into a slot that moves. */
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	slot = error_slot_get(ctx);
	memcpy(slot->text, text, sizeof(text));
	nio_log(ctx, NIO_LOG_ERR, "%s", slot->text);
	errno = err;
	return -err;
}

NIO_API const char *nio_ctx_last_error(const struct nio_ctx *ctx)
{
	const struct error_slot *slot = error_slot_find(ctx);

	return slot ? slot->text : "";
}

/* The release that added each ioctl, for -EOPNOTSUPP messages. */
static const char *ioctl_release(unsigned long req)
{
	unsigned int nr = req & 0xff;

	if (((req >> 8) & 0xff) != IOMMUFD_TYPE)
		return "?";
	if (nr >= VFIO_BASE && nr < IOMMUFD_CMD_BASE)
		return nr >= VFIO_BASE + 18 ? "6.6" : "3.6";
	switch (nr) {
	case IOMMUFD_CMD_DESTROY ... IOMMUFD_CMD_VFIO_IOAS:
		return "6.2";
	case IOMMUFD_CMD_HWPT_ALLOC:
	case IOMMUFD_CMD_GET_HW_INFO:
		return "6.6";
	case IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING:
	case IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP:
		return "6.7";
	case IOMMUFD_CMD_HWPT_INVALIDATE:
		return "6.8";
	case IOMMUFD_CMD_FAULT_QUEUE_ALLOC:
		return "6.11";
	case IOMMUFD_CMD_IOAS_MAP_FILE ... IOMMUFD_CMD_IOAS_CHANGE_PROCESS:
		return "6.13";
	case IOMMUFD_CMD_VEVENTQ_ALLOC:
		return "6.15";
	case IOMMUFD_CMD_HW_QUEUE_ALLOC:
		return "6.17";
	case IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA:
		return "7.3";
	}
	return "?";
}

int nio_ioctl_failed(struct nio_ctx *ctx, unsigned long req, int err,
		     const char *what)
{
	if (err == ENOTTY)
		return nio_err(ctx, EOPNOTSUPP,
			       "%s: not supported by the running kernel (added in Linux %s)",
			       what, ioctl_release(req));
	return nio_err(ctx, err, "%s: %s", what, strerror(err));
}

int nio_ioctl(struct nio_ctx *ctx, int fd, unsigned long req, void *arg,
	      const char *what)
{
	if (ioctl(fd, req, arg) == 0) {
		nio_log(ctx, NIO_LOG_DEBUG, "%s: ok", what);
		return 0;
	}
	return nio_ioctl_failed(ctx, req, errno, what);
}

void nio_copy_out(void *dst, const void *src, size_t src_sz)
{
	size_t dst_sz = *(const size_t *)dst;

	/* Older callers get the prefix they know; newer ones zeroes after. */
	if (dst_sz > src_sz) {
		memset((char *)dst + src_sz, 0, dst_sz - src_sz);
		dst_sz = src_sz;
	}
	memcpy((char *)dst + sizeof(size_t), (const char *)src + sizeof(size_t),
	       dst_sz - sizeof(size_t));
}

int nio_opts_check(struct nio_ctx *ctx, const void *opts, size_t user_sz,
		   size_t known_sz, const char *type_name)
{
	const unsigned char *tail;
	size_t i;

	if (!opts)
		return 0;
	if (user_sz < sizeof(size_t))
		return nio_err(ctx, EINVAL, "struct %s: sz %zu is too small",
			       type_name, user_sz);
	tail = (const unsigned char *)opts + known_sz;
	for (i = known_sz; i < user_sz; i++, tail++)
		if (*tail)
			return nio_err(ctx, E2BIG,
				       "struct %s: unknown non-zero byte at offset %zu (sz %zu, this library knows %zu)",
				       type_name, i, user_sz, known_sz);
	return 0;
}

static int ctx_new(int fd, bool borrowed, const struct nio_ctx_opts *opts,
		   struct nio_ctx **out)
{
	struct nio_ctx *ctx;
	int env_level = log_level_from_env();

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return nio_err(NULL, ENOMEM, "nio_ctx: out of memory");
	ctx->refcount = 1;
	ctx->serial = __atomic_fetch_add(&ctx_serial_next, 1, __ATOMIC_RELAXED);
	ctx->fd = fd;
	ctx->borrowed = borrowed;
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_cond_init(&ctx->cond, NULL);
	{
		pthread_mutexattr_t attr;

		pthread_mutexattr_init(&attr);
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&ctx->log_lock, &attr);
		pthread_mutexattr_destroy(&attr);
	}
	ctx->log_fn = NIO_OPTS_GET(opts, log_fn, NULL);
	ctx->log_userdata = NIO_OPTS_GET(opts, log_userdata, NULL);
	ctx->log_level = NIO_OPTS_GET(opts, log_level, 0);
	if (!ctx->log_level)
		ctx->log_level = env_level;
	*out = ctx;
	return 0;
}

NIO_API int nio_ctx_open(struct nio_ctx **ctx, const struct nio_ctx_opts *opts)
{
	const char *path;
	int fd, ret;

	NIO_CHECK_ARG(NULL, ctx);
	*ctx = NULL;
	ret = NIO_OPTS_CHECK(NULL, opts, nio_ctx_opts);
	if (ret)
		return ret;
	path = NIO_OPTS_GET(opts, path, NULL);
	if (!path)
		path = "/dev/iommu";
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return nio_err(NULL, errno, "open(%s): %s", path,
			       strerror(errno));
	ret = ctx_new(fd, false, opts, ctx);
	if (ret)
		close(fd);
	return ret;
}

NIO_API int nio_ctx_adopt_fd(int fd, unsigned int flags,
			     const struct nio_ctx_opts *opts,
			     struct nio_ctx **ctx)
{
	struct iommu_destroy probe = { .size = sizeof(probe), .id = 0 };
	int ret;

	NIO_CHECK_ARG(NULL, ctx);
	*ctx = NULL;
	NIO_CHECK_ARG(NULL, fd >= 0);
	if (flags & ~(unsigned int)NIO_ADOPT_BORROW)
		return nio_err(NULL, EINVAL, "nio_ctx_adopt_fd: unknown flags 0x%x",
			       flags);
	ret = NIO_OPTS_CHECK(NULL, opts, nio_ctx_opts);
	if (ret)
		return ret;
	/* ID 0 never names an object: an iommufd answers ENOENT. */
	if (ioctl(fd, IOMMU_DESTROY, &probe) == 0 || errno != ENOENT)
		return nio_err(NULL, ENOTTY,
			       "nio_ctx_adopt_fd: descriptor %d is not an iommufd (IOMMU_DESTROY probe: %s)",
			       fd, strerror(errno));
	return ctx_new(fd, flags & NIO_ADOPT_BORROW, opts, ctx);
}

NIO_API struct nio_ctx *nio_ctx_ref(struct nio_ctx *ctx)
{
	if (ctx)
		__atomic_add_fetch(&ctx->refcount, 1, __ATOMIC_RELAXED);
	return ctx;
}

/* Close an object's descriptor if the context owns it (NIO_OWN_FD). */
static void close_obj_fd(struct nio_obj *obj)
{
	if (obj->info.fd >= 0 && (obj->info.own & NIO_OWN_FD)) {
		close(obj->info.fd);
		obj->info.fd = -1;
	}
}

/* Drop an entry, keeping creation order (ctx->lock held). */
static void obj_remove_locked(struct nio_ctx *ctx, struct nio_obj *obj)
{
	size_t idx = (size_t)(obj - ctx->objs);

	memmove(obj, obj + 1, (ctx->nr_objs - idx - 1) * sizeof(*obj));
	ctx->nr_objs--;
}

/*
 * Unbind a device by closing its cdev.  The kernel then destroys the
 * device's vDEVICE itself (and keeps its ID unusable), so forget it too.
 */
static void device_unbind(struct nio_ctx *ctx, uint32_t dev_id, int fd)
{
	size_t i = 0;

	close(fd);
	pthread_mutex_lock(&ctx->lock);
	while (i < ctx->nr_objs) {
		struct nio_obj *obj = &ctx->objs[i];

		if ((obj->info.type == NIO_OBJ_VDEVICE &&
		     obj->info.dev_id == dev_id) ||
		    (obj->info.type == NIO_OBJ_DEVICE && obj->info.id == dev_id))
			obj_remove_locked(ctx, obj);
		else
			i++;
	}
	pthread_mutex_unlock(&ctx->lock);
}

NIO_API struct nio_ctx *nio_ctx_unref(struct nio_ctx *ctx)
{
	struct error_slot *slot;
	size_t i;

	if (!ctx || __atomic_sub_fetch(&ctx->refcount, 1, __ATOMIC_ACQ_REL))
		return NULL;
	/*
	 * Unbind devices first: that detaches them and destroys their
	 * vDEVICEs, so what remains can be destroyed newest first.  A device
	 * whose cdev is the caller's stays bound: the caller closes it.
	 */
	for (i = 0; i < ctx->nr_objs;) {
		struct nio_obj *obj = &ctx->objs[i];

		if (obj->info.type != NIO_OBJ_DEVICE)
			i++;
		else if (obj->info.own & NIO_OWN_FD)
			device_unbind(ctx, obj->info.id, obj->info.fd);
		else
			obj_remove_locked(ctx, obj);
	}
	for (i = ctx->nr_objs; i-- > 0;) {
		struct nio_obj *obj = &ctx->objs[i];

		close_obj_fd(obj);
		/*
		 * An owned iommufd frees everything when it closes; over a
		 * borrowed one, destroy what the context owns, nothing else.
		 */
		if (ctx->borrowed && (obj->info.own & NIO_OWN_OBJECT))
			nio_kernel_destroy(ctx, obj->info.id);
	}
	if (!ctx->borrowed)
		close(ctx->fd);
	slot = error_slot_find(ctx);
	if (slot)
		slot->used = false;
	pthread_mutex_destroy(&ctx->lock);
	pthread_cond_destroy(&ctx->cond);
	pthread_mutex_destroy(&ctx->log_lock);
	free(ctx->objs);
	free(ctx);
	return NULL;
}

NIO_API int nio_ctx_fd(const struct nio_ctx *ctx)
{
	if (!ctx)
		return nio_err(NULL, EINVAL, "nio_ctx_fd: ctx is NULL");
	return ctx->fd;
}

NIO_API void nio_ctx_set_log(struct nio_ctx *ctx, nio_log_fn fn,
			     void *userdata, enum nio_log_level level)
{
	if (!ctx)
		return;
	pthread_mutex_lock(&ctx->log_lock);
	ctx->log_fn = fn;
	ctx->log_userdata = userdata;
	ctx->log_level = level;
	pthread_mutex_unlock(&ctx->log_lock);
}

/* ------------------------------------------------------------------ */

static const char *const object_type_names[] = {
	[NIO_OBJ_NONE] = "none",
	[NIO_OBJ_IOAS] = "ioas",
	[NIO_OBJ_DEVICE] = "device",
	[NIO_OBJ_HWPT_PAGING] = "hwpt-paging",
	[NIO_OBJ_HWPT_NESTED] = "hwpt-nested",
	[NIO_OBJ_VIOMMU] = "viommu",
	[NIO_OBJ_VDEVICE] = "vdevice",
	[NIO_OBJ_VEVENTQ] = "veventq",
	[NIO_OBJ_FAULT] = "fault",
	[NIO_OBJ_HW_QUEUE] = "hw-queue",
};

NIO_API const char *nio_object_type_name(enum nio_object_type type)
{
	if ((unsigned int)type >=
	    sizeof(object_type_names) / sizeof(object_type_names[0]))
		return NULL;
	return object_type_names[type];
}

void nio_obj_info_init(struct nio_object_info *info, uint32_t id,
		       enum nio_object_type type, uint32_t parent_id,
		       uint32_t dev_id)
{
	memset(info, 0, sizeof(*info));
	info->sz = sizeof(*info);
	info->id = id;
	info->type = type;
	info->parent_id = parent_id;
	info->dev_id = dev_id;
	info->fd = -1;
	/* What the context creates is the context's. */
	info->own = NIO_OWN_OBJECT | NIO_OWN_FD;
}

static struct nio_obj *obj_find(struct nio_ctx *ctx, uint32_t id)
{
	size_t i;

	for (i = 0; i < ctx->nr_objs; i++)
		if (ctx->objs[i].info.id == id)
			return &ctx->objs[i];
	return NULL;
}

int nio_obj_add(struct nio_ctx *ctx, const struct nio_object_info *info)
{
	int ret = 0;

	pthread_mutex_lock(&ctx->lock);
	if (ctx->nr_objs == ctx->cap_objs) {
		size_t cap = ctx->cap_objs ? ctx->cap_objs * 2 : 16;
		struct nio_obj *objs = realloc(ctx->objs, cap * sizeof(*objs));

		if (!objs) {
			ret = -ENOMEM;
			goto out;
		}
		ctx->objs = objs;
		ctx->cap_objs = cap;
	}
	memset(&ctx->objs[ctx->nr_objs], 0, sizeof(ctx->objs[0]));
	ctx->objs[ctx->nr_objs++].info = *info;
out:
	pthread_mutex_unlock(&ctx->lock);
	if (ret)
		return nio_err(ctx, ENOMEM, "object table: out of memory");
	return 0;
}

int nio_obj_add_unique(struct nio_ctx *ctx,
		       const struct nio_object_info *info,
		       struct nio_object_info *existing)
{
	struct nio_obj *obj;

	pthread_mutex_lock(&ctx->lock);
	obj = obj_find(ctx, info->id);
	if (obj)
		*existing = obj->info;
	pthread_mutex_unlock(&ctx->lock);
	/* Two importers of one ID race only with themselves: both are told. */
	if (obj)
		return -EEXIST;
	return nio_obj_add(ctx, info);
}

int nio_obj_take(struct nio_ctx *ctx, uint32_t id, struct nio_object_info *out)
{
	struct nio_obj *obj;

	pthread_mutex_lock(&ctx->lock);
	obj = obj_find(ctx, id);
	if (obj && !obj->dying) {
		/* the descriptor changes hands after the calls using it */
		obj->dying = true;
		while ((obj = obj_find(ctx, id)) && obj->users)
			pthread_cond_wait(&ctx->cond, &ctx->lock);
		*out = obj->info;
		obj_remove_locked(ctx, obj);
	} else {
		obj = NULL;
	}
	pthread_mutex_unlock(&ctx->lock);
	return obj ? 0 : -ENOENT;
}

int nio_obj_track(struct nio_ctx *ctx, struct nio_object_info *info,
		  uint32_t *out_id)
{
	int ret = nio_obj_add(ctx, info);

	if (ret) {
		nio_kernel_destroy(ctx, info->id);
		return ret;
	}
	*out_id = info->id;
	return 0;
}

void nio_obj_remove(struct nio_ctx *ctx, uint32_t id)
{
	struct nio_obj *obj;

	pthread_mutex_lock(&ctx->lock);
	obj = obj_find(ctx, id);
	if (obj)
		obj_remove_locked(ctx, obj);
	pthread_mutex_unlock(&ctx->lock);
}

int nio_obj_get(struct nio_ctx *ctx, uint32_t id, struct nio_object_info *out)
{
	struct nio_obj *obj;

	pthread_mutex_lock(&ctx->lock);
	obj = obj_find(ctx, id);
	if (obj)
		*out = obj->info;
	pthread_mutex_unlock(&ctx->lock);
	return obj ? 0 : -ENOENT;
}

int nio_obj_fd_get(struct nio_ctx *ctx, uint32_t id, enum nio_object_type type,
		   bool reading, struct nio_object_info *info)
{
	struct nio_obj *obj;
	int ret = -ENOENT;

	pthread_mutex_lock(&ctx->lock);
	for (;;) {
		obj = obj_find(ctx, id);
		if (!obj || obj->dying || obj->info.type != type)
			break;
		if (reading && obj->reading) {
			/* the array may move while we wait: find it again */
			pthread_cond_wait(&ctx->cond, &ctx->lock);
			continue;
		}
		obj->users++;
		if (reading)
			obj->reading = true;
		*info = obj->info;
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}

void nio_obj_fd_put(struct nio_ctx *ctx, uint32_t id, bool reading)
{
	struct nio_obj *obj;

	pthread_mutex_lock(&ctx->lock);
	/* A used object stays in the table until its users are gone. */
	obj = obj_find(ctx, id);
	if (obj) {
		obj->users--;
		if (reading)
			obj->reading = false;
		if (!obj->users || reading)
			pthread_cond_broadcast(&ctx->cond);
	}
	pthread_mutex_unlock(&ctx->lock);
}

/*
 * Mark an object dying (no new users) and wait until the calls using its
 * descriptor have returned; *info is its state then.  -ENOENT if absent,
 * -EBUSY if another thread is destroying it.
 */
static int obj_retire(struct nio_ctx *ctx, uint32_t id,
		      struct nio_object_info *info)
{
	struct nio_obj *obj;

	pthread_mutex_lock(&ctx->lock);
	obj = obj_find(ctx, id);
	if (!obj || obj->dying) {
		pthread_mutex_unlock(&ctx->lock);
		return obj ? -EBUSY : -ENOENT;
	}
	obj->dying = true;
	while ((obj = obj_find(ctx, id)) && obj->users)
		pthread_cond_wait(&ctx->cond, &ctx->lock);
	*info = obj->info;
	pthread_mutex_unlock(&ctx->lock);
	return 0;
}

/* A destroy that failed: the object is usable again. */
static void obj_unretire(struct nio_obj *obj, void *arg)
{
	(void)arg;
	obj->dying = false;
}

int nio_obj_update(struct nio_ctx *ctx, uint32_t id,
		   void (*fn)(struct nio_obj *obj, void *arg), void *arg)
{
	struct nio_obj *obj;

	pthread_mutex_lock(&ctx->lock);
	obj = obj_find(ctx, id);
	if (obj)
		fn(obj, arg);
	pthread_mutex_unlock(&ctx->lock);
	return obj ? 0 : -ENOENT;
}

NIO_API uint32_t nio_object_next(struct nio_ctx *ctx, uint32_t prev_id)
{
	uint32_t next = 0;
	size_t i = 0;

	if (!ctx) {
		errno = EINVAL;
		return 0;
	}
	pthread_mutex_lock(&ctx->lock);
	if (prev_id) {
		struct nio_obj *prev = obj_find(ctx, prev_id);

		i = prev ? (size_t)(prev - ctx->objs) + 1 : ctx->nr_objs;
	}
	if (i < ctx->nr_objs)
		next = ctx->objs[i].info.id;
	pthread_mutex_unlock(&ctx->lock);
	return next;
}

NIO_API int nio_object_info(struct nio_ctx *ctx, uint32_t id,
			    struct nio_object_info *info)
{
	struct nio_object_info full;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, info);
	NIO_CHECK_ARG(ctx, info->sz >= sizeof(size_t));
	if (nio_obj_get(ctx, id, &full))
		return nio_err(ctx, ENOENT,
			       "nio_object_info: object %u was not created by this context",
			       id);
	nio_copy_out(info, &full, sizeof(full));
	return 0;
}

static void obj_forget_fd(struct nio_obj *obj, void *arg)
{
	(void)arg;
	obj->info.fd = -1;
}

int nio_kernel_destroy(struct nio_ctx *ctx, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };
	char what[64];

	snprintf(what, sizeof(what), "IOMMU_DESTROY(id=%u)", id);
	return nio_ioctl(ctx, ctx->fd, IOMMU_DESTROY, &cmd, what);
}

/* A tracked HWPT that reports to fault queue fault_id, or 0. */
static uint32_t fault_user(struct nio_ctx *ctx, uint32_t fault_id)
{
	uint32_t user = 0;
	size_t i;

	pthread_mutex_lock(&ctx->lock);
	for (i = 0; i < ctx->nr_objs && !user; i++)
		if (ctx->objs[i].info.fault_id == fault_id)
			user = ctx->objs[i].info.id;
	pthread_mutex_unlock(&ctx->lock);
	return user;
}

NIO_API int nio_destroy(struct nio_ctx *ctx, uint32_t id)
{
	struct nio_object_info info;
	uint32_t user;
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	if (nio_obj_get(ctx, id, &info))
		return nio_kernel_destroy(ctx, id);
	if (info.type == NIO_OBJ_DEVICE && !(info.own & NIO_OWN_FD))
		return nio_err(ctx, EBUSY,
			       "nio_destroy: device %u: its cdev descriptor %d is the caller's (borrowed): close it to unbind the device, then nio_object_forget()",
			       id, info.fd);
	/*
	 * A queue's descriptor holds a reference on its object, so the kernel
	 * refuses to destroy it while the descriptor is open.  Refuse here
	 * first what would fail anyway, so a queue still in use keeps its
	 * descriptor.
	 */
	if (info.type == NIO_OBJ_FAULT && (user = fault_user(ctx, id)))
		return nio_err(ctx, EBUSY,
			       "IOMMU_DESTROY(id=%u): not issued: the fault queue is in use by HWPT %u",
			       id, user);
	if (info.fd < 0) {
		ret = nio_kernel_destroy(ctx, id);
		if (!ret)
			nio_obj_remove(ctx, id);
		return ret;
	}
	/*
	 * Calls of other threads may be using the descriptor: no new ones
	 * start, and it is closed only after the last one returned, so that
	 * none reads from or issues an ioctl on a reused descriptor number.
	 */
	ret = obj_retire(ctx, id, &info);
	if (ret == -EBUSY)
		return nio_err(ctx, EBUSY,
			       "nio_destroy: %u is being destroyed by another thread",
			       id);
	if (ret)
		return nio_kernel_destroy(ctx, id);
	if (info.type == NIO_OBJ_DEVICE) {
		device_unbind(ctx, id, info.fd);
		return 0;
	}
	if (info.own & NIO_OWN_FD) {
		close(info.fd);
		nio_obj_update(ctx, id, obj_forget_fd, NULL);
	}
	ret = nio_kernel_destroy(ctx, id);
	if (ret) {
		nio_obj_update(ctx, id, obj_unretire, NULL);
		if (ret == -EBUSY && !(info.own & NIO_OWN_FD))
			return nio_err(ctx, EBUSY,
				       "IOMMU_DESTROY(id=%u): busy: its descriptor %d is the caller's (borrowed) and still open; close it first",
				       id, info.fd);
		return ret;
	}
	nio_obj_remove(ctx, id);
	return 0;
}
