/*
 * oidc.h - idgate as each tenant's OpenID Provider (OpenID Connect Core
 * 1.0, Discovery 1.0, RP-Initiated Logout 1.0; RFC 6749, 6750, 7009, 7636,
 * 7662, 9207).
 *
 * What the request path needs is held in the worker's directory snapshot
 * (struct idg_oidc_tenant: opened signing keys, the JWKS and discovery
 * documents, clients with their exact redirect URIs and assigned users),
 * built on the work pool when the store generation changes. Codes and
 * refresh tokens live in Redis; access and ID tokens are JWS (jose.h).
 * Nothing of jansson or libjwt leaves this folder.
 */
#ifndef IDG_OIDC_H
#define IDG_OIDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../store/store.h"
#include "jose.h"

struct idg_req;
struct idg_params;

#define IDG_OIDC_MAX_URIS 16
#define IDG_OIDC_MAX_KEYS 8

struct idg_oidc_rp {
	struct idg_oidc_client	 c;
	char			*redirect[IDG_OIDC_MAX_URIS];	/* point into c.redirect_uris */
	int			 nredirect;
	char			*post_logout[IDG_OIDC_MAX_URIS];
	int			 npost_logout;
	int64_t			*users;		/* assigned users, sorted */
	int			 nusers;
	char			 sector[256];	/* host of the first redirect URI (pairwise) */
};

struct idg_oidc_tenant {
	struct idg_jose_key	*keys[IDG_OIDC_MAX_KEYS];	/* every published key */
	int			 nkeys;
	const struct idg_jose_key *current[3];	/* by enum idg_jose_alg; may be NULL */
	char			*jwks;		/* {"keys":[...]} */
	char			*discovery;	/* openid-configuration document */
	char			 issuer[320];
	struct idg_oidc_rp	*rps;		/* sorted by client_id */
	int			 nrps;
};

/* Builds the tenant's OIDC data (pool thread). *out is NULL when the tenant has no keys. */
int	idg_oidc_tenant_load(struct idg_store *s, int64_t tenant_id, const char *company_id,
	    const char *public_url, const uint8_t master_key[32], struct idg_oidc_tenant **out);
void	idg_oidc_tenant_free(struct idg_oidc_tenant *t);
const struct idg_oidc_rp *idg_oidc_rp_find(const struct idg_oidc_tenant *t,
	    const char *client_id);
bool	idg_oidc_rp_user_allowed(const struct idg_oidc_rp *rp, int64_t user_id);
/* RFC 6749 3.1.2: the exact string, or NULL. */
const char *idg_oidc_rp_redirect(const struct idg_oidc_rp *rp, const char *uri);
bool	idg_oidc_rp_has_grant(const struct idg_oidc_rp *rp, const char *grant);

/* ---- request parsing (pure; fuzzed) ---- */

struct idg_authz_req {
	const char	*client_id, *redirect_uri, *response_type, *scope, *state, *nonce;
	const char	*code_challenge, *code_challenge_method, *response_mode, *prompt;
	const char	*login_hint;
	long		 max_age;	/* -1 when absent */
};

/*
 * Reads an authorization request from query or form parameters (borrowed
 * pointers into p). IDG_OK, or IDG_INVALID with *error set to an RFC 6749
 * error code and *desc to a sentence: a parameter sent twice, a malformed
 * max_age, an over-long value.
 */
int	idg_oidc_authz_parse(const struct idg_params *p, struct idg_authz_req *out,
	    const char **error, const char **desc);

struct idg_token_req {
	const char	*grant_type, *code, *redirect_uri, *code_verifier, *refresh_token;
	const char	*scope;
	char		 client_id[128];
	char		 client_secret[256];
	bool		 basic;		/* credentials came in Authorization: Basic */
};

/*
 * Reads a token (or revocation/introspection) request: the form and the
 * Authorization header (client_secret_basic, RFC 6749 2.3.1, with the
 * form-urlencoding of id and secret undone). Credentials in both places are
 * refused (RFC 6749 2.3). IDG_OK or IDG_INVALID with error/desc.
 */
int	idg_oidc_token_parse(const struct idg_params *p, const char *authorization,
	    struct idg_token_req *out, const char **error, const char **desc);

/* ---- handlers (op.c) ---- */
void	idg_h_oidc(struct idg_req *r, const char *rest);

#endif
