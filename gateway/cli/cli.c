/*
 * cli.c - idg_cli_run: subcommand dispatch, the shared helpers of
 * cli_impl.h, and the two small subcommands (migrate, audit list).
 *
 * The tenant, user, group, oidc, policy, billing, report and cert subcommands
 * and the enroll client live in their own files. Nothing
 * here talks SQL: every change goes through the store interface, which
 * enforces the service rules; this layer parses, validates input early,
 * renders results and writes the audit events.
 */
#include "cli_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../config/config.h"
#include "../util/crypto.h"
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"
#include "csv.h"

static const char *const subcommands[] = { "migrate", "tenant", "user", "group", "audit",
	"oidc", "policy", "billing", "report", "cert", "enroll", "saml", NULL };


int
idg_cli_handles(const char *name)
{
	int i;

	for (i = 0; subcommands[i] != NULL; i++)
		if (strcmp(name, subcommands[i]) == 0)
			return 1;
	return 0;
}

void
idg_cli_usage(void)
{
	fputs(
	    "Administrative commands (they use the store named in the configuration):\n"
	    "  migrate\n"
	    "      apply the schema migrations not yet applied\n"
	    "  tenant create --company-id ID --name NAME --contract N [--json]\n"
	    "      create a tenant (contract >= 20 IDs) and its two service accounts;\n"
	    "      prints their one-time passwords\n"
	    "  tenant show ID [--json]\n"
	    "  tenant list [--json]\n"
	    "  tenant set-contract ID N\n"
	    "      change the contract (never below the licenses in use)\n"
	    "  tenant complete-setup ID\n"
	    "      mark set-up complete; the set-up service account is suspended\n"
	    "  tenant security ID [--password-min-length N] [--password-expiry-days N]\n"
	    "           [--suspend-unused-days N] [--session-idle S] [--session-lifetime S]\n"
	    "           [--json]\n"
	    "      show the tenant's security settings, or change the ones given\n"
	    "      (0 = the config's value, or never for the day counts)\n"
	    "  tenant suspend-unused ID [--dry-run] [--json]\n"
	    "      suspend active users with no sign-in for suspend-unused-days\n"
	    "  tenant cancel ID [--force]\n"
	    "      refused while the tenant has apps (listed) unless --force; makes the\n"
	    "      final report, then purges users, groups, apps, keys and settings\n"
	    "      and ends the tenant's sessions in Redis (billing figures, reports\n"
	    "      and the audit log are kept)\n"
	    "  user add --tenant ID --email EMAIL [--name NAME]\n"
	    "           [--password-file FILE | --temporary-password] [--json]\n"
	    "      without a password option the user has no password until reset\n"
	    "  user list --tenant ID [--json]\n"
	    "  user show --tenant ID EMAIL [--json]\n"
	    "  user suspend|activate|delete|unlock --tenant ID EMAIL\n"
	    "  user reset-password --tenant ID EMAIL [--password-file FILE]\n"
	    "      default: a temporary password, printed once, changed at next sign-in\n"
	    "  user reset-mfa --tenant ID EMAIL\n"
	    "      remove the user's TOTP secret and recovery codes (the user enrols again)\n"
	    "  user import --tenant ID FILE.csv [--skip-existing] [--partial]\n"
	    "      CSV header: email,display_name[,password]; rows without a password\n"
	    "      get a temporary one (printed once); nothing is imported if any row\n"
	    "      is bad, unless --partial\n"
	    "  group add --tenant ID NAME\n"
	    "  group add-member --tenant ID GROUP EMAIL\n"
	    "  group list --tenant ID [--json]\n"
	    "  audit list [--tenant ID] [--limit N] [--json]\n"
	    "  oidc key list --tenant ID [--json]\n"
	    "  oidc key rotate --tenant ID [--alg RS256|ES256|all] [--bits 2048|3072]\n"
	    "      per alg: the next key becomes current, the current one retires, a new\n"
	    "      next key is made (the first run makes a current and a next key)\n"
	    "  oidc key purge --tenant ID [--older-than-days N]\n"
	    "      remove keys retired more than N days ago (default 7) from the JWKS\n"
	    "  oidc client add --tenant ID --name NAME --redirect-uri URI\n"
	    "           [--redirect-uri URI ...] [--public] [--post-logout-redirect-uri URI ...]\n"
	    "           [--scope \"openid ...\"]\n"
	    "           [--grant authorization_code|refresh_token|client_credentials ...]\n"
	    "           [--id-token-alg RS256|ES256] [--pairwise] [--initiate-login-uri URI]\n"
	    "           [--access-token-ttl S] [--id-token-ttl S] [--refresh-token-ttl S]\n"
	    "           [--resource-server] [--device-required] [--client-id ID] [--json]\n"
	    "      register a relying party; a confidential client's secret is printed once;\n"
	    "      redirect URIs are https (http only on loopback), matched exactly\n"
	    "  oidc client list --tenant ID [--json]\n"
	    "  oidc client show --tenant ID CLIENT_ID [--json]\n"
	    "  oidc client delete --tenant ID CLIENT_ID\n"
	    "  oidc client assign --tenant ID CLIENT_ID (--user EMAIL | --group NAME)\n"
	    "  oidc client reset-secret --tenant ID CLIENT_ID\n"
	    "  policy set --tenant ID FILE|-\n"
	    "      check and store the tenant's access policy (refused with the line of\n"
	    "      the first error)\n"
	    "  policy show --tenant ID\n"
	    "  policy require-mfa --tenant ID on|off\n"
	    "      TOTP required of every user of the tenant, whatever the policy says\n"
	    "  policy test --tenant ID --user EMAIL [--ip ADDR] [--time TIME] [--app CLIENT_ID]\n"
	    "           [--amr pwd,otp,cert,fed] [--cert]\n"
	    "      the decision the stored policy gives; TIME is YYYY-MM-DDTHH:MM[:SS] in the\n"
	    "      policy's time zone, or with Z or +HH:MM; default now, amr pwd\n"
	    "  billing export --month YYYY-MM [--tenant ID] [--format csv|json] [--bom]\n"
	    "           [--out FILE]\n"
	    "      one row per tenant: contract, peak and month-end licenses, active IDs,\n"
	    "      device-certificate licenses; --bom for Excel\n"
	    "  report due --month YYYY-MM\n"
	    "      the due date: 10th Japanese business day of the next month\n"
	    "  report generate --month YYYY-MM [--tenant ID] [--json]\n"
	    "      make and keep the month's reports (once the period is over)\n"
	    "  report list [--tenant ID] [--json]\n"
	    "  report show --tenant ID --month YYYY-MM [--format html|csv|json] [--bom]\n"
	    "           [--out FILE]\n"
	    "  cert license --tenant ID [--count N] [--required on|off]\n"
	    "           [--exempt-admins on|off] [--approval on|off] [--json]\n"
	    "      show or change the device-certificate option (0 or blocks of 10 IDs)\n"
	    "  cert assign|unassign --tenant ID EMAIL...\n"
	    "  cert issue --tenant ID --user EMAIL --device-name NAME [--device-type T]\n"
	    "           [--device-id IDENT] (--csr FILE --out CERT.pem |\n"
	    "           --p12 OUT.p12 [--legacy])\n"
	    "      --p12: the key is made here; the file's password is printed once\n"
	    "  cert list --tenant ID [--user EMAIL] [--json]\n"
	    "  cert report --tenant ID [--json]\n"
	    "  cert revoke --tenant ID SERIAL\n"
	    "  cert ca --tenant ID [--out FILE] [--alg ec|rsa2048|rsa3072]\n"
	    "  cert crl --tenant ID --out FILE\n"
	    "  cert prereg --tenant ID FILE.csv\n"
	    "      rows: user email, device type, device identifier (header optional)\n"
	    "  cert requests --tenant ID [--json]\n"
	    "  cert approve|reject --tenant ID REQUEST_ID\n"
	    "  saml key rotate --tenant ID [--bits 2048|3072]\n"
	    "      a new IdP signing key and certificate: current if the tenant has none,\n"
	    "      else next (published in the metadata, not yet signing)\n"
	    "  saml key promote --tenant ID\n"
	    "      the next key becomes current, the current one retires\n"
	    "  saml key list --tenant ID [--json]\n"
	    "  saml key purge --tenant ID\n"
	    "      remove retired keys\n"
	    "  saml metadata --tenant ID [--out FILE]\n"
	    "      the IdP metadata (current and next certificates)\n"
	    "  saml app add --tenant ID --app-id X --name NAME (--metadata FILE|https-URL\n"
	    "           [--cacert FILE] | --entity-id E --acs URL [--acs URL ...] [--slo URL]\n"
	    "           [--sp-cert FILE]) [--nameid email|persistent|unspecified]\n"
	    "           [--nameid-source email|attr:NAME] [--attribute NAME=SOURCE ...]\n"
	    "           [--sign-requests] [--sign assertion|response|both] [--encrypt]\n"
	    "           [--no-sp-initiated] [--no-idp-initiated] [--device-required] [--json]\n"
	    "      register a SAML service provider; SOURCE is email, display_name, groups\n"
	    "      or const:TEXT; signed requests default to the metadata's\n"
	    "      AuthnRequestsSigned\n"
	    "  saml app update --tenant ID APP_ID [options of add] [--no-sign-requests]\n"
	    "           [--no-encrypt] [--sp-initiated] [--idp-initiated]\n"
	    "           [--no-device-required] [--no-attributes]\n"
	    "      change the options given; --attribute replaces every mapping\n"
	    "  saml app list --tenant ID [--json]\n"
	    "  saml app show --tenant ID APP_ID [--json]\n"
	    "  saml app delete --tenant ID APP_ID\n"
	    "  saml app assign|unassign --tenant ID APP_ID (--user EMAIL | --group NAME)\n"
	    "  enroll --url https://HOST:PORT --tenant ID (--token-file FILE | --token TOKEN)\n"
	    "           --device-name NAME [--device-id IDENT] [--device-type T] [--out DIR]\n"
	    "           [--cacert FILE] [--timeout S]\n"
	    "      enrol this device through the enrolment API (no configuration needed)\n"
	    "Passwords never come from the command line: --password-file reads the first\n"
	    "line of FILE (\"-\" = standard input).\n"
	    "Exit codes: 0 done; 1 refused by a rule or not found; 2 usage error;\n"
	    "3 store unavailable or internal failure.\n", stdout);
}

