// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Devices: finding a VFIO cdev through sysfs, binding it to the context,
 * attaching it to IOAS/HWPTs (also per PASID), and device info.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_pci_address(const char *s)
{
	unsigned int dom, bus, dev, fn;
	char end;

	return sscanf(s, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &end) == 4 ||
	       sscanf(s, "%x:%x.%x%c", &bus, &dev, &fn, &end) == 3;
}

/* The sysfs root: "/sys" unless the caller names another tree. */
static const char *root_or_sys(const char *root)
{
	return root && *root ? root : "/sys";
}

/* "00:03.0" -> "0000:00:03.0"; anything else copied. */
static void pci_normalize(const char *s, char *out, size_t len)
{
	if (is_pci_address(s) && strchr(s, ':') == strrchr(s, ':'))
		snprintf(out, len, "0000:%s", s);
	else
		snprintf(out, len, "%s", s);
}

/*
 * The device of a vfio-dev class entry whose directory name is want
 * (on any bus): its real sysfs directory.
 */
static int vfio_dev_by_name(const char *root, const char *want, char *dir,
			    size_t len)
{
	char cls[PATH_MAX], path[PATH_MAX + 300], real[PATH_MAX];
	struct dirent *de;
	const char *b;
	int ret = -ENOENT;
	DIR *d;

	snprintf(cls, sizeof(cls), "%s/class/vfio-dev", root);
	d = opendir(cls);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/device", cls, de->d_name);
		if (!realpath(path, real))
			continue;
		b = strrchr(real, '/');
		if (b && !strcmp(b + 1, want)) {
			ret = snprintf(dir, len, "%s", real) < (int)len ?
			      0 : -ENAMETOOLONG;
			break;
		}
	}
	closedir(d);
	return ret;
}

/*
 * Resolve a device given as a sysfs directory, a PCI address, a device
 * name on the platform bus (or any bus, if it has a vfio-dev cdev), a
 * vfio-dev name or a cdev path, to its sysfs directory under root.
 */
int nio_device_sysfs_dir(const char *root, const char *device, char *dir,
			 size_t len)
{
	static const char *const prefixes[] = {
		"/bus/pci/devices/",
		"/bus/platform/devices/",
		"/class/vfio-dev/",
	};
	static const char cdev_dir[] = "/dev/vfio/devices/";
	char norm[256];
	size_t i;
	int n;

	root = root_or_sys(root);
	/* A cdev path: its vfio-dev class entry. */
	if (!strncmp(device, cdev_dir, sizeof(cdev_dir) - 1) &&
	    device[sizeof(cdev_dir) - 1] && !strchr(device + sizeof(cdev_dir) - 1, '/')) {
		n = snprintf(dir, len, "%s/class/vfio-dev/%s", root,
			     device + sizeof(cdev_dir) - 1);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG :
		       is_dir(dir) ? 0 : -ENOENT;
	}
	/* Relative paths would depend on the working directory. */
	if (!*device || (strchr(device, '/') && device[0] != '/'))
		return -EINVAL;
	if (device[0] == '/') {
		n = snprintf(dir, len, "%s", device);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG :
		       is_dir(dir) ? 0 : -ENOENT;
	}
	pci_normalize(device, norm, sizeof(norm));
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = snprintf(dir, len, "%s%s%s", root, prefixes[i], norm);
		if (n > 0 && (size_t)n < len && is_dir(dir))
			return 0;
	}
	/* A device on another bus (or a tree without bus/), by its name. */
	return vfio_dev_by_name(root, norm, dir, len);
}

