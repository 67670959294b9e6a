/*
 * test_store_oidc.c - the OpenID provider tables of the SQLite store
 * (gateway/store): signing keys (add, list, the next -> current -> retired
 * rotation step, one current key per alg, purge of retired keys), OIDC
 * clients (add with defaults, get, list, duplicate client_id, secret reset,
 * delete with its assignments) and assignments by user and by group as
 * expanded by idg_store_oidc_client_users, plus the generation bump on each
 * of the three tables. Against a real database file in a fresh temporary
 * folder per test. Not the CLI (tests/unit/cli/test_cli_oidc.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "gateway/store/store.h"
#include "gateway/util/status.h"
#include "tests/unit/sql_int.h"

#define HASH "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"
#define SECRET_HASH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

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
	snprintf(f->dir, sizeof(f->dir), "/tmp/idg-store-oidc-XXXXXX");
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

static int
add_key(struct fx *f, const char *alg, const char *kid, int status)
{
	struct idg_signing_key k;

	memset(&k, 0, sizeof(k));
	k.tenant_id = f->t.id;
	snprintf(k.use, sizeof(k.use), "oidc");
	snprintf(k.alg, sizeof(k.alg), "%s", alg);
	snprintf(k.kid, sizeof(k.kid), "%s", kid);
	snprintf(k.sealed, sizeof(k.sealed), "v1.sealed-%s", kid);
	snprintf(k.public_jwk, sizeof(k.public_jwk), "{\"kid\":\"%s\"}", kid);
	k.status = status;
	return idg_store_key_add(f->s, &k);
}

/* Keys as "kid:status" joined by spaces, in id order. */
struct keys {
	char	text[512];
	int	n;
};

static int
key_row(void *arg, const struct idg_signing_key *k)
{
	struct keys *ks = arg;
	size_t len = strlen(ks->text);

	snprintf(ks->text + len, sizeof(ks->text) - len, "%s%s:%d", len > 0 ? " " : "",
	    k->kid, k->status);
	ks->n++;
	return 0;
}

static const char *
keys(struct fx *f, struct keys *ks)
{
	memset(ks, 0, sizeof(*ks));
	assert_int_equal(idg_store_key_list(f->s, f->t.id, "oidc", key_row, ks), IDG_OK);
	return ks->text;
}

