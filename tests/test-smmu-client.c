// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libnestiommu-smmu (the nestiommu.ko client) on the host, without the
 * module: the library's error convention (0 or -errno with errno set;
 * NULL handle or output pointer -EINVAL, never a crash) and a clear
 * -ENOENT from nio_smmu_open() when the family is missing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>

#include <check.h>

#include <nestiommu/smmu.h>

#define ck_fails(expr, err)                                               \
	do {                                                              \
		int _r;                                                   \
		errno = 0;                                                \
		_r = (expr);                                              \
		ck_assert_msg(_r == -(err) && errno == (err),             \
			      "%s: returned %d errno %d, expected -%d",   \
			      #expr, _r, errno, (err));                   \
	} while (0)

START_TEST(test_null_handle)
{
	struct nio_smmu_instance *in = (void *)1;
	struct nio_smmu_device *dev = (void *)1, one;
	struct nio_smmu_tlb_entry *tlb = (void *)1;
	uint8_t buf[8] = { 0 };
	uint64_t ns;
	size_t n = 1;

	ck_fails(nio_smmu_open(NULL), EINVAL);
	ck_fails(nio_smmu_instances(NULL, &in, &n), EINVAL);
	ck_fails(nio_smmu_devices(NULL, &dev, &n), EINVAL);
	ck_fails(nio_smmu_tlb(NULL, 0, &tlb, &n), EINVAL);
	ck_fails(nio_smmu_device_get(NULL, 0, 0, &one), EINVAL);
	ck_fails(nio_smmu_set_msi_window(NULL, 0, 0x8000000, 0x100000), EINVAL);
	ck_fails(nio_smmu_set_msi(NULL, 0, 0, 0, 0x8000000, -1, false), EINVAL);
	ck_fails(nio_smmu_msi_trigger(NULL, 0, 0, 0), EINVAL);
	ck_fails(nio_smmu_dma_read(NULL, 0, 0, NIO_SMMU_NO_PASID, 0, buf,
				   sizeof(buf)), EINVAL);
	ck_fails(nio_smmu_dma_write(NULL, 0, 0, NIO_SMMU_NO_PASID, 0, buf,
				    sizeof(buf)), EINVAL);
	ck_fails(nio_smmu_remove_devices(NULL, -1), EINVAL);
	ck_fails(nio_smmu_bench(NULL, 0, 0, NIO_SMMU_BENCH_HIT,
				NIO_SMMU_NO_PASID, 0, 1, 0, &ns), EINVAL);
	ck_fails(nio_smmu_counters_reset(NULL, -1), EINVAL);
	{
		uint64_t evt[4] = { 0x10, 0, 0, 0 };
		struct nio_smmu_inject st;

		ck_fails(nio_smmu_inject_event(NULL, 0, 0, evt, 1, false),
			 EINVAL);
		ck_fails(nio_smmu_inject_fail(NULL, 0, 0,
					      NIO_SMMU_INJECT_INVALIDATE, 1, 0,
					      EIO), EINVAL);
		ck_fails(nio_smmu_inject_dma_delay(NULL, 0, 0, 0), EINVAL);
		ck_fails(nio_smmu_inject_get(NULL, 0, 0, &st), EINVAL);
	}
	{
		struct nio_smmu_audit_state *st = (void *)1;
		struct nio_smmu_audit_rec *rec = (void *)1, one_rec;

		ck_fails(nio_smmu_audit_set(NULL, -1, 1, false), EINVAL);
		ck_fails(nio_smmu_audit_get(NULL, -1, &st, &n, &rec, &n),
			 EINVAL);
		ck_assert_ptr_null(rec);
		ck_fails(nio_smmu_audit_subscribe(NULL), EINVAL);
		ck_fails(nio_smmu_audit_next(NULL, &one_rec), EINVAL);
	}
	ck_assert_str_eq(nio_smmu_last_error(NULL), "");
	nio_smmu_close(NULL);
}
END_TEST

START_TEST(test_no_module)
{
	struct nio_smmu *smmu = (void *)1;
	int ret, fd;

	if (access("/sys/module/nestiommu", F_OK) == 0)
		return;	/* loaded here: the VM tier tests the real thing */
	errno = 0;
	ret = nio_smmu_open(&smmu);
	ck_assert_ptr_null(smmu);
	ck_assert_int_lt(ret, 0);
	ck_assert_int_eq(errno, -ret);
	/* With generic netlink available, the missing family is -ENOENT */
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd >= 0) {
		close(fd);
		ck_assert_int_eq(ret, -ENOENT);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("smmu-client");
	TCase *tc = tcase_create("convention");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_null_handle);
	tcase_add_test(tc, test_no_module);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
