// SPDX-License-Identifier: GPL-2.0
/*
 * nestiommu.ko: the DMA engine of the endpoints, the TLB and the
 * configuration (CD) cache.
 *
 * A request is translated through the installed STE: for a nested STE the
 * guest's context descriptor is fetched at S1ContextPtr through stage 2,
 * the guest's stage 1 table (VMSAv8-64 with the CD's 4, 16 or 64 KiB
 * granule) is walked with every table address translated through stage 2,
 * and the result goes through stage 2 (4 KiB) to a host page.  Only pages
 * that stage 2 maps are read or written, with the stage 2 domain's pt_lock
 * held, so an unmap (which takes the same lock and flushes the TLB) cannot
 * race with an access.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "nestiommu.h"

#define NIO_TLB_MAX		BIT(18)

/* ------------------------------------------------------------------ */
/* Granules                                                            */

/*
 * granules=: the stage 1 granules IDR5 advertises (a CD selecting another
 * one is C_BAD_CD, as CdIllegal() says).  Default: all three, as QEMU's
 * SMMUv3 and most hardware, which QEMU's accel=on mode requires.
 */
static u32 nio_granules = IDR5_GRAN4K | IDR5_GRAN16K | IDR5_GRAN64K;

static const struct {
	const char *name;
	u32 bit;
} nio_granule_names[] = {
	{ "4k", IDR5_GRAN4K }, { "16k", IDR5_GRAN16K }, { "64k", IDR5_GRAN64K },
};

static int nio_granules_set(const char *val, const struct kernel_param *kp)
{
	char *buf, *p, *tok;
	u32 mask = 0;
	unsigned int i;
	int ret = 0;

	buf = kstrdup(val, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	p = strim(buf);
	while (!ret && (tok = strsep(&p, ",")) != NULL) {
		for (i = 0; i < ARRAY_SIZE(nio_granule_names); i++)
			if (!strcasecmp(tok, nio_granule_names[i].name))
				break;
		if (i == ARRAY_SIZE(nio_granule_names)) {
			pr_err("granules: '%s' is not 4k, 16k or 64k\n", tok);
			ret = -EINVAL;
		} else {
			mask |= nio_granule_names[i].bit;
		}
	}
	kfree(buf);
	if (ret)
		return ret;
	if (!mask)
		return -EINVAL;
	nio_granules = mask;
	return 0;
}

static int nio_granules_get(char *buffer, const struct kernel_param *kp)
{
	unsigned int i;
	int len = 0;

	for (i = 0; i < ARRAY_SIZE(nio_granule_names); i++)
		if (nio_granules & nio_granule_names[i].bit)
			len += sysfs_emit_at(buffer, len, "%s%s", len ? "," : "",
					     nio_granule_names[i].name);
	len += sysfs_emit_at(buffer, len, "\n");
	return len;
}

static const struct kernel_param_ops nio_granules_ops = {
	.set = nio_granules_set,
	.get = nio_granules_get,
};

module_param_cb(granules, &nio_granules_ops, NULL, 0444);
MODULE_PARM_DESC(granules,
		 "Stage 1 granules in IDR5: a list of 4k,16k,64k (default all)");

/* The IDR5.GRAN* bits of every instance */
u32 nio_idr5_granules(void)
{
	return nio_granules;
}

/* Granule size (log2) of CD.TG0 and CD.TG1; 0 for the reserved value */
static unsigned int nio_tg0_shift(u64 cd0)
{
	static const u8 shift[4] = { 12, 16, 14, 0 };

	return shift[FIELD_GET(CTXDESC_CD_0_TCR_TG0, cd0)];
}

static unsigned int nio_tg1_shift(u64 cd0)
{
	static const u8 shift[4] = { 0, 14, 12, 16 };

	return shift[FIELD_GET(CTXDESC_CD_0_TCR_TG1, cd0)];
}

static bool nio_granule_supported(struct nio_smmu *smmu, unsigned int gshift)
{
	switch (gshift) {
	case 12:
		return smmu->idr[5] & IDR5_GRAN4K;
	case 14:
		return smmu->idr[5] & IDR5_GRAN16K;
	case 16:
		return smmu->idr[5] & IDR5_GRAN64K;
	default:
		return false;
	}
}

/*
 * CDTxSZInvalid() for this SMMU: IDR3.STT = 0 caps TxSZ at 39 and IDR5.VAX
 * = 0 (no 52-bit VA, so no 64 KiB granule exception) floors it at 16, for
 * each of the three granules alike.  What differs per granule is how many
 * levels the resulting input size takes (nio_s1_walk()).
 */
static bool nio_txsz_invalid(unsigned int txsz)
{
	return txsz < 16 || txsz > 39;
}

/*
 * Whether a block descriptor is valid at @lvl for granule @gshift without
 * FEAT_LPA/LPA2 (OAS 48, no DS): 4K at levels 1 (1 GiB) and 2 (2 MiB), 16K
 * at level 2 (32 MiB), 64K at level 2 (512 MiB); as io-pgtable-arm's
 * pgsize_bitmap.  Anywhere else a block is a Translation fault.
 */
static bool nio_block_valid(unsigned int gshift, int lvl)
{
	return lvl == 2 || (gshift == 12 && lvl == 1);
}

/* ------------------------------------------------------------------ */
/* TLB                                                                 */

static struct kmem_cache *nio_tlb_cache[3];	/* 4K, 16K, 64K entries */
static DEFINE_MUTEX(nio_tlb_cache_lock);
static unsigned int nio_tlb_cache_users;

static inline unsigned int nio_tlb_nsub(unsigned int gshift)
{
	return 1U << (gshift - NIO_S2_SHIFT);
}

static inline u32 nio_tlb_hash(u16 vmid, u16 asid, u8 gshift, u64 va)
{
	return hash_64((va >> NIO_S2_SHIFT) ^ ((u64)vmid << 48) ^
		       ((u64)asid << 32) ^ ((u64)gshift << 24),
		       NIO_TLB_HASH_BITS);
}

/*
 * The invalidation indexes: (VMID, ASID, leaf) and (VMID, leaf).  The tag
 * is scrambled before it meets the page number, so keys that differ only
 * in how their bits are split between tag and address do not collide.
 */
static inline u32 nio_leaf_hash(u16 vmid, u16 asid, u8 shift, u64 leaf_va)
{
	u64 tag = ((u64)vmid << 32) | ((u64)asid << 8) | shift;

	return hash_64((leaf_va >> NIO_S2_SHIFT) ^ (tag * GOLDEN_RATIO_64),
		       NIO_TLB_HASH_BITS);
}

static inline u32 nio_vaa_hash(u16 vmid, u8 shift, u64 leaf_va)
{
	return nio_leaf_hash(vmid, 0, shift, leaf_va);
}

static inline u32 nio_asid_hash(u16 vmid, u16 asid)
{
	return hash_32(((u32)vmid << 16) | asid, NIO_ASID_HASH_BITS);
}

static void nio_tlb_caches_destroy(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nio_tlb_cache); i++) {
		kmem_cache_destroy(nio_tlb_cache[i]);
		nio_tlb_cache[i] = NULL;
	}
}

static int nio_tlb_caches_create(void)
{
	static const char * const names[] = {
		"nio_tlb_4k", "nio_tlb_16k", "nio_tlb_64k"
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nio_tlb_cache); i++) {
		struct nio_tlb_entry *e;

		nio_tlb_cache[i] =
			kmem_cache_create(names[i],
					  struct_size(e, pa,
						      nio_tlb_nsub(12 + 2 * i)),
					  0, 0, NULL);
		if (!nio_tlb_cache[i]) {
			nio_tlb_caches_destroy();
			return -ENOMEM;
		}
	}
	return 0;
}

static void nio_tlb_free_hashes(struct nio_smmu *smmu)
{
	kvfree(smmu->tlb_hash);
	kvfree(smmu->leaf_hash);
	kvfree(smmu->vaa_hash);
	kvfree(smmu->asid_hash);
	smmu->tlb_hash = NULL;
	smmu->leaf_hash = NULL;
	smmu->vaa_hash = NULL;
	smmu->asid_hash = NULL;
}

