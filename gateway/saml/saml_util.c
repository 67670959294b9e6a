/*
 * saml_util.c - the decoding pipeline for incoming SAML messages (size caps,
 * base64, capped raw inflate, XML parsed without DTDs, entities or network),
 * Redirect-binding query signing and verification with OpenSSL, time and
 * certificate helpers, and the reason-code table.
 *
 * It does not decide anything about SPs or requests (saml_idp.c, saml_slo.c)
 * and never calls lasso.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <zlib.h>

#include "gateway/saml/saml_int.h"
#include "gateway/util/buf.h"
#include "gateway/util/log.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"

static const struct {
	const char *code;
	const char *text;
} reasons[] = {
	[IDG_SAML_R_NONE] = { "saml_ok", "The request was accepted." },
	[IDG_SAML_R_UNKNOWN_SP] = { "saml_unknown_sp",
	    "The application that sent you here is not registered with this organisation." },
	[IDG_SAML_R_ACS_NOT_REGISTERED] = { "saml_acs_not_registered",
	    "The application asked to send the sign-in result to an address it has not "
	    "registered." },
	[IDG_SAML_R_SIGNATURE_MISSING] = { "saml_signature_missing",
	    "The application's request must be signed but carried no signature." },
	[IDG_SAML_R_SIGNATURE_INVALID] = { "saml_signature_invalid",
	    "The signature on the application's request is not valid." },
	[IDG_SAML_R_SIGNATURE_ALGORITHM] = { "saml_signature_algorithm",
	    "The application's request was signed with an algorithm that is not accepted "
	    "(SHA-256 or stronger is required)." },
	[IDG_SAML_R_REQUEST_EXPIRED] = { "saml_request_expired",
	    "The application's request is too old or dated in the future; check the clocks "
	    "and try again." },
	[IDG_SAML_R_TOO_LARGE] = { "saml_request_too_large",
	    "The application's request is too large." },
	[IDG_SAML_R_MALFORMED] = { "saml_malformed",
	    "The application's request could not be read." },
	[IDG_SAML_R_DTD_REFUSED] = { "saml_dtd_refused",
	    "The application's request contains a document type declaration, which is "
	    "refused." },
	[IDG_SAML_R_SP_INITIATED_DISABLED] = { "saml_sp_initiated_disabled",
	    "Sign-in started from this application is disabled; open it from the portal." },
	[IDG_SAML_R_IDP_INITIATED_DISABLED] = { "saml_idp_initiated_disabled",
	    "This application cannot be opened from the portal; start from the application." },
	[IDG_SAML_R_NAMEID_POLICY] = { "saml_nameid_policy",
	    "The application asked for a user identifier format it is not configured for." },
	[IDG_SAML_R_DESTINATION] = { "saml_wrong_destination",
	    "The application's request was addressed to a different service." },
	[IDG_SAML_R_BINDING] = { "saml_unsupported_binding",
	    "The application asked for a SAML binding that is not supported." },
	[IDG_SAML_R_RELAY_STATE] = { "saml_relay_state_too_long",
	    "The application's RelayState is too long." },
	[IDG_SAML_R_IN_RESPONSE_TO] = { "saml_in_response_to",
	    "The application's answer does not match a request we sent." },
	[IDG_SAML_R_VERSION] = { "saml_version",
	    "The application's request is not SAML 2.0." },
	[IDG_SAML_R_INTERNAL] = { "saml_internal",
	    "An internal error occurred; please try again later." },
};

const char *
idg_saml_reason_code(enum idg_saml_reason r)
{
	if ((size_t)r >= sizeof(reasons) / sizeof(reasons[0]) || reasons[r].code == NULL)
		return "saml_internal";
	return reasons[r].code;
}

const char *
idg_saml_reason_text(enum idg_saml_reason r)
{
	if ((size_t)r >= sizeof(reasons) / sizeof(reasons[0]) || reasons[r].text == NULL)
		return reasons[IDG_SAML_R_INTERNAL].text;
	return reasons[r].text;
}

void
saml_seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

const char *
saml_nameid_uri(enum idg_saml_nameid_format f)
{
	switch (f) {
	case IDG_SAML_NAMEID_EMAIL:
		return FMT_EMAIL;
	case IDG_SAML_NAMEID_PERSISTENT:
		return FMT_PERSISTENT;
	default:
		return FMT_UNSPEC;
	}
}

bool
saml_nameid_from_uri(const char *uri, enum idg_saml_nameid_format *out)
{
	if (strcmp(uri, FMT_EMAIL) == 0)
		*out = IDG_SAML_NAMEID_EMAIL;
	else if (strcmp(uri, FMT_PERSISTENT) == 0)
		*out = IDG_SAML_NAMEID_PERSISTENT;
	else if (strcmp(uri, FMT_UNSPEC) == 0)
		*out = IDG_SAML_NAMEID_UNSPECIFIED;
	else
		return false;
	return true;
}

/* ---- time ---- */

