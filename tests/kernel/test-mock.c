// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-mock: libnestiommu against the iommufd selftest mock (IOMMUFD_TEST),
 * in the testbed VM.
 *
 * Mock devices, their auto domains and attach/replace come from the
 * selftest's own IOMMU_TEST_CMD (the kernel's drivers/iommu/iommufd/
 * iommufd_test.h, included from the kernel source tree); everything else
 * goes through the library's public API.  The checks mirror the kernel's
 * tools/testing/selftests/iommu/iommufd.c: every error path it checks is
 * asserted here through the library (negative errno, errno, and the
 * ioctl, or the library function that refused the call first, named in
 * nio_ctx_last_error()).  After every test (run in its own child process)
 * a fresh iommufd asks the mock for the page references of the shared test
 * buffer: a pin left behind by a closed context fails the test.
 *
 * Usage: test-mock [FILTER]   (run only the tests whose name contains it)
 * Output: TAP with a "# Totals:" line; exit 1 on any failure.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <linux/iommufd.h>
#include "iommufd_test.h"

#include "ktest.h"

/* page size of the VM (x86: 4 KiB) */
#define PSZ 4096UL
#define BUFFER_PAGES 16
#define BUFFER_SIZE (BUFFER_PAGES * PSZ)
#define HUGEPAGE_SIZE (2UL << 20)

/* Shared between the harness and every test child (MAP_SHARED). */
static void *buffer;
static void *mfd_buffer;
static int mfd = -1;

static struct nio_ctx *ctx;

/* ------------------------------------------------------------------ */
/* The selftest's own commands (raw IOMMU_TEST_CMD)                    */

static int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_TEST_CMD, cmd) ? -errno : 0;
}

static int cfd(void)
{
	return nio_ctx_fd(ctx);
}

/* A mock device on pt_id (IOAS or HWPT); any out pointer may be NULL. */
static int mock_domain_flags(uint32_t pt_id, uint32_t dev_flags,
			     uint32_t *stdev, uint32_t *hwpt, uint32_t *idev)
{
	struct iommu_test_cmd cmd = {
		.op = dev_flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS :
				  IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
		.mock_domain_flags = { .dev_flags = dev_flags },
	};
	int ret = test_cmd(cfd(), &cmd);

	if (ret)
		return ret;
	if (stdev)
		*stdev = cmd.mock_domain.out_stdev_id;
	if (hwpt)
		*hwpt = cmd.mock_domain.out_hwpt_id;
	if (idev)
		*idev = cmd.mock_domain.out_idev_id;
	return 0;
}

static int mock_domain(uint32_t pt_id, uint32_t *stdev, uint32_t *hwpt,
		       uint32_t *idev)
{
	return mock_domain_flags(pt_id, 0, stdev, hwpt, idev);
}

static int mock_replace(uint32_t stdev, uint32_t pt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev,
		.mock_domain_replace = { .pt_id = pt_id },
	};

	return test_cmd(cfd(), &cmd);
}

static int add_reserved(uint32_t ioas, uint64_t start, uint64_t length)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ADD_RESERVED,
		.id = ioas,
		.add_reserved = { .start = start, .length = length },
	};

	return test_cmd(cfd(), &cmd);
}

static int check_refs_fd(int fd, void *ptr, size_t length, unsigned int refs)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = length,
				.uptr = (uintptr_t)ptr,
				.refs = refs },
	};

	return test_cmd(fd, &cmd);
}

/* The mock domain of hwpt maps [iova, iova+length) to ptr. */
static int check_map(uint32_t hwpt, uint64_t iova, void *ptr, size_t length)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt,
		.check_map = { .iova = iova, .length = length,
			       .uptr = (uintptr_t)ptr },
	};

	return test_cmd(cfd(), &cmd);
}

static int check_iotlb(uint32_t hwpt, uint32_t idx, uint32_t val)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt,
		.check_iotlb = { .id = idx, .iotlb = val },
	};

	return test_cmd(cfd(), &cmd);
}

static bool check_iotlbs(uint32_t hwpt, uint32_t v0, uint32_t v1, uint32_t v2,
			 uint32_t v3)
{
	return !check_iotlb(hwpt, 0, v0) && !check_iotlb(hwpt, 1, v1) &&
	       !check_iotlb(hwpt, 2, v2) && !check_iotlb(hwpt, 3, v3);
}

static int dev_check_cache(uint32_t idev, uint32_t idx, uint32_t val)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DEV_CHECK_CACHE,
		.id = idev,
		.check_dev_cache = { .id = idx, .cache = val },
	};

	return test_cmd(cfd(), &cmd);
}

static bool dev_caches(uint32_t idev, uint32_t v0, uint32_t v1, uint32_t v2,
		       uint32_t v3)
{
	return !dev_check_cache(idev, 0, v0) && !dev_check_cache(idev, 1, v1) &&
	       !dev_check_cache(idev, 2, v2) && !dev_check_cache(idev, 3, v3);
}

static int trigger_iopf(uint32_t idev, uint32_t pasid)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = {
			.dev_id = idev,
			.pasid = pasid,
			.grpid = 0x2,
			.perm = IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE,
			.addr = 0xdeadbeaf,
		},
	};

	return test_cmd(cfd(), &cmd);
}

static int trigger_vevents(uint32_t idev, unsigned int n)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_TRIGGER_VEVENT,
		.trigger_vevent = { .dev_id = idev },
	};
	int ret = 0;

	while (n-- && !ret)
		ret = test_cmd(cfd(), &cmd);
	return ret;
}

/* Mark the pages whose bits are set in bitmap dirty in the mock domain. */
static int mock_set_dirty(uint32_t hwpt, uint64_t iova, uint64_t length,
			  uint64_t page_size, uint64_t *bitmap, uint64_t *nr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DIRTY,
		.id = hwpt,
		.dirty = { .iova = iova, .length = length,
			   .page_size = page_size,
			   .uptr = (uintptr_t)bitmap },
	};
	int ret = test_cmd(cfd(), &cmd);

	if (!ret && nr)
		*nr = cmd.dirty.out_nr_dirty;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Common set-ups                                                      */

#define OPEN_CTX() ASSERT(nio_ctx_open(&ctx, NULL) == 0)

/* An IOAS with one mock device (and its auto domain) attached. */
struct mock_env {
	uint32_t ioas, stdev, hwpt, idev;
};

static bool mock_env(struct mock_env *e)
{
	memset(e, 0, sizeof(*e));
	if (!EXPECT_OK(nio_ioas_alloc(ctx, &e->ioas)))
		return false;
	if (!EXPECT_OK(mock_domain(e->ioas, &e->stdev, &e->hwpt, &e->idev)))
		return false;
	return true;
}

/* + NEST_PARENT HWPT + selftest vIOMMU + nested HWPT on the vIOMMU */
struct viommu_env {
	struct mock_env m;
	uint32_t parent, viommu, nested;
};

static bool viommu_env(struct viommu_env *v)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	NIO_OPTS(nio_hwpt_alloc_opts, nopts, .data_type = NIO_HWPT_DATA_SELFTEST,
		 .data_len = sizeof(data), .data = &data);

	memset(v, 0, sizeof(*v));
	if (!mock_env(&v->m))
		return false;
	if (!EXPECT_OK(nio_hwpt_alloc_nest_parent(ctx, v->m.idev, v->m.ioas,
						  &v->parent)))
		return false;
	if (!EXPECT_OK(nio_viommu_alloc(ctx, v->m.idev, v->parent,
					NIO_VIOMMU_SELFTEST, NULL, &v->viommu)))
		return false;
	return EXPECT_OK(nio_hwpt_alloc(ctx, v->m.idev, v->viommu, &nopts,
					&v->nested));
}

/* ------------------------------------------------------------------ */
/* Context                                                             */

static void t_ctx_open_close(void)
{
	struct nio_ctx *c2;
	uint32_t ioas;

	OPEN_CTX();
	EXPECT(nio_ctx_fd(ctx) >= 0);
	EXPECT_EQ(nio_object_next(ctx, 0), 0);
	EXPECT(nio_ctx_ref(ctx) == ctx);
	EXPECT(nio_ctx_unref(ctx) == NULL);
	/* still alive: one reference left */
	EXPECT_OK(nio_ioas_alloc(ctx, &ioas));
	NIO_OPTS(nio_ctx_opts, bad, .path = "/nonexistent/iommu");
	EXPECT_ERR_CTX(NULL, ENOENT, "/nonexistent/iommu",
		       nio_ctx_open(&c2, &bad));
	EXPECT(nio_ctx_unref(ctx) == NULL);
}

static void t_ctx_adopt(void)
{
	struct nio_ctx *c;
	int fd = open("/dev/iommu", O_RDWR), nfd = open("/dev/null", O_RDWR);
	uint32_t ioas, ioas2;

	ASSERT(fd >= 0 && nfd >= 0);
	/* not an iommufd */
	EXPECT_ERR_CTX(NULL, ENOTTY, "not an iommufd",
		       nio_ctx_adopt_fd(nfd, 0, NULL, &c));
	EXPECT(fcntl(nfd, F_GETFD) >= 0); /* left open on failure */
	EXPECT_ERR_CTX(NULL, EINVAL, "flags",
		       nio_ctx_adopt_fd(fd, 0x80, NULL, &c));

	/* borrowed: the library destroys what it created, the fd stays */
	ASSERT(nio_ctx_adopt_fd(fd, NIO_ADOPT_BORROW, NULL, &ctx) == 0);
	EXPECT_EQ(nio_ctx_fd(ctx), fd);
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas2));
	nio_ctx_unref(ctx);
	ctx = NULL;
	EXPECT(fcntl(fd, F_GETFD) >= 0);
	{
		struct iommu_destroy d = { .size = sizeof(d), .id = ioas };

		EXPECT(ioctl(fd, IOMMU_DESTROY, &d) == -1 && errno == ENOENT);
		d.id = ioas2;
		EXPECT(ioctl(fd, IOMMU_DESTROY, &d) == -1 && errno == ENOENT);
	}
	/* owned: the library closes it */
	ASSERT(nio_ctx_adopt_fd(fd, 0, NULL, &ctx) == 0);
	nio_ctx_unref(ctx);
	EXPECT(fcntl(fd, F_GETFD) == -1 && errno == EBADF);
	close(nfd);
}

/*
 * A management process opens /dev/iommu, sets up an IOAS and passes the
 * descriptor with SCM_RIGHTS; the VMM adopts it and works on the objects
 * by ID, although its context did not create them.
 */
static void t_adopt_scm_rights(void)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { 0 };
	struct iovec io;
	struct cmsghdr *cm;
	uint32_t ioas = 0;
	uint64_t iova = 0x100000;
	int sv[2], fd = -1, status;
	pid_t child;

	ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	fflush(stdout);
	child = fork();
	ASSERT(child >= 0);
	if (child == 0) {
		struct nio_ctx *c;

		close(sv[0]);
		if (nio_ctx_open(&c, NULL) || nio_ioas_alloc(c, &ioas))
			_exit(1);
		io = (struct iovec){ &ioas, sizeof(ioas) };
		msg.msg_iov = &io;
		msg.msg_iovlen = 1;
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		fd = nio_ctx_fd(c);
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		if (sendmsg(sv[1], &msg, 0) != sizeof(ioas))
			_exit(1);
		/* the manager's context goes away; the passed fd lives on */
		nio_ctx_unref(c);
		_exit(0);
	}
	close(sv[1]);
	io = (struct iovec){ &ioas, sizeof(ioas) };
	msg.msg_iov = &io;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	EXPECT_EQ(recvmsg(sv[0], &msg, 0), sizeof(ioas));
	cm = CMSG_FIRSTHDR(&msg);
	if (EXPECT(cm && cm->cmsg_type == SCM_RIGHTS))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	EXPECT(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0);
	close(sv[0]);
	ASSERT(fd >= 0);
	ASSERT(nio_ctx_adopt_fd(fd, 0, NULL, &ctx) == 0);
	/* not created by this context, yet usable by ID */
	EXPECT_EQ(nio_object_next(ctx, 0), 0);
	EXPECT_OK(nio_ioas_map(ctx, ioas, buffer, PSZ, &iova, NIO_MAP_FIXED_IOVA | NIO_MAP_READ | NIO_MAP_WRITE));
	EXPECT_OK(nio_ioas_unmap(ctx, ioas, iova, PSZ, NULL));
	EXPECT_OK(nio_destroy(ctx, ioas));
	nio_ctx_unref(ctx);
}

static void t_cmd_fail(void)
{
	OPEN_CTX();
	EXPECT_ERR(ENOENT, "IOMMU_DESTROY", nio_destroy(ctx, 0));
	EXPECT_ERR(ENOENT, "IOMMU_DESTROY", nio_destroy(ctx, 12345));
	EXPECT_ERR_CTX(NULL, EINVAL, "nio_destroy", nio_destroy(NULL, 1));
	nio_ctx_unref(ctx);
}

