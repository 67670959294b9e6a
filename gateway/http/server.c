/*
 * server.c - one worker process: its event loop, listeners, Redis client,
 * work pool and directory polling; see server.h.
 */
#include "server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "../../certs/devcert.h"
#include "../../policy/jpcal.h"
#include "../devices.h"
#include "../directory.h"
#include "../handlers/handlers.h"
#include "../saml/saml.h"
#include "../report/report.h"
#include "../session/redis.h"
#include "../session/session.h"
#include "../store/store.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"
#include "accesslog.h"
#include "metrics.h"
#include "request.h"
#include "tls.h"
#include "worker_store.h"
#include "workpool.h"

struct thread_ctx {
	const struct idg_config	*cfg;
	struct idg_store	*store;
};

static void *
thread_init(void *arg)
{
	struct thread_ctx *t = calloc(1, sizeof(*t));

	/*
	 * Pool threads run below the event loop's priority (Linux nice is per
	 * thread): a storm of argon2 hashes must not starve request handling.
	 */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) != 0)
		log_debug("setpriority failed; pool threads keep the loop's priority");

	if (t != NULL)
		t->cfg = arg;
	return t;
}

static void
thread_fini(void *arg, void *ctx)
{
	struct thread_ctx *t = ctx;

	if (t != NULL)
		idg_store_free(t->store);
	free(t);
	idg_saml_thread_done();
}

struct idg_store *
idg_worker_store(void *thread_ctx)
{
	struct thread_ctx *t = thread_ctx;
	struct idg_store_config sc;

	if (t == NULL)
		return NULL;
	if (t->store == NULL) {
		sc.driver = t->cfg->store_driver;
		sc.sqlite_path = t->cfg->sqlite_path;
		sc.busy_timeout_ms = t->cfg->store_busy_timeout_ms;
		if (idg_store_open(&sc, &t->store) != IDG_OK) {
			t->store = NULL;
			idg_metrics_inc(IDG_M_STORE_ERRORS);
		}
	}
	return t->store;
}

void
idg_worker_store_failed(void *thread_ctx)
{
	struct thread_ctx *t = thread_ctx;

	/* Reopen on the next job: the file may have been restored. */
	idg_metrics_inc(IDG_M_STORE_ERRORS);
	if (t != NULL) {
		idg_store_free(t->store);
		t->store = NULL;
	}
}

/* Directory polling: generation check and rebuild, both on the pool. */
struct dir_job {
	struct idg_worker	*w;
	int64_t			 known;
	int			 status;
	struct idg_directory	*fresh;
};

static void
dir_work(void *ctx, void *arg)
{
	struct dir_job *j = arg;
	struct idg_store *s = idg_worker_store(ctx);
	int64_t gen;

	if (s == NULL) {
		j->status = IDG_UNAVAILABLE;
		return;
	}
	if ((j->status = idg_store_generation(s, &gen)) != IDG_OK) {
		idg_worker_store_failed(ctx);
		return;
	}
	if (j->known >= 0 && gen == j->known)
		return;
	if ((j->status = idg_directory_load(s, j->w->cfg->master_key, j->w->cfg->public_url,
	    &j->fresh)) != IDG_OK)
		idg_worker_store_failed(ctx);
}

/*
 * The CA names a device-check listener sends in its CertificateRequest:
 * browsers offer only certificates whose issuer is listed. Up to
 * MAX_CA_NAMES tenants' CAs are named; beyond that none are (a browser then
 * offers every client certificate it holds).
 */
#define MAX_CA_NAMES	64

static void
client_ca_names(struct idg_worker *w)
{
	STACK_OF(X509_NAME) *names;
	int i, n = 0;

	for (i = 0; i < w->dir->ntenants; i++)
		if (w->dir->tenants[i].ca != NULL)
			n++;
	for (i = 0; i < w->nlisteners; i++) {
		struct idg_listener *l = &w->listeners[i];
		int k;

		if (!l->cfg->client_certificates || l->ssl == NULL)
			continue;
		if ((names = sk_X509_NAME_new_null()) == NULL)
			return;
		for (k = 0; n <= MAX_CA_NAMES && k < w->dir->ntenants; k++) {
			X509 *ca = w->dir->tenants[k].ca != NULL ?
			    idg_ca_x509(w->dir->tenants[k].ca) : NULL;
			X509_NAME *nm = ca != NULL ? X509_NAME_dup(X509_get_subject_name(ca)) :
			    NULL;

			if (nm != NULL && sk_X509_NAME_push(names, nm) <= 0)
				X509_NAME_free(nm);
		}
		/* The context takes the list; handshakes from now on send it. */
		SSL_CTX_set_client_CA_list(l->ssl, names);
	}
}

