/*
 * cli_https.c - cli_https.h: the CLI's one-shot HTTPS client (TCP connect
 * with a timeout, TLS with the server verified, one request, one answer
 * parsed for its status and body). Moved here from cli_enroll.c unchanged
 * in behaviour so `saml app add --metadata https://...` can use it too.
 * Not an HTTP library (see the header).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../util/status.h"
#include "../util/str.h"
#include "cli_https.h"
#include "cli_impl.h"

/* A connected TCP socket with send/receive timeouts, or -1 with err set. */
static int
tcp_connect(const char *host, const char *port, int timeout_s, char *err, size_t errsz)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { timeout_s, 0 };
	int fd = -1, gai, e = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errsz, "cannot resolve %s: %s", host, gai_strerror(gai));
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
		snprintf(err, errsz, "cannot connect to %s port %s: %s", host, port,
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
		if (end == p + r || errno != 0 || sz > CLI_HTTPS_ANSWER_MAX)
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
parse_answer(const char *buf, size_t len, bool eof, struct cli_https_answer *a)
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
			if (errno != 0 || end == line + 15 || clen > CLI_HTTPS_ANSWER_MAX)
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

int
cli_https_exchange(const char *host, const char *port, const char *cacert, int timeout_s,
    const char *req, size_t req_len, struct cli_https_answer *a)
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
	if ((fd = tcp_connect(host, port, timeout_s, err, sizeof(err))) < 0) {
		rc = cli_fail(IDG_EXIT_FAILURE, "connection_failed", "%s", err);
		goto out;
	}
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot set up TLS");
		goto out;
	}
	/* RFC 6125: the certificate must name the host of --url (an IP literal as an IP). */
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1) {
		ERR_clear_error();
		if (SSL_set_tlsext_host_name(ssl, host) != 1 ||
		    SSL_set1_host(ssl, host) != 1) {
			rc = cli_fail(IDG_EXIT_USAGE, "invalid_url", "bad host name %s", host);
			goto out;
		}
	}
	if (SSL_connect(ssl) != 1) {
		long vr = SSL_get_verify_result(ssl);

		if (vr != X509_V_OK) {
			rc = cli_fail(IDG_EXIT_FAILURE, "tls_failed", "the certificate of %s does"
			    " not verify: %s%s", host, X509_verify_cert_error_string(vr),
			    cacert == NULL ? " (give the CA with --cacert)" : "");
		} else {
			tls_error("handshake failed", err, sizeof(err));
			rc = cli_fail(IDG_EXIT_FAILURE, "tls_failed", "TLS with %s port %s failed:"
			    " %s", host, port, err);
		}
		goto out;
	}
	while (off < req_len) {
		if ((n = SSL_write(ssl, req + off, (int)(req_len - off))) <= 0) {
			tls_error("write failed or timed out", err, sizeof(err));
			rc = cli_fail(IDG_EXIT_FAILURE, "connection_failed", "sending to %s: %s",
			    host, err);
			goto out;
		}
		off += (size_t)n;
	}
	if ((buf = malloc(CLI_HTTPS_ANSWER_MAX + 1)) == NULL) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
		goto out;
	}
	for (;;) {
		bool eof = false;

		if (len == CLI_HTTPS_ANSWER_MAX) {
			rc = cli_fail(IDG_EXIT_FAILURE, "bad_response", "the answer of %s is larger"
			    " than %u bytes", host, CLI_HTTPS_ANSWER_MAX);
			goto out;
		}
		n = SSL_read(ssl, buf + len, (int)(CLI_HTTPS_ANSWER_MAX - len));
		if (n > 0)
			len += (size_t)n;
		else if (SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN || len > 0)
			eof = true;
		else {
			tls_error(errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" :
			    "connection closed", err, sizeof(err));
			rc = cli_fail(IDG_EXIT_FAILURE, "connection_failed", "reading from %s: %s",
			    host, err);
			goto out;
		}
		if ((done = parse_answer(buf, len, eof, a)) != 0 || eof)
			break;
	}
	if (done != 1) {
		rc = cli_fail(IDG_EXIT_FAILURE, "bad_response", "%s sent a malformed or truncated"
		    " HTTP answer", host);
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
