/*
 * session_codec.c - the stored form of a session and the pieces every
 * backend shares: the versioned text encoding, the storage key derived from
 * the session id, the name of a tenant's session index, id validation,
 * fresh secrets and the clock hook.
 *
 * Kept apart from session.c (the backend dispatch) so that the decoder's
 * fuzz target links this file alone, without the Redis client. This file
 * does no I/O.
 *
 * Encoding, fields separated by '|', version 1 (no device certificate):
 *	1|company|tenant|user|created|auth_time|amr|flags|csrf
 * and version 2 (a device certificate passed the check):
 *	2|company|tenant|user|created|auth_time|amr|flags|csrf|serial|name
 * company is "" or a company id; the four integers are decimal without
 * sign or leading zeros, 0 <= n <= INT64_MAX; amr and flags are decimal and
 * hold only known bits; csrf is 43 base64url chars; serial is 32 lower-case
 * hex digits; name is the device name (UTF-8 text, 1..64 bytes) in
 * base64url. The session id is not stored: the key is a hash of it, and
 * storing it would hand out cookies.
 */
#include "session_impl.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gateway/util/clock.h"
#include "gateway/util/crypto.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"

#define NFIELDS_V1	9
#define NFIELDS_V2	11
#define MAX_ENCODED	(IDG_SESSION_ENCODED_MAX + 1)
#define AMR_KNOWN	(IDG_AMR_PWD | IDG_AMR_OTP | IDG_AMR_CERT | IDG_AMR_FED)
#define FLAGS_KNOWN	(IDG_SESSION_MUST_CHANGE_PASSWORD | IDG_SESSION_MFA_PENDING | \
			 IDG_SESSION_DEVICE_PENDING)

static int64_t
clock_real(void)
{
	return idg_now();
}

int64_t (*idg_session_clock)(void) = clock_real;

