/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR LGPL-2.1-or-later */
/*
 * nestiommu.ko control interface: generic netlink family "nestiommu".
 *
 * Shared by the module and by the userspace client (lib/genl.c).  Every
 * command needs CAP_NET_ADMIN (GENL_ADMIN_PERM).  Errors come back as a
 * netlink error with a negative errno and, where useful, an extack message.
 */
#ifndef _NESTIOMMU_UAPI_H
#define _NESTIOMMU_UAPI_H

#include <linux/types.h>

#define NESTIOMMU_GENL_NAME	"nestiommu"
#define NESTIOMMU_GENL_VERSION	1

/* Number of MSI vectors of each endpoint */
#define NESTIOMMU_MSI_VECTORS	4

/* NESTIOMMU_ATTR_PASID value meaning "no SubstreamID" (also the default) */
#define NESTIOMMU_NO_PASID	0xffffffffU

enum nestiommu_cmd {
	NESTIOMMU_CMD_UNSPEC,
	NESTIOMMU_CMD_INSTANCE_GET,	/* dump: instances, IDRs, MSI window, counters */
	/*
	 * dump: endpoints: cdev, SID, vSID, what is attached (DOMAIN kind; for
	 * a nested domain the vIOMMU's VMID: iommufd object IDs are not
	 * visible to a driver), installed STE, fault of the last DMA
	 */
	NESTIOMMU_CMD_DEVICE_GET,
	NESTIOMMU_CMD_TLB_GET,		/* dump: TLB entries of one instance */
	NESTIOMMU_CMD_MSI_WINDOW_SET,	/* INSTANCE, MSI_START, MSI_SIZE */
	NESTIOMMU_CMD_MSI_SET,		/* INSTANCE, DEVICE, VECTOR, MSI_ADDR, FD */
	NESTIOMMU_CMD_DMA,		/* INSTANCE, DEVICE, [PASID], IOVA, LEN|DATA, [WRITE] */
	NESTIOMMU_CMD_MSI_TRIGGER,	/* INSTANCE, DEVICE, VECTOR */
	NESTIOMMU_CMD_REMOVE_DEVICES,	/* [INSTANCE] */
	NESTIOMMU_CMD_BENCH,		/* INSTANCE, DEVICE, BENCH_* */
	NESTIOMMU_CMD_COUNTERS_RESET,	/* [INSTANCE] */
	/*
	 * Fault injection (CAP_SYS_ADMIN), aimed at one endpoint and the
	 * vIOMMU of its vDEVICE; ENOENT when it has none, or (INJECT_EVENT)
	 * when that vIOMMU has no vEVENTQ (never allocated or destroyed).
	 */
	/* INSTANCE, DEVICE, EVENT, [INJECT_COUNT], [INJECT_RAW] */
	NESTIOMMU_CMD_INJECT_EVENT,
	/* INSTANCE, DEVICE, INJECT_OP, INJECT_COUNT, [INJECT_ERRNO, INJECT_SKIP] */
	NESTIOMMU_CMD_INJECT_FAIL,
	NESTIOMMU_CMD_INJECT_DMA_DELAY,	/* INSTANCE, DEVICE, DELAY_US */
	/* INSTANCE, DEVICE; reply: DELAY_US, [VSID, INJECT...] */
	NESTIOMMU_CMD_INJECT_GET,
	/* Invalidation audit (issue 13): see "Invalidation audit" below */
	NESTIOMMU_CMD_AUDIT_SET,	/* [INSTANCE], [AUDIT_ENABLE], [AUDIT_CLEAR] */
	NESTIOMMU_CMD_AUDIT_GET,	/* dump: [INSTANCE]: state, then records */
	NESTIOMMU_CMD_AUDIT_EVENT,	/* multicast "audit": one stale use */
	__NESTIOMMU_CMD_MAX,
};

#define NESTIOMMU_CMD_MAX (__NESTIOMMU_CMD_MAX - 1)

