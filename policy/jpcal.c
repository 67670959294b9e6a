/*
 * jpcal.c - Japanese national holidays, business days and the override list
 * parser; see jpcal.h. The holiday rules follow the Act on National Holidays
 * (国民の祝日に関する法律) as amended in 1985 (citizens' holiday), 1989
 * (Emperor's Birthday moved), 1995 (Marine Day), 1998/2001 (Happy Monday),
 * 2005 (Showa Day, May 4 Greenery Day, substitute holiday extended), 2014
 * (Mountain Day) and 2017/2018 (Emperor's Birthday Feb 23, Sports Day). It is
 * not a general calendar library and knows nothing about time zones: callers
 * pass civil dates already in Japan time.
 */
#include "jpcal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/clock.h"
#include "gateway/util/status.h"

struct ov_entry {
	int32_t	 key;		/* y * 10000 + m * 100 + d */
	bool	 holiday;
	char	*name;		/* owned; NULL for a workday entry */
	int	 line;
};

struct idg_jp_overrides {
	struct ov_entry	*v;	/* sorted by key, unique */
	size_t		 n;
};

/* --- calendar arithmetic (H. Hinnant's days_from_civil) --- */

int64_t
idg_jp_days(int64_t y, int m, int d)
{
	return idg_days_from_civil(y, m, d);
}

void
idg_jp_civil(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468, era;
	unsigned doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int
idg_jp_weekday(int64_t days)
{
	int64_t w = (days + 4) % 7;	/* 1970-01-01 was a Thursday */

	return (int)(w < 0 ? w + 7 : w);
}

int
idg_jp_month_days(int64_t y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m < 1 || m > 12)
		return 0;
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return len[m - 1];
}

static bool
valid_date(int y, int m, int d)
{
	return d >= 1 && d <= idg_jp_month_days(y, m);
}

/* --- computed holidays --- */

/* Day of the month of the n-th Monday of y-m (Happy Monday system). */
static int
nth_monday(int y, int m, int n)
{
	int w1 = idg_jp_weekday(idg_jp_days(y, m, 1));

	return 1 + (8 - w1) % 7 + 7 * (n - 1);
}

/*
 * Equinox days by the standard approximation, valid 1980-2099:
 * floor(20.8431 + 0.242194 (y - 1980)) - floor((y - 1980) / 4), with 23.2488
 * in September. Done in integers (millionths) so no rounding can differ.
 */
static int
equinox(int y, long base_millionths)
{
	long t = y - 1980;

	return (int)((base_millionths + 242194 * t) / 1000000 - t / 4);
}

/* The holidays named in Article 2 of the Act (国民の祝日) for y-m-d, or NULL. */
static const char *
national(int64_t days)
{
	int64_t yy;
	int y, m, d;

	idg_jp_civil(days, &yy, &m, &d);
	if (yy < IDG_JP_MIN_YEAR || yy > IDG_JP_MAX_YEAR)
		return NULL;
	y = (int)yy;
	switch (m) {
	case 1:
		if (d == 1)
			return "元日";
		if (d == (y < 2000 ? 15 : nth_monday(y, 1, 2)))
			return "成人の日";
		break;
	case 2:
		if (d == 11)
			return "建国記念の日";
		if (d == 23 && y >= 2020)
			return "天皇誕生日";
		break;
	case 3:
		if (d == equinox(y, 20843100))
			return "春分の日";
		break;
	case 4:
		if (d == 29)
			return y < 1989 ? "天皇誕生日" : y < 2007 ? "みどりの日" : "昭和の日";
		break;
	case 5:
		if (d == 3)
			return "憲法記念日";
		if (d == 4 && y >= 2007)
			return "みどりの日";
		if (d == 5)
			return "こどもの日";
		break;
	case 7:
		if (y >= 1996 && d == (y < 2003 ? 20 : nth_monday(y, 7, 3)))
			return "海の日";
		break;
	case 8:
		if (y >= 2016 && d == 11)
			return "山の日";
		break;
	case 9:
		if (d == (y < 2003 ? 15 : nth_monday(y, 9, 3)))
			return "敬老の日";
		if (d == equinox(y, 23248800))
			return "秋分の日";
		break;
	case 10:
		if (d == (y < 2000 ? 10 : nth_monday(y, 10, 2)))
			return y < 2020 ? "体育の日" : "スポーツの日";
		break;
	case 11:
		if (d == 3)
			return "文化の日";
		if (d == 23)
			return "勤労感謝の日";
		break;
	case 12:
		if (d == 23 && y >= 1989 && y <= 2018)
			return "天皇誕生日";
		break;
	}
	return NULL;
}

