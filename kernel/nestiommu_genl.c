// SPDX-License-Identifier: GPL-2.0
/*
 * nestiommu.ko: generic netlink family "nestiommu" (admin only).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "nestiommu.h"

#define NIO_DMA_MAX_LEN		SZ_32K

static struct genl_family nio_genl_family;

static const struct nla_policy nio_policy[NESTIOMMU_ATTR_MAX + 1] = {
	[NESTIOMMU_ATTR_INSTANCE]	= { .type = NLA_U32 },
	[NESTIOMMU_ATTR_DEVICE]		= { .type = NLA_U32 },
	[NESTIOMMU_ATTR_MSI_START]	= { .type = NLA_U64 },
	[NESTIOMMU_ATTR_MSI_SIZE]	= { .type = NLA_U64 },
	[NESTIOMMU_ATTR_IOVA]		= { .type = NLA_U64 },
	[NESTIOMMU_ATTR_PASID]		= { .type = NLA_U32 },
	[NESTIOMMU_ATTR_LEN]		= { .type = NLA_U32 },
	[NESTIOMMU_ATTR_DATA]		= { .type = NLA_BINARY,
					    .len = NIO_DMA_MAX_LEN },
	[NESTIOMMU_ATTR_WRITE]		= { .type = NLA_FLAG },
	[NESTIOMMU_ATTR_VECTOR]		= NLA_POLICY_MAX(NLA_U32,
						NESTIOMMU_MSI_VECTORS - 1),
	[NESTIOMMU_ATTR_FD]		= { .type = NLA_S32 },
	[NESTIOMMU_ATTR_MSI_ADDR]	= { .type = NLA_U64 },
	[NESTIOMMU_ATTR_BENCH_MODE]	= NLA_POLICY_MAX(NLA_U32,
						NESTIOMMU_BENCH_FILL),
	[NESTIOMMU_ATTR_BENCH_ITERS]	= { .type = NLA_U32 },
	[NESTIOMMU_ATTR_BENCH_ENTRIES]	= { .type = NLA_U32 },
	[NESTIOMMU_ATTR_EVENT]		= NLA_POLICY_EXACT_LEN(EVTQ_ENT_DWORDS *
							       sizeof(u64)),
	[NESTIOMMU_ATTR_INJECT_COUNT]	= { .type = NLA_U32 },
	[NESTIOMMU_ATTR_INJECT_RAW]	= { .type = NLA_FLAG },
	[NESTIOMMU_ATTR_INJECT_OP]	= NLA_POLICY_MAX(NLA_U32,
						NESTIOMMU_INJECT_MAX),
	[NESTIOMMU_ATTR_INJECT_ERRNO]	= NLA_POLICY_RANGE(NLA_U32, 1,
							   MAX_ERRNO),
	[NESTIOMMU_ATTR_INJECT_SKIP]	= { .type = NLA_U32 },
	[NESTIOMMU_ATTR_DELAY_US]	= { .type = NLA_U32 },
	/* Invalidation audit */
	[NESTIOMMU_ATTR_AUDIT_ENABLE]	= NLA_POLICY_MAX(NLA_U8, 1),
	[NESTIOMMU_ATTR_AUDIT_CLEAR]	= { .type = NLA_FLAG },
};

static struct nio_master *nio_genl_master(struct genl_info *info)
{
	struct nio_master *master;

	if (GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_INSTANCE) ||
	    GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_DEVICE))
		return ERR_PTR(-EINVAL);
	master = nio_find_master(nla_get_u32(info->attrs[NESTIOMMU_ATTR_INSTANCE]),
				 nla_get_u32(info->attrs[NESTIOMMU_ATTR_DEVICE]));
	if (!master) {
		NL_SET_ERR_MSG(info->extack, "no such instance or device");
		return ERR_PTR(-ENODEV);
	}
	return master;
}

static struct nio_smmu *nio_genl_smmu(struct genl_info *info)
{
	u32 id;

	if (GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_INSTANCE))
		return ERR_PTR(-EINVAL);
	id = nla_get_u32(info->attrs[NESTIOMMU_ATTR_INSTANCE]);
	if (id >= nio_nr_instances || !nio_smmus[id]) {
		NL_SET_ERR_MSG(info->extack, "no such instance");
		return ERR_PTR(-ENODEV);
	}
	return nio_smmus[id];
}

/* ------------------------------------------------------------------ */
/* Dumps                                                               */

