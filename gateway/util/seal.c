/*
 * seal.c - idg_seal / idg_unseal: HKDF-SHA256(master key, info) ->
 * AES-256-GCM with a random nonce and caller-given AAD (OpenSSL 3).
 *
 * Derived keys and plaintext copies are wiped before returning. This file
 * keeps no state, holds no key and does no I/O besides the CSPRNG.
 */
#include "seal.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "crypto.h"
#include "log.h"
#include "status.h"

#define PREFIX		"v1."
#define NONCE_LEN	12
#define TAG_LEN		16

/* HKDF-SHA256(master, info) -> 32-byte AES key (RFC 5869, no salt). */
static int
derive(const uint8_t master[32], const char *info, uint8_t aes[32])
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx;
	OSSL_PARAM params[4];
	int ok;

	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
		return IDG_ERR;
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (ctx == NULL)
		return IDG_ERR;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)master, 32);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
	    strlen(info));
	params[3] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(ctx, aes, 32, params);
	EVP_KDF_CTX_free(ctx);
	return ok == 1 ? IDG_OK : IDG_ERR;
}

/*
 * AES-256-GCM over in[0..n) with aad. enc: the tag is written; otherwise it
 * is checked and IDG_DECLINED returned when it does not match.
 */
static int
gcm(bool enc, const uint8_t key[32], const uint8_t nonce[NONCE_LEN], const char *aad,
    const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[TAG_LEN])
{
	EVP_CIPHER_CTX *c;
	uint8_t none[1];
	int len = 0, ok, rc = IDG_ERR;

	if (out == NULL)	/* empty plaintext: nothing is written */
		out = none;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return IDG_ERR;
	ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) &&
	    EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) &&
	    (aad[0] == '\0' || EVP_CipherUpdate(c, NULL, &len, (const uint8_t *)aad,
	    (int)strlen(aad))) &&
	    (n == 0 || EVP_CipherUpdate(c, out, &len, in, (int)n));
	if (!ok)
		goto done;
	if (n == 0)
		len = 0;
	if (enc) {
		if (EVP_CipherFinal_ex(c, out + len, &len) &&
		    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag))
			rc = IDG_OK;
	} else {
		if (!EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag))
			goto done;
		rc = EVP_CipherFinal_ex(c, out + len, &len) == 1 ? IDG_OK : IDG_DECLINED;
	}
done:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int
idg_seal(const uint8_t key[32], const char *info, const char *aad, const void *pt, size_t n,
    char **out)
{
	uint8_t aes[32], nonce[NONCE_LEN], *ct = NULL;
	char *s = NULL;
	size_t sz, o;
	int rc = IDG_ERR, w;

	if (out != NULL)
		*out = NULL;
	if (key == NULL || info == NULL || info[0] == '\0' || aad == NULL || out == NULL ||
	    (pt == NULL && n > 0) || n > IDG_SEAL_MAX_PT)
		return IDG_INVALID;
	if ((ct = malloc(n + TAG_LEN)) == NULL)
		goto out;
	if (derive(key, info, aes) != IDG_OK || idg_random(nonce, sizeof(nonce)) != IDG_OK ||
	    gcm(true, aes, nonce, aad, pt, n, ct, ct + n) != IDG_OK) {
		log_error("sealing failed (%s)", info);
		goto out;
	}
	sz = sizeof(PREFIX) - 1 + IDG_B64URL_LEN(NONCE_LEN) + 1 + IDG_B64URL_LEN(n + TAG_LEN);
	if ((s = malloc(sz)) == NULL)
		goto out;
	memcpy(s, PREFIX, sizeof(PREFIX) - 1);
	o = sizeof(PREFIX) - 1;
	if ((w = idg_b64url_encode(nonce, sizeof(nonce), s + o, sz - o)) < 0)
		goto out;
	o += (size_t)w;
	s[o++] = '.';
	if (idg_b64url_encode(ct, n + TAG_LEN, s + o, sz - o) < 0)
		goto out;
	*out = s;
	s = NULL;
	rc = IDG_OK;
out:
	idg_wipe(aes, sizeof(aes));
	free(ct);	/* ciphertext: nothing secret */
	free(s);
	return rc;
}

static bool
b64url_chars(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

int
idg_unseal(const uint8_t key[32], const char *info, const char *aad, const char *sealed,
    uint8_t *out, size_t outsz, size_t *n)
{
	char nb64[IDG_B64URL_LEN(NONCE_LEN) + 1];
	uint8_t aes[32], nonce[NONCE_LEN], *ct = NULL;
	const char *p, *dot, *body;
	size_t cap, blen, plen;
	int d, rc;

	if (n != NULL)
		*n = 0;
	if (key == NULL || info == NULL || info[0] == '\0' || aad == NULL || sealed == NULL ||
	    n == NULL || (out == NULL && outsz > 0))
		return IDG_INVALID;
	if (strncmp(sealed, PREFIX, sizeof(PREFIX) - 1) != 0)
		return IDG_INVALID;
	p = sealed + sizeof(PREFIX) - 1;
	if ((dot = strchr(p, '.')) == NULL || (size_t)(dot - p) >= sizeof(nb64) ||
	    !b64url_chars(p, (size_t)(dot - p)))
		return IDG_INVALID;
	memcpy(nb64, p, (size_t)(dot - p));
	nb64[dot - p] = '\0';
	if (idg_b64url_decode(nb64, nonce, sizeof(nonce)) != NONCE_LEN)
		return IDG_INVALID;
	body = dot + 1;
	blen = strlen(body);
	if (blen == 0 || blen >= IDG_B64URL_LEN(IDG_SEAL_MAX_PT + TAG_LEN) ||
	    !b64url_chars(body, blen))
		return IDG_INVALID;
	cap = blen;	/* decoded bytes are fewer than characters */
	if ((ct = malloc(cap)) == NULL)
		return IDG_ERR;
	d = idg_b64url_decode(body, ct, cap);
	if (d < TAG_LEN) {
		rc = IDG_INVALID;
		goto out;
	}
	plen = (size_t)d - TAG_LEN;
	if (plen > outsz) {
		rc = IDG_INVALID;
		goto out;
	}
	if (derive(key, info, aes) != IDG_OK) {
		log_error("key derivation failed (%s)", info);
		rc = IDG_ERR;
		goto out;
	}
	rc = gcm(false, aes, nonce, aad, ct, plen, out, ct + plen);
	idg_wipe(aes, sizeof(aes));
	if (rc == IDG_OK)
		*n = plen;
	else if (outsz > 0)
		idg_wipe(out, outsz);
out:
	free(ct);
	return rc;
}
