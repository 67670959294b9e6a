/*
 * test_qr.c - gateway/web/qr.c: the SVG for an otpauth URI is read back
 * with a strict parser of the one shape qr.c writes (header, one path of
 * runs, footer), turned back into a module matrix and compared with
 * libqrencode's own matrix for the same text at level M; the quiet zone,
 * the finder pattern, sizes and the refusals are checked too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <qrencode.h>

#include "gateway/web/qr.h"

#define URI "otpauth://totp/Acme%20Inc.:alice%40example.com?secret=" \
	"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Inc.&algorithm=SHA1&digits=6&period=30"

/*
 * Parses the SVG qr.c writes into grid (side x side, 1 = dark). Fails the
 * test on anything else: this is the well-formedness check.
 */
static int
parse_svg(const char *svg, int px, unsigned char **grid)
{
	char head[512];
	const char *p;
	int w, h, side, side2, rw, rh, n, x, y, run, run2, i;

	assert_int_equal(sscanf(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\""
	    " width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"%n",
	    &w, &h, &side, &side2, &rw, &rh, &n), 6);
	assert_true(n > 0);
	snprintf(head, sizeof(head), "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\""
	    " width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
	    w, h, side, side, side, side);
	assert_int_equal(strncmp(svg, head, strlen(head)), 0);
	assert_int_equal(n, (int)strlen(head));
	assert_int_equal(side, side2);
	assert_int_equal(w, side * px);
	assert_int_equal(h, side * px);
	*grid = calloc((size_t)side * (size_t)side, 1);
	assert_non_null(*grid);
	p = svg + n;
	while (*p == 'M') {
		assert_int_equal(sscanf(p, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &run2, &n), 4);
		assert_int_equal(run, run2);
		assert_true(run >= 1);
		/* Quiet zone: 4 light modules on every side (ISO/IEC 18004). */
		assert_true(x >= 4 && y >= 4 && x + run <= side - 4 && y < side - 4);
		for (i = 0; i < run; i++) {
			assert_int_equal((*grid)[y * side + x + i], 0);	/* no overlap */
			(*grid)[y * side + x + i] = 1;
		}
		p += n;
	}
	assert_string_equal(p, "\"/></svg>\n");
	return side;
}

static void
test_otpauth_uri(void **state)
{
	unsigned char *grid;
	QRcode *q;
	char *svg;
	int side, x, y;

	(void)state;
	svg = idg_qr_svg(URI, 4);
	assert_non_null(svg);
	/* Nothing active or external. */
	assert_null(strstr(svg, "script"));
	assert_null(strstr(svg, "href"));
	assert_null(strstr(svg, "style"));
	assert_null(strstr(svg, "otpauth"));	/* the secret is not echoed as text */
	side = parse_svg(svg, 4, &grid);
	q = QRcode_encodeString8bit(URI, 0, QR_ECLEVEL_M);
	assert_non_null(q);
	assert_int_equal(side, q->width + 8);
	for (y = 0; y < q->width; y++)
		for (x = 0; x < q->width; x++)
			assert_int_equal(grid[(y + 4) * side + x + 4],
			    q->data[y * q->width + x] & 1);
	/* Top-left finder pattern: a dark 7-module row, then dark-light*5-dark. */
	for (x = 0; x < 7; x++)
		assert_int_equal(grid[4 * side + 4 + x], 1);
	assert_int_equal(grid[5 * side + 4], 1);
	for (x = 1; x < 6; x++)
		assert_int_equal(grid[5 * side + 4 + x], 0);
	assert_int_equal(grid[5 * side + 10], 1);
	QRcode_free(q);
	free(grid);
	free(svg);
	/* Another module size scales only width and height. */
	svg = idg_qr_svg(URI, 1);
	assert_non_null(svg);
	assert_int_equal(parse_svg(svg, 1, &grid), side);
	free(grid);
	free(svg);
}

static void
test_refused(void **state)
{
	char *big;

	(void)state;
	assert_null(idg_qr_svg(NULL, 4));
	assert_null(idg_qr_svg("", 4));
	assert_null(idg_qr_svg(URI, 0));
	assert_null(idg_qr_svg(URI, 65));
	big = malloc(IDG_QR_MAX_TEXT + 2);
	assert_non_null(big);
	memset(big, 'a', IDG_QR_MAX_TEXT + 1);
	big[IDG_QR_MAX_TEXT + 1] = '\0';
	assert_null(idg_qr_svg(big, 4));
	/* The largest accepted text still fits a version-40 symbol at level M. */
	big[IDG_QR_MAX_TEXT] = '\0';
	{
		char *svg = idg_qr_svg(big, 1);

		assert_non_null(svg);
		free(svg);
	}
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_otpauth_uri),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
