/*
 * sql_int.h - for unit tests that look into a SQLite store file directly:
 * the first column of the first row of one query (counts, ids, flags).
 */
#ifndef IDG_TEST_SQL_INT_H
#define IDG_TEST_SQL_INT_H

/* The integer q yields on the database file at path; -1 with no row. Asserts it runs. */
long long	sql_int(const char *path, const char *q);

#endif
