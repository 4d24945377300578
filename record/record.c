// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libnestiommu-record.so: record a process's iommufd and VFIO-cdev session
 * as a nestctl plan.
 *
 *     NESTIOMMU_RECORD=session.json LD_PRELOAD=.../libnestiommu-record.so vmm ...
 *
 * ioctl() is interposed (dlsym(RTLD_NEXT)); open/close/dup/recvmsg only
 * keep the descriptor table honest.  A descriptor is classified once, on
 * its first ioctl, by readlink("/proc/self/fd/N"): /dev/iommu is an iommufd
 * context, /dev/vfio/devices/vfioN a VFIO cdev, anything else is passed
 * through with one relaxed load on every later ioctl.
 *
 * Each iommufd/VFIO ioctl becomes one plan step with its arguments (kernel
 * IDs replaced by names), an "expect-errno" when it failed, and a
 * "recorded" object holding what the kernel answered (IDs, IOVAs,
 * entry_num...), which "nestctl replay" compares.  Ioctls that a plan
 * cannot express are "opaque" steps (request number and name).  The file
 * is a complete plan after every step: the step is written over the
 * previous trailer, then a new trailer (the object graph so far) follows.
 *
 * Nothing here changes what the process sees: the real call is made with
 * the caller's arguments, its result and errno are returned unchanged,
 * user memory is read with process_vm_readv() (a bad pointer is an error,
 * not a crash) and no allocation happens after start-up.  State-changing
 * calls are made under the recorder's lock so that the recorded order is
 * the kernel's order (iommufd IDs depend on it).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "uapi.h"

#define EXPORT __attribute__((visibility("default")))

/* Descriptors above this are never recorded (said in the man page). */
#define FD_MAX 65536
#define MAX_OBJS 4096
#define MAX_MAPS 4096
#define MAX_CDEVS 256

enum fd_kind {
	FD_UNKNOWN = 0,
	FD_OTHER,
	FD_IOMMU,       /* the recorded context */
	FD_IOMMU_LATER, /* another iommufd context: opaque */
	FD_VFIO,
};

enum obj_kind {
	O_IOAS = 1,
	O_DEVICE,
	O_HWPT_PAGING,
	O_HWPT_NESTED,
	O_HWPT_AUTO,
	O_VIOMMU,
	O_VDEVICE,
	O_VEVENTQ,
	O_FAULT,
	O_HWQUEUE,
};

struct robj {
	uint32_t id;
	uint8_t kind;
	bool alive;
	uint32_t owner;       /* automatic HWPT, vDEVICE: its device */
	char name[32];
};

struct rmap {
	uint32_t ioas;
	bool alive;
	uint64_t iova, length;
};

struct rcdev {
	int fd;
	bool used;
	bool bound;
	uint32_t dev_id;
	char path[64];
};

/* ---- real functions ---- */

static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_close)(int);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);

static void *next_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		static const char m[] = "libnestiommu-record: a libc symbol is missing\n";
		ssize_t r = write(2, m, sizeof(m) - 1);

		(void)r;
		_exit(127);
	}
	return p;
}

#define RESOLVE(var, name)                                                \
	do {                                                              \
		if (!__atomic_load_n(&var, __ATOMIC_ACQUIRE))             \
			__atomic_store_n(&var, (__typeof__(var))next_sym(name), \
					 __ATOMIC_RELEASE);               \
	} while (0)

/* ---- state (all under lock, except fdkind) ---- */

static _Atomic unsigned char fdkind[FD_MAX];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int in_recorder;
static bool enabled;
static pid_t rec_pid;
static int out_fd = -1;
static off_t steps_off;        /* where the next step is written */
static unsigned long nsteps, ncalls, nopaque, ncontexts, nmissed;
static bool ctx_open, ctx_closed, finished;
static int ctx_nfds;           /* descriptors on the recorded context */
static int ctx_fd = -1;        /* one of them (for kcmp) */
static struct robj objs[MAX_OBJS];
static size_t nobjs;
static struct rmap maps[MAX_MAPS];
static size_t nmaps;
static struct rcdev cdevs[MAX_CDEVS];
static uint16_t idgen[65536];
static char header_comment[512];

/* ---- output ---- */

struct w {
	off_t off;
	size_t n;
	char buf[4096];
};

static void w_flush(struct w *w)
{
	size_t done = 0;

	while (done < w->n) {
		ssize_t r = pwrite(out_fd, w->buf + done, w->n - done,
				   w->off + (off_t)done);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		done += (size_t)r;
	}
	w->off += (off_t)w->n;
	w->n = 0;
}

static void w_raw(struct w *w, const char *s, size_t len)
{
	while (len) {
		size_t c = sizeof(w->buf) - w->n;

		if (c > len)
			c = len;
		memcpy(w->buf + w->n, s, c);
		w->n += c;
		s += c;
		len -= c;
		if (w->n == sizeof(w->buf))
			w_flush(w);
	}
}

