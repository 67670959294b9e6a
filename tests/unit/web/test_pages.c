/*
 * test_pages.c - unit tests of gateway/web/pages.c: each page carries its
 * form, stable ids, autocomplete hints and CSRF token; every dynamic value
 * is escaped (a <script> display name stays text); no script or inline
 * style; tags balance; the language switch and back links cannot point off
 * site; the device pages show revoke buttons for valid certificates only,
 * enrol forms only when allowed and one-time secrets only when given; the
 * device check page names every refusal code in both languages; the JSON
 * error body parses and names its code; the embedded stylesheet is there.
 * Not a browser test (tests/e2e).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
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
	    "u@example.jp", apps, 4, "csrf-xyz", NULL), IDG_OK);
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
	lacks(&b, "id=\"portal-device\"");
	lacks(&b, "id=\"portal-devices-link\"");
	idg_buf_free(&b);
}

static void
test_portal_device(void **state)
{
	struct idg_portal_device dev = { XSS, "0123456789abcdef0123456789abcdef", true };
	struct idg_page_ctx ctx = { IDG_LANG_EN, "/t/acme/portal", NULL };
	struct idg_buf b;

	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_portal(&b, &ctx, "acme", "Acme", "Taro", "t@example.jp",
	    NULL, 0, "c", &dev), IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, "<p id=\"portal-device\" class=\"device-line\"><span class=\"muted\">"
	    "Signed in with device certificate:</span> <strong>" XSS_ESC "</strong> "
	    "(<code>01234567&hellip;</code>)</p>");
	lacks(&b, "89abcdef0123");		/* only the first 8 characters */
	has(&b, "<a id=\"portal-devices-link\" class=\"btn btn-secondary\" "
	    "href=\"/t/acme/devices\">Devices</a>");
	idg_buf_free(&b);

	/* Japanese; a serial from data is escaped even when cut */
	dev.name = "会社のPC";
	dev.serial = "<script>alert(1)";
	ctx.lang = IDG_LANG_JA;
	assert_int_equal(idg_page_portal(&b, &ctx, "acme", "Acme", "太郎", "t@example.jp",
	    NULL, 0, "c", &dev), IDG_OK);
	common(&b, IDG_LANG_JA);
	has(&b, "使用中のデバイス証明書:</span> <strong>会社のPC</strong> "
	    "(<code>&lt;script&gt;&hellip;</code>)");
	has(&b, "href=\"/t/acme/devices\">デバイス証明書</a>");
	idg_buf_free(&b);

	/* no device checked in this session, but the option held: the link only */
	dev.name = "";
	assert_int_equal(idg_page_portal(&b, &ctx, "acme", "Acme", "太郎", "t@example.jp",
	    NULL, 0, "c", &dev), IDG_OK);
	lacks(&b, "id=\"portal-device\"");
	has(&b, "id=\"portal-devices-link\"");
	idg_buf_free(&b);

	/* a device but no option: the line only; no serial: no parentheses */
	dev.name = "PC";
	dev.serial = NULL;
	dev.licensed = false;
	assert_int_equal(idg_page_portal(&b, &ctx, "acme", "Acme", "太郎", "t@example.jp",
	    NULL, 0, "c", &dev), IDG_OK);
	has(&b, "<strong>PC</strong></p>");
	lacks(&b, "id=\"portal-devices-link\"");
	lacks(&b, "/t/acme/devices");
	idg_buf_free(&b);

	dev.name = NULL;
	assert_int_equal(idg_page_portal(&b, &ctx, "acme", "Acme", "x", "y", NULL, 0, "c",
	    &dev), IDG_OK);
	lacks(&b, "id=\"portal-device\"");
	idg_buf_free(&b);
}

