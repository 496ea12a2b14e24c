/* mypool.h: libmypool, the C client library of mypool (and of any MySQL/MariaDB server).
 *
 * An application asks for rows one at a time, like a generator: a cursor holds one row, never the
 * whole result set, so its memory is O(1) in the number of rows (it grows only with the widest
 * value seen). The library is built on Connector/C's blocking API; it does not speak the protocol
 * itself.
 *
 *	mypool_conn *conn = mypool_conn_new();
 *	if (conn == NULL || mypool_connect(conn, NULL, "app", "apppw", "test") < 0) ...
 *	mypool_param p[] = { MYPOOL_INT64(100) };
 *	mypool_cursor *cur = mypool_query_params(conn, "SELECT id, name FROM t WHERE id > ?",
 *	                                         p, MYPOOL_NPARAMS(p));
 *	mypool_row *row;
 *	int rc;
 *	mypool_foreach_row (cur, row, rc) {
 *		int64_t id;
 *		const char *name;
 *		size_t len;
 *		mypool_row_int64(row, 0, &id);
 *		if (mypool_row_string_by_name(row, "name", &name, &len) == 0) ...
 *	}
 *	if (rc < 0) fprintf(stderr, "%s: %s\n", mypool_strerror(rc), mypool_errmsg(conn));
 *	mypool_cursor_close(cur);
 *	mypool_conn_free(conn);
 *
 * Conventions
 * - Handles are opaque. Every function states who owns what it takes and returns:
 *   "borrowed" means the library does not keep the pointer past the call; a returned pointer
 *   "owned by X" stays valid for as long as the text says and must not be freed by the caller.
 * - Functions that can fail return a negative MYPOOL_ERR_* code (or NULL), never set errno, and
 *   record the details on the connection: mypool_last_error(), mypool_errno() (the server's or
 *   Connector/C's error number), mypool_sqlstate() and mypool_errmsg(). mypool_strerror() turns
 *   a code into text.
 * - Threads: a connection (and its cursors) must be used by one thread at a time; use one
 *   connection per thread. Different connections may be used from different threads at the same
 *   time with no locking: the library's global setup (mysql_library_init) runs once, under
 *   pthread_once, and nothing else is global.
 * - A connection runs one statement at a time: while a cursor still has rows to read, every
 *   other call on its connection fails with MYPOOL_ERR_BUSY. A cursor that has returned its last
 *   row (next() returned 0) or an error no longer holds the connection.
 *
 * Symbols are versioned (MYPOOL_0.1); link with `pkg-config --cflags --libs mypool`.
 * See docs/client.md for the guide. */
#ifndef MYPOOL_H
#define MYPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h> /* strlen, for MYPOOL_STRING */

