// SPDX-License-Identifier: GPL-2.0
/*
 * nestiommu.ko: PCIe endpoint functions on a software host bridge.
 *
 * Each instance with pci_devices=N > 0 gets a PCI host bridge of its own in
 * a free PCI domain (0x4e10 + instance id, or the next free one up to
 * 0xffff), with one root bus (bus 00) carrying N functions: function i is
 * device i, function 0 (devfn i << 3), and its StreamID is its RID, i << 3.
 * The bridge's config accessors emulate each function's config space
 * (kernel/nestiommu_pci_regs.h): a type-0 header with no BARs, no expansion
 * ROM and no INTx pin, a PCI Express capability (version 2, endpoint, FLR)
 * and a vendor-specific capability holding a DMA engine.
 *
 * The IOMMU core probes a PCI device in its BUS_NOTIFY_ADD_DEVICE handler
 * (iommu_bus_notifier): a device without an fwspec at that point goes to the
 * ops registered with a NULL fwnode (intel-iommu on x86).  So a pci_bus_type
 * notifier of higher priority (notifier chains call higher priorities
 * first) gives the functions of our bridges their fwspec before that, and
 * the core probes them into their instance, one IOMMU group each.  The
 * bridge's MSI domain is the instance's IRQ_DOMAIN_FLAG_ISOLATED_MSI domain
 * (the doorbell path of the platform endpoints), which the functions
 * inherit, so that iommufd accepts them.
 *
 * DMA engine: config writes arrive under the PCI core's pci_lock (a raw
 * spinlock, interrupts off), so a doorbell write only latches the registers
 * under the function's raw spinlock, checks them (an invalid request
 * completes at once with an error code and no DMA) and queues a work item,
 * which runs the transfer through nio_dma() (the two-stage walk, faults to
 * the vEVENTQ) in chunks that do not cross a 4 KiB page, then writes STATUS
 * = DONE | code, RESULT and FAULT_LO/HI.  A doorbell while BUSY is ignored.
 * Bus Master Enable is sampled at the doorbell.  An FLR resets the config
 * space; a transfer still running completes its accesses but its result is
 * discarded.
 *
 * Removal: nio_pci_host_remove_bus() stops and removes the root bus under
 * pci_lock_rescan_remove(), which unbinds the functions' drivers: vfio-pci
 * waits there for its user to close the device (signalling it through the
 * device request eventfd).  The caller holds no lock of this module that
 * netlink needs, and refuses beforehand when a function's DMA is owned by
 * a user (nio_pci_host_busy()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/pci.h>
#ifndef CONFIG_X86
#include <linux/pci-ecam.h>
#endif
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/workqueue.h>

#include "nestiommu.h"
#include "nestiommu_pci_regs.h"

#define NIO_PCI_DOMAIN_BASE	0x4e10
#define NIO_PCI_DOMAIN_MAX	0xffff
#define NIO_PCI_CHUNK		SZ_4K

#define NIO_DMA_REG(r)		(NIO_PCI_CAP_DMA + (r))

/* A transfer latched at the doorbell */
struct nio_pci_req {
	u64 src;
	u64 dst;
	u32 len;
	u32 op;
	u32 data;
	u32 gen;
};

struct nio_pci_fn {
	struct nio_pci_host *host;
	struct nio_master *master;
	u8 devfn;
	/* cfg[], gen and req (nests inside the PCI core's pci_lock) */
	raw_spinlock_t lock;
	u8 cfg[PCI_CFG_SPACE_SIZE];
	u8 wmask[PCI_CFG_SPACE_SIZE];
	u32 gen;
	struct nio_pci_req req;
	struct work_struct work;
};

struct nio_pci_host {
	struct nio_smmu *smmu;
	struct pci_host_bridge *bridge;
	struct pci_bus *bus;		/* NULL once removed */
	struct resource busn;
	int domain;
	unsigned int nr_fns;
	struct nio_pci_fn fns[] __counted_by(nr_fns);
};

/*
 * The bridge's sysdata, freed with the bridge.  On x86 the arch's
 * pci_sysdata carries the domain (as in drivers/pci/controller/vmd.c);
 * elsewhere ACPI's pcibios_root_bridge_prepare() reads a pci_config_window
 * (parent NULL: no ACPI companion, as pci-hyperv does) and the domain is
 * bridge->domain_nr.
 */
