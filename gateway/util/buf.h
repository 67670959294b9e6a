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

#endif