#ifdef __cplusplus
extern "C" {
#endif

/* The Unix socket used when mypool_connect() gets no target and $MYPOOL_SOCKET is unset
 * (mypoold's default `listen`). */
#define MYPOOL_DEFAULT_SOCKET "/run/mypool/mypool.sock"

/* Error codes: 0 is success, failures are negative. */
enum mypool_error {
	MYPOOL_OK = 0,
	MYPOOL_ERR_NOMEM = -1,         /* out of memory */
	MYPOOL_ERR_INVAL = -2,         /* invalid argument (NULL handle, bad parameter count, ...) */
	MYPOOL_ERR_CONNECT = -3,       /* could not connect or log in (see mypool_errno()) */
	MYPOOL_ERR_NOT_CONNECTED = -4, /* the connection is not open (never opened, or lost) */
	MYPOOL_ERR_BUSY = -5,          /* a cursor on this connection still has rows to read */
	MYPOOL_ERR_SERVER = -6,        /* the server answered with an error (mypool_errno()...) */
	MYPOOL_ERR_LOST = -7,          /* the connection was lost; mypool_reconnect() to go on */
	MYPOOL_ERR_CLIENT = -8,        /* another Connector/C error (see mypool_errno()) */
	MYPOOL_ERR_NO_COLUMN = -9,     /* no column with that index or name */
	MYPOOL_ERR_NULL = -10,         /* the value is SQL NULL */
	MYPOOL_ERR_TYPE = -11,         /* the value cannot be converted to the requested type */
	MYPOOL_ERR_RANGE = -12,        /* the value does not fit in the requested type */
};

/* A text for an error code. Returns a static string (never NULL; unknown codes included). */
const char *mypool_strerror(int error);

/* The library version, e.g. "0.1.0". Returns a static string. */
const char *mypool_version(void);

/* ---- Connections ------------------------------------------------------------------------ */

typedef struct mypool_conn mypool_conn;

/* A new, unconnected connection handle. Returns NULL only when out of memory. The caller owns
 * it and frees it with mypool_conn_free(). */
mypool_conn *mypool_conn_new(void);

/* Close the connection (if open) and free the handle. conn may be NULL. A cursor still open on
 * it is detached (its next() fails with MYPOOL_ERR_NOT_CONNECTED); the caller must still close
 * every cursor it owns, before or after this call. */
void mypool_conn_free(mypool_conn *conn);

/* Connect and log in. Any open connection on conn is closed first.
 * target: where to connect (borrowed):
 *   NULL or ""      $MYPOOL_SOCKET if set and not empty, else MYPOOL_DEFAULT_SOCKET;
 *   "/path", "./p"  any string with a '/' is a Unix socket (mypoold's or MariaDB's);
 *   "host:port"     TCP ("[::1]:3306" for IPv6); "host" alone means port 3306.
 * user, password, database: borrowed; password and database may be NULL (none). The library
 * keeps copies for mypool_reconnect(); the password copy is wiped when conn is freed.
 * The session uses utf8mb4, autocommit on, LOAD DATA LOCAL disabled.
 * Returns 0, or MYPOOL_ERR_CONNECT (mypool_errno() tells why: 1045 access denied, 2002 no socket,
 * ...), MYPOOL_ERR_NOMEM, MYPOOL_ERR_INVAL (NULL conn or user). */
int mypool_connect(mypool_conn *conn, const char *target, const char *user, const char *password,
		   const char *database);

/* Close the connection (if open) and connect again with the arguments of the last
 * mypool_connect(), e.g. after MYPOOL_ERR_LOST. Session state (variables, temporary tables,
 * an open transaction) is gone. Returns as mypool_connect(); MYPOOL_ERR_INVAL if conn never had a
 * mypool_connect(). */
int mypool_reconnect(mypool_conn *conn);

/* What mypool_cursor_close() does with the rows a cursor has not read yet. */
enum mypool_close_policy {
	/* Read and discard up to 64 KiB of the remaining rows; if the result ends there, the
	 * connection is kept as it is. Otherwise, inside a transaction (or with autocommit off) read
	 * and discard the rest, keeping the transaction; outside one, drop the connection at once
	 * and open a new one on the next call (session variables, temporary tables and the current
	 * database go back to their state at connect). The default. */
	MYPOOL_CLOSE_AUTO = 0,
	/* Always read and discard the rest: the session is kept, the cost is the whole remainder
	 * of the result (the server has to produce it and the client to read it). */
	MYPOOL_CLOSE_DRAIN = 1,
};

/* Set the early-close policy of conn (kept across reconnects). Returns 0 or MYPOOL_ERR_INVAL. */
int mypool_conn_set_close_policy(mypool_conn *conn, enum mypool_close_policy policy);

/* ---- Errors of a connection ------------------------------------------------------------- */

/* The MYPOOL_ERR_* code of the last failed call on conn (or on a cursor or row of conn), 0 if the
 * last call that talked to the server succeeded. */
int mypool_last_error(const mypool_conn *conn);

/* The error number of the last failure: the server's (1000-1999, 3000-4999, e.g. 1213 deadlock)
 * or Connector/C's (2000-2999, e.g. 2013 lost connection); 0 when the failure came from the
 * library itself (e.g. MYPOOL_ERR_NULL) or there was none. */
unsigned mypool_errno(const mypool_conn *conn);

/* The SQLSTATE of the last failure, 5 characters ("00000" if none). Owned by conn, valid until
 * the next call on conn or one of its cursors. */
const char *mypool_sqlstate(const mypool_conn *conn);

/* The message of the last failure ("" if none). Owned by conn, valid until the next call on conn
 * or one of its cursors. */
const char *mypool_errmsg(const mypool_conn *conn);

/* ---- Parameters ------------------------------------------------------------------------- */

/* A statement parameter, bound on the server side (values are never pasted into SQL). Build them
 * with the MYPOOL_* macros below. The pointers of STRING and BLOB values are borrowed for the
 * duration of the call that takes the parameters. */
enum mypool_param_type {
	MYPOOL_PARAM_NULL = 0,
	MYPOOL_PARAM_INT64,
	MYPOOL_PARAM_UINT64,
	MYPOOL_PARAM_DOUBLE,
	MYPOOL_PARAM_STRING, /* character data, utf8mb4 */
	MYPOOL_PARAM_BLOB,   /* binary data */
};

typedef struct mypool_param {
	enum mypool_param_type type;
	union {
		int64_t i64;
		uint64_t u64;
		double d;
		struct {
			const void *ptr;
			size_t len;
		} bytes;
	} v;
} mypool_param;

#define MYPOOL_NULL ((mypool_param){ .type = MYPOOL_PARAM_NULL })
#define MYPOOL_INT64(x) ((mypool_param){ .type = MYPOOL_PARAM_INT64, .v.i64 = (x) })
#define MYPOOL_UINT64(x) ((mypool_param){ .type = MYPOOL_PARAM_UINT64, .v.u64 = (x) })
#define MYPOOL_DOUBLE(x) ((mypool_param){ .type = MYPOOL_PARAM_DOUBLE, .v.d = (x) })
/* A NUL-terminated string (s must not be NULL: use MYPOOL_NULL). */
#define MYPOOL_STRING(s) MYPOOL_STRINGN((s), strlen(s))
#define MYPOOL_STRINGN(s, n) \
	((mypool_param){ .type = MYPOOL_PARAM_STRING, .v.bytes = { .ptr = (s), .len = (n) } })
#define MYPOOL_BLOB(p, n) \
	((mypool_param){ .type = MYPOOL_PARAM_BLOB, .v.bytes = { .ptr = (p), .len = (n) } })
/* The number of elements of a parameter array. */
#define MYPOOL_NPARAMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Statements without rows ------------------------------------------------------------ */

/* Run one SQL statement (text protocol, no parameters). sql: borrowed, NUL-terminated, one
 * statement. affected_rows and insert_id may be NULL; on success they get the number of rows the
 * statement changed and the AUTO_INCREMENT value it generated (0 if none). If the statement
 * returns rows, they are read and discarded and *affected_rows is their number.
 * Returns 0, or MYPOOL_ERR_SERVER, _BUSY, _LOST, _NOT_CONNECTED, _CONNECT (the reconnect after an
 * early close failed), _INVAL, _NOMEM, _CLIENT. */
int mypool_exec(mypool_conn *conn, const char *sql, uint64_t *affected_rows, uint64_t *insert_id);

/* The same as a server-side prepared statement with nparams '?' placeholders bound to params
 * (borrowed, may be NULL when nparams is 0). Prepared, executed and closed by this call.
 * Returns as mypool_exec(); MYPOOL_ERR_INVAL if nparams differs from the placeholders. */
int mypool_exec_params(mypool_conn *conn, const char *sql, const mypool_param *params,
		       size_t nparams, uint64_t *affected_rows, uint64_t *insert_id);

/* ---- Cursors ---------------------------------------------------------------------------- */

typedef struct mypool_cursor mypool_cursor;
/* The current row of a cursor: a view into the cursor, valid until the next mypool_next() or
 * mypool_cursor_close() on it. Never freed by the caller. */
typedef struct mypool_row mypool_row;

/* Run a query (text protocol, no parameters) and return a cursor on its rows, which are streamed
 * from the server as the caller reads them. sql: borrowed. A statement without rows gives a
 * cursor with no columns that ends at once. Only the first result set is returned (the others,
 * e.g. from CALL, are discarded).
 * Returns a cursor owned by the caller (close it with mypool_cursor_close()), or NULL with
 * mypool_last_error(conn) set (the codes of mypool_exec()). */
mypool_cursor *mypool_query(mypool_conn *conn, const char *sql);

/* The same as a server-side prepared statement with nparams placeholders bound to params
 * (borrowed for this call only). Rows come in the binary protocol, one at a time (no
 * mysql_stmt_store_result); the statement is closed with the cursor. */
mypool_cursor *mypool_query_params(mypool_conn *conn, const char *sql, const mypool_param *params,
				   size_t nparams);

/* Advance to the next row. On 1, *row is the row (owned by the cursor, valid until the next call
 * on the cursor). Returns 1 (a row), 0 (no more rows), or a negative code: MYPOOL_ERR_SERVER (an
 * error in the middle of the result, e.g. 1242), _LOST, _NOT_CONNECTED (the connection was freed
 * or reconnected), _NOMEM, _INVAL. After 0 or an error, further calls return the same value. */
int mypool_next(mypool_cursor *cur, mypool_row **row);

/* for (each row) { ... }; rc is left at 0 after the last row, or at a negative code on error.
 * Breaking out of the loop is fine: close the cursor afterwards in every case. */
#define mypool_foreach_row(cur, row, rc) \
	for ((row) = NULL; ((rc) = mypool_next((cur), &(row))) > 0;)

/* Close and free a cursor, at any point: rows not read yet are discarded according to the
 * connection's close policy (see enum mypool_close_policy). cur may be NULL. */
void mypool_cursor_close(mypool_cursor *cur);

/* The number of rows mypool_next() has returned so far. */
uint64_t mypool_cursor_row_count(const mypool_cursor *cur);

/* ---- Column metadata (valid for the life of the cursor, also after its last row) --------- */

enum mypool_type {
	MYPOOL_TYPE_NULL = 0, /* the type of a NULL literal */
	MYPOOL_TYPE_INT,      /* TINYINT .. BIGINT, YEAR (signed) */
	MYPOOL_TYPE_UINT,     /* the same, UNSIGNED */
	MYPOOL_TYPE_DOUBLE,   /* FLOAT, DOUBLE */
	MYPOOL_TYPE_DECIMAL,  /* DECIMAL: read it as a string to keep it exact */
	MYPOOL_TYPE_STRING,   /* CHAR, VARCHAR, TEXT, ENUM, SET, JSON (character data) */
	MYPOOL_TYPE_BLOB,     /* BINARY, VARBINARY, BLOB (binary data) */
	MYPOOL_TYPE_DATE,     /* "YYYY-MM-DD" */
	MYPOOL_TYPE_TIME,     /* "[-]HH:MM:SS[.ffffff]" */
	MYPOOL_TYPE_DATETIME, /* DATETIME, TIMESTAMP: "YYYY-MM-DD HH:MM:SS[.ffffff]" */
	MYPOOL_TYPE_BIT,      /* BIT(n): raw big-endian bytes; int64/uint64 decode them */
	MYPOOL_TYPE_OTHER,    /* GEOMETRY and anything else: raw bytes */
};

/* A name for a type, e.g. "int". Returns a static string. */
const char *mypool_type_name(enum mypool_type type);

/* The number of columns (0 for a statement without rows). */
unsigned mypool_column_count(const mypool_cursor *cur);

/* The name (alias) of column col, owned by the cursor; NULL if col is out of range. */
const char *mypool_column_name(const mypool_cursor *cur, unsigned col);

/* The type of column col; MYPOOL_TYPE_NULL if col is out of range. */
enum mypool_type mypool_column_type(const mypool_cursor *cur, unsigned col);

/* The index of the first column called name (ASCII case-insensitive, as MySQL compares column
 * names), or MYPOOL_ERR_NO_COLUMN (or _INVAL). name: borrowed. */
int mypool_column_index(const mypool_cursor *cur, const char *name);

/* ---- Values of the current row ---------------------------------------------------------- */

/* Every accessor takes a column index (0-based) or, in its _by_name form, a column name (the
 * first match, as mypool_column_index(); look the index up once outside a loop if it matters).
 * The typed accessors fail with MYPOOL_ERR_NULL on an SQL NULL and leave *out unchanged; they
 * convert exactly or fail: an integer from a DOUBLE column only if it is integral and fits,
 * an integer or double from a string/DECIMAL column only if the text is a decimal number
 * ("12", "-3.5e2"; no spaces), MYPOOL_ERR_RANGE if it does not fit, MYPOOL_ERR_TYPE otherwise.
 * Numbers are read and written in the C locale, whatever the application's locale. */

/* 1 if the value is NULL, 0 if not, MYPOOL_ERR_NO_COLUMN (or _INVAL). */
int mypool_row_is_null(mypool_row *row, unsigned col);
int mypool_row_is_null_by_name(mypool_row *row, const char *name);

/* Signed and unsigned integers. Returns 0 with *out set, or a negative code. */
int mypool_row_int64(mypool_row *row, unsigned col, int64_t *out);
int mypool_row_int64_by_name(mypool_row *row, const char *name, int64_t *out);
int mypool_row_uint64(mypool_row *row, unsigned col, uint64_t *out);
int mypool_row_uint64_by_name(mypool_row *row, const char *name, uint64_t *out);

/* Floating point (an integer converts as C converts it). Returns 0 with *out set, or < 0. */
int mypool_row_double(mypool_row *row, unsigned col, double *out);
int mypool_row_double_by_name(mypool_row *row, const char *name, double *out);

/* Any value as bytes: the text form of numbers, dates and times, the raw bytes of strings and
 * blobs. *str is NUL-terminated (but may contain NULs: use *len); len may be NULL. *str is owned
 * by the cursor and valid until the next mypool_next() or mypool_cursor_close().
 * Returns 0, or MYPOOL_ERR_NULL, _NO_COLUMN, _INVAL. */
int mypool_row_string(mypool_row *row, unsigned col, const char **str, size_t *len);
int mypool_row_string_by_name(mypool_row *row, const char *name, const char **str, size_t *len);

/* ---- Transactions ----------------------------------------------------------------------- */

/* START TRANSACTION, COMMIT, ROLLBACK. Return 0 or the codes of mypool_exec(). */
int mypool_begin(mypool_conn *conn);
int mypool_commit(mypool_conn *conn);
int mypool_rollback(mypool_conn *conn);

/* The body of a transaction: return 0 to commit, a negative code from a mypool_* call to roll
 * back and fail (retried if it is a deadlock or lock wait timeout), or a positive value of your
 * own to roll back and return that value (e.g. "insufficient funds"). It must close the cursors
 * it opens. arg: the caller's, passed through. */
typedef int (*mypool_tx_fn)(mypool_conn *conn, void *arg);

/* Run fn inside a transaction: BEGIN, fn, COMMIT. When fn or the COMMIT fails with server error
 * 1213 (deadlock, the server rolled the transaction back) or 1205 (lock wait timeout), roll back,
 * wait a random 1 to 2^n ms after the n-th failure (at most 100 ms) and run it again, up to
 * max_attempts runs in all; so fn must be safe to run again (compute from what it reads). Any
 * other failure rolls back and returns at once.
 * Returns 0 (committed), fn's positive value (rolled back), or a negative code with the error of
 * the last attempt on conn (e.g. MYPOOL_ERR_SERVER and mypool_errno() 1213 when every attempt
 * deadlocked); MYPOOL_ERR_INVAL if max_attempts is 0 or fn is NULL. */
int mypool_transaction(mypool_conn *conn, unsigned max_attempts, mypool_tx_fn fn, void *arg);

#ifdef __cplusplus
}
#endif

#endif
