// SPDX-License-Identifier: GPL-2.0
/*
 * nestiommu.ko: a software SMMUv3 with a nested backend.
 *
 * Registration: instances (an iommu_device each, with its own software
 * fwnode), their endpoints (platform devices with a StreamID, each probed
 * into its own IOMMU group and exposed as a VFIO device cdev), and the
 * per-instance MSI irq domain that is the endpoints' only MSI path.
 *
 * Parameters: instances=N (1-16, default 1), devices=N per instance (0-64,
 * default 4), pci_devices=N per instance (0-32, default 0: PCIe functions on
 * a host bridge of the instance, see nestiommu_pci.c), ats=0|1 (IDR0.ATS;
 * ATC_INV is accepted only with ats=1),
 * ssidsize=N (IDR1.SSIDSIZE, 0-20, default 16: the SubstreamID bits; with 0
 * a CFGI_CD or ATC_INV carrying an SSID is EIO, as upstream gates them on
 * smmu->ssid_bits, and an STE with S1CDMax != 0 is C_BAD_STE);
 * granules=LIST (IDR5.GRAN4K/16K/64K, a list of 4k,16k,64k, default all
 * three: a CD whose TG0/TG1 selects another granule is C_BAD_CD);
 * remove_endpoints (write-only, see "Unload" below).  ats and ssidsize let
 * the module present the features of another SMMU, e.g. QEMU's (ats=0
 * ssidsize=0), so that the verdicts gated on them can be compared with the
 * upstream driver's on that SMMU (tests/arm64/diff-x86.sh).
 *
 * Topology: instance N is platform device "nestiommu.N" (iommu class
 * device "nestiommu.N"); its endpoint i is "nestiommu-ep.<N*256+i>" with
 * StreamID ((N + 1) << 8) | i, one IOMMU group each, bound to this module's
 * platform driver, which registers a VFIO device (/dev/vfio/devices/vfioM,
 * see /sys/bus/platform/devices/nestiommu-ep.X/vfio-dev/).
 *
 * hw_info (type DEFAULT or ARM_SMMUV3, others EOPNOTSUPP): an SMMUv3.2
 * with S1P+S2P, AArch64 tables, little endian, COHACC, 16-bit ASID and
 * VMID, no stall, 2-level stream table format (IDR0.ST_LEVEL = 1, as
 * QEMU's SMMUv3, whose accel=on mode requires the host's to be equal; the
 * module has no in-memory stream table, STEs arrive by attach, so this only
 * informs the VMM), no 2-level CD tables (CD2L = 0), SIDSIZE 16, SSIDSIZE
 * 16 (ssidsize=), range invalidation (IDR3.RIL), stage 1 granules 4, 16 and
 * 64 KiB (granules=), OAS 48 bits, IIDR ProductID 0x4e5 with no
 * implementer, AIDR 3.2.
 *
 * Domains: the default and blocking domain is a static BLOCKED domain (a
 * DMA aborts without event).  domain_alloc_paging_flags accepts flags 0
 * (one-stage paging domain) and NEST_PARENT (stage 2), anything else and
 * any user data is EOPNOTSUPP (no HTTU, no host PASID).  Both own an ARMv8
 * stage-2 format page table (4 KiB, 4 levels, 48 bits).  An unmap drops
 * every cached translation through the domain before returning.
 *
 * vIOMMU (IOMMU_VIOMMU_TYPE_ARM_SMMUV3) mirrors Linux 7.3's
 * arm-smmu-v3-iommufd.c errno for errno (see nestiommu_viommu.c), with two
 * documented differences: each vIOMMU gets its own VMID (upstream uses the
 * S2 parent's); and a batch of invalidation commands failing at entry k
 * reports entry_num = k like upstream, but every entry before k has been
 * executed (upstream drops the pending part of the failing 63-command
 * batch while still counting it).
 *
 * Translation (nestiommu_dma.c): STE from the attached domain; CD fetched
 * at S1ContextPtr + 64 * SSID through stage 2 (linear table only: S1Fmt
 * != 0 gives C_BAD_STE); a CD is checked with the specification's
 * CdIllegal() for this SMMU's features (V, AArch64, little endian, no
 * HTTU, no stall and, for each half whose EPDx is clear, TxSZ 16..39, a
 * granule of IDR5 and TTBx below the IPS), C_BAD_CD if illegal; the
 * stage 1 table is walked with the TG0 granule (4K: 1 GiB and 2 MiB
 * blocks, 16K: 32 MiB, 64K: 512 MiB blocks; no 52-bit addresses); the
 * stage 2 (NEST_PARENT) table is 4 KiB only.  TTB1 is never walked (EPD0
 * or an address above 2^(64-T0SZ) is F_TRANSLATION, so guests set EPD1 as
 * Linux does); table and output addresses above the CD's IPS are
 * F_ADDR_SIZE; AF = 0 is F_ACCESS (no HTTU); a DMA is an
 * unprivileged access (AP[1] must be set) and a write needs AP[2] clear,
 * else F_PERMISSION; SSID handling follows S1CDMax/S1DSS (C_BAD_SUBSTREAMID,
 * F_STREAM_DISABLED).  Every TLB entry is tagged with its ASID (nG is not
 * modelled) and covers one stage 1 granule page (of a page or a block); a
 * TLBI_NH_VA/VAA drops every page and block that its address (TG = 0) or
 * its TG/NUM/SCALE range intersects.  The TLB and the CD cache are only changed by invalidation
 * commands, an HWPT replace (CD cache) and stage 2 unmaps (TLB).  Stage 1
 * events of an endpoint with a vDEVICE go to the vEVENTQ with the vSID;
 * stage 2 events and the rest go to the kernel log.  No ATC is modelled.
 *
 * MSI: each endpoint has NESTIOMMU_MSI_VECTORS vectors (virqs of the
 * instance's IRQ_DOMAIN_FLAG_ISOLATED_MSI domain).  A DMA write whose
 * stage 1 output (the IPA; the IOVA without stage 1) falls in the
 * instance's MSI window is not a memory write but a doorbell write: its
 * first 32-bit word is the vector number, the vector's irq fires and its
 * handler signals the eventfd registered for it.  The window (default
 * 0x8000000 + 1 MiB) is the SW_MSI reserved region; it can be moved with
 * NESTIOMMU_CMD_MSI_WINDOW_SET while no endpoint is attached (EBUSY
 * otherwise), and iommufd reserves the new one at the next attach.  The
 * eventfds are released at the last close of the endpoint's VFIO device.
 *
 * Unload: every probed endpoint holds a reference on this module, and so
 * does every live paging domain, nested domain and vIOMMU (iommufd takes
 * none for a driver's objects).  Remove the endpoints first
 * (NESTIOMMU_CMD_REMOVE_DEVICES, e.g. nio_smmu_remove_devices(), or
 * "echo 1 > /sys/module/nestiommu/parameters/remove_endpoints"; refused
 * with EBUSY while a platform endpoint's VFIO device is open or a PCIe
 * function's DMA is owned by a user; a PCIe function whose vfio-pci
 * device is only open makes it wait, see nio_remove_endpoints()), then
 * rmmod.  The PCIe functions are endpoints devices..devices+pci_devices-1
 * of their instance for netlink.
 *
 * Lockdep: the endpoints' fwspec is set up by hand, as iommu_fwspec_init()
 * would, because that function asserts iommu_probe_device_lock, which is
 * not exported (a lockdep splat otherwise); see nio_set_fwspec().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/module.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "nestiommu.h"

unsigned int nio_nr_instances = 1;
module_param_named(instances, nio_nr_instances, uint, 0444);
MODULE_PARM_DESC(instances, "Number of software SMMUv3 instances (1-16)");

static unsigned int nio_nr_devices = 4;
module_param_named(devices, nio_nr_devices, uint, 0444);
MODULE_PARM_DESC(devices, "Number of endpoints per instance (0-64)");

static unsigned int nio_nr_pci;
module_param_named(pci_devices, nio_nr_pci, uint, 0444);
MODULE_PARM_DESC(pci_devices,
		 "Number of PCIe functions per instance on its own host bridge (0-32, default 0)");

static bool nio_ats;
module_param_named(ats, nio_ats, bool, 0444);
MODULE_PARM_DESC(ats, "Report ATS support in IDR0 (ATC_INV accepted)");

static unsigned int nio_ssidsize = 16;
module_param_named(ssidsize, nio_ssidsize, uint, 0444);
MODULE_PARM_DESC(ssidsize,
		 "IDR1.SSIDSIZE: SubstreamID bits (0-20, default 16; 0: no substreams)");

static int nio_remove_param_set(const char *val, const struct kernel_param *kp);

static const struct kernel_param_ops nio_remove_param_ops = {
	.set = nio_remove_param_set,
};

module_param_cb(remove_endpoints, &nio_remove_param_ops, NULL, 0200);
MODULE_PARM_DESC(remove_endpoints,
		 "Write 1 to remove every endpoint and PCIe function (before rmmod); EBUSY while a VFIO device is in use");

struct nio_smmu **nio_smmus;
/* Serialises the netlink operations against endpoint removal and unload */
DEFINE_MUTEX(nio_global_lock);
/*
 * Serialises endpoint removal and unload.  Taken outside nio_global_lock and
 * held while a PCIe function's driver waits for its user to let go, which
 * nio_global_lock must not be.
 */
