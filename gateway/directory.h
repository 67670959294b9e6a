/*
 * directory.h - the in-memory directory snapshot of one worker: tenants and
 * their users (no password hashes), read on the request path without
 * touching the store.
 *
 * A snapshot is immutable once built. The worker polls the store
 * generation (on the work pool, every directory_refresh_ms) and, when it
 * changed, builds a new snapshot on the pool and swaps it in on the loop.
 * Snapshots are reference-counted: a request takes a reference when it
 * starts and drops it when it replies, so pointers into the snapshot stay
 * valid across its asynchronous steps even if a newer one is swapped in.
 */
#ifndef IDG_DIRECTORY_H
#define IDG_DIRECTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

struct idg_oidc_tenant;
struct idg_policy;
struct idg_ca;
struct idg_saml_sp_conf;

/*
 * The tenant group whose members administer the tenant: they read its
 * reports and, when the tenant allows it, skip the device check (break-glass).
 */
#define IDG_ADMIN_GROUP	"admins"

struct idg_dir_user {
	int64_t	id;
	char	email[255];
	char	display_name[129];
	int	status;			/* enum idg_user_status */
	int	kind;
	int64_t	sessions_not_before;
	char	*groups;		/* group names, '\n'-separated; NULL = none */
	bool	device_license;		/* holds the device-certificate option */
};

/* A SAML app (service provider) of the tenant, as the IdP handlers need it. */
struct idg_dir_saml_app {
	char	app_id[64];
	char	name[129];
	char	entity_id[1025];
	int	nameid_format;		/* enum idg_saml_nameid_format */
	char	nameid_source[64];	/* "email" or "attr:NAME" */
	char	*attributes;		/* "SAML-NAME=SOURCE" lines; NULL = none */
	bool	idp_initiated;
	bool	device_required;
	int64_t	*users;			/* users allowed (directly or by group), sorted */
	size_t	nusers;
};

/* The tenant's SAML IdP: NULL until it has a current signing key. */
struct idg_dir_saml {
	char			*key_pem;	/* current signing key, unsealed (wiped on free) */
	char			*cert_pem;	/* its certificate */
	char			*extra_pem[4];	/* next keys' certificates (metadata only) */
	size_t			 nextra;
	struct idg_saml_sp_conf	*sps;		/* for idg_saml_idp_new, same order as apps */
	struct idg_dir_saml_app	*apps;
	size_t			 napps;
	uint8_t			 persistent_key[32];	/* per-tenant key of persistent NameIDs */
};

struct idg_dir_tenant {
	int64_t			 id;
	char			 company_id[33];
	char			 name[129];
	int			 status;	/* enum idg_tenant_status */
	int			 contracted_ids;
	struct idg_dir_user	*users;		/* sorted by id */
	int			 nusers;
	struct idg_oidc_tenant	*oidc;		/* NULL: no OpenID provider (no keys yet) */
	struct idg_policy	*policy;	/* compiled access policy; NULL = allow */
	struct idg_tenant_security sec;		/* 0 fields: the config's values */
	bool			 mfa_required;	/* TOTP for every user (tenant setting) */
	struct idg_device_settings device;	/* the device-certificate option */
	struct idg_ca		*ca;		/* device CA, certificate only; NULL = none yet */
	char			(*revoked)[33];	/* revoked serials not yet expired, sorted */
	int			 nrevoked;
	struct idg_dir_saml	*saml;		/* SAML IdP; NULL = none (no key yet) */
};

struct idg_directory {
	int			 refs;
	int64_t			 generation;
	struct idg_dir_tenant	*tenants;	/* sorted by company_id */
	int			 ntenants;
};

/*
 * Builds a snapshot from the store (blocking: pool threads only). The master
 * key opens the tenants' sealed signing keys; public_url makes issuers.
 */
int	idg_directory_load(struct idg_store *s, const uint8_t master_key[32],
	    const char *public_url, struct idg_directory **out);
/* Takes / drops a reference (loop thread only). The last drop frees it. */
struct idg_directory *idg_directory_ref(struct idg_directory *d);
void	idg_directory_unref(struct idg_directory *d);
/* Borrowed pointers, valid while the caller holds a reference. */
const struct idg_dir_tenant *idg_directory_tenant(const struct idg_directory *d,
	    const char *company_id);
const struct idg_dir_user *idg_directory_user(const struct idg_dir_tenant *t, int64_t id);
/* Is serial among the tenant's revoked (and not yet expired) device certificates? */
bool	idg_dir_revoked(const struct idg_dir_tenant *t, const char *serial);
/* The tenant's SAML app by app ID or entity ID; NULL if none. */
const struct idg_dir_saml_app *idg_dir_saml_app(const struct idg_dir_tenant *t,
	    const char *app_id, const char *entity_id);
/* May user_id use the app (assigned directly or through a group)? */
bool	idg_dir_saml_app_allowed(const struct idg_dir_saml_app *a, int64_t user_id);
/* Is the user in the group (exact name)? */
bool	idg_dir_user_in_group(const struct idg_dir_user *u, const char *group);

#endif
