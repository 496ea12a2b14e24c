/* confval: the value types of the configuration file, parsed and written back (see confval.h). */
#include "autoconfig.h"

#include "confval.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void confval_format_duration(unsigned long long ms, char *buf, size_t n)
{
	if (ms == 0)
		snprintf(buf, n, "0");
	else if (ms % MS_PER_H == 0)
		snprintf(buf, n, "%lluh", ms / MS_PER_H);
	else if (ms % MS_PER_MIN == 0)
		snprintf(buf, n, "%llumin", ms / MS_PER_MIN);
	else if (ms % MS_PER_S == 0)
		snprintf(buf, n, "%llus", ms / MS_PER_S);
	else
		snprintf(buf, n, "%llums", ms);
}

void confval_format_size(unsigned long long b, char *buf, size_t n)
{
	if (b != 0 && b % GIB == 0)
		snprintf(buf, n, "%lluG", b / GIB);
	else if (b != 0 && b % MIB == 0)
		snprintf(buf, n, "%lluM", b / MIB);
	else if (b != 0 && b % KIB == 0)
		snprintf(buf, n, "%lluK", b / KIB);
	else
		snprintf(buf, n, "%llu", b);
}

/* Decimal digits only. Values too large for 64 bits saturate (the range check reports them). */
static bool parse_digits(const char **sp, unsigned long long *out, int *ndigits)
{
	const char *s = *sp;
	unsigned long long v = 0;
	int n = 0;
	while (*s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');
		if (v > (~0ULL - d) / 10)
			v = ~0ULL;
		else
			v = v * 10 + d;
		s++;
		n++;
	}
	*sp = s;
	*out = v;
	if (ndigits != NULL)
		*ndigits = n;
	return n > 0;
}

bool confval_parse_uint(const char *v, unsigned long long *out)
{
	const char *s = v;
	return parse_digits(&s, out, NULL) && *s == '\0';
}

static unsigned long long mul_sat(unsigned long long a, unsigned long long b)
{
	if (b != 0 && a > ~0ULL / b)
		return ~0ULL;
	return a * b;
}

static const char duration_hint[] =
	"expected a duration like 500ms, 5s, 0.5, 2min or 1h (a bare number is seconds)";
static const char duration_hint_ms[] =
	"expected a duration like 200, 500ms, 5s, 2min or 1h (a bare number is milliseconds)";

/* bare_unit: what a number without a unit counts (MS_PER_S, or 1 for keys named *_ms). */
bool confval_parse_duration(const char *v, unsigned long long bare_unit, unsigned long long *out, char *err,
			   size_t errlen)
{
	const char *hint = bare_unit == 1 ? duration_hint_ms : duration_hint;
	const char *s = v;
	unsigned long long ip = 0, frac = 0, unit, p10 = 1;
	int ni = 0, nf = 0;

	parse_digits(&s, &ip, &ni);
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			if (nf == 9) {
				snprintf(err, errlen, "too many decimals in '%s'", v);
				return false;
			}
			frac = frac * 10 + (unsigned)(*s - '0');
			p10 *= 10;
			nf++;
			s++;
		}
	}
	if (ni == 0 && nf == 0) {
		snprintf(err, errlen, "%s, got '%s'", hint, v);
		return false;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		unit = bare_unit;
	else if (strcasecmp(s, "s") == 0)
		unit = MS_PER_S;
	else if (strcasecmp(s, "ms") == 0)
		unit = 1;
	else if (strcasecmp(s, "min") == 0)
		unit = MS_PER_MIN;
	else if (strcasecmp(s, "h") == 0)
		unit = MS_PER_H;
	else if (strcasecmp(s, "m") == 0) {
		snprintf(err, errlen, "ambiguous unit in '%s': write 'min' for minutes or 'ms' for milliseconds", v);
		return false;
	} else {
		snprintf(err, errlen, "%s, got '%s'", hint, v);
		return false;
	}
	if ((frac * unit) % p10 != 0) {
		snprintf(err, errlen, "'%s' is not a whole number of milliseconds", v);
		return false;
	}
	unsigned long long ms = mul_sat(ip, unit);
	unsigned long long add = frac * unit / p10;
	*out = ms > ~0ULL - add ? ~0ULL : ms + add;
	return true;
}

bool confval_parse_size(const char *v, unsigned long long *out, char *err, size_t errlen)
{
	const char *s = v;
	unsigned long long n, mult = 1;
	if (!parse_digits(&s, &n, NULL))
		goto bad;
	while (*s == ' ' || *s == '\t')
		s++;
	switch (*s) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = KIB;
		s++;
		break;
	case 'm':
	case 'M':
		mult = MIB;
		s++;
		break;
	case 'g':
	case 'G':
		mult = GIB;
		s++;
		break;
	default:
		goto bad;
	}
	if (*s != '\0')
		goto bad;
	*out = mul_sat(n, mult);
	return true;
