// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * conform: the differential conformance table of the SMMUv3 nested
 * uAPI. Every case runs on a fresh iommufd context (bound VFIO cdev, IOAS,
 * NEST_PARENT HWPT, vIOMMU, vDEVICE as the case needs) and prints its
 * verdict: the kernel's return code as an errno name ("ok" for success),
 * plus entry_num for invalidations, one step after another.
 *
 *   <case name> TAB <verdict> TAB # <what decides it upstream>
 *
 * The same program runs on the arm64 tier (upstream arm-smmu-v3, QEMU's
 * emulated SMMUv3) and on the x86 tier (nestiommu.ko); tests/arm64/
 * compare.sh compares its output with tests/arm64/conform.expected, which
 * holds the verdicts recorded on the arm64 tier. The first case,
 * hw_info.features, prints the IDR features that the other verdicts depend
 * on (ATS, SSIDSIZE, ASID16, RIL, DS): a backend that reports other
 * features is expected to differ exactly in the cases that say so.
 *
 * Usage: conform [-l] [NAME-PREFIX...]
 *   -l    list the cases and their references, run nothing
 *   NAME-PREFIX  run only the cases whose name starts with one of them
 * Exit: 0 all cases ran (whatever their verdicts), 2 a fixture failed.
 * Environment: NESTIOMMU_VFIO_CDEV (set by the testbed's init).
 */
#include "niot.h"

#define SRC "arm-smmu-v3-iommufd.c"

struct verdict {
	char s[256];
};

static void vput(struct verdict *v, const char *step, int e)
{
	size_t n = strlen(v->s);
	snprintf(v->s + n, sizeof(v->s) - n, "%s%s%s%s", n ? " " : "",
		 step ? step : "", step ? "=" : "", niot_ename(e));
}

static void vinv(struct verdict *v, int e, uint32_t num)
{
	size_t n = strlen(v->s);
	snprintf(v->s + n, sizeof(v->s) - n, "%s%s entry_num=%u", n ? " " : "",
		 niot_ename(e), num);
}

static void vtext(struct verdict *v, const char *fmt, ...)
{
	size_t n = strlen(v->s);
	va_list ap;

	if (n && n < sizeof(v->s) - 1)
		v->s[n++] = ' ', v->s[n] = 0;
	va_start(ap, fmt);
	vsnprintf(v->s + n, sizeof(v->s) - n, fmt, ap);
	va_end(ap);
}

struct tcase;
typedef int (*case_fn)(struct niot *t, const struct tcase *c, struct verdict *v);

struct tcase {
	const char *name;
	enum niot_level level;
	case_fn fn;
	uint64_t a[2];		/* vSTE words, or parameters */
	int n;			/* number of commands in cmd[] */
	uint64_t cmd[4][2];
	uint32_t p1, p2;
	const char *ref;
};

/* ------------------------------------------------------------------ */
/* helpers */

static uint64_t features_ats, features_ssid, features_asid16, features_ril, features_ds;

static int read_hw_info(struct niot *t, struct iommu_hw_info_arm_smmuv3 *info, uint32_t *type)
{
	struct iommu_hw_info hw = {
		.size = sizeof(hw), .dev_id = t->dev_id, .data_len = sizeof(*info),
		.data_uptr = (uintptr_t)info,
	};
	int e = niot_ioctl(t->iommufd, IOMMU_GET_HW_INFO, &hw);
	if (type)
		*type = hw.out_data_type;
	return e;
}

/* put the device back on the S2 and destroy an object; any failure is
 * reported as a verdict step (it would leak into later cases) */
static void cleanup_nested(struct niot *t, uint32_t id, struct verdict *v)
{
	int e;

	if (!id)
		return;
	if (t->s2_id && (e = niot_attach(t, t->s2_id)))
		vput(v, "cleanup_attach_s2", e);
	if ((e = niot_destroy(t->iommufd, id)))
		vput(v, "cleanup_destroy", e);
}

/* ------------------------------------------------------------------ */
/* case kinds */

/* hw_info: the IDR features the gated verdicts depend on */
static int c_features(struct niot *t, const struct tcase *c, struct verdict *v)
{
	struct iommu_hw_info_arm_smmuv3 i = { 0 };
	uint32_t type = 0;
	int e = read_hw_info(t, &i, &type);

	(void)c;
	if (e) {
		vput(v, NULL, e);
		return 0;
	}
	features_ats = !!(i.idr[0] & IDR0_ATS);
	features_ssid = FGET(IDR1_SSIDSIZE, i.idr[1]);
	features_asid16 = !!(i.idr[0] & IDR0_ASID16);
	features_ril = !!(i.idr[3] & IDR3_RIL);
	features_ds = !!(i.idr[5] & IDR5_DS);
	vtext(v, "type=%u s1p=%d s2p=%d ats=%d ssidsize=%u asid16=%d ril=%d ds=%d fwb=%d",
	      type, !!(i.idr[0] & IDR0_S1P), !!(i.idr[0] & IDR0_S2P),
	      (int)features_ats, (unsigned)features_ssid, (int)features_asid16,
	      (int)features_ril, (int)features_ds, !!(i.idr[3] & IDR3_FWB));
	return 0;
}

/* hw_info argument variants: p1 flags, p2 in_data_type, a[0] data_len */
static int c_hwinfo(struct niot *t, const struct tcase *c, struct verdict *v)
{
	struct iommu_hw_info_arm_smmuv3 i = { 0 };
	struct iommu_hw_info hw = {
		.size = sizeof(hw), .flags = c->p1, .dev_id = t->dev_id,
		.data_len = (uint32_t)c->a[0], .data_uptr = (uintptr_t)&i,
		.in_data_type = c->p2,
	};
	int e = niot_ioctl(t->iommufd, IOMMU_GET_HW_INFO, &hw);

	vput(v, NULL, e);
	if (!e)
		vtext(v, "type=%u data_len=%u", hw.out_data_type, hw.data_len);
	return 0;
}

/* a vSTE: alloc the nested HWPT, attach it if that worked (p1: vDEVICE
 * first? the level decides), then clean up */
static int c_vste(struct niot *t, const struct tcase *c, struct verdict *v)
{
	uint32_t id = 0;
	int e = niot_nested(t, c->a[0], c->a[1], &id);

	vput(v, "alloc", e);
	if (e)
		return 0;
	vput(v, "attach", niot_attach(t, id));
	if (c->p1 == 1) {	/* then the vDEVICE, then attach again */
		vput(v, "vdevice", niot_vdevice(t, t->viommu_id, NIOT_VSID, &t->vdev_id));
		vput(v, "attach", niot_attach(t, id));
	}
	cleanup_nested(t, id, v);
	return 0;
}

/* nested HWPT allocation argument variants (p1 selects) */
enum { NA_LEN_SHORT, NA_LEN_LONG_ZERO, NA_LEN_LONG_NONZERO, NA_LEN_ZERO,
       NA_TYPE_VTD, NA_TYPE_NONE, NA_TYPE_99, NA_FLAGS_NEST_PARENT, NA_FLAGS_DIRTY,
       NA_ON_S2, NA_ON_IOAS, NA_BAD_DEV, NA_NULL_UPTR, NA_ON_VDEV };

static int c_nested_args(struct niot *t, const struct tcase *c, struct verdict *v)
{
	uint64_t buf[4] = { STE_V_CFG(STE0_CFG_BYPASS), 0, 0, 0 };
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .dev_id = t->dev_id, .pt_id = t->viommu_id,
		.data_type = IOMMU_HWPT_DATA_ARM_SMMUV3, .data_len = 16,
		.data_uptr = (uintptr_t)buf,
	};
	int e;

	switch (c->p1) {
	case NA_LEN_SHORT: a.data_len = 8; break;
	case NA_LEN_LONG_ZERO: a.data_len = 32; break;
	case NA_LEN_LONG_NONZERO: a.data_len = 32; buf[3] = 1; break;
	case NA_LEN_ZERO: a.data_len = 0; break;
	case NA_TYPE_VTD: a.data_type = IOMMU_HWPT_DATA_VTD_S1; break;
	case NA_TYPE_NONE: a.data_type = IOMMU_HWPT_DATA_NONE; break;
	case NA_TYPE_99: a.data_type = 99; break;
	case NA_FLAGS_NEST_PARENT: a.flags = IOMMU_HWPT_ALLOC_NEST_PARENT; break;
	case NA_FLAGS_DIRTY: a.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING; break;
	case NA_ON_S2: a.pt_id = t->s2_id; break;
	case NA_ON_IOAS: a.pt_id = t->ioas_id; break;
	case NA_BAD_DEV: a.dev_id = 0xfff0; break;
	case NA_NULL_UPTR: a.data_uptr = 0; break;
	case NA_ON_VDEV: a.pt_id = t->vdev_id; break;
	}
	e = niot_ioctl(t->iommufd, IOMMU_HWPT_ALLOC, &a);
	vput(v, NULL, e);
	if (!e)
		cleanup_nested(t, a.out_hwpt_id, v);
	return 0;
}

/* vIOMMU allocation variants: p1 type, p2 selects the variant */
enum { VA_PLAIN, VA_FLAGS, VA_ON_IOAS, VA_ON_PAGING, VA_TWICE, VA_DATA, VA_BAD_DEV };

