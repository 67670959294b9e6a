/*
 * metrics.h - Prometheus counters shared by the master and all workers.
 *
 * The counters live in one anonymous MAP_SHARED region created by the master
 * before it forks, so /metrics answered by any worker shows the whole
 * gateway; workers update them with relaxed atomic adds (no locks on the
 * request path). Before idg_metrics_init (unit tests, the CLI) updates go to
 * a private region and are harmless. Rendering follows the Prometheus text
 * exposition format 0.0.4.
 */
#ifndef IDG_METRICS_H
#define IDG_METRICS_H

#include <stdint.h>

struct idg_buf;

enum idg_counter {
	IDG_M_SIGNIN_OK,
	IDG_M_SIGNIN_FAILED,
	IDG_M_SIGNIN_LOCKED,
	IDG_M_SIGNIN_RATE_LIMITED,
	IDG_M_REDIS_ERRORS,
	IDG_M_STORE_ERRORS,
	IDG_M_SESSIONS_CREATED,
	IDG_M_DIRECTORY_RELOADS,
	IDG_M__COUNT
};

/* Route ids used as the "route" label; keep in step with route_names in metrics.c. */
enum idg_route {
	IDG_R_OTHER, IDG_R_HEALTHZ, IDG_R_READYZ, IDG_R_METRICS, IDG_R_STATIC,
	IDG_R_LOGIN_GLOBAL, IDG_R_LOGIN, IDG_R_PORTAL, IDG_R_SESSION, IDG_R_LOGOUT,
	IDG_R_PASSWORD, IDG_R_OIDC_DISCOVERY, IDG_R_OIDC_JWKS, IDG_R_OIDC_AUTHORIZE,
	IDG_R_OIDC_TOKEN, IDG_R_OIDC_USERINFO, IDG_R_OIDC_REVOKE, IDG_R_OIDC_INTROSPECT,
	IDG_R_OIDC_END_SESSION, IDG_R_MFA, IDG_R_REPORTS, IDG_R_OPERATOR,
	IDG_R_DEVICE_CHECK, IDG_R_DEVICES, IDG_R_CERTS,
	IDG_R_SAML_METADATA, IDG_R_SAML_SSO, IDG_R_SAML_SLO, IDG_R_SAML_LAUNCH, IDG_R__COUNT
};

#define IDG_MAX_WORKERS 64

/* Creates the shared region; call once in the master before forking. */
int	idg_metrics_init(void);
void	idg_metrics_inc(enum idg_counter c);
/* Records one finished request. */
void	idg_metrics_request(enum idg_route route, int status, uint64_t latency_us);
/* Work-pool queue depth gauge of one worker slot (0..IDG_MAX_WORKERS-1). */
void	idg_metrics_queue_depth(int worker_slot, int depth);
uint64_t idg_metrics_get(enum idg_counter c);
/* Appends the exposition text. */
int	idg_metrics_render(struct idg_buf *b);

#endif
