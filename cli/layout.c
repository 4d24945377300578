// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nestctl device guest-layout: prints nio_device_guest_layout()'s advice,
 * what a VMM must tell the guest about the device's reserved and MSI
 * ranges (IORT RMR nodes, virtio-iommu RESV_MEM properties, QEMU's
 * msi-gpa), the collisions with the guest's memory map and an MSI window
 * that avoids them with the "nestctl msi set" command that applies it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nestiommu/nestiommu.h>

#include "nestctl.h"

static struct json_object *host_json(const struct nio_resv_region *r)
{
	struct json_object *o = json_object_new_object();
	const char *t = nio_resv_type_name(r->type);

	J_STR(o, "type", t ? t : "unknown");
	J_ADDR(o, "start", r->start);
	J_ADDR(o, "last", r->last);
	J_ADDR(o, "size", r->last - r->start + 1);
	return o;
}

static struct json_object *guest_json(const struct nio_guest_region *r)
{
	struct json_object *o = json_object_new_object();

	J_STR(o, "name", r->name);
	J_STR(o, "kind", nio_guest_kind_name(r->kind));
	J_ADDR(o, "start", r->start);
	J_ADDR(o, "last", r->start + (r->size - 1));
	J_ADDR(o, "size", r->size);
	return o;
}

static struct json_object *layout_json(const char *device,
				       const struct nio_guest_layout *g)
{
	struct json_object *o = json_object_new_object(), *a, *e;

	J_STR(o, "device", device);
	J_STR(o, "iommu", g->iommu[0] ? g->iommu : NULL);
	if (g->instance >= 0)
		J_INT(o, "nestiommu-instance", g->instance);
	else
		J_ADD_(o, "nestiommu-instance", NULL);
	J_STR(o, "layout", g->layout);

	a = json_object_new_array();
	for (uint32_t i = 0; i < g->num_host; i++)
		json_object_array_add(a, host_json(&g->host[i]));
	J_ADD_(o, "host-reserved", a);

	a = json_object_new_array();
	for (uint32_t i = 0; i < g->num_guest; i++)
		json_object_array_add(a, guest_json(&g->guest[i]));
	J_ADD_(o, "guest-regions", a);

	a = json_object_new_array();
	for (uint32_t i = 0; i < g->num_rmr; i++) {
		const char *t = nio_resv_type_name(g->rmr[i].source);

		e = json_object_new_object();
		J_U32(e, "sid", g->rmr[i].sid);
		J_ADDR(e, "start", g->rmr[i].start);
		J_ADDR(e, "size", g->rmr[i].size);
		J_STR(e, "for", t ? t : "unknown");
		json_object_array_add(a, e);
	}
	J_ADD_(o, "iort-rmr", a);

	a = json_object_new_array();
	for (uint32_t i = 0; i < g->num_resv_mem; i++) {
		const struct nio_guest_resv_mem *r = &g->resv_mem[i];

		e = json_object_new_object();
		J_STR(e, "subtype", r->subtype == NIO_RESV_MEM_MSI ?
		      "msi" : "reserved");
		J_U32(e, "subtype-value", r->subtype);
		J_ADDR(e, "start", r->start);
		J_ADDR(e, "end", r->end);
		json_object_array_add(a, e);
	}
	J_ADD_(o, "virtio-iommu-resv-mem", a);

	if (g->has_msi_gpa)
		J_ADDR(o, "msi-gpa", g->msi_gpa);
	else
		J_ADD_(o, "msi-gpa", NULL);

	a = json_object_new_array();
	for (uint32_t i = 0; i < g->num_collisions; i++) {
		const struct nio_guest_collision *c = &g->collisions[i];

		e = json_object_new_object();
		J_ADD_(e, "host", host_json(&c->host));
		J_ADD_(e, "guest", guest_json(&c->guest));
		J_ADDR(e, "start", c->start);
		J_ADDR(e, "last", c->last);
		json_object_array_add(a, e);
	}
	J_ADD_(o, "collisions", a);

	if (g->has_msi_window) {
		e = json_object_new_object();
		J_ADDR(e, "start", g->msi_start);
		J_ADDR(e, "size", g->msi_size);
		J_BOOL(e, "clean", g->msi_window_clean);
		J_ADD_(o, "msi-window", e);
	} else {
		J_ADD_(o, "msi-window", NULL);
	}

	if (g->has_advice) {
		char cmd[160];

		e = json_object_new_object();
		J_ADDR(e, "start", g->advice_start);
		J_ADDR(e, "size", g->msi_size);
		if (g->instance >= 0) {
			snprintf(cmd, sizeof(cmd),
				 "nestctl msi set %d base 0x%" PRIx64 " size 0x%" PRIx64,
				 g->instance, g->advice_start, g->msi_size);
			J_STR(e, "command", cmd);
		} else {
			J_ADD_(e, "command", NULL);
			J_STR(e, "note", "this IOMMU's driver fixes its SW_MSI window: move the guest's regions away from it instead");
		}
		J_ADD_(o, "advice", e);
	} else if (g->has_msi_window && !g->msi_window_clean) {
		e = json_object_new_object();
		J_STR(e, "note", "no free window of this size below 2^48");
		J_ADD_(o, "advice", e);
	} else {
		J_ADD_(o, "advice", NULL);
	}
	return o;
}

