/*
 * saml.h - idgate's SAML 2.0 identity-provider core: SP metadata, IdP
 * metadata, AuthnRequest in, Response out, single logout both ways.
 *
 * This is a library with no I/O of its own: it never opens a socket, reads a
 * file, talks to Redis or the store, or looks at the clock (time comes in as
 * `now`, Unix seconds). The HTTP handlers decode nothing themselves: they hand
 * over the raw query string (HTTP-Redirect) or the form values (HTTP-POST),
 * and get back plain structs, a redirect URL or the fields of an
 * auto-submitting form. No lasso, libxml2 or xmlsec type crosses this header.
 * It keeps no replay cache: the caller must refuse a request ID it has seen
 * (Redis `SET NX EX` keyed on tenant + SP + request ID, TTL >= skew).
 *
 * Threads: every call blocks (signing costs a few ms) and belongs on the work
 * pool. idg_saml_init() runs once per process before any other call.
 * A struct idg_saml_idp is NOT thread-safe (lasso objects are not): build one
 * per thread per tenant and cache it; rebuild it when the tenant's keys or SPs
 * change. Every other function is thread-safe (no globals beyond those set
 * once by idg_saml_init) and may run on any thread at any time.
 *
 * Not here: session handling, user lookup, consent pages, the artifact and
 * SOAP bindings (refused), SAML attribute queries, and idgate as a SAML SP
 * (idp-adapters/).
 */
#ifndef IDG_SAML_H
#define IDG_SAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/util/buf.h"

/* Bounds on every text field we copy out of a message (bytes, NUL excluded). */
#define IDG_SAML_URL_MAX		1024	/* entity IDs, endpoint URLs */
#define IDG_SAML_ID_MAX			256	/* XML IDs (request IDs) */
#define IDG_SAML_NAMEID_MAX		512
#define IDG_SAML_RELAY_STATE_MAX	1024	/* longer RelayState is refused */
#define IDG_SAML_MAX_ACS		16	/* ACS endpoints per SP */
#define IDG_SAML_MAX_CERTS		4	/* signing certificates per SP */
#define IDG_SAML_MAX_SESSION_INDEX	4	/* SessionIndex per LogoutRequest */
/* Size caps applied BEFORE decoding (saml-bindings 3.4.4.1 DEFLATE bombs). */
#define IDG_SAML_MAX_ENCODED_BYTES	(64 * 1024)	/* query string or form value */
#define IDG_SAML_MAX_XML_BYTES		(256 * 1024)	/* after base64 + inflate */
/* A persistent NameID: base64url of HMAC-SHA256, 43 chars + NUL. */
#define IDG_SAML_PERSISTENT_ID_LEN	44
/* "sha256-" + base64 of 32 bytes + NUL */
#define IDG_SAML_CSP_HASH_LEN		52

/* Default tolerance on incoming IssueInstant (PROTOCOLS.md: interop). */
#define IDG_SAML_DEFAULT_SKEW_S		60

enum idg_saml_binding {
	IDG_SAML_BINDING_NONE = 0,
	IDG_SAML_BINDING_REDIRECT,	/* urn:...:bindings:HTTP-Redirect */
	IDG_SAML_BINDING_POST,		/* urn:...:bindings:HTTP-POST */
	IDG_SAML_BINDING_OTHER,		/* Artifact, SOAP, PAOS: never used by us */
};

enum idg_saml_nameid_format {
	IDG_SAML_NAMEID_UNSPECIFIED = 0, /* urn:...:SAML:1.1:nameid-format:unspecified */
	IDG_SAML_NAMEID_EMAIL,		/* urn:...:SAML:1.1:nameid-format:emailAddress */
	IDG_SAML_NAMEID_PERSISTENT,	/* urn:...:SAML:2.0:nameid-format:persistent */
};

/*
 * Why a message was refused. The wire code (idg_saml_reason_code) is stable:
 * it goes into the audit log and the error page; never renumber, only add.
 */
