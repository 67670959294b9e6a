/*
 * config.c - loads conf/idgate.conf (libconfig syntax) into struct
 * idg_config; see config.h.
 *
 * The key table below is the single list of every key the code reads, with
 * its type, default and bounds. Loading is: defaults from the table, then
 * each key found in the file, then cross-checks (listeners, TLS files,
 * secrets). Any key not in the table is an error. This file does not open
 * sockets or connect anywhere.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/crypto.h"
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"
#include "../session/redis.h"

enum ktype { K_INT, K_U32, K_BOOL, K_STR, K_PATH, K_LISTENERS, K_CIDRS, K_ENUM };

struct key {
	const char	*path;
	enum ktype	 type;
	size_t		 off;
	size_t		 size;		/* strings: array size */
	long		 min, max;	/* ints */
	long		 idef;
	const char	*sdef;
	const char	*choices;	/* K_ENUM: "a|b|c" */
};

#define F(m) offsetof(struct idg_config, m), sizeof(((struct idg_config *)0)->m)
#define INT(p, m, lo, hi, d) { p, K_INT, F(m), lo, hi, d, NULL, NULL }
#define U32(p, m, lo, hi, d) { p, K_U32, F(m), lo, hi, d, NULL, NULL }
#define BOOL(p, m, d) { p, K_BOOL, F(m), 0, 1, d, NULL, NULL }
#define STR(p, m, d) { p, K_STR, F(m), 0, 0, 0, d, NULL }
#define PATH(p, m, d) { p, K_PATH, F(m), 0, 0, 0, d, NULL }
#define ENUM(p, m, d, c) { p, K_ENUM, F(m), 0, 0, 0, d, c }

