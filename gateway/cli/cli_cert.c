/*
 * cli_cert.c - `idgate cert license|assign|unassign|issue|list|report|revoke|
 * ca|crl|prereg|requests|approve|reject`: the tenant's device-certificate
 * option (DESIGN.md "Service rules": licensed in blocks of 10 IDs, at most
 * 10 valid certificates per ID, 5 years of validity).
 *
 * The rules are the store's, checked inside its transactions; this file
 * checks input early, renders refusals with their numbers and writes the
 * audit events. Issuing goes through gateway/devices.h, which joins the CA
 * of certs/ and the store; a key generated here (--p12) leaves the process
 * only inside a PKCS#12 file whose one-time password is printed once. Not
 * here: the enrolment client (cli_enroll.c), HTTP, SQL.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../config/config.h"
#include "../devices.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/status.h"
#include "../util/str.h"
#include "cli_impl.h"
#include "csv.h"

#define MAX_EMAILS	256		/* e-mail addresses per assign/unassign */
#define CSR_MAX_BYTES	(64u << 10)	/* a CSR file; idg_csr_parse takes 16 KiB */
#define PREREG_MAX_BYTES (32u << 20)	/* a pre-registration CSV file */
#define TYPE_MAX	32		/* device type, bytes */
#define IDENT_MAX	128		/* device identifier, bytes */
#define DAY_S		86400

/* Shared helpers. */

static int
need_master_key(struct cli *c)
{
	if (!c->cfg->master_key_loaded)
		return cli_fail(IDG_EXIT_FAILURE, "master_key_unavailable",
		    "the device CA key is sealed with the master key, which is not loaded"
		    " (check master_key_file in the configuration)");
	return 0;
}

/* "on" or "off" for opt: 0, or exit 2 (printed). */
static int
parse_onoff(const char *opt, const char *v, bool *out)
{
	if (strcmp(v, "on") == 0)
		*out = true;
	else if (strcmp(v, "off") == 0)
		*out = false;
	else
		return cli_fail(IDG_EXIT_USAGE, "usage", "%s takes on or off, not \"%s\"", opt, v);
	return 0;
}

static const char *
onoff(bool b)
{
	return b ? "on" : "off";
}

/* The user of the tenant with that e-mail address: 0, or exit 1 user_not_found (printed). */
static int
find_user(struct cli *c, const struct idg_tenant *t, const char *email, struct idg_user *u)
{
	int st = idg_store_user_get_by_email(c->st, t->id, email, u);

	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "user_not_found", "no user \"%s\" in tenant %s",
		    email, t->company_id);
	if (st != IDG_OK)
		return cli_store_fail(st, "reading the user");
	return 0;
}

/* Device fields as the store takes them: 0, or exit 2 (printed). */
static int
check_device(const char *name, const char *type, const char *ident)
{
	size_t n = strlen(name);

	if (n == 0 || n >= IDG_DEVCERT_NAME_MAX || !idg_utf8_text_valid(name))
		return cli_fail(IDG_EXIT_USAGE, "invalid_device_name", "the device name is UTF-8"
		    " text of 1 to %d bytes without control characters",
		    IDG_DEVCERT_NAME_MAX - 1);
	if (strlen(type) > TYPE_MAX || !idg_utf8_text_valid(type))
		return cli_fail(IDG_EXIT_USAGE, "invalid_device_type", "the device type is text"
		    " of at most %d bytes", TYPE_MAX);
	if (strlen(ident) > IDENT_MAX || !idg_utf8_text_valid(ident))
		return cli_fail(IDG_EXIT_USAGE, "invalid_device_identifier", "the device"
		    " identifier is text of at most %d bytes", IDENT_MAX);
	return 0;
}

static const char *
cert_state(const struct idg_devcert *d, int64_t now)
{
	if (d->status == IDG_DEVCERT_REVOKED)
		return "revoked";
	if (now >= d->not_after)
		return "expired";
	if (now < d->not_before)
		return "not_yet_valid";
	return "valid";
}

/*
 * Reads a whole regular file of at most max bytes (NUL-terminated). NULL
 * with an exit code in *rc (printed).
 */