enum idg_saml_reason {
	IDG_SAML_R_NONE = 0,
	IDG_SAML_R_UNKNOWN_SP,		/* saml_unknown_sp */
	IDG_SAML_R_ACS_NOT_REGISTERED,	/* saml_acs_not_registered */
	IDG_SAML_R_SIGNATURE_MISSING,	/* saml_signature_missing */
	IDG_SAML_R_SIGNATURE_INVALID,	/* saml_signature_invalid */
	IDG_SAML_R_SIGNATURE_ALGORITHM,	/* saml_signature_algorithm (SHA-1, unknown) */
	IDG_SAML_R_REQUEST_EXPIRED,	/* saml_request_expired (IssueInstant +- skew) */
	IDG_SAML_R_TOO_LARGE,		/* saml_request_too_large */
	IDG_SAML_R_MALFORMED,		/* saml_malformed (base64, DEFLATE, XML, schema) */
	IDG_SAML_R_DTD_REFUSED,		/* saml_dtd_refused */
	IDG_SAML_R_SP_INITIATED_DISABLED, /* saml_sp_initiated_disabled */
	IDG_SAML_R_IDP_INITIATED_DISABLED, /* saml_idp_initiated_disabled */
	IDG_SAML_R_NAMEID_POLICY,	/* saml_nameid_policy */
	IDG_SAML_R_DESTINATION,		/* saml_wrong_destination */
	IDG_SAML_R_BINDING,		/* saml_unsupported_binding */
	IDG_SAML_R_RELAY_STATE,		/* saml_relay_state_too_long */
	IDG_SAML_R_IN_RESPONSE_TO,	/* saml_in_response_to (not our request) */
	IDG_SAML_R_VERSION,		/* saml_version (not 2.0) */
	IDG_SAML_R_INTERNAL,		/* saml_internal (logged; our fault) */
};

/* Stable wire code, e.g. "saml_unknown_sp". Never NULL. */
const char	*idg_saml_reason_code(enum idg_saml_reason r);
/* One English sentence for the error page or the CLI. Never NULL. */
const char	*idg_saml_reason_text(enum idg_saml_reason r);

/*
 * Once per process, before any other call and before threads use lasso:
 * lasso_init (libxml2, xmlsec, OpenSSL engines) and libxml2's safe globals
 * (no entity substitution, no DTD loading, no network). Idempotent; not
 * thread-safe itself. Returns IDG_OK or IDG_ERR (logged).
 * idg_saml_shutdown() is for tests and leak checks only.
 */
int	idg_saml_init(void);
void	idg_saml_shutdown(void);

/* ------------------------------------------------------------------ */
/* Service providers                                                   */

/*
 * An SP as the store keeps it. All pointers are borrowed for the duration of
 * the call that takes the struct; idg_saml_idp_new copies what it keeps.
 */
struct idg_saml_sp_conf {
	const char	*entity_id;	/* must equal the metadata's entityID */
	const char	*metadata_xml;	/* the SP's own EntityDescriptor (text) */
	enum idg_saml_nameid_format nameid_format; /* what this SP is sent */
	bool		 want_authn_requests_signed; /* unsigned requests refused */
	bool		 sign_assertion;
	bool		 sign_response;	/* at least one of the two must be set */
	bool		 encrypt_assertion; /* to the metadata's encryption cert */
	bool		 sp_initiated_allowed;
	bool		 idp_initiated_allowed;
};

/* One endpoint (ACS or SLO) of an SP, as written in (or for) its metadata. */
struct idg_saml_endpoint {
	char		 url[IDG_SAML_URL_MAX + 1];
	enum idg_saml_binding binding;
	int		 index;		/* ACS only; -1 when absent */
	bool		 is_default;	/* ACS only */
};

