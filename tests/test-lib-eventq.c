// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vEVENTQ and fault queues against the fake kernel: allocation payloads,
 * reading records, sequence checks (gaps, wrap-around, LOST_EVENTS),
 * poll() readiness, page faults and their responses.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <poll.h>
#include <stdint.h>

#include "fk-check.h"

#define LOST NIO_VEVENT_LOST_EVENTS

static void event(uint64_t evt[4], uint32_t id)
{
	evt[0] = id | (0x10ULL << 32); /* event id, vSID 0x10 */
	evt[1] = 0;
	evt[2] = 0x1000 * (uint64_t)id;
	evt[3] = 0;
}

static uint32_t make_veventq(struct fk_nest *n, uint32_t depth)
{
	uint32_t evq;

	fk_nest_setup(n, 0);
	ck_ok(nio_veventq_alloc(ctx, n->viommu, NIO_VEVENTQ_ARM_SMMUV3, depth,
				&evq));
	return evq;
}

START_TEST(test_veventq_alloc)
{
	struct iommu_veventq_alloc want;
	struct nio_object_info info = { .sz = sizeof(info) };
	struct fk_nest n;
	uint32_t evq, id;
	int fd;

	evq = make_veventq(&n, 64);
	want = (struct iommu_veventq_alloc){
		.size = 32,
		.viommu_id = n.viommu,
		.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
		.veventq_depth = 64,
	};
	ck_last_payload(IOMMU_VEVENTQ_ALLOC, want);
	fd = nio_veventq_fd(ctx, evq);
	ck_assert_int_eq(fake_kernel_fd_kind(fd), FK_FILE_VEVENTQ);
	ck_ok(nio_object_info(ctx, evq, &info));
	ck_assert_int_eq(info.fd, fd);
	ck_assert_uint_eq(info.type_param, NIO_VEVENTQ_ARM_SMMUV3);
	ck_assert_uint_eq(info.virt_id, 64);
	/* One queue per type and vIOMMU */
	ck_fails(ctx, nio_veventq_alloc(ctx, n.viommu, NIO_VEVENTQ_ARM_SMMUV3, 8,
					&id),
		 EEXIST, "IOMMU_VEVENTQ_ALLOC");
	ck_fails(ctx, nio_veventq_alloc(ctx, n.viommu, NIO_VEVENTQ_DEFAULT, 8,
					&id),
		 EOPNOTSUPP, NULL);
	ck_fails(ctx, nio_veventq_alloc(ctx, n.viommu, NIO_VEVENTQ_SELFTEST, 0,
					&id),
		 EINVAL, NULL);
	ck_fails(ctx, nio_veventq_alloc(ctx, 321, NIO_VEVENTQ_ARM_SMMUV3, 8,
					&id),
		 ENOENT, NULL);
	ck_fails(ctx, nio_veventq_alloc(ctx, n.viommu, NIO_VEVENTQ_SELFTEST, 8,
					NULL),
		 EINVAL, NULL);
	/* The vIOMMU is busy while the queue exists */
	ck_fails(ctx, nio_destroy(ctx, n.viommu), EBUSY, NULL);
	ck_fails(ctx, nio_veventq_fd(ctx, n.viommu), ENOENT, NULL);
	ck_assert_uint_eq(fake_kernel_nr_fds(), 3);
}
END_TEST

