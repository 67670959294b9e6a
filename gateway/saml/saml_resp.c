/*
 * saml_resp.c - the SSO Response and error Response, written from our own
 * template in exclusive c14n form and signed over their own bytes
 * (sign_text); an assertion to encrypt goes through xmlsec; the xmlsec
 * enveloped signature shared with saml_slo.c.
 *
 * Why not lasso: lasso 2.8 builds the same Response through several object
 * layers, always signs the assertion whatever the SP asked for, and copies
 * the signing key for every signature. The copy duplicates the certificate,
 * which OpenSSL 3.0 decodes again through its decoder framework: about
 * 0.4 ms and a global lock per signature, more than the RSA signature
 * itself. Why not xmlsec for every Response: parsing our own text, running
 * c14n over it three times and dumping it cost 160 us per Response, as much
 * as half an RSA signature; text that is canonical as written needs none
 * of it (gateway/saml/README.md, "Keys and what a Response costs").
 *
 * What is written (core 2.3-2.7, profiles 4.1.4.2): Response with ID,
 * InResponseTo, IssueInstant, Destination, Issuer and Status; Assertion with
 * Issuer, Subject (NameID; bearer SubjectConfirmationData with Recipient,
 * NotOnOrAfter, InResponseTo), Conditions (NotBefore, NotOnOrAfter,
 * AudienceRestriction), AuthnStatement (AuthnInstant, SessionIndex,
 * AuthnContextClassRef) and AttributeStatement. Signatures: RSA-SHA256,
 * SHA-256 digest, exclusive c14n, the certificate in KeyInfo. Encryption
 * (SP's choice): AES-256-CBC content, key transport RSA-OAEP (mgf1p) to the
 * SP's encryption certificate, as lasso did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <xmlsec/keys.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlenc.h>
#include <xmlsec/crypto.h>

#include "gateway/saml/saml_idp_int.h"
#include "gateway/util/buf.h"
#include "gateway/util/crypto.h"
#include "gateway/util/log.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"

#define ATTR_BASIC	"urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
#define CM_BEARER	"urn:oasis:names:tc:SAML:2.0:cm:bearer"
#define SESSION_KEY_LEN	32	/* AES-256 */

int
saml_new_id(char *out, size_t outsz)
{
	uint8_t r[16];
	char hex[33];

	/* PROTOCOLS.md: unique IDs of at least 128 random bits; "_" makes an NCName */
	if (idg_random(r, sizeof(r)) != IDG_OK)
		return IDG_ERR;
	idg_hex(r, sizeof(r), hex);
	snprintf(out, outsz, "_%s", hex);
	return IDG_OK;
}

int
saml_sign_element(struct idg_saml_idp *idp, xmlDoc *doc, xmlNode *el, const char *id)
{
	xmlNode *issuer, *sig, *ref, *ki;
	xmlSecDSigCtx *ctx;
	char uri[IDG_SAML_ID_MAX + 2];
	int rc;

	issuer = saml_child(el, NS_SAML, "Issuer");
	/* PROTOCOLS.md: RSA-SHA256, SHA-256 digest, exclusive c14n */
	sig = xmlSecTmplSignatureCreate(doc, xmlSecTransformExclC14NId,
	    xmlSecTransformRsaSha256Id, NULL);
	if (issuer == NULL || sig == NULL) {
		xmlFreeNode(sig);
		return IDG_ERR;
	}
	/* core 5.4.1: the signature follows Issuer */
	xmlAddNextSibling(issuer, sig);
	snprintf(uri, sizeof(uri), "#%s", id);
	ref = xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, NULL,
	    (const xmlChar *)uri, NULL);
	if (ref == NULL || xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) ==
	    NULL || xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) == NULL)
		return IDG_ERR;
	ki = xmlSecTmplSignatureEnsureKeyInfo(sig, NULL);
	if (ki == NULL || xmlSecTmplKeyInfoAddX509Data(ki) == NULL)
		return IDG_ERR;
	if (xmlAddID(NULL, doc, (const xmlChar *)id, xmlHasProp(el, (const xmlChar *)"ID")) ==
	    NULL)
		return IDG_ERR;
	ctx = xmlSecDSigCtxCreate(NULL);
	if (ctx == NULL)
		return IDG_ERR;
	ctx->signKey = idp->xkey;	/* lent, not copied (see the top of this file) */
	rc = xmlSecDSigCtxSign(ctx, sig) < 0 ? IDG_ERR : IDG_OK;
	ctx->signKey = NULL;
	xmlSecDSigCtxDestroy(ctx);
	return rc;
}

