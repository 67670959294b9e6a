/*
 * report.c - the rules of the monthly report (which months a report
 * covers, when it is due) and the gathering of its figures from the store;
 * see report.h. Rendering is render.c; the billing export is billing.c.
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../policy/jpcal.h"
#include "../store/store.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"

int
idg_report_due(const char *month, const struct idg_jp_overrides *ov, char out[11])
{
	int y, m, d;

	if (idg_month_parse(month, &y, &m) != IDG_OK)
		return IDG_INVALID;
	if (++m > 12) {
		m = 1;
		if (++y > 9999)
			return IDG_INVALID;
	}
	/* Every month has at least 15 business days: the 10th always exists. */
	if (idg_jp_nth_business_day(y, m, IDG_REPORT_DUE_BUSINESS_DAY, ov, &d) != IDG_OK)
		return IDG_INVALID;
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
	    (unsigned)d % 100u);
	return IDG_OK;
}

/* Start of the JST month containing t. */
static int64_t
month_start_of(int64_t t)
{
	char month[8];
	int y = 1970, m = 1;

	idg_jst_month(t, month);
	(void)idg_month_parse(month, &y, &m);
	return idg_jst_month_start(y, m);
}

bool
idg_report_period(const char *month, int64_t contracted_at, int64_t cancelled_at,
    int64_t *from, int64_t *to)
{
	int64_t ms, me, cs, xs;
	int y, m;

	if (idg_month_parse(month, &y, &m) != IDG_OK)
		return false;
	ms = idg_jst_month_start(y, m);
	me = idg_jst_month_start(y, m + 1);
	cs = month_start_of(contracted_at);
	xs = cancelled_at != 0 ? month_start_of(cancelled_at) : INT64_MAX;
	/* Nothing before the contract, nothing after the cancellation month. */
	if (ms < cs || ms > xs)
		return false;
	/* The contract month goes into the next month's report, unless it is the last. */
	if (ms == cs && xs != cs)
		return false;
	if (ms == cs || idg_jst_month_start(y, m - 1) == cs)
		*from = contracted_at;
	else
		*from = ms;
	/* A cancelled tenant's last report ends at the cancellation (included). */
	*to = ms == xs ? cancelled_at + 1 : me;
	return true;
}

void
idg_report_clear(struct idg_report *r)
{
	free(r->days);
	free(r->apps);
	free(r->denials);
	free(r->admin_ops);
	memset(r, 0, sizeof(*r));
}

/* ---- billing figures of one month ------------------------------------ */

struct lic_scan {
	const char		*from_day;
	struct idg_report_month	*out;
	bool			 any;
};

static int
lic_row(void *arg, const struct idg_license_day *d)
{
	struct lic_scan *l = arg;
	/* The row before the month carries its end figure in; rows inside count whole. */
	int peak = strcmp(d->day, l->from_day) < 0 ? d->in_use_end : d->in_use_peak;

	if (!l->any || peak > l->out->licensed_peak)
		l->out->licensed_peak = peak;
	l->out->licensed_end = d->in_use_end;
	l->out->contracted_end = d->contracted_ids;
	l->out->device_licensed = d->device_licensed;
	l->out->device_users = d->device_users;
	l->any = true;
	return 0;
}

int
idg_billing_month(struct idg_store *s, const struct idg_tenant *t, const char *month,
    struct idg_report_month *out)
{
	struct lic_scan l;
	char from_day[11], to_day[11];
	int y, m, st;

	if (idg_month_parse(month, &y, &m) != IDG_OK)
		return IDG_INVALID;
	memset(out, 0, sizeof(*out));
	idg_strlcpy(out->month, month, sizeof(out->month));
	idg_jst_day(idg_jst_month_start(y, m), from_day);
	idg_jst_day(idg_jst_month_start(y, m + 1) - 1, to_day);
	memset(&l, 0, sizeof(l));
	l.from_day = from_day;
	l.out = out;
	if ((st = idg_store_license_days(s, t->id, from_day, to_day, lic_row, &l)) != IDG_OK)
		return st;
	if (!l.any)
		out->contracted_end = t->contracted_ids;
	return idg_store_activity_count(s, t->id, month, &out->active_ids);
}

