/*
 * reports.c - the monthly reports as the tenant downloads them
 * (/t/{id}/reports and /t/{id}/reports/{YYYY-MM}.{html|csv|json}) and the
 * provider's operator API for billing (/operator/billing).
 *
 * Reports are served as kept in the store, never rebuilt here. Who may read
 * them (DESIGN.md "Service rules"): the tenant's report service account and
 * its administrators, members of the tenant group "admins". The operator
 * API takes a bearer token (RFC 6750) compared by hash in constant time.
 * Store reads run on the work pool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "../directory.h"
#include "../http/request.h"
#include "../http/server.h"
#include "../http/worker_store.h"
#include "../http/workpool.h"
#include "../report/report.h"
#include "../store/store.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"
#include "../web/pages.h"
#include "auth.h"
#include "handlers.h"

#define MAX_LISTED	240	/* twenty years of monthly reports */
#define EXPORT_MAX	(64u * 1024u * 1024u)

enum job_kind { J_LIST, J_FILE, J_BILLING };

struct rep_job {
	struct idg_req		*r;
	enum job_kind		 kind;
	int64_t			 tenant_id;
	char			 month[8];
	char			 format[8];
	char			 company[33];	/* billing: one tenant, or "" */
	bool			 bom;
	int			 status;
	char			*data;		/* J_FILE */
	size_t			 len;
	struct idg_report_meta	*metas;		/* J_LIST */
	size_t			 n;
	struct idg_buf		 out;		/* J_BILLING */
};

static void
job_free(struct rep_job *j)
{
	free(j->data);
	free(j->metas);
	idg_buf_free(&j->out);
	free(j);
}

static int
meta_seen(void *arg, const struct idg_report_meta *m)
{
	struct rep_job *j = arg;

	if (j->n == MAX_LISTED)
		return 1;
	j->metas[j->n++] = *m;
	return 0;
}

static void
rep_work(void *ctx, void *arg)
{
	struct rep_job *j = arg;
	struct idg_store *s = idg_worker_store(ctx);

	if (s == NULL) {
		j->status = IDG_UNAVAILABLE;
		return;
	}
	switch (j->kind) {
	case J_LIST:
		j->metas = calloc(MAX_LISTED, sizeof(*j->metas));
		j->status = j->metas == NULL ? IDG_ERR :
		    idg_store_report_list(s, j->tenant_id, meta_seen, j);
		break;
	case J_FILE:
		j->status = idg_store_report_get(s, j->tenant_id, j->month, j->format, NULL,
		    &j->data, &j->len);
		break;
	case J_BILLING:
		j->status = idg_billing_export(s, j->month, j->company[0] != '\0' ? j->company :
		    NULL, strcmp(j->format, "json") == 0 ? IDG_BILLING_JSON : IDG_BILLING_CSV,
		    j->bom, idg_now(), &j->out);
		break;
	}
	if (j->status == IDG_UNAVAILABLE || j->status == IDG_TIMEOUT || j->status == IDG_ERR)
		idg_worker_store_failed(ctx);
}

static void
reply_list(struct idg_req *r, struct rep_job *j)
{
	struct idg_page_ctx pc = { r->lang, r->path, NULL };
	struct idg_report_link *v = calloc(j->n + 1, sizeof(*v));
	struct idg_buf b;
	size_t i;

	idg_buf_init(&b, 1024 * 1024);
	/* Newest first. */
	for (i = 0; v != NULL && i < j->n; i++) {
		const struct idg_report_meta *m = &j->metas[j->n - 1 - i];

		v[i].month = m->month;
		v[i].from_day = m->from_day;
		v[i].to_day = m->to_day;
		v[i].due = m->due;
		v[i].final = m->final;
	}
	if (v == NULL || idg_page_reports(&b, &pc, r->company_id, v, j->n) != IDG_OK) {
		free(v);
		idg_buf_free(&b);
		idg_reply_error(r, "internal_error");
		return;
	}
	free(v);
	idg_reply_html(r, 200, &b);
}

static void
reply_file(struct idg_req *r, struct rep_job *j)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
	const char *ctype = "text/html; charset=utf-8";
	char disp[128];

	if (strcmp(j->format, "html") == 0) {
		/* The kept page has inline styles and SVG, and nothing that runs. */
		r->csp_override = "default-src 'none'; style-src 'unsafe-inline'; img-src data:;"
		    " frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox";
	} else {
		ctype = strcmp(j->format, "csv") == 0 ? "text/csv; charset=utf-8" :
		    "application/json";
		snprintf(disp, sizeof(disp), "attachment; filename=\"idgate-%s-%s.%s\"",
		    r->company_id, j->month, j->format);
		evhttp_add_header(h, "Content-Disposition", disp);
	}
	if (j->bom && strcmp(j->format, "csv") == 0) {
		char *with = malloc(j->len + 4);

		if (with == NULL) {
			idg_reply_error(r, "internal_error");
			return;
		}
		memcpy(with, "\xef\xbb\xbf", 3);
		memcpy(with + 3, j->data, j->len + 1);
		free(j->data);
		j->data = with;
		j->len += 3;
	}
	idg_reply(r, 200, ctype, j->data, j->len);
}

static void
reply_billing(struct idg_req *r, struct rep_job *j)
{
	idg_reply(r, 200, strcmp(j->format, "json") == 0 ? "application/json" :
	    "text/csv; charset=utf-8", j->out.data, j->out.len);
}

static void
rep_done(void *arg)
{
	struct rep_job *j = arg;
	struct idg_req *r = j->r;

	if (j->status == IDG_NOTFOUND) {
		idg_reply_error(r, j->kind == J_BILLING ? "tenant_not_found" : "report_not_found");
	} else if (j->status != IDG_OK) {
		idg_reply_error(r, "store_unavailable");
	} else if (j->kind == J_LIST) {
		reply_list(r, j);
	} else if (j->kind == J_FILE) {
		reply_file(r, j);
	} else {
		reply_billing(r, j);
	}
	job_free(j);
}

