/*
 * tls.h - server-side TLS contexts for the listeners (OpenSSL 3).
 *
 * TLS 1.2 minimum, forward-secret AEAD suites only for 1.2, server cipher
 * preference, no compression, no renegotiation, session tickets on. A
 * listener with client_certificates requests (never requires) a client
 * certificate; the certificate is checked in application code (certs/), so
 * the handshake accepts any. Not a certificate authority.
 */
#ifndef IDG_TLS_H
#define IDG_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct ssl_ctx_st;

/* Returns a new context or NULL with a reason in err. */
struct ssl_ctx_st *idg_tls_server_ctx(const char *cert_file, const char *key_file,
	    bool request_client_cert, char *err, size_t errsz);

#endif
