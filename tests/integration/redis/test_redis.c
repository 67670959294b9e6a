/*
 * test_redis.c - integration tests of the async Redis client (redis.c) and
 * the rate-limit counter (ratelimit.c) against a real redis-server: replies,
 * error replies, command timeouts, lost connections, free with commands in
 * flight, stop/restart and pause/resume of the server, AUTH, SELECT and the
 * unix socket. Every case checks that each callback ran exactly once.
 *
 * Not a benchmark: durations here are bounds on waiting, never assertions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "gateway/http/metrics.h"
#include "gateway/session/redis.h"
#include "gateway/session/session.h"
#include "gateway/util/status.h"
#include "loop_util.h"
#include "tests/harness/redis_harness.h"

static struct idg_test_redis srv;

struct rec {
	int		calls;
	int		st;
	int		type;
	long long	integer;
	char		str[128];
	/* optional action from inside the callback */
	struct idg_redis *free_me;
};

static void
rec_cb(void *arg, int st, struct redisReply *rep)
{
	struct rec *r = arg;

	r->calls++;
	r->st = st;
	r->type = rep != NULL ? rep->type : -1;
	if (rep != NULL) {
		r->integer = rep->integer;
		if (rep->str != NULL)
			snprintf(r->str, sizeof(r->str), "%s", rep->str);
	}
	if (r->free_me != NULL) {
		struct idg_redis *x = r->free_me;

		r->free_me = NULL;
		idg_redis_free(x);
	}
}

static bool
is_connected(void *arg)
{
	return idg_redis_connected(arg);
}

static bool
is_down(void *arg)
{
	return !idg_redis_connected(arg);
}

static struct idg_redis_config
cfg_for(int port)
{
	struct idg_redis_config c;

	memset(&c, 0, sizeof(c));
	c.host = "127.0.0.1";
	c.port = port;
	c.connect_timeout_ms = 300;
	c.command_timeout_ms = 300;
	return c;
}

static struct idg_redis *
client(struct event_base *base, const struct idg_redis_config *cfg)
{
	struct idg_redis *r = idg_redis_new(base, cfg);

	assert_non_null(r);
	assert_true(pump_until(base, is_connected, r, 3000));
	return r;
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
test_replies(void **state)
{
	struct event_base *base = event_base_new();
	struct idg_redis_config cfg = cfg_for(srv.port);
	struct idg_redis *r = client(base, &cfg);
	const char *argv[3] = { "SET", "t:k", "v a|l" };
	size_t len[3] = { 3, 3, 5 };
	struct rec a = { 0 }, b = { 0 }, e = { 0 };
	uint64_t errs = idg_metrics_get(IDG_M_REDIS_ERRORS);

	assert_int_equal(idg_redis_commandargv(r, rec_cb, &a, 3, argv, len), IDG_PENDING);
	assert_int_equal(idg_redis_command(r, rec_cb, &b, "GET %s", "t:k"), IDG_PENDING);
	assert_int_equal(idg_redis_pending(r), 2);
	assert_true(pump(base, &b.calls, 2000));
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.st, IDG_OK);
	assert_int_equal(b.st, IDG_OK);
	assert_int_equal(b.type, REDIS_REPLY_STRING);
	assert_string_equal(b.str, "v a|l");
	assert_int_equal(idg_redis_pending(r), 0);

	/* An error reply is IDG_ERR with the reply, and counts as a Redis error. */
	assert_int_equal(idg_redis_command(r, rec_cb, &e, "INCR t:k"), IDG_PENDING);
	assert_true(pump(base, &e.calls, 2000));
	assert_int_equal(e.st, IDG_ERR);
	assert_int_equal(e.type, REDIS_REPLY_ERROR);
	assert_true(idg_metrics_get(IDG_M_REDIS_ERRORS) > errs);

	/* Bad arguments are refused at once. */
	assert_int_equal(idg_redis_command(r, NULL, NULL, "PING"), IDG_ERR);
	assert_int_equal(idg_redis_commandargv(r, rec_cb, &e, 0, argv, len), IDG_ERR);
	pump(base, NULL, 50);
	assert_int_equal(a.calls + b.calls + e.calls, 3);

	idg_redis_free(r);
	event_base_free(base);
}