enum nestiommu_attr {
	NESTIOMMU_ATTR_UNSPEC,
	NESTIOMMU_ATTR_INSTANCE,	/* u32 */
	NESTIOMMU_ATTR_DEVICE,		/* u32: index of the endpoint in its instance */
	NESTIOMMU_ATTR_NUM_DEVICES,	/* u32 */
	NESTIOMMU_ATTR_IDR,		/* binary: u32 idr[6], iidr, aidr */
	NESTIOMMU_ATTR_MSI_START,	/* u64 */
	NESTIOMMU_ATTR_MSI_SIZE,	/* u64 */
	NESTIOMMU_ATTR_CDEV,		/* string, e.g. "vfio0" */
	NESTIOMMU_ATTR_SID,		/* u32 */
	NESTIOMMU_ATTR_VSID,		/* u32, present when a vDEVICE exists */
	NESTIOMMU_ATTR_DOMAIN,		/* u32: enum nestiommu_domain_kind */
	NESTIOMMU_ATTR_STE,		/* binary: 8 x le64, the installed STE */
	NESTIOMMU_ATTR_VMID,		/* u32 */
	NESTIOMMU_ATTR_ASID,		/* u32 */
	NESTIOMMU_ATTR_IOVA,		/* u64 */
	NESTIOMMU_ATTR_IPA,		/* u64 */
	NESTIOMMU_ATTR_PA,		/* u64 (host physical; dumps only) */
	NESTIOMMU_ATTR_PERM,		/* u32: bit0 read, bit1 write */
	NESTIOMMU_ATTR_PASID,		/* u32, NESTIOMMU_NO_PASID = none */
	NESTIOMMU_ATTR_LEN,		/* u32: bytes to read */
	NESTIOMMU_ATTR_DATA,		/* binary: bytes written / read */
	NESTIOMMU_ATTR_WRITE,		/* flag: DMA write (else read) */
	NESTIOMMU_ATTR_EVENT,		/* binary: 4 x le64 SMMUv3 event record */
	NESTIOMMU_ATTR_VECTOR,		/* u32 */
	NESTIOMMU_ATTR_FD,		/* s32: eventfd, -1 to unregister */
	NESTIOMMU_ATTR_MSI_ADDR,	/* u64: IOVA the vector's MSI write goes to */
	NESTIOMMU_ATTR_COUNTERS,	/* nest: NESTIOMMU_CNT_* (u64 each) */
	NESTIOMMU_ATTR_TLB_ENTRY,	/* nest (in TLB dumps) */
	NESTIOMMU_ATTR_BENCH_MODE,	/* u32: enum nestiommu_bench_mode */
	NESTIOMMU_ATTR_BENCH_ITERS,	/* u32 */
	NESTIOMMU_ATTR_BENCH_ENTRIES,	/* u32: background TLB entries (INVAL) */
	NESTIOMMU_ATTR_BENCH_NS,	/* u64: total nanoseconds measured */
	NESTIOMMU_ATTR_ATTACHED,	/* u32: number of attached endpoints */
	NESTIOMMU_ATTR_PAD,
	/* Fault injection */
	NESTIOMMU_ATTR_INJECT_COUNT,	/* u32: events, or commands to fail */
	NESTIOMMU_ATTR_INJECT_RAW,	/* flag: keep the event's SID field */
	NESTIOMMU_ATTR_INJECT_OP,	/* u32: enum nestiommu_inject_op */
	NESTIOMMU_ATTR_INJECT_ERRNO,	/* u32: positive errno, 1..4095 */
	NESTIOMMU_ATTR_INJECT_SKIP,	/* u32: operations let through first */
	NESTIOMMU_ATTR_DELAY_US,	/* u32: DMA completion delay, 0 = none */
	NESTIOMMU_ATTR_INJECT,		/* nest: OP, COUNT, ERRNO, SKIP */
	/* Invalidation audit */
	NESTIOMMU_ATTR_AUDIT_ENABLE,	/* u8: 0 off, 1 on (SET); state (GET) */
	NESTIOMMU_ATTR_AUDIT_CLEAR,	/* flag: empty the ring, zero counters */
	NESTIOMMU_ATTR_AUDIT_COUNTERS,	/* nest: NESTIOMMU_AUDIT_CNT_* (u64) */
	NESTIOMMU_ATTR_AUDIT_REC,	/* nest: one stale use (attrs below) */
	NESTIOMMU_ATTR_AUDIT_SEQ,	/* u64: number of the stale use, from 0 */
	NESTIOMMU_ATTR_AUDIT_CACHE,	/* u32: enum nestiommu_audit_cache */
	NESTIOMMU_ATTR_AUDIT_TIME,	/* u64: CLOCK_MONOTONIC ns of the use */
	NESTIOMMU_ATTR_AUDIT_FRESH_IPA,	/* u64 */
	NESTIOMMU_ATTR_AUDIT_FRESH_PA,	/* u64 */
	NESTIOMMU_ATTR_AUDIT_FRESH_PERM, /* u32: as PERM */
	NESTIOMMU_ATTR_AUDIT_FRESH_ASID, /* u32 */
	NESTIOMMU_ATTR_AUDIT_FAULT,	/* u32: event ID of the fresh walk's fault */
	NESTIOMMU_ATTR_AUDIT_INV_TIME,	/* u64: CLOCK_MONOTONIC ns */
	NESTIOMMU_ATTR_AUDIT_INV_OP,	/* u32: SMMUv3 opcode of that command */
	NESTIOMMU_ATTR_AUDIT_RING_SIZE,	/* u32: records the ring holds */
	NESTIOMMU_ATTR_AUDIT_BUILT,	/* u8: 0 when built without audit */
	__NESTIOMMU_ATTR_MAX,
};

