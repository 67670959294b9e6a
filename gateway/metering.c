/*
 * metering.c - the active-ID recording of a sign-in or SSO; see metering.h.
 */
#include "metering.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "http/request.h"
#include "http/server.h"
#include "http/worker_store.h"
#include "http/workpool.h"
#include "session/redis.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/status.h"
#include "util/str.h"

#define SET_TTL_S (40 * 86400)	/* past the month's end, then the store alone */
#define SEEN_BITS	12	/* 4096 slots of users known to be recorded */
#define QUEUE_MAX	4096	/* background events waiting for the batch in flight */

struct mark {
	struct mark		*next;		/* in the background queue or batch */
	struct idg_worker	*w;
	struct idg_audit_event	 e;
	char			 actor[300], action[48], target[300], result[48], ip[46];
	char			 month[8];	/* JST month of e.at */
	char			 key[64];
	idg_metering_done_fn	*done;		/* NULL once called (background write) */
	void			*arg;
	int			 status;
	bool			 in_set;	/* known recorded: nothing to add to Redis */
};

/*
 * The worker's own state (one worker per process, server.h), used from its
 * loop thread only, so without locks.
 *
 * seen: users whose activity of a month is known to be in the store, either
 * because this worker's write committed or because Redis said so. Direct-
 * mapped; a colliding user replaces the one in its slot, who is then only
 * asked about again.
 *
 * Background events: queued while their batch job waits or runs, and sent as
 * one batch (one store transaction) when none is in flight. So the queue is
 * never left waiting without a job in flight, which keeps
 * idg_workpool_outstanding above zero and a draining worker running until
 * every queued event is written.
 */
struct seen {
	int64_t	tenant_id;
	int64_t	user_id;	/* 0: empty */
	char	month[8];
};

struct batch {
	struct mark	*list;		/* NULL when no batch is in flight */
	int		 n;
};

static struct seen seen[1 << SEEN_BITS];
static struct mark *queue_head, *queue_tail;
static int queue_len;
static struct batch flight;

static struct seen *
seen_slot(int64_t tenant_id, int64_t user_id)
{
	uint64_t h = ((uint64_t)tenant_id * 0x9e3779b97f4a7c15ULL + (uint64_t)user_id) *
	    0xbf58476d1ce4e5b9ULL;

	return &seen[h >> (64 - SEEN_BITS)];
}

static bool
seen_has(const struct mark *m)
{
	const struct seen *x = seen_slot(m->e.tenant_id, m->e.active_user_id);

	return m->e.active_user_id != 0 && x->user_id == m->e.active_user_id &&
	    x->tenant_id == m->e.tenant_id && memcmp(x->month, m->month, sizeof(x->month)) == 0;
}

static void
seen_add(const struct mark *m)
{
	struct seen *x = seen_slot(m->e.tenant_id, m->e.active_user_id);

	if (m->e.active_user_id == 0)
		return;
	x->tenant_id = m->e.tenant_id;
	x->user_id = m->e.active_user_id;
	memcpy(x->month, m->month, sizeof(x->month));
}

static void
forget(void *arg, int status, struct redisReply *reply)
{
	(void)arg;
	(void)status;
	(void)reply;
}

/* On a pool thread: m's event in its own transaction. */
static void
mark_work(void *ctx, void *arg)
{
	struct mark *m = arg;
	struct idg_store *s = idg_worker_store(ctx);

	m->status = s != NULL ? idg_store_audit_append(s, &m->e) : IDG_UNAVAILABLE;
	if (m->status != IDG_OK) {
		idg_worker_store_failed(ctx);
		log_error("activity %s of user %lld not recorded", m->action,
		    (long long)m->e.active_user_id);
	}
}

/* On the loop once m's write has ended: Redis, the seen cache, the caller. */
static void
mark_done(void *arg)
{
	struct mark *m = arg;

	/* Only once the store has it: otherwise the next activity tries again. */
	if (m->status == IDG_OK && !m->in_set) {
		idg_redis_command(m->w->redis, forget, NULL, "SADD %s %lld", m->key,
		    (long long)m->e.active_user_id);
		idg_redis_command(m->w->redis, forget, NULL, "EXPIRE %s %d", m->key, SET_TTL_S);
	}
	if (m->status == IDG_OK)
		seen_add(m);
	if (m->done != NULL)
		m->done(m->arg, m->status == IDG_OK ? IDG_OK : IDG_UNAVAILABLE);
	free(m);
}

static void
refuse(struct mark *m)
{
	log_error("activity %s of user %lld not recorded: work pool full", m->action,
	    (long long)m->e.active_user_id);
	m->status = IDG_UNAVAILABLE;
	if (m->done != NULL)
		m->done(m->arg, IDG_UNAVAILABLE);
	free(m);
}

/* m in a job of its own. */
static void
submit(struct mark *m)
{
	if (idg_workpool_submit(m->w->pool, mark_work, mark_done, m) != IDG_PENDING)
		refuse(m);
}

/*
 * On a pool thread: the batch in one transaction. Should that fail, each
 * event on its own, so one bad event keeps no other out.
 */
