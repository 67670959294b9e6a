/*
 * fuzz_token.c - the token request parser: the input's first line is the
 * Authorization header, the rest the form body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/oidc/oidc.h"
#include "gateway/util/status.h"
#include "gateway/web/httpparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl != NULL ? (size_t)(nl - data) : size;
	char *auth = malloc(hlen + 1);
	struct idg_params p;
	struct idg_token_req t;
	const char *e, *d;

	if (auth == NULL)
		return 0;
	memcpy(auth, data, hlen);
	auth[hlen] = '\0';
	if (idg_params_parse(nl != NULL ? (const char *)nl + 1 : "", nl != NULL ?
	    size - hlen - 1 : 0, 32, &p) == IDG_OK) {
		idg_oidc_token_parse(&p, strlen(auth) == hlen ? auth : NULL, &t, &e, &d);
		idg_params_free(&p);
	}
	free(auth);
	return 0;
}
