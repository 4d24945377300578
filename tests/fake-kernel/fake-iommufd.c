// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fake-kernel: the model of iommufd and of VFIO device cdevs.
 *
 * Every rule here cites the kernel behaviour it imitates (Linux 7.3,
 * drivers/iommu/iommufd/ and drivers/vfio/); the reference notes are in
 * shared/reference/iommufd-uapi.md, sections 1 and 2.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uapi.h"
#include "fake-internal.h"

#define FK_PAGE 4096ULL
#define FK_MSI_START 0x8000000ULL
#define FK_MSI_LAST (0x8000000ULL + 0x100000ULL - 1)
#define FK_APERTURE_LAST ((1ULL << 48) - 1)
#define FK_MAX_DEVS 16
#define FK_MAX_PASIDS 8
#define FK_NO_PASID UINT32_MAX

/* enum iommufd_vfio_ioas_op (not in lib/uapi.h) */
#define FK_VFIO_IOAS_GET 0
#define FK_VFIO_IOAS_SET 1
#define FK_VFIO_IOAS_CLEAR 2

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define END_OF(type, member) \
	(offsetof(struct type, member) + sizeof(((struct type *)0)->member))

struct fk_map {
	uint64_t iova;
	uint64_t length;
	uint64_t uva; /* user VA, or file offset */
	uint32_t flags;
	bool file;
	unsigned int pins;
};

struct fk_range {
	uint64_t start;
	uint64_t last;
};

struct fk_rec {
	struct fk_rec *next;
	bool lost; /* the LOST_EVENTS header */
	bool delivered;
	uint32_t flags;
	uint32_t seq; /* vEVENTQ sequence, or fault cookie */
	uint32_t len;
	uint8_t data[];
};

struct fk_obj {
	uint32_t id;
	enum fk_obj_type type;
	struct fk_ctx *ctx;
	/* References held by other objects and by descriptors. */
	unsigned int users;
	/*
	 * IOAS of a paging HWPT, parent of a nested HWPT, nest parent of a
	 * vIOMMU, vIOMMU of a vDEVICE/vEVENTQ/HW queue, HWPT a device is
	 * attached to.
	 */
	struct fk_obj *parent;
	/* Device it was created for (HWPT, vIOMMU, vDEVICE). */
	struct fk_obj *dev;
	/* HWPT alloc flags; vIOMMU, vEVENTQ, HW queue type. */
	uint32_t flags;
	uint32_t inst; /* physical IOMMU instance */

	/* IOAS */
	struct fk_map *maps;
	unsigned int nr_maps;
	struct fk_range *allowed;
	unsigned int nr_allowed;
	uint64_t huge_pages;

	/* HWPT */
	bool auto_domain;
	bool nest_parent;
	bool dirty_enabled;
	uint64_t *dirty;
	unsigned int nr_dirty;
	struct fk_obj *fault;
	uint32_t data_type;
	uint64_t ste[2];

	/* DEVICE */
	unsigned int dev_index;
	struct fk_file *vfio;
	struct fk_obj *vdevice;
	struct {
		uint32_t pasid;
		struct fk_obj *hwpt;
	} pasids[FK_MAX_PASIDS];

	/* VDEVICE, HW queue index */
	uint64_t virt_id;

	/* VEVENTQ, FAULT */
	struct fk_file *file;
	uint32_t depth;
	uint32_t num_events;
	uint32_t sequence;
	bool lost_queued;
	struct fk_rec *head;
	struct fk_rec **tail;
	uint32_t next_cookie;
	struct {
		uint32_t cookie;
		uint32_t code;
	} *resp;
	unsigned int nr_resp;

	/* HW queue */
	uint64_t iova;
	uint64_t length;
};

struct fk_ctx {
	struct fk_ctx *next;
	unsigned int refs;
	struct fk_obj **objs; /* indexed by ID; TOMBSTONE for a dead vDEVICE */
	uint32_t nr_objs;
	uint64_t rlimit_mode;
	uint32_t vfio_ioas;
};

static char tombstone_marker;
#define TOMBSTONE ((struct fk_obj *)(void *)&tombstone_marker)

static struct fk_ctx *contexts;

static struct {
	bool present;
	struct fk_device_cfg cfg;
	struct fk_obj *bound; /* DEVICE object while bound */
} devices[FK_MAX_DEVS];

/* Scripts */
#define FK_MAX_SCRIPTS 64
static unsigned long missing[FK_MAX_SCRIPTS];
static unsigned int nr_missing;
static struct {
	unsigned long request;
	unsigned int nth;
	int err;
} fails[FK_MAX_SCRIPTS];
static unsigned int nr_fails;
static struct {
	unsigned long request;
	uint32_t size;
} kernel_sizes[FK_MAX_SCRIPTS];
static unsigned int nr_kernel_sizes;
static int open_iommu_err;
static unsigned int inval_fail_at;
static int inval_fail_err;
static unsigned int inval_batch;
static uint8_t viommu_data_out[256];
static uint32_t viommu_data_out_len;
static bool unprivileged;

/* ------------------------------------------------------------------ */
/* Contexts and objects                                                */

static bool id_live(struct fk_ctx *ctx, uint32_t id)
{
	return id && id < ctx->nr_objs && ctx->objs[id] &&
	       ctx->objs[id] != TOMBSTONE;
}

/* iommufd_get_object(): wrong type or missing -> NULL (ENOENT). */
static struct fk_obj *obj_get(struct fk_ctx *ctx, uint32_t id,
			      enum fk_obj_type type)
{
	struct fk_obj *o;

	if (!id_live(ctx, id))
		return NULL;
	o = ctx->objs[id];
	if (type != FK_OBJ_NONE && o->type != type)
		return NULL;
	return o;
}

/* xa_alloc with XA_FLAGS_ALLOC1: the lowest free ID, from 1. */
static struct fk_obj *obj_new(struct fk_ctx *ctx, enum fk_obj_type type)
{
	struct fk_obj *o;
	uint32_t id;

	for (id = 1; id < ctx->nr_objs; id++)
		if (!ctx->objs[id])
			break;
	if (id >= ctx->nr_objs) {
		uint32_t n = ctx->nr_objs ? ctx->nr_objs * 2 : 16;
		struct fk_obj **t = realloc(ctx->objs, n * sizeof(*t));

		if (!t)
			abort();
		memset(t + ctx->nr_objs, 0, (n - ctx->nr_objs) * sizeof(*t));
		ctx->objs = t;
		ctx->nr_objs = n;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		abort();
	o->id = id;
	o->type = type;
	o->ctx = ctx;
	o->tail = &o->head;
	ctx->objs[id] = o;
	return o;
}

static void free_records(struct fk_obj *o)
{
	struct fk_rec *r, *n;

	for (r = o->head; r; r = n) {
		n = r->next;
		free(r);
	}
	o->head = NULL;
	o->tail = &o->head;
}

static void obj_free(struct fk_obj *o, bool tombstone);

static void unref(struct fk_obj *o)
{
	if (!o)
		return;
	o->users--;
	/* An automatic domain dies with its last attachment. */
	if (o->type == FK_OBJ_HWPT_PAGING && o->auto_domain && !o->users)
		obj_free(o, false);
}

static struct fk_map *ioas_find_map(struct fk_obj *ioas, uint64_t iova,
				    uint64_t last, unsigned int *idx);

/* Drop what o references and free it. */
static void obj_free(struct fk_obj *o, bool tombstone)
{
	struct fk_ctx *ctx = o->ctx;
	unsigned int i;

	switch (o->type) {
	case FK_OBJ_HWPT_PAGING:
	case FK_OBJ_HWPT_NESTED:
	case FK_OBJ_VIOMMU:
	case FK_OBJ_VEVENTQ:
		unref(o->parent);
		unref(o->fault);
		break;
	case FK_OBJ_VDEVICE:
		unref(o->parent);
		if (o->dev)
			o->dev->vdevice = NULL;
		break;
	case FK_OBJ_HW_QUEUE:
		if (o->parent && o->parent->parent &&
		    o->parent->parent->parent) {
			struct fk_obj *ioas = o->parent->parent->parent;

			for (i = 0; i < ioas->nr_maps; i++) {
				struct fk_map *m = &ioas->maps[i];

				if (m->iova <= o->iova + o->length - 1 &&
				    o->iova <= m->iova + m->length - 1)
					m->pins--;
			}
		}
		unref(o->parent);
		break;
	default:
		break;
	}
	if (o->file)
		o->file->obj = NULL;
	free_records(o);
	free(o->maps);
	free(o->allowed);
	free(o->dirty);
	free(o->resp);
	ctx->objs[o->id] = tombstone ? TOMBSTONE : NULL;
	if (ctx->vfio_ioas == o->id)
		ctx->vfio_ioas = 0;
	free(o);
}

static struct fk_ctx *ctx_new(void)
{
	struct fk_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		abort();
	ctx->next = contexts;
	contexts = ctx;
	return ctx;
}

/* iommufd_fops_release(): everything goes, whatever the references. */
static void ctx_put(struct fk_ctx *ctx)
{
	struct fk_ctx **pp;
	uint32_t id;

	if (--ctx->refs)
		return;
	for (id = 1; id < ctx->nr_objs; id++) {
		struct fk_obj *o = ctx->objs[id];

		if (!o || o == TOMBSTONE)
			continue;
		if (o->file)
			o->file->obj = NULL;
		free_records(o);
		free(o->maps);
		free(o->allowed);
		free(o->dirty);
		free(o->resp);
		free(o);
	}
	for (pp = &contexts; *pp; pp = &(*pp)->next) {
		if (*pp == ctx) {
			*pp = ctx->next;
			break;
		}
	}
	free(ctx->objs);
	free(ctx);
}

static struct fk_ctx *ctx_of_fd(int fd)
{
	struct fk_file *f = fk_fd_file(fd);

