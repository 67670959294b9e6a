/*
 * device_bench.c - load generator for the device check, GET /t/{id}/device
 * on the listener that requests client certificates. It opens N client
 * threads (one blocking TLS connection each) against https://HOST:PORT for
 * D seconds, presents a client certificate and key (PEM files), and counts
 * answers by status and by where a 303 points (portal: the check passed and
 * the session was renewed; login: no session). It reports requests/s and
 * the latency of each request (p50, p90, p99, max), and for the modes that
 * open a connection per request, how many handshakes the server resumed.
 *
 * Modes: --full (a full TLS handshake per request, no session reuse),
 * --resume (a new TLS connection per request that offers the session of
 * the previous one: SSL_get1_session / SSL_set_session) and --keepalive
 * (one TLS connection per client thread, many requests on it).
 *
 * A successful check renews the session and deletes the old one, so a
 * session cookie works once. --cookies FILE gives one "name=value" per
 * line, each used for one request; when they run out the run stops early
 * and says so. Without --cookies no Cookie header is sent: the gateway
 * answers 303 to the sign-in page without looking at the certificate, so
 * that run measures TLS (with the client certificate) and HTTP alone.
 *
 * --prepare N signs in N times on the main listener (GET the sign-in page
 * once for the CSRF cookie and token, then POST the form) and writes the
 * session cookies to --out for a later run. It needs a gateway whose
 * sign-in rate limits are high and whose argon2 cost is low.
 *
 * What it is not: a test. It prints figures and never fails on a timing;
 * it exits non-zero only for bad arguments or unreadable files. It does
 * not verify the server's certificate (loopback benchmark only).
 *
 *   device_bench --port P --company ID --cert C.pem --key K.pem
 *       (--full | --resume | --keepalive) [--cookies FILE] [--conns 32]
 *       [--duration 10] [--tls12] [--host 127.0.0.1] [--pids PID,PID... |
 *       --pid-file F]
 *   device_bench --prepare N --main-port P --company ID --email E
 *       --password-file F --out FILE [--conns 8] [--host 127.0.0.1]
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_CONNS	1024
#define MAX_RESP_BYTES	(1 << 20)	/* an answer larger than this is an error */
#define MAX_COOKIE	512
#define MAX_SAMPLES	(64L << 20)	/* latency samples kept per thread */
#define IO_TIMEOUT_S	10

enum mode { M_NONE, M_FULL, M_RESUME, M_KEEPALIVE };

struct opts {
	const char	*host;
	int		 port;
	const char	*company;
	const char	*cert, *key;
	const char	*cookies;
	int		 conns;
	double		 duration_s;
	enum mode	 mode;
	bool		 tls12;
	const char	*pids;
	const char	*pid_file;
	/* --prepare */
	long		 prepare;
	int		 main_port;
	const char	*email;
	const char	*password_file;
	const char	*out;
};

/* One answer: status, the headers we care about, the body (in the conn buffer). */
struct resp {
	int		 status;
	bool		 close;
	char		 location[512];
	char		 cookie[MAX_COOKIE];	/* value of the Set-Cookie named `want` */
	const char	*body;
	size_t		 body_len;
};

struct conn {
	int	 fd;
	SSL	*ssl;
	char	*buf;		/* MAX_RESP_BYTES + 1 */
	size_t	 len;
};

/* Per-thread results, merged after the run. */
struct tstats {
	long		 status[600];	/* by HTTP status; 0 = unparsable */
	long		 to_portal, to_login, to_other;	/* 303 targets */
	long		 errors;	/* connect, TLS or I/O failures */
	long		 handshakes, resumed;
	uint32_t	*lat_us;
	long		 nlat, caplat;
	bool		 oom;
};

struct shared {
	const struct opts	*o;
	SSL_CTX			*ctx;
	char			 req_head[256];	/* request line + Host */
	char			 cookie_name[64];
	char			**cookies;
	long			 ncookies;
	atomic_long		 next_cookie;
	atomic_bool		 exhausted;
	atomic_bool		 stop;
	double			 deadline;
	double			 exhausted_at;
	pthread_mutex_t		 mu;
	/* --prepare */
	char			 form[4096];
	char			 csrf_cookie[MAX_COOKIE];
	char			**made;
	atomic_long		 next_signin;
	atomic_long		 failed;
};