static void t_global_options(void)
{
	uint64_t val = 7;

	OPEN_CTX();
	EXPECT_OK(nio_option_get(ctx, NIO_OPTION_RLIMIT_MODE, 0, &val));
	EXPECT_EQ(val, 0);
	/* needs root, which the VM's tests are */
	EXPECT_OK(nio_option_set(ctx, NIO_OPTION_RLIMIT_MODE, 0, 1));
	EXPECT_ERR(EINVAL, "IOMMU_OPTION",
		   nio_option_set(ctx, NIO_OPTION_RLIMIT_MODE, 0, 2));
	EXPECT_OK(nio_option_get(ctx, NIO_OPTION_RLIMIT_MODE, 0, &val));
	EXPECT_EQ(val, 1);
	EXPECT_OK(nio_option_set(ctx, NIO_OPTION_RLIMIT_MODE, 0, 0));
	/* HUGE_PAGES is per IOAS: object 0 does not exist */
	EXPECT_ERR(ENOENT, "IOMMU_OPTION",
		   nio_option_get(ctx, NIO_OPTION_HUGE_PAGES, 0, &val));
	EXPECT_ERR(ENOENT, "IOMMU_OPTION",
		   nio_option_set(ctx, NIO_OPTION_HUGE_PAGES, 0, 0));
	/* unknown option */
	EXPECT_ERR(EOPNOTSUPP, "IOMMU_OPTION",
		   nio_option_get(ctx, (enum nio_option)77, 0, &val));
	/* RLIMIT_MODE is global: the library refuses an object ID */
	EXPECT_ERR(EINVAL, "RLIMIT_MODE",
		   nio_option_get(ctx, NIO_OPTION_RLIMIT_MODE, 5, &val));
	nio_ctx_unref(ctx);
}

struct log_capture {
	int count;
	enum nio_log_level level;
	char msg[256];
};

static void capture_log(struct nio_ctx *c, enum nio_log_level level,
			const char *msg, void *userdata)
{
	struct log_capture *cap = userdata;

	(void)c;
	cap->count++;
	cap->level = level;
	snprintf(cap->msg, sizeof(cap->msg), "%s", msg);
}

/* The log callback sees errors with the ioctl named; silent by default. */
static void t_log_callback(void)
{
	struct log_capture cap = { 0 };
	NIO_OPTS(nio_ctx_opts, o, .log_fn = capture_log, .log_userdata = &cap);

	ASSERT(nio_ctx_open(&ctx, &o) == 0);
	EXPECT_ERR(ENOENT, "IOMMU_DESTROY", nio_destroy(ctx, 4242));
	EXPECT_EQ(cap.count, 1);
	EXPECT_EQ(cap.level, NIO_LOG_ERR);
	EXPECT(strstr(cap.msg, "IOMMU_DESTROY") != NULL);
	/* off: no more calls */
	nio_ctx_set_log(ctx, NULL, NULL, NIO_LOG_ERR);
	EXPECT_ERR(ENOENT, "IOMMU_DESTROY", nio_destroy(ctx, 4243));
	EXPECT_EQ(cap.count, 1);
	nio_ctx_unref(ctx);
}

static void *thread_error(void *arg)
{
	(void)arg;
	/* an error in this thread */
	nio_destroy(ctx, 7777);
	return strdup(nio_ctx_last_error(ctx));
}

/* nio_ctx_last_error() is per thread (documented "Thread-local"). */
static void t_last_error_per_thread(void)
{
	pthread_t th;
	char *other = NULL;

	OPEN_CTX();
	EXPECT_ERR(ENOENT, "id=4242", nio_destroy(ctx, 4242));
	ASSERT(pthread_create(&th, NULL, thread_error, NULL) == 0);
	ASSERT(pthread_join(th, (void **)&other) == 0);
	EXPECT(other && strstr(other, "id=7777"));
	/* this thread still sees its own error */
	EXPECT(strstr(nio_ctx_last_error(ctx), "id=4242") != NULL);
	free(other);
	nio_ctx_unref(ctx);
}

/*
 * "A context is safe to use from several threads": four threads allocate,
 * map, unmap and destroy IOASes on one context while a fifth walks the
 * object table; afterwards the table holds exactly what is left.
 */
#define THREADS 4
#define THREAD_LOOPS 150

static uint32_t keep_ioas[THREADS];

static void *thread_worker(void *arg)
{
	uintptr_t t = (uintptr_t)arg;
	uint32_t ioas;
	uint64_t iova;
	int i;

	for (i = 0; i < THREAD_LOOPS; i++) {
		iova = 0x100000 + t * 0x1000000;
		if (nio_ioas_alloc(ctx, &ioas) ||
		    nio_ioas_map(ctx, ioas, buffer, PSZ, &iova,
				 NIO_MAP_FIXED_IOVA | NIO_MAP_READ) ||
		    nio_ioas_unmap(ctx, ioas, iova, PSZ, NULL))
			return (void *)1;
		if (i == THREAD_LOOPS - 1) {
			keep_ioas[t] = ioas;
			break;
		}
		if (nio_destroy(ctx, ioas))
			return (void *)2;
	}
	return NULL;
}

static volatile int walking;

static void *thread_walker(void *arg)
{
	struct nio_object_info info = { .sz = sizeof(info) };
	uintptr_t bad = 0;
	uint32_t id;

	(void)arg;
	while (walking) {
		for (id = nio_object_next(ctx, 0); id;
		     id = nio_object_next(ctx, id)) {
			/* may vanish between the two calls, never be garbage */
			if (nio_object_info(ctx, id, &info) == 0 &&
			    (info.id != id || info.type != NIO_OBJ_IOAS))
				bad++;
		}
	}
	return (void *)bad;
}

static void t_threads(void)
{
	pthread_t th[THREADS], walker;
	uint32_t id, seen = 0;
	void *ret;
	uintptr_t t;

	OPEN_CTX();
	walking = 1;
	ASSERT(pthread_create(&walker, NULL, thread_walker, NULL) == 0);
	for (t = 0; t < THREADS; t++)
		ASSERT(pthread_create(&th[t], NULL, thread_worker, (void *)t) == 0);
	for (t = 0; t < THREADS; t++) {
		ASSERT(pthread_join(th[t], &ret) == 0);
		EXPECT(ret == NULL);
	}
	walking = 0;
	ASSERT(pthread_join(walker, &ret) == 0);
	EXPECT(ret == NULL);
	for (id = nio_object_next(ctx, 0); id; id = nio_object_next(ctx, id)) {
		for (t = 0; t < THREADS; t++)
			if (id == keep_ioas[t])
				break;
		EXPECT(t < THREADS);
		seen++;
	}
	EXPECT_EQ(seen, THREADS);
	nio_ctx_unref(ctx);
}

/* ------------------------------------------------------------------ */
/* IOAS                                                                */

static void t_ioas_destroy(void)
{
	struct nio_object_info info = { .sz = sizeof(info) };
	struct mock_env e;
	uint32_t ioas;

	OPEN_CTX();
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	EXPECT_EQ(nio_object_next(ctx, 0), ioas);
	EXPECT_OK(nio_object_info(ctx, ioas, &info));
	EXPECT_EQ(info.type, NIO_OBJ_IOAS);
	EXPECT_OK(nio_destroy(ctx, ioas));
	EXPECT_EQ(nio_object_next(ctx, 0), 0);
	EXPECT_ERR(ENOENT, "IOMMU_DESTROY", nio_destroy(ctx, ioas));
	EXPECT_ERR(ENOENT, "nio_object_info", nio_object_info(ctx, ioas, &info));

	/* an IOAS with a device attached is busy, with or without areas */
	ASSERT(mock_env(&e));
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, e.ioas));
	{
		uint64_t iova = MOCK_APERTURE_START;

		EXPECT_OK(nio_ioas_map(ctx, e.ioas, buffer, PSZ, &iova,
				       NIO_MAP_FIXED_IOVA | NIO_MAP_READ |
					       NIO_MAP_WRITE));
	}
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, e.ioas));
	/* the mock device's own hwpt is an auto domain: busy too */
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, e.hwpt));
	/* destroying the selftest device object frees the path */
	EXPECT_OK(nio_destroy(ctx, e.stdev));
	EXPECT_OK(nio_destroy(ctx, e.ioas));
	nio_ctx_unref(ctx);
}

#define MAP_RW (NIO_MAP_READ | NIO_MAP_WRITE)
#define MAP_FIXED_RW (NIO_MAP_FIXED_IOVA | NIO_MAP_READ | NIO_MAP_WRITE)

static void ioas_area(bool with_domain)
{
	uint64_t base = with_domain ? MOCK_APERTURE_START : 0x100000;
	uint64_t iova, unmapped;
	struct mock_env e;
	uint32_t ioas;
	int i;

	OPEN_CTX();
	if (with_domain) {
		ASSERT(mock_env(&e));
		ioas = e.ioas;
	} else {
		ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	}
	/* Unmap fails if nothing is mapped */
	for (i = 0; i != 3; i++)
		EXPECT_ERR(ENOENT, "IOMMU_IOAS_UNMAP",
			   nio_ioas_unmap(ctx, ioas, i * PSZ, PSZ, NULL));
	/* map/unmap work */
	for (i = 0; i != 10; i++) {
		iova = base + i * PSZ;
		EXPECT_OK(nio_ioas_map(ctx, ioas, buffer, PSZ, &iova,
				       MAP_FIXED_RW));
		EXPECT_EQ(iova, base + i * PSZ);
	}
	if (with_domain)
		EXPECT_OK(check_map(e.hwpt, base, buffer, PSZ));
	for (i = 0; i != 10; i++) {
		EXPECT_OK(nio_ioas_unmap(ctx, ioas, base + i * PSZ, PSZ,
					 &unmapped));
		EXPECT_EQ(unmapped, PSZ);
	}
	/* splitting a mapping fails */
	iova = base + 16 * PSZ;
	EXPECT_OK(nio_ioas_map(ctx, ioas, buffer, 2 * PSZ, &iova, MAP_FIXED_RW));
	EXPECT_ERR(ENOENT, "IOMMU_IOAS_UNMAP",
		   nio_ioas_unmap(ctx, ioas, base + 16 * PSZ, PSZ, NULL));
	EXPECT_ERR(ENOENT, "IOMMU_IOAS_UNMAP",
		   nio_ioas_unmap(ctx, ioas, base + 17 * PSZ, PSZ, NULL));
	/* over-mapping fails */
	{
		static const struct { int len, at; } over[] = {
			{ 2, 16 }, { 1, 16 }, { 1, 17 }, { 2, 15 }, { 3, 15 },
		};
		size_t k;

		for (k = 0; k < sizeof(over) / sizeof(over[0]); k++) {
			iova = base + over[k].at * PSZ;
			EXPECT_ERR(EEXIST, "IOMMU_IOAS_MAP",
				   nio_ioas_map(ctx, ioas, buffer,
						over[k].len * PSZ, &iova,
						MAP_FIXED_RW));
		}
	}
	/* unmap all, also on an empty IOAS */
	EXPECT_OK(nio_ioas_unmap_all(ctx, ioas, &unmapped));
	EXPECT_EQ(unmapped, 2 * PSZ);
	EXPECT_OK(nio_ioas_unmap_all(ctx, ioas, &unmapped));
	EXPECT_EQ(unmapped, 0);

	/* unmapping fully contained areas */
	base += 4 * PSZ;
	for (i = 0; i != 4; i++) {
		iova = base + i * 16 * PSZ;
		EXPECT_OK(nio_ioas_map(ctx, ioas, buffer, 8 * PSZ, &iova,
				       MAP_FIXED_RW));
	}
	EXPECT_ERR(ENOENT, "IOMMU_IOAS_UNMAP",
		   nio_ioas_unmap(ctx, ioas, base - 4 * PSZ, 8 * PSZ, NULL));
	EXPECT_ERR(ENOENT, "IOMMU_IOAS_UNMAP",
		   nio_ioas_unmap(ctx, ioas, base + 3 * 16 * PSZ + 4 * PSZ,
				  8 * PSZ, NULL));
	EXPECT_OK(nio_ioas_unmap(ctx, ioas, base - 4 * PSZ,
				 3 * 16 * PSZ + 8 * PSZ + 4 * PSZ, &unmapped));
	EXPECT_EQ(unmapped, 32 * PSZ);
	nio_ctx_unref(ctx);
}

static void t_ioas_area_no_domain(void)
{
	ioas_area(false);
}

static void t_ioas_area_mock_domain(void)
{
	ioas_area(true);
}

static void t_ioas_map_args(void)
{
	uint64_t iova = 0x100000;
	uint32_t ioas;

	OPEN_CTX();
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	EXPECT_ERR(EINVAL, "length is 0",
		   nio_ioas_map(ctx, ioas, buffer, 0, &iova, MAP_FIXED_RW));
	EXPECT_ERR(EINVAL, "NIO_MAP_READ",
		   nio_ioas_map(ctx, ioas, buffer, PSZ, &iova,
				NIO_MAP_FIXED_IOVA));
	EXPECT_ERR(EINVAL, "unknown flags",
		   nio_ioas_map(ctx, ioas, buffer, PSZ, &iova, 1u << 9));
	EXPECT_ERR(EINVAL, "nio_ioas_map",
		   nio_ioas_map(ctx, ioas, buffer, PSZ, NULL, MAP_RW));
	EXPECT_ERR(EINVAL, "nio_ioas_map",
		   nio_ioas_map(ctx, ioas, NULL, PSZ, &iova, MAP_RW));
	iova = UINT64_MAX - PSZ + 2;
	EXPECT_ERR(EOVERFLOW, "overflows",
		   nio_ioas_map(ctx, ioas, buffer, PSZ, &iova, MAP_FIXED_RW));
	EXPECT_ERR(EINVAL, "nio_ioas_unmap",
		   nio_ioas_unmap(ctx, ioas, 0x100000, 0, NULL));
	/* no-IOMMU physical address query: not built in this kernel */
	{
		uint64_t len = PSZ, pa;

		EXPECT_ERR(EOPNOTSUPP, "IOMMU_IOAS_NOIOMMU_GET_PA",
			   nio_ioas_get_pa(ctx, ioas, 0x100000, &len, &pa));
		len = 0;
		EXPECT_ERR(EINVAL, "nio_ioas_get_pa",
			   nio_ioas_get_pa(ctx, ioas, 0x100000, &len, &pa));
	}
	/* the kernel's answers */
	iova = 0x100000;
	EXPECT_ERR(ENOENT, "IOMMU_IOAS_MAP",
		   nio_ioas_map(ctx, 9999, buffer, PSZ, &iova, MAP_FIXED_RW));
	nio_ctx_unref(ctx);
}

