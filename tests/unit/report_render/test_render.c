/*
 * test_render.c - unit tests of the monthly report renderers (report.h,
 * gateway/report/render.c): golden CSV, JSON and HTML files for one fixed
 * report, HTML escaping and self-containment, chart edge cases, CSV quoting
 * and formula neutralising, JSON validity and escaping (parsed with jansson,
 * in this test only), and the buffer limit. It does not test the figures
 * themselves (report.c, billing.c). IDGATE_UPDATE_GOLDEN=1 rewrites the
 * golden files instead of comparing with them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "gateway/report/report.h"
#include "gateway/util/buf.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"

#define BUF_MAX		(4u << 20)
#define SAMPLE_NAME	"株式会社サンプル \"Q\" <b>&"

struct fixture {
	struct idg_report	r;
	struct idg_report_day	days[62];
	struct idg_report_count	apps[3];
	struct idg_report_count	denials[2];
	struct idg_report_count	admin[2];
};

static int
month_days(int y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return len[m - 1];
}

/* n consecutive days from y-m-d, with figures derived from the index. */
static void
fill_days(struct idg_report_day *d, int n, int y, int m, int dd)
{
	char tmp[32];
	int i, active = 0;

	for (i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
		    (unsigned)dd % 100u);
		idg_strlcpy(d[i].day, tmp, sizeof(d[i].day));
		if (dd == 1)
			active = 0;
		active += i % 2 + (i % 7 == 0);
		d[i].signins_ok = 5 + (i * 7) % 23;
		d[i].signins_failed = i % 4 == 0 ? 3 : i % 3;
		d[i].sso = 2 * d[i].signins_ok + i % 5;
		d[i].active_cum = active;
		d[i].licensed = 20 + i / 8;
		d[i].contracted = i < 23 ? 25 : 30;
		if (++dd > month_days(y, m)) {
			dd = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
}

static void
set_count(struct idg_report_count *c, const char *name, int count)
{
	idg_strlcpy(c->name, name, sizeof(c->name));
	c->count = count;
}

/*
 * The fixed report of the golden files: a first report of sample-co for
 * 2026-10, contracted on 2026-09-22, so 40 days over two calendar months.
 */
static void
sample(struct fixture *f)
{
	struct idg_report *r = &f->r;
	int i;

	memset(f, 0, sizeof(*f));
	idg_strlcpy(r->company_id, "sample-co", sizeof(r->company_id));
	idg_strlcpy(r->name, SAMPLE_NAME, sizeof(r->name));
	idg_strlcpy(r->month, "2026-10", sizeof(r->month));
	idg_strlcpy(r->from_day, "2026-09-22", sizeof(r->from_day));
	idg_strlcpy(r->to_day, "2026-10-31", sizeof(r->to_day));
	idg_strlcpy(r->due, "2026-11-16", sizeof(r->due));
	r->first = true;
	r->final = false;
	r->generated_at = 1793611815;	/* 2026-11-02T09:30:15Z */
	r->nmonths = 2;
	/* certificates: issued, revoked, valid at the end (summed in the totals below) */
	r->months[0] = (struct idg_report_month){ "2026-09", 25, 21, 21, 6, 10, 4, 7, 1, 5 };
	r->months[1] = (struct idg_report_month){ "2026-10", 30, 24, 24, 20, 10, 6, 5, 1, 38 };
	r->ndays = 40;
	r->days = f->days;
	fill_days(f->days, r->ndays, 2026, 9, 22);
	for (i = 0; i < r->ndays; i++) {
		r->signins_ok += f->days[i].signins_ok;
		r->signins_failed += f->days[i].signins_failed;
		r->sso_total += f->days[i].sso;
	}
	r->admin_total = 9;
	r->certs_issued = 12;
	r->certs_revoked = 2;
	r->certs_valid_end = 38;
	set_count(&f->apps[0], "サイボウズ Office", 412);
	set_count(&f->apps[1], "Box, \"Drive\"", 120);
	set_count(&f->apps[2], "=SUM(1+1)", 7);
	r->napps = 3;
	r->apps = f->apps;
	set_count(&f->denials[0], "bad_password", 14);
	set_count(&f->denials[1], "license_pool_exhausted", 2);
	r->ndenials = 2;
	r->denials = f->denials;
	set_count(&f->admin[0], "user.create", 6);
	set_count(&f->admin[1], "-user.delete", 3);
	r->nadmin = 2;
	r->admin_ops = f->admin;
}

static size_t
count_of(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(needle);
	const char *p;

	for (p = strstr(hay, needle); p != NULL; p = strstr(p + len, needle))
		n++;
	return n;
}

enum fmt { FMT_HTML, FMT_CSV, FMT_CSV_BOM, FMT_JSON };

static int
render(struct idg_buf *b, const struct idg_report *r, enum fmt f)
{
	switch (f) {
	case FMT_HTML:
		return idg_report_html(b, r);
	case FMT_CSV:
		return idg_report_csv(b, r, false);
	case FMT_CSV_BOM:
		return idg_report_csv(b, r, true);
	default:
		return idg_report_json(b, r);
	}
}

/* Renders r into a fresh buffer (the caller frees it) and asserts success. */
static void
render_ok(struct idg_buf *b, const struct idg_report *r, enum fmt f)
{
	idg_buf_init(b, BUF_MAX);
	assert_int_equal(render(b, r, f), IDG_OK);
	assert_non_null(b->data);
	assert_int_equal(strlen(b->data), b->len);
}

/* ---- golden files ----------------------------------------------------- */

static void
golden(const char *file, const struct idg_buf *b)
{
	const char *update = getenv("IDGATE_UPDATE_GOLDEN");
	char path[1024], *want;
	size_t n, i;
	long len;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, file);
	if (update != NULL && strcmp(update, "1") == 0) {
		fp = fopen(path, "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(b->data, 1, b->len, fp), b->len);
		assert_int_equal(fclose(fp), 0);
		print_message("rewrote %s\n", path);
		return;
	}
	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("missing golden file %s (IDGATE_UPDATE_GOLDEN=1 writes it)", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len >= 0);
	rewind(fp);
	want = malloc((size_t)len + 1);
	assert_non_null(want);
	n = fread(want, 1, (size_t)len, fp);
	fclose(fp);
	assert_int_equal(n, (size_t)len);
	for (i = 0; i < n && i < b->len && want[i] == b->data[i]; i++)
		;
	if (i != n || n != b->len) {
		free(want);
		fail_msg("%s differs from the output at byte %zu (file %zu bytes, output %zu)",
		    path, i, n, b->len);
	}
	free(want);
}

static void
test_golden(void **state)
{
	struct fixture f;
	struct idg_buf b;

	(void)state;
	sample(&f);
	render_ok(&b, &f.r, FMT_CSV_BOM);
	golden("sample.csv", &b);
	idg_buf_free(&b);
	render_ok(&b, &f.r, FMT_JSON);
	golden("sample.json", &b);
	idg_buf_free(&b);
	render_ok(&b, &f.r, FMT_HTML);
	golden("sample.html", &b);
	idg_buf_free(&b);
}

/* ---- HTML ------------------------------------------------------------- */

static void
test_html_page(void **state)
{
	struct fixture f;
	struct idg_buf a, b;
	const char *h;

	(void)state;
	sample(&f);
	render_ok(&a, &f.r, FMT_HTML);
	render_ok(&b, &f.r, FMT_HTML);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	h = a.data;

	assert_true(strncmp(h, "<!doctype html>\n<html lang=\"ja\">", 32) == 0);
	assert_non_null(strstr(h, "<meta charset=\"utf-8\">"));
	assert_non_null(strstr(h, "<style>"));
	/* Self-contained: no script, nothing fetched. */
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "src="));
	assert_null(strstr(h, "href="));
	assert_null(strstr(h, "<link"));
	assert_null(strstr(h, "url("));
	assert_null(strstr(h, "@import"));
	assert_null(strstr(h, "<img"));
	assert_null(strstr(h, "<iframe"));

	/* Tenant text is escaped everywhere it appears (title, header). */
	assert_null(strstr(h, "<b>"));
	assert_null(strstr(h, "\"Q\""));
	assert_int_equal(count_of(h, "株式会社サンプル &quot;Q&quot; &lt;b&gt;&amp;"), 2);
	assert_non_null(strstr(h, "<title>月次レポート / Monthly report 2026-10"));
	assert_non_null(strstr(h, "Box, &quot;Drive&quot;"));

	/* Header: period, due, first-report note; no final note. */
	assert_non_null(strstr(h, "<dd data-k=\"period\">2026-09-22 – 2026-10-31</dd>"));
	assert_non_null(strstr(h, "<dd data-k=\"due\">2026-11-16</dd>"));
	assert_non_null(strstr(h, "初回レポート: 契約月を含みます / First report"));
	assert_null(strstr(h, "最終レポート"));

	/* Billing figures per month and the period totals, findable by data-k. */
	assert_non_null(strstr(h, "<td data-k=\"active_ids\" data-month=\"2026-10\">20</td>"));
	assert_non_null(strstr(h, "<td data-k=\"active_ids\" data-month=\"2026-09\">6</td>"));
	assert_non_null(strstr(h, "<td data-k=\"contracted_end\" data-month=\"2026-10\">30<"));
	assert_non_null(strstr(h, "<td data-k=\"licensed_peak\" data-month=\"2026-09\">21<"));
	assert_non_null(strstr(h, "<td data-k=\"device_users\" data-month=\"2026-10\">6<"));
	assert_non_null(strstr(h, "<td data-k=\"device_licensed\" data-month=\"2026-09\">10<"));
	/* The certificate figures of each month, after the device ones, in their order. */
	assert_non_null(strstr(h, "<td data-k=\"device_users\" data-month=\"2026-09\">4</td>"
	    "<td data-k=\"certs_issued\" data-month=\"2026-09\">7</td>"
	    "<td data-k=\"certs_revoked\" data-month=\"2026-09\">1</td>"
	    "<td data-k=\"certs_valid_end\" data-month=\"2026-09\">5</td></tr>"));
	assert_non_null(strstr(h, "<td data-k=\"certs_valid_end\" data-month=\"2026-10\">38<"));
	assert_non_null(strstr(h, "<th class=\"num\">月末有効証明書 / Valid certificates at month end"
	    "</th></tr></thead>"));
	assert_non_null(strstr(h, "<dd data-k=\"certs_valid_end\">38</dd>"));
	assert_non_null(strstr(h, "<dd data-k=\"admin_total\">9</dd>"));
	{
		char want[64];

		snprintf(want, sizeof(want), "<dd data-k=\"signins_ok\">%d</dd>",
		    f.r.signins_ok);
		assert_non_null(strstr(h, want));
	}
	assert_non_null(strstr(h, "<time data-k=\"generated_at\">2026-11-02T09:30:15Z</time>"));

	/* Three charts; one stacked bar per day; one month boundary in each day chart. */
	assert_int_equal(count_of(h, "<svg "), 3);
	assert_int_equal(count_of(h, "role=\"img\""), 3);
	assert_int_equal(count_of(h, "<rect class=\"ok\""), 40);
	assert_int_equal(count_of(h, "<rect class=\"ng\""), 40);
	assert_int_equal(count_of(h, "<line class=\"sep\""), 2);
	assert_int_equal(count_of(h, "<polyline "), 3);
	assert_int_equal(count_of(h, "<rect class=\"app\""), 3);
	assert_null(strstr(h, "なし / none"));
	/* Denials and admin operations tables. */
	assert_non_null(strstr(h, "<td>license_pool_exhausted</td><td class=\"num\">2</td>"));
	assert_non_null(strstr(h, "<td>-user.delete</td><td class=\"num\">3</td>"));
	idg_buf_free(&a);
	idg_buf_free(&b);
}

