/*
 * saml_slo.c - single logout (saml-profiles 4.4): an SP's LogoutRequest in
 * and our LogoutResponse out; our LogoutRequest to an SP and its
 * LogoutResponse in. Messages are rendered from templates and signed here:
 * Redirect with an RSA-SHA256 query signature, POST with an enveloped
 * xmlsec signature (exclusive c14n, SHA-256 digest).
 *
 * It keeps no logout state: the caller remembers which SPs were asked and
 * the request IDs (out->message_id) to match their answers.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "gateway/saml/saml_idp_int.h"
#include "gateway/util/crypto.h"
#include "gateway/util/log.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"


/* Signs the root element (ID id) of xml, our own text; the result in base64. */
static char *
xml_sign(struct idg_saml_idp *idp, const char *xml, const char *id)
{
	xmlDoc *doc;
	xmlChar *outx = NULL;
	char *ret = NULL;
	int outlen = 0;

	doc = xmlReadMemory(xml, (int)strlen(xml), NULL, "UTF-8",
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc != NULL &&
	    saml_sign_element(idp, doc, xmlDocGetRootElement(doc), id) == IDG_OK) {
		xmlDocDumpMemoryEnc(doc, &outx, &outlen, "UTF-8");
		if (outx != NULL)
			ret = saml_b64_encode(outx, (size_t)outlen);
	}
	if (ret == NULL)
		log_error("%s: signing a logout message failed", idp->urls.entity_id);
	xmlFree(outx);
	xmlFreeDoc(doc);
	return ret;
}

/* Delivers xml to url with binding, as out (param: SAMLRequest or SAMLResponse). */
static int
deliver(struct idg_saml_idp *idp, const char *url, enum idg_saml_binding b, const char *param,
    const char *xml, const char *id, const char *relay_state, struct idg_saml_out *out)
{
	memset(out, 0, sizeof(*out));
	out->binding = b;
	out->param_name = param;
	idg_strlcpy(out->message_id, id, sizeof(out->message_id));
	if (b == IDG_SAML_BINDING_REDIRECT) {
		out->url = saml_query_sign(url, param, xml, relay_state, idp->key);
		if (out->url == NULL)
			goto fail;
		return IDG_OK;
	}
	out->url = strdup(url);
	out->value = xml_sign(idp, xml, id);
	if (out->url == NULL || out->value == NULL)
		goto fail;
	if (relay_state != NULL && (out->relay_state = strdup(relay_state)) == NULL)
		goto fail;
	return IDG_OK;
fail:
	idg_saml_out_free(out);
	return IDG_ERR;
}

static int
xml_head(struct idg_buf *b, const char *elem, const char *id, const char *issue_instant,
    const char *dest)
{
	if (idg_buf_printf(b, "<samlp:%s xmlns:samlp=\"" NS_SAMLP "\" xmlns:saml=\"" NS_SAML
	    "\" ID=\"%s\" Version=\"2.0\" IssueInstant=\"%s\"", elem, id, issue_instant) !=
	    IDG_OK || saml_xml_attr(b, "Destination", dest) != IDG_OK)
		return IDG_ERR;
	return IDG_OK;
}

/* ---- an SP's LogoutRequest to us ---- */

int
idg_saml_logout_parse(struct idg_saml_idp *idp, const struct idg_saml_msg_in *in, int64_t now,
    int skew_s, struct idg_saml_logout_req *out, char *err, size_t errsz)
{
	struct saml_msg m;
	struct saml_sp *sp;
	xmlNode *n;
	enum idg_saml_reason r = IDG_SAML_R_MALFORMED;
	char issuer_s[IDG_SAML_URL_MAX + 1], v[64];
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
	r = IDG_SAML_R_MALFORMED;
	if (!saml_is(m.root, NS_SAMLP, "LogoutRequest") ||
	    !saml_text(saml_child(m.root, NS_SAML, "Issuer"), issuer_s, sizeof(issuer_s)) ||
	    !saml_attr(m.root, "ID", out->request_id, sizeof(out->request_id)) ||
	    out->request_id[0] == '\0') {
		saml_seterr(err, errsz, "not a LogoutRequest with Issuer and ID");
		goto refuse;
	}
	sp = saml_sp_find(idp, issuer_s);
	if (sp == NULL) {
		r = IDG_SAML_R_UNKNOWN_SP;
		goto refuse;
	}
	idg_strlcpy(out->sp_entity_id, sp->entity_id, sizeof(out->sp_entity_id));
	if (saml_sig_check(sp, &m, sp->want_signed, &out->signed_request, &r) != IDG_OK)
		goto refuse;
	out->can_respond = sp->info.slo.url[0] != '\0';
	if (saml_check_header(&m, idp->urls.slo, now, skew_s, &out->issue_instant, &r) != IDG_OK)
		goto refuse;
	/* core 3.7.1: a LogoutRequest past NotOnOrAfter is void */
	if (saml_attr(m.root, "NotOnOrAfter", v, sizeof(v))) {
		if (!saml_time_parse(v, &out->not_on_or_after)) {
			r = IDG_SAML_R_MALFORMED;
			goto refuse;
		}
		if (now - skew_s >= out->not_on_or_after) {
			r = IDG_SAML_R_REQUEST_EXPIRED;
			goto refuse;
		}
	}
	n = saml_child(m.root, NS_SAML, "NameID");
	if (n == NULL || !saml_text(n, out->nameid, sizeof(out->nameid))) {
		saml_seterr(err, errsz, "no NameID (EncryptedID is not supported)");
		r = IDG_SAML_R_MALFORMED;
		goto refuse;
	}
	saml_attr(n, "Format", out->nameid_format, sizeof(out->nameid_format));
	for (n = saml_child(m.root, NS_SAMLP, "SessionIndex"); n != NULL;
	    n = saml_next(n->next, NS_SAMLP, "SessionIndex")) {
		if (out->n_session_index == IDG_SAML_MAX_SESSION_INDEX ||
		    !saml_text(n, out->session_index[out->n_session_index],
		    sizeof(out->session_index[0]))) {
			r = IDG_SAML_R_MALFORMED;
			goto refuse;
		}
		out->n_session_index++;
	}
	saml_msg_free(&m);
	return IDG_OK;
refuse:
	saml_msg_free(&m);
	out->reason = r;
	return IDG_DECLINED;
}

