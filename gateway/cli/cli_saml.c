/*
 * cli_saml.c - `idgate saml key rotate|promote|list|purge`, `idgate saml
 * metadata` and `idgate saml app add|update|list|show|delete|assign|
 * unassign`: the tenant's SAML 2.0 identity provider.
 *
 * IdP keys are RSA keys made here with a self-signed certificate (subject
 * CN = the IdP entity ID, 10 years, SHA-256); the key's PKCS#8 DER is
 * sealed under the master key (IDG_SAML_KEY_SEAL_INFO, AAD "tenant:<id>")
 * and stored in signing_keys with use "saml", the certificate PEM in
 * public_jwk, and kid = base64url SHA-256 of the certificate DER. A new key
 * is current when the tenant has none, else next (published in the
 * metadata before it signs); promote makes it current.
 *
 * SP metadata comes from a file or an https URL and is checked by
 * gateway/saml (idg_saml_sp_metadata_check: one EntityDescriptor, no
 * DOCTYPE, https ACS, parsable certificates), or is rendered from fields.
 * This file does no protocol work of its own and no SQL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../config/config.h"
#include "../saml/saml.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/seal.h"
#include "../util/status.h"
#include "../util/str.h"
#include "cli_https.h"
#include "cli_impl.h"

#define KEY_ALG		"RS256"
#define CERT_DAYS	3652		/* 10 years */
#define MAX_ATTRS	32
#define ATTR_NAME_MAX	256
#define SP_CERT_MAX	(16 * 1024)
#define FETCH_TIMEOUT_S	20

static const char *
key_status(int status)
{
	switch (status) {
	case IDG_KEY_NEXT: return "next";
	case IDG_KEY_CURRENT: return "current";
	case IDG_KEY_RETIRED: return "retired";
	}
	return "unknown";
}

static const char *
nameid_name(int f)
{
	switch (f) {
	case IDG_SAML_NAMEID_UNSPECIFIED: return "unspecified";
	case IDG_SAML_NAMEID_EMAIL: return "email";
	case IDG_SAML_NAMEID_PERSISTENT: return "persistent";
	}
	return "unknown";
}

static int
need_master_key(struct cli *c)
{
	if (!c->cfg->master_key_loaded)
		return cli_fail(IDG_EXIT_FAILURE, "master_key_unavailable",
		    "SAML signing keys are sealed with the master key, which is not loaded"
		    " (check master_key_file in the configuration)");
	return 0;
}

/* lasso and libxml2 set up once per process (idempotent). */
static int
saml_ready(void)
{
	if (idg_saml_init() != IDG_OK)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot initialise the SAML"
		    " library (see the log line above)");
	return 0;
}

/*
 * The public host of public_url: its authority (host and port if given),
 * which every part of idgate uses in the IdP's URLs. 0 or exit 1 (printed).
 */
static int
public_host(struct cli *c, char *out, size_t outsz)
{
	const char *u = c->cfg->public_url, *h;
	size_t n;

	if (strncasecmp(u, "https://", 8) == 0)
		h = u + 8;
	else if (strncasecmp(u, "http://", 7) == 0)
		h = u + 7;
	else
		return cli_fail(IDG_EXIT_REFUSED, "public_url_unset", "public_url in the"
		    " configuration is not an http(s) URL; the IdP's entity ID is made from it");
	n = strcspn(h, "/?#");
	if (n == 0 || n >= outsz || memchr(h, '@', n) != NULL)
		return cli_fail(IDG_EXIT_REFUSED, "public_url_unset", "public_url in the"
		    " configuration has no usable host");
	memcpy(out, h, n);
	out[n] = '\0';
	return 0;
}

/* The tenant IdP's URLs. 0 or exit 1 (printed). */
static int
idp_urls(struct cli *c, const struct idg_tenant *t, char *host, size_t hostsz,
    struct idg_saml_idp_urls *u)
{
	struct idg_saml_idp_conf conf;
	int rc;

	if ((rc = public_host(c, host, hostsz)) != 0)
		return rc;
	memset(&conf, 0, sizeof(conf));
	conf.public_host = host;
	conf.company_id = t->company_id;
	if (idg_saml_idp_urls(&conf, u) != IDG_OK)
		return cli_fail(IDG_EXIT_REFUSED, "public_url_unset", "the host \"%s\" of"
		    " public_url cannot be used in the IdP's URLs", host);
	return 0;
}

/* Keys. */

/* The tenant's SAML keys as they stand (certificates copied, owned). */
struct key_set {
	char	 current_kid[64];
	char	*current_pem;
	char	 next_kid[64];		/* the oldest next key: the one promote picks */
	char	*next_pem[IDG_SAML_MAX_CERTS];
	int	 n_next;
	int	 n_current, n_retired, total;
	bool	 oom;
};

static int
key_set_row(void *arg, const struct idg_signing_key *k)
{
	struct key_set *ks = arg;

	ks->total++;
	if (k->status == IDG_KEY_CURRENT) {
		ks->n_current++;
		idg_strlcpy(ks->current_kid, k->kid, sizeof(ks->current_kid));
		free(ks->current_pem);
		if ((ks->current_pem = strdup(k->public_jwk)) == NULL)
			ks->oom = true;
	} else if (k->status == IDG_KEY_NEXT) {
		if (ks->n_next == 0)
			idg_strlcpy(ks->next_kid, k->kid, sizeof(ks->next_kid));
		if (ks->n_next < IDG_SAML_MAX_CERTS) {
			if ((ks->next_pem[ks->n_next] = strdup(k->public_jwk)) == NULL)
				ks->oom = true;
			ks->n_next++;
		}
	} else {
		ks->n_retired++;
	}
	return 0;
}

static void
key_set_free(struct key_set *ks)
{
	int i;

	free(ks->current_pem);
	for (i = 0; i < ks->n_next; i++)
		free(ks->next_pem[i]);
	memset(ks, 0, sizeof(*ks));
}

static int
key_set(struct cli *c, int64_t tenant_id, struct key_set *ks)
{
	int st;

	memset(ks, 0, sizeof(*ks));
	st = idg_store_key_list(c->st, tenant_id, IDG_SAML_KEY_USE, key_set_row, ks);
	if (st != IDG_OK || ks->oom) {
		key_set_free(ks);
		return st != IDG_OK ? cli_store_fail(st, "reading the SAML signing keys") :
		    cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	}
	return 0;
}

/* A self-signed certificate for key, CN = cn, SHA-256. NULL on failure. */
static X509 *
make_cert(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	ASN1_INTEGER *serial = NULL;
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	uint8_t rnd[16];
	bool ok = false;

	if (x == NULL || name == NULL || idg_random(rnd, sizeof(rnd)) != IDG_OK)
		goto out;
	rnd[0] &= 0x7f;		/* RFC 5280 4.1.2.2: a positive serial */
	rnd[0] |= 0x01;
	/*
	 * UTF8String directly: the entity ID may pass ub-common-name (64),
	 * which SAML ignores but MBSTRING input would be refused for.
	 */
	if ((serial = ASN1_INTEGER_new()) == NULL ||
	    ASN1_STRING_set(serial, rnd, sizeof(rnd)) != 1 ||
	    X509_set_version(x, 2) != 1 || X509_set_serialNumber(x, serial) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", V_ASN1_UTF8STRING,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_subject_name(x, name) != 1 || X509_set_issuer_name(x, name) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -300) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * CERT_DAYS) == NULL ||
	    X509_set_pubkey(x, key) != 1)
		goto out;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    "critical,CA:FALSE")) == NULL)
		goto out;
	ok = X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	if (!ok || (ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage,
	    "critical,digitalSignature")) == NULL) {
		ok = false;
		goto out;
	}
	ok = X509_add_ext(x, ext, -1) == 1 && X509_sign(x, key, EVP_sha256()) > 0;
	X509_EXTENSION_free(ext);
