/*
 * render.c - the three renderers of a monthly tenant report (report.h): one
 * self-contained HTML page (inline CSS, inline SVG charts, no scripts, no
 * external resources), RFC 4180 CSV and JSON. Each is a pure function of a
 * struct idg_report: no clock, no locale, no I/O, no memory beyond the
 * caller's bounded buffer, so the same struct always gives the same bytes.
 * This file neither computes the figures (report.c, billing.c) nor decides
 * where the output goes (CLI, handlers).
 *
 * Output formats (the reference for README.md "Reports"):
 *
 * CSV: UTF-8, CRLF line ends, RFC 4180 quoting (a field holding , " CR or LF
 * is quoted, quotes doubled), an optional BOM (EF BB BF) first. Six
 * sections in this order, separated by one empty line; each starts with a
 * header row whose first column is "section", and each of its data rows
 * starts with the section's name:
 *   summary:          section,company_id,name,month,from_day,to_day,due,first,final,
 *                     signins_ok,signins_failed,sso_total,admin_total,certs_issued,
 *                     certs_revoked,certs_valid_end   (one row; first/final true|false)
 *   months:           section,month,contracted_end,licensed_peak,licensed_end,active_ids,
 *                     device_licensed,device_users,certs_issued,certs_revoked,
 *                     certs_valid_end                 (one row per calendar month)
 *   days:             section,day,signins_ok,signins_failed,sso,active_cum,licensed,contracted
 *   apps:             section,app,launches
 *   denials:          section,reason,count
 *   admin_operations: section,action,count
 * A section without rows keeps its header row. A text cell starting with
 * = + - @ TAB or CR gets a leading apostrophe so spreadsheets do not run it
 * as a formula (OWASP "CSV Injection").
 *
 * JSON: one object ending with a newline. The top level has one key per
 * line with 2-space indentation; every array element and the "totals"
 * object are written on one line (", " and ": " separators). Keys, in
 * order: company_id, name, month, from_day, to_day, due (strings), first,
 * final (booleans), generated_at ("YYYY-MM-DDTHH:MM:SSZ", UTC), months
 * [{month, contracted_end, licensed_peak, licensed_end, active_ids,
 * device_licensed, device_users, certs_issued, certs_revoked,
 * certs_valid_end}], totals {signins_ok, signins_failed,
 * sso_total, admin_total, certs_issued, certs_revoked, certs_valid_end},
 * days [{day, signins_ok, signins_failed, sso, active_cum, licensed,
 * contracted}], apps, denials, admin_operations [{name, count}]. Figures
 * are integers. Strings escape " and \ as \" and \\, control characters as
 * \u00XX; valid UTF-8 passes through, an invalid byte becomes U+FFFD.
 *
 * On any failure (the buffer's maximum is reached, or no memory) a renderer
 * returns IDG_ERR and leaves the buffer as it found it.
 */
#include "report.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../util/buf.h"
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"

/* ---- output with a sticky error --------------------------------------- */

/* Output in progress: the first failed append is kept and the rest are skipped. */
struct out {
	struct idg_buf	*b;
	size_t		 start;		/* b->len before rendering, restored on failure */
	int		 st;		/* first failure, or IDG_OK */
	int		 logged;	/* the failure was logged where it was detected */
};

static void
out_begin(struct out *o, struct idg_buf *b)
{
	o->b = b;
	o->start = b->len;
	o->st = IDG_OK;
	o->logged = 0;
}

/* Ends a render: on failure truncates b back to where it started and logs once. */
static int
out_end(struct out *o, const char *func)
{
	if (o->st == IDG_OK)
		return IDG_OK;
	o->b->len = o->start;
	if (o->b->data != NULL)
		o->b->data[o->start] = '\0';
	if (!o->logged)
		idg_log_msg(IDG_LOG_ERROR, func, "report not rendered: %s (buffer max %zu bytes)",
		    idg_status_str(o->st), o->b->max_bytes);
	return IDG_ERR;
}

static void
put_n(struct out *o, const char *s, size_t n)
{
	int st;

	if (o->st == IDG_OK && n > 0 && (st = idg_buf_add(o->b, s, n)) != IDG_OK)
		o->st = st;
}

static void
put(struct out *o, const char *s)
{
	put_n(o, s, strlen(s));
}

