/* backend: pooled server connections through Connector/C's non-blocking API (see backend.h). */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <event2/event.h>
#include <mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include "backend.h"
#include "config.h"
#include "coro.h"
#include "io.h"
#include "log.h"

/* Statements kept prepared per backend connection before the least used one is closed. */
#define BACKEND_STMT_CACHE 256

uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Every call of mypool's own on a server connection (connecting and logging in, its small
 * statements, reset, ping, close) must finish within connect_timeout: a server that accepts and
 * then says nothing (stopped, overloaded, a blackhole) fails it instead of hanging the client
 * that waits for it. The relay's reads of client statements are not bounded this way. */
static void arm(struct backend *b)
{
	b->deadline_ms = mono_ms() + b->op_timeout_ms;
}

/* Wait for what Connector/C asked for and translate the outcome for X_cont. A wake (shutdown)
 * is passed on as a timeout, which makes Connector/C abandon the operation. */
static int wait_mysql(struct backend *b, int status)
{
	MYSQL *m = b->mysql;
	short ev = (status & MYSQL_WAIT_READ ? EV_READ : 0) | (status & MYSQL_WAIT_WRITE ? EV_WRITE : 0);
	long timeout = -1;
	if (status & MYSQL_WAIT_TIMEOUT)
		timeout = (long)mysql_get_timeout_value_ms(m);
	if (b->deadline_ms) {
		/* Connector/C's own connect timeout covers the TCP connect, not a server that
		 * accepts and then says nothing: see arm(). */
		uint64_t now = mono_ms();
		long left = now < b->deadline_ms ? (long)(b->deadline_ms - now) : 0;
		if (left == 0)
			return MYSQL_WAIT_TIMEOUT;
		if (timeout < 0 || left < timeout)
			timeout = left;
	}
	short fired = 0;
	/* Before the connection is up and while it closes, a one-shot wait on the socket. */
	enum io_result r = b->io.fd >= 0 ? io_fd_wait(&b->io, ev, timeout, &fired)
					 : io_wait(mysql_get_socket(m), ev, timeout, &fired);
	switch (r) {
	case IO_READY:
		return (fired & EV_READ ? MYSQL_WAIT_READ : 0) | (fired & EV_WRITE ? MYSQL_WAIT_WRITE : 0);
	case IO_TIMEOUT:
	case IO_WOKEN:
		return MYSQL_WAIT_TIMEOUT;
	}
	return MYSQL_WAIT_TIMEOUT;
}

static void note_error(struct backend *b)
{
	b->diag_pending = true; /* a server error stays in its diagnostics area */
	unsigned e = mysql_errno(b->mysql);
	if (e >= 2000 && e < 3000 && mono_ms() >= b->deadline_ms)
		snprintf(b->error, sizeof(b->error), "no answer within connect_timeout (%u ms)", b->op_timeout_ms);
	else
		snprintf(b->error, sizeof(b->error), "%s (%u)", mysql_error(b->mysql), e);
	/* Client-side errors (2000..2999) mean the connection itself failed. */
	if (e >= 2000 && e < 3000)
		b->broken = true;
}

static void set_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* tcp_keepalive: a TCP server that goes silent (a cable pulled, a firewall dropping packets)
 * is noticed within about that long, even while mypool only waits for a long statement: probes
 * start after half of it, three of them fill the rest, and TCP_USER_TIMEOUT bounds unanswered
 * writes the same way. 0 = the system's defaults. */
static void set_keepalive(int fd, unsigned ms)
{
	if (!ms)
		return;
	int on = 1, idle = (int)((ms / 2 + 999) / 1000), intvl = (int)((ms / 6 + 999) / 1000), cnt = 3;
	unsigned user = ms;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user, sizeof(user)) != 0)
		log_warn("tcp_keepalive: %s", strerror(errno));
}

/* Transaction pooling reads the server's own session trackers; a reset turns them back to the
 * global values, so this runs after every connect and reset. */
static int enable_trackers(struct backend *b)
{
	static const char sql[] =
		"SET SESSION session_track_schema=ON, session_track_state_change=ON, "
		"session_track_system_variables='*', session_track_transaction_info='CHARACTERISTICS'";
	return backend_query(b, sql, sizeof(sql) - 1);
}

