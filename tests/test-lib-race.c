// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Thread safety of a shared context, against the fake kernel (which
 * serialises its own state under one lock, like the kernel's locks):
 *  - destroy races read/ioctl: a thread reads a vEVENTQ (or queries a
 *    device) in a loop while another destroys it (or takes its descriptor
 *    back with nio_object_forget() and closes it) and at once opens new
 *    descriptors, which take the freed descriptor numbers.  Every call
 *    must either work on the right object or fail with ENOENT: a read or
 *    ioctl that lands on a closed or reused descriptor shows up as
 *    EBADF, EINVAL or ENOTTY (the fake checks the kind of every
 *    descriptor) and fails the test;
 *  - two readers of one queue while events arrive: every record read
 *    exactly once and no false sequence gap;
 *  - the log callback swapped while other threads log: a replaced
 *    callback's userdata is freed right after nio_ctx_set_log() returns
 *    and must never be used again.
 * Built normally by make check; scripts/tsan.sh also runs it under
 * ThreadSanitizer (clang), which reports the unsynchronised accesses
 * themselves.  NIO_RACE_ITERS scales the loops (default 300).  Each test fails within
 * a few iterations when its race is reintroduced (checked by reverting
 * the fixes: descriptor references, reader turns, the log lock).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#include <dlfcn.h>

#include "fk-check.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NIO_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define NIO_TSAN 1
#endif

#ifndef NIO_TSAN
/*
 * Widen the windows the races need: with slow_reads set, every read()
 * (the library's, through the fake kernel) sleeps a little after it
 * returned, as a preempted reader would.  Under ThreadSanitizer its own
 * read() interceptor is in the way and the race detector does not need
 * the help.
 */
static atomic_int slow_reads;

ssize_t read(int fd, void *buf, size_t len)
{
	static ssize_t (*next_read)(int, void *, size_t);
	ssize_t ret;

	if (!next_read)
		next_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT,
								   "read");
	ret = next_read(fd, buf, len);
	if (atomic_load(&slow_reads)) {
		int saved = errno;

		usleep(20);
		errno = saved;
	}
	return ret;
}
#define SLOW_READS(on) atomic_store(&slow_reads, on)
#else
#define SLOW_READS(on) ((void)(on))
#endif

static unsigned int iters(void)
{
	const char *e = getenv("NIO_RACE_ITERS");

	return e && atoi(e) > 0 ? (unsigned int)atoi(e) : 300;
}

struct racer {
	uint32_t id;
	atomic_int stop;
	atomic_int bad;		/* errno of a call on a wrong descriptor */
	atomic_uint calls;
};

static void *read_loop(void *arg)
{
	struct racer *r = arg;
	struct nio_vevent ev[4];
	int ret;

	while (!atomic_load(&r->stop)) {
		ret = nio_veventq_read(ctx, r->id, ev, 4);
		atomic_fetch_add(&r->calls, 1);
		if (ret == -ENOENT)
			break; /* destroyed: the ID is gone */
		if (ret < 0) {
			atomic_store(&r->bad, -ret);
			break;
		}
	}
	return NULL;
}

START_TEST(test_destroy_vs_read)
{
	unsigned int i, n = iters();
	struct fk_nest nest;
	pthread_t t;

	fk_nest_setup(&nest, 0);
	SLOW_READS(1);
	for (i = 0; i < n; i++) {
		struct racer r = { 0 };
		uint32_t other;
		int fds[3], k;

		ck_ok(nio_veventq_alloc(ctx, nest.viommu, NIO_VEVENTQ_ARM_SMMUV3,
					4, &r.id));
		ck_assert_int_eq(pthread_create(&t, NULL, read_loop, &r), 0);
		/* let the reader start now and then, race it otherwise */
		if (i % 2)
			while (!atomic_load(&r.calls))
				sched_yield();
		if (i % 3 == 2) {
			/* handed back instead: the same rule for forget */
			int qfd;

			ck_ok(nio_object_forget(ctx, r.id, &qfd));
			close(qfd);
			ck_ok(nio_destroy(ctx, r.id));
		} else {
			ck_ok(nio_destroy(ctx, r.id));
		}
		/* descriptors opened now reuse the freed numbers */
		for (k = 0; k < 3; k++)
			fds[k] = open("/dev/iommu", O_RDWR | O_CLOEXEC);
		ck_ok(nio_veventq_alloc(ctx, nest.viommu, NIO_VEVENTQ_ARM_SMMUV3,
					4, &other));
		for (k = 0; k < 20 && !atomic_load(&r.bad); k++)
			sched_yield();
		atomic_store(&r.stop, 1);
		pthread_join(t, NULL);
		for (k = 0; k < 3; k++)
			close(fds[k]);
		ck_ok(nio_destroy(ctx, other));
		ck_assert_msg(!atomic_load(&r.bad),
			      "iteration %u: a read landed on a closed or reused descriptor: %s",
			      i, strerror(atomic_load(&r.bad)));
	}
	SLOW_READS(0);
}
END_TEST

static void *info_loop(void *arg)
{
	struct nio_device_info di = { .sz = sizeof(di) };
	struct racer *r = arg;
	int ret;

	while (!atomic_load(&r->stop)) {
		ret = nio_device_info(ctx, r->id, &di);
		atomic_fetch_add(&r->calls, 1);
		if (ret == -ENOENT)
			break;
		if (ret < 0 || di.num_regions != 9) {
			atomic_store(&r->bad, ret < 0 ? -ret : EPROTO);
			break;
		}
	}
	return NULL;
}

