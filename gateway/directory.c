/*
 * directory.c - immutable, reference-counted directory snapshots; see
 * directory.h.
 */
#include "directory.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../certs/devcert.h"
#include "saml/saml.h"
#include "devices.h"
#include "oidc/oidc.h"
#include "../policy/policy.h"
#include "util/log.h"
#include "util/status.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/seal.h"
#include "util/str.h"

struct load_ctx {
	struct idg_directory	*d;
	int			 cap;
	struct idg_dir_tenant	*t;
	int			 ucap;
	int			 failed;
};

static int
add_tenant(void *arg, const struct idg_tenant *t)
{
	struct load_ctx *lc = arg;
	struct idg_dir_tenant *dt;

	if (lc->d->ntenants == lc->cap) {
		int ncap = lc->cap ? lc->cap * 2 : 16;
		void *p = realloc(lc->d->tenants, (size_t)ncap * sizeof(*dt));
		if (p == NULL) {
			lc->failed = 1;
			return 1;
		}
		lc->d->tenants = p;
		lc->cap = ncap;
	}
	dt = &lc->d->tenants[lc->d->ntenants++];
	memset(dt, 0, sizeof(*dt));
	dt->id = t->id;
	idg_strlcpy(dt->company_id, t->company_id, sizeof(dt->company_id));
	idg_strlcpy(dt->name, t->name, sizeof(dt->name));
	dt->status = t->status;
	dt->contracted_ids = t->contracted_ids;
	return 0;
}

static int
add_user(void *arg, const struct idg_user *u)
{
	struct load_ctx *lc = arg;
	struct idg_dir_user *du;

	if (lc->t->nusers == lc->ucap) {
		int ncap = lc->ucap ? lc->ucap * 2 : 64;
		void *p = realloc(lc->t->users, (size_t)ncap * sizeof(*du));
		if (p == NULL) {
			lc->failed = 1;
			return 1;
		}
		lc->t->users = p;
		lc->ucap = ncap;
	}
	du = &lc->t->users[lc->t->nusers++];
	du->id = u->id;
	idg_strlcpy(du->email, u->email, sizeof(du->email));
	idg_strlcpy(du->display_name, u->display_name, sizeof(du->display_name));
	du->status = u->status;
	du->kind = u->kind;
	du->sessions_not_before = u->sessions_not_before;
	du->device_license = u->device_license;
	du->groups = NULL;
	return 0;
}

struct groups_ctx {
	struct idg_buf	b;
	int		failed;
};

static int
add_group(void *arg, const struct idg_group *g)
{
	struct groups_ctx *gc = arg;

	if ((gc->b.len > 0 && idg_buf_add(&gc->b, "\n", 1) != IDG_OK) ||
	    idg_buf_adds(&gc->b, g->name) != IDG_OK)
		gc->failed = 1;
	return gc->failed;
}

static int
tenant_cmp(const void *a, const void *b)
{
	return strcmp(((const struct idg_dir_tenant *)a)->company_id,
	    ((const struct idg_dir_tenant *)b)->company_id);
}

static int
user_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct idg_dir_user *)a)->id;
	int64_t y = ((const struct idg_dir_user *)b)->id;

	return x < y ? -1 : x > y;
}

static void
saml_free(struct idg_dir_saml *sm)
{
	size_t i;

	if (sm == NULL)
		return;
	if (sm->key_pem != NULL) {
		idg_wipe(sm->key_pem, strlen(sm->key_pem));
		free(sm->key_pem);
	}
	free(sm->cert_pem);
	for (i = 0; i < sm->nextra; i++)
		free(sm->extra_pem[i]);
	for (i = 0; i < sm->napps; i++) {
		free((char *)sm->sps[i].entity_id);
		free((char *)sm->sps[i].metadata_xml);
		free(sm->apps[i].attributes);
		free(sm->apps[i].users);
	}
	free(sm->sps);
	free(sm->apps);
	idg_wipe(sm->persistent_key, sizeof(sm->persistent_key));
	free(sm);
}

