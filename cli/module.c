// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smmu, msi, dma: state and actions of nestiommu.ko through its generic
 * netlink family "nestiommu", via libnestiommu-smmu (nestiommu/smmu.h).
 *
 * When the module is not loaded every command fails with exit code 2 and
 * an error naming it (with -j: {"error", "errno", "module": "nestiommu"}).
 * A nestctl built without libnestiommu-smmu (no libnl-3 at configure time)
 * has no client functions (weak references, NULL) and then says so instead
 * of failing to start.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nestiommu/smmu.h>
#include <nestiommu/smmuv3.h>

#include "nestctl.h"
#include "codec.h"
#include "plan.h"

#define MODULE_NAME "nestiommu"

/*
 * Without libnestiommu-smmu the client functions are weak references
 * (NULL); with it they must be strong, or a linker with --as-needed would
 * drop the library because only weak references point into it.
 */
#ifndef HAVE_LIBNL
#pragma weak nio_smmu_open
#pragma weak nio_smmu_close
#pragma weak nio_smmu_last_error
#pragma weak nio_smmu_instances
#pragma weak nio_smmu_devices
#pragma weak nio_smmu_tlb
#pragma weak nio_smmu_device_get
#pragma weak nio_smmu_set_msi_window
#pragma weak nio_smmu_msi_trigger
#pragma weak nio_smmu_dma_read
#pragma weak nio_smmu_dma_write
#pragma weak nio_smmu_remove_devices
#pragma weak nio_smmu_counters_reset
#pragma weak nio_smmu_inject_event
#pragma weak nio_smmu_inject_fail
#pragma weak nio_smmu_inject_dma_delay
#pragma weak nio_smmu_inject_get
#pragma weak nio_smmu_audit_set
#pragma weak nio_smmu_audit_get
#pragma weak nio_smmu_audit_subscribe
#pragma weak nio_smmu_audit_next
#define SMMU_CLIENT (nio_smmu_open != NULL)
#else
#define SMMU_CLIENT 1
#endif

static struct json_object *module_extra(void)
{
	struct json_object *extra = json_object_new_object();

	J_STR(extra, "module", MODULE_NAME);
	return extra;
}

/* Connect, or report why not (module missing, no client, no permission). */
static int smmu_connect(const char *what, struct nio_smmu **out)
{
	char path[PATH_MAX];
	int ret;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/module/%s", sysfs_root(), MODULE_NAME);
	if (access(path, F_OK))
		return err_report(EXIT_KERNEL, ENOENT, module_extra(),
				  "%s: the %s kernel module is not loaded (no "
				  "generic netlink family \"%s\"); load it with "
				  "\"modprobe %s\"", what, MODULE_NAME,
				  MODULE_NAME, MODULE_NAME);
	if (!SMMU_CLIENT)
		return err_report(EXIT_KERNEL, EOPNOTSUPP, module_extra(),
				  "%s: this nestctl was built without "
				  "libnestiommu-smmu, the %s netlink client "
				  "(configure found no libnl-3)", what,
				  MODULE_NAME);
	ret = nio_smmu_open(out);
	if (ret == -ENOENT)
		return err_report(EXIT_KERNEL, ENOENT, module_extra(),
				  "%s: the %s kernel module is not loaded (no "
				  "generic netlink family \"%s\"); load it with "
				  "\"modprobe %s\"", what, MODULE_NAME,
				  MODULE_NAME, MODULE_NAME);
	if (ret < 0)
		return err_report(EXIT_KERNEL, -ret, module_extra(),
				  "%s: cannot talk to %s: %s%s", what, MODULE_NAME,
				  strerror(-ret),
				  ret == -EPERM ? " (CAP_NET_ADMIN is needed)" : "");
	return 0;
}

static int smmu_fail(struct nio_smmu *smmu, int ret, const char *what)
{
	const char *m = SMMU_CLIENT ? nio_smmu_last_error(smmu) : "";

	ret = err_report(EXIT_KERNEL, -ret, module_extra(), "%s: %s%s%s%s", what,
			 strerror(-ret), m && *m ? " (" : "", m ? m : "",
			 m && *m ? ")" : "");
	nio_smmu_close(smmu);
	return ret;
}

static const char *const counter_names[NIO_SMMU_CNT_MAX + 1] = {
	[NIO_SMMU_CNT_TRANSLATIONS] = "translations",
	[NIO_SMMU_CNT_TLB_HITS] = "tlb-hits",
	[NIO_SMMU_CNT_TLB_MISSES] = "tlb-misses",
	[NIO_SMMU_CNT_FAULTS] = "faults",
	[NIO_SMMU_CNT_EVENTS] = "events",
	[NIO_SMMU_CNT_EVENTS_LOST] = "events-lost",
	[NIO_SMMU_CNT_MSIS] = "msis",
	[NIO_SMMU_CNT_INV_TLBI_NH_ALL] = "inv-tlbi-nh-all",
	[NIO_SMMU_CNT_INV_TLBI_NH_ASID] = "inv-tlbi-nh-asid",
	[NIO_SMMU_CNT_INV_TLBI_NH_VA] = "inv-tlbi-nh-va",
	[NIO_SMMU_CNT_INV_TLBI_NH_VAA] = "inv-tlbi-nh-vaa",
	[NIO_SMMU_CNT_INV_TLBI_NSNH_ALL] = "inv-tlbi-nsnh-all",
	[NIO_SMMU_CNT_INV_ATC_INV] = "inv-atc-inv",
	[NIO_SMMU_CNT_INV_CFGI_CD] = "inv-cfgi-cd",
	[NIO_SMMU_CNT_INV_CFGI_CD_ALL] = "inv-cfgi-cd-all",
	[NIO_SMMU_CNT_INV_REJECTED] = "inv-rejected",
	[NIO_SMMU_CNT_TLB_ENTRIES] = "tlb-entries",
};

