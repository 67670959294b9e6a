/*
 * test_devcert.c - the device-certificate library (certs/devcert.h): the
 * license rules at their edges, the five-year notAfter arithmetic, the
 * validity window, CA create/export/load, the issued certificate's profile
 * read back field by field with OpenSSL, CSR checks, PKCS#12 (modern and
 * legacy) read back with PKCS12_parse, CRLs, the check of a presented
 * certificate (including certificates crafted with the CA key to break one
 * rule at a time) and the one-time password format. Not the openssl CLI
 * interoperability checks (tests/integration/certs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certs/devcert.h"
#include "gateway/util/seal.h"
#include "gateway/util/status.h"

#define CO		"acme-corp"
#define AAD		"tenant:7/device-ca"
#define DAY		86400LL

static const uint8_t mk[32] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

/* Shared across tests: key generation (RSA above all) is slow. */
static struct idg_ca *ec_ca, *rsa_ca;
static EVP_PKEY *ec_ca_key, *dev_key;
static int64_t NOW;

static int64_t
utc(int y, int mon, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm);
}

/* The CA's private key, opened from its export the way the store holds it. */
static EVP_PKEY *
ca_key_of(const struct idg_ca *ca)
{
	uint8_t pt[IDG_SEAL_MAX_PT], *der;
	const uint8_t *p;
	char *sealed;
	size_t n, dlen;
	EVP_PKEY *k;

	assert_int_equal(idg_ca_export(ca, mk, AAD, &sealed, &der, &dlen), IDG_OK);
	assert_int_equal(idg_unseal(mk, "idgate device ca v1", AAD, sealed, pt, sizeof(pt), &n),
	    IDG_OK);
	p = pt;
	k = d2i_AutoPrivateKey(NULL, &p, (long)n);
	assert_non_null(k);
	free(sealed);
	free(der);
	return k;
}

static int
group_setup(void **state)
{
	NOW = utc(2026, 5, 1, 9, 0, 0);
	if (idg_ca_create(CO, IDG_CA_EC_P256, NOW, &ec_ca) != IDG_OK ||
	    idg_ca_create(CO, IDG_CA_RSA_2048, NOW, &rsa_ca) != IDG_OK ||
	    idg_devcert_keygen(&dev_key) != IDG_OK)
		return -1;
	ec_ca_key = ca_key_of(ec_ca);
	return 0;
}

static int
group_teardown(void **state)
{
	idg_ca_free(ec_ca);
	idg_ca_free(rsa_ca);
	EVP_PKEY_free(ec_ca_key);
	EVP_PKEY_free(dev_key);
	return 0;
}

static void
subject(struct idg_devcert_subject *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->company_id, sizeof(s->company_id), "%s", CO);
	s->user_id = 42;
	snprintf(s->email, sizeof(s->email), "alice@example.com");
	snprintf(s->device_id, sizeof(s->device_id), "laptop-01_A");
	/* non-ASCII on purpose: the OU is UTF-8 text */
	snprintf(s->device_name, sizeof(s->device_name),
	    "Alice's ThinkPad \xe7\xa4\xbe\xe7\x94\xa8");
}

static X509 *
d2i_cert(const uint8_t *der, size_t n)
{
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)n);

	assert_non_null(x);
	assert_ptr_equal(p, der + n);
	return x;
}

static int64_t
asn1_unix(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	assert_int_equal(ASN1_TIME_to_tm(t, &tm), 1);
	return (int64_t)timegm(&tm);
}

static void
issue_ok(const struct idg_ca *ca, EVP_PKEY *pub, int64_t now, struct idg_devcert_issued *out)
{
	struct idg_devcert_subject s;

	subject(&s);
	assert_int_equal(idg_devcert_issue(ca, pub, &s, now, out), IDG_OK);
}

/* ---- license rules ---- */

static void
test_lic_count(void **state)
{
	assert_int_equal(idg_devlic_check_count(0), IDG_OK);
	assert_int_equal(idg_devlic_check_count(9), IDG_INVALID);
	assert_int_equal(idg_devlic_check_count(10), IDG_OK);
	assert_int_equal(idg_devlic_check_count(11), IDG_INVALID);
	assert_int_equal(idg_devlic_check_count(20), IDG_OK);
	assert_int_equal(idg_devlic_check_count(5), IDG_INVALID);
	assert_int_equal(idg_devlic_check_count(-10), IDG_INVALID);
	assert_int_equal(idg_devlic_check_count(-1), IDG_INVALID);
	assert_int_equal(idg_devlic_check_count(IDG_DEVCERT_MAX_LICENSED), IDG_OK);
	assert_int_equal(idg_devlic_check_count(IDG_DEVCERT_MAX_LICENSED - 10), IDG_OK);
	assert_int_equal(idg_devlic_check_count(IDG_DEVCERT_MAX_LICENSED + 10), IDG_INVALID);
	assert_int_equal(idg_devlic_check_count(2147483640), IDG_INVALID);
	assert_int_equal(idg_devlic_check_count(-2147483647 - 1), IDG_INVALID);
}

static void
test_lic_change(void **state)
{
	assert_int_equal(idg_devlic_check_change(20, 15), IDG_OK);
	assert_int_equal(idg_devlic_check_change(20, 20), IDG_OK);
	assert_int_equal(idg_devlic_check_change(10, 11), IDG_DECLINED);
	assert_int_equal(idg_devlic_check_change(0, 0), IDG_OK);
	assert_int_equal(idg_devlic_check_change(0, 1), IDG_DECLINED);
	assert_int_equal(idg_devlic_check_change(15, 0), IDG_INVALID);
	assert_int_equal(idg_devlic_check_change(9, 0), IDG_INVALID);
	/* invalid wins over below-assigned */
	assert_int_equal(idg_devlic_check_change(15, 30), IDG_INVALID);
	assert_int_equal(idg_devlic_check_change(20, -1), IDG_DECLINED);
}

static void
test_lic_assign(void **state)
{
	/* the 10th user fits a block of 10, the 11th does not */
	assert_int_equal(idg_devlic_check_assign(10, 9, 1), IDG_OK);
	assert_int_equal(idg_devlic_check_assign(10, 10, 1), IDG_DECLINED);
	assert_int_equal(idg_devlic_check_assign(10, 0, 10), IDG_OK);
	assert_int_equal(idg_devlic_check_assign(10, 0, 11), IDG_DECLINED);
	assert_int_equal(idg_devlic_check_assign(0, 0, 1), IDG_DECLINED);
	assert_int_equal(idg_devlic_check_assign(10, 5, 0), IDG_OK);
	assert_int_equal(idg_devlic_check_assign(10, 0, -1), IDG_DECLINED);
	assert_int_equal(idg_devlic_check_assign(10, -5, 12), IDG_DECLINED);
	/* no int wrap-around */
	assert_int_equal(idg_devlic_check_assign(IDG_DEVCERT_MAX_LICENSED, 2147483647, 2147483647),
	    IDG_DECLINED);
	assert_int_equal(idg_devlic_check_assign(IDG_DEVCERT_MAX_LICENSED, 1, 2147483647),
	    IDG_DECLINED);
}

static void
test_check_issue(void **state)
{
	assert_int_equal(idg_devcert_check_issue(0), IDG_OK);
	assert_int_equal(idg_devcert_check_issue(9), IDG_OK);
	assert_int_equal(idg_devcert_check_issue(10), IDG_DECLINED);
	assert_int_equal(idg_devcert_check_issue(11), IDG_DECLINED);
	assert_int_equal(idg_devcert_check_issue(-1), IDG_DECLINED);
}

/* ---- time ---- */