/* What idg_saml_sp_metadata_check found; release with idg_saml_sp_info_free. */
struct idg_saml_sp_info {
	char		 entity_id[IDG_SAML_URL_MAX + 1];
	struct idg_saml_endpoint acs[IDG_SAML_MAX_ACS];
	size_t		 n_acs;
	struct idg_saml_endpoint slo;	/* Redirect preferred over POST; url "" if none */
	char		*signing_cert_pem[IDG_SAML_MAX_CERTS]; /* owned, PEM */
	size_t		 n_signing_certs;
	char		*encryption_cert_pem;	/* owned, PEM; NULL if none */
	bool		 authn_requests_signed;	/* AuthnRequestsSigned="true" */
	bool		 want_assertions_signed; /* WantAssertionsSigned="true" */
	char		 nameid_formats[3][96];	/* first NameIDFormat entries */
	size_t		 n_nameid_formats;
};

/*
 * Parses SP metadata (one EntityDescriptor with an SPSSODescriptor; a DOCTYPE
 * is refused) and fills *out. Checks: entityID present; at least one ACS with
 * an https (or http://localhost / 127.0.0.1) URL; ACS indexes unique; every
 * certificate parses as X.509. Returns IDG_OK, or IDG_INVALID with a sentence
 * in err. On IDG_INVALID *out holds nothing to free.
 */
int	idg_saml_sp_metadata_check(const char *xml, struct idg_saml_sp_info *out, char *err,
	    size_t errsz);
void	idg_saml_sp_info_free(struct idg_saml_sp_info *info);

/* Input of idg_saml_sp_metadata_from_fields; pointers borrowed. */
struct idg_saml_sp_fields {
	const char	*entity_id;
	const struct idg_saml_endpoint *acs;	/* binding REDIRECT or POST */
	size_t		 n_acs;
	const char	*slo_url;		/* NULL: no SLO */
	enum idg_saml_binding slo_binding;
	const char	*signing_cert_pem;	/* NULL: none */
	const char	*encryption_cert_pem;	/* NULL: none */
	bool		 authn_requests_signed;
	bool		 want_assertions_signed;
	enum idg_saml_nameid_format nameid_format;
};

/*
 * Renders a minimal SP EntityDescriptor from fields (for SPs that publish no
 * metadata), every value XML-escaped, and appends it to out. The result
 * passes idg_saml_sp_metadata_check. Returns IDG_OK, IDG_INVALID (err says
 * which field) or IDG_ERR.
 */
int	idg_saml_sp_metadata_from_fields(const struct idg_saml_sp_fields *f, struct idg_buf *out,
	    char *err, size_t errsz);

/* ------------------------------------------------------------------ */
/* The tenant's IdP                                                    */

/* Pointers borrowed for the call. */
struct idg_saml_idp_conf {
	const char	*public_host;	/* "id.example.com" (no scheme, no slash) */
	const char	*company_id;	/* idg_company_id_valid() */
	const char	*signing_key_pem; /* RSA 2048 or 3072, unencrypted PEM */
	const char	*signing_cert_pem; /* its certificate */
	const char *const *extra_cert_pem; /* published only (next key), may be NULL */
	size_t		 n_extra_certs;
};

/*
 * The URLs every part of idgate must agree on, derived from the conf:
 *   entity ID  https://{public_host}/saml/{company_id}
 *   SSO        https://{public_host}/saml/{company_id}/sso   (Redirect and POST)
 *   SLO        https://{public_host}/saml/{company_id}/slo   (Redirect and POST)
 *   metadata   https://{public_host}/saml/{company_id}/metadata
 * Returns IDG_OK or IDG_INVALID (bad host or company ID).
 */
struct idg_saml_idp_urls {
	char		 entity_id[IDG_SAML_URL_MAX + 1];
	char		 sso[IDG_SAML_URL_MAX + 1];
	char		 slo[IDG_SAML_URL_MAX + 1];
	char		 metadata[IDG_SAML_URL_MAX + 1];
};
int	idg_saml_idp_urls(const struct idg_saml_idp_conf *c, struct idg_saml_idp_urls *out);

/*
 * The IdP's metadata (saml-metadata-2.0-os 2.4.3): IDPSSODescriptor with
 * WantAuthnRequestsSigned="false" (enforced per SP instead), one
 * KeyDescriptor use="signing" per certificate (current first, then extras),
 * SingleLogoutService and SingleSignOnService for HTTP-Redirect and HTTP-POST,
 * and the NameIDFormat list. Every value XML-escaped. Appends to out; returns
 * IDG_OK, IDG_INVALID (bad conf or certificate) or IDG_ERR.
 */
