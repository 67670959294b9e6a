/*
 * errors.h - the stable error codes shown to people and programs.
 *
 * Each code has an HTTP status and an i18n key ("error.<code>") with the
 * sentence shown in Japanese or English. Codes never change once published:
 * scripts and SaaS support desks rely on them. Rendering is in pages.h
 * (HTML) and idg_json_error (JSON); the HTTP layer picks one by Accept.
 */
#ifndef IDG_ERRORS_H
#define IDG_ERRORS_H

struct idg_error_def {
	const char	*code;		/* e.g. "license_pool_exhausted" */
	int		 http_status;
};

/*
 * Codes at least: bad_request, not_found, tenant_not_found,
 * method_not_allowed, request_too_large, csrf_invalid, invalid_credentials,
 * rate_limited, session_required, session_store_unavailable,
 * store_unavailable, license_pool_exhausted, password_policy,
 * password_mismatch, internal_error.
 * Unknown codes map to internal_error (500).
 */
const struct idg_error_def *idg_error_lookup(const char *code);
/* For tests: the n-th definition, or NULL past the end. */
const struct idg_error_def *idg_error_at(unsigned n);

#endif
