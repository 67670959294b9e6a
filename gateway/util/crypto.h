/*
 * crypto.h - thin wrappers over OpenSSL for random ids, encodings, hashes,
 * HMAC and constant-time comparison.
 *
 * Every secret comparison in idgate goes through idg_ct_eq (CRYPTO_memcmp);
 * every secret buffer is wiped with idg_wipe (OPENSSL_cleanse). This file
 * holds no keys and does no key management (see certs/ and the master key
 * loader in gateway/config).
 */
#ifndef IDG_CRYPTO_H
#define IDG_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDG_SHA256_LEN 32
/* base64url without padding of n bytes: this many chars, NUL included */
#define IDG_B64URL_LEN(n) ((4 * (n) + 2) / 3 + 1)

/* Fills p with n bytes from the CSPRNG. Returns IDG_OK or IDG_ERR. */
int	idg_random(void *p, size_t n);
/* n random bytes as base64url (no padding) into out (IDG_B64URL_LEN(n) bytes). */
int	idg_random_b64url(char *out, size_t outsz, size_t n);
/* Encodes n bytes as base64url without padding; returns chars written or -1. */
int	idg_b64url_encode(const void *p, size_t n, char *out, size_t outsz);
/* Decodes base64url (padding optional); returns bytes written or -1. */
int	idg_b64url_decode(const char *s, void *out, size_t outsz);
void	idg_hex(const void *p, size_t n, char *out /* 2n+1 */);
void	idg_sha256(const void *p, size_t n, uint8_t out[IDG_SHA256_LEN]);
int	idg_hmac_sha256(const void *key, size_t keylen, const void *msg,
	    size_t msglen, uint8_t out[IDG_SHA256_LEN]);
/* Constant-time equality of two byte strings (lengths compared first). */
bool	idg_ct_eq(const void *a, size_t alen, const void *b, size_t blen);
bool	idg_ct_streq(const char *a, const char *b);
void	idg_wipe(void *p, size_t n);

#endif
