/*
 * saml_fixture.h - a test world for gateway/saml: an IdP for tenant "acme"
 * with three SPs, and lasso itself playing each SP with keys made here with
 * OpenSSL. Shared by test_saml.c and saml_leak.c; not used by the gateway.
 */
#ifndef IDG_SAML_FIXTURE_H
#define IDG_SAML_FIXTURE_H

#include <stdbool.h>

#include <lasso/lasso.h>

#include "gateway/saml/saml.h"

#define SP1 "https://sp1.example/md"	/* email, signed requests, SLO Redirect */
#define SP2 "https://sp2.example/md"	/* persistent, unsigned ok, encrypted, SLO POST */
#define SP3 "https://sp3.example/md"	/* unspecified, IdP-initiated only */
#define SP1_ACS "https://sp1.example/acs"
#define SP1_ACS2 "https://sp1.example/acs2"

struct fixture {
	char			*idp_key, *idp_cert, *next_cert;
	char			*sp_key[3], *sp_cert[3];
	char			*sp_md[3];
	char			*idp_md;
	struct idg_saml_idp_conf conf;
	struct idg_saml_sp_conf	 spc[3];
	struct idg_saml_idp	*idp;
	LassoServer		*sp[3];		/* lasso playing SP1..SP3 */
	int			 fds[8];
	int			 nfds;
};

/* Builds everything; returns 0 or -1. */
int	fixture_init(struct fixture *f);
void	fixture_free(struct fixture *f);
/* A fresh RSA key + self-signed certificate, PEM (malloc'd). */
int	fixture_keypair(const char *cn, int bits, char **key_pem, char **cert_pem);

/*
 * Lasso SP i builds an AuthnRequest to the IdP. binding REDIRECT: *out is
 * the raw query string; POST: the base64 form value. sign: force or forbid.
 * Returns the request ID (malloc'd) or NULL.
 */
char	*fixture_sp_request(struct fixture *f, int i, enum idg_saml_binding b, bool sign,
	    const char *acs_url, const char *nameid_format, bool passive, bool force,
	    const char *relay_state, char **out);

#endif
