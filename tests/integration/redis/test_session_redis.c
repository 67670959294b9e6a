/*
 * test_session_redis.c - integration tests of the "redis" session backend
 * against a real redis-server: create/get/update/destroy, what is stored
 * under which key, sliding idle expiry, absolute lifetime, corrupt records,
 * a hung server (SIGSTOP) and a restarted one, the per-tenant session index
 * (written with create, trimmed, removed with destroy, and purged through
 * idg_session_purge_tenants), and a measurement (printed, not asserted) of
 * Redis memory per session.
 *
 * Each callback records how often it ran; every case checks exactly once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "gateway/http/metrics.h"
#include "gateway/session/redis.h"
#include "gateway/session/session.h"
#include "gateway/session/session_impl.h"
#include "gateway/util/status.h"
#include "loop_util.h"
#include "tests/harness/redis_harness.h"

#define CSRF "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"

static struct idg_test_redis srv;

struct fix {
	struct event_base		*base;
	struct idg_redis		*r;
	struct idg_session_store	*ss;
	redisContext			*sc;
};

struct res {
	int			calls;
	int			st;
	struct idg_session	s;
	int			*counter;	/* optional shared count */
};

static void
res_cb(void *arg, int st, const struct idg_session *s)
{
	struct res *r = arg;

	r->calls++;
	r->st = st;
	if (s != NULL)
		r->s = *s;
	if (r->counter != NULL)
		(*r->counter)++;
}

static bool
is_connected(void *arg)
{
	return idg_redis_connected(arg);
}

/* The test server, with short timeouts: for the event-loop client and the purge. */
static struct idg_redis_config
test_cfg(void)
{
	struct idg_redis_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.host = "127.0.0.1";
	cfg.port = srv.port;
	cfg.connect_timeout_ms = 300;
	cfg.command_timeout_ms = 300;
	return cfg;
}

static void
fix_open(struct fix *f, int idle_s, int abs_s)
{
	struct idg_session_config scfg = { idle_s, abs_s };
	struct idg_redis_config cfg = test_cfg();

	f->base = event_base_new();
	assert_non_null(f->base);
	assert_non_null(f->r = idg_redis_new(f->base, &cfg));
	assert_true(pump_until(f->base, is_connected, f->r, 3000));
	assert_non_null(f->ss = idg_session_store_new("redis", &scfg, f->r));
	assert_non_null(f->sc = sync_connect(srv.port, NULL));
}

static void
fix_close(struct fix *f)
{
	idg_session_store_free(f->ss);
	idg_redis_free(f->r);
	redisFree(f->sc);
	event_base_free(f->base);
}

static void
sample(struct idg_session *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->company_id, sizeof(s->company_id), "acme");
	s->tenant_id = 12;
	s->user_id = 3456;
	s->amr = IDG_AMR_PWD;
}

/* Creates a session and waits for it; returns its id in s. */
static void
create_ok(struct fix *f, struct idg_session *s)
{
	struct res r = { 0 };

	assert_int_equal(idg_session_create(f->ss, s, res_cb, &r), IDG_PENDING);
	assert_true(pump(f->base, &r.calls, 2000));
	assert_int_equal(r.st, IDG_OK);
	assert_memory_equal(&r.s, s, sizeof(*s));
}

static int
get_now(struct fix *f, const char *id, struct idg_session *out)
{
	struct res r = { 0 };
	int st;

	if ((st = idg_session_get(f->ss, id, out, res_cb, &r)) != IDG_PENDING)
		return st;
	assert_true(pump(f->base, &r.calls, 2000));
	pump(f->base, NULL, 5);
	assert_int_equal(r.calls, 1);
	return r.st;
}

static void
key_of(const char *id, char key[IDG_SESSION_KEY_LEN])
{
	idg_session_key(id, key);
}

static int
setup(void **state)
{
	return idg_test_redis_start(&srv);
}

static int
teardown(void **state)
{
	idg_test_redis_cleanup(&srv);
	return 0;
}