static void
batch_work(void *ctx, void *arg)
{
	struct batch *b = arg;
	struct idg_store *s = idg_worker_store(ctx);
	struct idg_audit_event *ev = NULL;
	struct mark *m;
	int i, status = IDG_UNAVAILABLE;

	if (s != NULL && (ev = calloc((size_t)b->n, sizeof(*ev))) != NULL) {
		for (i = 0, m = b->list; m != NULL; m = m->next)
			ev[i++] = m->e;
		if ((status = idg_store_audit_append_many(s, ev, b->n)) != IDG_OK)
			idg_worker_store_failed(ctx);
		free(ev);
	}
	for (m = b->list; m != NULL; m = m->next) {
		if (status == IDG_OK)
			m->status = IDG_OK;
		else
			mark_work(ctx, m);
	}
}

static void flush(void);

static void
batch_done(void *arg)
{
	struct batch *b = arg;
	struct mark *m, *list = b->list;

	b->list = NULL;
	b->n = 0;
	while ((m = list) != NULL) {
		list = m->next;
		mark_done(m);
	}
	/* What queued meanwhile goes next, as one batch. */
	flush();
}

/* Sends the queue as one batch unless a batch is in flight (its end sends it). */
static void
flush(void)
{
	struct mark *m, *list;

	if (flight.list != NULL || queue_head == NULL)
		return;
	flight.list = queue_head;
	flight.n = queue_len;
	queue_head = queue_tail = NULL;
	queue_len = 0;
	if (idg_workpool_submit(flight.list->w->pool, batch_work, batch_done, &flight) ==
	    IDG_PENDING)
		return;
	list = flight.list;
	flight.list = NULL;
	flight.n = 0;
	while ((m = list) != NULL) {
		list = m->next;
		refuse(m);
	}
}

/*
 * The user is known to be recorded this month: the event is written in the
 * background and the request goes on. The event is queued before done runs,
 * so a worker draining on that answer sees a job in flight.
 */
static void
background(struct mark *m)
{
	idg_metering_done_fn *done = m->done;
	void *arg = m->arg;

	m->in_set = true;
	m->done = NULL;
	if (queue_len >= QUEUE_MAX) {
		submit(m);
	} else {
		m->next = NULL;
		if (queue_tail != NULL)
			queue_tail->next = m;
		else
			queue_head = m;
		queue_tail = m;
		queue_len++;
		flush();
	}
	done(arg, IDG_OK);
}

static void
member_seen(void *arg, int status, struct redisReply *reply)
{
	struct mark *m = arg;

	if (status == IDG_OK && reply != NULL && reply->type == REDIS_REPLY_INTEGER &&
	    reply->integer == 1) {
		/* Counted already: the request goes on, the event follows. */
		seen_add(m);
		background(m);
		return;
	}
	/* Unknown, or Redis down: the store decides, and the request waits for it. */
	submit(m);
}

static void
copy_event(struct mark *m, const struct idg_audit_event *e, int64_t user_id)
{
	idg_strlcpy(m->actor, e->actor != NULL ? e->actor : "", sizeof(m->actor));
	idg_strlcpy(m->action, e->action != NULL ? e->action : "", sizeof(m->action));
	idg_strlcpy(m->target, e->target != NULL ? e->target : "", sizeof(m->target));
	idg_strlcpy(m->result, e->result != NULL ? e->result : "ok", sizeof(m->result));
	idg_strlcpy(m->ip, e->ip != NULL ? e->ip : "", sizeof(m->ip));
	m->e.at = idg_now();
	m->e.tenant_id = e->tenant_id;
	m->e.actor = m->actor;
	m->e.action = m->action;
	m->e.target = m->target;
	m->e.result = m->result;
	m->e.ip = m->ip[0] != '\0' ? m->ip : NULL;
	m->e.active_user_id = user_id;
}

void
idg_metering_record(struct idg_req *r, const struct idg_audit_event *e, int64_t user_id,
    unsigned flags, idg_metering_done_fn *done, void *arg)
{
	struct mark *m;

#ifdef IDGATE_TEST_HOOKS
	/* Benchmarks only (tests/bench/metering.sh): the path without metering. */
	if (getenv("IDGATE_TEST_METERING_OFF") != NULL) {
		done(arg, IDG_OK);
		return;
	}
#endif
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		done(arg, IDG_UNAVAILABLE);
		return;
	}
	m->w = r->w;
	m->done = done;
	m->arg = arg;
	copy_event(m, e, user_id);
	idg_jst_month(m->e.at, m->month);
	snprintf(m->key, sizeof(m->key), "ma:%lld:%s", (long long)e->tenant_id, m->month);
	if ((flags & IDG_METERING_DURABLE) != 0) {
		submit(m);
		return;
	}
	/* Seen here already: what a SISMEMBER "member" would say, without asking. */
	if (seen_has(m)) {
		background(m);
		return;
	}
	if (idg_redis_command(r->w->redis, member_seen, m, "SISMEMBER %s %lld", m->key,
	    (long long)user_id) != IDG_PENDING)
		submit(m);
}