static void
test_not_after(void **state)
{
	int64_t nb, na;

	/* ordinary day, time of day kept */
	nb = utc(2026, 3, 15, 12, 34, 56);
	assert_int_equal(idg_devcert_not_after(nb), utc(2031, 3, 15, 12, 34, 56));
	/* 29 February ends on 28 February, same time of day */
	nb = utc(2028, 2, 29, 23, 59, 59);
	na = idg_devcert_not_after(nb);
	assert_int_equal(na, utc(2033, 2, 28, 23, 59, 59));
	assert_int_equal(na % DAY, nb % DAY);
	nb = utc(2096, 2, 29, 0, 0, 0);	/* 2100 is not a leap year either */
	assert_int_equal(idg_devcert_not_after(nb), utc(2101, 2, 28, 0, 0, 0));
	/* 28 February stays 28 February */
	nb = utc(2027, 2, 28, 8, 0, 0);
	assert_int_equal(idg_devcert_not_after(nb), utc(2032, 2, 28, 8, 0, 0));
	/* 1 March 2027 -> 2032 crosses 29 Feb 2028 and 29 Feb 2032 */
	nb = utc(2027, 3, 1, 6, 7, 8);
	assert_int_equal(idg_devcert_not_after(nb) - nb, (5 * 365 + 2) * DAY);
	/* 1 March 2028 -> 2033 crosses only 29 Feb 2032 */
	nb = utc(2028, 3, 1, 6, 7, 8);
	assert_int_equal(idg_devcert_not_after(nb) - nb, (5 * 365 + 1) * DAY);
	/* 1 Jan 2029 -> 2034 crosses only 29 Feb 2032 */
	nb = utc(2029, 1, 1, 0, 0, 0);
	assert_int_equal(idg_devcert_not_after(nb) - nb, (5 * 365 + 1) * DAY);
	/* 2097-03-01 -> 2102: 2100 is skipped, no leap day at all */
	nb = utc(2097, 3, 1, 0, 0, 0);
	assert_int_equal(idg_devcert_not_after(nb) - nb, 5 * 365 * DAY);
	/* range */
	assert_int_equal(idg_devcert_not_after(0), utc(1975, 1, 1, 0, 0, 0));
	assert_int_equal(idg_devcert_not_after(-1), -1);
	assert_int_equal(idg_devcert_not_after(INT64_MIN), -1);
	assert_int_equal(idg_devcert_not_after(INT64_MAX), -1);
	nb = utc(9000, 12, 31, 23, 59, 59);
	assert_int_equal(idg_devcert_not_after(nb), utc(9005, 12, 31, 23, 59, 59));
	assert_int_equal(idg_devcert_not_after(nb + 1), -1);
}

static void
test_valid_at(void **state)
{
	assert_true(idg_devcert_valid_at(false, 100, 200, 100));
	assert_true(idg_devcert_valid_at(false, 100, 200, 199));
	assert_false(idg_devcert_valid_at(false, 100, 200, 200));
	assert_false(idg_devcert_valid_at(false, 100, 200, 99));
	assert_false(idg_devcert_valid_at(true, 100, 200, 150));
}

/* ---- the CA ---- */

static bool
has_crit_ext(X509 *x, int nid, int *crit)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	if (i < 0)
		return false;
	*crit = X509_EXTENSION_get_critical(X509_get_ext(x, i));
	return true;
}

static void
name_is(const X509_NAME *n, int nid, const char *want)
{
	char buf[256];

	if (want == NULL) {
		assert_int_equal(X509_NAME_get_index_by_NID(n, nid, -1), -1);
		return;
	}
	assert_true(X509_NAME_get_text_by_NID(n, nid, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, want);
}

static void
test_ca_create_profile(void **state)
{
	X509 *x = idg_ca_x509(ec_ca);
	BASIC_CONSTRAINTS *bc;
	ASN1_BIT_STRING *ku;
	char *pem;
	int crit;

	assert_non_null(x);
	assert_true(idg_ca_has_key(ec_ca));
	assert_int_equal(idg_ca_alg(ec_ca), IDG_CA_EC_P256);
	assert_int_equal(idg_ca_alg(rsa_ca), IDG_CA_RSA_2048);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	name_is(X509_get_subject_name(x), NID_commonName, "idgate device CA");
	name_is(X509_get_subject_name(x), NID_organizationName, CO);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	assert_int_equal(asn1_unix(X509_get0_notBefore(x)), NOW - 3600);
	assert_int_equal(asn1_unix(X509_get0_notAfter(x)), utc(2046, 5, 1, 8, 0, 0));
	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_true(bc->ca);
	assert_int_equal(ASN1_INTEGER_get(bc->pathlen), 0);
	BASIC_CONSTRAINTS_free(bc);
	ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
	assert_non_null(ku);
	assert_int_equal(crit, 1);
	assert_true(ASN1_BIT_STRING_get_bit(ku, 5));	/* keyCertSign */
	assert_true(ASN1_BIT_STRING_get_bit(ku, 6));	/* cRLSign */
	assert_false(ASN1_BIT_STRING_get_bit(ku, 0));
	ASN1_BIT_STRING_free(ku);
	assert_non_null(X509_get0_subject_key_id(x));
	assert_true(has_crit_ext(x, NID_subject_key_identifier, &crit));
	assert_int_equal(X509_verify(x, X509_get0_pubkey(x)), 1);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	assert_int_equal(X509_get_signature_nid(idg_ca_x509(rsa_ca)), NID_sha256WithRSAEncryption);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(idg_ca_x509(rsa_ca))), 2048);

	assert_int_equal(idg_ca_cert_pem(ec_ca, &pem), IDG_OK);
	assert_int_equal(strncmp(pem, "-----BEGIN CERTIFICATE-----\n", 28), 0);
	assert_non_null(strstr(pem, "-----END CERTIFICATE-----\n"));
	free(pem);
}

static void
test_ca_create_invalid(void **state)
{
	struct idg_ca *ca = (struct idg_ca *)&ca;

	assert_int_equal(idg_ca_create(NULL, IDG_CA_EC_P256, NOW, &ca), IDG_INVALID);
	assert_null(ca);
	assert_int_equal(idg_ca_create("Acme", IDG_CA_EC_P256, NOW, &ca), IDG_INVALID);
	assert_int_equal(idg_ca_create("ab", IDG_CA_EC_P256, NOW, &ca), IDG_INVALID);
	assert_int_equal(idg_ca_create("a,O=evil", IDG_CA_EC_P256, NOW, &ca), IDG_INVALID);
	assert_int_equal(idg_ca_create("abcdefghijabcdefghijabcdefghijabc", IDG_CA_EC_P256, NOW,
	    &ca), IDG_INVALID);
	assert_int_equal(idg_ca_create(CO, 3, NOW, &ca), IDG_INVALID);
	assert_int_equal(idg_ca_create(CO, -1, NOW, &ca), IDG_INVALID);
	assert_int_equal(idg_ca_create(CO, IDG_CA_EC_P256, -5, &ca), IDG_INVALID);
	assert_null(ca);
	assert_null(idg_ca_x509(NULL));
	assert_false(idg_ca_has_key(NULL));
}

/* Export, load back, and prove the loaded key is the CA's by issuing with it. */
static void
roundtrip(struct idg_ca *ca)
{
	struct idg_devcert_issued c;
	struct idg_ca *back, *certonly;
	uint8_t *der, *der2;
	size_t dlen, dlen2;
	char *sealed, *sealed2;

	assert_int_equal(idg_ca_export(ca, mk, AAD, &sealed, &der, &dlen), IDG_OK);
	assert_int_equal(strncmp(sealed, "v1.", 3), 0);
	assert_int_equal(idg_ca_load(mk, AAD, sealed, der, dlen, &back), IDG_OK);
	assert_true(idg_ca_has_key(back));
	assert_int_equal(idg_ca_alg(back), idg_ca_alg(ca));
	assert_int_equal(X509_cmp(idg_ca_x509(back), idg_ca_x509(ca)), 0);
	issue_ok(back, dev_key, NOW, &c);
	assert_int_equal(idg_devcert_verify(ca, c.der, c.der_len, NOW + 1, NULL), IDG_DEVCERT_OK);
	idg_devcert_issued_free(&c);
	/* the loaded CA exports the same certificate again */
	assert_int_equal(idg_ca_export(back, mk, AAD, &sealed2, &der2, &dlen2), IDG_OK);
	assert_int_equal(dlen2, dlen);
	assert_memory_equal(der2, der, dlen);
	free(sealed2);
	free(der2);

	/* certificate only: verifies, but cannot issue or export */
	assert_int_equal(idg_ca_load(NULL, NULL, NULL, der, dlen, &certonly), IDG_OK);
	assert_false(idg_ca_has_key(certonly));
	assert_int_equal(idg_ca_alg(certonly), idg_ca_alg(ca));
	issue_ok(ca, dev_key, NOW, &c);
	assert_int_equal(idg_devcert_verify(certonly, c.der, c.der_len, NOW, NULL),
	    IDG_DEVCERT_OK);
	idg_devcert_issued_free(&c);
	{
		struct idg_devcert_subject s;
		char *x = NULL;
		uint8_t *y = NULL;
		size_t yl;

		subject(&s);
		assert_int_equal(idg_devcert_issue(certonly, dev_key, &s, NOW, &c), IDG_INVALID);
		assert_null(c.der);
		assert_int_equal(idg_ca_export(certonly, mk, AAD, &x, &y, &yl), IDG_INVALID);
		assert_null(x);
		assert_int_equal(idg_ca_crl(certonly, 1, NULL, 0, NOW, NOW + DAY, &y, &yl),
		    IDG_INVALID);
	}
	idg_ca_free(certonly);
	idg_ca_free(back);
	free(sealed);
	free(der);
}

