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

/* The device certificate the session was checked with, shown on the portal. */
struct idg_portal_device {
	const char	*name;		/* NULL/"" = no device check in this session */
	const char	*serial;
	bool		 licensed;	/* link to the devices page */
};
/*
 * The portal: who is signed in, their apps (may be none), a sign-out form,
 * the device this session was checked with, and a link to /t/{id}/devices
 * when the user holds the device option. device may be NULL.
 */
int	idg_page_portal(struct idg_buf *b, const struct idg_page_ctx *ctx,
	    const char *company_id, const char *tenant_name, const char *display_name,
	    const char *email, const struct idg_portal_app *apps, size_t napps,
	    const char *csrf, const struct idg_portal_device *device);
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
/* One device certificate of the user on the devices page. */
struct idg_device_row {
	const char	*serial;	/* 32 hex digits */
	const char	*name;		/* device name (UTF-8) */
	const char	*type;		/* "" or e.g. "windows" */
	const char	*not_after;	/* "YYYY-MM-DD" (JST) */
	const char	*state;		/* "valid", "revoked" or "expired" */
	bool		 current;	/* the certificate this session was checked with */
};
/*
 * The user's devices at /t/{company_id}/devices: the certificates with a
 * revoke button for each valid one (POST action=revoke, serial), and, when
 * may_enrol, a form to enrol this device (POST action=enrol, device_name,
 * legacy=1 for the 3DES/SHA-1 compatibility format) and a form to create an
 * enrolment token for the `idgate enroll` tool (POST action=token). Results
 * shown once: the PKCS#12 one-time password with its download link, or the
 * enrolment token with the command line to run. Every form carries csrf.
 */
struct idg_devices_page {
	const char			*company_id;
	const char			*csrf;
	const struct idg_device_row	*rows;
	size_t				 nrows;
	int				 valid;		/* valid certificates now */
	int				 limit;		/* at most this many valid */
	bool				 licensed;	/* the user holds the option */
	bool				 may_enrol;	/* licensed, below the limit, allowed now */
	bool				 pending;	/* signed in up to the device check: the
							 * first device only, then sign in again */
	const char			*error_key;	/* i18n key or NULL */
	const char			*notice_key;	/* i18n key or NULL ("revoked", ...) */
	const char			*otp;		/* after enrolment: the password, once */
	const char			*download_url;	/* after enrolment: the .p12 link */
	const char			*token;		/* after action=token: the token, once */
	const char			*enroll_command; /* the `idgate enroll ...` line */
};
int	idg_page_devices(struct idg_buf *b, const struct idg_page_ctx *ctx,
	    const struct idg_devices_page *p);
/*
 * The device check refused the sign-in: what is wrong (code: one of
 * device_cert_none, device_cert_malformed, device_cert_foreign,
 * device_cert_expired, device_cert_not_yet_valid, device_cert_revoked,
 * device_cert_other_user, device_cert_unknown, device_license_required,
 * device_ca_missing) in a sentence, what to do about it (install the
 * certificate, use an enrolled device, ask the administrator; enrol a
 * first device at devices_url when non-NULL), a "try again" link
 * (retry_url) and a sign-out link to the sign-in page.
 */
int	idg_page_device_refused(struct idg_buf *b, const struct idg_page_ctx *ctx,
	    const char *company_id, const char *code, const char *devices_url,
	    const char *retry_url);
/* An error page for a code from errors.h (title, sentence, a way back). */
int	idg_page_error(struct idg_buf *b, const struct idg_page_ctx *ctx,
	    const char *code, const char *back_url);
/* {"error":"<code>","message":"<English sentence>"} */
int	idg_json_error(struct idg_buf *b, const char *code, enum idg_lang lang);
/* The stylesheet (static, borrowed). */
const char *idg_static_css(size_t *len);

#endif