static void
dir_free(struct idg_directory *d)
{
	int i;

	if (d == NULL)
		return;
	for (i = 0; i < d->ntenants; i++) {
		int j;

		for (j = 0; j < d->tenants[i].nusers; j++)
			free(d->tenants[i].users[j].groups);
		free(d->tenants[i].users);
		idg_oidc_tenant_free(d->tenants[i].oidc);
		idg_policy_free(d->tenants[i].policy);
		idg_ca_free(d->tenants[i].ca);
		free(d->tenants[i].revoked);
		saml_free(d->tenants[i].saml);
	}
	free(d->tenants);
	free(d);
}

/*
 * The tenant's access policy. The CLI refuses invalid text, so a stored
 * policy that does not parse means damage: fail closed (deny everything)
 * and say so, rather than silently allowing.
 */
static int
load_policy(struct idg_store *s, struct idg_dir_tenant *t)
{
	char err[256], *text = NULL;
	bool mfa = false;
	int st;

	if ((st = idg_store_policy_get(s, t->id, &text, &mfa)) != IDG_OK)
		return st == IDG_NOTFOUND ? IDG_OK : st;
	t->mfa_required = mfa;
	if (text != NULL && idg_policy_parse(text, strlen(text), &t->policy, err,
	    sizeof(err)) != IDG_OK) {
		log_error("tenant %s: stored access policy is invalid (%s); denying all access",
		    t->company_id, err);
		st = idg_policy_parse("default deny\n", 13, &t->policy, err, sizeof(err));
	}
	free(text);
	return st;
}

struct revoked_ctx {
	struct idg_dir_tenant	*t;
	int			 cap;
	int64_t			 now;
	int			 failed;
};

static int
add_revoked(void *arg, const struct idg_devcert *c)
{
	struct revoked_ctx *rc = arg;
	struct idg_dir_tenant *t = rc->t;

	if (c->not_after <= rc->now)
		return 0;	/* expired: refused by the check anyway */
	if (t->nrevoked == rc->cap) {
		int ncap = rc->cap ? rc->cap * 2 : 16;
		void *p = realloc(t->revoked, (size_t)ncap * sizeof(*t->revoked));

		if (p == NULL) {
			rc->failed = 1;
			return 1;
		}
		t->revoked = p;
		rc->cap = ncap;
	}
	idg_strlcpy(t->revoked[t->nrevoked++], c->serial, sizeof(*t->revoked));
	return 0;
}

static int
serial_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The device option's settings, the CA certificate (no key: workers only
 * verify) and the revoked serials (sessions checked with one end).
 */
static int
load_devices(struct idg_store *s, const uint8_t master_key[32], struct idg_dir_tenant *t)
{
	struct revoked_ctx rc = { t, 0, idg_now(), 0 };
	struct idg_tenant_ca *row;
	char aad[48];
	int st;

	if ((st = idg_store_device_settings_get(s, t->id, &t->device)) != IDG_OK)
		return st;
	if ((st = idg_store_devcert_revoked(s, t->id, add_revoked, &rc)) != IDG_OK)
		return st;
	if (rc.failed)
		return IDG_ERR;
	if (t->nrevoked > 1)
		qsort(t->revoked, (size_t)t->nrevoked, sizeof(*t->revoked), serial_cmp);
	if ((row = calloc(1, sizeof(*row))) == NULL)
		return IDG_ERR;
	st = idg_store_ca_get(s, t->id, row);
	if (st == IDG_OK) {
		idg_devices_ca_aad(t->id, aad, sizeof(aad));
		st = idg_ca_load(master_key, aad, NULL, row->cert_der, row->cert_len, &t->ca);
		if (st != IDG_OK)
			log_error("tenant %s: stored device CA certificate is invalid",
			    t->company_id);
	} else if (st == IDG_NOTFOUND)
		st = IDG_OK;
	free(row);
	return st;
}

struct saml_ctx {
	struct idg_dir_saml	*sm;
	const uint8_t		*master_key;
	int64_t			 tenant_id;
	size_t			 cap;
	int			 failed;
};

