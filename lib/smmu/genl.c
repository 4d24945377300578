// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libnestiommu-smmu: client of the nestiommu.ko generic netlink family
 * (a library of its own, so that libnestiommu needs only libc).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include <nestiommu/smmu.h>

#include "../../kernel/nestiommu_uapi.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* The public enums are the module's, renamed */
_Static_assert(NIO_SMMU_NO_PASID == NESTIOMMU_NO_PASID, "pasid");
_Static_assert(NIO_SMMU_MSI_VECTORS == NESTIOMMU_MSI_VECTORS, "vectors");
_Static_assert((int)NIO_SMMU_CNT_MAX == (int)NESTIOMMU_CNT_MAX, "counters");
_Static_assert((int)NIO_SMMU_CNT_INV_REJECTED ==
	       (int)NESTIOMMU_CNT_INV_REJECTED,
	       "counters");
_Static_assert((int)NIO_SMMU_DOMAIN_NESTED == (int)NESTIOMMU_DOMAIN_NESTED,
	       "domains");
_Static_assert((int)NIO_SMMU_BENCH_INVAL == (int)NESTIOMMU_BENCH_INVAL, "bench");
_Static_assert((int)NIO_SMMU_BENCH_DMA == (int)NESTIOMMU_BENCH_DMA, "bench");
_Static_assert(NIO_SMMU_AUDIT_RING == NESTIOMMU_AUDIT_RING, "audit ring");
_Static_assert((int)NIO_SMMU_AUDIT_CNT_MAX == (int)NESTIOMMU_AUDIT_CNT_MAX,
	       "audit counters");
_Static_assert((int)NIO_SMMU_AUDIT_CNT_TLBI_NOOP ==
	       (int)NESTIOMMU_AUDIT_CNT_TLBI_NOOP, "audit counters");
_Static_assert((int)NIO_SMMU_AUDIT_CD == (int)NESTIOMMU_AUDIT_CACHE_CD,
	       "audit cache");
_Static_assert((int)NIO_SMMU_INJECT_MAX == (int)NESTIOMMU_INJECT_MAX, "inject");
_Static_assert((int)NIO_SMMU_INJECT_NESTED_ALLOC ==
	       (int)NESTIOMMU_INJECT_NESTED_ALLOC, "inject");
_Static_assert(NIO_SMMU_INJECT_MAX_EVENTS == NESTIOMMU_INJECT_MAX_EVENTS,
	       "inject");
_Static_assert(NIO_SMMU_INJECT_MAX_DELAY_US == NESTIOMMU_MAX_DELAY_US,
	       "inject");
_Static_assert((int)NIO_SMMU_BENCH_FILL == (int)NESTIOMMU_BENCH_FILL, "bench");

/*
 * A handle may be shared by threads: requests are serialised on its
 * socket by lock, and each thread keeps the module's message for its own
 * last request (like errno), so one thread's error is never another's.
 */
struct nio_smmu {
	pthread_mutex_t lock;	/* one request at a time on sk */
	struct nl_sock *sk;
	int family;
	struct nl_sock *ev;	/* audit subscription (nio_smmu_audit_subscribe) */
	char err[256];		/* the running request's message (lock) */
};

static __thread struct {
	const struct nio_smmu *smmu;
	char text[256];
} last_err;

/* One request in flight: its parser and result */
struct nio_req {
	struct nio_smmu *smmu;
	int (*parse)(struct nio_req *req, struct nlattr **tb);
	int done;		/* 0 running, 1 finished */
	int err;		/* negative errno */
	/* dump results */
	void *items;
	size_t n;
	size_t size;		/* bytes per item */
	/* doit results */
	void *buf;
	size_t len;
	uint64_t u64;
	/* second kind of dump item (audit records) */
	void *items2;
	size_t n2;
	/* filter */
	uint32_t instance;
	uint32_t index;
	bool found;
	struct nl_msg *msg;	/* the message being parsed */
};

static int nio_fail(int err)
{
	errno = -err;
	return err;
}

