/*
 * server.h - one worker process: an event loop serving HTTP(S) with evhttp
 * on the listening sockets inherited from the master, its Redis client,
 * session store, work pool and directory snapshot.
 *
 * The master (master.c) binds the sockets and forks workers; each worker
 * runs idg_worker_run until SIGTERM, then stops accepting, lets in-flight
 * requests finish (up to drain_timeout_s) and exits. Workers share nothing
 * in memory but the metrics region.
 */
#ifndef IDG_SERVER_H
#define IDG_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "../config/config.h"

struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct ssl_ctx_st;
struct idg_redis;
struct idg_session_store;
struct idg_workpool;
struct idg_directory;
struct idg_accesslog;
struct idg_jp_overrides;

struct idg_listener {
	struct idg_worker		*w;
	const struct idg_listener_config *cfg;
	int				 fd;
	struct evhttp			*http;
	struct evhttp_bound_socket	*bound;
	struct ssl_ctx_st		*ssl;
};

struct idg_worker {
	const struct idg_config	*cfg;
	int			 slot;		/* 0..workers-1, for metrics */
	struct event_base	*base;
	struct idg_listener	 listeners[IDG_MAX_LISTENERS];
	int			 nlisteners;
	struct idg_redis	*redis;
	struct idg_session_store *sessions;
	struct idg_workpool	*pool;
	struct idg_directory	*dir;		/* current snapshot; NULL until loaded */
	int64_t			 dir_ok_at;	/* last successful generation poll (s) */
	bool			 dir_polling;
	struct event		*dir_timer;
	struct event		*start_timer;	/* until the worker accepts */
	uint64_t		 started_us;
	bool			 failed;	/* the loop ended on an error */
	struct event		*maint_timer;	/* worker 0: daily account upkeep */
	bool			 maint_running;
	struct event		*sig_term, *sig_int, *drain_timer, *drain_tick;
	bool			 draining;
	uint64_t		 drain_started_us;
	int			 inflight;	/* requests received and not answered */
	struct idg_accesslog	*access;
	uint8_t			 csrf_key[32];	/* derived from the master key */
	struct idg_jp_overrides	*holidays;	/* conf/holidays-override.txt, or NULL */
	char			 ticket_day[11];	/* JST day of the TLS ticket keys */
};

/* Listening socket fds created by the master, in cfg->listeners order. */
int	idg_worker_run(const struct idg_config *cfg, const int *fds, int slot);

/* Called by request.c when a request is answered (drain bookkeeping). */
void	idg_worker_request_done(struct idg_worker *w);

#endif
