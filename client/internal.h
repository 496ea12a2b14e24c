/* internal.h: the structures behind libmypool's opaque handles, shared by its files.
 *
 * Names that cross files start with mypool__ (two underscores): they are hidden from the shared
 * library by libmypool.map and cannot clash with an application's names in a static link.
 *
 * A cursor is "attached" to its connection (conn->cursor == cur) exactly while it may still have
 * rows to read; the connection refuses other commands (MYPOOL_ERR_BUSY) meanwhile. When the
 * cursor reaches its end or an error it gives back every Connector/C resource (result, statement)
 * and detaches; it keeps only its own copy of the column metadata. */
#ifndef MYPOOL_CLIENT_INTERNAL_H
#define MYPOOL_CLIENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mysql.h>

#include "mypool.h"

#define MYPOOL_ERRMSG_SIZE 512
/* MYPOOL_CLOSE_AUTO reads at most this many bytes of unread rows before it drops the connection. */
#define MYPOOL_CLOSE_DRAIN_BUDGET (64 * 1024)

struct mypool_conn {
	MYSQL my;                   /* valid while `open` */
	bool open;                  /* connected and logged in */
	bool broken;                /* lost: closed by the next mypool__conn_ready() */
	bool reconnect_pending;     /* dropped by an early cursor close: reopen on the next call */
	bool have_params;           /* a mypool_connect() stored the arguments below */
	enum mypool_close_policy close_policy;
	struct mypool_cursor *cursor; /* the attached cursor, if any */

	/* The arguments of the last mypool_connect(), for reconnects. */
	char *target;               /* as given (NULL = default resolution) */
	char *user, *password, *database;

	/* Error state of the last call. */
	int last_error;             /* MYPOOL_ERR_* or 0 */
	unsigned err_no;
	char sqlstate[6];
	char errmsg[MYPOOL_ERRMSG_SIZE];

	unsigned rand_state;        /* for the retry backoff */
};

/* How a column's value is held in the current row. */
enum mypool__kind {
	MYPOOL__TEXT,   /* bytes (text protocol: every column; binary: strings, dates, decimals...) */
	MYPOOL__INT,    /* binary protocol integer, in num.i or num.u */
	MYPOOL__DOUBLE, /* binary protocol DOUBLE, in num.d */
	MYPOOL__FLOAT,  /* binary protocol FLOAT, in num.f */
};

struct mypool__column {
	char *name;                 /* into cursor->names */
	enum mypool_type type;
	enum mypool__kind kind;     /* binary protocol binding (text cursors: always MYPOOL__TEXT) */
	bool is_unsigned;

	/* Binary protocol result buffers (bound with mysql_stmt_bind_result). */
	my_bool is_null;
	my_bool error;              /* truncated */
	unsigned long length;
	union {
		int64_t i;
		uint64_t u;
		double d;
		float f;
	} num;
	char *buf;                  /* MYPOOL__TEXT: cap bytes (bound with cap - 1, room for a NUL) */
	size_t cap;

	char scratch[40];           /* the text form of a number, for mypool_row_string() */
};

struct mypool_row {
	struct mypool_cursor *cur;
};

enum mypool__cursor_state {
	MYPOOL__CUR_ROWS,  /* attached; rows may follow */
	MYPOOL__CUR_END,   /* detached; all rows were read */
	MYPOOL__CUR_ERROR, /* detached; `error` is the code to return */
};

struct mypool_cursor {
	struct mypool_conn *conn;   /* NULL once detached */
	enum mypool__cursor_state state;
	int error;
	bool on_row;                /* the last next() returned a row */
	uint64_t rows;

	unsigned ncols;
	struct mypool__column *cols;
	char *names;                /* all column names, NUL-separated */

	/* Text protocol (mypool_query). */
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned long *lengths;

	/* Binary protocol (mypool_query_params). */
	MYSQL_STMT *stmt;
	MYSQL_BIND *binds;

	struct mypool_row rowh;
};

/* ---- conn.c ---- */

/* Reset the error state and make conn ready for a command: not busy, open (reopened if an early
 * close dropped it). Returns 0 or the error (recorded). */