static struct json_object *counters_json(const struct nio_smmu_instance *in)
{
	struct json_object *c = json_object_new_object();

	for (int i = 1; i <= NIO_SMMU_CNT_MAX; i++)
		if (counter_names[i])
			j_u64(c, counter_names[i], in->counters[i]);
	return c;
}

static const char *domain_name(enum nio_smmu_domain d)
{
	switch (d) {
	case NIO_SMMU_DOMAIN_BLOCKED: return "blocked";
	case NIO_SMMU_DOMAIN_PAGING: return "paging";
	case NIO_SMMU_DOMAIN_S2: return "nest-parent";
	case NIO_SMMU_DOMAIN_NESTED: return "nested";
	}
	return "unknown";
}

static void words_hex(struct json_object *o, const char *key,
		      const uint64_t *w, unsigned int n)
{
	struct json_object *a = json_object_new_array();

	for (unsigned int i = 0; i < n; i++)
		json_object_array_add(a, j_hex_string(w[i]));
	json_object_object_add(o, key, a);
}

static struct json_object *device_json(const struct nio_smmu_device *d,
				       bool with_ste)
{
	struct json_object *o = json_object_new_object();
	char cdev[64];

	J_U32(o, "instance", d->instance);
	J_U32(o, "index", d->index);
	J_HEX32(o, "sid", d->sid);
	if (d->has_vsid)
		J_HEX32(o, "vsid", d->vsid);
	else
		J_STR(o, "vsid", NULL);
	J_STR(o, "domain", domain_name(d->domain));
	if (d->cdev[0]) {
		snprintf(cdev, sizeof(cdev), "/dev/vfio/devices/%s", d->cdev);
		J_STR(o, "cdev", cdev);
	} else {
		J_STR(o, "cdev", NULL);
	}
	if (with_ste) {
		struct nio_smmuv3_vste ste;
		uint8_t buf[16];

		words_hex(o, "ste-hex", d->ste, 8);
		/* V, Config and the stage 1 fields live in words 0 and 1 */
		words_to_le(d->ste, 2, buf);
		if (!nio_smmuv3_vste_decode(buf, sizeof(buf), &ste)) {
			struct json_object *f = json_object_new_object();
			const char *cfg = nio_smmuv3_name(NIO_SMMUV3_NAME_STE_CFG,
							  ste.config);

			J_BOOL(f, "valid", ste.valid);
			if (cfg)
				J_STR(f, "config", cfg);
			else
				J_U32(f, "config", ste.config);
			J_ADDR(f, "s1-context-ptr", ste.s1_context_ptr);
			J_U32(f, "s1cdmax", ste.s1cdmax);
			json_object_object_add(o, "ste", f);
		}
	}
	if (d->has_event) {
		json_object_object_add(o, "last-event",
				       codec_event_json(d->event));
	}
	return o;
}

static int parse_instance(const char *s, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s, UINT32_MAX, &v))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int do_smmu_show(int argc, char **argv)
{
	struct nio_smmu_instance *in = NULL;
	struct nio_smmu_device *dev = NULL;
	struct json_object *a;
	struct nio_smmu *smmu;
	size_t ni = 0, nd = 0;
	uint32_t only = 0;
	int ret;

	if (argc > 1 || (argc == 1 && parse_instance(argv[0], &only)))
		return err_usage("smmu show: expected [ INSTANCE ] (a number)");
	if ((ret = smmu_connect("smmu show", &smmu)))
		return ret;
	ret = nio_smmu_instances(smmu, &in, &ni);
	if (ret < 0)
		return smmu_fail(smmu, ret, "smmu show");
	ret = nio_smmu_devices(smmu, &dev, &nd);
	if (ret < 0) {
		free(in);
		return smmu_fail(smmu, ret, "smmu show");
	}
	a = json_object_new_array();
	for (size_t i = 0; i < ni; i++) {
		struct nio_smmuv3_features feat;
		struct nio_smmuv3_idregs regs;
		struct json_object *o, *w, *ds;

		if (argc && in[i].id != only)
			continue;
		o = json_object_new_object();
		J_U32(o, "instance", in[i].id);
		J_U32(o, "num-devices", in[i].num_devices);
		J_U32(o, "attached", in[i].attached);
		w = json_object_new_object();
		J_ADDR(w, "start", in[i].msi_start);
		J_ADDR(w, "size", in[i].msi_size);
		json_object_object_add(o, "msi-window", w);
		memcpy(regs.idr, in[i].idr, sizeof(regs.idr));
		regs.iidr = in[i].iidr;
		regs.aidr = in[i].aidr;
		if (!nio_smmuv3_idr_decode(&regs, &feat))
			json_object_object_add(o, "smmuv3",
					       codec_features_json(&feat, &regs, false));
		json_object_object_add(o, "counters", counters_json(&in[i]));
		ds = json_object_new_array();
		for (size_t k = 0; k < nd; k++)
			if (dev[k].instance == in[i].id)
				json_object_array_add(ds, device_json(&dev[k], false));
		json_object_object_add(o, "devices", ds);
		json_object_array_add(a, o);
	}
	free(in);
	free(dev);
	nio_smmu_close(smmu);
	if (argc && !json_object_array_length(a)) {
		json_object_put(a);
		return err_report(EXIT_KERNEL, ENOENT, module_extra(),
				  "smmu show: no instance %u", only);
	}
	out_emit(a);
	return EXIT_OK;
}

