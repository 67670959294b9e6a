/*
 * report.h - billing export and the monthly tenant report (DESIGN.md
 * "Service rules"): what the provider bills from and what each tenant is
 * sent every month.
 *
 * Three layers, each usable alone:
 *  - rules (report.c): which months a tenant's report covers (the first
 *    report also covers the contract month; none after cancellation) and
 *    when it is due (the 10th Japanese business day of the next month);
 *  - figures (report.c, billing.c): read from the store into plain structs;
 *  - renderers (render.c): HTML (one page, inline SVG charts, no scripts),
 *    CSV and JSON of a struct idg_report. Pure: same struct, same bytes.
 *
 * Months are "YYYY-MM" and days "YYYY-MM-DD" in Asia/Tokyo time.
 */
#ifndef IDG_REPORT_H
#define IDG_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idg_buf;
struct idg_jp_overrides;
struct idg_store;

/* Business day of month M+1 by which the report of month M is due. */
#define IDG_REPORT_DUE_BUSINESS_DAY	10
/* Most apps / reasons / operations a report lists (the rest are summed as "other"). */
#define IDG_REPORT_TOP_MAX		10

/* ---- rules ------------------------------------------------------------ */

/*
 * The due date of the report of month ("YYYY-MM"): the 10th business day
 * of the following month with the holiday overrides ov (may be NULL), as
 * "YYYY-MM-DD" in out. IDG_OK, or IDG_INVALID for a malformed month.
 */
int	idg_report_due(const char *month, const struct idg_jp_overrides *ov, char out[11]);

/*
 * Which report covers month for a tenant created (contracted) at
 * contracted_at and cancelled at cancelled_at (0 = not cancelled).
 * Returns true if a report is produced for month, with [*from, *to) the unix
 * times it covers:
 *  - no report for months before the contract month, nor for the contract
 *    month itself (unless the tenant is cancelled in it): the report of the
 *    month after the contract month also covers the contract month, from
 *    contracted_at;
 *  - a tenant cancelled in month C gets its last report for C, ending at
 *    cancelled_at (the contract month's, if C is the contract month); none
 *    for months after C.
 */
bool	idg_report_period(const char *month, int64_t contracted_at, int64_t cancelled_at,
	    int64_t *from, int64_t *to);

/* ---- figures ---------------------------------------------------------- */

/* One Asia/Tokyo day of a report's period. */
struct idg_report_day {
	char	day[11];		/* "YYYY-MM-DD" */
	int	signins_ok;		/* successful sign-ins (password step passed) */
	int	signins_failed;		/* refused sign-ins (any reason) */
	int	sso;			/* SSO launches (all apps) */
	int	active_cum;		/* active IDs of the day's month so far (end of day) */
	int	licensed;		/* licenses in use at the end of the day */
	int	contracted;		/* contracted IDs at the end of the day */
};

/* A named count: an app's launches, a denial reason, an admin operation. */
struct idg_report_count {
	char	name[129];
	int	count;
};

/*
 * The figures of one calendar month of a tenant: the billing figures, then
 * the device certificates of the month's part of the report period [mfrom,
 * mto) (the first month may start at the contract, the last end at the
 * cancellation). The certificate figures are reported, not billed: only
 * idg_report_build fills them (idg_store_devcert_period).
 */
struct idg_report_month {
	char	month[8];		/* "YYYY-MM" */
	int	contracted_end;		/* contracted IDs at the end of the month (or period) */
	int	licensed_peak;		/* most licenses in use at any time in the month */
	int	licensed_end;		/* licenses in use at the end of the month */
	int	active_ids;		/* users active at least once in the month */
	int	device_licensed;	/* device-certificate licenses (blocks of 10) */
	int	device_users;		/* users holding a device-certificate license */
	int	certs_issued;		/* certificates issued in [mfrom, mto) */
	int	certs_revoked;		/* certificates revoked in [mfrom, mto) */
	int	certs_valid_end;	/* certificates valid at mto (not expired, not revoked) */
};

struct idg_report {
	char	company_id[33];
	char	name[129];		/* tenant name, UTF-8 */
	char	month[8];		/* the report's month M */
	char	from_day[11];		/* first day covered */
	char	to_day[11];		/* last day covered */
	char	due[11];		/* due date (10th business day of M+1) */
	bool	first;			/* also covers the contract month */
	bool	final;			/* last report: the tenant is cancelled */
	int64_t	generated_at;		/* unix seconds */

	/* Billing figures, one per calendar month covered (1, or 2 for a first report). */
	int			nmonths;
	struct idg_report_month	months[2];

	/* Activity over the whole period (certificates: sums of the months, valid at its end). */
	int	signins_ok, signins_failed, sso_total, admin_total;
	int	certs_issued, certs_revoked, certs_valid_end;