static void	put_f(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put_f(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int st;

	if (o->st != IDG_OK)
		return;
	va_start(ap, fmt);
	st = idg_buf_vprintf(o->b, fmt, ap);
	va_end(ap);
	if (st != IDG_OK)
		o->st = st;
}

static void
put_html(struct out *o, const char *s)
{
	int st;

	if (o->st == IDG_OK && (st = idg_html_escape(o->b, s)) != IDG_OK)
		o->st = st;
}

/* ---- small helpers ---------------------------------------------------- */

/* generated_at as "YYYY-MM-DDTHH:MM:SSZ" (gmtime_r does not use the locale). */
static int
iso_utc(int64_t t, char *out, size_t outsz)
{
	struct tm tm;
	time_t tt = (time_t)t;

	out[0] = '\0';
	if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return IDG_INVALID;
	snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return IDG_OK;
}

/* The day of month of "YYYY-MM-DD", or 0 when malformed. */
static int
mday(const char *day)
{
	if (strlen(day) != 10 || day[8] < '0' || day[8] > '9' || day[9] < '0' || day[9] > '9')
		return 0;
	return (day[8] - '0') * 10 + (day[9] - '0');
}

/* How many elements a list of the report has: none when NULL or n < 0. */
static int
items(const void *list, int n)
{
	return list != NULL && n > 0 ? n : 0;
}

/* Negative figures (bad data) are drawn as zero. */
static int64_t
nonneg(int v)
{
	return v < 0 ? 0 : v;
}

/* ---- HTML: charts ----------------------------------------------------- */

/*
 * SVG coordinates are integers computed with int64_t arithmetic (no
 * floating point, so no locale and no rounding differences between hosts).
 */
struct plot {
	int64_t	w, h;		/* viewBox */
	int64_t	l, r, t, bot;	/* plot area */
	int64_t	step, top;	/* value axis: tick step and the value at the far end */
};

/* The smallest 1, 2 or 5 x 10^k at least max/4, so an axis has at most 5 ticks. */
static void
plot_scale(struct plot *p, int64_t max)
{
	int64_t raw, s = 1;

	if (max < 1)
		max = 1;	/* an all-zero chart still gets an axis, and no division by 0 */
	raw = (max + 3) / 4;
	for (;;) {
		if (s >= raw)
			break;
		if (2 * s >= raw) {
			s *= 2;
			break;
		}
		if (5 * s >= raw) {
			s *= 5;
			break;
		}
		s *= 10;
	}
	p->step = s;
	p->top = (max + s - 1) / s * s;
}

/* The y of value v on a vertical value axis, rounded to the nearest unit. */
static int64_t
plot_y(const struct plot *p, int64_t v)
{
	if (v < 0)
		v = 0;
	if (v > p->top)
		v = p->top;
	return p->bot - (2 * v * (p->bot - p->t) + p->top) / (2 * p->top);
}

static void
svg_open(struct out *o, const struct plot *p, const char *cls, const char *label)
{
	put_f(o, "<svg class=\"%s\" viewBox=\"0 0 %lld %lld\" width=\"100%%\" role=\"img\" "
	    "aria-label=\"%s\"><title>%s</title>\n", cls, (long long)p->w, (long long)p->h,
	    label, label);
}

/* Horizontal gridlines with tick labels, and the two axes. */
static void
svg_y_axis(struct out *o, const struct plot *p)
{
	int64_t v, y;

	for (v = 0; v <= p->top; v += p->step) {
		y = plot_y(p, v);
		if (v > 0)
			put_f(o, "<line class=\"grid\" x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" "
			    "y2=\"%lld\"/>", (long long)p->l, (long long)y, (long long)p->r,
			    (long long)y);
		put_f(o, "<text class=\"tick\" x=\"%lld\" y=\"%lld\" text-anchor=\"end\">%lld"
		    "</text>\n", (long long)(p->l - 5), (long long)(y + 4), (long long)v);
	}
	put_f(o, "<line class=\"axis\" x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" y2=\"%lld\"/>"
	    "<line class=\"axis\" x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" y2=\"%lld\"/>\n",
	    (long long)p->l, (long long)p->t, (long long)p->l, (long long)p->bot,
	    (long long)p->l, (long long)p->bot, (long long)p->r, (long long)p->bot);
}

/* One legend entry at (x, y): a swatch of class cls (a line segment when line) and its text. */
static void
svg_legend(struct out *o, int64_t x, int64_t y, const char *cls, int line, const char *text)
{
	if (line)
		put_f(o, "<line class=\"%s sw\" x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" y2=\"%lld\"/>",
		    cls, (long long)x, (long long)(y - 4), (long long)(x + 18), (long long)(y - 4));
	else
		put_f(o, "<rect class=\"%s sw\" x=\"%lld\" y=\"%lld\" width=\"12\" "
		    "height=\"10\"/>", cls, (long long)(x + 3), (long long)(y - 9));
	put_f(o, "<text class=\"legend\" x=\"%lld\" y=\"%lld\">%s</text>\n",
	    (long long)(x + 22), (long long)y, text);
}

/* Day labels along the x axis: every k-th day, k chosen so at most ~16 labels show. */
static void
svg_day_label(struct out *o, const struct plot *p, int i, int n, int64_t x,
    const struct idg_report_day *d)
{
	int k = (n + 15) / 16, md = mday(d->day);

	if (i % k != 0)
		return;
	put_f(o, "<text class=\"tick\" x=\"%lld\" y=\"%lld\" text-anchor=\"middle\">%d</text>",
	    (long long)x, (long long)(p->bot + 14), md > 0 ? md : i + 1);
}

/* A dashed line where a new calendar month starts (a first report covers two). */
static void
svg_month_sep(struct out *o, const struct plot *p, int i, int64_t x,
    const struct idg_report_day *d)
{
	char month[8];

	if (i == 0 || mday(d->day) != 1)
		return;
	idg_strlcpy(month, d->day, sizeof(month));	/* "YYYY-MM" of "YYYY-MM-DD" */
	put_f(o, "<line class=\"sep\" x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" y2=\"%lld\"/>"
	    "<text class=\"tick\" x=\"%lld\" y=\"%lld\">", (long long)x, (long long)p->t,
	    (long long)x, (long long)p->bot, (long long)(x + 3), (long long)(p->t + 10));
	put_html(o, month);
	put(o, "</text>\n");
}

static void
svg_no_data(struct out *o, const struct plot *p)
{
	put_f(o, "<text class=\"none\" x=\"%lld\" y=\"%lld\" text-anchor=\"middle\">"
	    "データなし / no data</text>\n", (long long)((p->l + p->r) / 2),
	    (long long)((p->t + p->bot) / 2));
}

/* Chart 1: daily sign-ins, one stacked bar per day (successful below, failed on top). */
static void
chart_signins(struct out *o, const struct idg_report *r)
{
	struct plot p = { .w = 720, .h = 160, .l = 44, .r = 712, .t = 24, .bot = 136 };
	int64_t max = 0, span, x0, x1, gap, bw, yok, ytot;
	int i, n = items(r->days, r->ndays);

	for (i = 0; i < n; i++) {
		int64_t v = nonneg(r->days[i].signins_ok) + nonneg(r->days[i].signins_failed);

		if (v > max)
			max = v;
	}
	plot_scale(&p, max);
	svg_open(o, &p, "chart signins", "日別サインイン / Daily sign-ins");
	svg_legend(o, p.l, 14, "ok", 0, "成功 / Successful");
	svg_legend(o, p.l + 150, 14, "ng", 0, "失敗 / Failed");
	svg_y_axis(o, &p);
	if (n == 0)
		svg_no_data(o, &p);
	span = p.r - p.l;
	for (i = 0; i < n; i++) {
		const struct idg_report_day *d = &r->days[i];
		int64_t ok = nonneg(d->signins_ok), ng = nonneg(d->signins_failed);

		x0 = p.l + i * span / n;
		x1 = p.l + (i + 1) * span / n;
		gap = (x1 - x0) / 5;	/* bar from x0 + gap/2, ending at or before x1 */
		bw = x1 - x0 - gap;
		if (bw < 1)
			bw = 1;
		yok = plot_y(&p, ok);
		ytot = plot_y(&p, ok + ng);
		svg_month_sep(o, &p, i, x0, d);
		put(o, "<g><title>");
		put_html(o, d->day);
		put_f(o, ": 成功 / ok %lld, 失敗 / failed %lld</title>", (long long)ok,
		    (long long)ng);
		put_f(o, "<rect class=\"ok\" x=\"%lld\" y=\"%lld\" width=\"%lld\" "
		    "height=\"%lld\"/>", (long long)(x0 + gap / 2), (long long)yok,
		    (long long)bw, (long long)(p.bot - yok));
		put_f(o, "<rect class=\"ng\" x=\"%lld\" y=\"%lld\" width=\"%lld\" "
		    "height=\"%lld\"/></g>", (long long)(x0 + gap / 2), (long long)ytot,
		    (long long)bw, (long long)(yok - ytot));
		svg_day_label(o, &p, i, n, (x0 + x1) / 2, d);
		put(o, "\n");
	}
	put(o, "</svg>\n");
}

/* The x of day i of n on a line chart (a single day sits in the middle). */
static int64_t
line_x(const struct plot *p, int i, int n)
{
	if (n <= 1)
		return (p->l + p->r) / 2;
	return p->l + i * (p->r - p->l) / (n - 1);
}

/* Which daily figure a line of chart 2 draws. */
enum line_field { LINE_ACTIVE, LINE_LICENSED, LINE_CONTRACTED };

static int64_t
line_value(const struct idg_report_day *d, enum line_field f)
{
	switch (f) {
	case LINE_ACTIVE:
		return nonneg(d->active_cum);
	case LINE_LICENSED:
		return nonneg(d->licensed);
	default:
		return nonneg(d->contracted);
	}
}

/* One polyline; step draws it as a staircase (the contract changes on a day, not gradually). */
static void
svg_line(struct out *o, const struct plot *p, const struct idg_report *r, int n,
    enum line_field f, const char *cls, int step)
{
	int64_t x, y, prev = 0;
	int i;

	put_f(o, "<polyline class=\"%s\" points=\"", cls);
	for (i = 0; i < n; i++) {
		x = line_x(p, i, n);
		y = plot_y(p, line_value(&r->days[i], f));
		if (step && i > 0 && y != prev)
			put_f(o, " %lld,%lld", (long long)x, (long long)prev);
		put_f(o, "%s%lld,%lld", i > 0 ? " " : "", (long long)x, (long long)y);
		prev = y;
	}
	put(o, "\"/>\n");
	if (n == 1)		/* a one-point polyline is invisible: mark the point */
		put_f(o, "<circle class=\"%s\" cx=\"%lld\" cy=\"%lld\" r=\"3\"/>\n", cls,
		    (long long)line_x(p, 0, 1), (long long)prev);
}

/* Chart 2: active IDs (cumulative in the month) and licenses in use against the contract. */
static void
chart_ids(struct out *o, const struct idg_report *r)
{
	struct plot p = { .w = 360, .h = 222, .l = 40, .r = 352, .t = 54, .bot = 198 };
	int64_t max = 0;
	int i, n = items(r->days, r->ndays);

	for (i = 0; i < n; i++) {
		int64_t a = nonneg(r->days[i].active_cum), l = nonneg(r->days[i].licensed);
		int64_t c = nonneg(r->days[i].contracted);

		if (a > max)
			max = a;
		if (l > max)
			max = l;
		if (c > max)
			max = c;
	}
	plot_scale(&p, max);
	svg_open(o, &p, "chart ids", "アクティブIDと契約 / Active IDs vs contract");
	svg_legend(o, p.l, 14, "l-act", 1, "アクティブID（月累計） / Active IDs (month to date)");
	svg_legend(o, p.l, 29, "l-lic", 1, "利用ライセンス / Licenses in use");
	svg_legend(o, p.l, 44, "l-con", 1, "契約ID数 / Contracted IDs");
	svg_y_axis(o, &p);
	if (n == 0) {
		svg_no_data(o, &p);
		put(o, "</svg>\n");
		return;
	}
	for (i = 0; i < n; i++) {
		svg_month_sep(o, &p, i, line_x(&p, i, n), &r->days[i]);
		svg_day_label(o, &p, i, n, line_x(&p, i, n), &r->days[i]);
	}
	put(o, "\n");
	svg_line(o, &p, r, n, LINE_CONTRACTED, "l-con", 1);
	svg_line(o, &p, r, n, LINE_LICENSED, "l-lic", 0);
	svg_line(o, &p, r, n, LINE_ACTIVE, "l-act", 0);
	put(o, "</svg>\n");
}

/* Appends at most maxcp code points of s (HTML-escaped), with an ellipsis when cut. */
static void
put_html_cut(struct out *o, const char *s, int maxcp)
{
	char tmp[sizeof(((struct idg_report_count *)0)->name)];
	size_t i, len = strlen(s);
	int cp = 0;

	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && cp++ == maxcp)
			break;
	}
	if (i == len || i >= sizeof(tmp)) {
		put_html(o, s);
		return;
	}
	memcpy(tmp, s, i);
	tmp[i] = '\0';
	put_html(o, tmp);
	put(o, "…");
}

