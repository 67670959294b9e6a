/*
 * test_cli_saml.c - `idgate saml key ...`, `idgate saml metadata` and
 * `idgate saml app ...` run in-process through idg_cli_run against a real
 * SQLite file in a temporary folder, stdout and stderr captured: the key
 * rotate / promote / list / purge flow (statuses, a certificate whose CN is
 * the IdP entity ID, valid 10 years, signed with SHA-256, and a sealed key
 * that opens with the master key and the tenant's AAD only and matches the
 * certificate), the metadata carrying the current and the next certificate
 * during a rotation, apps from a metadata file and from fields, refused
 * metadata (not XML, a DOCTYPE, http URL, unreachable https URL), duplicate
 * app and entity ID, bad options, a cancelled tenant, assignments to users
 * and groups (unknown ones refused), update, delete, tenant cancel listing
 * SAML apps, and the audit trail. The config struct is filled here
 * directly, with a fixed master key and public_url.
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
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli_fixture.h"
#include "gateway/config/config.h"
#include "gateway/store/store.h"
#include "gateway/util/seal.h"
#include "gateway/util/status.h"
#include "idp-adapters/local/password.h"

#define ENTITY "https://id.example.com/saml/acme"
#define SP "https://sp.example.com/saml"

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/idg-cli-saml-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	memset(&f->cfg, 0, sizeof(f->cfg));
	snprintf(f->cfg.store_driver, sizeof(f->cfg.store_driver), "sqlite");
	snprintf(f->cfg.sqlite_path, sizeof(f->cfg.sqlite_path), "%s/idgate.db", f->dir);
	snprintf(f->cfg.public_url, sizeof(f->cfg.public_url), "https://id.example.com/");
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

/* The --json output of the last run. */
static json_t *
out_json(void)
{
	json_t *doc = json_loads(F->out, 0, NULL);

	assert_non_null(doc);
	return doc;
}

/* `saml key list --json` as "status status ..." in id order; kids into kid[]. */
static const char *
key_statuses(char *buf, size_t bufsz, char kid[][64], int *n)
{
	json_t *doc, *k;
	size_t i, len = 0;

	assert_int_equal(run("saml", "key", "list", "--tenant", "acme", "--json", NULL), 0);
	doc = out_json();
	buf[0] = '\0';
	json_array_foreach(doc, i, k) {
		len += (size_t)snprintf(buf + len, bufsz - len, "%s%s", i > 0 ? " " : "",
		    json_string_value(json_object_get(k, "status")));
		if (kid != NULL)
			snprintf(kid[i], 64, "%s", json_string_value(json_object_get(k, "kid")));
		assert_non_null(strchr(json_string_value(json_object_get(k,
		    "sha256_fingerprint")), ':'));
	}
	if (n != NULL)
		*n = (int)json_array_size(doc);
	json_decref(doc);
	return buf;
}

/* The stored key with kid: opens its sealed key and checks it against its certificate. */
struct opened {
	const char	*kid;
	int64_t		 tenant_id;
	bool		 found;
	char		 pem[2048];
};