static int nio_errno_from_nl(int nlerr)
{
	switch (-nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_PERM:
		return -EPERM;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_AGAIN:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

NIO_API int nio_smmu_open(struct nio_smmu **out)
{
	struct nio_smmu *smmu;
	int one = 1, ret;

	if (!out)
		return nio_fail(-EINVAL);
	*out = NULL;
	smmu = calloc(1, sizeof(*smmu));
	if (!smmu)
		return nio_fail(-ENOMEM);
	smmu->sk = nl_socket_alloc();
	if (!smmu->sk) {
		free(smmu);
		return nio_fail(-ENOMEM);
	}
	pthread_mutex_init(&smmu->lock, NULL);
	ret = genl_connect(smmu->sk);
	if (ret) {
		ret = nio_errno_from_nl(ret);
		goto err;
	}
	/*
	 * libnl sets a 32 KiB receive buffer: a DMA read's reply (up to
	 * 32 KiB of data, a 64 KiB skb) fills it, the kernel drops the ACK
	 * behind it (ENOBUFS) and later requests read the wrong replies.
	 */
	ret = nl_socket_set_buffer_size(smmu->sk, 1 << 20, 0);
	if (ret) {
		ret = nio_errno_from_nl(ret);
		goto err;
	}
	/* The module's explanations come as extended ack attributes */
	setsockopt(nl_socket_get_fd(smmu->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(smmu->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	smmu->family = genl_ctrl_resolve(smmu->sk, NESTIOMMU_GENL_NAME);
	if (smmu->family < 0) {
		ret = -ENOENT;
		snprintf(smmu->err, sizeof(smmu->err),
			 "generic netlink family \"%s\" not found (is nestiommu.ko loaded?)",
			 NESTIOMMU_GENL_NAME);
		goto err;
	}
	*out = smmu;
	return 0;
err:
	nl_socket_free(smmu->sk);
	pthread_mutex_destroy(&smmu->lock);
	free(smmu);
	return nio_fail(ret);
}

NIO_API void nio_smmu_close(struct nio_smmu *smmu)
{
	if (!smmu)
		return;
	if (last_err.smmu == smmu)
		last_err.smmu = NULL;
	nl_socket_free(smmu->sk);
	if (smmu->ev)
		nl_socket_free(smmu->ev);
	pthread_mutex_destroy(&smmu->lock);
	free(smmu);
}

NIO_API const char *nio_smmu_last_error(const struct nio_smmu *smmu)
{
	return smmu && last_err.smmu == smmu ? last_err.text : "";
}

static int nio_cb_valid(struct nl_msg *msg, void *arg)
{
	struct nio_req *req = arg;
	struct nlattr *tb[NESTIOMMU_ATTR_MAX + 1];
	int ret;

	ret = genlmsg_parse(nlmsg_hdr(msg), 0, tb, NESTIOMMU_ATTR_MAX, NULL);
	if (ret < 0) {
		req->err = -EPROTO;
		return NL_STOP;
	}
	if (req->parse) {
		req->msg = msg;
		ret = req->parse(req, tb);
		if (ret) {
			req->err = ret;
			return NL_STOP;
		}
	}
	return NL_OK;
}

static int nio_cb_finish(struct nl_msg *msg, void *arg)
{
	struct nio_req *req = arg;

	req->done = 1;
	return NL_STOP;
}

static int nio_cb_ack(struct nl_msg *msg, void *arg)
{
	struct nio_req *req = arg;

	req->done = 1;
	return NL_STOP;
}

static int nio_cb_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nio_req *req = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	size_t off = sizeof(*e);
	struct nlattr *a;
	int rem;

	req->done = 1;
	req->err = e->error ? e->error : -EIO;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (NLMSG_HDRLEN + off >= nlh->nlmsg_len)
		return NL_STOP;
	rem = nlh->nlmsg_len - NLMSG_HDRLEN - off;
	nla_for_each_attr(a, (struct nlattr *)((char *)e + off), rem, rem) {
		if (nla_type(a) == NLMSGERR_ATTR_MSG)
			snprintf(req->smmu->err, sizeof(req->smmu->err), "%s",
				 (const char *)nla_data(a));
	}
	return NL_STOP;
}

/* Send @msg (consumed) and process the replies until done */
static int nio_run(struct nio_smmu *smmu, struct nl_msg *msg,
		   struct nio_req *req)
{
	struct nl_cb *cb;
	int ret;

	pthread_mutex_lock(&smmu->lock);
	smmu->err[0] = 0;
	req->smmu = smmu;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		req->err = -ENOMEM;
		goto out;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, nio_cb_valid, req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, nio_cb_finish, req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, nio_cb_ack, req);
	nl_cb_err(cb, NL_CB_CUSTOM, nio_cb_error, req);

	ret = nl_send_auto(smmu->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		nl_cb_put(cb);
		req->err = nio_errno_from_nl(ret);
		goto out;
	}
	while (!req->done) {
		ret = nl_recvmsgs(smmu->sk, cb);
		if (ret < 0 && !req->done) {
			if (!req->err)
				req->err = nio_errno_from_nl(ret);
			break;
		}
		if (req->err)
			break;
	}
	nl_cb_put(cb);
out:
	last_err.smmu = smmu;
	memcpy(last_err.text, smmu->err, sizeof(last_err.text));
	pthread_mutex_unlock(&smmu->lock);
	return req->err;
}

static struct nl_msg *nio_msg(struct nio_smmu *smmu, uint8_t cmd, int flags)
{
	struct nl_msg *msg;

	if (!smmu)	/* the caller reports -EINVAL */
		return NULL;
	msg = nlmsg_alloc();
	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, smmu->family, 0,
			 flags, cmd, NESTIOMMU_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Add an item to req->items (growing the array) and return it */
static void *nio_push(struct nio_req *req)
{
	void *items;

	items = realloc(req->items, (req->n + 1) * req->size);
	if (!items)
		return NULL;
	req->items = items;
	memset((char *)items + req->n * req->size, 0, req->size);
	return (char *)items + req->n++ * req->size;
}

static int nio_dump(struct nio_smmu *smmu, struct nl_msg *msg,
		    struct nio_req *req, void **out, size_t *n)
{
	int ret;

	if (!smmu || !out || !n) {
		if (msg)
			nlmsg_free(msg);
		return nio_fail(-EINVAL);
	}
	*out = NULL;
	*n = 0;
	if (!msg)
		return nio_fail(-ENOMEM);
	ret = nio_run(smmu, msg, req);
	if (ret) {
		free(req->items);
		return nio_fail(ret);
	}
	*out = req->items;
	*n = req->n;
	return 0;
}

static uint32_t nio_u32(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_u32(tb[attr]) : 0;
}

static uint64_t nio_u64(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_u64(tb[attr]) : 0;
}

static int nio_parse_instance(struct nio_req *req, struct nlattr **tb)
{
	struct nio_smmu_instance *in = nio_push(req);
	uint32_t regs[8];
	struct nlattr *a;
	int rem;

	if (!in)
		return -ENOMEM;
	in->id = nio_u32(tb, NESTIOMMU_ATTR_INSTANCE);
	in->num_devices = nio_u32(tb, NESTIOMMU_ATTR_NUM_DEVICES);
	in->attached = nio_u32(tb, NESTIOMMU_ATTR_ATTACHED);
	in->msi_start = nio_u64(tb, NESTIOMMU_ATTR_MSI_START);
	in->msi_size = nio_u64(tb, NESTIOMMU_ATTR_MSI_SIZE);
	if (tb[NESTIOMMU_ATTR_IDR] &&
	    nla_len(tb[NESTIOMMU_ATTR_IDR]) == sizeof(regs)) {
		memcpy(regs, nla_data(tb[NESTIOMMU_ATTR_IDR]), sizeof(regs));
		memcpy(in->idr, regs, sizeof(in->idr));
		in->iidr = regs[6];
		in->aidr = regs[7];
	}
	if (tb[NESTIOMMU_ATTR_COUNTERS]) {
		nla_for_each_nested(a, tb[NESTIOMMU_ATTR_COUNTERS], rem) {
			int t = nla_type(a);

			if (t > 0 && t <= NIO_SMMU_CNT_MAX &&
			    nla_len(a) == sizeof(uint64_t))
				in->counters[t] = nla_get_u64(a);
		}
	}
	return 0;
}

NIO_API int nio_smmu_instances(struct nio_smmu *smmu,
			       struct nio_smmu_instance **out, size_t *n)
{
	struct nio_req req = { .parse = nio_parse_instance,
			       .size = sizeof(**out) };

	return nio_dump(smmu, nio_msg(smmu, NESTIOMMU_CMD_INSTANCE_GET,
				      NLM_F_DUMP),
			&req, (void **)out, n);
}

static void nio_fill_device(struct nio_smmu_device *d, struct nlattr **tb)
{
	int i;

	d->instance = nio_u32(tb, NESTIOMMU_ATTR_INSTANCE);
	d->index = nio_u32(tb, NESTIOMMU_ATTR_DEVICE);
	d->sid = nio_u32(tb, NESTIOMMU_ATTR_SID);
	d->has_vsid = !!tb[NESTIOMMU_ATTR_VSID];
	d->vsid = nio_u32(tb, NESTIOMMU_ATTR_VSID);
	d->domain = nio_u32(tb, NESTIOMMU_ATTR_DOMAIN);
	d->vmid = nio_u32(tb, NESTIOMMU_ATTR_VMID);
	if (tb[NESTIOMMU_ATTR_CDEV])
		snprintf(d->cdev, sizeof(d->cdev), "%s",
			 nla_get_string(tb[NESTIOMMU_ATTR_CDEV]));
	if (tb[NESTIOMMU_ATTR_STE] &&
	    nla_len(tb[NESTIOMMU_ATTR_STE]) == sizeof(d->ste)) {
		const uint8_t *p = nla_data(tb[NESTIOMMU_ATTR_STE]);

		for (i = 0; i < 8; i++) {
			uint64_t v = 0;
			int b;

			for (b = 7; b >= 0; b--)
				v = (v << 8) | p[i * 8 + b];
			d->ste[i] = v;
		}
	}
	if (tb[NESTIOMMU_ATTR_EVENT] &&
	    nla_len(tb[NESTIOMMU_ATTR_EVENT]) == sizeof(d->event)) {
		const uint8_t *p = nla_data(tb[NESTIOMMU_ATTR_EVENT]);

		d->has_event = true;
		for (i = 0; i < 4; i++) {
			uint64_t v = 0;
			int b;

			for (b = 7; b >= 0; b--)
				v = (v << 8) | p[i * 8 + b];
			d->event[i] = v;
		}
	}
}

static int nio_parse_device(struct nio_req *req, struct nlattr **tb)
{
	struct nio_smmu_device *d;

	if (req->buf) {		/* nio_smmu_device_get(): one device */
		if (nio_u32(tb, NESTIOMMU_ATTR_INSTANCE) != req->instance ||
		    nio_u32(tb, NESTIOMMU_ATTR_DEVICE) != req->index)
			return 0;
		memset(req->buf, 0, sizeof(*d));
		nio_fill_device(req->buf, tb);
		req->found = true;
		return 0;
	}
	d = nio_push(req);
	if (!d)
		return -ENOMEM;
	nio_fill_device(d, tb);
	return 0;
}

NIO_API int nio_smmu_devices(struct nio_smmu *smmu,
			     struct nio_smmu_device **out, size_t *n)
{
	struct nio_req req = { .parse = nio_parse_device,
			       .size = sizeof(**out) };

	return nio_dump(smmu, nio_msg(smmu, NESTIOMMU_CMD_DEVICE_GET,
				      NLM_F_DUMP),
			&req, (void **)out, n);
}

NIO_API int nio_smmu_device_get(struct nio_smmu *smmu, uint32_t instance,
				uint32_t index, struct nio_smmu_device *out)
{
	struct nio_req req = { .parse = nio_parse_device, .buf = out,
			       .instance = instance, .index = index };
	struct nl_msg *msg;
	int ret;

	if (!smmu || !out)
		return nio_fail(-EINVAL);
	msg = nio_msg(smmu, NESTIOMMU_CMD_DEVICE_GET, NLM_F_DUMP);
	if (!msg)
		return nio_fail(-ENOMEM);
	ret = nio_run(smmu, msg, &req);
	if (ret)
		return nio_fail(ret);
	if (!req.found)
		return nio_fail(-ENODEV);
	return 0;
}

static int nio_parse_tlb(struct nio_req *req, struct nlattr **tb)
{
	struct nlattr *nt[NESTIOMMU_ATTR_MAX + 1];
	struct nio_smmu_tlb_entry *e;

	if (!tb[NESTIOMMU_ATTR_TLB_ENTRY])
		return 0;
	if (nla_parse_nested(nt, NESTIOMMU_ATTR_MAX,
			     tb[NESTIOMMU_ATTR_TLB_ENTRY], NULL))
		return -EPROTO;
	e = nio_push(req);
	if (!e)
		return -ENOMEM;
	e->vmid = nio_u32(nt, NESTIOMMU_ATTR_VMID);
	e->asid = nio_u32(nt, NESTIOMMU_ATTR_ASID);
	e->perm = nio_u32(nt, NESTIOMMU_ATTR_PERM);
	e->iova = nio_u64(nt, NESTIOMMU_ATTR_IOVA);
	e->ipa = nio_u64(nt, NESTIOMMU_ATTR_IPA);
	e->pa = nio_u64(nt, NESTIOMMU_ATTR_PA);
	return 0;
}

NIO_API int nio_smmu_tlb(struct nio_smmu *smmu, uint32_t instance,
			 struct nio_smmu_tlb_entry **out, size_t *n)
{
	struct nio_req req = { .parse = nio_parse_tlb, .size = sizeof(**out) };
	struct nl_msg *msg = nio_msg(smmu, NESTIOMMU_CMD_TLB_GET, NLM_F_DUMP);

	if (msg && nla_put_u32(msg, NESTIOMMU_ATTR_INSTANCE, instance)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return nio_dump(smmu, msg, &req, (void **)out, n);
}

/* A doit request without a reply payload */
static int nio_doit(struct nio_smmu *smmu, struct nl_msg *msg,
		    struct nio_req *req)
{
	int ret;

	if (!smmu) {
		if (msg)
			nlmsg_free(msg);
		return nio_fail(-EINVAL);
	}
	if (!msg)
		return nio_fail(-ENOMEM);
	ret = nio_run(smmu, msg, req);
	return ret ? nio_fail(ret) : 0;
}

#define NIO_PUT(msg, expr)				\
	do {						\
		if ((msg) && (expr) < 0) {		\
			nlmsg_free(msg);		\
			(msg) = NULL;			\
		}					\
	} while (0)

static struct nl_msg *nio_msg_dev(struct nio_smmu *smmu, uint8_t cmd,
				  uint32_t instance, uint32_t device)
{
	struct nl_msg *msg = nio_msg(smmu, cmd, NLM_F_ACK);

	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_INSTANCE, instance));
	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_DEVICE, device));
	return msg;
}

NIO_API int nio_smmu_set_msi_window(struct nio_smmu *smmu, uint32_t instance,
				    uint64_t start, uint64_t size)
{
	struct nl_msg *msg = nio_msg(smmu, NESTIOMMU_CMD_MSI_WINDOW_SET,
				     NLM_F_ACK);
	struct nio_req req = { 0 };

	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_INSTANCE, instance));
	NIO_PUT(msg, nla_put_u64(msg, NESTIOMMU_ATTR_MSI_START, start));
	NIO_PUT(msg, nla_put_u64(msg, NESTIOMMU_ATTR_MSI_SIZE, size));
	return nio_doit(smmu, msg, &req);
}

