/*
 * oidc_req.c - parsing of authorization and token requests into plain
 * structs, with the syntactic checks of RFC 6749 3.1 / 3.2 (no parameter
 * twice, bounded lengths) and client_secret_basic decoding; see oidc.h.
 * Pure: no I/O, no state. Meaning (is the client known, does the URI
 * match) is checked by op.c.
 */
#include "oidc.h"

#include <string.h>
#include <strings.h>

#include "../util/crypto.h"
#include "../util/status.h"
#include "../util/str.h"
#include "../web/httpparse.h"

#define MAX_VALUE 2048

static int
bad(const char **error, const char **desc, const char *e, const char *d)
{
	*error = e;
	*desc = d;
	return IDG_INVALID;
}

/* RFC 6749 3.1: "Request and response parameters MUST NOT be included more than once." */
static int
one(const struct idg_params *p, const char *name, const char **out, const char **error,
    const char **desc)
{
	size_t n = idg_params_count(p, name);

	*out = NULL;
	if (n > 1)
		return bad(error, desc, "invalid_request", "a parameter is repeated");
	if (n == 1) {
		*out = idg_params_get(p, name);
		if (strlen(*out) > MAX_VALUE)
			return bad(error, desc, "invalid_request", "a parameter is too long");
		if ((*out)[0] == '\0')
			*out = NULL;	/* empty = absent (RFC 6749 3.1) */
	}
	return IDG_OK;
}

int
idg_oidc_authz_parse(const struct idg_params *p, struct idg_authz_req *r, const char **error,
    const char **desc)
{
	const char *max_age;

	memset(r, 0, sizeof(*r));
	r->max_age = -1;
	if (one(p, "client_id", &r->client_id, error, desc) != IDG_OK ||
	    one(p, "redirect_uri", &r->redirect_uri, error, desc) != IDG_OK ||
	    one(p, "response_type", &r->response_type, error, desc) != IDG_OK ||
	    one(p, "scope", &r->scope, error, desc) != IDG_OK ||
	    one(p, "state", &r->state, error, desc) != IDG_OK ||
	    one(p, "nonce", &r->nonce, error, desc) != IDG_OK ||
	    one(p, "code_challenge", &r->code_challenge, error, desc) != IDG_OK ||
	    one(p, "code_challenge_method", &r->code_challenge_method, error, desc) != IDG_OK ||
	    one(p, "response_mode", &r->response_mode, error, desc) != IDG_OK ||
	    one(p, "prompt", &r->prompt, error, desc) != IDG_OK ||
	    one(p, "login_hint", &r->login_hint, error, desc) != IDG_OK ||
	    one(p, "max_age", &max_age, error, desc) != IDG_OK)
		return IDG_INVALID;
	if (max_age != NULL && idg_parse_long(max_age, 0, 1L << 40, &r->max_age) != IDG_OK)
		return bad(error, desc, "invalid_request", "max_age must be a whole number");
	if (idg_params_count(p, "request") > 0)
		return bad(error, desc, "request_not_supported", "request objects are not supported");
	if (idg_params_count(p, "request_uri") > 0)
		return bad(error, desc, "request_uri_not_supported",
		    "request_uri is not supported");
	return IDG_OK;
}

static int
form_decode(const char *s, size_t n, char *out, size_t outsz)
{
	struct idg_params one_param;
	char buf[600];
	int st;

	/* RFC 6749 2.3.1: id and secret are form-urlencoded before Basic encoding. */
	if (n + 3 >= sizeof(buf))
		return IDG_INVALID;
	memcpy(buf, "v=", 2);
	memcpy(buf + 2, s, n);
	buf[n + 2] = '\0';
	if ((st = idg_params_parse(buf, n + 2, 1, &one_param)) != IDG_OK)
		return st;
	st = idg_params_get(&one_param, "v") != NULL &&
	    idg_strlcpy(out, idg_params_get(&one_param, "v"), outsz) < outsz ? IDG_OK :
	    IDG_INVALID;
	idg_params_free(&one_param);
	idg_wipe(buf, sizeof(buf));
	return st;
}

static int
basic(const char *h, struct idg_token_req *t)
{
	char dec[600];
	const char *colon;
	int n;

	if (strncasecmp(h, "Basic ", 6) != 0)
		return IDG_INVALID;
	h += 6;
	while (*h == ' ')
		h++;
	/* standard base64 (not url-safe); translate for the shared decoder */
	{
		char tmp[820];
		size_t i, len = strlen(h);

		if (len >= sizeof(tmp))
			return IDG_INVALID;
		for (i = 0; i < len; i++)
			tmp[i] = h[i] == '+' ? '-' : h[i] == '/' ? '_' : h[i];
		tmp[len] = '\0';
		if ((n = idg_b64url_decode(tmp, dec, sizeof(dec) - 1)) < 0)
			return IDG_INVALID;
		idg_wipe(tmp, sizeof(tmp));
	}
	dec[n] = '\0';
	if (memchr(dec, '\0', (size_t)n) != NULL || (colon = strchr(dec, ':')) == NULL) {
		idg_wipe(dec, sizeof(dec));
		return IDG_INVALID;
	}
	if (form_decode(dec, (size_t)(colon - dec), t->client_id, sizeof(t->client_id)) != IDG_OK ||
	    form_decode(colon + 1, strlen(colon + 1), t->client_secret,
	    sizeof(t->client_secret)) != IDG_OK) {
		idg_wipe(dec, sizeof(dec));
		return IDG_INVALID;
	}
	idg_wipe(dec, sizeof(dec));
	t->basic = true;
	return IDG_OK;
}

int
idg_oidc_token_parse(const struct idg_params *p, const char *authorization,
    struct idg_token_req *t, const char **error, const char **desc)
{
	const char *id = NULL, *secret = NULL;

	memset(t, 0, sizeof(*t));
	if (one(p, "grant_type", &t->grant_type, error, desc) != IDG_OK ||
	    one(p, "code", &t->code, error, desc) != IDG_OK ||
	    one(p, "redirect_uri", &t->redirect_uri, error, desc) != IDG_OK ||
	    one(p, "code_verifier", &t->code_verifier, error, desc) != IDG_OK ||
	    one(p, "refresh_token", &t->refresh_token, error, desc) != IDG_OK ||
	    one(p, "scope", &t->scope, error, desc) != IDG_OK ||
	    one(p, "client_id", &id, error, desc) != IDG_OK ||
	    one(p, "client_secret", &secret, error, desc) != IDG_OK)
		return IDG_INVALID;
	if (authorization != NULL && authorization[0] != '\0') {
		if (basic(authorization, t) != IDG_OK)
			return bad(error, desc, "invalid_client",
			    "the Authorization header is not valid Basic credentials");
		/* RFC 6749 2.3: one authentication method per request. */
		if (secret != NULL)
			return bad(error, desc, "invalid_request",
			    "client credentials were sent twice");
		if (id != NULL && strcmp(id, t->client_id) != 0)
			return bad(error, desc, "invalid_client",
			    "client_id does not match the Authorization header");
		return IDG_OK;
	}
	if (id != NULL && idg_strlcpy(t->client_id, id, sizeof(t->client_id)) >=
	    sizeof(t->client_id))
		return bad(error, desc, "invalid_client", "client_id is too long");
	if (secret != NULL && idg_strlcpy(t->client_secret, secret, sizeof(t->client_secret)) >=
	    sizeof(t->client_secret))
		return bad(error, desc, "invalid_client", "client_secret is too long");
	return IDG_OK;
}