void
saml_time_fmt(int64_t t, char *out, size_t outsz)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool
saml_time_parse(const char *s, int64_t *out)
{
	struct tm tm;
	int y, mo, d, h, mi, sec;

	if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return false;
	s += 19;
	/* some SPs send milliseconds (PROTOCOLS.md interop note) */
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	/* core 1.3.3: SAML times are UTC without a time zone offset */
	if (strcmp(s, "Z") != 0 && strcmp(s, "+00:00") != 0)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (int64_t)timegm(&tm);
	return true;
}

/* ---- base64 ---- */

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

unsigned char *
saml_b64_decode(const char *s, size_t slen, size_t *outlen)
{
	unsigned char *out;
	size_t o = 0, pad = 0, nq = 0;
	uint32_t acc = 0;

	out = malloc(slen / 4 * 3 + 3);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < slen; i++) {
		int c = (unsigned char)s[i], v;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			if (pad > 2)
				goto bad;
			continue;
		}
		if (pad > 0 || (v = b64val(c)) < 0)
			goto bad;
		acc = (acc << 6) | (uint32_t)v;
		if (++nq == 4) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			nq = 0;
			acc = 0;
		}
	}
	if (nq == 1 || (pad > 0 && nq + pad != 4))
		goto bad;
	if (nq == 2) {
		out[o++] = (unsigned char)(acc >> 4);
	} else if (nq == 3) {
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	*outlen = o;
	return out;
bad:
	free(out);
	return NULL;
}

char *
saml_b64_encode(const unsigned char *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* ---- DEFLATE ---- */

/* Raw inflate with a hard cap on the output (saml-bindings 3.4.4.1). */
static int
inflate_capped(const unsigned char *in, size_t inlen, char **out, size_t *outlen,
    enum idg_saml_reason *r)
{
	z_stream zs;
	char *buf;
	int zrc;

	buf = malloc(IDG_SAML_MAX_XML_BYTES + 1);
	if (buf == NULL) {
		*r = IDG_SAML_R_INTERNAL;
		return IDG_ERR;
	}
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
		free(buf);
		*r = IDG_SAML_R_INTERNAL;
		return IDG_ERR;
	}
	zs.next_in = (unsigned char *)(uintptr_t)in;
	zs.avail_in = (uInt)inlen;
	zs.next_out = (unsigned char *)buf;
	zs.avail_out = IDG_SAML_MAX_XML_BYTES + 1;
	zrc = inflate(&zs, Z_FINISH);
	*outlen = zs.total_out;
	inflateEnd(&zs);
	if (*outlen > IDG_SAML_MAX_XML_BYTES) {
		free(buf);
		*r = IDG_SAML_R_TOO_LARGE;
		return IDG_DECLINED;
	}
	if (zrc != Z_STREAM_END) {
		free(buf);
		*r = IDG_SAML_R_MALFORMED;
		return IDG_DECLINED;
	}
	buf[*outlen] = '\0';
	*out = buf;
	return IDG_OK;
}

unsigned char *
saml_deflate(const char *p, size_t n, size_t *outlen)
{
	z_stream zs;
	unsigned char *out;
	size_t cap = compressBound((uLong)n) + 64;

	out = malloc(cap);
	if (out == NULL)
		return NULL;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(out);
		return NULL;
	}
	zs.next_in = (unsigned char *)(uintptr_t)p;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		free(out);
		return NULL;
	}
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return out;
}

