/*
 * saml_idp.c - the tenant IdP object (our keys, the SPs and their keys),
 * AuthnRequest checking, the auto-submitting POST page and persistent
 * NameIDs.
 *
 * Everything a request is checked against (sizes, DTDs, ACS, times,
 * signatures) is decided here with libxml2, xmlsec and OpenSSL; lasso_init
 * only initialises xmlsec and its crypto for us (and lasso for the tests,
 * which play the SPs with it). Not here: Responses (saml_resp.c), metadata
 * (saml_meta.c), single logout (saml_slo.c), decoding helpers (saml_util.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lasso/lasso.h>
#include <libxml/parser.h>
#include <openssl/pem.h>
#include <xmlsec/crypto.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#include "gateway/saml/saml_idp_int.h"
#include "gateway/util/crypto.h"
#include "gateway/util/log.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"

static bool initialised;

int
idg_saml_init(void)
{
	if (initialised)
		return IDG_OK;
	/* PROTOCOLS.md: no entity expansion, no DTD loading, no network */
	xmlSubstituteEntitiesDefault(0);
	xmlLoadExtDtdDefaultValue = 0;
	/* lasso_init runs xmlSecInit, xmlSecCryptoAppInit and xmlSecCryptoInit */
	if (lasso_init() != 0) {
		log_error("lasso_init failed");
		return IDG_ERR;
	}
	initialised = true;
	return IDG_OK;
}

void
idg_saml_shutdown(void)
{
	if (!initialised)
		return;
	lasso_shutdown();
	initialised = false;
}

void
idg_saml_out_free(struct idg_saml_out *o)
{
	if (o == NULL)
		return;
	free(o->url);
	free(o->value);
	free(o->relay_state);
	memset(o, 0, sizeof(*o));
}

const struct idg_saml_idp_urls *
idg_saml_idp_get_urls(const struct idg_saml_idp *idp)
{
	return &idp->urls;
}

struct saml_sp *
saml_sp_find(struct idg_saml_idp *idp, const char *entity_id)
{
	for (size_t i = 0; i < idp->n_sps; i++)
		if (strcmp(idp->sps[i].entity_id, entity_id) == 0)
			return &idp->sps[i];
	return NULL;
}

void
idg_saml_idp_free(struct idg_saml_idp *idp)
{
	if (idp == NULL)
		return;
	for (size_t i = 0; i < idp->n_sps; i++) {
		struct saml_sp *sp = &idp->sps[i];

		free(sp->entity_id);
		for (size_t k = 0; k < sp->n_keys; k++) {
			EVP_PKEY_free(sp->keys[k]);
			if (sp->xkeys[k] != NULL)
				xmlSecKeyDestroy(sp->xkeys[k]);
		}
		EVP_PKEY_free(sp->enc_key);
		free(sp->enc_cert_b64);
		idg_saml_sp_info_free(&sp->info);
	}
	free(idp->sps);
	if (idp->xkey != NULL)
		xmlSecKeyDestroy(idp->xkey);
	EVP_PKEY_free(idp->key);
	free(idp->cert_b64);
	free(idp);
}

