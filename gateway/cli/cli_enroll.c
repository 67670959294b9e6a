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
 * store. The private key never leaves this machine. Not an HTTP library:
 * one request, Connection: close, an answer of at most 1 MiB, blocking I/O
 * bounded by --timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../../certs/devcert.h"
#include "../util/crypto.h"
#include "../util/status.h"
#include "../util/str.h"
#include "cli_impl.h"

#define ANSWER_MAX	(1u << 20)	/* the whole HTTP answer, headers included */
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

/* A connected TCP socket with send/receive timeouts, or -1 with err set. */
static int
tcp_connect(const struct url *u, int timeout_s, char *err, size_t errsz)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { timeout_s, 0 };
	int fd = -1, gai, e = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(u->host, u->port, &hints, &res)) != 0) {
		snprintf(err, errsz, "cannot resolve %s: %s", u->host, gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t sl = sizeof(e);
		int flags;

		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) < 0) {
			e = errno;
			continue;
		}
		flags = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		e = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			e = errno;
			if (e == EINPROGRESS) {
				pfd.fd = fd;
				pfd.events = POLLOUT;
				if (poll(&pfd, 1, timeout_s * 1000) <= 0)
					e = ETIMEDOUT;
				else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0)
					e = errno;
			}
		}
		if (e == 0) {
			fcntl(fd, F_SETFL, flags);
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errsz, "cannot connect to %s port %s: %s", u->host, u->port,
		    strerror(e != 0 ? e : ECONNREFUSED));
	return fd;
}

/* The last OpenSSL error as text (or fallback), queue cleared. */
static void
tls_error(const char *fallback, char *out, size_t outsz)
{
	unsigned long e = ERR_peek_last_error();

	if (e != 0)
		ERR_error_string_n(e, out, outsz);
	else
		idg_strlcpy(out, fallback, outsz);
	ERR_clear_error();
}

struct answer {
	int		 status;
	char		*body;		/* owned, NUL-terminated */
	size_t		 body_len;
};

/* Decodes a chunked body in place (RFC 9112 7.1). 1 done, 0 incomplete, -1 bad. */
static int
unchunk(char *p, size_t len, size_t *out_len)
{
	size_t r = 0, w = 0;

	for (;;) {
		char *end;
		unsigned long sz;
		const char *eol = memchr(p + r, '\n', len - r);

		if (eol == NULL)
			return 0;
		errno = 0;
		sz = strtoul(p + r, &end, 16);
		if (end == p + r || errno != 0 || sz > ANSWER_MAX)
			return -1;
		r = (size_t)(eol - p) + 1;
		if (sz == 0) {
			*out_len = w;
			return 1;	/* trailers are ignored */
		}
		if (len - r < sz + 2)
			return 0;
		memmove(p + w, p + r, sz);
		w += sz;
		r += sz;
		if (p[r] == '\r')
			r++;
		if (r >= len || p[r] != '\n')
			return -1;
		r++;
	}
}

/*
 * Parses the answer in buf[0..len). 1: complete (a filled, body owned);
 * 0: more is needed (or, with eof, it is truncated); -1: malformed.
 */
static int
parse_answer(const char *buf, size_t len, bool eof, struct answer *a)
{
	const char *hend, *line, *p;
	size_t hlen, blen, clen = 0;
	bool have_len = false, chunked = false;
	char *body;
	int done;

	if ((hend = memmem(buf, len, "\r\n\r\n", 4)) == NULL)
		return eof ? -1 : 0;
	hlen = (size_t)(hend - buf) + 4;
	if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' ||
	    buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' ||
	    buf[11] < '0' || buf[11] > '9')
		return -1;
	a->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	for (line = (const char *)memchr(buf, '\n', hlen) + 1; line < hend; line = p + 1) {
		p = memchr(line, '\n', (size_t)(hend + 2 - line));
		if (p == NULL)
			break;
		if (strncasecmp(line, "content-length:", 15) == 0) {
			char *end;

			errno = 0;
			clen = strtoul(line + 15, &end, 10);
			if (errno != 0 || end == line + 15 || clen > ANSWER_MAX)
				return -1;
			have_len = true;
		} else if (strncasecmp(line, "transfer-encoding:", 18) == 0) {
			const char *v = line + 18;

			while (*v == ' ' || *v == '\t')
				v++;
			chunked = strncasecmp(v, "chunked", 7) == 0;
		}
	}
	blen = len - hlen;
	if (chunked) {
		size_t n = 0;

		if ((body = malloc(blen + 1)) == NULL)
			return -1;
		memcpy(body, buf + hlen, blen);
		if ((done = unchunk(body, blen, &n)) != 1) {
			free(body);
			return done < 0 ? -1 : eof ? -1 : 0;
		}
		blen = n;
	} else {
		if (have_len && blen < clen)
			return eof ? -1 : 0;
		if (!have_len && !eof)
			return 0;
		if (have_len)
			blen = clen;
		if ((body = malloc(blen + 1)) == NULL)
			return -1;
		memcpy(body, buf + hlen, blen);
	}
	body[blen] = '\0';
	a->body = body;
	a->body_len = blen;
	return 1;
}

