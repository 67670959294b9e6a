/*
 * device.c - the device-certificate option on the web:
 *
 *  - the device check, GET /t/{id}/device on the listener that requests
 *    client certificates: the presented certificate is verified here, in
 *    application code, against the tenant's CA (signature, validity, EKU,
 *    our URN), then against the store (known, not revoked, the signed-in
 *    user's). It is a sign-in step (IDG_SESSION_DEVICE_PENDING) or a
 *    step-up for an app that requires it; success renews the session with
 *    "cert" in its methods and the device's serial and name.
 *  - the user's devices, /t/{id}/devices: list, revoke, enrol this device
 *    (the server makes the key and hands out a PKCS#12 with a one-time
 *    password, downloaded once from /t/{id}/devices/download), and
 *    enrolment tokens for the `idgate enroll` tool.
 *  - /certs/{id}/crl (DER CRL), /certs/{id}/ca (the CA certificate, PEM) and
 *    POST /certs/{id}/enroll (the enrolment API: a CSR and a token).
 *
 * Redis keys (values never hold a secret in clear that outlives its use):
 *   et:<sha256(token)>  an enrolment token: "tenant:user", 10 min, GETDEL
 *   dl:<sha256(id)>     a PKCS#12 waiting for its download: 8-byte user id
 *                       then the file, 5 min, GETDEL
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "../../certs/devcert.h"
#include "../devices.h"
#include "../directory.h"
#include "../http/server.h"
#include "../http/worker_store.h"
#include "../http/workpool.h"
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

#define TOKEN_TTL_S	600
#define DOWNLOAD_TTL_S	300
#define MAX_LISTED	64
#define CSR_MAX		16384

/* ---- shared bits ---- */

/* "et:" or "dl:" and the hex SHA-256 of a secret. */
static void
secret_key(const char *prefix, const char *secret, char *out, size_t outsz)
{
	uint8_t h[IDG_SHA256_LEN];
	char hex[2 * IDG_SHA256_LEN + 1];

	idg_sha256(secret, strlen(secret), h);
	idg_hex(h, sizeof(h), hex);
	snprintf(out, outsz, "%s:%s", prefix, hex);
}

/* 303 to base (public_url or device_url, from the configuration) + path. */
static void
redirect_abs(struct idg_req *r, const char *base, const char *path)
{
	struct idg_buf loc;

	idg_buf_init(&loc, 8192);
	idg_buf_printf(&loc, "%s%s", base, path);
	if (loc.data == NULL) {
		idg_reply_error(r, "internal_error");
		return;
	}
	idg_reply_redirect(r, loc.data);
	idg_buf_free(&loc);
}

/* "YYYY-MM-DD" of a unix time, JST (what the tenant's people read). */
static void
jst_day(int64_t t, char out[11])
{
	time_t x = (time_t)(t + 9 * 3600);
	struct tm tm;

	if (gmtime_r(&x, &tm) == NULL || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		idg_strlcpy(out, "?", 11);
}

/* The client certificate presented on r's connection (borrowed), or NULL. */
static X509 *
peer_cert(struct idg_req *r)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(r->ev);
	struct bufferevent *bev = conn != NULL ? evhttp_connection_get_bufferevent(conn) : NULL;
	SSL *ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;

	return ssl != NULL ? SSL_get0_peer_certificate(ssl) : NULL;
}

/* ---- the device check ---- */

struct check_job {
	struct idg_req			*r;
	struct idg_devcert_presented	 p;
	int64_t				 tenant_id, user_id;
	char				 email[255];
	char				 return_to[IDG_RETURN_MAX];
	bool				 completes;	/* this finishes a sign-in */
	bool				 then_totp;	/* the policy wants TOTP next */
	/* results */
	int				 status;	/* IDG_OK, IDG_DECLINED, IDG_UNAVAILABLE */
	const char			*code;		/* refusal: device_cert_* */
};

static void
check_work(void *ctx, void *arg)
{
	struct check_job *j = arg;
	struct idg_store *s = idg_worker_store(ctx);
	struct idg_audit_event e;
	struct idg_devcert c;
	int st;

	if (s == NULL) {
		j->status = IDG_UNAVAILABLE;
		return;
	}
	j->status = IDG_DECLINED;
	st = idg_store_devcert_get(s, j->tenant_id, j->p.serial, &c);
	if (st == IDG_NOTFOUND)
		j->code = "device_cert_unknown";
	else if (st != IDG_OK) {
		idg_worker_store_failed(ctx);
		j->status = IDG_UNAVAILABLE;
		return;
	} else if (c.status == IDG_DEVCERT_REVOKED)
		j->code = "device_cert_revoked";
	else if (c.user_id != j->user_id || j->p.user_id != j->user_id)
		j->code = "device_cert_other_user";
	else {
		j->status = IDG_OK;
		j->code = "ok";
		idg_strlcpy(j->p.device_name, c.device_name, sizeof(j->p.device_name));
	}
	memset(&e, 0, sizeof(e));
	e.tenant_id = j->tenant_id;
	e.actor = j->email;
	e.action = "signin.device";
	e.target = j->p.serial;
	e.result = j->code;
	e.ip = j->r->client_ip;
	e.detail = j->status == IDG_OK ? c.device_name : NULL;
	/* The check completes a sign-in: the user is active this month (metering.h). */
	if (j->status == IDG_OK && j->completes && !j->then_totp)
		e.active_user_id = j->user_id;
	if (idg_store_audit_append(s, &e) != IDG_OK) {
		/* Nothing is accepted that cannot be recorded. */
		idg_worker_store_failed(ctx);
		j->status = IDG_UNAVAILABLE;
	}
}

