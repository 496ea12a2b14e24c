/* backend: one pooled server connection, made and maintained with Connector/C's non-blocking API.
 *
 * Connector/C connects, authenticates, resets (COM_RESET_CONNECTION), pings and runs mypool's own
 * small statements; every such call is a X_start/X_cont loop that suspends the calling coroutine
 * on the thread's event loop. Client commands are relayed as raw packets on backend_fd() by
 * session.c, between those calls, so Connector/C always finds the connection idle. The struct
 * tracks the session state mypool applies (schema, character set, multi-statements) so that
 * only what differs is sent. */
#ifndef MYPOOL_BACKEND_H
#define MYPOOL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "stmt.h"
#include "varset.h"

struct config;
struct pool;
struct pool_account;
typedef struct st_mysql MYSQL;

struct backend {
	MYSQL *mysql;
	int fd;
	struct io_fd io;       /* waits on fd (after connect; released before close) */
	uint64_t caps;         /* negotiated capabilities (high 32 bits: MariaDB extended ones) */
	/* The pool key: the server account it is logged in as, and CLIENT_FOUND_ROWS. */
	struct pool_account *acct; /* set by the pool */
	char account[81];      /* the account's user name */
	bool found_rows;       /* connected with CLIENT_FOUND_ROWS */
	bool broken;           /* connection-level failure: close, never reuse */
	bool dirty;            /* a client ran a command since the last reset */
	uint32_t server_id;    /* the server's connection id */
	uint8_t base_charset;  /* collation id of the handshake (a reset returns to it) */
	uint8_t server_charset; /* the collation id the server announced (character_set_server) */
	uint8_t charset;       /* collation id now in effect for client/results/connection;
	                          0 = unknown (a client changed the character set variables) */
	bool multi_stmt;       /* multi-statements currently enabled */
	char names[160];       /* "cs COLLATE coll" of the SET NAMES a client ran on it, "" if none */
	char *schema;          /* current default database, NULL = none */
	bool track;            /* session trackers are on (transaction pooling) */
	struct varset vars;    /* system variables changed since connect/reset (not charsets) */
	struct varset uvars;   /* user variables set by mypool or a client, as SQL literals */
	struct stmt_cache stmts; /* statements prepared on this connection */
	unsigned gen;          /* pool generation it was made in */
	unsigned globals;      /* pool_globals() when its server session began (connect, reset) */
	uint32_t client_id;    /* the session id CONNECTION_ID() returns here; 0 = the server's own */
	uint32_t lid_owner;    /* session whose LAST_INSERT_ID() is in effect; 0 = none (value 0) */
	uint32_t lid_version;  /* ... and which of its values (session's lid_version) */
	bool diag_pending;     /* the last statement left warnings or an error */
	unsigned op_timeout_ms; /* connect_timeout: the most any call of mypool's own may take */
	uint64_t deadline_ms;  /* the end of the current one's (see arm() in backend.c) */
	uint64_t created_ms;
	uint64_t idle_since_ms;
	/* The pool's: the list of its state it is on (pool.c move()). */
	struct backend *pool_prev, *pool_next;
	int pool_state;        /* enum pool_state */
	bool pool_listed;
	bool evicted;          /* closed to make room for another account: its slot is given away */
	char error[256];       /* last error, for logs and "backend unavailable: ..." */
};

/* A backend of account `account` (at most 80 bytes), not connected yet; NULL if out of memory. */
struct backend *backend_new(const char *account, bool found_rows);
/* Connect to cfg's server and log in as b's account with `password` (suspends): 0, or -1 with
 * the reason in err (b is then for backend_free). */
int backend_open(struct backend *b, const struct config *cfg, const char *password, char *err, size_t errlen);
/* Both: a new backend, or NULL with the reason in err. */
struct backend *backend_connect(const struct config *cfg, const char *user, const char *password, bool found_rows,
				char *err, size_t errlen);
/* For tests that drive a backend over a socket of their own: a Connector/C handle that never
 * connects, so mypool's own statements on b fail at once (2006). 0, or -1 out of memory. */
int backend_init_unconnected(struct backend *b);
/* Close (COM_QUIT unless broken; suspends), then free; backend_close does both. */
void backend_disconnect(struct backend *b);
void backend_free(struct backend *b);
void backend_close(struct backend *b);

/* mypool's own statements; 0 on success, else the server error (see backend_errno etc.).
 * A connection-level failure also sets b->broken. */
int backend_query(struct backend *b, const char *sql, size_t len);
int backend_select_db(struct backend *b, const char *db);
int backend_set_multi_statements(struct backend *b, bool on);
/* COM_RESET_CONNECTION; afterwards charset/multi-statements are back to the connect defaults. */
int backend_reset(struct backend *b);
/* No statement unselects a database, so COM_CHANGE_USER (same account, no database) does it;
 * like a reset it also clears all other session state. */
int backend_clear_db(struct backend *b);
/* "cs COLLATE coll" for a collation id (looked up on the server once per process); 0, 1 if
 * the server does not know the id, -1 on error. */
int backend_charset_names(struct backend *b, uint8_t collation_id, char *out, size_t outlen);
int backend_ping(struct backend *b);

/* @@character_set_connection and @@collation_connection as the server has them now: the session
 * tracker reports only the variable a statement named (SET NAMES as character_set_* only, never
 * the collation a COLLATE clause chose; SET collation_connection without the character set it
 * implies). 0, or -1. */
int backend_collation(struct backend *b, char *cs, size_t cs_len, char *coll, size_t coll_len);

/* Run sql, a SELECT of one row, and give each column's name, kind and value (NULL for SQL NULL)
 * to fn. 0, or -1 (the statement failed or returned no row). */
int backend_select_row(struct backend *b, const char *sql,
		       void (*fn)(void *arg, const char *name, enum value_kind kind, const char *value, size_t len),
		       void *arg);

/* @@global.sql_mode, for what a new session starts with. 0, or -1. */
int backend_global_sql_mode(struct backend *b, char *out, size_t outlen);
/* LAST_INSERT_ID() as the server has it for this connection. 0, or -1. */
int backend_last_insert_id(struct backend *b, uint64_t *id);
/* The diagnostics area (SHOW WARNINGS) may hold a statement's warnings or error: cleared with a
 * statement of its own before anyone else uses the connection. */
int backend_clear_diagnostics(struct backend *b);

unsigned backend_errno(const struct backend *b);
const char *backend_sqlstate(const struct backend *b);
const char *backend_error(const struct backend *b);

/* Cheap liveness check without I/O wait: false if the server closed the connection or sent
 * something unexpected while idle. Backends idle for less than min_idle_ms are not checked. */
bool backend_alive(struct backend *b, unsigned min_idle_ms);

uint64_t mono_ms(void);

#endif
