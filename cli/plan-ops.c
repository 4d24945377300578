// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nestctl apply: the operations a plan step names with "op", each a
 * function of the step being run (struct run, plan-int.h), and their
 * table (keys and help).  plan.c checks a step's shape against the table
 * before its operation runs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <nestiommu/nestiommu.h>
#include <nestiommu/smmuv3.h>

#include "nestctl.h"
#include "jarg.h"
#include "codec.h"
#include "jv.h"
#include "plan.h"
#include "plan-int.h"
#include "iommufd_test.h"

/* ------------------------------------------------------------------ */
/* Ops                                                                 */

static int map_flags(struct run *r, uint32_t *flags)
{
	bool rd = true, wr = true;
	int ret;

	if ((ret = get_bool(r, "readable", &rd)) || (ret = get_bool(r, "writable", &wr)))
		return ret;
	*flags = (rd ? NIO_MAP_READ : 0) | (wr ? NIO_MAP_WRITE : 0);
	return 0;
}

static int op_ioas_alloc(struct run *r)
{
	const char *name;
	uint32_t id;
	int ret;

	if ((ret = new_name(r, "name", true, &name)))
		return ret;
	ret = nio_ioas_alloc(r->s->ctx, &id);
	if (ret < 0)
		return kerr(r, ret, "nio_ioas_alloc");
	add_obj(r, name, K_IOAS, id);
	return 0;
}

static int op_ioas_map(struct run *r)
{
	struct pobj *ioas, *m;
	const char *name;
	uint32_t ioas_id;
	uint64_t length = 0, iova = 0, fill = 0, align = 0;
	bool fixed, use_memfd = false;
	uint32_t flags;
	size_t memlen;
	void *mem, *va;
	int ret, fd = -1;

	if ((ret = ref(r, "ioas", K_IOAS, true, &ioas)) ||
	    (ret = new_name(r, "name", false, &name)) ||
	    (ret = get_u64(r, "length", true, UINT64_MAX, &length)) ||
	    (ret = get_u64(r, "iova", false, UINT64_MAX, &iova)) ||
	    (ret = get_u64(r, "fill", false, 0xff, &fill)) ||
	    (ret = get_bool(r, "memfd", &use_memfd)) ||
	    (ret = get_u64(r, "va-align", false, 1ULL << 30, &align)) ||
	    (ret = map_flags(r, &flags)))
		return ret;
	fixed = jget(r->step, "iova") != NULL;
	if (!length || length > (1ULL << 40))
		return perr(r, "length", ERANGE,
			    "field \"length\": %" PRIu64 " is out of range "
			    "(1 to 2^40 bytes)", length);
	/*
	 * "va-align": the user address has exactly this alignment (the
	 * kernel aligns an IOVA it chooses like the address, so a recorded
	 * session needs the same to get the same IOVA).
	 */
	if (align && ((align & (align - 1)) || align < (uint64_t)sysconf(_SC_PAGESIZE) ||
		      use_memfd))
		return perr(r, "va-align", EINVAL,
			    "field \"va-align\": a power of two from the page size "
			    "to 2^30, for anonymous memory");
	memlen = length + (align ? 2 * align : 0);
	if (use_memfd) {
		fd = memfd_create("nestctl-map", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, (off_t)length)) {
			ret = -errno;
			if (fd >= 0)
				close(fd);
			return kerr(r, ret, "memfd_create");
		}
		mem = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	} else {
		mem = mmap(NULL, memlen, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (mem == MAP_FAILED) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		return kerr(r, ret, "mmap");
	}
	va = mem;
	if (align) /* aligned to align, not to 2 * align */
		va = (void *)((((uintptr_t)mem + 2 * align - 1) & ~(uintptr_t)(2 * align - 1)) +
			      align);
	if (fill) /* fresh anonymous and memfd memory is already zero */
		memset(va, (int)fill, length);
	if (fixed)
		flags |= NIO_MAP_FIXED_IOVA;
	if (use_memfd)
		ret = nio_ioas_map_file(r->s->ctx, ioas->id, fd, 0, length,
					&iova, flags);
	else
		ret = nio_ioas_map(r->s->ctx, ioas->id, va, length, &iova, flags);
	if (ret < 0) {
		munmap(mem, memlen);
		if (fd >= 0)
			close(fd);
		return kerr(r, ret, use_memfd ? "nio_ioas_map_file" : "nio_ioas_map");
	}
	ioas_id = ioas->id; /* add_obj() may move the table */
	m = add_obj(r, name, K_MAPPING, 0);
	m->ioas_id = ioas_id;
	m->iova = iova;
	m->length = length;
	m->mem = mem;
	m->va = va;
	m->memlen = memlen;
	m->memfd = fd;
	J_ADDR(r->res, "iova", iova);
	return 0;
}

/*
 * The bytes of a mapping at IOVA iova, len bytes: what a VMM sees of its
 * guest's RAM (the guest writing its tables, or reading what a device's
 * DMA left there).
 */
static int mapping_bytes(struct run *r, uint64_t len, uint8_t **p,
			 uint64_t *iova_out)
{
	struct pobj *m;
	uint64_t iova = 0;
	int ret;

	if ((ret = ref(r, "mapping", K_MAPPING, true, &m)) ||
	    (ret = get_u64(r, "iova", true, UINT64_MAX, &iova)))
		return ret;
	if (!m->va)
		return perr(r, "mapping", EINVAL,
			    "field \"mapping\": \"%s\" has no memory of this plan "
			    "(made by ioas-copy?)", m->name);
	if (iova < m->iova || iova - m->iova > m->length ||
	    len > m->length - (iova - m->iova))
		return perr(r, "iova", ERANGE,
			    "field \"iova\": 0x%" PRIx64 " + %" PRIu64 " bytes is "
			    "outside mapping \"%s\" (0x%" PRIx64 ", %" PRIu64 " bytes)",
			    iova, len, m->name, m->iova, m->length);
	*p = m->va + (iova - m->iova);
	*iova_out = iova;
	return 0;
}

#define MEM_WORDS_MAX 512

static int op_mem_write(struct run *r)
{
	uint64_t w[MEM_WORDS_MAX], iova;
	unsigned int n = 0;
	struct jv *v;
	uint8_t *p;
	int ret;

	if ((v = jget(r->step, "cd"))) {
		if (jget(r->step, "words"))
			return perr(r, "cd", EINVAL,
				    "give one of \"cd\" and \"words\"");
		if (codec_cd_from_json(&r->jc, "cd", v, w)) {
			r->field = "cd";
			return EXIT_USAGE;
		}
		n = 8;
	} else if ((v = jget(r->step, "words"))) {
		n = jv_is(v, JV_ARRAY) ? (unsigned int)jv_len(v) : 0;
		if (!n || n > MEM_WORDS_MAX)
			return perr(r, "words", EINVAL,
				    "field \"words\": expected an array of 1 to %d "
				    "64-bit words", MEM_WORDS_MAX);
		if (codec_words_from_json(&r->jc, "words", v, w, n)) {
			r->field = "words";
			return EXIT_USAGE;
		}
	} else {
		return perr(r, "words", EINVAL, "give \"cd\" or \"words\"");
	}
	if ((ret = mapping_bytes(r, 8ULL * n, &p, &iova)))
		return ret;
	words_to_le(w, n, p);
	J_ADDR(r->res, "iova", iova);
	J_U64(r->res, "length", 8ULL * n);
	if (jget(r->step, "cd")) {
		struct nio_smmuv3_features feat;
		struct json_object *cd;

		codec_default_features(&feat);
		cd = codec_cd_json(w, &feat, false, false);
		if (brief_output) { /* -b: the words and the verdict */
			json_object_object_del(cd, "fields");
			json_object_object_del(cd, "words");
		}
		json_object_object_add(r->res, "cd", cd);
	}
	return 0;
}