static int c_viommu(struct niot *t, const struct tcase *c, struct verdict *v)
{
	uint64_t data[4] = { 0 };
	struct iommu_viommu_alloc a = {
		.size = sizeof(a), .type = c->p1, .dev_id = t->dev_id, .hwpt_id = t->s2_id,
	};
	uint32_t paging = 0;
	int e;

	switch (c->p2) {
	case VA_FLAGS: a.flags = 1; break;
	case VA_ON_IOAS: a.hwpt_id = t->ioas_id; break;
	case VA_ON_PAGING:
		e = niot_hwpt_alloc(t, 0, t->ioas_id, IOMMU_HWPT_DATA_NONE, NULL, 0, &paging);
		vput(v, "paging", e);
		a.hwpt_id = paging;
		break;
	case VA_DATA: a.data_len = sizeof(data); a.data_uptr = (uintptr_t)data; break;
	case VA_BAD_DEV: a.dev_id = 0xfff0; break;
	}
	e = niot_ioctl(t->iommufd, IOMMU_VIOMMU_ALLOC, &a);
	vput(v, c->p2 == VA_TWICE || c->p2 == VA_ON_PAGING ? "viommu" : NULL, e);
	if (c->p2 == VA_TWICE && !e) {
		uint32_t second = 0;
		vput(v, "viommu2", niot_viommu(t, c->p1, t->s2_id, &second));
		if (second)
			vput(v, "destroy2", niot_destroy(t->iommufd, second));
	}
	if (!e)
		vput(v, "destroy", niot_destroy(t->iommufd, a.out_viommu_id));
	return 0;
}

/* vDEVICE variants (p1) */
enum { VD_DUP_SAME_VSID, VD_DUP_OTHER_VSID, VD_AGAIN, VD_VSID, VD_BAD_VIOMMU,
       VD_SECOND_VIOMMU, VD_ON_S2 };

static int c_vdevice(struct niot *t, const struct tcase *c, struct verdict *v)
{
	uint32_t id = 0, id2 = 0, viommu2 = 0;

	switch (c->p1) {
	case VD_DUP_SAME_VSID:
	case VD_DUP_OTHER_VSID:
		vput(v, "first", niot_vdevice(t, t->viommu_id, NIOT_VSID, &id));
		vput(v, "second", niot_vdevice(t, t->viommu_id,
					       c->p1 == VD_DUP_SAME_VSID ? NIOT_VSID : NIOT_VSID + 1, &id2));
		break;
	case VD_AGAIN:
		vput(v, "first", niot_vdevice(t, t->viommu_id, NIOT_VSID, &id));
		vput(v, "destroy", niot_destroy(t->iommufd, id));
		id = 0;
		vput(v, "again", niot_vdevice(t, t->viommu_id, NIOT_VSID, &id));
		break;
	case VD_VSID:
		vput(v, NULL, niot_vdevice(t, t->viommu_id, c->a[0], &id));
		break;
	case VD_BAD_VIOMMU:
		vput(v, NULL, niot_vdevice(t, 0xfff0, NIOT_VSID, &id));
		break;
	case VD_ON_S2:
		vput(v, NULL, niot_vdevice(t, t->s2_id, NIOT_VSID, &id));
		break;
	case VD_SECOND_VIOMMU:
		vput(v, "viommu2", niot_viommu(t, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, t->s2_id, &viommu2));
		vput(v, "first", niot_vdevice(t, t->viommu_id, NIOT_VSID, &id));
		vput(v, "second", niot_vdevice(t, viommu2, NIOT_VSID, &id2));
		break;
	}
	if (id2)
		vput(v, "destroy2", niot_destroy(t->iommufd, id2));
	if (id)
		vput(v, "destroy", niot_destroy(t->iommufd, id));
	if (viommu2)
		vput(v, "destroy_viommu2", niot_destroy(t->iommufd, viommu2));
	return 0;
}

/* vEVENTQ variants: p1 type, a[0] depth, p2 variant */
enum { VQ_PLAIN, VQ_DUP, VQ_FLAGS, VQ_RESERVED, VQ_AGAIN, VQ_READ_EMPTY, VQ_BAD_VIOMMU,
       VQ_ON_S2 };

static int c_veventq(struct niot *t, const struct tcase *c, struct verdict *v)
{
	struct iommu_veventq_alloc a = {
		.size = sizeof(a), .viommu_id = t->viommu_id, .type = c->p1,
		.veventq_depth = (uint32_t)c->a[0],
	};
	uint32_t id2 = 0;
	int e, fd2 = -1;

	switch (c->p2) {
	case VQ_FLAGS: a.flags = 1; break;
	case VQ_RESERVED: a.__reserved = 1; break;
	case VQ_BAD_VIOMMU: a.viommu_id = 0xfff0; break;
	case VQ_ON_S2: a.viommu_id = t->s2_id; break;
	}
	e = niot_ioctl(t->iommufd, IOMMU_VEVENTQ_ALLOC, &a);
	vput(v, c->p2 == VQ_DUP || c->p2 == VQ_AGAIN || c->p2 == VQ_READ_EMPTY ? "first" : NULL, e);
	if (e)
		return 0;
	switch (c->p2) {
	case VQ_DUP:
		vput(v, "second", niot_veventq(t, t->viommu_id, c->p1, (uint32_t)c->a[0], &id2, &fd2));
		break;
	case VQ_AGAIN:
		close((int)a.out_veventq_fd);
		vput(v, "destroy", niot_destroy(t->iommufd, a.out_veventq_id));
		vput(v, "again", niot_veventq(t, t->viommu_id, c->p1, (uint32_t)c->a[0], &id2, &fd2));
		a.out_veventq_id = 0;
		break;
	case VQ_READ_EMPTY: {
		char buf[64];
		ssize_t r;

		fcntl((int)a.out_veventq_fd, F_SETFL, O_NONBLOCK);
		r = read((int)a.out_veventq_fd, buf, sizeof(buf));
		if (r < 0)
			vput(v, "read", errno);
		else
			vtext(v, "read=%zd", r);
		break;
	}
	}
	if (fd2 >= 0)
		close(fd2);
	if (id2)
		vput(v, "destroy2", niot_destroy(t->iommufd, id2));
	if (a.out_veventq_id) {
		close((int)a.out_veventq_fd);
		vput(v, "destroy", niot_destroy(t->iommufd, a.out_veventq_id));
	}
	return 0;
}

/* invalidation targets (p1) */
enum { T_VIOMMU, T_NESTED_S1, T_NESTED_BYPASS, T_S2, T_IOAS, T_VDEV, T_BAD };
/* array shapes (p2) */
enum { A_PLAIN, A_LEN8, A_LEN32_ZERO, A_LEN32_NONZERO, A_LEN0, A_NULL, A_TYPE_VTD,
       A_TYPE_99, A_RESERVED, A_EMPTY, A_EMPTY_TYPE_VTD, A_LEN_PAGE_PLUS, A_NUM_OVER_MAX };

