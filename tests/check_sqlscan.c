/* sqlscan: which statements carry session state the server does not report. */
#include "autoconfig.h"

#include <string.h>

#include "check_main.h"
#include "sqlscan.h"

/* The flags but SQL_CALLS (tested on its own: most statements here call something), SQL_PROGRAM
 * and SQL_INSERT (also on their own: lid()). */
static unsigned scan(const char *sql)
{
	return sqlscan(sql, strlen(sql)) & ~(unsigned)(SQL_CALLS | SQL_PROGRAM | SQL_INSERT);
}
static unsigned lid(const char *sql) { return sqlscan(sql, strlen(sql)) & (SQL_PROGRAM | SQL_INSERT); }
static unsigned calls(const char *sql) { return sqlscan(sql, strlen(sql)) & SQL_CALLS; }

START_TEST(test_user_variables)
{
	ck_assert_uint_eq(scan("SET @a = 1"), SQL_USER_VAR);
	ck_assert_uint_eq(scan("set @a:=1, @b=2"), SQL_USER_VAR);
	ck_assert_uint_eq(scan("SELECT @b := 2"), SQL_USER_VAR);
	ck_assert_uint_eq(scan("DO @c:=3"), SQL_USER_VAR);
	ck_assert_uint_eq(scan("SELECT 1 INTO @d"), SQL_USER_VAR);
	ck_assert_uint_eq(scan("SELECT a, b FROM t INTO @x, @y"), SQL_USER_VAR);
	ck_assert_uint_eq(scan("SET @`quoted var` = 1"), SQL_USER_VAR);
	/* Reading a user variable, or system variables, changes nothing. */
	ck_assert_uint_eq(scan("SELECT @a"), 0);
	ck_assert_uint_eq(scan("SELECT @@session.sql_mode, @@autocommit"), 0);
	ck_assert_uint_eq(scan("SET @@session.sql_mode = ''"), 0);
	ck_assert_uint_eq(scan("SET SESSION time_zone = '+00:00'"), 0);
	ck_assert_uint_eq(scan("INSERT INTO t VALUES (@a)"), SQL_USER_VAR); /* conservative: INTO before @ */
}
END_TEST

START_TEST(test_literals_and_comments_are_skipped)
{
	ck_assert_uint_eq(scan("SELECT 'SET @a = 1', \"x := 2\", `@c`"), 0);
	ck_assert_uint_eq(scan("SELECT 'it''s @a:=1'"), 0);
	ck_assert_uint_eq(scan("SELECT 'a\\' @b:=1'"), 0);
	ck_assert_uint_eq(scan("SELECT 1 -- GET_LOCK(x)\n"), 0);
	ck_assert_uint_eq(scan("SELECT 1 # CONNECTION_ID()\n, 2"), 0);
	ck_assert_uint_eq(scan("SELECT /* @a := 1 */ 1"), 0);
	/* Executable comments are code. */
	ck_assert_uint_eq(scan("SELECT /*!50000 @a := 1 */"), SQL_USER_VAR);
	ck_assert_uint_eq(scan("/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE */"), SQL_USER_VAR);
	/* An unterminated literal or comment ends the scan without reading past the end. */
	ck_assert_uint_eq(scan("SELECT 'unterminated @a := 1"), 0);
	ck_assert_uint_eq(scan("SELECT /* unterminated"), 0);
	ck_assert_uint_eq(sqlscan("SET @a=1", 3), 0); /* only "SET" is scanned */
	ck_assert_uint_eq(sqlscan("", 0), 0);
}
END_TEST