static void w_fmt(struct w *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void w_fmt(struct w *w, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	w_raw(w, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A JSON string. */
static void w_jstr(struct w *w, const char *s)
{
	w_raw(w, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			w_fmt(w, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			w_fmt(w, "\\u%04x", c);
		else
			w_raw(w, s, 1);
	}
	w_raw(w, "\"", 1);
}

static void w_key(struct w *w, const char *k)
{
	w_fmt(w, ", \"%s\": ", k);
}

static void w_u64(struct w *w, const char *k, uint64_t v)
{
	w_key(w, k);
	w_fmt(w, "%llu", (unsigned long long)v);
}

static void w_hex(struct w *w, const char *k, uint64_t v)
{
	w_key(w, k);
	w_fmt(w, "\"0x%llx\"", (unsigned long long)v);
}

static void w_s(struct w *w, const char *k, const char *v)
{
	w_key(w, k);
	w_jstr(w, v);
}

static void w_bool(struct w *w, const char *k, bool v)
{
	w_key(w, k);
	w_fmt(w, "%s", v ? "true" : "false");
}

static const char *const kind_prefix[] = {
	[O_IOAS] = "ioas", [O_DEVICE] = "dev", [O_HWPT_PAGING] = "hwpt",
	[O_HWPT_NESTED] = "hwpt", [O_HWPT_AUTO] = "hwpt", [O_VIOMMU] = "viommu",
	[O_VDEVICE] = "vdev", [O_VEVENTQ] = "veventq", [O_FAULT] = "fault",
	[O_HWQUEUE] = "hwq",
};

/* The type names of nio_object_type_name() (and "hwpt-auto" of nestctl). */
static const char *const kind_type[] = {
	[O_IOAS] = "ioas", [O_DEVICE] = "device", [O_HWPT_PAGING] = "hwpt-paging",
	[O_HWPT_NESTED] = "hwpt-nested", [O_HWPT_AUTO] = "hwpt-auto",
	[O_VIOMMU] = "viommu", [O_VDEVICE] = "vdevice", [O_VEVENTQ] = "veventq",
	[O_FAULT] = "fault", [O_HWQUEUE] = "hw-queue",
};

/* The trailer: the graph so far; the file is a complete plan after it. */
static void write_trailer(void)
{
	struct w w = { .off = steps_off };
	bool first = true;

	w_fmt(&w, "\n],\n\"recorded\": {\"tool\": \"libnestiommu-record\"");
	w_bool(&w, "complete", finished);
	w_u64(&w, "calls", ncalls);
	w_u64(&w, "steps", nsteps);
	w_u64(&w, "opaque", nopaque);
	w_u64(&w, "contexts", ncontexts);
	w_u64(&w, "not-recorded", nmissed);
	w_bool(&w, "context-closed", ctx_closed);
	w_fmt(&w, ",\n \"objects\": [");
	for (size_t i = 0; i < nobjs; i++) {
		if (!objs[i].alive)
			continue;
		w_fmt(&w, "%s\n  {\"name\": ", first ? "" : ",");
		w_jstr(&w, objs[i].name);
		w_s(&w, "type", kind_type[objs[i].kind]);
		w_u64(&w, "id", objs[i].id);
		w_fmt(&w, "}");
		first = false;
	}
	w_fmt(&w, "],\n \"mappings\": [");
	first = true;
	for (size_t i = 0; i < nmaps; i++) {
		if (!maps[i].alive)
			continue;
		w_fmt(&w, "%s\n  {\"ioas\": %u", first ? "" : ",", maps[i].ioas);
		w_u64(&w, "iova", maps[i].iova);
		w_u64(&w, "length", maps[i].length);
		w_fmt(&w, "}");
		first = false;
	}
	w_fmt(&w, "]}\n}\n");
	w_flush(&w);
	if (ftruncate(out_fd, w.off))
		nmissed++;
}

/* Start a step: the caller writes ", key: value" pairs, then step_end(). */
static void step_begin(struct w *w, const char *op)
{
	w->off = steps_off;
	w->n = 0;
	w_fmt(w, "%s\n{\"op\": \"%s\"", nsteps ? "," : "", op);
}

static void step_end(struct w *w)
{
	w_fmt(w, "}");
	w_flush(w);
	steps_off = w->off;
	nsteps++;
	write_trailer();
}

/* ---- objects ---- */

static struct robj *obj_find(uint32_t id)
{
	for (size_t i = nobjs; i-- > 0;)
		if (objs[i].alive && objs[i].id == id)
			return &objs[i];
	return NULL;
}

static struct robj *obj_add(uint32_t id, uint8_t kind)
{
	struct robj *o;
	unsigned int gen;

	if (nobjs == MAX_OBJS) {
		/* drop the dead, keeping creation order (the graph's order) */
		size_t j = 0;

		for (size_t i = 0; i < nobjs; i++)
			if (objs[i].alive)
				objs[j++] = objs[i];
		nobjs = j;
		if (nobjs == MAX_OBJS) {
			nmissed++;
			return NULL;
		}
	}
	o = &objs[nobjs++];
	memset(o, 0, sizeof(*o));
	o->id = id;
	o->kind = kind;
	o->alive = true;
	gen = ++idgen[id & 0xffff];
	if (gen == 1)
		snprintf(o->name, sizeof(o->name), "%s%u", kind_prefix[kind], id);
	else
		snprintf(o->name, sizeof(o->name), "%s%u_%u", kind_prefix[kind],
			 id, gen);
	return o;
}

/* The automatic HWPTs of a device end with its attachment. */
static void forget_auto(uint32_t dev, uint32_t keep)
{
	for (size_t i = 0; i < nobjs; i++)
		if (objs[i].alive && objs[i].kind == O_HWPT_AUTO &&
		    objs[i].owner == dev && objs[i].id != keep)
			objs[i].alive = false;
}

static void map_add(uint32_t ioas, uint64_t iova, uint64_t length)
{
	struct rmap *m = NULL;

	if (nmaps < MAX_MAPS) {
		m = &maps[nmaps++];
	} else {
		for (size_t i = 0; i < nmaps && !m; i++)
			if (!maps[i].alive)
				m = &maps[i];
	}
	if (!m) {
		nmissed++;
		return;
	}
	*m = (struct rmap){ .ioas = ioas, .alive = true, .iova = iova,
			    .length = length };
}

static void map_remove(uint32_t ioas, uint64_t iova, uint64_t length, bool all)
{
	for (size_t i = 0; i < nmaps; i++) {
		struct rmap *m = &maps[i];

		if (m->alive && m->ioas == ioas &&
		    (all || (m->iova >= iova &&
			     m->iova + m->length - 1 <= iova + length - 1)))
			m->alive = false;
	}
	while (nmaps && !maps[nmaps - 1].alive)
		nmaps--;
}

/* ---- reading the caller's memory without trusting it ---- */

/*
 * Without CONFIG_CROSS_MEMORY_ATTACH (process_vm_readv() is ENOSYS), copy
 * through a pipe: write() reports EFAULT for a bad source as the kernel's
 * own copy would.  One pipe, under its own lock, made at start-up.
 */
static int probe_pipe[2] = { -1, -1 };
static pthread_mutex_t pipe_lock = PTHREAD_MUTEX_INITIALIZER;
static bool no_vm_readv;

static bool pipe_read(uint64_t addr, void *dst, size_t len)
{
	bool ok = true;

	if (probe_pipe[0] < 0)
		return false;
	pthread_mutex_lock(&pipe_lock);
	while (len && ok) {
		size_t c = len < 4096 ? len : 4096;
		ssize_t w = write(probe_pipe[1], (const void *)(uintptr_t)addr, c);
		ssize_t got = 0;

		if (w != (ssize_t)c) {
			char sink[4096];

			/* drain a partial write */
			while (w > 0 && read(probe_pipe[0], sink, (size_t)w) > 0)
				w = 0;
			ok = false;
			break;
		}
		while (got < w) {
			ssize_t r = read(probe_pipe[0], (char *)dst + got,
					 (size_t)(w - got));

			if (r <= 0) {
				ok = false;
				break;
			}
			got += r;
		}
		addr += c;
		dst = (char *)dst + c;
		len -= c;
	}
	pthread_mutex_unlock(&pipe_lock);
	return ok;
}

static bool safe_read(uint64_t addr, void *dst, size_t len)
{
	struct iovec l = { .iov_base = dst, .iov_len = len };
	struct iovec r = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };

	if (!len)
		return true;
	if (!addr)
		return false;
	if (!__atomic_load_n(&no_vm_readv, __ATOMIC_RELAXED)) {
		ssize_t n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);

		if (n == (ssize_t)len)
			return true;
		if (n >= 0 || errno != ENOSYS)
			return false;
		__atomic_store_n(&no_vm_readv, true, __ATOMIC_RELAXED);
	}
	return pipe_read(addr, dst, len);
}

/* ---- descriptor classification ---- */

static bool same_file(int a, int b)
{
#ifdef SYS_kcmp
	long r = syscall(SYS_kcmp, (long)getpid(), (long)getpid(), 0 /* KCMP_FILE */,
			 (long)a, (long)b);

	if (r >= 0)
		return r == 0;
#endif
	/* Without kcmp: a second /dev/iommu descriptor while the context is
	 * open is taken as a duplicate of it. */
	return true;
}

static struct rcdev *cdev_of(int fd)
{
	for (size_t i = 0; i < MAX_CDEVS; i++)
		if (cdevs[i].used && cdevs[i].fd == fd)
			return &cdevs[i];
	return NULL;
}

static void note_cdev(int fd, const char *path)
{
	struct rcdev *c = cdev_of(fd);

	for (size_t i = 0; i < MAX_CDEVS && !c; i++)
		if (!cdevs[i].used)
			c = &cdevs[i];
	if (!c)
		return;
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->fd = fd;
	snprintf(c->path, sizeof(c->path), "%s", path);
}

/* Under lock: what fd is, from the path it was opened at. */
static unsigned char classify_path(int fd, const char *path, bool opened)
{
	if (!strcmp(path, "/dev/iommu")) {
		if (ctx_open && !opened && ctx_fd >= 0 && same_file(fd, ctx_fd)) {
			ctx_nfds++;
			return FD_IOMMU;
		}
		if (!ctx_open && !ctx_closed) {
			ctx_open = true;
			ctx_fd = fd;
			ctx_nfds = 1;
			ncontexts++;
			return FD_IOMMU;
		}
		ncontexts++;
		return FD_IOMMU_LATER;
	}
	if (!strncmp(path, "/dev/vfio/devices/", 18)) {
		note_cdev(fd, path);
		return FD_VFIO;
	}
	return FD_OTHER;
}

static unsigned char classify(int fd)
{
	char link[64], path[PATH_MAX];
	unsigned char k;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return FD_OTHER; /* not open: the ioctl fails with EBADF */
	path[n] = '\0';
	if (in_recorder) /* a signal handler interrupted the recorder */
		return FD_OTHER;
	in_recorder = 1;
	pthread_mutex_lock(&lock);
	k = atomic_load_explicit(&fdkind[fd], memory_order_relaxed);
	if (k == FD_UNKNOWN) {
		k = classify_path(fd, path, false);
		atomic_store_explicit(&fdkind[fd], k, memory_order_relaxed);
	}
	pthread_mutex_unlock(&lock);
	in_recorder = 0;
	return k;
}

/* ---- memory a plan cannot map again: device regions ---- */

/* IOVA ranges the process mapped from device memory (opaque steps). */
static struct { uint32_t ioas; uint64_t iova, length; } devmaps[64];
static size_t ndevmaps;

/*
 * Is va inside a mapping of a VFIO device region (a BAR that QEMU maps
 * for peer-to-peer DMA)?  The replay's fresh memory would behave
 * differently (the kernel refuses to pin device memory), so such a map
 * is opaque.  Reads /proc/self/maps without allocating.
 */
static bool va_is_device(uint64_t va)
{
	char buf[4096], line[512];
	size_t ll = 0;
	bool found = false, done = false;
	int fd = real_open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	while (!done && (n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n && !done; i++) {
			unsigned long long lo, hi;
			int path = 0;

			if (buf[i] != '\n') {
				if (ll < sizeof(line) - 1)
					line[ll++] = buf[i];
				continue;
			}
			line[ll] = '\0';
			ll = 0;
			if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &lo, &hi, &path) < 2 ||
			    va < lo || va >= hi)
				continue;
			done = true;
			found = path && !strncmp(line + path, "/dev/vfio/", 10);
		}
	}
	real_close(fd);
	return found;
}

