/*
 * test_store_saml.c - the SAML IdP tables of the SQLite store
 * (gateway/store, migration 0010): SAML apps (add with defaults, get by
 * app_id and by entity ID, list, update, delete), duplicate app_id and
 * entity ID, every refused field, assignments by user and by group as
 * expanded by idg_store_saml_app_users, unassign, the apps listed for
 * cancellation and purged by it, the generation bump on every write, and
 * the IdP keys kept in signing_keys with use "saml" (a real RSA 3072
 * certificate in PEM; add, list, promote, purge of that use only). Against
 * a real database file in a fresh temporary folder per test. Not the CLI
 * (tests/unit/cli/test_cli_saml.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "gateway/store/store.h"
#include "gateway/util/status.h"
#include "tests/unit/sql_int.h"

#define HASH "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"
#define MD "<md:EntityDescriptor entityID=\"https://sp.example.com\"/>"

struct fx {
	char			 dir[64];
	char			 path[128];
	struct idg_store	*s;
	struct idg_tenant	 t;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct idg_store_config cfg = { "sqlite", NULL, 5000 };

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/idg-store-saml-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/idgate.db", f->dir);
	cfg.sqlite_path = f->path;
	assert_int_equal(idg_store_open(&cfg, &f->s), IDG_OK);
	assert_int_equal(idg_store_migrate(f->s, NULL), IDG_OK);
	assert_int_equal(idg_store_tenant_create(f->s, "acme", "Acme", 20, HASH, HASH, &f->t),
	    IDG_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	idg_store_free(f->s);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* One SQL query through a separate connection. */
static int64_t
gen(struct fx *f)
{
	int64_t g = -1;

	assert_int_equal(idg_store_generation(f->s, &g), IDG_OK);
	return g;
}

/* A valid app: defaults a caller would use. The metadata is borrowed from md. */
static void
app_init(struct fx *f, struct idg_saml_app *a, const char *app_id, const char *entity,
    const char *md)
{
	memset(a, 0, sizeof(*a));
	a->tenant_id = f->t.id;
	snprintf(a->app_id, sizeof(a->app_id), "%s", app_id);
	snprintf(a->name, sizeof(a->name), "App %s", app_id);
	snprintf(a->entity_id, sizeof(a->entity_id), "%s", entity);
	a->metadata = (char *)md;
	a->nameid_format = 1;
	a->sign_assertion = true;
	a->sign_response = true;
	a->sp_initiated = true;
	a->idp_initiated = true;
}

static int
add(struct fx *f, const char *app_id, const char *entity)
{
	struct idg_saml_app a;

	app_init(f, &a, app_id, entity, MD);
	return idg_store_saml_app_add(f->s, &a);
}

/* app_id list as "a b c" (list order), metadata lengths checked on the way. */
struct names {
	char	text[512];
	int	n;
};

static int
name_row(void *arg, const struct idg_saml_app *a)
{
	struct names *l = arg;
	size_t len = strlen(l->text);

	assert_non_null(a->metadata);
	assert_true(strlen(a->metadata) > 0);
	snprintf(l->text + len, sizeof(l->text) - len, "%s%s", len > 0 ? " " : "", a->app_id);
	l->n++;
	return 0;
}

static const char *
names(struct fx *f, struct names *l)
{
	memset(l, 0, sizeof(*l));
	assert_int_equal(idg_store_saml_app_list(f->s, f->t.id, name_row, l), IDG_OK);
	return l->text;
}