int
cli_fail(int exit, const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, "error: %s: %s\n", code, msg);
	return exit;
}

int
cli_parse(int argc, char **argv, const struct cli_opt *opts, char **pos, int maxpos,
    int *npos)
{
	bool seen[16] = { false };
	bool only_pos = false;
	int i, k;

	*npos = 0;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t nlen;

		if (only_pos || a[0] != '-' || strcmp(a, "-") == 0) {
			if (*npos >= maxpos)
				return cli_fail(IDG_EXIT_USAGE, "usage",
				    "unexpected argument \"%s\" (see 'idgate help')", a);
			pos[(*npos)++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		eq = strchr(a, '=');
		nlen = eq != NULL ? (size_t)(eq - a) : strlen(a);
		for (k = 0; opts[k].name != NULL; k++)
			if (strlen(opts[k].name) == nlen && strncmp(opts[k].name, a, nlen) == 0)
				break;
		if (opts[k].name == NULL)
			return cli_fail(IDG_EXIT_USAGE, "usage",
			    "unknown option \"%.*s\" (see 'idgate help')", (int)nlen, a);
		if (k < 16 && seen[k])
			return cli_fail(IDG_EXIT_USAGE, "usage", "%s given twice", opts[k].name);
		if (k < 16)
			seen[k] = true;
		if (opts[k].flag != NULL) {
			if (eq != NULL)
				return cli_fail(IDG_EXIT_USAGE, "usage", "%s takes no value",
				    opts[k].name);
			*opts[k].flag = true;
		} else if (eq != NULL) {
			*opts[k].value = eq + 1;
		} else if (i + 1 < argc) {
			*opts[k].value = argv[++i];
		} else {
			return cli_fail(IDG_EXIT_USAGE, "usage", "%s needs a value", opts[k].name);
		}
	}
	return 0;
}

int
cli_store_fail(int st, const char *what)
{
	if (st == IDG_UNAVAILABLE || st == IDG_TIMEOUT)
		return cli_fail(IDG_EXIT_FAILURE, "store_unavailable",
		    "the store did not answer while %s (see the log line above)", what);
	return cli_fail(IDG_EXIT_FAILURE, "internal_error",
	    "%s failed: %s (see the log line above)", what, idg_status_str(st));
}

/* Opens the store without looking at its schema (migrate). */
static int
open_raw(struct cli *c)
{
	struct idg_store_config sc;
	int st;

	if (c->st != NULL)
		return 0;
	sc.driver = c->cfg->store_driver[0] != '\0' ? c->cfg->store_driver : "sqlite";
	sc.sqlite_path = c->cfg->sqlite_path;
	sc.busy_timeout_ms = c->cfg->store_busy_timeout_ms;
	if ((st = idg_store_open(&sc, &c->st)) != IDG_OK) {
		c->st = NULL;
		if (st == IDG_NOTFOUND)
			return cli_fail(IDG_EXIT_FAILURE, "store_unavailable",
			    "unknown store driver \"%s\"", sc.driver);
		return cli_fail(IDG_EXIT_FAILURE, "store_unavailable",
		    "cannot open the %s store at %s (see the log line above)", sc.driver,
		    sc.sqlite_path);
	}
	return 0;
}

/* Refuses to work on a schema older than the binary's. */
int
cli_open(struct cli *c)
{
	int rc, st, cur = 0, latest = 0;

	if ((rc = open_raw(c)) != 0)
		return rc;
	if ((st = idg_store_schema_version(c->st, &cur, &latest)) != IDG_OK)
		return cli_store_fail(st, "reading the schema version");
	if (cur < latest)
		return cli_fail(IDG_EXIT_FAILURE, "schema_outdated",
		    "the store schema is at version %d, this binary needs %d; run"
		    " 'idgate migrate' first", cur, latest);
	return 0;
}

int
cli_tenant_find_any(struct cli *c, const char *company_id, struct idg_tenant *t)
{
	int st = idg_store_tenant_get(c->st, company_id, t);

	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "tenant_not_found", "no tenant \"%s\"",
		    company_id);
	if (st != IDG_OK)
		return cli_store_fail(st, "reading the tenant");
	return 0;
}