static int op_mem_read(struct run *r)
{
	static const char digits[] = "0123456789abcdef";
	char hex[2 * 4096 + 1];
	uint64_t len = 0, iova;
	uint8_t *p;
	int ret;

	if ((ret = get_u64(r, "length", true, 4096, &len)))
		return ret;
	if (!len)
		return perr(r, "length", ERANGE,
			    "field \"length\": 1 to 4096 bytes");
	if ((ret = mapping_bytes(r, len, &p, &iova)))
		return ret;
	for (uint64_t i = 0; i < len; i++) {
		hex[2 * i] = digits[p[i] >> 4];
		hex[2 * i + 1] = digits[p[i] & 0xf];
	}
	hex[2 * len] = '\0';
	J_ADDR(r->res, "iova", iova);
	J_U64(r->res, "length", len);
	J_STR(r->res, "data", hex);
	return 0;
}

static int op_ioas_unmap(struct run *r)
{
	struct pobj *ioas, *m;
	uint64_t iova = 0, length = 0, unmapped = 0;
	bool all = false;
	int ret;

	if ((ret = ref(r, "mapping", K_MAPPING, false, &m)) ||
	    (ret = ref(r, "ioas", K_IOAS, !m, &ioas)) ||
	    (ret = get_bool(r, "all", &all)))
		return ret;
	if (m) {
		if (jget(r->step, "iova") || jget(r->step, "length") || all ||
		    jget(r->step, "ioas"))
			return perr(r, "mapping", EINVAL,
				    "field \"mapping\" excludes \"ioas\", \"iova\", "
				    "\"length\" and \"all\"");
		ret = nio_ioas_unmap(r->s->ctx, m->ioas_id, m->iova, m->length,
				     &unmapped);
		if (ret < 0)
			return kerr(r, ret, "nio_ioas_unmap");
		forget(r->s, m);
	} else if (all) {
		ret = nio_ioas_unmap_all(r->s->ctx, ioas->id, &unmapped);
		if (ret < 0)
			return kerr(r, ret, "nio_ioas_unmap_all");
		for (size_t i = 0; i < r->s->nobjs; i++)
			if (r->s->objs[i].kind == K_MAPPING &&
			    r->s->objs[i].ioas_id == ioas->id)
				forget(r->s, &r->s->objs[i]);
	} else {
		if ((ret = get_u64(r, "iova", true, UINT64_MAX, &iova)) ||
		    (ret = get_u64(r, "length", true, UINT64_MAX, &length)))
			return ret;
		ret = nio_ioas_unmap(r->s->ctx, ioas->id, iova, length, &unmapped);
		if (ret < 0)
			return kerr(r, ret, "nio_ioas_unmap");
		for (size_t i = 0; i < r->s->nobjs; i++) {
			struct pobj *o = &r->s->objs[i];

			if (o->kind == K_MAPPING && !o->dead &&
			    o->ioas_id == ioas->id && o->iova >= iova &&
			    o->iova + o->length <= iova + length)
				forget(r->s, o);
		}
	}
	J_ADDR(r->res, "unmapped", unmapped);
	return 0;
}

static int op_ioas_copy(struct run *r)
{
	struct pobj *dst, *src, *m;
	uint32_t ioas_id;
	const char *name;
	uint64_t src_iova = 0, length = 0, iova = 0;
	uint32_t flags;
	int ret;

	if ((ret = new_name(r, "name", false, &name)) ||
	    (ret = ref(r, "dst", K_IOAS, true, &dst)) ||
	    (ret = ref(r, "src", K_IOAS, true, &src)) ||
	    (ret = get_u64(r, "src-iova", true, UINT64_MAX, &src_iova)) ||
	    (ret = get_u64(r, "length", true, UINT64_MAX, &length)) ||
	    (ret = get_u64(r, "iova", false, UINT64_MAX, &iova)) ||
	    (ret = map_flags(r, &flags)))
		return ret;
	if (jget(r->step, "iova"))
		flags |= NIO_MAP_FIXED_IOVA;
	ret = nio_ioas_copy(r->s->ctx, dst->id, src->id, src_iova, length,
			    &iova, flags);
	if (ret < 0)
		return kerr(r, ret, "nio_ioas_copy");
	ioas_id = dst->id; /* add_obj() may move the table */
	m = add_obj(r, name, K_MAPPING, 0);
	m->ioas_id = ioas_id;
	m->iova = iova;
	m->length = length;
	J_ADDR(r->res, "iova", iova);
	return 0;
}

static int op_ioas_iova_ranges(struct run *r)
{
	struct nio_iova_range ranges[64];
	struct json_object *a;
	uint32_t num = 64;
	uint64_t align = 0;
	struct pobj *ioas;
	int ret;

	if ((ret = ref(r, "ioas", K_IOAS, true, &ioas)) ||
	    (ret = get_u32(r, "num", false, &num)))
		return ret;
	if (num > 64)
		return perr(r, "num", ERANGE, "field \"num\": at most 64 ranges");
	/* "num" smaller than the count: EMSGSIZE, as a VMM's first probe */
	ret = nio_ioas_iova_ranges(r->s->ctx, ioas->id, ranges, &num, &align);
	J_U32(r->res, "count", num);
	if (ret < 0)
		return kerr(r, ret, "nio_ioas_iova_ranges");
	a = json_object_new_array();
	for (uint32_t i = 0; i < num; i++) {
		struct json_object *o = json_object_new_object();

		J_ADDR(o, "start", ranges[i].start);
		J_ADDR(o, "last", ranges[i].last);
		json_object_array_add(a, o);
	}
	json_object_object_add(r->res, "ranges", a);
	J_ADDR(r->res, "alignment", align);
	return 0;
}

static int op_ioas_allow_iovas(struct run *r)
{
	struct jv *v = jget(r->step, "ranges");
	struct nio_iova_range ranges[64];
	struct pobj *ioas;
	size_t n;
	int ret;

	if ((ret = ref(r, "ioas", K_IOAS, true, &ioas)))
		return ret;
	if (!v || !jv_is(v, JV_ARRAY))
		return perr(r, "ranges", EINVAL,
			    "field \"ranges\": expected an array of {\"start\", \"last\"}");
	n = jv_len(v);
	if (n > 64)
		return perr(r, "ranges", ERANGE, "field \"ranges\": at most 64 ranges");
	for (size_t i = 0; i < n; i++) {
		struct jv *e = jv_idx(v, i);
		static const char *const keys[] = { "start", "last", NULL };

		snprintf(r->jc.sub, sizeof(r->jc.sub), "ranges[%zu]: ", i);
		if (jcheck_keys(&r->jc, e, keys) ||
		    jget_u64(&r->jc, e, "start", true, UINT64_MAX, &ranges[i].start) ||
		    jget_u64(&r->jc, e, "last", true, UINT64_MAX, &ranges[i].last)) {
			r->field = "ranges";
			return EXIT_USAGE;
		}
		r->jc.sub[0] = '\0';
	}
	ret = nio_ioas_allow_iovas(r->s->ctx, ioas->id, ranges, (uint32_t)n);
	if (ret < 0)
		return kerr(r, ret, "nio_ioas_allow_iovas");
	return 0;
}