static void
test_html_empty(void **state)
{
	struct fixture f;
	struct idg_buf b;

	(void)state;
	sample(&f);
	f.r.ndays = 0;
	f.r.days = NULL;
	f.r.napps = 0;
	f.r.apps = NULL;
	f.r.ndenials = 0;
	f.r.nadmin = 0;
	f.r.first = false;
	f.r.final = true;
	render_ok(&b, &f.r, FMT_HTML);
	assert_int_equal(count_of(b.data, "<svg "), 3);
	assert_int_equal(count_of(b.data, "データなし / no data"), 2);
	/* the apps chart, the denials and the admin operations tables */
	assert_int_equal(count_of(b.data, "なし / none"), 3);
	assert_null(strstr(b.data, "<td colspan=\"10\">"));
	assert_int_equal(count_of(b.data, "<rect class=\"ok\""), 0);
	assert_non_null(strstr(b.data, "最終レポート（解約） / Final report (cancellation)"));
	assert_null(strstr(b.data, "初回レポート"));
	idg_buf_free(&b);

	/* Arrays present but counts zero or negative: the same. */
	sample(&f);
	f.r.ndays = -1;
	f.r.napps = 0;
	f.r.nmonths = 0;
	render_ok(&b, &f.r, FMT_HTML);
	assert_int_equal(count_of(b.data, "データなし / no data"), 2);
	assert_int_equal(count_of(b.data, "<rect class=\"app\""), 0);
	assert_null(strstr(b.data, "data-month="));
	/* the months table's "none" row spans all its columns: month + 9 figures */
	assert_non_null(strstr(b.data, "<tr><td colspan=\"10\">なし / none</td></tr>"));
	idg_buf_free(&b);
}

