// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fake-kernel: descriptors, interposers, the call log and the control API.
 * The iommufd/VFIO model itself is in fake-iommufd.c.  See fake-kernel.h.
 */
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fake-internal.h"

/* ------------------------------------------------------------------ */
/* Real libc entry points                                              */

struct fk_real fk_real;

static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void *must_dlsym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		fprintf(stderr, "fake-kernel: dlsym(%s): %s\n", name, dlerror());
		abort();
	}
	return p;
}

static void real_init(void)
{
	fk_real.open = must_dlsym("open");
	fk_real.openat = must_dlsym("openat");
	fk_real.ioctl = must_dlsym("ioctl");
	fk_real.read = must_dlsym("read");
	fk_real.write = must_dlsym("write");
	fk_real.close = must_dlsym("close");
	fk_real.dup = must_dlsym("dup");
	fk_real.dup2 = must_dlsym("dup2");
	fk_real.dup3 = must_dlsym("dup3");
	fk_real.fcntl = must_dlsym("fcntl");
	fk_real.fstat = must_dlsym("fstat");
	fk_real.stat = must_dlsym("stat");
	fk_real.lstat = must_dlsym("lstat");
	fk_real.access = must_dlsym("access");
	fk_real.readlink = must_dlsym("readlink");
	fk_real.opendir = must_dlsym("opendir");
	fk_real.fopen = must_dlsym("fopen");
}

static void ensure_real(void)
{
	pthread_once(&real_once, real_init);
}

/* ------------------------------------------------------------------ */
/* Global lock: every fake operation runs under it.                    */

static pthread_mutex_t fk_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static bool fk_initialized;

void fk_lock(void)
{
	ensure_real();
	pthread_mutex_lock(&fk_mutex);
	if (!fk_initialized) {
		fk_initialized = true;
		fk_model_reset();
	}
}

void fk_unlock(void)
{
	pthread_mutex_unlock(&fk_mutex);
}

/* ------------------------------------------------------------------ */
/* Descriptor table                                                    */

static struct fk_file **fd_table;
static unsigned int fd_table_len;

struct fk_file *fk_fd_file(int fd)
{
	if (fd < 0 || (unsigned int)fd >= fd_table_len)
		return NULL;
	return fd_table[fd];
}

static void fd_set_file(int fd, struct fk_file *f)
{
	if ((unsigned int)fd >= fd_table_len) {
		unsigned int n = fd_table_len ? fd_table_len : 64;
		struct fk_file **t;

		while (n <= (unsigned int)fd)
			n *= 2;
		t = realloc(fd_table, n * sizeof(*t));
		if (!t)
			abort();
		memset(t + fd_table_len, 0, (n - fd_table_len) * sizeof(*t));
		fd_table = t;
		fd_table_len = n;
	}
	fd_table[fd] = f;
}

unsigned int fk_nr_fds(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < fd_table_len; i++)
		if (fd_table[i])
			n++;
	return n;
}

