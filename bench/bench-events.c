// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench-events: reading a vEVENTQ through the library's allocation-free
 * API (nio_veventq_read_buf() + nio_vevent_next(), the caller's buffer and
 * cursor) vs a raw read() loop on the same queue, records/s.
 *
 * The queue is a selftest vEVENTQ on the mock vIOMMU of bench_env(); each
 * chunk first fills it with N events (IOMMU_TEST_OP_TRIGGER_VEVENT, not
 * timed), then drains it with one variant, timed.  Both variants read into
 * the same BUF-byte buffer until read() returns 0 and do the same work per
 * record: header, sequence gap check, payload.  Chunks of the two variants
 * are interleaved (lib raw, raw lib, ...); reported are the median
 * records/s and the median ratio of the time per record library/raw over
 * adjacent chunk pairs.  Target: ratio <= 1.05.
 *
 * Usage: bench-events [ROUNDS [EVENTS [BUF]]]   (default 31 rounds, 512
 * events per chunk, 4096-byte buffer)
 */
#define _GNU_SOURCE
#include <limits.h>

#include "bench.h"

#define SEQ_MOD ((uint64_t)INT_MAX + 1)

static struct bench_env e;
static uint32_t evq;
static int evq_fd;
static uint8_t *buf;
static size_t buf_len;
static uint64_t sink;

static void fill(unsigned int n)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_TRIGGER_VEVENT,
		.trigger_vevent = { .dev_id = e.idev },
	};

	while (n--)
		if (ioctl(e.fd, IOMMU_TEST_CMD, &cmd))
			DIE("IOMMU_TEST_OP_TRIGGER_VEVENT");
}

/* The library: one cursor for the whole run, as a VMM keeps it. */
static struct nio_vevent_cursor cur = NIO_VEVENT_CURSOR_INIT;

static unsigned int drain_lib(void)
{
	struct nio_vevent_rec rec;
	unsigned int n = 0;
	int got;

	while ((got = nio_veventq_read_buf(e.ctx, evq, buf, buf_len, &cur)) > 0) {
		while (nio_vevent_next(&cur, &rec) == 1) {
			if (rec.gap || rec.flags)
				DIE("library: gap %u flags %u at %u", rec.gap,
				    rec.flags, rec.sequence);
			sink += *(const uint32_t *)rec.data;
			n++;
		}
	}
	if (got < 0)
		DIE("nio_veventq_read_buf: %s", nio_ctx_last_error(e.ctx));
	return n;
}

/* Raw: what a VMM writes itself (QEMU's smmuv3-accel reader). */
static uint32_t raw_next;
static int raw_valid;

static unsigned int drain_raw(void)
{
	const size_t rec_len = sizeof(struct iommufd_vevent_header) +
			       sizeof(struct iommu_viommu_event_selftest);
	unsigned int n = 0;
	ssize_t got;

	while ((got = read(evq_fd, buf, buf_len)) > 0) {
		const uint8_t *p = buf, *end = buf + got;

		while (p < end) {
			struct iommufd_vevent_header hdr;
			size_t len;

			memcpy(&hdr, p, sizeof(hdr));
			len = hdr.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS ?
				      sizeof(hdr) :
				      rec_len;
			if ((size_t)(end - p) < len)
				DIE("raw: truncated record");
			if (raw_valid && hdr.sequence != raw_next)
				DIE("raw: gap at %u", hdr.sequence);
			if (hdr.flags)
				DIE("raw: events lost at %u", hdr.sequence);
			raw_next = (uint32_t)(((uint64_t)hdr.sequence + 1) % SEQ_MOD);
			raw_valid = 1;
			sink += *(const uint32_t *)(p + sizeof(hdr));
			p += len;
			n++;
		}
	}
	if (got < 0)
		DIE("raw read()");
	return n;
}

/* Fill with n events, drain with one variant: seconds per record. */
static double chunk(unsigned int (*drain)(void), unsigned int n)
{
	unsigned int got;
	double t0;

	fill(n);
	t0 = now_s();
	got = drain();
	t0 = now_s() - t0;
	if (got != n)
		DIE("drained %u of %u events", got, n);
	return t0 / n;
}