static int
load_keys(struct idg_saml_idp *idp, const struct idg_saml_idp_conf *c)
{
	BIO *bio;
	int bits;

	bio = BIO_new_mem_buf(c->signing_key_pem, -1);
	if (bio == NULL)
		return IDG_ERR;
	idp->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (idp->key == NULL || EVP_PKEY_base_id(idp->key) != EVP_PKEY_RSA) {
		log_error("%s: signing key is not an unencrypted RSA PEM key", idp->urls.entity_id);
		return IDG_INVALID;
	}
	bits = EVP_PKEY_get_bits(idp->key);
	if (bits < 2048) {
		log_error("%s: RSA key of %d bits (2048 or more needed)", idp->urls.entity_id,
		    bits);
		return IDG_INVALID;
	}
	{
		EVP_PKEY *pub = saml_cert_pubkey(c->signing_cert_pem);
		int eq = pub != NULL && EVP_PKEY_eq(pub, idp->key) == 1;

		EVP_PKEY_free(pub);
		if (!eq) {
			log_error("%s: signing certificate does not match the key",
			    idp->urls.entity_id);
			return IDG_INVALID;
		}
	}
	if ((idp->cert_b64 = saml_cert_b64(c->signing_cert_pem)) == NULL)
		return IDG_ERR;
	/* for our POST-bound logout messages and encrypted assertions, signed with xmlsec */
	idp->xkey = xmlSecCryptoAppKeyLoadMemory((const xmlSecByte *)c->signing_key_pem,
	    (xmlSecSize)strlen(c->signing_key_pem), xmlSecKeyDataFormatPem, NULL, NULL, NULL);
	if (idp->xkey == NULL || xmlSecCryptoAppKeyCertLoadMemory(idp->xkey,
	    (const xmlSecByte *)c->signing_cert_pem, (xmlSecSize)strlen(c->signing_cert_pem),
	    xmlSecKeyDataFormatPem) < 0) {
		log_error("%s: xmlsec cannot load the signing key", idp->urls.entity_id);
		return IDG_ERR;
	}
	return IDG_OK;
}

static int
add_sp(struct idg_saml_idp *idp, const struct idg_saml_sp_conf *sc, struct saml_sp *sp)
{
	char err[256] = "";

	if (sc->entity_id == NULL ||
	    idg_saml_sp_metadata_check(sc->metadata_xml, &sp->info, err, sizeof(err)) != IDG_OK) {
		log_error("%s: SP %s: %s", idp->urls.entity_id,
		    sc->entity_id ? sc->entity_id : "(null)", err);
		return IDG_INVALID;
	}
	if (strcmp(sp->info.entity_id, sc->entity_id) != 0) {
		log_error("%s: SP %s: metadata names %s", idp->urls.entity_id, sc->entity_id,
		    sp->info.entity_id);
		return IDG_INVALID;
	}
	if (!sc->sign_assertion && !sc->sign_response) {
		log_error("%s: SP %s: neither assertion nor response signed", idp->urls.entity_id,
		    sc->entity_id);
		return IDG_INVALID;
	}
	if (sc->encrypt_assertion && sp->info.encryption_cert_pem == NULL) {
		log_error("%s: SP %s: encryption wanted, no encryption certificate",
		    idp->urls.entity_id, sc->entity_id);
		return IDG_INVALID;
	}
	sp->entity_id = strdup(sc->entity_id);
	if (sp->entity_id == NULL)
		return IDG_ERR;
	sp->nameid_format = sc->nameid_format;
	sp->sign_assertion = sc->sign_assertion;
	sp->sign_response = sc->sign_response;
	sp->encrypt_assertion = sc->encrypt_assertion;
	sp->sp_initiated_allowed = sc->sp_initiated_allowed;
	sp->idp_initiated_allowed = sc->idp_initiated_allowed;
	sp->want_signed = sc->want_authn_requests_signed || sp->info.authn_requests_signed;
	for (size_t k = 0; k < sp->info.n_signing_certs; k++) {
		const char *pem = sp->info.signing_cert_pem[k];

		sp->keys[k] = saml_cert_pubkey(pem);
		sp->xkeys[k] = xmlSecCryptoAppKeyLoadMemory((const xmlSecByte *)pem,
		    (xmlSecSize)strlen(pem), xmlSecKeyDataFormatCertPem, NULL, NULL, NULL);
		sp->n_keys++;	/* counted even on failure so _free releases both */
		if (sp->keys[k] == NULL || sp->xkeys[k] == NULL)
			return IDG_INVALID;
	}
	if (sp->want_signed && sp->n_keys == 0) {
		log_error("%s: SP %s: signed requests wanted but no signing certificate",
		    idp->urls.entity_id, sc->entity_id);
		return IDG_INVALID;
	}
	if (sc->encrypt_assertion) {
		sp->enc_key = saml_cert_pubkey(sp->info.encryption_cert_pem);
		sp->enc_cert_b64 = saml_cert_b64(sp->info.encryption_cert_pem);
		if (sp->enc_key == NULL || sp->enc_cert_b64 == NULL ||
		    EVP_PKEY_base_id(sp->enc_key) != EVP_PKEY_RSA) {
			log_error("%s: SP %s: the encryption certificate has no RSA key",
			    idp->urls.entity_id, sc->entity_id);
			return IDG_INVALID;
		}
	}
	return IDG_OK;
}

