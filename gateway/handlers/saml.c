/*
 * saml.c - the tenant's SAML 2.0 IdP on the web (the protocol is in
 * gateway/saml/):
 *
 *   GET      /saml/{id}/metadata          the IdP's metadata
 *   GET,POST /saml/{id}/sso               AuthnRequest (HTTP-Redirect, HTTP-POST)
 *   GET      /saml/{id}/resume?q=         the same request after sign-in or a step
 *   GET,POST /saml/{id}/slo               LogoutRequest from an SP, or an SP's
 *                                         LogoutResponse to our propagation
 *   GET      /t/{id}/apps/{app}/launch    IdP-initiated SSO from the portal
 *
 * An accepted AuthnRequest's ID is remembered in Redis once (replay cache,
 * SET NX, sent with the session read: one round trip), and the request
 * itself as pending (sq:) only while the user signs in or passes a step.
 * The response goes out only once the SSO is recorded (metering: audit
 * event + active ID). The SPs a session has used are kept in a Redis set
 * (sl:, written once per session and SP) so a logout from one SP, or from
 * the portal, is propagated to the others through the browser (front
 * channel).
 *
 * Redis keys:
 *   sr:<h(tenant, sp, request id)>  a request ID seen (replay), 2 * skew + 10 min
 *   sq:<h(q)>                       a pending request: magic, created, authn bytes
 *   sl:<h(session id)>              the session's SPs: "entity\tnameid\tformat\tindex"
 *   so:<h(state)>                   a logout in progress (JSON)
 *
 * Signing and parsing run on the work pool with one IdP object per pool
 * thread and tenant, cached per directory generation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <hiredis/hiredis.h>
#include <jansson.h>

#include "../directory.h"
#include "../http/server.h"
#include "../http/workpool.h"
#include "../metering.h"
#include "../saml/saml.h"
#include "../session/redis.h"
#include "../store/store.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"
#include "access.h"
#include "auth.h"
#include "handlers.h"

#define SKEW_S		IDG_SAML_DEFAULT_SKEW_S
#define LIFETIME_S	300		/* assertions and our LogoutRequests */
#define PENDING_TTL_S	900		/* sign in within 15 minutes */
#define LOGOUT_TTL_S	300
#define PENDING_MAGIC	0x69646753414d4c31ULL	/* "idgSAML1" */
#define CACHE_SLOTS	8

/* ---- the per-thread IdP cache ---- */

struct idp_slot {
	int64_t			 tenant_id;
	int64_t			 generation;
	struct idg_saml_idp	*idp;
};

static __thread struct idp_slot cache[CACHE_SLOTS];
static __thread unsigned cache_next;

void
idg_saml_thread_done(void)
{
	int i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		idg_saml_idp_free(cache[i].idp);
		memset(&cache[i], 0, sizeof(cache[i]));
	}
}

/* "id.example.com[:port]" of public_url. */
static void
public_host(const struct idg_config *cfg, char *out, size_t outsz)
{
	const char *h = strstr(cfg->public_url, "://");

	h = h != NULL ? h + 3 : cfg->public_url;
	snprintf(out, outsz, "%.*s", (int)strcspn(h, "/"), h);
}

static void
idp_conf(const struct idg_config *cfg, const struct idg_dir_tenant *t, char *host,
    size_t hostsz, struct idg_saml_idp_conf *c)
{
	public_host(cfg, host, hostsz);
	memset(c, 0, sizeof(*c));
	c->public_host = host;
	c->company_id = t->company_id;
	c->signing_key_pem = t->saml->key_pem;
	c->signing_cert_pem = t->saml->cert_pem;
	c->extra_cert_pem = (const char *const *)t->saml->extra_pem;
	c->n_extra_certs = t->saml->nextra;
}

/* The tenant's IdP on this pool thread, built once per directory generation. */
static struct idg_saml_idp *
idp_for(const struct idg_config *cfg, const struct idg_directory *d,
    const struct idg_dir_tenant *t)
{
	struct idg_saml_idp_conf c;
	struct idg_saml_idp *idp;
	char host[256];
	unsigned i;

	for (i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].idp != NULL && cache[i].tenant_id == t->id &&
		    cache[i].generation == d->generation)
			return cache[i].idp;
	idp_conf(cfg, t, host, sizeof(host), &c);
	if (idg_saml_idp_new(&c, t->saml->sps, t->saml->napps, &idp) != IDG_OK) {
		log_error("tenant %s: the SAML IdP could not be built", t->company_id);
		return NULL;
	}
	/* Replace this tenant's older slot, else the next one round robin. */
	for (i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].idp != NULL && cache[i].tenant_id == t->id)
			break;
	if (i == CACHE_SLOTS)
		i = cache_next++ % CACHE_SLOTS;
	idg_saml_idp_free(cache[i].idp);
	cache[i].tenant_id = t->id;
	cache[i].generation = d->generation;
	cache[i].idp = idp;
	return idp;
}

/* ---- shared bits ---- */

static void
hashed_key(const char *prefix, const char *a, const char *b, const char *c, char *out,
    size_t outsz)
{
	uint8_t h[IDG_SHA256_LEN];
	char hex[33];
	struct idg_buf m;

	idg_buf_init(&m, 8192);
	idg_buf_printf(&m, "%s|%s|%s", a, b != NULL ? b : "", c != NULL ? c : "");
	idg_sha256(m.data != NULL ? m.data : "", m.len, h);
	idg_buf_free(&m);
	idg_hex(h, 16, hex);
	snprintf(out, outsz, "%s:%s", prefix, hex);
}

/* Our SessionIndex for a session: not the id (a cookie), a hash of it. */
static void
session_index(const char *sid, char out[40])
{
	uint8_t h[IDG_SHA256_LEN];
	char b[IDG_B64URL_LEN(IDG_SHA256_LEN)];

	idg_sha256(sid, strlen(sid), h);
	idg_b64url_encode(h, 18, b, sizeof(b));
	snprintf(out, 40, "_%.32s", b);
}

/* The origin (scheme://host[:port]) of url, for the form page's CSP. */
static void
origin_of(const char *url, char *out, size_t outsz)
{
	const char *h = strstr(url, "://");
	size_t n = h != NULL ? (size_t)(h - url) + 3 + strcspn(h + 3, "/?#") : 0;

	if (n == 0 || n >= outsz || strpbrk(url, " ;,'\"") != NULL)
		idg_strlcpy(out, "'none'", outsz);
	else
		snprintf(out, outsz, "%.*s", (int)n, url);
}

/* The raw query string of r (still percent-encoded), or "". */
static const char *
raw_query(struct idg_req *r)
{
	const char *uri = evhttp_request_get_uri(r->ev);
	const char *q = uri != NULL ? strchr(uri, '?') : NULL;

	return q != NULL ? q + 1 : "";
}

/* ---- the pool job ---- */

