// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Guest layout advice: from a device's host reserved regions and the
 * guest's memory map, what the VMM must tell the guest (IORT RMR nodes,
 * virtio-iommu RESV_MEM properties, QEMU's msi-gpa), which host ranges
 * collide with guest RAM or devices, and an MSI window that avoids them.
 *
 * The layout file is outside input: it is read with jv (jv.h), the
 * project's one strict JSON reader, which nestctl shares (the library
 * needs only libc), and fuzzed by tests/fuzz/fuzz-layout.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "jv.h"

#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

/* Limits of a layout file. */
#define LAYOUT_MAX_BYTES (1u << 20)
#define LAYOUT_MAX_DEPTH 16
#define LAYOUT_MAX_REGIONS 256
/* Host regions read from sysfs, at most. */
#define HOST_MAX_REGIONS 64
/* The highest IPA the advised window may end at (the module's 48 bits). */
#define IPA_LIMIT (1ULL << 48)
/* GITS_TRANSLATER is at offset 0x40 of the ITS's second 64 KiB frame. */
#define ITS_TRANSLATER_OFFSET 0x10040ULL
#define V2M_SETSPI_NS_OFFSET 0x40ULL

/* ------------------------------------------------------------------ */
/* The layout: from JSON, or QEMU's virt machine                       */

struct layout {
	char name[64];
	struct nio_guest_region *r;
	uint32_t n;
};

static const char *const kind_names[] = {
	[NIO_GUEST_RAM] = "ram",
	[NIO_GUEST_DEVICE] = "device",
	[NIO_GUEST_ITS] = "its",
	[NIO_GUEST_GICV2M] = "gicv2m",
};

NIO_API const char *nio_guest_kind_name(enum nio_guest_kind kind)
{
	if ((unsigned int)kind > NIO_GUEST_GICV2M)
		return NULL;
	return kind_names[kind];
}

/* A number: a JSON unsigned integer, or a string "0x..." or decimal. */
static int layout_number(const char *file, const char *where,
			 const char *field, const struct jv *n, uint64_t *out)
{
	const char *s;
	char *end;

	/* jv refuses integers beyond 64 bits; negatives and fractions here */
	if (n->type == JV_INT || n->type == JV_DOUBLE) {
		if (n->type != JV_INT || n->i.neg)
			return nio_err(NULL, EINVAL,
				       "layout %s: %s: \"%s\" must be an unsigned integer below 2^64",
				       file, where, field);
		*out = n->i.u;
		return 0;
	}
	if (n->type != JV_STRING)
		return nio_err(NULL, EINVAL,
			       "layout %s: %s: \"%s\" must be a number or a string like \"0x40000000\"",
			       file, where, field);
	s = n->s;
	if (!isdigit((unsigned char)s[0]) ||
	    (s[0] == '0' && s[1] && s[1] != 'x' && s[1] != 'X'))
		goto bad;
	errno = 0;
	*out = strtoull(s, &end, s[1] == 'x' || s[1] == 'X' ? 16 : 10);
	if (errno || *end || end == s + 2 * (s[1] == 'x' || s[1] == 'X'))
		goto bad;
	return 0;
bad:
	return nio_err(NULL, EINVAL,
		       "layout %s: %s: \"%s\" is not a number: \"%s\"",
		       file, where, field, s);
}