static void
test_nothing_listening(void **state)
{
	struct event_base *base = event_base_new();
	struct idg_redis_config cfg = cfg_for(srv.port);
	struct idg_test_redis other;
	struct idg_redis *r;
	struct rec a = { 0 };
	uint64_t errs = idg_metrics_get(IDG_M_REDIS_ERRORS);

	/* A port that was free a moment ago: start and stop a server on it. */
	memset(&other, 0, sizeof(other));
	assert_int_equal(idg_test_redis_start(&other), 0);
	cfg.port = other.port;
	idg_test_redis_cleanup(&other);

	r = idg_redis_new(base, &cfg);
	assert_non_null(r);
	assert_false(idg_redis_connected(r));
	assert_int_equal(idg_redis_command(r, rec_cb, &a, "PING"), IDG_UNAVAILABLE);
	pump(base, NULL, 400);
	assert_false(idg_redis_connected(r));
	assert_int_equal(idg_redis_command(r, rec_cb, &a, "PING"), IDG_UNAVAILABLE);
	assert_int_equal(a.calls, 0);
	/* Failed attempts are counted, and retried (more than one). */
	assert_true(idg_metrics_get(IDG_M_REDIS_ERRORS) >= errs + 2);
	idg_redis_free(r);
	event_base_free(base);
}

static void
test_timeout_then_late_reply(void **state)
{
	struct event_base *base = event_base_new();
	struct idg_redis_config cfg = cfg_for(srv.port);
	struct idg_redis *r = client(base, &cfg);
	struct rec a = { 0 }, p = { 0 };
	uint64_t errs = idg_metrics_get(IDG_M_REDIS_ERRORS);

	/* BLPOP answers after 1 s, well after the 300 ms command timeout. */
	assert_int_equal(idg_redis_command(r, rec_cb, &a, "BLPOP t:none 1"), IDG_PENDING);
	assert_true(pump(base, &a.calls, 2000));
	assert_int_equal(a.st, IDG_TIMEOUT);
	assert_true(idg_metrics_get(IDG_M_REDIS_ERRORS) > errs);
	assert_int_equal(idg_redis_pending(r), 0);
	/* The connection is dropped at once: new commands fail closed. */
	assert_int_equal(idg_redis_command(r, rec_cb, &p, "PING"), IDG_UNAVAILABLE);
	/* Past the server's late answer: still one call. */
	pump(base, NULL, 1200);
	assert_int_equal(a.calls, 1);
	/* And the client came back by itself. */
	assert_true(pump_until(base, is_connected, r, 3000));
	assert_int_equal(idg_redis_command(r, rec_cb, &p, "PING"), IDG_PENDING);
	assert_true(pump(base, &p.calls, 2000));
	assert_int_equal(p.st, IDG_OK);
	assert_string_equal(p.str, "PONG");
	idg_redis_free(r);
	event_base_free(base);
}

static void
test_disconnect_in_flight(void **state)
{
	struct event_base *base = event_base_new();
	struct idg_redis_config cfg = cfg_for(srv.port);
	struct idg_redis *r;
	struct rec a = { 0 }, b = { 0 }, p = { 0 };
	redisContext *sc;
	redisReply *rep;

	cfg.command_timeout_ms = 3000;
	r = client(base, &cfg);
	assert_int_equal(idg_redis_command(r, rec_cb, &a, "BLPOP t:none 5"), IDG_PENDING);
	assert_int_equal(idg_redis_command(r, rec_cb, &b, "BLPOP t:none 5"), IDG_PENDING);
	pump(base, NULL, 100);		/* let them reach the server */
	assert_int_equal(a.calls + b.calls, 0);

	/* The server closes our connection under the two blocked commands. */
	assert_non_null(sc = sync_connect(srv.port, NULL));
	rep = redisCommand(sc, "CLIENT KILL TYPE normal SKIPME yes");
	assert_non_null(rep);
	assert_int_equal(rep->type, REDIS_REPLY_INTEGER);
	assert_true(rep->integer >= 1);
	freeReplyObject(rep);
	redisFree(sc);

	assert_true(pump(base, &b.calls, 2000));
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.st, IDG_UNAVAILABLE);
	assert_int_equal(b.st, IDG_UNAVAILABLE);
	assert_true(pump_until(base, is_connected, r, 3000));
	assert_int_equal(idg_redis_command(r, rec_cb, &p, "PING"), IDG_PENDING);
	assert_true(pump(base, &p.calls, 2000));
	assert_int_equal(p.st, IDG_OK);
	pump(base, NULL, 100);
	assert_int_equal(a.calls + b.calls, 2);
	idg_redis_free(r);
	event_base_free(base);
}

