// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the guest layout file parser of lib/layout.c and the
 * advice computed from it.  The input is the layout's JSON text, given to
 * nio_device_guest_layout() with a fixed set of host regions (the SW_MSI
 * window at 0x8000000, a DIRECT range, a RESERVED range and an x86 MSI
 * range), so no file or sysfs is read.  On success the result must keep
 * the promises of nio_guest_layout(3) (a trap otherwise): guest regions
 * sorted, page aligned and disjoint; every collision a real overlap and
 * every overlap reported; the advised window clear of all guest regions
 * and the other host regions; one RESV_MEM property per host region.
 * On failure the error is EINVAL, EFBIG or ENOMEM with a message.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nestiommu/nestiommu.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct nio_resv_region host[] = {
	{ 0x8000000, 0x80fffff, NIO_RESV_SW_MSI },
	{ 0x3c000000, 0x3c0fffff, NIO_RESV_DIRECT },
	{ 0xfc000000, 0xfcffffff, NIO_RESV_RESERVED },
	{ 0xfee00000, 0xfeefffff, NIO_RESV_MSI },
};
#define NHOST (sizeof(host) / sizeof(host[0]))

static bool overlap(uint64_t s1, uint64_t l1, uint64_t s2, uint64_t l2)
{
	return s1 <= l2 && s2 <= l1;
}

static void check(const struct nio_guest_layout *g)
{
	uint32_t expect = 0;

	if (!g->num_guest || g->num_host != NHOST || g->num_resv_mem != NHOST)
		abort();
	for (uint32_t i = 0; i < g->num_guest; i++) {
		const struct nio_guest_region *r = &g->guest[i];

		if (!r->size || r->start % 4096 || r->size % 4096 ||
		    r->start + (r->size - 1) < r->start || !r->name[0] ||
		    !memchr(r->name, '\0', sizeof(r->name)) ||
		    !nio_guest_kind_name(r->kind))
			abort();
		if (i && g->guest[i - 1].start + (g->guest[i - 1].size - 1) >= r->start)
			abort();
		for (uint32_t h = 0; h < NHOST; h++)
			expect += overlap(host[h].start, host[h].last, r->start,
					  r->start + (r->size - 1));
	}
	if (g->num_collisions != expect)
		abort();
	for (uint32_t i = 0; i < g->num_collisions; i++) {
		const struct nio_guest_collision *c = &g->collisions[i];

		if (c->start > c->last || c->start < c->host.start ||
		    c->last > c->host.last || c->start < c->guest.start ||
		    c->last > c->guest.start + (c->guest.size - 1))
			abort();
	}
	if (!g->has_msi_window || g->msi_start != host[0].start)
		abort();
	/* clean exactly when no collision is the SW_MSI window's */
	expect = 0;
	for (uint32_t i = 0; i < g->num_collisions; i++)
		expect += g->collisions[i].host.type == NIO_RESV_SW_MSI;
	if (g->msi_window_clean != !expect)
		abort();
	if (g->has_advice) {
		uint64_t s = g->advice_start, l = s + g->msi_size - 1;

		if (g->msi_window_clean || l < s || l >= (1ULL << 48))
			abort();
		for (uint32_t i = 0; i < g->num_guest; i++)
			if (overlap(s, l, g->guest[i].start,
				    g->guest[i].start + (g->guest[i].size - 1)))
				abort();
		for (uint32_t h = 1; h < NHOST; h++)
			if (overlap(s, l, host[h].start, host[h].last))
				abort();
	}
	if (g->has_msi_gpa) {
		bool found = false;

		for (uint32_t i = 0; i < g->num_guest; i++)
			if ((g->guest[i].kind == NIO_GUEST_ITS &&
			     g->msi_gpa == g->guest[i].start + 0x10040) ||
			    (g->guest[i].kind == NIO_GUEST_GICV2M &&
			     g->msi_gpa == g->guest[i].start + 0x40))
				found = true;
		if (!found)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	NIO_OPTS(nio_guest_layout_opts, opts, .layout = "fuzz",
		 .host = host, .num_host = NHOST, .sid = 0x10);
	struct nio_guest_layout *g = NULL;
	char *text = malloc(size + 1);
	int ret;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	opts.layout_json = text;
	ret = nio_device_guest_layout(NULL, &opts, &g);
	if (ret == 0) {
		check(g);
		nio_guest_layout_free(g);
	} else if ((ret != -EINVAL && ret != -ENOMEM) || g ||
		   !nio_ctx_last_error(NULL)[0]) {
		abort();
	}
	free(text);
	return 0;
}