static int c_inv(struct niot *t, const struct tcase *c, struct verdict *v)
{
	uint64_t buf[4 * 4] = { 0 };
	uint32_t id = t->viommu_id, nested = 0, len = 16, type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
	uint32_t num = (uint32_t)c->n;
	void *data = buf;
	struct iommu_hwpt_invalidate a;
	int e;

	switch (c->p1) {
	case T_NESTED_S1:
	case T_NESTED_BYPASS:
		e = niot_nested(t, c->p1 == T_NESTED_S1 ?
				STE_V_CFG(STE0_CFG_S1_TRANS) | (NIOT_CD_IOVA & STE0_S1CTXPTR) :
				STE_V_CFG(STE0_CFG_BYPASS), 0, &nested);
		vput(v, "nested", e);
		if (!e)
			vput(v, "attach", niot_attach(t, nested));
		id = nested;
		break;
	case T_S2: id = t->s2_id; break;
	case T_IOAS: id = t->ioas_id; break;
	case T_VDEV: id = t->vdev_id; break;
	case T_BAD: id = 0xfff0; break;
	}
	for (int i = 0; i < c->n; i++) {
		buf[2 * i] = c->cmd[i][0];
		buf[2 * i + 1] = c->cmd[i][1];
	}
	switch (c->p2) {
	case A_LEN8: len = 8; break;
	case A_LEN32_ZERO:
	case A_LEN32_NONZERO:
		len = 32;
		memset(buf, 0, sizeof(buf));
		for (int i = 0; i < c->n; i++) {
			buf[4 * i] = c->cmd[i][0];
			buf[4 * i + 1] = c->cmd[i][1];
			if (c->p2 == A_LEN32_NONZERO)
				buf[4 * i + 3] = 1;
		}
		break;
	case A_LEN0: len = 0; break;
	case A_NULL: data = NULL; break;
	case A_TYPE_VTD: type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1; break;
	case A_TYPE_99: type = 99; break;
	case A_EMPTY: num = 0; break;
	case A_EMPTY_TYPE_VTD: num = 0; type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1; break;
	case A_LEN_PAGE_PLUS: len = 65537; break;
	case A_NUM_OVER_MAX: num = (1U << 19) + 1; break;
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.hwpt_id = id;
	a.data_uptr = (uintptr_t)data;
	a.data_type = type;
	a.entry_len = len;
	a.entry_num = num;
	if (c->p2 == A_RESERVED)
		a.__reserved = 1;
	e = niot_ioctl(t->iommufd, IOMMU_HWPT_INVALIDATE, &a);
	vinv(v, e, a.entry_num);
	cleanup_nested(t, nested, v);
	return 0;
}

/* a generated batch: p1 commands, a bad one at index p2 (p2 >= p1: none);
 * a[0] the kind of bad command: 0 forbidden opcode, 1 unknown vSID,
 * 2 a RES0 bit */
static int c_batch(struct niot *t, const struct tcase *c, struct verdict *v)
{
	struct iommu_viommu_arm_smmuv3_invalidate *cmds = calloc(c->p1 ? c->p1 : 1, sizeof(*cmds));
	uint32_t num = c->p1;
	int e;

	for (uint32_t i = 0; i < c->p1; i++) {
		/* a mix of the allowed opcodes */
		switch (i % 4) {
		case 0: cmds[i].cmd[0] = CMD_OP_TLBI_NH_ASID | FPREP(CMD_TLBI0_ASID, 1 + i % 200); break;
		case 1: cmds[i].cmd[0] = CMD_OP_CFGI_CD_ALL | FPREP(CMD_CFGI0_SID, NIOT_VSID); break;
		case 2: cmds[i].cmd[0] = CMD_OP_TLBI_NH_ALL; break;
		case 3: cmds[i].cmd[0] = CMD_OP_CFGI_CD | FPREP(CMD_CFGI0_SID, NIOT_VSID);
			cmds[i].cmd[1] = CMD_CFGI1_LEAF; break;
		}
	}
	if (c->p2 < c->p1) {
		switch (c->a[0]) {
		case 0: cmds[c->p2].cmd[0] = CMD_OP_CFGI_ALL; cmds[c->p2].cmd[1] = 31; break;
		case 1: cmds[c->p2].cmd[0] = CMD_OP_CFGI_CD_ALL | FPREP(CMD_CFGI0_SID, NIOT_VSID_BAD);
			cmds[c->p2].cmd[1] = 0; break;
		case 2: cmds[c->p2].cmd[0] = CMD_OP_TLBI_NH_ALL | BIT64(8); cmds[c->p2].cmd[1] = 0; break;
		}
	}
	e = niot_invalidate(t, t->viommu_id, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, cmds,
			    sizeof(*cmds), &num);
	vinv(v, e, num);
	free(cmds);
	return 0;
}

/* attach orderings (p1) */
enum { AT_S1_THEN_DESTROY_VDEV, AT_REPLACE_S1_BYPASS, AT_OTHER_VIOMMU, AT_DETACH_NESTED,
       AT_S1_TWICE, AT_NESTED_THEN_PAGING };

static int c_attach(struct niot *t, const struct tcase *c, struct verdict *v)
{
	uint32_t s1 = 0, byp = 0, viommu2 = 0, other = 0, paging = 0, num;
	int e;
	struct iommu_viommu_arm_smmuv3_invalidate cmd = {
		.cmd = { CMD_OP_CFGI_CD_ALL | FPREP(CMD_CFGI0_SID, NIOT_VSID), 0 },
	};

	vput(v, "s1", niot_nested(t, STE_V_CFG(STE0_CFG_S1_TRANS) | (NIOT_CD_IOVA & STE0_S1CTXPTR), 0, &s1));
	switch (c->p1) {
	case AT_S1_THEN_DESTROY_VDEV:
		vput(v, "attach", niot_attach(t, s1));
		vput(v, "destroy_vdev", niot_destroy(t->iommufd, t->vdev_id));
		/* not vinv(v, niot_invalidate(..., &num), num): the order in which
		 * arguments are evaluated is unspecified (x86-64 gcc reads num
		 * before the call, aarch64 gcc after) */
		num = 1;
		e = niot_invalidate(t, t->viommu_id, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
				    &cmd, sizeof(cmd), &num);
		vinv(v, e, num);
		vput(v, "vdev_again", niot_vdevice(t, t->viommu_id, NIOT_VSID, &t->vdev_id));
		num = 1;
		e = niot_invalidate(t, t->viommu_id, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
				    &cmd, sizeof(cmd), &num);
		vinv(v, e, num);
		break;
	case AT_REPLACE_S1_BYPASS:
		vput(v, "bypass", niot_nested(t, STE_V_CFG(STE0_CFG_BYPASS), 0, &byp));
		vput(v, "attach_s1", niot_attach(t, s1));
		vput(v, "attach_bypass", niot_attach(t, byp));
		vput(v, "attach_s1", niot_attach(t, s1));
		break;
	case AT_OTHER_VIOMMU:
		/* a nested HWPT of a second vIOMMU, where the vDEVICE is not */
		vput(v, "viommu2", niot_viommu(t, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, t->s2_id, &viommu2));
		if (viommu2) {
			struct iommu_hwpt_arm_smmuv3 s = { .ste = {
				STE_V_CFG(STE0_CFG_S1_TRANS) | (NIOT_CD_IOVA & STE0_S1CTXPTR), 0 } };
			vput(v, "s1_on_viommu2", niot_hwpt_alloc(t, 0, viommu2, IOMMU_HWPT_DATA_ARM_SMMUV3,
								 &s, sizeof(s), &other));
			if (other)
				vput(v, "attach", niot_attach(t, other));
		}
		break;
	case AT_DETACH_NESTED:
		vput(v, "attach", niot_attach(t, s1));
		vput(v, "detach", niot_detach(t));
		vput(v, "attach_s1", niot_attach(t, s1));
		break;
	case AT_S1_TWICE:
		vput(v, "attach", niot_attach(t, s1));
		vput(v, "attach_again", niot_attach(t, s1));
		break;
	case AT_NESTED_THEN_PAGING:
		vput(v, "paging", niot_hwpt_alloc(t, 0, t->ioas_id, IOMMU_HWPT_DATA_NONE, NULL, 0, &paging));
		vput(v, "attach_s1", niot_attach(t, s1));
		vput(v, "attach_paging", niot_attach(t, paging));
		break;
	}
	if (t->s2_id)
		niot_attach(t, t->s2_id);
	if (other)
		vput(v, "destroy_other", niot_destroy(t->iommufd, other));
	if (viommu2)
		vput(v, "destroy_viommu2", niot_destroy(t->iommufd, viommu2));
	if (byp)
		vput(v, "destroy_bypass", niot_destroy(t->iommufd, byp));
	if (paging)
		vput(v, "destroy_paging", niot_destroy(t->iommufd, paging));
	if (s1)
		vput(v, "destroy_s1", niot_destroy(t->iommufd, s1));
	return 0;
}

/* destroy orderings (p1) */
enum { D_IOAS_WITH_S2, D_S2_WITH_VIOMMU, D_VIOMMU_WITH_VDEV, D_VIOMMU_WITH_VEVENTQ,
       D_VIOMMU_WITH_NESTED, D_NESTED_ATTACHED, D_VDEV_ATTACHED, D_S2_ATTACHED, D_TWICE,
       D_REVERSE, D_CLOSE_DEVFD, D_ID_ZERO, D_CLOSE_IOMMUFD };

static int c_destroy(struct niot *t, const struct tcase *c, struct verdict *v)
{
	uint32_t s1 = 0, evq = 0;
	int fd = -1;

	switch (c->p1) {
	case D_IOAS_WITH_S2:
		vput(v, "ioas", niot_destroy(t->iommufd, t->ioas_id));
		break;
	case D_S2_WITH_VIOMMU:
		vput(v, "s2", niot_destroy(t->iommufd, t->s2_id));
		break;
	case D_VIOMMU_WITH_VDEV:
		vput(v, "viommu", niot_destroy(t->iommufd, t->viommu_id));
		vput(v, "vdev", niot_destroy(t->iommufd, t->vdev_id));
		vput(v, "viommu", niot_destroy(t->iommufd, t->viommu_id));
		break;
	case D_VIOMMU_WITH_VEVENTQ:
		vput(v, "veventq", niot_veventq(t, t->viommu_id, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 16, &evq, &fd));
		vput(v, "viommu", niot_destroy(t->iommufd, t->viommu_id));
		if (fd >= 0)
			close(fd);
		vput(v, "veventq", niot_destroy(t->iommufd, evq));
		vput(v, "viommu", niot_destroy(t->iommufd, t->viommu_id));
		break;
	case D_VIOMMU_WITH_NESTED:
		vput(v, "nested", niot_nested(t, STE_V_CFG(STE0_CFG_BYPASS), 0, &s1));
		vput(v, "viommu", niot_destroy(t->iommufd, t->viommu_id));
		vput(v, "nested", niot_destroy(t->iommufd, s1));
		vput(v, "viommu", niot_destroy(t->iommufd, t->viommu_id));
		break;
	case D_NESTED_ATTACHED:
		vput(v, "nested", niot_nested(t, STE_V_CFG(STE0_CFG_S1_TRANS) | (NIOT_CD_IOVA & STE0_S1CTXPTR), 0, &s1));
		vput(v, "attach", niot_attach(t, s1));
		vput(v, "destroy", niot_destroy(t->iommufd, s1));
		vput(v, "attach_s2", niot_attach(t, t->s2_id));
		vput(v, "destroy", niot_destroy(t->iommufd, s1));
		break;
	case D_VDEV_ATTACHED:
		vput(v, "nested", niot_nested(t, STE_V_CFG(STE0_CFG_S1_TRANS) | (NIOT_CD_IOVA & STE0_S1CTXPTR), 0, &s1));
		vput(v, "attach", niot_attach(t, s1));
		vput(v, "vdev", niot_destroy(t->iommufd, t->vdev_id));
		vput(v, "attach_s2", niot_attach(t, t->s2_id));
		vput(v, "nested", niot_destroy(t->iommufd, s1));
		break;
	case D_S2_ATTACHED:
		vput(v, "s2", niot_destroy(t->iommufd, t->s2_id));
		vput(v, "detach", niot_detach(t));
		vput(v, "s2", niot_destroy(t->iommufd, t->s2_id));
		break;
	case D_TWICE:
		vput(v, "vdev", niot_destroy(t->iommufd, t->vdev_id));
		vput(v, "vdev", niot_destroy(t->iommufd, t->vdev_id));
		break;
	case D_REVERSE:
		vput(v, "veventq", niot_veventq(t, t->viommu_id, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 16, &evq, &fd));
		vput(v, "nested", niot_nested(t, STE_V_CFG(STE0_CFG_S1_TRANS) | (NIOT_CD_IOVA & STE0_S1CTXPTR), 0, &s1));
		vput(v, "attach", niot_attach(t, s1));
		vput(v, "attach_s2", niot_attach(t, t->s2_id));
		vput(v, "nested", niot_destroy(t->iommufd, s1));
		if (fd >= 0)
			close(fd);
		vput(v, "veventq", niot_destroy(t->iommufd, evq));
		vput(v, "vdev", niot_destroy(t->iommufd, t->vdev_id));
		vput(v, "viommu", niot_destroy(t->iommufd, t->viommu_id));
		vput(v, "detach", niot_detach(t));
		vput(v, "s2", niot_destroy(t->iommufd, t->s2_id));
		vput(v, "ioas", niot_destroy(t->iommufd, t->ioas_id));
		break;
	case D_CLOSE_DEVFD:
		/* the cdev closes with the vDEVICE alive: iommufd destroys it */
		close(t->devfd);
		t->devfd = -1;
		vput(v, "vdev", niot_destroy(t->iommufd, t->vdev_id));
		vput(v, "viommu", niot_destroy(t->iommufd, t->viommu_id));
		vput(v, "s2", niot_destroy(t->iommufd, t->s2_id));
		break;
	case D_ID_ZERO:
		vput(v, NULL, niot_destroy(t->iommufd, 0));
		break;
	case D_CLOSE_IOMMUFD:
		/* everything alive, attached to a nested HWPT, vEVENTQ open:
		 * closing the fds must free it all (a splat fails the tier) */
		vput(v, "veventq", niot_veventq(t, t->viommu_id, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 16, &evq, &fd));
		vput(v, "nested", niot_nested(t, STE_V_CFG(STE0_CFG_S1_TRANS) | (NIOT_CD_IOVA & STE0_S1CTXPTR), 0, &s1));
		vput(v, "attach", niot_attach(t, s1));
		close(t->iommufd);
		t->iommufd = -1;
		if (fd >= 0)
			close(fd);
		break;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the table */

#define CTX (NIOT_CD_IOVA & STE0_S1CTXPTR)
#define S1 (STE_V_CFG(STE0_CFG_S1_TRANS) | CTX)
#define VSTE(nm, lvl, w0, w1, r) { nm, lvl, c_vste, { w0, w1 }, 0, {{0}}, 0, 0, r }
#define VSTE_THEN_VDEV(nm, w0, w1, r) { nm, NIOT_VIOMMU, c_vste, { w0, w1 }, 0, {{0}}, 1, 0, r }
#define INV1(nm, c0, c1, r) { nm, NIOT_VDEV, c_inv, {0}, 1, {{ c0, c1 }}, T_VIOMMU, A_PLAIN, r }
#define INVX(nm, tgt, shape, n, c0, c1, r) { nm, NIOT_VDEV, c_inv, {0}, n, {{ c0, c1 }}, tgt, shape, r }
#define BATCH(nm, total, bad, kind, r) { nm, NIOT_VDEV, c_batch, { kind }, 0, {{0}}, total, bad, r }
#define OP(o) ((uint64_t)(o))
#define SID(s) FPREP(CMD_CFGI0_SID, s)
#define ASID(a) FPREP(CMD_TLBI0_ASID, a)
#define NONE 0xffffffffu

static const struct tcase cases[] = {
	{ "hw_info.features", NIOT_BOUND, c_features, {0}, 0, {{0}}, 0, 0,
	  SRC ": arm_smmu_hw_info() copies IDR0-5, IIDR, AIDR; the gated verdicts below follow ATS/SSIDSIZE/ASID16/RIL/DS" },
	{ "hw_info.default", NIOT_BOUND, c_hwinfo, { 40 }, 0, {{0}}, 0, 0,
	  SRC ": arm_smmu_hw_info() type DEFAULT -> ARM_SMMUV3, length sizeof(iommu_hw_info_arm_smmuv3)" },
	{ "hw_info.len0", NIOT_BOUND, c_hwinfo, { 0 }, 0, {{0}}, 0, 0,
	  "iommufd/device.c: iommufd_get_hw_info() data_len 0 allowed, reports the full length" },
	{ "hw_info.long_buffer", NIOT_BOUND, c_hwinfo, { 64 }, 0, {{0}}, 0, 0,
	  "iommufd/device.c: iommufd_get_hw_info(): trailing bytes zeroed, data_len set to the kernel's length" },
	{ "hw_info.input_type_smmuv3", NIOT_BOUND, c_hwinfo, { 40 }, 0, {{0}}, IOMMU_HW_INFO_FLAG_INPUT_TYPE, IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
	  SRC ": arm_smmu_hw_info() accepts DEFAULT and ARM_SMMUV3" },
	{ "hw_info.input_type_vtd", NIOT_BOUND, c_hwinfo, { 40 }, 0, {{0}}, IOMMU_HW_INFO_FLAG_INPUT_TYPE, IOMMU_HW_INFO_TYPE_INTEL_VTD,
	  SRC ": arm_smmu_hw_info() other types without impl_ops->hw_info -> EOPNOTSUPP" },
	{ "hw_info.input_type_tegra", NIOT_BOUND, c_hwinfo, { 40 }, 0, {{0}}, IOMMU_HW_INFO_FLAG_INPUT_TYPE, IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV,
	  SRC ": arm_smmu_hw_info() no CMDQV impl_ops -> EOPNOTSUPP" },
	{ "hw_info.bad_flags", NIOT_BOUND, c_hwinfo, { 40 }, 0, {{0}}, 0x80, 0,
	  "iommufd/device.c: iommufd_get_hw_info() unknown flags -> EOPNOTSUPP" },

	/* vIOMMU */
	{ "viommu.arm_smmuv3", NIOT_S2, c_viommu, {0}, 0, {{0}}, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, VA_PLAIN,
	  SRC ": arm_smmu_get_viommu_size() (canwbs guard patched on the testbed) + arm_vsmmu_init()" },
	{ "viommu.type_default", NIOT_S2, c_viommu, {0}, 0, {{0}}, IOMMU_VIOMMU_TYPE_DEFAULT, VA_PLAIN,
	  SRC ": arm_smmu_get_viommu_size() returns 0 for types other than ARM_SMMUV3 without impl_ops" },
	{ "viommu.type_tegra", NIOT_S2, c_viommu, {0}, 0, {{0}}, IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, VA_PLAIN,
	  SRC ": arm_smmu_get_viommu_size() no impl_ops->get_viommu_size" },
	{ "viommu.type_99", NIOT_S2, c_viommu, {0}, 0, {{0}}, 99, VA_PLAIN,
	  SRC ": arm_smmu_get_viommu_size() unknown type" },
	{ "viommu.flags", NIOT_S2, c_viommu, {0}, 0, {{0}}, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, VA_FLAGS,
	  "iommufd/viommu.c: iommufd_viommu_alloc_ioctl() flags must be 0" },
	{ "viommu.on_ioas", NIOT_S2, c_viommu, {0}, 0, {{0}}, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, VA_ON_IOAS,
	  "iommufd/viommu.c: iommufd_viommu_alloc_ioctl(): hwpt_id must be a HWPT_PAGING" },
	{ "viommu.on_paging_not_parent", NIOT_S2, c_viommu, {0}, 0, {{0}}, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, VA_ON_PAGING,
	  "iommufd/viommu.c: iommufd_viommu_alloc_ioctl(): the HWPT must be a nest parent" },
	{ "viommu.two_on_one_s2", NIOT_S2, c_viommu, {0}, 0, {{0}}, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, VA_TWICE,
	  "iommufd/viommu.c: iommufd_viommu_alloc_ioctl(): a nest parent can back several vIOMMUs" },
	{ "viommu.with_data", NIOT_S2, c_viommu, {0}, 0, {{0}}, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, VA_DATA,
	  SRC ": arm_vsmmu_init() ignores user data for ARM_SMMUV3" },
	{ "viommu.bad_dev", NIOT_S2, c_viommu, {0}, 0, {{0}}, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, VA_BAD_DEV,
	  "iommufd/viommu.c: iommufd_get_device() unknown id" },

	/* vSTE: every field */
	VSTE("vste.zero", NIOT_VDEV, 0, 0, SRC ": arm_smmu_validate_vste() V=0 -> zeroed, abort STE"),
	VSTE("vste.v0_all_other_bits", NIOT_VDEV, ~STE0_V, ~0ULL, SRC ": arm_smmu_validate_vste() V=0 ignores every other bit"),
	VSTE("vste.v0_cfg_nested", NIOT_VDEV, FPREP(STE0_CFG, 7), 0, SRC ": arm_smmu_validate_vste() V=0 before the Cfg check"),
	VSTE("vste.abort", NIOT_VDEV, STE_V_CFG(STE0_CFG_ABORT), 0, SRC ": arm_smmu_validate_vste(): Cfg abort allowed"),
	VSTE("vste.bypass", NIOT_VDEV, STE_V_CFG(STE0_CFG_BYPASS), 0, SRC ": arm_smmu_validate_vste(): Cfg bypass allowed"),
	VSTE("vste.s1_trans", NIOT_VDEV, S1, 0, SRC ": arm_smmu_validate_vste(): Cfg S1_TRANS allowed, CD table at S1ContextPtr"),
	VSTE("vste.cfg1", NIOT_VDEV, STE_V_CFG(1), 0, SRC ": arm_smmu_validate_vste() Cfg not abort/bypass/S1_TRANS -> EIO"),
	VSTE("vste.cfg2", NIOT_VDEV, STE_V_CFG(2), 0, SRC ": arm_smmu_validate_vste() Cfg reserved -> EIO"),
	VSTE("vste.cfg3", NIOT_VDEV, STE_V_CFG(3), 0, SRC ": arm_smmu_validate_vste() Cfg reserved -> EIO"),
	VSTE("vste.cfg_s2_trans", NIOT_VDEV, STE_V_CFG(STE0_CFG_S2_TRANS), 0, SRC ": arm_smmu_validate_vste() Cfg S2_TRANS -> EIO"),
	VSTE("vste.cfg_nested", NIOT_VDEV, STE_V_CFG(STE0_CFG_NESTED), 0, SRC ": arm_smmu_validate_vste() Cfg nested -> EIO"),
	VSTE("vste.s1fmt1", NIOT_VDEV, S1 | FPREP(STE0_S1FMT, 1), 0, SRC ": arm_smmu_validate_vste(): STRTAB_STE_0_NESTING_ALLOWED has S1Fmt, value not checked"),
	VSTE("vste.s1fmt2", NIOT_VDEV, S1 | FPREP(STE0_S1FMT, 2), 0, SRC ": arm_smmu_validate_vste(): S1Fmt 64K_L2 allowed"),
	VSTE("vste.s1fmt3", NIOT_VDEV, S1 | FPREP(STE0_S1FMT, 3), 0, SRC ": arm_smmu_validate_vste(): S1Fmt reserved value not checked"),
	VSTE("vste.s1cdmax31", NIOT_VDEV, S1 | FPREP(STE0_S1CDMAX, 31), 0, SRC ": arm_smmu_validate_vste(): S1CDMax allowed"),
	VSTE("vste.ctxptr_all_ones", NIOT_VDEV, STE_V_CFG(STE0_CFG_S1_TRANS) | STE0_S1CTXPTR, 0, SRC ": arm_smmu_validate_vste(): S1ContextPtr[51:6] allowed, not range checked"),
	VSTE("vste.word0_bit52", NIOT_VDEV, S1 | BIT64(52), 0, SRC ": arm_smmu_validate_vste(): bit outside STRTAB_STE_0_NESTING_ALLOWED -> EIO"),
	VSTE("vste.word0_bit58", NIOT_VDEV, S1 | BIT64(58), 0, SRC ": arm_smmu_validate_vste(): bit outside STRTAB_STE_0_NESTING_ALLOWED -> EIO"),
	VSTE("vste.bypass_word0_bit52", NIOT_VDEV, STE_V_CFG(STE0_CFG_BYPASS) | BIT64(52), 0, SRC ": arm_smmu_validate_vste(): the mask applies to every Cfg -> EIO"),
	VSTE("vste.s1dss1", NIOT_VDEV, S1, FPREP(STE1_S1DSS, 1), SRC ": arm_smmu_validate_vste(): S1DSS allowed"),
	VSTE("vste.s1dss2", NIOT_VDEV, S1, FPREP(STE1_S1DSS, 2), SRC ": arm_smmu_validate_vste(): S1DSS allowed"),
	VSTE("vste.s1dss3", NIOT_VDEV, S1, FPREP(STE1_S1DSS, 3), SRC ": arm_smmu_validate_vste(): S1DSS reserved value not checked"),
	VSTE("vste.s1cir_cor_csh", NIOT_VDEV, S1, STE1_S1CIR | STE1_S1COR | STE1_S1CSH, SRC ": arm_smmu_validate_vste(): S1CIR/S1COR/S1CSH allowed"),
	VSTE("vste.s1stalld", NIOT_VDEV, S1, STE1_S1STALLD, SRC ": arm_smmu_validate_vste(): S1STALLD allowed"),
	VSTE("vste.eats_trans_s1", NIOT_VDEV, S1, FPREP(STE1_EATS, 1), SRC ": arm_smmu_validate_vste(): EATS=1 allowed, enable_ats for S1_TRANS"),
	VSTE("vste.eats_trans_bypass", NIOT_VDEV, STE_V_CFG(STE0_CFG_BYPASS), FPREP(STE1_EATS, 1), SRC ": arm_smmu_validate_vste(): EATS=1 allowed, ignored for bypass"),
	VSTE("vste.eats_s1chk", NIOT_VDEV, S1, FPREP(STE1_EATS, 2), SRC ": arm_smmu_validate_vste() EATS S1CHK -> EIO"),
	VSTE("vste.eats3", NIOT_VDEV, S1, FPREP(STE1_EATS, 3), SRC ": arm_smmu_validate_vste() EATS reserved -> EIO"),
	VSTE("vste.abort_eats3", NIOT_VDEV, STE_V_CFG(STE0_CFG_ABORT), FPREP(STE1_EATS, 3), SRC ": arm_smmu_validate_vste(): EATS checked for every valid Cfg -> EIO"),
	VSTE("vste.mev", NIOT_VDEV, S1, STE1_MEV, SRC ": arm_smmu_validate_vste(): MEV outside STRTAB_STE_1_NESTING_ALLOWED -> EIO"),
	VSTE("vste.s2fwb", NIOT_VDEV, S1, STE1_S2FWB, SRC ": arm_smmu_validate_vste(): S2FWB outside STRTAB_STE_1_NESTING_ALLOWED -> EIO"),
	VSTE("vste.strw", NIOT_VDEV, S1, FPREP(STE1_STRW, 2), SRC ": arm_smmu_validate_vste(): STRW outside STRTAB_STE_1_NESTING_ALLOWED -> EIO"),
	VSTE("vste.shcfg", NIOT_VDEV, S1, FPREP(STE1_SHCFG, 1), SRC ": arm_smmu_validate_vste(): SHCFG outside STRTAB_STE_1_NESTING_ALLOWED -> EIO"),
	VSTE("vste.word1_bit8", NIOT_VDEV, S1, BIT64(8), SRC ": arm_smmu_validate_vste(): bit outside STRTAB_STE_1_NESTING_ALLOWED -> EIO"),
	VSTE("vste.word1_bit63", NIOT_VDEV, S1, BIT64(63), SRC ": arm_smmu_validate_vste(): bit outside STRTAB_STE_1_NESTING_ALLOWED -> EIO"),

	/* attach before and after the vDEVICE */
	VSTE("attach.abort_before_vdev", NIOT_VIOMMU, STE_V_CFG(STE0_CFG_ABORT), 0, SRC ": arm_smmu_attach_prepare_vmaster() abort allowed without vSID (GBPA)"),
	VSTE("attach.bypass_before_vdev", NIOT_VIOMMU, STE_V_CFG(STE0_CFG_BYPASS), 0, SRC ": arm_smmu_attach_prepare_vmaster() bypass allowed without vSID"),
	VSTE("attach.v0_before_vdev", NIOT_VIOMMU, 0, 0, SRC ": arm_smmu_attach_prepare_vmaster(): V=0 is zeroed to Cfg 0 (abort): allowed without vSID"),
	VSTE("attach.s1_before_vdev", NIOT_VIOMMU, S1, 0, SRC ": arm_smmu_attach_prepare_vmaster() S1_TRANS needs a vDEVICE: iommufd_viommu_get_vdev_id() error"),
	VSTE_THEN_VDEV("attach.s1_before_then_after_vdev", S1, 0, SRC ": arm_smmu_attach_prepare_vmaster(): refused without, accepted with the vDEVICE"),
	{ "attach.s1_then_destroy_vdev", NIOT_VDEV, c_attach, {0}, 0, {{0}}, AT_S1_THEN_DESTROY_VDEV, 0,
	  SRC ": vDEVICE destroy while attached; arm_vsmmu_vsid_to_sid() no device -> EIO" },
	{ "attach.replace_s1_bypass_s1", NIOT_VDEV, c_attach, {0}, 0, {{0}}, AT_REPLACE_S1_BYPASS, 0,
	  SRC ": arm_smmu_attach_dev_nested() replaces nested domains" },
	{ "attach.nested_of_other_viommu", NIOT_VDEV, c_attach, {0}, 0, {{0}}, AT_OTHER_VIOMMU, 0,
	  SRC ": arm_smmu_attach_prepare_vmaster(): S1_TRANS on a vIOMMU without this device's vDEVICE" },
	{ "attach.detach_then_nested", NIOT_VDEV, c_attach, {0}, 0, {{0}}, AT_DETACH_NESTED, 0,
	  "iommufd/device.c: iommufd_device_attach(): detach, then attach a nested HWPT directly" },
	{ "attach.s1_twice", NIOT_VDEV, c_attach, {0}, 0, {{0}}, AT_S1_TWICE, 0,
	  "iommufd/device.c: iommufd_device_attach(): attaching the attached HWPT again" },
	{ "attach.nested_then_paging", NIOT_VDEV, c_attach, {0}, 0, {{0}}, AT_NESTED_THEN_PAGING, 0,
	  "iommufd/device.c: iommufd_device_attach(): replace a nested HWPT with a plain paging HWPT" },

	/* nested HWPT allocation arguments */
	{ "nested.data_len_short", NIOT_VDEV, c_nested_args, {0}, 0, {{0}}, NA_LEN_SHORT, 0,
	  "iommu.h: iommu_copy_struct_from_user() len < min_last -> EINVAL" },
	{ "nested.data_len_long_zero", NIOT_VDEV, c_nested_args, {0}, 0, {{0}}, NA_LEN_LONG_ZERO, 0,
	  "iommu.h: __iommu_copy_struct_from_user() data longer than the kernel's struct -> EINVAL (no zero-tail extension)" },
	{ "nested.data_len_long_nonzero", NIOT_VDEV, c_nested_args, {0}, 0, {{0}}, NA_LEN_LONG_NONZERO, 0,
	  "iommu.h: __iommu_copy_struct_from_user() data longer than the kernel's struct -> EINVAL" },
	{ "nested.data_len_zero", NIOT_VDEV, c_nested_args, {0}, 0, {{0}}, NA_LEN_ZERO, 0,
	  "iommufd/hw_pagetable.c: iommufd_hwpt_alloc(): data_type set but no data" },
	{ "nested.data_type_vtd", NIOT_VDEV, c_nested_args, {0}, 0, {{0}}, NA_TYPE_VTD, 0,
	  "iommu.h: iommu_copy_struct_from_user() type mismatch -> EINVAL" },
	{ "nested.data_type_none", NIOT_VDEV, c_nested_args, {0}, 0, {{0}}, NA_TYPE_NONE, 0,
	  "iommufd/hw_pagetable.c: iommufd_hwpt_alloc(): a vIOMMU pt_id needs a data type" },
	{ "nested.data_type_99", NIOT_VDEV, c_nested_args, {0}, 0, {{0}}, NA_TYPE_99, 0,
	  "iommu.h: iommu_copy_struct_from_user() type mismatch" },
	{ "nested.flags_nest_parent", NIOT_VDEV, c_nested_args, {0}, 0, {{0}}, NA_FLAGS_NEST_PARENT, 0,
	  SRC ": arm_vsmmu_alloc_domain_nested() flags -> EOPNOTSUPP (or the core first)" },
	{ "nested.flags_dirty", NIOT_VDEV, c_nested_args, {0}, 0, {{0}}, NA_FLAGS_DIRTY, 0,
	  "iommufd/hw_pagetable.c: iommufd_hwpt_alloc(): dirty tracking on a nested HWPT" },
	{ "nested.on_s2_parent", NIOT_VDEV, c_nested_args, {0}, 0, {{0}}, NA_ON_S2, 0,
	  "iommufd/hw_pagetable.c: iommufd_hwpt_alloc(): nested on a parent HWPT needs ops->domain_alloc_nested (SMMUv3 has none)" },
	{ "nested.on_ioas", NIOT_VDEV, c_nested_args, {0}, 0, {{0}}, NA_ON_IOAS, 0,
	  "iommufd/hw_pagetable.c: iommufd_hwpt_alloc(): paging HWPT from an IOAS takes no data" },
	{ "nested.on_vdevice", NIOT_VDEV, c_nested_args, {0}, 0, {{0}}, NA_ON_VDEV, 0,
	  "iommufd/hw_pagetable.c: iommufd_hwpt_alloc(): pt_id of the wrong object type" },
	{ "nested.bad_dev", NIOT_VDEV, c_nested_args, {0}, 0, {{0}}, NA_BAD_DEV, 0,
	  "iommufd/hw_pagetable.c: iommufd_hwpt_alloc(): unknown dev_id" },
	{ "nested.null_uptr", NIOT_VDEV, c_nested_args, {0}, 0, {{0}}, NA_NULL_UPTR, 0,
	  "iommufd/hw_pagetable.c: iommufd_hwpt_alloc(): data_len without data_uptr" },

	/* invalidation: every opcode, valid and invalid */
	INV1("inv.tlbi_nsnh_all", OP(CMD_OP_TLBI_NSNH_ALL), 0, SRC ": arm_vsmmu_validate_user_cmd(): converted to NH_ALL with the vIOMMU's VMID"),
	INV1("inv.tlbi_nsnh_all_res0", OP(CMD_OP_TLBI_NSNH_ALL) | ASID(1), 0, SRC ": arm_vsmmu_validate_user_cmd() NSNH_ALL allows only the opcode -> EIO"),
	INV1("inv.tlbi_nh_all", OP(CMD_OP_TLBI_NH_ALL), 0, SRC ": arm_vsmmu_validate_user_cmd(): NH_ALL allowed"),
	INV1("inv.tlbi_nh_all_vmid", OP(CMD_OP_TLBI_NH_ALL) | FPREP(CMD_TLBI0_VMID, 0x77), 0, SRC ": arm_vsmmu_validate_user_cmd(): VMID allowed, replaced by the vIOMMU's"),
	INV1("inv.tlbi_nh_all_bit8", OP(CMD_OP_TLBI_NH_ALL) | BIT64(8), 0, SRC ": arm_vsmmu_validate_user_cmd(): RES0 bit -> EIO"),
	INV1("inv.tlbi_nh_all_asid", OP(CMD_OP_TLBI_NH_ALL) | ASID(1), 0, SRC ": arm_vsmmu_validate_user_cmd(): NH_ALL allows no ASID -> EIO"),
	INV1("inv.tlbi_nh_asid", OP(CMD_OP_TLBI_NH_ASID) | ASID(1), 0, SRC ": arm_vsmmu_validate_user_cmd(): NH_ASID allowed"),
	INV1("inv.tlbi_nh_asid_ffff", OP(CMD_OP_TLBI_NH_ASID) | ASID(0xffff), 0, SRC ": arm_vsmmu_validate_user_cmd(): ASID[15:8] allowed only with IDR0.ASID16 (gated: asid16)"),
	INV1("inv.tlbi_nh_asid_word1", OP(CMD_OP_TLBI_NH_ASID) | ASID(1), 1, SRC ": arm_vsmmu_validate_user_cmd(): NH_ASID allows nothing in word 1 -> EIO"),
	INV1("inv.tlbi_nh_va", OP(CMD_OP_TLBI_NH_VA) | ASID(1), (NIOT_IOVA & CMD_TLBI1_ADDR) | CMD_TLBI1_LEAF, SRC ": arm_vsmmu_validate_user_cmd(): NH_VA with ASID, address, leaf allowed"),
	INV1("inv.tlbi_nh_va_range", OP(CMD_OP_TLBI_NH_VA) | ASID(1) | FPREP(CMD_TLBI0_NUM, 3), FPREP(CMD_TLBI1_TG, 1) | FPREP(CMD_TLBI1_TTL, 3) | NIOT_IOVA, SRC ": arm_vsmmu_validate_user_cmd(): range fields allowed with RIL (gated: ril)"),
	INV1("inv.tlbi_nh_va_num_tg0", OP(CMD_OP_TLBI_NH_VA) | ASID(1) | FPREP(CMD_TLBI0_NUM, 3), NIOT_IOVA, SRC ": arm_vsmmu_validate_range() NUM with TG=0 -> EIO"),
	INV1("inv.tlbi_nh_va_ttl_tg0", OP(CMD_OP_TLBI_NH_VA) | ASID(1), FPREP(CMD_TLBI1_TTL, 2) | NIOT_IOVA, SRC ": arm_vsmmu_validate_range() TTL with TG=0 -> EIO"),
	INV1("inv.tlbi_nh_va_tg_ttl0_num0", OP(CMD_OP_TLBI_NH_VA) | ASID(1), FPREP(CMD_TLBI1_TG, 1) | NIOT_IOVA, SRC ": arm_vsmmu_validate_range() NUM=SCALE=TTL=0 with TG -> EIO"),
	INV1("inv.tlbi_nh_va_16k_ttl1", OP(CMD_OP_TLBI_NH_VA) | ASID(1), FPREP(CMD_TLBI1_TG, 2) | FPREP(CMD_TLBI1_TTL, 1) | NIOT_IOVA, SRC ": arm_vsmmu_validate_user_cmd(): TTL=1 with 16K TG needs IDR5.DS (gated: ril, ds)"),
	INV1("inv.tlbi_nh_va_scale32", OP(CMD_OP_TLBI_NH_VA) | ASID(1) | FPREP(CMD_TLBI0_SCALE, 32) | FPREP(CMD_TLBI0_NUM, 1), FPREP(CMD_TLBI1_TG, 1) | NIOT_IOVA, SRC ": arm_vsmmu_validate_user_cmd(): SCALE bit 25 RES0 without DS (gated: ril, ds)"),
	INV1("inv.tlbi_nh_va_bit8", OP(CMD_OP_TLBI_NH_VA) | ASID(1) | BIT64(8), NIOT_IOVA, SRC ": arm_vsmmu_validate_user_cmd(): RES0 bit -> EIO"),
	INV1("inv.tlbi_nh_va_word1_bit2", OP(CMD_OP_TLBI_NH_VA) | ASID(1), NIOT_IOVA | BIT64(2), SRC ": arm_vsmmu_validate_user_cmd(): word 1 RES0 bit -> EIO"),
	INV1("inv.tlbi_nh_vaa", OP(CMD_OP_TLBI_NH_VAA), NIOT_IOVA | CMD_TLBI1_LEAF, SRC ": arm_vsmmu_validate_user_cmd(): NH_VAA allowed"),
	INV1("inv.tlbi_nh_vaa_asid", OP(CMD_OP_TLBI_NH_VAA) | ASID(1), NIOT_IOVA, SRC ": arm_vsmmu_validate_user_cmd(): NH_VAA allows no ASID -> EIO"),
	INV1("inv.atc_inv", OP(CMD_OP_ATC_INV) | FPREP(CMD_ATC0_SID, NIOT_VSID), FPREP(CMD_ATC1_SIZE, 52), SRC ": arm_vsmmu_validate_user_cmd(): ATC_INV needs IDR0.ATS (gated: ats)"),
	INV1("inv.atc_inv_bad_vsid", OP(CMD_OP_ATC_INV) | FPREP(CMD_ATC0_SID, NIOT_VSID_BAD), 0, SRC ": arm_vsmmu_validate_user_cmd(): ATC_INV: no ATS -> EIO, else unknown vSID -> EIO"),
	INV1("inv.atc_inv_size53", OP(CMD_OP_ATC_INV) | FPREP(CMD_ATC0_SID, NIOT_VSID), FPREP(CMD_ATC1_SIZE, 53), SRC ": arm_vsmmu_validate_user_cmd(): ATC_INV Size above 52 -> EIO"),
	INV1("inv.cfgi_cd", OP(CMD_OP_CFGI_CD) | SID(NIOT_VSID), CMD_CFGI1_LEAF, SRC ": arm_vsmmu_validate_user_cmd(): CFGI_CD vSID -> SID"),
	INV1("inv.cfgi_cd_ssid1", OP(CMD_OP_CFGI_CD) | SID(NIOT_VSID) | FPREP(CMD_CFGI0_SSID, 1), 0, SRC ": arm_vsmmu_validate_user_cmd(): CFGI_CD SSID needs IDR1.SSIDSIZE (gated: ssidsize)"),
	INV1("inv.cfgi_cd_ssv", OP(CMD_OP_CFGI_CD) | SID(NIOT_VSID) | CMD0_SSV, 0, SRC ": arm_vsmmu_validate_user_cmd(): no SSV for CFGI_CD -> EIO"),
	INV1("inv.cfgi_cd_bad_vsid", OP(CMD_OP_CFGI_CD) | SID(NIOT_VSID_BAD), 0, SRC ": arm_vsmmu_vsid_to_sid() unknown vSID -> EIO"),
	INV1("inv.cfgi_cd_word1_bit1", OP(CMD_OP_CFGI_CD) | SID(NIOT_VSID), BIT64(1), SRC ": arm_vsmmu_validate_user_cmd(): only Leaf in word 1 -> EIO"),
	INV1("inv.cfgi_cd_all", OP(CMD_OP_CFGI_CD_ALL) | SID(NIOT_VSID), 0, SRC ": arm_vsmmu_validate_user_cmd(): CFGI_CD_ALL vSID -> SID"),
	INV1("inv.cfgi_cd_all_bad_vsid", OP(CMD_OP_CFGI_CD_ALL) | SID(NIOT_VSID_BAD), 0, SRC ": arm_vsmmu_vsid_to_sid() unknown vSID -> EIO"),
	INV1("inv.cfgi_cd_all_leaf", OP(CMD_OP_CFGI_CD_ALL) | SID(NIOT_VSID), CMD_CFGI1_LEAF, SRC ": arm_vsmmu_validate_user_cmd(): CFGI_CD_ALL allows nothing in word 1 -> EIO"),
	INV1("inv.cfgi_cd_all_ssid", OP(CMD_OP_CFGI_CD_ALL) | SID(NIOT_VSID) | FPREP(CMD_CFGI0_SSID, 1), 0, SRC ": arm_vsmmu_validate_user_cmd(): CFGI_CD_ALL allows no SSID -> EIO"),
	INV1("inv.cfgi_ste", OP(CMD_OP_CFGI_STE) | SID(NIOT_VSID), 0, SRC ": arm_vsmmu_validate_user_cmd(): opcode not forwarded to a guest -> EIO"),
	INV1("inv.cfgi_all", OP(CMD_OP_CFGI_ALL), 31, SRC ": arm_vsmmu_validate_user_cmd(): opcode not forwarded -> EIO"),
	INV1("inv.prefetch_cfg", OP(CMD_OP_PREFETCH_CFG) | SID(NIOT_VSID), 0, SRC ": arm_vsmmu_validate_user_cmd(): opcode not forwarded -> EIO"),
	INV1("inv.tlbi_el2_all", OP(CMD_OP_TLBI_EL2_ALL), 0, SRC ": arm_vsmmu_validate_user_cmd(): EL2 opcode -> EIO"),
	INV1("inv.tlbi_el2_asid", OP(CMD_OP_TLBI_EL2_ASID) | ASID(1), 0, SRC ": arm_vsmmu_validate_user_cmd(): EL2 opcode -> EIO"),
	INV1("inv.tlbi_el2_va", OP(CMD_OP_TLBI_EL2_VA) | ASID(1), NIOT_IOVA, SRC ": arm_vsmmu_validate_user_cmd(): EL2 opcode -> EIO"),
	INV1("inv.tlbi_s12_vmall", OP(CMD_OP_TLBI_S12_VMALL) | FPREP(CMD_TLBI0_VMID, 1), 0, SRC ": arm_vsmmu_validate_user_cmd(): stage-2 opcode -> EIO"),
	INV1("inv.tlbi_s2_ipa", OP(CMD_OP_TLBI_S2_IPA) | FPREP(CMD_TLBI0_VMID, 1), NIOT_IOVA, SRC ": arm_vsmmu_validate_user_cmd(): stage-2 opcode -> EIO"),
	INV1("inv.pri_resp", OP(CMD_OP_PRI_RESP) | SID(NIOT_VSID), 0, SRC ": arm_vsmmu_validate_user_cmd(): opcode -> EIO"),
	INV1("inv.resume", OP(CMD_OP_RESUME) | SID(NIOT_VSID), 0, SRC ": arm_vsmmu_validate_user_cmd(): opcode -> EIO"),
	INV1("inv.cmd_sync", OP(CMD_OP_CMD_SYNC), 0, SRC ": arm_vsmmu_validate_user_cmd(): CMD_SYNC is the kernel's -> EIO"),
	INV1("inv.opcode_ff", OP(0xff), 0, SRC ": arm_vsmmu_validate_user_cmd(): unknown opcode -> EIO"),

	/* invalidation array shapes and targets */
	INVX("inv.empty", T_VIOMMU, A_EMPTY, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommu.h: iommu_copy_struct_from_full_user_array() entry_num 0 -> EINVAL (the uAPI comment says an empty array is allowed)"),
	INVX("inv.empty_type_vtd", T_VIOMMU, A_EMPTY_TYPE_VTD, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommu.h: iommu_copy_struct_from_full_user_array() type mismatch"),
	INVX("inv.type_vtd", T_VIOMMU, A_TYPE_VTD, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommu.h: iommu_copy_struct_from_full_user_array(): data type mismatch -> EINVAL"),
	INVX("inv.type_99", T_VIOMMU, A_TYPE_99, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommu.h: iommu_copy_struct_from_full_user_array(): data type mismatch -> EINVAL"),
	INVX("inv.entry_len8", T_VIOMMU, A_LEN8, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommu.h: iommu_copy_struct_from_full_user_array() copy_struct_from_user() zero-fills a shorter entry (word 1 = 0)"),
	INVX("inv.entry_len32_zero_tail", T_VIOMMU, A_LEN32_ZERO, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommu.h: iommu_copy_struct_from_full_user_array(): longer entries with zero tails accepted"),
	INVX("inv.entry_len32_nonzero_tail", T_VIOMMU, A_LEN32_NONZERO, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommu.h: copy_struct_from_user() non-zero tail -> E2BIG, before any command runs"),
	INVX("inv.entry_len32_second_bad", T_VIOMMU, A_LEN32_ZERO, 2, OP(CMD_OP_TLBI_NH_ALL), 0, SRC ": arm_vsmmu_validate_user_cmd(): the zero second entry has opcode 0 -> EIO at index 1"),
	INVX("inv.entry_len0", T_VIOMMU, A_LEN0, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommufd/hw_pagetable.c: iommufd_hwpt_invalidate(): entry_len 0 with entries -> EINVAL"),
	INVX("inv.entry_len_page_plus", T_VIOMMU, A_LEN_PAGE_PLUS, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommufd/hw_pagetable.c: iommufd_hwpt_invalidate(): entry_len above PAGE_SIZE -> EINVAL"),
	INVX("inv.entry_num_over_max", T_VIOMMU, A_NUM_OVER_MAX, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommufd/hw_pagetable.c: iommufd_hwpt_invalidate(): entry_num above 1<<19 -> EINVAL"),
	INVX("inv.null_uptr", T_VIOMMU, A_NULL, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommufd/hw_pagetable.c: iommufd_hwpt_invalidate(): no data_uptr with entries -> EINVAL"),
	INVX("inv.reserved", T_VIOMMU, A_RESERVED, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommufd/hw_pagetable.c: iommufd_hwpt_invalidate(): __reserved -> EOPNOTSUPP"),
	INVX("inv.on_nested_s1", T_NESTED_S1, A_PLAIN, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommufd/hw_pagetable.c: iommufd_hwpt_invalidate(): nested domain without cache_invalidate_user -> EOPNOTSUPP"),
	INVX("inv.on_nested_bypass", T_NESTED_BYPASS, A_PLAIN, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommufd/hw_pagetable.c: iommufd_hwpt_invalidate(): nested domain without cache_invalidate_user -> EOPNOTSUPP"),
	INVX("inv.on_s2", T_S2, A_PLAIN, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommufd/hw_pagetable.c: iommufd_hwpt_invalidate(): neither nested HWPT nor vIOMMU -> EINVAL"),
	INVX("inv.on_ioas", T_IOAS, A_PLAIN, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommufd/hw_pagetable.c: iommufd_hwpt_invalidate(): neither nested HWPT nor vIOMMU -> EINVAL"),
	INVX("inv.on_vdevice", T_VDEV, A_PLAIN, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommufd/hw_pagetable.c: iommufd_hwpt_invalidate(): neither nested HWPT nor vIOMMU -> EINVAL"),
	INVX("inv.on_bad_id", T_BAD, A_PLAIN, 1, OP(CMD_OP_TLBI_NH_ALL), 0, "iommufd/main.c: iommufd_get_object() unknown id -> ENOENT"),

	/* batches, failing in the middle */
	BATCH("batch.3_ok", 3, NONE, 0, SRC ": arm_vsmmu_cache_invalidate() all converted and issued"),
	BATCH("batch.fail_first", 3, 0, 0, SRC ": arm_vsmmu_cache_invalidate(): entry_num = index of the failing command"),
	BATCH("batch.fail_middle", 3, 1, 0, SRC ": arm_vsmmu_cache_invalidate(): entry_num = index of the failing command"),
	BATCH("batch.fail_last", 4, 3, 0, SRC ": arm_vsmmu_cache_invalidate(): entry_num = index of the failing command"),
	BATCH("batch.bad_vsid_middle", 4, 2, 1, SRC ": arm_vsmmu_vsid_to_sid() -> EIO at its index"),
	BATCH("batch.res0_middle", 4, 2, 2, SRC ": arm_vsmmu_validate_user_cmd() -> EIO at its index"),
	BATCH("batch.63_ok", 63, NONE, 0, SRC ": arm_vsmmu_cache_invalidate(): one CMDQ_BATCH_ENTRIES-1 block"),
	BATCH("batch.64_ok", 64, NONE, 0, SRC ": arm_vsmmu_cache_invalidate(): block boundary"),
	BATCH("batch.130_ok", 130, NONE, 0, SRC ": arm_vsmmu_cache_invalidate(): three blocks"),
	BATCH("batch.130_fail_63", 130, 63, 0, SRC ": arm_vsmmu_cache_invalidate(): fails right after the first issued block"),
	BATCH("batch.130_fail_64", 130, 64, 1, SRC ": arm_vsmmu_cache_invalidate(): entry_num counts converted, not only issued, commands"),
	BATCH("batch.130_fail_129", 130, 129, 2, SRC ": arm_vsmmu_cache_invalidate(): fails at the last entry"),
	BATCH("batch.1000_ok", 1000, NONE, 0, SRC ": arm_vsmmu_cache_invalidate(): many blocks"),

	/* vDEVICE */
	{ "vdevice.dup_same_vsid", NIOT_VIOMMU, c_vdevice, {0}, 0, {{0}}, VD_DUP_SAME_VSID, 0,
	  "iommufd/viommu.c: iommufd_vdevice_alloc_ioctl() vSID already used / device already has a vDEVICE" },
	{ "vdevice.dup_other_vsid", NIOT_VIOMMU, c_vdevice, {0}, 0, {{0}}, VD_DUP_OTHER_VSID, 0,
	  "iommufd/viommu.c: iommufd_vdevice_alloc_ioctl(): one vDEVICE per device" },
	{ "vdevice.again_after_destroy", NIOT_VIOMMU, c_vdevice, {0}, 0, {{0}}, VD_AGAIN, 0,
	  "iommufd/viommu.c: iommufd_vdevice_alloc_ioctl(): destroy frees the vSID" },
	{ "vdevice.vsid0", NIOT_VIOMMU, c_vdevice, { 0 }, 0, {{0}}, VD_VSID, 0,
	  SRC ": arm_vsmmu_vdevice_init() no vSID range check" },
	{ "vdevice.vsid_u32max", NIOT_VIOMMU, c_vdevice, { 0xffffffffULL }, 0, {{0}}, VD_VSID, 0,
	  SRC ": arm_vsmmu_vdevice_init(): 32-bit vSID accepted" },
	{ "vdevice.vsid_above_u32", NIOT_VIOMMU, c_vdevice, { 1ULL << 32 }, 0, {{0}}, VD_VSID, 0,
	  "iommufd/viommu.c: iommufd_vdevice_alloc_ioctl(): virt_id up to ULONG_MAX" },
	{ "vdevice.bad_viommu", NIOT_VIOMMU, c_vdevice, {0}, 0, {{0}}, VD_BAD_VIOMMU, 0,
	  "iommufd/viommu.c: iommufd_vdevice_alloc_ioctl(): unknown viommu_id -> ENOENT" },
	{ "vdevice.on_s2", NIOT_VIOMMU, c_vdevice, {0}, 0, {{0}}, VD_ON_S2, 0,
	  "iommufd/viommu.c: iommufd_vdevice_alloc_ioctl(): viommu_id of the wrong type" },
	{ "vdevice.second_viommu", NIOT_VIOMMU, c_vdevice, {0}, 0, {{0}}, VD_SECOND_VIOMMU, 0,
	  "iommufd/viommu.c: iommufd_vdevice_alloc_ioctl(): a device has one vDEVICE, on one vIOMMU" },

	/* vEVENTQ */
	{ "veventq.arm_smmuv3", NIOT_VIOMMU, c_veventq, { 64 }, 0, {{0}}, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, VQ_PLAIN,
	  "iommufd/eventq.c: iommufd_veventq_alloc()" },
	{ "veventq.dup_type", NIOT_VIOMMU, c_veventq, { 64 }, 0, {{0}}, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, VQ_DUP,
	  "iommufd/eventq.c: iommufd_veventq_alloc(): one vEVENTQ per type -> EEXIST" },
	{ "veventq.again_after_destroy", NIOT_VIOMMU, c_veventq, { 64 }, 0, {{0}}, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, VQ_AGAIN,
	  "iommufd/eventq.c: iommufd_veventq_alloc(): destroy frees the type slot" },
	{ "veventq.read_empty", NIOT_VIOMMU, c_veventq, { 64 }, 0, {{0}}, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, VQ_READ_EMPTY,
	  "iommufd/eventq.c: iommufd_veventq_alloc(): non-blocking read of an empty queue" },
	{ "veventq.depth0", NIOT_VIOMMU, c_veventq, { 0 }, 0, {{0}}, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, VQ_PLAIN,
	  "iommufd/eventq.c: iommufd_veventq_alloc(): depth 0 -> EINVAL" },
	{ "veventq.depth1", NIOT_VIOMMU, c_veventq, { 1 }, 0, {{0}}, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, VQ_PLAIN,
	  "iommufd/eventq.c: iommufd_veventq_alloc(): depth 1 accepted" },
	{ "veventq.depth_huge", NIOT_VIOMMU, c_veventq, { 0x80000000ULL }, 0, {{0}}, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, VQ_PLAIN,
	  "iommufd/eventq.c: iommufd_veventq_alloc(): depth above IOMMU_VEVENTQ_MAX_DEPTH -> EINVAL" },
	{ "veventq.type_default", NIOT_VIOMMU, c_veventq, { 64 }, 0, {{0}}, IOMMU_VEVENTQ_TYPE_DEFAULT, VQ_PLAIN,
	  "iommufd/eventq.c: iommufd_veventq_alloc(): type DEFAULT -> EOPNOTSUPP" },
	{ "veventq.type_tegra", NIOT_VIOMMU, c_veventq, { 64 }, 0, {{0}}, IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, VQ_PLAIN,
	  "iommufd/eventq.c: iommufd_veventq_alloc(): the type is not checked against the vIOMMU's" },
	{ "veventq.flags", NIOT_VIOMMU, c_veventq, { 64 }, 0, {{0}}, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, VQ_FLAGS,
	  "iommufd/eventq.c: iommufd_veventq_alloc(): flags -> EOPNOTSUPP" },
	{ "veventq.reserved", NIOT_VIOMMU, c_veventq, { 64 }, 0, {{0}}, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, VQ_RESERVED,
	  "iommufd/eventq.c: iommufd_veventq_alloc(): __reserved -> EOPNOTSUPP" },
	{ "veventq.bad_viommu", NIOT_VIOMMU, c_veventq, { 64 }, 0, {{0}}, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, VQ_BAD_VIOMMU,
	  "iommufd/eventq.c: iommufd_veventq_alloc(): unknown viommu_id -> ENOENT" },
	{ "veventq.on_s2", NIOT_VIOMMU, c_veventq, { 64 }, 0, {{0}}, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, VQ_ON_S2,
	  "iommufd/eventq.c: iommufd_veventq_alloc(): viommu_id of the wrong type" },

	/* destroy ordering */
	{ "destroy.ioas_with_s2", NIOT_VDEV, c_destroy, {0}, 0, {{0}}, D_IOAS_WITH_S2, 0,
	  "iommufd/main.c: iommufd_destroy(): the S2 holds the IOAS -> EBUSY" },
	{ "destroy.s2_with_viommu", NIOT_VDEV, c_destroy, {0}, 0, {{0}}, D_S2_WITH_VIOMMU, 0,
	  "iommufd/main.c: iommufd_destroy(): the vIOMMU holds the S2 -> EBUSY" },
	{ "destroy.viommu_with_vdevice", NIOT_VDEV, c_destroy, {0}, 0, {{0}}, D_VIOMMU_WITH_VDEV, 0,
	  "iommufd/main.c: iommufd_destroy(): the vDEVICE holds the vIOMMU -> EBUSY" },
	{ "destroy.viommu_with_veventq", NIOT_VIOMMU, c_destroy, {0}, 0, {{0}}, D_VIOMMU_WITH_VEVENTQ, 0,
	  "iommufd/main.c: iommufd_destroy(): the vEVENTQ holds the vIOMMU -> EBUSY" },
	{ "destroy.viommu_with_nested", NIOT_VIOMMU, c_destroy, {0}, 0, {{0}}, D_VIOMMU_WITH_NESTED, 0,
	  "iommufd/main.c: iommufd_destroy(): a nested HWPT holds the vIOMMU -> EBUSY" },
	{ "destroy.nested_attached", NIOT_VDEV, c_destroy, {0}, 0, {{0}}, D_NESTED_ATTACHED, 0,
	  "iommufd/main.c: iommufd_destroy(): an attached HWPT -> EBUSY" },
	{ "destroy.vdevice_attached", NIOT_VDEV, c_destroy, {0}, 0, {{0}}, D_VDEV_ATTACHED, 0,
	  "iommufd/viommu.c: iommufd_vdevice_alloc_ioctl(): a vDEVICE under an attached S1_TRANS nested HWPT" },
	{ "destroy.s2_attached", NIOT_S2, c_destroy, {0}, 0, {{0}}, D_S2_ATTACHED, 0,
	  "iommufd/main.c: iommufd_destroy(): an attached HWPT -> EBUSY" },
	{ "destroy.twice", NIOT_VDEV, c_destroy, {0}, 0, {{0}}, D_TWICE, 0,
	  "iommufd/main.c: iommufd_destroy(): the second destroy -> ENOENT" },
	{ "destroy.id_zero", NIOT_BOUND, c_destroy, {0}, 0, {{0}}, D_ID_ZERO, 0,
	  "iommufd/main.c: iommufd_destroy(): id 0 -> ENOENT" },
	{ "destroy.reverse_order", NIOT_VDEV, c_destroy, {0}, 0, {{0}}, D_REVERSE, 0,
	  "the VMM's teardown: nested, vEVENTQ, vDEVICE, vIOMMU, detach, S2, IOAS" },
	{ "destroy.close_cdev_with_vdevice", NIOT_VDEV, c_destroy, {0}, 0, {{0}}, D_CLOSE_DEVFD, 0,
	  "iommufd/viommu.c: iommufd_vdevice_abort(): closing the cdev destroys the vDEVICE (its id leaks until close)" },
	{ "destroy.close_iommufd_all_alive", NIOT_VDEV, c_destroy, {0}, 0, {{0}}, D_CLOSE_IOMMUFD, 0,
	  "iommufd/main.c: iommufd_fops_release() frees everything (a splat fails the tier)" },
};

int main(int argc, char **argv)
{
	int list = 0, n_run = 0, n_fixture = 0;
	size_t n = sizeof(cases) / sizeof(cases[0]);

	if (argc > 1 && !strcmp(argv[1], "-l")) {
		list = 1;
		argc--, argv++;
	}
	if (!list)
		printf("# conform: %zu cases on %s\n", n, niot_cdev_path());
	for (size_t i = 0; i < n; i++) {
		const struct tcase *c = &cases[i];
		struct verdict v = { "" };
		struct niot t;
		int sel = argc <= 1;

		for (int a = 1; a < argc && !sel; a++)
			sel = !strncmp(c->name, argv[a], strlen(argv[a]));
		if (!sel)
			continue;
		if (list) {
			printf("%s\t# %s\n", c->name, c->ref);
			continue;
		}
		if (niot_open(&t, c->level)) {
			printf("%s\tFIXTURE(%s)\t# %s\n", c->name, t.failed, c->ref);
			n_fixture++;
		} else {
			c->fn(&t, c, &v);
			printf("%s\t%s\t# %s\n", c->name, v.s, c->ref);
		}
		fflush(stdout);
		niot_close(&t);
		n_run++;
	}
	if (!list)
		printf("# conform: %d cases run, %d fixture failures\n", n_run, n_fixture);
	return n_fixture ? 2 : 0;
}