/* National holidays plus Article 3's substitute and citizens' holidays. */
static const char *
computed(int y, int64_t days)
{
	const char *n;
	int64_t p;

	if ((n = national(days)) != NULL)
		return n;
	/*
	 * Art. 3(2): a holiday on a Sunday makes the next day that is not a
	 * national holiday a holiday. Before the 2007 amendment only the
	 * Monday right after qualified.
	 */
	if (y >= 2007) {
		for (p = days - 1; national(p) != NULL; p--)
			if (idg_jp_weekday(p) == 0)
				return "振替休日";
	} else if (idg_jp_weekday(days - 1) == 0 && national(days - 1) != NULL) {
		return "振替休日";
	}
	/*
	 * Art. 3(3) (from 1985-12-27): a day between two national holidays
	 * is a holiday; before 2007 a Sunday was excluded.
	 */
	if (days >= idg_jp_days(1985, 12, 27) && national(days - 1) != NULL &&
	    national(days + 1) != NULL && !(y < 2007 && idg_jp_weekday(days) == 0))
		return "国民の休日";
	return NULL;
}

static const struct ov_entry *
ov_find(const struct idg_jp_overrides *ov, int32_t key)
{
	size_t lo = 0, hi;

	if (ov == NULL)
		return NULL;
	hi = ov->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ov->v[mid].key == key)
			return &ov->v[mid];
		if (ov->v[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool
idg_jp_holiday(int y, int m, int d, const struct idg_jp_overrides *ov, const char **name)
{
	const struct ov_entry *e;
	const char *n = NULL;

	if (!valid_date(y, m, d))
		return false;
	if (y >= -9999 && y <= 9999 && (e = ov_find(ov, y * 10000 + m * 100 + d)) != NULL) {
		if (e->holiday)
			n = e->name;
	} else if (y >= IDG_JP_MIN_YEAR && y <= IDG_JP_MAX_YEAR) {
		n = computed(y, idg_jp_days(y, m, d));
	}
	if (n != NULL && name != NULL)
		*name = n;
	return n != NULL;
}

bool
idg_jp_business_day(int y, int m, int d, const struct idg_jp_overrides *ov)
{
	int wd;

	if (!valid_date(y, m, d))
		return false;
	wd = idg_jp_weekday(idg_jp_days(y, m, d));
	if (wd == 0 || wd == 6)
		return false;
	/* the contract's year-end closure: Dec 30 - Jan 3 */
	if ((m == 12 && d >= 30) || (m == 1 && d <= 3))
		return false;
	return !idg_jp_holiday(y, m, d, ov, NULL);
}

int
idg_jp_nth_business_day(int y, int m, int n, const struct idg_jp_overrides *ov, int *out_d)
{
	int d, last = idg_jp_month_days(y, m);

	if (last == 0 || n < 1)
		return IDG_INVALID;
	for (d = 1; d <= last; d++)
		if (idg_jp_business_day(y, m, d, ov) && --n == 0) {
			*out_d = d;
			return IDG_OK;
		}
	return IDG_NOTFOUND;
}

/* --- override list --- */

static int
fail(char *err, size_t errsz, int line, const char *msg, const char *arg)
{
	if (err != NULL && errsz > 0) {
		if (arg != NULL)
			snprintf(err, errsz, "line %d: %s '%s'", line, msg, arg);
		else
			snprintf(err, errsz, "line %d: %s", line, msg);
	}
	return IDG_INVALID;
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct ov_entry *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Parses "YYYY-MM-DD" exactly (10 bytes at p). */
static bool
parse_date(const char *p, size_t n, int *y, int *m, int *d)
{
	int i, v[3] = { 0, 0, 0 }, k = 0;

	if (n != 10 || p[4] != '-' || p[7] != '-')
		return false;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			k++;
			continue;
		}
		if (p[i] < '0' || p[i] > '9')
			return false;
		v[k] = v[k] * 10 + (p[i] - '0');
	}
	*y = v[0];
	*m = v[1];
	*d = v[2];
	return valid_date(*y, *m, *d);
}

void
idg_jp_overrides_free(struct idg_jp_overrides *ov)
{
	size_t i;

	if (ov == NULL)
		return;
	for (i = 0; i < ov->n; i++)
		free(ov->v[i].name);
	free(ov->v);
	free(ov);
}

size_t
idg_jp_overrides_count(const struct idg_jp_overrides *ov)
{
	return ov == NULL ? 0 : ov->n;
}

/* Parses one line (comment already cut, no newline) into e. */
static int
parse_line(const char *p, const char *end, int line, struct ov_entry *e, char *err,
    size_t errsz)
{
	char tmp[IDG_JP_NAME_MAX + 1];
	const char *w;
	int y, m, d;

	for (w = p; p < end && !is_space(*p); p++)
		;
	if (!parse_date(w, (size_t)(p - w), &y, &m, &d)) {
		size_t n = (size_t)(p - w) < 32 ? (size_t)(p - w) : 32;

		memcpy(tmp, w, n);
		tmp[n] = '\0';
		return fail(err, errsz, line, "bad date (want YYYY-MM-DD)", tmp);
	}
	if (y < 1000)
		return fail(err, errsz, line, "year out of range", NULL);
	e->key = y * 10000 + m * 100 + d;
	e->line = line;
	while (p < end && is_space(*p))
		p++;
	for (w = p; p < end && !is_space(*p); p++)
		;
	if ((size_t)(p - w) == 7 && memcmp(w, "workday", 7) == 0) {
		while (p < end && is_space(*p))
			p++;
		if (p != end)
			return fail(err, errsz, line, "unexpected text after 'workday'", NULL);
		e->holiday = false;
		return IDG_OK;
	}
	if ((size_t)(p - w) != 7 || memcmp(w, "holiday", 7) != 0)
		return fail(err, errsz, line, "expected 'holiday NAME' or 'workday' after the date",
		    NULL);
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	if (p == end)
		return fail(err, errsz, line, "missing holiday name", NULL);
	if ((size_t)(end - p) > IDG_JP_NAME_MAX)
		return fail(err, errsz, line, "holiday name too long", NULL);
	e->holiday = true;
	if ((e->name = malloc((size_t)(end - p) + 1)) == NULL)
		return IDG_ERR;
	memcpy(e->name, p, (size_t)(end - p));
	e->name[end - p] = '\0';
	return IDG_OK;
}

int
idg_jp_overrides_parse(const char *text, size_t len, struct idg_jp_overrides **out, char *err,
    size_t errsz)
{
	struct idg_jp_overrides *ov;
	const char *p = text, *end = text + len;
	size_t i, cap = 0;
	int line = 0, st = IDG_OK;

	*out = NULL;
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if ((ov = calloc(1, sizeof(*ov))) == NULL)
		return IDG_ERR;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *c, *q;

		if (eol == NULL)
			eol = end;
		line++;
		if ((size_t)(eol - text) > IDG_JP_OVERRIDES_MAX_BYTES) {
			st = fail(err, errsz, line, "override list larger than 262144 bytes", NULL);
			goto out;
		}
		q = eol;
		if (q > p && q[-1] == '\r')
			q--;
		for (c = p; c < q; c++) {
			unsigned char ch = (unsigned char)*c;

			if (ch == '#')
				break;
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				st = fail(err, errsz, line, "control character", NULL);
				goto out;
			}
		}
		q = c;
		while (p < q && is_space(*p))
			p++;
		if (p < q) {
			if (ov->n == IDG_JP_OVERRIDES_MAX_ENTRIES) {
				st = fail(err, errsz, line, "too many entries (max 4096)", NULL);
				goto out;
			}
			if (ov->n == cap) {
				size_t ncap = cap == 0 ? 32 : cap * 2;
				struct ov_entry *nv = realloc(ov->v, ncap * sizeof(*nv));

				if (nv == NULL) {
					st = IDG_ERR;
					goto out;
				}
				ov->v = nv;
				cap = ncap;
			}
			memset(&ov->v[ov->n], 0, sizeof(ov->v[0]));
			st = parse_line(p, q, line, &ov->v[ov->n], err, errsz);
			if (st != IDG_OK)
				goto out;
			ov->n++;
		}
		p = eol < end ? eol + 1 : end;
	}
	if (ov->n > 1)
		qsort(ov->v, ov->n, sizeof(ov->v[0]), cmp_entry);
	for (i = 1; i < ov->n; i++)
		if (ov->v[i].key == ov->v[i - 1].key) {
			const struct ov_entry *a = &ov->v[i - 1], *b = &ov->v[i];
			char msg[64];

			if (a->line > b->line) {
				const struct ov_entry *t = a;

				a = b;
				b = t;
			}
			snprintf(msg, sizeof(msg), "date listed twice (first on line %d)", a->line);
			st = fail(err, errsz, b->line, msg, NULL);
			goto out;
		}
out:
	if (st != IDG_OK) {
		if (st == IDG_ERR && err != NULL && errsz > 0)
			snprintf(err, errsz, "out of memory");
		idg_jp_overrides_free(ov);
		return st;
	}
	*out = ov;
	return IDG_OK;
}