/* Install a new descriptor for a new file; returns the fd or -errno. */
int fk_fd_install(struct fk_file *f, bool cloexec)
{
	int fd;

	if (f->ev < 0) {
		fd = eventfd(0, EFD_NONBLOCK | (cloexec ? EFD_CLOEXEC : 0));
		if (fd < 0)
			return -errno;
	} else {
		fd = fk_real.fcntl(f->ev, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
		if (fd < 0)
			return -errno;
	}
	f->refs++;
	fd_set_file(fd, f);
	return fd;
}

/* Signal readiness of a queue file (poll/epoll on its descriptors). */
void fk_file_set_ready(struct fk_file *f, bool ready)
{
	uint64_t v;

	if (f->ev < 0 || f->ready == ready)
		return;
	if (ready) {
		v = 1;
		if (fk_real.write(f->ev, &v, sizeof(v)) != sizeof(v))
			return;
	} else {
		if (fk_real.read(f->ev, &v, sizeof(v)) != sizeof(v))
			return;
	}
	f->ready = ready;
}

/* Drop one descriptor reference of a file (the fd is already closed). */
static void file_put(struct fk_file *f)
{
	if (--f->refs)
		return;
	fk_model_file_release(f);
	if (f->ev >= 0)
		fk_real.close(f->ev);
	free(f);
}

/* ------------------------------------------------------------------ */
/* Call log                                                            */

/* One allocation per call: pointers stay valid until reset/clear. */
static struct fk_call **calls;
static unsigned int nr_calls, cap_calls;

struct fk_call *fk_log_new(enum fk_call_kind kind, int fd)
{
	struct fk_call *c;
	struct fk_file *f = fk_fd_file(fd);

	if (nr_calls == cap_calls) {
		unsigned int n = cap_calls ? cap_calls * 2 : 256;
		struct fk_call **t = realloc(calls, n * sizeof(*t));

		if (!t)
			abort();
		calls = t;
		cap_calls = n;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	calls[nr_calls++] = c;
	c->kind = kind;
	c->fd = fd;
	c->file_kind = f ? f->kind : FK_FILE_NONE;
	return c;
}

void fk_log_aux(struct fk_call *c, const void *p, size_t len)
{
	uint8_t *a;

	if (!c || !p || !len)
		return;
	if (len > 65536)
		len = 65536;
	a = realloc((void *)c->aux, c->aux_len + len);
	if (!a)
		abort();
	memcpy(a + c->aux_len, p, len);
	c->aux = a;
	c->aux_len += (uint32_t)len;
}

static void log_clear(void)
{
	unsigned int i;

	for (i = 0; i < nr_calls; i++) {
		free((void *)calls[i]->aux);
		free(calls[i]);
	}
	nr_calls = 0;
}

/* Return convention of the interposers: set errno from a -errno. */
static long ret_errno(long rc)
{
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

static void log_ret(struct fk_call *c, long rc)
{
	if (!c)
		return;
	c->ret = rc < 0 ? -1 : rc;
	c->err = rc < 0 ? (int)-rc : 0;
}

/* ------------------------------------------------------------------ */
/* sysfs redirection (kmod's path.c): /sys/... -> $root/sys/...        */

static char sysfs_root[PATH_MAX];
static bool sysfs_env_read;

FK_API void fake_kernel_set_sysfs_root(const char *dir)
{
	fk_lock();
	sysfs_env_read = true;
	snprintf(sysfs_root, sizeof(sysfs_root), "%s", dir ? dir : "");
	fk_unlock();
}

/* The path to use for path: itself, or buf holding the redirected one. */
static const char *sysfs_path(const char *path, char *buf, size_t len)
{
	const char *out = path;

	if (!path || path[0] != '/')
		return path;
	fk_lock();
	if (!sysfs_env_read) {
		const char *env = getenv("FAKE_KERNEL_SYSFS");

		sysfs_env_read = true;
		if (env)
			snprintf(sysfs_root, sizeof(sysfs_root), "%s", env);
	}
	if (sysfs_root[0] &&
	    (!strncmp(path, "/sys/", 5) || !strcmp(path, "/sys"))) {
		snprintf(buf, len, "%s%s", sysfs_root, path);
		out = buf;
	}
	fk_unlock();
	return out;
}

FK_API int stat(const char *path, struct stat *st)
{
	char buf[PATH_MAX];

	ensure_real();
	return fk_real.stat(sysfs_path(path, buf, sizeof(buf)), st);
}

FK_API int lstat(const char *path, struct stat *st)
{
	char buf[PATH_MAX];

	ensure_real();
	return fk_real.lstat(sysfs_path(path, buf, sizeof(buf)), st);
}

FK_API int access(const char *path, int mode)
{
	char buf[PATH_MAX];

	ensure_real();
	return fk_real.access(sysfs_path(path, buf, sizeof(buf)), mode);
}

/*
 * /proc/self/fd/N of a fake descriptor names what it was opened as, as the
 * kernel's does (libnestiommu-record classifies descriptors that way).
 */
static ssize_t fake_fd_link(const char *path, char *out, size_t len)
{
	char name[64];
	struct fk_file *f;
	int fd, n = 0;

	if (sscanf(path, "/proc/self/fd/%d%n", &fd, &n) != 1 || path[n])
		return -1;
	fk_lock();
	f = fk_fd_file(fd);
	if (f && f->kind == FK_FILE_IOMMUFD)
		snprintf(name, sizeof(name), "/dev/iommu");
	else if (f && f->kind == FK_FILE_VFIO)
		snprintf(name, sizeof(name), "/dev/vfio/devices/vfio%u", f->dev_index);
	else if (f)
		snprintf(name, sizeof(name), "anon_inode:[iommufd]");
	fk_unlock();
	if (!f)
		return -1;
	n = (int)strlen(name);
	if ((size_t)n > len)
		n = (int)len;
	memcpy(out, name, (size_t)n);
	return n;
}

FK_API ssize_t readlink(const char *path, char *out, size_t len)
{
	char buf[PATH_MAX];
	ssize_t n;

	ensure_real();
	if ((n = fake_fd_link(path, out, len)) >= 0)
		return n;
	return fk_real.readlink(sysfs_path(path, buf, sizeof(buf)), out, len);
}

/* _FORTIFY_SOURCE callers with a known buffer size come here instead. */
FK_API ssize_t __readlink_chk(const char *path, char *out, size_t len,
			      size_t outlen);
FK_API ssize_t __readlink_chk(const char *path, char *out, size_t len,
			      size_t outlen)
{
	if (len > outlen)
		abort();
	return readlink(path, out, len);
}

FK_API DIR *opendir(const char *path)
{
	char buf[PATH_MAX];

	ensure_real();
	return fk_real.opendir(sysfs_path(path, buf, sizeof(buf)));
}

FK_API FILE *fopen(const char *path, const char *mode)
{
	char buf[PATH_MAX];

	ensure_real();
	return fk_real.fopen(sysfs_path(path, buf, sizeof(buf)), mode);
}

FK_API FILE *fopen64(const char *path, const char *mode);
FK_API FILE *fopen64(const char *path, const char *mode)
{
	return fopen(path, mode);
}

/* ------------------------------------------------------------------ */
/* Interposers                                                         */

static int fake_open(const char *path, int flags, bool *handled)
{
	struct fk_call *c;
	int rc;

	*handled = false;
	ensure_real();
	if (!path || path[0] != '/')
		return 0;
	fk_lock();
	rc = fk_model_open(path, flags, handled);
	if (*handled) {
		c = fk_log_new(FK_CALL_OPEN, rc);
		snprintf(c->path, sizeof(c->path), "%s", path);
		c->request = (unsigned long)flags;
		if (rc >= 0)
			c->file_kind = fk_fd_file(rc)->kind;
		log_ret(c, rc);
	}
	fk_unlock();
	return rc;
}

static mode_t va_mode(int flags, va_list ap)
{
	if (flags & (O_CREAT | O_TMPFILE))
		return (mode_t)va_arg(ap, int);
	return 0;
}

FK_API int open(const char *path, int flags, ...)
{
	char buf[PATH_MAX];
	bool handled;
	mode_t mode;
	va_list ap;
	int rc;

	va_start(ap, flags);
	mode = va_mode(flags, ap);
	va_end(ap);
	rc = fake_open(path, flags, &handled);
	if (handled)
		return (int)ret_errno(rc);
	return fk_real.open(sysfs_path(path, buf, sizeof(buf)), flags, mode);
}

FK_API int open64(const char *path, int flags, ...)
{
	char buf[PATH_MAX];
	bool handled;
	mode_t mode;
	va_list ap;
	int rc;

	va_start(ap, flags);
	mode = va_mode(flags, ap);
	va_end(ap);
	rc = fake_open(path, flags, &handled);
	if (handled)
		return (int)ret_errno(rc);
	return fk_real.open(sysfs_path(path, buf, sizeof(buf)),
			    flags | O_LARGEFILE, mode);
}

FK_API int __open_2(const char *path, int flags);
FK_API int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

FK_API int __open64_2(const char *path, int flags);
FK_API int __open64_2(const char *path, int flags)
{
	return open64(path, flags);
}

FK_API int openat(int dirfd, const char *path, int flags, ...)
{
	char buf[PATH_MAX];
	bool handled;
	mode_t mode;
	va_list ap;
	int rc;

	va_start(ap, flags);
	mode = va_mode(flags, ap);
	va_end(ap);
	/* Only absolute paths can name the fake nodes. */
	rc = fake_open(path, flags, &handled);
	if (handled)
		return (int)ret_errno(rc);
	return fk_real.openat(dirfd, sysfs_path(path, buf, sizeof(buf)), flags,
			      mode);
}

FK_API int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode;
	va_list ap;

	va_start(ap, flags);
	mode = va_mode(flags, ap);
	va_end(ap);
	return openat(dirfd, path, flags | O_LARGEFILE, mode);
}

FK_API int __openat_2(int dirfd, const char *path, int flags);
FK_API int __openat_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}

FK_API int __openat64_2(int dirfd, const char *path, int flags);
FK_API int __openat64_2(int dirfd, const char *path, int flags)
{
	return openat64(dirfd, path, flags);
}

FK_API int ioctl(int fd, unsigned long request, ...)
{
	struct fk_file *f;
	va_list ap;
	void *arg;
	long rc;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	fk_lock();
	f = fk_fd_file(fd);
	if (!f) {
		fk_unlock();
		return fk_real.ioctl(fd, request, arg);
	}
	rc = fk_model_ioctl(f, fd, request, arg);
	fk_unlock();
	return (int)ret_errno(rc);
}

FK_API ssize_t read(int fd, void *buf, size_t count)
{
	struct fk_file *f;
	struct fk_call *c;
	long rc;

	fk_lock();
	f = fk_fd_file(fd);
	if (!f) {
		fk_unlock();
		return fk_real.read(fd, buf, count);
	}
	c = fk_log_new(FK_CALL_READ, fd);
	c->count = count;
	rc = fk_model_read(f, buf, count);
	if (rc > 0) {
		c->len = (uint32_t)(rc < FK_PAYLOAD_MAX ? rc : FK_PAYLOAD_MAX);
		memcpy(c->out, buf, c->len);
	}
	log_ret(c, rc);
	fk_unlock();
	return ret_errno(rc);
}

/* _FORTIFY_SOURCE callers with a known buffer size come here instead. */
FK_API ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen);
FK_API ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
	if (count > buflen)
		abort();
	return read(fd, buf, count);
}