/* All figures zero: the value axis still runs 0..1 (no division by zero). */
static void
test_html_zero(void **state)
{
	struct fixture f;
	struct idg_buf b;
	int i;

	(void)state;
	sample(&f);
	for (i = 0; i < f.r.ndays; i++) {
		f.days[i].signins_ok = f.days[i].signins_failed = f.days[i].sso = 0;
		f.days[i].active_cum = f.days[i].licensed = f.days[i].contracted = 0;
	}
	f.apps[0].count = f.apps[1].count = f.apps[2].count = 0;
	render_ok(&b, &f.r, FMT_HTML);
	assert_int_equal(count_of(b.data, "<rect class=\"ok\""), 40);
	assert_int_equal(count_of(b.data, "text-anchor=\"end\">1</text>"), 2);
	assert_null(strstr(b.data, "height=\"-"));
	assert_null(strstr(b.data, "width=\"-"));
	idg_buf_free(&b);

	/* Negative figures (bad data) are drawn as zero, not as negative sizes. */
	f.days[3].signins_ok = -50;
	f.days[3].signins_failed = -7;
	f.apps[0].count = -1;
	render_ok(&b, &f.r, FMT_HTML);
	assert_null(strstr(b.data, "height=\"-"));
	assert_null(strstr(b.data, "width=\"-"));
	idg_buf_free(&b);
}

