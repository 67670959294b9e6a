/*
 * cli_user.c - `idgate user add|list|show|suspend|activate|delete|unlock|
 * reset-password|reset-mfa|import`.
 *
 * Passwords never come from the command line: they are read from a file or
 * standard input, or generated (printed once, marked must-change). They are
 * checked against the configured policy, hashed with the configured argon2id
 * parameters and wiped. The license pool is enforced by the store inside
 * its transaction; the import validates every row first and hands the store
 * one batch, so it is all or nothing (or good rows only with --partial).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "../../idp-adapters/local/password.h"
#include "../config/config.h"
#include "../core/license.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/status.h"
#include "../util/str.h"
#include "cli_impl.h"
#include "csv.h"

#define SECRET_MAX 1024			/* longest password line read */
#define IMPORT_MAX_BYTES (32u << 20)	/* largest CSV file accepted */

static int
pool_exhausted(const struct idg_license_numbers *lic)
{
	char nums[128];

	idg_license_describe(lic, nums, sizeof(nums));
	return cli_fail(IDG_EXIT_REFUSED, "license_pool_exhausted", "%s", nums);
}

/* Parses "--tenant ID EMAIL"-shaped arguments and loads tenant and user. */
static int
tenant_user(struct cli *c, int argc, char **argv, const struct cli_opt *extra,
    const char *usage, struct idg_tenant *t, struct idg_user *u)
{
	const char *tenant = NULL;
	struct cli_opt opts[4] = { { "--tenant", &tenant, NULL } };
	char *pos[1];
	int rc, st, npos, i;

	for (i = 0; extra != NULL && extra[i].name != NULL && i < 2; i++)
		opts[i + 1] = extra[i];
	if ((rc = cli_parse(argc, argv, opts, pos, 1, &npos)) != 0)
		return rc;
	if (tenant == NULL || npos != 1)
		return cli_fail(IDG_EXIT_USAGE, "usage", "%s", usage);
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, t)) != 0)
		return rc;
	st = idg_store_user_get_by_email(c->st, t->id, pos[0], u);
	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "user_not_found", "no user \"%s\" in tenant %s",
		    pos[0], tenant);
	if (st != IDG_OK)
		return cli_store_fail(st, "reading the user");
	return 0;
}

/* Hashes a password with the configured parameters: 0 or exit 3 (printed). */
static int
hash_pw(struct cli *c, const char *pw, char *out, size_t outsz)
{
	if (idg_password_hash(&c->cfg->argon2, pw, out, outsz) != IDG_OK)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error",
		    "cannot hash the password (see the log line above)");
	return 0;
}