/* ---- XML ---- */

xmlDoc *
saml_xml_parse(const char *xml, size_t len, enum idg_saml_reason *r)
{
	xmlDoc *doc;

	/*
	 * PROTOCOLS.md XML security: no DTDs, no entity expansion, no network.
	 * A DOCTYPE is refused outright before libxml2 sees it (billion laughs,
	 * XXE); the parser options below keep entities unexpanded and the
	 * network off even if one slipped through, and intSubset is checked.
	 */
	if (memmem(xml, len, "<!DOCTYPE", 9) != NULL || memmem(xml, len, "<!ENTITY", 8) != NULL) {
		*r = IDG_SAML_R_DTD_REFUSED;
		return NULL;
	}
	if (memchr(xml, '\0', len) != NULL) {
		*r = IDG_SAML_R_MALFORMED;
		return NULL;
	}
	doc = xmlReadMemory(xml, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (doc == NULL) {
		*r = IDG_SAML_R_MALFORMED;
		return NULL;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		xmlFreeDoc(doc);
		*r = IDG_SAML_R_DTD_REFUSED;
		return NULL;
	}
	if (xmlDocGetRootElement(doc) == NULL) {
		xmlFreeDoc(doc);
		*r = IDG_SAML_R_MALFORMED;
		return NULL;
	}
	return doc;
}

bool
saml_is(const xmlNode *n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, ns) == 0 &&
	    strcmp((const char *)n->name, name) == 0;
}

xmlNode *
saml_next(const xmlNode *n, const char *ns, const char *name)
{
	for (; n != NULL; n = n->next)
		if (saml_is(n, ns, name))
			return (xmlNode *)(uintptr_t)n;
	return NULL;
}

xmlNode *
saml_child(const xmlNode *n, const char *ns, const char *name)
{
	return n == NULL ? NULL : saml_next(n->children, ns, name);
}

bool
saml_attr(const xmlNode *n, const char *name, char *out, size_t outsz)
{
	xmlChar *v;
	bool ok;

	out[0] = '\0';
	if (n == NULL || (v = xmlGetNoNsProp(n, (const xmlChar *)name)) == NULL)
		return false;
	ok = idg_strlcpy(out, (const char *)v, outsz) < outsz;
	if (!ok)
		out[0] = '\0';
	xmlFree(v);
	return ok;
}

bool
saml_text(const xmlNode *n, char *out, size_t outsz)
{
	xmlChar *v;
	const char *s, *e;
	size_t len;

	out[0] = '\0';
	if (n == NULL || (v = xmlNodeGetContent(n)) == NULL)
		return false;
	s = (const char *)v;
	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	len = (size_t)(e - s);
	if (len >= outsz) {
		xmlFree(v);
		return false;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	xmlFree(v);
	return true;
}

/*
 * Escapes s as exclusive c14n writes it (c14n 1.0 section 5.2): in text
 * & < > and CR; in an attribute value & < " TAB LF CR. What is written
 * with these is already canonical, so saml_resp.c can digest its own
 * bytes. Refuses what XML 1.0 cannot carry (bad UTF-8, C0 controls other
 * than TAB LF CR, U+FFFE and U+FFFF).
 */
static int
xml_escape(struct idg_buf *b, const char *s, bool attr)
{
	const char *run = s;
	int rc = IDG_OK;

	if (!idg_utf8_valid(s))
		return IDG_INVALID;
	for (; *s != '\0' && rc == IDG_OK; s++) {
		unsigned char c = (unsigned char)*s;
		const char *rep = NULL;

		switch (c) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = attr ? NULL : "&gt;";
			break;
		case '"':
			rep = attr ? "&quot;" : NULL;
			break;
		case '\t':
			rep = attr ? "&#x9;" : NULL;
			break;
		case '\n':
			rep = attr ? "&#xA;" : NULL;
			break;
		case '\r':
			rep = "&#xD;";
			break;
		case 0xef:
			if ((unsigned char)s[1] == 0xbf && ((unsigned char)s[2] & 0xfe) == 0xbe)
				return IDG_INVALID;
			break;
		default:
			if (c < 0x20)
				return IDG_INVALID;
		}
		if (rep == NULL)
			continue;
		rc = idg_buf_add(b, run, (size_t)(s - run));
		if (rc == IDG_OK)
			rc = idg_buf_adds(b, rep);
		run = s + 1;
	}
	if (rc == IDG_OK)
		rc = idg_buf_add(b, run, (size_t)(s - run));
	return rc;
}