static void
refuse(struct idg_req *r, const char *code, bool may_enrol)
{
	struct idg_page_ctx pc = { r->lang, r->path, NULL };
	char devices[600], retry[600];
	struct idg_buf b;

	snprintf(devices, sizeof(devices), "%s/t/%s/devices", r->w->cfg->public_url,
	    r->company_id);
	snprintf(retry, sizeof(retry), "%s/t/%s/device", r->w->cfg->device_url, r->company_id);
	r->error_code = code;
	idg_buf_init(&b, 64 * 1024);
	if (idg_page_device_refused(&b, &pc, r->company_id, code, may_enrol ? devices : NULL,
	    retry) != IDG_OK) {
		idg_buf_free(&b);
		idg_reply_error(r, "internal_error");
		return;
	}
	idg_reply_html(r, 403, &b);
}

static void
check_renewed(struct idg_req *r, int st)
{
	struct check_job *j = r->hctx;
	struct idg_buf path;

	if (st != IDG_OK) {
		idg_reply_error(r, "session_store_unavailable");
		return;
	}
	idg_buf_init(&path, 8192);
	if (j->then_totp) {
		idg_buf_printf(&path, "/t/%s/mfa", r->company_id);
		if (j->return_to[0] != '\0') {
			idg_buf_adds(&path, "?return=");
			idg_url_escape(&path, j->return_to);
		}
	} else if (j->return_to[0] != '\0')
		idg_buf_adds(&path, j->return_to);
	else
		idg_buf_printf(&path, "/t/%s/portal", r->company_id);
	redirect_abs(r, r->w->cfg->public_url, path.data != NULL ? path.data : "/");
	idg_buf_free(&path);
}

static void
check_done(void *arg)
{
	struct check_job *j = arg;
	struct idg_req *r = j->r;

	r->hctx = j;
	if (j->status == IDG_UNAVAILABLE) {
		idg_reply_error(r, "store_unavailable");
		return;
	}
	if (j->status != IDG_OK) {
		idg_metrics_inc(IDG_M_SIGNIN_FAILED);
		refuse(r, j->code, (r->session.flags & IDG_SESSION_DEVICE_PENDING) != 0);
		return;
	}
	/* Privilege change: a new session id, the device recorded in it. */
	r->session.flags &= ~IDG_SESSION_DEVICE_PENDING;
	if (j->then_totp)
		r->session.flags |= IDG_SESSION_MFA_PENDING;
	else if (j->completes)
		idg_metrics_inc(IDG_M_SIGNIN_OK);
	r->session.amr |= IDG_AMR_CERT;
	r->session.auth_time = idg_now();
	idg_strlcpy(r->session.device_serial, j->p.serial, sizeof(r->session.device_serial));
	idg_strlcpy(r->session.device_name, j->p.device_name, sizeof(r->session.device_name));
	idg_session_renew(r, check_renewed);
}

static void
check_session(struct idg_req *r, int st)
{
	const struct idg_dir_user *u;
	struct idg_policy_decision d;
	struct check_job *j;
	const char *ret;
	int rc;

	if (st == IDG_UNAVAILABLE) {
		idg_reply_error(r, "session_store_unavailable");
		return;
	}
	if (st != IDG_OK) {
		/* Not signed in: the sign-in page, on the main listener. */
		char path[64];

		snprintf(path, sizeof(path), "/t/%s/login", r->company_id);
		redirect_abs(r, r->w->cfg->public_url, path);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		idg_reply_error(r, "internal_error");
		return;
	}
	r->hctx = j;
	j->r = r;
	j->tenant_id = r->tenant->id;
	j->user_id = r->session.user_id;
	j->completes = (r->session.flags & IDG_SESSION_DEVICE_PENDING) != 0;
	u = idg_directory_user(r->tenant, r->session.user_id);
	idg_strlcpy(j->email, u != NULL ? u->email : "", sizeof(j->email));
	if ((ret = idg_valid_return(r, idg_params_get(&r->query, "return"))) != NULL)
		idg_strlcpy(j->return_to, ret, sizeof(j->return_to));
	if (r->tenant->ca == NULL) {
		idg_audit_async(r, j->tenant_id, j->email, "signin.device", "", "device_ca_missing");
		refuse(r, "device_ca_missing", false);
		return;
	}
	rc = idg_devcert_verify_x509(r->tenant->ca, peer_cert(r), idg_now(), &j->p);
	if (rc != IDG_DEVCERT_OK) {
		idg_metrics_inc(IDG_M_SIGNIN_FAILED);
		idg_audit_async(r, j->tenant_id, j->email, "signin.device", j->p.serial,
		    idg_devcert_check_code(rc));
		refuse(r, idg_devcert_check_code(rc), j->completes);
		return;
	}
	/* What the policy wants once the certificate is in (it may still want TOTP). */
	idg_access_decide(r, u, NULL, false, r->session.amr | IDG_AMR_CERT, &d);
	if (d.action == IDG_POLICY_DENY) {
		idg_reply_error(r, d.reason != NULL ? d.reason : "access_denied");
		return;
	}
	j->then_totp = j->completes && d.action == IDG_POLICY_REQUIRE_TOTP;
	if (idg_workpool_submit(r->w->pool, check_work, check_done, j) != IDG_PENDING)
		idg_reply_error(r, "service_unavailable");
	else
		r->hctx = NULL;
}

