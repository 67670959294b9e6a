/*
 * cli_oidc.c - `idgate oidc key list|rotate|purge` and `idgate oidc client
 * add|list|show|delete|assign|reset-secret`: the tenant's OpenID provider.
 *
 * Signing keys are generated here (gateway/oidc/jose.h), sealed under the
 * master key and stored; the private key never leaves this process in
 * clear. Rotation keeps, per algorithm, one current key (signs) and one next
 * key (already published in the JWKS, so relying parties have it before it
 * signs); retired keys stay published until purged. Client secrets are
 * random, printed once and stored as hex SHA-256. Redirect URIs are checked
 * here (RFC 6749 3.1.2, RFC 8252 7.3/8.3, RFC 9700 2.1); the OP matches them
 * exactly at run time. This file does no protocol work and no SQL.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../config/config.h"
#include "../oidc/jose.h"
#include "../oidc/oidc.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/status.h"
#include "../util/str.h"
#include "cli_impl.h"

#define KEY_USE		"oidc"
#define SECRET_BYTES	32		/* client secret: 256 random bits */
#define CLIENT_ID_BYTES	16		/* generated client_id: 128 random bits */
#define URI_MAX		500

/* Scopes the OP knows; a client is registered with a subset. */
static const char *const known_scopes[] = { "openid", "profile", "email", "groups",
	"offline_access", NULL };
static const char *const known_grants[] = { "authorization_code", "refresh_token",
	"client_credentials", NULL };

static const char *
key_status(int status)
{
	switch (status) {
	case IDG_KEY_NEXT: return "next";
	case IDG_KEY_CURRENT: return "current";
	case IDG_KEY_RETIRED: return "retired";
	}
	return "unknown";
}

static int
need_master_key(struct cli *c)
{
	if (!c->cfg->master_key_loaded)
		return cli_fail(IDG_EXIT_FAILURE, "master_key_unavailable",
		    "signing keys are sealed with the master key, which is not loaded (check"
		    " master_key_file in the configuration)");
	return 0;
}

/* Keys. */

/* Per algorithm (indexed by enum idg_jose_alg): what the tenant holds now. */
struct key_state {
	int	current[3], next[3], total;
	char	current_kid[3][64];
	char	next_kid[3][64];	/* the oldest next key: the one promote picks */
};

static int
key_state_row(void *arg, const struct idg_signing_key *k)
{
	struct key_state *ks = arg;
	enum idg_jose_alg alg;

	ks->total++;
	if (idg_jose_alg_parse(k->alg, &alg) != IDG_OK)
		return 0;
	if (k->status == IDG_KEY_CURRENT) {
		ks->current[alg]++;
		idg_strlcpy(ks->current_kid[alg], k->kid, sizeof(ks->current_kid[alg]));
	} else if (k->status == IDG_KEY_NEXT) {
		if (ks->next[alg]++ == 0)
			idg_strlcpy(ks->next_kid[alg], k->kid, sizeof(ks->next_kid[alg]));
	}
	return 0;
}

static int
key_state(struct cli *c, int64_t tenant_id, struct key_state *ks)
{
	int st;

	memset(ks, 0, sizeof(*ks));
	if ((st = idg_store_key_list(c->st, tenant_id, KEY_USE, key_state_row, ks)) != IDG_OK)
		return cli_store_fail(st, "reading the signing keys");
	return 0;
}

/* Generates, seals and stores one key with the given status; its kid goes to kid. */
static int
key_make(struct cli *c, int64_t tenant_id, enum idg_jose_alg alg, int bits, int status,
    char kid[64])
{
	struct idg_jose_key *jk = NULL;
	struct idg_signing_key *k;
	char *jwk = NULL, *sealed = NULL;
	int rc = 0, st;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	if (idg_jose_key_generate(alg, bits, &jk) != IDG_OK ||
	    (jwk = idg_jose_key_public_jwk(jk)) == NULL ||
	    idg_jose_key_seal(jk, c->cfg->master_key, &sealed) != IDG_OK) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "cannot generate a %s signing"
		    " key (see the log line above)", idg_jose_alg_name(alg));
		goto out;
	}
	k->tenant_id = tenant_id;
	idg_strlcpy(k->use, KEY_USE, sizeof(k->use));
	idg_strlcpy(k->alg, idg_jose_alg_name(alg), sizeof(k->alg));
	k->status = status;
	if (idg_strlcpy(k->kid, idg_jose_key_kid(jk), sizeof(k->kid)) >= sizeof(k->kid) ||
	    idg_strlcpy(k->sealed, sealed, sizeof(k->sealed)) >= sizeof(k->sealed) ||
	    idg_strlcpy(k->public_jwk, jwk, sizeof(k->public_jwk)) >= sizeof(k->public_jwk)) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error", "the %s key does not fit the"
		    " store's fields", idg_jose_alg_name(alg));
		goto out;
	}
	if ((st = idg_store_key_add(c->st, k)) != IDG_OK) {
		rc = cli_store_fail(st, "storing the signing key");
		goto out;
	}
	idg_strlcpy(kid, k->kid, 64);
out:
	if (sealed != NULL) {
		idg_wipe(sealed, strlen(sealed));
		free(sealed);
	}
	free(jwk);
	idg_jose_key_free(jk);
	idg_wipe(k, sizeof(*k));
	free(k);
	return rc;
}

struct rotation {
	char	current[64];
	char	retired[64];	/* "" when there was no current key */
	char	next[64];
};

/*
 * One rotation of alg. No key yet: a current and a next key are made.
 * Otherwise the next key becomes current and the current one retires (a
 * next key is made first if a failed run left none), then a new next key
 * is made. Afterwards the alg has exactly one current and one next key.
 */