static void
test_ca_roundtrip_ec(void **state)
{
	roundtrip(ec_ca);
}

static void
test_ca_roundtrip_rsa(void **state)
{
	roundtrip(rsa_ca);
}

static void
test_ca_rsa3072(void **state)
{
	struct idg_ca *ca, *back;
	uint8_t *der;
	size_t dlen;
	char *sealed;

	/* the largest CA key still fits a sealed value (PKCS#8 < 4096 bytes) */
	assert_int_equal(idg_ca_create("big-co", IDG_CA_RSA_3072, NOW, &ca), IDG_OK);
	assert_int_equal(idg_ca_alg(ca), IDG_CA_RSA_3072);
	assert_int_equal(idg_ca_export(ca, mk, AAD, &sealed, &der, &dlen), IDG_OK);
	assert_int_equal(idg_ca_load(mk, AAD, sealed, der, dlen, &back), IDG_OK);
	assert_int_equal(idg_ca_alg(back), IDG_CA_RSA_3072);
	idg_ca_free(back);
	idg_ca_free(ca);
	free(sealed);
	free(der);
}

static void
test_ca_load_failures(void **state)
{
	uint8_t wrong[32], *der, *der_rsa, *bad;
	size_t dlen, dlen_rsa;
	char *sealed, *sealed_rsa;
	struct idg_ca *ca = (struct idg_ca *)&ca;

	memcpy(wrong, mk, sizeof(wrong));
	wrong[31] ^= 1;
	assert_int_equal(idg_ca_export(ec_ca, mk, AAD, &sealed, &der, &dlen), IDG_OK);
	assert_int_equal(idg_ca_export(rsa_ca, mk, AAD, &sealed_rsa, &der_rsa, &dlen_rsa), IDG_OK);

	/* wrong master key, wrong aad */
	assert_int_equal(idg_ca_load(wrong, AAD, sealed, der, dlen, &ca), IDG_DECLINED);
	assert_null(ca);
	assert_int_equal(idg_ca_load(mk, "tenant:8/device-ca", sealed, der, dlen, &ca),
	    IDG_DECLINED);
	/* a key that does not match the certificate */
	assert_int_equal(idg_ca_load(mk, AAD, sealed_rsa, der, dlen, &ca), IDG_INVALID);
	assert_int_equal(idg_ca_load(mk, AAD, sealed, der_rsa, dlen_rsa, &ca), IDG_INVALID);
	/* malformed sealed text or certificate */
	assert_int_equal(idg_ca_load(mk, AAD, "v1.garbage", der, dlen, &ca), IDG_INVALID);
	assert_int_equal(idg_ca_load(mk, AAD, sealed, der, dlen - 1, &ca), IDG_INVALID);
	assert_int_equal(idg_ca_load(mk, AAD, sealed, (const uint8_t *)"garbage", 7, &ca),
	    IDG_INVALID);
	assert_int_equal(idg_ca_load(mk, AAD, sealed, NULL, 0, &ca), IDG_INVALID);
	bad = malloc(dlen + 1);
	memcpy(bad, der, dlen);
	bad[dlen] = 0;	/* trailing byte */
	assert_int_equal(idg_ca_load(mk, AAD, sealed, bad, dlen + 1, &ca), IDG_INVALID);
	free(bad);
	/* a sealed value that opens but holds no key */
	{
		char *junk;

		assert_int_equal(idg_seal(mk, "idgate device ca v1", AAD, "not a key", 9, &junk),
		    IDG_OK);
		assert_int_equal(idg_ca_load(mk, AAD, junk, der, dlen, &ca), IDG_INVALID);
		free(junk);
	}
	/* a key sealed for another purpose does not open */
	{
		char *other;

		assert_int_equal(idg_seal(mk, "idgate totp v1", AAD, "x", 1, &other), IDG_OK);
		assert_int_equal(idg_ca_load(mk, AAD, other, der, dlen, &ca), IDG_DECLINED);
		free(other);
	}
	assert_null(ca);
	free(sealed);
	free(der);
	free(sealed_rsa);
	free(der_rsa);
}

/* ---- issuance ---- */

static void
test_issue_profile(void **state)
{
	static const struct { struct idg_ca **ca; int signid; } cases[] = {
		{ &ec_ca, NID_ecdsa_with_SHA256 },
		{ &rsa_ca, NID_sha256WithRSAEncryption },
	};
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct idg_ca *ca = *cases[k].ca;
		X509 *cax = idg_ca_x509(ca);
		struct idg_devcert_issued c;
		struct idg_devcert_subject s;
		BASIC_CONSTRAINTS *bc;
		ASN1_BIT_STRING *ku;
		EXTENDED_KEY_USAGE *eku;
		GENERAL_NAMES *gens;
		const ASN1_OCTET_STRING *akid;
		BIGNUM *bn;
		char want[33];
		uint8_t raw[16];
		size_t i;
		int crit;
		X509 *x;

		subject(&s);
		issue_ok(ca, dev_key, NOW, &c);
		x = d2i_cert(c.der, c.der_len);
		assert_int_equal(X509_get_version(x), X509_VERSION_3);
		/* serial: 32 lower-case hex digits, the certificate's, positive, non-zero */
		assert_int_equal(strlen(c.serial), 32);
		assert_int_equal(strspn(c.serial, "0123456789abcdef"), 32);
		bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
		assert_false(BN_is_negative(bn));
		assert_false(BN_is_zero(bn));
		assert_true(BN_num_bytes(bn) <= 16);
		assert_int_equal(BN_bn2binpad(bn, raw, sizeof(raw)), 16);
		for (i = 0; i < 16; i++)
			snprintf(want + 2 * i, 3, "%02x", raw[i]);
		assert_string_equal(c.serial, want);
		BN_free(bn);
		/* validity */
		assert_int_equal(c.not_before, NOW);
		assert_int_equal(c.not_after, utc(2031, 5, 1, 9, 0, 0));
		assert_int_equal(asn1_unix(X509_get0_notBefore(x)), NOW);
		assert_int_equal(asn1_unix(X509_get0_notAfter(x)), utc(2031, 5, 1, 9, 0, 0));
		/* names */
		name_is(X509_get_subject_name(x), NID_commonName, s.email);
		name_is(X509_get_subject_name(x), NID_organizationName, CO);
		{
			const X509_NAME *n = X509_get_subject_name(x);
			unsigned char *u = NULL;
			int len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(
			    X509_NAME_get_entry(n, X509_NAME_get_index_by_NID(n,
			    NID_organizationalUnitName, -1))));

			assert_int_equal(len, (int)strlen(s.device_name));
			assert_memory_equal(u, s.device_name, (size_t)len);
			OPENSSL_free(u);
		}
		assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x),
		    X509_get_subject_name(cax)), 0);
		/* basicConstraints CA:FALSE, critical */
		bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
		assert_non_null(bc);
		assert_int_equal(crit, 1);
		assert_false(bc->ca);
		assert_null(bc->pathlen);
		BASIC_CONSTRAINTS_free(bc);
		/* keyUsage digitalSignature only, critical */
		ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
		assert_non_null(ku);
		assert_int_equal(crit, 1);
		assert_true(ASN1_BIT_STRING_get_bit(ku, 0));
		for (i = 1; i < 9; i++)
			assert_false(ASN1_BIT_STRING_get_bit(ku, (int)i));
		ASN1_BIT_STRING_free(ku);
		/* EKU clientAuth only */
		eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
		assert_non_null(eku);
		assert_int_equal(crit, 0);
		assert_int_equal(sk_ASN1_OBJECT_num(eku), 1);
		assert_int_equal(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)), NID_client_auth);
		sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
		/* SAN: the e-mail and the URN, nothing else */
		gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
		assert_non_null(gens);
		assert_int_equal(sk_GENERAL_NAME_num(gens), 2);
		assert_int_equal(sk_GENERAL_NAME_value(gens, 0)->type, GEN_EMAIL);
		assert_string_equal(ASN1_STRING_get0_data(sk_GENERAL_NAME_value(gens,
		    0)->d.rfc822Name), "alice@example.com");
		assert_int_equal(sk_GENERAL_NAME_value(gens, 1)->type, GEN_URI);
		assert_string_equal(ASN1_STRING_get0_data(sk_GENERAL_NAME_value(gens,
		    1)->d.uniformResourceIdentifier), "urn:idgate:device:acme-corp:42:laptop-01_A");
		GENERAL_NAMES_free(gens);
		/* key identifiers: ours, and the CA's as authority */
		assert_non_null(X509_get0_subject_key_id(x));
		akid = X509_get0_authority_key_id(x);
		assert_non_null(akid);
		assert_int_equal(ASN1_OCTET_STRING_cmp(akid, X509_get0_subject_key_id(cax)), 0);
		/* the device key, signed by the CA with SHA-256 */
		assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), dev_key), 1);
		assert_int_equal(X509_get_signature_nid(x), cases[k].signid);
		assert_int_equal(X509_verify(x, X509_get0_pubkey(cax)), 1);
		assert_int_equal(X509_check_issued(cax, x), X509_V_OK);
		/* not signed by the other CA */
		assert_int_not_equal(X509_verify(x, X509_get0_pubkey(idg_ca_x509(k == 0 ?
		    rsa_ca : ec_ca))), 1);
		ERR_clear_error();
		X509_free(x);
		idg_devcert_issued_free(&c);
		assert_null(c.der);
	}
}