static void
test_app_add_get_list(void **state)
{
	struct fx *f = *state;
	struct idg_saml_app a, b;
	struct names l;
	int64_t g;

	app_init(f, &a, "salesforce", "https://sp.example.com", MD);
	a.nameid_format = 2;
	snprintf(a.attributes, sizeof(a.attributes), "mail=email\ngroups=groups\n");
	a.sign_requests = true;
	a.sign_response = false;
	a.encrypt_assertion = true;
	a.idp_initiated = false;
	a.device_required = true;
	g = gen(f);
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_OK);
	assert_true(gen(f) > g);
	assert_true(a.id > 0);
	assert_true(a.created_at > 0);
	assert_string_equal(a.nameid_source, "email");	/* defaulted and written back */

	/* Every field comes back, with an owned copy of the metadata. */
	assert_int_equal(idg_store_saml_app_get(f->s, f->t.id, "salesforce", &b), IDG_OK);
	assert_int_equal(b.id, a.id);
	assert_int_equal(b.tenant_id, f->t.id);
	assert_string_equal(b.app_id, "salesforce");
	assert_string_equal(b.name, "App salesforce");
	assert_string_equal(b.entity_id, "https://sp.example.com");
	assert_non_null(b.metadata);
	assert_ptr_not_equal(b.metadata, a.metadata);
	assert_string_equal(b.metadata, MD);
	assert_int_equal(b.nameid_format, 2);
	assert_string_equal(b.nameid_source, "email");
	assert_string_equal(b.attributes, "mail=email\ngroups=groups\n");
	assert_true(b.sign_requests);
	assert_true(b.sign_assertion);
	assert_false(b.sign_response);
	assert_true(b.encrypt_assertion);
	assert_true(b.sp_initiated);
	assert_false(b.idp_initiated);
	assert_true(b.device_required);
	assert_int_equal(b.created_at, a.created_at);
	idg_saml_app_clear(&b);
	assert_null(b.metadata);
	idg_saml_app_clear(&b);	/* twice is harmless */

	/* By entity ID. */
	assert_int_equal(idg_store_saml_app_get_by_entity(f->s, f->t.id, "https://sp.example.com",
	    &b), IDG_OK);
	assert_string_equal(b.app_id, "salesforce");
	assert_string_equal(b.metadata, MD);
	idg_saml_app_clear(&b);

	/* Not found: unknown ids, another tenant's id space. */
	assert_int_equal(idg_store_saml_app_get(f->s, f->t.id, "nope", &b), IDG_NOTFOUND);
	assert_null(b.metadata);
	assert_int_equal(idg_store_saml_app_get_by_entity(f->s, f->t.id, "https://other", &b),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_saml_app_get(f->s, f->t.id + 1000, "salesforce", &b),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_saml_app_get(f->s, f->t.id, NULL, &b), IDG_INVALID);

	/* The list is ordered by app_id and carries the metadata. */
	assert_int_equal(add(f, "box", "https://box.example.com"), IDG_OK);
	assert_int_equal(add(f, "zoom-1", "https://zoom.example.com"), IDG_OK);
	assert_string_equal(names(f, &l), "box salesforce zoom-1");
	assert_int_equal(l.n, 3);
}

static void
test_app_duplicates(void **state)
{
	struct fx *f = *state;
	struct idg_tenant t2;
	struct names l;

	assert_int_equal(add(f, "app", "https://sp.example.com"), IDG_OK);
	/* app_id taken, entity ID taken: both refused, nothing written. */
	assert_int_equal(add(f, "app", "https://other.example.com"), IDG_EXISTS);
	assert_int_equal(add(f, "app2", "https://sp.example.com"), IDG_EXISTS);
	assert_string_equal(names(f, &l), "app");
	/* Another tenant has its own name spaces. */
	assert_int_equal(idg_store_tenant_create(f->s, "beta", "Beta", 20, HASH, HASH, &t2),
	    IDG_OK);
	{
		struct idg_saml_app a;

		app_init(f, &a, "app", "https://sp.example.com", MD);
		a.tenant_id = t2.id;
		assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_OK);
	}
}

