/*
 * httpparse.h - parsers for untrusted HTTP input: form bodies and query
 * strings (application/x-www-form-urlencoded), the Cookie header (RFC 6265
 * cookie-string), and Accept-Language (RFC 9110 12.5.4).
 *
 * Every parser is bounded: it never reads past the given length, rejects
 * inputs beyond its limits with IDG_INVALID instead of truncating silently,
 * and allocates only what idg_params_free releases. Each has a fuzz target
 * in tests/fuzz/. No HTTP server types appear here, so the parsers are unit
 * tested and fuzzed alone.
 */
#ifndef IDG_HTTPPARSE_H
#define IDG_HTTPPARSE_H

#include <stddef.h>

struct idg_param {
	const char	*name;		/* decoded, NUL-terminated */
	const char	*value;		/* decoded, NUL-terminated; "" when no '=' */
};

struct idg_params {
	struct idg_param *v;
	size_t		  n;
	char		 *storage;	/* owned; holds every name and value */
};

/*
 * Parses "a=1&b=%20x+y". '+' decodes to a space, %XX to its byte. Fails
 * with IDG_INVALID (and *out left empty) on a bad %-escape, a decoded NUL
 * byte, more than max_params pairs, or len > 64 KiB. Empty pairs ("a=1&&b")
 * are skipped. On IDG_OK the caller frees with idg_params_free.
 */
int	idg_params_parse(const char *s, size_t len, size_t max_params,
	    struct idg_params *out);
/* The value of the first pair with this name, or NULL. Borrowed. */
const char *idg_params_get(const struct idg_params *p, const char *name);
/* How many pairs carry this name (a security field sent twice is refused). */
size_t	idg_params_count(const struct idg_params *p, const char *name);
void	idg_params_free(struct idg_params *p);

/*
 * Finds cookie `name` in a Cookie header value and copies its value (quotes
 * of a quoted value removed) into out. IDG_OK; IDG_NOTFOUND; IDG_INVALID if
 * the value does not fit outsz or holds bytes RFC 6265 forbids. When the
 * name appears twice the first wins (browsers send the most specific first).
 */
int	idg_cookie_find(const char *header, const char *name, char *out, size_t outsz);

enum idg_lang { IDG_LANG_EN = 0, IDG_LANG_JA = 1 };

/*
 * Picks ja or en from an Accept-Language value by q-weight (ties: order of
 * appearance); en when neither is acceptable or the header is NULL/bad.
 */
enum idg_lang idg_accept_language(const char *header);
/* "ja"/"en" -> lang (IDG_OK) or IDG_INVALID. */
int	idg_lang_parse(const char *s, enum idg_lang *out);
const char *idg_lang_code(enum idg_lang l);

#endif