/* The vfioN name under <dir>/vfio-dev, or the directory's own name. */
static int find_vfio_name(const char *dir, char *name, size_t len)
{
	char sub[PATH_MAX];
	struct dirent *de;
	const char *base;
	DIR *d;
	int ret = -ENODEV;

	base = strrchr(dir, '/');
	base = base ? base + 1 : dir;
	if (!strncmp(base, "vfio", 4) && isdigit((unsigned char)base[4])) {
		snprintf(name, len, "%s", base);
		return 0;
	}
	snprintf(sub, sizeof(sub), "%s/vfio-dev", dir);
	d = opendir(sub);
	if (!d)
		return -ENODEV;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "vfio", 4) &&
		    isdigit((unsigned char)de->d_name[4])) {
			snprintf(name, len, "%s", de->d_name);
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

NIO_API int nio_device_find_cdev_at(const char *sysfs_root, const char *device,
				    char *cdev, size_t cdev_len)
{
	char dir[PATH_MAX], name[64];
	int ret, n;

	NIO_CHECK_ARG(NULL, device);
	NIO_CHECK_ARG(NULL, cdev && cdev_len);
	ret = nio_device_sysfs_dir(sysfs_root, device, dir, sizeof(dir));
	if (ret)
		return nio_err(NULL, -ret,
			       "device %s: no such device in sysfs (give a sysfs path, a PCI address or a device name)",
			       device);
	ret = find_vfio_name(dir, name, sizeof(name));
	if (ret)
		return nio_err(NULL, ENODEV,
			       "device %s: no VFIO cdev (%s/vfio-dev is missing: is it bound to a VFIO driver, with CONFIG_VFIO_DEVICE_CDEV?)",
			       device, dir);
	n = snprintf(cdev, cdev_len, "/dev/vfio/devices/%s", name);
	if (n < 0 || (size_t)n >= cdev_len)
		return nio_err(NULL, ENAMETOOLONG,
			       "device %s: cdev path does not fit in %zu bytes",
			       device, cdev_len);
	return 0;
}

NIO_API int nio_device_find_cdev(const char *device, char *cdev,
				 size_t cdev_len)
{
	return nio_device_find_cdev_at(NULL, device, cdev, cdev_len);
}

NIO_API int nio_device_iommu_group_at(const char *sysfs_root,
				      const char *device, int *group)
{
	char dir[PATH_MAX], link[PATH_MAX + 16], target[PATH_MAX];
	const char *base;
	ssize_t n;
	int ret;

	NIO_CHECK_ARG(NULL, device);
	NIO_CHECK_ARG(NULL, group);
	ret = nio_device_sysfs_dir(sysfs_root, device, dir, sizeof(dir));
	if (ret)
		return nio_err(NULL, -ret, "device %s: no such device in sysfs",
			       device);
	/* A vfio-dev class device has the physical device as parent. */
	snprintf(link, sizeof(link), "%s/device/iommu_group", dir);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		snprintf(link, sizeof(link), "%s/iommu_group", dir);
		n = readlink(link, target, sizeof(target) - 1);
	}
	if (n < 0)
		return nio_err(NULL, ENODEV,
			       "device %s: no iommu_group (no IOMMU translates it)",
			       device);
	target[n] = '\0';
	base = strrchr(target, '/');
	*group = atoi(base ? base + 1 : target);
	return 0;
}

NIO_API int nio_device_iommu_group(const char *device, int *group)
{
	return nio_device_iommu_group_at(NULL, device, group);
}

static const char *const resv_type_names[] = {
	[NIO_RESV_DIRECT] = "direct",
	[NIO_RESV_DIRECT_RELAXABLE] = "direct-relaxable",
	[NIO_RESV_RESERVED] = "reserved",
	[NIO_RESV_MSI] = "msi",
	[NIO_RESV_SW_MSI] = "sw-msi",
	[NIO_RESV_UNKNOWN] = "unknown",
};

NIO_API const char *nio_resv_type_name(enum nio_resv_type type)
{
	if ((unsigned int)type > NIO_RESV_UNKNOWN)
		return NULL;
	return resv_type_names[type];
}

static enum nio_resv_type resv_type_parse(const char *s)
{
	unsigned int i;

	/*
	 * sysfs prints "msi" for both IOMMU_RESV_MSI and IOMMU_RESV_SW_MSI;
	 * NIO_RESV_SW_MSI is reported only by sources that know (the
	 * nestiommu.ko control interface).
	 */
	for (i = 0; i < NIO_RESV_UNKNOWN; i++)
		if (!strcmp(s, resv_type_names[i]))
			return (enum nio_resv_type)i;
	return NIO_RESV_UNKNOWN;
}