START_TEST(test_veventq_read)
{
	struct nio_vevent ev[4];
	uint64_t evt[4];
	struct fk_nest n;
	const struct fk_call *c;
	uint32_t evq;
	int i;

	evq = make_veventq(&n, 16);
	for (i = 0; i < 3; i++) {
		event(evt, (uint32_t)i + 1);
		ck_ok(fake_kernel_veventq_report(ifd, evq, evt, sizeof(evt)));
	}
	fake_kernel_clear_calls();
	ck_assert_int_eq(nio_veventq_read(ctx, evq, ev, 2), 2);
	/* Whole records: max * (header + 32 bytes) asked of read() */
	c = fake_kernel_call(0);
	ck_assert_int_eq(c->kind, FK_CALL_READ);
	ck_assert_uint_eq(c->count, 2 * (8 + 32));
	for (i = 0; i < 2; i++) {
		event(evt, (uint32_t)i + 1);
		ck_assert_uint_eq(ev[i].flags, 0);
		ck_assert_uint_eq(ev[i].sequence, (uint32_t)i);
		ck_assert_uint_eq(ev[i].gap, 0);
		ck_assert_uint_eq(ev[i].data_len, 32);
		ck_assert_mem_eq(ev[i].data, evt, 32);
	}
	ck_assert_int_eq(nio_veventq_read(ctx, evq, ev, 4), 1);
	ck_assert_uint_eq(ev[0].sequence, 2);
	ck_assert_uint_eq(ev[0].gap, 0);
	ck_assert_int_eq(fake_kernel_veventq_pending(ifd, evq), 0);
	ck_fails(ctx, nio_veventq_read(ctx, evq, NULL, 4), EINVAL, NULL);
	ck_fails(ctx, nio_veventq_read(ctx, evq, ev, 0), EINVAL, NULL);
	ck_fails(ctx, nio_veventq_read(ctx, n.viommu, ev, 1), ENOENT, NULL);
	ck_fails(ctx, nio_veventq_read(ctx, 777, ev, 1), ENOENT, NULL);
}
END_TEST

/* "0 when the queue is empty" (the kernel's read() returns 0). */
START_TEST(test_veventq_empty)
{
	struct nio_vevent ev[2];
	struct fk_nest n;
	uint32_t evq;

	evq = make_veventq(&n, 4);
	ck_assert_int_eq(nio_veventq_read(ctx, evq, ev, 2), 0);
}
END_TEST

START_TEST(test_veventq_poll)
{
	struct nio_vevent ev[2];
	uint64_t evt[4] = { 0 };
	struct pollfd p;
	struct fk_nest n;
	uint32_t evq;

	evq = make_veventq(&n, 4);
	p = (struct pollfd){ .fd = nio_veventq_fd(ctx, evq), .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	ck_ok(fake_kernel_veventq_report(ifd, evq, evt, sizeof(evt)));
	ck_assert_int_eq(poll(&p, 1, 0), 1);
	ck_assert(p.revents & POLLIN);
	ck_assert_int_eq(nio_veventq_read(ctx, evq, ev, 2), 1);
	ck_assert_int_eq(poll(&p, 1, 0), 0);
}
END_TEST

/* A full queue drops events and queues one LOST_EVENTS header. */
START_TEST(test_veventq_lost_events)
{
	struct nio_vevent ev[8];
	uint64_t evt[4];
	struct fk_nest n;
	uint32_t evq;
	int i, got;

	evq = make_veventq(&n, 2);
	for (i = 0; i < 5; i++) {
		event(evt, (uint32_t)i);
		fake_kernel_veventq_report(ifd, evq, evt, sizeof(evt));
	}
	/* 2 events, 1 LOST header (the 3 dropped ones share it) */
	ck_assert_int_eq(fake_kernel_veventq_pending(ifd, evq), 3);
	got = nio_veventq_read(ctx, evq, ev, 8);
	ck_assert_int_eq(got, 3);
	ck_assert_uint_eq(ev[0].flags, 0);
	ck_assert_uint_eq(ev[1].flags, 0);
	ck_assert_uint_eq(ev[2].flags, LOST);
	ck_assert_uint_eq(ev[2].data_len, 0);
	ck_assert_uint_eq(ev[2].sequence, 2);
	/* After the queue drains, events flow again, in sequence */
	event(evt, 9);
	ck_ok(fake_kernel_veventq_report(ifd, evq, evt, sizeof(evt)));
	ck_assert_int_eq(nio_veventq_read(ctx, evq, ev, 8), 1);
	ck_assert_uint_eq(ev[0].flags, 0);
	ck_assert_uint_eq(ev[0].sequence, 3);
	ck_assert_uint_eq(ev[0].gap, 0);
	ck_assert_mem_eq(ev[0].data, evt, 32);
}
END_TEST

/* Sequence gaps, also across reads, and the wrap at INT_MAX. */
START_TEST(test_veventq_gaps)
{
	struct nio_vevent ev[8];
	uint64_t evt[4] = { 1, 2, 3, 4 };
	struct fk_nest n;
	uint32_t evq;

	evq = make_veventq(&n, 16);
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq, 0, 10, evt, 32));
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq, 0, 11, evt, 32));
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq, 0, 15, evt, 32));
	ck_assert_int_eq(nio_veventq_read(ctx, evq, ev, 8), 3);
	/* Nothing read before: the first record has no gap */
	ck_assert_uint_eq(ev[0].gap, 0);
	ck_assert_uint_eq(ev[1].gap, 0);
	ck_assert_uint_eq(ev[2].sequence, 15);
	ck_assert_uint_eq(ev[2].gap, 3);
	/* Across calls */
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq, 0, 20, evt, 32));
	ck_assert_int_eq(nio_veventq_read(ctx, evq, ev, 8), 1);
	ck_assert_uint_eq(ev[0].gap, 4);
	/* A LOST_EVENTS header with its own gap */
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq,
					   IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 23,
					   NULL, 0));
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq, 0, 24, evt, 32));
	ck_assert_int_eq(nio_veventq_read(ctx, evq, ev, 8), 2);
	ck_assert_uint_eq(ev[0].flags, LOST);
	ck_assert_uint_eq(ev[0].gap, 2);
	ck_assert_uint_eq(ev[1].flags, 0);
	ck_assert_uint_eq(ev[1].gap, 0);
	/* Wrap: INT_MAX then 0 is contiguous */
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq, 0, INT_MAX - 1, evt, 32));
	ck_assert_int_eq(nio_veventq_read(ctx, evq, ev, 8), 1);
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq, 0, INT_MAX, evt, 32));
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq, 0, 0, evt, 32));
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq, 0, 2, evt, 32));
	ck_assert_int_eq(nio_veventq_read(ctx, evq, ev, 8), 3);
	ck_assert_uint_eq(ev[0].sequence, INT_MAX);
	ck_assert_uint_eq(ev[0].gap, 0);
	ck_assert_uint_eq(ev[1].sequence, 0);
	ck_assert_uint_eq(ev[1].gap, 0);
	ck_assert_uint_eq(ev[2].gap, 1);
	/* The kernel's own numbering wraps too */
	ck_ok(fake_kernel_veventq_set_sequence(ifd, evq, INT_MAX));
	ck_ok(fake_kernel_veventq_report(ifd, evq, evt, 32));
	ck_ok(fake_kernel_veventq_report(ifd, evq, evt, 32));
	ck_assert_int_eq(nio_veventq_read(ctx, evq, ev, 8), 2);
	ck_assert_uint_eq(ev[0].sequence, INT_MAX);
	ck_assert_uint_eq(ev[1].sequence, 0);
	ck_assert_uint_eq(ev[1].gap, 0);
}
END_TEST

