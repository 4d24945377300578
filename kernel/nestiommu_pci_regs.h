/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * nestiommu.ko PCIe endpoint functions: config space layout and the DMA
 * engine's registers.
 *
 * Shared by the module (which traps these registers in its host bridge's
 * config accessors) and by whatever drives the engine: a guest's firmware
 * through a VMM's vfio-pci config space, the module's tests through the
 * VFIO cdev's config region. Plain constants only, so that freestanding
 * code can include it.
 *
 * The engine lives in a vendor-specific capability (PCI_CAP_ID_VNDR), so
 * vfio-pci passes its accesses through raw (vfio_raw_config_write), and so
 * does QEMU's vfio-pci for a capability it does not virtualize: a guest's
 * config write reaches the module unchanged.
 *
 * Programming model: write SRC, DST, LEN, PASID, OP (and DATA for FILL),
 * then write NIO_PCI_DMA_DOORBELL_GO to DOORBELL. STATUS reads
 * NIO_PCI_DMA_STATUS_BUSY until the transfer has completed, then DONE with
 * an error code in its low byte (0: success) and RESULT the number of
 * bytes transferred. A translation fault is also reported to the IOMMU's
 * event queue (the vEVENTQ under nesting), as on hardware. Registers are
 * 32 bits wide; 64-bit addresses are two registers, low word first.
 */
#ifndef _NESTIOMMU_PCI_REGS_H
#define _NESTIOMMU_PCI_REGS_H

/*
 * Identity of every endpoint function: Red Hat's vendor ID (the one QEMU's
 * software devices use) with a device ID that neither QEMU nor Linux
 * assigns, so no driver matches it and only driver_override binds it.
 */
#define NIO_PCI_VENDOR_ID		0x1b36
#define NIO_PCI_DEVICE_ID		0x11e5
#define NIO_PCI_CLASS			0xff0000 /* unassigned class */

/* Capability list: PCI Express (endpoint, v2) then the DMA engine */
#define NIO_PCI_CAP_EXP			0x40
#define NIO_PCI_CAP_DMA			0x80
#define NIO_PCI_DMA_CAP_LEN		0x40
#define NIO_PCI_DMA_CAP_VERSION		1

/* DMA engine registers, offsets from NIO_PCI_CAP_DMA */
#define NIO_PCI_DMA_HDR			0x00 /* id, next, length, version */
#define NIO_PCI_DMA_SRC_LO		0x08
#define NIO_PCI_DMA_SRC_HI		0x0c
#define NIO_PCI_DMA_DST_LO		0x10
#define NIO_PCI_DMA_DST_HI		0x14
#define NIO_PCI_DMA_LEN			0x18
#define NIO_PCI_DMA_PASID		0x1c /* bits 19:0 PASID, bit 31 valid */
#define NIO_PCI_DMA_OP			0x20
#define NIO_PCI_DMA_DATA		0x24 /* FILL pattern */
#define NIO_PCI_DMA_DOORBELL		0x28
#define NIO_PCI_DMA_STATUS		0x2c
#define NIO_PCI_DMA_RESULT		0x30 /* bytes transferred */
#define NIO_PCI_DMA_FAULT_LO		0x34 /* IOVA of the first fault */
#define NIO_PCI_DMA_FAULT_HI		0x38

#define NIO_PCI_DMA_PASID_VALID		0x80000000u
#define NIO_PCI_DMA_PASID_MASK		0x000fffffu

/* OP: what the engine does with SRC and DST */
#define NIO_PCI_DMA_OP_COPY		1 /* read SRC, write DST */
#define NIO_PCI_DMA_OP_FILL		2 /* write DATA repeated to DST */
#define NIO_PCI_DMA_OP_READ		3 /* read SRC; RESULT = bytes read */

#define NIO_PCI_DMA_DOORBELL_GO		1

/* STATUS */
#define NIO_PCI_DMA_STATUS_BUSY		0x40000000u
#define NIO_PCI_DMA_STATUS_DONE		0x80000000u
#define NIO_PCI_DMA_STATUS_CODE		0x000000ffu

/* STATUS error codes (low byte) */
#define NIO_PCI_DMA_OK			0
#define NIO_PCI_DMA_ERR_LEN		1 /* LEN 0 or above NIO_PCI_DMA_MAX_LEN */
#define NIO_PCI_DMA_ERR_ALIGN		2 /* SRC, DST or LEN not 4-byte aligned */
#define NIO_PCI_DMA_ERR_WRAP		3 /* a range wraps past 2^64 */
#define NIO_PCI_DMA_ERR_NO_MASTER	4 /* Bus Master Enable is clear */
#define NIO_PCI_DMA_ERR_OP		5 /* unknown OP */
#define NIO_PCI_DMA_ERR_FAULT		6 /* translation/permission fault */
#define NIO_PCI_DMA_ERR_ABORT		7 /* the STE aborts the stream */
#define NIO_PCI_DMA_ERR_PASID		8 /* PASID given but not supported */

#define NIO_PCI_DMA_MAX_LEN		0x100000u /* 1 MiB per transfer */

#endif /* _NESTIOMMU_PCI_REGS_H */
