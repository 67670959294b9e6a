/*
 * metering.h - records that a user signed in or used SSO: the input of
 * active-ID billing (DESIGN.md "Service rules"). Not the billing export or
 * the reports (gateway/report).
 *
 * Exact by construction:
 *  - the activity is an audit event written in the same store transaction
 *    as the user's monthly_active row (idempotent: the first activity of a
 *    user in an Asia/Tokyo month is kept once), so the audit log and the
 *    count can always be checked against each other;
 *  - the request goes on only once that transaction has committed, so no
 *    user gets in unrecorded, whatever crashes afterwards;
 *  - Redis only saves store writes: a set per tenant-month (ma:{tenant}:
 *    {month}) remembers users already recorded. It is written after the
 *    store commit, so losing it (a Redis restart) costs a repeated,
 *    idempotent store write, never a lost or a double count. A later SSO of
 *    a recorded user writes its audit event in the background.
 *  - Service accounts (the tenant's set-up and report accounts) go the same
 *    way, but the store never marks them (idg_store_activity_mark), so they
 *    are never active IDs. Their place in the Redis set only means there is
 *    nothing more to record for them this month, which is true.
 */
#ifndef IDG_METERING_H
#define IDG_METERING_H

#include <stdint.h>

struct idg_audit_event;
struct idg_req;

/* The event must be stored before done runs (a sign-in: nothing is accepted unrecorded). */
#define IDG_METERING_DURABLE	0x1

/*
 * Called once from the loop: IDG_OK when the request may go on,
 * IDG_UNAVAILABLE when the activity could not be recorded (the caller
 * refuses the request with store_unavailable).
 */
typedef void idg_metering_done_fn(void *arg, int status);

/*
 * Records the activity e (copied; its at is set to now and active_user_id
 * to user_id) of user_id in tenant e->tenant_id. Without
 * IDG_METERING_DURABLE a user Redis knows as active this month goes on at
 * once and the event is written in the background. done runs exactly once,
 * possibly before this returns.
 */
void	idg_metering_record(struct idg_req *r, const struct idg_audit_event *e, int64_t user_id,
	    unsigned flags, idg_metering_done_fn *done, void *arg);

#endif