out:
	ASN1_INTEGER_free(serial);
	X509_NAME_free(name);
	if (!ok) {
		ERR_clear_error();
		X509_free(x);
		return NULL;
	}
	return x;
}

/* kid: base64url SHA-256 of the certificate DER (43 characters). */
static int
cert_kid(X509 *x, char kid[64])
{
	uint8_t md[IDG_SHA256_LEN];
	unsigned int n = 0;

	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != sizeof(md))
		return IDG_ERR;
	return idg_b64url_encode(md, sizeof(md), kid, 64) > 0 ? IDG_OK : IDG_ERR;
}

/* Generates a key and its certificate, seals the key, fills *k. 0 or an exit code. */
static int
key_make(struct cli *c, const struct idg_tenant *t, const char *entity_id, int bits,
    struct idg_signing_key *k)
{
	EVP_PKEY *key = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509 *x = NULL;
	BIO *mem = NULL;
	uint8_t *der = NULL;
	char *sealed = NULL, *pem, aad[48];
	long pemlen;
	int derlen = 0, rc = 0;

	if ((key = EVP_RSA_gen((unsigned int)bits)) == NULL ||
	    (x = make_cert(key, entity_id)) == NULL || cert_kid(x, k->kid) != IDG_OK ||
	    (mem = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509(mem, x) != 1 ||
	    (p8 = EVP_PKEY2PKCS8(key)) == NULL ||
	    (derlen = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) <= 0) {
		ERR_clear_error();
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot make an RSA %d key"
		    " and its certificate", bits);
		goto out;
	}
	pemlen = BIO_get_mem_data(mem, &pem);
	if (pemlen <= 0 || (size_t)pemlen >= sizeof(k->public_jwk)) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "the certificate (%ld bytes)"
		    " does not fit the store's field; is public_url's host very long?", pemlen);
		goto out;
	}
	memcpy(k->public_jwk, pem, (size_t)pemlen);
	k->public_jwk[pemlen] = '\0';
	snprintf(aad, sizeof(aad), "tenant:%lld", (long long)t->id);
	if (idg_seal(c->cfg->master_key, IDG_SAML_KEY_SEAL_INFO, aad, der, (size_t)derlen,
	    &sealed) != IDG_OK || idg_strlcpy(k->sealed, sealed, sizeof(k->sealed)) >=
	    sizeof(k->sealed)) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot seal the key");
		goto out;
	}
	k->tenant_id = t->id;
	idg_strlcpy(k->use, IDG_SAML_KEY_USE, sizeof(k->use));
	idg_strlcpy(k->alg, KEY_ALG, sizeof(k->alg));
out:
	if (der != NULL) {
		idg_wipe(der, (size_t)derlen);
		OPENSSL_free(der);
	}
	if (sealed != NULL) {
		idg_wipe(sealed, strlen(sealed));
		free(sealed);
	}
	PKCS8_PRIV_KEY_INFO_free(p8);
	BIO_free(mem);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

static int
cmd_key_rotate(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL, *bits_s = NULL;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--bits", &bits_s, NULL },
		{ NULL, NULL, NULL },
	};
	struct idg_saml_idp_urls u;
	struct idg_signing_key *k = NULL;
	struct idg_tenant t;
	struct key_set ks;
	char *pos[1], host[256], detail[96];
	long bits = 2048;
	int rc, st, npos;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if (tenant == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "saml key rotate --tenant ID"
		    " [--bits 2048|3072]");
	if (bits_s != NULL && (idg_parse_long(bits_s, 2048, 3072, &bits) != IDG_OK ||
	    (bits != 2048 && bits != 3072)))
		return cli_fail(IDG_EXIT_USAGE, "invalid_bits", "--bits is 2048 or 3072");
	if ((rc = need_master_key(c)) != 0)
		return rc;
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0 ||
	    (rc = idp_urls(c, &t, host, sizeof(host), &u)) != 0)
		return rc;
	if ((rc = key_set(c, t.id, &ks)) != 0)
		return rc;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		key_set_free(&ks);
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	}
	/* The first key signs at once; later ones are published first (next). */
	k->status = ks.n_current == 0 ? IDG_KEY_CURRENT : IDG_KEY_NEXT;
	key_set_free(&ks);
	if ((rc = key_make(c, &t, u.entity_id, (int)bits, k)) != 0)
		goto out;
	if ((st = idg_store_key_add(c->st, k)) != IDG_OK) {
		rc = cli_store_fail(st, "storing the SAML signing key");
		goto out;
	}
	snprintf(detail, sizeof(detail), "%s, RSA %ld", key_status(k->status), bits);
	cli_audit(c, t.id, "saml.key.rotate", k->kid, "ok", detail);
	if (k->status == IDG_KEY_CURRENT)
		printf("SAML signing key %s (RSA %ld) added as current: it signs now\n", k->kid,
		    bits);
	else
		printf("SAML signing key %s (RSA %ld) added as next: published in the metadata;"
		    " once every SP has it, run 'idgate saml key promote --tenant %s'\n", k->kid,
		    bits, t.company_id);
out:
	idg_wipe(k, sizeof(*k));
	free(k);
	return rc;
}

static int
cmd_key_promote(struct cli *c, int argc, char **argv)
{
	struct idg_tenant t;
	struct key_set ks;
	char *pos[1], detail[160];
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, NULL, 0, "saml key promote --tenant ID", pos,
	    &t)) != 0)
		return rc;
	if ((rc = key_set(c, t.id, &ks)) != 0)
		return rc;
	st = idg_store_key_promote(c->st, t.id, IDG_SAML_KEY_USE, KEY_ALG);
	if (st == IDG_NOTFOUND) {
		key_set_free(&ks);
		cli_audit(c, t.id, "saml.key.promote", NULL, "no_next_key", NULL);
		return cli_fail(IDG_EXIT_REFUSED, "no_next_key", "tenant %s has no next SAML"
		    " key to promote (run 'idgate saml key rotate' first)", t.company_id);
	}
	if (st != IDG_OK) {
		key_set_free(&ks);
		return cli_store_fail(st, "promoting the next SAML key");
	}
	snprintf(detail, sizeof(detail), "current %s retired %s", ks.next_kid,
	    ks.current_kid[0] != '\0' ? ks.current_kid : "-");
	cli_audit(c, t.id, "saml.key.promote", ks.next_kid, "ok", detail);
	printf("SAML signing key %s is now current", ks.next_kid);
	if (ks.current_kid[0] != '\0')
		printf(" (retired %s)", ks.current_kid);
	printf("\n");
	key_set_free(&ks);
	return 0;
}

