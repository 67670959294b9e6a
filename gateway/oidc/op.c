/*
 * op.c - the OpenID Provider endpoints under /oidc/{company_id}/: discovery,
 * JWKS, authorization (code flow with PKCE), token (authorization_code,
 * refresh_token with rotation and reuse detection, client_credentials),
 * userinfo, revocation, introspection and RP-initiated logout.
 *
 * Redis keys (values are compact JSON; keys hold hashes, never raw tokens):
 *   oc:<h(code)>   authorization code, 60 s, taken with GETDEL (single use)
 *   ou:<h(code)>   "used" marker: the refresh family issued from the code
 *   rt:<h(token)>  refresh token: family, client, user, scope, rotated_at
 *   rf:<family>    "revoked" once a family is revoked (reuse, revocation)
 *   rv:<jti>       revoked access token, until it would have expired
 * Each rule enforced names its source (RFC 6749, 7636, 7009, 7662, OIDC Core).
 */
#include "oidc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "../handlers/access.h"
#include "../handlers/auth.h"
#include "../http/request.h"
#include "../http/server.h"
#include "../metering.h"
#include "../session/redis.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"

#define CODE_TTL_S 60
#define USED_TTL_S 600
#define REFRESH_GRACE_S 10	/* concurrent refreshes by one client: no logout */

/* ---- small helpers ---- */

static const struct idg_oidc_tenant *
op_of(struct idg_req *r)
{
	return r->tenant != NULL ? r->tenant->oidc : NULL;
}

static void
reply_json_text(struct idg_req *r, int status, const char *json)
{
	/* RFC 6749 5.1: no-store (idg_reply sets Cache-Control) and Pragma. */
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Pragma", "no-cache");
	idg_reply(r, status, "application/json", json, strlen(json));
}

static void
reply_json(struct idg_req *r, int status, json_t *o)
{
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (s == NULL) {
		idg_reply_error(r, "internal_error");
		return;
	}
	reply_json_text(r, status, s);
	free(s);
}

/* RFC 6749 5.2 error response. */
static void
oauth_error(struct idg_req *r, int status, const char *error, const char *desc)
{
	r->error_code = error;
	if (status == 401)
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "WWW-Authenticate",
		    "Basic realm=\"idgate\"");
	reply_json(r, status, json_pack("{s:s, s:s}", "error", error,
	    "error_description", desc));
}

/* RFC 6750 3: Bearer challenge. */
static void
bearer_error(struct idg_req *r, int status, const char *error, const char *desc)
{
	char h[256];

	r->error_code = error;
	snprintf(h, sizeof(h), "Bearer realm=\"idgate\", error=\"%s\"", error);
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), "WWW-Authenticate", h);
	reply_json(r, status, json_pack("{s:s, s:s}", "error", error,
	    "error_description", desc));
}

static void
hash_key(const char *prefix, const char *token, char *out, size_t outsz)
{
	uint8_t h[IDG_SHA256_LEN];
	char hex[2 * 16 + 1];	/* 128 bits of the hash name the key */

	idg_sha256(token, strlen(token), h);
	idg_hex(h, 16, hex);
	snprintf(out, outsz, "%s:%s", prefix, hex);
}

