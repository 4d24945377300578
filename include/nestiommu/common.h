/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared definitions of the public libnestiommu headers.
 */
#ifndef NESTIOMMU_COMMON_H
#define NESTIOMMU_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every exported symbol carries this; everything else stays hidden. */
#ifndef NIO_API
#define NIO_API __attribute__((visibility("default")))
#endif

/*
 * Extensible option structs (libbpf OPTS semantics): the first member is
 * "size_t sz", set by the caller to sizeof() of the struct it was built
 * with.  Older callers pass a shorter struct and get defaults for the new
 * fields; a caller built against a newer header may pass a longer one as
 * long as the bytes this library does not know are zero (else -E2BIG).
 */
#define NIO_OPTS(TYPE, NAME, ...)                                    \
	struct TYPE NAME = ({                                        \
		memset(&NAME, 0, sizeof(struct TYPE));               \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ }; \
	})

#ifdef __cplusplus
}
#endif

#endif