/* SHA-256 fingerprint "AB:CD:..." (96 bytes) and notAfter of a PEM certificate. */
static void
cert_facts(const char *pem, char fp[96], char not_after[32])
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	uint8_t md[IDG_SHA256_LEN];
	unsigned int n = 0, i;
	struct tm tm;

	fp[0] = '\0';
	idg_strlcpy(not_after, "-", 32);
	if (x != NULL && X509_digest(x, EVP_sha256(), md, &n) == 1 && n == sizeof(md)) {
		for (i = 0; i < n; i++)
			snprintf(fp + i * 3, 96 - i * 3, "%02X%s", md[i], i + 1 < n ? ":" : "");
	}
	if (x != NULL && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		strftime(not_after, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	ERR_clear_error();
	X509_free(x);
	BIO_free(b);
}

struct klist {
	json_t	*arr;
	int	 n;
};

static int
klist_row(void *arg, const struct idg_signing_key *k)
{
	struct klist *l = arg;
	char created[32], activated[32], retired[32], fp[96], not_after[32];

	cert_facts(k->public_jwk, fp, not_after);
	if (l->arr != NULL) {
		json_t *o = json_object();

		json_object_set_new(o, "kid", json_string(k->kid));
		json_object_set_new(o, "alg", json_string(k->alg));
		json_object_set_new(o, "status", json_string(key_status(k->status)));
		json_object_set_new(o, "sha256_fingerprint", json_string(fp));
		json_object_set_new(o, "not_after", json_string(not_after));
		json_object_set_new(o, "created_at", cli_json_time(k->created_at));
		json_object_set_new(o, "activated_at", cli_json_time(k->activated_at));
		json_object_set_new(o, "retired_at", cli_json_time(k->retired_at));
		json_array_append_new(l->arr, o);
		return 0;
	}
	if (l->n++ == 0)
		printf("%-44s %-8s %-21s %-21s %-21s %s\n", "KID", "STATUS", "CREATED",
		    "ACTIVATED", "RETIRED", "CERTIFICATE NOT AFTER");
	cli_time(k->created_at, created, sizeof(created));
	cli_time(k->activated_at, activated, sizeof(activated));
	cli_time(k->retired_at, retired, sizeof(retired));
	printf("%-44s %-8s %-21s %-21s %-21s %s\n", k->kid, key_status(k->status), created,
	    activated, retired, not_after);
	printf("  sha256 %s\n", fp);
	return 0;
}

static int
cmd_key_list(struct cli *c, int argc, char **argv)
{
	struct klist l = { NULL, 0 };
	struct idg_tenant t;
	bool json = false;
	char *pos[1];
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, &json, 0, "saml key list --tenant ID [--json]",
	    pos, &t)) != 0)
		return rc;
	if (json)
		l.arr = json_array();
	st = idg_store_key_list(c->st, t.id, IDG_SAML_KEY_USE, klist_row, &l);
	if (st != IDG_OK) {
		json_decref(l.arr);
		return cli_store_fail(st, "listing the SAML signing keys");
	}
	if (json)
		return cli_json_print(l.arr);
	if (l.n == 0)
		printf("no SAML signing keys (run 'idgate saml key rotate --tenant %s')\n",
		    t.company_id);
	return 0;
}

static int
cmd_key_purge(struct cli *c, int argc, char **argv)
{
	struct idg_tenant t;
	char *pos[1], detail[32];
	int rc, st, n = 0;

	if ((rc = cli_tenant_args(c, argc, argv, NULL, 0, "saml key purge --tenant ID", pos,
	    &t)) != 0)
		return rc;
	/* Retired SAML keys are not in the metadata any more: all of them go. */
	st = idg_store_key_purge_use(c->st, t.id, IDG_SAML_KEY_USE, idg_now() + 1, &n);
	if (st != IDG_OK)
		return cli_store_fail(st, "purging retired SAML keys");
	snprintf(detail, sizeof(detail), "%d keys", n);
	cli_audit(c, t.id, "saml.key.purge", NULL, "ok", detail);
	printf("purged %d retired SAML signing key%s\n", n, n == 1 ? "" : "s");
	return 0;
}

/* Metadata. */

/* Writes len bytes to path (created or replaced) or stdout for NULL. 0 or exit 3. */
static int
write_out(const char *path, const char *data, size_t len)
{
	FILE *f = path != NULL ? fopen(path, "w") : stdout;
	int e = 0;

	if (f == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "output_unwritable", "cannot create %s: %s",
		    path, strerror(errno));
	if (fwrite(data, 1, len, f) != len)
		e = errno != 0 ? errno : EIO;
	if (path != NULL && fclose(f) != 0 && e == 0)
		e = errno;
	if (e != 0)
		return cli_fail(IDG_EXIT_FAILURE, "output_unwritable", "cannot write %s: %s",
		    path != NULL ? path : "the output", strerror(e));
	return 0;
}

static int
cmd_metadata(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL, *out = NULL;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--out", &out, NULL },
		{ NULL, NULL, NULL },
	};
	struct idg_saml_idp_conf conf;
	struct idg_saml_idp_urls u;
	struct idg_tenant t;
	struct idg_buf b;
	struct key_set ks;
	char *pos[1], host[256];
	int rc, st, npos;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if (tenant == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "saml metadata --tenant ID [--out FILE]");
	if ((rc = saml_ready()) != 0)
		return rc;
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0 ||
	    (rc = idp_urls(c, &t, host, sizeof(host), &u)) != 0)
		return rc;
	if ((rc = key_set(c, t.id, &ks)) != 0)
		return rc;
	if (ks.current_pem == NULL) {
		key_set_free(&ks);
		return cli_fail(IDG_EXIT_REFUSED, "no_signing_key", "tenant %s has no current"
		    " SAML signing key (run 'idgate saml key rotate --tenant %s')", t.company_id,
		    t.company_id);
	}
	memset(&conf, 0, sizeof(conf));
	conf.public_host = host;
	conf.company_id = t.company_id;
	conf.signing_cert_pem = ks.current_pem;
	/* Next keys are published before they sign, so SPs trust them in time. */
	conf.extra_cert_pem = (const char *const *)ks.next_pem;
	conf.n_extra_certs = (size_t)ks.n_next;
	idg_buf_init(&b, IDG_SAML_MAX_XML_BYTES);
	st = idg_saml_metadata(&conf, &b);
	key_set_free(&ks);
	if (st != IDG_OK) {
		idg_buf_free(&b);
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot render the IdP"
		    " metadata (%s; see the log)", idg_status_str(st));
	}
	rc = write_out(out, b.data, b.len);
	idg_buf_free(&b);
	if (rc == 0 && out != NULL)
		printf("IdP metadata of tenant %s written to %s (entity ID %s)\n", t.company_id,
		    out, u.entity_id);
	return rc;
}

/* Apps: input. */

/*
 * Reads a whole file of at most max bytes into an owned NUL-terminated
 * string. 0, or exit 2 (printed) naming what.
 */