/* mypool itself never reads a local file: a server that answers one of mypool's own statements
 * with a LOAD DATA LOCAL request (a hostile or compromised server, or someone in the middle of a
 * TCP link) gets an empty file, and the connection is not used again. Client statements never
 * go through Connector/C: their file requests are relayed to the client (relay.c). */
static int infile_refuse(void **ptr, const char *name, void *userdata)
{
	struct backend *b = userdata;
	*ptr = b;
	b->broken = true;
	snprintf(b->error, sizeof(b->error), "server asked mypool for a local file (%.64s): refused", name);
	log_warn("backend %u: the server asked for local file '%.64s' in reply to mypool's own statement: "
		 "refused, closing the connection",
		 b->server_id, name);
	return 1;
}

static int infile_read(void *ptr, char *buf, unsigned len)
{
	(void)ptr, (void)buf, (void)len;
	return -1;
}

static void infile_end(void *ptr)
{
	(void)ptr;
}

static int infile_error(void *ptr, char *msg, unsigned len)
{
	(void)ptr;
	snprintf(msg, len, "mypool never sends local files of its own");
	return 2068; /* CR_LOAD_DATA_LOCAL_INFILE_REJECTED */
}

struct backend *backend_new(const char *account, bool found_rows)
{
	struct backend *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->mysql = mysql_init(NULL);
	if (!b->mysql) {
		free(b);
		return NULL;
	}
	b->fd = -1;
	b->io.fd = -1;
	b->found_rows = found_rows;
	snprintf(b->account, sizeof(b->account), "%s", account);
	varset_init(&b->vars);
	varset_init(&b->uvars);
	return b;
}

int backend_open(struct backend *b, const struct config *cfg, const char *password, char *err, size_t errlen)
{
	MYSQL *m = b->mysql;
	unsigned timeout_s = (cfg->connect_timeout_ms + 999) / 1000;
	/* CLIENT_LOCAL_FILES toward the server: LOAD DATA LOCAL requests are relayed to clients
	 * that asked for them (relay.c); mypool itself never reads a file. */
	unsigned local_infile = 1;
	mysql_options(m, MYSQL_OPT_NONBLOCK, 0);
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout_s);
	mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
	mysql_set_local_infile_handler(m, infile_refuse, infile_read, infile_end, infile_error, b);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(m, MYSQL_OPT_PROTOCOL, &(unsigned){ cfg->backend_socket ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP });

	/* Without multi-statements: mypool's own statements never run with them on (own_mode()),
	 * clients that use them get them switched on before their command (session.c). */
	unsigned long flags = CLIENT_MULTI_RESULTS | CLIENT_PS_MULTI_RESULTS;
	if (b->found_rows)
		flags |= CLIENT_FOUND_ROWS;
	MYSQL *ret = NULL;
	b->op_timeout_ms = cfg->connect_timeout_ms;
	arm(b);
	int st = mysql_real_connect_start(&ret, m, cfg->backend_host, b->account, password,
					  NULL, cfg->backend_port, cfg->backend_socket, flags);
	while (st)
		st = mysql_real_connect_cont(&ret, m, wait_mysql(b, st));
	if (!ret) {
		if (mono_ms() >= b->deadline_ms)
			snprintf(err, errlen, "no answer within connect_timeout (%u ms): %s (%u)", cfg->connect_timeout_ms,
				 mysql_error(m), mysql_errno(m));
		else
			snprintf(err, errlen, "%s (%u)", mysql_error(m), mysql_errno(m));
		return -1;
	}
	b->fd = mysql_get_socket(m);
	/* Connector/C's non-blocking API leaves the socket itself blocking between its calls; the
	 * raw relay reads it directly and must never block the thread. */
	set_nonblocking(b->fd);
	if (!cfg->backend_socket)
		set_keepalive(b->fd, cfg->tcp_keepalive_ms);
	io_fd_init(&b->io, b->fd);
	unsigned long server_caps = 0, ext_caps = 0;
	mariadb_get_infov(m, MARIADB_CONNECTION_SERVER_CAPABILITIES, &server_caps);
	b->caps = (uint64_t)(m->client_flag & server_caps);
	if (!(server_caps & CLIENT_MYSQL)) {
		mariadb_get_infov(m, MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES, &ext_caps);
		b->caps |= ((uint64_t)ext_caps & (MARIADB_CLIENT_SUPPORTED_FLAGS >> 32)) << 32;
	}
	b->server_id = (uint32_t)mysql_thread_id(m);
	MY_CHARSET_INFO cs;
	mysql_get_character_set_info(m, &cs);
	b->base_charset = b->charset = (uint8_t)cs.number;
	b->server_charset = (uint8_t)m->server_language;
	b->multi_stmt = false;
	b->created_ms = b->idle_since_ms = mono_ms();
	stmt_cache_init(&b->stmts, BACKEND_STMT_CACHE, cfg->statement_cache_bytes);
	b->track = cfg->pool_mode == POOL_TRANSACTION;
	if (b->track && enable_trackers(b) != 0) {
		snprintf(err, errlen, "cannot enable session tracking: %s", b->error);
		backend_disconnect(b);
		return -1;
	}
	log_debug("backend %u connected (caps 0x%llx)", b->server_id, (unsigned long long)b->caps);
	return 0;
}