int	idg_saml_metadata(const struct idg_saml_idp_conf *c, struct idg_buf *out);

struct idg_saml_idp;

/*
 * Builds the tenant's IdP with its n SPs. The signing key is parsed once; it
 * is handed to lasso through an anonymous in-memory file (memfd) because
 * lasso's memory-buffer key path leaks ~770 B per signature; the IdP holds
 * one file descriptor until _free. Signatures are RSA-SHA256 with SHA-256
 * digests and exclusive c14n (lasso's default, RSA-SHA1, is overridden).
 * An SP whose metadata fails idg_saml_sp_metadata_check, whose entityID
 * differs from sp->entity_id, or that signs nothing is refused: returns
 * IDG_INVALID naming it in the log. Returns IDG_OK and *out (free it with
 * idg_saml_idp_free), IDG_INVALID or IDG_ERR.
 */
int	idg_saml_idp_new(const struct idg_saml_idp_conf *c, const struct idg_saml_sp_conf *sps,
	    size_t n, struct idg_saml_idp **out);
void	idg_saml_idp_free(struct idg_saml_idp *idp);
/* Borrowed; valid until _free. */
const struct idg_saml_idp_urls *idg_saml_idp_get_urls(const struct idg_saml_idp *idp);

/* ------------------------------------------------------------------ */
/* Incoming messages                                                   */

/*
 * A SAML protocol message as the HTTP layer received it.
 * REDIRECT: raw_query is the whole query string exactly as sent, without the
 *   '?' and still percent-encoded (the signature covers the raw bytes,
 *   saml-bindings 3.4.4.1); the other fields are ignored.
 * POST: message is the SAMLRequest or SAMLResponse form value and
 *   relay_state the RelayState form value (NULL if absent), both already
 *   form-decoded; raw_query is ignored.
 */
struct idg_saml_msg_in {
	enum idg_saml_binding binding;
	const char	*raw_query;
	const char	*message;
	const char	*relay_state;
};

/*
 * An AuthnRequest we accepted, or the most we learned about one we refused.
 * It holds no pointers: the caller may keep it as the pending request (e.g.
 * in Redis, field by field or as bytes within one build) and pass it to
 * idg_saml_response or idg_saml_error_response later, from any thread.
 */
struct idg_saml_authn {
	char		 request_id[IDG_SAML_ID_MAX + 1];  /* "" for IdP-initiated */
	char		 sp_entity_id[IDG_SAML_URL_MAX + 1];
	char		 acs_url[IDG_SAML_URL_MAX + 1];	/* resolved and registered */
	enum idg_saml_binding acs_binding;		/* always POST when set */
	char		 relay_state[IDG_SAML_RELAY_STATE_MAX + 1];
	bool		 has_relay_state;
	bool		 force_authn;	/* authenticate again (profiles 4.1.4.1) */
	bool		 is_passive;	/* no UI: no session -> error NoPassive */
	bool		 allow_create;	/* NameIDPolicy AllowCreate */
	char		 requested_nameid_format[128]; /* "" when the SP asked none */
	enum idg_saml_nameid_format nameid_format; /* what the caller must compute */
	int64_t		 issue_instant;	/* Unix s; 0 for IdP-initiated */
	enum idg_saml_binding binding;	/* how the request arrived */
	bool		 signed_request; /* a signature was present and verified */
	/* set when refused: */
	enum idg_saml_reason reason;
	/*
	 * true when the SP and a registered ACS are known, so a SAML error
	 * Response may be POSTed back (idg_saml_error_response); false: show
	 * the user an error page and send nothing to any URL from the request.
	 */
	bool		 can_respond;
};

