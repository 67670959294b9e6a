/*
 * session_redis.c - the "redis" session backend: one Redis string per
 * session under the hashed key of session_impl.h, with the idle timeout as
 * the key's TTL (slid on every read by GETEX, Redis >= 6.2) and the absolute
 * lifetime checked against created_at on every read.
 *
 * Every operation is one command and completes through its callback; the
 * client (redis.c) guarantees the callback runs exactly once, so an op
 * struct is freed in exactly one place. Ops do not point at the store, so a
 * store freed with operations in flight is harmless. This file does not own
 * the Redis client.
 *
 * The tenant's session index (session.h) is written in the same pipeline:
 * a create sends ZADD, ZREMRANGEBYSCORE and EXPIRE of "st:<tenant>" right
 * behind its SET, so the index costs no round trip, and completes when the
 * last reply is in (op->left counts them). A destroy sends ZREM behind its
 * DEL without waiting for it: a member whose key is gone only makes a
 * purge delete nothing, and the trim drops it at its expiry.
 */
#include "session_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "gateway/util/crypto.h"
#include "gateway/util/log.h"
#include "gateway/util/status.h"
#include "redis.h"

#define CREATE_TRIES 3

struct rs {
	struct idg_redis	*r;
	int			 idle_s;
	int			 abs_s;
};

enum op_kind { OP_CREATE, OP_GET, OP_UPDATE, OP_DESTROY };

struct op {
	struct idg_redis	*r;
	int			 idle_s;
	int			 abs_s;
	enum op_kind		 kind;
	int			 tries;
	int			 left;		/* replies due (create, update) */
	int			 st;		/* from the SET */
	int			 index_st;	/* first failure of an index write */
	idg_session_cb		*cb;
	void			*arg;
	struct idg_session	*dst;		/* caller's s (create) or out (get) */
	struct idg_session	 s;		/* working copy */
	char			 key[IDG_SESSION_KEY_LEN];
};

static void
op_free(struct op *op)
{
	idg_wipe(op, sizeof(*op));
	free(op);
}

static void
op_done(struct op *op, int st)
{
	const struct idg_session *s = NULL;

	if (st == IDG_OK && op->dst != NULL) {
		*op->dst = op->s;
		s = op->dst;
	} else if (st == IDG_OK && op->kind == OP_UPDATE)
		s = &op->s;
	op->cb(op->arg, st, s);
	op_free(op);
}

static void
ignore_reply(void *arg, int st, struct redisReply *reply)
{
}

/* Best-effort DEL of a dead session; the read already reports it absent. */
static void
del_quietly(struct idg_redis *r, const char *key)
{
	const char *argv[2] = { "DEL", key };
	size_t len[2] = { 3, strlen(key) };

	(void)idg_redis_commandargv(r, ignore_reply, NULL, 2, argv, len);
}

/* Best-effort ZREM of a session from its tenant's index (see the top). */
static void
unindex_quietly(struct idg_redis *r, int64_t tenant_id, const char *key)
{
	char idx[IDG_SESSION_INDEX_KEY_LEN];
	const char *argv[3];
	size_t len[3];

	if (tenant_id <= 0)
		return;
	idg_session_index_key(tenant_id, idx);
	argv[0] = "ZREM";	len[0] = 4;
	argv[1] = idx;		len[1] = strlen(idx);
	argv[2] = key;		len[2] = strlen(key);
	(void)idg_redis_commandargv(r, ignore_reply, NULL, 3, argv, len);
}

/* One reply of a create or update in; the op completes with the last. */
static void
op_step(struct op *op)
{
	if (--op->left > 0)
		return;
	op_done(op, op->st != IDG_OK ? op->st : op->index_st);
}

/* TTL for a write: the idle timeout, cut to what is left of the lifetime. */
static int
write_ttl(const struct op *op)
{
	int64_t left = (int64_t)op->abs_s - (idg_session_clock() - op->s.created_at);

	if (left < 1)
		left = 1;
	return left < op->idle_s ? (int)left : op->idle_s;
}

static void on_set(void *arg, int st, struct redisReply *reply);

static void
on_index(void *arg, int st, struct redisReply *reply)
{
	struct op *op = arg;

	if (st != IDG_OK && op->index_st == IDG_OK)
		op->index_st = st;
	op_step(op);
}