NIO_API int nio_smmu_set_msi(struct nio_smmu *smmu, uint32_t instance,
			     uint32_t device, uint32_t vector, uint64_t addr,
			     int eventfd, bool keep_fd)
{
	struct nl_msg *msg = nio_msg_dev(smmu, NESTIOMMU_CMD_MSI_SET,
					 instance, device);
	struct nio_req req = { 0 };

	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_VECTOR, vector));
	NIO_PUT(msg, nla_put_u64(msg, NESTIOMMU_ATTR_MSI_ADDR, addr));
	if (!keep_fd)
		NIO_PUT(msg, nla_put_s32(msg, NESTIOMMU_ATTR_FD,
					 eventfd < 0 ? -1 : eventfd));
	return nio_doit(smmu, msg, &req);
}

NIO_API int nio_smmu_msi_trigger(struct nio_smmu *smmu, uint32_t instance,
				 uint32_t device, uint32_t vector)
{
	struct nl_msg *msg = nio_msg_dev(smmu, NESTIOMMU_CMD_MSI_TRIGGER,
					 instance, device);
	struct nio_req req = { 0 };

	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_VECTOR, vector));
	return nio_doit(smmu, msg, &req);
}

static int nio_parse_data(struct nio_req *req, struct nlattr **tb)
{
	if (!tb[NESTIOMMU_ATTR_DATA] ||
	    (size_t)nla_len(tb[NESTIOMMU_ATTR_DATA]) != req->len)
		return -EPROTO;
	memcpy(req->buf, nla_data(tb[NESTIOMMU_ATTR_DATA]), req->len);
	req->found = true;
	return 0;
}

