/*
 * test_saml.c - unit tests of gateway/saml with lasso itself as the SP: it
 * builds AuthnRequests (Redirect and POST, signed and unsigned) and
 * LogoutRequests, and consumes and verifies what we send with its own code.
 * Covers metadata, SP- and IdP-initiated SSO, NameID formats, attributes,
 * encryption, algorithms (RSA-SHA256, never SHA-1), every refusal code we
 * can provoke, and single logout both ways. Not a leak test (saml_leak.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <lasso/lasso.h>
#include <lasso/xml/misc_text_node.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_attribute.h>
#include <lasso/xml/saml-2.0/saml2_attribute_statement.h>
#include <lasso/xml/saml-2.0/saml2_attribute_value.h>
#include <lasso/xml/saml-2.0/samlp2_response.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <xmlsec/crypto.h>
#include <xmlsec/xmldsig.h>
#include <zlib.h>

#include "gateway/saml/saml.h"
#include "gateway/util/buf.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"
#include "tests/unit/saml/saml_fixture.h"

static struct fixture F;

static int
setup(void **state)
{
	return fixture_init(&F);
}

static int
teardown(void **state)
{
	fixture_free(&F);
	idg_saml_shutdown();
	return 0;
}

static char *
b64dec(const char *s)
{
	gsize n;
	guchar *x = g_base64_decode(s, &n);
	char *r = malloc(n + 1);

	memcpy(r, x, n);
	r[n] = '\0';
	g_free(x);
	return r;
}

static char *
b64enc(const char *s, size_t n)
{
	gchar *x = g_base64_encode((const guchar *)s, n);
	char *r = strdup(x);

	g_free(x);
	return r;
}

/* raw DEFLATE + base64 + percent-encoding: a Redirect query value */
static char *
redirect_value(const char *xml, size_t n)
{
	z_stream zs;
	unsigned char *out = malloc(n + 1024);
	struct idg_buf b;
	char *b64;

	memset(&zs, 0, sizeof(zs));
	deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (unsigned char *)(uintptr_t)xml;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)(n + 1024);
	deflate(&zs, Z_FINISH);
	b64 = b64enc((const char *)out, zs.total_out);
	deflateEnd(&zs);
	free(out);
	idg_buf_init(&b, 1 << 22);
	idg_url_escape(&b, b64);
	free(b64);
	return idg_buf_take(&b);
}

