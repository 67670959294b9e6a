/*
 * cli_policy.c - `idgate policy set|show|require-mfa|test`: the tenant's
 * access policy and the tenant-wide TOTP requirement.
 *
 * `set` compiles the text with the engine (policy/policy.h) before storing
 * it, so the store never holds a policy the gateway cannot load; the text
 * is stored as written (comments kept). `test` evaluates the stored policy
 * for one user with the groups the store holds and a context given on the
 * command line, exactly as the engine would at sign-in or app access. The
 * rules themselves live in policy/; enforcing them is the handlers' job.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../config/config.h"
#include "../util/cidr.h"
#include "../util/clock.h"
#include "../util/status.h"
#include "../util/str.h"
#include "cli_impl.h"
#include "policy/jpcal.h"
#include "policy/policy.h"

#define MAX_GROUPS 256

/*
 * Reads a whole file ("-" = stdin) of at most max bytes into an owned
 * NUL-terminated buffer. NULL with *rc set (printed) on failure; *missing
 * (may be NULL) is set instead, without printing, when the file does not exist.
 */
static char *
read_text(const char *path, size_t max, size_t *len, bool *missing, int *rc)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf;
	size_t n;

	if (missing != NULL)
		*missing = false;
	if (f == NULL) {
		if (missing != NULL && errno == ENOENT) {
			*missing = true;
			return NULL;
		}
		*rc = cli_fail(IDG_EXIT_USAGE, "file_unreadable", "cannot read %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if ((buf = malloc(max + 2)) == NULL) {
		if (f != stdin)
			fclose(f);
		*rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		if (f != stdin)
			fclose(f);
		free(buf);
		*rc = cli_fail(IDG_EXIT_USAGE, "file_unreadable", "cannot read %s", path);
		return NULL;
	}
	if (f != stdin)
		fclose(f);
	if (n > max) {
		free(buf);
		*rc = cli_fail(IDG_EXIT_REFUSED, "policy_too_large", "%s is larger than %zu bytes",
		    path, max);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * Parses "--tenant ID" plus extra options (at most 10) and exactly maxpos
 * positionals. 0 or IDG_EXIT_USAGE (printed). Nothing is opened yet.
 */
static int
parse_tenant(int argc, char **argv, const struct cli_opt *extra, char **pos, int maxpos,
    const char *usage, const char **tenant)
{
	struct cli_opt opts[12] = { { "--tenant", tenant, NULL } };
	int rc, i, npos;

	*tenant = NULL;
	for (i = 0; extra != NULL && extra[i].name != NULL && i < 10; i++)
		opts[i + 1] = extra[i];
	if ((rc = cli_parse(argc, argv, opts, pos, maxpos, &npos)) != 0)
		return rc;
	if (*tenant == NULL || npos != maxpos)
		return cli_fail(IDG_EXIT_USAGE, "usage", "%s", usage);
	return 0;
}

/* Opens the store and loads the tenant: 0 or an exit code (printed). */
static int
open_tenant(struct cli *c, const char *tenant, struct idg_tenant *t)
{
	int rc;

	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, t)) != 0)
		return rc;
	return 0;
}