static int do_smmu_ste(int argc, char **argv)
{
	struct nio_smmu_device *dev = NULL;
	struct json_object *a;
	struct nio_smmu *smmu;
	uint32_t inst, sid = 0;
	bool by_sid = false;
	size_t nd = 0;
	int ret;

	if (argc != 1 && argc != 3)
		return err_usage("smmu ste: expected INSTANCE [ sid SID ]");
	if (parse_instance(argv[0], &inst))
		return err_usage("smmu ste: \"%s\" is not an instance number", argv[0]);
	if (argc == 3) {
		if (strcmp(argv[1], "sid") || parse_instance(argv[2], &sid))
			return err_usage("smmu ste: expected \"sid SID\" after "
					 "the instance");
		by_sid = true;
	}
	if ((ret = smmu_connect("smmu ste", &smmu)))
		return ret;
	ret = nio_smmu_devices(smmu, &dev, &nd);
	if (ret < 0)
		return smmu_fail(smmu, ret, "smmu ste");
	a = json_object_new_array();
	for (size_t k = 0; k < nd; k++)
		if (dev[k].instance == inst && (!by_sid || dev[k].sid == sid))
			json_object_array_add(a, device_json(&dev[k], true));
	free(dev);
	nio_smmu_close(smmu);
	if (!json_object_array_length(a)) {
		json_object_put(a);
		return err_report(EXIT_KERNEL, ENOENT, module_extra(),
				  "smmu ste: no %s on instance %u",
				  by_sid ? "endpoint with that StreamID" : "endpoint",
				  inst);
	}
	out_emit(a);
	return EXIT_OK;
}

static int do_smmu_tlb(int argc, char **argv)
{
	struct nio_smmu_tlb_entry *e = NULL;
	struct json_object *a;
	struct nio_smmu *smmu;
	uint32_t inst;
	size_t n = 0;
	int ret;

	if (argc != 1 || parse_instance(argv[0], &inst))
		return err_usage("smmu tlb: expected INSTANCE (a number)");
	if ((ret = smmu_connect("smmu tlb", &smmu)))
		return ret;
	ret = nio_smmu_tlb(smmu, inst, &e, &n);
	if (ret < 0)
		return smmu_fail(smmu, ret, "smmu tlb");
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object(), *p;

		J_U32(o, "vmid", e[i].vmid);
		J_U32(o, "asid", e[i].asid);
		J_ADDR(o, "iova", e[i].iova);
		J_ADDR(o, "ipa", e[i].ipa);
		J_ADDR(o, "pa", e[i].pa);
		p = json_object_new_object();
		J_BOOL(p, "s1-read", e[i].perm & 1);
		J_BOOL(p, "s1-write", e[i].perm & 2);
		J_BOOL(p, "s2-read", e[i].perm & 4);
		J_BOOL(p, "s2-write", e[i].perm & 8);
		json_object_object_add(o, "perm", p);
		json_object_array_add(a, o);
	}
	free(e);
	nio_smmu_close(smmu);
	out_emit(a);
	return EXIT_OK;
}

static int do_smmu_counters(int argc, char **argv)
{
	struct nio_smmu_instance *in = NULL;
	struct json_object *a;
	struct nio_smmu *smmu;
	uint32_t only = 0;
	size_t n = 0;
	int ret;

	if (argc > 1 || (argc == 1 && parse_instance(argv[0], &only)))
		return err_usage("smmu counters: expected [ INSTANCE ] (a number)");
	if ((ret = smmu_connect("smmu counters", &smmu)))
		return ret;
	ret = nio_smmu_instances(smmu, &in, &n);
	if (ret < 0)
		return smmu_fail(smmu, ret, "smmu counters");
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o;

		if (argc && in[i].id != only)
			continue;
		o = json_object_new_object();
		J_U32(o, "instance", in[i].id);
		json_object_object_add(o, "counters", counters_json(&in[i]));
		json_object_array_add(a, o);
	}
	free(in);
	nio_smmu_close(smmu);
	out_emit(a);
	return EXIT_OK;
}

/* smmu remove [INSTANCE]: take the endpoints away (needed before rmmod) */
static int do_smmu_remove(int argc, char **argv)
{
	struct nio_smmu *smmu;
	uint32_t only = 0;
	int ret;

	if (argc > 1 || (argc == 1 && parse_instance(argv[0], &only)))
		return err_usage("smmu remove: expected [ INSTANCE ] (a number)");
	if ((ret = smmu_connect("smmu remove", &smmu)))
		return ret;
	ret = nio_smmu_remove_devices(smmu, argc ? (int)only : -1);
	if (ret < 0)
		return smmu_fail(smmu, ret, "smmu remove");
	nio_smmu_close(smmu);
	out_emit(NULL);
	return EXIT_OK;
}