static bool
scope_has(const char *scope, const char *word)
{
	const char *p = scope;
	size_t n = strlen(word);

	while (p != NULL && (p = strstr(p, word)) != NULL) {
		if ((p == scope || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return true;
		p += n;
	}
	return false;
}

/* Requested scopes that the client may have, in request order; "" when none. */
static void
scope_grant(const char *requested, const char *allowed, char *out, size_t outsz)
{
	const char *p = requested != NULL ? requested : "";
	size_t o = 0;

	out[0] = '\0';
	while (*p != '\0') {
		char w[64];
		size_t n = strcspn(p, " ");

		if (n > 0 && n < sizeof(w)) {
			memcpy(w, p, n);
			w[n] = '\0';
			if (scope_has(allowed, w) && !scope_has(out, w) && o + n + 2 < outsz) {
				if (o > 0)
					out[o++] = ' ';
				memcpy(out + o, w, n);
				o += n;
				out[o] = '\0';
			}
		}
		p += n;
		while (*p == ' ')
			p++;
	}
}

/* OIDC Core 8: public subject stable per tenant, or pairwise per sector. */
static void
subject(struct idg_req *r, const struct idg_oidc_rp *rp, int64_t user_id, char *out,
    size_t outsz)
{
	uint8_t key[IDG_SHA256_LEN], mac[IDG_SHA256_LEN];
	char msg[400];
	int n;

	idg_hmac_sha256(r->w->cfg->master_key, sizeof(r->w->cfg->master_key),
	    "idgate subject v1", 17, key);
	if (rp != NULL && rp->c.pairwise)
		n = snprintf(msg, sizeof(msg), "pairwise|%lld|%s|%lld",
		    (long long)r->tenant->id, rp->sector, (long long)user_id);
	else
		n = snprintf(msg, sizeof(msg), "public|%lld|%lld", (long long)r->tenant->id,
		    (long long)user_id);
	idg_hmac_sha256(key, sizeof(key), msg, (size_t)n, mac);
	idg_b64url_encode(mac, sizeof(mac), out, outsz);
	idg_wipe(key, sizeof(key));
}

/* A session's "sid" claim: derived from, never equal to, the cookie value. */
static void
sid_of(const char *session_id, char *out, size_t outsz)
{
	uint8_t h[IDG_SHA256_LEN];

	idg_sha256(session_id, strlen(session_id), h);
	idg_b64url_encode(h, 16, out, outsz);
}

static int
sign(struct idg_req *r, const char *alg_name, json_t *claims, const char *typ, char **out)
{
	const struct idg_oidc_tenant *op = op_of(r);
	enum idg_jose_alg alg = IDG_JOSE_RS256;
	char *payload;
	int st;

	if (alg_name != NULL)
		idg_jose_alg_parse(alg_name, &alg);
	if (op->current[alg] == NULL)
		alg = op->current[IDG_JOSE_RS256] != NULL ? IDG_JOSE_RS256 : IDG_JOSE_ES256;
	if (op->current[alg] == NULL || (payload = json_dumps(claims, JSON_COMPACT)) == NULL)
		return IDG_ERR;
	st = idg_jws_sign(op->current[alg], payload, typ, out);
	free(payload);
	return st;
}

/* Verifies one of our own JWS (access token or id_token_hint); owned claims or NULL. */
static json_t *
verify_own(struct idg_req *r, const char *token)
{
	const struct idg_oidc_tenant *op = op_of(r);
	char *payload = NULL;
	json_t *claims;
	const char *iss;

	if (idg_jws_verify((const struct idg_jose_key *const *)op->keys, (size_t)op->nkeys,
	    token, &payload, NULL) != IDG_OK)
		return NULL;
	claims = json_loads(payload, 0, NULL);
	free(payload);
	iss = json_string_value(json_object_get(claims, "iss"));
	if (iss == NULL || strcmp(iss, op->issuer) != 0) {
		json_decref(claims);
		return NULL;
	}
	return claims;
}

/* ---- discovery and JWKS ---- */

static void
h_discovery(struct idg_req *r)
{
	const struct idg_oidc_tenant *op = op_of(r);

	evhttp_add_header(evhttp_request_get_output_headers(r->ev),
	    "Access-Control-Allow-Origin", "*");
	idg_reply(r, 200, "application/json", op->discovery, strlen(op->discovery));
}

static void
h_jwks(struct idg_req *r)
{
	const struct idg_oidc_tenant *op = op_of(r);

	evhttp_add_header(evhttp_request_get_output_headers(r->ev),
	    "Access-Control-Allow-Origin", "*");
	idg_reply(r, 200, "application/jwk-set+json", op->jwks, strlen(op->jwks));
}

/* ---- authorization endpoint ---- */

struct authz {
	struct idg_params	 form;		/* POST body, owned */
	struct idg_authz_req	 q;
	const struct idg_oidc_rp *rp;
	const char		*redirect;
	bool			 prompt_none, prompt_login;
	char			 scope[256];
	char			 code[IDG_B64URL_LEN(32)];
};

static void
authz_free(struct authz *a)
{
	if (a != NULL)
		idg_params_free(&a->form);
}

static void
append_param(struct idg_buf *b, const char *name, const char *value, bool *first)
{
	if (value == NULL)
		return;
	idg_buf_adds(b, *first ? "" : "&");
	*first = false;
	idg_buf_adds(b, name);
	idg_buf_adds(b, "=");
	idg_url_escape(b, value);
}

/*
 * Answers the RP at its verified redirect URI (RFC 6749 4.1.2 / 4.1.2.1),
 * by query or by an auto-submitting form (OAuth 2.0 Form Post Response Mode).
 */
static void
authz_respond(struct idg_req *r, struct authz *a, const char *error, const char *desc)
{
	const struct idg_oidc_tenant *op = op_of(r);
	bool form_post = a->q.response_mode != NULL &&
	    strcmp(a->q.response_mode, "form_post") == 0;
	struct idg_buf b;
	bool first = true;

	if (error != NULL)
		r->error_code = error;
	idg_buf_init(&b, 64 * 1024);
	if (!form_post) {
		idg_buf_adds(&b, a->redirect);
		first = strchr(a->redirect, '?') == NULL;
		idg_buf_adds(&b, first ? "?" : "");
		append_param(&b, error != NULL ? "error" : "code", error != NULL ? error : a->code,
		    &first);
		append_param(&b, "error_description", desc, &first);
		append_param(&b, "state", a->q.state, &first);
		append_param(&b, "iss", op->issuer, &first);	/* RFC 9207 */
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Location", b.data);
		idg_buf_free(&b);
		authz_free(a);
		idg_reply(r, 303, "text/plain; charset=utf-8", NULL, 0);
		return;
	} else {
		/*
		 * The form posts to the RP: this page's CSP allows that one target and
		 * the one inline script that submits it (by hash), nothing else.
		 */
		static const char script[] = "document.forms[0].submit();";
		uint8_t h[IDG_SHA256_LEN];
		char hb64[64], csp[1024], origin[300];
		const char *s = strstr(a->redirect, "://");
		size_t on = s != NULL ? (size_t)(s + 3 - a->redirect) +
		    strcspn(s + 3, "/?#") : 0;
		const char *fields[4][2] = {
			{ error != NULL ? "error" : "code", error != NULL ? error : a->code },
			{ "error_description", desc }, { "state", a->q.state },
			{ "iss", op->issuer },
		};
		int i;

		idg_sha256(script, strlen(script), h);
		EVP_EncodeBlock((unsigned char *)hb64, h, sizeof(h));
		snprintf(origin, sizeof(origin), "%.*s", (int)on, a->redirect);
		snprintf(csp, sizeof(csp), "default-src 'none'; script-src 'sha256-%s'; "
		    "form-action %s; frame-ancestors 'none'; base-uri 'none'", hb64, origin);
		idg_buf_adds(&b, "<!doctype html><html><head><meta charset=\"utf-8\">"
		    "<title>idgate</title></head><body><form method=\"post\" action=\"");
		idg_html_escape(&b, a->redirect);
		idg_buf_adds(&b, "\">");
		for (i = 0; i < 4; i++) {
			if (fields[i][1] == NULL)
				continue;
			idg_buf_adds(&b, "<input type=\"hidden\" name=\"");
			idg_buf_adds(&b, fields[i][0]);
			idg_buf_adds(&b, "\" value=\"");
			idg_html_escape(&b, fields[i][1]);
			idg_buf_adds(&b, "\">");
		}
		idg_buf_printf(&b, "<noscript><button type=\"submit\">Continue</button></noscript>"
		    "</form><script>%s</script></body></html>", script);
		r->csp_override = csp;
		authz_free(a);
		idg_reply_html(r, 200, &b);
	}
}

/* The authorization request again, as a local URL, without prompt (used after sign-in). */
static void
resume_url(struct idg_req *r, struct authz *a, struct idg_buf *b)
{
	char maxage[32];
	bool first = true;

	idg_buf_printf(b, "/oidc/%s/authorize?", r->company_id);
	append_param(b, "client_id", a->q.client_id, &first);
	append_param(b, "redirect_uri", a->q.redirect_uri, &first);
	append_param(b, "response_type", a->q.response_type, &first);
	append_param(b, "scope", a->q.scope, &first);
	append_param(b, "state", a->q.state, &first);
	append_param(b, "nonce", a->q.nonce, &first);
	append_param(b, "code_challenge", a->q.code_challenge, &first);
	append_param(b, "code_challenge_method", a->q.code_challenge_method, &first);
	append_param(b, "response_mode", a->q.response_mode, &first);
	if (a->q.max_age >= 0) {
		snprintf(maxage, sizeof(maxage), "%ld", a->q.max_age);
		append_param(b, "max_age", maxage, &first);
	}
}

static void
to_login(struct idg_req *r, struct authz *a)
{
	struct idg_buf ret, loc;
	bool first = true;

	idg_buf_init(&ret, 4096);
	idg_buf_init(&loc, 8192);
	resume_url(r, a, &ret);
	idg_buf_printf(&loc, "/t/%s/login?", r->company_id);
	append_param(&loc, "return", ret.data, &first);
	append_param(&loc, "login_hint", a->q.login_hint, &first);
	if (loc.data == NULL || ret.len >= 2048) {
		/* The sign-in page could not carry it back: answer the RP now. */
		idg_buf_free(&ret);
		idg_buf_free(&loc);
		authz_respond(r, a, "invalid_request", "the authorization request is too long");
		return;
	}
	idg_buf_free(&ret);
	authz_free(a);
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Location", loc.data);
	idg_buf_free(&loc);
	idg_reply(r, 303, "text/plain; charset=utf-8", NULL, 0);
}

static void authz_recorded(void *arg, int status);

static void
code_stored(void *arg, int status, struct redisReply *reply)
{
	struct idg_req *r = arg;
	struct authz *a = r->hctx;

	if (status != IDG_OK) {
		authz_respond(r, a, "temporarily_unavailable",
		    "the session store is unavailable; try again");
		return;
	}
	{
		const struct idg_dir_user *u = idg_directory_user(r->tenant, r->session.user_id);
		struct idg_audit_event e;

		memset(&e, 0, sizeof(e));
		e.tenant_id = r->tenant->id;
		e.actor = u != NULL ? u->email : "oidc";
		e.action = "sso.oidc";
		e.target = a->rp->c.client_id;
		e.result = "ok";
		e.ip = r->client_ip;
		/* The code goes out only once the SSO counts (metering.h). */
		idg_metering_record(r, &e, r->session.user_id, 0, authz_recorded, r);
	}
}

static void
authz_recorded(void *arg, int status)
{
	struct idg_req *r = arg;
	struct authz *a = r->hctx;

	if (status != IDG_OK) {
		authz_respond(r, a, "temporarily_unavailable",
		    "the activity could not be recorded; try again");
		return;
	}
	authz_respond(r, a, NULL, NULL);
}

/*
 * Step up: the page of the owed step (base "" = this listener, or the device
 * listener's URL), which sends the browser back to this request afterwards.
 */
static void
step_up(struct idg_req *r, struct authz *a, const char *base, const char *step)
{
	struct idg_buf ret, loc;
	bool first = true;

	idg_buf_init(&ret, 4096);
	idg_buf_init(&loc, 8192);
	resume_url(r, a, &ret);
	idg_buf_printf(&loc, "%s/t/%s/%s?", base, r->company_id, step);
	append_param(&loc, "return", ret.data, &first);
	idg_buf_free(&ret);
	authz_free(a);
	idg_reply_redirect(r, loc.data != NULL ? loc.data : "/");
	idg_buf_free(&loc);
}

static void
authz_session(struct idg_req *r, int st)
{
	struct authz *a = r->hctx;
	struct idg_policy_decision d;
	const struct idg_dir_user *u;
	char key[64], sid[32];
	json_t *o;
	char *v;
	int64_t now = idg_now();

	if (st == IDG_UNAVAILABLE) {
		authz_respond(r, a, "temporarily_unavailable",
		    "the session store is unavailable; try again");
		return;
	}
	if (st != IDG_OK) {
		/* OIDC Core 3.1.2.6: prompt=none without a session. */
		if (a->prompt_none)
			authz_respond(r, a, "login_required", "the user is not signed in");
		else
			to_login(r, a);
		return;
	}
	if (a->prompt_login || (a->q.max_age >= 0 && now - r->session.auth_time > a->q.max_age)) {
		if (a->prompt_none)
			authz_respond(r, a, "login_required", "a fresh sign-in is needed");
		else
			to_login(r, a);
		return;
	}
	if (r->session.flags & IDG_SESSION_MUST_CHANGE_PASSWORD) {
		authz_respond(r, a, "interaction_required",
		    "the user must change a temporary password first");
		return;
	}
	u = idg_directory_user(r->tenant, r->session.user_id);
	if (!idg_oidc_rp_user_allowed(a->rp, r->session.user_id)) {
		idg_audit_async(r, r->tenant->id, u->email, "oidc.authorize", a->rp->c.client_id,
		    "not_assigned");
		authz_respond(r, a, "access_denied", "this app is not assigned to the user");
		return;
	}
	/* The tenant's access policy for this app (rules scoped to it, too). */
	idg_access_decide(r, u, a->rp->c.client_id, a->rp->c.device_required, r->session.amr,
	    &d);
	if (d.action == IDG_POLICY_DENY) {
		authz_respond(r, a, "access_denied", d.reason != NULL ? d.reason :
		    "access_denied");
		return;
	}
	if (d.action == IDG_POLICY_REQUIRE_CERT) {
		if (a->prompt_none || r->w->cfg->device_url[0] == '\0')
			authz_respond(r, a, "interaction_required",
			    "a device certificate check is required");
		else
			step_up(r, a, r->w->cfg->device_url, "device");
		return;
	}
	if (d.action == IDG_POLICY_REQUIRE_TOTP) {
		if (a->prompt_none)
			authz_respond(r, a, "interaction_required", "a second factor is required");
		else
			step_up(r, a, "", "mfa");
		return;
	}
	if (idg_random_b64url(a->code, sizeof(a->code), 32) != IDG_OK) {
		authz_respond(r, a, "server_error", "no randomness");
		return;
	}
	sid_of(r->session.id, sid, sizeof(sid));
	o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:s, s:i}", "c", a->rp->c.client_id,
	    "r", a->redirect, "u", (json_int_t)r->session.user_id, "s", sid,
	    "a", (json_int_t)r->session.auth_time, "o", a->scope, "m", (int)r->session.amr);
	if (a->q.nonce != NULL)
		json_object_set_new(o, "n", json_string(a->q.nonce));
	if (a->q.code_challenge != NULL)
		json_object_set_new(o, "p", json_string(a->q.code_challenge));
	v = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	hash_key("oc", a->code, key, sizeof(key));
	st = v != NULL ? idg_redis_command(r->w->redis, code_stored, r, "SET %s %s EX %d", key, v,
	    CODE_TTL_S) : IDG_ERR;
	free(v);
	if (st != IDG_PENDING)
		code_stored(r, IDG_UNAVAILABLE, NULL);
}