/*
 * Chart 3: SSO launches of the top apps (already sorted), one horizontal bar
 * each with the app's name above it (cut to fit; the full name is in the
 * bar's tooltip).
 */
static void
chart_apps(struct out *o, const struct idg_report *r)
{
	const int64_t row = 21;
	struct plot p = { .w = 360, .l = 8, .r = 316, .t = 24 };
	int64_t max = 0, v, x, y, len, span;
	int i, n = items(r->apps, r->napps);

	for (i = 0; i < n; i++) {
		if (nonneg(r->apps[i].count) > max)
			max = nonneg(r->apps[i].count);
	}
	plot_scale(&p, max);
	p.bot = p.t + (n > 0 ? n : 1) * row + 2;
	p.h = p.bot + 16;
	span = p.r - p.l;
	svg_open(o, &p, "chart apps", "利用の多いアプリ / Top apps");
	svg_legend(o, p.l, 14, "app", 0, "SSO起動回数 / SSO launches");
	for (v = 0; v <= p.top; v += p.step) {
		x = p.l + v * span / p.top;
		put_f(o, "<line class=\"%s\" x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" y2=\"%lld\"/>"
		    "<text class=\"tick\" x=\"%lld\" y=\"%lld\" text-anchor=\"%s\">%lld</text>\n",
		    v > 0 ? "grid" : "axis", (long long)x, (long long)p.t, (long long)x,
		    (long long)p.bot, (long long)x, (long long)(p.bot + 12),
		    v > 0 ? "middle" : "start", (long long)v);
	}
	if (n == 0)
		put_f(o, "<text class=\"none\" x=\"%lld\" y=\"%lld\" text-anchor=\"middle\">"
		    "なし / none</text>\n", (long long)((p.l + p.r) / 2),
		    (long long)(p.t + row / 2 + 4));
	for (i = 0; i < n; i++) {
		v = nonneg(r->apps[i].count);
		y = p.t + i * row;
		len = (2 * v * span + p.top) / (2 * p.top);
		put(o, "<g><title>");
		put_html(o, r->apps[i].name);
		put_f(o, ": %lld</title><text class=\"label\" x=\"%lld\" y=\"%lld\">",
		    (long long)v, (long long)(p.l + 2), (long long)(y + 10));
		put_html_cut(o, r->apps[i].name, 30);
		put_f(o, "</text><rect class=\"app\" x=\"%lld\" y=\"%lld\" width=\"%lld\" "
		    "height=\"7\"/><text class=\"tick\" x=\"%lld\" y=\"%lld\">%lld</text></g>\n",
		    (long long)p.l, (long long)(y + 12), (long long)len,
		    (long long)(p.l + len + 4), (long long)(y + 19), (long long)v);
	}
	put(o, "</svg>\n");
}