int
cli_tenant_find(struct cli *c, const char *company_id, struct idg_tenant *t)
{
	int rc = cli_tenant_find_any(c, company_id, t);

	if (rc == 0 && t->status == IDG_TENANT_CANCELLED)
		return cli_fail(IDG_EXIT_REFUSED, "tenant_cancelled", "tenant \"%s\" is"
		    " cancelled; its data is purged (its reports and billing figures remain)",
		    company_id);
	return rc;
}

void
cli_audit(struct cli *c, int64_t tenant_id, const char *action, const char *target,
    const char *result, const char *detail)
{
	struct idg_audit_event e = { 0, tenant_id, "cli", action, target, result, NULL,
		detail, 0 };
	int st;

	if (c->st == NULL)
		return;
	if ((st = idg_store_audit_append(c->st, &e)) != IDG_OK)
		fprintf(stderr, "warning: the audit event %s could not be written (%s)\n",
		    action, idg_status_str(st));
}

int
cli_json_print(json_t *doc)
{
	int rc;

	if (doc == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	rc = json_dumpf(doc, stdout, JSON_INDENT(2));
	json_decref(doc);
	if (rc != 0)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot write JSON");
	fputc('\n', stdout);
	return 0;
}

void
cli_time(int64_t t, char *out, size_t outsz)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL) {
		idg_strlcpy(out, "-", outsz);
		return;
	}
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *
cli_json_time(int64_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	cli_time(t, buf, sizeof(buf));
	return json_string(buf);
}

