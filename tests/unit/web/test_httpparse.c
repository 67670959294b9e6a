/*
 * test_httpparse.c - unit tests of gateway/web/httpparse.c: form and query
 * parsing with its limits, the Cookie header finder, and the
 * Accept-Language pick. Good and bad inputs, and every bound exactly at and
 * one past its limit. Not a fuzz test (see tests/fuzz/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gateway/util/status.h"
#include "gateway/web/httpparse.h"

#define MAX_BYTES (64 * 1024)

static int
parse(const char *s, size_t max, struct idg_params *p)
{
	return idg_params_parse(s, strlen(s), max, p);
}

static void
assert_empty(const struct idg_params *p)
{
	assert_int_equal(p->n, 0);
	assert_null(p->v);
	assert_null(p->storage);
}

static void
test_params_basic(void **state)
{
	struct idg_params p;

	assert_int_equal(parse("a=1&b=%20x+y", 10, &p), IDG_OK);
	assert_int_equal(p.n, 2);
	assert_string_equal(idg_params_get(&p, "a"), "1");
	assert_string_equal(idg_params_get(&p, "b"), " x y");
	assert_null(idg_params_get(&p, "c"));
	assert_null(idg_params_get(&p, "A"));
	idg_params_free(&p);
	assert_empty(&p);
	idg_params_free(&p);	/* twice is harmless */
}

static void
test_params_shapes(void **state)
{
	struct idg_params p;

	/* empty pairs skipped, a name without '=' has value "" */
	assert_int_equal(parse("a=1&&b&", 10, &p), IDG_OK);
	assert_int_equal(p.n, 2);
	assert_string_equal(idg_params_get(&p, "b"), "");
	idg_params_free(&p);

	assert_int_equal(parse("&&&", 10, &p), IDG_OK);
	assert_empty(&p);

	assert_int_equal(idg_params_parse(NULL, 0, 10, &p), IDG_OK);
	assert_empty(&p);
	assert_int_equal(idg_params_parse(NULL, 3, 10, &p), IDG_INVALID);

	/* only the first '=' splits */
	assert_int_equal(parse("a=b=c&=x", 10, &p), IDG_OK);
	assert_string_equal(idg_params_get(&p, "a"), "b=c");
	assert_string_equal(idg_params_get(&p, ""), "x");
	idg_params_free(&p);

	/* escaped separators stay data; names are decoded too; UTF-8 passes */
	assert_int_equal(parse("k%26y=v%3D1%262&%E6%97%A5=%e6%9c%ac", 10, &p), IDG_OK);
	assert_string_equal(idg_params_get(&p, "k&y"), "v=1&2");
	assert_string_equal(idg_params_get(&p, "日"), "本");
	idg_params_free(&p);

	/* the length is honoured: no read past it, no NUL needed */
	{
		const char raw[7] = { 'a', '=', '1', '&', 'b', '=', '2' };

		assert_int_equal(idg_params_parse(raw, 3, 10, &p), IDG_OK);
		assert_int_equal(p.n, 1);
		assert_null(idg_params_get(&p, "b"));
		idg_params_free(&p);
	}
}

static void
test_params_duplicates(void **state)
{
	struct idg_params p;

	assert_int_equal(parse("csrf=a&x=1&csrf=b", 10, &p), IDG_OK);
	assert_string_equal(idg_params_get(&p, "csrf"), "a");
	assert_int_equal(idg_params_count(&p, "csrf"), 2);
	assert_int_equal(idg_params_count(&p, "x"), 1);
	assert_int_equal(idg_params_count(&p, "y"), 0);
	assert_int_equal(idg_params_count(NULL, "x"), 0);
	assert_null(idg_params_get(NULL, "x"));
	idg_params_free(&p);
}

static void
test_params_bad_escapes(void **state)
{
	static const char *const bad[] = {
		"a=%", "a=%4", "a=%zz", "a=%G0", "a=%0g", "%=1", "a=1&b=%2",
		"a=%00", "a%00=1", "a=x%00y", "a=%%41",
	};
	struct idg_params p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0xa5, sizeof(p));
		assert_int_equal(parse(bad[i], 10, &p), IDG_INVALID);
		assert_empty(&p);
	}
	/* a raw NUL inside the given length */
	assert_int_equal(idg_params_parse("a=1\0b=2", 7, 10, &p), IDG_INVALID);
	assert_empty(&p);
	/* the escape that is fine next to them */
	assert_int_equal(parse("a=%41%4a%4A", 10, &p), IDG_OK);
	assert_string_equal(idg_params_get(&p, "a"), "AJJ");
	idg_params_free(&p);
}

