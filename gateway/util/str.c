/*
 * str.c - bounded string helpers; see str.h.
 */
#include "str.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

size_t
idg_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size > 0) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int
idg_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return IDG_INVALID;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return IDG_INVALID;
	*out = v;
	return IDG_OK;
}

int
idg_html_escape(struct idg_buf *b, const char *s)
{
	int st;

	for (;;) {
		size_t n = strcspn(s, "&<>\"'");	/* long clean runs: a base64 value */
		const char *rep;

		if ((st = idg_buf_add(b, s, n)) != IDG_OK || s[n] == '\0')
			return st;
		switch (s[n]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		default: rep = "&#39;"; break;
		}
		if ((st = idg_buf_adds(b, rep)) != IDG_OK)
			return st;
		s += n + 1;
	}
}

int
idg_url_escape(struct idg_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	int st;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			st = idg_buf_add(b, p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			st = idg_buf_add(b, e, 3);
		}
		if (st != IDG_OK)
			return st;
	}
	return IDG_OK;
}

bool
idg_company_id_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 3 || n > 32 || s[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

bool
idg_email_valid(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s), i;

	if (n < 3 || n > 254 || at == NULL || at == s || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strchr(at + 1, '.') == NULL)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' ||
		    c == ',' || c == ';')
			return false;
	}
	return true;
}

void
idg_str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

const char *
idg_status_str(int st)
{
	switch (st) {
	case IDG_OK: return "ok";
	case IDG_ERR: return "error";
	case IDG_PENDING: return "pending";
	case IDG_DECLINED: return "declined";
	case IDG_NOTFOUND: return "not found";
	case IDG_EXISTS: return "exists";
	case IDG_INVALID: return "invalid";
	case IDG_UNAVAILABLE: return "unavailable";
	case IDG_TIMEOUT: return "timeout";
	}
	return "unknown";
}

bool
idg_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned c = *p, n, cp, i;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

bool
idg_utf8_text_valid(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return idg_utf8_valid(s);
}
