/* Tests of libmypool against a real server: MariaDB directly or mypoold in front of it.
 *
 *   MYPOOL_TEST_SOCKET    where to connect (a socket path or host:port); required: without it
 *                         every test fails (it never skips)
 *   MYPOOL_TEST_USER      default app
 *   MYPOOL_TEST_PASSWORD  default apppw
 *   MYPOOL_TEST_DB        default test (the SEQUENCE engine must be there: seq_1_to_N)
 *
 * Run by tests/integration/test_client.py. Test cases that need server-side prepared statements
 * (COM_STMT_*) carry the check tag "prepared", so CK_INCLUDE_TAGS / CK_EXCLUDE_TAGS=prepared run
 * them on their own or leave them out; the others are tagged "text". Links the installed-to-be
 * libmypool.la and uses only the public API. */
#include "autoconfig.h"

#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mypool.h"

static const char *target, *user, *password, *database;

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : dflt;
}

/* ---- helpers ---- */

#define CK_OK(conn, expr)                                                                       \
	do {                                                                                    \
		int rc_ = (expr);                                                               \
		ck_assert_msg(rc_ >= 0, "%s: %d %s: %s (errno %u, sqlstate %s)", #expr, rc_,    \
			      mypool_strerror(rc_), mypool_errmsg(conn), mypool_errno(conn),    \
			      mypool_sqlstate(conn));                                           \
	} while (0)

#define CK_FAILS(conn, expr, code, err_no)                                                      \
	do {                                                                                    \
		int rc_ = (expr);                                                               \
		ck_assert_msg(rc_ == (code) && mypool_errno(conn) == (err_no),                  \
			      "%s: got %d (%s) errno %u: %s; want %d errno %u", #expr, rc_,     \
			      mypool_strerror(rc_), mypool_errno(conn), mypool_errmsg(conn),    \
			      (code), (unsigned)(err_no));                                      \
	} while (0)

static mypool_conn *db(void)
{
	mypool_conn *conn = mypool_conn_new();

	ck_assert_ptr_nonnull(conn);
	ck_assert_msg(target != NULL,
		      "MYPOOL_TEST_SOCKET is not set: nothing to test against (this test fails, it "
		      "does not skip)");
	ck_assert_msg(mypool_connect(conn, target, user, password, database) == 0,
		      "connect to %s as %s: %s (errno %u)", target, user, mypool_errmsg(conn),
		      mypool_errno(conn));
	return conn;
}

static void exec_ok(mypool_conn *conn, const char *sql)
{
	int rc = mypool_exec(conn, sql, NULL, NULL);

	ck_assert_msg(rc == 0, "%s: %s (errno %u)", sql, mypool_errmsg(conn), mypool_errno(conn));
}

static mypool_cursor *query_ok(mypool_conn *conn, const char *sql)
{
	mypool_cursor *cur = mypool_query(conn, sql);

	ck_assert_msg(cur != NULL, "%s: %s (errno %u)", sql, mypool_errmsg(conn),
		      mypool_errno(conn));
	return cur;
}

/* The single value of a one-row, one-column text query, as int64 (NULL -> INT64_MIN). */
static int64_t scalar(mypool_conn *conn, const char *sql)
{
	mypool_cursor *cur = query_ok(conn, sql);
	mypool_row *row;
	int64_t v = INT64_MIN;
	int rc;

	CK_OK(conn, rc = mypool_next(cur, &row));
	ck_assert_msg(rc == 1, "%s: no row", sql);
	if (!mypool_row_is_null(row, 0))
		CK_OK(conn, mypool_row_int64(row, 0, &v));
	ck_assert_int_eq(mypool_next(cur, &row), 0);
	mypool_cursor_close(cur);
	return v;
}

static void assert_string(mypool_row *row, unsigned col, const char *want, size_t want_len)
{
	const char *s;
	size_t len;
	int rc = mypool_row_string(row, col, &s, &len);

	ck_assert_msg(rc == 0, "column %u: %s", col, mypool_strerror(rc));
	ck_assert_msg(len == want_len && memcmp(s, want, len) == 0, "column %u: '%.*s' (%zu), want "
		      "'%s' (%zu)", col, (int)len, s, len, want, want_len);
	ck_assert_msg(s[len] == '\0', "column %u: not NUL-terminated", col);
}
#define ASSERT_STR(row, col, lit) assert_string((row), (col), (lit), sizeof(lit) - 1)

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* ---- connect ---- */