/* Per-type record sizes: a selftest queue has 4-byte payloads. */
START_TEST(test_veventq_selftest_type)
{
	struct nio_vevent ev[4];
	const uint32_t vid = 0xabc;
	struct fk_nest n;
	uint32_t evq;

	fk_nest_setup(&n, 0);
	ck_ok(nio_veventq_alloc(ctx, n.viommu, NIO_VEVENTQ_SELFTEST, 4, &evq));
	ck_ok(fake_kernel_veventq_report(ifd, evq, &vid, 4));
	ck_ok(fake_kernel_veventq_report(ifd, evq, &vid, 4));
	ck_assert_int_eq(nio_veventq_read(ctx, evq, ev, 4), 2);
	ck_assert_uint_eq(ev[1].data_len, 4);
	ck_assert_mem_eq(ev[1].data, &vid, 4);
	ck_assert_uint_eq(ev[1].sequence, 1);
}
END_TEST

/* A queue type whose record size the library does not know. */
START_TEST(test_veventq_unknown_type)
{
	struct nio_vevent ev[2];
	struct fk_nest n;
	uint32_t evq;

	fk_nest_setup(&n, 0);
	ck_ok(nio_veventq_alloc(ctx, n.viommu, 0x77, 4, &evq));
	ck_fails(ctx, nio_veventq_read(ctx, evq, ev, 2), EOPNOTSUPP, "0x77");
}
END_TEST