static int
rotate_alg(struct cli *c, const struct idg_tenant *t, enum idg_jose_alg alg, int bits,
    struct rotation *r)
{
	struct key_state ks;
	char detail[256];
	int rc, st;

	memset(r, 0, sizeof(*r));
	if ((rc = key_state(c, t->id, &ks)) != 0)
		return rc;
	if (ks.current[alg] == 0 && ks.next[alg] == 0) {
		if ((rc = key_make(c, t->id, alg, bits, IDG_KEY_CURRENT, r->current)) != 0)
			return rc;
	} else {
		idg_strlcpy(r->retired, ks.current_kid[alg], sizeof(r->retired));
		idg_strlcpy(r->current, ks.next_kid[alg], sizeof(r->current));
		if (ks.next[alg] == 0 &&
		    (rc = key_make(c, t->id, alg, bits, IDG_KEY_NEXT, r->current)) != 0)
			return rc;
		st = idg_store_key_promote(c->st, t->id, KEY_USE, idg_jose_alg_name(alg));
		if (st != IDG_OK)
			return cli_store_fail(st, "promoting the next signing key");
	}
	if ((rc = key_make(c, t->id, alg, bits, IDG_KEY_NEXT, r->next)) != 0)
		return rc;
	snprintf(detail, sizeof(detail), "current %s next %s retired %s", r->current, r->next,
	    r->retired[0] != '\0' ? r->retired : "-");
	cli_audit(c, t->id, "oidc.key.rotate", idg_jose_alg_name(alg), "ok", detail);
	return 0;
}

static void
print_rotation(enum idg_jose_alg alg, const struct rotation *r)
{
	printf("%s: current key %s", idg_jose_alg_name(alg), r->current);
	if (r->retired[0] != '\0')
		printf(" (retired %s)", r->retired);
	printf(", next key %s\n", r->next);
}

/* The OP's snapshot holds at most IDG_OIDC_MAX_KEYS published keys. */
static void
warn_key_count(struct cli *c, int64_t tenant_id)
{
	struct key_state ks;

	if (key_state(c, tenant_id, &ks) == 0 && ks.total > IDG_OIDC_MAX_KEYS)
		fprintf(stderr, "warning: the tenant publishes %d signing keys, more than the"
		    " %d the provider loads; run 'idgate oidc key purge'\n", ks.total,
		    IDG_OIDC_MAX_KEYS);
}

static int
cmd_key_rotate(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL, *alg_s = NULL, *bits_s = NULL;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--alg", &alg_s, NULL },
		{ "--bits", &bits_s, NULL },
		{ NULL, NULL, NULL },
	};
	static const enum idg_jose_alg all[] = { IDG_JOSE_RS256, IDG_JOSE_ES256 };
	enum idg_jose_alg one;
	struct rotation r;
	struct idg_tenant t;
	char *pos[1];
	long bits = 2048;
	int rc, npos, i, from = 0, to = 2;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if (tenant == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "oidc key rotate --tenant ID"
		    " [--alg RS256|ES256|all] [--bits 2048|3072]");
	if (alg_s != NULL && strcmp(alg_s, "all") != 0) {
		if (idg_jose_alg_parse(alg_s, &one) != IDG_OK)
			return cli_fail(IDG_EXIT_USAGE, "invalid_alg", "--alg is RS256, ES256 or"
			    " all, not \"%s\"", alg_s);
		from = one == IDG_JOSE_RS256 ? 0 : 1;
		to = from + 1;
	}
	if (bits_s != NULL && (idg_parse_long(bits_s, 2048, 3072, &bits) != IDG_OK ||
	    (bits != 2048 && bits != 3072)))
		return cli_fail(IDG_EXIT_USAGE, "invalid_bits", "--bits is 2048 or 3072");
	if ((rc = need_master_key(c)) != 0)
		return rc;
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0)
		return rc;
	for (i = from; i < to; i++) {
		if ((rc = rotate_alg(c, &t, all[i], (int)bits, &r)) != 0) {
			cli_audit(c, t.id, "oidc.key.rotate", idg_jose_alg_name(all[i]),
			    "failed", NULL);
			return rc;
		}
		print_rotation(all[i], &r);
	}
	warn_key_count(c, t.id);
	return 0;
}

struct klist {
	json_t	*arr;
	int	 n;
};

static int
klist_row(void *arg, const struct idg_signing_key *k)
{
	struct klist *l = arg;
	char created[32], activated[32], retired[32];

	if (l->arr != NULL) {
		json_t *o = json_object();

		json_object_set_new(o, "kid", json_string(k->kid));
		json_object_set_new(o, "alg", json_string(k->alg));
		json_object_set_new(o, "use", json_string(k->use));
		json_object_set_new(o, "status", json_string(key_status(k->status)));
		json_object_set_new(o, "created_at", cli_json_time(k->created_at));
		json_object_set_new(o, "activated_at", cli_json_time(k->activated_at));
		json_object_set_new(o, "retired_at", cli_json_time(k->retired_at));
		json_array_append_new(l->arr, o);
		return 0;
	}
	if (l->n++ == 0)
		printf("%-44s %-6s %-8s %-21s %-21s %s\n", "KID", "ALG", "STATUS", "CREATED",
		    "ACTIVATED", "RETIRED");
	cli_time(k->created_at, created, sizeof(created));
	cli_time(k->activated_at, activated, sizeof(activated));
	cli_time(k->retired_at, retired, sizeof(retired));
	printf("%-44s %-6s %-8s %-21s %-21s %s\n", k->kid, k->alg, key_status(k->status),
	    created, activated, retired);
	return 0;
}