static const struct key keys[] = {
	{ "listeners", K_LISTENERS, 0, 0, 0, 0, 0, NULL, NULL },
	INT("workers", workers, 0, IDG_CONFIG_MAX_WORKERS, 0),
	STR("public_url", public_url, "https://localhost:8443"),
	STR("device_url", device_url, ""),
	INT("http.max_header_bytes", max_header_bytes, 1024, 1 << 20, 16384),
	INT("http.max_body_bytes", max_body_bytes, 1024, 16 << 20, 65536),
	INT("http.request_timeout_s", request_timeout_s, 1, 3600, 30),
	INT("http.drain_timeout_s", drain_timeout_s, 0, 3600, 10),
	{ "http.metrics_allow", K_CIDRS, F(metrics_allow), 0, 0, 0, "127.0.0.1/32 ::1/128", NULL },
	STR("redis.host", redis_host, "127.0.0.1"),
	INT("redis.port", redis_port, 1, 65535, 6379),
	PATH("redis.unix_socket", redis_unix_socket, ""),
	INT("redis.database", redis_database, 0, 1023, 0),
	PATH("redis.password_file", redis_password_file, ""),
	INT("redis.connect_timeout_ms", redis_connect_timeout_ms, 10, 60000, 1000),
	INT("redis.command_timeout_ms", redis_command_timeout_ms, 10, 60000, 500),
	ENUM("store.driver", store_driver, "sqlite", "sqlite"),
	PATH("store.sqlite_path", sqlite_path, "idgate.db"),
	INT("store.busy_timeout_ms", store_busy_timeout_ms, 0, 600000, 5000),
	INT("store.directory_refresh_ms", directory_refresh_ms, 50, 60000, 500),
	INT("store.maintenance_interval_s", maintenance_interval_s, 1, 86400, 3600),
	PATH("master_key_file", master_key_file, "master.key"),
	PATH("holidays_override_file", holidays_override_file, "holidays-override.txt"),
	BOOL("reports.enabled", reports_enabled, 1),
	INT("retention.audit_days", audit_retention_days, 30, 36500, 365),
	PATH("operator.token_file", operator_token_file, ""),
	INT("session.idle_timeout_s", session_idle_timeout_s, 60, 86400 * 30, 1800),
	INT("session.absolute_lifetime_s", session_absolute_lifetime_s, 60, 86400 * 90, 43200),
	U32("password.argon2_t_cost", argon2.t_cost, 1, 64, 2),
	U32("password.argon2_m_cost_kib", argon2.m_cost_kib, 8, 4 << 20, 19456),
	U32("password.argon2_parallelism", argon2.parallelism, 1, 16, 1),
	INT("password.min_length", password_policy.min_length, 1, 128, 8),
	INT("password.max_length", password_policy.max_length, 8, 1024, 256),
	BOOL("password.require_upper", password_policy.require_upper, 1),
	BOOL("password.require_lower", password_policy.require_lower, 1),
	BOOL("password.require_digit", password_policy.require_digit, 1),
	BOOL("password.require_symbol", password_policy.require_symbol, 1),
	INT("signin.max_failures", signin_max_failures, 1, 1000, 5),
	INT("signin.lockout_s", signin_lockout_s, 1, 86400 * 30, 900),
	INT("signin.rate_limit_ip_per_min", signin_rate_ip_per_min, 1, 1000000, 60),
	INT("signin.rate_limit_account_per_min", signin_rate_account_per_min, 1, 1000000, 10),
	INT("work_pool.threads", pool_threads, 1, 256, 2),
	INT("work_pool.max_queue", pool_max_queue, 1, 1 << 20, 1024),
	ENUM("log.format", log_format, "json", "json|text"),
	ENUM("log.level", log_level, "info", "debug|info|warn|error"),
	PATH("log.access_log", access_log, "-"),
	{ "trusted_proxies", K_CIDRS, F(trusted_proxies), 0, 0, 0, "", NULL },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Keys inside each element of the listeners list. */
static const char *const listener_keys[] = {
	"address", "port", "tls", "cert", "key", "client_certificates",
};
#define NLKEYS (sizeof(listener_keys) / sizeof(listener_keys[0]))

const char *
idg_config_key_at(unsigned n)
{
	static char buf[64];

	if (n < NKEYS)
		return keys[n].path;
	n -= NKEYS;
	if (n < NLKEYS) {
		snprintf(buf, sizeof(buf), "listeners.%s", listener_keys[n]);
		return buf;
	}
	return NULL;
}

static void
set_int(struct idg_config *c, const struct key *k, long v)
{
	char *p = (char *)c + k->off;

	if (k->type == K_U32)
		*(uint32_t *)(void *)p = (uint32_t)v;
	else
		*(int *)(void *)p = (int)v;
}

/* Whether v is one of the '|'-separated words of choices. */
static bool
in_choices(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	while (p != NULL && *p != '\0') {
		const char *bar = strchr(p, '|');
		size_t w = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (w == n && strncmp(p, v, n) == 0)
			return true;
		p = bar != NULL ? bar + 1 : NULL;
	}
	return false;
}

void
idg_config_defaults(struct idg_config *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		char *p = (char *)c + k->off;

		switch (k->type) {
		case K_INT:
		case K_U32:
			set_int(c, k, k->idef);
			break;
		case K_BOOL:
			*(bool *)p = k->idef != 0;
			break;
		case K_STR:
		case K_PATH:
		case K_ENUM:
			idg_strlcpy(p, k->sdef, k->size);
			break;
		case K_CIDRS: {
			struct idg_cidr_list *l = (struct idg_cidr_list *)(void *)p;
			const char *d = k->sdef;

			while (*d != '\0' && l->n < IDG_MAX_PROXIES) {
				char one[64];
				size_t n = strcspn(d, " ");

				snprintf(one, sizeof(one), "%.*s", (int)n, d);
				if (idg_cidr_parse(one, &l->v[l->n]) == IDG_OK)
					l->n++;
				d += n;
				while (*d == ' ')
					d++;
			}
			break;
		}
		default:
			break;
		}
	}
	c->log_json = true;
}

static int
fail(char *err, size_t errsz, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
fail(char *err, size_t errsz, const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errsz, "%s:%d: %s", file, line, msg);
	return IDG_INVALID;
}

/* Joins a relative path onto the config file's folder. */
static int
resolve_path(char *dst, size_t dstsz, const char *base_dir, const char *v)
{
	int n;

	if (v[0] == '\0' || v[0] == '/' || strcmp(v, "-") == 0 || base_dir[0] == '\0')
		n = snprintf(dst, dstsz, "%s", v);
	else
		n = snprintf(dst, dstsz, "%s/%s", base_dir, v);
	return (n < 0 || (size_t)n >= dstsz) ? IDG_INVALID : IDG_OK;
}

