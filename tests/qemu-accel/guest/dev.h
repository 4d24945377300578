/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DMA-capable PCI function under test: a nestiommu.ko endpoint (its
 * config-space DMA engine) or an e1000e (a transmit descriptor fetch and
 * its status write-back). Both look the same to the checks in main.c:
 * "one DMA at this IOVA" changes a known page in a known way.
 */
#ifndef GUESTFW_DEV_H
#define GUESTFW_DEV_H

#include "fw.h"

struct dma_dev {
	const char *name;
	u32 bdf;
	/* put the image the DMA acts on into a candidate page */
	void (*prepare)(u8 *page);
	/* turn a prepared image into what the DMA of the last run() leaves */
	void (*expect)(u8 *img);
	/* one DMA at the page at iova: 0 if the device reports completion
	 * without error, negative otherwise (the e1000e reports no errors:
	 * only the memory tells) */
	int (*run)(u64 iova);
	/* nestiommu only: COPY len bytes from src to dst, or NULL */
	int (*copy)(u64 src, u64 dst, u32 len);
};

/* where the e1000e's packet buffer is, as the device must address it */
extern u64 dma_buf_iova;

int dev_probe(struct dma_dev *d, u64 *mmio_next, u64 mmio_end);

#endif
