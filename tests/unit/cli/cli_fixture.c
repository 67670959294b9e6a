/*
 * cli_fixture.c - the CLI tests' shared runner; see cli_fixture.h.
 */
#include "cli_fixture.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/cli/cli.h"

struct fx *F;

static void
slurp(const char *path, char *buf, size_t sz)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, sz - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

int
vrun(const char *in_path, const char *arg0, va_list ap)
{
	char *argv[48], outp[128], errp[128];
	int argc = 0, rc, o, e, so, se, si = -1, i = -1;
	const char *a;

	for (a = arg0; a != NULL && argc < 47; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	argv[argc] = NULL;
	snprintf(outp, sizeof(outp), "%s/out.txt", F->dir);
	snprintf(errp, sizeof(errp), "%s/err.txt", F->dir);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(o, 1);
	dup2(e, 2);
	if (in_path != NULL) {
		si = dup(0);
		i = open(in_path, O_RDONLY);
		assert_true(i >= 0);
		dup2(i, 0);
	}
	/*
	 * `tenant cancel` ends sessions in Redis: a fixture that names no Redis
	 * gets a socket that does not exist, so no test reaches one running on
	 * this machine.
	 */
	if (F->cfg.redis_unix_socket[0] == '\0' && F->cfg.redis_port == 0)
		snprintf(F->cfg.redis_unix_socket, sizeof(F->cfg.redis_unix_socket),
		    "%s/no-redis.sock", F->dir);
	rc = idg_cli_run(&F->cfg, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(o);
	close(e);
	if (in_path != NULL) {
		clearerr(stdin);
		dup2(si, 0);
		close(si);
		close(i);
	}
	slurp(outp, F->out, sizeof(F->out));
	slurp(errp, F->err, sizeof(F->err));
	return rc;
}

int
run(const char *arg0, ...)
{
	va_list ap;
	int rc;

	va_start(ap, arg0);
	rc = vrun(NULL, arg0, ap);
	va_end(ap);
	return rc;
}

int
run_stdin(const char *in_path, const char *arg0, ...)
{
	va_list ap;
	int rc;

	va_start(ap, arg0);
	rc = vrun(in_path, arg0, ap);
	va_end(ap);
	return rc;
}

void
write_file(const char *name, const char *text, char *path, size_t pathsz)
{
	FILE *f;

	snprintf(path, pathsz, "%s/%s", F->dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}
