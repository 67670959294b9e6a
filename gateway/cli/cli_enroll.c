/*
 * cli_enroll.c - `idgate enroll`: the device side of the enrolment API. It
 * makes an EC P-256 key and a CSR on this machine, sends the CSR with the
 * user's enrolment token to POST {url}/certs/{tenant}/enroll over HTTPS
 * (server certificate and host name verified), and writes what comes back:
 * the key, the certificate, the CA and a PKCS#12 file with a one-time
 * password printed once; or, when an administrator must approve, the key
 * and the request number.
 *
 * A client of a running gateway: it reads no configuration and opens no
 * store. The private key never leaves this machine. The one HTTPS
 * exchange (Connection: close, an answer of at most 1 MiB, blocking I/O
 * bounded by --timeout) is cli_https.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../../certs/devcert.h"
#include "../util/crypto.h"
#include "../util/status.h"
#include "../util/str.h"
#include "cli_https.h"
#include "cli_impl.h"

#define TOKEN_MAX	4096
#define TYPE_MAX	32
#define IDENT_MAX	128
#define TIMEOUT_S	30

struct url {
	char	host[256];	/* without brackets */
	char	port[6];
	char	prefix[512];	/* path before /certs, no trailing '/' */
	bool	ipv6;
};

/* https://HOST[:PORT][/PREFIX]: 0, or exit 2 (printed). */
static int
parse_url(const char *s, struct url *u)
{
	const char *p, *h, *he;
	size_t n;
	long port = 443;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(s, "https://", 8) != 0)
		return cli_fail(IDG_EXIT_USAGE, "invalid_url", "--url must be https://HOST[:PORT]"
		    " (the token and the key's certificate never travel in clear)");
	h = s + 8;
	if (*h == '[') {
		u->ipv6 = true;
		if ((he = strchr(++h, ']')) == NULL)
			return cli_fail(IDG_EXIT_USAGE, "invalid_url", "unclosed [ in --url");
		p = he + 1;
	} else {
		he = h + strcspn(h, ":/?#");
		p = he;
	}
	n = (size_t)(he - h);
	if (n == 0 || n >= sizeof(u->host))
		return cli_fail(IDG_EXIT_USAGE, "invalid_url", "--url has no host");
	memcpy(u->host, h, n);
	u->host[n] = '\0';
	for (n = 0; u->host[n] != '\0'; n++) {
		unsigned char ch = (unsigned char)u->host[n];

		if (ch <= 0x20 || ch >= 0x7f || ch == '@' || ch == '%' || ch == '\\')
			return cli_fail(IDG_EXIT_USAGE, "invalid_url", "bad host in --url");
	}
	if (*p == ':') {
		char num[8];

		n = strcspn(++p, "/?#");
		if (n == 0 || n >= sizeof(num))
			return cli_fail(IDG_EXIT_USAGE, "invalid_url", "bad port in --url");
		memcpy(num, p, n);
		num[n] = '\0';
		if (idg_parse_long(num, 1, 65535, &port) != IDG_OK)
			return cli_fail(IDG_EXIT_USAGE, "invalid_url", "bad port in --url");
		p += n;
	}
	snprintf(u->port, sizeof(u->port), "%ld", port);
	if (*p != '\0' && *p != '/')
		return cli_fail(IDG_EXIT_USAGE, "invalid_url", "--url takes no query or"
		    " fragment");
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	if (n >= sizeof(u->prefix))
		return cli_fail(IDG_EXIT_USAGE, "invalid_url", "the path of --url is too long");
	memcpy(u->prefix, p, n);
	u->prefix[n] = '\0';
	for (n = 0; u->prefix[n] != '\0'; n++) {
		unsigned char ch = (unsigned char)u->prefix[n];

		if (ch <= 0x20 || ch >= 0x7f || ch == '?' || ch == '#')
			return cli_fail(IDG_EXIT_USAGE, "invalid_url", "bad path in --url");
	}
	return 0;
}

