/*
 * redis.h - asynchronous Redis client for one event loop (hiredis async with
 * its libevent adapter), with what hiredis 0.14 lacks: a timeout on every
 * command, AUTH/SELECT on connect, and reconnection with backoff.
 *
 * Contract of idg_redis_command*: it returns IDG_PENDING and later calls cb
 * exactly once from the loop (with a reply, or with IDG_TIMEOUT /
 * IDG_UNAVAILABLE and reply NULL); or it returns IDG_UNAVAILABLE (not
 * connected) or IDG_ERR at once and never calls cb. The reply passed to cb
 * is borrowed: valid only during the call.
 *
 * While disconnected every command fails at once with IDG_UNAVAILABLE (fail
 * closed; callers render a 503) and the client retries the connection with
 * exponential backoff (100 ms doubling up to 5 s) until it is back. A
 * command that times out counts as a Redis error; after it the connection is
 * dropped and re-established, since a late reply would desynchronise it.
 * Not thread-safe: one client per loop.
 */
#ifndef IDG_REDIS_H
#define IDG_REDIS_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct redisReply;

struct idg_redis_config {
	const char	*host;		/* used when unix_socket is NULL/"" */
	int		 port;
	const char	*unix_socket;
	int		 database;
	const char	*password;	/* NULL/"" = no AUTH; read from a file by config */
	int		 connect_timeout_ms;
	int		 command_timeout_ms;
};

struct idg_redis;

typedef void idg_redis_cb(void *arg, int status, struct redisReply *reply);

/* Creates the client and starts connecting; never blocks. NULL on ENOMEM. */
struct idg_redis *idg_redis_new(struct event_base *base, const struct idg_redis_config *cfg);
/* Fails pending commands with IDG_UNAVAILABLE (their callbacks run) and frees. */
void	idg_redis_free(struct idg_redis *r);
bool	idg_redis_connected(const struct idg_redis *r);
/* True once the first connection attempt has ended, in success or failure. */
bool	idg_redis_tried(const struct idg_redis *r);
int	idg_redis_command(struct idg_redis *r, idg_redis_cb *cb, void *arg,
	    const char *fmt, ...);
int	idg_redis_commandargv(struct idg_redis *r, idg_redis_cb *cb, void *arg,
	    int argc, const char **argv, const size_t *argvlen);
/* Commands sent and not answered yet (for tests and metrics). */
int	idg_redis_pending(const struct idg_redis *r);

#endif
