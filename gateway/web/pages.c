/*
 * pages.c - renders the sign-in, company ID, portal, password change,
 * second-factor, reports, device certificates, device check and error pages
 * and the JSON error body; see pages.h.
 *
 * Every page shares one frame (head, language switch, card, footer) and is
 * written straight into the caller's bounded buffer: texts come from
 * i18n.c, every dynamic value goes through idg_html_escape (and
 * idg_url_escape inside URLs), and no page carries script, inline style or
 * a <style> block, so the CSP can forbid them all. The stable id attributes
 * are an interface: end-to-end tests click by them. This file sets no
 * headers and decides nothing about sessions or CSRF; it only prints the
 * token it is given.
 */
#include "pages.h"

#include <stdlib.h>

#include <openssl/evp.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "i18n.h"
#include "gateway/util/buf.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"

/* From the C file CMake generates out of static/idgate.css. */
extern const unsigned char idg_css_data[];
extern const size_t idg_css_len;

/* An output cursor that keeps the first failure, so rendering reads top-down. */
struct out {
	struct idg_buf	*b;
	enum idg_lang	 lang;
	int		 st;
};

static void
put(struct out *o, const char *s)
{
	if (o->st == IDG_OK)
		o->st = idg_buf_adds(o->b, s);
}

static void
esc(struct out *o, const char *s)
{
	if (o->st == IDG_OK && s != NULL)
		o->st = idg_html_escape(o->b, s);
}

/* A URL path segment or query value built from data. */
static void
uesc(struct out *o, const char *s)
{
	if (o->st == IDG_OK && s != NULL)
		o->st = idg_url_escape(o->b, s);
}

/* An i18n text, escaped (texts are plain text, not markup). */
static void
txt(struct out *o, const char *key)
{
	esc(o, idg_i18n(o->lang, key));
}

/*
 * A link target from data is used only when it cannot run or leave the
 * origin in a surprising way: a local absolute path ("/x", but not "//host"
 * or "/\host", which browsers treat as another host) or an http(s) URL.
 * javascript:, data: and the rest are refused.
 */
