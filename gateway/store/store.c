/*
 * store.c - the driver registry and the idg_store_* dispatchers of store.h.
 *
 * Each call checks its arguments that every backend would check the same
 * way (NULL pointers, tenant ids), then goes through the instance's ops
 * table. No SQL and no backend knowledge here: adding a backend is one new
 * file and one row in `drivers` below.
 */
#include "store_impl.h"

#include <string.h>

#include "../util/log.h"
#include "../util/status.h"

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

int
idg_store_audit_append(struct idg_store *s, const struct idg_audit_event *e)
{
	if (e == NULL || e->actor == NULL || e->action == NULL || e->result == NULL)
		return IDG_INVALID;
	return s->ops->audit_append(s, e);
}

int
idg_store_audit_list(struct idg_store *s, int64_t tenant_id, int limit,
    idg_audit_each_fn *fn, void *arg)
{
	if (limit <= 0)
		return IDG_INVALID;
	return s->ops->audit_list(s, tenant_id, limit, fn, arg);
}
