// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nio_device_guest_layout(): the advice for QEMU's virt machine and for
 * layout files, with host regions given or read from the captured sysfs
 * tree (tests/cli/sysfs), and every refusal of a bad layout naming what
 * is wrong.  No kernel needed.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nestiommu/nestiommu.h>

static const struct nio_resv_region sw_msi[] = {
	{ 0x8000000, 0x80fffff, NIO_RESV_SW_MSI },
};

#define ck_layout_fails(json, err, substr)                                   \
	do {                                                                 \
		NIO_OPTS(nio_guest_layout_opts, _o, .layout = "t",           \
			 .layout_json = (json), .host = sw_msi,              \
			 .num_host = 1);                                     \
		struct nio_guest_layout *_g = (void *)1;                     \
		int _r = nio_device_guest_layout(NULL, &_o, &_g);            \
		ck_assert_msg(_r == -(err), "%s: returned %d, want -%d (%s)", \
			      json, _r, err, nio_ctx_last_error(NULL));      \
		ck_assert_ptr_null(_g);                                      \
		ck_assert_msg(strstr(nio_ctx_last_error(NULL), substr),      \
			      "\"%s\" lacks \"%s\"",                         \
			      nio_ctx_last_error(NULL), substr);             \
	} while (0)

static struct nio_guest_layout *ok_layout(const struct nio_guest_layout_opts *o)
{
	struct nio_guest_layout *g = NULL;
	int r = nio_device_guest_layout(NULL, o, &g);

	ck_assert_msg(r == 0, "returned %d: %s", r, nio_ctx_last_error(NULL));
	ck_assert_ptr_nonnull(g);
	return g;
}

START_TEST(test_virt_default_window)
{
	NIO_OPTS(nio_guest_layout_opts, o, .host = sw_msi, .num_host = 1,
		 .sid = 0x10);
	static const char *const hit[] = { "gic-dist", "gic-cpu", "gic-v2m",
		"gic-hyp", "gic-vcpu", "gic-its", "gic-redist" };
	struct nio_guest_layout *g = ok_layout(&o);

	ck_assert_str_eq(g->layout, "virt");
	ck_assert_uint_eq(g->num_collisions, 7);
	for (unsigned int i = 0; i < 7; i++)
		ck_assert_str_eq(g->collisions[i].guest.name, hit[i]);
	/* the redistributor only partly: up to the window's end */
	ck_assert_uint_eq(g->collisions[6].start, 0x80a0000);
	ck_assert_uint_eq(g->collisions[6].last, 0x80fffff);
	ck_assert(g->has_msi_gpa);
	ck_assert_uint_eq(g->msi_gpa, 0x8090040);
	ck_assert_uint_eq(g->num_rmr, 1);
	ck_assert_uint_eq(g->rmr[0].sid, 0x10);
	ck_assert_uint_eq(g->rmr[0].start, 0x8000000);
	ck_assert_uint_eq(g->rmr[0].size, 0x100000);
	ck_assert_int_eq(g->rmr[0].source, NIO_RESV_SW_MSI);
	ck_assert_uint_eq(g->num_resv_mem, 1);
	ck_assert_int_eq(g->resv_mem[0].subtype, NIO_RESV_MEM_MSI);
	ck_assert_uint_eq(g->resv_mem[0].end, 0x80fffff);
	ck_assert(g->has_msi_window && !g->msi_window_clean);
	ck_assert(g->has_advice);
	ck_assert_uint_eq(g->advice_start, 0x9100000);
	ck_assert_int_eq(g->instance, -1);
	nio_guest_layout_free(g);
}
END_TEST

