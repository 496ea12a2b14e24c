/* cursor: streaming row cursors over a text query (mysql_use_result) or a prepared statement
 * (mysql_stmt_fetch without mysql_stmt_store_result), their column metadata, and what happens
 * to unread rows when a cursor is closed early. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* ---- construction --------------------------------------------------------------------------- */

/* A cursor with its own copy of the column metadata (Connector/C's is freed with the result). */
static struct mypool_cursor *cursor_new(MYSQL_FIELD *fields, unsigned ncols)
{
	struct mypool_cursor *cur = calloc(1, sizeof(*cur));
	size_t total = 0;
	char *p;
	unsigned i;

	if (cur == NULL)
		return NULL;
	cur->rowh.cur = cur;
	cur->ncols = ncols;
	if (ncols == 0)
		return cur;
	for (i = 0; i < ncols; i++)
		total += strlen(fields[i].name) + 1;
	cur->cols = calloc(ncols, sizeof(*cur->cols));
	cur->names = malloc(total);
	if (cur->cols == NULL || cur->names == NULL) {
		free(cur->cols);
		free(cur->names);
		free(cur);
		return NULL;
	}
	p = cur->names;
	for (i = 0; i < ncols; i++) {
		size_t n = strlen(fields[i].name) + 1;

		memcpy(p, fields[i].name, n);
		cur->cols[i].name = p;
		p += n;
		cur->cols[i].type = mypool__field_type(&fields[i]);
		cur->cols[i].is_unsigned = (fields[i].flags & UNSIGNED_FLAG) != 0;
		cur->cols[i].kind = MYPOOL__TEXT;
	}
	return cur;
}

static void cursor_free(struct mypool_cursor *cur)
{
	unsigned i;

	for (i = 0; i < cur->ncols; i++)
		free(cur->cols[i].buf);
	free(cur->cols);
	free(cur->names);
	free(cur->binds);
	free(cur);
}

/* A cursor for a statement that returned no result set: no columns, already at its end. */
static struct mypool_cursor *cursor_empty(struct mypool_conn *conn)
{
	struct mypool_cursor *cur = cursor_new(NULL, 0);