static int
cmd_add(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL, *email = NULL, *name = "", *pwfile = NULL;
	bool temporary = false, json = false;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--email", &email, NULL },
		{ "--name", &name, NULL },
		{ "--password-file", &pwfile, NULL },
		{ "--temporary-password", NULL, &temporary },
		{ "--json", NULL, &json },
		{ NULL, NULL, NULL },
	};
	struct idg_license_numbers lic = { 0, 0, 1 };
	char pw[SECRET_MAX], hash[IDG_PASSWORD_HASH_MAX] = "";
	struct idg_tenant t;
	struct idg_user u;
	char *pos[1];
	int rc, st, npos;

	pw[0] = '\0';
	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if (tenant == NULL || email == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "user add --tenant ID --email EMAIL"
		    " [--name NAME] [--password-file FILE | --temporary-password] [--json]");
	if (pwfile != NULL && temporary)
		return cli_fail(IDG_EXIT_USAGE, "usage", "--password-file and"
		    " --temporary-password exclude each other");
	if (strlen(email) >= sizeof(u.email) || !idg_email_valid(email))
		return cli_fail(IDG_EXIT_USAGE, "invalid_email", "\"%s\" is not an e-mail"
		    " address", email);
	if (strlen(name) > 128)
		return cli_fail(IDG_EXIT_USAGE, "invalid_name",
		    "the display name has more than 128 bytes");
	if (pwfile != NULL) {
		if ((rc = cli_read_secret(pwfile, pw, sizeof(pw))) != 0)
			return rc;
		if ((rc = cli_policy_check(c, pw)) != 0)
			goto out;
	} else if (temporary && idg_password_generate(pw, sizeof(pw)) != IDG_OK) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "no random bytes");
		goto out;
	}
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0)
		goto out;
	if (pw[0] != '\0' && (rc = hash_pw(c, pw, hash, sizeof(hash))) != 0)
		goto out;
	st = idg_store_user_add(c->st, t.id, email, name, hash, temporary, &lic, &u);
	if (st == IDG_DECLINED) {
		cli_audit(c, t.id, "user.add", email, "license_pool_exhausted", NULL);
		rc = pool_exhausted(&lic);
		goto out;
	}
	if (st == IDG_EXISTS) {
		rc = cli_fail(IDG_EXIT_REFUSED, "user_exists", "\"%s\" already exists in tenant"
		    " %s (a deleted user is reactivated with 'user activate')", email, tenant);
		goto out;
	}
	if (st == IDG_INVALID) {
		rc = cli_fail(IDG_EXIT_USAGE, "invalid_email", "\"%s\" is not an e-mail address",
		    email);
		goto out;
	}
	if (st != IDG_OK) {
		rc = cli_store_fail(st, "adding the user");
		goto out;
	}
	cli_audit(c, t.id, "user.add", u.email, "ok", temporary ? "temporary password" :
	    pwfile != NULL ? "password set" : "no password");
	if (json) {
		json_t *doc = json_object();

		json_object_set_new(doc, "email", json_string(u.email));
		json_object_set_new(doc, "display_name", json_string(u.display_name));
		json_object_set_new(doc, "status", json_string(cli_user_status(u.status)));
		json_object_set_new(doc, "temporary_password",
		    temporary ? json_string(pw) : json_null());
		rc = cli_json_print(doc);
	} else {
		printf("user %s added to tenant %s (%d of %d licenses in use)\n", u.email,
		    tenant, lic.in_use + 1, lic.contracted);
		if (temporary)
			printf("temporary password (shown once; must be changed at first"
			    " sign-in): %s\n", pw);
		else if (pwfile == NULL)
			printf("no password set: use 'idgate user reset-password' to give one\n");
		rc = 0;
	}
out:
	idg_wipe(pw, sizeof(pw));
	return rc;
}

struct ulist {
	json_t	*arr;
	int	 n;
};

static json_t *
user_json(const struct idg_user *u)
{
	json_t *o = json_object();

	json_object_set_new(o, "email", json_string(u->email));
	json_object_set_new(o, "display_name", json_string(u->display_name));
	json_object_set_new(o, "status", json_string(cli_user_status(u->status)));
	json_object_set_new(o, "kind", json_string(cli_user_kind(u->kind)));
	json_object_set_new(o, "has_password", json_boolean(u->password_hash[0] != '\0'));
	json_object_set_new(o, "must_change_password",
	    json_boolean(u->must_change_password));
	json_object_set_new(o, "failed_attempts", json_integer(u->failed_attempts));
	json_object_set_new(o, "locked_until", cli_json_time(u->locked_until));
	json_object_set_new(o, "last_sign_in_at", cli_json_time(u->last_sign_in_at));
	json_object_set_new(o, "created_at", cli_json_time(u->created_at));
	return o;
}

