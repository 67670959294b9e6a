/*
 * test_license.c - the licensed ID pool rules (gateway/core/license.c):
 * the contract minimum edge (19/20), an exactly full pool, requests that
 * would overflow, and the "free M first" arithmetic. Not the store's
 * enforcement of them (tests/unit/store).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/core/license.h"
#include "gateway/util/status.h"

static void
test_take(void **state)
{
	struct idg_license_numbers n = { 20, 19, 1 };

	(void)state;
	assert_int_equal(idg_license_check_take(&n), IDG_OK);	/* exactly fills */
	n.in_use = 20;
	assert_int_equal(idg_license_check_take(&n), IDG_DECLINED);	/* full */
	n.requested = 0;
	assert_int_equal(idg_license_check_take(&n), IDG_OK);	/* nothing asked */
	n.in_use = 0;
	n.requested = 20;
	assert_int_equal(idg_license_check_take(&n), IDG_OK);
	n.requested = 21;
	assert_int_equal(idg_license_check_take(&n), IDG_DECLINED);
	n.in_use = 10;
	n.requested = INT_MAX;	/* must not wrap around */
	assert_int_equal(idg_license_check_take(&n), IDG_DECLINED);
	n.requested = -5;
	assert_int_equal(idg_license_check_take(&n), IDG_DECLINED);
}

static void
test_contract(void **state)
{
	struct idg_license_numbers n = { 20, 0, 19 };
	int must_free = -1;

	(void)state;
	assert_int_equal(idg_license_check_contract(&n, &must_free), IDG_INVALID);
	n.requested = 20;
	assert_int_equal(idg_license_check_contract(&n, &must_free), IDG_OK);
	assert_int_equal(must_free, 0);
	n.requested = IDG_CONTRACT_MAX + 1;
	assert_int_equal(idg_license_check_contract(&n, NULL), IDG_INVALID);
	n.requested = IDG_CONTRACT_MAX;
	assert_int_equal(idg_license_check_contract(&n, NULL), IDG_OK);
	/* 25 in use: 24 refused with 1 to free, 25 allowed. */
	n.contracted = 30;
	n.in_use = 25;
	n.requested = 24;
	assert_int_equal(idg_license_check_contract(&n, &must_free), IDG_DECLINED);
	assert_int_equal(must_free, 1);
	n.requested = 21;
	assert_int_equal(idg_license_check_contract(&n, &must_free), IDG_DECLINED);
	assert_int_equal(must_free, 4);
	n.requested = 25;
	assert_int_equal(idg_license_check_contract(&n, &must_free), IDG_OK);
	/* Below the minimum is INVALID even when use is also above it. */
	n.requested = 19;
	assert_int_equal(idg_license_check_contract(&n, &must_free), IDG_INVALID);
}

static void
test_describe(void **state)
{
	struct idg_license_numbers n = { 20, 20, 1 };
	char out[64], tiny[8];

	(void)state;
	idg_license_describe(&n, out, sizeof(out));
	assert_string_equal(out, "20 contracted, 20 in use, 1 requested");
	idg_license_describe(&n, tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);	/* truncated, terminated */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_contract),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
