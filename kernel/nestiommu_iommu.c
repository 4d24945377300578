// SPDX-License-Identifier: GPL-2.0
/*
 * nestiommu.ko: iommu_ops, paging domains and their page tables.
 *
 * Paging domains own a real ARMv8 VMSA page table (4 KiB granule, four
 * levels, 48-bit input and output) in stage 2 descriptor format.  A
 * NEST_PARENT domain is the stage 2 of nested translation; a plain
 * paging domain translates with that one table alone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "nestiommu.h"

#define NIO_PT_ENTRIES		512
#define NIO_PT_LEVELS		4

static inline unsigned int nio_pt_index(u64 iova, int level)
{
	return (iova >> (12 + 9 * (NIO_PT_LEVELS - 1 - level))) & 511;
}

static void nio_pt_free_table(u64 *table, int level)
{
	unsigned int i;

	if (level < NIO_PT_LEVELS - 1) {
		for (i = 0; i < NIO_PT_ENTRIES; i++) {
			u64 pte = table[i];

			if ((pte & (NIO_PTE_VALID | NIO_PTE_TABLE)) ==
			    (NIO_PTE_VALID | NIO_PTE_TABLE))
				nio_pt_free_table(phys_to_virt(pte &
							       NIO_PTE_ADDR_MASK),
						  level + 1);
		}
	}
	free_page((unsigned long)table);
}

/* Walk the table; caller holds pt_lock.  Returns -ENOENT on a hole. */
int nio_pt_walk(struct nio_domain *dom, u64 iova, u64 *pa, u8 *perm,
		int *level)
{
	u64 *table = dom->pgd;
	int lvl;

	if (iova >> NIO_IAS) {
		if (level)
			*level = 0;
		return -ERANGE;
	}
	for (lvl = 0; lvl < NIO_PT_LEVELS; lvl++) {
		u64 pte = READ_ONCE(table[nio_pt_index(iova, lvl)]);

		if (level)
			*level = lvl;
		if (!(pte & NIO_PTE_VALID) || !(pte & NIO_PTE_TABLE))
			return -ENOENT;
		if (lvl == NIO_PT_LEVELS - 1) {
			*pa = (pte & NIO_PTE_ADDR_MASK) | (iova & ~PAGE_MASK);
			*perm = 0;
			if (pte & NIO_PTE_S2AP_R)
				*perm |= NIO_PERM_R;
			if (pte & NIO_PTE_S2AP_W)
				*perm |= NIO_PERM_W;
			return 0;
		}
		table = phys_to_virt(pte & NIO_PTE_ADDR_MASK);
	}
	return -ENOENT;
}

static u64 *nio_pt_get_leaf(struct nio_domain *dom, u64 iova, gfp_t gfp)
{
	u64 *table = dom->pgd;
	int lvl;

	for (lvl = 0; lvl < NIO_PT_LEVELS - 1; lvl++) {
		u64 *slot = &table[nio_pt_index(iova, lvl)];

		if (!(*slot & NIO_PTE_VALID)) {
			u64 *next = (u64 *)get_zeroed_page(gfp);

			if (!next)
				return NULL;
			WRITE_ONCE(*slot, (virt_to_phys(next) &
					   NIO_PTE_ADDR_MASK) |
				   NIO_PTE_VALID | NIO_PTE_TABLE);
		}
		table = phys_to_virt(*slot & NIO_PTE_ADDR_MASK);
	}
	return &table[nio_pt_index(iova, NIO_PT_LEVELS - 1)];
}