static void t_ioas_auto_iova(void)
{
	struct nio_iova_range allowed;
	uint64_t iovas[10];
	struct mock_env e;
	int i;

	OPEN_CTX();
	ASSERT(mock_env(&e));
	for (i = 0; i != 10; i++) {
		uint64_t length = PSZ * (i + 1);

		EXPECT_OK(nio_ioas_map(ctx, e.ioas, buffer, length, &iovas[i],
				       MAP_RW));
		EXPECT_EQ(iovas[i] % (1UL << (__builtin_ffsll(length) - 1)), 0);
	}
	for (i = 0; i != 10; i++)
		EXPECT_OK(nio_ioas_unmap(ctx, e.ioas, iovas[i], PSZ * (i + 1),
					 NULL));
	/* avoids a reserved region */
	ASSERT_OK(add_reserved(e.ioas, PSZ * 4, PSZ * 100));
	for (i = 0; i != 10; i++) {
		uint64_t length = PSZ * (i + 1);

		EXPECT_OK(nio_ioas_map(ctx, e.ioas, buffer, length, &iovas[i],
				       MAP_RW));
		EXPECT(!(iovas[i] > PSZ * 4 && iovas[i] < PSZ * 104));
	}
	for (i = 0; i != 10; i++)
		EXPECT_OK(nio_ioas_unmap(ctx, e.ioas, iovas[i], PSZ * (i + 1),
					 NULL));
	/* an allowed region intersecting a reserved one */
	allowed = (struct nio_iova_range){ PSZ, PSZ * 600 };
	EXPECT_ERR(EADDRINUSE, "IOMMU_IOAS_ALLOW_IOVAS",
		   nio_ioas_allow_iovas(ctx, e.ioas, &allowed, 1));
	/* allocation from an allowed region */
	allowed = (struct nio_iova_range){ MOCK_APERTURE_START + PSZ,
					   MOCK_APERTURE_START + PSZ * 600 - 1 };
	EXPECT_OK(nio_ioas_allow_iovas(ctx, e.ioas, &allowed, 1));
	for (i = 0; i != 10; i++) {
		uint64_t length = PSZ * (i + 1);

		EXPECT_OK(nio_ioas_map(ctx, e.ioas, buffer, length, &iovas[i],
				       MAP_RW));
		EXPECT(iovas[i] >= allowed.start &&
		       iovas[i] + length <= allowed.last + 1);
	}
	EXPECT_OK(nio_ioas_unmap_all(ctx, e.ioas, NULL));
	/* the library refuses malformed lists before the kernel sees them */
	{
		struct nio_iova_range two[2] = {
			{ 0x10000, 0x20000 }, { 0x18000, 0x30000 },
		};

		EXPECT_ERR(EINVAL, "overlaps",
			   nio_ioas_allow_iovas(ctx, e.ioas, two, 2));
		two[0] = (struct nio_iova_range){ 0x20000, 0x10000 };
		EXPECT_ERR(EINVAL, "start",
			   nio_ioas_allow_iovas(ctx, e.ioas, two, 1));
	}
	/* an empty list allows everything again */
	EXPECT_OK(nio_ioas_allow_iovas(ctx, e.ioas, NULL, 0));
	nio_ctx_unref(ctx);
}

static void t_ioas_reserved_overflow(void)
{
	uint64_t iova;
	uint32_t ioas;

	OPEN_CTX();
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	ASSERT_OK(add_reserved(ioas, 6, 0xffffffffffff8001ULL));
	EXPECT_ERR(ENOSPC, "IOMMU_IOAS_MAP",
		   nio_ioas_map(ctx, ioas, buffer, 0x5000, &iova, MAP_RW));
	nio_ctx_unref(ctx);
}

static void t_ioas_area_allowed(void)
{
	struct nio_iova_range r = { MOCK_APERTURE_START,
				    MOCK_APERTURE_START + PSZ * 600 };
	uint32_t ioas;

	OPEN_CTX();
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	/* reserved intersects an allowed */
	ASSERT_OK(nio_ioas_allow_iovas(ctx, ioas, &r, 1));
	EXPECT_EQ(add_reserved(ioas, r.start + PSZ, PSZ), -EADDRINUSE);
	EXPECT_OK(nio_ioas_allow_iovas(ctx, ioas, NULL, 0));
	/* allowed intersects a reserved */
	ASSERT_OK(add_reserved(ioas, r.start + PSZ, PSZ));
	EXPECT_ERR(EADDRINUSE, "IOMMU_IOAS_ALLOW_IOVAS",
		   nio_ioas_allow_iovas(ctx, ioas, &r, 1));
	nio_ctx_unref(ctx);
}

static void t_ioas_copy(void)
{
	uint64_t iova = MOCK_APERTURE_START, dst;
	uint32_t ioas2, ioas3;
	struct mock_env e;

	OPEN_CTX();
	ASSERT(mock_env(&e));
	ASSERT_OK(nio_ioas_map(ctx, e.ioas, buffer, PSZ, &iova, MAP_FIXED_RW));
	/* inside one IOAS */
	dst = MOCK_APERTURE_START + PSZ;
	EXPECT_OK(nio_ioas_copy(ctx, e.ioas, e.ioas, iova, PSZ, &dst,
				MAP_FIXED_RW));
	EXPECT_EQ(dst, MOCK_APERTURE_START + PSZ);
	EXPECT_OK(check_map(e.hwpt, dst, buffer, PSZ));
	/* between IOASes, IOVA chosen by the kernel */
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas2));
	EXPECT_OK(nio_ioas_copy(ctx, ioas2, e.ioas, iova, PSZ, &dst, MAP_RW));
	/* and to a domain attached there */
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas3));
	{
		uint32_t hwpt3;

		ASSERT_OK(mock_domain(ioas3, NULL, &hwpt3, NULL));
		dst = MOCK_APERTURE_START + 8 * PSZ;
		EXPECT_OK(nio_ioas_copy(ctx, ioas3, e.ioas, iova, PSZ, &dst,
					MAP_FIXED_RW));
		EXPECT_OK(check_map(hwpt3, dst, buffer, PSZ));
	}
	/* the source must be exactly a mapped range */
	EXPECT_ERR(ENOENT, "IOMMU_IOAS_COPY",
		   nio_ioas_copy(ctx, ioas2, e.ioas, iova + 64 * PSZ, PSZ, &dst,
				 MAP_RW));
	EXPECT_ERR(ENOENT, "IOMMU_IOAS_COPY",
		   nio_ioas_copy(ctx, 9999, e.ioas, iova, PSZ, &dst, MAP_RW));
	nio_ctx_unref(ctx);
}

static void t_ioas_iova_ranges(void)
{
	struct nio_iova_range r[4];
	uint64_t align = 0;
	struct mock_env e;
	uint32_t ioas, num;

	OPEN_CTX();
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	num = 4;
	EXPECT_OK(nio_ioas_iova_ranges(ctx, ioas, r, &num, &align));
	EXPECT_EQ(num, 1);
	EXPECT_EQ(r[0].start, 0);
	EXPECT_EQ(r[0].last, SIZE_MAX);
	EXPECT_EQ(align, 1);
	/* buffer too small: -EMSGSIZE and the count needed */
	num = 0;
	EXPECT_ERR(EMSGSIZE, "IOMMU_IOAS_IOVA_RANGES",
		   nio_ioas_iova_ranges(ctx, ioas, NULL, &num, NULL));
	EXPECT_EQ(num, 1);
	/* two ranges around a reserved page */
	ASSERT_OK(add_reserved(ioas, PSZ, PSZ));
	num = 4;
	EXPECT_OK(nio_ioas_iova_ranges(ctx, ioas, r, &num, NULL));
	EXPECT_EQ(num, 2);
	EXPECT_EQ(r[0].last, PSZ - 1);
	EXPECT_EQ(r[1].start, 2 * PSZ);
	EXPECT_EQ(r[1].last, SIZE_MAX);
	memset(r, 0, sizeof(r));
	num = 1;
	EXPECT_ERR(EMSGSIZE, "IOMMU_IOAS_IOVA_RANGES",
		   nio_ioas_iova_ranges(ctx, ioas, r, &num, NULL));
	EXPECT_EQ(num, 2);
	EXPECT_EQ(r[0].last, PSZ - 1);
	EXPECT_EQ(r[1].last, 0);
	EXPECT_ERR(EINVAL, "nio_ioas_iova_ranges",
		   nio_ioas_iova_ranges(ctx, ioas, NULL, NULL, NULL));
	/* with a mock domain: its aperture and page size */
	ASSERT(mock_env(&e));
	num = 4;
	EXPECT_OK(nio_ioas_iova_ranges(ctx, e.ioas, r, &num, &align));
	EXPECT_EQ(num, 1);
	EXPECT_EQ(r[0].start, MOCK_APERTURE_START);
	EXPECT_EQ(r[0].last, MOCK_APERTURE_LAST);
	EXPECT_EQ(align, MOCK_PAGE_SIZE);
	EXPECT_ERR(ENOENT, "IOMMU_IOAS_IOVA_RANGES",
		   nio_ioas_iova_ranges(ctx, 9999, r, &num, NULL));
	nio_ctx_unref(ctx);
}

static void t_ioas_option_huge_pages(void)
{
	uint64_t val = 3;
	uint32_t ioas;

	OPEN_CTX();
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	EXPECT_OK(nio_option_get(ctx, NIO_OPTION_HUGE_PAGES, ioas, &val));
	EXPECT_EQ(val, 1);
	EXPECT_OK(nio_option_set(ctx, NIO_OPTION_HUGE_PAGES, ioas, 0));
	val = 3;
	EXPECT_OK(nio_option_get(ctx, NIO_OPTION_HUGE_PAGES, ioas, &val));
	EXPECT_EQ(val, 0);
	EXPECT_ERR(EINVAL, "IOMMU_OPTION",
		   nio_option_set(ctx, NIO_OPTION_HUGE_PAGES, ioas, 2));
	EXPECT_OK(nio_option_set(ctx, NIO_OPTION_HUGE_PAGES, ioas, 1));
	nio_ctx_unref(ctx);
}

static void t_ioas_iova_alloc_alignment(void)
{
	static const unsigned int lens[] = { 1, 2047, 2048, 2049, 4095, 4096,
					     6144, 8191 };
	struct mock_env e;
	uint32_t ioas;
	uint64_t iova;
	size_t i;

	OPEN_CTX();
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	ASSERT(mock_env(&e));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		/* no domain: any length */
		if (EXPECT_OK(nio_ioas_map(ctx, ioas, buffer, lens[i], &iova,
					   MAP_RW)))
			EXPECT_OK(nio_ioas_unmap(ctx, ioas, iova, lens[i],
						 NULL));
		/* mock domain: multiples of its 2 KiB page */
		if (lens[i] % MOCK_PAGE_SIZE) {
			EXPECT_ERR(EINVAL, "aligned to 0x800",
				   nio_ioas_map(ctx, e.ioas, buffer, lens[i],
						&iova, MAP_RW));
		} else if (EXPECT_OK(nio_ioas_map(ctx, e.ioas, buffer, lens[i],
						  &iova, MAP_RW))) {
			EXPECT_OK(nio_ioas_unmap(ctx, e.ioas, iova, lens[i],
						 NULL));
		}
	}
	nio_ctx_unref(ctx);
}

static void t_ioas_align_change(void)
{
	uint64_t iova = MOCK_APERTURE_START;
	uint32_t ioas;

	OPEN_CTX();
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	ASSERT_OK(nio_ioas_map(ctx, ioas, buffer, PSZ, &iova, MAP_FIXED_RW));
	/* PAGE_SIZE alignment is possible when everything is aligned */
	EXPECT_OK(nio_option_set(ctx, NIO_OPTION_HUGE_PAGES, ioas, 0));
	/* misalignment is then refused at map time */
	iova = MOCK_APERTURE_START + PSZ;
	EXPECT_ERR(EINVAL, "IOMMU_IOAS_MAP",
		   nio_ioas_map(ctx, ioas, (char *)buffer + MOCK_PAGE_SIZE, PSZ,
				&iova, MAP_FIXED_RW));
	EXPECT_OK(nio_option_set(ctx, NIO_OPTION_HUGE_PAGES, ioas, 1));
	iova = MOCK_APERTURE_START + PSZ;
	EXPECT_OK(nio_ioas_map(ctx, ioas, (char *)buffer + MOCK_PAGE_SIZE, PSZ,
			       &iova, MAP_FIXED_RW));
	/* and upgrading the alignment is refused while it exists */
	EXPECT_ERR(EADDRINUSE, "IOMMU_OPTION",
		   nio_option_set(ctx, NIO_OPTION_HUGE_PAGES, ioas, 0));
	EXPECT_OK(nio_ioas_unmap(ctx, ioas, MOCK_APERTURE_START + PSZ, PSZ,
				 NULL));
	EXPECT_OK(nio_ioas_unmap(ctx, ioas, MOCK_APERTURE_START, PSZ, NULL));
	nio_ctx_unref(ctx);
}

