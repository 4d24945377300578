// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The libFuzzer harnesses' common part: process set-up, the open() guard
 * and the cost filter for plans (see fuzz-common.h).
 *
 * The fake kernel's open/openat/fopen interposers are renamed fkg_* when
 * the harnesses are linked (tests/fuzz/fuzz.mk, objcopy), so that the
 * functions below come first and hand allowed calls on to the fake.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-kernel.h"
#include "fuzz-common.h"

int fkg_open(const char *path, int flags, ...);
int fkg_open64(const char *path, int flags, ...);
int fkg_openat(int dirfd, const char *path, int flags, ...);
int fkg_openat64(int dirfd, const char *path, int flags, ...);
FILE *fkg_fopen(const char *path, const char *mode);
FILE *fkg_fopen64(const char *path, const char *mode);

static bool armed;
static char sysfs_real[PATH_MAX], work_real[PATH_MAX];

static bool has_prefix(const char *s, const char *dir)
{
	size_t n = strlen(dir);

	return n && !strncmp(s, dir, n) && (s[n] == '/' || !s[n]);
}

static bool path_ok(int dirfd, const char *path, bool write)
{
	char real[PATH_MAX];
	const char *p;

	if (!armed || !path)
		return true;
	/* the fake's nodes and harmless devices */
	if (!strcmp(path, "/dev/iommu") || !strcmp(path, "/dev/null"))
		return true;
	if (!strncmp(path, "/dev/vfio/devices/vfio", 22)) {
		for (p = path + 22; *p >= '0' && *p <= '9'; p++)
			;
		return p > path + 22 && !*p;
	}
	if (path[0] != '/' && dirfd != AT_FDCWD)
		return !write; /* below a directory opened through here */
	if (!realpath(path, real))
		return errno == ENOENT && !write; /* fails in open() anyway */
	if (has_prefix(real, work_real))
		return true;
	if (write)
		return false;
	return (sysfs_real[0] && has_prefix(real, sysfs_real)) ||
	       has_prefix(real, "/sys");
}

static bool flags_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

static bool mode_write(const char *mode)
{
	return mode[0] != 'r' || strchr(mode, '+');
}

#define OPEN_MODE(flags, mode)                                     \
	do {                                                       \
		va_list ap;                                        \
		va_start(ap, flags);                               \
		mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, int) : 0; \
		va_end(ap);                                        \
	} while (0)

int open(const char *path, int flags, ...)
{
	int mode;

	OPEN_MODE(flags, mode);
	if (!path_ok(AT_FDCWD, path, flags_write(flags))) {
		errno = EACCES;
		return -1;
	}
	return fkg_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	int mode;

	OPEN_MODE(flags, mode);
	if (!path_ok(AT_FDCWD, path, flags_write(flags))) {
		errno = EACCES;
		return -1;
	}
	return fkg_open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	int mode;

	OPEN_MODE(flags, mode);
	if (!path_ok(dirfd, path, flags_write(flags))) {
		errno = EACCES;
		return -1;
	}
	return fkg_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	int mode;

	OPEN_MODE(flags, mode);
	if (!path_ok(dirfd, path, flags_write(flags))) {
		errno = EACCES;
		return -1;
	}
	return fkg_openat64(dirfd, path, flags, mode);
}

FILE *fopen(const char *path, const char *mode)
{
	if (!path_ok(AT_FDCWD, path, mode_write(mode))) {
		errno = EACCES;
		return NULL;
	}
	return fkg_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	if (!path_ok(AT_FDCWD, path, mode_write(mode))) {
		errno = EACCES;
		return NULL;
	}
	return fkg_fopen64(path, mode);
}

void fuzz_init(void)
{
	static bool done;
	const char *sysfs = getenv("FUZZ_SYSFS");
	char tmpl[] = "/tmp/nestiommu-fuzz.XXXXXX";

	if (done)
		return;
	done = true;
	if (!freopen("/dev/null", "w", stdout) ||
	    !freopen("/dev/null", "r", stdin))
		abort();
	/* nestctl's and the library's view of /sys: the captured tree */
	if (sysfs && realpath(sysfs, sysfs_real)) {
		setenv("NESTCTL_SYSFS", sysfs_real, 1);
		fake_kernel_set_sysfs_root(sysfs_real);
	}
	/* relative names resolve in an empty directory */
	if (!mkdtemp(tmpl) || chdir(tmpl) || !realpath(".", work_real))
		abort();
}

void fuzz_begin(void)
{
	fake_kernel_reset();
	armed = true;
}

void fuzz_end(void)
{
	armed = false;
}

/* Keys whose large values only cost time or memory. */
static bool costly(const char *key, const struct jv *v)
{
	uint64_t u;

	if (v->type == JV_STRING) {
		/* "0x..." or decimal strings are numbers too */
		char *end;

		errno = 0;
		u = strtoull(v->s, &end, 0);
		if (end == v->s || errno)
			return false;
	} else if (v->type == JV_INT && !v->i.neg) {
		u = v->i.u;
	} else {
		return false;
	}
	if (!strcmp(key, "wait-ms") || !strcmp(key, "timeout"))
		return u > 0;
	if (!strcmp(key, "length"))
		return u > (1u << 20);
	if (!strcmp(key, "count") ||
	    !strcmp(key, "depth") || !strcmp(key, "max"))
		return u > 4096;
	return false;
}

bool fuzz_plan_too_costly(const struct jv *v)
{
	if (!v)
		return false;
	if (v->type == JV_ARRAY) {
		for (uint32_t i = 0; i < v->n; i++)
			if (fuzz_plan_too_costly(&v->items[i]))
				return true;
	} else if (v->type == JV_OBJECT) {
		for (uint32_t i = 0; i < v->n; i++)
			if (costly(v->members[i].key, &v->members[i].val) ||
			    fuzz_plan_too_costly(&v->members[i].val))
				return true;
	}
	return false;
}