void
idg_h_device_check(struct idg_req *r)
{
	idg_auth_session(r, check_session);
}

/* ---- the user's devices ---- */

enum dev_action { A_SHOW, A_REVOKE, A_ENROL, A_TOKEN };

struct dev_job {
	struct idg_req		*r;
	enum dev_action		 action;
	int64_t			 tenant_id, user_id;
	char			 company_id[33];
	char			 email[255];
	char			 serial[33];
	char			 device_name[65];
	bool			 legacy;
	bool			 pending;	/* the session owes the device check */
	bool			 licensed;
	bool			 approval;
	/* results */
	int			 status;
	const char		*error_key;
	const char		*notice_key;
	struct idg_devcert	 rows[MAX_LISTED];
	int			 nrows;
	int			 valid;
	char			 otp[24];
	uint8_t			*p12;		/* 8-byte user id, then the PKCS#12 */
	size_t			 p12_len;
	char			 download_id[48];
	char			 token[48];
};

static int
collect(void *arg, const struct idg_devcert *c)
{
	struct dev_job *j = arg;

	if (j->nrows == MAX_LISTED)
		return 1;
	j->rows[j->nrows++] = *c;
	return 0;
}

/* Issues a key and certificate for this browser's device as a PKCS#12. */
static void
enrol(struct dev_job *j, struct idg_store *s, const struct idg_config *cfg, int64_t now)
{
	struct idg_devices_req req = { j->user_id, j->device_name, "", "", "portal" };
	struct idg_devcert_issued issued;
	struct idg_devcert rec;
	struct idg_audit_event e;
	struct idg_ca *ca = NULL;
	EVP_PKEY *key = NULL;
	uint8_t *p12 = NULL;
	size_t n = 0;
	int why = 0, valid = 0, st, i;

	if (j->device_name[0] == '\0' || !idg_utf8_text_valid(j->device_name)) {
		j->error_key = "error.bad_request";
		return;
	}
	if (idg_devcert_keygen(&key) != IDG_OK) {
		j->status = IDG_ERR;
		return;
	}
	st = idg_devices_issue(s, cfg->master_key, j->tenant_id, j->company_id, &req, key, now,
	    &rec, &issued, &why, &valid);
	memset(&e, 0, sizeof(e));
	e.tenant_id = j->tenant_id;
	e.actor = j->email;
	e.action = "device.issue";
	e.target = st == IDG_OK ? rec.serial : j->email;
	e.result = st == IDG_OK ? "ok" : st == IDG_DECLINED ? idg_devices_refusal_code(why) :
	    "error";
	e.detail = "portal";
	idg_store_audit_append(s, &e);
	if (st == IDG_DECLINED) {
		j->error_key = why == IDG_DEVREF_LIMIT ? "error.device_certificate_limit" :
		    "error.device_license_required";
		goto out;
	}
	if (st != IDG_OK || idg_devices_ca(s, cfg->master_key, j->tenant_id, j->company_id,
	    IDG_CA_EC_P256, now, &ca) != IDG_OK ||
	    idg_devcert_otp(j->otp, sizeof(j->otp)) != IDG_OK ||
	    idg_devcert_pkcs12(key, issued.der, issued.der_len, ca, j->device_name, j->otp,
	    j->legacy, &p12, &n) != IDG_OK) {
		j->status = IDG_ERR;
		goto out;
	}
	/* The download: the owner's id first, so nobody else can fetch it. */
	if ((j->p12 = malloc(n + 8)) == NULL) {
		j->status = IDG_ERR;
		goto out;
	}
	for (i = 0; i < 8; i++)
		j->p12[i] = (uint8_t)((uint64_t)j->user_id >> (56 - 8 * i));
	memcpy(j->p12 + 8, p12, n);
	j->p12_len = n + 8;
	if (idg_random_b64url(j->download_id, sizeof(j->download_id), 24) != IDG_OK)
		j->status = IDG_ERR;
	j->notice_key = "devices.notice.enrolled";
out:
	if (p12 != NULL) {
		idg_wipe(p12, n);
		free(p12);
	}
	if (st == IDG_OK)
		idg_devcert_issued_free(&issued);
	idg_ca_free(ca);
	EVP_PKEY_free(key);
}

