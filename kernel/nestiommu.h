/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nestiommu.ko: a software SMMUv3 with a nested (two-stage) backend.
 */
#ifndef _NESTIOMMU_H
#define _NESTIOMMU_H

#include <linux/bitfield.h>
#include <linux/hashtable.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/spinlock.h>
#include <linux/vfio.h>

#include "nestiommu_uapi.h"

#define NIO_NAME		"nestiommu"
/* PCIe functions per instance: one per device number of the root bus */
#define NIO_PCI_MAX_FUNCTIONS	32
#define NIO_EP_NAME		"nestiommu-ep"

/* SMMUv3 register and structure fields used here (SMMUv3 spec, IHI0070) */
#define IDR0_S2P		BIT(0)
#define IDR0_S1P		BIT(1)
#define IDR0_TTF		GENMASK(3, 2)
#define IDR0_TTF_AARCH64	2
#define IDR0_COHACC		BIT(4)
#define IDR0_ATS		BIT(10)
#define IDR0_ASID16		BIT(12)
#define IDR0_VMID16		BIT(18)
#define IDR0_TTENDIAN		GENMASK(22, 21)
#define IDR0_TTENDIAN_LE	2
#define IDR0_STALL_MODEL	GENMASK(25, 24)
#define IDR0_STALL_MODEL_NONE	1
#define IDR0_ST_LEVEL		GENMASK(28, 27)
#define IDR0_ST_LEVEL_2LVL	1
#define IDR1_SIDSIZE		GENMASK(5, 0)
#define IDR1_SSIDSIZE		GENMASK(10, 6)
#define IDR1_EVTQS		GENMASK(20, 16)
#define IDR1_CMDQS		GENMASK(25, 21)
#define IDR3_RIL		BIT(10)
#define IDR5_OAS		GENMASK(2, 0)
#define IDR5_OAS_48_BIT		5
#define IDR5_GRAN4K		BIT(4)
#define IDR5_GRAN16K		BIT(5)
#define IDR5_GRAN64K		BIT(6)
#define IIDR_PRODUCTID		GENMASK(31, 20)
#define IIDR_IMPLEMENTER	GENMASK(11, 0)

#define STRTAB_STE_DWORDS		8
#define STRTAB_STE_0_V			BIT_ULL(0)
#define STRTAB_STE_0_CFG		GENMASK_ULL(3, 1)
#define STRTAB_STE_0_CFG_ABORT		0
#define STRTAB_STE_0_CFG_BYPASS		4
#define STRTAB_STE_0_CFG_S1_TRANS	5
#define STRTAB_STE_0_CFG_S2_TRANS	6
#define STRTAB_STE_0_CFG_NESTED		7
#define STRTAB_STE_0_S1FMT		GENMASK_ULL(5, 4)
#define STRTAB_STE_0_S1CTXPTR_MASK	GENMASK_ULL(51, 6)
#define STRTAB_STE_0_S1CDMAX		GENMASK_ULL(63, 59)
#define STRTAB_STE_1_S1DSS		GENMASK_ULL(1, 0)
#define STRTAB_STE_1_S1DSS_TERMINATE	0
#define STRTAB_STE_1_S1DSS_BYPASS	1
#define STRTAB_STE_1_S1DSS_SSID0	2
#define STRTAB_STE_1_S1CIR		GENMASK_ULL(3, 2)
#define STRTAB_STE_1_S1COR		GENMASK_ULL(5, 4)
#define STRTAB_STE_1_S1CSH		GENMASK_ULL(7, 6)
#define STRTAB_STE_1_MEV		BIT_ULL(19)
#define STRTAB_STE_1_S1STALLD		BIT_ULL(27)
#define STRTAB_STE_1_EATS		GENMASK_ULL(29, 28)
#define STRTAB_STE_1_EATS_ABT		0
#define STRTAB_STE_1_EATS_TRANS		1
#define STRTAB_STE_1_SHCFG		GENMASK_ULL(45, 44)
#define STRTAB_STE_1_SHCFG_INCOMING	1
#define STRTAB_STE_2_S2VMID		GENMASK_ULL(15, 0)
#define STRTAB_STE_2_VTCR		GENMASK_ULL(50, 32)
#define STRTAB_STE_2_S2AA64		BIT_ULL(51)
#define STRTAB_STE_2_S2PTW		BIT_ULL(54)
#define STRTAB_STE_2_S2R		BIT_ULL(58)
#define STRTAB_STE_3_S2TTB_MASK		GENMASK_ULL(51, 4)