/* ---- HTML: page ------------------------------------------------------- */

static const char html_style[] =
	"@page{size:A4;margin:10mm}\n"
	"*{box-sizing:border-box}\n"
	"html{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
	"body{margin:0 auto;max-width:190mm;padding:4mm;color:#1a202c;background:#fff;"
	"font:8.5pt/1.35 system-ui,-apple-system,\"Segoe UI\",\"Hiragino Sans\","
	"\"Hiragino Kaku Gothic ProN\",\"Noto Sans CJK JP\",\"Yu Gothic\",Meiryo,sans-serif}\n"
	"@media print{body{padding:0;max-width:none}}\n"
	"header{border-bottom:2px solid #2b6cb0;padding-bottom:1.5mm}\n"
	"h1{font-size:14pt;margin:0}\n"
	"h2{font-size:10pt;margin:2.5mm 0 .8mm;color:#2a4365}\n"
	".tenant{font-size:11.5pt;font-weight:600;margin:.5mm 0}\n"
	".cid{font-weight:400;color:#4a5568}\n"
	".meta{display:flex;flex-wrap:wrap;gap:1mm 6mm;margin:0}\n"
	".meta div{display:flex;gap:2mm}.meta dt{color:#4a5568}.meta dd{margin:0;font-weight:600}\n"
	".note{display:inline-block;margin:1mm 2mm 0 0;padding:.3mm 2mm;"
	"border-left:3px solid #2b6cb0;background:#ebf8ff}\n"
	".note.final{border-color:#c53030;background:#fff5f5}\n"
	"table{border-collapse:collapse;width:100%;line-height:1.25}\n"
	"th,td{border-bottom:1px solid #e2e8f0;padding:.2mm 1.5mm;text-align:left;"
	"vertical-align:bottom}\n"
	"th{font-weight:600;color:#4a5568;font-size:7.5pt}\n"
	"tbody th{white-space:nowrap;font-size:8.5pt;color:#1a202c}\n"
	"td[data-k],td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	".kpis{display:grid;grid-template-columns:repeat(7,1fr);gap:1.5mm;margin:0}\n"
	".kpis div{border:1px solid #e2e8f0;border-radius:1mm;padding:.5mm 1.5mm;"
	"display:flex;flex-direction:column;justify-content:space-between}\n"
	".kpis dt{color:#4a5568;font-size:7pt;line-height:1.25}\n"
	".kpis dd{margin:0;font-size:11pt;font-weight:600;text-align:right;"
	"font-variant-numeric:tabular-nums}\n"
	".cols{display:grid;grid-template-columns:1fr 1fr;gap:5mm}\n"
	"section{break-inside:avoid}\n"
	"svg{display:block;height:auto}\n"
	"svg text{font-size:11px;fill:#2d3748}svg .label{font-size:10px}\n"
	"svg .tick{font-size:10px;fill:#4a5568}svg .none{fill:#718096}\n"
	".grid{stroke:#e2e8f0;stroke-width:1}.axis{stroke:#4a5568;stroke-width:1}\n"
	".sep{stroke:#a0aec0;stroke-width:1;stroke-dasharray:3 3}\n"
	".ok{fill:#2b6cb0}.ng{fill:#e53e3e}.app{fill:#3182ce}\n"
	"polyline{fill:none;stroke-width:2}line.sw{stroke-width:2}\n"
	".l-act{stroke:#2f855a}.l-lic{stroke:#2b6cb0}\n"
	".l-con{stroke:#c05621;stroke-dasharray:6 4}\n"
	"circle.l-act{fill:#2f855a}circle.l-lic{fill:#2b6cb0}circle.l-con{fill:#c05621}\n"
	"footer{margin-top:3mm;border-top:1px solid #e2e8f0;padding-top:1mm;color:#718096;"
	"font-size:7.5pt}\n";

