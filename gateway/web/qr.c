/*
 * qr.c - idg_qr_svg: libqrencode's module matrix rendered as one SVG path.
 *
 * Each run of dark modules in a row becomes "M x y h n v1 h-n z", so the
 * document stays small (about 10 KB for an otpauth URI) and renders crisply
 * at any scale. The caller's text is not echoed into the SVG. No page, no
 * HTTP here.
 */
#include "qr.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <qrencode.h>

#include "../util/buf.h"
#include "../util/log.h"
#include "../util/status.h"

#define QUIET		4		/* modules of light margin (ISO/IEC 18004) */
#define SVG_MAX_BYTES	(1u << 20)

/* Bit 0 of a libqrencode module byte: 1 = dark. */
static bool
dark(const QRcode *q, int x, int y)
{
	return (q->data[(size_t)y * (size_t)q->width + (size_t)x] & 1) != 0;
}

char *
idg_qr_svg(const char *text, int module_px)
{
	struct idg_buf b;
	QRcode *q;
	int x, y, run, side, st;

	if (text == NULL || text[0] == '\0' || strlen(text) > IDG_QR_MAX_TEXT ||
	    module_px < 1 || module_px > 64)
		return NULL;
	errno = 0;
	if ((q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M)) == NULL) {
		log_error("QR encoding failed: %s", errno != 0 ? strerror(errno) : "unknown");
		return NULL;
	}
	side = q->width + 2 * QUIET;
	idg_buf_init(&b, SVG_MAX_BYTES);
	st = idg_buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\""
	    " width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
	    side * module_px, side * module_px, side, side, side, side);
	for (y = 0; y < q->width && st == IDG_OK; y++) {
		for (x = 0; x < q->width && st == IDG_OK; x += run) {
			run = 1;
			if (!dark(q, x, y))
				continue;
			while (x + run < q->width && dark(q, x + run, y))
				run++;
			st = idg_buf_printf(&b, "M%d %dh%dv1h-%dz", x + QUIET, y + QUIET, run, run);
		}
	}
	if (st == IDG_OK)
		st = idg_buf_adds(&b, "\"/></svg>\n");
	QRcode_free(q);
	if (st != IDG_OK) {
		log_error("QR SVG does not fit in %u bytes", SVG_MAX_BYTES);
		idg_buf_free(&b);
		return NULL;
	}
	return idg_buf_take(&b);
}