enum job_kind {
	J_PARSE,	/* AuthnRequest in */
	J_RESPOND,	/* Response out (SP- or IdP-initiated) */
	J_LAUNCH,	/* an IdP-initiated request, kept while a step is owed */
	J_ERROR,	/* error Response out */
	J_LOGOUT_IN,	/* an SP's LogoutRequest or LogoutResponse */
	J_LOGOUT_OUT,	/* our LogoutRequest to the next SP, or our LogoutResponse */
};

struct saml_job {
	struct idg_req		*r;
	enum job_kind		 kind;
	/* input */
	struct idg_saml_msg_in	 in;
	char			*query;
	char			*message;
	char			*relay;
	bool			 is_response;	/* the SLO message is a LogoutResponse */
	char			 launch_entity[IDG_SAML_URL_MAX + 1];	/* IdP-initiated */
	enum idg_saml_status	 err_status;
	char			 qid[48];	/* the pending request's handle; "" until kept */
	int64_t			 pending_at;	/* when the request was accepted */
	int			 waits;		/* replay check and session read both out */
	int			 replay_st;	/* IDG_OK, IDG_EXISTS (a replay), IDG_UNAVAILABLE */
	int			 session_st;	/* as idg_auth_session gave it */
	const char		*step_base;	/* to_step's target while the request is kept */
	const char		*step;
	/* the subject, for J_RESPOND */
	char			 nameid[IDG_SAML_NAMEID_MAX + 1];
	char			 sindex[40];
	char			 app_id[64];
	const char		*authn_context;
	struct idg_saml_attr	 attrs[16];
	const char		*values[16][32];
	char			*strings;	/* owned storage of attribute values */
	json_t			*state;		/* a logout in progress (see state_json) */
	size_t			 nattrs;
	/* logout */
	struct idg_saml_logout_req	 lreq;
	struct idg_saml_logout_result	 lres;
	struct idg_saml_logout_target	 target;
	char			 t_entity[IDG_SAML_URL_MAX + 1];
	char			 t_nameid[IDG_SAML_NAMEID_MAX + 1];
	char			 t_index[48];
	int			 t_format;
	char			 state_id[48];
	char			 expect_sp[IDG_SAML_URL_MAX + 1];
	char			 expect_id[IDG_SAML_ID_MAX + 1];
	bool			 partial;
	/* results */
	int			 status;
	struct idg_saml_authn	 authn;
	struct idg_saml_out	 out;
	char			 err[256];
	char			 csp[2048];
};

static void job_free(struct saml_job *j);
static void fail_page(struct saml_job *j, const char *code);

/* Frees r with j as its handler state (so every reply also frees j). */
static void
attach(struct idg_req *r, struct saml_job *j)
{
	r->hctx = j;
}

typedef void job_next_fn(struct saml_job *j);

struct job_ctx {
	struct saml_job	*j;
	job_next_fn	*next;
};

static void
job_work(void *ctx, void *arg)
{
	struct saml_job *j = ((struct job_ctx *)arg)->j;
	struct idg_req *r = j->r;
	struct idg_saml_idp *idp = idp_for(r->w->cfg, r->dir, r->tenant);
	struct idg_saml_subject s;
	int64_t now = idg_now();

	(void)ctx;
	j->status = IDG_ERR;
	if (idp == NULL)
		return;
	switch (j->kind) {
	case J_PARSE:
		j->status = idg_saml_authn_parse(idp, &j->in, now, SKEW_S, &j->authn, j->err,
		    sizeof(j->err));
		break;
	case J_RESPOND:
		if (j->launch_entity[0] != '\0' && (j->status = idg_saml_authn_idp_initiated(idp,
		    j->launch_entity, NULL, &j->authn)) != IDG_OK)
			break;
		memset(&s, 0, sizeof(s));
		s.nameid = j->nameid;
		s.nameid_format = j->authn.nameid_format;
		s.attrs = j->attrs;
		s.n_attrs = j->nattrs;
		s.session_index = j->sindex;
		s.authn_instant = r->session.auth_time;
		s.authn_context = j->authn_context;
		j->status = idg_saml_response(idp, &j->authn, &s, now, LIFETIME_S, SKEW_S, &j->out);
		break;
	case J_LAUNCH:
		j->status = idg_saml_authn_idp_initiated(idp, j->launch_entity, NULL, &j->authn);
		break;
	case J_ERROR:
		j->status = idg_saml_error_response(idp, &j->authn, j->err_status, NULL, now,
		    &j->out);
		break;
	case J_LOGOUT_IN:
		if (j->is_response)
			j->status = idg_saml_logout_response_parse(idp, &j->in, j->expect_sp,
			    j->expect_id, now, SKEW_S, &j->lres, j->err, sizeof(j->err));
		else
			j->status = idg_saml_logout_parse(idp, &j->in, now, SKEW_S, &j->lreq,
			    j->err, sizeof(j->err));
		break;
	case J_LOGOUT_OUT:
		if (j->t_entity[0] != '\0') {
			memset(&j->target, 0, sizeof(j->target));
			j->target.sp_entity_id = j->t_entity;
			j->target.nameid = j->t_nameid;
			j->target.nameid_format = (enum idg_saml_nameid_format)j->t_format;
			j->target.session_index = j->t_index[0] != '\0' ? j->t_index : NULL;
			j->target.relay_state = j->state_id;
			j->status = idg_saml_logout_request(idp, &j->target, now, LIFETIME_S,
			    &j->out);
		} else
			j->status = idg_saml_logout_response(idp, &j->lreq, j->partial, now,
			    &j->out);
		break;
	}
}


static void
job_done(void *arg)
{
	struct job_ctx *c = arg;
	struct saml_job *j = c->j;
	job_next_fn *next = c->next;

	free(c);
	attach(j->r, j);
	next(j);
}

static void
submit(struct saml_job *j, job_next_fn *next)
{
	struct job_ctx *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		attach(j->r, j);
		fail_page(j, "internal_error");
		return;
	}
	c->j = j;
	c->next = next;
	/* While the job runs the request does not own j. */
	j->r->hctx = NULL;
	if (idg_workpool_submit(j->r->w->pool, job_work, job_done, c) != IDG_PENDING) {
		free(c);
		attach(j->r, j);
		fail_page(j, "service_unavailable");
	}
}

/*
 * Releases what j owns; j itself goes with the request (r->hctx), so this
 * runs before every reply. Safe to call twice.
 */
static void
job_free(struct saml_job *j)
{
	if (j == NULL)
		return;
	idg_saml_out_free(&j->out);
	free(j->query);
	free(j->message);
	free(j->relay);
	free(j->strings);
	json_decref(j->state);
	j->query = j->message = j->relay = j->strings = NULL;
	j->state = NULL;
}

/* A Redis answer nobody waits for (best-effort bookkeeping). */
static void
ignore(void *arg, int status, struct redisReply *reply)
{
	(void)arg;
	(void)status;
	(void)reply;
}