static void
test_issue_serials_differ(void **state)
{
	struct idg_devcert_issued a, b;

	issue_ok(ec_ca, dev_key, NOW, &a);
	issue_ok(ec_ca, dev_key, NOW, &b);
	assert_string_not_equal(a.serial, b.serial);
	idg_devcert_issued_free(&a);
	idg_devcert_issued_free(&b);
}

static void
test_issue_long_email(void **state)
{
	struct idg_devcert_subject s;
	struct idg_devcert_issued c;
	struct idg_devcert_presented p;
	X509 *x;

	/* longer than ub-common-name (64): the SAN carries it, the CN is left out */
	subject(&s);
	memset(s.email, 'a', 70);
	memcpy(s.email + 70, "@example.com", 13);
	assert_int_equal(idg_devcert_issue(ec_ca, dev_key, &s, NOW, &c), IDG_OK);
	x = d2i_cert(c.der, c.der_len);
	name_is(X509_get_subject_name(x), NID_commonName, NULL);
	X509_free(x);
	assert_int_equal(idg_devcert_verify(ec_ca, c.der, c.der_len, NOW, &p), IDG_DEVCERT_OK);
	assert_string_equal(p.email, s.email);
	idg_devcert_issued_free(&c);
}

static void
test_issue_invalid(void **state)
{
	struct idg_devcert_subject s;
	struct idg_devcert_issued c;
	EVP_PKEY *rsa1024, *p521;

	rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	assert_non_null(rsa1024);
	assert_non_null(p521);
#define BAD(stmt) do { subject(&s); stmt; \
	assert_int_equal(idg_devcert_issue(ec_ca, dev_key, &s, NOW, &c), IDG_INVALID); \
	assert_null(c.der); } while (0)
	BAD(snprintf(s.email, sizeof(s.email), "not-an-email"));
	BAD(snprintf(s.email, sizeof(s.email), "a b@example.com"));
	BAD(snprintf(s.email, sizeof(s.email), "a,URI:x@example.com"));
	BAD(s.email[0] = '\0');
	BAD(memset(s.email, 'a', sizeof(s.email)));	/* no NUL */
	BAD(snprintf(s.device_id, sizeof(s.device_id), "has space"));
	BAD(snprintf(s.device_id, sizeof(s.device_id), "a:b"));
	BAD(s.device_id[0] = '\0');
	BAD(memset(s.device_id, 'a', sizeof(s.device_id)));	/* 65, no NUL */
	BAD(s.device_name[0] = '\0');
	BAD(snprintf(s.device_name, sizeof(s.device_name), "tab\there"));
	BAD(snprintf(s.device_name, sizeof(s.device_name), "bad \xc3\x28 utf8"));
	BAD(memset(s.device_name, 'n', sizeof(s.device_name)));
	BAD(s.user_id = 0);
	BAD(s.user_id = -3);
	BAD(snprintf(s.company_id, sizeof(s.company_id), "other-co"));
#undef BAD
	/* the limits themselves pass: 64-character device id and name */
	subject(&s);
	memset(s.device_id, 'Z', 64);
	s.device_id[64] = '\0';
	memset(s.device_name, 'N', 64);
	s.device_name[64] = '\0';
	assert_int_equal(idg_devcert_issue(ec_ca, dev_key, &s, NOW, &c), IDG_OK);
	idg_devcert_issued_free(&c);

	subject(&s);
	assert_int_equal(idg_devcert_issue(ec_ca, rsa1024, &s, NOW, &c), IDG_INVALID);
	assert_int_equal(idg_devcert_issue(ec_ca, p521, &s, NOW, &c), IDG_INVALID);
	assert_int_equal(idg_devcert_issue(ec_ca, NULL, &s, NOW, &c), IDG_INVALID);
	assert_int_equal(idg_devcert_issue(NULL, dev_key, &s, NOW, &c), IDG_INVALID);
	assert_int_equal(idg_devcert_issue(ec_ca, dev_key, NULL, NOW, &c), IDG_INVALID);
	assert_int_equal(idg_devcert_issue(ec_ca, dev_key, &s, -1, &c), IDG_INVALID);
	assert_int_equal(idg_devcert_issue(ec_ca, dev_key, &s, NOW, NULL), IDG_INVALID);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p521);
}

static void
test_devcert_pem(void **state)
{
	struct idg_devcert_issued c;
	char *pem;
	BIO *b;
	X509 *x;

	issue_ok(ec_ca, dev_key, NOW, &c);
	assert_int_equal(idg_devcert_pem(c.der, c.der_len, &pem), IDG_OK);
	b = BIO_new_mem_buf(pem, -1);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	assert_non_null(x);
	{
		unsigned char *d = NULL;
		int n = i2d_X509(x, &d);

		assert_int_equal(n, (int)c.der_len);
		assert_memory_equal(d, c.der, c.der_len);
		OPENSSL_free(d);
	}
	X509_free(x);
	BIO_free(b);
	free(pem);
	assert_int_equal(idg_devcert_pem((const uint8_t *)"junk", 4, &pem), IDG_INVALID);
	assert_null(pem);
	assert_int_equal(idg_devcert_pem(c.der, c.der_len - 1, &pem), IDG_INVALID);
	idg_devcert_issued_free(&c);
}

/* ---- CSRs ---- */

static uint8_t *
make_csr(EVP_PKEY *k, bool pem, size_t *len)
{
	X509_REQ *r = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	uint8_t *out;
	char *p;
	long l;

	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"device", -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_subject_name(r, n), 1);
	assert_int_equal(X509_REQ_set_pubkey(r, k), 1);
	assert_true(X509_REQ_sign(r, k, EVP_sha256()) > 0);
	if (pem)
		assert_int_equal(PEM_write_bio_X509_REQ(b, r), 1);
	else
		assert_int_equal(i2d_X509_REQ_bio(b, r), 1);
	l = BIO_get_mem_data(b, &p);
	out = malloc((size_t)l);
	memcpy(out, p, (size_t)l);
	*len = (size_t)l;
	BIO_free(b);
	X509_NAME_free(n);
	X509_REQ_free(r);
	return out;
}

