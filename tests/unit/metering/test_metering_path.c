/*
 * test_metering_path.c - the loop side of metering (gateway/metering.c)
 * with a real work pool and SQLite store, and Redis down: a user's first
 * activity of the month waits for the store; once this worker has written
 * it, the user's later SSOs go on at once without asking Redis, and their
 * events are written in groups, one group in flight at a time, a failing
 * group one event at a time. When the pool has no job left (what a
 * draining worker waits for) every event is in the store.
 *
 * The pool threads' store comes from this file's idg_worker_store, in place
 * of the worker's (gateway/http/server.c, not linked).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "gateway/http/request.h"
#include "gateway/http/server.h"
#include "gateway/http/worker_store.h"
#include "gateway/http/workpool.h"
#include "gateway/metering.h"
#include "gateway/session/redis.h"
#include "gateway/store/store.h"
#include "gateway/util/clock.h"
#include "gateway/util/status.h"
#include "tests/unit/sql_int.h"

#define NUSERS		6
#define GROUP		50
#define DEADLINE_S	60

struct thread_store {
	struct idg_store	*s;
};

static struct {
	char			 dir[64];
	char			 path[128];
	char			 sock[128];
	char			 month[8];
	struct idg_store	*s;
	struct idg_tenant	 t;
	struct idg_user		 u[NUSERS];
	struct idg_user		 setup;
	struct event_base	*base;
	struct idg_worker	 w;
	struct idg_req		 r;
	int			 store_failures;
} F;

struct idg_store *
idg_worker_store(void *thread_ctx)
{
	struct thread_store *t = thread_ctx;
	struct idg_store_config sc = { "sqlite", F.path, 5000 };

	if (t->s == NULL && idg_store_open(&sc, &t->s) != IDG_OK)
		t->s = NULL;
	return t->s;
}

void
idg_worker_store_failed(void *thread_ctx)
{
	struct thread_store *t = thread_ctx;

	__atomic_add_fetch(&F.store_failures, 1, __ATOMIC_RELAXED);
	idg_store_free(t->s);
	t->s = NULL;
}

static void *
thread_init(void *arg)
{
	return calloc(1, sizeof(struct thread_store));
}

static void
thread_fini(void *arg, void *ctx)
{
	struct thread_store *t = ctx;

	idg_store_free(t->s);
	free(t);
}

static int
setup(void **state)
{
	struct idg_redis_config rc;
	struct idg_license_numbers lic;
	char email[64];
	int i;

	memset(&F, 0, sizeof(F));
	snprintf(F.dir, sizeof(F.dir), "/tmp/idg-metering-XXXXXX");
	assert_non_null(mkdtemp(F.dir));
	snprintf(F.path, sizeof(F.path), "%s/m.db", F.dir);
	snprintf(F.sock, sizeof(F.sock), "%s/no-redis.sock", F.dir);
	{
		struct idg_store_config sc = { "sqlite", F.path, 5000 };

		assert_int_equal(idg_store_open(&sc, &F.s), IDG_OK);
	}
	assert_int_equal(idg_store_migrate(F.s, NULL), IDG_OK);
	assert_int_equal(idg_store_tenant_create(F.s, "meter", "Meter", 20, "", "", &F.t),
	    IDG_OK);
	for (i = 0; i < NUSERS; i++) {
		snprintf(email, sizeof(email), "u%d@meter.example", i);
		assert_int_equal(idg_store_user_add(F.s, F.t.id, email, "U", "", false, &lic,
		    &F.u[i]), IDG_OK);
	}
	assert_int_equal(idg_store_user_get_by_email(F.s, F.t.id, "setup@meter.idgate.invalid",
	    &F.setup), IDG_OK);
	idg_jst_month(idg_now(), F.month);

	assert_non_null(F.base = event_base_new());
	/* Redis is down (nothing listens on the socket): every command fails at once. */
	memset(&rc, 0, sizeof(rc));
	rc.unix_socket = F.sock;
	assert_non_null(F.w.redis = idg_redis_new(F.base, &rc));
	assert_non_null(F.w.pool = idg_workpool_new(F.base, 2, 100000, thread_init, thread_fini,
	    NULL));
	F.w.base = F.base;
	F.r.w = &F.w;
	*state = &F;
	return 0;
}

