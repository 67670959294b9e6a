/*
 * store.h - the durable store: tenants, users, groups, audit log, the
 * tenant's OpenID provider (signing keys, clients, client assignments),
 * users' second factor (TOTP, recovery codes), tenants' access policy and
 * tenants' security settings (password rules, session limits, suspension of
 * unused accounts).
 *
 * A backend is a const table of operations (struct idg_store_ops) found by
 * the name written in the config ("sqlite" now, "postgresql" later) plus an
 * opaque instance. Operations are shaped by the domain, not generic; there is
 * no SQL above this interface.
 *
 * Threading: an instance is used by one thread at a time. The gateway opens
 * one instance per work-pool thread (and one for the loop's generation poll,
 * which also runs on the pool); the CLI opens one. Every call blocks, so the
 * event loop never calls the store directly: it submits work to the pool.
 *
 * Rules enforced here, atomically with the write (one transaction):
 *  - the licensed ID pool (DESIGN.md "Service rules"): person users whose
 *    status is active or suspended hold a license; creating or reactivating
 *    beyond contracted_ids is refused with IDG_DECLINED and the numbers in
 *    *lic; service accounts never count;
 *  - contracted_ids >= IDG_CONTRACT_MIN, and never below current use;
 *  - a cancelled tenant's pool is closed: adding, importing or reactivating
 *    users and changing the contract read it as not found (IDG_NOTFOUND);
 *  - every write bumps the store generation so running workers reload their
 *    directory snapshot, except sign-in bookkeeping (failed_attempts,
 *    last_sign_in_at, locked_until, the TOTP last_step, recovery code use),
 *    password hashes and unconfirmed TOTP secrets, which the snapshot does
 *    not hold (so guessing passwords or codes cannot force rebuilds);
 *  - a TOTP time step and a recovery code are each accepted once.
 *
 * Strings in the structs below are NUL-terminated and truncated to their
 * array size; e-mail addresses are stored and compared lower-cased.
 */
#ifndef IDG_STORE_H
#define IDG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/license.h"

enum idg_user_status {
	IDG_USER_ACTIVE = 0,
	IDG_USER_SUSPENDED = 1,
	IDG_USER_DELETED = 2,
};

enum idg_user_kind {
	IDG_USER_PERSON = 0,		/* a tenant user; holds a license */
	IDG_USER_SERVICE_SETUP = 1,	/* provider set-up account; never counted */
	IDG_USER_SERVICE_REPORT = 2,	/* provider report account; never counted */
};

enum idg_tenant_status {
	IDG_TENANT_SETUP = 0,		/* created, set-up not complete */
	IDG_TENANT_ACTIVE = 1,
	IDG_TENANT_CANCELLED = 2,
};

struct idg_tenant {
	int64_t	id;
	char	company_id[33];
	char	name[129];
	int	contracted_ids;
	int	licenses_in_use;	/* person users active or suspended */
	int	status;			/* enum idg_tenant_status */
	int64_t	created_at;		/* unix seconds */
	int64_t	setup_completed_at;	/* 0 until complete-setup */
	int64_t	cancelled_at;		/* 0 unless cancelled */
};

struct idg_user {
	int64_t	id;
	int64_t	tenant_id;
	char	email[255];
	char	display_name[129];
	int	status;			/* enum idg_user_status */
	int	kind;			/* enum idg_user_kind */
	char	password_hash[192];	/* argon2id encoded form; "" = none */
	bool	must_change_password;	/* temporary password: change at next sign-in */
	int	failed_attempts;
	int64_t	locked_until;		/* unix seconds; 0 = not locked */
	int64_t	last_sign_in_at;
	int64_t	sessions_not_before;	/* sessions created in or before this second are void */
	int64_t	created_at;
	int64_t	password_changed_at;	/* last write of password_hash; 0 = never set */
	bool	device_license;		/* holds the device-certificate option (0009) */
};

struct idg_group {
	int64_t	id;
	int64_t	tenant_id;
	char	name[129];
	int	members;
};

struct idg_audit_event {
	int64_t		at;		/* unix seconds; 0 = now */
	int64_t		tenant_id;	/* 0 = provider-level event */
	const char	*actor;		/* "cli", "user:<email>", "operator", ... */
	const char	*action;	/* "user.add", "signin", "tenant.create", ... */
	const char	*target;	/* e-mail, company ID, ...; may be NULL */
	const char	*result;	/* "ok" or a stable error code */
	const char	*ip;		/* client address; may be NULL */
	const char	*detail;	/* free text, no secrets; may be NULL */
	/*
	 * Non-zero: the event is a user's sign-in or SSO, and the same
	 * transaction marks this user active for the Asia/Tokyo month of `at`
	 * (idempotent), so the audit log and the active-ID count never disagree.
	 * A service account's event is written but marks nothing (see
	 * idg_store_activity_mark).
	 */
	int64_t		active_user_id;
};

/* One row of a bulk import (see idg_store_user_import). */
struct idg_user_row {
	char	email[255];
	char	display_name[129];
	char	password_hash[192];	/* "" = no password yet */
	bool	must_change_password;
	int	line;			/* source line, for error messages */
};

struct idg_store_config {
	const char	*driver;	/* "sqlite" */
	const char	*sqlite_path;
	int		 busy_timeout_ms;
};

/*
 * A signing key of the tenant's OpenID provider. Per (tenant, use, alg)
 * there is at most one current key (enforced by the schema); next and
 * retired keys are published in the JWKS too, so relying parties know the
 * next key before it signs and still verify tokens of a retired one.
 */
enum idg_key_status {
	IDG_KEY_NEXT = 0,		/* published, not yet signing */
	IDG_KEY_CURRENT = 1,		/* signs new tokens */
	IDG_KEY_RETIRED = 2,		/* published until purged */
};

struct idg_signing_key {
	int64_t	id;
	int64_t	tenant_id;
	char	use[8];			/* "oidc" */
	char	alg[8];			/* "RS256" or "ES256" */
	char	kid[64];		/* RFC 7638 thumbprint */
	char	sealed[4096];		/* private key sealed under the master key */
	char	public_jwk[2048];	/* compact JSON (oidc) or the certificate PEM (saml) */
	int	status;			/* enum idg_key_status */
	int64_t	created_at;
	int64_t	activated_at;		/* 0 until current */
	int64_t	retired_at;		/* 0 until retired */
};