/* SET key value EX ttl NX|XX */
static int
send_set(struct op *op, const char *cond)
{
	char val[IDG_SESSION_ENCODED_MAX + 1], ttl[24];
	const char *argv[6];
	size_t len[6];
	int n, rv;

	if ((n = idg_session_encode(&op->s, val, sizeof(val))) < 0)
		return IDG_INVALID;
	snprintf(ttl, sizeof(ttl), "%d", write_ttl(op));
	argv[0] = "SET";	len[0] = 3;
	argv[1] = op->key;	len[1] = strlen(op->key);
	argv[2] = val;		len[2] = (size_t)n;
	argv[3] = "EX";		len[3] = 2;
	argv[4] = ttl;		len[4] = strlen(ttl);
	argv[5] = cond;		len[5] = 2;
	rv = idg_redis_commandargv(op->r, on_set, op, 6, argv, len);
	idg_wipe(val, sizeof(val));
	if (rv == IDG_PENDING)
		op->left++;
	return rv;
}

/*
 * The index entry of a new session, behind its SET:
 *	ZADD st:T <created_at + lifetime> key
 *	ZREMRANGEBYSCORE st:T -inf <now>	(members that can no longer be read)
 *	EXPIRE st:T <lifetime>			(no member outlives it)
 * A write that cannot be sent fails the create like one refused later: a
 * session missing from its index could not be ended with its tenant.
 */
static void
send_index(struct op *op)
{
	char idx[IDG_SESSION_INDEX_KEY_LEN], score[24], now[24], ttl[24];
	const char *argv[3][4] = {
		{ "ZADD", idx, score, op->key },
		{ "ZREMRANGEBYSCORE", idx, "-inf", now },
		{ "EXPIRE", idx, ttl, NULL },
	};
	const int argc[3] = { 4, 4, 3 };
	size_t len[4];
	int i, j, st;

	idg_session_index_key(op->s.tenant_id, idx);
	snprintf(score, sizeof(score), "%lld", (long long)(op->s.created_at + op->abs_s));
	snprintf(now, sizeof(now), "%lld", (long long)idg_session_clock());
	snprintf(ttl, sizeof(ttl), "%d", op->abs_s);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < argc[i]; j++)
			len[j] = strlen(argv[i][j]);
		st = idg_redis_commandargv(op->r, on_index, op, argc[i], argv[i], len);
		if (st == IDG_PENDING)
			op->left++;
		else if (op->index_st == IDG_OK)
			op->index_st = st;
	}
}

/* SET NX of a new session, and its index entry when it has a tenant. */
static int
send_create(struct op *op)
{
	int st;

	if ((st = send_set(op, "NX")) != IDG_PENDING)
		return st;
	if (op->s.tenant_id > 0)
		send_index(op);
	return IDG_PENDING;
}

static void
on_set(void *arg, int st, struct redisReply *reply)
{
	struct op *op = arg;

	op->st = st;
	if (st != IDG_OK)
		goto out;
	if (reply->type == REDIS_REPLY_STATUS)
		goto out;
	if (reply->type != REDIS_REPLY_NIL) {
		log_error("unexpected reply type %d to SET", reply->type);
		op->st = IDG_ERR;
		goto out;
	}
	if (op->kind == OP_UPDATE) {
		/* XX: the session expired or was destroyed meanwhile. */
		op->st = IDG_NOTFOUND;
		goto out;
	}
	/*
	 * NX on a taken key: a 128-bit collision, astronomically rare. The
	 * index entry sent with it names that other session, which a purge of
	 * this tenant would then end too; at these odds, accepted.
	 */
	if (++op->tries >= CREATE_TRIES) {
		log_error("session id collided %d times", op->tries);
		op->st = IDG_ERR;
		goto out;
	}
	if (idg_session_new_secrets(&op->s) != IDG_OK) {
		op->st = IDG_ERR;
		goto out;
	}
	idg_session_key(op->s.id, op->key);
	/* Sent before this reply is counted, so the op cannot complete in between. */
	if ((st = send_create(op)) != IDG_PENDING)
		op->st = st;
out:
	op_step(op);
}