static int
ulist_row(void *arg, const struct idg_user *u)
{
	struct ulist *l = arg;
	char flags[64];

	if (l->arr != NULL) {
		json_array_append_new(l->arr, user_json(u));
		return 0;
	}
	if (l->n++ == 0)
		printf("%-40s %-10s %-15s %-24s %s\n", "EMAIL", "STATUS", "KIND", "FLAGS",
		    "NAME");
	snprintf(flags, sizeof(flags), "%s%s%s", u->locked_until > idg_now() ?
	    "locked " : "",
	    u->must_change_password ? "must-change " : "",
	    u->password_hash[0] == '\0' ? "no-password " : "");
	printf("%-40s %-10s %-15s %-24s %s\n", u->email, cli_user_status(u->status),
	    cli_user_kind(u->kind), flags[0] != '\0' ? flags : "-", u->display_name);
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
	struct ulist l = { NULL, 0 };
	struct idg_tenant t;
	char *pos[1];
	int rc, st, npos;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if (tenant == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "user list --tenant ID [--json]");
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0)
		return rc;
	if (json)
		l.arr = json_array();
	if ((st = idg_store_user_list(c->st, t.id, ulist_row, &l)) != IDG_OK) {
		json_decref(l.arr);
		return cli_store_fail(st, "listing users");
	}
	return json ? cli_json_print(l.arr) : 0;
}

static int
group_name(void *arg, const struct idg_group *g)
{
	json_array_append_new(arg, json_string(g->name));
	return 0;
}

static int
cmd_show(struct cli *c, int argc, char **argv)
{
	bool json = false;
	const struct cli_opt extra[] = { { "--json", NULL, &json }, { NULL, NULL, NULL } };
	struct idg_user_mfa m;
	struct idg_tenant t;
	struct idg_user u;
	const char *totp;
	json_t *doc, *groups;
	size_t i;
	int rc, st;

	if ((rc = tenant_user(c, argc, argv, extra, "user show --tenant ID EMAIL [--json]",
	    &t, &u)) != 0)
		return rc;
	groups = json_array();
	if ((st = idg_store_user_groups(c->st, t.id, u.id, group_name, groups)) != IDG_OK) {
		json_decref(groups);
		return cli_store_fail(st, "reading the groups");
	}
	if ((st = idg_store_mfa_get(c->st, t.id, u.id, &m)) != IDG_OK && st != IDG_NOTFOUND) {
		json_decref(groups);
		return cli_store_fail(st, "reading the second factor");
	}
	totp = st == IDG_NOTFOUND ? "none" : m.confirmed ? "enrolled" : "pending";
	doc = user_json(&u);
	json_object_set_new(doc, "groups", groups);
	json_object_set_new(doc, "totp", json_string(totp));
	json_object_set_new(doc, "recovery_codes_left",
	    json_integer(st == IDG_OK ? m.recovery_left : 0));
	if (json)
		return cli_json_print(doc);
	{
		char locked[32], last[32], created[32];

		cli_time(u.locked_until, locked, sizeof(locked));
		cli_time(u.last_sign_in_at, last, sizeof(last));
		cli_time(u.created_at, created, sizeof(created));
		printf("email:            %s\n", u.email);
		printf("name:             %s\n", u.display_name);
		printf("status:           %s\n", cli_user_status(u.status));
		printf("kind:             %s\n", cli_user_kind(u.kind));
		printf("password:         %s%s\n", u.password_hash[0] != '\0' ? "set" : "none",
		    u.must_change_password ? " (temporary: must change)" : "");
		if (strcmp(totp, "enrolled") == 0)
			printf("totp:             enrolled (%d recovery codes left)\n",
			    m.recovery_left);
		else
			printf("totp:             %s\n", strcmp(totp, "pending") == 0 ?
			    "pending (enrolment not confirmed)" : "none");
		printf("failed attempts:  %d\n", u.failed_attempts);
		printf("locked until:     %s\n", locked);
		printf("last sign-in:     %s\n", last);
		printf("created:          %s\n", created);
		printf("groups:          ");
		for (i = 0; i < json_array_size(groups); i++)
			printf(" %s", json_string_value(json_array_get(groups, i)));
		printf("%s\n", json_array_size(groups) == 0 ? " -" : "");
	}
	json_decref(doc);
	return 0;
}

