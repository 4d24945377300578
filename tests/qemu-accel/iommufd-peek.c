// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * iommufd-peek: list the iommufd objects of another process (QEMU) from
 * outside it, for the QEMU accel client tier (tests/qemu-accel).
 *
 * iommufd has no interface that lists objects, and an iommufd context is
 * private to its file descriptor; nestctl works on its own descriptor
 * only. This program takes a duplicate of the process's /dev/iommu
 * descriptor (pidfd_getfd(2): needs ptrace access, i.e. root here), so it
 * issues ioctls on the SAME context, and identifies each object ID by
 * ioctls that only look (each one fails with ENOENT unless the ID is an
 * object of the type it looks up; none of them changes an object):
 *
 *   device       IOMMU_GET_HW_INFO(dev_id)      succeeds (the hw_info type)
 *   ioas         IOMMU_IOAS_IOVA_RANGES(id, 0)  succeeds or EMSGSIZE
 *   hwpt-paging  IOMMU_HWPT_GET_DIRTY_BITMAP(id, length 0): not ENOENT
 *   viommu       IOMMU_HWPT_INVALIDATE(id, one ARM SMMUv3 command with
 *                opcode 0): EIO (the vIOMMU refuses the command; nothing
 *                is issued)
 *   hwpt-nested  the same: EOPNOTSUPP (invalidation of a nested HWPT goes
 *                through its vIOMMU on SMMUv3)
 *   other        the same: EINVAL (an object of another type: a vDEVICE,
 *                vEVENTQ, fault queue, HW queue)
 *
 * and, for each vIOMMU, which virtual StreamIDs have a vDEVICE:
 * IOMMU_HWPT_INVALIDATE(viommu, CFGI_CD SID=v SSID=0 Leaf) succeeds only
 * for a vSID that a vDEVICE maps (else EIO): a CD cache invalidation,
 * which never changes what a translation gives. Event queues are listed
 * from the process's descriptors ("anon_inode:[iommufd-viommu-event]").
 *
 * Usage: iommufd-peek PID [MAX-ID] [MAX-VSID]
 *   MAX-ID    highest object ID probed (default 64)
 *   MAX-VSID  highest vSID probed per vIOMMU (default 255)
 * Output, one line each:
 *   iommufd pid=P fd=N
 *   object ID device hw_info=TYPE | ioas | hwpt-paging | viommu vsids=a,b |
 *          hwpt-nested | other
 *   eventq fd=N NAME
 *   total objects=N devices=N ioas=N hwpt_paging=N viommus=N hwpt_nested=N
 *         other=N eventqs=N vdevices=N
 * Exit: 0 listed, 3 the process has no /dev/iommu descriptor (or is gone:
 * nothing listed), 2 error (message on stderr), 1 usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/iommufd.h>

#define CMDQ_OP_CFGI_CD	0x05ULL

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_getfd_(int pidfd, int fd)
{
	return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

static const char *hw_info_name(unsigned int t)
{
	switch (t) {
	case IOMMU_HW_INFO_TYPE_NONE: return "none";
	case IOMMU_HW_INFO_TYPE_INTEL_VTD: return "intel-vtd";
	case IOMMU_HW_INFO_TYPE_ARM_SMMUV3: return "arm-smmuv3";
	default: return "other";
	}
}

/* errno of ioctl(fd, req, arg), 0 on success */
static int try_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? errno : 0;
}

/* one ARM SMMUv3 command through IOMMU_HWPT_INVALIDATE on object id */
static int invalidate_one(int fd, uint32_t id, uint64_t w0, uint64_t w1)
{
	struct iommu_viommu_arm_smmuv3_invalidate cmd = {
		.cmd = { w0, w1 },
	};
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.hwpt_id = id,
		.data_uptr = (uintptr_t)&cmd,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = sizeof(cmd),
		.entry_num = 1,
	};

	return try_ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv);
}

/* the /dev/iommu descriptor of pid, or -1 with errno (ENOENT: none) */
static int find_iommufd(pid_t pid, int *fdno)
{
	char dir[64], path[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	DIR *d;
	ssize_t n;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, "/dev/iommu")) {
			*fdno = atoi(de->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	errno = ENOENT;
	return -1;
}

/* print the event queue descriptors of pid; returns how many */
static int list_eventqs(pid_t pid)
{
	char dir[64], path[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	int count = 0;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strstr(target, "[iommufd-viommu-event]") || strstr(target, "[iommufd-pgfault]")) {
			printf("eventq fd=%s %s\n", de->d_name, target);
			count++;
		}
	}
	closedir(d);
	return count;
}