/* The bits a guest may set in a vSTE (arm-smmu-v3.h, 7.3) */
#define STRTAB_STE_0_NESTING_ALLOWED					\
	(STRTAB_STE_0_V | STRTAB_STE_0_CFG | STRTAB_STE_0_S1FMT |	\
	 STRTAB_STE_0_S1CTXPTR_MASK | STRTAB_STE_0_S1CDMAX)
#define STRTAB_STE_1_NESTING_ALLOWED					\
	(STRTAB_STE_1_S1DSS | STRTAB_STE_1_S1CIR | STRTAB_STE_1_S1COR |	\
	 STRTAB_STE_1_S1CSH | STRTAB_STE_1_S1STALLD | STRTAB_STE_1_EATS)

#define CTXDESC_CD_DWORDS		8
#define CTXDESC_CD_0_TCR_T0SZ		GENMASK_ULL(5, 0)
#define CTXDESC_CD_0_TCR_TG0		GENMASK_ULL(7, 6)
#define CTXDESC_CD_0_TCR_EPD0		BIT_ULL(14)
#define CTXDESC_CD_0_ENDI		BIT_ULL(15)
#define CTXDESC_CD_0_TCR_T1SZ		GENMASK_ULL(21, 16)
#define CTXDESC_CD_0_TCR_TG1		GENMASK_ULL(23, 22)
#define CTXDESC_CD_0_TCR_EPD1		BIT_ULL(30)
#define CTXDESC_CD_0_V			BIT_ULL(31)
#define CTXDESC_CD_0_TCR_IPS		GENMASK_ULL(34, 32)
#define CTXDESC_CD_0_AA64		BIT_ULL(41)
#define CTXDESC_CD_0_TCR_HD		BIT_ULL(42)
#define CTXDESC_CD_0_TCR_HA		BIT_ULL(43)
#define CTXDESC_CD_0_S			BIT_ULL(44)
#define CTXDESC_CD_0_ASID		GENMASK_ULL(63, 48)
#define CTXDESC_CD_1_TTB0_MASK		GENMASK_ULL(51, 4)
/* TTB0/TTB1 as wide as SMMUv3.3 defines them, for the range check */
#define CTXDESC_CD_1_TTB0_WIDE		GENMASK_ULL(55, 4)
#define CTXDESC_CD_2_TTB1_WIDE		GENMASK_ULL(55, 4)

#define CMDQ_0_OP			GENMASK_ULL(7, 0)
#define CMDQ_0_SSV			BIT_ULL(11)
#define CMDQ_CFGI_0_SSID		GENMASK_ULL(31, 12)
#define CMDQ_CFGI_0_SID			GENMASK_ULL(63, 32)
#define CMDQ_CFGI_1_LEAF		BIT_ULL(0)
#define CMDQ_TLBI_0_NUM			GENMASK_ULL(16, 12)
#define CMDQ_TLBI_0_SCALE		GENMASK_ULL(25, 20)
#define CMDQ_TLBI_0_VMID		GENMASK_ULL(47, 32)
#define CMDQ_TLBI_0_ASID		GENMASK_ULL(63, 48)
#define CMDQ_TLBI_1_LEAF		BIT_ULL(0)
#define CMDQ_TLBI_1_TTL			GENMASK_ULL(9, 8)
#define CMDQ_TLBI_1_TG			GENMASK_ULL(11, 10)
#define CMDQ_TLBI_1_VA_MASK		GENMASK_ULL(63, 12)
#define CMDQ_ATC_0_SSID			GENMASK_ULL(31, 12)
#define CMDQ_ATC_0_SID			GENMASK_ULL(63, 32)
#define CMDQ_ATC_0_GLOBAL		BIT_ULL(9)
#define CMDQ_ATC_1_SIZE			GENMASK_ULL(5, 0)
#define CMDQ_ATC_1_ADDR_MASK		GENMASK_ULL(63, 12)
#define ATC_INV_SIZE_ALL		52