/*
 * TLS session-ticket keys shared by the workers (derived from the master
 * key), new every JST day; checked whenever the directory is polled.
 */
static void
ticket_keys(struct idg_worker *w)
{
	char day[11];
	int i;

	idg_jst_day(idg_now(), day);
	if (strcmp(day, w->ticket_day) == 0)
		return;
	for (i = 0; i < w->nlisteners; i++)
		if (w->listeners[i].ssl != NULL &&
		    idg_tls_ticket_keys(w->listeners[i].ssl, w->cfg->master_key, day) != IDG_OK)
			log_warn("TLS ticket keys not set; resumption stays per worker");
	idg_strlcpy(w->ticket_day, day, sizeof(w->ticket_day));
}

static void
dir_done(void *arg)
{
	struct dir_job *j = arg;
	struct idg_worker *w = j->w;

	w->dir_polling = false;
	ticket_keys(w);
	if (j->status == IDG_OK) {
		w->dir_ok_at = idg_now();
		if (j->fresh != NULL) {
			idg_directory_unref(w->dir);
			w->dir = j->fresh;
			client_ca_names(w);
			idg_metrics_inc(IDG_M_DIRECTORY_RELOADS);
			log_debug("directory generation %lld loaded",
			    (long long)w->dir->generation);
		}
	}
	free(j);
}

