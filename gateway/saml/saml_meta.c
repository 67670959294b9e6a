/*
 * saml_meta.c - SAML metadata: reading an SP's EntityDescriptor (for the
 * IdP and for the CLI to validate and show), rendering one from fields, and
 * rendering our own IdP metadata from a template (lasso has no generator).
 *
 * Not here: fetching metadata from a URL (the CLI does that) and metadata
 * signature checking (SP metadata is trusted because a tenant admin
 * registered it, not because of a signature).
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "gateway/saml/saml_int.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"

static enum idg_saml_binding
binding_of(const char *uri)
{
	if (strcmp(uri, BINDING_REDIRECT) == 0)
		return IDG_SAML_BINDING_REDIRECT;
	if (strcmp(uri, BINDING_POST) == 0)
		return IDG_SAML_BINDING_POST;
	return IDG_SAML_BINDING_OTHER;
}

static const char *
binding_uri(enum idg_saml_binding b)
{
	return b == IDG_SAML_BINDING_REDIRECT ? BINDING_REDIRECT : BINDING_POST;
}

static bool
url_ok(const char *u)
{
	if (strncmp(u, "https://", 8) == 0)
		return u[8] != '\0' && u[8] != '/';
	/* plain http only for local development SPs */
	return strncmp(u, "http://localhost", 16) == 0 || strncmp(u, "http://127.0.0.1", 16) == 0;
}

void
idg_saml_sp_info_free(struct idg_saml_sp_info *info)
{
	if (info == NULL)
		return;
	for (size_t i = 0; i < info->n_signing_certs; i++)
		free(info->signing_cert_pem[i]);
	free(info->encryption_cert_pem);
	memset(info, 0, sizeof(*info));
}

/* Returns the PEM of the first X509Certificate under a KeyDescriptor. */
static char *
key_descriptor_pem(const xmlNode *kd)
{
	const xmlNode *ki, *xd, *xc;
	xmlChar *v;
	char *pem;
	EVP_PKEY *k;

	ki = saml_child(kd, NS_DS, "KeyInfo");
	xd = saml_child(ki, NS_DS, "X509Data");
	xc = saml_child(xd, NS_DS, "X509Certificate");
	if (xc == NULL || (v = xmlNodeGetContent(xc)) == NULL)
		return NULL;
	pem = saml_cert_pem_from_b64((const char *)v);
	xmlFree(v);
	if (pem == NULL)
		return NULL;
	if ((k = saml_cert_pubkey(pem)) == NULL) {
		free(pem);
		return NULL;
	}
	EVP_PKEY_free(k);
	return pem;
}