static void
test_app_invalid(void **state)
{
	struct fx *f = *state;
	struct idg_saml_app a;
	char *big;
	int64_t g = gen(f);
	size_t i;
	static const char *const bad_ids[] = { "", "Upper", "with space", "under_score", "dot.",
		"slash/", "é", NULL };
	static const char *const bad_sources[] = { "mail", "attr:", "attr:a b", "attr:x/y",
		"ATTR:x", "email ", NULL };

	for (i = 0; bad_ids[i] != NULL; i++) {
		app_init(f, &a, bad_ids[i], "https://sp.example.com", MD);
		assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);
	}
	/* 63 characters pass, 64 do not fit. */
	app_init(f, &a, "", "https://sp.example.com", MD);
	memset(a.app_id, 'a', 63);
	a.app_id[63] = '\0';
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_OK);
	assert_int_equal(idg_store_saml_app_delete(f->s, f->t.id, a.app_id), IDG_OK);
	memset(a.app_id, 'a', sizeof(a.app_id));	/* no NUL inside the array */
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);

	/* name: empty, control characters, not UTF-8. */
	app_init(f, &a, "x", "https://sp.example.com", MD);
	a.name[0] = '\0';
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);
	snprintf(a.name, sizeof(a.name), "tab\there");
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);
	snprintf(a.name, sizeof(a.name), "bad \xff utf8");
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);
	/* entity ID: empty, with a space. */
	app_init(f, &a, "x", "", MD);
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);
	app_init(f, &a, "x", "https://sp.example.com/a b", MD);
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);
	/* metadata: NULL, empty, over 256 KiB. */
	app_init(f, &a, "x", "https://sp.example.com", NULL);
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);
	app_init(f, &a, "x", "https://sp.example.com", "");
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);
	big = malloc(IDG_SAML_METADATA_MAX + 2);
	assert_non_null(big);
	memset(big, 'x', IDG_SAML_METADATA_MAX + 1);
	big[IDG_SAML_METADATA_MAX + 1] = '\0';
	app_init(f, &a, "x", "https://sp.example.com", big);
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);
	big[IDG_SAML_METADATA_MAX] = '\0';	/* exactly the maximum passes */
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_OK);
	assert_int_equal(idg_store_saml_app_delete(f->s, f->t.id, "x"), IDG_OK);
	free(big);
	/* NameID format outside 0..2; bad sources. */
	app_init(f, &a, "x", "https://sp.example.com", MD);
	a.nameid_format = 3;
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);
	a.nameid_format = -1;
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);
	for (i = 0; bad_sources[i] != NULL; i++) {
		app_init(f, &a, "x", "https://sp.example.com", MD);
		snprintf(a.nameid_source, sizeof(a.nameid_source), "%s", bad_sources[i]);
		assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);
	}
	app_init(f, &a, "x", "https://sp.example.com", MD);
	snprintf(a.nameid_source, sizeof(a.nameid_source), "attr:employee_id");
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_OK);
	assert_int_equal(idg_store_saml_app_delete(f->s, f->t.id, "x"), IDG_OK);
	/* attributes that do not fit. */
	app_init(f, &a, "x", "https://sp.example.com", MD);
	memset(a.attributes, 'a', sizeof(a.attributes));
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);
	/* Nothing signed. */
	app_init(f, &a, "x", "https://sp.example.com", MD);
	a.sign_assertion = false;
	a.sign_response = false;
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_INVALID);
	/* An unknown tenant. */
	app_init(f, &a, "x", "https://sp.example.com", MD);
	a.tenant_id = f->t.id + 1000;
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_NOTFOUND);
	assert_int_equal(idg_store_saml_app_add(f->s, NULL), IDG_INVALID);

	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM saml_apps"), 0);
	/* The refused writes did not bump; the three accepted adds and deletes did. */
	assert_int_equal(gen(f), g + 6);
}

