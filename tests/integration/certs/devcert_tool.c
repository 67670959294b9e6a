/*
 * devcert_tool.c - a small driver of certs/devcert.h for the openssl CLI
 * interoperability test (test_certs_openssl.sh): it creates a CA in a
 * folder, issues certificates (with PKCS#12 files) or certifies a CSR, and
 * writes CRLs, leaving files the openssl CLI then checks. The CA key is
 * kept sealed under a fixed test master key, as the store would keep it.
 * Uses the real clock (openssl verify does). Not a product tool and not a
 * test by itself: it only fails when the library call fails.
 *
 *   devcert_tool ca DIR ec|rsa
 *   devcert_tool issue DIR NAME        NAME.pem NAME.serial NAME.otp
 *                                      NAME.p12 NAME-legacy.p12
 *   devcert_tool csr DIR FILE NAME     NAME.pem NAME.serial
 *   devcert_tool crl DIR [SERIAL...]   crl.der
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "certs/devcert.h"
#include "gateway/util/status.h"

#define AAD	"tenant:1/device-ca"

static const uint8_t mk[32] = { 'i', 'd', 'g', 'a', 't', 'e', '-', 't', 'e', 's', 't' };

static int
fail(const char *what)
{
	fprintf(stderr, "devcert_tool: %s\n", what);
	return 1;
}

static int
write_file(const char *dir, const char *name, const char *suffix, const void *p, size_t n)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
	if ((f = fopen(path, "wb")) == NULL) {
		fprintf(stderr, "devcert_tool: %s: %s\n", path, strerror(errno));
		return -1;
	}
	ok = fwrite(p, 1, n, f) == n;
	ok = fclose(f) == 0 && ok;
	return ok ? 0 : -1;
}

/* Reads a whole file (at most max bytes) into an owned buffer. */
static uint8_t *
read_file(const char *path, size_t max, size_t *n)
{
	uint8_t *buf = malloc(max + 1);
	FILE *f;

	if (buf == NULL || (f = fopen(path, "rb")) == NULL) {
		free(buf);
		return NULL;
	}
	*n = fread(buf, 1, max + 1, f);
	fclose(f);
	if (*n > max) {
		free(buf);
		return NULL;
	}
	buf[*n] = '\0';
	return buf;
}

static struct idg_ca *
load_ca(const char *dir)
{
	char path[512];
	uint8_t *sealed, *der;
	size_t sn, dn;
	struct idg_ca *ca = NULL;

	snprintf(path, sizeof(path), "%s/ca.sealed", dir);
	sealed = read_file(path, 16384, &sn);
	snprintf(path, sizeof(path), "%s/ca.der", dir);
	der = read_file(path, 16384, &dn);
	if (sealed == NULL || der == NULL ||
	    idg_ca_load(mk, AAD, (const char *)sealed, der, dn, &ca) != IDG_OK)
		ca = NULL;
	free(sealed);
	free(der);
	return ca;
}

static int
cmd_ca(const char *dir, const char *alg)
{
	struct idg_ca *ca;
	char *sealed, *pem;
	uint8_t *der;
	size_t dn;
	int a = strcmp(alg, "rsa") == 0 ? IDG_CA_RSA_2048 : IDG_CA_EC_P256, rc = 1;

	if (idg_ca_create("acme-corp", a, (int64_t)time(NULL), &ca) != IDG_OK)
		return fail("idg_ca_create");
	if (idg_ca_export(ca, mk, AAD, &sealed, &der, &dn) == IDG_OK &&
	    idg_ca_cert_pem(ca, &pem) == IDG_OK) {
		if (write_file(dir, "ca", ".sealed", sealed, strlen(sealed)) == 0 &&
		    write_file(dir, "ca", ".der", der, dn) == 0 &&
		    write_file(dir, "ca", ".pem", pem, strlen(pem)) == 0)
			rc = 0;
		free(sealed);
		free(der);
		free(pem);
	}
	idg_ca_free(ca);
	return rc == 0 ? 0 : fail("export");
}

/* Issues for pub and writes NAME.pem and NAME.serial. */
static int
issue(struct idg_ca *ca, EVP_PKEY *pub, const char *dir, const char *name,
    struct idg_devcert_issued *c)
{
	struct idg_devcert_subject s;
	char *pem;
	int rc;