/* An unsigned AuthnRequest text from SP2 (which accepts unsigned requests). */
static char *
req_xml(const char *issuer, const char *extra_attrs, const char *body, time_t t)
{
	struct idg_buf b;
	char ts[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	idg_buf_init(&b, 1 << 20);
	idg_buf_printf(&b, "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:"
	    "protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_r1\" "
	    "Version=\"2.0\" IssueInstant=\"%s\" %s><saml:Issuer>%s</saml:Issuer>%s"
	    "</samlp:AuthnRequest>", ts, extra_attrs, issuer, body);
	return idg_buf_take(&b);
}

static int
parse_post(const char *b64, const char *rs, int64_t now, struct idg_saml_authn *a)
{
	struct idg_saml_msg_in in = { IDG_SAML_BINDING_POST, NULL, b64, rs };
	char err[256];

	return idg_saml_authn_parse(F.idp, &in, now, 60, a, err, sizeof(err));
}

static int
parse_redirect(const char *q, int64_t now, struct idg_saml_authn *a)
{
	struct idg_saml_msg_in in = { IDG_SAML_BINDING_REDIRECT, q, NULL, NULL };
	char err[256];

	return idg_saml_authn_parse(F.idp, &in, now, 60, a, err, sizeof(err));
}

static const char *const groups_v[] = { "staff", "admins & <ops>" };
static const char *const mail_v[] = { "alice@example.com" };
static const struct idg_saml_attr attrs[] = {
	{ "mail", NULL, "E-mail", mail_v, 1 },
	{ "groups", "urn:oasis:names:tc:SAML:2.0:attrname-format:uri", NULL, groups_v, 2 },
};

static void
make_response(const struct idg_saml_authn *a, const char *nameid,
    enum idg_saml_nameid_format fmt, struct idg_saml_out *o)
{
	struct idg_saml_subject s = { nameid, fmt, attrs, 2, "_sess1", time(NULL) - 5,
	    IDG_SAML_AC_PPT };

	assert_int_equal(idg_saml_response(F.idp, a, &s, time(NULL), 300, 60, o), IDG_OK);
	assert_int_equal(o->binding, IDG_SAML_BINDING_POST);
	assert_string_equal(o->param_name, "SAMLResponse");
	assert_string_equal(o->url, a->acs_url);
}

/* lasso as the SP consumes our Response; returns lasso's rc */
static int
sp_consume(int i, const char *b64, LassoLogin **out)
{
	LassoLogin *l = lasso_login_new(F.sp[i]);
	int rc = lasso_login_process_authn_response_msg(l, (char *)b64);

	if (rc == 0)
		rc = lasso_login_accept_sso(l);
	if (out != NULL)
		*out = l;
	else
		lasso_login_destroy(l);
	return rc;
}

/* ---- metadata ---- */

static void
test_idp_metadata(void **state)
{
	struct idg_buf b;
	struct idg_saml_idp_conf bad = F.conf;
	const char *p;
	int n = 0;

	idg_buf_init(&b, 1 << 20);
	assert_int_equal(idg_saml_metadata(&F.conf, &b), IDG_OK);
	assert_non_null(strstr(b.data, "entityID=\"https://id.example.com/saml/acme\""));
	assert_non_null(strstr(b.data, "WantAuthnRequestsSigned=\"false\""));
	for (p = b.data; (p = strstr(p, "KeyDescriptor use=\"signing\"")) != NULL; p++)
		n++;
	assert_int_equal(n, 2);		/* current and next */
	assert_non_null(strstr(b.data, "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:"
	    "SAML:2.0:bindings:HTTP-Redirect\" Location=\"https://id.example.com/saml/acme/sso\""));
	assert_non_null(strstr(b.data, "SAML:2.0:bindings:HTTP-POST\" Location=\"https://"
	    "id.example.com/saml/acme/sso\""));
	assert_non_null(strstr(b.data, "<md:SingleLogoutService Binding=\"urn:oasis:names:tc:"
	    "SAML:2.0:bindings:HTTP-POST\" Location=\"https://id.example.com/saml/acme/slo\""));
	assert_non_null(strstr(b.data, "nameid-format:persistent</md:NameIDFormat>"));
	idg_buf_free(&b);
	bad.company_id = "ac\"me";
	assert_int_equal(idg_saml_metadata(&bad, &b), IDG_INVALID);
	bad = F.conf;
	bad.public_host = "evil.com/\"><x";
	assert_int_equal(idg_saml_metadata(&bad, &b), IDG_INVALID);
	bad = F.conf;
	bad.signing_cert_pem = "not a cert";
	assert_int_equal(idg_saml_metadata(&bad, &b), IDG_INVALID);
	idg_buf_free(&b);
}

static void
test_sp_metadata(void **state)
{
	struct idg_saml_sp_info info;
	struct idg_buf b;
	char err[256];
	struct idg_saml_endpoint acs = { "https://q.example/acs?a=1&b=\"2\"", IDG_SAML_BINDING_POST,
	    0, true };
	struct idg_saml_sp_fields fl = { "urn:x:<&>\"", &acs, 1, NULL, IDG_SAML_BINDING_NONE,
	    NULL, NULL, false, false, IDG_SAML_NAMEID_EMAIL };

	assert_int_equal(idg_saml_sp_metadata_check(F.sp_md[0], &info, err, sizeof(err)), IDG_OK);
	assert_string_equal(info.entity_id, SP1);
	assert_int_equal(info.n_acs, 2);
	assert_string_equal(info.acs[1].url, SP1_ACS2);
	assert_int_equal(info.acs[1].index, 1);
	assert_true(info.acs[0].is_default);
	assert_string_equal(info.slo.url, "https://sp1.example/slo");
	assert_int_equal(info.slo.binding, IDG_SAML_BINDING_REDIRECT);
	assert_true(info.authn_requests_signed);
	assert_true(info.want_assertions_signed);
	assert_int_equal(info.n_signing_certs, 1);
	assert_non_null(info.encryption_cert_pem);
	assert_non_null(strstr(info.signing_cert_pem[0], "BEGIN CERTIFICATE"));
	idg_saml_sp_info_free(&info);

	/* values are escaped and read back unchanged */
	idg_buf_init(&b, 1 << 20);
	assert_int_equal(idg_saml_sp_metadata_from_fields(&fl, &b, err, sizeof(err)), IDG_OK);
	assert_null(strstr(b.data, "<&>"));
	assert_int_equal(idg_saml_sp_metadata_check(b.data, &info, err, sizeof(err)), IDG_OK);
	assert_string_equal(info.entity_id, "urn:x:<&>\"");
	assert_string_equal(info.acs[0].url, acs.url);
	idg_saml_sp_info_free(&info);
	idg_buf_free(&b);
	/* refusals */
	acs.index = -1;
	assert_int_equal(idg_saml_sp_metadata_from_fields(&fl, &b, err, sizeof(err)), IDG_INVALID);
	acs.index = 0;
	snprintf(acs.url, sizeof(acs.url), "http://evil.example/acs");
	assert_int_equal(idg_saml_sp_metadata_from_fields(&fl, &b, err, sizeof(err)), IDG_INVALID);
	assert_int_equal(idg_saml_sp_metadata_check("<!DOCTYPE x><x/>", &info, err, sizeof(err)),
	    IDG_INVALID);
	assert_int_equal(idg_saml_sp_metadata_check("<md:EntityDescriptor xmlns:md=\"urn:oasis:"
	    "names:tc:SAML:2.0:metadata\" entityID=\"x\"><md:SPSSODescriptor/>"
	    "</md:EntityDescriptor>", &info, err, sizeof(err)), IDG_INVALID);
	assert_non_null(strstr(err, "AssertionConsumerService"));
	assert_int_equal(idg_saml_sp_metadata_check("<x", &info, err, sizeof(err)), IDG_INVALID);
	idg_buf_free(&b);
}

static void
test_idp_new_refusals(void **state)
{
	struct idg_saml_idp *idp = NULL;
	struct idg_saml_sp_conf sc = F.spc[0];
	struct idg_saml_idp_conf c = F.conf;
	char *k, *cert;

	sc.sign_assertion = sc.sign_response = false;
	assert_int_equal(idg_saml_idp_new(&F.conf, &sc, 1, &idp), IDG_INVALID);
	assert_null(idp);
	sc = F.spc[0];
	sc.entity_id = SP2;		/* metadata says SP1 */
	assert_int_equal(idg_saml_idp_new(&F.conf, &sc, 1, &idp), IDG_INVALID);
	c.signing_cert_pem = F.next_cert;	/* not the key's certificate */
	assert_int_equal(idg_saml_idp_new(&c, F.spc, 1, &idp), IDG_INVALID);
	assert_int_equal(fixture_keypair("small", 1024, &k, &cert), 0);
	c.signing_key_pem = k;
	c.signing_cert_pem = cert;
	assert_int_equal(idg_saml_idp_new(&c, F.spc, 1, &idp), IDG_INVALID);
	free(k);
	free(cert);
}

/* ---- SSO ---- */

static void
check_algorithms(const char *xml)
{
	/* PROTOCOLS.md: RSA-SHA256, SHA-256 digests, exclusive c14n; never SHA-1 */
	assert_non_null(strstr(xml, "SignatureMethod Algorithm=\"http://www.w3.org/2001/04/"
	    "xmldsig-more#rsa-sha256\""));
	assert_non_null(strstr(xml, "DigestMethod Algorithm=\"http://www.w3.org/2001/04/"
	    "xmlenc#sha256\""));
	assert_non_null(strstr(xml, "CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/"
	    "10/xml-exc-c14n#\""));
	assert_null(strstr(xml, "sha1"));
}

static void
test_sso_redirect_signed(void **state)
{
	struct idg_saml_authn a;
	struct idg_saml_out o;
	LassoLogin *l;
	LassoSaml2Assertion *as;
	char *q, *id, *xml;
	const char *rs = "https://sp1.example/app?x=1&y=\"2\"<>";

	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_REDIRECT, true, SP1_ACS2, NULL, false,
	    false, rs, &q);
	assert_non_null(id);
	assert_non_null(strstr(q, "&Signature="));
	assert_non_null(strstr(q, "rsa-sha256"));
	assert_int_equal(parse_redirect(q, time(NULL), &a), IDG_OK);
	assert_int_equal(a.reason, IDG_SAML_R_NONE);
	assert_string_equal(a.request_id, id);
	assert_string_equal(a.sp_entity_id, SP1);
	assert_string_equal(a.acs_url, SP1_ACS2);
	assert_true(a.signed_request);
	assert_true(a.has_relay_state);
	assert_string_equal(a.relay_state, rs);
	assert_false(a.is_passive);
	assert_false(a.force_authn);
	assert_int_equal(a.nameid_format, IDG_SAML_NAMEID_EMAIL);
	assert_int_equal(a.binding, IDG_SAML_BINDING_REDIRECT);

	make_response(&a, "alice@example.com", IDG_SAML_NAMEID_EMAIL, &o);
	assert_string_equal(o.relay_state, rs);
	xml = b64dec(o.value);
	check_algorithms(xml);
	assert_non_null(strstr(xml, "Destination=\"" SP1_ACS2 "\""));
	assert_non_null(strstr(xml, "Recipient=\"" SP1_ACS2 "\""));
	assert_non_null(strstr(xml, "<saml:Audience>" SP1 "</saml:Audience>"));
	assert_non_null(strstr(xml, "SessionIndex=\"_sess1\""));
	assert_non_null(strstr(xml, "PasswordProtectedTransport"));
	assert_non_null(strstr(xml, "admins &amp; &lt;ops&gt;"));
	{
		/* InResponseTo on the Response and on SubjectConfirmationData */
		char irt[300];
		const char *p;
		int n = 0;

		snprintf(irt, sizeof(irt), "InResponseTo=\"%s\"", id);
		for (p = xml; (p = strstr(p, irt)) != NULL; p++)
			n++;
		assert_int_equal(n, 2);
	}
	/* lasso, as SP1, verifies both signatures and reads the assertion */
	assert_int_equal(sp_consume(0, o.value, &l), 0);
	assert_int_equal(lasso_profile_get_signature_status(LASSO_PROFILE(l)), 0);
	as = LASSO_SAML2_ASSERTION(lasso_login_get_assertion(l));
	assert_non_null(as);
	assert_string_equal(as->Subject->NameID->content, "alice@example.com");
	assert_string_equal(as->Subject->NameID->Format,
	    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
	{
		LassoSaml2AttributeStatement *st = as->AttributeStatement->data;
		LassoSaml2Attribute *ga = g_list_nth_data(st->Attribute, 1);
		LassoSaml2AttributeValue *v = g_list_nth_data(ga->AttributeValue, 1);
		LassoMiscTextNode *t = v->any->data;

		assert_string_equal(ga->Name, "groups");
		assert_string_equal(t->content, "admins & <ops>");
	}
	g_object_unref(as);
	lasso_login_destroy(l);

	/* a tampered Response is refused by lasso */
	{
		char *p = strstr(xml, "alice@example.com"), *b64;

		p[0] = 'm';
		b64 = b64enc(xml, strlen(xml));
		assert_int_not_equal(sp_consume(0, b64, NULL), 0);
		free(b64);
	}
	free(xml);
	idg_saml_out_free(&o);
	free(q);
	free(id);
}

static void
test_sso_post_signed(void **state)
{
	struct idg_saml_authn a;
	struct idg_saml_out o;
	struct idg_buf html;
	char *b64, *id, hash[IDG_SAML_CSP_HASH_LEN];

	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_POST, true, NULL, NULL, true, true,
	    "rs", &b64);
	assert_non_null(id);
	assert_int_equal(parse_post(b64, "rs", time(NULL), &a), IDG_OK);
	assert_true(a.signed_request);
	assert_string_equal(a.acs_url, SP1_ACS);	/* the default */
	assert_true(a.is_passive);
	assert_true(a.force_authn);
	make_response(&a, "alice@example.com", IDG_SAML_NAMEID_EMAIL, &o);
	assert_int_equal(sp_consume(0, o.value, NULL), 0);
	/* the POST page: escaped, one script whose hash we publish */
	idg_buf_init(&html, 1 << 20);
	o.relay_state[0] = '"';
	assert_int_equal(idg_saml_post_form(&o, &html), IDG_OK);
	assert_non_null(strstr(html.data, "action=\"" SP1_ACS "\""));
	assert_non_null(strstr(html.data, "value=\"&quot;s\""));
	assert_non_null(strstr(html.data, "<noscript>"));
	assert_non_null(strstr(html.data, idg_saml_post_script()));
	idg_saml_post_csp_hash(hash);
	/* computed with: printf %s SCRIPT | openssl dgst -sha256 -binary | base64 */
	assert_string_equal(hash, "sha256-8lDeP0UDwCO6/RhblgeH/ctdBzjVpJxrXizsnIk3cEQ=");
	idg_buf_free(&html);
	idg_saml_out_free(&o);
	idg_saml_out_free(&o);		/* safe twice */
	free(b64);
	free(id);
}