static void
test_app_update_delete(void **state)
{
	struct fx *f = *state;
	struct idg_saml_app a, b;
	int64_t g, created;

	assert_int_equal(add(f, "one", "https://one.example.com"), IDG_OK);
	assert_int_equal(add(f, "two", "https://two.example.com"), IDG_OK);
	assert_int_equal(idg_store_saml_app_get(f->s, f->t.id, "one", &b), IDG_OK);
	created = b.created_at;
	idg_saml_app_clear(&b);

	/* Every mutable field changes; id, app_id and created_at stay. */
	app_init(f, &a, "one", "https://one-new.example.com", "<new/>");
	snprintf(a.name, sizeof(a.name), "Renamed");
	a.nameid_format = 0;
	snprintf(a.nameid_source, sizeof(a.nameid_source), "attr:uid");
	snprintf(a.attributes, sizeof(a.attributes), "n=const:x");
	a.sign_requests = true;
	a.sign_assertion = false;
	a.encrypt_assertion = true;
	a.sp_initiated = false;
	a.device_required = true;
	g = gen(f);
	assert_int_equal(idg_store_saml_app_update(f->s, &a), IDG_OK);
	assert_true(gen(f) > g);
	assert_true(a.id > 0);
	assert_int_equal(a.created_at, created);
	assert_int_equal(idg_store_saml_app_get(f->s, f->t.id, "one", &b), IDG_OK);
	assert_int_equal(b.id, a.id);
	assert_string_equal(b.name, "Renamed");
	assert_string_equal(b.entity_id, "https://one-new.example.com");
	assert_string_equal(b.metadata, "<new/>");
	assert_int_equal(b.nameid_format, 0);
	assert_string_equal(b.nameid_source, "attr:uid");
	assert_string_equal(b.attributes, "n=const:x");
	assert_true(b.sign_requests);
	assert_false(b.sign_assertion);
	assert_true(b.sign_response);
	assert_true(b.encrypt_assertion);
	assert_false(b.sp_initiated);
	assert_true(b.idp_initiated);
	assert_true(b.device_required);
	assert_int_equal(b.created_at, created);
	idg_saml_app_clear(&b);
	/* The old entity ID is free again, and found no more. */
	assert_int_equal(idg_store_saml_app_get_by_entity(f->s, f->t.id,
	    "https://one.example.com", &b), IDG_NOTFOUND);

	/* Refusals: another app's entity ID, an unknown app, a bad field. */
	app_init(f, &a, "one", "https://two.example.com", MD);
	assert_int_equal(idg_store_saml_app_update(f->s, &a), IDG_EXISTS);
	app_init(f, &a, "three", "https://three.example.com", MD);
	assert_int_equal(idg_store_saml_app_update(f->s, &a), IDG_NOTFOUND);
	app_init(f, &a, "one", "https://one.example.com", MD);
	a.sign_assertion = a.sign_response = false;
	assert_int_equal(idg_store_saml_app_update(f->s, &a), IDG_INVALID);
	assert_int_equal(idg_store_saml_app_get(f->s, f->t.id, "one", &b), IDG_OK);
	assert_string_equal(b.entity_id, "https://one-new.example.com");	/* unchanged */
	idg_saml_app_clear(&b);

	/* Delete, then it is gone; a second delete finds nothing. */
	g = gen(f);
	assert_int_equal(idg_store_saml_app_delete(f->s, f->t.id, "one"), IDG_OK);
	assert_true(gen(f) > g);
	assert_int_equal(idg_store_saml_app_get(f->s, f->t.id, "one", &b), IDG_NOTFOUND);
	assert_int_equal(idg_store_saml_app_delete(f->s, f->t.id, "one"), IDG_NOTFOUND);
	assert_int_equal(idg_store_saml_app_delete(f->s, f->t.id + 1000, "two"), IDG_NOTFOUND);
}

/* (app_id, user_id) pairs as "app:uid" joined by spaces. */
struct pairs {
	char	text[512];
};

static int
pair_row(void *arg, const char *app_id, int64_t user_id)
{
	struct pairs *p = arg;
	size_t len = strlen(p->text);

	snprintf(p->text + len, sizeof(p->text) - len, "%s%s:%lld", len > 0 ? " " : "",
	    app_id, (long long)user_id);
	return 0;
}

static int
assign_row(void *arg, const char *kind, const char *who)
{
	struct pairs *p = arg;
	size_t len = strlen(p->text);

	snprintf(p->text + len, sizeof(p->text) - len, "%s%s=%s", len > 0 ? " " : "", kind,
	    who);
	return 0;
}