static int
read_file(const char *path, size_t max, const char *what, char **out)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	*out = NULL;
	if (f == NULL)
		return cli_fail(IDG_EXIT_USAGE, "file_unreadable", "cannot read the %s %s: %s",
		    what, path, strerror(errno));
	if ((buf = malloc(max + 2)) == NULL) {
		fclose(f);
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return cli_fail(IDG_EXIT_USAGE, "file_unreadable", "cannot read the %s %s",
		    what, path);
	}
	fclose(f);
	if (n > max) {
		free(buf);
		return cli_fail(IDG_EXIT_USAGE, "file_too_large", "the %s %s is larger than %zu"
		    " bytes", what, path, max);
	}
	if (n == 0 || memchr(buf, '\0', n) != NULL) {
		free(buf);
		return cli_fail(IDG_EXIT_USAGE, "file_unreadable", "the %s %s is empty or not"
		    " text", what, path);
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

/* GET of an https URL's body (at most IDG_SAML_METADATA_MAX bytes). 0 or an exit code. */
static int
fetch_url(const char *url, const char *cacert, char **out)
{
	struct cli_https_answer a = { 0, NULL, 0 };
	const char *h = url + 8, *he, *p;
	char host[256], port[6] = "443", hosthdr[300], *req = NULL;
	size_t n, cap;
	long pn = 443;
	bool v6 = false;
	int rc;

	*out = NULL;
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return cli_fail(IDG_EXIT_USAGE, "invalid_url", "the metadata URL has a"
			    " space or a control character");
	if (*h == '[') {
		v6 = true;
		if ((he = strchr(++h, ']')) == NULL)
			return cli_fail(IDG_EXIT_USAGE, "invalid_url", "unclosed [ in the URL");
		p = he + 1;
	} else {
		he = h + strcspn(h, ":/?#");
		p = he;
	}
	n = (size_t)(he - h);
	if (n == 0 || n >= sizeof(host) || memchr(h, '@', n) != NULL)
		return cli_fail(IDG_EXIT_USAGE, "invalid_url", "the metadata URL has no usable"
		    " host");
	memcpy(host, h, n);
	host[n] = '\0';
	if (*p == ':') {
		char num[8];

		n = strcspn(++p, "/?#");
		if (n == 0 || n >= sizeof(num))
			return cli_fail(IDG_EXIT_USAGE, "invalid_url", "bad port in the URL");
		memcpy(num, p, n);
		num[n] = '\0';
		if (idg_parse_long(num, 1, 65535, &pn) != IDG_OK)
			return cli_fail(IDG_EXIT_USAGE, "invalid_url", "bad port in the URL");
		snprintf(port, sizeof(port), "%ld", pn);
		p += n;
	}
	n = strcspn(p, "#");	/* a fragment is never sent */
	snprintf(hosthdr, sizeof(hosthdr), "%s%s%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "",
	    pn != 443 ? ":" : "", pn != 443 ? port : "");
	cap = n + strlen(hosthdr) + 256;
	if ((req = malloc(cap)) == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	snprintf(req, cap, "GET %s%.*s HTTP/1.1\r\nHost: %s\r\nUser-Agent: idgate\r\n"
	    "Accept: application/samlmetadata+xml, application/xml, text/xml\r\n"
	    "Connection: close\r\n\r\n", (n == 0 || *p != '/') ? "/" : "", (int)n, p, hosthdr);
	rc = cli_https_exchange(host, port, cacert, FETCH_TIMEOUT_S, req, strlen(req), &a);
	free(req);
	if (rc != 0)
		return rc;
	if (a.status != 200) {
		rc = cli_fail(IDG_EXIT_FAILURE, "metadata_fetch_failed", "%s answered HTTP %d",
		    host, a.status);
	} else if (a.body_len == 0 || a.body_len > IDG_SAML_METADATA_MAX ||
	    memchr(a.body, '\0', a.body_len) != NULL) {
		rc = cli_fail(IDG_EXIT_FAILURE, "metadata_fetch_failed", "the metadata at %s is"
		    " empty, not text or larger than %d bytes", url, IDG_SAML_METADATA_MAX);
	} else {
		*out = a.body;
		return 0;
	}
	free(a.body);
	return rc;
}

/* The options of `saml app add` and `saml app update`. */
struct app_opts {
	const char	*tenant, *app_id, *name, *metadata, *entity_id, *slo, *sp_cert,
			*nameid, *nameid_source, *sign, *cacert;
	const char	*acs[IDG_SAML_MAX_ACS];
	const char	*attrs[MAX_ATTRS];
	int		 n_acs, n_attrs;
	bool		 sign_requests, no_sign_requests, encrypt, no_encrypt,
			 no_sp_initiated, sp_initiated, no_idp_initiated, idp_initiated,
			 device_required, no_device_required, no_attributes, json;
};

/* Parses argv into *o; pos gets the positional app_id for update. 0 or exit 2. */
static int
app_parse(int argc, char **argv, bool update, struct app_opts *o, char **app_pos)
{
	const struct cli_opt opts[] = {
		{ "--tenant", &o->tenant, NULL },
		{ "--app-id", &o->app_id, NULL },
		{ "--name", &o->name, NULL },
		{ "--metadata", &o->metadata, NULL },
		{ "--entity-id", &o->entity_id, NULL },
		{ "--slo", &o->slo, NULL },
		{ "--sp-cert", &o->sp_cert, NULL },
		{ "--nameid", &o->nameid, NULL },
		{ "--nameid-source", &o->nameid_source, NULL },
		{ "--sign", &o->sign, NULL },
		{ "--cacert", &o->cacert, NULL },
		{ "--sign-requests", NULL, &o->sign_requests },
		{ "--no-sign-requests", NULL, &o->no_sign_requests },
		{ "--encrypt", NULL, &o->encrypt },
		{ "--no-encrypt", NULL, &o->no_encrypt },
		{ "--no-sp-initiated", NULL, &o->no_sp_initiated },
		{ "--sp-initiated", NULL, &o->sp_initiated },
		{ "--no-idp-initiated", NULL, &o->no_idp_initiated },
		{ "--idp-initiated", NULL, &o->idp_initiated },
		{ "--device-required", NULL, &o->device_required },
		{ "--no-device-required", NULL, &o->no_device_required },
		{ "--no-attributes", NULL, &o->no_attributes },
		{ "--json", NULL, &o->json },
		{ NULL, NULL, NULL },
	};
	struct cli_multi m[2] = {
		{ "--acs", o->acs, IDG_SAML_MAX_ACS, 0 },
		{ "--attribute", o->attrs, MAX_ATTRS, 0 },
	};
	char *rest[CLI_MAX_ARGS], *pos[1];
	int rc, nrest, npos;

	if ((rc = cli_split_multi(argc, argv, opts, m, 2, rest, &nrest)) != 0 ||
	    (rc = cli_parse(nrest, rest, opts, pos, update ? 1 : 0, &npos)) != 0)
		return rc;
	o->n_acs = m[0].n;
	o->n_attrs = m[1].n;
	if (update) {
		if (o->tenant == NULL || npos != 1 || o->app_id != NULL)
			return cli_fail(IDG_EXIT_USAGE, "usage", "saml app update --tenant ID"
			    " APP_ID [options of saml app add] (see 'idgate help')");
		*app_pos = pos[0];
	} else if (o->tenant == NULL || o->app_id == NULL || o->name == NULL ||
	    (o->metadata == NULL && o->entity_id == NULL)) {
		return cli_fail(IDG_EXIT_USAGE, "usage", "saml app add --tenant ID --app-id X"
		    " --name NAME (--metadata FILE|URL | --entity-id E --acs URL [--acs URL ...]"
		    " [--slo URL] [--sp-cert FILE]) [options] (see 'idgate help')");
	}
	if (o->metadata != NULL && (o->entity_id != NULL || o->n_acs > 0 || o->slo != NULL ||
	    o->sp_cert != NULL))
		return cli_fail(IDG_EXIT_USAGE, "usage", "--metadata excludes --entity-id,"
		    " --acs, --slo and --sp-cert");
	if (o->metadata == NULL && (o->entity_id != NULL || o->n_acs > 0 || o->slo != NULL ||
	    o->sp_cert != NULL) && (o->entity_id == NULL || o->n_acs == 0))
		return cli_fail(IDG_EXIT_USAGE, "usage", "an SP without metadata needs"
		    " --entity-id and at least one --acs");
	if ((o->sign_requests && o->no_sign_requests) || (o->encrypt && o->no_encrypt) ||
	    (o->sp_initiated && o->no_sp_initiated) ||
	    (o->idp_initiated && o->no_idp_initiated) ||
	    (o->device_required && o->no_device_required) ||
	    (o->no_attributes && o->n_attrs > 0))
		return cli_fail(IDG_EXIT_USAGE, "usage", "an option and its --no- form exclude"
		    " each other");
	return 0;
}

/* Checks one "SAML-NAME=SOURCE" mapping. NULL or why it is refused. */
static const char *
attr_problem(const char *a)
{
	const char *eq = strchr(a, '='), *src;
	size_t n;

	if (eq == NULL || eq == a)
		return "is not NAME=SOURCE";
	n = (size_t)(eq - a);
	if (n > ATTR_NAME_MAX)
		return "has a name longer than 256 bytes";
	for (const char *p = a; p < eq; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return "has a space or a control character in its name";
	if (!idg_utf8_text_valid(a))
		return "is not UTF-8 text";
	src = eq + 1;
	if (strcmp(src, "email") == 0 || strcmp(src, "display_name") == 0 ||
	    strcmp(src, "groups") == 0)
		return NULL;
	if (strncmp(src, "const:", 6) == 0 && src[6] != '\0')
		return NULL;
	return "has a SOURCE other than email, display_name, groups or const:TEXT";
}

/* Applies the options to *a (read from the store for update). 0 or an exit code. */
static int
app_apply(const struct app_opts *o, struct idg_saml_app *a)
{
	size_t len = 0;
	int i, j;

	if (o->name != NULL) {
		if (o->name[0] == '\0' || strlen(o->name) > IDG_SAML_APP_NAME_MAX ||
		    !idg_utf8_text_valid(o->name))
			return cli_fail(IDG_EXIT_USAGE, "invalid_name", "the name is UTF-8 text of"
			    " 1 to %d bytes without control characters", IDG_SAML_APP_NAME_MAX);
		idg_strlcpy(a->name, o->name, sizeof(a->name));
	}
	if (o->nameid != NULL) {
		if (strcmp(o->nameid, "email") == 0)
			a->nameid_format = IDG_SAML_NAMEID_EMAIL;
		else if (strcmp(o->nameid, "persistent") == 0)
			a->nameid_format = IDG_SAML_NAMEID_PERSISTENT;
		else if (strcmp(o->nameid, "unspecified") == 0)
			a->nameid_format = IDG_SAML_NAMEID_UNSPECIFIED;
		else
			return cli_fail(IDG_EXIT_USAGE, "invalid_nameid", "--nameid is email,"
			    " persistent or unspecified, not \"%s\"", o->nameid);
	}
	if (o->nameid_source != NULL) {
		size_t n = strlen(o->nameid_source);

		if (strcmp(o->nameid_source, "email") != 0 &&
		    (strncmp(o->nameid_source, "attr:", 5) != 0 || n <= 5 || n > 69 ||
		    strspn(o->nameid_source + 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
		    "wxyz0123456789_.-") != n - 5))
			return cli_fail(IDG_EXIT_USAGE, "invalid_nameid_source", "--nameid-source"
			    " is email or attr:NAME (NAME: 1 to 64 of A-Z a-z 0-9 _ . -)");
		idg_strlcpy(a->nameid_source, o->nameid_source, sizeof(a->nameid_source));
	}
	if (o->sign != NULL) {
		if (strcmp(o->sign, "assertion") == 0) {
			a->sign_assertion = true;
			a->sign_response = false;
		} else if (strcmp(o->sign, "response") == 0) {
			a->sign_assertion = false;
			a->sign_response = true;
		} else if (strcmp(o->sign, "both") == 0) {
			a->sign_assertion = a->sign_response = true;
		} else {
			return cli_fail(IDG_EXIT_USAGE, "invalid_sign", "--sign is assertion,"
			    " response or both, not \"%s\"", o->sign);
		}
	}
	if (o->n_attrs > 0 || o->no_attributes)
		a->attributes[0] = '\0';
	for (i = 0; i < o->n_attrs; i++) {
		const char *why = attr_problem(o->attrs[i]);
		size_t n = strcspn(o->attrs[i], "=");

		if (why != NULL)
			return cli_fail(IDG_EXIT_USAGE, "invalid_attribute", "--attribute \"%s\""
			    " %s", o->attrs[i], why);
		for (j = 0; j < i; j++)
			if (strncmp(o->attrs[j], o->attrs[i], n + 1) == 0)
				return cli_fail(IDG_EXIT_USAGE, "invalid_attribute", "the attribute"
				    " %.*s is mapped twice", (int)n, o->attrs[i]);
		len += (size_t)snprintf(a->attributes + len, len < sizeof(a->attributes) ?
		    sizeof(a->attributes) - len : 0, "%s%s", i > 0 ? "\n" : "", o->attrs[i]);
		if (len >= sizeof(a->attributes))
			return cli_fail(IDG_EXIT_USAGE, "invalid_attribute", "the attribute"
			    " mappings are longer than %d bytes", IDG_SAML_ATTRIBUTES_MAX);
	}
	if (o->sign_requests || o->no_sign_requests)
		a->sign_requests = o->sign_requests;
	if (o->encrypt || o->no_encrypt)
		a->encrypt_assertion = o->encrypt;
	if (o->sp_initiated || o->no_sp_initiated)
		a->sp_initiated = o->sp_initiated;
	if (o->idp_initiated || o->no_idp_initiated)
		a->idp_initiated = o->idp_initiated;
	if (o->device_required || o->no_device_required)
		a->device_required = o->device_required;
	return 0;
}

/*
 * The new metadata named by the options (a file, an https URL, or fields),
 * checked; *xml owned. sign_requests is the metadata's AuthnRequestsSigned
 * unless an option said otherwise. 0 or an exit code.
 */
static int
app_metadata(const struct app_opts *o, const struct idg_saml_app *a, char **xml,
    struct idg_saml_sp_info *info)
{
	struct idg_saml_endpoint acs[IDG_SAML_MAX_ACS];
	struct idg_saml_sp_fields fl;
	struct idg_buf b;
	char err[512] = "", *cert = NULL;
	int rc, i, st;

	*xml = NULL;
	if (o->metadata != NULL) {
		if (strncasecmp(o->metadata, "https://", 8) == 0)
			rc = fetch_url(o->metadata, o->cacert, xml);
		else if (strncasecmp(o->metadata, "http://", 7) == 0)
			return cli_fail(IDG_EXIT_USAGE, "invalid_url", "metadata is fetched over"
			    " https only (it names the keys to trust)");
		else
			rc = read_file(o->metadata, IDG_SAML_METADATA_MAX, "metadata file",
			    xml);
		if (rc != 0)
			return rc;
	} else {
		memset(acs, 0, sizeof(acs));
		for (i = 0; i < o->n_acs; i++) {
			if (idg_strlcpy(acs[i].url, o->acs[i], sizeof(acs[i].url)) >=
			    sizeof(acs[i].url))
				return cli_fail(IDG_EXIT_USAGE, "invalid_acs", "--acs is longer"
				    " than %d bytes", IDG_SAML_URL_MAX);
			acs[i].binding = IDG_SAML_BINDING_POST;
			acs[i].index = i;
			acs[i].is_default = i == 0;
		}
		if (o->sp_cert != NULL && (rc = read_file(o->sp_cert, SP_CERT_MAX,
		    "SP certificate", &cert)) != 0)
			return rc;
		memset(&fl, 0, sizeof(fl));
		fl.entity_id = o->entity_id;
		fl.acs = acs;
		fl.n_acs = (size_t)o->n_acs;
		fl.slo_url = o->slo;
		fl.slo_binding = IDG_SAML_BINDING_REDIRECT;
		fl.signing_cert_pem = cert;
		fl.encryption_cert_pem = a->encrypt_assertion ? cert : NULL;
		fl.authn_requests_signed = a->sign_requests;
		fl.want_assertions_signed = a->sign_assertion;
		fl.nameid_format = (enum idg_saml_nameid_format)a->nameid_format;
		idg_buf_init(&b, IDG_SAML_METADATA_MAX);
		st = idg_saml_sp_metadata_from_fields(&fl, &b, err, sizeof(err));
		free(cert);
		if (st != IDG_OK) {
			idg_buf_free(&b);
			if (st == IDG_INVALID)
				return cli_fail(IDG_EXIT_REFUSED, "invalid_sp_metadata", "%s",
				    err[0] != '\0' ? err : "a field is not acceptable");
			return cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot render the SP"
			    " metadata");
		}
		*xml = idg_buf_take(&b);
		if (*xml == NULL)
			return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	}
	memset(info, 0, sizeof(*info));
	if (idg_saml_sp_metadata_check(*xml, info, err, sizeof(err)) != IDG_OK) {
		free(*xml);
		*xml = NULL;
		return cli_fail(IDG_EXIT_REFUSED, "invalid_sp_metadata", "%s",
		    err[0] != '\0' ? err : "the SP metadata is not acceptable");
	}
	return 0;
}

/* The JSON form of an app (metadata only when with_md). */
static json_t *
app_json(const struct idg_saml_app *a, bool with_md)
{
	json_t *o = json_object(), *attrs = json_array();
	const char *p = a->attributes;

	while (*p != '\0') {
		size_t n = strcspn(p, "\n");

		if (n > 0)
			json_array_append_new(attrs, json_stringn(p, n));
		p += n;
		if (*p == '\n')
			p++;
	}
	json_object_set_new(o, "app_id", json_string(a->app_id));
	json_object_set_new(o, "name", json_string(a->name));
	json_object_set_new(o, "entity_id", json_string(a->entity_id));
	json_object_set_new(o, "nameid", json_string(nameid_name(a->nameid_format)));
	json_object_set_new(o, "nameid_source", json_string(a->nameid_source));
	json_object_set_new(o, "attributes", attrs);
	json_object_set_new(o, "sign_requests", json_boolean(a->sign_requests));
	json_object_set_new(o, "sign_assertion", json_boolean(a->sign_assertion));
	json_object_set_new(o, "sign_response", json_boolean(a->sign_response));
	json_object_set_new(o, "encrypt_assertion", json_boolean(a->encrypt_assertion));
	json_object_set_new(o, "sp_initiated", json_boolean(a->sp_initiated));
	json_object_set_new(o, "idp_initiated", json_boolean(a->idp_initiated));
	json_object_set_new(o, "device_required", json_boolean(a->device_required));
	json_object_set_new(o, "created_at", cli_json_time(a->created_at));
	if (with_md && a->metadata != NULL)
		json_object_set_new(o, "metadata", json_string(a->metadata));
	return o;
}

/* After an IDG_EXISTS from the store: which of app_id and entity_id is taken. */
static int
app_exists(struct cli *c, const struct idg_tenant *t, const struct idg_saml_app *a)
{
	struct idg_saml_app other;

	if (idg_store_saml_app_get_by_entity(c->st, t->id, a->entity_id, &other) == IDG_OK &&
	    strcmp(other.app_id, a->app_id) != 0) {
		idg_saml_app_clear(&other);
		return cli_fail(IDG_EXIT_REFUSED, "entity_id_exists", "SAML app \"%s\" of tenant"
		    " %s already has the entity ID %s", other.app_id, t->company_id,
		    a->entity_id);
	}
	idg_saml_app_clear(&other);
	return cli_fail(IDG_EXIT_REFUSED, "app_exists", "a SAML app \"%s\" already exists in"
	    " tenant %s", a->app_id, t->company_id);
}

/* The checks between the flags and what the metadata holds. 0 or exit 1. */
static int
app_crosscheck(const struct idg_saml_app *a, const struct idg_saml_sp_info *info)
{
	/* Verifying a signed AuthnRequest needs the SP's signing certificate. */
	if (a->sign_requests && info->n_signing_certs == 0)
		return cli_fail(IDG_EXIT_REFUSED, "sp_certificate_required", "signed requests"
		    " need the SP's signing certificate in its metadata (or --sp-cert)");
	if (a->encrypt_assertion && info->encryption_cert_pem == NULL)
		return cli_fail(IDG_EXIT_REFUSED, "sp_certificate_required", "encrypted"
		    " assertions need the SP's encryption certificate in its metadata (or"
		    " --sp-cert)");
	return 0;
}

static void
print_endpoints(struct cli *c, const struct idg_tenant *t)
{
	struct idg_saml_idp_urls u;
	struct idg_saml_idp_conf conf;
	char host[256];
	const char *url = c->cfg->public_url, *h;
	size_t n;

	/* Quietly skipped without a usable public_url: the app is stored anyway. */
	h = strncasecmp(url, "https://", 8) == 0 ? url + 8 : strncasecmp(url, "http://", 7)
	    == 0 ? url + 7 : NULL;
	if (h == NULL || (n = strcspn(h, "/?#")) == 0 || n >= sizeof(host))
		return;
	memcpy(host, h, n);
	host[n] = '\0';
	memset(&conf, 0, sizeof(conf));
	conf.public_host = host;
	conf.company_id = t->company_id;
	if (idg_saml_idp_urls(&conf, &u) != IDG_OK)
		return;
	printf("IdP entity ID: %s\nIdP metadata:  %s\nIdP SSO URL:   %s\n", u.entity_id,
	    u.metadata, u.sso);
}

static int
cmd_app_add(struct cli *c, int argc, char **argv)
{
	struct app_opts o;
	struct idg_saml_sp_info info;
	struct idg_saml_app *a;
	struct idg_tenant t;
	char *xml = NULL, detail[160];
	int rc, st;

	memset(&o, 0, sizeof(o));
	if ((rc = app_parse(argc, argv, false, &o, NULL)) != 0)
		return rc;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	memset(&info, 0, sizeof(info));
	if (strlen(o.app_id) == 0 || strlen(o.app_id) > IDG_SAML_APP_ID_MAX ||
	    strspn(o.app_id, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(o.app_id)) {
		rc = cli_fail(IDG_EXIT_USAGE, "invalid_app_id", "--app-id is 1 to %d characters"
		    " of a-z, 0-9 and -", IDG_SAML_APP_ID_MAX);
		goto out;
	}
	idg_strlcpy(a->app_id, o.app_id, sizeof(a->app_id));
	/* Defaults: e-mail NameID, both signed, both SSO directions allowed. */
	a->nameid_format = IDG_SAML_NAMEID_EMAIL;
	a->sign_assertion = a->sign_response = true;
	a->sp_initiated = a->idp_initiated = true;
	if ((rc = app_apply(&o, a)) != 0 || (rc = saml_ready()) != 0)
		goto out;
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, o.tenant, &t)) != 0)
		goto out;
	if ((rc = app_metadata(&o, a, &xml, &info)) != 0)
		goto out;
	if (!o.sign_requests && !o.no_sign_requests)
		a->sign_requests = info.authn_requests_signed;
	if ((rc = app_crosscheck(a, &info)) != 0)
		goto out;
	a->tenant_id = t.id;
	idg_strlcpy(a->entity_id, info.entity_id, sizeof(a->entity_id));
	a->metadata = xml;
	st = idg_store_saml_app_add(c->st, a);
	if (st == IDG_EXISTS) {
		cli_audit(c, t.id, "saml.app.add", a->app_id, "app_exists", NULL);
		rc = app_exists(c, &t, a);
		goto out;
	}
	if (st == IDG_INVALID) {
		rc = cli_fail(IDG_EXIT_REFUSED, "invalid_app", "the store refused a field of"
		    " the app (entity ID \"%s\")", a->entity_id);
		goto out;
	}
	if (st != IDG_OK) {
		rc = cli_store_fail(st, "adding the SAML app");
		goto out;
	}
	snprintf(detail, sizeof(detail), "%.120s, nameid %s", a->entity_id,
	    nameid_name(a->nameid_format));
	cli_audit(c, t.id, "saml.app.add", a->app_id, "ok", detail);
	if (o.json) {
		rc = cli_json_print(app_json(a, false));
		goto out;
	}
	printf("SAML app %s added to tenant %s (SP %s)\n", a->app_id, t.company_id,
	    a->entity_id);
	print_endpoints(c, &t);
	printf("No user can sign in to it until assigned: 'idgate saml app assign'.\n");
out:
	idg_saml_sp_info_free(&info);
	free(xml);
	free(a);
	return rc;
}

