/* sqlscan: a cheap lexical look at a statement for the session state that the server's session
 * trackers do not report (measured on MariaDB 10.11: `SELECT @v:=1`, `SELECT .. INTO @v`,
 * `DO @v:=1` and GET_LOCK() inside SELECT/DO raise no state-change flag). It is no parser: it
 * skips string literals, quoted identifiers and comments (but reads executable comments,
 * the ones opened with slash-star-bang)
 * and looks at keywords and @variables, erring on the side of pinning. Pure: no I/O. */
#ifndef MYPOOL_SQLSCAN_H
#define MYPOOL_SQLSCAN_H

#include <stdbool.h>
#include <stddef.h>

enum sqlscan_flag {
	SQL_USER_VAR = 1u << 0,        /* assigns a user variable: SET @v, @v :=, INTO @v */
	SQL_TEMP_TABLE = 1u << 1,      /* CREATE/DROP TEMPORARY TABLE */
	SQL_GET_LOCK = 1u << 2,        /* GET_LOCK() and friends: named locks live in the session */
	SQL_CONNECTION_ID = 1u << 3,   /* CONNECTION_ID(): the id must stay the client's */
	SQL_LAST_INSERT_ID = 1u << 4,  /* reads LAST_INSERT_ID() */
	SQL_CALC_FOUND_ROWS = 1u << 5, /* FOUND_ROWS() of the next statement needs this backend */
	SQL_PREPARE = 1u << 6,         /* SQL PREPARE / EXECUTE / DEALLOCATE */
	SQL_LOCKING = 1u << 7,         /* LOCK TABLES, FLUSH ... WITH READ LOCK, HANDLER, BACKUP LOCK */
	SQL_LOAD_LOCAL = 1u << 8,      /* LOAD DATA/XML LOCAL INFILE: the server will ask for a file */
	SQL_SET_LAST_INSERT_ID = 1u << 9, /* LAST_INSERT_ID(expr): sets the value */
	SQL_DIAGNOSTICS = 1u << 10,    /* SHOW WARNINGS/ERRORS, GET DIAGNOSTICS, @@warning_count:
	                                  reads the diagnostics area without clearing it */
	SQL_MULTI = 1u << 11,          /* several statements (something after a ';' other than
	                                  blanks and comments) */
	SQL_SYSVAR_UNTRACKED = 1u << 12, /* SET @@name = ...: a system variable set in the one form
	                                  the trackers do not report (sqlscan_untracked_vars) */
	SQL_CALLS = 1u << 13,          /* a name followed by '(', or CALL: maybe a stored program,
	                                  whose effects the text does not show */
	SQL_SET_GLOBAL = 1u << 14,     /* SET GLOBAL, SET @@global.x: what new sessions start with */
	SQL_PROGRAM = 1u << 15,        /* CALL, or a compound statement (BEGIN NOT ATOMIC, IF, CASE,
	                                  LOOP, WHILE, REPEAT, FOR): the statements it runs may change
	                                  LAST_INSERT_ID() with no OK that says so */
	SQL_INSERT = 1u << 16,         /* INSERT, REPLACE, LOAD: one that fails may have changed
	                                  LAST_INSERT_ID() */
};

/* Split a short command into at most max words of up to 31 bytes (longer ones are cut),
 * skipping white space and ';'. Returns the number of words, or -1 if there are more. */
int sqlscan_words(const char *sql, size_t len, char words[][32], int max);

/* Flags for the statement text (several statements: the union of their flags). */
unsigned sqlscan(const char *sql, size_t len);

/* The system variables a SET assigns as @@name, with no SESSION, LOCAL or GLOBAL: measured on
 * MariaDB 10.11, `SET @@sql_mode = ''` raises no tracker item and no state-change flag, while
 * `SET sql_mode = ''`, `SET SESSION sql_mode = ''` and `SET @@session.sql_mode = ''` do. Writes
 * up to max names (each at most SQLSCAN_NAME_MAX bytes, plain identifiers, as written) and
 * returns how many, or -1 if there are more, or one is longer or not a plain identifier. */
#define SQLSCAN_NAME_MAX 64
int sqlscan_untracked_vars(const char *sql, size_t len, char names[][SQLSCAN_NAME_MAX + 1], int max);

/* The user variables a statement may assign (those SQL_USER_VAR stands for: `SET @v`, `@v :=`,
 * `INTO @v`, `GET DIAGNOSTICS @v`), as sqlscan_untracked_vars; -1 also for a quoted name
 * (@`v`) and for a `:=` that follows no @name. */
int sqlscan_user_vars(const char *sql, size_t len, char names[][SQLSCAN_NAME_MAX + 1], int max);

/* The SELECT that reads back what a statement set and the trackers will not report: the system
 * variables it sets as @@name (user = false: "SELECT @@session.a,..."), or the user variables it
 * may set (user = true: value, HEX, CHARSET and COLLATION of each). Malloc'd; NULL if there are
 * none, or they cannot be listed (sqlscan_untracked_vars, sqlscan_user_vars). */
#define SQLSCAN_READ_BACK_MAX 16
char *sqlscan_read_back_sql(const char *sql, size_t len, bool user);

/* The statement for a log: string literals ('...' and "...", also a literal the text ends in
 * the middle of) written as '?', so that passwords and other secrets in them (IDENTIFIED BY,
 * PASSWORD(), AES_ENCRYPT keys) never reach the log; at most outlen - 1 bytes and a NUL.
 * Returns how many bytes of sql were written out (less than len if out was full). */
size_t sqlscan_mask_literals(const char *sql, size_t len, char *out, size_t outlen);

#endif
