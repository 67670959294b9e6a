/*
 * test_config.c - the configuration loader: the example documents every key
 * with its default, and every kind of bad file gets "FILE:LINE: message".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libconfig.h>

#include "gateway/config/config.h"
#include "gateway/util/status.h"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;
	char *p;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return p;
}

/* Replaces every occurrence of a by b (same length or shorter) in place. */
static void
replace_all(char *s, const char *a, const char *b)
{
	char *p;

	while ((p = strstr(s, a)) != NULL) {
		memcpy(p, b, strlen(b));
		memmove(p + strlen(b), p + strlen(a), strlen(p + strlen(a)) + 1);
	}
}

static void
example_documents_every_key(void **state)
{
	config_t cf;
	const char *k;
	unsigned i;

	config_init(&cf);
	assert_int_equal(config_read_file(&cf, EXAMPLE_CONF), CONFIG_TRUE);
	for (i = 0; (k = idg_config_key_at(i)) != NULL; i++) {
		char path[128];

		if (strncmp(k, "listeners.", 10) == 0)
			snprintf(path, sizeof(path), "listeners.[0].%s", k + 10);
		else
			snprintf(path, sizeof(path), "%s", k);
		if (config_lookup(&cf, path) == NULL)
			fail_msg("conf/idgate.conf.example does not document \"%s\"", k);
	}
	assert_true(i > 30);
	config_destroy(&cf);
}

static void
example_values_are_the_defaults(void **state)
{
	struct idg_config def, ex;
	char err[512], *text = slurp(EXAMPLE_CONF);

	/* Without TLS files the example must load as is. */
	replace_all(text, "tls = true;", "tls =false;");
	idg_config_defaults(&def);
	if (idg_config_load_string(&ex, text, "example.conf", false, err, sizeof(err)) != IDG_OK)
		fail_msg("the example does not load: %s", err);
	assert_int_equal(ex.redis_port, def.redis_port);
	assert_int_equal(ex.redis_command_timeout_ms, def.redis_command_timeout_ms);
	assert_int_equal(ex.max_body_bytes, def.max_body_bytes);
	assert_int_equal(ex.session_idle_timeout_s, def.session_idle_timeout_s);
	assert_int_equal(ex.session_absolute_lifetime_s, def.session_absolute_lifetime_s);
	assert_int_equal(ex.argon2.t_cost, def.argon2.t_cost);
	assert_int_equal(ex.argon2.m_cost_kib, def.argon2.m_cost_kib);
	assert_int_equal(ex.password_policy.min_length, def.password_policy.min_length);
	assert_int_equal(ex.signin_max_failures, def.signin_max_failures);
	assert_int_equal(ex.signin_rate_account_per_min, def.signin_rate_account_per_min);
	assert_int_equal(ex.pool_max_queue, def.pool_max_queue);
	assert_string_equal(ex.log_level, def.log_level);
	assert_int_equal(ex.nlisteners, 1);
	assert_int_equal(ex.listeners[0].port, 8443);
	assert_true(ex.workers >= 1);	/* 0 resolves to the core count */
	free(text);
}