/* A first report can cover two full months: 62 days; and the one-day case. */
static void
test_html_days(void **state)
{
	struct fixture f;
	struct idg_buf b;
	char *p, *last;
	size_t n;

	(void)state;
	sample(&f);
	f.r.ndays = 62;
	fill_days(f.days, 62, 2026, 7, 1);	/* 07-01 .. 08-31 */
	render_ok(&b, &f.r, FMT_HTML);
	assert_int_equal(count_of(b.data, "<rect class=\"ok\""), 62);
	assert_int_equal(count_of(b.data, "<line class=\"sep\""), 2);
	assert_non_null(strstr(b.data, "<title>2026-08-31: "));
	/* Every 4th day is labelled: 16 labels in each day chart. */
	n = count_of(b.data, "text-anchor=\"middle\">");
	assert_true(n >= 32);
	/* No bar runs past the plot area (x + width <= 712). */
	last = NULL;
	for (p = strstr(b.data, "<rect class=\"ng\" x=\""); p != NULL;
	    p = strstr(p + 1, "<rect class=\"ng\" x=\""))
		last = p;
	assert_non_null(last);
	{
		long x, w;

		assert_int_equal(sscanf(last, "<rect class=\"ng\" x=\"%ld\" y=\"%*d\" "
		    "width=\"%ld\"", &x, &w), 2);
		assert_true(x + w <= 712);
		assert_true(w >= 1);
	}
	idg_buf_free(&b);

	f.r.ndays = 1;
	render_ok(&b, &f.r, FMT_HTML);
	assert_int_equal(count_of(b.data, "<rect class=\"ok\""), 1);
	assert_int_equal(count_of(b.data, "<circle "), 3);
	assert_int_equal(count_of(b.data, "<line class=\"sep\""), 0);
	idg_buf_free(&b);
}

