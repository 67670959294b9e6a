/*
 * store_impl.h - private to gateway/store and its tests: the backend
 * operations table behind store.h, the driver registry row, and the
 * migrations embedded at build time.
 *
 * A backend embeds struct idg_store as the first member of its own instance
 * struct and points base.ops at its const ops table; store.c dispatches
 * every idg_store_* call through that table. Nothing outside gateway/store
 * (and tests/unit/store) includes this header.
 */
#ifndef IDG_STORE_IMPL_H
#define IDG_STORE_IMPL_H

#include "store.h"

/* One migration: conf/migrations/NNNN_name.sql, embedded by CMake. */
struct idg_migration {
	int		 version;
	const char	*name;		/* the file name */
	const char	*sql;
};

/* Generated from the conf/migrations SQL files, sorted by version (strictly increasing). */
extern const struct idg_migration idg_migrations[];
extern const int idg_nmigrations;

struct idg_store_ops {
	const char	*name;
	int	(*open)(const struct idg_store_config *cfg, struct idg_store **out);
	void	(*free)(struct idg_store *s);
	/* Applies the not yet applied entries of m[0..n) (sorted by version). */
	int	(*migrate)(struct idg_store *s, const struct idg_migration *m, int n,
		    int *applied);
	int	(*schema_version)(struct idg_store *s, int *current);
	int	(*ping)(struct idg_store *s);
	int	(*generation)(struct idg_store *s, int64_t *gen);

	int	(*tenant_create)(struct idg_store *s, const char *company_id,
		    const char *name, int contracted_ids, const char *setup_pw_hash,
		    const char *report_pw_hash, struct idg_tenant *out);
	int	(*tenant_get)(struct idg_store *s, const char *company_id,
		    struct idg_tenant *out);
	int	(*tenant_list)(struct idg_store *s, idg_tenant_each_fn *fn, void *arg);
	int	(*tenant_list_brief)(struct idg_store *s, idg_tenant_each_fn *fn, void *arg);
	int	(*tenant_set_contract)(struct idg_store *s, const char *company_id, int n,
		    struct idg_license_numbers *lic);
	int	(*tenant_complete_setup)(struct idg_store *s, const char *company_id);

	int	(*user_add)(struct idg_store *s, int64_t tenant_id, const char *email,
		    const char *display_name, const char *password_hash,
		    bool must_change_password, struct idg_license_numbers *lic,
		    struct idg_user *out);
	int	(*user_get_by_email)(struct idg_store *s, int64_t tenant_id,
		    const char *email, struct idg_user *out);
	int	(*user_get)(struct idg_store *s, int64_t tenant_id, int64_t user_id,
		    struct idg_user *out);
	int	(*user_list)(struct idg_store *s, int64_t tenant_id, idg_user_each_fn *fn,
		    void *arg);
	int	(*user_set_status)(struct idg_store *s, int64_t tenant_id, int64_t user_id,
		    enum idg_user_status st, struct idg_license_numbers *lic);
	int	(*user_set_password)(struct idg_store *s, int64_t tenant_id,
		    int64_t user_id, const char *password_hash, bool must_change);
	int	(*user_unlock)(struct idg_store *s, int64_t tenant_id, int64_t user_id);
	int	(*user_record_signin)(struct idg_store *s, int64_t tenant_id,
		    int64_t user_id, bool ok, int64_t now, int max_failures, int lockout_s,
		    int64_t *locked_until);
	int	(*user_import)(struct idg_store *s, int64_t tenant_id,
		    const struct idg_user_row *rows, int nrows, bool skip_existing,
		    struct idg_license_numbers *lic, int *bad_line, int *added, int *skipped);

	int	(*group_add)(struct idg_store *s, int64_t tenant_id, const char *name,
		    struct idg_group *out);
	int	(*group_add_member)(struct idg_store *s, int64_t tenant_id,
		    const char *group, const char *email);
	int	(*group_list)(struct idg_store *s, int64_t tenant_id, idg_group_each_fn *fn,
		    void *arg);
	int	(*user_groups)(struct idg_store *s, int64_t tenant_id, int64_t user_id,
		    idg_group_each_fn *fn, void *arg);

	int	(*audit_append)(struct idg_store *s, const struct idg_audit_event *e);
	/* e[0..n), n >= 1, each checked by store.c: one transaction. */
	int	(*audit_append_many)(struct idg_store *s, const struct idg_audit_event *e,
		    int n);
	int	(*audit_list)(struct idg_store *s, int64_t tenant_id, int limit,
		    idg_audit_each_fn *fn, void *arg);
	int	(*activity_mark)(struct idg_store *s, int64_t tenant_id, int64_t user_id,
		    const char *month, int64_t at, bool *first);
	int	(*activity_count)(struct idg_store *s, int64_t tenant_id, const char *month,
		    int *n);
	int	(*activity_days)(struct idg_store *s, int64_t tenant_id, const char *month,
		    idg_day_count_fn *fn, void *arg);
	int	(*audit_counts)(struct idg_store *s, int64_t tenant_id, int64_t from,
		    int64_t to, idg_audit_count_fn *fn, void *arg);
	int	(*audit_purge)(struct idg_store *s, int64_t before, int *n);