static int
open_key(void *arg, const struct idg_signing_key *k)
{
	struct opened *o = arg;
	uint8_t der[4096], wrong[32];
	const uint8_t *p = der;
	char aad[48];
	size_t n = 0;
	PKCS8_PRIV_KEY_INFO *p8;
	EVP_PKEY *key;
	X509 *x;
	BIO *b;

	if (strcmp(k->kid, o->kid) != 0)
		return 0;
	o->found = true;
	assert_string_equal(k->use, "saml");
	assert_string_equal(k->alg, "RS256");
	snprintf(o->pem, sizeof(o->pem), "%s", k->public_jwk);
	snprintf(aad, sizeof(aad), "tenant:%lld", (long long)o->tenant_id);
	assert_int_equal(idg_unseal(F->cfg.master_key, IDG_SAML_KEY_SEAL_INFO, aad, k->sealed,
	    der, sizeof(der), &n), IDG_OK);
	/* Another tenant's AAD or another master key does not open it. */
	assert_int_equal(idg_unseal(F->cfg.master_key, IDG_SAML_KEY_SEAL_INFO, "tenant:999",
	    k->sealed, der, sizeof(der), &n), IDG_DECLINED);
	memset(wrong, 0x11, sizeof(wrong));
	assert_int_equal(idg_unseal(wrong, IDG_SAML_KEY_SEAL_INFO, aad, k->sealed, der,
	    sizeof(der), &n), IDG_DECLINED);
	assert_int_equal(idg_unseal(F->cfg.master_key, IDG_SAML_KEY_SEAL_INFO, aad, k->sealed,
	    der, sizeof(der), &n), IDG_OK);
	assert_non_null(p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)n));
	assert_non_null(key = EVP_PKCS82PKEY(p8));
	assert_non_null(b = BIO_new_mem_buf(k->public_jwk, -1));
	assert_non_null(x = PEM_read_bio_X509(b, NULL, NULL, NULL));
	assert_int_equal(X509_check_private_key(x, key), 1);
	X509_free(x);
	BIO_free(b);
	EVP_PKEY_free(key);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return 0;
}

static void
check_cert(const char *pem, int bits)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	char cn[256];
	int days = 0, secs = 0;

	assert_non_null(x);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
	    sizeof(cn)) > 0);
	assert_string_equal(cn, ENTITY);
	assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(x)), bits);
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)), 1);
	assert_true(days >= 3650 && days <= 3653);
	X509_free(x);
	BIO_free(b);
}

/* The base64 body of a PEM certificate on one line (as in metadata). */
static void
pem_body(const char *pem, char *out, size_t outsz)
{
	const char *p = strchr(pem, '\n') + 1, *end = strstr(pem, "-----END");
	size_t n = 0;

	for (; p < end && n + 1 < outsz; p++)
		if (*p != '\n' && *p != '\r')
			out[n++] = *p;
	out[n] = '\0';
}