int nio_tlb_init(struct nio_smmu *smmu)
{
	unsigned int i;

	spin_lock_init(&smmu->tlb_lock);
	smmu->tlb_hash = kvmalloc_array(1U << NIO_TLB_HASH_BITS,
					sizeof(*smmu->tlb_hash), GFP_KERNEL);
	smmu->leaf_hash = kvmalloc_array(1U << NIO_TLB_HASH_BITS,
					 sizeof(*smmu->leaf_hash), GFP_KERNEL);
	smmu->vaa_hash = kvmalloc_array(1U << NIO_TLB_HASH_BITS,
					sizeof(*smmu->vaa_hash), GFP_KERNEL);
	smmu->asid_hash = kvmalloc_array(1U << NIO_ASID_HASH_BITS,
					 sizeof(*smmu->asid_hash), GFP_KERNEL);
	if (!smmu->tlb_hash || !smmu->leaf_hash || !smmu->vaa_hash ||
	    !smmu->asid_hash)
		goto err;
	for (i = 0; i < (1U << NIO_TLB_HASH_BITS); i++) {
		INIT_HLIST_HEAD(&smmu->tlb_hash[i]);
		INIT_HLIST_HEAD(&smmu->leaf_hash[i]);
		INIT_HLIST_HEAD(&smmu->vaa_hash[i]);
	}
	for (i = 0; i < (1U << NIO_ASID_HASH_BITS); i++)
		INIT_HLIST_HEAD(&smmu->asid_hash[i]);

	mutex_lock(&nio_tlb_cache_lock);
	if (!nio_tlb_cache_users && nio_tlb_caches_create()) {
		mutex_unlock(&nio_tlb_cache_lock);
		goto err;
	}
	nio_tlb_cache_users++;
	mutex_unlock(&nio_tlb_cache_lock);
	return 0;
err:
	nio_tlb_free_hashes(smmu);
	return -ENOMEM;
}

void nio_tlb_destroy(struct nio_smmu *smmu)
{
	if (!smmu->tlb_hash)
		return;
	nio_tlb_inv_all(smmu);
	nio_tlb_free_hashes(smmu);
	mutex_lock(&nio_tlb_cache_lock);
	/* kmem_cache_destroy() waits for the kfree_rcu() of their entries */
	if (!--nio_tlb_cache_users)
		nio_tlb_caches_destroy();
	mutex_unlock(&nio_tlb_cache_lock);
}

static struct nio_tlb_asid *nio_tlb_find_asid(struct nio_smmu *smmu, u16 vmid,
					      u16 asid)
{
	struct nio_tlb_asid *g;

	hlist_for_each_entry(g, &smmu->asid_hash[nio_asid_hash(vmid, asid)],
			     hnode)
		if (g->vmid == vmid && g->asid == asid)
			return g;
	return NULL;
}

/* Out of every index; still visible to RCU readers until a grace period */
static void nio_tlb_unlink(struct nio_smmu *smmu, struct nio_tlb_entry *e)
{
	hlist_del_rcu(&e->hnode);
	hlist_del(&e->leaf_node);
	hlist_del(&e->vaa_node);
	list_del(&e->asid_node);
	e->group->count--;
	if (!--smmu->tlb_nr_leaf[e->leaf_shift])
		smmu->tlb_leaf_mask &= ~BIT_ULL(e->leaf_shift);
	smmu->tlb_count--;
}

static void nio_tlb_del(struct nio_smmu *smmu, struct nio_tlb_entry *e)
{
	nio_tlb_unlink(smmu, e);
	kfree_rcu(e, rcu);
}

static void nio_tlb_free_group(struct nio_tlb_asid *g)
{
	hlist_del(&g->hnode);
	kfree(g);
}

/* Delete one entry, and its (VMID, ASID) group once it is empty */
static void nio_tlb_del_one(struct nio_smmu *smmu, struct nio_tlb_entry *e)
{
	struct nio_tlb_asid *g = e->group;

	nio_tlb_del(smmu, e);
	if (!g->count)
		nio_tlb_free_group(g);
}

/* Returns the number of entries it dropped */
static unsigned long nio_tlb_del_group(struct nio_smmu *smmu,
				       struct nio_tlb_asid *g)
{
	unsigned long n = g->count;
	struct nio_tlb_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &g->entries, asid_node)
		nio_tlb_del(smmu, e);
	nio_tlb_free_group(g);
	return n;
}

/*
 * Every invalidation bumps the generation before it drops anything; the
 * release pairs with the acquire in nio_translate(), so a translation that
 * sees the new generation also sees the guest's table writes that came
 * before the invalidation.
 */
static void nio_tlb_gen_bump(struct nio_smmu *smmu)
{
	lockdep_assert_held(&smmu->tlb_lock);
	/* Pairs with smp_load_acquire() in nio_translate() */
	smp_store_release(&smmu->tlb_gen, smmu->tlb_gen + 1);
}

static void __nio_tlb_inv_all(struct nio_smmu *smmu)
{
	struct nio_tlb_asid *g;
	struct hlist_node *tmp;
	unsigned int i;

	nio_tlb_gen_bump(smmu);
	for (i = 0; i < (1U << NIO_ASID_HASH_BITS); i++)
		hlist_for_each_entry_safe(g, tmp, &smmu->asid_hash[i], hnode)
			nio_tlb_del_group(smmu, g);
}

void nio_tlb_inv_all(struct nio_smmu *smmu)
{
	spin_lock(&smmu->tlb_lock);
	__nio_tlb_inv_all(smmu);
	spin_unlock(&smmu->tlb_lock);
}

/*
 * The __ variants expect smmu->tlb_lock held (a batch of commands) and
 * return the work they did (buckets, entries and probes visited), so that
 * a batch can bound how long it holds the lock.
 */
unsigned long __nio_tlb_inv_vmid(struct nio_smmu *smmu, u16 vmid)
{
	unsigned long work = 1U << NIO_ASID_HASH_BITS;
	struct nio_tlb_asid *g;
	struct hlist_node *tmp;
	unsigned int i;

	nio_tlb_gen_bump(smmu);
	for (i = 0; i < (1U << NIO_ASID_HASH_BITS); i++)
		hlist_for_each_entry_safe(g, tmp, &smmu->asid_hash[i], hnode)
			if (g->vmid == vmid)
				work += nio_tlb_del_group(smmu, g);
	return work;
}

void nio_tlb_inv_vmid(struct nio_smmu *smmu, u16 vmid)
{
	spin_lock(&smmu->tlb_lock);
	__nio_tlb_inv_vmid(smmu, vmid);
	spin_unlock(&smmu->tlb_lock);
}

#ifdef NIO_AUDIT
/* How many ASIDs of @vmid have TLB entries, up to 2 (tlb_lock held) */
unsigned int nio_tlb_vmid_asids(struct nio_smmu *smmu, u16 vmid)
{
	struct nio_tlb_asid *g;
	unsigned int i, n = 0;

	lockdep_assert_held(&smmu->tlb_lock);
	for (i = 0; i < (1U << NIO_ASID_HASH_BITS) && n < 2; i++)
		hlist_for_each_entry(g, &smmu->asid_hash[i], hnode)
			if (g->vmid == vmid && !list_empty(&g->entries) &&
			    ++n >= 2)
				break;
	return n;
}
#endif

/* Costs O(entries of this ASID), whatever else is cached */
unsigned long __nio_tlb_inv_asid(struct nio_smmu *smmu, u16 vmid, u16 asid)
{
	struct nio_tlb_asid *g;

	nio_tlb_gen_bump(smmu);
	g = nio_tlb_find_asid(smmu, vmid, asid);
	return 1 + (g ? nio_tlb_del_group(smmu, g) : 0);
}

void nio_tlb_inv_asid(struct nio_smmu *smmu, u16 vmid, u16 asid)
{
	spin_lock(&smmu->tlb_lock);
	__nio_tlb_inv_asid(smmu, vmid, asid);
	spin_unlock(&smmu->tlb_lock);
}

/*
 * Drop the entries whose stage 1 page or block intersects [va, last]: an
 * invalidation of any address of a 64 KiB page or of a block drops the
 * whole of it, whichever granule the command named.  The walk: every entry
 * of the group.
 */
static unsigned long nio_tlb_inv_group_range(struct nio_smmu *smmu,
					     struct nio_tlb_asid *g, u64 va,
					     u64 last)
{
	unsigned long work = g->count;
	struct nio_tlb_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &g->entries, asid_node)
		if (e->leaf_va <= last &&
		    va <= e->leaf_va + (BIT_ULL(e->leaf_shift) - 1))
			nio_tlb_del(smmu, e);
	if (!g->count)
		nio_tlb_free_group(g);
	return work;
}