/* Defaults of a client's fields left empty/zero in idg_store_oidc_client_add. */
#define IDG_OIDC_DEFAULT_SCOPES		"openid profile email groups offline_access"
#define IDG_OIDC_DEFAULT_GRANTS		"authorization_code refresh_token"
#define IDG_OIDC_DEFAULT_ALG		"RS256"
#define IDG_OIDC_DEFAULT_ACCESS_TTL_S	600
#define IDG_OIDC_DEFAULT_ID_TTL_S	600
#define IDG_OIDC_DEFAULT_REFRESH_TTL_S	2592000

/* A registered relying party of the tenant's OpenID provider. */
struct idg_oidc_client {
	int64_t	id;
	int64_t	tenant_id;
	char	client_id[64];		/* unique per tenant */
	char	name[129];
	bool	confidential;		/* has a secret; false = public (PKCE only) */
	char	secret_hash[65];	/* hex SHA-256 of the secret; "" if public */
	char	redirect_uris[2048];	/* separated by '\n', matched exactly */
	char	post_logout_uris[2048];	/* separated by '\n' */
	char	scopes[256];		/* allowed scopes, separated by ' ' */
	char	grant_types[128];	/* separated by ' ' */
	char	id_token_alg[8];	/* "RS256" or "ES256" */
	bool	pairwise;		/* pairwise subject identifiers (OIDC Core 8) */
	char	initiate_login_uri[512];	/* "" = none */
	int	access_token_ttl_s;
	int	id_token_ttl_s;
	int	refresh_token_ttl_s;
	bool	resource_server;	/* may call introspection (RFC 7662) */
	bool	device_required;	/* sign-in to it needs the device check (0009) */
	int64_t	created_at;
};

/*
 * A user's TOTP second factor. The secret is sealed under the master key by
 * the caller (gateway/util/seal.h); the store never sees it in clear.
 */
struct idg_user_mfa {
	int64_t	user_id;
	char	totp_sealed[256];	/* sealed secret text */
	bool	confirmed;		/* the user entered a valid code once */
	int64_t	last_step;		/* last RFC 6238 time step accepted; 0 = none */
	int	recovery_left;		/* unused recovery codes */
	int64_t	updated_at;
};

/*
 * A tenant's security settings. Zero means "the config's value" for
 * password_min_length, session_idle_s and session_lifetime_s, and "never"
 * for password_expiry_days and suspend_unused_days.
 */
struct idg_tenant_security {
	int	password_min_length;	/* 0, or 8..128 */
	int	password_expiry_days;	/* 0..3650 */
	int	suspend_unused_days;	/* 0..3650 */
	int	session_idle_s;		/* 0, or 60..2592000 (30 days) */
	int	session_lifetime_s;	/* 0, or 60..7776000 (90 days) */
};
/* The ranges above: each field is 0 or within [MIN, MAX]. */
#define IDG_SEC_PW_MIN_LENGTH_MIN	8
#define IDG_SEC_PW_MIN_LENGTH_MAX	128
#define IDG_SEC_DAYS_MIN		1
#define IDG_SEC_DAYS_MAX		3650
#define IDG_SEC_SESSION_MIN_S		60
#define IDG_SEC_SESSION_IDLE_MAX_S	2592000
#define IDG_SEC_SESSION_LIFETIME_MAX_S	7776000

/* Longest policy text idg_store_policy_set accepts (bytes). */
#define IDG_POLICY_TEXT_MAX	(256 * 1024)
/* Most recovery code hashes idg_store_mfa_confirm accepts. */
#define IDG_MFA_MAX_RECOVERY	32

/* Called once per row by the list operations; return non-zero to stop. */
typedef int idg_tenant_each_fn(void *arg, const struct idg_tenant *t);
typedef int idg_user_each_fn(void *arg, const struct idg_user *u);
typedef int idg_group_each_fn(void *arg, const struct idg_group *g);
typedef int idg_audit_each_fn(void *arg, const struct idg_audit_event *e);
typedef int idg_key_each_fn(void *arg, const struct idg_signing_key *k);
typedef int idg_oidc_client_each_fn(void *arg, const struct idg_oidc_client *c);
/* One allowed (client, user) pair; see idg_store_oidc_client_users. */
typedef int idg_client_user_each_fn(void *arg, const char *client_id, int64_t user_id);
/* One assignment of a client: kind "user" (who = e-mail) or "group" (who = name). */
typedef int idg_client_assignment_each_fn(void *arg, const char *kind, const char *who);

struct idg_store;

/*
 * Opens an instance of the backend named by cfg->driver. Returns IDG_OK and
 * an owned *out, IDG_NOTFOUND for an unknown driver, IDG_UNAVAILABLE when the
 * database cannot be opened (logged). Does not migrate.
 */
int	idg_store_open(const struct idg_store_config *cfg, struct idg_store **out);
void	idg_store_free(struct idg_store *s);
/* Names of the compiled-in backends, NULL-terminated (for check-config). */
const char *const *idg_store_drivers(void);

/*
 * Applies every migration (embedded from conf/migrations at build time)
 * not yet applied, in version order, each in its own transaction.
 * *applied gets how many ran (may be NULL). IDG_ERR on a failed migration
 * (nothing of that one is kept), IDG_UNAVAILABLE if the file is unwritable.
 */
int	idg_store_migrate(struct idg_store *s, int *applied);
/* Highest applied migration version and the newest known to the binary. */
int	idg_store_schema_version(struct idg_store *s, int *current, int *latest);
/* A cheap read proving the store answers (for /readyz). */
int	idg_store_ping(struct idg_store *s);
/* Monotonic counter bumped by writes to the directory and the OP tables (see above). */
int	idg_store_generation(struct idg_store *s, int64_t *gen);

/* Tenants. */
/*
 * Creates the tenant (status setup) and its two service accounts (kind
 * SERVICE_SETUP with e-mail "setup@<company_id>.idgate.invalid" and
 * SERVICE_REPORT with "report@<company_id>.idgate.invalid"), whose password
 * hashes are given. IDG_EXISTS if the company ID is taken; IDG_INVALID if
 * contracted_ids < IDG_CONTRACT_MIN, the company ID is malformed or the name
 * is not UTF-8 text (idg_utf8_text_valid).
 */
int	idg_store_tenant_create(struct idg_store *s, const char *company_id,
	    const char *name, int contracted_ids, const char *setup_pw_hash,
	    const char *report_pw_hash, struct idg_tenant *out);
int	idg_store_tenant_get(struct idg_store *s, const char *company_id,
	    struct idg_tenant *out);
int	idg_store_tenant_list(struct idg_store *s, idg_tenant_each_fn *fn, void *arg);
/*
 * As idg_store_tenant_list but with licenses_in_use left 0: one pass over
 * the tenants, for callers that do not need the count (billing export, the
 * daily report job), which costs a walk of every tenant's users.
 */