static int nio_fill_instance(struct sk_buff *skb, struct nio_smmu *smmu,
			     u32 portid, u32 seq, int flags)
{
	u32 regs[8];
	struct nlattr *nest;
	void *hdr;
	int i;

	hdr = genlmsg_put(skb, portid, seq, &nio_genl_family, flags,
			  NESTIOMMU_CMD_INSTANCE_GET);
	if (!hdr)
		return -EMSGSIZE;
	memcpy(regs, smmu->idr, sizeof(smmu->idr));
	regs[6] = smmu->iidr;
	regs[7] = smmu->aidr;
	if (nla_put_u32(skb, NESTIOMMU_ATTR_INSTANCE, smmu->id) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_NUM_DEVICES, smmu->nr_masters) ||
	    nla_put(skb, NESTIOMMU_ATTR_IDR, sizeof(regs), regs) ||
	    nla_put_u64_64bit(skb, NESTIOMMU_ATTR_MSI_START, smmu->msi_start,
			      NESTIOMMU_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, NESTIOMMU_ATTR_MSI_SIZE, smmu->msi_size,
			      NESTIOMMU_ATTR_PAD) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_ATTACHED, smmu->nr_attached))
		goto cancel;

	nest = nla_nest_start(skb, NESTIOMMU_ATTR_COUNTERS);
	if (!nest)
		goto cancel;
	smmu->cnt[NESTIOMMU_CNT_TLB_ENTRIES].counter = smmu->tlb_count;
	for (i = 1; i <= NESTIOMMU_CNT_MAX; i++)
		if (nla_put_u64_64bit(skb, i, atomic64_read(&smmu->cnt[i]),
				      NESTIOMMU_CNT_UNSPEC))
			goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * GENL_ADMIN_PERM is CAP_NET_ADMIN.  The commands that read or write the
 * memory of any IOAS (DMA), reveal host physical addresses (the STE's
 * S2TTB in DEVICE_GET, the PA of TLB_GET) or keep an instance busy for a
 * long time (BENCH) need CAP_SYS_ADMIN as well.
 */
static int nio_sys_admin(const struct sk_buff *skb,
			 struct netlink_ext_ack *extack)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG(extack, "needs CAP_SYS_ADMIN");
	return -EPERM;
}

static int nio_sys_admin_start(struct netlink_callback *cb)
{
	return nio_sys_admin(cb->skb, cb->extack);
}

static int nio_instance_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long i;
	int ret = 0;

	mutex_lock(&nio_global_lock);
	for (i = cb->args[0]; i < nio_nr_instances; i++) {
		if (!nio_smmus[i])
			continue;
		ret = nio_fill_instance(skb, nio_smmus[i],
					NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (ret)
			break;
	}
	cb->args[0] = i;
	mutex_unlock(&nio_global_lock);
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ? ret : skb->len;
}

static int nio_fill_device(struct sk_buff *skb, struct nio_master *master,
			   u32 portid, u32 seq, int flags)
{
	__le64 ste[STRTAB_STE_DWORDS];
	u64 evt[EVTQ_ENT_DWORDS];
	enum nestiommu_domain_kind kind;
	bool has_vsid, has_evt;
	u32 vsid, vmid = 0;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &nio_genl_family, flags,
			  NESTIOMMU_CMD_DEVICE_GET);
	if (!hdr)
		return -EMSGSIZE;

	spin_lock(&master->cfg_lock);
	kind = master->kind;
	memcpy(ste, master->ste, sizeof(ste));
	has_vsid = master->vmaster;
	vsid = master->vsid;
	has_evt = master->has_last_evt;
	memcpy(evt, master->last_evt, sizeof(evt));
	if (kind == NESTIOMMU_DOMAIN_NESTED)
		vmid = master->nested->vsmmu->vmid;
	spin_unlock(&master->cfg_lock);

	if (nla_put_u32(skb, NESTIOMMU_ATTR_INSTANCE, master->smmu->id) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_DEVICE, master->index) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_SID, master->sid) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_DOMAIN, kind) ||
	    nla_put(skb, NESTIOMMU_ATTR_STE, sizeof(ste), ste))
		goto cancel;
	if (master->vdev &&
	    nla_put_string(skb, NESTIOMMU_ATTR_CDEV,
			   dev_name(&master->vdev->device)))
		goto cancel;
	if (has_vsid && nla_put_u32(skb, NESTIOMMU_ATTR_VSID, vsid))
		goto cancel;
	if (vmid && nla_put_u32(skb, NESTIOMMU_ATTR_VMID, vmid))
		goto cancel;
	if (has_evt) {
		__le64 levt[EVTQ_ENT_DWORDS];
		int i;

		for (i = 0; i < EVTQ_ENT_DWORDS; i++)
			levt[i] = cpu_to_le64(evt[i]);
		if (nla_put(skb, NESTIOMMU_ATTR_EVENT, sizeof(levt), levt))
			goto cancel;
	}
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int nio_device_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long i, j = cb->args[1];
	int ret = 0;

	mutex_lock(&nio_global_lock);
	for (i = cb->args[0]; i < nio_nr_instances; i++, j = 0) {
		struct nio_smmu *smmu = nio_smmus[i];

		if (!smmu)
			continue;
		for (; j < smmu->nr_masters; j++) {
			if (!smmu->masters[j])
				continue;
			ret = nio_fill_device(skb, smmu->masters[j],
					      NETLINK_CB(cb->skb).portid,
					      cb->nlh->nlmsg_seq, NLM_F_MULTI);
			if (ret)
				goto out;
		}
	}
out:
	cb->args[0] = i;
	cb->args[1] = j;
	mutex_unlock(&nio_global_lock);
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ? ret : skb->len;
}