static struct saml_job *
job_new(struct idg_req *r, enum job_kind kind)
{
	struct saml_job *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		idg_reply_error(r, "internal_error");
		return NULL;
	}
	j->r = r;
	j->kind = kind;
	return j;
}

/* Answers r with the auto-submitting form of j->out, or a redirect to it. */
static void
deliver(struct saml_job *j)
{
	struct idg_req *r = j->r;
	char hash[IDG_SAML_CSP_HASH_LEN], origin[1100];
	struct idg_buf b;

	if (j->out.binding == IDG_SAML_BINDING_REDIRECT) {
		/* The reply frees j: the URL is taken out first. */
		char *url = j->out.url;

		j->out.url = NULL;
		job_free(j);
		idg_reply_redirect(r, url != NULL ? url : "/");
		free(url);
		return;
	}
	idg_saml_post_csp_hash(hash);
	origin_of(j->out.url, origin, sizeof(origin));
	snprintf(j->csp, sizeof(j->csp), "default-src 'none'; script-src '%s'; style-src 'self';"
	    " form-action %s; frame-ancestors 'none'; base-uri 'none'", hash, origin);
	r->csp_override = j->csp;
	idg_buf_init(&b, 512 * 1024);
	if (idg_saml_post_form(&j->out, &b) != IDG_OK) {
		idg_buf_free(&b);
		job_free(j);
		idg_reply_error(r, "internal_error");
		return;
	}
	job_free(j);
	idg_reply_html(r, 200, &b);
}

static void
fail_page(struct saml_job *j, const char *code)
{
	job_free(j);
	idg_reply_error(j->r, code);
}

/* ---- SSO ---- */

static void continue_sso(struct saml_job *j);
static void sso_session(struct idg_req *r, int st);
static void redirect_step(struct saml_job *j);

static void
error_sent(struct saml_job *j)
{
	if (j->status != IDG_OK) {
		fail_page(j, "saml_request_invalid");
		return;
	}
	deliver(j);
}

/* A SAML error Response to the SP (its ACS is registered), else a page. */
static void
respond_error(struct saml_job *j, enum idg_saml_status st, const char *page_code)
{
	if (!j->authn.can_respond && j->authn.reason != IDG_SAML_R_NONE) {
		fail_page(j, page_code);
		return;
	}
	j->kind = J_ERROR;
	j->err_status = st;
	submit(j, error_sent);
}

static void
audit(struct saml_job *j, const char *who, const char *result)
{
	struct idg_req *r = j->r;

	idg_audit_async(r, r->tenant->id, who, "sso.saml", j->authn.sp_entity_id, result);
}

static void
pending_stored(void *arg, int status, struct redisReply *reply)
{
	struct saml_job *j = arg;

	(void)reply;
	attach(j->r, j);
	if (status != IDG_OK) {
		fail_page(j, "session_store_unavailable");
		return;
	}
	redirect_step(j);
}

/*
 * Keeps the accepted request while the user signs in or passes a step, then
 * sends the browser there. Only then: a user with a session is answered
 * without the request ever going to Redis.
 */
static void
store_pending(struct saml_job *j)
{
	struct idg_req *r = j->r;
	uint8_t rnd[24];
	char key[80], ttl[16];
	const char *argv[5];
	size_t len[5];
	uint8_t *v;
	uint64_t magic = PENDING_MAGIC;
	int st;

	if (idg_random(rnd, sizeof(rnd)) != IDG_OK ||
	    idg_b64url_encode(rnd, sizeof(rnd), j->qid, sizeof(j->qid)) < 0 ||
	    (v = malloc(16 + sizeof(j->authn))) == NULL) {
		fail_page(j, "internal_error");
		return;
	}
	memcpy(v, &magic, 8);
	memcpy(v + 8, &j->pending_at, 8);
	memcpy(v + 16, &j->authn, sizeof(j->authn));
	hashed_key("sq", j->qid, NULL, NULL, key, sizeof(key));
	snprintf(ttl, sizeof(ttl), "%d", PENDING_TTL_S);
	argv[0] = "SET";	len[0] = 3;
	argv[1] = key;		len[1] = strlen(key);
	argv[2] = (const char *)v;	len[2] = 16 + sizeof(j->authn);
	argv[3] = "EX";		len[3] = 2;
	argv[4] = ttl;		len[4] = strlen(ttl);
	r->hctx = NULL;
	st = idg_redis_commandargv(r->w->redis, pending_stored, j, 5, argv, len);
	free(v);
	if (st != IDG_PENDING)
		pending_stored(j, IDG_UNAVAILABLE, NULL);
}

/* Both the replay check and the session read have answered. */
static void
sso_joined(struct saml_job *j)
{
	if (j->replay_st == IDG_UNAVAILABLE) {
		fail_page(j, "session_store_unavailable");
		return;
	}
	if (j->replay_st != IDG_OK) {
		/* Seen before: a replay; nothing goes back to any URL. */
		audit(j, "-", "saml_replayed");
		fail_page(j, "saml_replayed");
		return;
	}
	sso_session(j->r, j->session_st);
}

static void
replay_checked(void *arg, int status, struct redisReply *reply)
{
	struct saml_job *j = arg;

	j->replay_st = status != IDG_OK ? IDG_UNAVAILABLE :
	    reply == NULL || reply->type == REDIS_REPLY_NIL ? IDG_EXISTS : IDG_OK;
	if (--j->waits == 0)
		sso_joined(j);
}

static void
session_read(struct idg_req *r, int st)
{
	struct saml_job *j = r->hctx;

	j->session_st = st;
	if (--j->waits == 0)
		sso_joined(j);
}

static void
parsed(struct saml_job *j)
{
	struct idg_req *r = j->r;
	char key[80];

	if (j->status != IDG_OK) {
		const char *why = idg_saml_reason_code(j->authn.reason);

		log_info("SAML AuthnRequest refused (%s): %s", why, j->err);
		audit(j, "-", why);
		respond_error(j, j->authn.reason == IDG_SAML_R_NAMEID_POLICY ?
		    IDG_SAML_ST_INVALID_NAMEID_POLICY : IDG_SAML_ST_REQUESTER,
		    "saml_request_invalid");
		return;
	}
	j->pending_at = idg_now();
	/*
	 * Each request ID once (profiles 4.1.4.5); kept past the skew window.
	 * The check and the session read go out together, one round trip, and
	 * nothing is answered before both are back (j stays with r: no reply
	 * can free it meanwhile).
	 */
	hashed_key("sr", r->company_id, j->authn.sp_entity_id, j->authn.request_id, key,
	    sizeof(key));
	j->waits = 2;
	if (idg_redis_command(r->w->redis, replay_checked, j, "SET %s 1 NX EX %d", key,
	    2 * SKEW_S + 600) != IDG_PENDING) {
		fail_page(j, "session_store_unavailable");
		return;
	}
	idg_auth_session(r, session_read);
}

