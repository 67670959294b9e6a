/*
 * devcert.h - the per-tenant device-certificate CA and the rules of the
 * device-certificate option (DESIGN.md "Service rules"): CA creation and
 * loading, CSR checks, issuance ("CSR in, certificate out"), PKCS#12 for
 * keys generated on the server, CRLs, and the verification of a certificate
 * a device presents. Built on OpenSSL 3; no I/O, no store, no clock of its
 * own (every function that needs the time takes it), so the gateway, the
 * CLI and tests use it alike.
 *
 * What is not here: the revocation state and the binding to a signed-in
 * user (the store knows those; the gateway checks them after
 * idg_devcert_verify), and the license counts (the store applies the pure
 * rules below inside its transactions).
 *
 * Issued certificates: version 3; serial = 16 bytes from the CSPRNG (top
 * bit cleared, never zero); subject CN = the user's e-mail, O = company ID,
 * OU = device name; notBefore = issue time, notAfter = idg_devcert_not_after;
 * basicConstraints CA:FALSE (critical), keyUsage digitalSignature
 * (critical), extendedKeyUsage clientAuth, subjectAltName = the e-mail
 * (rfc822Name) and the URI "urn:idgate:device:{company_id}:{user_id}:
 * {device_id}", authority and subject key identifiers; signed with SHA-256
 * (ECDSA or RSA PKCS#1 v1.5 by the CA's key). Nothing in the CSR but its
 * public key is used.
 *
 * Status codes are those of gateway/util/status.h.
 */
#ifndef IDG_DEVCERT_H
#define IDG_DEVCERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evp_pkey_st;		/* OpenSSL's EVP_PKEY */

#define IDG_DEVCERT_BLOCK		10	/* licenses are sold in blocks of 10 IDs */
#define IDG_DEVCERT_MAX_LICENSED	10000000
#define IDG_DEVCERT_MAX_PER_ID		10	/* valid certificates per ID at once */
#define IDG_DEVCERT_VALID_YEARS		5
#define IDG_DEVCERT_SERIAL_HEX		33	/* 32 lower-case hex digits + NUL */
#define IDG_DEVCERT_DEVICE_ID_MAX	65	/* [A-Za-z0-9_-], 1..64 characters */
#define IDG_DEVCERT_NAME_MAX		65	/* device name: UTF-8 text, 1..64 bytes */

/* ---- license rules (pure) ---- */

/*
 * Is n a valid licensed count for the option? 0 (option off) or a multiple
 * of IDG_DEVCERT_BLOCK from IDG_DEVCERT_BLOCK to IDG_DEVCERT_MAX_LICENSED:
 * IDG_OK, else IDG_INVALID.
 */
int	idg_devlic_check_count(int n);
/*
 * May the licensed count become n while `assigned` users hold the option?
 * IDG_INVALID (see idg_devlic_check_count), IDG_DECLINED when n < assigned
 * (the caller says how many must be unassigned first), else IDG_OK.
 */
int	idg_devlic_check_change(int n, int assigned);
/*
 * May `requested` more users get the option? IDG_OK or IDG_DECLINED
 * (device_license_exhausted) when assigned + requested > licensed.
 */
int	idg_devlic_check_assign(int licensed, int assigned, int requested);
/*
 * May a user holding `valid_now` valid certificates get one more? IDG_OK, or
 * IDG_DECLINED (device_certificate_limit) at IDG_DEVCERT_MAX_PER_ID.
 */
int	idg_devcert_check_issue(int valid_now);
/*
 * notAfter of a certificate issued at not_before (unix seconds, UTC): the
 * same UTC date and time IDG_DEVCERT_VALID_YEARS years later; an issue on
 * 29 February ends on 28 February (never longer than five years). -1 if
 * not_before is out of range (before 1970 or after 9000).
 */
int64_t	idg_devcert_not_after(int64_t not_before);
/*
 * Valid at `now`: not revoked and not_before <= now < not_after. The one
 * definition of "valid" used by the store's counts and the device check.
 */
bool	idg_devcert_valid_at(bool revoked, int64_t not_before, int64_t not_after, int64_t now);

/* ---- the CA ---- */

enum idg_ca_alg {
	IDG_CA_EC_P256 = 0,	/* default */
	IDG_CA_RSA_2048 = 1,
	IDG_CA_RSA_3072 = 2,
};

/* A tenant CA: its certificate, and its private key when loaded with one. */
struct idg_ca;

/*
 * Creates a CA for company_id: a new key of `alg`, a self-signed
 * certificate with subject "CN=idgate device CA, O={company_id}",
 * basicConstraints CA:TRUE pathlen:0 (critical), keyUsage keyCertSign and
 * cRLSign (critical), subject key identifier; valid from now - 1 hour for 20
 * years. IDG_OK, IDG_INVALID (bad company ID or alg) or IDG_ERR.
 */
int	idg_ca_create(const char *company_id, int alg, int64_t now, struct idg_ca **out);
/*
 * Exports the CA for the store: *key_sealed = the private key (PKCS#8 DER)
 * sealed with idg_seal(master_key, "idgate device ca v1", aad, ...), and
 * *cert_der = the certificate. Both owned by the caller (free()).
 * IDG_INVALID if the CA has no private key.
 */
int	idg_ca_export(const struct idg_ca *ca, const uint8_t master_key[32], const char *aad,
	    char **key_sealed, uint8_t **cert_der, size_t *cert_len);
/*
 * Loads a CA from its stored parts. key_sealed NULL loads the certificate
 * only (enough for idg_devcert_verify). IDG_DECLINED when the key does not
 * open (wrong master key or aad), IDG_INVALID for malformed input or a key
 * that does not match the certificate.
 */
