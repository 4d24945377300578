// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestiommu.ko, step 3: the ARM_SMMUV3 vIOMMU against Linux 7.3's
 * arm-smmu-v3-iommufd.c, case by case.  Every row gives the errno the 7.3
 * source returns (and which function decides it); the module must return
 * the same.  Needs the module loaded with instances=2 (cross-instance
 * cases).  Run once with ats=0 (default) and once with ats=1: the ATS
 * column applies when NIO_ATS=1 is in the environment.
 */
#include <nestiommu/smmu.h>

#include "nio_test.h"

#define PAGE 4096UL

/* STE fields (SMMUv3 spec; arm-smmu-v3.h) */
#define STE0_V			(1ULL << 0)
#define STE0_CFG(x)		((uint64_t)(x) << 1)
#define STE0_S1FMT(x)		((uint64_t)(x) << 4)
#define STE0_CTXPTR(a)		((a) & 0x000fffffffffffc0ULL)
#define STE0_S1CDMAX(x)		((uint64_t)(x) << 59)
#define STE1_S1DSS(x)		((uint64_t)(x) << 0)
#define STE1_S1CIR(x)		((uint64_t)(x) << 2)
#define STE1_MEV		(1ULL << 19)
#define STE1_S1STALLD		(1ULL << 27)
#define STE1_EATS(x)		((uint64_t)(x) << 28)
#define STE1_STRW(x)		((uint64_t)(x) << 30)

/* Command fields */
#define OP(x)			((uint64_t)(x))
#define SSV			(1ULL << 11)
#define TLBI_NUM(x)		((uint64_t)(x) << 12)
#define TLBI_SCALE(x)		((uint64_t)(x) << 20)
#define VMID(x)			((uint64_t)(x) << 32)
#define ASID(x)			((uint64_t)(x) << 48)
#define SID(x)			((uint64_t)(x) << 32)
#define CFGI_SSID(x)		((uint64_t)(x) << 12)
#define ATC_GLOBAL		(1ULL << 9)
#define LEAF			(1ULL << 0)
#define TTL(x)			((uint64_t)(x) << 8)
#define TG(x)			((uint64_t)(x) << 10)
#define ATC_SIZE(x)		((uint64_t)(x))

#define VSID0	0x10
#define VSID1	0x11

struct ste_case {
	const char *what;
	uint64_t ste0, ste1;
	uint32_t flags;
	int err;
	const char *why;
};