static void
h_sso(struct idg_req *r)
{
	struct saml_job *j;
	struct idg_params f;

	if (r->tenant->saml == NULL) {
		idg_reply_error(r, "saml_not_configured");
		return;
	}
	if ((j = job_new(r, J_PARSE)) == NULL)
		return;
	attach(r, j);
	if (r->method == IDG_POST) {
		const char *m, *rs;

		if (idg_req_form(r, &f) != IDG_OK) {
			fail_page(j, "bad_request");
			return;
		}
		m = idg_params_get(&f, "SAMLRequest");
		rs = idg_params_get(&f, "RelayState");
		j->message = m != NULL ? strdup(m) : NULL;
		j->relay = rs != NULL ? strdup(rs) : NULL;
		idg_params_free(&f);
		if (j->message == NULL) {
			fail_page(j, "saml_request_invalid");
			return;
		}
		j->in.binding = IDG_SAML_BINDING_POST;
		j->in.message = j->message;
		j->in.relay_state = j->relay;
	} else {
		if ((j->query = strdup(raw_query(r))) == NULL) {
			fail_page(j, "internal_error");
			return;
		}
		j->in.binding = IDG_SAML_BINDING_REDIRECT;
		j->in.raw_query = j->query;
	}
	submit(j, parsed);
}

/* ---- continuing an accepted request: session, assignment, policy, response ---- */

static void
responded(struct saml_job *j);

/*
 * The (session, SP) pairs this worker has written to their sl: set, so a
 * user's repeated SSOs to one SP cost no Redis command. Direct-mapped: a
 * pair pushed out is written again, which is harmless (SADD, EXPIRE). The
 * set is written once with the session's absolute lifetime, so it outlives
 * the session without being refreshed; a logout ends the session, whose id
 * never comes back. Loop thread only.
 */
#define SL_SLOTS 4096
static uint64_t sl_seen[SL_SLOTS];

static bool
sl_known(const char *key, const char *member, uint64_t *h)
{
	uint8_t d[IDG_SHA256_LEN];
	struct idg_buf m;

	idg_buf_init(&m, 8192);
	idg_buf_printf(&m, "%s|%s", key, member);
	idg_sha256(m.data != NULL ? m.data : "", m.len, d);
	idg_buf_free(&m);
	memcpy(h, d, sizeof(*h));
	*h |= 1;	/* never 0, an empty slot */
	return sl_seen[*h % SL_SLOTS] == *h;
}

/* Remembers the pair once Redis has both the member and the expiry. */
static void
sl_added(void *arg, int status, struct redisReply *reply)
{
	uint64_t h = (uint64_t)(uintptr_t)arg;

	if (status == IDG_OK && reply != NULL && reply->type == REDIS_REPLY_INTEGER &&
	    reply->integer == 1)
		sl_seen[h % SL_SLOTS] = h;
}

static void
sso_recorded(void *arg, int status)
{
	struct saml_job *j = arg;
	struct idg_req *r = j->r;
	char key[80], member[2048], ttl[16];
	uint64_t h;
	int st;

	attach(r, j);
	if (status != IDG_OK) {
		fail_page(j, "store_unavailable");
		return;
	}
	/* The session's SPs, for single logout: once per session and SP. */
	hashed_key("sl", r->session.id, NULL, NULL, key, sizeof(key));
	snprintf(member, sizeof(member), "%s\t%s\t%d\t%s", j->authn.sp_entity_id, j->nameid,
	    (int)j->authn.nameid_format, j->sindex);
	if (!sl_known(key, member, &h)) {
		snprintf(ttl, sizeof(ttl), "%d", r->w->cfg->session_absolute_lifetime_s);
		st = idg_redis_command(r->w->redis, ignore, NULL, "SADD %s %s", key, member);
		if (st == IDG_PENDING)
			idg_redis_command(r->w->redis, sl_added, (void *)(uintptr_t)h,
			    "EXPIRE %s %s", key, ttl);
	}
	if (j->qid[0] != '\0') {
		hashed_key("sq", j->qid, NULL, NULL, key, sizeof(key));
		idg_redis_command(r->w->redis, ignore, NULL, "DEL %s", key);
	}
	deliver(j);
}

static void
responded(struct saml_job *j)
{
	struct idg_req *r = j->r;
	const struct idg_dir_user *u = idg_directory_user(r->tenant, r->session.user_id);
	struct idg_audit_event e;

	if (j->status != IDG_OK) {
		audit(j, u != NULL ? u->email : "-", "saml_internal");
		fail_page(j, "internal_error");
		return;
	}
	memset(&e, 0, sizeof(e));
	e.tenant_id = r->tenant->id;
	e.actor = u != NULL ? u->email : "-";
	e.action = "sso.saml";
	e.target = j->app_id;
	e.result = "ok";
	e.ip = r->client_ip;
	/* a launch resumed after a step has no launch_entity but no request ID either */
	e.detail = j->launch_entity[0] != '\0' || j->authn.request_id[0] == '\0' ?
	    "idp-initiated" : "sp-initiated";
	r->hctx = NULL;
	/* The response goes out only once the SSO counts (metering.h). */
	idg_metering_record(r, &e, r->session.user_id, 0, sso_recorded, j);
}

/* Adds one attribute with values from a '\n'-separated list in the job's storage. */
static void
add_attr(struct saml_job *j, struct idg_buf *store, const char *name, const char *values)
{
	struct idg_saml_attr *a;

	if (j->nattrs == sizeof(j->attrs) / sizeof(j->attrs[0]))
		return;
	a = &j->attrs[j->nattrs];
	memset(a, 0, sizeof(*a));
	a->name = (const char *)(uintptr_t)store->len;	/* offsets until the buffer is final */
	idg_buf_add(store, name, strlen(name) + 1);
	a->values = j->values[j->nattrs];
	a->n_values = 0;
	while (values != NULL && *values != '\0' && a->n_values < 32) {
		size_t n = strcspn(values, "\n");

		j->values[j->nattrs][a->n_values++] = (const char *)(uintptr_t)store->len;
		idg_buf_add(store, values, n);
		idg_buf_add(store, "", 1);
		values += n;
		if (*values == '\n')
			values++;
	}
	j->nattrs++;
}

