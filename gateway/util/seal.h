/*
 * seal.h - at-rest encryption of small secrets (TOTP seeds, tokens) under
 * the master key.
 *
 * A sealed value is printable text, "v1.<b64url nonce>.<b64url ct+tag>":
 * AES-256-GCM with a random 12-byte nonce, under a key derived from the
 * master key with HKDF-SHA256 and a per-purpose info string, so each use
 * (e.g. "idgate totp v1") has its own key. The AAD binds a sealed value to
 * its owner (e.g. "tenant:3/user:17"): a value copied to another row does
 * not open. This file neither loads nor stores the master key (that is the
 * config loader's job), and it is not for large data.
 */
#ifndef IDG_SEAL_H
#define IDG_SEAL_H

#include <stddef.h>
#include <stdint.h>

/* Largest plaintext accepted by idg_seal (bytes). */
#define IDG_SEAL_MAX_PT 4096

/*
 * Seals pt[0..n) for the purpose info (non-empty) with aad (may be "" but
 * not NULL). *out is an owned NUL-terminated string (free()). Returns
 * IDG_OK, IDG_INVALID (NULL arguments, empty info, n > IDG_SEAL_MAX_PT) or
 * IDG_ERR (logged). *out is NULL on failure.
 */
int	idg_seal(const uint8_t key[32], const char *info, const char *aad, const void *pt,
	    size_t n, char **out);
/*
 * Opens a sealed value with the same info and aad into out[0..outsz);
 * *n gets the plaintext length. Returns IDG_OK; IDG_DECLINED when it does
 * not authenticate (wrong key, info or aad, tampered text); IDG_INVALID for
 * malformed text or a plaintext longer than outsz; IDG_ERR (logged).
 * out is wiped on every failure.
 */
int	idg_unseal(const uint8_t key[32], const char *info, const char *aad, const char *sealed,
	    uint8_t *out, size_t outsz, size_t *n);

#endif
