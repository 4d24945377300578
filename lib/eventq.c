// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vEVENTQ and fault queue: allocation, reading records with sequence
 * checks, and answering page faults.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* vEVENTQ sequence numbers run 0..INT_MAX and wrap to 0. */
#define NIO_VEVENT_SEQ_MOD ((uint64_t)INT32_MAX + 1)
/* The kernel's limit on veventq_depth (drivers/iommu/iommufd/eventq.c). */
#define NIO_VEVENTQ_MAX_DEPTH (1u << 19)

_Static_assert(sizeof(struct nio_fault) == sizeof(struct iommu_hwpt_pgfault),
	       "nio_fault is the kernel's record");

/* Bytes of payload after each header, per vEVENTQ type. */
int nio_vevent_payload_len(uint32_t type)
{
	switch (type) {
	case NIO_VEVENTQ_ARM_SMMUV3:
		return sizeof(struct iommu_vevent_arm_smmuv3);
	case NIO_VEVENTQ_TEGRA241_CMDQV:
		return 16; /* struct iommu_vevent_tegra241_cmdqv */
	case NIO_VEVENTQ_SELFTEST:
		return 4; /* struct iommu_viommu_event_selftest */
	}
	return -1;
}

/*
 * A queue's descriptor, referenced until queue_fd_put(): a concurrent
 * nio_destroy() closes it only after that.  With reading (vEVENTQ), the
 * caller also holds the queue's sequence state (one reader at a time).
 */
static int queue_fd(struct nio_ctx *ctx, uint32_t id, enum nio_object_type type,
		    bool reading, struct nio_object_info *info, const char *fn)
{
	if (nio_obj_fd_get(ctx, id, type, reading, info))
		return nio_err(ctx, ENOENT,
			       "%s: %u is not a %s of this context (create or import it)",
			       fn, id, nio_object_type_name(type));
	if (info->fd < 0) {
		nio_obj_fd_put(ctx, id, reading);
		return nio_err(ctx, EBADF, "%s: %s %u has no descriptor", fn,
			       nio_object_type_name(type), id);
	}
	return info->fd;
}

static void queue_fd_put(struct nio_ctx *ctx, uint32_t id, bool reading)
{
	nio_obj_fd_put(ctx, id, reading);
}

/*
 * Track a new queue; if that fails, undo it in the order the kernel needs:
 * its descriptor holds a reference, so close it before IOMMU_DESTROY.
 */
static int track_queue(struct nio_ctx *ctx, struct nio_object_info *info,
		       uint32_t *out_id)
{
	int ret = nio_obj_add(ctx, info);

	if (ret) {
		close(info->fd);
		nio_kernel_destroy(ctx, info->id);
		return ret;
	}
	*out_id = info->id;
	return 0;
}

NIO_API int nio_veventq_alloc(struct nio_ctx *ctx, uint32_t viommu_id,
			      uint32_t type, uint32_t depth,
			      uint32_t *veventq_id)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.type = type,
		.veventq_depth = depth,
	};
	struct nio_object_info info;
	char what[128];
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, veventq_id);
	if (nio_vevent_payload_len(type) < 0 && type != NIO_VEVENTQ_DEFAULT)
		nio_log(ctx, NIO_LOG_WARN,
			"vEVENTQ type 0x%x is unknown to this library: records cannot be read with nio_veventq_read()",
			type);
	snprintf(what, sizeof(what),
		 "IOMMU_VEVENTQ_ALLOC(viommu=%u, type=0x%x, depth=%u%s)",
		 viommu_id, type, depth,
		 depth > NIO_VEVENTQ_MAX_DEPTH ? ", above the kernel's 2^19" :
						 "");
	ret = nio_ioctl(ctx, ctx->fd, IOMMU_VEVENTQ_ALLOC, &cmd, what);
	if (ret)
		return ret;
	nio_obj_info_init(&info, cmd.out_veventq_id, NIO_OBJ_VEVENTQ, viommu_id,
			  0);
	info.type_param = type;
	info.virt_id = depth;
	info.fd = (int)cmd.out_veventq_fd;
	return track_queue(ctx, &info, veventq_id);
}

NIO_API int nio_veventq_fd(struct nio_ctx *ctx, uint32_t veventq_id)
{
	struct nio_object_info info;

	int fd;

	NIO_CHECK_ARG(ctx, ctx);
	fd = queue_fd(ctx, veventq_id, NIO_OBJ_VEVENTQ, false, &info,
		      "nio_veventq_fd");
	if (fd >= 0)
		queue_fd_put(ctx, veventq_id, false);
	return fd;
}

static void save_seq(struct nio_obj *obj, void *arg)
{
	const struct nio_vevent_cursor *cur = arg;

	obj->next_seq = cur->next_seq;
	obj->seq_valid = cur->seq_valid;
}

static void load_seq(struct nio_obj *obj, void *arg)
{
	struct nio_vevent_cursor *cur = arg;

	cur->next_seq = obj->next_seq;
	cur->seq_valid = obj->seq_valid;
}