/* ---- the Response is its own canonical form ---- */

/* Registers every ID attribute of the tree, for same-document references. */
static void
add_ids(xmlDoc *doc, xmlNode *n)
{
	for (; n != NULL; n = n->next) {
		xmlAttr *id;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if ((id = xmlHasProp(n, (const xmlChar *)"ID")) != NULL) {
			xmlChar *v = xmlNodeGetContent((xmlNode *)id);

			xmlAddID(NULL, doc, v, id);
			xmlFree(v);
		}
		add_ids(doc, n->children);
	}
}

/* Verifies every <ds:Signature> of the tree with xmlsec and the IdP's certificate. */
static void
verify_all(xmlNode *n, xmlSecKey *k, int *good, int *all)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrEqual(n->name, (const xmlChar *)"Signature") && n->ns != NULL &&
		    xmlStrEqual(n->ns->href, (const xmlChar *)"http://www.w3.org/2000/09/xmldsig#")) {
			xmlSecDSigCtx *c = xmlSecDSigCtxCreate(NULL);

			c->signKey = xmlSecKeyDuplicate(k);
			(*all)++;
			if (xmlSecDSigCtxVerify(c, n) == 0 && c->status == xmlSecDSigStatusSucceeded)
				(*good)++;
			xmlSecDSigCtxDestroy(c);
			continue;
		}
		verify_all(n->children, k, good, all);
	}
}

/*
 * idg_saml_response digests its own text (saml_resp.c, sign_text), which is
 * right only if that text is its own exclusive c14n form. Checked here with
 * libxml2's c14n, for values with every character c14n escapes, under each
 * signing choice; then xmlsec verifies each signature and lasso, as SP1,
 * reads the values back unchanged.
 */
