/*
 * test_cli_oidc.c - `idgate oidc key ...` and `idgate oidc client ...` run
 * in-process through idg_cli_run against a real SQLite file in a temporary
 * folder, stdout and stderr captured: key rotation statuses (one current
 * and one next key per alg after every rotate, the old next promoted, the
 * old current retired), sealed keys that open with the master key only,
 * purge, the missing master key, client secrets checked against the stored
 * SHA-256, refused redirect URIs and grants, assignments, reset-secret,
 * delete and the audit trail. The config struct is filled here directly,
 * with a fixed master key.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "gateway/cli/cli.h"
#include "cli_fixture.h"
#include "gateway/config/config.h"
#include "gateway/oidc/jose.h"
#include "gateway/store/store.h"
#include "gateway/util/crypto.h"
#include "gateway/util/status.h"
#include "idp-adapters/local/password.h"

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/idg-cli-oidc-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	memset(&f->cfg, 0, sizeof(f->cfg));
	snprintf(f->cfg.store_driver, sizeof(f->cfg.store_driver), "sqlite");
	snprintf(f->cfg.sqlite_path, sizeof(f->cfg.sqlite_path), "%s/idgate.db", f->dir);
	f->cfg.store_busy_timeout_ms = 5000;
	f->cfg.argon2.t_cost = 1;
	f->cfg.argon2.m_cost_kib = 64;
	f->cfg.argon2.parallelism = 1;
	idg_password_policy_default(&f->cfg.password_policy);
	memset(f->cfg.master_key, 0x5a, sizeof(f->cfg.master_key));
	f->cfg.master_key_loaded = true;
	F = f;
	*state = f;
	assert_int_equal(run("migrate", NULL), 0);
	assert_int_equal(run("tenant", "create", "--company-id", "acme", "--name", "Acme",
	    "--contract", "20", NULL), 0);
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct idg_store *
store(int64_t *tenant_id)
{
	struct idg_store_config sc = { "sqlite", F->cfg.sqlite_path, 5000 };
	struct idg_store *s;
	struct idg_tenant t;

	assert_int_equal(idg_store_open(&sc, &s), IDG_OK);
	assert_int_equal(idg_store_tenant_get(s, "acme", &t), IDG_OK);
	*tenant_id = t.id;
	return s;
}

static void
sql(const char *q)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(F->cfg.sqlite_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* The value after `label` up to the end of its line in s. */
static void
after(const char *s, const char *label, char *out, size_t outsz)
{
	const char *p = strstr(s, label);
	size_t n = 0;

	assert_non_null(p);
	p += strlen(label);
	while (p[n] != '\0' && p[n] != '\n' && n + 1 < outsz)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* `oidc key list --json` as "ALG:status" words in id order, plus the kids. */
struct keyview {
	char	text[512];
	char	kid[16][64];
	char	alg[16][8];
	char	status[16][8];
	int	n;
};

static void
key_view(struct keyview *v)
{
	json_t *doc, *k;
	size_t i, len;

	memset(v, 0, sizeof(*v));
	assert_int_equal(run("oidc", "key", "list", "--tenant", "acme", "--json", NULL), 0);
	doc = json_loads(F->out, 0, NULL);
	assert_non_null(doc);
	json_array_foreach(doc, i, k) {
		assert_true(i < 16);
		len = strlen(v->text);
		snprintf(v->text + len, sizeof(v->text) - len, "%s%s:%s", len > 0 ? " " : "",
		    json_string_value(json_object_get(k, "alg")),
		    json_string_value(json_object_get(k, "status")));
		snprintf(v->kid[i], sizeof(v->kid[i]), "%s",
		    json_string_value(json_object_get(k, "kid")));
		snprintf(v->alg[i], sizeof(v->alg[i]), "%s",
		    json_string_value(json_object_get(k, "alg")));
		snprintf(v->status[i], sizeof(v->status[i]), "%s",
		    json_string_value(json_object_get(k, "status")));
		/* Never the sealed key. */
		assert_null(json_object_get(k, "sealed"));
		v->n++;
	}
	json_decref(doc);
}

/* The kid with this alg and status (exactly one must exist). */
static const char *
kid_of(const struct keyview *v, const char *alg, const char *status)
{
	const char *found = NULL;
	int i, n = 0;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->alg[i], alg) == 0 && strcmp(v->status[i], status) == 0) {
			found = v->kid[i];
			n++;
		}
	assert_int_equal(n, 1);
	return found;
}

