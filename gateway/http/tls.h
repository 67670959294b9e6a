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
#include <stdint.h>

struct ssl_ctx_st;

/* Returns a new context or NULL with a reason in err. */
struct ssl_ctx_st *idg_tls_server_ctx(const char *cert_file, const char *key_file,
	    bool request_client_cert, char *err, size_t errsz);
/*
 * Sets the session-ticket keys of ctx, derived from the master key and the
 * day ("YYYY-MM-DD"): every worker process makes the same keys, so a ticket
 * one worker issued resumes on another, and they change every day (a
 * ticket from yesterday gets a full handshake). IDG_OK or IDG_ERR.
 */
int	idg_tls_ticket_keys(struct ssl_ctx_st *ctx, const uint8_t master_key[32],
	    const char *day);

#endif
