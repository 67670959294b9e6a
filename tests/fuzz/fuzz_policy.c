/*
 * fuzz_policy.c - libFuzzer target for the policy text parser and the
 * holiday override parser (both read tenant- or operator-supplied text). For
 * every input: a rejected text must say "line N: ..." and return no object;
 * an accepted policy must render to canonical text that parses again, renders
 * to the same text, and decides a fixed set of contexts the same way
 * (action, rule, reason). Not a unit test (tests/unit/policy).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway/util/status.h"
#include "policy/policy.h"

static void
check_err(int st, const void *obj, const char *err)
{
	if (st == IDG_OK)
		return;
	if (st != IDG_INVALID || obj != NULL || strncmp(err, "line ", 5) != 0)
		abort();
}

static bool
same(const struct idg_policy_decision *a, const struct idg_policy_decision *b)
{
	if (a->action != b->action || strcmp(a->rule, b->rule) != 0)
		return false;
	if (a->reason == NULL || b->reason == NULL)
		return a->reason == b->reason;
	return strcmp(a->reason, b->reason) == 0;
}

static void
compare(const struct idg_policy *p, const struct idg_policy *q,
    const struct idg_jp_overrides *ov)
{
	static const char *const ips[] = { "10.1.2.3", "192.168.1.1", "2001:db8::1", "::",
		"255.255.255.255", "0.0.0.0" };
	static const char *const groups[] = { "admins", "night-shift", "a", "g" };
	static const char *const apps[] = { "payroll-app", "a", "x" };
	static const int64_t times[] = { 1717376400, 1717426800, 1704672000, 1735603200, 0,
		-86400 * 365, INT64_MAX };
	struct idg_policy_decision d1, d2;
	struct idg_policy_ctx c;
	struct idg_ip ip;
	size_t i;

	for (i = 0; i < 64; i++) {
		memset(&c, 0, sizeof(c));
		if (i % 7 != 6 && idg_ip_parse(ips[i % 6], &ip) == IDG_OK)
			c.ip = &ip;
		c.now = times[i % 7];
		c.groups = i % 3 == 0 ? NULL : &groups[i % 4];
		c.ngroups = i % 3 == 0 ? 0 : 1;
		c.app = i % 4 == 0 ? NULL : apps[i % 3];
		c.amr = (unsigned)(i % 16);
		c.cert_valid = i % 5 == 0;
		c.holidays = ov;
		idg_policy_eval(p, &c, &d1);
		idg_policy_eval(q, &c, &d2);
		if (!same(&d1, &d2))
			abort();
		if ((d1.action == IDG_POLICY_ALLOW) != (d1.reason == NULL))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idg_policy *p = NULL, *q = NULL;
	struct idg_jp_overrides *ov = NULL;
	char err[256], *t1, *t2;
	int st;

	err[0] = '\0';
	st = idg_jp_overrides_parse((const char *)data, size, &ov, err, sizeof(err));
	check_err(st, ov, err);
	if (st == IDG_OK && ov != NULL) {
		int y, m, d;

		for (y = 2019; y <= 2021; y++)
			for (m = 1; m <= 12; m++)
				(void)idg_jp_nth_business_day(y, m, 10, ov, &d);
	}

	err[0] = '\0';
	st = idg_policy_parse((const char *)data, size, &p, err, sizeof(err));
	check_err(st, p, err);
	if (st != IDG_OK) {
		idg_jp_overrides_free(ov);
		return 0;
	}
	if ((t1 = idg_policy_format(p)) == NULL)
		abort();
	if (idg_policy_parse(t1, strlen(t1), &q, err, sizeof(err)) != IDG_OK) {
		/* canonical text may pass the 64 KiB input limit; nothing else may fail */
		if (strlen(t1) <= IDG_POLICY_MAX_BYTES)
			abort();
	} else {
		if ((t2 = idg_policy_format(q)) == NULL || strcmp(t1, t2) != 0)
			abort();
		free(t2);
		compare(p, q, ov);
		idg_policy_free(q);
	}
	free(t1);
	idg_policy_free(p);
	idg_jp_overrides_free(ov);
	return 0;
}