/* ---- signing our own canonical text ---- */

#define ALG_C14N	"http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_RSA_SHA256	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ALG_ENVELOPED	"http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define ALG_SHA256	"http://www.w3.org/2001/04/xmlenc#sha256"
#define XML_DECL	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

/*
 * SignedInfo of one same-document reference. With its namespace declaration
 * it is its own exclusive c14n form (what a verifier signs: SignedInfo
 * alone); without, it is what sits inside <Signature xmlns=...>, where the
 * declaration would be redundant and a canonical parent would drop it.
 */
static int
signed_info(struct idg_buf *b, bool alone, const char *id, const char *digest_b64)
{
	return idg_buf_printf(b, "<SignedInfo%s><CanonicalizationMethod Algorithm=\"" ALG_C14N
	    "\"></CanonicalizationMethod><SignatureMethod Algorithm=\"" ALG_RSA_SHA256
	    "\"></SignatureMethod><Reference URI=\"#%s\"><Transforms><Transform Algorithm=\""
	    ALG_ENVELOPED "\"></Transform><Transform Algorithm=\"" ALG_C14N "\"></Transform>"
	    "</Transforms><DigestMethod Algorithm=\"" ALG_SHA256 "\"></DigestMethod><DigestValue>"
	    "%s</DigestValue></Reference></SignedInfo>", alone ? " xmlns=\"" NS_DS "\"" : "", id,
	    digest_b64);
}

/*
 * Appends to out the element el (ID id) with its enveloped signature put at
 * offset at (after its Issuer, core 5.4.1). Everything in this file writes
 * XML that is already in exclusive c14n form (saml_xml_escape, attributes
 * in canonical order, namespaces declared where c14n renders them, no empty
 * element tags, no whitespace), so the digest is over el's own bytes and
 * no parser or c14n engine is needed: SHA-256 digest, RSA-SHA256 over
 * SignedInfo's canonical form, the certificate in KeyInfo. The element's
 * canonical form with this signature inside stays its own bytes too, so
 * the Response can be signed the same way around a signed assertion.
 */
static int
sign_text(struct idg_saml_idp *idp, const struct idg_buf *el, size_t at, const char *id,
    struct idg_buf *out)
{
	uint8_t md[IDG_SHA256_LEN], sig[1024];
	char dv[48], sv[4 * sizeof(sig) / 3 + 4];
	size_t siglen = sizeof(sig);
	struct idg_buf si;
	EVP_MD_CTX *mc;
	int rc;

	if (el->data == NULL || at > el->len || EVP_PKEY_get_size(idp->key) > (int)sizeof(sig))
		return IDG_ERR;
	idg_sha256(el->data, el->len, md);
	EVP_EncodeBlock((unsigned char *)dv, md, sizeof(md));
	idg_buf_init(&si, 4096);
	rc = signed_info(&si, true, id, dv);
	mc = rc == IDG_OK ? EVP_MD_CTX_new() : NULL;
	if (mc == NULL || EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL, idp->key) != 1 ||
	    EVP_DigestSign(mc, sig, &siglen, (const unsigned char *)si.data, si.len) != 1)
		rc = IDG_ERR;
	EVP_MD_CTX_free(mc);
	idg_buf_free(&si);
	if (rc != IDG_OK)
		return IDG_ERR;
	EVP_EncodeBlock((unsigned char *)sv, sig, (int)siglen);
	rc = idg_buf_add(out, el->data, at);
	if (rc == IDG_OK)
		rc = idg_buf_adds(out, "<Signature xmlns=\"" NS_DS "\">");
	if (rc == IDG_OK)
		rc = signed_info(out, false, id, dv);
	if (rc == IDG_OK)
		rc = idg_buf_printf(out, "<SignatureValue>%s</SignatureValue><KeyInfo><X509Data>"
		    "<X509Certificate>%s</X509Certificate></X509Data></KeyInfo></Signature>", sv,
		    idp->cert_b64);
	if (rc == IDG_OK)
		rc = idg_buf_add(out, el->data + at, el->len - at);
	return rc;
}

