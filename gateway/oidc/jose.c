/*
 * jose.c - the OpenID provider's signing keys (generation, RFC 7638
 * thumbprints, public JWKs, sealing at rest) and compact JWS signing and
 * verification over OpenSSL 3 and libjwt 1.10. libjwt only computes and
 * checks signatures here: the header is parsed and checked by this file
 * first (alg pinned to the key chosen by kid), because libjwt would verify
 * with whatever algorithm the token names. This file checks no claims and
 * knows nothing of tenants, the store or HTTP.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>

#include "gateway/oidc/jose.h"
#include "gateway/util/crypto.h"
#include "gateway/util/seal.h"
#include "gateway/util/log.h"
#include "gateway/util/status.h"

#define KID_LEN		IDG_B64URL_LEN(IDG_SHA256_LEN)	/* 43 chars + NUL */
#define EC_COORD_LEN	32				/* P-256 */
#define RSA_MIN_BITS	2048
#define RSA_MAX_BITS	4096				/* imported public keys only */
#define RSA_MAX_BYTES	(RSA_MAX_BITS / 8)
#define JWS_MAX_LEN	16384				/* contract: 16 KiB */
#define SEAL_MAX_DER	IDG_SEAL_MAX_PT		/* RSA-3072 PKCS#8 is ~1.8 KB */
#define SEAL_INFO	"idgate key-at-rest v1"
#define PKCE_MIN_LEN	43				/* RFC 7636 4.1 */
#define PKCE_MAX_LEN	128

struct idg_jose_key {
	EVP_PKEY	*pkey;
	enum idg_jose_alg alg;
	char		 kid[KID_LEN];
	bool		 priv;		/* false for a public-only key */
};

int
idg_jose_alg_parse(const char *s, enum idg_jose_alg *out)
{
	if (s == NULL)
		return IDG_INVALID;
	if (strcmp(s, "RS256") == 0)
		*out = IDG_JOSE_RS256;
	else if (strcmp(s, "ES256") == 0)
		*out = IDG_JOSE_ES256;
	else
		return IDG_INVALID;
	return IDG_OK;
}

const char *
idg_jose_alg_name(enum idg_jose_alg alg)
{
	switch (alg) {
	case IDG_JOSE_RS256:
		return "RS256";
	case IDG_JOSE_ES256:
		return "ES256";
	}
	return "invalid";
}

/* Big-endian unsigned integer parameter of pkey, left-padded to len (0: minimal). */
static int
get_bn(const EVP_PKEY *pkey, const char *name, uint8_t *out, size_t outsz, size_t len,
    size_t *outlen)
{
	BIGNUM *bn = NULL;
	int n;

	if (!EVP_PKEY_get_bn_param(pkey, name, &bn))
		return IDG_ERR;
	if (len == 0)
		len = (size_t)BN_num_bytes(bn);
	if (len == 0 || len > outsz) {
		BN_free(bn);
		return IDG_ERR;
	}
	n = BN_bn2binpad(bn, out, (int)len);
	BN_free(bn);
	if (n < 0)
		return IDG_ERR;
	*outlen = len;
	return IDG_OK;
}

/* The JWK members of the public key, base64url: n/e for RSA, x/y for EC. */
struct jwk_parts {
	char	a[IDG_B64URL_LEN(RSA_MAX_BYTES)];	/* n or x */
	char	b[IDG_B64URL_LEN(RSA_MAX_BYTES)];	/* e or y */
};

