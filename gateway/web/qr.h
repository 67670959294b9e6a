/*
 * qr.h - QR codes as SVG (libqrencode), for the TOTP enrolment page.
 *
 * The SVG is self-contained: one white background <rect> and one black
 * <path> of horizontal runs, no script, no style element or attribute, no
 * external reference, no XML prolog, so it can be inlined into a page under
 * the gateway's strict CSP or served as image/svg+xml. This file does not
 * build the otpauth URI (idp-adapters/local/totp.h) and does not render the
 * page around it.
 */
#ifndef IDG_QR_H
#define IDG_QR_H

/* Largest text accepted (bytes); a version-40 code at level M holds 2331. */
#define IDG_QR_MAX_TEXT 2048

/*
 * Encodes text (8-bit mode, error correction level M, smallest version
 * that fits) with a quiet zone of 4 modules; each module is module_px
 * (1..64) pixels wide. Returns an owned NUL-terminated SVG document
 * (free()), or NULL for NULL/empty/too long text, a bad module_px, or a
 * failure (logged).
 */
char	*idg_qr_svg(const char *text, int module_px);

#endif
