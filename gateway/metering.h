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
 *  - Each worker also keeps a small table of users it knows are recorded
 *    for a month: put there when its own store write for that user and
 *    month committed, or when Redis said the user is in the set. It is
 *    asked before Redis, and a user found there goes the way a "member"
 *    answer goes: the request goes on at once, the event follows. It is
 *    still exact because the store stays the only truth: the table, like
 *    the Redis set, can only say "already recorded" once a store write of
 *    that user's activity in that month has committed (and with it the
 *    monthly_active row of a person user), and the background event marks
 *    the user again anyway (a no-op). A user missing from the table (never
 *    seen, pushed out by another, a new month, a restarted worker) is
 *    simply asked about as before. Like the set, the table only lets a
 *    request skip waiting for a store write that would change no count,
 *    and it skips the Redis round trip; it never decides what is recorded.
 *  - Background events of a worker are written in groups: while one group
 *    is being written, the next ones wait and then go together, in one
 *    transaction (one by one if it fails, so a bad event loses no other).
 *    With nothing being written an event goes at once. A waiting group
 *    always has a write in flight before it, so a worker that stops
 *    cleanly (it waits for its pool's jobs) writes every one of them.
 *  - Service accounts (the tenant's set-up and report accounts) go the same
 *    way, but the store never marks them (idg_store_activity_mark), so they
 *    are never active IDs. Their place in the Redis set only means there is
 *    nothing more to record for them this month, which is true; the same
 *    holds for the worker's table.
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
 * IDG_METERING_DURABLE a user this worker or Redis knows as recorded this
 * month goes on at once and the event is written in the background. done
 * runs exactly once, possibly before this returns (always, when this
 * worker knows the user). Loop thread only.
 */
void	idg_metering_record(struct idg_req *r, const struct idg_audit_event *e, int64_t user_id,
	    unsigned flags, idg_metering_done_fn *done, void *arg);

#endif