static DEFINE_MUTEX(nio_remove_lock);
/*
 * Set by nio_exit() under nio_remove_lock: the remove_endpoints parameter
 * stays writable until the module's sysfs goes, after nio_exit() returns
 */
static bool nio_unloading;

/* ------------------------------------------------------------------ */
/* MSI irq domain: delivery through the instance's doorbell only       */

static void nio_msi_noop(struct irq_data *d)
{
}

static struct irq_chip nio_msi_chip = {
	.name		= "nestiommu-msi",
	.irq_mask	= nio_msi_noop,
	.irq_unmask	= nio_msi_noop,
};

static int nio_msi_map(struct irq_domain *d, unsigned int virq,
		       irq_hw_number_t hw)
{
	irq_set_chip_and_handler(virq, &nio_msi_chip, handle_simple_irq);
	irq_set_chip_data(virq, d->host_data);
	return 0;
}

static const struct irq_domain_ops nio_msi_domain_ops = {
	.map = nio_msi_map,
};

static irqreturn_t nio_msi_handler(int irq, void *data)
{
	struct nio_msi_vec *vec = data;
	struct eventfd_ctx *trigger = READ_ONCE(vec->trigger);

	if (trigger)
		eventfd_signal(trigger);
	return IRQ_HANDLED;
}

