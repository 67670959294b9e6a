/*
 * store.c - the driver registry and the idg_store_* dispatchers of store.h.
 *
 * Each call checks its arguments that every backend would check the same
 * way (NULL pointers, tenant ids), then goes through the instance's ops
 * table. No SQL and no backend knowledge here: adding a backend is one new
 * file and one row in `drivers` below.
 */
#include "store_impl.h"

#include <stdbool.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../../certs/devcert.h"	/* the option's constants only; certs/ is not linked */
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"

static const struct idg_store_ops *const drivers[] = {
	&idg_store_sqlite_ops,
};

static const char *const driver_names[] = {
	"sqlite",
	NULL,
};

#define NDRIVERS (sizeof(drivers) / sizeof(drivers[0]))

const char *const *
idg_store_drivers(void)
{
	return driver_names;
}

int
idg_store_open(const struct idg_store_config *cfg, struct idg_store **out)
{
	size_t i;

	*out = NULL;
	if (cfg == NULL || cfg->driver == NULL)
		return IDG_INVALID;
	for (i = 0; i < NDRIVERS; i++) {
		if (strcmp(drivers[i]->name, cfg->driver) == 0)
			return drivers[i]->open(cfg, out);
	}
	log_error("unknown store driver \"%s\"", cfg->driver);
	return IDG_NOTFOUND;
}

void
idg_store_free(struct idg_store *s)
{
	if (s != NULL)
		s->ops->free(s);
}

int
idg_store_migrate(struct idg_store *s, int *applied)
{
	if (applied != NULL)
		*applied = 0;
	return s->ops->migrate(s, idg_migrations, idg_nmigrations, applied);
}

int
idg_store_schema_version(struct idg_store *s, int *current, int *latest)
{
	int cur = 0, st;

	st = s->ops->schema_version(s, &cur);
	if (current != NULL)
		*current = cur;
	if (latest != NULL)
		*latest = idg_nmigrations > 0 ? idg_migrations[idg_nmigrations - 1].version : 0;
	return st;
}

int
idg_store_ping(struct idg_store *s)
{
	return s->ops->ping(s);
}

int
idg_store_generation(struct idg_store *s, int64_t *gen)
{
	return s->ops->generation(s, gen);
}

int
idg_store_tenant_create(struct idg_store *s, const char *company_id, const char *name,
    int contracted_ids, const char *setup_pw_hash, const char *report_pw_hash,
    struct idg_tenant *out)
{
	if (company_id == NULL || name == NULL || setup_pw_hash == NULL ||
	    report_pw_hash == NULL)
		return IDG_INVALID;
	return s->ops->tenant_create(s, company_id, name, contracted_ids, setup_pw_hash,
	    report_pw_hash, out);
}

int
idg_store_tenant_get(struct idg_store *s, const char *company_id, struct idg_tenant *out)
{
	if (company_id == NULL)
		return IDG_INVALID;
	return s->ops->tenant_get(s, company_id, out);
}

int
idg_store_tenant_list_brief(struct idg_store *s, idg_tenant_each_fn *fn, void *arg)
{
	return s->ops->tenant_list_brief(s, fn, arg);
}

int
idg_store_tenant_list(struct idg_store *s, idg_tenant_each_fn *fn, void *arg)
{
	return s->ops->tenant_list(s, fn, arg);
}

int
idg_store_tenant_set_contract(struct idg_store *s, const char *company_id, int n,
    struct idg_license_numbers *lic)
{
	if (company_id == NULL)
		return IDG_INVALID;
	return s->ops->tenant_set_contract(s, company_id, n, lic);
}

int
idg_store_tenant_complete_setup(struct idg_store *s, const char *company_id)
{
	if (company_id == NULL)
		return IDG_INVALID;
	return s->ops->tenant_complete_setup(s, company_id);
}

int
idg_store_user_add(struct idg_store *s, int64_t tenant_id, const char *email,
    const char *display_name, const char *password_hash, bool must_change_password,
    struct idg_license_numbers *lic, struct idg_user *out)
{
	if (email == NULL)
		return IDG_INVALID;
	return s->ops->user_add(s, tenant_id, email, display_name != NULL ? display_name : "",
	    password_hash != NULL ? password_hash : "", must_change_password, lic, out);
}

int
idg_store_user_get_by_email(struct idg_store *s, int64_t tenant_id, const char *email,
    struct idg_user *out)
{
	if (email == NULL)
		return IDG_INVALID;
	return s->ops->user_get_by_email(s, tenant_id, email, out);
}

int
idg_store_user_get(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    struct idg_user *out)
{
	return s->ops->user_get(s, tenant_id, user_id, out);
}

int
idg_store_user_list(struct idg_store *s, int64_t tenant_id, idg_user_each_fn *fn,
    void *arg)
{
	return s->ops->user_list(s, tenant_id, fn, arg);
}

int
idg_store_user_set_status(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    enum idg_user_status st, struct idg_license_numbers *lic)
{
	if (st != IDG_USER_ACTIVE && st != IDG_USER_SUSPENDED && st != IDG_USER_DELETED)
		return IDG_INVALID;
	return s->ops->user_set_status(s, tenant_id, user_id, st, lic);
}

int
idg_store_user_set_password(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    const char *password_hash, bool must_change)
{
	if (password_hash == NULL)
		return IDG_INVALID;
	return s->ops->user_set_password(s, tenant_id, user_id, password_hash, must_change);
}

int
idg_store_user_unlock(struct idg_store *s, int64_t tenant_id, int64_t user_id)
{
	return s->ops->user_unlock(s, tenant_id, user_id);
}

