/*
 * request.c - request context, parsing of what every handler needs, and the
 * single exit through which every answer leaves; see request.h.
 */
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <sys/queue.h>

#include <event2/keyvalq_struct.h>

#include "../util/buf.h"
#include "../util/cidr.h"
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"
#include "../web/errors.h"
#include "../web/pages.h"
#include "accesslog.h"
#include "router.h"
#include "server.h"

#define LANG_COOKIE "idgate_lang"

uint64_t
idg_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

const char *
idg_req_header(struct idg_req *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

int
idg_req_cookie(struct idg_req *r, const char *name, char *out, size_t outsz)
{
	const char *h = idg_req_header(r, "Cookie");

	if (h == NULL)
		return IDG_NOTFOUND;
	return idg_cookie_find(h, name, out, outsz);
}

int
idg_req_form(struct idg_req *r, struct idg_params *out)
{
	const char *ct = idg_req_header(r, "Content-Type");
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t len = evbuffer_get_length(in);
	const char *body;

	memset(out, 0, sizeof(*out));
	if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
		return IDG_INVALID;
	body = len > 0 ? (const char *)evbuffer_pullup(in, (ev_ssize_t)len) : "";
	return idg_params_parse(body, len, 32, out);
}

void
idg_req_set_cookie(struct idg_req *r, const char *name, const char *value, int max_age_s)
{
	char age[32] = "";

	if (r->ncookies >= (int)(sizeof(r->cookies) / sizeof(r->cookies[0])))
		return;
	if (max_age_s >= 0)
		snprintf(age, sizeof(age), "; Max-Age=%d", max_age_s);
	/* RFC 6265bis __Host- prefix: Secure, Path=/, no Domain. */
	snprintf(r->cookies[r->ncookies++], sizeof(r->cookies[0]),
	    "%s=%s; Path=/; Secure; HttpOnly; SameSite=Lax%s", name, value, age);
}

bool
idg_req_wants_json(struct idg_req *r)
{
	const char *a = idg_req_header(r, "Accept");

	if (r->route == IDG_R_SESSION || r->route == IDG_R_READYZ || r->route == IDG_R_OPERATOR ||
	    r->route == IDG_R_CERTS)
		return true;
	return a != NULL && strstr(a, "application/json") != NULL &&
	    strstr(a, "text/html") == NULL;
}

static void
security_headers(struct idg_req *r, struct evkeyvalq *h)
{
	evhttp_add_header(h, "Content-Security-Policy", r->csp_override != NULL ?
	    r->csp_override : "default-src 'none'; style-src 'self'; img-src 'self' data:; "
	    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
	if (r->tls)
		evhttp_add_header(h, "Strict-Transport-Security",
		    "max-age=31536000; includeSubDomains");
}

void
idg_reply(struct idg_req *r, int status, const char *content_type, const void *body,
    size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
	struct evbuffer *out = evbuffer_new();
	uint64_t dur;
	int i;

	security_headers(r, h);
	if (content_type != NULL)
		evhttp_add_header(h, "Content-Type", content_type);
	if (r->route != IDG_R_STATIC)
		evhttp_add_header(h, "Cache-Control", "no-store");
	for (i = 0; i < r->ncookies; i++)
		evhttp_add_header(h, "Set-Cookie", r->cookies[i]);
	if (r->w->draining)
		evhttp_add_header(h, "Connection", "close");
	if (out != NULL && body != NULL && len > 0 && r->method != IDG_HEAD)
		evbuffer_add(out, body, len);
	evhttp_send_reply(r->ev, status, NULL, out);
	if (out != NULL)
		evbuffer_free(out);

	dur = idg_now_us() - r->start_us;
	idg_metrics_request(r->route, status, dur);
	idg_accesslog_write(r->w->access, r, status, len, dur);
	idg_directory_unref(r->dir);
	idg_params_free(&r->query);
	free(r->hctx);
	idg_worker_request_done(r->w);
	free(r);
}

void
idg_reply_html(struct idg_req *r, int status, struct idg_buf *b)
{
	idg_reply(r, status, "text/html; charset=utf-8", b->data, b->len);
	idg_buf_free(b);
}

void
idg_reply_json(struct idg_req *r, int status, struct idg_buf *b)
{
	idg_reply(r, status, "application/json", b->data, b->len);
	idg_buf_free(b);
}

void
idg_reply_redirect(struct idg_req *r, const char *location)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Location", location);
	idg_reply(r, 303, "text/plain; charset=utf-8", NULL, 0);
}

void
idg_reply_error(struct idg_req *r, const char *code)
{
	const struct idg_error_def *e = idg_error_lookup(code);
	struct idg_page_ctx pc = { r->lang, r->path, NULL };
	struct idg_buf b;
	char back[64];

	r->error_code = e->code;
	idg_buf_init(&b, 256 * 1024);
	if (idg_req_wants_json(r)) {
		idg_json_error(&b, e->code, r->lang);
		idg_reply_json(r, e->http_status, &b);
		return;
	}
	if (r->company_id[0] != '\0' && r->tenant != NULL)
		snprintf(back, sizeof(back), "/t/%s/login", r->company_id);
	else
		idg_strlcpy(back, "/login", sizeof(back));
	idg_page_error(&b, &pc, e->code, back);
	if (e->http_status == 503)
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Retry-After", "5");
	idg_reply_html(r, e->http_status, &b);
}

static bool
trusted_proxy(const struct idg_config *cfg, const struct idg_ip *ip)
{
	return idg_cidr_list_match(&cfg->trusted_proxies, ip);
}

/*
 * The client address: the socket peer, or, when the peer is a trusted
 * proxy, the right-most X-Forwarded-For entry that is not itself trusted.
 * Every X-Forwarded-For line counts, in order (a proxy may add its own line
 * after the client's); a header too long to hold whole is ignored rather
 * than cut, since its left part is the client's to write.
 */
static void
client_address(struct idg_req *r)
{
	const struct idg_config *cfg = r->w->cfg;
	struct evhttp_connection *c = evhttp_request_get_connection(r->ev);
	struct evkeyvalq *hs = evhttp_request_get_input_headers(r->ev);
	struct evkeyval *kv;
	char *peer = NULL, xff[2048], *p;
	size_t len = 0;
	ev_uint16_t port;
	struct idg_ip ip;

	r->client_ip[0] = '\0';
	if (c != NULL)
		evhttp_connection_get_peer(c, &peer, &port);
	if (peer != NULL)
		idg_strlcpy(r->client_ip, peer, sizeof(r->client_ip));
	if (cfg->trusted_proxies.n == 0 || idg_ip_parse(r->client_ip, &ip) != IDG_OK ||
	    !trusted_proxy(cfg, &ip))
		return;
	xff[0] = '\0';
	TAILQ_FOREACH(kv, hs, next) {
		size_t n;

		if (strcasecmp(kv->key, "X-Forwarded-For") != 0)
			continue;
		n = strlen(kv->value);
		if (len + n + 2 > sizeof(xff))
			return;
		if (len > 0)
			xff[len++] = ',';
		memcpy(xff + len, kv->value, n + 1);
		len += n;
	}
	if (len == 0)
		return;
	for (;;) {
		char *e;

		p = strrchr(xff, ',');
		e = p != NULL ? p + 1 : xff;
		while (*e == ' ')
			e++;
		if (idg_ip_parse(e, &ip) != IDG_OK)
			return;	/* keep the last good hop */
		idg_ip_format(&ip, r->client_ip, sizeof(r->client_ip));
		if (!trusted_proxy(cfg, &ip) || p == NULL)
			return;
		*p = '\0';
	}
}

static void
pick_language(struct idg_req *r)
{
	const char *q = idg_params_get(&r->query, "lang");
	char c[8];
	enum idg_lang l;

	if (q != NULL && idg_lang_parse(q, &l) == IDG_OK) {
		r->lang = l;
		/* Remembered for a year; not a secret, but kept first-party. */
		idg_req_set_cookie(r, LANG_COOKIE, idg_lang_code(l), 31536000);
		return;
	}
	if (idg_req_cookie(r, LANG_COOKIE, c, sizeof(c)) == IDG_OK &&
	    idg_lang_parse(c, &l) == IDG_OK) {
		r->lang = l;
		return;
	}
	r->lang = idg_accept_language(idg_req_header(r, "Accept-Language"));
}

void
idg_request_dispatch(struct evhttp_request *ev, void *arg)
{
	struct idg_listener *l = arg;
	struct idg_req *r;
	const struct evhttp_uri *uri;
	const char *path, *query;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		evhttp_send_error(ev, 503, NULL);
		return;
	}
	r->start_us = idg_now_us();
	r->ev = ev;
	r->l = l;
	r->w = l->w;
	r->tls = l->ssl != NULL;
	r->w->inflight++;
	r->dir = idg_directory_ref(r->w->dir);
	switch (evhttp_request_get_command(ev)) {
	case EVHTTP_REQ_GET: r->method = IDG_GET; break;
	case EVHTTP_REQ_HEAD: r->method = IDG_HEAD; break;
	case EVHTTP_REQ_POST: r->method = IDG_POST; break;
	default: r->method = IDG_OTHER; break;
	}
	client_address(r);
	uri = evhttp_request_get_evhttp_uri(ev);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	if (path == NULL || path[0] != '/' || strlen(path) >= sizeof(r->path)) {
		r->lang = idg_accept_language(idg_req_header(r, "Accept-Language"));
		idg_strlcpy(r->path, "-", sizeof(r->path));
		idg_reply_error(r, path == NULL || path[0] != '/' ? "bad_request" : "not_found");
		return;
	}
	idg_strlcpy(r->path, path, sizeof(r->path));
	if (query != NULL && idg_params_parse(query, strlen(query), 32, &r->query) != IDG_OK) {
		r->lang = idg_accept_language(idg_req_header(r, "Accept-Language"));
		idg_reply_error(r, "bad_request");
		return;
	}
	pick_language(r);
	idg_route(r);
}