static void
test_assignments(void **state)
{
	struct fx *f = *state;
	struct idg_license_numbers lic;
	struct idg_user u1, u2, u3;
	struct idg_group grp;
	struct pairs p;
	char want[256];
	int64_t g;

	assert_int_equal(idg_store_user_add(f->s, f->t.id, "a@acme.test", "A", "", false, &lic,
	    &u1), IDG_OK);
	assert_int_equal(idg_store_user_add(f->s, f->t.id, "b@acme.test", "B", "", false, &lic,
	    &u2), IDG_OK);
	assert_int_equal(idg_store_user_add(f->s, f->t.id, "c@acme.test", "C", "", false, &lic,
	    &u3), IDG_OK);
	assert_int_equal(idg_store_group_add(f->s, f->t.id, "sales", &grp), IDG_OK);
	assert_int_equal(idg_store_group_add_member(f->s, f->t.id, "sales", "b@acme.test"),
	    IDG_OK);
	assert_int_equal(idg_store_group_add_member(f->s, f->t.id, "sales", "a@acme.test"),
	    IDG_OK);
	assert_int_equal(add(f, "crm", "https://crm.example.com"), IDG_OK);
	assert_int_equal(add(f, "wiki", "https://wiki.example.com"), IDG_OK);

	/* Nobody yet. */
	memset(&p, 0, sizeof(p));
	assert_int_equal(idg_store_saml_app_users(f->s, f->t.id, pair_row, &p), IDG_OK);
	assert_string_equal(p.text, "");

	g = gen(f);
	assert_int_equal(idg_store_saml_app_assign(f->s, f->t.id, "crm", "user", "A@ACME.test"),
	    IDG_OK);
	assert_true(gen(f) > g);
	assert_int_equal(idg_store_saml_app_assign(f->s, f->t.id, "crm", "group", "sales"),
	    IDG_OK);
	assert_int_equal(idg_store_saml_app_assign(f->s, f->t.id, "wiki", "user", "c@acme.test"),
	    IDG_OK);
	/* Refusals. */
	assert_int_equal(idg_store_saml_app_assign(f->s, f->t.id, "crm", "user", "a@acme.test"),
	    IDG_EXISTS);
	assert_int_equal(idg_store_saml_app_assign(f->s, f->t.id, "crm", "group", "sales"),
	    IDG_EXISTS);
	assert_int_equal(idg_store_saml_app_assign(f->s, f->t.id, "crm", "user", "x@acme.test"),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_saml_app_assign(f->s, f->t.id, "crm", "user", "not-an-email"),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_saml_app_assign(f->s, f->t.id, "crm", "group", "nope"),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_saml_app_assign(f->s, f->t.id, "nope", "user", "a@acme.test"),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_saml_app_assign(f->s, f->t.id, "crm", "role", "x"),
	    IDG_INVALID);

	/* a is direct and in sales: listed once; b through sales; c on wiki. */
	memset(&p, 0, sizeof(p));
	assert_int_equal(idg_store_saml_app_users(f->s, f->t.id, pair_row, &p), IDG_OK);
	snprintf(want, sizeof(want), "crm:%lld crm:%lld wiki:%lld", (long long)u1.id,
	    (long long)u2.id, (long long)u3.id);
	assert_string_equal(p.text, want);
	memset(&p, 0, sizeof(p));
	assert_int_equal(idg_store_saml_app_assignments(f->s, f->t.id, "crm", assign_row, &p),
	    IDG_OK);
	assert_string_equal(p.text, "user=a@acme.test group=sales");
	assert_int_equal(idg_store_saml_app_assignments(f->s, f->t.id, "nope", assign_row, &p),
	    IDG_NOTFOUND);

	/* A deleted user is left out of the pairs. */
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, u3.id, IDG_USER_DELETED, &lic),
	    IDG_OK);
	memset(&p, 0, sizeof(p));
	assert_int_equal(idg_store_saml_app_users(f->s, f->t.id, pair_row, &p), IDG_OK);
	snprintf(want, sizeof(want), "crm:%lld crm:%lld", (long long)u1.id, (long long)u2.id);
	assert_string_equal(p.text, want);
	/* ...and can no longer be given an app, but its assignment can be removed. */
	assert_int_equal(idg_store_saml_app_assign(f->s, f->t.id, "crm", "user", "c@acme.test"),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_saml_app_unassign(f->s, f->t.id, "wiki", "user",
	    "c@acme.test"), IDG_OK);

	/* Unassign the group: b loses crm, a keeps it directly. */
	g = gen(f);
	assert_int_equal(idg_store_saml_app_unassign(f->s, f->t.id, "crm", "group", "sales"),
	    IDG_OK);
	assert_true(gen(f) > g);
	memset(&p, 0, sizeof(p));
	assert_int_equal(idg_store_saml_app_users(f->s, f->t.id, pair_row, &p), IDG_OK);
	snprintf(want, sizeof(want), "crm:%lld", (long long)u1.id);
	assert_string_equal(p.text, want);
	/* Nothing to remove, unknown names. */
	assert_int_equal(idg_store_saml_app_unassign(f->s, f->t.id, "crm", "group", "sales"),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_saml_app_unassign(f->s, f->t.id, "crm", "user", "b@acme.test"),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_saml_app_unassign(f->s, f->t.id, "crm", "user", "z@acme.test"),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_saml_app_unassign(f->s, f->t.id, "zz", "user", "a@acme.test"),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_saml_app_unassign(f->s, f->t.id, "crm", "role", "a"),
	    IDG_INVALID);

	/* Deleting the app takes its assignments with it. */
	assert_int_equal(idg_store_saml_app_delete(f->s, f->t.id, "crm"), IDG_OK);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM saml_app_assignments"), 0);
}

