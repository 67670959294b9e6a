/*
 * session.c - the session store front of session.h: finds a backend by the
 * driver name from the config and dispatches to its operations table, after
 * checking the arguments once for every backend.
 *
 * Storage, encoding and expiry live elsewhere: session_codec.c (stored form,
 * key, secrets), session_redis.c and session_memory.c (backends).
 */
#include "session_impl.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/util/crypto.h"
#include "gateway/util/log.h"
#include "gateway/util/status.h"

/* Adding a backend: one file with its ops table and one row here. */
static const struct idg_session_ops *const backends[] = {
	&idg_session_redis_ops,
	&idg_session_memory_ops,
};

struct idg_session_store {
	const struct idg_session_ops	*ops;
	void				*be;
};

struct idg_session_store *
idg_session_store_new(const char *driver, const struct idg_session_config *cfg,
    struct idg_redis *r)
{
	struct idg_session_store *ss;
	size_t i;

	if (driver == NULL || cfg == NULL || cfg->idle_timeout_s <= 0 ||
	    cfg->absolute_lifetime_s <= 0) {
		log_error("missing session driver or timeouts");
		return NULL;
	}
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, driver) == 0)
			break;
	if (i == sizeof(backends) / sizeof(backends[0])) {
		log_error("unknown session driver \"%s\"", driver);
		return NULL;
	}
	if ((ss = calloc(1, sizeof(*ss))) == NULL)
		return NULL;
	ss->ops = backends[i];
	if ((ss->be = ss->ops->open(cfg, r)) == NULL) {
		free(ss);
		return NULL;
	}
	return ss;
}

void
idg_session_store_free(struct idg_session_store *ss)
{
	if (ss == NULL)
		return;
	ss->ops->close(ss->be);
	free(ss);
}

int
idg_session_create(struct idg_session_store *ss, struct idg_session *s, idg_session_cb *cb,
    void *arg)
{
	char tmp[IDG_SESSION_ENCODED_MAX + 1];
	int64_t now;

	if (ss == NULL || s == NULL || cb == NULL)
		return IDG_INVALID;
	now = idg_session_clock();
	if (s->created_at == 0)
		s->created_at = now;
	if (s->auth_time == 0)
		s->auth_time = now;
	if (idg_session_new_secrets(s) != IDG_OK) {
		log_error("no random bytes for a session id");
		return IDG_ERR;
	}
	if (idg_session_encode(s, tmp, sizeof(tmp)) < 0) {
		log_error("session not encodable (bad company id, amr or flags)");
		return IDG_INVALID;
	}
	idg_wipe(tmp, sizeof(tmp));
	return ss->ops->create(ss->be, s, cb, arg);
}

int
idg_session_get_idle(struct idg_session_store *ss, const char *id, int idle_s,
    struct idg_session *out, idg_session_cb *cb, void *arg)
{
	if (ss == NULL || out == NULL || cb == NULL || idle_s < 0)
		return IDG_INVALID;
	/* A cookie that cannot be a session id is simply no session. */
	if (!idg_session_id_valid(id))
		return IDG_NOTFOUND;
	return ss->ops->get(ss->be, id, idle_s, out, cb, arg);
}

int
idg_session_get(struct idg_session_store *ss, const char *id, struct idg_session *out,
    idg_session_cb *cb, void *arg)
{
	return idg_session_get_idle(ss, id, 0, out, cb, arg);
}

int
idg_session_update(struct idg_session_store *ss, const struct idg_session *s,
    idg_session_cb *cb, void *arg)
{
	char tmp[IDG_SESSION_ENCODED_MAX + 1];
	int n;

	if (ss == NULL || s == NULL || cb == NULL ||
	    memchr(s->id, '\0', sizeof(s->id)) == NULL || !idg_session_id_valid(s->id))
		return IDG_INVALID;
	n = idg_session_encode(s, tmp, sizeof(tmp));
	idg_wipe(tmp, sizeof(tmp));
	if (n < 0)
		return IDG_INVALID;
	return ss->ops->update(ss->be, s, cb, arg);
}

int
idg_session_destroy(struct idg_session_store *ss, const char *id, int64_t tenant_id,
    idg_session_cb *cb, void *arg)
{
	if (ss == NULL || cb == NULL || !idg_session_id_valid(id) || tenant_id < 0)
		return IDG_INVALID;
	return ss->ops->destroy(ss->be, id, tenant_id, cb, arg);
}
