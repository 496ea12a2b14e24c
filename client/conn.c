/* conn: connections (connect, reconnect, close), their error state, and the library's one-time
 * setup. */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errmsg.h>

#include "internal.h"

/* ---- library setup -------------------------------------------------------------------------- */

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_init_failed;

static void library_init(void)
{
	/* Connector/C's global setup is not thread-safe; the rest of it is (one MYSQL per thread). */
	library_init_failed = mysql_library_init(0, NULL, NULL) != 0;
}

const char *mypool_version(void)
{
	return PACKAGE_VERSION;
}

/* ---- error state ---------------------------------------------------------------------------- */

void mypool__conn_clear_error(struct mypool_conn *conn)
{
	conn->last_error = 0;
	conn->err_no = 0;
	memcpy(conn->sqlstate, "00000", 6);
	conn->errmsg[0] = '\0';
}

int mypool__conn_set_error(struct mypool_conn *conn, int code, unsigned err_no,
			   const char *sqlstate, const char *msg)
{
	conn->last_error = code;
	conn->err_no = err_no;
	snprintf(conn->sqlstate, sizeof(conn->sqlstate), "%s",
		 sqlstate != NULL && strlen(sqlstate) == 5 ? sqlstate : "HY000");
	snprintf(conn->errmsg, sizeof(conn->errmsg), "%s", msg != NULL ? msg : "");
	return code;
}

void mypool__conn_save_error(const struct mypool_conn *conn, struct mypool__saved_error *e)
{
	e->code = conn->last_error;
	e->err_no = conn->err_no;
	memcpy(e->sqlstate, conn->sqlstate, sizeof(e->sqlstate));
	memcpy(e->msg, conn->errmsg, sizeof(e->msg));
}

void mypool__conn_restore_error(struct mypool_conn *conn, const struct mypool__saved_error *e)
{
	conn->last_error = e->code;
	conn->err_no = e->err_no;
	memcpy(conn->sqlstate, e->sqlstate, sizeof(conn->sqlstate));
	memcpy(conn->errmsg, e->msg, sizeof(conn->errmsg));
}

int mypool__conn_fail(struct mypool_conn *conn, int code, const char *fmt, ...)
{
	char msg[MYPOOL_ERRMSG_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mypool__conn_set_error(conn, code, 0, "HY000", msg);
}

int mypool__error_class(unsigned err_no)
{
	switch (err_no) {
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
		return MYPOOL_ERR_LOST;
	case CR_OUT_OF_MEMORY:
		return MYPOOL_ERR_NOMEM;
	default:
		break;
	}
	if ((err_no >= CR_MIN_ERROR && err_no <= CR_MAX_ERROR) ||
	    (err_no >= CER_MIN_ERROR && err_no <= CER_MAX_ERROR) || err_no == 0)
		return MYPOOL_ERR_CLIENT;
	return MYPOOL_ERR_SERVER;
}

static int fail_with(struct mypool_conn *conn, unsigned err_no, const char *sqlstate,
		     const char *msg)
{
	int code = mypool__error_class(err_no);

	if (code == MYPOOL_ERR_LOST)
		conn->broken = true; /* closed by the next mypool__conn_ready() */
	return mypool__conn_set_error(conn, code, err_no, sqlstate,
				      err_no != 0 ? msg : "unknown client library error");
}

int mypool__conn_fail_mysql(struct mypool_conn *conn)
{
	return fail_with(conn, mysql_errno(&conn->my), mysql_sqlstate(&conn->my),
			 mysql_error(&conn->my));
}

int mypool__conn_fail_stmt(struct mypool_conn *conn, MYSQL_STMT *stmt)
{
	/* An error packet met by mysql_stmt_fetch() on an unbuffered result is recorded on the
	 * connection, not on the statement. */
	if (mysql_stmt_errno(stmt) == 0 && mysql_errno(&conn->my) != 0)
		return mypool__conn_fail_mysql(conn);
	return fail_with(conn, mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt),
			 mysql_stmt_error(stmt));
}

int mypool_last_error(const mypool_conn *conn)
{
	return conn != NULL ? conn->last_error : MYPOOL_ERR_INVAL;
}

unsigned mypool_errno(const mypool_conn *conn)
{
	return conn != NULL ? conn->err_no : 0;
}

const char *mypool_sqlstate(const mypool_conn *conn)
{
	return conn != NULL ? conn->sqlstate : "HY000";
}

const char *mypool_errmsg(const mypool_conn *conn)
{
	return conn != NULL ? conn->errmsg : "no connection handle";
}

/* ---- targets -------------------------------------------------------------------------------- */

void mypool__target_free(struct mypool__target *t)
{
	free(t->unix_socket);
	free(t->host);
	t->unix_socket = t->host = NULL;
}

