/*
 * httpparse.c - bounded parsers for form bodies and query strings, the
 * Cookie header and Accept-Language; see httpparse.h for the contracts.
 *
 * Everything here treats its input as hostile: lengths are checked before
 * any allocation, every loop is bounded by the given length, and malformed
 * input is refused rather than repaired. This file knows nothing of evhttp
 * or of which cookie or field means what; the handlers decide that.
 */
#include "httpparse.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/util/crypto.h"
#include "gateway/util/status.h"

/* The largest form body, query string or header any parser here accepts. */
#define IDG_HTTPPARSE_MAX_BYTES	(64 * 1024)
/* Accept-Language: more ranges than any browser sends means a bad header. */
#define IDG_ACCEPT_LANG_MAX_RANGES 64

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes one name or value of n raw bytes into dst (at least n + 1 bytes)
 * and NUL-terminates it. Returns the decoded length, or -1 on a bad
 * %-escape or a decoded NUL (a NUL would silently cut the value short for
 * every C string consumer downstream).
 */
static long
form_decode(const char *src, size_t n, char *dst)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return -1;
			hi = hexval((unsigned char)src[i + 1]);
			lo = hexval((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0')
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return (long)o;
}

int
idg_params_parse(const char *s, size_t len, size_t max_params, struct idg_params *out)
{
	struct idg_params p = { NULL, 0, NULL };
	size_t i, start, npairs = 0;
	char *w;

	if (out == NULL)
		return IDG_INVALID;
	*out = p;
	if (len == 0)
		return IDG_OK;
	if (s == NULL || len > IDG_HTTPPARSE_MAX_BYTES || memchr(s, '\0', len) != NULL)
		return IDG_INVALID;

	/* First pass: count the non-empty pairs so the limit is checked before allocating. */
	for (start = 0, i = 0; i <= len; i++) {
		if (i == len || s[i] == '&') {
			if (i > start)
				npairs++;
			start = i + 1;
		}
	}
	if (npairs > max_params)
		return IDG_INVALID;
	if (npairs == 0)
		return IDG_OK;

	/*
	 * Decoding never grows a string; each pair needs at most two NULs
	 * beyond its raw bytes (name and value), and the '=' pays for one.
	 */
	p.v = calloc(npairs, sizeof(*p.v));
	p.storage = malloc(len + 2 * npairs + 1);
	if (p.v == NULL || p.storage == NULL) {
		free(p.v);
		free(p.storage);
		return IDG_ERR;
	}
	w = p.storage;
	for (start = 0, i = 0; i <= len; i++) {
		const char *pair, *eq;
		size_t plen, nlen;
		long d;

		if (i < len && s[i] != '&')
			continue;
		pair = s + start;
		plen = i - start;
		start = i + 1;
		if (plen == 0)
			continue;
		eq = memchr(pair, '=', plen);
		nlen = eq != NULL ? (size_t)(eq - pair) : plen;

		p.v[p.n].name = w;
		if ((d = form_decode(pair, nlen, w)) < 0)
			goto bad;
		w += d + 1;
		p.v[p.n].value = w;
		if (eq != NULL) {
			if ((d = form_decode(eq + 1, plen - nlen - 1, w)) < 0)
				goto bad;
			w += d + 1;
		} else {
			*w++ = '\0';
		}
		p.n++;
	}
	*out = p;
	return IDG_OK;
bad:
	/* Pairs decoded so far may hold a password; wipe before freeing. */
	idg_wipe(p.storage, len + 2 * npairs + 1);
	free(p.storage);
	free(p.v);
	return IDG_INVALID;
}

const char *
idg_params_get(const struct idg_params *p, const char *name)
{
	size_t i;

	if (p == NULL || name == NULL)
		return NULL;
	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return p->v[i].value;
	return NULL;
}

size_t
idg_params_count(const struct idg_params *p, const char *name)
{
	size_t i, c = 0;

	if (p == NULL || name == NULL)
		return 0;
	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			c++;
	return c;
}

void
idg_params_free(struct idg_params *p)
{
	if (p == NULL)
		return;
	if (p->storage != NULL && p->n > 0) {
		/*
		 * Names and values are laid out back to back, so the last
		 * value's NUL ends the used part. Form bodies carry passwords.
		 */
		const char *last = p->v[p->n - 1].value;
		size_t used = (size_t)(last - p->storage) + strlen(last) + 1;

		idg_wipe(p->storage, used);
	}
	free(p->storage);
	free(p->v);
	p->storage = NULL;
	p->v = NULL;
	p->n = 0;
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * RFC 6265 4.1.1: cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B /
 * %x5D-7E, i.e. printable US-ASCII without DQUOTE, comma, semicolon and
 * backslash; controls, whitespace and non-ASCII bytes are refused.
 */
static int
is_cookie_octet(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

int
idg_cookie_find(const char *header, const char *name, char *out, size_t outsz)
{
	size_t hlen, nlen;
	const char *p, *end;

	if (out == NULL || outsz == 0 || name == NULL || *name == '\0')
		return IDG_INVALID;
	out[0] = '\0';
	if (header == NULL)
		return IDG_NOTFOUND;
	hlen = strnlen(header, IDG_HTTPPARSE_MAX_BYTES + 1);
	if (hlen > IDG_HTTPPARSE_MAX_BYTES)
		return IDG_INVALID;
	nlen = strlen(name);
	end = header + hlen;

	/* RFC 6265 5.4: cookie-string = cookie-pair *( ";" SP cookie-pair ); be lenient on SP. */
	for (p = header; p < end;) {
		const char *pe = memchr(p, ';', (size_t)(end - p));
		const char *ne, *eq, *v, *ve;
		size_t vlen, i;

		if (pe == NULL)
			pe = end;
		while (p < pe && is_ows(*p))
			p++;
		eq = memchr(p, '=', (size_t)(pe - p));
		if (eq == NULL)
			goto next;	/* RFC 6265 5.2: a pair without '=' is ignored */
		ne = eq;
		while (ne > p && is_ows(ne[-1]))
			ne--;
		if ((size_t)(ne - p) != nlen || memcmp(p, name, nlen) != 0)
			goto next;

		/* Found: the first occurrence wins, valid or not. */
		v = eq + 1;
		ve = pe;
		while (v < ve && is_ows(*v))
			v++;
		while (ve > v && is_ows(ve[-1]))
			ve--;
		if (ve > v && *v == '"') {
			if (ve - v < 2 || ve[-1] != '"')
				return IDG_INVALID;
			v++;
			ve--;
		}
		vlen = (size_t)(ve - v);
		for (i = 0; i < vlen; i++)
			if (!is_cookie_octet((unsigned char)v[i]))
				return IDG_INVALID;
		if (vlen >= outsz)
			return IDG_INVALID;
		memcpy(out, v, vlen);
		out[vlen] = '\0';
		return IDG_OK;
next:
		p = pe < end ? pe + 1 : end;
	}
	return IDG_NOTFOUND;
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
 * Parses s[0..n) into thousandths; -1 when malformed.
 */
static int
parse_qvalue(const char *s, size_t n)
{
	size_t i;
	int q, scale = 100;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	q = (s[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (s[1] != '.' || n > 5)
		return -1;
	for (i = 2; i < n; i++, scale /= 10) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/*
 * One element of the list: language-range [ weight ]. RFC 4647 2.1:
 * language-range = (1*8ALPHA *("-" 1*8alphanum)) / "*". Sets *primary to
 * the primary subtag ("*" for the wildcard) and *q in thousandths. Returns
 * 0, or -1 when the element is malformed.
 */
static int
parse_range(const char *s, size_t n, char primary[9], int *q)
{
	size_t i = 0, k = 0, sub;
	const char *semi;

	while (i < n && is_ows(s[i]))
		i++;
	while (n > i && is_ows(s[n - 1]))
		n--;
	semi = memchr(s + i, ';', n - i);
	*q = 1000;
	if (semi != NULL) {
		/* weight = OWS ";" OWS "q=" qvalue; "q" is case-insensitive */
		const char *w = semi + 1, *we = s + n;

		while (w < we && is_ows(*w))
			w++;
		if (we - w < 2 || ascii_lower((unsigned char)w[0]) != 'q' || w[1] != '=')
			return -1;
		if ((*q = parse_qvalue(w + 2, (size_t)(we - w - 2))) < 0)
			return -1;
		n = (size_t)(semi - s);
		while (n > i && is_ows(s[n - 1]))
			n--;
	}
	if (n - i == 1 && s[i] == '*') {
		primary[0] = '*';
		primary[1] = '\0';
		return 0;
	}
	/* primary subtag: 1*8ALPHA */
	while (i < n && is_alpha((unsigned char)s[i])) {
		if (k == 8)
			return -1;
		primary[k++] = (char)ascii_lower((unsigned char)s[i++]);
	}
	primary[k] = '\0';
	if (k == 0)
		return -1;
	/* further subtags: "-" 1*8alphanum */
	while (i < n) {
		if (s[i++] != '-')
			return -1;
		for (sub = 0; i < n && (is_alpha((unsigned char)s[i]) ||
		    is_digit((unsigned char)s[i])); i++)
			sub++;
		if (sub == 0 || sub > 8)
			return -1;
	}
	return 0;
}

enum idg_lang
idg_accept_language(const char *header)
{
	/* Per supported language: best explicit q and where, and the wildcard's. */
	int q_ja = -1, q_en = -1, q_star = -1;
	unsigned pos_ja = 0, pos_en = 0, pos_star = 0, idx = 0, nranges = 0;
	size_t hlen;
	const char *p, *end;

	if (header == NULL)
		return IDG_LANG_EN;
	hlen = strnlen(header, IDG_HTTPPARSE_MAX_BYTES + 1);
	if (hlen > IDG_HTTPPARSE_MAX_BYTES)
		return IDG_LANG_EN;
	end = header + hlen;
	for (p = header; p < end; idx++) {
		const char *ce = memchr(p, ',', (size_t)(end - p));
		char primary[9];
		size_t i;
		int q;

		if (ce == NULL)
			ce = end;
		/* RFC 9110 5.6.1: empty list elements are allowed and ignored. */
		for (i = 0; p + i < ce && is_ows(p[i]); i++)
			;
		if (p + i < ce) {
			if (++nranges > IDG_ACCEPT_LANG_MAX_RANGES)
				return IDG_LANG_EN;
			/* A malformed element is ignored; the rest still counts. */
			if (parse_range(p, (size_t)(ce - p), primary, &q) == 0) {
				if (strcmp(primary, "ja") == 0 && q > q_ja) {
					q_ja = q;
					pos_ja = idx;
				} else if (strcmp(primary, "en") == 0 && q > q_en) {
					q_en = q;
					pos_en = idx;
				} else if (strcmp(primary, "*") == 0 && q > q_star) {
					q_star = q;
					pos_star = idx;
				}
			}
		}
		p = ce < end ? ce + 1 : end;
	}
	/* The wildcard stands for every language not named explicitly. */
	if (q_ja < 0 && q_star >= 0) {
		q_ja = q_star;
		pos_ja = pos_star;
	}
	if (q_en < 0 && q_star >= 0) {
		q_en = q_star;
		pos_en = pos_star;
	}
	/* q=0 means "not acceptable" (RFC 9110 12.4.2). */
	if (q_ja <= 0)
		return IDG_LANG_EN;
	if (q_ja > q_en || (q_ja == q_en && pos_ja < pos_en))
		return IDG_LANG_JA;
	return IDG_LANG_EN;
}

int
idg_lang_parse(const char *s, enum idg_lang *out)
{
	if (s == NULL || out == NULL)
		return IDG_INVALID;
	if (strcmp(s, "ja") == 0) {
		*out = IDG_LANG_JA;
		return IDG_OK;
	}
	if (strcmp(s, "en") == 0) {
		*out = IDG_LANG_EN;
		return IDG_OK;
	}
	return IDG_INVALID;
}

const char *
idg_lang_code(enum idg_lang l)
{
	return l == IDG_LANG_JA ? "ja" : "en";
}
