// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Topology from sysfs: device list|show (VFIO cdevs), iommu list|show
 * (physical IOMMUs and the devices each serves), group list|show, and
 * hw-info (which needs /dev/iommu and binds the device).
 *
 * $NESTCTL_SYSFS replaces "/sys" (for golden tests on a captured tree).
 * Lists and single objects print the same shape: a JSON array.  Finding a
 * device's cdev and reading reserved regions are the library's
 * (nio_device_find_cdev_at() and friends, given that root); this file
 * only walks the tree for what it prints.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nestiommu/nestiommu.h>
#include <nestiommu/smmuv3.h>

#include "nestctl.h"
#include "codec.h"

const char *sysfs_root(void)
{
	const char *r = getenv("NESTCTL_SYSFS");

	return r && *r ? r : "/sys";
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		buf[0] = '\0';
		return -EIO;
	}
	fclose(f);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* basename of the target of dir/link, or "" */
static const char *link_base(const char *dir, const char *link, char *buf,
			     size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	const char *b;

	snprintf(path, sizeof(path), "%s/%s", dir, link);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		buf[0] = '\0';
		return NULL;
	}
	target[n] = '\0';
	b = strrchr(target, '/');
	snprintf(buf, len, "%s", b ? b + 1 : target);
	return buf;
}

static bool is_pci_addr(const char *s)
{
	unsigned int d, b, dev, fn;
	char tail;

	return sscanf(s, "%4x:%2x:%2x.%1x%c", &d, &b, &dev, &fn, &tail) == 4;
}

static int cmp_natural(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	while (*x && *y) {
		if (*x >= '0' && *x <= '9' && *y >= '0' && *y <= '9') {
			unsigned long long u = strtoull(x, (char **)&x, 10);
			unsigned long long v = strtoull(y, (char **)&y, 10);

			if (u != v)
				return u < v ? -1 : 1;
			continue;
		}
		if (*x != *y)
			return (unsigned char)*x - (unsigned char)*y;
		x++, y++;
	}
	return (unsigned char)*x - (unsigned char)*y;
}

/* Sorted entry names of a directory (no dot files); NULL-terminated. */
static char **list_dir(const char *path, size_t *count)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0;

	*count = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		char **nv;

		if (e->d_name[0] == '.')
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[n++] = strdup(e->d_name);
		v[n] = NULL;
	}
	closedir(d);
	if (v)
		qsort(v, n, sizeof(*v), cmp_natural);
	*count = n;
	return v;
}

