/*
 * health.c - /healthz (the process answers), /readyz (Redis and the store
 * are reachable) and /metrics (Prometheus text format 0.0.4).
 *
 * /healthz touches nothing but the loop, so it keeps answering while Redis
 * or the store is down; /readyz is what a load balancer should use.
 */
#include <time.h>

#include "../http/request.h"
#include "../http/server.h"
#include "../session/redis.h"
#include "../util/buf.h"
#include "../util/cidr.h"
#include "../util/clock.h"
#include "../util/status.h"
#include "handlers.h"

void
idg_h_healthz(struct idg_req *r)
{
	idg_reply(r, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

void
idg_h_readyz(struct idg_req *r)
{
	struct idg_worker *w = r->w;
	bool redis_up = idg_redis_connected(w->redis);
	/* The directory poll reads the store every refresh interval. */
	int64_t stale_s = 3 * (int64_t)w->cfg->directory_refresh_ms / 1000 + 2;
	bool store_up = w->dir != NULL && idg_now() - w->dir_ok_at <= stale_s;
	bool ready = redis_up && store_up && !w->draining;
	struct idg_buf b;

	idg_buf_init(&b, 256);
	idg_buf_printf(&b, "{\"status\":\"%s\",\"redis\":\"%s\",\"store\":\"%s\"}\n",
	    ready ? "ready" : "not_ready", redis_up ? "up" : "down", store_up ? "up" : "down");
	idg_reply_json(r, ready ? 200 : 503, &b);
}

void
idg_h_metrics(struct idg_req *r)
{
	struct idg_buf b;
	struct idg_ip ip;

	/* Operational figures are for the operator's scraper only (http.metrics_allow). */
	if (idg_ip_parse(r->client_ip, &ip) != IDG_OK ||
	    !idg_cidr_list_match(&r->w->cfg->metrics_allow, &ip)) {
		idg_reply_error(r, "not_found");
		return;
	}

	idg_buf_init(&b, 1 << 20);
	idg_metrics_render(&b);
	idg_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
	idg_buf_free(&b);
}
