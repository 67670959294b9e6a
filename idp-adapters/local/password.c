/*
 * password.c - argon2id password hashes, the password policy, the dummy
 * verify that hides unknown accounts, and temporary password generation;
 * see password.h.
 *
 * Hashing and verifying are slow on purpose and block: callers run them on
 * the work pool. This file keeps no state and no password outlives a call
 * in its buffers (they are wiped). It does not decide lockouts or read the
 * store.
 *
 * Character classes for the policy: upper, lower and digit are the ASCII
 * ranges; "symbol" is any other printable character, i.e. ASCII punctuation,
 * the space, and every non-ASCII code point (so a password of Japanese
 * letters counts as containing symbols). Control characters belong to no
 * class. The minimum length counts UTF-8 code points (lead bytes); the
 * maximum bounds the bytes handed to argon2.
 */
#include "password.h"

#include <string.h>

#include <argon2.h>

#include "../../gateway/util/crypto.h"
#include "../../gateway/util/log.h"
#include "../../gateway/util/status.h"

#define SALT_LEN 16
#define HASH_LEN 32
#define GEN_LEN 16

void
idg_password_policy_default(struct idg_password_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->min_length = 8;
	p->max_length = 256;
	p->require_upper = true;
	p->require_lower = true;
	p->require_digit = true;
	p->require_symbol = true;
}

int
idg_password_policy_check(const struct idg_password_policy *p, const char *pw,
    const char **code)
{
	const unsigned char *c;
	bool upper = false, lower = false, digit = false, symbol = false;
	size_t bytes = strlen(pw), points = 0;

	*code = NULL;
	if (p->max_length > 0 && bytes > (size_t)p->max_length) {
		*code = "password_too_long";
		return IDG_DECLINED;
	}
	for (c = (const unsigned char *)pw; *c != '\0'; c++) {
		/* A code point starts at every byte that is not a continuation (10xxxxxx). */
		if ((*c & 0xc0) != 0x80)
			points++;
		if (*c >= 'A' && *c <= 'Z')
			upper = true;
		else if (*c >= 'a' && *c <= 'z')
			lower = true;
		else if (*c >= '0' && *c <= '9')
			digit = true;
		else if ((*c >= 0x20 && *c < 0x7f) || *c >= 0xc0)
			symbol = true;	/* punctuation, space, or a non-ASCII lead byte */
	}
	if (points < (size_t)(p->min_length > 0 ? p->min_length : 0)) {
		*code = "password_too_short";
		return IDG_DECLINED;
	}
	if (p->require_upper && !upper) {
		*code = "password_needs_upper";
		return IDG_DECLINED;
	}
	if (p->require_lower && !lower) {
		*code = "password_needs_lower";
		return IDG_DECLINED;
	}
	if (p->require_digit && !digit) {
		*code = "password_needs_digit";
		return IDG_DECLINED;
	}
	if (p->require_symbol && !symbol) {
		*code = "password_needs_symbol";
		return IDG_DECLINED;
	}
	return IDG_OK;
}

int
idg_password_hash(const struct idg_argon2_params *a, const char *pw, char *out,
    size_t outsz)
{
	uint8_t salt[SALT_LEN];
	size_t need;
	int rc;

	need = argon2_encodedlen(a->t_cost, a->m_cost_kib, a->parallelism, SALT_LEN,
	    HASH_LEN, Argon2_id);
	if (outsz < need || need > IDG_PASSWORD_HASH_MAX) {
		log_error("output buffer of %zu bytes, %zu needed", outsz, need);
		return IDG_INVALID;
	}
	if (idg_random(salt, sizeof(salt)) != IDG_OK) {
		log_error("no random bytes for the salt");
		return IDG_ERR;
	}
	rc = argon2id_hash_encoded(a->t_cost, a->m_cost_kib, a->parallelism, pw,
	    strlen(pw), salt, sizeof(salt), HASH_LEN, out, outsz);
	idg_wipe(salt, sizeof(salt));
	if (rc != ARGON2_OK) {
		log_error("argon2id (t=%u m=%u KiB p=%u): %s", a->t_cost, a->m_cost_kib,
		    a->parallelism, argon2_error_message(rc));
		return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? IDG_ERR : IDG_INVALID;
	}
	return IDG_OK;
}