/* One 4 KiB part @i of entry @e (its host page and both permissions) */
static int nio_fill_tlb(struct sk_buff *skb, struct nio_tlb_entry *e,
			unsigned int i, u32 portid, u32 seq)
{
	u64 sub = READ_ONCE(e->pa[i]);
	u64 off = (u64)i << NIO_S2_SHIFT;
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &nio_genl_family, NLM_F_MULTI,
			  NESTIOMMU_CMD_TLB_GET);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, NESTIOMMU_ATTR_TLB_ENTRY);
	if (!nest ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_VMID, e->vmid) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_ASID, e->asid) ||
	    nla_put_u64_64bit(skb, NESTIOMMU_ATTR_IOVA, e->va + off,
			      NESTIOMMU_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, NESTIOMMU_ATTR_IPA, e->ipa + off,
			      NESTIOMMU_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, NESTIOMMU_ATTR_PA, sub & NIO_PTE_ADDR_MASK,
			      NESTIOMMU_ATTR_PAD) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_PERM,
			e->perm | (FIELD_GET(NIO_TLB_SUB_PERM, sub) << 2))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * One message per cached 4 KiB part of an entry (a 16 or 64 KiB page has
 * up to 4 or 16).  args[0]: bucket, args[1]: parts already sent from it.
 */
static int nio_tlb_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	struct nio_tlb_entry *e;
	struct nio_smmu *smmu;
	unsigned long b, n;
	int ret = 0;
	u32 id;

	if (!info->attrs[NESTIOMMU_ATTR_INSTANCE])
		return -EINVAL;
	id = nla_get_u32(info->attrs[NESTIOMMU_ATTR_INSTANCE]);

	mutex_lock(&nio_global_lock);
	if (id >= nio_nr_instances || !nio_smmus[id]) {
		mutex_unlock(&nio_global_lock);
		return -ENODEV;
	}
	smmu = nio_smmus[id];
	spin_lock(&smmu->tlb_lock);
	for (b = cb->args[0]; b < (1UL << NIO_TLB_HASH_BITS); b++) {
		n = 0;
		hlist_for_each_entry(e, &smmu->tlb_hash[b], hnode) {
			unsigned int i, nsub = 1U << (e->gshift - NIO_S2_SHIFT);

			for (i = 0; i < nsub; i++) {
				if (!(READ_ONCE(e->pa[i]) & NIO_TLB_SUB_VALID))
					continue;
				if (n++ < cb->args[1])
					continue;
				ret = nio_fill_tlb(skb, e, i,
						   NETLINK_CB(cb->skb).portid,
						   cb->nlh->nlmsg_seq);
				if (ret) {
					cb->args[1] = n - 1;
					goto out;
				}
			}
		}
		cb->args[1] = 0;
	}
out:
	cb->args[0] = b;
	spin_unlock(&smmu->tlb_lock);
	mutex_unlock(&nio_global_lock);
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ? ret : skb->len;
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */

static int nio_msi_window_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nio_smmu *smmu;
	u64 start, size;
	int ret = 0;

	if (GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_MSI_START) ||
	    GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_MSI_SIZE))
		return -EINVAL;
	start = nla_get_u64(info->attrs[NESTIOMMU_ATTR_MSI_START]);
	size = nla_get_u64(info->attrs[NESTIOMMU_ATTR_MSI_SIZE]);
	if (!size || !IS_ALIGNED(start, PAGE_SIZE) ||
	    !IS_ALIGNED(size, PAGE_SIZE) || start + size < start ||
	    start + size > BIT_ULL(NIO_IAS)) {
		NL_SET_ERR_MSG(info->extack,
			       "window must be page aligned, non-empty, below 2^48");
		return -EINVAL;
	}

	mutex_lock(&nio_global_lock);
	smmu = nio_genl_smmu(info);
	if (IS_ERR(smmu)) {
		ret = PTR_ERR(smmu);
		goto out;
	}
	mutex_lock(&smmu->lock);
	if (smmu->nr_attached) {
		NL_SET_ERR_MSG(info->extack, "endpoints are attached");
		ret = -EBUSY;
	} else {
		smmu->msi_start = start;
		smmu->msi_size = size;
	}
	mutex_unlock(&smmu->lock);
out:
	mutex_unlock(&nio_global_lock);
	return ret;
}

static int nio_msi_set(struct sk_buff *skb, struct genl_info *info)
{
	struct eventfd_ctx *trigger = NULL, *old;
	struct nio_master *master;
	struct nio_msi_vec *vec;
	int ret = 0, fd = -1;

	if (GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_VECTOR))
		return -EINVAL;
	if (info->attrs[NESTIOMMU_ATTR_FD])
		fd = nla_get_s32(info->attrs[NESTIOMMU_ATTR_FD]);
	if (fd >= 0) {
		trigger = eventfd_ctx_fdget(fd);
		if (IS_ERR(trigger))
			return PTR_ERR(trigger);
	}

	mutex_lock(&nio_global_lock);
	master = nio_genl_master(info);
	if (IS_ERR(master)) {
		ret = PTR_ERR(master);
		if (trigger)
			eventfd_ctx_put(trigger);
		goto out;
	}
	vec = &master->msi[nla_get_u32(info->attrs[NESTIOMMU_ATTR_VECTOR])];
	if (info->attrs[NESTIOMMU_ATTR_MSI_ADDR])
		WRITE_ONCE(vec->addr,
			   nla_get_u64(info->attrs[NESTIOMMU_ATTR_MSI_ADDR]));
	if (info->attrs[NESTIOMMU_ATTR_FD]) {
		old = xchg(&vec->trigger, trigger);
		synchronize_irq(vec->virq);
		if (old)
			eventfd_ctx_put(old);
	}
out:
	mutex_unlock(&nio_global_lock);
	return ret;
}

