/*
 * errors.c - the table of stable error codes and their HTTP statuses; see
 * errors.h.
 *
 * A code, once published, keeps its spelling and status forever: add new
 * rows, never rename. The human sentences live in i18n.c under
 * "error.<code>" and "error.<code>.title" (a unit test checks every row has
 * both). This file renders nothing and decides no policy.
 */
#include "errors.h"

#include <string.h>

static const struct idg_error_def defs[] = {
	{ "bad_request",			400 },
	{ "oidc_unknown_client",		400 },
	{ "oidc_redirect_uri_mismatch",		400 },
	{ "oidc_invalid_id_token_hint",		400 },
	{ "oidc_post_logout_redirect_uri_mismatch", 400 },
	{ "csrf_invalid",			403 },
	{ "current_password_incorrect",		400 },
	{ "invalid_credentials",		401 },
	{ "session_required",			401 },
	{ "session_expired",			401 },
	{ "access_denied",			403 },
	{ "ip_not_allowed",			403 },
	{ "outside_allowed_hours",		403 },
	{ "mfa_required",			403 },
	{ "device_certificate_required",	403 },
	/* The device check at sign-in (certs/ and the store name the reason). */
	{ "device_cert_none",			403 },
	{ "device_cert_malformed",		403 },
	{ "device_cert_foreign",		403 },
	{ "device_cert_expired",		403 },
	{ "device_cert_not_yet_valid",		403 },
	{ "device_cert_revoked",		403 },
	{ "device_cert_other_user",		403 },
	{ "device_cert_unknown",		403 },
	{ "device_license_required",		403 },
	{ "password_change_required",		403 },
	{ "reports_forbidden",			403 },
	{ "operator_unauthorized",		401 },
	{ "operator_api_disabled",		403 },
	{ "month_invalid",			400 },
	{ "invalid_csr",			400 },
	{ "invalid_enrolment_token",		401 },
	{ "not_found",				404 },
	{ "report_not_found",			404 },
	{ "device_not_found",			404 },
	{ "tenant_not_found",			404 },
	{ "method_not_allowed",			405 },
	{ "request_timeout",			408 },
	{ "license_pool_exhausted",		409 },
	/* Device-certificate license and limit rules (DESIGN.md, business rules). */
	{ "device_license_exhausted",		409 },
	{ "device_license_in_use",		409 },
	{ "device_certificate_limit",		409 },
	{ "device_certificates_held",		409 },
	{ "device_ca_missing",			409 },
	{ "request_too_large",			413 },
	{ "unsupported_media_type",		415 },
	{ "password_policy",			400 },
	{ "password_mismatch",			400 },
	{ "rate_limited",			429 },
	{ "internal_error",			500 },
	{ "session_store_unavailable",		503 },
	{ "store_unavailable",			503 },
	{ "device_check_unavailable",		503 },
	{ "saml_not_configured",		404 },
	{ "saml_request_invalid",		400 },
	{ "saml_replayed",			400 },
	{ "saml_request_expired",		400 },
	{ "saml_not_assigned",			403 },
	{ "saml_app_not_found",			404 },
	{ "saml_idp_initiated_disabled",	403 },
	{ "service_unavailable",		503 },
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

/*
 * Internal reasons that must never reach a person or a script under their
 * own name. A sign-in that fails because the account is locked, disabled or
 * unknown looks exactly like a wrong password (no user enumeration, OWASP
 * ASVS 2.2 / authentication error messages); the reason goes to the audit
 * log only. unknown_tenant is an older spelling of tenant_not_found.
 */
static const struct {
	const char	*alias;
	const char	*code;
} aliases[] = {
	{ "account_locked",	"invalid_credentials" },
	{ "account_disabled",	"invalid_credentials" },
	{ "account_suspended",	"invalid_credentials" },
	{ "user_not_found",	"invalid_credentials" },
	{ "unknown_user",	"invalid_credentials" },
	{ "unknown_tenant",	"tenant_not_found" },
};

static const struct idg_error_def *
find(const char *code)
{
	size_t i;

	for (i = 0; i < NDEFS; i++)
		if (strcmp(defs[i].code, code) == 0)
			return &defs[i];
	return NULL;
}

/* Unknown codes are internal errors: nothing unplanned reaches a user as-is. */
#define INTERNAL_ERROR find("internal_error")

const struct idg_error_def *
idg_error_lookup(const char *code)
{
	const struct idg_error_def *d;
	size_t i;

	if (code == NULL)
		return INTERNAL_ERROR;
	if ((d = find(code)) != NULL)
		return d;
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].alias, code) == 0)
			return find(aliases[i].code);
	return INTERNAL_ERROR;
}

const struct idg_error_def *
idg_error_at(unsigned n)
{
	return n < NDEFS ? &defs[n] : NULL;
}