static void
test_response_canonical(void **state)
{
	static const char *const tricky_v[] = { "a&b<c>d\"e'f\tg\nh\ri ]]> j",
	    "\xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x91" };
	static const struct idg_saml_attr tricky[] = {
		{ "x&<\"y\t", NULL, "F\"r>i\ne&nd", tricky_v, 2 },
	};
	static const struct { bool as, resp; int sigs; } modes[] = {
		{ true, true, 2 }, { true, false, 1 }, { false, true, 1 },
	};
	xmlSecKey *k = xmlSecCryptoAppKeyLoadMemory((const xmlSecByte *)F.idp_cert,
	    (xmlSecSize)strlen(F.idp_cert), xmlSecKeyDataFormatCertPem, NULL, NULL, NULL);

	assert_non_null(k);
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct idg_saml_sp_conf sc = F.spc[0];
		struct idg_saml_subject s = { "al&ce<\"'>@example.com", IDG_SAML_NAMEID_EMAIL,
		    tricky, 1, "_s&1", time(NULL) - 5, IDG_SAML_AC_PPT };
		struct idg_saml_idp *idp;
		struct idg_saml_authn a;
		struct idg_saml_out o;
		struct idg_saml_msg_in in = { IDG_SAML_BINDING_POST, NULL, NULL, "rs" };
		xmlChar *c14n = NULL;
		xmlDoc *doc;
		LassoLogin *l;
		LassoSaml2Assertion *as;
		char *b64, *id, *xml, err[256];
		const char *body;
		int good = 0, all = 0, len;

		sc.sign_assertion = modes[m].as;
		sc.sign_response = modes[m].resp;
		assert_int_equal(idg_saml_idp_new(&F.conf, &sc, 1, &idp), IDG_OK);
		id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_POST, true, NULL, NULL, false,
		    false, "rs", &b64);
		in.message = b64;
		assert_int_equal(idg_saml_authn_parse(idp, &in, time(NULL), 60, &a, err,
		    sizeof(err)), IDG_OK);
		assert_int_equal(idg_saml_response(idp, &a, &s, time(NULL), 300, 60, &o), IDG_OK);
		xml = b64dec(o.value);
		body = strchr(xml, '\n') + 1;	/* after the XML declaration */
		doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);
		assert_non_null(doc);
		len = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0, &c14n);
		assert_int_equal(len, (int)strlen(body));
		assert_memory_equal(c14n, body, (size_t)len);
		add_ids(doc, xmlDocGetRootElement(doc));
		verify_all(xmlDocGetRootElement(doc), k, &good, &all);
		assert_int_equal(all, modes[m].sigs);
		assert_int_equal(good, modes[m].sigs);
		xmlFree(c14n);
		xmlFreeDoc(doc);

		/* lasso as SP1 (it asks for both signatures only as we configure it) */
		if (modes[m].as) {
			LassoSaml2AttributeStatement *st;
			LassoSaml2Attribute *at;
			LassoSaml2AttributeValue *v;
			LassoMiscTextNode *t;

			assert_int_equal(sp_consume(0, o.value, &l), 0);
			as = LASSO_SAML2_ASSERTION(lasso_login_get_assertion(l));
			assert_string_equal(as->Subject->NameID->content, s.nameid);
			st = as->AttributeStatement->data;
			at = st->Attribute->data;
			assert_string_equal(at->Name, tricky[0].name);
			assert_string_equal(at->FriendlyName, tricky[0].friendly_name);
			v = at->AttributeValue->data;
			t = v->any->data;
			assert_string_equal(t->content, tricky_v[0]);
			v = at->AttributeValue->next->data;
			t = v->any->data;
			assert_string_equal(t->content, tricky_v[1]);
			g_object_unref(as);
			lasso_login_destroy(l);
		}
		/* one changed byte in the NameID, and no signature holds */
		{
			char *p = strstr(xml, ">al&amp;ce");

			p[1] = 'A';
			doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);
			add_ids(doc, xmlDocGetRootElement(doc));
			good = all = 0;
			verify_all(xmlDocGetRootElement(doc), k, &good, &all);
			assert_int_equal(all, modes[m].sigs);
			assert_int_equal(good, 0);
			xmlFreeDoc(doc);
		}
		free(xml);
		idg_saml_out_free(&o);
		free(b64);
		free(id);
		idg_saml_idp_free(idp);
	}
	xmlSecKeyDestroy(k);
}

/* What XML 1.0 cannot carry is refused, not written. */
static void
test_response_refuses_non_xml(void **state)
{
	static const char *const bad[] = { "a\x01b", "a\xef\xbf\xbf", "a\xef\xbf\xbe",
	    "a\xc3\x28", "\xed\xa0\x80" };
	struct idg_saml_authn a;
	struct idg_saml_out o;
	char *b64, *id;

	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_POST, true, NULL, NULL, false, false,
	    NULL, &b64);
	assert_int_equal(parse_post(b64, NULL, time(NULL), &a), IDG_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *v[] = { bad[i] };
		struct idg_saml_attr at = { "x", NULL, NULL, v, 1 };
		struct idg_saml_subject s = { "alice@example.com", IDG_SAML_NAMEID_EMAIL, &at, 1,
		    "_s", 0, NULL };

		assert_int_equal(idg_saml_response(F.idp, &a, &s, time(NULL), 300, 60, &o),
		    IDG_INVALID);
		assert_null(o.value);
		s.n_attrs = 0;
		s.nameid = bad[i];
		assert_int_equal(idg_saml_response(F.idp, &a, &s, time(NULL), 300, 60, &o),
		    IDG_INVALID);
	}
	free(b64);
	free(id);
}

