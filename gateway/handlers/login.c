/*
 * login.c - password sign-in, sign-out and password change.
 *
 * Sign-in: CSRF check -> per-IP and per-account rate limits in Redis ->
 * on the work pool: user lookup, argon2id verify (a dummy verify for an
 * unknown e-mail, so timing does not tell whether it exists), lockout
 * bookkeeping and the audit event -> back on the loop: a new session (a new
 * id every time: no fixation) and its cookie. Every refusal shows the same
 * generic message (no user enumeration); the audit log has the real reason.
 * Nothing is accepted that cannot be recorded: if the audit write fails the
 * sign-in fails with 503.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../idp-adapters/local/password.h"
#include "../http/server.h"
#include "../http/worker_store.h"
#include "../http/workpool.h"
#include "../metering.h"
#include "../session/redis.h"
#include "../store/store.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"
#include "../web/pages.h"
#include "access.h"
#include "auth.h"
#include "handlers.h"

/* ---- the global /login: company ID first ---- */

void
idg_h_login_global(struct idg_req *r)
{
	struct idg_page_ctx pc = { r->lang, r->path, NULL };
	const char *cid = idg_params_get(&r->query, "company_id");
	char lower[64], loc[80];
	struct idg_buf b;
	int status = 200;
	const char *err = NULL;

	if (cid != NULL && cid[0] != '\0') {
		idg_strlcpy(lower, cid, sizeof(lower));
		idg_str_lower(lower);
		if (r->dir == NULL) {
			idg_reply_error(r, "store_unavailable");
			return;
		}
		if (idg_company_id_valid(lower) && idg_directory_tenant(r->dir, lower) != NULL &&
		    idg_directory_tenant(r->dir, lower)->status != IDG_TENANT_CANCELLED) {
			snprintf(loc, sizeof(loc), "/t/%s/login", lower);
			idg_reply_redirect(r, loc);
			return;
		}
		/* Unknown company: say so; company IDs are not secret (they are in URLs). */
		err = "error.tenant_not_found";
		status = 404;
	}
	idg_buf_init(&b, 256 * 1024);
	idg_page_company(&b, &pc, cid != NULL ? cid : "", err);
	idg_reply_html(r, status, &b);
}

/* ---- the sign-in form ---- */



static void
render_login(struct idg_req *r, int status, const char *email, const char *error_key,
    const char *return_to)
{
	struct idg_page_ctx pc = { r->lang, r->path, return_to };
	char token[64];
	struct idg_buf b;

	if (idg_csrf_login_token(r, token, sizeof(token)) != IDG_OK) {
		idg_reply_error(r, "internal_error");
		return;
	}
	if (error_key != NULL)
		r->error_code = error_key;
	idg_buf_init(&b, 256 * 1024);
	idg_page_login(&b, &pc, r->company_id, r->tenant->name, email, error_key, token);
	idg_reply_html(r, status, &b);
}

static void
form_next(struct idg_req *r, int st)
{
	char loc[64];

	if (st == IDG_OK) {
		snprintf(loc, sizeof(loc), "/t/%s/portal", r->company_id);
		idg_reply_redirect(r, loc);
		return;
	}
	render_login(r, 200, "", NULL, NULL);
}

void
idg_h_login_form(struct idg_req *r)
{
	const char *hint = idg_params_get(&r->query, "login_hint");
	const char *ret = idg_valid_return(r, idg_params_get(&r->query, "return"));
	char name[64], id[64];

	idg_session_cookie_name(r->company_id, name, sizeof(name));
	/*
	 * Already signed in: straight to the portal, unless an app asked for
	 * (re-)authentication and will get the user back.
	 */
	if (ret == NULL && idg_req_cookie(r, name, id, sizeof(id)) == IDG_OK) {
		idg_auth_session(r, form_next);
		return;
	}
	render_login(r, 200, hint != NULL && strlen(hint) < 255 ? hint : "", NULL, ret);
}

/* ---- sign-in submit ---- */

struct signin {
	struct idg_req	*r;
	char		 email[255];
	char		 password[1024];
	char		 old_sid[IDG_SESSION_ID_LEN + 8];
	char		 return_to[IDG_RETURN_MAX];
	int64_t		 tenant_id;
	/* results from the pool */
	int		 status;	/* IDG_OK, IDG_DECLINED, IDG_UNAVAILABLE */
	bool		 locked;
	int64_t		 user_id;
	int64_t		 not_before;	/* the user's last session cut */
	bool		 must_change;
	const char	*reason;	/* the audit result: "ok", "ok_password_expired", ... */
	bool		 mfa_pending;	/* the policy asks for the second step */
	bool		 device_pending;	/* the policy asks for the device check */
};