static int
cmd_status(struct cli *c, int argc, char **argv, const char *verb)
{
	struct idg_license_numbers lic = { 0, 0, 1 };
	char usage[96], action[32];
	enum idg_user_status to;
	struct idg_tenant t;
	struct idg_user u;
	int rc, st;

	snprintf(usage, sizeof(usage), "user %s --tenant ID EMAIL", verb);
	snprintf(action, sizeof(action), "user.%s", verb);
	if ((rc = tenant_user(c, argc, argv, NULL, usage, &t, &u)) != 0)
		return rc;
	if (strcmp(verb, "unlock") == 0) {
		if ((st = idg_store_user_unlock(c->st, t.id, u.id)) != IDG_OK)
			return cli_store_fail(st, "unlocking the user");
		cli_audit(c, t.id, action, u.email, "ok", NULL);
		printf("user %s unlocked\n", u.email);
		return 0;
	}
	to = strcmp(verb, "suspend") == 0 ? IDG_USER_SUSPENDED :
	    strcmp(verb, "delete") == 0 ? IDG_USER_DELETED : IDG_USER_ACTIVE;
	if (to == IDG_USER_DELETED && u.kind != IDG_USER_PERSON)
		return cli_fail(IDG_EXIT_REFUSED, "service_account", "%s is a provider service"
		    " account; it cannot be deleted", u.email);
	st = idg_store_user_set_status(c->st, t.id, u.id, to, &lic);
	if (st == IDG_DECLINED) {
		cli_audit(c, t.id, action, u.email, "license_pool_exhausted", NULL);
		return pool_exhausted(&lic);
	}
	if (st != IDG_OK)
		return cli_store_fail(st, "changing the user's status");
	cli_audit(c, t.id, action, u.email, "ok", NULL);
	printf("user %s: %s%s\n", u.email, cli_user_status((int)to),
	    to != IDG_USER_ACTIVE ? " (sessions ended)" : "");
	return 0;
}

static int
cmd_reset_password(struct cli *c, int argc, char **argv)
{
	const char *pwfile = NULL;
	const struct cli_opt extra[] = {
		{ "--password-file", &pwfile, NULL },
		{ NULL, NULL, NULL },
	};
	char pw[SECRET_MAX], hash[IDG_PASSWORD_HASH_MAX];
	struct idg_tenant t;
	struct idg_user u;
	bool temporary;
	int rc, st;

	pw[0] = '\0';
	if ((rc = tenant_user(c, argc, argv, extra, "user reset-password --tenant ID EMAIL"
	    " [--password-file FILE]", &t, &u)) != 0)
		return rc;
	temporary = pwfile == NULL;
	if (!temporary) {
		if ((rc = cli_read_secret(pwfile, pw, sizeof(pw))) != 0)
			return rc;
		if ((rc = cli_policy_check(c, pw)) != 0)
			goto out;
	} else if (idg_password_generate(pw, sizeof(pw)) != IDG_OK) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "no random bytes");
		goto out;
	}
	if ((rc = hash_pw(c, pw, hash, sizeof(hash))) != 0)
		goto out;
	if ((st = idg_store_user_set_password(c->st, t.id, u.id, hash, temporary)) != IDG_OK) {
		rc = cli_store_fail(st, "setting the password");
		goto out;
	}
	cli_audit(c, t.id, "user.reset_password", u.email, "ok",
	    temporary ? "temporary password" : "password set");
	printf("password of %s reset; lock and failed attempts cleared\n", u.email);
	if (temporary)
		printf("temporary password (shown once; must be changed at next sign-in): %s\n",
		    pw);
	rc = 0;
out:
	idg_wipe(pw, sizeof(pw));
	return rc;
}

/*
 * Admin reset of the second factor (lost phone): the secret and recovery
 * codes go; the user enrols again at the next sign-in that needs TOTP.
 */
