/*
 * test_password.c - argon2id hashing and the password policy
 * (idp-adapters/local/password.c), with small argon2 parameters so the
 * suite stays fast. Not the sign-in flow or lockouts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "idp-adapters/local/password.h"
#include "gateway/util/status.h"

static const struct idg_argon2_params small = { 1, 64, 1 };

static void
test_round_trip(void **state)
{
	char h[IDG_PASSWORD_HASH_MAX], h2[IDG_PASSWORD_HASH_MAX];

	(void)state;
	assert_int_equal(idg_password_hash(&small, "Correct-horse-9", h, sizeof(h)), IDG_OK);
	assert_true(strncmp(h, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0);
	assert_int_equal(idg_password_verify(h, "Correct-horse-9"), IDG_OK);
	assert_int_equal(idg_password_verify(h, "Correct-horse-8"), IDG_DECLINED);
	assert_int_equal(idg_password_verify(h, ""), IDG_DECLINED);
	/* A fresh salt each time: same password, different hash, both verify. */
	assert_int_equal(idg_password_hash(&small, "Correct-horse-9", h2, sizeof(h2)), IDG_OK);
	assert_string_not_equal(h, h2);
	assert_int_equal(idg_password_verify(h2, "Correct-horse-9"), IDG_OK);
	/* Too small an output buffer is refused, not truncated. */
	assert_int_equal(idg_password_hash(&small, "x", h2, 20), IDG_INVALID);
}

static void
test_malformed(void **state)
{
	char h[IDG_PASSWORD_HASH_MAX];

	(void)state;
	assert_int_equal(idg_password_verify("", "pw"), IDG_INVALID);
	assert_int_equal(idg_password_verify("plaintext", "pw"), IDG_INVALID);
	assert_int_equal(idg_password_verify("$argon2id$v=19$m=64,t=1,p=1$bad", "pw"),
	    IDG_INVALID);
	/* Another argon2 variant is not ours. */
	assert_int_equal(idg_password_verify("$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$"
	    "aGFzaGhhc2hoYXNoaGFzaA", "pw"), IDG_INVALID);
	/* A damaged stored hash: a corrupted parameter. */
	assert_int_equal(idg_password_hash(&small, "Pw-12345", h, sizeof(h)), IDG_OK);
	h[16] = 'x';	/* inside "m=64" */
	assert_int_equal(idg_password_verify(h, "Pw-12345"), IDG_INVALID);
	/* Parameters argon2 refuses. */
	{
		struct idg_argon2_params bad = { 0, 64, 1 };

		assert_int_not_equal(idg_password_hash(&bad, "Pw-12345", h, sizeof(h)), IDG_OK);
	}
}

static void
test_dummy(void **state)
{
	(void)state;
	/* Only that it runs with the given parameters and returns. */
	idg_password_verify_dummy(&small, "whatever");
}

static int
check(const struct idg_password_policy *p, const char *pw, const char *want)
{
	const char *code = "unset";
	int st = idg_password_policy_check(p, pw, &code);

	if (want == NULL) {
		assert_int_equal(st, IDG_OK);
		assert_null(code);
	} else {
		assert_int_equal(st, IDG_DECLINED);
		assert_non_null(code);
		assert_string_equal(code, want);
	}
	return 0;
}

static void
test_policy(void **state)
{
	struct idg_password_policy p;
	char big[300];

	(void)state;
	idg_password_policy_default(&p);
	assert_int_equal(p.min_length, 8);
	check(&p, "Abcdef1!", NULL);
	check(&p, "Abcde1!", "password_too_short");
	check(&p, "abcdef1!", "password_needs_upper");
	check(&p, "ABCDEF1!", "password_needs_lower");
	check(&p, "Abcdefg!", "password_needs_digit");
	check(&p, "Abcdefg1", "password_needs_symbol");
	check(&p, "Abc def1", NULL);	/* space counts as a symbol */
	/* Non-ASCII letters count as symbols; length counts code points. */
	check(&p, "Ab1\xe3\x81\x82\xe3\x81\x84\xe3\x81\x86\xe3\x81\x88\xe3\x81\x8a", NULL);
	/* 7 code points in 13 bytes: too short although bytes >= 8. */
	check(&p, "Ab1\xe3\x81\x82\xe3\x81\x84\xe3\x81\x86x", "password_too_short");
	/* max_length counts bytes. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "A1!", 3);
	big[256] = '\0';
	check(&p, big, NULL);
	big[256] = 'a';
	big[257] = '\0';
	check(&p, big, "password_too_long");
	/* Rules switched off. */
	p.require_symbol = false;
	p.require_upper = false;
	check(&p, "abcdefg1", NULL);
	p.min_length = 12;
	check(&p, "abcdefg1", "password_too_short");
	check(&p, "", "password_too_short");
}

static void
test_generate(void **state)
{
	struct idg_password_policy p;
	char pw[32], prev[32] = "";
	const char *code;
	int i;

	(void)state;
	idg_password_policy_default(&p);
	assert_int_equal(idg_password_generate(pw, 16), IDG_INVALID);	/* no room for NUL */
	for (i = 0; i < 200; i++) {
		assert_int_equal(idg_password_generate(pw, sizeof(pw)), IDG_OK);
		assert_int_equal(strlen(pw), 16);
		assert_int_equal(idg_password_policy_check(&p, pw, &code), IDG_OK);
		/* No look-alike characters. */
		assert_null(strpbrk(pw, "IOl01 ,\"'\\"));
		assert_string_not_equal(pw, prev);
		memcpy(prev, pw, sizeof(prev));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_dummy),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_generate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
