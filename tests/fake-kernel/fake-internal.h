/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fake-kernel: shared between the interposers and the model. */
#ifndef FAKE_INTERNAL_H
#define FAKE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fake-kernel.h"

struct fk_real {
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	int (*close)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*fstat)(int, struct stat *);
	int (*stat)(const char *, struct stat *);
	int (*lstat)(const char *, struct stat *);
	int (*access)(const char *, int);
	ssize_t (*readlink)(const char *, char *, size_t);
	DIR *(*opendir)(const char *);
	FILE *(*fopen)(const char *, const char *);
};
extern struct fk_real fk_real;

struct fk_ctx;
struct fk_obj;

/* An open file description of a fake node (shared by dup'ed fds). */
struct fk_file {
	enum fk_file_kind kind;
	unsigned int refs; /* descriptors referring to it */
	/* Hidden eventfd whose dups the caller holds (queues), else -1. */
	int ev;
	bool ready;
	/* IOMMUFD: its context; VFIO: the bound context; queues: owner. */
	struct fk_ctx *ctx;
	/* VFIO: the DEVICE object once bound; queues: their object. */
	struct fk_obj *obj;
	unsigned int dev_index;
};

void fk_lock(void);
void fk_unlock(void);

struct fk_file *fk_fd_file(int fd);
int fk_fd_install(struct fk_file *f, bool cloexec);
void fk_file_set_ready(struct fk_file *f, bool ready);
unsigned int fk_nr_fds(void);

struct fk_call *fk_log_new(enum fk_call_kind kind, int fd);
void fk_log_aux(struct fk_call *c, const void *p, size_t len);

/* Model (fake-iommufd.c); all called with the lock held. */
void fk_model_reset(void);
/* Returns an fd or -errno; *handled false when path is not a fake node. */
int fk_model_open(const char *path, int flags, bool *handled);
long fk_model_ioctl(struct fk_file *f, int fd, unsigned long request,
		    void *arg);
long fk_model_read(struct fk_file *f, void *buf, size_t count);
long fk_model_write(struct fk_file *f, const void *buf, size_t count);
/* The last descriptor of f was closed. */
void fk_model_file_release(struct fk_file *f);

#endif