int
idg_saml_idp_new(const struct idg_saml_idp_conf *c, const struct idg_saml_sp_conf *sps,
    size_t n, struct idg_saml_idp **out)
{
	struct idg_saml_idp *idp;
	struct idg_buf md;
	int rc;

	*out = NULL;
	if (!initialised) {
		log_error("idg_saml_init not called");
		return IDG_ERR;
	}
	if (c == NULL || c->signing_key_pem == NULL || c->signing_cert_pem == NULL)
		return IDG_INVALID;
	idp = calloc(1, sizeof(*idp));
	if (idp == NULL)
		return IDG_ERR;
	if ((rc = idg_saml_idp_urls(c, &idp->urls)) != IDG_OK)
		goto fail;
	if ((rc = load_keys(idp, c)) != IDG_OK)
		goto fail;
	/* what the metadata would publish must be publishable */
	idg_buf_init(&md, IDG_SAML_MAX_XML_BYTES);
	rc = idg_saml_metadata(c, &md);
	idg_buf_free(&md);
	if (rc != IDG_OK)
		goto fail;
	if (n > 0) {
		idp->sps = calloc(n, sizeof(*idp->sps));
		if (idp->sps == NULL) {
			rc = IDG_ERR;
			goto fail;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (saml_sp_find(idp, sps[i].entity_id ? sps[i].entity_id : "") != NULL) {
			log_error("%s: SP %s registered twice", idp->urls.entity_id,
			    sps[i].entity_id);
			rc = IDG_INVALID;
			goto fail;
		}
		rc = add_sp(idp, &sps[i], &idp->sps[idp->n_sps]);
		idp->n_sps++;	/* counted even on failure so _free releases it */
		if (rc != IDG_OK)
			goto fail;
	}
	*out = idp;
	return IDG_OK;
fail:
	idg_saml_idp_free(idp);
	return rc;
}

/* ---- incoming signatures ---- */

static bool
alg_ok(const char *alg, bool digest)
{
	static const char *const sig[] = {
		ALG_RSA_SHA256,
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
		"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
		"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
		"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
	};
	static const char *const dig[] = {
		"http://www.w3.org/2001/04/xmlenc#sha256",
		"http://www.w3.org/2001/04/xmldsig-more#sha384",
		"http://www.w3.org/2001/04/xmlenc#sha512",
	};
	const char *const *t = digest ? dig : sig;
	size_t n = digest ? 3 : 6;

	for (size_t i = 0; i < n; i++)
		if (strcmp(alg, t[i]) == 0)
			return true;
	return false;
}

/*
 * xmlsec verifies sig with one of the SP's metadata keys, lent (not copied:
 * see saml_resp.c) and never one from the message's KeyInfo, allowing only
 * the transforms and algorithms SAML uses and a same-document reference.
 */
/* Only what SAML signatures use (PROTOCOLS.md); SHA-1 never. */
static bool
dsig_limits(xmlSecDSigCtx *c)
{
	return xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformExclC14NId) == 0 &&
	    xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformInclC14NId) == 0 &&
	    xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformRsaSha256Id) == 0 &&
	    xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformRsaSha384Id) == 0 &&
	    xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformRsaSha512Id) == 0 &&
	    xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformEcdsaSha256Id) == 0 &&
	    xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformEcdsaSha384Id) == 0 &&
	    xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformEcdsaSha512Id) == 0 &&
	    xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformEnvelopedId) == 0 &&
	    xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformExclC14NId) == 0 &&
	    xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformInclC14NId) == 0 &&
	    xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformSha256Id) == 0 &&
	    xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformSha384Id) == 0 &&
	    xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformSha512Id) == 0;
}

