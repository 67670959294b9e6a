/*
 * str.h - small string helpers that replace the banned libc calls.
 *
 * Bounded copies, strict integer parsing (no atoi), HTML escaping into a
 * bounded buffer, and the validators for identifiers that appear in URLs and
 * cookie names. Nothing here allocates except through struct idg_buf.
 */
#ifndef IDG_STR_H
#define IDG_STR_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Copies at most size-1 bytes and NUL-terminates; returns strlen(src). */
size_t	idg_strlcpy(char *dst, const char *src, size_t size);
/*
 * Parses a whole decimal integer in [min, max]. Returns IDG_OK or
 * IDG_INVALID (empty, trailing junk, out of range).
 */
int	idg_parse_long(const char *s, long min, long max, long *out);
/* Appends s with & < > " ' escaped. */
int	idg_html_escape(struct idg_buf *b, const char *s);
/* Appends s percent-encoded for a URL query value (RFC 3986 unreserved kept). */
int	idg_url_escape(struct idg_buf *b, const char *s);
/*
 * A company ID: 3..32 chars of [a-z0-9-], starting with a letter or digit.
 * It appears in URLs and cookie names, so the alphabet is deliberately small.
 */
bool	idg_company_id_valid(const char *s);
/* A plausible e-mail address: local@domain, printable ASCII, <= 254 bytes. */
bool	idg_email_valid(const char *s);
/* Well-formed UTF-8 (RFC 3629: no overlongs, surrogates or code points past U+10FFFF). */
bool	idg_utf8_valid(const char *s);
/*
 * Well-formed UTF-8 without control characters (C0 and DEL): text a person
 * gave that later goes into pages, CSV and JSON.
 */
bool	idg_utf8_text_valid(const char *s);
/* ASCII lower-casing in place (e-mail addresses are compared lower-cased). */
void	idg_str_lower(char *s);

#endif
