/*
 * policy.c - the policy rule parser, evaluator and canonical formatter; see
 * policy.h for the contracts and policy/README.md for the language. All the
 * work is done at parse time: address lists become sorted, merged ranges
 * searched by bisection, name lists become hash-sorted tables behind a 64-bit
 * filter, times become minute counts and day bit masks. The evaluator only
 * reads the compiled policy and the context, and allocates nothing. This file
 * does not read files, clocks or the environment.
 */
#include "policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway/util/buf.h"
#include "gateway/util/status.h"
#include "gateway/util/str.h"

#define NAME_MAX_BYTES	64	/* rule names and reason codes */
#define ITEM_MAX_BYTES	255	/* group names and app identifiers */
#define WINDOWS_MAX	16	/* time windows in one condition */
/* context groups hashed once per evaluation; any more are hashed at each use */
#define GROUPS_HASHED	32
/* now is clamped to +-10^12 s (about 31,000 years) so date math cannot overflow */
#define NOW_LIMIT	1000000000000LL

typedef unsigned __int128 u128;	/* internal only; the public API has no such type */

enum ckind { C_IP, C_TIME, C_BDAY, C_GROUP, C_APP, C_AMR, C_CERT };

struct range4 {
	uint32_t lo, hi;
};

struct range6 {
	u128 lo, hi;
};

struct hstr {
	uint64_t	 h;
	const char	*s;	/* borrowed from cond.strs */
};

struct window {
	uint8_t		days;	/* bit w set = weekday w (0 = Sunday) */
	uint16_t	start;	/* minutes after local midnight, 0..1439 */
	uint16_t	end;	/* 1..1440; end < start: the window runs past midnight */
};

struct cond {
	enum ckind	 kind;
	bool		 neg;	/* "not in", "not business-day", "lacks", "missing" */
	unsigned	 amr;	/* C_AMR: one IDG_POLICY_AMR_* bit */
	struct idg_cidr	*cidrs;	/* C_IP: as written (for formatting) */
	size_t		 ncidrs;
	struct range4	*r4;	/* C_IP: sorted, disjoint, non-adjacent */
	size_t		 nr4;
	struct range6	*r6;
	size_t		 nr6;
	struct window	*win;	/* C_TIME */
	size_t		 nwin;
	char		**strs;	/* C_GROUP, C_APP: sorted by strcmp, unique */
	size_t		 nstrs;
	struct hstr	*hs;	/* the same names sorted by hash, for lookup */
	uint64_t	 bloom;	/* bit (hash & 63) of every name: a quick "surely not" */
};

struct rule {
	char			*name;
	int			 line;
	enum idg_policy_action	 action;
	char			*reason_set;	/* explicit `reason CODE`, or NULL */
	const char		*reason;	/* what a decision reports */
	struct cond		*conds;
	size_t			 nconds;
	bool			 app_scoped;
};

struct idg_policy {
	struct rule		*rules;
	size_t			 nrules;
	enum idg_policy_action	 def;
	int			 tz_off_s;
	char			 tz[32];
	size_t			 ncidrs;	/* over all rules */
};

/* --- small helpers --- */