int
idg_store_user_record_signin(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    bool ok, int64_t now, int max_failures, int lockout_s, int64_t *locked_until)
{
	return s->ops->user_record_signin(s, tenant_id, user_id, ok, now, max_failures,
	    lockout_s, locked_until);
}

int
idg_store_user_import(struct idg_store *s, int64_t tenant_id,
    const struct idg_user_row *rows, int nrows, bool skip_existing,
    struct idg_license_numbers *lic, int *bad_line, int *added, int *skipped)
{
	int line = 0, nadd = 0, nskip = 0, st;

	if (nrows < 0 || (nrows > 0 && rows == NULL))
		return IDG_INVALID;
	st = s->ops->user_import(s, tenant_id, rows, nrows, skip_existing, lic, &line,
	    &nadd, &nskip);
	if (bad_line != NULL)
		*bad_line = line;
	if (added != NULL)
		*added = nadd;
	if (skipped != NULL)
		*skipped = nskip;
	return st;
}

int
idg_store_group_add(struct idg_store *s, int64_t tenant_id, const char *name,
    struct idg_group *out)
{
	if (name == NULL)
		return IDG_INVALID;
	return s->ops->group_add(s, tenant_id, name, out);
}

int
idg_store_group_add_member(struct idg_store *s, int64_t tenant_id, const char *group,
    const char *email)
{
	if (group == NULL || email == NULL)
		return IDG_INVALID;
	return s->ops->group_add_member(s, tenant_id, group, email);
}

int
idg_store_group_list(struct idg_store *s, int64_t tenant_id, idg_group_each_fn *fn,
    void *arg)
{
	return s->ops->group_list(s, tenant_id, fn, arg);
}

int
idg_store_user_groups(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    idg_group_each_fn *fn, void *arg)
{
	return s->ops->user_groups(s, tenant_id, user_id, fn, arg);
}

static bool
audit_event_valid(const struct idg_audit_event *e)
{
	return e != NULL && e->actor != NULL && e->action != NULL && e->result != NULL;
}

int
idg_store_audit_append(struct idg_store *s, const struct idg_audit_event *e)
{
	if (!audit_event_valid(e))
		return IDG_INVALID;
	return s->ops->audit_append(s, e);
}

int
idg_store_audit_append_many(struct idg_store *s, const struct idg_audit_event *e, int n)
{
	int i;

	if (n < 0 || (n > 0 && e == NULL))
		return IDG_INVALID;
	for (i = 0; i < n; i++)
		if (!audit_event_valid(&e[i]))
			return IDG_INVALID;
	if (n == 0)
		return IDG_OK;
	return s->ops->audit_append_many(s, e, n);
}

static bool
month_valid(const char *m)
{
	return m != NULL && strlen(m) == 7 && m[4] == '-' && isdigit((unsigned char)m[0]) &&
	    isdigit((unsigned char)m[1]) && isdigit((unsigned char)m[2]) &&
	    isdigit((unsigned char)m[3]) && isdigit((unsigned char)m[5]) &&
	    isdigit((unsigned char)m[6]);
}

int
idg_store_activity_mark(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    const char *month, int64_t at, bool *first)
{
	if (!month_valid(month) || user_id <= 0)
		return IDG_INVALID;
	return s->ops->activity_mark(s, tenant_id, user_id, month, at, first);
}

int
idg_store_activity_count(struct idg_store *s, int64_t tenant_id, const char *month, int *n)
{
	if (!month_valid(month) || n == NULL)
		return IDG_INVALID;
	return s->ops->activity_count(s, tenant_id, month, n);
}

int
idg_store_activity_days(struct idg_store *s, int64_t tenant_id, const char *month,
    idg_day_count_fn *fn, void *arg)
{
	if (!month_valid(month) || fn == NULL)
		return IDG_INVALID;
	return s->ops->activity_days(s, tenant_id, month, fn, arg);
}

static bool
day_valid(const char *d)
{
	return d != NULL && strlen(d) == 10 && d[7] == '-' && month_valid((char[8]){ d[0],
	    d[1], d[2], d[3], d[4], d[5], d[6], '\0' }) && isdigit((unsigned char)d[8]) &&
	    isdigit((unsigned char)d[9]);
}

int
idg_store_license_snapshot(struct idg_store *s, int64_t now, int *n)
{
	int dummy;

	return s->ops->license_snapshot(s, now, n != NULL ? n : &dummy);
}

int
idg_store_license_days(struct idg_store *s, int64_t tenant_id, const char *from_day,
    const char *to_day, idg_license_day_each_fn *fn, void *arg)
{
	if (!day_valid(from_day) || !day_valid(to_day) || fn == NULL)
		return IDG_INVALID;
	return s->ops->license_days(s, tenant_id, from_day, to_day, fn, arg);
}

int
idg_store_audit_counts(struct idg_store *s, int64_t tenant_id, int64_t from, int64_t to,
    idg_audit_count_fn *fn, void *arg)
{
	if (fn == NULL || to < from)
		return IDG_INVALID;
	return s->ops->audit_counts(s, tenant_id, from, to, fn, arg);
}

int
idg_store_audit_purge(struct idg_store *s, int64_t before, int *n)
{
	int dummy;

	return s->ops->audit_purge(s, before, n != NULL ? n : &dummy);
}

int
idg_store_tenant_apps(struct idg_store *s, int64_t tenant_id, idg_app_each_fn *fn, void *arg)
{
	if (fn == NULL)
		return IDG_INVALID;
	return s->ops->tenant_apps(s, tenant_id, fn, arg);
}