static char *
slurp(const char *path, size_t max, const char *code, size_t *len, int *rc)
{
	struct stat sb;
	char *data;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &sb) != 0 ||
	    !S_ISREG(sb.st_mode)) {
		if (f != NULL)
			fclose(f);
		*rc = cli_fail(IDG_EXIT_USAGE, code, "cannot read %s as a regular file", path);
		return NULL;
	}
	if ((size_t)sb.st_size > max) {
		fclose(f);
		*rc = cli_fail(IDG_EXIT_REFUSED, code, "%s is larger than %zu bytes", path, max);
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

/*
 * An output file written through a temporary file in the same folder and
 * renamed over the target at the end: made before a certificate is issued,
 * so an unwritable folder is found before anything is recorded, and no
 * reader ever sees half a file.
 */
struct outf {
	const char	*path;
	char		 tmp[PATH_MAX];
	int		 fd;
};

static int
outf_open(struct outf *o, const char *path, mode_t mode)
{
	o->path = path;
	o->fd = -1;
	if ((size_t)snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", path) >= sizeof(o->tmp))
		return cli_fail(IDG_EXIT_USAGE, "output_unwritable", "the path %s is too long",
		    path);
	if ((o->fd = mkstemp(o->tmp)) < 0)
		return cli_fail(IDG_EXIT_USAGE, "output_unwritable", "cannot write next to %s:"
		    " %s", path, strerror(errno));
	if (fchmod(o->fd, mode) != 0) {
		int e = errno;

		close(o->fd);
		unlink(o->tmp);
		o->fd = -1;
		return cli_fail(IDG_EXIT_USAGE, "output_unwritable", "cannot set the mode of %s:"
		    " %s", o->tmp, strerror(e));
	}
	return 0;
}

static void
outf_abort(struct outf *o)
{
	if (o->fd < 0)
		return;
	close(o->fd);
	unlink(o->tmp);
	o->fd = -1;
}

/* Writes data and renames the file into place: 0, or exit 3 (printed). */
static int
outf_commit(struct outf *o, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t off = 0;
	int e = 0;

	while (off < len) {
		ssize_t w = write(o->fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = errno != 0 ? errno : EIO;
			break;
		}
		off += (size_t)w;
	}
	if (e == 0 && fsync(o->fd) != 0)
		e = errno;
	if (close(o->fd) != 0 && e == 0)
		e = errno;
	o->fd = -1;
	if (e == 0 && rename(o->tmp, o->path) != 0)
		e = errno;
	if (e != 0) {
		unlink(o->tmp);
		return cli_fail(IDG_EXIT_FAILURE, "output_unwritable", "cannot write %s: %s",
		    o->path, strerror(e));
	}
	return 0;
}

/* Every user of a tenant, by id, for the e-mail column of lists. */
struct users {
	struct uent {
		int64_t	id;
		int	kind;
		int	status;
		char	email[255];
	}	*v;
	int	 n, cap;
};

static int
users_row(void *arg, const struct idg_user *u)
{
	struct users *us = arg;
	struct uent *nv;

	if ((nv = idg_grow(us->v, us->n, &us->cap, sizeof(*nv), 64)) == NULL)
		return 1;
	us->v = nv;
	us->v[us->n].id = u->id;
	us->v[us->n].kind = u->kind;
	us->v[us->n].status = u->status;
	idg_strlcpy(us->v[us->n].email, u->email, sizeof(us->v[0].email));
	us->n++;
	return 0;
}

static int
users_load(struct cli *c, int64_t tenant_id, struct users *us)
{
	int st;

	memset(us, 0, sizeof(*us));
	if ((st = idg_store_user_list(c->st, tenant_id, users_row, us)) != IDG_OK) {
		free(us->v);
		us->v = NULL;
		return cli_store_fail(st, "listing users");
	}
	return 0;
}

static const char *
users_email(const struct users *us, int64_t id)
{
	int i;

	for (i = 0; i < us->n; i++)
		if (us->v[i].id == id)
			return us->v[i].email;
	return "?";
}

/* Certificates collected from a store walk (no store call runs inside one). */
struct certs {
	struct idg_devcert	*v;
	int			 n, cap;
};

static int
certs_row(void *arg, const struct idg_devcert *d)
{
	struct certs *cs = arg;
	struct idg_devcert *nv;

	if ((nv = idg_grow(cs->v, cs->n, &cs->cap, sizeof(*nv), 16)) == NULL)
		return 1;
	cs->v = nv;
	cs->v[cs->n++] = *d;
	return 0;
}

static int
certs_load(struct cli *c, int64_t tenant_id, int64_t user_id, struct certs *cs)
{
	int st;

	memset(cs, 0, sizeof(*cs));
	if ((st = idg_store_devcert_list(c->st, tenant_id, user_id, certs_row, cs)) != IDG_OK) {
		free(cs->v);
		cs->v = NULL;
		return cli_store_fail(st, "listing the certificates");
	}
	return 0;
}

/* license */

static int
license_json(const char *tenant, const struct idg_device_settings *s)
{
	json_t *doc = json_object();

	json_object_set_new(doc, "tenant", json_string(tenant));
	json_object_set_new(doc, "licensed", json_integer(s->licensed));
	json_object_set_new(doc, "assigned", json_integer(s->assigned));
	json_object_set_new(doc, "free", json_integer(s->licensed > s->assigned ?
	    s->licensed - s->assigned : 0));
	json_object_set_new(doc, "required", json_boolean(s->required));
	json_object_set_new(doc, "exempt_admins", json_boolean(s->exempt_admins));
	json_object_set_new(doc, "approval", json_boolean(s->approval));
	return cli_json_print(doc);
}

static void
license_print(const char *tenant, const struct idg_device_settings *s)
{
	printf("tenant %s device certificates: %d licensed, %d assigned, %d free%s\n", tenant,
	    s->licensed, s->assigned, s->licensed > s->assigned ? s->licensed - s->assigned :
	    0, s->licensed == 0 ? " (option off)" : "");
	printf("required at sign-in:  %s\n", onoff(s->required));
	printf("admins exempt:        %s\n", onoff(s->exempt_admins));
	printf("enrolment approval:   %s\n", onoff(s->approval));
}

static int
cmd_license(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL, *count_s = NULL, *req_s = NULL, *ex_s = NULL, *ap_s = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--count", &count_s, NULL },
		{ "--required", &req_s, NULL },
		{ "--exempt-admins", &ex_s, NULL },
		{ "--approval", &ap_s, NULL },
		{ "--json", NULL, &json },
		{ NULL, NULL, NULL },
	};
	struct idg_license_numbers lic = { 0, 0, 0 };
	struct idg_device_settings old, nw;
	struct idg_tenant t;
	char *pos[1], detail[256];
	bool required = false, exempt = false, approval = false;
	long count = 0;
	int rc, st, npos, why = IDG_DEVREF_NONE;
	size_t dl = 0;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if (tenant == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "cert license --tenant ID [--count N]"
		    " [--required on|off] [--exempt-admins on|off] [--approval on|off] [--json]");
	if (count_s != NULL && idg_parse_long(count_s, 0, LONG_MAX, &count) != IDG_OK)
		return cli_fail(IDG_EXIT_USAGE, "usage", "--count takes a whole number of IDs,"
		    " not \"%s\"", count_s);
	/* Service rules: the option is sold in blocks of 10 IDs. */
	if (count_s != NULL && (count > IDG_DEVCERT_MAX_LICENSED ||
	    idg_devlic_check_count((int)count) != IDG_OK))
		return cli_fail(IDG_EXIT_REFUSED, "invalid_device_license_count", "the option is"
		    " licensed in blocks of %d IDs: 0 (off) or %d, %d, ... up to %d, not %s",
		    IDG_DEVCERT_BLOCK, IDG_DEVCERT_BLOCK, 2 * IDG_DEVCERT_BLOCK,
		    IDG_DEVCERT_MAX_LICENSED, count_s);
	if ((req_s != NULL && (rc = parse_onoff("--required", req_s, &required)) != 0) ||
	    (ex_s != NULL && (rc = parse_onoff("--exempt-admins", ex_s, &exempt)) != 0) ||
	    (ap_s != NULL && (rc = parse_onoff("--approval", ap_s, &approval)) != 0))
		return rc;
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0)
		return rc;
	if ((st = idg_store_device_settings_get(c->st, t.id, &old)) != IDG_OK)
		return cli_store_fail(st, "reading the device-certificate settings");
	if (count_s == NULL && req_s == NULL && ex_s == NULL && ap_s == NULL)
		return json ? license_json(t.company_id, &old) : (license_print(t.company_id,
		    &old), 0);
	nw = old;
	if (count_s != NULL)
		nw.licensed = (int)count;
	if (req_s != NULL)
		nw.required = required;
	if (ex_s != NULL)
		nw.exempt_admins = exempt;
	if (ap_s != NULL)
		nw.approval = approval;
	st = idg_store_device_settings_set(c->st, t.id, &nw, idg_now(), &why, &lic);
	if (st == IDG_DECLINED) {
		cli_audit(c, t.id, "device.license", t.company_id, "device_license_in_use", NULL);
		return cli_fail(IDG_EXIT_REFUSED, "device_license_in_use", "%d licensed, %d"
		    " assigned, %d requested; unassign %d users first", lic.contracted,
		    lic.in_use, lic.requested, lic.in_use - lic.requested);
	}
	if (st == IDG_INVALID)	/* checked above; the store's rule is the same */
		return cli_fail(IDG_EXIT_REFUSED, "invalid_device_license_count", "the option is"
		    " licensed in blocks of %d IDs", IDG_DEVCERT_BLOCK);
	if (st == IDG_NOTFOUND)
		return cli_tenant_find(c, tenant, &t);
	if (st != IDG_OK)
		return cli_store_fail(st, "changing the device-certificate settings");
	detail[0] = '\0';
	if (nw.licensed != old.licensed)
		dl += (size_t)snprintf(detail + dl, sizeof(detail) - dl, "licensed %d -> %d; ",
		    old.licensed, nw.licensed);
	if (nw.required != old.required && dl < sizeof(detail))
		dl += (size_t)snprintf(detail + dl, sizeof(detail) - dl, "required %s -> %s; ",
		    onoff(old.required), onoff(nw.required));
	if (nw.exempt_admins != old.exempt_admins && dl < sizeof(detail))
		dl += (size_t)snprintf(detail + dl, sizeof(detail) - dl, "exempt_admins %s -> %s; ",
		    onoff(old.exempt_admins), onoff(nw.exempt_admins));
	if (nw.approval != old.approval && dl < sizeof(detail))
		dl += (size_t)snprintf(detail + dl, sizeof(detail) - dl, "approval %s -> %s; ",
		    onoff(old.approval), onoff(nw.approval));
	if (dl >= 2 && dl < sizeof(detail))
		detail[dl - 2] = '\0';
	cli_audit(c, t.id, "device.license", t.company_id, "ok", detail[0] != '\0' ? detail :
	    "unchanged");
	if ((st = idg_store_device_settings_get(c->st, t.id, &nw)) != IDG_OK)
		return cli_store_fail(st, "reading the device-certificate settings");
	return json ? license_json(t.company_id, &nw) : (license_print(t.company_id, &nw), 0);
}