NIO_API int nio_smmu_dma_read(struct nio_smmu *smmu, uint32_t instance,
			      uint32_t device, uint32_t pasid, uint64_t iova,
			      void *buf, size_t len)
{
	struct nl_msg *msg;
	struct nio_req req = { .parse = nio_parse_data, .buf = buf,
			       .len = len };
	int ret;

	if (!buf || !len || len > 32768)
		return nio_fail(-EINVAL);
	msg = nio_msg_dev(smmu, NESTIOMMU_CMD_DMA, instance, device);
	NIO_PUT(msg, nla_put_u64(msg, NESTIOMMU_ATTR_IOVA, iova));
	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_PASID, pasid));
	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_LEN, (uint32_t)len));
	ret = nio_doit(smmu, msg, &req);
	if (!ret && !req.found)
		return nio_fail(-EPROTO);
	return ret;
}

NIO_API int nio_smmu_dma_write(struct nio_smmu *smmu, uint32_t instance,
			       uint32_t device, uint32_t pasid, uint64_t iova,
			       const void *buf, size_t len)
{
	struct nl_msg *msg;
	struct nio_req req = { 0 };

	if (!buf || !len || len > 32768)
		return nio_fail(-EINVAL);
	msg = nio_msg_dev(smmu, NESTIOMMU_CMD_DMA, instance, device);
	NIO_PUT(msg, nla_put_u64(msg, NESTIOMMU_ATTR_IOVA, iova));
	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_PASID, pasid));
	NIO_PUT(msg, nla_put(msg, NESTIOMMU_ATTR_DATA, (int)len, buf));
	NIO_PUT(msg, nla_put_flag(msg, NESTIOMMU_ATTR_WRITE));
	return nio_doit(smmu, msg, &req);
}

