// SPDX-License-Identifier: GPL-2.0
/*
 * nestiommu.ko: the invalidation audit (issue 13).
 *
 * A guest SMMUv3 driver that changes a PTE or a CD and forgets the TLBI or
 * CFGI works on some hardware by luck.  With the audit on (per instance,
 * off by default, NESTIOMMU_CMD_AUDIT_SET), every TLB and CD-cache hit is
 * checked against a fresh walk of the guest's tables (nestiommu_dma.c);
 * a difference is a stale use, recorded here in a ring of
 * NESTIOMMU_AUDIT_RING records (the oldest overwritten and counted as
 * dropped) and multicast to the "audit" group.  The DMA still uses the
 * cached entry, as hardware would.
 *
 * Each invalidation command goes into a history of the last
 * NESTIOMMU_AUDIT_INV_HISTORY commands, so that a stale use can say when
 * the guest last invalidated that address: the newest command of the
 * history that covers it (TLBI_NH_ALL/NSNH_ALL: its VMID; NH_ASID: the
 * ASID; NH_VA: the ASID and address range; NH_VAA: the range in any ASID;
 * CFGI_CD: the StreamID and CD; CFGI_CD_ALL: the StreamID).
 *
 * Over-invalidation (counted in nestiommu_viommu.c): a TLBI or CFGI that
 * dropped nothing; a TLBI_NH_ALL or NSNH_ALL when every TLB entry of the
 * VMID was of one ASID (one TLBI_NH_ASID would have done); a CFGI_CD_ALL
 * when the cached CDs of the StreamID were all of one SSID (one CFGI_CD
 * would have done).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/slab.h>

#include "nestiommu.h"

int nio_audit_init(struct nio_smmu *smmu)
{
	smmu->audit = kvzalloc_obj(*smmu->audit);
	if (!smmu->audit)
		return -ENOMEM;
	spin_lock_init(&smmu->audit->lock);
	return 0;
}

void nio_audit_destroy(struct nio_smmu *smmu)
{
	kvfree(smmu->audit);
	smmu->audit = NULL;
}

void nio_audit_count(struct nio_smmu *smmu, enum nestiommu_audit_counter c,
		     u64 n)
{
	struct nio_audit *a = smmu->audit;

	spin_lock(&a->lock);
	a->cnt[c] += n;
	spin_unlock(&a->lock);
}

void nio_audit_set(struct nio_smmu *smmu, bool enable, bool clear)
{
	struct nio_audit *a = smmu->audit;

	spin_lock(&a->lock);
	if (clear) {
		a->seq = 0;
		a->inv_next = 0;
		memset(a->inv, 0, sizeof(a->inv));
		memset(a->cnt, 0, sizeof(a->cnt));
	}
	WRITE_ONCE(a->enabled, enable);
	spin_unlock(&a->lock);
}

void nio_audit_state(struct nio_smmu *smmu, bool *enabled, u64 *seq,
		     u64 *cnt)
{
	struct nio_audit *a = smmu->audit;

	spin_lock(&a->lock);
	*enabled = a->enabled;
	*seq = a->seq;
	memcpy(cnt, a->cnt, sizeof(a->cnt));
	spin_unlock(&a->lock);
}

/*
 * The record numbered *seq, or the oldest one still in the ring when that
 * one was overwritten (*seq then moves up to it); false when there is none
 * at or after *seq.
 */
bool nio_audit_get_rec(struct nio_smmu *smmu, u64 *seq,
		       struct nio_audit_rec *rec)
{
	struct nio_audit *a = smmu->audit;
	bool ok = false;

	spin_lock(&a->lock);
	if (a->seq > NESTIOMMU_AUDIT_RING &&
	    *seq < a->seq - NESTIOMMU_AUDIT_RING)
		*seq = a->seq - NESTIOMMU_AUDIT_RING;
	if (*seq < a->seq) {
		*rec = a->ring[*seq % NESTIOMMU_AUDIT_RING];
		ok = true;
	}
	spin_unlock(&a->lock);
	return ok;
}

