/*
 * saml_int.h - internals shared by the files of gateway/saml: the decoding
 * pipeline for incoming messages (caps, base64, capped inflate, safe XML),
 * XML walking helpers, time formats, and query signing/verification.
 *
 * Not a public interface: nothing outside gateway/saml includes it, and it
 * is the only header here that names libxml2 or OpenSSL types.
 */
#ifndef IDG_SAML_INT_H
#define IDG_SAML_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>
#include <openssl/evp.h>

#include "gateway/saml/saml.h"

#define NS_SAML		"urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_SAMLP	"urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_MD		"urn:oasis:names:tc:SAML:2.0:metadata"
#define NS_DS		"http://www.w3.org/2000/09/xmldsig#"
#define BINDING_REDIRECT "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
#define BINDING_POST	"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
#define FMT_UNSPEC	"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
#define FMT_EMAIL	"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
#define FMT_PERSISTENT	"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
/* a top- or second-level StatusCode (core 3.2.2.2) */
#define SAML_STATUS(x)	"urn:oasis:names:tc:SAML:2.0:status:" x
#define ALG_RSA_SHA256	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

/* A decoded incoming message. */
struct saml_msg {
	char		*xml;		/* NUL-terminated decoded XML (owned) */
	size_t		 xml_len;
	xmlDoc		*doc;		/* owned */
	xmlNode		*root;
	char		 relay_state[IDG_SAML_RELAY_STATE_MAX + 1];
	bool		 has_relay_state;
	/* Redirect binding signature parts */
	bool		 has_query_sig;
	char		*signed_part;	/* raw "SAMLRequest=..&RelayState=..&SigAlg=.." */
	char		*sig_alg;	/* decoded SigAlg */
	unsigned char	*sig;		/* decoded Signature */
	size_t		 sig_len;
};

/* Decodes in (param: "SAMLRequest" or "SAMLResponse"); on failure sets *r. */
int	saml_msg_decode(const struct idg_saml_msg_in *in, const char *param,
	    struct saml_msg *m, enum idg_saml_reason *r, char *err, size_t errsz);
void	saml_msg_free(struct saml_msg *m);
/* Parses XML with no DTD, no entities, no network; refuses any DOCTYPE. */
xmlDoc	*saml_xml_parse(const char *xml, size_t len, enum idg_saml_reason *r);

/* Element helpers (namespace-checked). */
bool	 saml_is(const xmlNode *n, const char *ns, const char *name);
xmlNode	*saml_child(const xmlNode *n, const char *ns, const char *name);
xmlNode	*saml_next(const xmlNode *n, const char *ns, const char *name);
/* Copies an attribute into out; returns false if absent or too long. */
bool	 saml_attr(const xmlNode *n, const char *name, char *out, size_t outsz);
/* Copies the trimmed text content; returns false if absent or too long. */
bool	 saml_text(const xmlNode *n, char *out, size_t outsz);

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC, core 1.3.3); out >= 21 bytes. */
void	 saml_time_fmt(int64_t t, char *out, size_t outsz);
/* xs:dateTime in UTC ('Z' or +00:00, optional fraction); returns false if bad. */
bool	 saml_time_parse(const char *s, int64_t *out);

/* Standard base64 (whitespace ignored); returns malloc'd bytes or NULL. */
unsigned char *saml_b64_decode(const char *s, size_t slen, size_t *outlen);
/* Standard base64 without line breaks; malloc'd string or NULL. */
char	*saml_b64_encode(const unsigned char *p, size_t n);
/* Raw DEFLATE (RFC 1951) of p; malloc'd or NULL. */
unsigned char *saml_deflate(const char *p, size_t n, size_t *outlen);

/* Verifies a Redirect-binding signature with any of keys; *r on failure. */
bool	 saml_query_verify(const struct saml_msg *m, EVP_PKEY *const *keys, size_t nkeys,
	    enum idg_saml_reason *r);
/*
 * Builds the signed Redirect URL: base "?" param=deflate+b64 of xml,
 * RelayState, SigAlg=rsa-sha256, Signature (saml-bindings 3.4.4.1).
 */
char	*saml_query_sign(const char *base_url, const char *param, const char *xml,
	    const char *relay_state, EVP_PKEY *key);

/* Loads PEM (or base64 DER) certificate text; X509 public key or NULL. */
EVP_PKEY *saml_cert_pubkey(const char *pem);
/* Base64 DER body of a PEM certificate, no line breaks; malloc'd or NULL. */
char	*saml_cert_b64(const char *pem);
/* PEM text from base64 DER (whitespace ignored); malloc'd or NULL. */
char	*saml_cert_pem_from_b64(const char *b64);

/*
 * XML text escaping into b, in exclusive c14n's canonical form (& < > CR);
 * IDG_INVALID for what XML cannot carry (bad UTF-8, control characters).
 */
int	 saml_xml_escape(struct idg_buf *b, const char *s);
/* An attribute: a space, name="v escaped" (canonical form). IDG_OK or IDG_ERR. */
int	 saml_xml_attr(struct idg_buf *b, const char *name, const char *v);
void	 saml_seterr(char *err, size_t errsz, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

const char *saml_nameid_uri(enum idg_saml_nameid_format f);
bool	 saml_nameid_from_uri(const char *uri, enum idg_saml_nameid_format *out);

#endif