/* A dma-buf (device memory exported by VFIO) rather than RAM? */
static bool fd_is_dmabuf(int fd)
{
	char link[64], path[128];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return false;
	path[n] = '\0';
	return strstr(path, "dmabuf") != NULL;
}

/* ---- ioctl names ---- */

static const char *ioctl_name(unsigned long req)
{
	static const struct { unsigned long req; const char *name; } names[] = {
		{ IOMMU_DESTROY, "IOMMU_DESTROY" },
		{ IOMMU_IOAS_ALLOC, "IOMMU_IOAS_ALLOC" },
		{ IOMMU_IOAS_ALLOW_IOVAS, "IOMMU_IOAS_ALLOW_IOVAS" },
		{ IOMMU_IOAS_COPY, "IOMMU_IOAS_COPY" },
		{ IOMMU_IOAS_IOVA_RANGES, "IOMMU_IOAS_IOVA_RANGES" },
		{ IOMMU_IOAS_MAP, "IOMMU_IOAS_MAP" },
		{ IOMMU_IOAS_UNMAP, "IOMMU_IOAS_UNMAP" },
		{ IOMMU_OPTION, "IOMMU_OPTION" },
		{ IOMMU_VFIO_IOAS, "IOMMU_VFIO_IOAS" },
		{ IOMMU_HWPT_ALLOC, "IOMMU_HWPT_ALLOC" },
		{ IOMMU_GET_HW_INFO, "IOMMU_GET_HW_INFO" },
		{ IOMMU_HWPT_SET_DIRTY_TRACKING, "IOMMU_HWPT_SET_DIRTY_TRACKING" },
		{ IOMMU_HWPT_GET_DIRTY_BITMAP, "IOMMU_HWPT_GET_DIRTY_BITMAP" },
		{ IOMMU_HWPT_INVALIDATE, "IOMMU_HWPT_INVALIDATE" },
		{ IOMMU_FAULT_QUEUE_ALLOC, "IOMMU_FAULT_QUEUE_ALLOC" },
		{ IOMMU_IOAS_MAP_FILE, "IOMMU_IOAS_MAP_FILE" },
		{ IOMMU_VIOMMU_ALLOC, "IOMMU_VIOMMU_ALLOC" },
		{ IOMMU_VDEVICE_ALLOC, "IOMMU_VDEVICE_ALLOC" },
		{ IOMMU_IOAS_CHANGE_PROCESS, "IOMMU_IOAS_CHANGE_PROCESS" },
		{ IOMMU_VEVENTQ_ALLOC, "IOMMU_VEVENTQ_ALLOC" },
		{ IOMMU_HW_QUEUE_ALLOC, "IOMMU_HW_QUEUE_ALLOC" },
		{ IOMMU_IOAS_NOIOMMU_GET_PA, "IOMMU_IOAS_NOIOMMU_GET_PA" },
		{ _IO(';', 0xa0), "IOMMU_TEST_CMD" },
		{ _IO(';', 100 + 0), "VFIO_GET_API_VERSION" },
		{ _IO(';', 100 + 1), "VFIO_CHECK_EXTENSION" },
		{ _IO(';', 100 + 7), "VFIO_DEVICE_GET_INFO" },
		{ _IO(';', 100 + 8), "VFIO_DEVICE_GET_REGION_INFO" },
		{ _IO(';', 100 + 9), "VFIO_DEVICE_GET_IRQ_INFO" },
		{ _IO(';', 100 + 10), "VFIO_DEVICE_SET_IRQS" },
		{ _IO(';', 100 + 11), "VFIO_DEVICE_RESET" },
		{ _IO(';', 100 + 12), "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO" },
		{ _IO(';', 100 + 13), "VFIO_DEVICE_PCI_HOT_RESET" },
		{ _IO(';', 100 + 14), "VFIO_DEVICE_QUERY_GFX_PLANE" },
		{ _IO(';', 100 + 15), "VFIO_DEVICE_GET_GFX_DMABUF" },
		{ _IO(';', 100 + 16), "VFIO_DEVICE_IOEVENTFD" },
		{ _IO(';', 100 + 17), "VFIO_DEVICE_FEATURE" },
		{ VFIO_DEVICE_BIND_IOMMUFD, "VFIO_DEVICE_BIND_IOMMUFD" },
		{ VFIO_DEVICE_ATTACH_IOMMUFD_PT, "VFIO_DEVICE_ATTACH_IOMMUFD_PT" },
		{ VFIO_DEVICE_DETACH_IOMMUFD_PT, "VFIO_DEVICE_DETACH_IOMMUFD_PT" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].req == req)
			return names[i].name;
	return NULL;
}

/* The argument structure of the ioctls a plan can express. */
static size_t arg_size(unsigned char kind, unsigned long req)
{
	if (kind == FD_VFIO) {
		switch (req) {
		case VFIO_DEVICE_BIND_IOMMUFD:
			return sizeof(struct vfio_device_bind_iommufd);
		case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
			return sizeof(struct vfio_device_attach_iommufd_pt);
		case VFIO_DEVICE_DETACH_IOMMUFD_PT:
			return sizeof(struct vfio_device_detach_iommufd_pt);
		}
		return 0;
	}
	if (kind != FD_IOMMU)
		return 0;
	switch (req) {
	case IOMMU_DESTROY: return sizeof(struct iommu_destroy);
	case IOMMU_IOAS_ALLOC: return sizeof(struct iommu_ioas_alloc);
	case IOMMU_IOAS_ALLOW_IOVAS: return sizeof(struct iommu_ioas_allow_iovas);
	case IOMMU_IOAS_COPY: return sizeof(struct iommu_ioas_copy);
	case IOMMU_IOAS_IOVA_RANGES: return sizeof(struct iommu_ioas_iova_ranges);
	case IOMMU_IOAS_MAP: return sizeof(struct iommu_ioas_map);
	case IOMMU_IOAS_MAP_FILE: return sizeof(struct iommu_ioas_map_file);
	case IOMMU_IOAS_UNMAP: return sizeof(struct iommu_ioas_unmap);
	case IOMMU_OPTION: return sizeof(struct iommu_option);
	case IOMMU_IOAS_CHANGE_PROCESS:
		return sizeof(struct iommu_ioas_change_process);
	case IOMMU_HWPT_ALLOC: return sizeof(struct iommu_hwpt_alloc);
	case IOMMU_GET_HW_INFO: return sizeof(struct iommu_hw_info);
	case IOMMU_HWPT_SET_DIRTY_TRACKING:
		return sizeof(struct iommu_hwpt_set_dirty_tracking);
	case IOMMU_HWPT_INVALIDATE: return sizeof(struct iommu_hwpt_invalidate);
	case IOMMU_FAULT_QUEUE_ALLOC: return sizeof(struct iommu_fault_alloc);
	case IOMMU_VIOMMU_ALLOC: return sizeof(struct iommu_viommu_alloc);
	case IOMMU_VDEVICE_ALLOC: return sizeof(struct iommu_vdevice_alloc);
	case IOMMU_VEVENTQ_ALLOC: return sizeof(struct iommu_veventq_alloc);
	case IOMMU_HW_QUEUE_ALLOC: return sizeof(struct iommu_hw_queue_alloc);
	}
	return 0;
}

