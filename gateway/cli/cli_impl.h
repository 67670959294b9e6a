/*
 * cli_impl.h - private to gateway/cli: the state one subcommand runs with
 * and the helpers the subcommand files share (option parsing, error
 * messages, audit events, JSON output, secret input).
 *
 * Not a public interface: main.c uses cli.h only. Every helper that prints
 * an error prints exactly one "error: <code>: <sentence>" line on stderr
 * and returns the exit code of cli.h to pass up.
 */
#ifndef IDG_CLI_IMPL_H
#define IDG_CLI_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cli.h"
#include "../store/store.h"

struct idg_config;

struct cli {
	const struct idg_config	*cfg;
	struct idg_store	*st;	/* opened by cli_open on first need */
};

/* One accepted option of a subcommand; value options take the next argument or "=v". */
struct cli_opt {
	const char	*name;		/* "--tenant" */
	const char	**value;	/* non-NULL: an option with a value */
	bool		*flag;		/* non-NULL: a flag */
};

/*
 * An app's assignments as `oidc client show` and `saml app show` print
 * them: with arr set, one {"kind", "email"|"group"} object each appended to
 * it; else "assigned:" lines on stdout. The callback of the store's
 * *_assignments functions; arg is a struct cli_assignments.
 */
struct cli_assignments {
	json_t	*arr;
	int	 n;
};
int	cli_assignment_row(void *arg, const char *kind, const char *who);

/*
 * The bad rows of a CSV import: cli_csv_bad counts one and prints it as
 * FILE:LINE: message (only the first IDG_CSV_MAX_ERRORS of them);
 * cli_csv_bad_summary prints "FILE: ... and N more bad rows" when some
 * were not printed.
 */
struct cli_csv_errors {
	const char	*file;
	int		 nbad, nprinted;
};
void	cli_csv_bad(struct cli_csv_errors *e, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	cli_csv_bad_summary(const struct cli_csv_errors *e);

/*
 * Repeatable options (--redirect-uri ..., --acs ...): cli_split_multi takes
 * them out of argv (at most CLI_MAX_ARGS arguments) into m[0..nm), leaving
 * the rest in rest[0..*nrest) for cli_parse, which accepts each option once.
 * Values of the single options are skipped, so "--name --redirect-uri" keeps
 * its meaning. Returns 0 or IDG_EXIT_USAGE (printed).
 */
#define CLI_MAX_ARGS	128
struct cli_multi {
	const char	*name;
	const char	**vals;
	int		 max;
	int		 n;
};

int	cli_split_multi(int argc, char **argv, const struct cli_opt *single, struct cli_multi *m,
	    int nm, char **rest, int *nrest);

/*
 * Parses argv[0..argc) against opts (NULL-name terminated); positional
 * arguments go to pos[0..maxpos). Returns 0 or IDG_EXIT_USAGE (printed).
 */
int	cli_parse(int argc, char **argv, const struct cli_opt *opts, char **pos,
	    int maxpos, int *npos);
/* Prints "error: code: sentence" on stderr and returns exit. */
int	cli_fail(int exit, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Opens the store and checks its schema is current. 0 or an exit code (printed). */
int	cli_open(struct cli *c);
/* Maps a store status that no caller-specific message covers to an exit code (printed). */
int	cli_store_fail(int st, const char *what);
/*
 * Looks a live tenant up: 0, or an exit code with tenant_not_found (or
 * tenant_cancelled: a cancelled tenant takes no more changes) printed.
 */
int	cli_tenant_find(struct cli *c, const char *company_id, struct idg_tenant *t);
/* The same, cancelled tenants included (reports, billing, audit). */
int	cli_tenant_find_any(struct cli *c, const char *company_id, struct idg_tenant *t);
/*
 * The common form "--tenant ID [--json] POS...": parses it (json NULL: no
 * --json), needs exactly want positional arguments (printing usage
 * otherwise), opens the store and finds the tenant. 0 or an exit code.
 */
int	cli_tenant_args(struct cli *c, int argc, char **argv, bool *json, int want,
	    const char *usage, char **pos, struct idg_tenant *t);
/* Appends an audit event with actor "cli"; a failure is printed as a warning only. */
void	cli_audit(struct cli *c, int64_t tenant_id, const char *action, const char *target,
	    const char *result, const char *detail);
/* Prints doc as one JSON document on stdout and releases it. Returns 0 or 3. */
int	cli_json_print(json_t *doc);
/* UTC ISO 8601 time, or "-" for 0. */
void	cli_time(int64_t t, char *out, size_t outsz);
/* JSON time: an ISO string, or null for 0. New reference. */
json_t	*cli_json_time(int64_t t);
/*
 * Reads the first line of path ("-" = stdin) into out, without the line end.
 * 0, or IDG_EXIT_USAGE (printed) for an unreadable, empty or too long line.
 * out is wiped on failure.
 */
int	cli_read_secret(const char *path, char *out, size_t outsz);
/* Checks pw against the configured policy: 0, or IDG_EXIT_REFUSED (printed). */
int	cli_policy_check(struct cli *c, const char *pw);
const char *cli_user_status(int status);
const char *cli_user_kind(int kind);
const char *cli_tenant_status(int status);

int	cli_tenant(struct cli *c, int argc, char **argv);
int	cli_user(struct cli *c, int argc, char **argv);
int	cli_group(struct cli *c, int argc, char **argv);
/* argv[0] is "key" or "client", argv[1] the verb (may be absent). */
int	cli_oidc(struct cli *c, int argc, char **argv);
/* argv[0] is the verb: set, show, require-mfa, test. */
int	cli_policy(struct cli *c, int argc, char **argv);
/* argv[0] is the verb: export. */
int	cli_billing(struct cli *c, int argc, char **argv);
/* argv[0] is the verb: due, generate, list, show. */
int	cli_report(struct cli *c, int argc, char **argv);
/* cli_cert.c: argv[0] is the verb (license, assign, issue, list, ...). */
int	cli_cert(struct cli *c, int argc, char **argv);
/* cli_saml.c: argv[0] is "key", "app" (then the verb) or "metadata". */
int	cli_saml(struct cli *c, int argc, char **argv);
/* cli_enroll.c: the enrolment client; argv holds its options. Needs no config. */
int	cli_enroll(int argc, char **argv);
struct idg_jp_overrides;
/*
 * The holiday overrides of the configuration (holidays_override_file), or
 * *ov = NULL when there is no such file. 0 or an exit code (printed) for an
 * unreadable or invalid file.
 */
int	cli_load_holidays(struct cli *c, struct idg_jp_overrides **ov);

#endif