static const struct ste_case ste_cases[] = {
	{ "V=0 with junk bits (zeroed, accepted)", 0xfff0, 0xffff, 0, 0,
	  "arm_smmu_validate_vste: !V -> memset 0" },
	{ "Config abort", STE0_V | STE0_CFG(0), 0, 0, 0,
	  "arm_smmu_validate_vste" },
	{ "Config bypass", STE0_V | STE0_CFG(4), 0, 0, 0,
	  "arm_smmu_validate_vste" },
	{ "Config S1_TRANS", STE0_V | STE0_CFG(5) | STE0_CTXPTR(0x10000), 0,
	  0, 0, "arm_smmu_validate_vste" },
	{ "Config S2_TRANS", STE0_V | STE0_CFG(6), 0, 0, EIO,
	  "arm_smmu_validate_vste: cfg not abort/bypass/s1" },
	{ "Config NESTED", STE0_V | STE0_CFG(7), 0, 0, EIO,
	  "arm_smmu_validate_vste: cfg not abort/bypass/s1" },
	{ "Config 1 (reserved)", STE0_V | STE0_CFG(1), 0, 0, EIO,
	  "arm_smmu_validate_vste: cfg" },
	{ "all allowed ste0/ste1 bits", STE0_V | STE0_CFG(5) |
	  STE0_S1FMT(3) | STE0_CTXPTR(~0ULL) | STE0_S1CDMAX(31),
	  STE1_S1DSS(3) | STE1_S1CIR(3) | (3ULL << 4) | (3ULL << 6) |
	  STE1_S1STALLD | STE1_EATS(1), 0, 0, "STRTAB_STE_*_NESTING_ALLOWED" },
	{ "ste0 bit 52 (outside S1ContextPtr)", STE0_V | STE0_CFG(5) |
	  (1ULL << 52), 0, 0, EIO, "arm_smmu_validate_vste: ~NESTING_ALLOWED" },
	{ "ste0 word... S1CDMAX neighbour bit 58", STE0_V | (1ULL << 58), 0,
	  0, EIO, "arm_smmu_validate_vste: ~NESTING_ALLOWED" },
	{ "ste1 MEV", STE0_V | STE0_CFG(5), STE1_MEV, 0, EIO,
	  "arm_smmu_validate_vste: ~NESTING_ALLOWED" },
	{ "ste1 STRW", STE0_V | STE0_CFG(5), STE1_STRW(2), 0, EIO,
	  "arm_smmu_validate_vste: ~NESTING_ALLOWED" },
	{ "ste1 bit 8", STE0_V | STE0_CFG(4), 1ULL << 8, 0, EIO,
	  "arm_smmu_validate_vste: ~NESTING_ALLOWED" },
	{ "EATS=TRANS", STE0_V | STE0_CFG(5), STE1_EATS(1), 0, 0,
	  "arm_smmu_validate_vste" },
	{ "EATS=S1CHK", STE0_V | STE0_CFG(5), STE1_EATS(2), 0, EIO,
	  "arm_smmu_validate_vste: eats" },
	{ "EATS=3", STE0_V | STE0_CFG(4), STE1_EATS(3), 0, EIO,
	  "arm_smmu_validate_vste: eats" },
	{ "flag ALLOC_PASID", STE0_V | STE0_CFG(5), 0,
	  IOMMU_HWPT_ALLOC_PASID, EOPNOTSUPP,
	  "arm_vsmmu_alloc_domain_nested: flags" },
	{ "flag NEST_PARENT", STE0_V | STE0_CFG(5), 0,
	  IOMMU_HWPT_ALLOC_NEST_PARENT, EOPNOTSUPP,
	  "iommufd_viommu_alloc_hwpt_nested: flags" },
};

struct cmd_case {
	const char *what;
	uint64_t c0, c1;
	int err;	/* ats=0 */
	int err_ats;	/* ats=1 */
	const char *why;
};