#define NESTIOMMU_ATTR_MAX (__NESTIOMMU_ATTR_MAX - 1)

enum nestiommu_domain_kind {
	NESTIOMMU_DOMAIN_BLOCKED,
	NESTIOMMU_DOMAIN_PAGING,	/* plain paging domain (S1-like, one stage) */
	NESTIOMMU_DOMAIN_S2,		/* NEST_PARENT paging domain */
	NESTIOMMU_DOMAIN_NESTED,	/* nested: guest vSTE over a stage 2 */
};

enum nestiommu_counter {
	NESTIOMMU_CNT_UNSPEC,
	NESTIOMMU_CNT_TRANSLATIONS,
	NESTIOMMU_CNT_TLB_HITS,
	NESTIOMMU_CNT_TLB_MISSES,
	NESTIOMMU_CNT_FAULTS,
	NESTIOMMU_CNT_EVENTS,		/* delivered to a vEVENTQ */
	NESTIOMMU_CNT_EVENTS_LOST,	/* no vEVENTQ or queue error */
	NESTIOMMU_CNT_MSIS,
	NESTIOMMU_CNT_INV_TLBI_NH_ALL,
	NESTIOMMU_CNT_INV_TLBI_NH_ASID,
	NESTIOMMU_CNT_INV_TLBI_NH_VA,
	NESTIOMMU_CNT_INV_TLBI_NH_VAA,
	NESTIOMMU_CNT_INV_TLBI_NSNH_ALL,
	NESTIOMMU_CNT_INV_ATC_INV,
	NESTIOMMU_CNT_INV_CFGI_CD,
	NESTIOMMU_CNT_INV_CFGI_CD_ALL,
	NESTIOMMU_CNT_INV_REJECTED,
	NESTIOMMU_CNT_TLB_ENTRIES,	/* current number of TLB entries */
	__NESTIOMMU_CNT_MAX,
};

#define NESTIOMMU_CNT_MAX (__NESTIOMMU_CNT_MAX - 1)

enum nestiommu_bench_mode {
	/* ITERS translations of IOVA, all TLB hits (after one warm-up) */
	NESTIOMMU_BENCH_HIT,
	/* ITERS translations of IOVA, each a full nested walk (TLB dropped) */
	NESTIOMMU_BENCH_MISS,
	/*
	 * ENTRIES synthetic TLB entries of other ASIDs are inserted, then
	 * ITERS rounds of (fill 16 entries of ASID, TLBI_NH_ASID) are timed.
	 */
	NESTIOMMU_BENCH_INVAL,
	/*
	 * ITERS DMA reads of 4 KiB at IOVA through nio_dma() (translation,
	 * TLB or walk, and the copy), after one warm-up: DMA throughput
	 * without netlink in the way (the invalidation audit's benchmark)
	 */
	NESTIOMMU_BENCH_DMA,
	/*
	 * ENTRIES synthetic entries in the VMID of the TLBI, half in its
	 * ASID, then ITERS (at most 100000) rounds of (cache one page,
	 * TLBI_NH_VA of it) are timed; INVAL_VAA the same with TLBI_NH_VAA.
	 * NS is ITERS times the median TLBI (robust to a preempted vCPU).
	 */
	NESTIOMMU_BENCH_INVAL_VA,
	NESTIOMMU_BENCH_INVAL_VAA,
	/*
	 * Not a measurement: caches ENTRIES synthetic entries without
	 * permissions in the device's vIOMMU, entry i in ASID 1 + i % ITERS
	 * at IOVA + (i / ITERS) 4 KiB pages; NS is the time it took.
	 */
	NESTIOMMU_BENCH_FILL,
};

