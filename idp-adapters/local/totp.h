/*
 * totp.h - time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits,
 * 30-second steps, through liboath) and one-time recovery codes.
 *
 * Pure computation over a secret the caller holds: no store, no clock (the
 * time comes in), no sessions. Replay protection (a step used once) and
 * the single use of recovery codes are the store's (idg_store_mfa_use_step,
 * idg_store_mfa_use_recovery); sealing the secret at rest is seal.h's.
 * Secrets and codes are compared in constant time; callers wipe the secret
 * buffers they hold (idg_wipe).
 */
#ifndef IDG_TOTP_H
#define IDG_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define IDG_TOTP_SECRET_LEN	20	/* 160-bit, RFC 4226 section 4 recommendation */
#define IDG_TOTP_DIGITS		6
#define IDG_TOTP_STEP_S		30
/* base32 of a secret of n bytes without padding, NUL included. */
#define IDG_TOTP_BASE32_LEN(n)	(((n) * 8 + 4) / 5 + 1)

/* A new random secret from the CSPRNG. IDG_OK or IDG_ERR. */
int	idg_totp_secret_new(uint8_t secret[IDG_TOTP_SECRET_LEN]);
/*
 * RFC 4648 base32 (upper case, no padding) of secret[0..n), for manual entry
 * in an authenticator app. IDG_OK, or IDG_INVALID when outsz is too small
 * (IDG_TOTP_BASE32_LEN(n) is enough).
 */
int	idg_totp_base32(const uint8_t *secret, size_t n, char *out, size_t outsz);
/*
 * The key URI authenticator apps read from the QR code:
 * otpauth://totp/ISSUER:ACCOUNT?secret=B32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * with issuer and account percent-encoded (the ':' separator is literal).
 * IDG_OK; IDG_INVALID for empty/NULL arguments, an issuer containing ':',
 * or an out too small.
 */
int	idg_totp_uri(const char *issuer, const char *account, const char *base32, char *out,
	    size_t outsz);
/*
 * Checks code (exactly 6 ASCII digits) at time now against the steps
 * now/30 - window .. now/30 + window (window 0..10). IDG_OK with *step =
 * the matching time step; IDG_DECLINED when none matches; IDG_INVALID for a
 * malformed code, a negative time or window, or an empty secret; IDG_ERR
 * (logged) when liboath fails. Replay protection is the caller's: refuse
 * when *step <= the user's last used step (idg_store_mfa_use_step).
 */
int	idg_totp_verify(const uint8_t *secret, size_t n, const char *code, int64_t now,
	    int window, int64_t *step);
/* The code at time now (for tests and the enrolment check). IDG_OK, IDG_INVALID, IDG_ERR. */
int	idg_totp_code(const uint8_t *secret, size_t n, int64_t now, char out[7]);

#define IDG_RECOVERY_CODES	10
/*
 * Ten one-time recovery codes "xxxx-xxxx-xxxx" (lower-case RFC 4648 base32
 * alphabet: 12 characters, 60 bits from the CSPRNG) and the hex SHA-256 of
 * each normalized code (lower-case, no dashes), which is what the store
 * keeps. The codes are shown once; the caller wipes them. IDG_OK or IDG_ERR.
 */
int	idg_recovery_codes_new(char codes[IDG_RECOVERY_CODES][16],
	    char hashes[IDG_RECOVERY_CODES][65]);
/*
 * Hash of what a user typed: ASCII letters lower-cased, dashes and spaces
 * dropped, '0' read as 'o' and '1' as 'l' (look-alikes outside the
 * alphabet). IDG_OK, or IDG_INVALID unless that leaves exactly 12 base32
 * characters.
 */
int	idg_recovery_code_hash(const char *code, char out[65]);

#endif
