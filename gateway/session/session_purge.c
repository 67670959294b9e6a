/*
 * session_purge.c - ends every session of cancelled tenants through their
 * session index (session.h), on a blocking hiredis connection of its own.
 *
 * Used where blocking is the norm: `idgate tenant cancel` right after the
 * store has committed the cancellation, and the gateway's daily jobs (a pool
 * thread) for the tenants whose purge the CLI could not do. Never on an
 * event loop: those use the asynchronous client of redis.c.
 *
 * The index lists storage keys, so the purge needs no session ids and reads
 * no session. A member is deleted only if it has the shape of a session key:
 * whatever else lands in the set never makes the purge delete another key.
 * Running it twice, or on a tenant without sessions, deletes nothing more.
 */
#include "session_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "gateway/util/status.h"
#include "redis.h"

/* Keys per DEL: bounds the reply sizes and the time Redis spends per command. */
#define BATCH		500
#define DEF_TIMEOUT_MS	1000

static void
say(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whysz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

static void
ms_to_tv(int ms, int def, struct timeval *tv)
{
	if (ms <= 0)
		ms = def;
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

/* The status of a failed exchange: lost or timed out is "unavailable". */
static int
failed(redisContext *c, redisReply *rep, const char *what, char *why, size_t whysz)
{
	if (rep == NULL) {
		say(why, whysz, "%s: %s", what, c->errstr[0] != '\0' ? c->errstr :
		    "no reply");
		return IDG_UNAVAILABLE;
	}
	say(why, whysz, "%s: %s", what, rep->type == REDIS_REPLY_ERROR ? rep->str :
	    "unexpected reply");
	freeReplyObject(rep);
	return IDG_ERR;
}

/*
 * Connects and runs the handshake of redis.c (AUTH, SELECT). NULL, with why
 * saying why, when Redis cannot be reached or refuses the handshake.
 */
static redisContext *
connect_sync(const struct idg_redis_config *cfg, char *why, size_t whysz)
{
	struct timeval ctv, tv;
	redisContext *c;
	redisReply *rep;

	ms_to_tv(cfg->connect_timeout_ms, DEF_TIMEOUT_MS, &ctv);
	ms_to_tv(cfg->command_timeout_ms, DEF_TIMEOUT_MS, &tv);
	if (cfg->unix_socket != NULL && cfg->unix_socket[0] != '\0')
		c = redisConnectUnixWithTimeout(cfg->unix_socket, ctv);
	else
		c = redisConnectWithTimeout(cfg->host != NULL && cfg->host[0] != '\0' ?
		    cfg->host : "127.0.0.1", cfg->port > 0 ? cfg->port : 6379, ctv);
	if (c == NULL) {
		say(why, whysz, "out of memory");
		return NULL;
	}
	if (c->err != 0 || redisSetTimeout(c, tv) != REDIS_OK) {
		say(why, whysz, "%s", c->errstr);
		redisFree(c);
		return NULL;
	}
	if (cfg->password != NULL && cfg->password[0] != '\0') {
		rep = redisCommand(c, "AUTH %s", cfg->password);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			(void)failed(c, rep, "AUTH", why, whysz);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(rep);
	}
	if (cfg->database != 0) {
		rep = redisCommand(c, "SELECT %d", cfg->database);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			(void)failed(c, rep, "SELECT", why, whysz);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(rep);
	}
	return c;
}

/* "s:" and 32 lower-case hex digits, as idg_session_key makes them. */
static int
is_session_key(const redisReply *e)
{
	size_t i;

	if (e->type != REDIS_REPLY_STRING || e->len != IDG_SESSION_KEY_LEN - 1 ||
	    strncmp(e->str, "s:", 2) != 0)
		return 0;
	for (i = 2; i < e->len; i++)
		if (!((e->str[i] >= '0' && e->str[i] <= '9') ||
		    (e->str[i] >= 'a' && e->str[i] <= 'f')))
			return 0;
	return 1;
}

/* The next reply of a pipeline, or NULL (lost connection, timeout). */
static redisReply *
next_reply(redisContext *c)
{
	void *rep = NULL;

	if (redisGetReply(c, &rep) != REDIS_OK)
		return NULL;
	return rep;
}

/*
 * One batch of the index: DEL of its session keys and ZREM of all of it,
 * pipelined. *n gets the members seen (0: the index is empty or gone).
 */
static int
purge_batch(redisContext *c, const char *idx, long *purged, size_t *n, char *why,
    size_t whysz)
{
	const char *argv[BATCH + 2];
	size_t len[BATCH + 2];
	redisReply *list, *rep;
	size_t i, ndel = 1;
	int st = IDG_OK;

	*n = 0;
	list = redisCommand(c, "ZRANGE %s 0 %d", idx, BATCH - 1);
	if (list == NULL || list->type != REDIS_REPLY_ARRAY)
		return failed(c, list, "ZRANGE", why, whysz);
	if ((*n = list->elements) == 0) {
		freeReplyObject(list);
		return IDG_OK;
	}
	argv[0] = "DEL";
	len[0] = 3;
	for (i = 0; i < list->elements; i++) {
		if (!is_session_key(list->element[i]))
			continue;
		argv[ndel] = list->element[i]->str;
		len[ndel++] = list->element[i]->len;
	}
	if (ndel > 1 && redisAppendCommandArgv(c, (int)ndel, argv, len) != REDIS_OK) {
		freeReplyObject(list);
		return failed(c, NULL, "DEL", why, whysz);
	}
	argv[0] = "ZREM";
	len[0] = 4;
	argv[1] = idx;
	len[1] = strlen(idx);
	for (i = 0; i < list->elements; i++) {
		argv[i + 2] = list->element[i]->str;
		len[i + 2] = list->element[i]->len;
	}
	if (redisAppendCommandArgv(c, (int)list->elements + 2, argv, len) != REDIS_OK) {
		/* The caller drops the connection: a DEL reply may still be due. */
		freeReplyObject(list);
		return failed(c, NULL, "ZREM", why, whysz);
	}
	freeReplyObject(list);
	if (ndel > 1) {
		rep = next_reply(c);
		if (rep == NULL || rep->type != REDIS_REPLY_INTEGER) {
			if ((st = failed(c, rep, "DEL", why, whysz)) == IDG_UNAVAILABLE)
				return st;
		} else {
			*purged += (long)rep->integer;
			freeReplyObject(rep);
		}
	}
	rep = next_reply(c);
	if (rep == NULL || rep->type != REDIS_REPLY_INTEGER)
		return failed(c, rep, "ZREM", why, whysz);
	freeReplyObject(rep);
	return st;
}

static int
purge_tenant(redisContext *c, int64_t tenant_id, long *purged, char *why, size_t whysz)
{
	char idx[IDG_SESSION_INDEX_KEY_LEN];
	redisReply *rep;
	size_t n;
	int st;

	idg_session_index_key(tenant_id, idx);
	/* Batch after batch until the set is empty (new members included). */
	do {
		if ((st = purge_batch(c, idx, purged, &n, why, whysz)) != IDG_OK)
			return st;
	} while (n > 0);
	rep = redisCommand(c, "DEL %s", idx);
	if (rep == NULL || rep->type != REDIS_REPLY_INTEGER)
		return failed(c, rep, "DEL", why, whysz);
	freeReplyObject(rep);
	return IDG_OK;
}

int
idg_session_purge_tenants(const struct idg_redis_config *cfg, const int64_t *tenant_ids,
    int n, long *purged, char *why, size_t whysz)
{
	redisContext *c;
	int i, st = IDG_OK;

	*purged = 0;
	say(why, whysz, "%s", "");
	if (cfg == NULL || n < 0 || (n > 0 && tenant_ids == NULL))
		return IDG_INVALID;
	if (n == 0)
		return IDG_OK;
	if ((c = connect_sync(cfg, why, whysz)) == NULL)
		return IDG_UNAVAILABLE;
	for (i = 0; i < n; i++)
		if (tenant_ids[i] > 0 &&
		    (st = purge_tenant(c, tenant_ids[i], purged, why, whysz)) != IDG_OK)
			break;
	redisFree(c);
	return st;
}