/*
 * xmlsec verifies sig with one of the SP's metadata keys, lent (not copied:
 * see saml_resp.c) and never one from the message's KeyInfo, allowing only
 * the transforms and algorithms SAML uses and a same-document reference.
 */
static bool
xml_verify(struct saml_sp *sp, const struct saml_msg *m, const char *id, xmlNode *sig)
{
	bool ok = false;

	if (xmlGetID(m->doc, (const xmlChar *)id) == NULL &&
	    xmlAddID(NULL, m->doc, (const xmlChar *)id,
	    xmlHasProp(m->root, (const xmlChar *)"ID")) == NULL)
		return false;
	for (size_t k = 0; k < sp->n_keys && !ok; k++) {
		xmlSecDSigCtx *ctx = xmlSecDSigCtxCreate(NULL);
		bool set = ctx != NULL && dsig_limits(ctx);

		if (set) {
			ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
			ctx->signKey = sp->xkeys[k];
			ok = xmlSecDSigCtxVerify(ctx, sig) == 0 &&
			    ctx->status == xmlSecDSigStatusSucceeded;
			ctx->signKey = NULL;
		}
		if (ctx != NULL)
			xmlSecDSigCtxDestroy(ctx);
	}
	return ok;
}

/*
 * POST binding (saml-bindings 3.5.4): an enveloped XML signature on the
 * root element. We check its shape (one Signature, a child of the root,
 * one Reference to the root's ID: no wrapping) and algorithms ourselves,
 * then xmlsec verifies it with the SP's metadata keys.
 */
static int
xml_sig_check(struct saml_sp *sp, const struct saml_msg *m, bool *present,
    enum idg_saml_reason *r)
{
	xmlNode *sig, *si, *ref, *sm, *dm;
	char id[IDG_SAML_ID_MAX + 1], uri[IDG_SAML_ID_MAX + 2], alg[128];

	*present = false;
	sig = saml_child(m->root, NS_DS, "Signature");
	if (sig == NULL)
		return IDG_OK;
	*present = true;
	*r = IDG_SAML_R_SIGNATURE_INVALID;
	if (saml_next(sig->next, NS_DS, "Signature") != NULL)
		return IDG_DECLINED;
	si = saml_child(sig, NS_DS, "SignedInfo");
	sm = saml_child(si, NS_DS, "SignatureMethod");
	ref = saml_child(si, NS_DS, "Reference");
	dm = saml_child(ref, NS_DS, "DigestMethod");
	if (ref == NULL || saml_next(ref->next, NS_DS, "Reference") != NULL || dm == NULL)
		return IDG_DECLINED;
	if (!saml_attr(m->root, "ID", id, sizeof(id)) || !saml_attr(ref, "URI", uri, sizeof(uri)) ||
	    uri[0] != '#' || strcmp(uri + 1, id) != 0)
		return IDG_DECLINED;
	if (!saml_attr(sm, "Algorithm", alg, sizeof(alg)) || !alg_ok(alg, false) ||
	    !saml_attr(dm, "Algorithm", alg, sizeof(alg)) || !alg_ok(alg, true)) {
		*r = IDG_SAML_R_SIGNATURE_ALGORITHM;
		return IDG_DECLINED;
	}
	if (sp->n_keys == 0)
		return IDG_DECLINED;
	if (!xml_verify(sp, m, id, sig))
		return IDG_DECLINED;
	*r = IDG_SAML_R_NONE;
	return IDG_OK;
}