START_TEST(test_functions_and_statements)
{
	ck_assert_uint_eq(scan("SELECT GET_LOCK('l', 0)"), SQL_GET_LOCK);
	ck_assert_uint_eq(scan("do release_lock('l')"), SQL_GET_LOCK);
	ck_assert_uint_eq(scan("SELECT CONNECTION_ID()"), SQL_CONNECTION_ID);
	ck_assert_uint_eq(scan("SELECT LAST_INSERT_ID()"), SQL_LAST_INSERT_ID);
	ck_assert_uint_eq(scan("SELECT LAST_INSERT_ID( )"), SQL_LAST_INSERT_ID);
	ck_assert_uint_eq(scan("SELECT LAST_INSERT_ID(42)"), SQL_LAST_INSERT_ID | SQL_SET_LAST_INSERT_ID);
	ck_assert_uint_eq(scan("UPDATE t SET id = LAST_INSERT_ID(id + 1)"), SQL_LAST_INSERT_ID | SQL_SET_LAST_INSERT_ID);
	ck_assert_uint_eq(scan("SELECT @@last_insert_id, @@session.identity"), SQL_LAST_INSERT_ID);
	ck_assert_uint_eq(scan("SELECT @@identity"), SQL_LAST_INSERT_ID);
	ck_assert_uint_eq(scan("SELECT @@identity_thing"), 0);
	ck_assert_uint_eq(scan("SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 1"), SQL_CALC_FOUND_ROWS);
	ck_assert_uint_eq(scan("CREATE TEMPORARY TABLE t (a int)"), SQL_TEMP_TABLE);
	ck_assert_uint_eq(scan("drop temporary table if exists t"), SQL_TEMP_TABLE);
	ck_assert_uint_eq(scan("CREATE TABLE temporary_stuff (a int)"), 0);
	ck_assert_uint_eq(scan("SELECT temporary FROM t"), 0);
	ck_assert_uint_eq(scan("PREPARE s FROM 'SELECT 1'"), SQL_PREPARE);
	ck_assert_uint_eq(scan("EXECUTE s"), SQL_PREPARE);
	ck_assert_uint_eq(scan("LOCK TABLES t WRITE"), SQL_LOCKING);
	ck_assert_uint_eq(scan("FLUSH TABLES WITH READ LOCK"), SQL_LOCKING);
	ck_assert_uint_eq(scan("HANDLER t OPEN"), SQL_LOCKING);
	ck_assert_uint_eq(scan("SELECT 1 FROM t LOCK IN SHARE MODE"), 0);
	ck_assert_uint_eq(scan("SELECT get_lock_count FROM t"), 0);
	ck_assert_uint_eq(scan("SHOW WARNINGS"), SQL_DIAGNOSTICS);
	ck_assert_uint_eq(scan("show count(*) errors"), SQL_DIAGNOSTICS);
	ck_assert_uint_eq(scan("SHOW WARNINGS LIMIT 1, 5"), SQL_DIAGNOSTICS);
	ck_assert_uint_eq(scan("GET DIAGNOSTICS @n = NUMBER"), SQL_DIAGNOSTICS | SQL_USER_VAR);
	ck_assert_uint_eq(scan("SELECT @@warning_count, @@session.error_count"), SQL_DIAGNOSTICS);
	ck_assert_uint_eq(scan("SHOW TABLES"), 0);
	ck_assert_uint_eq(scan("LOAD DATA LOCAL INFILE 'x' INTO TABLE t"), SQL_LOAD_LOCAL);
	ck_assert_uint_eq(scan("load xml local infile 'x' into table t"), SQL_LOAD_LOCAL);
	ck_assert_uint_eq(scan("LOAD DATA LOW_PRIORITY LOCAL INFILE 'x' INTO TABLE t"), SQL_LOAD_LOCAL);
	ck_assert_uint_eq(scan("LOAD DATA INFILE '/tmp/x' INTO TABLE t"), 0);
	ck_assert_uint_eq(scan("SELECT 'LOAD DATA LOCAL'"), 0);
}
END_TEST

START_TEST(test_multi_statements)
{
	ck_assert_uint_eq(scan("SELECT 1; SET @a = 2"), SQL_USER_VAR | SQL_MULTI);
	ck_assert_uint_eq(scan("SET @a = 1; SELECT @a"), SQL_USER_VAR | SQL_MULTI);
	/* INTO in the first statement does not make the second one's read an assignment. */
	ck_assert_uint_eq(scan("INSERT INTO t VALUES (1); SELECT @a"), SQL_MULTI);
	ck_assert_uint_eq(scan("CREATE TEMPORARY TABLE t (a int); SELECT CONNECTION_ID()"),
			  SQL_TEMP_TABLE | SQL_CONNECTION_ID | SQL_MULTI);
}
END_TEST

