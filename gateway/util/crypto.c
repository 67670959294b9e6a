/*
 * crypto.c - OpenSSL wrappers; see crypto.h.
 */
#include "crypto.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "status.h"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
idg_random(void *p, size_t n)
{
	if (n > (size_t)INT32_MAX || RAND_bytes(p, (int)n) != 1)
		return IDG_ERR;
	return IDG_OK;
}

int
idg_b64url_encode(const void *p, size_t n, char *out, size_t outsz)
{
	const uint8_t *s = p;
	size_t i, o = 0;

	if (outsz < IDG_B64URL_LEN(n))
		return -1;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)s[i] << 16;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
	}
	out[o] = '\0';
	return (int)o;
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '-') return 62;
	if (c == '_') return 63;
	return -1;
}

int
idg_b64url_decode(const char *s, void *out, size_t outsz)
{
	uint8_t *d = out;
	size_t n = strlen(s), o = 0, i;
	uint32_t acc = 0;
	int bits = 0;

	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsz)
				return -1;
			d[o++] = (uint8_t)(acc >> bits);
		}
	}
	return (int)o;
}

int
idg_random_b64url(char *out, size_t outsz, size_t n)
{
	uint8_t raw[64];

	if (n > sizeof(raw) || idg_random(raw, n) != IDG_OK)
		return IDG_ERR;
	if (idg_b64url_encode(raw, n, out, outsz) < 0)
		return IDG_ERR;
	idg_wipe(raw, n);
	return IDG_OK;
}

void
idg_hex(const void *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[s[i] >> 4];
		out[2 * i + 1] = hex[s[i] & 15];
	}
	out[2 * n] = '\0';
}

void
idg_sha256(const void *p, size_t n, uint8_t out[IDG_SHA256_LEN])
{
	SHA256(p, n, out);
}

int
idg_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
    uint8_t out[IDG_SHA256_LEN])
{
	unsigned int len = IDG_SHA256_LEN;

	if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &len) == NULL)
		return IDG_ERR;
	return IDG_OK;
}

bool
idg_ct_eq(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return false;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

bool
idg_ct_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return false;
	return idg_ct_eq(a, strlen(a), b, strlen(b));
}

void
idg_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}