/*
 * Decodes and checks an AuthnRequest for this IdP, in this order: sizes
 * (before any decoding), base64, DEFLATE (Redirect; inflated with a cap),
 * XML (DOCTYPE refused; no entities, no network), Version 2.0, Issuer = a
 * known SP, the SP allows SP-initiated SSO, Destination (if present) = our
 * SSO URL, signature (required when the SP's conf or metadata says so; any
 * signature present must verify: Redirect = SigAlg + Signature over the raw
 * "SAMLRequest=..&RelayState=..&SigAlg=.." query; POST = enveloped
 * XML-DSig on the root element; RSA/ECDSA with SHA-256 or better only),
 * IssueInstant within now +- skew_s, the ACS (AssertionConsumerServiceURL
 * compared exactly with a registered POST ACS, else AssertionConsumerService
 * Index, else the SP's default ACS; profiles 4.1.4.1), ProtocolBinding
 * (HTTP-POST only), NameIDPolicy Format (unspecified or the SP's format;
 * core 3.4.1.1), RelayState length.
 * Returns IDG_OK with *out filled; IDG_DECLINED with out->reason and
 * out->can_respond (and the known fields) set; IDG_ERR on internal failure
 * (out->reason = IDG_SAML_R_INTERNAL). err receives a detail for the log
 * (never shown to the user; may be NULL).
 */
int	idg_saml_authn_parse(struct idg_saml_idp *idp, const struct idg_saml_msg_in *in,
	    int64_t now, int skew_s, struct idg_saml_authn *out, char *err, size_t errsz);

/*
 * Starts IdP-initiated SSO (a portal click): fills *out as if the SP had sent
 * an AuthnRequest without ID, to its default ACS, with its NameID format and
 * the given RelayState (NULL for none). Returns IDG_OK, or IDG_DECLINED with
 * out->reason (unknown SP, IdP-initiated disabled, RelayState too long).
 */
int	idg_saml_authn_idp_initiated(struct idg_saml_idp *idp, const char *sp_entity_id,
	    const char *relay_state, struct idg_saml_authn *out);

/* ------------------------------------------------------------------ */
/* Outgoing messages                                                   */

struct idg_saml_attr {
	const char	*name;
	const char	*name_format;	/* NULL: urn:...:attrname-format:basic */
	const char	*friendly_name;	/* NULL: none */
	const char *const *values;	/* UTF-8 text */
	size_t		 n_values;
};

/* The authenticated user, computed by the caller. Pointers borrowed. */
struct idg_saml_subject {
	const char	*nameid;	/* value for the format below */
	enum idg_saml_nameid_format nameid_format; /* must equal req->nameid_format */
	const struct idg_saml_attr *attrs;
	size_t		 n_attrs;
	const char	*session_index;	/* our session's index for SLO; required */
	int64_t		 authn_instant;	/* when the user authenticated */
	const char	*authn_context;	/* AuthnContextClassRef URI; NULL = PPT */
};

/* Common AuthnContextClassRef values the caller passes. */
#define IDG_SAML_AC_PPT	 "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
#define IDG_SAML_AC_X509 "urn:oasis:names:tc:SAML:2.0:ac:classes:X509"
#define IDG_SAML_AC_MFA	 "https://refeds.org/profile/mfa"

/*
 * A message to deliver through the browser.
 * binding POST: url is the form action; param_name ("SAMLResponse" or
 *   "SAMLRequest") = value (base64) and RelayState = relay_state (if not
 *   NULL) are the form fields (see idg_saml_post_form).
 * binding REDIRECT: url is the complete Location, query signed; value NULL.
 * All strings owned; idg_saml_out_free releases them (safe on a zeroed or
 * already freed struct).
 */
struct idg_saml_out {
	enum idg_saml_binding binding;
	char		*url;
	const char	*param_name;	/* static */
	char		*value;
	char		*relay_state;
	char		 message_id[IDG_SAML_ID_MAX + 1]; /* ID of the message built */
};
void	idg_saml_out_free(struct idg_saml_out *o);