/* ---- writing ---- */

/*
 * <samlp:Response ...><saml:Issuer/>, then Status (top and second level);
 * *issuer_end: where the Response's signature goes.
 */
static int
response_head(struct idg_buf *b, struct idg_saml_idp *idp, const struct idg_saml_authn *req,
    const char *rid, const char *t_now, const char *top, const char *second,
    const char *message, size_t *issuer_end)
{
	int rc;

	rc = idg_buf_adds(b, "<samlp:Response xmlns:samlp=\"" NS_SAMLP "\"");
	if (rc == IDG_OK)
		rc = saml_xml_attr(b, "Destination", req->acs_url);
	if (rc == IDG_OK)
		rc = idg_buf_printf(b, " ID=\"%s\"", rid);
	if (rc == IDG_OK && req->request_id[0] != '\0')
		rc = saml_xml_attr(b, "InResponseTo", req->request_id);
	if (rc == IDG_OK)
		rc = idg_buf_printf(b, " IssueInstant=\"%s\" Version=\"2.0\">"
		    "<saml:Issuer xmlns:saml=\"" NS_SAML "\">", t_now);
	if (rc == IDG_OK)
		rc = saml_xml_escape(b, idp->urls.entity_id);
	if (rc == IDG_OK)
		rc = idg_buf_adds(b, "</saml:Issuer>");
	*issuer_end = b->len;
	if (rc == IDG_OK)
		rc = idg_buf_printf(b, "<samlp:Status><samlp:StatusCode Value=\"%s\">", top);
	if (rc == IDG_OK && second != NULL)
		rc = idg_buf_printf(b, "<samlp:StatusCode Value=\"%s\"></samlp:StatusCode>",
		    second);
	if (rc == IDG_OK)
		rc = idg_buf_adds(b, "</samlp:StatusCode>");
	if (rc == IDG_OK && message != NULL) {
		rc = idg_buf_adds(b, "<samlp:StatusMessage>");
		if (rc == IDG_OK)
			rc = saml_xml_escape(b, message);
		if (rc == IDG_OK)
			rc = idg_buf_adds(b, "</samlp:StatusMessage>");
	}
	if (rc == IDG_OK)
		rc = idg_buf_adds(b, "</samlp:Status>");
	return rc;
}

static int
attributes(struct idg_buf *b, const struct idg_saml_subject *s)
{
	int rc = IDG_OK;

	if (s->n_attrs == 0)
		return IDG_OK;
	rc = idg_buf_adds(b, "<saml:AttributeStatement>");
	for (size_t i = 0; i < s->n_attrs && rc == IDG_OK; i++) {
		const struct idg_saml_attr *a = &s->attrs[i];

		if (a->name == NULL || !idg_utf8_valid(a->name))
			return IDG_INVALID;
		rc = idg_buf_adds(b, "<saml:Attribute");
		if (rc == IDG_OK && a->friendly_name != NULL)
			rc = saml_xml_attr(b, "FriendlyName", a->friendly_name);
		if (rc == IDG_OK)
			rc = saml_xml_attr(b, "Name", a->name);
		if (rc == IDG_OK)
			rc = saml_xml_attr(b, "NameFormat", a->name_format ? a->name_format :
			    ATTR_BASIC);
		if (rc == IDG_OK)
			rc = idg_buf_adds(b, ">");
		for (size_t j = 0; j < a->n_values && rc == IDG_OK; j++) {
			if (a->values[j] == NULL || !idg_utf8_valid(a->values[j]))
				return IDG_INVALID;
			rc = idg_buf_adds(b, "<saml:AttributeValue>");
			if (rc == IDG_OK)
				rc = saml_xml_escape(b, a->values[j]);
			if (rc == IDG_OK)
				rc = idg_buf_adds(b, "</saml:AttributeValue>");
		}
		if (rc == IDG_OK)
			rc = idg_buf_adds(b, "</saml:Attribute>");
	}
	if (rc == IDG_OK)
		rc = idg_buf_adds(b, "</saml:AttributeStatement>");
	return rc;
}

struct times {
	char now[32], nb[32], noa[32], authn[32];
};

