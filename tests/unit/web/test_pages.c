/*
 * test_pages.c - unit tests of gateway/web/pages.c: each page carries its
 * form, stable ids, autocomplete hints and CSRF token; every dynamic value
 * is escaped (a <script> display name stays text); no script or inline
 * style; tags balance; the language switch and back links cannot point off
 * site; the JSON error body parses and names its code; the embedded
 * stylesheet is there. Not a browser test (tests/e2e).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/util/status.h"
#include "gateway/web/pages.h"

#define PAGE_MAX (256 * 1024)
#define XSS "<script>alert(\"x\")</script>"
#define XSS_ESC "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"

static const struct idg_page_ctx en = { IDG_LANG_EN, "/t/acme/login", NULL };
static const struct idg_page_ctx ja = { IDG_LANG_JA, "/t/acme/login", NULL };

static void
has(const struct idg_buf *b, const char *needle)
{
	if (b->data == NULL || strstr(b->data, needle) == NULL)
		fail_msg("page lacks: %s\n---\n%s", needle, b->data != NULL ? b->data : "");
}

static void
lacks(const struct idg_buf *b, const char *needle)
{
	if (b->data != NULL && strstr(b->data, needle) != NULL)
		fail_msg("page must not contain: %s\n---\n%s", needle, b->data);
}

static int
is_void(const char *name, size_t n)
{
	static const char *const v[] = { "meta", "link", "input", "br", "img", "hr" };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strlen(v[i]) == n && memcmp(v[i], name, n) == 0)
			return 1;
	return 0;
}

/*
 * Checks that every non-void element is closed in order. Text and
 * attribute values are escaped, so every '<' starts a tag.
 */
static void
tags_balanced(const char *html)
{
	const char *stack[64];
	size_t lens[64], depth = 0;
	const char *p = html;

	while ((p = strchr(p, '<')) != NULL) {
		const char *name, *end = strchr(p, '>');
		int closing = 0;
		size_t n;

		assert_non_null(end);
		if (strncmp(p, "<!DOCTYPE", 9) == 0) {
			p = end;
			continue;
		}
		name = p + 1;
		if (*name == '/') {
			closing = 1;
			name++;
		}
		n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789");
		assert_true(n > 0);
		if (closing) {
			if (depth == 0 || lens[depth - 1] != n ||
			    memcmp(stack[depth - 1], name, n) != 0)
				fail_msg("unbalanced </%.*s>", (int)n, name);
			depth--;
		} else if (!is_void(name, n)) {
			assert_true(depth < 64);
			stack[depth] = name;
			lens[depth++] = n;
		}
		p = end;
	}
	assert_int_equal(depth, 0);
}

/* No event handler attribute (onclick=, onload=...): the CSP would block it anyway. */
static void
no_event_attrs(const char *html)
{
	const char *p = html;

	while ((p = strstr(p, " on")) != NULL) {
		size_t n = strspn(p + 3, "abcdefghijklmnopqrstuvwxyz");

		if (n > 0 && p[3 + n] == '=')
			fail_msg("event handler attribute at: %.40s", p);
		p += 3;
	}
}

/* What every page must be: HTML5 with lang, the stylesheet, no script or inline style. */
static void
common(const struct idg_buf *b, enum idg_lang lang)
{
	has(b, "<!DOCTYPE html>");
	has(b, lang == IDG_LANG_JA ? "<html lang=\"ja\">" : "<html lang=\"en\">");
	has(b, "<meta charset=\"utf-8\">");
	has(b, "name=\"viewport\"");
	has(b, "<link rel=\"stylesheet\" href=\"/static/idgate.css\">");
	has(b, "id=\"lang-ja\"");
	has(b, "id=\"lang-en\"");
	lacks(b, "<script");
	lacks(b, "<style");
	lacks(b, " style=");
	no_event_attrs(b->data);
	lacks(b, "javascript:");
	assert_int_equal(strlen(b->data), b->len);
	tags_balanced(b->data);
}

