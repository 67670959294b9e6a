/*
 * test_session_codec.c - unit tests of the session stored form (encode,
 * decode and every malformed input we can name), the storage key, the
 * dispatch checks of session.c and the "memory" backend's semantics (NX
 * create, sliding idle timeout, absolute lifetime, XX update, destroy) on a
 * fake clock. The Redis backend is covered by tests/integration/redis.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/session/session.h"
#include "gateway/session/session_impl.h"
#include "gateway/util/status.h"

#define CSRF "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
#define GOOD "1|acme|7|42|1700000000|1700000100|3|1|" CSRF

static int64_t fake_now = 1700000000;
static int64_t (*real_clock)(void);

static int64_t
fake_clock(void)
{
	return fake_now;
}

static int cb_calls;

static void
never_cb(void *arg, int st, const struct idg_session *s)
{
	cb_calls++;
}

static void
sample(struct idg_session *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->company_id, sizeof(s->company_id), "acme");
	s->tenant_id = 7;
	s->user_id = 42;
	s->created_at = 1700000000;
	s->auth_time = 1700000100;
	s->amr = IDG_AMR_PWD | IDG_AMR_OTP;
	s->flags = IDG_SESSION_MUST_CHANGE_PASSWORD;
	snprintf(s->csrf, sizeof(s->csrf), "%s", CSRF);
}

static void
test_round_trip(void **state)
{
	struct idg_session s, d;
	char buf[256];
	int n;

	sample(&s);
	snprintf(s.id, sizeof(s.id), "%s", "ZYXWVUTSRQPONMLKJIHGFEDCBA_-9876543210zyxwv");
	n = idg_session_encode(&s, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(GOOD));
	assert_string_equal(buf, GOOD);
	/* The id is not stored: the key is its hash. */
	assert_null(strstr(buf, s.id));
	assert_int_equal(idg_session_decode(buf, (unsigned)n, &d), IDG_OK);
	assert_string_equal(d.id, "");
	assert_string_equal(d.company_id, "acme");
	assert_true(d.tenant_id == 7 && d.user_id == 42);
	assert_true(d.created_at == 1700000000 && d.auth_time == 1700000100);
	assert_int_equal(d.amr, IDG_AMR_PWD | IDG_AMR_OTP);
	assert_int_equal(d.flags, IDG_SESSION_MUST_CHANGE_PASSWORD);
	assert_string_equal(d.csrf, CSRF);

	/* Edges that are valid: empty company, zeros, the largest values. */
	{
		const char *ok[] = {
			"1||0|0|0|0|0|0|" CSRF,
			"1|a-1|9223372036854775807|9223372036854775807|"
			    "9223372036854775807|9223372036854775807|15|1|" CSRF,
			"1|" "abcdefghijklmnopqrstuvwxyz012345" "|1|1|1|1|8|0|" CSRF,
		};
		size_t i;

		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			assert_int_equal(idg_session_decode(ok[i], (unsigned)strlen(ok[i]), &d),
			    IDG_OK);
			n = idg_session_encode(&d, buf, sizeof(buf));
			assert_int_equal(n, (int)strlen(ok[i]));
			assert_memory_equal(buf, ok[i], (size_t)n);
		}
	}
}

static void
test_encode_rejects(void **state)
{
	struct idg_session s;
	char buf[256];

	sample(&s);
	assert_int_equal(idg_session_encode(&s, buf, 20), -1);	/* too small */
	assert_int_equal(idg_session_encode(NULL, buf, sizeof(buf)), -1);
	snprintf(s.company_id, sizeof(s.company_id), "Acme");
	assert_int_equal(idg_session_encode(&s, buf, sizeof(buf)), -1);
	snprintf(s.company_id, sizeof(s.company_id), "a|b");
	assert_int_equal(idg_session_encode(&s, buf, sizeof(buf)), -1);
	sample(&s);
	s.tenant_id = -1;
	assert_int_equal(idg_session_encode(&s, buf, sizeof(buf)), -1);
	sample(&s);
	s.created_at = -5;
	assert_int_equal(idg_session_encode(&s, buf, sizeof(buf)), -1);
	sample(&s);
	s.amr = 0x10;
	assert_int_equal(idg_session_encode(&s, buf, sizeof(buf)), -1);
	sample(&s);
	s.flags = 0x8;	/* an unknown flag bit */
	assert_int_equal(idg_session_encode(&s, buf, sizeof(buf)), -1);
	sample(&s);
	s.csrf[10] = '|';
	assert_int_equal(idg_session_encode(&s, buf, sizeof(buf)), -1);
	sample(&s);
	s.csrf[42] = '\0';
	assert_int_equal(idg_session_encode(&s, buf, sizeof(buf)), -1);
	sample(&s);
	assert_true(idg_session_encode(&s, buf, sizeof(buf)) > 0);
}

