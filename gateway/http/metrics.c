/*
 * metrics.c - shared-memory Prometheus counters; see metrics.h.
 */
#include "metrics.h"

#include <stdlib.h>
#include <sys/mman.h>

#include "../util/buf.h"
#include "../util/log.h"
#include "../util/status.h"

static const int statuses[] = {
	200, 201, 204, 301, 302, 303, 304, 400, 401, 403, 404, 405, 408, 409, 413,
	429, 431, 500, 501, 502, 503, 504,
};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]) + 1)	/* + other */

static const double buckets_s[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};
#define NBUCKETS (sizeof(buckets_s) / sizeof(buckets_s[0]))

static const char *const route_names[IDG_R__COUNT] = {
	"other", "healthz", "readyz", "metrics", "static", "login_global", "login",
	"portal", "session", "logout", "password", "oidc_discovery", "oidc_jwks",
	"oidc_authorize", "oidc_token", "oidc_userinfo", "oidc_revoke", "oidc_introspect",
	"oidc_end_session", "mfa", "reports", "operator", "device_check", "devices", "certs",
	"saml_metadata", "saml_sso", "saml_slo", "saml_launch",
};

static const struct {
	const char *name, *help;
} counter_info[IDG_M__COUNT] = {
	{ "idgate_signins_total{result=\"ok\"}", NULL },
	{ "idgate_signins_total{result=\"failed\"}", NULL },
	{ "idgate_signins_total{result=\"locked\"}", NULL },
	{ "idgate_signins_total{result=\"rate_limited\"}", NULL },
	{ "idgate_redis_errors_total", "Redis commands that failed or timed out, and lost connections." },
	{ "idgate_store_errors_total", "Store operations that failed." },
	{ "idgate_sessions_created_total", "Sessions created at sign-in." },
	{ "idgate_directory_reloads_total", "Directory snapshots rebuilt after a store change." },
};

struct region {
	uint64_t counters[IDG_M__COUNT];
	uint64_t requests[IDG_R__COUNT][NSTATUS];
	uint64_t hist[IDG_R__COUNT][NBUCKETS];	/* non-cumulative */
	uint64_t hist_count[IDG_R__COUNT];
	uint64_t hist_sum_us[IDG_R__COUNT];
	int64_t  queue_depth[IDG_MAX_WORKERS];
};

static struct region local_region;
static struct region *m = &local_region;

int
idg_metrics_init(void)
{
	void *p = mmap(NULL, sizeof(struct region), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		log_error("mmap of the metrics region failed");
		return IDG_ERR;
	}
	m = p;
	return IDG_OK;
}

#define ADD(x, v) __atomic_add_fetch(&(x), (v), __ATOMIC_RELAXED)
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

void
idg_metrics_inc(enum idg_counter c)
{
	if ((unsigned)c < IDG_M__COUNT)
		ADD(m->counters[c], 1);
}

uint64_t
idg_metrics_get(enum idg_counter c)
{
	return (unsigned)c < IDG_M__COUNT ? LOAD(m->counters[c]) : 0;
}

void
idg_metrics_request(enum idg_route route, int status, uint64_t latency_us)
{
	size_t i, si = NSTATUS - 1, bi = NBUCKETS;

	if ((unsigned)route >= IDG_R__COUNT)
		route = IDG_R_OTHER;
	for (i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status) {
			si = i;
			break;
		}
	ADD(m->requests[route][si], 1);
	for (i = 0; i < NBUCKETS; i++)
		if ((double)latency_us <= buckets_s[i] * 1e6) {
			bi = i;
			break;
		}
	if (bi < NBUCKETS)
		ADD(m->hist[route][bi], 1);
	ADD(m->hist_count[route], 1);
	ADD(m->hist_sum_us[route], latency_us);
}

void
idg_metrics_queue_depth(int slot, int depth)
{
	if (slot >= 0 && slot < IDG_MAX_WORKERS)
		__atomic_store_n(&m->queue_depth[slot], depth, __ATOMIC_RELAXED);
}

int
idg_metrics_render(struct idg_buf *b)
{
	size_t r, i;
	int64_t depth = 0;

	idg_buf_adds(b, "# HELP idgate_http_requests_total HTTP requests by route and status.\n"
	    "# TYPE idgate_http_requests_total counter\n");
	for (r = 0; r < IDG_R__COUNT; r++)
		for (i = 0; i < NSTATUS; i++) {
			uint64_t v = LOAD(m->requests[r][i]);
			if (v == 0)
				continue;
			if (i < NSTATUS - 1)
				idg_buf_printf(b, "idgate_http_requests_total{route=\"%s\","
				    "status=\"%d\"} %llu\n", route_names[r], statuses[i],
				    (unsigned long long)v);
			else
				idg_buf_printf(b, "idgate_http_requests_total{route=\"%s\","
				    "status=\"other\"} %llu\n", route_names[r],
				    (unsigned long long)v);
		}
	idg_buf_adds(b, "# HELP idgate_http_request_duration_seconds Time from request "
	    "received to response queued.\n"
	    "# TYPE idgate_http_request_duration_seconds histogram\n");
	for (r = 0; r < IDG_R__COUNT; r++) {
		uint64_t cum = 0, count = LOAD(m->hist_count[r]);

		if (count == 0)
			continue;
		for (i = 0; i < NBUCKETS; i++) {
			cum += LOAD(m->hist[r][i]);
			idg_buf_printf(b, "idgate_http_request_duration_seconds_bucket{route="
			    "\"%s\",le=\"%g\"} %llu\n", route_names[r], buckets_s[i],
			    (unsigned long long)cum);
		}
		idg_buf_printf(b, "idgate_http_request_duration_seconds_bucket{route=\"%s\","
		    "le=\"+Inf\"} %llu\n", route_names[r], (unsigned long long)count);
		idg_buf_printf(b, "idgate_http_request_duration_seconds_sum{route=\"%s\"} "
		    "%.6f\n", route_names[r], (double)LOAD(m->hist_sum_us[r]) / 1e6);
		idg_buf_printf(b, "idgate_http_request_duration_seconds_count{route=\"%s\"} "
		    "%llu\n", route_names[r], (unsigned long long)count);
	}
	idg_buf_adds(b, "# HELP idgate_signins_total Password sign-in attempts by result.\n"
	    "# TYPE idgate_signins_total counter\n");
	for (i = 0; i < IDG_M__COUNT; i++) {
		if (counter_info[i].help != NULL) {
			char name[64];
			size_t n = 0;
			while (counter_info[i].name[n] != '\0' && counter_info[i].name[n] != '{' &&
			    n < sizeof(name) - 1) {
				name[n] = counter_info[i].name[n];
				n++;
			}
			name[n] = '\0';
			idg_buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", name,
			    counter_info[i].help, name);
		}
		idg_buf_printf(b, "%s %llu\n", counter_info[i].name,
		    (unsigned long long)LOAD(m->counters[i]));
	}
	for (i = 0; i < IDG_MAX_WORKERS; i++)
		depth += __atomic_load_n(&m->queue_depth[i], __ATOMIC_RELAXED);
	return idg_buf_printf(b, "# HELP idgate_workpool_queue_depth Jobs waiting for a "
	    "work-pool thread, all workers.\n# TYPE idgate_workpool_queue_depth gauge\n"
	    "idgate_workpool_queue_depth %lld\n", (long long)depth);
}