/* The subject for an app: NameID by the app's rule, attributes by its mapping. */
static int
subject(struct saml_job *j, const struct idg_dir_saml_app *app, const struct idg_dir_user *u)
{
	struct idg_req *r = j->r;
	char uid[24];
	struct idg_buf store;
	const char *line;
	size_t i, k;

	idg_strlcpy(j->app_id, app->app_id, sizeof(j->app_id));
	session_index(r->session.id, j->sindex);
	j->authn_context = (r->session.amr & IDG_AMR_CERT) ? IDG_SAML_AC_X509 :
	    (r->session.amr & IDG_AMR_OTP) ? IDG_SAML_AC_MFA : IDG_SAML_AC_PPT;
	switch (j->authn.nameid_format) {
	case IDG_SAML_NAMEID_PERSISTENT:
		snprintf(uid, sizeof(uid), "%lld", (long long)u->id);
		if (idg_saml_persistent_id(r->tenant->saml->persistent_key, r->company_id,
		    app->entity_id, uid, j->nameid) != IDG_OK)
			return IDG_ERR;
		break;
	default:
		/*
		 * The app's NameID source (unspecified format: the same stable
		 * value): the e-mail, or a user attribute of those users have.
		 */
		if (strcmp(app->nameid_source, "attr:display_name") == 0 &&
		    u->display_name[0] != '\0')
			idg_strlcpy(j->nameid, u->display_name, sizeof(j->nameid));
		else if (strcmp(app->nameid_source, "attr:id") == 0)
			snprintf(j->nameid, sizeof(j->nameid), "%lld", (long long)u->id);
		else
			idg_strlcpy(j->nameid, u->email, sizeof(j->nameid));
		break;
	}
	idg_buf_init(&store, 64 * 1024);
	for (line = app->attributes; line != NULL && *line != '\0';) {
		size_t n = strcspn(line, "\n");
		char name[256], src[512];
		const char *eq = memchr(line, '=', n);

		if (eq != NULL && (size_t)(eq - line) < sizeof(name) &&
		    n - (size_t)(eq - line) - 1 < sizeof(src)) {
			snprintf(name, sizeof(name), "%.*s", (int)(eq - line), line);
			snprintf(src, sizeof(src), "%.*s", (int)(n - (size_t)(eq - line) - 1),
			    eq + 1);
			if (strcmp(src, "email") == 0)
				add_attr(j, &store, name, u->email);
			else if (strcmp(src, "display_name") == 0)
				add_attr(j, &store, name, u->display_name);
			else if (strcmp(src, "groups") == 0)
				add_attr(j, &store, name, u->groups != NULL ? u->groups : "");
			else if (strncmp(src, "const:", 6) == 0)
				add_attr(j, &store, name, src + 6);
		}
		line += n;
		if (*line == '\n')
			line++;
	}
	if (store.len > 0 && store.data == NULL)
		return IDG_ERR;
	/* Offsets into the final buffer become pointers. */
	j->strings = store.len > 0 ? idg_buf_take(&store) : NULL;
	idg_buf_free(&store);
	for (i = 0; i < j->nattrs; i++) {
		j->attrs[i].name = j->strings + (uintptr_t)j->attrs[i].name;
		for (k = 0; k < j->attrs[i].n_values; k++)
			j->values[i][k] = j->strings + (uintptr_t)j->values[i][k];
	}
	return IDG_OK;
}

/* Where the browser comes back to: this request's resume URL (local path). */
static void
resume_path(struct saml_job *j, char *out, size_t outsz)
{
	snprintf(out, outsz, "/saml/%s/resume?q=%s", j->r->company_id, j->qid);
}

static void
redirect_step(struct saml_job *j)
{
	struct idg_req *r = j->r;
	char ret[256];
	struct idg_buf loc;

	resume_path(j, ret, sizeof(ret));
	idg_buf_init(&loc, 4096);
	idg_buf_printf(&loc, "%s/t/%s/%s?return=", j->step_base, r->company_id, j->step);
	idg_url_escape(&loc, ret);
	job_free(j);
	idg_reply_redirect(r, loc.data != NULL ? loc.data : "/");
	idg_buf_free(&loc);
}

/* Sends the user to a step (base "" or the device URL) and back to this request. */
static void
to_step(struct saml_job *j, const char *base, const char *step)
{
	j->step_base = base;
	j->step = step;
	if (j->qid[0] != '\0')
		redirect_step(j);	/* resumed: kept already */
	else
		store_pending(j);
}

static void
sso_session(struct idg_req *r, int st)
{
	struct saml_job *j = r->hctx;
	const struct idg_dir_saml_app *app;
	const struct idg_dir_user *u;
	struct idg_policy_decision d;

	if (st == IDG_UNAVAILABLE) {
		fail_page(j, "session_store_unavailable");
		return;
	}
	/* ForceAuthn: a sign-in newer than the request (profiles 4.1.4.1). */
	if (st != IDG_OK || (j->authn.force_authn && r->session.auth_time < j->pending_at) ||
	    (r->session.flags & (IDG_SESSION_MFA_PENDING | IDG_SESSION_DEVICE_PENDING))) {
		if (j->authn.is_passive) {
			audit(j, "-", "no_passive");
			respond_error(j, IDG_SAML_ST_NO_PASSIVE, "saml_request_invalid");
		} else if (st == IDG_OK && !j->authn.force_authn &&
		    (r->session.flags & IDG_SESSION_MFA_PENDING))
			to_step(j, "", "mfa");
		else if (st == IDG_OK && !j->authn.force_authn &&
		    (r->session.flags & IDG_SESSION_DEVICE_PENDING) &&
		    r->w->cfg->device_url[0] != '\0')
			to_step(j, r->w->cfg->device_url, "device");
		else
			to_step(j, "", "login");
		return;
	}
	u = idg_directory_user(r->tenant, r->session.user_id);
	app = idg_dir_saml_app(r->tenant, NULL, j->authn.sp_entity_id);
	if (app == NULL || u == NULL) {
		fail_page(j, "saml_request_invalid");
		return;
	}
	if (!idg_dir_saml_app_allowed(app, u->id)) {
		audit(j, u->email, "not_assigned");
		fail_page(j, "saml_not_assigned");
		return;
	}
	if (r->session.flags & IDG_SESSION_MUST_CHANGE_PASSWORD) {
		to_step(j, "", "password");
		return;
	}
	idg_access_decide(r, u, app->app_id, app->device_required, r->session.amr, &d);
	if (d.action == IDG_POLICY_DENY) {
		audit(j, u->email, d.reason != NULL ? d.reason : "access_denied");
		if (j->authn.can_respond || j->authn.reason == IDG_SAML_R_NONE)
			respond_error(j, IDG_SAML_ST_REQUEST_DENIED, "access_denied");
		else
			fail_page(j, d.reason != NULL ? d.reason : "access_denied");
		return;
	}
	if (d.action == IDG_POLICY_REQUIRE_CERT || d.action == IDG_POLICY_REQUIRE_TOTP) {
		if (j->authn.is_passive) {
			respond_error(j, IDG_SAML_ST_NO_PASSIVE, "saml_request_invalid");
			return;
		}
		if (d.action == IDG_POLICY_REQUIRE_TOTP)
			to_step(j, "", "mfa");
		else if (r->w->cfg->device_url[0] != '\0')
			to_step(j, r->w->cfg->device_url, "device");
		else
			fail_page(j, "device_check_unavailable");
		return;
	}
	if (subject(j, app, u) != IDG_OK) {
		fail_page(j, "internal_error");
		return;
	}
	j->kind = J_RESPOND;
	submit(j, responded);
}