static int
cmd_key_list(struct cli *c, int argc, char **argv)
{
	struct klist l = { NULL, 0 };
	struct idg_tenant t;
	bool json = false;
	char *pos[1];
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, &json, 0, "oidc key list --tenant ID [--json]",
	    pos, &t)) != 0)
		return rc;
	if (json)
		l.arr = json_array();
	if ((st = idg_store_key_list(c->st, t.id, KEY_USE, klist_row, &l)) != IDG_OK) {
		json_decref(l.arr);
		return cli_store_fail(st, "listing the signing keys");
	}
	if (json)
		return cli_json_print(l.arr);
	if (l.n == 0)
		printf("no signing keys (run 'idgate oidc key rotate --tenant %s')\n",
		    t.company_id);
	return 0;
}

static int
cmd_key_purge(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL, *days_s = NULL;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--older-than-days", &days_s, NULL },
		{ NULL, NULL, NULL },
	};
	struct idg_tenant t;
	char *pos[1], detail[64];
	long days = 7;
	int rc, st, npos, n = 0;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if (tenant == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "oidc key purge --tenant ID"
		    " [--older-than-days N]");
	if (days_s != NULL && idg_parse_long(days_s, 0, 3650, &days) != IDG_OK)
		return cli_fail(IDG_EXIT_USAGE, "usage", "--older-than-days takes a number from"
		    " 0 to 3650");
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0)
		return rc;
	/* Tokens a retired key signed must outlive it in the JWKS: keep recent ones. */
	st = idg_store_key_purge_retired(c->st, t.id, idg_now() - days * 86400, &n);
	if (st != IDG_OK)
		return cli_store_fail(st, "purging retired keys");
	snprintf(detail, sizeof(detail), "%d keys, retired over %ld days ago", n, days);
	cli_audit(c, t.id, "oidc.key.purge", NULL, "ok", detail);
	printf("purged %d retired signing key%s\n", n, n == 1 ? "" : "s");
	return 0;
}

/*
 * Makes the tenant's missing current keys (both algs), as rotate does;
 * made[i] tells which of RS256, ES256 got keys (r[i]).
 */
static int
ensure_keys(struct cli *c, const struct idg_tenant *t, struct rotation r[2], bool made[2])
{
	static const enum idg_jose_alg all[] = { IDG_JOSE_RS256, IDG_JOSE_ES256 };
	struct key_state ks;
	int rc, i;

	made[0] = made[1] = false;
	if ((rc = key_state(c, t->id, &ks)) != 0)
		return rc;
	for (i = 0; i < 2; i++) {
		if (ks.current[all[i]] > 0)
			continue;
		if ((rc = rotate_alg(c, t, all[i], 2048, &r[i])) != 0)
			return rc;
		made[i] = true;
	}
	return 0;
}

static bool
keys_missing(struct cli *c, const struct idg_tenant *t, int *rc)
{
	struct key_state ks;

	if ((*rc = key_state(c, t->id, &ks)) != 0)
		return false;
	return ks.current[IDG_JOSE_RS256] == 0 || ks.current[IDG_JOSE_ES256] == 0;
}

/* Clients. */

/*
 * Why uri is not acceptable, or NULL. RFC 6749 3.1.2: absolute, no
 * fragment; RFC 9700 2.1: exact match, so no wildcards; RFC 8252 7.3 and
 * 8.3: http only on a loopback host (localhost, 127.0.0.1, [::1]), any port.
 * Non-ASCII must be percent-encoded; no user information.
 */
static const char *
uri_problem(const char *u, bool https_only)
{
	const char *p, *auth, *end, *host_end;
	bool http = false;
	size_t n = strlen(u), hlen;
	long port;

	if (n == 0 || n > URI_MAX)
		return "is empty or longer than 500 bytes";
	for (p = u; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return "contains a space, a control or a non-ASCII character";
	if (strchr(u, '#') != NULL)
		return "has a fragment (RFC 6749 3.1.2)";
	if (strchr(u, '*') != NULL)
		return "contains a wildcard; URIs are matched exactly";
	if (strncmp(u, "https://", 8) == 0) {
		auth = u + 8;
	} else if (!https_only && strncmp(u, "http://", 7) == 0) {
		auth = u + 7;
		http = true;
	} else {
		return https_only ? "is not an https:// URI" : "is not an https:// URI (http://"
		    " only for localhost, 127.0.0.1 and [::1], RFC 8252)";
	}
	end = auth + strcspn(auth, "/?");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return "has user information before the host";
	if (auth[0] == '[') {
		if ((host_end = memchr(auth, ']', (size_t)(end - auth))) == NULL)
			return "has an unterminated [IPv6] host";
		host_end++;
	} else {
		host_end = memchr(auth, ':', (size_t)(end - auth));
		if (host_end == NULL)
			host_end = end;
		for (p = auth; p < host_end; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
				return "has a malformed host (use the punycode form of a"
				    " non-ASCII name)";
	}
	hlen = (size_t)(host_end - auth);
	if (hlen == 0)
		return "has no host";
	if (host_end < end) {
		char ps[8];
		size_t plen = (size_t)(end - host_end - 1);

		if (*host_end != ':' || plen == 0 || plen >= sizeof(ps))
			return "has a malformed port";
		memcpy(ps, host_end + 1, plen);
		ps[plen] = '\0';
		if (idg_parse_long(ps, 1, 65535, &port) != IDG_OK)
			return "has a malformed port";
	}
	if (http && !((hlen == 9 && strncmp(auth, "localhost", 9) == 0) ||
	    (hlen == 9 && strncmp(auth, "127.0.0.1", 9) == 0) ||
	    (hlen == 5 && strncmp(auth, "[::1]", 5) == 0)))
		return "uses http:// on a host that is not loopback (localhost, 127.0.0.1,"
		    " [::1])";
	return NULL;
}

/* The host of a checked URI into out (for the pairwise sector). */
static void
uri_host(const char *u, char *out, size_t outsz)
{
	const char *auth = strstr(u, "://") + 3;
	size_t n;

	if (auth[0] == '[')
		n = strcspn(auth, "]") + 1;
	else
		n = strcspn(auth, ":/?");
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, auth, n);
	out[n] = '\0';
}

/* Checks every URI of one option and joins them with '\n' into out. 0 or exit code. */
static int
join_uris(const char *opt, const char **uris, int n, bool https_only, char *out,
    size_t outsz)
{
	const char *why;
	size_t len = 0, ul;
	int i, j;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if ((why = uri_problem(uris[i], https_only)) != NULL)
			return cli_fail(IDG_EXIT_USAGE, "invalid_redirect_uri", "%s \"%s\" %s", opt,
			    uris[i], why);
		for (j = 0; j < i; j++)
			if (strcmp(uris[i], uris[j]) == 0)
				return cli_fail(IDG_EXIT_USAGE, "invalid_redirect_uri",
				    "%s \"%s\" given twice", opt, uris[i]);
		ul = strlen(uris[i]);
		if (len + ul + 2 > outsz)
			return cli_fail(IDG_EXIT_USAGE, "invalid_redirect_uri", "the %s values"
			    " exceed %zu bytes in all", opt, outsz - 1);
		if (i > 0)
			out[len++] = '\n';
		memcpy(out + len, uris[i], ul + 1);
		len += ul;
	}
	return 0;
}