/* Drop the entries of one leaf (page or block): all ASIDs if @all_asid */
static unsigned long nio_tlb_inv_leaf(struct nio_smmu *smmu, u16 vmid,
				      u16 asid, bool all_asid, u8 shift,
				      u64 leaf_va)
{
	struct nio_tlb_entry *e;
	struct hlist_node *tmp;
	unsigned long work = 1;

	if (all_asid) {
		hlist_for_each_entry_safe(e, tmp,
					  &smmu->vaa_hash[nio_vaa_hash(vmid, shift,
								       leaf_va)],
					  vaa_node) {
			work++;
			if (e->leaf_va == leaf_va && e->vmid == vmid &&
			    e->leaf_shift == shift)
				nio_tlb_del_one(smmu, e);
		}
	} else {
		hlist_for_each_entry_safe(e, tmp,
					  &smmu->leaf_hash[nio_leaf_hash(vmid, asid,
									 shift,
									 leaf_va)],
					  leaf_node) {
			work++;
			if (e->leaf_va == leaf_va && e->vmid == vmid &&
			    e->asid == asid && e->leaf_shift == shift)
				nio_tlb_del_one(smmu, e);
		}
	}
	return work;
}

/*
 * The pages and blocks that can intersect [va, last] are those whose base
 * is, at each leaf size cached anywhere, between va and last aligned down
 * to it: one probe each.  Returns the number of probes, at most about
 * 2^52 * 7, or what the lookup costs without doing it when @dry.
 */
static u64 nio_tlb_inv_leaves(struct nio_smmu *smmu, u16 vmid, u16 asid,
			      bool all_asid, u64 va, u64 last, bool dry)
{
	u64 mask = smmu->tlb_leaf_mask, n = 0;

	while (mask) {
		unsigned int shift = __ffs64(mask);
		u64 b;

		mask &= mask - 1;
		if (dry) {
			n += (last >> shift) - (va >> shift) + 1;
			continue;
		}
		for (b = va >> shift; b <= last >> shift; b++)
			n += nio_tlb_inv_leaf(smmu, vmid, asid, all_asid, shift,
					      b << shift);
	}
	return n;
}

/*
 * @size: bytes from @va, at least 1.  The cost is proportional to the
 * range: the pages and blocks it can touch are looked up (a one-page TLBI
 * costs a few probes however much is cached), unless that takes more
 * probes than walking what the command can drop: the entries of the ASID,
 * or for TLBI_NH_VAA every group of the VMID.
 */
unsigned long __nio_tlb_inv_va(struct nio_smmu *smmu, u16 vmid, u16 asid,
			       bool all_asid, u64 va, u64 size)
{
	u64 last = size - 1 > U64_MAX - va ? U64_MAX : va + size - 1;
	unsigned long work = 1;
	struct nio_tlb_asid *g;
	struct hlist_node *tmp;
	unsigned int i;
	u64 probes;

	if (!size)
		return 0;
	nio_tlb_gen_bump(smmu);
	if (!all_asid) {
		g = nio_tlb_find_asid(smmu, vmid, asid);
		if (!g)
			return work;
		probes = nio_tlb_inv_leaves(smmu, vmid, asid, false, va, last,
					    true);
		if (probes <= g->count)
			return work + nio_tlb_inv_leaves(smmu, vmid, asid, false,
							 va, last, false);
		return work + nio_tlb_inv_group_range(smmu, g, va, last);
	}

	probes = nio_tlb_inv_leaves(smmu, vmid, 0, true, va, last, true);
	if (probes <= smmu->tlb_count + (1U << NIO_ASID_HASH_BITS))
		return work + nio_tlb_inv_leaves(smmu, vmid, 0, true, va, last,
						 false);
	work += 1U << NIO_ASID_HASH_BITS;
	for (i = 0; i < (1U << NIO_ASID_HASH_BITS); i++)
		hlist_for_each_entry_safe(g, tmp, &smmu->asid_hash[i], hnode)
			if (g->vmid == vmid)
				work += nio_tlb_inv_group_range(smmu, g, va,
								last);
	return work;
}

void nio_tlb_inv_va(struct nio_smmu *smmu, u16 vmid, u16 asid, bool all_asid,
		    u64 va, u64 size)
{
	spin_lock(&smmu->tlb_lock);
	__nio_tlb_inv_va(smmu, vmid, asid, all_asid, va, size);
	spin_unlock(&smmu->tlb_lock);
}

static struct nio_tlb_entry *nio_tlb_lookup(struct nio_smmu *smmu, u16 vmid,
					    u16 asid, u8 gshift, u64 va)
{
	struct nio_tlb_entry *e;

	va &= ~(BIT_ULL(gshift) - 1);
	hlist_for_each_entry_rcu(e, &smmu->tlb_hash[nio_tlb_hash(vmid, asid,
								 gshift, va)],
				 hnode, lockdep_is_held(&smmu->tlb_lock))
		if (e->va == va && e->vmid == vmid && e->asid == asid &&
		    e->gshift == gshift)
			return e;
	return NULL;
}

/* What a translation takes from the TLB, or gives it after a walk */
struct nio_tlb_res {
	u64 ipa;			/* stage 1 output of the 4 KiB page */
	u64 pa;				/* stage 2 output of the 4 KiB page */
	u64 leaf_va;			/* the stage 1 page or block */
	u8 leaf_shift;
	u8 s1perm;
	u8 s2perm;
};

enum nio_tlb_hit { NIO_TLB_MISS, NIO_TLB_HIT_S1, NIO_TLB_HIT };

/*
 * The translation fast path: no lock, the entry is copied out with
 * preemption disabled (an RCU-sched reader; entries are freed with
 * kfree_rcu()).  NIO_TLB_HIT_S1: the stage 1 page is cached, but not yet
 * the host page of this 4 KiB part of it (r->pa is not set).
 */
static enum nio_tlb_hit nio_tlb_lookup_fast(struct nio_smmu *smmu, u16 vmid,
					    u16 asid, u8 gshift, u64 va,
					    struct nio_tlb_res *r)
{
	enum nio_tlb_hit hit = NIO_TLB_MISS;
	struct nio_tlb_entry *e;
	u64 sub;

	preempt_disable();
	e = nio_tlb_lookup(smmu, vmid, asid, gshift, va);
	if (e) {
		unsigned int i = (va - e->va) >> NIO_S2_SHIFT;

		r->ipa = e->ipa + ((u64)i << NIO_S2_SHIFT);
		r->leaf_va = e->leaf_va;
		r->leaf_shift = e->leaf_shift;
		r->s1perm = e->perm;
		sub = READ_ONCE(e->pa[i]);
		if (sub & NIO_TLB_SUB_VALID) {
			r->pa = sub & NIO_PTE_ADDR_MASK;
			r->s2perm = FIELD_GET(NIO_TLB_SUB_PERM, sub);
			hit = NIO_TLB_HIT;
		} else {
			hit = NIO_TLB_HIT_S1;
		}
	}
	preempt_enable();
	return hit;
}

/*
 * Cache the translation of the 4 KiB page of @va: a new entry for its
 * granule page, or the host page of one more 4 KiB part of an existing one.
 * @gen: smmu->tlb_gen before the translation read anything; if an
 * invalidation ran since, the result may be stale and is not cached.
 */
static int nio_tlb_insert(struct nio_smmu *smmu, u16 vmid, u16 asid,
			  u8 gshift, u64 va, const struct nio_tlb_res *r,
			  u64 gen)
{
	u64 gva = va & ~(BIT_ULL(gshift) - 1);
	unsigned int i = (va - gva) >> NIO_S2_SHIFT;
	u64 sub = (r->pa & NIO_PTE_ADDR_MASK) | NIO_TLB_SUB_VALID |
		  FIELD_PREP(NIO_TLB_SUB_PERM, r->s2perm);
	struct kmem_cache *cache = nio_tlb_cache[(gshift - 12) / 2];
	struct nio_tlb_entry *e, *old;
	struct nio_tlb_asid *g, *newg;

	e = kmem_cache_zalloc(cache, GFP_KERNEL);
	newg = kzalloc_obj(*newg);
	if (!e || !newg) {
		kfree(newg);
		if (e)
			kmem_cache_free(cache, e);
		return -ENOMEM;
	}
	e->va = gva;
	e->ipa = (r->ipa & ~(BIT_ULL(NIO_S2_SHIFT) - 1)) -
		 ((u64)i << NIO_S2_SHIFT);
	e->leaf_va = r->leaf_va;
	e->leaf_shift = r->leaf_shift;
	e->gshift = gshift;
	e->vmid = vmid;
	e->asid = asid;
	e->perm = r->s1perm;
	e->pa[i] = sub;

	spin_lock(&smmu->tlb_lock);
	if (smmu->tlb_gen != gen) {
		spin_unlock(&smmu->tlb_lock);
		kmem_cache_free(cache, e);
		kfree(newg);
		return 0;
	}
	old = nio_tlb_lookup(smmu, vmid, asid, gshift, va);
	if (old) {
		/* Another 4 KiB part of a cached page (same stage 1 output) */
		if (old->ipa == e->ipa && old->perm == e->perm)
			WRITE_ONCE(old->pa[i], sub);
		spin_unlock(&smmu->tlb_lock);
		kmem_cache_free(cache, e);
		kfree(newg);
		return 0;
	}
	/* Full: a hardware TLB may drop anything at any time */
	if (smmu->tlb_count >= NIO_TLB_MAX)
		__nio_tlb_inv_all(smmu);
	g = nio_tlb_find_asid(smmu, vmid, asid);
	if (!g) {
		g = newg;
		newg = NULL;
		g->vmid = vmid;
		g->asid = asid;
		INIT_LIST_HEAD(&g->entries);
		hlist_add_head(&g->hnode,
			       &smmu->asid_hash[nio_asid_hash(vmid, asid)]);
	}
	hlist_add_head_rcu(&e->hnode,
			   &smmu->tlb_hash[nio_tlb_hash(vmid, asid, gshift,
							e->va)]);
	hlist_add_head(&e->leaf_node,
		       &smmu->leaf_hash[nio_leaf_hash(vmid, asid, e->leaf_shift,
						      e->leaf_va)]);
	hlist_add_head(&e->vaa_node,
		       &smmu->vaa_hash[nio_vaa_hash(vmid, e->leaf_shift,
						    e->leaf_va)]);
	list_add_tail(&e->asid_node, &g->entries);
	e->group = g;
	g->count++;
	if (!smmu->tlb_nr_leaf[e->leaf_shift]++)
		smmu->tlb_leaf_mask |= BIT_ULL(e->leaf_shift);
	smmu->tlb_count++;
	spin_unlock(&smmu->tlb_lock);
	kfree(newg);
	return 0;
}