int mypool__target_parse(const char *target, struct mypool__target *out)
{
	const char *host, *port = NULL;
	size_t hostlen;

	memset(out, 0, sizeof(*out));
	if (target == NULL || target[0] == '\0') {
		target = getenv("MYPOOL_SOCKET");
		if (target == NULL || target[0] == '\0')
			target = MYPOOL_DEFAULT_SOCKET;
	}
	if (strchr(target, '/') != NULL) {
		out->unix_socket = strdup(target);
		return out->unix_socket != NULL ? 0 : MYPOOL_ERR_NOMEM;
	}
	if (target[0] == '[') { /* [v6]:port or [v6] */
		const char *end = strchr(target, ']');
		if (end == NULL || end == target + 1 || (end[1] != '\0' && end[1] != ':'))
			return MYPOOL_ERR_INVAL;
		host = target + 1;
		hostlen = (size_t)(end - host);
		if (end[1] == ':')
			port = end + 2;
	} else {
		const char *colon = strchr(target, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			return MYPOOL_ERR_INVAL; /* a bare IPv6 address needs brackets */
		host = target;
		hostlen = colon != NULL ? (size_t)(colon - target) : strlen(target);
		if (colon != NULL)
			port = colon + 1;
		if (hostlen == 0)
			return MYPOOL_ERR_INVAL;
	}
	out->port = 3306;
	if (port != NULL) {
		char *end;
		unsigned long p;

		if (*port < '0' || *port > '9')
			return MYPOOL_ERR_INVAL;
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno != 0 || *end != '\0' || p == 0 || p > 65535)
			return MYPOOL_ERR_INVAL;
		out->port = (unsigned)p;
	}
	out->host = strndup(host, hostlen);
	return out->host != NULL ? 0 : MYPOOL_ERR_NOMEM;
}

/* ---- connections ---------------------------------------------------------------------------- */

mypool_conn *mypool_conn_new(void)
{
	struct mypool_conn *conn;

	pthread_once(&library_once, library_init);
	conn = calloc(1, sizeof(*conn));
	if (conn == NULL)
		return NULL;
	conn->close_policy = MYPOOL_CLOSE_AUTO;
	conn->rand_state = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)conn;
	mypool__conn_clear_error(conn);
	return conn;
}

/* Close the MYSQL handle (if open), detaching an attached cursor first. */
static void conn_close(struct mypool_conn *conn)
{
	if (conn->cursor != NULL)
		mypool__cursor_abort(conn->cursor, MYPOOL_ERR_NOT_CONNECTED);
	if (conn->open)
		mysql_close(&conn->my);
	conn->open = false;
	conn->broken = false;
	conn->reconnect_pending = false;
}

static void free_params(struct mypool_conn *conn)
{
	if (conn->password != NULL) {
		explicit_bzero(conn->password, strlen(conn->password));
		free(conn->password);
	}
	free(conn->target);
	free(conn->user);
	free(conn->database);
	conn->target = conn->user = conn->password = conn->database = NULL;
	conn->have_params = false;
}

void mypool_conn_free(mypool_conn *conn)
{
	if (conn == NULL)
		return;
	conn_close(conn);
	free_params(conn);
	free(conn);
}

int mypool_conn_set_close_policy(mypool_conn *conn, enum mypool_close_policy policy)
{
	if (conn == NULL || (policy != MYPOOL_CLOSE_AUTO && policy != MYPOOL_CLOSE_DRAIN))
		return MYPOOL_ERR_INVAL;
	conn->close_policy = policy;
	return 0;
}

