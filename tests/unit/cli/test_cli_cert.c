/*
 * test_cli_cert.c - `idgate cert ...` and the argument, connection and
 * answer handling of `idgate enroll`, run in-process through idg_cli_run
 * against a real SQLite file in a temporary folder, stdout and stderr
 * captured: the license rules with their numbers (blocks of 10, never
 * below the assigned users, exhaustion), admin issue with --p12 (file mode,
 * the printed one-time password opens it) and --csr, the 10-certificate
 * limit naming the valid ones, revoke then issue, the report counts, the
 * pre-registration CSV's FILE:LINE errors, request approval and rejection,
 * a cancelled tenant, the CA and CRL downloads, and the audit trail. The
 * enroll client talks to a small TLS server on a loopback port in a thread
 * of this test, which issues with the real CA library.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "certs/devcert.h"
#include "cli_fixture.h"
#include "gateway/cli/cli.h"
#include "gateway/config/config.h"
#include "gateway/store/store.h"
#include "gateway/util/status.h"
#include "idp-adapters/local/password.h"

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/idg-cli-cert-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	memset(&f->cfg, 0, sizeof(f->cfg));
	snprintf(f->cfg.store_driver, sizeof(f->cfg.store_driver), "sqlite");
	snprintf(f->cfg.sqlite_path, sizeof(f->cfg.sqlite_path), "%s/idgate.db", f->dir);
	f->cfg.store_busy_timeout_ms = 5000;
	f->cfg.argon2.t_cost = 1;
	f->cfg.argon2.m_cost_kib = 64;
	f->cfg.argon2.parallelism = 1;
	idg_password_policy_default(&f->cfg.password_policy);
	memset(f->cfg.master_key, 0x5a, sizeof(f->cfg.master_key));
	f->cfg.master_key_loaded = true;
	F = f;
	*state = f;
	assert_int_equal(run("migrate", NULL), 0);
	assert_int_equal(run("tenant", "create", "--company-id", "acme", "--name", "Acme",
	    "--contract", "40", NULL), 0);
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
sql(const char *q)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(F->cfg.sqlite_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static struct idg_store *
store(int64_t *tenant_id)
{
	struct idg_store_config sc = { "sqlite", F->cfg.sqlite_path, 5000 };
	struct idg_store *s;
	struct idg_tenant t;

	assert_int_equal(idg_store_open(&sc, &s), IDG_OK);
	assert_int_equal(idg_store_tenant_get(s, "acme", &t), IDG_OK);
	*tenant_id = t.id;
	return s;
}

/* Users u1@acme.example .. un@acme.example. */
static void
add_users(int from, int to)
{
	char email[64];
	int i;

	for (i = from; i <= to; i++) {
		snprintf(email, sizeof(email), "u%d@acme.example", i);
		assert_int_equal(run("user", "add", "--tenant", "acme", "--email", email, NULL),
		    0);
	}
}

static json_t *
out_json(void)
{
	json_t *doc = json_loads(F->out, 0, NULL);

	assert_non_null(doc);
	return doc;
}

static int
json_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_true(json_is_integer(v));
	return (int)json_integer_value(v);
}

/* The licensed and assigned counts `cert license --json` shows. */
static void
license_counts(int *licensed, int *assigned)
{
	json_t *doc;

	assert_int_equal(run("cert", "license", "--tenant", "acme", "--json", NULL), 0);
	doc = out_json();
	*licensed = json_int(doc, "licensed");
	*assigned = json_int(doc, "assigned");
	json_decref(doc);
}

/* The value after `label` up to the end of its line in s. */
static void
after(const char *s, const char *label, char *out, size_t outsz)
{
	const char *p = strstr(s, label);
	size_t n = 0;

	assert_non_null(p);
	p += strlen(label);
	while (p[n] != '\0' && p[n] != '\n' && n + 1 < outsz)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

static bool
exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* No temporary output file is left in the fixture's folder. */
static void
no_leftovers(const char *base)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "ls %s | grep -q '^%s\\.p12\\.'", F->dir, base);
	assert_int_not_equal(system(cmd), 0);
}

/*
 * Issues a PKCS#12 to email; on success checks the file (mode 0600, opens
 * with the printed password only, holds a key that fits the certificate,
 * CN = the e-mail) and copies the serial.
 */
static int
issue_p12(const char *email, const char *name, char *serial, size_t serialsz)
{
	char path[256], pw[64], bad[80], cn[128];
	struct stat sb;
	PKCS12 *p12;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s.p12", F->dir, name);
	unlink(path);
	rc = run("cert", "issue", "--tenant", "acme", "--user", email, "--device-name", name,
	    "--device-type", "windows", "--p12", path, NULL);
	if (rc != 0) {
		assert_false(exists(path));
		return rc;
	}
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	after(F->out, "one-time password of the PKCS#12 file: ", pw, sizeof(pw));
	assert_int_equal(strlen(pw), 19);
	assert_non_null(strstr(F->out, "not shown again"));
	after(F->out, "certificate ", serial, serialsz);
	*strchr(serial, ' ') = '\0';
	assert_int_equal(strlen(serial), 32);
	f = fopen(path, "rb");
	assert_non_null(f);
	p12 = d2i_PKCS12_fp(f, NULL);
	fclose(f);
	assert_non_null(p12);
	snprintf(bad, sizeof(bad), "%sx", pw);
	assert_int_equal(PKCS12_verify_mac(p12, bad, -1), 0);
	assert_int_equal(PKCS12_parse(p12, pw, &key, &cert, NULL), 1);
	assert_int_equal(X509_check_private_key(cert, key), 1);
	X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
	assert_string_equal(cn, email);
	X509_free(cert);
	EVP_PKEY_free(key);
	PKCS12_free(p12);
	no_leftovers(name);
	return 0;
}