static bool
url_safe(const char *u)
{
	if (u == NULL || *u == '\0')
		return false;
	for (const char *p = u; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	if (u[0] == '/')
		return u[1] != '/' && u[1] != '\\';
	return strncasecmp(u, "https://", 8) == 0 || strncasecmp(u, "http://", 7) == 0;
}

/*
 * The current path for the language switch. Bytes outside a conservative
 * path alphabet are percent-encoded, so neither a query, a fragment nor an
 * HTML metacharacter can ride along; an unsafe or missing path becomes "/".
 */
static void
path_out(struct out *o, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	if (path == NULL || path[0] != '/' || path[1] == '/' || path[1] == '\\') {
		put(o, "/");
		return;
	}
	for (p = (const unsigned char *)path; *p != '\0' && o->st == IDG_OK; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/!$()*+,;=:@%", *p) != NULL) {
			o->st = idg_buf_add(o->b, p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			o->st = idg_buf_add(o->b, e, 3);
		}
	}
}

static void
lang_link(struct out *o, const struct idg_page_ctx *ctx, enum idg_lang l)
{
	const char *code = idg_lang_code(l);

	put(o, "<a id=\"lang-");
	put(o, code);
	put(o, "\" href=\"");
	path_out(o, ctx->path);
	put(o, "?lang=");
	put(o, code);
	put(o, "\" hreflang=\"");
	put(o, code);
	put(o, "\" lang=\"");
	put(o, code);
	put(o, "\"");
	if (ctx->lang == l)
		put(o, " aria-current=\"true\"");
	put(o, ">");
	txt(o, l == IDG_LANG_JA ? "lang.ja" : "lang.en");
	put(o, "</a>");
}

/* Everything up to and including the opening of the card. */
static void
head(struct out *o, const struct idg_page_ctx *ctx, const char *title_key, const char *cls)
{
	put(o, "<!DOCTYPE html>\n<html lang=\"");
	put(o, idg_lang_code(ctx->lang));
	put(o, "\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"robots\" content=\"noindex, nofollow\">\n"
	    "<meta name=\"referrer\" content=\"same-origin\">\n<title>");
	txt(o, title_key);
	put(o, " - ");
	txt(o, "app.name");
	put(o, "</title>\n<link rel=\"stylesheet\" href=\"/static/idgate.css\">\n"
	    "</head>\n<body class=\"");
	put(o, cls);
	put(o, "\">\n<div class=\"page\">\n<header class=\"topbar\">\n<span class=\"brand\">");
	txt(o, "app.name");
	put(o, "</span>\n<nav class=\"lang-switch\" aria-label=\"");
	txt(o, "lang.switch");
	put(o, "\">\n");
	lang_link(o, ctx, IDG_LANG_JA);
	put(o, "\n");
	lang_link(o, ctx, IDG_LANG_EN);
	put(o, "\n</nav>\n</header>\n<main id=\"main\" class=\"card\">\n");
}

static void
foot(struct out *o)
{
	put(o, "</main>\n<footer class=\"footer\">\n<p>");
	txt(o, "footer.help");
	put(o, "</p>\n</footer>\n</div>\n</body>\n</html>\n");
}

/* The message box above a form; error_key is an i18n key. */
static void
form_error(struct out *o, const char *error_key)
{
	if (error_key == NULL || *error_key == '\0')
		return;
	put(o, "<div id=\"form-error\" class=\"alert alert-error\" role=\"alert\">\n<p>");
	txt(o, error_key);
	put(o, "</p>\n</div>\n");
}

static void
csrf_field(struct out *o, const char *csrf)
{
	put(o, "<input type=\"hidden\" name=\"csrf\" value=\"");
	esc(o, csrf);
	put(o, "\">\n");
}

/* "/t/{company_id}/{what}" with the company ID percent-encoded. */
static void
tenant_url(struct out *o, const char *company_id, const char *what)
{
	put(o, "/t/");
	uesc(o, company_id);
	put(o, "/");
	put(o, what);
}

/*
 * The first 8 characters of a certificate serial, for display; the full
 * serial goes in a title attribute next to it. The cut stops at the first
 * non-ASCII byte so it never splits a UTF-8 sequence (serials are hex, but
 * this is data).
 */
static void
serial_short(struct out *o, const char *serial)
{
	char s[9];
	size_t n = 0;

	if (serial == NULL)
		return;
	while (n < 8 && serial[n] != '\0' && (unsigned char)serial[n] < 0x80) {
		s[n] = serial[n];
		n++;
	}
	s[n] = '\0';
	esc(o, s);
	if (serial[n] != '\0')
		put(o, "&hellip;");
}

static int
begin(struct out *o, struct idg_buf *b, const struct idg_page_ctx *ctx)
{
	o->b = b;
	o->lang = ctx != NULL ? ctx->lang : IDG_LANG_EN;
	o->st = IDG_OK;
	return b != NULL && ctx != NULL ? IDG_OK : IDG_INVALID;
}

int
idg_page_login(struct idg_buf *b, const struct idg_page_ctx *ctx,
    const char *company_id, const char *tenant_name, const char *email,
    const char *error_key, const char *csrf)
{
	struct out o;
	bool has_email = email != NULL && *email != '\0';

	if (begin(&o, b, ctx) != IDG_OK || company_id == NULL ||
	    !idg_company_id_valid(company_id) || csrf == NULL)
		return IDG_INVALID;
	head(&o, ctx, "login.title", "page-login");
	put(&o, "<h1>");
	txt(&o, "login.title");
	put(&o, "</h1>\n<p class=\"tenant\" id=\"tenant-name\"><span class=\"muted\">");
	txt(&o, "login.company");
	put(&o, "</span> <strong>");
	esc(&o, tenant_name != NULL && *tenant_name != '\0' ? tenant_name : company_id);
	put(&o, "</strong></p>\n");
	form_error(&o, error_key);
	put(&o, "<form id=\"login-form\" class=\"form\" method=\"post\" action=\"");
	tenant_url(&o, company_id, "login");
	put(&o, "\">\n");
	csrf_field(&o, csrf);
	if (ctx->return_to != NULL) {
		put(&o, "<input type=\"hidden\" name=\"return\" value=\"");
		esc(&o, ctx->return_to);
		put(&o, "\">\n");
	}
	put(&o, "<div class=\"field\">\n<label for=\"email\">");
	txt(&o, "login.email");
	put(&o, "</label>\n<input id=\"email\" name=\"email\" type=\"email\" "
	    "autocomplete=\"username\" inputmode=\"email\" autocapitalize=\"none\" "
	    "spellcheck=\"false\" maxlength=\"254\" required");
	if (error_key != NULL && *error_key != '\0')
		put(&o, " aria-describedby=\"form-error\"");
	if (has_email) {
		put(&o, " value=\"");
		esc(&o, email);
		put(&o, "\"");
	} else {
		put(&o, " autofocus");
	}
	put(&o, ">\n</div>\n<div class=\"field\">\n<label for=\"password\">");
	txt(&o, "login.password");
	put(&o, "</label>\n<input id=\"password\" name=\"password\" type=\"password\" "
	    "autocomplete=\"current-password\" maxlength=\"1024\" required");
	if (has_email)
		put(&o, " autofocus");
	put(&o, ">\n</div>\n<button id=\"signin\" type=\"submit\" class=\"btn btn-primary\">");
	txt(&o, "login.submit");
	put(&o, "</button>\n</form>\n<p class=\"hint\">");
	txt(&o, "login.forgot");
	put(&o, "</p>\n<p class=\"links\"><a id=\"other-company\" href=\"/login\">");
	txt(&o, "login.other_company");
	put(&o, "</a></p>\n");
	foot(&o);
	return o.st;
}

int
idg_page_company(struct idg_buf *b, const struct idg_page_ctx *ctx,
    const char *company_id, const char *error_key)
{
	struct out o;
	bool has_error = error_key != NULL && *error_key != '\0';

	if (begin(&o, b, ctx) != IDG_OK)
		return IDG_INVALID;
	head(&o, ctx, "company.title", "page-company");
	put(&o, "<h1>");
	txt(&o, "company.title");
	put(&o, "</h1>\n<p class=\"lead\">");
	txt(&o, "company.lead");
	put(&o, "</p>\n");
	form_error(&o, error_key);
	put(&o, "<form id=\"company-form\" class=\"form\" method=\"get\" action=\"/login\">\n"
	    "<div class=\"field\">\n<label for=\"company_id\">");
	txt(&o, "company.label");
	put(&o, "</label>\n<input id=\"company_id\" name=\"company_id\" type=\"text\" "
	    "autocapitalize=\"none\" spellcheck=\"false\" "
	    "maxlength=\"32\" required autofocus aria-describedby=\"company-hint");
	if (has_error)
		put(&o, " form-error\" aria-invalid=\"true");
	put(&o, "\"");
	if (company_id != NULL && *company_id != '\0') {
		put(&o, " value=\"");
		esc(&o, company_id);
		put(&o, "\"");
	}
	put(&o, ">\n<p id=\"company-hint\" class=\"hint\">");
	txt(&o, "company.hint");
	put(&o, "</p>\n</div>\n<button id=\"company-next\" type=\"submit\" "
	    "class=\"btn btn-primary\">");
	txt(&o, "company.submit");
	put(&o, "</button>\n</form>\n");
	foot(&o);
	return o.st;
}

int
idg_page_portal(struct idg_buf *b, const struct idg_page_ctx *ctx,
    const char *company_id, const char *tenant_name, const char *display_name,
    const char *email, const struct idg_portal_app *apps, size_t napps,
    const char *csrf, const struct idg_portal_device *device)
{
	struct out o;
	size_t i;

	if (begin(&o, b, ctx) != IDG_OK || company_id == NULL ||
	    !idg_company_id_valid(company_id) || csrf == NULL || (apps == NULL && napps > 0))
		return IDG_INVALID;
	head(&o, ctx, "portal.title", "page-portal");
	put(&o, "<p class=\"tenant\" id=\"tenant-name\">");
	esc(&o, tenant_name != NULL && *tenant_name != '\0' ? tenant_name : company_id);
	put(&o, "</p>\n<h1>");
	txt(&o, "portal.title");
	put(&o, "</h1>\n<section class=\"account\" aria-labelledby=\"account-heading\">\n"
	    "<h2 id=\"account-heading\" class=\"visually-hidden\">");
	txt(&o, "portal.account");
	put(&o, "</h2>\n<p class=\"muted\">");
	txt(&o, "portal.signed_in_as");
	put(&o, "</p>\n<p class=\"user\"><strong id=\"user-name\">");
	esc(&o, display_name != NULL && *display_name != '\0' ? display_name : email);
	put(&o, "</strong>");
	if (email != NULL && *email != '\0') {
		put(&o, "<br>\n<span id=\"user-email\" class=\"muted\">");
		esc(&o, email);
		put(&o, "</span>");
	}
	put(&o, "</p>\n");
	if (device != NULL && device->name != NULL && *device->name != '\0') {
		put(&o, "<p id=\"portal-device\" class=\"device-line\"><span class=\"muted\">");
		txt(&o, "portal.device");
		put(&o, "</span> <strong>");
		esc(&o, device->name);
		put(&o, "</strong>");
		if (device->serial != NULL && *device->serial != '\0') {
			put(&o, " (<code>");
			serial_short(&o, device->serial);
			put(&o, "</code>)");
		}
		put(&o, "</p>\n");
	}
	put(&o, "</section>\n<section class=\"apps\" aria-labelledby=\"apps-heading\">\n"
	    "<h2 id=\"apps-heading\">");
	txt(&o, "portal.apps");
	put(&o, "</h2>\n<div id=\"portal-apps\">\n");
	if (napps == 0) {
		put(&o, "<div id=\"portal-empty\" class=\"empty\">\n<p>");
		txt(&o, "portal.no_apps");
		put(&o, "</p>\n<p class=\"hint\">");
		txt(&o, "portal.no_apps_hint");
		put(&o, "</p>\n</div>\n");
	} else {
		put(&o, "<ul class=\"app-list\">\n");
		for (i = 0; i < napps; i++) {
			const struct idg_portal_app *a = &apps[i];
			const char *kind = NULL;
			bool link = url_safe(a->launch_url);

			if (a->kind != NULL && strcmp(a->kind, "saml") == 0)
				kind = "portal.kind.saml";
			else if (a->kind != NULL && strcmp(a->kind, "oidc") == 0)
				kind = "portal.kind.oidc";
			put(&o, "<li>");
			if (link) {
				put(&o, "<a class=\"app\" href=\"");
				esc(&o, a->launch_url);
				put(&o, "\">");
			} else {
				/* An unusable launch URL is shown, not linked. */
				put(&o, "<span class=\"app app-disabled\">");
			}
			put(&o, "<span class=\"app-name\">");
			esc(&o, a->name != NULL ? a->name : "");
			put(&o, "</span>");
			if (kind != NULL) {
				put(&o, "<span class=\"app-kind\">");
				txt(&o, kind);
				put(&o, "</span>");
			}
			put(&o, link ? "</a>" : "</span>");
			put(&o, "</li>\n");
		}
		put(&o, "</ul>\n");
	}
	put(&o, "</div>\n</section>\n<div class=\"actions\">\n"
	    "<a id=\"change-password\" class=\"btn btn-secondary\" href=\"");
	tenant_url(&o, company_id, "password");
	put(&o, "\">");
	txt(&o, "portal.change_password");
	put(&o, "</a>\n<a id=\"setup-mfa\" class=\"btn btn-secondary\" href=\"");
	tenant_url(&o, company_id, "mfa");
	put(&o, "\">");
	txt(&o, "portal.mfa");
	put(&o, "</a>\n");
	if (device != NULL && device->licensed) {
		put(&o, "<a id=\"portal-devices-link\" class=\"btn btn-secondary\" href=\"");
		tenant_url(&o, company_id, "devices");
		put(&o, "\">");
		txt(&o, "portal.devices");
		put(&o, "</a>\n");
	}
	put(&o, "<form id=\"logout-form\" method=\"post\" action=\"");
	tenant_url(&o, company_id, "logout");
	put(&o, "\">\n");
	csrf_field(&o, csrf);
	put(&o, "<button id=\"logout\" type=\"submit\" class=\"btn btn-secondary\">");
	txt(&o, "portal.logout");
	put(&o, "</button>\n</form>\n</div>\n");
	foot(&o);
	return o.st;
}

static void
password_input(struct out *o, const char *id, const char *label_key, const char *autocomplete,
    const char *describedby, bool autofocus)
{
	put(o, "<div class=\"field\">\n<label for=\"");
	put(o, id);
	put(o, "\">");
	txt(o, label_key);
	put(o, "</label>\n<input id=\"");
	put(o, id);
	put(o, "\" name=\"");
	put(o, id);
	put(o, "\" type=\"password\" autocomplete=\"");
	put(o, autocomplete);
	put(o, "\" maxlength=\"1024\" required");
	if (describedby != NULL) {
		put(o, " aria-describedby=\"");
		put(o, describedby);
		put(o, "\"");
	}
	if (autofocus)
		put(o, " autofocus");
	put(o, ">\n</div>\n");
}

int
idg_page_password(struct idg_buf *b, const struct idg_page_ctx *ctx,
    const char *company_id, bool forced, const char *error_key, const char *csrf)
{
	static const char *const rules[] = {
		"password.rule.length", "password.rule.upper", "password.rule.lower",
		"password.rule.digit", "password.rule.symbol",
	};
	const char *title = forced ? "password.title_forced" : "password.title";
	bool has_error = error_key != NULL && *error_key != '\0';
	struct out o;
	size_t i;

	if (begin(&o, b, ctx) != IDG_OK || company_id == NULL ||
	    !idg_company_id_valid(company_id) || csrf == NULL)
		return IDG_INVALID;
	head(&o, ctx, title, "page-password");
	put(&o, "<h1>");
	txt(&o, title);
	put(&o, "</h1>\n");
	if (forced) {
		put(&o, "<div id=\"password-forced\" class=\"alert alert-info\">\n<p>");
		txt(&o, "password.forced_notice");
		put(&o, "</p>\n</div>\n");
	}
	form_error(&o, error_key);
	put(&o, "<form id=\"password-form\" class=\"form\" method=\"post\" action=\"");
	tenant_url(&o, company_id, "password");
	put(&o, "\">\n");
	csrf_field(&o, csrf);
	/* Always ask the current (or temporary) password: a stolen session alone is not enough. */
	password_input(&o, "current_password",
	    forced ? "password.current_temp" : "password.current", "current-password",
	    has_error ? "form-error" : NULL, true);
	password_input(&o, "new_password", "password.new", "new-password",
	    "password-rules", false);
	password_input(&o, "new_password_confirm", "password.confirm", "new-password",
	    NULL, false);
	put(&o, "<div id=\"password-rules\" class=\"rules\">\n<p>");
	txt(&o, "password.rules_title");
	put(&o, "</p>\n<ul>\n");
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		put(&o, "<li>");
		txt(&o, rules[i]);
		put(&o, "</li>\n");
	}
	put(&o, "</ul>\n</div>\n<button id=\"password-submit\" type=\"submit\" "
	    "class=\"btn btn-primary\">");
	txt(&o, "password.submit");
	put(&o, "</button>\n</form>\n");
	if (!forced) {
		put(&o, "<p class=\"links\"><a id=\"password-cancel\" href=\"");
		tenant_url(&o, company_id, "portal");
		put(&o, "\">");
		txt(&o, "password.cancel");
		put(&o, "</a></p>\n");
	}
	foot(&o);
	return o.st;
}