static int
jwk_parts(const struct idg_jose_key *k, struct jwk_parts *p)
{
	uint8_t raw[RSA_MAX_BYTES];
	size_t len;
	const char *an, *bn;
	size_t fixed;

	if (k->alg == IDG_JOSE_RS256) {
		an = OSSL_PKEY_PARAM_RSA_N;
		bn = OSSL_PKEY_PARAM_RSA_E;
		fixed = 0;
	} else {
		/* RFC 7518 6.2.1.2: coordinates are the full 32 bytes, left-padded. */
		an = OSSL_PKEY_PARAM_EC_PUB_X;
		bn = OSSL_PKEY_PARAM_EC_PUB_Y;
		fixed = EC_COORD_LEN;
	}
	if (get_bn(k->pkey, an, raw, sizeof(raw), fixed, &len) != IDG_OK ||
	    idg_b64url_encode(raw, len, p->a, sizeof(p->a)) < 0 ||
	    get_bn(k->pkey, bn, raw, sizeof(raw), fixed, &len) != IDG_OK ||
	    idg_b64url_encode(raw, len, p->b, sizeof(p->b)) < 0)
		return IDG_ERR;
	return IDG_OK;
}

/* RFC 7638 3.2: required members only, lexicographic order, no whitespace. */
static int
thumbprint(const struct idg_jose_key *k, const struct jwk_parts *p, char kid[KID_LEN])
{
	char canon[2 * sizeof(p->a) + 64];
	uint8_t h[IDG_SHA256_LEN];
	int n;

	if (k->alg == IDG_JOSE_RS256)
		n = snprintf(canon, sizeof(canon), "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
		    p->b, p->a);
	else
		n = snprintf(canon, sizeof(canon),
		    "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", p->a, p->b);
	if (n < 0 || (size_t)n >= sizeof(canon))
		return IDG_ERR;
	idg_sha256(canon, (size_t)n, h);
	if (idg_b64url_encode(h, sizeof(h), kid, KID_LEN) < 0)
		return IDG_ERR;
	return IDG_OK;
}

/* Does pkey fit alg? RSA within [RSA_MIN_BITS, max_bits], EC only on P-256. */
static bool
pkey_fits(EVP_PKEY *pkey, enum idg_jose_alg alg, int max_bits)
{
	char group[32];
	size_t glen;
	int bits;

	if (alg == IDG_JOSE_RS256) {
		if (!EVP_PKEY_is_a(pkey, "RSA"))
			return false;
		bits = EVP_PKEY_get_bits(pkey);
		return bits >= RSA_MIN_BITS && bits <= max_bits;
	}
	if (alg != IDG_JOSE_ES256 || !EVP_PKEY_is_a(pkey, "EC"))
		return false;
	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
	    sizeof(group), &glen))
		return false;
	return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

/*
 * Wraps pkey (taken: freed on failure too) into a key: checks it fits alg,
 * computes the kid and caches the PEM forms. priv: pkey holds a private key.
 */
static int
key_take(EVP_PKEY *pkey, enum idg_jose_alg alg, bool priv, int max_bits,
    struct idg_jose_key **out)
{
	struct idg_jose_key *k;
	struct jwk_parts p;

	if (!pkey_fits(pkey, alg, max_bits)) {
		EVP_PKEY_free(pkey);
		return IDG_INVALID;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		EVP_PKEY_free(pkey);
		log_error("out of memory");
		return IDG_ERR;
	}
	k->pkey = pkey;
	k->alg = alg;
	k->priv = priv;
	if (jwk_parts(k, &p) != IDG_OK || thumbprint(k, &p, k->kid) != IDG_OK) {
		log_error("cannot encode %s key", idg_jose_alg_name(alg));
		idg_jose_key_free(k);
		return IDG_ERR;
	}
	*out = k;
	return IDG_OK;
}

int
idg_jose_key_generate(enum idg_jose_alg alg, int bits, struct idg_jose_key **out)
{
	EVP_PKEY *pkey;

	*out = NULL;
	if (alg == IDG_JOSE_RS256) {
		if (bits != 2048 && bits != 3072)
			return IDG_INVALID;
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	} else if (alg == IDG_JOSE_ES256) {
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	} else
		return IDG_INVALID;
	if (pkey == NULL) {
		log_error("%s key generation failed", idg_jose_alg_name(alg));
		return IDG_ERR;
	}
	return key_take(pkey, alg, true, 3072, out);
}

