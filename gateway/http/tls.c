/*
 * tls.c - server TLS contexts; see tls.h.
 */
#include "tls.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "../util/crypto.h"
#include "../util/status.h"

static int
accept_any(int ok, X509_STORE_CTX *ctx)
{
	/* The device-certificate check verifies in application code. */
	(void)ok;
	(void)ctx;
	return 1;
}

struct ssl_ctx_st *
idg_tls_server_ctx(const char *cert_file, const char *key_file, bool request_client_cert,
    char *err, size_t errsz)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_RENEGOTIATION);
	if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1)
		goto fail;
	/*
	 * TLS 1.3: one ticket per handshake, not two; each copies the session
	 * (a client certificate included), which costs more than the signatures.
	 */
	SSL_CTX_set_num_tickets(ctx, 1);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	if (request_client_cert) {
		static const unsigned char sid_ctx[] = "idgate device check";

		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
		/*
		 * Resumed sessions keep the client certificate; OpenSSL refuses to
		 * resume a session that asked for one without a session id context.
		 */
		if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1) != 1)
			goto fail;
	}
	return ctx;
fail:
	snprintf(err, errsz, "TLS set-up with %s / %s failed: %s", cert_file, key_file,
	    ERR_reason_error_string(ERR_peek_last_error()) ?
	    ERR_reason_error_string(ERR_peek_last_error()) : "unknown error");
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

int
idg_tls_ticket_keys(struct ssl_ctx_st *ctx, const uint8_t master_key[32], const char *day)
{
	static const char *const parts[] = { "name", "hmac", "aes" };
	/* OpenSSL's layout: 16 bytes key name, 32 HMAC key, 32 AES key. */
	uint8_t keys[80], h[32];
	char info[64];
	size_t off = 0;
	int i, rv;

	for (i = 0; i < 3; i++) {
		snprintf(info, sizeof(info), "idgate tls ticket %s v1 %s", parts[i], day);
		if (idg_hmac_sha256(master_key, 32, info, strlen(info), h) != IDG_OK)
			return IDG_ERR;
		memcpy(keys + off, h, i == 0 ? 16 : 32);
		off += i == 0 ? 16 : 32;
	}
	rv = SSL_CTX_set_tlsext_ticket_keys(ctx, keys, sizeof(keys)) == 1 ? IDG_OK : IDG_ERR;
	idg_wipe(keys, sizeof(keys));
	idg_wipe(h, sizeof(h));
	return rv;
}
