// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nestctl: inspect and drive iommufd nesting (libnestiommu), JSON in and out.
 *
 *   nestctl [-j|--json] [-p|--pretty] [-V|--version] OBJECT COMMAND [ARGS]
 *
 * Keywords match exactly (no prefixes, see ip(8)'s deprecation of
 * matches()).  Exit codes: 0 ok, 1 usage or plan error, 2 kernel or library
 * error.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nestiommu/nestiommu.h>

#include "nestctl.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

bool json_output;
bool pretty_output;
bool brief_output;
const char *progname = "nestctl";

static int do_version(int argc, char **argv)
{
	struct json_object *o;

	if (argc)
		return err_usage("version takes no arguments");
	o = json_object_new_object();
	j_str(o, "nestctl", PACKAGE_VERSION);
	j_str(o, "libnestiommu", nio_version());
	out_emit(o);
	return EXIT_OK;
}

static const struct cmd version_cmds[] = {
	{ "", do_version, "", "print the versions of nestctl and libnestiommu" },
	{ 0 },
};

/*
 * The order here is the order of the help text, the man page and the bash
 * completion (tests/cli/test-help-agree.sh checks that they agree).
 */
const struct object objects[] = {
	{ "device", device_cmds, "VFIO device cdevs" },
	{ "iommu", iommu_cmds, "physical IOMMUs and the devices they serve" },
	{ "group", group_cmds, "IOMMU groups" },
	{ "hw-info", hwinfo_cmds, "IOMMU hardware information of a device" },
	{ "apply", apply_cmds, "run a plan of iommufd operations" },
	{ "replay", replay_cmds, "replay a recorded session and compare" },
	{ "events", events_cmds, "stream vEVENTQ and fault records" },
	{ "ste", ste_cmds, "SMMUv3 stream table entries (offline)" },
	{ "cd", cd_cmds, "SMMUv3 context descriptors (offline)" },
	{ "cmd", cmd_cmds, "SMMUv3 commands (offline)" },
	{ "event", event_cmds, "SMMUv3 event records (offline)" },
	{ "idr", idr_cmds, "SMMUv3 ID registers (offline)" },
	{ "smmu", smmu_cmds, "nestiommu.ko software SMMUv3 state" },
	{ "msi", msi_cmds, "nestiommu.ko MSI doorbell" },
	{ "dma", dma_cmds, "nestiommu.ko device DMA" },
	{ "graph", graph_cmds, "the object graph as Graphviz DOT" },
	{ "version", version_cmds, "versions" },
	{ 0 },
};

static void help_line(FILE *f, const struct object *obj, const struct cmd *c)
{
	char left[128];

	snprintf(left, sizeof(left), "nestctl %s%s%s%s%s", obj->name,
		 c->name[0] ? " " : "", c->name, c->args[0] ? " " : "",
		 c->args);
	if (strlen(left) <= 40)
		fprintf(f, "  %-40s %s\n", left, c->desc);
	else
		fprintf(f, "  %s\n  %-40s %s\n", left, "", c->desc);
}

static void help_synopsis(FILE *f, const struct object *obj)
{
	const struct cmd *c;

	fprintf(f, "Usage: nestctl [OPTIONS] %s { ", obj->name);
	for (c = obj->cmds; c->name; c++) {
		if (c->name[0])
			fprintf(f, "%s | ", c->name);
		else
			fprintf(f, "%s%s| ", c->args, c->args[0] ? " " : "");
	}
	fprintf(f, "help }\n");
}

static int emit_help(char *text, size_t len)
{
	if (json_output) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "help",
				       json_object_new_string_len(text, (int)len));
		out_emit(o);
	} else {
		fwrite(text, 1, len, stdout);
	}
	free(text);
	return EXIT_OK;
}

int do_object_help(const struct object *obj)
{
	const struct cmd *c;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return err_lib(errno, "open_memstream");
	help_synopsis(f, obj);
	fputc('\n', f);
	for (c = obj->cmds; c->name; c++)
		help_line(f, obj, c);
	fclose(f);
	return emit_help(text, len);
}

static int do_help(void)
{
	const struct object *obj;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return err_lib(errno, "open_memstream");
	fprintf(f,
		"Usage: nestctl [OPTIONS] OBJECT { COMMAND | help }\n"
		"       nestctl help\n"
		"OPTIONS := { -j|--json | -p|--pretty | -b|--brief | -V|--version | -h|--help }\n"
		"OBJECT := {");
	for (obj = objects; obj->name; obj++)
		fprintf(f, " %s%s", obj->name, obj[1].name ? " |" : " }\n");
	fprintf(f, "\nCommands:\n");
	for (obj = objects; obj->name; obj++) {
		const struct cmd *c;

		for (c = obj->cmds; c->name; c++)
			help_line(f, obj, c);
	}
	fprintf(f,
		"\nExit status: 0 success, 1 usage or plan error, "
		"2 kernel or library error.\n"
		"See nestctl(8).\n");
	fclose(f);
	return emit_help(text, len);
}

static bool is_help(const char *s)
{
	return !strcmp(s, "help") || !strcmp(s, "--help") || !strcmp(s, "-h");
}

static const struct object *find_object(const char *name)
{
	for (const struct object *obj = objects; obj->name; obj++)
		if (!strcmp(obj->name, name))
			return obj;
	return NULL;
}