static void
continue_sso(struct saml_job *j)
{
	idg_auth_session(j->r, sso_session);
}

static void
pending_loaded(void *arg, int status, struct redisReply *reply)
{
	struct saml_job *j = arg;
	uint64_t magic = 0;

	attach(j->r, j);
	if (status != IDG_OK) {
		fail_page(j, "session_store_unavailable");
		return;
	}
	if (reply == NULL || reply->type != REDIS_REPLY_STRING ||
	    reply->len != 16 + sizeof(j->authn)) {
		fail_page(j, "saml_request_expired");
		return;
	}
	memcpy(&magic, reply->str, 8);
	if (magic != PENDING_MAGIC) {
		fail_page(j, "saml_request_expired");
		return;
	}
	memcpy(&j->pending_at, reply->str + 8, 8);
	memcpy(&j->authn, reply->str + 16, sizeof(j->authn));
	continue_sso(j);
}

static void
h_resume(struct idg_req *r)
{
	const char *q = idg_params_get(&r->query, "q");
	struct saml_job *j;
	char key[80];

	if (r->tenant->saml == NULL) {
		idg_reply_error(r, "saml_not_configured");
		return;
	}
	if (q == NULL || strlen(q) != 32) {
		idg_reply_error(r, "saml_request_expired");
		return;
	}
	if ((j = job_new(r, J_RESPOND)) == NULL)
		return;
	idg_strlcpy(j->qid, q, sizeof(j->qid));
	hashed_key("sq", j->qid, NULL, NULL, key, sizeof(key));
	if (idg_redis_command(r->w->redis, pending_loaded, j, "GET %s", key) != IDG_PENDING)
		pending_loaded(j, IDG_UNAVAILABLE, NULL);
}

/* ---- IdP-initiated: a portal click ---- */

/* The launch as a request of its own, kept until the owed step is done. */
static void
launch_kept(struct saml_job *j)
{
	if (j->status != IDG_OK) {
		fail_page(j, "saml_idp_initiated_disabled");
		return;
	}
	j->pending_at = idg_now();
	to_step(j, j->step_base, j->step);
}

static void
launch_session(struct idg_req *r, int st)
{
	struct saml_job *j = r->hctx;
	const struct idg_dir_saml_app *app;
	const struct idg_dir_user *u;
	struct idg_policy_decision d;

	if (!idg_auth_require(r, st))
		return;
	u = idg_directory_user(r->tenant, r->session.user_id);
	app = idg_dir_saml_app(r->tenant, j->app_id, NULL);
	if (app == NULL || u == NULL) {
		fail_page(j, "saml_app_not_found");
		return;
	}
	idg_strlcpy(j->authn.sp_entity_id, app->entity_id, sizeof(j->authn.sp_entity_id));
	if (!app->idp_initiated) {
		audit(j, u->email, "saml_idp_initiated_disabled");
		fail_page(j, "saml_idp_initiated_disabled");
		return;
	}
	if (!idg_dir_saml_app_allowed(app, u->id)) {
		audit(j, u->email, "not_assigned");
		fail_page(j, "saml_not_assigned");
		return;
	}
	idg_access_decide(r, u, app->app_id, app->device_required, r->session.amr, &d);
	if (d.action == IDG_POLICY_DENY) {
		audit(j, u->email, d.reason != NULL ? d.reason : "access_denied");
		fail_page(j, d.reason != NULL ? d.reason : "access_denied");
		return;
	}
	if (d.action != IDG_POLICY_ALLOW) {
		/*
		 * A step is owed first: the launch becomes a pending request
		 * (no ID) that the step's return URL resumes, checked again then.
		 */
		if (d.action == IDG_POLICY_REQUIRE_CERT && r->w->cfg->device_url[0] == '\0') {
			fail_page(j, "device_check_unavailable");
			return;
		}
		j->step_base = d.action == IDG_POLICY_REQUIRE_TOTP ? "" : r->w->cfg->device_url;
		j->step = d.action == IDG_POLICY_REQUIRE_TOTP ? "mfa" : "device";
		idg_strlcpy(j->launch_entity, app->entity_id, sizeof(j->launch_entity));
		j->kind = J_LAUNCH;
		submit(j, launch_kept);
		return;
	}
	idg_strlcpy(j->launch_entity, app->entity_id, sizeof(j->launch_entity));
	/* The NameID format the app is sent (idg_saml_authn_idp_initiated sets it too). */
	j->authn.nameid_format = (enum idg_saml_nameid_format)app->nameid_format;
	if (subject(j, app, u) != IDG_OK) {
		fail_page(j, "internal_error");
		return;
	}
	submit(j, responded);
}

void
idg_h_saml_launch(struct idg_req *r, const char *app_id)
{
	struct saml_job *j;

	if (r->tenant->saml == NULL) {
		idg_reply_error(r, "saml_app_not_found");
		return;
	}
	if ((j = job_new(r, J_RESPOND)) == NULL)
		return;
	idg_strlcpy(j->app_id, app_id, sizeof(j->app_id));
	attach(r, j);
	idg_auth_session(r, launch_session);
}

/* ---- metadata ---- */

static void
h_metadata(struct idg_req *r)
{
	struct idg_saml_idp_conf c;
	char host[256];
	struct idg_buf b;

	if (r->tenant->saml == NULL) {
		idg_reply_error(r, "saml_not_configured");
		return;
	}
	idp_conf(r->w->cfg, r->tenant, host, sizeof(host), &c);
	idg_buf_init(&b, 256 * 1024);
	if (idg_saml_metadata(&c, &b) != IDG_OK || b.data == NULL) {
		idg_buf_free(&b);
		idg_reply_error(r, "internal_error");
		return;
	}
	idg_reply(r, 200, "application/samlmetadata+xml", b.data, b.len);
	idg_buf_free(&b);
}

/* ---- single logout ---- */

/*
 * A logout in progress, kept in Redis (so:) between browser round trips:
 * who started it (an SP's LogoutRequest, or the portal), the SPs still to
 * tell, and the request we are waiting an answer for.
 */
static json_t *
state_json(const struct saml_job *j, json_t *left, bool partial)
{
	json_t *o = json_object();

	json_object_set_new(o, "left", left);
	json_object_set_new(o, "partial", json_boolean(partial));
	json_object_set_new(o, "wait_sp", json_string(j->t_entity));
	json_object_set_new(o, "wait_id", json_string(j->out.message_id));
	if (j->lreq.sp_entity_id[0] != '\0') {
		char *b64 = malloc(IDG_B64URL_LEN(sizeof(j->lreq)));

		if (b64 != NULL && idg_b64url_encode(&j->lreq, sizeof(j->lreq), b64,
		    IDG_B64URL_LEN(sizeof(j->lreq))) >= 0)
			json_object_set_new(o, "initiator", json_string(b64));
		free(b64);
	}
	return o;
}

static void logout_next(struct saml_job *j, json_t *left, bool partial);