static const struct cmd_case cmd_cases[] = {
	{ "TLBI_NH_ALL", OP(0x10), 0, 0, 0, "validate_user_cmd" },
	{ "TLBI_NH_ALL with VMID (overwritten)", OP(0x10) | VMID(0x1234), 0,
	  0, 0, "allowed CMDQ_TLBI_0_VMID" },
	{ "TLBI_NH_ALL with ASID", OP(0x10) | ASID(1), 0, EIO, EIO,
	  "NH_ALL allows OP|VMID" },
	{ "TLBI_NH_ALL word1 bit", OP(0x10), 1, EIO, EIO,
	  "NH_ALL allowed[1] = 0" },
	{ "TLBI_NSNH_ALL", OP(0x30), 0, 0, 0, "converted to NH_ALL" },
	{ "TLBI_NSNH_ALL with VMID", OP(0x30) | VMID(1), 0, EIO, EIO,
	  "NSNH_ALL allows OP only" },
	{ "TLBI_NH_ASID 0xffff", OP(0x11) | ASID(0xffff), 0, 0, 0,
	  "asid_bits 16" },
	{ "TLBI_NH_ASID word1", OP(0x11) | ASID(1), 1ULL << 12, EIO, EIO,
	  "NH_ASID allowed[1] = 0" },
	{ "TLBI_NH_VA TG=0", OP(0x12) | ASID(1), 0x1000 | LEAF, 0, 0,
	  "validate_range: !tg, !range, !ttl" },
	{ "TLBI_NH_VA TG=0 TTL=1", OP(0x12), 0x1000 | TTL(1), EIO, EIO,
	  "validate_range: TTL RES0 when TG=0" },
	{ "TLBI_NH_VA TG=0 NUM=1", OP(0x12) | TLBI_NUM(1), 0x1000, EIO, EIO,
	  "validate_range: NUM RES0 when TG=0" },
	{ "TLBI_NH_VA TG=4K NUM=0 SCALE=0 TTL=0", OP(0x12), 0x1000 | TG(1),
	  EIO, EIO, "validate_range: reserved combination" },
	{ "TLBI_NH_VA TG=4K TTL=3", OP(0x12), 0x1000 | TG(1) | TTL(3), 0, 0,
	  "validate_range" },
	{ "TLBI_NH_VA TG=4K NUM=3 SCALE=2", OP(0x12) | TLBI_NUM(3) |
	  TLBI_SCALE(2), 0x1000 | TG(1), 0, 0, "RANGE_INV" },
	{ "TLBI_NH_VA TG=16K TTL=1 (no DS)", OP(0x12), TG(2) | TTL(1), EIO,
	  EIO, "validate_range: 16K TTL=1 needs DS" },
	{ "TLBI_NH_VA SCALE=32 (no DS)", OP(0x12) | TLBI_NUM(1) |
	  TLBI_SCALE(32), TG(1), EIO, EIO, "SCALE bit 5 RES0 without DS" },
	{ "TLBI_NH_VA SSV", OP(0x12) | SSV, 0x1000, EIO, EIO,
	  "not an allowed field" },
	{ "TLBI_NH_VA bit 8 of word 0", OP(0x12) | (1ULL << 8), 0, EIO, EIO,
	  "not an allowed field" },
	{ "TLBI_NH_VAA", OP(0x13) | VMID(3), 0x2000 | LEAF, 0, 0,
	  "validate_user_cmd" },
	{ "TLBI_NH_VAA with ASID", OP(0x13) | ASID(1), 0x2000, EIO, EIO,
	  "VAA has no ASID field" },
	{ "ATC_INV", OP(0x40) | SID(VSID0), ATC_SIZE(0), EIO, 0,
	  "ATC_INV illegal without FEAT_ATS" },
	{ "ATC_INV size 52", OP(0x40) | SID(VSID0), ATC_SIZE(52), EIO, 0,
	  "ATC_INV_SIZE_ALL" },
	{ "ATC_INV size 53", OP(0x40) | SID(VSID0), ATC_SIZE(53), EIO, EIO,
	  "Size above 52" },
	{ "ATC_INV SSV+SSID+Global", OP(0x40) | SID(VSID0) | SSV |
	  CFGI_SSID(5) | ATC_GLOBAL, 0, EIO, 0, "ssid_bits != 0" },
	{ "ATC_INV unknown vSID", OP(0x40) | SID(0x77), 0, EIO, EIO,
	  "arm_vsmmu_vsid_to_sid" },
	{ "CFGI_CD", OP(0x05) | SID(VSID0) | CFGI_SSID(3), LEAF, 0, 0,
	  "validate_user_cmd" },
	{ "CFGI_CD SSV", OP(0x05) | SID(VSID0) | SSV, 0, EIO, EIO,
	  "no SSV for CFGI_CD" },
	{ "CFGI_CD unknown vSID", OP(0x05) | SID(0x77), 0, EIO, EIO,
	  "arm_vsmmu_vsid_to_sid" },
	{ "CFGI_CD_ALL", OP(0x06) | SID(VSID0), 0, 0, 0, "validate_user_cmd" },
	{ "CFGI_CD_ALL with SSID", OP(0x06) | SID(VSID0) | CFGI_SSID(1), 0,
	  EIO, EIO, "CFGI_CD_ALL allows SID only" },
	{ "CFGI_CD_ALL LEAF", OP(0x06) | SID(VSID0), LEAF, EIO, EIO,
	  "CFGI_CD_ALL allowed[1] = 0" },
	{ "PREFETCH_CFG", OP(0x01), 0, EIO, EIO, "default: EIO" },
	{ "CFGI_STE", OP(0x03) | SID(VSID0), 0, EIO, EIO, "default: EIO" },
	{ "CFGI_ALL", OP(0x04), 0, EIO, EIO, "default: EIO" },
	{ "TLBI_EL2_ALL", OP(0x20), 0, EIO, EIO, "default: EIO" },
	{ "TLBI_S12_VMALL", OP(0x28), 0, EIO, EIO, "default: EIO" },
	{ "TLBI_S2_IPA", OP(0x2a), 0, EIO, EIO, "default: EIO" },
	{ "PRI_RESP", OP(0x41), 0, EIO, EIO, "default: EIO" },
	{ "RESUME", OP(0x44), 0, EIO, EIO, "default: EIO" },
	{ "CMD_SYNC", OP(0x46), 0, EIO, EIO, "default: EIO" },
};