START_TEST(test_words)
{
	char w[4][32];
	ck_assert_int_eq(sqlscan_words("  KILL   QUERY 12 ;", 19, w, 4), 3);
	ck_assert_str_eq(w[0], "KILL");
	ck_assert_str_eq(w[1], "QUERY");
	ck_assert_str_eq(w[2], "12");
	ck_assert_int_eq(sqlscan_words("", 0, w, 4), 0);
	ck_assert_int_eq(sqlscan_words(" ; ", 3, w, 4), 0);
	ck_assert_int_eq(sqlscan_words("a b c d e", 9, w, 4), -1); /* more words than asked for */
	char longword[40];
	memset(longword, 'x', sizeof(longword));
	ck_assert_int_eq(sqlscan_words(longword, sizeof(longword), w, 4), 1);
	ck_assert_uint_eq(strlen(w[0]), 31); /* cut, never overflowing */
}
END_TEST

/* Several statements need multi-statements on the server connection; one with a trailing ';'
 * or comment does not. */
START_TEST(test_several_statements)
{
	ck_assert(!(sqlscan("SELECT 1", 8) & SQL_MULTI));
	ck_assert(!(sqlscan("SELECT 1;", 9) & SQL_MULTI));
	ck_assert(!(sqlscan("SELECT 1; -- c\n", 15) & SQL_MULTI));
	ck_assert(!(sqlscan("SELECT 1; /* c */ ;", 19) & SQL_MULTI));
	ck_assert(!(sqlscan("SELECT ';x'", 11) & SQL_MULTI));
	ck_assert(sqlscan("SELECT 1; SELECT 2", 18) & SQL_MULTI);
	ck_assert(sqlscan("SELECT 1;'x'", 12) & SQL_MULTI);
	ck_assert(sqlscan("DO 1;/*!50000 DO 2*/", 20) & SQL_MULTI);
}
END_TEST

static int untracked(const char *sql, char names[][SQLSCAN_NAME_MAX + 1], int max)
{
	return sqlscan_untracked_vars(sql, strlen(sql), names, max);
}

/* Regression (issue 11, item 1): MariaDB's trackers do not report `SET @@name = ...`, so that
 * form is found in the text, with the names to read back. */
START_TEST(test_untracked_system_variables)
{
	char n[4][SQLSCAN_NAME_MAX + 1];
	ck_assert(scan("SET @@SQL_MODE = ''") & SQL_SYSVAR_UNTRACKED);
	ck_assert_int_eq(untracked("SET @@SQL_MODE = ''", n, 4), 1);
	ck_assert_str_eq(n[0], "SQL_MODE");
	ck_assert_int_eq(untracked("set @@sql_mode:='', time_zone='+01:00', @@autocommit=0", n, 4), 2);
	ck_assert_str_eq(n[0], "sql_mode");
	ck_assert_str_eq(n[1], "autocommit");
	ck_assert(!(scan("SET @@sql_mode := ''") & SQL_USER_VAR));
	/* Forms the trackers report, reads, and other statements. */
	ck_assert(!(scan("SET @@session.sql_mode = ''") & SQL_SYSVAR_UNTRACKED));
	ck_assert(!(scan("SET @@LOCAL.sql_mode = ''") & SQL_SYSVAR_UNTRACKED));
	ck_assert(!(scan("SET @@global.sql_mode = ''") & SQL_SYSVAR_UNTRACKED));
	ck_assert(!(scan("SET SESSION sql_mode = @@sql_mode") & SQL_SYSVAR_UNTRACKED));
	ck_assert(!(scan("SELECT @@sql_mode = ''") & SQL_SYSVAR_UNTRACKED));
	ck_assert(!(scan("SET @v = '@@sql_mode = 1'") & SQL_SYSVAR_UNTRACKED));
	ck_assert_int_eq(untracked("SET @@session.sql_mode = @@sql_mode", n, 4), 0);
	/* In a block or after another statement: each SET counts. */
	ck_assert_int_eq(untracked("BEGIN NOT ATOMIC SET @@time_zone='+02:00'; END", n, 4), 1);
	ck_assert_int_eq(untracked("SELECT 1; SET @@wait_timeout=5", n, 4), 1);
	ck_assert_str_eq(n[0], "wait_timeout");
	/* More names than room, or a name that cannot be written back as it is: -1. */
	ck_assert_int_eq(untracked("SET @@a=1, @@b=2, @@c=3", n, 2), -1);
	ck_assert_int_eq(untracked("SET @@$x=1", n, 4), -1);
}
END_TEST

