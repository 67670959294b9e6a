/*
 * policy_bench.c - throughput of idg_policy_eval on a realistic large tenant:
 * 100 rules holding 1,000 CIDRs in all (v4 and v6 mixed), group, app, time,
 * business-day, amr and certificate conditions. Prints evaluations per second
 * and nanoseconds per evaluation for a mixed workload (varied addresses,
 * times, groups, apps), for the worst case (a context that matches no rule,
 * so every rule is tried), and for one rule with a 1,000-CIDR list. Also the
 * parse time. Not a test: it never fails on a timing and ctest does not run it.
 *
 *   build-rel/tests/bench/policy_bench [evaluations]   (default 1,000,000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/util/buf.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"
#include "policy/policy.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Blocked ranges never include 10.0.0.0/8 or 2001:db8::/32, where clients live. */
static void
add_cidrs(struct idg_buf *b, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (i % 5 == 4)
			idg_buf_printf(b, "%s2400:%x:%x::/48", i ? ", " : "",
			    (unsigned)(rnd() % 0xffff), (unsigned)(rnd() % 0xffff));
		else
			idg_buf_printf(b, "%s%u.%u.%u.0/%u", i ? ", " : "",
			    (unsigned)(11 + rnd() % 200), (unsigned)(rnd() % 256),
			    (unsigned)(rnd() % 256), (unsigned)(16 + rnd() % 9));
	}
}

/* 100 rules; 10 of them hold 100 CIDRs each. The first condition of each is selective. */
static char *
make_policy(void)
{
	struct idg_buf b;
	int i;

	idg_buf_init(&b, IDG_POLICY_MAX_BYTES);
	idg_buf_adds(&b, "default allow\ntimezone Asia/Tokyo\n");
	for (i = 0; i < 100; i++) {
		switch (i % 10) {
		case 0:
			idg_buf_printf(&b, "rule block-%d: deny when ip in ", i);
			add_cidrs(&b, 100);
			idg_buf_adds(&b, " reason ip_blocked\n");
			break;
		case 1:
			idg_buf_printf(&b, "rule mfa-%d: require totp when group in team-%d, "
			    "team-%d, lead-%d\n", i, i, i + 1, i);
			break;
		case 2:
			idg_buf_printf(&b,
			    "rule cert-%d: require cert when app in app-%d, app-%d\n",
			    i, i, i + 1);
			break;
		case 3:
			idg_buf_printf(&b,
			    "rule hours-%d: deny when group in shift-%d and time not "
			    "in mon-fri 08:00-20:00\n", i, i);
			break;
		case 4:
			idg_buf_printf(&b,
			    "rule night-%d: allow when group in night-%d and time in "
			    "22:00-06:00\n", i, i);
			break;
		case 5:
			idg_buf_printf(&b, "rule bd-%d: deny when app in report-%d and not "
			    "business-day\n", i, i);
			break;
		case 6:
			idg_buf_printf(&b, "rule fed-%d: deny when group in partner-%d and amr "
			    "lacks fed\n", i, i);
			break;
		case 7:
			idg_buf_printf(&b, "rule dev-%d: deny when app in hr-%d and cert missing\n",
			    i, i);
			break;
		case 8:
			idg_buf_printf(&b, "rule wk-%d: deny when group in temp-%d and time in "
			    "sat,sun 00:00-24:00\n", i, i);
			break;
		default:
			idg_buf_printf(&b, "rule vpn-%d: deny when app in secret-%d and ip not in "
			    "10.0.0.0/8, 2001:db8::/32\n", i, i);
			break;
		}
	}
	return idg_buf_take(&b);
}

static double
run(const struct idg_policy *p, const struct idg_policy_ctx *ctxs, size_t nctx, long n,
    long *sink)
{
	struct idg_policy_decision d;
	double t0 = now_s();
	long i;

	for (i = 0; i < n; i++) {
		idg_policy_eval(p, &ctxs[(size_t)i % nctx], &d);
		*sink += (long)d.action + d.line;
	}
	return now_s() - t0;
}

static void
report(const char *what, long n, double s)
{
	printf("%-44s %10.0f eval/s %8.1f ns/eval\n", what, (double)n / s, s * 1e9 / (double)n);
}