static void
test_portal_empty(void **state)
{
	struct idg_buf b;

	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_portal(&b, &ja, "acme", "Acme", "山田 太郎", "t@example.jp",
	    NULL, 0, "c", NULL), IDG_OK);
	common(&b, IDG_LANG_JA);
	has(&b, "<div id=\"portal-apps\">\n<div id=\"portal-empty\" class=\"empty\">");
	has(&b, "まだ利用できるアプリが割り当てられていません。");
	has(&b, "山田 太郎");
	has(&b, "id=\"logout\"");
	lacks(&b, "<ul class=\"app-list\">");
	idg_buf_free(&b);

	assert_int_equal(idg_page_portal(&b, &ja, "acme", "Acme", "x", "y", NULL, 2, "c", NULL),
	    IDG_INVALID);
	assert_int_equal(idg_page_portal(&b, &ja, "acme", "Acme", "x", "y", NULL, 0, NULL, NULL),
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

/* How many times needle occurs in the page. */
static size_t
count(const struct idg_buf *b, const char *needle)
{
	const char *p = b->data;
	size_t n = 0;

	while (p != NULL && (p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

#define SERIAL_A "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
#define SERIAL_B "ffeeddccbbaa99887766554433221100"
#define SERIAL_C "1111222233334444555566667777888f"

static const struct idg_device_row dev_rows[] = {
	{ SERIAL_A, "Office PC", "windows", "2031-04-01", "valid", true },
	{ SERIAL_B, "Old phone", "", "2030-01-02", "revoked", false },
	{ SERIAL_C, "Laptop", "macos", "2025-12-31", "expired", false },
};

static const struct idg_page_ctx dev_en = { IDG_LANG_EN, "/t/acme/devices", NULL };
static const struct idg_page_ctx dev_ja = { IDG_LANG_JA, "/t/acme/devices", NULL };

/* A licensed user below the limit, nothing to show once. */
static struct idg_devices_page
devices_page(void)
{
	struct idg_devices_page p = { 0 };

	p.company_id = "acme";
	p.csrf = "csrf-dev";
	p.rows = dev_rows;
	p.nrows = 3;
	p.valid = 1;
	p.limit = 10;
	p.licensed = true;
	p.may_enrol = true;
	return p;
}

static void
test_devices(void **state)
{
	struct idg_devices_page p = devices_page();
	struct idg_buf b;

	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_devices(&b, &dev_en, &p), IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, "<title>Devices - idgate</title>");
	has(&b, "<h1>Devices</h1>");
	has(&b, "<table id=\"device-table\" class=\"table\">");
	has(&b, "<th scope=\"col\">Serial number</th>");
	has(&b, "<th scope=\"col\">Valid until</th>");
	has(&b, "<tr id=\"device-row-" SERIAL_A "\" class=\"current\">");
	has(&b, "<tr id=\"device-row-" SERIAL_B "\">");
	has(&b, "<tr id=\"device-row-" SERIAL_C "\">");
	/* the serial cut to 8 characters, in full in the title */
	has(&b, "<code title=\"" SERIAL_A "\">0a1b2c3d&hellip;</code>");
	has(&b, "<code title=\"" SERIAL_B "\">ffeeddcc&hellip;</code>");
	has(&b, "<td>windows</td>");
	has(&b, "<td>2031-04-01</td>");
	has(&b, "<span class=\"badge badge-valid\">Valid</span>");
	has(&b, "<span class=\"badge badge-revoked\">Revoked</span>");
	has(&b, "<span class=\"badge badge-expired\">Expired</span>");
	has(&b, "Office PC</span> <span id=\"device-current\" class=\"badge badge-current\">"
	    "This device</span>");
	assert_int_equal(count(&b, "badge-current"), 1);
	/* a revoke form for the valid row only */
	has(&b, "<form class=\"form\" method=\"post\" action=\"/t/acme/devices\">\n"
	    "<input type=\"hidden\" name=\"csrf\" value=\"csrf-dev\">\n"
	    "<input type=\"hidden\" name=\"action\" value=\"revoke\">\n"
	    "<input type=\"hidden\" name=\"serial\" value=\"" SERIAL_A "\">\n"
	    "<button id=\"revoke-" SERIAL_A "\" type=\"submit\"");
	has(&b, ">Revoke<span class=\"visually-hidden\">: Office PC</span></button>");
	lacks(&b, "id=\"revoke-" SERIAL_B "\"");
	lacks(&b, "id=\"revoke-" SERIAL_C "\"");
	assert_int_equal(count(&b, "name=\"action\" value=\"revoke\""), 1);
	has(&b, "<p id=\"device-count\" class=\"muted\">Valid certificates: "
	    "<strong>1</strong> / 10</p>");
	/* enrol this device */
	has(&b, "<form id=\"enrol-form\" class=\"form\" method=\"post\" "
	    "action=\"/t/acme/devices\">\n"
	    "<input type=\"hidden\" name=\"csrf\" value=\"csrf-dev\">\n"
	    "<input type=\"hidden\" name=\"action\" value=\"enrol\">");
	has(&b, "<label for=\"device_name\">Device name</label>");
	has(&b, "<input id=\"device_name\" name=\"device_name\" type=\"text\" "
	    "autocomplete=\"off\" maxlength=\"64\" required");
	has(&b, "<input id=\"legacy\" name=\"legacy\" type=\"checkbox\" value=\"1\"");
	has(&b, "<label for=\"legacy\">Compatibility format for old systems (3DES/SHA-1)</label>");
	has(&b, "<button id=\"enrol-submit\" type=\"submit\"");
	/* an enrolment token for the tool */
	has(&b, "<form id=\"token-form\" class=\"form\" method=\"post\" "
	    "action=\"/t/acme/devices\">\n"
	    "<input type=\"hidden\" name=\"csrf\" value=\"csrf-dev\">\n"
	    "<input type=\"hidden\" name=\"action\" value=\"token\">");
	has(&b, "idgate enroll");
	has(&b, "<button id=\"token-submit\" type=\"submit\"");
	/* every form carries the token: revoke, enrol, token, sign-out */
	assert_int_equal(count(&b, "<form"), 4);
	assert_int_equal(count(&b, "<input type=\"hidden\" name=\"csrf\" value=\"csrf-dev\">"),
	    4);
	has(&b, "<a id=\"devices-back\" class=\"btn btn-secondary\" href=\"/t/acme/portal\">");
	has(&b, "<form id=\"logout-form\" method=\"post\" action=\"/t/acme/logout\">");
	has(&b, "href=\"/t/acme/devices?lang=ja\"");
	lacks(&b, "id=\"device-result\"");
	lacks(&b, "id=\"device-otp\"");
	lacks(&b, "id=\"token-result\"");
	lacks(&b, "id=\"devices-pending\"");
	lacks(&b, "id=\"devices-no-license\"");
	lacks(&b, "id=\"devices-limit\"");
	lacks(&b, "id=\"form-error\"");
	lacks(&b, "id=\"form-notice\"");
	lacks(&b, ">devices.");	/* no text is missing */
	idg_buf_free(&b);
}

static void
test_devices_ja(void **state)
{
	struct idg_devices_page p = devices_page();
	struct idg_buf b;

	p.notice_key = "devices.notice.revoked";
	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_devices(&b, &dev_ja, &p), IDG_OK);
	common(&b, IDG_LANG_JA);
	has(&b, "<title>デバイス証明書 - idgate</title>");
	has(&b, "<h1>デバイス証明書</h1>");
	has(&b, "<th scope=\"col\">シリアル番号</th>");
	has(&b, "<span class=\"badge badge-valid\">有効</span>");
	has(&b, "<span class=\"badge badge-revoked\">失効</span>");
	has(&b, "<span class=\"badge badge-expired\">期限切れ</span>");
	has(&b, "class=\"badge badge-current\">この端末</span>");
	has(&b, "有効な証明書: <strong>1</strong> / 10");
	has(&b, "<label for=\"legacy\">古いシステム向けの互換形式（3DES/SHA-1）</label>");
	has(&b, "<h2 id=\"token-heading\">登録用トークンの作成</h2>");
	has(&b, "<div id=\"form-notice\" class=\"alert alert-info\" role=\"status\">\n"
	    "<p>証明書を失効させました。</p>");
	has(&b, "id=\"enrol-form\"");
	has(&b, "id=\"token-form\"");
	has(&b, "aria-current=\"true\">日本語</a>");
	lacks(&b, ">devices.");
	idg_buf_free(&b);
}

static void
test_devices_escapes(void **state)
{
	const struct idg_device_row rows[] = {
		{ XSS, XSS, XSS, XSS, "valid", true },
		{ "a\"b", "n", "t", "d", XSS, false },
	};
	struct idg_devices_page p = devices_page();
	struct idg_buf b;

	p.rows = rows;
	p.nrows = 2;
	p.csrf = "t\"><script>";
	p.otp = XSS;
	p.download_url = "/t/acme/devices/download?id=1&x=\"2\"";
	p.token = XSS;
	p.enroll_command = "idgate enroll --token '<x>' & \"y\"";
	p.error_key = "<b>key";
	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_devices(&b, &dev_en, &p), IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, "<tr id=\"device-row-" XSS_ESC "\" class=\"current\">");
	has(&b, "<span class=\"device-name\">" XSS_ESC "</span>");
	has(&b, "<td>" XSS_ESC "</td>");	/* type and date */
	has(&b, "<code title=\"" XSS_ESC "\">&lt;script&gt;&hellip;</code>");
	has(&b, "<input type=\"hidden\" name=\"serial\" value=\"" XSS_ESC "\">");
	has(&b, "<button id=\"revoke-" XSS_ESC "\"");
	has(&b, "<tr id=\"device-row-a&quot;b\">");
	/* an unknown state is shown as text, never as a class */
	has(&b, "<span class=\"badge badge-other\">" XSS_ESC "</span>");
	lacks(&b, "id=\"revoke-a&quot;b\"");
	has(&b, "value=\"t&quot;&gt;&lt;script&gt;\"");
	has(&b, "<code id=\"device-otp\">" XSS_ESC "</code>");
	has(&b, "href=\"/t/acme/devices/download?id=1&amp;x=&quot;2&quot;\" download>");
	has(&b, "<code id=\"enrol-token\">" XSS_ESC "</code>");
	has(&b, "<code id=\"enrol-command\">idgate enroll --token &#39;&lt;x&gt;&#39; &amp; "
	    "&quot;y&quot;</code>");
	has(&b, "&lt;b&gt;key");
	idg_buf_free(&b);
}

static void
test_devices_results(void **state)
{
	struct idg_devices_page p = devices_page();
	struct idg_buf b;

	/* after enrolment: the password and the file, once */
	p.otp = "ABCD-EFGH-JKLM-NPQR";
	p.download_url = "/t/acme/devices/download?id=42";
	p.notice_key = "devices.notice.enrolled";
	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_devices(&b, &dev_en, &p), IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, "<div id=\"device-result\" class=\"alert alert-success result\" role=\"status\">");
	has(&b, "Download the certificate file (PKCS#12) and import it with this one-time "
	    "password:");
	has(&b, "<code id=\"device-otp\">ABCD-EFGH-JKLM-NPQR</code>");
	has(&b, "It is shown only once.");
	has(&b, "<a id=\"device-download\" class=\"btn btn-primary\" "
	    "href=\"/t/acme/devices/download?id=42\" download>");
	has(&b, "The certificate has been issued.");
	lacks(&b, "id=\"token-result\"");
	idg_buf_free(&b);

	/* Japanese; a download link that could run script is not linked */
	p.download_url = "javascript:alert(1)";
	assert_int_equal(idg_page_devices(&b, &dev_ja, &p), IDG_OK);
	common(&b, IDG_LANG_JA);
	has(&b, "<code id=\"device-otp\">ABCD-EFGH-JKLM-NPQR</code>");
	has(&b, "ワンタイムパスワード");
	lacks(&b, "id=\"device-download\"");
	idg_buf_free(&b);

	/* after action=token: the token and the command */
	p.otp = NULL;
	p.download_url = NULL;
	p.notice_key = NULL;
	p.token = "tok_0123456789";
	p.enroll_command = "idgate enroll --url https://id.example/t/acme --token tok_0123456789";
	assert_int_equal(idg_page_devices(&b, &dev_en, &p), IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, "<div id=\"token-result\" class=\"alert alert-success result\" role=\"status\">");
	has(&b, "<code id=\"enrol-token\">tok_0123456789</code>");
	has(&b, "<code id=\"enrol-command\">idgate enroll --url https://id.example/t/acme "
	    "--token tok_0123456789</code>");
	has(&b, "10 minutes");
	has(&b, "used once");
	lacks(&b, "id=\"device-result\"");
	lacks(&b, "id=\"device-otp\"");
	lacks(&b, "id=\"device-download\"");
	idg_buf_free(&b);

	assert_int_equal(idg_page_devices(&b, &dev_ja, &p), IDG_OK);
	common(&b, IDG_LANG_JA);
	has(&b, "10分間");
	has(&b, "id=\"enrol-command\"");
	idg_buf_free(&b);

	/* empty values show nothing */
	p.token = "";
	p.otp = "";
	assert_int_equal(idg_page_devices(&b, &dev_en, &p), IDG_OK);
	lacks(&b, "id=\"token-result\"");
	lacks(&b, "id=\"device-result\"");
	idg_buf_free(&b);
}