static int nio_map_pages(struct iommu_domain *domain, unsigned long iova,
			 phys_addr_t paddr, size_t pgsize, size_t pgcount,
			 int prot, gfp_t gfp, size_t *mapped)
{
	struct nio_domain *dom = to_nio_domain(domain);
	u64 attr = NIO_PTE_VALID | NIO_PTE_TABLE | NIO_PTE_AF;
	size_t i;
	int ret = 0;

	if (pgsize != SZ_4K)
		return -EINVAL;
	if (prot & IOMMU_READ)
		attr |= NIO_PTE_S2AP_R;
	if (prot & IOMMU_WRITE)
		attr |= NIO_PTE_S2AP_W;

	mutex_lock(&dom->pt_lock);
	for (i = 0; i < pgcount; i++) {
		u64 va = iova + i * SZ_4K;
		u64 *ptep;

		if ((va >> NIO_IAS) || ((paddr + i * SZ_4K) >> NIO_OAS)) {
			ret = -ERANGE;
			break;
		}
		ptep = nio_pt_get_leaf(dom, va, gfp);
		if (!ptep) {
			ret = -ENOMEM;
			break;
		}
		if (*ptep & NIO_PTE_VALID) {
			ret = -EEXIST;
			break;
		}
		WRITE_ONCE(*ptep, ((paddr + i * SZ_4K) & NIO_PTE_ADDR_MASK) |
			   attr);
		*mapped += SZ_4K;
	}
	mutex_unlock(&dom->pt_lock);
	return ret;
}

static void nio_domain_flush_tlb(struct nio_domain *dom)
{
	struct nio_viommu *v;

	lockdep_assert_held(&dom->pt_lock);
	list_for_each_entry(v, &dom->viommus, s2_node)
		nio_tlb_inv_vmid(dom->smmu, v->vmid);
}

static size_t nio_unmap_pages(struct iommu_domain *domain, unsigned long iova,
			      size_t pgsize, size_t pgcount,
			      struct iommu_iotlb_gather *gather)
{
	struct nio_domain *dom = to_nio_domain(domain);
	size_t i, unmapped = 0;

	if (pgsize != SZ_4K)
		return 0;

	mutex_lock(&dom->pt_lock);
	for (i = 0; i < pgcount; i++) {
		u64 va = iova + i * SZ_4K;
		u64 *table = dom->pgd;
		int lvl;

		for (lvl = 0; lvl < NIO_PT_LEVELS - 1; lvl++) {
			u64 pte = table[nio_pt_index(va, lvl)];

			if (!(pte & NIO_PTE_VALID)) {
				table = NULL;
				break;
			}
			table = phys_to_virt(pte & NIO_PTE_ADDR_MASK);
		}
		if (!table || !(table[nio_pt_index(va, lvl)] & NIO_PTE_VALID))
			break;
		WRITE_ONCE(table[nio_pt_index(va, lvl)], 0);
		unmapped += SZ_4K;
	}
	/*
	 * Stage 2 changed: drop every cached translation through it before
	 * the caller can unpin the pages (TLBI_S12_VMALL on hardware).
	 */
	if (unmapped)
		nio_domain_flush_tlb(dom);
	mutex_unlock(&dom->pt_lock);
	return unmapped;
}

static phys_addr_t nio_iova_to_phys(struct iommu_domain *domain,
				    dma_addr_t iova)
{
	struct nio_domain *dom = to_nio_domain(domain);
	u64 pa;
	u8 perm;
	int ret;

	mutex_lock(&dom->pt_lock);
	ret = nio_pt_walk(dom, iova, &pa, &perm, NULL);
	mutex_unlock(&dom->pt_lock);
	return ret ? 0 : pa;
}

static void nio_domain_free(struct iommu_domain *domain)
{
	struct nio_domain *dom = to_nio_domain(domain);

	WARN_ON(!list_empty(&dom->viommus));
	nio_pt_free_table(dom->pgd, 0);
	mutex_destroy(&dom->pt_lock);
	kfree(dom);
	module_put(THIS_MODULE);
}