int
saml_xml_escape(struct idg_buf *b, const char *s)
{
	return xml_escape(b, s, false);
}

int
saml_xml_attr(struct idg_buf *b, const char *name, const char *v)
{
	if (idg_buf_printf(b, " %s=\"", name) != IDG_OK || xml_escape(b, v, true) != IDG_OK ||
	    idg_buf_adds(b, "\"") != IDG_OK)
		return IDG_ERR;
	return IDG_OK;
}

/* ---- query strings ---- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* application/x-www-form-urlencoded value decoding; malloc'd or NULL if bad. */
static char *
url_decode(const char *s, size_t n, size_t *outlen)
{
	char *out = malloc(n + 1);
	size_t o = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int h, l;

			if (i + 2 >= n || (h = hexval((unsigned char)s[i + 1])) < 0 ||
			    (l = hexval((unsigned char)s[i + 2])) < 0) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(h * 16 + l);
			i += 2;
		} else if (s[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

struct qparam {
	const char *v;		/* raw value inside the query */
	size_t n;
	bool seen;
};

static int
split_query(const char *q, const char *param, struct qparam *msg, struct qparam *rs,
    struct qparam *alg, struct qparam *sig)
{
	const char *p = q;

	while (*p != '\0') {
		const char *amp = strchr(p, '&'), *eq;
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		struct qparam *t = NULL;

		eq = memchr(p, '=', len);
		if (eq != NULL) {
			size_t kl = (size_t)(eq - p);

			if (kl == strlen(param) && memcmp(p, param, kl) == 0)
				t = msg;
			else if (kl == 10 && memcmp(p, "RelayState", 10) == 0)
				t = rs;
			else if (kl == 6 && memcmp(p, "SigAlg", 6) == 0)
				t = alg;
			else if (kl == 9 && memcmp(p, "Signature", 9) == 0)
				t = sig;
		}
		if (t != NULL) {
			if (t->seen)
				return IDG_DECLINED;	/* duplicate parameter */
			t->seen = true;
			t->v = eq + 1;
			t->n = len - (size_t)(eq + 1 - p);
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return IDG_OK;
}

void
saml_msg_free(struct saml_msg *m)
{
	free(m->xml);
	if (m->doc != NULL)
		xmlFreeDoc(m->doc);
	free(m->signed_part);
	free(m->sig_alg);
	free(m->sig);
	memset(m, 0, sizeof(*m));
}

static int
set_relay_state(struct saml_msg *m, const char *s, size_t n, enum idg_saml_reason *r)
{
	if (n > IDG_SAML_RELAY_STATE_MAX) {
		*r = IDG_SAML_R_RELAY_STATE;
		return IDG_DECLINED;
	}
	if (memchr(s, '\0', n) != NULL) {
		*r = IDG_SAML_R_MALFORMED;
		return IDG_DECLINED;
	}
	memcpy(m->relay_state, s, n);
	m->relay_state[n] = '\0';
	m->has_relay_state = true;
	return IDG_OK;
}

int
saml_msg_decode(const struct idg_saml_msg_in *in, const char *param, struct saml_msg *m,
    enum idg_saml_reason *r, char *err, size_t errsz)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	int rc = IDG_DECLINED;

	memset(m, 0, sizeof(*m));
	*r = IDG_SAML_R_MALFORMED;
	if (in == NULL)
		return IDG_DECLINED;
	if (in->binding == IDG_SAML_BINDING_REDIRECT) {
		struct qparam qm = { 0 }, qr = { 0 }, qa = { 0 }, qs = { 0 };
		char *b64, *tmp;
		size_t b64len, tl;

		if (in->raw_query == NULL) {
			saml_seterr(err, errsz, "no query string");
			return IDG_DECLINED;
		}
		/* the cap applies before any decoding */
		if (strlen(in->raw_query) > IDG_SAML_MAX_ENCODED_BYTES) {
			*r = IDG_SAML_R_TOO_LARGE;
			saml_seterr(err, errsz, "query string over %d bytes",
			    IDG_SAML_MAX_ENCODED_BYTES);
			return IDG_DECLINED;
		}
		if (split_query(in->raw_query, param, &qm, &qr, &qa, &qs) != IDG_OK ||
		    !qm.seen) {
			saml_seterr(err, errsz, "%s missing or repeated", param);
			return IDG_DECLINED;
		}
		if (qr.seen) {
			tmp = url_decode(qr.v, qr.n, &tl);
			if (tmp == NULL) {
				saml_seterr(err, errsz, "bad RelayState encoding");
				return IDG_DECLINED;
			}
			rc = set_relay_state(m, tmp, tl, r);
			free(tmp);
			if (rc != IDG_OK)
				goto fail;
		}
		if (qs.seen != qa.seen) {
			*r = IDG_SAML_R_SIGNATURE_INVALID;
			saml_seterr(err, errsz, "Signature without SigAlg or the reverse");
			rc = IDG_DECLINED;
			goto fail;
		}
		if (qs.seen) {
			struct idg_buf sp;
			unsigned char *sig;
			size_t sl;

			/* saml-bindings 3.4.4.1: the raw values, in this order */
			idg_buf_init(&sp, IDG_SAML_MAX_ENCODED_BYTES + 64);
			if (idg_buf_adds(&sp, param) != IDG_OK ||
			    idg_buf_adds(&sp, "=") != IDG_OK ||
			    idg_buf_add(&sp, qm.v, qm.n) != IDG_OK ||
			    (qr.seen && (idg_buf_adds(&sp, "&RelayState=") != IDG_OK ||
			    idg_buf_add(&sp, qr.v, qr.n) != IDG_OK)) ||
			    idg_buf_adds(&sp, "&SigAlg=") != IDG_OK ||
			    idg_buf_add(&sp, qa.v, qa.n) != IDG_OK) {
				idg_buf_free(&sp);
				*r = IDG_SAML_R_INTERNAL;
				rc = IDG_ERR;
				goto fail;
			}
			m->signed_part = idg_buf_take(&sp);
			m->sig_alg = url_decode(qa.v, qa.n, &tl);
			tmp = url_decode(qs.v, qs.n, &tl);
			sig = tmp ? saml_b64_decode(tmp, tl, &sl) : NULL;
			free(tmp);
			if (m->sig_alg == NULL || sig == NULL || m->signed_part == NULL) {
				free(sig);
				*r = IDG_SAML_R_SIGNATURE_INVALID;
				saml_seterr(err, errsz, "bad SigAlg or Signature encoding");
				rc = IDG_DECLINED;
				goto fail;
			}
			m->sig = sig;
			m->sig_len = sl;
			m->has_query_sig = true;
		}
		b64 = url_decode(qm.v, qm.n, &b64len);
		if (b64 == NULL) {
			saml_seterr(err, errsz, "bad %s percent-encoding", param);
			rc = IDG_DECLINED;
			goto fail;
		}
		raw = saml_b64_decode(b64, b64len, &rawlen);
		free(b64);
		if (raw == NULL) {
			saml_seterr(err, errsz, "bad base64");
			rc = IDG_DECLINED;
			goto fail;
		}
		rc = inflate_capped(raw, rawlen, &m->xml, &m->xml_len, r);
		free(raw);
		raw = NULL;
		if (rc != IDG_OK) {
			saml_seterr(err, errsz, *r == IDG_SAML_R_TOO_LARGE ?
			    "inflated message over the cap" : "bad DEFLATE data");
			goto fail;
		}
	} else if (in->binding == IDG_SAML_BINDING_POST) {
		size_t n;

		if (in->message == NULL) {
			saml_seterr(err, errsz, "no %s field", param);
			return IDG_DECLINED;
		}
		n = strlen(in->message);
		if (n > IDG_SAML_MAX_ENCODED_BYTES) {
			*r = IDG_SAML_R_TOO_LARGE;
			saml_seterr(err, errsz, "%s over %d bytes", param,
			    IDG_SAML_MAX_ENCODED_BYTES);
			return IDG_DECLINED;
		}
		if (in->relay_state != NULL) {
			rc = set_relay_state(m, in->relay_state, strlen(in->relay_state), r);
			if (rc != IDG_OK)
				goto fail;
		}
		raw = saml_b64_decode(in->message, n, &rawlen);
		if (raw == NULL) {
			saml_seterr(err, errsz, "bad base64");
			rc = IDG_DECLINED;
			goto fail;
		}
		m->xml = malloc(rawlen + 1);
		if (m->xml == NULL) {
			*r = IDG_SAML_R_INTERNAL;
			rc = IDG_ERR;
			goto fail;
		}
		memcpy(m->xml, raw, rawlen);
		free(raw);
		raw = NULL;
		m->xml[rawlen] = '\0';
		m->xml_len = rawlen;
	} else {
		*r = IDG_SAML_R_BINDING;
		saml_seterr(err, errsz, "unsupported binding");
		return IDG_DECLINED;
	}
	m->doc = saml_xml_parse(m->xml, m->xml_len, r);
	if (m->doc == NULL) {
		saml_seterr(err, errsz, "%s", *r == IDG_SAML_R_DTD_REFUSED ?
		    "DOCTYPE refused" : "not well-formed XML");
		rc = IDG_DECLINED;
		goto fail;
	}
	m->root = xmlDocGetRootElement(m->doc);
	*r = IDG_SAML_R_NONE;
	return IDG_OK;
fail:
	free(raw);
	saml_msg_free(m);
	return rc == IDG_OK ? IDG_DECLINED : rc;
}

/* ---- Redirect-binding signatures ---- */

static const EVP_MD *
sigalg_md(const char *alg)
{
	if (strcmp(alg, ALG_RSA_SHA256) == 0 ||
	    strcmp(alg, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256") == 0)
		return EVP_sha256();
	if (strcmp(alg, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384") == 0 ||
	    strcmp(alg, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384") == 0)
		return EVP_sha384();
	if (strcmp(alg, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512") == 0 ||
	    strcmp(alg, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512") == 0)
		return EVP_sha512();
	return NULL;		/* SHA-1 and anything unknown */
}

bool
saml_query_verify(const struct saml_msg *m, EVP_PKEY *const *keys, size_t nkeys,
    enum idg_saml_reason *r)
{
	const EVP_MD *md;
	bool ec;

	/* PROTOCOLS.md XML security: RSA-SHA256 (or ECDSA-SHA256) or better */
	md = sigalg_md(m->sig_alg);
	if (md == NULL) {
		*r = IDG_SAML_R_SIGNATURE_ALGORITHM;
		return false;
	}
	ec = strstr(m->sig_alg, "#ecdsa-") != NULL;
	for (size_t i = 0; i < nkeys; i++) {
		EVP_MD_CTX *ctx;
		int ok;

		if ((EVP_PKEY_base_id(keys[i]) == EVP_PKEY_EC) != ec)
			continue;
		ctx = EVP_MD_CTX_new();
		if (ctx == NULL)
			break;
		ok = EVP_DigestVerifyInit(ctx, NULL, md, NULL, keys[i]) == 1 &&
		    EVP_DigestVerify(ctx, m->sig, m->sig_len,
		    (const unsigned char *)m->signed_part, strlen(m->signed_part)) == 1;
		EVP_MD_CTX_free(ctx);
		if (ok)
			return true;
	}
	*r = IDG_SAML_R_SIGNATURE_INVALID;
	return false;
}

char *
saml_query_sign(const char *base_url, const char *param, const char *xml,
    const char *relay_state, EVP_PKEY *key)
{
	struct idg_buf q, url;
	unsigned char *def = NULL, sig[1024];
	char *b64 = NULL, *sb64 = NULL, *ret = NULL;
	size_t deflen, siglen = sizeof(sig);
	EVP_MD_CTX *ctx = NULL;

	idg_buf_init(&q, 4 * IDG_SAML_MAX_ENCODED_BYTES);
	idg_buf_init(&url, 4 * IDG_SAML_MAX_ENCODED_BYTES);
	def = saml_deflate(xml, strlen(xml), &deflen);
	if (def == NULL || (b64 = saml_b64_encode(def, deflen)) == NULL)
		goto out;
	if (idg_buf_adds(&q, param) != IDG_OK || idg_buf_adds(&q, "=") != IDG_OK ||
	    idg_url_escape(&q, b64) != IDG_OK)
		goto out;
	if (relay_state != NULL && (idg_buf_adds(&q, "&RelayState=") != IDG_OK ||
	    idg_url_escape(&q, relay_state) != IDG_OK))
		goto out;
	if (idg_buf_adds(&q, "&SigAlg=") != IDG_OK || idg_url_escape(&q, ALG_RSA_SHA256) != IDG_OK)
		goto out;
	/* our signatures: RSA-SHA256 only, never SHA-1 */
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)q.data, q.len) != 1)
		goto out;
	if ((sb64 = saml_b64_encode(sig, siglen)) == NULL)
		goto out;
	if (idg_buf_adds(&q, "&Signature=") != IDG_OK || idg_url_escape(&q, sb64) != IDG_OK)
		goto out;
	if (idg_buf_adds(&url, base_url) != IDG_OK ||
	    idg_buf_adds(&url, strchr(base_url, '?') ? "&" : "?") != IDG_OK ||
	    idg_buf_add(&url, q.data, q.len) != IDG_OK)
		goto out;
	ret = idg_buf_take(&url);
out:
	EVP_MD_CTX_free(ctx);
	free(def);
	free(b64);
	free(sb64);
	idg_buf_free(&q);
	idg_buf_free(&url);
	return ret;
}

/* ---- certificates ---- */

char *
saml_cert_pem_from_b64(const char *b64)
{
	struct idg_buf b;
	size_t j = 0;

	idg_buf_init(&b, 64 * 1024);
	if (idg_buf_adds(&b, "-----BEGIN CERTIFICATE-----\n") != IDG_OK)
		goto bad;
	for (const char *p = b64; *p != '\0'; p++) {
		if (isspace((unsigned char)*p))
			continue;
		if (b64val((unsigned char)*p) < 0 && *p != '=')
			goto bad;
		if (idg_buf_add(&b, p, 1) != IDG_OK)
			goto bad;
		if (++j % 64 == 0 && idg_buf_adds(&b, "\n") != IDG_OK)
			goto bad;
	}
	if (j == 0 || (j % 64 != 0 && idg_buf_adds(&b, "\n") != IDG_OK) ||
	    idg_buf_adds(&b, "-----END CERTIFICATE-----\n") != IDG_OK)
		goto bad;
	return idg_buf_take(&b);
bad:
	idg_buf_free(&b);
	return NULL;
}

static X509 *
cert_load(const char *pem)
{
	BIO *bio;
	X509 *x;

	bio = BIO_new_mem_buf(pem, -1);
	if (bio == NULL)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return x;
}

EVP_PKEY *
saml_cert_pubkey(const char *pem)
{
	X509 *x = cert_load(pem);
	EVP_PKEY *k;

	if (x == NULL)
		return NULL;
	k = X509_get_pubkey(x);
	X509_free(x);
	return k;
}

char *
saml_cert_b64(const char *pem)
{
	X509 *x = cert_load(pem);
	unsigned char *der = NULL;
	char *out;
	int n;

	if (x == NULL)
		return NULL;
	n = i2d_X509(x, &der);
	X509_free(x);
	if (n <= 0)
		return NULL;
	out = saml_b64_encode(der, (size_t)n);
	OPENSSL_free(der);
	return out;
}