/* assign, unassign */

static int
cmd_assign(struct cli *c, int argc, char **argv, bool on)
{
	const char *tenant = NULL;
	const struct cli_opt opts[] = { { "--tenant", &tenant, NULL }, { NULL, NULL, NULL } };
	const char *action = on ? "device.assign" : "device.unassign";
	struct idg_license_numbers lic = { 0, 0, 0 };
	struct idg_device_settings set;
	struct idg_user *us = NULL;
	struct idg_tenant t;
	char *pos[MAX_EMAILS];
	bool *skip = NULL;
	int rc, st, npos, i, j, need = 0, done = 0, why;
	int64_t now = idg_now();

	if ((rc = cli_parse(argc, argv, opts, pos, MAX_EMAILS, &npos)) != 0)
		return rc;
	if (tenant == NULL || npos < 1)
		return cli_fail(IDG_EXIT_USAGE, "usage", "cert %s --tenant ID EMAIL...",
		    on ? "assign" : "unassign");
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0)
		return rc;
	if ((us = calloc((size_t)npos, sizeof(*us))) == NULL ||
	    (skip = calloc((size_t)npos, sizeof(*skip))) == NULL) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
		goto out;
	}
	/* Every name is checked before anything changes. */
	for (i = 0; i < npos; i++) {
		bool has = false;

		if ((rc = find_user(c, &t, pos[i], &us[i])) != 0)
			goto out;
		if (us[i].kind != IDG_USER_PERSON) {
			rc = cli_fail(IDG_EXIT_REFUSED, "service_account", "%s is a provider"
			    " service account; it cannot hold device certificates", us[i].email);
			goto out;
		}
		for (j = 0; j < i; j++)
			if (us[j].id == us[i].id)
				skip[i] = true;
		if (skip[i])
			continue;
		if ((st = idg_store_user_has_device_license(c->st, t.id, us[i].id, &has)) !=
		    IDG_OK) {
			rc = cli_store_fail(st, "reading the user's option");
			goto out;
		}
		if (has == on) {
			skip[i] = true;	/* already as asked: idempotent */
			continue;
		}
		need++;
		if (!on) {
			struct idg_devcert_counts k;

			if ((st = idg_store_devcert_counts(c->st, t.id, us[i].id, now, &k)) !=
			    IDG_OK) {
				rc = cli_store_fail(st, "counting the user's certificates");
				goto out;
			}
			if (k.valid > 0) {
				cli_audit(c, t.id, action, us[i].email, "device_certificates_held",
				    NULL);
				rc = cli_fail(IDG_EXIT_REFUSED, "device_certificates_held", "%s"
				    " holds %d valid certificates; revoke them first (idgate cert"
				    " list --tenant %s --user %s); nothing changed", us[i].email,
				    k.valid, t.company_id, us[i].email);
				goto out;
			}
		}
	}
	if (on && need > 0) {
		if ((st = idg_store_device_settings_get(c->st, t.id, &set)) != IDG_OK) {
			rc = cli_store_fail(st, "reading the device-certificate settings");
			goto out;
		}
		if (idg_devlic_check_assign(set.licensed, set.assigned, need) != IDG_OK) {
			cli_audit(c, t.id, action, pos[0], "device_license_exhausted", NULL);
			rc = cli_fail(IDG_EXIT_REFUSED, "device_license_exhausted", "%d licensed,"
			    " %d assigned, %d requested; nothing changed", set.licensed,
			    set.assigned, need);
			goto out;
		}
	}
	for (i = 0; i < npos; i++) {
		if (skip[i]) {
			printf("%s: %s\n", us[i].email, on ? "already holds the option" :
			    "does not hold the option");
			continue;
		}
		why = IDG_DEVREF_NONE;
		st = idg_store_user_device_license(c->st, t.id, us[i].id, on, now, &why, &lic);
		if (st == IDG_DECLINED) {
			const char *code = idg_devices_refusal_code(why);

			cli_audit(c, t.id, action, us[i].email, code, NULL);
			if (why == IDG_DEVREF_LICENSE_EXHAUSTED)
				rc = cli_fail(IDG_EXIT_REFUSED, code, "%d licensed, %d assigned, %d"
				    " requested (%d users changed before this one)",
				    lic.contracted, lic.in_use, lic.requested, done);
			else
				rc = cli_fail(IDG_EXIT_REFUSED, code, "%s: refused (%d users"
				    " changed before this one)", us[i].email, done);
			goto out;
		}
		if (st == IDG_INVALID) {
			rc = cli_fail(IDG_EXIT_REFUSED, "service_account", "%s cannot hold device"
			    " certificates", us[i].email);
			goto out;
		}
		if (st != IDG_OK) {
			rc = cli_store_fail(st, "changing the user's option");
			goto out;
		}
		done++;
		cli_audit(c, t.id, action, us[i].email, "ok", NULL);
		printf("%s: %s\n", us[i].email, on ? "device-certificate option given" :
		    "device-certificate option taken away");
	}
	if ((st = idg_store_device_settings_get(c->st, t.id, &set)) != IDG_OK) {
		rc = cli_store_fail(st, "reading the device-certificate settings");
		goto out;
	}
	printf("tenant %s: %d of %d device-certificate licenses assigned\n", t.company_id,
	    set.assigned, set.licensed);
	rc = 0;
out:
	free(us);
	free(skip);
	return rc;
}

/* issue */

/* Prints the refusal of an issue with its numbers. Returns the exit code. */
static int
issue_refused(struct cli *c, const struct idg_tenant *t, const struct idg_user *u, int why,
    int valid_now, int64_t now)
{
	const char *code = idg_devices_refusal_code(why);
	struct certs cs;
	char list[2048];
	size_t l = 0;
	int i, rc;

	cli_audit(c, t->id, "device.issue", u->email, code, NULL);
	switch (why) {
	case IDG_DEVREF_LIMIT:
		if ((rc = certs_load(c, t->id, u->id, &cs)) != 0)
			return rc;
		list[0] = '\0';
		for (i = 0; i < cs.n && l < sizeof(list); i++) {
			const struct idg_devcert *d = &cs.v[i];

			if (!idg_devcert_valid_at(d->status == IDG_DEVCERT_REVOKED, d->not_before,
			    d->not_after, now))
				continue;
			l += (size_t)snprintf(list + l, sizeof(list) - l, "%s%s (%s)",
			    l > 0 ? ", " : "", d->serial, d->device_name);
		}
		free(cs.v);
		return cli_fail(IDG_EXIT_REFUSED, code, "%d valid certificates (serials %s);"
		    " revoke one first", valid_now, list);
	case IDG_DEVREF_NOT_LICENSED:
		return cli_fail(IDG_EXIT_REFUSED, code, "%s does not hold the device-certificate"
		    " option (idgate cert assign --tenant %s %s)", u->email, t->company_id,
		    u->email);
	case IDG_DEVREF_USER_INACTIVE:
		return cli_fail(IDG_EXIT_REFUSED, code, "%s is %s; only active users get"
		    " certificates", u->email, cli_user_status(u->status));
	}
	return cli_fail(IDG_EXIT_REFUSED, code, "the certificate for %s was refused",
	    u->email);
}

