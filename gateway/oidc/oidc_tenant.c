/*
 * oidc_tenant.c - builds a tenant's OpenID Provider data for the directory
 * snapshot: opens the sealed signing keys, renders the JWKS and discovery
 * documents once, and indexes clients with their redirect URIs and assigned
 * users; see oidc.h. Runs on a work-pool thread.
 */
#include "oidc.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../util/crypto.h"
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"

struct load {
	struct idg_oidc_tenant	*t;
	const uint8_t		*master_key;
	json_t			*jwks;
	int			 cap;
	int			 failed;
};

static int
add_key(void *arg, const struct idg_signing_key *k)
{
	struct load *l = arg;
	struct idg_jose_key *jk;
	enum idg_jose_alg alg;
	json_t *jwk;

	if (l->t->nkeys >= IDG_OIDC_MAX_KEYS)
		return 0;
	if (idg_jose_alg_parse(k->alg, &alg) != IDG_OK ||
	    idg_jose_key_open(k->sealed, k->kid, alg, l->master_key, &jk) != IDG_OK) {
		log_error("tenant %lld: signing key %s cannot be opened (wrong master key?)",
		    (long long)k->tenant_id, k->kid);
		return 0;	/* the others still work */
	}
	l->t->keys[l->t->nkeys++] = jk;
	if (k->status == IDG_KEY_CURRENT)
		l->t->current[alg] = jk;
	if ((jwk = json_loads(k->public_jwk, 0, NULL)) != NULL)
		json_array_append_new(l->jwks, jwk);
	return 0;
}

/* Splits a newline-separated list in place into ptrs. */
static int
split_lines(char *s, char **out, int max)
{
	int n = 0;
	char *p = s;

	while (p != NULL && *p != '\0' && n < max) {
		char *nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (*p != '\0')
			out[n++] = p;
		p = nl != NULL ? nl + 1 : NULL;
	}
	return n;
}

static void
sector_of(const char *uri, char *out, size_t outsz)
{
	const char *h = strstr(uri, "://");
	size_t n;

	out[0] = '\0';
	if (h == NULL)
		return;
	h += 3;
	n = strcspn(h, "/?#");
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, h, n);
	out[n] = '\0';
}

static int
add_client(void *arg, const struct idg_oidc_client *c)
{
	struct load *l = arg;
	struct idg_oidc_rp *rp;

	if (l->t->nrps == l->cap) {
		int ncap = l->cap ? 2 * l->cap : 8;
		void *p = realloc(l->t->rps, (size_t)ncap * sizeof(*rp));
		if (p == NULL) {
			l->failed = 1;
			return 1;
		}
		l->t->rps = p;
		l->cap = ncap;
	}
	rp = &l->t->rps[l->t->nrps++];
	memset(rp, 0, sizeof(*rp));
	rp->c = *c;
	return 0;
}

static int
rp_cmp(const void *a, const void *b)
{
	return strcmp(((const struct idg_oidc_rp *)a)->c.client_id,
	    ((const struct idg_oidc_rp *)b)->c.client_id);
}

