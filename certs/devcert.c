/*
 * devcert.c - the per-tenant device-certificate CA on OpenSSL 3 (devcert.h):
 * CA creation, sealed export and loading, CSR checks, issuance, PKCS#12,
 * one-time passwords, CRLs and the check of a presented certificate. The
 * CA private key lives only in struct idg_ca and, sealed, in the store;
 * every DER copy of it is wiped. This file keeps no state, reads no clock
 * and does no I/O besides the CSPRNG; the pure license and date rules are
 * in rules.c, and revocation state and user binding are the store's.
 */
#include "devcert.h"
#include "devcert_int.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "gateway/util/crypto.h"
#include "gateway/util/log.h"
#include "gateway/util/seal.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"

#define SEAL_INFO	"idgate device ca v1"
#define CA_CN		"idgate device CA"
#define CA_YEARS	20
#define CA_BACKDATE_S	3600
#define SERIAL_LEN	16
#define CSR_MAX		16384
#define CERT_MAX	16384
#define URN_PREFIX	"urn:idgate:device:"
#define COMPANY_MAX	33
/* RFC 5280 ub-common-name: a longer e-mail is carried by the SAN only. */
#define CN_MAX		64
#define OTP_ALPHABET	"23456789ABCDEFGHJKLMNPQRSTUVWXYZ"	/* 32: no 0/O, 1/I */

struct idg_ca {
	X509		*cert;
	EVP_PKEY	*key;		/* NULL when loaded without the key */
	int		 alg;		/* enum idg_ca_alg */
	char		 company_id[COMPANY_MAX];	/* the certificate's subject O */
};

/* Logs the OpenSSL error queue once for an internal failure and clears it. */
static int
ossl_fail(const char *func, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		idg_log_msg(IDG_LOG_ERROR, func, "%s: %s", what, buf);
	} else
		idg_log_msg(IDG_LOG_ERROR, func, "%s", what);
	ERR_clear_error();
	return IDG_ERR;
}

/* Copies a memory BIO's contents into an owned buffer (NUL-terminated if nul). */
static int
bio_take(BIO *b, bool nul, uint8_t **out, size_t *len)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	uint8_t *o;

	if (n <= 0 || (o = malloc((size_t)n + 1)) == NULL)
		return IDG_ERR;
	memcpy(o, p, (size_t)n);
	if (nul)
		o[n] = '\0';
	*out = o;
	if (len != NULL)
		*len = (size_t)n;
	return IDG_OK;
}

static int
set_time(ASN1_TIME *s, int64_t t)
{
	return ASN1_TIME_set(s, (time_t)t) != NULL ? IDG_OK : IDG_ERR;
}

