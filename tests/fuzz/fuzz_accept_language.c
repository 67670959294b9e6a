/*
 * fuzz_accept_language.c - libFuzzer target for idg_accept_language and
 * idg_lang_parse. The input is the header value (cut at the first NUL). The
 * pick must always be ja or en, and must not depend on bytes after the
 * header's end. Not a unit test (tests/unit/web).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/status.h"
#include "gateway/web/httpparse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h = malloc(size + 1);
	enum idg_lang l, again;

	if (h == NULL)
		return 0;
	memcpy(h, data, size);
	h[size] = '\0';
	l = idg_accept_language(h);
	if (l != IDG_LANG_EN && l != IDG_LANG_JA)
		abort();
	again = idg_accept_language(h);
	if (again != l)
		abort();
	if (idg_lang_parse(h, &again) == IDG_OK &&
	    strcmp(idg_lang_code(again), h) != 0)
		abort();
	free(h);
	return 0;
}