int
idg_page_mfa(struct idg_buf *b, const struct idg_page_ctx *ctx, const struct idg_mfa_page *m)
{
	struct out o;

	if (begin(&o, b, ctx) != IDG_OK || m == NULL || m->company_id == NULL ||
	    !idg_company_id_valid(m->company_id) || m->csrf == NULL ||
	    (m->enrol && (m->qr_svg == NULL || m->manual_key == NULL)))
		return IDG_INVALID;
	head(&o, ctx, m->enrol ? "mfa.enrol_title" : "mfa.title", "page-mfa");
	put(&o, "<h1>");
	txt(&o, m->enrol ? "mfa.enrol_title" : "mfa.title");
	put(&o, "</h1>\n<p class=\"muted\">");
	txt(&o, m->enrol ? "mfa.enrol_intro" : "mfa.intro");
	put(&o, "</p>\n");
	if (m->enrol) {
		char *b64 = NULL;
		size_t n = strlen(m->qr_svg);

		/* An <img> with a data: URI: the page's CSP allows data: images only. */
		if ((b64 = malloc(4 * ((n + 2) / 3) + 1)) != NULL) {
			EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)m->qr_svg,
			    (int)n);
			put(&o, "<p class=\"qr\"><img id=\"mfa-qr\" width=\"220\" height=\"220\" "
			    "src=\"data:image/svg+xml;base64,");
			put(&o, b64);
			put(&o, "\" alt=\"");
			txt(&o, "mfa.qr_alt");
			put(&o, "\"></p>\n");
			free(b64);
		}
		put(&o, "<p class=\"hint\">");
		txt(&o, "mfa.manual_key");
		put(&o, " <code id=\"mfa-key\">");
		esc(&o, m->manual_key);
		put(&o, "</code></p>\n");
	}
	form_error(&o, m->error_key);
	put(&o, "<form id=\"mfa-form\" class=\"form\" method=\"post\" action=\"");
	tenant_url(&o, m->company_id, "mfa");
	put(&o, "\">\n");
	csrf_field(&o, m->csrf);
	if (m->return_to != NULL) {
		put(&o, "<input type=\"hidden\" name=\"return\" value=\"");
		esc(&o, m->return_to);
		put(&o, "\">\n");
	}
	put(&o, "<div class=\"field\">\n<label for=\"code\">");
	txt(&o, "mfa.code");
	put(&o, "</label>\n<input id=\"code\" name=\"code\" type=\"text\" "
	    "inputmode=\"numeric\" autocomplete=\"one-time-code\" autocapitalize=\"none\" "
	    "spellcheck=\"false\" maxlength=\"20\" required autofocus");
	if (m->error_key != NULL)
		put(&o, " aria-describedby=\"form-error\"");
	put(&o, ">\n<p class=\"hint\">");
	txt(&o, m->enrol ? "mfa.enrol_code_hint" : "mfa.code_hint");
	put(&o, "</p>\n</div>\n<button id=\"mfa-submit\" type=\"submit\" "
	    "class=\"btn btn-primary\">");
	txt(&o, m->enrol ? "mfa.enrol_submit" : "mfa.submit");
	put(&o, "</button>\n</form>\n");
	foot(&o);
	return o.st;
}

