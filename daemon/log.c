#include "autoconfig.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* A line never exceeds this (including the newline); longer messages end in "...". */
#define LOG_LINE_MAX 2048

int log_level_max = LL_INFO;

/* Set at startup (log_open, log_set_role) and read by every thread: relaxed atomics keep the
 * accesses race-free without a lock; the values are independent of each other. */
static bool log_use_syslog;
static bool log_timestamps = true;
static const char *log_role = "mypoold";
/* Local time offset from UTC in seconds, refreshed by every timestamped line, so that
 * log_signal (which may not call localtime_r) prints the same local time. */
static long log_gmtoff;

static __thread const char *log_ctx;
/* localtime_r takes a lock; consecutive lines in the same second reuse the formatted date. */
static __thread time_t log_cached_sec = (time_t)-1;
static __thread char log_cached_date[24];

void log_set_level(enum log_level l)
{
	int v = (int)l;
	if (v < LL_ERROR)
		v = LL_ERROR;
	if (v > LL_DEBUG)
		v = LL_DEBUG;
	__atomic_store_n(&log_level_max, v, __ATOMIC_RELAXED);
}

int log_level_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcasecmp(s, "error") == 0)
		return LL_ERROR;
	if (strcasecmp(s, "warning") == 0 || strcasecmp(s, "warn") == 0)
		return LL_WARN;
	if (strcasecmp(s, "info") == 0)
		return LL_INFO;
	if (strcasecmp(s, "debug") == 0)
		return LL_DEBUG;
	return -1;
}

const char *log_level_name(enum log_level l)
{
	switch (l) {
	case LL_ERROR:
		return "error";
	case LL_WARN:
		return "warning";
	case LL_INFO:
		return "info";
	case LL_DEBUG:
		return "debug";
	}
	return "unknown";
}

/* The tag in the line itself. */
static const char *level_tag(enum log_level l)
{
	switch (l) {
	case LL_ERROR:
		return "ERROR";
	case LL_WARN:
		return "WARN";
	case LL_INFO:
		return "INFO";
	case LL_DEBUG:
		return "DEBUG";
	}
	return "?";
}

static int level_syslog_priority(enum log_level l)
{
	switch (l) {
	case LL_ERROR:
		return LOG_ERR;
	case LL_WARN:
		return LOG_WARNING;
	case LL_INFO:
		return LOG_INFO;
	case LL_DEBUG:
		return LOG_DEBUG;
	}
	return LOG_NOTICE;
}

void log_open(bool use_syslog, bool timestamps, const char *ident)
{
	bool was_syslog = __atomic_load_n(&log_use_syslog, __ATOMIC_RELAXED);
	if (use_syslog)
		openlog(ident != NULL ? ident : "mypoold", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	__atomic_store_n(&log_timestamps, timestamps, __ATOMIC_RELAXED);
	__atomic_store_n(&log_use_syslog, use_syslog, __ATOMIC_RELAXED);
	if (was_syslog && !use_syslog)
		closelog();
	/* Prime the UTC offset for log_signal. */
	time_t now = time(NULL);
	struct tm tm;
	if (localtime_r(&now, &tm) != NULL)
		__atomic_store_n(&log_gmtoff, tm.tm_gmtoff, __ATOMIC_RELAXED);
}

void log_set_role(const char *role)
{
	__atomic_store_n(&log_role, role != NULL ? role : "mypoold", __ATOMIC_RELAXED);
}

void log_set_context(const char *ctx)
{
	log_ctx = ctx;
}

const char *log_get_context(void)
{
	return log_ctx;
}

/* Control characters from messages (client-supplied names, server error texts) must not start
 * a new line or corrupt the terminal: newlines become spaces, the rest '?'. */
static void sanitize(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch == '\n' || ch == '\r')
			p[i] = ' ';
		else if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			p[i] = '?';
	}
}

/* One write(2) per line; loop only for EINTR and the (rare) short write. */
static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Appends "YYYY-MM-DD HH:MM:SS.mmm " at buf; returns the length written. */
static size_t format_time(char *buf, size_t cap)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != log_cached_sec) {
		struct tm tm;
		if (localtime_r(&ts.tv_sec, &tm) == NULL)
			return 0;
		strftime(log_cached_date, sizeof(log_cached_date), "%Y-%m-%d %H:%M:%S", &tm);
		log_cached_sec = ts.tv_sec;
		__atomic_store_n(&log_gmtoff, tm.tm_gmtoff, __ATOMIC_RELAXED);
	}
	int n = snprintf(buf, cap, "%s.%03ld ", log_cached_date, ts.tv_nsec / 1000000);
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