/* smmu reset [INSTANCE]: zero the counters */
static int do_smmu_reset(int argc, char **argv)
{
	struct nio_smmu *smmu;
	uint32_t only = 0;
	int ret;

	if (argc > 1 || (argc == 1 && parse_instance(argv[0], &only)))
		return err_usage("smmu reset: expected [ INSTANCE ] (a number)");
	if ((ret = smmu_connect("smmu reset", &smmu)))
		return ret;
	ret = nio_smmu_counters_reset(smmu, argc ? (int)only : -1);
	if (ret < 0)
		return smmu_fail(smmu, ret, "smmu reset");
	nio_smmu_close(smmu);
	out_emit(NULL);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* smmu audit: the invalidation audit (nestiommu(4))                    */

static const char *const audit_counter_names[NIO_SMMU_AUDIT_CNT_MAX + 1] = {
	[NIO_SMMU_AUDIT_CNT_CHECKS] = "checks",
	[NIO_SMMU_AUDIT_CNT_STALE_TLB] = "stale-tlb",
	[NIO_SMMU_AUDIT_CNT_STALE_CD] = "stale-cd",
	[NIO_SMMU_AUDIT_CNT_DROPPED] = "dropped",
	[NIO_SMMU_AUDIT_CNT_TLBI_NOOP] = "tlbi-noop",
	[NIO_SMMU_AUDIT_CNT_CFGI_NOOP] = "cfgi-noop",
	[NIO_SMMU_AUDIT_CNT_TLBI_BROAD] = "tlbi-broad",
	[NIO_SMMU_AUDIT_CNT_CFGI_BROAD] = "cfgi-broad",
};

static struct json_object *perm_json(uint32_t perm, bool s2)
{
	struct json_object *p = json_object_new_object();

	J_BOOL(p, "s1-read", perm & 1);
	J_BOOL(p, "s1-write", perm & 2);
	if (s2) {
		J_BOOL(p, "s2-read", perm & 4);
		J_BOOL(p, "s2-write", perm & 8);
	}
	return p;
}

/* One stale use as JSON (smmu audit, events watch audit) */
static struct json_object *audit_rec_json(const struct nio_smmu_audit_rec *r)
{
	struct json_object *o = json_object_new_object(), *c, *f, *l;
	bool cd = r->cache == NIO_SMMU_AUDIT_CD;
	const char *name;

	J_U32(o, "instance", r->instance);
	J_U64(o, "seq", r->seq);
	J_STR(o, "cache", cd ? "cd" : "tlb");
	J_U64(o, "time-ns", r->time_ns);
	J_HEX32(o, "sid", r->sid);
	if (r->has_vsid)
		J_HEX32(o, "vsid", r->vsid);
	else
		J_STR(o, "vsid", NULL);
	if (r->ssid == NIO_SMMU_NO_PASID)
		J_STR(o, "ssid", NULL);
	else
		J_U32(o, "ssid", r->ssid);
	J_U32(o, "vmid", r->vmid);
	J_U32(o, "asid", r->asid);
	J_ADDR(o, "va", r->va);
	J_STR(o, "access", r->write ? "write" : "read");
	c = json_object_new_object();
	f = json_object_new_object();
	if (cd) {
		J_ADDR(c, "ttb0", r->ipa);
		J_U32(c, "asid", r->asid);
	} else {
		J_ADDR(c, "ipa", r->ipa);
		/* pa 0: only stage 1 was cached for this 4 KiB page */
		if (r->pa)
			J_ADDR(c, "pa", r->pa);
		json_object_object_add(c, "perm", perm_json(r->perm, r->pa));
	}
	if (r->fault) {
		name = nio_smmuv3_name(NIO_SMMUV3_NAME_EVENT, r->fault);
		if (name)
			J_STR(f, "fault", name);
		else
			J_U32(f, "fault", r->fault);
	} else if (cd) {
		J_ADDR(f, "ttb0", r->fresh_ipa);
		J_U32(f, "asid", r->fresh_asid);
	} else {
		J_ADDR(f, "ipa", r->fresh_ipa);
		if (r->pa)
			J_ADDR(f, "pa", r->fresh_pa);
		json_object_object_add(f, "perm", perm_json(r->fresh_perm, r->pa));
	}
	json_object_object_add(o, "cached", c);
	json_object_object_add(o, "fresh", f);
	if (r->inv_op) {
		l = json_object_new_object();
		name = nio_smmuv3_name(NIO_SMMUV3_NAME_OPCODE, r->inv_op);
		if (name)
			J_STR(l, "command", name);
		else
			J_U32(l, "command", r->inv_op);
		J_U64(l, "time-ns", r->inv_time_ns);
		J_U64(l, "ns-before-use", r->time_ns - r->inv_time_ns);
		json_object_object_add(o, "last-invalidation", l);
	} else {
		J_STR(o, "last-invalidation", NULL);
	}
	return o;
}

/*
 * smmu audit [ INSTANCE ] [ on | off | clear ]: change the audit (every
 * instance when none is named), then show its state and stale uses.
 */
static int do_smmu_audit(int argc, char **argv)
{
	static const char usage[] = "smmu audit: expected [ INSTANCE ] "
				    "[ on | off | clear ]";
	struct nio_smmu_audit_state *st = NULL;
	struct nio_smmu_audit_rec *rec = NULL;
	const char *action = NULL;
	struct json_object *a;
	struct nio_smmu *smmu;
	size_t ns = 0, nr = 0;
	uint32_t only = 0;
	bool has_inst = false;
	int ret, i = 0;

	if (i < argc && !parse_instance(argv[i], &only)) {
		has_inst = true;
		i++;
	}
	if (i < argc)
		action = argv[i++];
	if (i < argc || (action && strcmp(action, "on") &&
			 strcmp(action, "off") && strcmp(action, "clear")))
		return err_usage("%s", usage);
	if ((ret = smmu_connect("smmu audit", &smmu)))
		return ret;
	if (action) {
		ret = nio_smmu_audit_set(smmu, has_inst ? (int)only : -1,
					 !strcmp(action, "on") ? 1 :
					 !strcmp(action, "off") ? 0 : -1,
					 !strcmp(action, "clear"));
		if (ret < 0)
			return smmu_fail(smmu, ret, "smmu audit");
	}
	ret = nio_smmu_audit_get(smmu, has_inst ? (int)only : -1, &st, &ns,
				 &rec, &nr);
	if (ret < 0)
		return smmu_fail(smmu, ret, "smmu audit");
	nio_smmu_close(smmu);
	a = json_object_new_array();
	for (size_t k = 0; k < ns; k++) {
		struct json_object *o = json_object_new_object(), *c, *r;

		J_U32(o, "instance", st[k].instance);
		J_BOOL(o, "enabled", st[k].enabled);
		J_U32(o, "ring-size", st[k].ring_size);
		J_U64(o, "records", st[k].records);
		c = json_object_new_object();
		for (int n = 1; n <= NIO_SMMU_AUDIT_CNT_MAX; n++)
			j_u64(c, audit_counter_names[n], st[k].counters[n]);
		json_object_object_add(o, "counters", c);
		r = json_object_new_array();
		for (size_t m = 0; m < nr; m++)
			if (rec[m].instance == st[k].instance)
				json_object_array_add(r, audit_rec_json(&rec[m]));
		json_object_object_add(o, "stale-uses", r);
		json_object_array_add(a, o);
	}
	free(st);
	free(rec);
	out_emit(a);
	return EXIT_OK;
}

/* events watch ... audit: subscribe; returns the descriptor to poll */
int audit_watch_open(struct nio_smmu **out)
{
	int ret;

	if ((ret = smmu_connect("events watch audit", out)))
		return -ret;
	ret = nio_smmu_audit_subscribe(*out);
	if (ret < 0) {
		ret = smmu_fail(*out, ret, "events watch audit: subscribe");
		*out = NULL;
		return -ret;
	}
	return ret;
}

/* Emit the stale uses that arrived (at most @max); returns how many */
int audit_watch_emit(struct nio_smmu *smmu, uint64_t max)
{
	struct nio_smmu_audit_rec r;
	uint64_t n = 0;
	int ret;

	while (n < max && (ret = nio_smmu_audit_next(smmu, &r)) != -EAGAIN) {
		struct json_object *o;

		if (ret == -ENOBUFS) {
			o = json_object_new_object();
			J_STR(o, "kind", "stale-use-lost");
			out_emit(o);
			continue;
		}
		if (ret < 0)
			return ret;
		o = audit_rec_json(&r);
		J_STR(o, "kind", "stale-use");
		out_emit(o);
		n++;
	}
	return (int)n;
}

void audit_watch_close(struct nio_smmu *smmu)
{
	nio_smmu_close(smmu);
}

/*
 * An endpoint: "INSTANCE/INDEX", "vfioN" or "/dev/vfio/devices/vfioN"
 * (looked up in the module's device list).
 */
static int resolve_endpoint(struct nio_smmu *smmu, const char *what,
			    const char *spec, uint32_t *inst, uint32_t *index)
{
	struct nio_smmu_device *dev = NULL;
	const char *name = spec;
	unsigned int a, b;
	size_t n = 0;
	char tail;
	int ret;

	if (sscanf(spec, "%u/%u%c", &a, &b, &tail) == 2) {
		*inst = a;
		*index = b;
		return 0;
	}
	if (!strncmp(name, "/dev/vfio/devices/", 18))
		name += 18;
	ret = nio_smmu_devices(smmu, &dev, &n);
	if (ret < 0)
		return ret;
	ret = -ENODEV;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(dev[i].cdev, name)) {
			*inst = dev[i].instance;
			*index = dev[i].index;
			ret = 0;
			break;
		}
	free(dev);
	(void)what;
	return ret;
}

