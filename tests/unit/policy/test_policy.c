/*
 * test_policy.c - unit tests of policy/policy.c, table driven: address lists
 * at their edges (v4 and v6, /0, /32, /128, v4-mapped, merged ranges), time
 * windows (weekday sets, past midnight, time zones), business days (holiday,
 * Dec 31, override file), rule order, defaults, requirements already met,
 * app-scoped rules at sign-in and at app access, reasons (explicit and
 * derived), every parse error with its line number and the limits, and the
 * canonical text round trip (format -> parse -> same decisions). Not a test
 * of the calendar itself (test_jpcal.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway/util/status.h"
#include "policy/policy.h"

#define A IDG_POLICY_ALLOW
#define D IDG_POLICY_DENY
#define T IDG_POLICY_REQUIRE_TOTP
#define C IDG_POLICY_REQUIRE_CERT
#define PWD IDG_POLICY_AMR_PWD
#define OTP IDG_POLICY_AMR_OTP

/* Unix time of a wall-clock time in Japan (+09:00). */
static int64_t
jst(int y, int m, int d, int hh, int mm)
{
	return idg_jp_days(y, m, d) * 86400 + hh * 3600 + mm * 60 - 9 * 3600;
}

/* A case: one context against one policy, and the expected decision. */
struct pcase {
	const char	*policy;
	const char	*app;	/* NULL: sign-in */
	const char	*ip;	/* NULL: unknown */
	int64_t		 now;
	const char	*groups;	/* comma-separated, NULL for none */
	unsigned	 amr;
	bool		 cert;
	enum idg_policy_action want;
	const char	*rule;
	const char	*reason;	/* NULL for none */
	int		 line;		/* -1: do not check */
};

static struct idg_policy *
must_parse(const char *text)
{
	struct idg_policy *p = NULL;
	char err[256];

	if (idg_policy_parse(text, strlen(text), &p, err, sizeof(err)) != IDG_OK)
		fail_msg("parse \"%s\": %s", text, err);
	return p;
}

static void
eval_case(const struct idg_policy *p, const struct pcase *k, const struct idg_jp_overrides *ov,
    struct idg_policy_decision *d)
{
	char gbuf[256], *g, *comma;
	const char *groups[8];
	struct idg_policy_ctx c;
	struct idg_ip ip;
	size_t n = 0;

	memset(&c, 0, sizeof(c));
	c.app = k->app;
	if (k->ip != NULL) {
		assert_int_equal(idg_ip_parse(k->ip, &ip), IDG_OK);
		c.ip = &ip;
	}
	c.now = k->now;
	if (k->groups != NULL) {
		snprintf(gbuf, sizeof(gbuf), "%s", k->groups);
		for (g = gbuf; g != NULL && n < 8; g = comma) {
			if ((comma = strchr(g, ',')) != NULL)
				*comma++ = '\0';
			groups[n++] = g;
		}
	}
	c.groups = groups;
	c.ngroups = n;
	c.amr = k->amr;
	c.cert_valid = k->cert;
	c.holidays = ov;
	memset(d, 0xa5, sizeof(*d));
	idg_policy_eval(p, &c, d);
}

static void
run_cases(const struct pcase *cases, size_t n, const struct idg_jp_overrides *ov)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct pcase *k = &cases[i];
		struct idg_policy *p = must_parse(k->policy);
		struct idg_policy_decision d;

		eval_case(p, k, ov, &d);
		if (d.action != k->want || strcmp(d.rule, k->rule) != 0 ||
		    (k->reason == NULL) != (d.reason == NULL) ||
		    (k->reason != NULL && strcmp(k->reason, d.reason) != 0) ||
		    (k->line >= 0 && d.line != k->line))
			fail_msg("case %zu (%s, ip %s): got action %d rule %s reason %s line %d; "
			    "want %d %s %s %d", i, k->policy, k->ip ? k->ip : "-", d.action, d.rule,
			    d.reason ? d.reason : "NULL", d.line, k->want, k->rule,
			    k->reason ? k->reason : "NULL", k->line);
		idg_policy_free(p);
	}
}

#define RUN(cases, ov) run_cases(cases, sizeof(cases) / sizeof(cases[0]), ov)

/* A Monday at 10:00 in Japan, a business day. */
#define MON10 jst(2024, 6, 3, 10, 0)