/*
 * The vEVENTQ's descriptor (referenced: queue_fd_put()) and payload
 * length, or a negative errno.
 */
static int veventq_fd(struct nio_ctx *ctx, uint32_t veventq_id, bool reading,
		      int *payload, const char *fn)
{
	struct nio_object_info info;
	int fd;

	fd = queue_fd(ctx, veventq_id, NIO_OBJ_VEVENTQ, reading, &info, fn);
	if (fd < 0)
		return fd;
	*payload = nio_vevent_payload_len(info.type_param);
	if (*payload < 0) {
		queue_fd_put(ctx, veventq_id, reading);
		return nio_err(ctx, EOPNOTSUPP,
			       "%s: vEVENTQ %u has type 0x%x, whose record size this library does not know",
			       fn, veventq_id, info.type_param);
	}
	return fd;
}

static int veventq_read_fd(struct nio_ctx *ctx, uint32_t veventq_id, int fd,
			   void *buf, size_t len)
{
	ssize_t got = read(fd, buf, len);

	if (got < 0) {
		int err = errno;

		return nio_err(ctx, err, "read(vEVENTQ %u, %zu bytes): %s",
			       veventq_id, len, strerror(err));
	}
	return (int)got;
}

NIO_API int nio_veventq_read_buf(struct nio_ctx *ctx, uint32_t veventq_id,
				 void *buf, size_t len,
				 struct nio_vevent_cursor *cur)
{
	int fd, payload, got;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, buf);
	NIO_CHECK_ARG(ctx, cur);
	fd = veventq_fd(ctx, veventq_id, false, &payload,
			"nio_veventq_read_buf");
	if (fd < 0)
		return fd;
	if (len < sizeof(struct iommufd_vevent_header) + (size_t)payload) {
		queue_fd_put(ctx, veventq_id, false);
		return nio_err(ctx, EINVAL,
			       "nio_veventq_read_buf: %zu bytes hold no record of vEVENTQ %u (%zu needed)",
			       len, veventq_id,
			       sizeof(struct iommufd_vevent_header) + (size_t)payload);
	}
	if (len > INT32_MAX)
		len = INT32_MAX;
	cur->pos = cur->end = buf;
	got = veventq_read_fd(ctx, veventq_id, fd, buf, len);
	queue_fd_put(ctx, veventq_id, false);
	if (got < 0)
		return got;
	cur->payload_len = (uint32_t)payload;
	cur->end = (const uint8_t *)buf + got;
	return got;
}

NIO_API int nio_vevent_next(struct nio_vevent_cursor *cur,
			    struct nio_vevent_rec *rec)
{
	const size_t hdr_len = sizeof(struct iommufd_vevent_header);
	struct iommufd_vevent_header hdr;
	size_t left, len;

	if (!cur || !rec)
		return nio_err(NULL, EINVAL, "nio_vevent_next: %s is NULL",
			       cur ? "rec" : "cur");
	if (!cur->pos || cur->pos >= cur->end)
		return 0;
	left = (size_t)(cur->end - cur->pos);
	if (left < hdr_len)
		goto truncated;
	memcpy(&hdr, cur->pos, hdr_len);
	len = (hdr.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS) ? 0 :
							     cur->payload_len;
	if (left - hdr_len < len)
		goto truncated;
	rec->flags = (hdr.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS) ?
			     NIO_VEVENT_LOST_EVENTS :
			     0;
	rec->sequence = hdr.sequence;
	rec->gap = cur->seq_valid ?
			   (uint32_t)(((uint64_t)hdr.sequence + NIO_VEVENT_SEQ_MOD -
				       cur->next_seq) %
				      NIO_VEVENT_SEQ_MOD) :
			   0;
	rec->data_len = (uint32_t)len;
	rec->data = cur->pos + hdr_len;
	cur->next_seq = (uint32_t)(((uint64_t)hdr.sequence + 1) %
				   NIO_VEVENT_SEQ_MOD);
	cur->seq_valid = 1;
	cur->pos += hdr_len + len;
	return 1;
truncated:
	cur->pos = cur->end;
	return nio_err(NULL, EPROTO,
		       "nio_vevent_next: truncated record (%zu bytes left)", left);
}

/* Stack buffer of nio_veventq_read(): 102 SMMUv3 records per read(). */
#define NIO_VEVENTQ_READ_CHUNK 4096

