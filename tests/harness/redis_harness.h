/*
 * redis_harness.h - starts a real redis-server for integration tests on a
 * free 127.0.0.1 port, in a private temporary folder, without persistence,
 * and stops, pauses, resumes or restarts it by its PID.
 *
 * For tests only: it blocks (bounded waits), forks, and prints to stderr.
 * It never signals a process it did not start.
 */
#ifndef IDG_REDIS_HARNESS_H
#define IDG_REDIS_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

struct idg_test_redis {
	/* Set by the caller before start (all optional, zero = default). */
	const char	*requirepass;	/* --requirepass */
	bool		 unix_socket;	/* also listen on <dir>/redis.sock */

	/* Set by start. */
	pid_t		 pid;		/* 0 when not running */
	int		 port;
	char		 dir[256];	/* temporary folder (log, socket) */
	char		 sock[300];	/* socket path when unix_socket */
};

/*
 * Picks a free port (bind to port 0, read it, close; retried if the server
 * then fails to bind), starts redis-server and waits until it answers with
 * its own PID in INFO (at most a few seconds). Returns 0, or -1 with the reason on stderr.
 */
int	idg_test_redis_start(struct idg_test_redis *r);
/* SIGTERM to the server's PID and waitpid; keeps port and dir. 0 or -1. */
int	idg_test_redis_stop(struct idg_test_redis *r);
/* SIGSTOP / SIGCONT: a hung server keeps its connections but never answers. */
int	idg_test_redis_pause(struct idg_test_redis *r);
int	idg_test_redis_resume(struct idg_test_redis *r);
/* Stops (if running) and starts again on the same port. 0 or -1. */
int	idg_test_redis_restart(struct idg_test_redis *r);
/* Stops the server and removes its temporary folder. */
void	idg_test_redis_cleanup(struct idg_test_redis *r);

#endif