static void
test_login(void **state)
{
	struct idg_buf b;

	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_login(&b, &en, "acme", "Acme Corp", NULL, NULL, "tok-123"),
	    IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, "<form id=\"login-form\" class=\"form\" method=\"post\" action=\"/t/acme/login\">");
	has(&b, "<input type=\"hidden\" name=\"csrf\" value=\"tok-123\">");
	has(&b, "<label for=\"email\">");
	has(&b, "<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\"");
	has(&b, "<label for=\"password\">");
	has(&b, "<input id=\"password\" name=\"password\" type=\"password\" "
	    "autocomplete=\"current-password\"");
	has(&b, "<button id=\"signin\" type=\"submit\"");
	has(&b, "Acme Corp");
	has(&b, "href=\"/t/acme/login?lang=ja\"");
	has(&b, "href=\"/t/acme/login?lang=en\"");
	has(&b, "<title>Sign in - idgate</title>");
	lacks(&b, "id=\"form-error\"");
	idg_buf_free(&b);

	/* Japanese, an error, a prefilled e-mail */
	assert_int_equal(idg_page_login(&b, &ja, "acme", NULL, "u@example.jp",
	    "error.invalid_credentials", "tok"), IDG_OK);
	common(&b, IDG_LANG_JA);
	has(&b, "ログイン");
	has(&b, "メールアドレスまたはパスワードが正しくありません");
	has(&b, "id=\"form-error\" class=\"alert alert-error\" role=\"alert\"");
	has(&b, "value=\"u@example.jp\"");
	has(&b, "<strong>acme</strong>");	/* no tenant name: the ID */
	has(&b, "aria-current=\"true\">日本語</a>");
	idg_buf_free(&b);
}

static void
test_login_escapes(void **state)
{
	struct idg_buf b;

	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_login(&b, &en, "acme", XSS, "a\"onx=1@x.jp",
	    "<b>key", "t\"><script>"), IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, XSS_ESC);
	has(&b, "value=\"a&quot;onx=1@x.jp\"");
	has(&b, "value=\"t&quot;&gt;&lt;script&gt;\"");
	has(&b, "&lt;b&gt;key");	/* an unknown key is shown as text */
	idg_buf_free(&b);
}

static void
test_login_refuses(void **state)
{
	struct idg_buf b;

	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_login(&b, &en, "acme", "A", NULL, NULL, NULL), IDG_INVALID);
	assert_int_equal(idg_page_login(&b, &en, NULL, "A", NULL, NULL, "t"), IDG_INVALID);
	assert_int_equal(idg_page_login(&b, &en, "../x", "A", NULL, NULL, "t"), IDG_INVALID);
	assert_int_equal(idg_page_login(&b, NULL, "acme", "A", NULL, NULL, "t"), IDG_INVALID);
	assert_int_equal(idg_page_login(NULL, &en, "acme", "A", NULL, NULL, "t"), IDG_INVALID);
	assert_int_equal(b.len, 0);
	idg_buf_free(&b);

	/* a buffer too small for the page fails instead of truncating */
	idg_buf_init(&b, 512);
	assert_int_equal(idg_page_login(&b, &en, "acme", "A", NULL, NULL, "t"), IDG_INVALID);
	idg_buf_free(&b);
}

static void
test_language_switch_path(void **state)
{
	static const struct {
		const char	*path;
		const char	*want;
	} cases[] = {
		{ "/login", "href=\"/login?lang=en\"" },
		{ NULL, "href=\"/?lang=en\"" },
		{ "", "href=\"/?lang=en\"" },
		{ "//evil.example/x", "href=\"/?lang=en\"" },
		{ "/\\evil.example", "href=\"/?lang=en\"" },
		{ "https://evil.example/", "href=\"/?lang=en\"" },
		{ "/a\"><script>", "href=\"/a%22%3E%3Cscript%3E?lang=en\"" },
		{ "/a?lang=ja#x", "href=\"/a%3Flang=ja%23x?lang=en\"" },
		{ "/a b&c'd", "href=\"/a%20b%26c%27d?lang=en\"" },
	};
	struct idg_buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct idg_page_ctx ctx = { IDG_LANG_EN, cases[i].path, NULL };

		idg_buf_init(&b, PAGE_MAX);
		assert_int_equal(idg_page_company(&b, &ctx, NULL, NULL), IDG_OK);
		has(&b, cases[i].want);
		lacks(&b, "evil.example");
		common(&b, IDG_LANG_EN);
		idg_buf_free(&b);
	}
}