/* Reads an app: 0, or an exit code with app_not_found printed. */
static int
app_find(struct cli *c, const struct idg_tenant *t, const char *app_id, struct idg_saml_app *a)
{
	int st = idg_store_saml_app_get(c->st, t->id, app_id, a);

	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "app_not_found", "no SAML app \"%s\" in tenant"
		    " %s", app_id, t->company_id);
	if (st != IDG_OK)
		return cli_store_fail(st, "reading the SAML app");
	return 0;
}

static int
cmd_app_update(struct cli *c, int argc, char **argv)
{
	struct app_opts o;
	struct idg_saml_sp_info info;
	struct idg_saml_app *a;
	struct idg_tenant t;
	char *app_id = NULL, *xml = NULL;
	int rc, st;

	memset(&o, 0, sizeof(o));
	memset(&info, 0, sizeof(info));
	if ((rc = app_parse(argc, argv, true, &o, &app_id)) != 0)
		return rc;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	if ((rc = saml_ready()) != 0 || (rc = cli_open(c)) != 0 ||
	    (rc = cli_tenant_find(c, o.tenant, &t)) != 0 || (rc = app_find(c, &t, app_id,
	    a)) != 0)
		goto out;
	if ((rc = app_apply(&o, a)) != 0)
		goto out;
	if (o.metadata != NULL || o.entity_id != NULL) {
		if ((rc = app_metadata(&o, a, &xml, &info)) != 0)
			goto out;
		if (!o.sign_requests && !o.no_sign_requests)
			a->sign_requests = info.authn_requests_signed;
		idg_strlcpy(a->entity_id, info.entity_id, sizeof(a->entity_id));
		free(a->metadata);
		a->metadata = xml;
		xml = NULL;
	} else {
		char err[256];

		/* The stored metadata stays: check the new flags against it. */
		memset(&info, 0, sizeof(info));
		if (idg_saml_sp_metadata_check(a->metadata, &info, err, sizeof(err)) != IDG_OK)
			memset(&info, 0, sizeof(info));
	}
	if ((rc = app_crosscheck(a, &info)) != 0)
		goto out;
	st = idg_store_saml_app_update(c->st, a);
	if (st == IDG_EXISTS) {
		cli_audit(c, t.id, "saml.app.update", a->app_id, "entity_id_exists", NULL);
		rc = app_exists(c, &t, a);
		goto out;
	}
	if (st == IDG_NOTFOUND) {
		rc = cli_fail(IDG_EXIT_REFUSED, "app_not_found", "no SAML app \"%s\" in tenant"
		    " %s", a->app_id, t.company_id);
		goto out;
	}
	if (st != IDG_OK) {
		rc = cli_store_fail(st, "updating the SAML app");
		goto out;
	}
	cli_audit(c, t.id, "saml.app.update", a->app_id, "ok", NULL);
	if (o.json) {
		rc = cli_json_print(app_json(a, false));
		goto out;
	}
	printf("SAML app %s of tenant %s updated (SP %s)\n", a->app_id, t.company_id,
	    a->entity_id);
out:
	idg_saml_sp_info_free(&info);
	free(xml);
	idg_saml_app_clear(a);
	free(a);
	return rc;
}

