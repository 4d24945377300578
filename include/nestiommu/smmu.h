/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnestiommu-smmu: control of the nestiommu.ko software SMMUv3 through
 * its generic netlink family "nestiommu" (libnl-3).  A library of its own
 * (libnestiommu-smmu.so.1, pkg-config libnestiommu-smmu, -lnestiommu-smmu),
 * the way libnl ships libnl-genl, so that libnestiommu needs only libc.
 * Every function here is in version NESTIOMMU_SMMU_0.1 (since 0.1), but
 * the fault injection calls, in NESTIOMMU_SMMU_0.2, and the invalidation
 * audit's (nio_smmu_audit_*), in NESTIOMMU_SMMU_0.3.
 *
 * Every operation needs CAP_NET_ADMIN (the module refuses others with
 * -EPERM); DMA, the device and TLB dumps (host physical addresses) and
 * benchmarks need CAP_SYS_ADMIN as well.  Functions return 0 on success, a negative errno on failure,
 * and then also set errno (the convention of the whole library); a NULL
 * handle or output pointer is -EINVAL.  nio_smmu_last_error() gives the
 * module's explanation (netlink extended ack) when it sent one.
 *
 * A struct nio_smmu may be shared by threads: requests on it are
 * serialised (one socket), and nio_smmu_last_error() is per thread, like
 * errno.  For parallel requests open one handle per thread.
 *
 * Instances are numbered from 0 (module parameter "instances"), endpoints
 * within an instance from 0 (parameter "devices").
 */
#ifndef NESTIOMMU_SMMU_H
#define NESTIOMMU_SMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nestiommu/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "No SubstreamID" for the pasid arguments */
#define NIO_SMMU_NO_PASID	0xffffffffU
/* MSI vectors of each endpoint */
#define NIO_SMMU_MSI_VECTORS	4

/* What an endpoint is attached to */
enum nio_smmu_domain {
	NIO_SMMU_DOMAIN_BLOCKED,
	NIO_SMMU_DOMAIN_PAGING,		/* plain paging domain (one stage) */
	NIO_SMMU_DOMAIN_S2,		/* NEST_PARENT paging domain */
	NIO_SMMU_DOMAIN_NESTED,		/* nested: vSTE over a stage 2 */
};

/* Instance counters (index into nio_smmu_instance.counters) */
enum nio_smmu_counter {
	NIO_SMMU_CNT_TRANSLATIONS = 1,
	NIO_SMMU_CNT_TLB_HITS,
	NIO_SMMU_CNT_TLB_MISSES,
	NIO_SMMU_CNT_FAULTS,
	NIO_SMMU_CNT_EVENTS,		/* delivered to a vEVENTQ */
	NIO_SMMU_CNT_EVENTS_LOST,	/* no vEVENTQ (host log) or queue error */
	NIO_SMMU_CNT_MSIS,
	NIO_SMMU_CNT_INV_TLBI_NH_ALL,
	NIO_SMMU_CNT_INV_TLBI_NH_ASID,
	NIO_SMMU_CNT_INV_TLBI_NH_VA,
	NIO_SMMU_CNT_INV_TLBI_NH_VAA,
	NIO_SMMU_CNT_INV_TLBI_NSNH_ALL,
	NIO_SMMU_CNT_INV_ATC_INV,
	NIO_SMMU_CNT_INV_CFGI_CD,
	NIO_SMMU_CNT_INV_CFGI_CD_ALL,
	NIO_SMMU_CNT_INV_REJECTED,
	NIO_SMMU_CNT_TLB_ENTRIES,	/* current number of TLB entries */
	NIO_SMMU_CNT_MAX = NIO_SMMU_CNT_TLB_ENTRIES,
};

enum nio_smmu_bench_mode {
	NIO_SMMU_BENCH_HIT,	/* translations that hit the TLB */
	NIO_SMMU_BENCH_MISS,	/* full nested walks (TLB entry dropped) */
	NIO_SMMU_BENCH_INVAL,	/* TLBI_NH_ASID with N other entries cached */
	/* DMA reads of 4 KiB at iova inside the module */
	NIO_SMMU_BENCH_DMA,
	NIO_SMMU_BENCH_INVAL_VA,  /* TLBI_NH_VA of one page, N others cached */
	NIO_SMMU_BENCH_INVAL_VAA, /* TLBI_NH_VAA of one page, N others */
	/* not timed: N entries without permissions in the device's vIOMMU,
	 * entry i in ASID 1 + i % iters at iova + (i / iters) 4 KiB pages
	 */
	NIO_SMMU_BENCH_FILL,
};

struct nio_smmu;	/* a netlink connection to the module */