/* Build the physical STE of a stage-2-only configuration */
static void nio_make_s2_ste(__le64 *ste, struct nio_domain *dom, u16 vmid)
{
	memset(ste, 0, STRTAB_STE_DWORDS * sizeof(*ste));
	ste[0] = cpu_to_le64(STRTAB_STE_0_V |
			     FIELD_PREP(STRTAB_STE_0_CFG,
					STRTAB_STE_0_CFG_S2_TRANS));
	ste[1] = cpu_to_le64(FIELD_PREP(STRTAB_STE_1_SHCFG,
					STRTAB_STE_1_SHCFG_INCOMING));
	ste[2] = cpu_to_le64(FIELD_PREP(STRTAB_STE_2_S2VMID, vmid) |
			     FIELD_PREP(STRTAB_STE_2_VTCR,
					/* T0SZ 16, SL0 2 (lvl 0), 4K, PS 48 */
					16 | (2 << 6) | (5 << 16)) |
			     STRTAB_STE_2_S2AA64 | STRTAB_STE_2_S2PTW |
			     STRTAB_STE_2_S2R);
	ste[3] = cpu_to_le64(virt_to_phys(dom->pgd) &
			     STRTAB_STE_3_S2TTB_MASK);
}

/*
 * Install a configuration on @master.  Caller holds master->dma_lock, so
 * no DMA request runs with the old one; the STE and CD caches of the
 * endpoint are dropped, as a CFGI_STE would on hardware.
 */
static void nio_master_install(struct nio_master *master,
			       enum nestiommu_domain_kind kind,
			       struct nio_domain *paging,
			       struct nio_nested *nested)
{
	struct nio_smmu *smmu = master->smmu;
	bool was = master->kind != NESTIOMMU_DOMAIN_BLOCKED;
	bool now = kind != NESTIOMMU_DOMAIN_BLOCKED;
	__le64 ste[STRTAB_STE_DWORDS] = {};

	lockdep_assert_held(&master->dma_lock);

	if (kind == NESTIOMMU_DOMAIN_PAGING || kind == NESTIOMMU_DOMAIN_S2) {
		nio_make_s2_ste(ste, paging, 0);
	} else if (kind == NESTIOMMU_DOMAIN_NESTED) {
		u64 v0 = le64_to_cpu(nested->ste[0]);
		unsigned int cfg = FIELD_GET(STRTAB_STE_0_CFG, v0);

		if (!(v0 & STRTAB_STE_0_V)) {
			/* V=0: left invalid, a DMA raises C_BAD_STE */
		} else if (cfg == STRTAB_STE_0_CFG_S1_TRANS) {
			nio_make_s2_ste(ste, nested->vsmmu->s2,
					nested->vsmmu->vmid);
			ste[0] = cpu_to_le64(STRTAB_STE_0_V |
					     FIELD_PREP(STRTAB_STE_0_CFG,
							STRTAB_STE_0_CFG_NESTED));
			ste[0] |= nested->ste[0] &
				  ~cpu_to_le64(STRTAB_STE_0_CFG);
			ste[1] |= nested->ste[1] |
				  cpu_to_le64(STRTAB_STE_1_MEV);
			if (nested->enable_ats && (smmu->features & NIO_FEAT_ATS))
				ste[1] |= cpu_to_le64(FIELD_PREP(STRTAB_STE_1_EATS,
						STRTAB_STE_1_EATS_TRANS));
		} else if (cfg == STRTAB_STE_0_CFG_BYPASS) {
			nio_make_s2_ste(ste, nested->vsmmu->s2,
					nested->vsmmu->vmid);
		} else {
			ste[0] = cpu_to_le64(STRTAB_STE_0_V);	/* abort */
		}
	} else {
		ste[0] = cpu_to_le64(STRTAB_STE_0_V);	/* abort */
	}

	mutex_lock(&smmu->lock);
	if (was && !now)
		smmu->nr_attached--;
	else if (!was && now)
		smmu->nr_attached++;
	mutex_unlock(&smmu->lock);