static void
test_keys(void **state)
{
	struct fx *f = *state;
	struct idg_signing_key k;
	struct keys ks;
	int64_t g;
	int n = -1;

	/* Nothing to promote yet. */
	assert_int_equal(idg_store_key_promote(f->s, f->t.id, "oidc", "RS256"), IDG_NOTFOUND);
	assert_string_equal(keys(f, &ks), "");

	g = gen(f);
	assert_int_equal(add_key(f, "RS256", "r1", IDG_KEY_CURRENT), IDG_OK);
	assert_true(gen(f) > g);
	assert_int_equal(add_key(f, "RS256", "r2", IDG_KEY_NEXT), IDG_OK);
	assert_int_equal(add_key(f, "ES256", "e1", IDG_KEY_NEXT), IDG_OK);
	/* One current key per alg; kids are unique in the tenant. */
	assert_int_equal(add_key(f, "RS256", "r9", IDG_KEY_CURRENT), IDG_EXISTS);
	assert_int_equal(add_key(f, "ES256", "r2", IDG_KEY_NEXT), IDG_EXISTS);
	/* Bad input. */
	assert_int_equal(add_key(f, "HS256", "h1", IDG_KEY_NEXT), IDG_INVALID);
	assert_int_equal(add_key(f, "none", "n1", IDG_KEY_NEXT), IDG_INVALID);
	assert_int_equal(add_key(f, "RS256", "", IDG_KEY_NEXT), IDG_INVALID);
	assert_int_equal(add_key(f, "RS256", "x1", IDG_KEY_RETIRED), IDG_INVALID);
	assert_string_equal(keys(f, &ks), "r1:1 r2:0 e1:0");

	/* The stored fields come back; the current key got an activation time. */
	memset(&k, 0, sizeof(k));
	k.tenant_id = f->t.id;
	snprintf(k.alg, sizeof(k.alg), "ES256");
	snprintf(k.kid, sizeof(k.kid), "e0");
	snprintf(k.sealed, sizeof(k.sealed), "v1.abc.def");
	snprintf(k.public_jwk, sizeof(k.public_jwk), "{\"kty\":\"EC\"}");
	k.status = IDG_KEY_CURRENT;
	assert_int_equal(idg_store_key_add(f->s, &k), IDG_OK);
	assert_true(k.id > 0);
	assert_true(k.created_at > 0);
	assert_true(k.activated_at > 0);
	assert_string_equal(k.use, "oidc");	/* defaulted */
	/* Unknown tenant. */
	k.tenant_id = 9999;
	snprintf(k.kid, sizeof(k.kid), "zz");
	k.status = IDG_KEY_NEXT;
	assert_int_equal(idg_store_key_add(f->s, &k), IDG_NOTFOUND);

	/* Rotation step: next -> current, current -> retired, only for that alg. */
	g = gen(f);
	assert_int_equal(idg_store_key_promote(f->s, f->t.id, "oidc", "RS256"), IDG_OK);
	assert_true(gen(f) > g);
	assert_string_equal(keys(f, &ks), "r1:2 r2:1 e1:0 e0:1");
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM signing_keys WHERE kid = 'r1'"
	    " AND retired_at > 0"), 1);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM signing_keys WHERE kid = 'r2'"
	    " AND activated_at > 0 AND retired_at = 0"), 1);
	/* No next key left for RS256: nothing changes. */
	assert_int_equal(idg_store_key_promote(f->s, f->t.id, "oidc", "RS256"), IDG_NOTFOUND);
	assert_string_equal(keys(f, &ks), "r1:2 r2:1 e1:0 e0:1");
	assert_int_equal(idg_store_key_promote(f->s, f->t.id, "oidc", "ES256"), IDG_OK);
	assert_string_equal(keys(f, &ks), "r1:2 r2:1 e1:1 e0:2");
	assert_int_equal(idg_store_key_promote(f->s, f->t.id, "oidc", "HS256"), IDG_INVALID);
	/* Another use is listed apart. */
	memset(&ks, 0, sizeof(ks));
	assert_int_equal(idg_store_key_list(f->s, f->t.id, "saml", key_row, &ks), IDG_OK);
	assert_int_equal(ks.n, 0);
	memset(&ks, 0, sizeof(ks));
	assert_int_equal(idg_store_key_list(f->s, f->t.id, NULL, key_row, &ks), IDG_OK);
	assert_int_equal(ks.n, 4);

	/* Purge: only retired keys retired before the cut-off. */
	assert_int_equal(idg_store_key_purge_retired(f->s, f->t.id, (int64_t)time(NULL) - 60,
	    &n), IDG_OK);
	assert_int_equal(n, 0);
	g = gen(f);
	assert_int_equal(idg_store_key_purge_retired(f->s, f->t.id, (int64_t)time(NULL) + 5,
	    &n), IDG_OK);
	assert_int_equal(n, 2);
	assert_true(gen(f) > g);
	assert_string_equal(keys(f, &ks), "r2:1 e1:1");
}

static void
client_init(struct fx *f, struct idg_oidc_client *c, const char *client_id, bool conf)
{
	memset(c, 0, sizeof(*c));
	c->tenant_id = f->t.id;
	snprintf(c->client_id, sizeof(c->client_id), "%s", client_id);
	snprintf(c->name, sizeof(c->name), "App %s", client_id);
	c->confidential = conf;
	if (conf)
		snprintf(c->secret_hash, sizeof(c->secret_hash), SECRET_HASH);
	snprintf(c->redirect_uris, sizeof(c->redirect_uris),
	    "https://app.example.com/cb\nhttps://app.example.com/cb2");
}