static void
dir_poll(evutil_socket_t fd, short what, void *arg)
{
	struct idg_worker *w = arg;
	struct dir_job *j;

	idg_metrics_queue_depth(w->slot, idg_workpool_queued(w->pool));
	if (w->dir_polling || w->draining || (j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->w = w;
	j->known = w->dir != NULL ? w->dir->generation : -1;
	if (idg_workpool_submit(w->pool, dir_work, dir_done, j) == IDG_PENDING)
		w->dir_polling = true;
	else
		free(j);
}

/*
 * Upkeep, in worker 0 only (the store makes it idempotent anyway): the
 * daily jobs below, and account upkeep:
 * tenants with suspend_unused_days suspend person users unused that long
 * (DESIGN.md: suspended users keep their license). Runs at start and every
 * maintenance_interval_s.
 */
struct maint_job {
	struct idg_worker	*w;
	struct idg_directory	*dir;	/* referenced for the job's lifetime */
};

/* A daily job: runs when not yet done today (JST), then marks it done. */
static bool
job_due(struct idg_store *s, const char *name, const char *day)
{
	bool due = false;

	return idg_store_job_due(s, name, day, &due) == IDG_OK && due;
}

static void
job_done(struct idg_store *s, const char *name, const char *day, int st)
{
	if (st == IDG_OK && idg_store_job_done(s, name, day) == IDG_OK)
		return;
	log_error("daily job %s of %s did not complete; it runs again next time", name, day);
}

struct reports_run {
	struct idg_store		*s;
	const struct idg_jp_overrides	*ov;
	int64_t				 now;
	int				 made, status;
};

static int
reports_tenant(void *arg, const struct idg_tenant *t)
{
	struct reports_run *rr = arg;
	struct idg_audit_event e;
	char detail[64];
	int n = 0, st;

	/* A cancelled tenant's last report was made at its cancellation. */
	if (t->status == IDG_TENANT_CANCELLED)
		return 0;
	if ((st = idg_report_catch_up(rr->s, t, rr->ov, rr->now, &n)) != IDG_OK) {
		log_error("tenant %s: monthly reports not made (%s)", t->company_id,
		    idg_status_str(st));
		rr->status = st;
		return 0;	/* the other tenants still get theirs */
	}
	if (n == 0)
		return 0;
	rr->made += n;
	log_info("tenant %s: %d monthly report(s) made", t->company_id, n);
	snprintf(detail, sizeof(detail), "%d report(s)", n);
	memset(&e, 0, sizeof(e));
	e.tenant_id = t->id;
	e.actor = "gateway";
	e.action = "report.generate";
	e.result = "ok";
	e.detail = detail;
	(void)idg_store_audit_append(rr->s, &e);
	return 0;
}

struct cancelled {
	int64_t	*ids;
	int	 n, cap;
	bool	 oom;
};

static int
cancelled_tenant(void *arg, const struct idg_tenant *t)
{
	struct cancelled *c = arg;
	int64_t *v;

	if (t->status != IDG_TENANT_CANCELLED)
		return 0;
	if ((v = idg_grow(c->ids, c->n, &c->cap, sizeof(*v), 16)) == NULL) {
		c->oom = true;
		return 1;
	}
	c->ids = v;
	c->ids[c->n++] = t->id;
	return 0;
}

/*
 * Ends the sessions `idgate tenant cancel` could not (Redis unreachable
 * then), and any a sign-in still in flight at the cancellation made. The
 * purge is idempotent and an index already gone costs one ZRANGE, so every
 * cancelled tenant is simply purged again. Blocking, as in a pool thread.
 */
static int
purge_cancelled_sessions(struct idg_worker *w, struct idg_store *s)
{
	struct cancelled c;
	struct idg_redis_config rc;
	char why[256];
	long n = 0;
	int st;

	memset(&c, 0, sizeof(c));
	st = idg_store_tenant_list_brief(s, cancelled_tenant, &c);
	if (st == IDG_OK && c.oom)
		st = IDG_ERR;
	if (st == IDG_OK) {
		idg_config_redis(w->cfg, &rc);
		st = idg_session_purge_tenants(&rc, c.ids, c.n, &n, why, sizeof(why));
		if (st != IDG_OK)
			log_warn("sessions of cancelled tenants not purged: redis %s: %s",
			    idg_status_str(st), why);
		else if (n > 0)
			log_info("%ld session(s) of cancelled tenants ended", n);
	}
	free(c.ids);
	return st;
}

/*
 * The daily jobs, each at most once per Asia/Tokyo day across every
 * process on the store: the license snapshot (billing days without a pool
 * change), the monthly reports once a month is over, the audit log
 * retention (DESIGN.md: logs kept one year), and the sessions of cancelled
 * tenants left in Redis.
 */
static void
daily_jobs(struct idg_worker *w, struct idg_store *s, int64_t now)
{
	const struct idg_config *cfg = w->cfg;
	char day[11];
	int n = 0, st;

	idg_jst_day(now, day);
	if (job_due(s, "license_snapshot", day)) {
		st = idg_store_license_snapshot(s, now, &n);
		job_done(s, "license_snapshot", day, st);
	}
	if (cfg->reports_enabled && job_due(s, "reports", day)) {
		struct reports_run rr = { s, w->holidays, now, 0, IDG_OK };

		st = idg_store_tenant_list_brief(s, reports_tenant, &rr);
		job_done(s, "reports", day, st == IDG_OK ? rr.status : st);
	}
	if (job_due(s, "audit_retention", day)) {
		st = idg_store_audit_purge(s, now - (int64_t)cfg->audit_retention_days * 86400,
		    &n);
		if (st == IDG_OK && n > 0)
			log_info("audit log: %d event(s) older than %d days purged", n,
			    cfg->audit_retention_days);
		job_done(s, "audit_retention", day, st);
	}
	if (job_due(s, "session_purge", day))
		job_done(s, "session_purge", day, purge_cancelled_sessions(w, s));
}

/*
 * Device CRLs: a tenant's CRL is rebuilt on every revocation; this keeps
 * every one fresh before its nextUpdate even when nobody revokes or fetches.
 */
static void
crl_upkeep(struct idg_worker *w, struct idg_store *s, const struct idg_directory *d,
    int64_t now)
{
	int i;

	for (i = 0; i < d->ntenants; i++) {
		const struct idg_dir_tenant *t = &d->tenants[i];
		int64_t number = 0, next = 0;
		uint8_t *der = NULL;
		size_t len = 0;
		int st;

		if (t->ca == NULL || t->status == IDG_TENANT_CANCELLED)
			continue;
		st = idg_store_crl_get(s, t->id, &der, &len, &number, &next);
		free(der);
		if ((st == IDG_OK && next - now > IDG_CRL_REFRESH_S) ||
		    (st != IDG_OK && st != IDG_NOTFOUND))
			continue;
		if (idg_devices_crl_refresh(s, w->cfg->master_key, t->id, now) != IDG_OK)
			log_warn("tenant %s: device CRL not refreshed", t->company_id);
	}
}

static void
maint_work(void *ctx, void *arg)
{
	struct maint_job *j = arg;
	struct idg_store *s = idg_worker_store(ctx);
	int64_t now = idg_now();
	int i;

	if (s != NULL) {
		daily_jobs(j->w, s, now);
		crl_upkeep(j->w, s, j->dir, now);
	}

	for (i = 0; s != NULL && i < j->dir->ntenants; i++) {
		const struct idg_dir_tenant *t = &j->dir->tenants[i];
		struct idg_audit_event e;
		char detail[64];
		int n = 0;

		if (t->sec.suspend_unused_days <= 0 || t->status == IDG_TENANT_CANCELLED)
			continue;
		if (idg_store_suspend_unused(s, t->id,
		    now - (int64_t)t->sec.suspend_unused_days * 86400, now, &n) != IDG_OK) {
			idg_worker_store_failed(ctx);
			return;
		}
		if (n == 0)
			continue;
		log_info("tenant %s: %d unused accounts suspended", t->company_id, n);
		snprintf(detail, sizeof(detail), "%d users unused for %d days", n,
		    t->sec.suspend_unused_days);
		memset(&e, 0, sizeof(e));
		e.tenant_id = t->id;
		e.actor = "gateway";
		e.action = "users.suspend_unused";
		e.result = "ok";
		e.detail = detail;
		if (idg_store_audit_append(s, &e) != IDG_OK)
			log_error("audit of the suspension of unused accounts not written");
	}
}

static void
maint_done(void *arg)
{
	struct maint_job *j = arg;

	j->w->maint_running = false;
	idg_directory_unref(j->dir);
	free(j);
}

static void
maint_tick(evutil_socket_t fd, short what, void *arg)
{
	struct idg_worker *w = arg;
	struct maint_job *j;

	if (w->maint_running || w->draining || w->dir == NULL ||
	    (j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->w = w;
	j->dir = idg_directory_ref(w->dir);
	if (idg_workpool_submit(w->pool, maint_work, maint_done, j) == IDG_PENDING) {
		w->maint_running = true;
	} else {
		idg_directory_unref(j->dir);
		free(j);
	}
}

static struct bufferevent *
tls_bev(struct event_base *base, void *arg)
{
	struct idg_listener *l = arg;
	struct bufferevent *bev;
	SSL *ssl = SSL_new(l->ssl);

	if (ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/*
 * Drained when nothing is in flight, but not before a short grace period:
 * a request still being read when SIGTERM came is not counted yet, and it
 * deserves its answer.
 */
#define DRAIN_GRACE_US 300000

static void
maybe_exit(struct idg_worker *w)
{
	if (w->draining && w->inflight == 0 && idg_workpool_outstanding(w->pool) <= 0 &&
	    idg_now_us() - w->drain_started_us >= DRAIN_GRACE_US)
		event_base_loopexit(w->base, NULL);
}

static void
drain_tick(evutil_socket_t fd, short what, void *arg)
{
	maybe_exit(arg);
}

void
idg_worker_request_done(struct idg_worker *w)
{
	w->inflight--;
	if (w->draining)
		maybe_exit(w);
}

static void
drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct idg_worker *w = arg;

	log_warn("drain timeout: exiting with %d requests in flight", w->inflight);
	event_base_loopexit(w->base, NULL);
}

static void
on_term(evutil_socket_t sig, short what, void *arg)
{
	struct idg_worker *w = arg;
	struct timeval tv = { w->cfg->drain_timeout_s, 0 };
	int i;

	if (w->draining)
		return;
	w->draining = true;
	w->drain_started_us = idg_now_us();
	log_info("draining: %d requests in flight", w->inflight);
	for (i = 0; i < w->nlisteners; i++)
		if (w->listeners[i].bound != NULL) {
			evhttp_del_accept_socket(w->listeners[i].http, w->listeners[i].bound);
			w->listeners[i].bound = NULL;
		}
	event_del(w->dir_timer);
	event_del(w->start_timer);
	if (w->maint_timer != NULL)
		event_del(w->maint_timer);
	w->drain_timer = evtimer_new(w->base, drain_timeout, w);
	evtimer_add(w->drain_timer, &tv);
	tv.tv_sec = 0;
	tv.tv_usec = 50000;
	w->drain_tick = event_new(w->base, -1, EV_PERSIST, drain_tick, w);
	event_add(w->drain_tick, &tv);
}

/* One-off holiday changes from the override file (missing file: none). */
static struct idg_jp_overrides *
load_holidays(const char *path)
{
	struct idg_jp_overrides *ov = NULL;
	char err[256], *text;
	long n;
	FILE *f;

	if (path[0] == '\0' || (f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if (n < 0 || n > 1 << 20 || (text = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		log_error("%s: too large or unreadable", path);
		return NULL;
	}
	if (fread(text, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	text[n] = '\0';
	fclose(f);
	if (idg_jp_overrides_parse(text, (size_t)n, &ov, err, sizeof(err)) != IDG_OK) {
		log_error("%s: %s (holiday overrides ignored)", path, err);
		ov = NULL;
	}
	free(text);
	return ov;
}

static int
setup_listener(struct idg_worker *w, int i, int fd)
{
	struct idg_listener *l = &w->listeners[i];
	const struct idg_config *cfg = w->cfg;
	char err[512];

	l->w = w;
	l->cfg = &cfg->listeners[i];
	l->fd = fd;
	if ((l->http = evhttp_new(w->base)) == NULL)
		return IDG_ERR;
	evhttp_set_max_headers_size(l->http, (ev_ssize_t)cfg->max_header_bytes);
	evhttp_set_max_body_size(l->http, (ev_ssize_t)cfg->max_body_bytes);
	evhttp_set_timeout(l->http, cfg->request_timeout_s);
	evhttp_set_allowed_methods(l->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST);
	evhttp_set_default_content_type(l->http, "text/plain; charset=utf-8");
	evhttp_set_gencb(l->http, idg_request_dispatch, l);
	if (l->cfg->tls) {
		l->ssl = idg_tls_server_ctx(l->cfg->cert_file, l->cfg->key_file,
		    l->cfg->client_certificates, err, sizeof(err));
		if (l->ssl == NULL) {
			log_error("%s", err);
			return IDG_ERR;
		}
		evhttp_set_bevcb(l->http, tls_bev, l);
	}
	return IDG_OK;
}

/*
 * A worker takes connections only once it has loaded the directory and its
 * first Redis connection attempt has ended (whatever its outcome), or after
 * STARTUP_WAIT_MS: until then the other workers take them from the shared
 * socket, so a request never meets a worker that has not yet read the
 * tenants or tried Redis. With the store or Redis down at start, requests
 * are answered (503) once the wait is over.
 */
#define STARTUP_WAIT_MS	3000

static void
start_check(evutil_socket_t fd, short what, void *arg)
{
	struct idg_worker *w = arg;
	bool settled = w->dir != NULL && idg_redis_tried(w->redis);
	int i;

	if (w->draining)
		return;
	if (!settled && idg_now_us() - w->started_us < STARTUP_WAIT_MS * 1000ULL)
		return;
	event_del(w->start_timer);
	for (i = 0; i < w->nlisteners; i++) {
		struct idg_listener *l = &w->listeners[i];

		if ((l->bound = evhttp_accept_socket_with_handle(l->http, l->fd)) == NULL) {
			log_error("cannot accept on %s:%d", l->cfg->address, l->cfg->port);
			w->failed = true;
			event_base_loopexit(w->base, NULL);
			return;
		}
	}
	log_info("worker %d serving%s", w->slot, settled ? "" :
	    " (the store or Redis is not answering yet)");
}

/*
 * The worker's event base. epoll's change list folds an event added and
 * deleted in the same loop turn into nothing: hiredis adds and deletes its
 * write event around every command, and a response turns writing on and
 * off; without it each of those is an epoll_ctl call (13 per SAML SSO).
 * Every fd here is a socket or pipe of its own, never dup()ed, which is
 * the change list's one caveat.
 */
static struct event_base *
new_base(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *b;

	if (ec == NULL)
		return NULL;
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	b = event_base_new_with_config(ec);
	event_config_free(ec);
	return b;
}

int
idg_worker_run(const struct idg_config *cfg, const int *fds, int slot)
{
	struct idg_worker *w;
	struct idg_redis_config rc;
	struct idg_session_config sc;
	struct timeval tv;
	sigset_t none;
	int i, rcode = 1;

	/*
	 * The master forked us with its signals blocked. Keep SIGTERM/SIGINT
	 * blocked until libevent watches them, so a stop that comes while we
	 * start is delivered then instead of lost.
	 */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	/* A worker never outlives its master. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return 1;
	w->cfg = cfg;
	w->slot = slot;
	if ((w->base = new_base()) == NULL)
		goto out;
	idg_hmac_sha256(cfg->master_key, sizeof(cfg->master_key), "idgate csrf v1", 14,
	    w->csrf_key);
	if ((w->access = idg_accesslog_open(cfg->access_log)) == NULL)
		goto out;
	w->holidays = load_holidays(cfg->holidays_override_file);
	w->nlisteners = cfg->nlisteners;
	for (i = 0; i < cfg->nlisteners; i++)
		if (setup_listener(w, i, fds[i]) != IDG_OK)
			goto out;

	idg_config_redis(cfg, &rc);
	sc.idle_timeout_s = cfg->session_idle_timeout_s;
	sc.absolute_lifetime_s = cfg->session_absolute_lifetime_s;
	if ((w->redis = idg_redis_new(w->base, &rc)) == NULL ||
	    (w->sessions = idg_session_store_new("redis", &sc, w->redis)) == NULL)
		goto out;
	/* lasso, libxml2 and xmlsec, once in this process, before the pool threads. */
	if (idg_saml_init() != IDG_OK)
		goto out;
	if ((w->pool = idg_workpool_new(w->base, cfg->pool_threads, cfg->pool_max_queue,
	    thread_init, thread_fini, (void *)cfg)) == NULL)
		goto out;

	w->started_us = idg_now_us();
	w->start_timer = event_new(w->base, -1, EV_PERSIST, start_check, w);
	tv.tv_sec = 0;
	tv.tv_usec = 5000;
	event_add(w->start_timer, &tv);
	w->dir_timer = event_new(w->base, -1, EV_PERSIST, dir_poll, w);
	tv.tv_sec = cfg->directory_refresh_ms / 1000;
	tv.tv_usec = (cfg->directory_refresh_ms % 1000) * 1000;
	event_add(w->dir_timer, &tv);
	dir_poll(-1, 0, w);
	if (slot == 0) {
		w->maint_timer = event_new(w->base, -1, EV_PERSIST, maint_tick, w);
		tv.tv_sec = cfg->maintenance_interval_s;
		tv.tv_usec = 0;
		event_add(w->maint_timer, &tv);
	}
	w->sig_term = evsignal_new(w->base, SIGTERM, on_term, w);
	w->sig_int = evsignal_new(w->base, SIGINT, on_term, w);
	event_add(w->sig_term, NULL);
	event_add(w->sig_int, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	event_base_dispatch(w->base);
	rcode = w->failed ? 1 : 0;
out:
	if (w->pool != NULL) {
		/* Lets the pool's last done() calls answer their requests. */
		idg_workpool_free(w->pool);
	}
	idg_session_store_free(w->sessions);
	idg_redis_free(w->redis);
	for (i = 0; i < w->nlisteners; i++) {
		if (w->listeners[i].http != NULL)
			evhttp_free(w->listeners[i].http);
		SSL_CTX_free(w->listeners[i].ssl);
	}
	if (w->dir_timer != NULL)
		event_free(w->dir_timer);
	if (w->start_timer != NULL)
		event_free(w->start_timer);
	if (w->maint_timer != NULL)
		event_free(w->maint_timer);
	if (w->drain_timer != NULL)
		event_free(w->drain_timer);
	if (w->drain_tick != NULL)
		event_free(w->drain_tick);
	if (w->sig_term != NULL)
		event_free(w->sig_term);
	if (w->sig_int != NULL)
		event_free(w->sig_int);
	idg_directory_unref(w->dir);
	idg_accesslog_close(w->access);
	idg_jp_overrides_free(w->holidays);
	if (w->base != NULL)
		event_base_free(w->base);
	idg_wipe(w->csrf_key, sizeof(w->csrf_key));
	free(w);
	log_info("worker %d stopped", slot);
	return rcode;
}