static void
test_company(void **state)
{
	struct idg_buf b;

	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_company(&b, &en, NULL, NULL), IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, "<form id=\"company-form\" class=\"form\" method=\"get\" action=\"/login\">");
	has(&b, "<label for=\"company_id\">Company ID</label>");
	has(&b, "<input id=\"company_id\" name=\"company_id\" type=\"text\"");
	has(&b, "aria-describedby=\"company-hint\"");
	has(&b, "id=\"company-next\"");
	lacks(&b, "value=");
	lacks(&b, "aria-invalid");
	idg_buf_free(&b);

	assert_int_equal(idg_page_company(&b, &ja, XSS, "error.tenant_not_found"), IDG_OK);
	common(&b, IDG_LANG_JA);
	has(&b, "value=\"" XSS_ESC "\"");
	has(&b, "この会社IDは登録されていません");
	has(&b, "aria-describedby=\"company-hint form-error\" aria-invalid=\"true\"");
	has(&b, "会社ID");
	idg_buf_free(&b);
}

static void
test_portal(void **state)
{
	const struct idg_portal_app apps[] = {
		{ "Expense <Pro>", "https://sp.example/sso?a=1&b=2", "saml" },
		{ "Chat", "/t/acme/oidc/launch/chat", "oidc" },
		{ "Bad", "javascript:alert(1)", "oidc" },
		{ "Odd", "//evil.example/x", "other" },
	};
	struct idg_page_ctx ctx = { IDG_LANG_EN, "/t/acme/portal", NULL };
	struct idg_buf b;

	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_portal(&b, &ctx, "acme", "Acme & Co", XSS,
	    "u@example.jp", apps, 4, "csrf-xyz"), IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, "Acme &amp; Co");
	has(&b, "<strong id=\"user-name\">" XSS_ESC "</strong>");
	has(&b, "id=\"user-email\"");
	has(&b, "u@example.jp");
	has(&b, "<div id=\"portal-apps\">");
	has(&b, "href=\"https://sp.example/sso?a=1&amp;b=2\"");
	has(&b, "Expense &lt;Pro&gt;");
	has(&b, "href=\"/t/acme/oidc/launch/chat\"");
	has(&b, "<span class=\"app-kind\">SAML</span>");
	has(&b, "<span class=\"app-kind\">OpenID Connect</span>");
	has(&b, "<span class=\"app app-disabled\"><span class=\"app-name\">Bad</span>");
	lacks(&b, "evil.example");
	lacks(&b, "id=\"portal-empty\"");
	has(&b, "<a id=\"change-password\" class=\"btn btn-secondary\" "
	    "href=\"/t/acme/password\">");
	has(&b, "<form id=\"logout-form\" method=\"post\" action=\"/t/acme/logout\">");
	has(&b, "<input type=\"hidden\" name=\"csrf\" value=\"csrf-xyz\">");
	has(&b, "<button id=\"logout\" type=\"submit\"");
	has(&b, "href=\"/t/acme/portal?lang=ja\"");
	idg_buf_free(&b);
}