void
idg_jose_key_free(struct idg_jose_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

enum idg_jose_alg
idg_jose_key_alg(const struct idg_jose_key *k)
{
	return k->alg;
}

const char *
idg_jose_key_kid(const struct idg_jose_key *k)
{
	return k->kid;
}

char *
idg_jose_key_public_jwk(const struct idg_jose_key *k)
{
	struct jwk_parts p;
	size_t sz = 2 * sizeof(p.a) + sizeof(k->kid) + 128;
	char *s;
	int n;

	if (jwk_parts(k, &p) != IDG_OK || (s = malloc(sz)) == NULL) {
		log_error("cannot encode the public JWK");
		return NULL;
	}
	/* Only public members: never d, p, q, dp, dq, qi (RFC 7518 6.3.2). */
	if (k->alg == IDG_JOSE_RS256)
		n = snprintf(s, sz, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\",\"kid\":\"%s\","
		    "\"alg\":\"RS256\",\"use\":\"sig\"}", p.a, p.b, k->kid);
	else
		n = snprintf(s, sz, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\","
		    "\"kid\":\"%s\",\"alg\":\"ES256\",\"use\":\"sig\"}", p.a, p.b, k->kid);
	if (n < 0 || (size_t)n >= sz) {
		free(s);
		return NULL;
	}
	return s;
}

int
idg_jose_key_seal(const struct idg_jose_key *k, const uint8_t master_key[32], char **sealed)
{
	OSSL_ENCODER_CTX *ectx;
	unsigned char *der = NULL;
	size_t derlen = 0;
	char *s = NULL;
	int rc = IDG_ERR;

	*sealed = NULL;
	if (!k->priv)
		return IDG_INVALID;
	ectx = OSSL_ENCODER_CTX_new_for_pkey(k->pkey, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo",
	    NULL);
	if (ectx == NULL || !OSSL_ENCODER_to_data(ectx, &der, &derlen) || derlen == 0 ||
	    derlen > SEAL_MAX_DER) {
		OSSL_ENCODER_CTX_free(ectx);
		log_error("cannot encode the private key");
		goto out;
	}
	OSSL_ENCODER_CTX_free(ectx);
	/* The shared sealing (util/seal.c); the kid is the additional data. */
	if (idg_seal(master_key, SEAL_INFO, k->kid, der, derlen, &s) != IDG_OK) {
		log_error("sealing failed");
		goto out;
	}
	*sealed = s;
	s = NULL;
	rc = IDG_OK;
out:
	if (der != NULL)
		OPENSSL_clear_free(der, derlen);
	free(s);
	return rc;
}

int
idg_jose_key_open(const char *sealed, const char *kid, enum idg_jose_alg alg,
    const uint8_t master_key[32], struct idg_jose_key **out)
{
	const unsigned char *p;
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *pkey = NULL;
	uint8_t *der = NULL;
	size_t plen = 0;
	int rc;

	*out = NULL;
	if (sealed == NULL || kid == NULL || (alg != IDG_JOSE_RS256 && alg != IDG_JOSE_ES256))
		return IDG_INVALID;
	if ((der = malloc(SEAL_MAX_DER)) == NULL)
		return IDG_ERR;
	/* The kid is the AAD: a blob moved to another key's row does not open. */
	rc = idg_unseal(master_key, SEAL_INFO, kid, sealed, der, SEAL_MAX_DER, &plen);
	if (rc != IDG_OK) {
		if (rc == IDG_DECLINED)
			log_warn("sealed key %s does not authenticate", kid);
		goto out;
	}
	p = der;
	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", "PrivateKeyInfo", NULL,
	    EVP_PKEY_KEYPAIR, NULL, NULL);
	if (dctx == NULL || !OSSL_DECODER_from_data(dctx, &p, &plen) || pkey == NULL) {
		OSSL_DECODER_CTX_free(dctx);
		EVP_PKEY_free(pkey);
		log_error("sealed key %s holds no private key", kid);
		rc = IDG_INVALID;
		goto out;
	}
	OSSL_DECODER_CTX_free(dctx);
	if ((rc = key_take(pkey, alg, true, 3072, out)) != IDG_OK) {
		if (rc == IDG_INVALID)
			log_error("sealed key %s is not an %s key", kid, idg_jose_alg_name(alg));
		goto out;
	}
	if (strcmp((*out)->kid, kid) != 0) {
		log_error("sealed key %s has thumbprint %s", kid, (*out)->kid);
		idg_jose_key_free(*out);
		*out = NULL;
		rc = IDG_DECLINED;
	}
out:
	idg_wipe(der, SEAL_MAX_DER);
	free(der);
	return rc;
}

