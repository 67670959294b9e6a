/*
 * policy.h - the access-policy engine: a tenant's rule text is compiled once
 * into an immutable struct idg_policy, and each sign-in or app access is
 * decided by idg_policy_eval() from a context the caller fills (app, client
 * address, time, groups, methods done, device-certificate state). Pure: no
 * I/O, no clock (time comes in the context), no globals; evaluation does not
 * allocate. It is not where the decision is enforced or shown (handlers) nor
 * where rules are stored (the SQL store). The rule language is described in
 * policy/README.md.
 */
#ifndef IDG_POLICY_H
#define IDG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/util/cidr.h"
#include "policy/jpcal.h"

enum idg_policy_action {
	IDG_POLICY_ALLOW,
	IDG_POLICY_DENY,
	IDG_POLICY_REQUIRE_TOTP,
	IDG_POLICY_REQUIRE_CERT,
};

#define IDG_POLICY_AMR_PWD	0x01u	/* same bits as gateway/session/session.h IDG_AMR_* */
#define IDG_POLICY_AMR_OTP	0x02u
#define IDG_POLICY_AMR_CERT	0x04u
#define IDG_POLICY_AMR_FED	0x08u

/* Bounds on untrusted policy text. */
#define IDG_POLICY_MAX_BYTES	(64 * 1024)
#define IDG_POLICY_MAX_RULES	1000
#define IDG_POLICY_MAX_CIDRS	10000	/* over all rules */

/* A compiled policy: immutable; safe to read from many threads at once. */
struct idg_policy;

/*
 * Compiles policy text (len bytes, need not be NUL-terminated). Returns IDG_OK
 * with *out owned by the caller (idg_policy_free), IDG_INVALID with
 * "line N: message" in err (*out NULL), or IDG_ERR when out of memory.
 */
int	idg_policy_parse(const char *text, size_t len, struct idg_policy **out, char *err,
	    size_t errsz);
void	idg_policy_free(struct idg_policy *p);

struct idg_policy_ctx {
	/* client_id / SP entity ID at app access; NULL at sign-in */
	const char		*app;
	const struct idg_ip	*ip;		/* client address, NULL if unknown */
	int64_t			 now;		/* unix seconds (the caller's clock) */
	const char *const	*groups;	/* the user's group names */
	size_t			 ngroups;
	unsigned		 amr;		/* IDG_POLICY_AMR_* methods already done */
	bool			 cert_valid;	/* a valid device certificate was presented */
	const struct idg_jp_overrides *holidays; /* may be NULL */
};

struct idg_policy_decision {
	enum idg_policy_action action;
	const char	*rule;	/* name of the deciding rule, or "default" (borrowed from p) */
	int		 line;	/* its line in the text, 0 for default */
	/*
	 * Stable code: NULL for allow; "ip_not_allowed", "outside_allowed_hours",
	 * "mfa_required", "device_certificate_required", "access_denied", or
	 * the rule's own `reason CODE`. Borrowed from p (or a literal).
	 */
	const char	*reason;
};

/*
 * Decides: the first rule whose conditions all hold decides; a `require totp`
 * rule already satisfied (amr has otp) and a `require cert` rule already
 * satisfied (cert_valid) do not match, so evaluation goes on; rules with an
 * `app` condition never match at sign-in (c->app == NULL). If no rule
 * matches, the `default` line decides (allow unless written otherwise).
 * Never allocates; d stays valid as long as p.
 */
void	idg_policy_eval(const struct idg_policy *p, const struct idg_policy_ctx *c,
	    struct idg_policy_decision *d);

/*
 * Renders p back as canonical policy text (for `policy show`): parsing the
 * result gives a policy with the same decisions. Returns an owned string
 * (free()), or NULL when out of memory.
 */
char	*idg_policy_format(const struct idg_policy *p);

/* Number of rules (not counting the default). */
size_t	idg_policy_rule_count(const struct idg_policy *p);

#endif
