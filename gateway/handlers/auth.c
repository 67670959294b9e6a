/*
 * auth.c - session lookup and checks, CSRF tokens, audit from the loop;
 * see auth.h.
 */
#include "auth.h"
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../directory.h"
#include "../http/server.h"
#include "../http/worker_store.h"
#include "../http/workpool.h"
#include "../store/store.h"
#include <event2/http.h>

#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"

#define CSRF_COOKIE "__Host-idgate-csrf"

void
idg_session_cookie_name(const char *company_id, char *out, size_t outsz)
{
	snprintf(out, outsz, "__Host-idgate-%s", company_id);
}

static void
forget(void *arg, int status, const struct idg_session *s)
{
	(void)arg;
	(void)status;
	(void)s;
}

/*
 * The password is done but a step is owed: nothing but that step (and
 * sign-out) until then. base is "" (the main listener) or the device
 * listener's URL; an OIDC authorization request resumes afterwards.
 */
static void
step_owed(struct idg_req *r, const char *base, const char *step)
{
	const char *uri = evhttp_request_get_uri(r->ev);
	char prefix[64];
	struct idg_buf loc;

	idg_buf_init(&loc, 8192);
	idg_buf_printf(&loc, "%s/t/%s/%s", base, r->company_id, step);
	snprintf(prefix, sizeof(prefix), "/oidc/%s/authorize?", r->company_id);
	if (r->route == IDG_R_OIDC_AUTHORIZE && uri != NULL &&
	    strncmp(uri, prefix, strlen(prefix)) == 0 && strlen(uri) < 2048) {
		idg_buf_adds(&loc, "?return=");
		idg_url_escape(&loc, uri);
	}
	if (loc.data == NULL) {
		idg_reply_error(r, "internal_error");
		return;
	}
	idg_reply_redirect(r, loc.data);
	idg_buf_free(&loc);
}

/* A session checked with a device certificate revoked since is void. */
static bool
device_revoked(const struct idg_req *r)
{
	return r->session.device_serial[0] != '\0' &&
	    idg_dir_revoked(r->tenant, r->session.device_serial);
}

static void
check(struct idg_req *r, int status)
{
	idg_auth_next_fn *next = r->auth_next;
	const struct idg_dir_user *u;

	r->auth_next = NULL;
	if (status == IDG_TIMEOUT)
		status = IDG_UNAVAILABLE;
	if (status != IDG_OK) {
		next(r, status == IDG_UNAVAILABLE ? IDG_UNAVAILABLE : IDG_NOTFOUND);
		return;
	}
	u = idg_directory_user(r->tenant, r->session.user_id);
	if (u == NULL && strcmp(r->session.company_id, r->company_id) == 0) {
		/*
		 * Not in this worker's snapshot yet (a user added a moment ago):
		 * no access now, but the session is kept for the next request.
		 */
		next(r, IDG_NOTFOUND);
		return;
	}
	/*
	 * A session is bound to one tenant; the cookie name alone is not proof.
	 * Times are whole seconds: a session made in the second of a cut
	 * (suspension, password change) counts as older than the cut.
	 */
	if (strcmp(r->session.company_id, r->company_id) != 0 ||
	    r->session.tenant_id != r->tenant->id || u == NULL ||
	    u->status != IDG_USER_ACTIVE || r->session.created_at <= u->sessions_not_before ||
	    (r->tenant->sec.session_lifetime_s > 0 &&
	    idg_now() - r->session.created_at >= r->tenant->sec.session_lifetime_s) ||
	    device_revoked(r)) {
		idg_session_discard(r, r->session.id);
		next(r, IDG_NOTFOUND);
		return;
	}
	r->has_session = true;
	/* SAML SSO and logout look at a pending step themselves. */
	if (r->route == IDG_R_SAML_SSO || r->route == IDG_R_SAML_SLO) {
		next(r, IDG_OK);
		return;
	}
	if ((r->session.flags & IDG_SESSION_DEVICE_PENDING) && r->route != IDG_R_DEVICE_CHECK &&
	    r->route != IDG_R_DEVICES && r->route != IDG_R_LOGOUT) {
		if (r->w->cfg->device_url[0] == '\0')
			idg_reply_error(r, "device_check_unavailable");
		else
			step_owed(r, r->w->cfg->device_url, "device");
		return;
	}
	if ((r->session.flags & IDG_SESSION_MFA_PENDING) && r->route != IDG_R_MFA &&
	    r->route != IDG_R_LOGOUT) {
		step_owed(r, "", "mfa");
		return;
	}
	next(r, IDG_OK);
}

