/*
 * test_seal.c - gateway/util/seal.c: round trips, the binding to key, info
 * and AAD, tampering, malformed text, bounds, and a known-answer vector
 * computed independently (RFC 5869 HKDF-SHA256 without salt, then
 * AES-256-GCM) so the format can be opened by other tools.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/util/seal.h"
#include "gateway/util/status.h"

#define INFO "idgate test v1"
#define AAD "tenant:1/user:2"

static uint8_t key[32];

static int
setup(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	return 0;
}

static void
test_round_trip(void **state)
{
	const char pt[] = "12345678901234567890";
	char *a = NULL, *b = NULL;
	uint8_t out[64];
	size_t n = 99;

	(void)state;
	assert_int_equal(idg_seal(key, INFO, AAD, pt, 20, &a), IDG_OK);
	assert_non_null(a);
	assert_memory_equal(a, "v1.", 3);
	assert_int_equal(idg_unseal(key, INFO, AAD, a, out, sizeof(out), &n), IDG_OK);
	assert_int_equal(n, 20);
	assert_memory_equal(out, pt, 20);
	/* A fresh nonce each time. */
	assert_int_equal(idg_seal(key, INFO, AAD, pt, 20, &b), IDG_OK);
	assert_string_not_equal(a, b);
	assert_memory_equal(a, "v1.", 3);
	/* Exactly fitting output buffer works; one byte less is refused. */
	assert_int_equal(idg_unseal(key, INFO, AAD, b, out, 20, &n), IDG_OK);
	assert_int_equal(idg_unseal(key, INFO, AAD, b, out, 19, &n), IDG_INVALID);
	assert_int_equal(n, 0);
	free(a);
	free(b);
	/* Empty plaintext and empty AAD. */
	assert_int_equal(idg_seal(key, INFO, "", NULL, 0, &a), IDG_OK);
	assert_int_equal(idg_unseal(key, INFO, "", a, NULL, 0, &n), IDG_OK);
	assert_int_equal(n, 0);
	assert_int_equal(idg_unseal(key, INFO, "x", a, NULL, 0, &n), IDG_DECLINED);
	free(a);
}

static void
test_known_answer(void **state)
{
	const char *v = "v1.AAECAwQFBgcICQoL.WZBwiRLsUt9wB8uY2fOT0aO0GszSb55GbqD_210YgJAIYq_2";
	uint8_t out[32];
	size_t n = 0;

	(void)state;
	assert_int_equal(idg_unseal(key, INFO, AAD, v, out, sizeof(out), &n), IDG_OK);
	assert_int_equal(n, 20);
	assert_memory_equal(out, "12345678901234567890", 20);
}

static void
test_binding(void **state)
{
	uint8_t other[32], out[64];
	char *a = NULL;
	size_t n = 7, len;

	(void)state;
	memcpy(other, key, sizeof(other));
	other[31] ^= 1;
	assert_int_equal(idg_seal(key, INFO, AAD, "secret", 6, &a), IDG_OK);
	/* Another master key, purpose or owner: it does not open, and out is wiped. */
	memset(out, 'x', sizeof(out));
	assert_int_equal(idg_unseal(other, INFO, AAD, a, out, sizeof(out), &n), IDG_DECLINED);
	assert_int_equal(n, 0);
	assert_int_equal(out[0], 0);
	assert_int_equal(idg_unseal(key, "idgate other v1", AAD, a, out, sizeof(out), &n),
	    IDG_DECLINED);
	assert_int_equal(idg_unseal(key, INFO, "tenant:1/user:3", a, out, sizeof(out), &n),
	    IDG_DECLINED);
	/*
	 * A changed character in the nonce, the ciphertext (just after the
	 * second dot) or the tag (not the last character, whose low bits may
	 * be padding).
	 */
	{
		size_t at[3];
		int k;

		len = strlen(a);
		at[0] = 4;
		at[1] = (size_t)(strchr(a + 3, '.') - a) + 1;
		at[2] = len - 5;
		for (k = 0; k < 3; k++) {
			char was = a[at[k]];

			a[at[k]] = was == 'A' ? 'B' : 'A';
			assert_int_equal(idg_unseal(key, INFO, AAD, a, out, sizeof(out), &n),
			    IDG_DECLINED);
			a[at[k]] = was;
		}
		assert_int_equal(idg_unseal(key, INFO, AAD, a, out, sizeof(out), &n), IDG_OK);
		assert_int_equal(n, 6);
	}
	free(a);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"v1.",
		"v2.AAECAwQFBgcICQoL.WZBwiRLsUt9wB8uY2fOT0aO0GszSb55GbqD_210YgJAIYq_2",
		"v1AAECAwQFBgcICQoL.WZBwiRLsUt9wB8uY2fOT0aO0GszSb55GbqD_210YgJAIYq_2",
		"v1.AAECAwQFBgcICQ.WZBwiRLsUt9wB8uY2fOT0aO0GszSb55GbqD_210YgJAIYq_2",
		"v1.AAECAwQFBgcICQoL",
		"v1.AAECAwQFBgcICQoL.",
		"v1.AAECAwQFBgcICQoL.WZBwiRLs",	/* shorter than a tag */
		"v1.AAECAwQFBgcICQoL.WZBw+RLsUt9wB8uY2fOT0aO0GszSb55GbqD_210YgJAIYq_2",
		"v1.AAECAwQFBgcICQoL.WZBwiRLsUt9wB8uY2fOT0aO0Gsz.b55GbqD_210YgJAIYq_2",
		"v1.AAEC AwQFBgcICQoL.WZBwiRLsUt9wB8uY2fOT0aO0GszSb55GbqD_210YgJAIYq_2",
		NULL,
	};
	uint8_t out[64];
	char *a = NULL, *big;
	size_t n, i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		assert_int_equal(idg_unseal(key, INFO, AAD, bad[i], out, sizeof(out), &n),
		    IDG_INVALID);
	/* Arguments. */
	assert_int_equal(idg_seal(key, "", AAD, "x", 1, &a), IDG_INVALID);
	assert_null(a);
	assert_int_equal(idg_seal(key, NULL, AAD, "x", 1, &a), IDG_INVALID);
	assert_int_equal(idg_seal(key, INFO, NULL, "x", 1, &a), IDG_INVALID);
	assert_int_equal(idg_seal(key, INFO, AAD, NULL, 1, &a), IDG_INVALID);
	assert_int_equal(idg_unseal(key, INFO, AAD, NULL, out, sizeof(out), &n), IDG_INVALID);
	/* The size bound, on both sides. */
	big = calloc(1, IDG_SEAL_MAX_PT + 1);
	assert_non_null(big);
	assert_int_equal(idg_seal(key, INFO, AAD, big, IDG_SEAL_MAX_PT + 1, &a), IDG_INVALID);
	assert_int_equal(idg_seal(key, INFO, AAD, big, IDG_SEAL_MAX_PT, &a), IDG_OK);
	{
		uint8_t *o = malloc(IDG_SEAL_MAX_PT);

		assert_non_null(o);
		assert_int_equal(idg_unseal(key, INFO, AAD, a, o, IDG_SEAL_MAX_PT, &n), IDG_OK);
		assert_int_equal(n, IDG_SEAL_MAX_PT);
		free(o);
	}
	free(a);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_binding),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