static void
test_sso_persistent_encrypted(void **state)
{
	static const uint8_t key[32] = "0123456789abcdef0123456789abcde";
	char p1[IDG_SAML_PERSISTENT_ID_LEN], p1b[IDG_SAML_PERSISTENT_ID_LEN];
	char p2[IDG_SAML_PERSISTENT_ID_LEN], p3[IDG_SAML_PERSISTENT_ID_LEN];
	struct idg_saml_authn a;
	struct idg_saml_out o;
	LassoLogin *l;
	LassoSaml2Assertion *as;
	char *q, *id, *xml;

	/* persistent: stable per app + user, different across apps and users */
	assert_int_equal(idg_saml_persistent_id(key, "acme", SP2, "u1", p1), IDG_OK);
	assert_int_equal(idg_saml_persistent_id(key, "acme", SP2, "u1", p1b), IDG_OK);
	assert_int_equal(idg_saml_persistent_id(key, "acme", SP1, "u1", p2), IDG_OK);
	assert_int_equal(idg_saml_persistent_id(key, "acme", SP2, "u2", p3), IDG_OK);
	assert_string_equal(p1, p1b);
	assert_string_not_equal(p1, p2);
	assert_string_not_equal(p1, p3);
	assert_int_equal(strlen(p1), 43);

	/* SP2 accepts unsigned requests and asks for persistent */
	id = fixture_sp_request(&F, 1, IDG_SAML_BINDING_REDIRECT, false, NULL,
	    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", false, false, NULL, &q);
	assert_null(strstr(q, "Signature="));
	assert_int_equal(parse_redirect(q, time(NULL), &a), IDG_OK);
	assert_false(a.signed_request);
	assert_false(a.has_relay_state);
	assert_int_equal(a.nameid_format, IDG_SAML_NAMEID_PERSISTENT);
	assert_string_equal(a.acs_url, "https://sp2.example/acs");	/* only, not default */
	/* the subject's format must match what the request resolved to */
	{
		struct idg_saml_subject s = { "x@y", IDG_SAML_NAMEID_EMAIL, NULL, 0, "_s", 0,
		    NULL };

		assert_int_equal(idg_saml_response(F.idp, &a, &s, time(NULL), 300, 60, &o),
		    IDG_INVALID);
	}
	make_response(&a, p1, IDG_SAML_NAMEID_PERSISTENT, &o);
	xml = b64dec(o.value);
	assert_non_null(strstr(xml, "EncryptedAssertion"));
	assert_null(strstr(xml, p1));		/* NameID not in clear */
	assert_null(strstr(xml, "alice@example.com"));
	free(xml);
	assert_int_equal(sp_consume(1, o.value, &l), 0);
	as = LASSO_SAML2_ASSERTION(lasso_login_get_assertion(l));
	assert_non_null(as);
	assert_string_equal(as->Subject->NameID->content, p1);
	assert_string_equal(as->Subject->NameID->Format,
	    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent");
	assert_string_equal(as->Subject->NameID->SPNameQualifier, SP2);
	g_object_unref(as);
	lasso_login_destroy(l);
	idg_saml_out_free(&o);
	free(q);
	free(id);
}

static void
test_idp_initiated(void **state)
{
	struct idg_saml_authn a;
	struct idg_saml_out o;
	char *xml, *q, *id, big[IDG_SAML_RELAY_STATE_MAX + 2];

	assert_int_equal(idg_saml_authn_idp_initiated(F.idp, SP3, "/home", &a), IDG_OK);
	assert_string_equal(a.acs_url, "https://sp3.example/acs");
	assert_string_equal(a.request_id, "");
	assert_int_equal(a.nameid_format, IDG_SAML_NAMEID_UNSPECIFIED);
	make_response(&a, "u-42", IDG_SAML_NAMEID_UNSPECIFIED, &o);
	assert_string_equal(o.relay_state, "/home");
	xml = b64dec(o.value);
	assert_null(strstr(xml, "InResponseTo"));
	check_algorithms(xml);
	/*
	 * SP3 wants the Response signed: the first Signature is the Response's
	 * (lasso also signs the assertion, see gateway/saml/README.md)
	 */
	{
		char ref[300];

		snprintf(ref, sizeof(ref), "<Reference URI=\"#%s\"", o.message_id);
		assert_non_null(strstr(xml, ref));
		assert_true(strstr(xml, ref) < strstr(xml, "<saml:Assertion"));
	}
	assert_non_null(strstr(xml, "nameid-format:unspecified\">u-42<"));
	free(xml);
	assert_int_equal(sp_consume(2, o.value, NULL), 0);
	idg_saml_out_free(&o);

	assert_int_equal(idg_saml_authn_idp_initiated(F.idp, SP1, NULL, &a), IDG_DECLINED);
	assert_int_equal(a.reason, IDG_SAML_R_IDP_INITIATED_DISABLED);
	assert_int_equal(idg_saml_authn_idp_initiated(F.idp, "https://nope", NULL, &a),
	    IDG_DECLINED);
	assert_int_equal(a.reason, IDG_SAML_R_UNKNOWN_SP);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(idg_saml_authn_idp_initiated(F.idp, SP2, big, &a), IDG_DECLINED);
	assert_int_equal(a.reason, IDG_SAML_R_RELAY_STATE);
	/* SP3 does not allow SP-initiated SSO; the refusal can be answered */
	id = fixture_sp_request(&F, 2, IDG_SAML_BINDING_REDIRECT, false, NULL, NULL, false,
	    false, NULL, &q);
	assert_int_equal(parse_redirect(q, time(NULL), &a), IDG_DECLINED);
	assert_int_equal(a.reason, IDG_SAML_R_SP_INITIATED_DISABLED);
	assert_true(a.can_respond);
	assert_int_equal(idg_saml_error_response(F.idp, &a, IDG_SAML_ST_REQUEST_DENIED, "no",
	    time(NULL), &o), IDG_OK);
	xml = b64dec(o.value);
	assert_non_null(strstr(xml, "status:RequestDenied"));
	free(xml);
	idg_saml_out_free(&o);
	free(q);
	free(id);
}

/* ---- refusals ---- */

static void
expect_redirect(const char *q, int64_t now, enum idg_saml_reason r, bool can_respond)
{
	struct idg_saml_authn a;

	assert_int_not_equal(parse_redirect(q, now, &a), IDG_OK);
	assert_string_equal(idg_saml_reason_code(a.reason), idg_saml_reason_code(r));
	assert_int_equal(a.can_respond, can_respond);
}

static void
expect_post(const char *b64, enum idg_saml_reason r)
{
	struct idg_saml_authn a;

	assert_int_not_equal(parse_post(b64, NULL, time(NULL), &a), IDG_OK);
	assert_string_equal(idg_saml_reason_code(a.reason), idg_saml_reason_code(r));
}

static void
test_refuse_acs_and_sp(void **state)
{
	struct idg_saml_authn a;
	char *q, *id, *xml, *v, qs[1 << 16];

	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_REDIRECT, true,
	    "https://evil.example/acs", NULL, false, false, NULL, &q);
	expect_redirect(q, time(NULL), IDG_SAML_R_ACS_NOT_REGISTERED, false);
	free(q);
	free(id);
	/* a registered URL with a different case or a suffix is not registered */
	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_REDIRECT, true, SP1_ACS "/", NULL,
	    false, false, NULL, &q);
	expect_redirect(q, time(NULL), IDG_SAML_R_ACS_NOT_REGISTERED, false);
	free(q);
	free(id);
	/* by index */
	xml = req_xml(SP2, "AssertionConsumerServiceIndex=\"3\"", "", time(NULL));
	v = redirect_value(xml, strlen(xml));
	snprintf(qs, sizeof(qs), "SAMLRequest=%s", v);
	assert_int_equal(parse_redirect(qs, time(NULL), &a), IDG_OK);
	assert_string_equal(a.acs_url, "https://sp2.example/acs");
	free(xml);
	free(v);
	xml = req_xml(SP2, "AssertionConsumerServiceIndex=\"7\"", "", time(NULL));
	v = redirect_value(xml, strlen(xml));
	snprintf(qs, sizeof(qs), "SAMLRequest=%s", v);
	expect_redirect(qs, time(NULL), IDG_SAML_R_ACS_NOT_REGISTERED, false);
	free(xml);
	free(v);
	/* unknown SP */
	xml = req_xml("https://unknown.example/md", "", "", time(NULL));
	v = redirect_value(xml, strlen(xml));
	snprintf(qs, sizeof(qs), "SAMLRequest=%s", v);
	expect_redirect(qs, time(NULL), IDG_SAML_R_UNKNOWN_SP, false);
	free(xml);
	free(v);
	/* Artifact binding asked */
	xml = req_xml(SP2, "ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-"
	    "Artifact\"", "", time(NULL));
	v = redirect_value(xml, strlen(xml));
	snprintf(qs, sizeof(qs), "SAMLRequest=%s", v);
	expect_redirect(qs, time(NULL), IDG_SAML_R_BINDING, false);
	free(xml);
	free(v);
	/* wrong Destination */
	xml = req_xml(SP2, "Destination=\"https://other.example/sso\"", "", time(NULL));
	v = redirect_value(xml, strlen(xml));
	snprintf(qs, sizeof(qs), "SAMLRequest=%s", v);
	expect_redirect(qs, time(NULL), IDG_SAML_R_DESTINATION, true);
	free(xml);
	free(v);
	/* Version 1.1 */
	xml = req_xml(SP2, "", "", time(NULL));
	memcpy(strstr(xml, "Version=\"2.0\""), "Version=\"1.1\"", 13);
	v = redirect_value(xml, strlen(xml));
	snprintf(qs, sizeof(qs), "SAMLRequest=%s", v);
	expect_redirect(qs, time(NULL), IDG_SAML_R_VERSION, true);
	free(xml);
	free(v);
}