struct nio_smmu_instance {
	uint32_t id;
	uint32_t num_devices;
	uint32_t attached;		/* endpoints not blocked */
	uint32_t idr[6];
	uint32_t iidr;
	uint32_t aidr;
	uint64_t msi_start;		/* SW_MSI window */
	uint64_t msi_size;
	uint64_t counters[NIO_SMMU_CNT_MAX + 1];
};

struct nio_smmu_device {
	uint32_t instance;
	uint32_t index;
	uint32_t sid;			/* physical StreamID */
	bool has_vsid;
	uint32_t vsid;			/* virtual StreamID (vDEVICE) */
	enum nio_smmu_domain domain;
	char cdev[32];			/* "vfioN" */
	uint64_t ste[8];		/* the installed STE, CPU order */
	bool has_event;
	uint64_t event[4];		/* fault of the last DMA request */
	uint32_t vmid;			/* nested: the vIOMMU's VMID, else 0 */
};

struct nio_smmu_tlb_entry {
	uint32_t vmid;
	uint32_t asid;
	uint32_t perm;			/* bits 0-1 stage 1 R/W, 2-3 stage 2 */
	uint64_t iova;
	uint64_t ipa;
	uint64_t pa;
};

/*
 * Connect to the family; -ENOENT when the module is not loaded.  The
 * handle (and its socket) is the caller's: free it with nio_smmu_close(),
 * which accepts NULL.
 */
NIO_API int nio_smmu_open(struct nio_smmu **out);
NIO_API void nio_smmu_close(struct nio_smmu *smmu);
/*
 * The module's message for the calling thread's last request on this
 * handle if it failed with one, or "" (never NULL)
 */
NIO_API const char *nio_smmu_last_error(const struct nio_smmu *smmu);

/*
 * Dumps: *out is malloc()ed (the caller free()s it), *n entries; on
 * failure *out is NULL.  nio_smmu_device_get() fills one endpoint,
 * -ENODEV when there is none with that instance and index.
 */
NIO_API int nio_smmu_instances(struct nio_smmu *smmu,
			       struct nio_smmu_instance **out, size_t *n);
NIO_API int nio_smmu_devices(struct nio_smmu *smmu,
			     struct nio_smmu_device **out, size_t *n);
NIO_API int nio_smmu_tlb(struct nio_smmu *smmu, uint32_t instance,
			 struct nio_smmu_tlb_entry **out, size_t *n);
NIO_API int nio_smmu_device_get(struct nio_smmu *smmu, uint32_t instance,
				uint32_t index, struct nio_smmu_device *out);

/* SW_MSI window of an instance; -EBUSY while endpoints are attached */
NIO_API int nio_smmu_set_msi_window(struct nio_smmu *smmu, uint32_t instance,
				    uint64_t start, uint64_t size);
/*
 * Program an endpoint's MSI vector: the IOVA its MSI write goes to and
 * the eventfd signalled when that write lands in the MSI window
 * (eventfd < 0: unregister; keep_fd: leave the eventfd as it is).  The
 * module takes its own reference to the eventfd: the caller keeps its
 * descriptor and closes it when it likes.
 */
NIO_API int nio_smmu_set_msi(struct nio_smmu *smmu, uint32_t instance,
			     uint32_t device, uint32_t vector, uint64_t addr,
			     int eventfd, bool keep_fd);
NIO_API int nio_smmu_msi_trigger(struct nio_smmu *smmu, uint32_t instance,
				 uint32_t device, uint32_t vector);

/*
 * DMA by an endpoint through its translation (pasid NIO_SMMU_NO_PASID for
 * none).  -EFAULT: translation fault (see nio_smmu_device_get().event);
 * -EPERM: blocked or abort configuration.  At most 32 KiB per request.
 */
NIO_API int nio_smmu_dma_read(struct nio_smmu *smmu, uint32_t instance,
			      uint32_t device, uint32_t pasid, uint64_t iova,
			      void *buf, size_t len);
NIO_API int nio_smmu_dma_write(struct nio_smmu *smmu, uint32_t instance,
			       uint32_t device, uint32_t pasid, uint64_t iova,
			       const void *buf, size_t len);

/* Remove the endpoints of one instance (instance < 0: all), before rmmod */
NIO_API int nio_smmu_remove_devices(struct nio_smmu *smmu, int instance);

/* Benchmark; *ns is the total time of @iters measured operations */
NIO_API int nio_smmu_bench(struct nio_smmu *smmu, uint32_t instance,
			   uint32_t device, enum nio_smmu_bench_mode mode,
			   uint32_t pasid, uint64_t iova, uint32_t iters,
			   uint32_t entries, uint64_t *ns);
/* instance < 0: all */
NIO_API int nio_smmu_counters_reset(struct nio_smmu *smmu, int instance);