/* SET GLOBAL changes what a new session starts with: pooled connections made before must be
 * reset before a newer client gets one (found by mtr's func_system, delete_returning_grant). */
START_TEST(test_set_global)
{
	ck_assert(scan("SET GLOBAL max_connections = 10") & SQL_SET_GLOBAL);
	ck_assert(scan("set global sql_mode=''") & SQL_SET_GLOBAL);
	ck_assert(scan("SET @@global.sql_mode = ''") & SQL_SET_GLOBAL);
	ck_assert(scan("SET @@GLOBAL.sql_mode := ''") & SQL_SET_GLOBAL);
	ck_assert(scan("SET sql_mode = '', GLOBAL wait_timeout = 5") & SQL_SET_GLOBAL);
	ck_assert(scan("SET GLOBAL TRANSACTION ISOLATION LEVEL SERIALIZABLE") & SQL_SET_GLOBAL);
	ck_assert(scan("SELECT 1; SET GLOBAL x = 1") & SQL_SET_GLOBAL);
	/* Reads of global values, and other statements. */
	ck_assert(!(scan("SET @old = @@global.sql_mode") & SQL_SET_GLOBAL));
	ck_assert(!(scan("SELECT @@global.sql_mode") & SQL_SET_GLOBAL));
	ck_assert(!(scan("SHOW GLOBAL VARIABLES LIKE 'x'") & SQL_SET_GLOBAL));
	ck_assert(!(scan("SET SESSION sql_mode = 'GLOBAL'") & SQL_SET_GLOBAL));
	ck_assert(!(scan("SELECT * FROM information_schema.global_variables") & SQL_SET_GLOBAL));
}
END_TEST

/* Statements that may change LAST_INSERT_ID() with no OK saying so (found by mtr's metadata): a
 * stored procedure or a compound statement, always; an INSERT, REPLACE or LOAD when it fails. */
START_TEST(test_insert_id_unseen)
{
	ck_assert(lid("CALL p()") & SQL_PROGRAM);
	ck_assert(lid("call p") & SQL_PROGRAM);
	ck_assert(lid("BEGIN NOT ATOMIC INSERT INTO t VALUES (NULL); END") & SQL_PROGRAM);
	ck_assert(lid("IF 1 THEN INSERT INTO t VALUES (NULL); END IF") & SQL_PROGRAM);
	ck_assert(lid("FOR i IN 1..3 DO INSERT INTO t VALUES (NULL); END FOR") & SQL_PROGRAM);
	ck_assert(lid("WHILE 0 DO SELECT 1; END WHILE") & SQL_PROGRAM);
	ck_assert(lid("SELECT 1; CALL p()") & SQL_PROGRAM);
	ck_assert(!(lid("BEGIN") & SQL_PROGRAM));
	ck_assert(!(lid("BEGIN WORK") & SQL_PROGRAM));
	ck_assert(!(lid("SELECT REPEAT('a', 3), IF(1, 2, 3)") & SQL_PROGRAM));
	ck_assert(!(lid("SELECT 'CALL p()'") & SQL_PROGRAM));
	ck_assert(lid("INSERT INTO t VALUES (1)") & SQL_INSERT);
	ck_assert(lid("replace t SET a = 1") & SQL_INSERT);
	ck_assert(lid("LOAD DATA INFILE 'f' INTO TABLE t") & SQL_INSERT);
	ck_assert(lid("SELECT 1; INSERT INTO t VALUES (1)") & SQL_INSERT);
	ck_assert(!(lid("SELECT * FROM insert_log") & SQL_INSERT));
	ck_assert(!(lid("UPDATE t SET a = 1") & SQL_INSERT));
}
END_TEST