NIO_API int nio_group_reserved_regions(const char *sysfs_root, int group,
				       struct nio_resv_region *regions,
				       uint32_t *num)
{
	char path[PATH_MAX], line[256], type[32];
	unsigned long long start, last;
	uint32_t count = 0, cap;
	FILE *f;
	int n;

	NIO_CHECK_ARG(NULL, num);
	NIO_CHECK_ARG(NULL, regions || *num == 0);
	NIO_CHECK_ARG(NULL, group >= 0);
	cap = *num;
	n = snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/reserved_regions",
		     root_or_sys(sysfs_root), group);
	if (n < 0 || (size_t)n >= sizeof(path))
		return nio_err(NULL, ENAMETOOLONG, "sysfs root too long");
	f = fopen(path, "re");
	if (!f)
		return nio_err(NULL, errno, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %llx %31s", &start, &last, type) != 3)
			continue;
		if (count < cap) {
			regions[count].start = start;
			regions[count].last = last;
			regions[count].type = resv_type_parse(type);
		}
		count++;
	}
	fclose(f);
	*num = count;
	if (count > cap)
		return nio_err(NULL, EMSGSIZE,
			       "%s: %u regions, room for %u", path, count, cap);
	return 0;
}

NIO_API int nio_device_reserved_regions_at(const char *sysfs_root,
					   const char *device,
					   struct nio_resv_region *regions,
					   uint32_t *num)
{
	int group, ret;

	NIO_CHECK_ARG(NULL, num);
	NIO_CHECK_ARG(NULL, regions || *num == 0);
	ret = nio_device_iommu_group_at(sysfs_root, device, &group);
	if (ret)
		return ret;
	return nio_group_reserved_regions(sysfs_root, group, regions, num);
}

NIO_API int nio_device_reserved_regions(const char *device,
					struct nio_resv_region *regions,
					uint32_t *num)
{
	return nio_device_reserved_regions_at(NULL, device, regions, num);
}

/* ------------------------------------------------------------------ */

/*
 * The device's cdev descriptor, referenced: it stays open until
 * device_fd_put() even if another thread destroys the device meanwhile.
 */
static int device_fd(struct nio_ctx *ctx, uint32_t dev_id, const char *fn)
{
	struct nio_object_info info;

	if (nio_obj_fd_get(ctx, dev_id, NIO_OBJ_DEVICE, false, &info))
		return nio_err(ctx, ENOENT,
			       "%s: device %u is not in this context (bind or import it)",
			       fn, dev_id);
	return info.fd;
}

static void device_fd_put(struct nio_ctx *ctx, uint32_t dev_id)
{
	nio_obj_fd_put(ctx, dev_id, false);
}

NIO_API int nio_device_fd(struct nio_ctx *ctx, uint32_t dev_id)
{
	int fd;

	NIO_CHECK_ARG(ctx, ctx);
	fd = device_fd(ctx, dev_id, "nio_device_fd");
	if (fd >= 0)
		device_fd_put(ctx, dev_id);
	return fd;
}