int
idg_saml_sp_metadata_check(const char *xml, struct idg_saml_sp_info *out, char *err,
    size_t errsz)
{
	enum idg_saml_reason r;
	xmlDoc *doc;
	xmlNode *ed, *sp, *n;
	char tmp[IDG_SAML_URL_MAX + 1];
	bool have_default = false;
	int rc = IDG_INVALID;

	memset(out, 0, sizeof(*out));
	if (xml == NULL || strlen(xml) > IDG_SAML_MAX_XML_BYTES) {
		saml_seterr(err, errsz, "metadata missing or over %d bytes",
		    IDG_SAML_MAX_XML_BYTES);
		return IDG_INVALID;
	}
	doc = saml_xml_parse(xml, strlen(xml), &r);
	if (doc == NULL) {
		saml_seterr(err, errsz, "%s", r == IDG_SAML_R_DTD_REFUSED ?
		    "metadata contains a DOCTYPE" : "metadata is not well-formed XML");
		return IDG_INVALID;
	}
	ed = xmlDocGetRootElement(doc);
	if (!saml_is(ed, NS_MD, "EntityDescriptor")) {
		saml_seterr(err, errsz, "root element is not md:EntityDescriptor");
		goto out;
	}
	if (!saml_attr(ed, "entityID", out->entity_id, sizeof(out->entity_id)) ||
	    out->entity_id[0] == '\0') {
		saml_seterr(err, errsz, "entityID missing or too long");
		goto out;
	}
	sp = saml_child(ed, NS_MD, "SPSSODescriptor");
	if (sp == NULL) {
		saml_seterr(err, errsz, "no SPSSODescriptor");
		goto out;
	}
	out->authn_requests_signed = saml_attr(sp, "AuthnRequestsSigned", tmp, sizeof(tmp)) &&
	    (strcmp(tmp, "true") == 0 || strcmp(tmp, "1") == 0);
	out->want_assertions_signed = saml_attr(sp, "WantAssertionsSigned", tmp, sizeof(tmp)) &&
	    (strcmp(tmp, "true") == 0 || strcmp(tmp, "1") == 0);
	for (n = saml_child(sp, NS_MD, "KeyDescriptor"); n != NULL;
	    n = saml_next(n->next, NS_MD, "KeyDescriptor")) {
		char use[32];
		char *pem;

		saml_attr(n, "use", use, sizeof(use));
		pem = key_descriptor_pem(n);
		if (pem == NULL) {
			saml_seterr(err, errsz, "a KeyDescriptor holds no valid X.509 certificate");
			goto out;
		}
		/* no "use" means both signing and encryption (metadata 2.4.1.1) */
		if (strcmp(use, "encryption") != 0 &&
		    out->n_signing_certs < IDG_SAML_MAX_CERTS) {
			out->signing_cert_pem[out->n_signing_certs++] = pem;
			pem = NULL;
			if (use[0] == '\0' && out->encryption_cert_pem == NULL)
				out->encryption_cert_pem =
				    strdup(out->signing_cert_pem[out->n_signing_certs - 1]);
		} else if (strcmp(use, "encryption") == 0) {
			free(out->encryption_cert_pem);
			out->encryption_cert_pem = pem;
			pem = NULL;
		}
		free(pem);
	}
	for (n = saml_child(sp, NS_MD, "SingleLogoutService"); n != NULL;
	    n = saml_next(n->next, NS_MD, "SingleLogoutService")) {
		enum idg_saml_binding b;
		char loc[IDG_SAML_URL_MAX + 1], rloc[IDG_SAML_URL_MAX + 1];

		if (!saml_attr(n, "Binding", tmp, sizeof(tmp)) ||
		    (b = binding_of(tmp)) == IDG_SAML_BINDING_OTHER)
			continue;
		if (!saml_attr(n, "Location", loc, sizeof(loc)) || !url_ok(loc)) {
			saml_seterr(err, errsz, "SingleLogoutService Location invalid");
			goto out;
		}
		/* our LogoutResponse goes to ResponseLocation when given (metadata 2.2.2) */
		if (saml_attr(n, "ResponseLocation", rloc, sizeof(rloc)) && url_ok(rloc))
			idg_strlcpy(loc, rloc, sizeof(loc));
		/* Redirect preferred (front channel, no form needed) */
		if (out->slo.url[0] == '\0' || (b == IDG_SAML_BINDING_REDIRECT &&
		    out->slo.binding != IDG_SAML_BINDING_REDIRECT)) {
			idg_strlcpy(out->slo.url, loc, sizeof(out->slo.url));
			out->slo.binding = b;
			out->slo.index = -1;
		}
	}
	for (n = saml_child(sp, NS_MD, "NameIDFormat"); n != NULL;
	    n = saml_next(n->next, NS_MD, "NameIDFormat")) {
		if (out->n_nameid_formats < 3 && saml_text(n, out->nameid_formats[
		    out->n_nameid_formats], sizeof(out->nameid_formats[0])))
			out->n_nameid_formats++;
	}
	for (n = saml_child(sp, NS_MD, "AssertionConsumerService"); n != NULL;
	    n = saml_next(n->next, NS_MD, "AssertionConsumerService")) {
		struct idg_saml_endpoint *e;
		long idx;

		if (out->n_acs == IDG_SAML_MAX_ACS) {
			saml_seterr(err, errsz, "more than %d AssertionConsumerService",
			    IDG_SAML_MAX_ACS);
			goto out;
		}
		e = &out->acs[out->n_acs];
		if (!saml_attr(n, "Binding", tmp, sizeof(tmp))) {
			saml_seterr(err, errsz, "AssertionConsumerService without Binding");
			goto out;
		}
		e->binding = binding_of(tmp);
		if (!saml_attr(n, "Location", e->url, sizeof(e->url)) || !url_ok(e->url)) {
			saml_seterr(err, errsz, "AssertionConsumerService Location missing or not "
			    "https");
			goto out;
		}
		if (!saml_attr(n, "index", tmp, sizeof(tmp)) ||
		    idg_parse_long(tmp, 0, 65535, &idx) != IDG_OK) {
			saml_seterr(err, errsz, "AssertionConsumerService index missing or bad");
			goto out;
		}
		e->index = (int)idx;
		for (size_t i = 0; i < out->n_acs; i++) {
			if (out->acs[i].index == e->index) {
				saml_seterr(err, errsz, "ACS index %d repeated", e->index);
				goto out;
			}
		}
		e->is_default = saml_attr(n, "isDefault", tmp, sizeof(tmp)) &&
		    (strcmp(tmp, "true") == 0 || strcmp(tmp, "1") == 0);
		if (e->is_default) {
			if (have_default) {
				saml_seterr(err, errsz, "two default AssertionConsumerService");
				goto out;
			}
			have_default = true;
		}
		out->n_acs++;
	}
	if (out->n_acs == 0) {
		saml_seterr(err, errsz, "no AssertionConsumerService");
		goto out;
	}
	rc = IDG_OK;
out:
	xmlFreeDoc(doc);
	if (rc != IDG_OK)
		idg_saml_sp_info_free(out);
	return rc;
}