static long parse_num(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < 0 || v > INT_MAX) {
		fprintf(stderr, "iommufd-peek: bad %s '%s'\n", what, s);
		exit(1);
	}
	return v;
}

int main(int argc, char **argv)
{
	int devices = 0, ioas = 0, paging = 0, viommus = 0, nested = 0, other = 0, vdevs = 0;
	long max_id = 64, max_vsid = 255;
	int pidfd, fdno, fd, eventqs;
	pid_t pid;
	uint32_t id;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: iommufd-peek PID [MAX-ID] [MAX-VSID]\n");
		return 1;
	}
	pid = (pid_t)parse_num(argv[1], "PID");
	if (argc > 2)
		max_id = parse_num(argv[2], "MAX-ID");
	if (argc > 3)
		max_vsid = parse_num(argv[3], "MAX-VSID");

	if (find_iommufd(pid, &fdno)) {
		if (errno == ENOENT) {
			printf("iommufd pid=%d none\n", (int)pid);
			return 3;
		}
		fprintf(stderr, "iommufd-peek: /proc/%d/fd: %s\n", (int)pid, strerror(errno));
		return errno == ESRCH ? 3 : 2;
	}
	pidfd = pidfd_open_(pid);
	if (pidfd < 0) {
		fprintf(stderr, "iommufd-peek: pidfd_open(%d): %s\n", (int)pid, strerror(errno));
		return errno == ESRCH ? 3 : 2;
	}
	fd = pidfd_getfd_(pidfd, fdno);
	if (fd < 0) {
		fprintf(stderr, "iommufd-peek: pidfd_getfd(%d, %d): %s\n", (int)pid, fdno,
			strerror(errno));
		return errno == ESRCH || errno == EBADF ? 3 : 2;
	}
	close(pidfd);
	printf("iommufd pid=%d fd=%d\n", (int)pid, fdno);

	for (id = 1; id <= (uint32_t)max_id; id++) {
		struct iommu_hw_info hw = { .size = sizeof(hw), .dev_id = id };
		struct iommu_ioas_iova_ranges rg = { .size = sizeof(rg), .ioas_id = id };
		struct iommu_hwpt_get_dirty_bitmap db = { .size = sizeof(db), .hwpt_id = id };
		int e;

		if (!try_ioctl(fd, IOMMU_GET_HW_INFO, &hw)) {
			printf("object %u device hw_info=%s\n", id, hw_info_name(hw.out_data_type));
			devices++;
			continue;
		}
		e = try_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &rg);
		if (!e || e == EMSGSIZE) {
			printf("object %u ioas\n", id);
			ioas++;
			continue;
		}
		if (try_ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &db) != ENOENT) {
			printf("object %u hwpt-paging\n", id);
			paging++;
			continue;
		}
		e = invalidate_one(fd, id, 0, 0);
		if (e == ENOENT)
			continue;
		if (e == EIO) {
			char list[4096] = "";
			size_t len = 0;
			long v;

			for (v = 0; v <= max_vsid; v++) {
				uint64_t w0 = CMDQ_OP_CFGI_CD | ((uint64_t)v << 32);

				if (invalidate_one(fd, id, w0, 1))
					continue;
				vdevs++;
				if (len < sizeof(list) - 16)
					len += (size_t)snprintf(list + len, sizeof(list) - len,
								"%s%#lx", len ? "," : "", v);
			}
			printf("object %u viommu vsids=%s\n", id, len ? list : "none");
			viommus++;
		} else if (e == EOPNOTSUPP) {
			printf("object %u hwpt-nested\n", id);
			nested++;
		} else if (e == EINVAL) {
			printf("object %u other\n", id);
			other++;
		} else {
			printf("object %u unknown errno=%d (%s)\n", id, e, strerror(e));
			other++;
		}
	}
	eventqs = list_eventqs(pid);
	close(fd);
	printf("total objects=%d devices=%d ioas=%d hwpt_paging=%d viommus=%d hwpt_nested=%d other=%d eventqs=%d vdevices=%d\n",
	       devices + ioas + paging + viommus + nested + other, devices, ioas, paging,
	       viommus, nested, other, eventqs, vdevs);
	return 0;
}