#define CMDQ_OP_CFGI_CD			0x05
#define CMDQ_OP_CFGI_CD_ALL		0x06
#define CMDQ_OP_TLBI_NH_ALL		0x10
#define CMDQ_OP_TLBI_NH_ASID		0x11
#define CMDQ_OP_TLBI_NH_VA		0x12
#define CMDQ_OP_TLBI_NH_VAA		0x13
#define CMDQ_OP_TLBI_NSNH_ALL		0x30
#define CMDQ_OP_ATC_INV			0x40

#define EVTQ_ENT_DWORDS			4
#define EVTQ_0_ID			GENMASK_ULL(7, 0)
#define EVTQ_0_SSV			BIT_ULL(11)
#define EVTQ_0_SSID			GENMASK_ULL(31, 12)
#define EVTQ_0_SID			GENMASK_ULL(63, 32)
#define EVTQ_1_PNU			BIT_ULL(33)
#define EVTQ_1_IND			BIT_ULL(34)
#define EVTQ_1_RNW			BIT_ULL(35)
#define EVTQ_1_S2			BIT_ULL(39)
#define EVTQ_1_CLASS			GENMASK_ULL(41, 40)
#define EVTQ_1_CLASS_CD			0
#define EVTQ_1_CLASS_TT			1
#define EVTQ_1_CLASS_IN			2
#define EVTQ_1_TT_READ			BIT_ULL(44)
#define EVTQ_3_IPA			GENMASK_ULL(51, 12)
#define EVT_ID_BAD_STE_CONFIG		0x04
#define EVT_ID_STREAM_DISABLED_FAULT	0x06
#define EVT_ID_BAD_SUBSTREAMID_CONFIG	0x08
#define EVT_ID_BAD_CD_CONFIG		0x0a
#define EVT_ID_TRANSLATION_FAULT	0x10
#define EVT_ID_ADDR_SIZE_FAULT		0x11
#define EVT_ID_ACCESS_FAULT		0x12
#define EVT_ID_PERMISSION_FAULT		0x13

/* Features, named as in arm-smmu-v3.h where they have an upstream twin */
#define NIO_FEAT_TRANS_S1	BIT(0)
#define NIO_FEAT_TRANS_S2	BIT(1)
#define NIO_FEAT_NESTING	BIT(2)
#define NIO_FEAT_RANGE_INV	BIT(3)
#define NIO_FEAT_ATS		BIT(4)
#define NIO_FEAT_DS		BIT(5)

/*
 * The module's own (stage 2) page tables: ARMv8 VMSA, 4 KiB granule, 4
 * levels, 48 bits.  The guest's stage 1 tables may use any granule that
 * IDR5 advertises (4, 16 or 64 KiB, see nestiommu_dma.c).
 */
#define NIO_IAS			48
#define NIO_OAS			48
#define NIO_PTE_VALID		BIT_ULL(0)
#define NIO_PTE_TABLE		BIT_ULL(1)	/* table (lvl 0-2) or page (lvl 3) */
#define NIO_PTE_ADDR_MASK	GENMASK_ULL(47, 12)
#define NIO_PTE_AP_UNPRIV	BIT_ULL(6)	/* stage 1 AP[1] */
#define NIO_PTE_AP_RDONLY	BIT_ULL(7)	/* stage 1 AP[2] */
#define NIO_PTE_S2AP_R		BIT_ULL(6)	/* stage 2 S2AP[0] */
#define NIO_PTE_S2AP_W		BIT_ULL(7)	/* stage 2 S2AP[1] */
#define NIO_PTE_AF		BIT_ULL(10)

#define NIO_PERM_R		BIT(0)
#define NIO_PERM_W		BIT(1)

struct netlink_ext_ack;
struct nio_smmu;
struct nio_viommu;
struct nio_pci_fn;
struct nio_pci_host;
struct nio_tlb_asid;

/* A paging domain: a stage 2 (NEST_PARENT) or a plain one-stage domain */
struct nio_domain {
	struct iommu_domain domain;
	struct nio_smmu *smmu;
	bool nest_parent;
	/* pgd, every table page and the DMA engine's use of mapped pages */
	struct mutex pt_lock;
	u64 *pgd;
	/* vIOMMUs using this domain as their stage 2 (under pt_lock) */
	struct list_head viommus;
};