/* The status of idg_devices_issue other than IDG_OK/IDG_DECLINED, as an exit code. */
static int
issue_failed(int st, const struct idg_user *u)
{
	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "user_not_found", "%s is no longer a user of"
		    " the tenant", u->email);
	if (st == IDG_INVALID)
		return cli_fail(IDG_EXIT_USAGE, "invalid_device_name", "the device name, type or"
		    " identifier was refused");
	return cli_store_fail(st, "issuing the certificate");
}

static int
cmd_issue(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL, *email = NULL, *name = NULL, *type = "", *ident = "",
	    *csr = NULL, *out = NULL, *p12 = NULL;
	bool legacy = false;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--user", &email, NULL },
		{ "--device-name", &name, NULL },
		{ "--device-type", &type, NULL },
		{ "--device-id", &ident, NULL },
		{ "--csr", &csr, NULL },
		{ "--out", &out, NULL },
		{ "--p12", &p12, NULL },
		{ "--legacy", NULL, &legacy },
		{ NULL, NULL, NULL },
	};
	struct idg_devices_req req;
	struct idg_devcert_issued issued;
	struct idg_devcert rec;
	struct idg_tenant t;
	struct idg_user u;
	struct idg_ca *ca = NULL;
	struct outf of = { NULL, "", -1 };
	EVP_PKEY *key = NULL;
	char *pos[1], *data = NULL, *pem = NULL, err[256], pw[32], when[32], detail[200];
	uint8_t *p12der = NULL;
	size_t len = 0, p12len = 0;
	int rc, st, npos, why = IDG_DEVREF_NONE, valid_now = 0;
	bool have_cert = false;
	int64_t now;

	memset(&issued, 0, sizeof(issued));
	memset(&rec, 0, sizeof(rec));
	memset(&t, 0, sizeof(t));
	pw[0] = '\0';
	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if (tenant == NULL || email == NULL || name == NULL ||
	    (csr != NULL) == (p12 != NULL) || (csr != NULL && out == NULL) ||
	    (p12 != NULL && out != NULL) || (legacy && p12 == NULL))
		return cli_fail(IDG_EXIT_USAGE, "usage", "cert issue --tenant ID --user EMAIL"
		    " --device-name NAME [--device-type T] [--device-id IDENT] (--csr FILE --out"
		    " CERT.pem | --p12 OUT.p12 [--legacy])");
	if ((rc = check_device(name, type, ident)) != 0)
		return rc;
	if ((rc = need_master_key(c)) != 0)
		return rc;
	if (csr != NULL) {
		if ((data = slurp(csr, CSR_MAX_BYTES, "csr_unreadable", &len, &rc)) == NULL)
			return rc;
		if (idg_csr_parse(data, len, &key, err, sizeof(err)) != IDG_OK) {
			free(data);
			return cli_fail(IDG_EXIT_REFUSED, "invalid_csr", "%s: %s", csr, err);
		}
		free(data);
	} else if (idg_devcert_keygen(&key) != IDG_OK) {
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot generate a key");
	}
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0 ||
	    (rc = find_user(c, &t, email, &u)) != 0)
		goto out;
	/* The output exists before the certificate does: a bad path issues nothing. */
	if ((rc = outf_open(&of, csr != NULL ? out : p12, csr != NULL ? 0644 : 0600)) != 0)
		goto out;
	now = idg_now();
	if (p12 != NULL && (st = idg_devices_ca(c->st, c->cfg->master_key, t.id,
	    t.company_id, IDG_CA_EC_P256, now, &ca)) != IDG_OK) {
		rc = cli_store_fail(st, "loading the tenant's CA");
		goto out;
	}
	req.user_id = u.id;
	req.device_name = name;
	req.device_type = type;
	req.device_identifier = ident;
	req.enrolled_by = "admin";
	st = idg_devices_issue(c->st, c->cfg->master_key, t.id, t.company_id, &req, key, now,
	    &rec, &issued, &why, &valid_now);
	if (st == IDG_DECLINED) {
		rc = issue_refused(c, &t, &u, why, valid_now, now);
		goto out;
	}
	if (st != IDG_OK) {
		rc = issue_failed(st, &u);
		goto out;
	}
	have_cert = true;
	snprintf(detail, sizeof(detail), "serial %s, device \"%s\"%s", rec.serial, name,
	    p12 != NULL ? ", key made by the server (PKCS#12)" : "");
	cli_audit(c, t.id, "device.issue", u.email, "ok", detail);
	if (csr != NULL) {
		if (idg_devcert_pem(issued.der, issued.der_len, &pem) != IDG_OK) {
			rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot encode the"
			    " certificate");
			goto out;
		}
		rc = outf_commit(&of, pem, strlen(pem));
	} else {
		if (idg_devcert_otp(pw, sizeof(pw)) != IDG_OK ||
		    idg_devcert_pkcs12(key, issued.der, issued.der_len, ca, name, pw, legacy,
		    &p12der, &p12len) != IDG_OK) {
			rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot make the PKCS#12"
			    " file");
			goto out;
		}
		rc = outf_commit(&of, p12der, p12len);
	}
	if (rc != 0)
		goto out;
	have_cert = false;
	cli_time(rec.not_after, when, sizeof(when));
	printf("certificate %s issued to %s for device \"%s\", valid until %s\n", rec.serial,
	    u.email, name, when);
	if (csr != NULL) {
		printf("certificate written to %s\n", out);
	} else {
		printf("PKCS#12 (key, certificate and CA%s) written to %s\n", legacy ?
		    ", legacy 3DES/SHA-1 protection" : "", p12);
		printf("one-time password of the PKCS#12 file: %s\n", pw);
		printf("this password is not shown again: hand it to the user separately\n");
	}
out:
	if (have_cert) {
		/* Recorded but not delivered: it must not keep a slot of the 10. */
		if (idg_devices_revoke(c->st, c->cfg->master_key, t.id, rec.serial, 0, "cli",
		    idg_now()) == IDG_OK) {
			cli_audit(c, t.id, "device.revoke", rec.serial, "ok", "not delivered");
			fprintf(stderr, "certificate %s was revoked: it could not be delivered\n",
			    rec.serial);
		} else {
			fprintf(stderr, "certificate %s could not be delivered; revoke it with"
			    " 'idgate cert revoke --tenant %s %s'\n", rec.serial, t.company_id,
			    rec.serial);
		}
	}
	outf_abort(&of);
	idg_wipe(pw, sizeof(pw));
	if (p12der != NULL) {
		idg_wipe(p12der, p12len);
		free(p12der);
	}
	free(pem);
	idg_devcert_issued_free(&issued);
	idg_ca_free(ca);
	EVP_PKEY_free(key);
	return rc;
}

/* list */

static json_t *
cert_json(const struct idg_devcert *d, const char *email, int64_t now)
{
	json_t *o = json_object();

	json_object_set_new(o, "serial", json_string(d->serial));
	json_object_set_new(o, "user", json_string(email));
	json_object_set_new(o, "device_id", json_string(d->device_id));
	json_object_set_new(o, "device_name", json_string(d->device_name));
	json_object_set_new(o, "device_type", json_string(d->device_type));
	json_object_set_new(o, "device_identifier", json_string(d->device_identifier));
	json_object_set_new(o, "not_before", cli_json_time(d->not_before));
	json_object_set_new(o, "not_after", cli_json_time(d->not_after));
	json_object_set_new(o, "status", json_string(cert_state(d, now)));
	json_object_set_new(o, "revoked_at", cli_json_time(d->revoked_at));
	json_object_set_new(o, "revoked_by", d->revoked_by[0] != '\0' ?
	    json_string(d->revoked_by) : json_null());
	json_object_set_new(o, "enrolled_by", json_string(d->enrolled_by));
	return o;
}