int
idg_page_recovery_codes(struct idg_buf *b, const struct idg_page_ctx *ctx,
    const char *const *codes, size_t n, const char *continue_url)
{
	struct out o;
	size_t i;

	if (begin(&o, b, ctx) != IDG_OK || codes == NULL || continue_url == NULL ||
	    continue_url[0] != '/')
		return IDG_INVALID;
	head(&o, ctx, "recovery.title", "page-recovery");
	put(&o, "<h1>");
	txt(&o, "recovery.title");
	put(&o, "</h1>\n<div class=\"alert alert-info\"><p>");
	txt(&o, "recovery.intro");
	put(&o, "</p></div>\n<ul id=\"recovery-codes\" class=\"codes\">\n");
	for (i = 0; i < n; i++) {
		put(&o, "<li><code>");
		esc(&o, codes[i]);
		put(&o, "</code></li>\n");
	}
	put(&o, "</ul>\n<p><a id=\"recovery-continue\" class=\"btn btn-primary\" href=\"");
	esc(&o, continue_url);
	put(&o, "\">");
	txt(&o, "recovery.continue");
	put(&o, "</a></p>\n");
	foot(&o);
	return o.st;
}

int
idg_page_reports(struct idg_buf *b, const struct idg_page_ctx *ctx, const char *company_id,
    const struct idg_report_link *v, size_t n)
{
	static const char *const fmts[] = { "html", "csv", "json" };
	struct out o;
	size_t i, k;

	if (begin(&o, b, ctx) != IDG_OK || company_id == NULL)
		return IDG_INVALID;
	head(&o, ctx, "reports.title", "page-reports");
	put(&o, "<h1>");
	txt(&o, "reports.title");
	put(&o, "</h1>\n<p>");
	txt(&o, "reports.intro");
	put(&o, "</p>\n");
	if (n == 0) {
		put(&o, "<p id=\"reports-none\">");
		txt(&o, "reports.none");
		put(&o, "</p>\n");
	} else {
		put(&o, "<table id=\"reports\" class=\"table\">\n<tr><th>");
		txt(&o, "reports.month");
		put(&o, "</th><th>");
		txt(&o, "reports.period");
		put(&o, "</th><th>");
		txt(&o, "reports.due");
		put(&o, "</th><th></th></tr>\n");
	}
	for (i = 0; i < n; i++) {
		put(&o, "<tr><td>");
		esc(&o, v[i].month);
		if (v[i].final) {
			put(&o, " (");
			txt(&o, "reports.final");
			put(&o, ")");
		}
		put(&o, "</td><td>");
		esc(&o, v[i].from_day);
		put(&o, " &ndash; ");
		esc(&o, v[i].to_day);
		put(&o, "</td><td>");
		esc(&o, v[i].due);
		put(&o, "</td><td>");
		for (k = 0; k < 3; k++) {
			put(&o, k > 0 ? " &middot; <a href=\"/t/" : "<a href=\"/t/");
			esc(&o, company_id);
			put(&o, "/reports/");
			esc(&o, v[i].month);
			put(&o, ".");
			put(&o, fmts[k]);
			put(&o, "\">");
			put(&o, fmts[k][0] == 'h' ? "HTML" : fmts[k][0] == 'c' ? "CSV" : "JSON");
			put(&o, "</a>");
		}
		put(&o, "</td></tr>\n");
	}
	if (n > 0)
		put(&o, "</table>\n");
	foot(&o);
	return o.st;
}