static void
test_key_flow(void **state)
{
	char st[128], kid[8][64], path[256], md[65536], b1[2048], b2[2048];
	struct opened o;
	struct idg_store *s;
	int64_t tid;
	FILE *f;
	size_t len;
	int n;

	/* Nothing yet: no key to promote, no metadata. */
	assert_string_equal(key_statuses(st, sizeof(st), NULL, &n), "");
	assert_int_equal(run("saml", "key", "promote", "--tenant", "acme", NULL), 1);
	assert_non_null(strstr(F->err, "no_next_key"));
	assert_int_equal(run("saml", "metadata", "--tenant", "acme", NULL), 1);
	assert_non_null(strstr(F->err, "no_signing_key"));

	/* Refusals before any work. */
	assert_int_equal(run("saml", "key", "rotate", "--tenant", "acme", "--bits", "1024",
	    NULL), 2);
	assert_non_null(strstr(F->err, "invalid_bits"));
	assert_int_equal(run("saml", "key", "rotate", NULL), 2);
	assert_int_equal(run("saml", "key", "rotate", "--tenant", "nope", NULL), 1);
	assert_non_null(strstr(F->err, "tenant_not_found"));
	F->cfg.master_key_loaded = false;
	assert_int_equal(run("saml", "key", "rotate", "--tenant", "acme", NULL), 3);
	assert_non_null(strstr(F->err, "master_key_unavailable"));
	F->cfg.master_key_loaded = true;
	assert_string_equal(key_statuses(st, sizeof(st), NULL, NULL), "");

	/* The first key is current, the second next. */
	assert_int_equal(run("saml", "key", "rotate", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "added as current"));
	assert_int_equal(run("saml", "key", "rotate", "--tenant", "acme", "--bits", "3072",
	    NULL), 0);
	assert_non_null(strstr(F->out, "added as next"));
	assert_string_equal(key_statuses(st, sizeof(st), kid, NULL), "current next");
	assert_int_equal(strlen(kid[0]), 43);

	/* Each key opens with the master key and the tenant's AAD, and fits its cert. */
	s = store(&tid);
	memset(&o, 0, sizeof(o));
	o.kid = kid[0];
	o.tenant_id = tid;
	assert_int_equal(idg_store_key_list(s, tid, "saml", open_key, &o), IDG_OK);
	assert_true(o.found);
	check_cert(o.pem, 2048);
	pem_body(o.pem, b1, sizeof(b1));
	memset(&o, 0, sizeof(o));
	o.kid = kid[1];
	o.tenant_id = tid;
	assert_int_equal(idg_store_key_list(s, tid, "saml", open_key, &o), IDG_OK);
	assert_true(o.found);
	check_cert(o.pem, 3072);
	pem_body(o.pem, b2, sizeof(b2));
	/* The OIDC provider's keys are apart. */
	assert_int_equal(run("oidc", "key", "list", "--tenant", "acme", "--json", NULL), 0);
	assert_string_equal(F->out, "[]\n");

	/* During the rotation the metadata carries both certificates, current first. */
	assert_int_equal(run("saml", "metadata", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "entityID=\"" ENTITY "\""));
	assert_non_null(strstr(F->out, b1));
	assert_non_null(strstr(F->out, b2));
	assert_true(strstr(F->out, b1) < strstr(F->out, b2));
	snprintf(path, sizeof(path), "%s/idp.xml", F->dir);
	assert_int_equal(run("saml", "metadata", "--tenant", "acme", "--out", path, NULL), 0);
	assert_non_null(f = fopen(path, "r"));
	len = fread(md, 1, sizeof(md) - 1, f);
	md[len] = '\0';
	fclose(f);
	assert_non_null(strstr(md, b1));
	assert_non_null(strstr(md, b2));
	assert_non_null(strstr(md, ENTITY "/sso"));

	/* Promote: next -> current, current -> retired; the retired one leaves the metadata. */
	assert_int_equal(run("saml", "key", "promote", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, kid[1]));
	assert_string_equal(key_statuses(st, sizeof(st), NULL, NULL), "retired current");
	assert_int_equal(run("saml", "metadata", "--tenant", "acme", NULL), 0);
	assert_null(strstr(F->out, b1));
	assert_non_null(strstr(F->out, b2));
	assert_int_equal(run("saml", "key", "promote", "--tenant", "acme", NULL), 1);
	assert_non_null(strstr(F->err, "no_next_key"));
	/* Rotating again makes a next key (a current one exists). */
	assert_int_equal(run("saml", "key", "rotate", "--tenant", "acme", NULL), 0);
	assert_string_equal(key_statuses(st, sizeof(st), NULL, NULL), "retired current next");

	/* Purge removes the retired key only. */
	assert_int_equal(run("saml", "key", "purge", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "purged 1 retired"));
	assert_string_equal(key_statuses(st, sizeof(st), NULL, NULL), "current next");
	assert_int_equal(run("saml", "key", "purge", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "purged 0 retired"));

	/* Without a usable public_url there is no entity ID to certify. */
	snprintf(F->cfg.public_url, sizeof(F->cfg.public_url), "id.example.com");
	assert_int_equal(run("saml", "key", "rotate", "--tenant", "acme", NULL), 1);
	assert_non_null(strstr(F->err, "public_url_unset"));

	/* The audit trail. */
	assert_int_equal(run("audit", "list", "--tenant", "acme", "--json", NULL), 0);
	assert_non_null(strstr(F->out, "saml.key.rotate"));
	assert_non_null(strstr(F->out, "saml.key.promote"));
	assert_non_null(strstr(F->out, "saml.key.purge"));
	idg_store_free(s);
}

/* A self-signed certificate (PEM, owned). */
static char *
make_cert_pem(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long len;

	assert_non_null(k);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"sp", -1, -1,
	    0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	PEM_write_bio_X509(b, x);
	len = BIO_get_mem_data(b, &p);
	assert_non_null(out = malloc((size_t)len + 1));
	memcpy(out, p, (size_t)len);
	out[len] = '\0';
	BIO_free(b);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
	return out;
}

