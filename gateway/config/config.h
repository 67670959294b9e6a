/*
 * config.h - idgate's configuration (libconfig syntax), loaded and validated
 * into one plain struct.
 *
 * Every key the code reads is listed once in the key table of config.c,
 * with its type, default and bounds; conf/idgate.conf.example documents
 * each (tests/unit/config checks both agree). Unknown keys are errors, so a
 * typo never silently falls back to a default. Errors read
 * "FILE:LINE: message". Paths in the file are taken relative to the file's
 * own folder. Secrets (Redis password, master key) are read from the files
 * the config names, never written in it.
 */
#ifndef IDG_CONFIG_H
#define IDG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/cidr.h"
#include "../../idp-adapters/local/password.h"

#define IDG_MAX_LISTENERS 8
#define IDG_MAX_PROXIES 32
#define IDG_MASTER_KEY_LEN 32
#define IDG_CONFIG_MAX_WORKERS 64

/* A list of addresses / CIDR blocks from the config. */
struct idg_cidr_list {
	struct idg_cidr	v[IDG_MAX_PROXIES];
	int		n;
};

/* Whether ip is in the list. */
bool	idg_cidr_list_match(const struct idg_cidr_list *l, const struct idg_ip *ip);

struct idg_listener_config {
	char	address[64];
	int	port;
	bool	tls;
	char	cert_file[512];
	char	key_file[512];
	bool	client_certificates;	/* request (never require) a client cert */
};

struct idg_config {
	char	path[512];		/* the file this came from */

	struct idg_listener_config listeners[IDG_MAX_LISTENERS];
	int	nlisteners;
	int	workers;		/* resolved: never 0 after load */
	char	public_url[256];	/* e.g. https://id.example.com; used in links */
	/*
	 * The base URL of the device-check listener (client_certificates);
	 * "" = public_url's scheme and host with that listener's port. Empty
	 * after load when no listener asks for client certificates.
	 */
	char	device_url[256];

	/* http */
	int	max_header_bytes;
	int	max_body_bytes;
	int	request_timeout_s;
	int	drain_timeout_s;

	/* redis */
	char	redis_host[256];
	int	redis_port;
	char	redis_unix_socket[512];
	int	redis_database;
	char	redis_password_file[512];
	char	redis_password[256];	/* read from redis_password_file */
	int	redis_connect_timeout_ms;
	int	redis_command_timeout_ms;

	/* store */
	char	store_driver[32];
	char	sqlite_path[512];
	int	store_busy_timeout_ms;
	int	directory_refresh_ms;
	int	maintenance_interval_s;	/* account upkeep (unused-account suspension) */

	char	holidays_override_file[512];	/* one-off holiday changes */

	/* billing and reports */
	bool	reports_enabled;	/* the server makes each month's reports */
	int	audit_retention_days;	/* audit and sign-in log kept this long */
	char	operator_token_file[512];	/* "" = no operator API */
	uint8_t	operator_token_sha256[32];	/* of the token in operator_token_file */
	bool	operator_token_loaded;

	/* keys */
	char	master_key_file[512];
	uint8_t	master_key[IDG_MASTER_KEY_LEN];	/* read from master_key_file */
	bool	master_key_loaded;

	/* session */
	int	session_idle_timeout_s;
	int	session_absolute_lifetime_s;

	/* password and sign-in */
	struct idg_argon2_params	argon2;
	struct idg_password_policy	password_policy;
	int	signin_max_failures;
	int	signin_lockout_s;
	int	signin_rate_ip_per_min;
	int	signin_rate_account_per_min;

	/* work pool */
	int	pool_threads;
	int	pool_max_queue;

	/* log */
	bool	log_json;
	char	log_format[8];
	char	log_level[16];
	char	access_log[512];	/* "-" = stdout, "" = off, else a file */

	struct idg_cidr_list trusted_proxies;	/* X-Forwarded-For believed from these */
	struct idg_cidr_list metrics_allow;	/* who may read /metrics */
};

/* Fills every default (no file read). */
void	idg_config_defaults(struct idg_config *c);
/*
 * Loads and validates path into c (defaults first). With load_secrets, the
 * master key and Redis password files are read too (serve needs them;
 * check-config checks they are readable). Returns IDG_OK, or IDG_INVALID
 * with a "FILE:LINE: message" in err.
 */
int	idg_config_load(struct idg_config *c, const char *path, bool load_secrets,
	    char *err, size_t errsz);
/* Same from a string (fuzzing, tests); name stands in for the file name. */
int	idg_config_load_string(struct idg_config *c, const char *text, const char *name,
	    bool load_secrets, char *err, size_t errsz);
/* The n-th key path the loader knows ("redis.port"), or NULL past the end. */
const char *idg_config_key_at(unsigned n);
/* Sets up the diagnostic log (format, level) for this process. */
void	idg_config_apply_log(const struct idg_config *c, const char *component);
/* Wipes secrets held in c. */
void	idg_config_wipe(struct idg_config *c);

struct idg_redis_config;
/* The Redis settings of c (pointers into c), for the event-loop and the blocking clients. */
void	idg_config_redis(const struct idg_config *c, struct idg_redis_config *rc);

#endif