/* An armed failure of one enum nestiommu_inject_op (NESTIOMMU_CMD_INJECT_FAIL) */
struct nio_inject_fail {
	u32 count;			/* operations left to fail */
	u32 skip;			/* operations let through before those */
	int err;			/* negative errno */
};

/* The vIOMMU: IOMMU_VIOMMU_TYPE_ARM_SMMUV3 */
struct nio_viommu {
	struct iommufd_viommu core;
	struct nio_smmu *smmu;
	struct nio_domain *s2;
	struct list_head s2_node;	/* in s2->viommus */
	u16 vmid;
	/* Fault injection: inject_lock guards fail[] */
	spinlock_t inject_lock;
	struct nio_inject_fail fail[__NESTIOMMU_INJECT_MAX];
};

/* A nested domain: the guest's vSTE over the vIOMMU's stage 2 */
struct nio_nested {
	struct iommu_domain domain;
	struct nio_viommu *vsmmu;
	__le64 ste[2];
	bool enable_ats;
};

struct nio_cd_cache {
	u32 ssid;
	bool valid;
	u64 cd[CTXDESC_CD_DWORDS];
};

#define NIO_CD_CACHE_SIZE	8

struct nio_msi_vec {
	unsigned int virq;
	u64 addr;			/* IOVA of the vector's MSI write */
	struct eventfd_ctx *trigger;
};

/*
 * One endpoint: a DMA-capable platform device behind an instance, or a PCIe
 * function on the instance's software host bridge (pdev NULL, pci_fn set).
 */
struct nio_master {
	struct nio_smmu *smmu;
	struct platform_device *pdev;
	struct nio_pci_fn *pci_fn;
	struct vfio_device *vdev;
	unsigned int index;
	u32 sid;
	int open_count;			/* vfio open_device/close_device */

	/*
	 * Held across a whole DMA request and across attach, so that the
	 * configuration the request uses cannot be freed under it.
	 */
	struct mutex dma_lock;
	/* cfg_lock guards everything below (it nests inside xa_lock) */
	spinlock_t cfg_lock;
	enum nestiommu_domain_kind kind;
	struct nio_domain *paging;	/* PAGING or S2 */
	struct nio_nested *nested;	/* NESTED */
	__le64 ste[STRTAB_STE_DWORDS];	/* the installed (physical) STE */
	struct nio_viommu *vmaster;	/* vDEVICE's vIOMMU for events */
	u32 vsid;
	struct nio_cd_cache cd_cache[NIO_CD_CACHE_SIZE];
	unsigned int cd_next;
	/* Bumped by every CFGI_CD(_ALL), under cfg_lock: see nio_get_cd() */
	u64 cd_gen;
	/* The fault of the last DMA request through netlink, if any */
	bool has_last_evt;
	u64 last_evt[EVTQ_ENT_DWORDS];

	/*
	 * The vIOMMU of the endpoint's vDEVICE and its virtual ID (fault
	 * injection's target): set and read under dma_lock; the vDEVICE
	 * holds the vIOMMU, and its destroy clears them.
	 */
	struct nio_viommu *vdev_viommu;
	u32 vdev_vsid;
	/* Injected delay of every DMA completion, microseconds */
	u32 dma_delay_us;

	struct nio_msi_vec msi[NESTIOMMU_MSI_VECTORS];
};

/*
 * One TLB entry: the translation of one stage 1 granule page (4, 16 or
 * 64 KiB: the CD's TG0) of a (VMID, ASID), looked up by any address in
 * that page.  A stage 1 block is cached as the granule pages that were
 * used, each tagged with the block (leaf_va, leaf_shift), so that an
 * invalidation of any address of the block drops them all.  Stage 2 is
 * 4 KiB, so the host pages behind a 16 or 64 KiB page are kept per 4 KiB
 * sub-page in pa[] (NIO_TLB_SUB_* flags), each filled by its first use.
 */