struct nio_pci_sysdata {
#ifdef CONFIG_X86
	struct pci_sysdata sd;
#else
	struct pci_config_window sd;
#endif
	struct nio_pci_host *host;
};

static struct workqueue_struct *nio_pci_wq;

static struct nio_pci_fn *nio_pci_fn_of(struct pci_bus *bus,
					unsigned int devfn)
{
	struct nio_pci_sysdata *sd = bus->sysdata;
	struct nio_pci_host *host = sd->host;

	if (!pci_is_root_bus(bus) || PCI_FUNC(devfn) ||
	    PCI_SLOT(devfn) >= host->nr_fns)
		return NULL;
	return &host->fns[PCI_SLOT(devfn)];
}

/* ------------------------------------------------------------------ */
/* Config space                                                        */

static u32 nio_cfg_get(struct nio_pci_fn *fn, unsigned int off)
{
	return get_unaligned_le32(&fn->cfg[off]);
}

static void nio_cfg_set(struct nio_pci_fn *fn, unsigned int off, u32 val,
			u32 wmask)
{
	put_unaligned_le32(val, &fn->cfg[off]);
	put_unaligned_le32(wmask, &fn->wmask[off]);
}

static void nio_cfg_set16(struct nio_pci_fn *fn, unsigned int off, u16 val,
			  u16 wmask)
{
	put_unaligned_le16(val, &fn->cfg[off]);
	put_unaligned_le16(wmask, &fn->wmask[off]);
}

