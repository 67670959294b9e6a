/*
 * mfa.c - the second sign-in step: /t/{company_id}/mfa shows the code form
 * (or, for a user without an authenticator yet, the enrolment page with a
 * QR code), and checks the code (RFC 6238 TOTP, +-1 step) or a recovery
 * code on the work pool.
 *
 * Rules: a time step is accepted once per user (the store records the last
 * one: a replayed code is refused within its window); attempts are
 * rate-limited per user in Redis; success replaces the session (new id,
 * "otp" added to its methods); the TOTP secret is sealed with the master key
 * at rest and recovery codes are kept as hashes, shown once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../idp-adapters/local/totp.h"
#include "../http/server.h"
#include "../http/worker_store.h"
#include "../http/workpool.h"
#include "../session/redis.h"
#include "../store/store.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/log.h"
#include "../util/seal.h"
#include "../util/status.h"
#include "../util/str.h"
#include "../web/pages.h"
#include "../web/qr.h"
#include "auth.h"
#include "handlers.h"

#define SEAL_INFO "idgate totp v1"

struct mfa_job {
	struct idg_req	*r;
	int64_t		 tenant_id, user_id;
	char		 email[255];
	char		 code[32];
	char		 return_to[IDG_RETURN_MAX];
	bool		 verify;	/* POST: check a code; GET: prepare the page */
	/* results */
	int		 status;	/* IDG_OK, IDG_DECLINED (bad code), IDG_UNAVAILABLE */
	bool		 enrol;		/* the user has no confirmed authenticator */
	char		 key_b32[64];
	char		 uri[512];
	char		 codes[IDG_RECOVERY_CODES][16];
	int		 ncodes;	/* recovery codes made now (enrolment done) */
};

static void
aad_of(int64_t tenant_id, int64_t user_id, char *out, size_t outsz)
{
	snprintf(out, outsz, "%lld:%lld", (long long)tenant_id, (long long)user_id);
}


/* Pool: the user's authenticator, or a fresh unconfirmed one to enrol. */
static int
secret_of(struct idg_store *s, struct mfa_job *j, const uint8_t master[32],
    struct idg_user_mfa *m, uint8_t secret[IDG_TOTP_SECRET_LEN])
{
	char aad[64], *sealed = NULL;
	size_t n = 0;
	int st;

	aad_of(j->tenant_id, j->user_id, aad, sizeof(aad));
	st = idg_store_mfa_get(s, j->tenant_id, j->user_id, m);
	if (st == IDG_OK && (m->confirmed || j->verify)) {
		j->enrol = !m->confirmed;
		if (idg_unseal(master, SEAL_INFO, aad, m->totp_sealed, secret,
		    IDG_TOTP_SECRET_LEN, &n) != IDG_OK || n != IDG_TOTP_SECRET_LEN) {
			log_error("TOTP secret of user %lld cannot be opened", (long long)j->user_id);
			return IDG_ERR;
		}
		return IDG_OK;
	}
	if (st != IDG_OK && st != IDG_NOTFOUND)
		return st;
	if (j->verify)
		return IDG_NOTFOUND;	/* nothing to check against: show the page again */
	/* Enrolment: a new secret each time the page is shown, until confirmed. */
	j->enrol = true;
	if (idg_totp_secret_new(secret) != IDG_OK ||
	    idg_seal(master, SEAL_INFO, aad, secret, IDG_TOTP_SECRET_LEN, &sealed) != IDG_OK)
		return IDG_ERR;
	st = idg_store_mfa_begin(s, j->tenant_id, j->user_id, sealed);
	free(sealed);
	return st;
}