static void
test_free_in_flight(void **state)
{
	struct event_base *base = event_base_new();
	struct idg_redis_config cfg = cfg_for(srv.port);
	struct idg_redis *r = client(base, &cfg);
	struct rec a = { 0 }, b = { 0 };

	assert_int_equal(idg_redis_command(r, rec_cb, &a, "BLPOP t:none 1"), IDG_PENDING);
	pump(base, NULL, 50);
	assert_int_equal(idg_redis_command(r, rec_cb, &b, "PING"), IDG_PENDING);
	/* Both run during the free, with IDG_UNAVAILABLE. */
	idg_redis_free(r);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(a.st, IDG_UNAVAILABLE);
	assert_int_equal(b.st, IDG_UNAVAILABLE);
	pump(base, NULL, 100);
	assert_int_equal(a.calls + b.calls, 2);
	event_base_free(base);
}

static void
test_free_from_callback(void **state)
{
	struct event_base *base = event_base_new();
	struct idg_redis_config cfg = cfg_for(srv.port);
	struct idg_redis *r = client(base, &cfg);
	struct rec a = { 0 }, b = { 0 }, c = { 0 }, t = { 0 };

	/* The first reply frees the client; the others are failed by it. */
	a.free_me = r;
	assert_int_equal(idg_redis_command(r, rec_cb, &a, "PING"), IDG_PENDING);
	assert_int_equal(idg_redis_command(r, rec_cb, &b, "PING"), IDG_PENDING);
	assert_int_equal(idg_redis_command(r, rec_cb, &c, "BLPOP t:none 1"), IDG_PENDING);
	assert_true(pump(base, &a.calls, 2000));
	assert_int_equal(a.st, IDG_OK);
	assert_int_equal(b.calls, 1);
	assert_int_equal(c.calls, 1);
	assert_int_equal(b.st, IDG_UNAVAILABLE);
	assert_int_equal(c.st, IDG_UNAVAILABLE);
	pump(base, NULL, 100);		/* the deferred context free runs here */
	assert_int_equal(a.calls + b.calls + c.calls, 3);

	/* Same from a timeout callback. */
	r = client(base, &cfg);
	t.free_me = r;
	assert_int_equal(idg_redis_command(r, rec_cb, &t, "BLPOP t:none 1"), IDG_PENDING);
	assert_true(pump(base, &t.calls, 2000));
	assert_int_equal(t.st, IDG_TIMEOUT);
	pump(base, NULL, 100);
	assert_int_equal(t.calls, 1);
	event_base_free(base);
}

static void
test_stop_and_restart(void **state)
{
	struct event_base *base = event_base_new();
	struct idg_redis_config cfg = cfg_for(srv.port);
	struct idg_redis *r = client(base, &cfg);
	struct rec a = { 0 }, p = { 0 };
	int port = srv.port;

	assert_int_equal(idg_test_redis_stop(&srv), 0);
	assert_true(pump_until(base, is_down, r, 2000));
	assert_int_equal(idg_redis_command(r, rec_cb, &a, "PING"), IDG_UNAVAILABLE);
	pump(base, NULL, 300);
	assert_int_equal(a.calls, 0);

	assert_int_equal(idg_test_redis_restart(&srv), 0);
	assert_int_equal(srv.port, port);
	assert_true(pump_until(base, is_connected, r, 8000));
	assert_int_equal(idg_redis_command(r, rec_cb, &p, "PING"), IDG_PENDING);
	assert_true(pump(base, &p.calls, 2000));
	assert_int_equal(p.st, IDG_OK);
	idg_redis_free(r);
	event_base_free(base);
}