static void
test_crud(void **state)
{
	struct fix f;
	struct idg_session s, out;
	struct res u = { 0 }, d = { 0 }, u2 = { 0 };
	char key[IDG_SESSION_KEY_LEN];
	redisReply *rep;
	long long ttl;

	fix_open(&f, 600, 36000);
	sample(&s);
	create_ok(&f, &s);
	assert_true(idg_session_id_valid(s.id));
	assert_true(idg_session_id_valid(s.csrf));
	assert_true(s.created_at > 0 && s.auth_time == s.created_at);

	/* Stored under the hashed key, without the id, with the idle TTL. */
	key_of(s.id, key);
	rep = redisCommand(f.sc, "GET %s", key);
	assert_non_null(rep);
	assert_int_equal(rep->type, REDIS_REPLY_STRING);
	assert_null(strstr(rep->str, s.id));
	assert_non_null(strstr(rep->str, "|acme|12|3456|"));
	freeReplyObject(rep);
	ttl = sync_int(f.sc, "TTL", key);
	assert_true(ttl > 590 && ttl <= 600);

	memset(&out, 0, sizeof(out));
	assert_int_equal(get_now(&f, s.id, &out), IDG_OK);
	assert_memory_equal(&out, &s, sizeof(s));

	s.flags = IDG_SESSION_MUST_CHANGE_PASSWORD;
	s.amr |= IDG_AMR_OTP;
	assert_int_equal(idg_session_update(f.ss, &s, res_cb, &u), IDG_PENDING);
	assert_true(pump(f.base, &u.calls, 2000));
	assert_int_equal(u.st, IDG_OK);
	assert_int_equal(get_now(&f, s.id, &out), IDG_OK);
	assert_int_equal(out.flags, IDG_SESSION_MUST_CHANGE_PASSWORD);
	assert_int_equal(out.amr, IDG_AMR_PWD | IDG_AMR_OTP);

	assert_int_equal(idg_session_destroy(f.ss, s.id, s.tenant_id, res_cb, &d),
	    IDG_PENDING);
	assert_true(pump(f.base, &d.calls, 2000));
	assert_int_equal(d.st, IDG_OK);
	assert_int_equal(sync_int(f.sc, "EXISTS", key), 0);
	assert_int_equal(get_now(&f, s.id, &out), IDG_NOTFOUND);
	/* Update of a session that is gone: XX refuses. */
	assert_int_equal(idg_session_update(f.ss, &s, res_cb, &u2), IDG_PENDING);
	assert_true(pump(f.base, &u2.calls, 2000));
	assert_int_equal(u2.st, IDG_NOTFOUND);
	assert_int_equal(sync_int(f.sc, "EXISTS", key), 0);
	/* Destroy of a gone session is still OK. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(idg_session_destroy(f.ss, s.id, s.tenant_id, res_cb, &d),
	    IDG_PENDING);
	assert_true(pump(f.base, &d.calls, 2000));
	assert_int_equal(d.st, IDG_OK);

	/* Cookie values that cannot be ids never reach Redis. */
	assert_int_equal(get_now(&f, "not-a-session", &out), IDG_NOTFOUND);
	assert_int_equal(get_now(&f, CSRF, &out), IDG_NOTFOUND);
	pump(f.base, NULL, 20);
	assert_int_equal(u.calls + d.calls + u2.calls, 3);
	fix_close(&f);
}

static void
test_idle_expiry(void **state)
{
	struct fix f;
	struct idg_session s, out;
	char key[IDG_SESSION_KEY_LEN];

	fix_open(&f, 1, 3600);
	sample(&s);
	create_ok(&f, &s);
	key_of(s.id, key);
	pump(f.base, NULL, 600);
	assert_int_equal(get_now(&f, s.id, &out), IDG_OK);	/* slides to 1 s */
	pump(f.base, NULL, 600);				/* 1.2 s after create */
	assert_int_equal(get_now(&f, s.id, &out), IDG_OK);
	pump(f.base, NULL, 1150);				/* idle period passes */
	assert_int_equal(sync_int(f.sc, "EXISTS", key), 0);
	assert_int_equal(get_now(&f, s.id, &out), IDG_NOTFOUND);
	fix_close(&f);
}