/* "error.<code>" or "error.<code>.title" for a known code, into key. */
static void
error_key(char *key, size_t keysz, const char *code, bool title)
{
	int n = snprintf(key, keysz, "error.%s%s", code, title ? ".title" : "");

	/* Codes come from the errors.c table and are short; never show a cut key. */
	if (n < 0 || (size_t)n >= keysz)
		idg_strlcpy(key, title ? "error.internal_error.title" : "error.internal_error",
		    keysz);
}

/* A one-time message above a form (after a redirect); notice_key is an i18n key. */
static void
form_notice(struct out *o, const char *notice_key)
{
	if (notice_key == NULL || *notice_key == '\0')
		return;
	put(o, "<div id=\"form-notice\" class=\"alert alert-info\" role=\"status\">\n<p>");
	txt(o, notice_key);
	put(o, "</p>\n</div>\n");
}

/* The opening of a POST form to /t/{company_id}/devices with its csrf and action fields. */
static void
devices_form(struct out *o, const char *id, const char *company_id, const char *csrf,
    const char *action)
{
	put(o, "<form");
	if (id != NULL) {
		put(o, " id=\"");
		put(o, id);
		put(o, "\"");
	}
	put(o, " class=\"form\" method=\"post\" action=\"");
	tenant_url(o, company_id, "devices");
	put(o, "\">\n");
	csrf_field(o, csrf);
	put(o, "<input type=\"hidden\" name=\"action\" value=\"");
	put(o, action);
	put(o, "\">\n");
}

