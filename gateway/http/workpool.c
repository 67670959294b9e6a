/*
 * workpool.c - bounded thread pool with hand-back to the event loop; see
 * workpool.h.
 *
 * Queued jobs sit on a FIFO guarded by one mutex; finished jobs go to a
 * second list and a byte on a pipe wakes the loop, which drains the list
 * and runs each done(). Only the job that finds the finished list empty
 * writes the byte: one wake-up carries every job finished until the loop
 * takes the list, so a busy pool costs one write and one read per batch
 * of jobs rather than per job.
 */
#include "workpool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "../util/log.h"
#include "../util/status.h"

struct job {
	struct job	*next;
	idg_work_fn	*work;
	idg_done_fn	*done;
	void		*arg;
};

struct idg_workpool {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct job		*qhead, *qtail;	/* waiting for a thread */
	struct job		*dhead, *dtail;	/* finished, waiting for the loop */
	int			 queued;
	int			 outstanding;	/* loop thread only */
	int			 max_queue;
	int			 stopping;
	int			 nthreads;
	pthread_t		*threads;
	int			 wake[2];
	struct event		*wake_ev;
	idg_thread_init_fn	*init;
	idg_thread_fini_fn	*fini;
	void			*init_arg;
};

/* A full pipe already holds a pending wake-up, so EAGAIN loses nothing. */
static void
wake(struct idg_workpool *p)
{
	char c = 1;

	while (write(p->wake[1], &c, 1) < 0 && errno == EINTR)
		;
}

static void *
thread_main(void *arg)
{
	struct idg_workpool *p = arg;
	void *ctx = p->init != NULL ? p->init(p->init_arg) : NULL;

	for (;;) {
		struct job *j;
		bool first;

		pthread_mutex_lock(&p->mu);
		while (p->qhead == NULL && !p->stopping)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->qhead == NULL) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		j = p->qhead;
		p->qhead = j->next;
		if (p->qhead == NULL)
			p->qtail = NULL;
		p->queued--;
		pthread_mutex_unlock(&p->mu);

		j->work(ctx, j->arg);

		pthread_mutex_lock(&p->mu);
		j->next = NULL;
		first = p->dhead == NULL;
		if (p->dtail != NULL)
			p->dtail->next = j;
		else
			p->dhead = j;
		p->dtail = j;
		pthread_mutex_unlock(&p->mu);
		/*
		 * Non-empty: the job that made it so has its byte written or due, and no take
		 * came since; on_wake reads that byte before it takes the list, so j goes too.
		 */
		if (first)
			wake(p);
	}
	if (p->fini != NULL)
		p->fini(p->init_arg, ctx);
	return NULL;
}

static void
run_done(struct idg_workpool *p)
{
	struct job *list, *j;

	pthread_mutex_lock(&p->mu);
	list = p->dhead;
	p->dhead = p->dtail = NULL;
	pthread_mutex_unlock(&p->mu);
	while ((j = list) != NULL) {
		list = j->next;
		p->outstanding--;
		j->done(j->arg);
		free(j);
	}
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	run_done(arg);
}

struct idg_workpool *
idg_workpool_new(struct event_base *base, int threads, int max_queue,
    idg_thread_init_fn *init, idg_thread_fini_fn *fini, void *arg)
{
	struct idg_workpool *p;
	int i;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->max_queue = max_queue;
	p->init = init;
	p->fini = fini;
	p->init_arg = arg;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pipe2(p->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
		log_error("pipe: %s", strerror(errno));
		free(p);
		return NULL;
	}
	p->wake_ev = event_new(base, p->wake[0], EV_READ | EV_PERSIST, on_wake, p);
	event_add(p->wake_ev, NULL);
	p->threads = calloc((size_t)threads, sizeof(pthread_t));
	for (i = 0; i < threads; i++) {
		if (pthread_create(&p->threads[i], NULL, thread_main, p) != 0) {
			log_error("pthread_create failed");
			break;
		}
		p->nthreads++;
	}
	if (p->nthreads == 0) {
		idg_workpool_free(p);
		return NULL;
	}
	return p;
}

int
idg_workpool_submit(struct idg_workpool *p, idg_work_fn *work, idg_done_fn *done, void *arg)
{
	struct job *j;

	if ((j = malloc(sizeof(*j))) == NULL)
		return IDG_UNAVAILABLE;
	j->next = NULL;
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&p->mu);
	if (p->stopping || p->queued >= p->max_queue) {
		pthread_mutex_unlock(&p->mu);
		free(j);
		return IDG_UNAVAILABLE;
	}
	if (p->qtail != NULL)
		p->qtail->next = j;
	else
		p->qhead = j;
	p->qtail = j;
	p->queued++;
	p->outstanding++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return IDG_PENDING;
}

int
idg_workpool_queued(struct idg_workpool *p)
{
	int n;

	pthread_mutex_lock(&p->mu);
	n = p->queued;
	pthread_mutex_unlock(&p->mu);
	return n;
}

int
idg_workpool_outstanding(struct idg_workpool *p)
{
	return p->outstanding;
}

void
idg_workpool_free(struct idg_workpool *p)
{
	int i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	run_done(p);
	if (p->wake_ev != NULL)
		event_free(p->wake_ev);
	close(p->wake[0]);
	close(p->wake[1]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->threads);
	free(p);
}