int
idg_store_tenant_cancel(struct idg_store *s, const char *company_id, int64_t now)
{
	if (company_id == NULL)
		return IDG_INVALID;
	return s->ops->tenant_cancel(s, company_id, now);
}

int
idg_store_report_put(struct idg_store *s, const struct idg_report_meta *m, const char *html,
    size_t html_len, const char *csv, size_t csv_len, const char *json, size_t json_len)
{
	if (m == NULL || !month_valid(m->month) || !day_valid(m->from_day) ||
	    !day_valid(m->to_day) || !day_valid(m->due) || html == NULL || csv == NULL ||
	    json == NULL)
		return IDG_INVALID;
	return s->ops->report_put(s, m, html, html_len, csv, csv_len, json, json_len);
}

int
idg_store_report_get(struct idg_store *s, int64_t tenant_id, const char *month,
    const char *format, struct idg_report_meta *meta, char **data, size_t *len)
{
	if (!month_valid(month) || format == NULL || (strcmp(format, "html") != 0 &&
	    strcmp(format, "csv") != 0 && strcmp(format, "json") != 0))
		return IDG_INVALID;
	return s->ops->report_get(s, tenant_id, month, format, meta, data, len);
}

int
idg_store_report_list(struct idg_store *s, int64_t tenant_id, idg_report_each_fn *fn,
    void *arg)
{
	if (fn == NULL)
		return IDG_INVALID;
	return s->ops->report_list(s, tenant_id, fn, arg);
}

int
idg_store_job_due(struct idg_store *s, const char *name, const char *day, bool *due)
{
	if (name == NULL || !day_valid(day) || due == NULL)
		return IDG_INVALID;
	return s->ops->job_due(s, name, day, due);
}

int
idg_store_job_done(struct idg_store *s, const char *name, const char *day)
{
	if (name == NULL || !day_valid(day))
		return IDG_INVALID;
	return s->ops->job_done(s, name, day);
}

int
idg_store_audit_list(struct idg_store *s, int64_t tenant_id, int limit,
    idg_audit_each_fn *fn, void *arg)
{
	if (limit <= 0)
		return IDG_INVALID;
	return s->ops->audit_list(s, tenant_id, limit, fn, arg);
}

/* OpenID provider. */

/* Whether the NUL lies inside the array: a field that does not fit is refused, not cut. */
static bool
fits(const char *field, size_t size)
{
	return memchr(field, '\0', size) != NULL;
}

#define PEM_CERT_BEGIN "-----BEGIN CERTIFICATE-----"

static bool
alg_ok(const char *alg)
{
	return strcmp(alg, "RS256") == 0 || strcmp(alg, "ES256") == 0;
}

/* Non-empty, fits, no control characters or spaces (ids, kids, names of things). */
static bool
token_ok(const char *t, size_t size)
{
	if (!fits(t, size) || t[0] == '\0')
		return false;
	for (; *t != '\0'; t++)
		if ((unsigned char)*t <= 0x20 || *t == 0x7f)
			return false;
	return true;
}

static bool
hex64(const char *h)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return false;
	return h[64] == '\0';
}

int
idg_store_key_add(struct idg_store *s, struct idg_signing_key *k)
{
	if (k == NULL)
		return IDG_INVALID;
	if (k->use[0] == '\0')
		memcpy(k->use, "oidc", sizeof("oidc"));
	if (!token_ok(k->use, sizeof(k->use)) || !fits(k->alg, sizeof(k->alg)) ||
	    !alg_ok(k->alg) || !token_ok(k->kid, sizeof(k->kid)) ||
	    !fits(k->sealed, sizeof(k->sealed)) || k->sealed[0] == '\0' ||
	    !fits(k->public_jwk, sizeof(k->public_jwk)) || k->public_jwk[0] == '\0' ||
	    (k->status != IDG_KEY_NEXT && k->status != IDG_KEY_CURRENT))
		return IDG_INVALID;
	/* A SAML IdP key is RSA (RS256) and publishes its certificate, not a JWK. */
	if (strcmp(k->use, IDG_SAML_KEY_USE) == 0 && (strcmp(k->alg, "RS256") != 0 ||
	    strncmp(k->public_jwk, PEM_CERT_BEGIN, sizeof(PEM_CERT_BEGIN) - 1) != 0 ||
	    strstr(k->public_jwk, "-----END CERTIFICATE-----") == NULL))
		return IDG_INVALID;
	return s->ops->key_add(s, k);
}

int
idg_store_key_list(struct idg_store *s, int64_t tenant_id, const char *use,
    idg_key_each_fn *fn, void *arg)
{
	if (fn == NULL)
		return IDG_INVALID;
	return s->ops->key_list(s, tenant_id, use, fn, arg);
}

int
idg_store_key_promote(struct idg_store *s, int64_t tenant_id, const char *use,
    const char *alg)
{
	if (use == NULL || alg == NULL || !alg_ok(alg))
		return IDG_INVALID;
	return s->ops->key_promote(s, tenant_id, use, alg);
}

int
idg_store_key_purge_retired(struct idg_store *s, int64_t tenant_id, int64_t before, int *n)
{
	int count = 0, st;

	st = s->ops->key_purge_retired(s, tenant_id, NULL, before, &count);
	if (n != NULL)
		*n = st == IDG_OK ? count : 0;
	return st;
}

int
idg_store_key_purge_use(struct idg_store *s, int64_t tenant_id, const char *use, int64_t before,
    int *n)
{
	int count = 0, st;

	if (n != NULL)
		*n = 0;
	if (use == NULL)
		return IDG_INVALID;
	st = s->ops->key_purge_retired(s, tenant_id, use, before, &count);
	if (n != NULL && st == IDG_OK)
		*n = count;
	return st;
}