NIO_API int nio_veventq_read(struct nio_ctx *ctx, uint32_t veventq_id,
			     struct nio_vevent *events, unsigned int max)
{
	const size_t hdr_len = sizeof(struct iommufd_vevent_header);
	uint8_t buf[NIO_VEVENTQ_READ_CHUNK] __attribute__((aligned(8)));
	struct nio_vevent_cursor cur = NIO_VEVENT_CURSOR_INIT;
	struct nio_vevent_rec rec;
	unsigned int n = 0;
	int fd, payload, got, ret = 0;
	size_t rec_len, want;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, events);
	NIO_CHECK_ARG(ctx, max > 0);
	/*
	 * One reader at a time holds the queue's sequence state from before
	 * its read() to after its update: two threads reading one queue
	 * never see each other's records as gaps.
	 */
	fd = veventq_fd(ctx, veventq_id, true, &payload, "nio_veventq_read");
	if (fd < 0)
		return fd;
	rec_len = hdr_len + (size_t)payload;
	cur.payload_len = (uint32_t)payload;
	nio_obj_update(ctx, veventq_id, load_seq, &cur);
	while (n < max) {
		want = (size_t)(max - n) * rec_len;
		if (want > sizeof(buf))
			want = sizeof(buf) / rec_len * rec_len;
		got = veventq_read_fd(ctx, veventq_id, fd, buf, want);
		if (got < 0) {
			if (n) /* what was read is the caller's */
				break;
			queue_fd_put(ctx, veventq_id, true);
			return got;
		}
		cur.pos = buf;
		cur.end = buf + got;
		while (n < max && (ret = nio_vevent_next(&cur, &rec)) == 1) {
			struct nio_vevent *ev = &events[n++];

			memset(ev, 0, sizeof(*ev));
			ev->flags = rec.flags;
			ev->sequence = rec.sequence;
			ev->gap = rec.gap;
			ev->data_len = rec.data_len;
			memcpy(ev->data, rec.data, rec.data_len);
			if (rec.gap || rec.flags)
				nio_log(ctx, NIO_LOG_WARN,
					"vEVENTQ %u: %s before sequence %u (%u missing)",
					veventq_id,
					rec.flags ? "events lost" : "sequence gap",
					rec.sequence, rec.gap);
		}
		if (ret < 0) {
			queue_fd_put(ctx, veventq_id, true);
			return nio_err(ctx, EPROTO,
				       "read(vEVENTQ %u): record %u truncated (%d bytes)",
				       veventq_id, n, got);
		}
		if ((size_t)got < want)
			break; /* drained */
	}
	if (n)
		nio_obj_update(ctx, veventq_id, save_seq, &cur);
	queue_fd_put(ctx, veventq_id, true);
	return (int)n;
}

NIO_API int nio_fault_alloc(struct nio_ctx *ctx, uint32_t *fault_id,
			    int *fault_fd)
{
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
	struct nio_object_info info;
	int ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, fault_id);
	ret = nio_ioctl(ctx, ctx->fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd,
			"IOMMU_FAULT_QUEUE_ALLOC");
	if (ret)
		return ret;
	nio_obj_info_init(&info, cmd.out_fault_id, NIO_OBJ_FAULT, 0, 0);
	info.fd = (int)cmd.out_fault_fd;
	ret = track_queue(ctx, &info, fault_id);
	if (ret)
		return ret;
	if (fault_fd)
		*fault_fd = info.fd;
	return 0;
}

NIO_API int nio_fault_read(struct nio_ctx *ctx, uint32_t fault_id,
			   struct nio_fault *faults, unsigned int max)
{
	struct nio_object_info info;
	ssize_t got;
	int fd, err;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, faults);
	NIO_CHECK_ARG(ctx, max > 0);
	fd = queue_fd(ctx, fault_id, NIO_OBJ_FAULT, false, &info,
		      "nio_fault_read");
	if (fd < 0)
		return fd;
	got = read(fd, faults, (size_t)max * sizeof(*faults));
	err = errno;
	queue_fd_put(ctx, fault_id, false);
	if (got < 0) {
		return nio_err(ctx, err,
			       "read(fault queue %u, %u records): %s%s",
			       fault_id, max, strerror(err),
			       err == EINVAL ?
				       " (the next fault group has more records than that)" :
				       "");
	}
	return (int)(got / (ssize_t)sizeof(*faults));
}

NIO_API int nio_fault_respond(struct nio_ctx *ctx, uint32_t fault_id,
			      uint32_t cookie, enum nio_fault_code code)
{
	struct iommu_hwpt_page_response resp = {
		.cookie = cookie,
		.code = (uint32_t)code,
	};
	struct nio_object_info info;
	ssize_t ret;
	int fd, err;

	NIO_CHECK_ARG(ctx, ctx);
	if ((unsigned int)code > NIO_FAULT_RESP_INVALID)
		return nio_err(ctx, EINVAL, "nio_fault_respond: unknown code %u",
			       (unsigned int)code);
	fd = queue_fd(ctx, fault_id, NIO_OBJ_FAULT, false, &info,
		      "nio_fault_respond");
	if (fd < 0)
		return fd;
	ret = write(fd, &resp, sizeof(resp));
	err = errno;
	queue_fd_put(ctx, fault_id, false);
	if (ret != (ssize_t)sizeof(resp))
		return nio_err(ctx, ret < 0 ? err : EIO,
			       "write(fault queue %u, cookie=%u, code=%u): %s",
			       fault_id, cookie, (unsigned int)code,
			       ret < 0 ? strerror(err) : "short write");
	return 0;
}