static void free_list(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static struct json_object *resv_json(uint64_t start, uint64_t last,
				     const char *type)
{
	struct json_object *r = json_object_new_object();

	j_str(r, "type", type);
	j_addr(r, "start", start);
	j_addr(r, "last", last);
	j_addr(r, "size", last - start + 1);
	return r;
}

/*
 * sysfs prints "msi" for both hardware MSI and the software MSI window; the
 * ARM SMMU drivers' SW_MSI window is fixed (nio_resv_is_arm_sw_msi(); the
 * IOMMU_OPTION_SW_MSI_START/SIZE proposal never merged).
 */
static bool is_sw_msi(const struct nio_resv_region *r)
{
	return r->type == NIO_RESV_SW_MSI || nio_resv_is_arm_sw_msi(r);
}

/*
 * Reserved regions through the library, of a device (group < 0) or of an
 * IOMMU group, under the sysfs root: an array of "type", "start", "last",
 * "size", and in *msi (when not NULL) the SW_MSI window.  NULL with a
 * negative errno in *err.
 */
static struct json_object *resv_regions_json(const char *device, int group,
					     struct json_object **msi, int *err)
{
	struct nio_resv_region stack[16], *regions = stack;
	uint32_t num = 16;
	struct json_object *a;
	int ret;

	for (;;) {
		ret = device ? nio_device_reserved_regions_at(sysfs_root(), device,
							      regions, &num) :
			       nio_group_reserved_regions(sysfs_root(), group,
							  regions, &num);
		if (ret != -EMSGSIZE || regions != stack)
			break;
		regions = calloc(num, sizeof(*regions));
		if (!regions) {
			ret = -ENOMEM;
			break;
		}
	}
	if (ret < 0) {
		if (regions != stack)
			free(regions);
		*err = ret;
		return NULL;
	}
	a = json_object_new_array();
	for (uint32_t i = 0; i < num; i++) {
		const char *t = nio_resv_type_name(regions[i].type);

		json_object_array_add(a, resv_json(regions[i].start,
						   regions[i].last, t));
		if (msi && !*msi && is_sw_msi(&regions[i]))
			*msi = resv_json(regions[i].start, regions[i].last, t);
	}
	if (regions != stack)
		free(regions);
	return a;
}

static void add_reserved_regions(struct json_object *o, const char *devdir)
{
	struct json_object *a, *msi = NULL;
	int err;

	a = resv_regions_json(devdir, -1, &msi, &err);
	if (!a) {
		j_str(o, "reserved-regions-error", strerror(-err));
		return;
	}
	json_object_object_add(o, "reserved-regions", a);
	/* The SW_MSI window a nesting VMM must keep out of guest RAM. */
	json_object_object_add(o, "sw-msi", msi);
}

/* One VFIO cdev (class entry name "vfioN") as JSON. */
static struct json_object *device_json(const char *name)
{
	char cls[PATH_MAX], devdir[PATH_MAX], buf[256], path[PATH_MAX + 32];
	struct json_object *o = json_object_new_object();
	const char *base;
	unsigned int maj, min;

	snprintf(cls, sizeof(cls), "%s/class/vfio-dev/%s", sysfs_root(), name);
	j_str(o, "name", name);
	snprintf(buf, sizeof(buf), "/dev/vfio/devices/%s", name);
	j_str(o, "cdev", buf);
	snprintf(path, sizeof(path), "%s/dev", cls);
	if (!read_line(path, buf, sizeof(buf)) &&
	    sscanf(buf, "%u:%u", &maj, &min) == 2) {
		j_u32(o, "major", maj);
		j_u32(o, "minor", min);
	}
	snprintf(path, sizeof(path), "%s/device", cls);
	if (!realpath(path, devdir)) {
		j_str(o, "sysfs", NULL);
		return o;
	}
	j_str(o, "sysfs", devdir);
	base = strrchr(devdir, '/');
	base = base ? base + 1 : devdir;
	j_str(o, "bus", link_base(devdir, "subsystem", buf, sizeof(buf)));
	j_str(o, "address", base);
	j_str(o, "pci-address", is_pci_addr(base) ? base : NULL);
	if (is_pci_addr(base)) {
		snprintf(path, sizeof(path), "%s/vendor", devdir);
		if (!read_line(path, buf, sizeof(buf)))
			j_str(o, "vendor", buf);
		snprintf(path, sizeof(path), "%s/device", devdir);
		if (!read_line(path, buf, sizeof(buf)))
			j_str(o, "device", buf);
	}
	j_str(o, "driver", link_base(devdir, "driver", buf, sizeof(buf)));
	if (link_base(devdir, "iommu_group", buf, sizeof(buf)))
		j_int(o, "iommu-group", strtol(buf, NULL, 10));
	else
		j_str(o, "iommu-group", NULL);
	j_str(o, "iommu", link_base(devdir, "iommu", buf, sizeof(buf)));
	snprintf(path, sizeof(path), "%s/iommu_group/type", devdir);
	j_str(o, "group-type", read_line(path, buf, sizeof(buf)) ? NULL : buf);
	add_reserved_regions(o, devdir);
	return o;
}

/*
 * Resolve DEVICE (vfioN, cdev path, PCI address, device name, sysfs path)
 * to "vfioN", through the library.
 */
static int resolve_device(const char *arg, char *name, size_t len)
{
	char cdev[PATH_MAX];
	int ret;

	ret = nio_device_find_cdev_at(sysfs_root(), arg, cdev, sizeof(cdev));
	if (ret < 0)
		return ret;
	snprintf(name, len, "%s", strrchr(cdev, '/') + 1);
	return 0;
}

/*
 * "OBJECT list": one JSON object per entry of a sysfs directory (relative to
 * the sysfs root), in one array.
 */
static int list_objects(int argc, char **argv, const char *cmd,
			const char *sysfs_dir,
			struct json_object *(*to_json)(const char *name))
{
	struct json_object *a;
	char dir[PATH_MAX];
	char **ents;
	size_t n;

	if (argc)
		return err_usage("%s: unexpected argument \"%s\"", cmd, argv[0]);
	a = json_object_new_array();
	snprintf(dir, sizeof(dir), "%s/%s", sysfs_root(), sysfs_dir);
	ents = list_dir(dir, &n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, to_json(ents[i]));
	free_list(ents);
	out_emit(a);
	return EXIT_OK;
}

static int do_device_list(int argc, char **argv)
{
	return list_objects(argc, argv, "device list", "class/vfio-dev", device_json);
}

static int do_device_show(int argc, char **argv)
{
	struct json_object *a;
	char name[256];

	if (argc < 1)
		return err_usage("device show: missing DEVICE (vfioN, "
				 "/dev/vfio/devices/vfioN, PCI address or sysfs path)");
	a = json_object_new_array();
	for (int i = 0; i < argc; i++) {
		if (resolve_device(argv[i], name, sizeof(name))) {
			json_object_put(a);
			return err_report(EXIT_KERNEL, ENODEV, NULL,
					  "device \"%s\": no VFIO cdev found in "
					  "%s/class/vfio-dev (is it bound to "
					  "vfio-pci, with VFIO_DEVICE_CDEV?)",
					  argv[i], sysfs_root());
		}
		json_object_array_add(a, device_json(name));
	}
	out_emit(a);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */

static const char *iommu_kind(const char *name, const char *dir)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/intel-iommu", dir);
	if (!access(path, F_OK) || !strncmp(name, "dmar", 4))
		return "intel-vtd";
	snprintf(path, sizeof(path), "%s/amd-iommu", dir);
	if (!access(path, F_OK) || !strncmp(name, "ivhd", 4))
		return "amd-vi";
	if (strstr(name, "nestiommu"))
		return "nestiommu-smmuv3";
	if (strstr(name, "iommufd_selftest"))
		return "iommufd-selftest";
	if (strstr(name, "smmu"))
		return "arm-smmuv3";
	return "unknown";
}

static struct json_object *served_device_json(const char *iommudir,
					      const char *dev)
{
	char path[PATH_MAX + 300], real[PATH_MAX], buf[256];
	struct json_object *o = json_object_new_object();
	char **ents;
	size_t n;

	j_str(o, "name", dev);
	j_str(o, "pci-address", is_pci_addr(dev) ? dev : NULL);
	snprintf(path, sizeof(path), "%s/devices/%s", iommudir, dev);
	if (!realpath(path, real)) {
		return o;
	}
	j_str(o, "sysfs", real);
	j_str(o, "driver", link_base(real, "driver", buf, sizeof(buf)));
	if (link_base(real, "iommu_group", buf, sizeof(buf)))
		j_int(o, "iommu-group", strtol(buf, NULL, 10));
	else
		j_str(o, "iommu-group", NULL);
	snprintf(path, sizeof(path), "%s/vfio-dev", real);
	ents = list_dir(path, &n);
	if (n) {
		snprintf(buf, sizeof(buf), "/dev/vfio/devices/%s", ents[0]);
		j_str(o, "cdev", buf);
	} else {
		j_str(o, "cdev", NULL);
	}
	free_list(ents);
	return o;
}

static struct json_object *iommu_json(const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], buf[256];
	struct json_object *o = json_object_new_object(), *a, *regs;
	char **ents;
	size_t n;
	static const char *const vtd[] = { "version", "address", "cap", "ecap" };

	snprintf(dir, sizeof(dir), "%s/class/iommu/%s", sysfs_root(), name);
	j_str(o, "name", name);
	j_str(o, "kind", iommu_kind(name, dir));
	snprintf(path, sizeof(path), "%s/device", dir);
	{
		char real[PATH_MAX];

		if (realpath(path, real))
			j_str(o, "hardware", real);
	}
	regs = json_object_new_object();
	for (size_t i = 0; i < sizeof(vtd) / sizeof(vtd[0]); i++) {
		snprintf(path, sizeof(path), "%s/intel-iommu/%s", dir, vtd[i]);
		if (!read_line(path, buf, sizeof(buf)))
			j_str(regs, vtd[i], buf);
	}
	if (json_object_object_length(regs))
		json_object_object_add(o, "intel-iommu", regs);
	else
		json_object_put(regs);
	snprintf(path, sizeof(path), "%s/devices", dir);
	ents = list_dir(path, &n);
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, served_device_json(dir, ents[i]));
	free_list(ents);
	json_object_object_add(o, "devices", a);
	return o;
}

