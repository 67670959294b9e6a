/*
 * router.h - maps a request's method and path to its handler.
 *
 * Paths under /t/{company_id}/ are resolved against the directory snapshot
 * first: an unknown, malformed or cancelled tenant is answered here
 * (tenant_not_found), so handlers always see a live tenant in r->tenant.
 */
#ifndef IDG_ROUTER_H
#define IDG_ROUTER_H

struct idg_req;

void	idg_route(struct idg_req *r);

#endif
