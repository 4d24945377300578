// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nio_fuzz: a seeded, reproducible random-operation exerciser of
 * nestiommu.ko's whole user interface, for the sanitizer kernel
 * (tests/module/fuzz-kasan.sh: KASAN, UBSAN, lockdep, atomic-sleep
 * debugging).  One thread, one pseudo-random sequence from the seed: the
 * same seed and operation count give the same calls in the same order.
 *
 * Each operation is picked at random among: iommufd open/close, VFIO cdev
 * open/bind/close of the module's endpoints, IOAS alloc/map/unmap/copy,
 * paging and NEST_PARENT HWPT alloc, vIOMMU, vDEVICE and nested HWPT
 * alloc (valid and random vSTEs), attach/replace/detach, invalidation
 * arrays (valid and random commands, bad entry sizes and counts), vEVENTQ
 * alloc/read, hw_info, IOMMU_DESTROY of any ID, and over generic netlink
 * DMA reads and writes, dumps, MSI set-up and triggers.  About one field
 * in eight is replaced by a bad value (a stale or random ID, a bad
 * pointer, flags, size, length, alignment).  The kernel's answers are not
 * predicted; what must hold is: no ioctl reports success with a negative
 * or strange result, no errno outside what the uAPI uses, nothing left
 * attached once every descriptor is closed, and (checked by the VM
 * runner) no KASAN, UBSAN, lockdep, WARNING or BUG report in the kernel
 * log.
 *
 * Usage: nio_fuzz [-s SEED] [-n OPS] [-t SECONDS] [-v]
 *   stops after OPS operations (default unlimited) or SECONDS (default
 *   30), whichever comes first; -v prints every operation.  The last
 *   lines say the seed and the number of operations that ran, and the
 *   command that repeats the run.
 * Needs nestiommu.ko loaded with instances >= 1, devices >= 4, as root.
 */
#include <inttypes.h>
#include <sys/eventfd.h>
#include <time.h>

#include <nestiommu/smmu.h>

#include "nio_test.h"

#define NCTX		2
#define NDEV		4	/* endpoints 0..3 of instance 0 */
#define NIDS		96
#define GPA_BASE	0x40000000ULL
#define GPA_SIZE	(256ULL << 10)
#define DATA_OFF	0x20000ULL
#define VA		0x10000000ULL

enum kind { K_IOAS, K_PAGING, K_S2, K_VIOMMU, K_VDEV, K_NESTED, K_VEVQ,
	    K_DEV, K_NKINDS };

struct obj {
	uint32_t id;
	enum kind kind;
	int fd;			/* vEVENTQ: its descriptor */
};

static struct ctx {
	int fd;
	struct obj o[NIDS];
	int n;
} ctxs[NCTX];

static struct dev {
	int fd;
	int ctx;		/* bound to, or -1 */
	uint32_t dev_id;
} devs[NDEV];

static uint64_t rng;
static unsigned long nops, nok, nerr, bad;
static unsigned long per_op[32], per_op_ok[32];
static uint8_t *gram, *junk, *noaccess;
static struct nio_smmu *ctl;
static bool verbose;