static void signin_recorded(void *arg, int status);

static void
signin_work(void *ctx, void *arg)
{
	struct signin *j = arg;
	struct idg_req *r = j->r;
	const struct idg_config *cfg = r->w->cfg;
	struct idg_store *s = idg_worker_store(ctx);
	struct idg_audit_event e;
	struct idg_user u;
	const char *reason = "ok";
	int64_t now = idg_now(), locked_until = 0;
	int st;

	j->status = IDG_DECLINED;
	if (s == NULL) {
		j->status = IDG_UNAVAILABLE;
		goto out;
	}
	st = idg_store_user_get_by_email(s, j->tenant_id, j->email, &u);
	if (st == IDG_NOTFOUND) {
		idg_password_verify_dummy(&cfg->argon2, j->password);
		reason = "unknown_user";
	} else if (st != IDG_OK) {
		idg_worker_store_failed(ctx);
		j->status = IDG_UNAVAILABLE;
		goto out;
	} else {
		bool match = u.password_hash[0] != '\0' &&
		    idg_password_verify(u.password_hash, j->password) == IDG_OK;

		if (u.password_hash[0] == '\0')
			idg_password_verify_dummy(&cfg->argon2, j->password);
		if (u.status != IDG_USER_ACTIVE) {
			reason = u.status == IDG_USER_SUSPENDED ? "account_suspended" :
			    "account_deleted";
		} else if (u.locked_until > now) {
			/* Locked: even the right password is refused until the lock ends. */
			reason = "account_locked";
			j->locked = true;
		} else {
			st = idg_store_user_record_signin(s, j->tenant_id, u.id, match, now,
			    cfg->signin_max_failures, cfg->signin_lockout_s, &locked_until);
			if (st == IDG_DECLINED) {
				/* Locked by an attempt that raced this one. */
				reason = "account_locked";
				j->locked = true;
			} else if (st != IDG_OK) {
				idg_worker_store_failed(ctx);
				j->status = IDG_UNAVAILABLE;
				goto out;
			} else if (match) {
				int days = r->tenant->sec.password_expiry_days;

				j->status = IDG_OK;
				j->user_id = u.id;
				j->not_before = u.sessions_not_before;
				j->must_change = u.must_change_password;
				/* Tenant password expiry: an old password must be changed now. */
				if (days > 0 && u.password_changed_at > 0 &&
				    now - u.password_changed_at > (int64_t)days * 86400) {
					j->must_change = true;
					reason = "ok_password_expired";
				}
			} else {
				reason = locked_until > now ? "invalid_password_locked" :
				    "invalid_password";
				j->locked = locked_until > now;
			}
		}
	}
	j->reason = reason;
	/* A success is recorded once the policy has let the user in (signin_done). */
	if (j->status == IDG_OK)
		goto out;
	memset(&e, 0, sizeof(e));
	e.tenant_id = j->tenant_id;
	e.actor = j->email;
	e.action = "signin.password";
	e.target = j->email;
	e.result = reason;
	e.ip = r->client_ip;
	if (idg_store_audit_append(s, &e) != IDG_OK) {
		idg_worker_store_failed(ctx);
		j->status = IDG_UNAVAILABLE;
	}
out:
	idg_wipe(j->password, sizeof(j->password));
}