	/* Billing, reports, cancellation, daily jobs. */
	int	(*license_snapshot)(struct idg_store *s, int64_t now, int *n);
	int	(*license_days)(struct idg_store *s, int64_t tenant_id, const char *from_day,
		    const char *to_day, idg_license_day_each_fn *fn, void *arg);
	int	(*tenant_apps)(struct idg_store *s, int64_t tenant_id, idg_app_each_fn *fn,
		    void *arg);
	int	(*tenant_cancel)(struct idg_store *s, const char *company_id, int64_t now);
	int	(*report_put)(struct idg_store *s, const struct idg_report_meta *m,
		    const char *html, size_t html_len, const char *csv, size_t csv_len,
		    const char *json, size_t json_len);
	int	(*report_get)(struct idg_store *s, int64_t tenant_id, const char *month,
		    const char *format, struct idg_report_meta *meta, char **data,
		    size_t *len);
	int	(*report_list)(struct idg_store *s, int64_t tenant_id, idg_report_each_fn *fn,
		    void *arg);
	int	(*job_due)(struct idg_store *s, const char *name, const char *day, bool *due);
	int	(*job_done)(struct idg_store *s, const char *name, const char *day);

	/* OpenID provider; arguments already checked and defaulted by store.c. */
	int	(*key_add)(struct idg_store *s, struct idg_signing_key *k);
	int	(*key_list)(struct idg_store *s, int64_t tenant_id, const char *use,
		    idg_key_each_fn *fn, void *arg);
	int	(*key_promote)(struct idg_store *s, int64_t tenant_id, const char *use,
		    const char *alg);
	/* use NULL: retired keys of every use. */
	int	(*key_purge_retired)(struct idg_store *s, int64_t tenant_id, const char *use,
		    int64_t before, int *n);
	int	(*oidc_client_add)(struct idg_store *s, struct idg_oidc_client *c);
	int	(*oidc_client_get)(struct idg_store *s, int64_t tenant_id,
		    const char *client_id, struct idg_oidc_client *out);
	int	(*oidc_client_list)(struct idg_store *s, int64_t tenant_id,
		    idg_oidc_client_each_fn *fn, void *arg);
	int	(*oidc_client_delete)(struct idg_store *s, int64_t tenant_id,
		    const char *client_id);
	int	(*oidc_client_set_secret)(struct idg_store *s, int64_t tenant_id,
		    const char *client_id, const char *secret_hash);
	int	(*oidc_client_assign)(struct idg_store *s, int64_t tenant_id,
		    const char *client_id, const char *kind, const char *who);
	int	(*oidc_client_assignments)(struct idg_store *s, int64_t tenant_id,
		    const char *client_id, idg_client_assignment_each_fn *fn, void *arg);
	int	(*oidc_client_users)(struct idg_store *s, int64_t tenant_id,
		    idg_client_user_each_fn *fn, void *arg);

	/* Second factor and tenant policy; arguments already checked by store.c. */
	int	(*mfa_get)(struct idg_store *s, int64_t tenant_id, int64_t user_id,
		    struct idg_user_mfa *out);
	int	(*mfa_begin)(struct idg_store *s, int64_t tenant_id, int64_t user_id,
		    const char *totp_sealed);
	int	(*mfa_confirm)(struct idg_store *s, int64_t tenant_id, int64_t user_id,
		    int64_t step, const char hashes[][65], int nhashes);
	int	(*mfa_use_step)(struct idg_store *s, int64_t tenant_id, int64_t user_id,
		    int64_t step);
	int	(*mfa_use_recovery)(struct idg_store *s, int64_t tenant_id, int64_t user_id,
		    const char *hash);
	int	(*mfa_reset)(struct idg_store *s, int64_t tenant_id, int64_t user_id);
	int	(*policy_get)(struct idg_store *s, int64_t tenant_id, char **text,
		    bool *mfa_required);
	int	(*policy_set)(struct idg_store *s, int64_t tenant_id, const char *text,
		    int mfa_required);
	/* Tenant security settings; ranges already checked by store.c. */
	int	(*security_get)(struct idg_store *s, int64_t tenant_id,
		    struct idg_tenant_security *out);
	int	(*security_set)(struct idg_store *s, int64_t tenant_id,
		    const struct idg_tenant_security *in);
	int	(*suspend_unused)(struct idg_store *s, int64_t tenant_id, int64_t before,
		    int64_t now, int *n);