/* QEMU asks for it at start (CPR live update): a step of its own. */
static int op_ioas_change_process(struct run *r)
{
	int ret = nio_ioas_change_process(r->s->ctx);

	if (ret < 0)
		return kerr(r, ret, "nio_ioas_change_process");
	return 0;
}

static int op_option(struct run *r)
{
	struct jv *v = jget(r->step, "option");
	struct pobj *obj;
	uint64_t val = 0;
	enum nio_option opt;
	int ret;

	if (!v || !jv_is(v, JV_STRING))
		return perr(r, "option", EINVAL,
			    "field \"option\": expected \"rlimit-mode\" or \"huge-pages\"");
	if (!strcmp(jv_str(v), "rlimit-mode"))
		opt = NIO_OPTION_RLIMIT_MODE;
	else if (!strcmp(jv_str(v), "huge-pages"))
		opt = NIO_OPTION_HUGE_PAGES;
	else
		return perr(r, "option", EINVAL,
			    "field \"option\": unknown option \"%s\" (rlimit-mode, "
			    "huge-pages)", jv_str(v));
	if ((ret = ref(r, "ioas", K_IOAS, opt == NIO_OPTION_HUGE_PAGES, &obj)) ||
	    (ret = get_u64(r, "value", false, UINT64_MAX, &val)))
		return ret;
	if (jget(r->step, "value")) {
		ret = nio_option_set(r->s->ctx, opt, obj ? obj->id : 0, val);
		if (ret < 0)
			return kerr(r, ret, "nio_option_set");
	} else {
		ret = nio_option_get(r->s->ctx, opt, obj ? obj->id : 0, &val);
		if (ret < 0)
			return kerr(r, ret, "nio_option_get");
	}
	J_U64(r->res, "value", val);
	return 0;
}

static int op_device_bind(struct run *r)
{
	NIO_OPTS(nio_bind_opts, opts);
	const char *name, *dev;
	uint32_t id;
	int ret;

	if ((ret = new_name(r, "name", true, &name)))
		return ret;
	if (jget_str(&r->jc, r->step, "device", true, &dev)) {
		r->field = "device";
		return EXIT_USAGE;
	}
	opts.cdev_fd = -1;
	ret = nio_device_bind(r->s->ctx, dev, &opts, &id);
	if (ret < 0)
		return kerr(r, ret, "nio_device_bind");
	add_obj(r, name, K_DEVICE, id);
	return 0;
}

/*
 * The automatic HWPTs of a device end with its attachment: forget their
 * names when it is detached, replaced (keep: the one still in use) or
 * destroyed.
 */
static void forget_auto_hwpts(struct session *s, uint32_t dev_id, uint32_t keep)
{
	for (size_t i = 0; i < s->nobjs; i++) {
		struct pobj *o = &s->objs[i];

		if (!o->dead && o->kernel_owned && o->owner == dev_id &&
		    o->id != keep)
			forget(s, o);
	}
}

/* Register an automatic HWPT under "hwpt-name" if given. */
static int auto_hwpt(struct run *r, uint32_t dev_id, const char *hname,
		     uint32_t hwpt)
{
	struct json_object *res = r->res;

	forget_auto_hwpts(r->s, dev_id, hwpt);
	J_U32(res, "hwpt", hwpt);
	if (hname) {
		struct pobj *o;

		r->res = NULL;
		o = add_obj(r, hname, K_HWPT, hwpt);
		r->res = res;
		o->kernel_owned = true;
		o->owner = dev_id;
	}
	return 0;
}

static int mock_replace(struct run *r, struct pobj *dev, uint32_t pt,
			uint32_t *hwpt)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = dev->stdev_id,
		.mock_domain_replace = { .pt_id = pt },
	};

	if (ioctl(nio_ctx_fd(r->s->ctx), IOMMU_TEST_CMD, &cmd))
		return kerr(r, -errno, "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE");
	*hwpt = cmd.mock_domain_replace.pt_id;
	return 0;
}

static int op_device_attach(struct run *r)
{
	bool replace = !strcmp(r->opname, "device-replace");
	struct pobj *dev, *pt;
	const char *hname;
	uint32_t hwpt = 0;
	int ret;

	if ((ret = ref(r, "dev", K_DEVICE | K_MOCKDEV, true, &dev)) ||
	    (ret = ref(r, "pt", K_IOAS | K_HWPT, true, &pt)) ||
	    (ret = new_name(r, "hwpt-name", false, &hname)))
		return ret;
	if (dev->kind == K_MOCKDEV) {
		ret = mock_replace(r, dev, pt->id, &hwpt);
		if (ret)
			return ret;
	} else {
		ret = replace ? nio_device_replace(r->s->ctx, dev->id, pt->id, &hwpt)
			      : nio_device_attach(r->s->ctx, dev->id, pt->id, &hwpt);
		if (ret < 0)
			return kerr(r, ret, replace ? "nio_device_replace"
						    : "nio_device_attach");
	}
	return auto_hwpt(r, dev->id, pt->kind == K_IOAS ? hname : NULL, hwpt);
}

static int op_device_detach(struct run *r)
{
	struct pobj *dev;
	int ret;

	if ((ret = ref(r, "dev", K_DEVICE | K_MOCKDEV, true, &dev)))
		return ret;
	if (dev->kind == K_MOCKDEV)
		return perr(r, "dev", EOPNOTSUPP,
			    "field \"dev\": a mock device cannot be detached, "
			    "only replaced (device-replace) or destroyed");
	ret = nio_device_detach(r->s->ctx, dev->id);
	if (ret < 0)
		return kerr(r, ret, "nio_device_detach");
	forget_auto_hwpts(r->s, dev->id, 0);
	return 0;
}

static int op_device_pasid(struct run *r)
{
	bool attach = !strcmp(r->opname, "device-pasid-attach");
	struct pobj *dev, *pt = NULL;
	uint32_t pasid = 0, hwpt = 0;
	int ret;

	if ((ret = ref(r, "dev", K_DEVICE, true, &dev)) ||
	    (ret = get_u32(r, "pasid", true, &pasid)) ||
	    (attach && (ret = ref(r, "pt", K_IOAS | K_HWPT, true, &pt))))
		return ret;
	if (attach) {
		ret = nio_device_pasid_attach(r->s->ctx, dev->id, pasid, pt->id, &hwpt);
		if (ret < 0)
			return kerr(r, ret, "nio_device_pasid_attach");
		J_U32(r->res, "hwpt", hwpt);
	} else {
		ret = nio_device_pasid_detach(r->s->ctx, dev->id, pasid);
		if (ret < 0)
			return kerr(r, ret, "nio_device_pasid_detach");
	}
	return 0;
}

static int op_hw_info(struct run *r)
{
	struct nio_hw_info info = { .sz = sizeof(info) };
	struct jv *v = jget(r->step, "type");
	struct pobj *dev;
	int ret;

	if ((ret = ref(r, "dev", K_DEVICE | K_MOCKDEV, true, &dev)))
		return ret;
	if (v && (!jv_is(v, JV_STRING) ||
		  parse_hw_info_type(jv_str(v), &info.type)))
		return perr(r, "type", EINVAL,
			    "field \"type\": expected default, intel-vtd, "
			    "arm-smmuv3, tegra241-cmdqv, amd, selftest or a number");
	ret = nio_hw_info(r->s->ctx, dev->id, &info);
	if (ret < 0)
		return kerr(r, ret, "nio_hw_info");
	json_object_object_add(r->res, "hw-info", hw_info_json(&info));
	return 0;
}

