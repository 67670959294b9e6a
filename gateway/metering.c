/*
 * metering.c - the monthly active-ID hook; see metering.h.
 */
#include "metering.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "http/metrics.h"
#include "http/request.h"
#include "http/server.h"
#include "http/worker_store.h"
#include "http/workpool.h"
#include "session/redis.h"
#include "store/store.h"
#include "util/log.h"
#include "util/status.h"

#define SET_TTL_S (40 * 86400)	/* past the month's end, then the store alone */

struct mark {
	struct idg_worker	*w;
	int64_t			 tenant_id, user_id, at;
	char			 month[8];
	char			 key[64];
	int			 status;
};

void
idg_metering_month(int64_t t, char out[8])
{
	time_t jst = (time_t)(t + 9 * 3600);
	struct tm tm;

	gmtime_r(&jst, &tm);
	snprintf(out, 8, "%04u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
	    (unsigned)(tm.tm_mon + 1) % 100u);
}

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

	m->status = s != NULL ? idg_store_activity_mark(s, m->tenant_id, m->user_id, m->month,
	    m->at, NULL) : IDG_UNAVAILABLE;
	if (m->status != IDG_OK) {
		idg_worker_store_failed(ctx);
		log_error("active-ID mark for user %lld in %s not written",
		    (long long)m->user_id, m->month);
	}
}

static void
mark_done(void *arg)
{
	struct mark *m = arg;

	/* Only once the store has it: otherwise the next sign-in tries again. */
	if (m->status == IDG_OK) {
		idg_redis_command(m->w->redis, forget, NULL, "SADD %s %lld", m->key,
		    (long long)m->user_id);
		idg_redis_command(m->w->redis, forget, NULL, "EXPIRE %s %d", m->key, SET_TTL_S);
	}
	free(m);
}

static void
member_seen(void *arg, int status, struct redisReply *reply)
{
	struct mark *m = arg;

	/* Known already: nothing to write. Unknown, or Redis down: the store decides. */
	if (status == IDG_OK && reply != NULL && reply->type == REDIS_REPLY_INTEGER &&
	    reply->integer == 1) {
		free(m);
		return;
	}
	if (idg_workpool_submit(m->w->pool, mark_work, mark_done, m) != IDG_PENDING) {
		log_error("active-ID mark for user %lld dropped: work pool full",
		    (long long)m->user_id);
		free(m);
	}
}

void
idg_metering_mark(struct idg_req *r, int64_t tenant_id, int64_t user_id)
{
	struct mark *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return;
	m->w = r->w;
	m->tenant_id = tenant_id;
	m->user_id = user_id;
	m->at = (int64_t)time(NULL);
	idg_metering_month(m->at, m->month);
	snprintf(m->key, sizeof(m->key), "ma:%lld:%s", (long long)tenant_id, m->month);
	if (idg_redis_command(r->w->redis, member_seen, m, "SISMEMBER %s %lld", m->key,
	    (long long)user_id) != IDG_PENDING)
		member_seen(m, IDG_UNAVAILABLE, NULL);
}