static bool
in_list(const char *const *list, const char *s, size_t n)
{
	int i;

	for (i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == n && strncmp(list[i], s, n) == 0)
			return true;
	return false;
}

/* A space-separated scope list of known scopes, normalized into out. 0 or exit code. */
static int
parse_scopes(const char *in, char *out, size_t outsz)
{
	const char *p = in;
	size_t len = 0, n;

	out[0] = '\0';
	while (*p != '\0') {
		p += strspn(p, " ");
		if ((n = strcspn(p, " ")) == 0)
			break;
		if (!in_list(known_scopes, p, n))
			return cli_fail(IDG_EXIT_USAGE, "invalid_scope", "unknown scope \"%.*s\""
			    " (known: openid profile email groups offline_access)", (int)n, p);
		if (len + n + 2 > outsz)
			return cli_fail(IDG_EXIT_USAGE, "invalid_scope", "the scope list is too"
			    " long");
		if (len > 0)
			out[len++] = ' ';
		memcpy(out + len, p, n);
		len += n;
		out[len] = '\0';
		p += n;
	}
	if (len == 0)
		return cli_fail(IDG_EXIT_USAGE, "invalid_scope", "--scope needs at least one"
		    " scope");
	return 0;
}

static bool
has_word(const char *list, const char *w)
{
	size_t n = strlen(w);
	const char *p = list;

	while ((p = strstr(p, w)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return true;
		p += n;
	}
	return false;
}

static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* A client_id appears in URLs and in HTTP Basic credentials: RFC 3986 unreserved only. */
static bool
client_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == '_' ||
		    *s == '~'))
			return false;
	return true;
}

static int
parse_ttl(const char *opt, const char *s, long min, long max, int *out)
{
	long v;

	if (s == NULL)
		return 0;
	if (idg_parse_long(s, min, max, &v) != IDG_OK)
		return cli_fail(IDG_EXIT_USAGE, "usage", "%s takes seconds from %ld to %ld", opt,
		    min, max);
	*out = (int)v;
	return 0;
}

/* A new secret: printed once by the caller, its hex SHA-256 goes to hash. */
static int
new_secret(char *secret, size_t secretsz, char hash[65])
{
	uint8_t dig[IDG_SHA256_LEN];

	if (idg_random_b64url(secret, secretsz, SECRET_BYTES) != IDG_OK)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "no random bytes");
	idg_sha256(secret, strlen(secret), dig);
	idg_hex(dig, sizeof(dig), hash);
	idg_wipe(dig, sizeof(dig));
	return 0;
}

/* A '\n'-separated list as a JSON array. */
static json_t *
json_lines(const char *s)
{
	json_t *a = json_array();
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, "\n");
		if (n > 0)
			json_array_append_new(a, json_stringn(s, n));
		s += n;
		if (*s == '\n')
			s++;
	}
	return a;
}

static json_t *
json_words(const char *s)
{
	json_t *a = json_array();
	size_t n;

	while (*s != '\0') {
		s += strspn(s, " ");
		if ((n = strcspn(s, " ")) == 0)
			break;
		json_array_append_new(a, json_stringn(s, n));
		s += n;
	}
	return a;
}

static json_t *
client_json(const struct idg_oidc_client *cl)
{
	json_t *o = json_object();

	json_object_set_new(o, "client_id", json_string(cl->client_id));
	json_object_set_new(o, "name", json_string(cl->name));
	json_object_set_new(o, "type", json_string(cl->confidential ? "confidential" :
	    "public"));
	json_object_set_new(o, "redirect_uris", json_lines(cl->redirect_uris));
	json_object_set_new(o, "post_logout_redirect_uris", json_lines(cl->post_logout_uris));
	json_object_set_new(o, "scopes", json_words(cl->scopes));
	json_object_set_new(o, "grant_types", json_words(cl->grant_types));
	json_object_set_new(o, "id_token_alg", json_string(cl->id_token_alg));
	json_object_set_new(o, "subject_type", json_string(cl->pairwise ? "pairwise" :
	    "public"));
	json_object_set_new(o, "initiate_login_uri", cl->initiate_login_uri[0] != '\0' ?
	    json_string(cl->initiate_login_uri) : json_null());
	json_object_set_new(o, "access_token_ttl_s", json_integer(cl->access_token_ttl_s));
	json_object_set_new(o, "id_token_ttl_s", json_integer(cl->id_token_ttl_s));
	json_object_set_new(o, "refresh_token_ttl_s", json_integer(cl->refresh_token_ttl_s));
	json_object_set_new(o, "resource_server", json_boolean(cl->resource_server));
	json_object_set_new(o, "device_required", json_boolean(cl->device_required));
	json_object_set_new(o, "created_at", cli_json_time(cl->created_at));
	return o;
}