static int op_hwpt_alloc(struct run *r)
{
	NIO_OPTS(nio_hwpt_alloc_opts, opts);
	struct iommu_hwpt_selftest st = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct jv *v;
	bool np = false, dirty = false, pasid = false;
	struct pobj *dev, *pt, *fault, *o;
	uint8_t data[NIO_HW_INFO_DATA_MAX];
	const char *name;
	uint64_t ste[2];
	uint32_t id;
	int ret, ndata = 0;

	if ((ret = new_name(r, "name", true, &name)) ||
	    (ret = ref(r, "dev", K_DEVICE | K_MOCKDEV, true, &dev)) ||
	    (ret = ref(r, "pt", K_IOAS | K_HWPT | K_VIOMMU, true, &pt)) ||
	    (ret = ref(r, "fault", K_FAULT, false, &fault)) ||
	    (ret = get_bool(r, "nest-parent", &np)) ||
	    (ret = get_bool(r, "dirty-tracking", &dirty)) ||
	    (ret = get_bool(r, "pasid", &pasid)))
		return ret;
	opts.flags = (np ? NIO_HWPT_NEST_PARENT : 0) |
		     (dirty ? NIO_HWPT_DIRTY_TRACKING : 0) |
		     (pasid ? NIO_HWPT_PASID : 0);
	if (fault) {
		opts.flags |= NIO_HWPT_FAULT_ID_VALID;
		opts.fault_id = fault->id;
	}
	if ((v = jget(r->step, "ste"))) {
		ndata++;
		if (codec_ste_from_json(&r->jc, "ste", v, ste)) {
			r->field = "ste";
			return EXIT_USAGE;
		}
		words_to_le(ste, 2, data);
		opts.data_type = NIO_HWPT_DATA_ARM_SMMUV3;
		opts.data_len = 16;
		opts.data = data;
		json_object_object_add(r->res, "ste", codec_ste_json(ste));
	}
	if ((v = jget(r->step, "selftest"))) {
		ndata++;
		if (jv_is(v, JV_OBJECT)) {
			static const char *const keys[] = { "iotlb", NULL };

			if (jcheck_keys(&r->jc, v, keys) ||
			    jget_u32(&r->jc, v, "iotlb", false, &st.iotlb)) {
				r->field = "selftest";
				return EXIT_USAGE;
			}
		} else if (!jv_is(v, JV_BOOL) ||
			   !v->b) {
			return perr(r, "selftest", EINVAL,
				    "field \"selftest\": expected true or {\"iotlb\": N}");
		}
		opts.data_type = IOMMU_HWPT_DATA_SELFTEST;
		opts.data_len = sizeof(st);
		opts.data = &st;
	}
	if ((v = jget(r->step, "data"))) {
		uint64_t words[NIO_HW_INFO_DATA_MAX / 8], dt = 0;
		size_t n = jv_is(v, JV_ARRAY) ?
			   jv_len(v) : 0;

		ndata++;
		if (!n || n > NIO_HW_INFO_DATA_MAX / 8)
			return perr(r, "data", EINVAL,
				    "field \"data\": expected an array of 1 to %d "
				    "64-bit words", NIO_HW_INFO_DATA_MAX / 8);
		if (codec_words_from_json(&r->jc, "data", v, words, (unsigned int)n)) {
			r->field = "data";
			return EXIT_USAGE;
		}
		if ((ret = get_u64(r, "data-type", true, UINT32_MAX, &dt)))
			return ret;
		words_to_le(words, (unsigned int)n, data);
		opts.data_type = (uint32_t)dt;
		opts.data_len = (uint32_t)(n * 8);
		opts.data = data;
	} else if (jget(r->step, "data-type")) {
		return perr(r, "data-type", EINVAL,
			    "field \"data-type\" needs \"data\"");
	}
	if (ndata > 1)
		return perr(r, "data", EINVAL,
			    "give at most one of \"ste\", \"selftest\" and \"data\"");
	if (pt->kind == K_VIOMMU && !ndata)
		return perr(r, "pt", EINVAL,
			    "field \"pt\": a nested HWPT on a vIOMMU needs "
			    "\"ste\", \"selftest\" or \"data\"");
	ret = nio_hwpt_alloc(r->s->ctx, dev->id, pt->id, &opts, &id);
	if (ret < 0)
		return kerr(r, ret, "nio_hwpt_alloc");
	o = add_obj(r, name, K_HWPT, id);
	o->type = opts.data_type;
	return 0;
}

static int op_hwpt_dirty(struct run *r)
{
	struct pobj *hwpt;
	bool enable = true;
	int ret;

	if ((ret = ref(r, "hwpt", K_HWPT, true, &hwpt)) ||
	    (ret = get_bool(r, "enable", &enable)))
		return ret;
	ret = nio_hwpt_set_dirty_tracking(r->s->ctx, hwpt->id, enable);
	if (ret < 0)
		return kerr(r, ret, "nio_hwpt_set_dirty_tracking");
	return 0;
}

const struct named_value viommu_types[] = {
	{ "default", NIO_VIOMMU_DEFAULT },
	{ "arm-smmuv3", NIO_VIOMMU_ARM_SMMUV3 },
	{ "tegra241-cmdqv", NIO_VIOMMU_TEGRA241_CMDQV },
	{ "selftest", NIO_VIOMMU_SELFTEST },
	{ 0 },
};

const struct named_value veventq_types[] = {
	{ "default", NIO_VEVENTQ_DEFAULT },
	{ "arm-smmuv3", NIO_VEVENTQ_ARM_SMMUV3 },
	{ "tegra241-cmdqv", NIO_VEVENTQ_TEGRA241_CMDQV },
	{ "selftest", NIO_VEVENTQ_SELFTEST },
	{ 0 },
};

static const struct named_value inv_types[] = {
	{ "vtd-s1", NIO_INVALIDATE_VTD_S1 },
	{ "arm-smmuv3", NIO_INVALIDATE_ARM_SMMUV3 },
	{ "selftest", NIO_INVALIDATE_SELFTEST },
	{ 0 },
};

const struct named_value hwpt_data_types[] = {
	{ "none", NIO_HWPT_DATA_NONE },
	{ "vtd-s1", NIO_HWPT_DATA_VTD_S1 },
	{ "arm-smmuv3", NIO_HWPT_DATA_ARM_SMMUV3 },
	{ "amd-guest", NIO_HWPT_DATA_AMD_GUEST },
	{ "selftest", NIO_HWPT_DATA_SELFTEST },
	{ 0 },
};

const char *value_name(const struct named_value *t, uint32_t v)
{
	for (; t->name; t++)
		if (t->value == v)
			return t->name;
	return NULL;
}

static const struct named_value hwq_types[] = {
	{ "default", 0 },
	{ "tegra241-cmdqv", 1 },
	{ "selftest", IOMMU_HW_QUEUE_TYPE_SELFTEST },
	{ 0 },
};

/* "type": a name from the table or a number; *out untouched if absent. */
static int get_type(struct run *r, const char *key,
		    const struct named_value *t, uint32_t *out)
{
	struct jv *v = jget(r->step, key);
	char list[200] = "";
	size_t n = 0;

	if (!v)
		return 0;
	if (jv_is(v, JV_STRING)) {
		for (const struct named_value *p = t; p->name; p++)
			if (!strcmp(p->name, jv_str(v))) {
				*out = p->value;
				return 0;
			}
		for (const struct named_value *p = t; p->name; p++)
			n += snprintf(list + n, sizeof(list) - n, "%s, ", p->name);
		return perr(r, key, EINVAL,
			    "field \"%s\": unknown type \"%s\" (%sor a number)",
			    key, jv_str(v), list);
	}
	return get_u32(r, key, false, out);
}