static int
add_user(void *arg, const char *client_id, int64_t user_id)
{
	struct load *l = arg;
	struct idg_oidc_rp *rp = (struct idg_oidc_rp *)idg_oidc_rp_find(l->t, client_id);
	int64_t *p;

	if (rp == NULL)
		return 0;
	if ((p = realloc(rp->users, (size_t)(rp->nusers + 1) * sizeof(*p))) == NULL) {
		l->failed = 1;
		return 1;
	}
	rp->users = p;
	rp->users[rp->nusers++] = user_id;
	return 0;
}

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static json_t *
strings(const char *const *v)
{
	json_t *a = json_array();

	for (; *v != NULL; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static void
endpoint(json_t *o, const char *name, const char *issuer, const char *path)
{
	char u[400];

	snprintf(u, sizeof(u), "%s/%s", issuer, path);
	json_object_set_new(o, name, json_string(u));
}

/* OpenID Connect Discovery 1.0 section 3: every required field and every one we use. */
static char *
discovery(const char *issuer)
{
	static const char *const rtypes[] = { "code", NULL };
	static const char *const rmodes[] = { "query", "form_post", NULL };
	static const char *const grants[] = { "authorization_code", "refresh_token",
	    "client_credentials", NULL };
	static const char *const pkce[] = { "S256", NULL };
	static const char *const subjects[] = { "public", "pairwise", NULL };
	static const char *const algs[] = { "RS256", "ES256", NULL };
	static const char *const scopes[] = { "openid", "profile", "email", "groups",
	    "offline_access", NULL };
	static const char *const auth[] = { "client_secret_basic", "client_secret_post",
	    NULL };
	static const char *const claims[] = { "iss", "sub", "aud", "exp", "iat", "auth_time",
	    "nonce", "amr", "acr", "sid", "azp", "email", "email_verified", "name", "groups",
	    NULL };
	static const char *const prompts[] = { "none", "login", NULL };
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "issuer", json_string(issuer));
	endpoint(o, "authorization_endpoint", issuer, "authorize");
	endpoint(o, "token_endpoint", issuer, "token");
	endpoint(o, "userinfo_endpoint", issuer, "userinfo");
	endpoint(o, "jwks_uri", issuer, "jwks");
	endpoint(o, "revocation_endpoint", issuer, "revoke");
	endpoint(o, "introspection_endpoint", issuer, "introspect");
	endpoint(o, "end_session_endpoint", issuer, "end_session");
	json_object_set_new(o, "response_types_supported", strings(rtypes));
	json_object_set_new(o, "response_modes_supported", strings(rmodes));
	json_object_set_new(o, "grant_types_supported", strings(grants));
	json_object_set_new(o, "code_challenge_methods_supported", strings(pkce));
	json_object_set_new(o, "subject_types_supported", strings(subjects));
	json_object_set_new(o, "id_token_signing_alg_values_supported", strings(algs));
	json_object_set_new(o, "scopes_supported", strings(scopes));
	json_object_set_new(o, "token_endpoint_auth_methods_supported", strings(auth));
	json_object_set_new(o, "revocation_endpoint_auth_methods_supported", strings(auth));
	json_object_set_new(o, "introspection_endpoint_auth_methods_supported", strings(auth));
	json_object_set_new(o, "claims_supported", strings(claims));
	json_object_set_new(o, "prompt_values_supported", strings(prompts));
	json_object_set_new(o, "request_parameter_supported", json_false());
	json_object_set_new(o, "request_uri_parameter_supported", json_false());
	json_object_set_new(o, "authorization_response_iss_parameter_supported", json_true());
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

int
idg_oidc_tenant_load(struct idg_store *s, int64_t tenant_id, const char *company_id,
    const char *public_url, const uint8_t master_key[32], struct idg_oidc_tenant **out)
{
	struct load l;
	json_t *doc;
	int st, i;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	if ((l.t = calloc(1, sizeof(*l.t))) == NULL)
		return IDG_ERR;
	l.master_key = master_key;
	l.jwks = json_array();
	snprintf(l.t->issuer, sizeof(l.t->issuer), "%s/oidc/%s", public_url, company_id);
	if ((st = idg_store_key_list(s, tenant_id, "oidc", add_key, &l)) != IDG_OK)
		goto fail;
	if (l.t->nkeys == 0) {
		/* No provider for this tenant yet (no key was ever made). */
		json_decref(l.jwks);
		idg_oidc_tenant_free(l.t);
		return IDG_OK;
	}
	doc = json_pack("{s:o}", "keys", l.jwks);
	l.jwks = NULL;
	l.t->jwks = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	l.t->discovery = discovery(l.t->issuer);
	if (l.t->jwks == NULL || l.t->discovery == NULL) {
		st = IDG_ERR;
		goto fail;
	}
	if ((st = idg_store_oidc_client_list(s, tenant_id, add_client, &l)) != IDG_OK)
		goto fail;
	if (l.t->nrps > 1)
		qsort(l.t->rps, (size_t)l.t->nrps, sizeof(*l.t->rps), rp_cmp);
	for (i = 0; i < l.t->nrps; i++) {
		struct idg_oidc_rp *rp = &l.t->rps[i];
		rp->nredirect = split_lines(rp->c.redirect_uris, rp->redirect, IDG_OIDC_MAX_URIS);
		rp->npost_logout = split_lines(rp->c.post_logout_uris, rp->post_logout,
		    IDG_OIDC_MAX_URIS);
		if (rp->nredirect > 0)
			sector_of(rp->redirect[0], rp->sector, sizeof(rp->sector));
	}
	if ((st = idg_store_oidc_client_users(s, tenant_id, add_user, &l)) != IDG_OK)
		goto fail;
	for (i = 0; i < l.t->nrps; i++)
		if (l.t->rps[i].nusers > 1)
			qsort(l.t->rps[i].users, (size_t)l.t->rps[i].nusers, sizeof(int64_t),
			    id_cmp);
	if (l.failed) {
		st = IDG_ERR;
		goto fail;
	}
	*out = l.t;
	return IDG_OK;
fail:
	json_decref(l.jwks);
	idg_oidc_tenant_free(l.t);
	return st == IDG_OK ? IDG_ERR : st;
}

void
idg_oidc_tenant_free(struct idg_oidc_tenant *t)
{
	int i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nkeys; i++)
		idg_jose_key_free(t->keys[i]);
	for (i = 0; i < t->nrps; i++)
		free(t->rps[i].users);
	free(t->rps);
	free(t->jwks);
	free(t->discovery);
	free(t);
}

const struct idg_oidc_rp *
idg_oidc_rp_find(const struct idg_oidc_tenant *t, const char *client_id)
{
	struct idg_oidc_rp key;

	if (t == NULL || t->nrps == 0 || client_id == NULL ||
	    strlen(client_id) >= sizeof(key.c.client_id))
		return NULL;
	idg_strlcpy(key.c.client_id, client_id, sizeof(key.c.client_id));
	return bsearch(&key, t->rps, (size_t)t->nrps, sizeof(key), rp_cmp);
}

bool
idg_oidc_rp_user_allowed(const struct idg_oidc_rp *rp, int64_t user_id)
{
	return rp->nusers > 0 &&
	    bsearch(&user_id, rp->users, (size_t)rp->nusers, sizeof(int64_t), id_cmp) != NULL;
}

const char *
idg_oidc_rp_redirect(const struct idg_oidc_rp *rp, const char *uri)
{
	int i;

	/* RFC 6749 3.1.2.3 / OIDC Core 3.1.2.1: simple string comparison, exact. */
	for (i = 0; uri != NULL && i < rp->nredirect; i++)
		if (strcmp(rp->redirect[i], uri) == 0)
			return rp->redirect[i];
	return NULL;
}

bool
idg_oidc_rp_has_grant(const struct idg_oidc_rp *rp, const char *grant)
{
	const char *p = rp->c.grant_types;
	size_t n = strlen(grant);

	while ((p = strstr(p, grant)) != NULL) {
		if ((p == rp->c.grant_types || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return true;
		p += n;
	}
	return false;
}