	/*
	 * The device-certificate option. store.c has checked the arguments
	 * (counts, field sizes, serials lower-cased) and passes non-NULL why,
	 * lic, valid_now and n; the backend runs the count rules inside its
	 * writing transaction.
	 */
	int	(*device_settings_get)(struct idg_store *s, int64_t tenant_id,
		    struct idg_device_settings *out);
	int	(*device_settings_set)(struct idg_store *s, int64_t tenant_id,
		    const struct idg_device_settings *in, int64_t now, int *why,
		    struct idg_license_numbers *lic);
	int	(*user_device_license)(struct idg_store *s, int64_t tenant_id, int64_t user_id,
		    bool on, int64_t now, int *why, struct idg_license_numbers *lic);
	int	(*user_has_device_license)(struct idg_store *s, int64_t tenant_id,
		    int64_t user_id, bool *on);
	int	(*ca_get)(struct idg_store *s, int64_t tenant_id, struct idg_tenant_ca *out);
	int	(*ca_put)(struct idg_store *s, const struct idg_tenant_ca *ca);
	int	(*crl_get)(struct idg_store *s, int64_t tenant_id, uint8_t **der, size_t *len,
		    int64_t *number, int64_t *next_update);
	int	(*crl_put)(struct idg_store *s, int64_t tenant_id, const uint8_t *der,
		    size_t len, int64_t number, int64_t next_update);
	int	(*crl_next_number)(struct idg_store *s, int64_t tenant_id, int64_t *number);
	int	(*devcert_add)(struct idg_store *s, struct idg_devcert *c, const uint8_t *der,
		    size_t der_len, int64_t now, int *why, int *valid_now);
	int	(*devcert_get)(struct idg_store *s, int64_t tenant_id, const char *serial,
		    struct idg_devcert *out);
	int	(*devcert_der)(struct idg_store *s, int64_t tenant_id, const char *serial,
		    uint8_t **der, size_t *len);
	int	(*devcert_revoke)(struct idg_store *s, int64_t tenant_id, const char *serial,
		    int64_t user_id, const char *by, int64_t now);
	int	(*devcert_revoke_user)(struct idg_store *s, int64_t tenant_id, int64_t user_id,
		    const char *by, int64_t now, int *n);
	int	(*devcert_list)(struct idg_store *s, int64_t tenant_id, int64_t user_id,
		    idg_devcert_each_fn *fn, void *arg);
	int	(*devcert_revoked)(struct idg_store *s, int64_t tenant_id,
		    idg_devcert_each_fn *fn, void *arg);
	int	(*devcert_counts)(struct idg_store *s, int64_t tenant_id, int64_t user_id,
		    int64_t now, struct idg_devcert_counts *out);
	int	(*devcert_period)(struct idg_store *s, int64_t tenant_id, int64_t from,
		    int64_t to, struct idg_devcert_period *out);
	int	(*device_prereg_add)(struct idg_store *s, int64_t tenant_id, const char *email,
		    const char *device_type, const char *device_identifier);
	int	(*device_prereg_match)(struct idg_store *s, int64_t tenant_id,
		    const char *email, const char *device_identifier, bool *match);
	int	(*device_request_add)(struct idg_store *s, struct idg_device_request *r,
		    const uint8_t *csr_der, size_t csr_len);
	int	(*device_request_get)(struct idg_store *s, int64_t tenant_id, int64_t id,
		    struct idg_device_request *out, uint8_t **csr_der, size_t *csr_len);
	int	(*device_request_list)(struct idg_store *s, int64_t tenant_id,
		    idg_device_request_each_fn *fn, void *arg);
	int	(*device_request_decide)(struct idg_store *s, int64_t tenant_id, int64_t id,
		    int status, const char *serial, const char *by, int64_t now);

	/*
	 * SAML IdP (migration 0010); store.c has checked and defaulted the
	 * fields. saml_app_get finds the app by app_id, or by entity_id when
	 * app_id is NULL, and fills *out with an owned metadata. saml_app_assign
	 * adds (on) or removes (!on) one assignment.
	 */
	int	(*saml_app_add)(struct idg_store *s, struct idg_saml_app *a);
	int	(*saml_app_get)(struct idg_store *s, int64_t tenant_id, const char *app_id,
		    const char *entity_id, struct idg_saml_app *out);
	int	(*saml_app_list)(struct idg_store *s, int64_t tenant_id,
		    idg_saml_app_each_fn *fn, void *arg);
	int	(*saml_app_update)(struct idg_store *s, struct idg_saml_app *a);
	int	(*saml_app_delete)(struct idg_store *s, int64_t tenant_id, const char *app_id);
	int	(*saml_app_assign)(struct idg_store *s, int64_t tenant_id, const char *app_id,
		    const char *kind, const char *who, bool on);
	int	(*saml_app_assignments)(struct idg_store *s, int64_t tenant_id,
		    const char *app_id, idg_client_assignment_each_fn *fn, void *arg);
	int	(*saml_app_users)(struct idg_store *s, int64_t tenant_id,
		    idg_client_user_each_fn *fn, void *arg);
};

/* The common head of every backend instance. */
struct idg_store {
	const struct idg_store_ops *ops;
};

/* Backends (one registry row each in store.c). */
extern const struct idg_store_ops idg_store_sqlite_ops;

#endif
