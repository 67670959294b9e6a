/*
 * master.c - supervision of the worker processes; see master.h.
 *
 * The master keeps all its signals blocked and waits in sigsuspend(), so
 * signal handling is plain sequential code with no async-signal hazards.
 */
#include "master.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "../config/config.h"
#include "../store/store.h"
#include "../util/log.h"
#include "../util/status.h"
#include "metrics.h"
#include "tls.h"
#include "server.h"

struct child {
	pid_t	pid;
	int	slot;
	int	generation;
	time_t	started;
};

static volatile sig_atomic_t got_term, got_hup, got_chld;

static void
on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
}

static int
bind_listener(const struct idg_listener_config *l)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, family;

	memset(&ss, 0, sizeof(ss));
	if (strchr(l->address, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		family = AF_INET6;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)l->port);
		inet_pton(AF_INET6, l->address, &s6->sin6_addr);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		family = AF_INET;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)l->port);
		inet_pton(AF_INET, l->address, &s4->sin_addr);
		sl = sizeof(*s4);
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/*
	 * Accepted sockets inherit TCP_NODELAY on Linux; without it evhttp over
	 * TLS stalls ~40 ms per response (Nagle + delayed ACK).
	 */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 1024) != 0) {
		log_error("cannot listen on %s:%d: %s", l->address, l->port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int
migrate(const struct idg_config *cfg)
{
	struct idg_store_config sc = { cfg->store_driver, cfg->sqlite_path,
	    cfg->store_busy_timeout_ms };
	struct idg_store *s;
	int st, applied = 0;

	if ((st = idg_store_open(&sc, &s)) != IDG_OK) {
		log_error("store %s cannot be opened", cfg->sqlite_path);
		return st;
	}
	st = idg_store_migrate(s, &applied);
	idg_store_free(s);
	if (st == IDG_OK && applied > 0)
		log_info("applied %d store migrations", applied);
	return st;
}

static pid_t
spawn(struct idg_config *cfg, const int *fds, int slot)
{
	pid_t pid = fork();

	if (pid == 0) {
		idg_config_apply_log(cfg, "worker");
		_exit(idg_worker_run(cfg, fds, slot));
	}
	if (pid < 0)
		log_error("fork: %s", strerror(errno));
	return pid;
}

/* Every TLS listener's certificate and key load and match (a reload must not break them). */
static bool
tls_ok(const struct idg_config *cfg)
{
	char err[600];
	int i;

	for (i = 0; i < cfg->nlisteners; i++) {
		struct ssl_ctx_st *ctx;

		if (!cfg->listeners[i].tls)
			continue;
		ctx = idg_tls_server_ctx(cfg->listeners[i].cert_file, cfg->listeners[i].key_file,
		    cfg->listeners[i].client_certificates, err, sizeof(err));
		if (ctx == NULL) {
			log_error("reload refused, still running the previous configuration: %s",
			    err);
			return false;
		}
		SSL_CTX_free(ctx);
	}
	return true;
}

#define MAX_KIDS (4 * IDG_MAX_WORKERS)

/*
 * Starts a worker for every slot of the current generation that has none.
 * Called at start, after a reload and whenever a child is reaped, so a slot
 * is never lost.
 */
static void
refill(struct idg_config *cfg, const int *fds, struct child *kids, int *nkids,
    int generation)
{
	int slot, i;

	for (slot = 0; slot < cfg->workers; slot++) {
		bool have = false;

		for (i = 0; i < *nkids; i++)
			have = have || (kids[i].generation == generation && kids[i].slot == slot);
		if (have)
			continue;
		if (*nkids >= MAX_KIDS) {
			log_error("too many worker processes still draining; slot %d waits", slot);
			return;
		}
		kids[*nkids] = (struct child){ spawn(cfg, fds, slot), slot, generation,
		    time(NULL) };
		if (kids[*nkids].pid > 0)
			(*nkids)++;
	}
}

static bool
same_listeners(const struct idg_config *a, const struct idg_config *b)
{
	int i;

	if (a->nlisteners != b->nlisteners)
		return false;
	for (i = 0; i < a->nlisteners; i++)
		if (strcmp(a->listeners[i].address, b->listeners[i].address) != 0 ||
		    a->listeners[i].port != b->listeners[i].port)
			return false;
	return true;
}

int
idg_master_run(struct idg_config *cfg)
{
	struct child kids[MAX_KIDS];
	int fds[IDG_MAX_LISTENERS], i, nkids = 0, generation = 0;
	struct sigaction sa;
	sigset_t block, old;
	bool stopping = false;
	time_t stop_deadline = 0;

	if (cfg->workers > IDG_MAX_WORKERS)
		cfg->workers = IDG_MAX_WORKERS;
	if (migrate(cfg) != IDG_OK)
		return 1;
	for (i = 0; i < cfg->nlisteners; i++)
		if ((fds[i] = bind_listener(&cfg->listeners[i])) < 0)
			return 1;
	if (idg_metrics_init() != IDG_OK)
		return 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);

	refill(cfg, fds, kids, &nkids, generation);
	for (i = 0; i < cfg->nlisteners; i++)
		log_info("listening on %s://%s:%d%s", cfg->listeners[i].tls ? "https" : "http",
		    cfg->listeners[i].address, cfg->listeners[i].port,
		    cfg->listeners[i].client_certificates ? " (requests client certificates)" : "");
	log_info("master %d started %d workers", (int)getpid(), cfg->workers);

	while (nkids > 0 || !stopping) {
		if (stopping) {
			/* Wake up once a second to enforce the drain deadline. */
			struct timespec ts = { 1, 0 };
			sigtimedwait(&block, NULL, &ts);
			got_chld = 1;
			if (time(NULL) > stop_deadline)
				for (i = 0; i < nkids; i++)
					kill(kids[i].pid, SIGKILL);
		} else {
			sigsuspend(&old);
		}
		if (got_chld) {
			pid_t pid;
			int status;

			got_chld = 0;
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
				struct child dead;

				for (i = 0; i < nkids; i++)
					if (kids[i].pid == pid)
						break;
				if (i == nkids)
					continue;
				dead = kids[i];
				kids[i] = kids[--nkids];
				if (stopping || dead.generation != generation)
					continue;
				log_warn("worker %d (pid %d) exited (status %d); restarting",
				    dead.slot, (int)pid, status);
				if (time(NULL) - dead.started < 1)
					sleep(1);	/* no fork storm on a crash at start */
			}
			if (!stopping)
				refill(cfg, fds, kids, &nkids, generation);
		}
		if (got_hup && !stopping) {
			struct idg_config *next = malloc(sizeof(*next));
			char err[768];

			got_hup = 0;
			if (next == NULL)
				continue;
			if (idg_config_load(next, cfg->path, true, err, sizeof(err)) != IDG_OK) {
				log_error("reload refused, still running the previous "
				    "configuration: %s", err);
				free(next);
				continue;
			}
			if (!tls_ok(next)) {
				idg_config_wipe(next);
				free(next);
				continue;
			}
			if (!same_listeners(cfg, next)) {
				log_warn("listener addresses changed: that needs a restart; "
				    "keeping the current sockets");
				memcpy(next->listeners, cfg->listeners, sizeof(cfg->listeners));
				next->nlisteners = cfg->nlisteners;
			}
			if (next->workers > IDG_MAX_WORKERS)
				next->workers = IDG_MAX_WORKERS;
			generation++;
			for (i = 0; i < nkids; i++)
				kill(kids[i].pid, SIGTERM);
			idg_config_wipe(cfg);
			memcpy(cfg, next, sizeof(*cfg));
			idg_config_wipe(next);
			free(next);
			idg_config_apply_log(cfg, "master");
			refill(cfg, fds, kids, &nkids, generation);
			log_info("configuration reloaded: %d new workers, old ones draining",
			    cfg->workers);
		}
		if (got_term && !stopping) {
			stopping = true;
			stop_deadline = time(NULL) + cfg->drain_timeout_s + 5;
			log_info("stopping: draining %d workers", nkids);
			for (i = 0; i < nkids; i++)
				kill(kids[i].pid, SIGTERM);
		}
	}
	for (i = 0; i < cfg->nlisteners; i++)
		close(fds[i]);
	log_info("master stopped");
	return 0;
}