static int nio_dma_doit(struct sk_buff *skb, struct genl_info *info)
{
	bool write = nla_get_flag(info->attrs[NESTIOMMU_ATTR_WRITE]);
	u32 pasid = NESTIOMMU_NO_PASID;
	u64 evt[EVTQ_ENT_DWORDS];
	struct nio_master *master;
	struct sk_buff *msg = NULL;
	void *buf, *hdr;
	bool has_evt;
	u32 delay = 0;
	size_t len;
	u64 iova;
	int ret;

	ret = nio_sys_admin(skb, info->extack);
	if (ret)
		return ret;
	if (GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_IOVA))
		return -EINVAL;
	iova = nla_get_u64(info->attrs[NESTIOMMU_ATTR_IOVA]);
	if (info->attrs[NESTIOMMU_ATTR_PASID])
		pasid = nla_get_u32(info->attrs[NESTIOMMU_ATTR_PASID]);
	if (write) {
		if (GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_DATA))
			return -EINVAL;
		len = nla_len(info->attrs[NESTIOMMU_ATTR_DATA]);
		if (!len)
			return -EINVAL;
	} else {
		if (GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_LEN))
			return -EINVAL;
		len = nla_get_u32(info->attrs[NESTIOMMU_ATTR_LEN]);
		if (!len || len > NIO_DMA_MAX_LEN) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[NESTIOMMU_ATTR_LEN],
					    "length must be 1..32768");
			return -EINVAL;
		}
	}
	if (iova + len < iova)
		return -EINVAL;

	buf = kvzalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (write) {
		nla_memcpy(buf, info->attrs[NESTIOMMU_ATTR_DATA], len);
	} else {
		msg = genlmsg_new(nla_total_size(len) + 64, GFP_KERNEL);
		if (!msg) {
			kvfree(buf);
			return -ENOMEM;
		}
	}

	mutex_lock(&nio_global_lock);
	master = nio_genl_master(info);
	if (IS_ERR(master)) {
		ret = PTR_ERR(master);
		goto out_unlock;
	}
	ret = nio_dma(master, pasid, iova, buf, len, write, evt, &has_evt);
	delay = READ_ONCE(master->dma_delay_us);
	spin_lock(&master->cfg_lock);
	if (has_evt)
		memcpy(master->last_evt, evt, sizeof(evt));
	master->has_last_evt = has_evt;
	spin_unlock(&master->cfg_lock);
	if (ret == -EFAULT && has_evt)
		NL_SET_ERR_MSG_FMT(info->extack,
				   "fault: event 0x%02llx%s",
				   FIELD_GET(EVTQ_0_ID, evt[0]),
				   (evt[1] & EVTQ_1_S2) ? " (stage 2)" : "");
	else if (ret == -EPERM)
		NL_SET_ERR_MSG(info->extack,
			       "aborted by the configuration (blocked or abort STE)");
out_unlock:
	mutex_unlock(&nio_global_lock);
	/* Fault injection: a slow completion, holding no lock */
	if (delay)
		fsleep(delay);

	if (!ret && !write) {
		hdr = genlmsg_put_reply(msg, info, &nio_genl_family, 0,
					NESTIOMMU_CMD_DMA);
		if (!hdr || nla_put(msg, NESTIOMMU_ATTR_DATA, len, buf)) {
			ret = -EMSGSIZE;
		} else {
			genlmsg_end(msg, hdr);
			ret = genlmsg_reply(msg, info);
			msg = NULL;
		}
	}
	nlmsg_free(msg);
	kvfree(buf);
	return ret;
}

static int nio_msi_trigger_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nio_master *master;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_VECTOR))
		return -EINVAL;
	mutex_lock(&nio_global_lock);
	master = nio_genl_master(info);
	if (IS_ERR(master))
		ret = PTR_ERR(master);
	else
		ret = nio_msi_trigger(master,
				      nla_get_u32(info->attrs[NESTIOMMU_ATTR_VECTOR]));
	mutex_unlock(&nio_global_lock);
	return ret;
}

/*
 * May wait for a PCIe function's VFIO user to let go (the family has
 * parallel_ops, so that wait holds no lock of the genetlink core).
 */
static int nio_remove_doit(struct sk_buff *skb, struct genl_info *info)
{
	int instance = -1;
	int ret;

	if (info->attrs[NESTIOMMU_ATTR_INSTANCE])
		instance = min(nla_get_u32(info->attrs[NESTIOMMU_ATTR_INSTANCE]),
			       (u32)INT_MAX);
	ret = nio_remove_endpoints(instance);
	if (ret == -EBUSY)
		NL_SET_ERR_MSG(info->extack, "a VFIO device is open or in use");
	else if (ret == -ENODEV)
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[NESTIOMMU_ATTR_INSTANCE],
				    "no such instance");
	return ret;
}