static int
cmd_reset_mfa(struct cli *c, int argc, char **argv)
{
	struct idg_tenant t;
	struct idg_user u;
	int rc, st;

	if ((rc = tenant_user(c, argc, argv, NULL, "user reset-mfa --tenant ID EMAIL", &t,
	    &u)) != 0)
		return rc;
	st = idg_store_mfa_reset(c->st, t.id, u.id);
	if (st == IDG_NOTFOUND) {
		/* Nothing to remove: the wanted state holds already. */
		cli_audit(c, t.id, "user.reset_mfa", u.email, "not_enrolled", NULL);
		printf("user %s has no TOTP enrolled; nothing to reset\n", u.email);
		return 0;
	}
	if (st != IDG_OK)
		return cli_store_fail(st, "resetting the second factor");
	cli_audit(c, t.id, "user.reset_mfa", u.email, "ok", "TOTP secret and recovery codes"
	    " removed");
	printf("TOTP of %s reset; the user enrols again at the next sign-in that needs it\n",
	    u.email);
	return 0;
}

/* user import */

struct irow {
	struct idg_user_row	 row;
	char			 temp_pw[20];	/* generated, "" if the file gave one */
	char			*pw;		/* owned copy of the file's password, or NULL */
	bool			 bad;
};

struct import {
	struct cli	*c;
	struct cli_csv_errors err;	/* the file and its bad rows */
	struct irow	*rows;
	int		 nrows, cap;
	int		*slots;		/* open-addressing set of row indexes by e-mail */
	size_t		 nslots;
};

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Remembers row i's e-mail; returns the index of an earlier row with the same one, or -1. */
static int
seen_email(struct import *im, int i)
{
	size_t k = (size_t)fnv1a(im->rows[i].row.email) & (im->nslots - 1);

	for (;;) {
		int j = im->slots[k];

		if (j < 0) {
			im->slots[k] = i;
			return -1;
		}
		if (strcmp(im->rows[j].row.email, im->rows[i].row.email) == 0)
			return j;
		k = (k + 1) & (im->nslots - 1);
	}
}

static void
trim(char *s)
{
	size_t n = strlen(s), b = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	while (s[b] == ' ' || s[b] == '\t')
		b++;
	if (b > 0)
		memmove(s, s + b, n - b + 1);
}

static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Validates one data record; adds it to im->rows (marked bad or not). */
static int
import_record(struct import *im, struct idg_csv_record *rec, int ncols)
{
	const struct idg_password_policy *p = &im->c->cfg->password_policy;
	struct irow *r;
	const char *code;
	int dup;

	if (im->nrows == im->cap) {
		int ncap = im->cap > 0 ? im->cap * 2 : 64;
		struct irow *n = realloc(im->rows, (size_t)ncap * sizeof(*n));

		if (n == NULL)
			return IDG_ERR;
		im->rows = n;
		im->cap = ncap;
	}
	r = &im->rows[im->nrows];
	memset(r, 0, sizeof(*r));
	r->row.line = rec->line;
	if (rec->nfields != ncols) {
		cli_csv_bad(&im->err, rec->line,
		    "expected %d fields, found %d", ncols, rec->nfields);
		return IDG_OK;	/* not kept: nothing to import from it */
	}
	trim(rec->fields[0]);
	if (strlen(rec->fields[0]) >= sizeof(r->row.email) ||
	    !idg_email_valid(rec->fields[0])) {
		cli_csv_bad(&im->err, rec->line,
		    "invalid e-mail address \"%.254s\"", rec->fields[0]);
		return IDG_OK;
	}
	idg_strlcpy(r->row.email, rec->fields[0], sizeof(r->row.email));
	idg_str_lower(r->row.email);
	im->nrows++;
	if ((dup = seen_email(im, im->nrows - 1)) >= 0) {
		cli_csv_bad(&im->err, rec->line, "duplicate e-mail address %s (first on line %d)",
		    r->row.email, im->rows[dup].row.line);
		r->bad = true;
		return IDG_OK;
	}
	if (strlen(rec->fields[1]) > 128 || has_control(rec->fields[1])) {
		cli_csv_bad(&im->err, rec->line,
		    "display name longer than 128 bytes or with control"
		    " characters");
		r->bad = true;
		return IDG_OK;
	}
	idg_strlcpy(r->row.display_name, rec->fields[1], sizeof(r->row.display_name));
	if (ncols == 3 && rec->fields[2][0] != '\0') {
		/* Hashed only once every row is known good: hashing is slow. */
		if (idg_password_policy_check(p, rec->fields[2], &code) != IDG_OK) {
			cli_csv_bad(&im->err, rec->line,
			    "%s: the password does not satisfy the password"
			    " policy", code != NULL ? code : "password_policy");
			r->bad = true;
		} else if ((r->pw = strdup(rec->fields[2])) == NULL) {
			idg_wipe(rec->fields[2], strlen(rec->fields[2]));
			return IDG_ERR;
		}
		idg_wipe(rec->fields[2], strlen(rec->fields[2]));
	}
	return IDG_OK;
}