int
idg_store_oidc_client_add(struct idg_store *s, struct idg_oidc_client *c)
{
	if (c == NULL)
		return IDG_INVALID;
	if (!fits(c->scopes, sizeof(c->scopes)) || !fits(c->grant_types,
	    sizeof(c->grant_types)) || !fits(c->id_token_alg, sizeof(c->id_token_alg)))
		return IDG_INVALID;
	if (c->scopes[0] == '\0')
		memcpy(c->scopes, IDG_OIDC_DEFAULT_SCOPES, sizeof(IDG_OIDC_DEFAULT_SCOPES));
	if (c->grant_types[0] == '\0')
		memcpy(c->grant_types, IDG_OIDC_DEFAULT_GRANTS, sizeof(IDG_OIDC_DEFAULT_GRANTS));
	if (c->id_token_alg[0] == '\0')
		memcpy(c->id_token_alg, IDG_OIDC_DEFAULT_ALG, sizeof(IDG_OIDC_DEFAULT_ALG));
	if (c->access_token_ttl_s == 0)
		c->access_token_ttl_s = IDG_OIDC_DEFAULT_ACCESS_TTL_S;
	if (c->id_token_ttl_s == 0)
		c->id_token_ttl_s = IDG_OIDC_DEFAULT_ID_TTL_S;
	if (c->refresh_token_ttl_s == 0)
		c->refresh_token_ttl_s = IDG_OIDC_DEFAULT_REFRESH_TTL_S;
	if (!token_ok(c->client_id, sizeof(c->client_id)) || !fits(c->name, sizeof(c->name)) ||
	    c->name[0] == '\0' || !fits(c->secret_hash, sizeof(c->secret_hash)) ||
	    !fits(c->redirect_uris, sizeof(c->redirect_uris)) ||
	    !fits(c->post_logout_uris, sizeof(c->post_logout_uris)) ||
	    !fits(c->initiate_login_uri, sizeof(c->initiate_login_uri)) ||
	    !alg_ok(c->id_token_alg) || c->access_token_ttl_s < 0 || c->id_token_ttl_s < 0 ||
	    c->refresh_token_ttl_s < 0)
		return IDG_INVALID;
	/* A confidential client authenticates with its secret; a public one cannot hold one. */
	if (c->confidential ? !hex64(c->secret_hash) : c->secret_hash[0] != '\0')
		return IDG_INVALID;
	return s->ops->oidc_client_add(s, c);
}

int
idg_store_oidc_client_get(struct idg_store *s, int64_t tenant_id, const char *client_id,
    struct idg_oidc_client *out)
{
	if (client_id == NULL)
		return IDG_INVALID;
	return s->ops->oidc_client_get(s, tenant_id, client_id, out);
}

int
idg_store_oidc_client_list(struct idg_store *s, int64_t tenant_id,
    idg_oidc_client_each_fn *fn, void *arg)
{
	if (fn == NULL)
		return IDG_INVALID;
	return s->ops->oidc_client_list(s, tenant_id, fn, arg);
}

int
idg_store_oidc_client_delete(struct idg_store *s, int64_t tenant_id, const char *client_id)
{
	if (client_id == NULL)
		return IDG_INVALID;
	return s->ops->oidc_client_delete(s, tenant_id, client_id);
}

int
idg_store_oidc_client_set_secret(struct idg_store *s, int64_t tenant_id,
    const char *client_id, const char *secret_hash)
{
	if (client_id == NULL || secret_hash == NULL || strlen(secret_hash) != 64 ||
	    !hex64(secret_hash))
		return IDG_INVALID;
	return s->ops->oidc_client_set_secret(s, tenant_id, client_id, secret_hash);
}

int
idg_store_oidc_client_assign(struct idg_store *s, int64_t tenant_id, const char *client_id,
    const char *kind, const char *who)
{
	if (client_id == NULL || kind == NULL || who == NULL ||
	    (strcmp(kind, "user") != 0 && strcmp(kind, "group") != 0))
		return IDG_INVALID;
	return s->ops->oidc_client_assign(s, tenant_id, client_id, kind, who);
}

int
idg_store_oidc_client_assignments(struct idg_store *s, int64_t tenant_id,
    const char *client_id, idg_client_assignment_each_fn *fn, void *arg)
{
	if (client_id == NULL || fn == NULL)
		return IDG_INVALID;
	return s->ops->oidc_client_assignments(s, tenant_id, client_id, fn, arg);
}

int
idg_store_oidc_client_users(struct idg_store *s, int64_t tenant_id,
    idg_client_user_each_fn *fn, void *arg)
{
	if (fn == NULL)
		return IDG_INVALID;
	return s->ops->oidc_client_users(s, tenant_id, fn, arg);
}

/* Second factor and tenant policy. */

int
idg_store_mfa_get(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    struct idg_user_mfa *out)
{
	if (out == NULL)
		return IDG_INVALID;
	memset(out, 0, sizeof(*out));
	return s->ops->mfa_get(s, tenant_id, user_id, out);
}

int
idg_store_mfa_begin(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    const char *totp_sealed)
{
	if (totp_sealed == NULL || totp_sealed[0] == '\0' ||
	    strlen(totp_sealed) >= sizeof(((struct idg_user_mfa *)0)->totp_sealed))
		return IDG_INVALID;
	return s->ops->mfa_begin(s, tenant_id, user_id, totp_sealed);
}