/* Writes SP metadata (entity ID, AuthnRequestsSigned, with a signing cert) to name. */
static void
write_sp_md(const char *name, const char *entity, bool signed_req, const char *cert_pem,
    const char *prefix, char *path, size_t pathsz)
{
	char body[2048], xml[8192];

	pem_body(cert_pem, body, sizeof(body));
	snprintf(xml, sizeof(xml), "%s<md:EntityDescriptor"
	    " xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\""
	    " xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"%s\">"
	    "<md:SPSSODescriptor AuthnRequestsSigned=\"%s\""
	    " protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
	    "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>"
	    "%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
	    "<md:AssertionConsumerService"
	    " Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\""
	    " Location=\"%s/acs\" index=\"0\" isDefault=\"true\"/>"
	    "</md:SPSSODescriptor></md:EntityDescriptor>\n", prefix, entity,
	    signed_req ? "true" : "false", body, entity);
	write_file(name, xml, path, pathsz);
}

/* A boolean field of `saml app show --json`. */
static bool
shown_bool(const char *app, const char *field)
{
	json_t *doc;
	bool v;

	assert_int_equal(run("saml", "app", "show", "--tenant", "acme", app, "--json", NULL), 0);
	doc = out_json();
	assert_true(json_is_boolean(json_object_get(doc, field)));
	v = json_is_true(json_object_get(doc, field));
	json_decref(doc);
	return v;
}