int	idg_store_tenant_list_brief(struct idg_store *s, idg_tenant_each_fn *fn, void *arg);
/*
 * Changes the contract. IDG_INVALID if n < IDG_CONTRACT_MIN; IDG_DECLINED
 * if n < licenses in use (lic filled: contracted = old, in_use, requested = n).
 */
int	idg_store_tenant_set_contract(struct idg_store *s, const char *company_id,
	    int n, struct idg_license_numbers *lic);
/* Marks set-up complete: status active, the set-up service account suspended. */
int	idg_store_tenant_complete_setup(struct idg_store *s, const char *company_id);

/*
 * The tenant's apps, for cancellation (which is refused while any is
 * left): fn(arg, kind, id) with kind "oidc" (client_id), ordered by id.
 */
typedef int idg_app_each_fn(void *arg, const char *kind, const char *id);
int	idg_store_tenant_apps(struct idg_store *s, int64_t tenant_id, idg_app_each_fn *fn,
	    void *arg);
/*
 * Cancels the tenant and purges its data in one transaction: users (and
 * with them group memberships, second factors and assignments), groups,
 * OIDC clients, signing keys, policy and security settings. The tenant row
 * stays with status cancelled and cancelled_at = now, as do its billing
 * rows (monthly_active, license_daily), its reports and the audit log.
 * The caller checks apps and produces the final report first.
 * IDG_NOTFOUND for an unknown tenant; IDG_DECLINED if already cancelled.
 */
int	idg_store_tenant_cancel(struct idg_store *s, const char *company_id, int64_t now);

/* Monthly reports as generated and kept. */
struct idg_report_meta {
	int64_t	tenant_id;
	char	month[8];		/* "YYYY-MM": the report's month */
	char	from_day[11];		/* first day covered */
	char	to_day[11];		/* last day covered */
	char	due[11];
	bool	final;			/* the cancelled tenant's last report */
	int64_t	generated_at;
};
typedef int idg_report_each_fn(void *arg, const struct idg_report_meta *m);
/*
 * Keeps a report (the three renderings, each a byte string). IDG_EXISTS if
 * the tenant already has one for that month (reports are never replaced).
 */
int	idg_store_report_put(struct idg_store *s, const struct idg_report_meta *m,
	    const char *html, size_t html_len, const char *csv, size_t csv_len,
	    const char *json, size_t json_len);
/*
 * One rendering ("html", "csv" or "json") of a kept report: *data owned by
 * the caller (free(); NUL-terminated), *len its length. IDG_NOTFOUND when
 * there is none; IDG_INVALID for another format.
 */
int	idg_store_report_get(struct idg_store *s, int64_t tenant_id, const char *month,
	    const char *format, struct idg_report_meta *meta, char **data, size_t *len);
/* The tenant's reports (tenant_id 0 = every tenant), by tenant then month. */
int	idg_store_report_list(struct idg_store *s, int64_t tenant_id, idg_report_each_fn *fn,
	    void *arg);

/*
 * Daily jobs shared by every process on the store: idg_store_job_due says
 * whether the job `name` has not yet completed on day ("YYYY-MM-DD");
 * idg_store_job_done records that it has. Jobs are idempotent, so two
 * processes running one at the same time do no harm.
 */
int	idg_store_job_due(struct idg_store *s, const char *name, const char *day, bool *due);
int	idg_store_job_done(struct idg_store *s, const char *name, const char *day);

/* Users. tenant_id is the numeric id from struct idg_tenant. */
/*
 * Adds a person user (status active). IDG_EXISTS for a taken e-mail,
 * IDG_DECLINED when the pool is full (lic filled), IDG_INVALID for a
 * malformed e-mail.
 */
int	idg_store_user_add(struct idg_store *s, int64_t tenant_id, const char *email,
	    const char *display_name, const char *password_hash,
	    bool must_change_password, struct idg_license_numbers *lic,
	    struct idg_user *out);
int	idg_store_user_get_by_email(struct idg_store *s, int64_t tenant_id,
	    const char *email, struct idg_user *out);
int	idg_store_user_get(struct idg_store *s, int64_t tenant_id, int64_t user_id,
	    struct idg_user *out);
/* Every user of the tenant including deleted ones, ordered by id. */
int	idg_store_user_list(struct idg_store *s, int64_t tenant_id,
	    idg_user_each_fn *fn, void *arg);
/*
 * Changes status. Reactivating a deleted user needs a free license
 * (IDG_DECLINED, lic filled). Suspending or deleting sets
 * sessions_not_before = now so every session of the user ends.
 */
int	idg_store_user_set_status(struct idg_store *s, int64_t tenant_id,
	    int64_t user_id, enum idg_user_status st, struct idg_license_numbers *lic);
/*
 * Sets the hash; must_change marks it temporary. Clears lock and failures,
 * and ends every session of the user (sessions_not_before = now): after a
 * change or an admin reset no older cookie works.
 */
int	idg_store_user_set_password(struct idg_store *s, int64_t tenant_id,
	    int64_t user_id, const char *password_hash, bool must_change);
int	idg_store_user_unlock(struct idg_store *s, int64_t tenant_id, int64_t user_id);
/*
 * Records a sign-in attempt atomically. ok: failures reset, last_sign_in_at
 * = now. Not ok: failed_attempts++, and when it reaches max_failures the
 * account is locked until now + lockout_s (failures then reset).
 * *locked_until (may be NULL) gets the resulting lock time. IDG_DECLINED,
 * with nothing recorded, when the account is locked at `now` (checked inside
 * the transaction, so racing attempts cannot get past a fresh lock).
 */
int	idg_store_user_record_signin(struct idg_store *s, int64_t tenant_id,
	    int64_t user_id, bool ok, int64_t now, int max_failures, int lockout_s,
	    int64_t *locked_until);
/*
 * Adds all rows in one transaction, or none: IDG_EXISTS / IDG_DECLINED
 * (pool) / IDG_INVALID with *bad_line set to the first failing row's line.
 * With skip_existing, rows whose e-mail exists are left alone and counted in
 * *skipped instead of failing.
 */
int	idg_store_user_import(struct idg_store *s, int64_t tenant_id,
	    const struct idg_user_row *rows, int nrows, bool skip_existing,
	    struct idg_license_numbers *lic, int *bad_line, int *added, int *skipped);

/* Groups. */
int	idg_store_group_add(struct idg_store *s, int64_t tenant_id, const char *name,
	    struct idg_group *out);