bad:
	snprintf(err, errlen, "expected a size like 65536, 64K, 16M or 1G (K, M, G = KiB, MiB, GiB), got '%s'", v);
	return false;
}

bool confval_parse_octal(const char *v, unsigned long long *out, char *err, size_t errlen)
{
	const char *s = v;
	unsigned long long m = 0;
	if (*s == '\0')
		goto bad;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '7')
			goto bad;
		m = m > (~0ULL >> 3) ? ~0ULL : m * 8 + (unsigned)(*s - '0');
	}
	*out = m;
	return true;
bad:
	snprintf(err, errlen, "expected an octal mode like 0660, got '%s'", v);
	return false;
}

int confval_parse_bool(const char *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

bool confval_check_hostport(const char *v, char *err, size_t errlen)
{
	const char *colon = strrchr(v, ':');
	unsigned long long port;
	size_t hl;

	if (colon == NULL || colon == v)
		goto bad;
	hl = (size_t)(colon - v);
	if (v[0] == '[') {
		if (hl < 3 || v[hl - 1] != ']')
			goto bad;
	} else if (memchr(v, ':', hl) != NULL) {
		snprintf(err, errlen, "an IPv6 address needs brackets, e.g. [::1]:6033, got '%s'", v);
		return false;
	}
	if (!confval_parse_uint(colon + 1, &port))
		goto bad;
	if (port < 1 || port > 65535) {
		snprintf(err, errlen, "port must be 1..65535, got '%s'", v);
		return false;
	}
	return true;
bad:
	snprintf(err, errlen, "expected host:port, e.g. 127.0.0.1:6033 or [::1]:6033, got '%s'", v);
	return false;
}

/* "a, b,c" -> "a,b,c" (malloc'd): names separated by commas, spaces around them dropped; each
 * name non-empty, at most max bytes, without spaces, listed once. "" stays "". */
char *confval_parse_names(const char *v, unsigned long long max, char *err, size_t errlen)
{
	char *out = malloc(strlen(v) + 1), *o = out;
	const char *s = v;
	if (out == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*o = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return out;
	for (int i = 1;; i++) {
		while (*s == ' ' || *s == '\t')
			s++;
		size_t n = strcspn(s, ",");
		size_t len = n;
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0) {
			snprintf(err, errlen, "name %d of the list is empty, got '%s'", i, v);
			goto fail;
		}
		if (len > max) {
			snprintf(err, errlen, "name %d of the list is %zu bytes long, the limit is %llu", i, len, max);
			goto fail;
		}
		if (memchr(s, ' ', len) != NULL || memchr(s, '\t', len) != NULL) {
			snprintf(err, errlen, "name %d of the list contains a space (separate names with ','), "
				 "got '%s'", i, v);
			goto fail;
		}
		for (const char *p = out; *p != '\0';) {
			size_t pl = strcspn(p, ",");
			if (pl == len && memcmp(p, s, len) == 0) {
				snprintf(err, errlen, "'%.*s' is listed twice", (int)len, s);
				goto fail;
			}
			p += pl + (p[pl] == ',');
		}
		if (o != out)
			*o++ = ',';
		memcpy(o, s, len);
		o += len;
		*o = '\0';
		s += n;
		if (*s == '\0')
			return out;
		s++; /* the comma */
	}
fail:
	free(out);
	return NULL;
}

/* A Unix socket path, or a loopback address with a port (an HTTP endpoint without
 * authentication is not offered on other interfaces). */
bool confval_check_address(const char *v, unsigned long long max, char *err, size_t errlen)
{
	const char *port;
	unsigned long long n;
	if (v[0] == '/') {
		if (strlen(v) > max) {
			snprintf(err, errlen, "a socket path must be at most %llu bytes, got %zu", max, strlen(v));
			return false;
		}
		return true;
	}
	if (strncmp(v, "127.0.0.1:", 10) == 0)
		port = v + 10;
	else if (strncmp(v, "[::1]:", 6) == 0)
		port = v + 6;
	else {
		snprintf(err, errlen, "expected a Unix socket path (/...), 127.0.0.1:PORT or [::1]:PORT, got '%s'",
			 v);
		return false;
	}
	if (!confval_parse_uint(port, &n) || n < 1 || n > 65535) {
		snprintf(err, errlen, "port must be 1..65535, got '%s'", v);
		return false;
	}
	return true;
}