static void
test_params_max_pairs(void **state)
{
	struct idg_params p;

	assert_int_equal(parse("a=1&b=2&c=3", 3, &p), IDG_OK);
	assert_int_equal(p.n, 3);
	idg_params_free(&p);
	assert_int_equal(parse("a=1&b=2&c=3&d=4", 3, &p), IDG_INVALID);
	assert_empty(&p);
	/* empty pairs do not count against the limit */
	assert_int_equal(parse("a=1&&&b=2&&&c=3&", 3, &p), IDG_OK);
	idg_params_free(&p);
	assert_int_equal(parse("a", 0, &p), IDG_INVALID);
	assert_int_equal(parse("", 0, &p), IDG_OK);
}

static void
test_params_max_bytes(void **state)
{
	char *s = malloc(MAX_BYTES + 2);
	struct idg_params p;

	assert_non_null(s);
	/* "v=xxxx..." of exactly 64 KiB */
	memset(s, 'x', MAX_BYTES + 1);
	s[0] = 'v';
	s[1] = '=';
	assert_int_equal(idg_params_parse(s, MAX_BYTES, 10, &p), IDG_OK);
	assert_int_equal(p.n, 1);
	assert_int_equal(strlen(idg_params_get(&p, "v")), MAX_BYTES - 2);
	idg_params_free(&p);
	assert_int_equal(idg_params_parse(s, MAX_BYTES + 1, 10, &p), IDG_INVALID);
	assert_empty(&p);
	free(s);
}

static void
test_params_many_short_pairs(void **state)
{
	/* 32768 pairs of "a&" fill 64 KiB: storage must fit two NULs per pair */
	char *s = malloc(MAX_BYTES);
	struct idg_params p;
	size_t i;

	assert_non_null(s);
	for (i = 0; i < MAX_BYTES; i += 2) {
		s[i] = 'a';
		s[i + 1] = '&';
	}
	assert_int_equal(idg_params_parse(s, MAX_BYTES, MAX_BYTES, &p), IDG_OK);
	assert_int_equal(p.n, MAX_BYTES / 2);
	assert_string_equal(p.v[p.n - 1].value, "");
	assert_int_equal(idg_params_count(&p, "a"), MAX_BYTES / 2);
	idg_params_free(&p);
	free(s);
}

static int
cookie(const char *h, const char *name, char *out, size_t outsz)
{
	return idg_cookie_find(h, name, out, outsz);
}

