/*
 * ratelimit.c - the fixed-window hit counter of session.h: INCR key and
 * EXPIRE key window NX (Redis >= 7) pipelined in one round trip, with one
 * callback carrying the INCR count once both replies are in.
 *
 * The rate-limit policy (which key, what limit) belongs to the callers; this
 * file only counts. EXPIRE NX sets the TTL on the first hit of a window and
 * leaves it alone afterwards, so the window is fixed, not sliding.
 */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "gateway/util/log.h"
#include "gateway/util/status.h"
#include "redis.h"

#define MAX_KEY_BYTES 256

struct rl_op {
	idg_ratelimit_cb	*cb;
	void			*arg;
	int			 left;		/* replies still due */
	int			 st;		/* from INCR */
	int			 no_ttl;	/* EXPIRE could not be sent */
	long			 count;
};

static void
rl_finish(struct rl_op *op)
{
	if (--op->left > 0)
		return;
	if (op->no_ttl && op->st == IDG_OK)
		op->st = IDG_ERR;
	op->cb(op->arg, op->st, op->st == IDG_OK ? op->count : 0);
	free(op);
}

static void
on_incr(void *arg, int st, struct redisReply *reply)
{
	struct rl_op *op = arg;

	op->st = st;
	if (st == IDG_OK) {
		if (reply->type == REDIS_REPLY_INTEGER && reply->integer > 0)
			op->count = (long)reply->integer;
		else {
			log_error("unexpected reply type %d to INCR", reply->type);
			op->st = IDG_ERR;
		}
	}
	rl_finish(op);
}

static void
on_expire(void *arg, int st, struct redisReply *reply)
{
	/* Only consumed: the INCR reply decides the outcome. */
	if (st == IDG_ERR)
		log_error("EXPIRE NX refused (Redis >= 7 is required)");
	rl_finish(arg);
}

int
idg_ratelimit_hit(struct idg_redis *r, const char *key, int window_s, idg_ratelimit_cb *cb,
    void *arg)
{
	const char *argv[4];
	size_t len[4], klen;
	struct rl_op *op;
	char win[24];
	int st;

	if (r == NULL || key == NULL || cb == NULL || window_s <= 0 ||
	    (klen = strlen(key)) == 0 || klen > MAX_KEY_BYTES)
		return IDG_INVALID;
	if (!idg_redis_connected(r))
		return IDG_UNAVAILABLE;
	if ((op = calloc(1, sizeof(*op))) == NULL)
		return IDG_ERR;
	op->cb = cb;
	op->arg = arg;
	op->left = 2;
	argv[0] = "INCR";	len[0] = 4;
	argv[1] = key;		len[1] = klen;
	if ((st = idg_redis_commandargv(r, on_incr, op, 2, argv, len)) != IDG_PENDING) {
		free(op);
		return st;
	}
	snprintf(win, sizeof(win), "%d", window_s);
	argv[0] = "EXPIRE";	len[0] = 6;
	argv[2] = win;		len[2] = strlen(win);
	argv[3] = "NX";		len[3] = 2;
	if (idg_redis_commandargv(r, on_expire, op, 4, argv, len) != IDG_PENDING) {
		/*
		 * The counter was bumped but may get no TTL: report a failure
		 * rather than a count that might never reset.
		 */
		log_error("EXPIRE for %s not sent", key);
		op->left = 1;
		op->no_ttl = 1;
	}
	return IDG_PENDING;
}