#define NIO_S2_SHIFT		12
/*
 * The DMA loop and the TLB step by PAGE_SIZE over 4 KiB translations: with
 * bigger host pages a copy would run past the page it translated.  Kbuild
 * refuses such a kernel with a message; this catches any other build.
 */
static_assert(PAGE_SHIFT == NIO_S2_SHIFT,
	      "nestiommu.ko needs a kernel with 4 KiB pages");
#define NIO_TLB_SUB_VALID	BIT_ULL(0)
#define NIO_TLB_SUB_PERM	GENMASK_ULL(3, 2)	/* stage 2 NIO_PERM_* */

struct nio_tlb_entry {
	/* in smmu->tlb_hash: changed under tlb_lock, read under RCU-sched */
	struct hlist_node hnode;
	struct rcu_head rcu;
	/*
	 * The invalidation indexes, under tlb_lock: smmu->leaf_hash by
	 * (VMID, ASID, leaf_va, leaf_shift) for TLBI_NH_VA, smmu->vaa_hash
	 * by (VMID, leaf_va, leaf_shift) for TLBI_NH_VAA.  All the granule
	 * pages of one block share a key, so a TLBI finds a block by its
	 * base at each leaf size (nio_tlb_inv_leaves()).
	 */
	struct hlist_node leaf_node;
	struct hlist_node vaa_node;
	struct list_head asid_node;	/* in its nio_tlb_asid */
	struct nio_tlb_asid *group;	/* that nio_tlb_asid */
	u64 va;				/* granule page aligned input address */
	u64 ipa;			/* its stage 1 output */
	u64 leaf_va;			/* the stage 1 page or block it is in */
	u16 vmid;
	u16 asid;
	u8 gshift;			/* granule: 12, 14 or 16 */
	u8 leaf_shift;			/* page or block size, log2 */
	u8 perm;			/* stage 1 NIO_PERM_* */
	u64 pa[];			/* host page | NIO_TLB_SUB_*, per 4 KiB */
};

/* All TLB entries of one (VMID, ASID), so TLBI_NH_ASID scales with them */
struct nio_tlb_asid {
	struct hlist_node hnode;	/* in smmu->asid_hash */
	struct list_head entries;
	unsigned long count;		/* of entries */
	u16 vmid;
	u16 asid;
};

/* One bucket per entry of a full TLB (NIO_TLB_MAX): 2 MiB a table */
#define NIO_TLB_HASH_BITS	18
#define NIO_ASID_HASH_BITS	10

struct nio_smmu {
	int id;
	struct platform_device *pdev;
	struct fwnode_handle *fwnode;
	struct iommu_device iommu;
	bool iommu_registered;
	bool sysfs_added;

	u32 idr[6];
	u32 iidr;
	u32 aidr;
	u32 features;
	unsigned int asid_bits;
	unsigned int ssid_bits;

	/*
	 * masters[], msi window, nr_attached.  masters[0, nr_platform) are
	 * the platform endpoints, the rest the PCIe functions of @pci.
	 */
	struct mutex lock;
	unsigned int nr_masters;
	unsigned int nr_platform;
	struct nio_master **masters;
	struct nio_pci_host *pci;
	unsigned int nr_attached;
	u64 msi_start;
	u64 msi_size;

	struct ida vmid_ida;

	struct fwnode_handle *msi_fwnode;
	struct irq_domain *msi_domain;

	/* TLB */
	spinlock_t tlb_lock;
	unsigned long tlb_count;
	/*
	 * Bumped by every invalidation, under tlb_lock: a translation that
	 * read the guest's tables before an invalidation does not cache its
	 * result after it (nio_tlb_insert())
	 */
	u64 tlb_gen;
	struct hlist_head *tlb_hash;	/* 1 << NIO_TLB_HASH_BITS */
	struct hlist_head *leaf_hash;	/* 1 << NIO_TLB_HASH_BITS */
	struct hlist_head *vaa_hash;	/* 1 << NIO_TLB_HASH_BITS */
	struct hlist_head *asid_hash;	/* 1 << NIO_ASID_HASH_BITS */
	/* Entries per leaf size (log2), and the sizes that have any */
	unsigned long tlb_nr_leaf[BITS_PER_LONG_LONG];
	u64 tlb_leaf_mask;