static void
dev_work(void *ctx, void *arg)
{
	struct dev_job *j = arg;
	struct idg_store *s = idg_worker_store(ctx);
	const struct idg_config *cfg = j->r->w->cfg;
	struct idg_devcert_counts counts;
	struct idg_audit_event e;
	int64_t now = idg_now();
	int st;

	if (s == NULL) {
		j->status = IDG_UNAVAILABLE;
		return;
	}
	j->status = IDG_OK;
	if ((st = idg_store_devcert_counts(s, j->tenant_id, j->user_id, now, &counts)) != IDG_OK) {
		idg_worker_store_failed(ctx);
		j->status = IDG_UNAVAILABLE;
		return;
	}
	switch (j->action) {
	case A_REVOKE:
		st = idg_devices_revoke(s, cfg->master_key, j->tenant_id, j->serial, j->user_id,
		    j->email, now);
		memset(&e, 0, sizeof(e));
		e.tenant_id = j->tenant_id;
		e.actor = j->email;
		e.action = "device.revoke";
		e.target = j->serial;
		e.result = st == IDG_OK ? "ok" : st == IDG_NOTFOUND ? "device_not_found" :
		    st == IDG_DECLINED ? "already_revoked" : "error";
		idg_store_audit_append(s, &e);
		if (st == IDG_OK)
			j->notice_key = "devices.notice.revoked";
		else if (st == IDG_NOTFOUND || st == IDG_DECLINED)
			j->error_key = "error.device_not_found";
		else
			j->status = IDG_ERR;
		break;
	case A_ENROL:
		/* While the device check is owed: only a first device, and no approval rule. */
		if (!j->licensed || counts.valid >= IDG_DEVCERT_MAX_PER_ID ||
		    (j->pending && (counts.valid > 0 || j->approval)))
			j->error_key = j->licensed ? "error.device_certificate_required" :
			    "error.device_license_required";
		else
			enrol(j, s, cfg, now);
		break;
	case A_TOKEN:
	case A_SHOW:
		break;
	}
	if (j->status != IDG_OK)
		return;
	if (idg_store_devcert_list(s, j->tenant_id, j->user_id, collect, j) != IDG_OK ||
	    idg_store_devcert_counts(s, j->tenant_id, j->user_id, now, &counts) != IDG_OK) {
		idg_worker_store_failed(ctx);
		j->status = IDG_UNAVAILABLE;
		return;
	}
	j->valid = counts.valid;
}

static void
dev_render(struct idg_req *r, struct dev_job *j)
{
	struct idg_page_ctx pc = { r->lang, r->path, NULL };
	struct idg_device_row rows[MAX_LISTED];
	char days[MAX_LISTED][11], dl[256], cmd[1024];
	struct idg_devices_page p;
	int64_t now = idg_now();
	struct idg_buf b;
	int i;

	memset(&p, 0, sizeof(p));
	for (i = 0; i < j->nrows; i++) {
		const struct idg_devcert *c = &j->rows[i];

		jst_day(c->not_after, days[i]);
		rows[i].serial = c->serial;
		rows[i].name = c->device_name;
		rows[i].type = c->device_type;
		rows[i].not_after = days[i];
		rows[i].state = c->status == IDG_DEVCERT_REVOKED ? "revoked" :
		    idg_devcert_valid_at(false, c->not_before, c->not_after, now) ? "valid" :
		    "expired";
		rows[i].current = strcmp(c->serial, r->session.device_serial) == 0;
	}
	p.company_id = r->company_id;
	p.csrf = r->session.csrf;
	p.rows = rows;
	p.nrows = (size_t)j->nrows;
	p.valid = j->valid;
	p.limit = IDG_DEVCERT_MAX_PER_ID;
	p.licensed = j->licensed;
	p.pending = j->pending;
	p.may_enrol = j->licensed && j->valid < IDG_DEVCERT_MAX_PER_ID &&
	    (!j->pending || (j->valid == 0 && !j->approval)) && j->otp[0] == '\0';
	p.error_key = j->error_key;
	p.notice_key = j->notice_key;
	if (j->otp[0] != '\0') {
		snprintf(dl, sizeof(dl), "/t/%s/devices/download?id=%s", r->company_id,
		    j->download_id);
		p.otp = j->otp;
		p.download_url = dl;
	}
	if (j->token[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "idgate enroll --url %s --tenant %s --token %s "
		    "--device-name \"$(hostname)\" --out ./idgate-device", r->w->cfg->public_url,
		    r->company_id, j->token);
		p.token = j->token;
		p.enroll_command = cmd;
	}
	idg_buf_init(&b, 256 * 1024);
	if (idg_page_devices(&b, &pc, &p) != IDG_OK) {
		idg_buf_free(&b);
		idg_reply_error(r, "internal_error");
		return;
	}
	if (j->error_key != NULL)
		r->error_code = strncmp(j->error_key, "error.", 6) == 0 ? j->error_key + 6 :
		    j->error_key;
	/* The job goes with the request; its secrets go first (the page has them). */
	idg_wipe(j->otp, sizeof(j->otp));
	idg_wipe(j->token, sizeof(j->token));
	idg_reply_html(r, j->error_key != NULL ? 409 : 200, &b);
}

static void
dev_finish(struct dev_job *j)
{
	struct idg_req *r = j->r;

	if (j->p12 != NULL) {
		idg_wipe(j->p12, j->p12_len);
		free(j->p12);
		j->p12 = NULL;
	}
	dev_render(r, j);
}

static void
download_stored(void *arg, int status, struct redisReply *reply)
{
	struct dev_job *j = arg;

	(void)reply;
	if (status != IDG_OK) {
		idg_reply_error(j->r, "session_store_unavailable");
		return;
	}
	dev_finish(j);
}