static int op_viommu_alloc(struct run *r)
{
	NIO_OPTS(nio_viommu_alloc_opts, opts);
	uint64_t words[NIO_HW_INFO_DATA_MAX / 8];
	uint8_t data[NIO_HW_INFO_DATA_MAX] = { 0 };
	struct jv *v;
	struct pobj *dev, *hwpt, *o;
	uint32_t type = NIO_VIOMMU_ARM_SMMUV3, id;
	const char *name;
	int ret;

	if ((ret = new_name(r, "name", true, &name)) ||
	    (ret = ref(r, "dev", K_DEVICE | K_MOCKDEV, true, &dev)) ||
	    (ret = ref(r, "hwpt", K_HWPT, true, &hwpt)))
		return ret;
	if (dev->kind == K_MOCKDEV)
		type = NIO_VIOMMU_SELFTEST;
	if ((ret = get_type(r, "type", viommu_types, &type)))
		return ret;
	if ((v = jget(r->step, "data"))) {
		size_t n = jv_is(v, JV_ARRAY) ?
			   jv_len(v) : 0;

		if (!n || n > NIO_HW_INFO_DATA_MAX / 8)
			return perr(r, "data", EINVAL,
				    "field \"data\": expected an array of 1 to %d "
				    "64-bit words", NIO_HW_INFO_DATA_MAX / 8);
		if (codec_words_from_json(&r->jc, "data", v, words, (unsigned int)n)) {
			r->field = "data";
			return EXIT_USAGE;
		}
		words_to_le(words, (unsigned int)n, data);
		opts.data = data;
		opts.data_len = (uint32_t)(n * 8);
	}
	ret = nio_viommu_alloc(r->s->ctx, dev->id, hwpt->id, type, &opts, &id);
	if (ret < 0)
		return kerr(r, ret, "nio_viommu_alloc");
	o = add_obj(r, name, K_VIOMMU, id);
	o->type = type;
	if (opts.data_len) {
		struct json_object *a = json_object_new_array();

		for (uint32_t i = 0; i < opts.data_len; i += 8) {
			uint64_t w;

			memcpy(&w, data + i, 8);
			json_object_array_add(a, j_hex_string(le64toh(w)));
		}
		json_object_object_add(r->res, "data-hex", a);
	}
	return 0;
}

static int op_vdevice_alloc(struct run *r)
{
	struct pobj *viommu, *dev;
	uint64_t virt = 0;
	const char *name;
	uint32_t id;
	int ret;

	if ((ret = new_name(r, "name", true, &name)) ||
	    (ret = ref(r, "viommu", K_VIOMMU, true, &viommu)) ||
	    (ret = ref(r, "dev", K_DEVICE | K_MOCKDEV, true, &dev)) ||
	    (ret = get_u64(r, "virt-id", true, UINT64_MAX, &virt)))
		return ret;
	ret = nio_vdevice_alloc(r->s->ctx, viommu->id, dev->id, virt, &id);
	if (ret < 0)
		return kerr(r, ret, "nio_vdevice_alloc");
	add_obj(r, name, K_VDEVICE, id);
	J_ADDR(r->res, "virt-id", virt);
	return 0;
}

static int op_hw_queue_alloc(struct run *r)
{
	uint64_t iova = 0, length = 0;
	uint32_t type = 0, index = 0, id;
	struct pobj *viommu;
	const char *name;
	int ret;

	if ((ret = new_name(r, "name", true, &name)) ||
	    (ret = ref(r, "viommu", K_VIOMMU, true, &viommu)) ||
	    (ret = get_type(r, "type", hwq_types, &type)) ||
	    (ret = get_u32(r, "index", false, &index)) ||
	    (ret = get_u64(r, "iova", true, UINT64_MAX, &iova)) ||
	    (ret = get_u64(r, "length", true, UINT64_MAX, &length)))
		return ret;
	if (!jget(r->step, "type") && viommu->type == NIO_VIOMMU_SELFTEST)
		type = IOMMU_HW_QUEUE_TYPE_SELFTEST;
	ret = nio_hw_queue_alloc(r->s->ctx, viommu->id, type, index, iova,
				 length, &id);
	if (ret < 0)
		return kerr(r, ret, "nio_hw_queue_alloc");
	add_obj(r, name, K_HWQUEUE, id);
	return 0;
}

/* One invalidation entry of the given type into buf. */
static int inv_entry(struct run *r, uint32_t type, bool on_viommu,
		     struct jv *e, size_t i, uint8_t *buf,
		     uint32_t *len)
{
	char key[32];

	snprintf(key, sizeof(key), "entries[%zu]", i);
	r->field = "entries";
	if (type == NIO_INVALIDATE_ARM_SMMUV3) {
		uint64_t w[2];

		if (codec_cmd_from_json(&r->jc, key, e, w))
			return EXIT_USAGE;
		words_to_le(w, 2, buf);
		*len = 16;
		return 0;
	}
	if (type == NIO_INVALIDATE_SELFTEST || type == NIO_INVALIDATE_VTD_S1) {
		static const char *const st_hwpt[] = { "all", "flags", "iotlb-id", NULL };
		static const char *const st_viommu[] = { "all", "flags", "vdev-id",
							 "cache-id", NULL };
		static const char *const vtd[] = { "addr", "npages", "flags", NULL };
		const char *const *keys = type == NIO_INVALIDATE_VTD_S1 ? vtd :
					  on_viommu ? st_viommu : st_hwpt;
		uint32_t flags = 0;
		bool all = false;
		int bad;

		snprintf(r->jc.sub, sizeof(r->jc.sub), "%s: ", key);
		bad = jcheck_keys(&r->jc, e, keys) ||
		      jget_bool(&r->jc, e, "all", &all) ||
		      jget_u32(&r->jc, e, "flags", false, &flags);
		if (all)
			flags |= IOMMU_TEST_INVALIDATE_FLAG_ALL;
		if (!bad && type == NIO_INVALIDATE_VTD_S1) {
			uint64_t addr = 0, npages = 0;

			bad = jget_u64(&r->jc, e, "addr", true, UINT64_MAX, &addr) ||
			      jget_u64(&r->jc, e, "npages", true, UINT64_MAX, &npages);
			memset(buf, 0, 24);
			memcpy(buf, &addr, 8);
			memcpy(buf + 8, &npages, 8);
			memcpy(buf + 16, &flags, 4);
			*len = 24;
		} else if (!bad && on_viommu) {
			struct iommu_viommu_invalidate_selftest s = { .flags = flags };

			bad = jget_u32(&r->jc, e, "vdev-id", !all, &s.vdev_id) ||
			      jget_u32(&r->jc, e, "cache-id", !all, &s.cache_id);
			memcpy(buf, &s, sizeof(s));
			*len = sizeof(s);
		} else if (!bad) {
			struct iommu_hwpt_invalidate_selftest s = { .flags = flags };

			bad = jget_u32(&r->jc, e, "iotlb-id", !all, &s.iotlb_id);
			memcpy(buf, &s, sizeof(s));
			*len = sizeof(s);
		}
		r->jc.sub[0] = '\0';
		return bad ? EXIT_USAGE : 0;
	}
	return perr(r, "type", EOPNOTSUPP,
		    "field \"type\": nestctl cannot build entries of type 0x%x", type);
}

