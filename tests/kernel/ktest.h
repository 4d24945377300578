/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tiny TAP harness for the VM-tier test programs (test-mock, test-pci).
 *
 * Each test is a function in a table; main() runs every test in a forked
 * child, so that a crash fails one test and not the suite, and so that the
 * child's exit closes every descriptor it had: after each test the harness
 * can check that nothing was left behind.  Output:
 *
 *   TAP version 13
 *   1..N
 *   # diagnostics of a failing check (file:line, values, last error)
 *   ok 1 - name | not ok 2 - name
 *   # Totals: pass:P fail:F xfail:0 xpass:0 skip:S error:0
 *
 * and the exit status is 1 when any test failed.
 */
#ifndef NIO_KTEST_H
#define NIO_KTEST_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nestiommu/nestiommu.h>

struct ktest {
	const char *name;
	void (*fn)(void);
};

/* In the child: failures of the current test, and a skip reason. */
static int kt_failed;
static const char *kt_skip_reason;

__attribute__((format(printf, 3, 4)))
static void kt_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	kt_failed++;
}

#define KT_FAIL(...) kt_fail(__FILE__, __LINE__, __VA_ARGS__)

/* Generic condition; the test goes on. */
#define EXPECT(cond)                                              \
	({                                                        \
		bool _ok = (cond);                                \
		if (!_ok)                                         \
			KT_FAIL("expected: %s", #cond);           \
		_ok;                                              \
	})
#define EXPECT_EQ(a, b)                                                     \
	({                                                                  \
		unsigned long long _a = (unsigned long long)(a),            \
				   _b = (unsigned long long)(b);            \
		if (_a != _b)                                               \
			KT_FAIL("%s == %s: 0x%llx != 0x%llx", #a, #b, _a, _b); \
		_a == _b;                                                   \
	})
/* Stop the test when a precondition fails. */
#define ASSERT(cond)              \
	do {                      \
		if (!EXPECT(cond)) \
			return;   \
	} while (0)

/*
 * A library call that must succeed (0 or a count >= 0), with the context
 * whose last error explains a failure.
 */
#define EXPECT_OK_CTX(c, call)                                              \
	({                                                                  \
		int _r = (call);                                            \
		if (_r < 0)                                                 \
			KT_FAIL("%s = %d (%s); last error: %s", #call, _r,  \
				strerror(-_r), nio_ctx_last_error(c));      \
		_r >= 0;                                                    \
	})
#define EXPECT_OK(call) EXPECT_OK_CTX(ctx, call)
#define ASSERT_OK(call)                  \
	do {                             \
		if (!EXPECT_OK(call))    \
			return;          \
	} while (0)

/*
 * A library call that must fail with -err, leave errno == err, and leave a
 * last-error text containing "what" (the ioctl, or the library function
 * that refused the arguments before any ioctl).
 */
static bool kt_check_err(const char *file, int line, struct nio_ctx *ctx,
			 const char *call, int ret, int err_after, int err,
			 const char *what)
{
	const char *msg = nio_ctx_last_error(ctx);
	bool ok = true;

	if (ret != -err) {
		kt_fail(file, line, "%s = %d (%s), expected -%d (%s); last error: %s",
			call, ret, ret < 0 ? strerror(-ret) : "success", err,
			strerror(err), msg);
		return false;
	}
	if (err_after != err) {
		kt_fail(file, line, "%s: errno %d (%s), expected %d (%s)", call,
			err_after, strerror(err_after), err, strerror(err));
		ok = false;
	}
	if (what && !strstr(msg, what)) {
		kt_fail(file, line, "%s: last error \"%s\" does not name \"%s\"",
			call, msg, what);
		ok = false;
	}
	return ok;
}

#define EXPECT_ERR_CTX(c, err, what, call)                                  \
	({                                                                  \
		int _r, _e;                                                 \
		errno = 0;                                                  \
		_r = (call);                                                \
		_e = errno;                                                 \
		kt_check_err(__FILE__, __LINE__, c, #call, _r, _e, err, what); \
	})
#define EXPECT_ERR(err, what, call) EXPECT_ERR_CTX(ctx, err, what, call)

#define SKIP(reason)                        \
	do {                                \
		kt_skip_reason = (reason);  \
		return;                     \
	} while (0)

/* Descriptors open in this process (to see that a context closes its own). */
static inline int kt_count_fds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/*
 * Run the tests; after_each (may be NULL) runs in the parent after each
 * test's child has exited and returns false if something was left behind.
 */
static int ktest_main(const struct ktest *tests, size_t n, const char *filter,
		      bool (*after_each)(const char *name))
{
	unsigned int pass = 0, fail = 0, skip = 0;
	size_t i;

	printf("TAP version 13\n1..%zu\n", n);
	fflush(stdout);
	for (i = 0; i < n; i++) {
		const struct ktest *t = &tests[i];
		int pipefd[2], status = 0;
		char skipmsg[200] = "";
		bool ok, clean = true;
		pid_t pid;

		if (filter && !strstr(t->name, filter)) {
			printf("ok %zu - %s # SKIP filtered out\n", i + 1, t->name);
			skip++;
			continue;
		}
		if (pipe(pipefd)) {
			perror("pipe");
			return 2;
		}
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			close(pipefd[0]);
			kt_failed = 0;
			kt_skip_reason = NULL;
			t->fn();
			if (kt_skip_reason && !kt_failed &&
			    write(pipefd[1], kt_skip_reason,
				  strlen(kt_skip_reason)) < 0)
				kt_failed++;
			fflush(stdout);
			_exit(kt_failed ? 1 : 0);
		}
		close(pipefd[1]);
		if (read(pipefd[0], skipmsg, sizeof(skipmsg) - 1) < 0)
			skipmsg[0] = '\0';
		close(pipefd[0]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (WIFSIGNALED(status))
			printf("#   killed by signal %d (%s)\n", WTERMSIG(status),
			       strsignal(WTERMSIG(status)));
		if (after_each)
			clean = after_each(t->name);
		if (ok && clean && skipmsg[0]) {
			printf("ok %zu - %s # SKIP %s\n", i + 1, t->name, skipmsg);
			skip++;
		} else if (ok && clean) {
			printf("ok %zu - %s\n", i + 1, t->name);
			pass++;
		} else {
			printf("not ok %zu - %s\n", i + 1, t->name);
			fail++;
		}
		fflush(stdout);
	}
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0\n",
	       pass, fail, skip);
	return fail ? 1 : 0;
}

#endif