static int
cmd_client_add(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL, *name = NULL, *scope = NULL, *alg_s = NULL;
	const char *initiate = NULL, *at_ttl = NULL, *id_ttl = NULL, *rt_ttl = NULL;
	const char *client_id = NULL;
	bool public = false, pairwise = false, resource = false, json = false, device = false;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--name", &name, NULL },
		{ "--public", NULL, &public },
		{ "--scope", &scope, NULL },
		{ "--id-token-alg", &alg_s, NULL },
		{ "--pairwise", NULL, &pairwise },
		{ "--initiate-login-uri", &initiate, NULL },
		{ "--access-token-ttl", &at_ttl, NULL },
		{ "--id-token-ttl", &id_ttl, NULL },
		{ "--refresh-token-ttl", &rt_ttl, NULL },
		{ "--resource-server", NULL, &resource },
		{ "--device-required", NULL, &device },
		{ "--client-id", &client_id, NULL },
		{ "--json", NULL, &json },
		{ NULL, NULL, NULL },
	};
	const char *redirect[IDG_OIDC_MAX_URIS], *logout[IDG_OIDC_MAX_URIS], *grants[4];
	struct cli_multi m[] = {
		{ "--redirect-uri", redirect, IDG_OIDC_MAX_URIS, 0 },
		{ "--post-logout-redirect-uri", logout, IDG_OIDC_MAX_URIS, 0 },
		{ "--grant", grants, 3, 0 },
	};
	static const char usage[] = "oidc client add --tenant ID --name NAME --redirect-uri URI"
	    " [--redirect-uri URI ...] [--public] [--post-logout-redirect-uri URI ...]"
	    " [--scope \"openid ...\"] [--grant G ...] [--id-token-alg RS256|ES256]"
	    " [--pairwise] [--initiate-login-uri URI] [--access-token-ttl S]"
	    " [--id-token-ttl S] [--refresh-token-ttl S] [--resource-server] [--device-required]"
	    " [--client-id ID] [--json]";
	char *rest[CLI_MAX_ARGS], *pos[1], secret[IDG_B64URL_LEN(SECRET_BYTES)];
	char host0[256], host[256], detail[192];
	struct idg_oidc_client *cl;
	struct rotation rot[2];
	struct idg_tenant t;
	enum idg_jose_alg alg;
	bool need_keys, made[2] = { false, false };
	int rc, st, i, j, nrest, npos;
	size_t glen = 0;

	secret[0] = '\0';
	if ((rc = cli_split_multi(argc, argv, opts, m, 3, rest, &nrest)) != 0 ||
	    (rc = cli_parse(nrest, rest, opts, pos, 0, &npos)) != 0)
		return rc;
	if (tenant == NULL || name == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "%s", usage);
	if (!name_ok(name))
		return cli_fail(IDG_EXIT_USAGE, "invalid_name", "a client name has 1 to 128"
		    " bytes and no control characters");
	if (client_id != NULL && !client_id_ok(client_id))
		return cli_fail(IDG_EXIT_USAGE, "invalid_client_id", "a client ID has 1 to 63"
		    " characters of A-Z, a-z, 0-9, '-', '.', '_' and '~'");
	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	idg_strlcpy(cl->name, name, sizeof(cl->name));
	cl->confidential = !public;
	cl->pairwise = pairwise;
	cl->resource_server = resource;
	cl->device_required = device;
	/* Grants: default authorization_code + refresh_token. */
	if (m[2].n == 0) {
		grants[0] = "authorization_code";
		grants[1] = "refresh_token";
		m[2].n = 2;
	}
	for (i = 0; i < m[2].n; i++) {
		if (!in_list(known_grants, grants[i], strlen(grants[i]))) {
			rc = cli_fail(IDG_EXIT_USAGE, "invalid_grant", "unknown grant \"%s\""
			    " (authorization_code, refresh_token, client_credentials)", grants[i]);
			goto out;
		}
		for (j = 0; j < i; j++)
			if (strcmp(grants[i], grants[j]) == 0) {
				rc = cli_fail(IDG_EXIT_USAGE, "invalid_grant", "--grant %s given"
				    " twice", grants[i]);
				goto out;
			}
		glen += (size_t)snprintf(cl->grant_types + glen, sizeof(cl->grant_types) - glen,
		    "%s%s", i > 0 ? " " : "", grants[i]);
	}
	/* A public client has no secret to authenticate a client_credentials grant with. */
	if (public && has_word(cl->grant_types, "client_credentials")) {
		rc = cli_fail(IDG_EXIT_REFUSED, "grant_not_allowed", "a public client cannot use"
		    " client_credentials: it has no secret");
		goto out;
	}
	if (has_word(cl->grant_types, "refresh_token") &&
	    !has_word(cl->grant_types, "authorization_code")) {
		rc = cli_fail(IDG_EXIT_REFUSED, "grant_not_allowed", "refresh_token needs"
		    " authorization_code (refresh tokens are issued with codes)");
		goto out;
	}
	/* Introspection (RFC 7662 2.1) needs an authenticated caller. */
	if (public && resource) {
		rc = cli_fail(IDG_EXIT_REFUSED, "grant_not_allowed", "a public client cannot be"
		    " a resource server: introspection needs client authentication");
		goto out;
	}
	if (has_word(cl->grant_types, "authorization_code") && m[0].n == 0) {
		rc = cli_fail(IDG_EXIT_USAGE, "usage", "at least one --redirect-uri is needed"
		    " for authorization_code");
		goto out;
	}
	if ((rc = join_uris("--redirect-uri", redirect, m[0].n, false, cl->redirect_uris,
	    sizeof(cl->redirect_uris))) != 0 ||
	    (rc = join_uris("--post-logout-redirect-uri", logout, m[1].n, false,
	    cl->post_logout_uris, sizeof(cl->post_logout_uris))) != 0)
		goto out;
	if (initiate != NULL) {
		const char *why = uri_problem(initiate, true);

		if (why != NULL) {
			rc = cli_fail(IDG_EXIT_USAGE, "invalid_redirect_uri", "--initiate-login-uri"
			    " \"%s\" %s", initiate, why);
			goto out;
		}
		idg_strlcpy(cl->initiate_login_uri, initiate, sizeof(cl->initiate_login_uri));
	}
	/* OIDC Core 8.1: without a sector_identifier_uri, every redirect URI shares a host. */
	if (pairwise && m[0].n > 0) {
		uri_host(redirect[0], host0, sizeof(host0));
		for (i = 1; i < m[0].n; i++) {
			uri_host(redirect[i], host, sizeof(host));
			if (strcmp(host, host0) != 0) {
				rc = cli_fail(IDG_EXIT_USAGE, "invalid_redirect_uri", "a pairwise"
				    " client's redirect URIs must share one host (%s, %s)", host0,
				    host);
				goto out;
			}
		}
	}
	if (scope != NULL && (rc = parse_scopes(scope, cl->scopes, sizeof(cl->scopes))) != 0)
		goto out;
	if (alg_s != NULL) {
		if (idg_jose_alg_parse(alg_s, &alg) != IDG_OK) {
			rc = cli_fail(IDG_EXIT_USAGE, "invalid_alg", "--id-token-alg is RS256 or"
			    " ES256, not \"%s\"", alg_s);
			goto out;
		}
		idg_strlcpy(cl->id_token_alg, idg_jose_alg_name(alg), sizeof(cl->id_token_alg));
	}
	if ((rc = parse_ttl("--access-token-ttl", at_ttl, 60, 86400,
	    &cl->access_token_ttl_s)) != 0 ||
	    (rc = parse_ttl("--id-token-ttl", id_ttl, 60, 86400, &cl->id_token_ttl_s)) != 0 ||
	    (rc = parse_ttl("--refresh-token-ttl", rt_ttl, 300, 31536000,
	    &cl->refresh_token_ttl_s)) != 0)
		goto out;
	if (client_id != NULL) {
		idg_strlcpy(cl->client_id, client_id, sizeof(cl->client_id));
	} else {
		/*
		 * base64url may begin with '-' or '_': draw again until it starts
		 * with a letter or digit, so the id is never taken for an option.
		 */
		do {
			if (idg_random_b64url(cl->client_id, sizeof(cl->client_id),
			    CLIENT_ID_BYTES) != IDG_OK) {
				rc = cli_fail(IDG_EXIT_FAILURE, "internal_error",
				    "no random bytes");
				goto out;
			}
		} while (!isalnum((unsigned char)cl->client_id[0]));
	}
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0)
		goto out;
	cl->tenant_id = t.id;
	/*
	 * The provider works at once: the tenant's first client brings its keys,
	 * made first so that no client exists without them.
	 */
	need_keys = keys_missing(c, &t, &rc);
	if (rc != 0)
		goto out;
	if (need_keys && ((rc = need_master_key(c)) != 0 ||
	    (rc = ensure_keys(c, &t, rot, made)) != 0))
		goto out;
	if (cl->confidential && (rc = new_secret(secret, sizeof(secret), cl->secret_hash)) != 0)
		goto out;
	st = idg_store_oidc_client_add(c->st, cl);
	if (st == IDG_EXISTS) {
		cli_audit(c, t.id, "oidc.client.add", cl->client_id, "client_exists", NULL);
		rc = cli_fail(IDG_EXIT_REFUSED, "client_exists", "a client \"%s\" already exists"
		    " in tenant %s", cl->client_id, t.company_id);
		goto out;
	}
	if (st != IDG_OK) {
		rc = cli_store_fail(st, "adding the client");
		goto out;
	}
	snprintf(detail, sizeof(detail), "%s, %s", cl->confidential ? "confidential" :
	    "public", cl->grant_types);
	cli_audit(c, t.id, "oidc.client.add", cl->client_id, "ok", detail);
	if (json) {
		json_t *doc = client_json(cl);

		if (cl->confidential)
			json_object_set_new(doc, "client_secret", json_string(secret));
		rc = cli_json_print(doc);
		goto out;
	}
	printf("client %s added to tenant %s (%s)\n", cl->client_id, t.company_id,
	    cl->confidential ? "confidential" : "public");
	printf("client_id:     %s\n", cl->client_id);
	if (cl->confidential) {
		printf("client_secret: %s\n", secret);
		printf("The secret is shown only now; hand it over securely.\n");
	}
	printf("No user can sign in to it until assigned: 'idgate oidc client assign'.\n");
	for (i = 0; i < 2; i++) {
		if (made[i]) {
			if (i == 0 || !made[0])
				printf("The tenant's OpenID provider got its signing keys:\n");
			print_rotation(i == 0 ? IDG_JOSE_RS256 : IDG_JOSE_ES256, &rot[i]);
		}
	}