static void
html_head(struct out *o, const struct idg_report *r)
{
	put(o, "<!doctype html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	put(o, "月次レポート / Monthly report ");
	put_html(o, r->month);
	put(o, " — ");
	put_html(o, r->name);
	put(o, " (");
	put_html(o, r->company_id);
	put(o, ")</title>\n<style>\n");
	put(o, html_style);
	put(o, "</style>\n</head>\n<body>\n");
}

static void
html_meta(struct out *o, const char *label, const char *k, const char *v, const char *v2)
{
	put_f(o, "<div><dt>%s</dt><dd data-k=\"%s\">", label, k);
	put_html(o, v);
	if (v2 != NULL) {
		put(o, " – ");
		put_html(o, v2);
	}
	put(o, "</dd></div>\n");
}

static void
html_header(struct out *o, const struct idg_report *r)
{
	put(o, "<header>\n<h1>月次レポート / Monthly report</h1>\n<p class=\"tenant\">"
	    "<span data-k=\"name\">");
	put_html(o, r->name);
	put(o, "</span> <span class=\"cid\">(<span data-k=\"company_id\">");
	put_html(o, r->company_id);
	put(o, "</span>)</span></p>\n<dl class=\"meta\">\n");
	html_meta(o, "対象月 / Report month", "month", r->month, NULL);
	html_meta(o, "対象期間 / Period", "period", r->from_day, r->to_day);
	html_meta(o, "提出期限 / Due", "due", r->due, NULL);
	put(o, "</dl>\n");
	if (r->first)
		put(o, "<p class=\"note first\" data-k=\"first\">初回レポート: 契約月を含みます / "
		    "First report: includes the contract month</p>\n");
	if (r->final)
		put(o, "<p class=\"note final\" data-k=\"final\">最終レポート（解約） / "
		    "Final report (cancellation)</p>\n");
	put(o, "</header>\n");
}

static void
html_month_cell(struct out *o, const char *k, const char *month, int v)
{
	put_f(o, "<td data-k=\"%s\" data-month=\"", k);
	put_html(o, month);
	put_f(o, "\">%d</td>", v);
}

static void
html_billing(struct out *o, const struct idg_report *r)
{
	int i, n = r->nmonths < 0 ? 0 : r->nmonths > 2 ? 2 : r->nmonths;

	put(o, "<section>\n<h2>請求数値 / Billing figures</h2>\n<table class=\"billing\">\n"
	    "<thead><tr><th>月 / Month</th><th class=\"num\">契約ID数 / Contracted IDs</th>"
	    "<th class=\"num\">ピーク利用ライセンス / Peak licenses in use</th>"
	    "<th class=\"num\">月末利用ライセンス / Licenses in use at month end</th>"
	    "<th class=\"num\">アクティブID / Active IDs</th>"
	    "<th class=\"num\">デバイス証明書ライセンス / Device-certificate licenses</th>"
	    "<th class=\"num\">デバイス証明書利用者 / Device-certificate users</th>"
	    "<th class=\"num\">証明書発行 / Certificates issued</th>"
	    "<th class=\"num\">証明書失効 / Certificates revoked</th>"
	    "<th class=\"num\">月末有効証明書 / Valid certificates at month end</th></tr></thead>\n"
	    "<tbody>\n");
	for (i = 0; i < n; i++) {
		const struct idg_report_month *m = &r->months[i];

		put(o, "<tr><th scope=\"row\">");
		put_html(o, m->month);
		put(o, "</th>");
		html_month_cell(o, "contracted_end", m->month, m->contracted_end);
		html_month_cell(o, "licensed_peak", m->month, m->licensed_peak);
		html_month_cell(o, "licensed_end", m->month, m->licensed_end);
		html_month_cell(o, "active_ids", m->month, m->active_ids);
		html_month_cell(o, "device_licensed", m->month, m->device_licensed);
		html_month_cell(o, "device_users", m->month, m->device_users);
		html_month_cell(o, "certs_issued", m->month, m->certs_issued);
		html_month_cell(o, "certs_revoked", m->month, m->certs_revoked);
		html_month_cell(o, "certs_valid_end", m->month, m->certs_valid_end);
		put(o, "</tr>\n");
	}
	if (n == 0)
		put(o, "<tr><td colspan=\"10\">なし / none</td></tr>\n");
	put(o, "</tbody>\n</table>\n</section>\n");
}

static void
html_kpi(struct out *o, const char *label, const char *k, int v)
{
	put_f(o, "<div><dt>%s</dt><dd data-k=\"%s\">%d</dd></div>\n", label, k, v);
}

static void
html_totals(struct out *o, const struct idg_report *r)
{
	put(o, "<section>\n<h2>期間合計 / Period totals</h2>\n<dl class=\"kpis\">\n");
	html_kpi(o, "サインイン成功 / Successful sign-ins", "signins_ok", r->signins_ok);
	html_kpi(o, "サインイン失敗 / Failed sign-ins", "signins_failed", r->signins_failed);
	html_kpi(o, "SSO起動 / SSO launches", "sso_total", r->sso_total);
	html_kpi(o, "管理操作 / Admin operations", "admin_total", r->admin_total);
	html_kpi(o, "証明書発行 / Certificates issued", "certs_issued", r->certs_issued);
	html_kpi(o, "証明書失効 / Certificates revoked", "certs_revoked", r->certs_revoked);
	html_kpi(o, "期末有効証明書 / Valid certificates at end", "certs_valid_end",
	    r->certs_valid_end);
	put(o, "</dl>\n</section>\n");
}

/* A name + count table (denials, admin operations); k names the list for tests. */
static void
html_counts(struct out *o, const char *title, const char *k, const char *col,
    const struct idg_report_count *c, int n)
{
	int i;

	if (c == NULL)
		n = 0;
	put_f(o, "<section>\n<h2>%s</h2>\n<table class=\"counts\" data-k=\"%s\">\n"
	    "<thead><tr><th>%s</th><th class=\"num\">件数 / Count</th></tr></thead>\n<tbody>\n",
	    title, k, col);
	for (i = 0; i < n; i++) {
		put(o, "<tr><td>");
		put_html(o, c[i].name);
		put_f(o, "</td><td class=\"num\">%d</td></tr>\n", c[i].count);
	}
	if (n <= 0)
		put(o, "<tr><td colspan=\"2\">なし / none</td></tr>\n");
	put(o, "</tbody>\n</table>\n</section>\n");
}

int
idg_report_html(struct idg_buf *b, const struct idg_report *r)
{
	struct out o;
	char gen[64];

	out_begin(&o, b);
	if (iso_utc(r->generated_at, gen, sizeof(gen)) != IDG_OK) {
		log_error("generated_at %lld is not a time of years 0000-9999",
		    (long long)r->generated_at);
		o.st = IDG_INVALID;
		o.logged = 1;
	}
	html_head(&o, r);
	html_header(&o, r);
	html_billing(&o, r);
	html_totals(&o, r);
	put(&o, "<section>\n<h2>日別サインイン / Daily sign-ins</h2>\n");
	chart_signins(&o, r);
	put(&o, "</section>\n<div class=\"cols\">\n<section>\n"
	    "<h2>アクティブIDと契約 / Active IDs vs contract</h2>\n");
	chart_ids(&o, r);
	put(&o, "</section>\n<section>\n<h2>利用の多いアプリ / Top apps</h2>\n");
	chart_apps(&o, r);
	put(&o, "</section>\n</div>\n<div class=\"cols\">\n");
	html_counts(&o, "拒否理由 / Sign-in denials", "denials", "理由 / Reason", r->denials,
	    r->ndenials);
	html_counts(&o, "管理操作 / Admin operations", "admin_operations", "操作 / Operation",
	    r->admin_ops, r->nadmin);
	put(&o, "</div>\n<footer>生成日時 / Generated at: <time data-k=\"generated_at\">");
	put(&o, gen);
	put(&o, "</time> · idgate</footer>\n</body>\n</html>\n");
	return out_end(&o, __func__);
}

/* ---- CSV -------------------------------------------------------------- */

/* One text cell: formula-injection guard (OWASP), then RFC 4180 quoting. */
static void
csv_text(struct out *o, const char *s)
{
	const char *p, *run;
	int quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		put(o, "\"");
	if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
	    s[0] == '\r')
		put(o, "'");
	for (p = run = s; *p != '\0'; p++) {
		if (*p == '"') {
			put_n(o, run, (size_t)(p - run) + 1);	/* the quote, then its double */
			run = p;
		}
	}
	put_n(o, run, (size_t)(p - run));
	if (quote)
		put(o, "\"");
}