static bool
b64url_token_valid(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

bool
idg_session_id_valid(const char *id)
{
	return id != NULL && strlen(id) == IDG_SESSION_ID_LEN &&
	    b64url_token_valid(id, IDG_SESSION_ID_LEN);
}

void
idg_session_key(const char *id, char key[IDG_SESSION_KEY_LEN])
{
	uint8_t h[IDG_SHA256_LEN];

	idg_sha256(id, strlen(id), h);
	key[0] = 's';
	key[1] = ':';
	/* 128 bits of the hash: collisions are not a concern, memory is. */
	idg_hex(h, 16, key + 2);
}

void
idg_session_index_key(int64_t tenant_id, char out[IDG_SESSION_INDEX_KEY_LEN])
{
	snprintf(out, IDG_SESSION_INDEX_KEY_LEN, "st:%lld", (long long)tenant_id);
}

int
idg_session_new_secrets(struct idg_session *s)
{
	/* The encoder wants room for padding (45) though 43 chars come out. */
	char tmp[IDG_B64URL_LEN(32)];
	int rv = IDG_ERR;

	if (idg_random_b64url(tmp, sizeof(tmp), 32) != IDG_OK ||
	    strlen(tmp) != IDG_SESSION_ID_LEN)
		goto out;
	memcpy(s->id, tmp, sizeof(s->id));
	if (idg_random_b64url(tmp, sizeof(tmp), 32) != IDG_OK ||
	    strlen(tmp) != IDG_SESSION_ID_LEN)
		goto out;
	memcpy(s->csrf, tmp, sizeof(s->csrf));
	rv = IDG_OK;
out:
	idg_wipe(tmp, sizeof(tmp));
	return rv;
}

static bool
company_ok(const char *c)
{
	return c[0] == '\0' || idg_company_id_valid(c);
}

static bool
serial_ok(const char *p, size_t len)
{
	size_t i;

	if (len != 32)
		return false;
	for (i = 0; i < len; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

/* Either no device (both empty) or a well-formed serial and name. */
static bool
device_ok(const struct idg_session *s)
{
	size_t sl, nl;

	if (memchr(s->device_serial, '\0', sizeof(s->device_serial)) == NULL ||
	    memchr(s->device_name, '\0', sizeof(s->device_name)) == NULL)
		return false;
	sl = strlen(s->device_serial);
	nl = strlen(s->device_name);
	if (sl == 0 && nl == 0)
		return true;
	return serial_ok(s->device_serial, sl) && nl > 0 &&
	    idg_utf8_text_valid(s->device_name);
}

static bool
session_ok(const struct idg_session *s)
{
	return memchr(s->company_id, '\0', sizeof(s->company_id)) != NULL &&
	    company_ok(s->company_id) && s->tenant_id >= 0 && s->user_id >= 0 &&
	    s->created_at >= 0 && s->auth_time >= 0 && (s->amr & ~AMR_KNOWN) == 0 &&
	    (s->flags & ~FLAGS_KNOWN) == 0 &&
	    memchr(s->csrf, '\0', sizeof(s->csrf)) != NULL &&
	    idg_session_id_valid(s->csrf) && device_ok(s);
}

int
idg_session_encode(const struct idg_session *s, char *out, unsigned outsz)
{
	char name[IDG_B64URL_LEN(sizeof(s->device_name))];
	bool device;
	int n;

	if (s == NULL || out == NULL || !session_ok(s))
		return -1;
	device = s->device_serial[0] != '\0';
	name[0] = '\0';
	if (device && idg_b64url_encode(s->device_name, strlen(s->device_name), name,
	    sizeof(name)) < 0)
		return -1;
	n = snprintf(out, outsz, "%c|%s|%lld|%lld|%lld|%lld|%u|%u|%s%s%s%s%s",
	    device ? '2' : '1', s->company_id, (long long)s->tenant_id,
	    (long long)s->user_id, (long long)s->created_at, (long long)s->auth_time,
	    s->amr, s->flags, s->csrf, device ? "|" : "", device ? s->device_serial : "",
	    device ? "|" : "", name);
	if (n < 0 || (unsigned)n >= outsz)
		return -1;
	return n;
}

/* Strict decimal: 1..19 digits, no sign, no leading zero, <= INT64_MAX. */
static bool
parse_i64(const char *p, size_t len, int64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19 || (len > 1 && p[0] == '0'))
		return false;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');	/* 19 digits cannot wrap */
	}
	if (v > (uint64_t)INT64_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

static bool
parse_bits(const char *p, size_t len, unsigned known, unsigned *out)
{
	int64_t v;

	if (len > 3 || !parse_i64(p, len, &v) || ((uint64_t)v & ~(uint64_t)known) != 0)
		return false;
	*out = (unsigned)v;
	return true;
}

/* base64url text p[0..len) into out (NUL-terminated; *n bytes before it). */
static int
decode_name(const char *p, size_t len, char *out, size_t outsz, size_t *n)
{
	char tmp[IDG_B64URL_LEN(IDG_SESSION_ENCODED_MAX)];
	int r;

	if (len >= sizeof(tmp) || !b64url_token_valid(p, len))
		return IDG_INVALID;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	if ((r = idg_b64url_decode(tmp, out, outsz - 1)) < 0)
		return IDG_INVALID;
	out[r] = '\0';
	*n = (size_t)r;
	return memchr(out, '\0', (size_t)r) == NULL ? IDG_OK : IDG_INVALID;
}

int
idg_session_decode(const char *data, unsigned len, struct idg_session *out)
{
	const char *f[NFIELDS_V2];
	size_t fl[NFIELDS_V2];
	struct idg_session s;
	unsigned i, n, nfields;

	if (data == NULL || out == NULL || len == 0 || len >= MAX_ENCODED)
		return IDG_INVALID;
	/* The version decides the field count; NUL bytes are never valid. */
	if (len < 2 || data[1] != '|' || (data[0] != '1' && data[0] != '2'))
		return IDG_INVALID;
	nfields = data[0] == '1' ? NFIELDS_V1 : NFIELDS_V2;
	/* Split on '|': exactly nfields fields. */
	f[0] = data;
	for (i = 0, n = 0; i < len; i++) {
		if (data[i] == '\0')
			return IDG_INVALID;
		if (data[i] == '|') {
			fl[n] = (size_t)(data + i - f[n]);
			if (++n == nfields)
				return IDG_INVALID;
			f[n] = data + i + 1;
		}
	}
	fl[n] = (size_t)(data + len - f[n]);
	if (n != nfields - 1)
		return IDG_INVALID;

	memset(&s, 0, sizeof(s));
	if (fl[1] >= sizeof(s.company_id))
		return IDG_INVALID;
	memcpy(s.company_id, f[1], fl[1]);
	if (!company_ok(s.company_id))
		return IDG_INVALID;
	if (!parse_i64(f[2], fl[2], &s.tenant_id) || !parse_i64(f[3], fl[3], &s.user_id) ||
	    !parse_i64(f[4], fl[4], &s.created_at) || !parse_i64(f[5], fl[5], &s.auth_time) ||
	    !parse_bits(f[6], fl[6], AMR_KNOWN, &s.amr) ||
	    !parse_bits(f[7], fl[7], FLAGS_KNOWN, &s.flags))
		return IDG_INVALID;
	if (fl[8] != IDG_SESSION_ID_LEN || !b64url_token_valid(f[8], fl[8]))
		return IDG_INVALID;
	memcpy(s.csrf, f[8], fl[8]);
	if (nfields == NFIELDS_V2) {
		size_t nl;

		if (!serial_ok(f[9], fl[9]) || fl[10] == 0 ||
		    fl[10] >= IDG_B64URL_LEN(sizeof(s.device_name)))
			goto bad;
		memcpy(s.device_serial, f[9], fl[9]);
		if (decode_name(f[10], fl[10], s.device_name, sizeof(s.device_name), &nl) != IDG_OK ||
		    nl == 0 || !idg_utf8_text_valid(s.device_name))
			goto bad;
	}
	*out = s;
	idg_wipe(&s, sizeof(s));
	return IDG_OK;
bad:
	idg_wipe(&s, sizeof(s));
	return IDG_INVALID;
}