static void
token_stored(void *arg, int status, struct redisReply *reply)
{
	download_stored(arg, status, reply);
}

static void
dev_done(void *arg)
{
	struct dev_job *j = arg;
	struct idg_req *r = j->r;
	char key[80], val[48], ttl[16];
	const char *argv[5];
	size_t len[5];
	int st;

	r->hctx = j;
	if (j->status == IDG_UNAVAILABLE) {
		idg_reply_error(r, "store_unavailable");
		return;
	}
	if (j->status != IDG_OK) {
		idg_reply_error(r, "internal_error");
		return;
	}
	if (j->p12 != NULL) {
		secret_key("dl", j->download_id, key, sizeof(key));
		snprintf(ttl, sizeof(ttl), "%d", DOWNLOAD_TTL_S);
		argv[0] = "SET";	len[0] = 3;
		argv[1] = key;		len[1] = strlen(key);
		argv[2] = (const char *)j->p12;	len[2] = j->p12_len;
		argv[3] = "EX";		len[3] = 2;
		argv[4] = ttl;		len[4] = strlen(ttl);
		st = idg_redis_commandargv(r->w->redis, download_stored, j, 5, argv, len);
		if (st != IDG_PENDING)
			download_stored(j, IDG_UNAVAILABLE, NULL);
		return;
	}
	if (j->action == A_TOKEN && j->error_key == NULL) {
		if (idg_random_b64url(j->token, sizeof(j->token), 24) != IDG_OK) {
			idg_reply_error(r, "internal_error");
			return;
		}
		j->notice_key = "devices.notice.token";
		idg_audit_async(r, j->tenant_id, j->email, "device.token", j->email, "ok");
		secret_key("et", j->token, key, sizeof(key));
		snprintf(val, sizeof(val), "%lld:%lld", (long long)j->tenant_id,
		    (long long)j->user_id);
		st = idg_redis_command(r->w->redis, token_stored, j, "SET %s %s EX %d", key, val,
		    TOKEN_TTL_S);
		if (st != IDG_PENDING)
			token_stored(j, IDG_UNAVAILABLE, NULL);
		return;
	}
	dev_finish(j);
}

static void
dev_submit(struct idg_req *r, struct dev_job *j)
{
	const struct idg_dir_user *u = idg_directory_user(r->tenant, r->session.user_id);

	j->r = r;
	j->tenant_id = r->tenant->id;
	j->user_id = r->session.user_id;
	idg_strlcpy(j->company_id, r->company_id, sizeof(j->company_id));
	idg_strlcpy(j->email, u != NULL ? u->email : "", sizeof(j->email));
	j->licensed = u != NULL && u->device_license;
	j->approval = r->tenant->device.approval;
	j->pending = (r->session.flags & IDG_SESSION_DEVICE_PENDING) != 0;
	if (j->pending && j->action == A_TOKEN) {
		/* Tokens are for signed-in users only. */
		j->action = A_SHOW;
		j->error_key = "error.device_certificate_required";
	}
	if (idg_workpool_submit(r->w->pool, dev_work, dev_done, j) != IDG_PENDING) {
		r->hctx = j;
		idg_reply_error(r, "service_unavailable");
	}
}

static void
devices_get(struct idg_req *r, int st)
{
	struct dev_job *j;

	if (!idg_auth_require(r, st))
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		idg_reply_error(r, "internal_error");
		return;
	}
	j->action = A_SHOW;
	dev_submit(r, j);
}

void
idg_h_devices(struct idg_req *r)
{
	idg_auth_session(r, devices_get);
}

static void
devices_post(struct idg_req *r, int st)
{
	struct idg_params f;
	struct dev_job *j;
	const char *a, *v;

	if (!idg_auth_require(r, st) || !idg_req_form_checked(r, &f))
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		idg_params_free(&f);
		idg_reply_error(r, "internal_error");
		return;
	}
	a = idg_params_get(&f, "action");
	if (a != NULL && strcmp(a, "revoke") == 0) {
		j->action = A_REVOKE;
		v = idg_params_get(&f, "serial");
		idg_strlcpy(j->serial, v != NULL && strlen(v) == 32 ? v : "-", sizeof(j->serial));
	} else if (a != NULL && strcmp(a, "enrol") == 0) {
		j->action = A_ENROL;
		v = idg_params_get(&f, "device_name");
		if (v != NULL && strlen(v) < sizeof(j->device_name))
			idg_strlcpy(j->device_name, v, sizeof(j->device_name));
		v = idg_params_get(&f, "legacy");
		j->legacy = v != NULL && strcmp(v, "1") == 0;
	} else if (a != NULL && strcmp(a, "token") == 0)
		j->action = A_TOKEN;
	else {
		idg_params_free(&f);
		free(j);
		idg_reply_error(r, "bad_request");
		return;
	}
	idg_params_free(&f);
	dev_submit(r, j);
}

void
idg_h_devices_post(struct idg_req *r)
{
	idg_auth_session(r, devices_post);
}

/* ---- the one-time PKCS#12 download ---- */