START_TEST(test_virt_moved_and_other_regions)
{
	static const struct nio_resv_region host[] = {
		{ 0x8000000, 0x80fffff, NIO_RESV_SW_MSI },
		{ 0x3c000000, 0x3c0fffff, NIO_RESV_DIRECT },
		{ 0xfee00000, 0xfeefffff, NIO_RESV_MSI },
	};
	NIO_OPTS(nio_guest_layout_opts, o, .host = host, .num_host = 3,
		 .msi_start = 0x9100000, .msi_size = 0x100000,
		 .ram_size = 0x100000000ULL);
	struct nio_guest_layout *g = ok_layout(&o);

	ck_assert(g->msi_window_clean && !g->has_advice);
	ck_assert_uint_eq(g->msi_start, 0x9100000);
	/* DIRECT: an identity RMR too, a RESERVED hole for virtio-iommu */
	ck_assert_uint_eq(g->num_rmr, 2);
	ck_assert_int_eq(g->rmr[1].source, NIO_RESV_DIRECT);
	ck_assert_int_eq(g->resv_mem[1].subtype, NIO_RESV_MEM_RESERVED);
	ck_assert_int_eq(g->resv_mem[2].subtype, NIO_RESV_MEM_MSI);
	/* the DIRECT range in the PCIe window, the MSI range in 4 GiB of RAM */
	ck_assert_uint_eq(g->num_collisions, 2);
	ck_assert_str_eq(g->collisions[0].guest.name, "pcie-mmio");
	ck_assert_str_eq(g->collisions[1].guest.name, "ram");
	nio_guest_layout_free(g);
	/* 128 MiB of RAM (the default) ends before 0xfee00000 */
	o.ram_size = 0;
	g = ok_layout(&o);
	ck_assert_uint_eq(g->num_collisions, 1);
	nio_guest_layout_free(g);
}
END_TEST

START_TEST(test_file_layouts)
{
	NIO_OPTS(nio_guest_layout_opts, o, .layout = "t", .host = sw_msi,
		 .num_host = 1);
	struct nio_guest_layout *g;

	/* GICv2m only: msi-gpa is its MSI_SETSPI_NS; hex, decimal, numbers */
	o.layout_json = "{\"name\": \"v2\", \"page-size\": \"65536\", \"regions\": ["
			"{\"name\": \"v2m\", \"kind\": \"gicv2m\", \"start\": \"0x8020000\", \"size\": 65536},"
			"{\"name\": \"ram\", \"kind\": \"ram\", \"start\": \"1073741824\", \"size\": \"0x40000000\"}]}";
	g = ok_layout(&o);
	ck_assert_str_eq(g->layout, "v2");
	ck_assert_uint_eq(g->msi_gpa, 0x8020040);
	ck_assert_uint_eq(g->num_collisions, 1);
	ck_assert(g->has_advice);
	/* the lowest free 1 MiB: 0 itself */
	ck_assert_uint_eq(g->advice_start, 0);
	nio_guest_layout_free(g);
	/* regions come back sorted; a window with no room gets no advice */
	o.layout_json = "{\"regions\": [{\"name\": \"b\", \"kind\": \"device\", \"start\": \"0x8000000\", \"size\": \"0xfffff8000000\"},"
			"{\"name\": \"a\", \"kind\": \"ram\", \"start\": 0, \"size\": \"0x8000000\"}]}";
	g = ok_layout(&o);
	ck_assert_str_eq(g->guest[0].name, "a");
	ck_assert(!g->msi_window_clean && !g->has_advice);
	ck_assert_str_eq(g->layout, "t"); /* no "name": the file's */
	nio_guest_layout_free(g);
}
END_TEST