int
main(int argc, char **argv)
{
	enum { NCTX = 4096 };
	static struct idg_ip ips[NCTX];
	static const char *grp[NCTX][3];
	static char gname[NCTX][3][16], aname[NCTX][16];
	static struct idg_policy_ctx ctxs[NCTX];
	struct idg_policy *p = NULL, *big = NULL;
	struct idg_policy_ctx worst;
	struct idg_ip wip;
	struct idg_buf bb;
	char err[256], *text;
	long n = 1000000, sink = 0, v;
	double t0, s;
	size_t i, j;

	if (argc > 1 && idg_parse_long(argv[1], 1, 1000000000L, &v) == IDG_OK)
		n = v;
	text = make_policy();
	t0 = now_s();
	if (idg_policy_parse(text, strlen(text), &p, err, sizeof(err)) != IDG_OK) {
		fprintf(stderr, "policy_bench: %s\n", err);
		return 1;
	}
	s = now_s() - t0;
	printf("policy: %zu rules, %zu bytes of text, parsed in %.0f us\n",
	    idg_policy_rule_count(p), strlen(text), s * 1e6);

	/* varied contexts: clients mostly inside 10/8 or 2001:db8::/32, some anywhere */
	for (i = 0; i < NCTX; i++) {
		struct idg_policy_ctx *c = &ctxs[i];
		char a[64];

		switch (rnd() % 4) {
		case 0:
			snprintf(a, sizeof(a), "2001:db8::%x", (unsigned)(rnd() % 0xffff));
			break;
		case 1:
			snprintf(a, sizeof(a), "%u.%u.%u.%u", (unsigned)(rnd() % 224),
			    (unsigned)(rnd() % 256), (unsigned)(rnd() % 256),
			    (unsigned)(rnd() % 256));
			break;
		default:
			snprintf(a, sizeof(a), "10.%u.%u.%u", (unsigned)(rnd() % 256),
			    (unsigned)(rnd() % 256), (unsigned)(rnd() % 256));
			break;
		}
		idg_ip_parse(a, &ips[i]);
		memset(c, 0, sizeof(*c));
		c->ip = &ips[i];
		c->now = 1735657200 + (int64_t)(rnd() % (366 * 86400));	/* during 2025 */
		for (j = 0; j < 3; j++) {
			static const char *const kinds[] = { "team", "shift", "night", "partner",
				"temp", "staff" };

			snprintf(gname[i][j], sizeof(gname[i][j]), "%s-%u",
			    kinds[rnd() % 6], (unsigned)(rnd() % 100));
			grp[i][j] = gname[i][j];
		}
		c->groups = grp[i];
		c->ngroups = 1 + rnd() % 3;
		if (rnd() % 3 != 0) {
			static const char *const kinds[] = { "app", "report", "hr", "secret",
			    "crm" };

			snprintf(aname[i], sizeof(aname[i]), "%s-%u", kinds[rnd() % 5],
			    (unsigned)(rnd() % 100));
			c->app = aname[i];
		}
		c->amr = IDG_POLICY_AMR_PWD | (rnd() % 2 ? IDG_POLICY_AMR_OTP : 0);
		c->cert_valid = rnd() % 2;
	}

	/* worst case: app access from an address in no list, nothing matches */
	idg_ip_parse("10.20.30.40", &wip);
	memset(&worst, 0, sizeof(worst));
	worst.ip = &wip;
	worst.now = 1733295600;	/* 2024-12-04 16:00 JST, a Wednesday */
	worst.groups = (const char *const[]){ "nobody", "staff", "users" };
	worst.ngroups = 3;
	worst.app = "crm";
	worst.amr = IDG_POLICY_AMR_PWD;	/* so require rules test their conditions too */
	worst.cert_valid = false;
	{
		struct idg_policy_decision d;

		idg_policy_eval(p, &worst, &d);
		if (strcmp(d.rule, "default") != 0) {
			fprintf(stderr, "policy_bench: worst case matched %s\n", d.rule);
			return 1;
		}
	}

	/* one rule with 1,000 CIDRs, probed with an address outside all of them */
	idg_buf_init(&bb, IDG_POLICY_MAX_BYTES);
	idg_buf_adds(&bb, "rule big: deny when ip in ");
	add_cidrs(&bb, 1000);
	idg_buf_adds(&bb, "\n");
	if (idg_policy_parse(bb.data, bb.len, &big, err, sizeof(err)) != IDG_OK) {
		fprintf(stderr, "policy_bench: %s\n", err);
		return 1;
	}
	idg_buf_free(&bb);

	run(p, ctxs, NCTX, n / 10, &sink);	/* warm up */
	report("mixed contexts (100 rules, 1,000 CIDRs)", n, run(p, ctxs, NCTX, n, &sink));
	report("worst case: no rule matches, all 100 tried", n, run(p, &worst, 1, n, &sink));
	report("one rule, 1,000-CIDR list, address not in it", n, run(big, &worst, 1, n, &sink));
	printf("(checksum %ld)\n", sink);
	idg_policy_free(big);
	idg_policy_free(p);
	free(text);
	return 0;
}