struct alist {
	json_t	*arr;
	int	 n;
};

static int
alist_row(void *arg, const struct idg_saml_app *a)
{
	struct alist *l = arg;

	if (l->arr != NULL) {
		json_array_append_new(l->arr, app_json(a, false));
		return 0;
	}
	if (l->n++ == 0)
		printf("%-24s %-12s %-50s %s\n", "APP_ID", "NAMEID", "ENTITY_ID", "NAME");
	printf("%-24s %-12s %-50s %s\n", a->app_id, nameid_name(a->nameid_format), a->entity_id,
	    a->name);
	return 0;
}

static int
cmd_app_list(struct cli *c, int argc, char **argv)
{
	struct alist l = { NULL, 0 };
	struct idg_tenant t;
	bool json = false;
	char *pos[1];
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, &json, 0, "saml app list --tenant ID [--json]",
	    pos, &t)) != 0)
		return rc;
	if (json)
		l.arr = json_array();
	if ((st = idg_store_saml_app_list(c->st, t.id, alist_row, &l)) != IDG_OK) {
		json_decref(l.arr);
		return cli_store_fail(st, "listing the SAML apps");
	}
	if (json)
		return cli_json_print(l.arr);
	if (l.n == 0)
		printf("no SAML apps\n");
	return 0;
}