static void
test_app_add(void **state)
{
	char *cert = make_cert_pem();
	char md[256], bad[256], doctype[256], certf[256];
	json_t *doc;

	write_sp_md("sp.xml", SP, true, cert, "", md, sizeof(md));
	write_file("sp.pem", cert, certf, sizeof(certf));

	/* From a metadata file: AuthnRequestsSigned="true" makes signed requests required. */
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "crm",
	    "--name", "CRM", "--metadata", md, "--attribute", "mail=email", "--attribute",
	    "role=const:staff", "--nameid", "persistent", NULL), 0);
	assert_non_null(strstr(F->out, "SAML app crm added"));
	assert_non_null(strstr(F->out, "https://id.example.com/saml/acme/sso"));
	assert_int_equal(run("saml", "app", "show", "--tenant", "acme", "crm", "--json", NULL),
	    0);
	doc = out_json();
	assert_string_equal(json_string_value(json_object_get(doc, "entity_id")), SP);
	assert_string_equal(json_string_value(json_object_get(doc, "nameid")), "persistent");
	assert_string_equal(json_string_value(json_object_get(doc, "nameid_source")), "email");
	assert_int_equal(json_array_size(json_object_get(doc, "attributes")), 2);
	assert_true(json_is_true(json_object_get(doc, "sign_requests")));
	assert_true(json_is_true(json_object_get(doc, "sign_assertion")));
	assert_true(json_is_true(json_object_get(doc, "sign_response")));
	assert_true(json_is_true(json_object_get(doc, "sp_initiated")));
	assert_true(json_is_true(json_object_get(doc, "idp_initiated")));
	assert_false(json_is_true(json_object_get(doc, "encrypt_assertion")));
	assert_non_null(strstr(json_string_value(json_object_get(doc, "metadata")), SP));
	json_decref(doc);

	/* From fields, with the defaults: e-mail NameID, both signed, no signed requests. */
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "wiki",
	    "--name", "Wiki", "--entity-id", "https://wiki.example.com", "--acs",
	    "https://wiki.example.com/acs", "--acs", "https://wiki.example.com/acs2", "--slo",
	    "https://wiki.example.com/slo", "--sign", "assertion", "--no-idp-initiated",
	    "--device-required", "--json", NULL), 0);
	doc = out_json();
	assert_string_equal(json_string_value(json_object_get(doc, "nameid")), "email");
	assert_false(json_is_true(json_object_get(doc, "sign_requests")));
	assert_true(json_is_true(json_object_get(doc, "sign_assertion")));
	assert_false(json_is_true(json_object_get(doc, "sign_response")));
	assert_false(json_is_true(json_object_get(doc, "idp_initiated")));
	assert_true(json_is_true(json_object_get(doc, "device_required")));
	json_decref(doc);
	/* --sign-requests overrides the metadata; here with the SP's certificate. */
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "hr",
	    "--name", "HR", "--entity-id", "https://hr.example.com", "--acs",
	    "https://hr.example.com/acs", "--sp-cert", certf, "--sign-requests", "--encrypt",
	    NULL), 0);
	assert_true(shown_bool("hr", "sign_requests"));
	assert_true(shown_bool("hr", "encrypt_assertion"));

	/* Refused metadata. */
	write_file("bad.xml", "this is not XML", bad, sizeof(bad));
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", "--metadata", bad, NULL), 1);
	assert_non_null(strstr(F->err, "invalid_sp_metadata"));
	write_sp_md("doctype.xml", "https://evil.example.com", false, cert,
	    "<?xml version=\"1.0\"?><!DOCTYPE md [<!ENTITY x \"y\">]>", doctype,
	    sizeof(doctype));
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", "--metadata", doctype, NULL), 1);
	assert_non_null(strstr(F->err, "invalid_sp_metadata"));
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", "--entity-id", "https://x.example.com", "--acs",
	    "http://x.example.com/acs", NULL), 1);
	assert_non_null(strstr(F->err, "invalid_sp_metadata"));
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", "--metadata", "/nonexistent/sp.xml", NULL), 2);
	assert_non_null(strstr(F->err, "file_unreadable"));
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", "--metadata", "http://sp.example.com/md", NULL), 2);
	assert_non_null(strstr(F->err, "invalid_url"));
	/* An https URL nobody answers: the fetch fails, nothing is stored. */
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", "--metadata", "https://127.0.0.1:1/md", NULL), 3);
	assert_non_null(strstr(F->err, "connection_failed"));

	/* Duplicates: app_id, entity ID. */
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "crm",
	    "--name", "Other", "--entity-id", "https://other.example.com", "--acs",
	    "https://other.example.com/acs", NULL), 1);
	assert_non_null(strstr(F->err, "app_exists"));
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "crm2",
	    "--name", "CRM again", "--metadata", md, NULL), 1);
	assert_non_null(strstr(F->err, "entity_id_exists"));

	/* Bad options. */
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "Bad_Id",
	    "--name", "X", "--metadata", md, NULL), 2);
	assert_non_null(strstr(F->err, "invalid_app_id"));
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", "--metadata", md, "--attribute", "mail=phone", NULL), 2);
	assert_non_null(strstr(F->err, "invalid_attribute"));
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", "--metadata", md, "--attribute", "a=email", "--attribute",
	    "a=groups", NULL), 2);
	assert_non_null(strstr(F->err, "invalid_attribute"));
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", "--metadata", md, "--nameid", "transient", NULL), 2);
	assert_non_null(strstr(F->err, "invalid_nameid"));
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", "--metadata", md, "--nameid-source", "phone", NULL), 2);
	assert_non_null(strstr(F->err, "invalid_nameid_source"));
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", "--metadata", md, "--sign", "none", NULL), 2);
	assert_non_null(strstr(F->err, "invalid_sign"));
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", "--metadata", md, "--entity-id", "https://x.example.com", NULL), 2);
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", "--entity-id", "https://x.example.com", NULL), 2);
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", NULL), 2);
	/* Signed requests without any SP certificate cannot be verified. */
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "x",
	    "--name", "X", "--entity-id", "https://x.example.com", "--acs",
	    "https://x.example.com/acs", "--sign-requests", NULL), 1);
	assert_non_null(strstr(F->err, "sp_certificate_required"));
	assert_int_equal(run("saml", "app", "add", "--tenant", "nope", "--app-id", "x",
	    "--name", "X", "--metadata", md, NULL), 1);
	assert_non_null(strstr(F->err, "tenant_not_found"));

	/* Only the three good apps exist. */
	assert_int_equal(run("saml", "app", "list", "--tenant", "acme", "--json", NULL), 0);
	doc = out_json();
	assert_int_equal(json_array_size(doc), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0), "app_id")),
	    "crm");
	json_decref(doc);
	assert_int_equal(run("saml", "app", "list", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "wiki"));
	assert_int_equal(run("audit", "list", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "saml.app.add"));
	free(cert);
}