/* IDG_NOTFOUND if the group or the user does not exist; IDG_EXISTS if already a member. */
int	idg_store_group_add_member(struct idg_store *s, int64_t tenant_id,
	    const char *group, const char *email);
int	idg_store_group_list(struct idg_store *s, int64_t tenant_id,
	    idg_group_each_fn *fn, void *arg);
/* Names of the groups user_id belongs to. */
int	idg_store_user_groups(struct idg_store *s, int64_t tenant_id, int64_t user_id,
	    idg_group_each_fn *fn, void *arg);

/* Active IDs (billing). month is "YYYY-MM" in Asia/Tokyo time. */
/*
 * Records that user_id was active in month (first time only: idempotent).
 * *first (may be NULL) says whether this call was the first. Only a person
 * user of the tenant is recorded: for a service account (kind != 0), or a
 * user_id that is not the tenant's, nothing is written (IDG_OK, *first
 * false), since they never count as active IDs.
 */
int	idg_store_activity_mark(struct idg_store *s, int64_t tenant_id, int64_t user_id,
	    const char *month, int64_t at, bool *first);
int	idg_store_activity_count(struct idg_store *s, int64_t tenant_id, const char *month,
	    int *n);

/*
 * Users first active per Asia/Tokyo day of month: fn(arg, "YYYY-MM-DD", n)
 * in day order (the report's active-ID curve).
 */
typedef int idg_day_count_fn(void *arg, const char *day, int n);
int	idg_store_activity_days(struct idg_store *s, int64_t tenant_id, const char *month,
	    idg_day_count_fn *fn, void *arg);

/*
 * Licenses per tenant per Asia/Tokyo day (billing). Every operation that
 * changes a tenant's pool (tenant create, contract change, user add,
 * import, status change) updates the day's row in its own
 * transaction, so the peak of a day is exact; a day without a row carries
 * the previous row.
 */
struct idg_license_day {
	char	day[11];		/* "YYYY-MM-DD" */
	int	contracted_ids;		/* at the end of the day */
	int	in_use_peak;		/* most licenses held at once during the day */
	int	in_use_end;		/* at the end of the day (or now) */
	int	device_licensed;	/* device-certificate option */
	int	device_users;
};
typedef int idg_license_day_each_fn(void *arg, const struct idg_license_day *d);
/* Writes today's row (JST day of now) for every tenant not cancelled; *n gets how many. */
int	idg_store_license_snapshot(struct idg_store *s, int64_t now, int *n);
/*
 * The tenant's rows with from_day <= day <= to_day in day order, preceded
 * by the last row before from_day when there is one (the figures carried
 * into the period).
 */
int	idg_store_license_days(struct idg_store *s, int64_t tenant_id, const char *from_day,
	    const char *to_day, idg_license_day_each_fn *fn, void *arg);

/* Audit log. */
int	idg_store_audit_append(struct idg_store *s, const struct idg_audit_event *e);
/*
 * Appends e[0..n) in one transaction, with the effect of n calls of
 * idg_store_audit_append in that order (each event's at, 0 = now, and its
 * active_user_id mark): all are written, or none. Returns IDG_OK (also for
 * n = 0, which writes nothing), IDG_INVALID when n < 0 or an event lacks
 * actor, action or result (nothing is written), or the failure of the
 * transaction (nothing is written; a caller may then retry one by one to
 * keep the good events).
 */
int	idg_store_audit_append_many(struct idg_store *s, const struct idg_audit_event *e, int n);
/*
 * Audit events of the tenant with from <= at < to, counted per Asia/Tokyo
 * day, action, result and, for "sso.*" actions only, target (the app):
 * fn(arg, day, action, result, target or NULL, count), ordered by those.
 */
typedef int idg_audit_count_fn(void *arg, const char *day, const char *action,
    const char *result, const char *target, int count);
int	idg_store_audit_counts(struct idg_store *s, int64_t tenant_id, int64_t from, int64_t to,
	    idg_audit_count_fn *fn, void *arg);
/* Deletes audit events with at < before (log retention); *n gets how many. */
int	idg_store_audit_purge(struct idg_store *s, int64_t before, int *n);
/* Newest first, at most limit rows; tenant_id 0 = all tenants. */
int	idg_store_audit_list(struct idg_store *s, int64_t tenant_id, int limit,
	    idg_audit_each_fn *fn, void *arg);

/* OpenID provider: signing keys. use is "oidc" for the OP's keys. */
/*
 * Adds a key with the status k->status (next, or current when the tenant
 * has none yet for that use and alg). Fills k->id and k->created_at (and
 * k->activated_at for a current key left at 0). IDG_EXISTS for a taken kid
 * or a second current key; IDG_INVALID for an unknown alg/status or a field
 * that does not fit its array; IDG_NOTFOUND for an unknown tenant.
 */
int	idg_store_key_add(struct idg_store *s, struct idg_signing_key *k);
/* The tenant's keys of use (NULL = every use), ordered by id. */
int	idg_store_key_list(struct idg_store *s, int64_t tenant_id, const char *use,
	    idg_key_each_fn *fn, void *arg);
/*
 * Rotation step for one alg, in one transaction: the next key (the oldest
 * one if there are several) becomes current (activated_at = now), the old
 * current one, if any, becomes retired (retired_at = now). IDG_NOTFOUND if
 * there is no next key (nothing changes).
 */
int	idg_store_key_promote(struct idg_store *s, int64_t tenant_id, const char *use,
	    const char *alg);
/* Deletes retired keys with retired_at < before (they leave the JWKS); count in *n. */
int	idg_store_key_purge_retired(struct idg_store *s, int64_t tenant_id, int64_t before,
	    int *n);

/* OpenID provider: clients. */
/*
 * Adds a client. Empty scopes/grant_types/id_token_alg and zero TTLs get
 * the IDG_OIDC_DEFAULT_* values, written back into *c; fills c->id and
 * c->created_at. IDG_EXISTS for a client_id taken in the tenant;
 * IDG_INVALID for an empty client_id or name, a confidential client
 * without a 64-hex-digit secret_hash or a public one with a hash, an alg
 * other than RS256/ES256, a negative TTL or an unterminated field;
 * IDG_NOTFOUND for an unknown tenant. URIs are checked by the caller.
 */
int	idg_store_oidc_client_add(struct idg_store *s, struct idg_oidc_client *c);
int	idg_store_oidc_client_get(struct idg_store *s, int64_t tenant_id,
	    const char *client_id, struct idg_oidc_client *out);