/* The first line of path ("-" = stdin) as a bearer token: 0, or exit 2 (printed). */
static int
read_token(const char *path, char *out, size_t outsz)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t n = 0;
	int ch;

	if (f == NULL)
		return cli_fail(IDG_EXIT_USAGE, "token_file_unreadable", "cannot read %s: %s",
		    path, strerror(errno));
	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (n + 1 >= outsz) {
			n = 0;		/* too long: refused as an empty token */
			break;
		}
		out[n++] = (char)ch;
	}
	if (f != stdin)
		fclose(f);
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	return 0;
}

/* RFC 6750 2.1 b64token, loosely: visible ASCII only (no header injection). */
static bool
token_ok(const char *t)
{
	if (*t == '\0')
		return false;
	for (; *t != '\0'; t++)
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
			return false;
	return true;
}

/* Server text for a terminal: control characters shown as '?', at most 300 bytes. */
static void
clean(const char *in, char *out, size_t outsz)
{
	size_t n = 0;

	for (; in != NULL && *in != '\0' && n + 1 < outsz && n < 300; in++)
		out[n++] = (unsigned char)*in < 0x20 || *in == 0x7f ? '?' : *in;
	out[n] = '\0';
}

/* The CSR in PEM (owned), CN = the device name, signed with SHA-256. NULL on failure. */
static char *
make_csr(EVP_PKEY *key, const char *name)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *subj = NULL;
	BIO *mem = NULL;
	char *pem = NULL, *p;
	long n;

	if (req == NULL || X509_REQ_set_version(req, 0) != 1 ||
	    (subj = X509_NAME_new()) == NULL ||
	    X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8, (const unsigned char *)name,
	    -1, -1, 0) != 1 || X509_REQ_set_subject_name(req, subj) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1 || X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
	    (mem = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509_REQ(mem, req) != 1)
		goto out;
	n = BIO_get_mem_data(mem, &p);
	if (n > 0 && (pem = malloc((size_t)n + 1)) != NULL) {
		memcpy(pem, p, (size_t)n);
		pem[n] = '\0';
	}
out:
	BIO_free(mem);
	X509_NAME_free(subj);
	X509_REQ_free(req);
	return pem;
}

/* The request: headers and JSON body (owned). NULL on failure. */
static char *
make_request(const struct url *u, const char *tenant, const char *token, const char *csr,
    const char *name, const char *ident, const char *type, size_t *len)
{
	json_t *doc = json_object();
	char *body = NULL, *req = NULL, host[300];
	size_t cap;
	int n;

	if (doc == NULL)
		return NULL;
	json_object_set_new(doc, "csr", json_string(csr));
	json_object_set_new(doc, "device_name", json_string(name));
	json_object_set_new(doc, "device_identifier", json_string(ident));
	json_object_set_new(doc, "device_type", json_string(type));
	body = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (body == NULL)
		return NULL;
	snprintf(host, sizeof(host), "%s%s%s%s%s", u->ipv6 ? "[" : "", u->host,
	    u->ipv6 ? "]" : "", strcmp(u->port, "443") != 0 ? ":" : "",
	    strcmp(u->port, "443") != 0 ? u->port : "");
	cap = strlen(body) + strlen(token) + strlen(u->prefix) + strlen(tenant) + strlen(host) +
	    512;
	if ((req = malloc(cap)) != NULL) {
		n = snprintf(req, cap, "POST %s/certs/%s/enroll HTTP/1.1\r\n"
		    "Host: %s\r\n"
		    "User-Agent: idgate-enroll\r\n"
		    "Accept: application/json\r\n"
		    "Authorization: Bearer %s\r\n"
		    "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n"
		    "Connection: close\r\n"
		    "\r\n"
		    "%s", u->prefix, tenant, host, token, strlen(body), body);
		if (n < 0 || (size_t)n >= cap) {
			idg_wipe(req, cap);
			free(req);
			req = NULL;
		} else {
			*len = (size_t)n;
		}
	}
	free(body);
	return req;
}