static const char *
state_key(const char *state)
{
	if (state == NULL)
		return NULL;
	if (strcmp(state, "valid") == 0)
		return "devices.state.valid";
	if (strcmp(state, "revoked") == 0)
		return "devices.state.revoked";
	if (strcmp(state, "expired") == 0)
		return "devices.state.expired";
	return NULL;
}

static void
device_row(struct out *o, const struct idg_devices_page *p, const struct idg_device_row *r)
{
	const char *sk = state_key(r->state);
	bool valid = r->state != NULL && strcmp(r->state, "valid") == 0;

	put(o, "<tr id=\"device-row-");
	esc(o, r->serial);
	put(o, "\"");
	if (r->current)
		put(o, " class=\"current\"");
	put(o, ">\n<td><span class=\"device-name\">");
	esc(o, r->name);
	put(o, "</span>");
	if (r->current) {
		put(o, " <span id=\"device-current\" class=\"badge badge-current\">");
		txt(o, "devices.current");
		put(o, "</span>");
	}
	put(o, "</td>\n<td>");
	esc(o, r->type);
	put(o, "</td>\n<td><code title=\"");
	esc(o, r->serial);
	put(o, "\">");
	serial_short(o, r->serial);
	put(o, "</code></td>\n<td>");
	esc(o, r->not_after);
	put(o, "</td>\n<td><span class=\"badge badge-");
	/* The class only from the known states: data never names a class. */
	put(o, sk != NULL ? r->state : "other");
	put(o, "\">");
	if (sk != NULL)
		txt(o, sk);
	else
		esc(o, r->state);
	put(o, "</span></td>\n<td>");
	if (valid) {
		devices_form(o, NULL, p->company_id, p->csrf, "revoke");
		put(o, "<input type=\"hidden\" name=\"serial\" value=\"");
		esc(o, r->serial);
		put(o, "\">\n<button id=\"revoke-");
		esc(o, r->serial);
		put(o, "\" type=\"submit\" class=\"btn btn-secondary btn-small\">");
		txt(o, "devices.revoke");
		/* Screen readers hear which device each of the buttons revokes. */
		put(o, "<span class=\"visually-hidden\">: ");
		esc(o, r->name);
		put(o, "</span></button>\n</form>\n");
	}
	put(o, "</td>\n</tr>\n");
}

/* Shown once after an enrolment: the PKCS#12 password and where to fetch the file. */
static void
otp_box(struct out *o, const struct idg_devices_page *p)
{
	put(o, "<div id=\"device-result\" class=\"alert alert-success result\" role=\"status\">\n"
	    "<p>");
	txt(o, "devices.otp.intro");
	put(o, "</p>\n<p class=\"secret\"><code id=\"device-otp\">");
	esc(o, p->otp);
	put(o, "</code></p>\n<p>");
	txt(o, "devices.otp.once");
	put(o, "</p>\n");
	if (url_safe(p->download_url)) {
		put(o, "<p><a id=\"device-download\" class=\"btn btn-primary\" href=\"");
		esc(o, p->download_url);
		put(o, "\" download>");
		txt(o, "devices.otp.download");
		put(o, "</a></p>\n");
	}
	put(o, "</div>\n");
}

/* Shown once after action=token: the token and the command line for the device. */
static void
token_box(struct out *o, const struct idg_devices_page *p)
{
	put(o, "<div id=\"token-result\" class=\"alert alert-success result\" role=\"status\">\n"
	    "<p>");
	txt(o, "devices.token.result");
	put(o, "</p>\n<p class=\"secret\"><code id=\"enrol-token\">");
	esc(o, p->token);
	put(o, "</code></p>\n");
	if (p->enroll_command != NULL && *p->enroll_command != '\0') {
		put(o, "<p>");
		txt(o, "devices.token.command");
		put(o, "</p>\n<p class=\"secret\"><code id=\"enrol-command\">");
		esc(o, p->enroll_command);
		put(o, "</code></p>\n");
	}
	put(o, "<p>");
	txt(o, "devices.token.once");
	put(o, "</p>\n</div>\n");
}

