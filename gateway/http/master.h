/*
 * master.h - the master process of `idgate serve` (nginx model).
 *
 * It applies store migrations, binds the listening sockets, creates the
 * shared metrics region and forks the workers, then only supervises:
 * a worker that dies is replaced; SIGHUP reloads the configuration
 * (validated first; a bad file is refused and logged, and the old workers
 * keep serving; a good one starts new workers and drains the old);
 * SIGTERM/SIGINT drain every worker and exit. It serves no requests.
 */
#ifndef IDG_MASTER_H
#define IDG_MASTER_H

struct idg_config;

/* Runs until stopped; returns the process exit code. cfg is owned and may be replaced. */
int	idg_master_run(struct idg_config *cfg);

#endif