/* ------------------------------------------------------------------ */
/* CD cache                                                            */

/*
 * Returns how many cached CDs were dropped and, in *nssid, how many
 * different SSIDs they were of (counted up to 2; for the audit).
 */
unsigned int nio_cd_cache_inv(struct nio_master *master, bool all, u32 ssid,
			      unsigned int *nssid)
{
	unsigned int i, dropped = 0;
	u32 first = 0;

	*nssid = 0;
	spin_lock(&master->cfg_lock);
	master->cd_gen++;
	for (i = 0; i < NIO_CD_CACHE_SIZE; i++) {
		struct nio_cd_cache *c = &master->cd_cache[i];

		if (!c->valid || (!all && c->ssid != ssid))
			continue;
		c->valid = false;
		if (!dropped++)
			first = c->ssid;
		else if (c->ssid != first)
			*nssid = 2;
	}
	spin_unlock(&master->cfg_lock);
	if (dropped && !*nssid)
		*nssid = 1;
	return dropped;
}

/* On a miss, *gen is the CD generation to give nio_cd_cache_put() */
static bool nio_cd_cache_get(struct nio_master *master, u32 ssid, u64 *cd,
			     u64 *gen)
{
	bool hit = false;
	unsigned int i;

	spin_lock(&master->cfg_lock);
	*gen = master->cd_gen;
	for (i = 0; i < NIO_CD_CACHE_SIZE; i++) {
		if (master->cd_cache[i].valid &&
		    master->cd_cache[i].ssid == ssid) {
			memcpy(cd, master->cd_cache[i].cd,
			       sizeof(master->cd_cache[i].cd));
			hit = true;
			break;
		}
	}
	spin_unlock(&master->cfg_lock);
	return hit;
}

/* Not cached if a CFGI_CD ran since the CD was read (stale) */
static void nio_cd_cache_put(struct nio_master *master, u32 ssid, u64 *cd,
			     u64 gen)
{
	struct nio_cd_cache *c;

	spin_lock(&master->cfg_lock);
	if (master->cd_gen != gen) {
		spin_unlock(&master->cfg_lock);
		return;
	}
	c = &master->cd_cache[master->cd_next++ % NIO_CD_CACHE_SIZE];
	c->ssid = ssid;
	memcpy(c->cd, cd, sizeof(c->cd));
	c->valid = true;
	spin_unlock(&master->cfg_lock);
}

/* ------------------------------------------------------------------ */
/* Translation                                                         */

struct nio_xlate {
	struct nio_master *master;
	struct nio_domain *s2;		/* stage 2 or the single stage */
	u16 vmid;
	bool nested;			/* stage 1 enabled */
	u32 ssid;			/* NESTIOMMU_NO_PASID: none */
	u64 ste[2];
	u64 cd[CTXDESC_CD_DWORDS];
	bool cd_valid;
	/* Result */
	u64 ipa;
	u64 pa;
	bool msi;
	bool tlb_hit;
	u64 evt[EVTQ_ENT_DWORDS];
	bool has_evt;
};

static void nio_evt(struct nio_xlate *x, u8 id, u64 addr, bool read)
{
	memset(x->evt, 0, sizeof(x->evt));
	x->evt[0] = FIELD_PREP(EVTQ_0_ID, id) |
		    FIELD_PREP(EVTQ_0_SID, x->master->sid);
	if (x->ssid != NESTIOMMU_NO_PASID)
		x->evt[0] |= EVTQ_0_SSV | FIELD_PREP(EVTQ_0_SSID, x->ssid);
	if (id >= EVT_ID_TRANSLATION_FAULT) {
		if (read)
			x->evt[1] |= EVTQ_1_RNW;
		x->evt[2] = addr;
	}
	x->has_evt = true;
}

/* A stage 2 fault: class is what was being accessed (CD, TT or IN) */
static void nio_evt_s2(struct nio_xlate *x, u8 id, u64 va, u64 ipa,
		       unsigned int class, bool read)
{
	nio_evt(x, id, va, read);
	x->evt[1] |= EVTQ_1_S2 | FIELD_PREP(EVTQ_1_CLASS, class);
	if (class == EVTQ_1_CLASS_TT)
		x->evt[1] |= EVTQ_1_TT_READ;
	x->evt[3] = ipa & EVTQ_3_IPA;
}

/* Stage 2: IPA to host physical, with the permission needed */
static int nio_s2(struct nio_xlate *x, u64 va, u64 ipa, bool write,
		  unsigned int class, u64 *pa, u8 *perm)
{
	int ret;

	ret = nio_pt_walk(x->s2, ipa, pa, perm, NULL);
	if (ret == -ERANGE) {
		nio_evt_s2(x, EVT_ID_ADDR_SIZE_FAULT, va, ipa, class, !write);
		return -EFAULT;
	}
	if (ret) {
		nio_evt_s2(x, EVT_ID_TRANSLATION_FAULT, va, ipa, class, !write);
		return -EFAULT;
	}
	if (!(*perm & (write ? NIO_PERM_W : NIO_PERM_R))) {
		nio_evt_s2(x, EVT_ID_PERMISSION_FAULT, va, ipa, class, !write);
		return -EFAULT;
	}
	return 0;
}

/* Copy from or to a host page that stage 2 maps (pt_lock held) */
static int nio_access_pa(u64 pa, void *buf, size_t len, bool write)
{
	unsigned long pfn = pa >> PAGE_SHIFT;
	struct page *page;
	void *va;

	if (!pfn_valid(pfn))
		return -EFAULT;
	page = pfn_to_page(pfn);
	va = kmap_local_page(page);
	if (write)
		memcpy(va + offset_in_page(pa), buf, len);
	else
		memcpy(buf, va + offset_in_page(pa), len);
	kunmap_local(va);
	return 0;
}

/* Read guest memory (a CD or a descriptor) at an IPA through stage 2 */
static int nio_read_ipa(struct nio_xlate *x, u64 va, u64 ipa, void *buf,
			size_t len, unsigned int class)
{
	u64 pa;
	u8 perm;
	int ret;

	ret = nio_s2(x, va, ipa, false, class, &pa, &perm);
	if (ret)
		return ret;
	return nio_access_pa(pa, buf, len, false);
}

static bool nio_in_msi_window(struct nio_smmu *smmu, u64 ipa)
{
	return ipa >= smmu->msi_start && ipa - smmu->msi_start < smmu->msi_size;
}

static const unsigned int nio_ips_bits[] = { 32, 36, 40, 42, 44, 48, 52, 56 };

/* Effective IPS of a CD: capped to the OAS */
static unsigned int nio_cd_ips(const u64 *cd)
{
	unsigned int bits = nio_ips_bits[FIELD_GET(CTXDESC_CD_0_TCR_IPS, cd[0])];

	return min(bits, NIO_OAS);
}