static int
cmd_set(struct cli *c, int argc, char **argv)
{
	struct idg_policy *p = NULL;
	struct idg_tenant t;
	const char *tenant;
	char *pos[1], *text, err[256], detail[64];
	size_t len = 0, nrules;
	int rc, st;

	if ((rc = parse_tenant(argc, argv, NULL, pos, 1, "policy set --tenant ID FILE|-",
	    &tenant)) != 0)
		return rc;
	if ((text = read_text(pos[0], IDG_POLICY_MAX_BYTES, &len, NULL, &rc)) == NULL)
		return rc;
	if ((rc = open_tenant(c, tenant, &t)) != 0) {
		free(text);
		return rc;
	}
	/* The store keeps C strings: a NUL byte would cut the text the engine checked. */
	if (strlen(text) != len) {
		free(text);
		cli_audit(c, t.id, "policy.set", pos[0], "policy_invalid", "NUL byte");
		return cli_fail(IDG_EXIT_REFUSED, "policy_invalid", "%s: holds a NUL byte; nothing"
		    " stored", pos[0]);
	}
	st = idg_policy_parse(text, len, &p, err, sizeof(err));
	if (st == IDG_INVALID) {
		free(text);
		cli_audit(c, t.id, "policy.set", pos[0], "policy_invalid", err);
		return cli_fail(IDG_EXIT_REFUSED, "policy_invalid", "%s: %s; nothing stored",
		    pos[0], err);
	}
	if (st != IDG_OK) {
		free(text);
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot compile the policy");
	}
	nrules = idg_policy_rule_count(p);
	idg_policy_free(p);
	st = idg_store_policy_set(c->st, t.id, text, -1);
	free(text);
	if (st != IDG_OK)
		return cli_store_fail(st, "storing the policy");
	snprintf(detail, sizeof(detail), "%zu rules", nrules);
	cli_audit(c, t.id, "policy.set", pos[0], "ok", detail);
	printf("policy of tenant %s set (%zu rules)\n", t.company_id, nrules);
	return 0;
}

static int
cmd_show(struct cli *c, int argc, char **argv)
{
	struct idg_tenant t;
	const char *tenant;
	char *pos[1], *text = NULL;
	bool mfa = false;
	size_t n;
	int rc, st;

	if ((rc = parse_tenant(argc, argv, NULL, pos, 0, "policy show --tenant ID",
	    &tenant)) != 0 || (rc = open_tenant(c, tenant, &t)) != 0)
		return rc;
	if ((st = idg_store_policy_get(c->st, t.id, &text, &mfa)) != IDG_OK)
		return cli_store_fail(st, "reading the policy");
	/* The stored text as written, so `show > f; set f` round-trips. */
	if (text == NULL) {
		printf("no policy (default allow)\n");
	} else {
		n = strlen(text);
		fputs(text, stdout);
		if (n > 0 && text[n - 1] != '\n')
			fputc('\n', stdout);
	}
	free(text);
	/* On stderr: not part of the policy text. */
	fflush(stdout);
	fprintf(stderr, "tenant-wide TOTP: %s\n", mfa ? "required (policy require-mfa on)" :
	    "not required");
	return 0;
}

static int
cmd_require_mfa(struct cli *c, int argc, char **argv)
{
	struct idg_tenant t;
	const char *tenant;
	char *pos[1];
	bool on;
	int rc, st;

	if ((rc = parse_tenant(argc, argv, NULL, pos, 1, "policy require-mfa --tenant ID on|off",
	    &tenant)) != 0)
		return rc;
	if (strcmp(pos[0], "on") != 0 && strcmp(pos[0], "off") != 0)
		return cli_fail(IDG_EXIT_USAGE, "usage", "policy require-mfa --tenant ID on|off");
	on = strcmp(pos[0], "on") == 0;
	if ((rc = open_tenant(c, tenant, &t)) != 0)
		return rc;
	if ((st = idg_store_policy_set(c->st, t.id, NULL, on ? 1 : 0)) != IDG_OK)
		return cli_store_fail(st, "storing the setting");
	cli_audit(c, t.id, "policy.require_mfa", t.company_id, "ok", pos[0]);
	printf("tenant %s: TOTP %s for every user\n", t.company_id, on ? "required" :
	    "no longer required (the policy decides)");
	return 0;
}

/* policy test */