static int
add_key_descriptor(struct idg_buf *b, const char *use, const char *pem)
{
	char *cb64 = saml_cert_b64(pem);
	int rc;

	if (cb64 == NULL)
		return IDG_INVALID;
	rc = idg_buf_printf(b, "<md:KeyDescriptor use=\"%s\"><ds:KeyInfo><ds:X509Data>"
	    "<ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
	    "</md:KeyDescriptor>", use, cb64);
	free(cb64);
	return rc;
}

int
idg_saml_sp_metadata_from_fields(const struct idg_saml_sp_fields *f, struct idg_buf *out,
    char *err, size_t errsz)
{
	struct idg_buf b;
	int rc = IDG_INVALID;

	if (f == NULL || f->entity_id == NULL || f->entity_id[0] == '\0' ||
	    strlen(f->entity_id) > IDG_SAML_URL_MAX) {
		saml_seterr(err, errsz, "entity ID missing or too long");
		return IDG_INVALID;
	}
	if (f->n_acs == 0 || f->n_acs > IDG_SAML_MAX_ACS) {
		saml_seterr(err, errsz, "1 to %d ACS URLs are needed", IDG_SAML_MAX_ACS);
		return IDG_INVALID;
	}
	idg_buf_init(&b, IDG_SAML_MAX_XML_BYTES);
	if (idg_buf_adds(&b, "<md:EntityDescriptor xmlns:md=\"" NS_MD "\" xmlns:ds=\"" NS_DS
	    "\"") != IDG_OK || saml_xml_attr(&b, "entityID", f->entity_id) != IDG_OK)
		goto bad;
	if (idg_buf_printf(&b, "><md:SPSSODescriptor AuthnRequestsSigned=\"%s\" "
	    "WantAssertionsSigned=\"%s\" protocolSupportEnumeration=\"" NS_SAMLP "\">",
	    f->authn_requests_signed ? "true" : "false",
	    f->want_assertions_signed ? "true" : "false") != IDG_OK)
		goto bad;
	if (f->signing_cert_pem != NULL &&
	    add_key_descriptor(&b, "signing", f->signing_cert_pem) != IDG_OK) {
		saml_seterr(err, errsz, "signing certificate is not a PEM X.509 certificate");
		goto bad;
	}
	if (f->encryption_cert_pem != NULL &&
	    add_key_descriptor(&b, "encryption", f->encryption_cert_pem) != IDG_OK) {
		saml_seterr(err, errsz, "encryption certificate is not a PEM X.509 certificate");
		goto bad;
	}
	if (f->slo_url != NULL) {
		if (!url_ok(f->slo_url) || (f->slo_binding != IDG_SAML_BINDING_REDIRECT &&
		    f->slo_binding != IDG_SAML_BINDING_POST)) {
			saml_seterr(err, errsz, "SLO URL must be https with Redirect or POST");
			goto bad;
		}
		if (idg_buf_printf(&b, "<md:SingleLogoutService Binding=\"%s\"",
		    binding_uri(f->slo_binding)) != IDG_OK ||
		    saml_xml_attr(&b, "Location", f->slo_url) != IDG_OK ||
		    idg_buf_adds(&b, "/>") != IDG_OK)
			goto bad;
	}
	if (idg_buf_printf(&b, "<md:NameIDFormat>%s</md:NameIDFormat>",
	    saml_nameid_uri(f->nameid_format)) != IDG_OK)
		goto bad;
	for (size_t i = 0; i < f->n_acs; i++) {
		const struct idg_saml_endpoint *e = &f->acs[i];

		if (!url_ok(e->url) || e->index < 0 || (e->binding != IDG_SAML_BINDING_POST &&
		    e->binding != IDG_SAML_BINDING_REDIRECT)) {
			saml_seterr(err, errsz, "ACS %zu: https URL, index >= 0 and Redirect or "
			    "POST binding needed", i + 1);
			goto bad;
		}
		if (idg_buf_printf(&b, "<md:AssertionConsumerService Binding=\"%s\" index=\"%d\""
		    "%s", binding_uri(e->binding), e->index,
		    e->is_default ? " isDefault=\"true\"" : "") != IDG_OK ||
		    saml_xml_attr(&b, "Location", e->url) != IDG_OK || idg_buf_adds(&b, "/>") != IDG_OK)
			goto bad;
	}
	if (idg_buf_adds(&b, "</md:SPSSODescriptor></md:EntityDescriptor>") != IDG_OK)
		goto bad;
	/* what we render must read back */
	{
		struct idg_saml_sp_info info;

		if (idg_saml_sp_metadata_check(b.data, &info, err, errsz) != IDG_OK)
			goto bad;
		idg_saml_sp_info_free(&info);
	}
	rc = idg_buf_add(out, b.data, b.len);
	idg_buf_free(&b);
	return rc;
bad:
	if (err != NULL && err[0] == '\0')
		saml_seterr(err, errsz, "a field holds characters XML cannot carry");
	idg_buf_free(&b);
	return rc;
}