static int do_iommu_list(int argc, char **argv)
{
	return list_objects(argc, argv, "iommu list", "class/iommu", iommu_json);
}

static int do_iommu_show(int argc, char **argv)
{
	struct json_object *a;

	if (argc < 1)
		return err_usage("iommu show: missing IOMMU (a name from "
				 "\"nestctl iommu list\", e.g. dmar0)");
	a = json_object_new_array();
	for (int i = 0; i < argc; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/class/iommu/%s", sysfs_root(),
			 argv[i]);
		if (strchr(argv[i], '/') || access(path, F_OK)) {
			json_object_put(a);
			return err_report(EXIT_KERNEL, ENODEV, NULL,
					  "iommu \"%s\": not found in %s/class/iommu",
					  argv[i], sysfs_root());
		}
		json_object_array_add(a, iommu_json(argv[i]));
	}
	out_emit(a);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */

static struct json_object *group_json(const char *num)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], buf[256];
	struct json_object *o = json_object_new_object(), *a;
	char **ents;
	size_t n;
	int err;

	snprintf(dir, sizeof(dir), "%s/kernel/iommu_groups/%s", sysfs_root(), num);
	j_int(o, "group", strtol(num, NULL, 10));
	snprintf(path, sizeof(path), "%s/type", dir);
	j_str(o, "type", read_line(path, buf, sizeof(buf)) ? NULL : buf);
	snprintf(path, sizeof(path), "%s/devices", dir);
	ents = list_dir(path, &n);
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(ents[i]));
	free_list(ents);
	json_object_object_add(o, "devices", a);
	a = resv_regions_json(NULL, (int)strtol(num, NULL, 10), NULL, &err);
	json_object_object_add(o, "reserved-regions",
			       a ? a : json_object_new_array());
	return o;
}