static int
setting_path(const config_setting_t *s, char *out, size_t outsz)
{
	const config_setting_t *chain[16];
	int n = 0, i;
	size_t o = 0;

	for (; s != NULL && config_setting_parent(s) != NULL && n < 16;
	    s = config_setting_parent(s))
		chain[n++] = s;
	out[0] = '\0';
	for (i = n - 1; i >= 0; i--) {
		const char *name = config_setting_name(chain[i]);
		if (name == NULL)	/* list element: drop the index */
			continue;
		int w = snprintf(out + o, outsz - o, "%s%s", o ? "." : "", name);
		if (w < 0 || (size_t)w >= outsz - o)
			return -1;
		o += (size_t)w;
	}
	return 0;
}

static bool
known_path(const char *p)
{
	unsigned i;
	const char *k;

	for (i = 0; (k = idg_config_key_at(i)) != NULL; i++)
		if (strcmp(k, p) == 0)
			return true;
	return false;
}

/* Reports any setting whose path is not in the key table. */
static int
check_unknown(const config_setting_t *s, const char *file, char *err, size_t errsz)
{
	int i, n;

	if (config_setting_is_aggregate(s) && (config_setting_parent(s) == NULL ||
	    config_setting_is_group(s) || config_setting_is_list(s))) {
		char p[128];

		if (config_setting_parent(s) != NULL) {
			setting_path(s, p, sizeof(p));
			if (config_setting_is_list(s) && known_path(p) && strcmp(p, "listeners") == 0)
				goto children;
			if (config_setting_is_group(s) && config_setting_name(s) == NULL)
				goto children;	/* a listener element */
			if (known_path(p))
				return IDG_OK;
		}
children:
		n = config_setting_length(s);
		for (i = 0; i < n; i++) {
			int st = check_unknown(config_setting_get_elem(s, (unsigned)i), file,
			    err, errsz);
			if (st != IDG_OK)
				return st;
		}
		return IDG_OK;
	}
	{
		char p[128];

		if (setting_path(s, p, sizeof(p)) != 0 || !known_path(p))
			return fail(err, errsz, file, config_setting_source_line(s),
			    "unknown key \"%s\"", p);
	}
	return IDG_OK;
}

static int
load_listeners(struct idg_config *c, const config_setting_t *ls, const char *file,
    const char *dir, char *err, size_t errsz)
{
	int i, n;

	if (!config_setting_is_list(ls))
		return fail(err, errsz, file, config_setting_source_line(ls),
		    "listeners must be a list ( { ... }, ... )");
	n = config_setting_length(ls);
	if (n < 1 || n > IDG_MAX_LISTENERS)
		return fail(err, errsz, file, config_setting_source_line(ls),
		    "listeners must have 1 to %d entries", IDG_MAX_LISTENERS);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(ls, (unsigned)i);
		struct idg_listener_config *l = &c->listeners[i];
		const char *sv;
		int iv, line = config_setting_source_line(e);

		memset(l, 0, sizeof(*l));
		idg_strlcpy(l->address, "127.0.0.1", sizeof(l->address));
		l->tls = true;
		if (!config_setting_is_group(e))
			return fail(err, errsz, file, line, "each listener must be a group { ... }");
		if (config_setting_lookup_string(e, "address", &sv) == CONFIG_TRUE) {
			struct idg_ip ip;
			if (idg_ip_parse(sv, &ip) != IDG_OK)
				return fail(err, errsz, file, line,
				    "listener address \"%s\" is not an IP address", sv);
			idg_strlcpy(l->address, sv, sizeof(l->address));
		}
		if (config_setting_lookup_int(e, "port", &iv) != CONFIG_TRUE || iv < 1 ||
		    iv > 65535)
			return fail(err, errsz, file, line,
			    "listener port must be an integer from 1 to 65535");
		l->port = iv;
		if (config_setting_lookup_bool(e, "tls", &iv) == CONFIG_TRUE)
			l->tls = iv != 0;
		if (config_setting_lookup_bool(e, "client_certificates", &iv) == CONFIG_TRUE)
			l->client_certificates = iv != 0;
		if (config_setting_lookup_string(e, "cert", &sv) == CONFIG_TRUE &&
		    resolve_path(l->cert_file, sizeof(l->cert_file), dir, sv) != IDG_OK)
			return fail(err, errsz, file, line, "cert path too long");
		if (config_setting_lookup_string(e, "key", &sv) == CONFIG_TRUE &&
		    resolve_path(l->key_file, sizeof(l->key_file), dir, sv) != IDG_OK)
			return fail(err, errsz, file, line, "key path too long");
		if (l->tls && (l->cert_file[0] == '\0' || l->key_file[0] == '\0'))
			return fail(err, errsz, file, line,
			    "a TLS listener needs both cert and key");
		if (l->tls && access(l->cert_file, R_OK) != 0)
			return fail(err, errsz, file, line, "cannot read cert \"%s\": %s",
			    l->cert_file, strerror(errno));
		if (l->tls && access(l->key_file, R_OK) != 0)
			return fail(err, errsz, file, line, "cannot read key \"%s\": %s",
			    l->key_file, strerror(errno));
		if (l->client_certificates && !l->tls)
			return fail(err, errsz, file, line,
			    "client_certificates needs a TLS listener");
	}
	c->nlisteners = n;
	return IDG_OK;
}