int
idg_store_mfa_confirm(struct idg_store *s, int64_t tenant_id, int64_t user_id, int64_t step,
    const char hashes[][65], int nhashes)
{
	int i;

	if (step < 0 || nhashes < 0 || nhashes > IDG_MFA_MAX_RECOVERY ||
	    (nhashes > 0 && hashes == NULL))
		return IDG_INVALID;
	for (i = 0; i < nhashes; i++)
		if (!hex64(hashes[i]))
			return IDG_INVALID;
	return s->ops->mfa_confirm(s, tenant_id, user_id, step, hashes, nhashes);
}

int
idg_store_mfa_use_step(struct idg_store *s, int64_t tenant_id, int64_t user_id, int64_t step)
{
	if (step <= 0)
		return IDG_DECLINED;	/* last_step starts at 0: nothing at or below it */
	return s->ops->mfa_use_step(s, tenant_id, user_id, step);
}

int
idg_store_mfa_use_recovery(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    const char *hash)
{
	if (hash == NULL || !hex64(hash))
		return IDG_INVALID;
	return s->ops->mfa_use_recovery(s, tenant_id, user_id, hash);
}

int
idg_store_mfa_reset(struct idg_store *s, int64_t tenant_id, int64_t user_id)
{
	return s->ops->mfa_reset(s, tenant_id, user_id);
}

int
idg_store_policy_get(struct idg_store *s, int64_t tenant_id, char **text, bool *mfa_required)
{
	if (text == NULL || mfa_required == NULL)
		return IDG_INVALID;
	*text = NULL;
	*mfa_required = false;
	return s->ops->policy_get(s, tenant_id, text, mfa_required);
}

int
idg_store_policy_set(struct idg_store *s, int64_t tenant_id, const char *text,
    int mfa_required)
{
	if (mfa_required < -1 || mfa_required > 1)
		return IDG_INVALID;
	if (text != NULL && strlen(text) > IDG_POLICY_TEXT_MAX)
		return IDG_INVALID;
	return s->ops->policy_set(s, tenant_id, text, mfa_required);
}

/* Tenant security settings. */

/* Zero ("config's value" or "never") or within [lo, hi]. */
static bool
zero_or(int v, int lo, int hi)
{
	return v == 0 || (v >= lo && v <= hi);
}

int
idg_store_security_get(struct idg_store *s, int64_t tenant_id,
    struct idg_tenant_security *out)
{
	if (out == NULL)
		return IDG_INVALID;
	memset(out, 0, sizeof(*out));
	return s->ops->security_get(s, tenant_id, out);
}

int
idg_store_security_set(struct idg_store *s, int64_t tenant_id,
    const struct idg_tenant_security *in)
{
	if (in == NULL ||
	    !zero_or(in->password_min_length, IDG_SEC_PW_MIN_LENGTH_MIN,
	    IDG_SEC_PW_MIN_LENGTH_MAX) ||
	    !zero_or(in->password_expiry_days, IDG_SEC_DAYS_MIN, IDG_SEC_DAYS_MAX) ||
	    !zero_or(in->suspend_unused_days, IDG_SEC_DAYS_MIN, IDG_SEC_DAYS_MAX) ||
	    !zero_or(in->session_idle_s, IDG_SEC_SESSION_MIN_S, IDG_SEC_SESSION_IDLE_MAX_S) ||
	    !zero_or(in->session_lifetime_s, IDG_SEC_SESSION_MIN_S,
	    IDG_SEC_SESSION_LIFETIME_MAX_S))
		return IDG_INVALID;
	return s->ops->security_set(s, tenant_id, in);
}

int
idg_store_suspend_unused(struct idg_store *s, int64_t tenant_id, int64_t before, int64_t now,
    int *n)
{
	if (n == NULL)
		return IDG_INVALID;
	*n = 0;
	return s->ops->suspend_unused(s, tenant_id, before, now, n);
}

/*
 * The device-certificate option. The count rules of certs/devcert.h are
 * re-stated here and in the backend rather than called, so the store does
 * not link certs/ (and OpenSSL through it).
 */

/* idg_devlic_check_count: 0 (off) or a multiple of the block, at least one block. */
static bool
devlic_count_ok(int n)
{
	return n == 0 || (n >= IDG_DEVCERT_BLOCK && n <= IDG_DEVCERT_MAX_LICENSED &&
	    n % IDG_DEVCERT_BLOCK == 0);
}

/* A certificate serial as stored: 1..32 lower-case hex digits. */
static bool
serial_ok(const char *serial)
{
	size_t i;

	for (i = 0; serial[i] != '\0'; i++)
		if (i >= IDG_DEVCERT_SERIAL_HEX - 1 || !((serial[i] >= '0' && serial[i] <= '9') ||
		    (serial[i] >= 'a' && serial[i] <= 'f')))
			return false;
	return i > 0;
}

/*
 * The lower-cased copy of a serial given to a lookup. False for one no
 * stored serial can equal (the caller answers IDG_NOTFOUND).
 */
static bool
serial_norm(const char *in, char out[IDG_DEVCERT_SERIAL_HEX])
{
	if (in == NULL || strlen(in) >= IDG_DEVCERT_SERIAL_HEX)
		return false;
	idg_strlcpy(out, in, IDG_DEVCERT_SERIAL_HEX);
	idg_str_lower(out);
	return serial_ok(out);
}

/* Non-NULL and shorter than size (a field that does not fit is refused, not cut). */
static bool
text_fits(const char *t, size_t size)
{
	return t != NULL && strlen(t) < size;
}

int
idg_store_device_settings_get(struct idg_store *s, int64_t tenant_id,
    struct idg_device_settings *out)
{
	if (out == NULL)
		return IDG_INVALID;
	memset(out, 0, sizeof(*out));
	return s->ops->device_settings_get(s, tenant_id, out);
}