static void
p12_taken(void *arg, int status, struct redisReply *reply)
{
	struct idg_req *r = arg;
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
	uint64_t owner = 0;
	int i;

	if (status != IDG_OK) {
		idg_reply_error(r, "session_store_unavailable");
		return;
	}
	if (reply == NULL || reply->type != REDIS_REPLY_STRING || reply->len <= 8) {
		idg_reply_error(r, "device_not_found");
		return;
	}
	for (i = 0; i < 8; i++)
		owner = owner << 8 | (uint8_t)reply->str[i];
	if ((int64_t)owner != r->session.user_id) {
		idg_reply_error(r, "device_not_found");
		return;
	}
	evhttp_add_header(h, "Content-Disposition", "attachment; filename=\"idgate-device.p12\"");
	idg_reply(r, 200, "application/x-pkcs12", reply->str + 8, reply->len - 8);
}

static void
download_get(struct idg_req *r, int st)
{
	const char *id;
	char key[80];

	if (!idg_auth_require(r, st))
		return;
	id = idg_params_get(&r->query, "id");
	if (id == NULL || strlen(id) != 32) {
		idg_reply_error(r, "device_not_found");
		return;
	}
	secret_key("dl", id, key, sizeof(key));
	/* Single use: GETDEL, so a second download finds nothing. */
	if (idg_redis_command(r->w->redis, p12_taken, r, "GETDEL %s", key) != IDG_PENDING)
		p12_taken(r, IDG_UNAVAILABLE, NULL);
}

void
idg_h_devices_download(struct idg_req *r)
{
	idg_auth_session(r, download_get);
}

/* ---- /certs/{id}/crl, /certs/{id}/ca ---- */

struct crl_job {
	struct idg_req	*r;
	int64_t		 tenant_id;
	int		 status;
	uint8_t		*der;
	size_t		 len;
};

static void
crl_work(void *ctx, void *arg)
{
	struct crl_job *j = arg;
	struct idg_store *s = idg_worker_store(ctx);
	int64_t now = idg_now(), number = 0, next = 0;
	int st;

	if (s == NULL) {
		j->status = IDG_UNAVAILABLE;
		return;
	}
	st = idg_store_crl_get(s, j->tenant_id, &j->der, &j->len, &number, &next);
	if (st == IDG_OK && next - now > IDG_CRL_REFRESH_S) {
		j->status = IDG_OK;
		return;
	}
	if (st != IDG_OK && st != IDG_NOTFOUND) {
		idg_worker_store_failed(ctx);
		j->status = IDG_UNAVAILABLE;
		return;
	}
	/* None yet, or close to its nextUpdate: publish a fresh one first. */
	free(j->der);
	j->der = NULL;
	st = idg_devices_crl_refresh(s, j->r->w->cfg->master_key, j->tenant_id, now);
	if (st == IDG_OK)
		st = idg_store_crl_get(s, j->tenant_id, &j->der, &j->len, &number, &next);
	j->status = st;
}

static void
crl_done(void *arg)
{
	struct crl_job *j = arg;
	struct idg_req *r = j->r;

	if (j->status == IDG_OK)
		idg_reply(r, 200, "application/pkix-crl", j->der, j->len);
	else
		idg_reply_error(r, j->status == IDG_NOTFOUND ? "device_ca_missing" :
		    "store_unavailable");
	free(j->der);
	free(j);
}

static void
h_crl(struct idg_req *r)
{
	struct crl_job *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		idg_reply_error(r, "internal_error");
		return;
	}
	j->r = r;
	j->tenant_id = r->tenant->id;
	if (idg_workpool_submit(r->w->pool, crl_work, crl_done, j) != IDG_PENDING) {
		free(j);
		idg_reply_error(r, "service_unavailable");
	}
}

static void
h_ca(struct idg_req *r)
{
	char *pem = NULL;

	if (r->tenant->ca == NULL) {
		idg_reply_error(r, "device_ca_missing");
		return;
	}
	if (idg_ca_cert_pem(r->tenant->ca, &pem) != IDG_OK) {
		idg_reply_error(r, "internal_error");
		return;
	}
	idg_reply(r, 200, "application/x-pem-file", pem, strlen(pem));
	free(pem);
}

/* ---- POST /certs/{id}/enroll: the enrolment API ---- */

struct api_job {
	struct idg_req	*r;
	int64_t		 tenant_id, user_id;
	char		 company_id[33];
	char		*csr;
	size_t		 csr_len;
	char		 device_name[65];
	char		 device_type[33];
	char		 device_identifier[129];
	/* results */
	int		 http;
	json_t		*answer;
};

static json_t *
api_error(const char *code, const char *desc)
{
	return json_pack("{s:s, s:s}", "error", code, "error_description", desc);
}

