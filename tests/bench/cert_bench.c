/*
 * cert_bench.c - how many device certificates certs/devcert.h issues per
 * second: with an EC P-256 CA, issuing for a key made beforehand (device
 * key generation excluded), then with a fresh device key each time, then
 * with the key and a PKCS#12 file (modern and legacy), as the server does
 * when it generates the key; with an RSA-2048 CA for a key made
 * beforehand; and the check of a presented certificate (idg_devcert_verify)
 * for both CAs. Prints figures; asserts nothing about them and ctest does
 * not run it. It stops with an error only when a library call fails.
 *
 *   cert_bench [--count N]      (default 2000 of each)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "certs/devcert.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"

enum mode { ISSUE, ISSUE_KEYGEN, ISSUE_KEYGEN_P12, ISSUE_KEYGEN_P12_LEGACY, VERIFY };

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "cert_bench: %s failed\n", what);
	exit(1);
}

static void
subject(struct idg_devcert_subject *s, long i)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->company_id, sizeof(s->company_id), "bench-co");
	s->user_id = 1 + i % 1000;
	snprintf(s->email, sizeof(s->email), "user%ld@example.com", i % 1000);
	snprintf(s->device_id, sizeof(s->device_id), "device-%ld", i);
	snprintf(s->device_name, sizeof(s->device_name), "Laptop %ld", i);
}

/* One certificate the way `mode` says; the key is fresh unless given. */
static void
one(const struct idg_ca *ca, EVP_PKEY *fixed, enum mode mode, long i, int64_t t)
{
	struct idg_devcert_subject s;
	struct idg_devcert_issued c;
	EVP_PKEY *key = fixed;
	uint8_t *p12;
	size_t n;
	char otp[20];

	subject(&s, i);
	if (mode != ISSUE && idg_devcert_keygen(&key) != IDG_OK)
		die("idg_devcert_keygen");
	if (idg_devcert_issue(ca, key, &s, t, &c) != IDG_OK)
		die("idg_devcert_issue");
	if (mode == ISSUE_KEYGEN_P12 || mode == ISSUE_KEYGEN_P12_LEGACY) {
		if (idg_devcert_otp(otp, sizeof(otp)) != IDG_OK ||
		    idg_devcert_pkcs12(key, c.der, c.der_len, ca, s.device_name, otp,
		    mode == ISSUE_KEYGEN_P12_LEGACY, &p12, &n) != IDG_OK)
			die("idg_devcert_pkcs12");
		free(p12);
	}
	idg_devcert_issued_free(&c);
	if (key != fixed)
		EVP_PKEY_free(key);
}

static void
run(const char *label, const struct idg_ca *ca, EVP_PKEY *fixed, enum mode mode, long count,
    int64_t t)
{
	struct idg_devcert_presented p;
	struct idg_devcert_issued c;
	struct idg_devcert_subject s;
	double t0, dt;
	long i;

	if (mode == VERIFY) {
		subject(&s, 0);
		if (idg_devcert_issue(ca, fixed, &s, t, &c) != IDG_OK)
			die("idg_devcert_issue");
		t0 = now_s();
		for (i = 0; i < count; i++) {
			if (idg_devcert_verify(ca, c.der, c.der_len, t + 1, &p) != IDG_DEVCERT_OK)
				die("idg_devcert_verify");
		}
		dt = now_s() - t0;
		idg_devcert_issued_free(&c);
	} else {
		t0 = now_s();
		for (i = 0; i < count; i++)
			one(ca, fixed, mode, i, t);
		dt = now_s() - t0;
	}
	printf("%-52s %6ld in %7.3f s  %9.1f /s  %8.1f us each\n", label, count, dt,
	    (double)count / dt, dt * 1e6 / (double)count);
}

int
main(int argc, char **argv)
{
	struct idg_ca *ec, *rsa;
	EVP_PKEY *dev;
	int64_t t = (int64_t)time(NULL);
	long count = 2000;
	double t0;

	if (argc == 3 && strcmp(argv[1], "--count") == 0) {
		if (idg_parse_long(argv[2], 1, 10000000, &count) != IDG_OK) {
			fprintf(stderr, "usage: cert_bench [--count N]\n");
			return 2;
		}
	} else if (argc != 1) {
		fprintf(stderr, "usage: cert_bench [--count N]\n");
		return 2;
	}
	printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
	t0 = now_s();
	if (idg_ca_create("bench-co", IDG_CA_EC_P256, t, &ec) != IDG_OK)
		die("idg_ca_create EC");
	printf("%-52s %24.1f ms\n", "CA create, EC P-256", (now_s() - t0) * 1e3);
	t0 = now_s();
	if (idg_ca_create("bench-co", IDG_CA_RSA_2048, t, &rsa) != IDG_OK)
		die("idg_ca_create RSA");
	printf("%-52s %24.1f ms\n", "CA create, RSA-2048", (now_s() - t0) * 1e3);
	if (idg_devcert_keygen(&dev) != IDG_OK)
		die("idg_devcert_keygen");

	run("EC CA: issue (device key made beforehand)", ec, dev, ISSUE, count, t);
	run("EC CA: device key + issue", ec, dev, ISSUE_KEYGEN, count, t);
	run("EC CA: device key + issue + PKCS#12 (AES, SHA-256)", ec, dev, ISSUE_KEYGEN_P12,
	    count, t);
	run("EC CA: device key + issue + PKCS#12 (legacy 3DES)", ec, dev,
	    ISSUE_KEYGEN_P12_LEGACY, count, t);
	run("RSA-2048 CA: issue (device key made beforehand)", rsa, dev, ISSUE, count, t);
	run("EC CA: verify a presented certificate", ec, dev, VERIFY, count, t);
	run("RSA-2048 CA: verify a presented certificate", rsa, dev, VERIFY, count, t);

	EVP_PKEY_free(dev);
	idg_ca_free(ec);
	idg_ca_free(rsa);
	return 0;
}