static int nio_msi_domain_create(struct nio_smmu *smmu)
{
	struct irq_domain_info info = {
		.domain_flags	= IRQ_DOMAIN_FLAG_ISOLATED_MSI,
		.size		= smmu->nr_masters * NESTIOMMU_MSI_VECTORS,
		.hwirq_max	= smmu->nr_masters * NESTIOMMU_MSI_VECTORS,
		.ops		= &nio_msi_domain_ops,
		.host_data	= smmu,
	};
	struct irq_domain *d;

	smmu->msi_fwnode = irq_domain_alloc_named_id_fwnode("nestiommu-msi",
							    smmu->id);
	if (!smmu->msi_fwnode)
		return -ENOMEM;
	info.fwnode = smmu->msi_fwnode;
	d = irq_domain_instantiate(&info);
	if (IS_ERR(d)) {
		irq_domain_free_fwnode(smmu->msi_fwnode);
		smmu->msi_fwnode = NULL;
		return PTR_ERR(d);
	}
	smmu->msi_domain = d;
	return 0;
}

static void nio_msi_domain_destroy(struct nio_smmu *smmu)
{
	if (smmu->msi_domain)
		irq_domain_remove(smmu->msi_domain);
	if (smmu->msi_fwnode)
		irq_domain_free_fwnode(smmu->msi_fwnode);
	smmu->msi_domain = NULL;
	smmu->msi_fwnode = NULL;
}

/* ------------------------------------------------------------------ */
/* VFIO device of an endpoint                                          */

struct nio_vfio {
	struct vfio_device vdev;
	struct nio_master *master;
};

static int nio_vfio_open(struct vfio_device *vdev)
{
	struct nio_vfio *nv = container_of(vdev, struct nio_vfio, vdev);

	mutex_lock(&nv->master->smmu->lock);
	nv->master->open_count++;
	mutex_unlock(&nv->master->smmu->lock);
	return 0;
}

/*
 * Last close of the VFIO device (also when its owner is killed): like
 * VFIO's own interrupt triggers, the MSI eventfds registered for the
 * endpoint are released and its vectors forgotten.
 */