void log_vwrite(enum log_level l, const char *fmt, va_list ap)
{
	int saved_errno = errno;
	char line[LOG_LINE_MAX];
	size_t cap = sizeof(line) - 1; /* room for the newline */
	size_t pos = 0;
	bool use_syslog = __atomic_load_n(&log_use_syslog, __ATOMIC_RELAXED);
	const char *role = __atomic_load_n(&log_role, __ATOMIC_RELAXED);
	const char *ctx = log_ctx;
	size_t msg_start;
	int n;

	if (use_syslog) {
		/* syslog adds the time, ident and pid itself. */
		n = snprintf(line, cap, "%s %s ", role, level_tag(l));
	} else {
		if (__atomic_load_n(&log_timestamps, __ATOMIC_RELAXED))
			pos = format_time(line, cap);
		n = snprintf(line + pos, cap - pos, "%s[%ld] %s ", role, (long)getpid(), level_tag(l));
	}
	if (n > 0)
		pos += (size_t)n < cap - pos ? (size_t)n : cap - pos - 1;
	msg_start = pos;
	if (ctx != NULL) {
		n = snprintf(line + pos, cap - pos, "[%s] ", ctx);
		if (n > 0)
			pos += (size_t)n < cap - pos ? (size_t)n : cap - pos - 1;
	}
	errno = saved_errno; /* for %m */
	n = vsnprintf(line + pos, cap - pos, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= cap - pos) {
		/* Truncated: the buffer holds cap-1 characters and a NUL; end the line in "...". */
		pos = cap - 1;
		memcpy(line + pos - 3, "...", 3);
	} else {
		pos += (size_t)n;
	}
	sanitize(line + msg_start, pos - msg_start);

	if (use_syslog) {
		line[pos] = '\0';
		syslog(level_syslog_priority(l), "%s", line);
	} else {
		line[pos++] = '\n';
		write_all(STDERR_FILENO, line, pos);
	}
	errno = saved_errno;
}

void log_write(enum log_level l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(l, fmt, ap);
	va_end(ap);
}

/* --- async-signal-safe path: no stdio, no locale, no locks. --- */

static size_t put_str(char *buf, size_t pos, size_t cap, const char *s)
{
	while (*s != '\0' && pos < cap)
		buf[pos++] = *s++;
	return pos;
}

/* Zero-padded decimal of at least `width` digits. */
static size_t put_num(char *buf, size_t pos, size_t cap, unsigned long v, int width)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && n < (int)sizeof(tmp));
	while (n < width && n < (int)sizeof(tmp))
		tmp[n++] = '0';
	while (n > 0 && pos < cap)
		buf[pos++] = tmp[--n];
	return pos;
}

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned long doe = (unsigned long)(z - era * 146097);
	unsigned long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned long mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (long)yoe + era * 400 + (*m <= 2);
}

void log_signal(enum log_level l, const char *msg)
{
	int saved_errno = errno;
	char line[512];
	size_t cap = sizeof(line) - 1;
	size_t pos = 0;

	if ((int)l > __atomic_load_n(&log_level_max, __ATOMIC_RELAXED))
		return;
	if (__atomic_load_n(&log_timestamps, __ATOMIC_RELAXED)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		long t = (long)ts.tv_sec + __atomic_load_n(&log_gmtoff, __ATOMIC_RELAXED);
		long days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
		long secs = t - days * 86400;
		long y;
		unsigned m, d;
		civil_from_days(days, &y, &m, &d);
		pos = put_num(line, pos, cap, (unsigned long)y, 4);
		pos = put_str(line, pos, cap, "-");
		pos = put_num(line, pos, cap, m, 2);
		pos = put_str(line, pos, cap, "-");
		pos = put_num(line, pos, cap, d, 2);
		pos = put_str(line, pos, cap, " ");
		pos = put_num(line, pos, cap, (unsigned long)(secs / 3600), 2);
		pos = put_str(line, pos, cap, ":");
		pos = put_num(line, pos, cap, (unsigned long)(secs / 60 % 60), 2);
		pos = put_str(line, pos, cap, ":");
		pos = put_num(line, pos, cap, (unsigned long)(secs % 60), 2);
		pos = put_str(line, pos, cap, ".");
		pos = put_num(line, pos, cap, (unsigned long)(ts.tv_nsec / 1000000), 3);
		pos = put_str(line, pos, cap, " ");
	}
	pos = put_str(line, pos, cap, __atomic_load_n(&log_role, __ATOMIC_RELAXED));
	pos = put_str(line, pos, cap, "[");
	pos = put_num(line, pos, cap, (unsigned long)getpid(), 1);
	pos = put_str(line, pos, cap, "] ");
	pos = put_str(line, pos, cap, level_tag(l));
	pos = put_str(line, pos, cap, " ");
	size_t msg_start = pos;
	pos = put_str(line, pos, cap, msg != NULL ? msg : "");
	sanitize(line + msg_start, pos - msg_start);
	line[pos++] = '\n';
	write_all(STDERR_FILENO, line, pos);
	errno = saved_errno;
}