static void
test_license_rules(void **state)
{
	(void)state;
	int licensed, assigned;

	license_counts(&licensed, &assigned);
	assert_int_equal(licensed, 0);
	assert_int_equal(assigned, 0);
	assert_int_equal(run("cert", "license", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "0 licensed, 0 assigned, 0 free (option off)"));

	/* Blocks of 10: a rule of the contract, exit 1; a non-number is a usage error. */
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--count", "15", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: invalid_device_license_count: "));
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--count", "20000000",
	    NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: invalid_device_license_count: "));
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--count", "ten", NULL),
	    IDG_EXIT_USAGE);
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--required", "yes", NULL),
	    IDG_EXIT_USAGE);
	assert_int_equal(run("cert", "license", "--count", "10", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("cert", "license", "--tenant", "nope", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: tenant_not_found: "));
	license_counts(&licensed, &assigned);
	assert_int_equal(licensed, 0);

	assert_int_equal(run("cert", "license", "--tenant", "acme", "--count", "20",
	    "--required", "on", "--approval", "on", NULL), 0);
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--json", NULL), 0);
	{
		json_t *doc = out_json();

		assert_int_equal(json_int(doc, "licensed"), 20);
		assert_true(json_is_true(json_object_get(doc, "required")));
		assert_true(json_is_true(json_object_get(doc, "approval")));
		/* Not given: kept as it was (the schema's default is on). */
		assert_true(json_is_true(json_object_get(doc, "exempt_admins")));
		json_decref(doc);
	}

	/* Never below the users holding the option: the numbers are printed. */
	add_users(1, 14);
	assert_int_equal(run("cert", "assign", "--tenant", "acme", "u1@acme.example",
	    "u2@acme.example", "u3@acme.example", "u4@acme.example", "u5@acme.example",
	    "u6@acme.example", "u7@acme.example", "u8@acme.example", "u9@acme.example",
	    "u10@acme.example", "u11@acme.example", "u12@acme.example", "u13@acme.example",
	    "u14@acme.example", NULL), 0);
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--count", "10", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: device_license_in_use: 20 licensed, 14"
	    " assigned, 10 requested"));
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--count", "0", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: device_license_in_use: 20 licensed, 14"
	    " assigned, 0 requested"));
	license_counts(&licensed, &assigned);
	assert_int_equal(licensed, 20);
	assert_int_equal(assigned, 14);
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--count", "30", NULL), 0);
	license_counts(&licensed, &assigned);
	assert_int_equal(licensed, 30);

	assert_int_equal(run("audit", "list", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "device_license_in_use"));
	assert_non_null(strstr(F->out, "licensed 20 -> 30"));
	assert_non_null(strstr(F->out, "device.assign"));
}