int
cli_read_secret(const char *path, char *out, size_t outsz)
{
	FILE *f;
	size_t n = 0;
	int ch;
	bool stdin_used = strcmp(path, "-") == 0;

	if (stdin_used) {
		f = stdin;
	} else if ((f = fopen(path, "r")) == NULL) {
		return cli_fail(IDG_EXIT_USAGE, "password_file_unreadable",
		    "cannot read the password file %s: %s", path, strerror(errno));
	}
	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (n + 1 >= outsz) {
			n = outsz;	/* too long */
			break;
		}
		out[n++] = (char)ch;
	}
	if (!stdin_used)
		fclose(f);
	if (n >= outsz) {
		idg_wipe(out, outsz);
		return cli_fail(IDG_EXIT_USAGE, "password_too_long",
		    "the first line of %s is longer than %zu bytes", path, outsz - 1);
	}
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	if (n == 0) {
		idg_wipe(out, outsz);
		return cli_fail(IDG_EXIT_USAGE, "password_empty",
		    "the first line of %s is empty", path);
	}
	return 0;
}

int
cli_policy_check(struct cli *c, const char *pw)
{
	const struct idg_password_policy *p = &c->cfg->password_policy;
	const char *code = NULL;

	if (idg_password_policy_check(p, pw, &code) == IDG_OK)
		return 0;
	if (code == NULL)
		code = "password_policy";
	if (strcmp(code, "password_too_short") == 0)
		return cli_fail(IDG_EXIT_REFUSED, code,
		    "the password must have at least %d characters", p->min_length);
	if (strcmp(code, "password_too_long") == 0)
		return cli_fail(IDG_EXIT_REFUSED, code,
		    "the password must have at most %d bytes", p->max_length);
	return cli_fail(IDG_EXIT_REFUSED, code, "the password needs upper-case, lower-case,"
	    " digit and symbol characters as the password policy requires");
}