static int dispatch(int argc, char **argv)
{
	const struct object *obj;
	const struct cmd *c;

	if (!argc)
		return err_usage("missing OBJECT; try \"%s help\"", progname);
	if (is_help(argv[0])) {
		/* "nestctl help" or "nestctl help OBJECT" */
		if (argc == 1)
			return do_help();
		if (argc == 2 && (obj = find_object(argv[1])))
			return !strcmp(obj->name, "apply") ?
			       obj->cmds[0].func(1, argv) : do_object_help(obj);
		if (argc == 2)
			return err_usage("help: unknown object \"%s\"; try \"%s "
					 "help\"", argv[1], progname);
		return err_usage("help: unexpected argument \"%s\"", argv[2]);
	}
	obj = find_object(argv[0]);
	if (!obj)
		return err_usage("unknown object \"%s\"; try \"%s help\"",
				 argv[0], progname);
	argc--, argv++;
	/* apply has its own help: the plan operations */
	if (!strcmp(obj->name, "apply"))
		return obj->cmds[0].func(argc, argv);
	if (argc && is_help(argv[0])) {
		if (argc > 1)
			return err_usage("%s help: unexpected argument \"%s\"",
					 obj->name, argv[1]);
		return do_object_help(obj);
	}
	/* An object that is itself the command (apply, hw-info, version). */
	if (obj->cmds[0].name && !obj->cmds[0].name[0])
		return obj->cmds[0].func(argc, argv);
	if (!argc)
		return err_usage("%s: missing COMMAND; try \"%s %s help\"",
				 obj->name, progname, obj->name);
	for (c = obj->cmds; c->name; c++)
		if (!strcmp(c->name, argv[0]))
			break;
	if (!c->name)
		return err_usage("%s: unknown command \"%s\"; try \"%s %s help\"",
				 obj->name, argv[0], progname, obj->name);
	if (argc > 1 && is_help(argv[1])) {
		if (argc > 2)
			return err_usage("%s %s help: unexpected argument \"%s\"",
					 obj->name, c->name, argv[2]);
		return do_object_help(obj);
	}
	return c->func(argc - 1, argv + 1);
}

/*
 * Options come before OBJECT.  Long options match exactly (no getopt
 * prefixes: "--js" is not "--json"); short ones may be grouped ("-jp").
 * The output mode is known before any option error is reported.
 */
static int run(int argc, char **argv)
{
	static const struct {
		const char *name;
		char c;
	} longs[] = {
		{ "--json", 'j' }, { "--pretty", 'p' }, { "--brief", 'b' },
		{ "--version", 'V' }, { "--help", 'h' },
	};
	const char *bad = NULL;
	bool version = false, help = false;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];
		char one[2] = { 0 };
		const char *flags = a + 1;

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[1] == '-') {
			flags = NULL;
			for (size_t k = 0; k < sizeof(longs) / sizeof(longs[0]); k++)
				if (!strcmp(a, longs[k].name))
					one[0] = longs[k].c, flags = one;
			if (!flags) {
				bad = bad ? bad : a;
				continue;
			}
		}
		for (const char *f = flags; *f; f++) {
			switch (*f) {
			case 'j':
				json_output = true;
				break;
			case 'p':
				/* -p implies -j, as in bpftool */
				json_output = pretty_output = true;
				break;
			case 'b':
				brief_output = true;
				break;
			case 'V':
				version = true;
				break;
			case 'h':
				help = true;
				break;
			default:
				bad = bad ? bad : a;
				break;
			}
		}
	}
	if (bad)
		return err_usage("unknown option \"%s\"; try \"%s help\"", bad,
				 progname);
	argc -= i;
	argv += i;
	if (help) {
		if (argc)
			return err_usage("--help: unexpected argument \"%s\"; try "
					 "\"%s help %s\"", argv[0], progname, argv[0]);
		return do_help();
	}
	if (version) {
		if (argc)
			return err_usage("--version: unexpected argument \"%s\"",
					 argv[0]);
		return do_version(0, NULL);
	}
	return dispatch(argc, argv);
}

int main(int argc, char **argv)
{
	return out_finish(run(argc, argv));
}

/* ------------------------------------------------------------------ */

int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!isxdigit((unsigned char)*s))
			return -EINVAL;
	} else if (!isdigit((unsigned char)*s)) {
		return -EINVAL; /* also signs and blanks, which strtoull takes */
	} else if (s[0] == '0' && s[1]) {
		return -EDOM; /* "010": not octal, and not silently decimal */
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

char *read_file_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t cap = 4096, n = 0;
	char *buf;
	int err = 0;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n - 1, f);

		n += r;
		if (n + 1 < cap) {
			if (ferror(f))
				err = errno ? errno : EIO;
			break;
		}
		/* one byte past the limit tells "too large" from "exactly" */
		if (n > NESTCTL_MAX_INPUT) {
			err = EFBIG;
			break;
		}
		cap = cap * 2 > NESTCTL_MAX_INPUT + 2 ? NESTCTL_MAX_INPUT + 2 :
		      cap * 2;
		char *nb = realloc(buf, cap);

		if (!nb)
			err = ENOMEM;
		else
			buf = nb;
		if (err)
			break;
	}
	if (!buf)
		err = ENOMEM;
	if (f != stdin)
		fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

const char *read_error(int err)
{
	static char buf[64];

	if (err != EFBIG)
		return strerror(err);
	snprintf(buf, sizeof(buf), "larger than the input limit of %u MiB",
		 NESTCTL_MAX_INPUT >> 20);
	return buf;
}