static int
cmd_app_show(struct cli *c, int argc, char **argv)
{
	struct cli_assignments as = { NULL, 0 };
	struct idg_saml_app *a;
	struct idg_tenant t;
	bool json = false;
	char *pos[1], created[32];
	const char *p;
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, &json, 1, "saml app show --tenant ID APP_ID"
	    " [--json]", pos, &t)) != 0)
		return rc;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	if ((rc = app_find(c, &t, pos[0], a)) != 0)
		goto out;
	if (json) {
		json_t *doc = app_json(a, true);

		as.arr = json_array();
		json_object_set_new(doc, "assigned", as.arr);
		if ((st = idg_store_saml_app_assignments(c->st, t.id, a->app_id, cli_assignment_row,
		    &as)) != IDG_OK) {
			json_decref(doc);
			rc = cli_store_fail(st, "reading the assignments");
			goto out;
		}
		rc = cli_json_print(doc);
		goto out;
	}
	cli_time(a->created_at, created, sizeof(created));
	printf("app_id:            %s\n", a->app_id);
	printf("name:              %s\n", a->name);
	printf("entity ID:         %s\n", a->entity_id);
	printf("NameID:            %s from %s\n", nameid_name(a->nameid_format),
	    a->nameid_source);
	p = a->attributes;
	if (*p == '\0')
		printf("attributes:        -\n");
	for (bool first = true; *p != '\0'; first = false) {
		size_t n = strcspn(p, "\n");

		printf("%-19s%.*s\n", first ? "attributes:" : "", (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
	printf("signed requests:   %s\n", a->sign_requests ? "required" : "not required");
	printf("signs:             %s\n", a->sign_assertion && a->sign_response ? "assertion"
	    " and response" : a->sign_assertion ? "assertion" : "response");
	printf("encrypts:          %s\n", a->encrypt_assertion ? "assertion" : "no");
	printf("SP-initiated:      %s\n", a->sp_initiated ? "allowed" : "refused");
	printf("IdP-initiated:     %s\n", a->idp_initiated ? "allowed" : "refused");
	printf("device required:   %s\n", a->device_required ? "yes (device check first)" :
	    "no");
	printf("metadata:          %zu bytes\n", strlen(a->metadata));
	printf("created:           %s\n", created);
	if ((st = idg_store_saml_app_assignments(c->st, t.id, a->app_id, cli_assignment_row,
	    &as)) != IDG_OK) {
		rc = cli_store_fail(st, "reading the assignments");
		goto out;
	}
	if (as.n == 0)
		printf("assigned:          nobody (no user can sign in)\n");
out:
	idg_saml_app_clear(a);
	free(a);
	return rc;
}

static int
cmd_app_delete(struct cli *c, int argc, char **argv)
{
	struct idg_tenant t;
	char *pos[1];
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, NULL, 1, "saml app delete --tenant ID APP_ID",
	    pos, &t)) != 0)
		return rc;
	st = idg_store_saml_app_delete(c->st, t.id, pos[0]);
	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "app_not_found", "no SAML app \"%s\" in tenant"
		    " %s", pos[0], t.company_id);
	if (st != IDG_OK)
		return cli_store_fail(st, "deleting the SAML app");
	cli_audit(c, t.id, "saml.app.delete", pos[0], "ok", NULL);
	printf("SAML app %s deleted from tenant %s\n", pos[0], t.company_id);
	return 0;
}