static int
count_client(void *arg, const struct idg_oidc_client *c)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static void
test_clients(void **state)
{
	struct fx *f = *state;
	struct idg_oidc_client c, got;
	int64_t g;
	int n;

	client_init(f, &c, "app1", true);
	g = gen(f);
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_OK);
	assert_true(gen(f) > g);
	assert_true(c.id > 0);
	assert_true(c.created_at > 0);
	/* Defaults written back. */
	assert_string_equal(c.scopes, IDG_OIDC_DEFAULT_SCOPES);
	assert_string_equal(c.grant_types, IDG_OIDC_DEFAULT_GRANTS);
	assert_string_equal(c.id_token_alg, "RS256");
	assert_int_equal(c.access_token_ttl_s, 600);
	assert_int_equal(c.id_token_ttl_s, 600);
	assert_int_equal(c.refresh_token_ttl_s, 2592000);

	assert_int_equal(idg_store_oidc_client_get(f->s, f->t.id, "app1", &got), IDG_OK);
	assert_int_equal(got.id, c.id);
	assert_string_equal(got.name, "App app1");
	assert_true(got.confidential);
	assert_string_equal(got.secret_hash, SECRET_HASH);
	assert_string_equal(got.redirect_uris,
	    "https://app.example.com/cb\nhttps://app.example.com/cb2");
	assert_string_equal(got.scopes, IDG_OIDC_DEFAULT_SCOPES);
	assert_false(got.pairwise);
	assert_false(got.resource_server);
	assert_int_equal(idg_store_oidc_client_get(f->s, f->t.id, "nope", &got), IDG_NOTFOUND);

	/* Duplicate client_id in the tenant. */
	client_init(f, &c, "app1", true);
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_EXISTS);

	/* A public client with every field set. */
	client_init(f, &c, "spa", false);
	snprintf(c.scopes, sizeof(c.scopes), "openid email");
	snprintf(c.grant_types, sizeof(c.grant_types), "authorization_code");
	snprintf(c.id_token_alg, sizeof(c.id_token_alg), "ES256");
	snprintf(c.post_logout_uris, sizeof(c.post_logout_uris), "https://spa.example/bye");
	snprintf(c.initiate_login_uri, sizeof(c.initiate_login_uri), "https://spa.example/in");
	c.pairwise = true;
	c.resource_server = true;
	c.access_token_ttl_s = 120;
	c.id_token_ttl_s = 300;
	c.refresh_token_ttl_s = 3600;
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_OK);
	assert_int_equal(idg_store_oidc_client_get(f->s, f->t.id, "spa", &got), IDG_OK);
	assert_false(got.confidential);
	assert_string_equal(got.secret_hash, "");
	assert_string_equal(got.scopes, "openid email");
	assert_string_equal(got.grant_types, "authorization_code");
	assert_string_equal(got.id_token_alg, "ES256");
	assert_string_equal(got.post_logout_uris, "https://spa.example/bye");
	assert_string_equal(got.initiate_login_uri, "https://spa.example/in");
	assert_true(got.pairwise);
	assert_true(got.resource_server);
	assert_int_equal(got.access_token_ttl_s, 120);
	assert_int_equal(got.id_token_ttl_s, 300);
	assert_int_equal(got.refresh_token_ttl_s, 3600);

	/* Refused input. */
	client_init(f, &c, "bad1", false);
	snprintf(c.secret_hash, sizeof(c.secret_hash), SECRET_HASH);	/* public + hash */
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_INVALID);
	client_init(f, &c, "bad2", true);
	snprintf(c.secret_hash, sizeof(c.secret_hash), "abc");		/* not 64 hex */
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_INVALID);
	client_init(f, &c, "bad3", true);
	snprintf(c.id_token_alg, sizeof(c.id_token_alg), "none");
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_INVALID);
	client_init(f, &c, "", true);
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_INVALID);
	client_init(f, &c, "bad 4", true);
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_INVALID);
	client_init(f, &c, "bad5", true);
	c.access_token_ttl_s = -1;
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_INVALID);
	client_init(f, &c, "bad6", true);
	memset(c.redirect_uris, 'a', sizeof(c.redirect_uris));	/* unterminated */
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_INVALID);
	client_init(f, &c, "bad7", true);
	c.tenant_id = 9999;
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_NOTFOUND);

	n = 0;
	assert_int_equal(idg_store_oidc_client_list(f->s, f->t.id, count_client, &n), IDG_OK);
	assert_int_equal(n, 2);

	/* Secret reset: confidential only. */
	g = gen(f);
	assert_int_equal(idg_store_oidc_client_set_secret(f->s, f->t.id, "app1",
	    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"), IDG_OK);
	assert_true(gen(f) > g);
	assert_int_equal(idg_store_oidc_client_get(f->s, f->t.id, "app1", &got), IDG_OK);
	assert_string_equal(got.secret_hash,
	    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
	assert_int_equal(idg_store_oidc_client_set_secret(f->s, f->t.id, "spa", SECRET_HASH),
	    IDG_DECLINED);
	assert_int_equal(idg_store_oidc_client_set_secret(f->s, f->t.id, "nope", SECRET_HASH),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_oidc_client_set_secret(f->s, f->t.id, "app1", "FFFF"),
	    IDG_INVALID);

	/* Delete. */
	g = gen(f);
	assert_int_equal(idg_store_oidc_client_delete(f->s, f->t.id, "spa"), IDG_OK);
	assert_true(gen(f) > g);
	assert_int_equal(idg_store_oidc_client_delete(f->s, f->t.id, "spa"), IDG_NOTFOUND);
	assert_int_equal(idg_store_oidc_client_get(f->s, f->t.id, "spa", &got), IDG_NOTFOUND);
	/* Another tenant's client is not reachable. */
	assert_int_equal(idg_store_oidc_client_delete(f->s, f->t.id + 1, "app1"), IDG_NOTFOUND);
}

/* (client_id, user_id) pairs as "client:uid" joined by spaces. */
struct pairs {
	char	text[512];
	int	n;
};

static int
pair_row(void *arg, const char *client_id, int64_t user_id)
{
	struct pairs *p = arg;
	size_t len = strlen(p->text);

	snprintf(p->text + len, sizeof(p->text) - len, "%s%s:%lld", len > 0 ? " " : "",
	    client_id, (long long)user_id);
	p->n++;
	return 0;
}

static int
assignment_row(void *arg, const char *kind, const char *who)
{
	struct pairs *p = arg;
	size_t len = strlen(p->text);

	snprintf(p->text + len, sizeof(p->text) - len, "%s%s=%s", len > 0 ? " " : "", kind,
	    who);
	p->n++;
	return 0;
}

static int64_t
user(struct fx *f, const char *email)
{
	struct idg_license_numbers lic;
	struct idg_user u;

	assert_int_equal(idg_store_user_add(f->s, f->t.id, email, "U", HASH, false, &lic, &u),
	    IDG_OK);
	return u.id;
}

static void
test_assignments(void **state)
{
	struct fx *f = *state;
	struct idg_oidc_client c;
	struct pairs p;
	char want[256];
	int64_t a, b, d, g;

	a = user(f, "alice@example.com");
	b = user(f, "bob@example.com");
	d = user(f, "dave@example.com");
	assert_int_equal(idg_store_group_add(f->s, f->t.id, "staff", NULL), IDG_OK);
	assert_int_equal(idg_store_group_add(f->s, f->t.id, "empty", NULL), IDG_OK);
	assert_int_equal(idg_store_group_add_member(f->s, f->t.id, "staff",
	    "alice@example.com"), IDG_OK);
	assert_int_equal(idg_store_group_add_member(f->s, f->t.id, "staff", "bob@example.com"),
	    IDG_OK);
	client_init(f, &c, "app1", true);
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_OK);
	client_init(f, &c, "app2", true);
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_OK);

	/* Alice directly and through her group: one pair. */
	g = gen(f);
	assert_int_equal(idg_store_oidc_client_assign(f->s, f->t.id, "app1", "user",
	    "Alice@Example.com"), IDG_OK);
	assert_true(gen(f) > g);
	assert_int_equal(idg_store_oidc_client_assign(f->s, f->t.id, "app1", "group", "staff"),
	    IDG_OK);
	assert_int_equal(idg_store_oidc_client_assign(f->s, f->t.id, "app1", "group", "empty"),
	    IDG_OK);
	assert_int_equal(idg_store_oidc_client_assign(f->s, f->t.id, "app2", "user",
	    "dave@example.com"), IDG_OK);
	/* Already assigned, unknown names, bad kind. */
	assert_int_equal(idg_store_oidc_client_assign(f->s, f->t.id, "app1", "user",
	    "alice@example.com"), IDG_EXISTS);
	assert_int_equal(idg_store_oidc_client_assign(f->s, f->t.id, "app1", "group", "staff"),
	    IDG_EXISTS);
	assert_int_equal(idg_store_oidc_client_assign(f->s, f->t.id, "app1", "user",
	    "nobody@example.com"), IDG_NOTFOUND);
	assert_int_equal(idg_store_oidc_client_assign(f->s, f->t.id, "app1", "user",
	    "not-an-email"), IDG_NOTFOUND);
	assert_int_equal(idg_store_oidc_client_assign(f->s, f->t.id, "app1", "group", "none"),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_oidc_client_assign(f->s, f->t.id, "nope", "group", "staff"),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_oidc_client_assign(f->s, f->t.id, "app1", "role", "staff"),
	    IDG_INVALID);

	memset(&p, 0, sizeof(p));
	assert_int_equal(idg_store_oidc_client_users(f->s, f->t.id, pair_row, &p), IDG_OK);
	snprintf(want, sizeof(want), "app1:%lld app1:%lld app2:%lld", (long long)a,
	    (long long)b, (long long)d);
	assert_string_equal(p.text, want);

	memset(&p, 0, sizeof(p));
	assert_int_equal(idg_store_oidc_client_assignments(f->s, f->t.id, "app1",
	    assignment_row, &p), IDG_OK);
	assert_string_equal(p.text, "user=alice@example.com group=empty group=staff");
	assert_int_equal(idg_store_oidc_client_assignments(f->s, f->t.id, "nope",
	    assignment_row, &p), IDG_NOTFOUND);

	/* A new group member is allowed at once; a deleted user no longer is. */
	assert_int_equal(idg_store_group_add_member(f->s, f->t.id, "staff",
	    "dave@example.com"), IDG_OK);
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, b, IDG_USER_DELETED, NULL),
	    IDG_OK);
	memset(&p, 0, sizeof(p));
	assert_int_equal(idg_store_oidc_client_users(f->s, f->t.id, pair_row, &p), IDG_OK);
	snprintf(want, sizeof(want), "app1:%lld app1:%lld app2:%lld", (long long)a,
	    (long long)d, (long long)d);
	assert_string_equal(p.text, want);
	/* Another tenant sees nothing. */
	memset(&p, 0, sizeof(p));
	assert_int_equal(idg_store_oidc_client_users(f->s, f->t.id + 1, pair_row, &p), IDG_OK);
	assert_int_equal(p.n, 0);

	/* Deleting the client takes its assignments along. */
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM oidc_client_assignments"), 4);
	g = gen(f);
	assert_int_equal(idg_store_oidc_client_delete(f->s, f->t.id, "app1"), IDG_OK);
	assert_true(gen(f) > g);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM oidc_client_assignments"), 1);
	memset(&p, 0, sizeof(p));
	assert_int_equal(idg_store_oidc_client_users(f->s, f->t.id, pair_row, &p), IDG_OK);
	snprintf(want, sizeof(want), "app2:%lld", (long long)d);
	assert_string_equal(p.text, want);
}