static void
test_absolute_lifetime(void **state)
{
	struct fix f;
	struct idg_session s, out;
	char key[IDG_SESSION_KEY_LEN], val[256];
	redisReply *rep;
	long long ttl;
	int n;

	fix_open(&f, 600, 100);
	/* Created 90 s ago: the stored TTL is cut to the 10 s left. */
	sample(&s);
	s.created_at = (int64_t)time(NULL) - 90;
	create_ok(&f, &s);
	key_of(s.id, key);
	ttl = sync_int(f.sc, "TTL", key);
	assert_true(ttl > 0 && ttl <= 10);
	assert_int_equal(get_now(&f, s.id, &out), IDG_OK);

	/* Written behind our back with a long TTL: the read enforces the lifetime. */
	s.created_at = (int64_t)time(NULL) - 100;
	assert_true((n = idg_session_encode(&s, val, sizeof(val))) > 0);
	rep = redisCommand(f.sc, "SET %s %b EX 600", key, val, (size_t)n);
	assert_non_null(rep);
	freeReplyObject(rep);
	assert_int_equal(get_now(&f, s.id, &out), IDG_NOTFOUND);
	pump(f.base, NULL, 50);		/* the DEL that follows */
	assert_int_equal(sync_int(f.sc, "EXISTS", key), 0);

	/* One second younger is still alive. */
	s.created_at = (int64_t)time(NULL) - 98;
	assert_true((n = idg_session_encode(&s, val, sizeof(val))) > 0);
	rep = redisCommand(f.sc, "SET %s %b EX 600", key, val, (size_t)n);
	freeReplyObject(rep);
	assert_int_equal(get_now(&f, s.id, &out), IDG_OK);
	fix_close(&f);
}

static void
test_corrupt_record(void **state)
{
	struct fix f;
	struct idg_session s, out;
	char key[IDG_SESSION_KEY_LEN];
	redisReply *rep;

	fix_open(&f, 600, 3600);
	sample(&s);
	create_ok(&f, &s);
	key_of(s.id, key);
	rep = redisCommand(f.sc, "SET %s %s", key, "1|acme|1|1|1|1|255|0|x");
	freeReplyObject(rep);
	assert_int_equal(get_now(&f, s.id, &out), IDG_NOTFOUND);
	pump(f.base, NULL, 50);
	assert_int_equal(sync_int(f.sc, "EXISTS", key), 0);

	/* A key of the wrong type: an error reply, reported as IDG_ERR. */
	rep = redisCommand(f.sc, "RPUSH %s x", key);
	freeReplyObject(rep);
	assert_int_equal(get_now(&f, s.id, &out), IDG_ERR);
	fix_close(&f);
}

static void
test_hung_server(void **state)
{
	struct fix f;
	struct idg_session s, xs, out;
	struct res g = { 0 }, c = { 0 }, x = { 0 };
	uint64_t errs;

	fix_open(&f, 600, 3600);
	sample(&s);
	create_ok(&f, &s);

	errs = idg_metrics_get(IDG_M_REDIS_ERRORS);
	assert_int_equal(idg_test_redis_pause(&srv), 0);
	assert_int_equal(idg_session_get(f.ss, s.id, &out, res_cb, &g), IDG_PENDING);
	sample(&xs);
	assert_int_equal(idg_session_create(f.ss, &xs, res_cb, &c), IDG_PENDING);
	assert_true(pump(f.base, &c.calls, 2000));
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.st, IDG_TIMEOUT);
	assert_true(c.st == IDG_TIMEOUT || c.st == IDG_UNAVAILABLE);
	assert_true(idg_metrics_get(IDG_M_REDIS_ERRORS) > errs);
	/* While it hangs, every operation fails closed at once. */
	pump(f.base, NULL, 300);
	memset(&x, 0, sizeof(x));
	assert_int_equal(idg_session_get(f.ss, s.id, &out, res_cb, &x), IDG_UNAVAILABLE);
	assert_int_equal(idg_session_destroy(f.ss, s.id, s.tenant_id, res_cb, &x),
	    IDG_UNAVAILABLE);
	assert_int_equal(x.calls, 0);

	assert_int_equal(idg_test_redis_resume(&srv), 0);
	assert_true(pump_until(f.base, is_connected, f.r, 8000));
	memset(&out, 0, sizeof(out));
	assert_int_equal(get_now(&f, s.id, &out), IDG_OK);
	assert_memory_equal(&out, &s, sizeof(s));
	assert_int_equal(g.calls + c.calls, 2);
	fix_close(&f);
}

static void
test_restarted_server(void **state)
{
	struct fix f;
	struct idg_session s, t, out;
	struct res c = { 0 };

	fix_open(&f, 600, 3600);
	sample(&s);
	create_ok(&f, &s);
	assert_int_equal(idg_test_redis_stop(&srv), 0);
	pump(f.base, NULL, 100);
	sample(&t);
	assert_int_equal(idg_session_create(f.ss, &t, res_cb, &c), IDG_UNAVAILABLE);
	assert_int_equal(idg_test_redis_restart(&srv), 0);
	assert_true(pump_until(f.base, is_connected, f.r, 8000));
	/* No persistence: the old session is gone; new ones work. */
	assert_int_equal(get_now(&f, s.id, &out), IDG_NOTFOUND);
	sample(&t);
	create_ok(&f, &t);
	assert_int_equal(get_now(&f, t.id, &out), IDG_OK);
	assert_int_equal(c.calls, 0);
	/* The checking connection died with the old server. */
	redisFree(f.sc);
	assert_non_null(f.sc = sync_connect(srv.port, NULL));
	fix_close(&f);
}