static void nio_vfio_close(struct vfio_device *vdev)
{
	struct nio_vfio *nv = container_of(vdev, struct nio_vfio, vdev);
	struct nio_master *master = nv->master;
	unsigned int i;

	mutex_lock(&master->smmu->lock);
	master->open_count--;
	mutex_unlock(&master->smmu->lock);

	for (i = 0; i < NESTIOMMU_MSI_VECTORS; i++) {
		struct nio_msi_vec *vec = &master->msi[i];
		struct eventfd_ctx *old = xchg(&vec->trigger, NULL);

		WRITE_ONCE(vec->addr, 0);
		if (old) {
			synchronize_irq(vec->virq);
			eventfd_ctx_put(old);
		}
	}
}

static long nio_vfio_ioctl(struct vfio_device *vdev, unsigned int cmd,
			   unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (cmd != VFIO_DEVICE_GET_INFO)
		return -ENOTTY;
	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PLATFORM;
	info.num_regions = 0;
	info.num_irqs = 0;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static const struct vfio_device_ops nio_vfio_ops = {
	.name			= "nestiommu-ep",
	.open_device		= nio_vfio_open,
	.close_device		= nio_vfio_close,
	.ioctl			= nio_vfio_ioctl,
	.bind_iommufd		= vfio_iommufd_physical_bind,
	.unbind_iommufd		= vfio_iommufd_physical_unbind,
	.attach_ioas		= vfio_iommufd_physical_attach_ioas,
	.detach_ioas		= vfio_iommufd_physical_detach_ioas,
	.pasid_attach_ioas	= vfio_iommufd_physical_pasid_attach_ioas,
	.pasid_detach_ioas	= vfio_iommufd_physical_pasid_detach_ioas,
};

/* Marks the platform devices that nio_ep_create() made */
static const struct device_type nio_ep_type;

static int nio_ep_probe(struct platform_device *pdev)
{
	struct nio_master *master;
	struct nio_vfio *nv;
	int ret;

	/*
	 * A foreign platform device can be sent here through driver_override
	 * and drivers_probe: its platform data is not a struct nio_master *
	 */
	if (pdev->dev.type != &nio_ep_type || !dev_get_platdata(&pdev->dev))
		return -ENODEV;
	master = *(struct nio_master **)dev_get_platdata(&pdev->dev);
	nv = vfio_alloc_device(nio_vfio, vdev, &pdev->dev, &nio_vfio_ops);
	if (IS_ERR(nv))
		return PTR_ERR(nv);
	nv->master = master;
	ret = vfio_register_group_dev(&nv->vdev);
	if (ret) {
		vfio_put_device(&nv->vdev);
		return ret;
	}
	master->vdev = &nv->vdev;
	platform_set_drvdata(pdev, nv);
	return 0;
}

static void nio_ep_remove(struct platform_device *pdev)
{
	struct nio_vfio *nv = platform_get_drvdata(pdev);

	vfio_unregister_group_dev(&nv->vdev);
	nv->master->vdev = NULL;
	vfio_put_device(&nv->vdev);
}

static struct platform_driver nio_ep_driver = {
	.driver = {
		.name = NIO_EP_NAME,
		/*
		 * No sysfs bind/unbind: an endpoint is only unbound by its
		 * removal, which netlink and the VFIO paths are ordered
		 * against (nio_global_lock, nio_remove_lock)
		 */
		.suppress_bind_attrs = true,
	},
	.probe = nio_ep_probe,
	.remove = nio_ep_remove,
	.driver_managed_dma = true,
};

/* ------------------------------------------------------------------ */
/* Endpoints                                                           */

/*
 * Give an endpoint (a platform device or a PCIe function) its fwspec before
 * the IOMMU core probes it, so that it is probed into the instance.  This is
 * exactly what iommu_fwspec_init() + iommu_fwspec_add_ids() do, done by hand
 * because iommu_fwspec_init() asserts iommu_probe_device_lock (not
 * exported), which would be a lockdep splat with PROVE_LOCKING.  The device
 * is not yet known to the IOMMU core (not added, or in the bus notifier
 * that runs before the core's), so nothing else looks at dev->iommu; the
 * core frees both allocations in dev_iommu_free().
 */
int nio_set_fwspec(struct device *dev, struct nio_smmu *smmu, u32 sid)
{
	struct iommu_fwspec *fwspec;
	struct dev_iommu *param;

	param = kzalloc_obj(*param);
	if (!param)
		return -ENOMEM;
	fwspec = kzalloc_flex(*fwspec, ids, 1);
	if (!fwspec) {
		kfree(param);
		return -ENOMEM;
	}
	mutex_init(&param->lock);
	fwnode_handle_get(smmu->fwnode);
	fwspec->iommu_fwnode = smmu->fwnode;
	fwspec->num_ids = 1;
	fwspec->ids[0] = sid;
	param->fwspec = fwspec;
	dev->iommu = param;
	return 0;
}

void nio_free_fwspec(struct device *dev)
{
	struct dev_iommu *param = dev->iommu;

	if (!param)
		return;
	dev->iommu = NULL;
	if (param->fwspec) {
		fwnode_handle_put(param->fwspec->iommu_fwnode);
		kfree(param->fwspec);
	}
	kfree(param);
}

/* The state of an endpoint of either kind, with its MSI vectors */
struct nio_master *nio_master_alloc(struct nio_smmu *smmu, unsigned int index,
				    u32 sid)
{
	struct nio_master *master;
	unsigned int i;
	int ret;

	master = kzalloc_obj(*master);
	if (!master)
		return ERR_PTR(-ENOMEM);
	master->smmu = smmu;
	master->index = index;
	master->sid = sid;
	mutex_init(&master->dma_lock);
	spin_lock_init(&master->cfg_lock);
	master->kind = NESTIOMMU_DOMAIN_BLOCKED;

	for (i = 0; i < NESTIOMMU_MSI_VECTORS; i++) {
		struct nio_msi_vec *vec = &master->msi[i];
		unsigned int hw = index * NESTIOMMU_MSI_VECTORS + i;

		vec->virq = irq_create_mapping(smmu->msi_domain, hw);
		if (!vec->virq) {
			ret = -ENOSPC;
			goto err;
		}
		ret = request_irq(vec->virq, nio_msi_handler, 0,
				  "nestiommu-ep", vec);
		if (ret) {
			irq_dispose_mapping(vec->virq);
			vec->virq = 0;
			goto err;
		}
	}
	return master;
err:
	nio_master_free(master);
	return ERR_PTR(ret);
}

void nio_master_free(struct nio_master *master)
{
	unsigned int i;

	for (i = 0; i < NESTIOMMU_MSI_VECTORS; i++) {
		struct nio_msi_vec *vec = &master->msi[i];

		if (!vec->virq)
			continue;
		free_irq(vec->virq, vec);
		irq_dispose_mapping(vec->virq);
		if (vec->trigger)
			eventfd_ctx_put(vec->trigger);
	}
	kfree(master);
}

static int nio_ep_create(struct nio_smmu *smmu, unsigned int index)
{
	struct nio_master *master;
	int ret;

	/* StreamID: bus (instance + 1), function index; below 2^16 (SIDSIZE) */
	master = nio_master_alloc(smmu, index, ((smmu->id + 1) << 8) | index);
	if (IS_ERR(master))
		return PTR_ERR(master);

	master->pdev = platform_device_alloc(NIO_EP_NAME,
					     smmu->id * 256 + index);
	if (!master->pdev) {
		ret = -ENOMEM;
		goto err_free;
	}
	master->pdev->dev.parent = &smmu->pdev->dev;
	master->pdev->dev.type = &nio_ep_type;
	ret = platform_device_add_data(master->pdev, &master, sizeof(master));
	if (ret)
		goto err_put;
	ret = nio_set_fwspec(&master->pdev->dev, smmu, master->sid);
	if (ret)
		goto err_put;
	/* The instance's doorbell domain is the endpoint's only MSI path */
	dev_set_msi_domain(&master->pdev->dev, smmu->msi_domain);

	ret = platform_device_add(master->pdev);
	if (ret) {
		nio_free_fwspec(&master->pdev->dev);
		goto err_put;
	}
	if (!master->pdev->dev.iommu_group) {
		dev_err(&master->pdev->dev, "not probed by the IOMMU core\n");
		platform_device_unregister(master->pdev);
		ret = -ENODEV;
		goto err_free;
	}
	smmu->masters[index] = master;
	return 0;

err_put:
	platform_device_put(master->pdev);
err_free:
	nio_master_free(master);
	return ret;
}

static void nio_ep_destroy(struct nio_master *master)
{
	platform_device_unregister(master->pdev);
	nio_master_free(master);
}

/*
 * A platform endpoint's VFIO device is open (bound or not), or a PCIe
 * function is in use
 */
static bool nio_smmu_busy(struct nio_smmu *smmu)
{
	bool busy = false;
	unsigned int i;

	/*
	 * open_count counts binds (.open_device); a VFIO cdev that is only
	 * open holds a registration, for which vfio_unregister_group_dev()
	 * would wait, with no .request op to ask its user to let go
	 */
	mutex_lock(&smmu->lock);
	for (i = 0; i < smmu->nr_platform; i++) {
		struct nio_master *m = smmu->masters[i];

		if (m && (m->open_count ||
			  (m->vdev && refcount_read(&m->vdev->refcount) > 1)))
			busy = true;
	}
	mutex_unlock(&smmu->lock);
	return busy || (smmu->pci && nio_pci_host_busy(smmu->pci));
}

/*
 * Free every endpoint of @smmu, once its PCIe functions (if any) have been
 * removed from the PCI core.  Caller holds nio_global_lock, if @smmu is
 * published in nio_smmus[].
 */
static void nio_free_endpoints(struct nio_smmu *smmu)
{
	struct nio_pci_host *host = smmu->pci;
	struct nio_master *master;
	unsigned int i;

	for (i = 0; i < smmu->nr_platform; i++) {
		mutex_lock(&smmu->lock);
		master = smmu->masters[i];
		smmu->masters[i] = NULL;
		mutex_unlock(&smmu->lock);
		if (master)
			nio_ep_destroy(master);
	}
	if (!host)
		return;
	mutex_lock(&smmu->lock);
	for (i = smmu->nr_platform; i < smmu->nr_masters; i++)
		smmu->masters[i] = NULL;
	smmu->pci = NULL;
	mutex_unlock(&smmu->lock);
	nio_pci_host_free(host);
}

/*
 * Remove every endpoint of instance @instance (-1: of all instances).  Each
 * probed endpoint holds a reference on this module (taken by the IOMMU
 * core), so this must run before rmmod.  Refused (EBUSY) while a platform
 * endpoint's VFIO device is open or a PCIe function's DMA is owned by a
 * user (VFIO bound to an iommufd or a container).  A PCIe function's
 * driver may still wait for its user to close the device (vfio-pci asks
 * through its request path): that wait happens without nio_global_lock,
 * so netlink keeps working meanwhile.
 */
int nio_remove_endpoints(int instance)
{
	struct nio_pci_host **hosts;
	unsigned int i;
	int ret = 0;

	if (instance >= (int)nio_nr_instances)
		return -ENODEV;
	hosts = kcalloc(nio_nr_instances, sizeof(*hosts), GFP_KERNEL);
	if (!hosts)
		return -ENOMEM;
	ret = mutex_lock_killable(&nio_remove_lock);
	if (ret)
		goto out_free;
	if (nio_unloading) {
		ret = -ENODEV;
		goto out_unlock;
	}

	mutex_lock(&nio_global_lock);
	for (i = 0; i < nio_nr_instances && !ret; i++) {
		if ((instance >= 0 && i != instance) || !nio_smmus[i])
			continue;
		if (nio_smmu_busy(nio_smmus[i]))
			ret = -EBUSY;
		hosts[i] = nio_smmus[i]->pci;
	}
	mutex_unlock(&nio_global_lock);
	if (ret)
		goto out_unlock;

	/* nio_remove_lock keeps the instances and their hosts alive */
	for (i = 0; i < nio_nr_instances; i++)
		if (hosts[i])
			nio_pci_host_remove_bus(hosts[i]);

	mutex_lock(&nio_global_lock);
	for (i = 0; i < nio_nr_instances; i++)
		if ((instance < 0 || i == instance) && nio_smmus[i])
			nio_free_endpoints(nio_smmus[i]);
	mutex_unlock(&nio_global_lock);
out_unlock:
	mutex_unlock(&nio_remove_lock);
out_free:
	kfree(hosts);
	return ret;
}

static int nio_remove_param_set(const char *val, const struct kernel_param *kp)
{
	bool yes;
	int ret;

	ret = kstrtobool(val, &yes);
	if (ret || !yes)
		return ret;
	return nio_remove_endpoints(-1);
}

struct nio_master *nio_find_master(u32 instance, u32 index)
{
	struct nio_smmu *smmu;

	lockdep_assert_held(&nio_global_lock);
	if (instance >= nio_nr_instances || !nio_smmus[instance])
		return NULL;
	smmu = nio_smmus[instance];
	if (index >= smmu->nr_masters)
		return NULL;
	return smmu->masters[index];
}

/* ------------------------------------------------------------------ */
/* Instances                                                           */

static void nio_smmu_init_regs(struct nio_smmu *smmu)
{
	smmu->features = NIO_FEAT_TRANS_S1 | NIO_FEAT_TRANS_S2 |
			 NIO_FEAT_NESTING | NIO_FEAT_RANGE_INV;
	if (nio_ats)
		smmu->features |= NIO_FEAT_ATS;
	smmu->asid_bits = 16;
	smmu->ssid_bits = nio_ssidsize;

	smmu->idr[0] = IDR0_S1P | IDR0_S2P |
		       FIELD_PREP(IDR0_TTF, IDR0_TTF_AARCH64) | IDR0_COHACC |
		       IDR0_ASID16 | IDR0_VMID16 |
		       FIELD_PREP(IDR0_TTENDIAN, IDR0_TTENDIAN_LE) |
		       FIELD_PREP(IDR0_STALL_MODEL, IDR0_STALL_MODEL_NONE) |
		       FIELD_PREP(IDR0_ST_LEVEL, IDR0_ST_LEVEL_2LVL);
	if (nio_ats)
		smmu->idr[0] |= IDR0_ATS;
	smmu->idr[1] = FIELD_PREP(IDR1_SIDSIZE, 16) |
		       FIELD_PREP(IDR1_SSIDSIZE, smmu->ssid_bits) |
		       FIELD_PREP(IDR1_EVTQS, 7) | FIELD_PREP(IDR1_CMDQS, 8);
	smmu->idr[2] = 0;
	smmu->idr[3] = IDR3_RIL;
	smmu->idr[4] = 0;
	smmu->idr[5] = nio_idr5_granules() |
		       FIELD_PREP(IDR5_OAS, IDR5_OAS_48_BIT);
	/* ProductID 0x4e5 ("NE"stiommu), no JEP106 implementer: not ARM's */
	smmu->iidr = FIELD_PREP(IIDR_PRODUCTID, 0x4e5);
	smmu->aidr = 0x02;	/* SMMUv3.2 (range invalidation) */
}

/* An instance that is not (or no longer) in nio_smmus[] */
static void nio_smmu_destroy(struct nio_smmu *smmu)
{
	if (smmu->pci)
		nio_pci_host_remove_bus(smmu->pci);
	if (smmu->masters)
		nio_free_endpoints(smmu);
	if (smmu->iommu_registered)
		iommu_device_unregister(&smmu->iommu);
	if (smmu->sysfs_added)
		iommu_device_sysfs_remove(&smmu->iommu);
	if (smmu->pdev)
		platform_device_unregister(smmu->pdev);
	if (smmu->fwnode)
		fwnode_remove_software_node(smmu->fwnode);
	nio_msi_domain_destroy(smmu);
	nio_tlb_destroy(smmu);
	nio_audit_destroy(smmu);
	ida_destroy(&smmu->vmid_ida);
	kfree(smmu->masters);
	kfree(smmu);
}

static struct nio_smmu *nio_smmu_create(int id)
{
	struct platform_device_info info = {
		.name = NIO_NAME,
		.id = id,
	};
	struct nio_smmu *smmu;
	unsigned int i;
	int ret;

	smmu = kzalloc_obj(*smmu);
	if (!smmu)
		return ERR_PTR(-ENOMEM);
	smmu->id = id;
	mutex_init(&smmu->lock);
	ida_init(&smmu->vmid_ida);
	smmu->msi_start = 0x8000000;
	smmu->msi_size = 0x100000;
	nio_smmu_init_regs(smmu);

	ret = nio_tlb_init(smmu);
	if (!ret)
		ret = nio_audit_init(smmu);
	if (ret)
		goto err;
	smmu->nr_platform = nio_nr_devices;
	smmu->nr_masters = nio_nr_devices + nio_nr_pci;
	smmu->masters = kcalloc(smmu->nr_masters, sizeof(*smmu->masters),
				GFP_KERNEL);
	if (!smmu->masters) {
		ret = -ENOMEM;
		goto err;
	}
	ret = nio_msi_domain_create(smmu);
	if (ret)
		goto err;

	smmu->fwnode = fwnode_create_software_node(NULL, NULL);
	if (IS_ERR(smmu->fwnode)) {
		ret = PTR_ERR(smmu->fwnode);
		smmu->fwnode = NULL;
		goto err;
	}
	info.fwnode = smmu->fwnode;
	smmu->pdev = platform_device_register_full(&info);
	if (IS_ERR(smmu->pdev)) {
		ret = PTR_ERR(smmu->pdev);
		smmu->pdev = NULL;
		goto err;
	}

	ret = iommu_device_sysfs_add(&smmu->iommu, &smmu->pdev->dev, NULL,
				     "nestiommu.%d", id);
	if (ret)
		goto err;
	smmu->sysfs_added = true;
	ret = iommu_device_register(&smmu->iommu, &nio_iommu_ops,
				    &smmu->pdev->dev);
	if (ret)
		goto err;
	smmu->iommu_registered = true;

	for (i = 0; i < nio_nr_devices; i++) {
		ret = nio_ep_create(smmu, i);
		if (ret)
			goto err;
	}
	if (nio_nr_pci) {
		ret = nio_pci_host_create(smmu, nio_nr_devices, nio_nr_pci);
		if (ret)
			goto err;
	}
	return smmu;

err:
	nio_smmu_destroy(smmu);
	return ERR_PTR(ret);
}

static int __init nio_init(void)
{
	unsigned int i;
	int ret;

	if (!nio_nr_instances || nio_nr_instances > 16 || nio_nr_devices > 64 ||
	    nio_nr_pci > NIO_PCI_MAX_FUNCTIONS || nio_ssidsize > 20)
		return -EINVAL;

	nio_smmus = kcalloc(nio_nr_instances, sizeof(*nio_smmus), GFP_KERNEL);
	if (!nio_smmus)
		return -ENOMEM;

	ret = platform_driver_register(&nio_ep_driver);
	if (ret)
		goto err_free;
	ret = nio_pci_init();
	if (ret)
		goto err_driver;

	for (i = 0; i < nio_nr_instances; i++) {
		struct nio_smmu *smmu = nio_smmu_create(i);

		if (IS_ERR(smmu)) {
			ret = PTR_ERR(smmu);
			goto err_instances;
		}
		mutex_lock(&nio_global_lock);
		nio_smmus[i] = smmu;
		mutex_unlock(&nio_global_lock);
	}

	ret = nio_genl_init();
	if (ret)
		goto err_instances;
	pr_info("%u instance(s), %u endpoint(s) and %u PCIe function(s) each\n",
		nio_nr_instances, nio_nr_devices, nio_nr_pci);
	return 0;

err_instances:
	for (i = 0; i < nio_nr_instances; i++) {
		if (nio_smmus[i])
			nio_smmu_destroy(nio_smmus[i]);
		nio_smmus[i] = NULL;
	}
	nio_pci_exit();
err_driver:
	platform_driver_unregister(&nio_ep_driver);
err_free:
	kfree(nio_smmus);
	return ret;
}

static void __exit nio_exit(void)
{
	unsigned int i;

	nio_genl_exit();
	mutex_lock(&nio_remove_lock);
	nio_unloading = true;
	for (i = 0; i < nio_nr_instances; i++) {
		struct nio_smmu *smmu;

		mutex_lock(&nio_global_lock);
		smmu = nio_smmus[i];
		nio_smmus[i] = NULL;
		mutex_unlock(&nio_global_lock);
		if (smmu)
			nio_smmu_destroy(smmu);
	}
	mutex_unlock(&nio_remove_lock);
	nio_pci_exit();
	platform_driver_unregister(&nio_ep_driver);
	kfree(nio_smmus);
	nio_smmus = NULL;
}

module_init(nio_init);
module_exit(nio_exit);

MODULE_DESCRIPTION("Software SMMUv3 with a nested iommufd backend");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("IOMMUFD");