/* Open the connection with the stored arguments. */
static int conn_open(struct mypool_conn *conn)
{
	struct mypool__target t;
	unsigned protocol;
	my_bool on = 1;
	unsigned int off = 0;
	int rc;

	conn_close(conn);
	mypool__conn_clear_error(conn);
	if (library_init_failed)
		return mypool__conn_fail(conn, MYPOOL_ERR_CLIENT, "mysql_library_init() failed");
	rc = mypool__target_parse(conn->target, &t);
	if (rc == MYPOOL_ERR_INVAL)
		return mypool__conn_fail(conn, rc, "bad connection target '%s' (want a socket path "
					 "with a '/', host, host:port or [v6addr]:port)", conn->target);
	if (rc < 0)
		return mypool__conn_fail(conn, rc, "out of memory");
	if (mysql_init(&conn->my) == NULL) {
		mypool__target_free(&t);
		return mypool__conn_fail(conn, MYPOOL_ERR_NOMEM, "mysql_init: out of memory");
	}
	protocol = t.unix_socket != NULL ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
	mysql_options(&conn->my, MYSQL_OPT_PROTOCOL, &protocol);
	mysql_options(&conn->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(&conn->my, MYSQL_REPORT_DATA_TRUNCATION, &on);
	mysql_options(&conn->my, MYSQL_OPT_LOCAL_INFILE, &off);
	if (mysql_real_connect(&conn->my, t.unix_socket != NULL ? "localhost" : t.host, conn->user,
			       conn->password, conn->database, t.port, t.unix_socket, 0) == NULL) {
		unsigned err_no = mysql_errno(&conn->my);
		rc = mypool__error_class(err_no) == MYPOOL_ERR_NOMEM ? MYPOOL_ERR_NOMEM
								      : MYPOOL_ERR_CONNECT;
		mypool__conn_set_error(conn, rc, err_no, mysql_sqlstate(&conn->my),
				       mysql_error(&conn->my));
		mysql_close(&conn->my);
		mypool__target_free(&t);
		return rc;
	}
	mypool__target_free(&t);
	conn->open = true;
	return 0;
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*failed = true;
	return d;
}

int mypool_connect(mypool_conn *conn, const char *target, const char *user, const char *password,
		   const char *database)
{
	bool failed = false;

	if (conn == NULL)
		return MYPOOL_ERR_INVAL;
	conn_close(conn);
	mypool__conn_clear_error(conn);
	if (user == NULL)
		return mypool__conn_fail(conn, MYPOOL_ERR_INVAL, "mypool_connect: user is NULL");
	free_params(conn);
	conn->target = dup_or_null(target, &failed);
	conn->user = dup_or_null(user, &failed);
	conn->password = dup_or_null(password, &failed);
	conn->database = dup_or_null(database, &failed);
	if (failed) {
		free_params(conn);
		return mypool__conn_fail(conn, MYPOOL_ERR_NOMEM, "out of memory");
	}
	conn->have_params = true;
	return conn_open(conn);
}

int mypool_reconnect(mypool_conn *conn)
{
	if (conn == NULL)
		return MYPOOL_ERR_INVAL;
	if (!conn->have_params) {
		mypool__conn_clear_error(conn);
		return mypool__conn_fail(conn, MYPOOL_ERR_INVAL,
					 "mypool_reconnect: mypool_connect() was never called");
	}
	return conn_open(conn);
}

int mypool__conn_start(struct mypool_conn *conn, const char *sql, const char *fn)
{
	if (conn == NULL)
		return MYPOOL_ERR_INVAL;
	int rc = mypool__conn_ready(conn);
	if (rc < 0)
		return rc;
	if (sql == NULL)
		return mypool__conn_fail(conn, MYPOOL_ERR_INVAL, "%s: sql is NULL", fn);
	return 0;
}

int mypool__conn_ready(struct mypool_conn *conn)
{
	mypool__conn_clear_error(conn);
	if (conn->cursor != NULL)
		return mypool__conn_fail(conn, MYPOOL_ERR_BUSY,
					 "a cursor on this connection has unread rows: read them "
					 "or close it first");
	if (conn->broken) {
		conn_close(conn);
		return mypool__conn_fail(conn, MYPOOL_ERR_NOT_CONNECTED,
					 "the connection was lost; call mypool_reconnect()");
	}
	if (conn->reconnect_pending)
		return conn_open(conn);
	if (!conn->open)
		return mypool__conn_fail(conn, MYPOOL_ERR_NOT_CONNECTED, "not connected");
	return 0;
}

void mypool__conn_drop(struct mypool_conn *conn, MYSQL_RES *res, MYSQL_STMT *stmt)
{
	/* Shut the socket down first: freeing an unfinished result (or statement) would otherwise
	 * read the rest of it; now those reads fail at once. */
	mariadb_cancel(&conn->my);
	if (res != NULL)
		mysql_free_result(res);
	if (stmt != NULL)
		mysql_stmt_close(stmt);
	mysql_close(&conn->my);
	conn->open = false;
	conn->broken = false;
	conn->reconnect_pending = true;
}

int mypool__conn_skip_more_results(struct mypool_conn *conn)
{
	while (mysql_more_results(&conn->my)) {
		MYSQL_RES *res;
		int r = mysql_next_result(&conn->my);

		if (r > 0)
			return mypool__conn_fail_mysql(conn);
		if (r < 0)
			break;
		res = mysql_use_result(&conn->my);
		if (res != NULL)
			mysql_free_result(res); /* reads and discards its rows */
		else if (mysql_errno(&conn->my) != 0)
			return mypool__conn_fail_mysql(conn);
	}
	return 0;
}

bool mypool__conn_in_transaction(struct mypool_conn *conn)
{
	unsigned int status = 0;

	if (mariadb_get_infov(&conn->my, MARIADB_CONNECTION_SERVER_STATUS, &status) != 0)
		return true; /* unknown: assume the worst */
	return (status & SERVER_STATUS_IN_TRANS) != 0 || (status & SERVER_STATUS_AUTOCOMMIT) == 0;
}