static void
test_app_update_delete(void **state)
{
	char *cert = make_cert_pem();
	char md[256], md2[256];

	write_sp_md("sp.xml", SP, false, cert, "", md, sizeof(md));
	write_sp_md("sp2.xml", "https://sp2.example.com", false, cert, "", md2, sizeof(md2));
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "crm",
	    "--name", "CRM", "--metadata", md, NULL), 0);
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "crm2",
	    "--name", "CRM 2", "--metadata", md2, NULL), 0);
	assert_false(shown_bool("crm", "sign_requests"));

	/* Only the options given change. */
	assert_int_equal(run("saml", "app", "update", "--tenant", "acme", "crm", "--name",
	    "CRM renamed", "--sign-requests", "--no-sp-initiated", NULL), 0);
	assert_true(shown_bool("crm", "sign_requests"));
	assert_false(shown_bool("crm", "sp_initiated"));
	assert_true(shown_bool("crm", "idp_initiated"));
	assert_int_equal(run("saml", "app", "show", "--tenant", "acme", "crm", NULL), 0);
	assert_non_null(strstr(F->out, "CRM renamed"));
	assert_non_null(strstr(F->out, SP));
	/* Back, and new metadata from fields. */
	assert_int_equal(run("saml", "app", "update", "--tenant", "acme", "crm",
	    "--no-sign-requests", "--sp-initiated", "--entity-id", "https://crm.example.com",
	    "--acs", "https://crm.example.com/acs", NULL), 0);
	assert_false(shown_bool("crm", "sign_requests"));
	assert_true(shown_bool("crm", "sp_initiated"));
	assert_int_equal(run("saml", "app", "show", "--tenant", "acme", "crm", NULL), 0);
	assert_non_null(strstr(F->out, "https://crm.example.com"));
	/* Refusals: another app's entity ID, unknown app, encryption without a certificate. */
	assert_int_equal(run("saml", "app", "update", "--tenant", "acme", "crm", "--metadata",
	    md2, NULL), 1);
	assert_non_null(strstr(F->err, "entity_id_exists"));
	assert_int_equal(run("saml", "app", "update", "--tenant", "acme", "nope", "--name", "N",
	    NULL), 1);
	assert_non_null(strstr(F->err, "app_not_found"));
	assert_int_equal(run("saml", "app", "update", "--tenant", "acme", "crm", "--encrypt",
	    NULL), 1);
	assert_non_null(strstr(F->err, "sp_certificate_required"));
	assert_int_equal(run("saml", "app", "update", "--tenant", "acme", "crm", "--encrypt",
	    "--no-encrypt", NULL), 2);
	assert_int_equal(run("saml", "app", "update", "--tenant", "acme", NULL), 2);

	/* Delete. */
	assert_int_equal(run("saml", "app", "delete", "--tenant", "acme", "crm", NULL), 0);
	assert_int_equal(run("saml", "app", "show", "--tenant", "acme", "crm", NULL), 1);
	assert_non_null(strstr(F->err, "app_not_found"));
	assert_int_equal(run("saml", "app", "delete", "--tenant", "acme", "crm", NULL), 1);
	assert_non_null(strstr(F->err, "app_not_found"));
	assert_int_equal(run("audit", "list", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "saml.app.update"));
	assert_non_null(strstr(F->out, "saml.app.delete"));
	free(cert);
}