int
idg_saml_logout_response(struct idg_saml_idp *idp, const struct idg_saml_logout_req *req,
    bool partial, int64_t now, struct idg_saml_out *out)
{
	struct saml_sp *sp;
	struct idg_buf b;
	char id[40], t[32];
	int rc = IDG_ERR;

	memset(out, 0, sizeof(*out));
	if (req == NULL || req->sp_entity_id[0] == '\0' ||
	    (sp = saml_sp_find(idp, req->sp_entity_id)) == NULL ||
	    sp->info.slo.url[0] == '\0' || (req->reason != IDG_SAML_R_NONE && !req->can_respond))
		return IDG_INVALID;
	if (saml_new_id(id, sizeof(id)) != IDG_OK)
		return IDG_ERR;
	saml_time_fmt(now, t, sizeof(t));
	idg_buf_init(&b, IDG_SAML_MAX_XML_BYTES);
	if (xml_head(&b, "LogoutResponse", id, t, sp->info.slo.url) != IDG_OK ||
	    saml_xml_attr(&b, "InResponseTo", req->request_id) != IDG_OK ||
	    idg_buf_adds(&b, "><saml:Issuer>") != IDG_OK ||
	    saml_xml_escape(&b, idp->urls.entity_id) != IDG_OK ||
	    idg_buf_adds(&b, "</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"") != IDG_OK)
		goto out;
	/* a refused request is answered Requester; core 3.7.3.2 PartialLogout */
	if (req->reason != IDG_SAML_R_NONE) {
		if (idg_buf_adds(&b, SAML_STATUS("Requester") "\"/>") != IDG_OK)
			goto out;
	} else if (idg_buf_printf(&b, SAML_STATUS("Success") "\"%s", partial ?
	    "><samlp:StatusCode Value=\"" SAML_STATUS("PartialLogout") "\"/></samlp:StatusCode>" :
	    "/>") != IDG_OK) {
		goto out;
	}
	if (idg_buf_adds(&b, "</samlp:Status></samlp:LogoutResponse>") != IDG_OK)
		goto out;
	rc = deliver(idp, sp->info.slo.url, sp->info.slo.binding, "SAMLResponse", b.data, id,
	    req->has_relay_state ? req->relay_state : NULL, out);
out:
	idg_buf_free(&b);
	return rc;
}

/* ---- our LogoutRequest to an SP ---- */

int
idg_saml_logout_request(struct idg_saml_idp *idp, const struct idg_saml_logout_target *t,
    int64_t now, int lifetime_s, struct idg_saml_out *out)
{
	struct saml_sp *sp;
	struct idg_buf b;
	char id[40], ti[32], tn[32];
	int rc = IDG_ERR;

	memset(out, 0, sizeof(*out));
	if (t == NULL || t->sp_entity_id == NULL || t->nameid == NULL || lifetime_s <= 0 ||
	    (t->relay_state != NULL && strlen(t->relay_state) > IDG_SAML_RELAY_STATE_MAX))
		return IDG_INVALID;
	sp = saml_sp_find(idp, t->sp_entity_id);
	if (sp == NULL || sp->info.slo.url[0] == '\0')
		return IDG_NOTFOUND;
	if (saml_new_id(id, sizeof(id)) != IDG_OK)
		return IDG_ERR;
	saml_time_fmt(now, ti, sizeof(ti));
	saml_time_fmt(now + lifetime_s, tn, sizeof(tn));
	idg_buf_init(&b, IDG_SAML_MAX_XML_BYTES);
	if (xml_head(&b, "LogoutRequest", id, ti, sp->info.slo.url) != IDG_OK ||
	    idg_buf_printf(&b, " NotOnOrAfter=\"%s\"><saml:Issuer>", tn) != IDG_OK ||
	    saml_xml_escape(&b, idp->urls.entity_id) != IDG_OK ||
	    idg_buf_printf(&b, "</saml:Issuer><saml:NameID Format=\"%s\"",
	    saml_nameid_uri(t->nameid_format)) != IDG_OK)
		goto out;
	if (t->nameid_format == IDG_SAML_NAMEID_PERSISTENT &&
	    (saml_xml_attr(&b, "NameQualifier", idp->urls.entity_id) != IDG_OK ||
	    saml_xml_attr(&b, "SPNameQualifier", sp->entity_id) != IDG_OK))
		goto out;
	if (idg_buf_adds(&b, ">") != IDG_OK || saml_xml_escape(&b, t->nameid) != IDG_OK ||
	    idg_buf_adds(&b, "</saml:NameID>") != IDG_OK)
		goto out;
	if (t->session_index != NULL && (idg_buf_adds(&b, "<samlp:SessionIndex>") != IDG_OK ||
	    saml_xml_escape(&b, t->session_index) != IDG_OK ||
	    idg_buf_adds(&b, "</samlp:SessionIndex>") != IDG_OK))
		goto out;
	if (idg_buf_adds(&b, "</samlp:LogoutRequest>") != IDG_OK)
		goto out;
	rc = deliver(idp, sp->info.slo.url, sp->info.slo.binding, "SAMLRequest", b.data, id,
	    t->relay_state, out);
out:
	if (rc == IDG_ERR && b.len > 0 && out->url == NULL)
		rc = IDG_INVALID;	/* a value XML cannot carry */
	idg_buf_free(&b);
	return rc;
}

int
idg_saml_logout_response_parse(struct idg_saml_idp *idp, const struct idg_saml_msg_in *in,
    const char *expected_sp, const char *expected_request_id, int64_t now, int skew_s,
    struct idg_saml_logout_result *out, char *err, size_t errsz)
{
	struct saml_msg m;
	struct saml_sp *sp;
	xmlNode *st, *code, *code2;
	enum idg_saml_reason r = IDG_SAML_R_MALFORMED;
	char issuer_s[IDG_SAML_URL_MAX + 1], v[128];
	int64_t ii;
	bool sig;
	int rc;

	memset(out, 0, sizeof(*out));
	saml_seterr(err, errsz, "%s", "");
	rc = saml_msg_decode(in, "SAMLResponse", &m, &r, err, errsz);
	if (rc != IDG_OK) {
		out->reason = r;
		return rc == IDG_ERR ? IDG_ERR : IDG_DECLINED;
	}
	if (m.has_relay_state) {
		memcpy(out->relay_state, m.relay_state, sizeof(out->relay_state));
		out->has_relay_state = true;
	}
	r = IDG_SAML_R_MALFORMED;
	if (!saml_is(m.root, NS_SAMLP, "LogoutResponse") ||
	    !saml_text(saml_child(m.root, NS_SAML, "Issuer"), issuer_s, sizeof(issuer_s))) {
		saml_seterr(err, errsz, "not a LogoutResponse with Issuer");
		goto refuse;
	}
	sp = saml_sp_find(idp, issuer_s);
	if (sp == NULL || expected_sp == NULL || strcmp(sp->entity_id, expected_sp) != 0) {
		r = IDG_SAML_R_UNKNOWN_SP;
		goto refuse;
	}
	idg_strlcpy(out->sp_entity_id, sp->entity_id, sizeof(out->sp_entity_id));
	if (saml_sig_check(sp, &m, sp->want_signed, &sig, &r) != IDG_OK)
		goto refuse;
	if (saml_check_header(&m, idp->urls.slo, now, skew_s, &ii, &r) != IDG_OK)
		goto refuse;
	/* profiles 4.4.4.2: it must answer the request we sent */
	saml_attr(m.root, "InResponseTo", out->in_response_to, sizeof(out->in_response_to));
	if (expected_request_id == NULL ||
	    !idg_ct_streq(out->in_response_to, expected_request_id)) {
		r = IDG_SAML_R_IN_RESPONSE_TO;
		goto refuse;
	}
	st = saml_child(m.root, NS_SAMLP, "Status");
	code = saml_child(st, NS_SAMLP, "StatusCode");
	if (code == NULL || !saml_attr(code, "Value", v, sizeof(v))) {
		r = IDG_SAML_R_MALFORMED;
		goto refuse;
	}
	out->success = strcmp(v, SAML_STATUS("Success")) == 0;
	code2 = saml_child(code, NS_SAMLP, "StatusCode");
	out->partial = code2 != NULL && saml_attr(code2, "Value", v, sizeof(v)) &&
	    strcmp(v, SAML_STATUS("PartialLogout")) == 0;
	saml_msg_free(&m);
	return IDG_OK;
refuse:
	saml_msg_free(&m);
	out->reason = r;
	return IDG_DECLINED;
}