static int
cmd_app_assign(struct cli *c, int argc, char **argv, bool on)
{
	const char *tenant = NULL, *user = NULL, *group = NULL, *verb = on ? "assign" :
	    "unassign";
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--user", &user, NULL },
		{ "--group", &group, NULL },
		{ NULL, NULL, NULL },
	};
	struct idg_saml_app *a;
	struct idg_tenant t;
	const char *kind, *who;
	char *pos[1], detail[192], action[32];
	int rc, st, npos;

	if ((rc = cli_parse(argc, argv, opts, pos, 1, &npos)) != 0)
		return rc;
	if (tenant == NULL || npos != 1 || (user == NULL) == (group == NULL))
		return cli_fail(IDG_EXIT_USAGE, "usage", "saml app %s --tenant ID APP_ID"
		    " (--user EMAIL | --group NAME)", verb);
	kind = user != NULL ? "user" : "group";
	who = user != NULL ? user : group;
	snprintf(action, sizeof(action), "saml.app.%s", verb);
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0)
		return rc;
	/* Told apart from an unknown user or group below. */
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	rc = app_find(c, &t, pos[0], a);
	idg_saml_app_clear(a);
	free(a);
	if (rc != 0)
		return rc;
	st = on ? idg_store_saml_app_assign(c->st, t.id, pos[0], kind, who) :
	    idg_store_saml_app_unassign(c->st, t.id, pos[0], kind, who);
	if (st == IDG_NOTFOUND && !on) {
		return cli_fail(IDG_EXIT_REFUSED, "not_assigned", "%s \"%s\" is not assigned to"
		    " SAML app %s (or does not exist)", kind, who, pos[0]);
	}
	if (st == IDG_NOTFOUND)
		return user != NULL ?
		    cli_fail(IDG_EXIT_REFUSED, "user_not_found", "no user \"%s\" in tenant %s",
		    who, t.company_id) :
		    cli_fail(IDG_EXIT_REFUSED, "group_not_found", "no group \"%s\" in tenant %s",
		    who, t.company_id);
	if (st == IDG_EXISTS)
		return cli_fail(IDG_EXIT_REFUSED, "already_assigned", "%s \"%s\" is already"
		    " assigned to SAML app %s", kind, who, pos[0]);
	if (st != IDG_OK)
		return cli_store_fail(st, on ? "assigning the SAML app" :
		    "unassigning the SAML app");
	snprintf(detail, sizeof(detail), "%s %s", kind, who);
	cli_audit(c, t.id, action, pos[0], "ok", detail);
	printf("%s %s %s SAML app %s\n", kind, who, on ? "assigned to" : "unassigned from",
	    pos[0]);
	return 0;
}

int
cli_saml(struct cli *c, int argc, char **argv)
{
	const char *noun = argv[0], *verb = argc > 1 ? argv[1] : "";

	if (strcmp(noun, "metadata") == 0)
		return cmd_metadata(c, argc - 1, argv + 1);
	if (strcmp(noun, "key") == 0) {
		if (strcmp(verb, "rotate") == 0)
			return cmd_key_rotate(c, argc - 2, argv + 2);
		if (strcmp(verb, "promote") == 0)
			return cmd_key_promote(c, argc - 2, argv + 2);
		if (strcmp(verb, "list") == 0)
			return cmd_key_list(c, argc - 2, argv + 2);
		if (strcmp(verb, "purge") == 0)
			return cmd_key_purge(c, argc - 2, argv + 2);
		return cli_fail(IDG_EXIT_USAGE, "usage", "unknown saml key command \"%s\""
		    " (rotate, promote, list, purge)", verb);
	}
	if (strcmp(noun, "app") == 0) {
		if (strcmp(verb, "add") == 0)
			return cmd_app_add(c, argc - 2, argv + 2);
		if (strcmp(verb, "update") == 0)
			return cmd_app_update(c, argc - 2, argv + 2);
		if (strcmp(verb, "list") == 0)
			return cmd_app_list(c, argc - 2, argv + 2);
		if (strcmp(verb, "show") == 0)
			return cmd_app_show(c, argc - 2, argv + 2);
		if (strcmp(verb, "delete") == 0)
			return cmd_app_delete(c, argc - 2, argv + 2);
		if (strcmp(verb, "assign") == 0)
			return cmd_app_assign(c, argc - 2, argv + 2, true);
		if (strcmp(verb, "unassign") == 0)
			return cmd_app_assign(c, argc - 2, argv + 2, false);
		return cli_fail(IDG_EXIT_USAGE, "usage", "unknown saml app command \"%s\" (add,"
		    " update, list, show, delete, assign, unassign)", verb);
	}
	return cli_fail(IDG_EXIT_USAGE, "usage", "unknown saml command \"%s\" (key, metadata,"
	    " app)", noun);
}