/* base64url member of a JWK decoded into out; returns the length or -1. */
static int
jwk_b64(json_t *jwk, const char *name, uint8_t *out, size_t outsz)
{
	const char *s = json_string_value(json_object_get(jwk, name));

	if (s == NULL || *s == '\0' || strchr(s, '=') != NULL)
		return -1;
	return idg_b64url_decode(s, out, outsz);
}

static EVP_PKEY *
pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		return NULL;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	if (pkey == NULL)
		return NULL;
	/* The point must be on the curve (invalid-curve attacks), n and e sane. */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx == NULL || EVP_PKEY_public_check(ctx) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

int
idg_jose_key_from_jwk(const char *jwk_json, struct idg_jose_key **out)
{
	static const char *const private_members[] = { "d", "p", "q", "dp", "dq", "qi", "oth",
		"k" };
	json_t *jwk;
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pkey = NULL;
	enum idg_jose_alg alg, named;
	uint8_t a[RSA_MAX_BYTES], b[RSA_MAX_BYTES], pt[1 + 2 * EC_COORD_LEN];
	const char *kty, *s, *kid;
	int alen, blen, rc = IDG_INVALID;
	size_t i;

	*out = NULL;
	if (jwk_json == NULL || (jwk = json_loads(jwk_json, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return IDG_INVALID;
	if (!json_is_object(jwk) || (kty = json_string_value(json_object_get(jwk, "kty"))) == NULL)
		goto out;
	/* A JWKS carries public keys only; private members mean a misconfiguration. */
	for (i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
		if (json_object_get(jwk, private_members[i]) != NULL)
			goto out;
	if ((s = json_string_value(json_object_get(jwk, "use"))) != NULL && strcmp(s, "sig") != 0)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL) {
		rc = IDG_ERR;
		goto out;
	}
	if (strcmp(kty, "RSA") == 0) {
		alg = IDG_JOSE_RS256;
		alen = jwk_b64(jwk, "n", a, sizeof(a));
		blen = jwk_b64(jwk, "e", b, 8);
		if (alen <= 0 || blen <= 0 || a[0] == 0 || b[0] == 0)
			goto out;
		if ((n = BN_bin2bn(a, alen, NULL)) == NULL ||
		    (e = BN_bin2bn(b, blen, NULL)) == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
			goto out;
		pkey = pkey_from_params("RSA", bld);
	} else if (strcmp(kty, "EC") == 0) {
		alg = IDG_JOSE_ES256;
		if ((s = json_string_value(json_object_get(jwk, "crv"))) == NULL ||
		    strcmp(s, "P-256") != 0)
			goto out;
		/* RFC 7518 6.2.1.2: exactly the full coordinate length. */
		if (jwk_b64(jwk, "x", pt + 1, EC_COORD_LEN) != EC_COORD_LEN ||
		    jwk_b64(jwk, "y", pt + 1 + EC_COORD_LEN, EC_COORD_LEN) != EC_COORD_LEN)
			goto out;
		pt[0] = 0x04;
		if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1",
		    0) || !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
		    sizeof(pt)))
			goto out;
		pkey = pkey_from_params("EC", bld);
	} else
		goto out;
	if ((s = json_string_value(json_object_get(jwk, "alg"))) != NULL &&
	    (idg_jose_alg_parse(s, &named) != IDG_OK || named != alg))
		goto out;
	if (pkey == NULL)
		goto out;
	rc = key_take(pkey, alg, false, RSA_MAX_BITS, out);
	pkey = NULL;
	/* Our kid is the thumbprint: a JWK labelled otherwise would never match. */
	if (rc == IDG_OK && (kid = json_string_value(json_object_get(jwk, "kid"))) != NULL &&
	    strcmp(kid, (*out)->kid) != 0) {
		idg_jose_key_free(*out);
		*out = NULL;
		rc = IDG_INVALID;
	}
out:
	EVP_PKEY_free(pkey);
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_BLD_free(bld);
	json_decref(jwk);
	return rc;
}

/*
 * Signing and verification run on the key object cached in memory, with
 * OpenSSL. libjwt 1.10 re-parses a PEM key on every call (measured: RS256
 * signs 1,155/s through it against 3,947/s here, ES256 2,359/s against
 * 39,080/s), writes "typ":"JWT" over any typ and refuses to decode other
 * typs ("at+jwt"). The tokens have the form libjwt produces (sorted compact
 * JSON, ES256 as r||s), and tests/unit/oidc checks libjwt accepts them.
 */

/* ECDSA DER <-> JOSE r||s (RFC 7518 3.4). */
static int
ecdsa_der_to_raw(const uint8_t *der, size_t derlen, uint8_t raw[2 * EC_COORD_LEN])
{
	const uint8_t *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	const BIGNUM *r, *s;
	int ok;

	if (es == NULL)
		return IDG_ERR;
	ECDSA_SIG_get0(es, &r, &s);
	ok = BN_bn2binpad(r, raw, EC_COORD_LEN) == EC_COORD_LEN &&
	    BN_bn2binpad(s, raw + EC_COORD_LEN, EC_COORD_LEN) == EC_COORD_LEN;
	ECDSA_SIG_free(es);
	return ok ? IDG_OK : IDG_ERR;
}

static int
ecdsa_raw_to_der(const uint8_t raw[2 * EC_COORD_LEN], uint8_t **der, size_t *derlen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, EC_COORD_LEN, NULL);
	BIGNUM *s = BN_bin2bn(raw + EC_COORD_LEN, EC_COORD_LEN, NULL);
	int n;

	*der = NULL;
	if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s)) {
		ECDSA_SIG_free(es);
		BN_free(r);
		BN_free(s);
		return IDG_ERR;
	}
	n = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return IDG_ERR;
	*derlen = (size_t)n;
	return IDG_OK;
}