static void
test_pause_and_resume(void **state)
{
	struct event_base *base = event_base_new();
	struct idg_redis_config cfg = cfg_for(srv.port);
	struct idg_redis *r = client(base, &cfg);
	struct rec a = { 0 }, b = { 0 }, p = { 0 };

	assert_int_equal(idg_test_redis_pause(&srv), 0);
	assert_int_equal(idg_redis_command(r, rec_cb, &a, "PING"), IDG_PENDING);
	assert_int_equal(idg_redis_command(r, rec_cb, &b, "PING"), IDG_PENDING);
	assert_true(pump(base, &b.calls, 2000));
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.st, IDG_TIMEOUT);
	/* The second one timed out too or was failed by the drop. */
	assert_true(b.st == IDG_TIMEOUT || b.st == IDG_UNAVAILABLE);
	/* A hung server accepts TCP but never answers the handshake. */
	pump(base, NULL, 500);
	assert_false(idg_redis_connected(r));
	assert_int_equal(idg_redis_command(r, rec_cb, &p, "PING"), IDG_UNAVAILABLE);

	assert_int_equal(idg_test_redis_resume(&srv), 0);
	assert_true(pump_until(base, is_connected, r, 8000));
	assert_int_equal(idg_redis_command(r, rec_cb, &p, "PING"), IDG_PENDING);
	assert_true(pump(base, &p.calls, 2000));
	assert_int_equal(p.st, IDG_OK);
	assert_int_equal(a.calls + b.calls + p.calls, 3);
	idg_redis_free(r);
	event_base_free(base);
}

static void
test_auth(void **state)
{
	struct event_base *base = event_base_new();
	struct idg_test_redis pw;
	struct idg_redis_config cfg;
	struct idg_redis *r;
	struct rec a = { 0 };
	uint64_t errs;

	memset(&pw, 0, sizeof(pw));
	pw.requirepass = "correct horse|battery";
	assert_int_equal(idg_test_redis_start(&pw), 0);
	cfg = cfg_for(pw.port);

	cfg.password = "correct horse|battery";
	r = client(base, &cfg);
	assert_int_equal(idg_redis_command(r, rec_cb, &a, "SET t:auth 1"), IDG_PENDING);
	assert_true(pump(base, &a.calls, 2000));
	assert_int_equal(a.st, IDG_OK);
	idg_redis_free(r);

	/* Wrong or missing password: never ready, commands fail closed. */
	errs = idg_metrics_get(IDG_M_REDIS_ERRORS);
	cfg.password = "wrong";
	r = idg_redis_new(base, &cfg);
	pump(base, NULL, 400);
	assert_false(idg_redis_connected(r));
	assert_int_equal(idg_redis_command(r, rec_cb, &a, "PING"), IDG_UNAVAILABLE);
	assert_true(idg_metrics_get(IDG_M_REDIS_ERRORS) > errs);
	idg_redis_free(r);

	cfg.password = NULL;
	r = idg_redis_new(base, &cfg);
	pump(base, NULL, 400);
	assert_false(idg_redis_connected(r));
	idg_redis_free(r);
	assert_int_equal(a.calls, 1);

	idg_test_redis_cleanup(&pw);
	pump(base, NULL, 50);
	event_base_free(base);
}

static void
test_select(void **state)
{
	struct event_base *base = event_base_new();
	struct idg_redis_config cfg = cfg_for(srv.port);
	struct idg_redis *r;
	struct rec a = { 0 };
	redisContext *sc;
	redisReply *rep;

	cfg.database = 5;
	r = client(base, &cfg);
	assert_int_equal(idg_redis_command(r, rec_cb, &a, "SET t:db five"), IDG_PENDING);
	assert_true(pump(base, &a.calls, 2000));
	assert_int_equal(a.st, IDG_OK);
	idg_redis_free(r);

	assert_non_null(sc = sync_connect(srv.port, NULL));
	assert_int_equal(sync_int(sc, "EXISTS", "t:db"), 0);
	rep = redisCommand(sc, "SELECT 5");
	assert_non_null(rep);
	freeReplyObject(rep);
	assert_int_equal(sync_int(sc, "EXISTS", "t:db"), 1);
	redisFree(sc);

	/* A database the server does not have: never ready. */
	cfg.database = 999;
	r = idg_redis_new(base, &cfg);
	pump(base, NULL, 300);
	assert_false(idg_redis_connected(r));
	idg_redis_free(r);
	event_base_free(base);
}

static void
test_unix_socket(void **state)
{
	struct event_base *base = event_base_new();
	struct idg_test_redis us;
	struct idg_redis_config cfg;
	struct idg_redis *r;
	struct rec a = { 0 };

	memset(&us, 0, sizeof(us));
	us.unix_socket = true;
	assert_int_equal(idg_test_redis_start(&us), 0);
	cfg = cfg_for(0);
	cfg.host = NULL;
	cfg.unix_socket = us.sock;
	r = client(base, &cfg);
	assert_int_equal(idg_redis_command(r, rec_cb, &a, "PING"), IDG_PENDING);
	assert_true(pump(base, &a.calls, 2000));
	assert_int_equal(a.st, IDG_OK);
	idg_redis_free(r);
	idg_test_redis_cleanup(&us);
	event_base_free(base);
}