static int
app_kind_row(void *arg, const char *kind, const char *id)
{
	struct pairs *p = arg;
	size_t len = strlen(p->text);

	snprintf(p->text + len, sizeof(p->text) - len, "%s%s:%s", len > 0 ? " " : "", kind, id);
	return 0;
}

static void
test_tenant_apps_and_cancel(void **state)
{
	struct fx *f = *state;
	struct idg_oidc_client c;
	struct idg_license_numbers lic;
	struct idg_user u;
	struct idg_saml_app a;
	struct pairs p;

	assert_int_equal(add(f, "zeta", "https://zeta.example.com"), IDG_OK);
	assert_int_equal(add(f, "alpha", "https://alpha.example.com"), IDG_OK);
	memset(&c, 0, sizeof(c));
	c.tenant_id = f->t.id;
	snprintf(c.client_id, sizeof(c.client_id), "portal");
	snprintf(c.name, sizeof(c.name), "Portal");
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_OK);
	memset(&p, 0, sizeof(p));
	assert_int_equal(idg_store_tenant_apps(f->s, f->t.id, app_kind_row, &p), IDG_OK);
	assert_string_equal(p.text, "oidc:portal saml:alpha saml:zeta");

	assert_int_equal(idg_store_user_add(f->s, f->t.id, "a@acme.test", "A", "", false, &lic,
	    &u), IDG_OK);
	assert_int_equal(idg_store_saml_app_assign(f->s, f->t.id, "alpha", "user", "a@acme.test"),
	    IDG_OK);
	assert_int_equal(idg_store_tenant_cancel(f->s, "acme", (int64_t)time(NULL)), IDG_OK);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM saml_apps"), 0);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM saml_app_assignments"), 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(idg_store_tenant_apps(f->s, f->t.id, app_kind_row, &p), IDG_OK);
	assert_string_equal(p.text, "");
	/* A cancelled tenant takes no new app. */
	app_init(f, &a, "alpha", "https://alpha.example.com", MD);
	assert_int_equal(idg_store_saml_app_add(f->s, &a), IDG_NOTFOUND);
}

/* A self-signed RSA certificate in PEM (owned), as `saml key rotate` makes. */
static char *
cert_pem(int bits, const char *cn)
{
	EVP_PKEY *k = EVP_RSA_gen((unsigned int)bits);
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long len;

	assert_non_null(k);
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_UTF8STRING,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_subject_name(x, n), 1);
	assert_int_equal(X509_set_issuer_name(x, n), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 3652));
	assert_int_equal(X509_set_pubkey(x, k), 1);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	len = BIO_get_mem_data(b, &p);
	out = malloc((size_t)len + 1);
	assert_non_null(out);
	memcpy(out, p, (size_t)len);
	out[len] = '\0';
	BIO_free(b);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
	return out;
}

struct keys {
	char	text[512];
	char	pem[2048];	/* of the last key listed */
	int	n;
};

static int
key_row(void *arg, const struct idg_signing_key *k)
{
	struct keys *ks = arg;
	size_t len = strlen(ks->text);

	snprintf(ks->text + len, sizeof(ks->text) - len, "%s%s:%s:%d", len > 0 ? " " : "",
	    k->use, k->kid, k->status);
	snprintf(ks->pem, sizeof(ks->pem), "%s", k->public_jwk);
	ks->n++;
	return 0;
}

static int
add_key(struct fx *f, const char *use, const char *alg, const char *kid, const char *pub,
    int status)
{
	struct idg_signing_key k;

	memset(&k, 0, sizeof(k));
	k.tenant_id = f->t.id;
	snprintf(k.use, sizeof(k.use), "%s", use);
	snprintf(k.alg, sizeof(k.alg), "%s", alg);
	snprintf(k.kid, sizeof(k.kid), "%s", kid);
	snprintf(k.sealed, sizeof(k.sealed), "v1.sealed-%s", kid);
	if (strlen(pub) >= sizeof(k.public_jwk))
		return -100;
	snprintf(k.public_jwk, sizeof(k.public_jwk), "%s", pub);
	k.status = status;
	return idg_store_key_add(f->s, &k);
}