NIO_API int nio_device_bind(struct nio_ctx *ctx, const char *device,
			    const struct nio_bind_opts *opts, uint32_t *dev_id)
{
	struct vfio_device_bind_iommufd cmd;
	struct nio_object_info info;
	const uint8_t *token;
	char path[PATH_MAX], what[PATH_MAX + 64];
	uint32_t flags;
	bool opened = false;
	int fd, ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, dev_id);
	ret = NIO_OPTS_CHECK(ctx, opts, nio_bind_opts);
	if (ret)
		return ret;
	fd = NIO_OPTS_GET(opts, cdev_fd, 0);
	token = NIO_OPTS_GET(opts, token_uuid, NULL);
	flags = NIO_OPTS_GET(opts, flags, 0);
	if (flags & ~(uint32_t)NIO_BIND_BORROW_FD)
		return nio_err(ctx, EINVAL, "nio_device_bind: unknown flags 0x%x",
			       flags);
	if ((flags & NIO_BIND_BORROW_FD) && fd <= 0)
		return nio_err(ctx, EINVAL,
			       "nio_device_bind: NIO_BIND_BORROW_FD without a cdev_fd");
	if (fd > 0) {
		snprintf(path, sizeof(path), "fd %d", fd);
	} else {
		NIO_CHECK_ARG(ctx, device);
		if (!strncmp(device, "/dev/", 5)) {
			snprintf(path, sizeof(path), "%s", device);
		} else {
			ret = nio_device_find_cdev(device, path, sizeof(path));
			if (ret) /* recorded without a context: move it */
				return nio_err(ctx, -ret, "nio_device_bind: %s",
					       nio_ctx_last_error(NULL));
		}
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return nio_err(ctx, errno, "open(%s): %s", path,
				       strerror(errno));
		opened = true;
	}
	cmd = (struct vfio_device_bind_iommufd){
		.argsz = sizeof(cmd),
		.flags = token ? VFIO_DEVICE_BIND_FLAG_TOKEN : 0,
		.iommufd = ctx->fd,
		.token_uuid_ptr = nio_ptr_to_u64(token),
	};
	snprintf(what, sizeof(what), "VFIO_DEVICE_BIND_IOMMUFD(%s, iommufd=%d)",
		 path, ctx->fd);
	ret = nio_ioctl(ctx, fd, VFIO_DEVICE_BIND_IOMMUFD, &cmd, what);
	if (ret == -EPERM)
		ret = nio_err(ctx, EPERM,
			      "%s: operation not permitted (needs CAP_SYS_RAWIO or isolated MSIs on the platform)",
			      what);
	if (ret)
		goto err_close;
	nio_obj_info_init(&info, cmd.out_devid, NIO_OBJ_DEVICE, 0, cmd.out_devid);
	info.fd = fd;
	if (flags & NIO_BIND_BORROW_FD)
		info.own = NIO_OWN_OBJECT;
	snprintf(info.path, sizeof(info.path), "%s", path);
	ret = nio_obj_add(ctx, &info);
	if (ret)
		goto err_close;
	*dev_id = cmd.out_devid;
	return 0;
err_close:
	/*
	 * The caller's descriptor stays the caller's on failure; one the
	 * library opened is closed (which also undoes a successful bind).
	 */
	if (opened)
		close(fd);
	return ret;
}

static void set_attached(struct nio_obj *obj, void *arg)
{
	obj->info.parent_id = *(uint32_t *)arg;
}

static int attach(struct nio_ctx *ctx, uint32_t dev_id, bool use_pasid,
		  uint32_t pasid, uint32_t pt_id, uint32_t *out_hwpt_id,
		  const char *fn)
{
	struct vfio_device_attach_iommufd_pt cmd = {
		.argsz = sizeof(cmd),
		.flags = use_pasid ? VFIO_DEVICE_ATTACH_PASID : 0,
		.pt_id = pt_id,
		.pasid = use_pasid ? pasid : 0,
	};
	char what[128];
	int fd, ret;

	if (!ctx)
		return nio_err(NULL, EINVAL, "%s: invalid argument: ctx is NULL", fn);
	fd = device_fd(ctx, dev_id, fn);
	if (fd < 0)
		return fd;
	if (use_pasid)
		snprintf(what, sizeof(what),
			 "VFIO_DEVICE_ATTACH_IOMMUFD_PT(dev=%u, pasid=%u, pt=%u)",
			 dev_id, pasid, pt_id);
	else
		snprintf(what, sizeof(what),
			 "VFIO_DEVICE_ATTACH_IOMMUFD_PT(dev=%u, pt=%u)", dev_id,
			 pt_id);
	ret = nio_ioctl(ctx, fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &cmd, what);
	device_fd_put(ctx, dev_id);
	if (ret)
		return ret;
	if (!use_pasid)
		nio_obj_update(ctx, dev_id, set_attached, &cmd.pt_id);
	if (out_hwpt_id)
		*out_hwpt_id = cmd.pt_id;
	return 0;
}