/* "+HH:MM" / "-HH:MM" -> seconds east of UTC. */
static int
parse_offset(const char *s, int *off_s)
{
	long h, m;
	char hh[3], mm[3];

	if (strlen(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
		return IDG_INVALID;
	memcpy(hh, s + 1, 2);
	hh[2] = '\0';
	memcpy(mm, s + 4, 2);
	mm[2] = '\0';
	if (hh[0] < '0' || hh[0] > '9' || mm[0] < '0' || mm[0] > '9' ||
	    idg_parse_long(hh, 0, 14, &h) != IDG_OK || idg_parse_long(mm, 0, 59, &m) != IDG_OK)
		return IDG_INVALID;
	*off_s = (s[0] == '-' ? -1 : 1) * (int)(h * 3600 + m * 60);
	return IDG_OK;
}

/*
 * The UTC offset of the policy's time zone, from its canonical text's
 * "timezone" line: an explicit offset, or one of the zone names below.
 * IDG_NOTFOUND for another name (the caller then asks for an explicit
 * offset). policy.h exposes no accessor for the offset yet.
 */
static int
policy_offset(const struct idg_policy *p, int *off_s, char *zone, size_t zonesz)
{
	static const struct {
		const char	*name;
		int		 off_s;
	} known[] = {
		{ "Asia/Tokyo", 9 * 3600 }, { "Japan", 9 * 3600 }, { "UTC", 0 },
		{ "Etc/UTC", 0 }, { "GMT", 0 },
	};
	char *canon, *l, *e;
	size_t i;
	int st = IDG_NOTFOUND;

	idg_strlcpy(zone, "Asia/Tokyo", zonesz);
	if ((canon = idg_policy_format(p)) == NULL)
		return IDG_ERR;
	for (l = canon; l != NULL && *l != '\0'; l = e != NULL ? e + 1 : NULL) {
		e = strchr(l, '\n');
		if (e != NULL)
			*e = '\0';
		if (strncmp(l, "timezone ", 9) == 0) {
			idg_strlcpy(zone, l + 9, zonesz);
			break;
		}
	}
	free(canon);
	if (parse_offset(zone, off_s) == IDG_OK)
		return IDG_OK;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(zone, known[i].name) == 0) {
			*off_s = known[i].off_s;
			st = IDG_OK;
		}
	}
	return st;
}

static bool
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static long
num(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/*
 * YYYY-MM-DDTHH:MM[:SS] followed by nothing (local time in the policy's
 * zone, *explicit false), "Z" or "+HH:MM"/"-HH:MM". *t is unix seconds
 * when the offset is explicit, else local seconds (the caller subtracts
 * the zone's offset).
 */
static int
parse_time(const char *s, int64_t *t, bool *explicit_off)
{
	long y, mo, d, h, mi, sec = 0;
	const char *rest;
	int off = 0;

	if (strlen(s) < 16 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2) || s[10] != 'T' || !digits(s + 11, 2) ||
	    s[13] != ':' || !digits(s + 14, 2))
		return IDG_INVALID;
	y = num(s, 4);
	mo = num(s + 5, 2);
	d = num(s + 8, 2);
	h = num(s + 11, 2);
	mi = num(s + 14, 2);
	rest = s + 16;
	if (rest[0] == ':') {
		if (!digits(rest + 1, 2))
			return IDG_INVALID;
		sec = num(rest + 1, 2);
		rest += 3;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > idg_jp_month_days(y, (int)mo) || h > 23 ||
	    mi > 59 || sec > 59)
		return IDG_INVALID;
	if (rest[0] == '\0') {
		*explicit_off = false;
	} else if (strcmp(rest, "Z") == 0) {
		*explicit_off = true;
	} else if (parse_offset(rest, &off) == IDG_OK) {
		*explicit_off = true;
	} else {
		return IDG_INVALID;
	}
	*t = idg_jp_days(y, (int)mo, (int)d) * 86400 + h * 3600 + mi * 60 + sec - off;
	return IDG_OK;
}

/* "pwd,otp,cert,fed" -> IDG_POLICY_AMR_* bits. */
static int
parse_amr(const char *s, unsigned *amr)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} m[] = {
		{ "pwd", IDG_POLICY_AMR_PWD }, { "otp", IDG_POLICY_AMR_OTP },
		{ "cert", IDG_POLICY_AMR_CERT }, { "fed", IDG_POLICY_AMR_FED },
	};
	const char *p = s, *e;
	size_t i, n;

	*amr = 0;
	if (*s == '\0')
		return IDG_OK;	/* "--amr ''": nothing done yet */
	for (;;) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
			if (strlen(m[i].name) == n && strncmp(m[i].name, p, n) == 0)
				break;
		if (i == sizeof(m) / sizeof(m[0]))
			return IDG_INVALID;
		*amr |= m[i].bit;
		if (e == NULL)
			return IDG_OK;
		p = e + 1;
	}
}