int
idg_store_device_settings_set(struct idg_store *s, int64_t tenant_id,
    const struct idg_device_settings *in, int64_t now, int *why,
    struct idg_license_numbers *lic)
{
	struct idg_license_numbers n = { 0, 0, 0 };
	int w = IDG_DEVREF_NONE, st;

	if (why != NULL)
		*why = IDG_DEVREF_NONE;
	if (in == NULL || !devlic_count_ok(in->licensed))
		return IDG_INVALID;
	st = s->ops->device_settings_set(s, tenant_id, in, now, &w, &n);
	if (why != NULL)
		*why = w;
	if (lic != NULL)
		*lic = n;
	return st;
}

int
idg_store_user_device_license(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    bool on, int64_t now, int *why, struct idg_license_numbers *lic)
{
	struct idg_license_numbers n = { 0, 0, 0 };
	int w = IDG_DEVREF_NONE, st;

	st = s->ops->user_device_license(s, tenant_id, user_id, on, now, &w, &n);
	if (why != NULL)
		*why = w;
	if (lic != NULL)
		*lic = n;
	return st;
}

int
idg_store_user_has_device_license(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    bool *on)
{
	if (on == NULL)
		return IDG_INVALID;
	*on = false;
	return s->ops->user_has_device_license(s, tenant_id, user_id, on);
}

int
idg_store_ca_get(struct idg_store *s, int64_t tenant_id, struct idg_tenant_ca *out)
{
	if (out == NULL)
		return IDG_INVALID;
	memset(out, 0, sizeof(*out));
	return s->ops->ca_get(s, tenant_id, out);
}

int
idg_store_ca_put(struct idg_store *s, const struct idg_tenant_ca *ca)
{
	if (ca == NULL || (ca->alg != IDG_CA_EC_P256 && ca->alg != IDG_CA_RSA_2048 &&
	    ca->alg != IDG_CA_RSA_3072) || !fits(ca->key_sealed, sizeof(ca->key_sealed)) ||
	    ca->key_sealed[0] == '\0' || ca->cert_len == 0 ||
	    ca->cert_len > sizeof(ca->cert_der))
		return IDG_INVALID;
	return s->ops->ca_put(s, ca);
}

int
idg_store_crl_get(struct idg_store *s, int64_t tenant_id, uint8_t **der, size_t *len,
    int64_t *number, int64_t *next_update)
{
	int64_t num = 0, next = 0;
	int st;

	if (der == NULL || len == NULL)
		return IDG_INVALID;
	*der = NULL;
	*len = 0;
	st = s->ops->crl_get(s, tenant_id, der, len, &num, &next);
	if (number != NULL)
		*number = num;
	if (next_update != NULL)
		*next_update = next;
	return st;
}

int
idg_store_crl_put(struct idg_store *s, int64_t tenant_id, const uint8_t *der, size_t len,
    int64_t number, int64_t next_update)
{
	/* RFC 5280 5.2.3: CRL numbers are positive and increase. */
	if (der == NULL || len == 0 || number <= 0)
		return IDG_INVALID;
	return s->ops->crl_put(s, tenant_id, der, len, number, next_update);
}

int
idg_store_crl_next_number(struct idg_store *s, int64_t tenant_id, int64_t *number)
{
	if (number == NULL)
		return IDG_INVALID;
	*number = 0;
	return s->ops->crl_next_number(s, tenant_id, number);
}

int
idg_store_devcert_add(struct idg_store *s, struct idg_devcert *c, const uint8_t *der,
    size_t der_len, int64_t now, int *why, int *valid_now)
{
	int w = IDG_DEVREF_NONE, valid = 0, st;

	if (why != NULL)
		*why = IDG_DEVREF_NONE;
	if (valid_now != NULL)
		*valid_now = 0;
	if (c == NULL || der == NULL || der_len == 0 || !fits(c->serial, sizeof(c->serial)) ||
	    !serial_ok(c->serial) || !token_ok(c->device_id, sizeof(c->device_id)) ||
	    !fits(c->device_name, sizeof(c->device_name)) ||
	    !fits(c->device_type, sizeof(c->device_type)) ||
	    !fits(c->device_identifier, sizeof(c->device_identifier)) ||
	    !fits(c->enrolled_by, sizeof(c->enrolled_by)) || c->not_after <= c->not_before)
		return IDG_INVALID;
	st = s->ops->devcert_add(s, c, der, der_len, now, &w, &valid);
	if (why != NULL)
		*why = w;
	if (valid_now != NULL)
		*valid_now = valid;
	return st;
}

int
idg_store_devcert_get(struct idg_store *s, int64_t tenant_id, const char *serial,
    struct idg_devcert *out)
{
	char sn[IDG_DEVCERT_SERIAL_HEX];

	if (serial == NULL || out == NULL)
		return IDG_INVALID;
	memset(out, 0, sizeof(*out));
	if (!serial_norm(serial, sn))
		return IDG_NOTFOUND;
	return s->ops->devcert_get(s, tenant_id, sn, out);
}

int
idg_store_devcert_der(struct idg_store *s, int64_t tenant_id, const char *serial,
    uint8_t **der, size_t *len)
{
	char sn[IDG_DEVCERT_SERIAL_HEX];

	if (serial == NULL || der == NULL || len == NULL)
		return IDG_INVALID;
	*der = NULL;
	*len = 0;
	if (!serial_norm(serial, sn))
		return IDG_NOTFOUND;
	return s->ops->devcert_der(s, tenant_id, sn, der, len);
}

