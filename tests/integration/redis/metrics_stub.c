/*
 * metrics_stub.c - counts idg_metrics_inc calls for tests of the session
 * folder, in place of gateway/http/metrics.c (no shared memory, no
 * rendering). Only the two functions those tests reach are provided.
 */
#include "gateway/http/metrics.h"

static uint64_t counts[IDG_M__COUNT];

void
idg_metrics_inc(enum idg_counter c)
{
	if ((unsigned)c < IDG_M__COUNT)
		counts[c]++;
}

uint64_t
idg_metrics_get(enum idg_counter c)
{
	return (unsigned)c < IDG_M__COUNT ? counts[c] : 0;
}