/* Long app names are cut on a code point boundary in the chart; the tooltip keeps all. */
static void
test_html_long_app(void **state)
{
	struct fixture f;
	struct idg_buf b;
	char name[129];
	int i;

	(void)state;
	sample(&f);
	name[0] = '\0';
	for (i = 0; i < 40; i++)	/* 40 x 3 bytes = 120 bytes */
		idg_strlcpy(name + strlen(name), "あ", sizeof(name) - strlen(name));
	set_count(&f.apps[0], name, 5);
	render_ok(&b, &f.r, FMT_HTML);
	{
		char want[256];

		snprintf(want, sizeof(want), "<title>%s: 5</title>", name);
		assert_non_null(strstr(b.data, want));
		name[30 * 3] = '\0';
		snprintf(want, sizeof(want), ">%s…</text>", name);
		assert_non_null(strstr(b.data, want));
	}
	idg_buf_free(&b);
}

/* ---- CSV -------------------------------------------------------------- */

static void
test_csv_layout(void **state)
{
	struct fixture f;
	struct idg_buf a, b;
	size_t i;

	(void)state;
	sample(&f);
	render_ok(&a, &f.r, FMT_CSV_BOM);
	render_ok(&b, &f.r, FMT_CSV);
	/* The BOM only when asked, and nothing else differs. */
	assert_memory_equal(a.data, "\xEF\xBB\xBF" "section,company_id,name,", 27);
	assert_memory_equal(b.data, "section,company_id,name,", 24);
	assert_int_equal(a.len, b.len + 3);
	assert_memory_equal(a.data + 3, b.data, b.len);
	assert_null(strstr(b.data, "\xEF\xBB\xBF"));

	/* CRLF only, six sections separated by one empty line, ends with CRLF. */
	for (i = 0; i < b.len; i++) {
		if (b.data[i] == '\n')
			assert_true(i > 0 && b.data[i - 1] == '\r');
	}
	assert_int_equal(count_of(b.data, "\r\n\r\n"), 5);
	assert_int_equal(count_of(b.data, "\r\nsection,"), 5);
	assert_null(strstr(b.data, "\r\n\r\n\r\n"));
	assert_memory_equal(b.data + b.len - 2, "\r\n", 2);
	assert_int_equal(count_of(b.data, "\r\ndays,"), 40);
	assert_int_equal(count_of(b.data, "\r\nmonths,"), 2);
	assert_non_null(strstr(b.data, "\r\nsection,month,contracted_end,licensed_peak,"
	    "licensed_end,active_ids,device_licensed,device_users,certs_issued,certs_revoked,"
	    "certs_valid_end\r\n"));
	assert_non_null(strstr(b.data, "\r\nmonths,2026-09,25,21,21,6,10,4,7,1,5\r\n"));
	assert_non_null(strstr(b.data, "\r\nmonths,2026-10,30,24,24,20,10,6,5,1,38\r\n"));
	assert_non_null(strstr(b.data, ",2026-09-22,2026-10-31,2026-11-16,true,false,"));
	/* Name quoted (it holds quotes), quotes doubled; formula cells neutralised. */
	assert_non_null(strstr(b.data, "summary,sample-co,\"株式会社サンプル \"\"Q\"\" <b>&\","));
	assert_non_null(strstr(b.data, "\r\napps,\"Box, \"\"Drive\"\"\",120\r\n"));
	assert_non_null(strstr(b.data, "\r\napps,'=SUM(1+1),7\r\n"));
	assert_non_null(strstr(b.data, "\r\nadmin_operations,'-user.delete,3\r\n"));
	assert_non_null(strstr(b.data, "\r\ndenials,bad_password,14\r\n"));
	idg_buf_free(&a);
	idg_buf_free(&b);
}

/* The summary row's name cell for a given tenant name. */
static void
csv_name_is(const char *name, const char *want_cell)
{
	struct fixture f;
	struct idg_buf b;
	char want[512];

	sample(&f);
	idg_strlcpy(f.r.name, name, sizeof(f.r.name));
	render_ok(&b, &f.r, FMT_CSV);
	snprintf(want, sizeof(want), "\r\nsummary,sample-co,%s,2026-10,", want_cell);
	if (strstr(b.data, want) == NULL)
		fail_msg("name [%s]: cell [%s] not found", name, want_cell);
	idg_buf_free(&b);
}