/* Ordered by client_id. */
int	idg_store_oidc_client_list(struct idg_store *s, int64_t tenant_id,
	    idg_oidc_client_each_fn *fn, void *arg);
/* Deletes the client and its assignments. IDG_NOTFOUND if there is none. */
int	idg_store_oidc_client_delete(struct idg_store *s, int64_t tenant_id,
	    const char *client_id);
/*
 * Replaces the secret hash of a confidential client. IDG_NOTFOUND for an
 * unknown client; IDG_DECLINED for a public client; IDG_INVALID for a hash
 * that is not 64 hex digits.
 */
int	idg_store_oidc_client_set_secret(struct idg_store *s, int64_t tenant_id,
	    const char *client_id, const char *secret_hash);
/*
 * Lets a user (kind "user", who = e-mail, not deleted) or every member of a
 * group (kind "group", who = group name) use the client. IDG_NOTFOUND when
 * the client, user or group does not exist; IDG_EXISTS if already assigned;
 * IDG_INVALID for another kind.
 */
int	idg_store_oidc_client_assign(struct idg_store *s, int64_t tenant_id,
	    const char *client_id, const char *kind, const char *who);
/* The assignments of one client, users first, then groups, by name. */
int	idg_store_oidc_client_assignments(struct idg_store *s, int64_t tenant_id,
	    const char *client_id, idg_client_assignment_each_fn *fn, void *arg);
/*
 * Every (client_id, user_id) pair allowed in the tenant: direct user
 * assignments plus group assignments expanded to the group's members, each
 * pair once, ordered by client_id then user_id; deleted users are left
 * out. For the gateway's in-memory snapshot.
 */
int	idg_store_oidc_client_users(struct idg_store *s, int64_t tenant_id,
	    idg_client_user_each_fn *fn, void *arg);

/* Second factor (TOTP). user_id must belong to tenant_id, else IDG_NOTFOUND. */
/* The user's TOTP state. IDG_NOTFOUND when the user has none (or is not in the tenant). */
int	idg_store_mfa_get(struct idg_store *s, int64_t tenant_id, int64_t user_id,
	    struct idg_user_mfa *out);
/*
 * Stores a new unconfirmed sealed secret (enrolment start), replacing an
 * unconfirmed one. IDG_EXISTS if the user has a confirmed secret (reset it
 * first); IDG_INVALID for an empty or too long (>= 256) text; IDG_NOTFOUND
 * for a user not in the tenant. Does not bump the generation.
 */
int	idg_store_mfa_begin(struct idg_store *s, int64_t tenant_id, int64_t user_id,
	    const char *totp_sealed);
/*
 * Ends enrolment in one transaction: confirmed = 1, last_step = step (the
 * step of the code the user just entered, so it cannot be replayed), and
 * the recovery code hashes (64 lower-case hex digits each, at most
 * IDG_MFA_MAX_RECOVERY) replace any earlier ones. IDG_NOTFOUND without a
 * pending secret; IDG_EXISTS when already confirmed; IDG_INVALID for a bad
 * hash or count. Bumps the generation.
 */
int	idg_store_mfa_confirm(struct idg_store *s, int64_t tenant_id, int64_t user_id,
	    int64_t step, const char hashes[][65], int nhashes);
/*
 * Records the use of a time step atomically (one conditional UPDATE): IDG_OK
 * if step > last_step (last_step = step), IDG_DECLINED if replayed (step <=
 * last_step), IDG_NOTFOUND if the user has no secret. It does not check
 * `confirmed`: the caller has read the state and refuses unconfirmed
 * secrets at sign-in. Does not bump the generation.
 */
int	idg_store_mfa_use_step(struct idg_store *s, int64_t tenant_id, int64_t user_id,
	    int64_t step);
/*
 * Consumes a recovery code by its hash (idg_recovery_code_hash): IDG_OK once;
 * IDG_DECLINED if unknown, already used, or the user has no confirmed
 * secret; IDG_INVALID for a malformed hash.
 */
int	idg_store_mfa_use_recovery(struct idg_store *s, int64_t tenant_id, int64_t user_id,
	    const char *hash);
/*
 * Deletes the user's secret and recovery codes (admin reset; the user
 * enrols again). IDG_NOTFOUND if there was nothing to delete or the user
 * is not in the tenant. Bumps the generation when a confirmed secret goes.
 */
int	idg_store_mfa_reset(struct idg_store *s, int64_t tenant_id, int64_t user_id);

/* Tenant access policy. */
/*
 * The tenant's policy text (*text owned, free(); NULL when none) and whether
 * TOTP is required of every user (*mfa_required; false when unset). IDG_OK
 * also for a tenant without settings.
 */
int	idg_store_policy_get(struct idg_store *s, int64_t tenant_id, char **text,
	    bool *mfa_required);
/*
 * Changes the settings in one transaction: text NULL keeps the stored text,
 * "" removes it (no policy); mfa_required -1 keeps, 0/1 sets. The text is
 * stored as given (the caller has parsed it with policy/). IDG_NOTFOUND for
 * an unknown tenant; IDG_INVALID for mfa_required outside -1..1, a text
 * over IDG_POLICY_TEXT_MAX bytes. Bumps the generation.
 */
int	idg_store_policy_set(struct idg_store *s, int64_t tenant_id, const char *text,
	    int mfa_required);

/* Tenant security settings. */
/* Fills *out; all zeros when the tenant has no settings (IDG_OK). */
int	idg_store_security_get(struct idg_store *s, int64_t tenant_id,
	    struct idg_tenant_security *out);
/*
 * Replaces every setting of the tenant with *in (read, change, write to
 * keep some). IDG_INVALID when a field is outside its range; IDG_NOTFOUND
 * for an unknown tenant. Bumps the generation.
 */
int	idg_store_security_set(struct idg_store *s, int64_t tenant_id,
	    const struct idg_tenant_security *in);
/*
 * Suspends, in one transaction, every active person user of the tenant
 * whose last activity (last_sign_in_at, or created_at when never signed
 * in) is before `before`, and sets their sessions_not_before = now so
 * their sessions end. *n gets how many. Service accounts and users already
 * suspended or deleted are untouched; suspended users keep their license
 * (the pool rule counts them). IDG_NOTFOUND for an unknown tenant. Bumps
 * the generation when a user is suspended.
 */
int	idg_store_suspend_unused(struct idg_store *s, int64_t tenant_id, int64_t before,
	    int64_t now, int *n);

