/*
 * fuzz_session_decode.c - fuzz target for idg_session_decode, the parser of
 * session records read back from Redis (untrusted: anyone who can write to
 * Redis controls them). Checks that nothing crashes and that every accepted
 * record re-encodes to exactly the same bytes (the form is canonical).
 * Not a test of the backends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/session/session.h"
#include "gateway/util/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idg_session s, again;
	char buf[256];
	int n;

	if (size > 4096)
		return 0;
	if (idg_session_decode((const char *)data, (unsigned)size, &s) != IDG_OK)
		return 0;
	n = idg_session_encode(&s, buf, sizeof(buf));
	if (n < 0 || (size_t)n != size || memcmp(buf, data, size) != 0)
		abort();
	if (idg_session_decode(buf, (unsigned)n, &again) != IDG_OK ||
	    memcmp(&s, &again, sizeof(s)) != 0)
		abort();
	return 0;
}