static int
open_key(void *arg, const struct idg_signing_key *k)
{
	int *opened = arg;
	uint8_t wrong[32];
	struct idg_jose_key *jk = NULL;
	enum idg_jose_alg alg;

	assert_int_equal(idg_jose_alg_parse(k->alg, &alg), IDG_OK);
	assert_int_equal(idg_jose_key_open(k->sealed, k->kid, alg, F->cfg.master_key, &jk),
	    IDG_OK);
	assert_string_equal(idg_jose_key_kid(jk), k->kid);
	idg_jose_key_free(jk);
	memset(wrong, 0x5b, sizeof(wrong));
	jk = NULL;
	assert_int_not_equal(idg_jose_key_open(k->sealed, k->kid, alg, wrong, &jk), IDG_OK);
	idg_jose_key_free(jk);
	/* The private key is not stored in clear. */
	assert_null(strstr(k->sealed, "PRIVATE"));
	assert_non_null(strstr(k->public_jwk, k->kid));
	(*opened)++;
	return 0;
}

static void
test_key_rotate(void **state)
{
	struct keyview v1, v2, v3;
	struct idg_store *s;
	char rs_next[64], es_next[64], rs_cur[64], es_cur[64];
	int64_t tid;
	int opened = 0;

	(void)state;
	/* Without the master key nothing can be sealed. */
	F->cfg.master_key_loaded = false;
	assert_int_equal(run("oidc", "key", "rotate", "--tenant", "acme", NULL),
	    IDG_EXIT_FAILURE);
	assert_non_null(strstr(F->err, "error: master_key_unavailable: "));
	F->cfg.master_key_loaded = true;
	key_view(&v1);
	assert_int_equal(v1.n, 0);
	assert_non_null(strstr(F->out, "[]"));

	/* Usage errors. */
	assert_int_equal(run("oidc", "key", "rotate", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("oidc", "key", "rotate", "--tenant", "acme", "--alg", "HS256",
	    NULL), IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "error: invalid_alg: "));
	assert_int_equal(run("oidc", "key", "rotate", "--tenant", "acme", "--bits", "1024",
	    NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("oidc", "key", "rotate", "--tenant", "nope", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: tenant_not_found: "));
	assert_int_equal(run("oidc", "key", "spin", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("oidc", "key", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("oidc", "door", "open", NULL), IDG_EXIT_USAGE);

	/* First rotate: a current and a next key per alg. */
	assert_int_equal(run("oidc", "key", "rotate", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "RS256: current key "));
	assert_non_null(strstr(F->out, "ES256: current key "));
	key_view(&v1);
	assert_string_equal(v1.text, "RS256:current RS256:next ES256:current ES256:next");
	snprintf(rs_cur, sizeof(rs_cur), "%s", kid_of(&v1, "RS256", "current"));
	snprintf(rs_next, sizeof(rs_next), "%s", kid_of(&v1, "RS256", "next"));
	snprintf(es_cur, sizeof(es_cur), "%s", kid_of(&v1, "ES256", "current"));
	snprintf(es_next, sizeof(es_next), "%s", kid_of(&v1, "ES256", "next"));
	assert_string_not_equal(rs_cur, rs_next);

	/* Second rotate: next -> current, current -> retired, a new next. */
	assert_int_equal(run("oidc", "key", "rotate", "--tenant", "acme", NULL), 0);
	key_view(&v2);
	assert_int_equal(v2.n, 6);
	assert_string_equal(kid_of(&v2, "RS256", "current"), rs_next);
	assert_string_equal(kid_of(&v2, "RS256", "retired"), rs_cur);
	assert_string_equal(kid_of(&v2, "ES256", "current"), es_next);
	assert_string_equal(kid_of(&v2, "ES256", "retired"), es_cur);
	assert_string_not_equal(kid_of(&v2, "RS256", "next"), rs_next);
	assert_string_not_equal(kid_of(&v2, "ES256", "next"), es_next);

	/* One alg only, with 3072-bit RSA. */
	assert_int_equal(run("oidc", "key", "rotate", "--tenant", "acme", "--alg", "RS256",
	    "--bits", "3072", NULL), 0);
	assert_null(strstr(F->out, "ES256"));
	key_view(&v3);
	assert_int_equal(v3.n, 7);
	assert_string_equal(kid_of(&v3, "ES256", "current"), es_next);

	/* Every stored key opens with the master key and only with it. */
	s = store(&tid);
	assert_int_equal(idg_store_key_list(s, tid, "oidc", open_key, &opened), IDG_OK);
	idg_store_free(s);
	assert_int_equal(opened, 7);

	/* Purge: recently retired keys stay (default 7 days). */
	assert_int_equal(run("oidc", "key", "purge", "--tenant", "acme", NULL), 0);
	assert_string_equal(F->out, "purged 0 retired signing keys\n");
	sql("UPDATE signing_keys SET retired_at = retired_at - 8 * 86400 WHERE status = 2");
	assert_int_equal(run("oidc", "key", "purge", "--tenant", "acme",
	    "--older-than-days", "x", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("oidc", "key", "purge", "--tenant", "acme", NULL), 0);
	assert_string_equal(F->out, "purged 3 retired signing keys\n");
	key_view(&v3);
	assert_string_equal(v3.text, "ES256:current RS256:current ES256:next RS256:next");

	/* The audit trail names the rotations. */
	assert_int_equal(run("audit", "list", "--tenant", "acme", "--json", NULL), 0);
	assert_non_null(strstr(F->out, "oidc.key.rotate"));
	assert_non_null(strstr(F->out, "oidc.key.purge"));
}

/* Hex SHA-256 of s. */
static void
sha_hex(const char *s, char out[65])
{
	uint8_t d[IDG_SHA256_LEN];

	idg_sha256(s, strlen(s), d);
	idg_hex(d, sizeof(d), out);
}

static void
get_client(const char *client_id, struct idg_oidc_client *c, int want)
{
	struct idg_store *s;
	int64_t tid;

	s = store(&tid);
	assert_int_equal(idg_store_oidc_client_get(s, tid, client_id, c), want);
	idg_store_free(s);
}

static void
test_client_add(void **state)
{
	struct idg_oidc_client *c = calloc(1, sizeof(*c));
	struct keyview v;
	char id[128], secret[128], hex[65];
	json_t *doc;

	(void)state;
	assert_non_null(c);
	/* No keys yet and no master key: refused before anything is stored. */
	F->cfg.master_key_loaded = false;
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "Wiki",
	    "--redirect-uri", "https://wiki.example.com/cb", NULL), IDG_EXIT_FAILURE);
	assert_non_null(strstr(F->err, "error: master_key_unavailable: "));
	assert_int_equal(run("oidc", "client", "list", "--tenant", "acme", NULL), 0);
	assert_string_equal(F->out, "no OIDC clients\n");
	F->cfg.master_key_loaded = true;

	/* A confidential client: the printed secret hashes to the stored hash. */
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "Wiki",
	    "--redirect-uri", "https://wiki.example.com/cb",
	    "--redirect-uri=http://127.0.0.1:8080/cb", NULL), 0);
	after(F->out, "client_id:     ", id, sizeof(id));
	after(F->out, "client_secret: ", secret, sizeof(secret));
	assert_int_equal(strlen(id), 22);		/* 16 random bytes, base64url */
	assert_int_equal(strlen(secret), 43);		/* 32 random bytes, base64url */
	get_client(id, c, IDG_OK);
	assert_true(c->confidential);
	sha_hex(secret, hex);
	assert_string_equal(c->secret_hash, hex);
	assert_null(strstr(F->out, c->secret_hash));
	assert_string_equal(c->redirect_uris,
	    "https://wiki.example.com/cb\nhttp://127.0.0.1:8080/cb");
	assert_string_equal(c->grant_types, "authorization_code refresh_token");
	assert_string_equal(c->scopes, IDG_OIDC_DEFAULT_SCOPES);
	/* The tenant's provider got its keys with the first client. */
	key_view(&v);
	assert_string_equal(v.text, "RS256:current RS256:next ES256:current ES256:next");

	/* Keys exist now: no master key is needed for more clients. */
	F->cfg.master_key_loaded = false;
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "SPA",
	    "--public", "--client-id", "spa-1", "--redirect-uri", "http://localhost:3000/cb",
	    "--scope", "openid  email", "--grant", "authorization_code",
	    "--id-token-alg", "ES256", "--pairwise", "--access-token-ttl", "120",
	    "--post-logout-redirect-uri", "http://localhost:3000/bye", NULL), 0);
	F->cfg.master_key_loaded = true;
	assert_null(strstr(F->out, "client_secret"));
	get_client("spa-1", c, IDG_OK);
	assert_false(c->confidential);
	assert_string_equal(c->secret_hash, "");
	assert_string_equal(c->scopes, "openid email");
	assert_string_equal(c->grant_types, "authorization_code");
	assert_string_equal(c->id_token_alg, "ES256");
	assert_string_equal(c->post_logout_uris, "http://localhost:3000/bye");
	assert_true(c->pairwise);
	assert_int_equal(c->access_token_ttl_s, 120);
	assert_int_equal(c->refresh_token_ttl_s, 2592000);

	/* The same client_id again. */
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "SPA",
	    "--public", "--client-id", "spa-1", "--redirect-uri", "http://localhost/cb", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: client_exists: "));

	/* JSON: a machine-to-machine client with a resource server flag. */
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "API",
	    "--grant", "client_credentials", "--resource-server", "--json", NULL), 0);
	doc = json_loads(F->out, 0, NULL);
	assert_non_null(doc);
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(doc, "client_id")));
	snprintf(secret, sizeof(secret), "%s",
	    json_string_value(json_object_get(doc, "client_secret")));
	assert_true(json_is_true(json_object_get(doc, "resource_server")));
	assert_int_equal(json_array_size(json_object_get(doc, "redirect_uris")), 0);
	json_decref(doc);
	get_client(id, c, IDG_OK);
	sha_hex(secret, hex);
	assert_string_equal(c->secret_hash, hex);
	assert_string_equal(c->grant_types, "client_credentials");

	/* Rules on grants: exit 1, nothing stored. */
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "Bad",
	    "--public", "--client-id", "bad1", "--grant", "client_credentials", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: grant_not_allowed: "));
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "Bad",
	    "--client-id", "bad2", "--grant", "refresh_token", NULL), IDG_EXIT_REFUSED);
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "Bad",
	    "--public", "--client-id", "bad3", "--resource-server", "--redirect-uri",
	    "https://x.example/cb", NULL), IDG_EXIT_REFUSED);
	/* Usage errors: exit 2. */
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "Bad",
	    "--client-id", "bad4", "--grant", "implicit", "--redirect-uri",
	    "https://x.example/cb", NULL), IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "error: invalid_grant: "));
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "Bad",
	    "--client-id", "bad5", NULL), IDG_EXIT_USAGE);	/* no redirect URI */
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "Bad",
	    "--client-id", "bad6", "--scope", "openid admin", "--redirect-uri",
	    "https://x.example/cb", NULL), IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "error: invalid_scope: "));
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "Bad",
	    "--client-id", "bad 7", "--redirect-uri", "https://x.example/cb", NULL),
	    IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "error: invalid_client_id: "));
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "Bad",
	    "--client-id", "bad8", "--id-token-alg", "none", "--redirect-uri",
	    "https://x.example/cb", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "Bad",
	    "--client-id", "bad9", "--access-token-ttl", "5", "--redirect-uri",
	    "https://x.example/cb", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name",
	    "--redirect-uri", "https://x.example/cb", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("oidc", "client", "list", "--tenant", "acme", "--json", NULL), 0);
	doc = json_loads(F->out, 0, NULL);
	assert_int_equal(json_array_size(doc), 3);
	json_decref(doc);
	free(c);
}

