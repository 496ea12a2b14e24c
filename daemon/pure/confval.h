/* confval: the value types of the configuration file: durations ("500ms", "5s", "2min", "1h"),
 * sizes ("64M"), octal modes, booleans, host:port, name lists and listen addresses, parsed from
 * the text of a value and written back the way the file writes them. Pure functions; config.c's
 * key table says which key has which type and range. */
#ifndef MYPOOL_CONFVAL_H
#define MYPOOL_CONFVAL_H

#include <stdbool.h>
#include <stddef.h>

#define MS_PER_S 1000ULL
#define MS_PER_MIN (60 * MS_PER_S)
#define MS_PER_H (60 * MS_PER_MIN)
#define KIB 1024ULL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)

/* Written as in the file: "0", "5s", "2min", "1h", "250ms"; "64M", "128K", "1G", bytes. */
void confval_format_duration(unsigned long long ms, char *buf, size_t n);
void confval_format_size(unsigned long long b, char *buf, size_t n);

/* The parsers return true and the value, or false with a message in err. */
/* Decimal digits only; values too large for 64 bits saturate (the range check reports them). */
bool confval_parse_uint(const char *v, unsigned long long *out);
/* Milliseconds; bare_unit is what a number without a unit counts (MS_PER_S, or 1). */
bool confval_parse_duration(const char *v, unsigned long long bare_unit, unsigned long long *out, char *err,
			    size_t errlen);
/* Bytes, with an optional K, M or G (KiB, MiB, GiB). */
bool confval_parse_size(const char *v, unsigned long long *out, char *err, size_t errlen);
bool confval_parse_octal(const char *v, unsigned long long *out, char *err, size_t errlen);
/* yes/no, true/false, on/off, 1/0: 1 or 0; -1 for anything else. */
int confval_parse_bool(const char *v);
/* "host:port" or "[v6]:port". */
bool confval_check_hostport(const char *v, char *err, size_t errlen);
/* "a, b,c" -> "a,b,c" (malloc'd): names separated by commas, spaces around them dropped; each
 * name non-empty, at most max bytes, without spaces, listed once. "" stays "". NULL on error. */
char *confval_parse_names(const char *v, unsigned long long max, char *err, size_t errlen);
/* A Unix socket path of at most max bytes, or a loopback address with a port (an HTTP endpoint
 * without authentication is not offered on other interfaces). */
bool confval_check_address(const char *v, unsigned long long max, char *err, size_t errlen);

#endif