	spin_lock(&master->cfg_lock);
	master->kind = kind;
	master->paging = paging;
	master->nested = nested;
	memcpy(master->ste, ste, sizeof(ste));
	memset(master->cd_cache, 0, sizeof(master->cd_cache));
	spin_unlock(&master->cfg_lock);
}

void nio_master_set_vmaster(struct nio_master *master,
			    struct nio_viommu *vsmmu, u32 vsid)
{
	spin_lock(&master->cfg_lock);
	master->vmaster = vsmmu;
	master->vsid = vsid;
	spin_unlock(&master->cfg_lock);
}

static int nio_attach_paging(struct iommu_domain *domain, struct device *dev,
			     struct iommu_domain *old)
{
	struct nio_master *master = dev_iommu_priv_get(dev);
	struct nio_domain *dom = to_nio_domain(domain);

	if (dom->smmu != master->smmu)
		return -EINVAL;
	mutex_lock(&master->dma_lock);
	nio_master_set_vmaster(master, NULL, 0);
	nio_master_install(master, dom->nest_parent ? NESTIOMMU_DOMAIN_S2 :
			   NESTIOMMU_DOMAIN_PAGING, dom, NULL);
	mutex_unlock(&master->dma_lock);
	return 0;
}

int nio_attach_nested_commit(struct nio_master *master,
			     struct nio_nested *nested,
			     struct nio_viommu *vmaster, u32 vsid)
{
	mutex_lock(&master->dma_lock);
	nio_master_set_vmaster(master, vmaster, vsid);
	nio_master_install(master, NESTIOMMU_DOMAIN_NESTED, NULL, nested);
	mutex_unlock(&master->dma_lock);
	return 0;
}

static int nio_attach_blocked(struct iommu_domain *domain, struct device *dev,
			      struct iommu_domain *old)
{
	struct nio_master *master = dev_iommu_priv_get(dev);

	mutex_lock(&master->dma_lock);
	nio_master_set_vmaster(master, NULL, 0);
	nio_master_install(master, NESTIOMMU_DOMAIN_BLOCKED, NULL, NULL);
	mutex_unlock(&master->dma_lock);
	return 0;
}

static const struct iommu_domain_ops nio_blocked_ops = {
	.attach_dev = nio_attach_blocked,
};

static struct iommu_domain nio_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &nio_blocked_ops,
};

static const struct iommu_domain_ops nio_paging_ops = {
	.attach_dev	= nio_attach_paging,
	.map_pages	= nio_map_pages,
	.unmap_pages	= nio_unmap_pages,
	.iova_to_phys	= nio_iova_to_phys,
	.free		= nio_domain_free,
};

/*
 * Like arm_smmu_domain_alloc_paging_flags() for an SMMU without HTTU and
 * without host PASID support: only 0 (one stage) and NEST_PARENT (stage 2).
 */
static struct iommu_domain *
nio_domain_alloc_paging_flags(struct device *dev, u32 flags,
			      const struct iommu_user_data *user_data)
{
	struct nio_master *master = dev_iommu_priv_get(dev);
	struct nio_domain *dom;

	if (flags & ~IOMMU_HWPT_ALLOC_NEST_PARENT)
		return ERR_PTR(-EOPNOTSUPP);
	if (user_data)
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_HWPT_ALLOC_NEST_PARENT) &&
	    !(master->smmu->features & NIO_FEAT_NESTING))
		return ERR_PTR(-EOPNOTSUPP);

	dom = kzalloc_obj(*dom, GFP_KERNEL_ACCOUNT);
	if (!dom)
		return ERR_PTR(-ENOMEM);
	dom->pgd = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!dom->pgd) {
		kfree(dom);
		return ERR_PTR(-ENOMEM);
	}
	mutex_init(&dom->pt_lock);
	INIT_LIST_HEAD(&dom->viommus);
	dom->smmu = master->smmu;
	dom->nest_parent = !!(flags & IOMMU_HWPT_ALLOC_NEST_PARENT);
	dom->domain.type = IOMMU_DOMAIN_UNMANAGED;
	dom->domain.ops = &nio_paging_ops;
	dom->domain.pgsize_bitmap = SZ_4K;
	dom->domain.geometry.aperture_start = 0;
	dom->domain.geometry.aperture_end = BIT_ULL(NIO_IAS) - 1;
	dom->domain.geometry.force_aperture = true;
	/* iommufd holds no module reference for a driver's domains */
	__module_get(THIS_MODULE);
	return &dom->domain;
}