/* ---- one call → one step ---- */

struct call {
	int fd;
	unsigned char kind;
	unsigned long req;
	int ret, err;
	size_t len;          /* of pre/post; 0: opaque */
	union {
		uint8_t b[128];
		uint32_t size;
	} pre, post;
	struct rcdev *cdev;
};

/* "recorded": the kernel's answer, opened here and closed by the caller. */
static void rec_begin(struct w *w, const struct call *c)
{
	const char *n = ioctl_name(c->req);

	w_fmt(w, ", \"recorded\": {\"call\": %lu", ncalls);
	if (n)
		w_s(w, "ioctl", n);
	w_fmt(w, ", \"ret\": %d", c->ret);
	if (c->ret < 0)
		w_fmt(w, ", \"errno\": %d", c->err);
}

static void opaque(const struct call *c, const char *note)
{
	const char *n = ioctl_name(c->req);
	struct w w;

	step_begin(&w, "opaque");
	w_hex(&w, "request", c->req);
	if (n)
		w_s(&w, "name", n);
	w_s(&w, "fd-kind", c->kind == FD_VFIO ? "vfio-device" : "iommufd");
	if (c->cdev && c->cdev->bound)
		w_u64(&w, "dev-id", c->cdev->dev_id);
	if (note)
		w_s(&w, "note", note);
	rec_begin(&w, c);
	w_fmt(&w, "}");
	step_end(&w);
	nopaque++;
}

/* Common ending: expect-errno, then "recorded" with the caller's extras. */
static void fail_part(struct w *w, const struct call *c)
{
	if (c->ret < 0)
		w_u64(w, "expect-errno", (uint64_t)c->err);
}

static const char *name_of(uint32_t id, unsigned int kinds_mask)
{
	struct robj *o = obj_find(id);

	if (!o || !((1u << o->kind) & kinds_mask))
		return NULL;
	return o->name;
}

#define M(k) (1u << (k))
#define M_HWPT (M(O_HWPT_PAGING) | M(O_HWPT_NESTED) | M(O_HWPT_AUTO))
#define M_ANY 0xffffu

static void w_ref(struct w *w, const char *key, const char *name)
{
	w_s(w, key, name);
}

/* A name for a step that creates an object; failing steps get a spare. */
static void w_newname(struct w *w, const char *key, const struct call *c,
		      const struct robj *o)
{
	char spare[32];

	if (o) {
		w_s(w, key, o->name);
		return;
	}
	snprintf(spare, sizeof(spare), "failed-call%lu", ncalls);
	w_s(w, key, spare);
}

static void w_words(struct w *w, const char *key, uint64_t addr, uint32_t len)
{
	uint64_t words[64];

	w_key(w, key);
	w_fmt(w, "[");
	if (!safe_read(addr, words, len))
		memset(words, 0, sizeof(words));
	for (uint32_t i = 0; i < len / 8; i++)
		w_fmt(w, "%s\"0x%llx\"", i ? ", " : "", (unsigned long long)words[i]);
	w_fmt(w, "]");
}

static bool missing(const struct call *c, uint32_t id, unsigned int mask,
		    const char *what)
{
	char note[96];

	if (name_of(id, mask))
		return false;
	snprintf(note, sizeof(note), "%s %u is not an object this recording knows",
		 what, id);
	opaque(c, note);
	return true;
}

