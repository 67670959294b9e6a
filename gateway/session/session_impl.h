/*
 * session_impl.h - private to gateway/session: the backend operations table
 * behind session.h, the storage key derivation and the clock hook.
 *
 * Not for callers outside this folder (handlers use session.h). A backend is
 * one file defining a const struct idg_session_ops and one row in the
 * registry of session.c.
 */
#ifndef IDG_SESSION_IMPL_H
#define IDG_SESSION_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "session.h"

/* "s:" + 32 hex chars + NUL */
#define IDG_SESSION_KEY_LEN 35

/*
 * Backend operations. Each has the async contract of session.h. The
 * arguments are checked by the dispatchers in session.c before the backend
 * sees them: ids are well-formed, sessions encodable, cb non-NULL.
 * A backend that completes later writes *s (create) or *out (get) just
 * before calling cb; the caller keeps them valid until then.
 */
struct idg_session_ops {
	const char	*name;
	void		*(*open)(const struct idg_session_config *cfg, struct idg_redis *r);
	void		 (*close)(void *be);
	int		 (*create)(void *be, struct idg_session *s, idg_session_cb *cb,
			    void *arg);
	/* idle_s > 0: slide by this idle timeout instead of the store's. */
	int		 (*get)(void *be, const char *id, int idle_s, struct idg_session *out,
			    idg_session_cb *cb, void *arg);
	int		 (*update)(void *be, const struct idg_session *s, idg_session_cb *cb,
			    void *arg);
	/* tenant_id 0: not known, no index entry to remove. */
	int		 (*destroy)(void *be, const char *id, int64_t tenant_id,
			    idg_session_cb *cb, void *arg);
};

extern const struct idg_session_ops idg_session_redis_ops;
extern const struct idg_session_ops idg_session_memory_ops;

/*
 * Current time in unix seconds. Points at a time(3) wrapper; unit tests
 * set it to a fake clock (and must set it back).
 */
extern int64_t	(*idg_session_clock)(void);

/* True if id has the shape of a session id (43 base64url chars). */
bool	idg_session_id_valid(const char *id);
/* Storage key: "s:" + hex of the first 16 bytes of SHA-256(id). */
void	idg_session_key(const char *id, char key[IDG_SESSION_KEY_LEN]);
/* Fresh random id and CSRF secret into s. IDG_OK or IDG_ERR. */
int	idg_session_new_secrets(struct idg_session *s);

#endif