static int op_invalidate(struct run *r)
{
	struct jv *entries = jget(r->step, "entries");
	struct pobj *target;
	uint32_t type = UINT32_MAX, len = 0, num;
	uint8_t *buf;
	size_t n;
	int ret;

	if ((ret = ref(r, "target", K_HWPT | K_VIOMMU, true, &target)))
		return ret;
	if (target->kind == K_VIOMMU)
		type = target->type == NIO_VIOMMU_SELFTEST ? NIO_INVALIDATE_SELFTEST
							   : NIO_INVALIDATE_ARM_SMMUV3;
	else if (target->type == IOMMU_HWPT_DATA_SELFTEST)
		type = NIO_INVALIDATE_SELFTEST;
	else if (target->type == NIO_HWPT_DATA_VTD_S1)
		type = NIO_INVALIDATE_VTD_S1;
	if ((ret = get_type(r, "type", inv_types, &type)))
		return ret;
	if (type == UINT32_MAX)
		return perr(r, "type", EINVAL, "missing field \"type\" (the target "
			    "gives no default)");
	if (!entries || !jv_is(entries, JV_ARRAY))
		return perr(r, "entries", EINVAL,
			    "field \"entries\": expected an array (of commands, "
			    "as fields or hex words)");
	n = jv_len(entries);
	if (n > 4096)
		return perr(r, "entries", ERANGE, "field \"entries\": at most 4096");
	buf = calloc(n ? n : 1, 24);
	if (!buf)
		return kerr(r, -ENOMEM, "calloc");
	len = type == NIO_INVALIDATE_ARM_SMMUV3 ? 16 :
	      type == NIO_INVALIDATE_VTD_S1 ? 24 :
	      target->kind == K_VIOMMU ? 12 : 8;
	for (size_t i = 0; i < n; i++) {
		uint32_t l = 0;

		ret = inv_entry(r, type, target->kind == K_VIOMMU,
				jv_idx(entries, i), i,
				buf + i * 24, &l);
		if (ret) {
			free(buf);
			return ret;
		}
		len = l;
	}
	/* entries were built with a stride of 24 bytes: pack them */
	for (size_t i = 1; i < n; i++)
		memmove(buf + i * len, buf + i * 24, len);
	r->field = NULL;
	num = (uint32_t)n;
	ret = nio_invalidate(r->s->ctx, target->id, type, buf, len, &num);
	free(buf);
	J_U32(r->res, "entries", (uint32_t)n);
	J_U32(r->res, "processed", num);
	if (ret < 0) {
		ret = kerr(r, ret, "nio_invalidate");
		if (num < n) {
			static char field[32];

			snprintf(field, sizeof(field), "entries[%u]", num);
			r->field = field;
		}
		return ret;
	}
	return 0;
}