/* What NESTIOMMU_CMD_INJECT_FAIL makes fail on the vIOMMU */
enum nestiommu_inject_op {
	/* each command of IOMMU_HWPT_INVALIDATE (cache_invalidate) */
	NESTIOMMU_INJECT_INVALIDATE,
	/* each IOMMU_HWPT_ALLOC of a nested HWPT (alloc_domain_nested) */
	NESTIOMMU_INJECT_NESTED_ALLOC,
	__NESTIOMMU_INJECT_MAX,
};

#define NESTIOMMU_INJECT_MAX (__NESTIOMMU_INJECT_MAX - 1)
/* Injected events per request: enough to overflow any vEVENTQ (2^19) */
#define NESTIOMMU_INJECT_MAX_EVENTS	((1U << 19) + 1)
/* Longest DMA completion delay */
#define NESTIOMMU_MAX_DELAY_US		10000000U
/*
 * Invalidation audit, per instance, off by default (AUDIT_SET, which needs
 * CAP_SYS_ADMIN as AUDIT_GET and the "audit" multicast group do: records
 * carry host physical addresses).  While on, every TLB or CD-cache hit is
 * checked against a fresh walk of the guest's tables; a difference
 * (address, permission, or a fault) is a "stale use": the guest changed a
 * PTE or CD and did not invalidate it.  The DMA still uses the cached
 * entry.  Stale uses go to a ring of NESTIOMMU_AUDIT_RING records (the
 * oldest is overwritten and counted in AUDIT_CNT_DROPPED) and to the
 * "audit" multicast group as AUDIT_EVENT messages.
 *
 * A record (NESTIOMMU_ATTR_AUDIT_REC) holds INSTANCE, SID, VSID (when a
 * vDEVICE exists), PASID (the SSID, NESTIOMMU_NO_PASID for none), VMID,
 * ASID, IOVA (the input address), WRITE (flag), AUDIT_SEQ, AUDIT_CACHE,
 * AUDIT_TIME; the cached IPA/PA/PERM and the fresh AUDIT_FRESH_IPA/PA/PERM
 * (PERM: bits 0-1 stage 1 R/W, bits 2-3 stage 2 R/W), or AUDIT_FAULT when
 * the fresh walk faults; AUDIT_FRESH_ASID; and AUDIT_INV_TIME/AUDIT_INV_OP,
 * the newest of the instance's last NESTIOMMU_AUDIT_INV_HISTORY
 * invalidation commands that covered this address (absent: none did).
 * For a CD-cache record IPA and AUDIT_FRESH_IPA are the CD's TTB0 and
 * ASID/AUDIT_FRESH_ASID its ASID; PA and the permissions are 0.
 */
#define NESTIOMMU_AUDIT_RING		256
#define NESTIOMMU_AUDIT_INV_HISTORY	64
#define NESTIOMMU_AUDIT_MCGRP		"audit"

enum nestiommu_audit_cache {
	NESTIOMMU_AUDIT_CACHE_TLB,	/* a TLB entry (stage 1 and 2) */
	NESTIOMMU_AUDIT_CACHE_CD,	/* a cached context descriptor */
};

enum nestiommu_audit_counter {
	NESTIOMMU_AUDIT_CNT_UNSPEC,
	NESTIOMMU_AUDIT_CNT_CHECKS,	/* cache hits checked by a fresh walk */
	NESTIOMMU_AUDIT_CNT_STALE_TLB,	/* stale uses of a TLB entry */
	NESTIOMMU_AUDIT_CNT_STALE_CD,	/* stale uses of a cached CD */
	NESTIOMMU_AUDIT_CNT_DROPPED,	/* records overwritten in the ring */
	NESTIOMMU_AUDIT_CNT_TLBI_NOOP,	/* TLBI that dropped no entry */
	NESTIOMMU_AUDIT_CNT_CFGI_NOOP,	/* CFGI_CD(_ALL) that dropped no CD */
	/* TLBI_NH_ALL/NSNH_ALL whose entries were all of one ASID */
	NESTIOMMU_AUDIT_CNT_TLBI_BROAD,
	/* CFGI_CD_ALL whose cached CDs were all of one SSID */
	NESTIOMMU_AUDIT_CNT_CFGI_BROAD,
	__NESTIOMMU_AUDIT_CNT_MAX,
};

#define NESTIOMMU_AUDIT_CNT_MAX (__NESTIOMMU_AUDIT_CNT_MAX - 1)

#endif /* _NESTIOMMU_UAPI_H */