static void
test_csv_cells(void **state)
{
	struct fixture f;
	struct idg_buf b;

	(void)state;
	/* RFC 4180 quoting */
	csv_name_is("plain", "plain");
	csv_name_is("a,b", "\"a,b\"");
	csv_name_is("say \"hi\"", "\"say \"\"hi\"\"\"");
	csv_name_is("two\nlines", "\"two\nlines\"");
	csv_name_is("cr\rlf\r\n", "\"cr\rlf\r\n\"");
	csv_name_is("a,b \"c\"\nd", "\"a,b \"\"c\"\"\nd\"");
	csv_name_is("", "");
	/* OWASP CSV injection: a leading = + - @ TAB CR gets an apostrophe. */
	csv_name_is("=1+2", "'=1+2");
	csv_name_is("+81 3", "'+81 3");
	csv_name_is("-2+3", "'-2+3");
	csv_name_is("@SUM(A1)", "'@SUM(A1)");
	csv_name_is("\tx", "'\tx");
	csv_name_is("\rx", "\"'\rx\"");
	csv_name_is("=HYPERLINK(\"a\",\"b\")", "\"'=HYPERLINK(\"\"a\"\",\"\"b\"\")\"");
	/* Only a leading sign counts. */
	csv_name_is("a=b", "a=b");
	csv_name_is(" =x", " =x");

	/* Numbers are numbers, not text: a negative figure is not prefixed. */
	sample(&f);
	f.r.certs_valid_end = -1;
	render_ok(&b, &f.r, FMT_CSV);
	assert_non_null(strstr(b.data, ",12,2,-1\r\n"));
	idg_buf_free(&b);

	/* Empty lists keep their header rows. */
	f.r.ndays = 0;
	f.r.napps = 0;
	f.r.ndenials = 0;
	f.r.nadmin = 0;
	f.r.nmonths = 0;
	render_ok(&b, &f.r, FMT_CSV);
	assert_non_null(strstr(b.data, "\r\n\r\nsection,month,contracted_end,"));
	assert_non_null(strstr(b.data, "contracted\r\n\r\nsection,app,launches\r\n\r\n"
	    "section,reason,count\r\n\r\nsection,action,count\r\n"));
	assert_int_equal(count_of(b.data, "\r\n"), 12);
	idg_buf_free(&b);
}

/* ---- JSON ------------------------------------------------------------- */

static json_t *
parse(const struct idg_buf *b)
{
	json_error_t err;
	json_t *j;

	j = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL)
		fail_msg("JSON does not parse: %s at line %d column %d", err.text, err.line,
		    err.column);
	return j;
}