NIO_API int nio_smmu_remove_devices(struct nio_smmu *smmu, int instance)
{
	struct nl_msg *msg = nio_msg(smmu, NESTIOMMU_CMD_REMOVE_DEVICES,
				     NLM_F_ACK);
	struct nio_req req = { 0 };

	if (instance >= 0)
		NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_INSTANCE,
					 (uint32_t)instance));
	return nio_doit(smmu, msg, &req);
}

static int nio_parse_bench(struct nio_req *req, struct nlattr **tb)
{
	if (!tb[NESTIOMMU_ATTR_BENCH_NS])
		return -EPROTO;
	req->u64 = nla_get_u64(tb[NESTIOMMU_ATTR_BENCH_NS]);
	req->found = true;
	return 0;
}

NIO_API int nio_smmu_bench(struct nio_smmu *smmu, uint32_t instance,
			   uint32_t device, enum nio_smmu_bench_mode mode,
			   uint32_t pasid, uint64_t iova, uint32_t iters,
			   uint32_t entries, uint64_t *ns)
{
	struct nl_msg *msg = nio_msg_dev(smmu, NESTIOMMU_CMD_BENCH, instance,
					 device);
	struct nio_req req = { .parse = nio_parse_bench };
	int ret;

	if (!ns) {
		if (msg)
			nlmsg_free(msg);
		return nio_fail(-EINVAL);
	}
	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_BENCH_MODE, mode));
	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_BENCH_ITERS, iters));
	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_BENCH_ENTRIES, entries));
	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_PASID, pasid));
	NIO_PUT(msg, nla_put_u64(msg, NESTIOMMU_ATTR_IOVA, iova));
	ret = nio_doit(smmu, msg, &req);
	if (ret)
		return ret;
	if (!req.found)
		return nio_fail(-EPROTO);
	*ns = req.u64;
	return 0;
}

