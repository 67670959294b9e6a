/*
 * cli_billing.c - the provider's billing and report commands: `billing
 * export` and `report due|generate|list|show`. The figures and their rules
 * are in gateway/report; this file parses, calls and prints.
 */
#include "cli_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../policy/jpcal.h"
#include "../report/report.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/status.h"
#include "../util/str.h"

/* Largest export or report printed (a large provider: 10,000 tenants, a few MB). */
#define OUT_MAX_BYTES	(512u * 1024u * 1024u)

static int
month_arg(const char *month, const char *usage)
{
	int y, m;

	if (month == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "%s", usage);
	if (idg_month_parse(month, &y, &m) != IDG_OK)
		return cli_fail(IDG_EXIT_USAGE, "month_invalid", "\"%s\" is not a month"
		    " (YYYY-MM)", month);
	return 0;
}

/* Writes b to path ("-" or NULL = stdout). 0 or an exit code (printed). */
static int
write_out(const struct idg_buf *b, const char *path)
{
	FILE *f = stdout;
	bool ok;

	if (path != NULL && strcmp(path, "-") != 0 && (f = fopen(path, "wb")) == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "output_unwritable", "cannot write %s", path);
	ok = b->len == 0 || fwrite(b->data, 1, b->len, f) == b->len;
	if (f != stdout)
		ok = fclose(f) == 0 && ok;
	else
		ok = fflush(f) == 0 && ok;
	return ok ? 0 : cli_fail(IDG_EXIT_FAILURE, "output_unwritable", "cannot write %s",
	    path != NULL ? path : "standard output");
}

static int
cmd_export(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "billing export --month YYYY-MM [--tenant ID]"
	    " [--format csv|json] [--bom] [--out FILE]";
	const char *month = NULL, *tenant = NULL, *format = "csv", *out = NULL;
	bool bom = false;
	const struct cli_opt opts[] = {
		{ "--month", &month, NULL },
		{ "--tenant", &tenant, NULL },
		{ "--format", &format, NULL },
		{ "--bom", NULL, &bom },
		{ "--out", &out, NULL },
		{ NULL, NULL, NULL },
	};
	struct idg_buf b;
	char *pos[1];
	int rc, st, npos;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0 ||
	    (rc = month_arg(month, usage)) != 0)
		return rc;
	if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return cli_fail(IDG_EXIT_USAGE, "usage", "--format is csv or json");
	if ((rc = cli_open(c)) != 0)
		return rc;
	idg_buf_init(&b, OUT_MAX_BYTES);
	st = idg_billing_export(c->st, month, tenant, strcmp(format, "json") == 0 ?
	    IDG_BILLING_JSON : IDG_BILLING_CSV, bom, idg_now(), &b);
	if (st == IDG_NOTFOUND)
		rc = cli_fail(IDG_EXIT_REFUSED, "tenant_not_found", "no tenant \"%s\"", tenant);
	else if (st != IDG_OK)
		rc = cli_store_fail(st, "exporting the billing figures");
	else
		rc = write_out(&b, out);
	idg_buf_free(&b);
	return rc;
}

int
cli_billing(struct cli *c, int argc, char **argv)
{
	if (strcmp(argv[0], "export") == 0)
		return cmd_export(c, argc - 1, argv + 1);
	return cli_fail(IDG_EXIT_USAGE, "usage", "unknown billing command \"%s\" (export)",
	    argv[0]);
}

static int
cmd_due(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "report due --month YYYY-MM";
	const char *month = NULL;
	const struct cli_opt opts[] = { { "--month", &month, NULL }, { NULL, NULL, NULL } };
	struct idg_jp_overrides *ov = NULL;
	char *pos[1], due[11];
	int rc, npos;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0 ||
	    (rc = month_arg(month, usage)) != 0 || (rc = cli_load_holidays(c, &ov)) != 0)
		return rc;
	rc = idg_report_due(month, ov, due) == IDG_OK ? 0 : cli_fail(IDG_EXIT_USAGE,
	    "month_invalid", "no due date for %s", month);
	if (rc == 0)
		printf("%s\n", due);
	idg_jp_overrides_free(ov);
	return rc;
}