/* ---- the report's figures -------------------------------------------- */

/* Growable array of named counts. */
struct counts {
	struct idg_report_count	*v;
	int			 n, cap;
};

static int
count_add(struct counts *c, const char *name, int n)
{
	int i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].name, name) == 0) {
			c->v[i].count += n;
			return IDG_OK;
		}
	}
	if (c->n == c->cap) {
		int cap = c->cap != 0 ? c->cap * 2 : 16;
		struct idg_report_count *v = realloc(c->v, (size_t)cap * sizeof(*v));

		if (v == NULL)
			return IDG_ERR;
		c->v = v;
		c->cap = cap;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[c->n]));
	idg_strlcpy(c->v[c->n].name, name, sizeof(c->v[c->n].name));
	c->v[c->n++].count = n;
	return IDG_OK;
}

static int
count_cmp(const void *a, const void *b)
{
	const struct idg_report_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Sorts most first and folds everything past IDG_REPORT_TOP_MAX into "other". */
static void
count_top(struct counts *c)
{
	int i, rest = 0;

	if (c->n > 1)
		qsort(c->v, (size_t)c->n, sizeof(*c->v), count_cmp);
	if (c->n <= IDG_REPORT_TOP_MAX)
		return;
	for (i = IDG_REPORT_TOP_MAX - 1; i < c->n; i++)
		rest += c->v[i].count;
	idg_strlcpy(c->v[IDG_REPORT_TOP_MAX - 1].name, "other",
	    sizeof(c->v[IDG_REPORT_TOP_MAX - 1].name));
	c->v[IDG_REPORT_TOP_MAX - 1].count = rest;
	c->n = IDG_REPORT_TOP_MAX;
}

struct gather {
	struct idg_report	*r;
	struct counts		 apps, denials, admin;
	int			 status;
};

static struct idg_report_day *
day_of(struct idg_report *r, const char *day)
{
	int i;

	/* Days are few (<= 62) and the rows come in day order: a scan is enough. */
	for (i = 0; i < r->ndays; i++)
		if (strcmp(r->days[i].day, day) == 0)
			return &r->days[i];
	return NULL;
}

static bool
prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Sign-in outcomes that mean the user got in (or passed the password step). */
static bool
signin_ok(const char *action, const char *result)
{
	if (strcmp(action, "signin.password") == 0)
		return strcmp(result, "ok") == 0 || strcmp(result, "ok_password_expired") == 0;
	return false;
}

/* The password step passed and a second step is owed: neither a success nor a refusal. */
static bool
step_owed(const char *result)
{
	return strcmp(result, "ok_mfa_pending") == 0 || strcmp(result, "ok_device_pending") == 0;
}

/*
 * The OpenID provider's own events (oidc.authorize, oidc.refresh,
 * oidc.end_session), as opposed to the administrative changes of its
 * clients and keys (oidc.client.*, oidc.key.*).
 */
static bool
oidc_protocol(const char *action)
{
	return prefix(action, "oidc.") && !prefix(action, "oidc.client.") &&
	    !prefix(action, "oidc.key.");
}

/*
 * What end users (and their apps) do: sign-in steps, sign-out, SSO
 * launches, the OIDC protocol, policy decisions and report reads. None of
 * it is an administrative change.
 */
static bool
user_event(const char *action)
{
	return prefix(action, "signin.") || prefix(action, "mfa.") || prefix(action, "sso.") ||
	    prefix(action, "access.") || oidc_protocol(action) ||
	    strcmp(action, "signout") == 0 || strcmp(action, "report.read") == 0;
}

/*
 * An SSO launch refused by the front end for a reason of its own: the app
 * is not assigned to the user, a passive request finds no session, or the
 * SAML request itself is refused (saml_replayed,
 * saml_idp_initiated_disabled, saml_signature_invalid, ...). A refusal by
 * the access policy is not one: the SAML front end repeats the policy's
 * reason, which the access.app event already counts. saml_internal is a
 * failure, not a refusal.
 */
static bool
sso_refused(const char *result)
{
	if (strcmp(result, "saml_internal") == 0)
		return false;
	return strcmp(result, "not_assigned") == 0 || strcmp(result, "no_passive") == 0 ||
	    prefix(result, "saml_");
}

/*
 * The reason code when the event is a refusal, else NULL, so that each
 * refusal counts once. A policy refusal counts from its access.* event
 * ("reason (rule R)", by reason); the step it stopped writes an event of its
 * own too (signin.password access_denied, sso.saml with the policy's
 * reason), which does not count again.
 */
static const char *
refusal(const char *action, const char *result, char *buf, size_t bufsz)
{
	char *sp;

	if (prefix(action, "access.")) {
		idg_strlcpy(buf, result, bufsz);
		if ((sp = strchr(buf, ' ')) != NULL)
			*sp = '\0';
		return buf;
	}
	if (strcmp(result, "ok") == 0)
		return NULL;
	if (strcmp(action, "signin.password") == 0)
		return signin_ok(action, result) || step_owed(result) ||
		    strcmp(result, "access_denied") == 0 ? NULL : result;
	if (prefix(action, "mfa."))
		return strcmp(result, "enrolled") == 0 || strcmp(result, "recovery_code") == 0 ?
		    NULL : result;
	if (prefix(action, "sso."))
		return sso_refused(result) ? result : NULL;
	/* The device check, the OIDC protocol (not_assigned, refresh_token_reuse), reports. */
	if (strcmp(action, "signin.device") == 0 || oidc_protocol(action) ||
	    strcmp(action, "report.read") == 0)
		return result;
	return NULL;
}

static int
audit_row(void *arg, const char *day, const char *action, const char *result,
    const char *target, int n)
{
	struct gather *g = arg;
	struct idg_report_day *d = day_of(g->r, day);
	const char *reason;
	char buf[129];
	int st = IDG_OK;

	if (d == NULL)
		return 0;
	if (strcmp(action, "signin.password") == 0) {
		if (signin_ok(action, result)) {
			d->signins_ok += n;
			g->r->signins_ok += n;
		} else if (!step_owed(result)) {
			d->signins_failed += n;
			g->r->signins_failed += n;
		}
	} else if (prefix(action, "sso.")) {
		if (strcmp(result, "ok") == 0) {
			d->sso += n;
			g->r->sso_total += n;
			st = count_add(&g->apps, target != NULL ? target : "?", n);
		}
	} else if (!user_event(action) && strcmp(result, "ok") == 0) {
		/* Everything else that succeeded is an administrative change. */
		g->r->admin_total += n;
		st = count_add(&g->admin, action, n);
	}
	if (st == IDG_OK && (reason = refusal(action, result, buf, sizeof(buf))) != NULL)
		st = count_add(&g->denials, reason, n);
	if (st != IDG_OK) {
		g->status = st;
		return 1;
	}
	return 0;
}

/* Active-ID curve: new actives per day, summed within each month. */
static int
active_row(void *arg, const char *day, int n)
{
	struct gather *g = arg;
	struct idg_report_day *d = day_of(g->r, day);

	if (d != NULL)
		d->active_cum += n;	/* made cumulative afterwards */
	return 0;
}

struct lic_days {
	struct idg_report	*r;
	struct idg_license_day	 last;
	bool			 any;
	int			 i;	/* next report day to fill */
};

/* Fills report days up to (excluding) day with the figures carried so far. */
static void
lic_fill(struct lic_days *l, const char *day)
{
	while (l->i < l->r->ndays && (day == NULL || strcmp(l->r->days[l->i].day, day) < 0)) {
		if (l->any) {
			l->r->days[l->i].licensed = l->last.in_use_end;
			l->r->days[l->i].contracted = l->last.contracted_ids;
		}
		l->i++;
	}
}

static int
lic_day(void *arg, const struct idg_license_day *d)
{
	struct lic_days *l = arg;

	lic_fill(l, d->day);
	l->last = *d;
	l->any = true;
	return 0;
}

/* Days number (since 1970-01-01) of "YYYY-MM-DD" (already well-formed). */
static int64_t
day_number(const char *day)
{
	return idg_jp_days((day[0] - '0') * 1000 + (day[1] - '0') * 100 + (day[2] - '0') * 10 +
	    (day[3] - '0'), (day[5] - '0') * 10 + (day[6] - '0'),
	    (day[8] - '0') * 10 + (day[9] - '0'));
}

/* One report day per JST day from r->from_day to r->to_day. */
static int
fill_days(struct idg_report *r)
{
	int64_t d0 = day_number(r->from_day), d1 = day_number(r->to_day), d, y;
	int m, dd;

	if (d1 < d0 || d1 - d0 > 70)
		return IDG_INVALID;
	if ((r->days = calloc((size_t)(d1 - d0 + 1), sizeof(*r->days))) == NULL)
		return IDG_ERR;
	for (d = d0; d <= d1; d++) {
		idg_jp_civil(d, &y, &m, &dd);
		snprintf(r->days[r->ndays++].day, sizeof(r->days[0].day), "%04u-%02u-%02u",
		    (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)dd % 100u);
	}
	return IDG_OK;
}

/*
 * The certificate figures of each month of r, over the month's part of the
 * period [from, to), and the period's: the sums of the months, and the
 * figure valid at the end of the last one.
 */
static int
fill_certs(struct idg_store *s, int64_t tenant_id, int64_t from, int64_t to,
    struct idg_report *r)
{
	struct idg_devcert_period p;
	struct idg_report_month *m;
	int64_t mfrom, mto;
	int i, y, mm, st;

	for (i = 0; i < r->nmonths; i++) {
		m = &r->months[i];
		if (idg_month_parse(m->month, &y, &mm) != IDG_OK)
			return IDG_INVALID;
		mfrom = idg_jst_month_start(y, mm);
		mto = idg_jst_month_start(y, mm + 1);
		if (mfrom < from)
			mfrom = from;	/* the contract month starts at the contract */
		if (mto > to)
			mto = to;	/* the cancellation month ends at the cancellation */
		if ((st = idg_store_devcert_period(s, tenant_id, mfrom, mto, &p)) != IDG_OK)
			return st;
		m->certs_issued = p.issued;
		m->certs_revoked = p.revoked;
		m->certs_valid_end = p.valid_end;
		r->certs_issued += p.issued;
		r->certs_revoked += p.revoked;
		r->certs_valid_end = p.valid_end;
	}
	return IDG_OK;
}

static int
take_counts(struct counts *c, struct idg_report_count **v, int *n)
{
	count_top(c);
	*v = c->v;
	*n = c->n;
	c->v = NULL;
	return IDG_OK;
}

int
idg_report_build(struct idg_store *s, const struct idg_tenant *t, const char *month,
    const struct idg_jp_overrides *ov, int64_t now, struct idg_report *out)
{
	struct gather g;
	struct lic_days l;
	char cur[8] = "";
	int64_t from, to;
	int i, st, cum = 0;

	memset(out, 0, sizeof(*out));
	if (idg_report_due(month, ov, out->due) != IDG_OK)
		return IDG_INVALID;
	if (!idg_report_period(month, t->created_at, t->cancelled_at, &from, &to))
		return IDG_NOTFOUND;
	if (to > now)
		return IDG_DECLINED;
	idg_strlcpy(out->company_id, t->company_id, sizeof(out->company_id));
	idg_strlcpy(out->name, t->name, sizeof(out->name));
	idg_strlcpy(out->month, month, sizeof(out->month));
	idg_jst_day(from, out->from_day);
	idg_jst_day(to - 1, out->to_day);
	out->final = t->cancelled_at != 0;
	out->generated_at = now;
	/* Billing figures per calendar month covered (two for a first report). */
	idg_jst_month(from, cur);
	out->first = strcmp(cur, month) != 0;
	for (i = 0; i < 2; i++) {
		if ((st = idg_billing_month(s, t, cur, &out->months[out->nmonths])) != IDG_OK)
			goto fail;
		out->nmonths++;
		if (strcmp(cur, month) == 0)
			break;
		idg_month_next(cur, cur);
	}
	if ((st = fill_certs(s, t->id, from, to, out)) != IDG_OK)
		goto fail;
	if ((st = fill_days(out)) != IDG_OK)
		goto fail;
	memset(&g, 0, sizeof(g));
	g.r = out;
	g.status = IDG_OK;
	st = idg_store_audit_counts(s, t->id, from, to, audit_row, &g);
	if (st == IDG_OK)
		st = g.status;
	for (i = 0; st == IDG_OK && i < out->nmonths; i++)
		st = idg_store_activity_days(s, t->id, out->months[i].month, active_row, &g);
	if (st == IDG_OK) {
		take_counts(&g.apps, &out->apps, &out->napps);
		take_counts(&g.denials, &out->denials, &out->ndenials);
		take_counts(&g.admin, &out->admin_ops, &out->nadmin);
	}
	free(g.apps.v);
	free(g.denials.v);
	free(g.admin.v);
	if (st != IDG_OK)
		goto fail;
	/* Active IDs so far in each day's month. */
	cur[0] = '\0';
	for (i = 0; i < out->ndays; i++) {
		if (strncmp(out->days[i].day, cur, 7) != 0) {
			memcpy(cur, out->days[i].day, 7);
			cur[7] = '\0';
			cum = 0;
		}
		cum += out->days[i].active_cum;
		out->days[i].active_cum = cum;
	}
	memset(&l, 0, sizeof(l));
	l.r = out;
	if ((st = idg_store_license_days(s, t->id, out->from_day, out->to_day, lic_day, &l)) !=
	    IDG_OK)
		goto fail;
	lic_fill(&l, NULL);
	return IDG_OK;
fail:
	idg_report_clear(out);
	return st;
}

int
idg_report_generate(struct idg_store *s, const struct idg_tenant *t, const char *month,
    const struct idg_jp_overrides *ov, int64_t now)
{
	struct idg_report_meta meta;
	struct idg_buf html, csv, json;
	struct idg_report r;
	int st;

	if ((st = idg_report_build(s, t, month, ov, now, &r)) != IDG_OK)
		return st;
	idg_buf_init(&html, 8 * 1024 * 1024);
	idg_buf_init(&csv, 8 * 1024 * 1024);
	idg_buf_init(&json, 8 * 1024 * 1024);
	st = IDG_ERR;
	if (idg_report_html(&html, &r) == IDG_OK && idg_report_csv(&csv, &r, false) == IDG_OK &&
	    idg_report_json(&json, &r) == IDG_OK) {
		memset(&meta, 0, sizeof(meta));
		meta.tenant_id = t->id;
		idg_strlcpy(meta.month, r.month, sizeof(meta.month));
		idg_strlcpy(meta.from_day, r.from_day, sizeof(meta.from_day));
		idg_strlcpy(meta.to_day, r.to_day, sizeof(meta.to_day));
		idg_strlcpy(meta.due, r.due, sizeof(meta.due));
		meta.final = r.final;
		meta.generated_at = r.generated_at;
		st = idg_store_report_put(s, &meta, html.data != NULL ? html.data : "", html.len,
		    csv.data != NULL ? csv.data : "", csv.len, json.data != NULL ? json.data : "",
		    json.len);
	} else {
		log_error("report %s of %s cannot be rendered", month, t->company_id);
	}
	idg_buf_free(&html);
	idg_buf_free(&csv);
	idg_buf_free(&json);
	idg_report_clear(&r);
	return st;
}

int
idg_report_catch_up(struct idg_store *s, const struct idg_tenant *t,
    const struct idg_jp_overrides *ov, int64_t now, int *made)
{
	char month[8], last[8];
	int64_t from, to;
	int st, n = 0;

	if (made != NULL)
		*made = 0;
	idg_jst_month(t->created_at, month);
	idg_jst_month(t->cancelled_at != 0 ? t->cancelled_at : now, last);
	for (; strcmp(month, last) <= 0; idg_month_next(month, month)) {
		if (!idg_report_period(month, t->created_at, t->cancelled_at, &from, &to) ||
		    to > now)
			continue;
		/* Kept already: reports are made once, never rebuilt. */
		st = idg_store_report_get(s, t->id, month, "json", NULL, NULL, NULL);
		if (st == IDG_OK)
			continue;
		if (st != IDG_NOTFOUND)
			return st;
		st = idg_report_generate(s, t, month, ov, now);
		if (st == IDG_EXISTS)
			continue;
		if (st != IDG_OK)
			return st;
		n++;
	}
	if (made != NULL)
		*made = n;
	return IDG_OK;
}