static const char *const day_names[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static const struct {
	const char	*name;
	int		 off_s;
} zones[] = {
	/* fixed-offset zones only: none of these has daylight saving time */
	{ "Asia/Tokyo", 9 * 3600 },	{ "Japan", 9 * 3600 },
	{ "Asia/Seoul", 9 * 3600 },	{ "Asia/Shanghai", 8 * 3600 },
	{ "Asia/Hong_Kong", 8 * 3600 },	{ "Asia/Taipei", 8 * 3600 },
	{ "Asia/Singapore", 8 * 3600 },	{ "Asia/Manila", 8 * 3600 },
	{ "Asia/Bangkok", 7 * 3600 },	{ "Asia/Jakarta", 7 * 3600 },
	{ "Asia/Kolkata", 19800 },	{ "UTC", 0 },
	{ "Etc/UTC", 0 },		{ "GMT", 0 },
};

static void
cond_free(struct cond *c)
{
	size_t i;

	free(c->cidrs);
	free(c->r4);
	free(c->r6);
	free(c->win);
	for (i = 0; i < c->nstrs; i++)
		free(c->strs[i]);
	free(c->strs);
	free(c->hs);
}

static void
rule_free(struct rule *r)
{
	size_t i;

	for (i = 0; i < r->nconds; i++)
		cond_free(&r->conds[i]);
	free(r->conds);
	free(r->name);
	free(r->reason_set);
}

void
idg_policy_free(struct idg_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nrules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	free(p);
}

size_t
idg_policy_rule_count(const struct idg_policy *p)
{
	return p->nrules;
}

/* Grows *v (of *cap elements of size sz) to hold n + 1; IDG_OK or IDG_ERR. */
static int
grow(void *v, size_t *cap, size_t n, size_t sz)
{
	void **pv = v, *nv;
	size_t ncap;

	if (n < *cap)
		return IDG_OK;
	ncap = *cap == 0 ? 4 : *cap * 2;
	if ((nv = realloc(*pv, ncap * sz)) == NULL)
		return IDG_ERR;
	*pv = nv;
	*cap = ncap;
	return IDG_OK;
}

static char *
dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* --- lexer: words separated by blanks; ',' is a token of its own --- */

struct tok {
	const char	*s;
	size_t		 n;
};

struct lex {
	const char	*p, *end;
	int		 line;
	char		*err;
	size_t		 errsz;
	struct idg_policy *pol;
};

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
next(struct lex *lx, struct tok *t)
{
	while (lx->p < lx->end && blank(*lx->p))
		lx->p++;
	if (lx->p == lx->end) {
		t->s = lx->end;
		t->n = 0;
		return false;
	}
	t->s = lx->p;
	if (*lx->p == ',') {
		lx->p++;
	} else {
		while (lx->p < lx->end && !blank(*lx->p) && *lx->p != ',')
			lx->p++;
	}
	t->n = (size_t)(lx->p - t->s);
	return true;
}

static bool
peek(const struct lex *lx, struct tok *t)
{
	struct lex c = *lx;

	return next(&c, t);
}

static bool
teq(const struct tok *t, const char *w)
{
	return t->n == strlen(w) && memcmp(t->s, w, t->n) == 0;
}

static bool
has_colon(const struct tok *t)
{
	return memchr(t->s, ':', t->n) != NULL;
}

static int perr(struct lex *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
perr(struct lex *lx, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lx->err != NULL && lx->errsz > 0)
		snprintf(lx->err, lx->errsz, "line %d: %s", lx->line, msg);
	return IDG_INVALID;
}

/* "%.*s" arguments for quoting a token in an error, cut to 40 bytes. */
#define TQ(t)	(int)((t)->n > 40 ? 40 : (t)->n), (t)->s

/* Reads the next token and requires it to be w; after is quoted by the caller. */
static int
expect(struct lex *lx, const char *w, const char *after)
{
	struct tok t;

	if (!next(lx, &t))
		return perr(lx, "expected '%s' after %s", w, after);
	if (!teq(&t, w))
		return perr(lx, "expected '%s' after %s, got '%.*s'", w, after, TQ(&t));
	return IDG_OK;
}

/* "in" or "not in" after a subject; sets *neg. */
static int
in_or_not_in(struct lex *lx, const char *subject, bool *neg)
{
	struct tok t;

	*neg = false;
	if (!next(lx, &t))
		return perr(lx, "expected 'in' or 'not in' after '%s'", subject);
	if (teq(&t, "not")) {
		*neg = true;
		return expect(lx, "in", "'not'");
	}
	if (!teq(&t, "in"))
		return perr(lx, "expected 'in' or 'not in' after '%s', got '%.*s'", subject,
		    TQ(&t));
	return IDG_OK;
}

/*
 * After one list item: true if a ',' follows (consumed); an error is set and
 * *st changed if the ',' is not followed by another item.
 */
static bool
list_more(struct lex *lx, int *st)
{
	struct tok t, u;

	if (!peek(lx, &t) || !teq(&t, ","))
		return false;
	next(lx, &t);
	if (!peek(lx, &u) || teq(&u, ",")) {
		*st = perr(lx, "expected a list item after ','");
		return false;
	}
	return true;
}

/* --- address lists --- */

static int
cmp_r4(const void *a, const void *b)
{
	const struct range4 *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

static int
cmp_r6(const void *a, const void *b)
{
	const struct range6 *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

static u128
load128(const uint8_t *a)
{
	u128 v = 0;
	int i;

	for (i = 0; i < 16; i++)
		v = (v << 8) | a[i];
	return v;
}

static uint32_t
load32(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* Builds the sorted, merged range tables of c from c->cidrs. */
static int
build_ranges(struct cond *c)
{
	size_t i, n4 = 0, n6 = 0;

	for (i = 0; i < c->ncidrs; i++)
		if (c->cidrs[i].ip.family == AF_INET)
			n4++;
		else
			n6++;
	if ((n4 > 0 && (c->r4 = calloc(n4, sizeof(*c->r4))) == NULL) ||
	    (n6 > 0 && (c->r6 = calloc(n6, sizeof(*c->r6))) == NULL))
		return IDG_ERR;
	for (i = 0; i < c->ncidrs; i++) {
		const struct idg_cidr *k = &c->cidrs[i];

		if (k->ip.family == AF_INET) {
			uint32_t host = k->prefix == 0 ? UINT32_MAX :
			    k->prefix >= 32 ? 0 : UINT32_MAX >> k->prefix;

			c->r4[c->nr4].lo = load32(k->ip.addr);
			c->r4[c->nr4].hi = c->r4[c->nr4].lo | host;
			c->nr4++;
		} else {
			u128 host = k->prefix == 0 ? ~(u128)0 :
			    k->prefix >= 128 ? 0 : ~(u128)0 >> k->prefix;

			c->r6[c->nr6].lo = load128(k->ip.addr);
			c->r6[c->nr6].hi = c->r6[c->nr6].lo | host;
			c->nr6++;
		}
	}
	/* sort by start, then merge overlapping and adjacent ranges */
	if (c->nr4 > 1) {
		size_t o = 0;

		qsort(c->r4, c->nr4, sizeof(*c->r4), cmp_r4);
		for (i = 1; i < c->nr4; i++) {
			if (c->r4[o].hi == UINT32_MAX || c->r4[i].lo <= c->r4[o].hi + 1) {
				if (c->r4[i].hi > c->r4[o].hi)
					c->r4[o].hi = c->r4[i].hi;
			} else {
				c->r4[++o] = c->r4[i];
			}
		}
		c->nr4 = o + 1;
	}
	if (c->nr6 > 1) {
		size_t o = 0;

		qsort(c->r6, c->nr6, sizeof(*c->r6), cmp_r6);
		for (i = 1; i < c->nr6; i++) {
			if (c->r6[o].hi == ~(u128)0 || c->r6[i].lo <= c->r6[o].hi + 1) {
				if (c->r6[i].hi > c->r6[o].hi)
					c->r6[o].hi = c->r6[i].hi;
			} else {
				c->r6[++o] = c->r6[i];
			}
		}
		c->nr6 = o + 1;
	}
	return IDG_OK;
}

static int
parse_ip_list(struct lex *lx, struct cond *c)
{
	size_t cap = 0;
	struct tok t;
	int st = IDG_OK;

	do {
		char buf[64];

		if (!next(lx, &t) || teq(&t, ","))
			return perr(lx, "expected an address or CIDR list after 'in'");
		if (lx->pol->ncidrs >= IDG_POLICY_MAX_CIDRS)
			return perr(lx, "too many CIDRs (max %d in a policy)",
			    IDG_POLICY_MAX_CIDRS);
		if (t.n >= sizeof(buf))
			return perr(lx, "bad address or CIDR '%.*s'", TQ(&t));
		memcpy(buf, t.s, t.n);
		buf[t.n] = '\0';
		if (grow(&c->cidrs, &cap, c->ncidrs, sizeof(*c->cidrs)) != IDG_OK)
			return IDG_ERR;
		if (idg_cidr_parse(buf, &c->cidrs[c->ncidrs]) != IDG_OK)
			return perr(lx, "bad address or CIDR '%.*s'", TQ(&t));
		c->ncidrs++;
		lx->pol->ncidrs++;
	} while (list_more(lx, &st));
	if (st != IDG_OK)
		return st;
	return build_ranges(c);
}

/* --- name lists (groups, apps) --- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* FNV-1a, 64 bits: names are matched by hash first, then by strcmp. */
static uint64_t
hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static int
cmp_hstr(const void *a, const void *b)
{
	const struct hstr *x = a, *y = b;

	return (x->h > y->h) - (x->h < y->h);
}

static int
parse_str_list(struct lex *lx, struct cond *c)
{
	size_t i, o, cap = 0;
	struct tok t;
	int st = IDG_OK;

	do {
		if (!next(lx, &t) || teq(&t, ","))
			return perr(lx, "expected a name list after 'in'");
		if (t.n > ITEM_MAX_BYTES)
			return perr(lx, "name longer than %d bytes '%.*s'", ITEM_MAX_BYTES, TQ(&t));
		/* canonical text puts a blank before each item, where '#' would open a comment */
		if (t.s[0] == '#')
			return perr(lx, "a name cannot start with '#' ('%.*s')", TQ(&t));
		if (grow(&c->strs, &cap, c->nstrs, sizeof(*c->strs)) != IDG_OK ||
		    (c->strs[c->nstrs] = dup_n(t.s, t.n)) == NULL)
			return IDG_ERR;
		c->nstrs++;
	} while (list_more(lx, &st));
	if (st != IDG_OK)
		return st;
	qsort(c->strs, c->nstrs, sizeof(*c->strs), cmp_str);
	for (i = 1, o = 0; i < c->nstrs; i++) {
		if (strcmp(c->strs[i], c->strs[o]) == 0)
			free(c->strs[i]);
		else
			c->strs[++o] = c->strs[i];
	}
	c->nstrs = o + 1;
	if ((c->hs = calloc(c->nstrs, sizeof(*c->hs))) == NULL)
		return IDG_ERR;
	for (i = 0; i < c->nstrs; i++) {
		c->hs[i].h = hash(c->strs[i]);
		c->hs[i].s = c->strs[i];
		c->bloom |= 1ull << (c->hs[i].h & 63);
	}
	qsort(c->hs, c->nstrs, sizeof(*c->hs), cmp_hstr);
	return IDG_OK;
}

/* --- time windows --- */

static int
day_index(const char *s, size_t n)
{
	int i;

	for (i = 0; i < 7; i++)
		if (n == 3 && memcmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* One day item: "mon" or a range "mon-fri" (wrapping: "fri-mon"). */
static int
parse_days_item(struct lex *lx, const struct tok *t, uint8_t *mask)
{
	const char *dash = memchr(t->s, '-', t->n);
	int a, b;

	if (dash == NULL) {
		if ((a = day_index(t->s, t->n)) < 0)
			return perr(lx, "unknown day '%.*s' (want sun, mon, ... sat)", TQ(t));
		*mask |= (uint8_t)(1u << a);
		return IDG_OK;
	}
	a = day_index(t->s, (size_t)(dash - t->s));
	b = day_index(dash + 1, (size_t)(t->s + t->n - dash - 1));
	if (a < 0 || b < 0)
		return perr(lx, "bad day range '%.*s' (want e.g. mon-fri)", TQ(t));
	for (;;) {
		*mask |= (uint8_t)(1u << a);
		if (a == b)
			break;
		a = (a + 1) % 7;
	}
	return IDG_OK;
}

static bool
two_digits(const char *s, int *v)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return false;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return true;
}

/* "HH:MM-HH:MM"; the end may be 24:00. */
static int
parse_range(struct lex *lx, const struct tok *t, struct window *w)
{
	int h1, m1, h2, m2;

	if (t->n != 11 || t->s[2] != ':' || t->s[5] != '-' || t->s[8] != ':' ||
	    !two_digits(t->s, &h1) || !two_digits(t->s + 3, &m1) ||
	    !two_digits(t->s + 6, &h2) || !two_digits(t->s + 9, &m2))
		return perr(lx, "bad time range '%.*s' (want HH:MM-HH:MM)", TQ(t));
	if (h1 > 23 || m1 > 59 || m2 > 59 || h2 > 24 || (h2 == 24 && m2 != 0))
		return perr(lx, "time out of range in '%.*s'", TQ(t));
	w->start = (uint16_t)(h1 * 60 + m1);
	w->end = (uint16_t)(h2 * 60 + m2);
	if (w->start == w->end)
		return perr(lx, "empty time window '%.*s'", TQ(t));
	if (w->end == 0)
		w->end = 1440;	/* "20:00-00:00" ends at midnight, same day */
	return IDG_OK;
}

/* [DAYS] HH:MM-HH:MM {, [DAYS] HH:MM-HH:MM} */
static int
parse_windows(struct lex *lx, struct cond *c)
{
	size_t cap = 0;
	struct tok t;
	int st = IDG_OK;

	do {
		struct window w = { 0, 0, 0 };

		if (!next(lx, &t) || teq(&t, ","))
			return perr(lx, "expected [days] HH:MM-HH:MM after 'in'");
		if (c->nwin == WINDOWS_MAX)
			return perr(lx, "too many time windows (max %d)", WINDOWS_MAX);
		if (!has_colon(&t)) {
			struct tok u, v;

			for (;;) {
				if ((st = parse_days_item(lx, &t, &w.days)) != IDG_OK)
					return st;
				/* another day item follows a ',' unless it is a time */
				if (!peek(lx, &u) || !teq(&u, ","))
					break;
				next(lx, &u);
				if (!next(lx, &v) || teq(&v, ",") || has_colon(&v))
					return perr(lx, "expected a day after ','");
				t = v;
			}
			if (!next(lx, &t))
				return perr(lx, "expected HH:MM-HH:MM after the days");
		} else {
			w.days = 0x7f;
		}
		if ((st = parse_range(lx, &t, &w)) != IDG_OK)
			return st;
		if (grow(&c->win, &cap, c->nwin, sizeof(*c->win)) != IDG_OK)
			return IDG_ERR;
		c->win[c->nwin++] = w;
	} while (list_more(lx, &st));
	return st;
}

/* --- conditions and rules --- */

static int
parse_cond(struct lex *lx, struct cond *c)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} methods[] = {
		{ "pwd", IDG_POLICY_AMR_PWD }, { "otp", IDG_POLICY_AMR_OTP },
		{ "cert", IDG_POLICY_AMR_CERT }, { "fed", IDG_POLICY_AMR_FED },
	};
	struct tok t;
	size_t i;
	int st;

	if (!next(lx, &t))
		return perr(lx, "expected a condition");
	if (teq(&t, "ip")) {
		c->kind = C_IP;
		if ((st = in_or_not_in(lx, "ip", &c->neg)) != IDG_OK)
			return st;
		return parse_ip_list(lx, c);
	}
	if (teq(&t, "time")) {
		c->kind = C_TIME;
		if ((st = in_or_not_in(lx, "time", &c->neg)) != IDG_OK)
			return st;
		return parse_windows(lx, c);
	}
	if (teq(&t, "group") || teq(&t, "app")) {
		c->kind = teq(&t, "group") ? C_GROUP : C_APP;
		if ((st = in_or_not_in(lx, c->kind == C_GROUP ? "group" : "app", &c->neg)) !=
		    IDG_OK)
			return st;
		return parse_str_list(lx, c);
	}
	if (teq(&t, "business-day")) {
		c->kind = C_BDAY;
		return IDG_OK;
	}
	if (teq(&t, "not")) {
		c->kind = C_BDAY;
		c->neg = true;
		return expect(lx, "business-day", "'not'");
	}
	if (teq(&t, "amr")) {
		c->kind = C_AMR;
		if (!next(lx, &t) || !(teq(&t, "has") || teq(&t, "lacks")))
			return perr(lx, "expected 'has' or 'lacks' after 'amr'");
		c->neg = teq(&t, "lacks");
		if (!next(lx, &t))
			return perr(lx, "expected pwd, otp, cert or fed after 'amr %s'",
			    c->neg ? "lacks" : "has");
		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			if (teq(&t, methods[i].name))
				c->amr = methods[i].bit;
		if (c->amr == 0)
			return perr(lx, "unknown method '%.*s' (want pwd, otp, cert or fed)",
			    TQ(&t));
		return IDG_OK;
	}
	if (teq(&t, "cert")) {
		c->kind = C_CERT;
		if (!next(lx, &t) || !(teq(&t, "valid") || teq(&t, "missing")))
			return perr(lx, "expected 'valid' or 'missing' after 'cert'");
		c->neg = teq(&t, "missing");
		return IDG_OK;
	}
	return perr(lx, "unknown condition '%.*s' (want ip, time, business-day, group, app, amr "
	    "or cert)", TQ(&t));
}

static bool
word_ok(const struct tok *t, bool code)
{
	size_t i;

	if (t->n == 0 || t->n > NAME_MAX_BYTES)
		return false;
	for (i = 0; i < t->n; i++) {
		char ch = t->s[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')
			continue;
		if (!code && ((ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '.'))
			continue;
		return false;
	}
	return true;
}

/* The reason a rule reports when it has no `reason CODE`. */
static const char *
derived_reason(const struct rule *r)
{
	size_t i;

	switch (r->action) {
	case IDG_POLICY_ALLOW:
		return NULL;
	case IDG_POLICY_REQUIRE_TOTP:
		return "mfa_required";
	case IDG_POLICY_REQUIRE_CERT:
		return "device_certificate_required";
	case IDG_POLICY_DENY:
		break;
	}
	/* app and group only select whom a rule is for; the first other condition says why */
	for (i = 0; i < r->nconds; i++) {
		switch (r->conds[i].kind) {
		case C_IP:
			return "ip_not_allowed";
		case C_TIME:
		case C_BDAY:
			return "outside_allowed_hours";
		case C_AMR:
		case C_CERT:
			return "access_denied";
		case C_GROUP:
		case C_APP:
			break;
		}
	}
	return "access_denied";
}

static int
parse_rule(struct lex *lx, struct rule *r)
{
	size_t i, cap = 0;
	struct tok t, name;
	int st;

	if (!next(lx, &name))
		return perr(lx, "expected a rule name after 'rule'");
	if (name.n > 0 && name.s[name.n - 1] == ':') {
		name.n--;
	} else if ((st = expect(lx, ":", "the rule name")) != IDG_OK) {
		return st;
	}
	if (!word_ok(&name, false))
		return perr(lx, "bad rule name '%.*s' (1-64 of A-Z a-z 0-9 _ - .)", TQ(&name));
	if (teq(&name, "default"))
		return perr(lx, "'default' is reserved and cannot name a rule");
	for (i = 0; i < lx->pol->nrules; i++)
		if (strlen(lx->pol->rules[i].name) == name.n &&
		    memcmp(lx->pol->rules[i].name, name.s, name.n) == 0)
			return perr(lx, "duplicate rule name '%.*s' (first on line %d)", TQ(&name),
			    lx->pol->rules[i].line);
	if ((r->name = dup_n(name.s, name.n)) == NULL)
		return IDG_ERR;

	if (!next(lx, &t))
		return perr(lx, "expected allow, deny, require totp or require cert");
	if (teq(&t, "allow")) {
		r->action = IDG_POLICY_ALLOW;
	} else if (teq(&t, "deny")) {
		r->action = IDG_POLICY_DENY;
	} else if (teq(&t, "require")) {
		if (!next(lx, &t) || !(teq(&t, "totp") || teq(&t, "cert")))
			return perr(lx, "expected 'totp' or 'cert' after 'require'");
		r->action = teq(&t, "totp") ? IDG_POLICY_REQUIRE_TOTP : IDG_POLICY_REQUIRE_CERT;
	} else {
		return perr(lx, "unknown action '%.*s' (want allow, deny, require totp or require "
		    "cert)", TQ(&t));
	}

	if (peek(lx, &t) && teq(&t, "when")) {
		next(lx, &t);
		do {
			if (grow(&r->conds, &cap, r->nconds, sizeof(*r->conds)) != IDG_OK)
				return IDG_ERR;
			memset(&r->conds[r->nconds], 0, sizeof(r->conds[0]));
			r->nconds++;	/* counted first so a failure frees it */
			if ((st = parse_cond(lx, &r->conds[r->nconds - 1])) != IDG_OK)
				return st;
			if (r->conds[r->nconds - 1].kind == C_APP)
				r->app_scoped = true;
		} while (peek(lx, &t) && teq(&t, "and") && next(lx, &t));
	}

	if (peek(lx, &t) && teq(&t, "reason")) {
		next(lx, &t);
		if (r->action == IDG_POLICY_ALLOW)
			return perr(lx, "an allow rule has no reason");
		if (!next(lx, &t) || !word_ok(&t, true))
			return perr(lx, "expected a reason code (1-64 of a-z 0-9 _) after "
			    "'reason'");
		if ((r->reason_set = dup_n(t.s, t.n)) == NULL)
			return IDG_ERR;
	}
	if (next(lx, &t))
		return perr(lx, "unexpected '%.*s'%s", TQ(&t),
		    r->nconds == 0 ? " (conditions start with 'when')" :
		    " (join conditions with 'and')");
	r->reason = r->reason_set != NULL ? r->reason_set : derived_reason(r);
	return IDG_OK;
}

static int
parse_offset(const struct tok *t, int *off_s)
{
	int h, m;

	if (t->n != 6 || (t->s[0] != '+' && t->s[0] != '-') || t->s[3] != ':' ||
	    !two_digits(t->s + 1, &h) || !two_digits(t->s + 4, &m) || m > 59 ||
	    h * 60 + m > 14 * 60)
		return IDG_INVALID;
	*off_s = (t->s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return IDG_OK;
}

static int
parse_line(struct lex *lx, size_t *rcap, bool *seen_default, bool *seen_tz)
{
	struct idg_policy *p = lx->pol;
	struct tok t;
	size_t i;
	int st;

	if (!next(lx, &t))
		return IDG_OK;	/* blank or comment */
	if (teq(&t, "default")) {
		if (*seen_default)
			return perr(lx, "second 'default' line");
		*seen_default = true;
		if (!next(lx, &t) || !(teq(&t, "allow") || teq(&t, "deny")))
			return perr(lx, "expected 'allow' or 'deny' after 'default'");
		p->def = teq(&t, "allow") ? IDG_POLICY_ALLOW : IDG_POLICY_DENY;
	} else if (teq(&t, "timezone")) {
		if (*seen_tz)
			return perr(lx, "second 'timezone' line");
		*seen_tz = true;
		if (!next(lx, &t))
			return perr(lx, "expected a time zone after 'timezone'");
		for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
			if (teq(&t, zones[i].name))
				break;
		if (i < sizeof(zones) / sizeof(zones[0])) {
			p->tz_off_s = zones[i].off_s;
			idg_strlcpy(p->tz, zones[i].name, sizeof(p->tz));
		} else if (parse_offset(&t, &p->tz_off_s) == IDG_OK) {
			memcpy(p->tz, t.s, t.n);
			p->tz[t.n] = '\0';
		} else {
			return perr(lx, "unknown time zone '%.*s' (want Asia/Tokyo, UTC, ... or "
			    "+HH:MM)", TQ(&t));
		}
	} else if (teq(&t, "rule")) {
		if (p->nrules == IDG_POLICY_MAX_RULES)
			return perr(lx, "too many rules (max %d)", IDG_POLICY_MAX_RULES);
		if (grow(&p->rules, rcap, p->nrules, sizeof(*p->rules)) != IDG_OK)
			return IDG_ERR;
		memset(&p->rules[p->nrules], 0, sizeof(p->rules[0]));
		p->rules[p->nrules].line = lx->line;
		if ((st = parse_rule(lx, &p->rules[p->nrules])) != IDG_OK) {
			rule_free(&p->rules[p->nrules]);
			return st;
		}
		p->nrules++;
		return IDG_OK;
	} else {
		return perr(lx, "unknown statement '%.*s' (want rule, default or timezone)",
		    TQ(&t));
	}
	if (next(lx, &t))
		return perr(lx, "unexpected '%.*s'", TQ(&t));
	return IDG_OK;
}

int
idg_policy_parse(const char *text, size_t len, struct idg_policy **out, char *err, size_t errsz)
{
	struct idg_policy *p;
	struct lex lx;
	const char *s = text, *end = text + len;
	bool seen_default = false, seen_tz = false;
	size_t rcap = 0;
	int st = IDG_OK;

	*out = NULL;
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return IDG_ERR;
	p->def = IDG_POLICY_ALLOW;
	p->tz_off_s = 9 * 3600;
	idg_strlcpy(p->tz, "Asia/Tokyo", sizeof(p->tz));
	memset(&lx, 0, sizeof(lx));
	lx.err = err;
	lx.errsz = errsz;
	lx.pol = p;
	while (s < end && st == IDG_OK) {
		const char *eol = memchr(s, '\n', (size_t)(end - s)), *c, *q;

		if (eol == NULL)
			eol = end;
		lx.line++;
		if ((size_t)(eol - text) > IDG_POLICY_MAX_BYTES) {
			st = perr(&lx, "policy text larger than %d bytes", IDG_POLICY_MAX_BYTES);
			break;
		}
		q = eol > s && eol[-1] == '\r' ? eol - 1 : eol;
		/* '#' at the start or after a blank opens a comment (app IDs may hold '#') */
		for (c = s; c < q; c++) {
			unsigned char ch = (unsigned char)*c;

			if (ch == '#' && (c == s || blank(c[-1])))
				break;
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				st = perr(&lx, "control character (byte 0x%02x)", ch);
				break;
			}
		}
		if (st != IDG_OK)
			break;
		lx.p = s;
		lx.end = c;
		st = parse_line(&lx, &rcap, &seen_default, &seen_tz);
		s = eol < end ? eol + 1 : end;
	}
	if (st != IDG_OK) {
		if (st == IDG_ERR && err != NULL && errsz > 0)
			snprintf(err, errsz, "out of memory");
		idg_policy_free(p);
		return st;
	}
	*out = p;
	return IDG_OK;
}

/* --- evaluation --- */

struct est {
	const struct idg_policy		*p;
	const struct idg_policy_ctx	*c;
	bool	have_time;
	int64_t	days;		/* local day number */
	int	wd, pwd;	/* local weekday, and the day before's */
	int	mod;		/* local minute of the day */
	int	bday;		/* -1 unknown, else 0/1 */
	int	fam;		/* 0 unknown address, AF_INET, AF_INET6 */
	uint32_t v4;
	u128	v6;
	bool	have_names;
	uint64_t gh[GROUPS_HASHED];	/* hashes of the first groups */
	uint64_t gbloom;	/* bits of all the groups' hashes */
	uint64_t ah;		/* hash of the app */
};

static void
need_time(struct est *e)
{
	int64_t now = e->c->now, local, days;

	if (e->have_time)
		return;
	if (now > NOW_LIMIT)
		now = NOW_LIMIT;
	if (now < -NOW_LIMIT)
		now = -NOW_LIMIT;
	local = now + e->p->tz_off_s;
	days = local / 86400;
	if (local % 86400 < 0)
		days--;
	e->days = days;
	e->mod = (int)((local - days * 86400) / 60);
	e->wd = idg_jp_weekday(days);
	e->pwd = (e->wd + 6) % 7;
	e->have_time = true;
}

static bool
in_windows(struct est *e, const struct cond *c)
{
	size_t i;

	need_time(e);
	for (i = 0; i < c->nwin; i++) {
		const struct window *w = &c->win[i];

		if (w->start < w->end) {
			if ((w->days >> e->wd & 1) && e->mod >= w->start && e->mod < w->end)
				return true;
		} else {
			/* past midnight: the early hours belong to the day the window began */
			if (((w->days >> e->wd & 1) && e->mod >= w->start) ||
			    ((w->days >> e->pwd & 1) && e->mod < w->end))
				return true;
		}
	}
	return false;
}

static bool
business_day(struct est *e)
{
	int64_t y;
	int m, d;

	if (e->bday < 0) {
		need_time(e);
		idg_jp_civil(e->days, &y, &m, &d);
		e->bday = idg_jp_business_day((int)y, m, d, e->c->holidays) ? 1 : 0;
	}
	return e->bday == 1;
}

static bool
in_ranges(const struct est *e, const struct cond *c)
{
	size_t lo = 0, hi;

	/* bisect for the last range starting at or below the address */
	if (e->fam == AF_INET) {
		hi = c->nr4;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (c->r4[mid].lo <= e->v4)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo > 0 && e->v4 <= c->r4[lo - 1].hi;
	}
	if (e->fam == AF_INET6) {
		hi = c->nr6;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (c->r6[mid].lo <= e->v6)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo > 0 && e->v6 <= c->r6[lo - 1].hi;
	}
	return false;	/* an unknown address is in no list */
}

/* Hashes the context's names once per evaluation, when a rule first needs them. */
static void
need_names(struct est *e)
{
	size_t i;

	if (e->have_names)
		return;
	for (i = 0; i < e->c->ngroups; i++) {
		uint64_t h;

		if (e->c->groups[i] == NULL)
			continue;
		h = hash(e->c->groups[i]);
		if (i < GROUPS_HASHED)
			e->gh[i] = h;
		e->gbloom |= 1ull << (h & 63);
	}
	if (e->c->app != NULL)
		e->ah = hash(e->c->app);
	e->have_names = true;
}

static bool
in_strs(const struct cond *c, uint64_t h, const char *s)
{
	size_t lo = 0, hi = c->nstrs;

	if (!(c->bloom >> (h & 63) & 1))
		return false;
	while (lo < hi) {	/* the first entry with a hash >= h */
		size_t mid = lo + (hi - lo) / 2;

		if (c->hs[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->nstrs && c->hs[lo].h == h; lo++)
		if (strcmp(c->hs[lo].s, s) == 0)
			return true;
	return false;
}

static bool
in_groups(struct est *e, const struct cond *c)
{
	size_t i;

	need_names(e);
	if ((c->bloom & e->gbloom) == 0)
		return false;
	for (i = 0; i < e->c->ngroups; i++) {
		const char *g = e->c->groups[i];

		if (g != NULL && in_strs(c, i < GROUPS_HASHED ? e->gh[i] : hash(g), g))
			return true;
	}
	return false;
}

static bool
cond_holds(struct est *e, const struct cond *c)
{
	bool v = false;

	switch (c->kind) {
	case C_IP:
		v = in_ranges(e, c);
		break;
	case C_TIME:
		v = in_windows(e, c);
		break;
	case C_BDAY:
		v = business_day(e);
		break;
	case C_GROUP:
		v = in_groups(e, c);
		break;
	case C_APP:
		if (e->c->app == NULL)
			return false;	/* app-scoped rules never match at sign-in */
		need_names(e);
		v = in_strs(c, e->ah, e->c->app);
		break;
	case C_AMR:
		v = (e->c->amr & c->amr) != 0;
		break;
	case C_CERT:
		v = e->c->cert_valid;
		break;
	}
	return v != c->neg;
}

void
idg_policy_eval(const struct idg_policy *p, const struct idg_policy_ctx *c,
    struct idg_policy_decision *d)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct est e;
	size_t i, j;

	/* field by field: gh[] is filled before use, so it is not cleared */
	e.p = p;
	e.c = c;
	e.have_time = false;
	e.days = 0;
	e.wd = e.pwd = e.mod = 0;
	e.bday = -1;
	e.fam = 0;
	e.v4 = 0;
	e.v6 = 0;
	e.have_names = false;
	e.gbloom = 0;
	e.ah = 0;
	if (c->ip != NULL && c->ip->family == AF_INET) {
		e.fam = AF_INET;
		e.v4 = load32(c->ip->addr);
	} else if (c->ip != NULL && c->ip->family == AF_INET6) {
		/* an IPv4 client on a dual-stack socket is matched as IPv4 */
		if (memcmp(c->ip->addr, v4mapped, 12) == 0) {
			e.fam = AF_INET;
			e.v4 = load32(c->ip->addr + 12);
		} else {
			e.fam = AF_INET6;
			e.v6 = load128(c->ip->addr);
		}
	}
	for (i = 0; i < p->nrules; i++) {
		const struct rule *r = &p->rules[i];

		if (r->app_scoped && c->app == NULL)
			continue;
		/* a requirement already met lets later rules decide */
		if (r->action == IDG_POLICY_REQUIRE_TOTP && (c->amr & IDG_POLICY_AMR_OTP))
			continue;
		if (r->action == IDG_POLICY_REQUIRE_CERT && c->cert_valid)
			continue;
		for (j = 0; j < r->nconds; j++)
			if (!cond_holds(&e, &r->conds[j]))
				break;
		if (j < r->nconds)
			continue;
		d->action = r->action;
		d->rule = r->name;
		d->line = r->line;
		d->reason = r->reason;
		return;
	}
	d->action = p->def;
	d->rule = "default";
	d->line = 0;
	d->reason = p->def == IDG_POLICY_ALLOW ? NULL : "access_denied";
}

/* --- canonical text --- */

/* An output buffer whose first failure sticks, so the result is whole or NULL. */
struct out {
	struct idg_buf	b;
	int		st;
};

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->st != IDG_OK)
		return;
	va_start(ap, fmt);
	o->st = idg_buf_vprintf(&o->b, fmt, ap);
	va_end(ap);
}

static void
fmt_days(struct out *o, uint8_t mask)
{
	static const int order[7] = { 1, 2, 3, 4, 5, 6, 0 };	/* Monday first */
	const char *sep = "";
	int i = 0, j;

	while (i < 7) {
		if (!(mask >> order[i] & 1)) {
			i++;
			continue;
		}
		for (j = i; j + 1 < 7 && (mask >> order[j + 1] & 1); j++)
			;
		if (j - i >= 2) {
			out_printf(o, "%s%s-%s", sep, day_names[order[i]], day_names[order[j]]);
			sep = ",";
		} else {
			for (; i <= j; i++) {
				out_printf(o, "%s%s", sep, day_names[order[i]]);
				sep = ",";
			}
		}
		i = j + 1;
	}
	out_printf(o, " ");
}

static void
fmt_cond(struct out *o, const struct cond *c)
{
	char addr[64];
	size_t i;

	switch (c->kind) {
	case C_IP:
		out_printf(o, "%s", c->neg ? "ip not in " : "ip in ");
		for (i = 0; i < c->ncidrs; i++) {
			idg_ip_format(&c->cidrs[i].ip, addr, sizeof(addr));
			out_printf(o, "%s%s/%u", i ? ", " : "", addr, c->cidrs[i].prefix);
		}
		break;
	case C_TIME:
		out_printf(o, "%s", c->neg ? "time not in " : "time in ");
		for (i = 0; i < c->nwin; i++) {
			const struct window *w = &c->win[i];

			if (i > 0)
				out_printf(o, ", ");
			if (w->days != 0x7f)
				fmt_days(o, w->days);
			out_printf(o, "%02d:%02d-%02d:%02d", w->start / 60, w->start % 60,
			    w->end / 60, w->end % 60);
		}
		break;
	case C_BDAY:
		out_printf(o, "%s", c->neg ? "not business-day" : "business-day");
		break;
	case C_GROUP:
	case C_APP:
		out_printf(o, "%s%s", c->kind == C_GROUP ? "group" : "app",
		    c->neg ? " not in " : " in ");
		for (i = 0; i < c->nstrs; i++)
			out_printf(o, "%s%s", i ? ", " : "", c->strs[i]);
		break;
	case C_AMR:
		out_printf(o, "amr %s %s", c->neg ? "lacks" : "has",
		    c->amr == IDG_POLICY_AMR_PWD ? "pwd" : c->amr == IDG_POLICY_AMR_OTP ? "otp" :
		    c->amr == IDG_POLICY_AMR_CERT ? "cert" : "fed");
		break;
	case C_CERT:
		out_printf(o, "%s", c->neg ? "cert missing" : "cert valid");
		break;
	}
}

char *
idg_policy_format(const struct idg_policy *p)
{
	static const char *const actions[] = { "allow", "deny", "require totp", "require cert" };
	struct out o;
	size_t i, j;

	/* canonical text is longer than its source (prefixes, spaces): 10,000 CIDRs fit */
	idg_buf_init(&o.b, 4 * 1024 * 1024);
	o.st = IDG_OK;
	out_printf(&o, "timezone %s\ndefault %s\n", p->tz,
	    p->def == IDG_POLICY_ALLOW ? "allow" : "deny");
	for (i = 0; i < p->nrules; i++) {
		const struct rule *r = &p->rules[i];

		out_printf(&o, "rule %s: %s", r->name, actions[r->action]);
		for (j = 0; j < r->nconds; j++) {
			out_printf(&o, "%s", j == 0 ? " when " : " and ");
			fmt_cond(&o, &r->conds[j]);
		}
		if (r->reason_set != NULL)
			out_printf(&o, " reason %s", r->reason_set);
		out_printf(&o, "\n");
	}
	if (o.st != IDG_OK) {
		idg_buf_free(&o.b);
		return NULL;
	}
	return idg_buf_take(&o.b);
}
