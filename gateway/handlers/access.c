/*
 * access.c - access decisions from the tenant policy; see access.h.
 */
#include "access.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../http/request.h"
#include "../directory.h"
#include "../http/server.h"
#include "../util/cidr.h"
#include "../util/clock.h"
#include "../util/status.h"
#include "auth.h"

#define MAX_GROUPS 64

/*
 * Must this user pass the device check (tenant switch, or an app that
 * requires it)? The tenant's admins are exempt when the tenant says so
 * (break-glass: enabling enforcement cannot lock the tenant out).
 */
static bool
device_needed(const struct idg_dir_tenant *t, const struct idg_dir_user *u,
    bool app_requires_device)
{
	if (u == NULL)
		return false;
	if (t->device.exempt_admins && idg_dir_user_in_group(u, IDG_ADMIN_GROUP))
		return false;
	return app_requires_device || (t->device.required && u->device_license);
}

void
idg_access_decide(struct idg_req *r, const struct idg_dir_user *u, const char *app,
    bool app_requires_device, unsigned amr, struct idg_policy_decision *d)
{
	const char *groups[MAX_GROUPS];
	char gbuf[4096];
	struct idg_policy_ctx c;
	struct idg_ip ip;
	size_t ng = 0;

	memset(&c, 0, sizeof(c));
	memset(d, 0, sizeof(*d));
	d->action = IDG_POLICY_ALLOW;
	d->rule = "default";
	if (u != NULL && u->groups != NULL && strlen(u->groups) < sizeof(gbuf)) {
		char *p = gbuf;

		memcpy(gbuf, u->groups, strlen(u->groups) + 1);
		while (p != NULL && *p != '\0' && ng < MAX_GROUPS) {
			char *nl = strchr(p, '\n');
			if (nl != NULL)
				*nl = '\0';
			groups[ng++] = p;
			p = nl != NULL ? nl + 1 : NULL;
		}
	}
	c.app = app;
	c.ip = idg_ip_parse(r->client_ip, &ip) == IDG_OK ? &ip : NULL;
	c.now = idg_now();
	c.groups = groups;
	c.ngroups = ng;
	/* The session's bits and the policy's are the same by design. */
	c.amr = amr;
	c.cert_valid = (amr & IDG_AMR_CERT) != 0;
	c.holidays = r->w->holidays;
	if (r->tenant->policy != NULL)
		idg_policy_eval(r->tenant->policy, &c, d);
	/* The device check comes before a second factor; it is a step, not a refusal. */
	if ((d->action == IDG_POLICY_ALLOW || d->action == IDG_POLICY_REQUIRE_TOTP) &&
	    !(amr & IDG_AMR_CERT) && device_needed(r->tenant, u, app_requires_device)) {
		d->action = IDG_POLICY_REQUIRE_CERT;
		d->rule = app_requires_device ? "app setting" : "tenant setting";
		d->line = 0;
		d->reason = "device_certificate_required";
		return;
	}
	/* The tenant-wide setting: TOTP for everyone, once nothing refused. */
	if (d->action == IDG_POLICY_ALLOW && r->tenant->mfa_required && !(amr & IDG_AMR_OTP)) {
		d->action = IDG_POLICY_REQUIRE_TOTP;
		d->rule = "tenant setting";
		d->line = 0;
		d->reason = "mfa_required";
	}
	if (d->action == IDG_POLICY_DENY) {
		char what[200];

		snprintf(what, sizeof(what), "%s (rule %s)", d->reason != NULL ? d->reason :
		    "access_denied", d->rule != NULL ? d->rule : "?");
		idg_audit_async(r, r->tenant->id, u != NULL ? u->email : "-",
		    app != NULL ? "access.app" : "access.signin", app != NULL ? app : "",
		    what);
	}
}
