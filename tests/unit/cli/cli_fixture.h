/*
 * cli_fixture.h - what the CLI unit tests share: the fixture (a temporary
 * folder and a config for a SQLite store in it) and a runner that calls
 * idg_cli_run in-process with stdout and stderr captured (stdin from a
 * file when asked). Each test file makes its own fixture in its setup and
 * points F at it. Test support only.
 */
#ifndef IDG_TEST_CLI_FIXTURE_H
#define IDG_TEST_CLI_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>

#include "gateway/config/config.h"

struct fx {
	char			dir[64];
	struct idg_config	cfg;
	char			out[65536];	/* what the last run printed */
	char			err[65536];
};

/* The current fixture (set by each test file's setup). */
extern struct fx *F;

/*
 * Runs idg_cli_run with NULL-terminated arguments; stdin from in_path when
 * not NULL. A config without Redis settings gets an unreachable one.
 */
int	vrun(const char *in_path, const char *arg0, va_list ap);
int	run(const char *arg0, ...);
int	run_stdin(const char *in_path, const char *arg0, ...);
/* Writes text to F->dir/name; path gets the full name. */
void	write_file(const char *name, const char *text, char *path, size_t pathsz);

#endif