/* keyword-value pairs after the positional arguments */
static const char *kw(int argc, char **argv, const char *key)
{
	for (int i = 0; i + 1 < argc; i += 2)
		if (!strcmp(argv[i], key))
			return argv[i + 1];
	return NULL;
}

static int check_kws(const char *what, int argc, char **argv,
		     const char *const *known)
{
	if (argc % 2)
		return err_usage("%s: \"%s\" needs a value", what, argv[argc - 1]);
	for (int i = 0; i < argc; i += 2) {
		const char *const *k;

		for (k = known; *k; k++)
			if (!strcmp(*k, argv[i]))
				break;
		if (!*k)
			return err_usage("%s: unknown keyword \"%s\"", what, argv[i]);
	}
	return 0;
}

static int do_msi_set(int argc, char **argv)
{
	static const char *const known[] = { "base", "size", NULL };
	struct json_object *o;
	struct nio_smmu *smmu;
	uint64_t base, size;
	uint32_t inst;
	int ret;

	if (argc < 1 || parse_instance(argv[0], &inst))
		return err_usage("msi set: expected INSTANCE base ADDR size SIZE");
	if ((ret = check_kws("msi set", argc - 1, argv + 1, known)))
		return ret;
	if (!kw(argc - 1, argv + 1, "base") || !kw(argc - 1, argv + 1, "size") ||
	    parse_u64(kw(argc - 1, argv + 1, "base"), UINT64_MAX, &base) ||
	    parse_u64(kw(argc - 1, argv + 1, "size"), UINT64_MAX, &size))
		return err_usage("msi set: expected INSTANCE base ADDR size SIZE "
				 "(numbers)");
	if ((ret = smmu_connect("msi set", &smmu)))
		return ret;
	ret = nio_smmu_set_msi_window(smmu, inst, base, size);
	if (ret < 0)
		return smmu_fail(smmu, ret, ret == -EBUSY ?
				 "msi set (detach the endpoints first)" : "msi set");
	nio_smmu_close(smmu);
	o = json_object_new_object();
	J_U32(o, "instance", inst);
	J_ADDR(o, "start", base);
	J_ADDR(o, "size", size);
	out_emit(o);
	return EXIT_OK;
}