	atomic64_t cnt[__NESTIOMMU_CNT_MAX];
#ifdef NIO_AUDIT
	struct nio_audit *audit;	/* nestiommu_audit.c */
#endif
};

static inline void nio_count(struct nio_smmu *smmu, enum nestiommu_counter c)
{
	atomic64_inc(&smmu->cnt[c]);
}

extern const struct iommu_ops nio_iommu_ops;
extern unsigned int nio_nr_instances;
extern struct nio_smmu **nio_smmus;
extern struct mutex nio_global_lock;

static inline struct nio_domain *to_nio_domain(struct iommu_domain *d)
{
	return container_of(d, struct nio_domain, domain);
}

static inline struct nio_nested *to_nio_nested(struct iommu_domain *d)
{
	return container_of(d, struct nio_nested, domain);
}

static inline struct nio_viommu *to_nio_viommu(struct iommufd_viommu *v)
{
	return container_of(v, struct nio_viommu, core);
}

/* nestiommu_main.c */
struct nio_master *nio_find_master(u32 instance, u32 index);
int nio_remove_endpoints(int instance);
struct nio_master *nio_master_alloc(struct nio_smmu *smmu, unsigned int index,
				    u32 sid);
void nio_master_free(struct nio_master *master);
int nio_set_fwspec(struct device *dev, struct nio_smmu *smmu, u32 sid);
void nio_free_fwspec(struct device *dev);

static inline struct device *nio_master_dev(struct nio_master *master)
{
	return master->pdev ? &master->pdev->dev : &master->smmu->pdev->dev;
}

/* nestiommu_pci.c */
int nio_pci_init(void);
void nio_pci_exit(void);
int nio_pci_host_create(struct nio_smmu *smmu, unsigned int first,
			unsigned int count);
bool nio_pci_host_busy(struct nio_pci_host *host);
void nio_pci_host_remove_bus(struct nio_pci_host *host);
void nio_pci_host_free(struct nio_pci_host *host);
struct nio_master *nio_pci_dev_master(struct device *dev);

/* nestiommu_iommu.c */
int nio_pt_walk(struct nio_domain *dom, u64 iova, u64 *pa, u8 *perm,
		int *level);
void nio_master_set_vmaster(struct nio_master *master,
			    struct nio_viommu *vsmmu, u32 vsid);
int nio_attach_nested_commit(struct nio_master *master,
			     struct nio_nested *nested,
			     struct nio_viommu *vmaster, u32 vsid);

/* nestiommu_viommu.c */
extern const struct iommufd_viommu_ops nio_vsmmu_ops;
size_t nio_get_viommu_size(struct device *dev, enum iommu_viommu_type type);
int nio_viommu_init(struct iommufd_viommu *viommu, struct iommu_domain *parent,
		    const struct iommu_user_data *user_data);
int nio_report_event(struct nio_master *master, u64 *evt);
int nio_inject_take(struct nio_viommu *vsmmu, enum nestiommu_inject_op op);
int nio_inject_event(struct nio_master *master, const u64 *evt, u32 count,
		     bool raw, struct netlink_ext_ack *extack);

/* nestiommu_dma.c */
u32 nio_idr5_granules(void);
int nio_tlb_init(struct nio_smmu *smmu);
void nio_tlb_destroy(struct nio_smmu *smmu);
unsigned long __nio_tlb_inv_vmid(struct nio_smmu *smmu, u16 vmid);
unsigned long __nio_tlb_inv_asid(struct nio_smmu *smmu, u16 vmid, u16 asid);
unsigned long __nio_tlb_inv_va(struct nio_smmu *smmu, u16 vmid, u16 asid,
			       bool all_asid, u64 va, u64 size);
void nio_tlb_inv_vmid(struct nio_smmu *smmu, u16 vmid);
void nio_tlb_inv_asid(struct nio_smmu *smmu, u16 vmid, u16 asid);
void nio_tlb_inv_va(struct nio_smmu *smmu, u16 vmid, u16 asid, bool all_asid,
		    u64 va, u64 size);
void nio_tlb_inv_all(struct nio_smmu *smmu);
unsigned int nio_cd_cache_inv(struct nio_master *master, bool all, u32 ssid,
			      unsigned int *nssid);
