/*
 * redis.c - the asynchronous Redis client of redis.h: one hiredis async
 * context on a libevent loop, plus a timer per command, the AUTH/SELECT/PING
 * handshake on every connection and reconnection with exponential backoff.
 *
 * This file knows nothing about sessions or rate limits; it moves commands
 * and replies. The core invariant is that a command accepted with
 * IDG_PENDING completes exactly once: each command has a struct cmd whose
 * "done" flag is set by whichever of reply, timeout, disconnect or
 * idg_redis_free comes first; hiredis owns the struct until it runs the
 * reply callback (with a reply or with NULL when the context is freed),
 * which is the only place it is freed.
 *
 * hiredis 0.14 must not be freed from inside its own callbacks, so a
 * connection that has to be dropped while hiredis is on the stack is dropped
 * from a zero-delay timer (drop_ev), and a client freed from inside a
 * hiredis callback hands its context to a one-shot reaper timer.
 */
#include <stddef.h>		/* redis.h uses size_t without including it */

#include "redis.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "gateway/http/metrics.h"
#include "gateway/util/crypto.h"
#include "gateway/util/log.h"
#include "gateway/util/status.h"

#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		5000
#define DEF_CONNECT_TIMEOUT_MS	1000
#define DEF_COMMAND_TIMEOUT_MS	500

enum conn_state { ST_DOWN, ST_CONNECTING, ST_READY };

struct cmd {
	struct idg_redis	*r;		/* NULL once the client is gone */
	idg_redis_cb		*cb;
	void			*arg;
	struct event		*timer;		/* user commands; freed when done */
	int			 internal;	/* handshake command */
	int			 done;		/* cb already called */
	struct cmd		*prev, *next;
};

struct idg_redis {
	struct event_base	*base;
	char			*host;
	char			*unix_socket;
	char			*password;
	int			 port;
	int			 database;
	int			 connect_timeout_ms;
	int			 command_timeout_ms;

	redisAsyncContext	*ac;
	enum conn_state		 state;
	int			 handshake_left;
	int			 backoff_ms;
	int			 down_logged;	/* warn once per outage */
	int			 tried;		/* the first connection attempt ended */
	struct event		*connect_ev;
	struct event		*reconnect_ev;
	struct event		*drop_ev;

	struct cmd		*cmds;		/* every struct cmd hiredis still holds */
	int			 npending;	/* user commands not done */
	int			 depth;		/* nesting of our entry points */
	int			 dead;		/* idg_redis_free was called */
};

struct reaper {
	redisAsyncContext	*ac;
	struct event		*ev;
};

static void	start_connect(struct idg_redis *);
static void	teardown(struct idg_redis *, int);