START_TEST(test_bad_layouts)
{
	ck_layout_fails("{\"regions\": [{\"name\": \"ram\", \"kind\": \"ram\", \"start\": \"0x40000000\", \"size\": \"0x40000000\"},"
			"{\"name\": \"fb\", \"kind\": \"device\", \"start\": \"0x7ff00000\", \"size\": \"0x200000\"}]}",
			EINVAL, "region \"fb\" (0x7ff00000-0x800fffff) overlaps region \"ram\"");
	ck_layout_fails("{\"regions\": [{\"name\": \"uart\", \"kind\": \"device\", \"start\": \"0x9000000\", \"size\": \"0x18\"}]}",
			EINVAL, "region \"uart\" is not aligned to the page size 0x1000");
	ck_layout_fails("{\"page-size\": 65536, \"regions\": [{\"name\": \"r\", \"kind\": \"ram\", \"start\": \"0x1000\", \"size\": \"0x10000\"}]}",
			EINVAL, "region \"r\" is not aligned to the page size 0x10000");
	ck_layout_fails("{\"regions\": [{\"name\": \"a\", \"kind\": \"ram\", \"start\": 0, \"size\": 4096},"
			"{\"name\": \"a\", \"kind\": \"ram\", \"start\": 8192, \"size\": 4096}]}",
			EINVAL, "two regions are named \"a\"");
	ck_layout_fails("{\"regions\": [{\"name\": \"a\", \"start\": 0, \"size\": 4096}]}",
			EINVAL, "region \"a\": \"kind\" is missing");
	ck_layout_fails("{\"regions\": [{\"name\": \"a\", \"kind\": \"rom\", \"start\": 0, \"size\": 4096}]}",
			EINVAL, "region \"a\": \"kind\" must be");
	ck_layout_fails("{\"regions\": [{\"name\": \"a\", \"kind\": \"ram\", \"start\": -4096, \"size\": 4096}]}",
			EINVAL, "region \"a\": \"start\" must be an unsigned integer");
	ck_layout_fails("{\"regions\": [{\"name\": \"a\", \"kind\": \"ram\", \"start\": \"0x\", \"size\": 4096}]}",
			EINVAL, "region \"a\": \"start\" is not a number: \"0x\"");
	ck_layout_fails("{\"regions\": [{\"name\": \"a\", \"kind\": \"ram\", \"start\": 0, \"size\": 0}]}",
			EINVAL, "region \"a\": size is 0");
	ck_layout_fails("{\"regions\": [{\"name\": \"a\", \"kind\": \"ram\", \"start\": \"0xfffffffffffff000\", \"size\": \"0x2000\"}]}",
			EINVAL, "region \"a\" ends beyond 2^64");
	ck_layout_fails("{\"regions\": [{\"name\": \"a\", \"kind\": \"ram\", \"start\": 0, \"size\": 4096, \"flags\": 1}]}",
			EINVAL, "region \"a\": unknown member \"flags\"");
	ck_layout_fails("{\"regions\": [{\"kind\": \"ram\", \"start\": 0, \"size\": 4096}]}",
			EINVAL, "regions[0] has no \"name\"");
	ck_layout_fails("{\"regions\": []}", EINVAL, "\"regions\" must have 1 to 256 entries (it has 0)");
	ck_layout_fails("{\"name\": \"x\"}", EINVAL, "\"regions\" is missing");
	ck_layout_fails("[]", EINVAL, "must be a JSON object with \"regions\"");
	ck_layout_fails("{\"regions\": [1,]}", EINVAL, "malformed JSON at line 1 column 16: trailing ',' before ']'");
	ck_layout_fails("{\"regions\": [\n{\"name\": \"a\" \"kind\": 1}]}", EINVAL, "malformed JSON at line 2 column 14: expected ',' or '}'");
	ck_layout_fails("{\"regions\": 1} x", EINVAL, "trailing data");
	ck_layout_fails("[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]", EINVAL, "nested too deeply");
	ck_layout_fails("{\"page-size\": 3000, \"regions\": []}", EINVAL, "\"page-size\" must be a power of two");
	ck_layout_fails("{\"regions\": [{\"name\": \"\\u00e9\", \"kind\": \"ram\", \"start\": 0, \"size\": 4096}]}",
			EINVAL, "regions[0]: \"name\" has a non-printable character");
	/* jv's strictness, as nestctl's: duplicate keys, 2^64, leading zeros */
	ck_layout_fails("{\"regions\": [{\"name\": \"a\", \"name\": \"b\", \"kind\": \"ram\", \"start\": 0, \"size\": 4096}]}",
			EINVAL, "malformed JSON at line 1 column 28: duplicate key \"name\"");
	ck_layout_fails("{\"regions\": [{\"name\": \"a\", \"kind\": \"ram\", \"start\": 18446744073709551616, \"size\": 4096}]}",
			EINVAL, "out of the 64-bit range");
	ck_layout_fails("{\"regions\": [{\"name\": \"a\", \"kind\": \"ram\", \"start\": 0, \"size\": 04096}]}",
			EINVAL, "column 63: numbers have no leading zeros");
	ck_layout_fails("{\"regions\": [{\"name\": \"a\", \"kind\": \"ram\", \"start\": 0.5, \"size\": 4096}]}",
			EINVAL, "region \"a\": \"start\" must be an unsigned integer");
}
END_TEST

