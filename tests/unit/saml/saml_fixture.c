/*
 * saml_fixture.c - builds the test world described in saml_fixture.h: keys
 * and certificates with OpenSSL, SP metadata through
 * idg_saml_sp_metadata_from_fields, IdP metadata through idg_saml_metadata,
 * and one lasso server per SP. Not part of the gateway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tests/unit/saml/saml_fixture.h"
#include "gateway/util/buf.h"
#include "gateway/util/status.h"

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

int
fixture_keypair(const char *cn, int bits, char **key_pem, char **cert_pem)
{
	EVP_PKEY *k = EVP_RSA_gen((unsigned)bits);
	X509 *x = X509_new();
	X509_NAME *nm;
	BIO *b;

	if (k == NULL || x == NULL)
		return -1;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_set_pubkey(x, k);
	nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, nm);
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
	return 0;
}

/* lasso reads keys from this path without leaking (see gateway/saml/README.md) */
static const char *
memfd_path(struct fixture *f, const char *a, const char *b, char *path, size_t n)
{
	int fd = memfd_create("fixture", MFD_CLOEXEC);

	if (write(fd, a, strlen(a)) < 0 || write(fd, "\n", 1) < 0 ||
	    (b && write(fd, b, strlen(b)) < 0))
		return NULL;
	f->fds[f->nfds++] = fd;
	snprintf(path, n, "/proc/self/fd/%d", fd);
	return path;
}

int
fixture_init(struct fixture *f)
{
	static const char *const ids[3] = { SP1, SP2, SP3 };
	struct idg_buf b;
	char err[256], kp[64], *next_key = NULL;

	memset(f, 0, sizeof(*f));
	if (idg_saml_init() != IDG_OK)
		return -1;
	if (fixture_keypair("idp", 2048, &f->idp_key, &f->idp_cert) != 0 ||
	    fixture_keypair("idp-next", 2048, &next_key, &f->next_cert) != 0)
		return -1;
	free(next_key);
	for (int i = 0; i < 3; i++)
		if (fixture_keypair(ids[i], 2048, &f->sp_key[i], &f->sp_cert[i]) != 0)
			return -1;
	{
		struct idg_saml_endpoint acs1[2] = {
			{ SP1_ACS, IDG_SAML_BINDING_POST, 0, true },
			{ SP1_ACS2, IDG_SAML_BINDING_POST, 1, false },
		};
		struct idg_saml_endpoint acs2[1] = {
			{ "https://sp2.example/acs", IDG_SAML_BINDING_POST, 3, false },
		};
		struct idg_saml_endpoint acs3[1] = {
			{ "https://sp3.example/acs", IDG_SAML_BINDING_POST, 0, true },
		};
		struct idg_saml_sp_fields fl[3] = {
			{ SP1, acs1, 2, "https://sp1.example/slo", IDG_SAML_BINDING_REDIRECT,
			    f->sp_cert[0], f->sp_cert[0], true, true, IDG_SAML_NAMEID_EMAIL },
			{ SP2, acs2, 1, "https://sp2.example/slo", IDG_SAML_BINDING_POST,
			    f->sp_cert[1], f->sp_cert[1], false, true,
			    IDG_SAML_NAMEID_PERSISTENT },
			{ SP3, acs3, 1, NULL, IDG_SAML_BINDING_NONE, f->sp_cert[2], NULL, false,
			    false, IDG_SAML_NAMEID_UNSPECIFIED },
		};

		for (int i = 0; i < 3; i++) {
			idg_buf_init(&b, 1 << 20);
			if (idg_saml_sp_metadata_from_fields(&fl[i], &b, err, sizeof(err)) !=
			    IDG_OK) {
				fprintf(stderr, "sp md %d: %s\n", i, err);
				return -1;
			}
			f->sp_md[i] = idg_buf_take(&b);
		}
	}
	f->conf.public_host = "id.example.com";
	f->conf.company_id = "acme";
	f->conf.signing_key_pem = f->idp_key;
	f->conf.signing_cert_pem = f->idp_cert;
	f->conf.extra_cert_pem = (const char *const *)&f->next_cert;
	f->conf.n_extra_certs = 1;
	idg_buf_init(&b, 1 << 20);
	if (idg_saml_metadata(&f->conf, &b) != IDG_OK)
		return -1;
	f->idp_md = idg_buf_take(&b);
	f->spc[0] = (struct idg_saml_sp_conf){ SP1, f->sp_md[0], IDG_SAML_NAMEID_EMAIL, true,
	    true, true, false, true, false };
	f->spc[1] = (struct idg_saml_sp_conf){ SP2, f->sp_md[1], IDG_SAML_NAMEID_PERSISTENT,
	    false, true, false, true, true, true };
	f->spc[2] = (struct idg_saml_sp_conf){ SP3, f->sp_md[2], IDG_SAML_NAMEID_UNSPECIFIED,
	    false, false, true, false, false, true };
	if (idg_saml_idp_new(&f->conf, f->spc, 3, &f->idp) != IDG_OK)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (memfd_path(f, f->sp_key[i], f->sp_cert[i], kp, sizeof(kp)) == NULL)
			return -1;
		f->sp[i] = lasso_server_new_from_buffers(f->sp_md[i], kp, NULL, kp);
		if (f->sp[i] == NULL)
			return -1;
		f->sp[i]->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
		if (lasso_server_add_provider_from_buffer(f->sp[i], LASSO_PROVIDER_ROLE_IDP,
		    f->idp_md, NULL, NULL) != 0)
			return -1;
		if (lasso_server_set_encryption_private_key(f->sp[i], kp) != 0)
			return -1;
	}
	return 0;
}