static void
ms_to_tv(int ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

static void
cmd_link(struct idg_redis *r, struct cmd *c)
{
	c->prev = NULL;
	c->next = r->cmds;
	if (r->cmds != NULL)
		r->cmds->prev = c;
	r->cmds = c;
}

static void
cmd_unlink(struct idg_redis *r, struct cmd *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		r->cmds = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/*
 * Marks a user command finished and returns its callback; the caller runs
 * it. After this the struct only waits for hiredis to release it.
 */
static void
cmd_finish(struct idg_redis *r, struct cmd *c)
{
	c->done = 1;
	if (c->timer != NULL) {
		event_free(c->timer);
		c->timer = NULL;
	}
	if (!c->internal)
		r->npending--;
}

/* Leaves an entry point; completes a deferred idg_redis_free. */
static void
leave(struct idg_redis *r, int in_hiredis)
{
	r->depth--;
	if (r->dead && r->depth == 0)
		teardown(r, in_hiredis);
}

static void
schedule_reconnect(struct idg_redis *r)
{
	struct timeval tv;

	if (r->dead || r->ac != NULL || evtimer_pending(r->reconnect_ev, NULL))
		return;
	ms_to_tv(r->backoff_ms, &tv);
	evtimer_add(r->reconnect_ev, &tv);
	r->backoff_ms *= 2;
	if (r->backoff_ms > BACKOFF_MAX_MS)
		r->backoff_ms = BACKOFF_MAX_MS;
}

static void
note_down(struct idg_redis *r, const char *why)
{
	idg_metrics_inc(IDG_M_REDIS_ERRORS);
	r->tried = 1;
	if (!r->down_logged) {
		log_warn("redis unavailable: %s", why);
		r->down_logged = 1;
	} else
		log_debug("redis still unavailable: %s", why);
}

/*
 * Drops the connection from a context where hiredis is not on the stack:
 * pending commands get their callback with IDG_UNAVAILABLE (through hiredis
 * running their reply callbacks with NULL).
 */
static void
drop_now(struct idg_redis *r)
{
	redisAsyncContext *ac = r->ac;

	r->state = ST_DOWN;
	evtimer_del(r->connect_ev);
	evtimer_del(r->drop_ev);
	if (ac != NULL) {
		r->ac = NULL;
		ac->data = NULL;
		redisAsyncFree(ac);
	}
	schedule_reconnect(r);
}

/*
 * Requests a drop from anywhere (hiredis callbacks included): new commands
 * fail at once from now on, the context is freed from a zero timer.
 */
static void
drop_later(struct idg_redis *r)
{
	struct timeval tv = { 0, 0 };

	r->state = ST_DOWN;
	evtimer_del(r->connect_ev);
	if (r->ac != NULL)
		evtimer_add(r->drop_ev, &tv);
	else
		schedule_reconnect(r);
}

static void
on_drop(evutil_socket_t fd, short what, void *arg)
{
	struct idg_redis *r = arg;

	r->depth++;
	drop_now(r);
	leave(r, 0);
}

static void
on_ready(struct idg_redis *r)
{
	r->state = ST_READY;
	r->tried = 1;
	r->backoff_ms = BACKOFF_MIN_MS;
	evtimer_del(r->connect_ev);
	log_info("redis connected to %s", r->unix_socket != NULL ? r->unix_socket : r->host);
	r->down_logged = 0;
}

/* The one reply callback of every command, user or handshake. */
static void
on_reply(redisAsyncContext *ac, void *reply_, void *privdata)
{
	redisReply *reply = reply_;
	struct cmd *c = privdata;
	struct idg_redis *r = c->r;
	int st;

	if (r == NULL) {
		/* The client is gone; its callbacks already ran. */
		free(c);
		return;
	}
	cmd_unlink(r, c);
	if (reply == NULL && r->ac == ac) {
		/* hiredis is freeing the context after an I/O error or EOF. */
		r->ac = NULL;
		ac->data = NULL;
		r->state = ST_DOWN;
		evtimer_del(r->connect_ev);
		evtimer_del(r->drop_ev);
		note_down(r, ac->errstr != NULL && ac->err != 0 ? ac->errstr :
		    "connection closed");
		schedule_reconnect(r);
	}
	if (c->internal) {
		if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
			idg_metrics_inc(IDG_M_REDIS_ERRORS);
			log_error("redis handshake refused: %s", reply->str);
			r->tried = 1;
			drop_later(r);
		} else if (reply != NULL && r->state == ST_CONNECTING &&
		    --r->handshake_left == 0)
			on_ready(r);
		free(c);
		return;
	}
	if (c->done) {
		/* Late reply to a command that already timed out: ignored. */
		free(c);
		return;
	}
	cmd_finish(r, c);
	if (reply == NULL) {
		st = IDG_UNAVAILABLE;
		idg_metrics_inc(IDG_M_REDIS_ERRORS);
	} else if (reply->type == REDIS_REPLY_ERROR) {
		st = IDG_ERR;
		idg_metrics_inc(IDG_M_REDIS_ERRORS);
		log_error("redis error reply: %s", reply->str);
	} else
		st = IDG_OK;
	r->depth++;
	c->cb(c->arg, st, reply);
	free(c);
	leave(r, 1);
}

static void
on_cmd_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct cmd *c = arg;
	struct idg_redis *r = c->r;

	/* The struct stays with hiredis; only the callback runs now. */
	cmd_finish(r, c);
	idg_metrics_inc(IDG_M_REDIS_ERRORS);
	log_warn("redis command timed out after %d ms; reconnecting",
	    r->command_timeout_ms);
	/* A late reply would desynchronise the connection: drop it. */
	drop_later(r);
	r->depth++;
	c->cb(c->arg, IDG_TIMEOUT, NULL);
	leave(r, 0);
}

static void
on_connect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct idg_redis *r = ac->data;

	if (r == NULL || r->ac != ac)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context when this returns. */
		r->ac = NULL;
		ac->data = NULL;
		r->state = ST_DOWN;
		evtimer_del(r->connect_ev);
		note_down(r, ac->errstr != NULL ? ac->errstr : "connect failed");
		schedule_reconnect(r);
	}
	/* On success the handshake replies decide when the client is ready. */
}

static void
on_disconnect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct idg_redis *r = ac->data;

	if (r == NULL || r->ac != ac)
		return;
	r->ac = NULL;
	ac->data = NULL;
	r->state = ST_DOWN;
	evtimer_del(r->connect_ev);
	evtimer_del(r->drop_ev);
	note_down(r, ac->errstr != NULL && ac->err != 0 ? ac->errstr : "connection closed");
	schedule_reconnect(r);
}