	if (!f || f->kind != FK_FILE_IOMMUFD)
		return NULL;
	return f->ctx;
}

/* ------------------------------------------------------------------ */
/* IOAS                                                                */

/* The paging HWPT under a HWPT: itself, or a nested HWPT's parent. */
static struct fk_obj *paging_of(struct fk_obj *hwpt)
{
	if (!hwpt)
		return NULL;
	if (hwpt->type == FK_OBJ_HWPT_PAGING)
		return hwpt;
	if (hwpt->type == FK_OBJ_HWPT_NESTED && hwpt->parent) {
		if (hwpt->parent->type == FK_OBJ_HWPT_PAGING)
			return hwpt->parent;
		if (hwpt->parent->type == FK_OBJ_VIOMMU)
			return hwpt->parent->parent;
	}
	return NULL;
}

static bool attached_through(struct fk_obj *hwpt, const struct fk_obj *ioas)
{
	struct fk_obj *p = paging_of(hwpt);

	return p && p->parent == ioas;
}

/*
 * The restrictions on an IOAS now: a domain's aperture while a paging
 * HWPT is on it (iopt_table_add_domain), the devices' reserved regions
 * (the SMMUv3 SW_MSI window) while a device is attached through it
 * (iopt_table_enforce_dev_resv_regions); both go away with them.
 */
static void ioas_limits(const struct fk_obj *ioas, bool *aperture, bool *msi)
{
	struct fk_ctx *ctx = ioas->ctx;
	unsigned int i;
	uint32_t id;

	*aperture = *msi = false;
	for (id = 1; id < ctx->nr_objs; id++) {
		struct fk_obj *o = ctx->objs[id];

		if (!o || o == TOMBSTONE)
			continue;
		if (o->type == FK_OBJ_HWPT_PAGING && o->parent == ioas)
			*aperture = true;
		if (o->type != FK_OBJ_DEVICE)
			continue;
		if (attached_through(o->parent, ioas))
			*msi = true;
		for (i = 0; i < FK_MAX_PASIDS; i++)
			if (attached_through(o->pasids[i].hwpt, ioas))
				*msi = true;
	}
}

static unsigned int ranges_for(bool aperture, bool msi, struct fk_range *out)
{
	uint64_t end = aperture ? FK_APERTURE_LAST : UINT64_MAX;

	if (!msi) {
		out[0].start = 0;
		out[0].last = end;
		return 1;
	}
	out[0].start = 0;
	out[0].last = FK_MSI_START - 1;
	out[1].start = FK_MSI_LAST + 1;
	out[1].last = end;
	return 2;
}

static unsigned int ioas_ranges(const struct fk_obj *ioas,
				struct fk_range *out)
{
	bool aperture, msi;

	ioas_limits(ioas, &aperture, &msi);
	return ranges_for(aperture, msi, out);
}

/* Whether [start, last] stays clear of the restrictions given. */
static bool clear_of(bool aperture, bool msi, uint64_t start, uint64_t last)
{
	if (aperture && last > FK_APERTURE_LAST)
		return false;
	if (msi && start <= FK_MSI_LAST && FK_MSI_START <= last)
		return false;
	return true;
}

static bool in_usable(const struct fk_obj *ioas, uint64_t iova, uint64_t last)
{
	struct fk_range r[2];
	unsigned int i, n = ioas_ranges(ioas, r);

	for (i = 0; i < n; i++)
		if (iova >= r[i].start && last <= r[i].last)
			return true;
	return false;
}

/* First mapping intersecting [iova, last], in IOVA order. */
static struct fk_map *ioas_find_map(struct fk_obj *ioas, uint64_t iova,
				    uint64_t last, unsigned int *idx)
{
	unsigned int i;

	for (i = 0; i < ioas->nr_maps; i++) {
		struct fk_map *m = &ioas->maps[i];

		if (m->iova <= last && iova <= m->iova + m->length - 1) {
			if (idx)
				*idx = i;
			return m;
		}
	}
	return NULL;
}

/* Whether [start, last] is mapped without holes; *first its first map. */
static bool ioas_covered(struct fk_obj *ioas, uint64_t start, uint64_t last,
			 struct fk_map **first)
{
	uint64_t cur = start;
	unsigned int i;

