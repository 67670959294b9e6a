/*
 * test_str.c - gateway/util/str.c: HTML escaping of every special character,
 * at the start, the end and in runs, and the buffer's limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/util/buf.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"

static void
expect_escape(const char *in, const char *want)
{
	struct idg_buf b;

	idg_buf_init(&b, 4096);
	assert_int_equal(idg_html_escape(&b, in), IDG_OK);
	assert_string_equal(b.data != NULL ? b.data : "", want);
	idg_buf_free(&b);
}

static void
test_html_escape(void **state)
{
	(void)state;
	expect_escape("", "");
	expect_escape("abc+/=", "abc+/=");
	expect_escape("&", "&amp;");
	expect_escape("<a href=\"x\">it's</a>", "&lt;a href=&quot;x&quot;&gt;it&#39;s&lt;/a&gt;");
	expect_escape("&&''\"\"<<>>", "&amp;&amp;&#39;&#39;&quot;&quot;&lt;&lt;&gt;&gt;");
	expect_escape("x&", "x&amp;");
	expect_escape("\xc3\xa9&\xe6\x97\xa5", "\xc3\xa9&amp;\xe6\x97\xa5");
}

static void
test_html_escape_limit(void **state)
{
	struct idg_buf b;

	(void)state;
	idg_buf_init(&b, 8);
	assert_int_equal(idg_html_escape(&b, "ab&"), IDG_OK);	/* 7 bytes */
	assert_int_equal(idg_html_escape(&b, "<"), IDG_INVALID);
	idg_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_html_escape_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
