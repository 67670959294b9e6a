/*
 * license.c - the licensed ID pool rules as pure functions; see license.h.
 *
 * Only arithmetic on the numbers the caller passes in: no I/O, no clock, no
 * store access. The store calls these inside its write transaction so the
 * counts it passes are the ones the write will see; this file does not
 * count anything itself.
 */
#include "license.h"

#include <stdint.h>
#include <stdio.h>

#include "../util/status.h"

int
idg_license_check_take(const struct idg_license_numbers *n)
{
	/* 64-bit sum: a huge request must not wrap around and pass. */
	int64_t after = (int64_t)n->in_use + (int64_t)n->requested;

	if (n->requested < 0 || n->in_use < 0)
		return IDG_DECLINED;
	if (after > (int64_t)n->contracted)
		return IDG_DECLINED;
	return IDG_OK;
}

int
idg_license_check_contract(const struct idg_license_numbers *n, int *must_free)
{
	if (must_free != NULL)
		*must_free = 0;
	/* Service rules: N >= 20, changed in steps of 1. */
	if (n->requested < IDG_CONTRACT_MIN || n->requested > IDG_CONTRACT_MAX)
		return IDG_INVALID;
	/* Never below current use: the tenant frees licenses first. */
	if (n->requested < n->in_use) {
		if (must_free != NULL)
			*must_free = n->in_use - n->requested;
		return IDG_DECLINED;
	}
	return IDG_OK;
}

void
idg_license_describe(const struct idg_license_numbers *n, char *out, unsigned outsz)
{
	if (outsz == 0)
		return;
	snprintf(out, outsz, "%d contracted, %d in use, %d requested", n->contracted,
	    n->in_use, n->requested);
}