static void
logout_finish(struct saml_job *j, bool partial)
{
	struct idg_req *r = j->r;
	char loc[64];

	if (j->lreq.sp_entity_id[0] != '\0' && j->lreq.can_respond) {
		/* The initiating SP gets its LogoutResponse. */
		j->t_entity[0] = '\0';
		j->partial = partial;
		j->kind = J_LOGOUT_OUT;
		idg_saml_out_free(&j->out);
		submit(j, error_sent);
		return;
	}
	snprintf(loc, sizeof(loc), "/t/%s/login", r->company_id);
	job_free(j);
	idg_reply_redirect(r, loc);
}

static void
state_stored(void *arg, int status, struct redisReply *reply)
{
	struct saml_job *j = arg;

	(void)reply;
	attach(j->r, j);
	if (status != IDG_OK) {
		fail_page(j, "session_store_unavailable");
		return;
	}
	deliver(j);
}

/* Our LogoutRequest to the next SP is built: keep the state, send the browser there. */
static void
logout_request_built(struct saml_job *j)
{
	struct idg_req *r = j->r;
	json_t *st, *left;
	char key[80], *text;
	int rc;

	left = json_incref(json_object_get(j->state, "left"));
	if (j->status != IDG_OK) {
		/* Unknown SP or no SLO endpoint: skip it (the logout is partial). */
		json_decref(j->state);
		j->state = NULL;
		logout_next(j, left, true);
		return;
	}
	st = state_json(j, left, json_is_true(json_object_get(j->state, "partial")));
	json_decref(j->state);
	j->state = NULL;
	text = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	hashed_key("so", j->state_id, NULL, NULL, key, sizeof(key));
	r->hctx = NULL;
	rc = text != NULL ? idg_redis_command(r->w->redis, state_stored, j, "SET %s %s EX %d",
	    key, text, LOGOUT_TTL_S) : IDG_ERR;
	free(text);
	if (rc != IDG_PENDING)
		state_stored(j, IDG_UNAVAILABLE, NULL);
}

/* Tells the next SP of left (a JSON array of "entity\tnameid\tformat\tindex"). */
static void
logout_next(struct saml_job *j, json_t *left, bool partial)
{
	const char *m;
	char fmt[8];
	json_t *hold;
	size_t n;

	if (json_array_size(left) == 0) {
		json_decref(left);
		logout_finish(j, partial);
		return;
	}
	m = json_string_value(json_array_get(left, 0));
	memset(j->t_entity, 0, sizeof(j->t_entity));
	if (m != NULL) {
		n = strcspn(m, "\t");
		snprintf(j->t_entity, sizeof(j->t_entity), "%.*s", (int)n, m);
		m += n + (m[n] == '\t');
		n = strcspn(m, "\t");
		snprintf(j->t_nameid, sizeof(j->t_nameid), "%.*s", (int)n, m);
		m += n + (m[n] == '\t');
		n = strcspn(m, "\t");
		snprintf(fmt, sizeof(fmt), "%.*s", (int)(n < 7 ? n : 7), m);
		j->t_format = (int)strtol(fmt, NULL, 10);
		m += n + (m[n] == '\t');
		idg_strlcpy(j->t_index, m, sizeof(j->t_index));
	}
	json_array_remove(left, 0);
	/* The state rides in j->state until the request is built. */
	hold = json_object();
	json_object_set_new(hold, "left", left);
	json_object_set_new(hold, "partial", json_boolean(partial));
	json_decref(j->state);
	j->state = hold;
	j->kind = J_LOGOUT_OUT;
	idg_saml_out_free(&j->out);
	submit(j, logout_request_built);
}

/* The session's SPs are read; the session is ended; the others are told. */
static void
sps_read(void *arg, int status, struct redisReply *reply)
{
	struct saml_job *j = arg;
	struct idg_req *r = j->r;
	json_t *left = json_array();
	char key[80];
	uint8_t rnd[24];
	size_t i;

	attach(r, j);
	if (status != IDG_OK) {
		json_decref(left);
		fail_page(j, "session_store_unavailable");
		return;
	}
	for (i = 0; reply != NULL && reply->type == REDIS_REPLY_ARRAY && i < reply->elements;
	    i++) {
		const redisReply *e = reply->element[i];
		size_t n = strlen(j->lreq.sp_entity_id);

		if (e->type != REDIS_REPLY_STRING)
			continue;
		/* The initiating SP is answered, not asked. */
		if (n > 0 && strncmp(e->str, j->lreq.sp_entity_id, n) == 0 && e->str[n] == '\t')
			continue;
		json_array_append_new(left, json_stringn(e->str, e->len));
	}
	if (r->has_session) {
		hashed_key("sl", r->session.id, NULL, NULL, key, sizeof(key));
		idg_redis_command(r->w->redis, ignore, NULL, "DEL %s", key);
		idg_session_discard(r, r->session.id);
		{
			char name[64];

			idg_session_cookie_name(r->company_id, name, sizeof(name));
			idg_req_set_cookie(r, name, "", 0);
		}
	}
	if (idg_random(rnd, sizeof(rnd)) != IDG_OK ||
	    idg_b64url_encode(rnd, sizeof(rnd), j->state_id, sizeof(j->state_id)) < 0) {
		json_decref(left);
		fail_page(j, "internal_error");
		return;
	}
	logout_next(j, left, false);
}

static void
logout_session(struct idg_req *r, int st)
{
	struct saml_job *j = r->hctx;
	const struct idg_dir_user *u;
	char key[80];

	if (st == IDG_UNAVAILABLE) {
		fail_page(j, "session_store_unavailable");
		return;
	}
	if (st == IDG_OK) {
		u = idg_directory_user(r->tenant, r->session.user_id);
		idg_audit_async(r, r->tenant->id, u != NULL ? u->email : "-", "signout",
		    j->lreq.sp_entity_id[0] != '\0' ? j->lreq.sp_entity_id : "portal", "ok");
		hashed_key("sl", r->session.id, NULL, NULL, key, sizeof(key));
		r->hctx = NULL;
		if (idg_redis_command(r->w->redis, sps_read, j, "SMEMBERS %s", key) !=
		    IDG_PENDING)
			sps_read(j, IDG_UNAVAILABLE, NULL);
		return;
	}
	/* No session here any more: nothing to end, the SP still gets its answer. */
	sps_read(j, IDG_OK, NULL);
}

static void
logout_state_loaded(void *arg, int status, struct redisReply *reply);

