/*
 * log.c - diagnostic log writer; see log.h.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "status.h"

static int log_json;
static enum idg_log_level log_min = IDG_LOG_INFO;
static char log_component[32] = "idgate";

static const char *level_names[] = { "debug", "info", "warn", "error" };

void
idg_log_setup(int json, enum idg_log_level min_level, const char *component)
{
	log_json = json;
	log_min = min_level;
	if (component != NULL)
		snprintf(log_component, sizeof(log_component), "%s", component);
}

int
idg_log_level_parse(const char *s, enum idg_log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum idg_log_level)i;
			return IDG_OK;
		}
	}
	return IDG_INVALID;
}

static void
json_str(struct idg_buf *b, const char *s)
{
	const unsigned char *p;

	idg_buf_add(b, "\"", 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			idg_buf_printf(b, "\\%c", *p);
		else if (*p < 0x20)
			idg_buf_printf(b, "\\u%04x", *p);
		else
			idg_buf_add(b, p, 1);
	}
	idg_buf_add(b, "\"", 1);
}

void
idg_log_msg(enum idg_log_level lvl, const char *func, const char *fmt, ...)
{
	char msg[1024], ts[64];
	struct idg_buf b;
	struct timeval tv;
	struct tm tm;
	va_list ap;

	if (lvl < log_min)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (int)(tv.tv_usec / 1000));

	idg_buf_init(&b, 4096);
	if (log_json) {
		idg_buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"pid\":%d,"
		    "\"component\":", ts, level_names[lvl], (int)getpid());
		json_str(&b, log_component);
		idg_buf_adds(&b, ",\"func\":");
		json_str(&b, func);
		idg_buf_adds(&b, ",\"msg\":");
		json_str(&b, msg);
		idg_buf_adds(&b, "}\n");
	} else {
		idg_buf_printf(&b, "%s %s %s[%d] %s: %s\n", ts, level_names[lvl],
		    log_component, (int)getpid(), func, msg);
	}
	if (b.data != NULL)
		(void)!write(STDERR_FILENO, b.data, b.len);
	idg_buf_free(&b);
}