/*
 * Redirect URIs (RFC 6749 3.1.2, RFC 8252, RFC 9700): refused with exit 2
 * and invalid_redirect_uri, like other malformed input.
 */
static void
test_redirect_uris(void **state)
{
	static const char *const bad[] = {
		"http://example.com/cb",		/* http off loopback */
		"http://localhost.evil.example/cb",
		"http://127.0.0.1.evil.example/cb",
		"https://app.example.com/cb#frag",	/* fragment */
		"https://*.example.com/cb",		/* wildcard */
		"https://app.example.com/*",
		"https://user@app.example.com/cb",	/* user information */
		"app.example.com/cb",			/* relative */
		"/cb",
		"https:///cb",				/* no host */
		"https://app.example.com:99999/cb",	/* port */
		"https://app.example.com:/cb",
		"https://app example.com/cb",		/* space */
		"https://app.example.com/c\tb",
		"javascript:alert(1)",
		"com.example.app:/cb",			/* private-use scheme */
		"https://[::1/cb",
		"",
	};
	static const char *const good[] = {
		"https://app.example.com/cb?x=1",
		"http://localhost/cb",
		"http://127.0.0.1:8080/cb",
		"http://[::1]:9000/cb",
		"https://[2001:db8::1]/cb",
		"https://app.example.com:8443/cb",
	};
	char id[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "X",
		    "--redirect-uri", bad[i], NULL), IDG_EXIT_USAGE);
		assert_non_null(strstr(F->err, "error: invalid_redirect_uri: "));
		assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "X",
		    "--redirect-uri", "https://ok.example/cb", "--post-logout-redirect-uri",
		    bad[i], NULL), IDG_EXIT_USAGE);
	}
	/* initiate_login_uri: https only (OIDC Core 4). */
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "X",
	    "--redirect-uri", "https://ok.example/cb", "--initiate-login-uri",
	    "http://localhost/login", NULL), IDG_EXIT_USAGE);
	/* Pairwise needs one host (OIDC Core 8.1). */
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "X",
	    "--pairwise", "--redirect-uri", "https://a.example/cb", "--redirect-uri",
	    "https://b.example/cb", NULL), IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "one host"));
	/* The same URI twice. */
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "X",
	    "--redirect-uri", "https://a.example/cb", "--redirect-uri",
	    "https://a.example/cb", NULL), IDG_EXIT_USAGE);
	/* Nothing was stored by any refusal. */
	assert_int_equal(run("oidc", "client", "list", "--tenant", "acme", NULL), 0);
	assert_string_equal(F->out, "no OIDC clients\n");
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(id, sizeof(id), "good%zu", i);
		assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "X",
		    "--client-id", id, "--redirect-uri", good[i], "--initiate-login-uri",
		    "https://ok.example/login", NULL), 0);
	}
}

