/*
 * session_memory.c - the "memory" session backend: a small chained hash
 * table in this process with the same semantics as the Redis backend (idle
 * timeout slid on read, absolute lifetime, NX create, XX update), for unit
 * tests of handlers and for development.
 *
 * Every operation finishes at once and never calls its callback. Time comes
 * from idg_session_clock so tests can move it. Not shared between worker
 * processes and not persistent: not for production.
 */
#include "session_impl.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/util/crypto.h"
#include "gateway/util/log.h"
#include "gateway/util/status.h"

#define NBUCKETS	256
#define MAX_SESSIONS	100000
#define CREATE_TRIES	3

struct ment {
	char			 key[IDG_SESSION_KEY_LEN];
	struct idg_session	 s;		/* id not kept, as in Redis */
	int64_t			 expires_at;
	struct ment		*next;
};

struct ms {
	struct ment	*buckets[NBUCKETS];
	int		 count;
	int		 idle_s;
	int		 abs_s;
};

static unsigned
bucket_of(const char *key)
{
	unsigned h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % NBUCKETS;
}

static void
ment_free(struct ment *e)
{
	idg_wipe(e, sizeof(*e));
	free(e);
}

static void
remove_key(struct ms *ms, const char *key)
{
	struct ment **pp, *e;

	for (pp = &ms->buckets[bucket_of(key)]; (e = *pp) != NULL; pp = &e->next) {
		if (strcmp(e->key, key) == 0) {
			*pp = e->next;
			ment_free(e);
			ms->count--;
			return;
		}
	}
}

/* The live entry for key, or NULL; expired entries are removed on the way. */
static struct ment *
lookup(struct ms *ms, const char *key, int64_t now)
{
	struct ment *e;

	for (e = ms->buckets[bucket_of(key)]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (e == NULL)
		return NULL;
	if (now >= e->expires_at || now - e->s.created_at >= ms->abs_s) {
		remove_key(ms, key);
		return NULL;
	}
	return e;
}

/* Same rule as the Redis backend: idle timeout cut to the lifetime left. */
static int64_t
write_expiry(const struct ms *ms, const struct idg_session *s, int64_t now)
{
	int64_t left = (int64_t)ms->abs_s - (now - s->created_at);

	if (left < 1)
		left = 1;
	return now + (left < ms->idle_s ? left : ms->idle_s);
}

static void
store_copy(struct ment *e, const struct idg_session *s)
{
	e->s = *s;
	memset(e->s.id, 0, sizeof(e->s.id));
}

static void *
mem_open(const struct idg_session_config *cfg, struct idg_redis *r)
{
	struct ms *ms;

	if ((ms = calloc(1, sizeof(*ms))) == NULL)
		return NULL;
	ms->idle_s = cfg->idle_timeout_s;
	ms->abs_s = cfg->absolute_lifetime_s;
	return ms;
}

static void
mem_close(void *be)
{
	struct ms *ms = be;
	struct ment *e, *next;
	int i;

	for (i = 0; i < NBUCKETS; i++) {
		for (e = ms->buckets[i]; e != NULL; e = next) {
			next = e->next;
			ment_free(e);
		}
	}
	free(ms);
}

static int
mem_create(void *be, struct idg_session *s, idg_session_cb *cb, void *arg)
{
	struct ms *ms = be;
	int64_t now = idg_session_clock();
	char key[IDG_SESSION_KEY_LEN];
	struct ment *e;
	unsigned b;
	int tries;

	for (tries = 0;; tries++) {
		idg_session_key(s->id, key);
		if (lookup(ms, key, now) == NULL)
			break;
		if (tries + 1 >= CREATE_TRIES || idg_session_new_secrets(s) != IDG_OK) {
			log_error("no free session id");
			return IDG_ERR;
		}
	}
	if (ms->count >= MAX_SESSIONS) {
		log_error("memory session store full (%d)", MAX_SESSIONS);
		return IDG_UNAVAILABLE;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return IDG_ERR;
	memcpy(e->key, key, sizeof(e->key));
	store_copy(e, s);
	e->expires_at = write_expiry(ms, s, now);
	b = bucket_of(key);
	e->next = ms->buckets[b];
	ms->buckets[b] = e;
	ms->count++;
	return IDG_OK;
}

static int
mem_get(void *be, const char *id, int idle_s, struct idg_session *out, idg_session_cb *cb,
    void *arg)
{
	struct ms *ms = be;
	int64_t now = idg_session_clock();
	char key[IDG_SESSION_KEY_LEN];
	struct ment *e;

	idg_session_key(id, key);
	if ((e = lookup(ms, key, now)) == NULL)
		return IDG_NOTFOUND;
	/* GETEX EX idle: a read slides the full idle timeout. */
	e->expires_at = now + (idle_s > 0 ? idle_s : ms->idle_s);
	*out = e->s;
	memcpy(out->id, id, sizeof(out->id));
	return IDG_OK;
}

static int
mem_update(void *be, const struct idg_session *s, idg_session_cb *cb, void *arg)
{
	struct ms *ms = be;
	int64_t now = idg_session_clock();
	char key[IDG_SESSION_KEY_LEN];
	struct ment *e;

	idg_session_key(s->id, key);
	if ((e = lookup(ms, key, now)) == NULL)
		return IDG_NOTFOUND;
	store_copy(e, s);
	e->expires_at = write_expiry(ms, s, now);
	return IDG_OK;
}

/* No tenant index here: nothing lists a tenant's sessions in one process. */
static int
mem_destroy(void *be, const char *id, int64_t tenant_id, idg_session_cb *cb, void *arg)
{
	char key[IDG_SESSION_KEY_LEN];

	idg_session_key(id, key);
	remove_key(be, key);
	return IDG_OK;
}

const struct idg_session_ops idg_session_memory_ops = {
	.name = "memory",
	.open = mem_open,
	.close = mem_close,
	.create = mem_create,
	.get = mem_get,
	.update = mem_update,
	.destroy = mem_destroy,
};