static void
test_portal_empty(void **state)
{
	struct idg_buf b;

	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_portal(&b, &ja, "acme", "Acme", "山田 太郎", "t@example.jp",
	    NULL, 0, "c"), IDG_OK);
	common(&b, IDG_LANG_JA);
	has(&b, "<div id=\"portal-apps\">\n<div id=\"portal-empty\" class=\"empty\">");
	has(&b, "まだ利用できるアプリが割り当てられていません。");
	has(&b, "山田 太郎");
	has(&b, "id=\"logout\"");
	lacks(&b, "<ul class=\"app-list\">");
	idg_buf_free(&b);

	assert_int_equal(idg_page_portal(&b, &ja, "acme", "Acme", "x", "y", NULL, 2, "c"),
	    IDG_INVALID);
	assert_int_equal(idg_page_portal(&b, &ja, "acme", "Acme", "x", "y", NULL, 0, NULL),
	    IDG_INVALID);
	idg_buf_free(&b);
}

static void
test_password(void **state)
{
	struct idg_page_ctx ctx = { IDG_LANG_EN, "/t/acme/password", NULL };
	struct idg_buf b;

	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_password(&b, &ctx, "acme", false, NULL, "pw-tok"), IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, "<form id=\"password-form\" class=\"form\" method=\"post\" "
	    "action=\"/t/acme/password\">");
	has(&b, "<input type=\"hidden\" name=\"csrf\" value=\"pw-tok\">");
	has(&b, "<input id=\"current_password\" name=\"current_password\" type=\"password\" "
	    "autocomplete=\"current-password\"");
	has(&b, "<input id=\"new_password\" name=\"new_password\" type=\"password\" "
	    "autocomplete=\"new-password\"");
	has(&b, "<input id=\"new_password_confirm\" name=\"new_password_confirm\" "
	    "type=\"password\" autocomplete=\"new-password\"");
	has(&b, "<label for=\"current_password\">Current password</label>");
	has(&b, "<label for=\"new_password\">");
	has(&b, "<label for=\"new_password_confirm\">");
	has(&b, "aria-describedby=\"password-rules\"");
	has(&b, "id=\"password-rules\"");
	has(&b, "At least 8 characters");
	has(&b, "id=\"password-submit\"");
	has(&b, "<a id=\"password-cancel\" href=\"/t/acme/portal\">");
	lacks(&b, "id=\"password-forced\"");
	idg_buf_free(&b);

	ctx.lang = IDG_LANG_JA;
	assert_int_equal(idg_page_password(&b, &ctx, "acme", true, "error.password_mismatch",
	    "t"), IDG_OK);
	common(&b, IDG_LANG_JA);
	has(&b, "id=\"password-forced\"");
	has(&b, "仮パスワード");
	has(&b, "新しいパスワードの設定");
	has(&b, "パスワードが一致しません");
	has(&b, "id=\"current_password\"");	/* asked even when forced */
	has(&b, "8文字以上");
	lacks(&b, "id=\"password-cancel\"");
	idg_buf_free(&b);

	assert_int_equal(idg_page_password(&b, &ctx, "A", false, NULL, "t"), IDG_INVALID);
	assert_int_equal(idg_page_password(&b, &ctx, "acme", false, NULL, NULL), IDG_INVALID);
	idg_buf_free(&b);
}

static void
test_error_page(void **state)
{
	struct idg_buf b;

	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_error(&b, &en, "license_pool_exhausted", NULL), IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, "<code id=\"error-code\">license_pool_exhausted</code>");
	has(&b, "No licenses left");
	has(&b, "contracted IDs");
	has(&b, "<a id=\"error-back\" class=\"btn btn-primary\" href=\"/\">");
	idg_buf_free(&b);

	assert_int_equal(idg_page_error(&b, &ja, "rate_limited", "/t/acme/login?x=1&y=\"2\""),
	    IDG_OK);
	common(&b, IDG_LANG_JA);
	has(&b, "試行回数が多すぎます");
	has(&b, "href=\"/t/acme/login?x=1&amp;y=&quot;2&quot;\"");
	has(&b, "<code id=\"error-code\">rate_limited</code>");
	idg_buf_free(&b);

	/* unsafe back links fall back to "/" */
	assert_int_equal(idg_page_error(&b, &en, "not_found", "javascript:alert(1)"), IDG_OK);
	has(&b, "id=\"error-back\" class=\"btn btn-primary\" href=\"/\"");
	idg_buf_free(&b);
	assert_int_equal(idg_page_error(&b, &en, "not_found", "//evil.example/"), IDG_OK);
	lacks(&b, "evil.example");
	idg_buf_free(&b);
	assert_int_equal(idg_page_error(&b, &en, "not_found", "https://app.example/"), IDG_OK);
	has(&b, "href=\"https://app.example/\"");
	idg_buf_free(&b);

	/* unknown codes and internal reasons never show under their own name */
	assert_int_equal(idg_page_error(&b, &en, XSS, NULL), IDG_OK);
	has(&b, "<code id=\"error-code\">internal_error</code>");
	lacks(&b, "&lt;script");
	idg_buf_free(&b);
	assert_int_equal(idg_page_error(&b, &en, "account_locked", NULL), IDG_OK);
	has(&b, "<code id=\"error-code\">invalid_credentials</code>");
	lacks(&b, "lock");
	idg_buf_free(&b);
}

