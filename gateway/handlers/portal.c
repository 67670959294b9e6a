/*
 * portal.c - the signed-in user's portal page and the session JSON
 * endpoint (/t/{id}/session, used by scripts and the benchmark).
 *
 * Both only read: the session from Redis, the user from the directory
 * snapshot. Apps appear here once the SAML and OIDC front ends register
 * them; until then the list is empty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../directory.h"
#include "../http/request.h"
#include "../oidc/oidc.h"
#include "../util/str.h"
#include "../util/buf.h"
#include "../util/status.h"
#include "../web/pages.h"
#include "auth.h"
#include "handlers.h"

#define MAX_APPS 64

/*
 * The apps the user may open: OpenID clients assigned to them that have an
 * initiate-login URI, launched as OIDC Core 4 third-party-initiated login
 * (the URI with iss=<issuer>). SAML apps join here with the SAML front end.
 */
static size_t
portal_apps(struct idg_req *r, struct idg_portal_app *apps, struct idg_buf *urls, size_t max)
{
	const struct idg_oidc_tenant *op = r->tenant->oidc;
	size_t n = 0;
	int i;

	for (i = 0; op != NULL && i < op->nrps && n < max; i++) {
		const struct idg_oidc_rp *rp = &op->rps[i];
		const char *u = rp->c.initiate_login_uri;

		if (u[0] == '\0' || !idg_oidc_rp_user_allowed(rp, r->session.user_id))
			continue;
		idg_buf_init(&urls[n], 2048);
		idg_buf_adds(&urls[n], u);
		idg_buf_adds(&urls[n], strchr(u, '?') != NULL ? "&iss=" : "?iss=");
		idg_url_escape(&urls[n], op->issuer);
		apps[n].name = rp->c.name;
		apps[n].launch_url = urls[n].data != NULL ? urls[n].data : u;
		apps[n].kind = "oidc";
		n++;
	}
	/* SAML apps that allow IdP-initiated SSO: a click sends a Response. */
	for (i = 0; r->tenant->saml != NULL && (size_t)i < r->tenant->saml->napps && n < max;
	    i++) {
		const struct idg_dir_saml_app *a = &r->tenant->saml->apps[i];

		if (!a->idp_initiated || !idg_dir_saml_app_allowed(a, r->session.user_id))
			continue;
		idg_buf_init(&urls[n], 256);
		idg_buf_printf(&urls[n], "/t/%s/apps/%s/launch", r->company_id, a->app_id);
		apps[n].name = a->name;
		apps[n].launch_url = urls[n].data != NULL ? urls[n].data : "/";
		apps[n].kind = "saml";
		n++;
	}
	return n;
}

static void
portal_next(struct idg_req *r, int st)
{
	struct idg_page_ctx pc = { r->lang, r->path, NULL };
	struct idg_portal_app apps[MAX_APPS];
	struct idg_portal_device dev;
	struct idg_buf urls[MAX_APPS];
	size_t napps, i;
	const struct idg_dir_user *u;
	char loc[64];
	struct idg_buf b;

	if (!idg_auth_require(r, st))
		return;
	if (r->session.flags & IDG_SESSION_MUST_CHANGE_PASSWORD) {
		snprintf(loc, sizeof(loc), "/t/%s/password", r->company_id);
		idg_reply_redirect(r, loc);
		return;
	}
	u = idg_directory_user(r->tenant, r->session.user_id);
	napps = portal_apps(r, apps, urls, MAX_APPS);
	dev.name = r->session.device_name;
	dev.serial = r->session.device_serial;
	dev.licensed = u->device_license;
	idg_buf_init(&b, 256 * 1024);
	st = idg_page_portal(&b, &pc, r->company_id, r->tenant->name, u->display_name,
	    u->email, apps, napps, r->session.csrf, &dev);
	for (i = 0; i < napps; i++)
		idg_buf_free(&urls[i]);
	if (st != IDG_OK) {
		idg_buf_free(&b);
		idg_reply_error(r, "internal_error");
		return;
	}
	idg_reply_html(r, 200, &b);
}

void
idg_h_portal(struct idg_req *r)
{
	idg_auth_session(r, portal_next);
}

static void
session_next(struct idg_req *r, int st)
{
	const struct idg_dir_user *u;
	json_t *o, *amr;
	char *s;

	if (st == IDG_UNAVAILABLE) {
		idg_reply_error(r, "session_store_unavailable");
		return;
	}
	if (st != IDG_OK) {
		idg_reply_error(r, "session_required");
		return;
	}
	u = idg_directory_user(r->tenant, r->session.user_id);
	amr = json_array();
	if (r->session.amr & IDG_AMR_PWD)
		json_array_append_new(amr, json_string("pwd"));
	if (r->session.amr & IDG_AMR_OTP)
		json_array_append_new(amr, json_string("otp"));
	if (r->session.amr & IDG_AMR_CERT)
		json_array_append_new(amr, json_string("cert"));
	o = json_pack("{s:s, s:{s:s, s:s}, s:I, s:I, s:o, s:b}",
	    "company_id", r->company_id,
	    "user", "email", u->email, "display_name", u->display_name,
	    "created_at", (json_int_t)r->session.created_at,
	    "auth_time", (json_int_t)r->session.auth_time,
	    "amr", amr,
	    "must_change_password",
	    (r->session.flags & IDG_SESSION_MUST_CHANGE_PASSWORD) != 0);
	s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (s == NULL) {
		idg_reply_error(r, "internal_error");
		return;
	}
	idg_reply(r, 200, "application/json", s, strlen(s));
	free(s);
}

void
idg_h_session_json(struct idg_req *r)
{
	idg_auth_session(r, session_next);
}