static void
test_assign_exhaustion(void **state)
{
	(void)state;
	int licensed, assigned;

	add_users(1, 12);
	/* The option off: nobody can be given it. */
	assert_int_equal(run("cert", "assign", "--tenant", "acme", "u1@acme.example", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: device_license_exhausted: 0 licensed, 0"
	    " assigned, 1 requested"));
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--count", "10", NULL), 0);
	assert_int_equal(run("cert", "assign", "--tenant", "acme", "u1@acme.example",
	    "u2@acme.example", "u3@acme.example", "u4@acme.example", "u5@acme.example",
	    "u6@acme.example", "u7@acme.example", "u8@acme.example", NULL), 0);
	assert_non_null(strstr(F->out, "8 of 10 device-certificate licenses assigned"));

	/* Three more do not fit: nothing changes, not even the two that would. */
	assert_int_equal(run("cert", "assign", "--tenant", "acme", "u9@acme.example",
	    "u10@acme.example", "u11@acme.example", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: device_license_exhausted: 10 licensed, 8"
	    " assigned, 3 requested"));
	license_counts(&licensed, &assigned);
	assert_int_equal(assigned, 8);

	/* Users holding it already do not count again (idempotent). */
	assert_int_equal(run("cert", "assign", "--tenant", "acme", "u1@acme.example",
	    "u9@acme.example", "u10@acme.example", "u9@acme.example", NULL), 0);
	assert_non_null(strstr(F->out, "u1@acme.example: already holds the option"));
	license_counts(&licensed, &assigned);
	assert_int_equal(assigned, 10);
	assert_int_equal(run("cert", "assign", "--tenant", "acme", "u11@acme.example", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: device_license_exhausted: 10 licensed, 10"
	    " assigned, 1 requested"));

	/* Unknown users and service accounts are refused before anything changes. */
	assert_int_equal(run("cert", "unassign", "--tenant", "acme", "u1@acme.example",
	    "ghost@acme.example", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: user_not_found: "));
	license_counts(&licensed, &assigned);
	assert_int_equal(assigned, 10);
	assert_int_equal(run("user", "list", "--tenant", "acme", "--json", NULL), 0);
	{
		json_t *doc = out_json(), *v;
		char svc[256] = "";
		size_t i;

		json_array_foreach(doc, i, v) {
			if (strcmp(json_string_value(json_object_get(v, "kind")), "person") != 0)
				snprintf(svc, sizeof(svc), "%s",
				    json_string_value(json_object_get(v, "email")));
		}
		json_decref(doc);
		assert_int_not_equal(svc[0], '\0');
		assert_int_equal(run("cert", "unassign", "--tenant", "acme", "u1@acme.example",
		    NULL), 0);
		assert_int_equal(run("cert", "assign", "--tenant", "acme", svc, NULL),
		    IDG_EXIT_REFUSED);
		assert_non_null(strstr(F->err, "error: service_account: "));
	}
	license_counts(&licensed, &assigned);
	assert_int_equal(assigned, 9);
	assert_int_equal(run("cert", "assign", "--tenant", "acme", NULL), IDG_EXIT_USAGE);
}

static void
test_issue_limit_revoke(void **state)
{
	(void)state;
	char serials[11][64], name[128], path[128];
	int i;

	add_users(1, 2);
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--count", "10", NULL), 0);
	/* Not holding the option. */
	assert_int_equal(issue_p12("u1@acme.example", "dev0", serials[0], 64),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: device_license_required: "));
	assert_int_equal(run("cert", "assign", "--tenant", "acme", "u1@acme.example", NULL), 0);

	/* Usage errors come before anything is issued. */
	snprintf(path, sizeof(path), "%s/x.p12", F->dir);
	assert_int_equal(run("cert", "issue", "--tenant", "acme", "--user", "u1@acme.example",
	    "--device-name", "x", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("cert", "issue", "--tenant", "acme", "--user", "u1@acme.example",
	    "--device-name", "x", "--p12", path, "--csr", path, NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("cert", "issue", "--tenant", "acme", "--user", "u1@acme.example",
	    "--device-name", "", "--p12", path, NULL), IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "error: invalid_device_name: "));
	assert_int_equal(run("cert", "issue", "--tenant", "acme", "--user", "u9@acme.example",
	    "--device-name", "x", "--p12", path, NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: user_not_found: "));
	assert_int_equal(run("cert", "issue", "--tenant", "acme", "--user", "u1@acme.example",
	    "--device-name", "x", "--p12", "/nonexistent/dir/x.p12", NULL), IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "error: output_unwritable: "));
	F->cfg.master_key_loaded = false;
	assert_int_equal(run("cert", "issue", "--tenant", "acme", "--user", "u1@acme.example",
	    "--device-name", "x", "--p12", path, NULL), IDG_EXIT_FAILURE);
	assert_non_null(strstr(F->err, "error: master_key_unavailable: "));
	F->cfg.master_key_loaded = true;
	assert_int_equal(run("cert", "list", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "no certificates"));

	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "laptop-%d", i);
		assert_int_equal(issue_p12("u1@acme.example", name, serials[i], 64), 0);
	}
	/* The 11th is refused and names the ten valid ones. */
	assert_int_equal(issue_p12("u1@acme.example", "laptop-10", serials[10], 64),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: device_certificate_limit: 10 valid certificates"
	    " (serials "));
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "%.32s (laptop-%d)", serials[i], i);
		assert_non_null(strstr(F->err, name));
	}
	no_leftovers("laptop-10");

	assert_int_equal(run("cert", "list", "--tenant", "acme", "--user", "u1@acme.example",
	    "--json", NULL), 0);
	{
		json_t *doc = out_json(), *v;
		size_t k;

		assert_int_equal(json_array_size(doc), 10);
		json_array_foreach(doc, k, v) {
			assert_string_equal(json_string_value(json_object_get(v, "status")),
			    "valid");
			assert_string_equal(json_string_value(json_object_get(v, "user")),
			    "u1@acme.example");
			assert_string_equal(json_string_value(json_object_get(v, "enrolled_by")),
			    "admin");
			assert_string_equal(json_string_value(json_object_get(v, "device_type")),
			    "windows");
		}
		json_decref(doc);
	}
	assert_int_equal(run("cert", "list", "--tenant", "acme", "--user", "u2@acme.example",
	    NULL), 0);
	assert_non_null(strstr(F->out, "no certificates"));

	/* Taking the option away while certificates are valid is refused. */
	assert_int_equal(run("cert", "unassign", "--tenant", "acme", "u1@acme.example", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: device_certificates_held: u1@acme.example holds"
	    " 10 valid certificates"));

	/* Revoke one (upper case and colons are accepted), then an 11th fits. */
	assert_int_equal(run("cert", "revoke", "--tenant", "acme", "zz", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("cert", "revoke", "--tenant", "acme",
	    "0123456789abcdef0123456789abcdef", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: certificate_not_found: "));
	{
		char upper[64];

		for (i = 0; serials[3][i] != '\0'; i++)
			upper[i] = (char)(serials[3][i] >= 'a' ? serials[3][i] - 32 :
			    serials[3][i]);
		upper[i] = '\0';
		assert_int_equal(run("cert", "revoke", "--tenant", "acme", upper, NULL), 0);
	}
	assert_int_equal(run("cert", "revoke", "--tenant", "acme", serials[3], NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: already_revoked: "));
	assert_int_equal(issue_p12("u1@acme.example", "laptop-10", serials[10], 64), 0);
	assert_int_equal(run("cert", "list", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "revoked"));
	assert_non_null(strstr(F->out, "laptop-10"));

	assert_int_equal(run("audit", "list", "--tenant", "acme", "--limit", "500", NULL), 0);
	assert_non_null(strstr(F->out, "device.issue"));
	assert_non_null(strstr(F->out, "device_certificate_limit"));
	assert_non_null(strstr(F->out, "device.revoke"));
}

/* A PEM CSR for a new EC key with CN=cn, written to F->dir/name. */
static EVP_PKEY *
write_csr(const char *name, const char *cn, char *path, size_t pathsz)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = X509_REQ_get_subject_name(req);
	FILE *f;

	assert_non_null(key);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	snprintf(path, pathsz, "%s/%s", F->dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509_REQ(f, req), 1);
	fclose(f);
	X509_REQ_free(req);
	return key;
}

static void
test_issue_csr_ca_crl(void **state)
{
	(void)state;
	char csr[128], out[128], ca[128], crl[128], bad[128], serial[64];
	EVP_PKEY *key;
	X509 *cert, *cax;
	X509_CRL *c;
	FILE *f;
	struct stat sb;

	add_users(1, 1);
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--count", "10", NULL), 0);
	assert_int_equal(run("cert", "assign", "--tenant", "acme", "u1@acme.example", NULL), 0);
	snprintf(crl, sizeof(crl), "%s/ca.crl", F->dir);
	/* The CA came with the tenant: an (empty) CRL is there at once. */
	assert_int_equal(run("cert", "crl", "--tenant", "acme", "--out", crl, NULL), 0);
	assert_int_equal(run("cert", "ca", "--tenant", "acme", "--alg", "dsa", NULL),
	    IDG_EXIT_USAGE);

	key = write_csr("req.csr", "ignored", csr, sizeof(csr));
	write_file("bad.csr", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
	    "-----END CERTIFICATE REQUEST-----\n", bad, sizeof(bad));
	snprintf(out, sizeof(out), "%s/dev.pem", F->dir);
	assert_int_equal(run("cert", "issue", "--tenant", "acme", "--user", "u1@acme.example",
	    "--device-name", "Phone", "--csr", bad, "--out", out, NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: invalid_csr: "));
	assert_false(exists(out));
	assert_int_equal(run("cert", "issue", "--tenant", "acme", "--user", "u1@acme.example",
	    "--device-name", "Phone", "--device-id", "AA:BB:CC:DD:EE:FF", "--csr", csr,
	    "--out", out, NULL), 0);
	after(F->out, "certificate ", serial, sizeof(serial));
	*strchr(serial, ' ') = '\0';
	assert_int_equal(stat(out, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	f = fopen(out, "r");
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(cert);
	assert_int_equal(X509_check_private_key(cert, key), 1);

	/* The CA now exists; it signed the certificate. --alg no longer matters. */
	snprintf(ca, sizeof(ca), "%s/ca.pem", F->dir);
	assert_int_equal(run("cert", "ca", "--tenant", "acme", "--out", ca, NULL), 0);
	f = fopen(ca, "r");
	cax = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(cax);
	assert_int_equal(X509_verify(cert, X509_get0_pubkey(cax)), 1);
	assert_int_equal(run("cert", "ca", "--tenant", "acme", "--alg", "rsa2048", NULL), 0);
	assert_non_null(strstr(F->out, "-----BEGIN CERTIFICATE-----"));
	assert_non_null(strstr(F->err, "--alg is ignored"));

	/* The CRL lists the revoked serial and is signed by the CA. */
	assert_int_equal(run("cert", "revoke", "--tenant", "acme", serial, NULL), 0);
	assert_int_equal(run("cert", "crl", "--tenant", "acme", "--out", crl, NULL), 0);
	f = fopen(crl, "rb");
	c = d2i_X509_CRL_fp(f, NULL);
	fclose(f);
	assert_non_null(c);
	assert_int_equal(X509_CRL_verify(c, X509_get0_pubkey(cax)), 1);
	{
		X509_REVOKED *r = NULL;

		assert_int_equal(X509_CRL_get0_by_cert(c, &r, cert), 1);
	}
	X509_CRL_free(c);
	X509_free(cax);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void
test_report_counts(void **state)
{
	(void)state;
	char serial[64], q[256];
	json_t *doc, *users, *u;
	int64_t now = (int64_t)time(NULL);

	add_users(1, 3);
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--count", "20", NULL), 0);
	assert_int_equal(run("cert", "assign", "--tenant", "acme", "u1@acme.example",
	    "u2@acme.example", NULL), 0);
	assert_int_equal(issue_p12("u1@acme.example", "a", serial, sizeof(serial)), 0);
	assert_int_equal(issue_p12("u1@acme.example", "b", serial, sizeof(serial)), 0);
	assert_int_equal(run("cert", "revoke", "--tenant", "acme", serial, NULL), 0);
	assert_int_equal(issue_p12("u1@acme.example", "c", serial, sizeof(serial)), 0);
	/* c ends in 10 days; d ended yesterday. */
	snprintf(q, sizeof(q), "UPDATE device_certs SET not_after = %lld WHERE serial = '%s'",
	    (long long)(now + 10 * 86400), serial);
	sql(q);
	assert_int_equal(issue_p12("u2@acme.example", "d", serial, sizeof(serial)), 0);
	snprintf(q, sizeof(q), "UPDATE device_certs SET not_before = %lld, not_after = %lld"
	    " WHERE serial = '%s'", (long long)(now - 5 * 86400), (long long)(now - 86400),
	    serial);
	sql(q);

	assert_int_equal(run("cert", "report", "--tenant", "acme", "--json", NULL), 0);
	doc = out_json();
	assert_int_equal(json_int(doc, "licensed"), 20);
	assert_int_equal(json_int(doc, "assigned"), 2);
	assert_int_equal(json_int(doc, "valid"), 2);
	assert_int_equal(json_int(doc, "revoked"), 1);
	assert_int_equal(json_int(doc, "expired"), 1);
	assert_int_equal(json_int(doc, "expiring_30d"), 1);
	users = json_object_get(doc, "users");
	assert_int_equal(json_array_size(users), 2);	/* u3 does not hold the option */
	u = json_array_get(users, 0);
	assert_string_equal(json_string_value(json_object_get(u, "email")), "u1@acme.example");
	assert_int_equal(json_int(u, "valid"), 2);
	assert_int_equal(json_int(u, "revoked"), 1);
	assert_int_equal(json_int(u, "expiring_30d"), 1);
	u = json_array_get(users, 1);
	assert_string_equal(json_string_value(json_object_get(u, "email")), "u2@acme.example");
	assert_int_equal(json_int(u, "valid"), 0);
	assert_int_equal(json_int(u, "expired"), 1);
	json_decref(doc);

	assert_int_equal(run("cert", "report", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "20 licensed, 2 assigned; certificates: 2 valid, 1"
	    " revoked, 1 expired, 1 expiring within 30 days"));
	assert_int_equal(run("cert", "list", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "expired"));
}

static void
test_prereg(void **state)
{
	(void)state;
	char path[128];
	struct idg_store *s;
	int64_t tid;
	bool match = true;

	add_users(1, 2);
	write_file("bad.csv",
	    "user email,device type,device identifier\n"
	    "u1@acme.example,windows,SN-1\n"
	    "not-an-email,ios,SN-2\n"
	    "ghost@acme.example,ios,SN-3\n"
	    "u2@acme.example,ios,\n"
	    "u1@acme.example,windows,SN-1\n"
	    "u2@acme.example,ios\n"
	    "u2@acme.example,\"ios,SN-4\n", path, sizeof(path));
	assert_int_equal(run("cert", "prereg", "--tenant", "acme", path, NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: import_invalid: 6 bad rows"));
	{
		char want[192];
		int lines[] = { 3, 4, 5, 6, 7, 8 };
		size_t i;

		for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
			snprintf(want, sizeof(want), "%s:%d: ", path, lines[i]);
			assert_non_null(strstr(F->err, want));
		}
		snprintf(want, sizeof(want), "%s:2: ", path);
		assert_null(strstr(F->err, want));
		snprintf(want, sizeof(want), "%s:4: user_not_found", path);
		assert_non_null(strstr(F->err, want));
		snprintf(want, sizeof(want), "%s:6: duplicate of line 2", path);
		assert_non_null(strstr(F->err, want));
	}
	/* All or nothing: the good line 2 was not stored. */
	s = store(&tid);
	assert_int_equal(idg_store_device_prereg_match(s, tid, "u1@acme.example", "SN-1",
	    &match), IDG_OK);
	assert_false(match);
	idg_store_free(s);

	/* Without a header, with spaces and CRLF. */
	write_file("good.csv", "u1@acme.example, windows, SN-1\r\n"
	    "U2@Acme.Example,ios,\"SN,2\"\r\n", path, sizeof(path));
	assert_int_equal(run("cert", "prereg", "--tenant", "acme", path, NULL), 0);
	assert_non_null(strstr(F->out, "pre-registered 2 devices"));
	s = store(&tid);
	assert_int_equal(idg_store_device_prereg_match(s, tid, "u1@acme.example", "SN-1",
	    &match), IDG_OK);
	assert_true(match);
	assert_int_equal(idg_store_device_prereg_match(s, tid, "u2@acme.example", "SN,2",
	    &match), IDG_OK);
	assert_true(match);
	idg_store_free(s);
	write_file("empty.csv", "email,device type,device identifier\n", path, sizeof(path));
	assert_int_equal(run("cert", "prereg", "--tenant", "acme", path, NULL),
	    IDG_EXIT_REFUSED);
	assert_int_equal(run("cert", "prereg", "--tenant", "acme", "/nonexistent.csv", NULL),
	    IDG_EXIT_USAGE);
}

/* A pending enrolment request of email with a fresh key; returns its id. */
static int64_t
add_request(const char *email, const char *device)
{
	struct idg_device_request r;
	struct idg_store *s;
	struct idg_user u;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	unsigned char *der = NULL;
	int64_t tid;
	int len;

	assert_non_null(key);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	len = i2d_X509_REQ(req, &der);
	assert_true(len > 0);
	s = store(&tid);
	assert_int_equal(idg_store_user_get_by_email(s, tid, email, &u), IDG_OK);
	memset(&r, 0, sizeof(r));
	r.tenant_id = tid;
	r.user_id = u.id;
	snprintf(r.device_id, sizeof(r.device_id), "dev%s", device);
	snprintf(r.device_name, sizeof(r.device_name), "%s", device);
	snprintf(r.device_type, sizeof(r.device_type), "macos");
	snprintf(r.device_identifier, sizeof(r.device_identifier), "SN-%s", device);
	r.created_at = (int64_t)time(NULL);
	assert_int_equal(idg_store_device_request_add(s, &r, der, (size_t)len), IDG_OK);
	idg_store_free(s);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return r.id;
}

static void
test_requests(void **state)
{
	(void)state;
	char a[32], b[32];
	json_t *doc;

	add_users(1, 1);
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--count", "10",
	    "--approval", "on", NULL), 0);
	assert_int_equal(run("cert", "assign", "--tenant", "acme", "u1@acme.example", NULL), 0);
	assert_int_equal(run("cert", "requests", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "no pending requests"));
	snprintf(a, sizeof(a), "%lld", (long long)add_request("u1@acme.example", "mac1"));
	snprintf(b, sizeof(b), "%lld", (long long)add_request("u1@acme.example", "mac2"));
	assert_int_equal(run("cert", "requests", "--tenant", "acme", "--json", NULL), 0);
	doc = out_json();
	assert_int_equal(json_array_size(doc), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0), "user")),
	    "u1@acme.example");
	json_decref(doc);

	assert_int_equal(run("cert", "approve", "--tenant", "acme", "x1", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("cert", "approve", "--tenant", "acme", "99999", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: request_not_found: "));
	assert_int_equal(run("cert", "approve", "--tenant", "acme", a, NULL), 0);
	assert_non_null(strstr(F->out, "approved: certificate "));
	assert_int_equal(run("cert", "approve", "--tenant", "acme", a, NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: request_decided: "));
	assert_int_equal(run("cert", "reject", "--tenant", "acme", b, NULL), 0);
	assert_int_equal(run("cert", "reject", "--tenant", "acme", b, NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: request_decided: "));
	assert_int_equal(run("cert", "approve", "--tenant", "acme", b, NULL), IDG_EXIT_REFUSED);
	assert_int_equal(run("cert", "requests", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "no pending requests"));

	/* One certificate, for the approved device, marked as from the API. */
	assert_int_equal(run("cert", "list", "--tenant", "acme", "--json", NULL), 0);
	doc = out_json();
	assert_int_equal(json_array_size(doc), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0),
	    "device_name")), "mac1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0),
	    "enrolled_by")), "api");
	json_decref(doc);
	assert_int_equal(run("audit", "list", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "device.approve"));
	assert_non_null(strstr(F->out, "device.reject"));
}

static void
test_cancelled_tenant(void **state)
{
	(void)state;
	char path[128];

	add_users(1, 1);
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--count", "10", NULL), 0);
	assert_int_equal(run("tenant", "cancel", "acme", NULL), 0);
	assert_int_equal(run("cert", "license", "--tenant", "acme", "--count", "20", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: tenant_cancelled: "));
	assert_int_equal(run("cert", "assign", "--tenant", "acme", "u1@acme.example", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: tenant_cancelled: "));
	snprintf(path, sizeof(path), "%s/c.p12", F->dir);
	assert_int_equal(run("cert", "issue", "--tenant", "acme", "--user", "u1@acme.example",
	    "--device-name", "x", "--p12", path, NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: tenant_cancelled: "));
	assert_false(exists(path));
	assert_int_equal(run("cert", "ca", "--tenant", "acme", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: tenant_cancelled: "));
	assert_int_equal(run("cert", "frobnicate", "--tenant", "acme", NULL), IDG_EXIT_USAGE);
}

/* enroll */

/* A loopback port nothing listens on. */
static int
closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/*
 * A one-connection HTTPS server on 127.0.0.1: a certificate for
 * "localhost" and 127.0.0.1 signed by its own CA (written to cacert); it
 * answers the request with `mode`: "issue" (a real certificate from a
 * device CA, for the CSR received), "pending", "error", or "plain" (no TLS,
 * an HTTP answer in clear).
 */
struct srv {
	int		 lfd, port;
	const char	*mode;
	char		 cacert[128];
	char		 request[16384];
	EVP_PKEY	*key;
	X509		*cert;
	pthread_t	 th;
};

static X509 *
make_cert(EVP_PKEY *key, EVP_PKEY *signer, X509 *issuer, const char *cn, const char *san)
{
	bool ca = san == NULL;
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), ca ? 1 : 2);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) :
	    X509_get_subject_name(x));
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, ca ? NID_basic_constraints :
	    NID_subject_alt_name, ca ? "critical,CA:TRUE" : san);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	return x;
}

static void
srv_answer(struct srv *s, SSL *ssl, int fd)
{
	char body[16384], ans[20000], *csr;
	const char *b;
	json_t *req, *doc;
	int n, len = 0, st = 400;

	/* In clear, the client speaks TLS: answer at once, as a plain server would. */
	while (ssl != NULL) {
		n = SSL_read(ssl, s->request + len, (int)sizeof(s->request) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		s->request[len] = '\0';
		b = strstr(s->request, "\r\n\r\n");
		if (b != NULL && strstr(s->request, "Content-Length: ") != NULL &&
		    (size_t)(len - (b + 4 - s->request)) >= strtoul(strstr(s->request,
		    "Content-Length: ") + 16, NULL, 10))
			break;
	}
	body[0] = '\0';
	if (strcmp(s->mode, "issue") == 0) {
		struct idg_devcert_subject sub;
		struct idg_devcert_issued is;
		struct idg_ca *ca;
		EVP_PKEY *pub = NULL;
		char err[128], *pem = NULL, *capem = NULL;

		b = strstr(s->request, "\r\n\r\n");
		req = b != NULL ? json_loads(b + 4, 0, NULL) : NULL;
		csr = req != NULL ? (char *)json_string_value(json_object_get(req, "csr")) :
		    NULL;
		memset(&sub, 0, sizeof(sub));
		snprintf(sub.company_id, sizeof(sub.company_id), "acme");
		sub.user_id = 7;
		snprintf(sub.email, sizeof(sub.email), "u1@acme.example");
		snprintf(sub.device_id, sizeof(sub.device_id), "d1");
		snprintf(sub.device_name, sizeof(sub.device_name), "Laptop");
		if (csr != NULL && idg_ca_create("acme", IDG_CA_EC_P256, time(NULL), &ca) ==
		    IDG_OK) {
			if (idg_csr_parse(csr, strlen(csr), &pub, err, sizeof(err)) == IDG_OK &&
			    idg_devcert_issue(ca, pub, &sub, time(NULL), &is) == IDG_OK) {
				idg_devcert_pem(is.der, is.der_len, &pem);
				idg_ca_cert_pem(ca, &capem);
				doc = json_pack("{s:s, s:s, s:s, s:s, s:s}", "status", "issued",
				    "serial", is.serial, "certificate", pem, "ca", capem,
				    "not_after", "2031-01-01T00:00:00Z");
				csr = json_dumps(doc, JSON_COMPACT);
				snprintf(body, sizeof(body), "%s", csr);
				free(csr);
				json_decref(doc);
				idg_devcert_issued_free(&is);
				st = 201;
			}
			free(pem);
			free(capem);
			EVP_PKEY_free(pub);
			idg_ca_free(ca);
		}
		json_decref(req);
	} else if (strcmp(s->mode, "pending") == 0) {
		snprintf(body, sizeof(body), "{\"status\":\"pending\",\"request_id\":42}");
		st = 202;
	} else {
		snprintf(body, sizeof(body), "{\"error\":\"device_license_required\","
		    "\"error_description\":\"you do not hold the option\"}");
		st = 403;
	}
	/* Chunked, to exercise the client's decoder. */
	n = snprintf(ans, sizeof(ans), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
	    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n", st,
	    strlen(body), body);
	if (ssl != NULL)
		SSL_write(ssl, ans, n);
	else
		assert_int_equal(write(fd, ans, (size_t)n), n);
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	if (strcmp(s->mode, "plain") == 0) {
		srv_answer(s, NULL, fd);
		close(fd);
		return NULL;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_use_certificate(ctx, s->cert);
	SSL_CTX_use_PrivateKey(ctx, s->key);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1) {
		srv_answer(s, ssl, fd);
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return NULL;
}

static void
srv_start_san(struct srv *s, const char *mode, const char *san)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	EVP_PKEY *cakey = EVP_EC_gen("P-256");
	X509 *ca;
	FILE *f;

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->key = EVP_EC_gen("P-256");
	ca = make_cert(cakey, cakey, NULL, "test root", NULL);
	s->cert = make_cert(s->key, cakey, ca, "localhost", san);
	snprintf(s->cacert, sizeof(s->cacert), "%s/server-ca.pem", F->dir);
	f = fopen(s->cacert, "w");
	PEM_write_X509(f, ca);
	fclose(f);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 1), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &sl), 0);
	s->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void
srv_start(struct srv *s, const char *mode)
{
	srv_start_san(s, mode, "DNS:localhost,IP:127.0.0.1");
}

static void
srv_stop(struct srv *s)
{
	shutdown(s->lfd, SHUT_RDWR);
	pthread_join(s->th, NULL);
	close(s->lfd);
	X509_free(s->cert);
	EVP_PKEY_free(s->key);
}

static int
enroll(struct srv *s, const char *host, const char *out, const char *cacert)
{
	char url[128];

	snprintf(url, sizeof(url), "https://%s:%d", host, s->port);
	return run("enroll", "--url", url, "--tenant", "acme", "--token", "tok-123",
	    "--device-name", "Laptop", "--device-id", "SN-9", "--out", out, "--cacert", cacert,
	    "--timeout", "10", NULL);
}

static void
test_enroll_args_and_failures(void **state)
{
	(void)state;
	char url[256], out[128], tok[128];
	struct srv s;
	int port = closed_port();

	snprintf(out, sizeof(out), "%s/dev", F->dir);
	assert_int_equal(mkdir(out, 0700), 0);
	assert_int_equal(run("enroll", "--tenant", "acme", "--token", "t", "--device-name",
	    "x", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("enroll", "--url", "http://127.0.0.1:1", "--tenant", "acme",
	    "--token", "t", "--device-name", "x", NULL), IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "error: invalid_url: "));
	assert_int_equal(run("enroll", "--url", "https://127.0.0.1:99999", "--tenant", "acme",
	    "--token", "t", "--device-name", "x", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("enroll", "--url", "https://127.0.0.1:1", "--tenant", "ac me",
	    "--token", "t", "--device-name", "x", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("enroll", "--url", "https://127.0.0.1:1", "--tenant", "acme",
	    "--token", "t\r\nX: y", "--device-name", "x", "--out", out, NULL), IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "error: invalid_token: "));
	assert_int_equal(run("enroll", "--url", "https://127.0.0.1:1", "--tenant", "acme",
	    "--token", "t", "--token-file", "/dev/null", "--device-name", "x", NULL),
	    IDG_EXIT_USAGE);
	assert_int_equal(run("enroll", "--url", "https://127.0.0.1:1", "--tenant", "acme",
	    "--token", "t", "--device-name", "x", "--out", "/nonexistent-idgate/a/b", NULL),
	    IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "error: output_unwritable: "));

	/* Nothing listens: exit 3, and no key is left behind. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", port);
	write_file("token.txt", "tok-123\n", tok, sizeof(tok));
	assert_int_equal(run("enroll", "--url", url, "--tenant", "acme", "--token-file", tok,
	    "--device-name", "x", "--out", out, NULL), IDG_EXIT_FAILURE);
	assert_non_null(strstr(F->err, "error: connection_failed: "));
	snprintf(url, sizeof(url), "%s/device.key", out);
	assert_false(exists(url));

	/* A server whose certificate the CA given does not vouch for: exit 3. */
	srv_start(&s, "error");
	write_file("other-ca.pem", "", tok, sizeof(tok));
	{
		EVP_PKEY *k = EVP_EC_gen("P-256");
		X509 *x = make_cert(k, k, NULL, "other root", NULL);
		FILE *f = fopen(tok, "w");

		PEM_write_X509(f, x);
		fclose(f);
		X509_free(x);
		EVP_PKEY_free(k);
	}
	assert_int_equal(enroll(&s, "127.0.0.1", out, tok), IDG_EXIT_FAILURE);
	assert_non_null(strstr(F->err, "error: tls_failed: "));
	srv_stop(&s);

	/* The right CA, but an address or name the certificate does not carry. */
	srv_start_san(&s, "error", "DNS:other.example");
	assert_int_equal(enroll(&s, "127.0.0.1", out, s.cacert), IDG_EXIT_FAILURE);
	assert_non_null(strstr(F->err, "error: tls_failed: "));
	srv_stop(&s);
	srv_start_san(&s, "error", "DNS:other.example,IP:127.0.0.1");
	assert_int_equal(enroll(&s, "localhost", out, s.cacert), IDG_EXIT_FAILURE);
	assert_non_null(strstr(F->err, "error: tls_failed: "));
	srv_stop(&s);

	/* No TLS at all. */
	srv_start(&s, "plain");
	assert_int_equal(enroll(&s, "127.0.0.1", out, s.cacert), IDG_EXIT_FAILURE);
	assert_non_null(strstr(F->err, "error: tls_failed: "));
	srv_stop(&s);
	snprintf(url, sizeof(url), "%s/device.key", out);
	assert_false(exists(url));
}

static void
test_enroll_answers(void **state)
{
	(void)state;
	char out[128], path[256], pw[64];
	struct srv s;
	struct stat sb;
	PKCS12 *p12;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	FILE *f;

	snprintf(out, sizeof(out), "%s/dev", F->dir);
	assert_int_equal(mkdir(out, 0700), 0);

	/* A refusal: its code and description, exit 1, nothing written. */
	srv_start(&s, "error");
	assert_int_equal(enroll(&s, "localhost", out, s.cacert), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: device_license_required: you do not hold the"
	    " option"));
	assert_non_null(strstr(s.request, "POST /certs/acme/enroll HTTP/1.1\r\n"));
	assert_non_null(strstr(s.request, "Authorization: Bearer tok-123\r\n"));
	assert_non_null(strstr(s.request, "Connection: close\r\n"));
	assert_non_null(strstr(s.request, "\"device_identifier\":\"SN-9\""));
	assert_non_null(strstr(s.request, "-----BEGIN CERTIFICATE REQUEST-----"));
	srv_stop(&s);
	snprintf(path, sizeof(path), "%s/device.key", out);
	assert_false(exists(path));

	/* Pending: the key is kept (0600) and the request number printed. */
	srv_start(&s, "pending");
	assert_int_equal(enroll(&s, "127.0.0.1", out, s.cacert), 0);
	srv_stop(&s);
	assert_non_null(strstr(F->out, "request 42 is waiting for an administrator's"
	    " approval"));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* A second run never overwrites the key. */
	assert_int_equal(run("enroll", "--url", "https://127.0.0.1:1", "--tenant", "acme",
	    "--token", "t", "--device-name", "x", "--out", out, NULL), IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "error: output_exists: "));
	unlink(path);

	/* Issued: key, certificate, CA and a PKCS#12 opened by the printed password. */
	srv_start(&s, "issue");
	assert_int_equal(enroll(&s, "localhost", out, s.cacert), 0);
	srv_stop(&s);
	assert_non_null(strstr(F->out, "this password is not shown again"));
	snprintf(path, sizeof(path), "%s/device.p12: ", out);
	after(F->out, path, pw, sizeof(pw));
	snprintf(path, sizeof(path), "%s/device.p12", out);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	f = fopen(path, "rb");
	p12 = d2i_PKCS12_fp(f, NULL);
	fclose(f);
	assert_non_null(p12);
	assert_int_equal(PKCS12_parse(p12, pw, &key, &cert, NULL), 1);
	PKCS12_free(p12);
	X509_free(cert);
	cert = NULL;
	snprintf(path, sizeof(path), "%s/device.crt", out);
	f = fopen(path, "r");
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(cert);
	assert_int_equal(X509_check_private_key(cert, key), 1);
	X509_free(cert);
	EVP_PKEY_free(key);
	snprintf(path, sizeof(path), "%s/ca.crt", out);
	assert_true(exists(path));
	snprintf(path, sizeof(path), "%s/device.key", out);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_license_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assign_exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue_limit_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue_csr_ca_crl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prereg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancelled_tenant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enroll_args_and_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enroll_answers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