static int do_group_list(int argc, char **argv)
{
	return list_objects(argc, argv, "group list", "kernel/iommu_groups", group_json);
}

static int do_group_show(int argc, char **argv)
{
	struct json_object *a;

	if (argc < 1)
		return err_usage("group show: missing GROUP number");
	a = json_object_new_array();
	for (int i = 0; i < argc; i++) {
		char path[PATH_MAX];
		uint64_t g;

		if (parse_u64(argv[i], INT32_MAX, &g)) {
			json_object_put(a);
			return err_usage("group show: \"%s\" is not a group number",
					 argv[i]);
		}
		snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%" PRIu64,
			 sysfs_root(), g);
		if (access(path, F_OK)) {
			json_object_put(a);
			return err_report(EXIT_KERNEL, ENOENT, NULL,
					  "group %" PRIu64 ": not found in "
					  "%s/kernel/iommu_groups", g, sysfs_root());
		}
		snprintf(path, sizeof(path), "%" PRIu64, g);
		json_object_array_add(a, group_json(path));
	}
	out_emit(a);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* hw-info                                                             */

struct json_object *hw_info_json(const struct nio_hw_info *info)
{
	struct json_object *o = json_object_new_object(), *caps;
	const char *tn = nio_hw_info_type_name(info->type);

	j_str(o, "type", tn ? tn : "unknown");
	j_hex32(o, "type-id", info->type);
	j_u32(o, "max-pasid-log2", info->max_pasid_log2);
	caps = json_object_new_array();
	for (int b = 0; b < 64; b++) {
		uint64_t bit = 1ULL << b;
		const char *n;

		if (!(info->capabilities & bit))
			continue;
		n = nio_hw_cap_name(bit);
		json_object_array_add(caps, n ? json_object_new_string(n)
					      : j_hex_string(bit));
	}
	json_object_object_add(o, "capabilities", caps);
	j_u32(o, "data-len", info->data_len);
	if (info->type == NIO_HW_INFO_ARM_SMMUV3) {
		struct nio_smmuv3_features feat;
		struct nio_smmuv3_idregs regs;

		if (!nio_smmuv3_hw_info_decode(info->data, info->data_len, &feat)) {
			memcpy(&regs, info->data + 8, sizeof(regs));
			json_object_object_add(o, "smmuv3",
					       codec_features_json(&feat, &regs, false));
		}
	} else if (info->type == NIO_HW_INFO_INTEL_VTD && info->data_len >= 24) {
		struct json_object *v = json_object_new_object();
		uint32_t flags;
		uint64_t cap, ecap;

		memcpy(&flags, info->data, 4);
		memcpy(&cap, info->data + 8, 8);
		memcpy(&ecap, info->data + 16, 8);
		j_hex32(v, "flags", flags);
		j_addr(v, "cap-reg", cap);
		j_addr(v, "ecap-reg", ecap);
		json_object_object_add(o, "intel-vtd", v);
	} else if (info->type == NIO_HW_INFO_SELFTEST && info->data_len >= 8) {
		struct json_object *v = json_object_new_object();
		uint32_t w[2];

		memcpy(w, info->data, 8);
		j_hex32(v, "flags", w[0]);
		j_hex32(v, "test-reg", w[1]);
		json_object_object_add(o, "selftest", v);
	}
	{
		struct json_object *raw = json_object_new_array();
		uint32_t n = info->data_len < NIO_HW_INFO_DATA_MAX ?
			     info->data_len : NIO_HW_INFO_DATA_MAX;

		for (uint32_t i = 0; i + 8 <= n; i += 8) {
			uint64_t w;

			memcpy(&w, info->data + i, 8);
			json_object_array_add(raw, j_hex_string(w));
		}
		json_object_object_add(o, "raw-words-hex", raw);
	}
	return o;
}

