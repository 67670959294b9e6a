/*
 * buf.h - bounded growable byte buffer.
 *
 * Every buffer has a maximum size set at init; an append that would pass it
 * fails with IDG_INVALID and leaves the buffer unchanged, so untrusted input
 * can never grow memory without limit (after curl's dynbuf). The contents are
 * always NUL-terminated for convenience. Not thread-safe; not a string
 * builder for HTML escaping (see str.h).
 */
#ifndef IDG_BUF_H
#define IDG_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct idg_buf {
	char	*data;		/* owned; NULL until the first append */
	size_t	 len;
	size_t	 cap;
	size_t	 max_bytes;	/* hard limit on len */
};

void	idg_buf_init(struct idg_buf *b, size_t max_bytes);
/* Frees the storage and resets to empty; the max is kept. */
void	idg_buf_free(struct idg_buf *b);
void	idg_buf_reset(struct idg_buf *b);
/* Returns IDG_OK, or IDG_INVALID when max_bytes would be exceeded, or IDG_ERR on ENOMEM. */
int	idg_buf_add(struct idg_buf *b, const void *p, size_t n);
int	idg_buf_adds(struct idg_buf *b, const char *s);
int	idg_buf_printf(struct idg_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	idg_buf_vprintf(struct idg_buf *b, const char *fmt, va_list ap);
/* Hands the NUL-terminated data to the caller (who frees it) and resets b. */
char	*idg_buf_take(struct idg_buf *b);

/*
 * For arrays rather than bytes: room for one more element in v (n in use of
 * *cap, each size bytes): v itself while n < *cap, else v grown to twice
 * *cap (first when *cap is 0) with *cap updated. NULL when memory runs out
 * (v is left as it was, still the caller's).
 */
void	*idg_grow(void *v, int n, int *cap, size_t size, int first);

#endif