int
saml_sig_check(struct saml_sp *sp, const struct saml_msg *m, bool required, bool *signed_out,
    enum idg_saml_reason *r)
{
	bool present = false;

	*signed_out = false;
	if (m->has_query_sig) {
		if (!saml_query_verify(m, sp->keys, sp->n_keys, r))
			return IDG_DECLINED;
		*signed_out = true;
		return IDG_OK;
	}
	if (xml_sig_check(sp, m, &present, r) != IDG_OK)
		return IDG_DECLINED;
	if (present) {
		*signed_out = true;
		return IDG_OK;
	}
	if (required) {
		*r = IDG_SAML_R_SIGNATURE_MISSING;
		return IDG_DECLINED;
	}
	return IDG_OK;
}

/* Common header checks: Version, IssueInstant, Destination. */
int
saml_check_header(const struct saml_msg *m, const char *our_url, int64_t now, int skew_s,
    int64_t *issue_instant, enum idg_saml_reason *r)
{
	char v[64], dest[IDG_SAML_URL_MAX + 1];

	if (!saml_attr(m->root, "Version", v, sizeof(v)) || strcmp(v, "2.0") != 0) {
		*r = IDG_SAML_R_VERSION;
		return IDG_DECLINED;
	}
	if (!saml_attr(m->root, "IssueInstant", v, sizeof(v)) ||
	    !saml_time_parse(v, issue_instant)) {
		*r = IDG_SAML_R_MALFORMED;
		return IDG_DECLINED;
	}
	/* PROTOCOLS.md interop: accept a configurable clock skew */
	if (*issue_instant < now - skew_s || *issue_instant > now + skew_s) {
		*r = IDG_SAML_R_REQUEST_EXPIRED;
		return IDG_DECLINED;
	}
	/* saml-bindings 3.4.5.2 / 3.5.5.2: Destination must be where it arrived */
	if (xmlHasProp(m->root, (const xmlChar *)"Destination") != NULL &&
	    (!saml_attr(m->root, "Destination", dest, sizeof(dest)) ||
	    strcmp(dest, our_url) != 0)) {
		*r = IDG_SAML_R_DESTINATION;
		return IDG_DECLINED;
	}
	return IDG_OK;
}

/* ---- AuthnRequest ---- */

static const struct idg_saml_endpoint *
acs_default(const struct saml_sp *sp)
{
	const struct idg_saml_endpoint *first = NULL;

	/* metadata 2.2.3: isDefault, else the first without isDefault="false" */
	for (size_t i = 0; i < sp->info.n_acs; i++) {
		if (sp->info.acs[i].binding != IDG_SAML_BINDING_POST)
			continue;
		if (sp->info.acs[i].is_default)
			return &sp->info.acs[i];
		if (first == NULL)
			first = &sp->info.acs[i];
	}
	return first;
}

static int
resolve_acs(const struct saml_sp *sp, xmlNode *root, struct idg_saml_authn *out,
    enum idg_saml_reason *r)
{
	char url[IDG_SAML_URL_MAX + 1], tmp[64];
	const struct idg_saml_endpoint *e = NULL;
	long idx;

