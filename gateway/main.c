/*
 * main.c - the idgate binary: `serve`, `check-config`, `version`, and the
 * administrative subcommands of gateway/cli.
 *
 * Only argument handling lives here: the daemon is in http/master.c, the
 * admin commands in cli/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "cli/cli.h"
#include "config/config.h"
#include "http/master.h"
#include "http/tls.h"
#include "store/store.h"
#include "util/log.h"
#include "util/status.h"

#define DEFAULT_CONFIG "conf/idgate.conf"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: idgate COMMAND [-c CONFIG] [ARGS]\n"
	    "\n"
	    "  serve                 run the gateway (master + workers)\n"
	    "  check-config          validate the configuration and exit\n"
	    "  version               print the version\n"
	    "\n"
	    "CONFIG defaults to $IDGATE_CONFIG, else " DEFAULT_CONFIG ".\n\n");
	if (f == stdout)
		idg_cli_usage();
}

/* Removes "-c FILE" / "--config FILE" from argv; returns the path or NULL. */
static const char *
take_config(int *argc, char **argv)
{
	const char *path = NULL;
	int i, j;

	for (i = 1; i < *argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
		    i + 1 < *argc) {
			path = argv[i + 1];
			for (j = i; j + 2 <= *argc; j++)
				argv[j] = argv[j + 2];
			*argc -= 2;
			i--;
		}
	}
	return path;
}

/* Checks what loading alone cannot: TLS files pair up, the store driver exists. */
static int
deep_check(const struct idg_config *cfg)
{
	char err[600];
	int i;

	for (i = 0; i < cfg->nlisteners; i++) {
		const struct idg_listener_config *l = &cfg->listeners[i];
		SSL_CTX *ctx;

		if (!l->tls)
			continue;
		ctx = idg_tls_server_ctx(l->cert_file, l->key_file, l->client_certificates, err,
		    sizeof(err));
		if (ctx == NULL) {
			fprintf(stderr, "%s:0: listener %d: %s\n", cfg->path, i + 1, err);
			return 1;
		}
		SSL_CTX_free(ctx);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct idg_config *cfg;
	const char *path, *cmd;
	char err[768];
	int rc;

	path = take_config(&argc, argv);
	if (path == NULL)
		path = getenv("IDGATE_CONFIG");
	if (path == NULL)
		path = DEFAULT_CONFIG;
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("idgate %s\n", IDGATE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "check-config") != 0 &&
	    !idg_cli_handles(cmd)) {
		fprintf(stderr, "idgate: unknown command \"%s\"\n", cmd);
		usage(stderr);
		return 2;
	}
	/* The enrolment client runs on a device: it reads no configuration. */
	if (strcmp(cmd, "enroll") == 0)
		return idg_cli_run(NULL, argc - 1, argv + 1);
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return 3;
	/*
	 * serve and check-config need the secrets, and so do "oidc" (it seals
	 * signing keys), "cert" (the device CA's key) and "tenant" (a new
	 * tenant gets its device CA); the other admin commands do not.
	 */
	if (idg_config_load(cfg, path, strcmp(cmd, "serve") == 0 ||
	    strcmp(cmd, "check-config") == 0 || strcmp(cmd, "oidc") == 0 ||
	    strcmp(cmd, "cert") == 0 || strcmp(cmd, "tenant") == 0 ||
	    strcmp(cmd, "saml") == 0, err, sizeof(err)) != IDG_OK) {
		fprintf(stderr, "%s\n", err);
		free(cfg);
		return strcmp(cmd, "check-config") == 0 ? 1 : 2;
	}
	idg_config_apply_log(cfg, "idgate");
	if (strcmp(cmd, "check-config") == 0) {
		rc = deep_check(cfg);
		if (rc == 0)
			printf("configuration OK\n");
	} else if (strcmp(cmd, "serve") == 0) {
		idg_config_apply_log(cfg, "master");
		rc = idg_master_run(cfg);
	} else {
		rc = idg_cli_run(cfg, argc - 1, argv + 1);
	}
	idg_config_wipe(cfg);
	free(cfg);
	return rc;
}
