// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nestctl graph: the object graph of an iommufd context as a picture.
 * IOAS -> HWPT (nest parent / nested) -> vIOMMU -> vDEVICE -> device ->
 * IOMMU (SMMU instance), with vSID/SID and the MSI window, as Graphviz DOT
 * (-f dot) or as JSON nodes and edges.
 *
 * Sources: a keep server ("socket PATH": its {"op": "show"}), a plan run
 * on a fresh context and torn down ("plan FILE", which may be a
 * recording), a saved result with "objects" ("file FILE": nestctl apply,
 * replay or show output), and "module": nestiommu.ko's view of its
 * instances and endpoints (SID, vSID, MSI window), alone or added to the
 * others.  The device's IOMMU comes from sysfs ($NESTCTL_SYSFS in tests).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nestiommu/nestiommu.h>
#include <nestiommu/smmu.h>

#include "nestctl.h"
#include "codec.h"
#include "jv.h"
#include "plan.h"

#ifndef HAVE_LIBNL
#pragma weak nio_smmu_open
#pragma weak nio_smmu_close
#pragma weak nio_smmu_last_error
#pragma weak nio_smmu_instances
#pragma weak nio_smmu_devices
#define SMMU_CLIENT (nio_smmu_open != NULL)
#else
#define SMMU_CLIENT 1
#endif

#define MAX_NODES 4096
#define LABEL_MAX 256

struct gnode {
	char key[48];    /* DOT node name */
	char kind[24];
	char label[LABEL_MAX];
	char cdev[32];   /* device nodes: "vfioN" */
	uint32_t id;     /* iommufd object ID (0: not an object) */
};

struct gedge {
	int from, to;
	char label[64];
};

struct graph {
	struct gnode *n;
	int nn;
	struct gedge *e;
	int ne;
};

static int node_add(struct graph *g, const char *key, const char *kind,
		    uint32_t id)
{
	for (int i = 0; i < g->nn; i++)
		if (!strcmp(g->n[i].key, key))
			return i;
	if (g->nn == MAX_NODES)
		return -1;
	memset(&g->n[g->nn], 0, sizeof(g->n[0]));
	snprintf(g->n[g->nn].key, sizeof(g->n[0].key), "%s", key);
	snprintf(g->n[g->nn].kind, sizeof(g->n[0].kind), "%s", kind);
	g->n[g->nn].id = id;
	return g->nn++;
}

static void edge_add(struct graph *g, int from, int to, const char *label)
{
	if (from < 0 || to < 0 || g->ne == MAX_NODES * 2)
		return;
	for (int i = 0; i < g->ne; i++)
		if (g->e[i].from == from && g->e[i].to == to)
			return;
	g->e[g->ne].from = from;
	g->e[g->ne].to = to;
	snprintf(g->e[g->ne].label, sizeof(g->e[0].label), "%s", label ? label : "");
	g->ne++;
}

/* Append a line to a node's label. */
__attribute__((format(printf, 2, 3)))
static void label_add(struct gnode *n, const char *fmt, ...)
{
	size_t len = strlen(n->label);
	va_list ap;

	if (len && len < sizeof(n->label) - 1)
		n->label[len++] = '\n';
	va_start(ap, fmt);
	vsnprintf(n->label + len, sizeof(n->label) - len, fmt, ap);
	va_end(ap);
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
	       json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

static uint64_t ju64(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_uint64(v) : 0;
}

static bool has_flag(struct json_object *o, const char *flag)
{
	struct json_object *a;

	if (!json_object_object_get_ex(o, "flag-names", &a) ||
	    !json_object_is_type(a, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)),
			    flag))
			return true;
	return false;
}

static int object_node(struct graph *g, uint32_t id)
{
	for (int i = 0; i < g->nn; i++)
		if (g->n[i].id == id)
			return i;
	return -1;
}

/* The IOMMU serving vfio-dev "name", from sysfs. */
static bool cdev_iommu(const char *name, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/class/vfio-dev/%s/device/iommu",
		 sysfs_root(), name);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(out, len, "%s", base ? base + 1 : target);
	return true;
}