static int
load_cidrs(struct idg_cidr_list *l, const char *name, const config_setting_t *s,
    const char *file, char *err, size_t errsz)
{
	int i, n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return fail(err, errsz, file, config_setting_source_line(s),
		    "%s must be an array of CIDR strings", name);
	n = config_setting_length(s);
	if (n > IDG_MAX_PROXIES)
		return fail(err, errsz, file, config_setting_source_line(s),
		    "at most %d entries in %s", IDG_MAX_PROXIES, name);
	for (i = 0; i < n; i++) {
		const char *v = config_setting_get_string_elem(s, i);
		if (v == NULL || idg_cidr_parse(v, &l->v[i]) != IDG_OK)
			return fail(err, errsz, file, config_setting_source_line(s),
			    "%s[%d] is not an address or CIDR block", name, i);
	}
	l->n = n;
	return IDG_OK;
}

bool
idg_cidr_list_match(const struct idg_cidr_list *l, const struct idg_ip *ip)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (idg_cidr_match(&l->v[i], ip))
			return true;
	return false;
}

/* Reads a whole small secret file; refuses group/world-readable files. */
static int
read_secret(const char *path, char *out, size_t outsz, const char *file, int line,
    char *err, size_t errsz)
{
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fail(err, errsz, file, line, "cannot read \"%s\": %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
		close(fd);
		return fail(err, errsz, file, line,
		    "\"%s\" must not be readable by group or others (chmod 600)", path);
	}
	n = read(fd, out, outsz - 1);
	close(fd);
	if (n < 0)
		return fail(err, errsz, file, line, "cannot read \"%s\"", path);
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return IDG_OK;
}

static int
load_secrets(struct idg_config *c, const char *file, char *err, size_t errsz)
{
	char hex[130];
	size_t i;
	int st;

	if ((st = read_secret(c->master_key_file, hex, sizeof(hex), file, 0, err,
	    errsz)) != IDG_OK)
		return st;
	if (strlen(hex) != 2 * IDG_MASTER_KEY_LEN) {
		idg_wipe(hex, sizeof(hex));
		return fail(err, errsz, file, 0,
		    "master key file \"%s\" must hold %d hex characters "
		    "(make one with: openssl rand -hex 32)", c->master_key_file,
		    2 * IDG_MASTER_KEY_LEN);
	}
	for (i = 0; i < IDG_MASTER_KEY_LEN; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			idg_wipe(hex, sizeof(hex));
			return fail(err, errsz, file, 0,
			    "master key file \"%s\" is not hex", c->master_key_file);
		}
		c->master_key[i] = (uint8_t)v;
	}
	idg_wipe(hex, sizeof(hex));
	c->master_key_loaded = true;
	if (c->operator_token_file[0] != '\0') {
		char tok[256];

		if ((st = read_secret(c->operator_token_file, tok, sizeof(tok), file, 0, err,
		    errsz)) != IDG_OK)
			return st;
		/* A bearer token is a password: long and random (openssl rand -hex 32). */
		if (strlen(tok) < 32) {
			idg_wipe(tok, sizeof(tok));
			return fail(err, errsz, file, 0, "operator token file \"%s\" must hold"
			    " at least 32 characters (make one with: openssl rand -hex 32)",
			    c->operator_token_file);
		}
		idg_sha256(tok, strlen(tok), c->operator_token_sha256);
		idg_wipe(tok, sizeof(tok));
		c->operator_token_loaded = true;
	}
	if (c->redis_password_file[0] != '\0' &&
	    (st = read_secret(c->redis_password_file, c->redis_password,
	    sizeof(c->redis_password), file, 0, err, errsz)) != IDG_OK)
		return st;
	return IDG_OK;
}