/* An ASN1_TIME as unix seconds; -1 when it does not parse or is before 1970. */
static int64_t
get_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	return idg_civil_to_unix((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The enum idg_ca_alg of a CA key, or -1 for any other key. */
static int
key_alg(const EVP_PKEY *k)
{
	char group[64];
	size_t glen = 0;

	if (EVP_PKEY_is_a(k, "EC")) {
		if (EVP_PKEY_get_group_name(k, group, sizeof(group), &glen) != 1)
			return -1;
		return strcmp(group, "prime256v1") == 0 ? IDG_CA_EC_P256 : -1;
	}
	if (EVP_PKEY_is_a(k, "RSA")) {
		switch (EVP_PKEY_get_bits(k)) {
		case 2048: return IDG_CA_RSA_2048;
		case 3072: return IDG_CA_RSA_3072;
		default: return -1;
		}
	}
	return -1;
}

/* A fixed-text extension (never built from caller input) added to x. */
static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return IDG_ERR;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? IDG_OK : IDG_ERR;
}

static int
name_add(X509_NAME *n, int nid, const char *v)
{
	return X509_NAME_add_entry_by_NID(n, nid, MBSTRING_UTF8, (const unsigned char *)v, -1,
	    -1, 0) == 1 ? IDG_OK : IDG_ERR;
}

/* 16 bytes from the CSPRNG, top bit cleared, never zero, set as x's serial. */
static int
set_serial(X509 *x, char hex[IDG_DEVCERT_SERIAL_HEX])
{
	uint8_t raw[SERIAL_LEN];
	BIGNUM *bn;
	int rc = IDG_ERR;

	do {
		if (idg_random(raw, sizeof(raw)) != IDG_OK)
			return IDG_ERR;
		raw[0] &= 0x7f;	/* RFC 5280 4.1.2.2: a positive INTEGER */
		bn = BN_bin2bn(raw, sizeof(raw), NULL);
		if (bn == NULL)
			return IDG_ERR;
		if (!BN_is_zero(bn))
			break;
		BN_free(bn);
	} while (1);
	if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
		rc = IDG_OK;
	BN_free(bn);
	if (hex != NULL)
		idg_hex(raw, sizeof(raw), hex);
	return rc;
}

/* The serial of x as 32 lower-case hex digits; IDG_INVALID if it does not fit. */
static int
get_serial(const ASN1_INTEGER *ai, char hex[IDG_DEVCERT_SERIAL_HEX])
{
	uint8_t raw[SERIAL_LEN];
	BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
	int rc = IDG_INVALID;

	if (bn == NULL)
		return IDG_INVALID;
	if (!BN_is_negative(bn) && !BN_is_zero(bn) && BN_num_bytes(bn) <= SERIAL_LEN &&
	    BN_bn2binpad(bn, raw, sizeof(raw)) == SERIAL_LEN) {
		idg_hex(raw, sizeof(raw), hex);
		rc = IDG_OK;
	}
	BN_free(bn);
	return rc;
}

/* A serial written as 32 lower-case hex digits, as an ASN1_INTEGER (owned). */
static ASN1_INTEGER *
serial_from_hex(const char *hex)
{
	static const char digits[] = "0123456789abcdef";
	uint8_t raw[SERIAL_LEN];
	ASN1_INTEGER *ai;
	BIGNUM *bn;
	size_t i;

	if (strnlen(hex, IDG_DEVCERT_SERIAL_HEX) != 2 * SERIAL_LEN)
		return NULL;
	for (i = 0; i < SERIAL_LEN; i++) {
		const char *hi = memchr(digits, hex[2 * i], 16);
		const char *lo = memchr(digits, hex[2 * i + 1], 16);

		if (hi == NULL || lo == NULL || hex[2 * i] == '\0' || hex[2 * i + 1] == '\0')
			return NULL;
		raw[i] = (uint8_t)((hi - digits) << 4 | (lo - digits));
	}
	if ((bn = BN_bin2bn(raw, sizeof(raw), NULL)) == NULL)
		return NULL;
	ai = BN_is_zero(bn) ? NULL : BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return ai;
}

/* A device id: 1..64 of [A-Za-z0-9_-], NUL within sz bytes. */
static bool
device_id_ok(const char *s, size_t sz)
{
	size_t n = strnlen(s, sz), i;

	if (n == 0 || n >= sz || n >= IDG_DEVCERT_DEVICE_ID_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* A device name: UTF-8 text without controls, 1..64 bytes. */
static bool
device_name_ok(const char *s, size_t sz)
{
	size_t n = strnlen(s, sz);

	return n > 0 && n < sz && n < IDG_DEVCERT_NAME_MAX && idg_utf8_text_valid(s);
}

static void
set_err(char *err, size_t errsz, const char *msg)
{
	if (err != NULL && errsz > 0)
		idg_strlcpy(err, msg, errsz);
}

/* ---- the CA ---- */

static struct idg_ca *
ca_new(void)
{
	return calloc(1, sizeof(struct idg_ca));
}

void
idg_ca_free(struct idg_ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca);
}

static EVP_PKEY *
keygen(int alg)
{
	switch (alg) {
	case IDG_CA_EC_P256: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case IDG_CA_RSA_2048: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	case IDG_CA_RSA_3072: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	default: return NULL;
	}
}

int
idg_ca_create(const char *company_id, int alg, int64_t now, struct idg_ca **out)
{
	struct idg_ca *ca = NULL;
	X509_NAME *name = NULL;
	X509 *x = NULL;
	int64_t nb = now - CA_BACKDATE_S, na;
	int rc = IDG_ERR;

	if (out != NULL)
		*out = NULL;
	if (company_id == NULL || out == NULL || strnlen(company_id, COMPANY_MAX) >= COMPANY_MAX ||
	    !idg_company_id_valid(company_id) || alg < IDG_CA_EC_P256 || alg > IDG_CA_RSA_3072)
		return IDG_INVALID;
	if (now < CA_BACKDATE_S || (na = idg_civil_add_years(nb, CA_YEARS)) < 0)
		return IDG_INVALID;
	if ((ca = ca_new()) == NULL)
		return IDG_ERR;
	ca->alg = alg;
	idg_strlcpy(ca->company_id, company_id, sizeof(ca->company_id));
	if ((ca->key = keygen(alg)) == NULL) {
		ossl_fail(__func__, "key generation");
		goto done;
	}
	if ((x = X509_new()) == NULL || (name = X509_NAME_new()) == NULL ||
	    X509_set_version(x, X509_VERSION_3) != 1 || set_serial(x, NULL) != IDG_OK ||
	    name_add(name, NID_commonName, CA_CN) != IDG_OK ||
	    name_add(name, NID_organizationName, company_id) != IDG_OK ||
	    X509_set_subject_name(x, name) != 1 || X509_set_issuer_name(x, name) != 1 ||
	    set_time(X509_getm_notBefore(x), nb) != IDG_OK ||
	    set_time(X509_getm_notAfter(x), na) != IDG_OK || X509_set_pubkey(x, ca->key) != 1 ||
	    add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") != IDG_OK ||
	    add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") != IDG_OK ||
	    add_ext(x, x, NID_subject_key_identifier, "hash") != IDG_OK ||
	    X509_sign(x, ca->key, EVP_sha256()) <= 0) {
		ossl_fail(__func__, "CA certificate");
		goto done;
	}
	ca->cert = x;
	x = NULL;
	*out = ca;
	ca = NULL;
	rc = IDG_OK;
done:
	X509_NAME_free(name);
	X509_free(x);
	idg_ca_free(ca);
	return rc;
}

int
idg_ca_export(const struct idg_ca *ca, const uint8_t master_key[32], const char *aad,
    char **key_sealed, uint8_t **cert_der, size_t *cert_len)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	uint8_t *der = NULL, *p;
	BIO *b = NULL;
	int len = 0, rc = IDG_ERR, st;

	if (key_sealed != NULL)
		*key_sealed = NULL;
	if (cert_der != NULL)
		*cert_der = NULL;
	if (ca == NULL || ca->key == NULL || master_key == NULL || aad == NULL ||
	    key_sealed == NULL || cert_der == NULL || cert_len == NULL)
		return IDG_INVALID;
	if ((p8 = EVP_PKEY2PKCS8(ca->key)) == NULL ||
	    (len = i2d_PKCS8_PRIV_KEY_INFO(p8, NULL)) <= 0 || (der = malloc((size_t)len)) == NULL) {
		ossl_fail(__func__, "PKCS#8");
		goto done;
	}
	p = der;
	if (i2d_PKCS8_PRIV_KEY_INFO(p8, &p) != len) {
		ossl_fail(__func__, "PKCS#8");
		goto done;
	}
	if ((st = idg_seal(master_key, SEAL_INFO, aad, der, (size_t)len, key_sealed)) != IDG_OK) {
		rc = st;
		goto done;
	}
	if ((b = BIO_new(BIO_s_mem())) == NULL || i2d_X509_bio(b, ca->cert) != 1 ||
	    bio_take(b, false, cert_der, cert_len) != IDG_OK) {
		ossl_fail(__func__, "certificate");
		free(*key_sealed);
		*key_sealed = NULL;
		goto done;
	}
	rc = IDG_OK;
done:
	if (der != NULL) {
		idg_wipe(der, (size_t)len);
		free(der);
	}
	PKCS8_PRIV_KEY_INFO_free(p8);
	BIO_free(b);
	return rc;
}

/*
 * The company ID of a CA certificate: its one subject O, which must be a
 * valid company ID. IDG_INVALID otherwise.
 */
static int
ca_company(X509 *x, char out[COMPANY_MAX])
{
	const X509_NAME *n = X509_get_subject_name(x);
	const ASN1_STRING *s;
	int i = X509_NAME_get_index_by_NID(n, NID_organizationName, -1);
	int len;

	if (i < 0 || X509_NAME_get_index_by_NID(n, NID_organizationName, i) >= 0)
		return IDG_INVALID;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
	len = ASN1_STRING_length(s);
	if (len <= 0 || len >= COMPANY_MAX ||
	    memchr(ASN1_STRING_get0_data(s), '\0', (size_t)len) != NULL)
		return IDG_INVALID;
	memcpy(out, ASN1_STRING_get0_data(s), (size_t)len);
	out[len] = '\0';
	return idg_company_id_valid(out) ? IDG_OK : IDG_INVALID;
}

int
idg_ca_load(const uint8_t master_key[32], const char *aad, const char *key_sealed,
    const uint8_t *cert_der, size_t cert_len, struct idg_ca **out)
{
	uint8_t pt[IDG_SEAL_MAX_PT];
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	const uint8_t *p = cert_der;
	struct idg_ca *ca = NULL;
	size_t ptlen = 0;
	int rc = IDG_INVALID, st;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || cert_der == NULL || cert_len == 0 || cert_len > CERT_MAX ||
	    (key_sealed != NULL && (master_key == NULL || aad == NULL)))
		return IDG_INVALID;
	if ((ca = ca_new()) == NULL)
		return IDG_ERR;
	if ((ca->cert = d2i_X509(NULL, &p, (long)cert_len)) == NULL ||
	    p != cert_der + cert_len || X509_check_ca(ca->cert) != 1 ||
	    ca_company(ca->cert, ca->company_id) != IDG_OK ||
	    (ca->alg = key_alg(X509_get0_pubkey(ca->cert))) < 0)
		goto done;
	if (key_sealed != NULL) {
		st = idg_unseal(master_key, SEAL_INFO, aad, key_sealed, pt, sizeof(pt), &ptlen);
		if (st != IDG_OK) {
			rc = st == IDG_DECLINED || st == IDG_ERR ? st : IDG_INVALID;
			goto done;
		}
		p = pt;
		if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)ptlen)) == NULL ||
		    p != pt + ptlen || (ca->key = EVP_PKCS82PKEY(p8)) == NULL ||
		    X509_check_private_key(ca->cert, ca->key) != 1)
			goto done;
	}
	*out = ca;
	ca = NULL;
	rc = IDG_OK;