static void
on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct idg_redis *r = arg;

	r->depth++;
	if (r->ac != NULL) {
		note_down(r, "connect timeout");
		drop_now(r);
	}
	leave(r, 0);
}

static void
on_reconnect(evutil_socket_t fd, short what, void *arg)
{
	struct idg_redis *r = arg;

	if (r->ac == NULL && !r->dead)
		start_connect(r);
}

static int
send_internal(struct idg_redis *r, const char *fmt, ...)
{
	struct cmd *c;
	va_list ap;
	int rv;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return IDG_ERR;
	c->r = r;
	c->internal = 1;
	va_start(ap, fmt);
	rv = redisvAsyncCommand(r->ac, on_reply, c, fmt, ap);
	va_end(ap);
	if (rv != REDIS_OK) {
		free(c);
		return IDG_ERR;
	}
	cmd_link(r, c);
	r->handshake_left++;
	return IDG_OK;
}

static void
start_connect(struct idg_redis *r)
{
	struct timeval tv;
	redisAsyncContext *ac;

	if (r->unix_socket != NULL)
		ac = redisAsyncConnectUnix(r->unix_socket);
	else
		ac = redisAsyncConnect(r->host, r->port);
	if (ac == NULL || ac->err != 0) {
		note_down(r, ac != NULL && ac->errstr != NULL ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		schedule_reconnect(r);
		return;
	}
	ac->data = r;
	if (redisLibeventAttach(ac, r->base) != REDIS_OK) {
		ac->data = NULL;
		redisAsyncFree(ac);
		schedule_reconnect(r);
		return;
	}
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	r->ac = ac;
	r->state = ST_CONNECTING;
	r->handshake_left = 0;
	ms_to_tv(r->connect_timeout_ms, &tv);
	evtimer_add(r->connect_ev, &tv);

	/*
	 * Sent before any user command; hiredis writes them once the socket
	 * is connected. PING when there is nothing else, so "ready" always
	 * means the server answered (a stopped server still accepts TCP).
	 */
	if ((r->password != NULL && send_internal(r, "AUTH %s", r->password) != IDG_OK) ||
	    (r->database != 0 && send_internal(r, "SELECT %d", r->database) != IDG_OK) ||
	    (r->handshake_left == 0 && send_internal(r, "PING") != IDG_OK)) {
		log_error("cannot queue the redis handshake");
		drop_now(r);
	}
}

static char *
dup_opt(const char *s, int *fail)
{
	char *d;

	if (s == NULL || *s == '\0')
		return NULL;
	if ((d = strdup(s)) == NULL)
		*fail = 1;
	return d;
}

struct idg_redis *
idg_redis_new(struct event_base *base, const struct idg_redis_config *cfg)
{
	struct idg_redis *r;
	int fail = 0;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->base = base;
	r->host = dup_opt(cfg->host != NULL && *cfg->host != '\0' ? cfg->host : "127.0.0.1",
	    &fail);
	r->unix_socket = dup_opt(cfg->unix_socket, &fail);
	r->password = dup_opt(cfg->password, &fail);
	r->port = cfg->port > 0 ? cfg->port : 6379;
	r->database = cfg->database;
	r->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms :
	    DEF_CONNECT_TIMEOUT_MS;
	r->command_timeout_ms = cfg->command_timeout_ms > 0 ? cfg->command_timeout_ms :
	    DEF_COMMAND_TIMEOUT_MS;
	r->backoff_ms = BACKOFF_MIN_MS;
	r->connect_ev = evtimer_new(base, on_connect_timeout, r);
	r->reconnect_ev = evtimer_new(base, on_reconnect, r);
	r->drop_ev = evtimer_new(base, on_drop, r);
	if (fail || r->connect_ev == NULL || r->reconnect_ev == NULL || r->drop_ev == NULL) {
		teardown(r, 0);
		return NULL;
	}
	start_connect(r);
	return r;
}

static void
on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct reaper *rp = arg;

	redisAsyncFree(rp->ac);
	event_free(rp->ev);
	free(rp);
}

/*
 * Frees the client for real. in_hiredis: a hiredis callback is on the
 * stack, so the context cannot be freed now and goes to a reaper timer.
 */
