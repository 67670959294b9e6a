/*
 * static.c - the stylesheet, compiled into the binary (gateway/web), served
 * with a day of caching.
 */
#include <event2/http.h>

#include "../http/request.h"
#include "../web/pages.h"
#include "handlers.h"

void
idg_h_static_css(struct idg_req *r)
{
	size_t len;
	const char *css = idg_static_css(&len);

	evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Cache-Control",
	    "public, max-age=86400");
	idg_reply(r, 200, "text/css; charset=utf-8", css, len);
}
