/*
 * devices.c - the device-certificate operations shared by the gateway and
 * the CLI; see devices.h. Blocking (store calls); no HTTP, no sessions.
 */
#include "devices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/crypto.h"
#include "util/log.h"
#include "util/status.h"
#include "util/str.h"

void
idg_devices_ca_aad(int64_t tenant_id, char *out, size_t outsz)
{
	snprintf(out, outsz, "tenant:%lld", (long long)tenant_id);
}

static int
ca_open(const uint8_t master_key[32], const struct idg_tenant_ca *row, struct idg_ca **out)
{
	char aad[48];

	idg_devices_ca_aad(row->tenant_id, aad, sizeof(aad));
	return idg_ca_load(master_key, aad, row->key_sealed, row->cert_der, row->cert_len, out);
}

/* The stored CA, opened; IDG_NOTFOUND if the tenant has none. */
static int
ca_get(struct idg_store *s, const uint8_t master_key[32], int64_t tenant_id,
    struct idg_ca **out)
{
	struct idg_tenant_ca *row;
	int st;

	*out = NULL;
	if ((row = calloc(1, sizeof(*row))) == NULL)
		return IDG_ERR;
	if ((st = idg_store_ca_get(s, tenant_id, row)) == IDG_OK)
		st = ca_open(master_key, row, out);
	idg_wipe(row, sizeof(*row));
	free(row);
	return st;
}

int
idg_devices_ca(struct idg_store *s, const uint8_t master_key[32], int64_t tenant_id,
    const char *company_id, int alg, int64_t now, struct idg_ca **out)
{
	struct idg_tenant_ca *row;
	struct idg_ca *ca = NULL;
	char aad[48], *sealed = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	int st;

	*out = NULL;
	if ((row = calloc(1, sizeof(*row))) == NULL)
		return IDG_ERR;
	st = idg_store_ca_get(s, tenant_id, row);
	if (st == IDG_OK) {
		st = ca_open(master_key, row, out);
		goto done;
	}
	if (st != IDG_NOTFOUND)
		goto done;
	/* No CA yet: make one, store it once; a concurrent maker's CA wins. */
	idg_devices_ca_aad(tenant_id, aad, sizeof(aad));
	if ((st = idg_ca_create(company_id, alg, now, &ca)) != IDG_OK ||
	    (st = idg_ca_export(ca, master_key, aad, &sealed, &der, &len)) != IDG_OK)
		goto done;
	if (strlen(sealed) >= sizeof(row->key_sealed) || len > sizeof(row->cert_der)) {
		log_error("device CA of tenant %lld too large to store", (long long)tenant_id);
		st = IDG_ERR;
		goto done;
	}
	memset(row, 0, sizeof(*row));
	row->tenant_id = tenant_id;
	row->alg = alg;
	idg_strlcpy(row->key_sealed, sealed, sizeof(row->key_sealed));
	memcpy(row->cert_der, der, len);
	row->cert_len = len;
	row->created_at = now;
	st = idg_store_ca_put(s, row);
	if (st == IDG_OK) {
		*out = ca;
		ca = NULL;
		log_info("device CA created for tenant %s", company_id);
	} else if (st == IDG_EXISTS && (st = idg_store_ca_get(s, tenant_id, row)) == IDG_OK)
		st = ca_open(master_key, row, out);
done:
	idg_ca_free(ca);
	free(sealed);
	free(der);
	idg_wipe(row, sizeof(*row));
	free(row);
	return st;
}