int
idg_report_csv_cell(struct idg_buf *b, const char *s)
{
	struct out o;

	out_begin(&o, b);
	csv_text(&o, s);
	return out_end(&o, __func__);
}

static void
csv_count_section(struct out *o, const char *section, const char *col,
    const struct idg_report_count *c, int n)
{
	int i;

	put_f(o, "\r\nsection,%s,%s\r\n", col, strcmp(col, "app") == 0 ? "launches" : "count");
	for (i = 0; c != NULL && i < n; i++) {
		put_f(o, "%s,", section);
		csv_text(o, c[i].name);
		put_f(o, ",%d\r\n", c[i].count);
	}
}

int
idg_report_csv(struct idg_buf *b, const struct idg_report *r, bool bom)
{
	struct out o;
	int i;

	out_begin(&o, b);
	if (bom)
		put(&o, "\xEF\xBB\xBF");
	put(&o, "section,company_id,name,month,from_day,to_day,due,first,final,signins_ok,"
	    "signins_failed,sso_total,admin_total,certs_issued,certs_revoked,certs_valid_end\r\n"
	    "summary,");
	csv_text(&o, r->company_id);
	put(&o, ",");
	csv_text(&o, r->name);
	put(&o, ",");
	csv_text(&o, r->month);
	put(&o, ",");
	csv_text(&o, r->from_day);
	put(&o, ",");
	csv_text(&o, r->to_day);
	put(&o, ",");
	csv_text(&o, r->due);
	put_f(&o, ",%s,%s,%d,%d,%d,%d,%d,%d,%d\r\n", r->first ? "true" : "false",
	    r->final ? "true" : "false", r->signins_ok, r->signins_failed, r->sso_total,
	    r->admin_total, r->certs_issued, r->certs_revoked, r->certs_valid_end);

	put(&o, "\r\nsection,month,contracted_end,licensed_peak,licensed_end,active_ids,"
	    "device_licensed,device_users,certs_issued,certs_revoked,certs_valid_end\r\n");
	for (i = 0; i < r->nmonths && i < 2; i++) {
		const struct idg_report_month *m = &r->months[i];

		put(&o, "months,");
		csv_text(&o, m->month);
		put_f(&o, ",%d,%d,%d,%d,%d,%d,%d,%d,%d\r\n", m->contracted_end, m->licensed_peak,
		    m->licensed_end, m->active_ids, m->device_licensed, m->device_users,
		    m->certs_issued, m->certs_revoked, m->certs_valid_end);
	}

	put(&o, "\r\nsection,day,signins_ok,signins_failed,sso,active_cum,licensed,"
	    "contracted\r\n");
	for (i = 0; r->days != NULL && i < r->ndays; i++) {
		const struct idg_report_day *d = &r->days[i];

		put(&o, "days,");
		csv_text(&o, d->day);
		put_f(&o, ",%d,%d,%d,%d,%d,%d\r\n", d->signins_ok, d->signins_failed, d->sso,
		    d->active_cum, d->licensed, d->contracted);
	}

	csv_count_section(&o, "apps", "app", r->apps, r->napps);
	csv_count_section(&o, "denials", "reason", r->denials, r->ndenials);
	csv_count_section(&o, "admin_operations", "action", r->admin_ops, r->nadmin);
	return out_end(&o, __func__);
}

