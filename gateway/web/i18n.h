/*
 * i18n.h - the Japanese and English texts of every page and error.
 *
 * Keys are stable dotted names ("login.title", "error.rate_limited"); a key
 * missing from a language falls back to English, and a key missing
 * everywhere returns the key itself (a unit test checks every key has both
 * languages). Texts are UTF-8 and not HTML-escaped: callers escape.
 */
#ifndef IDG_I18N_H
#define IDG_I18N_H

#include "httpparse.h"

const char *idg_i18n(enum idg_lang lang, const char *key);
/* For the completeness test: the n-th key, or NULL past the end. */
const char *idg_i18n_key_at(unsigned n);
/* Whether key has a text of its own in lang (no fallback). */
int	idg_i18n_has(enum idg_lang lang, const char *key);

#endif