int
idg_devices_issue(struct idg_store *s, const uint8_t master_key[32], int64_t tenant_id,
    const char *company_id, const struct idg_devices_req *req, struct evp_pkey_st *pub,
    int64_t now, struct idg_devcert *rec, struct idg_devcert_issued *issued, int *why,
    int *valid_now)
{
	struct idg_devcert_subject sub;
	struct idg_ca *ca = NULL;
	struct idg_user u;
	uint8_t rnd[16];
	int st;

	*why = IDG_DEVREF_NONE;
	*valid_now = 0;
	memset(issued, 0, sizeof(*issued));
	memset(rec, 0, sizeof(*rec));
	if (req->device_name == NULL || req->device_name[0] == '\0' ||
	    strlen(req->device_name) >= sizeof(sub.device_name) ||
	    !idg_utf8_text_valid(req->device_name) ||
	    (req->device_type != NULL && strlen(req->device_type) >= sizeof(rec->device_type)) ||
	    (req->device_identifier != NULL &&
	    strlen(req->device_identifier) >= sizeof(rec->device_identifier)))
		return IDG_INVALID;
	if ((st = idg_store_user_get(s, tenant_id, req->user_id, &u)) != IDG_OK)
		return st;
	if ((st = idg_devices_ca(s, master_key, tenant_id, company_id, IDG_CA_EC_P256, now,
	    &ca)) != IDG_OK)
		return st;
	memset(&sub, 0, sizeof(sub));
	idg_strlcpy(sub.company_id, company_id, sizeof(sub.company_id));
	sub.user_id = u.id;
	idg_strlcpy(sub.email, u.email, sizeof(sub.email));
	idg_strlcpy(sub.device_name, req->device_name, sizeof(sub.device_name));
	/* The device id in the certificate's URN: random, never reused. */
	if ((st = idg_random(rnd, sizeof(rnd))) != IDG_OK)
		goto out;
	idg_hex(rnd, sizeof(rnd), sub.device_id);
	if ((st = idg_devcert_issue(ca, pub, &sub, now, issued)) != IDG_OK)
		goto out;
	rec->tenant_id = tenant_id;
	rec->user_id = u.id;
	idg_strlcpy(rec->serial, issued->serial, sizeof(rec->serial));
	idg_strlcpy(rec->device_id, sub.device_id, sizeof(rec->device_id));
	idg_strlcpy(rec->device_name, sub.device_name, sizeof(rec->device_name));
	idg_strlcpy(rec->device_type, req->device_type != NULL ? req->device_type : "",
	    sizeof(rec->device_type));
	idg_strlcpy(rec->device_identifier, req->device_identifier != NULL ?
	    req->device_identifier : "", sizeof(rec->device_identifier));
	idg_strlcpy(rec->enrolled_by, req->enrolled_by != NULL ? req->enrolled_by : "admin",
	    sizeof(rec->enrolled_by));
	rec->not_before = issued->not_before;
	rec->not_after = issued->not_after;
	st = idg_store_devcert_add(s, rec, issued->der, issued->der_len, now, why, valid_now);
	if (st != IDG_OK)
		idg_devcert_issued_free(issued);	/* refused: never handed out */
out:
	idg_ca_free(ca);
	return st;
}

struct crl_list {
	struct idg_crl_entry	*e;
	size_t			 n, cap;
	int			 st;
};

static int
crl_add(void *arg, const struct idg_devcert *c)
{
	struct crl_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap != 0 ? 2 * l->cap : 64;
		struct idg_crl_entry *e = realloc(l->e, cap * sizeof(*e));

		if (e == NULL) {
			l->st = IDG_ERR;
			return 1;
		}
		l->e = e;
		l->cap = cap;
	}
	idg_strlcpy(l->e[l->n].serial, c->serial, sizeof(l->e[l->n].serial));
	l->e[l->n].revoked_at = c->revoked_at;
	l->n++;
	return 0;
}

int
idg_devices_crl_refresh(struct idg_store *s, const uint8_t master_key[32], int64_t tenant_id,
    int64_t now)
{
	struct crl_list l = { NULL, 0, 0, IDG_OK };
	struct idg_ca *ca = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	int64_t number;
	int st;

	if ((st = ca_get(s, master_key, tenant_id, &ca)) != IDG_OK)
		return st;
	if ((st = idg_store_devcert_revoked(s, tenant_id, crl_add, &l)) != IDG_OK ||
	    (st = l.st) != IDG_OK ||
	    (st = idg_store_crl_next_number(s, tenant_id, &number)) != IDG_OK ||
	    (st = idg_ca_crl(ca, number, l.e, l.n, now, now + IDG_CRL_VALID_S, &der,
	    &len)) != IDG_OK)
		goto out;
	st = idg_store_crl_put(s, tenant_id, der, len, number, now + IDG_CRL_VALID_S);
out:
	free(der);
	free(l.e);
	idg_ca_free(ca);
	return st;
}

int
idg_devices_revoke(struct idg_store *s, const uint8_t master_key[32], int64_t tenant_id,
    const char *serial, int64_t user_id, const char *by, int64_t now)
{
	int st;

	if ((st = idg_store_devcert_revoke(s, tenant_id, serial, user_id, by, now)) != IDG_OK)
		return st;
	/*
	 * The revocation is in force already (the device check reads the
	 * store); a CRL that fails to build now is rebuilt by the daily job.
	 */
	if (idg_devices_crl_refresh(s, master_key, tenant_id, now) != IDG_OK)
		log_warn("CRL of tenant %lld not refreshed after a revocation",
		    (long long)tenant_id);
	return IDG_OK;
}

const char *
idg_devices_refusal_code(int why)
{
	switch (why) {
	case IDG_DEVREF_LICENSE_EXHAUSTED:	return "device_license_exhausted";
	case IDG_DEVREF_LICENSE_BELOW_ASSIGNED:	return "device_license_in_use";
	case IDG_DEVREF_NOT_LICENSED:		return "device_license_required";
	case IDG_DEVREF_LIMIT:			return "device_certificate_limit";
	case IDG_DEVREF_HOLDS_CERTS:		return "device_certificates_held";
	case IDG_DEVREF_USER_INACTIVE:		return "user_not_active";
	default:				return "declined";
	}
}
