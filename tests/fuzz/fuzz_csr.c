/*
 * fuzz_csr.c - libFuzzer target for idg_csr_parse (certs/devcert.h): the
 * input is a PKCS#10 request as a device uploads it, PEM or DER. It is
 * parsed with a roomy and with tiny error buffers. Invariants: only IDG_OK
 * or IDG_INVALID comes back; on IDG_OK a key of an accepted kind is
 * returned, and a certificate issued for it by a fixed test CA verifies;
 * on IDG_INVALID no key is returned and the error text is a non-empty,
 * NUL-terminated sentence. Not a unit test (tests/unit/certs).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "certs/devcert.h"
#include "gateway/util/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2026-05-01T00:00:00Z: a fixed time keeps runs reproducible. */
#define NOW	1777593600

static struct idg_ca *ca;

static void
issue_and_verify(EVP_PKEY *pub)
{
	struct idg_devcert_subject s;
	struct idg_devcert_issued c;
	struct idg_devcert_presented p;

	if (ca == NULL && idg_ca_create("fuzz-co", IDG_CA_EC_P256, NOW, &ca) != IDG_OK)
		abort();
	memset(&s, 0, sizeof(s));
	snprintf(s.company_id, sizeof(s.company_id), "fuzz-co");
	s.user_id = 1;
	snprintf(s.email, sizeof(s.email), "f@example.com");
	snprintf(s.device_id, sizeof(s.device_id), "d");
	snprintf(s.device_name, sizeof(s.device_name), "n");
	if (idg_devcert_issue(ca, pub, &s, NOW, &c) != IDG_OK)
		abort();	/* an accepted key must be certifiable */
	if (idg_devcert_verify(ca, c.der, c.der_len, NOW, &p) != IDG_DEVCERT_OK)
		abort();
	idg_devcert_issued_free(&c);
}

static void
check(const uint8_t *data, size_t size, size_t errsz)
{
	EVP_PKEY *pub = NULL;
	char *err = malloc(errsz);
	int st;

	if (err == NULL)
		return;
	memset(err, 'x', errsz);
	st = idg_csr_parse(data, size, &pub, err, errsz);
	if (strnlen(err, errsz) >= errsz)
		abort();	/* not NUL-terminated */
	if (st == IDG_OK) {
		if (pub == NULL)
			abort();
		if (!EVP_PKEY_is_a(pub, "EC") && !EVP_PKEY_is_a(pub, "RSA"))
			abort();
		if (errsz == 128)
			issue_and_verify(pub);
		EVP_PKEY_free(pub);
	} else if (st == IDG_INVALID) {
		if (pub != NULL)
			abort();
		if (errsz > 1 && err[0] == '\0')
			abort();	/* a reason is always given */
	} else {
		abort();
	}
	free(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, 128);
	check(data, size, 8);
	check(data, size, 1);
	return 0;
}