struct glist {
	char	*names[MAX_GROUPS];
	size_t	 n;
	bool	 oom;
};

static int
collect_group(void *arg, const struct idg_group *g)
{
	struct glist *l = arg;

	if (l->n == MAX_GROUPS)
		return 1;
	if ((l->names[l->n] = strdup(g->name)) == NULL) {
		l->oom = true;
		return 1;
	}
	l->n++;
	return 0;
}

int
cli_load_holidays(struct cli *c, struct idg_jp_overrides **ov)
{
	const char *path = c->cfg->holidays_override_file;
	char err[256], *text;
	size_t len = 0;
	bool missing = false;
	int rc = 0, st;

	*ov = NULL;
	if (path[0] == '\0')
		return 0;
	if ((text = read_text(path, IDG_JP_OVERRIDES_MAX_BYTES, &len, &missing, &rc)) == NULL)
		return missing ? 0 : rc;
	st = idg_jp_overrides_parse(text, len, ov, err, sizeof(err));
	free(text);
	if (st == IDG_INVALID)
		return cli_fail(IDG_EXIT_FAILURE, "holidays_invalid", "%s: %s", path, err);
	if (st != IDG_OK)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot read %s", path);
	return 0;
}

static const char *
action_name(enum idg_policy_action a)
{
	switch (a) {
	case IDG_POLICY_ALLOW: return "allow";
	case IDG_POLICY_DENY: return "deny";
	case IDG_POLICY_REQUIRE_TOTP: return "require_totp";
	case IDG_POLICY_REQUIRE_CERT: return "require_cert";
	}
	return "unknown";
}