static int nio_bench_doit(struct sk_buff *skb, struct genl_info *info)
{
	u32 pasid = NESTIOMMU_NO_PASID, entries = 0, mode, iters;
	struct nio_master *master;
	struct sk_buff *msg;
	u64 iova = 0, ns = 0;
	void *hdr;
	int ret;

	ret = nio_sys_admin(skb, info->extack);
	if (ret)
		return ret;
	if (GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_BENCH_MODE) ||
	    GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_BENCH_ITERS))
		return -EINVAL;
	mode = nla_get_u32(info->attrs[NESTIOMMU_ATTR_BENCH_MODE]);
	iters = nla_get_u32(info->attrs[NESTIOMMU_ATTR_BENCH_ITERS]);
	if (info->attrs[NESTIOMMU_ATTR_BENCH_ENTRIES])
		entries = nla_get_u32(info->attrs[NESTIOMMU_ATTR_BENCH_ENTRIES]);
	if (info->attrs[NESTIOMMU_ATTR_PASID])
		pasid = nla_get_u32(info->attrs[NESTIOMMU_ATTR_PASID]);
	if (info->attrs[NESTIOMMU_ATTR_IOVA])
		iova = nla_get_u64(info->attrs[NESTIOMMU_ATTR_IOVA]);

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&nio_global_lock);
	master = nio_genl_master(info);
	ret = IS_ERR(master) ? PTR_ERR(master) :
	      nio_bench(master, mode, pasid, iova, iters, entries, &ns);
	mutex_unlock(&nio_global_lock);
	if (ret)
		goto err;

	hdr = genlmsg_put_reply(msg, info, &nio_genl_family, 0,
				NESTIOMMU_CMD_BENCH);
	if (!hdr || nla_put_u64_64bit(msg, NESTIOMMU_ATTR_BENCH_NS, ns,
				      NESTIOMMU_ATTR_PAD)) {
		ret = -EMSGSIZE;
		goto err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return ret;
}

static int nio_counters_reset_doit(struct sk_buff *skb, struct genl_info *info)
{
	unsigned int i, c;

	mutex_lock(&nio_global_lock);
	for (i = 0; i < nio_nr_instances; i++) {
		if (!nio_smmus[i])
			continue;
		if (info->attrs[NESTIOMMU_ATTR_INSTANCE] &&
		    nla_get_u32(info->attrs[NESTIOMMU_ATTR_INSTANCE]) != i)
			continue;
		for (c = 0; c <= NESTIOMMU_CNT_MAX; c++)
			atomic64_set(&nio_smmus[i]->cnt[c], 0);
	}
	mutex_unlock(&nio_global_lock);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Fault injection                                                     */

static int nio_inject_event_doit(struct sk_buff *skb, struct genl_info *info)
{
	u64 evt[EVTQ_ENT_DWORDS];
	struct nio_master *master;
	__le64 levt[EVTQ_ENT_DWORDS];
	u32 count = 1;
	int i, ret;

	ret = nio_sys_admin(skb, info->extack);
	if (ret)
		return ret;
	if (GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_EVENT))
		return -EINVAL;
	if (info->attrs[NESTIOMMU_ATTR_INJECT_COUNT])
		count = nla_get_u32(info->attrs[NESTIOMMU_ATTR_INJECT_COUNT]);
	if (!count || count > NESTIOMMU_INJECT_MAX_EVENTS) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[NESTIOMMU_ATTR_INJECT_COUNT],
				    "count must be 1..524289 (2^19 + 1)");
		return -EINVAL;
	}
	nla_memcpy(levt, info->attrs[NESTIOMMU_ATTR_EVENT], sizeof(levt));
	for (i = 0; i < EVTQ_ENT_DWORDS; i++)
		evt[i] = le64_to_cpu(levt[i]);

	mutex_lock(&nio_global_lock);
	master = nio_genl_master(info);
	if (IS_ERR(master))
		ret = PTR_ERR(master);
	else
		ret = nio_inject_event(master, evt, count,
				       nla_get_flag(info->attrs[NESTIOMMU_ATTR_INJECT_RAW]),
				       info->extack);
	mutex_unlock(&nio_global_lock);
	return ret;
}

static int nio_inject_fail_doit(struct sk_buff *skb, struct genl_info *info)
{
	u32 op, count, skip = 0, err = EIO;
	struct nio_master *master;
	struct nio_viommu *vsmmu;
	int ret;

	ret = nio_sys_admin(skb, info->extack);
	if (ret)
		return ret;
	if (GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_INJECT_OP) ||
	    GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_INJECT_COUNT))
		return -EINVAL;
	op = nla_get_u32(info->attrs[NESTIOMMU_ATTR_INJECT_OP]);
	count = nla_get_u32(info->attrs[NESTIOMMU_ATTR_INJECT_COUNT]);
	if (info->attrs[NESTIOMMU_ATTR_INJECT_SKIP])
		skip = nla_get_u32(info->attrs[NESTIOMMU_ATTR_INJECT_SKIP]);
	if (info->attrs[NESTIOMMU_ATTR_INJECT_ERRNO])
		err = nla_get_u32(info->attrs[NESTIOMMU_ATTR_INJECT_ERRNO]);

	mutex_lock(&nio_global_lock);
	master = nio_genl_master(info);
	if (IS_ERR(master)) {
		ret = PTR_ERR(master);
		goto out;
	}
	mutex_lock(&master->dma_lock);
	vsmmu = master->vdev_viommu;
	if (vsmmu) {
		spin_lock(&vsmmu->inject_lock);
		vsmmu->fail[op].skip = count ? skip : 0;
		vsmmu->fail[op].err = -(int)err;
		/* count last: nio_inject_take() looks at it unlocked */
		WRITE_ONCE(vsmmu->fail[op].count, count);
		spin_unlock(&vsmmu->inject_lock);
	} else {
		NL_SET_ERR_MSG(info->extack, "the endpoint has no vDEVICE");
		ret = -ENOENT;
	}
	mutex_unlock(&master->dma_lock);
