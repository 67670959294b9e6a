/*
 * saml_idp_int.h - the layout of struct idg_saml_idp and the checks that
 * saml_idp.c, saml_resp.c and saml_slo.c share (signatures, message header).
 *
 * Internal to gateway/saml; the only header here that names xmlsec types.
 */
#ifndef IDG_SAML_IDP_INT_H
#define IDG_SAML_IDP_INT_H

#include <xmlsec/keys.h>

#include "gateway/saml/saml_int.h"

struct saml_sp {
	char		*entity_id;
	struct idg_saml_sp_info info;
	EVP_PKEY	*keys[IDG_SAML_MAX_CERTS];	/* the SP's signing keys: queries */
	xmlSecKey	*xkeys[IDG_SAML_MAX_CERTS];	/* the same, for xmlsec: POST */
	size_t		 n_keys;
	enum idg_saml_nameid_format nameid_format;
	bool		 want_signed;	/* conf or AuthnRequestsSigned */
	bool		 sign_assertion, sign_response, encrypt_assertion;
	EVP_PKEY	*enc_key;	/* encrypt_assertion: the SP's key, from */
	char		*enc_cert_b64;	/* its encryption certificate (DER, base64) */
	bool		 sp_initiated_allowed, idp_initiated_allowed;
};

struct idg_saml_idp {
	struct idg_saml_idp_urls urls;
	EVP_PKEY	*key;		/* query signatures, and Responses (saml_resp.c) */
	char		*cert_b64;	/* the signing certificate (DER, base64): KeyInfo */
	xmlSecKey	*xkey;		/* XML signatures with xmlsec (saml_sign_element) */
	struct saml_sp	*sps;
	size_t		 n_sps;
};

/* "_" + 128 random bits in hex; outsz >= 34. */
int	saml_new_id(char *out, size_t outsz);
/*
 * Adds an enveloped signature to el (ID attribute id) after its Issuer:
 * RSA-SHA256, SHA-256, exclusive c14n, the certificate in KeyInfo.
 */
int	saml_sign_element(struct idg_saml_idp *idp, xmlDoc *doc, xmlNode *el, const char *id);
struct saml_sp *saml_sp_find(struct idg_saml_idp *idp, const char *entity_id);
int	saml_sig_check(struct saml_sp *sp, const struct saml_msg *m, bool required,
	    bool *signed_out, enum idg_saml_reason *r);
int	saml_check_header(const struct saml_msg *m, const char *our_url, int64_t now, int skew_s,
	    int64_t *issue_instant, enum idg_saml_reason *r);

#endif