static void
test_json_values(void **state)
{
	static const char *const keys[] = { "company_id", "name", "month", "from_day", "to_day",
	    "due", "first", "final", "generated_at", "months", "totals", "days", "apps",
	    "denials", "admin_operations" };
	static const char *const mkeys[] = { "month", "contracted_end", "licensed_peak",
	    "licensed_end", "active_ids", "device_licensed", "device_users", "certs_issued",
	    "certs_revoked", "certs_valid_end" };
	struct fixture f;
	struct idg_buf b;
	json_t *j, *d;
	const char *k;
	json_t *v;
	size_t i = 0;

	(void)state;
	sample(&f);
	render_ok(&b, &f.r, FMT_JSON);
	assert_memory_equal(b.data + b.len - 2, "}\n", 2);
	j = parse(&b);
	assert_true(json_is_object(j));
	/* Keys in the documented order (jansson keeps insertion order). */
	assert_int_equal(json_object_size(j), sizeof(keys) / sizeof(keys[0]));
	json_object_foreach(j, k, v) {
		assert_string_equal(k, keys[i]);
		i++;
	}
	assert_string_equal(json_string_value(json_object_get(j, "name")), SAMPLE_NAME);
	assert_string_equal(json_string_value(json_object_get(j, "company_id")), "sample-co");
	assert_string_equal(json_string_value(json_object_get(j, "due")), "2026-11-16");
	assert_string_equal(json_string_value(json_object_get(j, "generated_at")),
	    "2026-11-02T09:30:15Z");
	assert_true(json_is_true(json_object_get(j, "first")));
	assert_true(json_is_false(json_object_get(j, "final")));
	assert_int_equal(json_array_size(json_object_get(j, "months")), 2);
	d = json_array_get(json_object_get(j, "months"), 1);
	assert_string_equal(json_string_value(json_object_get(d, "month")), "2026-10");
	assert_int_equal(json_integer_value(json_object_get(d, "active_ids")), 20);
	assert_int_equal(json_integer_value(json_object_get(d, "device_users")), 6);
	assert_int_equal(json_integer_value(json_object_get(d, "certs_issued")), 5);
	assert_int_equal(json_integer_value(json_object_get(d, "certs_revoked")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "certs_valid_end")), 38);
	/* A month's keys, in the documented order. */
	d = json_array_get(json_object_get(j, "months"), 0);
	assert_int_equal(json_object_size(d), sizeof(mkeys) / sizeof(mkeys[0]));
	i = 0;
	json_object_foreach(d, k, v) {
		assert_string_equal(k, mkeys[i]);
		i++;
	}
	assert_int_equal(json_integer_value(json_object_get(d, "certs_issued")), 7);
	assert_int_equal(json_integer_value(json_object_get(d, "certs_valid_end")), 5);
	d = json_object_get(j, "totals");
	assert_int_equal(json_integer_value(json_object_get(d, "signins_ok")), f.r.signins_ok);
	assert_int_equal(json_integer_value(json_object_get(d, "certs_valid_end")), 38);
	assert_int_equal(json_array_size(json_object_get(j, "days")), 40);
	d = json_array_get(json_object_get(j, "days"), 39);
	assert_string_equal(json_string_value(json_object_get(d, "day")), "2026-10-31");
	assert_int_equal(json_integer_value(json_object_get(d, "contracted")), 30);
	assert_int_equal(json_integer_value(json_object_get(d, "sso")), f.days[39].sso);
	d = json_array_get(json_object_get(j, "apps"), 1);
	assert_string_equal(json_string_value(json_object_get(d, "name")), "Box, \"Drive\"");
	assert_int_equal(json_integer_value(json_object_get(d, "count")), 120);
	d = json_array_get(json_object_get(j, "admin_operations"), 1);
	assert_string_equal(json_string_value(json_object_get(d, "name")), "-user.delete");
	assert_int_equal(json_array_size(json_object_get(j, "denials")), 2);
	json_decref(j);
	idg_buf_free(&b);

	/* Empty lists are empty arrays. */
	f.r.ndays = 0;
	f.r.napps = 0;
	f.r.apps = NULL;
	f.r.ndenials = 0;
	f.r.nadmin = -3;
	f.r.nmonths = 0;
	render_ok(&b, &f.r, FMT_JSON);
	j = parse(&b);
	assert_int_equal(json_array_size(json_object_get(j, "days")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "apps")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "months")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "admin_operations")), 0);
	json_decref(j);
	idg_buf_free(&b);
}