static void rec_iommu(struct call *c)
{
	const void *pre = c->pre.b, *post = c->post.b;
	bool ok = c->ret >= 0;
	struct robj *o = NULL;
	struct w w;

	switch (c->req) {
	case IOMMU_IOAS_ALLOC: {
		const struct iommu_ioas_alloc *a = post;

		if (ok)
			o = obj_add(a->out_ioas_id, O_IOAS);
		step_begin(&w, "ioas-alloc");
		w_newname(&w, "name", c, o);
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok)
			w_u64(&w, "id", a->out_ioas_id);
		break;
	}
	case IOMMU_DESTROY: {
		const struct iommu_destroy *a = pre;
		struct robj *t = obj_find(a->id);

		if (missing(c, a->id, M_ANY & ~M(O_HWPT_AUTO), "object"))
			return;
		step_begin(&w, "destroy");
		w_ref(&w, "object", t->name);
		fail_part(&w, c);
		rec_begin(&w, c);
		w_u64(&w, "id", a->id);
		if (ok) {
			t->alive = false;
			if (t->kind == O_IOAS)
				map_remove(t->id, 0, 0, true);
		}
		break;
	}
	case IOMMU_IOAS_MAP:
	case IOMMU_IOAS_MAP_FILE: {
		bool file = c->req == IOMMU_IOAS_MAP_FILE;
		const struct iommu_ioas_map *m = pre, *mo = post;
		const struct iommu_ioas_map_file *f = pre, *fo = post;
		uint32_t flags = file ? f->flags : m->flags;
		uint32_t ioas = file ? f->ioas_id : m->ioas_id;
		uint64_t length = file ? f->length : m->length;
		uint64_t iova = file ? fo->iova : mo->iova;

		if (missing(c, ioas, M(O_IOAS), "IOAS"))
			return;
		if (file ? fd_is_dmabuf(f->fd) : va_is_device(m->user_va)) {
			if (ok && ndevmaps < sizeof(devmaps) / sizeof(devmaps[0]))
				devmaps[ndevmaps++] = (__typeof__(devmaps[0])){
					ioas, iova, length };
			opaque(c, file ? "a map of a dma-buf (device memory): a plan "
			       "maps RAM only" : "a map of a VFIO device region "
			       "(device memory): a plan maps RAM only");
			return;
		}
		step_begin(&w, "ioas-map");
		w_ref(&w, "ioas", name_of(ioas, M(O_IOAS)));
		w_u64(&w, "length", length);
		if (flags & IOMMU_IOAS_MAP_FIXED_IOVA) {
			w_hex(&w, "iova", file ? f->iova : m->iova);
		} else if (!file && m->user_va) {
			/* the kernel aligns the IOVA it picks like the address */
			uint64_t a = m->user_va & -m->user_va, l = 4096;

			while (l < length && l < (1ULL << 30))
				l <<= 1;
			w_hex(&w, "va-align", a < l ? (a < 4096 ? 4096 : a) : l);
		}
		w_bool(&w, "readable", flags & IOMMU_IOAS_MAP_READABLE);
		w_bool(&w, "writable", flags & IOMMU_IOAS_MAP_WRITEABLE);
		if (file) {
			w_bool(&w, "memfd", true);
			w_fmt(&w, ", \"comment\": \"IOMMU_IOAS_MAP_FILE of fd %d at "
			      "offset 0x%llx\"", f->fd, (unsigned long long)f->start);
		}
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok) {
			w_u64(&w, "iova", iova);
			map_add(ioas, iova, length);
		}
		break;
	}
	case IOMMU_IOAS_UNMAP: {
		const struct iommu_ioas_unmap *a = pre, *ao = post;
		bool all = a->iova == 0 && a->length == UINT64_MAX;

		if (missing(c, a->ioas_id, M(O_IOAS), "IOAS"))
			return;
		for (size_t i = 0; i < ndevmaps && !all; i++) {
			if (devmaps[i].ioas == a->ioas_id && devmaps[i].iova == a->iova &&
			    devmaps[i].length == a->length) {
				if (ok)
					devmaps[i] = devmaps[--ndevmaps];
				opaque(c, "the unmap of a device-memory map");
				return;
			}
		}
		step_begin(&w, "ioas-unmap");
		w_ref(&w, "ioas", name_of(a->ioas_id, M(O_IOAS)));
		if (all) {
			w_bool(&w, "all", true);
		} else {
			w_hex(&w, "iova", a->iova);
			w_u64(&w, "length", a->length);
		}
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok) {
			w_u64(&w, "unmapped", ao->length);
			map_remove(a->ioas_id, a->iova, a->length, all);
		}
		break;
	}
	case IOMMU_IOAS_COPY: {
		const struct iommu_ioas_copy *a = pre, *ao = post;

		if (missing(c, a->dst_ioas_id, M(O_IOAS), "IOAS") ||
		    missing(c, a->src_ioas_id, M(O_IOAS), "IOAS"))
			return;
		step_begin(&w, "ioas-copy");
		w_ref(&w, "dst", name_of(a->dst_ioas_id, M(O_IOAS)));
		w_ref(&w, "src", name_of(a->src_ioas_id, M(O_IOAS)));
		w_hex(&w, "src-iova", a->src_iova);
		w_u64(&w, "length", a->length);
		if (a->flags & IOMMU_IOAS_MAP_FIXED_IOVA)
			w_hex(&w, "iova", a->dst_iova);
		w_bool(&w, "readable", a->flags & IOMMU_IOAS_MAP_READABLE);
		w_bool(&w, "writable", a->flags & IOMMU_IOAS_MAP_WRITEABLE);
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok) {
			w_u64(&w, "iova", ao->dst_iova);
			map_add(a->dst_ioas_id, ao->dst_iova, a->length);
		}
		break;
	}
	case IOMMU_IOAS_IOVA_RANGES: {
		const struct iommu_ioas_iova_ranges *a = pre, *ao = post;
		struct iommu_iova_range r;

		if (missing(c, a->ioas_id, M(O_IOAS), "IOAS"))
			return;
		if (a->num_iovas > 64) {
			opaque(c, "more than 64 IOVA ranges asked for");
			return;
		}
		step_begin(&w, "ioas-iova-ranges");
		w_ref(&w, "ioas", name_of(a->ioas_id, M(O_IOAS)));
		w_u64(&w, "num", a->num_iovas);
		fail_part(&w, c);
		rec_begin(&w, c);
		w_u64(&w, "count", ao->num_iovas);
		if (ok) {
			w_u64(&w, "alignment", ao->out_iova_alignment);
			w_fmt(&w, ", \"ranges\": [");
			for (uint32_t i = 0; i < ao->num_iovas && i < a->num_iovas; i++) {
				if (!safe_read(a->allowed_iovas + i * sizeof(r), &r,
					       sizeof(r)))
					break;
				w_fmt(&w, "%s{\"start\": %llu, \"last\": %llu}",
				      i ? ", " : "", (unsigned long long)r.start,
				      (unsigned long long)r.last);
			}
			w_fmt(&w, "]");
		}
		break;
	}
	case IOMMU_IOAS_ALLOW_IOVAS: {
		const struct iommu_ioas_allow_iovas *a = pre;
		struct iommu_iova_range r;

		if (missing(c, a->ioas_id, M(O_IOAS), "IOAS"))
			return;
		if (a->num_iovas > 64) {
			opaque(c, "more than 64 allowed IOVA ranges");
			return;
		}
		step_begin(&w, "ioas-allow-iovas");
		w_ref(&w, "ioas", name_of(a->ioas_id, M(O_IOAS)));
		w_fmt(&w, ", \"ranges\": [");
		for (uint32_t i = 0; i < a->num_iovas; i++) {
			if (!safe_read(a->allowed_iovas + i * sizeof(r), &r, sizeof(r)))
				memset(&r, 0, sizeof(r));
			w_fmt(&w, "%s{\"start\": \"0x%llx\", \"last\": \"0x%llx\"}",
			      i ? ", " : "", (unsigned long long)r.start,
			      (unsigned long long)r.last);
		}
		w_fmt(&w, "]");
		fail_part(&w, c);
		rec_begin(&w, c);
		break;
	}
	case IOMMU_IOAS_CHANGE_PROCESS:
		step_begin(&w, "ioas-change-process");
		fail_part(&w, c);
		rec_begin(&w, c);
		break;
	case IOMMU_OPTION: {
		const struct iommu_option *a = pre, *ao = post;

		if (a->option_id > IOMMU_OPTION_HUGE_PAGES || a->op > 1) {
			opaque(c, "an option nestctl does not know");
			return;
		}
		if (a->object_id && missing(c, a->object_id, M(O_IOAS), "IOAS"))
			return;
		step_begin(&w, "option");
		w_s(&w, "option", a->option_id == IOMMU_OPTION_RLIMIT_MODE ?
			"rlimit-mode" : "huge-pages");
		if (a->object_id)
			w_ref(&w, "ioas", name_of(a->object_id, M(O_IOAS)));
		if (a->op == IOMMU_OPTION_OP_SET)
			w_u64(&w, "value", a->val64);
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok)
			w_u64(&w, "value", ao->val64);
		break;
	}
	case IOMMU_HWPT_ALLOC: {
		const struct iommu_hwpt_alloc *a = pre, *ao = post;
		struct robj *pt = obj_find(a->pt_id);

		if (missing(c, a->dev_id, M(O_DEVICE), "device") ||
		    missing(c, a->pt_id, M(O_IOAS) | M_HWPT | M(O_VIOMMU), "IOAS/HWPT/vIOMMU") ||
		    ((a->flags & IOMMU_HWPT_FAULT_ID_VALID) &&
		     missing(c, a->fault_id, M(O_FAULT), "fault queue")))
			return;
		if (a->data_type != IOMMU_HWPT_DATA_NONE &&
		    a->data_type != IOMMU_HWPT_DATA_SELFTEST &&
		    (a->data_len % 8 || !a->data_len || a->data_len > 512)) {
			opaque(c, "HWPT data that is not a whole number of 64-bit words");
			return;
		}
		if (a->flags & ~0xfu) {
			opaque(c, "HWPT flags nestctl does not know");
			return;
		}
		if (ok)
			o = obj_add(ao->out_hwpt_id, pt->kind == O_IOAS ?
				    O_HWPT_PAGING : O_HWPT_NESTED);
		step_begin(&w, "hwpt-alloc");
		w_newname(&w, "name", c, o);
		w_ref(&w, "dev", name_of(a->dev_id, M(O_DEVICE)));
		w_ref(&w, "pt", pt->name);
		if (a->flags & IOMMU_HWPT_ALLOC_NEST_PARENT)
			w_bool(&w, "nest-parent", true);
		if (a->flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
			w_bool(&w, "dirty-tracking", true);
		if (a->flags & IOMMU_HWPT_ALLOC_PASID)
			w_bool(&w, "pasid", true);
		if (a->flags & IOMMU_HWPT_FAULT_ID_VALID)
			w_ref(&w, "fault", name_of(a->fault_id, M(O_FAULT)));
		if (a->data_type == IOMMU_HWPT_DATA_SELFTEST) {
			uint32_t iotlb = 0;

			safe_read(a->data_uptr, &iotlb, sizeof(iotlb));
			w_fmt(&w, ", \"selftest\": {\"iotlb\": %u}", iotlb);
		} else if (a->data_type != IOMMU_HWPT_DATA_NONE) {
			/* vSTEs and other driver data: verbatim */
			w_words(&w, "data", a->data_uptr, a->data_len);
			w_u64(&w, "data-type", a->data_type);
		}
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok)
			w_u64(&w, "id", ao->out_hwpt_id);
		break;
	}
	case IOMMU_GET_HW_INFO: {
		const struct iommu_hw_info *a = pre, *ao = post;

		if (missing(c, a->dev_id, M(O_DEVICE), "device"))
			return;
		step_begin(&w, "hw-info");
		w_ref(&w, "dev", name_of(a->dev_id, M(O_DEVICE)));
		if (a->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE) {
			char t[16];

			snprintf(t, sizeof(t), "%u", a->in_data_type);
			w_s(&w, "type", t);
		}
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok) {
			w_u64(&w, "out-data-type", ao->out_data_type);
			w_hex(&w, "capabilities", ao->out_capabilities);
			w_u64(&w, "max-pasid-log2", ao->out_max_pasid_log2);
			w_u64(&w, "data-len", ao->data_len);
		}
		break;
	}
	case IOMMU_HWPT_SET_DIRTY_TRACKING: {
		const struct iommu_hwpt_set_dirty_tracking *a = pre;

		if (missing(c, a->hwpt_id, M_HWPT, "HWPT"))
			return;
		step_begin(&w, "hwpt-dirty-tracking");
		w_ref(&w, "hwpt", name_of(a->hwpt_id, M_HWPT));
		w_bool(&w, "enable", a->flags & 1);
		fail_part(&w, c);
		rec_begin(&w, c);
		break;
	}
	case IOMMU_HWPT_INVALIDATE: {
		const struct iommu_hwpt_invalidate *a = pre, *ao = post;
		struct robj *t = obj_find(a->hwpt_id);
		uint32_t len = a->entry_len;

		if (missing(c, a->hwpt_id, M_HWPT | M(O_VIOMMU), "HWPT/vIOMMU"))
			return;
		if (a->data_type == IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 ?
		    len < 16 : a->data_type == IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 ?
		    len < 24 : a->data_type == IOMMU_HWPT_INVALIDATE_DATA_SELFTEST ?
		    len < (t->kind == O_VIOMMU ? 12u : 8u) : true) {
			opaque(c, "an invalidation type or entry length nestctl "
			       "cannot build");
			return;
		}
		if (a->entry_num > 4096) {
			opaque(c, "more than 4096 invalidation entries");
			return;
		}
		step_begin(&w, "invalidate");
		w_ref(&w, "target", t->name);
		w_u64(&w, "type", a->data_type);
		w_fmt(&w, ", \"entries\": [");
		for (uint32_t i = 0; i < a->entry_num; i++) {
			uint64_t e[3] = { 0 };
			uint32_t u[3];

			safe_read(a->data_uptr + (uint64_t)i * len, e,
				  len < sizeof(e) ? len : sizeof(e));
			memcpy(u, e, sizeof(u));
			w_fmt(&w, "%s", i ? ", " : "");
			if (a->data_type == IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3)
				w_fmt(&w, "[\"0x%llx\", \"0x%llx\"]",
				      (unsigned long long)e[0], (unsigned long long)e[1]);
			else if (a->data_type == IOMMU_HWPT_INVALIDATE_DATA_VTD_S1)
				w_fmt(&w, "{\"addr\": \"0x%llx\", \"npages\": %llu, "
				      "\"flags\": %u}", (unsigned long long)e[0],
				      (unsigned long long)e[1], (uint32_t)e[2]);
			else if (t->kind == O_VIOMMU)
				w_fmt(&w, "{\"flags\": %u, \"vdev-id\": %u, "
				      "\"cache-id\": %u}", u[0], u[1], u[2]);
			else
				w_fmt(&w, "{\"flags\": %u, \"iotlb-id\": %u}", u[0], u[1]);
			if (!((i + 1) % 4))
				w_fmt(&w, "\n  ");
		}
		w_fmt(&w, "]");
		fail_part(&w, c);
		rec_begin(&w, c);
		w_u64(&w, "entries", a->entry_num);
		w_u64(&w, "processed", ao->entry_num);
		break;
	}
	case IOMMU_FAULT_QUEUE_ALLOC: {
		const struct iommu_fault_alloc *ao = post;

		if (ok)
			o = obj_add(ao->out_fault_id, O_FAULT);
		step_begin(&w, "fault-alloc");
		w_newname(&w, "name", c, o);
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok)
			w_u64(&w, "id", ao->out_fault_id);
		break;
	}
	case IOMMU_VIOMMU_ALLOC: {
		const struct iommu_viommu_alloc *a = pre, *ao = post;

		if (missing(c, a->dev_id, M(O_DEVICE), "device") ||
		    missing(c, a->hwpt_id, M_HWPT, "HWPT"))
			return;
		if (a->flags || (a->data_len && (a->data_len % 8 || a->data_len > 512))) {
			opaque(c, "vIOMMU flags or data nestctl cannot express");
			return;
		}
		if (ok)
			o = obj_add(ao->out_viommu_id, O_VIOMMU);
		step_begin(&w, "viommu-alloc");
		w_newname(&w, "name", c, o);
		w_ref(&w, "dev", name_of(a->dev_id, M(O_DEVICE)));
		w_ref(&w, "hwpt", name_of(a->hwpt_id, M_HWPT));
		w_u64(&w, "type", a->type);
		if (a->data_len)
			w_words(&w, "data", a->data_uptr, a->data_len);
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok)
			w_u64(&w, "id", ao->out_viommu_id);
		break;
	}
	case IOMMU_VDEVICE_ALLOC: {
		const struct iommu_vdevice_alloc *a = pre, *ao = post;

		if (missing(c, a->viommu_id, M(O_VIOMMU), "vIOMMU") ||
		    missing(c, a->dev_id, M(O_DEVICE), "device"))
			return;
		if (ok && (o = obj_add(ao->out_vdevice_id, O_VDEVICE)))
			o->owner = a->dev_id;
		step_begin(&w, "vdevice-alloc");
		w_newname(&w, "name", c, o);
		w_ref(&w, "viommu", name_of(a->viommu_id, M(O_VIOMMU)));
		w_ref(&w, "dev", name_of(a->dev_id, M(O_DEVICE)));
		w_hex(&w, "virt-id", a->virt_id);
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok)
			w_u64(&w, "id", ao->out_vdevice_id);
		break;
	}
	case IOMMU_VEVENTQ_ALLOC: {
		const struct iommu_veventq_alloc *a = pre, *ao = post;

		if (missing(c, a->viommu_id, M(O_VIOMMU), "vIOMMU"))
			return;
		if (a->flags) {
			opaque(c, "vEVENTQ flags nestctl does not know");
			return;
		}
		if (ok)
			o = obj_add(ao->out_veventq_id, O_VEVENTQ);
		step_begin(&w, "veventq-alloc");
		w_newname(&w, "name", c, o);
		w_ref(&w, "viommu", name_of(a->viommu_id, M(O_VIOMMU)));
		w_u64(&w, "type", a->type);
		w_u64(&w, "depth", a->veventq_depth);
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok)
			w_u64(&w, "id", ao->out_veventq_id);
		break;
	}
	case IOMMU_HW_QUEUE_ALLOC: {
		const struct iommu_hw_queue_alloc *a = pre, *ao = post;

		if (missing(c, a->viommu_id, M(O_VIOMMU), "vIOMMU"))
			return;
		if (a->flags) {
			opaque(c, "HW queue flags nestctl does not know");
			return;
		}
		if (ok)
			o = obj_add(ao->out_hw_queue_id, O_HWQUEUE);
		step_begin(&w, "hw-queue-alloc");
		w_newname(&w, "name", c, o);
		w_ref(&w, "viommu", name_of(a->viommu_id, M(O_VIOMMU)));
		w_u64(&w, "type", a->type);
		w_u64(&w, "index", a->index);
		w_hex(&w, "iova", a->nesting_parent_iova);
		w_u64(&w, "length", a->length);
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok)
			w_u64(&w, "id", ao->out_hw_queue_id);
		break;
	}
	default:
		opaque(c, ioctl_name(c->req) ? "no plan operation for this ioctl" :
		       "an ioctl the recorder does not know");
		return;
	}
	w_fmt(&w, "}");
	step_end(&w);
}