/* The nodes and edges of an object graph ({"objects": [...]}). */
static int graph_from_objects(struct graph *g, struct json_object *doc)
{
	struct json_object *objs;
	size_t n;

	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "objects", &objs) ||
	    !json_object_is_type(objs, json_type_array))
		return err_usage("graph: the input has no \"objects\" array "
				 "(nestctl apply, replay or keep show output)");
	n = json_object_array_length(objs);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(objs, i);
		const char *type = jstr(o, "type"), *name = jstr(o, "name");
		uint32_t id = (uint32_t)ju64(o, "id");
		char key[48];
		struct gnode *nd;
		int k;

		if (!type || !id)
			return err_usage("graph: objects[%zu]: expected "
					 "{\"id\", \"type\", ...}", i);
		snprintf(key, sizeof(key), "obj%u", id);
		k = node_add(g, key, type, id);
		if (k < 0)
			return err_usage("graph: more than %d objects", MAX_NODES);
		nd = &g->n[k];
		if (!strcmp(type, "ioas")) {
			label_add(nd, "IOAS %u", id);
		} else if (!strcmp(type, "hwpt-paging")) {
			label_add(nd, "HWPT %u%s", id, has_flag(o, "nest-parent") ?
				  " (nest parent)" : " (paging)");
		} else if (!strcmp(type, "hwpt-nested")) {
			const char *dt = jstr(o, "data-type-name");

			label_add(nd, "HWPT %u (nested%s%s)", id, dt ? ", " : "",
				  dt ? dt : "");
		} else if (!strcmp(type, "viommu")) {
			const char *vt = jstr(o, "viommu-type-name");

			label_add(nd, "vIOMMU %u%s%s", id, vt ? " " : "", vt ? vt : "");
		} else if (!strcmp(type, "vdevice")) {
			label_add(nd, "vDEVICE %u", id);
			label_add(nd, "vSID 0x%" PRIx64, ju64(o, "virt-id"));
		} else if (!strcmp(type, "device")) {
			const char *path = jstr(o, "path"), *base;

			label_add(nd, "device %u", id);
			if (path) {
				base = strrchr(path, '/');
				snprintf(nd->cdev, sizeof(nd->cdev), "%s",
					 base ? base + 1 : path);
				label_add(nd, "%s", path);
			}
		} else {
			label_add(nd, "%s %u", type, id);
		}
		if (name && name[0] != '#')
			label_add(nd, "\"%s\"", name);
	}
	/* Edges, once every object is a node. */
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(objs, i);
		const char *type = jstr(o, "type");
		int me = object_node(g, (uint32_t)ju64(o, "id"));
		int parent = object_node(g, (uint32_t)ju64(o, "parent"));
		int dev = object_node(g, (uint32_t)ju64(o, "dev"));

		if (!strcmp(type, "device")) {
			edge_add(g, parent, me, "attached");
			continue;
		}
		edge_add(g, parent, me, NULL);
		if (!strcmp(type, "vdevice") && dev >= 0) {
			char l[64];

			snprintf(l, sizeof(l), "vSID 0x%" PRIx64, ju64(o, "virt-id"));
			edge_add(g, me, dev, l);
		}
	}
	/* Each device's IOMMU, from sysfs. */
	for (int i = 0, nn = g->nn; i < nn; i++) {
		char iommu[64], key[80];
		int k;

		if (strcmp(g->n[i].kind, "device") || !g->n[i].cdev[0] ||
		    !cdev_iommu(g->n[i].cdev, iommu, sizeof(iommu)))
			continue;
		snprintf(key, sizeof(key), "iommu_%s", iommu);
		k = node_add(g, key, "iommu", 0);
		if (k < 0)
			continue;
		if (!g->n[k].label[0]) {
			NIO_OPTS(nio_guest_layout_opts, lo,
				 .sysfs_root = sysfs_root());
			struct nio_guest_layout *gl = NULL;

			label_add(&g->n[k], "IOMMU %s", iommu);
			/* the SW_MSI window as the library tells it apart */
			if (!nio_device_guest_layout(g->n[i].cdev, &lo, &gl) &&
			    gl->has_msi_window)
				label_add(&g->n[k], "MSI window 0x%" PRIx64 "+0x%" PRIx64,
					  gl->msi_start, gl->msi_size);
			nio_guest_layout_free(gl);
		}
		edge_add(g, i, k, NULL);
	}
	return EXIT_OK;
}

static const char *domain_name(enum nio_smmu_domain d)
{
	switch (d) {
	case NIO_SMMU_DOMAIN_BLOCKED: return "blocked";
	case NIO_SMMU_DOMAIN_PAGING: return "paging";
	case NIO_SMMU_DOMAIN_S2: return "nest parent";
	case NIO_SMMU_DOMAIN_NESTED: return "nested";
	default: return "?";
	}
}

/*
 * nestiommu.ko's view: each instance (MSI window) and endpoint (SID,
 * vSID, domain), merged with device nodes of the same cdev.
 */
