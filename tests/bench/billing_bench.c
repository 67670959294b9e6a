/*
 * billing_bench.c - how long the operator's billing export (idg_billing_export)
 * takes on a large SQLite store: by default 10,000 tenants of 1,000 person
 * users each (10 million users), a month (2026-10) of daily license rows and
 * monthly active IDs for about 70% of the users. Builds that database once
 * (raw sqlite3 bulk inserts into the schema the store migrates, in a child
 * process so the figures below are the export's own), then times the whole
 * month exported as CSV and as JSON, one tenant's export, a breakdown of the
 * export into the tenant list and the per-tenant figures, and the peak RSS.
 * Prints figures and warnings; it never fails on a timing and ctest does not
 * run it. Not a test of the figures either: it only warns when the CSV has
 * the wrong number of lines or one tenant's row differs from the generator.
 * The bulk load is the one place outside the store that writes SQL: the
 * store's operations add users one transaction at a time, far too slowly
 * for ten million rows.
 *
 *   billing_bench [--tenants N] [--users M] [--db PATH] [--keep] [--runs R]
 *       [--one-runs K]
 *
 * Defaults: N 10,000, M 1,000, R 5 runs of each full export, K 100 runs of
 * the one-tenant export (stopped after 300 s). Without --db the database is
 * a fresh file in a mkdtemp folder under /tmp, deleted at exit unless --keep.
 * A --db file built earlier with the same N and M (recorded in its table
 * bench_meta) is reused; one with other sizes is rebuilt; any other existing
 * file is left alone and the program stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gateway/report/report.h"
#include "gateway/store/store.h"
#include "gateway/util/buf.h"
#include "gateway/util/clock.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"

#define MONTH			"2026-10"
#define CARRY_DAY		"2026-09-30"
#define DAYS_IN_MONTH		31
#define OUT_MAX_BYTES		((size_t)1 << 30)
#define ONE_RUNS_MAX_S		300.0
#define ROWS_PER_TX		500000L

/* ---- the generated data ------------------------------------------------ */

static uint64_t
mix(uint64_t x)
{
	/* splitmix64: the same inputs give the same database every time. */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t
h3(uint64_t a, uint64_t b, uint64_t salt)
{
	return mix(mix(a ^ (salt << 56)) ^ b);
}

/* Person user u of tenant t: ~2% suspended, ~1% deleted, the rest active. */
static int
user_status(long t, long u)
{
	uint64_t r = h3((uint64_t)t, (uint64_t)u, 1) % 100;

	return r < 2 ? IDG_USER_SUSPENDED : r == 2 ? IDG_USER_DELETED : IDG_USER_ACTIVE;
}

/* ~70% of the users signed in during the month. */
static bool
user_active(long t, long u)
{
	return h3((uint64_t)t, (uint64_t)u, 2) % 10 < 7;
}

struct lday {
	char	day[11];
	int	contracted, peak, end, dev_lic, dev_users;
};

/*
 * Tenant t's license row of day d (0 = the carry-in row of the day before
 * the month, 1..31 = the month's days), held = its licenses held now. False
 * for a day without a row (every 7th tenant has none on the 15th: the
 * previous row carries).
 */
static bool
license_day(long t, int d, int held, long m, struct lday *out)
{
	int v;

	if (d == 15 && t % 7 == 0)
		return false;
	memset(out, 0, sizeof(*out));
	if (d == 0)
		idg_strlcpy(out->day, CARRY_DAY, sizeof(out->day));
	else
		/* d is 1..31; the modulo tells the compiler so (format-truncation) */
		snprintf(out->day, sizeof(out->day), MONTH "-%02u", (unsigned)d % 100u);
	out->contracted = (int)m + 100;
	v = d == 0 ? 5 : (int)(h3((uint64_t)t, (uint64_t)d, 3) % 4);
	out->end = held > v ? held - v : 0;
	out->peak = out->end + (d == 0 ? 0 : (int)(h3((uint64_t)t, (uint64_t)d, 4) % 3));
	if (t % 10 == 0) {
		out->dev_lic = 10 + 10 * (int)(t % 3);
		out->dev_users = 3 + (int)(t % 5);
	}
	return true;
}

/* What the export should say about tenant t, from the generator alone. */
struct expect {
	int	contracted, peak, end, active, dev_lic, dev_users;
};

static void
expect_tenant(long t, long m, struct expect *e)
{
	struct lday ld;
	int held = 0, d;
	long u;

	memset(e, 0, sizeof(*e));
	for (u = 1; u <= m; u++) {
		if (user_status(t, u) != IDG_USER_DELETED)
			held++;
		if (user_active(t, u))
			e->active++;
	}
	for (d = 0; d <= DAYS_IN_MONTH; d++) {
		if (!license_day(t, d, held, m, &ld))
			continue;
		/* The carry-in row counts with its end figure (report.c lic_row). */
		if ((d == 0 ? ld.end : ld.peak) > e->peak)
			e->peak = d == 0 ? ld.end : ld.peak;
		e->end = ld.end;
		e->contracted = ld.contracted;
		e->dev_lic = ld.dev_lic;
		e->dev_users = ld.dev_users;
	}
}

static void
company_id(long t, char out[33])
{
	snprintf(out, 33, "t%05ld", t);
}

/* Mostly Japanese names; every 10th needs CSV quoting. */
static void
tenant_name(long t, char out[129])
{
	if (t % 10 == 3)
		snprintf(out, 129, "Sample Trading, Inc. No.%ld", t);
	else
		snprintf(out, 129, "株式会社サンプル%05ld", t);
}

/* ---- building the database -------------------------------------------- */

struct loader {
	sqlite3		*db;
	sqlite3_stmt	*tenant, *user, *lday, *active;
	long		 rows;		/* since the last commit */
};

static int
sq_fail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "billing_bench: %s: %s\n", what, sqlite3_errmsg(db));
	return -1;
}