out:
	mutex_unlock(&nio_global_lock);
	return ret;
}

static int nio_inject_delay_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nio_master *master;
	int ret;

	ret = nio_sys_admin(skb, info->extack);
	if (ret)
		return ret;
	if (GENL_REQ_ATTR_CHECK(info, NESTIOMMU_ATTR_DELAY_US))
		return -EINVAL;
	if (nla_get_u32(info->attrs[NESTIOMMU_ATTR_DELAY_US]) >
	    NESTIOMMU_MAX_DELAY_US) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[NESTIOMMU_ATTR_DELAY_US],
				    "delay must be at most 10000000 us (10 s)");
		return -EINVAL;
	}
	mutex_lock(&nio_global_lock);
	master = nio_genl_master(info);
	if (IS_ERR(master))
		ret = PTR_ERR(master);
	else
		WRITE_ONCE(master->dma_delay_us,
			   nla_get_u32(info->attrs[NESTIOMMU_ATTR_DELAY_US]));
	mutex_unlock(&nio_global_lock);
	return ret;
}

static int nio_fill_inject(struct sk_buff *msg, struct nio_master *master)
{
	struct nio_inject_fail fail[__NESTIOMMU_INJECT_MAX];
	struct nio_viommu *vsmmu;
	struct nlattr *nest;
	u32 vsid = 0;
	int op;

	mutex_lock(&master->dma_lock);
	vsmmu = master->vdev_viommu;
	if (vsmmu) {
		vsid = master->vdev_vsid;
		spin_lock(&vsmmu->inject_lock);
		memcpy(fail, vsmmu->fail, sizeof(fail));
		spin_unlock(&vsmmu->inject_lock);
	}
	mutex_unlock(&master->dma_lock);

	if (nla_put_u32(msg, NESTIOMMU_ATTR_INSTANCE, master->smmu->id) ||
	    nla_put_u32(msg, NESTIOMMU_ATTR_DEVICE, master->index) ||
	    nla_put_u32(msg, NESTIOMMU_ATTR_DELAY_US,
			READ_ONCE(master->dma_delay_us)))
		return -EMSGSIZE;
	if (!vsmmu)
		return 0;
	if (nla_put_u32(msg, NESTIOMMU_ATTR_VSID, vsid))
		return -EMSGSIZE;
	for (op = 0; op <= NESTIOMMU_INJECT_MAX; op++) {
		nest = nla_nest_start(msg, NESTIOMMU_ATTR_INJECT);
		if (!nest ||
		    nla_put_u32(msg, NESTIOMMU_ATTR_INJECT_OP, op) ||
		    nla_put_u32(msg, NESTIOMMU_ATTR_INJECT_COUNT,
				fail[op].count) ||
		    nla_put_u32(msg, NESTIOMMU_ATTR_INJECT_SKIP,
				fail[op].skip) ||
		    nla_put_u32(msg, NESTIOMMU_ATTR_INJECT_ERRNO,
				fail[op].count ? -fail[op].err : 0))
			return -EMSGSIZE;
		nla_nest_end(msg, nest);
	}
	return 0;
}

static int nio_inject_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nio_master *master;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &nio_genl_family, 0,
				NESTIOMMU_CMD_INJECT_GET);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	mutex_lock(&nio_global_lock);
	master = nio_genl_master(info);
	ret = IS_ERR(master) ? PTR_ERR(master) : nio_fill_inject(msg, master);
	mutex_unlock(&nio_global_lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* Invalidation audit                                                  */

enum nio_genl_mcgrp { NIO_MCGRP_AUDIT };

static const struct genl_multicast_group nio_genl_mcgrps[] = {
	/* Records carry host physical addresses, as TLB_GET does */
	[NIO_MCGRP_AUDIT] = { .name = NESTIOMMU_AUDIT_MCGRP,
			      .flags = GENL_MCAST_CAP_SYS_ADMIN },
};

#ifdef NIO_AUDIT
static int nio_put_audit_rec(struct sk_buff *skb, u32 instance,
			     const struct nio_audit_rec *r)
{
	struct nlattr *nest = nla_nest_start(skb, NESTIOMMU_ATTR_AUDIT_REC);

	if (!nest ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_INSTANCE, instance) ||
	    nla_put_u64_64bit(skb, NESTIOMMU_ATTR_AUDIT_SEQ, r->seq,
			      NESTIOMMU_ATTR_PAD) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_AUDIT_CACHE, r->cache) ||
	    nla_put_u64_64bit(skb, NESTIOMMU_ATTR_AUDIT_TIME, r->time,
			      NESTIOMMU_ATTR_PAD) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_SID, r->sid) ||
	    (r->has_vsid && nla_put_u32(skb, NESTIOMMU_ATTR_VSID, r->vsid)) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_PASID, r->ssid) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_VMID, r->vmid) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_ASID, r->asid) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_AUDIT_FRESH_ASID, r->fresh_asid) ||
	    nla_put_u64_64bit(skb, NESTIOMMU_ATTR_IOVA, r->va,
			      NESTIOMMU_ATTR_PAD) ||
	    (r->write && nla_put_flag(skb, NESTIOMMU_ATTR_WRITE)) ||
	    nla_put_u64_64bit(skb, NESTIOMMU_ATTR_IPA, r->ipa,
			      NESTIOMMU_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, NESTIOMMU_ATTR_PA, r->pa,
			      NESTIOMMU_ATTR_PAD) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_PERM, r->perm))
		return -EMSGSIZE;
	if (r->fault) {
		if (nla_put_u32(skb, NESTIOMMU_ATTR_AUDIT_FAULT, r->fault))
			return -EMSGSIZE;
	} else if (nla_put_u64_64bit(skb, NESTIOMMU_ATTR_AUDIT_FRESH_IPA,
				     r->fresh_ipa, NESTIOMMU_ATTR_PAD) ||
		   nla_put_u64_64bit(skb, NESTIOMMU_ATTR_AUDIT_FRESH_PA,
				     r->fresh_pa, NESTIOMMU_ATTR_PAD) ||
		   nla_put_u32(skb, NESTIOMMU_ATTR_AUDIT_FRESH_PERM,
			       r->fresh_perm)) {
		return -EMSGSIZE;
	}
	if (r->inv_op &&
	    (nla_put_u32(skb, NESTIOMMU_ATTR_AUDIT_INV_OP, r->inv_op) ||
	     nla_put_u64_64bit(skb, NESTIOMMU_ATTR_AUDIT_INV_TIME, r->inv_time,
			       NESTIOMMU_ATTR_PAD)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* A stale use to the "audit" group (nobody listening is not an error) */
void nio_genl_audit_notify(struct nio_smmu *smmu,
			   const struct nio_audit_rec *rec)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&nio_genl_family, &init_net, NIO_MCGRP_AUDIT))
		return;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &nio_genl_family, 0,
			  NESTIOMMU_CMD_AUDIT_EVENT);
	if (!hdr || nio_put_audit_rec(msg, smmu->id, rec)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&nio_genl_family, msg, 0, NIO_MCGRP_AUDIT,
			  GFP_KERNEL);
}