static void
test_ip_v4(void **state)
{
	static const char *vpn = "rule vpn: deny when ip not in 10.0.0.0/8, 192.168.1.1\n";
	static const char *all = "rule all: deny when ip in 0.0.0.0/0\n";
	static const char *top = "rule top: deny when ip in 255.255.255.0/24, 0.0.0.0/32\n";
	static const char *merged =
	    "rule m: deny when ip in 10.64.0.0/10, 10.0.0.0/9, 10.128.0.0/9, 10.1.0.0/16\n";
	static const char *mapped = "rule m: deny when ip in ::ffff:172.16.0.0/108\n";
	const struct pcase cases[] = {
		{ vpn, NULL, "10.0.0.0", MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ vpn, NULL, "10.255.255.255", MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ vpn, NULL, "11.0.0.0", MON10, NULL, 0, false, D, "vpn", "ip_not_allowed", 1 },
		{ vpn, NULL, "9.255.255.255", MON10, NULL, 0, false, D, "vpn", "ip_not_allowed",
		  1 },
		{ vpn, NULL, "192.168.1.1", MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ vpn, NULL, "192.168.1.2", MON10, NULL, 0, false, D, "vpn", "ip_not_allowed", 1 },
		{ vpn, NULL, "192.168.1.0", MON10, NULL, 0, false, D, "vpn", "ip_not_allowed", 1 },
		{ vpn, NULL, "::ffff:10.1.2.3", MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ vpn, NULL, "2001:db8::1", MON10, NULL, 0, false, D, "vpn", "ip_not_allowed", 1 },
		{ vpn, NULL, "::a00:1", MON10, NULL, 0, false, D, "vpn", "ip_not_allowed", 1 },
		/* unknown address: in no list, so "not in" holds (fail closed) */
		{ vpn, NULL, NULL, MON10, NULL, 0, false, D, "vpn", "ip_not_allowed", 1 },
		{ all, NULL, "0.0.0.0", MON10, NULL, 0, false, D, "all", "ip_not_allowed", 1 },
		{ all, NULL, "255.255.255.255", MON10, NULL, 0, false, D, "all", "ip_not_allowed",
		  1 },
		{ all, NULL, "::1", MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ all, NULL, NULL, MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ top, NULL, "255.255.255.255", MON10, NULL, 0, false, D, "top", "ip_not_allowed",
		  1 },
		{ top, NULL, "255.255.254.255", MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ top, NULL, "0.0.0.0", MON10, NULL, 0, false, D, "top", "ip_not_allowed", 1 },
		{ top, NULL, "0.0.0.1", MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ merged, NULL, "10.200.0.1", MON10, NULL, 0, false, D, "m", "ip_not_allowed", 1 },
		{ merged, NULL, "10.127.255.255", MON10, NULL, 0, false, D, "m", "ip_not_allowed",
		  1 },
		{ merged, NULL, "11.0.0.0", MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ merged, NULL, "9.255.255.255", MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ mapped, NULL, "172.16.5.5", MON10, NULL, 0, false, D, "m", "ip_not_allowed", 1 },
		{ mapped, NULL, "172.31.255.255", MON10, NULL, 0, false, D, "m", "ip_not_allowed",
		  1 },
		{ mapped, NULL, "172.32.0.0", MON10, NULL, 0, false, A, "default", NULL, 0 },
	};

	RUN(cases, NULL);
}

static void
test_ip_v6(void **state)
{
	static const char *v6 = "rule v6: deny when ip in 2001:db8::/32\n";
	static const char *host = "rule h: allow when ip in 2001:db8::1/128\ndefault deny\n";
	static const char *all = "rule a: deny when ip in ::/0\n";
	static const char *top = "rule t: deny when ip in ffff:ffff:ffff:ffff::/64, ::/128\n";
	const struct pcase cases[] = {
		{ v6, NULL, "2001:db8::", MON10, NULL, 0, false, D, "v6", "ip_not_allowed", 1 },
		{ v6, NULL, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", MON10, NULL, 0, false, D,
		  "v6",
		  "ip_not_allowed", 1 },
		{ v6, NULL, "2001:db9::", MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ v6, NULL, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", MON10, NULL, 0, false, A,
		  "default", NULL, 0 },
		{ v6, NULL, "32.1.13.184", MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ host, NULL, "2001:db8::1", MON10, NULL, 0, false, A, "h", NULL, 1 },
		{ host, NULL, "2001:db8::2", MON10, NULL, 0, false, D, "default", "access_denied",
		  0 },
		{ host, NULL, "2001:db8::", MON10, NULL, 0, false, D, "default", "access_denied",
		  0 },
		{ all, NULL, "::", MON10, NULL, 0, false, D, "a", "ip_not_allowed", 1 },
		{ all, NULL, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", MON10, NULL, 0, false, D,
		  "a",
		  "ip_not_allowed", 1 },
		{ all, NULL, "10.0.0.1", MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ top, NULL, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", MON10, NULL, 0, false, D,
		  "t",
		  "ip_not_allowed", 1 },
		{ top, NULL, "ffff:ffff:ffff:fffe:ffff::", MON10, NULL, 0, false, A, "default",
		  NULL,
		  0 },
		{ top, NULL, "::", MON10, NULL, 0, false, D, "t", "ip_not_allowed", 1 },
		{ top, NULL, "::1", MON10, NULL, 0, false, A, "default", NULL, 0 },
	};

	RUN(cases, NULL);
}

/* A v4 client seen on a dual-stack socket arrives as AF_INET6 ::ffff:a.b.c.d. */
static void
test_ip_raw_v4_mapped(void **state)
{
	struct idg_policy *p = must_parse("rule vpn: deny when ip not in 10.0.0.0/8\n");
	static const uint8_t raw[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3 };
	struct idg_policy_decision d;
	struct idg_policy_ctx c;
	struct idg_ip ip;

	memset(&c, 0, sizeof(c));
	memset(&ip, 0, sizeof(ip));
	ip.family = AF_INET6;
	memcpy(ip.addr, raw, 16);
	c.ip = &ip;
	c.now = MON10;
	idg_policy_eval(p, &c, &d);
	assert_int_equal(d.action, A);
	ip.addr[12] = 11;
	idg_policy_eval(p, &c, &d);
	assert_int_equal(d.action, D);
	assert_string_equal(d.reason, "ip_not_allowed");
	idg_policy_free(p);
}

