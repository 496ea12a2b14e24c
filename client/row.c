/* row: typed accessors for the values of a cursor's current row, by column index or name. */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>

#include "internal.h"

/* The column col of the current row, or a recorded error. */
static int column(mypool_row *row, unsigned col, struct mypool__column **out)
{
	struct mypool_cursor *cur;

	if (row == NULL)
		return MYPOOL_ERR_INVAL;
	cur = row->cur;
	if (!cur->on_row) {
		if (cur->conn != NULL)
			return mypool__conn_fail(cur->conn, MYPOOL_ERR_INVAL,
						 "the cursor has no current row");
		return MYPOOL_ERR_INVAL;
	}
	if (col >= cur->ncols)
		return mypool__conn_fail(cur->conn, MYPOOL_ERR_NO_COLUMN,
					 "no column %u (the result has %u)", col, cur->ncols);
	*out = &cur->cols[col];
	return 0;
}

static int column_index(mypool_row *row, const char *name, unsigned *col)
{
	int i;

	if (row == NULL || name == NULL)
		return MYPOOL_ERR_INVAL;
	i = mypool_column_index(row->cur, name);
	if (i < 0) {
		if (row->cur->conn != NULL)
			return mypool__conn_fail(row->cur->conn, i, "no column named '%s'", name);
		return i;
	}
	*col = (unsigned)i;
	return 0;
}

static bool value_is_null(const struct mypool_cursor *cur, unsigned col)
{
	if (cur->stmt != NULL)
		return cur->cols[col].is_null;
	return cur->row[col] == NULL;
}

/* A NULL value, or the failure of a conversion, recorded with the column. */
static int value_fail(struct mypool_cursor *cur, unsigned col, int rc, const char *want)
{
	return mypool__conn_fail(cur->conn, rc, "column %u (%s): %s as %s", col,
				 cur->cols[col].name, mypool_strerror(rc), want);
}

/* The value as bytes (text form of binary numbers, formatted into the column's scratch). */
static void value_bytes(struct mypool_cursor *cur, unsigned col, const char **s, size_t *len)
{
	struct mypool__column *c = &cur->cols[col];
	int n;

	if (cur->stmt == NULL) {
		*s = cur->row[col];
		*len = cur->lengths[col];
		return;
	}
	switch (c->kind) {
	case MYPOOL__TEXT:
		*s = c->buf;
		*len = c->length;
		return;
	case MYPOOL__INT:
		if (c->is_unsigned)
			n = snprintf(c->scratch, sizeof(c->scratch), "%" PRIu64, c->num.u);
		else
			n = snprintf(c->scratch, sizeof(c->scratch), "%" PRId64, c->num.i);
		*s = c->scratch;
		*len = n > 0 ? (size_t)n : 0;
		return;
	case MYPOOL__DOUBLE:
		*len = mypool__format_double(c->scratch, sizeof(c->scratch), c->num.d, false);
		*s = c->scratch;
		return;
	case MYPOOL__FLOAT:
		*len = mypool__format_double(c->scratch, sizeof(c->scratch), c->num.f, true);
		*s = c->scratch;
		return;
	}
}

int mypool_row_is_null(mypool_row *row, unsigned col)
{
	struct mypool__column *c;
	int rc = column(row, col, &c);

	return rc < 0 ? rc : value_is_null(row->cur, col);
}

/* What every typed accessor checks first: a valid column, somewhere to write, not SQL NULL. */
static int typed_begin(mypool_row *row, unsigned col, const void *out, const char *what,
		       struct mypool__column **c)
{
	int rc = column(row, col, c);

	if (rc < 0)
		return rc;
	if (out == NULL)
		return mypool__conn_fail(row->cur->conn, MYPOOL_ERR_INVAL, "out is NULL");
	if (value_is_null(row->cur, col))
		return value_fail(row->cur, col, MYPOOL_ERR_NULL, what);
	return 0;
}

int mypool_row_int64(mypool_row *row, unsigned col, int64_t *out)
{
	struct mypool_cursor *cur;
	struct mypool__column *c;
	const char *s;
	size_t len;
	uint64_t u;
	int rc = typed_begin(row, col, out, "int64", &c);

	if (rc < 0)
		return rc;
	cur = row->cur;
	switch (c->kind) {
	case MYPOOL__INT:
		if (c->is_unsigned && c->num.u > (uint64_t)INT64_MAX)
			return value_fail(cur, col, MYPOOL_ERR_RANGE, "int64");
		*out = c->num.i;
		return 0;
	case MYPOOL__DOUBLE:
		rc = mypool__double_to_int64(c->num.d, out);
		break;
	case MYPOOL__FLOAT:
		rc = mypool__double_to_int64(c->num.f, out);
		break;
	case MYPOOL__TEXT:
		value_bytes(cur, col, &s, &len);
		if (c->type == MYPOOL_TYPE_BIT) {
			rc = mypool__bits_to_uint64((const unsigned char *)s, len, &u);
			if (rc == 0 && u > (uint64_t)INT64_MAX)
				rc = MYPOOL_ERR_RANGE;
			if (rc == 0)
				*out = (int64_t)u;
		} else {
			rc = mypool__text_to_int64(s, len, out);
		}
		break;
	}
	return rc < 0 ? value_fail(cur, col, rc, "int64") : 0;
}