/* AUDIT_SET: [INSTANCE] (else every instance), [AUDIT_ENABLE], [CLEAR] */
static int nio_audit_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	bool clear = nla_get_flag(info->attrs[NESTIOMMU_ATTR_AUDIT_CLEAR]);
	struct nlattr *en = info->attrs[NESTIOMMU_ATTR_AUDIT_ENABLE];
	struct nio_smmu *smmu;
	unsigned int i;
	int ret;

	ret = nio_sys_admin(skb, info->extack);
	if (ret)
		return ret;
	if (!en && !clear) {
		NL_SET_ERR_MSG(info->extack,
			       "needs AUDIT_ENABLE or AUDIT_CLEAR");
		return -EINVAL;
	}
	mutex_lock(&nio_global_lock);
	if (info->attrs[NESTIOMMU_ATTR_INSTANCE]) {
		smmu = nio_genl_smmu(info);
		if (IS_ERR(smmu)) {
			ret = PTR_ERR(smmu);
		} else {
			nio_audit_set(smmu, en ? nla_get_u8(en) :
				      nio_audit_on(smmu), clear);
		}
	} else {
		for (i = 0; i < nio_nr_instances; i++) {
			smmu = nio_smmus[i];
			if (smmu)
				nio_audit_set(smmu, en ? nla_get_u8(en) :
					      nio_audit_on(smmu), clear);
		}
	}
	mutex_unlock(&nio_global_lock);
	return ret;
}

