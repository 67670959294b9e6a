/*
 * saml_idp_int.h - the layout of struct idg_saml_idp and the checks that
 * saml_idp.c and saml_slo.c share (signature, message header).
 *
 * Internal to gateway/saml; the only header here that names lasso types.
 */
#ifndef IDG_SAML_IDP_INT_H
#define IDG_SAML_IDP_INT_H

#include <lasso/key.h>
#include <lasso/lasso.h>
#include <xmlsec/keys.h>

#include "gateway/saml/saml_int.h"

struct saml_sp {
	char		*entity_id;
	struct idg_saml_sp_info info;
	EVP_PKEY	*keys[IDG_SAML_MAX_CERTS];	/* the SP's signing keys */
	size_t		 n_keys;
	LassoProvider	*prov;		/* borrowed from the server */
	enum idg_saml_nameid_format nameid_format;
	bool		 want_signed;	/* conf or AuthnRequestsSigned */
	bool		 sign_assertion, sign_response, encrypt_assertion;
	bool		 sp_initiated_allowed, idp_initiated_allowed;
};

struct idg_saml_idp {
	struct idg_saml_idp_urls urls;
	LassoServer	*server;
	EVP_PKEY	*key;		/* Redirect query signatures */
	xmlSecKey	*xkey;		/* POST logout messages */
	LassoKey	*lkey;		/* lasso's signatures, loaded once */
	int		 key_fd;	/* memfd with key + certificate for lasso */
	char		 key_path[64];
	struct saml_sp	*sps;
	size_t		 n_sps;
};

struct saml_sp *saml_sp_find(struct idg_saml_idp *idp, const char *entity_id);
int	saml_sig_check(struct saml_sp *sp, const struct saml_msg *m, bool required,
	    bool *signed_out, enum idg_saml_reason *r);
int	saml_check_header(const struct saml_msg *m, const char *our_url, int64_t now, int skew_s,
	    int64_t *issue_instant, enum idg_saml_reason *r);

#endif