int mypool__conn_ready(struct mypool_conn *conn);
/* The start of every call that runs `sql`: conn not NULL (else MYPOOL_ERR_INVAL, nothing
 * recorded), ready, and sql not NULL ("FN: sql is NULL"). Returns 0 or the error. */
int mypool__conn_start(struct mypool_conn *conn, const char *sql, const char *fn);
/* Reset the error state (no error). */
void mypool__conn_clear_error(struct mypool_conn *conn);
/* The error state, kept across a call that may overwrite it (a rollback after a failure). */
struct mypool__saved_error {
	int code;
	unsigned err_no;
	char sqlstate[6];
	char msg[MYPOOL_ERRMSG_SIZE];
};
void mypool__conn_save_error(const struct mypool_conn *conn, struct mypool__saved_error *e);
void mypool__conn_restore_error(struct mypool_conn *conn, const struct mypool__saved_error *e);
/* Record a library error (no server code) and return code. */
int mypool__conn_fail(struct mypool_conn *conn, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Record the error of the MYSQL handle and return its code (SERVER, LOST, CLIENT, ...); a lost
 * connection is closed. */
int mypool__conn_fail_mysql(struct mypool_conn *conn);
/* The same for a statement handle. */
int mypool__conn_fail_stmt(struct mypool_conn *conn, MYSQL_STMT *stmt);
/* Record an error from its parts; returns the code. */
int mypool__conn_set_error(struct mypool_conn *conn, int code, unsigned err_no,
			   const char *sqlstate, const char *msg);
/* MYPOOL_ERR_* for a MySQL error number. */
int mypool__error_class(unsigned err_no);
/* Drop the connection without reading what the server is still sending (mariadb_cancel, then
 * close); the next mypool__conn_ready() reconnects. Frees `res` and `stmt` of the cursor that
 * was reading. */
void mypool__conn_drop(struct mypool_conn *conn, MYSQL_RES *res, MYSQL_STMT *stmt);
/* Read and discard the result sets that follow the first (CALL). Returns 0 or the error. */
int mypool__conn_skip_more_results(struct mypool_conn *conn);
/* true inside a transaction or with autocommit off (per the last server status). */
bool mypool__conn_in_transaction(struct mypool_conn *conn);

/* A connection target, parsed. */
struct mypool__target {
	char *unix_socket;          /* one of unix_socket and host is set */
	char *host;
	unsigned port;
};
/* Resolve and parse a target string (NULL/"" = $MYPOOL_SOCKET, then the default). Returns 0 or
 * MYPOOL_ERR_NOMEM / MYPOOL_ERR_INVAL (bad host:port syntax). Free with _target_free. */
int mypool__target_parse(const char *target, struct mypool__target *out);
void mypool__target_free(struct mypool__target *t);

/* ---- param.c ---- */

/* Prepare sql on conn, bind params and execute. Returns the statement (owned by the caller) or
 * NULL with the error recorded on conn. */
MYSQL_STMT *mypool__stmt_run(struct mypool_conn *conn, const char *sql, const mypool_param *params,
			     size_t nparams);

/* ---- cursor.c ---- */

/* Release the Connector/C resources of an attached cursor and detach it with `error` (used when
 * its connection is closed under it). */
void mypool__cursor_abort(struct mypool_cursor *cur, int error);

/* ---- value.c: conversions, pure (unit-tested) ---- */

/* Parse exactly len bytes of s as a decimal number into the type. Returns 0, MYPOOL_ERR_TYPE or
 * MYPOOL_ERR_RANGE. */
int mypool__text_to_int64(const char *s, size_t len, int64_t *out);
int mypool__text_to_uint64(const char *s, size_t len, uint64_t *out);
int mypool__text_to_double(const char *s, size_t len, double *out);
/* Exact conversions from a double. */
int mypool__double_to_int64(double d, int64_t *out);
int mypool__double_to_uint64(double d, uint64_t *out);
/* The shortest text that reads back as the same double (C locale); returns its length. */
size_t mypool__format_double(char *buf, size_t size, double d, bool is_float);
/* The big-endian value of a BIT column's bytes (at most 8). */
int mypool__bits_to_uint64(const unsigned char *s, size_t len, uint64_t *out);
/* The mypool type of a Connector/C column. */
enum mypool_type mypool__field_type(const MYSQL_FIELD *f);

#endif