done:
	idg_wipe(pt, sizeof(pt));
	PKCS8_PRIV_KEY_INFO_free(p8);
	idg_ca_free(ca);
	ERR_clear_error();
	return rc;
}

bool
idg_ca_has_key(const struct idg_ca *ca)
{
	return ca != NULL && ca->key != NULL;
}

int
idg_ca_alg(const struct idg_ca *ca)
{
	return ca != NULL ? ca->alg : -1;
}

static int
pem_of(X509 *x, char **pem)
{
	BIO *b;
	int rc = IDG_ERR;

	if ((b = BIO_new(BIO_s_mem())) != NULL && PEM_write_bio_X509(b, x) == 1)
		rc = bio_take(b, true, (uint8_t **)pem, NULL);
	BIO_free(b);
	if (rc != IDG_OK)
		ossl_fail(__func__, "PEM");
	return rc;
}

int
idg_ca_cert_pem(const struct idg_ca *ca, char **pem)
{
	if (pem != NULL)
		*pem = NULL;
	if (ca == NULL || pem == NULL)
		return IDG_INVALID;
	return pem_of(ca->cert, pem);
}

void *
idg_ca_x509(const struct idg_ca *ca)
{
	return ca != NULL ? ca->cert : NULL;
}

/* ---- CSRs, keys, issuance ---- */