struct gen {
	struct cli			*c;
	const char			*month;
	const char			*only;
	const struct idg_jp_overrides	*ov;
	json_t				*arr;
	int				 failed;
	int				 status;
};

static const char *
gen_outcome(int st)
{
	switch (st) {
	case IDG_OK: return "generated";
	case IDG_EXISTS: return "kept_already";
	case IDG_NOTFOUND: return "not_covered";
	case IDG_DECLINED: return "period_not_over";
	}
	return "failed";
}

static int
gen_tenant(void *arg, const struct idg_tenant *t)
{
	struct gen *g = arg;
	int st;

	if (g->only != NULL && strcmp(g->only, t->company_id) != 0)
		return 0;
	st = idg_report_generate(g->c->st, t, g->month, g->ov, idg_now());
	if (st != IDG_OK && st != IDG_EXISTS && st != IDG_NOTFOUND && st != IDG_DECLINED) {
		g->failed++;
		g->status = st;
	} else if (st == IDG_OK) {
		cli_audit(g->c, t->id, "report.generate", g->month, "ok", NULL);
	}
	if (g->arr != NULL) {
		json_t *o = json_object();

		json_object_set_new(o, "company_id", json_string(t->company_id));
		json_object_set_new(o, "month", json_string(g->month));
		json_object_set_new(o, "outcome", json_string(gen_outcome(st)));
		json_array_append_new(g->arr, o);
	} else {
		printf("%s %s: %s\n", t->company_id, g->month, gen_outcome(st));
	}
	return 0;
}

static int
cmd_generate(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "report generate --month YYYY-MM [--tenant ID] [--json]";
	const char *month = NULL, *tenant = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{ "--month", &month, NULL },
		{ "--tenant", &tenant, NULL },
		{ "--json", NULL, &json },
		{ NULL, NULL, NULL },
	};
	struct idg_jp_overrides *ov = NULL;
	struct idg_tenant t;
	struct gen g;
	char *pos[1];
	int rc, st, npos;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0 ||
	    (rc = month_arg(month, usage)) != 0 || (rc = cli_open(c)) != 0)
		return rc;
	if (tenant != NULL && (rc = cli_tenant_find_any(c, tenant, &t)) != 0)
		return rc;
	if ((rc = cli_load_holidays(c, &ov)) != 0)
		return rc;
	memset(&g, 0, sizeof(g));
	g.c = c;
	g.month = month;
	g.only = tenant;
	g.ov = ov;
	g.arr = json ? json_array() : NULL;
	st = idg_store_tenant_list_brief(c->st, gen_tenant, &g);
	idg_jp_overrides_free(ov);
	if (st != IDG_OK || g.failed > 0) {
		json_decref(g.arr);
		return cli_store_fail(st != IDG_OK ? st : g.status, "generating reports");
	}
	return json ? cli_json_print(g.arr) : 0;
}

struct list_ctx {
	json_t			*arr;
	struct idg_tenant	*tenants;	/* company IDs of the listed reports */
	size_t			 n, cap;
};

static int
list_tenant(void *arg, const struct idg_tenant *t)
{
	struct list_ctx *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap != 0 ? l->cap * 2 : 32;
		struct idg_tenant *v = realloc(l->tenants, cap * sizeof(*v));

		if (v == NULL)
			return 1;
		l->tenants = v;
		l->cap = cap;
	}
	l->tenants[l->n++] = *t;
	return 0;
}

static const char *
company_of(const struct list_ctx *l, int64_t id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->tenants[i].id == id)
			return l->tenants[i].company_id;
	return "?";
}