struct backend *backend_connect(const struct config *cfg, const char *user, const char *password, bool found_rows,
				char *err, size_t errlen)
{
	struct backend *b = backend_new(user, found_rows);
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (backend_open(b, cfg, password, err, errlen) == 0)
		return b;
	backend_close(b);
	return NULL;
}

int backend_init_unconnected(struct backend *b)
{
	b->mysql = mysql_init(NULL);
	if (!b->mysql)
		return -1;
	mysql_options(b->mysql, MYSQL_OPT_NONBLOCK, 0);
	return 0;
}

void backend_disconnect(struct backend *b)
{
	if (!b->mysql)
		return;
	io_fd_release(&b->io); /* before Connector/C closes the fd, whose number may be reused */
	if (b->broken && b->fd >= 0) {
		/* Do not talk to a connection in an unknown state: drop the socket. */
		shutdown(b->fd, SHUT_RDWR);
	}
	if (coro_current() && b->fd >= 0) {
		arm(b);
		int st = mysql_close_start(b->mysql);
		while (st)
			st = mysql_close_cont(b->mysql, wait_mysql(b, st));
	} else {
		mysql_close(b->mysql); /* never connected, or at exit outside any coroutine */
	}
	b->mysql = NULL;
	b->fd = -1;
}

void backend_free(struct backend *b)
{
	if (!b)
		return;
	backend_disconnect(b); /* if that was not done */
	free(b->schema);
	varset_free(&b->vars);
	varset_free(&b->uvars);
	stmt_cache_free(&b->stmts);
	free(b);
}

void backend_close(struct backend *b)
{
	if (b)
		backend_free(b);
}

/* Before each of mypool's own statements: multi-statements off, so that whatever a statement
 * holds, it is one statement. (Its values are written as literals no character set can
 * misread: varset_put_literal.) */
static int own_mode(struct backend *b)
{
	return b->multi_stmt ? backend_set_multi_statements(b, false) : 0;
}

int backend_query(struct backend *b, const char *sql, size_t len)
{
	if (own_mode(b) != 0)
		return -1;
	int err = 0;
	arm(b);
	int st = mysql_real_query_start(&err, b->mysql, sql, (unsigned long)len);
	while (st)
		st = mysql_real_query_cont(&err, b->mysql, wait_mysql(b, st));
	if (err) {
		note_error(b);
		return -1;
	}
	/* mypool's own statements return no rows, but drain any result sets to stay in sync. */
	for (;;) {
		MYSQL_RES *res = mysql_use_result(b->mysql);
		if (res) {
			MYSQL_ROW row;
			do {
				st = mysql_fetch_row_start(&row, res);
				while (st)
					st = mysql_fetch_row_cont(&row, res, wait_mysql(b, st));
			} while (row);
			st = mysql_free_result_start(res);
			while (st)
				st = mysql_free_result_cont(res, wait_mysql(b, st));
		}
		if (!mysql_more_results(b->mysql))
			break;
		st = mysql_next_result_start(&err, b->mysql);
		while (st)
			st = mysql_next_result_cont(&err, b->mysql, wait_mysql(b, st));
		if (err > 0) {
			note_error(b);
			return -1;
		}
	}
	return 0;
}

int backend_select_db(struct backend *b, const char *db)
{
	int err = 0;
	arm(b);
	int st = mysql_select_db_start(&err, b->mysql, db);
	while (st)
		st = mysql_select_db_cont(&err, b->mysql, wait_mysql(b, st));
	if (err) {
		note_error(b);
		return -1;
	}
	free(b->schema);
	b->schema = strdup(db);
	return 0;
}