static void
teardown(struct idg_redis *r, int in_hiredis)
{
	struct timeval tv = { 0, 0 };
	redisAsyncContext *ac = r->ac;
	struct reaper *rp;
	struct cmd *c;

	r->ac = NULL;
	/* Whatever hiredis still holds is released by on_reply without us. */
	for (c = r->cmds; c != NULL; c = c->next)
		c->r = NULL;
	r->cmds = NULL;
	if (ac != NULL) {
		ac->data = NULL;
		if (!in_hiredis)
			redisAsyncFree(ac);
		else if ((rp = calloc(1, sizeof(*rp))) != NULL &&
		    (rp->ev = evtimer_new(r->base, on_reap, rp)) != NULL) {
			rp->ac = ac;
			evtimer_add(rp->ev, &tv);
		} else {
			/* No memory for the reaper: let hiredis free it after the callback. */
			free(rp);
			redisAsyncFree(ac);
		}
	}
	if (r->connect_ev != NULL)
		event_free(r->connect_ev);
	if (r->reconnect_ev != NULL)
		event_free(r->reconnect_ev);
	if (r->drop_ev != NULL)
		event_free(r->drop_ev);
	free(r->host);
	free(r->unix_socket);
	if (r->password != NULL) {
		idg_wipe(r->password, strlen(r->password));
		free(r->password);
	}
	free(r);
}

void
idg_redis_free(struct idg_redis *r)
{
	struct cmd *c;

	if (r == NULL || r->dead)
		return;
	r->dead = 1;
	r->state = ST_DOWN;
	r->depth++;
	/*
	 * Fail every pending user command now, so none outlives the client.
	 * Restart from the head each time: a callback may not add commands
	 * (the client is dead), but be safe against any list change.
	 */
	for (;;) {
		for (c = r->cmds; c != NULL; c = c->next)
			if (!c->internal && !c->done)
				break;
		if (c == NULL)
			break;
		cmd_finish(r, c);
		c->cb(c->arg, IDG_UNAVAILABLE, NULL);
	}
	/* Called from one of our callbacks: the outermost one frees. */
	leave(r, 0);
}

bool
idg_redis_connected(const struct idg_redis *r)
{
	return r != NULL && r->state == ST_READY;
}

bool
idg_redis_tried(const struct idg_redis *r)
{
	return r != NULL && r->tried;
}

int
idg_redis_pending(const struct idg_redis *r)
{
	return r != NULL ? r->npending : 0;
}

/* Common part of both command forms: checks, the struct and the timer. */
static struct cmd *
cmd_new(struct idg_redis *r, idg_redis_cb *cb, void *arg, int *st)
{
	struct cmd *c;

	if (r == NULL || cb == NULL) {
		*st = IDG_ERR;
		return NULL;
	}
	if (r->dead || r->state != ST_READY || r->ac == NULL) {
		*st = IDG_UNAVAILABLE;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->timer = evtimer_new(r->base, on_cmd_timeout, c)) == NULL) {
		log_error("out of memory");
		free(c);
		*st = IDG_ERR;
		return NULL;
	}
	c->r = r;
	c->cb = cb;
	c->arg = arg;
	return c;
}

static int
cmd_queued(struct idg_redis *r, struct cmd *c, int rv)
{
	struct timeval tv;

	if (rv != REDIS_OK) {
		event_free(c->timer);
		free(c);
		if (r->ac->c.flags & (REDIS_DISCONNECTING | REDIS_FREEING))
			return IDG_UNAVAILABLE;
		log_error("redis command could not be formatted");
		return IDG_ERR;
	}
	cmd_link(r, c);
	r->npending++;
	ms_to_tv(r->command_timeout_ms, &tv);
	evtimer_add(c->timer, &tv);
	return IDG_PENDING;
}

int
idg_redis_command(struct idg_redis *r, idg_redis_cb *cb, void *arg, const char *fmt, ...)
{
	struct cmd *c;
	va_list ap;
	int rv, st;

	if ((c = cmd_new(r, cb, arg, &st)) == NULL)
		return st;
	va_start(ap, fmt);
	rv = redisvAsyncCommand(r->ac, on_reply, c, fmt, ap);
	va_end(ap);
	return cmd_queued(r, c, rv);
}

int
idg_redis_commandargv(struct idg_redis *r, idg_redis_cb *cb, void *arg, int argc,
    const char **argv, const size_t *argvlen)
{
	struct cmd *c;
	int st;

	if (argc <= 0 || argv == NULL) {
		log_error("empty redis command");
		return IDG_ERR;
	}
	if ((c = cmd_new(r, cb, arg, &st)) == NULL)
		return st;
	return cmd_queued(r, c, redisAsyncCommandArgv(r->ac, on_reply, c, argc, argv,
	    argvlen));
}