/*
 * CdIllegal() of the SMMUv3 specification (5.4.2) for this SMMU (AArch64
 * tables only, little endian, no HTTU, no stall, the granules of IDR5, no
 * small translation tables, 48-bit VA and OA): the checks that apply to a
 * half (TTB0 or TTB1) are skipped when its EPDx is set.  A TGx that is
 * reserved or selects a granule IDR5 does not advertise is ILLEGAL, as on
 * hardware and in QEMU's decode_cd().
 */
static bool nio_cd_illegal(struct nio_smmu *smmu, const u64 *cd)
{
	bool epd0 = cd[0] & CTXDESC_CD_0_TCR_EPD0;
	bool epd1 = cd[0] & CTXDESC_CD_0_TCR_EPD1;
	unsigned int t0sz = FIELD_GET(CTXDESC_CD_0_TCR_T0SZ, cd[0]);
	unsigned int t1sz = FIELD_GET(CTXDESC_CD_0_TCR_T1SZ, cd[0]);
	unsigned int ips = nio_cd_ips(cd);

	if (!(cd[0] & CTXDESC_CD_0_V) || !(cd[0] & CTXDESC_CD_0_AA64))
		return true;
	if (cd[0] & (CTXDESC_CD_0_S | CTXDESC_CD_0_TCR_HA |
		     CTXDESC_CD_0_TCR_HD))
		return true;
	if ((!epd0 || !epd1) && (cd[0] & CTXDESC_CD_0_ENDI))
		return true;
	if (!epd0 && (nio_txsz_invalid(t0sz) ||
		      !nio_granule_supported(smmu, nio_tg0_shift(cd[0])) ||
		      ((cd[1] & CTXDESC_CD_1_TTB0_WIDE) >> ips)))
		return true;
	if (!epd1 && (nio_txsz_invalid(t1sz) ||
		      !nio_granule_supported(smmu, nio_tg1_shift(cd[0])) ||
		      ((cd[2] & CTXDESC_CD_2_TTB1_WIDE) >> ips)))
		return true;
	return false;
}

static void nio_audit_cd(struct nio_xlate *x, u64 va, u64 ipa);

/* Fetch and check the CD of x->ssid; C_BAD_CD and friends on error */
static int nio_get_cd(struct nio_xlate *x, u64 va)
{
	u64 ptr = x->ste[0] & STRTAB_STE_0_S1CTXPTR_MASK;
	unsigned int cdmax = FIELD_GET(STRTAB_STE_0_S1CDMAX, x->ste[0]);
	unsigned int dss = FIELD_GET(STRTAB_STE_1_S1DSS, x->ste[1]);
	u64 *cd = x->cd;
	int ret, i;
	u64 gen;
	u32 idx;

	if (x->ssid == NESTIOMMU_NO_PASID) {
		idx = 0;
		if (cdmax && dss == STRTAB_STE_1_S1DSS_TERMINATE) {
			nio_evt(x, EVT_ID_STREAM_DISABLED_FAULT, va, true);
			return -EFAULT;
		}
		if (cdmax && dss == STRTAB_STE_1_S1DSS_BYPASS)
			return 1;	/* stage 1 bypassed */
	} else {
		if (!cdmax || x->ssid >= (1U << cdmax)) {
			nio_evt(x, EVT_ID_BAD_SUBSTREAMID_CONFIG, va, true);
			return -EFAULT;
		}
		idx = x->ssid;
	}

	if (nio_cd_cache_get(x->master, idx, cd, &gen)) {
		if (nio_audit_on(x->master->smmu))
			nio_audit_cd(x, va, ptr + idx * CTXDESC_CD_DWORDS * 8);
		x->cd_valid = true;
		return 0;
	}
	ret = nio_read_ipa(x, va, ptr + idx * CTXDESC_CD_DWORDS * 8, cd,
			   CTXDESC_CD_DWORDS * 8, EVTQ_1_CLASS_CD);
	if (ret)
		return ret;
	for (i = 0; i < CTXDESC_CD_DWORDS; i++)
		cd[i] = le64_to_cpu((__force __le64)cd[i]);

	if (nio_cd_illegal(x->master->smmu, cd)) {
		nio_evt(x, EVT_ID_BAD_CD_CONFIG, va, true);
		return -EFAULT;
	}
	nio_cd_cache_put(x->master, idx, cd, gen);
	x->cd_valid = true;
	return 0;
}

/*
 * Stage 1 walk of the guest's TTB0 table (VMSAv8-64, the CD's TG0 granule);
 * every table read goes through stage 2.  A granule of 2^g bytes resolves
 * g - 3 bits a level and the walk starts at the level that leaves
 * DIV_ROUND_UP(IAS - g, g - 3) levels, as io-pgtable-arm and the Arm ARM
 * (4K: levels 0-3, 16K: 0-3 with a 2-entry level 0 at IAS 48, 64K: 1-3).
 * On success @r has the stage 1 page or block and the output of the
 * 4 KiB page of @va.
 */
static int nio_s1_walk(struct nio_xlate *x, u64 va, bool write,
		       struct nio_tlb_res *r)
{
	unsigned int t0sz = FIELD_GET(CTXDESC_CD_0_TCR_T0SZ, x->cd[0]);
	unsigned int gshift = nio_tg0_shift(x->cd[0]);
	unsigned int oas = nio_cd_ips(x->cd);
	u64 table = x->cd[1] & CTXDESC_CD_1_TTB0_MASK;
	unsigned int stride, ias;
	int lvl;

	/*
	 * No TTB1 walks: an address outside the TTB0 range faults.  With
	 * EPD0 set, nio_cd_illegal() checked neither T0SZ (0 would make the
	 * input size 64 and the shift below undefined) nor TG0, so nothing
	 * is derived from them before this test.
	 */
	if (x->cd[0] & CTXDESC_CD_0_TCR_EPD0) {
		nio_evt(x, EVT_ID_TRANSLATION_FAULT, va, !write);
		return -EFAULT;
	}
	stride = gshift - 3;
	ias = 64 - t0sz;
	lvl = 4 - DIV_ROUND_UP(ias - gshift, stride);
	if (va >> ias) {
		nio_evt(x, EVT_ID_TRANSLATION_FAULT, va, !write);
		return -EFAULT;
	}

