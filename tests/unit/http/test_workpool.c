/*
 * test_workpool.c - the work pool's hand-back to the event loop: every job
 * submitted gets its work() once on a pool thread and then its done() once
 * on the loop, whether jobs finish together or one at a time, are chained
 * from done(), or are still pending when the pool is freed. A lost wake-up
 * would leave done() calls waiting: the loop then runs into its deadline and
 * the test fails instead of hanging.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>

#include <cmocka.h>
#include <event2/event.h>

#include "gateway/http/workpool.h"
#include "gateway/util/status.h"

#define THREADS		4
#define JOBS		20000
#define CHAINS		16
#define LINKS		500
#define DEADLINE_S	60

struct job {
	int	 idx;
	int	 work_runs;	/* written by the pool thread */
	int	 done_runs;	/* loop thread */
	int	 work_seen;	/* work_runs as done() saw it */
	int	 chain;		/* next links to submit from done(), chains only */
};

struct run {
	struct event_base	*base;
	struct idg_workpool	*pool;
	pthread_t		 loop;
	struct job		*jobs;
	int			 njobs;
	int			 next;		/* next unused job (chains) */
	int			 done;		/* done() calls seen */
	int			 wrong_thread;
	int			 resubmit_failed;
	int			 expected;
	int			 timed_out;
};

static struct run R;

static void
work(void *ctx, void *arg)
{
	struct job *j = arg;

	(void)ctx;
	__atomic_add_fetch(&j->work_runs, 1, __ATOMIC_RELAXED);
	/* Now and then let another thread finish first, so done lists are empty or not. */
	if (j->idx % 7 == 0)
		sched_yield();
}

static void
done(void *arg)
{
	struct job *j = arg;

	if (!pthread_equal(pthread_self(), R.loop))
		R.wrong_thread++;
	j->work_seen = __atomic_load_n(&j->work_runs, __ATOMIC_RELAXED);
	j->done_runs++;
	R.done++;
	if (j->chain > 0 && R.next < R.njobs) {
		struct job *n = &R.jobs[R.next++];

		n->chain = j->chain - 1;
		if (idg_workpool_submit(R.pool, work, done, n) != IDG_PENDING)
			R.resubmit_failed++;
	}
	if (R.done == R.expected)
		event_base_loopbreak(R.base);
}

static void
deadline(evutil_socket_t fd, short what, void *arg)
{
	R.timed_out = 1;
	event_base_loopbreak(R.base);
}

static void
start(int njobs, int max_queue)
{
	int i;

	memset(&R, 0, sizeof(R));
	R.loop = pthread_self();
	assert_non_null(R.base = event_base_new());
	assert_non_null(R.pool = idg_workpool_new(R.base, THREADS, max_queue, NULL, NULL,
	    NULL));
	assert_non_null(R.jobs = calloc((size_t)njobs, sizeof(*R.jobs)));
	R.njobs = njobs;
	for (i = 0; i < njobs; i++)
		R.jobs[i].idx = i;
}

/* Runs the loop until expected done() calls, or the deadline. */
static void
run_loop(void)
{
	struct timeval tv = { DEADLINE_S, 0 };
	struct event *ev = evtimer_new(R.base, deadline, NULL);

	assert_non_null(ev);
	evtimer_add(ev, &tv);
	if (R.done < R.expected)
		event_base_dispatch(R.base);
	event_free(ev);
}

static void
finish(void)
{
	int i;

	for (i = 0; i < R.next; i++) {
		assert_int_equal(R.jobs[i].work_runs, 1);
		assert_int_equal(R.jobs[i].work_seen, 1);
		assert_int_equal(R.jobs[i].done_runs, 1);
	}
	for (; i < R.njobs; i++)
		assert_int_equal(R.jobs[i].done_runs, 0);
	assert_int_equal(R.wrong_thread, 0);
	idg_workpool_free(R.pool);
	event_base_free(R.base);
	free(R.jobs);
}

/* Many jobs at once on several threads: each done() once, on the loop. */
static void
many_jobs(void **state)
{
	int i;

	(void)state;
	start(JOBS, JOBS);
	R.expected = JOBS;
	for (i = 0; i < JOBS; i++)
		assert_int_equal(idg_workpool_submit(R.pool, work, done, &R.jobs[R.next++]),
		    IDG_PENDING);
	assert_int_equal(idg_workpool_outstanding(R.pool), JOBS);
	run_loop();
	assert_false(R.timed_out);
	assert_int_equal(R.done, JOBS);
	assert_int_equal(idg_workpool_outstanding(R.pool), 0);
	finish();
}

/*
 * Chains: each done() submits the next job, so the finished list keeps
 * going from empty to one job and back, from several threads at once.
 */
static void
chained_jobs(void **state)
{
	int i;

	(void)state;
	start(CHAINS * (LINKS + 1), CHAINS * (LINKS + 1));
	R.expected = CHAINS * (LINKS + 1);
	for (i = 0; i < CHAINS; i++) {
		struct job *j = &R.jobs[R.next++];

		j->chain = LINKS;
		assert_int_equal(idg_workpool_submit(R.pool, work, done, j), IDG_PENDING);
	}
	run_loop();
	assert_false(R.timed_out);
	assert_int_equal(R.resubmit_failed, 0);
	assert_int_equal(R.done, R.expected);
	assert_int_equal(idg_workpool_outstanding(R.pool), 0);
	finish();
}

/* Jobs still pending when the pool is freed: their done() runs there, once. */
static void
free_runs_pending(void **state)
{
	int i;

	(void)state;
	start(1000, 1000);
	R.expected = -1;
	for (i = 0; i < 1000; i++)
		assert_int_equal(idg_workpool_submit(R.pool, work, done, &R.jobs[R.next++]),
		    IDG_PENDING);
	idg_workpool_free(R.pool);
	assert_int_equal(R.done, 1000);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(R.jobs[i].work_runs, 1);
		assert_int_equal(R.jobs[i].done_runs, 1);
	}
	assert_int_equal(R.wrong_thread, 0);
	event_base_free(R.base);
	free(R.jobs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(many_jobs),
		cmocka_unit_test(chained_jobs),
		cmocka_unit_test(free_runs_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
