/*
 * fuzz_cookie.c - libFuzzer target for idg_cookie_find (the Cookie header).
 * The input is the header value (cut at the first NUL, as evhttp hands out
 * C strings). It looks up a few names, including one taken from the input
 * itself so matches are reached, with large and tiny output buffers, and
 * checks that whatever is returned fits and holds only RFC 6265
 * cookie-octets. Not a unit test (tests/unit/web).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/status.h"
#include "gateway/web/httpparse.h"

static void
check(const char *header, const char *name, size_t outsz)
{
	char *out = malloc(outsz);
	size_t i, n;
	int st;

	if (out == NULL)
		return;
	st = idg_cookie_find(header, name, out, outsz);
	if (st != IDG_OK && st != IDG_NOTFOUND && st != IDG_INVALID)
		abort();
	n = strnlen(out, outsz);
	if (n >= outsz)
		abort();	/* not NUL-terminated */
	if (st != IDG_OK && n != 0)
		abort();	/* failures leave out empty */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\')
			abort();
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *header = malloc(size + 1);
	char name[32];
	size_t i, n;

	if (header == NULL)
		return 0;
	memcpy(header, data, size);
	header[size] = '\0';

	check(header, "idg_sid", 128);
	check(header, "a", 4);
	check(header, "a", 1);
	/* the input's first name-like run as the name to find */
	for (i = 0; i < size && (header[i] == ' ' || header[i] == ';'); i++)
		;
	for (n = 0; i + n < size && n < sizeof(name) - 1 && header[i + n] != '=' &&
	    header[i + n] != ';' && header[i + n] != '\0'; n++)
		name[n] = header[i + n];
	name[n] = '\0';
	if (n > 0)
		check(header, name, 64);
	free(header);
	return 0;
}