int	idg_ca_load(const uint8_t master_key[32], const char *aad, const char *key_sealed,
	    const uint8_t *cert_der, size_t cert_len, struct idg_ca **out);
void	idg_ca_free(struct idg_ca *ca);
bool	idg_ca_has_key(const struct idg_ca *ca);
int	idg_ca_alg(const struct idg_ca *ca);
/* The CA certificate as PEM (owned, NUL-terminated) for downloads. */
int	idg_ca_cert_pem(const struct idg_ca *ca, char **pem);
/* The CA certificate (borrowed X509 *, for a TLS client CA list). */
void	*idg_ca_x509(const struct idg_ca *ca);

/* ---- CSRs, keys, issuance ---- */

/*
 * Parses a PKCS#10 request (PEM or DER, at most 16 KiB), checks its
 * self-signature and that its key is EC P-256/P-384 or RSA 2048..4096, and
 * returns its public key (*pub, owned: EVP_PKEY_free). On IDG_INVALID, err
 * says what is wrong in a short English sentence.
 */
int	idg_csr_parse(const void *data, size_t n, struct evp_pkey_st **pub, char *err,
	    size_t errsz);
/* A new EC P-256 key for a device whose key the server generates. */
int	idg_devcert_keygen(struct evp_pkey_st **key);

struct idg_devcert_subject {
	char	company_id[33];
	int64_t	user_id;
	char	email[255];
	char	device_id[IDG_DEVCERT_DEVICE_ID_MAX];
	char	device_name[IDG_DEVCERT_NAME_MAX];
};

struct idg_devcert_issued {
	char	serial[IDG_DEVCERT_SERIAL_HEX];
	int64_t	not_before;
	int64_t	not_after;
	uint8_t	*der;		/* owned: free() */
	size_t	der_len;
};

/*
 * Issues a certificate for pub to sub, signed by ca (which must have its
 * key), valid from now. IDG_INVALID for a bad subject (e-mail, device id or
 * name) or a CA without key; IDG_ERR otherwise.
 */
int	idg_devcert_issue(const struct idg_ca *ca, struct evp_pkey_st *pub,
	    const struct idg_devcert_subject *sub, int64_t now, struct idg_devcert_issued *out);
void	idg_devcert_issued_free(struct idg_devcert_issued *c);
/* A certificate as PEM (owned, NUL-terminated). */
int	idg_devcert_pem(const uint8_t *der, size_t n, char **pem);
/*
 * A PKCS#12 file holding key, its certificate and the CA certificate, with
 * friendly name `name`, protected by password: AES-256-CBC with PBKDF2 and
 * a SHA-256 MAC, or with legacy = true, 3DES with a SHA-1 MAC for old
 * importers. *p12 owned (free()).
 */
int	idg_devcert_pkcs12(struct evp_pkey_st *key, const uint8_t *cert_der, size_t cert_len,
	    const struct idg_ca *ca, const char *name, const char *password, bool legacy,
	    uint8_t **p12, size_t *p12_len);
/*
 * A one-time password for a PKCS#12 file: 4 groups of 4 characters from an
 * alphabet without look-alikes, separated by '-' (about 80 bits).
 * outsz >= 20.
 */
int	idg_devcert_otp(char *out, size_t outsz);

/* ---- revocation ---- */

struct idg_crl_entry {
	char	serial[IDG_DEVCERT_SERIAL_HEX];
	int64_t	revoked_at;
};

/*
 * A CRL (v2, DER) of ca listing entries, with CRL number crl_number,
 * thisUpdate = now, nextUpdate = next_update, the authority key identifier,
 * signed with SHA-256. *der owned (free()).
 */
int	idg_ca_crl(const struct idg_ca *ca, int64_t crl_number, const struct idg_crl_entry *e,
	    size_t n, int64_t now, int64_t next_update, uint8_t **der, size_t *len);

/* ---- a presented certificate ---- */

enum idg_devcert_check {
	IDG_DEVCERT_OK = 0,
	IDG_DEVCERT_NONE,		/* no certificate presented */
	IDG_DEVCERT_MALFORMED,		/* unparsable, or not one of ours (no URN/EKU) */
	IDG_DEVCERT_FOREIGN,		/* not signed by this tenant's CA */
	IDG_DEVCERT_NOT_YET_VALID,
	IDG_DEVCERT_EXPIRED,
};

struct idg_devcert_presented {
	char	serial[IDG_DEVCERT_SERIAL_HEX];
	char	company_id[33];
	int64_t	user_id;
	char	device_id[IDG_DEVCERT_DEVICE_ID_MAX];
	char	device_name[IDG_DEVCERT_NAME_MAX];
	char	email[255];
	int64_t	not_before;
	int64_t	not_after;
};

/*
 * Checks a presented certificate (DER; NULL/0 = none) against the tenant's
 * CA at `now`: issuer and signature, validity period, clientAuth EKU and
 * our URN SAN, whose company ID must be the CA's. Fills *out (when the
 * certificate parses) and returns an enum idg_devcert_check. Revocation and
 * the user binding are the caller's: look the serial up in the store.
 */
int	idg_devcert_verify(const struct idg_ca *ca, const uint8_t *der, size_t n, int64_t now,
	    struct idg_devcert_presented *out);
/*
 * The same checks on a certificate already parsed (an X509 *, borrowed; NULL
 * = none): the TLS layer's peer certificate, without encoding and parsing it
 * again (in OpenSSL 3 that costs more than the signature check).
 */
int	idg_devcert_verify_x509(const struct idg_ca *ca, void *x509, int64_t now,
	    struct idg_devcert_presented *out);
/* A stable reason code for each enum idg_devcert_check ("device_cert_expired", ...). */
const char *idg_devcert_check_code(int check);

#endif