/* Is pub a key we certify: EC P-256/P-384 on a named curve, or RSA 2048..4096? */
static bool
device_key_ok(const EVP_PKEY *pub)
{
	char group[64], enc[32];
	size_t glen = 0, elen = 0;
	int bits;

	if (EVP_PKEY_is_a(pub, "EC")) {
		if (EVP_PKEY_get_group_name(pub, group, sizeof(group), &glen) != 1)
			return false;
		/* Explicit curve parameters are refused (RFC 5480 2.1.1: namedCurve). */
		if (EVP_PKEY_get_utf8_string_param(pub, "encoding", enc, sizeof(enc), &elen) == 1 &&
		    strcmp(enc, "named_curve") != 0)
			return false;
		return strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0;
	}
	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA) {
		bits = EVP_PKEY_get_bits(pub);
		return bits >= 2048 && bits <= 4096;
	}
	return false;
}

int
idg_csr_parse(const void *data, size_t n, EVP_PKEY **pub, char *err, size_t errsz)
{
	static const char begin[] = "-----BEGIN";
	X509_REQ *req = NULL;
	EVP_PKEY *k;
	BIO *b = NULL;
	int rc = IDG_INVALID;

	if (pub != NULL)
		*pub = NULL;
	set_err(err, errsz, "");
	if (pub == NULL) {
		set_err(err, errsz, "No output key.");
		return IDG_INVALID;
	}
	if (data == NULL || n == 0) {
		set_err(err, errsz, "The request is empty.");
		return IDG_INVALID;
	}
	if (n > CSR_MAX) {
		set_err(err, errsz, "The request is larger than 16 KiB.");
		return IDG_INVALID;
	}
	if (memmem(data, n, begin, sizeof(begin) - 1) != NULL) {
		if ((b = BIO_new_mem_buf(data, (int)n)) == NULL) {
			rc = ossl_fail(__func__, "BIO");
			goto done;
		}
		req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	} else {
		const uint8_t *p = data;

		req = d2i_X509_REQ(NULL, &p, (long)n);
		if (req != NULL && p != (const uint8_t *)data + n) {
			X509_REQ_free(req);
			req = NULL;
		}
	}
	if (req == NULL) {
		set_err(err, errsz, "The request is not a PKCS#10 certificate request.");
		goto done;
	}
	if ((k = X509_REQ_get0_pubkey(req)) == NULL) {
		set_err(err, errsz, "The request's public key cannot be read.");
		goto done;
	}
	if (!device_key_ok(k)) {
		set_err(err, errsz,
		    "The key must be EC P-256 or P-384, or RSA of 2048 to 4096 bits.");
		goto done;
	}
	/* RFC 2986 4.2: the request is signed with its own key (proof of possession). */
	if (X509_REQ_verify(req, k) != 1) {
		set_err(err, errsz, "The request's signature does not verify.");
		goto done;
	}
	if (!EVP_PKEY_up_ref(k)) {
		rc = ossl_fail(__func__, "up_ref");
		goto done;
	}
	*pub = k;
	rc = IDG_OK;
done:
	X509_REQ_free(req);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

int
idg_devcert_keygen(EVP_PKEY **key)
{
	if (key == NULL)
		return IDG_INVALID;
	if ((*key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		return ossl_fail(__func__, "key generation");
	return IDG_OK;
}

static int
add_gen(GENERAL_NAMES *gens, int type, const char *v)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();

	if (g == NULL || s == NULL || ASN1_STRING_set(s, v, -1) != 1) {
		GENERAL_NAME_free(g);
		ASN1_IA5STRING_free(s);
		return IDG_ERR;
	}
	GENERAL_NAME_set0_value(g, type, s);
	if (sk_GENERAL_NAME_push(gens, g) <= 0) {
		GENERAL_NAME_free(g);
		return IDG_ERR;
	}
	return IDG_OK;
}

/* subjectAltName = the e-mail (rfc822Name) and the device URN (URI). */
static int
add_san(X509 *x, const char *email, const char *urn)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	int rc = IDG_ERR;

	if (gens != NULL && add_gen(gens, GEN_EMAIL, email) == IDG_OK &&
	    add_gen(gens, GEN_URI, urn) == IDG_OK &&
	    X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1)
		rc = IDG_OK;
	GENERAL_NAMES_free(gens);
	return rc;
}

static bool
subject_ok(const struct idg_ca *ca, const struct idg_devcert_subject *sub)
{
	return memchr(sub->company_id, '\0', sizeof(sub->company_id)) != NULL &&
	    strcmp(sub->company_id, ca->company_id) == 0 && sub->user_id > 0 &&
	    memchr(sub->email, '\0', sizeof(sub->email)) != NULL && idg_email_valid(sub->email) &&
	    device_id_ok(sub->device_id, sizeof(sub->device_id)) &&
	    device_name_ok(sub->device_name, sizeof(sub->device_name));
}

int
idg_devcert_issue(const struct idg_ca *ca, EVP_PKEY *pub, const struct idg_devcert_subject *sub,
    int64_t now, struct idg_devcert_issued *out)
{
	char urn[sizeof(URN_PREFIX) + COMPANY_MAX + 24 + IDG_DEVCERT_DEVICE_ID_MAX];
	X509_NAME *name = NULL;
	X509 *x = NULL;
	BIO *b = NULL;
	int64_t na;
	int rc = IDG_ERR;

	if (out == NULL)
		return IDG_INVALID;
	memset(out, 0, sizeof(*out));
	if (ca == NULL || ca->key == NULL || pub == NULL || sub == NULL || !subject_ok(ca, sub) ||
	    !device_key_ok(pub) || (na = idg_devcert_not_after(now)) < 0)
		return IDG_INVALID;
	snprintf(urn, sizeof(urn), URN_PREFIX "%s:%lld:%s", sub->company_id,
	    (long long)sub->user_id, sub->device_id);
	if ((x = X509_new()) == NULL || (name = X509_NAME_new()) == NULL ||
	    X509_set_version(x, X509_VERSION_3) != 1 || set_serial(x, out->serial) != IDG_OK ||
	    (strlen(sub->email) <= CN_MAX &&
	    name_add(name, NID_commonName, sub->email) != IDG_OK) ||
	    name_add(name, NID_organizationName, sub->company_id) != IDG_OK ||
	    name_add(name, NID_organizationalUnitName, sub->device_name) != IDG_OK ||
	    X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) != 1 ||
	    set_time(X509_getm_notBefore(x), now) != IDG_OK ||
	    set_time(X509_getm_notAfter(x), na) != IDG_OK || X509_set_pubkey(x, pub) != 1 ||
	    add_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE") != IDG_OK ||
	    add_ext(x, ca->cert, NID_key_usage, "critical,digitalSignature") != IDG_OK ||
	    add_ext(x, ca->cert, NID_ext_key_usage, "clientAuth") != IDG_OK ||
	    add_san(x, sub->email, urn) != IDG_OK ||
	    add_ext(x, ca->cert, NID_subject_key_identifier, "hash") != IDG_OK ||
	    add_ext(x, ca->cert, NID_authority_key_identifier, "keyid:always") != IDG_OK ||
	    X509_sign(x, ca->key, EVP_sha256()) <= 0 || (b = BIO_new(BIO_s_mem())) == NULL ||
	    i2d_X509_bio(b, x) != 1 || bio_take(b, false, &out->der, &out->der_len) != IDG_OK) {
		ossl_fail(__func__, "device certificate");
		memset(out, 0, sizeof(*out));
		goto done;
	}
	out->not_before = now;
	out->not_after = na;
	rc = IDG_OK;
done:
	X509_NAME_free(name);
	X509_free(x);
	BIO_free(b);
	return rc;
}