static void
mfa_work(void *ctx, void *arg)
{
	struct mfa_job *j = arg;
	const struct idg_config *cfg = j->r->w->cfg;
	struct idg_store *s = idg_worker_store(ctx);
	uint8_t secret[IDG_TOTP_SECRET_LEN];
	struct idg_audit_event e;
	struct idg_user_mfa m;
	const char *result = "ok";
	int64_t step = 0;
	int st;

	j->status = IDG_UNAVAILABLE;
	if (s == NULL)
		return;
	memset(&m, 0, sizeof(m));
	st = secret_of(s, j, cfg->master_key, &m, secret);
	if (st == IDG_NOTFOUND) {
		j->status = IDG_DECLINED;
		return;
	}
	if (st != IDG_OK) {
		idg_worker_store_failed(ctx);
		goto out;
	}
	idg_totp_base32(secret, sizeof(secret), j->key_b32, sizeof(j->key_b32));
	idg_totp_uri(j->r->tenant->name[0] != '\0' ? j->r->tenant->name : j->r->company_id,
	    j->email, j->key_b32, j->uri, sizeof(j->uri));
	if (!j->verify) {
		j->status = IDG_OK;
		goto out;
	}
	j->status = IDG_DECLINED;
	if (idg_totp_verify(secret, sizeof(secret), j->code, idg_now(), 1, &step) ==
	    IDG_OK) {
		if (j->enrol) {
			char hashes[IDG_RECOVERY_CODES][65];

			if (idg_recovery_codes_new(j->codes, hashes) != IDG_OK ||
			    idg_store_mfa_confirm(s, j->tenant_id, j->user_id, step,
			    (const char (*)[65])hashes, IDG_RECOVERY_CODES) != IDG_OK) {
				j->status = IDG_UNAVAILABLE;
				goto out;
			}
			j->ncodes = IDG_RECOVERY_CODES;
			j->status = IDG_OK;
			result = "enrolled";
		} else {
			/* RFC 6238 5.2: a code is good once; the store keeps the last step. */
			st = idg_store_mfa_use_step(s, j->tenant_id, j->user_id, step);
			j->status = st == IDG_OK ? IDG_OK : st == IDG_DECLINED ? IDG_DECLINED :
			    IDG_UNAVAILABLE;
			result = st == IDG_DECLINED ? "totp_replayed" : "ok";
		}
	} else if (!j->enrol) {
		char hash[65];

		if (idg_recovery_code_hash(j->code, hash) == IDG_OK &&
		    idg_store_mfa_use_recovery(s, j->tenant_id, j->user_id, hash) == IDG_OK) {
			j->status = IDG_OK;
			result = "recovery_code";
		} else {
			result = "invalid_code";
		}
	} else {
		result = "invalid_code";
	}
	memset(&e, 0, sizeof(e));
	e.tenant_id = j->tenant_id;
	e.actor = j->email;
	e.action = j->enrol ? "mfa.enrol" : "mfa.verify";
	e.target = j->email;
	e.result = result;
	e.ip = j->r->client_ip;
	/* The second step completes a sign-in: the user is active (metering.h). */
	if (j->status == IDG_OK && (j->r->session.flags & IDG_SESSION_MFA_PENDING) != 0)
		e.active_user_id = j->user_id;
	if (idg_store_audit_append(s, &e) != IDG_OK) {
		/* Nothing is accepted that cannot be recorded. */
		idg_worker_store_failed(ctx);
		j->status = IDG_UNAVAILABLE;
	}
out:
	idg_wipe(secret, sizeof(secret));
	idg_wipe(j->code, sizeof(j->code));
}

static void
render(struct idg_req *r, struct mfa_job *j, int status, const char *error_key)
{
	struct idg_page_ctx pc = { r->lang, r->path, NULL };
	struct idg_mfa_page m;
	struct idg_buf b;
	char *svg = NULL;

	memset(&m, 0, sizeof(m));
	m.company_id = r->company_id;
	m.enrol = j->enrol;
	m.error_key = error_key;
	m.csrf = r->session.csrf;
	m.return_to = j->return_to[0] != '\0' ? j->return_to : NULL;
	if (j->enrol) {
		svg = idg_qr_svg(j->uri, 4);
		m.qr_svg = svg;
		m.manual_key = j->key_b32;
	}
	idg_buf_init(&b, 256 * 1024);
	if ((j->enrol && svg == NULL) || idg_page_mfa(&b, &pc, &m) != IDG_OK) {
		free(svg);
		idg_buf_free(&b);
		idg_reply_error(r, "internal_error");
		return;
	}
	free(svg);
	if (error_key != NULL)
		r->error_code = error_key;
	idg_reply_html(r, status, &b);
}