static void
csr_ok(EVP_PKEY *k)
{
	int pem;

	for (pem = 0; pem < 2; pem++) {
		EVP_PKEY *pub = NULL;
		char err[128];
		size_t n;
		uint8_t *csr = make_csr(k, pem, &n);

		assert_int_equal(idg_csr_parse(csr, n, &pub, err, sizeof(err)), IDG_OK);
		assert_non_null(pub);
		assert_int_equal(EVP_PKEY_eq(pub, k), 1);
		EVP_PKEY_free(pub);
		free(csr);
	}
}

static void
csr_bad(const void *data, size_t n, const char *why)
{
	EVP_PKEY *pub = (EVP_PKEY *)&pub;
	char err[128];

	assert_int_equal(idg_csr_parse(data, n, &pub, err, sizeof(err)), IDG_INVALID);
	assert_null(pub);
	assert_non_null(strstr(err, why));
}

static void
test_csr_parse(void **state)
{
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	uint8_t *csr, *big;
	size_t n;

	csr_ok(dev_key);
	csr_ok(p384);
	csr_ok(rsa);

	/* broken self-signature: flip a bit in the signature (the DER's last bytes) */
	csr = make_csr(dev_key, false, &n);
	csr[n - 3] ^= 0x01;
	csr_bad(csr, n, "signature does not verify");
	free(csr);
	csr = make_csr(rsa, false, &n);
	csr[n - 1] ^= 0x80;
	csr_bad(csr, n, "signature does not verify");
	free(csr);
	/* keys we do not certify */
	csr = make_csr(rsa1024, true, &n);
	csr_bad(csr, n, "RSA of 2048 to 4096");
	free(csr);
	csr = make_csr(p521, false, &n);
	csr_bad(csr, n, "P-256 or P-384");
	free(csr);
	{
		/* Ed25519 signs without a separate digest */
		X509_REQ *r = X509_REQ_new();
		unsigned char *d = NULL;
		int l;

		X509_REQ_set_pubkey(r, ed);
		assert_true(X509_REQ_sign(r, ed, NULL) > 0);
		l = i2d_X509_REQ(r, &d);
		csr_bad(d, (size_t)l, "P-256 or P-384");
		OPENSSL_free(d);
		X509_REQ_free(r);
	}
	/* garbage, empty, truncated, trailing bytes, too big */
	csr_bad("hello world", 11, "not a PKCS#10");
	csr_bad("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
	    74, "not a PKCS#10");
	csr_bad("", 0, "empty");
	csr_bad(NULL, 5, "empty");
	csr = make_csr(dev_key, false, &n);
	csr_bad(csr, n - 1, "not a PKCS#10");
	csr_bad(csr, n / 2, "not a PKCS#10");
	big = malloc(n + 1);
	memcpy(big, csr, n);
	big[n] = 0;
	csr_bad(big, n + 1, "not a PKCS#10");
	free(big);
	free(csr);
	big = calloc(1, 16385);
	csr_bad(big, 16385, "16 KiB");
	free(big);
	/* a certificate is not a request */
	{
		struct idg_devcert_issued c;

		issue_ok(ec_ca, dev_key, NOW, &c);
		csr_bad(c.der, c.der_len, "not a PKCS#10");
		idg_devcert_issued_free(&c);
	}
	/* err may be NULL; a NULL output is refused */
	csr = make_csr(dev_key, true, &n);
	{
		EVP_PKEY *pub;

		assert_int_equal(idg_csr_parse(csr, n, &pub, NULL, 0), IDG_OK);
		EVP_PKEY_free(pub);
		assert_int_equal(idg_csr_parse(csr, n, NULL, NULL, 0), IDG_INVALID);
	}
	free(csr);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p521);
	EVP_PKEY_free(ed);
}

/* ---- PKCS#12 ---- */

static int
algor_nid(const X509_ALGOR *a)
{
	const ASN1_OBJECT *o;

	X509_ALGOR_get0(&o, NULL, NULL, a);
	return OBJ_obj2nid(o);
}

/* The cipher of a PBES2 AlgorithmIdentifier and its PBKDF2 PRF. */
static void
pbes2_of(const X509_ALGOR *a, int *cipher, int *prf)
{
	const void *pv;
	int ptype;
	PBE2PARAM *p2;
	PBKDF2PARAM *kdf;

	X509_ALGOR_get0(NULL, &ptype, &pv, a);
	assert_int_equal(ptype, V_ASN1_SEQUENCE);
	assert_non_null(pv);
	p2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), a->parameter);
	assert_non_null(p2);
	*cipher = algor_nid(p2->encryption);
	assert_int_equal(algor_nid(p2->keyfunc), NID_id_pbkdf2);
	kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), p2->keyfunc->parameter);
	assert_non_null(kdf);
	*prf = kdf->prf != NULL ? algor_nid(kdf->prf) : NID_hmacWithSHA1;
	PBKDF2PARAM_free(kdf);
	PBE2PARAM_free(p2);
}

/* Checks the algorithms: the MAC digest, the key bag's and the cert bag's encryption. */
static void
p12_algs(PKCS12 *p, bool legacy)
{
	const ASN1_OBJECT *macoid;
	const X509_ALGOR *macalg;
	STACK_OF(PKCS7) *safes;
	int i, cipher, prf, keybags = 0, encsafes = 0;

	PKCS12_get0_mac(NULL, &macalg, NULL, NULL, p);
	assert_non_null(macalg);
	X509_ALGOR_get0(&macoid, NULL, NULL, macalg);
	assert_int_equal(OBJ_obj2nid(macoid), legacy ? NID_sha1 : NID_sha256);

	safes = PKCS12_unpack_authsafes(p);
	assert_non_null(safes);
	for (i = 0; i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);
		STACK_OF(PKCS12_SAFEBAG) *bags;
		int j;

		if (OBJ_obj2nid(p7->type) == NID_pkcs7_encrypted) {
			const X509_ALGOR *a = p7->d.encrypted->enc_data->algorithm;

			encsafes++;
			if (legacy) {
				assert_int_equal(algor_nid(a),
				    NID_pbe_WithSHA1And3_Key_TripleDES_CBC);
			} else {
				assert_int_equal(algor_nid(a), NID_pbes2);
				pbes2_of(a, &cipher, &prf);
				assert_int_equal(cipher, NID_aes_256_cbc);
				assert_int_equal(prf, NID_hmacWithSHA256);
			}
			continue;
		}
		assert_int_equal(OBJ_obj2nid(p7->type), NID_pkcs7_data);
		bags = PKCS12_unpack_p7data(p7);
		assert_non_null(bags);
		for (j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
			const PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, j);
			const X509_ALGOR *a;

			/* the key is only ever in a shrouded bag */
			assert_int_equal(PKCS12_SAFEBAG_get_nid(bag), NID_pkcs8ShroudedKeyBag);
			keybags++;
			X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &a, NULL);
			if (legacy) {
				assert_int_equal(algor_nid(a),
				    NID_pbe_WithSHA1And3_Key_TripleDES_CBC);
			} else {
				assert_int_equal(algor_nid(a), NID_pbes2);
				pbes2_of(a, &cipher, &prf);
				assert_int_equal(cipher, NID_aes_256_cbc);
				assert_int_equal(prf, NID_hmacWithSHA256);
			}
		}
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	}
	assert_int_equal(keybags, 1);
	assert_int_equal(encsafes, 1);	/* the certificates are encrypted too */
	sk_PKCS7_pop_free(safes, PKCS7_free);
}