static void
enrol_forms(struct out *o, const struct idg_devices_page *p)
{
	put(o, "<section class=\"enrol\" aria-labelledby=\"enrol-heading\">\n"
	    "<h2 id=\"enrol-heading\">");
	txt(o, "devices.enrol.title");
	put(o, "</h2>\n<p class=\"hint\">");
	txt(o, "devices.enrol.intro");
	put(o, "</p>\n");
	devices_form(o, "enrol-form", p->company_id, p->csrf, "enrol");
	put(o, "<div class=\"field\">\n<label for=\"device_name\">");
	txt(o, "devices.enrol.name");
	put(o, "</label>\n<input id=\"device_name\" name=\"device_name\" type=\"text\" "
	    "autocomplete=\"off\" maxlength=\"64\" required "
	    "aria-describedby=\"device-name-hint\">\n<p id=\"device-name-hint\" class=\"hint\">");
	txt(o, "devices.enrol.name_hint");
	put(o, "</p>\n</div>\n<div class=\"field field-check\">\n"
	    "<input id=\"legacy\" name=\"legacy\" type=\"checkbox\" value=\"1\" "
	    "aria-describedby=\"legacy-hint\">\n<label for=\"legacy\">");
	txt(o, "devices.enrol.legacy");
	put(o, "</label>\n<p id=\"legacy-hint\" class=\"hint\">");
	txt(o, "devices.enrol.legacy_hint");
	put(o, "</p>\n</div>\n<button id=\"enrol-submit\" type=\"submit\" "
	    "class=\"btn btn-primary\">");
	txt(o, "devices.enrol.submit");
	put(o, "</button>\n</form>\n</section>\n"
	    "<section class=\"enrol\" aria-labelledby=\"token-heading\">\n"
	    "<h2 id=\"token-heading\">");
	txt(o, "devices.token.title");
	put(o, "</h2>\n<p class=\"hint\">");
	txt(o, "devices.token.intro");
	put(o, "</p>\n");
	devices_form(o, "token-form", p->company_id, p->csrf, "token");
	put(o, "<button id=\"token-submit\" type=\"submit\" class=\"btn btn-secondary\">");
	txt(o, "devices.token.submit");
	put(o, "</button>\n</form>\n</section>\n");
}

int
idg_page_devices(struct idg_buf *b, const struct idg_page_ctx *ctx,
    const struct idg_devices_page *p)
{
	static const char *const cols[] = {
		"devices.col.name", "devices.col.type", "devices.col.serial",
		"devices.col.not_after", "devices.col.state",
	};
	struct out o;
	char num[32];
	size_t i;

	if (begin(&o, b, ctx) != IDG_OK || p == NULL || p->company_id == NULL ||
	    !idg_company_id_valid(p->company_id) || p->csrf == NULL ||
	    (p->rows == NULL && p->nrows > 0))
		return IDG_INVALID;
	head(&o, ctx, "devices.title", "page-devices");
	put(&o, "<h1>");
	txt(&o, "devices.title");
	put(&o, "</h1>\n<p class=\"lead\">");
	txt(&o, "devices.intro");
	put(&o, "</p>\n");
	form_error(&o, p->error_key);
	form_notice(&o, p->notice_key);
	if (p->pending) {
		put(&o, "<div id=\"devices-pending\" class=\"alert alert-info\">\n<p>");
		txt(&o, "devices.pending");
		put(&o, "</p>\n</div>\n");
	}
	if (!p->licensed) {
		put(&o, "<p id=\"devices-no-license\">");
		txt(&o, "devices.no_license");
		put(&o, "</p>\n");
	}
	if (p->otp != NULL && *p->otp != '\0')
		otp_box(&o, p);
	if (p->token != NULL && *p->token != '\0')
		token_box(&o, p);
	if (p->licensed) {
		put(&o, "<p id=\"device-count\" class=\"muted\">");
		txt(&o, "devices.count");
		snprintf(num, sizeof(num), ": <strong>%d</strong> / %d", p->valid, p->limit);
		put(&o, num);
		put(&o, "</p>\n");
	}
	if (p->nrows == 0) {
		put(&o, "<p id=\"devices-none\" class=\"empty\">");
		txt(&o, "devices.none");
		put(&o, "</p>\n");
	} else {
		put(&o, "<div class=\"table-wrap\">\n<table id=\"device-table\" class=\"table\">\n"
		    "<thead>\n<tr>");
		for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
			put(&o, "<th scope=\"col\">");
			txt(&o, cols[i]);
			put(&o, "</th>");
		}
		put(&o, "<th scope=\"col\"><span class=\"visually-hidden\">");
		txt(&o, "devices.col.actions");
		put(&o, "</span></th></tr>\n</thead>\n<tbody>\n");
		for (i = 0; i < p->nrows; i++)
			device_row(&o, p, &p->rows[i]);
		put(&o, "</tbody>\n</table>\n</div>\n");
	}
	if (p->may_enrol)
		enrol_forms(&o, p);
	else if (p->licensed && !p->pending && p->limit > 0 && p->valid >= p->limit) {
		put(&o, "<p id=\"devices-limit\" class=\"hint\">");
		txt(&o, "devices.limit");
		put(&o, "</p>\n");
	}
	put(&o, "<div class=\"actions\">\n");
	/* A session still owing the device check cannot use the portal: no link there. */
	if (!p->pending) {
		put(&o, "<a id=\"devices-back\" class=\"btn btn-secondary\" href=\"");
		tenant_url(&o, p->company_id, "portal");
		put(&o, "\">");
		txt(&o, "devices.back");
		put(&o, "</a>\n");
	}
	put(&o, "<form id=\"logout-form\" method=\"post\" action=\"");
	tenant_url(&o, p->company_id, "logout");
	put(&o, "\">\n");
	csrf_field(&o, p->csrf);
	put(&o, "<button id=\"logout\" type=\"submit\" class=\"btn btn-secondary\">");
	txt(&o, "portal.logout");
	put(&o, "</button>\n</form>\n</div>\n");
	foot(&o);
	return o.st;
}

/*
 * The codes the device check reports, each with its sentence under
 * "error.<code>" (shared with the error page and the JSON body). Anything
 * else is shown as the generic device_certificate_required, so a code from
 * a newer check never reaches the page under a name nobody documented.
 */