/* ---- JSON ------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at p (RFC 3629), or 0 if it is invalid. */
static size_t
utf8_seq(const unsigned char *p)
{
	unsigned char c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))
			return 0;	/* overlong form, or a UTF-16 surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
			return 0;	/* overlong form, or past U+10FFFF */
		return 4;
	}
	return 0;
}

/* A JSON string (RFC 8259 section 7), quotes included. */
static void
json_str(struct out *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	size_t n;

	put(o, "\"");
	while (*p != '\0') {
		n = utf8_seq(p);
		if (n == 1 && *p >= 0x20 && *p != '"' && *p != '\\' && *p != 0x7f) {
			p++;
			continue;
		}
		if (n > 1) {
			p += n;
			continue;
		}
		put_n(o, (const char *)run, (size_t)(p - run));
		if (*p == '"')
			put(o, "\\\"");
		else if (*p == '\\')
			put(o, "\\\\");
		else if (n == 1)
			put_f(o, "\\u%04x", *p);
		else
			put(o, "\\ufffd");	/* not UTF-8: RFC 8259 8.1 requires it */
		run = ++p;
	}
	put_n(o, (const char *)run, (size_t)(p - run));
	put(o, "\"");
}

static void
json_key_str(struct out *o, const char *k, const char *v)
{
	put_f(o, "  \"%s\": ", k);
	json_str(o, v);
	put(o, ",\n");
}