static bool
pkce_syntax(const char *s)
{
	size_t n = strlen(s), i;

	/* RFC 7636 4.2: 43..128 characters of the unreserved set. */
	if (n < 43 || n > 128)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~'))
			return false;
	}
	return true;
}

static void
h_authorize(struct idg_req *r)
{
	const struct idg_params *p = &r->query;
	const char *err = NULL, *desc = NULL;
	struct authz *a;
	int pst;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		idg_reply_error(r, "internal_error");
		return;
	}
	r->hctx = a;
	if (r->method == IDG_POST) {
		if (idg_req_form(r, &a->form) != IDG_OK) {
			idg_reply_error(r, "bad_request");
			return;
		}
		p = &a->form;
	}
	pst = idg_oidc_authz_parse(p, &a->q, &err, &desc);
	/*
	 * RFC 6749 4.1.2.1: without a known client and its registered redirect
	 * URI, never redirect: tell the user on a page.
	 */
	if ((a->rp = idg_oidc_rp_find(op_of(r), a->q.client_id)) == NULL) {
		authz_free(a);
		idg_reply_error(r, "oidc_unknown_client");
		return;
	}
	/* OIDC Core 3.1.2.1 / RFC 6749 3.1.2.3: redirect_uri must match exactly. */
	if ((a->redirect = idg_oidc_rp_redirect(a->rp, a->q.redirect_uri)) == NULL) {
		authz_free(a);
		idg_reply_error(r, "oidc_redirect_uri_mismatch");
		return;
	}
	if (pst != IDG_OK) {
		authz_respond(r, a, err, desc);
		return;
	}
	if (a->q.response_mode != NULL && strcmp(a->q.response_mode, "query") != 0 &&
	    strcmp(a->q.response_mode, "form_post") != 0) {
		a->q.response_mode = NULL;
		authz_respond(r, a, "invalid_request", "response_mode must be query or form_post");
		return;
	}
	if (a->q.response_type == NULL || strcmp(a->q.response_type, "code") != 0) {
		/* RFC 9700 2.1.2: no implicit or hybrid flows. */
		authz_respond(r, a, "unsupported_response_type", "only response_type=code");
		return;
	}
	if (!idg_oidc_rp_has_grant(a->rp, "authorization_code")) {
		authz_respond(r, a, "unauthorized_client", "this client may not use the code flow");
		return;
	}
	if (a->q.scope == NULL || !scope_has(a->q.scope, "openid")) {
		authz_respond(r, a, "invalid_scope", "the openid scope is required");
		return;
	}
	scope_grant(a->q.scope, a->rp->c.scopes, a->scope, sizeof(a->scope));
	if (!scope_has(a->scope, "openid")) {
		authz_respond(r, a, "invalid_scope", "this client may not use the openid scope");
		return;
	}
	/* RFC 7636 4.3 with RFC 9700 2.1.1: S256 only; required for public clients. */
	if (a->q.code_challenge != NULL && (a->q.code_challenge_method == NULL ||
	    strcmp(a->q.code_challenge_method, "S256") != 0)) {
		authz_respond(r, a, "invalid_request", "code_challenge_method must be S256");
		return;
	}
	if (a->q.code_challenge != NULL && !pkce_syntax(a->q.code_challenge)) {
		authz_respond(r, a, "invalid_request", "code_challenge is malformed");
		return;
	}
	if (a->q.code_challenge == NULL && !a->rp->c.confidential) {
		authz_respond(r, a, "invalid_request", "PKCE (S256) is required for this client");
		return;
	}
	if (a->q.prompt != NULL) {
		a->prompt_none = scope_has(a->q.prompt, "none");
		a->prompt_login = scope_has(a->q.prompt, "login");
		if (a->prompt_none && strcmp(a->q.prompt, "none") != 0) {
			/* OIDC Core 3.1.2.1: none with any other value is an error. */
			authz_respond(r, a, "invalid_request", "prompt=none must be alone");
			return;
		}
	}
	idg_auth_session(r, authz_session);
}

