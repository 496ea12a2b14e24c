/* exec: statements run for their effect (affected rows, insert id), not their rows. */
#include "autoconfig.h"

#include <string.h>

#include "internal.h"

static void set_out(uint64_t *affected_rows, uint64_t *insert_id, uint64_t affected, uint64_t id)
{
	if (affected_rows != NULL)
		*affected_rows = affected;
	if (insert_id != NULL)
		*insert_id = id;
}

int mypool_exec(mypool_conn *conn, const char *sql, uint64_t *affected_rows, uint64_t *insert_id)
{
	uint64_t affected, id, rows = 0;
	MYSQL_RES *res;
	int rc;

	rc = mypool__conn_start(conn, sql, "mypool_exec");
	if (rc < 0)
		return rc;
	if (mysql_real_query(&conn->my, sql, (unsigned long)strlen(sql)) != 0)
		return mypool__conn_fail_mysql(conn);
	res = mysql_use_result(&conn->my);
	if (res != NULL) {
		/* Rows nobody asked for: count and discard them, one at a time. */
		while (mysql_fetch_row(res) != NULL)
			rows++;
		rc = mysql_errno(&conn->my) != 0 ? mypool__conn_fail_mysql(conn) : 0;
		mysql_free_result(res);
		if (rc < 0)
			return rc;
		affected = rows;
	} else {
		if (mysql_field_count(&conn->my) != 0)
			return mypool__conn_fail_mysql(conn);
		affected = mysql_affected_rows(&conn->my);
	}
	id = mysql_insert_id(&conn->my);
	rc = mypool__conn_skip_more_results(conn);
	if (rc < 0)
		return rc;
	set_out(affected_rows, insert_id, affected, id);
	return 0;
}

int mypool_exec_params(mypool_conn *conn, const char *sql, const mypool_param *params,
		       size_t nparams, uint64_t *affected_rows, uint64_t *insert_id)
{
	uint64_t affected, id, rows = 0;
	MYSQL_STMT *stmt;
	int rc = 0;

	rc = mypool__conn_start(conn, sql, "mypool_exec_params");
	if (rc < 0)
		return rc;
	stmt = mypool__stmt_run(conn, sql, params, nparams);
	if (stmt == NULL)
		return conn->last_error;
	if (mysql_stmt_field_count(stmt) > 0) {
		/* Rows nobody asked for: fetched (into no buffers) and discarded one at a time. */
		int r;

		while ((r = mysql_stmt_fetch(stmt)) == 0 || r == MYSQL_DATA_TRUNCATED)
			rows++;
		if (r == 1)
			rc = mypool__conn_fail_stmt(conn, stmt);
		affected = rows;
	} else {
		affected = mysql_stmt_affected_rows(stmt);
	}
	id = mysql_stmt_insert_id(stmt);
	while (rc == 0 && mysql_stmt_more_results(stmt)) {
		int r = mysql_stmt_next_result(stmt);

		if (r > 0)
			rc = mypool__conn_fail_stmt(conn, stmt);
		else if (r < 0)
			break;
		else if (mysql_stmt_field_count(stmt) > 0)
			mysql_stmt_free_result(stmt);
	}
	mysql_stmt_close(stmt);
	if (rc < 0)
		return rc;
	set_out(affected_rows, insert_id, affected, id);
	return 0;
}
