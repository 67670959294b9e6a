/*
 * test_totp.c - idp-adapters/local/totp.c: the RFC 6238 Appendix B vectors
 * (SHA-1, cut to 6 digits), the verification window and the step it
 * reports, malformed codes, RFC 4648 base32 vectors, the otpauth URI, and
 * recovery codes and their normalized hashes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "idp-adapters/local/totp.h"
#include "gateway/util/status.h"

/* RFC 6238 Appendix B: the SHA-1 seed. */
static const uint8_t seed[20] = "12345678901234567890";

static void
test_rfc6238_vectors(void **state)
{
	static const struct {
		int64_t		 t;
		const char	*code8;
	} v[] = {
		{ 59, "94287082" },
		{ 1111111109, "07081804" },
		{ 1111111111, "14050471" },
		{ 1234567890, "89005924" },
		{ 2000000000, "69279037" },
		{ 20000000000LL, "65353130" },
	};
	char out[7];
	int64_t step;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		/* Our codes have 6 digits: the last 6 of the RFC's 8 (mod 10^6). */
		assert_int_equal(idg_totp_code(seed, sizeof(seed), v[i].t, out), IDG_OK);
		assert_string_equal(out, v[i].code8 + 2);
		assert_int_equal(idg_totp_verify(seed, sizeof(seed), v[i].code8 + 2, v[i].t, 0,
		    &step), IDG_OK);
		assert_int_equal(step, v[i].t / 30);
	}
	/* An 8-digit code is not ours. */
	assert_int_equal(idg_totp_verify(seed, sizeof(seed), "94287082", 59, 1, &step),
	    IDG_INVALID);
}

static void
test_window(void **state)
{
	const int64_t now = 1234567890;	/* step 41152263, 0 s into it */
	char c[5][7];
	int64_t step;
	int k;

	(void)state;
	for (k = -2; k <= 2; k++)
		assert_int_equal(idg_totp_code(seed, sizeof(seed), now + 30 * k, c[k + 2]),
		    IDG_OK);
	/* The five codes differ, so a match below says which step matched. */
	for (k = 1; k < 5; k++)
		assert_string_not_equal(c[k - 1], c[k]);
	/* +-1 accepted, with the matching step returned. */
	for (k = -1; k <= 1; k++) {
		step = -1;
		assert_int_equal(idg_totp_verify(seed, sizeof(seed), c[k + 2], now, 1, &step),
		    IDG_OK);
		assert_int_equal(step, now / 30 + k);
	}
	/* +-2 refused with window 1, accepted with window 2. */
	assert_int_equal(idg_totp_verify(seed, sizeof(seed), c[0], now, 1, &step), IDG_DECLINED);
	assert_int_equal(step, 0);
	assert_int_equal(idg_totp_verify(seed, sizeof(seed), c[4], now, 1, &step), IDG_DECLINED);
	assert_int_equal(idg_totp_verify(seed, sizeof(seed), c[4], now, 2, &step), IDG_OK);
	assert_int_equal(step, now / 30 + 2);
	/* Window 0: only the current step. */
	assert_int_equal(idg_totp_verify(seed, sizeof(seed), c[3], now, 0, &step), IDG_DECLINED);
	assert_int_equal(idg_totp_verify(seed, sizeof(seed), c[2], now, 0, &step), IDG_OK);
	/* Step boundaries: 29 s into the step is the same step, 30 s the next. */
	assert_int_equal(idg_totp_verify(seed, sizeof(seed), c[2], now + 29, 0, &step), IDG_OK);
	assert_int_equal(idg_totp_verify(seed, sizeof(seed), c[2], now + 30, 0, &step),
	    IDG_DECLINED);
	/* Another secret does not produce the same code here. */
	{
		uint8_t other[20];

		memcpy(other, seed, sizeof(other));
		other[0] ^= 1;
		assert_int_equal(idg_totp_verify(other, sizeof(other), c[2], now, 1, &step),
		    IDG_DECLINED);
	}
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = { "", "12345", "1234567", "12345a", " 12345",
		"123 456", "+12345", "12345\n", "１２３４５６", NULL };
	int64_t step;
	char out[7];
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		assert_int_equal(idg_totp_verify(seed, sizeof(seed), bad[i], 59, 1, &step),
		    IDG_INVALID);
	assert_int_equal(idg_totp_verify(seed, sizeof(seed), NULL, 59, 1, &step), IDG_INVALID);
	assert_int_equal(idg_totp_verify(seed, 0, "287082", 59, 1, &step), IDG_INVALID);
	assert_int_equal(idg_totp_verify(seed, sizeof(seed), "287082", -1, 1, &step),
	    IDG_INVALID);
	assert_int_equal(idg_totp_verify(seed, sizeof(seed), "287082", 59, -1, &step),
	    IDG_INVALID);
	assert_int_equal(idg_totp_verify(seed, sizeof(seed), "287082", 59, 11, &step),
	    IDG_INVALID);
	assert_int_equal(idg_totp_code(seed, sizeof(seed), -30, out), IDG_INVALID);
}