static const char *
dash(const char *s)
{
	return s[0] != '\0' ? s : "-";
}

static int
cmd_list(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL, *email = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--user", &email, NULL },
		{ "--json", NULL, &json },
		{ NULL, NULL, NULL },
	};
	struct users us = { NULL, 0, 0 };
	struct certs cs = { NULL, 0, 0 };
	struct idg_tenant t;
	struct idg_user u;
	char *pos[1], when[32];
	json_t *arr = NULL;
	int64_t now = idg_now();
	int rc, npos, i;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if (tenant == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "cert list --tenant ID [--user EMAIL]"
		    " [--json]");
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0)
		return rc;
	if (email != NULL && (rc = find_user(c, &t, email, &u)) != 0)
		return rc;
	if ((rc = users_load(c, t.id, &us)) != 0)
		return rc;
	if ((rc = certs_load(c, t.id, email != NULL ? u.id : 0, &cs)) != 0)
		goto out;
	if (json)
		arr = json_array();
	for (i = 0; i < cs.n; i++) {
		const struct idg_devcert *d = &cs.v[i];

		if (arr != NULL) {
			json_array_append_new(arr, cert_json(d, users_email(&us, d->user_id), now));
			continue;
		}
		if (i == 0)
			printf("%-32s  %-32s %-20s %-10s %-20s %-20s %-13s %s\n", "SERIAL", "USER",
			    "DEVICE", "TYPE", "IDENTIFIER", "NOT_AFTER", "STATUS", "ENROLLED_BY");
		cli_time(d->not_after, when, sizeof(when));
		printf("%-32s  %-32s %-20s %-10s %-20s %-20s %-13s %s\n", d->serial,
		    users_email(&us, d->user_id), d->device_name, dash(d->device_type),
		    dash(d->device_identifier), when, cert_state(d, now), dash(d->enrolled_by));
	}
	if (arr != NULL)
		rc = cli_json_print(arr);
	else if (cs.n == 0)
		printf("no certificates\n");
out:
	free(us.v);
	free(cs.v);
	return rc;
}

/* report */

static json_t *
counts_json(const struct idg_devcert_counts *k)
{
	json_t *o = json_object();

	json_object_set_new(o, "valid", json_integer(k->valid));
	json_object_set_new(o, "revoked", json_integer(k->revoked));
	json_object_set_new(o, "expired", json_integer(k->expired));
	json_object_set_new(o, "expiring_30d", json_integer(k->expiring_30d));
	return o;
}

static int
cmd_report(struct cli *c, int argc, char **argv)
{
	struct users us = { NULL, 0, 0 };
	struct idg_devcert_counts tk, uk;
	struct idg_tenant t;
	char *pos[1];
	json_t *doc = NULL, *arr = NULL;
	bool json = false;
	int64_t now = idg_now();
	int rc, st, i, nusers = 0;

	if ((rc = cli_tenant_args(c, argc, argv, &json, 0, "cert report --tenant ID [--json]",
	    pos, &t)) != 0)
		return rc;
	if ((st = idg_store_devcert_counts(c->st, t.id, 0, now, &tk)) != IDG_OK)
		return cli_store_fail(st, "counting the certificates");
	if ((rc = users_load(c, t.id, &us)) != 0)
		return rc;
	if (json) {
		doc = counts_json(&tk);
		json_object_set_new(doc, "tenant", json_string(t.company_id));
		json_object_set_new(doc, "licensed", json_integer(tk.licensed));
		json_object_set_new(doc, "assigned", json_integer(tk.assigned));
		arr = json_array();
		json_object_set_new(doc, "users", arr);
	} else {
		printf("tenant %s: %d licensed, %d assigned; certificates: %d valid, %d revoked,"
		    " %d expired, %d expiring within 30 days\n", t.company_id, tk.licensed,
		    tk.assigned, tk.valid, tk.revoked, tk.expired, tk.expiring_30d);
	}
	for (i = 0; i < us.n; i++) {
		bool has = false;

		if (us.v[i].kind != IDG_USER_PERSON)
			continue;
		if ((st = idg_store_user_has_device_license(c->st, t.id, us.v[i].id, &has)) !=
		    IDG_OK || (has && (st = idg_store_devcert_counts(c->st, t.id, us.v[i].id, now,
		    &uk)) != IDG_OK)) {
			rc = cli_store_fail(st, "counting a user's certificates");
			goto out;
		}
		if (!has)
			continue;
		if (arr != NULL) {
			json_t *o = counts_json(&uk);

			json_object_set_new(o, "email", json_string(us.v[i].email));
			json_array_append_new(arr, o);
			continue;
		}
		if (nusers++ == 0)
			printf("%-40s %6s %8s %8s %14s\n", "USER", "VALID", "REVOKED", "EXPIRED",
			    "EXPIRING_30D");
		printf("%-40s %6d %8d %8d %14d\n", us.v[i].email, uk.valid, uk.revoked,
		    uk.expired, uk.expiring_30d);
	}
	if (doc != NULL) {
		rc = cli_json_print(doc);
		doc = NULL;
	} else if (nusers == 0) {
		printf("no user holds the option\n");
	}
out:
	json_decref(doc);
	free(us.v);
	return rc;
}

/* revoke */

/* A serial as the store keeps it: lower-case hex, colons dropped. 0 or exit 2. */
static int
norm_serial(const char *in, char out[IDG_DEVCERT_SERIAL_HEX])
{
	size_t n = 0;

	for (; *in != '\0'; in++) {
		char ch = *in;

		if (ch == ':')
			continue;
		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) ||
		    n + 1 >= IDG_DEVCERT_SERIAL_HEX)
			return cli_fail(IDG_EXIT_USAGE, "invalid_serial", "a serial is up to %d hex"
			    " digits", IDG_DEVCERT_SERIAL_HEX - 1);
		out[n++] = ch;
	}
	out[n] = '\0';
	if (n == 0)
		return cli_fail(IDG_EXIT_USAGE, "invalid_serial", "the serial is empty");
	return 0;
}

static int
cmd_revoke(struct cli *c, int argc, char **argv)
{
	struct idg_devcert d;
	struct idg_tenant t;
	char *pos[1], serial[IDG_DEVCERT_SERIAL_HEX], detail[160];
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, NULL, 1, "cert revoke --tenant ID SERIAL",
	    pos, &t)) != 0)
		return rc;
	if ((rc = norm_serial(pos[0], serial)) != 0 || (rc = need_master_key(c)) != 0)
		return rc;
	st = idg_store_devcert_get(c->st, t.id, serial, &d);
	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "certificate_not_found", "no certificate %s in"
		    " tenant %s", serial, t.company_id);
	if (st != IDG_OK)
		return cli_store_fail(st, "reading the certificate");
	st = idg_devices_revoke(c->st, c->cfg->master_key, t.id, serial, 0, "cli", idg_now());
	if (st == IDG_DECLINED)
		return cli_fail(IDG_EXIT_REFUSED, "already_revoked", "certificate %s was revoked"
		    " already", serial);
	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "certificate_not_found", "no certificate %s in"
		    " tenant %s", serial, t.company_id);
	if (st != IDG_OK)
		return cli_store_fail(st, "revoking the certificate");
	snprintf(detail, sizeof(detail), "serial %s, device \"%s\"", serial, d.device_name);
	cli_audit(c, t.id, "device.revoke", serial, "ok", detail);
	printf("certificate %s (device \"%s\") revoked; the CRL is republished\n", serial,
	    d.device_name);
	return 0;
}