NIO_API int nio_device_attach(struct nio_ctx *ctx, uint32_t dev_id,
			      uint32_t pt_id, uint32_t *out_hwpt_id)
{
	return attach(ctx, dev_id, false, 0, pt_id, out_hwpt_id,
		      "nio_device_attach");
}

NIO_API int nio_device_replace(struct nio_ctx *ctx, uint32_t dev_id,
			       uint32_t pt_id, uint32_t *out_hwpt_id)
{
	/* VFIO replaces when the device is already attached. */
	return attach(ctx, dev_id, false, 0, pt_id, out_hwpt_id,
		      "nio_device_replace");
}

NIO_API int nio_device_pasid_attach(struct nio_ctx *ctx, uint32_t dev_id,
				    uint32_t pasid, uint32_t pt_id,
				    uint32_t *out_hwpt_id)
{
	return attach(ctx, dev_id, true, pasid, pt_id, out_hwpt_id,
		      "nio_device_pasid_attach");
}

static int detach(struct nio_ctx *ctx, uint32_t dev_id, bool use_pasid,
		  uint32_t pasid, const char *fn)
{
	struct vfio_device_detach_iommufd_pt cmd = {
		.argsz = sizeof(cmd),
		.flags = use_pasid ? VFIO_DEVICE_DETACH_PASID : 0,
		.pasid = use_pasid ? pasid : 0,
	};
	uint32_t none = 0;
	char what[96];
	int fd, ret;

	if (!ctx)
		return nio_err(NULL, EINVAL, "%s: invalid argument: ctx is NULL", fn);
	fd = device_fd(ctx, dev_id, fn);
	if (fd < 0)
		return fd;
	if (use_pasid)
		snprintf(what, sizeof(what),
			 "VFIO_DEVICE_DETACH_IOMMUFD_PT(dev=%u, pasid=%u)",
			 dev_id, pasid);
	else
		snprintf(what, sizeof(what),
			 "VFIO_DEVICE_DETACH_IOMMUFD_PT(dev=%u)", dev_id);
	ret = nio_ioctl(ctx, fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &cmd, what);
	device_fd_put(ctx, dev_id);
	if (ret == 0 && !use_pasid)
		nio_obj_update(ctx, dev_id, set_attached, &none);
	return ret;
}

NIO_API int nio_device_detach(struct nio_ctx *ctx, uint32_t dev_id)
{
	return detach(ctx, dev_id, false, 0, "nio_device_detach");
}

NIO_API int nio_device_pasid_detach(struct nio_ctx *ctx, uint32_t dev_id,
				    uint32_t pasid)
{
	return detach(ctx, dev_id, true, pasid, "nio_device_pasid_detach");
}

NIO_API int nio_device_info(struct nio_ctx *ctx, uint32_t dev_id,
			    struct nio_device_info *info)
{
	struct vfio_device_info cmd = { .argsz = sizeof(cmd) };
	struct nio_device_info out = { .sz = sizeof(out) };
	char what[64];
	int fd, ret;

	NIO_CHECK_ARG(ctx, ctx);
	NIO_CHECK_ARG(ctx, info);
	NIO_CHECK_ARG(ctx, info->sz >= sizeof(size_t));
	fd = device_fd(ctx, dev_id, "nio_device_info");
	if (fd < 0)
		return fd;
	snprintf(what, sizeof(what), "VFIO_DEVICE_GET_INFO(dev=%u)", dev_id);
	ret = nio_ioctl(ctx, fd, VFIO_DEVICE_GET_INFO, &cmd, what);
	device_fd_put(ctx, dev_id);
	if (ret)
		return ret;
	out.flags = cmd.flags;
	out.num_regions = cmd.num_regions;
	out.num_irqs = cmd.num_irqs;
	nio_copy_out(info, &out, sizeof(out));
	return 0;
}