static void
check_json(const char *code, enum idg_lang lang, const char *want_code, const char *want_in)
{
	struct idg_buf b;
	json_error_t jerr;
	json_t *j;

	idg_buf_init(&b, 4096);
	assert_int_equal(idg_json_error(&b, code, lang), IDG_OK);
	j = json_loads(b.data, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		fail_msg("invalid JSON (%s): %s", jerr.text, b.data);
	assert_int_equal(json_object_size(j), 2);
	assert_string_equal(json_string_value(json_object_get(j, "error")), want_code);
	assert_non_null(json_string_value(json_object_get(j, "message")));
	assert_non_null(strstr(json_string_value(json_object_get(j, "message")), want_in));
	json_decref(j);
	idg_buf_free(&b);
}

static void
test_json_error(void **state)
{
	struct idg_buf b;

	check_json("rate_limited", IDG_LANG_EN, "rate_limited", "too many attempts");
	check_json("csrf_invalid", IDG_LANG_JA, "csrf_invalid", "再読み込み");
	check_json("no \"such\" <code>", IDG_LANG_EN, "internal_error", "unexpected");
	check_json(NULL, IDG_LANG_EN, "internal_error", "unexpected");
	check_json("account_locked", IDG_LANG_EN, "invalid_credentials", "incorrect");

	/* no raw < > & even inside strings */
	idg_buf_init(&b, 4096);
	assert_int_equal(idg_json_error(&b, "not_found", IDG_LANG_EN), IDG_OK);
	assert_null(strpbrk(b.data, "<>&"));
	idg_buf_free(&b);

	idg_buf_init(&b, 16);
	assert_int_equal(idg_json_error(&b, "not_found", IDG_LANG_EN), IDG_INVALID);
	idg_buf_free(&b);
	assert_int_equal(idg_json_error(NULL, "not_found", IDG_LANG_EN), IDG_INVALID);
}

static void
test_css(void **state)
{
	size_t len = 0;
	const char *css = idg_static_css(&len);

	assert_non_null(css);
	assert_true(len > 1000);
	assert_int_equal(strlen(css), len);
	assert_non_null(strstr(css, "\"Hiragino Sans\""));
	assert_non_null(strstr(css, "\"Noto Sans JP\""));
	assert_non_null(strstr(css, "\"Yu Gothic\""));
	assert_non_null(strstr(css, ":focus-visible"));
	assert_non_null(strstr(css, ".alert-error"));
	assert_null(strstr(css, "@import"));
	assert_null(strstr(css, "url("));	/* nothing fetched from elsewhere */
	assert_ptr_equal(idg_static_css(NULL), css);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_login_escapes),
		cmocka_unit_test(test_login_refuses),
		cmocka_unit_test(test_language_switch_path),
		cmocka_unit_test(test_company),
		cmocka_unit_test(test_portal),
		cmocka_unit_test(test_portal_empty),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_error_page),
		cmocka_unit_test(test_json_error),
		cmocka_unit_test(test_css),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
