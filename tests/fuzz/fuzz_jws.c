/*
 * fuzz_jws.c - libFuzzer target for idg_jws_verify: the input is a compact
 * JWS (cut at the first NUL) checked against two fixed public keys (RS256 and
 * ES256) built from JWK literals, so seeds signed by their private halves
 * reach the signature checks. Invariants: only OK, DECLINED or INVALID come
 * back; on OK the payload is a JSON object and the key used is one of ours;
 * otherwise no payload is returned. Not a unit test (tests/unit/oidc).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway/oidc/jose.h"
#include "gateway/util/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rsa_jwk[] =
    "{\"kty\":\"RSA\",\"n\":\"tqprTk8rm0SFaRS0IiRzWg4uYjrPwglnviDXdi4zDad4K82OQyd8fOefPufF"
    "cSpI1RwkndR_ewQ5jvIimT5nvBMMoJSyh2xcLH8YJzb7Fo0RDOINpY7_KQ_qJ-9RtKavyjp0z9n-eIfSZBJWU-_"
    "Jy5gio4TKs3MqqsWIlFFjOr_RYJ13asdd74GMWnJpI-aKIADjWhqh5SrRdvNpmPXKPrlqI_2qHlyTrYWAEwJkI8P"
    "X119u8YvR9uPcmeJdeXSyutlPaVGVGAHjxwOhNmL8rq4QWdgsCG_OpbG3COjDk6W-XU2JhNIKcusSg_AFcx6JAJT6"
    "-MnnUAlJxgrDYFaLgw\",\"e\":\"AQAB\",\"kid\":\"ySHKoXfTVTDzgLiQKPscVLn5UHYGaSLEtvUa3agg7UU\","
    "\"alg\":\"RS256\",\"use\":\"sig\"}";
static const char ec_jwk[] =
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"ihBM4VQxTbFJKPOqvjd4fE-qi3nDFuP0eCBfn0gGj1I\","
    "\"y\":\"3cMOkIqn-I38PE28ciglwn-7HEP1Y-XY5uoj_FvvO90\","
    "\"kid\":\"oSiqdQsT6fZl0wVNdYPpq5dJ8aIIM0skMcOT0YxNujg\",\"alg\":\"ES256\",\"use\":\"sig\"}";

static struct idg_jose_key *keys[2];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct idg_jose_key *used = NULL;
	char *tok, *payload = NULL;
	json_t *j;
	int rc;

	if (keys[0] == NULL && (idg_jose_key_from_jwk(rsa_jwk, &keys[0]) != IDG_OK ||
	    idg_jose_key_from_jwk(ec_jwk, &keys[1]) != IDG_OK))
		abort();
	if ((tok = malloc(size + 1)) == NULL)
		return 0;
	memcpy(tok, data, size);
	tok[size] = '\0';
	rc = idg_jws_verify((const struct idg_jose_key *const *)keys, 2, tok, &payload, &used);
	if (rc == IDG_OK) {
		if (payload == NULL || (used != keys[0] && used != keys[1]))
			abort();
		if ((j = json_loads(payload, 0, NULL)) == NULL || !json_is_object(j))
			abort();
		json_decref(j);
	} else if (rc == IDG_DECLINED || rc == IDG_INVALID) {
		if (payload != NULL || used != NULL)
			abort();
	} else
		abort();
	free(payload);
	free(tok);
	return 0;
}
