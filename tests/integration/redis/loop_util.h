/*
 * loop_util.h - helpers shared by the Redis integration tests: run an event
 * loop for a while or until a condition holds, and a synchronous hiredis
 * connection to inspect the server behind the client's back.
 *
 * Header-only (static functions) so each test program stays one file plus
 * the harness; not used outside tests/integration/redis.
 */
#ifndef IDG_LOOP_UTIL_H
#define IDG_LOOP_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

static inline int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void
nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Runs the loop until *flag (if given) is true or max_ms passed; returns *flag. */
static inline bool
pump(struct event_base *base, const volatile int *flag, int max_ms)
{
	int64_t end = now_ms() + max_ms;

	for (;;) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (flag != NULL && *flag)
			return true;
		if (now_ms() >= end)
			return flag == NULL;
		nap_ms(1);
	}
}

/* Runs the loop until cond(arg) or max_ms passed; returns cond(arg). */
static inline bool
pump_until(struct event_base *base, bool (*cond)(void *), void *arg, int max_ms)
{
	int64_t end = now_ms() + max_ms;

	for (;;) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (cond(arg))
			return true;
		if (now_ms() >= end)
			return false;
		nap_ms(1);
	}
}

/* Synchronous connection for checks; NULL on failure. */
static inline redisContext *
sync_connect(int port, const char *password)
{
	struct timeval tv = { 2, 0 };
	redisContext *c;
	redisReply *rep;

	c = redisConnectWithTimeout("127.0.0.1", port, tv);
	if (c == NULL || c->err != 0) {
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	if (password != NULL) {
		rep = redisCommand(c, "AUTH %s", password);
		if (rep != NULL)
			freeReplyObject(rep);
	}
	return c;
}

/* Integer reply of a command, or -100 on anything else. */
static inline long long
sync_int(redisContext *c, const char *cmd, const char *arg)
{
	redisReply *rep = redisCommand(c, "%s %s", cmd, arg);
	long long v = -100;

	if (rep != NULL && rep->type == REDIS_REPLY_INTEGER)
		v = rep->integer;
	if (rep != NULL)
		freeReplyObject(rep);
	return v;
}

#endif