int backend_set_multi_statements(struct backend *b, bool on)
{
	int err = 0;
	arm(b);
	int st = mysql_set_server_option_start(&err, b->mysql,
					       on ? MYSQL_OPTION_MULTI_STATEMENTS_ON : MYSQL_OPTION_MULTI_STATEMENTS_OFF);
	while (st)
		st = mysql_set_server_option_cont(&err, b->mysql, wait_mysql(b, st));
	if (err) {
		note_error(b);
		return -1;
	}
	b->multi_stmt = on;
	return 0;
}

/* Collation id -> "charset COLLATE collation", learnt from the server once per process. */
static pthread_mutex_t charset_lock = PTHREAD_MUTEX_INITIALIZER;
static char *charset_names[256];

/* Start one of mypool's own SELECTs: its result, to be read row by row and given to
 * end_select(); NULL on error. */
static MYSQL_RES *own_select(struct backend *b, const char *sql)
{
	if (own_mode(b) != 0)
		return NULL;
	int err = 0;
	arm(b);
	int st = mysql_real_query_start(&err, b->mysql, sql, (unsigned long)strlen(sql));
	while (st)
		st = mysql_real_query_cont(&err, b->mysql, wait_mysql(b, st));
	MYSQL_RES *res = err ? NULL : mysql_use_result(b->mysql);
	if (!res)
		note_error(b);
	return res;
}

static MYSQL_ROW next_row(struct backend *b, MYSQL_RES *res)
{
	MYSQL_ROW row;
	int st = mysql_fetch_row_start(&row, res);
	while (st)
		st = mysql_fetch_row_cont(&row, res, wait_mysql(b, st));
	return row;
}

/* Read the rest of the result and free it: 0, or -1 if the statement failed on the way. */
static int end_select(struct backend *b, MYSQL_RES *res)
{
	while (next_row(b, res))
		;
	int st = mysql_free_result_start(res);
	while (st)
		st = mysql_free_result_cont(res, wait_mysql(b, st));
	if (mysql_errno(b->mysql)) {
		note_error(b);
		return -1;
	}
	return 0;
}

/* Run a statement that returns at most one row and copy its first column, and its second if
 * c2 is not NULL. */
static int query_row(struct backend *b, const char *sql, char *c1, size_t n1, char *c2, size_t n2)
{
	MYSQL_RES *res = own_select(b, sql);
	if (!res)
		return -1;
	int found = 0;
	MYSQL_ROW row = next_row(b, res);
	unsigned want = c2 ? 2 : 1;
	if (row && mysql_num_fields(res) >= want && row[0] && (!c2 || row[1])) {
		snprintf(c1, n1, "%s", row[0]);
		if (c2)
			snprintf(c2, n2, "%s", row[1]);
		found = 1;
	}
	if (end_select(b, res) != 0)
		return -1;
	return found ? 0 : 1;
}

static enum value_kind kind_of(const MYSQL_FIELD *f, const char *value)
{
	if (!value)
		return VK_NULL;
	switch (f->type) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_LONGLONG:
		return (f->flags & UNSIGNED_FLAG) ? VK_UINT : VK_INT;
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
		return VK_DECIMAL;
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_DOUBLE:
		return VK_DOUBLE;
	default:
		return VK_STRING;
	}
}

int backend_select_row(struct backend *b, const char *sql,
		       void (*fn)(void *arg, const char *name, enum value_kind kind, const char *value, size_t len),
		       void *arg)
{
	MYSQL_RES *res = own_select(b, sql);
	if (!res)
		return -1;
	MYSQL_ROW row = next_row(b, res);
	if (row) {
		unsigned long *lens = mysql_fetch_lengths(res);
		MYSQL_FIELD *f = mysql_fetch_fields(res);
		for (unsigned i = 0; i < mysql_num_fields(res); i++) {
			fn(arg, f[i].name, kind_of(&f[i], row[i]), row[i], row[i] ? lens[i] : 0);
		}
	}
	int rc = end_select(b, res);
	return rc == 0 && row ? 0 : -1;
}