static int do_msi_raise(int argc, char **argv)
{
	static const char *const known[] = { "vector", NULL };
	struct nio_smmu *smmu;
	uint32_t inst, index, vector = 0;
	const char *v;
	int ret;

	if (argc < 1)
		return err_usage("msi raise: expected DEVICE [ vector N ]");
	if ((ret = check_kws("msi raise", argc - 1, argv + 1, known)))
		return ret;
	if ((v = kw(argc - 1, argv + 1, "vector")) &&
	    (parse_instance(v, &vector) || vector >= NIO_SMMU_MSI_VECTORS))
		return err_usage("msi raise: vector is 0 to %d",
				 NIO_SMMU_MSI_VECTORS - 1);
	if ((ret = smmu_connect("msi raise", &smmu)))
		return ret;
	ret = resolve_endpoint(smmu, "msi raise", argv[0], &inst, &index);
	if (ret < 0)
		return smmu_fail(smmu, ret, "msi raise: unknown endpoint "
				 "(INSTANCE/INDEX or vfioN)");
	ret = nio_smmu_msi_trigger(smmu, inst, index, vector);
	if (ret < 0)
		return smmu_fail(smmu, ret, "msi raise");
	nio_smmu_close(smmu);
	out_emit(NULL);
	return EXIT_OK;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A DMA fault: the error carries the decoded event record. */
static int dma_fault(struct nio_smmu *smmu, int ret, const char *what,
		     uint32_t inst, uint32_t index)
{
	struct nio_smmu_device d;

	if (ret == -EFAULT && !nio_smmu_device_get(smmu, inst, index, &d) &&
	    d.has_event) {
		struct json_object *extra = module_extra();

		json_object_object_add(extra, "event", codec_event_json(d.event));
		nio_smmu_close(smmu);
		return err_report(EXIT_KERNEL, EFAULT, extra,
				  "%s: translation fault (see \"event\")", what);
	}
	return smmu_fail(smmu, ret, what);
}

static int do_dma(int argc, char **argv, bool write)
{
	static const char *const rknown[] = { "iova", "length", "pasid", NULL };
	static const char *const wknown[] = { "iova", "data", "pasid", NULL };
	const char *what = write ? "dma write" : "dma read";
	uint64_t iova, len = 0, pasid = NIO_SMMU_NO_PASID;
	uint8_t *buf = NULL;
	struct json_object *o;
	struct nio_smmu *smmu;
	uint32_t inst, index;
	const char *v;
	int ret;

	if (argc < 1)
		return err_usage("%s: expected DEVICE iova IOVA %s", what,
				 write ? "data HEX" : "length LEN");
	if ((ret = check_kws(what, argc - 1, argv + 1, write ? wknown : rknown)))
		return ret;
	if (!(v = kw(argc - 1, argv + 1, "iova")) || parse_u64(v, UINT64_MAX, &iova))
		return err_usage("%s: missing or bad \"iova\"", what);
	if ((v = kw(argc - 1, argv + 1, "pasid")) && parse_u64(v, UINT32_MAX, &pasid))
		return err_usage("%s: bad \"pasid\"", what);
	if (write) {
		size_t n;

		v = kw(argc - 1, argv + 1, "data");
		if (v && !strncmp(v, "0x", 2))
			v += 2;
		n = v ? strlen(v) : 0;
		if (!n || n % 2 || n / 2 > 32768)
			return err_usage("%s: \"data\" is 1 to 32768 bytes of hex", what);
		buf = malloc(n / 2);
		if (!buf)
			return err_lib(ENOMEM, "%s", what);
		for (size_t i = 0; i < n / 2; i++) {
			int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				free(buf);
				return err_usage("%s: \"data\" is not hex", what);
			}
			buf[i] = (uint8_t)(hi << 4 | lo);
		}
		len = n / 2;
	} else {
		if (!(v = kw(argc - 1, argv + 1, "length")) ||
		    parse_u64(v, 32768, &len) || !len)
			return err_usage("%s: \"length\" is 1 to 32768", what);
		buf = malloc(len);
		if (!buf)
			return err_lib(ENOMEM, "%s", what);
	}
	if ((ret = smmu_connect(what, &smmu))) {
		free(buf);
		return ret;
	}
	ret = resolve_endpoint(smmu, what, argv[0], &inst, &index);
	if (ret < 0) {
		free(buf);
		return smmu_fail(smmu, ret, "unknown endpoint (INSTANCE/INDEX or vfioN)");
	}
	ret = write ? nio_smmu_dma_write(smmu, inst, index, (uint32_t)pasid, iova,
					 buf, len)
		    : nio_smmu_dma_read(smmu, inst, index, (uint32_t)pasid, iova,
					buf, len);
	if (ret < 0) {
		free(buf);
		return dma_fault(smmu, ret, what, inst, index);
	}
	nio_smmu_close(smmu);
	o = json_object_new_object();
	J_U32(o, "instance", inst);
	J_U32(o, "index", index);
	J_ADDR(o, "iova", iova);
	J_U64(o, "length", len);
	if (!write) {
		static const char digits[] = "0123456789abcdef";
		char *hex = malloc(2 * len + 1);

		if (hex) {
			for (size_t i = 0; i < len; i++) {
				hex[2 * i] = digits[buf[i] >> 4];
				hex[2 * i + 1] = digits[buf[i] & 0xf];
			}
			hex[2 * len] = '\0';
			J_STR(o, "data", hex);
			free(hex);
		}
	}
	free(buf);
	out_emit(o);
	return EXIT_OK;
}