static void
logout_in_parsed(struct saml_job *j)
{
	struct idg_req *r = j->r;

	if (j->is_response) {
		json_t *st = j->state, *left;
		bool partial;

		j->state = NULL;
		partial = json_is_true(json_object_get(st, "partial")) ||
		    j->status != IDG_OK || !j->lres.success || j->lres.partial;
		if (j->status != IDG_OK)
			log_info("SAML LogoutResponse refused (%s): %s",
			    idg_saml_reason_code(j->lres.reason), j->err);
		left = json_incref(json_object_get(st, "left"));
		{
			const char *ini = json_string_value(json_object_get(st, "initiator"));

			if (ini != NULL && idg_b64url_decode(ini, &j->lreq, sizeof(j->lreq)) !=
			    (int)sizeof(j->lreq))
				memset(&j->lreq, 0, sizeof(j->lreq));
		}
		json_decref(st);
		logout_next(j, left != NULL ? left : json_array(), partial);
		return;
	}
	if (j->status != IDG_OK) {
		log_info("SAML LogoutRequest refused (%s): %s",
		    idg_saml_reason_code(j->lreq.reason), j->err);
		if (j->lreq.can_respond) {
			j->t_entity[0] = '\0';
			j->kind = J_LOGOUT_OUT;
			submit(j, error_sent);
		} else
			fail_page(j, "saml_request_invalid");
		return;
	}
	idg_auth_session(r, logout_session);
}

static void
logout_state_loaded(void *arg, int status, struct redisReply *reply)
{
	struct saml_job *j = arg;
	json_t *st;

	attach(j->r, j);
	if (status != IDG_OK) {
		fail_page(j, "session_store_unavailable");
		return;
	}
	st = reply != NULL && reply->type == REDIS_REPLY_STRING ?
	    json_loadb(reply->str, reply->len, 0, NULL) : NULL;
	if (st == NULL || !json_is_string(json_object_get(st, "wait_sp"))) {
		json_decref(st);
		fail_page(j, "saml_request_expired");
		return;
	}
	idg_strlcpy(j->expect_sp, json_string_value(json_object_get(st, "wait_sp")),
	    sizeof(j->expect_sp));
	idg_strlcpy(j->expect_id, json_string_value(json_object_get(st, "wait_id")) != NULL ?
	    json_string_value(json_object_get(st, "wait_id")) : "", sizeof(j->expect_id));
	j->state = st;
	j->kind = J_LOGOUT_IN;
	submit(j, logout_in_parsed);
}

static void
h_slo(struct idg_req *r)
{
	struct saml_job *j;
	struct idg_params f, q;
	const char *req = NULL, *resp = NULL, *rs = NULL;
	char key[80];

	if (r->tenant->saml == NULL) {
		idg_reply_error(r, "saml_not_configured");
		return;
	}
	if ((j = job_new(r, J_LOGOUT_IN)) == NULL)
		return;
	attach(r, j);
	if (r->method == IDG_POST) {
		if (idg_req_form(r, &f) != IDG_OK) {
			fail_page(j, "bad_request");
			return;
		}
		req = idg_params_get(&f, "SAMLRequest");
		resp = idg_params_get(&f, "SAMLResponse");
		rs = idg_params_get(&f, "RelayState");
		j->message = strdup(req != NULL ? req : resp != NULL ? resp : "");
		j->relay = rs != NULL ? strdup(rs) : NULL;
		idg_params_free(&f);
		j->in.binding = IDG_SAML_BINDING_POST;
		j->in.message = j->message;
		j->in.relay_state = j->relay;
	} else {
		q = r->query;
		req = idg_params_get(&q, "SAMLRequest");
		resp = idg_params_get(&q, "SAMLResponse");
		rs = idg_params_get(&q, "RelayState");
		j->relay = rs != NULL ? strdup(rs) : NULL;
		j->query = strdup(raw_query(r));
		j->in.binding = IDG_SAML_BINDING_REDIRECT;
		j->in.raw_query = j->query;
	}
	if ((req == NULL) == (resp == NULL) || (j->in.binding == IDG_SAML_BINDING_REDIRECT &&
	    j->query == NULL)) {
		fail_page(j, "saml_request_invalid");
		return;
	}
	j->is_response = resp != NULL;
	if (!j->is_response) {
		submit(j, logout_in_parsed);
		return;
	}
	/* An answer to our propagation: its RelayState names our state. */
	if (j->relay == NULL || strlen(j->relay) != 32) {
		fail_page(j, "saml_request_expired");
		return;
	}
	idg_strlcpy(j->state_id, j->relay, sizeof(j->state_id));
	hashed_key("so", j->state_id, NULL, NULL, key, sizeof(key));
	r->hctx = NULL;
	if (idg_redis_command(r->w->redis, logout_state_loaded, j, "GETDEL %s", key) !=
	    IDG_PENDING)
		logout_state_loaded(j, IDG_UNAVAILABLE, NULL);
}

/*
 * Sign-out from the portal (the form's CSRF token already checked): ends
 * the session and tells every SP the session used, then the sign-in page.
 */
void
idg_saml_portal_logout(struct idg_req *r)
{
	const struct idg_dir_user *u = idg_directory_user(r->tenant, r->session.user_id);
	struct saml_job *j;
	char key[80];

	if ((j = job_new(r, J_LOGOUT_OUT)) == NULL)
		return;
	idg_audit_async(r, r->tenant->id, u != NULL ? u->email : "-", "signout",
	    u != NULL ? u->email : "-", "ok");
	hashed_key("sl", r->session.id, NULL, NULL, key, sizeof(key));
	if (idg_redis_command(r->w->redis, sps_read, j, "SMEMBERS %s", key) != IDG_PENDING)
		sps_read(j, IDG_UNAVAILABLE, NULL);
}

void
idg_saml_session_renewed(struct idg_req *r, const char *old_id, const char *new_id)
{
	char from[80], to[80];

	hashed_key("sl", old_id, NULL, NULL, from, sizeof(from));
	hashed_key("sl", new_id, NULL, NULL, to, sizeof(to));
	/* COPY answers 0 when the old session used no SP: no error either way. */
	if (idg_redis_command(r->w->redis, ignore, NULL, "COPY %s %s", from, to) == IDG_PENDING)
		idg_redis_command(r->w->redis, ignore, NULL, "DEL %s", from);
}

void
idg_h_saml(struct idg_req *r, const char *rest)
{
	bool get = r->method == IDG_GET || r->method == IDG_HEAD;

	if (strcmp(rest, "/metadata") == 0 && get) {
		r->route = IDG_R_SAML_METADATA;
		h_metadata(r);
	} else if (strcmp(rest, "/sso") == 0 && (get || r->method == IDG_POST)) {
		r->route = IDG_R_SAML_SSO;
		h_sso(r);
	} else if (strcmp(rest, "/resume") == 0 && get) {
		r->route = IDG_R_SAML_SSO;
		h_resume(r);
	} else if (strcmp(rest, "/slo") == 0 && (get || r->method == IDG_POST)) {
		r->route = IDG_R_SAML_SLO;
		h_slo(r);
	} else if (strcmp(rest, "/metadata") == 0 || strcmp(rest, "/sso") == 0 ||
	    strcmp(rest, "/slo") == 0 || strcmp(rest, "/resume") == 0)
		idg_reply_error(r, "method_not_allowed");
	else
		idg_reply_error(r, "not_found");
}