	if (xmlHasProp(root, (const xmlChar *)"ProtocolBinding") != NULL &&
	    (!saml_attr(root, "ProtocolBinding", tmp, sizeof(tmp)) ||
	    strcmp(tmp, BINDING_POST) != 0)) {
		*r = IDG_SAML_R_BINDING;
		return IDG_DECLINED;
	}
	if (xmlHasProp(root, (const xmlChar *)"AssertionConsumerServiceURL") != NULL) {
		/* profiles 4.1.4.1: only an ACS registered for the SP, compared exactly */
		if (!saml_attr(root, "AssertionConsumerServiceURL", url, sizeof(url))) {
			*r = IDG_SAML_R_ACS_NOT_REGISTERED;
			return IDG_DECLINED;
		}
		for (size_t i = 0; i < sp->info.n_acs && e == NULL; i++)
			if (sp->info.acs[i].binding == IDG_SAML_BINDING_POST &&
			    strcmp(sp->info.acs[i].url, url) == 0)
				e = &sp->info.acs[i];
	} else if (xmlHasProp(root, (const xmlChar *)"AssertionConsumerServiceIndex") != NULL) {
		if (!saml_attr(root, "AssertionConsumerServiceIndex", tmp, sizeof(tmp)) ||
		    idg_parse_long(tmp, 0, 65535, &idx) != IDG_OK) {
			*r = IDG_SAML_R_MALFORMED;
			return IDG_DECLINED;
		}
		for (size_t i = 0; i < sp->info.n_acs && e == NULL; i++)
			if (sp->info.acs[i].index == (int)idx)
				e = &sp->info.acs[i];
		if (e != NULL && e->binding != IDG_SAML_BINDING_POST) {
			*r = IDG_SAML_R_BINDING;
			return IDG_DECLINED;
		}
	} else {
		e = acs_default(sp);
	}
	if (e == NULL) {
		*r = IDG_SAML_R_ACS_NOT_REGISTERED;
		return IDG_DECLINED;
	}
	idg_strlcpy(out->acs_url, e->url, sizeof(out->acs_url));
	out->acs_binding = IDG_SAML_BINDING_POST;
	return IDG_OK;
}