void
fixture_free(struct fixture *f)
{
	idg_saml_idp_free(f->idp);
	for (int i = 0; i < 3; i++) {
		if (f->sp[i] != NULL)
			lasso_server_destroy(f->sp[i]);
		free(f->sp_key[i]);
		free(f->sp_cert[i]);
		free(f->sp_md[i]);
	}
	for (int i = 0; i < f->nfds; i++)
		close(f->fds[i]);
	free(f->idp_key);
	free(f->idp_cert);
	free(f->next_cert);
	free(f->idp_md);
	memset(f, 0, sizeof(*f));
}

char *
fixture_sp_request(struct fixture *f, int i, enum idg_saml_binding b, bool sign,
    const char *acs_url, const char *nameid_format, bool passive, bool force,
    const char *relay_state, char **out)
{
	LassoLogin *l = lasso_login_new(f->sp[i]);
	LassoProfile *p = LASSO_PROFILE(l);
	LassoSamlp2AuthnRequest *ar;
	char *id = NULL;

	*out = NULL;
	if (lasso_login_init_authn_request(l, "https://id.example.com/saml/acme",
	    b == IDG_SAML_BINDING_REDIRECT ? LASSO_HTTP_METHOD_REDIRECT :
	    LASSO_HTTP_METHOD_POST) != 0)
		goto out;
	ar = LASSO_SAMLP2_AUTHN_REQUEST(p->request);
	g_free(ar->ProtocolBinding);
	ar->ProtocolBinding = g_strdup(LASSO_SAML2_METADATA_BINDING_POST);
	if (acs_url != NULL)
		ar->AssertionConsumerServiceURL = g_strdup(acs_url);
	g_free(ar->NameIDPolicy->Format);
	ar->NameIDPolicy->Format = nameid_format ? g_strdup(nameid_format) : NULL;
	g_free(ar->NameIDPolicy->SPNameQualifier);
	ar->NameIDPolicy->SPNameQualifier = NULL;
	ar->IsPassive = passive;
	ar->ForceAuthn = force;
	if (relay_state != NULL)
		p->msg_relayState = g_strdup(relay_state);
	lasso_profile_set_signature_hint(p, sign ? LASSO_PROFILE_SIGNATURE_HINT_FORCE :
	    LASSO_PROFILE_SIGNATURE_HINT_FORBID);
	if (lasso_login_build_authn_request_msg(l) != 0)
		goto out;
	if (b == IDG_SAML_BINDING_REDIRECT) {
		const char *q = strchr(p->msg_url, '?');

		*out = strdup(q ? q + 1 : "");
	} else {
		*out = strdup(p->msg_body);
	}
	id = strdup(LASSO_SAMLP2_REQUEST_ABSTRACT(p->request)->ID);
out:
	lasso_login_destroy(l);
	return id;
}