static int nt_inv1(int fd, uint32_t viommu, uint64_t c0, uint64_t c1,
		   uint32_t *num)
{
	uint64_t cmd[2] = { c0, c1 };

	*num = 1;
	return nt_invalidate(fd, viommu, cmd, sizeof(cmd), num);
}

static int nested(int fd, uint32_t dev_id, uint32_t viommu, uint64_t s0,
		  uint64_t s1, uint32_t flags, uint32_t *id)
{
	struct iommu_hwpt_arm_smmuv3 ste = { .ste = { s0, s1 } };

	return nt_hwpt_alloc(fd, dev_id, viommu, flags,
			     IOMMU_HWPT_DATA_ARM_SMMUV3, &ste, sizeof(ste),
			     id);
}

int main(void)
{
	bool ats = getenv("NIO_ATS") && atoi(getenv("NIO_ATS"));
	uint32_t dev0_id = 0, dev1_id = 0, devx_id = 0, ioas = 0, s2 = 0;
	uint32_t plain = 0, viommu = 0, viommu2 = 0, vdev0 = 0, s2x = 0;
	uint32_t h_abort = 0, h_bypass = 0, h_s1 = 0, h_v0 = 0, id, num;
	uint64_t cmds[200][2];
	int fd, dev0, dev1, devx, evfd = -1, evfd2;
	unsigned int i;

	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0)
		nt_die("open /dev/iommu");
	dev0 = nt_open_ep(0, 0, NULL, 0);
	dev1 = nt_open_ep(0, 1, NULL, 0);
	devx = nt_open_ep(1, 0, NULL, 0);
	if (dev0 < 0 || dev1 < 0 || devx < 0)
		nt_die("open endpoints (load with instances=2)");
	NT_EXPECT(0, nt_bind(dev0, fd, &dev0_id), "bind ep 0.0");
	NT_EXPECT(0, nt_bind(dev1, fd, &dev1_id), "bind ep 0.1");
	NT_EXPECT(0, nt_bind(devx, fd, &devx_id), "bind ep 1.0");
	NT_EXPECT(0, nt_ioas_alloc(fd, &ioas), "IOAS_ALLOC");
	NT_EXPECT(0, nt_hwpt_alloc(fd, dev0_id, ioas,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0,
				   &s2), "NEST_PARENT");
	NT_EXPECT(0, nt_hwpt_alloc(fd, dev0_id, ioas, 0, 0, NULL, 0, &plain),
		  "plain paging HWPT");
	NT_EXPECT(0, nt_hwpt_alloc(fd, devx_id, ioas,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0,
				   &s2x), "NEST_PARENT on instance 1");

	{
		struct iommu_hwpt_arm_smmuv3 ste = { .ste = { 1, 0 } };

		NT_EXPECT(EOPNOTSUPP,
			  nt_hwpt_alloc(fd, dev0_id, ioas, 0,
					IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
					sizeof(ste), NULL),
			  "paging HWPT with user data (arm_smmu_domain_alloc_paging_flags)");
	}
	id = plain;
	NT_EXPECT(EINVAL, nt_attach(devx, &id),
		  "attach to a paging HWPT of another SMMU (arm_smmu_attach_prepare)");
	id = s2;
	NT_EXPECT(EINVAL, nt_attach(devx, &id),
		  "attach to a NEST_PARENT of another SMMU");

	/* vIOMMU allocation */
	NT_EXPECT(EOPNOTSUPP, nt_viommu_alloc(fd, dev0_id, s2, 0, NULL),
		  "vIOMMU type DEFAULT (iommufd_viommu_alloc_ioctl)");
	NT_EXPECT(EOPNOTSUPP, nt_viommu_alloc(fd, dev0_id, s2, 0xdead, NULL),
		  "vIOMMU type 0xdead (arm_smmu_get_viommu_size -> 0)");
	NT_EXPECT(EOPNOTSUPP, nt_viommu_alloc(fd, dev0_id, s2,
					      IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV,
					      NULL),
		  "vIOMMU type TEGRA241_CMDQV (no impl_ops)");
	NT_EXPECT(EINVAL, nt_viommu_alloc(fd, dev0_id, plain,
					  IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL),
		  "vIOMMU on non-NEST_PARENT HWPT (iommufd_viommu_alloc_ioctl)");
	NT_EXPECT(EINVAL, nt_viommu_alloc(fd, devx_id, s2,
					  IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL),
		  "vIOMMU with S2 of another SMMU (arm_vsmmu_init)");
	NT_EXPECT(0, nt_viommu_alloc(fd, dev0_id, s2,
				     IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &viommu),
		  "vIOMMU ARM_SMMUV3");
	NT_EXPECT(0, nt_viommu_alloc(fd, dev0_id, s2,
				     IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &viommu2),
		  "second vIOMMU on the same S2");

	/* vDEVICE */
	NT_EXPECT(0, nt_vdevice_alloc(fd, viommu, dev0_id, VSID0, &vdev0),
		  "vDEVICE vSID 0x%x for ep 0.0", VSID0);
	NT_EXPECT(EEXIST, nt_vdevice_alloc(fd, viommu, dev1_id, VSID0, NULL),
		  "vDEVICE duplicate vSID (xa_insert)");
	NT_EXPECT(EEXIST, nt_vdevice_alloc(fd, viommu, dev0_id, 0x99, NULL),
		  "second vDEVICE of a device (idev->vdev)");
	NT_EXPECT(EINVAL, nt_vdevice_alloc(fd, viommu, devx_id, 0x20, NULL),
		  "vDEVICE of another SMMU's device (iommu_dev mismatch)");

	/* vSTE validation */
	for (i = 0; i < sizeof(ste_cases) / sizeof(ste_cases[0]); i++) {
		const struct ste_case *c = &ste_cases[i];

		id = 0;
		NT_EXPECT(c->err, nested(fd, dev0_id, viommu, c->ste0, c->ste1,
					 c->flags, &id),
			  "vSTE %s (%s)", c->what, c->why);
		if (id)
			nt_destroy(fd, id);
	}
	{
		struct iommu_hwpt_arm_smmuv3 ste = { .ste = { STE0_V, 0 } };
		uint64_t big[3] = { STE0_V, 0, 1 };

		NT_EXPECT(EINVAL, nt_hwpt_alloc(fd, dev0_id, viommu, 0,
						IOMMU_HWPT_DATA_ARM_SMMUV3,
						&ste, 8, NULL),
			  "vSTE data_len 8 (iommu_copy_struct_from_user)");
		NT_EXPECT(EINVAL, nt_hwpt_alloc(fd, dev0_id, viommu, 0,
						IOMMU_HWPT_DATA_ARM_SMMUV3,
						big, sizeof(big), NULL),
			  "vSTE data_len 24 (__iommu_copy_struct_from_user: len > kernel size)");
		NT_EXPECT(EINVAL, nt_hwpt_alloc(fd, dev0_id, viommu, 0,
						IOMMU_HWPT_DATA_VTD_S1, &ste,
						sizeof(ste), NULL),
			  "vSTE with data_type VTD_S1 (type mismatch)");
		NT_EXPECT(EOPNOTSUPP, nt_hwpt_alloc(fd, dev0_id, viommu, 0,
						    IOMMU_HWPT_DATA_NONE, NULL,
						    0, NULL),
			  "nested with data_type NONE (iommufd_viommu_alloc_hwpt_nested: !len)");
		NT_EXPECT(EFAULT, nt_hwpt_alloc(fd, dev0_id, viommu, 0,
						IOMMU_HWPT_DATA_ARM_SMMUV3,
						NULL, sizeof(ste), NULL),
			  "vSTE NULL pointer");
	}

	/* Nested attach rules */
	NT_EXPECT(0, nested(fd, dev0_id, viommu, STE0_V | STE0_CFG(0), 0, 0,
			    &h_abort), "nested abort");
	NT_EXPECT(0, nested(fd, dev0_id, viommu, STE0_V | STE0_CFG(4), 0, 0,
			    &h_bypass), "nested bypass");
	NT_EXPECT(0, nested(fd, dev0_id, viommu, STE0_V | STE0_CFG(5) |
			    STE0_CTXPTR(0x10000), 0, 0, &h_s1), "nested S1");
	NT_EXPECT(0, nested(fd, dev0_id, viommu, 0, 0, 0, &h_v0),
		  "nested V=0");
	id = h_s1;
	NT_EXPECT(ENOENT, nt_attach(dev1, &id),
		  "S1_TRANS attach without vDEVICE (arm_smmu_attach_prepare_vmaster)");
	id = h_abort;
	NT_EXPECT(0, nt_attach(dev1, &id), "abort attach without vDEVICE");
	id = h_bypass;
	NT_EXPECT(0, nt_attach(dev1, &id), "bypass attach without vDEVICE");
	id = h_v0;
	NT_EXPECT(0, nt_attach(dev1, &id), "V=0 attach without vDEVICE");
	id = h_s1;
	NT_EXPECT(0, nt_attach(dev0, &id), "S1_TRANS attach with vDEVICE");
	id = h_s1;
	NT_EXPECT(EINVAL, nt_attach(devx, &id),
		  "nested of another SMMU (arm_smmu_attach_dev_nested)");
	{
		struct nio_smmu *ctl;
		struct nio_smmu_device d;
		uint32_t h = 0;

		/* EATS=TRANS: ATS stays on only if the SMMU has ATS */
		NT_EXPECT(0, nested(fd, dev0_id, viommu, STE0_V | STE0_CFG(5) |
				    STE0_CTXPTR(0x10000), STE1_EATS(1), 0, &h),
			  "nested S1 with EATS=TRANS");
		id = h;
		NT_EXPECT(0, nt_attach(dev0, &id), "attach it");
		NT_EXPECT(0, nio_smmu_open(&ctl), "netlink");
		NT_EXPECT(0, nio_smmu_device_get(ctl, 0, 0, &d), "device dump");
		NT_CHECK(((d.ste[1] >> 28) & 3) == (ats ? 1u : 0u),
			 "physical STE.EATS %llu (ats=%d)",
			 (unsigned long long)((d.ste[1] >> 28) & 3), ats);
		nio_smmu_close(ctl);
		id = h_s1;
		NT_EXPECT(0, nt_attach(dev0, &id), "back to nested S1");
		NT_EXPECT(0, nt_destroy(fd, h), "destroy the EATS nested");
	}
	NT_EXPECT(EBUSY, nt_destroy(fd, h_s1), "destroy attached nested");
	NT_EXPECT(EBUSY, nt_destroy(fd, viommu), "destroy vIOMMU in use");
	NT_EXPECT(EBUSY, nt_destroy(fd, s2), "destroy S2 in use");

	/* vEVENTQ */
	NT_EXPECT(0, nt_veventq_alloc(fd, viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
				      16, NULL, &evfd), "vEVENTQ ARM_SMMUV3");
	NT_EXPECT(EEXIST, nt_veventq_alloc(fd, viommu,
					   IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 16,
					   NULL, &evfd2), "second vEVENTQ");

	/* Invalidation: per-opcode validation */
	for (i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		const struct cmd_case *c = &cmd_cases[i];
		int want = ats ? c->err_ats : c->err;

		NT_EXPECT(want, nt_inv1(fd, viommu, c->c0, c->c1, &num),
			  "cmd %s (%s)", c->what, c->why);
		NT_CHECK(num == (want ? 0u : 1u), "  entry_num %u", num);
	}

	/* Array semantics */
	num = 0;
	NT_EXPECT(EINVAL, nt_invalidate(fd, viommu, cmds, 16, &num),
		  "entry_num 0 (iommu_copy_struct_from_full_user_array)");
	{
		uint64_t c24[2][3] = { { OP(0x10), 0, 0 }, { OP(0x10), 0, 1 } };
		struct iommu_hwpt_invalidate inv = {
			.size = sizeof(inv), .hwpt_id = viommu,
			.data_uptr = (uintptr_t)c24,
			.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
			.entry_len = 24, .entry_num = 1,
		};

		NT_EXPECT(0, ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv),
			  "entry_len 24, zero tail");
		inv.entry_num = 2;
		NT_EXPECT(E2BIG, ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv),
			  "entry_len 24, non-zero tail (copy_struct_from_user)");
		NT_CHECK(inv.entry_num == 0, "  entry_num %u", inv.entry_num);
		inv.entry_num = 1;
		inv.entry_len = 8;
		NT_EXPECT(0, ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv),
			  "entry_len 8 (zero-extended)");
		inv.entry_len = 16;
		inv.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
		NT_EXPECT(EINVAL, ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv),
			  "data_type VTD_S1");
		inv.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
		inv.__reserved = 1;
		NT_EXPECT(EOPNOTSUPP, ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv),
			  "__reserved (iommufd_hwpt_invalidate)");
		inv.__reserved = 0;
		inv.hwpt_id = h_s1;
		NT_EXPECT(EOPNOTSUPP, ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv),
			  "on the nested HWPT (no cache_invalidate_user)");
		inv.hwpt_id = s2;
		NT_EXPECT(EINVAL, ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv),
			  "on the S2 HWPT");
	}
	for (i = 0; i < 200; i++) {
		cmds[i][0] = OP(0x11) | ASID(i);
		cmds[i][1] = 0;
	}
	num = 4;
	cmds[2][0] = OP(0x03);
	NT_EXPECT(EIO, nt_invalidate(fd, viommu, cmds, 16, &num),
		  "[ok, ok, CFGI_STE, ok]");
	NT_CHECK(num == 2, "  entry_num %u == 2", num);
	cmds[2][0] = OP(0x11);
	num = 200;
	NT_EXPECT(0, nt_invalidate(fd, viommu, cmds, 16, &num),
		  "200 commands (several batches of 63)");
	NT_CHECK(num == 200, "  entry_num %u == 200", num);
	cmds[70][0] = OP(0x46);
	num = 100;
	NT_EXPECT(EIO, nt_invalidate(fd, viommu, cmds, 16, &num),
		  "CMD_SYNC at 70 of 100");
	NT_CHECK(num == 70, "  entry_num %u == 70", num);
	cmds[70][0] = OP(0x05) | SID(VSID1);
	num = 100;
	NT_EXPECT(EIO, nt_invalidate(fd, viommu, cmds, 16, &num),
		  "CFGI_CD of an unknown vSID at 70 of 100");
	NT_CHECK(num == 70, "  entry_num %u == 70", num);
	{
		/*
		 * iommufd's own cap, 2^19 entries: an 8 MiB copy, above
		 * MAX_PAGE_ORDER for kzalloc (ENOMEM and a page allocator
		 * WARN before kvcalloc)
		 */
		uint32_t big = 1U << 19;
		uint64_t (*bc)[2] = calloc(big, sizeof(*bc));

		if (!bc)
			nt_die("calloc");
		for (i = 0; i < big; i++)
			bc[i][0] = OP(0x11) | ASID(i & 0xffff);
		num = big;
		NT_EXPECT(0, nt_invalidate(fd, viommu, bc, 16, &num),
			  "2^19 commands (iommufd's entry_num cap)");
		NT_CHECK(num == big, "  entry_num %u == %u", num, big);
		free(bc);
	}

	/* Teardown in dependency order */
	NT_EXPECT(0, nt_detach(dev0), "detach ep 0.0");
	NT_EXPECT(0, nt_detach(dev1), "detach ep 0.1");
	NT_EXPECT(0, nt_destroy(fd, h_s1), "destroy nested S1");
	NT_EXPECT(0, nt_destroy(fd, vdev0), "destroy vDEVICE");
	NT_EXPECT(0, nt_destroy(fd, viommu2), "destroy second vIOMMU");
	close(evfd);
	/* The rest goes with the fd: the module must not leak or oops */
	close(dev0);
	close(dev1);
	close(devx);
	close(fd);
	return nt_done();
}