/* The assertion; *issuer_end: where its signature goes. */
static int
assertion(struct idg_buf *b, struct idg_saml_idp *idp, const struct saml_sp *sp,
    const struct idg_saml_authn *req, const struct idg_saml_subject *s, const char *aid,
    const struct times *t, size_t *issuer_end)
{
	int rc;

	/* its own namespace declaration: it may be encrypted, i.e. serialised alone */
	rc = idg_buf_printf(b, "<saml:Assertion xmlns:saml=\"" NS_SAML "\" ID=\"%s\" "
	    "IssueInstant=\"%s\" Version=\"2.0\"><saml:Issuer>", aid, t->now);
	if (rc == IDG_OK)
		rc = saml_xml_escape(b, idp->urls.entity_id);
	if (rc == IDG_OK)
		rc = idg_buf_adds(b, "</saml:Issuer>");
	*issuer_end = b->len;
	if (rc == IDG_OK)
		rc = idg_buf_printf(b, "<saml:Subject><saml:NameID Format=\"%s\"",
		    saml_nameid_uri(s->nameid_format));
	/* core 8.3.7: a persistent identifier is qualified by both parties */
	if (rc == IDG_OK && s->nameid_format == IDG_SAML_NAMEID_PERSISTENT) {
		rc = saml_xml_attr(b, "NameQualifier", idp->urls.entity_id);
		if (rc == IDG_OK)
			rc = saml_xml_attr(b, "SPNameQualifier", sp->entity_id);
	}
	if (rc == IDG_OK)
		rc = idg_buf_adds(b, ">");
	if (rc == IDG_OK)
		rc = saml_xml_escape(b, s->nameid);
	/* profiles 4.1.4.2: bearer confirmation bound to the ACS, a time and the request */
	if (rc == IDG_OK)
		rc = idg_buf_adds(b, "</saml:NameID><saml:SubjectConfirmation Method=\""
		    CM_BEARER "\"><saml:SubjectConfirmationData");
	if (rc == IDG_OK && req->request_id[0] != '\0')
		rc = saml_xml_attr(b, "InResponseTo", req->request_id);
	if (rc == IDG_OK)
		rc = idg_buf_printf(b, " NotOnOrAfter=\"%s\"", t->noa);
	if (rc == IDG_OK)
		rc = saml_xml_attr(b, "Recipient", req->acs_url);
	if (rc == IDG_OK)
		rc = idg_buf_printf(b, "></saml:SubjectConfirmationData></saml:SubjectConfirmation>"
		    "</saml:Subject>"
		    "<saml:Conditions NotBefore=\"%s\" NotOnOrAfter=\"%s\">"
		    "<saml:AudienceRestriction><saml:Audience>", t->nb, t->noa);
	if (rc == IDG_OK)
		rc = saml_xml_escape(b, sp->entity_id);
	if (rc == IDG_OK)
		rc = idg_buf_printf(b, "</saml:Audience></saml:AudienceRestriction>"
		    "</saml:Conditions><saml:AuthnStatement AuthnInstant=\"%s\"", t->authn);
	if (rc == IDG_OK)
		rc = saml_xml_attr(b, "SessionIndex", s->session_index);
	if (rc == IDG_OK)
		rc = idg_buf_adds(b, "><saml:AuthnContext><saml:AuthnContextClassRef>");
	if (rc == IDG_OK)
		rc = saml_xml_escape(b, s->authn_context ? s->authn_context : IDG_SAML_AC_PPT);
	if (rc == IDG_OK)
		rc = idg_buf_adds(b, "</saml:AuthnContextClassRef></saml:AuthnContext>"
		    "</saml:AuthnStatement>");
	if (rc == IDG_OK)
		rc = attributes(b, s);
	if (rc == IDG_OK)
		rc = idg_buf_adds(b, "</saml:Assertion>");
	return rc;
}

/* ---- encryption (saml-core 6.2) ---- */

/*
 * Replaces the assertion el with <saml:EncryptedAssertion>: the assertion
 * encrypted with a fresh AES-256 key, and that key encrypted with RSA-OAEP
 * to the SP's certificate (named in the EncryptedKey's KeyInfo).
 */