/* ca, crl */

static int
write_or_print(const char *path, const void *data, size_t len, mode_t mode)
{
	struct outf of;
	int rc;

	if (path == NULL) {
		fwrite(data, 1, len, stdout);
		return 0;
	}
	if ((rc = outf_open(&of, path, mode)) != 0)
		return rc;
	return outf_commit(&of, data, len);
}

static int
cmd_ca(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL, *out = NULL, *alg_s = NULL;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--out", &out, NULL },
		{ "--alg", &alg_s, NULL },
		{ NULL, NULL, NULL },
	};
	static const uint8_t no_key[32];
	struct idg_tenant_ca *row = NULL;
	struct idg_tenant t;
	struct idg_ca *ca = NULL;
	char *pos[1], *pem = NULL;
	int rc, st, npos, alg = IDG_CA_EC_P256;
	bool made = false;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if (tenant == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "cert ca --tenant ID [--out FILE]"
		    " [--alg ec|rsa2048|rsa3072]");
	if (alg_s != NULL) {
		if (strcmp(alg_s, "ec") == 0)
			alg = IDG_CA_EC_P256;
		else if (strcmp(alg_s, "rsa2048") == 0)
			alg = IDG_CA_RSA_2048;
		else if (strcmp(alg_s, "rsa3072") == 0)
			alg = IDG_CA_RSA_3072;
		else
			return cli_fail(IDG_EXIT_USAGE, "invalid_alg", "--alg takes ec, rsa2048 or"
			    " rsa3072, not \"%s\"", alg_s);
	}
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0)
		return rc;
	if ((row = calloc(1, sizeof(*row))) == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	st = idg_store_ca_get(c->st, t.id, row);
	if (st == IDG_OK) {
		/* Reading the certificate needs no key. */
		if (alg_s != NULL && row->alg != alg)
			fprintf(stderr, "note: the tenant's CA exists already; --alg is ignored\n");
		if (idg_ca_load(no_key, "", NULL, row->cert_der, row->cert_len, &ca) != IDG_OK) {
			rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "the stored CA"
			    " certificate does not load");
			goto out;
		}
	} else if (st == IDG_NOTFOUND) {
		if ((rc = need_master_key(c)) != 0)
			goto out;
		if ((st = idg_devices_ca(c->st, c->cfg->master_key, t.id, t.company_id, alg,
		    idg_now(), &ca)) != IDG_OK) {
			rc = cli_store_fail(st, "creating the tenant's CA");
			goto out;
		}
		made = true;
		cli_audit(c, t.id, "device.ca", t.company_id, "ok", alg_s != NULL ? alg_s : "ec");
	} else {
		rc = cli_store_fail(st, "reading the tenant's CA");
		goto out;
	}
	if (idg_ca_cert_pem(ca, &pem) != IDG_OK) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot encode the CA"
		    " certificate");
		goto out;
	}
	if ((rc = write_or_print(out, pem, strlen(pem), 0644)) != 0)
		goto out;
	if (made)
		fprintf(stderr, "tenant %s: device CA created\n", t.company_id);
	if (out != NULL)
		printf("CA certificate of tenant %s written to %s\n", t.company_id, out);
out:
	free(pem);
	idg_ca_free(ca);
	free(row);
	return rc;
}

static int
cmd_crl(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL, *out = NULL;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--out", &out, NULL },
		{ NULL, NULL, NULL },
	};
	struct idg_tenant_ca *row = NULL;
	struct idg_tenant t;
	char *pos[1], when[32];
	uint8_t *der = NULL;
	size_t len = 0;
	int64_t number = 0, next = 0, now = idg_now();
	int rc, st, npos;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if (tenant == NULL || out == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "cert crl --tenant ID --out FILE");
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0)
		return rc;
	if ((row = calloc(1, sizeof(*row))) == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	st = idg_store_ca_get(c->st, t.id, row);
	free(row);
	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "ca_not_found", "tenant %s has no device CA yet"
		    " (idgate cert ca --tenant %s makes one)", t.company_id, t.company_id);
	if (st != IDG_OK)
		return cli_store_fail(st, "reading the tenant's CA");
	st = idg_store_crl_get(c->st, t.id, &der, &len, &number, &next);
	if (st == IDG_NOTFOUND || (st == IDG_OK && next <= now)) {
		free(der);
		der = NULL;
		if ((rc = need_master_key(c)) != 0)
			return rc;
		if ((st = idg_devices_crl_refresh(c->st, c->cfg->master_key, t.id, now)) !=
		    IDG_OK)
			return cli_store_fail(st, "making the CRL");
		cli_audit(c, t.id, "device.crl", t.company_id, "ok", "refreshed");
		st = idg_store_crl_get(c->st, t.id, &der, &len, &number, &next);
	}
	if (st != IDG_OK)
		return cli_store_fail(st, "reading the CRL");
	rc = write_or_print(out, der, len, 0644);
	free(der);
	if (rc != 0)
		return rc;
	cli_time(next, when, sizeof(when));
	printf("CRL %lld of tenant %s written to %s (next update %s)\n", (long long)number,
	    t.company_id, out, when);
	return 0;
}

/* prereg */

struct prow {
	int	line;
	char	email[255];
	char	type[TYPE_MAX + 1];
	char	ident[IDENT_MAX + 1];
};

struct prereg {
	struct cli_csv_errors err;	/* the file and its bad rows */
	struct prow	*rows;
	int		 n, cap;
};

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
is_header(const struct idg_csv_record *rec)
{
	const char *f = rec->fields[0];

	return strcasecmp(f, "email") == 0 || strcasecmp(f, "user email") == 0 ||
	    strcasecmp(f, "user_email") == 0 || strcasecmp(f, "e-mail") == 0;
}