static void
api_work(void *ctx, void *arg)
{
	struct api_job *j = arg;
	struct idg_store *s = idg_worker_store(ctx);
	const struct idg_config *cfg = j->r->w->cfg;
	struct idg_devices_req req = { j->user_id, j->device_name, j->device_type,
	    j->device_identifier, "api" };
	struct idg_devcert_issued issued;
	struct idg_device_settings set;
	struct idg_audit_event e;
	struct idg_devcert rec;
	struct idg_user u;
	EVP_PKEY *pub = NULL;
	char err[160], *cert = NULL, day[11];
	int64_t now = idg_now();
	bool prereg = false;
	int why = 0, valid = 0, st;

	if (s == NULL) {
		j->http = 503;
		j->answer = api_error("store_unavailable", "the store is not answering");
		return;
	}
	if (idg_csr_parse(j->csr, j->csr_len, &pub, err, sizeof(err)) != IDG_OK) {
		j->http = 400;
		j->answer = api_error("invalid_csr", err);
		return;
	}
	if ((st = idg_store_user_get(s, j->tenant_id, j->user_id, &u)) != IDG_OK) {
		j->http = 401;
		j->answer = api_error("invalid_enrolment_token", "the token's user is gone");
		goto out;
	}
	/* The store's settings, not the snapshot's: a change applies at once. */
	if ((st = idg_store_device_settings_get(s, j->tenant_id, &set)) != IDG_OK) {
		idg_worker_store_failed(ctx);
		j->http = 503;
		j->answer = api_error("store_unavailable", "the store is not answering");
		goto out;
	}
	memset(&e, 0, sizeof(e));
	e.tenant_id = j->tenant_id;
	e.actor = u.email;
	e.ip = j->r->client_ip;
	if (set.approval && (idg_store_device_prereg_match(s, j->tenant_id, u.email,
	    j->device_identifier, &prereg) != IDG_OK || !prereg)) {
		struct idg_device_request q;
		unsigned char *der = NULL;
		X509_REQ *x = NULL;
		const unsigned char *p;
		uint8_t rnd[16];
		int n = 0;

		/* An administrator decides: keep the request (its CSR as DER). */
		memset(&q, 0, sizeof(q));
		q.tenant_id = j->tenant_id;
		q.user_id = j->user_id;
		if (idg_random(rnd, sizeof(rnd)) == IDG_OK)
			idg_hex(rnd, sizeof(rnd), q.device_id);
		idg_strlcpy(q.device_name, j->device_name, sizeof(q.device_name));
		idg_strlcpy(q.device_type, j->device_type, sizeof(q.device_type));
		idg_strlcpy(q.device_identifier, j->device_identifier, sizeof(q.device_identifier));
		p = (const unsigned char *)j->csr;
		if (j->csr_len > 10 && memcmp(j->csr, "-----BEGIN", 10) == 0) {
			BIO *bio = BIO_new_mem_buf(j->csr, (int)j->csr_len);

			x = bio != NULL ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
			BIO_free(bio);
		} else
			x = d2i_X509_REQ(NULL, &p, (long)j->csr_len);
		if (x == NULL || (n = i2d_X509_REQ(x, &der)) <= 0 ||
		    idg_store_device_request_add(s, &q, der, (size_t)n) != IDG_OK) {
			j->http = 500;
			j->answer = api_error("internal_error", "the request could not be kept");
		} else {
			j->http = 202;
			j->answer = json_pack("{s:s, s:I}", "status", "pending", "request_id",
			    (json_int_t)q.id);
			e.action = "device.request";
			e.target = j->device_identifier;
			e.result = "pending";
			idg_store_audit_append(s, &e);
		}
		OPENSSL_free(der);
		X509_REQ_free(x);
		goto out;
	}
	st = idg_devices_issue(s, cfg->master_key, j->tenant_id, j->company_id, &req, pub, now,
	    &rec, &issued, &why, &valid);
	e.action = "device.issue";
	e.target = st == IDG_OK ? rec.serial : j->device_identifier;
	e.result = st == IDG_OK ? "ok" : st == IDG_DECLINED ? idg_devices_refusal_code(why) :
	    "error";
	e.detail = "api";
	idg_store_audit_append(s, &e);
	if (st == IDG_DECLINED) {
		char desc[160];

		if (why == IDG_DEVREF_LIMIT)
			snprintf(desc, sizeof(desc), "%d valid certificates already (at most %d); "
			    "revoke one first", valid, IDG_DEVCERT_MAX_PER_ID);
		else
			snprintf(desc, sizeof(desc), "refused: %s", idg_devices_refusal_code(why));
		j->http = why == IDG_DEVREF_LIMIT ? 409 : 403;
		j->answer = api_error(idg_devices_refusal_code(why), desc);
		goto out;
	}
	if (st == IDG_INVALID) {
		j->http = 400;
		j->answer = api_error("invalid_request", "device_name must be UTF-8 text, "
		    "1 to 64 bytes");
		goto out;
	}
	if (st != IDG_OK || idg_devcert_pem(issued.der, issued.der_len, &cert) != IDG_OK) {
		if (st == IDG_OK)
			idg_devcert_issued_free(&issued);
		j->http = 500;
		j->answer = api_error("internal_error", "the certificate could not be issued");
		goto out;
	}
	jst_day(issued.not_after, day);
	{
		struct idg_ca *ca = NULL;
		char *ca_pem = NULL;

		if (idg_devices_ca(s, cfg->master_key, j->tenant_id, j->company_id,
		    IDG_CA_EC_P256, now, &ca) == IDG_OK)
			idg_ca_cert_pem(ca, &ca_pem);
		j->http = 201;
		j->answer = json_pack("{s:s, s:s, s:s, s:s, s:s}", "status", "issued", "serial",
		    issued.serial, "certificate", cert, "ca", ca_pem != NULL ? ca_pem : "",
		    "not_after", day);
		free(ca_pem);
		idg_ca_free(ca);
	}
	free(cert);
	idg_devcert_issued_free(&issued);
out:
	EVP_PKEY_free(pub);
}