static void
test_decode_rejects(void **state)
{
	static const char *bad[] = {
		"",
		"1",
		"|",
		"1|acme|7|42|1700000000|1700000100|3|1",		/* 8 fields */
		GOOD "|",						/* 10 fields */
		GOOD "|x",
		"2|acme|7|42|1700000000|1700000100|3|1|" CSRF,		/* version */
		"01|acme|7|42|1700000000|1700000100|3|1|" CSRF,
		"|acme|7|42|1700000000|1700000100|3|1|" CSRF,
		" 1|acme|7|42|1700000000|1700000100|3|1|" CSRF,
		"1|Acme|7|42|1700000000|1700000100|3|1|" CSRF,		/* company */
		"1|ac|7|42|1700000000|1700000100|3|1|" CSRF,
		"1|-acme|7|42|1700000000|1700000100|3|1|" CSRF,
		"1|ac me|7|42|1700000000|1700000100|3|1|" CSRF,
		"1|abcdefghijklmnopqrstuvwxyz0123456|7|42|1|1|3|1|" CSRF,
		"1|acme||42|1700000000|1700000100|3|1|" CSRF,		/* integers */
		"1|acme|-7|42|1700000000|1700000100|3|1|" CSRF,
		"1|acme|+7|42|1700000000|1700000100|3|1|" CSRF,
		"1|acme|07|42|1700000000|1700000100|3|1|" CSRF,
		"1|acme| 7|42|1700000000|1700000100|3|1|" CSRF,
		"1|acme|7 |42|1700000000|1700000100|3|1|" CSRF,
		"1|acme|7|4x|1700000000|1700000100|3|1|" CSRF,
		"1|acme|7|42|9223372036854775808|1700000100|3|1|" CSRF,
		"1|acme|7|42|99999999999999999999|1700000100|3|1|" CSRF,
		"1|acme|7|42|1700000000|0x10|3|1|" CSRF,
		"1|acme|7|42|1700000000|1700000100|16|1|" CSRF,		/* amr */
		"1|acme|7|42|1700000000|1700000100|1000|1|" CSRF,
		"1|acme|7|42|1700000000|1700000100||1|" CSRF,
		"1|acme|7|42|1700000000|1700000100|3|8|" CSRF,		/* flags */
		"1|acme|7|42|1700000000|1700000100|3|-1|" CSRF,
		"1|acme|7|42|1700000000|1700000100|3|1|",		/* csrf */
		"1|acme|7|42|1700000000|1700000100|3|1|" CSRF "x",
		"1|acme|7|42|1700000000|1700000100|3|1|bcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ",
		"1|acme|7|42|1700000000|1700000100|3|1|abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP=",
		"1|acme|7|42|1700000000|1700000100|3|1|abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP+",
	};
	struct idg_session d;
	char big[300], nul[sizeof(GOOD)];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&d, 0x5a, sizeof(d));
		if (idg_session_decode(bad[i], (unsigned)strlen(bad[i]), &d) != IDG_INVALID)
			fail_msg("accepted: \"%s\"", bad[i]);
		/* Output untouched on failure. */
		assert_int_equal(((unsigned char *)&d)[0], 0x5a);
	}
	/* A NUL anywhere, a length past the data, an oversized record. */
	memcpy(nul, GOOD, sizeof(GOOD));
	nul[5] = '\0';
	assert_int_equal(idg_session_decode(nul, (unsigned)strlen(GOOD), &d), IDG_INVALID);
	memcpy(nul, GOOD, sizeof(GOOD));
	assert_int_equal(idg_session_decode(nul, (unsigned)sizeof(GOOD), &d), IDG_INVALID);
	memset(big, '1', sizeof(big));
	assert_int_equal(idg_session_decode(big, sizeof(big), &d), IDG_INVALID);
	assert_int_equal(idg_session_decode(NULL, 3, &d), IDG_INVALID);
	assert_int_equal(idg_session_decode(GOOD, (unsigned)strlen(GOOD), NULL), IDG_INVALID);
	/* Truncations of a good record are all invalid. */
	for (i = 0; i < strlen(GOOD); i++)
		assert_int_equal(idg_session_decode(GOOD, (unsigned)i, &d), IDG_INVALID);
	assert_int_equal(idg_session_decode(GOOD, (unsigned)strlen(GOOD), &d), IDG_OK);
}