int
idg_store_devcert_revoke(struct idg_store *s, int64_t tenant_id, const char *serial,
    int64_t user_id, const char *by, int64_t now)
{
	char sn[IDG_DEVCERT_SERIAL_HEX];

	if (serial == NULL || user_id < 0 || (by != NULL &&
	    !text_fits(by, sizeof(((struct idg_devcert *)0)->revoked_by))))
		return IDG_INVALID;
	if (!serial_norm(serial, sn))
		return IDG_NOTFOUND;
	return s->ops->devcert_revoke(s, tenant_id, sn, user_id, by != NULL ? by : "", now);
}

int
idg_store_devcert_revoke_user(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    const char *by, int64_t now, int *n)
{
	int count = 0, st;

	if (n != NULL)
		*n = 0;
	if (by != NULL && !text_fits(by, sizeof(((struct idg_devcert *)0)->revoked_by)))
		return IDG_INVALID;
	st = s->ops->devcert_revoke_user(s, tenant_id, user_id, by != NULL ? by : "", now,
	    &count);
	if (n != NULL && st == IDG_OK)
		*n = count;
	return st;
}

int
idg_store_devcert_list(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    idg_devcert_each_fn *fn, void *arg)
{
	if (fn == NULL || user_id < 0)
		return IDG_INVALID;
	return s->ops->devcert_list(s, tenant_id, user_id, fn, arg);
}

int
idg_store_devcert_revoked(struct idg_store *s, int64_t tenant_id, idg_devcert_each_fn *fn,
    void *arg)
{
	if (fn == NULL)
		return IDG_INVALID;
	return s->ops->devcert_revoked(s, tenant_id, fn, arg);
}

int
idg_store_devcert_counts(struct idg_store *s, int64_t tenant_id, int64_t user_id, int64_t now,
    struct idg_devcert_counts *out)
{
	if (out == NULL || user_id < 0)
		return IDG_INVALID;
	memset(out, 0, sizeof(*out));
	return s->ops->devcert_counts(s, tenant_id, user_id, now, out);
}

int
idg_store_devcert_period(struct idg_store *s, int64_t tenant_id, int64_t from, int64_t to,
    struct idg_devcert_period *out)
{
	if (out == NULL || to < from)
		return IDG_INVALID;
	memset(out, 0, sizeof(*out));
	return s->ops->devcert_period(s, tenant_id, from, to, out);
}

int
idg_store_device_prereg_add(struct idg_store *s, int64_t tenant_id, const char *email,
    const char *device_type, const char *device_identifier)
{
	if (email == NULL || device_identifier == NULL || device_identifier[0] == '\0' ||
	    !text_fits(device_identifier,
	    sizeof(((struct idg_devcert *)0)->device_identifier)) ||
	    (device_type != NULL && !text_fits(device_type,
	    sizeof(((struct idg_devcert *)0)->device_type))))
		return IDG_INVALID;
	return s->ops->device_prereg_add(s, tenant_id, email,
	    device_type != NULL ? device_type : "", device_identifier);
}

int
idg_store_device_prereg_match(struct idg_store *s, int64_t tenant_id, const char *email,
    const char *device_identifier, bool *match)
{
	if (match == NULL)
		return IDG_INVALID;
	*match = false;
	if (email == NULL || device_identifier == NULL || device_identifier[0] == '\0')
		return IDG_OK;	/* nothing names no device */
	return s->ops->device_prereg_match(s, tenant_id, email, device_identifier, match);
}

int
idg_store_device_request_add(struct idg_store *s, struct idg_device_request *r,
    const uint8_t *csr_der, size_t csr_len)
{
	if (r == NULL || csr_der == NULL || csr_len == 0 ||
	    !token_ok(r->device_id, sizeof(r->device_id)) ||
	    !fits(r->device_name, sizeof(r->device_name)) ||
	    !fits(r->device_type, sizeof(r->device_type)) ||
	    !fits(r->device_identifier, sizeof(r->device_identifier)))
		return IDG_INVALID;
	return s->ops->device_request_add(s, r, csr_der, csr_len);
}

int
idg_store_device_request_get(struct idg_store *s, int64_t tenant_id, int64_t id,
    struct idg_device_request *out, uint8_t **csr_der, size_t *csr_len)
{
	if (out == NULL || (csr_der == NULL) != (csr_len == NULL))
		return IDG_INVALID;
	memset(out, 0, sizeof(*out));
	if (csr_der != NULL) {
		*csr_der = NULL;
		*csr_len = 0;
	}
	return s->ops->device_request_get(s, tenant_id, id, out, csr_der, csr_len);
}

int
idg_store_device_request_list(struct idg_store *s, int64_t tenant_id,
    idg_device_request_each_fn *fn, void *arg)
{
	if (fn == NULL)
		return IDG_INVALID;
	return s->ops->device_request_list(s, tenant_id, fn, arg);
}

int
idg_store_device_request_decide(struct idg_store *s, int64_t tenant_id, int64_t id,
    int status, const char *serial, const char *by, int64_t now)
{
	char sn[IDG_DEVCERT_SERIAL_HEX] = "";

	/* An approval names the certificate it issued; a rejection names none. */
	if (status == 1) {
		if (serial == NULL || !serial_norm(serial, sn))
			return IDG_INVALID;
	} else if (status != 2 || (serial != NULL && serial[0] != '\0')) {
		return IDG_INVALID;
	}
	if (by != NULL && !text_fits(by, sizeof(((struct idg_devcert *)0)->revoked_by)))
		return IDG_INVALID;
	return s->ops->device_request_decide(s, tenant_id, id, status, sn, by != NULL ? by : "",
	    now);
}

