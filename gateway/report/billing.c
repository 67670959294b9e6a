/*
 * billing.c - the billing export: one row per tenant per month, as CSV or
 * JSON, for the provider's invoicing; see report.h. The figures come from
 * idg_billing_month (report.c), so the export and the monthly reports
 * never disagree.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../store/store.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"

struct row {
	char			company_id[33];
	char			name[129];
	bool			cancelled;
	struct idg_report_month	m;
};

struct collect {
	struct idg_store	*s;
	const char		*month;
	const char		*only;		/* company ID, or NULL */
	int64_t			 start, end;	/* the month, [start, end) */
	struct row		*rows;
	size_t			 n, cap;
	int			 status;
};

static int
collect_tenant(void *arg, const struct idg_tenant *t)
{
	struct collect *c = arg;
	struct row *r;

	if (c->only != NULL && strcmp(c->only, t->company_id) != 0)
		return 0;
	/* Billed in a month: contracted before its end, not cancelled before its start. */
	if (t->created_at >= c->end || (t->cancelled_at != 0 && t->cancelled_at < c->start))
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap != 0 ? c->cap * 2 : 64;

		if ((r = realloc(c->rows, cap * sizeof(*r))) == NULL) {
			c->status = IDG_ERR;
			return 1;
		}
		c->rows = r;
		c->cap = cap;
	}
	r = &c->rows[c->n];
	memset(r, 0, sizeof(*r));
	idg_strlcpy(r->company_id, t->company_id, sizeof(r->company_id));
	idg_strlcpy(r->name, t->name, sizeof(r->name));
	r->cancelled = t->cancelled_at != 0 && t->cancelled_at < c->end;
	if ((c->status = idg_billing_month(c->s, t, c->month, &r->m)) != IDG_OK)
		return 1;
	c->n++;
	return 0;
}

static int
export_csv(struct idg_buf *b, const struct collect *c, bool closed, bool bom)
{
	size_t i;
	int st = IDG_OK;

	if (bom)
		st = idg_buf_adds(b, "\xef\xbb\xbf");
	if (st == IDG_OK)
		st = idg_buf_adds(b, "month,company_id,name,contracted_ids,licensed_peak,"
		    "licensed_end,active_ids,device_licensed,device_users,cancelled,closed\r\n");
	for (i = 0; st == IDG_OK && i < c->n; i++) {
		const struct row *r = &c->rows[i];

		st = idg_buf_printf(b, "%s,%s,", c->month, r->company_id);
		if (st == IDG_OK)
			st = idg_report_csv_cell(b, r->name);
		if (st == IDG_OK)
			st = idg_buf_printf(b, ",%d,%d,%d,%d,%d,%d,%s,%s\r\n",
			    r->m.contracted_end, r->m.licensed_peak, r->m.licensed_end,
			    r->m.active_ids, r->m.device_licensed, r->m.device_users,
			    r->cancelled ? "true" : "false", closed ? "true" : "false");
	}
	return st;
}

static int
export_json(struct idg_buf *b, const struct collect *c, bool closed)
{
	json_t *o = json_object(), *a = json_array();
	char *text = NULL;
	size_t i;
	int st = IDG_ERR;

	if (o == NULL || a == NULL)
		goto out;
	json_object_set_new(o, "month", json_string(c->month));
	json_object_set_new(o, "closed", json_boolean(closed));
	for (i = 0; i < c->n; i++) {
		const struct row *r = &c->rows[i];
		json_t *t = json_object();

		if (t == NULL || json_array_append_new(a, t) != 0)
			goto out;
		/* Names are checked UTF-8 at creation; anything else fails loudly, not quietly. */
		if (json_object_set_new(t, "company_id", json_string(r->company_id)) != 0 ||
		    json_object_set_new(t, "name", json_string(r->name)) != 0) {
			log_error("tenant %s: name is not UTF-8; export refused", r->company_id);
			goto out;
		}
		json_object_set_new(t, "contracted_ids", json_integer(r->m.contracted_end));
		json_object_set_new(t, "licensed_peak", json_integer(r->m.licensed_peak));
		json_object_set_new(t, "licensed_end", json_integer(r->m.licensed_end));
		json_object_set_new(t, "active_ids", json_integer(r->m.active_ids));
		json_object_set_new(t, "device_licensed", json_integer(r->m.device_licensed));
		json_object_set_new(t, "device_users", json_integer(r->m.device_users));
		json_object_set_new(t, "cancelled", json_boolean(r->cancelled));
	}
	json_object_set(o, "tenants", a);
	/* Insertion order and fixed indentation: the same figures give the same bytes. */
	if ((text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL)
		goto out;
	st = idg_buf_adds(b, text) == IDG_OK && idg_buf_adds(b, "\n") == IDG_OK ? IDG_OK :
	    IDG_ERR;
out:
	free(text);
	json_decref(a);
	json_decref(o);
	return st;
}

int
idg_billing_export(struct idg_store *s, const char *month, const char *company_id,
    enum idg_billing_format format, bool bom, int64_t now, struct idg_buf *out)
{
	struct collect c;
	int y, m, st;

	if (idg_month_parse(month, &y, &m) != IDG_OK)
		return IDG_INVALID;
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.month = month;
	c.only = company_id;
	c.start = idg_jst_month_start(y, m);
	c.end = idg_jst_month_start(y, m + 1);
	c.status = IDG_OK;
	if (company_id != NULL) {
		struct idg_tenant t;

		/* One tenant: no walk of the others. Not billed that month: an empty export. */
		if ((st = idg_store_tenant_get(s, company_id, &t)) == IDG_OK)
			(void)collect_tenant(&c, &t);
	} else {
		st = idg_store_tenant_list_brief(s, collect_tenant, &c);
	}
	if (st == IDG_OK)
		st = c.status;
	if (st == IDG_OK)
		st = format == IDG_BILLING_JSON ? export_json(out, &c, now >= c.end) :
		    export_csv(out, &c, now >= c.end, bom);
	free(c.rows);
	return st;
}
