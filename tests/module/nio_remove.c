// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestiommu.ko: endpoint removal and the endpoint driver's binding.
 *
 *  - A platform endpoint's VFIO cdev open but not bound to an iommufd
 *    holds a VFIO registration: removing the endpoints must refuse with
 *    EBUSY within a second (before: vfio_unregister_group_dev() waited
 *    for the close, with nio_global_lock held, and every netlink command
 *    blocked), and a netlink listing meanwhile answers; after the close
 *    the endpoints are still there.
 *  - The endpoint driver has no sysfs bind/unbind, and a foreign platform
 *    device sent to it through driver_override is refused (before: its
 *    platform data was taken for a struct nio_master *).
 * Usage (in the VM, after insmod nestiommu.ko): nio_remove
 */
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <nestiommu/smmu.h>

#include "nio_test.h"

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Child: remove the endpoints of instance 0, report the result in @wfd */
static pid_t remove_in_child(int wfd, int dev)
{
	pid_t pid = fork();

	if (!pid) {
		struct nio_smmu *ctl;
		int ret = -999;

		close(dev);	/* only the parent keeps the cdev open */
		if (!nio_smmu_open(&ctl))
			ret = nio_smmu_remove_devices(ctl, 0);
		if (write(wfd, &ret, sizeof(ret)) != sizeof(ret))
			_exit(3);
		_exit(0);
	}
	return pid;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static void test_open_unbound(void)
{
	struct nio_smmu_instance *in = NULL;
	struct pollfd p;
	struct nio_smmu *ctl;
	int fds[2], dev, ret = 0, st = 0;
	double t0, ms;
	size_t n = 0;
	pid_t pid;

	dev = nt_open_ep(0, 0, NULL, 0);
	if (dev < 0)
		nt_die("open endpoint 0.0 (load with instances >= 1)");
	if (pipe(fds))
		nt_die("pipe");
	t0 = now_ms();
	pid = remove_in_child(fds[1], dev);
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	if (poll(&p, 1, 3000) == 1 &&
	    read(fds[0], &ret, sizeof(ret)) == sizeof(ret)) {
		ms = now_ms() - t0;
		NT_CHECK(ret == -EBUSY,
			 "remove with a VFIO cdev open, not bound: EBUSY (%d)",
			 ret);
		NT_CHECK(ms < 1000, "  answered in %.1f ms < 1 s", ms);
	} else {
		NT_CHECK(0, "remove with a VFIO cdev open, not bound: no "
			 "answer in 3 s (waits for the close)");
		/* netlink is blocked meanwhile: let the removal finish */
		close(dev);
		dev = -1;
	}
	NT_EXPECT(0, nio_smmu_open(&ctl), "netlink open");
	NT_EXPECT(0, nio_smmu_instances(ctl, &in, &n),
		  "netlink listing while the cdev is open");
	free(in);
	if (dev >= 0)
		close(dev);
	waitpid(pid, &st, 0);
	close(fds[0]);
	close(fds[1]);
	dev = nt_open_ep(0, 0, NULL, 0);
	NT_CHECK(dev >= 0, "endpoint 0.0 still there after the refusal");
	if (dev >= 0)
		close(dev);
	nio_smmu_close(ctl);
}

static void test_foreign_bind(void)
{
	const char *drv = "/sys/bus/platform/drivers/" "nestiommu-ep";
	char path[512], name[256] = "";
	struct dirent *de;
	struct stat sb;
	DIR *d;

	snprintf(path, sizeof(path), "%s/bind", drv);
	NT_CHECK(stat(path, &sb) && errno == ENOENT,
		 "endpoint driver: no sysfs bind attribute");
	snprintf(path, sizeof(path), "%s/unbind", drv);
	NT_CHECK(stat(path, &sb) && errno == ENOENT,
		 "endpoint driver: no sysfs unbind attribute");

	/* Any platform device without a driver that is not ours */
	d = opendir("/sys/bus/platform/devices");
	if (!d)
		nt_die("/sys/bus/platform/devices");
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strncmp(de->d_name, "nestiommu", 9))
			continue;
		snprintf(path, sizeof(path),
			 "/sys/bus/platform/devices/%s/driver", de->d_name);
		if (!lstat(path, &sb))
			continue;
		snprintf(path, sizeof(path),
			 "/sys/bus/platform/devices/%s/driver_override",
			 de->d_name);
		if (access(path, W_OK))
			continue;
		snprintf(name, sizeof(name), "%s", de->d_name);
		break;
	}
	closedir(d);
	NT_CHECK(name[0], "an unbound platform device to send to the driver");
	if (!name[0])
		return;
	printf("# foreign platform device: %s\n", name);
	NT_EXPECT(0, write_str(path, "nestiommu-ep"),
		  "driver_override of %s", name);
	/* drivers_probe swallows the probe's ENODEV: look at the result */
	write_str("/sys/bus/platform/drivers_probe", name);
	snprintf(path, sizeof(path), "/sys/bus/platform/devices/%s/driver",
		 name);
	NT_CHECK(lstat(path, &sb) && errno == ENOENT,
		 "%s not bound to the endpoint driver (probe ENODEV)", name);
	snprintf(path, sizeof(path),
		 "/sys/bus/platform/devices/%s/driver_override", name);
	NT_EXPECT(0, write_str(path, "\n"), "driver_override cleared");
}

int main(void)
{
	test_open_unbound();
	test_foreign_bind();
	return nt_done();
}
