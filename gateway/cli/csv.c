/*
 * csv.c - the bounded RFC 4180 reader of csv.h.
 *
 * One pass over the input with a four-state machine per field. Once a
 * record is found bad the machine keeps running without storing, only to
 * find where the record ends (quotes still count), so one bad record never
 * turns the rest of the file into noise. No allocation: a record's fields
 * live in the record struct.
 */
#include "csv.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../util/status.h"
#include "../util/str.h"

enum fstate { F_START, F_PLAIN, F_QUOTED, F_CLOSED };

struct rd {
	struct idg_csv		*c;
	struct idg_csv_record	*rec;
	char			*o;		/* next storage byte */
	size_t			 flen;		/* bytes in the current field */
	bool			 bad;
	char			*err;
	size_t			 errsz;
};

static void bad(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
bad(struct rd *r, const char *fmt, ...)
{
	va_list ap;

	if (r->bad)
		return;		/* the first problem of a record is the one reported */
	r->bad = true;
	if (r->errsz > 0) {
		va_start(ap, fmt);
		vsnprintf(r->err, r->errsz, fmt, ap);
		va_end(ap);
	}
}

static void
start_field(struct rd *r)
{
	r->flen = 0;
	if (r->rec->nfields == IDG_CSV_MAX_FIELDS) {
		bad(r, "more than %d fields", IDG_CSV_MAX_FIELDS);
		return;
	}
	if (!r->bad)
		r->rec->fields[r->rec->nfields] = r->o;
	r->rec->nfields++;
}

static void
put(struct rd *r, char ch)
{
	if (r->bad)
		return;
	if (r->flen == IDG_CSV_MAX_FIELD_BYTES) {
		bad(r, "field %d is longer than %d bytes", r->rec->nfields,
		    IDG_CSV_MAX_FIELD_BYTES);
		return;
	}
	*r->o++ = ch;
	r->flen++;
}

static void
end_field(struct rd *r)
{
	if (!r->bad)
		*r->o++ = '\0';
}

void
idg_csv_init(struct idg_csv *c, const char *data, size_t len)
{
	c->p = data;
	c->end = data + len;
	c->line = 1;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		c->p += 3;
}

int
idg_csv_next(struct idg_csv *c, struct idg_csv_record *rec, char *err, size_t errsz)
{
	struct rd r = { c, rec, rec->storage, 0, false, err, errsz };
	enum fstate state = F_START;
	int i, qline = 0;

	if (errsz > 0)
		err[0] = '\0';
	/* Blank lines are not records. */
	for (;;) {
		if (c->p < c->end && *c->p == '\n') {
			c->p++;
			c->line++;
		} else if (c->end - c->p >= 2 && c->p[0] == '\r' && c->p[1] == '\n') {
			c->p += 2;
			c->line++;
		} else {
			break;
		}
	}
	rec->nfields = 0;
	rec->line = c->line;
	if (c->p >= c->end)
		return IDG_NOTFOUND;
	start_field(&r);
	for (;;) {
		unsigned char ch;

		if (c->p >= c->end) {
			if (state == F_QUOTED)
				bad(&r, "quoted field opened on line %d is not closed", qline);
			break;
		}
		ch = (unsigned char)*c->p;
		if (ch == '\0') {
			bad(&r, "NUL byte");
			c->p++;
			continue;
		}
		if (state == F_QUOTED) {
			if (ch == '"') {
				if (c->end - c->p >= 2 && c->p[1] == '"') {
					put(&r, '"');	/* RFC 4180 2.7: "" is a quote */
					c->p += 2;
				} else {
					state = F_CLOSED;
					c->p++;
				}
				continue;
			}
			if (ch == '\n')
				c->line++;
			put(&r, (char)ch);
			c->p++;
			continue;
		}
		if (ch == ',') {
			end_field(&r);
			start_field(&r);
			state = F_START;
			c->p++;
			continue;
		}
		if (ch == '\n') {
			c->p++;
			c->line++;
			break;
		}
		if (ch == '\r' && c->end - c->p >= 2 && c->p[1] == '\n') {
			c->p += 2;
			c->line++;
			break;
		}
		c->p++;
		if (state == F_START && ch == '"') {
			state = F_QUOTED;
			qline = c->line;
		} else if (state == F_CLOSED) {
			bad(&r, "text after the closing quote of field %d", rec->nfields);
		} else if (ch == '"') {
			bad(&r, "quote inside unquoted field %d (quote the whole field)",
			    rec->nfields);
		} else if (ch == '\r') {
			bad(&r, "carriage return outside quotes (lines end with LF or CRLF)");
		} else {
			state = F_PLAIN;
			put(&r, (char)ch);
		}
	}
	end_field(&r);
	if (r.bad)
		return IDG_INVALID;
	for (i = 0; i < rec->nfields; i++) {
		if (!idg_utf8_valid(rec->fields[i])) {
			bad(&r, "field %d is not valid UTF-8", i + 1);
			return IDG_INVALID;
		}
	}
	return IDG_OK;
}