/*
 * Fault injection (NESTIOMMU_SMMU_0.2, needs CAP_SYS_ADMIN), to test a
 * VMM's event and error paths.  Each is aimed at one endpoint and at the
 * vIOMMU of its vDEVICE: -ENOENT when the endpoint has no vDEVICE.
 */

/*
 * Queue @count (1 to NIO_SMMU_INJECT_MAX_EVENTS) copies of the SMMUv3
 * event record @evt (4 x 64 bits, CPU order, as nio_smmuv3_event_encode()
 * gives them) into the vEVENTQ of the endpoint's vIOMMU, through the
 * kernel's own path for device faults: the reader sees them as real
 * events.  The SID field is replaced by the vDEVICE's virtual ID unless
 * @raw.  Copies that find the queue full are lost as real events are: the
 * reader gets the kernel's LOST_EVENTS marker, or a sequence gap when it
 * read in between; NIO_SMMU_INJECT_MAX_EVENTS overflows any queue.
 * -ENOENT also when that vIOMMU has no vEVENTQ (none, or destroyed).
 */
#define NIO_SMMU_INJECT_MAX_EVENTS	((1U << 19) + 1)
NIO_API int nio_smmu_inject_event(struct nio_smmu *smmu, uint32_t instance,
				  uint32_t device, const uint64_t evt[4],
				  uint32_t count, bool raw);

/* What nio_smmu_inject_fail() makes fail */
enum nio_smmu_inject_op {
	/* each command of an invalidation array (IOMMU_HWPT_INVALIDATE) */
	NIO_SMMU_INJECT_INVALIDATE,
	/* each nested HWPT allocation (IOMMU_HWPT_ALLOC on the vIOMMU) */
	NIO_SMMU_INJECT_NESTED_ALLOC,
	NIO_SMMU_INJECT_MAX = NIO_SMMU_INJECT_NESTED_ALLOC,
};

/*
 * Arm: after @skip operations @op of the endpoint's vIOMMU went through,
 * the next @count fail with -@err (1 to 4095) before the operation's own
 * checks; an invalidation array stops there, reporting the failing
 * command's index in entry_num as for a real error.  @count 0 disarms.
 * Arming again replaces what was armed.
 */
NIO_API int nio_smmu_inject_fail(struct nio_smmu *smmu, uint32_t instance,
				 uint32_t device, enum nio_smmu_inject_op op,
				 uint32_t count, uint32_t skip, int err);

/*
 * Every DMA completion of the endpoint (netlink DMA requests and the
 * PCIe functions' DMA engine) comes @delay_us microseconds late (at most
 * NIO_SMMU_INJECT_MAX_DELAY_US); 0 turns it off.
 */
#define NIO_SMMU_INJECT_MAX_DELAY_US	10000000U
NIO_API int nio_smmu_inject_dma_delay(struct nio_smmu *smmu,
				      uint32_t instance, uint32_t device,
				      uint32_t delay_us);

/* What is armed on an endpoint (nio_smmu_inject_get()) */
struct nio_smmu_inject {
	uint32_t instance;
	uint32_t index;
	uint32_t dma_delay_us;
	bool has_vdevice;		/* the rest is valid only with one */
	uint32_t vsid;			/* the vDEVICE's virtual ID */
	struct {
		uint32_t count;		/* failures left */
		uint32_t skip;		/* operations let through first */
		int err;		/* positive errno, 0 when disarmed */
	} fail[NIO_SMMU_INJECT_MAX + 1];	/* by enum nio_smmu_inject_op */
};

NIO_API int nio_smmu_inject_get(struct nio_smmu *smmu, uint32_t instance,
				uint32_t device, struct nio_smmu_inject *out);

/* ------------------------------------------------------------------ */
/* Invalidation audit (NESTIOMMU_SMMU_0.3)                              */

/*
 * Per instance, off by default.  While on, every TLB and CD-cache hit of
 * the module is checked against a fresh walk of the guest's tables; when
 * they differ (address, permission, or the fresh walk faults) the guest
 * changed a PTE or CD without the TLBI or CFGI that hardware needs, and the
 * module records a "stale use" (the DMA still uses the cached entry).  The
 * last NIO_SMMU_AUDIT_RING records of an instance are kept (older ones are
 * counted in NIO_SMMU_AUDIT_CNT_DROPPED) and each is also multicast to
 * subscribers (nio_smmu_audit_subscribe()).  Everything here needs
 * CAP_SYS_ADMIN (records carry host physical addresses); a module built
 * without the audit (NIO_AUDIT=0) answers -EOPNOTSUPP.
 */
#define NIO_SMMU_AUDIT_RING	256