static const char *const refused_codes[] = {
	"device_cert_none", "device_cert_malformed", "device_cert_foreign",
	"device_cert_expired", "device_cert_not_yet_valid", "device_cert_revoked",
	"device_cert_other_user", "device_cert_unknown", "device_license_required",
	"device_ca_missing",
};

int
idg_page_device_refused(struct idg_buf *b, const struct idg_page_ctx *ctx,
    const char *company_id, const char *code, const char *devices_url,
    const char *retry_url)
{
	const char *shown = "device_certificate_required";
	char sentence[96];
	struct out o;
	size_t i;

	if (begin(&o, b, ctx) != IDG_OK || company_id == NULL ||
	    !idg_company_id_valid(company_id))
		return IDG_INVALID;
	for (i = 0; code != NULL && i < sizeof(refused_codes) / sizeof(refused_codes[0]); i++)
		if (strcmp(code, refused_codes[i]) == 0)
			shown = refused_codes[i];
	error_key(sentence, sizeof(sentence), shown, false);
	head(&o, ctx, "device_refused.title", "page-device-refused");
	put(&o, "<div class=\"error-box\">\n<h1 id=\"error-title\">");
	txt(&o, "device_refused.title");
	put(&o, "</h1>\n<p id=\"device-error-message\">");
	txt(&o, sentence);
	put(&o, "</p>\n</div>\n");
	if (url_safe(devices_url)) {
		put(&o, "<p id=\"device-enrol\">");
		txt(&o, "device_refused.no_device");
		put(&o, " <a id=\"device-enrol-link\" href=\"");
		esc(&o, devices_url);
		put(&o, "\">");
		txt(&o, "device_refused.enrol");
		put(&o, "</a></p>\n");
	}
	put(&o, "<div class=\"actions\">\n"
	    "<a id=\"device-retry\" class=\"btn btn-primary\" href=\"");
	/* An unusable retry link starts the sign-in again, which repeats the check. */
	if (url_safe(retry_url))
		esc(&o, retry_url);
	else
		tenant_url(&o, company_id, "login");
	put(&o, "\">");
	txt(&o, "device_refused.retry");
	put(&o, "</a>\n<a id=\"device-sign-out\" class=\"btn btn-secondary\" href=\"");
	tenant_url(&o, company_id, "login");
	put(&o, "\">");
	txt(&o, "portal.logout");
	put(&o, "</a>\n</div>\n<p class=\"code-note\">");
	txt(&o, "error.support");
	put(&o, "<br>\n");
	txt(&o, "error.code_label");
	put(&o, ": <code id=\"device-error-code\">");
	esc(&o, shown);
	put(&o, "</code></p>\n");
	foot(&o);
	return o.st;
}

int
idg_page_error(struct idg_buf *b, const struct idg_page_ctx *ctx,
    const char *code, const char *back_url)
{
	const struct idg_error_def *def = idg_error_lookup(code);
	char title[96], sentence[96];
	struct out o;

	if (begin(&o, b, ctx) != IDG_OK)
		return IDG_INVALID;
	/* Only the canonical code is shown: aliases (account_locked) never leak. */
	error_key(title, sizeof(title), def->code, true);
	error_key(sentence, sizeof(sentence), def->code, false);
	head(&o, ctx, title, "page-error");
	put(&o, "<div class=\"error-box\">\n<h1 id=\"error-title\">");
	txt(&o, title);
	put(&o, "</h1>\n<p id=\"error-message\">");
	txt(&o, sentence);
	put(&o, "</p>\n</div>\n<p class=\"links\"><a id=\"error-back\" class=\"btn btn-primary\" "
	    "href=\"");
	esc(&o, url_safe(back_url) ? back_url : "/");
	put(&o, "\">");
	txt(&o, "error.back");
	put(&o, "</a></p>\n<p class=\"code-note\">");
	txt(&o, "error.support");
	put(&o, "<br>\n");
	txt(&o, "error.code_label");
	put(&o, ": <code id=\"error-code\">");
	esc(&o, def->code);
	put(&o, "</code></p>\n");
	foot(&o);
	return o.st;
}

/* RFC 8259 7 string escaping; <, > and & too, so the body is inert if sniffed as HTML. */
static int
json_str(struct idg_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	int st = idg_buf_add(b, "\"", 1);

	for (p = (const unsigned char *)s; *p != '\0' && st == IDG_OK; p++) {
		if (*p == '"' || *p == '\\') {
			char e[2] = { '\\', (char)*p };

			st = idg_buf_add(b, e, 2);
		} else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&') {
			char e[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };

			st = idg_buf_add(b, e, 6);
		} else {
			st = idg_buf_add(b, p, 1);
		}
	}
	if (st == IDG_OK)
		st = idg_buf_add(b, "\"", 1);
	return st;
}

int
idg_json_error(struct idg_buf *b, const char *code, enum idg_lang lang)
{
	const struct idg_error_def *def = idg_error_lookup(code);
	char sentence[96];
	int st;

	if (b == NULL)
		return IDG_INVALID;
	error_key(sentence, sizeof(sentence), def->code, false);
	if ((st = idg_buf_adds(b, "{\"error\":")) != IDG_OK ||
	    (st = json_str(b, def->code)) != IDG_OK ||
	    (st = idg_buf_adds(b, ",\"message\":")) != IDG_OK ||
	    (st = json_str(b, idg_i18n(lang, sentence))) != IDG_OK)
		return st;
	return idg_buf_adds(b, "}");
}

const char *
idg_static_css(size_t *len)
{
	if (len != NULL)
		*len = idg_css_len;
	return (const char *)idg_css_data;
}