/*
 * Sends the request and reads the answer. 0, or exit 3 (printed) for a
 * connection, TLS or protocol failure.
 */
static int
exchange(const struct url *u, const char *cacert, int timeout_s, const char *req,
    size_t req_len, struct answer *a)
{
	struct sigaction ign, old;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	char err[512], *buf = NULL;
	size_t len = 0, off = 0;
	int fd = -1, rc = IDG_EXIT_FAILURE, n, done = 0;

	/* A peer that closes early must fail the write, not kill the process. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot set up TLS");
		goto out;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* The answer is complete by its length, not by close_notify. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	if (cacert != NULL ? SSL_CTX_load_verify_locations(ctx, cacert, NULL) != 1 :
	    SSL_CTX_set_default_verify_paths(ctx) != 1) {
		tls_error("no trust anchors", err, sizeof(err));
		rc = cli_fail(IDG_EXIT_USAGE, "cacert_unreadable", "cannot load %s: %s",
		    cacert != NULL ? cacert : "the system's CA certificates", err);
		goto out;
	}
	if ((fd = tcp_connect(u, timeout_s, err, sizeof(err))) < 0) {
		rc = cli_fail(IDG_EXIT_FAILURE, "connection_failed", "%s", err);
		goto out;
	}
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot set up TLS");
		goto out;
	}
	/* RFC 6125: the certificate must name the host of --url (an IP literal as an IP). */
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), u->host) != 1) {
		ERR_clear_error();
		if (SSL_set_tlsext_host_name(ssl, u->host) != 1 ||
		    SSL_set1_host(ssl, u->host) != 1) {
			rc = cli_fail(IDG_EXIT_USAGE, "invalid_url", "bad host name %s", u->host);
			goto out;
		}
	}
	if (SSL_connect(ssl) != 1) {
		long vr = SSL_get_verify_result(ssl);

		if (vr != X509_V_OK) {
			rc = cli_fail(IDG_EXIT_FAILURE, "tls_failed", "the certificate of %s does"
			    " not verify: %s%s", u->host, X509_verify_cert_error_string(vr),
			    cacert == NULL ? " (give the CA with --cacert)" : "");
		} else {
			tls_error("handshake failed", err, sizeof(err));
			rc = cli_fail(IDG_EXIT_FAILURE, "tls_failed", "TLS with %s port %s failed:"
			    " %s", u->host, u->port, err);
		}
		goto out;
	}
	while (off < req_len) {
		if ((n = SSL_write(ssl, req + off, (int)(req_len - off))) <= 0) {
			tls_error("write failed or timed out", err, sizeof(err));
			rc = cli_fail(IDG_EXIT_FAILURE, "connection_failed", "sending to %s: %s",
			    u->host, err);
			goto out;
		}
		off += (size_t)n;
	}
	if ((buf = malloc(ANSWER_MAX + 1)) == NULL) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
		goto out;
	}
	for (;;) {
		bool eof = false;

		if (len == ANSWER_MAX) {
			rc = cli_fail(IDG_EXIT_FAILURE, "bad_response", "the answer of %s is larger"
			    " than %u bytes", u->host, ANSWER_MAX);
			goto out;
		}
		n = SSL_read(ssl, buf + len, (int)(ANSWER_MAX - len));
		if (n > 0)
			len += (size_t)n;
		else if (SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN || len > 0)
			eof = true;
		else {
			tls_error(errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" :
			    "connection closed", err, sizeof(err));
			rc = cli_fail(IDG_EXIT_FAILURE, "connection_failed", "reading from %s: %s",
			    u->host, err);
			goto out;
		}
		if ((done = parse_answer(buf, len, eof, a)) != 0 || eof)
			break;
	}
	if (done != 1) {
		rc = cli_fail(IDG_EXIT_FAILURE, "bad_response", "%s sent a malformed or truncated"
		    " HTTP answer", u->host);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	if (ssl != NULL) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	if (fd >= 0)
		close(fd);
	SSL_CTX_free(ctx);
	sigaction(SIGPIPE, &old, NULL);
	return rc;
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
	struct answer a = { 0, NULL, 0 };
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
	if ((rc = exchange(&u, cacert, (int)timeout, req, req_len, &a)) != 0)
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
