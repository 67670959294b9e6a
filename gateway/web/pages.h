/*
 * pages.h - the HTML pages of the sign-in flow and the portal, and the JSON
 * error body.
 *
 * Pages are rendered into a bounded buffer from the i18n texts, with every
 * dynamic value HTML-escaped. They carry no inline script or style, so the
 * gateway's CSP can be strict (default-src 'none'; style-src 'self'); the
 * stylesheet is served from /static/idgate.css. Each page has a language
 * switch (links with ?lang=ja / ?lang=en on the current path). Pages do not
 * set headers; the HTTP layer does.
 */
#ifndef IDG_PAGES_H
#define IDG_PAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "httpparse.h"

struct idg_buf;

struct idg_page_ctx {
	enum idg_lang	 lang;
	const char	*path;		/* current path, for the language switch */
	const char	*return_to;	/* login only: local path to resume after sign-in */
};

/* Sign-in form posting to /t/{company_id}/login. error_key: i18n key or NULL. */
int	idg_page_login(struct idg_buf *b, const struct idg_page_ctx *ctx,
	    const char *company_id, const char *tenant_name, const char *email,
	    const char *error_key, const char *csrf);
/* The global /login page asking for the company ID first (GET form). */
int	idg_page_company(struct idg_buf *b, const struct idg_page_ctx *ctx,
	    const char *company_id, const char *error_key);

struct idg_portal_app {
	const char	*name;
	const char	*launch_url;
	const char	*kind;		/* "saml" or "oidc" */
};

/* The portal: who is signed in, their apps (may be none), a sign-out form. */
int	idg_page_portal(struct idg_buf *b, const struct idg_page_ctx *ctx,
	    const char *company_id, const char *tenant_name, const char *display_name,
	    const char *email, const struct idg_portal_app *apps, size_t napps,
	    const char *csrf);
/* Password change form posting to /t/{company_id}/password; forced = temporary password. */
int	idg_page_password(struct idg_buf *b, const struct idg_page_ctx *ctx,
	    const char *company_id, bool forced, const char *error_key, const char *csrf);
/* The second-factor page: a code form, and when enrolling the QR code and key. */
struct idg_mfa_page {
	const char	*company_id;
	bool		 enrol;		/* first time: show how to add the account */
	const char	*qr_svg;	/* enrol: the otpauth URI as an SVG document */
	const char	*manual_key;	/* enrol: base32 key for manual entry */
	const char	*error_key;	/* i18n key or NULL */
	const char	*csrf;
	const char	*return_to;	/* local path to resume afterwards, or NULL */
};
int	idg_page_mfa(struct idg_buf *b, const struct idg_page_ctx *ctx,
	    const struct idg_mfa_page *m);
/* Recovery codes, shown once after enrolment, with a link to go on. */
int	idg_page_recovery_codes(struct idg_buf *b, const struct idg_page_ctx *ctx,
	    const char *const *codes, size_t n, const char *continue_url);
/* One kept monthly report on the reports page. */
struct idg_report_link {
	const char	*month;		/* "YYYY-MM" */
	const char	*from_day;	/* period covered */
	const char	*to_day;
	const char	*due;
	bool		 final;
};
/*
 * The tenant's monthly reports, newest first, each with links to
 * /t/{company_id}/reports/{month}.html, .csv and .json.
 */
int	idg_page_reports(struct idg_buf *b, const struct idg_page_ctx *ctx,
	    const char *company_id, const struct idg_report_link *v, size_t n);
/* An error page for a code from errors.h (title, sentence, a way back). */
int	idg_page_error(struct idg_buf *b, const struct idg_page_ctx *ctx,
	    const char *code, const char *back_url);
/* {"error":"<code>","message":"<English sentence>"} */
int	idg_json_error(struct idg_buf *b, const char *code, enum idg_lang lang);
/* The stylesheet (static, borrowed). */
const char *idg_static_css(size_t *len);

#endif