int nio_dma(struct nio_master *master, u32 pasid, u64 iova, void *buf,
	    size_t len, bool write, u64 *evt, bool *has_evt);
int nio_msi_trigger(struct nio_master *master, unsigned int vector);
int nio_bench(struct nio_master *master, u32 mode, u32 pasid, u64 iova,
	      u32 iters, u32 entries, u64 *ns);

/* nestiommu_genl.c */
int nio_genl_init(void);
void nio_genl_exit(void);

/*
 * Invalidation audit (nestiommu_audit.c; NIO_AUDIT=0 at build time leaves
 * it out, and then nio_audit_on() is constant false).
 */
struct nio_audit_rec {
	u64 seq;
	u64 time;			/* ktime_get_ns() of the use */
	u64 va;
	u64 ipa, fresh_ipa;		/* CD records: TTB0 */
	u64 pa, fresh_pa;
	u64 inv_time;
	u32 sid, vsid, ssid;
	u16 vmid, asid, fresh_asid;
	u8 cache;			/* enum nestiommu_audit_cache */
	u8 perm, fresh_perm;		/* stage 1 bits 0-1, stage 2 bits 2-3 */
	u8 fault;			/* event ID of the fresh walk, 0: none */
	u8 inv_op;			/* 0: no covering invalidation known */
	bool has_vsid;
	bool write;
};

#ifdef NIO_AUDIT
struct nio_audit_inv {
	u64 time;			/* 0: unused slot */
	u64 va, last;			/* TLBI_NH_VA/VAA: [va, last] */
	u32 sid, ssid;			/* CFGI: physical SID, CD index */
	u16 vmid, asid;
	u8 op;
};

struct nio_audit {
	bool enabled;			/* READ_ONCE: the hit paths' test */
	spinlock_t lock;		/* everything below */
	u64 seq;			/* records made (next record's seq) */
	unsigned int inv_next;
	struct nio_audit_inv inv[NESTIOMMU_AUDIT_INV_HISTORY];
	struct nio_audit_rec ring[NESTIOMMU_AUDIT_RING];
	u64 cnt[__NESTIOMMU_AUDIT_CNT_MAX];
};

static inline bool nio_audit_on(struct nio_smmu *smmu)
{
	return READ_ONCE(smmu->audit->enabled);
}

int nio_audit_init(struct nio_smmu *smmu);
void nio_audit_destroy(struct nio_smmu *smmu);
void nio_audit_count(struct nio_smmu *smmu, enum nestiommu_audit_counter c,
		     u64 n);
void nio_audit_record(struct nio_master *master, struct nio_audit_rec *rec);
void nio_audit_inv(struct nio_smmu *smmu, u8 op, u16 vmid, u16 asid,
		   u32 sid, u32 ssid, u64 va, u64 size);
void nio_audit_set(struct nio_smmu *smmu, bool enable, bool clear);
void nio_audit_state(struct nio_smmu *smmu, bool *enabled, u64 *seq,
		     u64 *cnt);
bool nio_audit_get_rec(struct nio_smmu *smmu, u64 *seq,
		       struct nio_audit_rec *rec);
unsigned int nio_tlb_vmid_asids(struct nio_smmu *smmu, u16 vmid);
/* nestiommu_genl.c */
void nio_genl_audit_notify(struct nio_smmu *smmu,
			   const struct nio_audit_rec *rec);
#else
static inline bool nio_audit_on(struct nio_smmu *smmu)
{
	return false;
}

static inline int nio_audit_init(struct nio_smmu *smmu)
{
	return 0;
}

static inline void nio_audit_destroy(struct nio_smmu *smmu)
{
}

static inline void nio_audit_count(struct nio_smmu *smmu,
				   enum nestiommu_audit_counter c, u64 n)
{
}

static inline void nio_audit_inv(struct nio_smmu *smmu, u8 op, u16 vmid,
				 u16 asid, u32 sid, u32 ssid, u64 va, u64 size)
{
}

static inline unsigned int nio_tlb_vmid_asids(struct nio_smmu *smmu, u16 vmid)
{
	return 0;
}
#endif

#endif /* _NESTIOMMU_H */
