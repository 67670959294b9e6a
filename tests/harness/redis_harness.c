/*
 * redis_harness.c - the test Redis of redis_harness.h: fork/exec of
 * redis-server with --save "" --appendonly no on a loopback port, readiness
 * by a synchronous hiredis PING, and signals by PID only.
 *
 * Not a library for the gateway; test programs link it as a source file.
 */
#include "redis_harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#ifndef IDG_REDIS_SERVER
#define IDG_REDIS_SERVER "redis-server"
#endif

#define START_TRIES	5
#define READY_WAIT_MS	5000

static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static pid_t
spawn(struct idg_test_redis *r)
{
	char port[16], logpath[320];
	const char *argv[24];
	pid_t pid;
	int n = 0, fd;

	snprintf(port, sizeof(port), "%d", r->port);
	snprintf(logpath, sizeof(logpath), "%s/redis.log", r->dir);
	argv[n++] = IDG_REDIS_SERVER;
	argv[n++] = "--port";		argv[n++] = port;
	argv[n++] = "--bind";		argv[n++] = "127.0.0.1";
	argv[n++] = "--save";		argv[n++] = "";
	argv[n++] = "--appendonly";	argv[n++] = "no";
	argv[n++] = "--daemonize";	argv[n++] = "no";
	argv[n++] = "--dir";		argv[n++] = r->dir;
	if (r->requirepass != NULL) {
		argv[n++] = "--requirepass";
		argv[n++] = r->requirepass;
	}
	if (r->unix_socket) {
		argv[n++] = "--unixsocket";	argv[n++] = r->sock;
		argv[n++] = "--unixsocketperm";	argv[n++] = "700";
	}
	argv[n] = NULL;

	if ((pid = fork()) < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		if ((fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/*
 * 1 when our server answers (after AUTH when needed), else 0. The PID in
 * INFO must be ours: another server may hold a port we thought free.
 */
static int
answers(const struct idg_test_redis *r)
{
	struct timeval tv = { 0, 200000 };
	redisContext *c;
	redisReply *rep;
	int ok = 0;

	c = redisConnectWithTimeout("127.0.0.1", r->port, tv);
	if (c == NULL || c->err != 0)
		goto out;
	redisSetTimeout(c, tv);
	if (r->requirepass != NULL) {
		rep = redisCommand(c, "AUTH %s", r->requirepass);
		if (rep == NULL)
			goto out;
		freeReplyObject(rep);
	}
	if ((rep = redisCommand(c, "INFO server")) != NULL) {
		char want[40];

		snprintf(want, sizeof(want), "\nprocess_id:%ld\r", (long)r->pid);
		ok = rep->type == REDIS_REPLY_STRING && strstr(rep->str, want) != NULL;
		freeReplyObject(rep);
	}
out:
	if (c != NULL)
		redisFree(c);
	return ok;
}

/* Starts on r->port; 0 ready, -1 the server exited (port taken?) or hung. */
static int
start_on_port(struct idg_test_redis *r)
{
	int waited, status;

	if ((r->pid = spawn(r)) < 0) {
		r->pid = 0;
		return -1;
	}
	for (waited = 0; waited < READY_WAIT_MS; waited += 20) {
		if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
			r->pid = 0;
			return -1;
		}
		if (answers(r))
			return 0;
		sleep_ms(20);
	}
	fprintf(stderr, "redis-server on port %d did not answer in %d ms\n", r->port,
	    READY_WAIT_MS);
	idg_test_redis_stop(r);
	return -1;
}

int
idg_test_redis_start(struct idg_test_redis *r)
{
	int i;

	if (r->dir[0] == '\0') {
		snprintf(r->dir, sizeof(r->dir), "/tmp/idg-redis-XXXXXX");
		if (mkdtemp(r->dir) == NULL) {
			perror("mkdtemp");
			r->dir[0] = '\0';
			return -1;
		}
		snprintf(r->sock, sizeof(r->sock), "%s/redis.sock", r->dir);
	}
	for (i = 0; i < START_TRIES; i++) {
		if ((r->port = free_port()) <= 0)
			continue;
		if (start_on_port(r) == 0)
			return 0;
	}
	fprintf(stderr, "could not start redis-server (see %s/redis.log)\n", r->dir);
	return -1;
}

int
idg_test_redis_stop(struct idg_test_redis *r)
{
	int status;

	if (r->pid <= 0)
		return -1;
	/* A stopped process only acts on SIGTERM once continued. */
	kill(r->pid, SIGCONT);
	if (kill(r->pid, SIGTERM) != 0) {
		perror("kill");
		return -1;
	}
	while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
		;
	r->pid = 0;
	return 0;
}

int
idg_test_redis_pause(struct idg_test_redis *r)
{
	return r->pid > 0 && kill(r->pid, SIGSTOP) == 0 ? 0 : -1;
}

int
idg_test_redis_resume(struct idg_test_redis *r)
{
	return r->pid > 0 && kill(r->pid, SIGCONT) == 0 ? 0 : -1;
}

int
idg_test_redis_restart(struct idg_test_redis *r)
{
	int i;

	if (r->pid > 0)
		idg_test_redis_stop(r);
	/* The port may stay busy for a moment after the old server exits. */
	for (i = 0; i < 20; i++) {
		if (start_on_port(r) == 0)
			return 0;
		sleep_ms(100);
	}
	fprintf(stderr, "could not restart redis-server on port %d\n", r->port);
	return -1;
}

void
idg_test_redis_cleanup(struct idg_test_redis *r)
{
	char path[600];
	struct dirent *de;
	DIR *d;

	if (r->pid > 0)
		idg_test_redis_stop(r);
	if (r->dir[0] == '\0')
		return;
	if ((d = opendir(r->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", r->dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(r->dir);
	r->dir[0] = '\0';
}