/* The score of member in the index of tenant, or -1 when it is not there. */
static long long
index_score(redisContext *c, int64_t tenant, const char *member)
{
	char idx[IDG_SESSION_INDEX_KEY_LEN];
	redisReply *rep;
	long long v = -1;

	idg_session_index_key(tenant, idx);
	rep = redisCommand(c, "ZSCORE %s %s", idx, member);
	assert_non_null(rep);
	if (rep->type == REDIS_REPLY_STRING)
		v = strtoll(rep->str, NULL, 10);
	freeReplyObject(rep);
	return v;
}

static void
sync_do(redisContext *c, const char *fmt, ...)
{
	redisReply *rep;
	va_list ap;

	va_start(ap, fmt);
	rep = redisvCommand(c, fmt, ap);
	va_end(ap);
	assert_non_null(rep);
	assert_int_not_equal(rep->type, REDIS_REPLY_ERROR);
	freeReplyObject(rep);
}

static void
destroy_ok(struct fix *f, const char *id, int64_t tenant)
{
	struct res d = { 0 };

	assert_int_equal(idg_session_destroy(f->ss, id, tenant, res_cb, &d), IDG_PENDING);
	assert_true(pump(f->base, &d.calls, 2000));
	assert_int_equal(d.st, IDG_OK);
	pump(f->base, NULL, 20);	/* the ZREM sent behind the DEL */
}

static void
test_index(void **state)
{
	struct fix f;
	struct idg_session a, b, o, z, x, out;
	struct res c = { 0 };
	char ka[IDG_SESSION_KEY_LEN], kb[IDG_SESSION_KEY_LEN], ko[IDG_SESSION_KEY_LEN];
	char val[256];
	long long ttl;
	int n;

	fix_open(&f, 600, 3600);
	sync_do(f.sc, "DEL st:12 st:13 st:0");
	/* In its tenant's index, scored by the end of its lifetime. */
	sample(&a);
	create_ok(&f, &a);
	key_of(a.id, ka);
	assert_int_equal(index_score(f.sc, 12, ka), a.created_at + 3600);
	/* The index lives as long as the longest session may. */
	ttl = sync_int(f.sc, "TTL", "st:12");
	assert_true(ttl > 3590 && ttl <= 3600);
	sample(&b);
	b.created_at = (int64_t)time(NULL) - 100;
	create_ok(&f, &b);
	key_of(b.id, kb);
	assert_int_equal(index_score(f.sc, 12, kb), b.created_at + 3600);
	sample(&o);
	o.tenant_id = 13;
	create_ok(&f, &o);
	key_of(o.id, ko);
	assert_true(index_score(f.sc, 13, ko) > 0);
	assert_int_equal(index_score(f.sc, 12, ko), -1);
	/* A session without a tenant goes in no index. */
	sample(&z);
	z.tenant_id = 0;
	create_ok(&f, &z);
	assert_int_equal(sync_int(f.sc, "EXISTS", "st:0"), 0);

	/* Members past their lifetime go with the next create. */
	sync_do(f.sc, "ZADD st:12 %lld s:dead", (long long)time(NULL) - 1);
	sample(&x);
	create_ok(&f, &x);
	assert_int_equal(index_score(f.sc, 12, "s:dead"), -1);
	assert_true(index_score(f.sc, 12, ka) > 0);

	/* Destroy takes the entry with the session; the others stay. */
	destroy_ok(&f, a.id, 12);
	assert_int_equal(index_score(f.sc, 12, ka), -1);
	assert_true(index_score(f.sc, 12, kb) > 0);
	assert_true(index_score(f.sc, 13, ko) > 0);

	/* So does a read that finds the session past its lifetime. */
	b.created_at = (int64_t)time(NULL) - 3600;
	assert_true((n = idg_session_encode(&b, val, sizeof(val))) > 0);
	sync_do(f.sc, "SET %s %b KEEPTTL", kb, val, (size_t)n);
	assert_int_equal(get_now(&f, b.id, &out), IDG_NOTFOUND);
	pump(f.base, NULL, 50);
	assert_int_equal(sync_int(f.sc, "EXISTS", kb), 0);
	assert_int_equal(index_score(f.sc, 12, kb), -1);

	/* No session is handed out that its index could not take. */
	sync_do(f.sc, "DEL st:13");
	sync_do(f.sc, "SET st:13 not-a-set");
	sample(&x);
	x.tenant_id = 13;
	assert_int_equal(idg_session_create(f.ss, &x, res_cb, &c), IDG_PENDING);
	assert_true(pump(f.base, &c.calls, 2000));
	pump(f.base, NULL, 20);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.st, IDG_ERR);
	sync_do(f.sc, "DEL st:13");
	fix_close(&f);
}