static void
test_time_windows(void **state)
{
	static const char *office =
	    "timezone Asia/Tokyo\n"
	    "rule office-hours: deny when time not in mon-fri 08:00-20:00\n";
	static const char *night =
	    "default deny\n"
	    "rule night: allow when time in 22:00-06:00 and group in night-shift\n";
	static const char *fri = "rule fri-night: deny when time in fri 22:00-02:00\n";
	static const char *wknd = "rule wk: deny when time in sat,sun 00:00-24:00\n";
	static const char *wrap = "rule w: deny when time in fri-mon 09:00-10:00\n";
	static const char *multi =
	    "rule m: deny when time not in mon-fri 08:00-20:00, sat 09:00-12:00\n";
	static const char *utc = "timezone UTC\nrule u: deny when time in 00:00-09:00\n";
	static const char *ist = "timezone +05:30\nrule i: deny when time in 10:00-11:00\n";
	static const char *neg = "timezone -03:00\nrule n: deny when time in 20:00-00:00\n";
	const struct pcase cases[] = {
		{ office, NULL, NULL, jst(2024, 6, 3, 8, 0), NULL, 0, false, A, "default", NULL,
		  0 },
		{ office, NULL, NULL, jst(2024, 6, 3, 7, 59), NULL, 0, false, D, "office-hours",
		  "outside_allowed_hours", 2 },
		{ office, NULL, NULL, jst(2024, 6, 3, 19, 59), NULL, 0, false, A, "default", NULL,
		  0 },
		{ office, NULL, NULL, jst(2024, 6, 3, 20, 0), NULL, 0, false, D, "office-hours",
		  "outside_allowed_hours", 2 },
		{ office, NULL, NULL, jst(2024, 6, 7, 12, 0), NULL, 0, false, A, "default", NULL,
		  0 },
		{ office, NULL, NULL, jst(2024, 6, 8, 12, 0), NULL, 0, false, D, "office-hours",
		  "outside_allowed_hours", 2 },
		{ office, NULL, NULL, jst(2024, 6, 9, 12, 0), NULL, 0, false, D, "office-hours",
		  "outside_allowed_hours", 2 },
		/* past midnight, every day */
		{ night, NULL, NULL, jst(2024, 6, 8, 23, 0), "staff,night-shift", 0, false, A,
		  "night",
		  NULL, 2 },
		{ night, NULL, NULL, jst(2024, 6, 9, 5, 59), "night-shift", 0, false, A, "night",
		  NULL,
		  2 },
		{ night, NULL, NULL, jst(2024, 6, 9, 6, 0), "night-shift", 0, false, D, "default",
		  "access_denied", 0 },
		{ night, NULL, NULL, jst(2024, 6, 9, 21, 59), "night-shift", 0, false, D, "default",
		  "access_denied", 0 },
		{ night, NULL, NULL, jst(2024, 6, 9, 22, 0), "night-shift", 0, false, A, "night",
		  NULL,
		  2 },
		{ night, NULL, NULL, jst(2024, 6, 8, 23, 0), "staff", 0, false, D, "default",
		  "access_denied", 0 },
		/* past midnight with a day: the early hours belong to the starting day */
		{ fri, NULL, NULL, jst(2024, 6, 7, 23, 0), NULL, 0, false, D, "fri-night",
		  "outside_allowed_hours", 1 },
		{ fri, NULL, NULL, jst(2024, 6, 8, 1, 59), NULL, 0, false, D, "fri-night",
		  "outside_allowed_hours", 1 },
		{ fri, NULL, NULL, jst(2024, 6, 8, 2, 0), NULL, 0, false, A, "default", NULL, 0 },
		{ fri, NULL, NULL, jst(2024, 6, 7, 1, 0), NULL, 0, false, A, "default", NULL, 0 },
		{ fri, NULL, NULL, jst(2024, 6, 8, 23, 0), NULL, 0, false, A, "default", NULL, 0 },
		{ fri, NULL, NULL, jst(2024, 6, 7, 21, 59), NULL, 0, false, A, "default", NULL, 0 },
		/* weekday sets */
		{ wknd, NULL, NULL, jst(2024, 6, 8, 0, 0), NULL, 0, false, D, "wk",
		  "outside_allowed_hours", 1 },
		{ wknd, NULL, NULL, jst(2024, 6, 9, 23, 59), NULL, 0, false, D, "wk",
		  "outside_allowed_hours", 1 },
		{ wknd, NULL, NULL, jst(2024, 6, 10, 0, 0), NULL, 0, false, A, "default", NULL, 0 },
		{ wknd, NULL, NULL, jst(2024, 6, 7, 23, 59), NULL, 0, false, A, "default", NULL,
		  0 },
		{ wrap, NULL, NULL, jst(2024, 6, 3, 9, 30), NULL, 0, false, D, "w",
		  "outside_allowed_hours", 1 },
		{ wrap, NULL, NULL, jst(2024, 6, 9, 9, 30), NULL, 0, false, D, "w",
		  "outside_allowed_hours", 1 },
		{ wrap, NULL, NULL, jst(2024, 6, 4, 9, 30), NULL, 0, false, A, "default", NULL, 0 },
		{ wrap, NULL, NULL, jst(2024, 6, 6, 9, 30), NULL, 0, false, A, "default", NULL, 0 },
		{ multi, NULL, NULL, jst(2024, 6, 8, 11, 0), NULL, 0, false, A, "default", NULL,
		  0 },
		{ multi, NULL, NULL, jst(2024, 6, 8, 12, 0), NULL, 0, false, D, "m",
		  "outside_allowed_hours", 1 },
		{ multi, NULL, NULL, jst(2024, 6, 5, 19, 0), NULL, 0, false, A, "default", NULL,
		  0 },
		/* time zones: 08:30 JST is 23:30 UTC the day before */
		{ utc, NULL, NULL, jst(2024, 6, 3, 8, 30), NULL, 0, false, A, "default", NULL, 0 },
		{ utc, NULL, NULL, jst(2024, 6, 3, 10, 0), NULL, 0, false, D, "u",
		  "outside_allowed_hours", 2 },
		{ ist, NULL, NULL, jst(2024, 6, 3, 13, 45), NULL, 0, false, D, "i",
		  "outside_allowed_hours", 2 },
		{ ist, NULL, NULL, jst(2024, 6, 3, 14, 30), NULL, 0, false, A, "default", NULL, 0 },
		/* 20:00-00:00 ends at midnight; before 1970 too (negative unix time) */
		{ neg, NULL, NULL, jst(2024, 6, 3, 9, 0), NULL, 0, false, D, "n",
		  "outside_allowed_hours", 2 },
		{ neg, NULL, NULL, jst(2024, 6, 3, 12, 0), NULL, 0, false, A, "default", NULL, 0 },
		{ neg, NULL, NULL, jst(1960, 6, 3, 9, 0), NULL, 0, false, D, "n",
		  "outside_allowed_hours", 2 },
		{ neg, NULL, NULL, jst(1960, 6, 3, 11, 59), NULL, 0, false, D, "n",
		  "outside_allowed_hours", 2 },
		{ neg, NULL, NULL, jst(1960, 6, 3, 12, 0), NULL, 0, false, A, "default", NULL, 0 },
		/* absurd clocks are clamped, never undefined */
		/* (+10^12 s is a Friday 10:46 JST, -10^12 s a Wednesday 07:13) */
		{ office, NULL, NULL, INT64_MAX, NULL, 0, false, A, "default", NULL, 0 },
		{ office, NULL, NULL, INT64_MIN, NULL, 0, false, D, "office-hours",
		  "outside_allowed_hours", 2 },
	};

	(void)state;
	RUN(cases, NULL);
}