	int			 ndays;
	struct idg_report_day	*days;		/* one per day covered, in order */
	int			 napps;
	struct idg_report_count	*apps;		/* SSO launches per app, most first */
	int			 ndenials;
	struct idg_report_count	*denials;	/* refusals by reason code, most first */
	int			 nadmin;
	struct idg_report_count	*admin_ops;	/* admin operations by action, most first */
};

/* Frees the arrays of r (not r itself). */
void	idg_report_clear(struct idg_report *r);

struct idg_tenant;

/*
 * The billing figures of tenant t for calendar month: contract and
 * licenses at the month's end (or the cancellation), the peak of licenses
 * in use (from the daily license rows, the figure carried into the month
 * included), active IDs (monthly_active). The certificate figures are left
 * 0 (the billing export does not carry them). Store statuses pass up.
 */
int	idg_billing_month(struct idg_store *s, const struct idg_tenant *t, const char *month,
	    struct idg_report_month *out);

/*
 * Gathers the report of month for tenant t (t->cancelled_at set for a
 * final report) into *out (cleared first; idg_report_clear frees it).
 * IDG_NOTFOUND when no report covers month for this tenant
 * (idg_report_period), IDG_DECLINED when the period has not ended at now
 * (a month is reported once it is over), IDG_INVALID for a bad month.
 */
int	idg_report_build(struct idg_store *s, const struct idg_tenant *t, const char *month,
	    const struct idg_jp_overrides *ov, int64_t now, struct idg_report *out);

/*
 * Builds, renders and keeps (idg_store_report_put) the report of month for
 * t. IDG_EXISTS when it is kept already; otherwise as idg_report_build.
 */
int	idg_report_generate(struct idg_store *s, const struct idg_tenant *t, const char *month,
	    const struct idg_jp_overrides *ov, int64_t now);

/*
 * Generates every report of t due by now and not yet kept: months from the
 * one after the contract month (or the contract month itself for a tenant
 * cancelled in it) to the last one over, or to the cancellation month.
 * *made (may be NULL) gets how many were made. Stops at the first failure.
 */
int	idg_report_catch_up(struct idg_store *s, const struct idg_tenant *t,
	    const struct idg_jp_overrides *ov, int64_t now, int *made);

/* ---- billing export (billing.c) --------------------------------------- */

enum idg_billing_format {
	IDG_BILLING_CSV = 0,
	IDG_BILLING_JSON = 1,
};

/*
 * The billing export of month: one row per tenant that existed in it
 * (contracted before its end, not cancelled before its start), ordered by
 * company ID; company_id not NULL limits it to one tenant (IDG_NOTFOUND if
 * unknown). Columns: month, company_id, name, contracted_ids,
 * licensed_peak, licensed_end, active_ids, device_licensed, device_users,
 * cancelled (in this month), closed (the month is over at now). Nothing in
 * it depends on the time of the export once the month is closed, so a
 * closed month exports to the same bytes every time. bom prefixes the CSV
 * with a UTF-8 byte-order mark (Excel). IDG_INVALID for a bad month.
 */
int	idg_billing_export(struct idg_store *s, const char *month, const char *company_id,
	    enum idg_billing_format format, bool bom, int64_t now, struct idg_buf *out);

/* ---- renderers (render.c) --------------------------------------------- */

/*
 * Each appends to b and returns IDG_OK, or IDG_ERR on allocation failure.
 * Output depends only on *r (no clock, no locale): the same report renders
 * to the same bytes.
 *
 * HTML: one self-contained page (inline CSS, inline SVG charts, no scripts,
 * no external resources), Japanese labels with English beside them:
 * the billing figures per month, daily sign-ins (bars), active IDs and
 * licenses in use against the contract (lines), top apps (bars), denials
 * and admin operations (tables). Every text from the tenant is escaped.
 *
 * CSV: RFC 4180, CRLF line ends, UTF-8; bom adds a byte-order mark so
 * Excel reads Japanese text. Sections are separated by an empty line, each
 * starting with its own header row.
 *
 * JSON: one object (see README.md "Reports" for the schema), keys in a
 * fixed order, integers as numbers.
 */
int	idg_report_html(struct idg_buf *b, const struct idg_report *r);
int	idg_report_csv(struct idg_buf *b, const struct idg_report *r, bool bom);
int	idg_report_json(struct idg_buf *b, const struct idg_report *r);
/*
 * One CSV text cell as the CSV renderer writes it (RFC 4180 quoting when
 * needed; a leading = + - @ TAB or CR gets an apostrophe so spreadsheets
 * never run it as a formula). Shared with the billing export.
 */
int	idg_report_csv_cell(struct idg_buf *b, const char *s);

#endif