static void
on_get(void *arg, int st, struct redisReply *reply)
{
	struct op *op = arg;
	char id[IDG_SESSION_ID_LEN + 1];

	if (st != IDG_OK) {
		op_done(op, st);
		return;
	}
	if (reply->type == REDIS_REPLY_NIL) {
		op_done(op, IDG_NOTFOUND);
		return;
	}
	if (reply->type != REDIS_REPLY_STRING) {
		log_error("unexpected reply type %d to GETEX", reply->type);
		op_done(op, IDG_ERR);
		return;
	}
	memcpy(id, op->s.id, sizeof(id));
	if (reply->len > 0xffff ||
	    idg_session_decode(reply->str, (unsigned)reply->len, &op->s) != IDG_OK) {
		/* Fail closed: an unreadable record is no session. */
		log_error("undecodable session record %s removed", op->key);
		del_quietly(op->r, op->key);
		op_done(op, IDG_NOTFOUND);
		return;
	}
	memcpy(op->s.id, id, sizeof(id));
	idg_wipe(id, sizeof(id));
	if (idg_session_clock() - op->s.created_at >= op->abs_s) {
		del_quietly(op->r, op->key);
		unindex_quietly(op->r, op->s.tenant_id, op->key);
		op_done(op, IDG_NOTFOUND);
		return;
	}
	op_done(op, IDG_OK);
}

static void
on_del(void *arg, int st, struct redisReply *reply)
{
	op_done(arg, st);
}

static struct op *
op_new(struct rs *rs, enum op_kind kind, idg_session_cb *cb, void *arg)
{
	struct op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		log_error("out of memory");
		return NULL;
	}
	op->r = rs->r;
	op->idle_s = rs->idle_s;
	op->abs_s = rs->abs_s;
	op->kind = kind;
	op->cb = cb;
	op->arg = arg;
	return op;
}

/* Returns the status of a first send; frees op unless it is pending. */
static int
op_started(struct op *op, int st)
{
	if (st != IDG_PENDING)
		op_free(op);
	return st;
}

static void *
rs_open(const struct idg_session_config *cfg, struct idg_redis *r)
{
	struct rs *rs;

	if (r == NULL) {
		log_error("the redis session driver needs a redis client");
		return NULL;
	}
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return NULL;
	rs->r = r;
	rs->idle_s = cfg->idle_timeout_s;
	rs->abs_s = cfg->absolute_lifetime_s;
	return rs;
}

static void
rs_close(void *be)
{
	free(be);
}

static int
rs_create(void *be, struct idg_session *s, idg_session_cb *cb, void *arg)
{
	struct op *op;

	if ((op = op_new(be, OP_CREATE, cb, arg)) == NULL)
		return IDG_ERR;
	op->s = *s;
	op->dst = s;
	idg_session_key(op->s.id, op->key);
	return op_started(op, send_create(op));
}

static int
rs_get(void *be, const char *id, int idle_s, struct idg_session *out, idg_session_cb *cb,
    void *arg)
{
	struct op *op;
	const char *argv[4];
	size_t len[4];
	char ttl[24];

	if ((op = op_new(be, OP_GET, cb, arg)) == NULL)
		return IDG_ERR;
	if (idle_s > 0)
		op->idle_s = idle_s;
	op->dst = out;
	memcpy(op->s.id, id, sizeof(op->s.id));
	idg_session_key(id, op->key);
	snprintf(ttl, sizeof(ttl), "%d", op->idle_s);
	argv[0] = "GETEX";	len[0] = 5;
	argv[1] = op->key;	len[1] = strlen(op->key);
	argv[2] = "EX";		len[2] = 2;
	argv[3] = ttl;		len[3] = strlen(ttl);
	return op_started(op, idg_redis_commandargv(op->r, on_get, op, 4, argv, len));
}

static int
rs_update(void *be, const struct idg_session *s, idg_session_cb *cb, void *arg)
{
	struct op *op;

	if ((op = op_new(be, OP_UPDATE, cb, arg)) == NULL)
		return IDG_ERR;
	op->s = *s;
	idg_session_key(op->s.id, op->key);
	return op_started(op, send_set(op, "XX"));
}

static int
rs_destroy(void *be, const char *id, int64_t tenant_id, idg_session_cb *cb, void *arg)
{
	struct op *op;
	const char *argv[2];
	size_t len[2];
	int st;

	if ((op = op_new(be, OP_DESTROY, cb, arg)) == NULL)
		return IDG_ERR;
	idg_session_key(id, op->key);
	argv[0] = "DEL";	len[0] = 3;
	argv[1] = op->key;	len[1] = strlen(op->key);
	if ((st = idg_redis_commandargv(op->r, on_del, op, 2, argv, len)) == IDG_PENDING)
		unindex_quietly(op->r, tenant_id, op->key);
	return op_started(op, st);
}

const struct idg_session_ops idg_session_redis_ops = {
	.name = "redis",
	.open = rs_open,
	.close = rs_close,
	.create = rs_create,
	.get = rs_get,
	.update = rs_update,
	.destroy = rs_destroy,
};