/* SAML IdP. */

void
idg_saml_app_clear(struct idg_saml_app *a)
{
	if (a == NULL)
		return;
	free(a->metadata);
	memset(a, 0, sizeof(*a));
}

/* The app_id of URLs: 1..63 characters [a-z0-9-]. */
static bool
saml_app_id_ok(const char *id)
{
	size_t n;

	if (id == NULL || (n = strlen(id)) == 0 || n > IDG_SAML_APP_ID_MAX)
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* "email", or "attr:" and a user attribute's name (1..64 of [A-Za-z0-9_.-]). */
static bool
nameid_source_ok(const char *src)
{
	static const char name_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-";
	size_t n;

	if (strcmp(src, "email") == 0)
		return true;
	if (strncmp(src, "attr:", 5) != 0)
		return false;
	n = strlen(src + 5);
	return n > 0 && n <= 64 && strspn(src + 5, name_chars) == n;
}

/* The checks of idg_store_saml_app_add (and _update); defaults nameid_source. */
static int
saml_app_check(struct idg_saml_app *a)
{
	size_t n;

	if (a == NULL || !fits(a->app_id, sizeof(a->app_id)) || !saml_app_id_ok(a->app_id) ||
	    !fits(a->name, sizeof(a->name)) || a->name[0] == '\0' ||
	    !idg_utf8_text_valid(a->name) || !token_ok(a->entity_id, sizeof(a->entity_id)) ||
	    !fits(a->nameid_source, sizeof(a->nameid_source)) ||
	    !fits(a->attributes, sizeof(a->attributes)) || a->metadata == NULL)
		return IDG_INVALID;
	n = strnlen(a->metadata, IDG_SAML_METADATA_MAX + 1);
	if (n == 0 || n > IDG_SAML_METADATA_MAX)
		return IDG_INVALID;
	if (a->nameid_source[0] == '\0')
		memcpy(a->nameid_source, "email", sizeof("email"));
	if (!nameid_source_ok(a->nameid_source) || a->nameid_format < 0 ||
	    a->nameid_format > 2)
		return IDG_INVALID;
	/* An answer signed nowhere could be forged by anyone on the way. */
	if (!a->sign_assertion && !a->sign_response)
		return IDG_INVALID;
	return IDG_OK;
}

int
idg_store_saml_app_add(struct idg_store *s, struct idg_saml_app *a)
{
	int st;

	if ((st = saml_app_check(a)) != IDG_OK)
		return st;
	return s->ops->saml_app_add(s, a);
}

int
idg_store_saml_app_get(struct idg_store *s, int64_t tenant_id, const char *app_id,
    struct idg_saml_app *out)
{
	if (out == NULL)
		return IDG_INVALID;
	memset(out, 0, sizeof(*out));
	if (app_id == NULL)
		return IDG_INVALID;
	return s->ops->saml_app_get(s, tenant_id, app_id, NULL, out);
}

int
idg_store_saml_app_get_by_entity(struct idg_store *s, int64_t tenant_id,
    const char *entity_id, struct idg_saml_app *out)
{
	if (out == NULL)
		return IDG_INVALID;
	memset(out, 0, sizeof(*out));
	if (entity_id == NULL)
		return IDG_INVALID;
	return s->ops->saml_app_get(s, tenant_id, NULL, entity_id, out);
}

int
idg_store_saml_app_list(struct idg_store *s, int64_t tenant_id, idg_saml_app_each_fn *fn,
    void *arg)
{
	if (fn == NULL)
		return IDG_INVALID;
	return s->ops->saml_app_list(s, tenant_id, fn, arg);
}

int
idg_store_saml_app_update(struct idg_store *s, struct idg_saml_app *a)
{
	int st;

	if ((st = saml_app_check(a)) != IDG_OK)
		return st;
	return s->ops->saml_app_update(s, a);
}

int
idg_store_saml_app_delete(struct idg_store *s, int64_t tenant_id, const char *app_id)
{
	if (app_id == NULL)
		return IDG_INVALID;
	return s->ops->saml_app_delete(s, tenant_id, app_id);
}

static bool
assign_args_ok(const char *app_id, const char *kind, const char *who)
{
	return app_id != NULL && kind != NULL && who != NULL &&
	    (strcmp(kind, "user") == 0 || strcmp(kind, "group") == 0);
}

int
idg_store_saml_app_assign(struct idg_store *s, int64_t tenant_id, const char *app_id,
    const char *kind, const char *who)
{
	if (!assign_args_ok(app_id, kind, who))
		return IDG_INVALID;
	return s->ops->saml_app_assign(s, tenant_id, app_id, kind, who, true);
}

int
idg_store_saml_app_unassign(struct idg_store *s, int64_t tenant_id, const char *app_id,
    const char *kind, const char *who)
{
	if (!assign_args_ok(app_id, kind, who))
		return IDG_INVALID;
	return s->ops->saml_app_assign(s, tenant_id, app_id, kind, who, false);
}

int
idg_store_saml_app_assignments(struct idg_store *s, int64_t tenant_id, const char *app_id,
    idg_client_assignment_each_fn *fn, void *arg)
{
	if (app_id == NULL || fn == NULL)
		return IDG_INVALID;
	return s->ops->saml_app_assignments(s, tenant_id, app_id, fn, arg);
}

int
idg_store_saml_app_users(struct idg_store *s, int64_t tenant_id, idg_client_user_each_fn *fn,
    void *arg)
{
	if (fn == NULL)
		return IDG_INVALID;
	return s->ops->saml_app_users(s, tenant_id, fn, arg);
}