NIO_API int nio_smmu_counters_reset(struct nio_smmu *smmu, int instance)
{
	struct nl_msg *msg = nio_msg(smmu, NESTIOMMU_CMD_COUNTERS_RESET,
				     NLM_F_ACK);
	struct nio_req req = { 0 };

	if (instance >= 0)
		NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_INSTANCE,
					 (uint32_t)instance));
	return nio_doit(smmu, msg, &req);
}

/* ------------------------------------------------------------------ */
/* Fault injection (NESTIOMMU_SMMU_0.2)                                */

NIO_API int nio_smmu_inject_event(struct nio_smmu *smmu, uint32_t instance,
				  uint32_t device, const uint64_t evt[4],
				  uint32_t count, bool raw)
{
	struct nl_msg *msg;
	struct nio_req req = { 0 };
	uint8_t le[32];
	int i, b;

	if (!smmu || !evt || !count || count > NIO_SMMU_INJECT_MAX_EVENTS)
		return nio_fail(-EINVAL);
	for (i = 0; i < 4; i++)
		for (b = 0; b < 8; b++)
			le[i * 8 + b] = (uint8_t)(evt[i] >> (8 * b));
	msg = nio_msg_dev(smmu, NESTIOMMU_CMD_INJECT_EVENT, instance, device);
	NIO_PUT(msg, nla_put(msg, NESTIOMMU_ATTR_EVENT, sizeof(le), le));
	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_INJECT_COUNT, count));
	if (raw)
		NIO_PUT(msg, nla_put_flag(msg, NESTIOMMU_ATTR_INJECT_RAW));
	return nio_doit(smmu, msg, &req);
}

NIO_API int nio_smmu_inject_fail(struct nio_smmu *smmu, uint32_t instance,
				 uint32_t device, enum nio_smmu_inject_op op,
				 uint32_t count, uint32_t skip, int err)
{
	struct nl_msg *msg;
	struct nio_req req = { 0 };

	if (!smmu || (unsigned int)op > NIO_SMMU_INJECT_MAX ||
	    (count && (err < 1 || err > 4095)))
		return nio_fail(-EINVAL);
	msg = nio_msg_dev(smmu, NESTIOMMU_CMD_INJECT_FAIL, instance, device);
	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_INJECT_OP, op));
	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_INJECT_COUNT, count));
	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_INJECT_SKIP, skip));
	if (count)
		NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_INJECT_ERRNO,
					 (uint32_t)err));
	return nio_doit(smmu, msg, &req);
}

NIO_API int nio_smmu_inject_dma_delay(struct nio_smmu *smmu,
				      uint32_t instance, uint32_t device,
				      uint32_t delay_us)
{
	struct nl_msg *msg;
	struct nio_req req = { 0 };

	if (!smmu || delay_us > NIO_SMMU_INJECT_MAX_DELAY_US)
		return nio_fail(-EINVAL);
	msg = nio_msg_dev(smmu, NESTIOMMU_CMD_INJECT_DMA_DELAY, instance,
			  device);
	NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_DELAY_US, delay_us));
	return nio_doit(smmu, msg, &req);
}

static int nio_parse_inject(struct nio_req *req, struct nlattr **tb)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(req->msg));
	struct nio_smmu_inject *in = req->buf;
	struct nlattr *nt[NESTIOMMU_ATTR_MAX + 1];
	struct nlattr *a;
	int rem;

	memset(in, 0, sizeof(*in));
	in->instance = nio_u32(tb, NESTIOMMU_ATTR_INSTANCE);
	in->index = nio_u32(tb, NESTIOMMU_ATTR_DEVICE);
	in->dma_delay_us = nio_u32(tb, NESTIOMMU_ATTR_DELAY_US);
	in->has_vdevice = !!tb[NESTIOMMU_ATTR_VSID];
	in->vsid = nio_u32(tb, NESTIOMMU_ATTR_VSID);
	/* every attribute of the message: the INJECT nests repeat */
	nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			  rem) {
		uint32_t op;

		if (nla_type(a) != NESTIOMMU_ATTR_INJECT)
			continue;
		if (nla_parse_nested(nt, NESTIOMMU_ATTR_MAX, a, NULL))
			return -EPROTO;
		op = nio_u32(nt, NESTIOMMU_ATTR_INJECT_OP);
		if (op > NIO_SMMU_INJECT_MAX)
			continue;	/* an operation this library predates */
		in->fail[op].count = nio_u32(nt, NESTIOMMU_ATTR_INJECT_COUNT);
		in->fail[op].skip = nio_u32(nt, NESTIOMMU_ATTR_INJECT_SKIP);
		in->fail[op].err = (int)nio_u32(nt, NESTIOMMU_ATTR_INJECT_ERRNO);
	}
	req->found = true;
	return 0;
}