enum nio_smmu_audit_cache {
	NIO_SMMU_AUDIT_TLB,		/* a TLB entry (stage 1 and 2) */
	NIO_SMMU_AUDIT_CD,		/* a cached context descriptor */
};

/* Index into nio_smmu_audit_state.counters */
enum nio_smmu_audit_counter {
	NIO_SMMU_AUDIT_CNT_CHECKS = 1,	/* cache hits checked by a fresh walk */
	NIO_SMMU_AUDIT_CNT_STALE_TLB,	/* stale uses of TLB entries */
	NIO_SMMU_AUDIT_CNT_STALE_CD,	/* stale uses of cached CDs */
	NIO_SMMU_AUDIT_CNT_DROPPED,	/* records overwritten in the ring */
	NIO_SMMU_AUDIT_CNT_TLBI_NOOP,	/* TLBIs that dropped nothing */
	NIO_SMMU_AUDIT_CNT_CFGI_NOOP,	/* CFGI_CD(_ALL) that dropped nothing */
	/* TLBI_NH_ALL/NSNH_ALL when the VMID's entries were all of one ASID */
	NIO_SMMU_AUDIT_CNT_TLBI_BROAD,
	/* CFGI_CD_ALL when the StreamID's cached CDs were all of one SSID */
	NIO_SMMU_AUDIT_CNT_CFGI_BROAD,
	NIO_SMMU_AUDIT_CNT_MAX = NIO_SMMU_AUDIT_CNT_CFGI_BROAD,
};

struct nio_smmu_audit_state {
	uint32_t instance;
	bool enabled;
	uint32_t ring_size;		/* records kept */
	uint64_t records;		/* stale uses since the last clear */
	uint64_t counters[NIO_SMMU_AUDIT_CNT_MAX + 1];
};

/* One stale use.  Times are CLOCK_MONOTONIC nanoseconds. */
struct nio_smmu_audit_rec {
	uint32_t instance;
	uint64_t seq;			/* from 0 since the last clear */
	enum nio_smmu_audit_cache cache;
	uint64_t time_ns;
	uint32_t sid;			/* physical StreamID */
	bool has_vsid;
	uint32_t vsid;			/* virtual StreamID (vDEVICE) */
	uint32_t ssid;			/* NIO_SMMU_NO_PASID: none */
	uint32_t vmid;
	uint32_t asid;			/* of the cached entry or CD */
	uint32_t fresh_asid;		/* CD records: the CD's ASID now */
	uint64_t va;			/* input address of the access */
	bool write;
	/*
	 * What the cache gave and what the tables say now.  TLB: IPA and PA
	 * of the 4 KiB page, perm bits 0-1 stage 1 R/W, 2-3 stage 2 R/W (pa
	 * and stage 2 bits 0 when only stage 1 was cached).  CD: ipa is the
	 * CD's TTB0, pa and perm 0.
	 */
	uint64_t ipa, pa;
	uint32_t perm;
	uint64_t fresh_ipa, fresh_pa;
	uint32_t fresh_perm;
	uint32_t fault;			/* fresh walk's fault (event ID), 0: none */
	/*
	 * The newest of the instance's last 64 invalidation commands that
	 * covered this address (TLB) or CD (CFGI): its SMMUv3 opcode and
	 * time; inv_op 0 when none did.
	 */
	uint32_t inv_op;
	uint64_t inv_time_ns;
};

/*
 * Turn the audit of an instance (instance < 0: every instance) on
 * (enable 1) or off (0), or leave it (-1); clear: empty the ring and zero
 * the audit counters and the invalidation history.
 */
NIO_API int nio_smmu_audit_set(struct nio_smmu *smmu, int instance,
			       int enable, bool clear);
/*
 * State of one instance (instance < 0: every instance) and the records in
 * its ring, oldest first.  *states and *recs are malloc()ed (the caller
 * free()s both; NULL on failure); recs may be NULL to skip the records.
 */
NIO_API int nio_smmu_audit_get(struct nio_smmu *smmu, int instance,
			       struct nio_smmu_audit_state **states,
			       size_t *nstates,
			       struct nio_smmu_audit_rec **recs, size_t *nrecs);
/*
 * Subscribe this handle to the stale uses of every instance as they
 * happen: returns a descriptor (>= 0) to poll for POLLIN, owned by the
 * handle; nio_smmu_audit_next() reads one record without blocking
 * (-EAGAIN: none; -ENOBUFS: records were lost because the socket's
 * buffer overflowed, the next call goes on).
 */
NIO_API int nio_smmu_audit_subscribe(struct nio_smmu *smmu);
NIO_API int nio_smmu_audit_next(struct nio_smmu *smmu,
				struct nio_smmu_audit_rec *rec);

#ifdef __cplusplus
}
#endif

#endif