static void rec_vfio(struct call *c)
{
	struct rcdev *cd = c->cdev;
	bool ok = c->ret >= 0;
	struct w w;

	switch (c->req) {
	case VFIO_DEVICE_BIND_IOMMUFD: {
		const struct vfio_device_bind_iommufd *a = (const void *)c->pre.b;
		const struct vfio_device_bind_iommufd *ao = (const void *)c->post.b;
		struct robj *o = NULL;

		if (a->iommufd < 0 || a->iommufd >= FD_MAX ||
		    atomic_load(&fdkind[a->iommufd]) != FD_IOMMU) {
			opaque(c, "bound to an iommufd that is not the recorded context");
			return;
		}
		if (a->flags) {
			opaque(c, "bind with a VF token: not expressible in a plan");
			return;
		}
		if (ok) {
			o = obj_add(ao->out_devid, O_DEVICE);
			cd->bound = true;
			cd->dev_id = ao->out_devid;
		}
		step_begin(&w, "device-bind");
		w_newname(&w, "name", c, o);
		w_s(&w, "device", cd->path);
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok)
			w_u64(&w, "id", ao->out_devid);
		break;
	}
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT: {
		const struct vfio_device_attach_iommufd_pt *a = (const void *)c->pre.b;
		const struct vfio_device_attach_iommufd_pt *ao = (const void *)c->post.b;
		struct robj *pt = obj_find(a->pt_id), *dev;
		bool pasid = a->flags & VFIO_DEVICE_ATTACH_PASID;
		bool attached = false;

		if (!cd->bound || !(dev = obj_find(cd->dev_id))) {
			opaque(c, "attach of a device that is not bound in this recording");
			return;
		}
		if (missing(c, a->pt_id, M(O_IOAS) | M_HWPT, "IOAS/HWPT"))
			return;
		for (size_t i = 0; i < nobjs; i++)
			attached |= objs[i].alive && objs[i].kind == O_HWPT_AUTO &&
				    objs[i].owner == cd->dev_id;
		step_begin(&w, pasid ? "device-pasid-attach" : "device-attach");
		w_ref(&w, "dev", dev->name);
		if (pasid)
			w_u64(&w, "pasid", a->pasid);
		w_ref(&w, "pt", pt->name);
		if (ok && !pasid) {
			uint32_t dev_id = cd->dev_id;

			forget_auto(dev_id, ao->pt_id);
			if (pt->kind == O_IOAS && !obj_find(ao->pt_id)) {
				struct robj *h = obj_add(ao->pt_id, O_HWPT_AUTO);

				if (h) {
					h->owner = dev_id;
					w_s(&w, "hwpt-name", h->name);
				}
			}
		}
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok)
			w_u64(&w, "hwpt", ao->pt_id);
		(void)attached;
		break;
	}
	case VFIO_DEVICE_DETACH_IOMMUFD_PT: {
		const struct vfio_device_detach_iommufd_pt *a = (const void *)c->pre.b;
		bool pasid = a->flags & VFIO_DEVICE_DETACH_PASID;
		struct robj *dev;

		if (!cd->bound || !(dev = obj_find(cd->dev_id))) {
			opaque(c, "detach of a device that is not bound in this recording");
			return;
		}
		step_begin(&w, pasid ? "device-pasid-detach" : "device-detach");
		w_ref(&w, "dev", dev->name);
		if (pasid)
			w_u64(&w, "pasid", a->pasid);
		fail_part(&w, c);
		rec_begin(&w, c);
		if (ok && !pasid)
			forget_auto(cd->dev_id, 0);
		break;
	}
	default:
		opaque(c, ioctl_name(c->req) ? "VFIO device ioctl outside the "
		       "iommufd interface: not replayed" :
		       "an ioctl the recorder does not know");
		return;
	}
	w_fmt(&w, "}");
	step_end(&w);
}