void
idg_devcert_issued_free(struct idg_devcert_issued *c)
{
	if (c == NULL)
		return;
	free(c->der);
	c->der = NULL;
	c->der_len = 0;
}

/* A whole DER certificate (nothing after it), or NULL. */
static X509 *
cert_parse(const uint8_t *der, size_t n)
{
	const uint8_t *p = der;
	X509 *x;

	if (der == NULL || n == 0 || n > CERT_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)n);
	if (x != NULL && p != der + n) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

int
idg_devcert_pem(const uint8_t *der, size_t n, char **pem)
{
	X509 *x;
	int rc;

	if (pem != NULL)
		*pem = NULL;
	if (pem == NULL || (x = cert_parse(der, n)) == NULL) {
		ERR_clear_error();
		return IDG_INVALID;
	}
	rc = pem_of(x, pem);
	X509_free(x);
	return rc;
}

int
idg_devcert_pkcs12(EVP_PKEY *key, const uint8_t *cert_der, size_t cert_len,
    const struct idg_ca *ca, const char *name, const char *password, bool legacy,
    uint8_t **p12, size_t *p12_len)
{
	STACK_OF(X509) *cas = NULL;
	PKCS12 *p = NULL;
	X509 *x = NULL;
	BIO *b = NULL;
	int nid, rc = IDG_ERR;
	const EVP_MD *md;

	if (p12 != NULL)
		*p12 = NULL;
	if (key == NULL || ca == NULL || password == NULL || password[0] == '\0' || p12 == NULL ||
	    p12_len == NULL)
		return IDG_INVALID;
	if ((x = cert_parse(cert_der, cert_len)) == NULL ||
	    X509_check_private_key(x, key) != 1) {
		rc = IDG_INVALID;
		goto done;
	}
	if (legacy) {
		/* For importers without PBES2 (older Windows, macOS, Android). */
		nid = NID_pbe_WithSHA1And3_Key_TripleDES_CBC;
		md = EVP_sha1();
	} else {
		/* PBES2: PBKDF2 (hmacWithSHA256) and AES-256-CBC. */
		nid = NID_aes_256_cbc;
		md = EVP_sha256();
	}
	if ((cas = sk_X509_new_null()) == NULL || sk_X509_push(cas, ca->cert) <= 0) {
		ossl_fail(__func__, "stack");
		goto done;
	}
	/* mac_iter -1: no MAC here, the explicit one below says which digest. */
	if ((p = PKCS12_create_ex(password, name, key, x, cas, nid, nid, PKCS12_DEFAULT_ITER, -1,
	    0, NULL, NULL)) == NULL ||
	    PKCS12_set_mac(p, password, -1, NULL, 0, PKCS12_DEFAULT_ITER, md) != 1 ||
	    (b = BIO_new(BIO_s_mem())) == NULL || i2d_PKCS12_bio(b, p) != 1 ||
	    bio_take(b, false, p12, p12_len) != IDG_OK) {
		ossl_fail(__func__, "PKCS#12");
		goto done;
	}
	rc = IDG_OK;
done:
	sk_X509_free(cas);	/* the CA certificate is borrowed */
	PKCS12_free(p);
	X509_free(x);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

int
idg_devcert_otp(char *out, size_t outsz)
{
	static const char alpha[] = OTP_ALPHABET;
	uint8_t r[16];
	size_t i, o = 0;

	if (out == NULL || outsz < 20)
		return IDG_INVALID;
	if (idg_random(r, sizeof(r)) != IDG_OK) {
		out[0] = '\0';
		return IDG_ERR;
	}
	/* 32 symbols: each byte's low 5 bits are uniform, 16 x 5 = 80 bits. */
	for (i = 0; i < sizeof(r); i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = alpha[r[i] & 31];
	}
	out[o] = '\0';
	idg_wipe(r, sizeof(r));
	return IDG_OK;
}

/* ---- revocation ---- */

int
idg_ca_crl(const struct idg_ca *ca, int64_t crl_number, const struct idg_crl_entry *e,
    size_t n, int64_t now, int64_t next_update, uint8_t **der, size_t *len)
{
	ASN1_INTEGER *num = NULL, *sn;
	X509_REVOKED *r = NULL;
	X509_CRL *crl = NULL;
	X509_EXTENSION *ext = NULL;
	ASN1_TIME *t = NULL;
	X509V3_CTX ctx;
	BIO *b = NULL;
	size_t i;
	int rc = IDG_ERR;

	if (der != NULL)
		*der = NULL;
	if (ca == NULL || ca->key == NULL || der == NULL || len == NULL || crl_number < 0 ||
	    (n > 0 && e == NULL) || now < 0 || next_update <= now)
		return IDG_INVALID;
	for (i = 0; i < n; i++) {
		if (e[i].revoked_at < 0 || memchr(e[i].serial, '\0', sizeof(e[i].serial)) == NULL)
			return IDG_INVALID;
	}
	if ((crl = X509_CRL_new()) == NULL || X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) != 1 ||
	    (t = ASN1_TIME_new()) == NULL || set_time(t, now) != IDG_OK ||
	    X509_CRL_set1_lastUpdate(crl, t) != 1 || set_time(t, next_update) != IDG_OK ||
	    X509_CRL_set1_nextUpdate(crl, t) != 1) {
		ossl_fail(__func__, "CRL");
		goto done;
	}
	for (i = 0; i < n; i++) {
		if ((sn = serial_from_hex(e[i].serial)) == NULL) {
			rc = IDG_INVALID;
			goto done;
		}
		if ((r = X509_REVOKED_new()) == NULL || X509_REVOKED_set_serialNumber(r, sn) != 1 ||
		    set_time(t, e[i].revoked_at) != IDG_OK ||
		    X509_REVOKED_set_revocationDate(r, t) != 1 ||
		    X509_CRL_add0_revoked(crl, r) != 1) {
			ASN1_INTEGER_free(sn);
			ossl_fail(__func__, "CRL entry");
			goto done;
		}
		r = NULL;
		ASN1_INTEGER_free(sn);
	}
	X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
	if ((num = ASN1_INTEGER_new()) == NULL || ASN1_INTEGER_set_int64(num, crl_number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, X509V3_ADD_DEFAULT) != 1 ||
	    (ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
	    "keyid:always")) == NULL || X509_CRL_add_ext(crl, ext, -1) != 1 ||
	    X509_CRL_sort(crl) != 1 || X509_CRL_sign(crl, ca->key, EVP_sha256()) <= 0 ||
	    (b = BIO_new(BIO_s_mem())) == NULL || i2d_X509_CRL_bio(b, crl) != 1 ||
	    bio_take(b, false, der, len) != IDG_OK) {
		ossl_fail(__func__, "CRL");
		goto done;
	}
	rc = IDG_OK;
