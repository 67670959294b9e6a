/*
 * test_i18n.c - unit tests of gateway/web/i18n.c and errors.c: every key
 * has its own English and Japanese text, every error code has a title and a
 * sentence in both, statuses are the published ones, and internal reasons
 * (account_locked) never surface under their own name. Not a test of the
 * pages (test_pages.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "gateway/web/errors.h"
#include "gateway/web/i18n.h"

/* Strict UTF-8 check (no overlongs, no surrogates, nothing past U+10FFFF). */
static int
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned c = *p, n, i, cp;

		if (c < 0x80) {
			p++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

static int
has_non_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

static void
test_every_key_both_languages(void **state)
{
	const char *key;
	unsigned n;

	for (n = 0; (key = idg_i18n_key_at(n)) != NULL; n++) {
		const char *en = idg_i18n(IDG_LANG_EN, key);
		const char *ja = idg_i18n(IDG_LANG_JA, key);

		if (!idg_i18n_has(IDG_LANG_EN, key) || !idg_i18n_has(IDG_LANG_JA, key))
			fail_msg("key %s lacks a language", key);
		if (*en == '\0' || *ja == '\0')
			fail_msg("key %s has an empty text", key);
		if (!utf8_valid(en) || !utf8_valid(ja))
			fail_msg("key %s is not valid UTF-8", key);
		/* texts are plain text: markup would be escaped and shown */
		if (strpbrk(en, "<>&") != NULL || strpbrk(ja, "<>&") != NULL)
			fail_msg("key %s holds markup characters", key);
	}
	assert_true(n > 40);
}

static void
test_keys_unique(void **state)
{
	const char *a, *b;
	unsigned i, j;

	for (i = 0; (a = idg_i18n_key_at(i)) != NULL; i++)
		for (j = i + 1; (b = idg_i18n_key_at(j)) != NULL; j++)
			if (strcmp(a, b) == 0)
				fail_msg("key %s appears twice", a);
}

static void
test_fallbacks(void **state)
{
	assert_string_equal(idg_i18n(IDG_LANG_JA, "no.such.key"), "no.such.key");
	assert_string_equal(idg_i18n(IDG_LANG_EN, "no.such.key"), "no.such.key");
	assert_false(idg_i18n_has(IDG_LANG_EN, "no.such.key"));
	assert_false(idg_i18n_has(IDG_LANG_JA, NULL));
	assert_string_equal(idg_i18n(IDG_LANG_EN, NULL), "");
	assert_string_equal(idg_i18n(IDG_LANG_EN, "login.title"), "Sign in");
	assert_string_equal(idg_i18n(IDG_LANG_JA, "login.title"), "ログイン");
	assert_null(idg_i18n_key_at(100000));
}

static void
test_error_texts(void **state)
{
	const struct idg_error_def *d;
	char key[128];
	unsigned n;

	for (n = 0; (d = idg_error_at(n)) != NULL; n++) {
		const char *suffix[] = { "", ".title" };
		size_t i;

		for (i = 0; i < 2; i++) {
			snprintf(key, sizeof(key), "error.%s%s", d->code, suffix[i]);
			if (!idg_i18n_has(IDG_LANG_EN, key) || !idg_i18n_has(IDG_LANG_JA, key))
				fail_msg("%s lacks a text in some language", key);
			/* translated, not copied */
			if (strcmp(idg_i18n(IDG_LANG_EN, key), idg_i18n(IDG_LANG_JA, key)) == 0 ||
			    !has_non_ascii(idg_i18n(IDG_LANG_JA, key)))
				fail_msg("%s is not translated to Japanese", key);
		}
		/* a sentence that ends as one, in both languages */
		snprintf(key, sizeof(key), "error.%s", d->code);
		{
			const char *en = idg_i18n(IDG_LANG_EN, key);
			const char *ja = idg_i18n(IDG_LANG_JA, key);

			if (en[strlen(en) - 1] != '.' || strstr(ja, "。") == NULL)
				fail_msg("%s is not a full sentence", key);
		}
	}
	assert_true(n >= 15);
}

static void
test_error_codes(void **state)
{
	static const struct {
		const char	*code;
		int		 status;
	} want[] = {
		{ "bad_request", 400 },
		{ "csrf_invalid", 403 },
		{ "invalid_credentials", 401 },
		{ "rate_limited", 429 },
		{ "session_required", 401 },
		{ "session_expired", 401 },
		{ "password_change_required", 403 },
		{ "not_found", 404 },
		{ "tenant_not_found", 404 },
		{ "method_not_allowed", 405 },
		{ "request_timeout", 408 },
		{ "request_too_large", 413 },
		{ "license_pool_exhausted", 409 },
		{ "password_policy", 400 },
		{ "password_mismatch", 400 },
		{ "session_store_unavailable", 503 },
		{ "store_unavailable", 503 },
		{ "service_unavailable", 503 },
		{ "internal_error", 500 },
		{ "device_certificate_required", 403 },
		{ "device_cert_none", 403 },
		{ "device_cert_malformed", 403 },
		{ "device_cert_foreign", 403 },
		{ "device_cert_expired", 403 },
		{ "device_cert_not_yet_valid", 403 },
		{ "device_cert_revoked", 403 },
		{ "device_cert_other_user", 403 },
		{ "device_cert_unknown", 403 },
		{ "device_license_required", 403 },
		{ "device_license_exhausted", 409 },
		{ "device_license_in_use", 409 },
		{ "device_certificate_limit", 409 },
		{ "device_certificates_held", 409 },
		{ "device_ca_missing", 409 },
		{ "invalid_csr", 400 },
		{ "invalid_enrolment_token", 401 },
		{ "device_not_found", 404 },
		{ "device_check_unavailable", 503 },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct idg_error_def *d = idg_error_lookup(want[i].code);

		assert_string_equal(d->code, want[i].code);
		if (d->http_status != want[i].status)
			fail_msg("%s: status %d, want %d", want[i].code, d->http_status,
			    want[i].status);
	}
}

/*
 * The texts the device pages print (pages.c): a key missing from the table
 * would be shown as the key itself, which the table walk above cannot see.
 */
static void
test_device_page_keys(void **state)
{
	static const char *const keys[] = {
		"portal.device", "portal.devices", "devices.title", "devices.intro",
		"devices.no_license", "devices.pending", "devices.count", "devices.none",
		"devices.limit", "devices.col.name", "devices.col.type", "devices.col.serial",
		"devices.col.not_after", "devices.col.state", "devices.col.actions",
		"devices.state.valid", "devices.state.revoked", "devices.state.expired",
		"devices.current", "devices.revoke", "devices.enrol.title", "devices.enrol.intro",
		"devices.enrol.name", "devices.enrol.name_hint", "devices.enrol.legacy",
		"devices.enrol.legacy_hint", "devices.enrol.submit", "devices.token.title",
		"devices.token.intro", "devices.token.submit", "devices.otp.intro",
		"devices.otp.once", "devices.otp.download", "devices.token.result",
		"devices.token.command", "devices.token.once", "devices.notice.enrolled",
		"devices.notice.revoked", "devices.notice.token", "devices.back",
		"device_refused.title", "device_refused.no_device", "device_refused.enrol",
		"device_refused.retry",
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!idg_i18n_has(IDG_LANG_EN, keys[i]) || !idg_i18n_has(IDG_LANG_JA, keys[i]))
			fail_msg("%s lacks a text in some language", keys[i]);
		if (!has_non_ascii(idg_i18n(IDG_LANG_JA, keys[i])))
			fail_msg("%s is not translated to Japanese", keys[i]);
	}
	/* the compatibility format names its algorithms in both languages */
	assert_non_null(strstr(idg_i18n(IDG_LANG_EN, "devices.enrol.legacy"), "3DES/SHA-1"));
	assert_non_null(strstr(idg_i18n(IDG_LANG_JA, "devices.enrol.legacy"), "3DES/SHA-1"));
}