/* ---- client authentication (RFC 6749 2.3) ---- */

static const struct idg_oidc_rp *
client_auth(struct idg_req *r, struct idg_token_req *t)
{
	const struct idg_oidc_rp *rp = idg_oidc_rp_find(op_of(r), t->client_id);
	uint8_t h[IDG_SHA256_LEN];
	char hex[2 * IDG_SHA256_LEN + 1];
	bool ok;

	if (rp == NULL) {
		/* Same work as a real check, so a probe cannot tell ids apart by time. */
		idg_sha256(t->client_secret, strlen(t->client_secret), h);
		return NULL;
	}
	if (!rp->c.confidential)
		ok = t->client_secret[0] == '\0' && !t->basic;
	else {
		idg_sha256(t->client_secret, strlen(t->client_secret), h);
		idg_hex(h, sizeof(h), hex);
		ok = t->client_secret[0] != '\0' && idg_ct_streq(hex, rp->c.secret_hash);
	}
	idg_wipe(t->client_secret, sizeof(t->client_secret));
	return ok ? rp : NULL;
}

/* Reads a token-endpoint style request; answers and returns NULL on failure. */
static const struct idg_oidc_rp *
read_client_request(struct idg_req *r, struct idg_params *f, struct idg_token_req *t)
{
	const struct idg_oidc_rp *rp;
	const char *err, *desc;

	if (idg_req_form(r, f) != IDG_OK) {
		oauth_error(r, 400, "invalid_request",
		    "the body must be application/x-www-form-urlencoded");
		return NULL;
	}
	if (idg_oidc_token_parse(f, idg_req_header(r, "Authorization"), t, &err, &desc) !=
	    IDG_OK) {
		idg_params_free(f);
		oauth_error(r, strcmp(err, "invalid_client") == 0 ? 401 : 400, err, desc);
		return NULL;
	}
	if ((rp = client_auth(r, t)) == NULL) {
		idg_params_free(f);
		oauth_error(r, 401, "invalid_client", "client authentication failed");
		return NULL;
	}
	return rp;
}

/* ---- token endpoint ---- */

struct grant {
	struct idg_params	 form;
	struct idg_token_req	 t;
	const struct idg_oidc_rp *rp;
	char			 key[64], used_key[64];
	/* what the tokens are about */
	int64_t			 user_id;
	int64_t			 auth_time;
	unsigned		 amr;
	char			 sid[32], nonce[512], scope[256], family[32];
	char			 refresh[IDG_B64URL_LEN(32)];
	bool			 with_refresh;
	json_t			*rt;	/* refresh-token record being rotated */
};

static void
grant_free(struct grant *g)
{
	if (g != NULL) {
		idg_params_free(&g->form);
		json_decref(g->rt);
	}
}

static void
grant_error(struct idg_req *r, int status, const char *error, const char *desc)
{
	grant_free(r->hctx);
	oauth_error(r, status, error, desc);
}

static json_t *
amr_array(unsigned amr)
{
	json_t *a = json_array();

	if (amr & IDG_AMR_PWD)
		json_array_append_new(a, json_string("pwd"));
	if (amr & IDG_AMR_OTP)
		json_array_append_new(a, json_string("otp"));
	if (amr & IDG_AMR_CERT)
		json_array_append_new(a, json_string("hwk"));
	return a;
}

static void
user_claims(json_t *o, const struct idg_dir_user *u, const char *scope)
{
	if (scope_has(scope, "email")) {
		json_object_set_new(o, "email", json_string(u->email));
		json_object_set_new(o, "email_verified", json_true());
	}
	if (scope_has(scope, "profile"))
		json_object_set_new(o, "name", json_string(u->display_name));
	if (scope_has(scope, "groups")) {
		json_t *g = json_array();
		const char *p = u->groups;

		while (p != NULL && *p != '\0') {
			size_t n = strcspn(p, "\n");
			json_array_append_new(g, json_stringn(p, n));
			p += n;
			if (*p == '\n')
				p++;
		}
		json_object_set_new(o, "groups", g);
	}
}

/* Issues the access token (and ID and refresh tokens for a user) and answers. */
static void
issue(struct idg_req *r, struct grant *g, bool with_refresh)
{
	const struct idg_oidc_rp *rp = g->rp;
	const struct idg_oidc_tenant *op = op_of(r);
	const struct idg_dir_user *u = NULL;
	int64_t now = idg_now();
	char sub[64], jti[32], *at = NULL, *idt = NULL;
	json_t *claims, *resp;

	if (g->user_id != 0) {
		u = idg_directory_user(r->tenant, g->user_id);
		/* A suspended or deleted user gets no tokens, whatever the grant says. */
		if (u == NULL || u->status != IDG_USER_ACTIVE ||
		    !idg_oidc_rp_user_allowed(rp, g->user_id)) {
			grant_error(r, 400, "invalid_grant", "the user may no longer use this app");
			return;
		}
		subject(r, rp, g->user_id, sub, sizeof(sub));
	} else {
		idg_strlcpy(sub, rp->c.client_id, sizeof(sub));
	}
	idg_random_b64url(jti, sizeof(jti), 16);

	/* RFC 9068-shaped access token; uid/fam are ours, for userinfo and revocation. */
	claims = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "iss", op->issuer,
	    "sub", sub, "aud", rp->c.client_id, "client_id", rp->c.client_id, "scope", g->scope,
	    "iat", (json_int_t)now, "exp", (json_int_t)(now + rp->c.access_token_ttl_s),
	    "jti", jti);
	if (g->user_id != 0) {
		json_object_set_new(claims, "uid", json_integer(g->user_id));
		json_object_set_new(claims, "sid", json_string(g->sid));
	}
	if (g->family[0] != '\0')
		json_object_set_new(claims, "fam", json_string(g->family));
	/* Signed with the client's algorithm, like its ID tokens. */
	if (sign(r, rp->c.id_token_alg, claims, "at+jwt", &at) != IDG_OK) {
		json_decref(claims);
		grant_error(r, 500, "server_error", "signing failed");
		return;
	}
	json_decref(claims);
	resp = json_pack("{s:s, s:s, s:i, s:s}", "access_token", at, "token_type", "Bearer",
	    "expires_in", rp->c.access_token_ttl_s, "scope", g->scope);
	free(at);
	if (g->user_id != 0 && scope_has(g->scope, "openid")) {
		/* OIDC Core 2: the claims RPs check (3.1.3.7), plus what the scopes ask. */
		claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:s, s:s, s:s}",
		    "iss", op->issuer, "sub", sub, "aud", rp->c.client_id,
		    "iat", (json_int_t)now, "exp", (json_int_t)(now + rp->c.id_token_ttl_s),
		    "auth_time", (json_int_t)g->auth_time, "amr", amr_array(g->amr),
		    "acr", (g->amr & (IDG_AMR_OTP | IDG_AMR_CERT)) ? "urn:idgate:acr:mfa" :
		    "urn:idgate:acr:password", "sid", g->sid, "azp", rp->c.client_id);
		if (g->nonce[0] != '\0')
			json_object_set_new(claims, "nonce", json_string(g->nonce));
		user_claims(claims, u, g->scope);
		if (sign(r, rp->c.id_token_alg, claims, "JWT", &idt) != IDG_OK) {
			json_decref(claims);
			json_decref(resp);
			grant_error(r, 500, "server_error", "signing failed");
			return;
		}
		json_decref(claims);
		json_object_set_new(resp, "id_token", json_string(idt));
		free(idt);
	}
	if (with_refresh)
		json_object_set_new(resp, "refresh_token", json_string(g->refresh));
	grant_free(g);
	reply_json(r, 200, resp);
}