/* Every write to the three tables bumps the generation, including one made by hand. */
static void
test_generation_triggers(void **state)
{
	static const char *const stmts[] = {
		"UPDATE signing_keys SET public_jwk = '{}'",
		"UPDATE oidc_clients SET name = 'renamed'",
		"UPDATE oidc_client_assignments SET group_id = group_id",
		"DELETE FROM oidc_client_assignments",
		"DELETE FROM signing_keys",
	};
	struct fx *f = *state;
	struct idg_oidc_client c;
	sqlite3 *db;
	size_t i;
	int64_t g;

	assert_int_equal(add_key(f, "RS256", "k1", IDG_KEY_NEXT), IDG_OK);
	assert_int_equal(idg_store_group_add(f->s, f->t.id, "staff", NULL), IDG_OK);
	client_init(f, &c, "app1", true);
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_OK);
	assert_int_equal(idg_store_oidc_client_assign(f->s, f->t.id, "app1", "group", "staff"),
	    IDG_OK);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	for (i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		g = gen(f);
		assert_int_equal(sqlite3_exec(db, stmts[i], NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_changes(db), 1);
		assert_true(gen(f) > g);
	}
	/* Removing the tenant row takes its clients along (ON DELETE CASCADE). */
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM oidc_clients"), 1);
	assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM tenants",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM oidc_clients"), 0);
}

/* A second current key cannot appear even through raw SQL (schema index). */
static void
test_one_current_in_schema(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;

	assert_int_equal(add_key(f, "RS256", "k1", IDG_KEY_CURRENT), IDG_OK);
	assert_int_equal(add_key(f, "RS256", "k2", IDG_KEY_NEXT), IDG_OK);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE signing_keys SET status = 1"
	    " WHERE kid = 'k2'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE signing_keys SET alg = 'HS256'",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "INSERT INTO oidc_client_assignments"
	    " (client_row_id, user_id, group_id) VALUES (1, NULL, NULL)", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assignments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generation_triggers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_current_in_schema, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