/* Checks one record against the tenant's users and the rows before it. */
static int
prereg_record(struct prereg *p, struct idg_csv_record *rec, const struct users *us)
{
	struct prow *r, *nv;
	int i;

	if (rec->nfields != 3) {
		cli_csv_bad(&p->err, rec->line, "expected 3 fields (user email, device type, device"
		    " identifier), found %d", rec->nfields);
		return IDG_OK;
	}
	for (i = 0; i < 3; i++)
		trim(rec->fields[i]);
	if ((nv = idg_grow(p->rows, p->n, &p->cap, sizeof(*nv), 64)) == NULL)
		return IDG_ERR;
	p->rows = nv;
	r = &p->rows[p->n];
	r->line = rec->line;
	if (strlen(rec->fields[0]) >= sizeof(r->email) || !idg_email_valid(rec->fields[0])) {
		cli_csv_bad(&p->err, rec->line,
		    "invalid e-mail address \"%.254s\"", rec->fields[0]);
		return IDG_OK;
	}
	idg_strlcpy(r->email, rec->fields[0], sizeof(r->email));
	idg_str_lower(r->email);
	for (i = 0; i < us->n; i++)
		if (strcmp(us->v[i].email, r->email) == 0 && us->v[i].kind == IDG_USER_PERSON &&
		    us->v[i].status != IDG_USER_DELETED)
			break;
	if (i == us->n) {
		cli_csv_bad(&p->err, rec->line,
		    "user_not_found: no user %s in the tenant", r->email);
		return IDG_OK;
	}
	if (strlen(rec->fields[1]) > TYPE_MAX || !idg_utf8_text_valid(rec->fields[1])) {
		cli_csv_bad(&p->err, rec->line,
		    "the device type is text of at most %d bytes", TYPE_MAX);
		return IDG_OK;
	}
	if (rec->fields[2][0] == '\0' || strlen(rec->fields[2]) > IDENT_MAX ||
	    !idg_utf8_text_valid(rec->fields[2])) {
		cli_csv_bad(&p->err, rec->line,
		    "the device identifier is text of 1 to %d bytes", IDENT_MAX);
		return IDG_OK;
	}
	idg_strlcpy(r->type, rec->fields[1], sizeof(r->type));
	idg_strlcpy(r->ident, rec->fields[2], sizeof(r->ident));
	for (i = 0; i < p->n; i++) {
		if (strcmp(p->rows[i].email, r->email) == 0 &&
		    strcmp(p->rows[i].ident, r->ident) == 0) {
			cli_csv_bad(&p->err, rec->line,
			    "duplicate of line %d (%s, %s)", p->rows[i].line,
			    r->email, r->ident);
			return IDG_OK;
		}
	}
	p->n++;
	return IDG_OK;
}

static int
cmd_prereg(struct cli *c, int argc, char **argv)
{
	struct prereg p = { { NULL, 0, 0 }, NULL, 0, 0 };
	struct users us = { NULL, 0, 0 };
	struct idg_csv_record *rec = NULL;
	struct idg_tenant t;
	struct idg_csv csv;
	char *pos[1], *data = NULL, err[256], detail[96];
	size_t len = 0;
	int rc, st, i, nrec = 0, added = 0, known = 0;
	bool first = true;

	if ((rc = cli_tenant_args(c, argc, argv, NULL, 1, "cert prereg --tenant ID FILE.csv",
	    pos, &t)) != 0)
		return rc;
	p.err.file = pos[0];
	if ((data = slurp(p.err.file, PREREG_MAX_BYTES, "import_file_unreadable", &len, &rc)) ==
	    NULL)
		return rc;
	if ((rc = users_load(c, t.id, &us)) != 0)
		goto out;
	if ((rec = malloc(sizeof(*rec))) == NULL) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
		goto out;
	}
	idg_csv_init(&csv, data, len);
	while ((st = idg_csv_next(&csv, rec, err, sizeof(err))) != IDG_NOTFOUND) {
		if (++nrec > IDG_CSV_MAX_ROWS) {
			rc = cli_fail(IDG_EXIT_REFUSED, "import_too_large", "%s has more than %d"
			    " rows; split it", p.err.file, IDG_CSV_MAX_ROWS);
			goto out;
		}
		if (st == IDG_INVALID) {
			cli_csv_bad(&p.err, rec->line, "%s", err);
			first = false;
			continue;
		}
		if (first) {
			first = false;
			trim(rec->fields[0]);
			if (is_header(rec))
				continue;
		}
		if (prereg_record(&p, rec, &us) != IDG_OK) {
			rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
			goto out;
		}
	}
	if (p.err.nbad > 0) {
		cli_csv_bad_summary(&p.err);
		rc = cli_fail(IDG_EXIT_REFUSED, "import_invalid", "%d bad rows in %s; nothing"
		    " imported", p.err.nbad, p.err.file);
		goto out;
	}
	if (p.n == 0) {
		rc = cli_fail(IDG_EXIT_REFUSED, "import_invalid", "%s has no rows", p.err.file);
		goto out;
	}
	/* Every row is known good: only a store failure can stop the loop. */
	for (i = 0; i < p.n; i++) {
		st = idg_store_device_prereg_add(c->st, t.id, p.rows[i].email, p.rows[i].type,
		    p.rows[i].ident);
		if (st == IDG_EXISTS) {
			known++;
			continue;
		}
		if (st != IDG_OK) {
			fflush(stdout);
			fprintf(stderr, "%s:%d: not stored (%d rows before it were)\n", p.err.file,
			    p.rows[i].line, added);
			rc = cli_store_fail(st, "storing the pre-registered devices");
			goto out;
		}
		added++;
	}
	snprintf(detail, sizeof(detail), "added %d, %d already registered", added, known);
	cli_audit(c, t.id, "device.prereg", p.err.file, "ok", detail);
	printf("pre-registered %d devices from %s into tenant %s (%d already registered)\n",
	    added, p.err.file, t.company_id, known);
	rc = 0;
out:
	free(rec);
	free(p.rows);
	free(us.v);
	free(data);
	return rc;
}

/* requests, approve, reject */

struct reqs {
	struct idg_device_request	*v;
	int				 n, cap;
};

static int
reqs_row(void *arg, const struct idg_device_request *r)
{
	struct reqs *rs = arg;
	struct idg_device_request *nv;

	if ((nv = idg_grow(rs->v, rs->n, &rs->cap, sizeof(*nv), 16)) == NULL)
		return 1;
	rs->v = nv;
	rs->v[rs->n++] = *r;
	return 0;
}

static int
cmd_requests(struct cli *c, int argc, char **argv)
{
	struct users us = { NULL, 0, 0 };
	struct reqs rs = { NULL, 0, 0 };
	struct idg_tenant t;
	char *pos[1], when[32];
	json_t *arr = NULL;
	bool json = false;
	int rc, st, i;

	if ((rc = cli_tenant_args(c, argc, argv, &json, 0, "cert requests --tenant ID [--json]",
	    pos, &t)) != 0)
		return rc;
	if ((st = idg_store_device_request_list(c->st, t.id, reqs_row, &rs)) != IDG_OK) {
		free(rs.v);
		return cli_store_fail(st, "listing the requests");
	}
	if ((rc = users_load(c, t.id, &us)) != 0)
		goto out;
	if (json)
		arr = json_array();
	for (i = 0; i < rs.n; i++) {
		const struct idg_device_request *r = &rs.v[i];

		if (arr != NULL) {
			json_t *o = json_object();

			json_object_set_new(o, "id", json_integer(r->id));
			json_object_set_new(o, "user", json_string(users_email(&us, r->user_id)));
			json_object_set_new(o, "device_id", json_string(r->device_id));
			json_object_set_new(o, "device_name", json_string(r->device_name));
			json_object_set_new(o, "device_type", json_string(r->device_type));
			json_object_set_new(o, "device_identifier",
			    json_string(r->device_identifier));
			json_object_set_new(o, "created_at", cli_json_time(r->created_at));
			json_array_append_new(arr, o);
			continue;
		}
		if (i == 0)
			printf("%-8s %-32s %-20s %-10s %-20s %s\n", "ID", "USER", "DEVICE", "TYPE",
			    "IDENTIFIER", "CREATED");
		cli_time(r->created_at, when, sizeof(when));
		printf("%-8lld %-32s %-20s %-10s %-20s %s\n", (long long)r->id,
		    users_email(&us, r->user_id), r->device_name, dash(r->device_type),
		    dash(r->device_identifier), when);
	}
	if (arr != NULL)
		rc = cli_json_print(arr);
	else if (rs.n == 0)
		printf("no pending requests\n");
out:
	free(rs.v);
	free(us.v);
	return rc;
}