START_TEST(connect_and_session_defaults)
{
	mypool_conn *conn = db();
	mypool_cursor *cur = query_ok(conn, "SELECT DATABASE(), @@character_set_client, "
					    "@@autocommit");
	mypool_row *row;

	ck_assert_int_eq(mypool_next(cur, &row), 1);
	ASSERT_STR(row, 0, "test");
	ASSERT_STR(row, 1, "utf8mb4");
	ASSERT_STR(row, 2, "1");
	ck_assert_int_eq(mypool_last_error(conn), 0);
	ck_assert_uint_eq(mypool_errno(conn), 0);
	ck_assert_str_eq(mypool_sqlstate(conn), "00000");
	mypool_cursor_close(cur);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(connect_with_a_wrong_password_is_1045)
{
	mypool_conn *conn = mypool_conn_new();

	ck_assert_ptr_nonnull(target);
	CK_FAILS(conn, mypool_connect(conn, target, user, "wrong-password", database),
		 MYPOOL_ERR_CONNECT, 1045);
	ck_assert_str_eq(mypool_sqlstate(conn), "28000");
	ck_assert_msg(strstr(mypool_errmsg(conn), "denied") != NULL, "%s", mypool_errmsg(conn));
	ck_assert_int_eq(mypool_exec(conn, "SELECT 1", NULL, NULL), MYPOOL_ERR_NOT_CONNECTED);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(connect_through_mypool_socket_env)
{
	mypool_conn *conn = mypool_conn_new();

	ck_assert_ptr_nonnull(target);
	setenv("MYPOOL_SOCKET", target, 1);
	CK_OK(conn, mypool_connect(conn, NULL, user, password, database));
	ck_assert_int_eq(scalar(conn, "SELECT 7"), 7);
	unsetenv("MYPOOL_SOCKET");
	mypool_conn_free(conn);
}
END_TEST

START_TEST(reconnect_starts_a_new_session)
{
	mypool_conn *conn = db();

	exec_ok(conn, "SET @v = 1");
	ck_assert_int_eq(scalar(conn, "SELECT @v"), 1);
	CK_OK(conn, mypool_reconnect(conn));
	ck_assert_int_eq(scalar(conn, "SELECT @v"), INT64_MIN);
	mypool_conn_free(conn);
}
END_TEST

/* ---- text protocol ---- */

static const char *const types_table =
	"CREATE OR REPLACE TABLE client_types ("
	" id INT PRIMARY KEY, i BIGINT, u BIGINT UNSIGNED, ti TINYINT, d DOUBLE, f FLOAT,"
	" de DECIMAL(20,6), s VARCHAR(50) CHARACTER SET utf8mb4, b VARBINARY(16), t TEXT,"
	" dt DATE, tm TIME, dtm DATETIME(6), ts TIMESTAMP NULL DEFAULT NULL, y YEAR, bits BIT(12),"
	" e ENUM('a','b'), n INT)";
static const char *const types_rows =
	"INSERT INTO client_types VALUES"
	" (1, -9223372036854775808, 18446744073709551615, -128, 3.141592653589793, 1.5,"
	"  '-12345678901234.123456', 'h\xc3\xa9llo \xf0\x9f\x98\x80', x'00ff00', 'text',"
	"  '2024-02-29', '-838:59:59', '2038-01-19 03:14:07.999999', '2001-02-03 04:05:06', 2155,"
	"  b'101000000101', 'b', NULL),"
	" (2, 9223372036854775807, 0, 127, -2.5e-3, -0.25, '0.000000', '', '', '', '1000-01-01',"
	"  '00:00:00', '1000-01-01 00:00:00', NULL, 1901, b'0', 'a', NULL)";

static void check_types(mypool_conn *conn, mypool_cursor *cur)
{
	static const enum mypool_type want_types[] = {
		MYPOOL_TYPE_INT, MYPOOL_TYPE_INT, MYPOOL_TYPE_UINT, MYPOOL_TYPE_INT,
		MYPOOL_TYPE_DOUBLE, MYPOOL_TYPE_DOUBLE, MYPOOL_TYPE_DECIMAL, MYPOOL_TYPE_STRING,
		MYPOOL_TYPE_BLOB, MYPOOL_TYPE_STRING, MYPOOL_TYPE_DATE, MYPOOL_TYPE_TIME,
		MYPOOL_TYPE_DATETIME, MYPOOL_TYPE_DATETIME, MYPOOL_TYPE_UINT, MYPOOL_TYPE_BIT,
		MYPOOL_TYPE_STRING, MYPOOL_TYPE_INT,
	};
	static const char *const names[] = { "id", "i", "u", "ti", "d", "f", "de", "s", "b", "t",
					     "dt", "tm", "dtm", "ts", "y", "bits", "e", "n" };
	mypool_row *row;
	int64_t i;
	uint64_t u;
	double d;
	unsigned c;

	ck_assert_uint_eq(mypool_column_count(cur), 18);
	for (c = 0; c < 18; c++) {
		ck_assert_str_eq(mypool_column_name(cur, c), names[c]);
		ck_assert_msg(mypool_column_type(cur, c) == want_types[c], "column %s: %s", names[c],
			      mypool_type_name(mypool_column_type(cur, c)));
	}
	ck_assert_int_eq(mypool_column_index(cur, "DTM"), 12);
	ck_assert_int_eq(mypool_column_index(cur, "nope"), MYPOOL_ERR_NO_COLUMN);

	ck_assert_int_eq(mypool_next(cur, &row), 1);
	CK_OK(conn, mypool_row_int64(row, 1, &i));
	ck_assert(i == INT64_MIN);
	CK_OK(conn, mypool_row_uint64(row, 2, &u));
	ck_assert(u == UINT64_MAX);
	ck_assert_int_eq(mypool_row_int64(row, 2, &i), MYPOOL_ERR_RANGE);
	CK_OK(conn, mypool_row_int64_by_name(row, "ti", &i));
	ck_assert(i == -128);
	ck_assert_int_eq(mypool_row_uint64(row, 3, &u), MYPOOL_ERR_RANGE);
	CK_OK(conn, mypool_row_double(row, 4, &d));
	ck_assert(d == 3.141592653589793);
	ASSERT_STR(row, 4, "3.141592653589793");
	CK_OK(conn, mypool_row_double_by_name(row, "f", &d));
	ck_assert(d == 1.5);
	ck_assert_int_eq(mypool_row_int64(row, 5, &i), MYPOOL_ERR_TYPE); /* 1.5 */
	ASSERT_STR(row, 6, "-12345678901234.123456");
	CK_OK(conn, mypool_row_double(row, 6, &d));
	ck_assert(d == -12345678901234.123456);
	ck_assert_int_eq(mypool_row_int64(row, 6, &i), MYPOOL_ERR_TYPE);
	ASSERT_STR(row, 7, "h\xc3\xa9llo \xf0\x9f\x98\x80");
	ck_assert_int_eq(mypool_row_int64(row, 7, &i), MYPOOL_ERR_TYPE);
	ASSERT_STR(row, 8, "\x00\xff\x00");
	ASSERT_STR(row, 9, "text");
	ASSERT_STR(row, 10, "2024-02-29");
	ASSERT_STR(row, 11, "-838:59:59");
	ASSERT_STR(row, 12, "2038-01-19 03:14:07.999999");
	ASSERT_STR(row, 13, "2001-02-03 04:05:06");
	CK_OK(conn, mypool_row_int64(row, 14, &i));
	ck_assert(i == 2155);
	CK_OK(conn, mypool_row_uint64_by_name(row, "bits", &u));
	ck_assert(u == 0xa05);
	ASSERT_STR(row, 16, "b");
	ck_assert_int_eq(mypool_row_is_null(row, 17), 1);
	ck_assert_int_eq(mypool_row_is_null_by_name(row, "e"), 0);
	ck_assert_int_eq(mypool_row_int64(row, 17, &i), MYPOOL_ERR_NULL);
	ck_assert_int_eq(mypool_last_error(conn), MYPOOL_ERR_NULL);
	ck_assert_msg(strstr(mypool_errmsg(conn), "(n)") != NULL, "%s", mypool_errmsg(conn));
	{
		const char *s = "unchanged";
		ck_assert_int_eq(mypool_row_string(row, 17, &s, NULL), MYPOOL_ERR_NULL);
		ck_assert_str_eq(s, "unchanged");
	}
	ck_assert_int_eq(mypool_row_is_null(row, 18), MYPOOL_ERR_NO_COLUMN);
	ck_assert_int_eq(mypool_row_int64_by_name(row, "nope", &i), MYPOOL_ERR_NO_COLUMN);
	ck_assert_msg(strstr(mypool_errmsg(conn), "nope") != NULL, "%s", mypool_errmsg(conn));

	ck_assert_int_eq(mypool_next(cur, &row), 1);
	CK_OK(conn, mypool_row_int64(row, 1, &i));
	ck_assert(i == INT64_MAX);
	CK_OK(conn, mypool_row_uint64(row, 2, &u));
	ck_assert(u == 0);
	CK_OK(conn, mypool_row_double(row, 4, &d));
	ck_assert(d == -2.5e-3);
	ASSERT_STR(row, 5, "-0.25");
	ASSERT_STR(row, 6, "0.000000");
	CK_OK(conn, mypool_row_int64(row, 6, &i)); /* an integral DECIMAL converts */
	ck_assert(i == 0);
	ASSERT_STR(row, 7, "");
	ck_assert_int_eq(mypool_row_is_null(row, 7), 0);
	ASSERT_STR(row, 8, "");
	ck_assert_int_eq(mypool_row_is_null(row, 13), 1);
	CK_OK(conn, mypool_row_int64(row, 15, &i));
	ck_assert(i == 0);
	ck_assert_uint_eq(mypool_cursor_row_count(cur), 2);

	ck_assert_int_eq(mypool_next(cur, &row), 0);
	ck_assert_ptr_null(row);
	ck_assert_int_eq(mypool_next(cur, &row), 0);
	ck_assert_uint_eq(mypool_cursor_row_count(cur), 2);
	/* metadata outlives the rows */
	ck_assert_str_eq(mypool_column_name(cur, 17), "n");
}

START_TEST(text_types_nulls_and_metadata)
{
	mypool_conn *conn = db();
	mypool_cursor *cur;

	exec_ok(conn, types_table);
	exec_ok(conn, types_rows);
	cur = query_ok(conn, "SELECT * FROM client_types ORDER BY id");
	check_types(conn, cur);
	mypool_cursor_close(cur);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(text_foreach_and_sum)
{
	mypool_conn *conn = db();
	mypool_cursor *cur = query_ok(conn, "SELECT seq FROM seq_1_to_1000");
	mypool_row *row;
	int64_t sum = 0, v;
	int rc;

	mypool_foreach_row (cur, row, rc) {
		CK_OK(conn, mypool_row_int64(row, 0, &v));
		sum += v;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(sum, 500500);
	ck_assert_uint_eq(mypool_cursor_row_count(cur), 1000);
	mypool_cursor_close(cur);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(text_exec_affected_rows_and_insert_id)
{
	mypool_conn *conn = db();
	uint64_t affected = 99, id = 99;

	exec_ok(conn, "CREATE OR REPLACE TABLE client_ai (id INT AUTO_INCREMENT PRIMARY KEY, "
		      "v INT)");
	CK_OK(conn, mypool_exec(conn, "INSERT INTO client_ai (v) VALUES (1), (2), (3)", &affected,
				&id));
	ck_assert_uint_eq(affected, 3);
	ck_assert_uint_eq(id, 1); /* the first id of a multi-row insert */
	CK_OK(conn, mypool_exec(conn, "INSERT INTO client_ai (v) VALUES (4)", &affected, &id));
	ck_assert_uint_eq(affected, 1);
	ck_assert_uint_eq(id, 4);
	CK_OK(conn, mypool_exec(conn, "UPDATE client_ai SET v = v + 1 WHERE v >= 3", &affected,
				&id));
	ck_assert_uint_eq(affected, 2);
	ck_assert_uint_eq(id, 0);
	CK_OK(conn, mypool_exec(conn, "SELECT * FROM client_ai", &affected, NULL));
	ck_assert_uint_eq(affected, 4); /* rows read and discarded */
	CK_OK(conn, mypool_exec(conn, "DELETE FROM client_ai", NULL, NULL));
	mypool_conn_free(conn);
}
END_TEST

START_TEST(text_server_errors_leave_the_connection_usable)
{
	mypool_conn *conn = db();

	ck_assert_ptr_null(mypool_query(conn, "SELEC 1"));
	ck_assert_int_eq(mypool_last_error(conn), MYPOOL_ERR_SERVER);
	ck_assert_uint_eq(mypool_errno(conn), 1064);
	ck_assert_str_eq(mypool_sqlstate(conn), "42000");
	ck_assert_msg(strstr(mypool_errmsg(conn), "syntax") != NULL, "%s", mypool_errmsg(conn));
	ck_assert_int_eq(scalar(conn, "SELECT 1"), 1);
	ck_assert_int_eq(mypool_last_error(conn), 0);
	ck_assert_str_eq(mypool_errmsg(conn), "");

	CK_FAILS(conn, mypool_exec(conn, "SELECT * FROM no_such_table", NULL, NULL),
		 MYPOOL_ERR_SERVER, 1146);
	ck_assert_str_eq(mypool_sqlstate(conn), "42S02");

	exec_ok(conn, "CREATE OR REPLACE TABLE client_dup (id INT PRIMARY KEY)");
	exec_ok(conn, "INSERT INTO client_dup VALUES (1)");
	CK_FAILS(conn, mypool_exec(conn, "INSERT INTO client_dup VALUES (1)", NULL, NULL),
		 MYPOOL_ERR_SERVER, 1062);
	ck_assert_str_eq(mypool_sqlstate(conn), "23000");
	ck_assert_int_eq(scalar(conn, "SELECT COUNT(*) FROM client_dup"), 1);
	mypool_conn_free(conn);
}
END_TEST

/* Row 500 fails while the result is streaming: the server ends it with an error packet. */
#define MIDSTREAM_ERROR_SQL \
	"SELECT seq, IF(seq = 500, (SELECT 1 UNION SELECT 2), seq) FROM seq_1_to_1000"

static void check_midstream_error(mypool_conn *conn, mypool_cursor *cur)
{
	mypool_row *row;
	int rc;
	int n = 0;

	mypool_foreach_row (cur, row, rc)
		n++;
	ck_assert_int_eq(rc, MYPOOL_ERR_SERVER);
	ck_assert_uint_eq(mypool_errno(conn), 1242);
	ck_assert_str_eq(mypool_sqlstate(conn), "21000");
	ck_assert_int_lt(n, 500);
	ck_assert_int_eq(mypool_next(cur, &row), MYPOOL_ERR_SERVER); /* sticky */
	/* the cursor gave the connection back */
	ck_assert_int_eq(scalar(conn, "SELECT 2"), 2);
	mypool_cursor_close(cur);
	ck_assert_int_eq(scalar(conn, "SELECT 3"), 3);
}

START_TEST(text_error_in_the_middle_of_a_result)
{
	mypool_conn *conn = db();

	check_midstream_error(conn, query_ok(conn, MIDSTREAM_ERROR_SQL));
	mypool_conn_free(conn);
}
END_TEST

START_TEST(text_one_statement_at_a_time)
{
	mypool_conn *conn = db();
	mypool_cursor *cur = query_ok(conn, "SELECT seq FROM seq_1_to_3"), *cur2;
	mypool_row *row;

	ck_assert_int_eq(mypool_next(cur, &row), 1);
	ck_assert_int_eq(mypool_exec(conn, "SELECT 1", NULL, NULL), MYPOOL_ERR_BUSY);
	ck_assert_ptr_null(mypool_query(conn, "SELECT 1"));
	ck_assert_int_eq(mypool_last_error(conn), MYPOOL_ERR_BUSY);
	ck_assert_int_eq(mypool_begin(conn), MYPOOL_ERR_BUSY);
	/* the cursor is not disturbed by the refusals */
	ck_assert_int_eq(mypool_next(cur, &row), 1);
	ck_assert_int_eq(mypool_next(cur, &row), 1);
	ck_assert_int_eq(mypool_next(cur, &row), 0);
	/* at its end the cursor no longer holds the connection, even before it is closed */
	cur2 = query_ok(conn, "SELECT 5");
	ck_assert_int_eq(mypool_next(cur2, &row), 1);
	ck_assert_int_eq(mypool_next(cur2, &row), 0);
	mypool_cursor_close(cur2);
	mypool_cursor_close(cur);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(text_statements_without_rows_and_empty_results)
{
	mypool_conn *conn = db();
	mypool_cursor *cur;
	mypool_row *row;

	exec_ok(conn, "CREATE OR REPLACE TABLE client_empty (a INT, b VARCHAR(3))");
	cur = query_ok(conn, "INSERT INTO client_empty VALUES (1, 'x')");
	ck_assert_uint_eq(mypool_column_count(cur), 0);
	ck_assert_int_eq(mypool_next(cur, &row), 0);
	mypool_cursor_close(cur);

	cur = query_ok(conn, "SELECT a, b FROM client_empty WHERE a > 10");
	ck_assert_uint_eq(mypool_column_count(cur), 2);
	ck_assert_str_eq(mypool_column_name(cur, 1), "b");
	ck_assert_int_eq(mypool_next(cur, &row), 0);
	ck_assert_int_eq(mypool_row_is_null(row, 0), MYPOOL_ERR_INVAL);
	mypool_cursor_close(cur);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(text_accessor_after_the_end_is_refused)
{
	mypool_conn *conn = db();
	mypool_cursor *cur = query_ok(conn, "SELECT 1");
	mypool_row *row, *kept;
	int64_t v;

	ck_assert_int_eq(mypool_next(cur, &kept), 1);
	ck_assert_int_eq(mypool_next(cur, &row), 0);
	ck_assert_int_eq(mypool_row_int64(kept, 0, &v), MYPOOL_ERR_INVAL);
	mypool_cursor_close(cur);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(text_call_returns_the_first_result_set)
{
	mypool_conn *conn = db();
	mypool_cursor *cur;
	mypool_row *row;
	int64_t v;

	exec_ok(conn, "CREATE OR REPLACE PROCEDURE client_two_results() "
		      "BEGIN SELECT 1 UNION SELECT 2; SELECT 3; END");
	cur = query_ok(conn, "CALL client_two_results()");
	ck_assert_int_eq(mypool_next(cur, &row), 1);
	CK_OK(conn, mypool_row_int64(row, 0, &v));
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(mypool_next(cur, &row), 1);
	ck_assert_int_eq(mypool_next(cur, &row), 0);
	mypool_cursor_close(cur);
	CK_OK(conn, mypool_exec(conn, "CALL client_two_results()", NULL, NULL));
	/* closing early also skips the later result sets */
	cur = query_ok(conn, "CALL client_two_results()");
	ck_assert_int_eq(mypool_next(cur, &row), 1);
	mypool_cursor_close(cur);
	ck_assert_int_eq(scalar(conn, "SELECT 4"), 4);
	mypool_conn_free(conn);
}
END_TEST

/* ---- prepared statements ---- */

START_TEST(prepared_types_match_the_text_protocol)
{
	mypool_conn *conn = db();
	mypool_cursor *cur;

	exec_ok(conn, types_table);
	exec_ok(conn, types_rows);
	cur = mypool_query_params(conn, "SELECT * FROM client_types ORDER BY id", NULL, 0);
	ck_assert_msg(cur != NULL, "%s", mypool_errmsg(conn));
	check_types(conn, cur);
	mypool_cursor_close(cur);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(prepared_parameters_round_trip)
{
	static const char blob[] = { 'a', 0, (char)0xff, 0, 'z' };
	static const char utf8[] = "h\xc3\xa9llo \xf0\x9f\x98\x80 'quoted' \\ \"x\"";
	mypool_conn *conn = db();
	mypool_param ins[] = {
		MYPOOL_INT64(1),
		MYPOOL_INT64(INT64_MIN),
		MYPOOL_UINT64(UINT64_MAX),
		MYPOOL_DOUBLE(-1.25e-300),
		MYPOOL_STRING(utf8),
		MYPOOL_BLOB(blob, sizeof(blob)),
		MYPOOL_NULL,
	};
	mypool_param sel[] = { MYPOOL_INT64(1), MYPOOL_STRINGN("xyz", 0) };
	mypool_cursor *cur;
	mypool_row *row;
	uint64_t affected, u;
	int64_t i;
	double d;

	exec_ok(conn, "CREATE OR REPLACE TABLE client_params (id INT PRIMARY KEY, i BIGINT, "
		      "u BIGINT UNSIGNED, d DOUBLE, s VARCHAR(100) CHARACTER SET utf8mb4, "
		      "b BLOB, n INT)");
	CK_OK(conn, mypool_exec_params(conn, "INSERT INTO client_params VALUES (?,?,?,?,?,?,?)",
				       ins, MYPOOL_NPARAMS(ins), &affected, NULL));
	ck_assert_uint_eq(affected, 1);
	cur = mypool_query_params(conn, "SELECT i, u, d, s, b, n, CONCAT(s, ?) FROM client_params "
					"WHERE id = ?", (mypool_param[]){ sel[1], sel[0] }, 2);
	ck_assert_msg(cur != NULL, "%s", mypool_errmsg(conn));
	ck_assert_int_eq(mypool_next(cur, &row), 1);
	CK_OK(conn, mypool_row_int64(row, 0, &i));
	ck_assert(i == INT64_MIN);
	ASSERT_STR(row, 0, "-9223372036854775808");
	CK_OK(conn, mypool_row_uint64(row, 1, &u));
	ck_assert(u == UINT64_MAX);
	ASSERT_STR(row, 1, "18446744073709551615");
	CK_OK(conn, mypool_row_double(row, 2, &d));
	ck_assert(d == -1.25e-300);
	ASSERT_STR(row, 2, "-1.25e-300");
	assert_string(row, 3, utf8, sizeof(utf8) - 1);
	assert_string(row, 4, blob, sizeof(blob));
	ck_assert_int_eq(mypool_row_is_null(row, 5), 1);
	assert_string(row, 6, utf8, sizeof(utf8) - 1);
	ck_assert_int_eq(mypool_next(cur, &row), 0);
	mypool_cursor_close(cur);

	/* more parameters than fit on the library's stack array */
	{
		mypool_param many[20];
		char sql[128] = "SELECT ?";
		int k;

		for (k = 0; k < 20; k++) {
			many[k] = MYPOOL_INT64(k + 1);
			if (k > 0)
				strcat(sql, "+?");
		}
		cur = mypool_query_params(conn, sql, many, 20);
		ck_assert_msg(cur != NULL, "%s", mypool_errmsg(conn));
		ck_assert_int_eq(mypool_next(cur, &row), 1);
		CK_OK(conn, mypool_row_int64(row, 0, &i));
		ck_assert_int_eq(i, 210);
		mypool_cursor_close(cur);
	}

	/* a NULL parameter matches nothing with '=', and IS NULL-safe <=> finds it */
	cur = mypool_query_params(conn, "SELECT COUNT(*) FROM client_params WHERE n <=> ?",
				  (mypool_param[]){ MYPOOL_NULL }, 1);
	ck_assert_msg(cur != NULL, "%s", mypool_errmsg(conn));
	ck_assert_int_eq(mypool_next(cur, &row), 1);
	CK_OK(conn, mypool_row_int64(row, 0, &i));
	ck_assert_int_eq(i, 1);
	mypool_cursor_close(cur);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(prepared_values_are_never_pasted_into_sql)
{
	mypool_conn *conn = db();
	mypool_param p[] = { MYPOOL_STRING("1; DROP TABLE client_inject; --"),
			     MYPOOL_STRING("' OR '1'='1") };
	mypool_cursor *cur;
	mypool_row *row;

	exec_ok(conn, "CREATE OR REPLACE TABLE client_inject (s VARCHAR(100))");
	exec_ok(conn, "INSERT INTO client_inject VALUES ('a')");
	cur = mypool_query_params(conn, "SELECT s FROM client_inject WHERE s = ? OR s = ?", p, 2);
	ck_assert_msg(cur != NULL, "%s", mypool_errmsg(conn));
	ck_assert_int_eq(mypool_next(cur, &row), 0);
	mypool_cursor_close(cur);
	ck_assert_int_eq(scalar(conn, "SELECT COUNT(*) FROM client_inject"), 1);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(prepared_long_values_are_fetched_whole)
{
	mypool_conn *conn = db();
	mypool_cursor *cur;
	mypool_row *row;
	int rc;
	int64_t n = 0;

	/* Values from 1 byte to 1 MiB, growing then shrinking, in a column whose first buffer
	 * is small: each longer value is truncated, fetched again whole, and re-bound. */
	cur = mypool_query_params(conn,
				  "SELECT seq, REPEAT(CHAR(65 + seq % 26), IF(seq <= 21, 1 << (seq - 1), "
				  "42 - seq)) AS v FROM seq_1_to_41",
				  NULL, 0);
	ck_assert_msg(cur != NULL, "%s", mypool_errmsg(conn));
	mypool_foreach_row (cur, row, rc) {
		int64_t seq;
		const char *s;
		size_t len, want, k;

		CK_OK(conn, mypool_row_int64(row, 0, &seq));
		CK_OK(conn, mypool_row_string_by_name(row, "v", &s, &len));
		want = seq <= 21 ? (size_t)1 << (seq - 1) : (size_t)(42 - seq);
		ck_assert_uint_eq(len, want);
		for (k = 0; k < len; k++)
			if (s[k] != (char)(65 + seq % 26))
				ck_abort_msg("row %" PRId64 ": byte %zu is %d", seq, k, s[k]);
		ck_assert_int_eq(s[len], '\0');
		n++;
	}
	ck_assert_msg(rc == 0, "%s", mypool_errmsg(conn));
	ck_assert_int_eq(n, 41);
	mypool_cursor_close(cur);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(prepared_parameter_count_must_match)
{
	mypool_conn *conn = db();
	mypool_param p[] = { MYPOOL_INT64(1), MYPOOL_INT64(2) };

	ck_assert_ptr_null(mypool_query_params(conn, "SELECT ?", p, 2));
	ck_assert_int_eq(mypool_last_error(conn), MYPOOL_ERR_INVAL);
	ck_assert_msg(strstr(mypool_errmsg(conn), "1 placeholders") != NULL, "%s",
		      mypool_errmsg(conn));
	ck_assert_int_eq(mypool_exec_params(conn, "SELECT ?, ?", p, 1, NULL, NULL),
			 MYPOOL_ERR_INVAL);
	ck_assert_int_eq(mypool_exec_params(conn, "SELECT ?", NULL, 1, NULL, NULL),
			 MYPOOL_ERR_INVAL);
	ck_assert_int_eq(scalar(conn, "SELECT 1"), 1);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(prepared_errors)
{
	mypool_conn *conn = db();
	mypool_param p[] = { MYPOOL_INT64(1) };

	ck_assert_ptr_null(mypool_query_params(conn, "SELEC ?", p, 1));
	ck_assert_int_eq(mypool_last_error(conn), MYPOOL_ERR_SERVER);
	ck_assert_uint_eq(mypool_errno(conn), 1064);
	ck_assert_str_eq(mypool_sqlstate(conn), "42000");
	exec_ok(conn, "CREATE OR REPLACE TABLE client_pdup (id INT PRIMARY KEY)");
	CK_OK(conn, mypool_exec_params(conn, "INSERT INTO client_pdup VALUES (?)", p, 1, NULL,
				       NULL));
	CK_FAILS(conn, mypool_exec_params(conn, "INSERT INTO client_pdup VALUES (?)", p, 1, NULL,
					  NULL),
		 MYPOOL_ERR_SERVER, 1062);
	ck_assert_str_eq(mypool_sqlstate(conn), "23000");
	{
		mypool_cursor *cur = mypool_query_params(conn, MIDSTREAM_ERROR_SQL, NULL, 0);

		ck_assert_msg(cur != NULL, "%s", mypool_errmsg(conn));
		check_midstream_error(conn, cur);
	}
	mypool_conn_free(conn);
}
END_TEST

START_TEST(prepared_exec_affected_rows_and_insert_id)
{
	mypool_conn *conn = db();
	mypool_param p[] = { MYPOOL_INT64(10), MYPOOL_INT64(20) };
	uint64_t affected = 0, id = 0;

	exec_ok(conn, "CREATE OR REPLACE TABLE client_pai (id INT AUTO_INCREMENT PRIMARY KEY, "
		      "v INT)");
	exec_ok(conn, "ALTER TABLE client_pai AUTO_INCREMENT = 100");
	CK_OK(conn, mypool_exec_params(conn, "INSERT INTO client_pai (v) VALUES (?), (?)", p, 2,
				       &affected, &id));
	ck_assert_uint_eq(affected, 2);
	ck_assert_uint_eq(id, 100);
	CK_OK(conn, mypool_exec_params(conn, "UPDATE client_pai SET v = v + 1 WHERE v > ?", p, 1,
				       &affected, &id));
	ck_assert_uint_eq(affected, 1);
	CK_OK(conn, mypool_exec_params(conn, "SELECT * FROM client_pai", NULL, 0, &affected,
				       NULL));
	ck_assert_uint_eq(affected, 2);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(prepared_call_returns_the_first_result_set)
{
	mypool_conn *conn = db();
	mypool_cursor *cur;
	mypool_row *row;
	int64_t v;

	exec_ok(conn, "CREATE OR REPLACE PROCEDURE client_p2(x INT) "
		      "BEGIN SELECT x UNION SELECT x + 1; SELECT 3; END");
	cur = mypool_query_params(conn, "CALL client_p2(?)", (mypool_param[]){ MYPOOL_INT64(7) },
				  1);
	ck_assert_msg(cur != NULL, "%s", mypool_errmsg(conn));
	ck_assert_int_eq(mypool_next(cur, &row), 1);
	CK_OK(conn, mypool_row_int64(row, 0, &v));
	ck_assert_int_eq(v, 7);
	ck_assert_int_eq(mypool_next(cur, &row), 1);
	ck_assert_int_eq(mypool_next(cur, &row), 0);
	mypool_cursor_close(cur);
	CK_OK(conn, mypool_exec_params(conn, "CALL client_p2(?)",
				       (mypool_param[]){ MYPOOL_INT64(1) }, 1, NULL, NULL));
	ck_assert_int_eq(scalar(conn, "SELECT 4"), 4);
	mypool_conn_free(conn);
}
END_TEST

/* ---- streaming and early close ---- */

#define BIG_ROWS 1000000
#define BIG_SQL "SELECT seq, REPEAT('x', 100) FROM seq_1_to_1000000"

/* Stream BIG_ROWS rows of ~100 bytes (~110 MB): all rows arrive, in order, and the RSS of the
 * process does not grow with them. */
static void stream_big(mypool_conn *conn, mypool_cursor *cur)
{
	mypool_row *row;
	int64_t n = 0, sum = 0, v;
	long start = -1, peak = 0, now;
	int rc;

	ck_assert_msg(cur != NULL, "%s", mypool_errmsg(conn));
	mypool_foreach_row (cur, row, rc) {
		const char *s;
		size_t len;

		if (mypool_row_int64(row, 0, &v) != 0 || mypool_row_string(row, 1, &s, &len) != 0 ||
		    len != 100 || v != n + 1)
			ck_abort_msg("row %" PRId64 ": bad values (%s)", n, mypool_errmsg(conn));
		sum += v;
		n++;
		if (n == 1000)
			start = rss_kb();
		if (n % 50000 == 0 && (now = rss_kb()) > peak)
			peak = now;
	}
	ck_assert_msg(rc == 0, "%s", mypool_errmsg(conn));
	ck_assert_int_eq(n, BIG_ROWS);
	ck_assert(sum == (int64_t)BIG_ROWS * (BIG_ROWS + 1) / 2);
	fprintf(stderr, "# streamed %" PRId64 " rows; RSS %ld kB after 1000 rows, peak %ld kB\n", n,
		start, peak);
	/* ~110 MB went through: a buffered result would add that much. */
	ck_assert_msg(peak - start < 4096, "RSS grew from %ld to %ld kB", start, peak);
	mypool_cursor_close(cur);
}

START_TEST(stream_a_million_rows_text)
{
	mypool_conn *conn = db();

	stream_big(conn, mypool_query(conn, BIG_SQL));
	mypool_conn_free(conn);
}
END_TEST

START_TEST(stream_a_million_rows_prepared)
{
	mypool_conn *conn = db();

	stream_big(conn, mypool_query_params(conn, BIG_SQL, NULL, 0));
	mypool_conn_free(conn);
}
END_TEST

typedef mypool_cursor *(*open_fn)(mypool_conn *conn, const char *sql);

static mypool_cursor *open_text(mypool_conn *conn, const char *sql)
{
	return mypool_query(conn, sql);
}

static mypool_cursor *open_prepared(mypool_conn *conn, const char *sql)
{
	return mypool_query_params(conn, sql, NULL, 0);
}

static void read_some_and_close(mypool_conn *conn, open_fn open, const char *sql, int n)
{
	mypool_cursor *cur = open(conn, sql);
	mypool_row *row;
	int i;

	ck_assert_msg(cur != NULL, "%s: %s", sql, mypool_errmsg(conn));
	for (i = 0; i < n; i++)
		ck_assert_int_eq(mypool_next(cur, &row), 1);
	mypool_cursor_close(cur);
}

/* A small rest is read and discarded: the session survives. */
static void early_close_small(open_fn open)
{
	mypool_conn *conn = db();

	exec_ok(conn, "SET @kept = 42");
	read_some_and_close(conn, open, "SELECT seq FROM seq_1_to_100", 1);
	ck_assert_int_eq(scalar(conn, "SELECT @kept"), 42);
	mypool_conn_free(conn);
}

/* A big rest outside a transaction: the connection is dropped and reopened, cheaply. */
static void early_close_big(open_fn open)
{
	mypool_conn *conn = db();

	exec_ok(conn, "SET @kept = 42");
	read_some_and_close(conn, open, BIG_SQL, 10);
	ck_assert_int_eq(scalar(conn, "SELECT @kept"), INT64_MIN); /* a new session */
	ck_assert_int_eq(scalar(conn, "SELECT COUNT(*) FROM seq_1_to_10"), 10);
	mypool_conn_free(conn);
}

/* A big rest inside a transaction: drained, so the transaction is still there. */
static void early_close_in_transaction(open_fn open)
{
	mypool_conn *conn = db();

	exec_ok(conn, "CREATE OR REPLACE TABLE client_tx_close (id INT PRIMARY KEY) ENGINE=InnoDB");
	CK_OK(conn, mypool_begin(conn));
	exec_ok(conn, "INSERT INTO client_tx_close VALUES (1)");
	read_some_and_close(conn, open, BIG_SQL, 10);
	ck_assert_int_eq(scalar(conn, "SELECT @@in_transaction"), 1);
	ck_assert_int_eq(scalar(conn, "SELECT COUNT(*) FROM client_tx_close"), 1);
	CK_OK(conn, mypool_rollback(conn));
	ck_assert_int_eq(scalar(conn, "SELECT COUNT(*) FROM client_tx_close"), 0);
	mypool_conn_free(conn);
}

/* MYPOOL_CLOSE_DRAIN keeps the session whatever the size. */
static void early_close_drain_policy(open_fn open)
{
	mypool_conn *conn = db();

	CK_OK(conn, mypool_conn_set_close_policy(conn, MYPOOL_CLOSE_DRAIN));
	exec_ok(conn, "SET @kept = 42");
	read_some_and_close(conn, open, "SELECT seq, REPEAT('x', 100) FROM seq_1_to_200000", 10);
	ck_assert_int_eq(scalar(conn, "SELECT @kept"), 42);
	mypool_conn_free(conn);
}

/* Freeing the connection under an open cursor detaches it; closing it later is safe. */
static void free_conn_under_cursor(open_fn open)
{
	mypool_conn *conn = db();
	mypool_cursor *cur = open(conn, BIG_SQL);
	mypool_row *row;

	ck_assert_ptr_nonnull(cur);
	ck_assert_int_eq(mypool_next(cur, &row), 1);
	mypool_conn_free(conn);
	ck_assert_int_eq(mypool_next(cur, &row), MYPOOL_ERR_NOT_CONNECTED);
	ck_assert_str_eq(mypool_column_name(cur, 0), "seq");
	mypool_cursor_close(cur);
}

START_TEST(early_close_text)
{
	early_close_small(open_text);
	early_close_big(open_text);
	early_close_in_transaction(open_text);
	early_close_drain_policy(open_text);
	free_conn_under_cursor(open_text);
}
END_TEST

START_TEST(early_close_prepared)
{
	early_close_small(open_prepared);
	early_close_big(open_prepared);
	early_close_in_transaction(open_prepared);
	early_close_drain_policy(open_prepared);
	free_conn_under_cursor(open_prepared);
}
END_TEST

/* ---- transactions ---- */

START_TEST(begin_commit_rollback)
{
	mypool_conn *conn = db();

	exec_ok(conn, "CREATE OR REPLACE TABLE client_tx (id INT PRIMARY KEY) ENGINE=InnoDB");
	CK_OK(conn, mypool_begin(conn));
	exec_ok(conn, "INSERT INTO client_tx VALUES (1)");
	CK_OK(conn, mypool_rollback(conn));
	ck_assert_int_eq(scalar(conn, "SELECT COUNT(*) FROM client_tx"), 0);
	CK_OK(conn, mypool_begin(conn));
	exec_ok(conn, "INSERT INTO client_tx VALUES (2)");
	CK_OK(conn, mypool_commit(conn));
	ck_assert_int_eq(scalar(conn, "SELECT COUNT(*) FROM client_tx"), 1);
	mypool_conn_free(conn);
}
END_TEST

/* Two threads move money between the same two accounts in opposite orders. On the first
 * attempt both wait at a barrier after their first UPDATE, so their second UPDATEs deadlock for
 * certain: InnoDB kills one (1213), the helper rolls it back and runs it again. */
struct mover {
	pthread_barrier_t *barrier;
	const char *first, *second;
	int attempts;
	int rc;
	unsigned err_no;
	char err[256];
};

static int move_money(mypool_conn *conn, void *arg)
{
	struct mover *m = arg;
	int rc;

	m->attempts++;
	rc = mypool_exec(conn, m->first, NULL, NULL);
	if (rc < 0)
		return rc;
	if (m->attempts == 1)
		pthread_barrier_wait(m->barrier);
	return mypool_exec(conn, m->second, NULL, NULL);
}

static void *mover_thread(void *arg)
{
	struct mover *m = arg;
	mypool_conn *conn = mypool_conn_new();

	if (conn == NULL || mypool_connect(conn, target, user, password, database) != 0) {
		m->rc = -100;
		if (conn != NULL)
			snprintf(m->err, sizeof(m->err), "%s", mypool_errmsg(conn));
		pthread_barrier_wait(m->barrier); /* do not leave the other one waiting */
		mypool_conn_free(conn);
		return NULL;
	}
	m->rc = mypool_transaction(conn, 5, move_money, m);
	m->err_no = mypool_errno(conn);
	snprintf(m->err, sizeof(m->err), "%s", mypool_errmsg(conn));
	mypool_conn_free(conn);
	return NULL;
}

START_TEST(transaction_retries_a_real_deadlock)
{
	mypool_conn *conn = db();
	pthread_barrier_t barrier;
	struct mover a = { &barrier, "UPDATE client_acct SET bal = bal - 10 WHERE id = 1",
			   "UPDATE client_acct SET bal = bal + 10 WHERE id = 2", 0, 0, 0, "" };
	struct mover b = { &barrier, "UPDATE client_acct SET bal = bal - 5 WHERE id = 2",
			   "UPDATE client_acct SET bal = bal + 5 WHERE id = 1", 0, 0, 0, "" };
	pthread_t ta, tb;

	exec_ok(conn, "CREATE OR REPLACE TABLE client_acct (id INT PRIMARY KEY, bal BIGINT) "
		      "ENGINE=InnoDB");
	exec_ok(conn, "INSERT INTO client_acct VALUES (1, 100), (2, 100)");
	pthread_barrier_init(&barrier, NULL, 2);
	ck_assert_int_eq(pthread_create(&ta, NULL, mover_thread, &a), 0);
	ck_assert_int_eq(pthread_create(&tb, NULL, mover_thread, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&barrier);
	ck_assert_msg(a.rc == 0 && b.rc == 0, "a: %d %s; b: %d %s", a.rc, a.err, b.rc, b.err);
	/* one of them deadlocked once and ran again */
	ck_assert_msg(a.attempts + b.attempts == 3, "attempts %d + %d", a.attempts, b.attempts);
	ck_assert_int_eq(scalar(conn, "SELECT bal FROM client_acct WHERE id = 1"), 95);
	ck_assert_int_eq(scalar(conn, "SELECT bal FROM client_acct WHERE id = 2"), 105);
	mypool_conn_free(conn);
}
END_TEST

/* A lock held for 1.5 s by another connection; innodb_lock_wait_timeout = 1 s. */
struct holder {
	mypool_conn *conn;
	int rc;
};

static void *release_later(void *arg)
{
	struct holder *h = arg;
	struct timespec ts = { 1, 500000000 };

	nanosleep(&ts, NULL);
	h->rc = mypool_commit(h->conn);
	return NULL;
}

static int bump(mypool_conn *conn, void *arg)
{
	int *attempts = arg;

	(*attempts)++;
	return mypool_exec(conn, "UPDATE client_lock SET v = v + 1 WHERE id = 1", NULL, NULL);
}

START_TEST(transaction_retries_a_lock_wait_timeout)
{
	mypool_conn *conn = db(), *other = db();
	struct holder h = { other, -1 };
	pthread_t th;
	int attempts = 0;

	exec_ok(conn, "CREATE OR REPLACE TABLE client_lock (id INT PRIMARY KEY, v INT) "
		      "ENGINE=InnoDB");
	exec_ok(conn, "INSERT INTO client_lock VALUES (1, 0)");
	exec_ok(conn, "SET SESSION innodb_lock_wait_timeout = 1");
	CK_OK(other, mypool_begin(other));
	exec_ok(other, "UPDATE client_lock SET v = 100 WHERE id = 1");
	ck_assert_int_eq(pthread_create(&th, NULL, release_later, &h), 0);
	CK_OK(conn, mypool_transaction(conn, 5, bump, &attempts));
	pthread_join(th, NULL);
	ck_assert_int_eq(h.rc, 0);
	ck_assert_int_ge(attempts, 2); /* the first one timed out (1205) */
	ck_assert_int_eq(scalar(conn, "SELECT v FROM client_lock WHERE id = 1"), 101);
	mypool_conn_free(other);
	mypool_conn_free(conn);
}
END_TEST

static int always_deadlocks(mypool_conn *conn, void *arg)
{
	int *attempts = arg;
	int rc;

	(*attempts)++;
	rc = mypool_exec(conn, "INSERT INTO client_retry VALUES (1)", NULL, NULL);
	if (rc < 0)
		return rc;
	return mypool_exec(conn, "SIGNAL SQLSTATE '40001' SET MESSAGE_TEXT = 'fake deadlock', "
				 "MYSQL_ERRNO = 1213", NULL, NULL);
}

static int fails_otherwise(mypool_conn *conn, void *arg)
{
	int *attempts = arg;
	int rc;

	(*attempts)++;
	rc = mypool_exec(conn, "INSERT INTO client_retry VALUES (1)", NULL, NULL);
	if (rc < 0)
		return rc;
	return mypool_exec(conn, "INSERT INTO client_retry VALUES (1)", NULL, NULL); /* 1062 */
}

static int gives_up(mypool_conn *conn, void *arg)
{
	int *attempts = arg;
	int rc;

	(*attempts)++;
	rc = mypool_exec(conn, "INSERT INTO client_retry VALUES (1)", NULL, NULL);
	return rc < 0 ? rc : 7;
}

START_TEST(transaction_gives_up_after_max_attempts)
{
	mypool_conn *conn = db();
	int attempts = 0;

	exec_ok(conn, "CREATE OR REPLACE TABLE client_retry (id INT PRIMARY KEY) ENGINE=InnoDB");
	CK_FAILS(conn, mypool_transaction(conn, 3, always_deadlocks, &attempts), MYPOOL_ERR_SERVER,
		 1213);
	ck_assert_str_eq(mypool_sqlstate(conn), "40001");
	ck_assert_str_eq(mypool_errmsg(conn), "fake deadlock");
	ck_assert_int_eq(attempts, 3);
	ck_assert_int_eq(scalar(conn, "SELECT @@in_transaction"), 0);
	ck_assert_int_eq(scalar(conn, "SELECT COUNT(*) FROM client_retry"), 0);

	attempts = 0;
	CK_FAILS(conn, mypool_transaction(conn, 3, fails_otherwise, &attempts), MYPOOL_ERR_SERVER,
		 1062);
	ck_assert_int_eq(attempts, 1);
	ck_assert_int_eq(scalar(conn, "SELECT COUNT(*) FROM client_retry"), 0);

	attempts = 0;
	ck_assert_int_eq(mypool_transaction(conn, 3, gives_up, &attempts), 7);
	ck_assert_int_eq(attempts, 1);
	ck_assert_int_eq(scalar(conn, "SELECT @@in_transaction"), 0);
	ck_assert_int_eq(scalar(conn, "SELECT COUNT(*) FROM client_retry"), 0);
	mypool_conn_free(conn);
}
END_TEST

/* ---- threads ---- */

#define THREADS 8

static void *worker(void *arg)
{
	int *ok = arg;
	mypool_conn *conn = mypool_conn_new(); /* the first calls race on the library's setup */
	int i;

	*ok = 0;
	if (conn == NULL || mypool_connect(conn, target, user, password, database) != 0)
		goto out;
	for (i = 0; i < 50; i++) {
		mypool_cursor *cur = mypool_query(conn, "SELECT seq FROM seq_1_to_100");
		mypool_row *row;
		int64_t sum = 0, v;
		int rc;

		if (cur == NULL)
			goto out;
		mypool_foreach_row (cur, row, rc)
			if (mypool_row_int64(row, 0, &v) == 0)
				sum += v;
		mypool_cursor_close(cur);
		if (rc != 0 || sum != 5050)
			goto out;
	}
	*ok = 1;
out:
	mypool_conn_free(conn);
	return NULL;
}

START_TEST(one_connection_per_thread)
{
	pthread_t th[THREADS];
	int ok[THREADS], i;

	ck_assert_ptr_nonnull(target);
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &ok[i]), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < THREADS; i++)
		ck_assert_msg(ok[i], "thread %d failed", i);
}
END_TEST

/* ---- suite ---- */

static TCase *tcase(Suite *s, const char *name, const char *tags, double timeout)
{
	TCase *tc = tcase_create(name);

	tcase_set_tags(tc, tags);
	tcase_set_timeout(tc, timeout);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc;

	tc = tcase(s, "connect", "text", 30);
	tcase_add_test(tc, connect_and_session_defaults);
	tcase_add_test(tc, connect_with_a_wrong_password_is_1045);
	tcase_add_test(tc, connect_through_mypool_socket_env);
	tcase_add_test(tc, reconnect_starts_a_new_session);

	tc = tcase(s, "text", "text", 30);
	tcase_add_test(tc, text_types_nulls_and_metadata);
	tcase_add_test(tc, text_foreach_and_sum);
	tcase_add_test(tc, text_exec_affected_rows_and_insert_id);
	tcase_add_test(tc, text_server_errors_leave_the_connection_usable);
	tcase_add_test(tc, text_error_in_the_middle_of_a_result);
	tcase_add_test(tc, text_one_statement_at_a_time);
	tcase_add_test(tc, text_statements_without_rows_and_empty_results);
	tcase_add_test(tc, text_accessor_after_the_end_is_refused);
	tcase_add_test(tc, text_call_returns_the_first_result_set);

	tc = tcase(s, "prepared", "prepared", 30);
	tcase_add_test(tc, prepared_types_match_the_text_protocol);
	tcase_add_test(tc, prepared_parameters_round_trip);
	tcase_add_test(tc, prepared_values_are_never_pasted_into_sql);
	tcase_add_test(tc, prepared_long_values_are_fetched_whole);
	tcase_add_test(tc, prepared_parameter_count_must_match);
	tcase_add_test(tc, prepared_errors);
	tcase_add_test(tc, prepared_exec_affected_rows_and_insert_id);
	tcase_add_test(tc, prepared_call_returns_the_first_result_set);

	tc = tcase(s, "stream_text", "text", 120);
	tcase_add_test(tc, stream_a_million_rows_text);
	tcase_add_test(tc, early_close_text);

	tc = tcase(s, "stream_prepared", "prepared", 120);
	tcase_add_test(tc, stream_a_million_rows_prepared);
	tcase_add_test(tc, early_close_prepared);

	tc = tcase(s, "transactions", "text", 60);
	tcase_add_test(tc, begin_commit_rollback);
	tcase_add_test(tc, transaction_retries_a_real_deadlock);
	tcase_add_test(tc, transaction_retries_a_lock_wait_timeout);
	tcase_add_test(tc, transaction_gives_up_after_max_attempts);

	tc = tcase(s, "threads", "text", 60);
	tcase_add_test(tc, one_connection_per_thread);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	target = getenv("MYPOOL_TEST_SOCKET");
	if (target != NULL && target[0] == '\0')
		target = NULL;
	user = env_or("MYPOOL_TEST_USER", "app");
	password = env_or("MYPOOL_TEST_PASSWORD", "apppw");
	database = env_or("MYPOOL_TEST_DB", "test");
	if (target == NULL)
		fprintf(stderr, "check_client: MYPOOL_TEST_SOCKET is not set; every test fails\n");
	else
		fprintf(stderr, "check_client: testing %s as %s, database %s\n", target, user,
			database);
	sr = srunner_create(client_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	/* A filter (CK_INCLUDE_TAGS...) that selects nothing must not pass silently. */
	if (srunner_ntests_run(sr) == 0) {
		fprintf(stderr, "check_client: no test ran\n");
		failed = 1;
	}
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