static void *nio_hw_info(struct device *dev, u32 *length,
			 enum iommu_hw_info_type *type)
{
	struct nio_master *master = dev_iommu_priv_get(dev);
	struct nio_smmu *smmu = master->smmu;
	struct iommu_hw_info_arm_smmuv3 *info;
	unsigned int i;

	/* As arm_smmu_hw_info() with no impl_ops */
	if (*type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    *type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3)
		return ERR_PTR(-EOPNOTSUPP);

	info = kzalloc_obj(*info);
	if (!info)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < 6; i++)
		info->idr[i] = smmu->idr[i];
	info->iidr = smmu->iidr;
	info->aidr = smmu->aidr;
	*length = sizeof(*info);
	*type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	return info;
}

static void nio_get_resv_regions(struct device *dev, struct list_head *head)
{
	struct nio_master *master = dev_iommu_priv_get(dev);
	struct nio_smmu *smmu = master->smmu;
	struct iommu_resv_region *region;
	u64 start, size;

	mutex_lock(&smmu->lock);
	start = smmu->msi_start;
	size = smmu->msi_size;
	mutex_unlock(&smmu->lock);

	region = iommu_alloc_resv_region(start, size,
					 IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_MMIO,
					 IOMMU_RESV_SW_MSI, GFP_KERNEL);
	if (region)
		list_add_tail(&region->list, head);
}

static bool nio_capable(struct device *dev, enum iommu_cap cap)
{
	return cap == IOMMU_CAP_CACHE_COHERENCY;
}

static struct iommu_device *nio_probe_device(struct device *dev)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	struct nio_master *master;

	if (!fwspec || fwspec->num_ids != 1)
		return ERR_PTR(-ENODEV);
	if (dev_is_pci(dev)) {
		master = nio_pci_dev_master(dev);
		if (!master)
			return ERR_PTR(-ENODEV);
	} else {
		struct nio_master **pmaster = dev_get_platdata(dev);

		if (!pmaster || (*pmaster)->pdev != to_platform_device(dev))
			return ERR_PTR(-ENODEV);
		master = *pmaster;
	}
	if (fwspec->ids[0] != master->sid ||
	    fwspec->iommu_fwnode != master->smmu->fwnode)
		return ERR_PTR(-ENODEV);
	dev_iommu_priv_set(dev, master);
	return &master->smmu->iommu;
}

/* iommu_deinit_device() clears the private pointer itself */
static void nio_release_device(struct device *dev)
{
}

const struct iommu_ops nio_iommu_ops = {
	.identity_domain	= NULL,
	.blocked_domain		= &nio_blocked_domain,
	.release_domain		= &nio_blocked_domain,
	.default_domain		= &nio_blocked_domain,
	.capable		= nio_capable,
	.hw_info		= nio_hw_info,
	.domain_alloc_paging_flags = nio_domain_alloc_paging_flags,
	.probe_device		= nio_probe_device,
	.release_device		= nio_release_device,
	.device_group		= generic_device_group,
	.get_resv_regions	= nio_get_resv_regions,
	.get_viommu_size	= nio_get_viommu_size,
	.viommu_init		= nio_viommu_init,
	.user_pasid_table	= 1,
	.owner			= THIS_MODULE,
	.default_domain_ops	= &nio_paging_ops,
};