START_TEST(test_fault_alloc)
{
	struct iommu_fault_alloc want = { .size = 16 };
	struct nio_object_info info = { .sz = sizeof(info) };
	uint32_t fault;
	int ffd = -1;

	ck_ok(nio_fault_alloc(ctx, &fault, &ffd));
	ck_last_payload(IOMMU_FAULT_QUEUE_ALLOC, want);
	ck_assert_int_eq(fake_kernel_fd_kind(ffd), FK_FILE_FAULT);
	ck_assert_int_eq(fake_kernel_obj_type(ifd, fault), FK_OBJ_FAULT);
	ck_ok(nio_object_info(ctx, fault, &info));
	ck_assert_int_eq(info.type, NIO_OBJ_FAULT);
	ck_assert_int_eq(info.fd, ffd);
	/* fault_fd may be NULL */
	ck_ok(nio_fault_alloc(ctx, &fault, NULL));
	ck_fails(ctx, nio_fault_alloc(ctx, NULL, &ffd), EINVAL, NULL);
	ck_fails(NULL, nio_fault_alloc(NULL, &fault, &ffd), EINVAL, NULL);
}
END_TEST

START_TEST(test_fault_read_respond)
{
	struct nio_fault f[4];
	struct iommu_hwpt_pgfault pf = {
		.flags = NIO_FAULT_PASID_VALID | NIO_FAULT_LAST_PAGE,
		.dev_id = 1,
		.pasid = 3,
		.grpid = 7,
		.perm = NIO_FAULT_PERM_READ | NIO_FAULT_PERM_WRITE,
		.addr = 0xdead000,
		.length = 4096,
	};
	struct iommu_hwpt_page_response resp;
	const struct fk_call *c;
	uint32_t fault, cookie, code;
	int ffd, c1, c2;

	ck_ok(nio_fault_alloc(ctx, &fault, &ffd));
	/* Nothing yet */
	ck_assert_int_eq(nio_fault_read(ctx, fault, f, 4), 0);
	c1 = fake_kernel_fault_report(ifd, fault, &pf);
	pf.addr = 0xbeef000;
	c2 = fake_kernel_fault_report(ifd, fault, &pf);
	ck_assert_int_gt(c1, 0);
	fake_kernel_clear_calls();
	ck_assert_int_eq(nio_fault_read(ctx, fault, f, 4), 2);
	c = fake_kernel_call(0);
	ck_assert_int_eq(c->kind, FK_CALL_READ);
	ck_assert_uint_eq(c->count, 4 * 40);
	ck_assert_uint_eq(f[0].addr, 0xdead000);
	ck_assert_uint_eq(f[0].cookie, (uint32_t)c1);
	ck_assert_uint_eq(f[0].pasid, 3);
	ck_assert_uint_eq(f[0].grpid, 7);
	ck_assert_uint_eq(f[0].perm, NIO_FAULT_PERM_READ | NIO_FAULT_PERM_WRITE);
	ck_assert_uint_eq(f[0].flags, NIO_FAULT_PASID_VALID | NIO_FAULT_LAST_PAGE);
	ck_assert_uint_eq(f[1].addr, 0xbeef000);
	ck_assert_uint_eq(f[1].cookie, (uint32_t)c2);

	ck_ok(nio_fault_respond(ctx, fault, f[1].cookie, NIO_FAULT_RESP_INVALID));
	c = fake_kernel_call(fake_kernel_nr_calls() - 1);
	ck_assert_int_eq(c->kind, FK_CALL_WRITE);
	ck_assert_uint_eq(c->count, 8);
	resp = (struct iommu_hwpt_page_response){ .cookie = (uint32_t)c2,
						  .code = 1 };
	ck_assert_mem_eq(c->in, &resp, 8);
	ck_ok(fake_kernel_fault_response(ifd, fault, 0, &cookie, &code));
	ck_assert_uint_eq(cookie, (uint32_t)c2);
	ck_assert_uint_eq(code, 1);
	ck_ok(nio_fault_respond(ctx, fault, f[0].cookie, NIO_FAULT_RESP_SUCCESS));
	/* Answered already, or never delivered: the kernel's EINVAL */
	ck_fails(ctx, nio_fault_respond(ctx, fault, f[0].cookie,
					NIO_FAULT_RESP_SUCCESS),
		 EINVAL, "cookie");
	ck_fails(ctx, nio_fault_respond(ctx, fault, 4242, NIO_FAULT_RESP_SUCCESS),
		 EINVAL, NULL);
	ck_fails(ctx, nio_fault_respond(ctx, fault, f[0].cookie,
					(enum nio_fault_code)5),
		 EINVAL, NULL);
	ck_fails(ctx, nio_fault_read(ctx, fault, NULL, 4), EINVAL, NULL);
	ck_fails(ctx, nio_fault_read(ctx, 999, f, 4), ENOENT, NULL);
	ck_fails(ctx, nio_fault_respond(ctx, 999, 1, NIO_FAULT_RESP_SUCCESS),
		 ENOENT, NULL);
	/* Only whole records are read */
	fake_kernel_fault_report(ifd, fault, &pf);
	fake_kernel_fault_report(ifd, fault, &pf);
	ck_assert_int_eq(nio_fault_read(ctx, fault, f, 1), 1);
	ck_assert_int_eq(nio_fault_read(ctx, fault, f, 1), 1);
	ck_assert_int_eq(nio_fault_read(ctx, fault, f, 1), 0);
}
END_TEST

