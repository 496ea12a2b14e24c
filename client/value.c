/* value: pure conversions between the forms a value arrives in (text, binary numbers, BIT bytes)
 * and the C types of the accessors, in the C locale whatever the application's locale is. */
#include "autoconfig.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static locale_t get_c_locale(void)
{
	pthread_once(&c_locale_once, c_locale_init);
	return c_locale;
}

/* Whether s[0..len) is a decimal number: [+-] digits [. digits] [e [+-] digits], with digits on
 * at least one side of the point. *integer tells whether it has neither point nor exponent. */
static bool decimal_syntax(const char *s, size_t len, bool *integer)
{
	size_t i = 0, digits = 0;

	*integer = true;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < len && s[i] == '.') {
		*integer = false;
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (digits == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp_digits = 0;

		*integer = false;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, exp_digits++;
		if (exp_digits == 0)
			return false;
	}
	return i == len;
}

/* |value| of the digits of an integer literal, and whether it is negative. Returns false on
 * overflow of uint64_t. */
static bool integer_magnitude(const char *s, size_t len, uint64_t *mag, bool *neg)
{
	size_t i = 0;
	uint64_t v = 0;

	*neg = false;
	if (s[0] == '+' || s[0] == '-') {
		*neg = s[0] == '-';
		i++;
	}
	for (; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*mag = v;
	return true;
}

int mypool__text_to_double(const char *s, size_t len, double *out)
{
	char small[128], *buf = small, *end;
	bool integer;
	locale_t loc;
	double d;

	if (!decimal_syntax(s, len, &integer))
		return MYPOOL_ERR_TYPE;
	if (len >= sizeof(small)) {
		buf = malloc(len + 1);
		if (buf == NULL)
			return MYPOOL_ERR_NOMEM;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	loc = get_c_locale();
	d = loc != (locale_t)0 ? strtod_l(buf, &end, loc) : strtod(buf, &end);
	if (buf != small)
		free(buf);
	if (errno == ERANGE && isinf(d))
		return MYPOOL_ERR_RANGE;
	*out = d;
	return 0;
}

int mypool__double_to_int64(double d, int64_t *out)
{
	int64_t v;

	if (isnan(d))
		return MYPOOL_ERR_TYPE;
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return MYPOOL_ERR_RANGE;
	v = (int64_t)d;
	if ((double)v != d)
		return MYPOOL_ERR_TYPE;
	*out = v;
	return 0;
}

int mypool__double_to_uint64(double d, uint64_t *out)
{
	uint64_t v;

	if (isnan(d))
		return MYPOOL_ERR_TYPE;
	if (d <= -1.0 || !(d < 18446744073709551616.0))
		return MYPOOL_ERR_RANGE;
	if (d < 0.0) /* in (-1, 0): not an integer */
		return MYPOOL_ERR_TYPE;
	v = (uint64_t)d;
	if ((double)v != d)
		return MYPOOL_ERR_TYPE;
	*out = v;
	return 0;
}

int mypool__text_to_int64(const char *s, size_t len, int64_t *out)
{
	uint64_t mag;
	bool integer, neg;
	double d;
	int rc;

	if (!decimal_syntax(s, len, &integer))
		return MYPOOL_ERR_TYPE;
	if (!integer) {
		rc = mypool__text_to_double(s, len, &d);
		return rc < 0 ? rc : mypool__double_to_int64(d, out);
	}
	if (!integer_magnitude(s, len, &mag, &neg))
		return MYPOOL_ERR_RANGE;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return MYPOOL_ERR_RANGE;
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return MYPOOL_ERR_RANGE;
		*out = (int64_t)mag;
	}
	return 0;
}

int mypool__text_to_uint64(const char *s, size_t len, uint64_t *out)
{
	uint64_t mag;
	bool integer, neg;
	double d;
	int rc;

	if (!decimal_syntax(s, len, &integer))
		return MYPOOL_ERR_TYPE;
	if (!integer) {
		rc = mypool__text_to_double(s, len, &d);
		return rc < 0 ? rc : mypool__double_to_uint64(d, out);
	}
	if (!integer_magnitude(s, len, &mag, &neg))
		return MYPOOL_ERR_RANGE;
	if (neg && mag != 0)
		return MYPOOL_ERR_RANGE;
	*out = mag;
	return 0;
}

size_t mypool__format_double(char *buf, size_t size, double d, bool is_float)
{
	locale_t loc = get_c_locale(), old = (locale_t)0;
	int prec, n = 0;

	if (loc != (locale_t)0)
		old = uselocale(loc);
	/* The fewest significant digits that read back as the same value. */
	for (prec = is_float ? 6 : 15; prec <= (is_float ? 9 : 17); prec++) {
		n = snprintf(buf, size, "%.*g", prec, d);
		if (is_float ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d)
			break;
	}
	if (loc != (locale_t)0)
		uselocale(old);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

int mypool__bits_to_uint64(const unsigned char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len > 8)
		return MYPOOL_ERR_RANGE;
	for (i = 0; i < len; i++)
		v = v << 8 | s[i];
	*out = v;
	return 0;
}

enum mypool_type mypool__field_type(const MYSQL_FIELD *f)
{
	switch (f->type) {
	case MYSQL_TYPE_NULL:
		return MYPOOL_TYPE_NULL;
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_YEAR:
		return (f->flags & UNSIGNED_FLAG) != 0 ? MYPOOL_TYPE_UINT : MYPOOL_TYPE_INT;
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_DOUBLE:
		return MYPOOL_TYPE_DOUBLE;
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
		return MYPOOL_TYPE_DECIMAL;
	case MYSQL_TYPE_DATE:
	case MYSQL_TYPE_NEWDATE:
		return MYPOOL_TYPE_DATE;
	case MYSQL_TYPE_TIME:
	case MYSQL_TYPE_TIME2:
		return MYPOOL_TYPE_TIME;
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_DATETIME2:
	case MYSQL_TYPE_TIMESTAMP:
	case MYSQL_TYPE_TIMESTAMP2:
		return MYPOOL_TYPE_DATETIME;
	case MYSQL_TYPE_BIT:
		return MYPOOL_TYPE_BIT;
	case MYSQL_TYPE_VARCHAR:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_STRING:
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
	case MYSQL_TYPE_ENUM:
	case MYSQL_TYPE_SET:
	case MYSQL_TYPE_JSON:
		return f->charsetnr == 63 ? MYPOOL_TYPE_BLOB : MYPOOL_TYPE_STRING;
	default:
		return MYPOOL_TYPE_OTHER;
	}
}

const char *mypool_type_name(enum mypool_type type)
{
	/* No default: -Wswitch reports a type added without a name. */
	switch (type) {
	case MYPOOL_TYPE_NULL:
		return "null";
	case MYPOOL_TYPE_INT:
		return "int";
	case MYPOOL_TYPE_UINT:
		return "uint";
	case MYPOOL_TYPE_DOUBLE:
		return "double";
	case MYPOOL_TYPE_DECIMAL:
		return "decimal";
	case MYPOOL_TYPE_STRING:
		return "string";
	case MYPOOL_TYPE_BLOB:
		return "blob";
	case MYPOOL_TYPE_DATE:
		return "date";
	case MYPOOL_TYPE_TIME:
		return "time";
	case MYPOOL_TYPE_DATETIME:
		return "datetime";
	case MYPOOL_TYPE_BIT:
		return "bit";
	case MYPOOL_TYPE_OTHER:
		return "other";
	}
	return "unknown";
}