int backend_charset_names(struct backend *b, uint8_t collation_id, char *out, size_t outlen)
{
	pthread_mutex_lock(&charset_lock);
	int known = charset_names[collation_id] != NULL;
	if (known)
		snprintf(out, outlen, "%s", charset_names[collation_id]);
	pthread_mutex_unlock(&charset_lock);
	if (known)
		return 0;
	char sql[160], cs[64], coll[64];
	snprintf(sql, sizeof(sql),
		 "SELECT CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLLATIONS WHERE ID=%u",
		 collation_id);
	int rc = query_row(b, sql, cs, sizeof(cs), coll, sizeof(coll));
	if (rc != 0)
		return rc;
	if (!varset_name_ok(cs, strlen(cs)) || !varset_name_ok(coll, strlen(coll)))
		return 1; /* names that cannot be written into SET NAMES as they are */
	snprintf(out, outlen, "%s COLLATE %s", cs, coll);
	pthread_mutex_lock(&charset_lock);
	if (!charset_names[collation_id])
		charset_names[collation_id] = strdup(out);
	pthread_mutex_unlock(&charset_lock);
	return 0;
}

int backend_global_sql_mode(struct backend *b, char *out, size_t outlen)
{
	return query_row(b, "SELECT @@global.sql_mode", out, outlen, NULL, 0) == 0 ? 0 : -1;
}

int backend_last_insert_id(struct backend *b, uint64_t *id)
{
	char v[32];
	if (query_row(b, "SELECT LAST_INSERT_ID()", v, sizeof(v), NULL, 0) != 0)
		return -1;
	*id = strtoull(v, NULL, 10);
	return 0;
}

int backend_collation(struct backend *b, char *cs, size_t cs_len, char *coll, size_t coll_len)
{
	return query_row(b, "SELECT @@character_set_connection, @@collation_connection", cs, cs_len, coll,
			 coll_len) == 0
		       ? 0
		       : -1;
}

/* The session is back to its connect-time state: what mypool tracks follows. */
static int after_reset(struct backend *b)
{
	set_nonblocking(b->fd);
	b->charset = b->base_charset;
	b->names[0] = 0;
	b->dirty = false;
	b->lid_owner = 0;
	b->client_id = 0; /* pseudo_thread_id is the server's own again */
	b->diag_pending = false;
	varset_clear(&b->vars);
	varset_clear(&b->uvars);
	stmt_cache_clear(&b->stmts); /* a reset deallocates them on the server */
	if (b->track && enable_trackers(b) != 0) {
		b->broken = true;
		return -1;
	}
	return 0;
}

int backend_reset(struct backend *b)
{
	int err = 0;
	arm(b);
	int st = mysql_reset_connection_start(&err, b->mysql);
	while (st)
		st = mysql_reset_connection_cont(&err, b->mysql, wait_mysql(b, st));
	if (err) {
		note_error(b);
		b->broken = true;
		return -1;
	}
	return after_reset(b);
}

int backend_clear_db(struct backend *b)
{
	my_bool fail = 0;
	arm(b);
	int st = mysql_change_user_start(&fail, b->mysql, b->mysql->user, b->mysql->passwd, NULL);
	while (st)
		st = mysql_change_user_cont(&fail, b->mysql, wait_mysql(b, st));
	if (fail) {
		note_error(b);
		b->broken = true;
		return -1;
	}
	free(b->schema);
	b->schema = NULL;
	return after_reset(b);
}

int backend_clear_diagnostics(struct backend *b)
{
	/* Only a statement that uses a table resets the diagnostics area (DO 0 or SELECT 1 do
	 * not); a derived table counts, and needs no privilege. */
	static const char sql[] = "DO (SELECT 1 FROM (SELECT 1) t)";
	if (backend_query(b, sql, sizeof(sql) - 1) != 0)
		return -1;
	b->diag_pending = false;
	return 0;
}

int backend_ping(struct backend *b)
{
	int err = 0;
	arm(b);
	int st = mysql_ping_start(&err, b->mysql);
	while (st)
		st = mysql_ping_cont(&err, b->mysql, wait_mysql(b, st));
	if (err) {
		note_error(b);
		b->broken = true;
		return -1;
	}
	return 0;
}

bool backend_alive(struct backend *b, unsigned min_idle_ms)
{
	if (mono_ms() - b->idle_since_ms < min_idle_ms)
		return true;
	char c;
	ssize_t r = recv(b->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return true;
	b->broken = true;
	return false;
}

unsigned backend_errno(const struct backend *b) { return mysql_errno(b->mysql); }
const char *backend_sqlstate(const struct backend *b) { return mysql_sqlstate(b->mysql); }
const char *backend_error(const struct backend *b) { return mysql_error(b->mysql); }