/* ---- the interposers ---- */

static int record_ioctl(int fd, unsigned char kind, unsigned long req, void *arg)
{
	struct call c = { .fd = fd, .kind = kind, .req = req };
	bool locked;
	int ret;

	c.len = arg_size(kind, req);
	if (kind == FD_VFIO && req == VFIO_DEVICE_BIND_IOMMUFD) {
		struct vfio_device_bind_iommufd b;

		/* the context must be known before the lock is taken */
		if (safe_read((uintptr_t)arg, &b, sizeof(b)) && b.iommufd >= 0 &&
		    b.iommufd < FD_MAX &&
		    atomic_load(&fdkind[b.iommufd]) == FD_UNKNOWN)
			classify(b.iommufd);
	}
	if (c.len) {
		uint32_t sz = 0;

		/* the first u32 is the caller's size (argsz for VFIO) */
		if (!safe_read((uintptr_t)arg, &sz, 4))
			c.len = 0;
		else if (sz < c.len)
			c.len = sz < 4 ? 0 : sz;
		if (c.len && !safe_read((uintptr_t)arg, c.pre.b, c.len))
			c.len = 0;
	}
	/* State changes run under the lock: the recorded order is the
	 * kernel's.  Opaque calls (VFIO regions, IRQs, resets) do not. */
	locked = c.len != 0;
	in_recorder = 1;
	if (locked)
		pthread_mutex_lock(&lock);
	ret = real_ioctl(fd, req, arg);
	c.ret = ret;
	c.err = ret < 0 ? errno : 0;
	if (!locked)
		pthread_mutex_lock(&lock);
	if (c.len)
		memcpy(c.post.b, c.pre.b, c.len);
	/* also on failure: entry_num and num_iovas are written back */
	if (c.len && !safe_read((uintptr_t)arg, c.post.b, c.len))
		c.len = 0;
	ncalls++;
	if (!finished && !ctx_closed) {
		c.cdev = kind == FD_VFIO ? cdev_of(fd) : NULL;
		if (kind == FD_IOMMU_LATER)
			opaque(&c, "a second iommufd context: a plan runs on one");
		else if (kind == FD_VFIO && !c.cdev)
			opaque(&c, "a VFIO cdev the recorder lost track of");
		else if (!c.len && arg_size(kind, req))
			opaque(&c, "arguments unreadable (the kernel saw the same)");
		else if (kind == FD_VFIO)
			rec_vfio(&c);
		else
			rec_iommu(&c);
	} else {
		nmissed++;
	}
	pthread_mutex_unlock(&lock);
	in_recorder = 0;
	errno = c.err;
	return ret;
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
	unsigned char k;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	RESOLVE(real_ioctl, "ioctl");
	if (!enabled || fd < 0 || fd >= FD_MAX || in_recorder)
		return real_ioctl(fd, req, arg);
	k = atomic_load_explicit(&fdkind[fd], memory_order_relaxed);
	if (k == FD_OTHER)
		return real_ioctl(fd, req, arg);
	/* A forked child is not this recording, and must not take a lock
	 * that another thread of the parent may have held at fork(). */
	if (getpid() != rec_pid)
		return real_ioctl(fd, req, arg);
	if (k == FD_UNKNOWN) {
		int e = errno;

		k = classify(fd);
		errno = e;
		if (k == FD_OTHER)
			return real_ioctl(fd, req, arg);
	}
	return record_ioctl(fd, k, req, arg);
}