static void
test_devices_states(void **state)
{
	struct idg_devices_page p = devices_page();
	struct idg_buf b;

	/* at the limit: no enrol forms, a hint, revoke still possible */
	p.valid = 10;
	p.may_enrol = false;
	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_devices(&b, &dev_en, &p), IDG_OK);
	common(&b, IDG_LANG_EN);
	lacks(&b, "id=\"enrol-form\"");
	lacks(&b, "id=\"token-form\"");
	lacks(&b, "name=\"device_name\"");
	has(&b, "<p id=\"devices-limit\" class=\"hint\">");
	has(&b, "<strong>10</strong> / 10");
	has(&b, "id=\"revoke-" SERIAL_A "\"");
	idg_buf_free(&b);

	/* no license: the sentence, no count, no forms */
	p = devices_page();
	p.licensed = false;
	p.may_enrol = false;
	p.nrows = 0;
	p.valid = 0;
	assert_int_equal(idg_page_devices(&b, &dev_en, &p), IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, "<p id=\"devices-no-license\">You have no device-certificate license. "
	    "Ask your administrator to assign one.</p>");
	has(&b, "<p id=\"devices-none\" class=\"empty\">");
	lacks(&b, "id=\"device-count\"");
	lacks(&b, "id=\"device-table\"");
	lacks(&b, "id=\"enrol-form\"");
	lacks(&b, "id=\"token-form\"");
	lacks(&b, "id=\"devices-limit\"");
	idg_buf_free(&b);
	assert_int_equal(idg_page_devices(&b, &dev_ja, &p), IDG_OK);
	common(&b, IDG_LANG_JA);
	has(&b, "デバイス証明書のライセンスが割り当てられていません。");
	idg_buf_free(&b);

	/* signed in up to the device check: the first device, then sign in again */
	p = devices_page();
	p.pending = true;
	p.nrows = 0;
	p.valid = 0;
	p.error_key = "error.device_certificate_limit";
	assert_int_equal(idg_page_devices(&b, &dev_en, &p), IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, "<div id=\"devices-pending\" class=\"alert alert-info\">\n<p>Your sign-in is not "
	    "complete yet: only a first device can be enrolled here. After installing the "
	    "certificate, sign in again.</p>");
	has(&b, "id=\"enrol-form\"");
	has(&b, "id=\"logout-form\"");
	has(&b, "<div id=\"form-error\" class=\"alert alert-error\" role=\"alert\">");
	has(&b, "maximum of 10 valid device certificates");
	lacks(&b, "id=\"devices-back\"");	/* the portal is not open yet */
	lacks(&b, "/t/acme/portal");
	idg_buf_free(&b);
	assert_int_equal(idg_page_devices(&b, &dev_ja, &p), IDG_OK);
	common(&b, IDG_LANG_JA);
	has(&b, "ログインはまだ完了していません。");
	idg_buf_free(&b);
}