/* The sealed PKCS#8 DER of a SAML key as PEM (owned), or NULL. */
static char *
saml_key_pem(const uint8_t master_key[32], int64_t tenant_id, const char *sealed)
{
	uint8_t der[4096];
	const uint8_t *p = der;
	char aad[48], *pem = NULL;
	EVP_PKEY *k = NULL;
	BIO *bio = NULL;
	size_t n = 0;
	BUF_MEM *mem;

	snprintf(aad, sizeof(aad), "tenant:%lld", (long long)tenant_id);
	if (idg_unseal(master_key, IDG_SAML_KEY_SEAL_INFO, aad, sealed, der, sizeof(der), &n) !=
	    IDG_OK || (k = d2i_AutoPrivateKey(NULL, &p, (long)n)) == NULL ||
	    (bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	BIO_get_mem_ptr(bio, &mem);
	if ((pem = malloc(mem->length + 1)) != NULL) {
		memcpy(pem, mem->data, mem->length);
		pem[mem->length] = '\0';
	}
	idg_wipe(mem->data, mem->length);
out:
	idg_wipe(der, sizeof(der));
	BIO_free(bio);
	EVP_PKEY_free(k);
	return pem;
}

static int
saml_key(void *arg, const struct idg_signing_key *k)
{
	struct saml_ctx *sc = arg;
	struct idg_dir_saml *sm = sc->sm;

	if (k->status == IDG_KEY_CURRENT && sm->key_pem == NULL) {
		sm->key_pem = saml_key_pem(sc->master_key, sc->tenant_id, k->sealed);
		sm->cert_pem = strdup(k->public_jwk);
		if (sm->key_pem == NULL || sm->cert_pem == NULL) {
			log_error("tenant %lld: the current SAML key does not open",
			    (long long)sc->tenant_id);
			sc->failed = 1;
		}
	} else if (k->status == IDG_KEY_NEXT &&
	    sm->nextra < sizeof(sm->extra_pem) / sizeof(sm->extra_pem[0])) {
		if ((sm->extra_pem[sm->nextra++] = strdup(k->public_jwk)) == NULL)
			sc->failed = 1;
	}
	return sc->failed;
}

static int
saml_app(void *arg, const struct idg_saml_app *a)
{
	struct saml_ctx *sc = arg;
	struct idg_dir_saml *sm = sc->sm;
	struct idg_dir_saml_app *d;
	struct idg_saml_sp_conf *c;

	if (sm->napps == sc->cap) {
		size_t ncap = sc->cap != 0 ? 2 * sc->cap : 8;
		void *p = realloc(sm->apps, ncap * sizeof(*sm->apps));
		void *q = p != NULL ? realloc(sm->sps, ncap * sizeof(*sm->sps)) : NULL;

		if (p != NULL)
			sm->apps = p;
		if (q == NULL) {
			sc->failed = 1;
			return 1;
		}
		sm->sps = q;
		sc->cap = ncap;
	}
	d = &sm->apps[sm->napps];
	c = &sm->sps[sm->napps];
	memset(d, 0, sizeof(*d));
	memset(c, 0, sizeof(*c));
	sm->napps++;
	idg_strlcpy(d->app_id, a->app_id, sizeof(d->app_id));
	idg_strlcpy(d->name, a->name, sizeof(d->name));
	idg_strlcpy(d->entity_id, a->entity_id, sizeof(d->entity_id));
	d->nameid_format = a->nameid_format;
	idg_strlcpy(d->nameid_source, a->nameid_source, sizeof(d->nameid_source));
	d->attributes = a->attributes[0] != '\0' ? strdup(a->attributes) : NULL;
	d->idp_initiated = a->idp_initiated;
	d->device_required = a->device_required;
	c->entity_id = strdup(a->entity_id);
	c->metadata_xml = strdup(a->metadata != NULL ? a->metadata : "");
	c->nameid_format = (enum idg_saml_nameid_format)a->nameid_format;
	c->want_authn_requests_signed = a->sign_requests;
	c->sign_assertion = a->sign_assertion;
	c->sign_response = a->sign_response;
	c->encrypt_assertion = a->encrypt_assertion;
	c->sp_initiated_allowed = a->sp_initiated;
	c->idp_initiated_allowed = a->idp_initiated;
	if (c->entity_id == NULL || c->metadata_xml == NULL ||
	    (a->attributes[0] != '\0' && d->attributes == NULL))
		sc->failed = 1;
	return sc->failed;
}

static int
saml_user(void *arg, const char *app_id, int64_t user_id)
{
	struct saml_ctx *sc = arg;
	struct idg_dir_saml_app *d = NULL;
	size_t i;
	int64_t *p;

	for (i = 0; i < sc->sm->napps; i++)
		if (strcmp(sc->sm->apps[i].app_id, app_id) == 0)
			d = &sc->sm->apps[i];
	if (d == NULL)
		return 0;
	/* Rows come ordered by app_id then user_id: the array stays sorted. */
	if ((p = realloc(d->users, (d->nusers + 1) * sizeof(*p))) == NULL) {
		sc->failed = 1;
		return 1;
	}
	d->users = p;
	d->users[d->nusers++] = user_id;
	return 0;
}

/* The tenant's SAML IdP: its current key (opened), next certificates, apps. */
static int
load_saml(struct idg_store *s, const uint8_t master_key[32], struct idg_dir_tenant *t)
{
	struct saml_ctx sc;
	char info[64];
	int st;

	memset(&sc, 0, sizeof(sc));
	if ((sc.sm = calloc(1, sizeof(*sc.sm))) == NULL)
		return IDG_ERR;
	sc.master_key = master_key;
	sc.tenant_id = t->id;
	if ((st = idg_store_key_list(s, t->id, IDG_SAML_KEY_USE, saml_key, &sc)) != IDG_OK ||
	    sc.failed || sc.sm->key_pem == NULL) {
		/* No current key (or one that does not open): no IdP for this tenant. */
		saml_free(sc.sm);
		return st == IDG_OK || st == IDG_NOTFOUND ? IDG_OK : st;
	}
	if ((st = idg_store_saml_app_list(s, t->id, saml_app, &sc)) != IDG_OK ||
	    (st = idg_store_saml_app_users(s, t->id, saml_user, &sc)) != IDG_OK || sc.failed) {
		saml_free(sc.sm);
		return st != IDG_OK ? st : IDG_ERR;
	}
	snprintf(info, sizeof(info), "idgate saml persistent v1|%lld", (long long)t->id);
	if (idg_hmac_sha256(master_key, 32, info, strlen(info), sc.sm->persistent_key) != IDG_OK) {
		saml_free(sc.sm);
		return IDG_ERR;
	}
	t->saml = sc.sm;
	return IDG_OK;
}

int
idg_directory_load(struct idg_store *s, const uint8_t master_key[32], const char *public_url,
    struct idg_directory **out)
{
	struct load_ctx lc;
	int st, i;

	memset(&lc, 0, sizeof(lc));
	if ((lc.d = calloc(1, sizeof(*lc.d))) == NULL)
		return IDG_ERR;
	lc.d->refs = 1;
	/* Read the generation first: a write racing the load makes the next poll reload. */
	if ((st = idg_store_generation(s, &lc.d->generation)) != IDG_OK ||
	    (st = idg_store_tenant_list(s, add_tenant, &lc)) != IDG_OK)
		goto fail;
	for (i = 0; i < lc.d->ntenants && !lc.failed; i++) {
		lc.t = &lc.d->tenants[i];
		lc.ucap = 0;
		if ((st = idg_store_user_list(s, lc.t->id, add_user, &lc)) != IDG_OK)
			goto fail;
		if (lc.t->nusers > 1)
			qsort(lc.t->users, (size_t)lc.t->nusers, sizeof(*lc.t->users), user_cmp);
		for (int k = 0; k < lc.t->nusers; k++) {
			struct groups_ctx gc = { { NULL, 0, 0, 64 * 1024 }, 0 };

			st = idg_store_user_groups(s, lc.t->id, lc.t->users[k].id, add_group, &gc);
			if (st != IDG_OK || gc.failed) {
				idg_buf_free(&gc.b);
				st = st != IDG_OK ? st : IDG_ERR;
				goto fail;
			}
			lc.t->users[k].groups = gc.b.len > 0 ? idg_buf_take(&gc.b) : NULL;
			idg_buf_free(&gc.b);
		}
		if ((st = idg_oidc_tenant_load(s, lc.t->id, lc.t->company_id, public_url,
		    master_key, &lc.t->oidc)) != IDG_OK ||
		    (st = load_policy(s, lc.t)) != IDG_OK ||
		    (st = idg_store_security_get(s, lc.t->id, &lc.t->sec)) != IDG_OK ||
		    (st = load_devices(s, master_key, lc.t)) != IDG_OK ||
		    (st = load_saml(s, master_key, lc.t)) != IDG_OK)
			goto fail;
	}
	if (lc.failed) {
		st = IDG_ERR;
		goto fail;
	}
	if (lc.d->ntenants > 1)
		qsort(lc.d->tenants, (size_t)lc.d->ntenants, sizeof(*lc.d->tenants), tenant_cmp);
	*out = lc.d;
	return IDG_OK;
fail:
	dir_free(lc.d);
	return st == IDG_OK ? IDG_ERR : st;
}

struct idg_directory *
idg_directory_ref(struct idg_directory *d)
{
	if (d != NULL)
		d->refs++;
	return d;
}

void
idg_directory_unref(struct idg_directory *d)
{
	if (d != NULL && --d->refs == 0)
		dir_free(d);
}

const struct idg_dir_tenant *
idg_directory_tenant(const struct idg_directory *d, const char *company_id)
{
	struct idg_dir_tenant key;

	if (d == NULL || d->ntenants == 0 || strlen(company_id) >= sizeof(key.company_id))
		return NULL;
	idg_strlcpy(key.company_id, company_id, sizeof(key.company_id));
	return bsearch(&key, d->tenants, (size_t)d->ntenants, sizeof(key), tenant_cmp);
}

const struct idg_dir_user *
idg_directory_user(const struct idg_dir_tenant *t, int64_t id)
{
	struct idg_dir_user key;

	if (t == NULL || t->nusers == 0)
		return NULL;
	key.id = id;
	return bsearch(&key, t->users, (size_t)t->nusers, sizeof(key), user_cmp);
}

bool
idg_dir_user_in_group(const struct idg_dir_user *u, const char *group)
{
	size_t n = strlen(group);
	const char *p;

	if (u == NULL || u->groups == NULL || n == 0)
		return false;
	for (p = u->groups; p != NULL; p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, group, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

bool
idg_dir_revoked(const struct idg_dir_tenant *t, const char *serial)
{
	return t != NULL && t->nrevoked > 0 && bsearch(serial, t->revoked,
	    (size_t)t->nrevoked, sizeof(*t->revoked), serial_cmp) != NULL;
}

const struct idg_dir_saml_app *
idg_dir_saml_app(const struct idg_dir_tenant *t, const char *app_id, const char *entity_id)
{
	size_t i;

	if (t == NULL || t->saml == NULL)
		return NULL;
	for (i = 0; i < t->saml->napps; i++)
		if ((app_id != NULL && strcmp(t->saml->apps[i].app_id, app_id) == 0) ||
		    (entity_id != NULL && strcmp(t->saml->apps[i].entity_id, entity_id) == 0))
			return &t->saml->apps[i];
	return NULL;
}

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

bool
idg_dir_saml_app_allowed(const struct idg_dir_saml_app *a, int64_t user_id)
{
	return a != NULL && a->nusers > 0 &&
	    bsearch(&user_id, a->users, a->nusers, sizeof(*a->users), id_cmp) != NULL;
}