static void
refresh_stored(void *arg, int status, struct redisReply *reply)
{
	struct idg_req *r = arg;
	struct grant *g = r->hctx;

	if (status != IDG_OK) {
		grant_error(r, 503, "temporarily_unavailable", "the session store is unavailable");
		return;
	}
	issue(r, g, true);
}

/* Stores a fresh refresh token of g's family, then issues. */
static void
new_refresh(struct idg_req *r, struct grant *g)
{
	char key[64], *v;
	json_t *o;
	int st;

	if (idg_random_b64url(g->refresh, sizeof(g->refresh), 32) != IDG_OK) {
		grant_error(r, 500, "server_error", "no randomness");
		return;
	}
	hash_key("rt", g->refresh, key, sizeof(key));
	o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:i, s:I}", "f", g->family,
	    "c", g->rp->c.client_id, "u", (json_int_t)g->user_id, "o", g->scope, "s", g->sid,
	    "a", (json_int_t)g->auth_time, "m", (int)g->amr, "x", (json_int_t)0);
	v = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	st = v != NULL ? idg_redis_command(r->w->redis, refresh_stored, r, "SET %s %s EX %d",
	    key, v, g->rp->c.refresh_token_ttl_s) : IDG_ERR;
	free(v);
	if (st != IDG_PENDING)
		grant_error(r, 503, "temporarily_unavailable", "the session store is unavailable");
}

static void
marked_used(void *arg, int status, struct redisReply *reply)
{
	struct idg_req *r = arg;
	struct grant *g = r->hctx;

	if (status != IDG_OK) {
		grant_error(r, 503, "temporarily_unavailable", "the session store is unavailable");
		return;
	}
	if (g->with_refresh)
		new_refresh(r, g);
	else
		issue(r, g, false);
}

static void
family_revoked(void *arg, int status, struct redisReply *reply)
{
	struct idg_req *r = arg;

	grant_error(r, 400, "invalid_grant",
	    "the code was already used; tokens issued from it are revoked");
}

static void
revoke_family(struct idg_req *r, const char *family, idg_redis_cb *cb)
{
	int st = idg_redis_command(r->w->redis, cb, r, "SET rf:%s revoked EX %d", family,
	    30 * 86400);

	if (st != IDG_PENDING)
		cb(r, st, NULL);
}

static void
used_checked(void *arg, int status, struct redisReply *reply)
{
	struct idg_req *r = arg;

	if (status != IDG_OK) {
		grant_error(r, 503, "temporarily_unavailable", "the session store is unavailable");
		return;
	}
	if (reply->type == REDIS_REPLY_STRING) {
		/* RFC 6749 4.1.2: a code used twice revokes what it produced. */
		log_warn("authorization code replayed; revoking its token family");
		revoke_family(r, reply->str, family_revoked);
		return;
	}
	grant_error(r, 400, "invalid_grant", "the code is invalid or has expired");
}

static void
code_taken(void *arg, int status, struct redisReply *reply)
{
	struct idg_req *r = arg;
	struct grant *g = r->hctx;
	json_t *o;
	const char *c, *ru, *p, *n, *s, *sc;
	int st;

	if (status != IDG_OK) {
		grant_error(r, 503, "temporarily_unavailable", "the session store is unavailable");
		return;
	}
	if (reply->type != REDIS_REPLY_STRING) {
		st = idg_redis_command(r->w->redis, used_checked, r, "GET %s", g->used_key);
		if (st != IDG_PENDING)
			used_checked(r, st, NULL);
		return;
	}
	o = json_loadb(reply->str, reply->len, 0, NULL);
	c = json_string_value(json_object_get(o, "c"));
	ru = json_string_value(json_object_get(o, "r"));
	p = json_string_value(json_object_get(o, "p"));
	n = json_string_value(json_object_get(o, "n"));
	s = json_string_value(json_object_get(o, "s"));
	sc = json_string_value(json_object_get(o, "o"));
	if (c == NULL || ru == NULL || s == NULL || sc == NULL) {
		json_decref(o);
		grant_error(r, 400, "invalid_grant", "the code is invalid");
		return;
	}
	/* RFC 6749 4.1.3: same client, and the same redirect_uri as in the request. */
	if (strcmp(c, g->rp->c.client_id) != 0 || g->t.redirect_uri == NULL ||
	    strcmp(ru, g->t.redirect_uri) != 0) {
		json_decref(o);
		grant_error(r, 400, "invalid_grant", "the code was not issued to this client "
		    "and redirect_uri");
		return;
	}
	/* RFC 7636 4.6; a verifier without a challenge is refused too (downgrade). */
	if ((p != NULL && (g->t.code_verifier == NULL ||
	    idg_pkce_s256_check(g->t.code_verifier, p) != IDG_OK)) ||
	    (p == NULL && g->t.code_verifier != NULL)) {
		json_decref(o);
		grant_error(r, 400, "invalid_grant", "PKCE verification failed");
		return;
	}
	g->user_id = (int64_t)json_integer_value(json_object_get(o, "u"));
	g->auth_time = (int64_t)json_integer_value(json_object_get(o, "a"));
	g->amr = (unsigned)json_integer_value(json_object_get(o, "m"));
	idg_strlcpy(g->sid, s, sizeof(g->sid));
	idg_strlcpy(g->scope, sc, sizeof(g->scope));
	idg_strlcpy(g->nonce, n != NULL ? n : "", sizeof(g->nonce));
	json_decref(o);
	/*
	 * Every code starts a token family (the access token carries it), so a
	 * replayed code can revoke what the first exchange produced (RFC 6749
	 * 4.1.2), refresh token or not.
	 */
	g->with_refresh = scope_has(g->scope, "offline_access") &&
	    idg_oidc_rp_has_grant(g->rp, "refresh_token");
	idg_random_b64url(g->family, sizeof(g->family), 16);
	/* Remember the code's use (and its family) to catch a replay. */
	st = idg_redis_command(r->w->redis, marked_used, r, "SET %s %s EX %d", g->used_key,
	    g->family, USED_TTL_S);
	if (st != IDG_PENDING)
		marked_used(r, st, NULL);
}

static void
rotated(void *arg, int status, struct redisReply *reply)
{
	struct idg_req *r = arg;
	struct grant *g = r->hctx;

	if (status != IDG_OK) {
		grant_error(r, 503, "temporarily_unavailable", "the session store is unavailable");
		return;
	}
	new_refresh(r, g);
}

static void
reuse_revoked(void *arg, int status, struct redisReply *reply)
{
	grant_error(arg, 400, "invalid_grant",
	    "the refresh token was already used; the session's tokens are revoked");
}

static void
family_checked(void *arg, int status, struct redisReply *reply)
{
	struct idg_req *r = arg;
	struct grant *g = r->hctx;
	int64_t now = idg_now();
	int64_t x = (int64_t)json_integer_value(json_object_get(g->rt, "x"));
	char *v;
	int st;

	if (status != IDG_OK) {
		grant_error(r, 503, "temporarily_unavailable", "the session store is unavailable");
		return;
	}
	if (reply->type == REDIS_REPLY_STRING) {
		grant_error(r, 400, "invalid_grant", "the refresh token has been revoked");
		return;
	}
	if (x != 0 && now - x > REFRESH_GRACE_S) {
		/* RFC 9700 4.14.2: reuse of a rotated token revokes the whole family. */
		log_warn("refresh token reuse detected; revoking its family");
		idg_audit_async(r, r->tenant->id, "oidc", "oidc.refresh", g->rp->c.client_id,
		    "refresh_token_reuse");
		revoke_family(r, g->family, reuse_revoked);
		return;
	}
	if (x != 0) {
		/* A concurrent refresh within the grace window: a sibling token, no logout. */
		new_refresh(r, g);
		return;
	}
	json_object_set_new(g->rt, "x", json_integer(now));
	v = json_dumps(g->rt, JSON_COMPACT);
	st = v != NULL ? idg_redis_command(r->w->redis, rotated, r, "SET %s %s KEEPTTL XX",
	    g->key, v) : IDG_ERR;
	free(v);
	if (st != IDG_PENDING)
		rotated(r, st, NULL);
}

