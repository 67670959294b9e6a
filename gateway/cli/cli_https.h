/*
 * cli_https.h - the CLI's one-shot HTTPS client, shared by `idgate enroll`
 * (POST of a certificate request) and `idgate saml app add|update
 * --metadata https://...` (GET of an SP's metadata).
 *
 * One request written as given, one answer read until it is complete by
 * its Content-Length, its chunked encoding or the end of the connection.
 * The server certificate is verified against the system's trust anchors
 * (or cacert) and must name the host (RFC 6125; an IP literal as an IP).
 * TLS 1.2 or later; blocking I/O, each wait bounded by timeout_s. Not an
 * HTTP library: no redirects, no keep-alive, no proxy, answers of at most
 * CLI_HTTPS_ANSWER_MAX bytes headers included. Private to gateway/cli.
 */
#ifndef IDG_CLI_HTTPS_H
#define IDG_CLI_HTTPS_H

#include <stddef.h>

#define CLI_HTTPS_ANSWER_MAX	(1u << 20)

struct cli_https_answer {
	int		 status;	/* HTTP status code */
	char		*body;		/* owned (free()), NUL-terminated, de-chunked */
	size_t		 body_len;
};

/*
 * Connects to host (a name or an IP literal without brackets) on port,
 * sends req[0..req_len) and reads the answer into *a. cacert (a PEM file)
 * replaces the system's trust anchors when not NULL. Returns 0 with *a
 * filled, or an exit code of cli.h with one "error:" line printed:
 * IDG_EXIT_USAGE (cacert_unreadable, invalid_url) or IDG_EXIT_FAILURE
 * (connection_failed, tls_failed, bad_response, internal_error).
 * SIGPIPE is ignored during the call.
 */
int	cli_https_exchange(const char *host, const char *port, const char *cacert,
	    int timeout_s, const char *req, size_t req_len, struct cli_https_answer *a);

#endif