/* Creates dir/name (never over an existing file) holding data: 0 or exit 3 (printed). */
static int
write_new(const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
	char path[PATH_MAX];
	const uint8_t *p = data;
	size_t off = 0;
	int fd, e = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return cli_fail(IDG_EXIT_USAGE, "output_unwritable", "the path of %s is too long",
		    name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) < 0)
		return cli_fail(IDG_EXIT_FAILURE, "output_unwritable", "cannot create %s: %s",
		    path, strerror(errno));
	while (off < len && e == 0) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			e = errno != 0 ? errno : EIO;
		else
			off += (size_t)w;
	}
	if (e == 0 && fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (e != 0) {
		unlink(path);
		return cli_fail(IDG_EXIT_FAILURE, "output_unwritable", "cannot write %s: %s",
		    path, strerror(e));
	}
	return 0;
}

/* The key as PEM PKCS#8 in dir/device.key, mode 0600. */
static int
write_key(const char *dir, EVP_PKEY *key)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int rc;

	if (mem == NULL || PEM_write_bio_PKCS8PrivateKey(mem, key, NULL, NULL, 0, NULL,
	    NULL) != 1 || (n = BIO_get_mem_data(mem, &p)) <= 0) {
		BIO_free(mem);
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot encode the key");
	}
	rc = write_new(dir, "device.key", p, (size_t)n, 0600);
	idg_wipe(p, (size_t)n);
	BIO_free(mem);
	return rc;
}

/* A certificate from PEM: X509 (owned) or NULL. */
static X509 *
pem_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

/* The 201 answer: checks it fits our key, writes the files. 0 or an exit code. */
static int
issued(const char *dir, const char *name, EVP_PKEY *key, json_t *doc)
{
	const char *cert_pem = json_string_value(json_object_get(doc, "certificate"));
	const char *ca_pem = json_string_value(json_object_get(doc, "ca"));
	const char *serial = json_string_value(json_object_get(doc, "serial"));
	const char *not_after = json_string_value(json_object_get(doc, "not_after"));
	X509 *cert = NULL, *cax = NULL;
	struct idg_ca *ca = NULL;
	uint8_t *der = NULL, *cader = NULL, *p12 = NULL, *q;
	size_t p12len = 0;
	int derlen, caderlen, rc;
	char pw[32] = "", s1[80], s2[80];

	if (cert_pem == NULL || ca_pem == NULL || (cert = pem_cert(cert_pem)) == NULL ||
	    (cax = pem_cert(ca_pem)) == NULL) {
		rc = cli_fail(IDG_EXIT_FAILURE, "bad_response", "the answer has no certificate"
		    " or CA");
		goto out;
	}
	/* The certificate must be for our key and signed by the CA sent with it. */
	if (X509_check_private_key(cert, key) != 1 ||
	    X509_verify(cert, X509_get0_pubkey(cax)) != 1) {
		ERR_clear_error();
		rc = cli_fail(IDG_EXIT_FAILURE, "bad_response", "the certificate received is not"
		    " for this key or not signed by the CA received");
		goto out;
	}
	if ((derlen = i2d_X509(cert, NULL)) <= 0 || (der = malloc((size_t)derlen)) == NULL ||
	    (caderlen = i2d_X509(cax, NULL)) <= 0 ||
	    (cader = malloc((size_t)caderlen)) == NULL) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
		goto out;
	}
	q = der;
	i2d_X509(cert, &q);
	q = cader;
	i2d_X509(cax, &q);
	if (idg_ca_load(NULL, NULL, NULL, cader, (size_t)caderlen, &ca) != IDG_OK ||
	    idg_devcert_otp(pw, sizeof(pw)) != IDG_OK ||
	    idg_devcert_pkcs12(key, der, (size_t)derlen, ca, name, pw, false, &p12,
	    &p12len) != IDG_OK) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot make the PKCS#12 file");
		goto out;
	}
	if ((rc = write_key(dir, key)) != 0 ||
	    (rc = write_new(dir, "device.crt", cert_pem, strlen(cert_pem), 0644)) != 0 ||
	    (rc = write_new(dir, "ca.crt", ca_pem, strlen(ca_pem), 0644)) != 0 ||
	    (rc = write_new(dir, "device.p12", p12, p12len, 0600)) != 0)
		goto out;
	clean(serial, s1, sizeof(s1));
	clean(not_after, s2, sizeof(s2));
	printf("certificate %s issued for device \"%s\", valid until %s\n", s1[0] != '\0' ?
	    s1 : "?", name, s2[0] != '\0' ? s2 : "?");
	printf("written: %s/device.key (the private key: keep it here), %s/device.crt,"
	    " %s/ca.crt, %s/device.p12\n", dir, dir, dir, dir);
	printf("one-time password of %s/device.p12: %s\n", dir, pw);
	printf("this password is not shown again\n");
	rc = 0;