static void
submit(struct idg_req *r, struct rep_job *j)
{
	if (idg_workpool_submit(r->w->pool, rep_work, rep_done, j) != IDG_PENDING) {
		job_free(j);
		idg_reply_error(r, "service_unavailable");
	}
}

/* The report service account, or a member of the tenant's admins group. */
static bool
may_read_reports(const struct idg_dir_user *u)
{
	if (u == NULL)
		return false;
	return u->kind == IDG_USER_SERVICE_REPORT || idg_dir_user_in_group(u, IDG_ADMIN_GROUP);
}

/* The month and format of "YYYY-MM.ext"; false if malformed. */
static bool
parse_name(const char *name, char month[8], char format[8])
{
	int y, m;

	if (strlen(name) < 9 || name[7] != '.')
		return false;
	memcpy(month, name, 7);
	month[7] = '\0';
	if (idg_month_parse(month, &y, &m) != IDG_OK)
		return false;
	name += 8;
	if (strcmp(name, "html") != 0 && strcmp(name, "csv") != 0 && strcmp(name, "json") != 0)
		return false;
	idg_strlcpy(format, name, 8);
	return true;
}

/* "?bom=1": a UTF-8 byte-order mark before a CSV (Excel). */
static bool
want_bom(struct idg_req *r)
{
	const char *v = idg_params_get(&r->query, "bom");

	return v != NULL && strcmp(v, "1") == 0;
}

static void
reports_next(struct idg_req *r, int st)
{
	const struct idg_dir_user *u;
	struct rep_job *j = r->hctx;

	r->hctx = NULL;
	if (!idg_auth_require(r, st)) {
		job_free(j);
		return;
	}
	u = idg_directory_user(r->tenant, r->session.user_id);
	if (!may_read_reports(u)) {
		idg_audit_async(r, r->tenant->id, u != NULL ? u->email : "-", "report.read",
		    j->kind == J_LIST ? "" : j->month, "reports_forbidden");
		job_free(j);
		idg_reply_error(r, "reports_forbidden");
		return;
	}
	j->tenant_id = r->tenant->id;
	submit(r, j);
}

static void
start(struct idg_req *r, enum job_kind kind, const char *month, const char *format)
{
	struct rep_job *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		idg_reply_error(r, "internal_error");
		return;
	}
	j->r = r;
	j->kind = kind;
	if (month != NULL)
		idg_strlcpy(j->month, month, sizeof(j->month));
	if (format != NULL)
		idg_strlcpy(j->format, format, sizeof(j->format));
	j->bom = want_bom(r);
	/* Held in hctx until the session is known; the job owns itself after that. */
	r->hctx = j;
	idg_auth_session(r, reports_next);
}

void
idg_h_reports(struct idg_req *r)
{
	start(r, J_LIST, NULL, NULL);
}

void
idg_h_report_file(struct idg_req *r, const char *name)
{
	char month[8], format[8];

	if (r->method != IDG_GET && r->method != IDG_HEAD) {
		idg_reply_error(r, "method_not_allowed");
		return;
	}
	if (!parse_name(name, month, format)) {
		idg_reply_error(r, "report_not_found");
		return;
	}
	start(r, J_FILE, month, format);
}

/* RFC 6750 2.1: "Authorization: Bearer <token>", compared by SHA-256 in constant time. */
static bool
operator_token_ok(struct idg_req *r)
{
	const char *a = idg_req_header(r, "Authorization");
	uint8_t h[32];

	if (a == NULL || strncmp(a, "Bearer ", 7) != 0 || a[7] == '\0')
		return false;
	idg_sha256(a + 7, strlen(a + 7), h);
	return idg_ct_eq(h, sizeof(h), r->w->cfg->operator_token_sha256,
	    sizeof(r->w->cfg->operator_token_sha256));
}

void
idg_h_operator_billing(struct idg_req *r)
{
	const char *month = idg_params_get(&r->query, "month");
	const char *tenant = idg_params_get(&r->query, "tenant");
	const char *format = idg_params_get(&r->query, "format");
	struct rep_job *j;
	int y, m;

	if (!r->w->cfg->operator_token_loaded) {
		idg_reply_error(r, "operator_api_disabled");
		return;
	}
	if (!operator_token_ok(r)) {
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "WWW-Authenticate",
		    "Bearer realm=\"idgate-operator\", error=\"invalid_token\"");
		idg_audit_async(r, 0, "operator", "billing.export", month != NULL ? month : "",
		    "operator_unauthorized");
		idg_reply_error(r, "operator_unauthorized");
		return;
	}
	if (format == NULL)
		format = "csv";
	if (month == NULL || idg_month_parse(month, &y, &m) != IDG_OK) {
		idg_reply_error(r, "month_invalid");
		return;
	}
	if ((strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) ||
	    (tenant != NULL && !idg_company_id_valid(tenant))) {
		idg_reply_error(r, "bad_request");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		idg_reply_error(r, "internal_error");
		return;
	}
	j->r = r;
	j->kind = J_BILLING;
	idg_buf_init(&j->out, EXPORT_MAX);
	idg_strlcpy(j->month, month, sizeof(j->month));
	idg_strlcpy(j->format, format, sizeof(j->format));
	if (tenant != NULL)
		idg_strlcpy(j->company, tenant, sizeof(j->company));
	j->bom = want_bom(r);
	idg_audit_async(r, 0, "operator", "billing.export", month, "ok");
	submit(r, j);
}