static void
refresh_found(void *arg, int status, struct redisReply *reply)
{
	struct idg_req *r = arg;
	struct grant *g = r->hctx;
	const char *f, *c, *sc, *s;
	int st;

	if (status != IDG_OK) {
		grant_error(r, 503, "temporarily_unavailable", "the session store is unavailable");
		return;
	}
	if (reply->type != REDIS_REPLY_STRING ||
	    (g->rt = json_loadb(reply->str, reply->len, 0, NULL)) == NULL) {
		grant_error(r, 400, "invalid_grant", "the refresh token is invalid or has expired");
		return;
	}
	f = json_string_value(json_object_get(g->rt, "f"));
	c = json_string_value(json_object_get(g->rt, "c"));
	sc = json_string_value(json_object_get(g->rt, "o"));
	s = json_string_value(json_object_get(g->rt, "s"));
	/* RFC 6749 6: the token is bound to the client it was issued to. */
	if (f == NULL || c == NULL || sc == NULL || s == NULL ||
	    strcmp(c, g->rp->c.client_id) != 0) {
		grant_error(r, 400, "invalid_grant", "the refresh token was not issued to this client");
		return;
	}
	/* RFC 6749 6: a narrower scope is fine, a wider one is not. */
	if (g->t.scope != NULL) {
		char narrowed[256];
		scope_grant(g->t.scope, sc, narrowed, sizeof(narrowed));
		if (strlen(narrowed) == 0 || strcmp(narrowed, g->t.scope) != 0) {
			grant_error(r, 400, "invalid_scope", "the scope exceeds the original grant");
			return;
		}
		idg_strlcpy(g->scope, narrowed, sizeof(g->scope));
	} else {
		idg_strlcpy(g->scope, sc, sizeof(g->scope));
	}
	idg_strlcpy(g->family, f, sizeof(g->family));
	idg_strlcpy(g->sid, s, sizeof(g->sid));
	g->user_id = (int64_t)json_integer_value(json_object_get(g->rt, "u"));
	g->auth_time = (int64_t)json_integer_value(json_object_get(g->rt, "a"));
	g->amr = (unsigned)json_integer_value(json_object_get(g->rt, "m"));
	st = idg_redis_command(r->w->redis, family_checked, r, "GET rf:%s", g->family);
	if (st != IDG_PENDING)
		family_checked(r, st, NULL);
}

static void
h_token(struct idg_req *r)
{
	const struct idg_oidc_rp *rp;
	struct grant *g;
	const char *gt;
	int st;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		idg_reply_error(r, "internal_error");
		return;
	}
	r->hctx = g;
	/* On failure the request is answered and g freed with it: no write after. */
	if ((rp = read_client_request(r, &g->form, &g->t)) == NULL)
		return;
	g->rp = rp;
	gt = g->t.grant_type;
	if (gt == NULL) {
		grant_error(r, 400, "invalid_request", "grant_type is required");
		return;
	}
	if (strcmp(gt, "authorization_code") == 0 || strcmp(gt, "refresh_token") == 0 ||
	    strcmp(gt, "client_credentials") == 0) {
		if (!idg_oidc_rp_has_grant(g->rp, gt)) {
			grant_error(r, 400, "unauthorized_client",
			    "this client may not use this grant type");
			return;
		}
	} else {
		grant_error(r, 400, "unsupported_grant_type", "unsupported grant_type");
		return;
	}
	if (strcmp(gt, "authorization_code") == 0) {
		if (g->t.code == NULL) {
			grant_error(r, 400, "invalid_request", "code is required");
			return;
		}
		hash_key("oc", g->t.code, g->key, sizeof(g->key));
		hash_key("ou", g->t.code, g->used_key, sizeof(g->used_key));
		/* Single use: GETDEL takes it atomically (two racing requests: one wins). */
		st = idg_redis_command(r->w->redis, code_taken, r, "GETDEL %s", g->key);
		if (st != IDG_PENDING)
			code_taken(r, st, NULL);
		return;
	}
	if (strcmp(gt, "refresh_token") == 0) {
		if (g->t.refresh_token == NULL) {
			grant_error(r, 400, "invalid_request", "refresh_token is required");
			return;
		}
		hash_key("rt", g->t.refresh_token, g->key, sizeof(g->key));
		st = idg_redis_command(r->w->redis, refresh_found, r, "GET %s", g->key);
		if (st != IDG_PENDING)
			refresh_found(r, st, NULL);
		return;
	}
	/* client_credentials: confidential clients only, for themselves; no openid. */
	if (!g->rp->c.confidential) {
		grant_error(r, 400, "unauthorized_client", "public clients cannot use this grant");
		return;
	}
	scope_grant(g->t.scope, g->rp->c.scopes, g->scope, sizeof(g->scope));
	{
		/* There is no user: drop the user-facing scopes. */
		static const char *const user_scopes[] = { "openid", "profile", "email", "groups",
		    "offline_access" };
		char kept[256] = "";
		const char *p = g->scope;

		while (*p != '\0') {
			size_t n = strcspn(p, " "), i;
			bool user = false;
			for (i = 0; i < sizeof(user_scopes) / sizeof(user_scopes[0]); i++)
				user = user || (strlen(user_scopes[i]) == n &&
				    strncmp(p, user_scopes[i], n) == 0);
			if (!user && strlen(kept) + n + 2 < sizeof(kept)) {
				if (kept[0] != '\0')
					strncat(kept, " ", sizeof(kept) - strlen(kept) - 1);
				strncat(kept, p, n);
			}
			p += n;
			while (*p == ' ')
				p++;
		}
		idg_strlcpy(g->scope, kept, sizeof(g->scope));
	}
	issue(r, g, false);
}

/* ---- userinfo (OIDC Core 5.3, RFC 6750) ---- */

struct bearer {
	json_t		*claims;
	int		 pending;
	bool		 revoked;
	bool		 failed;
	void		(*next)(struct idg_req *r);
};

static void
bearer_free(struct bearer *b)
{
	if (b != NULL)
		json_decref(b->claims);
}

static void
revocation_seen(void *arg, int status, struct redisReply *reply)
{
	struct idg_req *r = arg;
	struct bearer *b = r->hctx;

	if (status != IDG_OK)
		b->failed = true;
	else if (reply->type == REDIS_REPLY_STRING)
		b->revoked = true;
	if (--b->pending == 0)
		b->next(r);
}

/* Looks up the revocation markers of an access token's jti and family. */
static void
check_revoked(struct idg_req *r, struct bearer *b)
{
	const char *jti = json_string_value(json_object_get(b->claims, "jti"));
	const char *fam = json_string_value(json_object_get(b->claims, "fam"));
	int st;

	b->pending = 1 + (fam != NULL);
	st = idg_redis_command(r->w->redis, revocation_seen, r, "GET rv:%s", jti != NULL ? jti : "");
	if (st != IDG_PENDING) {
		b->failed = true;
		b->pending = 0;
		b->next(r);
		return;
	}
	if (fam != NULL &&
	    idg_redis_command(r->w->redis, revocation_seen, r, "GET rf:%s", fam) != IDG_PENDING) {
		b->failed = true;
		if (--b->pending == 0)
			b->next(r);
	}
}

