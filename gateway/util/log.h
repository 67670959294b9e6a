/*
 * log.h - the daemon's diagnostic log (not the access log, see
 * gateway/http/accesslog.h, and not the audit log, which lives in the store).
 *
 * One line per event to stderr, as JSON objects or plain text by config.
 * A failure is logged once where it is detected, with the function name;
 * secrets never go into a log line.
 */
#ifndef IDG_LOG_H
#define IDG_LOG_H

enum idg_log_level { IDG_LOG_DEBUG, IDG_LOG_INFO, IDG_LOG_WARN, IDG_LOG_ERROR };

/* json: one JSON object per line; otherwise "time level func: message". */
void	idg_log_setup(int json, enum idg_log_level min_level, const char *component);
int	idg_log_level_parse(const char *s, enum idg_log_level *out);
void	idg_log_msg(enum idg_log_level lvl, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#define log_debug(...) idg_log_msg(IDG_LOG_DEBUG, __func__, __VA_ARGS__)
#define log_info(...)  idg_log_msg(IDG_LOG_INFO, __func__, __VA_ARGS__)
#define log_warn(...)  idg_log_msg(IDG_LOG_WARN, __func__, __VA_ARGS__)
#define log_error(...) idg_log_msg(IDG_LOG_ERROR, __func__, __VA_ARGS__)

#endif