void
idg_session_discard(struct idg_req *r, const char *id)
{
	/*
	 * Every caller discards r->session itself or the session it replaces
	 * (renewal, sign-in over an older cookie of the same tenant), so its
	 * tenant names the index entry to remove.
	 */
	if (id[0] != '\0')
		idg_session_destroy(r->w->sessions, id, r->session.tenant_id, forget, NULL);
}

static void
renewed(void *arg, int status, const struct idg_session *ns)
{
	struct idg_req *r = arg;
	idg_auth_next_fn *next = r->auth_next;
	char name[64];

	r->auth_next = NULL;
	if (status != IDG_OK || ns == NULL) {
		next(r, IDG_UNAVAILABLE);
		return;
	}
	idg_session_cookie_name(r->company_id, name, sizeof(name));
	idg_req_set_cookie(r, name, ns->id, -1);
	/* The SAML SPs the old session used stay known to the new one (logout). */
	if (r->tenant != NULL && r->tenant->saml != NULL)
		idg_saml_session_renewed(r, r->renew_old_id, ns->id);
	idg_session_discard(r, r->renew_old_id);
	next(r, IDG_OK);
}

void
idg_session_renew(struct idg_req *r, idg_auth_next_fn *next)
{
	int st;

	r->auth_next = next;
	idg_strlcpy(r->renew_old_id, r->session.id, sizeof(r->renew_old_id));
	r->session.id[0] = '\0';
	r->session.csrf[0] = '\0';
	st = idg_session_create(r->w->sessions, &r->session, renewed, r);
	if (st != IDG_PENDING)
		renewed(r, st, st == IDG_OK ? &r->session : NULL);
}

static void
got_session(void *arg, int status, const struct idg_session *s)
{
	struct idg_req *r = arg;

	if (status == IDG_OK && s != NULL)
		r->session = *s;
	check(r, status);
}

void
idg_auth_session(struct idg_req *r, idg_auth_next_fn *next)
{
	char name[64], id[IDG_SESSION_ID_LEN + 8];
	int st;

	r->auth_next = next;
	idg_session_cookie_name(r->company_id, name, sizeof(name));
	if (idg_req_cookie(r, name, id, sizeof(id)) != IDG_OK ||
	    strlen(id) != IDG_SESSION_ID_LEN) {
		check(r, IDG_NOTFOUND);
		return;
	}
	/* The tenant's own idle timeout, if it has one (tenant security settings). */
	st = idg_session_get_idle(r->w->sessions, id, r->tenant->sec.session_idle_s, &r->session,
	    got_session, r);
	if (st != IDG_PENDING)
		check(r, st);
}

bool
idg_auth_require(struct idg_req *r, int st)
{
	char loc[64];

	if (st == IDG_OK)
		return true;
	if (st == IDG_UNAVAILABLE) {
		idg_reply_error(r, "session_store_unavailable");
		return false;
	}
	snprintf(loc, sizeof(loc), "/t/%s/login", r->company_id);
	idg_reply_redirect(r, loc);
	return false;
}

const char *
idg_valid_return(struct idg_req *r, const char *ret)
{
	char prefix[64], saml[64];
	const unsigned char *p;

	if (ret == NULL || strlen(ret) >= IDG_RETURN_MAX)
		return NULL;
	snprintf(prefix, sizeof(prefix), "/oidc/%s/authorize?", r->company_id);
	snprintf(saml, sizeof(saml), "/saml/%s/resume?q=", r->company_id);
	if (strncmp(ret, prefix, strlen(prefix)) != 0 && strncmp(ret, saml, strlen(saml)) != 0)
		return NULL;
	for (p = (const unsigned char *)ret; *p != '\0'; p++)
		if (*p < 0x21 || *p > 0x7e)
			return NULL;
	return ret;
}