/*
 * device_url: given, or made from public_url's scheme and host and the
 * client-certificate listener's port; "" when there is no such listener.
 */
static int
device_url(struct idg_config *c, const char *file, char *err, size_t errsz)
{
	const char *host, *end;
	int i;

	for (i = 0; i < c->nlisteners; i++)
		if (c->listeners[i].client_certificates)
			break;
	if (i == c->nlisteners) {
		c->device_url[0] = '\0';
		return IDG_OK;
	}
	if (c->device_url[0] != '\0') {
		if (strncmp(c->device_url, "https://", 8) != 0)
			return fail(err, errsz, file, 1, "device_url must be an https:// URL");
		return IDG_OK;
	}
	if (strncmp(c->public_url, "https://", 8) != 0)
		return fail(err, errsz, file, 1,
		    "public_url must be https:// to derive device_url (or set device_url)");
	host = c->public_url + 8;
	/* The host ends at '/', or at the ':' of a port (an IPv6 literal keeps its brackets). */
	if (host[0] == '[')
		end = strchr(host, ']') != NULL ? strchr(host, ']') + 1 : host + strlen(host);
	else
		end = host + strcspn(host, ":/");
	if (snprintf(c->device_url, sizeof(c->device_url), "https://%.*s:%d",
	    (int)(end - host), host, c->listeners[i].port) >= (int)sizeof(c->device_url))
		return fail(err, errsz, file, 1, "device_url is too long");
	return IDG_OK;
}