/*
 * Reading in place (nio_veventq_read_buf + nio_vevent_next): records
 * point into the caller's buffer, the caller's cursor carries the
 * sequence across reads (gaps, LOST_EVENTS, wrap), a small buffer reads
 * fewer whole records, and the context's own sequence state is untouched.
 */
START_TEST(test_veventq_read_buf)
{
	uint8_t buf[4 * 40] __attribute__((aligned(8)));
	struct nio_vevent_cursor cur = NIO_VEVENT_CURSOR_INIT;
	struct nio_vevent_rec rec;
	uint64_t evt[4] = { 1, 2, 3, 4 };
	struct nio_vevent ev[4];
	struct fk_nest n;
	uint32_t evq;
	int i;

	evq = make_veventq(&n, 16);
	/* empty */
	ck_assert_int_eq(nio_veventq_read_buf(ctx, evq, buf, sizeof(buf), &cur), 0);
	ck_assert_int_eq(nio_vevent_next(&cur, &rec), 0);
	for (i = 0; i < 6; i++) {
		evt[2] = (uint64_t)i;
		ck_ok(fake_kernel_veventq_report(ifd, evq, evt, 32));
	}
	/* 4 whole records fit; one read() */
	fake_kernel_clear_calls();
	ck_assert_int_eq(nio_veventq_read_buf(ctx, evq, buf, sizeof(buf), &cur),
			 160);
	ck_assert_uint_eq(fake_kernel_nr_calls(), 1);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(nio_vevent_next(&cur, &rec), 1);
		ck_assert_uint_eq(rec.sequence, (uint32_t)i);
		ck_assert_uint_eq(rec.gap, 0);
		ck_assert_uint_eq(rec.flags, 0);
		ck_assert_uint_eq(rec.data_len, 32);
		/* in place: the payload is in buf, after the 8-byte header */
		ck_assert_ptr_eq(rec.data, buf + i * 40 + 8);
		ck_assert_uint_eq(((const uint64_t *)rec.data)[2], (uint64_t)i);
	}
	ck_assert_int_eq(nio_vevent_next(&cur, &rec), 0);
	/* a buffer for one record reads one */
	ck_assert_int_eq(nio_veventq_read_buf(ctx, evq, buf, 40 + 39, &cur), 40);
	ck_assert_int_eq(nio_vevent_next(&cur, &rec), 1);
	ck_assert_uint_eq(rec.sequence, 4);
	ck_assert_int_eq(nio_vevent_next(&cur, &rec), 0);
	/* too small for one record */
	ck_fails(ctx, nio_veventq_read_buf(ctx, evq, buf, 39, &cur), EINVAL,
		 "hold no record");
	/* a gap across reads, then a LOST_EVENTS marker, then wrap */
	ck_assert_int_eq(fake_kernel_veventq_pending(ifd, evq), 1);
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq, 0, 9, evt, 32));
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq,
					   IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 12,
					   NULL, 0));
	ck_assert_int_eq(nio_veventq_read_buf(ctx, evq, buf, sizeof(buf), &cur),
			 40 + 40 + 8);
	ck_assert_int_eq(nio_vevent_next(&cur, &rec), 1);
	ck_assert_uint_eq(rec.sequence, 5);
	ck_assert_uint_eq(rec.gap, 0);
	ck_assert_int_eq(nio_vevent_next(&cur, &rec), 1);
	ck_assert_uint_eq(rec.sequence, 9);
	ck_assert_uint_eq(rec.gap, 3);
	ck_assert_int_eq(nio_vevent_next(&cur, &rec), 1);
	ck_assert_uint_eq(rec.flags, LOST);
	ck_assert_uint_eq(rec.data_len, 0);
	ck_assert_uint_eq(rec.gap, 2);
	ck_assert_int_eq(nio_vevent_next(&cur, &rec), 0);
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq, 0, INT_MAX, evt, 32));
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq, 0, 0, evt, 32));
	ck_assert_int_eq(nio_veventq_read_buf(ctx, evq, buf, sizeof(buf), &cur),
			 80);
	ck_assert_int_eq(nio_vevent_next(&cur, &rec), 1);
	ck_assert_uint_eq(rec.gap, INT_MAX - 13);
	ck_assert_int_eq(nio_vevent_next(&cur, &rec), 1);
	ck_assert_uint_eq(rec.sequence, 0);
	ck_assert_uint_eq(rec.gap, 0);
	/* the cursor is the caller's: the context's read starts afresh */
	ck_ok(fake_kernel_veventq_push_raw(ifd, evq, 0, 7, evt, 32));
	ck_assert_int_eq(nio_veventq_read(ctx, evq, ev, 4), 1);
	ck_assert_uint_eq(ev[0].gap, 0);
}
END_TEST