/* An access token of ours: verified, not expired, and an access (not ID) token. */
static json_t *
access_claims(struct idg_req *r, const char *token)
{
	json_t *c = verify_own(r, token);
	json_int_t exp;

	if (c == NULL)
		return NULL;
	exp = json_integer_value(json_object_get(c, "exp"));
	if (json_object_get(c, "client_id") == NULL || json_object_get(c, "jti") == NULL ||
	    exp <= (json_int_t)idg_now()) {
		json_decref(c);
		return NULL;
	}
	return c;
}

static void
userinfo_next(struct idg_req *r)
{
	struct bearer *b = r->hctx;
	const struct idg_dir_user *u;
	const char *scope = json_string_value(json_object_get(b->claims, "scope"));
	json_t *o;

	if (b->failed) {
		bearer_free(b);
		oauth_error(r, 503, "temporarily_unavailable", "the session store is unavailable");
		return;
	}
	u = idg_directory_user(r->tenant, (int64_t)json_integer_value(json_object_get(b->claims,
	    "uid")));
	if (b->revoked || u == NULL || u->status != IDG_USER_ACTIVE) {
		bearer_free(b);
		bearer_error(r, 401, "invalid_token", "the access token is no longer valid");
		return;
	}
	o = json_pack("{s:O}", "sub", json_object_get(b->claims, "sub"));
	user_claims(o, u, scope != NULL ? scope : "");
	bearer_free(b);
	reply_json(r, 200, o);
}

static void
h_userinfo(struct idg_req *r)
{
	const char *h = idg_req_header(r, "Authorization");
	struct bearer *b;

	/* RFC 6750 2.1: the token in the Authorization header. */
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0) {
		bearer_error(r, 401, "invalid_request", "a Bearer access token is required");
		return;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		idg_reply_error(r, "internal_error");
		return;
	}
	r->hctx = b;
	b->next = userinfo_next;
	b->claims = access_claims(r, h + 7);
	if (b->claims == NULL || json_object_get(b->claims, "uid") == NULL) {
		bearer_free(b);
		bearer_error(r, 401, "invalid_token", "the access token is invalid or has expired");
		return;
	}
	check_revoked(r, b);
}

/* ---- revocation (RFC 7009) and introspection (RFC 7662) ---- */

struct tokop {
	struct bearer		 b;	/* first: shares the revocation check */
	struct idg_params	 form;
	struct idg_token_req	 t;
	const struct idg_oidc_rp *rp;
	const char		*token;
	bool			 introspect;
	json_t			*rt;
};

static void
tokop_free(struct tokop *o)
{
	bearer_free(&o->b);
	idg_params_free(&o->form);
	json_decref(o->rt);
}

static void
inactive(struct idg_req *r)
{
	tokop_free(r->hctx);
	reply_json(r, 200, json_pack("{s:b}", "active", 0));
}

static void
revoked_ok(void *arg, int status, struct redisReply *reply)
{
	struct idg_req *r = arg;

	tokop_free(r->hctx);
	if (status != IDG_OK) {
		oauth_error(r, 503, "temporarily_unavailable", "the session store is unavailable");
		return;
	}
	/* RFC 7009 2.2: 200 whether or not the token was valid. */
	idg_reply(r, 200, "application/json", "{}", 2);
}

static void
introspect_access_next(struct idg_req *r)
{
	struct tokop *o = r->hctx;
	json_t *c = o->b.claims, *resp;

	if (o->b.failed) {
		tokop_free(o);
		oauth_error(r, 503, "temporarily_unavailable", "the session store is unavailable");
		return;
	}
	if (o->b.revoked) {
		inactive(r);
		return;
	}
	resp = json_pack("{s:b, s:O, s:O, s:O, s:O, s:O, s:O, s:s}", "active", 1,
	    "sub", json_object_get(c, "sub"), "client_id", json_object_get(c, "client_id"),
	    "scope", json_object_get(c, "scope"), "exp", json_object_get(c, "exp"),
	    "iat", json_object_get(c, "iat"), "iss", json_object_get(c, "iss"),
	    "token_type", "Bearer");
	tokop_free(o);
	reply_json(r, 200, resp);
}

static void
refresh_family_seen(void *arg, int status, struct redisReply *reply)
{
	struct idg_req *r = arg;
	struct tokop *o = r->hctx;
	int64_t x = (int64_t)json_integer_value(json_object_get(o->rt, "x"));
	json_t *resp;

	if (status != IDG_OK) {
		tokop_free(o);
		oauth_error(r, 503, "temporarily_unavailable", "the session store is unavailable");
		return;
	}
	if (reply->type == REDIS_REPLY_STRING || (x != 0 && idg_now() - x > REFRESH_GRACE_S)) {
		inactive(r);
		return;
	}
	resp = json_pack("{s:b, s:O, s:O, s:s}", "active", 1, "client_id",
	    json_object_get(o->rt, "c"), "scope", json_object_get(o->rt, "o"),
	    "token_type", "refresh_token");
	tokop_free(o);
	reply_json(r, 200, resp);
}

static void
refresh_record(void *arg, int status, struct redisReply *reply)
{
	struct idg_req *r = arg;
	struct tokop *o = r->hctx;
	const char *c, *f;
	int st;

	if (status != IDG_OK) {
		tokop_free(o);
		oauth_error(r, 503, "temporarily_unavailable", "the session store is unavailable");
		return;
	}
	if (reply->type != REDIS_REPLY_STRING ||
	    (o->rt = json_loadb(reply->str, reply->len, 0, NULL)) == NULL) {
		if (o->introspect)
			inactive(r);
		else
			revoked_ok(r, IDG_OK, NULL);
		return;
	}
	c = json_string_value(json_object_get(o->rt, "c"));
	f = json_string_value(json_object_get(o->rt, "f"));
	if (c == NULL || f == NULL ||
	    (strcmp(c, o->rp->c.client_id) != 0 && !(o->introspect && o->rp->c.resource_server))) {
		/* Another client's token: revocation does nothing, introspection says inactive. */
		if (o->introspect)
			inactive(r);
		else
			revoked_ok(r, IDG_OK, NULL);
		return;
	}
	if (o->introspect)
		st = idg_redis_command(r->w->redis, refresh_family_seen, r, "GET rf:%s", f);
	else
		st = idg_redis_command(r->w->redis, revoked_ok, r, "SET rf:%s revoked EX %d", f,
		    30 * 86400);
	if (st != IDG_PENDING) {
		tokop_free(o);
		oauth_error(r, 503, "temporarily_unavailable", "the session store is unavailable");
	}
}