NIO_API int nio_smmu_inject_get(struct nio_smmu *smmu, uint32_t instance,
				uint32_t device, struct nio_smmu_inject *out)
{
	struct nio_req req = { .parse = nio_parse_inject, .buf = out };
	struct nl_msg *msg;
	int ret;

	if (!smmu || !out)
		return nio_fail(-EINVAL);
	msg = nio_msg_dev(smmu, NESTIOMMU_CMD_INJECT_GET, instance, device);
	ret = nio_doit(smmu, msg, &req);
	if (ret)
		return ret;
	if (!req.found)
		return nio_fail(-EPROTO);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Invalidation audit (NESTIOMMU_SMMU_0.3)                             */

NIO_API int nio_smmu_audit_set(struct nio_smmu *smmu, int instance,
			       int enable, bool clear)
{
	struct nl_msg *msg;
	struct nio_req req = { 0 };

	if (enable < -1 || enable > 1 || (enable < 0 && !clear))
		return nio_fail(-EINVAL);
	msg = nio_msg(smmu, NESTIOMMU_CMD_AUDIT_SET, NLM_F_ACK);
	if (instance >= 0)
		NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_INSTANCE,
					 (uint32_t)instance));
	if (enable >= 0)
		NIO_PUT(msg, nla_put_u8(msg, NESTIOMMU_ATTR_AUDIT_ENABLE,
					(uint8_t)enable));
	if (clear)
		NIO_PUT(msg, nla_put_flag(msg, NESTIOMMU_ATTR_AUDIT_CLEAR));
	return nio_doit(smmu, msg, &req);
}

static int nio_fill_audit_rec(struct nio_smmu_audit_rec *r, struct nlattr *a)
{
	struct nlattr *t[NESTIOMMU_ATTR_MAX + 1];

	if (nla_parse_nested(t, NESTIOMMU_ATTR_MAX, a, NULL))
		return -EPROTO;
	memset(r, 0, sizeof(*r));
	r->instance = nio_u32(t, NESTIOMMU_ATTR_INSTANCE);
	r->seq = nio_u64(t, NESTIOMMU_ATTR_AUDIT_SEQ);
	r->cache = (enum nio_smmu_audit_cache)nio_u32(t, NESTIOMMU_ATTR_AUDIT_CACHE);
	r->time_ns = nio_u64(t, NESTIOMMU_ATTR_AUDIT_TIME);
	r->sid = nio_u32(t, NESTIOMMU_ATTR_SID);
	r->has_vsid = !!t[NESTIOMMU_ATTR_VSID];
	r->vsid = nio_u32(t, NESTIOMMU_ATTR_VSID);
	r->ssid = t[NESTIOMMU_ATTR_PASID] ? nla_get_u32(t[NESTIOMMU_ATTR_PASID])
					  : NIO_SMMU_NO_PASID;
	r->vmid = nio_u32(t, NESTIOMMU_ATTR_VMID);
	r->asid = nio_u32(t, NESTIOMMU_ATTR_ASID);
	r->fresh_asid = nio_u32(t, NESTIOMMU_ATTR_AUDIT_FRESH_ASID);
	r->va = nio_u64(t, NESTIOMMU_ATTR_IOVA);
	r->write = !!t[NESTIOMMU_ATTR_WRITE];
	r->ipa = nio_u64(t, NESTIOMMU_ATTR_IPA);
	r->pa = nio_u64(t, NESTIOMMU_ATTR_PA);
	r->perm = nio_u32(t, NESTIOMMU_ATTR_PERM);
	r->fresh_ipa = nio_u64(t, NESTIOMMU_ATTR_AUDIT_FRESH_IPA);
	r->fresh_pa = nio_u64(t, NESTIOMMU_ATTR_AUDIT_FRESH_PA);
	r->fresh_perm = nio_u32(t, NESTIOMMU_ATTR_AUDIT_FRESH_PERM);
	r->fault = nio_u32(t, NESTIOMMU_ATTR_AUDIT_FAULT);
	r->inv_op = nio_u32(t, NESTIOMMU_ATTR_AUDIT_INV_OP);
	r->inv_time_ns = nio_u64(t, NESTIOMMU_ATTR_AUDIT_INV_TIME);
	return 0;
}