const char *
cli_user_status(int status)
{
	switch (status) {
	case IDG_USER_ACTIVE: return "active";
	case IDG_USER_SUSPENDED: return "suspended";
	case IDG_USER_DELETED: return "deleted";
	}
	return "unknown";
}

const char *
cli_user_kind(int kind)
{
	switch (kind) {
	case IDG_USER_PERSON: return "person";
	case IDG_USER_SERVICE_SETUP: return "setup-service";
	case IDG_USER_SERVICE_REPORT: return "report-service";
	}
	return "unknown";
}

const char *
cli_tenant_status(int status)
{
	switch (status) {
	case IDG_TENANT_SETUP: return "setup";
	case IDG_TENANT_ACTIVE: return "active";
	case IDG_TENANT_CANCELLED: return "cancelled";
	}
	return "unknown";
}

static int
cmd_migrate(struct cli *c, int argc, char **argv)
{
	static const struct cli_opt opts[] = { { NULL, NULL, NULL } };
	char *pos[1];
	int rc, st, npos, applied = 0, cur = 0, latest = 0;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if ((rc = open_raw(c)) != 0)
		return rc;
	if ((st = idg_store_migrate(c->st, &applied)) != IDG_OK) {
		if (st == IDG_UNAVAILABLE || st == IDG_TIMEOUT)
			return cli_fail(IDG_EXIT_FAILURE, "store_unavailable",
			    "cannot write the store at %s (see the log line above)",
			    c->cfg->sqlite_path);
		return cli_fail(IDG_EXIT_FAILURE, "migration_failed",
		    "a migration failed and was rolled back (see the log line above)");
	}
	if ((st = idg_store_schema_version(c->st, &cur, &latest)) != IDG_OK)
		return cli_store_fail(st, "reading the schema version");
	printf("schema at version %d (applied %d)\n", cur, applied);
	return 0;
}

/* audit list */

struct tenant_name {
	int64_t	id;
	char	company_id[33];
};

struct audit_ctx {
	struct tenant_name	*names;
	int			 nnames, cap;
	json_t			*arr;
};

static int
collect_tenant(void *arg, const struct idg_tenant *t)
{
	struct audit_ctx *a = arg;

	if (a->nnames == a->cap) {
		int ncap = a->cap > 0 ? a->cap * 2 : 16;
		struct tenant_name *n = realloc(a->names, (size_t)ncap * sizeof(*n));

		if (n == NULL)
			return 1;
		a->names = n;
		a->cap = ncap;
	}
	a->names[a->nnames].id = t->id;
	idg_strlcpy(a->names[a->nnames].company_id, t->company_id,
	    sizeof(a->names[0].company_id));
	a->nnames++;
	return 0;
}

static const char *
tenant_name(const struct audit_ctx *a, int64_t id)
{
	int i;

	if (id == 0)
		return "-";
	for (i = 0; i < a->nnames; i++)
		if (a->names[i].id == id)
			return a->names[i].company_id;
	return "?";
}

static const char *
or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