static bool
host_ok(const char *h)
{
	if (h == NULL || h[0] == '\0' || strlen(h) > 253)
		return false;
	for (const char *p = h; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == ':'))
			return false;
	}
	return true;
}

int
idg_saml_idp_urls(const struct idg_saml_idp_conf *c, struct idg_saml_idp_urls *out)
{
	memset(out, 0, sizeof(*out));
	if (c == NULL || !host_ok(c->public_host) || c->company_id == NULL ||
	    !idg_company_id_valid(c->company_id))
		return IDG_INVALID;
	/* host <= 253 and company ID <= 32 bytes: nothing below can truncate */
	if (snprintf(out->entity_id, sizeof(out->entity_id), "https://%s/saml/%s",
	    c->public_host, c->company_id) >= (int)sizeof(out->entity_id) ||
	    snprintf(out->sso, sizeof(out->sso), "%s/sso", out->entity_id) >=
	    (int)sizeof(out->sso) ||
	    snprintf(out->slo, sizeof(out->slo), "%s/slo", out->entity_id) >=
	    (int)sizeof(out->slo) ||
	    snprintf(out->metadata, sizeof(out->metadata), "%s/metadata", out->entity_id) >=
	    (int)sizeof(out->metadata))
		return IDG_INVALID;
	return IDG_OK;
}

int
idg_saml_metadata(const struct idg_saml_idp_conf *c, struct idg_buf *out)
{
	struct idg_saml_idp_urls u;
	struct idg_buf b;
	static const char *const bindings[] = { BINDING_REDIRECT, BINDING_POST };
	int rc = IDG_INVALID;

	if (idg_saml_idp_urls(c, &u) != IDG_OK || c->signing_cert_pem == NULL)
		return IDG_INVALID;
	idg_buf_init(&b, IDG_SAML_MAX_XML_BYTES);
	if (idg_buf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<md:EntityDescriptor xmlns:md=\"" NS_MD "\" xmlns:ds=\"" NS_DS "\"") != IDG_OK ||
	    saml_xml_attr(&b, "entityID", u.entity_id) != IDG_OK ||
	    idg_buf_adds(&b, "><md:IDPSSODescriptor WantAuthnRequestsSigned=\"false\" "
	    "protocolSupportEnumeration=\"" NS_SAMLP "\">") != IDG_OK)
		goto out;
	/* metadata 2.4.1.1: every current and next signing key */
	if (add_key_descriptor(&b, "signing", c->signing_cert_pem) != IDG_OK)
		goto out;
	for (size_t i = 0; i < c->n_extra_certs; i++)
		if (add_key_descriptor(&b, "signing", c->extra_cert_pem[i]) != IDG_OK)
			goto out;
	for (size_t i = 0; i < 2; i++) {
		if (idg_buf_printf(&b, "<md:SingleLogoutService Binding=\"%s\"", bindings[i]) !=
		    IDG_OK || saml_xml_attr(&b, "Location", u.slo) != IDG_OK ||
		    idg_buf_adds(&b, "/>") != IDG_OK)
			goto out;
	}
	if (idg_buf_adds(&b, "<md:NameIDFormat>" FMT_EMAIL "</md:NameIDFormat>"
	    "<md:NameIDFormat>" FMT_PERSISTENT "</md:NameIDFormat>"
	    "<md:NameIDFormat>" FMT_UNSPEC "</md:NameIDFormat>") != IDG_OK)
		goto out;
	for (size_t i = 0; i < 2; i++) {
		if (idg_buf_printf(&b, "<md:SingleSignOnService Binding=\"%s\"", bindings[i]) !=
		    IDG_OK || saml_xml_attr(&b, "Location", u.sso) != IDG_OK ||
		    idg_buf_adds(&b, "/>") != IDG_OK)
			goto out;
	}
	if (idg_buf_adds(&b, "</md:IDPSSODescriptor></md:EntityDescriptor>\n") != IDG_OK)
		goto out;
	rc = idg_buf_add(out, b.data, b.len);
out:
	idg_buf_free(&b);
	return rc;
}