/*
 * The device-certificate option (migration 0009; rules in certs/devcert.h).
 *
 * A tenant licenses the option for device_licensed IDs (0 = off, else a
 * multiple of 10); person users are assigned the option one by one, within
 * that count. Only an assigned user may hold certificates, at most
 * IDG_DEVCERT_MAX_PER_ID valid at once. All these checks run inside the
 * writing transaction. The tenant's CA (certificate, sealed key) and its
 * current CRL live here too; the store never sees a private key in clear.
 */
struct idg_device_settings {
	int	licensed;		/* device_licensed: 0 or a multiple of 10 */
	int	assigned;		/* person users holding the option (read only) */
	bool	required;		/* assigned users must pass the device check at sign-in */
	bool	exempt_admins;		/* break-glass: members of "admins" skip the check */
	bool	approval;		/* enrolment-API requests wait for an admin unless the
					 * device identifier is pre-registered */
};

struct idg_tenant_ca {
	int64_t	tenant_id;
	int	alg;			/* enum idg_ca_alg */
	char	key_sealed[4096];
	uint8_t	cert_der[2048];
	size_t	cert_len;
	int64_t	crl_number;		/* of the CRL below; 0 = none yet */
	int64_t	crl_next_update;
	int64_t	created_at;
};

enum idg_devcert_status {
	IDG_DEVCERT_ISSUED = 0,
	IDG_DEVCERT_REVOKED = 1,
};

struct idg_devcert {
	int64_t	id;
	int64_t	tenant_id;
	int64_t	user_id;
	char	serial[33];		/* lower-case hex */
	char	device_id[65];
	char	device_name[65];
	char	device_type[33];	/* "" or e.g. "windows", "ios" */
	char	device_identifier[129];	/* "" or a MAC address / serial number */
	char	enrolled_by[16];	/* "portal", "api", "admin" */
	int64_t	not_before;
	int64_t	not_after;
	int	status;			/* enum idg_devcert_status */
	int64_t	revoked_at;		/* 0 unless revoked */
	char	revoked_by[255];	/* e-mail of whoever revoked, or "" */
	int64_t	created_at;
};

/* Per tenant (user_id 0) or per user, at `now`. */
struct idg_devcert_counts {
	int	licensed;		/* the tenant's device_licensed */
	int	assigned;		/* users holding the option (tenant) / 0 or 1 (user) */
	int	valid;
	int	revoked;
	int	expired;
	int	expiring_30d;		/* valid, not_after within 30 days of now */
};

/* A request from the enrolment API waiting for an admin. */
struct idg_device_request {
	int64_t	id;
	int64_t	tenant_id;
	int64_t	user_id;
	char	device_id[65];
	char	device_name[65];
	char	device_type[33];
	char	device_identifier[129];
	int	status;			/* 0 pending, 1 approved (issued), 2 rejected */
	int64_t	created_at;
};

/* Why a device write was declined (IDG_DECLINED); NULL-able out parameter. */
enum idg_device_refusal {
	IDG_DEVREF_NONE = 0,
	IDG_DEVREF_LICENSE_EXHAUSTED,	/* device_license_exhausted: lic filled */
	IDG_DEVREF_LICENSE_BELOW_ASSIGNED, /* device_license_in_use: lic filled */
	IDG_DEVREF_NOT_LICENSED,	/* device_license_required: user lacks the option */
	IDG_DEVREF_LIMIT,		/* device_certificate_limit: 10 valid already */
	IDG_DEVREF_HOLDS_CERTS,		/* device_certificates_held: revoke them first */
	IDG_DEVREF_USER_INACTIVE,	/* user_not_active */
};

typedef int idg_devcert_each_fn(void *arg, const struct idg_devcert *c);
typedef int idg_device_request_each_fn(void *arg, const struct idg_device_request *r);

/* Reads the tenant's settings (assigned counted now). IDG_NOTFOUND for an unknown tenant. */
int	idg_store_device_settings_get(struct idg_store *s, int64_t tenant_id,
	    struct idg_device_settings *out);
/*
 * Writes licensed/required/exempt_admins/approval (assigned is ignored).
 * IDG_INVALID if licensed is not a valid count (idg_devlic_check_count);
 * IDG_DECLINED (*why = IDG_DEVREF_LICENSE_BELOW_ASSIGNED, lic = {licensed
 * now, assigned, requested}) if it would go below the assigned users.
 * Touches today's license_daily row (device_licensed, device_users).
 * Bumps the generation.
 */
int	idg_store_device_settings_set(struct idg_store *s, int64_t tenant_id,
	    const struct idg_device_settings *in, int64_t now, int *why,
	    struct idg_license_numbers *lic);
/*
 * Gives (on) or takes (!on) the option to a person user. Giving beyond the
 * licensed count: IDG_DECLINED, *why = IDG_DEVREF_LICENSE_EXHAUSTED, lic =
 * {licensed, assigned, 1}. Taking it from a user with valid certificates:
 * IDG_DECLINED, IDG_DEVREF_HOLDS_CERTS. Idempotent. Service accounts:
 * IDG_INVALID. Touches license_daily; bumps the generation.
 */
int	idg_store_user_device_license(struct idg_store *s, int64_t tenant_id, int64_t user_id,
	    bool on, int64_t now, int *why, struct idg_license_numbers *lic);
/* Whether the user holds the option. */
int	idg_store_user_has_device_license(struct idg_store *s, int64_t tenant_id,
	    int64_t user_id, bool *on);

/* The tenant CA. IDG_NOTFOUND if none yet. */
int	idg_store_ca_get(struct idg_store *s, int64_t tenant_id, struct idg_tenant_ca *out);
/* Stores the tenant's CA once: IDG_EXISTS if it has one (the caller reads that one). */
int	idg_store_ca_put(struct idg_store *s, const struct idg_tenant_ca *ca);
/* The current CRL (DER, owned: free()); IDG_NOTFOUND if none yet. */
int	idg_store_crl_get(struct idg_store *s, int64_t tenant_id, uint8_t **der, size_t *len,
	    int64_t *number, int64_t *next_update);
/*
 * Replaces the CRL if number is greater than the stored one (else IDG_OK
 * and nothing written: a concurrent writer made a newer one).
 */
int	idg_store_crl_put(struct idg_store *s, int64_t tenant_id, const uint8_t *der, size_t len,
	    int64_t number, int64_t next_update);
/* The next CRL number to use (stored number + 1, at least 1). */
int	idg_store_crl_next_number(struct idg_store *s, int64_t tenant_id, int64_t *number);