static int nio_fill_audit_state(struct sk_buff *skb, struct nio_smmu *smmu,
				u32 portid, u32 seq)
{
	u64 cnt[__NESTIOMMU_AUDIT_CNT_MAX];
	struct nlattr *nest;
	bool enabled;
	u64 made;
	void *hdr;
	int i;

	hdr = genlmsg_put(skb, portid, seq, &nio_genl_family, NLM_F_MULTI,
			  NESTIOMMU_CMD_AUDIT_GET);
	if (!hdr)
		return -EMSGSIZE;
	nio_audit_state(smmu, &enabled, &made, cnt);
	if (nla_put_u32(skb, NESTIOMMU_ATTR_INSTANCE, smmu->id) ||
	    nla_put_u8(skb, NESTIOMMU_ATTR_AUDIT_BUILT, 1) ||
	    nla_put_u8(skb, NESTIOMMU_ATTR_AUDIT_ENABLE, enabled) ||
	    nla_put_u32(skb, NESTIOMMU_ATTR_AUDIT_RING_SIZE,
			NESTIOMMU_AUDIT_RING) ||
	    nla_put_u64_64bit(skb, NESTIOMMU_ATTR_AUDIT_SEQ, made,
			      NESTIOMMU_ATTR_PAD))
		goto cancel;
	nest = nla_nest_start(skb, NESTIOMMU_ATTR_AUDIT_COUNTERS);
	if (!nest)
		goto cancel;
	for (i = 1; i <= NESTIOMMU_AUDIT_CNT_MAX; i++)
		if (nla_put_u64_64bit(skb, i, cnt[i],
				      NESTIOMMU_AUDIT_CNT_UNSPEC))
			goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* CAP_SYS_ADMIN, and an unknown INSTANCE is an error of its own */
static int nio_audit_dump_start(struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	struct nlattr *only = info->attrs[NESTIOMMU_ATTR_INSTANCE];
	int ret;

	ret = nio_sys_admin(cb->skb, cb->extack);
	if (ret || !only)
		return ret;
	mutex_lock(&nio_global_lock);
	if (nla_get_u32(only) >= nio_nr_instances ||
	    !nio_smmus[nla_get_u32(only)]) {
		NL_SET_ERR_MSG(cb->extack, "no such instance");
		ret = -ENODEV;
	}
	mutex_unlock(&nio_global_lock);
	return ret;
}

/*
 * Per instance: one state message, then one message per record in the
 * ring, oldest first.  args[0]: instance, args[1]: 0 state, 1 records,
 * args[2]: sequence number of the next record.
 */
static int nio_audit_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	struct nlattr *only = info->attrs[NESTIOMMU_ATTR_INSTANCE];
	u32 portid = NETLINK_CB(cb->skb).portid;
	struct nio_audit_rec rec;
	unsigned long i;
	int ret = 0;

	mutex_lock(&nio_global_lock);
	for (i = cb->args[0]; i < nio_nr_instances; i++) {
		struct nio_smmu *smmu = nio_smmus[i];
		u64 next;

		if (!smmu || (only && nla_get_u32(only) != i))
			continue;
		if (!cb->args[1]) {
			ret = nio_fill_audit_state(skb, smmu, portid,
						   cb->nlh->nlmsg_seq);
			if (ret)
				break;
			cb->args[1] = 1;
			cb->args[2] = 0;
		}
		next = cb->args[2];
		while (nio_audit_get_rec(smmu, &next, &rec)) {
			void *hdr = genlmsg_put(skb, portid,
						cb->nlh->nlmsg_seq,
						&nio_genl_family, NLM_F_MULTI,
						NESTIOMMU_CMD_AUDIT_GET);

			if (!hdr || nio_put_audit_rec(skb, smmu->id, &rec)) {
				if (hdr)
					genlmsg_cancel(skb, hdr);
				ret = -EMSGSIZE;
				break;
			}
			genlmsg_end(skb, hdr);
			next++;
		}
		cb->args[2] = next;
		if (ret)
			break;
		cb->args[1] = 0;
	}
	cb->args[0] = i;
	mutex_unlock(&nio_global_lock);
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ? ret : skb->len;
}
#else
static int nio_audit_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	NL_SET_ERR_MSG(info->extack,
		       "nestiommu.ko was built without the audit (NIO_AUDIT=0)");
	return -EOPNOTSUPP;
}

static int nio_audit_dump_start(struct netlink_callback *cb)
{
	NL_SET_ERR_MSG(cb->extack,
		       "nestiommu.ko was built without the audit (NIO_AUDIT=0)");
	return -EOPNOTSUPP;
}

static int nio_audit_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return -EOPNOTSUPP;
}
#endif

static const struct genl_ops nio_genl_ops[] = {
	{
		.cmd	= NESTIOMMU_CMD_INSTANCE_GET,
		.dumpit	= nio_instance_dump,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= NESTIOMMU_CMD_DEVICE_GET,
		.start	= nio_sys_admin_start,
		.dumpit	= nio_device_dump,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= NESTIOMMU_CMD_TLB_GET,
		.start	= nio_sys_admin_start,
		.dumpit	= nio_tlb_dump,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= NESTIOMMU_CMD_MSI_WINDOW_SET,
		.doit	= nio_msi_window_set,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= NESTIOMMU_CMD_MSI_SET,
		.doit	= nio_msi_set,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= NESTIOMMU_CMD_DMA,
		.doit	= nio_dma_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= NESTIOMMU_CMD_MSI_TRIGGER,
		.doit	= nio_msi_trigger_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= NESTIOMMU_CMD_REMOVE_DEVICES,
		.doit	= nio_remove_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= NESTIOMMU_CMD_BENCH,
		.doit	= nio_bench_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= NESTIOMMU_CMD_COUNTERS_RESET,
		.doit	= nio_counters_reset_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	/* Fault injection */
	{
		.cmd	= NESTIOMMU_CMD_INJECT_EVENT,
		.doit	= nio_inject_event_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= NESTIOMMU_CMD_INJECT_FAIL,
		.doit	= nio_inject_fail_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= NESTIOMMU_CMD_INJECT_DMA_DELAY,
		.doit	= nio_inject_delay_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= NESTIOMMU_CMD_INJECT_GET,
		.doit	= nio_inject_get_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	/* Invalidation audit */
	{
		.cmd	= NESTIOMMU_CMD_AUDIT_SET,
		.doit	= nio_audit_set_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= NESTIOMMU_CMD_AUDIT_GET,
		.start	= nio_audit_dump_start,
		.dumpit	= nio_audit_dump,
		.flags	= GENL_ADMIN_PERM,
	},
};

static struct genl_family nio_genl_family __ro_after_init = {
	.name		= NESTIOMMU_GENL_NAME,
	.version	= NESTIOMMU_GENL_VERSION,
	.maxattr	= NESTIOMMU_ATTR_MAX,
	.policy		= nio_policy,
	.module		= THIS_MODULE,
	/* every operation takes nio_global_lock itself */
	.parallel_ops	= true,
	.ops		= nio_genl_ops,
	.n_ops		= ARRAY_SIZE(nio_genl_ops),
	.mcgrps		= nio_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(nio_genl_mcgrps),
};

int nio_genl_init(void)
{
	return genl_register_family(&nio_genl_family);
}

void nio_genl_exit(void)
{
	genl_unregister_family(&nio_genl_family);
}
