/*
 * worker_store.h - what a work-pool job of the gateway may use on its
 * thread: that thread's own store connection, opened on first use.
 */
#ifndef IDG_WORKER_STORE_H
#define IDG_WORKER_STORE_H

struct idg_store;

/* The thread's store, or NULL when it cannot be opened (logged). */
struct idg_store *idg_worker_store(void *thread_ctx);
/* Reports a store failure: counted, and the connection reopened next time. */
void	idg_worker_store_failed(void *thread_ctx);

#endif