static void
test_secret_and_base32(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} v[] = {	/* RFC 4648 section 10, without padding */
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
		{ "12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" },
	};
	uint8_t a[IDG_TOTP_SECRET_LEN], b[IDG_TOTP_SECRET_LEN];
	char out[IDG_TOTP_BASE32_LEN(IDG_TOTP_SECRET_LEN)];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(idg_totp_base32((const uint8_t *)v[i].in, strlen(v[i].in), out,
		    sizeof(out)), IDG_OK);
		assert_string_equal(out, v[i].out);
	}
	/* 20 bytes -> 32 characters; a buffer of 32 (no room for the NUL) is refused. */
	assert_int_equal(idg_totp_base32(seed, 20, out, 32), IDG_INVALID);
	assert_int_equal(sizeof(out), 33);
	assert_int_equal(idg_totp_secret_new(a), IDG_OK);
	assert_int_equal(idg_totp_secret_new(b), IDG_OK);
	assert_memory_not_equal(a, b, sizeof(a));
}

static void
test_uri(void **state)
{
	const char *want = "otpauth://totp/Acme%20Inc.:alice%40example.com?secret="
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Inc.&algorithm=SHA1&digits=6"
	    "&period=30";
	char out[512];

	(void)state;
	assert_int_equal(idg_totp_uri("Acme Inc.", "alice@example.com",
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", out, sizeof(out)), IDG_OK);
	assert_string_equal(out, want);
	/* Exactly fitting, then one byte short. */
	assert_int_equal(idg_totp_uri("Acme Inc.", "alice@example.com",
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", out, strlen(want) + 1), IDG_OK);
	assert_int_equal(idg_totp_uri("Acme Inc.", "alice@example.com",
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", out, strlen(want)), IDG_INVALID);
	/* Non-ASCII names are percent-encoded UTF-8. */
	assert_int_equal(idg_totp_uri("株式会社", "a&b=c@example.com", "MY", out, sizeof(out)),
	    IDG_OK);
	assert_string_equal(out, "otpauth://totp/%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE:"
	    "a%26b%3Dc%40example.com?secret=MY&issuer=%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE"
	    "&algorithm=SHA1&digits=6&period=30");
	/* The label separator cannot appear in either part; nothing may be empty. */
	assert_int_equal(idg_totp_uri("Acme:Inc", "a@example.com", "MY", out, sizeof(out)),
	    IDG_INVALID);
	assert_int_equal(idg_totp_uri("Acme", "a:b@example.com", "MY", out, sizeof(out)),
	    IDG_INVALID);
	assert_int_equal(idg_totp_uri("", "a@example.com", "MY", out, sizeof(out)), IDG_INVALID);
	assert_int_equal(idg_totp_uri("Acme", "", "MY", out, sizeof(out)), IDG_INVALID);
	assert_int_equal(idg_totp_uri("Acme", "a@example.com", "", out, sizeof(out)),
	    IDG_INVALID);
}

static void
test_recovery_codes(void **state)
{
	char codes[IDG_RECOVERY_CODES][16], hashes[IDG_RECOVERY_CODES][65], h[65], up[16];
	int i, j, k;

	(void)state;
	assert_int_equal(idg_recovery_codes_new(codes, hashes), IDG_OK);
	for (i = 0; i < IDG_RECOVERY_CODES; i++) {
		/* xxxx-xxxx-xxxx from the lower-case base32 alphabet. */
		assert_int_equal(strlen(codes[i]), 14);
		for (k = 0; k < 14; k++) {
			char ch = codes[i][k];

			if (k == 4 || k == 9)
				assert_int_equal(ch, '-');
			else
				assert_true((ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7'));
		}
		assert_int_equal(strlen(hashes[i]), 64);
		assert_int_equal(idg_recovery_code_hash(codes[i], h), IDG_OK);
		assert_string_equal(h, hashes[i]);
		/* What a user may type: upper case, no dashes, spaces. */
		for (k = 0, j = 0; codes[i][k] != '\0'; k++)
			if (codes[i][k] != '-')
				up[j++] = (char)(codes[i][k] >= 'a' && codes[i][k] <= 'z' ?
				    codes[i][k] - 'a' + 'A' : codes[i][k]);
		up[j] = '\0';
		assert_int_equal(idg_recovery_code_hash(up, h), IDG_OK);
		assert_string_equal(h, hashes[i]);
		for (j = 0; j < i; j++) {
			assert_string_not_equal(codes[i], codes[j]);
			assert_string_not_equal(hashes[i], hashes[j]);
		}
	}
	/* Known answers: SHA-256 of the normalized text. */
	assert_int_equal(idg_recovery_code_hash("ABCD-efgh-IJKL", h), IDG_OK);
	assert_string_equal(h, "d682ed4ca4d989c134ec94f1551e1ec580dd6d5a6ecde9f3d35e6e4a717fbde4");
	assert_int_equal(idg_recovery_code_hash("01ab cdef gh27", h), IDG_OK);	/* 0->o, 1->l */
	assert_string_equal(h, "33e248a2c9566df6e169da1ae7d1a68871c46d58fa1bb64ad8e4e5ba1d303118");
	/* Not 12 base32 characters. */
	assert_int_equal(idg_recovery_code_hash("abcd-efgh-ijk", h), IDG_INVALID);
	assert_string_equal(h, "");
	assert_int_equal(idg_recovery_code_hash("abcd-efgh-ijklm", h), IDG_INVALID);
	assert_int_equal(idg_recovery_code_hash("abcd-efgh-ij8l", h), IDG_INVALID);
	assert_int_equal(idg_recovery_code_hash("abcd_efgh_ijkl", h), IDG_INVALID);
	assert_int_equal(idg_recovery_code_hash("", h), IDG_INVALID);
	assert_int_equal(idg_recovery_code_hash(NULL, h), IDG_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_vectors),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_secret_and_base32),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_recovery_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