START_TEST(test_destroy_vs_ioctl)
{
	unsigned int i, n = iters();
	pthread_t t;

	for (i = 0; i < n; i++) {
		struct racer r = { 0 };
		int fds[3], k;

		r.id = fk_bind(0);
		ck_assert_int_eq(pthread_create(&t, NULL, info_loop, &r), 0);
		if (i % 2)
			while (!atomic_load(&r.calls))
				sched_yield();
		ck_ok(nio_destroy(ctx, r.id));
		for (k = 0; k < 3; k++)
			fds[k] = open("/dev/iommu", O_RDWR | O_CLOEXEC);
		for (k = 0; k < 20 && !atomic_load(&r.bad); k++)
			sched_yield();
		atomic_store(&r.stop, 1);
		pthread_join(t, NULL);
		for (k = 0; k < 3; k++)
			close(fds[k]);
		ck_assert_msg(!atomic_load(&r.bad),
			      "iteration %u: an ioctl landed on a closed or reused descriptor: %s",
			      i, strerror(atomic_load(&r.bad)));
	}
}
END_TEST

struct two_readers {
	uint32_t evq;
	atomic_uint got;
	atomic_uint gaps;
	atomic_int err;
	unsigned int total;
};

static void *reader(void *arg)
{
	struct two_readers *tr = arg;
	struct nio_vevent ev[3];
	int ret, j;

	while (atomic_load(&tr->got) < tr->total && !atomic_load(&tr->err)) {
		ret = nio_veventq_read(ctx, tr->evq, ev, 1 + (unsigned int)(atomic_load(&tr->got) % 3));
		if (ret < 0) {
			atomic_store(&tr->err, -ret);
			break;
		}
		for (j = 0; j < ret; j++)
			if (ev[j].gap || ev[j].flags)
				atomic_fetch_add(&tr->gaps, 1);
		atomic_fetch_add(&tr->got, (unsigned int)ret);
		if (!ret)
			sched_yield();
	}
	return NULL;
}

START_TEST(test_two_readers)
{
	struct two_readers tr = { 0 };
	uint64_t evt[4] = { 0 };
	struct fk_nest nest;
	unsigned int i, j;
	pthread_t t[2];

	tr.total = iters() * 10;
	fk_nest_setup(&nest, 0);
	SLOW_READS(1);
	/* deep enough that the producer never overflows it */
	ck_ok(nio_veventq_alloc(ctx, nest.viommu, NIO_VEVENTQ_ARM_SMMUV3,
				tr.total, &tr.evq));
	/* half queued before the readers start (both drain at once), half while they run */
	for (i = 0; i < tr.total; i++) {
		if (i == tr.total / 2)
			for (j = 0; j < 2; j++)
				ck_assert_int_eq(pthread_create(&t[j], NULL,
								reader, &tr), 0);
		evt[2] = i;
		ck_ok(fake_kernel_veventq_report(ifd, tr.evq, evt, sizeof(evt)));
		if (i > tr.total / 2 && i % 7 == 0)
			sched_yield();
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	SLOW_READS(0);
	ck_assert_int_eq(atomic_load(&tr.err), 0);
	ck_assert_uint_eq(atomic_load(&tr.got), tr.total);
	ck_assert_msg(atomic_load(&tr.gaps) == 0,
		      "%u false sequence gaps between two readers of one queue",
		      atomic_load(&tr.gaps));
}
END_TEST

#define LOG_MAGIC 0x10c10c10u
struct log_ud {
	unsigned int magic;
	atomic_uint calls;
};

static atomic_int log_bad;

static void log_cb(struct nio_ctx *c, enum nio_log_level level,
		   const char *msg, void *userdata)
{
	struct log_ud *ud = userdata;

	(void)c;
	(void)level;
	(void)msg;
	if (ud->magic != LOG_MAGIC)
		atomic_store(&log_bad, 1);
	atomic_fetch_add(&ud->calls, 1);
}

static atomic_int log_stop;

static void *log_loop(void *arg)
{
	(void)arg;
	while (!atomic_load(&log_stop))
		(void)nio_ioas_alloc(ctx, NULL); /* logs its EINVAL */
	return NULL;
}

START_TEST(test_set_log_vs_log)
{
	unsigned int i, n = iters() * 4;
	struct log_ud *ud, *old = NULL;
	pthread_t t[2];

	atomic_store(&log_stop, 0);
	atomic_store(&log_bad, 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, log_loop, NULL), 0);
	for (i = 0; i < n; i++) {
		ud = calloc(1, sizeof(*ud));
		ck_assert_ptr_nonnull(ud);
		ud->magic = LOG_MAGIC;
		nio_ctx_set_log(ctx, log_cb, ud, NIO_LOG_ERR);
		if (old) { /* no longer used once set_log returned */
			old->magic = 0;
			free(old);
		}
		old = ud;
		sched_yield();
	}
	nio_ctx_set_log(ctx, NULL, NULL, NIO_LOG_ERR);
	atomic_store(&log_stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_gt(atomic_load(&old->calls) + 1, 0);
	free(old);
	ck_assert_msg(!atomic_load(&log_bad),
		      "a replaced log callback's userdata was used after nio_ctx_set_log() returned");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lib-race");

	FK_TCASE(s, "race", test_destroy_vs_read, test_destroy_vs_ioctl,
		 test_two_readers, test_set_log_vs_log);
	return fk_run(s);
}
