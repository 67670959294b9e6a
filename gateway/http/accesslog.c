/*
 * accesslog.c - JSON-lines access log; see accesslog.h.
 *
 * Each line goes out in one write(2) on an O_APPEND descriptor, so lines
 * from several worker processes never interleave.
 */
#include "accesslog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../util/log.h"
#include "request.h"

struct idg_accesslog {
	int	fd;	/* -1 = off */
	int	owned;
};

struct idg_accesslog *
idg_accesslog_open(const char *path)
{
	struct idg_accesslog *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->fd = -1;
	if (path[0] == '\0')
		return a;
	if (strcmp(path, "-") == 0) {
		a->fd = STDOUT_FILENO;
		return a;
	}
	if ((a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) < 0) {
		log_error("cannot open access log %s: %s", path, strerror(errno));
		free(a);
		return NULL;
	}
	a->owned = 1;
	return a;
}

static const char *
method_name(enum idg_method m)
{
	switch (m) {
	case IDG_GET: return "GET";
	case IDG_HEAD: return "HEAD";
	case IDG_POST: return "POST";
	default: return "OTHER";
	}
}

/* Printable ASCII only: jansson refuses invalid UTF-8, and a log line must never be lost. */
static void
printable(const char *in, char *out, size_t outsz)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	out[i] = '\0';
}

void
idg_accesslog_write(struct idg_accesslog *a, const struct idg_req *r, int status,
    size_t bytes, uint64_t duration_us)
{
	char ts[64], path[sizeof(r->path)];
	struct timeval tv;
	struct tm tm;
	json_t *o;
	char *line;

	if (a == NULL || a->fd < 0)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (int)(tv.tv_usec / 1000));
	printable(r->path, path, sizeof(path));
	o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:f, s:s}", "ts", ts,
	    "ip", r->client_ip, "method", method_name(r->method), "path", path,
	    "status", status, "bytes", (json_int_t)bytes,
	    "ms", (double)duration_us / 1000.0, "tls", r->tls ? "yes" : "no");
	if (o == NULL)
		return;
	if (r->company_id[0] != '\0')
		json_object_set_new(o, "tenant", json_string(r->company_id));
	if (r->error_code != NULL)
		json_object_set_new(o, "error", json_string(r->error_code));
	if ((line = json_dumps(o, JSON_COMPACT)) != NULL) {
		size_t n = strlen(line);
		char *full = malloc(n + 2);
		if (full != NULL) {
			memcpy(full, line, n);
			full[n] = '\n';
			(void)!write(a->fd, full, n + 1);
			free(full);
		}
		free(line);
	}
	json_decref(o);
}

void
idg_accesslog_close(struct idg_accesslog *a)
{
	if (a == NULL)
		return;
	if (a->owned)
		close(a->fd);
	free(a);
}
