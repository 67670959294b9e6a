/*
 * test_csv.c - the CSV reader of the user import (gateway/cli/csv.c):
 * quoting, embedded commas and newlines, BOM, CRLF, blank lines, and bad
 * records reported with their line while reading goes on. Not the import
 * rules (test_cli.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/cli/csv.h"
#include "gateway/util/status.h"

static struct idg_csv_record rec;
static char err[256];

static void
init(struct idg_csv *c, const char *s)
{
	idg_csv_init(c, s, strlen(s));
}

static void
test_basic(void **state)
{
	struct idg_csv c;

	(void)state;
	init(&c, "a,b,c\n1,,3\n");
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_OK);
	assert_int_equal(rec.line, 1);
	assert_int_equal(rec.nfields, 3);
	assert_string_equal(rec.fields[0], "a");
	assert_string_equal(rec.fields[2], "c");
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_OK);
	assert_int_equal(rec.line, 2);
	assert_string_equal(rec.fields[1], "");
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_NOTFOUND);
	/* Last record without a line end; trailing empty field. */
	init(&c, "x,");
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_OK);
	assert_int_equal(rec.nfields, 2);
	assert_string_equal(rec.fields[1], "");
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_NOTFOUND);
}

static void
test_quotes(void **state)
{
	struct idg_csv c;

	(void)state;
	init(&c, "\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\",\"\"\nnext,row\n");
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_OK);
	assert_int_equal(rec.nfields, 4);
	assert_string_equal(rec.fields[0], "a,b");
	assert_string_equal(rec.fields[1], "say \"hi\"");
	assert_string_equal(rec.fields[2], "line1\nline2");
	assert_string_equal(rec.fields[3], "");
	/* The embedded newline moved the line count on. */
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_OK);
	assert_int_equal(rec.line, 3);
	assert_string_equal(rec.fields[0], "next");
}

static void
test_bom_crlf_blank(void **state)
{
	struct idg_csv c;

	(void)state;
	init(&c, "\xef\xbb\xbf" "email,name\r\n\r\n\na@b.c,\"A\r\nB\"\r\n\r\n");
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_OK);
	assert_string_equal(rec.fields[0], "email");	/* BOM gone */
	assert_string_equal(rec.fields[1], "name");	/* CR gone */
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_OK);
	assert_int_equal(rec.line, 4);	/* blank lines 2 and 3 skipped */
	assert_string_equal(rec.fields[0], "a@b.c");
	assert_string_equal(rec.fields[1], "A\r\nB");	/* kept inside quotes */
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_NOTFOUND);
	/* UTF-8 passes through. */
	init(&c, "\xe5\xb1\xb1\xe7\x94\xb0,x\n");
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_OK);
	assert_string_equal(rec.fields[0], "\xe5\xb1\xb1\xe7\x94\xb0");
}

/* Expects a bad record on line `line` whose message contains `what`. */
static void
expect_bad(struct idg_csv *c, int line, const char *what)
{
	assert_int_equal(idg_csv_next(c, &rec, err, sizeof(err)), IDG_INVALID);
	assert_int_equal(rec.line, line);
	assert_non_null(strstr(err, what));
}

static void
test_bad_records(void **state)
{
	struct idg_csv c;
	char *big;

	(void)state;
	init(&c, "ok,1\n"
	    "bad\"quote,2\n"
	    "\"closed\"junk,3\n"
	    "\"multi\nline\"x,4\n"
	    "good,5\n"
	    "a\rb,6\n"
	    "bad,\xc3\x28\n"
	    "\"never closed,7\nmore\n");
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_OK);
	expect_bad(&c, 2, "quote inside unquoted field 1");
	expect_bad(&c, 3, "after the closing quote");
	expect_bad(&c, 4, "after the closing quote");
	/* Reading resumed right after the bad multi-line record. */
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_OK);
	assert_int_equal(rec.line, 6);
	assert_string_equal(rec.fields[0], "good");
	expect_bad(&c, 7, "carriage return");
	expect_bad(&c, 8, "not valid UTF-8");
	expect_bad(&c, 9, "opened on line 9 is not closed");
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_NOTFOUND);

	/* Bounds: fields per record and bytes per field. */
	init(&c, "1,2,3,4,5,6,7,8,9\nnext\n");
	expect_bad(&c, 1, "more than 8 fields");
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_OK);
	assert_string_equal(rec.fields[0], "next");
	big = malloc(IDG_CSV_MAX_FIELD_BYTES + 16);
	assert_non_null(big);
	memset(big, 'x', IDG_CSV_MAX_FIELD_BYTES + 1);
	big[IDG_CSV_MAX_FIELD_BYTES + 1] = '\0';
	init(&c, big);
	expect_bad(&c, 1, "longer than");
	big[IDG_CSV_MAX_FIELD_BYTES] = '\0';	/* exactly the maximum is fine */
	init(&c, big);
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_OK);
	assert_int_equal(strlen(rec.fields[0]), IDG_CSV_MAX_FIELD_BYTES);
	free(big);

	/* A NUL byte inside the data. */
	idg_csv_init(&c, "a\0b,c\n", 6);
	expect_bad(&c, 1, "NUL");
	/* Empty input and BOM-only input have no records. */
	init(&c, "");
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_NOTFOUND);
	init(&c, "\xef\xbb\xbf");
	assert_int_equal(idg_csv_next(&c, &rec, err, sizeof(err)), IDG_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_bom_crlf_blank),
		cmocka_unit_test(test_bad_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