static void
expect_error(const char *text, const char *want)
{
	struct idg_config c;
	char err[512];

	assert_int_equal(idg_config_load_string(&c, text, "t.conf", false, err, sizeof(err)),
	    IDG_INVALID);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void
bad_files_name_the_line(void **state)
{
	const char *L = "listeners = ( { port = 8080; tls = false; } );\n";
	char buf[1024];

	expect_error("listeners = ( { port = 8080; tls = false; } )\nworkers = ;\n",
	    "t.conf:2:");
	snprintf(buf, sizeof(buf), "%s\nredis = {\n  prot = 1;\n};\n", L);
	expect_error(buf, "t.conf:4: unknown key \"redis.prot\"");
	snprintf(buf, sizeof(buf), "%sworkers = 100000;\n", L);
	expect_error(buf, "t.conf:2: workers must be from 0 to");
	snprintf(buf, sizeof(buf), "%sredis = { port = \"6379\"; };\n", L);
	expect_error(buf, "t.conf:2: redis.port must be an integer");
	snprintf(buf, sizeof(buf), "%slog = { level = \"loud\"; };\n", L);
	expect_error(buf, "log.level must be one of");
	snprintf(buf, sizeof(buf), "%strusted_proxies = [ \"10.0.0.0/33\" ];\n", L);
	expect_error(buf, "t.conf:2: trusted_proxies[0]");
	snprintf(buf, sizeof(buf), "%ssession = { idle_timeout_s = 600; absolute_lifetime_s = 300; };\n", L);
	expect_error(buf, "absolute_lifetime_s must be >=");
	expect_error("workers = 1;\n", "no listeners configured");
	expect_error("listeners = ( { port = 8443; } );\n", "t.conf:1: a TLS listener needs both cert and key");
	expect_error("listeners = ( { port = 8443; cert = \"/nonexistent.crt\"; key = \"/nonexistent.key\"; } );\n",
	    "cannot read cert \"/nonexistent.crt\"");
	expect_error("listeners = ( { port = 70000; tls = false; } );\n", "port must be");
	expect_error("listeners = ( { address = \"localhost\"; port = 80; tls = false; } );\n",
	    "is not an IP address");
	expect_error("listeners = ( { port = 8080; tls = false; client_certificates = true; } );\n",
	    "client_certificates needs a TLS listener");
}

static void
missing_file_is_reported(void **state)
{
	struct idg_config c;
	char err[512];

	assert_int_equal(idg_config_load(&c, "/nonexistent/idgate.conf", false, err,
	    sizeof(err)), IDG_INVALID);
	assert_non_null(strstr(err, "/nonexistent/idgate.conf:0: cannot read the file"));
}

static void
secrets_are_read_and_checked(void **state)
{
	char dir[] = "/tmp/idgate-config-XXXXXX", path[256], conf[512], err[512];
	struct idg_config c;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/master.key", dir);
	snprintf(conf, sizeof(conf), "listeners = ( { port = 8080; tls = false; } );\n"
	    "master_key_file = \"%s\";\n", path);

	/* missing */
	assert_int_equal(idg_config_load_string(&c, conf, "t.conf", true, err, sizeof(err)),
	    IDG_INVALID);
	assert_non_null(strstr(err, "cannot read"));
	/* too short */
	f = fopen(path, "w");
	fputs("abcd\n", f);
	fclose(f);
	chmod(path, 0600);
	assert_int_equal(idg_config_load_string(&c, conf, "t.conf", true, err, sizeof(err)),
	    IDG_INVALID);
	assert_non_null(strstr(err, "64 hex characters"));
	/* right, but readable by others */
	f = fopen(path, "w");
	fputs("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", f);
	fclose(f);
	chmod(path, 0644);
	assert_int_equal(idg_config_load_string(&c, conf, "t.conf", true, err, sizeof(err)),
	    IDG_INVALID);
	assert_non_null(strstr(err, "chmod 600"));
	chmod(path, 0600);
	assert_int_equal(idg_config_load_string(&c, conf, "t.conf", true, err, sizeof(err)),
	    IDG_OK);
	assert_true(c.master_key_loaded);
	assert_int_equal(c.master_key[0], 0x00);
	assert_int_equal(c.master_key[31], 0xff);
	idg_config_wipe(&c);
	assert_int_equal(c.master_key[31], 0);
	unlink(path);
	rmdir(dir);
}

static void
relative_paths_follow_the_file(void **state)
{
	struct idg_config c;
	char err[512];

	assert_int_equal(idg_config_load_string(&c,
	    "listeners = ( { port = 8080; tls = false; } );\nstore = { sqlite_path = \"db/x.db\"; };\n",
	    "/etc/idgate/idgate.conf", false, err, sizeof(err)), IDG_OK);
	assert_string_equal(c.sqlite_path, "/etc/idgate/db/x.db");
	assert_string_equal(c.master_key_file, "/etc/idgate/master.key");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(example_documents_every_key),
		cmocka_unit_test(example_values_are_the_defaults),
		cmocka_unit_test(bad_files_name_the_line),
		cmocka_unit_test(missing_file_is_reported),
		cmocka_unit_test(secrets_are_read_and_checked),
		cmocka_unit_test(relative_paths_follow_the_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