static struct idg_jp_overrides *
load_shipped(void)
{
	struct idg_jp_overrides *ov = NULL;
	char text[8192], err[256];
	FILE *f = fopen(IDG_HOLIDAYS_FILE, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	assert_true(n > 0 && n < sizeof(text));
	if (idg_jp_overrides_parse(text, n, &ov, err, sizeof(err)) != IDG_OK)
		fail_msg("%s", err);
	return ov;
}

static void
test_business_day(void **state)
{
	static const char *bd = "rule holidays: deny when not business-day\n";
	static const char *bdu = "timezone UTC\nrule holidays: deny when not business-day\n";
	static const char *pos = "default deny\nrule work: allow when business-day and "
				 "time in 09:00-18:00\n";
	const struct pcase cases[] = {
		{ bd, NULL, NULL, MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ bd, NULL, NULL, jst(2024, 1, 8, 10, 0), NULL, 0, false, D, "holidays",
		  "outside_allowed_hours", 1 },
		{ bd, NULL, NULL, jst(2024, 12, 31, 10, 0), NULL, 0, false, D, "holidays",
		  "outside_allowed_hours", 1 },
		{ bd, NULL, NULL, jst(2024, 12, 27, 10, 0), NULL, 0, false, A, "default", NULL, 0 },
		{ bd, NULL, NULL, jst(2024, 6, 8, 10, 0), NULL, 0, false, D, "holidays",
		  "outside_allowed_hours", 1 },
		/* Jan 4 00:30 JST is a business day, but Jan 3 in UTC */
		{ bd, NULL, NULL, jst(2024, 1, 4, 0, 30), NULL, 0, false, A, "default", NULL, 0 },
		{ bdu, NULL, NULL, jst(2024, 1, 4, 0, 30), NULL, 0, false, D, "holidays",
		  "outside_allowed_hours", 2 },
		{ pos, NULL, NULL, MON10, NULL, 0, false, A, "work", NULL, 2 },
		{ pos, NULL, NULL, jst(2026, 9, 22, 10, 0), NULL, 0, false, D, "default",
		  "access_denied", 0 },
		{ pos, NULL, NULL, jst(2026, 9, 24, 10, 0), NULL, 0, false, A, "work", NULL, 2 },
	};
	const struct pcase olympic[] = {
		/* 2020-07-20 is a working Monday only with the override file */
		{ bd, NULL, NULL, jst(2020, 7, 20, 10, 0), NULL, 0, false, A, "default", NULL, 0 },
		{ bd, NULL, NULL, jst(2020, 7, 23, 10, 0), NULL, 0, false, D, "holidays",
		  "outside_allowed_hours", 1 },
	};
	const struct pcase plain[] = {
		{ bd, NULL, NULL, jst(2020, 7, 20, 10, 0), NULL, 0, false, D, "holidays",
		  "outside_allowed_hours", 1 },
		{ bd, NULL, NULL, jst(2020, 7, 23, 10, 0), NULL, 0, false, A, "default", NULL, 0 },
	};
	struct idg_jp_overrides *ov = load_shipped();

	RUN(cases, NULL);
	RUN(olympic, ov);
	RUN(plain, NULL);
	idg_jp_overrides_free(ov);
}

static void
test_order_default_require(void **state)
{
	static const char *order = "# admins first\n\nrule a: allow when group in admins\n"
				   "rule b: deny when ip not in 10.0.0.0/8\n";
	static const char *rev = "rule b: deny when ip not in 10.0.0.0/8\n"
				 "rule a: allow when group in admins\n";
	static const char *def_deny = "default deny\n";
	static const char *empty = "";
	static const char *comments = "# nothing\n\n   \t\n";
	static const char *mfa = "rule admins-mfa: require totp when group in admins, it-staff\n"
				 "rule vpn: deny when ip not in 10.0.0.0/8\n";
	static const char *cert = "rule payroll-cert: require cert when app in payroll-app\n"
				  "rule sign-in-only: deny when app not in payroll-app\n"
				  "rule all-mfa: require totp\n";
	static const char *explicit = "rule c: deny when group in contractors reason "
				      "contractor_blocked\n"
				      "rule t: require totp when ip not in 10.0.0.0/8 reason "
				      "offsite_mfa\n";
	static const char *derived = "rule g: deny when group in x and ip in 1.0.0.0/8\n"
				     "rule a: deny when app in y and time in 00:00-24:00\n"
				     "rule m: deny when amr lacks pwd\n"
				     "rule z: deny when group in z\n"
				     "rule u: deny\n";
	static const char *amr = "rule fed: allow when amr has fed\n"
				 "rule nocert: deny when cert missing and amr has pwd\n"
				 "rule dev: allow when cert valid\n";
	const struct pcase cases[] = {
		{ order, NULL, "1.2.3.4", MON10, "admins", 0, false, A, "a", NULL, 3 },
		{ order, NULL, "1.2.3.4", MON10, "staff", 0, false, D, "b", "ip_not_allowed", 4 },
		{ order, NULL, "10.2.3.4", MON10, "staff", 0, false, A, "default", NULL, 0 },
		{ rev, NULL, "1.2.3.4", MON10, "admins", 0, false, D, "b", "ip_not_allowed", 1 },
		{ def_deny, NULL, "10.0.0.1", MON10, NULL, 0, false, D, "default", "access_denied",
		  0 },
		{ empty, NULL, "10.0.0.1", MON10, NULL, 0, false, A, "default", NULL, 0 },
		{ comments, NULL, NULL, MON10, NULL, 0, false, A, "default", NULL, 0 },
		/* require totp, then met by amr: the next rule decides */
		{ mfa, NULL, "10.0.0.1", MON10, "it-staff", PWD, false, T, "admins-mfa",
		  "mfa_required", 1 },
		{ mfa, NULL, "10.0.0.1", MON10, "admins", PWD | OTP, false, A, "default", NULL, 0 },
		{ mfa, NULL, "1.0.0.1", MON10, "admins", PWD | OTP, false, D, "vpn",
		  "ip_not_allowed",
		  2 },
		{ mfa, NULL, "10.0.0.1", MON10, "sales", PWD, false, A, "default", NULL, 0 },
		/* app-scoped rules at sign-in (app NULL) and at app access */
		{ cert, "payroll-app", NULL, MON10, NULL, PWD, false, C, "payroll-cert",
		  "device_certificate_required", 1 },
		{ cert, "payroll-app", NULL, MON10, NULL, PWD, true, T, "all-mfa", "mfa_required",
		  3 },
		{ cert, "payroll-app", NULL, MON10, NULL, PWD | OTP, true, A, "default", NULL, 0 },
		{ cert, NULL, NULL, MON10, NULL, PWD | OTP, false, A, "default", NULL, 0 },
		{ cert, NULL, NULL, MON10, NULL, PWD, false, T, "all-mfa", "mfa_required", 3 },
		{ cert, "crm", NULL, MON10, NULL, PWD, false, D, "sign-in-only", "access_denied",
		  2 },
		/* explicit reasons win */
		{ explicit, NULL, "10.0.0.1", MON10, "contractors", 0, false, D, "c",
		  "contractor_blocked", 1 },
		{ explicit, NULL, "1.0.0.1", MON10, "staff", PWD, false, T, "t", "offsite_mfa", 2 },
		{ explicit, NULL, "1.0.0.1", MON10, "staff", OTP, false, A, "default", NULL, 0 },
		/* derived reasons: app and group select, the next condition explains */
		{ derived, NULL, "1.0.0.1", MON10, "x", PWD, false, D, "g", "ip_not_allowed", 1 },
		{ derived, "y", "2.0.0.1", MON10, NULL, PWD, false, D, "a", "outside_allowed_hours",
		  2 },
		{ derived, NULL, "2.0.0.1", MON10, NULL, 0, false, D, "m", "access_denied", 3 },
		{ derived, NULL, "2.0.0.1", MON10, "z", PWD, false, D, "z", "access_denied", 4 },
		{ derived, NULL, "2.0.0.1", MON10, NULL, PWD, false, D, "u", "access_denied", 5 },
		/* amr and certificate conditions */
		{ amr, NULL, NULL, MON10, NULL, IDG_POLICY_AMR_FED, false, A, "fed", NULL, 1 },
		{ amr, NULL, NULL, MON10, NULL, PWD, false, D, "nocert", "access_denied", 2 },
		{ amr, NULL, NULL, MON10, NULL, PWD, true, A, "dev", NULL, 3 },
		{ amr, NULL, NULL, MON10, NULL, OTP, false, A, "default", NULL, 0 },
	};

	RUN(cases, NULL);
}

static void
test_names_and_comments(void **state)
{
	static const char *p1 = "rule sp: deny when app in https://sp.example.com/#frag # why\r\n"
				"rule g: deny when group in 経理部,  総務 and group not in 役員\n";
	const struct pcase cases[] = {
		{ p1, "https://sp.example.com/#frag", NULL, MON10, NULL, 0, false, D, "sp",
		  "access_denied", 1 },
		{ p1, "https://sp.example.com/", NULL, MON10, NULL, 0, false, A, "default", NULL,
		  0 },
		{ p1, NULL, NULL, MON10, "総務", 0, false, D, "g", "access_denied", 2 },
		{ p1, NULL, NULL, MON10, "総務,役員", 0, false, A, "default", NULL, 0 },
		{ p1, NULL, NULL, MON10, "経理", 0, false, A, "default", NULL, 0 },
	};

	RUN(cases, NULL);
}

static void
test_parse_errors(void **state)
{
	static const struct {
		const char *text;
		const char *err;	/* the whole message, or its start ending in "..." */
	} bad[] = {
		{ "allow all\n",
		  "line 1: unknown statement 'allow' (want rule, default or timezone)" },
		{ "rule : deny\n", "line 1: bad rule name ''..." },
		{ "rule a$b: deny\n", "line 1: bad rule name 'a$b'..." },
		{ "rule x deny\n", "line 1: expected ':' after the rule name, got 'deny'" },
		{ "rule\n", "line 1: expected a rule name after 'rule'" },
		{ "rule x: deny\n# c\nrule x: allow\n",
		  "line 3: duplicate rule name 'x' (first on line 1)" },
		{ "rule default: deny\n", "line 1: 'default' is reserved and cannot name a rule" },
		{ "rule x: block\n", "line 1: unknown action 'block'..." },
		{ "rule x:\n", "line 1: expected allow, deny, require totp or require cert" },
		{ "rule x: require sms\n", "line 1: expected 'totp' or 'cert' after 'require'" },
		{ "rule x: deny when\n", "line 1: expected a condition" },
		{ "rule x: deny when foo\n", "line 1: unknown condition 'foo'..." },
		{ "rule x: deny when ip 10.0.0.0/8\n",
		  "line 1: expected 'in' or 'not in' after 'ip', got '10.0.0.0/8'" },
		{ "rule x: deny when ip not 10.0.0.0/8\n",
		  "line 1: expected 'in' after 'not', got '10.0.0.0/8'" },
		{ "rule x: deny when ip in 10.0.0.300\n",
		  "line 1: bad address or CIDR '10.0.0.300'" },
		{ "rule x: deny when ip in 10.0.0.0/33\n",
		  "line 1: bad address or CIDR '10.0.0.0/33'" },
		{ "rule x: deny when ip in ::/129\n", "line 1: bad address or CIDR '::/129'" },
		{ "rule x: deny when ip in 10.0.0.0/8,\n",
		  "line 1: expected a list item after ','" },
		{ "rule x: deny when ip in 10.0.0.0/8,,1.1.1.1\n",
		  "line 1: expected a list item after ','" },
		{ "rule x: deny when ip in\n",
		  "line 1: expected an address or CIDR list after 'in'" },
		{ "rule x: deny when time in 8:00-20:00\n",
		  "line 1: bad time range '8:00-20:00'..." },
		{ "rule x: deny when time in 08:00-25:00\n",
		  "line 1: time out of range in '08:00-25:00'" },
		{ "rule x: deny when time in 08:60-09:00\n",
		  "line 1: time out of range in '08:60-09:00'" },
		{ "rule x: deny when time in 24:00-09:00\n",
		  "line 1: time out of range in '24:00-09:00'" },
		{ "rule x: deny when time in 08:00-08:00\n",
		  "line 1: empty time window '08:00-08:00'" },
		{ "rule x: deny when time in 00:00-00:00\n",
		  "line 1: empty time window '00:00-00:00'" },
		{ "rule x: deny when time in mon-fry 08:00-20:00\n",
		  "line 1: bad day range 'mon-fry'..." },
		{ "rule x: deny when time in funday 08:00-20:00\n",
		  "line 1: unknown day 'funday'..." },
		{ "rule x: deny when time in mon-fri\n",
		  "line 1: expected HH:MM-HH:MM after the days" },
		{ "rule x: deny when time in sat, 08:00-20:00\n",
		  "line 1: expected a day after ','" },
		{ "rule x: deny when amr has sms\n", "line 1: unknown method 'sms'..." },
		{ "rule x: deny when amr is otp\n",
		  "line 1: expected 'has' or 'lacks' after 'amr'" },
		{ "rule x: deny when amr has\n",
		  "line 1: expected pwd, otp, cert or fed after 'amr has'" },
		{ "rule x: deny when cert present\n",
		  "line 1: expected 'valid' or 'missing' after 'cert'" },
		{ "rule x: deny when not weekend\n",
		  "line 1: expected 'business-day' after 'not', got 'weekend'" },
		{ "rule x: deny when group in a,#b\n",
		  "line 1: a name cannot start with '#' ('#b')" },
		{ "rule x: deny when group in a b\n",
		  "line 1: unexpected 'b' (join conditions with 'and')" },
		{ "rule x: deny when group in a and\n", "line 1: expected a condition" },
		{ "rule x: deny group in a\n", "line 1: unexpected 'group' (conditions start with "
		  "'when')" },
		{ "rule x: allow reason foo\n", "line 1: an allow rule has no reason" },
		{ "rule x: deny reason Bad-Code\n", "line 1: expected a reason code..." },
		{ "rule x: deny reason\n", "line 1: expected a reason code..." },
		{ "rule x: deny reason a b\n", "line 1: unexpected 'b'..." },
		{ "default maybe\n", "line 1: expected 'allow' or 'deny' after 'default'" },
		{ "default allow\n\ndefault deny\n", "line 3: second 'default' line" },
		{ "default allow now\n", "line 1: unexpected 'now'" },
		{ "timezone Europe/Paris\n", "line 1: unknown time zone 'Europe/Paris'..." },
		{ "timezone +15:00\n", "line 1: unknown time zone '+15:00'..." },
		{ "timezone +09:60\n", "line 1: unknown time zone '+09:60'..." },
		{ "timezone\n", "line 1: expected a time zone after 'timezone'" },
		{ "timezone UTC\ntimezone UTC\n", "line 2: second 'timezone' line" },
		{ "rule x: deny\r\n\r\nrule y: deny when\x01\r\n",
		  "line 3: control character (byte "
		  "0x01)" },
	};
	struct idg_policy *p = NULL;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *want = bad[i].err;
		size_t wl = strlen(want);
		int st;

		p = (struct idg_policy *)err;
		err[0] = '\0';
		st = idg_policy_parse(bad[i].text, strlen(bad[i].text), &p, err, sizeof(err));
		if (st != IDG_INVALID || p != NULL)
			fail_msg("case %zu (%s): status %d", i, bad[i].text, st);
		if (wl > 3 && strcmp(want + wl - 3, "...") == 0 ? strncmp(err, want, wl - 3) != 0 :
		    strcmp(err, want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, want);
	}
	/* a NUL byte inside the text */
	assert_int_equal(idg_policy_parse("default deny\n\0", 14, &p, err, sizeof(err)),
	    IDG_INVALID);
	assert_string_equal(err, "line 2: control character (byte 0x00)");
	/* a tiny error buffer is still terminated; a NULL one is allowed */
	assert_int_equal(idg_policy_parse("bogus", 5, &p, err, 8), IDG_INVALID);
	assert_string_equal(err, "line 1:");
	assert_int_equal(idg_policy_parse("bogus", 5, &p, NULL, 0), IDG_INVALID);
}

static void
test_limits(void **state)
{
	struct idg_policy *p = NULL;
	char err[256], *text;
	size_t i, n = 0, cap = 200000;

	text = malloc(cap);
	assert_non_null(text);
	/* 1,000 rules are fine, the 1,001st is not */
	for (i = 0; i < 1000; i++)
		n += (size_t)snprintf(text + n, cap - n, "rule r%zu: deny when group in g%zu\n", i,
		    i);
	assert_true(n < IDG_POLICY_MAX_BYTES);
	assert_int_equal(idg_policy_parse(text, n, &p, err, sizeof(err)), IDG_OK);
	assert_int_equal(idg_policy_rule_count(p), 1000);
	idg_policy_free(p);
	n += (size_t)snprintf(text + n, cap - n, "rule last: deny\n");
	assert_int_equal(idg_policy_parse(text, n, &p, err, sizeof(err)), IDG_INVALID);
	assert_string_equal(err, "line 1001: too many rules (max 1000)");

	/* 10,000 CIDRs over the policy are fine, the 10,001st is not */
	n = (size_t)snprintf(text, cap, "rule a: deny when ip in ::");
	for (i = 1; i < 5000; i++)
		n += (size_t)snprintf(text + n, cap - n, ",::");
	n += (size_t)snprintf(text + n, cap - n, "\nrule b: deny when ip in ::");
	for (i = 1; i < 5000; i++)
		n += (size_t)snprintf(text + n, cap - n, ",::");
	n += (size_t)snprintf(text + n, cap - n, "\n");
	assert_int_equal(idg_policy_parse(text, n, &p, err, sizeof(err)), IDG_OK);
	idg_policy_free(p);
	n += (size_t)snprintf(text + n, cap - n, "rule c: deny when ip in 1.1.1.1\n");
	assert_int_equal(idg_policy_parse(text, n, &p, err, sizeof(err)), IDG_INVALID);
	assert_string_equal(err, "line 3: too many CIDRs (max 10000 in a policy)");

	/* 64 KiB of text: the line that passes the limit is named */
	memset(text, '#', cap);
	for (i = 99; i < cap; i += 100)
		text[i] = '\n';
	assert_int_equal(idg_policy_parse(text, IDG_POLICY_MAX_BYTES, &p, err, sizeof(err)),
	    IDG_OK);
	idg_policy_free(p);
	assert_int_equal(idg_policy_parse(text, IDG_POLICY_MAX_BYTES + 1, &p, err, sizeof(err)),
	    IDG_INVALID);
	assert_string_equal(err, "line 656: policy text larger than 65536 bytes");

	/* a name of 256 bytes is too long, 255 is fine */
	n = (size_t)snprintf(text, cap, "rule a: deny when group in ");
	memset(text + n, 'g', 256);
	assert_int_equal(idg_policy_parse(text, n + 256, &p, err, sizeof(err)), IDG_INVALID);
	assert_true(strncmp(err, "line 1: name longer than 255 bytes", 34) == 0);
	assert_int_equal(idg_policy_parse(text, n + 255, &p, err, sizeof(err)), IDG_OK);
	idg_policy_free(p);
	free(text);
}

static void
test_format(void **state)
{
	static const char src[] =
	    "# tenant policy\n"
	    "default deny\n"
	    "timezone +09:00\n"
	    "rule office-hours: deny when time not in mon-fri 08:00-20:00, sat 09:00-12:00\n"
	    "rule holidays: deny when not business-day\n"
	    "rule vpn: deny when ip not in 10.0.0.0/8, 2001:DB8::/32, 192.168.1.1, "
	    "::ffff:172.16.0.0/108 reason ip_not_allowed\n"
	    "rule admins-mfa: require totp when group in it-staff, admins, admins\n"
	    "rule payroll-cert: require cert when app in payroll-app\n"
	    "rule night: allow when time in 22:00-06:00 and group in night-shift\n"
	    "rule wk: allow when time in sun,sat,wed 10:00-00:00 and amr has otp and cert valid\n"
	    "rule wrap: allow when time in fri-mon 09:00-10:00 and amr lacks fed and cert missing\n"
	    "rule rest: allow when business-day and app not in x and group not in y\n";
	static const char want[] =
	    "timezone +09:00\n"
	    "default deny\n"
	    "rule office-hours: deny when time not in mon-fri 08:00-20:00, sat 09:00-12:00\n"
	    "rule holidays: deny when not business-day\n"
	    "rule vpn: deny when ip not in 10.0.0.0/8, 2001:db8::/32, 192.168.1.1/32, "
	    "172.16.0.0/12 reason ip_not_allowed\n"
	    "rule admins-mfa: require totp when group in admins, it-staff\n"
	    "rule payroll-cert: require cert when app in payroll-app\n"
	    "rule night: allow when time in 22:00-06:00 and group in night-shift\n"
	    "rule wk: allow when time in wed,sat,sun 10:00-24:00 and amr has otp and cert valid\n"
	    "rule wrap: allow when time in mon,fri-sun 09:00-10:00 and amr lacks fed and "
	    "cert missing\n"
	    "rule rest: allow when business-day and app not in x and group not in y\n";
	static const char *const ips[] = { NULL, "10.1.1.1", "11.1.1.1", "192.168.1.1",
		"2001:db8::5", "2001:db9::", "172.16.3.3" };
	static const char *const groups[] = { NULL, "admins", "night-shift", "it-staff,y",
		"staff" };
	static const char *const apps[] = { NULL, "payroll-app", "x", "crm" };
	struct idg_policy *p, *q = NULL;
	char *t1, *t2, err[256];
	size_t ii, gi, ai, hi;
	unsigned amr;
	int cert, checked = 0;

	p = must_parse(src);
	t1 = idg_policy_format(p);
	assert_non_null(t1);
	assert_string_equal(t1, want);
	assert_int_equal(idg_policy_parse(t1, strlen(t1), &q, err, sizeof(err)), IDG_OK);
	t2 = idg_policy_format(q);
	assert_string_equal(t1, t2);
	/* same decisions over a grid of contexts */
	for (hi = 0; hi < 7 * 24 * 2; hi++)
		for (ii = 0; ii < sizeof(ips) / sizeof(ips[0]); ii++)
			for (gi = 0; gi < sizeof(groups) / sizeof(groups[0]); gi++)
				for (ai = 0; ai < sizeof(apps) / sizeof(apps[0]); ai++)
					for (amr = 0; amr < 16; amr += 5)
						for (cert = 0; cert < 2; cert++) {
		struct pcase k = { NULL, apps[ai], ips[ii],
			jst(2024, 4, 27, 0, 0) + (int64_t)hi * 1800 + 60, groups[gi], amr,
			cert != 0, A, "", NULL, -1 };
		struct idg_policy_decision d1, d2;

		eval_case(p, &k, NULL, &d1);
		eval_case(q, &k, NULL, &d2);
		if (d1.action != d2.action || strcmp(d1.rule, d2.rule) != 0 ||
		    (d1.reason == NULL) != (d2.reason == NULL) ||
		    (d1.reason != NULL && strcmp(d1.reason, d2.reason) != 0))
			fail_msg("round trip differs at hour %zu ip %zu group %zu app %zu", hi, ii,
			    gi, ai);
		checked++;
	}
	assert_true(checked > 10000);
	free(t1);
	free(t2);
	idg_policy_free(p);
	idg_policy_free(q);

	/* the defaults are written out */
	p = must_parse("");
	t1 = idg_policy_format(p);
	assert_string_equal(t1, "timezone Asia/Tokyo\ndefault allow\n");
	free(t1);
	idg_policy_free(p);
	idg_policy_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_v4),
		cmocka_unit_test(test_ip_v6),
		cmocka_unit_test(test_ip_raw_v4_mapped),
		cmocka_unit_test(test_time_windows),
		cmocka_unit_test(test_business_day),
		cmocka_unit_test(test_order_default_require),
		cmocka_unit_test(test_names_and_comments),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