	memset(&s, 0, sizeof(s));
	snprintf(s.company_id, sizeof(s.company_id), "acme-corp");
	s.user_id = 7;
	snprintf(s.email, sizeof(s.email), "%s@example.com", name);
	snprintf(s.device_id, sizeof(s.device_id), "%s-device", name);
	snprintf(s.device_name, sizeof(s.device_name), "%s's laptop", name);
	if (idg_devcert_issue(ca, pub, &s, (int64_t)time(NULL), c) != IDG_OK)
		return fail("idg_devcert_issue");
	if (idg_devcert_pem(c->der, c->der_len, &pem) != IDG_OK)
		return fail("idg_devcert_pem");
	rc = write_file(dir, name, ".pem", pem, strlen(pem)) == 0 &&
	    write_file(dir, name, ".serial", c->serial, strlen(c->serial)) == 0 ? 0 : 1;
	free(pem);
	return rc;
}

static int
cmd_issue(const char *dir, const char *name)
{
	struct idg_devcert_issued c;
	struct idg_ca *ca = load_ca(dir);
	EVP_PKEY *key = NULL;
	uint8_t *p12;
	size_t n;
	char otp[20];
	int rc = 1, legacy;

	if (ca == NULL)
		return fail("load CA");
	if (idg_devcert_keygen(&key) != IDG_OK || issue(ca, key, dir, name, &c) != 0)
		goto done;
	if (idg_devcert_otp(otp, sizeof(otp)) != IDG_OK ||
	    write_file(dir, name, ".otp", otp, strlen(otp)) != 0)
		goto done;
	for (legacy = 0; legacy < 2; legacy++) {
		if (idg_devcert_pkcs12(key, c.der, c.der_len, ca, name, otp, legacy, &p12,
		    &n) != IDG_OK) {
			fail("idg_devcert_pkcs12");
			goto done_cert;
		}
		if (write_file(dir, name, legacy ? "-legacy.p12" : ".p12", p12, n) != 0) {
			free(p12);
			goto done_cert;
		}
		free(p12);
	}
	rc = 0;
done_cert:
	idg_devcert_issued_free(&c);
done:
	EVP_PKEY_free(key);
	idg_ca_free(ca);
	return rc;
}

static int
cmd_csr(const char *dir, const char *file, const char *name)
{
	struct idg_devcert_issued c;
	struct idg_ca *ca = load_ca(dir);
	EVP_PKEY *pub = NULL;
	uint8_t *data;
	size_t n;
	char err[128];
	int rc = 1;

	if (ca == NULL)
		return fail("load CA");
	if ((data = read_file(file, 65536, &n)) == NULL) {
		idg_ca_free(ca);
		return fail("read CSR");
	}
	if (idg_csr_parse(data, n, &pub, err, sizeof(err)) != IDG_OK) {
		fprintf(stderr, "devcert_tool: CSR refused: %s\n", err);
	} else if (issue(ca, pub, dir, name, &c) == 0) {
		idg_devcert_issued_free(&c);
		rc = 0;
	}
	EVP_PKEY_free(pub);
	free(data);
	idg_ca_free(ca);
	return rc;
}

static int
cmd_crl(const char *dir, int n, char **serials)
{
	struct idg_crl_entry e[16];
	struct idg_ca *ca = load_ca(dir);
	int64_t now = (int64_t)time(NULL);
	uint8_t *der;
	size_t len;
	int i, rc = 1;

	if (ca == NULL)
		return fail("load CA");
	if (n > 16) {
		idg_ca_free(ca);
		return fail("too many serials");
	}
	for (i = 0; i < n; i++) {
		snprintf(e[i].serial, sizeof(e[i].serial), "%s", serials[i]);
		e[i].revoked_at = now - 60;
	}
	if (idg_ca_crl(ca, 1, e, (size_t)n, now, now + 86400, &der, &len) == IDG_OK) {
		rc = write_file(dir, "crl", ".der", der, len) == 0 ? 0 : 1;
		free(der);
	} else
		fail("idg_ca_crl");
	idg_ca_free(ca);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "ca") == 0)
		return cmd_ca(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "issue") == 0)
		return cmd_issue(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "csr") == 0)
		return cmd_csr(argv[2], argv[3], argv[4]);
	if (argc >= 3 && strcmp(argv[1], "crl") == 0)
		return cmd_crl(argv[2], argc - 3, argv + 3);
	fprintf(stderr, "usage: devcert_tool ca DIR ec|rsa | issue DIR NAME | "
	    "csr DIR FILE NAME | crl DIR [SERIAL...]\n");
	return 2;
}