int
idg_password_verify(const char *encoded, const char *pw)
{
	static const char prefix[] = "$argon2id$";
	int rc;

	/* Only our own algorithm: an argon2i/argon2d string is not accepted. */
	if (encoded == NULL || strncmp(encoded, prefix, sizeof(prefix) - 1) != 0 ||
	    strlen(encoded) >= IDG_PASSWORD_HASH_MAX)
		return IDG_INVALID;
	/* argon2id_verify compares the tags in constant time. */
	rc = argon2id_verify(encoded, pw, strlen(pw));
	switch (rc) {
	case ARGON2_OK:
		return IDG_OK;
	case ARGON2_VERIFY_MISMATCH:
		return IDG_DECLINED;
	case ARGON2_MEMORY_ALLOCATION_ERROR:
		log_error("argon2id verify: %s", argon2_error_message(rc));
		return IDG_ERR;
	default:
		return IDG_INVALID;
	}
}

void
idg_password_verify_dummy(const struct idg_argon2_params *a, const char *pw)
{
	/*
	 * A verify is one hash computation with the stored parameters plus a
	 * constant-time compare; computing the raw hash with the same
	 * parameters and a fixed salt spends the same work.
	 */
	static const uint8_t salt[SALT_LEN] = "idgate-dummy-slt";
	uint8_t tag[HASH_LEN];

	(void)argon2id_hash_raw(a->t_cost, a->m_cost_kib, a->parallelism, pw, strlen(pw),
	    salt, sizeof(salt), tag, sizeof(tag));
	idg_wipe(tag, sizeof(tag));
}

/* Unbiased index in [0, n) from the CSPRNG (rejection sampling). */
static int
pick(unsigned n, unsigned *out)
{
	uint8_t b;
	unsigned limit = 256 - (256 % n);

	for (;;) {
		if (idg_random(&b, 1) != IDG_OK)
			return IDG_ERR;
		if (b < limit) {
			*out = b % n;
			return IDG_OK;
		}
	}
}

int
idg_password_generate(char *out, size_t outsz)
{
	/* No look-alikes (I O l 0 1) and no quotes, commas, spaces or backslashes. */
	static const char *const classes[] = {
		"ABCDEFGHJKLMNPQRSTUVWXYZ",
		"abcdefghijkmnopqrstuvwxyz",
		"23456789",
		"!#%+-=?@_*",
	};
	const size_t nclasses = sizeof(classes) / sizeof(classes[0]);
	char all[128], pw[GEN_LEN + 1];
	size_t i, nall = 0;
	unsigned r, j;

	if (outsz < GEN_LEN + 1)
		return IDG_INVALID;
	for (i = 0; i < nclasses; i++) {
		size_t l = strlen(classes[i]);
		memcpy(all + nall, classes[i], l);
		nall += l;
	}
	/* One of each class first, the rest from the union, then shuffle. */
	for (i = 0; i < GEN_LEN; i++) {
		const char *set = i < nclasses ? classes[i] : all;
		unsigned n = i < nclasses ? (unsigned)strlen(set) : (unsigned)nall;

		if (pick(n, &r) != IDG_OK)
			goto fail;
		pw[i] = set[r];
	}
	for (i = GEN_LEN - 1; i > 0; i--) {
		char t;

		if (pick((unsigned)i + 1, &j) != IDG_OK)
			goto fail;
		t = pw[i];
		pw[i] = pw[j];
		pw[j] = t;
	}
	pw[GEN_LEN] = '\0';
	memcpy(out, pw, GEN_LEN + 1);
	idg_wipe(pw, sizeof(pw));
	return IDG_OK;
fail:
	log_error("no random bytes");
	idg_wipe(pw, sizeof(pw));
	return IDG_ERR;
}