static void t_ioas_map_file(void)
{
	uint64_t iova = MOCK_APERTURE_START, iova2;
	struct mock_env e;
	pid_t child;
	int status;

	OPEN_CTX();
	ASSERT(mock_env(&e));
	/* non-file mappings forbid moving the accounting */
	ASSERT_OK(nio_ioas_map(ctx, e.ioas, buffer, PSZ, &iova, MAP_RW));
	EXPECT_ERR(EINVAL, "IOMMU_IOAS_CHANGE_PROCESS",
		   nio_ioas_change_process(ctx));
	EXPECT_OK(nio_ioas_unmap(ctx, e.ioas, iova, PSZ, NULL));

	/* memfd: fixed and kernel-chosen IOVAs, the domain maps its pages */
	iova = MOCK_APERTURE_START + 64 * PSZ;
	EXPECT_OK(nio_ioas_map_file(ctx, e.ioas, mfd, 0, 4 * PSZ, &iova,
				    MAP_FIXED_RW));
	EXPECT_OK(check_map(e.hwpt, iova, mfd_buffer, 4 * PSZ));
	EXPECT_OK(nio_ioas_map_file(ctx, e.ioas, mfd, 4 * PSZ, 4 * PSZ, &iova2,
				    MAP_RW));
	EXPECT_OK(check_map(e.hwpt, iova2, (char *)mfd_buffer + 4 * PSZ,
			    4 * PSZ));
	EXPECT_OK(check_refs_fd(cfd(), mfd_buffer, 8 * PSZ, 1));
	/* only file mappings now: change_process works, here and in a child */
	EXPECT_OK(nio_ioas_change_process(ctx));
	fflush(stdout);
	child = fork();
	if (child == 0)
		_exit(nio_ioas_change_process(ctx) ? 1 : 0);
	ASSERT(child > 0);
	EXPECT(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0);
	/* errors */
	EXPECT_ERR(EINVAL, "nio_ioas_map_file",
		   nio_ioas_map_file(ctx, e.ioas, -1, 0, PSZ, &iova, MAP_RW));
	EXPECT_ERR(EBADF, "IOMMU_IOAS_MAP_FILE",
		   nio_ioas_map_file(ctx, e.ioas, 1000, 0, PSZ, &iova, MAP_RW));
	{
		int nfd = open("/dev/null", O_RDWR);

		EXPECT_ERR(EINVAL, "IOMMU_IOAS_MAP_FILE",
			   nio_ioas_map_file(ctx, e.ioas, nfd, 0, PSZ, &iova,
					     MAP_RW));
		close(nfd);
	}
	iova = MOCK_APERTURE_START + 64 * PSZ;
	EXPECT_ERR(EEXIST, "IOMMU_IOAS_MAP_FILE",
		   nio_ioas_map_file(ctx, e.ioas, mfd, 0, PSZ, &iova,
				     MAP_FIXED_RW));
	EXPECT_OK(nio_ioas_unmap_all(ctx, e.ioas, NULL));
	EXPECT_OK(check_refs_fd(cfd(), mfd_buffer, 8 * PSZ, 0));
	nio_ctx_unref(ctx);
}

static void t_vfio_ioas(void)
{
	uint32_t ioas, got = 0, zero = 0;

	OPEN_CTX();
	EXPECT_ERR(ENODEV, "IOMMU_VFIO_IOAS",
		   nio_vfio_ioas(ctx, NIO_VFIO_IOAS_GET, &got));
	EXPECT_ERR(ENOENT, "IOMMU_VFIO_IOAS",
		   nio_vfio_ioas(ctx, NIO_VFIO_IOAS_SET, &zero));
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	EXPECT_OK(nio_vfio_ioas(ctx, NIO_VFIO_IOAS_SET, &ioas));
	EXPECT_OK(nio_vfio_ioas(ctx, NIO_VFIO_IOAS_GET, &got));
	EXPECT_EQ(got, ioas);
	EXPECT_OK(nio_vfio_ioas(ctx, NIO_VFIO_IOAS_CLEAR, NULL));
	EXPECT_ERR(ENODEV, "IOMMU_VFIO_IOAS",
		   nio_vfio_ioas(ctx, NIO_VFIO_IOAS_GET, &got));
	EXPECT_ERR(EINVAL, "unknown op",
		   nio_vfio_ioas(ctx, (enum nio_vfio_ioas_op)7, &got));
	nio_ctx_unref(ctx);
}

/* ------------------------------------------------------------------ */
/* hw_info                                                             */

static void t_hw_info(void)
{
	struct nio_hw_info info = { .sz = sizeof(info) };
	struct iommu_test_hw_info reg;
	struct mock_env e;
	uint32_t pasid_idev;

	OPEN_CTX();
	ASSERT(mock_env(&e));
	EXPECT_OK(nio_hw_info(ctx, e.idev, &info));
	EXPECT_EQ(info.type, NIO_HW_INFO_SELFTEST);
	EXPECT_EQ(info.type, IOMMU_HW_INFO_TYPE_SELFTEST);
	EXPECT_EQ(info.data_len, sizeof(reg));
	memcpy(&reg, info.data, sizeof(reg));
	EXPECT_EQ(reg.test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);
	EXPECT_EQ(info.max_pasid_log2, 0);
	EXPECT(info.capabilities & NIO_HW_CAP_DIRTY_TRACKING);
	EXPECT(nio_hw_info_type_name(info.type) &&
	       !strcmp(nio_hw_info_type_name(info.type), "selftest"));
	/* requesting a type: a wrong one, then the right one */
	info = (struct nio_hw_info){ .sz = sizeof(info),
				     .type = NIO_HW_INFO_SELFTEST + 1 };
	EXPECT_ERR(EOPNOTSUPP, "IOMMU_GET_HW_INFO",
		   nio_hw_info(ctx, e.idev, &info));
	info = (struct nio_hw_info){ .sz = sizeof(info),
				     .type = NIO_HW_INFO_SELFTEST };
	EXPECT_OK(nio_hw_info(ctx, e.idev, &info));
	EXPECT_EQ(info.type, NIO_HW_INFO_SELFTEST);
	/* an older caller's shorter struct gets the prefix it knows */
	{
		struct {
			struct nio_hw_info info;
			uint64_t canary;
		} s;

		memset(&s, 0xa5, sizeof(s));
		s.info.sz = offsetof(struct nio_hw_info, max_pasid_log2);
		s.info.type = 0;
		EXPECT_OK(nio_hw_info(ctx, e.idev, &s.info));
		EXPECT_EQ(s.info.sz, offsetof(struct nio_hw_info, max_pasid_log2));
		EXPECT_EQ(s.info.type, NIO_HW_INFO_SELFTEST);
		EXPECT_EQ(s.info.capabilities, 0xa5a5a5a5a5a5a5a5ULL);
		EXPECT_EQ(s.canary, 0xa5a5a5a5a5a5a5a5ULL);
	}
	/* a PASID-capable mock device reports its width */
	ASSERT_OK(mock_domain_flags(e.ioas, MOCK_FLAGS_DEVICE_PASID, NULL, NULL,
				    &pasid_idev));
	info = (struct nio_hw_info){ .sz = sizeof(info) };
	EXPECT_OK(nio_hw_info(ctx, pasid_idev, &info));
	EXPECT_EQ(info.max_pasid_log2, MOCK_PASID_WIDTH);
	/* no such device */
	info = (struct nio_hw_info){ .sz = sizeof(info) };
	EXPECT_ERR(ENOENT, "IOMMU_GET_HW_INFO", nio_hw_info(ctx, 0, &info));
	EXPECT_ERR(ENOENT, "IOMMU_GET_HW_INFO", nio_hw_info(ctx, e.ioas, &info));
	nio_ctx_unref(ctx);
}

/* ------------------------------------------------------------------ */
/* HWPTs                                                               */

static void t_hwpt_alloc_paging(void)
{
	struct nio_object_info info = { .sz = sizeof(info) };
	uint32_t hwpt[2], stdev2;
	struct mock_env e;

	OPEN_CTX();
	ASSERT(mock_env(&e));
	/* unknown flags reach the kernel, which refuses them */
	{
		NIO_OPTS(nio_hwpt_alloc_opts, o, .flags = ~NIO_HWPT_NEST_PARENT);

		EXPECT_ERR(EOPNOTSUPP, "IOMMU_HWPT_ALLOC",
			   nio_hwpt_alloc(ctx, e.idev, e.ioas, &o, &hwpt[0]));
	}
	ASSERT_OK(nio_hwpt_alloc(ctx, e.idev, e.ioas, NULL, &hwpt[0]));
	ASSERT_OK(nio_hwpt_alloc_nest_parent(ctx, e.idev, e.ioas, &hwpt[1]));
	EXPECT_OK(nio_object_info(ctx, hwpt[1], &info));
	EXPECT_EQ(info.type, NIO_OBJ_HWPT_PAGING);
	EXPECT_EQ(info.parent_id, e.ioas);
	EXPECT_EQ(info.dev_id, e.idev);
	EXPECT_EQ(info.flags, NIO_HWPT_NEST_PARENT);
	/* rotation: an attached HWPT is busy */
	EXPECT_OK(mock_replace(e.stdev, hwpt[0]));
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, hwpt[0]));
	EXPECT_OK(mock_replace(e.stdev, hwpt[1]));
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, hwpt[1]));
	EXPECT_OK(mock_replace(e.stdev, e.ioas));
	EXPECT_OK(nio_destroy(ctx, hwpt[1]));
	/* a device created directly on a HWPT */
	EXPECT_OK(mock_domain(hwpt[0], &stdev2, NULL, NULL));
	EXPECT_OK(nio_destroy(ctx, stdev2));
	EXPECT_OK(nio_destroy(ctx, hwpt[0]));
	/* a paging HWPT described by driver data (selftest page table type) */
	{
		struct iommu_hwpt_selftest cfg = {
			.pagetable_type = MOCK_IOMMUPT_HUGE,
		};
		NIO_OPTS(nio_hwpt_alloc_opts, o, .data_type = NIO_HWPT_DATA_SELFTEST,
			 .data_len = sizeof(cfg), .data = &cfg);

		if (EXPECT_OK(nio_hwpt_alloc(ctx, e.idev, e.ioas, &o, &hwpt[0]))) {
			info = (struct nio_object_info){ .sz = sizeof(info) };
			EXPECT_OK(nio_object_info(ctx, hwpt[0], &info));
			/* pt_id is an IOAS: a paging HWPT, whatever the data */
			EXPECT_EQ(info.type, NIO_OBJ_HWPT_PAGING);
		}
	}
	/* wrong IDs */
	EXPECT_ERR(ENOENT, "IOMMU_HWPT_ALLOC",
		   nio_hwpt_alloc(ctx, e.ioas, e.idev, NULL, &hwpt[0]));
	EXPECT_ERR(EINVAL, "IOMMU_HWPT_ALLOC",
		   nio_hwpt_alloc(ctx, e.idev, e.idev, NULL, &hwpt[0]));
	{
		NIO_OPTS(nio_hwpt_alloc_opts, o,
			 .flags = NIO_HWPT_NEST_PARENT | NIO_HWPT_FAULT_ID_VALID);

		EXPECT_ERR(EOPNOTSUPP, "IOMMU_HWPT_ALLOC",
			   nio_hwpt_alloc(ctx, e.idev, e.ioas, &o, &hwpt[0]));
	}
	/* OPTS: a longer struct from a newer caller with a non-zero tail */
	{
		struct {
			struct nio_hwpt_alloc_opts o;
			uint64_t future;
		} big = { .o = { .sz = sizeof(big) }, .future = 1 };

		EXPECT_ERR(E2BIG, "nio_hwpt_alloc_opts",
			   nio_hwpt_alloc(ctx, e.idev, e.ioas, &big.o, &hwpt[0]));
		big.future = 0;
		EXPECT_OK(nio_hwpt_alloc(ctx, e.idev, e.ioas, &big.o, &hwpt[0]));
	}
	nio_ctx_unref(ctx);
}