/* fd is going away (close, or the target of dup2/dup3). */
static void forget_fd(int fd)
{
	unsigned char k;

	if (!enabled || fd < 0 || fd >= FD_MAX)
		return;
	k = atomic_load_explicit(&fdkind[fd], memory_order_relaxed);
	if ((k == FD_IOMMU || k == FD_VFIO) && getpid() == rec_pid && !in_recorder) {
		in_recorder = 1;
		pthread_mutex_lock(&lock);
		if (k == FD_IOMMU && --ctx_nfds <= 0 && ctx_open) {
			ctx_open = false;
			ctx_closed = true;
			ctx_fd = -1;
			write_trailer();
		} else if (k == FD_IOMMU && fd == ctx_fd) {
			ctx_fd = -1;
			for (int i = 0; i < FD_MAX && ctx_fd < 0; i++)
				if (i != fd && atomic_load(&fdkind[i]) == FD_IOMMU)
					ctx_fd = i;
		}
		if (k == FD_VFIO) {
			struct rcdev *cd = cdev_of(fd);

			if (cd && cd->bound && !ctx_closed && !finished) {
				struct robj *dev = obj_find(cd->dev_id);
				struct w w;

				if (dev && dev->kind == O_DEVICE) {
					step_begin(&w, "destroy");
					w_ref(&w, "object", dev->name);
					w_fmt(&w, ", \"comment\": \"close() of %s\"", cd->path);
					w_fmt(&w, ", \"recorded\": {\"call\": %lu, "
					      "\"close\": true}", ncalls);
					dev->alive = false;
					forget_auto(cd->dev_id, 0);
					/* the kernel destroys its vDEVICEs */
					for (size_t i = 0; i < nobjs; i++)
						if (objs[i].alive &&
						    objs[i].kind == O_VDEVICE &&
						    objs[i].owner == cd->dev_id)
							objs[i].alive = false;
					step_end(&w);
				}
			}
			if (cd)
				cd->used = false;
		}
		pthread_mutex_unlock(&lock);
		in_recorder = 0;
	}
	atomic_store_explicit(&fdkind[fd], FD_UNKNOWN, memory_order_relaxed);
}

/* fd was just created: classify it from its path (opens) or lazily. */
static void new_fd(int fd, const char *path)
{
	if (!enabled || fd < 0 || fd >= FD_MAX || getpid() != rec_pid)
		return;
	if (!path || path[0] != '/' || in_recorder) {
		atomic_store_explicit(&fdkind[fd], FD_UNKNOWN, memory_order_relaxed);
		return;
	}
	in_recorder = 1;
	pthread_mutex_lock(&lock);
	atomic_store_explicit(&fdkind[fd], classify_path(fd, path, true),
			      memory_order_relaxed);
	pthread_mutex_unlock(&lock);
	in_recorder = 0;
}

EXPORT int close(int fd)
{
	RESOLVE(real_close, "close");
	forget_fd(fd);
	return real_close(fd);
}

#define OPEN_BODY(realfn, ...)                                          \
	mode_t mode = 0;                                                \
	int fd, e;                                                      \
	if ((flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE) { \
		va_list ap;                                             \
		va_start(ap, flags);                                    \
		mode = va_arg(ap, mode_t);                              \
		va_end(ap);                                             \
	}                                                               \
	fd = realfn(__VA_ARGS__, mode);                                 \
	e = errno;                                                      \
	if (fd >= 0)                                                    \
		new_fd(fd, path);                                       \
	errno = e;                                                      \
	return fd;

EXPORT int open(const char *path, int flags, ...)
{
	RESOLVE(real_open, "open");
	OPEN_BODY(real_open, path, flags)
}

EXPORT int open64(const char *path, int flags, ...)
{
	RESOLVE(real_open64, "open64");
	OPEN_BODY(real_open64, path, flags)
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	RESOLVE(real_openat, "openat");
	OPEN_BODY(real_openat, dirfd, path, flags)
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	RESOLVE(real_openat64, "openat64");
	OPEN_BODY(real_openat64, dirfd, path, flags)
}

/* _FORTIFY_SOURCE's open: an absolute path is classified by it, others lazily. */
EXPORT int __open_2(const char *path, int flags);
EXPORT int __open_2(const char *path, int flags)
{
	int fd, e;

	RESOLVE(real_open, "open");
	fd = real_open(path, flags);
	e = errno;
	if (fd >= 0)
		new_fd(fd, path);
	errno = e;
	return fd;
}

EXPORT int __open64_2(const char *path, int flags);
EXPORT int __open64_2(const char *path, int flags)
{
	return __open_2(path, flags);
}

EXPORT int dup(int old)
{
	int fd, e;

	RESOLVE(real_dup, "dup");
	fd = real_dup(old);
	e = errno;
	if (fd >= 0)
		new_fd(fd, NULL);
	errno = e;
	return fd;
}

EXPORT int dup2(int old, int newfd)
{
	int fd, e;

	RESOLVE(real_dup2, "dup2");
	if (old != newfd)
		forget_fd(newfd);
	fd = real_dup2(old, newfd);
	e = errno;
	if (fd >= 0 && old != newfd)
		new_fd(fd, NULL);
	errno = e;
	return fd;
}

EXPORT int dup3(int old, int newfd, int flags)
{
	int fd, e;

	RESOLVE(real_dup3, "dup3");
	if (old != newfd)
		forget_fd(newfd);
	fd = real_dup3(old, newfd, flags);
	e = errno;
	if (fd >= 0)
		new_fd(fd, NULL);
	errno = e;
	return fd;
}

/* Descriptors passed with SCM_RIGHTS (libvirt hands QEMU its iommufd). */
EXPORT ssize_t recvmsg(int sock, struct msghdr *msg, int flags)
{
	ssize_t r;
	int e;

	RESOLVE(real_recvmsg, "recvmsg");
	r = real_recvmsg(sock, msg, flags);
	e = errno;
	if (r >= 0 && msg) {
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm;
		     cm = CMSG_NXTHDR(msg, cm)) {
			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
				new_fd(fd, NULL);
			}
		}
	}
	errno = e;
	return r;
}

/* ---- start and end ---- */

static void finish(void)
{
	if (!enabled || getpid() != rec_pid)
		return;
	pthread_mutex_lock(&lock);
	if (!finished) {
		finished = true;
		write_trailer();
	}
	pthread_mutex_unlock(&lock);
}

__attribute__((constructor)) static void rec_init(void)
{
	const char *path = getenv("NESTIOMMU_RECORD");
	char cmd[256] = "";
	struct w w = { 0 };
	int fd, cfd;
	ssize_t n;

	RESOLVE(real_ioctl, "ioctl");
	RESOLVE(real_open, "open");
	RESOLVE(real_close, "close");
	if (!path || !*path)
		return;
	fd = real_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		char m[PATH_MAX + 80];
		int l = snprintf(m, sizeof(m), "libnestiommu-record: cannot write %s: %s"
				 " (not recording)\n", path, strerror(errno));

		n = write(2, m, (size_t)l < sizeof(m) ? (size_t)l : sizeof(m) - 1);
		(void)n;
		return;
	}
	if (fd < FD_MAX)
		atomic_store(&fdkind[fd], FD_OTHER);
	out_fd = fd;
	rec_pid = getpid();
	if (!pipe2(probe_pipe, O_CLOEXEC | O_NONBLOCK)) {
		for (int i = 0; i < 2; i++)
			if (probe_pipe[i] < FD_MAX)
				atomic_store(&fdkind[probe_pipe[i]], FD_OTHER);
	}
	cfd = real_open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (cfd >= 0) {
		n = read(cfd, cmd, sizeof(cmd) - 1);
		real_close(cfd);
		for (ssize_t i = 0; i < n - 1; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		if (n > 0)
			cmd[n] = '\0';
	}
	snprintf(header_comment, sizeof(header_comment),
		 "recorded by libnestiommu-record from pid %d: %s", (int)rec_pid, cmd);
	w_fmt(&w, "{\"comment\": ");
	w_jstr(&w, header_comment);
	w_fmt(&w, ",\n\"steps\": [");
	w_flush(&w);
	steps_off = w.off;
	write_trailer();
	enabled = true;
	atexit(finish);
}

__attribute__((destructor)) static void rec_fini(void)
{
	finish();
}
