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

#include "../http/request.h"
#include "../util/buf.h"
#include "../util/status.h"
#include "../web/pages.h"
#include "auth.h"
#include "handlers.h"

static void
portal_next(struct idg_req *r, int st)
{
	struct idg_page_ctx pc = { r->lang, r->path, NULL };
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
	idg_buf_init(&b, 256 * 1024);
	if (idg_page_portal(&b, &pc, r->company_id, r->tenant->name, u->display_name,
	    u->email, NULL, 0, r->session.csrf) != IDG_OK) {
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