static void
test_devices_refuses(void **state)
{
	struct idg_devices_page p = devices_page();
	struct idg_buf b;

	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_devices(&b, &dev_en, NULL), IDG_INVALID);
	assert_int_equal(idg_page_devices(&b, NULL, &p), IDG_INVALID);
	assert_int_equal(idg_page_devices(NULL, &dev_en, &p), IDG_INVALID);
	p.company_id = NULL;
	assert_int_equal(idg_page_devices(&b, &dev_en, &p), IDG_INVALID);
	p.company_id = "../x";
	assert_int_equal(idg_page_devices(&b, &dev_en, &p), IDG_INVALID);
	p.company_id = "A";
	assert_int_equal(idg_page_devices(&b, &dev_en, &p), IDG_INVALID);
	p = devices_page();
	p.csrf = NULL;
	assert_int_equal(idg_page_devices(&b, &dev_en, &p), IDG_INVALID);
	p = devices_page();
	p.rows = NULL;
	assert_int_equal(idg_page_devices(&b, &dev_en, &p), IDG_INVALID);
	assert_int_equal(b.len, 0);
	idg_buf_free(&b);

	/* a buffer too small for the page fails instead of truncating */
	p = devices_page();
	idg_buf_init(&b, 1024);
	assert_int_equal(idg_page_devices(&b, &dev_en, &p), IDG_INVALID);
	idg_buf_free(&b);
}