static int
step(struct loader *l, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return sq_fail(l->db, what);
	/* Large transactions, but bounded: the cache and the file grow in steps. */
	if (++l->rows >= ROWS_PER_TX) {
		l->rows = 0;
		if (sqlite3_exec(l->db, "COMMIT; BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			return sq_fail(l->db, "commit");
	}
	return 0;
}

static int
add_user(struct loader *l, int64_t id, long t, const char *email, const char *name,
    int status, int kind, int64_t at)
{
	char hash[112];
	uint64_t a = mix((uint64_t)id), b = mix(a);

	/* An argon2id-shaped hash, so rows are as long as real ones. */
	snprintf(hash, sizeof(hash), "$argon2id$v=19$m=65536,t=3,p=4$%016llx%06llx"
	    "$%016llx%016llx%011llx", (unsigned long long)a,
	    (unsigned long long)(b & 0xffffff), (unsigned long long)b,
	    (unsigned long long)mix(b), (unsigned long long)(mix(a ^ b) & 0xfffffffffffull));
	sqlite3_bind_int64(l->user, 1, id);
	sqlite3_bind_int64(l->user, 2, t);
	sqlite3_bind_text(l->user, 3, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(l->user, 4, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(l->user, 5, status);
	sqlite3_bind_int(l->user, 6, kind);
	sqlite3_bind_text(l->user, 7, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(l->user, 8, at);
	return step(l, l->user, "insert user");
}

static int
load_tenant(struct loader *l, long t, long m, int64_t created, int64_t month_start)
{
	char cid[33], name[129], email[255], disp[129];
	int64_t base = (int64_t)(t - 1) * (m + 2);
	struct lday ld;
	int held = 0, d;
	long u;

	company_id(t, cid);
	tenant_name(t, name);
	sqlite3_bind_int64(l->tenant, 1, t);
	sqlite3_bind_text(l->tenant, 2, cid, -1, SQLITE_STATIC);
	sqlite3_bind_text(l->tenant, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(l->tenant, 4, m + 100);
	sqlite3_bind_int64(l->tenant, 5, created);
	if (step(l, l->tenant, "insert tenant") != 0)
		return -1;
	/* The two provider service accounts every tenant has (never billed). */
	snprintf(email, sizeof(email), "setup@%s.idgate.invalid", cid);
	if (add_user(l, base + 1, t, email, "setup", IDG_USER_SUSPENDED,
	    IDG_USER_SERVICE_SETUP, created) != 0)
		return -1;
	snprintf(email, sizeof(email), "report@%s.idgate.invalid", cid);
	if (add_user(l, base + 2, t, email, "report", IDG_USER_ACTIVE,
	    IDG_USER_SERVICE_REPORT, created) != 0)
		return -1;
	for (u = 1; u <= m; u++) {
		int st = user_status(t, u);

		snprintf(email, sizeof(email), "user%06ld@%s.example.jp", u, cid);
		snprintf(disp, sizeof(disp), "利用者 %ld", u);
		if (add_user(l, base + 2 + u, t, email, disp, st, IDG_USER_PERSON, created) != 0)
			return -1;
		if (st != IDG_USER_DELETED)
			held++;
	}
	for (d = 0; d <= DAYS_IN_MONTH; d++) {
		if (!license_day(t, d, held, m, &ld))
			continue;
		sqlite3_bind_int64(l->lday, 1, t);
		sqlite3_bind_text(l->lday, 2, ld.day, -1, SQLITE_STATIC);
		sqlite3_bind_int(l->lday, 3, ld.contracted);
		sqlite3_bind_int(l->lday, 4, ld.peak);
		sqlite3_bind_int(l->lday, 5, ld.end);
		sqlite3_bind_int(l->lday, 6, ld.dev_lic);
		sqlite3_bind_int(l->lday, 7, ld.dev_users);
		if (step(l, l->lday, "insert license_daily") != 0)
			return -1;
	}
	for (u = 1; u <= m; u++) {
		if (!user_active(t, u))
			continue;
		sqlite3_bind_int64(l->active, 1, t);
		sqlite3_bind_int64(l->active, 2, base + 2 + u);
		sqlite3_bind_int64(l->active, 3, month_start +
		    (int64_t)(h3((uint64_t)t, (uint64_t)u, 5) % (DAYS_IN_MONTH * 86400)));
		if (step(l, l->active, "insert monthly_active") != 0)
			return -1;
	}
	return 0;
}

/*
 * Creates the database at path: the store's own migrations, then the rows
 * with journalling and syncing off (a half-built file is worthless anyway:
 * bench_meta is written last, so it is never reused). Runs in a child.
 */
static int
build(const char *path, long nt, long nu)
{
	struct idg_store_config cfg = { .driver = "sqlite", .sqlite_path = path,
	    .busy_timeout_ms = 5000 };
	int64_t created, month_start;
	struct idg_store *s = NULL;
	struct loader l;
	int rc = -1, y, m;
	long t;

	if (idg_store_open(&cfg, &s) != IDG_OK || idg_store_migrate(s, NULL) != IDG_OK) {
		fprintf(stderr, "billing_bench: cannot create the store at %s\n", path);
		idg_store_free(s);
		return -1;
	}
	idg_store_free(s);
	memset(&l, 0, sizeof(l));
	if (sqlite3_open_v2(path, &l.db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return sq_fail(l.db, path);
	if (sqlite3_exec(l.db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
	    " PRAGMA cache_size = -1048576; PRAGMA locking_mode = EXCLUSIVE", NULL, NULL,
	    NULL) != SQLITE_OK) {
		sq_fail(l.db, "pragmas");
		goto out;
	}
	if (sqlite3_prepare_v2(l.db, "INSERT INTO tenants (id, company_id, name,"
	    " contracted_ids, status, created_at, setup_completed_at) VALUES"
	    " (?1, ?2, ?3, ?4, 1, ?5, ?5)", -1, &l.tenant, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l.db, "INSERT INTO users (id, tenant_id, email, display_name,"
	    " status, kind, password_hash, created_at, updated_at, password_changed_at,"
	    " sessions_not_before) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8, 0)", -1,
	    &l.user, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l.db, "INSERT INTO license_daily (tenant_id, day,"
	    " contracted_ids, in_use_peak, in_use_end, device_licensed, device_users)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &l.lday, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l.db, "INSERT INTO monthly_active (tenant_id, month, user_id,"
	    " first_at) VALUES (?1, '" MONTH "', ?2, ?3)", -1, &l.active, NULL) !=
	    SQLITE_OK) {
		sq_fail(l.db, "prepare");
		goto out;
	}
	idg_month_parse(MONTH, &y, &m);
	month_start = idg_jst_month_start(y, m);
	created = idg_jst_month_start(y, m - 1) + 14 * 86400;	/* 2026-09-15 00:00 JST */
	if (sqlite3_exec(l.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		sq_fail(l.db, "begin");
		goto out;
	}
	for (t = 1; t <= nt; t++) {
		if (load_tenant(&l, t, nu, created, month_start) != 0)
			goto out;
		if (nt >= 10 && t % (nt / 10) == 0) {
			fprintf(stderr, "  built %ld of %ld tenants\n", t, nt);
		}
	}
	{
		char meta[256];

		snprintf(meta, sizeof(meta), "CREATE TABLE bench_meta (tenants INTEGER NOT NULL,"
		    " users INTEGER NOT NULL); INSERT INTO bench_meta VALUES (%ld, %ld); COMMIT",
		    nt, nu);
		if (sqlite3_exec(l.db, meta, NULL, NULL, NULL) != SQLITE_OK) {
			sq_fail(l.db, "bench_meta");
			goto out;
		}
	}
	/* Back to the mode the store runs in. */
	if (sqlite3_exec(l.db, "PRAGMA locking_mode = NORMAL; PRAGMA journal_mode = WAL",
	    NULL, NULL, NULL) != SQLITE_OK) {
		sq_fail(l.db, "journal_mode");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(l.tenant);
	sqlite3_finalize(l.user);
	sqlite3_finalize(l.lday);
	sqlite3_finalize(l.active);
	sqlite3_close(l.db);
	return rc;
}

/*
 * 1: path is a bench database of these sizes; 0: one of other sizes;
 * -1: something else (or unreadable).
 */
static int
meta_check(const char *path, long nt, long nu)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT tenants, users FROM bench_meta", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		r = sqlite3_column_int64(st, 0) == nt && sqlite3_column_int64(st, 1) == nu;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

static void
remove_db(const char *path)
{
	char side[4200];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

/* ---- measuring ------------------------------------------------------- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of the n sorted values v. */
static double
pct(const double *v, int n, double p)
{
	int i = (int)(p * n - 1e-9);	/* ceil(p * n) - 1 */

	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* "10,000,000" */
static const char *
commas(long long v, char out[32])
{
	char tmp[32];
	int len, i, o = 0;

	len = snprintf(tmp, sizeof(tmp), "%lld", v);
	for (i = 0; i < len; i++) {
		if (i > 0 && tmp[i - 1] != '-' && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = tmp[i];
	}
	out[o] = '\0';
	return out;
}

static long long
file_bytes(const char *path)
{
	struct stat sb;
	char side[4200];
	long long n = 0;

	if (stat(path, &sb) == 0)
		n += sb.st_size;
	snprintf(side, sizeof(side), "%s-wal", path);
	if (stat(side, &sb) == 0)
		n += sb.st_size;
	return n;
}

/* Drops path from the page cache, so the next run reads the disk. */
static bool
evict(const char *path)
{
	int fd = open(path, O_RDONLY), rc;

	if (fd < 0)
		return false;
	(void)fdatasync(fd);
	rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	return rc == 0;
}

static size_t
count_str(const char *s, size_t len, const char *what)
{
	size_t n = 0, wl = strlen(what);
	const char *p = s, *end = s + len;

	while (p < end && (p = memmem(p, (size_t)(end - p), what, wl)) != NULL) {
		n++;
		p += wl;
	}
	return n;
}

struct series {
	double	*ms;
	int	 n;
	size_t	 bytes, rows;
};

/* Runs the whole-month export `runs` times into s. */
static int
time_export(struct idg_store *st, enum idg_billing_format f, int runs, int64_t now,
    bool *cold_first, const char *path, struct series *s)
{
	const char *fname = f == IDG_BILLING_JSON ? "json" : "csv";
	struct idg_buf out;
	int i, rc = 0;

	idg_buf_init(&out, OUT_MAX_BYTES);
	for (i = 0; i < runs; i++) {
		bool cold = i == 0 && cold_first != NULL && (*cold_first = evict(path));
		double t0, ms;

		idg_buf_reset(&out);
		t0 = now_s();
		if ((rc = idg_billing_export(st, MONTH, NULL, f, true, now, &out)) != IDG_OK) {
			fprintf(stderr, "billing_bench: %s export failed: %d\n", fname, rc);
			break;
		}
		ms = (now_s() - t0) * 1e3;
		s->ms[s->n++] = ms;
		printf("  %s run %d: %9.1f ms%s\n", fname, i + 1, ms,
		    cold ? " (cold: file evicted from the page cache)" : "");
		fflush(stdout);
	}
	s->bytes = out.len;
	s->rows = f == IDG_BILLING_JSON ? count_str(out.data, out.len, "\"company_id\":") :
	    count_str(out.data, out.len, "\r\n");
	idg_buf_free(&out);
	qsort(s->ms, (size_t)s->n, sizeof(double), cmp_double);
	return rc;
}

static int
count_tenant(void *arg, const struct idg_tenant *t)
{
	(*(long *)arg)++;
	return 0;
}

struct tlist {
	struct idg_tenant	*v;
	long			 n, cap;
};

static int
keep_tenant(void *arg, const struct idg_tenant *t)
{
	struct tlist *l = arg;

	if (l->n == l->cap) {
		long cap = l->cap ? l->cap * 2 : 1024;
		struct idg_tenant *v = realloc(l->v, (size_t)cap * sizeof(*v));

		if (v == NULL)
			return 1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *t;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: billing_bench [--tenants N] [--users M] [--db PATH] [--keep]"
	    " [--runs R] [--one-runs K]\n");
}

int
main(int argc, char **argv)
{
	long nt = 10000, nu = 1000, runs = 5, one_runs = 100, v;
	char dir[64] = "", path[4096] = "", cid[33], c1[32], c2[32];
	const char *dbarg = NULL;
	struct idg_store_config cfg = { .driver = "sqlite", .busy_timeout_ms = 5000 };
	struct idg_store *st = NULL;
	struct series csv, json;
	double build_s = -1, *one = NULL, list_ms[3], fig_ms[3], t0;
	struct rusage ru_self, ru_kids;
	struct tlist tl;
	struct expect e;
	bool keep = false, reused = false, cold = false;
	long long dbbytes;
	int64_t now;
	int i, y, m, rc = 1, n_one = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		long *dst = NULL, lo = 1, hi = 0;

		if (strcmp(a, "--keep") == 0) {
			keep = true;
			continue;
		}
		if (strcmp(a, "--tenants") == 0) {
			dst = &nt;
			hi = 99999;
		} else if (strcmp(a, "--users") == 0) {
			dst = &nu;
			hi = 1000000;
		} else if (strcmp(a, "--runs") == 0) {
			dst = &runs;
			hi = 1000;
		} else if (strcmp(a, "--one-runs") == 0) {
			dst = &one_runs;
			hi = 100000;
		} else if (strcmp(a, "--db") == 0 && val != NULL && val[0] != '\0') {
			dbarg = val;
			i++;
			continue;
		}
		if (dst == NULL || val == NULL || idg_parse_long(val, lo, hi, &v) != IDG_OK) {
			usage();
			return 2;
		}
		*dst = v;
		i++;
	}
	memset(&csv, 0, sizeof(csv));
	memset(&json, 0, sizeof(json));
	memset(&tl, 0, sizeof(tl));
	csv.ms = calloc((size_t)runs, sizeof(double));
	json.ms = calloc((size_t)runs, sizeof(double));
	one = calloc((size_t)one_runs, sizeof(double));
	if (csv.ms == NULL || json.ms == NULL || one == NULL)
		goto out;

	if (dbarg != NULL) {
		if (idg_strlcpy(path, dbarg, sizeof(path)) >= sizeof(path)) {
			fprintf(stderr, "billing_bench: --db path too long\n");
			goto out;
		}
		if (access(path, F_OK) == 0) {
			int mc = meta_check(path, nt, nu);

			if (mc < 0) {
				fprintf(stderr, "billing_bench: %s exists and is not a"
				    " billing_bench database; not touching it\n", path);
				goto out;
			}
			if (mc == 1)
				reused = true;
			else
				remove_db(path);
		}
	} else {
		idg_strlcpy(dir, "/tmp/billing_bench.XXXXXX", sizeof(dir));
		if (mkdtemp(dir) == NULL) {
			fprintf(stderr, "billing_bench: mkdtemp: %s\n", strerror(errno));
			dir[0] = '\0';
			goto out;
		}
		snprintf(path, sizeof(path), "%s/billing.db", dir);
	}

	printf("billing_bench: %ld tenants x %ld users, month %s, database %s\n", nt, nu,
	    MONTH, path);
	if (reused) {
		printf("build: reusing the database built earlier with these sizes\n");
	} else {
		pid_t pid;
		int ws;

		printf("build: creating the database (bulk inserts in a child process)...\n");
		fflush(stdout);
		fflush(stderr);
		t0 = now_s();
		if ((pid = fork()) < 0) {
			fprintf(stderr, "billing_bench: fork: %s\n", strerror(errno));
			goto out;
		}
		if (pid == 0)
			_exit(build(path, nt, nu) == 0 ? 0 : 1);
		if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
			fprintf(stderr, "billing_bench: building the database failed\n");
			remove_db(path);
			goto out;
		}
		build_s = now_s() - t0;
		printf("build: %.1f s\n", build_s);
	}
	dbbytes = file_bytes(path);
	printf("database file: %.1f MiB (%s bytes)\n", (double)dbbytes / 1048576.0,
	    commas(dbbytes, c1));

	cfg.sqlite_path = path;
	/* A database kept from an older schema gets the newer migrations first. */
	if (idg_store_open(&cfg, &st) != IDG_OK || idg_store_migrate(st, NULL) != IDG_OK) {
		fprintf(stderr, "billing_bench: cannot open the store\n");
		goto out;
	}
	idg_month_parse(MONTH, &y, &m);
	now = idg_jst_month_start(y, m + 2) + 10 * 86400 + 3600;	/* 2026-12-11 01:00 JST */

	/* (a), (b): the whole month, CSV with a BOM, then JSON. */
	if (time_export(st, IDG_BILLING_CSV, (int)runs, now, &cold, path, &csv) != IDG_OK ||
	    time_export(st, IDG_BILLING_JSON, (int)runs, now, NULL, path, &json) != IDG_OK)
		goto out;
	if (csv.rows != (size_t)nt + 1)
		printf("WARNING: the CSV has %zu lines, expected %ld (header + one per"
		    " tenant)\n", csv.rows, nt + 1);
	if (json.rows != (size_t)nt)
		printf("WARNING: the JSON has %zu tenants, expected %ld\n", json.rows, nt);

	/* (c): one tenant, as `idgate billing export --tenant`. */
	company_id(nt / 2 > 0 ? nt / 2 : 1, cid);
	expect_tenant(nt / 2 > 0 ? nt / 2 : 1, nu, &e);
	{
		struct idg_buf out;
		char want[160];
		double start = now_s();

		snprintf(want, sizeof(want), ",%d,%d,%d,%d,%d,%d,false,true\r\n", e.contracted,
		    e.peak, e.end, e.active, e.dev_lic, e.dev_users);
		idg_buf_init(&out, OUT_MAX_BYTES);
		for (n_one = 0; n_one < one_runs; ) {
			idg_buf_reset(&out);
			t0 = now_s();
			if (idg_billing_export(st, MONTH, cid, IDG_BILLING_CSV, true, now, &out) !=
			    IDG_OK) {
				fprintf(stderr, "billing_bench: export of %s failed\n", cid);
				idg_buf_free(&out);
				goto out;
			}
			one[n_one++] = (now_s() - t0) * 1e3;
			if (now_s() - start > ONE_RUNS_MAX_S)
				break;
		}
		if (count_str(out.data, out.len, "\r\n") != 2 || strstr(out.data, want) == NULL)
			printf("WARNING: the export of %s is not what the generator made: want a"
			    " row ending in %s, got:\n%s", cid, want,
			    out.data != NULL ? out.data : "(nothing)\n");
		idg_buf_free(&out);
		qsort(one, (size_t)n_one, sizeof(double), cmp_double);
		printf("  one tenant (%s): %d runs in %.1f s\n", cid, n_one, now_s() - start);
	}

	/* Breakdown: the tenant list alone, then the per-tenant figures alone. */
	for (i = 0; i < 3; i++) {
		long n = 0;

		t0 = now_s();
		if (idg_store_tenant_list_brief(st, count_tenant, &n) != IDG_OK)
			goto out;
		list_ms[i] = (now_s() - t0) * 1e3;
	}
	if (idg_store_tenant_list_brief(st, keep_tenant, &tl) != IDG_OK || tl.n != nt) {
		fprintf(stderr, "billing_bench: tenant list failed\n");
		goto out;
	}
	for (i = 0; i < 3; i++) {
		struct idg_report_month rm;
		long k;

		t0 = now_s();
		for (k = 0; k < tl.n; k++) {
			if (idg_billing_month(st, &tl.v[k], MONTH, &rm) != IDG_OK)
				goto out;
		}
		fig_ms[i] = (now_s() - t0) * 1e3;
	}
	qsort(list_ms, 3, sizeof(double), cmp_double);
	qsort(fig_ms, 3, sizeof(double), cmp_double);

	getrusage(RUSAGE_SELF, &ru_self);
	getrusage(RUSAGE_CHILDREN, &ru_kids);

	printf("\n==== summary ====\n");
	printf("billing export of %s, %ld tenants x %ld users (%s users), sqlite file %.1f"
	    " MiB\n", MONTH, nt, nu, commas((long long)nt * nu, c2),
	    (double)dbbytes / 1048576.0);
	if (reused)
		printf("build: reused\n");
	else
		printf("build: %.1f s (%.0f user rows/s)\n", build_s,
		    (double)nt * (double)(nu + 2) / build_s);
	printf("csv:  min %.1f ms, median %.1f ms, max %.1f ms over %d runs (%s bytes, %zu"
	    " lines; run 1 %s)\n", csv.ms[0], pct(csv.ms, csv.n, 0.5), csv.ms[csv.n - 1],
	    csv.n, commas((long long)csv.bytes, c1), csv.rows,
	    cold ? "after evicting the file from the page cache" : "warm");
	printf("json: min %.1f ms, median %.1f ms, max %.1f ms over %d runs (%s bytes, %zu"
	    " tenants)\n", json.ms[0], pct(json.ms, json.n, 0.5), json.ms[json.n - 1],
	    json.n, commas((long long)json.bytes, c1), json.rows);
	printf("one tenant (%s, csv): p50 %.2f ms, p99 %.2f ms, min %.2f ms, max %.2f ms"
	    " over %d runs\n", cid, pct(one, n_one, 0.5), pct(one, n_one, 0.99), one[0],
	    one[n_one - 1], n_one);
	printf("breakdown (median of 3): tenant list %.1f ms (%.1f us/tenant), figures"
	    " (idg_billing_month x %ld) %.1f ms (%.1f us/tenant); csv median minus both"
	    " %.1f ms (parts timed apart: noise can make it negative)\n", list_ms[1],
	    list_ms[1] * 1e3 / (double)nt, tl.n, fig_ms[1], fig_ms[1] * 1e3 / (double)nt,
	    pct(csv.ms, csv.n, 0.5) - list_ms[1] - fig_ms[1]);
	printf("peak RSS: %.1f MiB (this process: store, exports)", ru_self.ru_maxrss / 1024.0);
	if (!reused)
		printf(", %.1f MiB (build child)", ru_kids.ru_maxrss / 1024.0);
	printf("\n");
	rc = 0;
out:
	idg_store_free(st);
	free(tl.v);
	free(csv.ms);
	free(json.ms);
	free(one);
	if (dir[0] != '\0') {
		if (keep) {
			printf("kept: %s\n", path);
		} else {
			remove_db(path);
			rmdir(dir);
		}
	}
	return rc;
}