static int
cmd_test(struct cli *c, int argc, char **argv)
{
	const char *tenant, *email = NULL, *ip_s = NULL, *time_s = NULL, *app = NULL;
	const char *amr_s = "pwd";
	bool cert = false, explicit_off = true, mfa = false;
	const struct cli_opt extra[] = {
		{ "--user", &email, NULL },
		{ "--ip", &ip_s, NULL },
		{ "--time", &time_s, NULL },
		{ "--app", &app, NULL },
		{ "--amr", &amr_s, NULL },
		{ "--cert", NULL, &cert },
		{ NULL, NULL, NULL },
	};
	const char *usage = "policy test --tenant ID --user EMAIL [--ip ADDR]"
	    " [--time YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]] [--app CLIENT_ID] [--amr pwd,otp]"
	    " [--cert]";
	struct idg_jp_overrides *ov = NULL;
	struct idg_policy_decision d;
	struct idg_policy_ctx ctx;
	struct idg_policy *p = NULL;
	struct glist groups;
	struct idg_tenant t;
	struct idg_user u;
	struct idg_ip ip;
	char *pos[1], *text = NULL, err[256], zone[64];
	int64_t now = idg_now();
	unsigned amr = 0;
	size_t i;
	int rc, st, off = 0;

	memset(&groups, 0, sizeof(groups));
	if ((rc = parse_tenant(argc, argv, extra, pos, 0, usage, &tenant)) != 0)
		return rc;
	if (email == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "%s", usage);
	if (ip_s != NULL && idg_ip_parse(ip_s, &ip) != IDG_OK)
		return cli_fail(IDG_EXIT_USAGE, "invalid_ip", "\"%s\" is not an IPv4 or IPv6"
		    " address", ip_s);
	if (time_s != NULL && parse_time(time_s, &now, &explicit_off) != IDG_OK)
		return cli_fail(IDG_EXIT_USAGE, "invalid_time", "\"%s\" is not"
		    " YYYY-MM-DDTHH:MM[:SS] with an optional Z or +HH:MM", time_s);
	if (parse_amr(amr_s, &amr) != IDG_OK)
		return cli_fail(IDG_EXIT_USAGE, "invalid_amr", "--amr takes a comma-separated"
		    " list of pwd, otp, cert, fed");
	if ((rc = open_tenant(c, tenant, &t)) != 0)
		return rc;
	st = idg_store_user_get_by_email(c->st, t.id, email, &u);
	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "user_not_found", "no user \"%s\" in tenant %s",
		    email, tenant);
	if (st != IDG_OK)
		return cli_store_fail(st, "reading the user");
	if ((st = idg_store_policy_get(c->st, t.id, &text, &mfa)) != IDG_OK)
		return cli_store_fail(st, "reading the policy");
	st = idg_policy_parse(text != NULL ? text : "", text != NULL ? strlen(text) : 0, &p, err,
	    sizeof(err));
	if (st != IDG_OK) {
		rc = st == IDG_INVALID ? cli_fail(IDG_EXIT_REFUSED, "policy_invalid",
		    "the stored policy does not compile: %s", err) :
		    cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot compile the policy");
		goto out;
	}
	if (!explicit_off) {
		st = policy_offset(p, &off, zone, sizeof(zone));
		if (st == IDG_NOTFOUND) {
			rc = cli_fail(IDG_EXIT_USAGE, "invalid_time", "give --time with Z or +HH:MM"
			    " (the policy's time zone is %s)", zone);
			goto out;
		}
		if (st != IDG_OK) {
			rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
			goto out;
		}
		now -= off;	/* local wall time -> unix seconds */
	}
	if ((st = idg_store_user_groups(c->st, t.id, u.id, collect_group, &groups)) !=
	    IDG_OK || groups.oom) {
		rc = groups.oom ? cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory") :
		    cli_store_fail(st, "reading the groups");
		goto out;
	}
	if ((rc = cli_load_holidays(c, &ov)) != 0)
		goto out;
	memset(&ctx, 0, sizeof(ctx));
	ctx.app = app;
	ctx.ip = ip_s != NULL ? &ip : NULL;
	ctx.now = now;
	ctx.groups = (const char *const *)groups.names;
	ctx.ngroups = groups.n;
	ctx.amr = amr;
	ctx.cert_valid = cert;
	ctx.holidays = ov;
	idg_policy_eval(p, &ctx, &d);
	if (d.line > 0)
		printf("decision: %s (rule %s, line %d%s%s)\n", action_name(d.action), d.rule,
		    d.line, d.reason != NULL ? ", reason " : "", d.reason != NULL ? d.reason : "");
	else
		printf("decision: %s (default%s%s)\n", action_name(d.action),
		    d.reason != NULL ? ", reason " : "", d.reason != NULL ? d.reason : "");
	if (text == NULL)
		printf("note: the tenant has no policy\n");
	if (mfa && d.action == IDG_POLICY_ALLOW && (amr & IDG_POLICY_AMR_OTP) == 0)
		printf("note: TOTP is required of every user of this tenant (policy require-mfa"
		    " on), so sign-in still asks for it\n");
	rc = 0;
out:
	for (i = 0; i < groups.n; i++)
		free(groups.names[i]);
	idg_jp_overrides_free(ov);
	idg_policy_free(p);
	free(text);
	return rc;
}

int
cli_policy(struct cli *c, int argc, char **argv)
{
	const char *verb = argv[0];

	if (strcmp(verb, "set") == 0)
		return cmd_set(c, argc - 1, argv + 1);
	if (strcmp(verb, "show") == 0)
		return cmd_show(c, argc - 1, argv + 1);
	if (strcmp(verb, "require-mfa") == 0)
		return cmd_require_mfa(c, argc - 1, argv + 1);
	if (strcmp(verb, "test") == 0)
		return cmd_test(c, argc - 1, argv + 1);
	return cli_fail(IDG_EXIT_USAGE, "usage", "unknown policy command \"%s\" (set, show,"
	    " require-mfa, test)", verb);
}
