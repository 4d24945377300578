// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Fault injection of nestiommu.ko (NESTIOMMU_CMD_INJECT_*), seen the way
 * a VMM sees it, through libnestiommu: injected event records arrive in
 * the vEVENTQ with the vSID and exactly the bytes injected; a queue
 * overflowed by injection reads back as its records then the kernel's
 * LOST_EVENTS marker, and a reader that drains in between sees the
 * sequence gap instead (both with the right counts, through
 * nio_veventq_read() and through nio_veventq_read_buf()/nio_vevent_next());
 * armed invalidation failures return the chosen errno at the right entry
 * index and nested HWPT allocations fail with theirs; DMA completions come
 * late.  Bad input: no vDEVICE, no or a destroyed vEVENTQ (ENOENT), a
 * caller without CAP_SYS_ADMIN (EPERM), out-of-range values (EINVAL).
 */
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include <nestiommu/nestiommu.h>
#include <nestiommu/smmu.h>
#include <nestiommu/smmuv3.h>

#include "nio_test.h"

#define GPA_BASE	0x40000000ULL
#define GPA_SIZE	(1ULL << 20)
#define VSID		0x33
#define DEPTH		8
#define REC_LEN		(sizeof(struct iommufd_vevent_header) + \
			 NIO_SMMUV3_EVENT_SIZE)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The record as CPU-order words, and as the little-endian bytes of a read */
static void encode_event(const struct nio_smmuv3_event *ev, uint64_t w[4],
			 uint8_t le[32])
{
	int i;

	if (nio_smmuv3_event_encode(ev, le, NIO_SMMUV3_EVENT_SIZE))
		nt_die("nio_smmuv3_event_encode");
	for (i = 0; i < 4; i++)
		memcpy(&w[i], le + 8 * i, 8);	/* x86: little endian */
}