out:
	idg_wipe(secret, sizeof(secret));
	free(cl);
	return rc;
}

struct clist {
	json_t	*arr;
	int	 n;
};

static int
clist_row(void *arg, const struct idg_oidc_client *cl)
{
	struct clist *l = arg;

	if (l->arr != NULL) {
		json_array_append_new(l->arr, client_json(cl));
		return 0;
	}
	if (l->n++ == 0)
		printf("%-24s %-13s %-50s %s\n", "CLIENT_ID", "TYPE", "GRANTS", "NAME");
	printf("%-24s %-13s %-50s %s\n", cl->client_id, cl->confidential ? "confidential" :
	    "public", cl->grant_types, cl->name);
	return 0;
}

static int
cmd_client_list(struct cli *c, int argc, char **argv)
{
	struct clist l = { NULL, 0 };
	struct idg_tenant t;
	bool json = false;
	char *pos[1];
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, &json, 0, "oidc client list --tenant ID [--json]",
	    pos, &t)) != 0)
		return rc;
	if (json)
		l.arr = json_array();
	if ((st = idg_store_oidc_client_list(c->st, t.id, clist_row, &l)) != IDG_OK) {
		json_decref(l.arr);
		return cli_store_fail(st, "listing the clients");
	}
	if (json)
		return cli_json_print(l.arr);
	if (l.n == 0)
		printf("no OIDC clients\n");
	return 0;
}