out:
	idg_wipe(pw, sizeof(pw));
	if (p12 != NULL) {
		idg_wipe(p12, p12len);
		free(p12);
	}
	free(der);
	free(cader);
	idg_ca_free(ca);
	X509_free(cert);
	X509_free(cax);
	return rc;
}

/*
 * Output files must not exist yet: a key is never overwritten. The folder
 * is made when missing. 0 or exit 2.
 */
static int
check_out(const char *dir)
{
	static const char *const names[] = { "device.key", "device.crt", "ca.crt", "device.p12",
		NULL };
	char path[PATH_MAX];
	struct stat sb;
	int i;

	/* A folder that does not exist yet is made, private (it will hold a key). */
	if (stat(dir, &sb) != 0 && errno == ENOENT && mkdir(dir, 0700) != 0)
		return cli_fail(IDG_EXIT_USAGE, "output_unwritable", "cannot create %s: %s", dir,
		    strerror(errno));
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || access(dir, W_OK) != 0)
		return cli_fail(IDG_EXIT_USAGE, "output_unwritable", "%s is not a writable"
		    " folder", dir);
	for (i = 0; names[i] != NULL; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path))
			return cli_fail(IDG_EXIT_USAGE, "output_unwritable", "%s is too long",
			    dir);
		if (lstat(path, &sb) == 0)
			return cli_fail(IDG_EXIT_USAGE, "output_exists", "%s exists already; move"
			    " it away or choose another --out", path);
	}
	return 0;
}