done:
	X509_REVOKED_free(r);
	X509_EXTENSION_free(ext);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

/* ---- a presented certificate ---- */

/* An IA5String of printable ASCII (no NUL, no space) into out; false otherwise. */
static bool
ia5_copy(const ASN1_STRING *s, char *out, size_t outsz)
{
	const uint8_t *d = ASN1_STRING_get0_data(s);
	int len = ASN1_STRING_length(s), i;

	if (len <= 0 || (size_t)len >= outsz)
		return false;
	for (i = 0; i < len; i++) {
		if (d[i] <= 0x20 || d[i] >= 0x7f)
			return false;
	}
	memcpy(out, d, (size_t)len);
	out[len] = '\0';
	return true;
}

/* "urn:idgate:device:{company_id}:{user_id}:{device_id}", strictly. */
static bool
urn_parse(const char *urn, struct idg_devcert_presented *out)
{
	const char *c, *u, *d;
	char num[20];
	long v;
	size_t clen, ulen;

	if (strncmp(urn, URN_PREFIX, sizeof(URN_PREFIX) - 1) != 0)
		return false;
	c = urn + sizeof(URN_PREFIX) - 1;
	if ((u = strchr(c, ':')) == NULL || (d = strchr(u + 1, ':')) == NULL)
		return false;
	clen = (size_t)(u - c);
	ulen = (size_t)(d - u - 1);
	if (clen == 0 || clen >= sizeof(out->company_id) || ulen == 0 || ulen >= sizeof(num))
		return false;
	memcpy(out->company_id, c, clen);
	out->company_id[clen] = '\0';
	memcpy(num, u + 1, ulen);
	num[ulen] = '\0';
	/* Digits only, no sign or leading zero: one spelling per user ID. */
	if (!idg_company_id_valid(out->company_id) || num[0] < '1' || num[0] > '9' ||
	    strspn(num, "0123456789") != ulen ||
	    idg_parse_long(num, 1, INT64_MAX, &v) != IDG_OK)
		return false;
	if (!device_id_ok(d + 1, sizeof(out->device_id)))
		return false;
	out->user_id = v;
	idg_strlcpy(out->device_id, d + 1, sizeof(out->device_id));
	return true;
}