static int
audit_row(void *arg, const struct idg_audit_event *e)
{
	struct audit_ctx *a = arg;
	char at[32];

	if (a->arr != NULL) {
		json_t *o = json_object();

		json_object_set_new(o, "at", cli_json_time(e->at));
		json_object_set_new(o, "tenant", e->tenant_id != 0 ?
		    json_string(tenant_name(a, e->tenant_id)) : json_null());
		json_object_set_new(o, "actor", json_string(or_dash(e->actor)));
		json_object_set_new(o, "action", json_string(or_dash(e->action)));
		json_object_set_new(o, "target", e->target ? json_string(e->target) :
		    json_null());
		json_object_set_new(o, "result", json_string(or_dash(e->result)));
		json_object_set_new(o, "ip", e->ip ? json_string(e->ip) : json_null());
		json_object_set_new(o, "detail", e->detail ? json_string(e->detail) :
		    json_null());
		json_array_append_new(a->arr, o);
		return 0;
	}
	cli_time(e->at, at, sizeof(at));
	printf("%s  %-16s %-6s %-24s %-32s %-24s %s\n", at, tenant_name(a, e->tenant_id),
	    or_dash(e->actor), or_dash(e->action), or_dash(e->target), or_dash(e->result),
	    e->detail != NULL ? e->detail : "");
	return 0;
}

int
cli_tenant_args(struct cli *c, int argc, char **argv, bool *json, int want, const char *usage,
    char **pos, struct idg_tenant *t)
{
	const char *tenant = NULL;
	bool dummy = false;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ json != NULL ? "--json" : NULL, NULL, json != NULL ? json : &dummy },
		{ NULL, NULL, NULL },
	};
	int rc, npos;

	if ((rc = cli_parse(argc, argv, opts, pos, want, &npos)) != 0)
		return rc;
	if (tenant == NULL || npos != want)
		return cli_fail(IDG_EXIT_USAGE, "usage", "%s", usage);
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, t)) != 0)
		return rc;
	return 0;
}

static int
cmd_audit(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL, *limit_s = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--limit", &limit_s, NULL },
		{ "--json", NULL, &json },
		{ NULL, NULL, NULL },
	};
	struct audit_ctx a = { NULL, 0, 0, NULL };
	struct idg_tenant t = { 0 };
	char *pos[1];
	long limit = 50;
	int rc, st, npos;

	if (argc < 1 || strcmp(argv[0], "list") != 0)
		return cli_fail(IDG_EXIT_USAGE, "usage", "audit list [--tenant ID] [--limit N]"
		    " [--json]");
	if ((rc = cli_parse(argc - 1, argv + 1, opts, pos, 0, &npos)) != 0)
		return rc;
	if (limit_s != NULL && idg_parse_long(limit_s, 1, 100000, &limit) != IDG_OK)
		return cli_fail(IDG_EXIT_USAGE, "usage", "--limit takes a number from 1 to"
		    " 100000");
	if ((rc = cli_open(c)) != 0)
		return rc;
	if (tenant != NULL && (rc = cli_tenant_find_any(c, tenant, &t)) != 0)
		return rc;
	if ((st = idg_store_tenant_list(c->st, collect_tenant, &a)) != IDG_OK) {
		free(a.names);
		return cli_store_fail(st, "listing tenants");
	}
	if (json)
		a.arr = json_array();
	st = idg_store_audit_list(c->st, t.id, (int)limit, audit_row, &a);
	free(a.names);
	if (st != IDG_OK) {
		json_decref(a.arr);
		return cli_store_fail(st, "reading the audit log");
	}
	return json ? cli_json_print(a.arr) : 0;
}