	*first = NULL;
	for (i = 0; i < ioas->nr_maps; i++) {
		struct fk_map *m = &ioas->maps[i];
		uint64_t mlast = m->iova + m->length - 1;

		if (mlast < cur)
			continue;
		if (m->iova > cur)
			return false;
		if (!*first)
			*first = m;
		if (mlast >= last)
			return true;
		cur = mlast + 1;
	}
	return false;
}

/* Lowest free IOVA of length bytes inside [start, last]. */
static bool alloc_in(struct fk_obj *ioas, uint64_t start, uint64_t last,
		     uint64_t length, uint64_t *iova)
{
	uint64_t cur = (start + FK_PAGE - 1) & ~(FK_PAGE - 1);
	unsigned int i;

	if (cur < start)
		return false;
	for (i = 0; i <= ioas->nr_maps; i++) {
		uint64_t gap_last = last;

		if (i < ioas->nr_maps) {
			struct fk_map *m = &ioas->maps[i];

			if (m->iova + m->length - 1 < cur)
				continue;
			if (m->iova > 0 && m->iova - 1 < gap_last)
				gap_last = m->iova - 1;
			if (m->iova <= cur) {
				cur = m->iova + m->length;
				continue;
			}
		}
		if (cur <= gap_last && gap_last - cur >= length - 1) {
			*iova = cur;
			return true;
		}
		if (i < ioas->nr_maps) {
			struct fk_map *m = &ioas->maps[i];

			cur = m->iova + m->length;
			if (cur == 0 || cur > last)
				return false;
		}
	}
	return false;
}

static long ioas_alloc_iova(struct fk_obj *ioas, uint64_t length,
			    uint64_t *iova)
{
	struct fk_range r[2];
	unsigned int i, n = ioas_ranges(ioas, r);

	/* iopt_alloc_iova(): allowed ranges first, when there are some. */
	for (i = 0; i < n; i++) {
		if (ioas->nr_allowed) {
			unsigned int j;

			for (j = 0; j < ioas->nr_allowed; j++) {
				uint64_t s = ioas->allowed[j].start;
				uint64_t l = ioas->allowed[j].last;

				if (s < r[i].start)
					s = r[i].start;
				if (l > r[i].last)
					l = r[i].last;
				if (s <= l && alloc_in(ioas, s, l, length, iova))
					return 0;
			}
		} else if (alloc_in(ioas, r[i].start, r[i].last, length,
				    iova)) {
			return 0;
		}
	}
	return -ENOSPC;
}

static long ioas_map_at(struct fk_obj *ioas, uint64_t *iova, uint64_t length,
			uint64_t uva, uint32_t flags, bool file)
{
	struct fk_map *m;
	unsigned int i;
	uint64_t last;
	long rc;

	/* iopt_map_pages()/iopt_check_iova()/iopt_insert_area() */
	if (!length)
		return -EINVAL;
	if ((uva & (FK_PAGE - 1)) || (length & (FK_PAGE - 1)))
		return -EINVAL;
	if (flags & IOMMU_IOAS_MAP_FIXED_IOVA) {
		if (*iova & (FK_PAGE - 1))
			return -EINVAL;
		if (__builtin_add_overflow(*iova, length - 1, &last))
			return -EOVERFLOW;
		if (!in_usable(ioas, *iova, last))
			return -EINVAL;
		if (ioas_find_map(ioas, *iova, last, NULL))
			return -EEXIST;
	} else {
		rc = ioas_alloc_iova(ioas, length, iova);
		if (rc)
			return rc;
	}
	m = realloc(ioas->maps, (ioas->nr_maps + 1) * sizeof(*m));
	if (!m)
		abort();
	ioas->maps = m;
	for (i = 0; i < ioas->nr_maps; i++)
		if (m[i].iova > *iova)
			break;
	memmove(&m[i + 1], &m[i], (ioas->nr_maps - i) * sizeof(*m));
	m[i] = (struct fk_map){ .iova = *iova, .length = length, .uva = uva,
				.flags = flags & ~IOMMU_IOAS_MAP_FIXED_IOVA,
				.file = file };
	ioas->nr_maps++;
	return 0;
}

/* iopt_unmap_iova_range() */
static long ioas_unmap_range(struct fk_obj *ioas, uint64_t start,
			     uint64_t last, uint64_t *unmapped)
{
	unsigned int idx;
	struct fk_map *m;
	long rc = -ENOENT;

	*unmapped = 0;
	while ((m = ioas_find_map(ioas, start, last, &idx))) {
		if (m->iova < start || m->iova + m->length - 1 > last)
			return -ENOENT;
		if (m->pins)
			return -EBUSY;
		*unmapped += m->length;
		memmove(m, m + 1, (ioas->nr_maps - idx - 1) * sizeof(*m));
		ioas->nr_maps--;
		rc = 0;
	}
	return rc;
}

/*
 * Before a domain goes on an IOAS (aperture) or a device is attached
 * through it (reserved regions): existing mappings and allowed ranges must
 * be clear of the new restrictions, else EADDRINUSE.
 */
static long ioas_restrict(struct fk_obj *ioas, bool aperture, bool msi)
{
	unsigned int i;

	for (i = 0; i < ioas->nr_maps; i++) {
		struct fk_map *m = &ioas->maps[i];

		if (!clear_of(aperture, msi, m->iova, m->iova + m->length - 1))
			return -EADDRINUSE;
	}
	for (i = 0; i < ioas->nr_allowed; i++) {
		struct fk_range *r = &ioas->allowed[i];

		if (!clear_of(aperture, msi, r->start, r->last))
			return -EADDRINUSE;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* iommufd ioctls                                                      */

struct io {
	struct fk_ctx *ctx;
	struct fk_call *call;
	bool respond; /* copy the struct back even on error */
};

static long op_destroy(struct io *io, void *p)
{
	struct iommu_destroy *cmd = p;
	struct fk_obj *o = obj_get(io->ctx, cmd->id, FK_OBJ_NONE);

	if (!o)
		return -ENOENT;
	/*
	 * iommufd_object_remove(): refcount_dec_if_one(users).  A bound
	 * device holds its own reference (VFIO must unbind); an auto domain
	 * is held by its devices.
	 */
	if (o->users || o->type == FK_OBJ_DEVICE)
		return -EBUSY;
	obj_free(o, false);
	return 0;
}

static long op_ioas_alloc(struct io *io, void *p)
{
	struct iommu_ioas_alloc *cmd = p;
	struct fk_obj *o;

	if (cmd->flags)
		return -EOPNOTSUPP;
	o = obj_new(io->ctx, FK_OBJ_IOAS);
	o->huge_pages = 1;
	cmd->out_ioas_id = o->id;
	return 0;
}

static long op_ioas_allow_iovas(struct io *io, void *p)
{
	struct iommu_ioas_allow_iovas *cmd = p;
	const struct iommu_iova_range *r =
		(const void *)(uintptr_t)cmd->allowed_iovas;
	struct fk_obj *ioas;
	struct fk_range *n = NULL;
	unsigned int i, j;
	bool aperture, msi;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = obj_get(io->ctx, cmd->ioas_id, FK_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	ioas_limits(ioas, &aperture, &msi);
	if (cmd->num_iovas && !r)
		return -EFAULT;
	if (cmd->num_iovas > 65536)
		return -EINVAL;
	fk_log_aux(io->call, r, (size_t)cmd->num_iovas * sizeof(*r));
	if (cmd->num_iovas) {
		n = calloc(cmd->num_iovas, sizeof(*n));
		if (!n)
			abort();
	}
	for (i = 0; i < cmd->num_iovas; i++) {
		if (r[i].start > r[i].last)
			goto einval;
		/* Overlapping allowed ranges -> EINVAL */
		for (j = 0; j < i; j++)
			if (n[j].start <= r[i].last && r[i].start <= n[j].last)
				goto einval;
		/* A reserved IOVA inside an allowed range -> EADDRINUSE */
		if (!clear_of(aperture, msi, r[i].start, r[i].last)) {
			free(n);
			return -EADDRINUSE;
		}
		n[i].start = r[i].start;
		n[i].last = r[i].last;
	}
	free(ioas->allowed);
	ioas->allowed = n;
	ioas->nr_allowed = cmd->num_iovas;
	return 0;
einval:
	free(n);
	return -EINVAL;
}

static long op_ioas_copy(struct io *io, void *p)
{
	struct iommu_ioas_copy *cmd = p;
	struct fk_obj *src, *dst;
	struct fk_map *first;
	uint64_t last, uva;
	bool file;

	if (cmd->flags & ~(IOMMU_IOAS_MAP_FIXED_IOVA |
			   IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE))
		return -EOPNOTSUPP;
	if (cmd->length >= ULONG_MAX || cmd->src_iova >= ULONG_MAX ||
	    cmd->dst_iova >= ULONG_MAX)
		return -EOVERFLOW;
	src = obj_get(io->ctx, cmd->src_ioas_id, FK_OBJ_IOAS);
	if (!src)
		return -ENOENT;
	if (!cmd->length)
		return -EINVAL;
	if (__builtin_add_overflow(cmd->src_iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	/* iopt_get_pages(): the source must be contiguously mapped. */
	if (!ioas_covered(src, cmd->src_iova, last, &first))
		return -ENOENT;
	uva = first->uva + (cmd->src_iova - first->iova);
	file = first->file;
	dst = obj_get(io->ctx, cmd->dst_ioas_id, FK_OBJ_IOAS);
	if (!dst)
		return -ENOENT;
	return ioas_map_at(dst, (uint64_t *)&cmd->dst_iova, cmd->length, uva,
			   cmd->flags, file);
}

static long op_ioas_iova_ranges(struct io *io, void *p)
{
	struct iommu_ioas_iova_ranges *cmd = p;
	struct iommu_iova_range *out = (void *)(uintptr_t)cmd->allowed_iovas;
	struct fk_obj *ioas;
	struct fk_range r[2];
	uint32_t max = cmd->num_iovas;
	unsigned int i, n;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = obj_get(io->ctx, cmd->ioas_id, FK_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	n = ioas_ranges(ioas, r);
	if (max && !out)
		return -EFAULT;
	for (i = 0; i < n && i < max; i++) {
		out[i].start = r[i].start;
		out[i].last = r[i].last;
	}
	cmd->num_iovas = n;
	cmd->out_iova_alignment = FK_PAGE;
	/* The count is written back, then EMSGSIZE. */
	if (n > max) {
		io->respond = true;
		return -EMSGSIZE;
	}
	return 0;
}

static long op_ioas_map(struct io *io, void *p)
{
	struct iommu_ioas_map *cmd = p;
	struct fk_obj *ioas;

	if ((cmd->flags & ~(IOMMU_IOAS_MAP_FIXED_IOVA |
			    IOMMU_IOAS_MAP_WRITEABLE |
			    IOMMU_IOAS_MAP_READABLE)) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->iova >= ULONG_MAX || cmd->length >= ULONG_MAX)
		return -EOVERFLOW;
	ioas = obj_get(io->ctx, cmd->ioas_id, FK_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	if (!cmd->user_va)
		return -EFAULT;
	return ioas_map_at(ioas, (uint64_t *)&cmd->iova, cmd->length,
			   cmd->user_va, cmd->flags, false);
}

static long op_ioas_map_file(struct io *io, void *p)
{
	struct iommu_ioas_map_file *cmd = p;
	struct fk_obj *ioas;

	if (cmd->flags & ~(IOMMU_IOAS_MAP_FIXED_IOVA |
			   IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE))
		return -EOPNOTSUPP;
	if (cmd->iova >= ULONG_MAX || cmd->length >= ULONG_MAX)
		return -EOVERFLOW;
	ioas = obj_get(io->ctx, cmd->ioas_id, FK_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	if (cmd->fd < 0 || fk_real.fcntl(cmd->fd, F_GETFD) < 0)
		return -EBADF;
	return ioas_map_at(ioas, (uint64_t *)&cmd->iova, cmd->length,
			   cmd->start, cmd->flags, true);
}

static long op_ioas_unmap(struct io *io, void *p)
{
	struct iommu_ioas_unmap *cmd = p;
	struct fk_obj *ioas;
	uint64_t unmapped = 0, last;
	long rc;

	ioas = obj_get(io->ctx, cmd->ioas_id, FK_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
		/* iopt_unmap_all(): nothing mapped is fine */
		rc = ioas_unmap_range(ioas, 0, UINT64_MAX, &unmapped);
		if (rc == -ENOENT)
			rc = 0;
	} else {
		if (cmd->iova >= ULONG_MAX || cmd->length >= ULONG_MAX)
			return -EOVERFLOW;
		if (!cmd->length)
			return -EINVAL;
		if (__builtin_add_overflow(cmd->iova, cmd->length - 1, &last))
			return -EOVERFLOW;
		rc = ioas_unmap_range(ioas, cmd->iova, last, &unmapped);
	}
	if (rc)
		return rc;
	cmd->length = unmapped;
	return 0;
}

static long op_option(struct io *io, void *p)
{
	struct iommu_option *cmd = p;
	struct fk_obj *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->op != IOMMU_OPTION_OP_SET && cmd->op != IOMMU_OPTION_OP_GET)
		return -EOPNOTSUPP;
	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		if (cmd->object_id)
			return -EINVAL;
		if (cmd->op == IOMMU_OPTION_OP_GET) {
			cmd->val64 = io->ctx->rlimit_mode;
			return 0;
		}
		if (unprivileged)
			return -EPERM;
		if (cmd->val64 > 1)
			return -EINVAL;
		io->ctx->rlimit_mode = cmd->val64;
		return 0;
	case IOMMU_OPTION_HUGE_PAGES:
		ioas = obj_get(io->ctx, cmd->object_id, FK_OBJ_IOAS);
		if (!ioas)
			return -ENOENT;
		if (cmd->op == IOMMU_OPTION_OP_GET) {
			cmd->val64 = ioas->huge_pages;
			return 0;
		}
		if (cmd->val64 > 1)
			return -EINVAL;
		ioas->huge_pages = cmd->val64;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static long op_vfio_ioas(struct io *io, void *p)
{
	struct iommu_vfio_ioas *cmd = p;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->op) {
	case FK_VFIO_IOAS_GET:
		if (!obj_get(io->ctx, io->ctx->vfio_ioas, FK_OBJ_IOAS))
			return -ENODEV;
		cmd->ioas_id = io->ctx->vfio_ioas;
		return 0;
	case FK_VFIO_IOAS_SET:
		if (!obj_get(io->ctx, cmd->ioas_id, FK_OBJ_IOAS))
			return -ENOENT;
		io->ctx->vfio_ioas = cmd->ioas_id;
		return 0;
	case FK_VFIO_IOAS_CLEAR:
		io->ctx->vfio_ioas = 0;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static const struct fk_device_cfg *dev_cfg(const struct fk_obj *dev)
{
	return &devices[dev->dev_index].cfg;
}

/* arm_smmu_validate_vste() */
static long smmuv3_validate_vste(const uint64_t ste[2])
{
	const uint64_t allowed0 = 0x1ULL | (0x7ULL << 1) | (0x3ULL << 4) |
				  (((1ULL << 46) - 1) << 6) | (0x1fULL << 59);
	const uint64_t allowed1 = 0x3ULL | (0x3ULL << 2) | (0x3ULL << 4) |
				  (0x3ULL << 6) | (1ULL << 27) | (0x3ULL << 28);
	uint64_t cfg, eats;

	if (!(ste[0] & 1))
		return 0;
	if ((ste[0] & ~allowed0) || (ste[1] & ~allowed1))
		return -EIO;
	cfg = (ste[0] >> 1) & 7;
	if (cfg != 0 && cfg != 4 && cfg != 5)
		return -EIO;
	eats = (ste[1] >> 28) & 3;
	if (eats != 0 && eats != 1)
		return -EIO;
	return 0;
}

static long op_hwpt_alloc(struct io *io, void *p)
{
	struct iommu_hwpt_alloc *cmd = p;
	const void *data = (const void *)(uintptr_t)cmd->data_uptr;
	struct fk_obj *dev, *pt, *fault = NULL, *o;
	const struct fk_device_cfg *cfg;
	long rc;

	if (cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;
	if (cmd->data_len && !data)
		return -EFAULT;
	fk_log_aux(io->call, data, cmd->data_len);
	dev = obj_get(io->ctx, cmd->dev_id, FK_OBJ_DEVICE);
	if (!dev)
		return -ENOENT;
	cfg = dev_cfg(dev);
	pt = obj_get(io->ctx, cmd->pt_id, FK_OBJ_NONE);
	if (!pt)
		return -ENOENT;
	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		fault = obj_get(io->ctx, cmd->fault_id, FK_OBJ_FAULT);
		if (!fault)
			return -ENOENT;
	}

	switch (pt->type) {
	case FK_OBJ_IOAS:
		/* iommufd_hwpt_paging_alloc() */
		if (cmd->flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT |
				   IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				   IOMMU_HWPT_FAULT_ID_VALID |
				   IOMMU_HWPT_ALLOC_PASID))
			return -EOPNOTSUPP;
		if ((cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) &&
		    (cmd->flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
			return -EOPNOTSUPP;
		if (cmd->data_type != IOMMU_HWPT_DATA_NONE)
			return -EOPNOTSUPP;
		if ((cmd->flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
		    !cfg->dirty_tracking)
			return -EOPNOTSUPP;
		rc = ioas_restrict(pt, true, false);
		if (rc)
			return rc;
		o = obj_new(io->ctx, FK_OBJ_HWPT_PAGING);
		o->nest_parent = cmd->flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
		break;
	case FK_OBJ_HWPT_PAGING:
		/* iommufd_hwpt_nested_alloc() */
		if (!pt->nest_parent || pt->auto_domain)
			return -EINVAL;
		if (cmd->flags & ~(IOMMU_HWPT_FAULT_ID_VALID |
				   IOMMU_HWPT_ALLOC_PASID))
			return -EOPNOTSUPP;
		if (!cfg->nested_on_parent || cmd->data_type == IOMMU_HWPT_DATA_NONE)
			return -EOPNOTSUPP;
		if (pt->inst != cfg->iommu_instance)
			return -EINVAL;
		if (cmd->data_type != cfg->nested_data_type)
			return -EINVAL;
		o = obj_new(io->ctx, FK_OBJ_HWPT_NESTED);
		break;
	case FK_OBJ_VIOMMU:
		/* iommufd_viommu_alloc_hwpt_nested() */
		if (cmd->flags & ~IOMMU_HWPT_FAULT_ID_VALID)
			return -EOPNOTSUPP;
		if (cmd->data_type == IOMMU_HWPT_DATA_NONE)
			return -EOPNOTSUPP;
		if (pt->inst != cfg->iommu_instance)
			return -EINVAL;
		if (cmd->data_type != cfg->nested_data_type)
			return -EINVAL;
		if (cmd->data_type == IOMMU_HWPT_DATA_ARM_SMMUV3) {
			uint64_t ste[2];

			if (cmd->data_len < sizeof(ste))
				return -EINVAL;
			memcpy(ste, data, sizeof(ste));
			rc = smmuv3_validate_vste(ste);
			if (rc)
				return rc;
			o = obj_new(io->ctx, FK_OBJ_HWPT_NESTED);
			memcpy(o->ste, ste, sizeof(ste));
		} else {
			o = obj_new(io->ctx, FK_OBJ_HWPT_NESTED);
		}
		break;
	default:
		return -EINVAL;
	}
	o->parent = pt;
	pt->users++;
	o->dev = dev;
	o->flags = cmd->flags;
	o->inst = cfg->iommu_instance;
	o->data_type = cmd->data_type;
	if (fault) {
		o->fault = fault;
		fault->users++;
	}
	cmd->out_hwpt_id = o->id;
	return 0;
}

static long op_get_hw_info(struct io *io, void *p)
{
	struct iommu_hw_info *cmd = p;
	uint8_t *buf = (void *)(uintptr_t)cmd->data_uptr;
	const struct fk_device_cfg *cfg;
	struct fk_obj *dev;
	uint32_t len;

	if ((cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE) ||
	    cmd->__reserved[0] || cmd->__reserved[1] || cmd->__reserved[2])
		return -EOPNOTSUPP;
	dev = obj_get(io->ctx, cmd->dev_id, FK_OBJ_DEVICE);
	if (!dev)
		return -ENOENT;
	cfg = dev_cfg(dev);
	if ((cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE) &&
	    cmd->in_data_type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    cmd->in_data_type != cfg->hw_info_type)
		return -EOPNOTSUPP;
	if (cmd->data_len && !buf)
		return -EFAULT;
	len = MIN(cmd->data_len, cfg->hw_info_len);
	if (len)
		memcpy(buf, cfg->hw_info, len);
	if (cmd->data_len > cfg->hw_info_len)
		memset(buf + cfg->hw_info_len, 0,
		       cmd->data_len - cfg->hw_info_len);
	cmd->data_len = cfg->hw_info_len;
	cmd->out_data_type = cfg->hw_info_type;
	cmd->out_max_pasid_log2 = cfg->max_pasid_log2;
	cmd->out_capabilities = cfg->capabilities;
	return 0;
}

static long op_set_dirty_tracking(struct io *io, void *p)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = p;
	struct fk_obj *hwpt;

	if ((cmd->flags & ~1u) || cmd->__reserved)
		return -EOPNOTSUPP;
	hwpt = obj_get(io->ctx, cmd->hwpt_id, FK_OBJ_HWPT_PAGING);
	if (!hwpt)
		return -ENOENT;
	if (!(hwpt->flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING))
		return -EOPNOTSUPP;
	hwpt->dirty_enabled = cmd->flags & 1;
	return 0;
}

static long op_get_dirty_bitmap(struct io *io, void *p)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = p;
	uint64_t *bitmap = (void *)(uintptr_t)cmd->data;
	struct fk_obj *hwpt;
	uint64_t last;
	unsigned int i;

	if ((cmd->flags & ~1u) || cmd->__reserved)
		return -EOPNOTSUPP;
	hwpt = obj_get(io->ctx, cmd->hwpt_id, FK_OBJ_HWPT_PAGING);
	if (!hwpt)
		return -ENOENT;
	if (!(hwpt->flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING))
		return -EOPNOTSUPP;
	/* iommufd_check_iova_range() */
	if (!cmd->length)
		return -EINVAL;
	if (__builtin_add_overflow(cmd->iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	if ((cmd->iova & (FK_PAGE - 1)) || ((last + 1) & (FK_PAGE - 1)))
		return -EINVAL;
	if (!cmd->page_size || (cmd->page_size & (cmd->page_size - 1)))
		return -EINVAL;
	if ((cmd->iova & (cmd->page_size - 1)) ||
	    ((last + 1) & (cmd->page_size - 1)))
		return -EINVAL;
	if (!bitmap)
		return -EFAULT;
	/* iova_bitmap_set(): bits are only ever set, never cleared */
	for (i = 0; i < hwpt->nr_dirty;) {
		uint64_t a = hwpt->dirty[i];

		if (a >= cmd->iova && a <= last) {
			uint64_t bit = (a - cmd->iova) / cmd->page_size;

			bitmap[bit / 64] |= 1ULL << (bit % 64);
			if (!(cmd->flags & 1)) {
				hwpt->dirty[i] = hwpt->dirty[--hwpt->nr_dirty];
				continue;
			}
		}
		i++;
	}
	return 0;
}

static bool smmuv3_cmd_ok(struct fk_obj *viommu, const uint64_t cmd[2])
{
	uint32_t vsid = (uint32_t)(cmd[0] >> 32);
	uint32_t id;

	switch (cmd[0] & 0xff) {
	case 0x10: /* TLBI_NH_ALL */
	case 0x11: /* TLBI_NH_ASID */
	case 0x12: /* TLBI_NH_VA */
	case 0x13: /* TLBI_NH_VAA */
	case 0x30: /* TLBI_NSNH_ALL */
		return true;
	case 0x40: /* ATC_INV */
	case 0x05: /* CFGI_CD */
	case 0x06: /* CFGI_CD_ALL */
		/* arm_vsmmu_vsid_to_sid(): unknown vSID -> EIO */
		for (id = 1; id < viommu->ctx->nr_objs; id++) {
			struct fk_obj *o = viommu->ctx->objs[id];

			if (o && o != TOMBSTONE && o->type == FK_OBJ_VDEVICE &&
			    o->parent == viommu && o->virt_id == vsid)
				return true;
		}
		return false;
	default:
		return false;
	}
}

static long op_hwpt_invalidate(struct io *io, void *p)
{
	struct iommu_hwpt_invalidate *cmd = p;
	const uint8_t *data = (const void *)(uintptr_t)cmd->data_uptr;
	uint32_t want_type, min_len, n, i, j, num = cmd->entry_num;
	struct fk_obj *o;

	/*
	 * iommufd_hwpt_invalidate() writes entry_num back whatever happens
	 * once it runs: 0 before the driver, the driver's count after.
	 */
	io->respond = true;
	cmd->entry_num = 0;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if (num && (!data || !cmd->entry_len))
		return -EINVAL;
	o = obj_get(io->ctx, cmd->hwpt_id, FK_OBJ_NONE);
	if (!o)
		return -ENOENT;
	if (o->type == FK_OBJ_VIOMMU) {
		if (o->flags == IOMMU_VIOMMU_TYPE_ARM_SMMUV3) {
			want_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
			min_len = 16;
		} else {
			want_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
			min_len = 4;
		}
	} else if (o->type == FK_OBJ_HWPT_NESTED) {
		/* SMMUv3 nested domains have no cache_invalidate_user */
		if (o->data_type == IOMMU_HWPT_DATA_ARM_SMMUV3)
			return -EOPNOTSUPP;
		if (o->data_type == IOMMU_HWPT_DATA_VTD_S1) {
			want_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
			min_len = 24;
		} else {
			want_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
			min_len = 4;
		}
	} else {
		return -EINVAL;
	}
	if (cmd->data_type != want_type)
		return -EINVAL;
	/* 7.3 SMMUv3: an empty array is EINVAL; others take it as a probe */
	if (!num) {
		if (want_type == IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3)
			return -EINVAL;
		return 0;
	}
	/* iommu_copy_struct_from_full_user_array() */
	if (cmd->entry_len < min_len)
		return -EINVAL;
	if ((uint64_t)cmd->entry_len * num > (1u << 24))
		return -EINVAL;
	fk_log_aux(io->call, data, (size_t)cmd->entry_len * num);
	for (i = 0; i < num; i++)
		for (j = min_len; j < cmd->entry_len; j++)
			if (data[(size_t)i * cmd->entry_len + j])
				return -E2BIG;

	n = num;
	if (inval_batch && n > inval_batch)
		n = inval_batch;
	for (i = 0; i < n; i++) {
		const uint8_t *e = data + (size_t)i * cmd->entry_len;
		int err = 0;

		if (inval_fail_err && inval_fail_at == i) {
			err = inval_fail_err;
			inval_fail_err = 0;
		} else if (want_type == IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3) {
			uint64_t c[2];

			memcpy(c, e, sizeof(c));
			if (!smmuv3_cmd_ok(o, c))
				err = EIO;
		}
		if (err) {
			cmd->entry_num = i;
			return -err;
		}
	}
	if (inval_fail_err && inval_fail_at >= n)
		inval_fail_at -= n;
	cmd->entry_num = n;
	return 0;
}

static struct fk_file *queue_file_new(struct io *io, struct fk_obj *o,
				      enum fk_file_kind kind, int *fd)
{
	struct fk_file *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	f->kind = kind;
	f->ev = -1;
	f->ctx = io->ctx;
	f->obj = o;
	/* The hidden eventfd: caller descriptors are dups of it. */
	*fd = fk_fd_install(f, true);
	if (*fd < 0) {
		free(f);
		return NULL;
	}
	f->ev = fk_real.fcntl(*fd, F_DUPFD_CLOEXEC, 0);
	io->ctx->refs++;
	o->file = f;
	o->users++;
	return f;
}

static long op_fault_queue_alloc(struct io *io, void *p)
{
	struct iommu_fault_alloc *cmd = p;
	struct fk_obj *o;
	int fd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	o = obj_new(io->ctx, FK_OBJ_FAULT);
	o->next_cookie = 1;
	if (!queue_file_new(io, o, FK_FILE_FAULT, &fd)) {
		obj_free(o, false);
		return -EMFILE;
	}
	cmd->out_fault_id = o->id;
	cmd->out_fault_fd = (uint32_t)fd;
	return 0;
}

static long op_viommu_alloc(struct io *io, void *p)
{
	struct iommu_viommu_alloc *cmd = p;
	void *data = (void *)(uintptr_t)cmd->data_uptr;
	struct fk_obj *dev, *hwpt, *o;
	const struct fk_device_cfg *cfg;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	dev = obj_get(io->ctx, cmd->dev_id, FK_OBJ_DEVICE);
	if (!dev)
		return -ENOENT;
	cfg = dev_cfg(dev);
	/* get_viommu_size() == 0: type not supported */
	if (cmd->type != cfg->viommu_type)
		return -EOPNOTSUPP;
	hwpt = obj_get(io->ctx, cmd->hwpt_id, FK_OBJ_HWPT_PAGING);
	if (!hwpt)
		return -ENOENT;
	if (!hwpt->nest_parent)
		return -EINVAL;
	if (hwpt->inst != cfg->iommu_instance)
		return -EINVAL;
	if (cmd->data_len && !data)
		return -EFAULT;
	fk_log_aux(io->call, data, cmd->data_len);
	o = obj_new(io->ctx, FK_OBJ_VIOMMU);
	o->parent = hwpt;
	hwpt->users++;
	o->dev = dev;
	o->flags = cmd->type;
	o->inst = cfg->iommu_instance;
	if (cmd->data_len && viommu_data_out_len)
		memcpy(data, viommu_data_out,
		       MIN(cmd->data_len, viommu_data_out_len));
	cmd->out_viommu_id = o->id;
	return 0;
}

static long op_vdevice_alloc(struct io *io, void *p)
{
	struct iommu_vdevice_alloc *cmd = p;
	struct fk_obj *viommu, *dev, *o;
	uint32_t id;

	viommu = obj_get(io->ctx, cmd->viommu_id, FK_OBJ_VIOMMU);
	if (!viommu)
		return -ENOENT;
	dev = obj_get(io->ctx, cmd->dev_id, FK_OBJ_DEVICE);
	if (!dev)
		return -ENOENT;
	if (dev_cfg(dev)->iommu_instance != viommu->inst)
		return -EINVAL;
	if (dev->vdevice)
		return -EEXIST;
	for (id = 1; id < io->ctx->nr_objs; id++) {
		o = io->ctx->objs[id];
		if (o && o != TOMBSTONE && o->type == FK_OBJ_VDEVICE &&
		    o->parent == viommu && o->virt_id == cmd->virt_id)
			return -EEXIST;
	}
	o = obj_new(io->ctx, FK_OBJ_VDEVICE);
	o->parent = viommu;
	viommu->users++;
	o->dev = dev;
	o->virt_id = cmd->virt_id;
	o->inst = viommu->inst;
	dev->vdevice = o;
	cmd->out_vdevice_id = o->id;
	return 0;
}

static long op_ioas_change_process(struct io *io, void *p)
{
	struct iommu_ioas_change_process *cmd = p;
	uint32_t id;
	unsigned int i;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	/* Only MAP_FILE mappings can change owner. */
	for (id = 1; id < io->ctx->nr_objs; id++) {
		struct fk_obj *o = io->ctx->objs[id];

		if (!o || o == TOMBSTONE || o->type != FK_OBJ_IOAS)
			continue;
		for (i = 0; i < o->nr_maps; i++)
			if (!o->maps[i].file)
				return -EINVAL;
	}
	return 0;
}

static long op_veventq_alloc(struct io *io, void *p)
{
	struct iommu_veventq_alloc *cmd = p;
	struct fk_obj *viommu, *o;
	uint32_t id;
	int fd;

	if (cmd->flags || cmd->__reserved ||
	    cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->veventq_depth)
		return -EINVAL;
	viommu = obj_get(io->ctx, cmd->viommu_id, FK_OBJ_VIOMMU);
	if (!viommu)
		return -ENOENT;
	for (id = 1; id < io->ctx->nr_objs; id++) {
		o = io->ctx->objs[id];
		if (o && o != TOMBSTONE && o->type == FK_OBJ_VEVENTQ &&
		    o->parent == viommu && o->flags == cmd->type)
			return -EEXIST;
	}
	o = obj_new(io->ctx, FK_OBJ_VEVENTQ);
	o->parent = viommu;
	viommu->users++;
	o->flags = cmd->type;
	o->depth = cmd->veventq_depth;
	if (!queue_file_new(io, o, FK_FILE_VEVENTQ, &fd)) {
		obj_free(o, false);
		return -EMFILE;
	}
	cmd->out_veventq_id = o->id;
	cmd->out_veventq_fd = (uint32_t)fd;
	return 0;
}

static long op_hw_queue_alloc(struct io *io, void *p)
{
	struct iommu_hw_queue_alloc *cmd = p;
	struct fk_obj *viommu, *ioas, *o;
	struct fk_map *first;
	uint64_t last;
	unsigned int i;

	if (cmd->flags || cmd->type == IOMMU_HW_QUEUE_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	viommu = obj_get(io->ctx, cmd->viommu_id, FK_OBJ_VIOMMU);
	if (!viommu)
		return -ENOENT;
	if (!viommu->dev || cmd->type != dev_cfg(viommu->dev)->hw_queue_type)
		return -EOPNOTSUPP;
	if (!cmd->length)
		return -EINVAL;
	if (__builtin_add_overflow(cmd->nesting_parent_iova, cmd->length - 1,
				   &last))
		return -EOVERFLOW;
	for (i = 1; i < io->ctx->nr_objs; i++) {
		o = io->ctx->objs[i];
		if (o && o != TOMBSTONE && o->type == FK_OBJ_HW_QUEUE &&
		    o->parent == viommu && o->virt_id == cmd->index)
			return -EEXIST;
	}
	/* The range must be mapped in the nest parent's IOAS; it is pinned. */
	ioas = viommu->parent->parent;
	if (!ioas_covered(ioas, cmd->nesting_parent_iova, last, &first))
		return -ENOENT;
	for (i = 0; i < ioas->nr_maps; i++) {
		struct fk_map *m = &ioas->maps[i];

		if (m->iova <= last &&
		    cmd->nesting_parent_iova <= m->iova + m->length - 1)
			m->pins++;
	}
	o = obj_new(io->ctx, FK_OBJ_HW_QUEUE);
	o->parent = viommu;
	viommu->users++;
	o->flags = cmd->type;
	o->virt_id = cmd->index;
	o->iova = cmd->nesting_parent_iova;
	o->length = cmd->length;
	cmd->out_hw_queue_id = o->id;
	return 0;
}

static long op_noiommu_get_pa(struct io *io, void *p)
{
	struct iommu_ioas_noiommu_get_pa *cmd = p;
	struct fk_obj *ioas;
	struct fk_map *m;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = obj_get(io->ctx, cmd->ioas_id, FK_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	m = ioas_find_map(ioas, cmd->iova, cmd->iova, NULL);
	if (!m)
		return -ENOENT;
	/* A fake physical address: 4 GiB + the user VA's page frame. */
	cmd->out_phys = 0x100000000ULL + ((m->uva + (cmd->iova - m->iova)) &
					  0xffffffffffULL);
	cmd->length = m->iova + m->length - cmd->iova;
	return 0;
}

struct iommufd_op {
	unsigned long request;
	const char *name;
	uint32_t size;
	uint32_t min_size;
	long (*fn)(struct io *io, void *cmd);
};

#define OP(req, fn, type, last) \
	{ req, #req, sizeof(struct type), END_OF(type, last), fn }

static const struct iommufd_op iommufd_ops[] = {
	OP(IOMMU_DESTROY, op_destroy, iommu_destroy, id),
	OP(IOMMU_IOAS_ALLOC, op_ioas_alloc, iommu_ioas_alloc, out_ioas_id),
	OP(IOMMU_IOAS_ALLOW_IOVAS, op_ioas_allow_iovas, iommu_ioas_allow_iovas,
	   allowed_iovas),
	OP(IOMMU_IOAS_COPY, op_ioas_copy, iommu_ioas_copy, src_iova),
	OP(IOMMU_IOAS_IOVA_RANGES, op_ioas_iova_ranges, iommu_ioas_iova_ranges,
	   out_iova_alignment),
	OP(IOMMU_IOAS_MAP, op_ioas_map, iommu_ioas_map, iova),
	OP(IOMMU_IOAS_UNMAP, op_ioas_unmap, iommu_ioas_unmap, length),
	OP(IOMMU_OPTION, op_option, iommu_option, val64),
	OP(IOMMU_VFIO_IOAS, op_vfio_ioas, iommu_vfio_ioas, __reserved),
	OP(IOMMU_HWPT_ALLOC, op_hwpt_alloc, iommu_hwpt_alloc, __reserved),
	OP(IOMMU_GET_HW_INFO, op_get_hw_info, iommu_hw_info, __reserved),
	OP(IOMMU_HWPT_SET_DIRTY_TRACKING, op_set_dirty_tracking,
	   iommu_hwpt_set_dirty_tracking, __reserved),
	OP(IOMMU_HWPT_GET_DIRTY_BITMAP, op_get_dirty_bitmap,
	   iommu_hwpt_get_dirty_bitmap, data),
	OP(IOMMU_HWPT_INVALIDATE, op_hwpt_invalidate, iommu_hwpt_invalidate,
	   __reserved),
	OP(IOMMU_FAULT_QUEUE_ALLOC, op_fault_queue_alloc, iommu_fault_alloc,
	   out_fault_fd),
	OP(IOMMU_IOAS_MAP_FILE, op_ioas_map_file, iommu_ioas_map_file, iova),
	OP(IOMMU_VIOMMU_ALLOC, op_viommu_alloc, iommu_viommu_alloc,
	   out_viommu_id),
	OP(IOMMU_VDEVICE_ALLOC, op_vdevice_alloc, iommu_vdevice_alloc, virt_id),
	OP(IOMMU_IOAS_CHANGE_PROCESS, op_ioas_change_process,
	   iommu_ioas_change_process, __reserved),
	OP(IOMMU_VEVENTQ_ALLOC, op_veventq_alloc, iommu_veventq_alloc,
	   out_veventq_fd),
	OP(IOMMU_HW_QUEUE_ALLOC, op_hw_queue_alloc, iommu_hw_queue_alloc,
	   length),
	OP(IOMMU_IOAS_NOIOMMU_GET_PA, op_noiommu_get_pa,
	   iommu_ioas_noiommu_get_pa, out_phys),
};

static const struct {
	unsigned long request;
	const char *name;
} vfio_names[] = {
	{ VFIO_DEVICE_GET_INFO, "VFIO_DEVICE_GET_INFO" },
	{ VFIO_DEVICE_BIND_IOMMUFD, "VFIO_DEVICE_BIND_IOMMUFD" },
	{ VFIO_DEVICE_ATTACH_IOMMUFD_PT, "VFIO_DEVICE_ATTACH_IOMMUFD_PT" },
	{ VFIO_DEVICE_DETACH_IOMMUFD_PT, "VFIO_DEVICE_DETACH_IOMMUFD_PT" },
};

FK_API const char *fake_kernel_ioctl_name(unsigned long request)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(iommufd_ops); i++)
		if (iommufd_ops[i].request == request)
			return iommufd_ops[i].name;
	for (i = 0; i < ARRAY_SIZE(vfio_names); i++)
		if (vfio_names[i].request == request)
			return vfio_names[i].name;
	return NULL;
}

static bool is_missing(unsigned long request)
{
	unsigned int i;

	for (i = 0; i < nr_missing; i++)
		if (missing[i] == request)
			return true;
	return false;
}

/* A scripted failure for this call, or 0. */
static int scripted_failure(unsigned long request)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < nr_fails;) {
		if (fails[i].request != request) {
			i++;
			continue;
		}
		if (fails[i].nth == 0 && !err) {
			err = fails[i].err;
			fails[i] = fails[--nr_fails];
			continue;
		}
		if (fails[i].nth)
			fails[i].nth--;
		i++;
	}
	return err;
}

static long iommufd_ioctl(struct fk_ctx *ctx, struct fk_call *c,
			  unsigned long request, void *arg)
{
	const struct iommufd_op *op = NULL;
	uint64_t buf[FK_PAYLOAD_MAX / 8];
	struct io io = { .ctx = ctx, .call = c };
	uint32_t user_size, ksize, i;
	long rc;
	int err;

	for (i = 0; i < ARRAY_SIZE(iommufd_ops); i++)
		if (iommufd_ops[i].request == request)
			op = &iommufd_ops[i];
	/* Not an iommufd command (VFIO compat ioctls, junk): ENOTTY */
	if (!op || is_missing(request))
		return -ENOTTY;
	err = scripted_failure(request);
	if (err)
		return -err;
	if (!arg)
		return -EFAULT;
	/* An older kernel knows a shorter struct */
	ksize = op->size;
	for (i = 0; i < nr_kernel_sizes; i++)
		if (kernel_sizes[i].request == request)
			ksize = kernel_sizes[i].size;
	memcpy(&user_size, arg, sizeof(user_size));
	if (user_size < op->min_size)
		return -EINVAL;
	/* copy_struct_from_user(): unknown non-zero tail -> E2BIG */
	for (i = ksize; i < user_size; i++)
		if (((const uint8_t *)arg)[i])
			return -E2BIG;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, arg, MIN(user_size, ksize));
	rc = op->fn(&io, buf);
	/* iommufd_ucmd_respond(): what both sides know, no more */
	if (rc == 0 || io.respond)
		memcpy(arg, buf, MIN(user_size, ksize));
	return rc;
}

/* ------------------------------------------------------------------ */
/* VFIO device cdev                                                    */

static void device_detach_one(struct fk_obj *dev, uint32_t pasid)
{
	struct fk_obj *old;
	unsigned int i;

	if (pasid == FK_NO_PASID) {
		old = dev->parent;
		dev->parent = NULL;
		unref(old);
		return;
	}
	for (i = 0; i < FK_MAX_PASIDS; i++) {
		if (dev->pasids[i].hwpt && dev->pasids[i].pasid == pasid) {
			old = dev->pasids[i].hwpt;
			dev->pasids[i].hwpt = NULL;
			unref(old);
		}
	}
}

static struct fk_obj **pasid_slot(struct fk_obj *dev, uint32_t pasid)
{
	unsigned int i;

	if (pasid == FK_NO_PASID)
		return &dev->parent;
	for (i = 0; i < FK_MAX_PASIDS; i++)
		if (dev->pasids[i].hwpt && dev->pasids[i].pasid == pasid)
			return &dev->pasids[i].hwpt;
	for (i = 0; i < FK_MAX_PASIDS; i++) {
		if (!dev->pasids[i].hwpt) {
			dev->pasids[i].pasid = pasid;
			return &dev->pasids[i].hwpt;
		}
	}
	return NULL;
}

/* iommufd_device_attach()/replace() */
static long device_attach(struct fk_obj *dev, uint32_t pasid, uint32_t *pt_id)
{
	const struct fk_device_cfg *cfg = dev_cfg(dev);
	struct fk_ctx *ctx = dev->ctx;
	struct fk_obj *pt, *hwpt = NULL, **slot;
	uint32_t id;
	long rc;

	pt = obj_get(ctx, *pt_id, FK_OBJ_NONE);
	if (!pt)
		return -ENOENT;
	switch (pt->type) {
	case FK_OBJ_IOAS:
		/* Reuse a compatible automatic domain, else make one. */
		for (id = 1; id < ctx->nr_objs; id++) {
			struct fk_obj *o = ctx->objs[id];

			if (o && o != TOMBSTONE && o->type == FK_OBJ_HWPT_PAGING &&
			    o->auto_domain && o->parent == pt &&
			    o->inst == cfg->iommu_instance) {
				hwpt = o;
				break;
			}
		}
		if (!hwpt) {
			rc = ioas_restrict(pt, true, true);
			if (rc)
				return rc;
			hwpt = obj_new(ctx, FK_OBJ_HWPT_PAGING);
			hwpt->auto_domain = true;
			hwpt->parent = pt;
			pt->users++;
			hwpt->dev = dev;
			hwpt->inst = cfg->iommu_instance;
			if (pasid != FK_NO_PASID)
				hwpt->flags = IOMMU_HWPT_ALLOC_PASID;
		}
		break;
	case FK_OBJ_HWPT_PAGING:
	case FK_OBJ_HWPT_NESTED:
		if (pt->inst != cfg->iommu_instance)
			return -EINVAL;
		if (pasid != FK_NO_PASID && !pt->auto_domain &&
		    !(pt->flags & IOMMU_HWPT_ALLOC_PASID))
			return -EINVAL;
		/* arm_smmu_attach_prepare_vmaster(): S1_TRANS needs a vDEVICE */
		if (pt->type == FK_OBJ_HWPT_NESTED &&
		    pt->data_type == IOMMU_HWPT_DATA_ARM_SMMUV3 &&
		    (pt->ste[0] & 1) && ((pt->ste[0] >> 1) & 7) == 5 &&
		    !dev->vdevice)
			return -ENOENT;
		hwpt = pt;
		break;
	default:
		return -EINVAL;
	}
	/* The device's reserved regions go on the IOAS under the HWPT */
	if (paging_of(hwpt) && paging_of(hwpt)->parent) {
		rc = ioas_restrict(paging_of(hwpt)->parent, true, true);
		if (rc) {
			if (!hwpt->users && hwpt->auto_domain)
				obj_free(hwpt, false);
			return rc;
		}
	}
	slot = pasid_slot(dev, pasid);
	if (!slot) {
		if (!hwpt->users && hwpt->auto_domain)
			obj_free(hwpt, false);
		return -ENOSPC;
	}
	if (*slot != hwpt) {
		struct fk_obj *old = *slot;

		hwpt->users++;
		*slot = hwpt;
		unref(old);
	}
	*pt_id = hwpt->id;
	return 0;
}

static void device_unbind(struct fk_obj *dev)
{
	struct fk_ctx *ctx = dev->ctx;
	unsigned int i;
	uint32_t id;

	device_detach_one(dev, FK_NO_PASID);
	for (i = 0; i < FK_MAX_PASIDS; i++)
		if (dev->pasids[i].hwpt)
			device_detach_one(dev, dev->pasids[i].pasid);
	/* The vDEVICE is tombstoned: its ID stays taken until close. */
	if (dev->vdevice)
		obj_free(dev->vdevice, true);
	/* Objects made for the device outlive it (no reference is held) */
	for (id = 1; id < ctx->nr_objs; id++) {
		struct fk_obj *o = ctx->objs[id];

		if (o && o != TOMBSTONE && o->dev == dev)
			o->dev = NULL;
	}
	devices[dev->dev_index].bound = NULL;
	obj_free(dev, false);
	ctx_put(ctx);
}

static long vfio_ioctl(struct fk_file *f, struct fk_call *c,
		       unsigned long request, void *arg)
{
	struct fk_obj *dev = f->obj;
	int err;

	if (is_missing(request))
		return -ENOTTY;
	err = scripted_failure(request);
	if (err)
		return -err;
	if (request != VFIO_DEVICE_BIND_IOMMUFD &&
	    request != VFIO_DEVICE_GET_INFO &&
	    request != VFIO_DEVICE_ATTACH_IOMMUFD_PT &&
	    request != VFIO_DEVICE_DETACH_IOMMUFD_PT)
		return -ENOTTY;
	if (!arg)
		return -EFAULT;

	if (request == VFIO_DEVICE_BIND_IOMMUFD) {
		struct vfio_device_bind_iommufd b;
		const size_t minsz = END_OF(vfio_device_bind_iommufd, out_devid);
		struct fk_file *ifile;
		struct fk_obj *o;
		const struct fk_device_cfg *cfg = &devices[f->dev_index].cfg;
		uint8_t token[16];
		bool has_token = false;

		memset(&b, 0, sizeof(b));
		memcpy(&b, arg, minsz);
		if (b.argsz < minsz || (b.flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN))
			return -EINVAL;
		if (b.flags & VFIO_DEVICE_BIND_FLAG_TOKEN) {
			if (b.argsz < sizeof(b))
				return -EINVAL;
			memcpy(&b, arg, sizeof(b));
			if (!b.token_uuid_ptr)
				return -EFAULT;
			memcpy(token, (void *)(uintptr_t)b.token_uuid_ptr, 16);
			fk_log_aux(c, token, 16);
			has_token = true;
		}
		/* Already bound (this or another cdev open) -> EINVAL */
		if (dev || devices[f->dev_index].bound)
			return -EINVAL;
		ifile = fk_fd_file(b.iommufd);
		if (b.iommufd < 0 || fk_real.fcntl(b.iommufd, F_GETFD) < 0)
			return -EBADF;
		if (!ifile || ifile->kind != FK_FILE_IOMMUFD)
			return -EBADFD;
		if (cfg->needs_token &&
		    (!has_token || memcmp(token, cfg->token, 16)))
			return -EACCES;
		o = obj_new(ifile->ctx, FK_OBJ_DEVICE);
		o->dev_index = f->dev_index;
		o->vfio = f;
		o->inst = cfg->iommu_instance;
		ifile->ctx->refs++;
		f->ctx = ifile->ctx;
		f->obj = o;
		devices[f->dev_index].bound = o;
		((struct vfio_device_bind_iommufd *)arg)->out_devid = o->id;
		return 0;
	}

	/* vfio_device_fops_unl_ioctl(): nothing else before bind */
	if (!dev)
		return -EINVAL;

	if (request == VFIO_DEVICE_GET_INFO) {
		struct vfio_device_info info;
		const size_t minsz = END_OF(vfio_device_info, num_irqs);
		const struct fk_device_cfg *cfg = dev_cfg(dev);

		memcpy(&info, arg, minsz);
		if (info.argsz < minsz)
			return -EINVAL;
		info.flags = cfg->vfio_flags;
		info.num_regions = cfg->num_regions;
		info.num_irqs = cfg->num_irqs;
		memcpy(arg, &info, minsz);
		return 0;
	}

	if (request == VFIO_DEVICE_ATTACH_IOMMUFD_PT) {
		struct vfio_device_attach_iommufd_pt a;
		const size_t minsz =
			END_OF(vfio_device_attach_iommufd_pt, pt_id);
		uint32_t pasid = FK_NO_PASID;
		long rc;

		memset(&a, 0, sizeof(a));
		memcpy(&a, arg, minsz);
		if (a.argsz < minsz || (a.flags & ~VFIO_DEVICE_ATTACH_PASID))
			return -EINVAL;
		if (a.flags & VFIO_DEVICE_ATTACH_PASID) {
			if (a.argsz < sizeof(a))
				return -EINVAL;
			memcpy(&a, arg, sizeof(a));
			if (!dev_cfg(dev)->pasid)
				return -EOPNOTSUPP;
			pasid = a.pasid;
		}
		rc = device_attach(dev, pasid, &a.pt_id);
		if (rc)
			return rc;
		((struct vfio_device_attach_iommufd_pt *)arg)->pt_id = a.pt_id;
		return 0;
	}

	/* VFIO_DEVICE_DETACH_IOMMUFD_PT */
	{
		struct vfio_device_detach_iommufd_pt d;
		const size_t minsz =
			END_OF(vfio_device_detach_iommufd_pt, flags);

		memset(&d, 0, sizeof(d));
		memcpy(&d, arg, minsz);
		if (d.argsz < minsz || (d.flags & ~VFIO_DEVICE_DETACH_PASID))
			return -EINVAL;
		if (d.flags & VFIO_DEVICE_DETACH_PASID) {
			if (d.argsz < sizeof(d))
				return -EINVAL;
			memcpy(&d, arg, sizeof(d));
			if (!dev_cfg(dev)->pasid)
				return -EOPNOTSUPP;
			device_detach_one(dev, d.pasid);
		} else {
			device_detach_one(dev, FK_NO_PASID);
		}
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* Entry points from the interposers                                   */

long fk_model_ioctl(struct fk_file *f, int fd, unsigned long request,
		    void *arg)
{
	struct fk_call *c = fk_log_new(FK_CALL_IOCTL, fd);
	uint32_t size = 0;
	long rc;

	c->request = request;
	if (arg) {
		memcpy(&size, arg, sizeof(size));
		c->len = MIN(size, FK_PAYLOAD_MAX);
		if (c->len < sizeof(uint32_t))
			c->len = sizeof(uint32_t);
		memcpy(c->in, arg, c->len);
	}
	switch (f->kind) {
	case FK_FILE_IOMMUFD:
		rc = iommufd_ioctl(f->ctx, c, request, arg);
		break;
	case FK_FILE_VFIO:
		rc = vfio_ioctl(f, c, request, arg);
		break;
	default:
		/* anon inodes of the queues have no ioctl */
		rc = -ENOTTY;
		break;
	}
	if (arg)
		memcpy(c->out, arg, c->len);
	c->ret = rc < 0 ? -1 : rc;
	c->err = rc < 0 ? (int)-rc : 0;
	return rc;
}

static void queue_update_ready(struct fk_obj *o)
{
	if (o->type == FK_OBJ_FAULT) {
		struct fk_rec *r;
		bool ready = false;

		for (r = o->head; r; r = r->next)
			if (!r->delivered)
				ready = true;
		fk_file_set_ready(o->file, ready);
	} else {
		fk_file_set_ready(o->file, o->head != NULL);
	}
}

/* iommufd_veventq_fops_read() */
static long veventq_read(struct fk_obj *o, uint8_t *buf, size_t count)
{
	size_t done = 0;

	if (count && !buf)
		return -EFAULT;
	while (o->head) {
		struct fk_rec *r = o->head;
		struct iommufd_vevent_header h = { .flags = r->flags,
						   .sequence = r->seq };

		if (done >= count || sizeof(h) > count - done)
			break;
		if (!r->lost && sizeof(h) + r->len > count - done)
			break;
		memcpy(buf + done, &h, sizeof(h));
		done += sizeof(h);
		memcpy(buf + done, r->data, r->len);
		done += r->len;
		o->head = r->next;
		if (!o->head)
			o->tail = &o->head;
		if (r->lost)
			o->lost_queued = false;
		else
			o->num_events--;
		free(r);
	}
	queue_update_ready(o);
	return (long)done;
}

/* iommufd_fault_fops_read(): cookies become answerable when read */
static long fault_read(struct fk_obj *o, uint8_t *buf, size_t count)
{
	const size_t sz = sizeof(struct iommu_hwpt_pgfault);
	struct fk_rec *r;
	size_t done = 0;

	if (count % sz)
		return -ESPIPE;
	if (count && !buf)
		return -EFAULT;
	for (r = o->head; r; r = r->next) {
		struct iommu_hwpt_pgfault pf;

		if (r->delivered)
			continue;
		if (done >= count || sz > count - done)
			break;
		memcpy(&pf, r->data, sz);
		pf.cookie = r->seq;
		memcpy(buf + done, &pf, sz);
		done += sz;
		r->delivered = true;
	}
	queue_update_ready(o);
	return (long)done;
}

/* iommufd_fault_fops_write() */
static long fault_write(struct fk_obj *o, const uint8_t *buf, size_t count)
{
	const size_t sz = sizeof(struct iommu_hwpt_page_response);
	size_t done = 0;
	long rc = 0;

	if (count % sz)
		return -ESPIPE;
	if (count && !buf)
		return -EFAULT;
	while (done < count) {
		struct iommu_hwpt_page_response resp;
		struct fk_rec **pp, *r = NULL;

		memcpy(&resp, buf + done, sz);
		if (resp.code != 0 && resp.code != 1) {
			rc = -EINVAL;
			break;
		}
		for (pp = &o->head; *pp; pp = &(*pp)->next) {
			if ((*pp)->delivered && (*pp)->seq == resp.cookie) {
				r = *pp;
				*pp = r->next;
				break;
			}
		}
		if (!r) {
			rc = -EINVAL;
			break;
		}
		free(r);
		o->tail = &o->head;
		while (*o->tail)
			o->tail = &(*o->tail)->next;
		o->resp = realloc(o->resp, (o->nr_resp + 1) * sizeof(*o->resp));
		if (!o->resp)
			abort();
		o->resp[o->nr_resp].cookie = resp.cookie;
		o->resp[o->nr_resp].code = resp.code;
		o->nr_resp++;
		done += sz;
	}
	return done ? (long)done : rc;
}

long fk_model_read(struct fk_file *f, void *buf, size_t count)
{
	switch (f->kind) {
	case FK_FILE_VEVENTQ:
		if (!f->obj)
			return 0;
		return veventq_read(f->obj, buf, count);
	case FK_FILE_FAULT:
		if (!f->obj)
			return 0;
		return fault_read(f->obj, buf, count);
	default:
		return -EINVAL;
	}
}

long fk_model_write(struct fk_file *f, const void *buf, size_t count)
{
	if (f->kind == FK_FILE_FAULT) {
		if (!f->obj)
			return -EINVAL;
		return fault_write(f->obj, buf, count);
	}
	return -EINVAL;
}

int fk_model_open(const char *path, int flags, bool *handled)
{
	bool cloexec = flags & O_CLOEXEC;
	struct fk_file *f;
	unsigned int idx;
	char tail;
	int fd;

	if (!strcmp(path, "/dev/iommu")) {
		*handled = true;
		if (open_iommu_err)
			return -open_iommu_err;
		f = calloc(1, sizeof(*f));
		if (!f)
			abort();
		f->kind = FK_FILE_IOMMUFD;
		f->ev = -1;
		f->ctx = ctx_new();
		f->ctx->refs = 1;
		fd = fk_fd_install(f, cloexec);
		if (fd < 0) {
			ctx_put(f->ctx);
			free(f);
		}
		return fd;
	}
	if (sscanf(path, "/dev/vfio/devices/vfio%u%c", &idx, &tail) == 1 &&
	    strncmp(path, "/dev/vfio/devices/vfio", 22) == 0 &&
	    path[22] >= '0' && path[22] <= '9') {
		*handled = true;
		if (idx >= FK_MAX_DEVS || !devices[idx].present)
			return -ENOENT;
		f = calloc(1, sizeof(*f));
		if (!f)
			abort();
		f->kind = FK_FILE_VFIO;
		f->ev = -1;
		f->dev_index = idx;
		fd = fk_fd_install(f, cloexec);
		if (fd < 0)
			free(f);
		return fd;
	}
	*handled = false;
	return 0;
}

void fk_model_file_release(struct fk_file *f)
{
	switch (f->kind) {
	case FK_FILE_IOMMUFD:
		ctx_put(f->ctx);
		break;
	case FK_FILE_VFIO:
		/* vfio_df_unbind_iommufd(): closing the cdev unbinds */
		if (f->obj)
			device_unbind(f->obj);
		break;
	case FK_FILE_VEVENTQ:
	case FK_FILE_FAULT:
		if (f->obj) {
			struct fk_obj *o = f->obj;

			o->file = NULL;
			o->users--;
			/* Undelivered and unanswered faults are dropped */
			if (f->kind == FK_FILE_FAULT)
				free_records(o);
		}
		ctx_put(f->ctx);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Control API                                                         */

FK_API void fake_kernel_device_defaults(struct fk_device_cfg *cfg)
{
	struct iommu_hw_info_arm_smmuv3 info = {
		.flags = 0,
		/* ST_LEVEL 2-level, TERM_MODEL, STALL, TTF AArch64, ASID16 */
		.idr = { 0x0f0c5e9b, 0x0e7a0010, 0x0, 0x00000c14, 0x0,
			 0x00000075 },
		.iidr = 0x4361043b,
		.aidr = 0x2,
	};

	memset(cfg, 0, sizeof(*cfg));
	cfg->hw_info_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	cfg->capabilities = 1; /* DIRTY_TRACKING */
	cfg->max_pasid_log2 = 20;
	cfg->hw_info_len = sizeof(info);
	memcpy(cfg->hw_info, &info, sizeof(info));
	cfg->iommu_instance = 0;
	cfg->vfio_flags = VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_PCI;
	cfg->num_regions = 9;
	cfg->num_irqs = 5;
	cfg->dirty_tracking = true;
	cfg->pasid = true;
	cfg->nested_data_type = IOMMU_HWPT_DATA_ARM_SMMUV3;
	cfg->nested_on_parent = false;
	cfg->viommu_type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	cfg->hw_queue_type = IOMMU_HW_QUEUE_TYPE_SELFTEST;
}

FK_API int fake_kernel_add_device(unsigned int index,
				  const struct fk_device_cfg *cfg)
{
	if (index >= FK_MAX_DEVS)
		return -EINVAL;
	fk_lock();
	if (cfg)
		devices[index].cfg = *cfg;
	else
		fake_kernel_device_defaults(&devices[index].cfg);
	devices[index].present = true;
	fk_unlock();
	return 0;
}

FK_API int fake_kernel_remove_device(unsigned int index)
{
	if (index >= FK_MAX_DEVS)
		return -EINVAL;
	fk_lock();
	devices[index].present = false;
	fk_unlock();
	return 0;
}

/*
 * $FAKE_KERNEL_MISSING: iommufd command numbers (0x93 for VEVENTQ_ALLOC,
 * comma-separated) that this "older kernel" lacks, for programs that are
 * not linked against the fake (nestctl replay's tests).
 */
static void missing_from_env(void)
{
	const char *env = getenv("FAKE_KERNEL_MISSING");
	char *end;

	while (env && *env && nr_missing < FK_MAX_SCRIPTS) {
		unsigned long nr = strtoul(env, &end, 0);

		if (end == env)
			break;
		missing[nr_missing++] = _IO(';', nr);
		env = *end == ',' ? end + 1 : end;
	}
}

void fk_model_reset(void)
{
	unsigned int i;

	/* Descriptors are gone already: every context is unreferenced. */
	while (contexts) {
		contexts->refs = 1;
		ctx_put(contexts);
	}
	memset(devices, 0, sizeof(devices));
	for (i = 0; i < 3; i++) {
		fake_kernel_device_defaults(&devices[i].cfg);
		devices[i].present = true;
	}
	devices[2].cfg.iommu_instance = 1;
	nr_missing = 0;
	nr_fails = 0;
	nr_kernel_sizes = 0;
	open_iommu_err = 0;
	inval_fail_at = 0;
	inval_fail_err = 0;
	inval_batch = 0;
	viommu_data_out_len = 0;
	unprivileged = false;
	missing_from_env();
}

FK_API void fake_kernel_set_missing(unsigned long request, bool miss)
{
	unsigned int i;

	fk_lock();
	for (i = 0; i < nr_missing; i++) {
		if (missing[i] == request) {
			if (!miss)
				missing[i] = missing[--nr_missing];
			fk_unlock();
			return;
		}
	}
	if (miss && nr_missing < FK_MAX_SCRIPTS)
		missing[nr_missing++] = request;
	fk_unlock();
}

FK_API void fake_kernel_fail_ioctl(unsigned long request, unsigned int nth,
				   int err)
{
	unsigned int i;

	fk_lock();
	if (!err) {
		for (i = 0; i < nr_fails;) {
			if (fails[i].request == request)
				fails[i] = fails[--nr_fails];
			else
				i++;
		}
	} else if (nr_fails < FK_MAX_SCRIPTS) {
		fails[nr_fails].request = request;
		fails[nr_fails].nth = nth;
		fails[nr_fails].err = err;
		nr_fails++;
	}
	fk_unlock();
}

FK_API void fake_kernel_set_kernel_size(unsigned long request, uint32_t size)
{
	unsigned int i;

	fk_lock();
	for (i = 0; i < nr_kernel_sizes; i++)
		if (kernel_sizes[i].request == request)
			break;
	if (!size) {
		if (i < nr_kernel_sizes)
			kernel_sizes[i] = kernel_sizes[--nr_kernel_sizes];
	} else if (i < nr_kernel_sizes) {
		kernel_sizes[i].size = size;
	} else if (nr_kernel_sizes < FK_MAX_SCRIPTS) {
		kernel_sizes[nr_kernel_sizes].request = request;
		kernel_sizes[nr_kernel_sizes].size = size;
		nr_kernel_sizes++;
	}
	fk_unlock();
}

FK_API void fake_kernel_fail_open_iommu(int err)
{
	fk_lock();
	open_iommu_err = err;
	fk_unlock();
}

FK_API void fake_kernel_fail_invalidate_at(unsigned int k, int err)
{
	fk_lock();
	inval_fail_at = k;
	inval_fail_err = err;
	fk_unlock();
}

FK_API void fake_kernel_set_invalidate_batch(unsigned int n)
{
	fk_lock();
	inval_batch = n;
	fk_unlock();
}

FK_API void fake_kernel_set_viommu_data_out(const void *data, uint32_t len)
{
	fk_lock();
	viommu_data_out_len = MIN(len, (uint32_t)sizeof(viommu_data_out));
	if (data)
		memcpy(viommu_data_out, data, viommu_data_out_len);
	else
		viommu_data_out_len = 0;
	fk_unlock();
}

FK_API void fake_kernel_set_unprivileged(bool unpriv)
{
	fk_lock();
	unprivileged = unpriv;
	fk_unlock();
}

static struct fk_obj *lookup(int iommufd, uint32_t id, enum fk_obj_type type)
{
	struct fk_ctx *ctx = ctx_of_fd(iommufd);

	if (!ctx)
		return NULL;
	return obj_get(ctx, id, type);
}

static struct fk_rec *rec_new(const void *data, uint32_t len)
{
	struct fk_rec *r = calloc(1, sizeof(*r) + len);

	if (!r)
		abort();
	r->len = len;
	if (len)
		memcpy(r->data, data, len);
	return r;
}

static void rec_append(struct fk_obj *o, struct fk_rec *r)
{
	*o->tail = r;
	o->tail = &r->next;
}

FK_API int fake_kernel_veventq_report(int iommufd, uint32_t veventq_id,
				      const void *data, uint32_t len)
{
	struct fk_obj *o;
	struct fk_rec *r;
	int rc = 0;

	fk_lock();
	o = lookup(iommufd, veventq_id, FK_OBJ_VEVENTQ);
	if (!o) {
		fk_unlock();
		return -ENOENT;
	}
	/* iommufd_viommu_report_event() + iommufd_vevent_handler() */
	if (o->num_events >= o->depth) {
		rc = -EOVERFLOW;
		if (!o->lost_queued) {
			r = rec_new(NULL, 0);
			r->lost = true;
			r->flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
			r->seq = o->sequence;
			o->sequence = (o->sequence + 1) & INT_MAX;
			o->lost_queued = true;
			rec_append(o, r);
		}
	} else {
		r = rec_new(data, len);
		r->seq = o->sequence;
		o->sequence = (o->sequence + 1) & INT_MAX;
		o->num_events++;
		rec_append(o, r);
	}
	queue_update_ready(o);
	fk_unlock();
	return rc;
}

FK_API int fake_kernel_veventq_push_raw(int iommufd, uint32_t veventq_id,
					uint32_t flags, uint32_t sequence,
					const void *data, uint32_t len)
{
	struct fk_obj *o;
	struct fk_rec *r;

	fk_lock();
	o = lookup(iommufd, veventq_id, FK_OBJ_VEVENTQ);
	if (!o) {
		fk_unlock();
		return -ENOENT;
	}
	r = rec_new(data, (flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS) ? 0 : len);
	r->flags = flags;
	r->seq = sequence;
	if (flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS) {
		r->lost = true;
		o->lost_queued = true;
	} else {
		o->num_events++;
	}
	o->sequence = (sequence + 1) & INT_MAX;
	rec_append(o, r);
	queue_update_ready(o);
	fk_unlock();
	return 0;
}

FK_API int fake_kernel_veventq_set_sequence(int iommufd, uint32_t veventq_id,
					    uint32_t sequence)
{
	struct fk_obj *o;

	fk_lock();
	o = lookup(iommufd, veventq_id, FK_OBJ_VEVENTQ);
	if (o)
		o->sequence = sequence & INT_MAX;
	fk_unlock();
	return o ? 0 : -ENOENT;
}

FK_API int fake_kernel_veventq_pending(int iommufd, uint32_t veventq_id)
{
	struct fk_obj *o;
	struct fk_rec *r;
	int n = 0;

	fk_lock();
	o = lookup(iommufd, veventq_id, FK_OBJ_VEVENTQ);
	if (!o) {
		fk_unlock();
		return -ENOENT;
	}
	for (r = o->head; r; r = r->next)
		n++;
	fk_unlock();
	return n;
}

FK_API int fake_kernel_fault_report(int iommufd, uint32_t fault_id,
				    const void *pgfault)
{
	struct fk_obj *o;
	struct fk_rec *r;
	int cookie;

	fk_lock();
	o = lookup(iommufd, fault_id, FK_OBJ_FAULT);
	if (!o || !pgfault) {
		fk_unlock();
		return o ? -EINVAL : -ENOENT;
	}
	r = rec_new(pgfault, sizeof(struct iommu_hwpt_pgfault));
	r->seq = o->next_cookie++;
	cookie = (int)r->seq;
	rec_append(o, r);
	queue_update_ready(o);
	fk_unlock();
	return cookie;
}

FK_API int fake_kernel_fault_response(int iommufd, uint32_t fault_id,
				      unsigned int i, uint32_t *cookie,
				      uint32_t *code)
{
	struct fk_obj *o;
	int rc = -ENOENT;

	fk_lock();
	o = lookup(iommufd, fault_id, FK_OBJ_FAULT);
	if (o && i < o->nr_resp) {
		if (cookie)
			*cookie = o->resp[i].cookie;
		if (code)
			*code = o->resp[i].code;
		rc = 0;
	}
	fk_unlock();
	return rc;
}

FK_API int fake_kernel_set_dirty(int iommufd, uint32_t hwpt_id, uint64_t iova)
{
	struct fk_obj *o;

	fk_lock();
	o = lookup(iommufd, hwpt_id, FK_OBJ_HWPT_PAGING);
	if (!o) {
		fk_unlock();
		return -ENOENT;
	}
	o->dirty = realloc(o->dirty, (o->nr_dirty + 1) * sizeof(*o->dirty));
	if (!o->dirty)
		abort();
	o->dirty[o->nr_dirty++] = iova & ~(FK_PAGE - 1);
	fk_unlock();
	return 0;
}

FK_API unsigned int fake_kernel_nr_contexts(void)
{
	struct fk_ctx *ctx;
	unsigned int n = 0;

	fk_lock();
	for (ctx = contexts; ctx; ctx = ctx->next)
		n++;
	fk_unlock();
	return n;
}

FK_API unsigned int fake_kernel_nr_objects(void)
{
	struct fk_ctx *ctx;
	unsigned int n = 0;
	uint32_t id;

	fk_lock();
	for (ctx = contexts; ctx; ctx = ctx->next)
		for (id = 1; id < ctx->nr_objs; id++)
			if (id_live(ctx, id))
				n++;
	fk_unlock();
	return n;
}

FK_API enum fk_obj_type fake_kernel_obj_type(int iommufd, uint32_t id)
{
	struct fk_obj *o;
	enum fk_obj_type t;

	fk_lock();
	o = lookup(iommufd, id, FK_OBJ_NONE);
	t = o ? o->type : FK_OBJ_NONE;
	fk_unlock();
	return t;
}

FK_API int fake_kernel_obj_info(int iommufd, uint32_t id,
				struct fk_obj_info *info)
{
	struct fk_obj *o;

	fk_lock();
	o = lookup(iommufd, id, FK_OBJ_NONE);
	if (!o || !info) {
		fk_unlock();
		return o ? -EINVAL : -ENOENT;
	}
	memset(info, 0, sizeof(*info));
	info->type = o->type;
	info->parent_id = o->parent ? o->parent->id : 0;
	info->dev_id = o->dev ? o->dev->id : 0;
	info->users = o->users;
	info->flags = o->flags;
	info->virt_id = o->virt_id;
	info->auto_domain = o->auto_domain;
	info->nr_mappings = o->nr_maps;
	fk_unlock();
	return 0;
}

FK_API int fake_kernel_ioas_mapping(int iommufd, uint32_t ioas_id,
				    unsigned int i, uint64_t *iova,
				    uint64_t *length, uint32_t *flags)
{
	struct fk_obj *o;
	int rc = -ENOENT;

	fk_lock();
	o = lookup(iommufd, ioas_id, FK_OBJ_IOAS);
	if (o && i < o->nr_maps) {
		if (iova)
			*iova = o->maps[i].iova;
		if (length)
			*length = o->maps[i].length;
		if (flags)
			*flags = o->maps[i].flags;
		rc = 0;
	}
	fk_unlock();
	return rc;
}

FK_API uint32_t fake_kernel_vfio_dev_id(int fd)
{
	struct fk_file *f;
	uint32_t id = 0;

	fk_lock();
	f = fk_fd_file(fd);
	if (f && f->kind == FK_FILE_VFIO && f->obj)
		id = f->obj->id;
	fk_unlock();
	return id;
}