static void
renewed(struct idg_req *r, int st)
{
	struct mfa_job *j = r->hctx;
	struct idg_page_ctx pc = { r->lang, r->path, NULL };
	const char *codes[IDG_RECOVERY_CODES];
	char loc[IDG_RETURN_MAX + 64];
	struct idg_buf b;
	int i;

	if (st != IDG_OK) {
		idg_reply_error(r, "session_store_unavailable");
		return;
	}
	if (j->return_to[0] != '\0')
		idg_strlcpy(loc, j->return_to, sizeof(loc));
	else
		snprintf(loc, sizeof(loc), "/t/%s/portal", r->company_id);
	if (j->ncodes == 0) {
		idg_reply_redirect(r, loc);
		return;
	}
	/* Enrolment done: the recovery codes, this once. */
	for (i = 0; i < j->ncodes; i++)
		codes[i] = j->codes[i];
	idg_buf_init(&b, 64 * 1024);
	idg_page_recovery_codes(&b, &pc, codes, (size_t)j->ncodes, loc);
	idg_wipe(j->codes, sizeof(j->codes));
	idg_reply_html(r, 200, &b);
}

static void
mfa_done(void *arg)
{
	struct mfa_job *j = arg;
	struct idg_req *r = j->r;

	r->hctx = j;
	if (j->status == IDG_UNAVAILABLE) {
		idg_reply_error(r, "store_unavailable");
		return;
	}
	if (!j->verify) {
		render(r, j, 200, NULL);
		return;
	}
	if (j->status != IDG_OK) {
		render(r, j, 401, "error.mfa_invalid_code");
		return;
	}
	/* Privilege changes: a new session id, the second factor recorded. */
	r->session.flags &= ~IDG_SESSION_MFA_PENDING;
	r->session.amr |= IDG_AMR_OTP;
	r->session.auth_time = idg_now();
	idg_session_renew(r, renewed);
}

static void
submit(struct idg_req *r, struct mfa_job *j)
{
	const struct idg_dir_user *u = idg_directory_user(r->tenant, r->session.user_id);

	j->r = r;
	j->tenant_id = r->session.tenant_id;
	j->user_id = r->session.user_id;
	idg_strlcpy(j->email, u != NULL ? u->email : "", sizeof(j->email));
	if (idg_workpool_submit(r->w->pool, mfa_work, mfa_done, j) != IDG_PENDING) {
		idg_wipe(j, sizeof(*j));
		r->hctx = j;
		idg_reply_error(r, "service_unavailable");
	}
}

static void
get_next(struct idg_req *r, int st)
{
	struct mfa_job *j;
	const char *ret;

	if (!idg_auth_require(r, st))
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		idg_reply_error(r, "internal_error");
		return;
	}
	if ((ret = idg_valid_return(r, idg_params_get(&r->query, "return"))) != NULL)
		idg_strlcpy(j->return_to, ret, sizeof(j->return_to));
	submit(r, j);
}

void
idg_h_mfa_form(struct idg_req *r)
{
	idg_auth_session(r, get_next);
}

static void
counted(void *arg, int status, long count)
{
	struct mfa_job *j = arg;
	struct idg_req *r = j->r;

	if (status != IDG_OK) {
		idg_wipe(j, sizeof(*j));
		r->hctx = j;
		idg_reply_error(r, "session_store_unavailable");
		return;
	}
	/* Six digits are guessable: a few tries a minute per user, then 429. */
	if (count > r->w->cfg->signin_rate_account_per_min) {
		idg_wipe(j, sizeof(*j));
		r->hctx = j;
		idg_reply_error(r, "rate_limited");
		return;
	}
	submit(r, j);
}

static void
post_next(struct idg_req *r, int st)
{
	struct idg_params f;
	struct mfa_job *j;
	const char *code, *ret;
	char key[96];

	if (!idg_auth_require(r, st))
		return;
	if (!idg_req_form_checked(r, &f))
		return;
	code = idg_params_get(&f, "code");
	if (code == NULL || idg_params_count(&f, "code") != 1 || strlen(code) >= 32 ||
	    (j = calloc(1, sizeof(*j))) == NULL) {
		idg_params_free(&f);
		idg_reply_error(r, "bad_request");
		return;
	}
	j->verify = true;
	j->r = r;
	idg_strlcpy(j->code, code, sizeof(j->code));
	if ((ret = idg_valid_return(r, idg_params_get(&f, "return"))) != NULL)
		idg_strlcpy(j->return_to, ret, sizeof(j->return_to));
	idg_params_free(&f);
	snprintf(key, sizeof(key), "rl:mfa:%lld:%lld", (long long)r->session.tenant_id,
	    (long long)r->session.user_id);
	st = idg_ratelimit_hit(r->w->redis, key, 60, counted, j);
	if (st != IDG_PENDING)
		counted(j, st == IDG_OK ? IDG_ERR : st, 0);
}

void
idg_h_mfa_submit(struct idg_req *r)
{
	idg_auth_session(r, post_next);
}