static void
test_refuse_signatures(void **state)
{
	char *q, *id, *b64, *xml, *p;
	size_t n;

	/* SP1 must sign */
	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_REDIRECT, false, NULL, NULL, false,
	    false, NULL, &q);
	expect_redirect(q, time(NULL), IDG_SAML_R_SIGNATURE_MISSING, false);
	free(q);
	free(id);
	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_POST, false, NULL, NULL, false, false,
	    NULL, &b64);
	expect_post(b64, IDG_SAML_R_SIGNATURE_MISSING);
	free(b64);
	free(id);
	/* flip one character of the Signature parameter */
	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_REDIRECT, true, NULL, NULL, false, false,
	    "rs", &q);
	p = strstr(q, "&Signature=") + 11;
	p[5] = p[5] == 'A' ? 'B' : 'A';
	expect_redirect(q, time(NULL), IDG_SAML_R_SIGNATURE_INVALID, false);
	p[5] = p[5] == 'A' ? 'B' : 'A';
	/* RelayState changed after signing */
	p = strstr(q, "RelayState=rs");
	p[11] = 'X';
	expect_redirect(q, time(NULL), IDG_SAML_R_SIGNATURE_INVALID, false);
	/* signature dropped but SigAlg kept */
	*strstr(q, "&Signature=") = '\0';
	expect_redirect(q, time(NULL), IDG_SAML_R_SIGNATURE_INVALID, false);
	free(q);
	free(id);
	/* one byte of the XML changed under a POST signature */
	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_POST, true, NULL, NULL, false, false,
	    NULL, &b64);
	xml = b64dec(b64);
	n = strlen(xml);
	p = strstr(xml, "IsPassive=\"false\"");
	assert_non_null(p);
	memcpy(p, "IsPassive=\"true\" ", 17);
	free(b64);
	b64 = b64enc(xml, n);
	expect_post(b64, IDG_SAML_R_SIGNATURE_INVALID);
	free(b64);
	free(xml);
	free(id);
	/* SHA-1 signatures are refused even when valid */
	F.sp[0]->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA1;
	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_REDIRECT, true, NULL, NULL, false, false,
	    NULL, &q);
	expect_redirect(q, time(NULL), IDG_SAML_R_SIGNATURE_ALGORITHM, false);
	free(q);
	free(id);
	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_POST, true, NULL, NULL, false, false,
	    NULL, &b64);
	expect_post(b64, IDG_SAML_R_SIGNATURE_ALGORITHM);
	free(b64);
	free(id);
	F.sp[0]->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
	/* claims to be SP1, signed with SP2's key */
	{
		LassoProvider *p2 = LASSO_PROVIDER(F.sp[1]);
		char *keep = p2->ProviderID;

		p2->ProviderID = (char *)SP1;
		id = fixture_sp_request(&F, 1, IDG_SAML_BINDING_REDIRECT, true, NULL, NULL,
		    false, false, NULL, &q);
		p2->ProviderID = keep;
		assert_non_null(strstr(q, "&Signature="));
		expect_redirect(q, time(NULL), IDG_SAML_R_SIGNATURE_INVALID, false);
		free(q);
		free(id);
		/* over POST too, though its KeyInfo carries SP2's certificate */
		p2->ProviderID = (char *)SP1;
		id = fixture_sp_request(&F, 1, IDG_SAML_BINDING_POST, true, NULL, NULL,
		    false, false, NULL, &b64);
		p2->ProviderID = keep;
		xml = b64dec(b64);
		assert_non_null(strstr(xml, "X509Certificate"));
		free(xml);
		expect_post(b64, IDG_SAML_R_SIGNATURE_INVALID);
		free(b64);
		free(id);
	}
}

static void
test_refuse_times_and_sizes(void **state)
{
	char *q, *id, *xml, *v, *big, *qs;
	size_t n;

	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_REDIRECT, true, NULL, NULL, false, false,
	    NULL, &q);
	expect_redirect(q, time(NULL) + 3600, IDG_SAML_R_REQUEST_EXPIRED, true);
	expect_redirect(q, time(NULL) - 3600, IDG_SAML_R_REQUEST_EXPIRED, true);
	/* inside the skew both ways */
	{
		struct idg_saml_authn a;

		assert_int_equal(parse_redirect(q, time(NULL) + 50, &a), IDG_OK);
		assert_int_equal(parse_redirect(q, time(NULL) - 50, &a), IDG_OK);
	}
	free(q);
	free(id);
	/* milliseconds in IssueInstant are accepted */
	{
		struct idg_saml_authn a;
		char qb[8192];

		{
			char *x0 = req_xml(SP2, "", "", time(NULL)), *z = strstr(x0, "Z\" ");
			size_t head = (size_t)(z - x0);

			xml = malloc(strlen(x0) + 5);
			memcpy(xml, x0, head);
			memcpy(xml + head, ".123", 4);
			memcpy(xml + head + 4, z, strlen(z) + 1);
			free(x0);
		}
		v = redirect_value(xml, strlen(xml));
		snprintf(qb, sizeof(qb), "SAMLRequest=%s", v);
		assert_int_equal(parse_redirect(qb, time(NULL), &a), IDG_OK);
		free(v);
		free(xml);
	}
	/* over the encoded cap */
	n = IDG_SAML_MAX_ENCODED_BYTES + 100;
	qs = malloc(n + 1);
	memcpy(qs, "SAMLRequest=", 12);
	memset(qs + 12, 'A', n - 12);
	qs[n] = '\0';
	expect_redirect(qs, time(NULL), IDG_SAML_R_TOO_LARGE, false);
	expect_post(qs + 12, IDG_SAML_R_TOO_LARGE);
	free(qs);
	/* a DEFLATE bomb: small on the wire, over the cap when inflated */
	n = IDG_SAML_MAX_XML_BYTES + 4096;
	big = malloc(n + 1);
	memset(big, ' ', n);
	big[n] = '\0';
	xml = req_xml(SP2, "", big, time(NULL));
	v = redirect_value(xml, strlen(xml));
	assert_true(strlen(v) < 4096);
	qs = malloc(strlen(v) + 32);
	snprintf(qs, strlen(v) + 32, "SAMLRequest=%s", v);
	expect_redirect(qs, time(NULL), IDG_SAML_R_TOO_LARGE, false);
	free(qs);
	free(v);
	free(xml);
	free(big);
	/* RelayState over the cap */
	{
		char rs[IDG_SAML_RELAY_STATE_MAX + 2];

		memset(rs, 'r', sizeof(rs) - 1);
		rs[sizeof(rs) - 1] = '\0';
		id = fixture_sp_request(&F, 1, IDG_SAML_BINDING_POST, false, NULL, NULL, false,
		    false, NULL, &q);
		{
			struct idg_saml_authn a;

			assert_int_equal(parse_post(q, rs, time(NULL), &a), IDG_DECLINED);
			assert_int_equal(a.reason, IDG_SAML_R_RELAY_STATE);
			rs[IDG_SAML_RELAY_STATE_MAX] = '\0';	/* exactly the cap: passed on */
			assert_int_equal(parse_post(q, rs, time(NULL), &a), IDG_OK);
			assert_string_equal(a.relay_state, rs);
		}
		free(q);
		free(id);
	}
}

