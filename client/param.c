/* param: server-side prepared statements: prepare, bind the tagged-union parameters, execute. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Parameters bound on the stack up to this many; more are allocated. */
#define STACK_PARAMS 16

static int bind_param(MYSQL_BIND *b, unsigned long *len, const mypool_param *p)
{
	memset(b, 0, sizeof(*b));
	switch (p->type) {
	case MYPOOL_PARAM_NULL:
		b->buffer_type = MYSQL_TYPE_NULL;
		return 0;
	case MYPOOL_PARAM_INT64:
		b->buffer_type = MYSQL_TYPE_LONGLONG;
		b->buffer = (void *)&p->v.i64;
		return 0;
	case MYPOOL_PARAM_UINT64:
		b->buffer_type = MYSQL_TYPE_LONGLONG;
		b->buffer = (void *)&p->v.u64;
		b->is_unsigned = 1;
		return 0;
	case MYPOOL_PARAM_DOUBLE:
		b->buffer_type = MYSQL_TYPE_DOUBLE;
		b->buffer = (void *)&p->v.d;
		return 0;
	case MYPOOL_PARAM_STRING:
	case MYPOOL_PARAM_BLOB:
		if (p->v.bytes.ptr == NULL && p->v.bytes.len != 0)
			return -1;
		b->buffer_type = p->type == MYPOOL_PARAM_STRING ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
		/* Connector/C does not write to parameter buffers. */
		b->buffer = (void *)(p->v.bytes.ptr != NULL ? p->v.bytes.ptr : "");
		*len = (unsigned long)p->v.bytes.len;
		b->buffer_length = *len;
		b->length = len;
		return 0;
	}
	return -1;
}

MYSQL_STMT *mypool__stmt_run(struct mypool_conn *conn, const char *sql, const mypool_param *params,
			     size_t nparams)
{
	MYSQL_BIND stack_binds[STACK_PARAMS], *binds = stack_binds;
	unsigned long stack_lens[STACK_PARAMS], *lens = stack_lens;
	MYSQL_STMT *stmt;
	unsigned long want;
	size_t i;

	if (nparams > 0 && params == NULL) {
		mypool__conn_fail(conn, MYPOOL_ERR_INVAL, "params is NULL but nparams is %zu", nparams);
		return NULL;
	}
	stmt = mysql_stmt_init(&conn->my);
	if (stmt == NULL) {
		mypool__conn_fail(conn, MYPOOL_ERR_NOMEM, "mysql_stmt_init: out of memory");
		return NULL;
	}
	if (mysql_stmt_prepare(stmt, sql, (unsigned long)strlen(sql)) != 0) {
		mypool__conn_fail_stmt(conn, stmt);
		goto fail;
	}
	want = mysql_stmt_param_count(stmt);
	if (want != nparams) {
		mypool__conn_fail(conn, MYPOOL_ERR_INVAL,
				  "the statement has %lu placeholders but %zu parameters were given",
				  want, nparams);
		goto fail;
	}
	if (nparams > STACK_PARAMS) {
		binds = calloc(nparams, sizeof(*binds));
		lens = calloc(nparams, sizeof(*lens));
		if (binds == NULL || lens == NULL) {
			mypool__conn_fail(conn, MYPOOL_ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	for (i = 0; i < nparams; i++) {
		if (bind_param(&binds[i], &lens[i], &params[i]) != 0) {
			mypool__conn_fail(conn, MYPOOL_ERR_INVAL, "parameter %zu is invalid (type %d)",
					  i, (int)params[i].type);
			goto fail;
		}
	}
	if (nparams > 0 && mysql_stmt_bind_param(stmt, binds) != 0) {
		mypool__conn_fail_stmt(conn, stmt);
		goto fail;
	}
	if (mysql_stmt_execute(stmt) != 0) {
		mypool__conn_fail_stmt(conn, stmt);
		goto fail;
	}
	if (binds != stack_binds) {
		free(binds);
		free(lens);
	}
	return stmt;

fail:
	if (binds != stack_binds) {
		free(binds);
		free(lens);
	}
	mysql_stmt_close(stmt);
	return NULL;
}