static void
session_created(void *arg, int status, const struct idg_session *s)
{
	struct signin *j = arg;
	struct idg_req *r = j->r;
	char name[64], loc[64];

	r->hctx = j;	/* freed with the request */
	if (status != IDG_OK || s == NULL) {
		idg_reply_error(r, "session_store_unavailable");
		return;
	}
	idg_metrics_inc(IDG_M_SESSIONS_CREATED);
	idg_session_cookie_name(r->company_id, name, sizeof(name));
	idg_req_set_cookie(r, name, s->id, -1);
	/* The pre-sign-in session (if any) is gone: no fixation. */
	idg_session_discard(r, j->old_sid);
	if (s->flags & IDG_SESSION_DEVICE_PENDING) {
		/* The device check next, on its own listener; the app's request after it. */
		struct idg_buf dev;

		if (r->w->cfg->device_url[0] == '\0') {
			idg_reply_error(r, "device_check_unavailable");
			return;
		}
		idg_buf_init(&dev, 8192);
		idg_buf_printf(&dev, "%s/t/%s/device", r->w->cfg->device_url, r->company_id);
		if (j->return_to[0] != '\0') {
			idg_buf_adds(&dev, "?return=");
			idg_url_escape(&dev, j->return_to);
		}
		if (dev.data == NULL) {
			idg_reply_error(r, "internal_error");
			return;
		}
		idg_reply_redirect(r, dev.data);
		idg_buf_free(&dev);
		return;
	}
	if (s->flags & IDG_SESSION_MFA_PENDING) {
		/* The second factor next; the app's request resumes after it. */
		struct idg_buf mfa;

		idg_buf_init(&mfa, 4096);
		idg_buf_printf(&mfa, "/t/%s/mfa", r->company_id);
		if (j->return_to[0] != '\0') {
			idg_buf_adds(&mfa, "?return=");
			idg_url_escape(&mfa, j->return_to);
		}
		idg_reply_redirect(r, mfa.data != NULL ? mfa.data : "/");
		idg_buf_free(&mfa);
		return;
	}
	if (j->return_to[0] != '\0' && !j->must_change) {
		idg_reply_redirect(r, j->return_to);
		return;
	}
	snprintf(loc, sizeof(loc), "/t/%s/%s", r->company_id,
	    j->must_change ? "password" : "portal");
	idg_reply_redirect(r, loc);
}

