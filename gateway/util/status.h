/*
 * status.h - the one set of status codes every idgate layer returns.
 *
 * A failure is logged once where it is detected; callers pass the code up
 * unchanged. This is not an error-message table: human text lives in
 * gateway/web/i18n.c and stable wire codes in gateway/web/errors.h.
 */
#ifndef IDG_STATUS_H
#define IDG_STATUS_H

enum idg_status {
	IDG_OK = 0,		/* done */
	IDG_ERR = -1,		/* internal failure (already logged) */
	IDG_PENDING = 1,	/* will complete later through a callback */
	IDG_DECLINED = 2,	/* refused by a rule (license, policy, lock) */
	IDG_NOTFOUND = 3,	/* no such object */
	IDG_EXISTS = 4,		/* unique key already taken */
	IDG_INVALID = 5,	/* bad input from the caller */
	IDG_UNAVAILABLE = 6,	/* a backend (Redis, store) cannot be reached */
	IDG_TIMEOUT = 7,	/* a backend did not answer in time */
};

const char *idg_status_str(int st);

#endif
