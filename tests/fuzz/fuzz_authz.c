/*
 * fuzz_authz.c - the OpenID authorization request parser on arbitrary query
 * strings (form parsing first, as the endpoint does).
 */
#include <stdint.h>
#include <stdlib.h>

#include "gateway/oidc/oidc.h"
#include "gateway/util/status.h"
#include "gateway/web/httpparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idg_params p;
	struct idg_authz_req a;
	const char *e, *d;

	if (idg_params_parse((const char *)data, size, 32, &p) != IDG_OK)
		return 0;
	idg_oidc_authz_parse(&p, &a, &e, &d);
	idg_params_free(&p);
	return 0;
}
