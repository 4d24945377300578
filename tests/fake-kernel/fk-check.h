/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the tests/test-lib-*.c programs: Check fixtures over
 * the fake kernel, payload and error assertions.
 */
#ifndef FK_CHECK_H
#define FK_CHECK_H

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nestiommu/nestiommu.h>

#include "uapi.h"
#include "fake-kernel.h"

/* The context of the standard fixture, and its descriptor. */
static struct nio_ctx *ctx;
static int ifd;

static inline void fk_setup(void)
{
	int ret;

	fake_kernel_reset();
	ret = nio_ctx_open(&ctx, NULL);
	ck_assert_int_eq(ret, 0);
	ck_assert_ptr_nonnull(ctx);
	ifd = nio_ctx_fd(ctx);
	ck_assert_int_eq(fake_kernel_fd_kind(ifd), FK_FILE_IOMMUFD);
	fake_kernel_clear_calls();
}

static inline void fk_teardown(void)
{
	ctx = nio_ctx_unref(ctx);
	/* Everything the context opened is closed, the kernel state gone. */
	if (fake_kernel_nr_fds() || fake_kernel_nr_contexts()) {
		fake_kernel_dump_calls();
		ck_abort_msg("leak after nio_ctx_unref: %u fake fds, %u contexts",
			     fake_kernel_nr_fds(), fake_kernel_nr_contexts());
	}
}

/* The argument of the last ioctl `req` must be exactly `expected`. */
#define ck_last_payload(req, expected)                                       \
	do {                                                                 \
		const struct fk_call *_c = fake_kernel_last_ioctl(req);      \
		ck_assert_msg(_c, "no %s ioctl recorded", #req);              \
		ck_assert_uint_eq(_c->len, sizeof(expected));                \
		if (memcmp(_c->in, &(expected), sizeof(expected))) {         \
			fake_kernel_dump_calls();                            \
			ck_abort_msg("%s: payload differs from %s", #req,    \
				     #expected);                             \
		}                                                            \
	} while (0)

/* Same for the nth (0-based) ioctl `req`. */
#define ck_nth_payload(req, nth, expected)                                   \
	do {                                                                 \
		const struct fk_call *_c = fake_kernel_find_ioctl(req, nth); \
		ck_assert_msg(_c, "no %s ioctl #%u recorded", #req,           \
			      (unsigned int)(nth));                          \
		ck_assert_uint_eq(_c->len, sizeof(expected));                \
		if (memcmp(_c->in, &(expected), sizeof(expected))) {         \
			fake_kernel_dump_calls();                            \
			ck_abort_msg("%s #%u: payload differs from %s", #req, \
				     (unsigned int)(nth), #expected);        \
		}                                                            \
	} while (0)

/*
 * expr must fail with -err, leave errno == err, and (when substr is not
 * NULL) leave a last-error text on c containing substr.
 */
#define ck_fails(c, expr, err, substr)                                       \
	do {                                                                 \
		int _r;                                                      \
		const char *_s = (substr);                                   \
		errno = 0;                                                   \
		_r = (int)(expr);                                            \
		ck_assert_msg(_r == -(err), "%s returned %d (%s), want -%s", \
			      #expr, _r, _r < 0 ? strerror(-_r) : "ok", #err); \
		ck_assert_msg(errno == (err), "%s: errno %d (%s), want %s",  \
			      #expr, errno, strerror(errno), #err);          \
		if (_s)                                                      \
			ck_assert_msg(strstr(nio_ctx_last_error(c), _s),     \
				      "%s: last error \"%s\" lacks \"%s\"",  \
				      #expr, nio_ctx_last_error(c), _s);     \
	} while (0)

#define ck_ok(expr)                                                          \
	do {                                                                 \
		int _r = (int)(expr);                                        \
		if (_r < 0)                                                  \
			fake_kernel_dump_calls();                            \
		ck_assert_msg(_r >= 0, "%s failed: %d (%s): %s", #expr, _r,   \
			      strerror(-_r), nio_ctx_last_error(ctx));       \
	} while (0)

/* A page-aligned buffer for mappings (never touched by the fake). */
static inline void *fk_pages(size_t n)
{
	void *p = NULL;

	ck_assert_int_eq(posix_memalign(&p, 4096, n * 4096), 0);
	return p;
}

/* Bind /dev/vfio/devices/vfio<idx> to the fixture context. */
static inline uint32_t fk_bind(unsigned int idx)
{
	char path[64];
	uint32_t dev_id = 0;

	snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u", idx);
	ck_ok(nio_device_bind(ctx, path, NULL, &dev_id));
	ck_assert_uint_ne(dev_id, 0);
	return dev_id;
}

/* The usual nesting set-up: IOAS, device, nest parent, vIOMMU. */
struct fk_nest {
	uint32_t ioas, dev, s2, viommu;
};

static inline void fk_nest_setup(struct fk_nest *n, unsigned int dev_idx)
{
	ck_ok(nio_ioas_alloc(ctx, &n->ioas));
	n->dev = fk_bind(dev_idx);
	ck_ok(nio_hwpt_alloc_nest_parent(ctx, n->dev, n->ioas, &n->s2));
	ck_ok(nio_viommu_alloc(ctx, n->dev, n->s2, NIO_VIOMMU_ARM_SMMUV3, NULL,
			       &n->viommu));
}

/* Suite runner: one suite, exit status for automake's test driver. */
static inline int fk_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#define FK_TCASE(s, name, ...)                                               \
	do {                                                                 \
		TCase *_tc = tcase_create(name);                             \
		TTest const *_tests[] = { __VA_ARGS__ };                     \
		size_t _i;                                                   \
		tcase_add_checked_fixture(_tc, fk_setup, fk_teardown);       \
		/* Check's 4 s default is tight under sanitizers on a busy \
		 * machine (the random-graph test); hangs still end. */     \
		tcase_set_timeout(_tc, 60);                                  \
		for (_i = 0; _i < sizeof(_tests) / sizeof(_tests[0]); _i++)  \
			_tcase_add_test(_tc, _tests[_i], 0, 0, 0, 1);        \
		suite_add_tcase(s, _tc);                                     \
	} while (0)

#endif
