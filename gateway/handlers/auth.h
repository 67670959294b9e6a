/*
 * auth.h - what every handler behind sign-in shares: finding and checking
 * the session of the request, the login-form CSRF token, and audit events
 * written from the loop.
 */
#ifndef IDG_AUTH_H
#define IDG_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../http/request.h"

/* Session cookie name for a tenant: "__Host-idgate-{company_id}". */
void	idg_session_cookie_name(const char *company_id, char *out, size_t outsz);

/*
 * Looks up the session cookie of r's tenant and checks it: same tenant,
 * user still in the directory, active, and the session not older than the
 * user's sessions_not_before (suspension, deletion). Then calls
 * next(r, status) exactly once, now or later: IDG_OK with r->session and
 * r->has_session set; IDG_NOTFOUND (no usable session: sign in again);
 * IDG_UNAVAILABLE (Redis down: answer 503). A void session is deleted.
 * A session still owing its second factor (IDG_SESSION_MFA_PENDING) is not
 * handed to next except on /mfa and sign-out: r is answered here with a
 * redirect to /t/{company_id}/mfa instead.
 */
void	idg_auth_session(struct idg_req *r, idg_auth_next_fn *next);

/*
 * Deletes session id in the background; nothing waits for the answer. id is
 * r->session's or one of the same tenant (its index entry goes too).
 */
void	idg_session_discard(struct idg_req *r, const char *id);

/*
 * After a privilege change: stores r->session (its fields already updated
 * by the caller) as a new session with a fresh id and CSRF secret, sets its
 * cookie and deletes the old one. Then next(r, IDG_OK) once, or
 * next(r, IDG_UNAVAILABLE) when the new session could not be stored.
 */
void	idg_session_renew(struct idg_req *r, idg_auth_next_fn *next);

/*
 * For pages behind sign-in: answers r itself when st is not IDG_OK (503 when
 * Redis is down, otherwise a redirect to the tenant's sign-in page) and
 * returns false; returns true when the handler should go on.
 */
bool	idg_auth_require(struct idg_req *r, int st);

/*
 * Login-form CSRF (no session yet): a random nonce in the
 * "__Host-idgate-csrf" cookie and, in the form, HMAC(csrf_key, company ID,
 * nonce). idg_csrf_login_token fills token (64 bytes) and sets the cookie
 * when r has none; idg_csrf_login_check verifies a submitted token.
 */
int	idg_csrf_login_token(struct idg_req *r, char *token, size_t tokensz);
bool	idg_csrf_login_check(struct idg_req *r, const char *token);
/* A form's csrf field against the session's secret (constant time). */
bool	idg_csrf_session_check(struct idg_req *r, const char *token);
/*
 * Reads the form of a signed-in request and checks its one csrf field
 * against the session. true with *f filled (caller frees); false after
 * answering r (bad_request or csrf_invalid).
 */
bool	idg_req_form_checked(struct idg_req *r, struct idg_params *f);

#define IDG_RETURN_MAX 2048

/*
 * Where to go after sign-in or the second step, when a protocol front end
 * sent the user: only this tenant's own OIDC authorization endpoint or its
 * SAML resume URL, printable ASCII, bounded (no open redirect). Returns ret
 * or NULL.
 */
const char *idg_valid_return(struct idg_req *r, const char *ret);

/* Writes an audit event from the loop via the work pool (best effort, logged on failure). */
void	idg_audit_async(struct idg_req *r, int64_t tenant_id, const char *actor,
	    const char *action, const char *target, const char *result);

#endif