static int
teardown(void **state)
{
	char p[160];

	idg_workpool_free(F.w.pool);
	idg_redis_free(F.w.redis);
	event_base_free(F.base);
	idg_store_free(F.s);
	unlink(F.path);
	snprintf(p, sizeof(p), "%s-wal", F.path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", F.path);
	unlink(p);
	rmdir(F.dir);
	return 0;
}

/*
 * The answers, in static storage: after a failed assertion the pool may
 * still answer calls of that test, which must not land on a dead stack.
 */
struct call {
	int	n;
	int	status;
};

static struct call calls[8192];
static int ncalls;

static void
recorded(void *arg, int status)
{
	struct call *c = arg;

	c->n++;
	c->status = status;
}

static struct call *
record(const struct idg_user *u, const char *target, unsigned flags)
{
	struct idg_audit_event e;
	struct call *c;

	memset(&e, 0, sizeof(e));
	e.tenant_id = F.t.id;
	e.actor = u->email;
	e.action = "sso.saml";
	e.target = target;
	e.result = "ok";
	e.ip = "192.0.2.9";
	assert_true(ncalls < (int)(sizeof(calls) / sizeof(calls[0])));
	c = &calls[ncalls++];
	idg_metering_record(&F.r, &e, u->id, flags, recorded, c);
	return c;
}

/* Turns the loop until the call has been answered or the pool is idle. */
static void
run_until(const struct call *c)
{
	time_t end = time(NULL) + DEADLINE_S;

	while (c != NULL ? c->n == 0 : idg_workpool_outstanding(F.w.pool) > 0) {
		assert_true(time(NULL) < end);
		event_base_loop(F.base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

static long long
events(const struct idg_user *u, const char *target)
{
	char q[256];

	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM audit_log WHERE actor = (SELECT email"
	    " FROM users WHERE id = %lld) AND target = '%s'", (long long)u->id, target);
	return sql_int(F.path, q);
}

static long long
marks(const struct idg_user *u)
{
	char q[160];

	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM monthly_active WHERE user_id = %lld AND"
	    " month = '%s'", (long long)u->id, F.month);
	return sql_int(F.path, q);
}

/* The first SSO of the month; Redis is down, so the request waits for the store. */
static void
first_activity(const struct idg_user *u)
{
	struct call *c = record(u, "first", 0);

	assert_int_equal(c->n, 0);
	run_until(c);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->status, IDG_OK);
	assert_int_equal(events(u, "first"), 1);
	run_until(NULL);
}

/*
 * Once this worker has recorded the user for the month, later SSOs go on
 * before idg_metering_record returns (no Redis, no store wait), and their
 * events travel in groups behind one job; when the pool is idle they are
 * all stored, and the user is counted once.
 */
static void
known_user_goes_on_at_once(void **state)
{
	struct call *c[GROUP];
	int i;

	first_activity(&F.u[0]);
	assert_int_equal(marks(&F.u[0]), 1);
	for (i = 0; i < GROUP; i++) {
		c[i] = record(&F.u[0], "later", 0);
		assert_int_equal(c[i]->n, 1);
		assert_int_equal(c[i]->status, IDG_OK);
	}
	/* One group in flight (the first event), the others waiting for it. */
	assert_int_equal(idg_workpool_outstanding(F.w.pool), 1);
	run_until(NULL);
	assert_int_equal(events(&F.u[0], "later"), GROUP);
	assert_int_equal(marks(&F.u[0]), 1);
	for (i = 0; i < GROUP; i++)
		assert_int_equal(c[i]->n, 1);
}

/* A user not yet recorded by this worker still waits for the store. */
static void
unknown_user_waits(void **state)
{
	struct call *c;

	first_activity(&F.u[1]);
	c = record(&F.u[2], "other", 0);
	assert_int_equal(c->n, 0);
	run_until(c);
	assert_int_equal(c->status, IDG_OK);
	assert_int_equal(marks(&F.u[2]), 1);
	run_until(NULL);
}

/* A sign-in (durable) always waits for its own write, known user or not. */
static void
durable_waits(void **state)
{
	struct call *c;

	first_activity(&F.u[3]);
	c = record(&F.u[3], "durable", IDG_METERING_DURABLE);
	assert_int_equal(c->n, 0);
	run_until(c);
	assert_int_equal(c->status, IDG_OK);
	assert_int_equal(events(&F.u[3], "durable"), 1);
	run_until(NULL);
}

/* A group that fails is written one event at a time: the bad one alone is lost. */
static void
bad_event_loses_no_other(void **state)
{
	sqlite3 *db;
	int failures;

	first_activity(&F.u[4]);
	assert_int_equal(sqlite3_open(F.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER refuse_bad BEFORE INSERT ON audit_log"
	    " WHEN NEW.target = 'bad' BEGIN SELECT RAISE(ABORT, 'bad'); END", NULL, NULL, NULL),
	    SQLITE_OK);
	failures = F.store_failures;
	assert_int_equal(record(&F.u[4], "g0", 0)->n, 1);	/* goes at once, alone */
	assert_int_equal(record(&F.u[4], "g1", 0)->n, 1);	/* then one group of three */
	assert_int_equal(record(&F.u[4], "bad", 0)->n, 1);
	assert_int_equal(record(&F.u[4], "g2", 0)->n, 1);
	assert_int_equal(idg_workpool_outstanding(F.w.pool), 1);
	run_until(NULL);
	assert_int_equal(events(&F.u[4], "g0"), 1);
	assert_int_equal(events(&F.u[4], "g1"), 1);
	assert_int_equal(events(&F.u[4], "g2"), 1);
	assert_int_equal(events(&F.u[4], "bad"), 0);
	/* The group's failure, then the bad event's own. */
	assert_int_equal(F.store_failures - failures, 2);
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER refuse_bad", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
}

/* Past the queue's bound, events go as jobs of their own; none is lost. */
static void
full_queue_spills(void **state)
{
	enum { N = 4096 + 40 };
	int i;

	first_activity(&F.u[5]);
	for (i = 0; i < N; i++)
		assert_int_equal(record(&F.u[5], "many", 0)->n, 1);
	/* The group in flight, the queue full behind it, then one job per event. */
	assert_int_equal(idg_workpool_outstanding(F.w.pool), 1 + (N - 1 - 4096));
	run_until(NULL);
	assert_int_equal(events(&F.u[5], "many"), N);
	assert_int_equal(marks(&F.u[5]), 1);
}

/* A service account is recorded, remembered, and never marked. */
static void
service_account_never_marked(void **state)
{
	first_activity(&F.setup);
	assert_int_equal(record(&F.setup, "again", 0)->n, 1);
	run_until(NULL);
	assert_int_equal(events(&F.setup, "again"), 1);
	assert_int_equal(marks(&F.setup), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_user_goes_on_at_once),
		cmocka_unit_test(unknown_user_waits),
		cmocka_unit_test(durable_waits),
		cmocka_unit_test(bad_event_loses_no_other),
		cmocka_unit_test(full_queue_spills),
		cmocka_unit_test(service_account_never_marked),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