static void
test_cookie_find(void **state)
{
	char out[64];

	assert_int_equal(cookie("a=b; c=d", "c", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "d");
	assert_int_equal(cookie("a=b; c=d", "a", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "b");
	/* missing spaces, extra spaces and tabs */
	assert_int_equal(cookie("a=b;c=d", "c", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "d");
	assert_int_equal(cookie("  a=b ;\tc = d  ;", "c", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "d");
	assert_int_equal(cookie("a=b ; c=d", "a", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "b");
	/* no prefix or suffix confusion */
	assert_int_equal(cookie("xa=1; a=2", "a", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "2");
	assert_int_equal(cookie("ab=1; b=2", "a", out, sizeof(out)), IDG_NOTFOUND);
	assert_int_equal(cookie("a_b=1", "a", out, sizeof(out)), IDG_NOTFOUND);
	assert_int_equal(cookie("x=a=1", "a", out, sizeof(out)), IDG_NOTFOUND);
	/* names are case-sensitive */
	assert_int_equal(cookie("SID=1", "sid", out, sizeof(out)), IDG_NOTFOUND);
	/* the first wins */
	assert_int_equal(cookie("a=1; a=2", "a", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "1");
	/* pieces without '=' are ignored; empty values are values */
	assert_int_equal(cookie("junk; ;; a=", "a", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "");
	/* value with '=' (base64 padding) */
	assert_int_equal(cookie("a=YQ==", "a", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "YQ==");
	/* a broken neighbour does not hide or spoil ours */
	assert_int_equal(cookie("x=a b, c; a=ok", "a", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "ok");
}

static void
test_cookie_absent(void **state)
{
	char out[8] = "junk";

	assert_int_equal(cookie(NULL, "a", out, sizeof(out)), IDG_NOTFOUND);
	assert_string_equal(out, "");
	assert_int_equal(cookie("", "a", out, sizeof(out)), IDG_NOTFOUND);
	assert_int_equal(cookie("b=1", "a", out, sizeof(out)), IDG_NOTFOUND);
	assert_int_equal(cookie("a", "a", out, sizeof(out)), IDG_NOTFOUND);
	assert_int_equal(cookie("a=1", "", out, sizeof(out)), IDG_INVALID);
	assert_int_equal(cookie("a=1", NULL, out, sizeof(out)), IDG_INVALID);
	assert_int_equal(cookie("a=1", "a", out, 0), IDG_INVALID);
	assert_int_equal(cookie("a=1", "a", NULL, 8), IDG_INVALID);
}

static void
test_cookie_quoted(void **state)
{
	char out[16];

	assert_int_equal(cookie("a=\"xyz\"", "a", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "xyz");
	assert_int_equal(cookie("a=\"\"; b=1", "a", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "");
	assert_int_equal(cookie("a=\"x\"y\"", "a", out, sizeof(out)), IDG_INVALID);
	assert_int_equal(cookie("a=\"abc", "a", out, sizeof(out)), IDG_INVALID);
	assert_int_equal(cookie("a=abc\"", "a", out, sizeof(out)), IDG_INVALID);
	assert_int_equal(cookie("a=\"", "a", out, sizeof(out)), IDG_INVALID);
	assert_int_equal(cookie("a=\"a b\"", "a", out, sizeof(out)), IDG_INVALID);
}

static void
test_cookie_forbidden_bytes(void **state)
{
	static const char *const bad[] = {
		"a=b c", "a=b,c", "a=b\\c", "a=b\"c", "a=\x01", "a=x\x7f",
		"a=x\ty", "a=\xc3\xa9", "a=x\r\ny",
	};
	char out[16];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(out, "junk", 5);
		assert_int_equal(cookie(bad[i], "a", out, sizeof(out)), IDG_INVALID);
		assert_string_equal(out, "");
	}
	/* the first occurrence decides even when it is the bad one */
	assert_int_equal(cookie("a=b c; a=ok", "a", out, sizeof(out)), IDG_INVALID);
	/* every allowed punctuation byte */
	assert_int_equal(cookie("a=!#$%&'()*+-./:<", "a", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "!#$%&'()*+-./:<");
}

static void
test_cookie_size(void **state)
{
	char out[5];
	char *big;

	assert_int_equal(cookie("a=abcd", "a", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "abcd");
	assert_int_equal(cookie("a=abcde", "a", out, sizeof(out)), IDG_INVALID);
	assert_string_equal(out, "");
	assert_int_equal(cookie("a=\"abcd\"", "a", out, sizeof(out)), IDG_OK);

	/* a header of exactly 64 KiB is read; one byte more is refused */
	big = malloc(MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, 'x', MAX_BYTES + 1);
	memcpy(big + MAX_BYTES - 6, "; a=1", 5);
	big[MAX_BYTES - 1] = '2';
	big[MAX_BYTES] = '\0';
	assert_int_equal(cookie(big, "a", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, "12");
	big[MAX_BYTES] = 'x';
	big[MAX_BYTES + 1] = '\0';
	assert_int_equal(cookie(big, "a", out, sizeof(out)), IDG_INVALID);
	free(big);
}

static void
test_accept_language(void **state)
{
	static const struct {
		const char	*h;
		enum idg_lang	 want;
	} cases[] = {
		{ "ja-JP,ja;q=0.9,en;q=0.8", IDG_LANG_JA },
		{ "en-US,en;q=0.9,ja;q=0.8", IDG_LANG_EN },
		{ "en-US", IDG_LANG_EN },
		{ "ja", IDG_LANG_JA },
		{ "JA-jp", IDG_LANG_JA },
		{ "*", IDG_LANG_EN },
		{ "", IDG_LANG_EN },
		{ ",,  ,", IDG_LANG_EN },
		{ "fr", IDG_LANG_EN },
		{ "fr, ja;q=0.1", IDG_LANG_JA },
		{ "fr, *;q=0.5", IDG_LANG_EN },
		{ "en;q=0.5, ja", IDG_LANG_JA },
		{ "en;q=0.5 , ja ; q=0.7", IDG_LANG_JA },
		{ "ja;Q=0.8, en;q=0.7", IDG_LANG_JA },
		/* ties go to the first named */
		{ "ja;q=0.5, en;q=0.5", IDG_LANG_JA },
		{ "en;q=0.5, ja;q=0.5", IDG_LANG_EN },
		{ "ja;q=0.500, en;q=0.5", IDG_LANG_JA },
		/* q=0 is "not acceptable" */
		{ "ja;q=0", IDG_LANG_EN },
		{ "ja;q=0.000, en;q=0", IDG_LANG_EN },
		{ "en;q=0, *", IDG_LANG_JA },
		{ "ja;q=0, *", IDG_LANG_EN },
		{ "ja;q=0.001", IDG_LANG_JA },
		{ "ja;q=1.000, en", IDG_LANG_JA },
		/* the best explicit weight counts */
		{ "ja-JP;q=0.1, en;q=0.5, ja;q=0.9", IDG_LANG_JA },
		/* malformed elements are ignored */
		{ "ja;q=abc", IDG_LANG_EN },
		{ "ja;q=1.5", IDG_LANG_EN },
		{ "ja;q=1.001", IDG_LANG_EN },
		{ "ja;q=0.9999", IDG_LANG_EN },
		{ "ja;q=", IDG_LANG_EN },
		{ "ja;q=.5", IDG_LANG_EN },
		{ "ja;q=-1", IDG_LANG_EN },
		{ "ja;x=1", IDG_LANG_EN },
		{ "ja;q=0.5;q=0.6", IDG_LANG_EN },
		{ "ja-", IDG_LANG_EN },
		{ "ja--jp", IDG_LANG_EN },
		{ "ja-abcdefghi", IDG_LANG_EN },
		{ "jax", IDG_LANG_EN },
		{ "j a", IDG_LANG_EN },
		{ "abcdefghi", IDG_LANG_EN },
		{ "ja;q=abc, en;q=0.1", IDG_LANG_EN },
		{ "ja;q=2, ja-JP;q=0.2, en;q=0.1", IDG_LANG_JA },
		{ "ja-\xe6\x97\xa5", IDG_LANG_EN },
	};
	size_t i;

	assert_int_equal(idg_accept_language(NULL), IDG_LANG_EN);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (idg_accept_language(cases[i].h) != cases[i].want)
			fail_msg("Accept-Language \"%s\": want %s", cases[i].h,
			    idg_lang_code(cases[i].want));
	}
}

static void
test_accept_language_limits(void **state)
{
	char h[64 * 8 + 16];
	size_t i, n = 0;

	/* 63 ranges then ja: 64 in all is read */
	for (i = 0; i < 63; i++) {
		memcpy(h + n, "fr,", 3);
		n += 3;
	}
	memcpy(h + n, "ja", 3);
	assert_int_equal(idg_accept_language(h), IDG_LANG_JA);
	/* 65 ranges make a bad header */
	memcpy(h + n, "fr,ja", 6);
	assert_int_equal(idg_accept_language(h), IDG_LANG_EN);

	{
		char *big = malloc(MAX_BYTES + 2);

		assert_non_null(big);
		memset(big, ' ', MAX_BYTES + 1);
		memcpy(big, "ja", 2);
		big[MAX_BYTES] = '\0';
		assert_int_equal(idg_accept_language(big), IDG_LANG_JA);
		big[MAX_BYTES] = ' ';
		big[MAX_BYTES + 1] = '\0';
		assert_int_equal(idg_accept_language(big), IDG_LANG_EN);
		free(big);
	}
}

static void
test_lang_parse(void **state)
{
	enum idg_lang l = IDG_LANG_EN;

	assert_int_equal(idg_lang_parse("ja", &l), IDG_OK);
	assert_int_equal(l, IDG_LANG_JA);
	assert_int_equal(idg_lang_parse("en", &l), IDG_OK);
	assert_int_equal(l, IDG_LANG_EN);
	l = IDG_LANG_JA;
	assert_int_equal(idg_lang_parse("fr", &l), IDG_INVALID);
	assert_int_equal(idg_lang_parse("", &l), IDG_INVALID);
	assert_int_equal(idg_lang_parse("ja ", &l), IDG_INVALID);
	assert_int_equal(idg_lang_parse("jap", &l), IDG_INVALID);
	assert_int_equal(idg_lang_parse(NULL, &l), IDG_INVALID);
	assert_int_equal(l, IDG_LANG_JA);
	assert_string_equal(idg_lang_code(IDG_LANG_JA), "ja");
	assert_string_equal(idg_lang_code(IDG_LANG_EN), "en");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_basic),
		cmocka_unit_test(test_params_shapes),
		cmocka_unit_test(test_params_duplicates),
		cmocka_unit_test(test_params_bad_escapes),
		cmocka_unit_test(test_params_max_pairs),
		cmocka_unit_test(test_params_max_bytes),
		cmocka_unit_test(test_params_many_short_pairs),
		cmocka_unit_test(test_cookie_find),
		cmocka_unit_test(test_cookie_absent),
		cmocka_unit_test(test_cookie_quoted),
		cmocka_unit_test(test_cookie_forbidden_bytes),
		cmocka_unit_test(test_cookie_size),
		cmocka_unit_test(test_accept_language),
		cmocka_unit_test(test_accept_language_limits),
		cmocka_unit_test(test_lang_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