static int
login_mac(struct idg_req *r, const char *nonce, char *out, size_t outsz)
{
	uint8_t mac[IDG_SHA256_LEN];
	char msg[128];
	int n;

	n = snprintf(msg, sizeof(msg), "login|%s|%s", r->company_id, nonce);
	if (n < 0 || (size_t)n >= sizeof(msg) ||
	    idg_hmac_sha256(r->w->csrf_key, sizeof(r->w->csrf_key), msg, (size_t)n,
	    mac) != IDG_OK)
		return IDG_ERR;
	return idg_b64url_encode(mac, sizeof(mac), out, outsz) < 0 ? IDG_ERR : IDG_OK;
}

int
idg_csrf_login_token(struct idg_req *r, char *token, size_t tokensz)
{
	char nonce[64];

	if (idg_req_cookie(r, CSRF_COOKIE, nonce, sizeof(nonce)) != IDG_OK ||
	    strlen(nonce) != 43) {
		if (idg_random_b64url(nonce, sizeof(nonce), 32) != IDG_OK)
			return IDG_ERR;
		idg_req_set_cookie(r, CSRF_COOKIE, nonce, -1);
	}
	return login_mac(r, nonce, token, tokensz);
}

bool
idg_csrf_login_check(struct idg_req *r, const char *token)
{
	char nonce[64], want[64];

	if (token == NULL ||
	    idg_req_cookie(r, CSRF_COOKIE, nonce, sizeof(nonce)) != IDG_OK ||
	    strlen(nonce) != 43 || login_mac(r, nonce, want, sizeof(want)) != IDG_OK)
		return false;
	return idg_ct_streq(want, token);
}

bool
idg_csrf_session_check(struct idg_req *r, const char *token)
{
	return r->has_session && token != NULL && idg_ct_streq(r->session.csrf, token);
}

bool
idg_req_form_checked(struct idg_req *r, struct idg_params *f)
{
	if (idg_req_form(r, f) != IDG_OK) {
		idg_reply_error(r, "bad_request");
		return false;
	}
	if (idg_params_count(f, "csrf") != 1 ||
	    !idg_csrf_session_check(r, idg_params_get(f, "csrf"))) {
		idg_params_free(f);
		idg_reply_error(r, "csrf_invalid");
		return false;
	}
	return true;
}

struct audit_job {
	struct idg_audit_event	e;
	char			actor[300], action[48], target[300], result[48], ip[46];
};

static void
audit_work(void *ctx, void *arg)
{
	struct audit_job *j = arg;
	struct idg_store *s = idg_worker_store(ctx);

	if (s == NULL || idg_store_audit_append(s, &j->e) != IDG_OK) {
		log_error("audit event %s for %s not written", j->action, j->target);
		idg_worker_store_failed(ctx);
	}
}

static void
audit_done(void *arg)
{
	free(arg);
}

void
idg_audit_async(struct idg_req *r, int64_t tenant_id, const char *actor, const char *action,
    const char *target, const char *result)
{
	struct audit_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return;
	idg_strlcpy(j->actor, actor, sizeof(j->actor));
	idg_strlcpy(j->action, action, sizeof(j->action));
	idg_strlcpy(j->target, target != NULL ? target : "", sizeof(j->target));
	idg_strlcpy(j->result, result, sizeof(j->result));
	idg_strlcpy(j->ip, r->client_ip, sizeof(j->ip));
	j->e.tenant_id = tenant_id;
	j->e.actor = j->actor;
	j->e.action = j->action;
	j->e.target = j->target;
	j->e.result = j->result;
	j->e.ip = j->ip;
	if (idg_workpool_submit(r->w->pool, audit_work, audit_done, j) != IDG_PENDING) {
		log_error("audit event %s for %s dropped: work pool full", action, j->target);
		free(j);
	}
}