static void
signin_done(void *arg)
{
	struct signin *j = arg;
	struct idg_req *r = j->r;
	struct idg_policy_decision d;
	struct idg_audit_event e;

	if (j->status == IDG_UNAVAILABLE) {
		r->hctx = j;
		idg_reply_error(r, "store_unavailable");
		return;
	}
	if (j->status != IDG_OK) {
		idg_metrics_inc(j->locked ? IDG_M_SIGNIN_LOCKED : IDG_M_SIGNIN_FAILED);
		r->hctx = j;
		render_login(r, 401, j->email, "error.invalid_credentials",
		    j->return_to[0] != '\0' ? j->return_to : NULL);
		return;
	}
	/* The tenant's access policy, now that we know who it is. */
	idg_access_decide(r, idg_directory_user(r->tenant, j->user_id), NULL, false, IDG_AMR_PWD,
	    &d);
	if (d.action == IDG_POLICY_DENY) {
		idg_metrics_inc(IDG_M_SIGNIN_FAILED);
		idg_audit_async(r, j->tenant_id, j->email, "signin.password", j->email,
		    "access_denied");
		r->hctx = j;
		idg_reply_error(r, d.reason != NULL ? d.reason : "access_denied");
		return;
	}
	j->device_pending = d.action == IDG_POLICY_REQUIRE_CERT;
	j->mfa_pending = d.action == IDG_POLICY_REQUIRE_TOTP;
	if (j->mfa_pending || j->device_pending) {
		/* Not signed in until the next step (which records the activity). */
		idg_audit_async(r, j->tenant_id, j->email, "signin.password", j->email,
		    j->device_pending ? "ok_device_pending" : "ok_mfa_pending");
		signin_recorded(j, IDG_OK);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.tenant_id = j->tenant_id;
	e.actor = j->email;
	e.action = "signin.password";
	e.target = j->email;
	e.result = j->reason;
	e.ip = r->client_ip;
	/* Nothing is accepted that cannot be recorded: the session waits for the store. */
	idg_metering_record(r, &e, j->user_id, IDG_METERING_DURABLE, signin_recorded, j);
}

static void
signin_recorded(void *arg, int status)
{
	struct signin *j = arg;
	struct idg_req *r = j->r;
	struct idg_session *s;
	int st;

	if (status != IDG_OK) {
		r->hctx = j;
		idg_reply_error(r, "store_unavailable");
		return;
	}
	idg_metrics_inc(IDG_M_SIGNIN_OK);
	s = &r->session;
	memset(s, 0, sizeof(*s));
	idg_strlcpy(s->company_id, r->company_id, sizeof(s->company_id));
	s->tenant_id = j->tenant_id;
	s->user_id = j->user_id;
	s->amr = IDG_AMR_PWD;
	s->flags = j->must_change ? IDG_SESSION_MUST_CHANGE_PASSWORD : 0;
	/*
	 * Whole seconds: a sign-in in the same second as the user's last cut
	 * (a password change, a reactivation) must still be newer than it.
	 */
	s->created_at = idg_now();
	if (s->created_at <= j->not_before)
		s->created_at = j->not_before + 1;
	if (j->device_pending)
		s->flags |= IDG_SESSION_DEVICE_PENDING;
	else if (j->mfa_pending)
		s->flags |= IDG_SESSION_MFA_PENDING;
	st = idg_session_create(r->w->sessions, s, session_created, j);
	if (st != IDG_PENDING)
		session_created(j, st, st == IDG_OK ? s : NULL);
}

static void
submit_signin(struct signin *j)
{
	struct idg_req *r = j->r;

	if (idg_workpool_submit(r->w->pool, signin_work, signin_done, j) != IDG_PENDING) {
		idg_wipe(j->password, sizeof(j->password));
		r->hctx = j;
		idg_reply_error(r, "service_unavailable");
	}
}

/*
 * Checks one rate-limit answer. When the sign-in may not go on, answers the
 * request (503, or 429 with the form again) and returns false.
 */
static bool
within_limit(struct signin *j, int status, long count, int limit, const char *reason)
{
	struct idg_req *r = j->r;

	if (status == IDG_OK && count <= limit)
		return true;
	idg_wipe(j->password, sizeof(j->password));
	r->hctx = j;
	if (status != IDG_OK) {
		idg_reply_error(r, "session_store_unavailable");
		return false;
	}
	idg_metrics_inc(IDG_M_SIGNIN_RATE_LIMITED);
	idg_audit_async(r, j->tenant_id, j->email, "signin.password", j->email, reason);
	render_login(r, 429, j->email, "error.rate_limited",
	    j->return_to[0] != '\0' ? j->return_to : NULL);
	return false;
}

static void
account_counted(void *arg, int status, long count)
{
	struct signin *j = arg;

	if (within_limit(j, status, count, j->r->w->cfg->signin_rate_account_per_min,
	    "rate_limited_account"))
		submit_signin(j);
}

static void
ip_counted(void *arg, int status, long count)
{
	struct signin *j = arg;
	struct idg_req *r = j->r;
	uint8_t h[IDG_SHA256_LEN];
	char key[128], hex[2 * IDG_SHA256_LEN + 1];
	int st;

	if (!within_limit(j, status, count, r->w->cfg->signin_rate_ip_per_min,
	    "rate_limited_ip"))
		return;
	/* The account key holds a hash: Redis never sees the e-mail address. */
	idg_sha256(j->email, strlen(j->email), h);
	idg_hex(h, 16, hex);
	snprintf(key, sizeof(key), "rl:ac:%lld:%s", (long long)j->tenant_id, hex);
	st = idg_ratelimit_hit(r->w->redis, key, 60, account_counted, j);
	if (st != IDG_PENDING)
		account_counted(j, st == IDG_OK ? IDG_ERR : st, 0);
}

void
idg_h_login_submit(struct idg_req *r)
{
	const struct idg_config *cfg = r->w->cfg;
	struct idg_params f;
	const char *email, *pw, *csrf;
	struct signin *j;
	char key[96], name[64];
	int st;

	if (idg_req_form(r, &f) != IDG_OK) {
		idg_reply_error(r, "bad_request");
		return;
	}
	email = idg_params_get(&f, "email");
	pw = idg_params_get(&f, "password");
	csrf = idg_params_get(&f, "csrf");
	if (email == NULL || pw == NULL || csrf == NULL || idg_params_count(&f, "email") > 1 ||
	    idg_params_count(&f, "password") > 1 || idg_params_count(&f, "csrf") > 1) {
		idg_params_free(&f);
		idg_reply_error(r, "bad_request");
		return;
	}
	if (!idg_csrf_login_check(r, csrf)) {
		idg_params_free(&f);
		idg_reply_error(r, "csrf_invalid");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		idg_params_free(&f);
		idg_reply_error(r, "internal_error");
		return;
	}
	j->r = r;
	j->tenant_id = r->tenant->id;
	idg_strlcpy(j->email, email, sizeof(j->email));
	idg_str_lower(j->email);
	if (strlen(email) >= sizeof(j->email) || strlen(pw) >= sizeof(j->password) ||
	    (int)strlen(pw) > cfg->password_policy.max_length || email[0] == '\0' ||
	    pw[0] == '\0') {
		/* Cannot match any account: same generic answer. */
		idg_params_free(&f);
		r->hctx = j;
		render_login(r, 401, j->email, "error.invalid_credentials", NULL);
		return;
	}
	if (idg_valid_return(r, idg_params_get(&f, "return")) != NULL)
		idg_strlcpy(j->return_to, idg_params_get(&f, "return"), sizeof(j->return_to));
	idg_strlcpy(j->password, pw, sizeof(j->password));
	idg_wipe((char *)pw, strlen(pw));
	idg_params_free(&f);
	idg_session_cookie_name(r->company_id, name, sizeof(name));
	if (idg_req_cookie(r, name, j->old_sid, sizeof(j->old_sid)) != IDG_OK)
		j->old_sid[0] = '\0';

	snprintf(key, sizeof(key), "rl:ip:%s", r->client_ip);
	st = idg_ratelimit_hit(r->w->redis, key, 60, ip_counted, j);
	if (st != IDG_PENDING)
		ip_counted(j, st == IDG_OK ? IDG_ERR : st, 0);
}

/* ---- sign-out ---- */

static void
logout_destroyed(void *arg, int status, const struct idg_session *s)
{
	struct idg_req *r = arg;
	char name[64], loc[64];

	if (status != IDG_OK) {
		idg_reply_error(r, "session_store_unavailable");
		return;
	}
	idg_session_cookie_name(r->company_id, name, sizeof(name));
	idg_req_set_cookie(r, name, "", 0);
	snprintf(loc, sizeof(loc), "/t/%s/login", r->company_id);
	idg_reply_redirect(r, loc);
}

static void
logout_next(struct idg_req *r, int st)
{
	struct idg_params f;
	const struct idg_dir_user *u;

	if (!idg_auth_require(r, st))
		return;
	if (!idg_req_form_checked(r, &f))
		return;
	idg_params_free(&f);
	if (r->tenant->saml != NULL) {
		/* The SPs this session used are told too (single logout). */
		idg_saml_portal_logout(r);
		return;
	}
	u = idg_directory_user(r->tenant, r->session.user_id);
	idg_audit_async(r, r->tenant->id, u->email, "signout", u->email, "ok");
	st = idg_session_destroy(r->w->sessions, r->session.id, r->session.tenant_id,
	    logout_destroyed, r);
	if (st != IDG_PENDING)
		logout_destroyed(r, st, NULL);
}

void
idg_h_logout(struct idg_req *r)
{
	idg_auth_session(r, logout_next);
}

/* ---- password change ---- */

static void
render_password(struct idg_req *r, int status, const char *error_key)
{
	struct idg_page_ctx pc = { r->lang, r->path, NULL };
	struct idg_buf b;

	if (error_key != NULL)
		r->error_code = error_key;
	idg_buf_init(&b, 256 * 1024);
	idg_page_password(&b, &pc, r->company_id,
	    (r->session.flags & IDG_SESSION_MUST_CHANGE_PASSWORD) != 0, error_key,
	    r->session.csrf);
	idg_reply_html(r, status, &b);
}

static void
password_form_next(struct idg_req *r, int st)
{

	if (!idg_auth_require(r, st))
		return;
	render_password(r, 200, NULL);
}

void
idg_h_password_form(struct idg_req *r)
{
	idg_auth_session(r, password_form_next);
}

struct pwchange {
	struct idg_req	*r;
	char		 current[1024];
	char		 next[1024];
	int		 status;	/* IDG_OK, IDG_DECLINED (wrong current), IDG_UNAVAILABLE */
};

static void
pwchange_work(void *ctx, void *arg)
{
	struct pwchange *j = arg;
	struct idg_req *r = j->r;
	struct idg_store *s = idg_worker_store(ctx);
	char hash[IDG_PASSWORD_HASH_MAX];
	struct idg_audit_event e;
	struct idg_user u;
	int st;

	j->status = IDG_UNAVAILABLE;
	if (s == NULL)
		goto out;
	if ((st = idg_store_user_get(s, r->session.tenant_id, r->session.user_id, &u)) != IDG_OK) {
		idg_worker_store_failed(ctx);
		goto out;
	}
	if (u.password_hash[0] == '\0' ||
	    idg_password_verify(u.password_hash, j->current) != IDG_OK) {
		j->status = IDG_DECLINED;
	} else if (idg_password_hash(&r->w->cfg->argon2, j->next, hash, sizeof(hash)) != IDG_OK ||
	    idg_store_user_set_password(s, u.tenant_id, u.id, hash, false) != IDG_OK) {
		idg_worker_store_failed(ctx);
		goto out;
	} else {
		j->status = IDG_OK;
	}
	memset(&e, 0, sizeof(e));
	e.tenant_id = u.tenant_id;
	e.actor = u.email;
	e.action = "user.password_change";
	e.target = u.email;
	e.result = j->status == IDG_OK ? "ok" : "invalid_current_password";
	e.ip = r->client_ip;
	if (idg_store_audit_append(s, &e) != IDG_OK)
		log_error("audit event user.password_change not written");
out:
	idg_wipe(j->current, sizeof(j->current));
	idg_wipe(j->next, sizeof(j->next));
}

static void
pwchange_renewed(struct idg_req *r, int st)
{
	char loc[64];

	if (st != IDG_OK) {
		idg_reply_error(r, "session_store_unavailable");
		return;
	}
	snprintf(loc, sizeof(loc), "/t/%s/portal", r->company_id);
	idg_reply_redirect(r, loc);
}

static void
pwchange_done(void *arg)
{
	struct pwchange *j = arg;
	struct idg_req *r = j->r;

	r->hctx = j;
	if (j->status == IDG_UNAVAILABLE) {
		idg_reply_error(r, "store_unavailable");
		return;
	}
	if (j->status != IDG_OK) {
		render_password(r, 400, "error.current_password_incorrect");
		return;
	}
	/*
	 * The store ended every session of the user (other browsers included);
	 * this browser gets a new one, with a new id, just authenticated.
	 */
	r->session.flags &= ~IDG_SESSION_MUST_CHANGE_PASSWORD;
	/* Past the cut the store just made (see idg_auth_session: whole seconds). */
	r->session.created_at = idg_now() + 1;
	r->session.auth_time = idg_now();
	idg_session_renew(r, pwchange_renewed);
}

static void
pwchange_counted(void *arg, int status, long count)
{
	struct pwchange *j = arg;
	struct idg_req *r = j->r;

	if (status != IDG_OK || count > r->w->cfg->signin_rate_account_per_min) {
		idg_wipe(j, sizeof(*j));
		r->hctx = j;
		if (status != IDG_OK)
			idg_reply_error(r, "session_store_unavailable");
		else
			render_password(r, 429, "error.rate_limited");
		return;
	}
	if (idg_workpool_submit(r->w->pool, pwchange_work, pwchange_done, j) != IDG_PENDING) {
		idg_wipe(j, sizeof(*j));
		r->hctx = j;
		idg_reply_error(r, "service_unavailable");
	}
}

static void
password_submit_next(struct idg_req *r, int st)
{
	struct idg_params f;
	const char *cur, *nw, *conf, *code = NULL;
	struct idg_password_policy pol;
	struct pwchange *j;
	char key[96];

	if (!idg_auth_require(r, st))
		return;
	if (!idg_req_form_checked(r, &f))
		return;
	cur = idg_params_get(&f, "current_password");
	nw = idg_params_get(&f, "new_password");
	conf = idg_params_get(&f, "new_password_confirm");
	if (cur == NULL || nw == NULL || conf == NULL) {
		idg_params_free(&f);
		idg_reply_error(r, "bad_request");
		return;
	}
	if (strcmp(nw, conf) != 0) {
		idg_params_free(&f);
		render_password(r, 400, "error.password_mismatch");
		return;
	}
	pol = r->w->cfg->password_policy;
	if (r->tenant->sec.password_min_length > 0)
		pol.min_length = r->tenant->sec.password_min_length;
	if (idg_password_policy_check(&pol, nw, &code) != IDG_OK) {
		idg_params_free(&f);
		render_password(r, 400, "error.password_policy");
		return;
	}
	if (strlen(cur) >= sizeof(j->current) || (j = calloc(1, sizeof(*j))) == NULL) {
		idg_params_free(&f);
		render_password(r, 400, "error.current_password_incorrect");
		return;
	}
	j->r = r;
	idg_strlcpy(j->current, cur, sizeof(j->current));
	idg_strlcpy(j->next, nw, sizeof(j->next));
	idg_wipe((char *)cur, strlen(cur));
	idg_wipe((char *)nw, strlen(nw));
	idg_wipe((char *)conf, strlen(conf));
	idg_params_free(&f);
	/* Guessing the current password from a stolen session is rate-limited too. */
	snprintf(key, sizeof(key), "rl:pw:%lld:%lld", (long long)r->session.tenant_id,
	    (long long)r->session.user_id);
	st = idg_ratelimit_hit(r->w->redis, key, 60, pwchange_counted, j);
	if (st != IDG_PENDING)
		pwchange_counted(j, st == IDG_OK ? IDG_ERR : st, 0);
}

void
idg_h_password_submit(struct idg_req *r)
{
	idg_auth_session(r, password_submit_next);
}