static void
test_device_refused(void **state)
{
	static const struct {
		const char	*code;
		const char	*en;
		const char	*ja;
	} cases[] = {
		{ "device_cert_none", "No device certificate was presented. Use a device with "
		  "your certificate installed, or install it on this device.",
		  "デバイス証明書が提示されませんでした。" },
		{ "device_cert_malformed", "could not be read", "読み取れない" },
		{ "device_cert_foreign",
		  "The certificate was not issued by your organisation&#39;s device CA.",
		  "デバイスCAが発行したものではありません" },
		{ "device_cert_expired", "certificate has expired", "有効期限が切れています" },
		{ "device_cert_not_yet_valid", "is not valid yet", "有効期間前です" },
		{ "device_cert_revoked", "This device&#39;s certificate has been revoked.",
		  "失効しています" },
		{ "device_cert_other_user", "The certificate belongs to another user.",
		  "別のユーザーのもの" },
		{ "device_cert_unknown", "The certificate is not known to your organisation.",
		  "登録されていません" },
		{ "device_license_required", "You have no device-certificate license. "
		  "Ask your administrator.", "ライセンスが割り当てられていません" },
		{ "device_ca_missing", "Your organisation has no device CA yet. "
		  "Ask your administrator.", "まだデバイスCAがありません" },
	};
	struct idg_page_ctx ctx = { IDG_LANG_EN, "/t/acme/device", NULL };
	char want[128];
	struct idg_buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int l;

		for (l = 0; l < 2; l++) {
			ctx.lang = l == 0 ? IDG_LANG_EN : IDG_LANG_JA;
			idg_buf_init(&b, PAGE_MAX);
			assert_int_equal(idg_page_device_refused(&b, &ctx, "acme", cases[i].code,
			    NULL, "/t/acme/device?return=%2Ft%2Facme%2Fportal"), IDG_OK);
			common(&b, ctx.lang);
			snprintf(want, sizeof(want), "<code id=\"device-error-code\">%s</code>",
			    cases[i].code);
			has(&b, want);
			has(&b, l == 0 ? cases[i].en : cases[i].ja);
			has(&b, l == 0 ? "<h1 id=\"error-title\">Device check failed</h1>" :
			    "<h1 id=\"error-title\">デバイス確認ができません</h1>");
			has(&b, "<a id=\"device-retry\" class=\"btn btn-primary\" "
			    "href=\"/t/acme/device?return=%2Ft%2Facme%2Fportal\">");
			has(&b, l == 0 ? ">Try again</a>" : ">もう一度試す</a>");
			has(&b, "<a id=\"device-sign-out\" class=\"btn btn-secondary\" "
			    "href=\"/t/acme/login\">");
			lacks(&b, "id=\"device-enrol-link\"");
			lacks(&b, ">error.");	/* every code has its sentence */
			idg_buf_free(&b);
		}
	}
}