static const char *
keys(struct fx *f, const char *use, struct keys *ks)
{
	memset(ks, 0, sizeof(*ks));
	assert_int_equal(idg_store_key_list(f->s, f->t.id, use, key_row, ks), IDG_OK);
	return ks->text;
}

static void
test_saml_keys(void **state)
{
	struct fx *f = *state;
	char *c1 = cert_pem(3072, "https://id.example.com/saml/acme");
	char *c2 = cert_pem(2048, "https://id.example.com/saml/acme");
	struct keys ks;
	int64_t g;
	int n = -1;

	/* An RSA 3072 certificate fits the field; it comes back byte for byte. */
	g = gen(f);
	assert_int_equal(add_key(f, "saml", "RS256", "k1", c1, IDG_KEY_CURRENT), IDG_OK);
	assert_true(gen(f) > g);
	assert_int_equal(add_key(f, "saml", "RS256", "k2", c2, IDG_KEY_NEXT), IDG_OK);
	assert_string_equal(keys(f, "saml", &ks), "saml:k1:1 saml:k2:0");
	assert_string_equal(ks.pem, c2);
	/* A saml key is RS256 with a PEM certificate; JSON or ES256 is refused. */
	assert_int_equal(add_key(f, "saml", "ES256", "k3", c2, IDG_KEY_NEXT), IDG_INVALID);
	assert_int_equal(add_key(f, "saml", "RS256", "k3", "{\"kty\":\"RSA\"}", IDG_KEY_NEXT),
	    IDG_INVALID);
	assert_int_equal(add_key(f, "saml", "RS256", "k3", "-----BEGIN CERTIFICATE-----\nMII",
	    IDG_KEY_NEXT), IDG_INVALID);
	/* One current key per use: a second current saml key is refused. */
	assert_int_equal(add_key(f, "saml", "RS256", "k3", c2, IDG_KEY_CURRENT), IDG_EXISTS);
	/* OIDC keys of the same alg are apart. */
	assert_int_equal(add_key(f, "oidc", "RS256", "o1", "{\"kid\":\"o1\"}", IDG_KEY_CURRENT),
	    IDG_OK);
	assert_int_equal(add_key(f, "oidc", "RS256", "o2", "{\"kid\":\"o2\"}", IDG_KEY_NEXT),
	    IDG_OK);

	/* Promote the saml use only. */
	g = gen(f);
	assert_int_equal(idg_store_key_promote(f->s, f->t.id, "saml", "RS256"), IDG_OK);
	assert_true(gen(f) > g);
	assert_string_equal(keys(f, "saml", &ks), "saml:k1:2 saml:k2:1");
	assert_string_equal(keys(f, "oidc", &ks), "oidc:o1:1 oidc:o2:0");
	assert_int_equal(idg_store_key_promote(f->s, f->t.id, "saml", "RS256"), IDG_NOTFOUND);
	assert_int_equal(idg_store_key_promote(f->s, f->t.id, "oidc", "RS256"), IDG_OK);

	/* Purge of one use leaves the other's retired keys. */
	assert_int_equal(idg_store_key_purge_use(f->s, f->t.id, "saml", (int64_t)time(NULL) - 60,
	    &n), IDG_OK);
	assert_int_equal(n, 0);
	g = gen(f);
	assert_int_equal(idg_store_key_purge_use(f->s, f->t.id, "saml", (int64_t)time(NULL) + 5,
	    &n), IDG_OK);
	assert_int_equal(n, 1);
	assert_true(gen(f) > g);
	assert_string_equal(keys(f, "saml", &ks), "saml:k2:1");
	assert_string_equal(keys(f, "oidc", &ks), "oidc:o1:2 oidc:o2:1");
	assert_int_equal(idg_store_key_purge_use(f->s, f->t.id, NULL, 0, &n), IDG_INVALID);

	/* Cancellation purges the saml keys with the rest. */
	assert_int_equal(idg_store_tenant_cancel(f->s, "acme", (int64_t)time(NULL)), IDG_OK);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM signing_keys"), 0);
	free(c1);
	free(c2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_app_add_get_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_update_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assignments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tenant_apps_and_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_saml_keys, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