static int
sign_direct(const struct idg_jose_key *k, const char *payload_json, const char *typ,
    char **out)
{
	json_t *hdr = NULL, *pl;
	EVP_MD_CTX *md = NULL;
	uint8_t *sig = NULL, raw[2 * EC_COORD_LEN];
	size_t siglen = 0, sz, o;
	char *s = NULL, *htxt = NULL, *ptxt = NULL;
	int rc = IDG_ERR, w;

	pl = json_loads(payload_json, JSON_REJECT_DUPLICATES, NULL);
	if (pl == NULL || !json_is_object(pl)) {
		json_decref(pl);
		return IDG_INVALID;
	}
	hdr = json_pack("{s:s, s:s, s:s}", "alg", idg_jose_alg_name(k->alg), "kid", k->kid,
	    "typ", typ);
	if (hdr == NULL || (htxt = json_dumps(hdr, JSON_SORT_KEYS | JSON_COMPACT)) == NULL ||
	    (ptxt = json_dumps(pl, JSON_SORT_KEYS | JSON_COMPACT)) == NULL)
		goto out;
	sz = IDG_B64URL_LEN(strlen(htxt)) + IDG_B64URL_LEN(strlen(ptxt)) +
	    IDG_B64URL_LEN(RSA_MAX_BYTES) + 2;
	if ((s = malloc(sz)) == NULL ||
	    (w = idg_b64url_encode(htxt, strlen(htxt), s, sz)) < 0)
		goto out;
	o = (size_t)w;
	s[o++] = '.';
	if ((w = idg_b64url_encode(ptxt, strlen(ptxt), s + o, sz - o)) < 0)
		goto out;
	o += (size_t)w;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (const uint8_t *)s, o) != 1 ||
	    (sig = malloc(siglen)) == NULL ||
	    EVP_DigestSign(md, sig, &siglen, (const uint8_t *)s, o) != 1)
		goto out;
	s[o++] = '.';
	if (k->alg == IDG_JOSE_ES256) {
		if (ecdsa_der_to_raw(sig, siglen, raw) != IDG_OK)
			goto out;
		w = idg_b64url_encode(raw, sizeof(raw), s + o, sz - o);
	} else
		w = idg_b64url_encode(sig, siglen, s + o, sz - o);
	if (w < 0)
		goto out;
	*out = s;
	s = NULL;
	rc = IDG_OK;