static int
apply(struct idg_config *c, config_t *cf, const char *file, bool secrets, char *err,
    size_t errsz)
{
	char dir[512];
	const char *slash;
	size_t i;
	int st;

	slash = strrchr(file, '/');
	if (slash == NULL)
		idg_strlcpy(dir, ".", sizeof(dir));
	else if (slash == file)
		idg_strlcpy(dir, "/", sizeof(dir));
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file), file);

	if ((st = check_unknown(config_root_setting(cf), file, err, errsz)) != IDG_OK)
		return st;

	for (i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		config_setting_t *s = config_lookup(cf, k->path);
		char *p = (char *)c + k->off;
		int line;

		if (s == NULL) {
			if (k->type == K_PATH && ((char *)c + k->off)[0] != '\0') {
				char tmp[512];
				idg_strlcpy(tmp, p, sizeof(tmp));
				resolve_path(p, k->size, dir, tmp);
			}
			continue;
		}
		line = config_setting_source_line(s);
		switch (k->type) {
		case K_INT:
		case K_U32: {
			long long v;
			if (config_setting_type(s) != CONFIG_TYPE_INT &&
			    config_setting_type(s) != CONFIG_TYPE_INT64)
				return fail(err, errsz, file, line, "%s must be an integer",
				    k->path);
			v = config_setting_get_int64(s);
			if (v < k->min || v > k->max)
				return fail(err, errsz, file, line,
				    "%s must be from %ld to %ld (got %lld)", k->path, k->min,
				    k->max, v);
			set_int(c, k, (long)v);
			break;
		}
		case K_BOOL:
			if (config_setting_type(s) != CONFIG_TYPE_BOOL)
				return fail(err, errsz, file, line,
				    "%s must be true or false", k->path);
			*(bool *)p = config_setting_get_bool(s) != 0;
			break;
		case K_STR:
		case K_PATH:
		case K_ENUM: {
			const char *v = config_setting_get_string(s);
			if (v == NULL)
				return fail(err, errsz, file, line, "%s must be a string",
				    k->path);
			if (k->type == K_ENUM) {
				if (!in_choices(k->choices, v))
					return fail(err, errsz, file, line,
					    "%s must be one of %s (got \"%s\")", k->path,
					    k->choices, v);
			}
			if (strlen(v) >= k->size)
				return fail(err, errsz, file, line, "%s is too long", k->path);
			if (k->type == K_PATH)
				st = resolve_path(p, k->size, dir, v);
			else
				st = (int)(idg_strlcpy(p, v, k->size) < k->size ? IDG_OK :
				    IDG_INVALID);
			if (st != IDG_OK)
				return fail(err, errsz, file, line, "%s is too long", k->path);
			break;
		}
		case K_LISTENERS:
			if ((st = load_listeners(c, s, file, dir, err, errsz)) != IDG_OK)
				return st;
			break;
		case K_CIDRS:
			if ((st = load_cidrs((struct idg_cidr_list *)(void *)p, k->path, s, file,
			    err, errsz)) != IDG_OK)
				return st;
			break;
		}
	}
	if (c->nlisteners == 0)
		return fail(err, errsz, file, 1, "no listeners configured");
	if (c->session_absolute_lifetime_s < c->session_idle_timeout_s)
		return fail(err, errsz, file,
		    config_lookup(cf, "session.absolute_lifetime_s") ?
		    config_setting_source_line(config_lookup(cf,
		    "session.absolute_lifetime_s")) : 1,
		    "session.absolute_lifetime_s must be >= session.idle_timeout_s");
	if (c->password_policy.max_length < c->password_policy.min_length)
		return fail(err, errsz, file, 1,
		    "password.max_length must be >= password.min_length");
	if (c->workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		c->workers = n < 1 ? 1 : (n > IDG_CONFIG_MAX_WORKERS ?
		    IDG_CONFIG_MAX_WORKERS : (int)n);
	}
	c->log_json = strcmp(c->log_format, "json") == 0;
	if ((st = device_url(c, file, err, errsz)) != IDG_OK)
		return st;
	if (secrets)
		return load_secrets(c, file, err, errsz);
	return IDG_OK;
}

static int
load(struct idg_config *c, const char *text, const char *path, bool secrets, char *err,
    size_t errsz)
{
	config_t cf;
	int st;

	idg_config_defaults(c);
	idg_strlcpy(c->path, path, sizeof(c->path));
	config_init(&cf);
	if ((text != NULL ? config_read_string(&cf, text) :
	    config_read_file(&cf, path)) != CONFIG_TRUE) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			st = fail(err, errsz, path, 0, "cannot read the file: %s",
			    strerror(errno));
		else
			st = fail(err, errsz, path, config_error_line(&cf), "%s",
			    config_error_text(&cf));
		config_destroy(&cf);
		return st;
	}
	st = apply(c, &cf, path, secrets, err, errsz);
	config_destroy(&cf);
	return st;
}

int
idg_config_load(struct idg_config *c, const char *path, bool load_secrets_too, char *err,
    size_t errsz)
{
	return load(c, NULL, path, load_secrets_too, err, errsz);
}

int
idg_config_load_string(struct idg_config *c, const char *text, const char *name,
    bool load_secrets_too, char *err, size_t errsz)
{
	return load(c, text, name, load_secrets_too, err, errsz);
}

void
idg_config_wipe(struct idg_config *c)
{
	idg_wipe(c->master_key, sizeof(c->master_key));
	idg_wipe(c->redis_password, sizeof(c->redis_password));
	c->master_key_loaded = false;
}

void
idg_config_apply_log(const struct idg_config *c, const char *component)
{
	enum idg_log_level lvl = IDG_LOG_INFO;

	idg_log_level_parse(c->log_level, &lvl);
	idg_log_setup(c->log_json, lvl, component);
}

void
idg_config_redis(const struct idg_config *c, struct idg_redis_config *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->host = c->redis_host;
	rc->port = c->redis_port;
	rc->unix_socket = c->redis_unix_socket;
	rc->database = c->redis_database;
	rc->password = c->redis_password;
	rc->connect_timeout_ms = c->redis_connect_timeout_ms;
	rc->command_timeout_ms = c->redis_command_timeout_ms;
}