/* Version 2: the device certificate that passed the check. */
static void
test_device_fields(void **state)
{
	static const char *bad[] = {
		/* serial: not 32 lower-case hex digits */
		"2|acme|7|42|1700000000|1700000100|7|0|" CSRF "|0123456789ABCDEF0123456789abcdef|TGFwdG9w",
		"2|acme|7|42|1700000000|1700000100|7|0|" CSRF "|0123456789abcdef|TGFwdG9w",
		/* name: empty, not base64url, a NUL, not UTF-8 */
		"2|acme|7|42|1700000000|1700000100|7|0|" CSRF "|0123456789abcdef0123456789abcdef|",
		"2|acme|7|42|1700000000|1700000100|7|0|" CSRF "|0123456789abcdef0123456789abcdef|TGF+dG9w",
		"2|acme|7|42|1700000000|1700000100|7|0|" CSRF "|0123456789abcdef0123456789abcdef|AA",
		"2|acme|7|42|1700000000|1700000100|7|0|" CSRF "|0123456789abcdef0123456789abcdef|_w",
		/* version 2 needs both fields; version 1 takes none */
		"2|acme|7|42|1700000000|1700000100|7|0|" CSRF,
		"1|acme|7|42|1700000000|1700000100|7|0|" CSRF "|0123456789abcdef0123456789abcdef|TGFwdG9w",
		"3|acme|7|42|1700000000|1700000100|7|0|" CSRF,
	};
	struct idg_session s, d;
	char buf[IDG_SESSION_ENCODED_MAX + 1];
	size_t i;
	int n;

	sample(&s);
	s.amr |= IDG_AMR_CERT;
	s.flags = IDG_SESSION_DEVICE_PENDING;
	snprintf(s.device_serial, sizeof(s.device_serial), "0123456789abcdef0123456789abcdef");
	/* The longest name: 64 bytes of UTF-8 (a '|' too: it is encoded). */
	snprintf(s.device_name, sizeof(s.device_name), "%s",
	    "ノートPC|ノートPC|ノートPC|ノートPC|ノートPC|1234");
	assert_int_equal(strlen(s.device_name), 64);
	n = idg_session_encode(&s, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(buf[0], '2');
	assert_int_equal(idg_session_decode(buf, (unsigned)n, &d), IDG_OK);
	assert_string_equal(d.device_serial, s.device_serial);
	assert_string_equal(d.device_name, s.device_name);
	assert_int_equal(d.flags, IDG_SESSION_DEVICE_PENDING);
	assert_int_equal(d.amr, s.amr);

	/* A serial without a name (or a bad one) is not encodable. */
	s.device_name[0] = '\0';
	assert_int_equal(idg_session_encode(&s, buf, sizeof(buf)), -1);
	snprintf(s.device_serial, sizeof(s.device_serial), "not hex");
	snprintf(s.device_name, sizeof(s.device_name), "Laptop");
	assert_int_equal(idg_session_encode(&s, buf, sizeof(buf)), -1);

	/* No device: still version 1, readable by older gateways. */
	sample(&s);
	n = idg_session_encode(&s, buf, sizeof(buf));
	assert_int_equal(buf[0], '1');
	assert_int_equal(idg_session_decode(buf, (unsigned)n, &d), IDG_OK);
	assert_string_equal(d.device_serial, "");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(idg_session_decode(bad[i], (unsigned)strlen(bad[i]), &d),
		    IDG_INVALID);
	n = snprintf(buf, sizeof(buf), "2|acme|7|42|1|1|7|0|%s|%s|%s", CSRF,
	    "0123456789abcdef0123456789abcdef", "TGFwdG9w");
	assert_int_equal(idg_session_decode(buf, (unsigned)n, &d), IDG_OK);
	assert_string_equal(d.device_name, "Laptop");
}

static void
test_key_and_id(void **state)
{
	char key[IDG_SESSION_KEY_LEN];
	char id[IDG_SESSION_ID_LEN + 1];

	memset(id, 'A', IDG_SESSION_ID_LEN);
	id[IDG_SESSION_ID_LEN] = '\0';
	idg_session_key(id, key);
	/* SHA-256("A" x 43), first 16 bytes. */
	assert_string_equal(key, "s:0f007385b6f9d4b7eeb2748605afe1a9");
	idg_session_key(CSRF, key);
	assert_string_equal(key, "s:46a2199782c8827f0ac56f503be9d39e");

	assert_true(idg_session_id_valid(CSRF));
	assert_true(idg_session_id_valid(id));
	assert_false(idg_session_id_valid(NULL));
	assert_false(idg_session_id_valid(""));
	assert_false(idg_session_id_valid(CSRF "A"));
	id[3] = '.';
	assert_false(idg_session_id_valid(id));
	id[3] = '=';
	assert_false(idg_session_id_valid(id));
	id[42] = '\0';
	assert_false(idg_session_id_valid(id));
}

static void
test_index_key(void **state)
{
	char key[IDG_SESSION_INDEX_KEY_LEN];

	/* The name the CLI's purge and the gateway's writes must agree on. */
	idg_session_index_key(7, key);
	assert_string_equal(key, "st:7");
	idg_session_index_key(INT64_MAX, key);
	assert_string_equal(key, "st:9223372036854775807");
	assert_true(strlen(key) < IDG_SESSION_INDEX_KEY_LEN);
}

static struct idg_session_store *
mem_store(int idle_s, int abs_s)
{
	struct idg_session_config cfg = { idle_s, abs_s };
	struct idg_session_store *ss = idg_session_store_new("memory", &cfg, NULL);

	assert_non_null(ss);
	return ss;
}

static int
setup_clock(void **state)
{
	real_clock = idg_session_clock;
	idg_session_clock = fake_clock;
	fake_now = 1700000000;
	cb_calls = 0;
	return 0;
}

static int
restore_clock(void **state)
{
	/* No test may leave callbacks behind: the memory backend is synchronous. */
	assert_int_equal(cb_calls, 0);
	idg_session_clock = real_clock;
	return 0;
}

static void
test_store_new(void **state)
{
	struct idg_session_config cfg = { 60, 3600 }, zero = { 0, 3600 };

	assert_null(idg_session_store_new("nosuch", &cfg, NULL));
	assert_null(idg_session_store_new(NULL, &cfg, NULL));
	assert_null(idg_session_store_new("memory", NULL, NULL));
	assert_null(idg_session_store_new("memory", &zero, NULL));
	/* The redis driver needs a client. */
	assert_null(idg_session_store_new("redis", &cfg, NULL));
	idg_session_store_free(NULL);
}

static void
test_memory_crud(void **state)
{
	struct idg_session_store *ss = mem_store(600, 36000);
	struct idg_session s, s2, out;

	sample(&s);
	s.created_at = 0;
	s.auth_time = 0;
	s.csrf[0] = '\0';
	assert_int_equal(idg_session_create(ss, &s, never_cb, NULL), IDG_OK);
	assert_true(idg_session_id_valid(s.id));
	assert_true(idg_session_id_valid(s.csrf));
	assert_true(s.created_at == fake_now && s.auth_time == fake_now);

	sample(&s2);
	assert_int_equal(idg_session_create(ss, &s2, never_cb, NULL), IDG_OK);
	assert_string_not_equal(s.id, s2.id);
	assert_string_not_equal(s.csrf, s2.csrf);
	/* Preset times are kept. */
	assert_true(s2.created_at == 1700000000 && s2.auth_time == 1700000100);

	memset(&out, 0, sizeof(out));
	assert_int_equal(idg_session_get(ss, s.id, &out, never_cb, NULL), IDG_OK);
	assert_memory_equal(&out, &s, sizeof(s));

	/* Update (XX semantics). */
	s.flags = 0;
	s.amr |= IDG_AMR_CERT;
	assert_int_equal(idg_session_update(ss, &s, never_cb, NULL), IDG_OK);
	assert_int_equal(idg_session_get(ss, s.id, &out, never_cb, NULL), IDG_OK);
	assert_int_equal(out.flags, 0);
	assert_int_equal(out.amr, IDG_AMR_PWD | IDG_AMR_OTP | IDG_AMR_CERT);

	/* Destroy, twice; then absent everywhere. */
	assert_int_equal(idg_session_destroy(ss, s.id, s.tenant_id, never_cb, NULL), IDG_OK);
	assert_int_equal(idg_session_destroy(ss, s.id, 0, never_cb, NULL), IDG_OK);
	assert_int_equal(idg_session_get(ss, s.id, &out, never_cb, NULL), IDG_NOTFOUND);
	assert_int_equal(idg_session_update(ss, &s, never_cb, NULL), IDG_NOTFOUND);
	assert_int_equal(idg_session_get(ss, s2.id, &out, never_cb, NULL), IDG_OK);

	/* Malformed input. */
	assert_int_equal(idg_session_get(ss, "short", &out, never_cb, NULL), IDG_NOTFOUND);
	assert_int_equal(idg_session_get(ss, NULL, &out, never_cb, NULL), IDG_NOTFOUND);
	assert_int_equal(idg_session_get(ss, s2.id, NULL, never_cb, NULL), IDG_INVALID);
	assert_int_equal(idg_session_get(ss, s2.id, &out, NULL, NULL), IDG_INVALID);
	assert_int_equal(idg_session_destroy(ss, "x", 7, never_cb, NULL), IDG_INVALID);
	assert_int_equal(idg_session_destroy(ss, s2.id, -1, never_cb, NULL), IDG_INVALID);
	s2.amr = 0x40;
	assert_int_equal(idg_session_update(ss, &s2, never_cb, NULL), IDG_INVALID);
	sample(&s2);
	snprintf(s2.company_id, sizeof(s2.company_id), "BAD");
	assert_int_equal(idg_session_create(ss, &s2, never_cb, NULL), IDG_INVALID);
	sample(&s2);
	s2.id[0] = '\0';
	assert_int_equal(idg_session_update(ss, &s2, never_cb, NULL), IDG_INVALID);
	idg_session_store_free(ss);
}

static void
test_memory_idle(void **state)
{
	struct idg_session_store *ss = mem_store(10, 1000);
	struct idg_session s, out;

	sample(&s);
	s.created_at = 0;
	assert_int_equal(idg_session_create(ss, &s, never_cb, NULL), IDG_OK);
	fake_now += 9;
	assert_int_equal(idg_session_get(ss, s.id, &out, never_cb, NULL), IDG_OK);
	fake_now += 9;		/* 18 s after create, 9 after the last read */
	assert_int_equal(idg_session_get(ss, s.id, &out, never_cb, NULL), IDG_OK);
	fake_now += 10;		/* a full idle period without a read */
	assert_int_equal(idg_session_get(ss, s.id, &out, never_cb, NULL), IDG_NOTFOUND);
	fake_now -= 5;		/* gone for good, even if the clock steps back */
	assert_int_equal(idg_session_get(ss, s.id, &out, never_cb, NULL), IDG_NOTFOUND);

	/* An update also slides the idle timeout; an expired one cannot be updated. */
	sample(&s);
	s.created_at = 0;
	assert_int_equal(idg_session_create(ss, &s, never_cb, NULL), IDG_OK);
	fake_now += 9;
	assert_int_equal(idg_session_update(ss, &s, never_cb, NULL), IDG_OK);
	fake_now += 9;
	assert_int_equal(idg_session_get(ss, s.id, &out, never_cb, NULL), IDG_OK);
	fake_now += 11;
	assert_int_equal(idg_session_update(ss, &s, never_cb, NULL), IDG_NOTFOUND);
	idg_session_store_free(ss);
}

static void
test_memory_absolute(void **state)
{
	struct idg_session_store *ss = mem_store(10, 25);
	struct idg_session s, old, out;

	sample(&s);
	s.created_at = 0;
	assert_int_equal(idg_session_create(ss, &s, never_cb, NULL), IDG_OK);
	fake_now += 9;
	assert_int_equal(idg_session_get(ss, s.id, &out, never_cb, NULL), IDG_OK);
	fake_now += 9;
	assert_int_equal(idg_session_get(ss, s.id, &out, never_cb, NULL), IDG_OK);
	fake_now += 6;		/* 24 s: still inside the lifetime */
	assert_int_equal(idg_session_get(ss, s.id, &out, never_cb, NULL), IDG_OK);
	fake_now += 1;		/* 25 s: lifetime over although it was just read */
	assert_int_equal(idg_session_get(ss, s.id, &out, never_cb, NULL), IDG_NOTFOUND);

	/* A session created with an old created_at is dead on arrival. */
	sample(&old);
	old.created_at = fake_now - 25;
	assert_int_equal(idg_session_create(ss, &old, never_cb, NULL), IDG_OK);
	assert_int_equal(idg_session_get(ss, old.id, &out, never_cb, NULL), IDG_NOTFOUND);
	/* Near its end it lives until the lifetime is over, reads or not. */
	sample(&old);
	old.created_at = fake_now - 22;
	assert_int_equal(idg_session_create(ss, &old, never_cb, NULL), IDG_OK);
	fake_now += 2;
	assert_int_equal(idg_session_get(ss, old.id, &out, never_cb, NULL), IDG_OK);
	fake_now += 1;
	assert_int_equal(idg_session_get(ss, old.id, &out, never_cb, NULL), IDG_NOTFOUND);
	idg_session_store_free(ss);
}

static void
test_memory_many(void **state)
{
	struct idg_session_store *ss = mem_store(10, 1000);
	static struct idg_session s[600];
	struct idg_session out;
	int i;

	for (i = 0; i < 600; i++) {
		sample(&s[i]);
		s[i].user_id = i;
		assert_int_equal(idg_session_create(ss, &s[i], never_cb, NULL), IDG_OK);
	}
	for (i = 0; i < 600; i += 2)
		assert_int_equal(idg_session_destroy(ss, s[i].id, s[i].tenant_id, never_cb, NULL),
		    IDG_OK);
	for (i = 0; i < 600; i++) {
		int st = idg_session_get(ss, s[i].id, &out, never_cb, NULL);

		assert_int_equal(st, i % 2 == 0 ? IDG_NOTFOUND : IDG_OK);
		if (st == IDG_OK)
			assert_int_equal(out.user_id, i);
	}
	/* Freed with live entries: checked by the sanitizer build. */
	idg_session_store_free(ss);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_device_fields),
		cmocka_unit_test(test_key_and_id),
		cmocka_unit_test(test_index_key),
		cmocka_unit_test_setup_teardown(test_store_new, setup_clock, restore_clock),
		cmocka_unit_test_setup_teardown(test_memory_crud, setup_clock, restore_clock),
		cmocka_unit_test_setup_teardown(test_memory_idle, setup_clock, restore_clock),
		cmocka_unit_test_setup_teardown(test_memory_absolute, setup_clock, restore_clock),
		cmocka_unit_test_setup_teardown(test_memory_many, setup_clock, restore_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
