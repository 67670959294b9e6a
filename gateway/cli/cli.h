/*
 * cli.h - the administrative subcommands of the idgate binary: migrate,
 * tenant, user, group, audit, oidc, policy, billing, report, cert (the daemon
 * itself and check-config live in main.c), and `enroll`, the device
 * enrolment client, which reads no configuration (cfg may be NULL for it).
 *
 * They run against the store named in the configuration, in-process and
 * blocking; a running gateway sees the change within a second through the
 * store generation. Every change writes an audit event (actor "cli").
 * Output is for people by default and one JSON document with --json.
 *
 * Exit codes scripts rely on:
 *   0 done; 1 refused by a rule or not found (the stable error code is
 *   printed, e.g. "error: license_pool_exhausted: ..."); 2 usage error;
 *   3 store unavailable or internal failure.
 */
#ifndef IDG_CLI_H
#define IDG_CLI_H

struct idg_config;

enum { IDG_EXIT_OK = 0, IDG_EXIT_REFUSED = 1, IDG_EXIT_USAGE = 2, IDG_EXIT_FAILURE = 3 };

/* argv[0] is the subcommand ("tenant", "user", ...). Returns an exit code. */
int	idg_cli_run(const struct idg_config *cfg, int argc, char **argv);
/* Whether name is a subcommand idg_cli_run handles. */
int	idg_cli_handles(const char *name);
/* Prints the usage of every subcommand it handles to stdout. */
void	idg_cli_usage(void);

#endif