static int
list_report(void *arg, const struct idg_report_meta *m)
{
	struct list_ctx *l = arg;
	char at[32];

	cli_time(m->generated_at, at, sizeof(at));
	if (l->arr != NULL) {
		json_t *o = json_object();

		json_object_set_new(o, "company_id", json_string(company_of(l, m->tenant_id)));
		json_object_set_new(o, "month", json_string(m->month));
		json_object_set_new(o, "from_day", json_string(m->from_day));
		json_object_set_new(o, "to_day", json_string(m->to_day));
		json_object_set_new(o, "due", json_string(m->due));
		json_object_set_new(o, "final", json_boolean(m->final));
		json_object_set_new(o, "generated_at", json_string(at));
		json_array_append_new(l->arr, o);
	} else {
		printf("%-20s %s  %s..%s  due %s  %s%s\n", company_of(l, m->tenant_id), m->month,
		    m->from_day, m->to_day, m->due, at, m->final ? "  final" : "");
	}
	return 0;
}

static int
cmd_list(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--json", NULL, &json },
		{ NULL, NULL, NULL },
	};
	struct list_ctx l;
	struct idg_tenant t = { 0 };
	char *pos[1];
	int rc, st, npos;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0 || (rc = cli_open(c)) != 0)
		return rc;
	if (tenant != NULL && (rc = cli_tenant_find_any(c, tenant, &t)) != 0)
		return rc;
	memset(&l, 0, sizeof(l));
	l.arr = json ? json_array() : NULL;
	st = idg_store_tenant_list(c->st, list_tenant, &l);
	if (st == IDG_OK)
		st = idg_store_report_list(c->st, t.id, list_report, &l);
	free(l.tenants);
	if (st != IDG_OK) {
		json_decref(l.arr);
		return cli_store_fail(st, "listing reports");
	}
	return json ? cli_json_print(l.arr) : 0;
}

static int
cmd_show(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "report show --tenant ID --month YYYY-MM"
	    " [--format html|csv|json] [--bom] [--out FILE]";
	const char *month = NULL, *tenant = NULL, *format = "html", *out = NULL;
	bool bom = false;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--month", &month, NULL },
		{ "--format", &format, NULL },
		{ "--bom", NULL, &bom },
		{ "--out", &out, NULL },
		{ NULL, NULL, NULL },
	};
	struct idg_tenant t;
	struct idg_buf b;
	char *pos[1], *data = NULL;
	size_t len = 0;
	int rc, st, npos;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0 ||
	    (rc = month_arg(month, usage)) != 0)
		return rc;
	if (tenant == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "%s", usage);
	if (strcmp(format, "html") != 0 && strcmp(format, "csv") != 0 &&
	    strcmp(format, "json") != 0)
		return cli_fail(IDG_EXIT_USAGE, "usage", "--format is html, csv or json");
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find_any(c, tenant, &t)) != 0)
		return rc;
	st = idg_store_report_get(c->st, t.id, month, format, NULL, &data, &len);
	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "report_not_found", "tenant %s has no report"
		    " for %s (see 'report list')", tenant, month);
	if (st != IDG_OK)
		return cli_store_fail(st, "reading the report");
	idg_buf_init(&b, OUT_MAX_BYTES);
	if ((bom && strcmp(format, "csv") == 0 && idg_buf_adds(&b, "\xef\xbb\xbf") != IDG_OK) ||
	    idg_buf_add(&b, data, len) != IDG_OK)
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	else
		rc = write_out(&b, out);
	idg_buf_free(&b);
	free(data);
	return rc;
}

int
cli_report(struct cli *c, int argc, char **argv)
{
	const char *verb = argv[0];

	if (strcmp(verb, "due") == 0)
		return cmd_due(c, argc - 1, argv + 1);
	if (strcmp(verb, "generate") == 0)
		return cmd_generate(c, argc - 1, argv + 1);
	if (strcmp(verb, "list") == 0)
		return cmd_list(c, argc - 1, argv + 1);
	if (strcmp(verb, "show") == 0)
		return cmd_show(c, argc - 1, argv + 1);
	return cli_fail(IDG_EXIT_USAGE, "usage", "unknown report command \"%s\" (due, generate,"
	    " list, show)", verb);
}