static int users(const char *sql, char names[][SQLSCAN_NAME_MAX + 1], int max)
{
	return sqlscan_user_vars(sql, strlen(sql), names, max);
}

/* Issue 11, item 5: the user variables a statement may assign, to be read back. */
START_TEST(test_user_variable_names)
{
	char n[4][SQLSCAN_NAME_MAX + 1];
	ck_assert_int_eq(users("SET @a = 1, @B := 2", n, 4), 2);
	ck_assert_str_eq(n[0], "a");
	ck_assert_str_eq(n[1], "B");
	ck_assert_int_eq(users("SELECT @x := id FROM t", n, 4), 1);
	ck_assert_str_eq(n[0], "x");
	ck_assert_int_eq(users("SELECT 1, 2 INTO @p, @q", n, 4), 2);
	ck_assert_int_eq(users("GET DIAGNOSTICS @rows = ROW_COUNT", n, 4), 1);
	ck_assert_int_eq(users("CALL p(1, @out, @inout)", n, 4), 2); /* OUT and INOUT parameters */
	ck_assert_int_eq(users("SELECT @a, @b", n, 4), 0); /* reads only */
	ck_assert_int_eq(users("SET @a = @b", n, 4), 2);   /* a name too many is only read */
	ck_assert(!(scan("SELECT @a := 1") & SQL_SYSVAR_UNTRACKED));
	/* Names that cannot be listed, and more than room: -1 (the client is pinned). */
	ck_assert_int_eq(users("SET @`odd name` = 1", n, 4), -1);
	ck_assert_int_eq(users("SET @a.b = 1", n, 4), -1);
	ck_assert_int_eq(users("BEGIN NOT ATOMIC DECLARE x INT; SET x := 1; END", n, 4), -1);
	ck_assert_int_eq(users("SET @a=1,@b=2,@c=3", n, 2), -1);
	/* What may run a stored program. */
	ck_assert(calls("SET @a = f(1)"));
	ck_assert(calls("CALL p"));
	ck_assert(!calls("SET @a = 5, @b = 'f(x)'"));
}
END_TEST

/* Regression (security review): the slow log printed statements with the secrets in their
 * string literals. */
START_TEST(test_mask_literals)
{
	char out[128];
	const char *sql = "ALTER USER app IDENTIFIED BY 'it''s \\' secret' /* 'x' */ -- \"y\"";
	sqlscan_mask_literals(sql, strlen(sql), out, sizeof(out));
	ck_assert_str_eq(out, "ALTER USER app IDENTIFIED BY '?' /* '?' */ -- \"?\"");
	/* Cut in the middle of a literal: nothing of it shows. */
	const char *cut = "SELECT AES_ENCRYPT(x, 'topsec";
	sqlscan_mask_literals(cut, strlen(cut), out, sizeof(out));
	ck_assert_str_eq(out, "SELECT AES_ENCRYPT(x, '?'");
	/* A full output buffer ends the copy (and says how far it got). */
	ck_assert_uint_eq(sqlscan_mask_literals("SELECT 1", 8, out, 4), 3);
	ck_assert_str_eq(out, "SEL");
	/* Backquoted identifiers are kept. */
	sqlscan_mask_literals("SELECT `a'b` FROM t", 19, out, sizeof(out));
	ck_assert_str_eq(out, "SELECT `a'b` FROM t");
}
END_TEST

static Suite *sqlscan_suite(void)
{
	Suite *s = suite_create("sqlscan");
	TCase *tc = tcase_create("scan");
	tcase_add_test(tc, test_user_variables);
	tcase_add_test(tc, test_literals_and_comments_are_skipped);
	tcase_add_test(tc, test_functions_and_statements);
	tcase_add_test(tc, test_multi_statements);
	tcase_add_test(tc, test_words);
	tcase_add_test(tc, test_mask_literals);
	tcase_add_test(tc, test_several_statements);
	tcase_add_test(tc, test_untracked_system_variables);
	tcase_add_test(tc, test_user_variable_names);
	tcase_add_test(tc, test_set_global);
	tcase_add_test(tc, test_insert_id_unseen);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(sqlscan_suite)