FK_API ssize_t write(int fd, const void *buf, size_t count)
{
	struct fk_file *f;
	struct fk_call *c;
	long rc;

	fk_lock();
	f = fk_fd_file(fd);
	if (!f) {
		fk_unlock();
		return fk_real.write(fd, buf, count);
	}
	c = fk_log_new(FK_CALL_WRITE, fd);
	c->count = count;
	if (buf) {
		c->len = (uint32_t)(count < FK_PAYLOAD_MAX ? count : FK_PAYLOAD_MAX);
		memcpy(c->in, buf, c->len);
	}
	rc = fk_model_write(f, buf, count);
	log_ret(c, rc);
	fk_unlock();
	return ret_errno(rc);
}

FK_API int close(int fd)
{
	struct fk_file *f;
	struct fk_call *c;
	int rc;

	fk_lock();
	f = fk_fd_file(fd);
	if (!f) {
		fk_unlock();
		return fk_real.close(fd);
	}
	c = fk_log_new(FK_CALL_CLOSE, fd);
	fd_set_file(fd, NULL);
	rc = fk_real.close(fd);
	log_ret(c, rc < 0 ? -errno : 0);
	file_put(f);
	fk_unlock();
	return rc;
}

/* A real dup of a fake descriptor: the new fd refers to the same file. */
static int dup_result(int oldfd, int newfd)
{
	struct fk_file *f = fk_fd_file(oldfd);
	struct fk_file *old = fk_fd_file(newfd);
	struct fk_call *c;

	if (newfd < 0)
		return newfd;
	if (old && old != f) {
		fd_set_file(newfd, NULL);
		file_put(old);
	}
	if (f && old != f) {
		f->refs++;
		fd_set_file(newfd, f);
		c = fk_log_new(FK_CALL_DUP, newfd);
		c->request = (unsigned long)oldfd;
		c->ret = newfd;
	} else if (!f && old) {
		/* dup2 of a foreign fd over a fake one closed the fake one. */
		fd_set_file(newfd, NULL);
	}
	return newfd;
}

