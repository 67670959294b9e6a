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

struct mark {
	struct idg_worker	*w;
	struct idg_audit_event	 e;
	char			 actor[300], action[48], target[300], result[48], ip[46];
	char			 key[64];
	idg_metering_done_fn	*done;		/* NULL once called (background write) */
	void			*arg;
	int			 status;
	bool			 in_set;	/* SISMEMBER said so: nothing to add */
};

static void
forget(void *arg, int status, struct redisReply *reply)
{
	(void)arg;
	(void)status;
	(void)reply;
}

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
	if (m->done != NULL)
		m->done(m->arg, m->status == IDG_OK ? IDG_OK : IDG_UNAVAILABLE);
	free(m);
}

static void
submit(struct mark *m)
{
	if (idg_workpool_submit(m->w->pool, mark_work, mark_done, m) == IDG_PENDING)
		return;
	log_error("activity %s of user %lld not recorded: work pool full", m->action,
	    (long long)m->e.active_user_id);
	m->status = IDG_UNAVAILABLE;
	if (m->done != NULL)
		m->done(m->arg, IDG_UNAVAILABLE);
	free(m);
}

static void
member_seen(void *arg, int status, struct redisReply *reply)
{
	struct mark *m = arg;
	idg_metering_done_fn *done = m->done;

	if (status == IDG_OK && reply != NULL && reply->type == REDIS_REPLY_INTEGER &&
	    reply->integer == 1) {
		/* Counted already: the request goes on, the event follows. */
		m->in_set = true;
		m->done = NULL;
		done(m->arg, IDG_OK);
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
	char month[8];

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
	idg_jst_month(m->e.at, month);
	snprintf(m->key, sizeof(m->key), "ma:%lld:%s", (long long)e->tenant_id, month);
	if ((flags & IDG_METERING_DURABLE) != 0 ||
	    idg_redis_command(r->w->redis, member_seen, m, "SISMEMBER %s %lld", m->key,
	    (long long)user_id) != IDG_PENDING)
		submit(m);
}
