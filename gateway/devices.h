/*
 * devices.h - the device-certificate operations shared by the gateway and
 * the CLI: the tenant CA (created on first use, kept sealed in the store),
 * issue-and-record, revoke-and-republish the CRL. They join certs/ (the CA
 * and the rules, no I/O) and the store (the counts and the state, checked
 * inside its transactions).
 *
 * Every function blocks on the store: call it from a pool thread or the CLI.
 * Not here: HTTP, sessions, the device check at sign-in (handlers/device.c).
 */
#ifndef IDG_DEVICES_H
#define IDG_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../certs/devcert.h"
#include "store/store.h"

/* How long a CRL is good for; it is rebuilt on every revocation and daily. */
#define IDG_CRL_VALID_S		(7 * 86400)
/* A CRL this close to its nextUpdate is rebuilt by the daily job. */
#define IDG_CRL_REFRESH_S	(3 * 86400)

/* The seal AAD of a tenant's CA key: "tenant:{id}". */
void	idg_devices_ca_aad(int64_t tenant_id, char *out, size_t outsz);
/*
 * The tenant's CA with its private key; created (alg enum idg_ca_alg) and
 * stored first if the tenant has none. A concurrent creator wins and its CA
 * is the one returned. IDG_NOTFOUND for an unknown tenant.
 */
int	idg_devices_ca(struct idg_store *s, const uint8_t master_key[32], int64_t tenant_id,
	    const char *company_id, int alg, int64_t now, struct idg_ca **out);

/* What an issue asks for, besides the public key. */
struct idg_devices_req {
	int64_t		 user_id;
	const char	*device_name;		/* UTF-8 text, 1..64 bytes */
	const char	*device_type;		/* "" or up to 32 bytes */
	const char	*device_identifier;	/* "" or up to 128 bytes */
	const char	*enrolled_by;		/* "portal", "api", "admin" */
};

/*
 * Issues a certificate for pub to the user and records it, the store
 * checking the option and the 10-certificate limit in its transaction (a
 * refused certificate is discarded, never returned). On IDG_OK *rec holds
 * the stored row and *issued the certificate (idg_devcert_issued_free).
 * IDG_DECLINED with *why (enum idg_device_refusal) and *valid_now;
 * IDG_NOTFOUND for an unknown user; IDG_INVALID for a bad device name.
 */
int	idg_devices_issue(struct idg_store *s, const uint8_t master_key[32], int64_t tenant_id,
	    const char *company_id, const struct idg_devices_req *req, struct evp_pkey_st *pub,
	    int64_t now, struct idg_devcert *rec, struct idg_devcert_issued *issued, int *why,
	    int *valid_now);
/*
 * Revokes the certificate (user_id > 0: only if it is that user's) and
 * publishes a new CRL. Statuses of idg_store_devcert_revoke.
 */
int	idg_devices_revoke(struct idg_store *s, const uint8_t master_key[32], int64_t tenant_id,
	    const char *serial, int64_t user_id, const char *by, int64_t now);
/*
 * Builds and stores a new CRL of every revoked certificate (number + 1).
 * IDG_NOTFOUND if the tenant has no CA yet (nothing to revoke either).
 */
int	idg_devices_crl_refresh(struct idg_store *s, const uint8_t master_key[32],
	    int64_t tenant_id, int64_t now);
/* A stable code for an enum idg_device_refusal ("device_certificate_limit", ...). */
const char *idg_devices_refusal_code(int why);

#endif