int mypool_row_uint64(mypool_row *row, unsigned col, uint64_t *out)
{
	struct mypool_cursor *cur;
	struct mypool__column *c;
	const char *s;
	size_t len;
	int rc = typed_begin(row, col, out, "uint64", &c);

	if (rc < 0)
		return rc;
	cur = row->cur;
	switch (c->kind) {
	case MYPOOL__INT:
		if (!c->is_unsigned && c->num.i < 0)
			return value_fail(cur, col, MYPOOL_ERR_RANGE, "uint64");
		*out = c->num.u;
		return 0;
	case MYPOOL__DOUBLE:
		rc = mypool__double_to_uint64(c->num.d, out);
		break;
	case MYPOOL__FLOAT:
		rc = mypool__double_to_uint64(c->num.f, out);
		break;
	case MYPOOL__TEXT:
		value_bytes(cur, col, &s, &len);
		if (c->type == MYPOOL_TYPE_BIT)
			rc = mypool__bits_to_uint64((const unsigned char *)s, len, out);
		else
			rc = mypool__text_to_uint64(s, len, out);
		break;
	}
	return rc < 0 ? value_fail(cur, col, rc, "uint64") : 0;
}

int mypool_row_double(mypool_row *row, unsigned col, double *out)
{
	struct mypool_cursor *cur;
	struct mypool__column *c;
	const char *s;
	size_t len;
	uint64_t u;
	int rc = typed_begin(row, col, out, "double", &c);

	if (rc < 0)
		return rc;
	cur = row->cur;
	switch (c->kind) {
	case MYPOOL__INT:
		*out = c->is_unsigned ? (double)c->num.u : (double)c->num.i;
		return 0;
	case MYPOOL__DOUBLE:
		*out = c->num.d;
		return 0;
	case MYPOOL__FLOAT:
		*out = c->num.f;
		return 0;
	case MYPOOL__TEXT:
		value_bytes(cur, col, &s, &len);
		if (c->type == MYPOOL_TYPE_BIT) {
			rc = mypool__bits_to_uint64((const unsigned char *)s, len, &u);
			if (rc == 0)
				*out = (double)u;
		} else {
			rc = mypool__text_to_double(s, len, out);
		}
		break;
	}
	return rc < 0 ? value_fail(cur, col, rc, "double") : 0;
}

int mypool_row_string(mypool_row *row, unsigned col, const char **str, size_t *len)
{
	struct mypool_cursor *cur;
	struct mypool__column *c;
	size_t n;
	int rc = column(row, col, &c);

	if (rc < 0)
		return rc;
	cur = row->cur;
	if (str == NULL)
		return mypool__conn_fail(cur->conn, MYPOOL_ERR_INVAL, "str is NULL");
	if (value_is_null(cur, col))
		return value_fail(cur, col, MYPOOL_ERR_NULL, "string");
	value_bytes(cur, col, str, &n);
	if (len != NULL)
		*len = n;
	return 0;
}

int mypool_row_is_null_by_name(mypool_row *row, const char *name)
{
	unsigned col = 0;
	int rc = column_index(row, name, &col);

	return rc < 0 ? rc : mypool_row_is_null(row, col);
}

int mypool_row_int64_by_name(mypool_row *row, const char *name, int64_t *out)
{
	unsigned col = 0;
	int rc = column_index(row, name, &col);

	return rc < 0 ? rc : mypool_row_int64(row, col, out);
}

int mypool_row_uint64_by_name(mypool_row *row, const char *name, uint64_t *out)
{
	unsigned col = 0;
	int rc = column_index(row, name, &col);

	return rc < 0 ? rc : mypool_row_uint64(row, col, out);
}

int mypool_row_double_by_name(mypool_row *row, const char *name, double *out)
{
	unsigned col = 0;
	int rc = column_index(row, name, &col);

	return rc < 0 ? rc : mypool_row_double(row, col, out);
}

int mypool_row_string_by_name(mypool_row *row, const char *name, const char **str, size_t *len)
{
	unsigned col = 0;
	int rc = column_index(row, name, &col);

	return rc < 0 ? rc : mypool_row_string(row, col, str, len);
}