static int region_cmp(const void *a, const void *b)
{
	const struct nio_guest_region *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort by start and refuse overlaps (names both) and duplicate names. */
static int layout_check(const char *file, struct layout *l)
{
	qsort(l->r, l->n, sizeof(l->r[0]), region_cmp);
	for (uint32_t i = 1; i < l->n; i++) {
		const struct nio_guest_region *a = &l->r[i - 1], *b = &l->r[i];

		if (b->start <= a->start + (a->size - 1))
			return nio_err(NULL, EINVAL,
				       "layout %s: region \"%s\" (0x%llx-0x%llx) overlaps region \"%s\" (0x%llx-0x%llx)",
				       file, b->name, (unsigned long long)b->start,
				       (unsigned long long)(b->start + (b->size - 1)),
				       a->name, (unsigned long long)a->start,
				       (unsigned long long)(a->start + (a->size - 1)));
	}
	for (uint32_t i = 0; i < l->n; i++)
		for (uint32_t j = i + 1; j < l->n; j++)
			if (!strcmp(l->r[i].name, l->r[j].name))
				return nio_err(NULL, EINVAL,
					       "layout %s: two regions are named \"%s\"",
					       file, l->r[i].name);
	return 0;
}

static int layout_region(const char *file, const struct jv *n,
			 uint32_t index, uint64_t page, struct nio_guest_region *r)
{
	bool have_start = false, have_size = false, have_kind = false;
	char where[64];
	int ret;

	snprintf(where, sizeof(where), "regions[%u]", index);
	if (n->type != JV_OBJECT)
		return nio_err(NULL, EINVAL, "layout %s: %s is not an object",
			       file, where);
	/* The name first: every later message names the region. */
	jv_foreach_member(n, mem) {
		const struct jv *m = &mem->val;

		if (strcmp(mem->key, "name"))
			continue;
		if (m->type != JV_STRING || !m->s[0] ||
		    strlen(m->s) >= sizeof(r->name))
			return nio_err(NULL, EINVAL,
				       "layout %s: %s: \"name\" must be a string of 1 to %zu characters",
				       file, where, sizeof(r->name) - 1);
		for (const char *s = m->s; *s; s++)
			if (!isprint((unsigned char)*s))
				return nio_err(NULL, EINVAL,
					       "layout %s: %s: \"name\" has a non-printable character",
					       file, where);
		snprintf(r->name, sizeof(r->name), "%s", m->s);
		snprintf(where, sizeof(where), "region \"%s\"", r->name);
	}
	if (!r->name[0])
		return nio_err(NULL, EINVAL, "layout %s: %s has no \"name\"",
			       file, where);
	jv_foreach_member(n, mem) {
		const struct jv *m = &mem->val;

		if (!strcmp(mem->key, "name"))
			continue;
		if (!strcmp(mem->key, "start")) {
			if ((ret = layout_number(file, where, "start", m, &r->start)))
				return ret;
			have_start = true;
		} else if (!strcmp(mem->key, "size")) {
			if ((ret = layout_number(file, where, "size", m, &r->size)))
				return ret;
			have_size = true;
		} else if (!strcmp(mem->key, "kind")) {
			unsigned int k;

			for (k = 0; m->type == JV_STRING && k <= NIO_GUEST_GICV2M; k++)
				if (!strcmp(m->s, kind_names[k]))
					break;
			if (m->type != JV_STRING || k > NIO_GUEST_GICV2M)
				return nio_err(NULL, EINVAL,
					       "layout %s: %s: \"kind\" must be \"ram\", \"device\", \"its\" or \"gicv2m\"",
					       file, where);
			r->kind = (enum nio_guest_kind)k;
			have_kind = true;
		} else {
			return nio_err(NULL, EINVAL,
				       "layout %s: %s: unknown member \"%s\" (known: name, kind, start, size)",
				       file, where, mem->key);
		}
	}
	if (!have_start || !have_size || !have_kind)
		return nio_err(NULL, EINVAL, "layout %s: %s: \"%s\" is missing",
			       file, where,
			       !have_kind ? "kind" : !have_start ? "start" : "size");
	if (!r->size)
		return nio_err(NULL, EINVAL, "layout %s: %s: size is 0", file,
			       where);
	if (r->start % page || r->size % page)
		return nio_err(NULL, EINVAL,
			       "layout %s: %s is not aligned to the page size 0x%llx (start 0x%llx, size 0x%llx)",
			       file, where, (unsigned long long)page,
			       (unsigned long long)r->start,
			       (unsigned long long)r->size);
	if (r->start + (r->size - 1) < r->start)
		return nio_err(NULL, EINVAL,
			       "layout %s: %s ends beyond 2^64", file, where);
	return 0;
}

static int layout_from_json(const char *file, const char *text, size_t len,
			    struct layout *l)
{
	const struct jv *regions = NULL;
	uint64_t page = 4096;
	struct jv *top;
	char msg[256];
	uint32_t count;
	int ret = 0;

	top = jv_parse_depth(text, len, LAYOUT_MAX_DEPTH, msg, sizeof(msg));
	if (!top)
		return nio_err(NULL, errno == ENOMEM ? ENOMEM : EINVAL,
			       "layout %s: %s", file, msg);
	if (top->type != JV_OBJECT) {
		ret = nio_err(NULL, EINVAL,
			      "layout %s: the layout must be a JSON object with \"regions\"",
			      file);
		goto out;
	}
	snprintf(l->name, sizeof(l->name), "%s", file);
	jv_foreach_member(top, mem) {
		const struct jv *m = &mem->val;

		if (!strcmp(mem->key, "name")) {
			if (m->type != JV_STRING || !m->s[0] ||
			    strlen(m->s) >= sizeof(l->name)) {
				ret = nio_err(NULL, EINVAL,
					      "layout %s: \"name\" must be a string of 1 to %zu characters",
					      file, sizeof(l->name) - 1);
				goto out;
			}
			snprintf(l->name, sizeof(l->name), "%s", m->s);
		} else if (!strcmp(mem->key, "page-size")) {
			if ((ret = layout_number(file, "the layout", "page-size", m, &page)))
				goto out;
			if (page < 4096 || page > GiB || (page & (page - 1))) {
				ret = nio_err(NULL, EINVAL,
					      "layout %s: \"page-size\" must be a power of two from 4096 to 1 GiB",
					      file);
				goto out;
			}
		} else if (!strcmp(mem->key, "regions")) {
			if (m->type != JV_ARRAY) {
				ret = nio_err(NULL, EINVAL,
					      "layout %s: \"regions\" must be an array",
					      file);
				goto out;
			}
			regions = m;
		} else {
			ret = nio_err(NULL, EINVAL,
				      "layout %s: unknown member \"%s\" (known: name, page-size, regions)",
				      file, mem->key);
			goto out;
		}
	}
	if (!regions) {
		ret = nio_err(NULL, EINVAL, "layout %s: \"regions\" is missing", file);
		goto out;
	}
	count = jv_len(regions);
	if (!count || count > LAYOUT_MAX_REGIONS) {
		ret = nio_err(NULL, EINVAL,
			      "layout %s: \"regions\" must have 1 to %d entries (it has %u)",
			      file, LAYOUT_MAX_REGIONS, count);
		goto out;
	}
	l->r = calloc(count, sizeof(*l->r));
	if (!l->r) {
		ret = nio_err(NULL, ENOMEM, "layout %s: out of memory", file);
		goto out;
	}
	for (uint32_t i = 0; i < count; i++) {
		ret = layout_region(file, jv_idx(regions, i), l->n, page,
				    &l->r[l->n]);
		if (ret)
			goto out;
		l->n++;
	}
	ret = layout_check(file, l);
out:
	jv_free(top);
	return ret;
}

/*
 * QEMU's arm "virt" machine (hw/arm/virt.c base_memmap and the high
 * regions virt_set_memmap() places above 256 GiB when RAM and device
 * memory fit below it), as of QEMU 11.1.  Sizes under a page are rounded
 * up to 4 KiB, the least a mapping can cover.
 */
static const struct nio_guest_region virt_regions[] = {
	{ "flash", 0x00000000, 0x08000000, NIO_GUEST_DEVICE },
	{ "gic-dist", 0x08000000, 0x00010000, NIO_GUEST_DEVICE },
	{ "gic-cpu", 0x08010000, 0x00010000, NIO_GUEST_DEVICE },
	{ "gic-v2m", 0x08020000, 0x00001000, NIO_GUEST_GICV2M },
	{ "gic-hyp", 0x08030000, 0x00010000, NIO_GUEST_DEVICE },
	{ "gic-vcpu", 0x08040000, 0x00010000, NIO_GUEST_DEVICE },
	{ "gic-its", 0x08080000, 0x00020000, NIO_GUEST_ITS },
	{ "gic-redist", 0x080a0000, 0x00f60000, NIO_GUEST_DEVICE },
	{ "uart0", 0x09000000, 0x00001000, NIO_GUEST_DEVICE },
	{ "rtc", 0x09010000, 0x00001000, NIO_GUEST_DEVICE },
	{ "fw-cfg", 0x09020000, 0x00001000, NIO_GUEST_DEVICE },
	{ "gpio", 0x09030000, 0x00001000, NIO_GUEST_DEVICE },
	{ "uart1", 0x09040000, 0x00001000, NIO_GUEST_DEVICE },
	{ "smmu", 0x09050000, 0x00020000, NIO_GUEST_DEVICE },
	{ "pcdimm-acpi", 0x09070000, 0x00001000, NIO_GUEST_DEVICE },
	{ "acpi-ged", 0x09080000, 0x00001000, NIO_GUEST_DEVICE },
	{ "nvdimm-acpi", 0x09090000, 0x00001000, NIO_GUEST_DEVICE },
	{ "pvtime", 0x090a0000, 0x00010000, NIO_GUEST_DEVICE },
	{ "secure-gpio", 0x090b0000, 0x00001000, NIO_GUEST_DEVICE },
	{ "acpi-pcihp", 0x090c0000, 0x00001000, NIO_GUEST_DEVICE },
	{ "virtio-mmio", 0x0a000000, 0x00004000, NIO_GUEST_DEVICE },
	{ "platform-bus", 0x0c000000, 0x02000000, NIO_GUEST_DEVICE },
	{ "secure-mem", 0x0e000000, 0x01000000, NIO_GUEST_DEVICE },
	{ "pcie-mmio", 0x10000000, 0x2eff0000, NIO_GUEST_DEVICE },
	{ "pcie-pio", 0x3eff0000, 0x00010000, NIO_GUEST_DEVICE },
	{ "pcie-ecam", 0x3f000000, 0x01000000, NIO_GUEST_DEVICE },
	{ "ram", 0x40000000, 0, NIO_GUEST_RAM }, /* size: ram_size */
	{ "gic-redist2", 0x4000000000ULL, 0x04000000, NIO_GUEST_DEVICE },
	{ "pcie-ecam-high", 0x4010000000ULL, 0x10000000, NIO_GUEST_DEVICE },
	{ "pcie-mmio-high", 0x8000000000ULL, 0x8000000000ULL, NIO_GUEST_DEVICE },
};
#define VIRT_RAM_LIMIT (255 * GiB)
#define VIRT_DEFAULT_RAM (128 * MiB)

static int layout_virt(uint64_t ram_size, struct layout *l)
{
	uint32_t n = sizeof(virt_regions) / sizeof(virt_regions[0]);

	if (!ram_size)
		ram_size = VIRT_DEFAULT_RAM;
	if (ram_size % 4096 || ram_size > VIRT_RAM_LIMIT)
		return nio_err(NULL, EINVAL,
			       "layout virt: RAM size 0x%llx must be a multiple of 4 KiB and at most 255 GiB (QEMU's limit below the high regions)",
			       (unsigned long long)ram_size);
	l->r = malloc(sizeof(virt_regions));
	if (!l->r)
		return nio_err(NULL, ENOMEM, "layout virt: out of memory");
	memcpy(l->r, virt_regions, sizeof(virt_regions));
	for (uint32_t i = 0; i < n; i++)
		if (l->r[i].kind == NIO_GUEST_RAM)
			l->r[i].size = ram_size;
	l->n = n;
	snprintf(l->name, sizeof(l->name), "virt");
	return 0;
}

static int layout_load(const struct nio_guest_layout_opts *opts,
		       struct layout *l)
{
	const char *name = NIO_OPTS_GET(opts, layout, NULL);
	const char *json = NIO_OPTS_GET(opts, layout_json, NULL);
	char *buf;
	ssize_t got;
	size_t len = 0;
	struct stat st;
	int fd, ret;

	if (json)
		return layout_from_json(name ? name : "(text)", json,
					strlen(json), l);
	if (!name || !strcmp(name, "virt"))
		return layout_virt(NIO_OPTS_GET(opts, ram_size, 0), l);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nio_err(NULL, errno, "layout %s: %s", name, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > LAYOUT_MAX_BYTES) {
		bool big = S_ISREG(st.st_mode);

		close(fd);
		return nio_err(NULL, big ? EFBIG : EINVAL, "layout %s: %s",
			       name, big ? "larger than 1 MiB" :
			       "not a regular file");
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return nio_err(NULL, ENOMEM, "layout %s: out of memory", name);
	}
	while (len < (size_t)st.st_size &&
	       (got = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)got;
	close(fd);
	buf[len] = '\0';
	ret = layout_from_json(name, buf, len, l);
	free(buf);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Host side: the device's reserved regions under a sysfs root         */

/* Base name of the link <dir>/<name>, or -errno. */
static int link_base(const char *dir, const char *name, char *out, size_t len)
{
	char path[PATH_MAX + 64], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(out, len, "%s", base ? base + 1 : target);
	return 0;
}

/*
 * The nestiommu.ko instance whose IOMMU is named iommu ("nestiommu.N";
 * older captures say "nestiommu-smmu.N"), or -1.
 */
static int nestiommu_instance(const char *iommu)
{
	const char *num;
	char *end;
	long n;

	if (!strncmp(iommu, "nestiommu.", 10))
		num = iommu + 10;
	else if (!strncmp(iommu, "nestiommu-smmu.", 15))
		num = iommu + 15;
	else
		return -1;
	if (!isdigit((unsigned char)*num))
		return -1;
	errno = 0;
	n = strtol(num, &end, 10);
	return errno || *end || n > INT_MAX ? -1 : (int)n;
}

/*
 * The device's IOMMU (the "iommu" link of the device, or of the device
 * behind a vfio-dev class entry) and its group's reserved regions, with
 * the SW_MSI window told apart from hardware MSI ranges.
 */
static int host_regions(const char *device, const char *root,
			struct nio_guest_layout *out)
{
	char dir[PATH_MAX];
	uint32_t num = HOST_MAX_REGIONS;
	int ret;

	ret = nio_device_sysfs_dir(root, device, dir, sizeof(dir));
	if (ret)
		return nio_err(NULL, -ret,
			       "device %s: no such device under %s (give vfioN, a cdev path, a PCI address, a device name or a sysfs path)",
			       device, root);
	if (link_base(dir, "device/iommu", out->iommu, sizeof(out->iommu)) &&
	    link_base(dir, "iommu", out->iommu, sizeof(out->iommu)))
		out->iommu[0] = '\0';
	out->instance = nestiommu_instance(out->iommu);
	out->host = calloc(HOST_MAX_REGIONS, sizeof(*out->host));
	if (!out->host)
		return nio_err(NULL, ENOMEM, "nio_device_guest_layout: out of memory");
	ret = nio_device_reserved_regions_at(root, device, out->host, &num);
	if (ret)
		return ret; /* its message names the device and the cause */
	out->num_host = num;
	for (uint32_t i = 0; i < num; i++) {
		struct nio_resv_region *r = &out->host[i];

		/*
		 * sysfs says "msi" for hardware MSI and the SW_MSI window
		 * alike: nestiommu.ko's only region is its SW_MSI window, and
		 * the ARM SMMU drivers' is MSI_IOVA_BASE, 1 MiB.
		 */
		if ((r->type == NIO_RESV_MSI && out->instance >= 0) ||
		    nio_resv_is_arm_sw_msi(r))
			r->type = NIO_RESV_SW_MSI;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The advice                                                          */

static bool overlaps(uint64_t s1, uint64_t l1, uint64_t s2, uint64_t l2)
{
	return s1 <= l2 && s2 <= l1;
}

static uint64_t round_pow2(uint64_t v)
{
	uint64_t p = 4096;

	while (p < v && p < (1ULL << 62))
		p <<= 1;
	return p;
}

/*
 * The lowest window of size, aligned to size rounded up to a power of
 * two, that overlaps no guest region and no other host region.
 */
static bool find_window(const struct nio_guest_layout *g, const struct layout *l,
			int self, uint64_t size, uint64_t *start)
{
	uint64_t align = round_pow2(size), c = 0;

	for (;;) {
		uint64_t last = c + size - 1, next = 0;
		bool blocked = false;

		if (c + size < c || c + size > IPA_LIMIT)
			return false;
		for (uint32_t i = 0; i < l->n; i++) {
			uint64_t e = l->r[i].start + (l->r[i].size - 1);

			if (overlaps(c, last, l->r[i].start, e) && e >= next) {
				blocked = true;
				next = e;
			}
		}
		for (uint32_t i = 0; i < g->num_host; i++) {
			if ((int)i == self)
				continue;
			if (overlaps(c, last, g->host[i].start, g->host[i].last) &&
			    g->host[i].last >= next) {
				blocked = true;
				next = g->host[i].last;
			}
		}
		if (!blocked) {
			*start = c;
			return true;
		}
		if (next >= UINT64_MAX - align)
			return false;
		c = (next + 1 + align - 1) & ~(align - 1);
	}
}

static int advise(struct nio_guest_layout *g, const struct layout *l,
		  uint32_t sid)
{
	int sw = -1;
	uint32_t n = g->num_host;

	g->rmr = calloc(n ? n : 1, sizeof(*g->rmr));
	g->resv_mem = calloc(n ? n : 1, sizeof(*g->resv_mem));
	g->collisions = calloc((size_t)(n ? n : 1) * (l->n ? l->n : 1),
			       sizeof(*g->collisions));
	if (!g->rmr || !g->resv_mem || !g->collisions)
		return nio_err(NULL, ENOMEM, "nio_device_guest_layout: out of memory");
	for (uint32_t i = 0; i < n; i++) {
		const struct nio_resv_region *h = &g->host[i];
		struct nio_guest_resv_mem *rm = &g->resv_mem[g->num_resv_mem++];

		/* virtio-iommu: MSI doorbells bypass, the rest is a hole */
		rm->subtype = h->type == NIO_RESV_MSI || h->type == NIO_RESV_SW_MSI ?
			      NIO_RESV_MEM_MSI : NIO_RESV_MEM_RESERVED;
		rm->start = h->start;
		rm->end = h->last;
		/* SMMUv3 (IORT): what the guest's stage 1 must identity-map */
		if (h->type == NIO_RESV_SW_MSI || h->type == NIO_RESV_DIRECT ||
		    h->type == NIO_RESV_DIRECT_RELAXABLE) {
			struct nio_guest_rmr *r = &g->rmr[g->num_rmr++];

			r->sid = sid;
			r->start = h->start;
			r->size = h->last - h->start + 1;
			r->source = h->type;
		}
		if (h->type == NIO_RESV_SW_MSI && sw < 0)
			sw = (int)i;
		for (uint32_t j = 0; j < l->n; j++) {
			const struct nio_guest_region *r = &l->r[j];
			uint64_t e = r->start + (r->size - 1);
			struct nio_guest_collision *c;

			if (!overlaps(h->start, h->last, r->start, e))
				continue;
			c = &g->collisions[g->num_collisions++];
			c->host = *h;
			c->guest = *r;
			c->start = h->start > r->start ? h->start : r->start;
			c->last = h->last < e ? h->last : e;
		}
	}
	for (uint32_t j = 0; j < l->n && !g->has_msi_gpa; j++)
		if (l->r[j].kind == NIO_GUEST_ITS) {
			g->has_msi_gpa = true;
			g->msi_gpa = l->r[j].start + ITS_TRANSLATER_OFFSET;
		}
	for (uint32_t j = 0; j < l->n && !g->has_msi_gpa; j++)
		if (l->r[j].kind == NIO_GUEST_GICV2M) {
			g->has_msi_gpa = true;
			g->msi_gpa = l->r[j].start + V2M_SETSPI_NS_OFFSET;
		}
	if (sw >= 0) {
		const struct nio_resv_region *h = &g->host[sw];

		g->has_msi_window = true;
		g->msi_start = h->start;
		g->msi_size = h->last - h->start + 1;
		g->msi_window_clean = true;
		for (uint32_t j = 0; j < l->n; j++)
			if (overlaps(h->start, h->last, l->r[j].start,
				     l->r[j].start + (l->r[j].size - 1)))
				g->msi_window_clean = false;
		if (!g->msi_window_clean)
			g->has_advice = find_window(g, l, sw, g->msi_size,
						    &g->advice_start);
	}
	return 0;
}

NIO_API void nio_guest_layout_free(struct nio_guest_layout *g)
{
	if (!g)
		return;
	free(g->host);
	free(g->guest);
	free(g->rmr);
	free(g->resv_mem);
	free(g->collisions);
	free(g);
}

NIO_API int nio_device_guest_layout(const char *device,
				    const struct nio_guest_layout_opts *opts,
				    struct nio_guest_layout **layout)
{
	const struct nio_resv_region *given;
	struct layout l = { .r = NULL };
	struct nio_guest_layout *g;
	uint64_t msi_start, msi_size;
	const char *root;
	uint32_t num_given;
	int ret;

	NIO_CHECK_ARG(NULL, layout);
	*layout = NULL;
	ret = NIO_OPTS_CHECK(NULL, opts, nio_guest_layout_opts);
	if (ret)
		return ret;
	given = NIO_OPTS_GET(opts, host, NULL);
	num_given = NIO_OPTS_GET(opts, num_host, 0);
	root = NIO_OPTS_GET(opts, sysfs_root, NULL);
	msi_start = NIO_OPTS_GET(opts, msi_start, 0);
	msi_size = NIO_OPTS_GET(opts, msi_size, 0);
	if (!root || !*root)
		root = "/sys";
	if (!device && !given)
		return nio_err(NULL, EINVAL,
			       "nio_device_guest_layout: give a device or opts->host");
	if (num_given > HOST_MAX_REGIONS || (num_given && !given))
		return nio_err(NULL, EINVAL,
			       "nio_device_guest_layout: opts->host has %u regions (at most %d)",
			       num_given, HOST_MAX_REGIONS);
	if (msi_size && (msi_start % 4096 || msi_size % 4096 ||
			 msi_start + msi_size < msi_start ||
			 msi_start + msi_size > IPA_LIMIT))
		return nio_err(NULL, EINVAL,
			       "nio_device_guest_layout: MSI window 0x%llx+0x%llx must be page aligned and below 2^48",
			       (unsigned long long)msi_start,
			       (unsigned long long)msi_size);
	g = calloc(1, sizeof(*g));
	if (!g)
		return nio_err(NULL, ENOMEM, "nio_device_guest_layout: out of memory");
	g->instance = -1;
	if (given) {
		g->host = calloc(num_given ? num_given : 1, sizeof(*g->host));
		if (!g->host) {
			ret = nio_err(NULL, ENOMEM, "nio_device_guest_layout: out of memory");
			goto fail;
		}
		for (uint32_t i = 0; i < num_given; i++) {
			if (given[i].last < given[i].start ||
			    (unsigned int)given[i].type > NIO_RESV_UNKNOWN) {
				ret = nio_err(NULL, EINVAL,
					      "nio_device_guest_layout: opts->host[%u] is not a region",
					      i);
				goto fail;
			}
			g->host[i] = given[i];
		}
		g->num_host = num_given;
	} else {
		ret = host_regions(device, root, g);
		if (ret)
			goto fail;
	}
	if (msi_size) {
		bool found = false;

		for (uint32_t i = 0; i < g->num_host; i++)
			if (g->host[i].type == NIO_RESV_SW_MSI) {
				g->host[i].start = msi_start;
				g->host[i].last = msi_start + msi_size - 1;
				found = true;
				break;
			}
		if (!found) {
			ret = nio_err(NULL, EINVAL,
				      "device %s has no SW_MSI window to move (its reserved regions have none)",
				      device ? device : "of opts->host");
			goto fail;
		}
	}
	ret = layout_load(opts, &l);
	if (ret)
		goto fail;
	snprintf(g->layout, sizeof(g->layout), "%s", l.name);
	ret = advise(g, &l, NIO_OPTS_GET(opts, sid, 0));
	if (ret)
		goto fail;
	g->guest = l.r;
	g->num_guest = l.n;
	*layout = g;
	return 0;
fail:
	free(l.r);
	nio_guest_layout_free(g);
	return ret;
}
