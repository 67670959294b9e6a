/*
 * test_buf.c - gateway/util/buf.c: appends and printf within the room
 * already allocated and past it, the hard limit (an append that would pass
 * it leaves the buffer as it was, terminated), take/reset, and idg_grow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/util/buf.h"
#include "gateway/util/status.h"

static void
test_printf_grows(void **state)
{
	struct idg_buf b;
	char want[4096];
	size_t n = 0;

	(void)state;
	idg_buf_init(&b, 1 << 20);
	/* short pieces (within the room) and long ones (past it), in turn */
	for (int i = 0; i < 40; i++) {
		if (i % 2 == 0)
			assert_int_equal(idg_buf_printf(&b, "%d,", i), IDG_OK);
		else
			assert_int_equal(idg_buf_printf(&b, "%0*d,", 60 + i, i), IDG_OK);
		n += (size_t)snprintf(want + n, sizeof(want) - n, i % 2 == 0 ? "%d," : "%0*d,",
		    i % 2 == 0 ? i : 60 + i, i);
	}
	assert_int_equal(b.len, n);
	assert_string_equal(b.data, want);
	assert_true(b.cap > b.len);
	idg_buf_free(&b);
}

static void
test_printf_limit(void **state)
{
	struct idg_buf b;

	(void)state;
	idg_buf_init(&b, 16);
	assert_int_equal(idg_buf_printf(&b, "%s", "0123456789"), IDG_OK);
	/* would pass 16 bytes: refused, nothing of it kept */
	assert_int_equal(idg_buf_printf(&b, "%s", "abcdefg"), IDG_INVALID);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "0123456789");
	/* exactly up to the limit is fine */
	assert_int_equal(idg_buf_printf(&b, "%s", "abcdef"), IDG_OK);
	assert_string_equal(b.data, "0123456789abcdef");
	assert_int_equal(idg_buf_adds(&b, "x"), IDG_INVALID);
	assert_int_equal(idg_buf_printf(&b, "%s", ""), IDG_OK);
	assert_string_equal(b.data, "0123456789abcdef");
	idg_buf_free(&b);
}

static void
test_take_reset(void **state)
{
	struct idg_buf b;
	char *p;

	(void)state;
	idg_buf_init(&b, 64);
	p = idg_buf_take(&b);	/* never used: an empty string */
	assert_string_equal(p, "");
	free(p);
	assert_int_equal(idg_buf_add(&b, "ab\0cd", 5), IDG_OK);
	assert_int_equal(b.len, 5);
	idg_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_int_equal(idg_buf_printf(&b, "%s-%d", "k", 7), IDG_OK);
	p = idg_buf_take(&b);
	assert_string_equal(p, "k-7");
	assert_null(b.data);
	free(p);
}

static void
test_grow(void **state)
{
	int *v = NULL, *nv, cap = 0, n;

	(void)state;
	for (n = 0; n < 100; n++) {
		nv = idg_grow(v, n, &cap, sizeof(*v), 4);
		assert_non_null(nv);
		v = nv;
		v[n] = n;
		assert_true(cap > n);
	}
	assert_int_equal(cap, 128);	/* 4, 8, ..., 128 */
	for (n = 0; n < 100; n++)
		assert_int_equal(v[n], n);
	/* room left: the same array, nothing changed */
	assert_ptr_equal(idg_grow(v, 100, &cap, sizeof(*v), 4), v);
	assert_int_equal(cap, 128);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printf_grows),
		cmocka_unit_test(test_printf_limit),
		cmocka_unit_test(test_take_reset),
		cmocka_unit_test(test_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