static void
p12_case(bool legacy)
{
	struct idg_devcert_issued c;
	EVP_PKEY *key, *pk = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *cas = NULL;
	uint8_t *p12;
	size_t n;
	const uint8_t *p;
	PKCS12 *pp;
	char otp[20];
	int alen = 0;
	unsigned char *alias;

	assert_int_equal(idg_devcert_keygen(&key), IDG_OK);
	issue_ok(ec_ca, key, NOW, &c);
	assert_int_equal(idg_devcert_otp(otp, sizeof(otp)), IDG_OK);
	assert_int_equal(idg_devcert_pkcs12(key, c.der, c.der_len, ec_ca, "Alice laptop", otp,
	    legacy, &p12, &n), IDG_OK);
	p = p12;
	pp = d2i_PKCS12(NULL, &p, (long)n);
	assert_non_null(pp);
	assert_ptr_equal(p, p12 + n);
	p12_algs(pp, legacy);
	/* a wrong password fails */
	assert_int_equal(PKCS12_verify_mac(pp, "WRONG-PASS-WORD-XXXX", -1), 0);
	assert_int_equal(PKCS12_parse(pp, "WRONG-PASS-WORD-XXXX", &pk, &cert, &cas), 0);
	assert_null(pk);
	ERR_clear_error();
	/* the right one gives the key, the certificate and the CA */
	assert_int_equal(PKCS12_verify_mac(pp, otp, -1), 1);
	assert_int_equal(PKCS12_parse(pp, otp, &pk, &cert, &cas), 1);
	assert_int_equal(EVP_PKEY_eq(pk, key), 1);
	{
		X509 *want = d2i_cert(c.der, c.der_len);

		assert_int_equal(X509_cmp(cert, want), 0);
		X509_free(want);
	}
	alias = X509_alias_get0(cert, &alen);
	assert_int_equal(alen, 12);
	assert_memory_equal(alias, "Alice laptop", 12);
	assert_int_equal(sk_X509_num(cas), 1);
	assert_int_equal(X509_cmp(sk_X509_value(cas, 0), idg_ca_x509(ec_ca)), 0);

	EVP_PKEY_free(pk);
	X509_free(cert);
	sk_X509_pop_free(cas, X509_free);
	PKCS12_free(pp);
	free(p12);
	idg_devcert_issued_free(&c);
	EVP_PKEY_free(key);
}

static void
test_pkcs12_modern(void **state)
{
	p12_case(false);
}

static void
test_pkcs12_legacy(void **state)
{
	p12_case(true);
}

static void
test_pkcs12_invalid(void **state)
{
	struct idg_devcert_issued c;
	uint8_t *p12 = (uint8_t *)&p12;
	size_t n;

	issue_ok(ec_ca, dev_key, NOW, &c);
	/* a key that is not the certificate's */
	assert_int_equal(idg_devcert_pkcs12(ec_ca_key, c.der, c.der_len, ec_ca, "x", "pw", false,
	    &p12, &n), IDG_INVALID);
	assert_null(p12);
	assert_int_equal(idg_devcert_pkcs12(dev_key, c.der, c.der_len, ec_ca, "x", "", false,
	    &p12, &n), IDG_INVALID);
	assert_int_equal(idg_devcert_pkcs12(dev_key, c.der, c.der_len, ec_ca, "x", NULL, false,
	    &p12, &n), IDG_INVALID);
	assert_int_equal(idg_devcert_pkcs12(dev_key, (const uint8_t *)"junk", 4, ec_ca, "x", "pw",
	    false, &p12, &n), IDG_INVALID);
	assert_int_equal(idg_devcert_pkcs12(dev_key, c.der, c.der_len, NULL, "x", "pw", false,
	    &p12, &n), IDG_INVALID);
	/* name may be NULL */
	assert_int_equal(idg_devcert_pkcs12(dev_key, c.der, c.der_len, ec_ca, NULL, "pw", true,
	    &p12, &n), IDG_OK);
	free(p12);
	idg_devcert_issued_free(&c);
}

static void
test_otp(void **state)
{
	static const char alpha[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
	char a[20], b[20], small[19];
	int i;

	assert_int_equal(idg_devcert_otp(a, sizeof(a)), IDG_OK);
	assert_int_equal(idg_devcert_otp(b, sizeof(b)), IDG_OK);
	assert_int_equal(strlen(a), 19);
	for (i = 0; i < 19; i++) {
		if (i % 5 == 4)
			assert_int_equal(a[i], '-');
		else
			assert_non_null(memchr(alpha, a[i], 32));
	}
	assert_null(strpbrk(a, "01OIl"));
	assert_string_not_equal(a, b);
	assert_int_equal(idg_devcert_otp(small, sizeof(small)), IDG_INVALID);
	assert_int_equal(idg_devcert_otp(NULL, 20), IDG_INVALID);
}

/* ---- CRL ---- */

static void
test_crl(void **state)
{
	struct idg_devcert_issued a, b, c;
	struct idg_crl_entry e[2];
	X509_CRL *crl;
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *num;
	const ASN1_OCTET_STRING *akid;
	AUTHORITY_KEYID *ak;
	const uint8_t *p;
	uint8_t *der;
	size_t n;
	int crit;

	issue_ok(ec_ca, dev_key, NOW, &a);
	issue_ok(ec_ca, dev_key, NOW, &b);
	issue_ok(ec_ca, dev_key, NOW, &c);
	memcpy(e[0].serial, a.serial, sizeof(e[0].serial));
	e[0].revoked_at = NOW + 10;
	memcpy(e[1].serial, b.serial, sizeof(e[1].serial));
	e[1].revoked_at = NOW + 20;
	assert_int_equal(idg_ca_crl(ec_ca, 7, e, 2, NOW + 100, NOW + 100 + 7 * DAY, &der, &n),
	    IDG_OK);
	p = der;
	crl = d2i_X509_CRL(NULL, &p, (long)n);
	assert_non_null(crl);
	assert_ptr_equal(p, der + n);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(idg_ca_x509(ec_ca))), 1);
	assert_int_not_equal(X509_CRL_verify(crl, X509_get0_pubkey(idg_ca_x509(rsa_ca))), 1);
	ERR_clear_error();
	assert_int_equal(X509_CRL_get_signature_nid(crl), NID_ecdsa_with_SHA256);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(idg_ca_x509(ec_ca))), 0);
	assert_int_equal(asn1_unix(X509_CRL_get0_lastUpdate(crl)), NOW + 100);
	assert_int_equal(asn1_unix(X509_CRL_get0_nextUpdate(crl)), NOW + 100 + 7 * DAY);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
	{
		X509 *xa = d2i_cert(a.der, a.der_len), *xb = d2i_cert(b.der, b.der_len);
		X509 *xc = d2i_cert(c.der, c.der_len);

		assert_int_equal(X509_CRL_get0_by_cert(crl, &rev, xa), 1);
		assert_int_equal(asn1_unix(X509_REVOKED_get0_revocationDate(rev)), NOW + 10);
		assert_int_equal(X509_CRL_get0_by_cert(crl, &rev, xb), 1);
		assert_int_equal(asn1_unix(X509_REVOKED_get0_revocationDate(rev)), NOW + 20);
		assert_int_equal(X509_CRL_get0_by_cert(crl, &rev, xc), 0);
		X509_free(xa);
		X509_free(xb);
		X509_free(xc);
	}
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	assert_non_null(num);
	assert_int_equal(ASN1_INTEGER_get(num), 7);
	assert_int_equal(crit, 0);
	ASN1_INTEGER_free(num);
	ak = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, NULL);
	assert_non_null(ak);
	akid = X509_get0_subject_key_id(idg_ca_x509(ec_ca));
	assert_int_equal(ASN1_OCTET_STRING_cmp(ak->keyid, akid), 0);
	AUTHORITY_KEYID_free(ak);
	X509_CRL_free(crl);
	free(der);

	/* an empty CRL from the RSA CA */
	assert_int_equal(idg_ca_crl(rsa_ca, 0, NULL, 0, NOW, NOW + DAY, &der, &n), IDG_OK);
	p = der;
	crl = d2i_X509_CRL(NULL, &p, (long)n);
	assert_non_null(crl);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(idg_ca_x509(rsa_ca))), 1);
	assert_true(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) <= 0);
	X509_CRL_free(crl);
	free(der);

	/* refused input */
	der = (uint8_t *)&der;
	assert_int_equal(idg_ca_crl(ec_ca, 1, e, 2, NOW, NOW, &der, &n), IDG_INVALID);
	assert_null(der);
	assert_int_equal(idg_ca_crl(ec_ca, -1, e, 2, NOW, NOW + DAY, &der, &n), IDG_INVALID);
	assert_int_equal(idg_ca_crl(ec_ca, 1, NULL, 2, NOW, NOW + DAY, &der, &n), IDG_INVALID);
	e[1].serial[0] = (char)(e[1].serial[0] >= 'a' ? 'A' : 'g');	/* not lower hex */
	assert_int_equal(idg_ca_crl(ec_ca, 1, e, 2, NOW, NOW + DAY, &der, &n), IDG_INVALID);
	snprintf(e[1].serial, sizeof(e[1].serial), "abc");
	assert_int_equal(idg_ca_crl(ec_ca, 1, e, 2, NOW, NOW + DAY, &der, &n), IDG_INVALID);
	snprintf(e[1].serial, sizeof(e[1].serial), "%032d", 0);
	assert_int_equal(idg_ca_crl(ec_ca, 1, e, 2, NOW, NOW + DAY, &der, &n), IDG_INVALID);
	assert_null(der);
	idg_devcert_issued_free(&a);
	idg_devcert_issued_free(&b);
	idg_devcert_issued_free(&c);
}