/*
 * Records an issued certificate (c->id and c->created_at set), in one
 * transaction with the checks: the user is an active person user of the
 * tenant (else IDG_DECLINED, IDG_DEVREF_USER_INACTIVE), holds the option
 * (IDG_DEVREF_NOT_LICENSED) and has fewer than IDG_DEVCERT_MAX_PER_ID valid
 * certificates at now (IDG_DEVREF_LIMIT; *valid_now gets the count). The
 * certificate DER is kept. IDG_EXISTS if the serial is taken.
 */
int	idg_store_devcert_add(struct idg_store *s, struct idg_devcert *c, const uint8_t *der,
	    size_t der_len, int64_t now, int *why, int *valid_now);
int	idg_store_devcert_get(struct idg_store *s, int64_t tenant_id, const char *serial,
	    struct idg_devcert *out);
/* The certificate's DER (owned: free()). */
int	idg_store_devcert_der(struct idg_store *s, int64_t tenant_id, const char *serial,
	    uint8_t **der, size_t *len);
/*
 * Revokes a certificate of the tenant; user_id > 0 restricts it to that
 * user's own (IDG_NOTFOUND otherwise). IDG_DECLINED if already revoked.
 * Bumps the generation: workers hold the revoked serials, so a session
 * checked with the certificate ends at its next request.
 */
int	idg_store_devcert_revoke(struct idg_store *s, int64_t tenant_id, const char *serial,
	    int64_t user_id, const char *by, int64_t now);
/*
 * Revokes every certificate of the user not yet revoked (user deleted,
 * option taken away by force); *n gets how many. Bumps the generation.
 */
int	idg_store_devcert_revoke_user(struct idg_store *s, int64_t tenant_id, int64_t user_id,
	    const char *by, int64_t now, int *n);
/* The tenant's certificates (user_id 0) or one user's, newest first. */
int	idg_store_devcert_list(struct idg_store *s, int64_t tenant_id, int64_t user_id,
	    idg_devcert_each_fn *fn, void *arg);
/* Every revoked certificate of the tenant (for the CRL), by revocation time. */
int	idg_store_devcert_revoked(struct idg_store *s, int64_t tenant_id,
	    idg_devcert_each_fn *fn, void *arg);
int	idg_store_devcert_counts(struct idg_store *s, int64_t tenant_id, int64_t user_id,
	    int64_t now, struct idg_devcert_counts *out);

/* A tenant's certificate figures over a period [from, to) (the monthly report). */
struct idg_devcert_period {
	int	issued;			/* created_at in [from, to) */
	int	revoked;		/* revoked, revoked_at in [from, to) */
	int	valid_end;		/* valid at `to`, counting only what happened before it */
};

/*
 * The certificate figures of tenant_id over [from, to) into *out:
 *  - issued: certificates with from <= created_at < to;
 *  - revoked: certificates revoked with from <= revoked_at < to (one issued
 *    and revoked in the period counts in both);
 *  - valid_end: certificates valid at `to` as idg_devcert_valid_at defines
 *    it, with only the revocations before `to`: created_at < to, not_before
 *    <= to < not_after (one whose not_after is `to` or earlier has expired),
 *    and not revoked, or revoked at `to` or later (a revocation at `to`
 *    belongs to the next period).
 * Rows removed by idg_store_tenant_cancel count no more, so a period is
 * read before the purge. An unknown tenant has no certificates (IDG_OK,
 * zeros). IDG_INVALID if out is NULL or to < from.
 */
int	idg_store_devcert_period(struct idg_store *s, int64_t tenant_id, int64_t from,
	    int64_t to, struct idg_devcert_period *out);

/* Pre-registered devices (CSV import): requests naming one are approved at once. */
int	idg_store_device_prereg_add(struct idg_store *s, int64_t tenant_id, const char *email,
	    const char *device_type, const char *device_identifier);
/* Is (user's e-mail, identifier) pre-registered? */
int	idg_store_device_prereg_match(struct idg_store *s, int64_t tenant_id, const char *email,
	    const char *device_identifier, bool *match);
/* Enrolment requests waiting for approval: add (r->id set), get, list pending, decide. */
int	idg_store_device_request_add(struct idg_store *s, struct idg_device_request *r,
	    const uint8_t *csr_der, size_t csr_len);
int	idg_store_device_request_get(struct idg_store *s, int64_t tenant_id, int64_t id,
	    struct idg_device_request *out, uint8_t **csr_der, size_t *csr_len);
int	idg_store_device_request_list(struct idg_store *s, int64_t tenant_id,
	    idg_device_request_each_fn *fn, void *arg);
/* status 1 (approved; serial of the issued certificate) or 2 (rejected). IDG_DECLINED if decided. */
int	idg_store_device_request_decide(struct idg_store *s, int64_t tenant_id, int64_t id,
	    int status, const char *serial, const char *by, int64_t now);


/*
 * The tenant's SAML 2.0 identity provider (migration 0010): its service
 * providers ("SAML apps"), who may use each, and its signing keys.
 *
 * Keys: the signing_keys rows and idg_store_key_* functions above, with use
 * IDG_SAML_KEY_USE and alg "RS256" (RSA 2048 or 3072): public_jwk holds the
 * self-signed X.509 certificate (PEM), kid the base64url SHA-256 of its DER
 * (43 characters), sealed the key's PKCS#8 DER sealed with idg_seal(master
 * key, IDG_SAML_KEY_SEAL_INFO, "tenant:<tenant id>"). idg_store_key_add
 * refuses a "saml" key with another alg or without a PEM certificate. The
 * current key signs; next keys are published in the IdP metadata before
 * they sign; retired keys are neither (purge them with
 * idg_store_key_purge_use).
 *
 * idg_store_tenant_apps (above) lists SAML apps too: kind "saml" with the
 * app_id, after the OIDC clients; idg_store_tenant_cancel purges them with
 * their assignments.
 */
#define IDG_SAML_KEY_USE		"saml"
#define IDG_SAML_KEY_SEAL_INFO		"idgate saml key v1"
#define IDG_SAML_APP_ID_MAX		63	/* bytes; [a-z0-9-] */
#define IDG_SAML_APP_NAME_MAX		128	/* bytes of UTF-8 text */
#define IDG_SAML_ENTITY_ID_MAX		1024	/* bytes (IDG_SAML_URL_MAX of saml.h) */
#define IDG_SAML_METADATA_MAX		(256 * 1024)	/* bytes (IDG_SAML_MAX_XML_BYTES) */
#define IDG_SAML_NAMEID_SOURCE_MAX	69	/* "attr:" + a name of 1..64 bytes */
#define IDG_SAML_ATTRIBUTES_MAX		4096	/* bytes */