static int do_dma_read(int argc, char **argv)
{
	return do_dma(argc, argv, false);
}

static int do_dma_write(int argc, char **argv)
{
	return do_dma(argc, argv, true);
}

/* ------------------------------------------------------------------ */
/* smmu inject: fault injection for VMM tests                          */

static const char *const inject_op_names[NIO_SMMU_INJECT_MAX + 1] = {
	[NIO_SMMU_INJECT_INVALIDATE] = "invalidate",
	[NIO_SMMU_INJECT_NESTED_ALLOC] = "nested-alloc",
};

static void j_errno(struct json_object *o, const char *key, int e)
{
	const char *n = plan_errno_name(e);

	j_int(o, key, e);
	if (n)
		J_STR(o, "error", n);
	else if (e)
		J_STR(o, "error", strerror(e));
}

/* The endpoint's armed injections, as JSON (closes smmu on failure) */
static int inject_state_json(struct nio_smmu *smmu, const char *what,
			     uint32_t inst, uint32_t index,
			     struct json_object **out)
{
	struct nio_smmu_inject st;
	struct json_object *o, *f;
	int ret;

	*out = NULL;
	ret = nio_smmu_inject_get(smmu, inst, index, &st);
	if (ret < 0)
		return smmu_fail(smmu, ret, what);
	o = json_object_new_object();
	J_U32(o, "instance", st.instance);
	J_U32(o, "index", st.index);
	J_U32(o, "dma-delay-us", st.dma_delay_us);
	if (!st.has_vdevice) {
		json_object_object_add(o, "vsid", NULL);
		*out = o;
		return 0;
	}
	J_U32(o, "vsid", st.vsid);
	f = json_object_new_object();
	for (int op = 0; op <= NIO_SMMU_INJECT_MAX; op++) {
		struct json_object *e = json_object_new_object();

		J_U32(e, "count", st.fail[op].count);
		J_U32(e, "skip", st.fail[op].skip);
		j_errno(e, "errno", st.fail[op].err);
		json_object_object_add(f, inject_op_names[op], e);
	}
	json_object_object_add(o, "fail", f);
	*out = o;
	return 0;
}

static int parse_errno_arg(const char *v, int *err)
{
	uint64_t n;

	if (!parse_u64(v, 4095, &n) && n) {
		*err = (int)n;
		return 0;
	}
	*err = plan_errno_value(v);
	return *err ? 0 : -1;
}

/* What "smmu inject event|fail" asks for, parsed before connecting */
struct inject_req {
	uint64_t evt[4];
	uint64_t count;
	uint64_t skip;
	bool raw;
	int op;
	int err;
};

/* event DEVICE FIELDS [ count N | overflow ] [ raw ] */
static int parse_inject_event(const char *what, int argc, char **argv,
			      struct inject_req *r)
{
	r->count = 1;
	if (argc < 1)
		return err_usage("%s: expected DEVICE FIELDS [ count N | overflow ] [ raw ]",
				 what);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "raw")) {
			r->raw = true;
		} else if (!strcmp(argv[i], "overflow")) {
			r->count = NIO_SMMU_INJECT_MAX_EVENTS;
		} else if (!strcmp(argv[i], "count") && i + 1 < argc) {
			if (parse_u64(argv[++i], NIO_SMMU_INJECT_MAX_EVENTS,
				      &r->count) || !r->count)
				return err_usage("%s: \"count\" is 1 to %u",
						 what, NIO_SMMU_INJECT_MAX_EVENTS);
		} else {
			return err_usage("%s: unknown argument \"%s\" (count N, overflow, raw)",
					 what, argv[i]);
		}
	}
	return codec_event_fields_arg(argv[0], r->evt);
}

/* fail DEVICE OP errno E [ count N ] [ skip S ] */
static int parse_inject_fail(const char *what, int argc, char **argv,
			     struct inject_req *r)
{
	static const char *const known[] = { "errno", "count", "skip", NULL };
	const char *v;
	int ret;

	r->count = 1;
	if (argc < 1)
		return err_usage("%s: expected OP (invalidate or nested-alloc) errno E [ count N ] [ skip S ]",
				 what);
	for (r->op = 0; r->op <= NIO_SMMU_INJECT_MAX; r->op++)
		if (!strcmp(argv[0], inject_op_names[r->op]))
			break;
	if (r->op > NIO_SMMU_INJECT_MAX)
		return err_usage("%s: unknown operation \"%s\" (invalidate or nested-alloc)",
				 what, argv[0]);
	if ((ret = check_kws(what, argc - 1, argv + 1, known)))
		return ret;
	if ((v = kw(argc - 1, argv + 1, "count")) &&
	    parse_u64(v, UINT32_MAX, &r->count))
		return err_usage("%s: bad \"count\"", what);
	if ((v = kw(argc - 1, argv + 1, "skip")) &&
	    parse_u64(v, UINT32_MAX, &r->skip))
		return err_usage("%s: bad \"skip\"", what);
	v = kw(argc - 1, argv + 1, "errno");
	if (r->count && (!v || parse_errno_arg(v, &r->err)))
		return err_usage("%s: \"errno\" is a number 1 to 4095 or a name such as ETIMEDOUT",
				 what);
	return 0;
}