static void
api_done(void *arg)
{
	struct api_job *j = arg;
	struct idg_req *r = j->r;
	struct idg_buf b;
	char *text = j->answer != NULL ? json_dumps(j->answer, JSON_COMPACT) : NULL;

	idg_buf_init(&b, 64 * 1024);
	if (text == NULL || idg_buf_adds(&b, text) != IDG_OK) {
		idg_buf_free(&b);
		idg_reply_error(r, "internal_error");
	} else
		idg_reply_json(r, j->http, &b);
	free(text);
	json_decref(j->answer);
	free(j->csr);
	free(j);
}

static void
api_token_taken(void *arg, int status, struct redisReply *reply)
{
	struct api_job *j = arg;
	struct idg_req *r = j->r;
	long long t = 0, u = 0;
	char tail;

	if (status != IDG_OK) {
		free(j->csr);
		free(j);
		idg_reply_error(r, "session_store_unavailable");
		return;
	}
	if (reply == NULL || reply->type != REDIS_REPLY_STRING ||
	    sscanf(reply->str, "%lld:%lld%c", &t, &u, &tail) != 2 || t != r->tenant->id ||
	    u <= 0) {
		free(j->csr);
		free(j);
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "WWW-Authenticate",
		    "Bearer error=\"invalid_token\"");
		idg_reply_error(r, "invalid_enrolment_token");
		return;
	}
	j->user_id = u;
	if (idg_workpool_submit(r->w->pool, api_work, api_done, j) != IDG_PENDING) {
		free(j->csr);
		free(j);
		idg_reply_error(r, "service_unavailable");
	}
}

/* A JSON string member copied into out; false if present and not a fitting string. */
static bool
json_field(json_t *o, const char *name, char *out, size_t outsz, bool required)
{
	json_t *v = json_object_get(o, name);

	out[0] = '\0';
	if (v == NULL)
		return !required;
	if (!json_is_string(v) || json_string_length(v) >= outsz ||
	    (required && json_string_length(v) == 0))
		return false;
	idg_strlcpy(out, json_string_value(v), outsz);
	return memchr(json_string_value(v), '\0', json_string_length(v)) == NULL;
}

static void
h_enroll(struct idg_req *r)
{
	const char *auth = idg_req_header(r, "Authorization");
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t len = evbuffer_get_length(in);
	struct api_job *j;
	json_error_t jerr;
	json_t *o, *csr;
	char key[80];

	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 || strlen(auth + 7) == 0 ||
	    strlen(auth + 7) > 128) {
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "WWW-Authenticate",
		    "Bearer");
		idg_reply_error(r, "invalid_enrolment_token");
		return;
	}
	o = len > 0 ? json_loadb((const char *)evbuffer_pullup(in, (ev_ssize_t)len), len,
	    JSON_REJECT_DUPLICATES, &jerr) : NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		json_decref(o);
		idg_reply_error(r, "internal_error");
		return;
	}
	csr = o != NULL ? json_object_get(o, "csr") : NULL;
	if (!json_is_object(o) || !json_is_string(csr) || json_string_length(csr) == 0 ||
	    json_string_length(csr) > CSR_MAX ||
	    !json_field(o, "device_name", j->device_name, sizeof(j->device_name), true) ||
	    !json_field(o, "device_type", j->device_type, sizeof(j->device_type), false) ||
	    !json_field(o, "device_identifier", j->device_identifier,
	    sizeof(j->device_identifier), false) || !idg_utf8_text_valid(j->device_name) ||
	    (j->csr = malloc(json_string_length(csr) + 1)) == NULL) {
		json_decref(o);
		free(j);
		idg_reply_error(r, "bad_request");
		return;
	}
	j->csr_len = json_string_length(csr);
	memcpy(j->csr, json_string_value(csr), j->csr_len + 1);
	json_decref(o);
	j->r = r;
	j->tenant_id = r->tenant->id;
	idg_strlcpy(j->company_id, r->company_id, sizeof(j->company_id));
	/* The token is single use: GETDEL, whatever comes next. */
	secret_key("et", auth + 7, key, sizeof(key));
	if (idg_redis_command(r->w->redis, api_token_taken, j, "GETDEL %s", key) != IDG_PENDING)
		api_token_taken(j, IDG_UNAVAILABLE, NULL);
}

void
idg_h_certs(struct idg_req *r, const char *rest)
{
	if (strcmp(rest, "/crl") == 0 && (r->method == IDG_GET || r->method == IDG_HEAD))
		h_crl(r);
	else if (strcmp(rest, "/ca") == 0 && (r->method == IDG_GET || r->method == IDG_HEAD))
		h_ca(r);
	else if (strcmp(rest, "/enroll") == 0 && r->method == IDG_POST)
		h_enroll(r);
	else if (strcmp(rest, "/crl") == 0 || strcmp(rest, "/ca") == 0 ||
	    strcmp(rest, "/enroll") == 0)
		idg_reply_error(r, "method_not_allowed");
	else
		idg_reply_error(r, "not_found");
}
