/* log: leveled, printf-checked log lines with a per-thread context prefix.
 *
 * The level is checked before the arguments are evaluated (the macros). Each line is written with
 * one write(2) so lines from threads and processes never interleave. The context (e.g.
 * "s12 app@unix") is a per-thread pointer that the session code sets whenever a coroutine runs. */
#ifndef MYPOOL_LOG_H
#define MYPOOL_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LL_ERROR = 0, LL_WARN = 1, LL_INFO = 2, LL_DEBUG = 3 };

/* Current maximum level that is written (relaxed atomic; changed on reload). */
extern int log_level_max;

void log_set_level(enum log_level l);
/* Parse "error", "warning" (or "warn"), "info", "debug", in any case; returns -1 on an unknown name. */
int log_level_parse(const char *s);
const char *log_level_name(enum log_level l);
/* Where lines go: stderr (default) or syslog. `timestamps` false for journald. `ident` (NULL:
 * "mypoold") is kept by openlog(3), so it must stay valid. */
void log_open(bool use_syslog, bool timestamps, const char *ident);
/* Process role shown in every line: "supervisor", "worker". */
void log_set_role(const char *role);
/* Per-thread context prefix; the pointer must stay valid while set. NULL clears it. */
void log_set_context(const char *ctx);
const char *log_get_context(void);

void log_write(enum log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vwrite(enum log_level l, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Async-signal-safe: a fixed message, no formatting, no context, always to stderr (one write). */
void log_signal(enum log_level l, const char *msg);

#define log_at(l, ...)                                                    \
	do {                                                              \
		if ((int)(l) <= __atomic_load_n(&log_level_max, __ATOMIC_RELAXED)) \
			log_write((l), __VA_ARGS__);                      \
	} while (0)
#define log_error(...) log_at(LL_ERROR, __VA_ARGS__)
#define log_warn(...) log_at(LL_WARN, __VA_ARGS__)
#define log_info(...) log_at(LL_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LL_DEBUG, __VA_ARGS__)

#endif