static void
h_tokop(struct idg_req *r, bool introspect)
{
	const struct idg_oidc_rp *rp;
	struct tokop *o;
	const char *cid;
	char key[64];
	int st;

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		idg_reply_error(r, "internal_error");
		return;
	}
	r->hctx = o;
	o->introspect = introspect;
	if ((rp = read_client_request(r, &o->form, &o->t)) == NULL)
		return;		/* answered; o is gone */
	o->rp = rp;
	/*
	 * RFC 7662 2.1: introspection only for authenticated (confidential)
	 * clients; RFC 7009 2.1: a public client may revoke its own tokens.
	 */
	if (introspect && !o->rp->c.confidential) {
		tokop_free(o);
		oauth_error(r, 401, "invalid_client", "public clients cannot use this endpoint");
		return;
	}
	if ((o->token = idg_params_get(&o->form, "token")) == NULL || o->token[0] == '\0') {
		tokop_free(o);
		oauth_error(r, 400, "invalid_request", "token is required");
		return;
	}
	if ((o->b.claims = access_claims(r, o->token)) != NULL) {
		cid = json_string_value(json_object_get(o->b.claims, "client_id"));
		if (cid == NULL || (strcmp(cid, o->rp->c.client_id) != 0 &&
		    !(introspect && o->rp->c.resource_server))) {
			if (introspect)
				inactive(r);
			else
				revoked_ok(r, IDG_OK, NULL);
			return;
		}
		if (introspect) {
			o->b.next = introspect_access_next;
			check_revoked(r, &o->b);
			return;
		}
		{
			json_int_t ttl = json_integer_value(json_object_get(o->b.claims, "exp")) -
			    (json_int_t)idg_now();
			const char *jti = json_string_value(json_object_get(o->b.claims, "jti"));

			st = idg_redis_command(r->w->redis, revoked_ok, r, "SET rv:%s 1 EX %lld",
			    jti, (long long)(ttl > 0 ? ttl : 1));
			if (st != IDG_PENDING)
				revoked_ok(r, st, NULL);
		}
		return;
	}
	hash_key("rt", o->token, key, sizeof(key));
	st = idg_redis_command(r->w->redis, refresh_record, r, "GET %s", key);
	if (st != IDG_PENDING)
		refresh_record(r, st, NULL);
}

/* ---- RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) ---- */

struct logout {
	char	location[2300];
	char	hint_sid[32];	/* sid of the id_token_hint */
};

static void
logout_destroyed(void *arg, int status, const struct idg_session *s)
{
	struct idg_req *r = arg;
	struct logout *l = r->hctx;
	char name[64];

	idg_session_cookie_name(r->company_id, name, sizeof(name));
	idg_req_set_cookie(r, name, "", 0);
	if (status != IDG_OK) {
		idg_reply_error(r, "session_store_unavailable");
		return;
	}
	idg_reply_redirect(r, l->location);
}

static void
logout_session(struct idg_req *r, int st)
{
	struct logout *l = r->hctx;

	if (st == IDG_UNAVAILABLE) {
		idg_reply_error(r, "session_store_unavailable");
		return;
	}
	if (st != IDG_OK) {
		idg_reply_redirect(r, l->location);
		return;
	}
	{
		char sid[32];

		/*
		 * RP-Initiated Logout 1.0 2: the hint must be for this session; a
		 * token of another session (another user's, or an old one) ends
		 * nothing here (logout CSRF).
		 */
		sid_of(r->session.id, sid, sizeof(sid));
		if (!idg_ct_streq(sid, l->hint_sid)) {
			idg_reply_redirect(r, l->location);
			return;
		}
	}
	idg_audit_async(r, r->tenant->id, "oidc", "oidc.end_session", "", "ok");
	st = idg_session_destroy(r->w->sessions, r->session.id, r->session.tenant_id,
	    logout_destroyed, r);
	if (st != IDG_PENDING)
		logout_destroyed(r, st, NULL);
}

static void
h_end_session(struct idg_req *r)
{
	const struct idg_params *p = &r->query;
	const char *hint, *plr, *state, *aud, *hint_sid = NULL;
	const struct idg_oidc_rp *rp = NULL;
	struct idg_params form;
	struct logout *l;
	json_t *claims = NULL;
	struct idg_buf b;
	bool first;
	int i;

	memset(&form, 0, sizeof(form));
	if (r->method == IDG_POST) {
		if (idg_req_form(r, &form) != IDG_OK) {
			idg_reply_error(r, "bad_request");
			return;
		}
		p = &form;
	}
	hint = idg_params_get(p, "id_token_hint");
	plr = idg_params_get(p, "post_logout_redirect_uri");
	state = idg_params_get(p, "state");
	if (hint != NULL) {
		/* Our own signature, algorithm pinned by key; an expired token is fine here. */
		if ((claims = verify_own(r, hint)) == NULL) {
			idg_params_free(&form);
			idg_reply_error(r, "oidc_invalid_id_token_hint");
			return;
		}
		aud = json_string_value(json_object_get(claims, "aud"));
		rp = idg_oidc_rp_find(op_of(r), aud);
		hint_sid = json_string_value(json_object_get(claims, "sid"));
	} else if (idg_params_get(p, "client_id") != NULL) {
		rp = idg_oidc_rp_find(op_of(r), idg_params_get(p, "client_id"));
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		json_decref(claims);
		idg_params_free(&form);
		idg_reply_error(r, "internal_error");
		return;
	}
	r->hctx = l;
	snprintf(l->location, sizeof(l->location), "/t/%s/login", r->company_id);
	if (hint_sid != NULL)
		idg_strlcpy(l->hint_sid, hint_sid, sizeof(l->hint_sid));
	if (plr != NULL) {
		/* RP-Initiated Logout 1.0 3: exact match against the client's registered list. */
		bool ok = false;

		for (i = 0; rp != NULL && i < rp->npost_logout; i++)
			ok = ok || strcmp(rp->post_logout[i], plr) == 0;
		if (!ok) {
			json_decref(claims);
			idg_params_free(&form);
			idg_reply_error(r, "oidc_post_logout_redirect_uri_mismatch");
			return;
		}
		idg_buf_init(&b, sizeof(l->location) - 1);
		idg_buf_adds(&b, plr);
		if (state != NULL) {
			first = strchr(plr, '?') == NULL;
			idg_buf_adds(&b, first ? "?" : "");
			append_param(&b, "state", state, &first);
		}
		if (b.data != NULL)
			idg_strlcpy(l->location, b.data, sizeof(l->location));
		idg_buf_free(&b);
	}
	json_decref(claims);
	idg_params_free(&form);
	/*
	 * Without a valid id_token_hint the request could come from any site: do
	 * not end the session on its word (logout CSRF); the portal offers sign-out.
	 */
	if (hint == NULL) {
		idg_reply_redirect(r, l->location);
		return;
	}
	idg_auth_session(r, logout_session);
}

/* ---- dispatch ---- */

void
idg_h_oidc(struct idg_req *r, const char *rest)
{
	static const struct {
		const char	*path;
		enum idg_route	 route;
		bool		 get, post;
		void		(*fn)(struct idg_req *);
	} routes[] = {
		{ "/.well-known/openid-configuration", IDG_R_OIDC_DISCOVERY, true, false,
		    h_discovery },
		{ "/jwks", IDG_R_OIDC_JWKS, true, false, h_jwks },
		{ "/authorize", IDG_R_OIDC_AUTHORIZE, true, true, h_authorize },
		{ "/token", IDG_R_OIDC_TOKEN, false, true, h_token },
		{ "/userinfo", IDG_R_OIDC_USERINFO, true, true, h_userinfo },
		{ "/revoke", IDG_R_OIDC_REVOKE, false, true, NULL },
		{ "/introspect", IDG_R_OIDC_INTROSPECT, false, true, NULL },
		{ "/end_session", IDG_R_OIDC_END_SESSION, true, true, h_end_session },
	};
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(rest, routes[i].path) != 0)
			continue;
		r->route = routes[i].route;
		if (op_of(r) == NULL) {
			idg_reply_error(r, "not_found");
			return;
		}
		if (!((r->method == IDG_GET || r->method == IDG_HEAD) ? routes[i].get :
		    r->method == IDG_POST ? routes[i].post : false)) {
			idg_reply_error(r, "method_not_allowed");
			return;
		}
		if (routes[i].route == IDG_R_OIDC_REVOKE)
			h_tokop(r, false);
		else if (routes[i].route == IDG_R_OIDC_INTROSPECT)
			h_tokop(r, true);
		else
			routes[i].fn(r);
		return;
	}
	idg_reply_error(r, "not_found");
}