out:
	if (rc == IDG_ERR)
		log_error("%s signing failed", idg_jose_alg_name(k->alg));
	EVP_MD_CTX_free(md);
	free(sig);
	free(s);
	free(htxt);
	free(ptxt);
	json_decref(hdr);
	json_decref(pl);
	return rc;
}

/* Verifies the signature sig[0..siglen) of token[0..signed_len) with k's key. */
static int
verify_direct(const struct idg_jose_key *k, const char *token, size_t signed_len,
    const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *md;
	uint8_t *der = NULL;
	size_t derlen = siglen;
	int ok;

	if (k->alg == IDG_JOSE_ES256) {
		if (siglen != 2 * EC_COORD_LEN || ecdsa_raw_to_der(sig, &der, &derlen) != IDG_OK)
			return IDG_DECLINED;
		sig = der;
	}
	if ((md = EVP_MD_CTX_new()) == NULL) {
		OPENSSL_free(der);
		return IDG_ERR;
	}
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
	    EVP_DigestVerify(md, sig, derlen, (const uint8_t *)token, signed_len) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return ok ? IDG_OK : IDG_DECLINED;
}

int
idg_jws_sign(const struct idg_jose_key *k, const char *payload_json, const char *typ,
    char **out)
{
	*out = NULL;
	if (!k->priv || payload_json == NULL)
		return IDG_INVALID;
	return sign_direct(k, payload_json, typ != NULL ? typ : "JWT", out);
}