static void
test_json_escape(void **state)
{
	static const char name[] = "a\"b\\c\x01" "d\x1f\n\t 日本語 <x> \x7f/";
	struct fixture f;
	struct idg_buf b;
	json_t *j;

	(void)state;
	sample(&f);
	idg_strlcpy(f.r.name, name, sizeof(f.r.name));
	render_ok(&b, &f.r, FMT_JSON);
	assert_non_null(strstr(b.data, "\"name\": \"a\\\"b\\\\c\\u0001d\\u001f\\u000a\\u0009 "
	    "日本語 <x> \\u007f/\",\n"));
	j = parse(&b);
	assert_string_equal(json_string_value(json_object_get(j, "name")), name);
	json_decref(j);
	idg_buf_free(&b);

	/* Not UTF-8 (e.g. a name cut inside a character): U+FFFD, still valid JSON. */
	idg_strlcpy(f.r.name, "x\xff" "y\xe3\x81", sizeof(f.r.name));
	set_count(&f.apps[0], "\xc0\xaf" "z\xed\xa0\x80", 1);	/* overlong '/', surrogate */
	render_ok(&b, &f.r, FMT_JSON);
	assert_non_null(strstr(b.data, "\"name\": \"x\\ufffdy\\ufffd\\ufffd\",\n"));
	j = parse(&b);
	assert_string_equal(json_string_value(json_object_get(j, "name")),
	    "x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "apps"), 0), "name")),
	    "\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	json_decref(j);
	idg_buf_free(&b);

	/* 4-byte UTF-8 passes through. */
	idg_strlcpy(f.r.name, "𠮷野家", sizeof(f.r.name));
	render_ok(&b, &f.r, FMT_JSON);
	assert_non_null(strstr(b.data, "\"name\": \"𠮷野家\",\n"));
	idg_buf_free(&b);
}

/* ---- failures --------------------------------------------------------- */

/*
 * Every renderer, cut short by the buffer's maximum at many points, returns
 * IDG_ERR and leaves what the buffer held before; with exactly enough room
 * it succeeds.
 */
static void
test_buffer_limit(void **state)
{
	static const enum fmt fmts[] = { FMT_HTML, FMT_CSV, FMT_CSV_BOM, FMT_JSON };
	struct fixture f;
	struct idg_buf full, b;
	size_t i, max, tries;

	(void)state;
	sample(&f);
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		render_ok(&full, &f.r, fmts[i]);
		tries = 0;
		for (max = 0; max < full.len; max += max < 64 ? 1 : 997) {
			idg_buf_init(&b, 4 + max);
			assert_int_equal(idg_buf_adds(&b, "PRE:"), IDG_OK);
			assert_int_equal(render(&b, &f.r, fmts[i]), IDG_ERR);
			assert_int_equal(b.len, 4);
			assert_string_equal(b.data, "PRE:");
			idg_buf_free(&b);
			tries++;
		}
		/* one byte short, then exactly enough */
		idg_buf_init(&b, 4 + full.len - 1);
		assert_int_equal(idg_buf_adds(&b, "PRE:"), IDG_OK);
		assert_int_equal(render(&b, &f.r, fmts[i]), IDG_ERR);
		assert_string_equal(b.data, "PRE:");
		idg_buf_free(&b);
		idg_buf_init(&b, 4 + full.len);
		assert_int_equal(idg_buf_adds(&b, "PRE:"), IDG_OK);
		assert_int_equal(render(&b, &f.r, fmts[i]), IDG_OK);
		assert_int_equal(b.len, 4 + full.len);
		assert_memory_equal(b.data + 4, full.data, full.len);
		idg_buf_free(&b);
		/* an empty buffer with no room at all */
		idg_buf_init(&b, 0);
		assert_int_equal(render(&b, &f.r, fmts[i]), IDG_ERR);
		assert_int_equal(b.len, 0);
		idg_buf_free(&b);
		assert_true(tries > 64);
		idg_buf_free(&full);
	}
}

/* A generated_at that gmtime_r cannot render as a 4-digit year fails the page, not garbles it. */
static void
test_bad_time(void **state)
{
	struct fixture f;
	struct idg_buf b;

	(void)state;
	sample(&f);
	f.r.generated_at = INT64_MAX;
	idg_buf_init(&b, BUF_MAX);
	assert_int_equal(idg_report_html(&b, &f.r), IDG_ERR);
	assert_int_equal(b.len, 0);
	assert_int_equal(idg_report_json(&b, &f.r), IDG_ERR);
	assert_int_equal(b.len, 0);
	/* The CSV does not carry it. */
	assert_int_equal(idg_report_csv(&b, &f.r, false), IDG_OK);
	idg_buf_free(&b);

	f.r.generated_at = 0;
	render_ok(&b, &f.r, FMT_JSON);
	assert_non_null(strstr(b.data, "\"generated_at\": \"1970-01-01T00:00:00Z\""));
	idg_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_html_page),
		cmocka_unit_test(test_html_empty),
		cmocka_unit_test(test_html_zero),
		cmocka_unit_test(test_html_days),
		cmocka_unit_test(test_html_long_app),
		cmocka_unit_test(test_csv_layout),
		cmocka_unit_test(test_csv_cells),
		cmocka_unit_test(test_json_values),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_buffer_limit),
		cmocka_unit_test(test_bad_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
