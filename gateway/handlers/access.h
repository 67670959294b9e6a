/*
 * access.h - the access decision for a user of r's tenant, at sign-in
 * (app NULL) or when opening an app: the tenant's policy (policy/), then the
 * tenant-wide "TOTP for everyone" setting. Decisions that refuse are written
 * to the audit log here, with the deciding rule and reason code.
 */
#ifndef IDG_ACCESS_H
#define IDG_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "../../policy/policy.h"

struct idg_req;
struct idg_dir_user;

/*
 * Decides for user u (may be NULL: a user not yet in the snapshot has no
 * groups) with the methods in amr (IDG_AMR_*). d->reason is a stable code
 * from web/errors.h when the action is not allow. IDG_POLICY_REQUIRE_CERT
 * asks for the device check: from a policy `require cert` rule, the
 * tenant's "device certificates required" switch (users holding the
 * option), or app_requires_device; the tenant's admins skip the last two
 * when the tenant exempts them. It comes before IDG_POLICY_REQUIRE_TOTP.
 */
void	idg_access_decide(struct idg_req *r, const struct idg_dir_user *u, const char *app,
	    bool app_requires_device, unsigned amr, struct idg_policy_decision *d);

#endif