/* ---- a presented certificate ---- */

static void
test_verify_ok(void **state)
{
	struct idg_devcert_issued c;
	struct idg_devcert_presented p;
	struct idg_devcert_subject s;

	subject(&s);
	issue_ok(ec_ca, dev_key, NOW, &c);
	assert_int_equal(idg_devcert_verify(ec_ca, c.der, c.der_len, NOW, &p), IDG_DEVCERT_OK);
	assert_string_equal(p.serial, c.serial);
	assert_string_equal(p.company_id, CO);
	assert_int_equal(p.user_id, 42);
	assert_string_equal(p.device_id, s.device_id);
	assert_string_equal(p.device_name, s.device_name);
	assert_string_equal(p.email, s.email);
	assert_int_equal(p.not_before, c.not_before);
	assert_int_equal(p.not_after, c.not_after);
	/* the window's edges */
	assert_int_equal(idg_devcert_verify(ec_ca, c.der, c.der_len, c.not_after - 1, &p),
	    IDG_DEVCERT_OK);
	assert_int_equal(idg_devcert_verify(ec_ca, c.der, c.der_len, c.not_after, &p),
	    IDG_DEVCERT_EXPIRED);
	assert_int_equal(idg_devcert_verify(ec_ca, c.der, c.der_len, NOW - 1, &p),
	    IDG_DEVCERT_NOT_YET_VALID);
	assert_string_equal(p.serial, c.serial);	/* filled when it parses */
	idg_devcert_issued_free(&c);

	/* RSA CA too */
	issue_ok(rsa_ca, dev_key, NOW, &c);
	assert_int_equal(idg_devcert_verify(rsa_ca, c.der, c.der_len, NOW, &p), IDG_DEVCERT_OK);
	assert_int_equal(idg_devcert_verify(ec_ca, c.der, c.der_len, NOW, &p),
	    IDG_DEVCERT_FOREIGN);
	idg_devcert_issued_free(&c);
}

static void
test_verify_expired(void **state)
{
	struct idg_devcert_issued c;
	struct idg_devcert_presented p;
	int64_t then = utc(2020, 4, 30, 9, 0, 0);	/* 6 years before NOW */

	issue_ok(ec_ca, dev_key, then, &c);
	assert_int_equal(idg_devcert_verify(ec_ca, c.der, c.der_len, NOW, &p),
	    IDG_DEVCERT_EXPIRED);
	assert_int_equal(p.not_after, utc(2025, 4, 30, 9, 0, 0));
	assert_int_equal(idg_devcert_verify(ec_ca, c.der, c.der_len, then + DAY, &p),
	    IDG_DEVCERT_OK);
	idg_devcert_issued_free(&c);
}

static void
test_verify_foreign(void **state)
{
	struct idg_ca *same_name, *other;
	struct idg_devcert_issued c;
	struct idg_devcert_presented p;
	struct idg_devcert_subject s;

	/* another CA, even one with the same company ID and name */
	assert_int_equal(idg_ca_create(CO, IDG_CA_EC_P256, NOW, &same_name), IDG_OK);
	issue_ok(same_name, dev_key, NOW, &c);
	assert_int_equal(idg_devcert_verify(ec_ca, c.der, c.der_len, NOW, &p),
	    IDG_DEVCERT_FOREIGN);
	assert_int_equal(idg_devcert_verify(same_name, c.der, c.der_len, NOW, &p),
	    IDG_DEVCERT_OK);
	idg_devcert_issued_free(&c);
	assert_int_equal(idg_ca_create("other-co", IDG_CA_EC_P256, NOW, &other), IDG_OK);
	subject(&s);
	snprintf(s.company_id, sizeof(s.company_id), "other-co");
	assert_int_equal(idg_devcert_issue(other, dev_key, &s, NOW, &c), IDG_OK);
	assert_int_equal(idg_devcert_verify(ec_ca, c.der, c.der_len, NOW, &p),
	    IDG_DEVCERT_FOREIGN);
	assert_int_equal(idg_devcert_verify(NULL, c.der, c.der_len, NOW, &p),
	    IDG_DEVCERT_FOREIGN);
	idg_devcert_issued_free(&c);
	idg_ca_free(same_name);
	idg_ca_free(other);
}

static void
test_verify_malformed_none(void **state)
{
	struct idg_devcert_issued c;
	struct idg_devcert_presented p;
	uint8_t *der, *bad;
	size_t n;
	X509 *cax = idg_ca_x509(ec_ca);
	unsigned char *d = NULL;
	int dl;

	assert_int_equal(idg_devcert_verify(ec_ca, NULL, 0, NOW, &p), IDG_DEVCERT_NONE);
	assert_int_equal(idg_devcert_verify(ec_ca, (const uint8_t *)"x", 0, NOW, &p),
	    IDG_DEVCERT_NONE);
	assert_int_equal(idg_devcert_verify(ec_ca, (const uint8_t *)"garbage", 7, NOW, &p),
	    IDG_DEVCERT_MALFORMED);
	issue_ok(ec_ca, dev_key, NOW, &c);
	assert_int_equal(idg_devcert_verify(ec_ca, c.der, c.der_len - 1, NOW, &p),
	    IDG_DEVCERT_MALFORMED);
	bad = malloc(c.der_len + 1);
	memcpy(bad, c.der, c.der_len);
	bad[c.der_len] = 0;
	assert_int_equal(idg_devcert_verify(ec_ca, bad, c.der_len + 1, NOW, &p),
	    IDG_DEVCERT_MALFORMED);
	/* a flipped bit in the signed part: no longer the CA's signature */
	memcpy(bad, c.der, c.der_len);
	bad[c.der_len / 2] ^= 0x01;
	n = c.der_len;
	{
		int st = idg_devcert_verify(ec_ca, bad, n, NOW, &p);

		assert_true(st == IDG_DEVCERT_FOREIGN || st == IDG_DEVCERT_MALFORMED);
	}
	free(bad);
	idg_devcert_issued_free(&c);
	/* the CA certificate itself: signed by the CA but not one of ours */
	dl = i2d_X509(cax, &d);
	der = d;
	assert_int_equal(idg_devcert_verify(ec_ca, der, (size_t)dl, NOW, &p),
	    IDG_DEVCERT_MALFORMED);
	OPENSSL_free(d);
	/* a NULL out is allowed */
	assert_int_equal(idg_devcert_verify(ec_ca, NULL, 0, NOW, NULL), IDG_DEVCERT_NONE);

	/* The parsed form (the TLS layer's peer certificate) gets the same answers. */
	assert_int_equal(idg_devcert_verify_x509(ec_ca, NULL, NOW, &p), IDG_DEVCERT_NONE);
	assert_int_equal(idg_devcert_verify_x509(ec_ca, cax, NOW, &p), IDG_DEVCERT_MALFORMED);
	issue_ok(ec_ca, dev_key, NOW, &c);
	{
		const unsigned char *q = c.der;
		X509 *x = d2i_X509(NULL, &q, (long)c.der_len);
		struct idg_devcert_presented p2;

		assert_non_null(x);
		assert_int_equal(idg_devcert_verify_x509(ec_ca, x, NOW, &p), IDG_DEVCERT_OK);
		assert_int_equal(idg_devcert_verify(ec_ca, c.der, c.der_len, NOW, &p2),
		    IDG_DEVCERT_OK);
		assert_memory_equal(&p, &p2, sizeof(p));
		assert_int_equal(idg_devcert_verify_x509(ec_ca, x, c.not_after, &p),
		    IDG_DEVCERT_EXPIRED);
		assert_int_equal(idg_devcert_verify_x509(NULL, x, NOW, &p), IDG_DEVCERT_FOREIGN);
		X509_free(x);
	}
	idg_devcert_issued_free(&c);
}