/* Power-on (and FLR) state of a function's config space; fn->lock held */
static void nio_cfg_reset(struct nio_pci_fn *fn)
{
	const unsigned int exp = NIO_PCI_CAP_EXP, dma = NIO_PCI_CAP_DMA;
	unsigned int r;

	memset(fn->cfg, 0, sizeof(fn->cfg));
	memset(fn->wmask, 0, sizeof(fn->wmask));

	nio_cfg_set16(fn, PCI_VENDOR_ID, NIO_PCI_VENDOR_ID, 0);
	nio_cfg_set16(fn, PCI_DEVICE_ID, NIO_PCI_DEVICE_ID, 0);
	/* No BARs: memory and I/O decode stay off */
	nio_cfg_set16(fn, PCI_COMMAND, 0,
		      PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |
		      PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	nio_cfg_set16(fn, PCI_STATUS, PCI_STATUS_CAP_LIST, 0);
	nio_cfg_set(fn, PCI_CLASS_REVISION, NIO_PCI_CLASS << 8 | 1, 0);
	fn->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	fn->wmask[PCI_LATENCY_TIMER] = 0xff;
	fn->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	nio_cfg_set16(fn, PCI_SUBSYSTEM_VENDOR_ID, NIO_PCI_VENDOR_ID, 0);
	nio_cfg_set16(fn, PCI_SUBSYSTEM_ID, NIO_PCI_DEVICE_ID, 0);
	fn->cfg[PCI_CAPABILITY_LIST] = exp;
	fn->wmask[PCI_INTERRUPT_LINE] = 0xff;	/* pin 0: no INTx */

	/* PCI Express capability, version 2, endpoint, 2.5 GT/s x1, FLR */
	fn->cfg[exp + PCI_CAP_LIST_ID] = PCI_CAP_ID_EXP;
	fn->cfg[exp + PCI_CAP_LIST_NEXT] = dma;
	nio_cfg_set16(fn, exp + PCI_EXP_FLAGS,
		      2 | FIELD_PREP(PCI_EXP_FLAGS_TYPE, PCI_EXP_TYPE_ENDPOINT),
		      0);
	nio_cfg_set(fn, exp + PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_FLR, 0);
	nio_cfg_set16(fn, exp + PCI_EXP_DEVCTL,
		      FIELD_PREP(PCI_EXP_DEVCTL_READRQ, 2),	/* 512 bytes */
		      (u16)~PCI_EXP_DEVCTL_BCR_FLR);
	nio_cfg_set(fn, exp + PCI_EXP_LNKCAP,
		    FIELD_PREP(PCI_EXP_LNKCAP_SLS, 1) |
		    FIELD_PREP(PCI_EXP_LNKCAP_MLW, 1), 0);
	nio_cfg_set16(fn, exp + PCI_EXP_LNKCTL, 0,
		      PCI_EXP_LNKCTL_ASPMC | PCI_EXP_LNKCTL_CCC |
		      PCI_EXP_LNKCTL_ES | PCI_EXP_LNKCTL_CLKREQ_EN);
	nio_cfg_set16(fn, exp + PCI_EXP_LNKSTA,
		      FIELD_PREP(PCI_EXP_LNKSTA_CLS, 1) |
		      FIELD_PREP(PCI_EXP_LNKSTA_NLW, 1), 0);
	nio_cfg_set16(fn, exp + PCI_EXP_DEVCTL2, 0, 0xffff);
	nio_cfg_set(fn, exp + PCI_EXP_LNKCAP2, PCI_EXP_LNKCAP2_SLS_2_5GB, 0);
	nio_cfg_set16(fn, exp + PCI_EXP_LNKCTL2, 1, 0xffff);

	/* Vendor-specific capability: the DMA engine */
	fn->cfg[dma + PCI_CAP_LIST_ID] = PCI_CAP_ID_VNDR;
	fn->cfg[dma + PCI_CAP_LIST_NEXT] = 0;
	fn->cfg[dma + PCI_CAP_FLAGS] = NIO_PCI_DMA_CAP_LEN;
	fn->cfg[dma + PCI_CAP_FLAGS + 1] = NIO_PCI_DMA_CAP_VERSION;
	for (r = NIO_PCI_DMA_SRC_LO; r <= NIO_PCI_DMA_DATA; r += 4)
		nio_cfg_set(fn, NIO_DMA_REG(r), 0, ~0u);
	/* DOORBELL reads 0; STATUS, RESULT and FAULT are read-only */
}

/* Check a latched request: an error code, or NIO_PCI_DMA_OK */
static u32 nio_pci_dma_check(struct nio_pci_fn *fn, const struct nio_pci_req *r,
			     u32 pasid)
{
	bool rd = r->op == NIO_PCI_DMA_OP_COPY || r->op == NIO_PCI_DMA_OP_READ;
	bool wr = r->op == NIO_PCI_DMA_OP_COPY || r->op == NIO_PCI_DMA_OP_FILL;

	if (!(get_unaligned_le16(&fn->cfg[PCI_COMMAND]) & PCI_COMMAND_MASTER))
		return NIO_PCI_DMA_ERR_NO_MASTER;
	if (!rd && !wr)
		return NIO_PCI_DMA_ERR_OP;
	/* No PASID capability: a request with a PASID is malformed */
	if (pasid & NIO_PCI_DMA_PASID_VALID)
		return NIO_PCI_DMA_ERR_PASID;
	if (!r->len || r->len > NIO_PCI_DMA_MAX_LEN)
		return NIO_PCI_DMA_ERR_LEN;
	if ((r->len | (rd ? r->src : 0) | (wr ? r->dst : 0)) & 3)
		return NIO_PCI_DMA_ERR_ALIGN;
	if ((rd && r->src + r->len - 1 < r->src) ||
	    (wr && r->dst + r->len - 1 < r->dst))
		return NIO_PCI_DMA_ERR_WRAP;
	return NIO_PCI_DMA_OK;
}

static void nio_pci_dma_complete(struct nio_pci_fn *fn, u32 code, u32 result,
				 u64 fault)
{
	nio_cfg_set(fn, NIO_DMA_REG(NIO_PCI_DMA_STATUS),
		    NIO_PCI_DMA_STATUS_DONE | code, 0);
	nio_cfg_set(fn, NIO_DMA_REG(NIO_PCI_DMA_RESULT), result, 0);
	nio_cfg_set(fn, NIO_DMA_REG(NIO_PCI_DMA_FAULT_LO), lower_32_bits(fault),
		    0);
	nio_cfg_set(fn, NIO_DMA_REG(NIO_PCI_DMA_FAULT_HI), upper_32_bits(fault),
		    0);
}

/* DOORBELL written with GO; fn->lock held, interrupts off */
static void nio_pci_doorbell(struct nio_pci_fn *fn)
{
	struct nio_pci_req r;
	u32 code;

	if (nio_cfg_get(fn, NIO_DMA_REG(NIO_PCI_DMA_STATUS)) &
	    NIO_PCI_DMA_STATUS_BUSY)
		return;
	r.src = nio_cfg_get(fn, NIO_DMA_REG(NIO_PCI_DMA_SRC_LO)) |
		(u64)nio_cfg_get(fn, NIO_DMA_REG(NIO_PCI_DMA_SRC_HI)) << 32;
	r.dst = nio_cfg_get(fn, NIO_DMA_REG(NIO_PCI_DMA_DST_LO)) |
		(u64)nio_cfg_get(fn, NIO_DMA_REG(NIO_PCI_DMA_DST_HI)) << 32;
	r.len = nio_cfg_get(fn, NIO_DMA_REG(NIO_PCI_DMA_LEN));
	r.op = nio_cfg_get(fn, NIO_DMA_REG(NIO_PCI_DMA_OP));
	r.data = nio_cfg_get(fn, NIO_DMA_REG(NIO_PCI_DMA_DATA));
	r.gen = fn->gen;

	code = nio_pci_dma_check(fn, &r,
				 nio_cfg_get(fn, NIO_DMA_REG(NIO_PCI_DMA_PASID)));
	if (code) {
		nio_pci_dma_complete(fn, code, 0, 0);
		return;
	}
	fn->req = r;
	nio_cfg_set(fn, NIO_DMA_REG(NIO_PCI_DMA_STATUS),
		    NIO_PCI_DMA_STATUS_BUSY, 0);
	nio_cfg_set(fn, NIO_DMA_REG(NIO_PCI_DMA_RESULT), 0, 0);
	nio_cfg_set(fn, NIO_DMA_REG(NIO_PCI_DMA_FAULT_LO), 0, 0);
	nio_cfg_set(fn, NIO_DMA_REG(NIO_PCI_DMA_FAULT_HI), 0, 0);
	queue_work(nio_pci_wq, &fn->work);
}

static int nio_pci_read(struct pci_bus *bus, unsigned int devfn, int where,
			int size, u32 *val)
{
	struct nio_pci_fn *fn = nio_pci_fn_of(bus, devfn);
	unsigned long flags;

	if (!fn) {
		PCI_SET_ERROR_RESPONSE(val);
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	if (where + size > PCI_CFG_SPACE_SIZE) {
		*val = 0;		/* no extended capabilities */
		return PCIBIOS_SUCCESSFUL;
	}
	raw_spin_lock_irqsave(&fn->lock, flags);
	switch (size) {
	case 1:
		*val = fn->cfg[where];
		break;
	case 2:
		*val = get_unaligned_le16(&fn->cfg[where]);
		break;
	default:
		*val = get_unaligned_le32(&fn->cfg[where]);
		break;
	}
	raw_spin_unlock_irqrestore(&fn->lock, flags);
	return PCIBIOS_SUCCESSFUL;
}

static bool nio_pci_hits(int where, int size, unsigned int reg)
{
	return where <= reg && reg < where + size;
}

static int nio_pci_write(struct pci_bus *bus, unsigned int devfn, int where,
			 int size, u32 val)
{
	const unsigned int devctl = NIO_PCI_CAP_EXP + PCI_EXP_DEVCTL + 1;
	const unsigned int bell = NIO_DMA_REG(NIO_PCI_DMA_DOORBELL);
	struct nio_pci_fn *fn = nio_pci_fn_of(bus, devfn);
	unsigned long flags;
	bool go = false, flr = false;
	int i;

	if (!fn)
		return PCIBIOS_DEVICE_NOT_FOUND;
	if (where + size > PCI_CFG_SPACE_SIZE)
		return PCIBIOS_SUCCESSFUL;	/* no extended capabilities */

	raw_spin_lock_irqsave(&fn->lock, flags);
	for (i = 0; i < size; i++) {
		u8 b = val >> (8 * i), m = fn->wmask[where + i];

		fn->cfg[where + i] = (fn->cfg[where + i] & ~m) | (b & m);
	}
	/* Byte 0 of DOORBELL holds GO; the byte after DEVCTL's low one FLR */
	if (nio_pci_hits(where, size, bell))
		go = (val >> (8 * (bell - where))) & NIO_PCI_DMA_DOORBELL_GO;
	if (nio_pci_hits(where, size, devctl))
		flr = (val >> (8 * (devctl - where))) &
		      (PCI_EXP_DEVCTL_BCR_FLR >> 8);
	if (flr) {
		fn->gen++;
		nio_cfg_reset(fn);
	} else if (go) {
		nio_pci_doorbell(fn);
	}
	raw_spin_unlock_irqrestore(&fn->lock, flags);
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops nio_pci_ops = {
	.read	= nio_pci_read,
	.write	= nio_pci_write,
};

/* ------------------------------------------------------------------ */
/* DMA engine                                                          */

/* Where a failed nio_dma() faulted: the event's input address if any */
static u64 nio_pci_fault_addr(const u64 *evt, bool has_evt, u64 chunk)
{
	if (has_evt && FIELD_GET(EVTQ_0_ID, evt[0]) >= EVT_ID_TRANSLATION_FAULT)
		return evt[2];
	return chunk;
}

static void nio_pci_dma_work(struct work_struct *work)
{
	struct nio_pci_fn *fn = container_of(work, struct nio_pci_fn, work);
	bool rd, wr, has_evt = false;
	u64 evt[EVTQ_ENT_DWORDS];
	struct nio_pci_req r;
	unsigned long flags;
	u32 done = 0, code = NIO_PCI_DMA_OK, delay;
	u64 fault = 0;
	__le32 *buf;
	int ret = 0;

	raw_spin_lock_irqsave(&fn->lock, flags);
	r = fn->req;
	raw_spin_unlock_irqrestore(&fn->lock, flags);
	rd = r.op == NIO_PCI_DMA_OP_COPY || r.op == NIO_PCI_DMA_OP_READ;
	wr = r.op == NIO_PCI_DMA_OP_COPY || r.op == NIO_PCI_DMA_OP_FILL;

	buf = kmalloc(NIO_PCI_CHUNK, GFP_KERNEL);
	if (!buf) {
		code = NIO_PCI_DMA_ERR_ABORT;
		goto out;
	}
	if (r.op == NIO_PCI_DMA_OP_FILL) {
		unsigned int i;

		for (i = 0; i < NIO_PCI_CHUNK / 4; i++)
			buf[i] = cpu_to_le32(r.data);
	}
	while (done < r.len) {
		u32 chunk = min_t(u32, r.len - done, NIO_PCI_CHUNK);
		u64 src = r.src + done, dst = r.dst + done;

		/* Each chunk stays within one 4 KiB page of either range */
		if (rd)
			chunk = min_t(u32, chunk,
				      NIO_PCI_CHUNK - (src & (NIO_PCI_CHUNK - 1)));
		if (wr)
			chunk = min_t(u32, chunk,
				      NIO_PCI_CHUNK - (dst & (NIO_PCI_CHUNK - 1)));
		if (rd) {
			ret = nio_dma(fn->master, NESTIOMMU_NO_PASID, src, buf,
				      chunk, false, evt, &has_evt);
			if (ret) {
				fault = nio_pci_fault_addr(evt, has_evt, src);
				break;
			}
		}
		if (wr) {
			ret = nio_dma(fn->master, NESTIOMMU_NO_PASID, dst, buf,
				      chunk, true, evt, &has_evt);
			if (ret) {
				fault = nio_pci_fault_addr(evt, has_evt, dst);
				break;
			}
		}
		done += chunk;
		cond_resched();
	}
	kfree(buf);
	if (ret == -EPERM)
		code = NIO_PCI_DMA_ERR_ABORT;	/* the STE aborts the stream */
	else if (ret)
		code = NIO_PCI_DMA_ERR_FAULT;
	/* Fault injection: a slow completion (NESTIOMMU_CMD_INJECT_DMA_DELAY) */
	delay = READ_ONCE(fn->master->dma_delay_us);
	if (delay)
		fsleep(delay);
out:
	raw_spin_lock_irqsave(&fn->lock, flags);
	if (fn->gen == r.gen)
		nio_pci_dma_complete(fn, code, done, fault);
	raw_spin_unlock_irqrestore(&fn->lock, flags);
}

/* ------------------------------------------------------------------ */
/* Discovery by the IOMMU core                                         */

static bool nio_pci_is_ours(struct pci_dev *pdev)
{
	return pci_is_root_bus(pdev->bus) && pdev->bus->ops == &nio_pci_ops;
}

/* The function @dev is, if it is one of ours (for nio_probe_device()) */
struct nio_master *nio_pci_dev_master(struct device *dev)
{
	struct pci_dev *pdev = to_pci_dev(dev);
	struct nio_pci_fn *fn;

	if (!nio_pci_is_ours(pdev))
		return NULL;
	fn = nio_pci_fn_of(pdev->bus, pdev->devfn);
	return fn ? fn->master : NULL;
}

static int nio_pci_notify(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);
	struct nio_master *master;

	if (action != BUS_NOTIFY_ADD_DEVICE || !nio_pci_is_ours(pdev))
		return NOTIFY_DONE;
	master = nio_pci_dev_master(&pdev->dev);
	if (!master || pdev->dev.iommu)
		return NOTIFY_DONE;
	if (nio_set_fwspec(&pdev->dev, master->smmu, master->sid))
		pci_err(pdev, "no fwspec: the IOMMU core will not probe it\n");
	return NOTIFY_OK;
}

/* Before the IOMMU core's iommu_bus_notifier (priority 0) */
static struct notifier_block nio_pci_nb = {
	.notifier_call	= nio_pci_notify,
	.priority	= 1,
};

/* ------------------------------------------------------------------ */
/* Host bridge                                                         */

static bool nio_pci_domain_used(int domain)
{
	struct pci_bus *bus = NULL;

	while ((bus = pci_find_next_bus(bus)))
		if (pci_domain_nr(bus) == domain)
			return true;
	return false;
}

/* A free domain at or above the instance's: reserved in the core's IDA */
static int nio_pci_find_domain(int id)
{
	int d;

	for (d = NIO_PCI_DOMAIN_BASE + id; d <= NIO_PCI_DOMAIN_MAX; d++) {
		if (nio_pci_domain_used(d))
			continue;
		if (pci_bus_find_emul_domain_nr(d, d, d) == d)
			return d;
	}
	return -ENOSPC;
}

bool nio_pci_host_busy(struct nio_pci_host *host)
{
	bool busy = false;
	unsigned int i;

	if (!host->bus)
		return false;
	for (i = 0; i < host->nr_fns && !busy; i++) {
		struct pci_dev *pdev = pci_get_slot(host->bus, PCI_DEVFN(i, 0));

		if (!pdev)
			continue;
		busy = pdev->dev.iommu_group &&
		       iommu_group_dma_owner_claimed(pdev->dev.iommu_group);
		pci_dev_put(pdev);
	}
	return busy;
}

/*
 * Remove the functions and the bridge from the PCI core.  Their drivers are
 * unbound first: vfio-pci waits for its user to close the device.
 */
void nio_pci_host_remove_bus(struct nio_pci_host *host)
{
	unsigned int i;

	if (host->bus) {
		pci_lock_rescan_remove();
		pci_stop_root_bus(host->bus);
		pci_remove_root_bus(host->bus);
		pci_unlock_rescan_remove();
		host->bus = NULL;
		host->bridge = NULL;	/* freed by the PCI core */
	}
	/* No config access is possible now: no new doorbell */
	for (i = 0; i < host->nr_fns; i++)
		if (host->fns[i].master)
			cancel_work_sync(&host->fns[i].work);
}

/* Free what nio_pci_host_remove_bus() left: the functions' state */
void nio_pci_host_free(struct nio_pci_host *host)
{
	unsigned int i;

	if (host->bridge)
		pci_free_host_bridge(host->bridge);	/* never probed */
	for (i = 0; i < host->nr_fns; i++)
		if (host->fns[i].master)
			nio_master_free(host->fns[i].master);
	kfree(host);
}

/*
 * Create the host bridge of @smmu with @count functions, endpoints
 * @first.. of the instance.  On success smmu->pci and smmu->masters[] are
 * set; on failure everything is undone.
 */
int nio_pci_host_create(struct nio_smmu *smmu, unsigned int first,
			unsigned int count)
{
	struct pci_host_bridge *bridge;
	struct nio_pci_sysdata *sd;
	struct nio_pci_host *host;
	struct pci_dev *pdev;
	unsigned int i;
	int ret;

	/* A domain of our own needs the kernel's domain allocator */
	if (!IS_ENABLED(CONFIG_PCI_DOMAINS)) {
		dev_err(&smmu->pdev->dev,
			"pci_devices needs a kernel with CONFIG_PCI_DOMAINS\n");
		return -EOPNOTSUPP;
	}
	host = kzalloc_flex(*host, fns, count);
	if (!host)
		return -ENOMEM;
	host->nr_fns = count;
	host->smmu = smmu;
	for (i = 0; i < count; i++) {
		struct nio_pci_fn *fn = &host->fns[i];
		struct nio_master *master;

		fn->host = host;
		fn->devfn = PCI_DEVFN(i, 0);
		raw_spin_lock_init(&fn->lock);
		INIT_WORK(&fn->work, nio_pci_dma_work);
		nio_cfg_reset(fn);
		/* StreamID = RID: bus 0, so the devfn */
		master = nio_master_alloc(smmu, first + i, fn->devfn);
		if (IS_ERR(master)) {
			ret = PTR_ERR(master);
			goto err_free;
		}
		master->pci_fn = fn;
		fn->master = master;
	}

	bridge = pci_alloc_host_bridge(sizeof(*sd));
	if (!bridge) {
		ret = -ENOMEM;
		goto err_free;
	}
	host->bridge = bridge;
	sd = pci_host_bridge_priv(bridge);
	sd->host = host;
	host->domain = nio_pci_find_domain(smmu->id);
	if (host->domain < 0) {
		ret = host->domain;
		goto err_free;
	}
	/* Released by the PCI core with the bridge (also on x86) */
	bridge->domain_nr = host->domain;
#ifdef CONFIG_X86
	sd->sd.domain = host->domain;
	sd->sd.node = NUMA_NO_NODE;
#endif
	host->busn.name = "nestiommu";
	host->busn.start = 0;
	host->busn.end = 0;
	host->busn.flags = IORESOURCE_BUS;
	pci_add_resource(&bridge->windows, &host->busn);
	bridge->dev.parent = &smmu->pdev->dev;
	bridge->sysdata = sd;
	bridge->busnr = 0;
	bridge->ops = &nio_pci_ops;
	/* The functions' MSI path: the instance's doorbell (isolated) domain */
	dev_set_msi_domain(&bridge->dev, smmu->msi_domain);

	ret = pci_host_probe(bridge);
	if (ret)
		goto err_free;
	host->bus = bridge->bus;

	/* Every function must have been probed by the IOMMU core into @smmu */
	for (i = 0; i < count; i++) {
		pdev = pci_get_slot(host->bus, host->fns[i].devfn);
		ret = pdev && pdev->dev.iommu_group &&
		      dev_iommu_priv_get(&pdev->dev) == host->fns[i].master &&
		      dev_get_msi_domain(&pdev->dev) == smmu->msi_domain ?
		      0 : -ENODEV;
		if (ret)
			dev_err(&smmu->pdev->dev,
				"PCI function %04x:00:%02x.0 not set up\n",
				host->domain, i);
		pci_dev_put(pdev);
		if (ret)
			goto err_remove;
	}

	mutex_lock(&smmu->lock);
	for (i = 0; i < count; i++)
		smmu->masters[first + i] = host->fns[i].master;
	smmu->pci = host;
	mutex_unlock(&smmu->lock);
	dev_info(&smmu->pdev->dev, "PCI domain %04x: %u function(s)\n",
		 host->domain, count);
	return 0;

err_remove:
	nio_pci_host_remove_bus(host);
err_free:
	nio_pci_host_free(host);
	return ret;
}

int nio_pci_init(void)
{
	int ret;

	nio_pci_wq = alloc_workqueue("nestiommu-pci", WQ_UNBOUND, 0);
	if (!nio_pci_wq)
		return -ENOMEM;
	ret = bus_register_notifier(&pci_bus_type, &nio_pci_nb);
	if (ret)
		destroy_workqueue(nio_pci_wq);
	return ret;
}

void nio_pci_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &nio_pci_nb);
	destroy_workqueue(nio_pci_wq);
}