int
cli_enroll(int argc, char **argv)
{
	const char *url_s = NULL, *tenant = NULL, *token_arg = NULL, *token_file = NULL,
	    *name = NULL, *ident = "", *type = "", *dir = ".", *cacert = NULL,
	    *timeout_s = NULL;
	const struct cli_opt opts[] = {
		{ "--url", &url_s, NULL },
		{ "--tenant", &tenant, NULL },
		{ "--token", &token_arg, NULL },
		{ "--token-file", &token_file, NULL },
		{ "--device-name", &name, NULL },
		{ "--device-id", &ident, NULL },
		{ "--device-type", &type, NULL },
		{ "--out", &dir, NULL },
		{ "--cacert", &cacert, NULL },
		{ "--timeout", &timeout_s, NULL },
		{ NULL, NULL, NULL },
	};
	struct cli_https_answer a = { 0, NULL, 0 };
	struct url u;
	EVP_PKEY *key = NULL;
	json_t *doc = NULL;
	char *pos[1], *csr = NULL, *req = NULL, token[TOKEN_MAX], e1[80], e2[320];
	size_t req_len = 0;
	long timeout = TIMEOUT_S;
	int rc, npos;

	token[0] = '\0';
	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if (url_s == NULL || tenant == NULL || name == NULL ||
	    (token_arg == NULL) == (token_file == NULL))
		return cli_fail(IDG_EXIT_USAGE, "usage", "enroll --url https://HOST:PORT --tenant"
		    " ID (--token-file FILE | --token TOKEN) --device-name NAME [--device-id"
		    " IDENT] [--device-type T] [--out DIR] [--cacert FILE] [--timeout S]");
	if ((rc = parse_url(url_s, &u)) != 0)
		return rc;
	if (!idg_company_id_valid(tenant))
		return cli_fail(IDG_EXIT_USAGE, "invalid_company_id", "\"%s\" is not a company"
		    " ID", tenant);
	if (strlen(name) == 0 || strlen(name) >= IDG_DEVCERT_NAME_MAX ||
	    !idg_utf8_text_valid(name))
		return cli_fail(IDG_EXIT_USAGE, "invalid_device_name", "the device name is UTF-8"
		    " text of 1 to %d bytes without control characters",
		    IDG_DEVCERT_NAME_MAX - 1);
	if (strlen(type) > TYPE_MAX || !idg_utf8_text_valid(type))
		return cli_fail(IDG_EXIT_USAGE, "invalid_device_type", "the device type is text"
		    " of at most %d bytes", TYPE_MAX);
	if (strlen(ident) > IDENT_MAX || !idg_utf8_text_valid(ident))
		return cli_fail(IDG_EXIT_USAGE, "invalid_device_identifier", "the device"
		    " identifier is text of at most %d bytes", IDENT_MAX);
	if (timeout_s != NULL && idg_parse_long(timeout_s, 1, 600, &timeout) != IDG_OK)
		return cli_fail(IDG_EXIT_USAGE, "usage", "--timeout takes 1 to 600 seconds");
	if (token_file != NULL) {
		if ((rc = read_token(token_file, token, sizeof(token))) != 0)
			return rc;
	} else if (idg_strlcpy(token, token_arg, sizeof(token)) >= sizeof(token)) {
		token[0] = '\0';
	}
	if (!token_ok(token)) {
		rc = cli_fail(IDG_EXIT_USAGE, "invalid_token", "the token is empty, too long or"
		    " has spaces or control characters");
		goto out;
	}
	if ((rc = check_out(dir)) != 0)
		goto out;
	if (idg_devcert_keygen(&key) != IDG_OK || (csr = make_csr(key, name)) == NULL ||
	    (req = make_request(&u, tenant, token, csr, name, ident, type, &req_len)) ==
	    NULL) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot make the key and the"
		    " certificate request");
		goto out;
	}
	if ((rc = cli_https_exchange(u.host, u.port, cacert, (int)timeout, req, req_len,
	    &a)) != 0)
		goto out;
	doc = json_loadb(a.body, a.body_len, 0, NULL);
	if (json_is_object(doc) && json_is_string(json_object_get(doc, "error"))) {
		clean(json_string_value(json_object_get(doc, "error")), e1, sizeof(e1));
		clean(json_string_value(json_object_get(doc, "error_description")), e2,
		    sizeof(e2));
		rc = cli_fail(IDG_EXIT_REFUSED, e1, "%s", e2[0] != '\0' ? e2 : "refused");
	} else if (a.status == 201 && json_is_object(doc)) {
		rc = issued(dir, name, key, doc);
	} else if (a.status == 202 && json_is_object(doc) &&
	    json_is_integer(json_object_get(doc, "request_id"))) {
		long long id = json_integer_value(json_object_get(doc, "request_id"));

		if ((rc = write_key(dir, key)) == 0) {
			printf("request %lld is waiting for an administrator's approval\n", id);
			printf("the private key is in %s/device.key; once request %lld is"
			    " approved, download the certificate from the portal\n", dir, id);
		}
	} else {
		rc = cli_fail(IDG_EXIT_FAILURE, "bad_response", "%s answered HTTP %d without a"
		    " result this client knows", u.host, a.status);
	}
out:
	idg_wipe(token, sizeof(token));
	if (req != NULL) {
		idg_wipe(req, req_len);
		free(req);
	}
	json_decref(doc);
	free(a.body);
	free(csr);
	EVP_PKEY_free(key);
	return rc;
}