/* Exactly one rfc822Name and exactly one idgate URN in the SAN, both well formed. */
static bool
san_parse(X509 *x, struct idg_devcert_presented *out)
{
	char uri[256];
	GENERAL_NAMES *gens;
	int crit = 0, i, emails = 0, urns = 0;
	bool ok = true;

	if ((gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL)) == NULL)
		return false;
	for (i = 0; i < sk_GENERAL_NAME_num(gens) && ok; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_EMAIL) {
			ok = emails++ == 0 && ia5_copy(g->d.rfc822Name, out->email,
			    sizeof(out->email)) && idg_email_valid(out->email);
		} else if (g->type == GEN_URI) {
			if (!ia5_copy(g->d.uniformResourceIdentifier, uri, sizeof(uri)))
				continue;	/* not ours; other URIs are ignored */
			if (strncmp(uri, URN_PREFIX, sizeof(URN_PREFIX) - 1) == 0)
				ok = urns++ == 0 && urn_parse(uri, out);
		}
	}
	GENERAL_NAMES_free(gens);
	return ok && emails == 1 && urns == 1;
}

/* The one subject OU, as device-name text. */
static bool
ou_parse(X509 *x, struct idg_devcert_presented *out)
{
	const X509_NAME *n = X509_get_subject_name(x);
	unsigned char *u = NULL;
	int i = X509_NAME_get_index_by_NID(n, NID_organizationalUnitName, -1), len;
	bool ok = false;

	if (i < 0 || X509_NAME_get_index_by_NID(n, NID_organizationalUnitName, i) >= 0)
		return false;
	len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)));
	if (len > 0 && len < (int)sizeof(out->device_name) &&
	    memchr(u, '\0', (size_t)len) == NULL) {
		memcpy(out->device_name, u, (size_t)len);
		out->device_name[len] = '\0';
		ok = idg_utf8_text_valid(out->device_name);
		if (!ok)
			out->device_name[0] = '\0';
	}
	OPENSSL_free(u);
	return ok;
}

