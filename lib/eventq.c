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

static int queue_fd(struct nio_ctx *ctx, uint32_t id, enum nio_object_type type,
		    struct nio_object_info *info, const char *fn)
{
	if (nio_obj_get(ctx, id, info) || info->type != type)
		return nio_err(ctx, ENOENT,
			       "%s: %u is not a %s created by this context", fn,
			       id, nio_object_type_name(type));
	if (info->fd < 0)
		return nio_err(ctx, EBADF, "%s: %s %u has no descriptor", fn,
			       nio_object_type_name(type), id);
	return info->fd;
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

	NIO_CHECK_ARG(ctx, ctx);
	return queue_fd(ctx, veventq_id, NIO_OBJ_VEVENTQ, &info,
			"nio_veventq_fd");
}

struct seq_update {
	uint32_t last;
};

static void save_seq(struct nio_obj *obj, void *arg)
{
	obj->next_seq = (uint32_t)((((struct seq_update *)arg)->last + 1) %
				   NIO_VEVENT_SEQ_MOD);
	obj->seq_valid = true;
}

struct seq_state {
	uint32_t next;
	bool valid;
};

static void load_seq(struct nio_obj *obj, void *arg)
{
	struct seq_state *st = arg;

	st->next = obj->next_seq;
	st->valid = obj->seq_valid;
}

NIO_API int nio_veventq_read(struct nio_ctx *ctx, uint32_t veventq_id,
			     struct nio_vevent *events, unsigned int max)
{
	const size_t hdr_len = sizeof(struct iommufd_vevent_header);
	struct nio_object_info info;
	struct seq_state st;
	struct seq_update last;
	size_t buf_len, off = 0;
	unsigned int n = 0;
	int fd, payload;
	uint8_t *buf;
	ssize_t got;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, events);
	NIO_CHECK_ARG(ctx, max > 0);
	fd = queue_fd(ctx, veventq_id, NIO_OBJ_VEVENTQ, &info,
		      "nio_veventq_read");
	if (fd < 0)
		return fd;
	payload = nio_vevent_payload_len(info.type_param);
	if (payload < 0)
		return nio_err(ctx, EOPNOTSUPP,
			       "nio_veventq_read: vEVENTQ %u has type 0x%x, whose record size this library does not know",
			       veventq_id, info.type_param);
	buf_len = (size_t)max * (hdr_len + (size_t)payload);
	buf = malloc(buf_len);
	if (!buf)
		return nio_err(ctx, ENOMEM, "nio_veventq_read: out of memory");
	got = read(fd, buf, buf_len);
	if (got < 0) {
		int err = errno;

		free(buf);
		return nio_err(ctx, err, "read(vEVENTQ %u, %zu bytes): %s",
			       veventq_id, buf_len, strerror(err));
	}
	nio_obj_update(ctx, veventq_id, load_seq, &st);
	while (off + hdr_len <= (size_t)got && n < max) {
		struct iommufd_vevent_header hdr;
		struct nio_vevent *ev = &events[n];
		size_t len;

		memcpy(&hdr, buf + off, hdr_len);
		off += hdr_len;
		len = (hdr.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS) ? 0 :
								      (size_t)payload;
		if (off + len > (size_t)got) {
			free(buf);
			return nio_err(ctx, EPROTO,
				       "read(vEVENTQ %u): record %u truncated (%zd bytes)",
				       veventq_id, n, got);
		}
		memset(ev, 0, sizeof(*ev));
		ev->flags = hdr.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS ?
				    NIO_VEVENT_LOST_EVENTS :
				    0;
		ev->sequence = hdr.sequence;
		ev->gap = st.valid ? (uint32_t)(((uint64_t)hdr.sequence +
						 NIO_VEVENT_SEQ_MOD - st.next) %
						NIO_VEVENT_SEQ_MOD) :
				     0;
		ev->data_len = (uint32_t)len;
		memcpy(ev->data, buf + off, len);
		off += len;
		if (ev->gap || ev->flags)
			nio_log(ctx, NIO_LOG_WARN,
				"vEVENTQ %u: %s before sequence %u (%u missing)",
				veventq_id,
				ev->flags ? "events lost" : "sequence gap",
				hdr.sequence, ev->gap);
		st.next = (uint32_t)(((uint64_t)hdr.sequence + 1) %
				     NIO_VEVENT_SEQ_MOD);
		st.valid = true;
		last.last = hdr.sequence;
		n++;
	}
	free(buf);
	if (n)
		nio_obj_update(ctx, veventq_id, save_seq, &last);
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
	int fd;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, faults);
	NIO_CHECK_ARG(ctx, max > 0);
	fd = queue_fd(ctx, fault_id, NIO_OBJ_FAULT, &info, "nio_fault_read");
	if (fd < 0)
		return fd;
	got = read(fd, faults, (size_t)max * sizeof(*faults));
	if (got < 0) {
		int err = errno;

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
	int fd;

	NIO_CHECK_ARG(ctx, ctx);
	if ((unsigned int)code > NIO_FAULT_RESP_INVALID)
		return nio_err(ctx, EINVAL, "nio_fault_respond: unknown code %u",
			       (unsigned int)code);
	fd = queue_fd(ctx, fault_id, NIO_OBJ_FAULT, &info,
		      "nio_fault_respond");
	if (fd < 0)
		return fd;
	ret = write(fd, &resp, sizeof(resp));
	if (ret != (ssize_t)sizeof(resp))
		return nio_err(ctx, ret < 0 ? errno : EIO,
			       "write(fault queue %u, cookie=%u, code=%u): %s",
			       fault_id, cookie, (unsigned int)code,
			       ret < 0 ? strerror(errno) : "short write");
	return 0;
}
