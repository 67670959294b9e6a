/*
 * totp.c - RFC 6238 TOTP codes through liboath (HMAC-SHA1, 6 digits, 30 s),
 * the otpauth:// key URI, base32, and recovery codes with their hashes.
 *
 * liboath computes the HOTP values; our comparison callback compares them
 * with the user's code in constant time (CRYPTO_memcmp), so no prefix of
 * the expected code leaks through timing. Nothing here stores, logs or
 * keeps a secret: buffers holding codes are wiped before returning.
 */
#include "totp.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include <liboath/oath.h>

#include "../../gateway/util/buf.h"
#include "../../gateway/util/crypto.h"
#include "../../gateway/util/log.h"
#include "../../gateway/util/status.h"
#include "../../gateway/util/str.h"

#define MAX_WINDOW	10
#define RECOVERY_CHARS	12

static const char b32_upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char b32_lower[] = "abcdefghijklmnopqrstuvwxyz234567";

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_init_rc = OATH_OK;

static void
oath_init_once(void)
{
	oath_init_rc = oath_init();
}

/* liboath needs oath_init once per process before any other call. */
static int
oath_ready(void)
{
	if (pthread_once(&oath_once, oath_init_once) != 0 || oath_init_rc != OATH_OK) {
		log_error("liboath initialisation failed: %s", oath_strerror(oath_init_rc));
		return IDG_ERR;
	}
	return IDG_OK;
}

int
idg_totp_secret_new(uint8_t secret[IDG_TOTP_SECRET_LEN])
{
	return idg_random(secret, IDG_TOTP_SECRET_LEN);
}