struct worker {
	pthread_t	 tid;
	struct shared	*sh;
	struct tstats	 st;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: device_bench --port P --company ID --cert C.pem --key K.pem\n"
	    "           (--full | --resume | --keepalive) [--cookies FILE] [--conns N]\n"
	    "           [--duration S] [--tls12] [--host A] [--pids P,P... | --pid-file F]\n"
	    "       device_bench --prepare N --main-port P --company ID --email E\n"
	    "           --password-file F --out FILE [--conns N] [--host A]\n");
	exit(2);
}

static long
num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		usage();
	return v;
}

/* ---- connections ---- */

static int
tcp_connect(const char *host, int port)
{
	struct sockaddr_in sa;
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	int fd, one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
conn_close(struct conn *c)
{
	if (c->ssl != NULL) {
		/* close_notify without waiting for the peer's: the answer is read. */
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
	ERR_clear_error();
}

/* Connects and shakes hands, offering sess when given. 0 or -1. */
static int
conn_open(struct conn *c, SSL_CTX *ctx, const char *host, int port, SSL_SESSION *sess)
{
	c->len = 0;
	if ((c->fd = tcp_connect(host, port)) < 0)
		return -1;
	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    (sess != NULL && SSL_set_session(c->ssl, sess) != 1) || SSL_connect(c->ssl) != 1) {
		conn_close(c);
		return -1;
	}
	return 0;
}

static int
write_all(SSL *ssl, const char *p, size_t n)
{
	while (n > 0) {
		int k = SSL_write(ssl, p, n > INT_MAX ? INT_MAX : (int)n);

		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Reads more into c->buf; the number of bytes read, 0 at EOF, -1 on error. */
static int
fill(struct conn *c)
{
	int k;

	if (c->len >= MAX_RESP_BYTES)
		return -1;
	k = SSL_read(c->ssl, c->buf + c->len, (int)(MAX_RESP_BYTES - c->len));
	if (k > 0) {
		c->len += (size_t)k;
		c->buf[c->len] = '\0';
		return k;
	}
	if (SSL_get_error(c->ssl, k) == SSL_ERROR_ZERO_RETURN)
		return 0;
	return -1;
}

/* Copies the header value that starts at v (up to CRLF) into out. */
static void
header_value(const char *v, const char *eol, char *out, size_t outsz)
{
	size_t n;

	while (v < eol && (*v == ' ' || *v == '\t'))
		v++;
	n = (size_t)(eol - v);
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

/*
 * Reads one answer on c: status line, headers (Content-Length,
 * Connection, Location, Set-Cookie `want`), then the body by its
 * Content-Length, or to EOF without one. Chunked answers are not
 * expected from the device check and count as errors. 0 or -1.
 */
static int
read_response(struct conn *c, const char *want, struct resp *r)
{
	char *hend, *p, *eol;
	long clen = -1;
	size_t need, wlen = want != NULL ? strlen(want) : 0;
	bool chunked = false;
	int k;

	memset(r, 0, sizeof(*r));
	c->len = 0;
	c->buf[0] = '\0';
	while ((hend = strstr(c->buf, "\r\n\r\n")) == NULL)
		if (fill(c) <= 0)
			return -1;
	if (strncmp(c->buf, "HTTP/1.", 7) != 0 || c->len < 12)
		return -1;
	r->status = (int)strtol(c->buf + 9, NULL, 10);
	if (r->status < 100 || r->status > 599)
		r->status = 0;
	for (p = strstr(c->buf, "\r\n") + 2; p < hend; p = eol + 2) {
		eol = strstr(p, "\r\n");
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			clen = strtol(p + 15, NULL, 10);
		else if (strncasecmp(p, "Connection:", 11) == 0) {
			char v[32];

			header_value(p + 11, eol, v, sizeof(v));
			r->close = strcasecmp(v, "close") == 0;
		} else if (strncasecmp(p, "Transfer-Encoding:", 18) == 0)
			chunked = true;
		else if (strncasecmp(p, "Location:", 9) == 0)
			header_value(p + 9, eol, r->location, sizeof(r->location));
		else if (want != NULL && strncasecmp(p, "Set-Cookie:", 11) == 0) {
			char v[MAX_COOKIE + 64], *semi;

			header_value(p + 11, eol, v, sizeof(v));
			if (strncmp(v, want, wlen) == 0 && v[wlen] == '=') {
				if ((semi = strchr(v, ';')) != NULL)
					*semi = '\0';
				snprintf(r->cookie, sizeof(r->cookie), "%s", v + wlen + 1);
			}
		}
	}
	if (chunked || clen > MAX_RESP_BYTES / 2)
		return -1;
	r->body = hend + 4;
	need = (size_t)(hend + 4 - c->buf);
	if (clen >= 0) {
		need += (size_t)clen;
		while (c->len < need)
			if (fill(c) <= 0)
				return -1;
		r->body_len = (size_t)clen;
	} else {
		while ((k = fill(c)) > 0)
			;
		if (k < 0)
			return -1;
		r->close = true;
		r->body_len = c->len - need;
	}
	return 0;
}

/* ---- results ---- */

static void
record(struct tstats *st, const struct resp *r, double dt)
{
	uint32_t us = dt * 1e6 > 4e9 ? 4000000000u : (uint32_t)(dt * 1e6);

	st->status[r->status]++;
	if (r->status == 303) {
		if (strstr(r->location, "/portal") != NULL)
			st->to_portal++;
		else if (strstr(r->location, "/login") != NULL)
			st->to_login++;
		else
			st->to_other++;
	}
	if (st->nlat == st->caplat) {
		long cap = st->caplat == 0 ? 65536 : st->caplat * 2;
		uint32_t *n;

		if (cap > MAX_SAMPLES || (n = realloc(st->lat_us, (size_t)cap *
		    sizeof(*n))) == NULL) {
			st->oom = true;
			return;
		}
		st->lat_us = n;
		st->caplat = cap;
	}
	st->lat_us[st->nlat++] = us;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct_ms(const uint32_t *v, long n, double p)
{
	long i;

	if (n == 0)
		return 0;
	i = (long)(p * (double)n);
	if (i >= n)
		i = n - 1;
	return v[i] / 1e3;
}

/* Total VmRSS (KiB) of the listed processes; -1 when none could be read. */
static long
rss_kib(const struct opts *o, char *list, size_t listsz)
{
	char pids[1024], line[256], path[64], *p, *end;
	long total = -1;
	FILE *f;

	list[0] = '\0';
	pids[0] = '\0';
	if (o->pids != NULL)
		snprintf(pids, sizeof(pids), "%s", o->pids);
	else if (o->pid_file != NULL && (f = fopen(o->pid_file, "r")) != NULL) {
		size_t n = fread(pids, 1, sizeof(pids) - 1, f);

		pids[n] = '\0';
		fclose(f);
	}
	for (p = pids; *p != '\0'; p = end) {
		long pid, kib = -1;

		while (*p != '\0' && !isdigit((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		pid = strtol(p, &end, 10);
		snprintf(path, sizeof(path), "/proc/%ld/status", pid);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "VmRSS:", 6) == 0)
				kib = strtol(line + 6, NULL, 10);
		fclose(f);
		if (kib < 0)
			continue;
		total = (total < 0 ? 0 : total) + kib;
		snprintf(list + strlen(list), listsz - strlen(list), "%s%ld: %ld",
		    list[0] != '\0' ? ", " : "", pid, kib);
	}
	return total;
}

/* CPU seconds (user + system) of the listed processes, from /proc/PID/stat. */
static double
procs_cpu_s(const struct opts *o)
{
	char pids[1024], line[1024], path[64], *p, *end, *f14;
	long tck = sysconf(_SC_CLK_TCK);
	double total = 0;
	FILE *f;
	int k;

	pids[0] = '\0';
	if (o->pids != NULL)
		snprintf(pids, sizeof(pids), "%s", o->pids);
	else if (o->pid_file != NULL && (f = fopen(o->pid_file, "r")) != NULL) {
		size_t n = fread(pids, 1, sizeof(pids) - 1, f);

		pids[n] = '\0';
		fclose(f);
	}
	for (p = pids; *p != '\0'; p = end) {
		long pid;

		while (*p != '\0' && !isdigit((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		pid = strtol(p, &end, 10);
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(line, sizeof(line), f) != NULL && (f14 = strrchr(line, ')')) != NULL) {
			/* After "pid (comm)": field 3 is the state; utime, stime are 14, 15. */
			for (k = 2; k < 14 && f14 != NULL; k++)
				f14 = strchr(f14 + 1, ' ');
			if (f14 != NULL) {
				unsigned long long ut, st;

				if (sscanf(f14, " %llu %llu", &ut, &st) == 2)
					total += (double)(ut + st) / (double)tck;
			}
		}
		fclose(f);
	}
	return total;
}

static double
self_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ---- the device check load ---- */

/* The next unused cookie, or NULL when they are all used (the run then stops). */
static const char *
take_cookie(struct shared *sh)
{
	long i = atomic_fetch_add(&sh->next_cookie, 1);

	if (i < sh->ncookies)
		return sh->cookies[i];
	if (!atomic_exchange(&sh->exhausted, true)) {
		pthread_mutex_lock(&sh->mu);
		sh->exhausted_at = now_s();
		pthread_mutex_unlock(&sh->mu);
	}
	atomic_store(&sh->stop, true);
	return NULL;
}

static void *
load_thread(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	const struct opts *o = sh->o;
	struct conn c = { -1, NULL, NULL, 0 };
	SSL_SESSION *sess = NULL;
	char req[1024];
	struct resp r;
	int n;

	if ((c.buf = malloc(MAX_RESP_BYTES + 1)) == NULL) {
		w->st.oom = true;
		return NULL;
	}
	while (!atomic_load(&sh->stop) && now_s() < sh->deadline) {
		const char *cookie = NULL;
		double t0;

		if (sh->cookies != NULL && (cookie = take_cookie(sh)) == NULL)
			break;
		n = snprintf(req, sizeof(req), "%s%s%s%s\r\n\r\n", sh->req_head,
		    cookie != NULL ? "\r\nCookie: " : "", cookie != NULL ? cookie : "",
		    o->mode == M_KEEPALIVE ? "" : "\r\nConnection: close");
		if (n < 0 || (size_t)n >= sizeof(req)) {
			w->st.errors++;
			continue;
		}
		t0 = now_s();
		if (c.ssl == NULL) {
			if (conn_open(&c, sh->ctx, o->host, o->port,
			    o->mode == M_RESUME ? sess : NULL) != 0) {
				w->st.errors++;
				continue;
			}
			w->st.handshakes++;
			if (SSL_session_reused(c.ssl))
				w->st.resumed++;
		}
		if (write_all(c.ssl, req, (size_t)n) != 0 ||
		    read_response(&c, NULL, &r) != 0) {
			w->st.errors++;
			conn_close(&c);
			continue;
		}
		record(&w->st, &r, now_s() - t0);
		if (o->mode == M_RESUME) {
			/* TLS 1.3 tickets arrive after the handshake: take the newest. */
			SSL_SESSION *s = SSL_get1_session(c.ssl);

			if (s != NULL && SSL_SESSION_is_resumable(s)) {
				SSL_SESSION_free(sess);
				sess = s;
			} else
				SSL_SESSION_free(s);
		}
		if (o->mode != M_KEEPALIVE || r.close)
			conn_close(&c);
	}
	conn_close(&c);
	SSL_SESSION_free(sess);
	free(c.buf);
	return NULL;
}

static char **
read_cookies(const char *file, long *n)
{
	char line[MAX_COOKIE + 64], **v = NULL, **nv;
	long cap = 0;
	FILE *f;

	*n = 0;
	if ((f = fopen(file, "r")) == NULL) {
		fprintf(stderr, "device_bench: %s: %s\n", file, strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strchr(line, '=') == NULL)
			continue;
		if (*n == cap) {
			cap = cap == 0 ? 1024 : cap * 2;
			if ((nv = realloc(v, (size_t)cap * sizeof(*v))) == NULL)
				exit(1);
			v = nv;
		}
		if ((v[*n] = strdup(line)) == NULL)
			exit(1);
		(*n)++;
	}
	fclose(f);
	return v;
}

static const char *
mode_text(enum mode m)
{
	switch (m) {
	case M_FULL:
		return "full: a new TLS connection and a full handshake per request";
	case M_RESUME:
		return "resume: a new TLS connection per request, offering the previous "
		    "connection's session";
	case M_KEEPALIVE:
		return "keepalive: one TLS connection per client, many requests";
	default:
		return "?";
	}
}

static int
run_load(const struct opts *o)
{
	struct shared sh;
	struct worker *w;
	struct tstats t;
	char rss_list[1024];
	long rss0, rss1, i, k, total;
	double t0, t1;
	uint32_t *all;
	bool failed = false;
	double cpu_gw0, cpu_me0;

	memset(&sh, 0, sizeof(sh));
	sh.o = o;
	pthread_mutex_init(&sh.mu, NULL);
	snprintf(sh.req_head, sizeof(sh.req_head), "GET /t/%s/device HTTP/1.1\r\nHost: %s:%d",
	    o->company, o->host, o->port);
	if (o->cookies != NULL)
		sh.cookies = read_cookies(o->cookies, &sh.ncookies);
	if ((sh.ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return 1;
	SSL_CTX_set_min_proto_version(sh.ctx, TLS1_2_VERSION);
	if (o->tls12)
		SSL_CTX_set_max_proto_version(sh.ctx, TLS1_2_VERSION);
	/* Loopback benchmark: the server's certificate is not checked. */
	SSL_CTX_set_verify(sh.ctx, SSL_VERIFY_NONE, NULL);
	if (SSL_CTX_use_certificate_chain_file(sh.ctx, o->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sh.ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(sh.ctx) != 1) {
		fprintf(stderr, "device_bench: client certificate %s / key %s do not load\n",
		    o->cert, o->key);
		return 1;
	}
	if ((w = calloc((size_t)o->conns, sizeof(*w))) == NULL)
		return 1;
	rss0 = rss_kib(o, rss_list, sizeof(rss_list));
	cpu_gw0 = procs_cpu_s(o);
	cpu_me0 = self_cpu_s();
	t0 = now_s();
	sh.deadline = t0 + o->duration_s;
	for (i = 0; i < o->conns; i++) {
		w[i].sh = &sh;
		if (pthread_create(&w[i].tid, NULL, load_thread, &w[i]) != 0) {
			fprintf(stderr, "device_bench: pthread_create failed\n");
			atomic_store(&sh.stop, true);
			failed = true;
			break;
		}
	}
	for (k = 0; k < i; k++)
		pthread_join(w[k].tid, NULL);
	if (failed)
		return 1;
	t1 = atomic_load(&sh.exhausted) ? sh.exhausted_at : now_s();
	if (t1 < t0 + 1e-3)
		t1 = now_s();

	memset(&t, 0, sizeof(t));
	for (i = 0, total = 0; i < o->conns; i++)
		total += w[i].st.nlat;
	if ((all = malloc((size_t)(total > 0 ? total : 1) * sizeof(*all))) == NULL)
		return 1;
	for (i = 0, total = 0; i < o->conns; i++) {
		for (k = 0; k < 600; k++)
			t.status[k] += w[i].st.status[k];
		t.to_portal += w[i].st.to_portal;
		t.to_login += w[i].st.to_login;
		t.to_other += w[i].st.to_other;
		t.errors += w[i].st.errors;
		t.handshakes += w[i].st.handshakes;
		t.resumed += w[i].st.resumed;
		t.oom |= w[i].st.oom;
		memcpy(all + total, w[i].st.lat_us, (size_t)w[i].st.nlat * sizeof(*all));
		total += w[i].st.nlat;
		free(w[i].st.lat_us);
	}
	qsort(all, (size_t)total, sizeof(*all), cmp_u32);

	printf("mode: %s\n", mode_text(o->mode));
	printf("  %d client threads, %.1f s asked, %s, %s\n", o->conns, o->duration_s,
	    o->tls12 ? "TLS 1.2 only" : "TLS 1.2-1.3 offered",
	    o->cookies != NULL ? "one prepared session cookie per request (used once)" :
	    "no Cookie header (the gateway answers 303 to the sign-in page without "
	    "reading the certificate)");
	printf("  answers: %ld in %.2f s = %.1f req/s\n", total, t1 - t0,
	    (double)total / (t1 - t0));
	printf("  by status:");
	for (k = 0; k < 600; k++)
		if (t.status[k] > 0)
			printf(" %ld: %ld", k, t.status[k]);
	printf("; 303 to portal (check passed, session renewed) %ld, to login (no session) "
	    "%ld, elsewhere %ld; connection/TLS/IO errors %ld\n", t.to_portal, t.to_login,
	    t.to_other, t.errors);
	if (o->mode != M_KEEPALIVE)
		printf("  handshakes: %ld, resumed by the server %ld (%.1f%%)\n", t.handshakes,
		    t.resumed, t.handshakes > 0 ? 100.0 * (double)t.resumed /
		    (double)t.handshakes : 0.0);
	else
		printf("  connections opened: %ld\n", t.handshakes);
	printf("  latency per request (%s): p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, "
	    "max %.2f ms\n", o->mode == M_KEEPALIVE ? "request written to answer read" :
	    "connect + handshake + request + answer", pct_ms(all, total, 0.50),
	    pct_ms(all, total, 0.90), pct_ms(all, total, 0.99),
	    total > 0 ? all[total - 1] / 1e3 : 0.0);
	if (sh.cookies != NULL) {
		long used = atomic_load(&sh.next_cookie);

		printf("  cookies: %ld prepared, %ld used%s\n", sh.ncookies,
		    used < sh.ncookies ? used : sh.ncookies,
		    atomic_load(&sh.exhausted) ? "; ALL USED: the run stopped early, the "
		    "rate covers the time until then" : "");
	}
	printf("  CPU used during the run: this client %.2f s", self_cpu_s() - cpu_me0);
	if (o->pids != NULL || o->pid_file != NULL) {
		double gw = procs_cpu_s(o) - cpu_gw0;

		printf(", gateway processes %.2f s (over %.2f s of wall time, %ld cores); "
		    "%.3f ms of gateway CPU per answer", gw, now_s() - t0,
		    sysconf(_SC_NPROCESSORS_ONLN), total > 0 ? gw * 1e3 / (double)total : 0.0);
	}
	printf("\n");
	if (t.oom)
		printf("  note: out of memory for latency samples; some were not kept\n");
	rss1 = rss_kib(o, rss_list, sizeof(rss_list));
	if (rss0 >= 0 || rss1 >= 0)
		printf("  gateway RSS: before %ld KiB, after %ld KiB (%s)\n", rss0, rss1,
		    rss_list);
	free(all);
	free(w);
	for (i = 0; i < sh.ncookies; i++)
		free(sh.cookies[i]);
	free(sh.cookies);
	SSL_CTX_free(sh.ctx);
	return 0;
}

/* ---- --prepare: many sign-ins, their cookies written to a file ---- */

static void
form_escape(char *out, size_t outsz, const char *in)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *in != '\0' && n + 4 < outsz; in++) {
		unsigned char ch = (unsigned char)*in;

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~')
			out[n++] = (char)ch;
		else {
			out[n++] = '%';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		}
	}
	out[n] = '\0';
}

static void *
prepare_thread(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	const struct opts *o = sh->o;
	struct conn c = { -1, NULL, NULL, 0 };
	char req[5120];
	struct resp r;
	long i;
	int n;

	memset(&r, 0, sizeof(r));
	if ((c.buf = malloc(MAX_RESP_BYTES + 1)) == NULL)
		return NULL;
	n = snprintf(req, sizeof(req), "POST /t/%s/login HTTP/1.1\r\nHost: %s:%d\r\n"
	    "Cookie: __Host-idgate-csrf=%s\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
	    o->company, o->host, o->main_port, sh->csrf_cookie, strlen(sh->form), sh->form);
	while (n > 0 && (size_t)n < sizeof(req) && (i = atomic_fetch_add(&sh->next_signin,
	    1)) < o->prepare) {
		int tries;

		for (tries = 0; tries < 3; tries++) {
			if (c.ssl == NULL && conn_open(&c, sh->ctx, o->host, o->main_port,
			    NULL) != 0)
				continue;
			if (write_all(c.ssl, req, (size_t)n) != 0 ||
			    read_response(&c, sh->cookie_name, &r) != 0) {
				conn_close(&c);
				continue;
			}
			if (r.close)
				conn_close(&c);
			break;
		}
		if (tries == 3 || r.status != 303 || r.cookie[0] == '\0') {
			if (atomic_fetch_add(&sh->failed, 1) < 3)
				fprintf(stderr, "device_bench: sign-in %ld: %s %d\n", i,
				    tries == 3 ? "no answer" : "status", tries == 3 ? 0 : r.status);
			continue;
		}
		sh->made[i] = strdup(r.cookie);
	}
	conn_close(&c);
	free(c.buf);
	return NULL;
}

static int
run_prepare(struct opts *o)
{
	char pw[512], e_email[1024], e_pw[1600], *p, *q;
	struct conn c = { -1, NULL, NULL, 0 };
	struct shared sh;
	struct worker *w;
	struct resp r;
	long i, k, made = 0;
	double t0, dt;
	FILE *f;

	memset(&sh, 0, sizeof(sh));
	sh.o = o;
	snprintf(sh.cookie_name, sizeof(sh.cookie_name), "__Host-idgate-%s", o->company);
	if ((f = fopen(o->password_file, "r")) == NULL || fgets(pw, sizeof(pw), f) == NULL) {
		fprintf(stderr, "device_bench: cannot read %s\n", o->password_file);
		return 1;
	}
	fclose(f);
	pw[strcspn(pw, "\r\n")] = '\0';
	if ((sh.ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    (c.buf = malloc(MAX_RESP_BYTES + 1)) == NULL)
		return 1;
	SSL_CTX_set_verify(sh.ctx, SSL_VERIFY_NONE, NULL);

	/* The CSRF pair of the sign-in form; the token is a MAC of the cookie, reusable. */
	{
		char get[512];
		int n = snprintf(get, sizeof(get), "GET /t/%s/login HTTP/1.1\r\nHost: %s:%d\r\n"
		    "Connection: close\r\n\r\n", o->company, o->host, o->main_port);

		if (conn_open(&c, sh.ctx, o->host, o->main_port, NULL) != 0 ||
		    write_all(c.ssl, get, (size_t)n) != 0 ||
		    read_response(&c, "__Host-idgate-csrf", &r) != 0 || r.status != 200 ||
		    r.cookie[0] == '\0') {
			fprintf(stderr, "device_bench: GET /t/%s/login failed\n", o->company);
			return 1;
		}
	}
	snprintf(sh.csrf_cookie, sizeof(sh.csrf_cookie), "%s", r.cookie);
	if ((p = strstr(r.body, "name=\"csrf\" value=\"")) == NULL ||
	    (q = strchr(p + 19, '"')) == NULL || q - (p + 19) > 200) {
		fprintf(stderr, "device_bench: no CSRF token in the sign-in page\n");
		return 1;
	}
	*q = '\0';
	form_escape(e_email, sizeof(e_email), o->email);
	form_escape(e_pw, sizeof(e_pw), pw);
	snprintf(sh.form, sizeof(sh.form), "email=%s&password=%s&csrf=%s", e_email, e_pw,
	    p + 19);
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(e_pw, sizeof(e_pw));
	conn_close(&c);
	free(c.buf);

	if ((sh.made = calloc((size_t)o->prepare, sizeof(*sh.made))) == NULL ||
	    (w = calloc((size_t)o->conns, sizeof(*w))) == NULL)
		return 1;
	t0 = now_s();
	for (i = 0; i < o->conns; i++) {
		w[i].sh = &sh;
		if (pthread_create(&w[i].tid, NULL, prepare_thread, &w[i]) != 0)
			break;
	}
	for (k = 0; k < i; k++)
		pthread_join(w[k].tid, NULL);
	dt = now_s() - t0;
	OPENSSL_cleanse(sh.form, sizeof(sh.form));
	if ((f = fopen(o->out, "w")) == NULL) {
		fprintf(stderr, "device_bench: %s: %s\n", o->out, strerror(errno));
		return 1;
	}
	for (i = 0; i < o->prepare; i++) {
		if (sh.made[i] == NULL)
			continue;
		fprintf(f, "%s=%s\n", sh.cookie_name, sh.made[i]);
		free(sh.made[i]);
		made++;
	}
	fclose(f);
	printf("prepared %ld session cookies in %.1f s (%.0f sign-ins/s, %d connections, "
	    "%ld failed) -> %s\n", made, dt, (double)made / dt, o->conns,
	    atomic_load(&sh.failed), o->out);
	free(sh.made);
	free(w);
	SSL_CTX_free(sh.ctx);
	return made > 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct opts o;
	int i;

	memset(&o, 0, sizeof(o));
	o.host = "127.0.0.1";
	o.conns = -1;
	o.duration_s = 10;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--full") == 0)
			o.mode = M_FULL;
		else if (strcmp(a, "--resume") == 0)
			o.mode = M_RESUME;
		else if (strcmp(a, "--keepalive") == 0)
			o.mode = M_KEEPALIVE;
		else if (strcmp(a, "--tls12") == 0)
			o.tls12 = true;
		else if (v == NULL)
			usage();
		else {
			i++;
			if (strcmp(a, "--host") == 0)
				o.host = v;
			else if (strcmp(a, "--port") == 0)
				o.port = (int)num(v, 1, 65535);
			else if (strcmp(a, "--main-port") == 0)
				o.main_port = (int)num(v, 1, 65535);
			else if (strcmp(a, "--company") == 0)
				o.company = v;
			else if (strcmp(a, "--cert") == 0)
				o.cert = v;
			else if (strcmp(a, "--key") == 0)
				o.key = v;
			else if (strcmp(a, "--cookies") == 0)
				o.cookies = v;
			else if (strcmp(a, "--conns") == 0)
				o.conns = (int)num(v, 1, MAX_CONNS);
			else if (strcmp(a, "--duration") == 0)
				o.duration_s = (double)num(v, 1, 3600);
			else if (strcmp(a, "--pids") == 0)
				o.pids = v;
			else if (strcmp(a, "--pid-file") == 0)
				o.pid_file = v;
			else if (strcmp(a, "--prepare") == 0)
				o.prepare = num(v, 1, 10000000);
			else if (strcmp(a, "--email") == 0)
				o.email = v;
			else if (strcmp(a, "--password-file") == 0)
				o.password_file = v;
			else if (strcmp(a, "--out") == 0)
				o.out = v;
			else
				usage();
		}
	}
	if (o.company == NULL || strlen(o.company) > 32 ||
	    strspn(o.company, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(o.company))
		usage();
	if (o.prepare > 0) {
		if (o.main_port == 0 || o.email == NULL || o.password_file == NULL ||
		    o.out == NULL)
			usage();
		if (o.conns < 0)
			o.conns = 8;
		return run_prepare(&o);
	}
	if (o.port == 0 || o.cert == NULL || o.key == NULL || o.mode == M_NONE)
		usage();
	if (o.conns < 0)
		o.conns = 32;
	return run_load(&o);
}