static void
test_device_refused_links(void **state)
{
	struct idg_page_ctx ctx = { IDG_LANG_EN, "/t/acme/device", NULL };
	struct idg_buf b;

	/* a first device may be enrolled */
	idg_buf_init(&b, PAGE_MAX);
	assert_int_equal(idg_page_device_refused(&b, &ctx, "acme", "device_cert_none",
	    "/t/acme/devices", "/t/acme/device"), IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, "<p id=\"device-enrol\">You have no device yet? <a id=\"device-enrol-link\" "
	    "href=\"/t/acme/devices\">Enrol this device</a></p>");
	idg_buf_free(&b);
	ctx.lang = IDG_LANG_JA;
	assert_int_equal(idg_page_device_refused(&b, &ctx, "acme", "device_cert_none",
	    "/t/acme/devices", "/t/acme/device"), IDG_OK);
	common(&b, IDG_LANG_JA);
	has(&b, "href=\"/t/acme/devices\">この端末を登録</a>");
	has(&b, ">ログアウト</a>");
	idg_buf_free(&b);
	ctx.lang = IDG_LANG_EN;

	/* links that could run script or leave the site are not used */
	assert_int_equal(idg_page_device_refused(&b, &ctx, "acme", "device_cert_none",
	    "javascript:alert(1)", "//evil.example/x"), IDG_OK);
	common(&b, IDG_LANG_EN);
	lacks(&b, "id=\"device-enrol-link\"");
	lacks(&b, "evil.example");
	has(&b, "<a id=\"device-retry\" class=\"btn btn-primary\" href=\"/t/acme/login\">");
	idg_buf_free(&b);
	assert_int_equal(idg_page_device_refused(&b, &ctx, "acme", "device_cert_none", NULL,
	    "https://device.example/t/acme/device?a=1&b=\"2\""), IDG_OK);
	has(&b, "href=\"https://device.example/t/acme/device?a=1&amp;b=&quot;2&quot;\"");
	idg_buf_free(&b);

	/* an unlisted code never shows under its own name */
	assert_int_equal(idg_page_device_refused(&b, &ctx, "acme", XSS, NULL, "/t/acme/device"),
	    IDG_OK);
	common(&b, IDG_LANG_EN);
	has(&b, "<code id=\"device-error-code\">device_certificate_required</code>");
	has(&b, "certificate issued by your company");
	lacks(&b, "&lt;script");
	idg_buf_free(&b);
	assert_int_equal(idg_page_device_refused(&b, &ctx, "acme", "internal_error", NULL,
	    "/t/acme/device"), IDG_OK);
	has(&b, "<code id=\"device-error-code\">device_certificate_required</code>");
	idg_buf_free(&b);
	assert_int_equal(idg_page_device_refused(&b, &ctx, "acme", NULL, NULL, NULL), IDG_OK);
	has(&b, "<code id=\"device-error-code\">device_certificate_required</code>");
	has(&b, "id=\"device-retry\" class=\"btn btn-primary\" href=\"/t/acme/login\"");
	idg_buf_free(&b);

	/* the company ID goes into URLs: it must be one */
	assert_int_equal(idg_page_device_refused(&b, &ctx, NULL, "device_cert_none", NULL,
	    "/t/acme/device"), IDG_INVALID);
	assert_int_equal(idg_page_device_refused(&b, &ctx, "A\"<", "device_cert_none", NULL,
	    "/t/acme/device"), IDG_INVALID);
	assert_int_equal(idg_page_device_refused(&b, NULL, "acme", "device_cert_none", NULL,
	    "/t/acme/device"), IDG_INVALID);
	assert_int_equal(idg_page_device_refused(NULL, &ctx, "acme", "device_cert_none", NULL,
	    "/t/acme/device"), IDG_INVALID);
	assert_int_equal(b.len, 0);
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
		cmocka_unit_test(test_portal_device),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_devices_ja),
		cmocka_unit_test(test_devices_escapes),
		cmocka_unit_test(test_devices_results),
		cmocka_unit_test(test_devices_states),
		cmocka_unit_test(test_devices_refuses),
		cmocka_unit_test(test_device_refused),
		cmocka_unit_test(test_device_refused_links),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_error_page),
		cmocka_unit_test(test_json_error),
		cmocka_unit_test(test_css),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