/* splitmix64: small, fast, and the same sequence on every machine */
static uint64_t rnd64(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

/* true about once in @n */
static bool one_in(uint32_t n)
{
	return rnd(n) == 0;
}

/* An errno the iommufd, VFIO and genl paths may give for bad input */
static bool sane_errno(int e)
{
	switch (e) {
	case EINVAL: case ENOENT: case EOPNOTSUPP: case EBUSY: case EFAULT:
	case ENOMEM: case EIO: case EPERM: case ENODEV: case EEXIST:
	case EADDRINUSE: case ERANGE: case EOVERFLOW: case ENOSPC:
	case EMSGSIZE: case E2BIG: case EAGAIN: case EBADF: case ENXIO:
	case ENOTTY: case EDOM: case ENOMSG: case EBADMSG: case EACCES:
	case ESRCH: case ETIMEDOUT: case EINTR:
	case EBADFD:	/* a descriptor that is not an iommufd */
		return true;
	default:
		return false;
	}
}

static const char *op_name[] = {
	"ctx-open", "ctx-close", "dev-open", "dev-close", "bind",
	"ioas-alloc", "ioas-map", "ioas-unmap", "ioas-copy", "hwpt-paging",
	"hwpt-s2", "viommu", "vdevice", "hwpt-nested", "attach", "detach",
	"invalidate", "veventq", "veventq-read", "hw-info", "destroy",
	"dma", "dump", "msi", "iova-ranges",
};
#define NOPS (sizeof(op_name) / sizeof(op_name[0]))

/*
 * Account for one call: r is the ioctl's (or netlink call's negative
 * errno) result.  A positive result or an odd errno is a finding.
 */
static int account(unsigned int op, long r, const char *what)
{
	int e = r < 0 ? (r == -1 ? errno : (int)-r) : 0;

	if (r > 0 || (r < 0 && !sane_errno(e))) {
		bad++;
		printf("# op %lu %s: %s returned %ld (errno %d %s)\n", nops,
		       op_name[op], what, r, e, strerror(e));
	}
	if (r == 0) {
		nok++;
		per_op_ok[op]++;
	} else
		nerr++;
	if (verbose)
		printf("# %lu %s %s: %s\n", nops, op_name[op], what,
		       r ? strerror(e) : "ok");
	return r ? -1 : 0;
}

/* Bookkeeping of the IDs each context holds */
static void add_obj(int c, uint32_t id, enum kind k, int fd)
{
	struct ctx *x = &ctxs[c];

	if (x->n == NIDS) {
		/* full: forget the oldest (it stays in the kernel until
		 * the context is closed) */
		if (x->o[0].fd >= 0)
			close(x->o[0].fd);
		memmove(&x->o[0], &x->o[1], (NIDS - 1) * sizeof(x->o[0]));
		x->n--;
	}
	x->o[x->n++] = (struct obj){ .id = id, .kind = k, .fd = fd };
}

static void del_obj(int c, uint32_t id)
{
	struct ctx *x = &ctxs[c];
	int i;

	for (i = 0; i < x->n; i++) {
		if (x->o[i].id != id || x->o[i].kind == K_DEV)
			continue;
		if (x->o[i].fd >= 0)
			close(x->o[i].fd);
		x->o[i] = x->o[--x->n];
		return;
	}
}

/*
 * An ID for a field that wants @k: usually one of that kind, sometimes
 * one of another kind, a destroyed-looking one, 0 or all ones.
 */
static uint32_t pick_id(int c, enum kind k)
{
	struct ctx *x = &ctxs[c];
	uint32_t cand[NIDS];
	int i, n = 0;

	if (one_in(8)) {
		switch (rnd(4)) {
		case 0: return 0;
		case 1: return 0xffffffff;
		case 2: return rnd(200);
		default: return x->n ? x->o[rnd(x->n)].id : rnd(50);
		}
	}
	for (i = 0; i < x->n; i++)
		if (x->o[i].kind == k)
			cand[n++] = x->o[i].id;
	if (!n)
		return x->n ? x->o[rnd(x->n)].id : rnd(50);
	return cand[rnd(n)];
}

static int pick_ctx(void)
{
	int c = rnd(NCTX);

	return ctxs[c].fd >= 0 ? c : -1;
}

/* A user pointer for a buffer of @len bytes: usually good, else bad */
static void *pick_ptr(void *good)
{
	if (!one_in(10))
		return good;
	switch (rnd(3)) {
	case 0: return NULL;
	case 1: return noaccess;
	default: return (void *)(uintptr_t)0xdead000000000000ULL;
	}
}

static uint32_t maybe_bad_u32(uint32_t good)
{
	if (!one_in(8))
		return good;
	switch (rnd(4)) {
	case 0: return 0;
	case 1: return 0xffffffff;
	case 2: return good ^ (1u << rnd(32));
	default: return (uint32_t)rnd64();
	}
}

static uint64_t maybe_bad_u64(uint64_t good)
{
	if (!one_in(8))
		return good;
	switch (rnd(4)) {
	case 0: return 0;
	case 1: return ~0ULL;
	case 2: return good ^ (1ULL << rnd(64));
	default: return rnd64();
	}
}

static void ctx_close(int c)
{
	int i;

	for (i = 0; i < ctxs[c].n; i++)
		if (ctxs[c].o[i].fd >= 0)
			close(ctxs[c].o[i].fd);
	ctxs[c].n = 0;
	close(ctxs[c].fd);
	ctxs[c].fd = -1;
	/* the devices bound to it are unbound only when their cdev closes */
	for (i = 0; i < NDEV; i++)
		if (devs[i].ctx == c)
			devs[i].ctx = -2;	/* bound to a closed iommufd */
}

static void dev_close(int d)
{
	int c = devs[d].ctx;

	if (devs[d].fd < 0)
		return;
	close(devs[d].fd);
	devs[d].fd = -1;
	if (c >= 0) {
		struct ctx *x = &ctxs[c];
		int i;

		for (i = 0; i < x->n; i++)
			if (x->o[i].kind == K_DEV && x->o[i].id == devs[d].dev_id) {
				x->o[i] = x->o[--x->n];
				break;
			}
	}
	devs[d].ctx = -1;
}

/* A device bound to context @c (its index), or -1 */
static int pick_bound(int c)
{
	int d = rnd(NDEV), i;

	for (i = 0; i < NDEV; i++, d = (d + 1) % NDEV)
		if (devs[d].fd >= 0 && devs[d].ctx == c)
			return d;
	return -1;
}

/* A vSTE: mostly the valid ones (S1 through the CD, bypass, abort) */
static void make_ste(uint64_t ste[2])
{
	switch (rnd(6)) {
	case 0: case 1:
		ste[0] = 1 | (5ULL << 1) | GPA_BASE;	/* S1, CD at GPA_BASE */
		ste[1] = 2;
		break;
	case 2:
		ste[0] = 1 | (4ULL << 1);		/* bypass */
		ste[1] = 0;
		break;
	case 3:
		ste[0] = 1;				/* abort */
		ste[1] = 0;
		break;
	case 4:
		ste[0] = rnd64();
		ste[1] = rnd64();
		break;
	default:
		ste[0] = (1 | (5ULL << 1) | GPA_BASE) ^ (1ULL << rnd(64));
		ste[1] = 2 ^ (1ULL << rnd(64));
		break;
	}
}

/* One SMMUv3 command: a valid-looking one of each kind, or random bits */
static void make_cmd(uint64_t c[2])
{
	static const uint64_t tmpl[][2] = {
		{ 0x10, 0 },				/* TLBI_NH_ALL */
		{ 0x11 | (5ULL << 48), 0 },		/* TLBI_NH_ASID */
		{ 0x12 | (5ULL << 48), VA },		/* TLBI_NH_VA */
		{ 0x13, VA + 0x3000 },			/* TLBI_NH_VAA */
		{ 0x30, 0 },				/* TLBI_NSNH_ALL */
		{ 0x05 | (0x10ULL << 32), 0 },		/* CFGI_CD vSID 0x10 */
		{ 0x06 | (0x11ULL << 32), 0 },		/* CFGI_CD_ALL */
		{ 0x40 | (0x10ULL << 32), 0 },		/* ATC_INV */
		{ 0x46, 0 },				/* CMD_SYNC */
		{ 0x12 | (5ULL << 48) | (1ULL << 12), VA | (1ULL << 8) | 3 },
	};
	const uint64_t *t = tmpl[rnd(sizeof(tmpl) / sizeof(tmpl[0]))];

	c[0] = t[0];
	c[1] = t[1];
	if (one_in(6)) {
		c[rnd(2)] ^= 1ULL << rnd(64);
	} else if (one_in(12)) {
		c[0] = rnd64();
		c[1] = rnd64();
	}
}

static void op_once(void)
{
	unsigned int op = rnd(NOPS);
	int c = pick_ctx(), d, r;
	char what[96];

	per_op[op]++;
	switch (op) {
	case 0: /* ctx-open */
		for (c = 0; c < NCTX; c++)
			if (ctxs[c].fd < 0)
				break;
		if (c == NCTX)
			return;
		ctxs[c].fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
		account(op, ctxs[c].fd < 0 ? -1 : 0, "open /dev/iommu");
		return;
	case 1: /* ctx-close */
		if (c < 0 || !one_in(16))	/* rarer: it drops everything */
			return;
		ctx_close(c);
		account(op, 0, "close iommufd");
		return;
	case 2: /* dev-open */
		d = rnd(NDEV);
		if (devs[d].fd >= 0)
			return;
		devs[d].fd = nt_open_ep(0, d, NULL, 0);
		devs[d].ctx = -1;
		account(op, devs[d].fd < 0 ? -1 : 0, "open endpoint cdev");
		return;
	case 3: /* dev-close */
		d = rnd(NDEV);
		if (devs[d].fd < 0 || !one_in(8))	/* rarer: it unbinds */
			return;
		dev_close(d);
		account(op, 0, "close endpoint cdev");
		return;
	case 4: { /* bind */
		struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };

		d = rnd(NDEV);
		if (c < 0 || devs[d].fd < 0)
			return;
		b.iommufd = one_in(10) ? (int)rnd(64) : ctxs[c].fd;
		b.flags = maybe_bad_u32(0);
		b.argsz = maybe_bad_u32(sizeof(b));
		r = ioctl(devs[d].fd, VFIO_DEVICE_BIND_IOMMUFD, &b);
		if (!account(op, r, "VFIO_DEVICE_BIND_IOMMUFD")) {
			int bc = b.iommufd == ctxs[c].fd ? c : -1;

			if (bc < 0) {	/* bound through a guessed descriptor */
				for (bc = 0; bc < NCTX; bc++)
					if (ctxs[bc].fd == b.iommufd)
						break;
				if (bc == NCTX)
					bc = -2;
			}
			devs[d].ctx = bc;
			devs[d].dev_id = b.out_devid;
			if (bc >= 0)
				add_obj(bc, b.out_devid, K_DEV, -1);
		}
		return;
	}
	case 5: { /* ioas-alloc */
		struct iommu_ioas_alloc a = { .size = sizeof(a) };

		if (c < 0)
			return;
		a.size = maybe_bad_u32(sizeof(a));
		a.flags = maybe_bad_u32(0);
		r = ioctl(ctxs[c].fd, IOMMU_IOAS_ALLOC, &a);
		if (!account(op, r, "IOMMU_IOAS_ALLOC"))
			add_obj(c, a.out_ioas_id, K_IOAS, -1);
		return;
	}
	case 6: { /* ioas-map: guest RAM at its IPA, a page, or nonsense */
		struct iommu_ioas_map m = { .size = sizeof(m) };

		if (c < 0)
			return;
		m.ioas_id = pick_id(c, K_IOAS);
		m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			  (one_in(4) ? 0 : IOMMU_IOAS_MAP_FIXED_IOVA);
		switch (rnd(3)) {
		case 0:
			m.user_va = (uintptr_t)gram;
			m.length = GPA_SIZE;
			m.iova = GPA_BASE;
			break;
		case 1: {
			uint64_t off = rnd(GPA_SIZE / 4096) * 4096;

			m.user_va = (uintptr_t)gram + off;
			m.length = 4096 * (1 + rnd(4));
			if (off + m.length > GPA_SIZE)
				m.length = GPA_SIZE - off;
			m.iova = GPA_BASE + off;
			break;
		}
		default:
			m.user_va = (uintptr_t)junk + rnd(16) * 4096;
			m.length = 4096 * (1 + rnd(8));
			m.iova = rnd64() & 0xfffffffff000ULL;
			break;
		}
		m.flags = maybe_bad_u32(m.flags);
		m.user_va = (uintptr_t)pick_ptr((void *)(uintptr_t)m.user_va);
		m.length = maybe_bad_u64(m.length);
		m.iova = maybe_bad_u64(m.iova);
		m.size = maybe_bad_u32(sizeof(m));
		r = ioctl(ctxs[c].fd, IOMMU_IOAS_MAP, &m);
		account(op, r, "IOMMU_IOAS_MAP");
		return;
	}
	case 7: { /* ioas-unmap */
		struct iommu_ioas_unmap u = { .size = sizeof(u) };

		if (c < 0)
			return;
		u.ioas_id = pick_id(c, K_IOAS);
		if (one_in(4)) {
			u.iova = 0;
			u.length = ~0ULL;	/* everything */
		} else {
			u.iova = GPA_BASE + rnd(GPA_SIZE / 4096) * 4096;
			u.length = 4096 * (1 + rnd(8));
		}
		u.iova = maybe_bad_u64(u.iova);
		u.length = maybe_bad_u64(u.length);
		r = ioctl(ctxs[c].fd, IOMMU_IOAS_UNMAP, &u);
		account(op, r, "IOMMU_IOAS_UNMAP");
		return;
	}
	case 8: { /* ioas-copy */
		struct iommu_ioas_copy cp = { .size = sizeof(cp) };

		if (c < 0)
			return;
		cp.dst_ioas_id = pick_id(c, K_IOAS);
		cp.src_ioas_id = pick_id(c, K_IOAS);
		cp.flags = maybe_bad_u32(IOMMU_IOAS_MAP_FIXED_IOVA |
					 IOMMU_IOAS_MAP_READABLE |
					 IOMMU_IOAS_MAP_WRITEABLE);
		cp.length = maybe_bad_u64(4096 * (1 + rnd(4)));
		cp.src_iova = maybe_bad_u64(GPA_BASE + rnd(8) * 4096);
		cp.dst_iova = maybe_bad_u64(0x80000000ULL + rnd(8) * 4096);
		r = ioctl(ctxs[c].fd, IOMMU_IOAS_COPY, &cp);
		account(op, r, "IOMMU_IOAS_COPY");
		return;
	}
	case 9: case 10: { /* hwpt-paging, hwpt-s2 */
		uint32_t id = 0, flags = op == 10 ? IOMMU_HWPT_ALLOC_NEST_PARENT : 0;
		uint32_t dev_id, pt, type;

		d = c < 0 ? -1 : pick_bound(c);
		if (d < 0)
			return;
		if (one_in(10))
			flags |= IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
		/* one random draw per statement: the same order everywhere */
		dev_id = maybe_bad_u32(devs[d].dev_id);
		pt = pick_id(c, K_IOAS);
		flags = maybe_bad_u32(flags);
		type = one_in(10) ? rnd(4) : 0;
		r = nt_hwpt_alloc(ctxs[c].fd, dev_id, pt, flags, type, NULL, 0,
				  &id);
		if (!account(op, r, "IOMMU_HWPT_ALLOC paging"))
			add_obj(c, id, op == 10 ? K_S2 : K_PAGING, -1);
		return;
	}
	case 11: { /* viommu */
		uint32_t id = 0;

		d = c < 0 ? -1 : pick_bound(c);
		if (d < 0)
			return;
		{
			uint32_t dev_id = maybe_bad_u32(devs[d].dev_id);
			uint32_t s2 = pick_id(c, K_S2);
			uint32_t type = maybe_bad_u32(IOMMU_VIOMMU_TYPE_ARM_SMMUV3);

			r = nt_viommu_alloc(ctxs[c].fd, dev_id, s2, type, &id);
		}
		if (!account(op, r, "IOMMU_VIOMMU_ALLOC"))
			add_obj(c, id, K_VIOMMU, -1);
		return;
	}
	case 12: { /* vdevice */
		uint32_t id = 0;

		d = c < 0 ? -1 : pick_bound(c);
		if (d < 0)
			return;
		{
			uint32_t viommu = pick_id(c, K_VIOMMU);
			uint32_t dev_id = maybe_bad_u32(devs[d].dev_id);
			uint64_t vsid = maybe_bad_u64(0x10 + d);

			r = nt_vdevice_alloc(ctxs[c].fd, viommu, dev_id, vsid,
					     &id);
		}
		if (!account(op, r, "IOMMU_VDEVICE_ALLOC"))
			add_obj(c, id, K_VDEV, -1);
		return;
	}
	case 13: { /* hwpt-nested */
		struct iommu_hwpt_arm_smmuv3 ste;
		uint32_t id = 0, len = sizeof(ste);
		uint64_t v[2];

		d = c < 0 ? -1 : pick_bound(c);
		if (d < 0)
			return;
		make_ste(v);
		ste.ste[0] = v[0];	/* the testbeds are little-endian */
		ste.ste[1] = v[1];
		if (one_in(10))
			len = rnd(48);
		{
			uint32_t dev_id = maybe_bad_u32(devs[d].dev_id);
			uint32_t pt = pick_id(c, one_in(4) ? K_S2 : K_VIOMMU);
			uint32_t flags = maybe_bad_u32(0);
			uint32_t type = maybe_bad_u32(IOMMU_HWPT_DATA_ARM_SMMUV3);
			void *data = pick_ptr(&ste);

			r = nt_hwpt_alloc(ctxs[c].fd, dev_id, pt, flags, type,
					  data, len, &id);
		}
		snprintf(what, sizeof(what),
			 "IOMMU_HWPT_ALLOC nested ste 0x%" PRIx64 ",0x%" PRIx64,
			 v[0], v[1]);
		if (!account(op, r, what))
			add_obj(c, id, K_NESTED, -1);
		return;
	}
	case 14: { /* attach or replace: any HWPT or IOAS */
		static const enum kind pts[] = { K_NESTED, K_NESTED, K_S2,
						 K_PAGING, K_IOAS };
		struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };

		d = c < 0 ? -1 : pick_bound(c);
		if (d < 0)
			return;
		at.pt_id = pick_id(c, pts[rnd(5)]);
		at.flags = maybe_bad_u32(0);
		at.argsz = maybe_bad_u32(sizeof(at));
		r = ioctl(devs[d].fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
		account(op, r, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
		return;
	}
	case 15: { /* detach */
		struct vfio_device_detach_iommufd_pt de = { .argsz = sizeof(de) };

		d = c < 0 ? -1 : pick_bound(c);
		if (d < 0)
			return;
		de.flags = maybe_bad_u32(0);
		r = ioctl(devs[d].fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de);
		account(op, r, "VFIO_DEVICE_DETACH_IOMMUFD_PT");
		return;
	}
	case 16: { /* invalidate: an array on a vIOMMU (or another ID) */
		static uint64_t cmds[64][2];
		struct iommu_hwpt_invalidate inv = { .size = sizeof(inv) };
		uint32_t n = 1 + rnd(one_in(4) ? 64 : 4), i;

		if (c < 0)
			return;
		for (i = 0; i < n; i++)
			make_cmd(cmds[i]);
		inv.hwpt_id = pick_id(c, one_in(5) ? K_NESTED : K_VIOMMU);
		inv.data_uptr = (uintptr_t)pick_ptr(cmds);
		inv.data_type =
			maybe_bad_u32(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3);
		inv.entry_len = one_in(10) ? rnd(40) : 16;
		inv.entry_num = one_in(20) ? rnd(1u << 20) : n;
		inv.__reserved = maybe_bad_u32(0);
		r = ioctl(ctxs[c].fd, IOMMU_HWPT_INVALIDATE, &inv);
		snprintf(what, sizeof(what),
			 "IOMMU_HWPT_INVALIDATE n=%u len=%u first 0x%" PRIx64,
			 n, inv.entry_len, cmds[0][0]);
		account(op, r, what);
		if (!r && inv.entry_num != n && inv.entry_len == 16) {
			bad++;
			printf("# op %lu: invalidation succeeded with entry_num %u of %u\n",
			       nops, inv.entry_num, n);
		}
		return;
	}
	case 17: { /* veventq */
		struct iommu_veventq_alloc a = { .size = sizeof(a) };

		if (c < 0)
			return;
		a.viommu_id = pick_id(c, K_VIOMMU);
		a.type = maybe_bad_u32(IOMMU_VEVENTQ_TYPE_ARM_SMMUV3);
		a.veventq_depth = maybe_bad_u32(1 + rnd(16));
		a.flags = maybe_bad_u32(0);
		r = ioctl(ctxs[c].fd, IOMMU_VEVENTQ_ALLOC, &a);
		if (!account(op, r, "IOMMU_VEVENTQ_ALLOC")) {
			fcntl(a.out_veventq_fd, F_SETFL, O_NONBLOCK);
			add_obj(c, a.out_veventq_id, K_VEVQ, a.out_veventq_fd);
		}
		return;
	}
	case 18: { /* veventq-read: whatever DMA faults queued */
		uint8_t ev[256];
		ssize_t n;
		int i;

		if (c < 0)
			return;
		for (i = 0; i < ctxs[c].n; i++)
			if (ctxs[c].o[i].kind == K_VEVQ)
				break;
		if (i == ctxs[c].n)
			return;
		{
			void *p = one_in(10) ? (void *)noaccess : ev;
			size_t len = one_in(5) ? rnd(sizeof(ev)) : sizeof(ev);

			n = read(ctxs[c].o[i].fd, p, len);
		}
		account(op, n > 0 ? 0 : n < 0 ? -1 : 0, "read vEVENTQ");
		return;
	}
	case 19: { /* hw-info */
		struct iommu_hw_info h = { .size = sizeof(h) };
		uint8_t data[64];

		d = c < 0 ? -1 : pick_bound(c);
		if (d < 0)
			return;
		h.dev_id = maybe_bad_u32(devs[d].dev_id);
		h.data_len = one_in(5) ? rnd(80) : sizeof(data);
		h.data_uptr = (uintptr_t)pick_ptr(data);
		h.flags = maybe_bad_u32(0);
		h.in_data_type = one_in(4) ? rnd(4) : 0;
		r = ioctl(ctxs[c].fd, IOMMU_GET_HW_INFO, &h);
		account(op, r, "IOMMU_GET_HW_INFO");
		return;
	}
	case 20: { /* destroy any ID */
		uint32_t id;

		if (c < 0)
			return;
		id = pick_id(c, (enum kind)rnd(K_NKINDS));
		r = nt_destroy(ctxs[c].fd, id);
		if (!account(op, r, "IOMMU_DESTROY"))
			del_obj(c, id);
		return;
	}
	case 21: { /* DMA over netlink: through whatever is attached */
		/* more than the 32 KiB a request may carry, sometimes */
		static uint8_t b[40960];
		uint32_t dev = one_in(10) ? rnd(8) : rnd(NDEV);
		uint32_t pasid = one_in(8) ? rnd(4) : NIO_SMMU_NO_PASID;
		uint32_t inst = one_in(10) ? rnd(4) : 0;
		uint64_t iova;
		size_t len;

		if (one_in(3))
			iova = VA + rnd(16) * 4096 + rnd(4096);
		else if (one_in(2))
			iova = GPA_BASE + rnd(GPA_SIZE);
		else
			iova = rnd64();
		len = 1 + rnd(one_in(8) ? sizeof(b) : 256);
		if (rnd(2))
			r = nio_smmu_dma_write(ctl, inst, dev, pasid, iova, b,
					       len);
		else
			r = nio_smmu_dma_read(ctl, inst, dev, pasid, iova, b,
					      len);
		snprintf(what, sizeof(what), "DMA dev %u iova 0x%" PRIx64 " len %zu",
			 dev, iova, len);
		account(op, r, what);
		return;
	}
	case 22: { /* dumps */
		struct nio_smmu_tlb_entry *e = NULL;
		struct nio_smmu_device *dv = NULL, one;
		struct nio_smmu_instance *in = NULL;
		size_t n;

		switch (rnd(4)) {
		case 0:
			d = one_in(8) ? rnd(4) : 0;
			r = nio_smmu_tlb(ctl, d, &e, &n);
			free(e);
			break;
		case 1:
			r = nio_smmu_devices(ctl, &dv, &n);
			free(dv);
			break;
		case 2:
			r = nio_smmu_instances(ctl, &in, &n);
			free(in);
			break;
		default:
			d = rnd(3);
			r = nio_smmu_device_get(ctl, d, rnd(6), &one);
			break;
		}
		account(op, r, "netlink dump");
		return;
	}
	case 23: { /* msi: set a vector (to the MSI page or elsewhere), fire */
		static int efd = -1;
		uint32_t dev = rnd(NDEV), vec = rnd(NIO_SMMU_MSI_VECTORS + 1);

		if (efd < 0)
			efd = eventfd(0, EFD_NONBLOCK);
		if (rnd(2)) {
			uint64_t addr = one_in(2) ? VA + 15 * 4096 : rnd64();
			int fd = one_in(4) ? -1 : efd;

			r = nio_smmu_set_msi(ctl, 0, dev, vec, addr, fd, false);
		} else
			r = nio_smmu_msi_trigger(ctl, 0, dev, vec);
		account(op, r, "MSI");
		return;
	}
	case 24: { /* iova-ranges */
		struct iommu_ioas_iova_ranges ir = { .size = sizeof(ir) };
		struct iommu_iova_range rg[4];

		if (c < 0)
			return;
		ir.ioas_id = pick_id(c, K_IOAS);
		ir.num_iovas = one_in(4) ? rnd(8) : 4;
		ir.allowed_iovas = (uintptr_t)pick_ptr(rg);
		r = ioctl(ctxs[c].fd, IOMMU_IOAS_IOVA_RANGES, &ir);
		account(op, r, "IOMMU_IOAS_IOVA_RANGES");
		return;
	}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t seed = 0, max_ops = 0;
	double secs = 30, t0;
	struct nio_smmu_device *dv = NULL;
	bool have_seed = false;
	size_t n, i;
	uint64_t *g;
	int opt;

	while ((opt = getopt(argc, argv, "s:n:t:v")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); have_seed = true; break;
		case 'n': max_ops = strtoull(optarg, NULL, 0); break;
		case 't': secs = atof(optarg); break;
		case 'v': verbose = true; break;
		default:
			fprintf(stderr, "usage: nio_fuzz [-s SEED] [-n OPS] [-t SECONDS] [-v]\n");
			return 2;
		}
	}
	if (!have_seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	rng = seed;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# nio_fuzz: seed %" PRIu64 " (0x%" PRIx64 "), at most %" PRIu64
	       " operations, %.0f s\n", seed, seed, max_ops, secs);

	gram = mmap(NULL, GPA_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	junk = mmap(NULL, 32 * 4096, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	noaccess = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (gram == MAP_FAILED || junk == MAP_FAILED || noaccess == MAP_FAILED)
		nt_die("mmap");
	if (nio_smmu_open(&ctl))
		nt_die("nio_smmu_open (nestiommu.ko loaded?)");
	/* guest RAM as nio_stress lays it out: CD 0 (ASID 5), four levels
	 * of stage-1 tables, 15 data pages at VA, page 15 -> MSI window */
	memset(gram, 0, GPA_SIZE);
	g = (uint64_t *)gram;
	g[0] = 16 | (1ULL << 30) | (1ULL << 31) | (5ULL << 32) |
	       (1ULL << 41) | (5ULL << 48);
	g[1] = GPA_BASE + 0x1000;
	g[0x1000 / 8] = (GPA_BASE + 0x2000) | 3;
	g[0x2000 / 8] = (GPA_BASE + 0x3000) | 3;
	g[0x3000 / 8 + 0x80] = (GPA_BASE + 0x4000) | 3;
	for (i = 0; i < 15; i++)
		g[0x4000 / 8 + i] = (GPA_BASE + DATA_OFF + i * 4096) | 3 |
				    (1 << 10) | (1 << 6);
	g[0x4000 / 8 + 15] = 0x8000000 | 3 | (1 << 10) | (1 << 6);
	for (i = 0; i < NCTX; i++)
		ctxs[i].fd = -1;
	for (i = 0; i < NDEV; i++)
		devs[i] = (struct dev){ .fd = -1, .ctx = -1 };

	t0 = now();
	while ((!max_ops || nops < max_ops) &&
	       ((nops & 63) || now() - t0 < secs)) {
		op_once();
		nops++;
	}

	/* close everything: every endpoint must be left with nothing
	 * attached and no vSID */
	for (i = 0; i < NDEV; i++)
		dev_close(i);
	for (i = 0; i < NCTX; i++)
		if (ctxs[i].fd >= 0)
			ctx_close(i);
	printf("# per operation, picked/succeeded:");
	for (i = 0; i < NOPS; i++)
		printf(" %s %lu/%lu", op_name[i], per_op[i], per_op_ok[i]);
	printf("\n");
	printf("# %lu operations ran in %.1f s: %lu succeeded, %lu refused; seed %" PRIu64 "\n",
	       nops, now() - t0, nok, nerr, seed);
	NT_CHECK(bad == 0, "no ioctl or netlink result outside the uAPI's (%lu)",
		 bad);
	NT_CHECK(nok > (nok + nerr) / 20,
		 "enough calls succeeded to reach deep state (%lu of %lu)",
		 nok, nok + nerr);
	NT_CHECK(!nio_smmu_devices(ctl, &dv, &n) && n >= NDEV,
		 "netlink device dump after closing everything");
	for (i = 0; dv && i < n; i++) {
		if (dv[i].domain != NIO_SMMU_DOMAIN_BLOCKED || dv[i].has_vsid)
			NT_CHECK(false, "endpoint %u.%u still attached (domain %d, vsid %d)",
				 dv[i].instance, dv[i].index, dv[i].domain,
				 dv[i].has_vsid);
	}
	free(dv);
	nio_smmu_close(ctl);
	printf("# operations ran: %lu, seed %" PRIu64 "; repeat with: nio_fuzz -s %" PRIu64 " -n %lu\n",
	       nops, seed, seed, nops);
	return nt_done();
}