/*
 * A registered service provider. nameid_format uses the numbers of enum
 * idg_saml_nameid_format (gateway/saml/saml.h): 0 unspecified, 1
 * emailAddress, 2 persistent. Every array is NUL-terminated; metadata is
 * owned by the struct when filled by idg_store_saml_app_get/_get_by_entity
 * (release it with idg_saml_app_clear), borrowed in an
 * idg_saml_app_each_fn callback, and borrowed from the caller by _add and
 * _update.
 */
struct idg_saml_app {
	int64_t	id;
	int64_t	tenant_id;
	char	app_id[IDG_SAML_APP_ID_MAX + 1];	/* unique per tenant; in URLs */
	char	name[IDG_SAML_APP_NAME_MAX + 1];
	char	entity_id[IDG_SAML_ENTITY_ID_MAX + 1];	/* unique per tenant */
	char	*metadata;		/* the SP's EntityDescriptor (text) */
	int	nameid_format;		/* 0 unspecified, 1 email, 2 persistent */
	/* "email" or "attr:NAME" */
	char	nameid_source[IDG_SAML_NAMEID_SOURCE_MAX + 1];
	char	attributes[IDG_SAML_ATTRIBUTES_MAX + 1]; /* "SAML-NAME=SOURCE" lines */
	bool	sign_requests;		/* the SP signs AuthnRequests; unsigned refused */
	bool	sign_assertion;
	bool	sign_response;		/* at least one of the two */
	bool	encrypt_assertion;
	bool	sp_initiated;		/* SP-initiated SSO allowed */
	bool	idp_initiated;		/* IdP-initiated SSO (portal) allowed */
	bool	device_required;	/* sign-in to it needs the device check */
	int64_t	created_at;
};

/* Frees a->metadata and zeroes *a; safe on a zeroed or already cleared struct. */
void	idg_saml_app_clear(struct idg_saml_app *a);

/* Called once per app; a and a->metadata are valid during the call only. */
typedef int idg_saml_app_each_fn(void *arg, const struct idg_saml_app *a);

/*
 * Adds an app (a->tenant_id names the tenant). An empty nameid_source is
 * stored as "email" (written back). Checks: app_id of 1..63 characters
 * [a-z0-9-]; name non-empty UTF-8 text (idg_utf8_text_valid) of at most 128
 * bytes; entity_id of 1..1024 bytes without spaces or control characters;
 * metadata non-NULL, 1..IDG_SAML_METADATA_MAX bytes; nameid_format 0..2;
 * nameid_source "email" or "attr:NAME" (NAME: 1..64 of [A-Za-z0-9_.-]);
 * attributes at most 4096 bytes (parsed by the gateway, not here);
 * sign_assertion or sign_response set. The metadata itself is checked by
 * the caller (idg_saml_sp_metadata_check). Fills a->id and a->created_at.
 * IDG_EXISTS for an app_id or entity_id taken in the tenant; IDG_INVALID for
 * a field that fails a check; IDG_NOTFOUND for an unknown or cancelled
 * tenant. Bumps the generation.
 */
int	idg_store_saml_app_add(struct idg_store *s, struct idg_saml_app *a);
/*
 * The app by app_id, or by entity_id. *out is overwritten (an earlier
 * metadata is not freed) and owns its metadata: idg_saml_app_clear it.
 * IDG_NOTFOUND if none (out zeroed); IDG_INVALID for a NULL argument.
 */
int	idg_store_saml_app_get(struct idg_store *s, int64_t tenant_id, const char *app_id,
	    struct idg_saml_app *out);
int	idg_store_saml_app_get_by_entity(struct idg_store *s, int64_t tenant_id,
	    const char *entity_id, struct idg_saml_app *out);
/* The tenant's apps, ordered by app_id, metadata included (borrowed). */
int	idg_store_saml_app_list(struct idg_store *s, int64_t tenant_id,
	    idg_saml_app_each_fn *fn, void *arg);
/*
 * Replaces every mutable field (name, entity_id, metadata, nameid_format,
 * nameid_source, attributes and the flags) of the app a->app_id of
 * a->tenant_id, with the checks of _add; id, app_id and created_at stay
 * (a->id and a->created_at are filled). IDG_NOTFOUND for an unknown app;
 * IDG_EXISTS when entity_id belongs to another app of the tenant;
 * IDG_INVALID as _add. Bumps the generation.
 */
int	idg_store_saml_app_update(struct idg_store *s, struct idg_saml_app *a);
/* Deletes the app and its assignments. IDG_NOTFOUND if there is none. */
int	idg_store_saml_app_delete(struct idg_store *s, int64_t tenant_id, const char *app_id);
/*
 * As idg_store_oidc_client_assign: lets a user (kind "user", who = e-mail,
 * not deleted) or every member of a group (kind "group", who = group name)
 * use the app. IDG_NOTFOUND when the app, user or group does not exist;
 * IDG_EXISTS if already assigned; IDG_INVALID for another kind.
 */
int	idg_store_saml_app_assign(struct idg_store *s, int64_t tenant_id, const char *app_id,
	    const char *kind, const char *who);
/*
 * Removes one assignment (same arguments; a deleted user's may be removed
 * too). IDG_NOTFOUND when the app, the user or group, or the assignment
 * does not exist; IDG_INVALID for another kind.
 */
int	idg_store_saml_app_unassign(struct idg_store *s, int64_t tenant_id, const char *app_id,
	    const char *kind, const char *who);
/*
 * The assignments of one app: fn(arg, kind, who) with kind "user" (who =
 * e-mail) then "group" (who = name), each ordered by who. IDG_NOTFOUND for
 * an unknown app.
 */
int	idg_store_saml_app_assignments(struct idg_store *s, int64_t tenant_id,
	    const char *app_id, idg_client_assignment_each_fn *fn, void *arg);
/*
 * Every (app_id, user_id) pair allowed in the tenant: direct user
 * assignments plus group assignments expanded to the group's members, each
 * pair once, ordered by app_id then user_id; deleted users are left out.
 * For the gateway's in-memory snapshot (as idg_store_oidc_client_users).
 */
int	idg_store_saml_app_users(struct idg_store *s, int64_t tenant_id,
	    idg_client_user_each_fn *fn, void *arg);
/*
 * Deletes the tenant's retired keys of one use (not NULL) with retired_at <
 * before; *n (may be NULL) gets how many. idg_store_key_purge_retired is
 * the same over every use.
 */
int	idg_store_key_purge_use(struct idg_store *s, int64_t tenant_id, const char *use,
	    int64_t before, int *n);

#endif