static void
json_counts(struct out *o, const char *k, const struct idg_report_count *c, int n, int last)
{
	int i;

	if (c == NULL || n < 0)
		n = 0;
	put_f(o, "  \"%s\": [%s", k, n > 0 ? "\n" : "");
	for (i = 0; i < n; i++) {
		put(o, "    {\"name\": ");
		json_str(o, c[i].name);
		put_f(o, ", \"count\": %d}%s\n", c[i].count, i + 1 < n ? "," : "");
	}
	put_f(o, "%s]%s\n", n > 0 ? "  " : "", last ? "" : ",");
}

int
idg_report_json(struct idg_buf *b, const struct idg_report *r)
{
	struct out o;
	char gen[64];
	int i, n;

	out_begin(&o, b);
	if (iso_utc(r->generated_at, gen, sizeof(gen)) != IDG_OK) {
		log_error("generated_at %lld is not a time of years 0000-9999",
		    (long long)r->generated_at);
		o.st = IDG_INVALID;
		o.logged = 1;
	}
	put(&o, "{\n");
	json_key_str(&o, "company_id", r->company_id);
	json_key_str(&o, "name", r->name);
	json_key_str(&o, "month", r->month);
	json_key_str(&o, "from_day", r->from_day);
	json_key_str(&o, "to_day", r->to_day);
	json_key_str(&o, "due", r->due);
	put_f(&o, "  \"first\": %s,\n  \"final\": %s,\n", r->first ? "true" : "false",
	    r->final ? "true" : "false");
	json_key_str(&o, "generated_at", gen);

	n = r->nmonths < 0 ? 0 : r->nmonths > 2 ? 2 : r->nmonths;
	put_f(&o, "  \"months\": [%s", n > 0 ? "\n" : "");
	for (i = 0; i < n; i++) {
		const struct idg_report_month *m = &r->months[i];

		put(&o, "    {\"month\": ");
		json_str(&o, m->month);
		put_f(&o, ", \"contracted_end\": %d, \"licensed_peak\": %d, \"licensed_end\": %d, "
		    "\"active_ids\": %d, \"device_licensed\": %d, \"device_users\": %d, "
		    "\"certs_issued\": %d, \"certs_revoked\": %d, \"certs_valid_end\": %d}%s\n",
		    m->contracted_end, m->licensed_peak, m->licensed_end, m->active_ids,
		    m->device_licensed, m->device_users, m->certs_issued, m->certs_revoked,
		    m->certs_valid_end, i + 1 < n ? "," : "");
	}
	put_f(&o, "%s],\n", n > 0 ? "  " : "");

	put_f(&o, "  \"totals\": {\"signins_ok\": %d, \"signins_failed\": %d, \"sso_total\": %d, "
	    "\"admin_total\": %d, \"certs_issued\": %d, \"certs_revoked\": %d, "
	    "\"certs_valid_end\": %d},\n", r->signins_ok, r->signins_failed, r->sso_total,
	    r->admin_total, r->certs_issued, r->certs_revoked, r->certs_valid_end);

	n = r->days != NULL && r->ndays > 0 ? r->ndays : 0;
	put_f(&o, "  \"days\": [%s", n > 0 ? "\n" : "");
	for (i = 0; i < n; i++) {
		const struct idg_report_day *d = &r->days[i];

		put(&o, "    {\"day\": ");
		json_str(&o, d->day);
		put_f(&o, ", \"signins_ok\": %d, \"signins_failed\": %d, \"sso\": %d, "
		    "\"active_cum\": %d, \"licensed\": %d, \"contracted\": %d}%s\n",
		    d->signins_ok, d->signins_failed, d->sso, d->active_cum, d->licensed,
		    d->contracted, i + 1 < n ? "," : "");
	}
	put_f(&o, "%s],\n", n > 0 ? "  " : "");

	json_counts(&o, "apps", r->apps, r->napps, 0);
	json_counts(&o, "denials", r->denials, r->ndenials, 0);
	json_counts(&o, "admin_operations", r->admin_ops, r->nadmin, 1);
	put(&o, "}\n");
	return out_end(&o, __func__);
}