static int graph_from_module(struct graph *g)
{
	struct nio_smmu_instance *in = NULL;
	struct nio_smmu_device *dev = NULL;
	struct nio_smmu *smmu;
	size_t nin = 0, ndev = 0;
	int ret;

	if (!SMMU_CLIENT)
		return err_report(EXIT_USAGE, ENOTSUP, NULL,
				  "graph: module: nestctl was built without libnestiommu-smmu (libnl-3)");
	ret = nio_smmu_open(&smmu);
	if (ret < 0)
		return err_report(EXIT_KERNEL, -ret, NULL,
				  "graph: module: %s (is nestiommu.ko loaded?)",
				  nio_smmu_last_error(NULL));
	ret = nio_smmu_instances(smmu, &in, &nin);
	if (ret >= 0)
		ret = nio_smmu_devices(smmu, &dev, &ndev);
	if (ret < 0) {
		ret = err_report(EXIT_KERNEL, -ret, NULL, "graph: module: %s",
				 nio_smmu_last_error(smmu));
		goto out;
	}
	for (size_t i = 0; i < nin; i++) {
		char key[64], name[32];
		int k;

		/* the instance's IOMMU, as sysfs names it */
		snprintf(name, sizeof(name), "nestiommu.%u", in[i].id);
		snprintf(key, sizeof(key), "iommu_%s", name);
		k = node_add(g, key, "iommu", 0);
		if (k < 0)
			continue;
		g->n[k].label[0] = '\0';
		label_add(&g->n[k], "IOMMU %s (SMMU instance %u)", name, in[i].id);
		label_add(&g->n[k], "MSI window 0x%" PRIx64 "+0x%" PRIx64,
			  in[i].msi_start, in[i].msi_size);
	}
	for (size_t i = 0; i < ndev; i++) {
		char key[64], ikey[64], l[64];
		int k = -1, ik;

		for (int j = 0; j < g->nn && dev[i].cdev[0]; j++)
			if (!strcmp(g->n[j].kind, "device") &&
			    !strcmp(g->n[j].cdev, dev[i].cdev))
				k = j;
		if (k < 0) {
			snprintf(key, sizeof(key), "ep_%u_%u", dev[i].instance,
				 dev[i].index);
			k = node_add(g, key, "device", 0);
			if (k < 0)
				continue;
			label_add(&g->n[k], "endpoint %u/%u", dev[i].instance,
				  dev[i].index);
			if (dev[i].cdev[0]) {
				snprintf(g->n[k].cdev, sizeof(g->n[k].cdev), "%s",
					 dev[i].cdev);
				label_add(&g->n[k], "/dev/vfio/devices/%s",
					  dev[i].cdev);
			}
		}
		label_add(&g->n[k], "SID 0x%x, %s", dev[i].sid,
			  domain_name(dev[i].domain));
		if (dev[i].has_vsid)
			label_add(&g->n[k], "vSID 0x%x -> SID 0x%x", dev[i].vsid,
				  dev[i].sid);
		snprintf(ikey, sizeof(ikey), "iommu_nestiommu.%u", dev[i].instance);
		ik = node_add(g, ikey, "iommu", 0);
		if (ik >= 0 && !g->n[ik].label[0])
			label_add(&g->n[ik], "IOMMU nestiommu.%u", dev[i].instance);
		/* sysfs may have named the IOMMU already: keep one edge */
		for (int j = 0; j < g->ne; j++)
			if (g->e[j].from == k &&
			    !strcmp(g->n[g->e[j].to].kind, "iommu"))
				g->e[j].to = ik;
		snprintf(l, sizeof(l), "SID 0x%x", dev[i].sid);
		edge_add(g, k, ik, l);
		for (int j = 0; j < g->ne; j++)
			if (g->e[j].from == k && g->e[j].to == ik)
				snprintf(g->e[j].label, sizeof(g->e[j].label), "%s", l);
	}
	ret = EXIT_OK;
out:
	free(in);
	free(dev);
	nio_smmu_close(smmu);
	return ret;
}

/* A DOT ID: double-quoted, with quotes and backslashes escaped. */
static void dot_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
	}
	fputc('"', f);
}

static const char *node_shape(const char *kind)
{
	if (!strcmp(kind, "device"))
		return "component";
	if (!strcmp(kind, "iommu"))
		return "box3d";
	if (!strcmp(kind, "ioas"))
		return "folder";
	if (!strcmp(kind, "vdevice"))
		return "ellipse";
	return "box";
}

static void print_dot(const struct graph *g)
{
	printf("digraph nestiommu {\n");
	printf("\trankdir=LR;\n");
	printf("\tnode [fontname=\"monospace\", fontsize=10];\n");
	printf("\tedge [fontname=\"monospace\", fontsize=9];\n");
	for (int i = 0; i < g->nn; i++) {
		putchar('\t');
		dot_string(stdout, g->n[i].key);
		printf(" [shape=%s, label=", node_shape(g->n[i].kind));
		dot_string(stdout, g->n[i].label);
		printf("];\n");
	}
	for (int i = 0; i < g->ne; i++) {
		putchar('\t');
		dot_string(stdout, g->n[g->e[i].from].key);
		printf(" -> ");
		dot_string(stdout, g->n[g->e[i].to].key);
		if (g->e[i].label[0]) {
			printf(" [label=");
			dot_string(stdout, g->e[i].label);
			printf("]");
		}
		printf(";\n");
	}
	printf("}\n");
	out_flush();
}