int do_device_guest_layout(int argc, char **argv)
{
	NIO_OPTS(nio_guest_layout_opts, opts, .layout = "virt");
	static const char *const usage =
		"device guest-layout: expected DEVICE [ layout FILE|virt ] "
		"[ ram SIZE ] [ sid N ] [ msi-base ADDR [ msi-size SIZE ] ]";
	struct nio_guest_layout *g = NULL;
	bool have_size = false, have_base = false;
	uint64_t v;
	int ret;

	if (argc < 1 || argc % 2 != 1)
		return err_usage("%s", usage);
	for (int i = 1; i < argc; i += 2) {
		const char *k = argv[i], *val = argv[i + 1];

		if (!strcmp(k, "layout")) {
			opts.layout = val;
			continue;
		}
		if (strcmp(k, "ram") && strcmp(k, "sid") &&
		    strcmp(k, "msi-base") && strcmp(k, "msi-size"))
			return err_usage("device guest-layout: unknown keyword \"%s\" (%s)",
					 k, usage);
		if (parse_u64(val, !strcmp(k, "sid") ? UINT32_MAX : UINT64_MAX, &v))
			return err_usage("device guest-layout: %s: not a number: \"%s\"",
					 k, val);
		if (!strcmp(k, "ram")) {
			opts.ram_size = v;
		} else if (!strcmp(k, "sid")) {
			opts.sid = (uint32_t)v;
		} else if (!strcmp(k, "msi-base")) {
			opts.msi_start = v;
			have_base = true;
		} else {
			opts.msi_size = v;
			have_size = true;
		}
	}
	if (have_size && !have_base)
		return err_usage("device guest-layout: msi-size needs msi-base");
	if (have_base && !have_size)
		opts.msi_size = 0x100000;
	if (have_base && !opts.msi_size)
		return err_usage("device guest-layout: msi-size must not be 0");
	opts.sysfs_root = sysfs_root();
	ret = nio_device_guest_layout(argv[0], &opts, &g);
	if (ret == -EINVAL)
		return err_report(EXIT_USAGE, EINVAL, NULL, "device guest-layout: %s",
				  nio_ctx_last_error(NULL));
	if (ret < 0) /* the library's message names the cause */
		return err_report(EXIT_KERNEL, -ret, NULL,
				  "device guest-layout: %s",
				  nio_ctx_last_error(NULL));
	out_emit(layout_json(argv[0], g));
	nio_guest_layout_free(g);
	return EXIT_OK;
}