static bool
header_ok(struct idg_csv_record *rec)
{
	static const char *const cols[] = { "email", "display_name", "password" };
	int i;

	if (rec->nfields < 2 || rec->nfields > 3)
		return false;
	for (i = 0; i < rec->nfields; i++) {
		trim(rec->fields[i]);
		if (strcasecmp(rec->fields[i], cols[i]) != 0)
			return false;
	}
	return true;
}

/* Reads the whole file (bounded). NULL with an exit code in *rc (printed). */
static char *
slurp(const char *path, size_t *len, int *rc)
{
	struct stat sb;
	char *data;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &sb) != 0 ||
	    !S_ISREG(sb.st_mode)) {
		if (f != NULL)
			fclose(f);
		*rc = cli_fail(IDG_EXIT_USAGE, "import_file_unreadable",
		    "cannot read %s as a regular file", path);
		return NULL;
	}
	if ((size_t)sb.st_size > IMPORT_MAX_BYTES) {
		fclose(f);
		*rc = cli_fail(IDG_EXIT_REFUSED, "import_too_large", "%s is larger than %u MiB;"
		    " split it", path, IMPORT_MAX_BYTES >> 20);
		return NULL;
	}
	if ((data = malloc((size_t)sb.st_size + 1)) == NULL) {
		fclose(f);
		*rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
		return NULL;
	}
	*len = fread(data, 1, (size_t)sb.st_size, f);
	fclose(f);
	data[*len] = '\0';
	return data;
}

static void
import_free(struct import *im)
{
	int i;

	for (i = 0; i < im->nrows; i++) {
		if (im->rows[i].pw != NULL) {
			idg_wipe(im->rows[i].pw, strlen(im->rows[i].pw));
			free(im->rows[i].pw);
		}
	}
	if (im->rows != NULL)
		idg_wipe(im->rows, (size_t)im->cap * sizeof(*im->rows));
	free(im->rows);
	free(im->slots);
}

