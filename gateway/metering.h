/*
 * metering.h - marks a user active for the month when they sign in or use
 * SSO: the input of active-ID billing (DESIGN.md "Service rules").
 *
 * Exactness comes from the store: the first activity of a user in a month
 * is one idempotent row (monthly_active). Redis only saves store writes: a
 * per tenant-month set remembers who is already recorded. The set is
 * written after the store, so a crash or a Redis restart in between costs a
 * repeated (idempotent) store write, never a lost or double count. Months
 * are Asia/Tokyo calendar months. Not the billing export or reports.
 */
#ifndef IDG_METERING_H
#define IDG_METERING_H

#include <stddef.h>
#include <stdint.h>

struct idg_req;

/* "YYYY-MM" of the Asia/Tokyo month containing unix time t (JST: UTC+9, no DST). */
void	idg_metering_month(int64_t t, char out[8]);
/* Records the activity in the background; the request does not wait. */
void	idg_metering_mark(struct idg_req *r, int64_t tenant_id, int64_t user_id);

#endif
