/*
 * router.c - method + path dispatch; see router.h.
 *
 * The table is small and fixed, so matching is a handful of string
 * compares: no regular expressions, no allocation.
 */
#include "router.h"

#include <stdio.h>
#include <string.h>

#include "../handlers/handlers.h"
#include "../oidc/oidc.h"
#include "../util/str.h"
#include "request.h"
#include "server.h"

struct route {
	const char	*path;		/* exact; for tenant routes the part after /t/{id} */
	enum idg_route	 id;
	void		(*get)(struct idg_req *);
	void		(*post)(struct idg_req *);
};

static const struct route global_routes[] = {
	{ "/healthz", IDG_R_HEALTHZ, idg_h_healthz, NULL },
	{ "/readyz", IDG_R_READYZ, idg_h_readyz, NULL },
	{ "/metrics", IDG_R_METRICS, idg_h_metrics, NULL },
	{ "/static/idgate.css", IDG_R_STATIC, idg_h_static_css, NULL },
	{ "/login", IDG_R_LOGIN_GLOBAL, idg_h_login_global, NULL },
	{ "/operator/billing", IDG_R_OPERATOR, idg_h_operator_billing, NULL },
};

static const struct route tenant_routes[] = {
	{ "/login", IDG_R_LOGIN, idg_h_login_form, idg_h_login_submit },
	{ "/portal", IDG_R_PORTAL, idg_h_portal, NULL },
	{ "/session", IDG_R_SESSION, idg_h_session_json, NULL },
	{ "/logout", IDG_R_LOGOUT, NULL, idg_h_logout },
	{ "/password", IDG_R_PASSWORD, idg_h_password_form, idg_h_password_submit },
	{ "/mfa", IDG_R_MFA, idg_h_mfa_form, idg_h_mfa_submit },
	{ "/reports", IDG_R_REPORTS, idg_h_reports, NULL },
	{ "/device", IDG_R_DEVICE_CHECK, idg_h_device_check, NULL },
	{ "/devices", IDG_R_DEVICES, idg_h_devices, idg_h_devices_post },
	{ "/devices/download", IDG_R_DEVICES, idg_h_devices_download, NULL },
};

/* The device-check listener (client certificates) serves these and nothing else. */
static const struct route device_routes[] = {
	{ "/device", IDG_R_DEVICE_CHECK, idg_h_device_check, NULL },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
run(struct idg_req *r, const struct route *rt)
{
	r->route = rt->id;
	if ((r->method == IDG_GET || r->method == IDG_HEAD) && rt->get != NULL)
		rt->get(r);
	else if (r->method == IDG_POST && rt->post != NULL)
		rt->post(r);
	else
		idg_reply_error(r, "method_not_allowed");
}

/*
 * Resolves the company ID that follows prefix in the path. Returns the rest
 * of the path, or NULL after answering (unknown tenant, store not loaded).
 */
static const char *
resolve_tenant(struct idg_req *r, size_t prefix)
{
	const char *cid = r->path + prefix, *slash = strchr(cid, '/');
	size_t n = slash != NULL ? (size_t)(slash - cid) : strlen(cid);

	if (n >= sizeof(r->company_id)) {
		idg_reply_error(r, "tenant_not_found");
		return NULL;
	}
	memcpy(r->company_id, cid, n);
	r->company_id[n] = '\0';
	if (!idg_company_id_valid(r->company_id)) {
		r->company_id[0] = '\0';
		idg_reply_error(r, "tenant_not_found");
		return NULL;
	}
	if (r->dir == NULL) {
		idg_reply_error(r, "store_unavailable");
		return NULL;
	}
	r->tenant = idg_directory_tenant(r->dir, r->company_id);
	if (r->tenant == NULL || r->tenant->status == IDG_TENANT_CANCELLED) {
		r->tenant = NULL;
		idg_reply_error(r, "tenant_not_found");
		return NULL;
	}
	return slash != NULL ? slash : "";
}

static void
tenant_route(struct idg_req *r)
{
	const char *rest = resolve_tenant(r, 3);
	size_t i;

	if (rest == NULL)
		return;
	if (rest[0] == '\0' || strcmp(rest, "/") == 0) {
		char loc[64];
		snprintf(loc, sizeof(loc), "/t/%s/portal", r->company_id);
		idg_reply_redirect(r, loc);
		return;
	}
	if (r->l->cfg->client_certificates) {
		for (i = 0; i < N(device_routes); i++)
			if (strcmp(rest, device_routes[i].path) == 0) {
				run(r, &device_routes[i]);
				return;
			}
		idg_reply_error(r, "not_found");
		return;
	}
	for (i = 0; i < N(tenant_routes); i++)
		if (strcmp(rest, tenant_routes[i].path) == 0) {
			run(r, &tenant_routes[i]);
			return;
		}
	if (strncmp(rest, "/apps/", 6) == 0 && strlen(rest) > 13 &&
	    strcmp(rest + strlen(rest) - 7, "/launch") == 0 && strlen(rest) - 13 < 64 &&
	    (r->method == IDG_GET || r->method == IDG_HEAD)) {
		char app[64];

		snprintf(app, sizeof(app), "%.*s", (int)(strlen(rest) - 13), rest + 6);
		r->route = IDG_R_SAML_LAUNCH;
		idg_h_saml_launch(r, app);
		return;
	}
	if (strncmp(rest, "/reports/", 9) == 0) {
		r->route = IDG_R_REPORTS;
		idg_h_report_file(r, rest + 9);
		return;
	}
	idg_reply_error(r, "not_found");
}

void
idg_route(struct idg_req *r)
{
	size_t i;

	if (strncmp(r->path, "/t/", 3) == 0) {
		tenant_route(r);
		return;
	}
	if (r->l->cfg->client_certificates && strcmp(r->path, "/healthz") != 0 &&
	    strcmp(r->path, "/static/idgate.css") != 0) {
		idg_reply_error(r, "not_found");
		return;
	}
	if (strncmp(r->path, "/certs/", 7) == 0) {
		const char *rest = resolve_tenant(r, 7);
		if (rest != NULL) {
			r->route = IDG_R_CERTS;
			idg_h_certs(r, rest);
		}
		return;
	}
	if (strncmp(r->path, "/saml/", 6) == 0) {
		const char *rest = resolve_tenant(r, 6);
		if (rest != NULL)
			idg_h_saml(r, rest);
		return;
	}
	if (strncmp(r->path, "/oidc/", 6) == 0) {
		const char *rest = resolve_tenant(r, 6);
		if (rest != NULL)
			idg_h_oidc(r, rest);
		return;
	}
	if (strcmp(r->path, "/") == 0) {
		idg_reply_redirect(r, "/login");
		return;
	}
	for (i = 0; i < N(global_routes); i++)
		if (strcmp(r->path, global_routes[i].path) == 0) {
			run(r, &global_routes[i]);
			return;
		}
	idg_reply_error(r, "not_found");
}