	if (cur == NULL) {
		mypool__conn_fail(conn, MYPOOL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	cur->state = MYPOOL__CUR_END;
	return cur;
}

static void attach(struct mypool_conn *conn, struct mypool_cursor *cur)
{
	cur->conn = conn;
	cur->state = MYPOOL__CUR_ROWS;
	conn->cursor = cur;
}

mypool_cursor *mypool_query(mypool_conn *conn, const char *sql)
{
	struct mypool_cursor *cur;
	MYSQL_RES *res;

	if (mypool__conn_start(conn, sql, "mypool_query") < 0)
		return NULL;
	if (mysql_real_query(&conn->my, sql, (unsigned long)strlen(sql)) != 0) {
		mypool__conn_fail_mysql(conn);
		return NULL;
	}
	res = mysql_use_result(&conn->my);
	if (res == NULL) {
		if (mysql_field_count(&conn->my) != 0) {
			mypool__conn_fail_mysql(conn);
			return NULL;
		}
		if (mypool__conn_skip_more_results(conn) < 0)
			return NULL;
		return cursor_empty(conn);
	}
	cur = cursor_new(mysql_fetch_fields(res), mysql_num_fields(res));
	if (cur == NULL) {
		mypool__conn_drop(conn, res, NULL);
		mypool__conn_fail(conn, MYPOOL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	cur->res = res;
	attach(conn, cur);
	return cur;
}

/* The first buffer of a column read as bytes: its whole declared width when that is small. */
static size_t initial_cap(const MYSQL_FIELD *f)
{
	size_t cap = f->length < 1024 ? (size_t)f->length + 1 : 256;

	return cap < 64 ? 64 : cap;
}

static int bind_results(struct mypool_cursor *cur, MYSQL_FIELD *fields)
{
	unsigned i;

	cur->binds = calloc(cur->ncols, sizeof(*cur->binds));
	if (cur->binds == NULL)
		return -1;
	for (i = 0; i < cur->ncols; i++) {
		struct mypool__column *c = &cur->cols[i];
		MYSQL_BIND *b = &cur->binds[i];

		b->is_null = &c->is_null;
		b->error = &c->error;
		b->length = &c->length;
		switch (fields[i].type) {
		case MYSQL_TYPE_TINY:
		case MYSQL_TYPE_SHORT:
		case MYSQL_TYPE_INT24:
		case MYSQL_TYPE_LONG:
		case MYSQL_TYPE_LONGLONG:
		case MYSQL_TYPE_YEAR:
			c->kind = MYPOOL__INT;
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &c->num.i;
			b->is_unsigned = c->is_unsigned;
			break;
		case MYSQL_TYPE_FLOAT:
			c->kind = MYPOOL__FLOAT;
			b->buffer_type = MYSQL_TYPE_FLOAT;
			b->buffer = &c->num.f;
			break;
		case MYSQL_TYPE_DOUBLE:
			c->kind = MYPOOL__DOUBLE;
			b->buffer_type = MYSQL_TYPE_DOUBLE;
			b->buffer = &c->num.d;
			break;
		default:
			c->kind = MYPOOL__TEXT;
			c->cap = initial_cap(&fields[i]);
			c->buf = malloc(c->cap);
			if (c->buf == NULL)
				return -1;
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer = c->buf;
			b->buffer_length = (unsigned long)(c->cap - 1); /* room for a NUL */
			break;
		}
	}
	return 0;
}

mypool_cursor *mypool_query_params(mypool_conn *conn, const char *sql, const mypool_param *params,
				   size_t nparams)
{
	struct mypool_cursor *cur;
	MYSQL_STMT *stmt;
	MYSQL_RES *meta;
	unsigned ncols;

	if (mypool__conn_start(conn, sql, "mypool_query_params") < 0)
		return NULL;
	stmt = mypool__stmt_run(conn, sql, params, nparams);
	if (stmt == NULL)
		return NULL;
	ncols = mysql_stmt_field_count(stmt);
	if (ncols == 0) {
		mysql_stmt_close(stmt);
		return cursor_empty(conn);
	}
	meta = mysql_stmt_result_metadata(stmt);
	if (meta == NULL) {
		mypool__conn_fail_stmt(conn, stmt);
		mypool__conn_drop(conn, NULL, stmt);
		return NULL;
	}
	cur = cursor_new(mysql_fetch_fields(meta), ncols);
	if (cur == NULL || bind_results(cur, mysql_fetch_fields(meta)) != 0 ||
	    mysql_stmt_bind_result(stmt, cur->binds) != 0) {
		mysql_free_result(meta);
		if (cur != NULL)
			cursor_free(cur);
		mypool__conn_drop(conn, NULL, stmt);
		mypool__conn_fail(conn, MYPOOL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	mysql_free_result(meta);
	cur->stmt = stmt;
	attach(conn, cur);
	return cur;
}

/* ---- reading -------------------------------------------------------------------------------- */

/* The result has ended (error = 0) or failed: give back Connector/C's resources, read what
 * follows the first result set, detach. Returns the cursor's final code. */
static int finish(struct mypool_cursor *cur, int error)
{
	struct mypool_conn *conn = cur->conn;

	cur->on_row = false;
	if (cur->res != NULL) {
		mysql_free_result(cur->res); /* no I/O: the result was read to its end */
		cur->res = NULL;
	}
	if (cur->stmt != NULL) {
		MYSQL_STMT *stmt = cur->stmt;

		while (error == 0 && mysql_stmt_more_results(stmt)) {
			int r = mysql_stmt_next_result(stmt);

			if (r > 0)
				error = mypool__conn_fail_stmt(conn, stmt);
			else if (r < 0)
				break;
			else if (mysql_stmt_field_count(stmt) > 0)
				mysql_stmt_free_result(stmt); /* reads and discards the rows */
		}
		mysql_stmt_close(stmt);
		cur->stmt = NULL;
	} else if (error == 0 && conn != NULL) {
		error = mypool__conn_skip_more_results(conn);
	}
	if (conn != NULL && conn->cursor == cur)
		conn->cursor = NULL;
	cur->conn = NULL;
	cur->state = error == 0 ? MYPOOL__CUR_END : MYPOOL__CUR_ERROR;
	cur->error = error;
	return error;
}

void mypool__cursor_abort(struct mypool_cursor *cur, int error)
{
	struct mypool_conn *conn = cur->conn;

	if (conn != NULL && conn->open)
		mariadb_cancel(&conn->my); /* no reads of the rest: the connection is being closed */
	if (cur->res != NULL)
		mysql_free_result(cur->res);
	if (cur->stmt != NULL)
		mysql_stmt_close(cur->stmt);
	cur->res = NULL;
	cur->stmt = NULL;
	cur->on_row = false;
	if (conn != NULL && conn->cursor == cur)
		conn->cursor = NULL;
	cur->conn = NULL;
	cur->state = MYPOOL__CUR_ERROR;
	cur->error = error;
	if (conn != NULL)
		mypool__conn_fail(conn, error, "the cursor's connection was closed");
}

/* The row just fetched had values longer than their buffers: grow those, fetch the values
 * again, and bind the bigger buffers for the next rows. */
static int refetch_truncated(struct mypool_cursor *cur)
{
	struct mypool_conn *conn = cur->conn;
	unsigned i;

	for (i = 0; i < cur->ncols; i++) {
		struct mypool__column *c = &cur->cols[i];
		MYSQL_BIND *b = &cur->binds[i];
		size_t cap;
		char *p;

		if (!c->error)
			continue;
		if (c->kind != MYPOOL__TEXT)
			return mypool__conn_fail(conn, MYPOOL_ERR_CLIENT,
						 "the value of column %u (%s) was truncated", i, c->name);
		for (cap = c->cap; cap < (size_t)c->length + 1; cap *= 2)
			;
		p = realloc(c->buf, cap);
		if (p == NULL)
			return mypool__conn_fail(conn, MYPOOL_ERR_NOMEM,
						 "out of memory for a value of %lu bytes", c->length);
		c->buf = p;
		c->cap = cap;
		b->buffer = p;
		b->buffer_length = (unsigned long)(cap - 1);
		if (mysql_stmt_fetch_column(cur->stmt, b, i, 0) != 0)
			return mypool__conn_fail_stmt(conn, cur->stmt);
		c->error = 0;
	}
	if (mysql_stmt_bind_result(cur->stmt, cur->binds) != 0)
		return mypool__conn_fail_stmt(conn, cur->stmt);
	return 0;
}

static int discard_rest(struct mypool_cursor *cur);

static int next_stmt(struct mypool_cursor *cur)
{
	int r = mysql_stmt_fetch(cur->stmt), rc;
	unsigned i;

	if (r == MYSQL_NO_DATA)
		return finish(cur, 0);
	if (r == 1)
		return finish(cur, mypool__conn_fail_stmt(cur->conn, cur->stmt));
	if (r == MYSQL_DATA_TRUNCATED && (rc = refetch_truncated(cur)) < 0) {
		/* This row cannot be delivered: give up the rest of the result, keep the error. */
		struct mypool_conn *conn = cur->conn;
		struct mypool__saved_error e;

		mypool__conn_save_error(conn, &e);
		discard_rest(cur);
		mypool__conn_restore_error(conn, &e);
		cur->state = MYPOOL__CUR_ERROR;
		cur->error = rc;
		return rc;
	}
	for (i = 0; i < cur->ncols; i++) {
		struct mypool__column *c = &cur->cols[i];

		if (c->kind == MYPOOL__TEXT && !c->is_null)
			c->buf[c->length] = '\0';
	}
	return 1;
}

static int next_text(struct mypool_cursor *cur)
{
	MYSQL_ROW r = mysql_fetch_row(cur->res);

	if (r == NULL) {
		if (mysql_errno(&cur->conn->my) != 0)
			return finish(cur, mypool__conn_fail_mysql(cur->conn));
		return finish(cur, 0);
	}
	cur->row = r;
	cur->lengths = mysql_fetch_lengths(cur->res);
	return 1;
}

int mypool_next(mypool_cursor *cur, mypool_row **row)
{
	int rc;

	if (cur == NULL || row == NULL)
		return MYPOOL_ERR_INVAL;
	*row = NULL;
	cur->on_row = false;
	switch (cur->state) {
	case MYPOOL__CUR_END:
		return 0;
	case MYPOOL__CUR_ERROR:
		return cur->error;
	case MYPOOL__CUR_ROWS:
		break;
	}
	mypool__conn_clear_error(cur->conn);
	rc = cur->stmt != NULL ? next_stmt(cur) : next_text(cur);
	if (rc == 1) {
		cur->on_row = true;
		cur->rows++;
		*row = &cur->rowh;
	}
	return rc;
}

uint64_t mypool_cursor_row_count(const mypool_cursor *cur)
{
	return cur != NULL ? cur->rows : 0;
}

/* ---- closing -------------------------------------------------------------------------------- */

/* Read and discard rows until the result ends (returns 1, the cursor finished) or about `budget`
 * bytes were read (returns 0, rows remain). */
static int drain(struct mypool_cursor *cur, size_t budget)
{
	size_t bytes = 0;
	unsigned i;

	while (bytes < budget) {
		if (cur->stmt != NULL) {
			int r = mysql_stmt_fetch(cur->stmt);

			if (r == MYSQL_NO_DATA) {
				finish(cur, 0);
				return 1;
			}
			if (r == 1) {
				finish(cur, mypool__conn_fail_stmt(cur->conn, cur->stmt));
				return 1;
			}
			for (i = 0; i < cur->ncols; i++)
				bytes += cur->cols[i].kind == MYPOOL__TEXT ? cur->cols[i].length : 8;
		} else {
			MYSQL_ROW r = mysql_fetch_row(cur->res);
			unsigned long *len;

			if (r == NULL) {
				finish(cur, mysql_errno(&cur->conn->my) != 0
						    ? mypool__conn_fail_mysql(cur->conn)
						    : 0);
				return 1;
			}
			len = mysql_fetch_lengths(cur->res);
			for (i = 0; i < cur->ncols; i++)
				bytes += len[i];
		}
		bytes += 4; /* the packet header: an empty row is not free either */
	}
	return 0;
}

/* Get rid of the unread rows of an attached cursor, per its connection's close policy; the
 * cursor ends detached. Returns 0 (connection kept) or 1 (connection dropped, reopens later). */
static int discard_rest(struct mypool_cursor *cur)
{
	struct mypool_conn *conn = cur->conn;

	if (conn->close_policy == MYPOOL_CLOSE_DRAIN) {
		drain(cur, (size_t)-1);
		return 0;
	}
	if (drain(cur, MYPOOL_CLOSE_DRAIN_BUDGET))
		return 0;
	if (mypool__conn_in_transaction(conn)) {
		drain(cur, (size_t)-1); /* dropping the connection would roll the transaction back */
		return 0;
	}
	mypool__conn_drop(conn, cur->res, cur->stmt);
	cur->res = NULL;
	cur->stmt = NULL;
	conn->cursor = NULL;
	cur->conn = NULL;
	cur->on_row = false;
	cur->state = MYPOOL__CUR_END;
	return 1;
}

void mypool_cursor_close(mypool_cursor *cur)
{
	if (cur == NULL)
		return;
	/* The error state of the connection is left alone unless discarding fails. */
	if (cur->state == MYPOOL__CUR_ROWS && cur->conn != NULL)
		discard_rest(cur);
	cursor_free(cur);
}

/* ---- metadata ------------------------------------------------------------------------------- */

unsigned mypool_column_count(const mypool_cursor *cur)
{
	return cur != NULL ? cur->ncols : 0;
}

const char *mypool_column_name(const mypool_cursor *cur, unsigned col)
{
	if (cur == NULL || col >= cur->ncols)
		return NULL;
	return cur->cols[col].name;
}

enum mypool_type mypool_column_type(const mypool_cursor *cur, unsigned col)
{
	if (cur == NULL || col >= cur->ncols)
		return MYPOOL_TYPE_NULL;
	return cur->cols[col].type;
}

int mypool_column_index(const mypool_cursor *cur, const char *name)
{
	unsigned i;

	if (cur == NULL || name == NULL)
		return MYPOOL_ERR_INVAL;
	for (i = 0; i < cur->ncols; i++)
		if (strcasecmp(cur->cols[i].name, name) == 0)
			return (int)i;
	return MYPOOL_ERR_NO_COLUMN;
}
