// SPDX-License-Identifier: GPL-2.0
/*
 * nestiommu.ko: the ARM SMMUv3 vIOMMU (IOMMU_VIOMMU_TYPE_ARM_SMMUV3).
 *
 * Mirrors drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.c of Linux 7.3
 * errno for errno: vSTE validation, nested attach, vDEVICE, the per-opcode
 * validation of invalidation commands and the event forwarding.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/slab.h>

#include "nestiommu.h"

/* As arm_smmu_get_viommu_size(): 0 means "type not supported" */
size_t nio_get_viommu_size(struct device *dev, enum iommu_viommu_type type)
{
	struct nio_master *master = dev_iommu_priv_get(dev);

	if (!(master->smmu->features & NIO_FEAT_NESTING))
		return 0;
	/* The endpoints are coherent (CANWBS), so no S2FWB is needed */
	if (type == IOMMU_VIOMMU_TYPE_ARM_SMMUV3)
		return VIOMMU_STRUCT_SIZE(struct nio_viommu, core);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Nested domain                                                       */

static int nio_attach_nested(struct iommu_domain *domain, struct device *dev,
			     struct iommu_domain *old)
{
	struct nio_nested *nested = to_nio_nested(domain);
	struct nio_master *master = dev_iommu_priv_get(dev);
	unsigned int cfg = FIELD_GET(STRTAB_STE_0_CFG,
				     le64_to_cpu(nested->ste[0]));
	struct nio_viommu *vmaster = NULL;
	unsigned long vsid = 0;
	int ret;

	if (nested->vsmmu->smmu != master->smmu)
		return -EINVAL;
	/* No host PASID attachments exist, so no SSID is ever in use */

	/* As arm_smmu_attach_prepare_vmaster() */
	ret = iommufd_viommu_get_vdev_id(&nested->vsmmu->core, dev, &vsid);
	if (ret) {
		if (cfg != STRTAB_STE_0_CFG_ABORT &&
		    cfg != STRTAB_STE_0_CFG_BYPASS)
			return ret;
	} else {
		vmaster = nested->vsmmu;
	}
	return nio_attach_nested_commit(master, nested, vmaster, vsid);
}

static void nio_nested_free(struct iommu_domain *domain)
{
	kfree(to_nio_nested(domain));
	module_put(THIS_MODULE);
}

static const struct iommu_domain_ops nio_nested_ops = {
	.attach_dev	= nio_attach_nested,
	.free		= nio_nested_free,
};

/* As arm_smmu_validate_vste() */
static int nio_validate_vste(struct iommu_hwpt_arm_smmuv3 *arg,
			     bool *enable_ats)
{
	unsigned int eats;
	unsigned int cfg;

	if (!(arg->ste[0] & cpu_to_le64(STRTAB_STE_0_V))) {
		memset(arg->ste, 0, sizeof(arg->ste));
		return 0;
	}

	/* EIO is reserved for invalid STE data. */
	if ((arg->ste[0] & ~cpu_to_le64(STRTAB_STE_0_NESTING_ALLOWED)) ||
	    (arg->ste[1] & ~cpu_to_le64(STRTAB_STE_1_NESTING_ALLOWED)))
		return -EIO;

	cfg = FIELD_GET(STRTAB_STE_0_CFG, le64_to_cpu(arg->ste[0]));
	if (cfg != STRTAB_STE_0_CFG_ABORT && cfg != STRTAB_STE_0_CFG_BYPASS &&
	    cfg != STRTAB_STE_0_CFG_S1_TRANS)
		return -EIO;

	eats = FIELD_GET(STRTAB_STE_1_EATS, le64_to_cpu(arg->ste[1]));
	arg->ste[1] &= ~cpu_to_le64(STRTAB_STE_1_EATS);
	if (eats != STRTAB_STE_1_EATS_ABT && eats != STRTAB_STE_1_EATS_TRANS)
		return -EIO;

	if (cfg == STRTAB_STE_0_CFG_S1_TRANS)
		*enable_ats = (eats == STRTAB_STE_1_EATS_TRANS);
	return 0;
}

/* As arm_vsmmu_alloc_domain_nested() */
static struct iommu_domain *
nio_alloc_domain_nested(struct iommufd_viommu *viommu, u32 flags,
			const struct iommu_user_data *user_data)
{
	struct nio_viommu *vsmmu = to_nio_viommu(viommu);
	struct iommu_hwpt_arm_smmuv3 arg;
	struct nio_nested *nested;
	bool enable_ats = false;
	int ret;

	if (flags)
		return ERR_PTR(-EOPNOTSUPP);
	ret = nio_inject_take(vsmmu, NESTIOMMU_INJECT_NESTED_ALLOC);
	if (ret)
		return ERR_PTR(ret);

	ret = iommu_copy_struct_from_user(&arg, user_data,
					  IOMMU_HWPT_DATA_ARM_SMMUV3, ste);
	if (ret)
		return ERR_PTR(ret);

	ret = nio_validate_vste(&arg, &enable_ats);
	if (ret)
		return ERR_PTR(ret);

	nested = kzalloc_obj(*nested, GFP_KERNEL_ACCOUNT);
	if (!nested)
		return ERR_PTR(-ENOMEM);
	nested->domain.type = IOMMU_DOMAIN_NESTED;
	nested->domain.ops = &nio_nested_ops;
	nested->enable_ats = enable_ats;
	nested->vsmmu = vsmmu;
	nested->ste[0] = arg.ste[0];
	nested->ste[1] = arg.ste[1] & ~cpu_to_le64(STRTAB_STE_1_EATS);
	__module_get(THIS_MODULE);
	return &nested->domain;
}

/* ------------------------------------------------------------------ */
/* vDEVICE                                                             */

/* Called by iommufd under the device's igroup lock, as attach is */
static void nio_vdevice_destroy(struct iommufd_vdevice *vdev)
{
	struct device *dev = iommufd_vdevice_to_device(vdev);
	struct nio_master *master = dev_iommu_priv_get(dev);

	mutex_lock(&master->dma_lock);
	master->vdev_viommu = NULL;
	master->vdev_vsid = 0;
	mutex_unlock(&master->dma_lock);
}

static int nio_vdevice_init(struct iommufd_vdevice *vdev)
{
	struct device *dev = iommufd_vdevice_to_device(vdev);
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	struct nio_master *master = dev_iommu_priv_get(dev);

	/* As arm_vsmmu_vdevice_init(): one StreamID only */
	if (!fwspec || fwspec->num_ids != 1)
		return -EOPNOTSUPP;
	/* Remembered for fault injection (NESTIOMMU_CMD_INJECT_*) */
	mutex_lock(&master->dma_lock);
	master->vdev_viommu = to_nio_viommu(vdev->viommu);
	master->vdev_vsid = vdev->virt_id;
	mutex_unlock(&master->dma_lock);
	vdev->destroy = nio_vdevice_destroy;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Cache invalidation                                                  */

/* As arm_vsmmu_validate_range() */
static int nio_validate_range(struct nio_smmu *smmu, u64 data[2])
{
	bool range = !!(data[0] & (CMDQ_TLBI_0_NUM | CMDQ_TLBI_0_SCALE));
	u8 ttl = FIELD_GET(CMDQ_TLBI_1_TTL, data[1]);
	u8 tg = FIELD_GET(CMDQ_TLBI_1_TG, data[1]);

	if (!tg)
		return (range || ttl) ? -EIO : 0;
	if (tg == 2 && ttl == 1 && !(smmu->features & NIO_FEAT_DS))
		return -EIO;
	if (!range && !ttl)
		return -EIO;
	return 0;
}

/* As arm_vsmmu_validate_user_cmd() */
static int nio_validate_user_cmd(struct nio_smmu *smmu, u64 data[2])
{
	u64 allowed[2] = { CMDQ_0_OP };

	switch (data[0] & CMDQ_0_OP) {
	case CMDQ_OP_TLBI_NSNH_ALL:
		break;
	case CMDQ_OP_TLBI_NH_VA:
		allowed[0] |= FIELD_PREP(CMDQ_TLBI_0_ASID,
					 GENMASK(smmu->asid_bits - 1, 0));
		fallthrough;
	case CMDQ_OP_TLBI_NH_VAA:
		if (smmu->features & NIO_FEAT_RANGE_INV) {
			if (nio_validate_range(smmu, data))
				return -EIO;
			allowed[0] |= CMDQ_TLBI_0_NUM | CMDQ_TLBI_0_SCALE;
			allowed[1] |= CMDQ_TLBI_1_TG | CMDQ_TLBI_1_TTL;
			if (!(smmu->features & NIO_FEAT_DS))
				allowed[0] &= ~FIELD_PREP(CMDQ_TLBI_0_SCALE,
							  BIT(5));
		}
		allowed[0] |= CMDQ_TLBI_0_VMID;
		allowed[1] |= CMDQ_TLBI_1_LEAF | CMDQ_TLBI_1_VA_MASK;
		break;
	case CMDQ_OP_TLBI_NH_ASID:
		allowed[0] |= FIELD_PREP(CMDQ_TLBI_0_ASID,
					 GENMASK(smmu->asid_bits - 1, 0));
		fallthrough;
	case CMDQ_OP_TLBI_NH_ALL:
		allowed[0] |= CMDQ_TLBI_0_VMID;
		break;
	case CMDQ_OP_ATC_INV:
		if (!(smmu->features & NIO_FEAT_ATS))
			return -EIO;
		if (FIELD_GET(CMDQ_ATC_1_SIZE, data[1]) > ATC_INV_SIZE_ALL)
			return -EIO;
		if (smmu->ssid_bits)
			allowed[0] |= CMDQ_0_SSV | CMDQ_ATC_0_SSID |
				      CMDQ_ATC_0_GLOBAL;
		allowed[0] |= CMDQ_ATC_0_SID;
		allowed[1] |= CMDQ_ATC_1_SIZE | CMDQ_ATC_1_ADDR_MASK;
		break;
	case CMDQ_OP_CFGI_CD:
		if (smmu->ssid_bits)
			allowed[0] |= CMDQ_CFGI_0_SSID;
		allowed[1] |= CMDQ_CFGI_1_LEAF;
		fallthrough;
	case CMDQ_OP_CFGI_CD_ALL:
		allowed[0] |= CMDQ_CFGI_0_SID;
		break;
	default:
		return -EIO;
	}

	if ((data[0] & ~allowed[0]) || (data[1] & ~allowed[1]))
		return -EIO;
	return 0;
}

/*
 * Address range of a TLBI_NH_VA/VAA.  TG = 0: the one address, and so the
 * whole stage 1 page or block that translates it (whatever its granule).
 * TG != 0 (SMMUv3 4.4.1.1, as arm_smmu_tlb_inv_range_cmd() builds it):
 * (NUM + 1) << SCALE pages of the TG granule (4, 16 or 64 KiB) from the
 * address aligned down to that granule.  TTL is only a hint of the leaf
 * level: every page and block intersecting the range is dropped.
 */
static void nio_tlbi_range(u64 data[2], u64 *va, u64 *size)
{
	unsigned int tg = FIELD_GET(CMDQ_TLBI_1_TG, data[1]);
	u64 num = FIELD_GET(CMDQ_TLBI_0_NUM, data[0]);
	u64 scale = FIELD_GET(CMDQ_TLBI_0_SCALE, data[0]);
	unsigned int gshift;

	*va = data[1] & CMDQ_TLBI_1_VA_MASK;
	if (!tg) {
		*size = 1;
		return;
	}
	gshift = 12 + 2 * (tg - 1);
	*va &= ~(BIT_ULL(gshift) - 1);
	/* NUM + 1 <= 32; SCALE 32-63 (DS only) would cover everything */
	if (scale + 5 + gshift >= 64)
		*size = U64_MAX;
	else
		*size = ((num + 1) << scale) << gshift;
}

/*
 * Validate, convert (as arm_vsmmu_convert_user_cmd(): VMID forced, vSID
 * rewritten) and execute one command against the TLB and CD caches.
 */
/*
 * A run of TLBI commands in one array takes the TLB lock once (a guest's
 * unmap sends dozens in a row), but never for more than this many
 * commands or this much work (entries, buckets and probes visited: see
 * __nio_tlb_inv_va()), nor while another CPU waits for the lock or this
 * one should reschedule, so that TLB fills are not held off for long.
 */
#define NIO_TLBI_LOCK_BATCH	64
#define NIO_TLBI_LOCK_WORK	4096

struct nio_tlbi_batch {
	bool locked;
	unsigned int count;
	unsigned long work;
};

static void nio_tlbi_unlock(struct nio_smmu *smmu, struct nio_tlbi_batch *b)
{
	if (b->locked) {
		spin_unlock(&smmu->tlb_lock);
		b->locked = false;
	}
}

/*
 * The invalidation audit's view of one TLBI: taken under the TLB lock
 * just before the command runs, judged just after (nestiommu_audit.c).
 */
struct nio_audit_tlbi {
	bool on;
	unsigned long before;		/* smmu->tlb_count */
	unsigned int asids;		/* NH_ALL: ASIDs of the VMID, up to 2 */
};

static void nio_audit_tlbi_begin(struct nio_smmu *smmu, u16 vmid, bool all,
				 struct nio_audit_tlbi *a)
{
	if (!a->on)
		return;
	a->before = smmu->tlb_count;
	a->asids = all ? nio_tlb_vmid_asids(smmu, vmid) : 0;
}

static void nio_audit_tlbi_end(struct nio_smmu *smmu, u64 data[2], u16 vmid,
			       struct nio_audit_tlbi *a, u64 va, u64 size)
{
	u8 op = data[0] & CMDQ_0_OP;

	if (!a->on)
		return;
	nio_audit_inv(smmu, op, vmid, FIELD_GET(CMDQ_TLBI_0_ASID, data[0]), 0,
		      0, va, size);
	if (smmu->tlb_count == a->before)
		nio_audit_count(smmu, NESTIOMMU_AUDIT_CNT_TLBI_NOOP, 1);
	else if (a->asids == 1)
		nio_audit_count(smmu, NESTIOMMU_AUDIT_CNT_TLBI_BROAD, 1);
}

static void nio_tlbi_lock(struct nio_smmu *smmu, struct nio_tlbi_batch *b)
{
	if (b->locked &&
	    (b->count >= NIO_TLBI_LOCK_BATCH || b->work >= NIO_TLBI_LOCK_WORK ||
	     need_resched() || spin_needbreak(&smmu->tlb_lock))) {
		nio_tlbi_unlock(smmu, b);
		cond_resched();
	}
	if (!b->locked) {
		spin_lock(&smmu->tlb_lock);
		b->locked = true;
		b->count = 0;
		b->work = 0;
	}
	b->count++;
}

static int nio_exec_user_cmd(struct nio_viommu *vsmmu, u64 data[2],
			     struct nio_tlbi_batch *batch)
{
	struct nio_smmu *smmu = vsmmu->smmu;
	struct nio_audit_tlbi audit = { .on = nio_audit_on(smmu) };
	u64 va = 0, size = 0;
	int ret;

	ret = nio_validate_user_cmd(smmu, data);
	if (ret)
		return ret;

	switch (data[0] & CMDQ_0_OP) {
	case CMDQ_OP_TLBI_NSNH_ALL:
		/* Converted to NH_ALL of this vIOMMU's VMID */
		nio_count(smmu, NESTIOMMU_CNT_INV_TLBI_NSNH_ALL);
		nio_tlbi_lock(smmu, batch);
		nio_audit_tlbi_begin(smmu, vsmmu->vmid, true, &audit);
		batch->work += __nio_tlb_inv_vmid(smmu, vsmmu->vmid);
		break;
	case CMDQ_OP_TLBI_NH_ALL:
		nio_count(smmu, NESTIOMMU_CNT_INV_TLBI_NH_ALL);
		nio_tlbi_lock(smmu, batch);
		nio_audit_tlbi_begin(smmu, vsmmu->vmid, true, &audit);
		batch->work += __nio_tlb_inv_vmid(smmu, vsmmu->vmid);
		break;
	case CMDQ_OP_TLBI_NH_ASID:
		nio_count(smmu, NESTIOMMU_CNT_INV_TLBI_NH_ASID);
		nio_tlbi_lock(smmu, batch);
		nio_audit_tlbi_begin(smmu, vsmmu->vmid, false, &audit);
		batch->work +=
			__nio_tlb_inv_asid(smmu, vsmmu->vmid,
					   FIELD_GET(CMDQ_TLBI_0_ASID, data[0]));
		break;
	case CMDQ_OP_TLBI_NH_VA:
		nio_count(smmu, NESTIOMMU_CNT_INV_TLBI_NH_VA);
		nio_tlbi_range(data, &va, &size);
		nio_tlbi_lock(smmu, batch);
		nio_audit_tlbi_begin(smmu, vsmmu->vmid, false, &audit);
		batch->work +=
			__nio_tlb_inv_va(smmu, vsmmu->vmid,
					 FIELD_GET(CMDQ_TLBI_0_ASID, data[0]),
					 false, va, size);
		break;
	case CMDQ_OP_TLBI_NH_VAA:
		nio_count(smmu, NESTIOMMU_CNT_INV_TLBI_NH_VAA);
		nio_tlbi_range(data, &va, &size);
		nio_tlbi_lock(smmu, batch);
		nio_audit_tlbi_begin(smmu, vsmmu->vmid, false, &audit);
		batch->work += __nio_tlb_inv_va(smmu, vsmmu->vmid, 0, true,
						va, size);
		break;
	case CMDQ_OP_ATC_INV:
	case CMDQ_OP_CFGI_CD:
	case CMDQ_OP_CFGI_CD_ALL: {
		u32 vsid = FIELD_GET(CMDQ_CFGI_0_SID, data[0]);
		u32 ssid = FIELD_GET(CMDQ_CFGI_0_SSID, data[0]);
		unsigned int dropped = 0, nssid = 0;
		struct nio_master *master;
		struct device *dev;
		u32 op = data[0] & CMDQ_0_OP;

		/* The CD cache has its own locks: not under the TLB lock */
		nio_tlbi_unlock(smmu, batch);
		/* As arm_vsmmu_vsid_to_sid(): an unknown vSID is EIO */
		xa_lock(&vsmmu->core.vdevs);
		dev = iommufd_viommu_find_dev(&vsmmu->core, vsid);
		if (!dev) {
			xa_unlock(&vsmmu->core.vdevs);
			return -EIO;
		}
		master = dev_iommu_priv_get(dev);
		data[0] &= ~CMDQ_CFGI_0_SID;
		data[0] |= FIELD_PREP(CMDQ_CFGI_0_SID, master->sid);
		if (op == CMDQ_OP_CFGI_CD) {
			nio_count(smmu, NESTIOMMU_CNT_INV_CFGI_CD);
			dropped = nio_cd_cache_inv(master, false, ssid, &nssid);
		} else if (op == CMDQ_OP_CFGI_CD_ALL) {
			nio_count(smmu, NESTIOMMU_CNT_INV_CFGI_CD_ALL);
			dropped = nio_cd_cache_inv(master, true, 0, &nssid);
		} else {
			/* No ATC is modelled: translations are never cached
			 * in the endpoint.
			 */
			nio_count(smmu, NESTIOMMU_CNT_INV_ATC_INV);
		}
		if (audit.on && op != CMDQ_OP_ATC_INV) {
			nio_audit_inv(smmu, op, vsmmu->vmid, 0, master->sid,
				      ssid, 0, 0);
			if (!dropped)
				nio_audit_count(smmu,
						NESTIOMMU_AUDIT_CNT_CFGI_NOOP,
						1);
			else if (op == CMDQ_OP_CFGI_CD_ALL && nssid == 1)
				nio_audit_count(smmu,
						NESTIOMMU_AUDIT_CNT_CFGI_BROAD,
						1);
		}
		xa_unlock(&vsmmu->core.vdevs);
		return 0;
	}
	default:
		return -EIO;
	}
	nio_audit_tlbi_end(smmu, data, vsmmu->vmid, &audit, va, size);
	return 0;
}

/*
 * As arm_vsmmu_cache_invalidate(): copy the whole array (EINVAL for a wrong
 * type or entry_num == 0), then process in order; on a failure at entry k,
 * entry_num = k: upstream sets array->entry_num = cur - cmds, the index of
 * the first command that arm_vsmmu_convert_user_cmd() could not convert
 * (EIO from arm_vsmmu_validate_user_cmd() or, for an unknown vSID, e.g.
 * after its vDEVICE was destroyed, from arm_vsmmu_vsid_to_sid()), so a
 * lone bad command is EIO with entry_num 0.  Upstream drops the converted
 * but not yet issued commands of the failing batch of 63 while still
 * counting them; here every entry before k has really been executed (same
 * errno, same entry_num).
 */
static int nio_cache_invalidate(struct iommufd_viommu *viommu,
				struct iommu_user_data_array *array)
{
	struct nio_viommu *vsmmu = to_nio_viommu(viommu);
	struct iommu_viommu_arm_smmuv3_invalidate *cmds;
	struct nio_tlbi_batch batch = {};
	u32 i;
	int ret;

	/*
	 * entry_num is guest-sized, up to iommufd's cap of 2^19 (8 MiB):
	 * beyond kmalloc's largest order, so vmalloc when it must (upstream's
	 * kzalloc_objs() fails there with a page allocator warning)
	 */
	cmds = kvcalloc(array->entry_num, sizeof(*cmds), GFP_KERNEL_ACCOUNT);
	if (!cmds)
		return -ENOMEM;

	ret = iommu_copy_struct_from_full_user_array(cmds, sizeof(*cmds), array,
						     IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3);
	if (ret) {
		i = 0;
		goto out;
	}

	for (i = 0; i < array->entry_num; i++) {
		u64 data[2] = { le64_to_cpu(cmds[i].cmd[0]),
				le64_to_cpu(cmds[i].cmd[1]) };

		/*
		 * Up to 2^19 commands: let others run between them (iommufd
		 * calls this in process context, no lock held; the TLB lock
		 * of a run of TLBIs is dropped before by nio_tlbi_lock())
		 */
		if (!batch.locked)
			cond_resched();
		ret = nio_inject_take(vsmmu, NESTIOMMU_INJECT_INVALIDATE);
		if (!ret)
			ret = nio_exec_user_cmd(vsmmu, data, &batch);
		if (ret) {
			nio_count(vsmmu->smmu, NESTIOMMU_CNT_INV_REJECTED);
			break;
		}
	}
	nio_tlbi_unlock(vsmmu->smmu, &batch);
out:
	array->entry_num = i;
	kvfree(cmds);
	return ret;
}

/* ------------------------------------------------------------------ */
/* vIOMMU                                                              */

static void nio_viommu_destroy(struct iommufd_viommu *viommu)
{
	struct nio_viommu *vsmmu = to_nio_viommu(viommu);

	mutex_lock(&vsmmu->s2->pt_lock);
	list_del(&vsmmu->s2_node);
	mutex_unlock(&vsmmu->s2->pt_lock);
	nio_tlb_inv_vmid(vsmmu->smmu, vsmmu->vmid);
	ida_free(&vsmmu->smmu->vmid_ida, vsmmu->vmid);
	module_put(THIS_MODULE);
}

const struct iommufd_viommu_ops nio_vsmmu_ops = {
	.destroy		= nio_viommu_destroy,
	.alloc_domain_nested	= nio_alloc_domain_nested,
	.cache_invalidate	= nio_cache_invalidate,
	.vdevice_init		= nio_vdevice_init,
};

/* As arm_vsmmu_init(), with a VMID per vIOMMU instead of per S2 domain */
int nio_viommu_init(struct iommufd_viommu *viommu, struct iommu_domain *parent,
		    const struct iommu_user_data *user_data)
{
	struct nio_viommu *vsmmu = to_nio_viommu(viommu);
	struct nio_smmu *smmu = container_of(viommu->iommu_dev,
					     struct nio_smmu, iommu);
	struct nio_domain *s2;
	int vmid;

	if (parent->owner != &nio_iommu_ops ||
	    parent->type != IOMMU_DOMAIN_UNMANAGED)
		return -EINVAL;
	s2 = to_nio_domain(parent);
	if (s2->smmu != smmu)
		return -EINVAL;

	vmid = ida_alloc_range(&smmu->vmid_ida, 1, 0xffff, GFP_KERNEL);
	if (vmid < 0)
		return vmid;

	vsmmu->smmu = smmu;
	vsmmu->s2 = s2;
	vsmmu->vmid = vmid;
	spin_lock_init(&vsmmu->inject_lock);
	mutex_lock(&s2->pt_lock);
	list_add(&vsmmu->s2_node, &s2->viommus);
	mutex_unlock(&s2->pt_lock);

	/* iommufd holds no module reference for a driver's vIOMMU */
	__module_get(THIS_MODULE);
	viommu->ops = &nio_vsmmu_ops;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Events                                                              */

/*
 * As arm_smmu_handle_event() + arm_vmaster_report_event(): a stage 1 event
 * of an endpoint that has a vDEVICE goes to the vIOMMU's vEVENTQ with the
 * vSID; stage 2 events and events of endpoints without one go to the host
 * log.  Caller holds master->dma_lock.
 */
int nio_report_event(struct nio_master *master, u64 *evt)
{
	struct iommu_vevent_arm_smmuv3 vevt;
	struct nio_viommu *vmaster;
	u32 vsid;
	int i, ret;

	nio_count(master->smmu, NESTIOMMU_CNT_FAULTS);

	spin_lock(&master->cfg_lock);
	vmaster = master->vmaster;
	vsid = master->vsid;
	spin_unlock(&master->cfg_lock);

	if (!vmaster || (evt[1] & EVTQ_1_S2)) {
		dev_warn_ratelimited(nio_master_dev(master),
				     "event 0x%02llx received: %016llx %016llx %016llx %016llx\n",
				     FIELD_GET(EVTQ_0_ID, evt[0]), evt[0],
				     evt[1], evt[2], evt[3]);
		return -EOPNOTSUPP;
	}

	vevt.evt[0] = cpu_to_le64((evt[0] & ~EVTQ_0_SID) |
				  FIELD_PREP(EVTQ_0_SID, vsid));
	for (i = 1; i < EVTQ_ENT_DWORDS; i++)
		vevt.evt[i] = cpu_to_le64(evt[i]);
	ret = iommufd_viommu_report_event(&vmaster->core,
					  IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, &vevt,
					  sizeof(vevt));
	nio_count(master->smmu, ret ? NESTIOMMU_CNT_EVENTS_LOST :
		  NESTIOMMU_CNT_EVENTS);
	return ret;
}

/*
 * Fault injection: 0 when operation @op may go on, else the armed errno
 * (consuming one of the armed failures, after the armed skips).  The
 * injected failure comes before the operation's own checks.
 */
int nio_inject_take(struct nio_viommu *vsmmu, enum nestiommu_inject_op op)
{
	struct nio_inject_fail *f = &vsmmu->fail[op];
	int ret = 0;

	if (!READ_ONCE(f->count))
		return 0;
	spin_lock(&vsmmu->inject_lock);
	if (!f->count) {
		/* disarmed meanwhile */
	} else if (f->skip) {
		f->skip--;
	} else {
		f->count--;
		ret = f->err;
	}
	spin_unlock(&vsmmu->inject_lock);
	return ret;
}

/*
 * Fault injection: @count copies of the SMMUv3 event record @evt into the
 * vEVENTQ of the vIOMMU of @master's vDEVICE, through the same
 * iommufd_viommu_report_event() as a real fault, with the SID field set to
 * the vDEVICE's virtual ID (unless @raw).  Records that find the queue full
 * are lost as any would be: the kernel's LOST_EVENTS marker and sequence
 * gap.  -ENOENT when there is no vDEVICE or no vEVENTQ.  Called under
 * nio_global_lock.
 */
int nio_inject_event(struct nio_master *master, const u64 *evt, u32 count,
		     bool raw, struct netlink_ext_ack *extack)
{
	struct iommu_vevent_arm_smmuv3 vevt;
	struct nio_viommu *vsmmu;
	int i, ret = 0;
	u32 n;

	mutex_lock(&master->dma_lock);
	vsmmu = master->vdev_viommu;
	if (!vsmmu) {
		NL_SET_ERR_MSG(extack, "the endpoint has no vDEVICE");
		ret = -ENOENT;
		goto out;
	}
	vevt.evt[0] = cpu_to_le64(raw ? evt[0] :
				  (evt[0] & ~EVTQ_0_SID) |
				  FIELD_PREP(EVTQ_0_SID, master->vdev_vsid));
	for (i = 1; i < EVTQ_ENT_DWORDS; i++)
		vevt.evt[i] = cpu_to_le64(evt[i]);
	for (n = 0; n < count; n++) {
		ret = iommufd_viommu_report_event(&vsmmu->core,
						  IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
						  &vevt, sizeof(vevt));
		if (ret == -EOPNOTSUPP) {
			NL_SET_ERR_MSG(extack,
				       "the vDEVICE's vIOMMU has no vEVENTQ (never allocated or destroyed)");
			ret = -ENOENT;
			break;
		}
		/* -ENOMEM: lost, and marked so in the queue, as upstream */
		ret = 0;
		if (!(n % 1024))
			cond_resched();
	}
out:
	mutex_unlock(&master->dma_lock);
	return ret;
}