	for (;; lvl++) {
		unsigned int shift = gshift + stride * (3 - lvl);
		u64 idx = (va >> shift) & (BIT_ULL(stride) - 1);
		u64 desc, out;
		int ret;

		ret = nio_read_ipa(x, va, (table & ~7ULL) + idx * 8, &desc,
				   sizeof(desc), EVTQ_1_CLASS_TT);
		if (ret)
			return ret;
		desc = le64_to_cpu((__force __le64)desc);

		/* Invalid, reserved at level 3, or a block where none is */
		if (!(desc & NIO_PTE_VALID) ||
		    (lvl == 3 && !(desc & NIO_PTE_TABLE)) ||
		    (lvl < 3 && !(desc & NIO_PTE_TABLE) &&
		     !nio_block_valid(gshift, lvl))) {
			nio_evt(x, EVT_ID_TRANSLATION_FAULT, va, !write);
			return -EFAULT;
		}
		out = desc & GENMASK_ULL(47, gshift);
		if (out >> oas) {
			nio_evt(x, EVT_ID_ADDR_SIZE_FAULT, va, !write);
			return -EFAULT;
		}
		if (lvl < 3 && (desc & NIO_PTE_TABLE)) {
			table = out;
			continue;
		}
		/* A page (level 3) or a block */
		if (!(desc & NIO_PTE_AF)) {
			nio_evt(x, EVT_ID_ACCESS_FAULT, va, !write);
			return -EFAULT;
		}
		r->s1perm = 0;
		if (desc & NIO_PTE_AP_UNPRIV) {
			r->s1perm |= NIO_PERM_R;
			if (!(desc & NIO_PTE_AP_RDONLY))
				r->s1perm |= NIO_PERM_W;
		}
		out &= ~(BIT_ULL(shift) - 1);
		r->leaf_va = va & ~(BIT_ULL(shift) - 1);
		r->leaf_shift = shift;
		r->ipa = out | (va & (BIT_ULL(shift) - 1));
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* Invalidation audit: the fresh walk behind a cache hit               */

#ifdef NIO_AUDIT
/* The event ID of the fault a fresh walk just took, and forget the event */
static u8 nio_audit_fault(struct nio_xlate *x)
{
	u8 id = x->has_evt ? FIELD_GET(EVTQ_0_ID, x->evt[0]) : 0;

	x->has_evt = false;
	return id ? id : EVT_ID_TRANSLATION_FAULT;
}

/*
 * A TLB hit (@r, NIO_TLB_HIT_S1: stage 1 only) checked against a fresh
 * walk of the guest's stage 1 (with the CD in use) and of stage 2.  The
 * translation goes on with @r whatever this finds.
 */
static noinline void nio_audit_tlb(struct nio_xlate *x, u64 va, bool write,
				   enum nio_tlb_hit hit,
				   const struct nio_tlb_res *r, u16 asid)
{
	struct nio_smmu *smmu = x->master->smmu;
	struct nio_audit_rec rec = {
		.cache = NESTIOMMU_AUDIT_CACHE_TLB,
		.ssid = x->ssid,
		.vmid = x->vmid,
		.asid = asid,
		.fresh_asid = asid,
		.va = va,
		.write = write,
		.ipa = r->ipa,
		.perm = r->s1perm,
	};
	struct nio_tlb_res f = {};
	bool s2 = hit == NIO_TLB_HIT;
	u8 perm;

	nio_audit_count(smmu, NESTIOMMU_AUDIT_CNT_CHECKS, 1);
	if (s2) {
		rec.pa = r->pa;
		rec.perm |= r->s2perm << 2;
	}
	if (nio_s1_walk(x, va, write, &f)) {
		rec.fault = nio_audit_fault(x);
		goto stale;
	}
	rec.fresh_ipa = f.ipa & ~(BIT_ULL(NIO_S2_SHIFT) - 1);
	rec.fresh_perm = f.s1perm;
	/* Stage 2 of the fresh IPA, for the record even when it differs */
	if (s2 && !nio_in_msi_window(smmu, rec.fresh_ipa)) {
		if (nio_pt_walk(x->s2, rec.fresh_ipa, &rec.fresh_pa, &perm,
				NULL)) {
			rec.fault = EVT_ID_TRANSLATION_FAULT;
			goto stale;
		}
		rec.fresh_perm |= perm << 2;
		if (rec.fresh_pa != r->pa || perm != r->s2perm)
			goto stale;
	}
	if (rec.fresh_ipa == rec.ipa && f.s1perm == r->s1perm)
		return;
stale:
	nio_audit_record(x->master, &rec);
}

/* A CD-cache hit (x->cd) checked against the CD in guest memory at @ipa */
static noinline void nio_audit_cd(struct nio_xlate *x, u64 va, u64 ipa)
{
	struct nio_smmu *smmu = x->master->smmu;
	struct nio_audit_rec rec = {
		.cache = NESTIOMMU_AUDIT_CACHE_CD,
		.ssid = x->ssid,
		.vmid = x->vmid,
		.asid = FIELD_GET(CTXDESC_CD_0_ASID, x->cd[0]),
		.va = va,
		.ipa = x->cd[1] & CTXDESC_CD_1_TTB0_MASK,
	};
	u64 cd[CTXDESC_CD_DWORDS];
	int i;

	nio_audit_count(smmu, NESTIOMMU_AUDIT_CNT_CHECKS, 1);
	if (nio_read_ipa(x, va, ipa, cd, sizeof(cd), EVTQ_1_CLASS_CD)) {
		rec.fault = nio_audit_fault(x);
		goto stale;
	}
	for (i = 0; i < CTXDESC_CD_DWORDS; i++)
		cd[i] = le64_to_cpu((__force __le64)cd[i]);
	rec.fresh_asid = FIELD_GET(CTXDESC_CD_0_ASID, cd[0]);
	rec.fresh_ipa = cd[1] & CTXDESC_CD_1_TTB0_MASK;
	if (nio_cd_illegal(smmu, cd)) {
		rec.fault = EVT_ID_BAD_CD_CONFIG;
		goto stale;
	}
	if (!memcmp(cd, x->cd, sizeof(cd)))
		return;
stale:
	nio_audit_record(x->master, &rec);
}
#else
static inline void nio_audit_tlb(struct nio_xlate *x, u64 va, bool write,
				 enum nio_tlb_hit hit,
				 const struct nio_tlb_res *r, u16 asid)
{
}

static inline void nio_audit_cd(struct nio_xlate *x, u64 va, u64 ipa)
{
}
#endif

/*
 * Translate one address.  Returns 0 with x->pa (or x->msi), -EFAULT with
 * x->evt on a fault, -EPERM when the configuration aborts silently.
 * Caller holds master->dma_lock and x->s2->pt_lock.
 */
static int nio_translate(struct nio_xlate *x, u64 va, bool write)
{
	struct nio_smmu *smmu = x->master->smmu;
	u8 need = write ? NIO_PERM_W : NIO_PERM_R;
	u64 off = va & (BIT_ULL(NIO_S2_SHIFT) - 1);
	struct nio_tlb_res r = { .ipa = va, .s1perm = NIO_PERM_R | NIO_PERM_W };
	enum nio_tlb_hit hit;
	u8 gshift = 0;
	u16 asid = 0;
	u64 gen;
	int ret;

	/* Before anything is read: the TLB or the guest's tables */
	gen = smp_load_acquire(&smmu->tlb_gen);
	x->msi = false;
	x->tlb_hit = false;
	x->has_evt = false;
	nio_count(smmu, NESTIOMMU_CNT_TRANSLATIONS);

	if (x->nested) {
		if (!x->cd_valid) {
			ret = nio_get_cd(x, va);
			if (ret < 0)
				return ret;
			if (ret > 0)
				goto stage2;	/* S1DSS bypass */
		}
		asid = FIELD_GET(CTXDESC_CD_0_ASID, x->cd[0]);
		gshift = nio_tg0_shift(x->cd[0]);

		hit = nio_tlb_lookup_fast(smmu, x->vmid, asid, gshift, va, &r);
		if (hit != NIO_TLB_MISS && nio_audit_on(smmu))
			nio_audit_tlb(x, va, write, hit, &r, asid);
		switch (hit) {
		case NIO_TLB_HIT:
			x->ipa = r.ipa | off;
			x->pa = r.pa | off;
			nio_count(smmu, NESTIOMMU_CNT_TLB_HITS);
			x->tlb_hit = true;
			if (!(r.s1perm & need)) {
				nio_evt(x, EVT_ID_PERMISSION_FAULT, va, !write);
				return -EFAULT;
			}
			if (!(r.s2perm & need)) {
				nio_evt_s2(x, EVT_ID_PERMISSION_FAULT, va,
					   x->ipa, EVTQ_1_CLASS_IN, !write);
				return -EFAULT;
			}
			return 0;
		case NIO_TLB_HIT_S1:
			/* Stage 1 from the TLB, stage 2 of this 4 KiB part */
			nio_count(smmu, NESTIOMMU_CNT_TLB_HITS);
			x->tlb_hit = true;
			r.ipa |= off;
			break;
		case NIO_TLB_MISS:
			nio_count(smmu, NESTIOMMU_CNT_TLB_MISSES);
			ret = nio_s1_walk(x, va, write, &r);
			if (ret)
				return ret;
			break;
		}
		if (!(r.s1perm & need)) {
			nio_evt(x, EVT_ID_PERMISSION_FAULT, va, !write);
			return -EFAULT;
		}
	} else if (x->ssid != NESTIOMMU_NO_PASID) {
		/* Stage 1 disabled: a SubstreamID is a configuration error */
		nio_evt(x, EVT_ID_BAD_SUBSTREAMID_CONFIG, va, !write);
		return -EFAULT;
	}

stage2:
	x->ipa = r.ipa;
	if (nio_in_msi_window(smmu, r.ipa)) {
		x->msi = true;
		return 0;
	}
	ret = nio_s2(x, va, r.ipa, write, EVTQ_1_CLASS_IN, &r.pa, &r.s2perm);
	if (ret)
		return ret;
	x->pa = r.pa;
	if (x->nested && x->cd_valid)
		nio_tlb_insert(smmu, x->vmid, asid, gshift, va, &r, gen);
	return 0;
}

static void nio_deliver_msi(struct nio_master *master, const void *buf,
			    size_t len)
{
	struct nio_smmu *smmu = master->smmu;
	u32 vector;

	if (len < sizeof(vector)) {
		dev_warn_ratelimited(nio_master_dev(master),
				     "short doorbell write dropped\n");
		return;
	}
	/* The doorbell takes the vector number (like an ITS EventID) */
	vector = le32_to_cpup(buf);
	if (vector >= NESTIOMMU_MSI_VECTORS) {
		dev_warn_ratelimited(nio_master_dev(master),
				     "doorbell write of unknown vector %u\n",
				     vector);
		return;
	}
	nio_count(smmu, NESTIOMMU_CNT_MSIS);
	generic_handle_domain_irq_safe(smmu->msi_domain,
				       master->index * NESTIOMMU_MSI_VECTORS +
				       vector);
}

/*
 * Snapshot the configuration of @master into @x.  Returns -EPERM when the
 * configuration aborts without an event, -EFAULT with an event for an
 * invalid STE.  Caller holds master->dma_lock.
 */
static int nio_xlate_setup(struct nio_master *master, u32 pasid,
			   struct nio_xlate *x)
{
	enum nestiommu_domain_kind kind;
	struct nio_nested *nested;
	struct nio_domain *paging;

	memset(x, 0, sizeof(*x));
	x->master = master;
	x->ssid = pasid;

	spin_lock(&master->cfg_lock);
	kind = master->kind;
	nested = master->nested;
	paging = master->paging;
	x->ste[0] = le64_to_cpu(master->ste[0]);
	x->ste[1] = le64_to_cpu(master->ste[1]);
	spin_unlock(&master->cfg_lock);

	switch (kind) {
	case NESTIOMMU_DOMAIN_PAGING:
	case NESTIOMMU_DOMAIN_S2:
		x->s2 = paging;
		return 0;
	case NESTIOMMU_DOMAIN_NESTED:
		x->s2 = nested->vsmmu->s2;
		x->vmid = nested->vsmmu->vmid;
		if (!(x->ste[0] & STRTAB_STE_0_V)) {
			nio_evt(x, EVT_ID_BAD_STE_CONFIG, 0, true);
			return -EFAULT;
		}
		switch (FIELD_GET(STRTAB_STE_0_CFG, x->ste[0])) {
		case STRTAB_STE_0_CFG_NESTED:
			/*
			 * STE ILLEGAL (SMMUv3 5.2): a 2-level CD table without
			 * IDR0.CD2L, S1CDMax above IDR1.SSIDSIZE, or the
			 * reserved S1DSS value with substreams.
			 */
			if (FIELD_GET(STRTAB_STE_0_S1FMT, x->ste[0]) ||
			    FIELD_GET(STRTAB_STE_0_S1CDMAX, x->ste[0]) >
			    master->smmu->ssid_bits ||
			    (FIELD_GET(STRTAB_STE_0_S1CDMAX, x->ste[0]) &&
			     FIELD_GET(STRTAB_STE_1_S1DSS, x->ste[1]) == 3)) {
				nio_evt(x, EVT_ID_BAD_STE_CONFIG, 0, true);
				return -EFAULT;
			}
			x->nested = true;
			return 0;
		case STRTAB_STE_0_CFG_S2_TRANS:
			return 0;
		default:
			return -EPERM;	/* abort STE */
		}
	default:
		return -EPERM;		/* blocked */
	}
}

int nio_dma(struct nio_master *master, u32 pasid, u64 iova, void *buf,
	    size_t len, bool write, u64 *evt, bool *has_evt)
{
	struct nio_xlate *x;
	size_t done = 0;
	int ret;

	*has_evt = false;
	x = kmalloc_obj(*x);
	if (!x)
		return -ENOMEM;

	mutex_lock(&master->dma_lock);
	ret = nio_xlate_setup(master, pasid, x);
	while (!ret && done < len) {
		u64 va = iova + done;
		/* one translation per 4 KiB (the stage 2 granule) */
		size_t chunk = min_t(size_t, len - done,
				     SZ_4K - (va & (SZ_4K - 1)));

		mutex_lock(&x->s2->pt_lock);
		ret = nio_translate(x, va, write);
		if (!ret && !x->msi)
			ret = nio_access_pa(x->pa, buf + done, chunk, write);
		mutex_unlock(&x->s2->pt_lock);
		if (!ret && x->msi) {
			if (write)
				nio_deliver_msi(master, buf + done, chunk);
			else
				memset(buf + done, 0, chunk);
		}
		done += chunk;
	}
	if (ret == -EFAULT && x->has_evt) {
		nio_report_event(master, x->evt);
		memcpy(evt, x->evt, sizeof(x->evt));
		*has_evt = true;
	} else if (ret == -EPERM) {
		nio_count(master->smmu, NESTIOMMU_CNT_FAULTS);
	}
	mutex_unlock(&master->dma_lock);
	kfree(x);
	return ret;
}

int nio_msi_trigger(struct nio_master *master, unsigned int vector)
{
	__le32 data = cpu_to_le32(vector);
	u64 evt[EVTQ_ENT_DWORDS];
	bool has_evt;

	if (vector >= NESTIOMMU_MSI_VECTORS)
		return -EINVAL;
	return nio_dma(master, NESTIOMMU_NO_PASID,
		       READ_ONCE(master->msi[vector].addr), &data, sizeof(data),
		       true, evt, &has_evt);
}

/* ------------------------------------------------------------------ */
/* Benchmarks                                                          */

/*
 * HIT: one warm-up, then @iters translations timed in blocks of
 * NIO_BENCH_HIT_CHUNK (a TLB hit is cheaper than reading the clock).
 * MISS: the TLB entry is dropped before each translation, each translation
 * is timed on its own and the cost of reading the clock, measured the same
 * way, is subtracted.
 */
/* Translations per pt_lock hold: about a millisecond even under TCG */
#define NIO_BENCH_HIT_CHUNK	1024
#define NIO_BENCH_MISS_CHUNK	16

static int nio_bench_xlate(struct nio_master *master, u32 mode, u32 pasid,
			   u64 iova, u32 iters, u64 *ns)
{
	struct nio_xlate *x;
	u64 total = 0, clk = 0, t0;
	u16 asid;
	u32 i;
	int ret;

	x = kmalloc_obj(*x);
	if (!x)
		return -ENOMEM;
	mutex_lock(&master->dma_lock);
	ret = nio_xlate_setup(master, pasid, x);
	if (!ret && !x->nested)
		ret = -EINVAL;	/* needs a nested (S1 + S2) configuration */
	if (ret)
		goto out;

	/* Warm-up: fetches the CD and fills the TLB */
	mutex_lock(&x->s2->pt_lock);
	ret = nio_translate(x, iova, false);
	mutex_unlock(&x->s2->pt_lock);
	if (!ret && x->msi)
		ret = -EINVAL;
	if (ret)
		goto out;
	asid = FIELD_GET(CTXDESC_CD_0_ASID, x->cd[0]);

	/*
	 * pt_lock only for a chunk of translations at a time, so that
	 * stage 2 map/unmap of the IOAS is not held off for the whole run
	 * (up to 10^7 walks); a fatal signal ends the run.
	 */
	for (i = 0; i < iters && !ret;) {
		u32 end = min(iters, i + (mode == NESTIOMMU_BENCH_HIT ?
					  NIO_BENCH_HIT_CHUNK :
					  NIO_BENCH_MISS_CHUNK));

		mutex_lock(&x->s2->pt_lock);
		if (mode == NESTIOMMU_BENCH_HIT) {
			t0 = ktime_get_ns();
			for (; i < end && !ret; i++) {
				ret = nio_translate(x, iova, false);
				if (!ret && !x->tlb_hit)
					ret = -EAGAIN;
			}
			total += ktime_get_ns() - t0;
		} else {
			for (; i < end && !ret; i++) {
				nio_tlb_inv_va(master->smmu, x->vmid, asid,
					       false, iova, 1);
				t0 = ktime_get_ns();
				ret = nio_translate(x, iova, false);
				total += ktime_get_ns() - t0;
				if (!ret && x->tlb_hit)
					ret = -EAGAIN;
				t0 = ktime_get_ns();
				clk += ktime_get_ns() - t0;
			}
		}
		mutex_unlock(&x->s2->pt_lock);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		cond_resched();
	}
	total = total > clk ? total - clk : 0;
out:
	mutex_unlock(&master->dma_lock);
	kfree(x);
	*ns = total;
	return ret;
}

/*
 * TLBI_NH_ASID cost with @entries entries of other ASIDs cached: they are
 * inserted under VMID 0, which no vIOMMU ever gets (VMIDs start at 1), and
 * removed at the end.
 */
static int nio_bench_inval(struct nio_smmu *smmu, u32 iters, u32 entries,
			   u64 *ns)
{
	const u16 vmid = 0, asid = 0xffff;
	struct nio_tlb_res r = { .leaf_shift = 12 };
	u64 total = 0;
	u32 i, j;
	int ret = 0;

	if (entries > NIO_TLB_MAX / 2)
		return -EINVAL;
	for (i = 0; i < entries && !ret; i++) {
		r.leaf_va = (u64)(i / 1000) << 12;
		/* No walk to order against: the current generation */
		ret = nio_tlb_insert(smmu, vmid, 1 + i % 1000, 12, r.leaf_va,
				     &r, READ_ONCE(smmu->tlb_gen));
	}
	for (i = 0; i < iters && !ret; i++) {
		u64 t0;

		for (j = 0; j < 16 && !ret; j++) {
			r.leaf_va = (u64)j << 12;
			/* As above: no walk, the current generation */
			ret = nio_tlb_insert(smmu, vmid, asid, 12, r.leaf_va,
					     &r, READ_ONCE(smmu->tlb_gen));
		}
		t0 = ktime_get_ns();
		nio_tlb_inv_asid(smmu, vmid, asid);
		total += ktime_get_ns() - t0;
	}
	nio_tlb_inv_vmid(smmu, vmid);
	*ns = total;
	return ret;
}

/* @iters DMA reads of 4 KiB at @iova, after one warm-up */
static int nio_bench_dma(struct nio_master *master, u32 pasid, u64 iova,
			 u32 iters, u64 *ns)
{
	u64 evt[EVTQ_ENT_DWORDS], t0;
	bool has_evt;
	void *buf;
	u32 i;
	int ret;

	buf = kmalloc(SZ_4K, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = nio_dma(master, pasid, iova, buf, SZ_4K, false, evt, &has_evt);
	t0 = ktime_get_ns();
	for (i = 0; i < iters && !ret; i++) {
		ret = nio_dma(master, pasid, iova, buf, SZ_4K, false, evt,
			      &has_evt);
		if (!ret && !(i % 1024)) {
			if (fatal_signal_pending(current))
				ret = -EINTR;
			cond_resched();
		}
	}
	*ns = ktime_get_ns() - t0;
	kfree(buf);
	return ret;
}

/*
 * Drop the benchmark's VMID and free its entries before returning, so that
 * their deferred frees (kfree_rcu()) do not slow down the next run.
 */
static void nio_bench_drop_vmid(struct nio_smmu *smmu, u16 vmid)
{
	struct nio_tlb_entry *e, *etmp;
	struct nio_tlb_asid *g;
	struct hlist_node *tmp;
	LIST_HEAD(dead);
	unsigned int i;

	spin_lock(&smmu->tlb_lock);
	nio_tlb_gen_bump(smmu);
	for (i = 0; i < (1U << NIO_ASID_HASH_BITS); i++) {
		hlist_for_each_entry_safe(g, tmp, &smmu->asid_hash[i], hnode) {
			if (g->vmid != vmid)
				continue;
			list_for_each_entry_safe(e, etmp, &g->entries,
						 asid_node) {
				nio_tlb_unlink(smmu, e);
				list_add(&e->asid_node, &dead);
			}
			nio_tlb_free_group(g);
		}
	}
	spin_unlock(&smmu->tlb_lock);
	/* The lock-free lookups are RCU-sched readers */
	synchronize_rcu();
	list_for_each_entry_safe(e, etmp, &dead, asid_node)
		kmem_cache_free(nio_tlb_cache[(e->gshift - 12) / 2], e);
}

/*
 * Synthetic entries of the benchmarks, without permissions (a translation
 * that hits one faults): a 4 KiB page at @va, or with @gshift 16 a 64 KiB
 * page, or with @leaf_shift 21 a 4 KiB page of a 2 MiB block.
 */
static int nio_bench_insert(struct nio_smmu *smmu, u16 vmid, u16 asid,
			    u8 gshift, u8 leaf_shift, u64 va)
{
	struct nio_tlb_res r = {
		.leaf_va = va & ~(BIT_ULL(leaf_shift) - 1),
		.leaf_shift = leaf_shift,
	};

	/* No walk to order against: the current generation */
	return nio_tlb_insert(smmu, vmid, asid, gshift, va, &r,
			      READ_ONCE(smmu->tlb_gen));
}

/*
 * TLBI_NH_VA (@all_asid false) or TLBI_NH_VAA of one 4 KiB page with
 * @entries other entries cached in the same VMID (0, which no vIOMMU
 * gets), half of them in the ASID of the TLBI: 4 KiB pages, one in eight a
 * 64 KiB page and one in eight a page of a 2 MiB block.  Each of @iters
 * rounds caches the page and times the TLBI that drops it; *@ns is the
 * median TLBI times @iters.
 */
#define NIO_BENCH_VA_BASE	BIT_ULL(32)
#define NIO_BENCH_INVAL_VA_ITERS	100000

static int nio_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int nio_bench_inval_va(struct nio_smmu *smmu, bool all_asid,
			      u32 iters, u32 entries, u64 *ns)
{
	const u16 vmid = 0, asid = 0xffff;
	u64 *t;
	u32 i;
	int ret = 0;

	if (entries > NIO_TLB_MAX - 1 || iters > NIO_BENCH_INVAL_VA_ITERS)
		return -EINVAL;
	t = kvmalloc_array(iters, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	/* Room for all of them, the page and nothing else */
	if (READ_ONCE(smmu->tlb_count) + entries + 1 > NIO_TLB_MAX)
		nio_tlb_inv_all(smmu);
	for (i = 0; i < entries && !ret; i++) {
		u64 va = NIO_BENCH_VA_BASE + (u64)(i >> 1) * SZ_64K;
		u16 a = (i & 1) ? asid : 1 + (i >> 1) % 1000;

		if (i % 8 == 0)
			ret = nio_bench_insert(smmu, vmid, a, 16, 16, va);
		else if (i % 8 == 1)
			ret = nio_bench_insert(smmu, vmid, a, 12, 21, va);
		else
			ret = nio_bench_insert(smmu, vmid, a, 12, 12, va);
		if (!(i % 1024))
			cond_resched();
	}
	for (i = 0; i < iters && !ret; i++) {
		u64 t0;

		ret = nio_bench_insert(smmu, vmid, asid, 12, 12, 0);
		t0 = ktime_get_ns();
		nio_tlb_inv_va(smmu, vmid, asid, all_asid, 0, SZ_4K);
		t[i] = ktime_get_ns() - t0;
	}
	/* Anything that flushed the TLB meanwhile made the run meaningless */
	if (!ret && READ_ONCE(smmu->tlb_count) < entries)
		ret = -EAGAIN;
	nio_bench_drop_vmid(smmu, vmid);
	/*
	 * The median, times @iters: a vCPU that the host preempts (TCG on a
	 * loaded machine) lengthens only some TLBIs, and a sum would be theirs
	 */
	if (!ret) {
		sort(t, iters, sizeof(*t), nio_cmp_u64, NULL);
		*ns = t[iters / 2] * iters;
	}
	kvfree(t);
	return ret;
}

/*
 * Fill the TLB of the device's vIOMMU (VMID) with @entries entries without
 * permissions: entry i is ASID 1 + i % @asids at @va + (i / @asids) pages.
 */
static int nio_bench_fill(struct nio_master *master, u32 asids, u32 entries,
			  u64 va, u64 *ns)
{
	struct nio_smmu *smmu = master->smmu;
	u64 t0 = ktime_get_ns();
	u16 vmid = 0;
	int ret = 0;
	u32 i;

	if (asids > 0xffff || entries > NIO_TLB_MAX ||
	    va > U64_MAX - ((u64)entries << NIO_S2_SHIFT))
		return -EINVAL;
	spin_lock(&master->cfg_lock);
	if (master->kind == NESTIOMMU_DOMAIN_NESTED)
		vmid = master->nested->vsmmu->vmid;
	spin_unlock(&master->cfg_lock);
	if (!vmid)
		return -EINVAL;	/* needs a nested (vIOMMU) configuration */
	for (i = 0; i < entries && !ret; i++) {
		ret = nio_bench_insert(smmu, vmid, 1 + i % asids, 12, 12,
				       va + ((u64)(i / asids) << NIO_S2_SHIFT));
		if (!(i % 1024))
			cond_resched();
	}
	*ns = ktime_get_ns() - t0;
	return ret;
}

int nio_bench(struct nio_master *master, u32 mode, u32 pasid, u64 iova,
	      u32 iters, u32 entries, u64 *ns)
{
	if (!iters || iters > 10000000)
		return -EINVAL;
	switch (mode) {
	case NESTIOMMU_BENCH_HIT:
	case NESTIOMMU_BENCH_MISS:
		return nio_bench_xlate(master, mode, pasid, iova, iters, ns);
	case NESTIOMMU_BENCH_INVAL:
		return nio_bench_inval(master->smmu, iters, entries, ns);
	case NESTIOMMU_BENCH_DMA:
		return nio_bench_dma(master, pasid, iova, iters, ns);
	case NESTIOMMU_BENCH_INVAL_VA:
	case NESTIOMMU_BENCH_INVAL_VAA:
		return nio_bench_inval_va(master->smmu,
					  mode == NESTIOMMU_BENCH_INVAL_VAA,
					  iters, entries, ns);
	case NESTIOMMU_BENCH_FILL:
		return nio_bench_fill(master, iters, entries, iova, ns);
	default:
		return -EINVAL;
	}
}