static void
test_refuse_malformed(void **state)
{
	char *xml, *v, qs[8192], *b64;

	expect_redirect("SAMLRequest=%%%%", time(NULL), IDG_SAML_R_MALFORMED, false);
	expect_redirect("SAMLRequest=!!notbase64!!", time(NULL), IDG_SAML_R_MALFORMED, false);
	expect_redirect("RelayState=x", time(NULL), IDG_SAML_R_MALFORMED, false);
	expect_redirect("SAMLRequest=AAAA&SAMLRequest=AAAA", time(NULL), IDG_SAML_R_MALFORMED,
	    false);
	/* valid base64, not DEFLATE */
	expect_redirect("SAMLRequest=aGVsbG8gd29ybGQ%3D", time(NULL), IDG_SAML_R_MALFORMED,
	    false);
	/* valid DEFLATE, not XML */
	v = redirect_value("<samlp:AuthnRequest", 19);
	snprintf(qs, sizeof(qs), "SAMLRequest=%s", v);
	expect_redirect(qs, time(NULL), IDG_SAML_R_MALFORMED, false);
	free(v);
	/* XML but not an AuthnRequest */
	b64 = b64enc("<a/>", 4);
	expect_post(b64, IDG_SAML_R_MALFORMED);
	free(b64);
	expect_post("@@@", IDG_SAML_R_MALFORMED);
	/* billion laughs and XXE: refused before any expansion */
	xml = strdup("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
	    "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
	    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
	    "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
	    "ID=\"_x\" Version=\"2.0\"><saml:Issuer xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:"
	    "assertion\">&lol3;</saml:Issuer></samlp:AuthnRequest>");
	b64 = b64enc(xml, strlen(xml));
	expect_post(b64, IDG_SAML_R_DTD_REFUSED);
	v = redirect_value(xml, strlen(xml));
	snprintf(qs, sizeof(qs), "SAMLRequest=%s", v);
	expect_redirect(qs, time(NULL), IDG_SAML_R_DTD_REFUSED, false);
	free(v);
	free(b64);
	free(xml);
	xml = strdup("<!DOCTYPE x SYSTEM \"http://127.0.0.1:1/x.dtd\"><x/>");
	b64 = b64enc(xml, strlen(xml));
	expect_post(b64, IDG_SAML_R_DTD_REFUSED);
	free(b64);
	free(xml);
}

static void
test_nameid_policy(void **state)
{
	struct idg_saml_authn a;
	struct idg_saml_out o;
	LassoLogin *l;
	char *q, *id, *xml;

	/* SP1 is configured for e-mail; persistent asked -> InvalidNameIDPolicy */
	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_REDIRECT, true, NULL,
	    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", false, false, "rs", &q);
	assert_int_equal(parse_redirect(q, time(NULL), &a), IDG_DECLINED);
	assert_int_equal(a.reason, IDG_SAML_R_NAMEID_POLICY);
	assert_true(a.can_respond);
	assert_string_equal(a.request_id, id);
	assert_int_equal(idg_saml_error_response(F.idp, &a, IDG_SAML_ST_INVALID_NAMEID_POLICY,
	    NULL, time(NULL), &o), IDG_OK);
	assert_string_equal(o.url, SP1_ACS);
	assert_string_equal(o.relay_state, "rs");
	xml = b64dec(o.value);
	assert_non_null(strstr(xml, "status:Requester\"><samlp:StatusCode Value=\"urn:oasis:"
	    "names:tc:SAML:2.0:status:InvalidNameIDPolicy\""));
	assert_null(strstr(xml, "Assertion"));
	check_algorithms(xml);
	free(xml);
	/* lasso, as the SP, reads it as a failure with a valid signature */
	l = lasso_login_new(F.sp[0]);
	assert_int_not_equal(lasso_login_process_authn_response_msg(l, o.value), 0);
	assert_int_equal(lasso_profile_get_signature_status(LASSO_PROFILE(l)), 0);
	lasso_login_destroy(l);
	idg_saml_out_free(&o);
	free(q);
	free(id);
	/* unspecified and the SP's own format are fine */
	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_REDIRECT, true, NULL,
	    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", false, false, NULL, &q);
	assert_int_equal(parse_redirect(q, time(NULL), &a), IDG_OK);
	assert_int_equal(a.nameid_format, IDG_SAML_NAMEID_EMAIL);
	free(q);
	free(id);
	id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_REDIRECT, true, NULL,
	    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", false, false, NULL, &q);
	assert_int_equal(parse_redirect(q, time(NULL), &a), IDG_OK);
	free(q);
	free(id);
	/* a refused request that cannot be answered gets no Response */
	memset(&a, 0, sizeof(a));
	a.reason = IDG_SAML_R_UNKNOWN_SP;
	assert_int_equal(idg_saml_error_response(F.idp, &a, IDG_SAML_ST_REQUESTER, NULL,
	    time(NULL), &o), IDG_INVALID);
}

static void
test_reason_texts(void **state)
{
	for (int r = IDG_SAML_R_NONE; r <= IDG_SAML_R_INTERNAL; r++) {
		assert_true(strncmp(idg_saml_reason_code(r), "saml_", 5) == 0);
		assert_true(strlen(idg_saml_reason_text(r)) > 10);
		for (int s = r + 1; s <= IDG_SAML_R_INTERNAL; s++)
			assert_string_not_equal(idg_saml_reason_code(r), idg_saml_reason_code(s));
	}
	assert_string_equal(idg_saml_reason_code(IDG_SAML_R_ACS_NOT_REGISTERED),
	    "saml_acs_not_registered");
	assert_string_equal(idg_saml_reason_code(999), "saml_internal");
}

/* ---- single logout ---- */

/* Runs SSO for SP i and returns lasso's session dump (g_free it). */
static char *
sso_session(int i, enum idg_saml_nameid_format fmt, const char *nameid)
{
	struct idg_saml_authn a;
	struct idg_saml_out o;
	LassoLogin *l;
	char *dump;

	assert_int_equal(idg_saml_authn_idp_initiated(F.idp, SP2, NULL, &a),
	    IDG_OK);
	if (i == 0) {
		char *q, *id = fixture_sp_request(&F, 0, IDG_SAML_BINDING_REDIRECT, true, NULL,
		    NULL, false, false, NULL, &q);

		assert_int_equal(parse_redirect(q, time(NULL), &a), IDG_OK);
		free(q);
		free(id);
	}
	make_response(&a, nameid, fmt, &o);
	assert_int_equal(sp_consume(i, o.value, &l), 0);
	dump = lasso_session_dump(lasso_profile_get_session(LASSO_PROFILE(l)));
	lasso_login_destroy(l);
	idg_saml_out_free(&o);
	return dump;
}