/* RFC 4648 section 6 base32 without padding; IDG_INVALID when out is too small. */
static int
base32(const uint8_t *p, size_t n, const char *alpha, char *out, size_t outsz)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i, o = 0;

	if (outsz < IDG_TOTP_BASE32_LEN(n))
		return IDG_INVALID;
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alpha[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alpha[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	idg_wipe(&acc, sizeof(acc));
	return IDG_OK;
}

int
idg_totp_base32(const uint8_t *secret, size_t n, char *out, size_t outsz)
{
	if (secret == NULL || out == NULL)
		return IDG_INVALID;
	return base32(secret, n, b32_upper, out, outsz);
}

int
idg_totp_uri(const char *issuer, const char *account, const char *base32s, char *out,
    size_t outsz)
{
	struct idg_buf b;
	int st;

	if (issuer == NULL || account == NULL || base32s == NULL || out == NULL ||
	    issuer[0] == '\0' || account[0] == '\0' || base32s[0] == '\0' ||
	    strchr(issuer, ':') != NULL || strchr(account, ':') != NULL)
		return IDG_INVALID;
	/* Key URI format: the label is "issuer:account"; neither part may hold ':'. */
	idg_buf_init(&b, outsz);
	st = idg_buf_adds(&b, "otpauth://totp/");
	if (st == IDG_OK)
		st = idg_url_escape(&b, issuer);
	if (st == IDG_OK)
		st = idg_buf_adds(&b, ":");
	if (st == IDG_OK)
		st = idg_url_escape(&b, account);
	if (st == IDG_OK)
		st = idg_buf_adds(&b, "?secret=");
	if (st == IDG_OK)
		st = idg_url_escape(&b, base32s);
	if (st == IDG_OK)
		st = idg_buf_adds(&b, "&issuer=");
	if (st == IDG_OK)
		st = idg_url_escape(&b, issuer);
	if (st == IDG_OK)
		st = idg_buf_printf(&b, "&algorithm=SHA1&digits=%d&period=%d", IDG_TOTP_DIGITS,
		    IDG_TOTP_STEP_S);
	/* max_bytes counts the text; one more byte is needed for the NUL. */
	if (st == IDG_OK && b.len + 1 > outsz)
		st = IDG_INVALID;
	if (st == IDG_OK)
		memcpy(out, b.data, b.len + 1);
	if (b.data != NULL)
		idg_wipe(b.data, b.len);	/* it held the secret */
	idg_buf_free(&b);
	return st == IDG_OK ? IDG_OK : IDG_INVALID;
}

static bool
code_ok(const char *code)
{
	int i;

	for (i = 0; i < IDG_TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return false;
	return code[IDG_TOTP_DIGITS] == '\0';
}

int
idg_totp_code(const uint8_t *secret, size_t n, int64_t now, char out[7])
{
	int rc;

	if (secret == NULL || n == 0 || now < 0 || out == NULL)
		return IDG_INVALID;
	if (oath_ready() != IDG_OK)
		return IDG_ERR;
	rc = oath_totp_generate((const char *)secret, n, (time_t)now, IDG_TOTP_STEP_S,
	    OATH_TOTP_DEFAULT_START_TIME, IDG_TOTP_DIGITS, out);
	if (rc != OATH_OK) {
		log_error("oath_totp_generate: %s", oath_strerror(rc));
		out[0] = '\0';
		return IDG_ERR;
	}
	return IDG_OK;
}

/* liboath comparison callback: 0 on a match, 1 otherwise, in constant time. */
static int
cmp_code(void *handle, const char *test_otp)
{
	const char *code = handle;

	if (strlen(test_otp) != IDG_TOTP_DIGITS)
		return 1;
	return idg_ct_eq(code, IDG_TOTP_DIGITS, test_otp, IDG_TOTP_DIGITS) ? 0 : 1;
}

int
idg_totp_verify(const uint8_t *secret, size_t n, const char *code, int64_t now, int window,
    int64_t *step)
{
	uint64_t counter = 0;
	int pos = 0, rc;

	if (step != NULL)
		*step = 0;
	if (secret == NULL || n == 0 || code == NULL || step == NULL || now < 0 ||
	    window < 0 || window > MAX_WINDOW || !code_ok(code))
		return IDG_INVALID;
	if (oath_ready() != IDG_OK)
		return IDG_ERR;
	rc = oath_totp_validate3_callback((const char *)secret, n, (time_t)now,
	    IDG_TOTP_STEP_S, OATH_TOTP_DEFAULT_START_TIME, IDG_TOTP_DIGITS, (size_t)window,
	    &pos, &counter, cmp_code, (void *)code);
	if (rc == OATH_INVALID_OTP)
		return IDG_DECLINED;
	if (rc < 0) {
		log_error("oath_totp_validate3_callback: %s", oath_strerror(rc));
		return IDG_ERR;
	}
	/* pos is the signed offset from the current step; counter the step itself. */
	if ((int64_t)counter != now / IDG_TOTP_STEP_S + pos) {
		log_error("liboath returned step %llu at offset %d for time %lld",
		    (unsigned long long)counter, pos, (long long)now);
		return IDG_ERR;
	}
	*step = (int64_t)counter;
	return IDG_OK;
}

int
idg_recovery_codes_new(char codes[IDG_RECOVERY_CODES][16], char hashes[IDG_RECOVERY_CODES][65])
{
	uint8_t rnd[8];
	uint64_t v;
	int i, k, o;

	for (i = 0; i < IDG_RECOVERY_CODES; i++) {
		if (idg_random(rnd, sizeof(rnd)) != IDG_OK) {
			idg_wipe(codes, (size_t)IDG_RECOVERY_CODES * 16);
			return IDG_ERR;
		}
		memcpy(&v, rnd, sizeof(v));
		/* 12 characters of 5 bits: 60 of the 64 random bits. */
		for (k = 0, o = 0; k < RECOVERY_CHARS; k++) {
			if (k > 0 && k % 4 == 0)
				codes[i][o++] = '-';
			codes[i][o++] = b32_lower[v & 31];
			v >>= 5;
		}
		codes[i][o] = '\0';
		if (idg_recovery_code_hash(codes[i], hashes[i]) != IDG_OK) {
			idg_wipe(codes, (size_t)IDG_RECOVERY_CODES * 16);
			return IDG_ERR;
		}
	}
	idg_wipe(rnd, sizeof(rnd));
	idg_wipe(&v, sizeof(v));
	return IDG_OK;
}

int
idg_recovery_code_hash(const char *code, char out[65])
{
	uint8_t md[IDG_SHA256_LEN];
	char norm[RECOVERY_CHARS + 1];
	size_t n = 0;
	const char *p;

	out[0] = '\0';
	if (code == NULL)
		return IDG_INVALID;
	for (p = code; *p != '\0'; p++) {
		char ch = *p;

		if (ch == '-' || ch == ' ')
			continue;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		else if (ch == '0')
			ch = 'o';
		else if (ch == '1')
			ch = 'l';
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7')) ||
		    n >= RECOVERY_CHARS) {
			idg_wipe(norm, sizeof(norm));
			return IDG_INVALID;
		}
		norm[n++] = ch;
	}
	if (n != RECOVERY_CHARS) {
		idg_wipe(norm, sizeof(norm));
		return IDG_INVALID;
	}
	idg_sha256(norm, n, md);
	idg_hex(md, sizeof(md), out);
	idg_wipe(norm, sizeof(norm));
	return IDG_OK;
}
