/*
 * accesslog.h - the structured access log: one JSON object per answered
 * request (time, client address, method, path without query, status,
 * bytes, duration, route, tenant, error code). Queries are never logged:
 * they may carry protocol messages or codes.
 */
#ifndef IDG_ACCESSLOG_H
#define IDG_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

struct idg_accesslog;
struct idg_req;

/* path: "-" for stdout, "" for off, else a file opened for append. NULL on error. */
struct idg_accesslog *idg_accesslog_open(const char *path);
void	idg_accesslog_write(struct idg_accesslog *a, const struct idg_req *r, int status,
	    size_t bytes, uint64_t duration_us);
void	idg_accesslog_close(struct idg_accesslog *a);

#endif