static void t_hwpt_alloc_nested(void)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	uint32_t parent, not_parent, nested[2], hwpt, iopf_hwpt, fault_id;
	struct nio_object_info info = { .sz = sizeof(info) };
	struct nio_fault f[2];
	struct mock_env e;
	int fault_fd = -1;

	OPEN_CTX();
	ASSERT(mock_env(&e));
	ASSERT_OK(nio_hwpt_alloc_nest_parent(ctx, e.idev, e.ioas, &parent));
	ASSERT_OK(nio_hwpt_alloc(ctx, e.idev, e.ioas, NULL, &not_parent));

	{
		NIO_OPTS(nio_hwpt_alloc_opts, o, .data_type = NIO_HWPT_DATA_NONE,
			 .data_len = sizeof(data), .data = &data);

		/* data without a type: the library refuses it (kernel: EINVAL) */
		EXPECT_ERR(EINVAL, "nio_hwpt_alloc",
			   nio_hwpt_alloc(ctx, e.idev, parent, &o, &hwpt));
		/* an unknown type */
		o.data_type = NIO_HWPT_DATA_SELFTEST + 1;
		EXPECT_ERR(EOPNOTSUPP, "IOMMU_HWPT_ALLOC",
			   nio_hwpt_alloc(ctx, e.idev, parent, &o, &hwpt));
		/* too short */
		o.data_type = NIO_HWPT_DATA_SELFTEST;
		o.data_len = offsetof(struct iommu_hwpt_selftest, iotlb) +
			     sizeof(data.iotlb) - 1;
		EXPECT_ERR(EINVAL, "IOMMU_HWPT_ALLOC",
			   nio_hwpt_alloc(ctx, e.idev, parent, &o, &hwpt));
		/* NULL data: the library refuses it (kernel: EFAULT) */
		o.data_len = sizeof(data);
		o.data = NULL;
		EXPECT_ERR(EINVAL, "nio_hwpt_alloc",
			   nio_hwpt_alloc(ctx, e.idev, parent, &o, &hwpt));
		/* NEST_PARENT on a nested HWPT */
		o.data = &data;
		o.flags = NIO_HWPT_NEST_PARENT;
		EXPECT_ERR(EOPNOTSUPP, "IOMMU_HWPT_ALLOC",
			   nio_hwpt_alloc(ctx, e.idev, parent, &o, &hwpt));
		/* a parent that is not a nest parent */
		o.flags = 0;
		EXPECT_ERR(EINVAL, "IOMMU_HWPT_ALLOC",
			   nio_hwpt_alloc(ctx, e.idev, not_parent, &o, &hwpt));
		/* two nested HWPTs share one parent */
		ASSERT_OK(nio_hwpt_alloc(ctx, e.idev, parent, &o, &nested[0]));
		ASSERT_OK(nio_hwpt_alloc(ctx, e.idev, parent, &o, &nested[1]));
		EXPECT_OK(nio_object_info(ctx, nested[0], &info));
		EXPECT_EQ(info.type, NIO_OBJ_HWPT_NESTED);
		EXPECT_EQ(info.parent_id, parent);
		EXPECT_EQ(info.type_param, NIO_HWPT_DATA_SELFTEST);
		EXPECT(check_iotlbs(nested[0], IOMMU_TEST_IOTLB_DEFAULT,
				    IOMMU_TEST_IOTLB_DEFAULT,
				    IOMMU_TEST_IOTLB_DEFAULT,
				    IOMMU_TEST_IOTLB_DEFAULT));
		/* nested on nested */
		EXPECT_ERR(EINVAL, "IOMMU_HWPT_ALLOC",
			   nio_hwpt_alloc(ctx, e.idev, nested[0], &o, &hwpt));
		/* the parent is now busy */
		EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, parent));

		/* IOPF-capable nested HWPT reporting to a fault queue */
		ASSERT_OK(nio_fault_alloc(ctx, &fault_id, &fault_fd));
		EXPECT(fault_fd >= 0);
		o.flags = NIO_HWPT_FAULT_ID_VALID;
		o.fault_id = UINT32_MAX;
		EXPECT_ERR(ENOENT, "IOMMU_HWPT_ALLOC",
			   nio_hwpt_alloc(ctx, e.idev, parent, &o, &iopf_hwpt));
		o.fault_id = fault_id;
		ASSERT_OK(nio_hwpt_alloc(ctx, e.idev, parent, &o, &iopf_hwpt));
	}

	/* attach/replace: an attached HWPT is busy */
	EXPECT_OK(mock_replace(e.stdev, nested[0]));
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, nested[0]));
	EXPECT_OK(mock_replace(e.stdev, nested[1]));
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, nested[1]));
	EXPECT_OK(nio_destroy(ctx, nested[0]));
	EXPECT_OK(mock_replace(e.stdev, iopf_hwpt));
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, iopf_hwpt));
	/* an IOPF: read it, answer it */
	EXPECT_EQ(nio_fault_read(ctx, fault_id, f, 2), 0);
	ASSERT_OK(trigger_iopf(e.idev, 0x1));
	if (EXPECT_EQ(nio_fault_read(ctx, fault_id, f, 2), 1)) {
		EXPECT_EQ(f[0].dev_id, e.idev);
		EXPECT_EQ(f[0].addr, 0xdeadbeaf);
		EXPECT_EQ(f[0].grpid, 2);
		EXPECT_EQ(f[0].pasid, 1);
		EXPECT_EQ(f[0].perm, NIO_FAULT_PERM_READ | NIO_FAULT_PERM_WRITE);
		EXPECT(f[0].flags & NIO_FAULT_LAST_PAGE);
		EXPECT(f[0].flags & NIO_FAULT_PASID_VALID);
		EXPECT_ERR(EINVAL, "unknown code",
			   nio_fault_respond(ctx, fault_id, f[0].cookie,
					     (enum nio_fault_code)9));
		EXPECT_OK(nio_fault_respond(ctx, fault_id, f[0].cookie,
					    NIO_FAULT_RESP_SUCCESS));
		/* answered already: the kernel no longer knows the cookie */
		EXPECT_ERR(EINVAL, "write(fault queue",
			   nio_fault_respond(ctx, fault_id, f[0].cookie,
					     NIO_FAULT_RESP_SUCCESS));
	}
	EXPECT_EQ(nio_fault_read(ctx, fault_id, f, 2), 0);
	EXPECT_ERR(ENOENT, "not a fault",
		   nio_fault_read(ctx, e.ioas, f, 1));
	/*
	 * The fault queue is busy while a HWPT reports to it; a refused
	 * destroy must leave it usable (its descriptor open and readable).
	 */
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, fault_id));
	EXPECT(fcntl(fault_fd, F_GETFD) >= 0);
	EXPECT_OK(nio_fault_read(ctx, fault_id, f, 2));

	/* detach, then everything can go */
	EXPECT_OK(mock_replace(e.stdev, parent));
	EXPECT_OK(nio_destroy(ctx, nested[1]));
	EXPECT_OK(nio_destroy(ctx, iopf_hwpt));
	EXPECT_OK(mock_replace(e.stdev, e.ioas));
	EXPECT_OK(nio_destroy(ctx, parent));
	EXPECT_OK(nio_destroy(ctx, not_parent));
	EXPECT_OK(nio_destroy(ctx, fault_id));
	EXPECT(fcntl(fault_fd, F_GETFD) == -1);
	nio_ctx_unref(ctx);
}

static void t_hwpt_invalidate(void)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_invalidate_selftest inv[2] = {};
	const uint32_t D = IOMMU_TEST_IOTLB_DEFAULT;
	uint32_t parent, nested[2], num;
	struct mock_env e;
	NIO_OPTS(nio_hwpt_alloc_opts, o, .data_type = NIO_HWPT_DATA_SELFTEST,
		 .data_len = sizeof(data), .data = &data);

	OPEN_CTX();
	ASSERT(mock_env(&e));
	ASSERT_OK(nio_hwpt_alloc_nest_parent(ctx, e.idev, e.ioas, &parent));
	ASSERT_OK(nio_hwpt_alloc(ctx, e.idev, parent, &o, &nested[0]));
	ASSERT_OK(nio_hwpt_alloc(ctx, e.idev, parent, &o, &nested[1]));

#define INV(id, type, arr, len, n)                                            \
	(num = (n), nio_invalidate(ctx, id, type, arr, len, &num))
	/* not on a parent */
	EXPECT_ERR(EINVAL, "IOMMU_HWPT_INVALIDATE",
		   INV(parent, NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 1));
	EXPECT_EQ(num, 0);
	/* an empty array checks the type */
	EXPECT_OK(INV(nested[0], NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 0));
	EXPECT_EQ(num, 0);
	/* a wrong type */
	EXPECT_ERR(EINVAL, "IOMMU_HWPT_INVALIDATE",
		   INV(nested[0], IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
		       inv, sizeof(*inv), 1));
	EXPECT_EQ(num, 0);
	/* entry sizes */
	EXPECT_ERR(EINVAL, "IOMMU_HWPT_INVALIDATE",
		   INV(nested[0], NIO_INVALIDATE_SELFTEST, inv,
		       sizeof(*inv) + 1, 1));
	EXPECT_EQ(num, 0);
	EXPECT_ERR(EINVAL, "IOMMU_HWPT_INVALIDATE",
		   INV(nested[0], NIO_INVALIDATE_SELFTEST, inv, 1, 1));
	EXPECT_EQ(num, 0);
	{
		void *big = calloc(1, 2 * PSZ);

		EXPECT_ERR(EINVAL, "IOMMU_HWPT_INVALIDATE",
			   INV(nested[0], NIO_INVALIDATE_SELFTEST, big,
			       PSZ + 1, 1));
		EXPECT_EQ(num, 0);
		free(big);
	}
	/* unknown flags */
	inv[0].flags = 0xffffffff;
	EXPECT_ERR(EOPNOTSUPP, "IOMMU_HWPT_INVALIDATE",
		   INV(nested[0], NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 1));
	EXPECT_EQ(num, 0);
	inv[0].flags = 0;
	/* NULL array / zero entry_len with entries: refused by the library */
	EXPECT_ERR(EINVAL, "nio_invalidate",
		   INV(nested[0], NIO_INVALIDATE_SELFTEST, NULL, sizeof(*inv), 1));
	EXPECT_EQ(num, 0);
	EXPECT_ERR(EINVAL, "nio_invalidate",
		   INV(nested[0], NIO_INVALIDATE_SELFTEST, inv, 0, 1));
	EXPECT_EQ(num, 0);
	/* iotlb_id out of range */
	inv[0].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	EXPECT_ERR(EINVAL, "IOMMU_HWPT_INVALIDATE",
		   INV(nested[0], NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 1));
	EXPECT_EQ(num, 0);

	/* partial progress: entry 0 applied, entry 1 fails (flags) */
	inv[0] = (struct iommu_hwpt_invalidate_selftest){ 0, 0 };
	inv[1] = (struct iommu_hwpt_invalidate_selftest){ 0xffffffff, 1 };
	EXPECT_ERR(EOPNOTSUPP, "failed at entry 1",
		   INV(nested[0], NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 2));
	EXPECT_EQ(num, 1);
	EXPECT(check_iotlbs(nested[0], 0, D, D, D));
	/* entry 1 fails (iotlb_id) */
	inv[1] = (struct iommu_hwpt_invalidate_selftest){
		0, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1 };
	EXPECT_ERR(EINVAL, "failed at entry 1",
		   INV(nested[0], NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 2));
	EXPECT_EQ(num, 1);
	EXPECT(check_iotlbs(nested[0], 0, D, D, D));
	/* single entries, then two */
	inv[0] = (struct iommu_hwpt_invalidate_selftest){ 0, 1 };
	EXPECT_OK(INV(nested[0], NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 1));
	EXPECT_EQ(num, 1);
	EXPECT(check_iotlbs(nested[0], 0, 0, D, D));
	inv[0] = (struct iommu_hwpt_invalidate_selftest){ 0, 2 };
	inv[1] = (struct iommu_hwpt_invalidate_selftest){ 0, 3 };
	EXPECT_OK(INV(nested[0], NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 2));
	EXPECT_EQ(num, 2);
	EXPECT(check_iotlbs(nested[0], 0, 0, 0, 0));
	/* FLAG_ALL on the other one */
	inv[0] = (struct iommu_hwpt_invalidate_selftest){
		IOMMU_TEST_INVALIDATE_FLAG_ALL, 0 };
	EXPECT(check_iotlbs(nested[1], D, D, D, D));
	EXPECT_OK(INV(nested[1], NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 1));
	EXPECT_EQ(num, 1);
	EXPECT(check_iotlbs(nested[1], 0, 0, 0, 0));

	/*
	 * More entries than the kernel takes in one call (2^19): the kernel
	 * refuses such an array (EINVAL); the library splits it and every
	 * entry takes effect.
	 */
	{
		const uint32_t n = (1u << 19) + 1;
		struct iommu_hwpt_invalidate_selftest *many =
			calloc(n, sizeof(*many));

		ASSERT(many);
		many[n - 1].flags = 0xffffffff; /* the last one fails */
		EXPECT_ERR(EOPNOTSUPP, "failed at entry 524288",
			   INV(nested[1], NIO_INVALIDATE_SELFTEST, many,
			       sizeof(*many), n));
		EXPECT_EQ(num, n - 1);
		many[n - 1].flags = 0;
		EXPECT_OK(INV(nested[1], NIO_INVALIDATE_SELFTEST, many,
			      sizeof(*many), n));
		EXPECT_EQ(num, n);
		free(many);
	}
#undef INV
	nio_ctx_unref(ctx);
}

