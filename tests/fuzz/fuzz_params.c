/*
 * fuzz_params.c - libFuzzer target for idg_params_parse (form bodies and
 * query strings). The input is the raw body. Besides "no crash, no leak"
 * it checks the contract: on success every pair is readable, holds no NUL
 * before its end, the pair limit holds, and lookups agree with the pairs;
 * on failure the output is empty. Not a unit test (tests/unit/web).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/status.h"
#include "gateway/web/httpparse.h"

#define MAX_PAIRS 16

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idg_params p;
	size_t i;
	int st;

	/* An exact-size heap copy, so ASan sees any read past the length. */
	char *s = malloc(size > 0 ? size : 1);

	if (s == NULL)
		return 0;
	if (size > 0)
		memcpy(s, data, size);
	st = idg_params_parse(s, size, MAX_PAIRS, &p);
	if (st != IDG_OK) {
		if (st != IDG_INVALID || p.n != 0 || p.v != NULL || p.storage != NULL)
			abort();
		free(s);
		return 0;
	}
	if (p.n > MAX_PAIRS || size > 64 * 1024)
		abort();
	for (i = 0; i < p.n; i++) {
		const char *name = p.v[i].name, *value = p.v[i].value;

		/* decoding never grows: a pair is no longer than the input */
		if (strlen(name) + strlen(value) > size)
			abort();
		if (idg_params_get(&p, name) == NULL || idg_params_count(&p, name) == 0)
			abort();
	}
	idg_params_free(&p);
	if (p.n != 0 || p.v != NULL || p.storage != NULL)
		abort();
	free(s);
	return 0;
}