/*
 * smmu inject event|fail|delay|show DEVICE ...: inject events into the
 * vEVENTQ of the device's vIOMMU, make its invalidations or nested
 * allocations fail, delay its DMA completions, or show what is armed.
 */
static int do_smmu_inject(int argc, char **argv)
{
	static const char *const verbs[] = { "event", "fail", "delay", "show",
					     NULL };
	struct inject_req r = { 0 };
	char what[32];
	struct json_object *o = NULL;
	struct nio_smmu *smmu;
	uint32_t inst, index;
	uint64_t us = 0;
	int i, ret = 0;

	if (argc < 2)
		return err_usage("smmu inject: expected event DEVICE FIELDS [ count N | overflow ] [ raw ], fail DEVICE { invalidate | nested-alloc } errno E [ count N ] [ skip S ], delay DEVICE US or show DEVICE");
	for (i = 0; verbs[i]; i++)
		if (!strcmp(argv[0], verbs[i]))
			break;
	if (!verbs[i])
		return err_usage("smmu inject: unknown action \"%s\" (event, fail, delay or show)",
				 argv[0]);
	snprintf(what, sizeof(what), "smmu inject %s", argv[0]);
	if (!strcmp(argv[0], "event"))
		ret = parse_inject_event(what, argc - 2, argv + 2, &r);
	else if (!strcmp(argv[0], "fail"))
		ret = parse_inject_fail(what, argc - 2, argv + 2, &r);
	else if (!strcmp(argv[0], "delay") &&
		 (argc != 3 ||
		  parse_u64(argv[2], NIO_SMMU_INJECT_MAX_DELAY_US, &us)))
		ret = err_usage("%s: expected DEVICE MICROSECONDS (0 to %u)",
				what, NIO_SMMU_INJECT_MAX_DELAY_US);
	else if (!strcmp(argv[0], "show") && argc != 2)
		ret = err_usage("%s: expected DEVICE", what);
	if (ret)
		return ret;
	if ((ret = smmu_connect(what, &smmu)))
		return ret;
	ret = resolve_endpoint(smmu, what, argv[1], &inst, &index);
	if (ret < 0)
		return smmu_fail(smmu, ret, "unknown endpoint (INSTANCE/INDEX or vfioN)");
	if (!strcmp(argv[0], "event")) {
		ret = nio_smmu_inject_event(smmu, inst, index, r.evt,
					    (uint32_t)r.count, r.raw);
		if (ret < 0)
			return smmu_fail(smmu, ret, what);
		nio_smmu_close(smmu);
		o = json_object_new_object();
		J_U32(o, "instance", inst);
		J_U32(o, "index", index);
		J_U64(o, "count", r.count);
		J_BOOL(o, "raw", r.raw);
		json_object_object_add(o, "event", codec_event_json(r.evt));
		out_emit(o);
		return EXIT_OK;
	}
	if (!strcmp(argv[0], "fail"))
		ret = nio_smmu_inject_fail(smmu, inst, index,
					   (enum nio_smmu_inject_op)r.op,
					   (uint32_t)r.count, (uint32_t)r.skip,
					   r.err);
	else if (!strcmp(argv[0], "delay"))
		ret = nio_smmu_inject_dma_delay(smmu, inst, index, (uint32_t)us);
	if (ret < 0)
		return smmu_fail(smmu, ret, what);
	if ((ret = inject_state_json(smmu, what, inst, index, &o)))
		return ret;
	nio_smmu_close(smmu);
	out_emit(o);
	return EXIT_OK;
}

const struct cmd smmu_cmds[] = {
	{ "show", do_smmu_show, "[ INSTANCE ]",
	  "show software SMMUv3 instances and their devices" },
	{ "ste", do_smmu_ste, "INSTANCE [ sid SID ]", "dump stream table entries" },
	{ "tlb", do_smmu_tlb, "INSTANCE", "dump TLB and configuration caches" },
	{ "counters", do_smmu_counters, "[ INSTANCE ]", "show counters" },
	{ "reset", do_smmu_reset, "[ INSTANCE ]", "zero the counters" },
	{ "audit", do_smmu_audit, "[ INSTANCE ] [ on | off | clear ]",
	  "invalidation audit: stale TLB/CD uses and over-invalidation" },
	{ "remove", do_smmu_remove, "[ INSTANCE ]",
	  "remove the endpoints (before rmmod)" },
	{ "inject", do_smmu_inject,
	  "{ event | fail | delay | show } DEVICE ...",
	  "inject events, failures and DMA delays (VMM tests)" },
	{ 0 },
};

const struct cmd msi_cmds[] = {
	{ "set", do_msi_set, "INSTANCE base ADDR size SIZE",
	  "move the MSI doorbell window of an instance" },
	{ "raise", do_msi_raise, "DEVICE [ vector N ]",
	  "make a device write its MSI" },
	{ 0 },
};

const struct cmd dma_cmds[] = {
	{ "read", do_dma_read, "DEVICE iova IOVA length LEN [ pasid P ]",
	  "make a device read memory through its IOMMU" },
	{ "write", do_dma_write, "DEVICE iova IOVA data HEX [ pasid P ]",
	  "make a device write memory through its IOMMU" },
	{ 0 },
};