/* Ours: an end-entity certificate for clientAuth with our SAN and OU. */
static bool
profile_ok(X509 *x, struct idg_devcert_presented *out)
{
	uint32_t flags = X509_get_extension_flags(x);

	/* RFC 5280 4.2.1.9: an end-entity certificate; CA:TRUE is refused outright. */
	if ((flags & (EXFLAG_INVALID | EXFLAG_CA)) || X509_check_ca(x) != 0)
		return false;
	if (!(flags & EXFLAG_XKUSAGE) || !(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT))
		return false;
	if ((flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE))
		return false;
	return san_parse(x, out) && ou_parse(x, out);
}

/* The checks of idg_devcert_verify on a parsed certificate (borrowed). */
static int
verify_x509(const struct idg_ca *ca, X509 *x, int64_t now, struct idg_devcert_presented *out)
{
	EVP_PKEY *capub;
	int rc;

	out->not_before = get_time(X509_get0_notBefore(x));
	out->not_after = get_time(X509_get0_notAfter(x));
	if (get_serial(X509_get0_serialNumber(x), out->serial) != IDG_OK ||
	    out->not_before < 0 || out->not_after < 0)
		rc = IDG_DEVCERT_MALFORMED;
	/* Trust nothing but the tenant's CA: its name, key id and signature. */
	else if (ca == NULL || (capub = X509_get0_pubkey(ca->cert)) == NULL ||
	    X509_check_issued(ca->cert, x) != X509_V_OK || X509_verify(x, capub) != 1)
		rc = IDG_DEVCERT_FOREIGN;
	else if (!profile_ok(x, out))
		rc = IDG_DEVCERT_MALFORMED;
	/* The URN must name this CA's tenant (a certificate is for one tenant only). */
	else if (strcmp(out->company_id, ca->company_id) != 0)
		rc = IDG_DEVCERT_FOREIGN;
	else if (now < out->not_before)
		rc = IDG_DEVCERT_NOT_YET_VALID;
	else if (!idg_devcert_valid_at(false, out->not_before, out->not_after, now))
		rc = IDG_DEVCERT_EXPIRED;
	else
		rc = IDG_DEVCERT_OK;
	ERR_clear_error();
	return rc;
}

int
idg_devcert_verify(const struct idg_ca *ca, const uint8_t *der, size_t n, int64_t now,
    struct idg_devcert_presented *out)
{
	struct idg_devcert_presented scratch;
	X509 *x;
	int rc;

	if (out == NULL)
		out = &scratch;
	memset(out, 0, sizeof(*out));
	if (der == NULL || n == 0)
		return IDG_DEVCERT_NONE;
	if ((x = cert_parse(der, n)) == NULL) {
		ERR_clear_error();
		return IDG_DEVCERT_MALFORMED;
	}
	rc = verify_x509(ca, x, now, out);
	X509_free(x);
	return rc;
}

int
idg_devcert_verify_x509(const struct idg_ca *ca, void *x509, int64_t now,
    struct idg_devcert_presented *out)
{
	struct idg_devcert_presented scratch;

	if (out == NULL)
		out = &scratch;
	memset(out, 0, sizeof(*out));
	if (x509 == NULL)
		return IDG_DEVCERT_NONE;
	return verify_x509(ca, x509, now, out);
}

const char *
idg_devcert_check_code(int check)
{
	switch (check) {
	case IDG_DEVCERT_OK: return "device_cert_ok";
	case IDG_DEVCERT_NONE: return "device_cert_none";
	case IDG_DEVCERT_MALFORMED: return "device_cert_malformed";
	case IDG_DEVCERT_FOREIGN: return "device_cert_foreign";
	case IDG_DEVCERT_NOT_YET_VALID: return "device_cert_not_yet_valid";
	case IDG_DEVCERT_EXPIRED: return "device_cert_expired";
	default: return "device_cert_unknown";
	}
}