static int nio_parse_audit(struct nio_req *req, struct nlattr **tb)
{
	struct nlattr *a;
	int rem;

	if (tb[NESTIOMMU_ATTR_AUDIT_REC]) {
		struct nio_smmu_audit_rec *r;
		void *items;

		if (!req->buf)		/* records not wanted */
			return 0;
		items = realloc(req->items2, (req->n2 + 1) * sizeof(*r));
		if (!items)
			return -ENOMEM;
		req->items2 = items;
		r = (struct nio_smmu_audit_rec *)items + req->n2++;
		return nio_fill_audit_rec(r, tb[NESTIOMMU_ATTR_AUDIT_REC]);
	}
	if (tb[NESTIOMMU_ATTR_AUDIT_BUILT]) {
		struct nio_smmu_audit_state *st = nio_push(req);

		if (!st)
			return -ENOMEM;
		st->instance = nio_u32(tb, NESTIOMMU_ATTR_INSTANCE);
		st->enabled = tb[NESTIOMMU_ATTR_AUDIT_ENABLE] &&
			      nla_get_u8(tb[NESTIOMMU_ATTR_AUDIT_ENABLE]);
		st->ring_size = nio_u32(tb, NESTIOMMU_ATTR_AUDIT_RING_SIZE);
		st->records = nio_u64(tb, NESTIOMMU_ATTR_AUDIT_SEQ);
		if (tb[NESTIOMMU_ATTR_AUDIT_COUNTERS]) {
			nla_for_each_nested(a, tb[NESTIOMMU_ATTR_AUDIT_COUNTERS],
					    rem) {
				int t = nla_type(a);

				if (t > 0 && t <= NIO_SMMU_AUDIT_CNT_MAX &&
				    nla_len(a) == sizeof(uint64_t))
					st->counters[t] = nla_get_u64(a);
			}
		}
	}
	return 0;
}

NIO_API int nio_smmu_audit_get(struct nio_smmu *smmu, int instance,
			       struct nio_smmu_audit_state **states,
			       size_t *nstates,
			       struct nio_smmu_audit_rec **recs, size_t *nrecs)
{
	struct nio_req req = { .parse = nio_parse_audit,
			       .size = sizeof(**states) };
	struct nl_msg *msg;
	int ret;

	if (recs) {
		if (!nrecs)
			return nio_fail(-EINVAL);
		*recs = NULL;
		*nrecs = 0;
		req.buf = &req;		/* a marker: records wanted */
	}
	msg = nio_msg(smmu, NESTIOMMU_CMD_AUDIT_GET, NLM_F_DUMP);
	if (instance >= 0)
		NIO_PUT(msg, nla_put_u32(msg, NESTIOMMU_ATTR_INSTANCE,
					 (uint32_t)instance));
	ret = nio_dump(smmu, msg, &req, (void **)states, nstates);
	if (ret) {
		free(req.items2);
		return ret;
	}
	if (recs) {
		*recs = req.items2;
		*nrecs = req.n2;
	}
	return 0;
}

NIO_API int nio_smmu_audit_subscribe(struct nio_smmu *smmu)
{
	struct nl_sock *ev;
	int grp, ret;

	if (!smmu)
		return nio_fail(-EINVAL);
	if (smmu->ev)
		return nl_socket_get_fd(smmu->ev);
	pthread_mutex_lock(&smmu->lock);
	grp = genl_ctrl_resolve_grp(smmu->sk, NESTIOMMU_GENL_NAME,
				    NESTIOMMU_AUDIT_MCGRP);
	pthread_mutex_unlock(&smmu->lock);
	if (grp < 0)
		return nio_fail(-EOPNOTSUPP);
	ev = nl_socket_alloc();
	if (!ev)
		return nio_fail(-ENOMEM);
	nl_socket_disable_seq_check(ev);
	ret = genl_connect(ev);
	if (!ret)
		ret = nl_socket_add_membership(ev, grp);
	if (!ret)
		ret = nl_socket_set_nonblocking(ev);
	if (ret) {
		nl_socket_free(ev);
		return nio_fail(ret == -NLE_PERM ? -EPERM :
				nio_errno_from_nl(ret));
	}
	smmu->ev = ev;
	return nl_socket_get_fd(ev);
}

NIO_API int nio_smmu_audit_next(struct nio_smmu *smmu,
				struct nio_smmu_audit_rec *rec)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlattr *tb[NESTIOMMU_ATTR_MAX + 1];
	struct nlmsghdr *nlh;
	ssize_t n;
	int len;

	if (!smmu || !rec || !smmu->ev)
		return nio_fail(-EINVAL);
	for (;;) {
		n = recv(nl_socket_get_fd(smmu->ev), buf, sizeof(buf),
			 MSG_DONTWAIT);
		if (n < 0)
			return nio_fail(errno == EWOULDBLOCK ? -EAGAIN : -errno);
		len = (int)n;
		for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, len);
		     nlh = nlmsg_next(nlh, &len)) {
			struct genlmsghdr *g = nlmsg_data(nlh);

			if (nlh->nlmsg_type != smmu->family ||
			    g->cmd != NESTIOMMU_CMD_AUDIT_EVENT)
				continue;
			if (genlmsg_parse(nlh, 0, tb, NESTIOMMU_ATTR_MAX, NULL) < 0 ||
			    !tb[NESTIOMMU_ATTR_AUDIT_REC])
				return nio_fail(-EPROTO);
			if (nio_fill_audit_rec(rec, tb[NESTIOMMU_ATTR_AUDIT_REC]))
				return nio_fail(-EPROTO);
			return 0;
		}
	}
}
