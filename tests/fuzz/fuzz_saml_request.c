/*
 * fuzz_saml_request.c - libFuzzer target for the AuthnRequest and
 * LogoutRequest decoding paths of gateway/saml. The first input byte picks
 * the binding: even = HTTP-Redirect (the rest is the raw query string), odd
 * = HTTP-POST (the rest is "SAMLRequest value\nRelayState"). The IdP has
 * two SPs with keys made at start-up: https://sp1.example/md (signed
 * requests required) and https://sp2.example/md (unsigned accepted). The
 * clock is fixed at 2026-01-01T00:00:00Z, the IssueInstant of the seeds.
 * Invariants: only OK or DECLINED come back; OK means no reason and a
 * registered ACS; DECLINED always names a reason; can_respond implies a
 * known SP and ACS. Not a unit test (tests/unit/saml).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "gateway/saml/saml.h"
#include "gateway/util/buf.h"
#include "gateway/util/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1767225600	/* 2026-01-01T00:00:00Z */

static struct idg_saml_idp *idp;

static char *
bio_str(BIO *b)
{
	char *p, *s;
	long n = BIO_get_mem_data(b, &p);

	s = malloc((size_t)n + 1);
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	return s;
}

static void
keypair(char **key_pem, char **cert_pem)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	BIO *b;

	X509_set_version(x, 2);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"fuzz", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, k, EVP_sha256());
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	*key_pem = bio_str(b);
	BIO_free(b);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	*cert_pem = bio_str(b);
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(k);
}

static int
setup(void)
{
	static const char *const ids[2] = { "https://sp1.example/md", "https://sp2.example/md" };
	struct idg_saml_endpoint acs[2] = {
		{ "https://sp1.example/acs", IDG_SAML_BINDING_POST, 0, true },
		{ "https://sp1.example/acs2", IDG_SAML_BINDING_POST, 1, false },
	};
	struct idg_saml_sp_conf spc[2];
	struct idg_saml_idp_conf c = { "id.example.com", "acme", NULL, NULL, NULL, 0 };
	char *ik, *ic, *sk, *sc, err[256];
	int rc;

	if (idg_saml_init() != IDG_OK)
		return -1;
	keypair(&ik, &ic);
	keypair(&sk, &sc);
	for (int i = 0; i < 2; i++) {
		struct idg_saml_sp_fields f = { ids[i], acs, 2, i ? "https://sp2.example/slo" :
		    "https://sp1.example/slo", IDG_SAML_BINDING_REDIRECT, sc, NULL, i == 0, true,
		    IDG_SAML_NAMEID_EMAIL };
		struct idg_buf b;

		snprintf(acs[0].url, sizeof(acs[0].url), "https://sp%d.example/acs", i + 1);
		snprintf(acs[1].url, sizeof(acs[1].url), "https://sp%d.example/acs2", i + 1);
		idg_buf_init(&b, 1 << 20);
		if (idg_saml_sp_metadata_from_fields(&f, &b, err, sizeof(err)) != IDG_OK)
			return -1;
		spc[i] = (struct idg_saml_sp_conf){ ids[i], idg_buf_take(&b),
		    IDG_SAML_NAMEID_EMAIL, i == 0, true, true, false, true, true };
	}
	c.signing_key_pem = ik;
	c.signing_cert_pem = ic;
	rc = idg_saml_idp_new(&c, spc, 2, &idp) == IDG_OK ? 0 : -1;
	/* The IdP keeps its own copies. */
	for (int i = 0; i < 2; i++)
		free((char *)spc[i].metadata_xml);
	free(ik);
	free(ic);
	free(sk);
	free(sc);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idg_saml_msg_in in = { IDG_SAML_BINDING_NONE, NULL, NULL, NULL };
	struct idg_saml_authn a;
	struct idg_saml_logout_req lr;
	char *buf, *nl, err[256];
	int rc;

	if (idp == NULL && setup() != 0)
		abort();
	if (size == 0)
		return 0;
	buf = malloc(size);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	if (data[0] % 2 == 0) {
		in.binding = IDG_SAML_BINDING_REDIRECT;
		in.raw_query = buf;
	} else {
		in.binding = IDG_SAML_BINDING_POST;
		in.message = buf;
		if ((nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			in.relay_state = nl + 1;
		}
	}
	rc = idg_saml_authn_parse(idp, &in, FUZZ_NOW, 60, &a, err, sizeof(err));
	if (rc != IDG_OK && rc != IDG_DECLINED)
		abort();
	if (rc == IDG_OK && (a.reason != IDG_SAML_R_NONE ||
	    strncmp(a.acs_url, "https://sp", 10) != 0 || a.sp_entity_id[0] == '\0'))
		abort();
	if (rc == IDG_DECLINED && a.reason == IDG_SAML_R_NONE)
		abort();
	if (a.can_respond && (a.sp_entity_id[0] == '\0' || a.acs_url[0] == '\0'))
		abort();
	if (strlen(a.relay_state) > IDG_SAML_RELAY_STATE_MAX)
		abort();
	rc = idg_saml_logout_parse(idp, &in, FUZZ_NOW, 60, &lr, err, sizeof(err));
	if (rc != IDG_OK && rc != IDG_DECLINED)
		abort();
	if (rc == IDG_DECLINED && lr.reason == IDG_SAML_R_NONE)
		abort();
	free(buf);
	return 0;
}