static void
test_slo_sp_initiated(void **state)
{
	struct idg_saml_logout_req r;
	struct idg_saml_out o;
	struct idg_saml_msg_in in = { IDG_SAML_BINDING_REDIRECT, NULL, NULL, NULL };
	LassoLogout *lo;
	char *dump, err[256];
	const char *q;

	dump = sso_session(0, IDG_SAML_NAMEID_EMAIL, "alice@example.com");
	lo = lasso_logout_new(F.sp[0]);
	assert_int_equal(lasso_profile_set_session_from_dump(LASSO_PROFILE(lo), dump), 0);
	assert_int_equal(lasso_logout_init_request(lo, "https://id.example.com/saml/acme",
	    LASSO_HTTP_METHOD_REDIRECT), 0);
	LASSO_PROFILE(lo)->msg_relayState = g_strdup("back");
	assert_int_equal(lasso_logout_build_request_msg(lo), 0);
	q = strchr(LASSO_PROFILE(lo)->msg_url, '?') + 1;
	assert_non_null(strstr(q, "Signature="));
	in.raw_query = q;
	assert_int_equal(idg_saml_logout_parse(F.idp, &in, time(NULL), 60, &r, err, sizeof(err)),
	    IDG_OK);
	assert_string_equal(r.sp_entity_id, SP1);
	assert_string_equal(r.nameid, "alice@example.com");
	assert_int_equal(r.n_session_index, 1);
	assert_string_equal(r.session_index[0], "_sess1");
	assert_true(r.signed_request);
	assert_string_equal(r.relay_state, "back");
	/* our answer, on SP1's Redirect SLO endpoint, accepted by lasso */
	assert_int_equal(idg_saml_logout_response(F.idp, &r, false, time(NULL), &o), IDG_OK);
	assert_int_equal(o.binding, IDG_SAML_BINDING_REDIRECT);
	assert_true(strncmp(o.url, "https://sp1.example/slo?SAMLResponse=", 37) == 0);
	assert_non_null(strstr(o.url, "&RelayState=back&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F"
	    "04%2Fxmldsig-more%23rsa-sha256&Signature="));
	assert_int_equal(lasso_logout_process_response_msg(lo, strchr(o.url, '?') + 1), 0);
	idg_saml_out_free(&o);
	/* tampered: the same request with one byte of its signature changed */
	{
		char *t = strdup(q), *p = strstr(t, "Signature=") + 12;

		*p = *p == 'A' ? 'B' : 'A';
		in.raw_query = t;
		assert_int_equal(idg_saml_logout_parse(F.idp, &in, time(NULL), 60, &r, err,
		    sizeof(err)), IDG_DECLINED);
		assert_int_equal(r.reason, IDG_SAML_R_SIGNATURE_INVALID);
		free(t);
	}
	/* too late */
	in.raw_query = q;
	assert_int_equal(idg_saml_logout_parse(F.idp, &in, time(NULL) + 3600, 60, &r, err,
	    sizeof(err)), IDG_DECLINED);
	assert_int_equal(r.reason, IDG_SAML_R_REQUEST_EXPIRED);
	lasso_logout_destroy(lo);
	g_free(dump);
}

static void
test_slo_idp_initiated(void **state)
{
	struct idg_saml_out o;
	struct idg_saml_logout_result res;
	struct idg_saml_logout_target t = { SP1, "alice@example.com", IDG_SAML_NAMEID_EMAIL,
	    "_sess1", "st1" };
	struct idg_saml_msg_in in = { IDG_SAML_BINDING_REDIRECT, NULL, NULL, NULL };
	LassoLogout *lo;
	char *dump, err[256], *xml;

	dump = sso_session(0, IDG_SAML_NAMEID_EMAIL, "alice@example.com");
	assert_int_equal(idg_saml_logout_request(F.idp, &t, time(NULL), 120, &o), IDG_OK);
	assert_int_equal(o.binding, IDG_SAML_BINDING_REDIRECT);
	assert_true(strncmp(o.url, "https://sp1.example/slo?SAMLRequest=", 36) == 0);
	assert_true(strlen(o.message_id) >= 33);
	lo = lasso_logout_new(F.sp[0]);
	assert_int_equal(lasso_profile_set_session_from_dump(LASSO_PROFILE(lo), dump), 0);
	assert_int_equal(lasso_logout_process_request_msg(lo, strchr(o.url, '?') + 1), 0);
	assert_int_equal(lasso_profile_get_signature_status(LASSO_PROFILE(lo)), 0);
	assert_int_equal(lasso_logout_validate_request(lo), 0);
	assert_int_equal(lasso_logout_build_response_msg(lo), 0);
	in.raw_query = strchr(LASSO_PROFILE(lo)->msg_url, '?') + 1;
	assert_int_equal(idg_saml_logout_response_parse(F.idp, &in, SP1, o.message_id,
	    time(NULL), 60, &res, err, sizeof(err)), IDG_OK);
	assert_true(res.success);
	assert_string_equal(res.relay_state, "st1");
	/* an answer to another request, or from another SP, is refused */
	assert_int_equal(idg_saml_logout_response_parse(F.idp, &in, SP1, "_other", time(NULL),
	    60, &res, err, sizeof(err)), IDG_DECLINED);
	assert_int_equal(res.reason, IDG_SAML_R_IN_RESPONSE_TO);
	assert_int_equal(idg_saml_logout_response_parse(F.idp, &in, SP2, o.message_id,
	    time(NULL), 60, &res, err, sizeof(err)), IDG_DECLINED);
	assert_int_equal(res.reason, IDG_SAML_R_UNKNOWN_SP);
	lasso_logout_destroy(lo);
	idg_saml_out_free(&o);
	g_free(dump);

	/* SP2 has a POST SLO endpoint: a signed XML message lasso verifies */
	t.sp_entity_id = SP2;
	t.nameid_format = IDG_SAML_NAMEID_PERSISTENT;
	assert_int_equal(idg_saml_logout_request(F.idp, &t, time(NULL), 120, &o), IDG_OK);
	assert_int_equal(o.binding, IDG_SAML_BINDING_POST);
	assert_string_equal(o.url, "https://sp2.example/slo");
	xml = b64dec(o.value);
	check_algorithms(xml);
	free(xml);
	lo = lasso_logout_new(F.sp[1]);
	lasso_logout_process_request_msg(lo, o.value);
	assert_int_equal(lasso_profile_get_signature_status(LASSO_PROFILE(lo)), 0);
	lasso_logout_destroy(lo);
	/* flip a byte of the signed XML: lasso's verification fails */
	xml = b64dec(o.value);
	*strstr(xml, "_sess1") = 'X';
	{
		char *b64 = b64enc(xml, strlen(xml));

		lo = lasso_logout_new(F.sp[1]);
		lasso_logout_process_request_msg(lo, b64);
		assert_int_not_equal(lasso_profile_get_signature_status(LASSO_PROFILE(lo)), 0);
		lasso_logout_destroy(lo);
		free(b64);
	}
	free(xml);
	idg_saml_out_free(&o);
	/* SP3 has no SLO endpoint */
	t.sp_entity_id = SP3;
	assert_int_equal(idg_saml_logout_request(F.idp, &t, time(NULL), 120, &o), IDG_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idp_metadata),
		cmocka_unit_test(test_sp_metadata),
		cmocka_unit_test(test_idp_new_refusals),
		cmocka_unit_test(test_sso_redirect_signed),
		cmocka_unit_test(test_sso_post_signed),
		cmocka_unit_test(test_response_canonical),
		cmocka_unit_test(test_response_refuses_non_xml),
		cmocka_unit_test(test_sso_persistent_encrypted),
		cmocka_unit_test(test_idp_initiated),
		cmocka_unit_test(test_refuse_acs_and_sp),
		cmocka_unit_test(test_refuse_signatures),
		cmocka_unit_test(test_refuse_times_and_sizes),
		cmocka_unit_test(test_refuse_malformed),
		cmocka_unit_test(test_nameid_policy),
		cmocka_unit_test(test_reason_texts),
		cmocka_unit_test(test_slo_sp_initiated),
		cmocka_unit_test(test_slo_idp_initiated),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