static void
test_client_assign_show_delete(void **state)
{
	struct idg_oidc_client *c = calloc(1, sizeof(*c));
	char secret[128], hex[65], old[65];
	json_t *doc, *as;

	(void)state;
	assert_non_null(c);
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "alice@example.com",
	    NULL), 0);
	assert_int_equal(run("group", "add", "--tenant", "acme", "staff", NULL), 0);
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "Wiki",
	    "--client-id", "wiki", "--redirect-uri", "https://wiki.example.com/cb", NULL), 0);
	assert_int_equal(run("oidc", "client", "add", "--tenant", "acme", "--name", "SPA",
	    "--client-id", "spa", "--public", "--redirect-uri", "http://localhost/cb", NULL),
	    0);

	/* Unknown user, group, client: exit 1 with the matching code. */
	assert_int_equal(run("oidc", "client", "assign", "--tenant", "acme", "wiki", "--user",
	    "nobody@example.com", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: user_not_found: "));
	assert_int_equal(run("oidc", "client", "assign", "--tenant", "acme", "wiki", "--group",
	    "nobody", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: group_not_found: "));
	assert_int_equal(run("oidc", "client", "assign", "--tenant", "acme", "nope", "--group",
	    "staff", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: client_not_found: "));
	/* Exactly one of --user and --group. */
	assert_int_equal(run("oidc", "client", "assign", "--tenant", "acme", "wiki", NULL),
	    IDG_EXIT_USAGE);
	assert_int_equal(run("oidc", "client", "assign", "--tenant", "acme", "wiki", "--user",
	    "alice@example.com", "--group", "staff", NULL), IDG_EXIT_USAGE);

	assert_int_equal(run("oidc", "client", "assign", "--tenant", "acme", "wiki", "--user",
	    "Alice@Example.com", NULL), 0);
	assert_int_equal(run("oidc", "client", "assign", "--tenant", "acme", "wiki", "--user",
	    "alice@example.com", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: already_assigned: "));
	assert_int_equal(run("oidc", "client", "assign", "--tenant", "acme", "wiki", "--group",
	    "staff", NULL), 0);

	/* show: fields and assignments, never the secret hash. */
	get_client("wiki", c, IDG_OK);
	assert_int_equal(run("oidc", "client", "show", "--tenant", "acme", "wiki", NULL), 0);
	assert_non_null(strstr(F->out, "https://wiki.example.com/cb"));
	assert_non_null(strstr(F->out, "user alice@example.com"));
	assert_non_null(strstr(F->out, "group staff"));
	assert_null(strstr(F->out, c->secret_hash));
	assert_int_equal(run("oidc", "client", "show", "--tenant", "acme", "wiki", "--json",
	    NULL), 0);
	doc = json_loads(F->out, 0, NULL);
	assert_non_null(doc);
	as = json_object_get(doc, "assigned");
	assert_int_equal(json_array_size(as), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(as, 0), "email")),
	    "alice@example.com");
	assert_string_equal(json_string_value(json_object_get(doc, "type")), "confidential");
	assert_null(json_object_get(doc, "secret_hash"));
	json_decref(doc);
	assert_int_equal(run("oidc", "client", "show", "--tenant", "acme", "spa", NULL), 0);
	assert_non_null(strstr(F->out, "nobody (no user can sign in)"));

	/* reset-secret: a new secret replaces the old hash; public clients have none. */
	snprintf(old, sizeof(old), "%s", c->secret_hash);
	assert_int_equal(run("oidc", "client", "reset-secret", "--tenant", "acme", "wiki",
	    NULL), 0);
	after(F->out, "new client_secret: ", secret, sizeof(secret));
	get_client("wiki", c, IDG_OK);
	sha_hex(secret, hex);
	assert_string_equal(c->secret_hash, hex);
	assert_string_not_equal(c->secret_hash, old);
	assert_int_equal(run("oidc", "client", "reset-secret", "--tenant", "acme", "spa", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: public_client: "));
	assert_int_equal(run("oidc", "client", "reset-secret", "--tenant", "acme", "nope",
	    NULL), IDG_EXIT_REFUSED);

	/* delete */
	assert_int_equal(run("oidc", "client", "delete", "--tenant", "acme", "wiki", NULL), 0);
	get_client("wiki", c, IDG_NOTFOUND);
	assert_int_equal(run("oidc", "client", "delete", "--tenant", "acme", "wiki", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: client_not_found: "));
	assert_int_equal(run("oidc", "client", "show", "--tenant", "acme", "wiki", NULL),
	    IDG_EXIT_REFUSED);
	assert_int_equal(run("oidc", "client", "list", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "spa"));
	assert_null(strstr(F->out, "wiki"));

	assert_int_equal(run("audit", "list", "--tenant", "acme", "--json", NULL), 0);
	assert_non_null(strstr(F->out, "oidc.client.add"));
	assert_non_null(strstr(F->out, "oidc.client.assign"));
	assert_non_null(strstr(F->out, "oidc.client.reset_secret"));
	assert_non_null(strstr(F->out, "oidc.client.delete"));
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_rotate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect_uris, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_assign_show_delete, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
