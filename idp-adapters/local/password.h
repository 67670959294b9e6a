/*
 * password.h - local password directory: argon2id hashing and the password
 * policy (DESIGN.md: >= 8 characters with upper, lower, digit and symbol by
 * default).
 *
 * Hashing is deliberately slow: the gateway calls these only from the work
 * pool, never from the event loop. Hashes use the PHC encoded form
 * ($argon2id$v=19$m=...,t=...,p=...$salt$hash), so parameters can change
 * without invalidating stored hashes. Not the sign-in flow itself (see
 * gateway/handlers/login.c) and not the lockout rules (the store).
 */
#ifndef IDG_PASSWORD_H
#define IDG_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idg_argon2_params {
	uint32_t	t_cost;		/* iterations */
	uint32_t	m_cost_kib;	/* memory in KiB */
	uint32_t	parallelism;
};

struct idg_password_policy {
	int	min_length;		/* in Unicode code points; default 8 */
	int	max_length;		/* bytes; default 256 (bounds hashing work) */
	bool	require_upper;
	bool	require_lower;
	bool	require_digit;
	bool	require_symbol;
};

#define IDG_PASSWORD_HASH_MAX 192

void	idg_password_policy_default(struct idg_password_policy *p);
/*
 * Checks pw against the policy. IDG_OK, or IDG_DECLINED with *code set to
 * a stable code: "password_too_short", "password_too_long",
 * "password_needs_upper", "password_needs_lower", "password_needs_digit",
 * "password_needs_symbol".
 */
int	idg_password_policy_check(const struct idg_password_policy *p,
	    const char *pw, const char **code);
/* Hashes pw with a fresh 16-byte salt into out (IDG_PASSWORD_HASH_MAX). */
int	idg_password_hash(const struct idg_argon2_params *a, const char *pw,
	    char *out, size_t outsz);
/* IDG_OK if pw matches, IDG_DECLINED if not, IDG_INVALID for a malformed hash. */
int	idg_password_verify(const char *encoded, const char *pw);
/*
 * Spends the same work as a verify against a fixed hash made with a, so an
 * unknown e-mail costs as much time as a wrong password (no enumeration).
 */
void	idg_password_verify_dummy(const struct idg_argon2_params *a, const char *pw);
/* A random temporary password that satisfies the default policy (16 chars). */
int	idg_password_generate(char *out, size_t outsz);

#endif