/* Parses and validates the whole file. 0, or an exit code (printed). */
static int
import_parse(struct import *im, const char *data, size_t len)
{
	struct idg_csv_record *rec;
	struct idg_csv csv;
	char err[256];
	int st, ncols = 0, nrecords = 0;
	size_t i;

	if ((rec = malloc(sizeof(*rec))) == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	/* The set is sized for the worst case: at most one row per line. */
	for (im->nslots = 64; im->nslots < 2 * (len / 4 + 2) &&
	    im->nslots < 2 * (size_t)IDG_CSV_MAX_ROWS * 2; im->nslots *= 2)
		;
	if ((im->slots = malloc(im->nslots * sizeof(int))) == NULL) {
		free(rec);
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	}
	for (i = 0; i < im->nslots; i++)
		im->slots[i] = -1;
	idg_csv_init(&csv, data, len);
	st = idg_csv_next(&csv, rec, err, sizeof(err));
	if (st != IDG_OK || !header_ok(rec)) {
		int line = rec->line;

		free(rec);
		if (st == IDG_NOTFOUND)
			return cli_fail(IDG_EXIT_REFUSED, "import_invalid", "%s is empty",
			    im->err.file);
		fflush(stdout);
		fprintf(stderr, "%s:%d: %s\n", im->err.file, line, st == IDG_INVALID ? err :
		    "the header must be email,display_name or email,display_name,password");
		return cli_fail(IDG_EXIT_REFUSED, "import_invalid", "bad header; nothing"
		    " imported");
	}
	ncols = rec->nfields;
	while ((st = idg_csv_next(&csv, rec, err, sizeof(err))) != IDG_NOTFOUND) {
		if (++nrecords > IDG_CSV_MAX_ROWS) {
			free(rec);
			return cli_fail(IDG_EXIT_REFUSED, "import_too_large",
			    "%s has more than %d rows; split it", im->err.file, IDG_CSV_MAX_ROWS);
		}
		if (st == IDG_INVALID) {
			cli_csv_bad(&im->err, rec->line, "%s", err);
			continue;
		}
		if (import_record(im, rec, ncols) != IDG_OK) {
			free(rec);
			return cli_fail(IDG_EXIT_FAILURE, "internal_error",
			    "cannot prepare the rows (see the log line above)");
		}
	}
	idg_wipe(rec, sizeof(*rec));
	free(rec);
	return 0;
}

static int
cmd_import(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL;
	bool skip_existing = false, partial = false;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--skip-existing", NULL, &skip_existing },
		{ "--partial", NULL, &partial },
		{ NULL, NULL, NULL },
	};
	struct idg_license_numbers lic = { 0, 0, 0 };
	struct import im;
	struct idg_user_row *batch = NULL;
	struct idg_tenant t;
	struct idg_user u;
	char *pos[1], *data = NULL, detail[160];
	size_t len = 0;
	int rc, st, npos, i, n = 0, bad_line = 0, added = 0, skipped = 0, ntemp = 0;

	memset(&im, 0, sizeof(im));
	if ((rc = cli_parse(argc, argv, opts, pos, 1, &npos)) != 0)
		return rc;
	if (tenant == NULL || npos != 1)
		return cli_fail(IDG_EXIT_USAGE, "usage", "user import --tenant ID FILE.csv"
		    " [--skip-existing] [--partial]");
	im.c = c;
	im.err.file = pos[0];
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0)
		return rc;
	if ((data = slurp(im.err.file, &len, &rc)) == NULL)
		return rc;
	rc = import_parse(&im, data, len);
	idg_wipe(data, len);
	free(data);
	if (rc != 0)
		goto out;
	if (im.err.nbad > 0) {
		cli_csv_bad_summary(&im.err);
		if (!partial) {
			rc = cli_fail(IDG_EXIT_REFUSED, "import_invalid", "%d bad rows in %s;"
			    " nothing imported (fix them, or import the good rows with"
			    " --partial)", im.err.nbad, im.err.file);
			goto out;
		}
	}
	/* Good rows only; rows without a password get a temporary one. */
	if ((batch = calloc((size_t)im.nrows + 1, sizeof(*batch))) == NULL) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
		goto out;
	}
	for (i = 0; i < im.nrows; i++) {
		struct irow *r = &im.rows[i];

		if (r->bad)
			continue;
		if (r->pw != NULL) {
			if (hash_pw(c, r->pw, r->row.password_hash,
			    sizeof(r->row.password_hash)) != 0) {
				rc = IDG_EXIT_FAILURE;
				goto out;
			}
		} else {
			if (idg_password_generate(r->temp_pw, sizeof(r->temp_pw)) != IDG_OK ||
			    hash_pw(c, r->temp_pw, r->row.password_hash,
			    sizeof(r->row.password_hash)) != 0) {
				rc = cli_fail(IDG_EXIT_FAILURE, "internal_error",
				    "cannot make temporary passwords");
				goto out;
			}
			r->row.must_change_password = true;
			ntemp++;
		}
		batch[n++] = r->row;
	}
	st = idg_store_user_import(c->st, t.id, batch, n, skip_existing, &lic, &bad_line,
	    &added, &skipped);
	if (st == IDG_DECLINED) {
		cli_audit(c, t.id, "user.import", im.err.file, "license_pool_exhausted", NULL);
		pool_exhausted(&lic);
		rc = cli_fail(IDG_EXIT_REFUSED, "import_refused", "nothing imported from %s",
		    im.err.file);
		goto out;
	}
	if (st == IDG_EXISTS || st == IDG_INVALID) {
		fflush(stdout);
		fprintf(stderr, "%s:%d: %s\n", im.err.file, bad_line, st == IDG_EXISTS ?
		    "user_exists: this e-mail address already exists in the tenant" :
		    "invalid row");
		rc = cli_fail(IDG_EXIT_REFUSED, st == IDG_EXISTS ? "user_exists" :
		    "import_invalid", "nothing imported from %s%s", im.err.file, st == IDG_EXISTS ?
		    " (use --skip-existing to leave existing users alone)" : "");
		goto out;
	}
	if (st == IDG_NOTFOUND) {
		rc = cli_tenant_find(c, tenant, &t);
		goto out;
	}
	if (st != IDG_OK) {
		rc = cli_store_fail(st, "importing the users");
		goto out;
	}
	snprintf(detail, sizeof(detail), "added %d, skipped %d existing, %d bad rows", added,
	    skipped, im.err.nbad);
	cli_audit(c, t.id, "user.import", im.err.file, im.err.nbad > 0 ? "partial" : "ok", detail);
	printf("imported %d users from %s into tenant %s (%d existing skipped)\n", added,
	    im.err.file, tenant, skipped);
	if (ntemp > 0) {
		bool header = false;

		for (i = 0; i < im.nrows; i++) {
			struct irow *r = &im.rows[i];

			/* Skipped rows kept their old password: print only the ones stored. */
			if (r->bad || r->temp_pw[0] == '\0' ||
			    idg_store_user_get_by_email(c->st, t.id, r->row.email, &u) != IDG_OK ||
			    !idg_ct_streq(u.password_hash, r->row.password_hash))
				continue;
			if (!header) {
				printf("temporary passwords (shown once; must be changed at"
				    " first sign-in):\n");
				header = true;
			}
			printf("  %s %s\n", r->row.email, r->temp_pw);
		}
	}
	rc = 0;
	if (im.err.nbad > 0)
		rc = cli_fail(IDG_EXIT_REFUSED, "import_partial", "%d bad rows of %s were not"
		    " imported", im.err.nbad, im.err.file);