/* Reads a client: 0, or an exit code with client_not_found printed. */
static int
client_find(struct cli *c, const struct idg_tenant *t, const char *client_id,
    struct idg_oidc_client *cl)
{
	int st = idg_store_oidc_client_get(c->st, t->id, client_id, cl);

	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "client_not_found", "no OIDC client \"%s\" in"
		    " tenant %s", client_id, t->company_id);
	if (st != IDG_OK)
		return cli_store_fail(st, "reading the client");
	return 0;
}

/* Prints a '\n'-separated list, the first line after label. */
static void
print_lines(const char *label, const char *s)
{
	size_t n;
	bool first = true;

	if (*s == '\0') {
		printf("%-19s-\n", label);
		return;
	}
	while (*s != '\0') {
		n = strcspn(s, "\n");
		printf("%-19s%.*s\n", first ? label : "", (int)n, s);
		first = false;
		s += n;
		if (*s == '\n')
			s++;
	}
}

static int
cmd_client_show(struct cli *c, int argc, char **argv)
{
	struct cli_assignments a = { NULL, 0 };
	struct idg_oidc_client *cl;
	struct idg_tenant t;
	bool json = false;
	char *pos[1], created[32];
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, &json, 1, "oidc client show --tenant ID CLIENT_ID"
	    " [--json]", pos, &t)) != 0)
		return rc;
	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	if ((rc = client_find(c, &t, pos[0], cl)) != 0)
		goto out;
	if (json) {
		json_t *doc = client_json(cl);

		a.arr = json_array();
		json_object_set_new(doc, "assigned", a.arr);
		if ((st = idg_store_oidc_client_assignments(c->st, t.id, cl->client_id,
		    cli_assignment_row, &a)) != IDG_OK) {
			json_decref(doc);
			rc = cli_store_fail(st, "reading the assignments");
			goto out;
		}
		rc = cli_json_print(doc);
		goto out;
	}
	cli_time(cl->created_at, created, sizeof(created));
	printf("client_id:         %s\n", cl->client_id);
	printf("name:              %s\n", cl->name);
	printf("type:              %s\n", cl->confidential ? "confidential (secret set)" :
	    "public (PKCE, no secret)");
	print_lines("redirect URIs:", cl->redirect_uris);
	print_lines("post-logout URIs:", cl->post_logout_uris);
	printf("scopes:            %s\n", cl->scopes);
	printf("grants:            %s\n", cl->grant_types);
	printf("ID token alg:      %s\n", cl->id_token_alg);
	printf("subject type:      %s\n", cl->pairwise ? "pairwise" : "public");
	printf("initiate login:    %s\n", cl->initiate_login_uri[0] != '\0' ?
	    cl->initiate_login_uri : "-");
	printf("access token TTL:  %d s\n", cl->access_token_ttl_s);
	printf("ID token TTL:      %d s\n", cl->id_token_ttl_s);
	printf("refresh token TTL: %d s\n", cl->refresh_token_ttl_s);
	printf("resource server:   %s\n", cl->resource_server ? "yes (may introspect)" : "no");
	printf("device required:   %s\n", cl->device_required ? "yes (device check first)" :
	    "no");
	printf("created:           %s\n", created);
	if ((st = idg_store_oidc_client_assignments(c->st, t.id, cl->client_id, cli_assignment_row,
	    &a)) != IDG_OK) {
		rc = cli_store_fail(st, "reading the assignments");
		goto out;
	}
	if (a.n == 0)
		printf("assigned:          nobody (no user can sign in)\n");
out:
	free(cl);
	return rc;
}

static int
cmd_client_delete(struct cli *c, int argc, char **argv)
{
	struct idg_tenant t;
	char *pos[1];
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, NULL, 1, "oidc client delete --tenant ID"
	    " CLIENT_ID", pos, &t)) != 0)
		return rc;
	st = idg_store_oidc_client_delete(c->st, t.id, pos[0]);
	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "client_not_found", "no OIDC client \"%s\" in"
		    " tenant %s", pos[0], t.company_id);
	if (st != IDG_OK)
		return cli_store_fail(st, "deleting the client");
	cli_audit(c, t.id, "oidc.client.delete", pos[0], "ok", NULL);
	printf("client %s deleted from tenant %s\n", pos[0], t.company_id);
	return 0;
}