static int op_veventq_alloc(struct run *r)
{
	struct pobj *viommu, *o;
	uint32_t type, depth = 64, id;
	const char *name;
	int ret;

	if ((ret = new_name(r, "name", true, &name)) ||
	    (ret = ref(r, "viommu", K_VIOMMU, true, &viommu)) ||
	    (ret = get_u32(r, "depth", false, &depth)))
		return ret;
	type = viommu->type == NIO_VIOMMU_SELFTEST ? NIO_VEVENTQ_SELFTEST
						   : NIO_VEVENTQ_ARM_SMMUV3;
	if ((ret = get_type(r, "type", veventq_types, &type)))
		return ret;
	ret = nio_veventq_alloc(r->s->ctx, viommu->id, type, depth, &id);
	if (ret < 0)
		return kerr(r, ret, "nio_veventq_alloc");
	o = add_obj(r, name, K_VEVENTQ, id);
	o->type = type;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

struct json_object *vevent_json(uint32_t type, const struct nio_vevent *e)
{
	struct json_object *o = json_object_new_object();

	J_U32(o, "sequence", e->sequence);
	J_U32(o, "gap", e->gap);
	J_BOOL(o, "lost-events", e->flags & NIO_VEVENT_LOST_EVENTS);
	if (e->flags & NIO_VEVENT_LOST_EVENTS)
		return o;
	if (type == NIO_VEVENTQ_ARM_SMMUV3 && e->data_len == 32) {
		uint64_t w[4];

		memcpy(w, e->data, 32);
		for (int i = 0; i < 4; i++)
			w[i] = le64toh(w[i]);
		json_object_object_add(o, "smmuv3", codec_event_json(w));
	} else if (type == NIO_VEVENTQ_SELFTEST && e->data_len >= 4) {
		uint32_t virt;

		memcpy(&virt, e->data, 4);
		J_ADDR(o, "virt-id", virt);
	} else {
		struct json_object *a = json_object_new_array();

		for (uint32_t i = 0; i + 8 <= e->data_len; i += 8) {
			uint64_t w;

			memcpy(&w, e->data + i, 8);
			json_object_array_add(a, j_hex_string(le64toh(w)));
		}
		json_object_object_add(o, "data-hex", a);
	}
	return o;
}

struct json_object *fault_json(const struct nio_fault *f)
{
	struct json_object *o = json_object_new_object(), *p;

	J_U32(o, "dev", f->dev_id);
	J_BOOL(o, "pasid-valid", f->flags & NIO_FAULT_PASID_VALID);
	J_BOOL(o, "last-page", f->flags & NIO_FAULT_LAST_PAGE);
	J_U32(o, "pasid", f->pasid);
	J_U32(o, "grpid", f->grpid);
	p = json_object_new_array();
	if (f->perm & NIO_FAULT_PERM_READ)
		json_object_array_add(p, json_object_new_string("read"));
	if (f->perm & NIO_FAULT_PERM_WRITE)
		json_object_array_add(p, json_object_new_string("write"));
	if (f->perm & NIO_FAULT_PERM_EXEC)
		json_object_array_add(p, json_object_new_string("exec"));
	if (f->perm & NIO_FAULT_PERM_PRIV)
		json_object_array_add(p, json_object_new_string("priv"));
	json_object_object_add(o, "perm", p);
	J_ADDR(o, "addr", f->addr);
	J_U32(o, "length", f->length);
	J_U32(o, "cookie", f->cookie);
	return o;
}

/* veventq-read and fault-read: poll up to wait-ms for at least min. */
static int op_queue_read(struct run *r)
{
	bool fault = !strcmp(r->opname, "fault-read");
	struct json_object *a = json_object_new_array();
	uint32_t max = 16, min = 0, wait = 0;
	struct pobj *q;
	uint32_t got = 0;
	int64_t deadline;
	int ret, fd;

	json_object_object_add(r->res, fault ? "faults" : "events", a);
	if ((ret = ref(r, fault ? "fault" : "veventq", fault ? K_FAULT : K_VEVENTQ,
		       true, &q)) ||
	    (ret = get_u32(r, "max", false, &max)) ||
	    (ret = get_u32(r, "min", false, &min)))
		return ret;
	if (min)
		wait = 1000;
	if ((ret = get_u32(r, "wait-ms", false, &wait)))
		return ret;
	if (!max || max > 1024 || min > max)
		return perr(r, "max", ERANGE,
			    "field \"max\": 1 to 1024 records, and not below \"min\"");
	fd = fault ? q->fd : nio_veventq_fd(r->s->ctx, q->id);
	deadline = now_ms() + wait;
	for (;;) {
		if (fault) {
			struct nio_fault f[16];

			ret = nio_fault_read(r->s->ctx, q->id, f,
					     max - got < 16 ? max - got : 16);
			for (int i = 0; i < ret; i++)
				json_object_array_add(a, fault_json(&f[i]));
		} else {
			struct nio_vevent e[16];

			ret = nio_veventq_read(r->s->ctx, q->id, e,
					       max - got < 16 ? max - got : 16);
			for (int i = 0; i < ret; i++)
				json_object_array_add(a, vevent_json(q->type, &e[i]));
		}
		if (ret < 0 && ret != -EAGAIN)
			return kerr(r, ret, fault ? "nio_fault_read" : "nio_veventq_read");
		if (ret > 0)
			got += (uint32_t)ret;
		if (got >= max || (ret <= 0 && got >= min && now_ms() >= deadline) ||
		    (ret <= 0 && got >= min && min))
			break;
		if (ret <= 0) {
			int64_t left = deadline - now_ms();
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			if (left <= 0)
				break;
			if (fd >= 0)
				poll(&pfd, 1, (int)left);
			else
				usleep(1000);
		}
	}
	if (got < min) {
		jerr(&r->jc, ETIMEDOUT, "%u record(s) after %u ms, expected at "
		     "least %u", got, wait, min);
		r->field = "min";
		return EXIT_KERNEL;
	}
	return 0;
}

static int op_fault_alloc(struct run *r)
{
	const char *name;
	uint32_t id;
	struct pobj *o;
	int ret, fd;

	if ((ret = new_name(r, "name", true, &name)))
		return ret;
	ret = nio_fault_alloc(r->s->ctx, &id, &fd);
	if (ret < 0)
		return kerr(r, ret, "nio_fault_alloc");
	o = add_obj(r, name, K_FAULT, id);
	/* the descriptor belongs to the context; kept for poll() only */
	o->fd = fd;
	return 0;
}

static int op_fault_respond(struct run *r)
{
	struct pobj *q;
	uint32_t cookie = 0, code = 0;
	struct jv *v = jget(r->step, "code");
	int ret;

	if ((ret = ref(r, "fault", K_FAULT, true, &q)) ||
	    (ret = get_u32(r, "cookie", true, &cookie)))
		return ret;
	if (v && jv_is(v, JV_STRING)) {
		if (!strcmp(jv_str(v), "success"))
			code = NIO_FAULT_RESP_SUCCESS;
		else if (!strcmp(jv_str(v), "invalid"))
			code = NIO_FAULT_RESP_INVALID;
		else
			return perr(r, "code", EINVAL,
				    "field \"code\": expected success, invalid or a number");
	} else if ((ret = get_u32(r, "code", false, &code))) {
		return ret;
	}
	ret = nio_fault_respond(r->s->ctx, q->id, cookie, code);
	if (ret < 0)
		return kerr(r, ret, "nio_fault_respond");
	return 0;
}

static int op_destroy(struct run *r)
{
	struct pobj *o;
	int ret;

	if ((ret = ref(r, "object", ~(unsigned int)K_MAPPING, true, &o)))
		return ret;
	if (o->kernel_owned)
		return perr(r, "object", EINVAL,
			    "field \"object\": \"%s\" is an automatic HWPT, "
			    "destroyed with its last attachment", o->name);
	J_U32(r->res, "id", o->id);
	ret = destroy_obj(r->s, o);
	if (!ret && (o->kind & (K_DEVICE | K_MOCKDEV)))
		forget_auto_hwpts(r->s, o->id, 0);
	if (ret < 0)
		return kerr(r, ret, o->kind == K_MOCKDEV ? "IOMMU_DESTROY" : "nio_destroy");
	/* A destroyed device takes its automatic HWPTs' names along. */
	return 0;
}

/* A call recorded by libnestiommu-record that no operation expresses. */
static int op_opaque(struct run *r)
{
	J_BOOL(r->res, "skipped", true);
	return 0;
}

/* ---- IOMMUFD_TEST mock ops ---- */

static int test_cmd(struct run *r, struct iommu_test_cmd *cmd, const char *what)
{
	cmd->size = sizeof(*cmd);
	if (ioctl(nio_ctx_fd(r->s->ctx), IOMMU_TEST_CMD, cmd)) {
		int err = errno;

		if (err == ENOTTY)
			jerr(&r->jc, err, "%s: the kernel has no IOMMUFD_TEST "
			     "(CONFIG_IOMMUFD_TEST=y is needed for mock-* steps)",
			     what);
		else
			jerr(&r->jc, err, "%s: %s", what, strerror(err));
		return EXIT_KERNEL;
	}
	return 0;
}

static int op_mock_device(struct run *r)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS };
	struct jv *flags = jget(r->step, "flags");
	const char *name, *hname;
	struct pobj *pt, *o;
	bool on_ioas;
	int ret;

	if ((ret = new_name(r, "name", true, &name)) ||
	    (ret = ref(r, "pt", K_IOAS | K_HWPT, true, &pt)) ||
	    (ret = new_name(r, "hwpt-name", false, &hname)))
		return ret;
	if (hname && name && !strcmp(hname, name))
		return perr(r, "hwpt-name", EEXIST,
			    "field \"hwpt-name\": same as \"name\"");
	if (flags) {
		size_t n = jv_is(flags, JV_ARRAY) ?
			   jv_len(flags) : 0;

		if (!jv_is(flags, JV_ARRAY))
			return perr(r, "flags", EINVAL,
				    "field \"flags\": expected an array of "
				    "\"no-dirty\", \"pasid\"");
		for (size_t i = 0; i < n; i++) {
			const char *f = jv_str(
				jv_idx(flags, i));

			if (f && !strcmp(f, "no-dirty"))
				cmd.mock_domain_flags.dev_flags |= MOCK_FLAGS_DEVICE_NO_DIRTY;
			else if (f && !strcmp(f, "pasid"))
				cmd.mock_domain_flags.dev_flags |= MOCK_FLAGS_DEVICE_PASID;
			else
				return perr(r, "flags", EINVAL,
					    "field \"flags\": unknown flag \"%s\" "
					    "(no-dirty, pasid)", f ? f : "?");
		}
	}
	cmd.id = pt->id;
	on_ioas = pt->kind == K_IOAS; /* add_obj() may move the table */
	if ((ret = test_cmd(r, &cmd, "IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS")))
		return ret;
	o = add_obj(r, name, K_MOCKDEV, cmd.mock_domain_flags.out_idev_id);
	o->stdev_id = cmd.mock_domain_flags.out_stdev_id;
	J_U32(r->res, "stdev-id", o->stdev_id);
	return auto_hwpt(r, o->id, on_ioas ? hname : NULL,
			 cmd.mock_domain_flags.out_hwpt_id);
}

static int op_mock_trigger_vevent(struct run *r)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT };
	uint32_t count = 1;
	struct pobj *dev;
	int ret;

	if ((ret = ref(r, "dev", K_MOCKDEV, true, &dev)) ||
	    (ret = get_u32(r, "count", false, &count)))
		return ret;
	if (count > 65536)
		return perr(r, "count", ERANGE, "field \"count\": at most 65536");
	cmd.trigger_vevent.dev_id = dev->id;
	for (uint32_t i = 0; i < count; i++)
		if ((ret = test_cmd(r, &cmd, "IOMMU_TEST_OP_TRIGGER_VEVENT")))
			return ret;
	return 0;
}