int main(void)
{
	struct nio_smmuv3_event ev = {
		.id = NIO_SMMUV3_EVT_F_PERMISSION,
		.sid = 0x999,
		.ssv = true,
		.ssid = 5,
		.rnw = true,
		.event_class = NIO_SMMUV3_EVT_CLASS_IN,
		.input_addr = 0x12345000,
		.ipa = 0x4000a000,
	}, dec;
	struct nio_vevent_cursor cur = NIO_VEVENT_CURSOR_INIT;
	struct nio_vevent vev[DEPTH + 4];
	struct nio_vevent_rec rec;
	struct nio_smmu_inject st;
	struct nio_ctx *ctx = NULL;
	struct nio_smmu *ctl = NULL;
	uint32_t dev_id = 0, ioas = 0, s2 = 0, viommu = 0, vdev = 0, evq = 0;
	uint32_t nested = 0, num, seq;
	uint64_t iova = GPA_BASE, w[4], ste[2] = { 0, 0 }, cmds[4][2];
	uint8_t le[32], want[32], buf[REC_LEN * (DEPTH + 4)];
	char cdev[64];
	uint8_t *gram;
	double t0, ms;
	int ret, i, n;

	NT_EXPECT(0, nio_ctx_open(&ctx, NULL), "nio_ctx_open");
	NT_EXPECT(0, nio_smmu_open(&ctl), "nio_smmu_open");
	if (!ctx || !ctl)
		return nt_done();
	NT_EXPECT(0, nio_device_find_cdev("/sys/bus/platform/devices/nestiommu-ep.0",
					  cdev, sizeof(cdev)),
		  "cdev of nestiommu-ep.0 (%s)", cdev);
	NT_EXPECT(0, nio_device_bind(ctx, cdev, NULL, &dev_id), "bind");
	gram = mmap(NULL, GPA_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(gram, 0, GPA_SIZE);
	NT_EXPECT(0, nio_ioas_alloc(ctx, &ioas), "IOAS");
	NT_EXPECT(0, nio_ioas_map(ctx, ioas, gram, GPA_SIZE, &iova,
				  NIO_MAP_FIXED_IOVA | NIO_MAP_READ |
				  NIO_MAP_WRITE), "map guest RAM");
	NT_EXPECT(0, nio_hwpt_alloc_nest_parent(ctx, dev_id, ioas, &s2),
		  "nest parent");
	NT_EXPECT(0, nio_viommu_alloc(ctx, dev_id, s2, NIO_VIOMMU_ARM_SMMUV3,
				      NULL, &viommu), "vIOMMU");

	encode_event(&ev, w, le);

	/* No vDEVICE yet: nothing to aim at */
	NT_EXPECT(ENOENT, nio_smmu_inject_event(ctl, 0, 0, w, 1, false),
		  "inject an event without a vDEVICE: ENOENT (%s)",
		  nio_smmu_last_error(ctl));
	NT_EXPECT(ENOENT, nio_smmu_inject_fail(ctl, 0, 0,
					       NIO_SMMU_INJECT_INVALIDATE, 1, 0,
					       EIO),
		  "arm a failure without a vDEVICE: ENOENT");
	NT_EXPECT(0, nio_smmu_inject_get(ctl, 0, 0, &st), "inject_get");
	NT_CHECK(!st.has_vdevice && st.dma_delay_us == 0,
		 "nothing armed, no vDEVICE");

	NT_EXPECT(0, nio_vdevice_alloc(ctx, viommu, dev_id, VSID, &vdev),
		  "vDEVICE vSID 0x%x", VSID);
	NT_EXPECT(ENOENT, nio_smmu_inject_event(ctl, 0, 0, w, 1, false),
		  "inject without a vEVENTQ: ENOENT");
	NT_CHECK(strstr(nio_smmu_last_error(ctl), "vEVENTQ") != NULL,
		 "the module says why: \"%s\"", nio_smmu_last_error(ctl));
	NT_EXPECT(0, nio_smmu_inject_get(ctl, 0, 0, &st), "inject_get");
	NT_CHECK(st.has_vdevice && st.vsid == VSID && st.instance == 0 &&
		 st.index == 0, "the vDEVICE is seen (vSID 0x%x)", st.vsid);
	NT_EXPECT(0, nio_veventq_alloc(ctx, viommu, NIO_VEVENTQ_ARM_SMMUV3,
				       DEPTH, &evq), "vEVENTQ depth %d", DEPTH);

	/* Bad input */
	NT_EXPECT(EINVAL, nio_smmu_inject_event(ctl, 0, 0, w, 0, false),
		  "count 0: EINVAL");
	NT_EXPECT(EINVAL, nio_smmu_inject_event(ctl, 0, 0, w,
						NIO_SMMU_INJECT_MAX_EVENTS + 1,
						false), "count 2^19 + 2: EINVAL");
	NT_EXPECT(ENODEV, nio_smmu_inject_event(ctl, 0, 99, w, 1, false),
		  "no such endpoint: ENODEV");
	NT_EXPECT(EINVAL, nio_smmu_inject_fail(ctl, 0, 0,
					       NIO_SMMU_INJECT_INVALIDATE, 1, 0,
					       0), "errno 0: EINVAL");
	NT_EXPECT(EINVAL, nio_smmu_inject_fail(ctl, 0, 0,
					       NIO_SMMU_INJECT_INVALIDATE, 1, 0,
					       4096), "errno 4096: EINVAL");
	NT_EXPECT(EINVAL, nio_smmu_inject_dma_delay(ctl, 0, 0,
						    NIO_SMMU_INJECT_MAX_DELAY_US + 1),
		  "delay above 10 s: EINVAL");

	/* One event: the bytes injected, with the vSID */
	NT_EXPECT(0, nio_smmu_inject_event(ctl, 0, 0, w, 1, false),
		  "inject F_PERMISSION");
	ev.sid = VSID;
	encode_event(&ev, w, want);
	ev.sid = 0x999;
	n = nio_veventq_read(ctx, evq, vev, DEPTH + 4);
	NT_CHECK(n == 1 && vev[0].flags == 0 && vev[0].sequence == 0 &&
		 vev[0].gap == 0 && vev[0].data_len == NIO_SMMUV3_EVENT_SIZE,
		 "one record, sequence 0, no gap (%d)", n);
	NT_CHECK(n == 1 && !memcmp(vev[0].data, want, sizeof(want)),
		 "its bytes are the record injected with SID = vSID");
	NT_CHECK(n == 1 && !nio_smmuv3_event_decode(vev[0].data, 32, &dec) &&
		 dec.id == NIO_SMMUV3_EVT_F_PERMISSION && dec.sid == VSID &&
		 dec.ssv && dec.ssid == 5 && dec.rnw &&
		 dec.input_addr == 0x12345000 && dec.ipa == 0x4000a000,
		 "the codec decodes it back (vSID 0x%x, input 0x%llx)",
		 dec.sid, (unsigned long long)dec.input_addr);

	/* raw: the SID as given (an event for a vSID that went away) */
	encode_event(&ev, w, le);
	NT_EXPECT(0, nio_smmu_inject_event(ctl, 0, 0, w, 1, true),
		  "inject raw");
	n = nio_veventq_read(ctx, evq, vev, DEPTH + 4);
	NT_CHECK(n == 1 && vev[0].sequence == 1 && vev[0].gap == 0 &&
		 !memcmp(vev[0].data, le, sizeof(le)),
		 "raw record: SID 0x999 kept, sequence 1");

	/* Overflow: DEPTH records, then LOST_EVENTS for the 5 dropped */
	NT_EXPECT(0, nio_smmu_inject_event(ctl, 0, 0, w, DEPTH + 5, false),
		  "inject %d into a queue of %d", DEPTH + 5, DEPTH);
	n = nio_veventq_read(ctx, evq, vev, DEPTH + 4);
	NT_CHECK(n == DEPTH + 1, "%d records read (%d wanted)", n, DEPTH + 1);
	for (i = 0, ret = 0; i < DEPTH && i < n; i++)
		if (vev[i].flags || vev[i].gap || vev[i].sequence != 2U + i ||
		    memcmp(vev[i].data, want, sizeof(want)))
			ret++;
	NT_CHECK(ret == 0, "records 2..%d contiguous, each the injected bytes",
		 DEPTH + 1);
	if (n == DEPTH + 1)
		NT_CHECK(vev[DEPTH].flags == NIO_VEVENT_LOST_EVENTS &&
			 vev[DEPTH].data_len == 0 &&
			 vev[DEPTH].sequence == 2 + DEPTH + 5 - 1 &&
			 vev[DEPTH].gap == 4,
			 "then LOST_EVENTS, sequence %u (the last lost), gap %u: 5 lost",
			 vev[DEPTH].sequence, vev[DEPTH].gap);
	NT_EXPECT(0, nio_smmu_inject_event(ctl, 0, 0, w, 1, false),
		  "one more");
	n = nio_veventq_read(ctx, evq, vev, DEPTH + 4);
	NT_CHECK(n == 1 && vev[0].flags == 0 && vev[0].gap == 0 &&
		 vev[0].sequence == 2 + DEPTH + 5,
		 "it follows the marker: sequence %u, no gap",
		 n == 1 ? vev[0].sequence : 0);

	/*
	 * A gap without the marker: the queue overflows (3 lost), the reader
	 * takes one record, a new event finds room: the lost ones show as a
	 * sequence gap before it.  Read in place with a cursor.
	 */
	seq = 2 + DEPTH + 5 + 1;
	NT_EXPECT(0, nio_smmu_inject_event(ctl, 0, 0, w, DEPTH + 3, false),
		  "inject %d into the empty queue", DEPTH + 3);
	ret = nio_veventq_read_buf(ctx, evq, buf, REC_LEN, &cur);
	NT_CHECK(ret == (int)REC_LEN, "read_buf of one record (%d)", ret);
	NT_CHECK(nio_vevent_next(&cur, &rec) == 1 && rec.sequence == seq &&
		 rec.flags == 0 && rec.data_len == NIO_SMMUV3_EVENT_SIZE &&
		 !memcmp(rec.data, want, sizeof(want)),
		 "record %u in place", seq);
	NT_CHECK(nio_vevent_next(&cur, &rec) == 0, "and nothing else");
	NT_EXPECT(0, nio_smmu_inject_event(ctl, 0, 0, w, 1, false),
		  "inject one into the room made");
	ret = nio_veventq_read_buf(ctx, evq, buf, sizeof(buf), &cur);
	NT_CHECK(ret == (int)(DEPTH * REC_LEN), "%d bytes: %d records (%d)",
		 ret, DEPTH, ret / (int)REC_LEN);
	for (i = 0, n = 0; nio_vevent_next(&cur, &rec) == 1; i++) {
		if (i < DEPTH - 1 && (rec.flags || rec.gap ||
				      rec.sequence != seq + 1 + i))
			n++;
		if (i == DEPTH - 1)
			NT_CHECK(rec.flags == 0 && rec.gap == 3 &&
				 rec.sequence == seq + DEPTH + 3 &&
				 !memcmp(rec.data, want, sizeof(want)),
				 "the new record: sequence %u after a gap of %u (3 lost), no marker",
				 rec.sequence, rec.gap);
	}
	NT_CHECK(n == 0 && i == DEPTH, "%d records contiguous before it",
		 DEPTH - 1);

	/* Overflow of any queue: 2^19 + 1 events */
	t0 = now_ms();
	NT_EXPECT(0, nio_smmu_inject_event(ctl, 0, 0, w,
					   NIO_SMMU_INJECT_MAX_EVENTS, false),
		  "inject 2^19 + 1 events (overflow)");
	ms = now_ms() - t0;
	printf("# 2^19 + 1 injected events: %.0f ms\n", ms);
	n = nio_veventq_read(ctx, evq, vev, DEPTH + 4);
	NT_CHECK(n == DEPTH + 1 && vev[DEPTH].flags == NIO_VEVENT_LOST_EVENTS &&
		 vev[DEPTH].gap == NIO_SMMU_INJECT_MAX_EVENTS - DEPTH - 1,
		 "%d records then LOST_EVENTS with gap %u", DEPTH,
		 n == DEPTH + 1 ? vev[DEPTH].gap : 0);

	/* Only CAP_SYS_ADMIN injects; CAP_NET_ADMIN may look */
	{
		pid_t pid = fork();
		int wst = 0;

		if (!pid) {
			struct __user_cap_header_struct h = {
				.version = _LINUX_CAPABILITY_VERSION_3,
			};
			struct __user_cap_data_struct d[2] = { 0 };
			struct nio_smmu_inject s;
			struct nio_smmu *c;

			d[0].effective = d[0].permitted = 1U << CAP_NET_ADMIN;
			if (syscall(SYS_capset, &h, d))
				_exit(3);
			if (nio_smmu_open(&c))
				_exit(4);
			if (nio_smmu_inject_event(c, 0, 0, w, 1, false) != -EPERM)
				_exit(5);
			if (nio_smmu_inject_fail(c, 0, 0,
						 NIO_SMMU_INJECT_INVALIDATE, 1,
						 0, EIO) != -EPERM)
				_exit(6);
			if (nio_smmu_inject_dma_delay(c, 0, 0, 1) != -EPERM)
				_exit(7);
			if (nio_smmu_inject_get(c, 0, 0, &s) || s.vsid != VSID)
				_exit(8);
			_exit(0);
		}
		waitpid(pid, &wst, 0);
		NT_CHECK(WIFEXITED(wst) && WEXITSTATUS(wst) == 0,
			 "CAP_NET_ADMIN only: inject EPERM, show allowed (status %d)",
			 WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
	}

	/* Invalidation: skip 2, then fail one with ETIMEDOUT */
	for (i = 0; i < 4; i++) {
		cmds[i][0] = NIO_SMMUV3_CMD_TLBI_NH_ASID |
			     ((uint64_t)(0x10 + i) << 48);
		cmds[i][1] = 0;
	}
	NT_EXPECT(0, nio_smmu_inject_fail(ctl, 0, 0, NIO_SMMU_INJECT_INVALIDATE,
					  1, 2, ETIMEDOUT),
		  "arm: the third invalidation command fails with ETIMEDOUT");
	NT_EXPECT(0, nio_smmu_inject_get(ctl, 0, 0, &st), "inject_get");
	NT_CHECK(st.fail[NIO_SMMU_INJECT_INVALIDATE].count == 1 &&
		 st.fail[NIO_SMMU_INJECT_INVALIDATE].skip == 2 &&
		 st.fail[NIO_SMMU_INJECT_INVALIDATE].err == ETIMEDOUT &&
		 st.fail[NIO_SMMU_INJECT_NESTED_ALLOC].count == 0,
		 "armed as asked");
	num = 4;
	NT_EXPECT(ETIMEDOUT, nio_invalidate(ctx, viommu,
					    NIO_INVALIDATE_ARM_SMMUV3, cmds,
					    16, &num),
		  "4 commands: ETIMEDOUT");
	NT_CHECK(num == 2, "entry_num %u: the failing command's index", num);
	NT_EXPECT(0, nio_smmu_inject_get(ctl, 0, 0, &st), "inject_get");
	NT_CHECK(st.fail[NIO_SMMU_INJECT_INVALIDATE].count == 0,
		 "the failure is used up");
	num = 4;
	NT_EXPECT(0, nio_invalidate(ctx, viommu, NIO_INVALIDATE_ARM_SMMUV3,
				    cmds, 16, &num), "then 4 commands pass");
	NT_CHECK(num == 4, "entry_num 4");
	NT_EXPECT(0, nio_smmu_inject_fail(ctl, 0, 0, NIO_SMMU_INJECT_INVALIDATE,
					  2, 0, ENOSPC), "arm: 2 x ENOSPC");
	for (i = 0; i < 3; i++) {
		num = 4;
		ret = nio_invalidate(ctx, viommu, NIO_INVALIDATE_ARM_SMMUV3,
				     cmds, 16, &num);
		NT_CHECK(i < 2 ? ret == -ENOSPC && num == 0 :
			 ret == 0 && num == 4,
			 "call %d: %d, entry_num %u", i + 1, ret, num);
	}
	NT_EXPECT(0, nio_smmu_inject_fail(ctl, 0, 0, NIO_SMMU_INJECT_INVALIDATE,
					  5, 0, EIO), "arm 5");
	NT_EXPECT(0, nio_smmu_inject_fail(ctl, 0, 0, NIO_SMMU_INJECT_INVALIDATE,
					  0, 0, 0), "disarm (count 0)");
	num = 4;
	NT_EXPECT(0, nio_invalidate(ctx, viommu, NIO_INVALIDATE_ARM_SMMUV3,
				    cmds, 16, &num), "disarmed: 4 commands pass");

	/* Nested HWPT allocation: one passes, the next fails with EBUSY */
	NT_EXPECT(0, nio_smmu_inject_fail(ctl, 0, 0,
					  NIO_SMMU_INJECT_NESTED_ALLOC, 1, 1,
					  EBUSY),
		  "arm: the second nested allocation fails with EBUSY");
	NT_EXPECT(0, nio_hwpt_alloc_smmuv3_nested(ctx, dev_id, viommu, ste,
						  &nested), "first passes");
	NT_EXPECT(EBUSY, nio_hwpt_alloc_smmuv3_nested(ctx, dev_id, viommu, ste,
						      &num), "second: EBUSY");
	NT_EXPECT(0, nio_hwpt_alloc_smmuv3_nested(ctx, dev_id, viommu, ste,
						  &num), "third passes");
	nio_destroy(ctx, num);

	/* DMA completions 300 ms late (stage 2 only: IOVA = GPA) */
	NT_EXPECT(0, nio_device_attach(ctx, dev_id, s2, NULL),
		  "attach to the nest parent");
	t0 = now_ms();
	NT_EXPECT(0, nio_smmu_dma_write(ctl, 0, 0, NIO_SMMU_NO_PASID,
					GPA_BASE, "x", 1), "DMA");
	ms = now_ms() - t0;
	NT_EXPECT(0, nio_smmu_inject_dma_delay(ctl, 0, 0, 300000),
		  "delay 300 ms");
	NT_EXPECT(0, nio_smmu_inject_get(ctl, 0, 0, &st), "inject_get");
	NT_CHECK(st.dma_delay_us == 300000, "delay shown: %u us",
		 st.dma_delay_us);
	t0 = now_ms();
	NT_EXPECT(0, nio_smmu_dma_write(ctl, 0, 0, NIO_SMMU_NO_PASID,
					GPA_BASE + 1, "y", 1), "DMA, delayed");
	printf("# DMA: %.1f ms, with the delay %.1f ms\n", ms, now_ms() - t0);
	NT_CHECK(now_ms() - t0 >= 300 && gram[1] == 'y' && gram[0] == 'x',
		 "completed after >= 300 ms, bytes landed");
	NT_EXPECT(0, nio_smmu_inject_dma_delay(ctl, 0, 0, 0), "delay off");

	/* A destroyed vEVENTQ: ENOENT */
	NT_EXPECT(0, nio_destroy(ctx, evq), "destroy the vEVENTQ");
	NT_EXPECT(ENOENT, nio_smmu_inject_event(ctl, 0, 0, w, 1, false),
		  "inject into the destroyed vEVENTQ: ENOENT (%s)",
		  nio_smmu_last_error(ctl));

	/* The vDEVICE goes: so does the target */
	NT_EXPECT(0, nio_smmu_inject_fail(ctl, 0, 0, NIO_SMMU_INJECT_INVALIDATE,
					  1, 0, EIO), "arm");
	nio_destroy(ctx, nested);
	NT_EXPECT(0, nio_destroy(ctx, vdev), "destroy the vDEVICE");
	NT_EXPECT(0, nio_smmu_inject_get(ctl, 0, 0, &st), "inject_get");
	NT_CHECK(!st.has_vdevice, "no vDEVICE any more");
	NT_EXPECT(ENOENT, nio_smmu_inject_fail(ctl, 0, 0,
					       NIO_SMMU_INJECT_NESTED_ALLOC, 1,
					       0, EIO),
		  "arming without it: ENOENT");

	nio_ctx_unref(ctx);
	nio_smmu_close(ctl);
	return nt_done();
}