static int
encrypt_assertion(xmlDoc *doc, xmlNode *el, const struct saml_sp *sp)
{
	uint8_t k[SESSION_KEY_LEN];
	unsigned char ek_raw[1024];
	size_t ek_len = sizeof(ek_raw);
	xmlNode *ed, *ki, *ek, *ki2, *x509, *cert, *cv, *wrap;
	xmlNs *ns;
	xmlSecEncCtx *ctx = NULL;
	EVP_PKEY_CTX *pc = NULL;
	char *ek_b64 = NULL;
	int rc = IDG_ERR;

	if (idg_random(k, sizeof(k)) != IDG_OK)
		return IDG_ERR;
	ed = xmlSecTmplEncDataCreate(doc, xmlSecTransformAes256CbcId, NULL, xmlSecTypeEncElement,
	    NULL, NULL);
	if (ed == NULL || xmlSecTmplEncDataEnsureCipherValue(ed) == NULL)
		goto out;
	ctx = xmlSecEncCtxCreate(NULL);
	if (ctx == NULL)
		goto out;
	ctx->encKey = xmlSecKeyReadMemory(xmlSecKeyDataAesId, k, sizeof(k));
	if (ctx->encKey == NULL || xmlSecEncCtxXmlEncrypt(ctx, ed, el) < 0)
		goto out;
	/* el is freed now and ed stands in its place; the template is in the tree */
	wrap = xmlNewDocNode(doc, NULL, (const xmlChar *)"EncryptedAssertion", NULL);
	if (wrap == NULL)
		goto out_placed;
	ns = xmlSearchNsByHref(doc, ed->parent, (const xmlChar *)NS_SAML);
	if (ns == NULL)	/* declared on the Issuer only: on the Response then */
		ns = xmlNewNs(ed->parent, (const xmlChar *)NS_SAML, (const xmlChar *)"saml");
	xmlSetNs(wrap, ns);
	xmlReplaceNode(ed, wrap);
	xmlAddChild(wrap, ed);
	pc = EVP_PKEY_CTX_new(sp->enc_key, NULL);
	if (pc == NULL || EVP_PKEY_encrypt_init(pc) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_encrypt(pc, ek_raw, &ek_len, k, sizeof(k)) <= 0)
		goto out_placed;
	ek_b64 = saml_b64_encode(ek_raw, ek_len);
	/* the key transport written after the content is encrypted: xmlsec does no lookup */
	ki = xmlSecTmplEncDataEnsureKeyInfo(ed, NULL);
	ek = ki ? xmlSecTmplKeyInfoAddEncryptedKey(ki, xmlSecTransformRsaOaepId, NULL, NULL,
	    NULL) : NULL;
	ki2 = ek ? xmlSecTmplEncDataEnsureKeyInfo(ek, NULL) : NULL;
	x509 = ki2 ? xmlSecTmplKeyInfoAddX509Data(ki2) : NULL;
	cert = x509 ? xmlSecTmplX509DataAddCertificate(x509) : NULL;
	cv = ek ? xmlSecTmplEncDataEnsureCipherValue(ek) : NULL;
	if (ek_b64 == NULL || cert == NULL || cv == NULL)
		goto out_placed;
	xmlNodeSetContent(cert, (const xmlChar *)sp->enc_cert_b64);
	xmlNodeSetContent(cv, (const xmlChar *)ek_b64);
	rc = IDG_OK;
out_placed:
	ed = NULL;	/* owned by the document */
out:
	idg_wipe(k, sizeof(k));
	if (ed != NULL)
		xmlFreeNode(ed);
	if (ctx != NULL)
		xmlSecEncCtxDestroy(ctx);
	EVP_PKEY_CTX_free(pc);
	free(ek_b64);
	return rc;
}

/* ---- the message ---- */

/* Fills out with the base64 of xml for the POST binding to the request's ACS. */
static int
post_out(const struct idg_saml_authn *req, const char *rid, const void *xml, size_t len,
    struct idg_saml_out *out)
{
	memset(out, 0, sizeof(*out));
	out->binding = IDG_SAML_BINDING_POST;
	out->param_name = "SAMLResponse";
	idg_strlcpy(out->message_id, rid, sizeof(out->message_id));
	out->url = strdup(req->acs_url);
	out->value = saml_b64_encode(xml, len);
	if (req->has_relay_state)
		out->relay_state = strdup(req->relay_state);
	if (out->url == NULL || out->value == NULL ||
	    (req->has_relay_state && out->relay_state == NULL)) {
		idg_saml_out_free(out);
		return IDG_ERR;
	}
	return IDG_OK;
}