/* Loads a pending request: 0, or an exit code (printed). csr may be NULL. */
static int
load_request(struct cli *c, const struct idg_tenant *t, const char *id_s,
    struct idg_device_request *r, uint8_t **csr, size_t *csr_len)
{
	uint8_t *der = NULL;
	size_t len = 0;
	long id;
	int st;

	if (idg_parse_long(id_s, 1, LONG_MAX, &id) != IDG_OK)
		return cli_fail(IDG_EXIT_USAGE, "usage", "a request ID is a number, not \"%s\"",
		    id_s);
	st = idg_store_device_request_get(c->st, t->id, id, r, &der, &len);
	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "request_not_found", "no request %ld in tenant"
		    " %s", id, t->company_id);
	if (st != IDG_OK)
		return cli_store_fail(st, "reading the request");
	if (r->status != 0) {
		free(der);
		return cli_fail(IDG_EXIT_REFUSED, "request_decided", "request %ld was %s already",
		    id, r->status == 1 ? "approved" : "rejected");
	}
	if (csr != NULL) {
		*csr = der;
		*csr_len = len;
	} else {
		free(der);
	}
	return 0;
}

static int
cmd_approve(struct cli *c, int argc, char **argv)
{
	struct idg_devices_req req;
	struct idg_devcert_issued issued;
	struct idg_device_request r;
	struct idg_devcert rec;
	struct idg_tenant t;
	struct idg_user u;
	EVP_PKEY *pub = NULL;
	uint8_t *csr = NULL;
	size_t csr_len = 0;
	char *pos[1], err[256], detail[200];
	int rc, st, why = IDG_DEVREF_NONE, valid_now = 0;
	int64_t now = idg_now();

	memset(&issued, 0, sizeof(issued));
	if ((rc = cli_tenant_args(c, argc, argv, NULL, 1, "cert approve --tenant ID REQUEST_ID",
	    pos, &t)) != 0)
		return rc;
	if ((rc = need_master_key(c)) != 0 ||
	    (rc = load_request(c, &t, pos[0], &r, &csr, &csr_len)) != 0)
		return rc;
	st = idg_store_user_get(c->st, t.id, r.user_id, &u);
	if (st != IDG_OK) {
		free(csr);
		return st == IDG_NOTFOUND ? cli_fail(IDG_EXIT_REFUSED, "user_not_found", "the"
		    " user of request %lld is gone; reject it", (long long)r.id) :
		    cli_store_fail(st, "reading the user");
	}
	if (idg_csr_parse(csr, csr_len, &pub, err, sizeof(err)) != IDG_OK) {
		free(csr);
		return cli_fail(IDG_EXIT_REFUSED, "invalid_csr", "request %lld: %s; reject it",
		    (long long)r.id, err);
	}
	free(csr);
	req.user_id = r.user_id;
	req.device_name = r.device_name;
	req.device_type = r.device_type;
	req.device_identifier = r.device_identifier;
	req.enrolled_by = "api";
	st = idg_devices_issue(c->st, c->cfg->master_key, t.id, t.company_id, &req, pub, now,
	    &rec, &issued, &why, &valid_now);
	if (st == IDG_DECLINED) {
		rc = issue_refused(c, &t, &u, why, valid_now, now);
		goto out;
	}
	if (st != IDG_OK) {
		rc = issue_failed(st, &u);
		goto out;
	}
	st = idg_store_device_request_decide(c->st, t.id, r.id, 1, rec.serial, "cli", now);
	if (st != IDG_OK) {
		/* Decided by someone else meanwhile: the second certificate must not stay. */
		idg_devices_revoke(c->st, c->cfg->master_key, t.id, rec.serial, 0, "cli", now);
		rc = st == IDG_DECLINED ? cli_fail(IDG_EXIT_REFUSED, "request_decided", "request"
		    " %lld was decided meanwhile; certificate %s revoked", (long long)r.id,
		    rec.serial) : cli_store_fail(st, "recording the decision");
		goto out;
	}
	snprintf(detail, sizeof(detail), "request %lld, serial %s, device \"%s\"",
	    (long long)r.id, rec.serial, r.device_name);
	cli_audit(c, t.id, "device.approve", u.email, "ok", detail);
	printf("request %lld approved: certificate %s issued to %s for device \"%s\"; the user"
	    " downloads it from the portal\n", (long long)r.id, rec.serial, u.email,
	    r.device_name);
	rc = 0;
out:
	idg_devcert_issued_free(&issued);
	EVP_PKEY_free(pub);
	return rc;
}

static int
cmd_reject(struct cli *c, int argc, char **argv)
{
	struct idg_device_request r;
	struct idg_tenant t;
	struct idg_user u;
	char *pos[1], detail[160];
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, NULL, 1, "cert reject --tenant ID REQUEST_ID",
	    pos, &t)) != 0)
		return rc;
	if ((rc = load_request(c, &t, pos[0], &r, NULL, NULL)) != 0)
		return rc;
	if (idg_store_user_get(c->st, t.id, r.user_id, &u) != IDG_OK)
		idg_strlcpy(u.email, "?", sizeof(u.email));
	st = idg_store_device_request_decide(c->st, t.id, r.id, 2, "", "cli", idg_now());
	if (st == IDG_DECLINED)
		return cli_fail(IDG_EXIT_REFUSED, "request_decided", "request %lld was decided"
		    " meanwhile", (long long)r.id);
	if (st != IDG_OK)
		return cli_store_fail(st, "recording the decision");
	snprintf(detail, sizeof(detail), "request %lld, device \"%s\"", (long long)r.id,
	    r.device_name);
	cli_audit(c, t.id, "device.reject", u.email, "ok", detail);
	printf("request %lld rejected\n", (long long)r.id);
	return 0;
}

int
cli_cert(struct cli *c, int argc, char **argv)
{
	const char *verb = argv[0];

	if (strcmp(verb, "license") == 0)
		return cmd_license(c, argc - 1, argv + 1);
	if (strcmp(verb, "assign") == 0)
		return cmd_assign(c, argc - 1, argv + 1, true);
	if (strcmp(verb, "unassign") == 0)
		return cmd_assign(c, argc - 1, argv + 1, false);
	if (strcmp(verb, "issue") == 0)
		return cmd_issue(c, argc - 1, argv + 1);
	if (strcmp(verb, "list") == 0)
		return cmd_list(c, argc - 1, argv + 1);
	if (strcmp(verb, "report") == 0)
		return cmd_report(c, argc - 1, argv + 1);
	if (strcmp(verb, "revoke") == 0)
		return cmd_revoke(c, argc - 1, argv + 1);
	if (strcmp(verb, "ca") == 0)
		return cmd_ca(c, argc - 1, argv + 1);
	if (strcmp(verb, "crl") == 0)
		return cmd_crl(c, argc - 1, argv + 1);
	if (strcmp(verb, "prereg") == 0)
		return cmd_prereg(c, argc - 1, argv + 1);
	if (strcmp(verb, "requests") == 0)
		return cmd_requests(c, argc - 1, argv + 1);
	if (strcmp(verb, "approve") == 0)
		return cmd_approve(c, argc - 1, argv + 1);
	if (strcmp(verb, "reject") == 0)
		return cmd_reject(c, argc - 1, argv + 1);
	return cli_fail(IDG_EXIT_USAGE, "usage", "unknown cert command \"%s\" (license, assign,"
	    " unassign, issue, list, report, revoke, ca, crl, prereg, requests, approve,"
	    " reject)", verb);
}
