/*
 * buf.c - bounded growable byte buffer; see buf.h.
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

void
idg_buf_init(struct idg_buf *b, size_t max_bytes)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max_bytes = max_bytes;
}

void
idg_buf_free(struct idg_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
idg_buf_reset(struct idg_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static int
grow(struct idg_buf *b, size_t need)
{
	size_t ncap;
	char *p;

	if (need > b->max_bytes)
		return IDG_INVALID;
	if (need + 1 <= b->cap)
		return IDG_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need + 1)
		ncap *= 2;
	if (ncap > b->max_bytes + 1)
		ncap = b->max_bytes + 1;
	if ((p = realloc(b->data, ncap)) == NULL)
		return IDG_ERR;
	b->data = p;
	b->cap = ncap;
	return IDG_OK;
}

int
idg_buf_add(struct idg_buf *b, const void *p, size_t n)
{
	int st;

	if (n > b->max_bytes - b->len)
		return IDG_INVALID;
	if ((st = grow(b, b->len + n)) != IDG_OK)
		return st;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return IDG_OK;
}

int
idg_buf_adds(struct idg_buf *b, const char *s)
{
	return idg_buf_add(b, s, strlen(s));
}

int
idg_buf_vprintf(struct idg_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	size_t room = b->cap - b->len;	/* with the terminator's byte */
	int n, st;

	/* Straight into the room left when it is enough (one pass), else measured. */
	va_copy(cp, ap);
	n = vsnprintf(room > 0 ? b->data + b->len : NULL, room, fmt, cp);
	va_end(cp);
	if (n < 0) {
		if (b->data != NULL)
			b->data[b->len] = '\0';
		return IDG_ERR;
	}
	if ((size_t)n < room) {
		b->len += (size_t)n;	/* cap <= max_bytes + 1: within the limit */
		return IDG_OK;
	}
	if (b->data != NULL)
		b->data[b->len] = '\0';	/* the cut-off attempt is not kept */
	if ((size_t)n > b->max_bytes - b->len)
		return IDG_INVALID;
	if ((st = grow(b, b->len + (size_t)n)) != IDG_OK)
		return st;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return IDG_OK;
}

int
idg_buf_printf(struct idg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int st;

	va_start(ap, fmt);
	st = idg_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return st;
}

char *
idg_buf_take(struct idg_buf *b)
{
	char *p = b->data;

	if (p == NULL)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

void *
idg_grow(void *v, int n, int *cap, size_t size, int first)
{
	int ncap;

	if (n < *cap)
		return v;
	ncap = *cap > 0 ? *cap * 2 : first;
	if ((v = realloc(v, (size_t)ncap * size)) != NULL)
		*cap = ncap;
	return v;
}
