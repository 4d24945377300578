// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nested-smoke: the arm64 tier's first payload. Proves that the whole
 * nested path of the upstream arm-smmu-v3 driver works on the e1000e behind
 * QEMU's emulated SMMUv3 (stage=nested), with raw ioctls:
 *
 *   bind the VFIO cdev to iommufd, hw_info (type ARM_SMMUV3, IDRs decoded),
 *   IOAS + map, NEST_PARENT HWPT, attach, vIOMMU ARM_SMMUV3, vDEVICE,
 *   nested HWPTs from vSTEs (abort, bypass, S1_TRANS with a CD pointer
 *   into mapped memory) each attached, invalidation arrays (valid commands,
 *   an invalid one in the middle: errno and entry_num), vEVENTQ, teardown.
 *
 * Output: TAP (ok / not ok lines, a plan at the end). Exit 0 when all pass.
 * Environment: NESTIOMMU_VFIO_CDEV (set by the testbed's init).
 */
#include "niot.h"
#include <poll.h>

static int n_test, n_fail;

static void check(int cond, const char *fmt, ...)
{
	va_list ap;

	n_test++;
	if (!cond)
		n_fail++;
	printf("%s %d - ", cond ? "ok" : "not ok", n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* expect errno `want` (0: success) */
#define EXPECT(e, want, ...) do {                                            \
	int e_ = (e);                                                        \
	char m_[200];                                                        \
	snprintf(m_, sizeof(m_), __VA_ARGS__);                               \
	check(e_ == (want), "%s: %s%s%s", m_, niot_ename(e_),                 \
	      e_ == (want) ? "" : ", expected ", e_ == (want) ? "" : niot_ename(want)); \
} while (0)

static void print_hw_info(const struct iommu_hw_info_arm_smmuv3 *i)
{
	static const char *ttf[] = { "reserved", "aarch32", "aarch64", "aarch32+aarch64" };
	static const unsigned oas[] = { 32, 36, 40, 42, 44, 48, 52, 56 };

	printf("# hw_info ARM_SMMUV3: flags=%#x iidr=%#010x aidr=%#010x (SMMUv3.%u)\n",
	       i->flags, i->iidr, i->aidr, i->aidr & 0xf);
	for (int n = 0; n < 6; n++)
		printf("#   IDR%d = %#010x\n", n, i->idr[n]);
	printf("#   IDR0: S1P=%d S2P=%d TTF=%s COHACC=%d ATS=%d ASID16=%d VMID16=%d MSI=%d CD2L=%d ST_LEVEL=%u\n",
	       !!(i->idr[0] & IDR0_S1P), !!(i->idr[0] & IDR0_S2P),
	       ttf[FGET(IDR0_TTF, i->idr[0])], !!(i->idr[0] & IDR0_COHACC),
	       !!(i->idr[0] & IDR0_ATS), !!(i->idr[0] & IDR0_ASID16),
	       !!(i->idr[0] & IDR0_VMID16), !!(i->idr[0] & IDR0_MSI),
	       !!(i->idr[0] & IDR0_CD2L), (unsigned)FGET(IDR0_ST_LVL, i->idr[0]));
	printf("#   IDR1: SIDSIZE=%u SSIDSIZE=%u\n",
	       (unsigned)FGET(IDR1_SIDSIZE, i->idr[1]), (unsigned)FGET(IDR1_SSIDSIZE, i->idr[1]));
	printf("#   IDR3: RIL=%d BBML=%u FWB=%d\n", !!(i->idr[3] & IDR3_RIL),
	       (unsigned)FGET(IDR3_BBML, i->idr[3]), !!(i->idr[3] & IDR3_FWB));
	printf("#   IDR5: OAS=%u bits GRAN4K=%d GRAN16K=%d GRAN64K=%d DS=%d VAX=%u\n",
	       oas[FGET(IDR5_OAS, i->idr[5])], !!(i->idr[5] & IDR5_GRAN4K),
	       !!(i->idr[5] & IDR5_GRAN16K), !!(i->idr[5] & IDR5_GRAN64K),
	       !!(i->idr[5] & IDR5_DS), (unsigned)FGET(IDR5_VAX, i->idr[5]));
}

int main(void)
{
	struct iommu_hw_info_arm_smmuv3 info = { 0 };
	struct iommu_hw_info hw = { .size = sizeof(hw) };
	struct iommu_viommu_arm_smmuv3_invalidate cmds[4];
	uint32_t abort_id = 0, bypass_id = 0, s1_id = 0, evq_id = 0, num;
	struct niot t;
	int e, evq_fd = -1;

	printf("# nested-smoke: upstream SMMUv3 nested path on %s\n", niot_cdev_path());

	/* up to the S2: bind, IOAS, map, NEST_PARENT HWPT, attach */
	e = niot_open(&t, NIOT_S2);
	check(!e, "bind + IOAS + map %#llx@%#llx + NEST_PARENT HWPT + attach%s%s",
	      (unsigned long long)NIOT_LEN, (unsigned long long)NIOT_IOVA,
	      e ? ": " : "", e ? t.failed : "");
	if (e)
		goto out;
	printf("# dev_id=%u ioas_id=%u s2_hwpt_id=%u\n", t.dev_id, t.ioas_id, t.s2_id);

	hw.dev_id = t.dev_id;
	hw.data_len = sizeof(info);
	hw.data_uptr = (uintptr_t)&info;
	e = niot_ioctl(t.iommufd, IOMMU_GET_HW_INFO, &hw);
	EXPECT(e, 0, "IOMMU_GET_HW_INFO");
	check(!e && hw.out_data_type == IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
	      "hw_info type is ARM_SMMUV3 (%u), data_len %u", hw.out_data_type, hw.data_len);
	if (!e)
		print_hw_info(&info);
	check(!e && (info.idr[0] & IDR0_S1P) && (info.idr[0] & IDR0_S2P),
	      "the SMMU implements both stages (IDR0.S1P and S2P: -global arm-smmuv3.stage=nested)");

	e = niot_viommu(&t, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, t.s2_id, &t.viommu_id);
	EXPECT(e, 0, "IOMMU_VIOMMU_ALLOC type ARM_SMMUV3 on the NEST_PARENT HWPT (needs smmuv3-canwbs.patch)");
	if (e)
		goto out;

	/* bypass and abort may attach before the vDEVICE exists (GBPA case) */
	EXPECT(niot_nested(&t, STE_V_CFG(STE0_CFG_ABORT), 0, &abort_id), 0, "nested HWPT, vSTE abort");
	EXPECT(niot_attach(&t, abort_id), 0, "attach the abort nested HWPT before any vDEVICE");
	EXPECT(niot_nested(&t, STE_V_CFG(STE0_CFG_BYPASS), 0, &bypass_id), 0, "nested HWPT, vSTE bypass");
	EXPECT(niot_attach(&t, bypass_id), 0, "attach the bypass nested HWPT");

	/* S1_TRANS: a CD table pointer (IPA) into the mapped memory */
	EXPECT(niot_nested(&t, STE_V_CFG(STE0_CFG_S1_TRANS) | (NIOT_CD_IOVA & STE0_S1CTXPTR),
			   FPREP(STE1_S1DSS, 0) | FPREP(STE1_S1CIR, 1) | FPREP(STE1_S1COR, 1) |
			   FPREP(STE1_S1CSH, 3), &s1_id),
	       0, "nested HWPT, vSTE S1_TRANS with S1ContextPtr=%#llx", (unsigned long long)NIOT_CD_IOVA);
	EXPECT(niot_attach(&t, s1_id), ENOENT, "attach S1_TRANS without a vDEVICE is refused");
	EXPECT(niot_vdevice(&t, t.viommu_id, NIOT_VSID, &t.vdev_id), 0, "IOMMU_VDEVICE_ALLOC vSID %#x", NIOT_VSID);
	EXPECT(niot_attach(&t, s1_id), 0, "attach S1_TRANS after the vDEVICE");

	/* invalidation: four valid commands */
	memset(cmds, 0, sizeof(cmds));
	cmds[0].cmd[0] = CMD_OP_CFGI_CD | FPREP(CMD_CFGI0_SID, NIOT_VSID);
	cmds[0].cmd[1] = CMD_CFGI1_LEAF;
	cmds[1].cmd[0] = CMD_OP_CFGI_CD_ALL | FPREP(CMD_CFGI0_SID, NIOT_VSID);
	cmds[2].cmd[0] = CMD_OP_TLBI_NH_ASID | FPREP(CMD_TLBI0_ASID, 1);
	cmds[3].cmd[0] = CMD_OP_TLBI_NH_VA | FPREP(CMD_TLBI0_ASID, 1);
	cmds[3].cmd[1] = (NIOT_IOVA & CMD_TLBI1_ADDR) | CMD_TLBI1_LEAF;
	num = 4;
	e = niot_invalidate(&t, t.viommu_id, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, cmds, sizeof(cmds[0]), &num);
	check(!e && num == 4, "invalidate CFGI_CD, CFGI_CD_ALL, TLBI_NH_ASID, TLBI_NH_VA: %s entry_num=%u",
	      niot_ename(e), num);

	/* an unknown vSID in the middle: EIO, entry_num stops before it */
	cmds[1].cmd[0] = CMD_OP_CFGI_CD_ALL | FPREP(CMD_CFGI0_SID, NIOT_VSID_BAD);
	num = 4;
	e = niot_invalidate(&t, t.viommu_id, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, cmds, sizeof(cmds[0]), &num);
	check(e == EIO && num == 1, "CFGI_CD_ALL with an unknown vSID at index 1: %s entry_num=%u (want EIO 1)",
	      niot_ename(e), num);

	/* a host-only opcode (CFGI_STE) first: EIO, entry_num 0 */
	cmds[0].cmd[0] = CMD_OP_CFGI_STE | FPREP(CMD_CFGI0_SID, NIOT_VSID);
	cmds[0].cmd[1] = 0;
	num = 4;
	e = niot_invalidate(&t, t.viommu_id, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, cmds, sizeof(cmds[0]), &num);
	check(e == EIO && num == 0, "CFGI_STE (not allowed to a guest) at index 0: %s entry_num=%u (want EIO 0)",
	      niot_ename(e), num);

	/*
	 * An empty array: the uAPI comment of struct iommu_hwpt_invalidate
	 * says it is allowed (a probe of the data type), but on 7.3
	 * iommu_copy_struct_from_full_user_array() (include/linux/iommu.h)
	 * returns EINVAL for entry_num 0, and arm_vsmmu_cache_invalidate()
	 * calls it unconditionally: the driver's answer is EINVAL.
	 */
	num = 0;
	e = niot_invalidate(&t, t.viommu_id, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, NULL, 0, &num);
	check(e == EINVAL && num == 0, "empty invalidation array: %s entry_num=%u (want EINVAL 0, see iommu.h)",
	      niot_ename(e), num);

	/* vEVENTQ: one per type; nothing to read yet */
	e = niot_veventq(&t, t.viommu_id, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 64, &evq_id, &evq_fd);
	EXPECT(e, 0, "IOMMU_VEVENTQ_ALLOC type ARM_SMMUV3 depth 64");
	EXPECT(niot_veventq(&t, t.viommu_id, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 64, NULL, NULL),
	       EEXIST, "a second vEVENTQ of the same type");
	if (evq_fd >= 0) {
		struct pollfd p = { .fd = evq_fd, .events = POLLIN };
		int r = poll(&p, 1, 0);
		check(r == 0, "vEVENTQ fd has no event pending (poll=%d revents=%#x)", r, p.revents);
	}

	/* teardown in dependency order, each destroy checked */
	EXPECT(niot_destroy(t.iommufd, t.viommu_id), EBUSY, "destroy the vIOMMU while in use");
	EXPECT(niot_attach(&t, t.s2_id), 0, "re-attach the S2 (the VMM's SMMUEN=0)");
	EXPECT(niot_destroy(t.iommufd, s1_id), 0, "destroy the S1_TRANS nested HWPT");
	EXPECT(niot_destroy(t.iommufd, bypass_id), 0, "destroy the bypass nested HWPT");
	EXPECT(niot_destroy(t.iommufd, abort_id), 0, "destroy the abort nested HWPT");
	if (evq_fd >= 0)
		close(evq_fd);
	EXPECT(niot_destroy(t.iommufd, evq_id), 0, "destroy the vEVENTQ");
	EXPECT(niot_destroy(t.iommufd, t.vdev_id), 0, "destroy the vDEVICE");
	EXPECT(niot_destroy(t.iommufd, t.viommu_id), 0, "destroy the vIOMMU");
	EXPECT(niot_detach(&t), 0, "detach the device");
	EXPECT(niot_destroy(t.iommufd, t.s2_id), 0, "destroy the NEST_PARENT HWPT");
	EXPECT(niot_destroy(t.iommufd, t.ioas_id), 0, "destroy the IOAS");
out:
	niot_close(&t);
	printf("1..%d\n# nested-smoke: %d passed, %d failed\n", n_test, n_test - n_fail, n_fail);
	return n_fail ? 1 : 0;
}