static void
test_purge(void **state)
{
	enum { MORE = 1100 };	/* more than two batches of the purge */
	struct fix f;
	struct idg_session a, b, o, out;
	struct idg_redis_config cfg = test_cfg();
	const int64_t ids[2] = { 21, 22 };	/* 22 has no index */
	char ka[IDG_SESSION_KEY_LEN], kb[IDG_SESSION_KEY_LEN], k[IDG_SESSION_KEY_LEN];
	char why[256];
	redisReply *rep;
	long n = -1;
	int i;

	fix_open(&f, 600, 3600);
	sample(&a);
	a.tenant_id = 21;
	create_ok(&f, &a);
	key_of(a.id, ka);
	sample(&b);
	b.tenant_id = 21;
	create_ok(&f, &b);
	key_of(b.id, kb);
	sample(&o);
	o.tenant_id = 23;
	create_ok(&f, &o);
	/* Whatever else is in a set, only session keys are ever deleted through it. */
	sync_do(f.sc, "SET victim 1");
	sync_do(f.sc, "ZADD st:21 %lld victim", (long long)time(NULL) + 1000);
	for (i = 0; i < MORE; i++) {
		snprintf(k, sizeof(k), "s:%032x", i);
		redisAppendCommand(f.sc, "SET %s x EX 600", k);
		redisAppendCommand(f.sc, "ZADD st:21 %lld %s", (long long)time(NULL) + 1000,
		    k);
	}
	for (i = 0; i < 2 * MORE; i++) {
		assert_int_equal(redisGetReply(f.sc, (void **)&rep), REDIS_OK);
		freeReplyObject(rep);
	}

	assert_int_equal(idg_session_purge_tenants(&cfg, ids, 2, &n, why, sizeof(why)),
	    IDG_OK);
	assert_int_equal(n, MORE + 2);
	assert_int_equal(sync_int(f.sc, "EXISTS", ka), 0);
	assert_int_equal(sync_int(f.sc, "EXISTS", kb), 0);
	assert_int_equal(sync_int(f.sc, "EXISTS", "s:00000000000000000000000000000000"), 0);
	assert_int_equal(sync_int(f.sc, "EXISTS", "st:21"), 0);
	assert_int_equal(sync_int(f.sc, "EXISTS", "victim"), 1);
	assert_int_equal(get_now(&f, a.id, &out), IDG_NOTFOUND);
	/* Another tenant's sessions are untouched. */
	assert_int_equal(get_now(&f, o.id, &out), IDG_OK);
	assert_int_equal(sync_int(f.sc, "EXISTS", "st:23"), 1);
	/* Again: nothing more to do, and no error. */
	assert_int_equal(idg_session_purge_tenants(&cfg, ids, 2, &n, why, sizeof(why)),
	    IDG_OK);
	assert_int_equal(n, 0);
	assert_int_equal(idg_session_purge_tenants(&cfg, NULL, 0, &n, why, sizeof(why)),
	    IDG_OK);

	/* Unreachable: said so, nothing done. */
	cfg.unix_socket = "/nonexistent/redis.sock";
	why[0] = '\0';
	assert_int_equal(idg_session_purge_tenants(&cfg, ids, 1, &n, why, sizeof(why)),
	    IDG_UNAVAILABLE);
	assert_true(why[0] != '\0');
	sync_do(f.sc, "DEL victim st:23");
	fix_close(&f);
}

static void
test_purge_hung(void **state)
{
	struct idg_redis_config cfg = test_cfg();
	const int64_t id = 21;
	char why[256];
	long n;
	int64_t t0;

	/* Connected but never answering: the command timeout ends the wait. */
	assert_int_equal(idg_test_redis_pause(&srv), 0);
	t0 = now_ms();
	assert_int_equal(idg_session_purge_tenants(&cfg, &id, 1, &n, why, sizeof(why)),
	    IDG_UNAVAILABLE);
	assert_true(now_ms() - t0 < 2000);
	assert_int_equal(idg_test_redis_resume(&srv), 0);
}