struct hit {
	int	calls;
	int	st;
	long	count;
};

static void
hit_cb(void *arg, int st, long count)
{
	struct hit *h = arg;

	h->calls++;
	h->st = st;
	h->count = count;
}

static void
test_ratelimit(void **state)
{
	struct event_base *base = event_base_new();
	struct idg_redis_config cfg = cfg_for(srv.port);
	struct idg_redis *r = client(base, &cfg);
	struct hit h[4];
	redisContext *sc;
	long long ttl;
	int i;

	memset(h, 0, sizeof(h));
	for (i = 0; i < 3; i++)
		assert_int_equal(idg_ratelimit_hit(r, "rl:t", 1, hit_cb, &h[i]), IDG_PENDING);
	assert_int_equal(idg_redis_pending(r), 6);
	assert_true(pump(base, &h[2].calls, 2000));
	for (i = 0; i < 3; i++) {
		assert_int_equal(h[i].calls, 1);
		assert_int_equal(h[i].st, IDG_OK);
		assert_int_equal(h[i].count, i + 1);
	}
	assert_int_equal(idg_redis_pending(r), 0);
	assert_non_null(sc = sync_connect(srv.port, NULL));
	ttl = sync_int(sc, "PTTL", "rl:t");
	assert_true(ttl > 0 && ttl <= 1000);

	/* The window ends: the count starts again. */
	pump(base, NULL, 1100);
	assert_int_equal(sync_int(sc, "EXISTS", "rl:t"), 0);
	assert_int_equal(idg_ratelimit_hit(r, "rl:t", 1, hit_cb, &h[3]), IDG_PENDING);
	assert_true(pump(base, &h[3].calls, 2000));
	assert_int_equal(h[3].count, 1);

	/* A key holding a non-integer: failure, never a count. */
	redisFree(sc);
	assert_non_null(sc = sync_connect(srv.port, NULL));
	freeReplyObject(redisCommand(sc, "SET rl:bad text"));
	redisFree(sc);
	memset(&h[0], 0, sizeof(h[0]));
	assert_int_equal(idg_ratelimit_hit(r, "rl:bad", 10, hit_cb, &h[0]), IDG_PENDING);
	assert_true(pump(base, &h[0].calls, 2000));
	assert_int_equal(h[0].st, IDG_ERR);
	assert_int_equal(h[0].count, 0);

	/* Bad arguments. */
	assert_int_equal(idg_ratelimit_hit(r, "", 10, hit_cb, &h[0]), IDG_INVALID);
	assert_int_equal(idg_ratelimit_hit(r, "rl:x", 0, hit_cb, &h[0]), IDG_INVALID);
	assert_int_equal(idg_ratelimit_hit(r, "rl:x", 10, NULL, NULL), IDG_INVALID);

	/* Server hung: the hit fails once with a timeout. */
	memset(&h[1], 0, sizeof(h[1]));
	assert_int_equal(idg_test_redis_pause(&srv), 0);
	assert_int_equal(idg_ratelimit_hit(r, "rl:t", 10, hit_cb, &h[1]), IDG_PENDING);
	assert_true(pump(base, &h[1].calls, 2000));
	assert_int_equal(h[1].st, IDG_TIMEOUT);
	/* Not connected now: refused at once, no callback. */
	assert_int_equal(idg_ratelimit_hit(r, "rl:t", 10, hit_cb, &h[2]), IDG_UNAVAILABLE);
	assert_int_equal(idg_test_redis_resume(&srv), 0);
	pump(base, NULL, 100);
	assert_int_equal(h[1].calls, 1);
	assert_true(pump_until(base, is_connected, r, 8000));

	idg_redis_free(r);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_nothing_listening),
		cmocka_unit_test(test_timeout_then_late_reply),
		cmocka_unit_test(test_disconnect_in_flight),
		cmocka_unit_test(test_free_in_flight),
		cmocka_unit_test(test_free_from_callback),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_pause_and_resume),
		cmocka_unit_test(test_stop_and_restart),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
