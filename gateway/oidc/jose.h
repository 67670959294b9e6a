/*
 * jose.h - the signing keys of a tenant's OpenID provider and the JWS
 * operations on them (RFC 7515, 7517, 7518, 7638), over OpenSSL 3 and
 * libjwt 1.10.
 *
 * Rules enforced here (PROTOCOLS.md, DESIGN.md "libjwt"):
 *  - a key has exactly one algorithm (RS256: RSA-2048/3072, ES256: P-256)
 *    and verification uses the key's algorithm, never the one a token's
 *    header claims: a header alg that differs from the key's (HS256 with an
 *    RSA public key, "none", ...) is refused before libjwt sees the token;
 *  - the key is chosen by the header's kid; no kid, or an unknown kid, fails;
 *  - kid is the RFC 7638 JWK thumbprint (SHA-256, base64url);
 *  - private keys are stored sealed: PKCS#8 DER encrypted with AES-256-GCM
 *    under a key derived from the master key (HKDF-SHA256, info
 *    "idgate key-at-rest v1"), the kid as additional data.
 * This file checks no claims (iss, aud, exp...): the OP does that.
 */
#ifndef IDG_JOSE_H
#define IDG_JOSE_H

#include <stddef.h>
#include <stdint.h>

enum idg_jose_alg { IDG_JOSE_RS256 = 1, IDG_JOSE_ES256 = 2 };

struct idg_jose_key;	/* opaque: EVP_PKEY + alg + kid */

/* "RS256"/"ES256" <-> enum; IDG_INVALID for anything else (including "none"). */
int	idg_jose_alg_parse(const char *s, enum idg_jose_alg *out);
const char *idg_jose_alg_name(enum idg_jose_alg alg);

/* New key pair: RS256 -> RSA with bits (2048 or 3072), ES256 -> P-256 (bits ignored). */
int	idg_jose_key_generate(enum idg_jose_alg alg, int bits, struct idg_jose_key **out);
void	idg_jose_key_free(struct idg_jose_key *k);
enum idg_jose_alg idg_jose_key_alg(const struct idg_jose_key *k);
/* RFC 7638 thumbprint, base64url, NUL-terminated (borrowed). */
const char *idg_jose_key_kid(const struct idg_jose_key *k);
/*
 * The public JWK as compact JSON with kty, crv/x/y or n/e, plus kid, alg and
 * "use":"sig". Owned string: free().
 */
char	*idg_jose_key_public_jwk(const struct idg_jose_key *k);

/* Seals the private key: owned NUL-terminated text "v1.<b64url nonce>.<b64url ct+tag>". */
int	idg_jose_key_seal(const struct idg_jose_key *k, const uint8_t master_key[32],
	    char **sealed);
/*
 * Opens a sealed key. IDG_OK; IDG_DECLINED when authentication fails (wrong
 * master key, tampered blob, kid mismatch); IDG_INVALID when malformed.
 */
int	idg_jose_key_open(const char *sealed, const char *kid, enum idg_jose_alg alg,
	    const uint8_t master_key[32], struct idg_jose_key **out);
/* A public-only key from a JWK (for verification tests and JWKS consumers). */
int	idg_jose_key_from_jwk(const char *jwk_json, struct idg_jose_key **out);

/*
 * Signs payload_json (a JSON object) as a compact JWS with header
 * {"alg":<key alg>,"typ":typ,"kid":<kid>}; typ may be NULL (then "JWT").
 * *out is owned (free()).
 */
int	idg_jws_sign(const struct idg_jose_key *k, const char *payload_json, const char *typ,
	    char **out);
/*
 * Verifies a compact JWS against one of keys[0..n): the header must name a
 * kid present in keys and an alg equal to that key's alg; "none", HMAC
 * algorithms and any other alg are refused. On IDG_OK *payload_json is the
 * owned payload text and *used (may be NULL) the key that verified.
 * IDG_DECLINED for a bad signature, unknown kid or alg mismatch;
 * IDG_INVALID for a malformed token (size limit 16 KiB).
 */
int	idg_jws_verify(const struct idg_jose_key *const *keys, size_t n, const char *token,
	    char **payload_json, const struct idg_jose_key **used);

/* PKCE (RFC 7636 4.2): base64url(SHA-256(verifier)) == challenge, constant time. */
int	idg_pkce_s256_check(const char *verifier, const char *challenge);

#endif
