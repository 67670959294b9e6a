/*
 * session.h - sign-in sessions, behind a backend table: "redis" for the
 * gateway, "memory" for unit tests of handlers.
 *
 * A session id is 256 bits from the CSPRNG, base64url (43 chars); it is the
 * cookie value. The backend stores the session under a key derived from
 * SHA-256 of the id, so a copy of the Redis data does not hand out live
 * cookies. Each read slides the idle timeout; a session older than the
 * absolute lifetime is treated as absent and removed.
 *
 * The "redis" backend also keeps an index per tenant (the sorted set of
 * idg_session_index_key) so that every session of a tenant can be found and
 * ended when the tenant is cancelled (idg_session_purge_tenants).
 *
 * Async contract (every operation): returns IDG_PENDING and calls cb exactly
 * once later from the loop; or finishes now, returning the final status
 * (IDG_OK, IDG_NOTFOUND, IDG_UNAVAILABLE, IDG_INVALID ...), filling *out
 * where there is one, and never calls cb. Status IDG_UNAVAILABLE or
 * IDG_TIMEOUT means the backend is down: callers answer 503.
 */
#ifndef IDG_SESSION_H
#define IDG_SESSION_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct idg_redis;
struct idg_redis_config;

#define IDG_SESSION_ID_LEN 43		/* base64url of 32 bytes */

/* Authentication methods done in this session (amr values). */
#define IDG_AMR_PWD	0x01u
#define IDG_AMR_OTP	0x02u
#define IDG_AMR_CERT	0x04u
#define IDG_AMR_FED	0x08u

/* Session flags. */
#define IDG_SESSION_MUST_CHANGE_PASSWORD 0x01u
/* The password is done but a second factor is still owed: only /mfa and sign-out work. */
#define IDG_SESSION_MFA_PENDING 0x02u
/*
 * The password is done but the device check is still owed: only the device
 * check, first-device enrolment and sign-out work.
 */
#define IDG_SESSION_DEVICE_PENDING 0x04u

struct idg_session {
	char		id[IDG_SESSION_ID_LEN + 1];
	char		company_id[33];
	int64_t		tenant_id;
	int64_t		user_id;
	int64_t		created_at;	/* unix seconds */
	int64_t		auth_time;	/* last authentication */
	unsigned	amr;		/* IDG_AMR_* */
	unsigned	flags;		/* IDG_SESSION_* */
	char		csrf[IDG_SESSION_ID_LEN + 1];	/* per-session CSRF secret */
	/* The device certificate that passed the check ("" if none). */
	char		device_serial[33];		/* lower-case hex */
	char		device_name[65];		/* UTF-8 text */
};

struct idg_session_config {
	int	idle_timeout_s;
	int	absolute_lifetime_s;
};

typedef void idg_session_cb(void *arg, int status, const struct idg_session *s);

struct idg_session_store;

/* driver: "redis" (needs r) or "memory" (r ignored). NULL on unknown/ENOMEM. */
struct idg_session_store *idg_session_store_new(const char *driver,
	    const struct idg_session_config *cfg, struct idg_redis *r);
void	idg_session_store_free(struct idg_session_store *ss);

/*
 * Stores a new session. Fills s->id and s->csrf with fresh random values and
 * s->created_at/auth_time with now when they are 0. A session with a tenant
 * goes into that tenant's index in the same round trip; it succeeds only if
 * both writes do, so no session handed out is missing from its index.
 */
int	idg_session_create(struct idg_session_store *ss, struct idg_session *s,
	    idg_session_cb *cb, void *arg);
/* Looks up by cookie value and slides the idle timeout. IDG_NOTFOUND when absent/expired. */
int	idg_session_get(struct idg_session_store *ss, const char *id,
	    struct idg_session *out, idg_session_cb *cb, void *arg);
/*
 * The same, sliding by idle_s (a tenant's own, shorter idle timeout) instead
 * of the store's; idle_s 0 = the store's.
 */
int	idg_session_get_idle(struct idg_session_store *ss, const char *id, int idle_s,
	    struct idg_session *out, idg_session_cb *cb, void *arg);
/* Rewrites an existing session (same id), e.g. after a password change. */
int	idg_session_update(struct idg_session_store *ss, const struct idg_session *s,
	    idg_session_cb *cb, void *arg);
/*
 * Deletes it; IDG_OK even if it was already gone. tenant_id is the session's
 * tenant, whose index entry goes with it (0 = not known: the entry then
 * stays until its expiry trims it, pointing at nothing).
 */
int	idg_session_destroy(struct idg_session_store *ss, const char *id, int64_t tenant_id,
	    idg_session_cb *cb, void *arg);

/*
 * The index of a tenant's sessions: "st:" + decimal tenant id, a Redis
 * sorted set of session keys (idg_session_key) scored by the time after
 * which the session can no longer be read (created_at + absolute lifetime,
 * unix seconds). Each create trims members past that time and sets the
 * set's TTL to the absolute lifetime, so a set never outlives the sessions
 * it names and never grows without bound.
 */
#define IDG_SESSION_INDEX_KEY_LEN 24	/* "st:" + up to 19 digits + NUL */
void	idg_session_index_key(int64_t tenant_id, char out[IDG_SESSION_INDEX_KEY_LEN]);

/*
 * Ends every session of each of the n tenants: deletes the session keys
 * listed in its index (only members shaped like session keys), then the
 * index. Idempotent. Synchronous, on its own blocking connection with the
 * timeouts of cfg: for the CLI and the gateway's pool threads, never for an
 * event loop. IDG_OK with *purged = session keys deleted; IDG_UNAVAILABLE
 * when Redis cannot be reached, refuses the handshake or times out;
 * IDG_ERR for an error reply. why (NULL or whysz bytes) gets the reason.
 */
int	idg_session_purge_tenants(const struct idg_redis_config *cfg,
	    const int64_t *tenant_ids, int n, long *purged, char *why, size_t whysz);

/* Longest encoded session (bytes, NUL excluded). */
#define IDG_SESSION_ENCODED_MAX 383
/*
 * Serialisation used by the backends (exposed for tests and fuzzing).
 * Encodes into out (IDG_SESSION_ENCODED_MAX + 1 bytes are always enough);
 * returns length or -1.
 * Decode returns IDG_OK or IDG_INVALID for anything malformed.
 */
int	idg_session_encode(const struct idg_session *s, char *out, unsigned outsz);
int	idg_session_decode(const char *data, unsigned len, struct idg_session *out);

/*
 * Fixed-window counter in Redis for rate limits: INCR key, and EXPIRE key
 * window_s NX in the same round trip. The callback gets the count after this
 * hit (status IDG_OK), or a failure status. Same async contract as above.
 */
typedef void idg_ratelimit_cb(void *arg, int status, long count);
int	idg_ratelimit_hit(struct idg_redis *r, const char *key, int window_s,
	    idg_ratelimit_cb *cb, void *arg);

#endif