/* Called for every invalidation command while the audit is on */
void nio_audit_inv(struct nio_smmu *smmu, u8 op, u16 vmid, u16 asid,
		   u32 sid, u32 ssid, u64 va, u64 size)
{
	struct nio_audit *a = smmu->audit;
	struct nio_audit_inv *i;

	spin_lock(&a->lock);
	i = &a->inv[a->inv_next++ % NESTIOMMU_AUDIT_INV_HISTORY];
	i->time = ktime_get_ns();
	i->op = op;
	i->vmid = vmid;
	i->asid = asid;
	i->sid = sid;
	i->ssid = ssid;
	i->va = va;
	i->last = size && size - 1 <= U64_MAX - va ? va + size - 1 : U64_MAX;
	spin_unlock(&a->lock);
}

static bool nio_audit_covers(const struct nio_audit_inv *i,
			     const struct nio_audit_rec *r)
{
	u32 cd = r->ssid == NESTIOMMU_NO_PASID ? 0 : r->ssid;
	/* TG = 0 names one address, and so the page around it */
	bool in = (r->va | (SZ_4K - 1)) >= i->va &&
		  (r->va & ~(u64)(SZ_4K - 1)) <= i->last;

	if (!i->time)
		return false;
	if (r->cache == NESTIOMMU_AUDIT_CACHE_CD)
		return i->sid == r->sid &&
		       (i->op == CMDQ_OP_CFGI_CD_ALL ||
			(i->op == CMDQ_OP_CFGI_CD && i->ssid == cd));
	if (i->vmid != r->vmid)
		return false;
	switch (i->op) {
	case CMDQ_OP_TLBI_NH_ALL:
	case CMDQ_OP_TLBI_NSNH_ALL:
		return true;
	case CMDQ_OP_TLBI_NH_ASID:
		return i->asid == r->asid;
	case CMDQ_OP_TLBI_NH_VA:
		return i->asid == r->asid && in;
	case CMDQ_OP_TLBI_NH_VAA:
		return in;
	default:
		return false;
	}
}

/*
 * Record one stale use: @rec has everything but the sequence number, the
 * time, the StreamIDs and the last invalidation.  Process context (the DMA
 * engine's), any of its mutexes held.
 */
void nio_audit_record(struct nio_master *master, struct nio_audit_rec *rec)
{
	struct nio_smmu *smmu = master->smmu;
	struct nio_audit *a = smmu->audit;
	unsigned int k;

	rec->sid = master->sid;
	spin_lock(&master->cfg_lock);
	rec->has_vsid = master->vmaster;
	rec->vsid = master->vsid;
	spin_unlock(&master->cfg_lock);

	spin_lock(&a->lock);
	rec->time = ktime_get_ns();
	rec->seq = a->seq++;
	rec->inv_op = 0;
	rec->inv_time = 0;
	for (k = 1; k <= NESTIOMMU_AUDIT_INV_HISTORY; k++) {
		const struct nio_audit_inv *i =
			&a->inv[(a->inv_next - k) % NESTIOMMU_AUDIT_INV_HISTORY];

		if (nio_audit_covers(i, rec)) {
			rec->inv_op = i->op;
			rec->inv_time = i->time;
			break;
		}
	}
	if (rec->seq >= NESTIOMMU_AUDIT_RING)
		a->cnt[NESTIOMMU_AUDIT_CNT_DROPPED]++;
	a->cnt[rec->cache == NESTIOMMU_AUDIT_CACHE_CD ?
	       NESTIOMMU_AUDIT_CNT_STALE_CD : NESTIOMMU_AUDIT_CNT_STALE_TLB]++;
	a->ring[rec->seq % NESTIOMMU_AUDIT_RING] = *rec;
	spin_unlock(&a->lock);

	nio_genl_audit_notify(smmu, rec);
}