START_TEST(test_bad_arguments)
{
	NIO_OPTS(nio_guest_layout_opts, o, .host = sw_msi, .num_host = 1);
	static const struct nio_resv_region msi[] = {
		{ 0xfee00000, 0xfeefffff, NIO_RESV_MSI },
	};
	struct nio_guest_layout *g;
	char dir[] = "/tmp/nio-layout.XXXXXX", path[64];
	FILE *f;

	ck_assert_int_eq(nio_device_guest_layout(NULL, NULL, &g), -EINVAL);
	ck_assert_int_eq(nio_device_guest_layout(NULL, &o, NULL), -EINVAL);
	o.msi_start = 0x9100800;
	o.msi_size = 0x100000;
	ck_assert_int_eq(nio_device_guest_layout(NULL, &o, &g), -EINVAL);
	ck_assert_ptr_nonnull(strstr(nio_ctx_last_error(NULL), "page aligned"));
	o.msi_start = 0x9100000;
	o.host = msi;
	ck_assert_int_eq(nio_device_guest_layout(NULL, &o, &g), -EINVAL);
	ck_assert_ptr_nonnull(strstr(nio_ctx_last_error(NULL), "no SW_MSI window to move"));
	o.msi_size = 0;
	o.ram_size = 256ULL << 30;
	ck_assert_int_eq(nio_device_guest_layout(NULL, &o, &g), -EINVAL);
	ck_assert_ptr_nonnull(strstr(nio_ctx_last_error(NULL), "at most 255 GiB"));
	o.ram_size = 0;
	/* files: missing, a directory, too large */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.json", dir);
	o.layout = path;
	ck_assert_int_eq(nio_device_guest_layout(NULL, &o, &g), -ENOENT);
	o.layout = dir;
	ck_assert_int_eq(nio_device_guest_layout(NULL, &o, &g), -EINVAL);
	ck_assert_ptr_nonnull(strstr(nio_ctx_last_error(NULL), "not a regular file"));
	snprintf(path, sizeof(path), "%s/big.json", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < (1 << 20) / 8 + 1; i++)
		fputs("        ", f);
	fclose(f);
	o.layout = path;
	ck_assert_int_eq(nio_device_guest_layout(NULL, &o, &g), -EFBIG);
	unlink(path);
	rmdir(dir);
	ck_assert_ptr_null(nio_guest_kind_name((enum nio_guest_kind)99));
	ck_assert_str_eq(nio_guest_kind_name(NIO_GUEST_ITS), "its");
}
END_TEST

/* The captured tree: the nestiommu endpoint's "msi" region is its SW_MSI. */
START_TEST(test_sysfs_tree)
{
	const char *srcdir = getenv("srcdir");
	char root[4096];
	struct stat st;
	struct nio_guest_layout *g;

	snprintf(root, sizeof(root), "%s/cli/sysfs", srcdir ? srcdir : ".");
	if (stat(root, &st)) {
		/* a release tarball ships the tree as cli/sysfs.tar only */
		fprintf(stderr, "no %s: sysfs cases not run\n", root);
		return;
	}
	{
		NIO_OPTS(nio_guest_layout_opts, o, .sysfs_root = root);

		ck_assert_int_eq(nio_device_guest_layout("vfio1", &o, &g), 0);
		ck_assert_str_eq(g->iommu, "nestiommu-smmu.0");
		ck_assert_int_eq(g->instance, 0);
		ck_assert_uint_eq(g->num_host, 1);
		ck_assert_int_eq(g->host[0].type, NIO_RESV_SW_MSI);
		ck_assert(g->has_advice);
		nio_guest_layout_free(g);
		/* the VT-d device's 0xfee00000 stays hardware MSI */
		ck_assert_int_eq(nio_device_guest_layout("vfio0", &o, &g), 0);
		ck_assert_str_eq(g->iommu, "dmar0");
		ck_assert_int_eq(g->instance, -1);
		ck_assert_int_eq(g->host[0].type, NIO_RESV_MSI);
		ck_assert(!g->has_msi_window);
		nio_guest_layout_free(g);
		ck_assert_int_eq(nio_device_guest_layout("vfio9", &o, &g), -ENOENT);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest-layout");
	TCase *tc = tcase_create("layout");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_virt_default_window);
	tcase_add_test(tc, test_virt_moved_and_other_regions);
	tcase_add_test(tc, test_file_layouts);
	tcase_add_test(tc, test_bad_layouts);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_sysfs_tree);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