static void
test_purge_auth_unix_db(void **state)
{
	struct idg_test_redis pw;
	struct idg_redis_config cfg;
	const int64_t id = 5;
	char why[256];
	redisContext *c;
	long n = -1;

	memset(&pw, 0, sizeof(pw));
	pw.requirepass = "correct horse|battery";
	pw.unix_socket = true;
	assert_int_equal(idg_test_redis_start(&pw), 0);
	assert_non_null(c = sync_connect(pw.port, pw.requirepass));
	sync_do(c, "SELECT 3");
	sync_do(c, "SET s:0123456789abcdef0123456789abcdef x");
	sync_do(c, "ZADD st:5 %lld s:0123456789abcdef0123456789abcdef",
	    (long long)time(NULL) + 1000);

	memset(&cfg, 0, sizeof(cfg));
	cfg.unix_socket = pw.sock;
	cfg.password = "wrong";
	cfg.database = 3;
	assert_int_equal(idg_session_purge_tenants(&cfg, &id, 1, &n, why, sizeof(why)),
	    IDG_UNAVAILABLE);
	assert_non_null(strstr(why, "AUTH"));
	cfg.password = pw.requirepass;
	assert_int_equal(idg_session_purge_tenants(&cfg, &id, 1, &n, why, sizeof(why)),
	    IDG_OK);
	assert_int_equal(n, 1);
	assert_int_equal(sync_int(c, "EXISTS", "st:5"), 0);
	redisFree(c);
	idg_test_redis_cleanup(&pw);
}

static long long
used_memory(redisContext *c)
{
	redisReply *rep = redisCommand(c, "INFO memory");
	const char *p;
	long long v = -1;

	if (rep != NULL && rep->type == REDIS_REPLY_STRING &&
	    (p = strstr(rep->str, "used_memory:")) != NULL)
		v = strtoll(p + strlen("used_memory:"), NULL, 10);
	if (rep != NULL)
		freeReplyObject(rep);
	return v;
}

static void
test_memory_per_session(void **state)
{
	enum { N = 10000, BATCH = 500 };
	struct fix f;
	static struct idg_session s[BATCH];
	static struct res r[BATCH];
	long long before, after;
	int64_t end;
	redisReply *rep;
	int i, j, done;

	fix_open(&f, 1800, 36000);
	freeReplyObject(redisCommand(f.sc, "FLUSHALL"));
	before = used_memory(f.sc);
	for (i = 0; i < N; i += BATCH) {
		done = 0;
		for (j = 0; j < BATCH; j++) {
			sample(&s[j]);
			snprintf(s[j].company_id, sizeof(s[j].company_id), "company-%d", j % 50);
			s[j].tenant_id = 1000 + j % 50;
			s[j].user_id = 100000 + i + j;
			s[j].amr = IDG_AMR_PWD | IDG_AMR_OTP;
			memset(&r[j], 0, sizeof(r[j]));
			r[j].counter = &done;
			assert_int_equal(idg_session_create(f.ss, &s[j], res_cb, &r[j]),
			    IDG_PENDING);
		}
		end = now_ms() + 10000;
		while (done < BATCH && now_ms() < end)
			pump(f.base, NULL, 1);
		assert_int_equal(done, BATCH);
		for (j = 0; j < BATCH; j++)
			assert_int_equal(r[j].st, IDG_OK);
	}
	rep = redisCommand(f.sc, "DBSIZE");
	assert_non_null(rep);
	assert_int_equal(rep->integer, N + 50);		/* and the 50 tenants' indexes */
	freeReplyObject(rep);
	after = used_memory(f.sc);
	assert_true(before > 0 && after > before);
	printf("redis bytes per session: %lld\n", (after - before) / N);
	fflush(stdout);
	freeReplyObject(redisCommand(f.sc, "FLUSHALL"));
	fix_close(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crud),
		cmocka_unit_test(test_idle_expiry),
		cmocka_unit_test(test_absolute_lifetime),
		cmocka_unit_test(test_corrupt_record),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_purge),
		cmocka_unit_test(test_purge_hung),
		cmocka_unit_test(test_purge_auth_unix_db),
		cmocka_unit_test(test_memory_per_session),
		cmocka_unit_test(test_hung_server),
		cmocka_unit_test(test_restarted_server),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