static bool
b64url_chars(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* Decodes token segment [s, s+n) (base64url chars already checked) into a fresh buffer. */
static uint8_t *
segment(const char *s, size_t n, size_t *outlen)
{
	char tmp[JWS_MAX_LEN + 1];
	uint8_t *d;
	int len;

	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if ((d = malloc(n + 1)) == NULL)
		return NULL;
	if ((len = idg_b64url_decode(tmp, d, n + 1)) < 0) {
		free(d);
		return NULL;
	}
	*outlen = (size_t)len;
	return d;
}

int
idg_jws_verify(const struct idg_jose_key *const *keys, size_t n, const char *token,
    char **payload_json, const struct idg_jose_key **used)
{
	const struct idg_jose_key *k = NULL;
	const char *d1, *d2, *alg_s, *kid, *typ;
	json_t *hdr = NULL, *pl = NULL, *jt;
	uint8_t *raw = NULL, *sig = NULL;
	size_t len, hlen, plen, slen, rawlen, siglen, i;
	enum idg_jose_alg alg;
	char *grants;
	int rc = IDG_INVALID;

	*payload_json = NULL;
	if (used != NULL)
		*used = NULL;
	if (token == NULL || (len = strnlen(token, JWS_MAX_LEN + 1)) > JWS_MAX_LEN)
		return IDG_INVALID;
	/* RFC 7515 7.1: exactly three segments, each base64url without padding. */
	if ((d1 = memchr(token, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL)
		return IDG_INVALID;
	hlen = (size_t)(d1 - token);
	plen = (size_t)(d2 - d1 - 1);
	slen = len - (size_t)(d2 + 1 - token);
	if (hlen == 0 || plen == 0 || slen == 0 || !b64url_chars(token, hlen) ||
	    !b64url_chars(d1 + 1, plen) || !b64url_chars(d2 + 1, slen))
		return IDG_INVALID;

	/* The header is ours to judge before libjwt sees the token. */
	if ((raw = segment(token, hlen, &rawlen)) == NULL ||
	    (hdr = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(hdr))
		goto out;
	free(raw);
	raw = NULL;
	alg_s = json_string_value(json_object_get(hdr, "alg"));
	kid = json_string_value(json_object_get(hdr, "kid"));
	jt = json_object_get(hdr, "typ");
	typ = json_string_value(jt);
	if (alg_s == NULL || (jt != NULL && typ == NULL))
		goto out;
	rc = IDG_DECLINED;
	/* PROTOCOLS.md: never "none", never HMAC; only the two algs we issue. */
	if (idg_jose_alg_parse(alg_s, &alg) != IDG_OK || kid == NULL)
		goto out;
	/* RFC 7515 4.1.11: we implement no extension, so any "crit" is refused. */
	if (json_object_get(hdr, "crit") != NULL)
		goto out;
	for (i = 0; i < n && k == NULL; i++)
		if (keys[i] != NULL && strcmp(keys[i]->kid, kid) == 0)
			k = keys[i];
	/* The key's algorithm, never the header's, decides (alg confusion). */
	if (k == NULL || k->alg != alg)
		goto out;

	/* The signature has the key's size: 64 bytes r||s, or the RSA modulus size. */
	if ((sig = segment(d2 + 1, slen, &siglen)) == NULL) {
		rc = IDG_INVALID;
		goto out;
	}
	if (siglen != (alg == IDG_JOSE_ES256 ? 2 * EC_COORD_LEN :
	    (size_t)EVP_PKEY_get_size(k->pkey)))
		goto out;
	/* The payload must be a JSON object (claims); malformed is not "bad signature". */
	if ((raw = segment(d1 + 1, plen, &rawlen)) == NULL ||
	    (pl = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(pl)) {
		rc = IDG_INVALID;
		goto out;
	}

	if ((rc = verify_direct(k, token, (size_t)(d2 - token), sig, siglen)) != IDG_OK)
		goto out;
	rc = IDG_ERR;
	grants = json_dumps(pl, JSON_SORT_KEYS | JSON_COMPACT);
	if (grants == NULL) {
		log_error("cannot read the verified payload");
		rc = IDG_ERR;
		goto out;
	}
	*payload_json = grants;
	if (used != NULL)
		*used = k;
	rc = IDG_OK;
out:
	free(raw);
	free(sig);
	json_decref(hdr);
	json_decref(pl);
	return rc;
}

int
idg_pkce_s256_check(const char *verifier, const char *challenge)
{
	uint8_t h[IDG_SHA256_LEN];
	char enc[IDG_B64URL_LEN(IDG_SHA256_LEN)];
	size_t n, i;

	if (verifier == NULL || challenge == NULL)
		return IDG_INVALID;
	/* RFC 7636 4.1: 43..128 characters of [A-Za-z0-9-._~]. */
	n = strnlen(verifier, PKCE_MAX_LEN + 1);
	if (n < PKCE_MIN_LEN || n > PKCE_MAX_LEN)
		return IDG_INVALID;
	for (i = 0; i < n; i++) {
		char c = verifier[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~'))
			return IDG_INVALID;
	}
	idg_sha256(verifier, n, h);
	if (idg_b64url_encode(h, sizeof(h), enc, sizeof(enc)) < 0)
		return IDG_ERR;
	return idg_ct_streq(enc, challenge) ? IDG_OK : IDG_DECLINED;
}