/* Bad arguments and a truncated record. */
START_TEST(test_veventq_read_buf_bad)
{
	struct nio_vevent_cursor cur = NIO_VEVENT_CURSOR_INIT;
	struct nio_vevent_rec rec;
	uint8_t buf[64] = { 0 };
	struct fk_nest n;
	uint32_t evq;

	evq = make_veventq(&n, 4);
	ck_fails(NULL, nio_veventq_read_buf(NULL, evq, buf, 64, &cur), EINVAL,
		 NULL);
	ck_fails(ctx, nio_veventq_read_buf(ctx, evq, NULL, 64, &cur), EINVAL,
		 NULL);
	ck_fails(ctx, nio_veventq_read_buf(ctx, evq, buf, 64, NULL), EINVAL,
		 NULL);
	ck_fails(ctx, nio_veventq_read_buf(ctx, n.viommu, buf, 64, &cur),
		 ENOENT, NULL);
	ck_fails(NULL, nio_vevent_next(NULL, &rec), EINVAL, "cur");
	ck_fails(NULL, nio_vevent_next(&cur, NULL), EINVAL, "rec");
	/* a cursor set by hand over 20 bytes: a header and half a payload */
	cur.payload_len = 32;
	cur.pos = buf;
	cur.end = buf + 20;
	ck_fails(NULL, nio_vevent_next(&cur, &rec), EPROTO, "truncated");
	/* and it stops there */
	ck_assert_int_eq(nio_vevent_next(&cur, &rec), 0);
}
END_TEST

/* The copying wrapper reads more than one stack buffer's worth. */
START_TEST(test_veventq_read_many)
{
	static struct nio_vevent ev[300];
	uint64_t evt[4] = { 0 };
	struct fk_nest n;
	uint32_t evq;
	int i;

	evq = make_veventq(&n, 512);
	for (i = 0; i < 250; i++) {
		evt[0] = (uint64_t)i;
		ck_ok(fake_kernel_veventq_report(ifd, evq, evt, 32));
	}
	ck_assert_int_eq(nio_veventq_read(ctx, evq, ev, 300), 250);
	for (i = 0; i < 250; i++) {
		ck_assert_uint_eq(ev[i].sequence, (uint32_t)i);
		ck_assert_uint_eq(ev[i].gap, 0);
		ck_assert_uint_eq(((uint64_t *)ev[i].data)[0], (uint64_t)i);
	}
	ck_assert_int_eq(fake_kernel_veventq_pending(ifd, evq), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lib-eventq");

	FK_TCASE(s, "veventq", test_veventq_alloc, test_veventq_read,
		 test_veventq_empty, test_veventq_poll, test_veventq_lost_events,
		 test_veventq_gaps, test_veventq_selftest_type,
		 test_veventq_unknown_type, test_veventq_read_buf,
		 test_veventq_read_buf_bad, test_veventq_read_many);
	FK_TCASE(s, "fault", test_fault_alloc, test_fault_read_respond);
	return fk_run(s);
}
