/*
 * request.h - one HTTP request as the handlers see it, and the only ways to
 * answer it.
 *
 * A struct idg_req is made when evhttp hands us a request and freed when it
 * is answered through exactly one idg_reply* call; after that the pointer
 * is gone. An answer may come later from a Redis or work-pool callback: the
 * evhttp request stays valid until then even if the client went away
 * (evhttp detaches it and frees it on our reply). Every answer gets the
 * security headers, is counted in /metrics and written to the access log.
 * The request holds a reference on the directory snapshot it started with.
 */
#ifndef IDG_REQUEST_H
#define IDG_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../directory.h"
#include "../session/session.h"
#include "../web/httpparse.h"
#include "metrics.h"

struct evhttp_request;
struct idg_worker;
struct idg_listener;
struct idg_buf;

enum idg_method { IDG_GET, IDG_HEAD, IDG_POST, IDG_OTHER };

struct idg_req;
/* Continuation of idg_auth_session (handlers/auth.h). */
typedef void idg_auth_next_fn(struct idg_req *r, int status);

struct idg_req {
	struct evhttp_request	*ev;
	struct idg_worker	*w;
	struct idg_listener	*l;
	uint64_t		 start_us;
	enum idg_route		 route;
	enum idg_method		 method;
	enum idg_lang		 lang;
	bool			 tls;
	char			 path[512];	/* decoded path, no query */
	char			 client_ip[46];
	struct idg_params	 query;
	struct idg_directory	*dir;		/* referenced snapshot, may be NULL */
	const struct idg_dir_tenant *tenant;	/* set by the router for /t/{id}/ */
	char			 company_id[33];
	struct idg_session	 session;	/* valid when has_session */
	bool			 has_session;
	const char		*error_code;	/* for the access log */
	const char		*csp_override;	/* a page's own CSP (form_post); borrowed */
	char			 cookies[4][160];	/* Set-Cookie values queued */
	int			 ncookies;
	idg_auth_next_fn	*auth_next;	/* pending session check or renewal */
	char			 renew_old_id[IDG_SESSION_ID_LEN + 1];	/* during a renewal */
	void			*hctx;		/* handler state, freed with free() */
};

uint64_t idg_now_us(void);

/* Request header value or NULL (borrowed). */
const char *idg_req_header(struct idg_req *r, const char *name);
/*
 * Reads the form body (application/x-www-form-urlencoded) into *out.
 * IDG_INVALID for a wrong content type or malformed body.
 */
int	idg_req_form(struct idg_req *r, struct idg_params *out);
/* The value of cookie name, or IDG_NOTFOUND / IDG_INVALID. */
int	idg_req_cookie(struct idg_req *r, const char *name, char *out, size_t outsz);
/* Queues a Set-Cookie: __Host- style (Secure; HttpOnly; SameSite=Lax; Path=/). max_age_s < 0: session cookie; 0: delete. */
void	idg_req_set_cookie(struct idg_req *r, const char *name, const char *value,
	    int max_age_s);
/* Whether the client prefers JSON (Accept: application/json, or an API route). */
bool	idg_req_wants_json(struct idg_req *r);

/* Answers and frees r. body may be NULL. */
void	idg_reply(struct idg_req *r, int status, const char *content_type,
	    const void *body, size_t len);
void	idg_reply_html(struct idg_req *r, int status, struct idg_buf *b);
void	idg_reply_json(struct idg_req *r, int status, struct idg_buf *b);
/*
 * 303 See Other to a local path, or to an absolute URL made from the
 * configuration (public_url, device_url); never to a URL taken from input.
 */
void	idg_reply_redirect(struct idg_req *r, const char *location);
/* The one way errors reach people: HTML page or JSON by idg_req_wants_json. */
void	idg_reply_error(struct idg_req *r, const char *code);

/* Entry point for evhttp (server.c installs it). */
void	idg_request_dispatch(struct evhttp_request *ev, void *listener);

#endif
