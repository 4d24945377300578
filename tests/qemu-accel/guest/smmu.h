/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest's SMMUv3 driver: register layout (Arm IHI 0070, names as in
 * Linux's drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h) and its interface.
 */
#ifndef GUESTFW_SMMU_H
#define GUESTFW_SMMU_H

#include "fw.h"

#define SMMU_IDR0		0x00
#define  IDR0_ST_LVL		GENMASK(28, 27)
#define  IDR0_STALL_MODEL	GENMASK(25, 24)
#define  IDR0_TTENDIAN		GENMASK(22, 21)
#define  IDR0_CD2L		BIT(19)
#define  IDR0_VMID16		BIT(18)
#define  IDR0_ASID16		BIT(12)
#define  IDR0_ATS		BIT(10)
#define  IDR0_HYP		BIT(9)
#define  IDR0_COHACC		BIT(4)
#define  IDR0_TTF		GENMASK(3, 2)
#define  IDR0_S1P		BIT(1)
#define  IDR0_S2P		BIT(0)
#define SMMU_IDR1		0x04
#define  IDR1_TABLES_PRESET	BIT(30)
#define  IDR1_QUEUES_PRESET	BIT(29)
#define  IDR1_REL		BIT(28)
#define  IDR1_CMDQS		GENMASK(25, 21)
#define  IDR1_EVTQS		GENMASK(20, 16)
#define  IDR1_SSIDSIZE		GENMASK(10, 6)
#define  IDR1_SIDSIZE		GENMASK(5, 0)
#define SMMU_IDR2		0x08
#define SMMU_IDR3		0x0c
#define  IDR3_RIL		BIT(10)
#define SMMU_IDR4		0x10
#define SMMU_IDR5		0x14
#define  IDR5_GRAN64K		BIT(6)
#define  IDR5_GRAN16K		BIT(5)
#define  IDR5_GRAN4K		BIT(4)
#define  IDR5_OAS		GENMASK(2, 0)
#define SMMU_IIDR		0x18
#define SMMU_AIDR		0x1c
#define SMMU_CR0		0x20
#define  CR0_CMDQEN		BIT(3)
#define  CR0_EVTQEN		BIT(2)
#define  CR0_SMMUEN		BIT(0)
#define SMMU_CR0ACK		0x24
#define SMMU_CR1		0x28
#define SMMU_CR2		0x2c
#define  CR2_PTM		BIT(2)
#define  CR2_RECINVSID		BIT(1)
#define SMMU_GBPA		0x44
#define  GBPA_UPDATE		BIT(31)
#define  GBPA_ABORT		BIT(20)
#define SMMU_IRQ_CTRL		0x50
#define SMMU_IRQ_CTRLACK	0x54
#define SMMU_GERROR		0x60
#define SMMU_GERRORN		0x64
#define  GERROR_CMDQ_ERR	BIT(0)
#define SMMU_STRTAB_BASE	0x80
#define SMMU_STRTAB_BASE_CFG	0x88
#define  STRTAB_FMT_2LVL	BIT(16)
#define  STRTAB_SPLIT		GENMASK(10, 6)
#define  STRTAB_LOG2SIZE	GENMASK(5, 0)
#define SMMU_CMDQ_BASE		0x90
#define SMMU_CMDQ_PROD		0x98
#define SMMU_CMDQ_CONS		0x9c
#define  CMDQ_CONS_ERR		GENMASK(30, 24)
#define SMMU_EVTQ_BASE		0xa0
/* the event queue's indexes live in page 1 */
#define SMMU_EVTQ_PROD		0x100a8
#define SMMU_EVTQ_CONS		0x100ac
#define Q_BASE_RWA		BIT(62)

/* event record types (the ones this program expects or names) */
#define EVT_C_BAD_STREAMID	0x02
#define EVT_C_BAD_STE		0x04
#define EVT_C_BAD_CD		0x0a
#define EVT_F_TRANSLATION	0x10
#define EVT_F_ADDR_SIZE		0x11
#define EVT_F_ACCESS		0x12
#define EVT_F_PERMISSION	0x13

enum ste_kind { STE_ABORT, STE_BYPASS, STE_S1 };

struct smmu_event {
	u8 type;
	u32 sid;
	u64 addr;	/* input address of a translation fault */
	u64 raw[4];
};

int smmu_probe(u64 base);
int smmu_init(bool two_level, u32 sid);
u64 smmu_cd_addr(void);
int smmu_set_ste(u32 sid, enum ste_kind kind, u64 cd_pa);
int smmu_write_cd(u32 sid, u16 asid, u64 ttb0);
int smmu_tlbi_va(u16 asid, u64 va);
int smmu_tlbi_asid(u16 asid);
long smmu_bench_tlbi(u16 asid, u64 va, u32 n, u32 batches);
int smmu_cfgi_all(void);
int smmu_set_gbpa(bool abort);
int smmu_enable(bool on);
int smmu_switch_strtab(bool two_level, u32 sid, enum ste_kind kind, u64 cd_pa);
bool smmu_two_level(void);
bool smmu_can_two_level(void);
int smmu_next_event(struct smmu_event *ev);
bool smmu_sync_errors_seen(void);
u32 smmu_read(u32 off);

#endif
