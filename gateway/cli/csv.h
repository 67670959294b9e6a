/*
 * csv.h - a bounded RFC 4180 CSV reader over a buffer in memory, for the
 * user import (untrusted files written by tenant admins).
 *
 * Accepts: UTF-8 text with an optional BOM, records ended by LF or CRLF
 * (the last one may be unterminated), fields quoted with '"' where "" is a
 * literal quote and commas, CR and LF may appear inside quotes. Blank lines
 * are skipped. Refuses, per record: a quote inside an unquoted field, text
 * after a closing quote, an unterminated quoted field, a NUL byte, invalid
 * UTF-8, more than IDG_CSV_MAX_FIELDS fields, a field longer than
 * IDG_CSV_MAX_FIELD_BYTES. After a bad record the reader continues with the
 * next one, so every bad record can be reported. Not a general CSV library:
 * no other separators, no type conversion, no streaming from a file.
 */
#ifndef IDG_CSV_H
#define IDG_CSV_H

#include <stddef.h>

#define IDG_CSV_MAX_FIELDS	 8	/* fields per record */
#define IDG_CSV_MAX_FIELD_BYTES	 1024	/* bytes per field, after unquoting */
#define IDG_CSV_MAX_ROWS	 100000	/* records a caller should accept from one file */
#define IDG_CSV_MAX_ERRORS	 200	/* bad records a caller prints before summarising */

struct idg_csv {
	const char	*p;		/* next byte to read (borrowed input) */
	const char	*end;
	int		 line;		/* physical line of p, 1-based */
};

struct idg_csv_record {
	int	 line;			/* physical line where the record starts */
	int	 nfields;
	char	*fields[IDG_CSV_MAX_FIELDS];	/* NUL-terminated, point into storage */
	char	 storage[IDG_CSV_MAX_FIELDS * (IDG_CSV_MAX_FIELD_BYTES + 1)];
};

/* Starts reading data[0..len) (borrowed; must outlive c). Skips a UTF-8 BOM. */
void	idg_csv_init(struct idg_csv *c, const char *data, size_t len);
/*
 * Reads the next record into rec. Returns IDG_OK; IDG_NOTFOUND at the end
 * of input; IDG_INVALID for a bad record, with rec->line set and a message
 * (no "FILE:LINE:" prefix) in err, the reader positioned after that record.
 */
int	idg_csv_next(struct idg_csv *c, struct idg_csv_record *rec, char *err,
	    size_t errsz);

#endif