static int
cmd_client_assign(struct cli *c, int argc, char **argv)
{
	const char *tenant = NULL, *user = NULL, *group = NULL;
	const struct cli_opt opts[] = {
		{ "--tenant", &tenant, NULL },
		{ "--user", &user, NULL },
		{ "--group", &group, NULL },
		{ NULL, NULL, NULL },
	};
	struct idg_oidc_client *cl;
	struct idg_tenant t;
	const char *kind, *who;
	char *pos[1], detail[192];
	int rc, st, npos;

	if ((rc = cli_parse(argc, argv, opts, pos, 1, &npos)) != 0)
		return rc;
	if (tenant == NULL || npos != 1 || (user == NULL) == (group == NULL))
		return cli_fail(IDG_EXIT_USAGE, "usage", "oidc client assign --tenant ID"
		    " CLIENT_ID (--user EMAIL | --group NAME)");
	kind = user != NULL ? "user" : "group";
	who = user != NULL ? user : group;
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, tenant, &t)) != 0)
		return rc;
	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return cli_fail(IDG_EXIT_FAILURE, "internal_error", "out of memory");
	if ((rc = client_find(c, &t, pos[0], cl)) != 0)
		goto out;
	st = idg_store_oidc_client_assign(c->st, t.id, cl->client_id, kind, who);
	if (st == IDG_NOTFOUND) {
		rc = user != NULL ?
		    cli_fail(IDG_EXIT_REFUSED, "user_not_found", "no user \"%s\" in tenant %s",
		    who, t.company_id) :
		    cli_fail(IDG_EXIT_REFUSED, "group_not_found", "no group \"%s\" in tenant %s",
		    who, t.company_id);
		goto out;
	}
	if (st == IDG_EXISTS) {
		rc = cli_fail(IDG_EXIT_REFUSED, "already_assigned", "%s \"%s\" is already"
		    " assigned to client %s", kind, who, cl->client_id);
		goto out;
	}
	if (st != IDG_OK) {
		rc = cli_store_fail(st, "assigning the client");
		goto out;
	}
	snprintf(detail, sizeof(detail), "%s %s", kind, who);
	cli_audit(c, t.id, "oidc.client.assign", cl->client_id, "ok", detail);
	printf("%s %s assigned to client %s\n", kind, who, cl->client_id);
out:
	free(cl);
	return rc;
}

static int
cmd_client_reset_secret(struct cli *c, int argc, char **argv)
{
	char *pos[1], secret[IDG_B64URL_LEN(SECRET_BYTES)], hash[65];
	struct idg_tenant t;
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, NULL, 1, "oidc client reset-secret --tenant ID"
	    " CLIENT_ID", pos, &t)) != 0)
		return rc;
	if ((rc = new_secret(secret, sizeof(secret), hash)) != 0)
		return rc;
	st = idg_store_oidc_client_set_secret(c->st, t.id, pos[0], hash);
	if (st == IDG_NOTFOUND) {
		rc = cli_fail(IDG_EXIT_REFUSED, "client_not_found", "no OIDC client \"%s\" in"
		    " tenant %s", pos[0], t.company_id);
	} else if (st == IDG_DECLINED) {
		rc = cli_fail(IDG_EXIT_REFUSED, "public_client", "client %s is public: it has no"
		    " secret", pos[0]);
	} else if (st != IDG_OK) {
		rc = cli_store_fail(st, "storing the secret");
	} else {
		cli_audit(c, t.id, "oidc.client.reset_secret", pos[0], "ok", NULL);
		printf("client %s: new client_secret: %s\n", pos[0], secret);
		printf("The secret is shown only now; the old one no longer works.\n");
	}
	idg_wipe(secret, sizeof(secret));
	return rc;
}

int
cli_oidc(struct cli *c, int argc, char **argv)
{
	const char *noun = argv[0], *verb = argc > 1 ? argv[1] : "";

	if (strcmp(noun, "key") == 0) {
		if (strcmp(verb, "list") == 0)
			return cmd_key_list(c, argc - 2, argv + 2);
		if (strcmp(verb, "rotate") == 0)
			return cmd_key_rotate(c, argc - 2, argv + 2);
		if (strcmp(verb, "purge") == 0)
			return cmd_key_purge(c, argc - 2, argv + 2);
		return cli_fail(IDG_EXIT_USAGE, "usage", "unknown oidc key command \"%s\" (list,"
		    " rotate, purge)", verb);
	}
	if (strcmp(noun, "client") == 0) {
		if (strcmp(verb, "add") == 0)
			return cmd_client_add(c, argc - 2, argv + 2);
		if (strcmp(verb, "list") == 0)
			return cmd_client_list(c, argc - 2, argv + 2);
		if (strcmp(verb, "show") == 0)
			return cmd_client_show(c, argc - 2, argv + 2);
		if (strcmp(verb, "delete") == 0)
			return cmd_client_delete(c, argc - 2, argv + 2);
		if (strcmp(verb, "assign") == 0)
			return cmd_client_assign(c, argc - 2, argv + 2);
		if (strcmp(verb, "reset-secret") == 0)
			return cmd_client_reset_secret(c, argc - 2, argv + 2);
		return cli_fail(IDG_EXIT_USAGE, "usage", "unknown oidc client command \"%s\""
		    " (add, list, show, delete, assign, reset-secret)", verb);
	}
	return cli_fail(IDG_EXIT_USAGE, "usage", "unknown oidc command \"%s\" (key, client)",
	    noun);
}