static void
test_assign_and_cancel(void **state)
{
	json_t *doc;
	char md[256];
	char *cert = make_cert_pem();

	write_sp_md("sp.xml", SP, false, cert, "", md, sizeof(md));
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "crm",
	    "--name", "CRM", "--metadata", md, NULL), 0);
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "a@acme.test", NULL),
	    0);
	assert_int_equal(run("group", "add", "--tenant", "acme", "sales", NULL), 0);

	assert_int_equal(run("saml", "app", "assign", "--tenant", "acme", "crm", "--user",
	    "a@acme.test", NULL), 0);
	assert_int_equal(run("saml", "app", "assign", "--tenant", "acme", "crm", "--group",
	    "sales", NULL), 0);
	assert_int_equal(run("saml", "app", "assign", "--tenant", "acme", "crm", "--user",
	    "a@acme.test", NULL), 1);
	assert_non_null(strstr(F->err, "already_assigned"));
	assert_int_equal(run("saml", "app", "assign", "--tenant", "acme", "crm", "--user",
	    "x@acme.test", NULL), 1);
	assert_non_null(strstr(F->err, "user_not_found"));
	assert_int_equal(run("saml", "app", "assign", "--tenant", "acme", "crm", "--group",
	    "nope", NULL), 1);
	assert_non_null(strstr(F->err, "group_not_found"));
	assert_int_equal(run("saml", "app", "assign", "--tenant", "acme", "nope", "--user",
	    "a@acme.test", NULL), 1);
	assert_non_null(strstr(F->err, "app_not_found"));
	assert_int_equal(run("saml", "app", "assign", "--tenant", "acme", "crm", "--user",
	    "a@acme.test", "--group", "sales", NULL), 2);
	assert_int_equal(run("saml", "app", "show", "--tenant", "acme", "crm", "--json", NULL),
	    0);
	doc = out_json();
	assert_int_equal(json_array_size(json_object_get(doc, "assigned")), 2);
	json_decref(doc);

	assert_int_equal(run("saml", "app", "unassign", "--tenant", "acme", "crm", "--group",
	    "sales", NULL), 0);
	assert_int_equal(run("saml", "app", "unassign", "--tenant", "acme", "crm", "--group",
	    "sales", NULL), 1);
	assert_non_null(strstr(F->err, "not_assigned"));
	assert_int_equal(run("saml", "app", "show", "--tenant", "acme", "crm", NULL), 0);
	assert_non_null(strstr(F->out, "user a@acme.test"));
	assert_null(strstr(F->out, "group sales"));

	/* Cancellation is refused while the app is there, and names it. */
	assert_int_equal(run("tenant", "cancel", "acme", NULL), 1);
	assert_non_null(strstr(F->err, "tenant_has_apps"));
	assert_non_null(strstr(F->err, "saml crm"));
	assert_int_equal(run("tenant", "cancel", "acme", "--force", NULL), 0);
	/* A cancelled tenant takes no SAML change. */
	assert_int_equal(run("saml", "app", "add", "--tenant", "acme", "--app-id", "crm",
	    "--name", "CRM", "--metadata", md, NULL), 1);
	assert_non_null(strstr(F->err, "tenant_cancelled"));
	assert_int_equal(run("saml", "app", "list", "--tenant", "acme", NULL), 1);
	assert_non_null(strstr(F->err, "tenant_cancelled"));
	assert_int_equal(run("saml", "key", "rotate", "--tenant", "acme", NULL), 1);
	assert_non_null(strstr(F->err, "tenant_cancelled"));
	free(cert);
}

static void
test_usage(void **state)
{
	assert_int_equal(run("saml", "nope", NULL), 2);
	assert_int_equal(run("saml", "key", "nope", NULL), 2);
	assert_int_equal(run("saml", "app", "nope", NULL), 2);
	assert_int_equal(run("saml", "app", "show", "--tenant", "acme", NULL), 2);
	assert_int_equal(run("saml", "metadata", NULL), 2);
	assert_int_equal(run("saml", "app", "show", "--tenant", "acme", "nope", NULL), 1);
	assert_non_null(strstr(F->err, "app_not_found"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_update_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assign_and_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