out:
	if (batch != NULL) {
		idg_wipe(batch, ((size_t)im.nrows + 1) * sizeof(*batch));
		free(batch);
	}
	import_free(&im);
	return rc;
}

int
cli_user(struct cli *c, int argc, char **argv)
{
	const char *verb = argv[0];

	if (strcmp(verb, "add") == 0)
		return cmd_add(c, argc - 1, argv + 1);
	if (strcmp(verb, "list") == 0)
		return cmd_list(c, argc - 1, argv + 1);
	if (strcmp(verb, "show") == 0)
		return cmd_show(c, argc - 1, argv + 1);
	if (strcmp(verb, "suspend") == 0 || strcmp(verb, "activate") == 0 ||
	    strcmp(verb, "delete") == 0 || strcmp(verb, "unlock") == 0)
		return cmd_status(c, argc - 1, argv + 1, verb);
	if (strcmp(verb, "reset-password") == 0)
		return cmd_reset_password(c, argc - 1, argv + 1);
	if (strcmp(verb, "reset-mfa") == 0)
		return cmd_reset_mfa(c, argc - 1, argv + 1);
	if (strcmp(verb, "import") == 0)
		return cmd_import(c, argc - 1, argv + 1);
	return cli_fail(IDG_EXIT_USAGE, "usage", "unknown user command \"%s\" (add, list, show,"
	    " suspend, activate, delete, unlock, reset-password, reset-mfa, import)", verb);
}
