/*
 * workpool.h - a small thread pool per worker process for blocking work
 * (argon2 password hashing, SQL reads and writes, later upstream HTTP and
 * LDAP), with results handed back to the event loop.
 *
 * A job has two halves: work() runs on a pool thread with that thread's
 * context (its own store connection); done() runs afterwards on the loop
 * thread, exactly once, and is where the job's memory is released. The
 * queue is bounded: a full queue refuses new jobs at once, so a sign-in
 * storm turns into 503s instead of unbounded memory. Not a general
 * scheduler: no priorities, no cancellation (done() must cope with a
 * request that no longer wants the answer).
 */
#ifndef IDG_WORKPOOL_H
#define IDG_WORKPOOL_H

struct event_base;
struct idg_workpool;

/* Per-thread context: made when the thread starts, freed when it stops. */
typedef void *idg_thread_init_fn(void *arg);
typedef void idg_thread_fini_fn(void *arg, void *thread_ctx);

typedef void idg_work_fn(void *thread_ctx, void *job);
typedef void idg_done_fn(void *job);

struct idg_workpool *idg_workpool_new(struct event_base *base, int threads, int max_queue,
	    idg_thread_init_fn *init, idg_thread_fini_fn *fini, void *arg);
/*
 * Runs work(thread_ctx, job) on a pool thread, then done(job) on the loop.
 * Returns IDG_PENDING, or IDG_UNAVAILABLE when the queue is full or the pool
 * is stopping (neither function runs; the caller still owns job).
 */
int	idg_workpool_submit(struct idg_workpool *p, idg_work_fn *work, idg_done_fn *done,
	    void *job);
/* Jobs queued and not yet picked up by a thread. */
int	idg_workpool_queued(struct idg_workpool *p);
/* Jobs submitted whose done() has not run yet. */
int	idg_workpool_outstanding(struct idg_workpool *p);
/*
 * Stops the threads after the queue is empty, runs every remaining done()
 * on the calling thread, and frees the pool. Call from the loop thread.
 */
void	idg_workpool_free(struct idg_workpool *p);

#endif