static void t_dirty_tracking(void)
{
	const size_t size = 128 * 1024, nbits = size / PSZ;
	uint64_t iova = MOCK_APERTURE_START, bitmap[4], nr = 0, caps;
	uint32_t hwpt, stdev2, nodirty_ioas, nodirty_idev, nodirty_stdev;
	struct nio_hw_info info = { .sz = sizeof(info) };
	struct mock_env e;
	size_t i;
	void *buf;

	OPEN_CTX();
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT(buf != MAP_FAILED);
	ASSERT_OK(nio_ioas_alloc(ctx, &e.ioas));
	/* 4 KiB IOPTEs in the domain: one bit per PAGE_SIZE page */
	ASSERT_OK(nio_option_set(ctx, NIO_OPTION_HUGE_PAGES, e.ioas, 0));
	ASSERT_OK(mock_domain(e.ioas, &e.stdev, &e.hwpt, &e.idev));
	EXPECT_OK(nio_hw_info(ctx, e.idev, &info));
	caps = info.capabilities;
	EXPECT(caps & NIO_HW_CAP_DIRTY_TRACKING);
	ASSERT_OK(nio_ioas_map(ctx, e.ioas, buf, size, &iova, MAP_FIXED_RW));
	{
		NIO_OPTS(nio_hwpt_alloc_opts, o,
			 .flags = NIO_HWPT_DIRTY_TRACKING);

		ASSERT_OK(nio_hwpt_alloc(ctx, e.idev, e.ioas, &o, &hwpt));
		/* a device without dirty tracking cannot use it */
		EXPECT_OK(mock_domain(hwpt, &stdev2, NULL, NULL));
		EXPECT_EQ(mock_domain_flags(hwpt, MOCK_FLAGS_DEVICE_NO_DIRTY,
					    NULL, NULL, NULL), -EINVAL);
		EXPECT_OK(nio_destroy(ctx, stdev2));
		/* nor allocate one */
		ASSERT_OK(nio_ioas_alloc(ctx, &nodirty_ioas));
		ASSERT_OK(mock_domain_flags(nodirty_ioas,
					    MOCK_FLAGS_DEVICE_NO_DIRTY,
					    &nodirty_stdev, NULL,
					    &nodirty_idev));
		EXPECT_ERR(EOPNOTSUPP, "IOMMU_HWPT_ALLOC",
			   nio_hwpt_alloc(ctx, nodirty_idev, nodirty_ioas, &o,
					  &stdev2));
		EXPECT_OK(nio_destroy(ctx, nodirty_stdev));
	}
	EXPECT_OK(nio_hwpt_set_dirty_tracking(ctx, hwpt, true));
	/* mark every other page dirty in the mock's page table */
	memset(bitmap, 0, sizeof(bitmap));
	for (i = 0; i < nbits; i += 2)
		bitmap[i / 64] |= 1ULL << (i % 64);
	ASSERT_OK(mock_set_dirty(hwpt, iova, size, PSZ, bitmap, &nr));
	EXPECT_EQ(nr, nbits / 2);
	/* read with NO_CLEAR twice: same bits */
	for (int round = 0; round < 2; round++) {
		memset(bitmap, 0, sizeof(bitmap));
		EXPECT_OK(nio_hwpt_get_dirty_bitmap(ctx, hwpt, iova, size, PSZ,
						    bitmap, NIO_DIRTY_NO_CLEAR));
		for (i = 0; i < nbits; i++)
			if (!EXPECT_EQ(!!(bitmap[i / 64] & (1ULL << (i % 64))),
				       !(i % 2)))
				break;
	}
	/* read and clear, then nothing is left */
	memset(bitmap, 0, sizeof(bitmap));
	EXPECT_OK(nio_hwpt_get_dirty_bitmap(ctx, hwpt, iova, size, PSZ, bitmap,
					    0));
	EXPECT_EQ(bitmap[0] & 0xffffffff, 0x55555555);
	memset(bitmap, 0, sizeof(bitmap));
	EXPECT_OK(nio_hwpt_get_dirty_bitmap(ctx, hwpt, iova, size, PSZ, bitmap,
					    0));
	EXPECT_EQ(bitmap[0] | bitmap[1], 0);
	EXPECT_OK(nio_hwpt_set_dirty_tracking(ctx, hwpt, false));
	/* argument checks of the library, then the kernel's */
	EXPECT_ERR(EINVAL, "power of two",
		   nio_hwpt_get_dirty_bitmap(ctx, hwpt, iova, size, 3000,
					     bitmap, 0));
	EXPECT_ERR(EINVAL, "multiples of page_size",
		   nio_hwpt_get_dirty_bitmap(ctx, hwpt, iova + 1, size, PSZ,
					     bitmap, 0));
	EXPECT_ERR(EINVAL, "unknown flags",
		   nio_hwpt_get_dirty_bitmap(ctx, hwpt, iova, size, PSZ,
					     bitmap, 0x10));
	EXPECT_ERR(ENOENT, "IOMMU_HWPT_SET_DIRTY_TRACKING",
		   nio_hwpt_set_dirty_tracking(ctx, 9999, true));
	/* the auto domain was not allocated for dirty tracking */
	EXPECT_ERR(EOPNOTSUPP, "IOMMU_HWPT_GET_DIRTY_BITMAP",
		   nio_hwpt_get_dirty_bitmap(ctx, e.hwpt, iova, size, PSZ,
					     bitmap, 0));
	EXPECT_OK(nio_destroy(ctx, hwpt));
	EXPECT_OK(nio_ioas_unmap_all(ctx, e.ioas, NULL));
	nio_ctx_unref(ctx);
	munmap(buf, size);
}

/* ------------------------------------------------------------------ */
/* vIOMMU, vDEVICE, vEVENTQ, HW queue                                  */

static void t_viommu_negative(void)
{
	struct nio_object_info info = { .sz = sizeof(info) };
	struct viommu_env v;
	uint32_t id, hwpt;

	OPEN_CTX();
	ASSERT(viommu_env(&v));
	EXPECT_OK(nio_object_info(ctx, v.viommu, &info));
	EXPECT_EQ(info.type, NIO_OBJ_VIOMMU);
	EXPECT_EQ(info.parent_id, v.parent);
	EXPECT_EQ(info.type_param, NIO_VIOMMU_SELFTEST);
	EXPECT_ERR(ENOENT, "IOMMU_VIOMMU_ALLOC",
		   nio_viommu_alloc(ctx, v.m.idev, 0, NIO_VIOMMU_SELFTEST, NULL,
				    &id));
	ASSERT_OK(nio_hwpt_alloc(ctx, v.m.idev, v.m.ioas, NULL, &hwpt));
	EXPECT_ERR(EINVAL, "IOMMU_VIOMMU_ALLOC",
		   nio_viommu_alloc(ctx, v.m.idev, hwpt, NIO_VIOMMU_SELFTEST,
				    NULL, &id));
	EXPECT_OK(nio_destroy(ctx, hwpt));
	EXPECT_ERR(EOPNOTSUPP, "IOMMU_VIOMMU_ALLOC",
		   nio_viommu_alloc(ctx, v.m.idev, v.parent, 0xdead, NULL, &id));
	EXPECT_ERR(EOPNOTSUPP, "IOMMU_VIOMMU_ALLOC",
		   nio_viommu_alloc(ctx, v.m.idev, v.parent, NIO_VIOMMU_DEFAULT,
				    NULL, &id));
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, v.parent));
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, v.viommu));
	/* no device */
	EXPECT_ERR(ENOENT, "IOMMU_VIOMMU_ALLOC",
		   nio_viommu_alloc(ctx, 0, v.parent, NIO_VIOMMU_SELFTEST, NULL,
				    &id));
	/* data pointer without length is fine, length without pointer not */
	{
		NIO_OPTS(nio_viommu_alloc_opts, o, .data_len = 8);

		EXPECT_ERR(EINVAL, "nio_viommu_alloc",
			   nio_viommu_alloc(ctx, v.m.idev, v.parent,
					    NIO_VIOMMU_SELFTEST, &o, &id));
	}
	/* teardown in order */
	EXPECT_OK(nio_destroy(ctx, v.nested));
	EXPECT_OK(nio_destroy(ctx, v.viommu));
	EXPECT_OK(nio_destroy(ctx, v.parent));
	nio_ctx_unref(ctx);
}

static void t_viommu_alloc_with_data(void)
{
	struct iommu_viommu_selftest data = { .in_data = 0xbeef };
	struct viommu_env v;
	uint32_t viommu2, *page;

	OPEN_CTX();
	ASSERT(viommu_env(&v));
	NIO_OPTS(nio_viommu_alloc_opts, o, .data = &data,
		 .data_len = sizeof(data));
	ASSERT_OK(nio_viommu_alloc(ctx, v.m.idev, v.parent, NIO_VIOMMU_SELFTEST,
				   &o, &viommu2));
	EXPECT_EQ(data.out_data, data.in_data);
	/* mmap on the context's descriptor: wrong offset/length, right one */
	EXPECT(mmap(NULL, data.out_mmap_length, PROT_READ | PROT_WRITE,
		    MAP_SHARED, nio_ctx_fd(ctx),
		    data.out_mmap_offset + PSZ) == MAP_FAILED &&
	       errno == ENXIO);
	EXPECT(mmap(NULL, data.out_mmap_length / 2, PROT_READ | PROT_WRITE,
		    MAP_SHARED, nio_ctx_fd(ctx),
		    data.out_mmap_offset) == MAP_FAILED && errno == ENXIO);
	page = mmap(NULL, data.out_mmap_length, PROT_READ | PROT_WRITE,
		    MAP_SHARED, nio_ctx_fd(ctx), data.out_mmap_offset);
	ASSERT(page != MAP_FAILED);
	EXPECT_EQ(*page, data.in_data);
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, viommu2));
	munmap(page, data.out_mmap_length);
	EXPECT_OK(nio_destroy(ctx, viommu2));
	nio_ctx_unref(ctx);
}

static void t_viommu_nested_iopf(void)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	uint32_t iopf_hwpt, fault_id, vdev;
	struct nio_fault f;
	struct viommu_env v;
	NIO_OPTS(nio_hwpt_alloc_opts, o, .data_type = NIO_HWPT_DATA_SELFTEST,
		 .data_len = sizeof(data), .data = &data,
		 .flags = NIO_HWPT_FAULT_ID_VALID, .fault_id = UINT32_MAX);

	OPEN_CTX();
	ASSERT(viommu_env(&v));
	ASSERT_OK(nio_fault_alloc(ctx, &fault_id, NULL));
	EXPECT_ERR(ENOENT, "IOMMU_HWPT_ALLOC",
		   nio_hwpt_alloc(ctx, v.m.idev, v.viommu, &o, &iopf_hwpt));
	o.fault_id = fault_id;
	o.flags = NIO_HWPT_FAULT_ID_VALID | (1u << 31);
	EXPECT_ERR(EOPNOTSUPP, "IOMMU_HWPT_ALLOC",
		   nio_hwpt_alloc(ctx, v.m.idev, v.viommu, &o, &iopf_hwpt));
	o.flags = NIO_HWPT_FAULT_ID_VALID;
	ASSERT_OK(nio_hwpt_alloc(ctx, v.m.idev, v.viommu, &o, &iopf_hwpt));
	/* a vDEVICE must exist before attaching to a nested HWPT */
	EXPECT_EQ(mock_replace(v.m.stdev, iopf_hwpt), -ENOENT);
	ASSERT_OK(nio_vdevice_alloc(ctx, v.viommu, v.m.idev, 0x99, &vdev));
	EXPECT_OK(mock_replace(v.m.stdev, iopf_hwpt));
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, iopf_hwpt));
	ASSERT_OK(trigger_iopf(v.m.idev, 0x1));
	if (EXPECT_EQ(nio_fault_read(ctx, fault_id, &f, 1), 1))
		EXPECT_OK(nio_fault_respond(ctx, fault_id, f.cookie,
					    NIO_FAULT_RESP_INVALID));
	EXPECT_OK(mock_replace(v.m.stdev, v.m.ioas));
	EXPECT_OK(nio_destroy(ctx, iopf_hwpt));
	EXPECT_OK(nio_destroy(ctx, fault_id));
	nio_ctx_unref(ctx);
}

#define VEVENTQ_MAX_DEPTH (1u << 19)