/*
 * Interleaved pairs of two drains: the median over pairs of the ratio of
 * their times per record, and the medians of each.
 */
static double compare(unsigned int (*a)(void), unsigned int (*b)(void),
		      unsigned int pairs, unsigned int events, double *ma,
		      double *mb)
{
	double *pa = calloc(pairs, sizeof(double));
	double *pb = calloc(pairs, sizeof(double));
	double *pr = calloc(pairs, sizeof(double));
	double ratio;
	unsigned int i;

	if (!pa || !pb || !pr)
		DIE("calloc");
	for (i = 0; i < pairs; i++) {
		/*
		 * The sequence continues across variants: each keeps its own
		 * expectation, so re-sync it before each of its chunks.
		 */
		cur.seq_valid = 0;
		raw_valid = 0;
		if (i % 2) {
			pb[i] = chunk(b, events);
			cur.seq_valid = 0;
			raw_valid = 0;
			pa[i] = chunk(a, events);
		} else {
			pa[i] = chunk(a, events);
			cur.seq_valid = 0;
			raw_valid = 0;
			pb[i] = chunk(b, events);
		}
		pr[i] = pa[i] / pb[i];
	}
	*ma = median(pa, pairs);
	*mb = median(pb, pairs);
	ratio = median(pr, pairs);
	free(pa);
	free(pb);
	free(pr);
	return ratio;
}

int main(int argc, char **argv)
{
	unsigned int rounds = argc > 1 ? (unsigned int)atoi(argv[1]) : 31;
	unsigned int events = argc > 2 ? (unsigned int)atoi(argv[2]) : 512;
	unsigned int pairs;
	double ma, mb, ratio, ctl;
	const unsigned int per_round = 4;

	buf_len = argc > 3 ? (size_t)atoi(argv[3]) : 4096;
	if (!rounds || !events || buf_len < 12)
		DIE("usage: bench-events [ROUNDS [EVENTS [BUF]]]");
	buf = aligned_alloc(64, (buf_len + 63) / 64 * 64);
	if (!buf)
		DIE("aligned_alloc");
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_env(&e);
	if (nio_veventq_alloc(e.ctx, e.viommu, NIO_VEVENTQ_SELFTEST,
			      events * 2, &evq))
		DIE("nio_veventq_alloc: %s", nio_ctx_last_error(e.ctx));
	evq_fd = nio_veventq_fd(e.ctx, evq);
	if (evq_fd < 0)
		DIE("nio_veventq_fd");

	/* warm-up: TCG translates the paths on first use */
	chunk(drain_lib, events);
	chunk(drain_raw, events);

	pairs = rounds * per_round;
	ratio = compare(drain_lib, drain_raw, pairs, events, &ma, &mb);
	printf("vEVENTQ read, %u events per chunk, %zu-byte buffer: library %.0f records/s (%.3f us/record), raw read() %.0f records/s (%.3f us/record); ratio library/raw: median %.4f over %u chunk pairs\n",
	       events, buf_len, 1 / ma, ma * 1e6, 1 / mb, mb * 1e6, ratio, pairs);
	/* worst case for the library: one record per read() */
	{
		size_t saved = buf_len;
		double r1;

		buf_len = sizeof(struct iommufd_vevent_header) +
			  sizeof(struct iommu_viommu_event_selftest);
		r1 = compare(drain_lib, drain_raw, pairs / 2, events / 4, &ma,
			     &mb);
		printf("INFO one record per read(): library %.3f us/record, raw %.3f us/record, ratio %.4f over %u chunk pairs\n",
		       ma * 1e6, mb * 1e6, r1, pairs / 2);
		buf_len = saved;
	}
	/* control: the harness itself, raw against raw, should give 1 */
	ctl = compare(drain_raw, drain_raw, pairs / 2, events, &ma, &mb);
	printf("INFO control raw/raw (same loop twice): median %.4f over %u chunk pairs (checksum %llu)\n",
	       ctl, pairs / 2, (unsigned long long)sink);
	nio_ctx_unref(e.ctx);
	return verdict("vEVENTQ read, library/raw time per record", ratio, "<=",
		       1.05, "");
}