FK_API int dup(int oldfd)
{
	int rc;

	fk_lock();
	rc = fk_real.dup(oldfd);
	dup_result(oldfd, rc);
	fk_unlock();
	return rc;
}

FK_API int dup2(int oldfd, int newfd)
{
	int rc;

	fk_lock();
	rc = fk_real.dup2(oldfd, newfd);
	if (rc >= 0 && oldfd != newfd)
		dup_result(oldfd, rc);
	fk_unlock();
	return rc;
}

FK_API int dup3(int oldfd, int newfd, int flags)
{
	int rc;

	fk_lock();
	rc = fk_real.dup3(oldfd, newfd, flags);
	if (rc >= 0)
		dup_result(oldfd, rc);
	fk_unlock();
	return rc;
}

FK_API int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;
	int rc;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	fk_lock();
	rc = fk_real.fcntl(fd, cmd, arg);
	if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		dup_result(fd, rc);
	fk_unlock();
	return rc;
}

FK_API int fcntl64(int fd, int cmd, ...);
FK_API int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return fcntl(fd, cmd, arg);
}

static void fake_stat(struct fk_file *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_nlink = 1;
	st->st_blksize = 4096;
	switch (f->kind) {
	case FK_FILE_IOMMUFD:
		st->st_mode = S_IFCHR | 0660;
		st->st_rdev = makedev(10, 123);
		break;
	case FK_FILE_VFIO:
		st->st_mode = S_IFCHR | 0600;
		st->st_rdev = makedev(511, f->dev_index);
		break;
	default:
		/* anon_inode: no file type bits */
		st->st_mode = 0600;
		break;
	}
}

FK_API int fstat(int fd, struct stat *st)
{
	struct fk_file *f;

	fk_lock();
	f = fk_fd_file(fd);
	if (f) {
		fake_stat(f, st);
		fk_unlock();
		return 0;
	}
	fk_unlock();
	return fk_real.fstat(fd, st);
}