int
idg_cli_run(const struct idg_config *cfg, int argc, char **argv)
{
	struct cli c = { cfg, NULL };
	int rc;

	if (argc < 1 || !idg_cli_handles(argv[0])) {
		idg_cli_usage();
		return IDG_EXIT_USAGE;
	}
	/* A client of a gateway: no configuration, no store (cfg may be NULL). */
	if (strcmp(argv[0], "enroll") == 0) {
		rc = cli_enroll(argc - 1, argv + 1);
		fflush(stdout);
		return rc;
	}
	if (strcmp(argv[0], "migrate") == 0) {
		rc = cmd_migrate(&c, argc - 1, argv + 1);
	} else if (argc < 2) {
		rc = cli_fail(IDG_EXIT_USAGE, "usage", "'%s' needs a verb (see 'idgate help')",
		    argv[0]);
	} else if (strcmp(argv[0], "audit") == 0) {
		rc = cmd_audit(&c, argc - 1, argv + 1);
	} else {
		/* Parse first; the subcommand opens the store when its input is valid. */
		if (strcmp(argv[0], "tenant") == 0)
			rc = cli_tenant(&c, argc - 1, argv + 1);
		else if (strcmp(argv[0], "user") == 0)
			rc = cli_user(&c, argc - 1, argv + 1);
		else if (strcmp(argv[0], "oidc") == 0)
			rc = cli_oidc(&c, argc - 1, argv + 1);
		else if (strcmp(argv[0], "policy") == 0)
			rc = cli_policy(&c, argc - 1, argv + 1);
		else if (strcmp(argv[0], "billing") == 0)
			rc = cli_billing(&c, argc - 1, argv + 1);
		else if (strcmp(argv[0], "report") == 0)
			rc = cli_report(&c, argc - 1, argv + 1);
		else if (strcmp(argv[0], "cert") == 0)
			rc = cli_cert(&c, argc - 1, argv + 1);
		else if (strcmp(argv[0], "saml") == 0)
			rc = cli_saml(&c, argc - 1, argv + 1);
		else
			rc = cli_group(&c, argc - 1, argv + 1);
	}
	fflush(stdout);
	idg_store_free(c.st);
	return rc;
}

/* See cli_impl.h. */
int
cli_split_multi(int argc, char **argv, const struct cli_opt *single, struct cli_multi *m,
    int nm, char **rest, int *nrest)
{
	int i, j, k;

	*nrest = 0;
	if (argc > CLI_MAX_ARGS)
		return cli_fail(IDG_EXIT_USAGE, "usage", "too many arguments");
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		size_t nlen = strcspn(a, "=");

		if (strcmp(a, "--") == 0) {
			while (i < argc)
				rest[(*nrest)++] = argv[i++];
			break;
		}
		for (j = 0; j < nm; j++)
			if (strlen(m[j].name) == nlen && strncmp(a, m[j].name, nlen) == 0)
				break;
		if (j < nm) {
			if (m[j].n >= m[j].max)
				return cli_fail(IDG_EXIT_USAGE, "usage", "%s at most %d times",
				    m[j].name, m[j].max);
			if (a[nlen] == '=')
				m[j].vals[m[j].n++] = a + nlen + 1;
			else if (i + 1 < argc)
				m[j].vals[m[j].n++] = argv[++i];
			else
				return cli_fail(IDG_EXIT_USAGE, "usage", "%s needs a value",
				    m[j].name);
			continue;
		}
		rest[(*nrest)++] = argv[i];
		for (k = 0; single[k].name != NULL; k++)
			if (single[k].value != NULL && strcmp(single[k].name, a) == 0)
				break;
		if (single[k].name != NULL && i + 1 < argc)
			rest[(*nrest)++] = argv[++i];
	}
	return 0;
}

/* See cli_impl.h. */
void
cli_csv_bad(struct cli_csv_errors *e, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	e->nbad++;
	if (e->nprinted >= IDG_CSV_MAX_ERRORS)
		return;
	e->nprinted++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, "%s:%d: %s\n", e->file, line, msg);
}

void
cli_csv_bad_summary(const struct cli_csv_errors *e)
{
	if (e->nbad > e->nprinted) {
		fflush(stdout);
		fprintf(stderr, "%s: ... and %d more bad rows\n", e->file,
		    e->nbad - e->nprinted);
	}
}

/* See cli_impl.h. */
int
cli_assignment_row(void *arg, const char *kind, const char *who)
{
	struct cli_assignments *a = arg;

	if (a->arr != NULL) {
		json_t *o = json_object();

		json_object_set_new(o, "kind", json_string(kind));
		json_object_set_new(o, kind[0] == 'u' ? "email" : "group", json_string(who));
		json_array_append_new(a->arr, o);
		return 0;
	}
	printf("%s%s %s\n", a->n++ == 0 ? "assigned:          " : "                   ", kind,
	    who);
	return 0;
}
