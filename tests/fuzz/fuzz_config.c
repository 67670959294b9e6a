/*
 * fuzz_config.c - the configuration loader on arbitrary text (secrets and
 * TLS files are not read, so the input alone decides the path taken).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idg_config *c = malloc(sizeof(*c));
	char *text = malloc(size + 1), err[768];

	if (c != NULL && text != NULL) {
		memcpy(text, data, size);
		text[size] = '\0';
		idg_config_load_string(c, text, "fuzz.conf", false, err, sizeof(err));
	}
	free(text);
	free(c);
	return 0;
}