static bool
bool_attr(const xmlNode *n, const char *name)
{
	char v[16];

	return saml_attr(n, name, v, sizeof(v)) && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

int
idg_saml_authn_parse(struct idg_saml_idp *idp, const struct idg_saml_msg_in *in, int64_t now,
    int skew_s, struct idg_saml_authn *out, char *err, size_t errsz)
{
	struct saml_msg m;
	struct saml_sp *sp;
	xmlNode *issuer, *pol;
	enum idg_saml_reason r = IDG_SAML_R_MALFORMED;
	char issuer_s[IDG_SAML_URL_MAX + 1];
	int rc;

	memset(out, 0, sizeof(*out));
	saml_seterr(err, errsz, "%s", "");
	out->binding = in != NULL ? in->binding : IDG_SAML_BINDING_NONE;
	rc = saml_msg_decode(in, "SAMLRequest", &m, &r, err, errsz);
	if (rc != IDG_OK) {
		out->reason = r;
		return rc == IDG_ERR ? IDG_ERR : IDG_DECLINED;
	}
	if (m.has_relay_state) {
		memcpy(out->relay_state, m.relay_state, sizeof(out->relay_state));
		out->has_relay_state = true;
	}
	rc = IDG_DECLINED;
	r = IDG_SAML_R_MALFORMED;
	if (!saml_is(m.root, NS_SAMLP, "AuthnRequest")) {
		saml_seterr(err, errsz, "root is not samlp:AuthnRequest");
		goto refuse;
	}
	issuer = saml_child(m.root, NS_SAML, "Issuer");
	if (issuer == NULL || !saml_text(issuer, issuer_s, sizeof(issuer_s)) ||
	    issuer_s[0] == '\0') {
		saml_seterr(err, errsz, "no Issuer");
		goto refuse;
	}
	if (!saml_attr(m.root, "ID", out->request_id, sizeof(out->request_id)) ||
	    out->request_id[0] == '\0') {
		saml_seterr(err, errsz, "no ID");
		goto refuse;
	}
	sp = saml_sp_find(idp, issuer_s);
	if (sp == NULL) {
		r = IDG_SAML_R_UNKNOWN_SP;
		saml_seterr(err, errsz, "unknown SP %.200s", issuer_s);
		goto refuse;
	}
	idg_strlcpy(out->sp_entity_id, sp->entity_id, sizeof(out->sp_entity_id));
	/*
	 * The signature is checked before anything from the request is trusted
	 * enough to send a response to it.
	 */
	if (saml_sig_check(sp, &m, sp->want_signed, &out->signed_request, &r) != IDG_OK) {
		saml_seterr(err, errsz, "signature: %s", idg_saml_reason_code(r));
		goto refuse;
	}
	if (resolve_acs(sp, m.root, out, &r) != IDG_OK) {
		saml_seterr(err, errsz, "ACS: %s", idg_saml_reason_code(r));
		goto refuse;
	}
	/* from here on the SP and a registered ACS are known */
	out->can_respond = true;
	if (!sp->sp_initiated_allowed) {
		r = IDG_SAML_R_SP_INITIATED_DISABLED;
		goto refuse;
	}
	if (saml_check_header(&m, idp->urls.sso, now, skew_s, &out->issue_instant, &r) !=
	    IDG_OK) {
		saml_seterr(err, errsz, "header: %s", idg_saml_reason_code(r));
		if (r == IDG_SAML_R_MALFORMED || r == IDG_SAML_R_VERSION)
			out->can_respond = true;
		goto refuse;
	}
	out->force_authn = bool_attr(m.root, "ForceAuthn");
	out->is_passive = bool_attr(m.root, "IsPassive");
	out->nameid_format = sp->nameid_format;
	pol = saml_child(m.root, NS_SAMLP, "NameIDPolicy");
	if (pol != NULL) {
		out->allow_create = bool_attr(pol, "AllowCreate");
		if (xmlHasProp(pol, (const xmlChar *)"Format") != NULL) {
			enum idg_saml_nameid_format f;

			if (!saml_attr(pol, "Format", out->requested_nameid_format,
			    sizeof(out->requested_nameid_format))) {
				r = IDG_SAML_R_NAMEID_POLICY;
				goto refuse;
			}
			/* core 3.4.1.1: the requested format, or InvalidNameIDPolicy */
			if (strcmp(out->requested_nameid_format, FMT_UNSPEC) != 0 &&
			    (!saml_nameid_from_uri(out->requested_nameid_format, &f) ||
			    f != sp->nameid_format)) {
				r = IDG_SAML_R_NAMEID_POLICY;
				saml_seterr(err, errsz, "NameIDPolicy %.100s",
				    out->requested_nameid_format);
				goto refuse;
			}
		}
	}
	saml_msg_free(&m);
	out->reason = IDG_SAML_R_NONE;
	return IDG_OK;
refuse:
	saml_msg_free(&m);
	out->reason = r;
	if (r == IDG_SAML_R_INTERNAL)
		return IDG_ERR;
	return IDG_DECLINED;
}

int
idg_saml_authn_idp_initiated(struct idg_saml_idp *idp, const char *sp_entity_id,
    const char *relay_state, struct idg_saml_authn *out)
{
	struct saml_sp *sp;
	const struct idg_saml_endpoint *e;

	memset(out, 0, sizeof(*out));
	sp = sp_entity_id ? saml_sp_find(idp, sp_entity_id) : NULL;
	if (sp == NULL) {
		out->reason = IDG_SAML_R_UNKNOWN_SP;
		return IDG_DECLINED;
	}
	idg_strlcpy(out->sp_entity_id, sp->entity_id, sizeof(out->sp_entity_id));
	if (!sp->idp_initiated_allowed) {
		out->reason = IDG_SAML_R_IDP_INITIATED_DISABLED;
		return IDG_DECLINED;
	}
	if (relay_state != NULL) {
		if (strlen(relay_state) > IDG_SAML_RELAY_STATE_MAX) {
			out->reason = IDG_SAML_R_RELAY_STATE;
			return IDG_DECLINED;
		}
		idg_strlcpy(out->relay_state, relay_state, sizeof(out->relay_state));
		out->has_relay_state = true;
	}
	e = acs_default(sp);
	if (e == NULL) {
		out->reason = IDG_SAML_R_ACS_NOT_REGISTERED;
		return IDG_DECLINED;
	}
	idg_strlcpy(out->acs_url, e->url, sizeof(out->acs_url));
	out->acs_binding = IDG_SAML_BINDING_POST;
	out->nameid_format = sp->nameid_format;
	out->binding = IDG_SAML_BINDING_NONE;
	return IDG_OK;
}

/* ---- the POST page ---- */

static const char post_script[] = "document.forms[0].submit();";

const char *
idg_saml_post_script(void)
{
	return post_script;
}

void
idg_saml_post_csp_hash(char out[IDG_SAML_CSP_HASH_LEN])
{
	uint8_t h[IDG_SHA256_LEN];
	unsigned char b64[48];

	idg_sha256(post_script, strlen(post_script), h);
	EVP_EncodeBlock(b64, h, sizeof(h));
	memcpy(out, "sha256-", 7);
	idg_strlcpy(out + 7, (const char *)b64, IDG_SAML_CSP_HASH_LEN - 7);
}

int
idg_saml_post_form(const struct idg_saml_out *o, struct idg_buf *html)
{
	if (o == NULL || o->binding != IDG_SAML_BINDING_POST || o->url == NULL ||
	    o->value == NULL || o->param_name == NULL)
		return IDG_INVALID;
	if (idg_buf_adds(html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>Signing in</title></head><body>\n<form method=\"post\" action=\"") !=
	    IDG_OK || idg_html_escape(html, o->url) != IDG_OK ||
	    idg_buf_printf(html, "\">\n<input type=\"hidden\" name=\"%s\" value=\"",
	    o->param_name) != IDG_OK || idg_html_escape(html, o->value) != IDG_OK ||
	    idg_buf_adds(html, "\">\n") != IDG_OK)
		return IDG_ERR;
	if (o->relay_state != NULL && (idg_buf_adds(html,
	    "<input type=\"hidden\" name=\"RelayState\" value=\"") != IDG_OK ||
	    idg_html_escape(html, o->relay_state) != IDG_OK || idg_buf_adds(html, "\">\n") !=
	    IDG_OK))
		return IDG_ERR;
	if (idg_buf_adds(html, "<noscript><button type=\"submit\">Continue</button></noscript>\n"
	    "</form>\n<script>") != IDG_OK || idg_buf_adds(html, post_script) != IDG_OK ||
	    idg_buf_adds(html, "</script>\n</body></html>\n") != IDG_OK)
		return IDG_ERR;
	return IDG_OK;
}

int
idg_saml_persistent_id(const uint8_t key[32], const char *tenant, const char *sp_entity_id,
    const char *user_id, char out[IDG_SAML_PERSISTENT_ID_LEN])
{
	struct idg_buf m;
	uint8_t mac[IDG_SHA256_LEN];
	int rc = IDG_ERR;

	out[0] = '\0';
	if (key == NULL || tenant == NULL || sp_entity_id == NULL || user_id == NULL)
		return IDG_INVALID;
	idg_buf_init(&m, 3 * IDG_SAML_URL_MAX);
	/* NUL separators: no two different triples hash the same input */
	if (idg_buf_add(&m, tenant, strlen(tenant) + 1) != IDG_OK ||
	    idg_buf_add(&m, sp_entity_id, strlen(sp_entity_id) + 1) != IDG_OK ||
	    idg_buf_add(&m, user_id, strlen(user_id)) != IDG_OK)
		goto out;
	if (idg_hmac_sha256(key, 32, m.data, m.len, mac) != IDG_OK)
		goto out;
	if (idg_b64url_encode(mac, sizeof(mac), out, IDG_SAML_PERSISTENT_ID_LEN) < 0)
		goto out;
	rc = IDG_OK;
out:
	idg_wipe(mac, sizeof(mac));
	idg_buf_free(&m);
	return rc;
}