int parse_hw_info_type(const char *s, uint32_t *type)
{
	static const struct { const char *n; uint32_t v; } t[] = {
		{ "default", NIO_HW_INFO_DEFAULT },
		{ "intel-vtd", NIO_HW_INFO_INTEL_VTD },
		{ "arm-smmuv3", NIO_HW_INFO_ARM_SMMUV3 },
		{ "tegra241-cmdqv", NIO_HW_INFO_TEGRA241_CMDQV },
		{ "amd", NIO_HW_INFO_AMD },
		{ "selftest", NIO_HW_INFO_SELFTEST },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].n)) {
			*type = t[i].v;
			return 0;
		}
	if (parse_u64(s, UINT32_MAX, &v))
		return -EINVAL;
	*type = (uint32_t)v;
	return 0;
}

static int do_hw_info(int argc, char **argv)
{
	struct json_object *a;
	struct nio_ctx *ctx = NULL;
	uint32_t type = NIO_HW_INFO_DEFAULT;
	int ret;

	if (argc >= 2 && !strcmp(argv[argc - 2], "type")) {
		if (parse_hw_info_type(argv[argc - 1], &type))
			return err_usage("hw-info: unknown type \"%s\" (default, "
					 "intel-vtd, arm-smmuv3, tegra241-cmdqv, "
					 "amd, selftest or a number)", argv[argc - 1]);
		argc -= 2;
	}
	if (argc < 1)
		return err_usage("hw-info: missing DEVICE (vfioN, "
				 "/dev/vfio/devices/vfioN, PCI address or sysfs path)");
	ret = nio_ctx_open(&ctx, NULL);
	if (ret < 0)
		return err_lib(ret, "cannot open /dev/iommu");
	a = json_object_new_array();
	for (int i = 0; i < argc; i++) {
		struct nio_hw_info info = { .sz = sizeof(info), .type = type };
		struct json_object *o;
		char name[256], cdev[300];
		const char *dev = argv[i];
		uint32_t dev_id;

		if (!resolve_device(argv[i], name, sizeof(name))) {
			snprintf(cdev, sizeof(cdev), "/dev/vfio/devices/%s", name);
			dev = cdev;
		}
		ret = nio_device_bind(ctx, dev, NULL, &dev_id);
		if (ret < 0) {
			json_object_put(a);
			ret = err_lib(ret, "hw-info: cannot bind \"%s\" (%s)",
				      argv[i], nio_ctx_last_error(ctx));
			nio_ctx_unref(ctx);
			return ret;
		}
		ret = nio_hw_info(ctx, dev_id, &info);
		if (ret < 0) {
			json_object_put(a);
			ret = err_lib(ret, "hw-info \"%s\" (%s)", argv[i],
				      nio_ctx_last_error(ctx));
			nio_ctx_unref(ctx);
			return ret;
		}
		o = hw_info_json(&info);
		json_object_object_add(o, "device", json_object_new_string(argv[i]));
		json_object_array_add(a, o);
		nio_destroy(ctx, dev_id);
	}
	nio_ctx_unref(ctx);
	out_emit(a);
	return EXIT_OK;
}

const struct cmd device_cmds[] = {
	{ "list", do_device_list, "", "list VFIO device cdevs" },
	{ "show", do_device_show, "DEVICE...",
	  "show devices (vfioN, cdev path, PCI address or sysfs path)" },
	{ "guest-layout", do_device_guest_layout,
	  "DEVICE [ layout FILE|virt ] [ ram SIZE ] [ sid N ] [ msi-base ADDR [ msi-size SIZE ] ]",
	  "what the guest must be told about the device's reserved and MSI ranges" },
	{ 0 },
};

const struct cmd iommu_cmds[] = {
	{ "list", do_iommu_list, "", "list physical IOMMUs and their devices" },
	{ "show", do_iommu_show, "IOMMU...", "show IOMMUs by name" },
	{ 0 },
};

const struct cmd group_cmds[] = {
	{ "list", do_group_list, "", "list IOMMU groups" },
	{ "show", do_group_show, "GROUP...", "show IOMMU groups by number" },
	{ 0 },
};

const struct cmd hwinfo_cmds[] = {
	{ "", do_hw_info, "DEVICE... [ type TYPE ]",
	  "bind DEVICE and decode its IOMMU hw_info" },
	{ 0 },
};