static struct json_object *graph_json(const struct graph *g)
{
	struct json_object *o = json_object_new_object();
	struct json_object *nodes = json_object_new_array();
	struct json_object *edges = json_object_new_array();

	for (int i = 0; i < g->nn; i++) {
		struct json_object *n = json_object_new_object();

		J_STR(n, "node", g->n[i].key);
		J_STR(n, "kind", g->n[i].kind);
		J_STR(n, "label", g->n[i].label);
		json_object_array_add(nodes, n);
	}
	for (int i = 0; i < g->ne; i++) {
		struct json_object *e = json_object_new_object();

		J_STR(e, "from", g->n[g->e[i].from].key);
		J_STR(e, "to", g->n[g->e[i].to].key);
		J_STR(e, "label", g->e[i].label[0] ? g->e[i].label : NULL);
		json_object_array_add(edges, e);
	}
	J_ADD_(o, "nodes", nodes);
	J_ADD_(o, "edges", edges);
	return o;
}

/* Run a plan on a fresh context and take its graph before teardown. */
static int graph_of_plan(const char *src, struct json_object **doc)
{
	struct session s;
	int ret;

	/* a recording (libnestiommu-record) is a plan: {"steps", "recorded"} */
	ret = session_start(&s, "graph", src);
	if (ret)
		return ret;
	*doc = session_graph(&s);
	session_close(&s);
	return EXIT_OK;
}

static int do_graph(int argc, char **argv)
{
	static const char *const usage =
		"graph: expected [ -f dot|json ] { socket PATH | plan FILE | file FILE } [ module ] | module";
	const char *format = "json", *sock = NULL, *plan = NULL, *file = NULL;
	struct json_object *doc = NULL;
	struct graph g = { 0 };
	bool module = false;
	int ret = EXIT_OK;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = !strcmp(a, "-f") ? &format :
				    !strcmp(a, "socket") ? &sock :
				    !strcmp(a, "plan") ? &plan :
				    !strcmp(a, "file") ? &file : NULL;

		if (!strcmp(a, "module")) {
			module = true;
			continue;
		}
		if (!slot || i + 1 >= argc)
			return err_usage("%s", usage);
		*slot = argv[++i];
	}
	if (strcmp(format, "dot") && strcmp(format, "json"))
		return err_usage("graph: -f takes dot or json, not \"%s\"", format);
	if (!!sock + !!plan + !!file > 1 || (!sock && !plan && !file && !module))
		return err_usage("%s", usage);
	g.n = calloc(MAX_NODES, sizeof(*g.n));
	g.e = calloc(MAX_NODES * 2, sizeof(*g.e));
	if (!g.n || !g.e) {
		ret = err_lib(ENOMEM, "graph");
		goto out;
	}
	if (sock) {
		static const char show[] = "{\"op\": \"show\"}";

		ret = keep_request("graph socket", sock, show, sizeof(show) - 1, &doc);
	} else if (plan) {
		ret = graph_of_plan(plan, &doc);
	} else if (file) {
		size_t len;
		char *text = read_file_all(file, &len);
		enum json_tokener_error jerr;

		if (!text) {
			int err = errno;

			ret = err_report(EXIT_USAGE, err, NULL,
					 "graph: cannot read \"%s\": %s", file,
					 read_error(err));
			goto out;
		}
		doc = json_tokener_parse_verbose(text, &jerr);
		free(text);
		if (!doc)
			ret = err_report(EXIT_USAGE, EINVAL, NULL,
					 "graph: %s: %s", file,
					 json_tokener_error_desc(jerr));
	}
	if (ret)
		goto out;
	if (doc && (ret = graph_from_objects(&g, doc)))
		goto out;
	if (module && (ret = graph_from_module(&g)))
		goto out;
	if (!strcmp(format, "dot"))
		print_dot(&g);
	else
		out_emit(graph_json(&g));
out:
	json_object_put(doc);
	free(g.n);
	free(g.e);
	return ret;
}

const struct cmd graph_cmds[] = {
	{ "", do_graph,
	  "[ -f dot|json ] { socket PATH | plan FILE | file FILE } [ module ] | module",
	  "the object graph (IOAS, HWPT, vIOMMU, vDEVICE, device, IOMMU) as Graphviz DOT" },
	{ 0 },
};