static void t_vdevice_veventq(void)
{
	struct nio_object_info info = { .sz = sizeof(info) };
	uint32_t vdev, vdev2, q, q2, virt;
	struct nio_vevent ev[8];
	struct viommu_env v;
	struct pollfd pfd;
	int n, fd;

	OPEN_CTX();
	ASSERT(viommu_env(&v));
	/* a vDEVICE must exist before attaching to a nested HWPT */
	EXPECT_EQ(mock_replace(v.m.stdev, v.nested), -ENOENT);
	/* depth bounds */
	EXPECT_ERR(EINVAL, "IOMMU_VEVENTQ_ALLOC",
		   nio_veventq_alloc(ctx, v.viommu, NIO_VEVENTQ_SELFTEST, 0, &q));
	EXPECT_ERR(EINVAL, "2^19",
		   nio_veventq_alloc(ctx, v.viommu, NIO_VEVENTQ_SELFTEST,
				     VEVENTQ_MAX_DEPTH + 1, &q));
	EXPECT_ERR(EOPNOTSUPP, "IOMMU_VEVENTQ_ALLOC",
		   nio_veventq_alloc(ctx, v.viommu, NIO_VEVENTQ_DEFAULT, 2, &q));
	ASSERT_OK(nio_veventq_alloc(ctx, v.viommu, NIO_VEVENTQ_SELFTEST,
				    VEVENTQ_MAX_DEPTH, &q));
	fd = nio_veventq_fd(ctx, q);
	EXPECT(fd >= 0);
	/* destroy closes the queue's descriptor (which holds the object) */
	EXPECT_OK(nio_destroy(ctx, q));
	EXPECT(fcntl(fd, F_GETFD) == -1);

	ASSERT_OK(nio_veventq_alloc(ctx, v.viommu, NIO_VEVENTQ_SELFTEST, 2, &q));
	EXPECT_OK(nio_object_info(ctx, q, &info));
	EXPECT_EQ(info.type, NIO_OBJ_VEVENTQ);
	EXPECT_EQ(info.parent_id, v.viommu);
	EXPECT_EQ(info.virt_id, 2);
	EXPECT(info.fd >= 0);
	EXPECT_ERR(EEXIST, "IOMMU_VEVENTQ_ALLOC",
		   nio_veventq_alloc(ctx, v.viommu, NIO_VEVENTQ_SELFTEST, 2, &q2));
	/* empty */
	EXPECT_EQ(nio_veventq_read(ctx, q, ev, 8), 0);
	EXPECT_ERR(EINVAL, "nio_veventq_read", nio_veventq_read(ctx, q, ev, 0));
	EXPECT_ERR(ENOENT, "not a veventq",
		   nio_veventq_read(ctx, v.viommu, ev, 8));

	/* one event from vDEVICE 0x99 */
	ASSERT_OK(nio_vdevice_alloc(ctx, v.viommu, v.m.idev, 0x99, &vdev));
	EXPECT_OK(nio_object_info(ctx, vdev, &info));
	EXPECT_EQ(info.type, NIO_OBJ_VDEVICE);
	EXPECT_EQ(info.virt_id, 0x99);
	ASSERT_OK(mock_replace(v.m.stdev, v.nested));
	ASSERT_OK(trigger_vevents(v.m.idev, 1));
	pfd = (struct pollfd){ .fd = nio_veventq_fd(ctx, q), .events = POLLIN };
	EXPECT_EQ(poll(&pfd, 1, 1000), 1);
	n = nio_veventq_read(ctx, q, ev, 8);
	if (EXPECT_EQ(n, 1)) {
		memcpy(&virt, ev[0].data, 4);
		EXPECT_EQ(virt, 0x99);
		EXPECT_EQ(ev[0].data_len, 4);
		EXPECT_EQ(ev[0].flags, 0);
		EXPECT_EQ(ev[0].gap, 0);
	}
	/* duplicates */
	EXPECT_ERR(EEXIST, "IOMMU_VDEVICE_ALLOC",
		   nio_vdevice_alloc(ctx, v.viommu, v.m.idev, 0x99, &vdev2));
	EXPECT_ERR(EEXIST, "IOMMU_VDEVICE_ALLOC",
		   nio_vdevice_alloc(ctx, v.viommu, v.m.idev, 0x77, &vdev2));
	EXPECT_OK(mock_replace(v.m.stdev, v.m.ioas));
	EXPECT_OK(nio_destroy(ctx, vdev));

	/* again as 0x88; 3 events on a depth-2 queue lose one */
	ASSERT_OK(nio_vdevice_alloc(ctx, v.viommu, v.m.idev, 0x88, &vdev));
	ASSERT_OK(mock_replace(v.m.stdev, v.nested));
	ASSERT_OK(trigger_vevents(v.m.idev, 3));
	n = nio_veventq_read(ctx, q, ev, 8);
	if (EXPECT_EQ(n, 3)) {
		EXPECT_EQ(ev[0].flags, 0);
		EXPECT_EQ(ev[0].gap, 0);
		EXPECT_EQ(ev[0].sequence, 1);
		EXPECT_EQ(ev[1].flags, 0);
		EXPECT_EQ(ev[1].sequence, 2);
		memcpy(&virt, ev[1].data, 4);
		EXPECT_EQ(virt, 0x88);
		EXPECT_EQ(ev[2].flags, NIO_VEVENT_LOST_EVENTS);
		EXPECT_EQ(ev[2].data_len, 0);
		EXPECT_EQ(ev[2].gap, 0);
	}
	/* the overflow is gone after the reads */
	ASSERT_OK(trigger_vevents(v.m.idev, 1));
	n = nio_veventq_read(ctx, q, ev, 8);
	if (EXPECT_EQ(n, 1)) {
		EXPECT_EQ(ev[0].flags, 0);
		EXPECT_EQ(ev[0].gap, 0);
		EXPECT_EQ(ev[0].sequence, 4);
	}
	/* 4 events on depth 2: the lost-events record moves on, a gap of 1 */
	ASSERT_OK(trigger_vevents(v.m.idev, 4));
	n = nio_veventq_read(ctx, q, ev, 8);
	if (EXPECT_EQ(n, 3)) {
		EXPECT_EQ(ev[0].sequence, 5);
		EXPECT_EQ(ev[1].sequence, 6);
		EXPECT_EQ(ev[2].flags, NIO_VEVENT_LOST_EVENTS);
		EXPECT_EQ(ev[2].sequence, 8);
		EXPECT_EQ(ev[2].gap, 1);
	}
	/*
	 * A gap without a lost-events record: 3 events (the third lost), one
	 * record read, one more event replaces the lost-events record.
	 */
	ASSERT_OK(trigger_vevents(v.m.idev, 3));
	EXPECT_EQ(nio_veventq_read(ctx, q, ev, 1), 1);
	EXPECT_EQ(ev[0].sequence, 9);
	ASSERT_OK(trigger_vevents(v.m.idev, 1));
	n = nio_veventq_read(ctx, q, ev, 8);
	if (EXPECT_EQ(n, 2)) {
		EXPECT_EQ(ev[0].sequence, 10);
		EXPECT_EQ(ev[0].gap, 0);
		EXPECT_EQ(ev[1].sequence, 12);
		EXPECT_EQ(ev[1].flags, 0);
		EXPECT_EQ(ev[1].gap, 1);
	}
	EXPECT_OK(mock_replace(v.m.stdev, v.m.ioas));
	EXPECT_OK(nio_destroy(ctx, vdev));
	EXPECT_OK(nio_destroy(ctx, q));
	/* no device */
	EXPECT_ERR(ENOENT, "IOMMU_VDEVICE_ALLOC",
		   nio_vdevice_alloc(ctx, v.viommu, 0, 0x99, &vdev));
	nio_ctx_unref(ctx);
}

static void t_vdevice_cache(void)
{
	struct iommu_viommu_invalidate_selftest inv[2] = {};
	const uint32_t D = IOMMU_TEST_DEV_CACHE_DEFAULT;
	struct viommu_env v;
	uint32_t vdev, num;

	OPEN_CTX();
	ASSERT(viommu_env(&v));
	ASSERT_OK(nio_vdevice_alloc(ctx, v.viommu, v.m.idev, 0x99, &vdev));
	EXPECT(dev_caches(v.m.idev, D, D, D, D));
#define INV(type, arr, len, n) \
	(num = (n), nio_invalidate(ctx, v.viommu, type, arr, len, &num))
	EXPECT_OK(INV(NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 0));
	EXPECT_EQ(num, 0);
	EXPECT_ERR(EINVAL, "IOMMU_HWPT_INVALIDATE",
		   INV(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID, inv,
		       sizeof(*inv), 1));
	EXPECT_EQ(num, 0);
	EXPECT_ERR(EINVAL, "IOMMU_HWPT_INVALIDATE",
		   INV(NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv) + 1, 1));
	EXPECT_EQ(num, 0);
	EXPECT_ERR(EINVAL, "IOMMU_HWPT_INVALIDATE",
		   INV(NIO_INVALIDATE_SELFTEST, inv, 1, 1));
	EXPECT_EQ(num, 0);
	inv[0] = (struct iommu_viommu_invalidate_selftest){ 0xffffffff, 0x99, 0 };
	EXPECT_ERR(EOPNOTSUPP, "IOMMU_HWPT_INVALIDATE",
		   INV(NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 1));
	EXPECT_EQ(num, 0);
	inv[0].flags = 0;
	EXPECT_ERR(EINVAL, "nio_invalidate",
		   INV(NIO_INVALIDATE_SELFTEST, NULL, sizeof(*inv), 1));
	EXPECT_EQ(num, 0);
	EXPECT_ERR(EINVAL, "nio_invalidate",
		   INV(NIO_INVALIDATE_SELFTEST, inv, 0, 1));
	EXPECT_EQ(num, 0);
	inv[0].cache_id = MOCK_DEV_CACHE_ID_MAX + 1;
	EXPECT_ERR(EINVAL, "IOMMU_HWPT_INVALIDATE",
		   INV(NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 1));
	EXPECT_EQ(num, 0);
	inv[0] = (struct iommu_viommu_invalidate_selftest){ 0, 0x9, 0 };
	EXPECT_ERR(EINVAL, "IOMMU_HWPT_INVALIDATE",
		   INV(NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 1));
	EXPECT_EQ(num, 0);
	/* partial: the first applied, the second fails */
	inv[0] = (struct iommu_viommu_invalidate_selftest){ 0, 0x99, 0 };
	inv[1] = (struct iommu_viommu_invalidate_selftest){ 0xffffffff, 0x99, 1 };
	EXPECT_ERR(EOPNOTSUPP, "failed at entry 1",
		   INV(NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 2));
	EXPECT_EQ(num, 1);
	EXPECT(dev_caches(v.m.idev, 0, D, D, D));
	inv[1] = (struct iommu_viommu_invalidate_selftest){
		0, 0x99, MOCK_DEV_CACHE_ID_MAX + 1 };
	EXPECT_ERR(EINVAL, "failed at entry 1",
		   INV(NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 2));
	EXPECT_EQ(num, 1);
	EXPECT(dev_caches(v.m.idev, 0, D, D, D));
	inv[0] = (struct iommu_viommu_invalidate_selftest){ 0, 0x99, 1 };
	EXPECT_OK(INV(NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 1));
	EXPECT_EQ(num, 1);
	EXPECT(dev_caches(v.m.idev, 0, 0, D, D));
	inv[0] = (struct iommu_viommu_invalidate_selftest){ 0, 0x99, 2 };
	inv[1] = (struct iommu_viommu_invalidate_selftest){ 0, 0x99, 3 };
	EXPECT_OK(INV(NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 2));
	EXPECT_EQ(num, 2);
	EXPECT(dev_caches(v.m.idev, 0, 0, 0, 0));
	inv[0] = (struct iommu_viommu_invalidate_selftest){
		IOMMU_TEST_INVALIDATE_FLAG_ALL, 0x99, 0 };
	EXPECT_OK(INV(NIO_INVALIDATE_SELFTEST, inv, sizeof(*inv), 1));
	EXPECT_EQ(num, 1);
	EXPECT(dev_caches(v.m.idev, 0, 0, 0, 0));
	/* a non-vIOMMU, non-nested object */
	EXPECT_ERR(EINVAL, "IOMMU_HWPT_INVALIDATE",
		   (num = 1, nio_invalidate(ctx, v.m.ioas,
					    NIO_INVALIDATE_SELFTEST, inv,
					    sizeof(*inv), &num)));
#undef INV
	EXPECT_OK(nio_destroy(ctx, vdev));
	nio_ctx_unref(ctx);
}

static void t_hw_queue(void)
{
	uint64_t iova = MOCK_APERTURE_START, iova2;
	struct nio_object_info info = { .sz = sizeof(info) };
	struct viommu_env v;
	uint32_t q[2];

	OPEN_CTX();
	ASSERT(viommu_env(&v));
	EXPECT_ERR(EOPNOTSUPP, "IOMMU_HW_QUEUE_ALLOC",
		   nio_hw_queue_alloc(ctx, v.viommu, 0, 0, iova, PSZ, &q[0]));
	EXPECT_ERR(EINVAL, "IOMMU_HW_QUEUE_ALLOC",
		   nio_hw_queue_alloc(ctx, v.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST,
				      0, iova, 0, &q[0]));
	EXPECT_ERR(EOVERFLOW, "IOMMU_HW_QUEUE_ALLOC",
		   nio_hw_queue_alloc(ctx, v.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST,
				      0, ~(uint64_t)0, PSZ, &q[0]));
	EXPECT_ERR(ENOENT, "IOMMU_HW_QUEUE_ALLOC",
		   nio_hw_queue_alloc(ctx, v.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST,
				      0, iova, PSZ, &q[0]));
	ASSERT_OK(nio_ioas_map(ctx, v.m.ioas, buffer, PSZ, &iova, MAP_RW));
	ASSERT_OK(nio_ioas_map(ctx, v.m.ioas, (char *)buffer + PSZ, PSZ, &iova2,
			       MAP_RW));
	EXPECT_ERR(EIO, "IOMMU_HW_QUEUE_ALLOC",
		   nio_hw_queue_alloc(ctx, v.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST,
				      1, iova, PSZ, &q[0]));
	EXPECT_ERR(EINVAL, "IOMMU_HW_QUEUE_ALLOC",
		   nio_hw_queue_alloc(ctx, v.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST,
				      IOMMU_TEST_HW_QUEUE_MAX, iova, PSZ, &q[0]));
	ASSERT_OK(nio_hw_queue_alloc(ctx, v.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST,
				     0, iova, PSZ, &q[0]));
	EXPECT_OK(nio_object_info(ctx, q[0], &info));
	EXPECT_EQ(info.type, NIO_OBJ_HW_QUEUE);
	EXPECT_EQ(info.parent_id, v.viommu);
	EXPECT_EQ(info.iova, iova);
	EXPECT_EQ(info.length, PSZ);
	EXPECT_ERR(EEXIST, "IOMMU_HW_QUEUE_ALLOC",
		   nio_hw_queue_alloc(ctx, v.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST,
				      0, iova, PSZ, &q[1]));
	EXPECT_ERR(EBUSY, "IOMMU_IOAS_UNMAP",
		   nio_ioas_unmap(ctx, v.m.ioas, iova, PSZ, NULL));
	EXPECT_OK(nio_ioas_unmap(ctx, v.m.ioas, iova2, PSZ, NULL));
	ASSERT_OK(nio_hw_queue_alloc(ctx, v.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST,
				     1, iova + PSZ / 2, PSZ / 2, &q[1]));
	EXPECT_ERR(EBUSY, "IOMMU_DESTROY", nio_destroy(ctx, q[0]));
	EXPECT_OK(nio_destroy(ctx, q[1]));
	EXPECT_OK(nio_destroy(ctx, q[0]));
	EXPECT_OK(nio_ioas_unmap(ctx, v.m.ioas, iova, PSZ, NULL));
	nio_ctx_unref(ctx);
}

static void t_vdevice_tombstone(void)
{
	struct viommu_env v;
	uint32_t vdev;

	OPEN_CTX();
	ASSERT(viommu_env(&v));
	ASSERT_OK(nio_vdevice_alloc(ctx, v.viommu, v.m.idev, 0x99, &vdev));
	EXPECT_OK(nio_destroy(ctx, v.m.stdev));
	EXPECT_ERR(ENOENT, "IOMMU_DESTROY", nio_destroy(ctx, vdev));
	nio_ctx_unref(ctx);
}