/*
 * The SSO Response (profiles 4.1.4.2) for req (from idg_saml_authn_parse or
 * idg_saml_authn_idp_initiated, with reason NONE): Issuer; Destination = ACS;
 * InResponseTo (SP-initiated); a bearer SubjectConfirmation with Recipient =
 * ACS, NotOnOrAfter = now + lifetime_s and InResponseTo; Conditions NotBefore
 * = now - skew_s, NotOnOrAfter = now + lifetime_s, AudienceRestriction = SP
 * entity ID; an AuthnStatement with SessionIndex, AuthnInstant and the
 * context class; an AttributeStatement when attributes are given. Signed
 * (assertion and/or response, RSA-SHA256) and encrypted as the SP's conf
 * says. Returns IDG_OK with *out (POST to the ACS), IDG_INVALID (bad
 * subject, format mismatch, refused req) or IDG_ERR.
 */
int	idg_saml_response(struct idg_saml_idp *idp, const struct idg_saml_authn *req,
	    const struct idg_saml_subject *s, int64_t now, int lifetime_s, int skew_s,
	    struct idg_saml_out *out);

/* Top-level status of an error Response (core 3.2.2.2). */
enum idg_saml_status {
	IDG_SAML_ST_REQUESTER,		/* top-level Requester */
	IDG_SAML_ST_RESPONDER,		/* top-level Responder */
	IDG_SAML_ST_NO_PASSIVE,		/* Responder / NoPassive */
	IDG_SAML_ST_INVALID_NAMEID_POLICY, /* Requester / InvalidNameIDPolicy */
	IDG_SAML_ST_REQUEST_DENIED,	/* Responder / RequestDenied */
	IDG_SAML_ST_AUTHN_FAILED,	/* Responder / AuthnFailed */
	IDG_SAML_ST_REQUEST_UNSUPPORTED, /* Requester / RequestUnsupported */
};

/*
 * A signed error Response (no assertion) to req's ACS. req must have
 * can_respond set (a refused request) or be an accepted one. message (may be
 * NULL) goes into StatusMessage: keep it generic. Returns IDG_OK with *out,
 * IDG_INVALID when req cannot be answered (show a page instead), or IDG_ERR.
 */
int	idg_saml_error_response(struct idg_saml_idp *idp, const struct idg_saml_authn *req,
	    enum idg_saml_status st, const char *message, int64_t now, struct idg_saml_out *out);

/*
 * The auto-submitting POST page for out (binding POST): a form with hidden
 * fields, a <noscript> submit button, and one inline script whose exact text
 * is idg_saml_post_script(). Every value is HTML-escaped. Under a strict CSP
 * the caller allows that script with the hash from idg_saml_post_csp_hash
 * ("script-src 'sha256-...'") and must allow form-action to out->url.
 * Appends to html; returns IDG_OK, IDG_INVALID (not a POST out) or IDG_ERR.
 */
int	idg_saml_post_form(const struct idg_saml_out *out, struct idg_buf *html);
const char *idg_saml_post_script(void);
/* Writes "sha256-<base64>" of idg_saml_post_script() (IDG_SAML_CSP_HASH_LEN). */
void	idg_saml_post_csp_hash(char out[IDG_SAML_CSP_HASH_LEN]);

/*
 * Persistent NameID (core 8.3.7): base64url(HMAC-SHA256(key, tenant NUL
 * sp_entity_id NUL user_id)): opaque, stable per tenant + app + user,
 * different across apps. key is a per-tenant secret. Returns IDG_OK or IDG_ERR.
 */
int	idg_saml_persistent_id(const uint8_t key[32], const char *tenant, const char *sp_entity_id,
	    const char *user_id, char out[IDG_SAML_PERSISTENT_ID_LEN]);

/* ------------------------------------------------------------------ */
/* Single logout (profiles 4.4)                                        */