static int op_mock_trigger_iopf(struct run *r)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_TRIGGER_IOPF };
	struct pobj *dev;
	uint64_t addr = 0;
	int ret;

	if ((ret = ref(r, "dev", K_MOCKDEV, true, &dev)) ||
	    (ret = get_u32(r, "pasid", false, &cmd.trigger_iopf.pasid)) ||
	    (ret = get_u32(r, "grpid", false, &cmd.trigger_iopf.grpid)) ||
	    (ret = get_u32(r, "perm", false, &cmd.trigger_iopf.perm)) ||
	    (ret = get_u64(r, "addr", false, UINT64_MAX, &addr)))
		return ret;
	cmd.trigger_iopf.dev_id = dev->id;
	cmd.trigger_iopf.addr = addr;
	return test_cmd(r, &cmd, "IOMMU_TEST_OP_TRIGGER_IOPF");
}

static int op_mock_check(struct run *r)
{
	bool iotlb = !strcmp(r->opname, "mock-check-iotlb");
	struct iommu_test_cmd cmd = {
		.op = iotlb ? IOMMU_TEST_OP_MD_CHECK_IOTLB
			    : IOMMU_TEST_OP_DEV_CHECK_CACHE,
	};
	uint32_t idx = 0, expect = iotlb ? IOMMU_TEST_IOTLB_DEFAULT
					 : IOMMU_TEST_DEV_CACHE_DEFAULT;
	struct pobj *o;
	int ret;

	if ((ret = ref(r, iotlb ? "hwpt" : "dev", iotlb ? K_HWPT : K_MOCKDEV,
		       true, &o)) ||
	    (ret = get_u32(r, iotlb ? "iotlb-id" : "cache-id", true, &idx)) ||
	    (ret = get_u32(r, "expect", false, &expect)))
		return ret;
	cmd.id = o->id;
	cmd.check_iotlb.id = idx; /* same layout as check_dev_cache */
	cmd.check_iotlb.iotlb = expect;
	ret = test_cmd(r, &cmd, iotlb ? "IOMMU_TEST_OP_MD_CHECK_IOTLB"
				      : "IOMMU_TEST_OP_DEV_CHECK_CACHE");
	if (ret && r->jc.err == EINVAL)
		jerr(&r->jc, EINVAL, "%s %u does not hold 0x%x (or the index is "
		     "out of range)", iotlb ? "IOTLB entry" : "device cache entry",
		     idx, expect);
	return ret;
}


/* ------------------------------------------------------------------ */

#define KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })

const struct op plan_ops[] = {
	{ "ioas-alloc", op_ioas_alloc, KEYS("name"), "allocate an IOAS" },
	{ "ioas-map", op_ioas_map,
	  KEYS("ioas", "name", "length", "iova", "readable", "writable", "fill",
	       "memfd", "va-align"),
	  "map fresh memory (anonymous or memfd) into an IOAS" },
	{ "mem-write", op_mem_write, KEYS("mapping", "iova", "cd", "words"),
	  "write words or an encoded CD into a mapping's memory (guest RAM)" },
	{ "mem-read", op_mem_read, KEYS("mapping", "iova", "length"),
	  "read bytes of a mapping's memory in hex" },
	{ "ioas-unmap", op_ioas_unmap,
	  KEYS("mapping", "ioas", "iova", "length", "all"), "unmap IOVA ranges" },
	{ "ioas-copy", op_ioas_copy,
	  KEYS("name", "dst", "src", "src-iova", "length", "iova", "readable",
	       "writable"),
	  "copy a mapping from one IOAS to another" },
	{ "ioas-iova-ranges", op_ioas_iova_ranges, KEYS("ioas", "num"),
	  "report the usable IOVA ranges" },
	{ "ioas-allow-iovas", op_ioas_allow_iovas, KEYS("ioas", "ranges"),
	  "restrict the allowed IOVA ranges" },
	{ "ioas-change-process", op_ioas_change_process, KEYS(NULL),
	  "move the pinned pages' accounting to this process" },
	{ "option", op_option, KEYS("option", "ioas", "value"),
	  "get or set an iommufd option" },
	{ "device-bind", op_device_bind, KEYS("name", "device"),
	  "open a VFIO cdev and bind it" },
	{ "device-attach", op_device_attach, KEYS("dev", "pt", "hwpt-name"),
	  "attach a device to an IOAS or HWPT" },
	{ "device-replace", op_device_attach, KEYS("dev", "pt", "hwpt-name"),
	  "replace a device's attachment" },
	{ "device-detach", op_device_detach, KEYS("dev"), "detach a device" },
	{ "device-pasid-attach", op_device_pasid, KEYS("dev", "pasid", "pt"),
	  "attach a PASID of a device" },
	{ "device-pasid-detach", op_device_pasid, KEYS("dev", "pasid"),
	  "detach a PASID of a device" },
	{ "hw-info", op_hw_info, KEYS("dev", "type"), "read and decode hw_info" },
	{ "hwpt-alloc", op_hwpt_alloc,
	  KEYS("name", "dev", "pt", "nest-parent", "dirty-tracking", "pasid",
	       "fault", "ste", "selftest", "data", "data-type"),
	  "allocate a paging, nest-parent or nested HWPT" },
	{ "hwpt-dirty-tracking", op_hwpt_dirty, KEYS("hwpt", "enable"),
	  "switch dirty tracking" },
	{ "viommu-alloc", op_viommu_alloc, KEYS("name", "dev", "hwpt", "type", "data"),
	  "allocate a vIOMMU on a nest-parent HWPT" },
	{ "vdevice-alloc", op_vdevice_alloc, KEYS("name", "viommu", "dev", "virt-id"),
	  "give a device a virtual ID (vSID) on a vIOMMU" },
	{ "hw-queue-alloc", op_hw_queue_alloc,
	  KEYS("name", "viommu", "type", "index", "iova", "length"),
	  "allocate a HW queue of a vIOMMU" },
	{ "invalidate", op_invalidate, KEYS("target", "type", "entries"),
	  "invalidate caches with an array of commands" },
	{ "veventq-alloc", op_veventq_alloc, KEYS("name", "viommu", "type", "depth"),
	  "allocate a vEVENTQ" },
	{ "veventq-read", op_queue_read, KEYS("veventq", "max", "min", "wait-ms"),
	  "read and decode vEVENTQ records" },
	{ "fault-alloc", op_fault_alloc, KEYS("name"), "allocate a fault queue" },
	{ "fault-read", op_queue_read, KEYS("fault", "max", "min", "wait-ms"),
	  "read page fault records" },
	{ "fault-respond", op_fault_respond, KEYS("fault", "cookie", "code"),
	  "respond to a page fault group" },
	{ "destroy", op_destroy, KEYS("object"), "destroy a named object" },
	{ "opaque", op_opaque, KEYS("request", "name", "fd-kind", "dev-id", "note"),
	  "a recorded ioctl no operation expresses (skipped)" },
	{ "mock-device", op_mock_device, KEYS("name", "pt", "flags", "hwpt-name"),
	  "IOMMUFD_TEST: create a mock device attached to pt" },
	{ "mock-trigger-vevent", op_mock_trigger_vevent, KEYS("dev", "count"),
	  "IOMMUFD_TEST: make a mock device report vEVENTs" },
	{ "mock-trigger-iopf", op_mock_trigger_iopf,
	  KEYS("dev", "pasid", "grpid", "perm", "addr"),
	  "IOMMUFD_TEST: make a mock device report a page fault" },
	{ "mock-check-iotlb", op_mock_check, KEYS("hwpt", "iotlb-id", "expect"),
	  "IOMMUFD_TEST: check a mock nested IOTLB entry" },
	{ "mock-check-dev-cache", op_mock_check, KEYS("dev", "cache-id", "expect"),
	  "IOMMUFD_TEST: check a mock device cache entry" },
	{ 0 },
};