static void t_pasid_hwpt(void)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	uint32_t ioas, idev, parent, viommu, nested, nested2;
	NIO_OPTS(nio_hwpt_alloc_opts, o, .flags = NIO_HWPT_PASID);

	OPEN_CTX();
	ASSERT_OK(nio_ioas_alloc(ctx, &ioas));
	ASSERT_OK(mock_domain_flags(ioas, MOCK_FLAGS_DEVICE_PASID, NULL, NULL,
				    &idev));
	o.flags = NIO_HWPT_PASID | NIO_HWPT_NEST_PARENT;
	ASSERT_OK(nio_hwpt_alloc(ctx, idev, ioas, &o, &parent));
	o.flags = NIO_HWPT_PASID;
	o.data_type = NIO_HWPT_DATA_SELFTEST;
	o.data_len = sizeof(data);
	o.data = &data;
	EXPECT_OK(nio_hwpt_alloc(ctx, idev, parent, &o, &nested));
	ASSERT_OK(nio_viommu_alloc(ctx, idev, parent, NIO_VIOMMU_SELFTEST, NULL,
				   &viommu));
	EXPECT_OK(nio_hwpt_alloc(ctx, idev, viommu, &o, &nested2));
	nio_ctx_unref(ctx);
}

/* ------------------------------------------------------------------ */
/* Object graph, closing and killing                                   */

/*
 * The whole nesting graph with pinned pages: IOAS with the shared buffer
 * mapped through a mock domain, nest parent, vIOMMU, vDEVICE, nested
 * HWPT (attached), vEVENTQ with an undelivered event, fault queue, HW
 * queue.  Returns false on a failed step.
 */
static bool build_graph(uint32_t ids[9], bool attach)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	NIO_OPTS(nio_hwpt_alloc_opts, o, .data_type = NIO_HWPT_DATA_SELFTEST,
		 .data_len = sizeof(data), .data = &data);
	uint64_t iova = MOCK_APERTURE_START;
	struct viommu_env v;

	if (!viommu_env(&v))
		return false;
	ids[0] = v.m.ioas;
	ids[1] = v.parent;
	ids[2] = v.viommu;
	ids[3] = v.nested;
	return EXPECT_OK(nio_ioas_map(ctx, v.m.ioas, buffer, BUFFER_SIZE, &iova,
				      MAP_FIXED_RW)) &&
	       EXPECT_OK(nio_vdevice_alloc(ctx, v.viommu, v.m.idev, 0x42,
					   &ids[4])) &&
	       EXPECT_OK(nio_veventq_alloc(ctx, v.viommu, NIO_VEVENTQ_SELFTEST,
					   4, &ids[5])) &&
	       EXPECT_OK(nio_fault_alloc(ctx, &ids[6], NULL)) &&
	       EXPECT_OK(nio_hw_queue_alloc(ctx, v.viommu,
					    IOMMU_HW_QUEUE_TYPE_SELFTEST, 0,
					    iova, PSZ, &ids[7])) &&
	       EXPECT_OK(nio_hwpt_alloc(ctx, v.m.idev, v.viommu, &o,
					&ids[8])) &&
	       (!attach || (EXPECT_OK(mock_replace(v.m.stdev, ids[8])) &&
			    EXPECT_OK(trigger_vevents(v.m.idev, 1)))) &&
	       EXPECT_OK(check_refs_fd(cfd(), buffer, BUFFER_SIZE, 1));
}

static void t_object_graph(void)
{
	static const enum nio_object_type types[9] = {
		NIO_OBJ_IOAS, NIO_OBJ_HWPT_PAGING, NIO_OBJ_VIOMMU,
		NIO_OBJ_HWPT_NESTED, NIO_OBJ_VDEVICE, NIO_OBJ_VEVENTQ,
		NIO_OBJ_FAULT, NIO_OBJ_HW_QUEUE, NIO_OBJ_HWPT_NESTED,
	};
	struct nio_object_info info = { .sz = sizeof(info) };
	uint32_t ids[9], id;
	int i = 0;

	OPEN_CTX();
	ASSERT(build_graph(ids, true));
	/* oldest first, exactly what this context created */
	for (id = nio_object_next(ctx, 0); id; id = nio_object_next(ctx, id)) {
		if (!EXPECT(i < 9))
			break;
		EXPECT_EQ(id, ids[i]);
		if (EXPECT_OK(nio_object_info(ctx, id, &info))) {
			EXPECT_EQ(info.type, types[i]);
			EXPECT(nio_object_type_name(info.type) != NULL);
		}
		i++;
	}
	EXPECT_EQ(i, 9);
	/* an older caller's shorter struct gets the prefix it knows */
	{
		struct {
			struct nio_object_info info;
			uint64_t canary;
		} old;

		memset(&old, 0xa5, sizeof(old));
		old.info.sz = offsetof(struct nio_object_info, parent_id);
		EXPECT_OK(nio_object_info(ctx, ids[2], &old.info));
		EXPECT_EQ(old.info.sz, offsetof(struct nio_object_info, parent_id));
		EXPECT_EQ(old.info.id, ids[2]);
		EXPECT_EQ(old.info.type, NIO_OBJ_VIOMMU);
		EXPECT_EQ(old.info.parent_id, 0xa5a5a5a5);
		EXPECT_EQ(old.canary, 0xa5a5a5a5a5a5a5a5ULL);
		old.info.sz = 4;
		EXPECT_ERR(EINVAL, "nio_object_info",
			   nio_object_info(ctx, ids[2], &old.info));
	}
	/* a stale or foreign ID ends the walk */
	EXPECT_EQ(nio_object_next(ctx, 99999), 0);
	nio_ctx_unref(ctx);
}

/* Close the context with the whole graph alive: the harness then checks
 * the pages are unpinned; here a fresh context can reuse everything. */
static void t_close_midway(void)
{
	int fds = kt_count_fds();
	uint32_t ids[9];

	OPEN_CTX();
	ASSERT(build_graph(ids, true));
	/* iommufd, vEVENTQ and fault queue descriptors are open */
	EXPECT(kt_count_fds() >= fds + 3);
	nio_ctx_unref(ctx);
	/* and all closed again */
	EXPECT_EQ(kt_count_fds(), fds);
	OPEN_CTX();
	EXPECT_OK(check_refs_fd(cfd(), buffer, BUFFER_SIZE, 0));
	/* the old IDs mean nothing in a new context */
	EXPECT_ERR(ENOENT, "IOMMU_DESTROY", nio_destroy(ctx, ids[0]));
	/* and the same graph can be built again */
	ASSERT(build_graph(ids, true));
	nio_ctx_unref(ctx);
}

/* A borrowed descriptor: the library destroys what it created, newest
 * first, and leaves the rest (the raw mock device) to the owner. */
static void t_close_borrowed(void)
{
	uint32_t ids[9];
	int fd = open("/dev/iommu", O_RDWR);
	struct iommu_destroy d = { .size = sizeof(d) };
	int i;

	ASSERT(fd >= 0);
	ASSERT(nio_ctx_adopt_fd(fd, NIO_ADOPT_BORROW, NULL, &ctx) == 0);
	/* not attached to the nested HWPT: the raw device keeps only the IOAS */
	ASSERT(build_graph(ids, false));
	nio_ctx_unref(ctx);
	ctx = NULL;
	/* every library object except the IOAS (the device's) is gone */
	for (i = 1; i < 9; i++) {
		d.id = ids[i];
		errno = 0;
		if (!EXPECT(ioctl(fd, IOMMU_DESTROY, &d) == -1 && errno == ENOENT))
			printf("#   object %u (#%d) survived: errno %d\n", ids[i],
			       i, errno);
	}
	/* the IOAS could not go while the owner's mock device used it */
	d.id = ids[0];
	EXPECT(ioctl(fd, IOMMU_DESTROY, &d) == -1 && errno == EBUSY);
	close(fd);
}

/* A child holding a context is killed: nothing stays pinned. */
static void t_kill_child(void)
{
	int pipefd[2], status;
	pid_t child;
	char c;

	ASSERT(pipe(pipefd) == 0);
	fflush(stdout);
	child = fork();
	ASSERT(child >= 0);
	if (child == 0) {
		uint32_t ids[9];

		close(pipefd[0]);
		if (nio_ctx_open(&ctx, NULL) || !build_graph(ids, true))
			_exit(1);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	EXPECT_EQ(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	OPEN_CTX();
	/* pinned while the child lives */
	EXPECT_OK(check_refs_fd(cfd(), buffer, BUFFER_SIZE, 1));
	kill(child, SIGKILL);
	EXPECT(waitpid(child, &status, 0) == child && WIFSIGNALED(status));
	EXPECT_OK(check_refs_fd(cfd(), buffer, BUFFER_SIZE, 0));
	nio_ctx_unref(ctx);
}

/* ------------------------------------------------------------------ */

static const struct ktest tests[] = {
	{ "ctx_open_close", t_ctx_open_close },
	{ "ctx_adopt", t_ctx_adopt },
	{ "adopt_scm_rights", t_adopt_scm_rights },
	{ "cmd_fail", t_cmd_fail },
	{ "global_options", t_global_options },
	{ "log_callback", t_log_callback },
	{ "last_error_per_thread", t_last_error_per_thread },
	{ "threads_share_a_context", t_threads },
	{ "ioas_destroy", t_ioas_destroy },
	{ "ioas_area_no_domain", t_ioas_area_no_domain },
	{ "ioas_area_mock_domain", t_ioas_area_mock_domain },
	{ "ioas_map_args", t_ioas_map_args },
	{ "ioas_auto_iova", t_ioas_auto_iova },
	{ "ioas_reserved_overflow", t_ioas_reserved_overflow },
	{ "ioas_area_allowed", t_ioas_area_allowed },
	{ "ioas_copy", t_ioas_copy },
	{ "ioas_iova_ranges", t_ioas_iova_ranges },
	{ "ioas_option_huge_pages", t_ioas_option_huge_pages },
	{ "ioas_iova_alloc_alignment", t_ioas_iova_alloc_alignment },
	{ "ioas_align_change", t_ioas_align_change },
	{ "ioas_map_file_memfd", t_ioas_map_file },
	{ "vfio_ioas", t_vfio_ioas },
	{ "hw_info", t_hw_info },
	{ "hwpt_alloc_paging", t_hwpt_alloc_paging },
	{ "hwpt_alloc_nested_and_iopf", t_hwpt_alloc_nested },
	{ "hwpt_invalidate_partial", t_hwpt_invalidate },
	{ "dirty_tracking", t_dirty_tracking },
	{ "viommu_negative", t_viommu_negative },
	{ "viommu_alloc_with_data", t_viommu_alloc_with_data },
	{ "viommu_nested_iopf", t_viommu_nested_iopf },
	{ "vdevice_veventq_lost_and_gaps", t_vdevice_veventq },
	{ "vdevice_cache_invalidate", t_vdevice_cache },
	{ "hw_queue", t_hw_queue },
	{ "vdevice_tombstone", t_vdevice_tombstone },
	{ "pasid_hwpt_alloc", t_pasid_hwpt },
	{ "object_graph", t_object_graph },
	{ "close_midway_releases_all", t_close_midway },
	{ "close_borrowed_destroys_own", t_close_borrowed },
	{ "kill_child_releases_all", t_kill_child },
};

/* Mock devices alive in the kernel (the selftest's bus in sysfs). */
static int mock_devices(void)
{
	DIR *d = opendir("/sys/bus/iommufd_mock/devices");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * After each test (its process has exited, so every descriptor it had is
 * closed): a fresh iommufd finds no page of the buffers pinned, and no
 * mock device is left on the selftest's bus.
 */
static bool nothing_left(const char *name)
{
	int fd = open("/dev/iommu", O_RDWR);
	int n = mock_devices();
	bool ok;

	if (n > 0) {
		printf("#   %s: %d mock device(s) left in /sys/bus/iommufd_mock/devices\n",
		       name, n);
		if (fd >= 0)
			close(fd);
		return false;
	}

	if (fd < 0) {
		printf("#   %s: open(/dev/iommu): %s\n", name, strerror(errno));
		return false;
	}
	ok = check_refs_fd(fd, buffer, BUFFER_SIZE, 0) == 0 &&
	     check_refs_fd(fd, mfd_buffer, BUFFER_SIZE, 0) == 0;
	if (!ok)
		printf("#   %s: pages of the test buffer still pinned after the test's process exited\n",
		       name);
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access("/dev/iommu", R_OK | W_OK)) {
		printf("1..0 # SKIP no /dev/iommu\n");
		return 0;
	}
	/*
	 * Like the kernel selftest: the buffer is aligned to a huge page, so
	 * that kernel-chosen IOVAs get the alignment of the length.
	 */
	buffer = mmap(NULL, BUFFER_SIZE + HUGEPAGE_SIZE, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buffer != MAP_FAILED) {
		uintptr_t a = ((uintptr_t)buffer + HUGEPAGE_SIZE - 1) &
			      ~(HUGEPAGE_SIZE - 1);

		buffer = mmap((void *)a, BUFFER_SIZE, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	}
	mfd = memfd_create("test-mock", 0);
	if (buffer == MAP_FAILED || mfd < 0 || ftruncate(mfd, BUFFER_SIZE)) {
		perror("test-mock: buffers");
		return 2;
	}
	mfd_buffer = mmap(NULL, BUFFER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			  mfd, 0);
	if (mfd_buffer == MAP_FAILED) {
		perror("test-mock: memfd mmap");
		return 2;
	}
	memset(buffer, 0x5a, BUFFER_SIZE);
	memset(mfd_buffer, 0xa5, BUFFER_SIZE);
	return ktest_main(tests, sizeof(tests) / sizeof(tests[0]),
			  argc > 1 ? argv[1] : NULL, nothing_left);
}