/*
 * An encrypted assertion: xml (our own text) is parsed, the assertion
 * signed with xmlsec when asked, then encrypted, then the Response signed
 * when asked.
 */
static int
finish_encrypted(struct idg_saml_idp *idp, const struct saml_sp *sp,
    const struct idg_saml_authn *req, const struct idg_buf *xml, const char *rid,
    const char *aid, struct idg_saml_out *out)
{
	xmlDoc *doc;
	xmlNode *root, *as;
	xmlChar *dump = NULL;
	int len = 0, rc = IDG_ERR;

	doc = xmlReadMemory(xml->data, (int)xml->len, NULL, "UTF-8",
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return IDG_INVALID;	/* a value the escaping could not make XML */
	root = xmlDocGetRootElement(doc);
	as = saml_child(root, NS_SAML, "Assertion");
	if (as == NULL)
		goto out;
	/* signed before it is encrypted, so the Response's digest covers the result */
	if ((sp->sign_assertion || !sp->sign_response) &&
	    saml_sign_element(idp, doc, as, aid) != IDG_OK)
		goto out;
	if (encrypt_assertion(doc, as, sp) != IDG_OK)
		goto out;
	if (sp->sign_response && saml_sign_element(idp, doc, root, rid) != IDG_OK)
		goto out;
	xmlDocDumpMemoryEnc(doc, &dump, &len, "UTF-8");
	if (dump != NULL)
		rc = post_out(req, rid, dump, (size_t)len, out);
out:
	xmlFree(dump);
	xmlFreeDoc(doc);
	return rc;
}

int
idg_saml_response(struct idg_saml_idp *idp, const struct idg_saml_authn *req,
    const struct idg_saml_subject *s, int64_t now, int lifetime_s, int skew_s,
    struct idg_saml_out *out)
{
	struct saml_sp *sp;
	struct idg_buf as, resp, doc;
	struct times t;
	char rid[40], aid[40];
	size_t as_at = 0, resp_at = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (req == NULL || s == NULL || req->reason != IDG_SAML_R_NONE ||
	    req->acs_url[0] == '\0' || s->nameid == NULL || s->nameid[0] == '\0' ||
	    strlen(s->nameid) > IDG_SAML_NAMEID_MAX || s->session_index == NULL ||
	    s->nameid_format != req->nameid_format || lifetime_s <= 0 || skew_s < 0 ||
	    !idg_utf8_valid(s->nameid) || !idg_utf8_valid(s->session_index))
		return IDG_INVALID;
	sp = saml_sp_find(idp, req->sp_entity_id);
	if (sp == NULL)
		return IDG_INVALID;
	if (saml_new_id(rid, sizeof(rid)) != IDG_OK || saml_new_id(aid, sizeof(aid)) != IDG_OK)
		return IDG_ERR;
	saml_time_fmt(now, t.now, sizeof(t.now));
	saml_time_fmt(now - skew_s, t.nb, sizeof(t.nb));
	saml_time_fmt(now + lifetime_s, t.noa, sizeof(t.noa));
	saml_time_fmt(s->authn_instant ? s->authn_instant : now, t.authn, sizeof(t.authn));
	idg_buf_init(&as, IDG_SAML_MAX_XML_BYTES);
	idg_buf_init(&resp, IDG_SAML_MAX_XML_BYTES);
	idg_buf_init(&doc, IDG_SAML_MAX_XML_BYTES);
	/*
	 * Profiles 4.1.3.5: over POST each assertion is signed, by itself or by
	 * the Response around it. The assertion is signed first, so the
	 * Response's digest covers its signature.
	 */
	rc = assertion(&as, idp, sp, req, s, aid, &t, &as_at);
	if (rc == IDG_OK)
		rc = response_head(&resp, idp, req, rid, t.now, SAML_STATUS("Success"), NULL, NULL,
		    &resp_at);
	if (rc == IDG_OK && !sp->encrypt_assertion && (sp->sign_assertion || !sp->sign_response))
		rc = sign_text(idp, &as, as_at, aid, &resp);
	else if (rc == IDG_OK)
		rc = idg_buf_add(&resp, as.data, as.len);
	if (rc == IDG_OK)
		rc = idg_buf_adds(&resp, "</samlp:Response>");
	if (rc == IDG_OK)
		rc = idg_buf_adds(&doc, XML_DECL);
	if (rc == IDG_OK && sp->encrypt_assertion)
		rc = finish_encrypted(idp, sp, req, &resp, rid, aid, out);
	else if (rc == IDG_OK) {
		rc = sp->sign_response ? sign_text(idp, &resp, resp_at, rid, &doc) :
		    idg_buf_add(&doc, resp.data, resp.len);
		if (rc == IDG_OK)
			rc = post_out(req, rid, doc.data, doc.len, out);
	} else if (rc == IDG_ERR)
		rc = IDG_INVALID;	/* a value XML cannot carry, or too long */
	if (rc != IDG_OK && rc != IDG_INVALID)
		log_error("%s: building the Response for %s failed", idp->urls.entity_id,
		    sp->entity_id);
	idg_buf_free(&as);
	idg_buf_free(&resp);
	idg_buf_free(&doc);
	return rc;
}

int
idg_saml_error_response(struct idg_saml_idp *idp, const struct idg_saml_authn *req,
    enum idg_saml_status st, const char *message, int64_t now, struct idg_saml_out *out)
{
	static const struct {
		const char *top, *second;
	} codes[] = {
		[IDG_SAML_ST_REQUESTER] = { SAML_STATUS("Requester"), NULL },
		[IDG_SAML_ST_RESPONDER] = { SAML_STATUS("Responder"), NULL },
		[IDG_SAML_ST_NO_PASSIVE] = { SAML_STATUS("Responder"),
		    SAML_STATUS("NoPassive") },
		[IDG_SAML_ST_INVALID_NAMEID_POLICY] = { SAML_STATUS("Requester"),
		    SAML_STATUS("InvalidNameIDPolicy") },
		[IDG_SAML_ST_REQUEST_DENIED] = { SAML_STATUS("Responder"),
		    SAML_STATUS("RequestDenied") },
		[IDG_SAML_ST_AUTHN_FAILED] = { SAML_STATUS("Responder"),
		    SAML_STATUS("AuthnFailed") },
		[IDG_SAML_ST_REQUEST_UNSUPPORTED] = { SAML_STATUS("Requester"),
		    SAML_STATUS("RequestUnsupported") },
	};
	struct saml_sp *sp;
	struct idg_buf b, doc;
	char rid[40], t_now[32];
	size_t at = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (req == NULL || (size_t)st >= sizeof(codes) / sizeof(codes[0]) ||
	    req->acs_url[0] == '\0' || (req->reason != IDG_SAML_R_NONE && !req->can_respond))
		return IDG_INVALID;
	sp = saml_sp_find(idp, req->sp_entity_id);
	if (sp == NULL)
		return IDG_INVALID;
	if (saml_new_id(rid, sizeof(rid)) != IDG_OK)
		return IDG_ERR;
	if (message != NULL && !idg_utf8_valid(message))
		message = NULL;
	saml_time_fmt(now, t_now, sizeof(t_now));
	idg_buf_init(&b, IDG_SAML_MAX_XML_BYTES);
	idg_buf_init(&doc, IDG_SAML_MAX_XML_BYTES);
	/* an error Response, with no assertion, is always signed */
	rc = response_head(&b, idp, req, rid, t_now, codes[st].top, codes[st].second, message,
	    &at);
	if (rc == IDG_OK)
		rc = idg_buf_adds(&b, "</samlp:Response>");
	if (rc == IDG_OK)
		rc = idg_buf_adds(&doc, XML_DECL);
	if (rc == IDG_OK)
		rc = sign_text(idp, &b, at, rid, &doc);
	if (rc == IDG_OK)
		rc = post_out(req, rid, doc.data, doc.len, out);
	else
		log_error("%s: building an error Response for %s failed", idp->urls.entity_id,
		    sp->entity_id);
	idg_buf_free(&b);
	idg_buf_free(&doc);
	return rc;
}