/* What a crafted certificate gets wrong. */
struct craft {
	const char	*urn;		/* NULL: no URN */
	const char	*email;		/* NULL: no rfc822Name */
	const char	*eku;		/* NULL: no EKU extension */
	const char	*bc;		/* basicConstraints */
	const char	*ku;		/* NULL: no keyUsage */
	const char	*ou;		/* NULL: no OU */
	bool		 two_urns;
	bool		 two_emails;
};

static X509_EXTENSION *
ext(X509 *x, X509 *issuer, int nid, const char *v)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v);
	assert_non_null(e);
	return e;
}

/* A certificate signed with the EC CA's key, built to break one rule. */
static uint8_t *
craft(const struct craft *cr, size_t *len)
{
	X509 *cax = idg_ca_x509(ec_ca), *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509_EXTENSION *e;
	char san[512];
	unsigned char *d = NULL;
	uint8_t *out;
	int l;

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234567);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"a@b.example",
	    -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)CO, -1, -1, 0);
	if (cr->ou != NULL)
		X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (const unsigned char *)cr->ou,
		    -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, X509_get_subject_name(cax));
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)NOW);
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(NOW + 365 * DAY));
	X509_set_pubkey(x, dev_key);
	e = ext(x, cax, NID_basic_constraints, cr->bc);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (cr->ku != NULL) {
		e = ext(x, cax, NID_key_usage, cr->ku);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	if (cr->eku != NULL) {
		e = ext(x, cax, NID_ext_key_usage, cr->eku);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	san[0] = '\0';
	if (cr->email != NULL)
		snprintf(san, sizeof(san), "email:%s%s%s", cr->email,
		    cr->two_emails ? ",email:" : "", cr->two_emails ? cr->email : "");
	if (cr->urn != NULL) {
		size_t o = strlen(san);

		snprintf(san + o, sizeof(san) - o, "%sURI:%s%s%s", o > 0 ? "," : "", cr->urn,
		    cr->two_urns ? ",URI:" : "", cr->two_urns ? cr->urn : "");
	}
	if (san[0] != '\0') {
		e = ext(x, cax, NID_subject_alt_name, san);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	e = ext(x, cax, NID_authority_key_identifier, "keyid:always");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	assert_true(X509_sign(x, ec_ca_key, EVP_sha256()) > 0);
	l = i2d_X509(x, &d);
	out = malloc((size_t)l);
	memcpy(out, d, (size_t)l);
	*len = (size_t)l;
	OPENSSL_free(d);
	X509_NAME_free(n);
	X509_free(x);
	return out;
}

static int
verify_crafted(const struct craft *cr, struct idg_devcert_presented *p)
{
	size_t n;
	uint8_t *der = craft(cr, &n);
	int st = idg_devcert_verify(ec_ca, der, n, NOW + 1, p);

	free(der);
	return st;
}

static void
test_verify_crafted(void **state)
{
	static const struct craft good = {
		"urn:idgate:device:acme-corp:17:dev-1", "a@b.example", "clientAuth",
		"critical,CA:FALSE", "critical,digitalSignature", "Phone", false, false,
	};
	struct idg_devcert_presented p;
	struct craft cr;

	/* the crafting itself yields an accepted certificate: the cases below differ by one */
	assert_int_equal(verify_crafted(&good, &p), IDG_DEVCERT_OK);
	assert_int_equal(p.user_id, 17);
	assert_string_equal(p.device_id, "dev-1");
	assert_string_equal(p.device_name, "Phone");
	assert_string_equal(p.serial, "00000000000000000000000001234567");
	/* keyUsage is optional, but digitalSignature must be in it when present */
	cr = good;
	cr.ku = NULL;
	assert_int_equal(verify_crafted(&cr, &p), IDG_DEVCERT_OK);
	cr.ku = "critical,keyEncipherment";
	assert_int_equal(verify_crafted(&cr, &p), IDG_DEVCERT_MALFORMED);

#define MAL(field, value) do { cr = good; cr.field = value; \
	assert_int_equal(verify_crafted(&cr, &p), IDG_DEVCERT_MALFORMED); } while (0)
	MAL(eku, NULL);
	MAL(eku, "serverAuth");
	MAL(bc, "critical,CA:TRUE");
	MAL(urn, NULL);
	MAL(email, NULL);
	MAL(ou, NULL);
	MAL(ou, "");
	MAL(two_urns, true);
	MAL(two_emails, true);
	MAL(urn, "urn:idgate:device:acme-corp:0:dev-1");
	MAL(urn, "urn:idgate:device:acme-corp:017:dev-1");
	MAL(urn, "urn:idgate:device:acme-corp:+17:dev-1");
	MAL(urn, "urn:idgate:device:acme-corp:-17:dev-1");
	MAL(urn, "urn:idgate:device:acme-corp:17x:dev-1");
	MAL(urn, "urn:idgate:device:acme-corp::dev-1");
	MAL(urn, "urn:idgate:device:acme-corp:99999999999999999999:dev-1");
	MAL(urn, "urn:idgate:device:acme-corp:17:");
	MAL(urn, "urn:idgate:device:acme-corp:17:dev.1");
	MAL(urn, "urn:idgate:device:acme-corp:17:dev-1:extra");
	MAL(urn, "urn:idgate:device:Acme-Corp:17:dev-1");
	MAL(urn, "urn:idgate:device:acme-corp:17");
	MAL(urn, "urn:idgate:device:");
	MAL(urn, "urn:idgate:device:acme-corp:17:"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	MAL(urn, "urn:idgate:other:acme-corp:17:dev-1");
	MAL(email, "no-at-sign");
#undef MAL
	/* a 64-character device id is the limit, still ours */
	cr = good;
	cr.urn = "urn:idgate:device:acme-corp:17:"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	assert_int_equal(verify_crafted(&cr, &p), IDG_DEVCERT_OK);
	/* other URIs are ignored beside ours */
	cr = good;
	cr.urn = "https://example.com/x,URI:urn:idgate:device:acme-corp:17:dev-1";
	assert_int_equal(verify_crafted(&cr, &p), IDG_DEVCERT_OK);
	/* signed by this CA, but for another tenant */
	cr = good;
	cr.urn = "urn:idgate:device:other-co:17:dev-1";
	assert_int_equal(verify_crafted(&cr, &p), IDG_DEVCERT_FOREIGN);
}

static void
test_check_codes(void **state)
{
	const char *seen[6];
	int i, j;

	for (i = 0; i < 6; i++) {
		seen[i] = idg_devcert_check_code(i);
		assert_int_equal(strncmp(seen[i], "device_cert_", 12), 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
	assert_string_equal(idg_devcert_check_code(IDG_DEVCERT_EXPIRED), "device_cert_expired");
	assert_string_equal(idg_devcert_check_code(IDG_DEVCERT_FOREIGN), "device_cert_foreign");
	assert_string_equal(idg_devcert_check_code(99), "device_cert_unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lic_count),
		cmocka_unit_test(test_lic_change),
		cmocka_unit_test(test_lic_assign),
		cmocka_unit_test(test_check_issue),
		cmocka_unit_test(test_not_after),
		cmocka_unit_test(test_valid_at),
		cmocka_unit_test(test_ca_create_profile),
		cmocka_unit_test(test_ca_create_invalid),
		cmocka_unit_test(test_ca_roundtrip_ec),
		cmocka_unit_test(test_ca_roundtrip_rsa),
		cmocka_unit_test(test_ca_rsa3072),
		cmocka_unit_test(test_ca_load_failures),
		cmocka_unit_test(test_issue_profile),
		cmocka_unit_test(test_issue_serials_differ),
		cmocka_unit_test(test_issue_long_email),
		cmocka_unit_test(test_issue_invalid),
		cmocka_unit_test(test_devcert_pem),
		cmocka_unit_test(test_csr_parse),
		cmocka_unit_test(test_pkcs12_modern),
		cmocka_unit_test(test_pkcs12_legacy),
		cmocka_unit_test(test_pkcs12_invalid),
		cmocka_unit_test(test_otp),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_verify_ok),
		cmocka_unit_test(test_verify_expired),
		cmocka_unit_test(test_verify_foreign),
		cmocka_unit_test(test_verify_malformed_none),
		cmocka_unit_test(test_verify_crafted),
		cmocka_unit_test(test_check_codes),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