static void
test_error_table_sane(void **state)
{
	const struct idg_error_def *d, *e;
	unsigned i, j;

	for (i = 0; (d = idg_error_at(i)) != NULL; i++) {
		const char *c;

		assert_true(d->http_status >= 400 && d->http_status <= 599);
		assert_true(strlen(d->code) > 0 && strlen(d->code) < 64);
		for (c = d->code; *c != '\0'; c++)
			if (!((*c >= 'a' && *c <= 'z') || *c == '_'))
				fail_msg("code %s: only [a-z_] allowed", d->code);
		assert_ptr_equal(idg_error_lookup(d->code), d);
		for (j = i + 1; (e = idg_error_at(j)) != NULL; j++)
			if (strcmp(d->code, e->code) == 0)
				fail_msg("code %s appears twice", d->code);
	}
}

static void
test_error_unknown_and_masked(void **state)
{
	const struct idg_error_def *d;
	unsigned i;

	assert_string_equal(idg_error_lookup("no_such_code")->code, "internal_error");
	assert_int_equal(idg_error_lookup("no_such_code")->http_status, 500);
	assert_string_equal(idg_error_lookup(NULL)->code, "internal_error");
	assert_string_equal(idg_error_lookup("")->code, "internal_error");
	assert_string_equal(idg_error_lookup("Bad_Request")->code, "internal_error");
	/* no user enumeration: a locked or unknown account is a failed sign-in */
	assert_string_equal(idg_error_lookup("account_locked")->code, "invalid_credentials");
	assert_int_equal(idg_error_lookup("account_locked")->http_status, 401);
	assert_string_equal(idg_error_lookup("user_not_found")->code, "invalid_credentials");
	assert_string_equal(idg_error_lookup("unknown_tenant")->code, "tenant_not_found");
	for (i = 0; (d = idg_error_at(i)) != NULL; i++)
		if (strcmp(d->code, "account_locked") == 0)
			fail_msg("account_locked must not be a public code");
	assert_false(idg_i18n_has(IDG_LANG_EN, "error.account_locked"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_both_languages),
		cmocka_unit_test(test_keys_unique),
		cmocka_unit_test(test_fallbacks),
		cmocka_unit_test(test_error_texts),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_device_page_keys),
		cmocka_unit_test(test_error_table_sane),
		cmocka_unit_test(test_error_unknown_and_masked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