/* An SP's LogoutRequest to us. Holds no pointers. */
struct idg_saml_logout_req {
	char		 request_id[IDG_SAML_ID_MAX + 1];
	char		 sp_entity_id[IDG_SAML_URL_MAX + 1];
	char		 nameid[IDG_SAML_NAMEID_MAX + 1];
	char		 nameid_format[128];
	char		 session_index[IDG_SAML_MAX_SESSION_INDEX][IDG_SAML_ID_MAX + 1];
	size_t		 n_session_index;
	char		 relay_state[IDG_SAML_RELAY_STATE_MAX + 1];
	bool		 has_relay_state;
	int64_t		 issue_instant;
	int64_t		 not_on_or_after; /* 0 if absent */
	enum idg_saml_binding binding;	/* how it arrived */
	bool		 signed_request;
	enum idg_saml_reason reason;
	bool		 can_respond;	/* the SP and its SLO endpoint are known */
};

/*
 * Decodes and checks a LogoutRequest with the same rules as
 * idg_saml_authn_parse (caps, DTD, signature when the SP requires signed
 * requests or sends one, IssueInstant, Destination = our SLO URL, and
 * NotOnOrAfter if present). Return values as idg_saml_authn_parse. The
 * caller ends the sessions named by NameID/SessionIndex, then answers with
 * idg_saml_logout_response.
 */
int	idg_saml_logout_parse(struct idg_saml_idp *idp, const struct idg_saml_msg_in *in,
	    int64_t now, int skew_s, struct idg_saml_logout_req *out, char *err, size_t errsz);

/*
 * Our LogoutResponse to req, on the SP's SLO endpoint (ResponseLocation if
 * given) and binding (Redirect: signed query; POST: signed XML), status
 * Success (with partial: second-level PartialLogout, core 3.7.3.2), or
 * Requester for a refused request that can be answered; RelayState echoed.
 * Returns IDG_OK, IDG_INVALID (req cannot be answered) or IDG_ERR.
 */
int	idg_saml_logout_response(struct idg_saml_idp *idp, const struct idg_saml_logout_req *req,
	    bool partial, int64_t now, struct idg_saml_out *out);

/* Who to log out at an SP we propagate a logout to (front channel). */
struct idg_saml_logout_target {
	const char	*sp_entity_id;
	const char	*nameid;
	enum idg_saml_nameid_format nameid_format;
	const char	*session_index;	/* NULL: none */
	const char	*relay_state;	/* NULL: none; ours, to find our state again */
};

/*
 * Our signed LogoutRequest to an SP, Redirect binding when the SP has one
 * (else POST), NotOnOrAfter = now + lifetime_s. out->message_id is the
 * request ID the caller keeps to match the SP's answer. Returns IDG_OK,
 * IDG_NOTFOUND (unknown SP or no SLO endpoint: skip it), IDG_INVALID or IDG_ERR.
 */
int	idg_saml_logout_request(struct idg_saml_idp *idp, const struct idg_saml_logout_target *t,
	    int64_t now, int lifetime_s, struct idg_saml_out *out);

struct idg_saml_logout_result {
	char		 sp_entity_id[IDG_SAML_URL_MAX + 1];
	char		 in_response_to[IDG_SAML_ID_MAX + 1];
	bool		 success;	/* top-level status Success */
	bool		 partial;	/* second-level PartialLogout */
	char		 relay_state[IDG_SAML_RELAY_STATE_MAX + 1];
	bool		 has_relay_state;
	enum idg_saml_reason reason;
};

/*
 * Checks an SP's LogoutResponse to our request expected_request_id sent to
 * expected_sp: same decoding rules, Issuer = expected_sp, InResponseTo =
 * expected_request_id (else IDG_SAML_R_IN_RESPONSE_TO), signature when
 * present (and required when the SP requires signed requests), IssueInstant
 * within skew, Destination (if present) = our SLO URL. Returns IDG_OK with
 * *out (success says whether the SP logged the user out) or IDG_DECLINED with
 * out->reason, or IDG_ERR.
 */
int	idg_saml_logout_response_parse(struct idg_saml_idp *idp, const struct idg_saml_msg_in *in,
	    const char *expected_sp, const char *expected_request_id, int64_t now, int skew_s,
	    struct idg_saml_logout_result *out, char *err, size_t errsz);

#endif