FK_API int fstat64(int fd, struct stat64 *st);
FK_API int fstat64(int fd, struct stat64 *st)
{
	/* struct stat and struct stat64 are the same on LP64. */
	_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "LP64");
	return fstat(fd, (struct stat *)st);
}

/* ------------------------------------------------------------------ */
/* Control API: log                                                    */

FK_API unsigned int fake_kernel_nr_calls(void)
{
	unsigned int n;

	fk_lock();
	n = nr_calls;
	fk_unlock();
	return n;
}

FK_API const struct fk_call *fake_kernel_call(unsigned int i)
{
	const struct fk_call *c = NULL;

	fk_lock();
	if (i < nr_calls)
		c = calls[i];
	fk_unlock();
	return c;
}

FK_API const struct fk_call *fake_kernel_find_ioctl(unsigned long request,
						    unsigned int nth)
{
	const struct fk_call *c = NULL;
	unsigned int i;

	fk_lock();
	for (i = 0; i < nr_calls; i++) {
		if (calls[i]->kind == FK_CALL_IOCTL &&
		    calls[i]->request == request && nth-- == 0) {
			c = calls[i];
			break;
		}
	}
	fk_unlock();
	return c;
}

FK_API const struct fk_call *fake_kernel_last_ioctl(unsigned long request)
{
	const struct fk_call *c = NULL;
	unsigned int i;

	fk_lock();
	for (i = nr_calls; i-- > 0;) {
		if (calls[i]->kind == FK_CALL_IOCTL &&
		    calls[i]->request == request) {
			c = calls[i];
			break;
		}
	}
	fk_unlock();
	return c;
}

FK_API unsigned int fake_kernel_count_ioctl(unsigned long request)
{
	unsigned int i, n = 0;

	fk_lock();
	for (i = 0; i < nr_calls; i++)
		if (calls[i]->kind == FK_CALL_IOCTL &&
		    calls[i]->request == request)
			n++;
	fk_unlock();
	return n;
}

FK_API void fake_kernel_clear_calls(void)
{
	fk_lock();
	log_clear();
	fk_unlock();
}

FK_API void fake_kernel_dump_calls(void)
{
	static const char *const kinds[] = { "open", "ioctl", "read",
					     "write", "close", "dup" };
	unsigned int i, j;

	fk_lock();
	for (i = 0; i < nr_calls; i++) {
		const struct fk_call *c = calls[i];
		const char *name = fake_kernel_ioctl_name(c->request);

		fprintf(stderr, "fake-kernel: #%u %s fd=%d", i, kinds[c->kind],
			c->fd);
		if (c->kind == FK_CALL_IOCTL)
			fprintf(stderr, " %s(0x%lx)", name ? name : "?",
				c->request);
		if (c->kind == FK_CALL_OPEN)
			fprintf(stderr, " %s", c->path);
		fprintf(stderr, " = %ld", c->ret);
		if (c->err)
			fprintf(stderr, " (%s)", strerror(c->err));
		if (c->kind == FK_CALL_IOCTL) {
			fprintf(stderr, "\n  in: ");
			for (j = 0; j < c->len; j++)
				fprintf(stderr, "%02x%s", c->in[j],
					(j % 4) == 3 ? " " : "");
			fprintf(stderr, "\n  out:");
			for (j = 0; j < c->len; j++)
				fprintf(stderr, "%s%02x", (j % 4) == 0 ? " " : "",
					c->out[j]);
		}
		fputc('\n', stderr);
	}
	fk_unlock();
}

/* ------------------------------------------------------------------ */
/* Control API: state                                                  */

/* Close every fake descriptor without recording it. */
static void close_all_fds(void)
{
	unsigned int i;

	for (i = 0; i < fd_table_len; i++) {
		struct fk_file *f = fd_table[i];

		if (!f)
			continue;
		fd_table[i] = NULL;
		fk_real.close((int)i);
		file_put(f);
	}
}

FK_API void fake_kernel_reset(void)
{
	fk_lock();
	close_all_fds();
	log_clear();
	fk_model_reset();
	fk_unlock();
}

FK_API unsigned int fake_kernel_nr_fds(void)
{
	unsigned int n;

	fk_lock();
	n = fk_nr_fds();
	fk_unlock();
	return n;
}

FK_API enum fk_file_kind fake_kernel_fd_kind(int fd)
{
	struct fk_file *f;
	enum fk_file_kind k;

	fk_lock();
	f = fk_fd_file(fd);
	k = f ? f->kind : FK_FILE_NONE;
	fk_unlock();
	return k;
}
