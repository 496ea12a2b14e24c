/* session_priv.h: what the session's parts share — the session itself and the packet relay.
 *
 * session.c runs a client's life (login, commands, its state, the backend it holds); relay.c
 * moves packets between the client's and the backend's buffers (streaming rows, rewriting what
 * the client's capabilities require); prepared.c runs the binary-protocol commands. Nothing
 * here is used outside the session. */
#ifndef MYPOOL_SESSION_PRIV_H
#define MYPOOL_SESSION_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "buf.h"
#include "config.h"
#include "errors.h"
#include "hold.h"
#include "io.h"
#include "proto.h"
#include "session.h"
#include "stmt.h"
#include "varset.h"

struct backend;
struct config;
struct coro;
struct worker_thread;

/* What mypool offers clients: the protocol it relays faithfully. Bit 0 ("CLIENT_MYSQL") is
 * clear, as MariaDB servers have it, so clients may ask for MariaDB's extended capabilities;
 * of those only EXTENDED_METADATA is offered (it passes through when both sides have it).
 * LOCAL_FILES: LOAD DATA LOCAL is relayed between server and client (relay.c). IGNORE_SPACE:
 * the client's sessions start with IGNORE_SPACE in sql_mode, as on the server. Not offered:
 * SSL, compression, session tracking and DEPRECATE_EOF toward
 * clients, and MariaDB's metadata caching, progress reports and bulk execution. */
#define SERVER_CAPS                                                                                   \
	((uint64_t)(CAP_FOUND_ROWS | CAP_LONG_FLAG | CAP_CONNECT_WITH_DB | CAP_PROTOCOL_41 |            \
		    CAP_INTERACTIVE | CAP_TRANSACTIONS | CAP_SECURE_CONNECTION | CAP_MULTI_STATEMENTS |  \
		    CAP_MULTI_RESULTS | CAP_PS_MULTI_RESULTS | CAP_PLUGIN_AUTH | CAP_CONNECT_ATTRS |     \
		    CAP_PLUGIN_AUTH_LENENC_DATA | CAP_IGNORE_SIGPIPE | CAP_LOCAL_FILES | CAP_IGNORE_SPACE) | \
	 MARIADB_CAP_EXTENDED_METADATA)
#define DEFAULT_COLLATION 45 /* utf8mb4_general_ci */
#define NATIVE_PLUGIN "mysql_native_password"

/* Buffers: client input is buffered whole up to CLIENT_WHOLE_MAX per packet (larger packets are
 * streamed to the backend); backend packets up to BACKEND_WHOLE_MAX are buffered whole when
 * they must be inspected, rows are streamed; output is written out past OUT_HIGH_WATER. */
#define CLIENT_WHOLE_MAX (1u << 20)
#define BACKEND_READ_CHUNK (64u << 10)
#define BACKEND_WHOLE_MAX (1u << 20)
#define OUT_HIGH_WATER (64u << 10)

enum phase { PH_HANDSHAKE, PH_IDLE, PH_ACTIVE, PH_WAITING };

/* How a session ends; session_close() decides the log line and the backend's fate from it. */
enum end_status {
	END_NONE,          /* not ended: the session goes on (command handlers) */
	END_QUIT,          /* COM_QUIT (and, from a login, "logged in") */
	END_CLIENT_GONE,   /* EOF or error on the client socket */
	END_AUTH_FAILED,
	END_PROTOCOL,      /* malformed input from the client */
	END_DRAINED,       /* graceful shutdown */
	END_INTERNAL,      /* out of memory and the like */
	END_KILLED,        /* KILL CONNECTION by the same user */
	END_IDLE,          /* client_idle_timeout or idle_transaction_timeout */
	END_BACKEND_LOST,  /* the server connection failed while it held the client's state */
};

struct session {
	struct session *prev, *next; /* the thread's list */
	struct worker_thread *t;
	const struct config *cfg;
	struct coro *co;
	int fd;
	struct io_fd cio;      /* waits on fd */
	uint32_t id;
	enum phase phase;
	bool drain;
	uint64_t caps;         /* effective capabilities (client's & ours) */
	uint8_t charset;       /* collation id from the handshake */
	bool multi_stmt;
	char *schema;          /* the client's default database, NULL = none */
	struct backend *be;
	bool be_sent;          /* the current response has started reaching the client */
	bool err_ok;           /* an ERR packet may come next in the current response (before it,
	                          between rows, between results): where a lost backend is reported */
	bool torn;             /* the client got part of a packet whose rest will never come */
	bool state_lost;       /* the backend failed holding state of the client (a transaction,
	                          pins, session pooling): the session ends after the error */
	unsigned flushes;      /* writes of s->out so far (relay_pass: was part of a packet sent?) */
	bool resp_err;         /* the last response was an ERR packet */
	uint8_t last_seq;      /* sequence id of the last packet sent to the client */
	uint8_t seq_shift;     /* packets mypool inserted into the current response */
	bool be_await;         /* a command just went to the backend: its reply is not there yet */
	bool be_fresh;         /* the backend was taken from the pool for the current command */
	struct stmt_table stmts; /* prepared statements (binary protocol) */
	bool admin;            /* this is an admin console session (admin.c) */
	bool paused;           /* waiting for RESUME before it may take a backend */
	bool killed;           /* KILL CONNECTION: end after the current command */
	bool kill_query;       /* KILL QUERY: interrupt the statement running now (kill.c) */
	bool be_reading;       /* waiting for the backend's response: a KILL may wake it */
	bool lid_dirty;        /* LAST_INSERT_ID() may have changed: read it before letting go */
	uint64_t started_ms;
	uint64_t login_ms;     /* when the current login (connect or COM_CHANGE_USER) began */
	unsigned globals;      /* pool_globals() then, or at the last COM_RESET_CONNECTION */
	/* Transaction pooling: the client's session state, applied to whichever backend it gets. */
	struct varset vars;     /* system variables it changed (from the session trackers) */
	struct hold hold;       /* what keeps the backend (hold.h), and the last server status */
	bool need_collation;    /* character sets changed: ask which collation came with them */
	bool ignore_space;      /* CLIENT_IGNORE_SPACE: its sql_mode starts with IGNORE_SPACE */
	uint64_t last_insert_id; /* from this client's OK packets */
	uint32_t lid_version;    /* bumped when last_insert_id changes */
	uint16_t warnings;      /* of the last response */
	unsigned scan;          /* sqlscan flags of the command being run */
	char *read_back;        /* its SELECT of the variables the trackers will not report */
	char *read_users;       /* its SELECT of the user variables it may set */
	struct varset uvars;    /* user variables, as the SQL literals that restore them */
	uint8_t scramble[AUTH_SCRAMBLE_LEN];
	char user[81];
	uint8_t failed_change_users; /* COM_CHANGE_USER refused so far (MariaDB allows three) */
	char host[46];         /* "localhost" (Unix socket) or the client's IP address */
	uint16_t port;         /* the client's TCP port; 0 = Unix socket */
	struct buf in, out, bin;
	char ctx[128];
};

struct pkt {
	uint32_t len;
	uint8_t seq;
	bool whole;    /* payload is in s->in right after the header */
	uint8_t *data; /* payload if whole, else the first buffered bytes */
};

enum relay {
	RELAY_DONE = 0,
	RELAY_CLIENT_GONE = -1,  /* the client went away: the backend may hold pending data */
	RELAY_BACKEND_GONE = -2, /* the backend failed */
};

/* The client's address for logs and the console: "unix", "IP:PORT" or "[IPv6]:PORT". */
void session_addr(const struct session *s, char *out, size_t len);

static inline bool transaction_pooling(const struct session *s)
{
	return s->cfg->pool_mode == POOL_TRANSACTION;
}

/* ---- login.c ---- */
/* The handshake and the authentication: END_QUIT when the client is logged in. */
enum end_status login_authenticate(struct session *s);
/* COM_CHANGE_USER: a new login on the same connection; all session state is dropped. */
enum end_status login_change_user(struct session *s, struct pkt *p);
void login_set_user(struct session *s, const uint8_t *user, size_t len);

/* ---- command.c ---- */
/* Read and run commands until the session ends; how it ended. */
enum end_status command_loop(struct session *s);

/* ---- attach.c (also session_acquire and the rest below, for relay.c and prepared.c) ---- */
/* After each command: give the backend back unless the hold rule keeps it (transaction pooling). */
void session_after_command(struct session *s);
/* The client's session state goes back to what it had right after login (COM_RESET_CONNECTION,
 * and the start of COM_CHANGE_USER); the backend is reset before anyone else uses it. */
void session_forget_state(struct session *s);

/* ---- sessions.c: the registered console, for the command loop and the login ---- */
bool session_console_claims(const char *db);
bool session_console_allows(const struct session *s);
int session_console_command(struct session *s, uint8_t cmd, const uint8_t *arg, size_t len);

/* ---- relay.c ---- */
int relay_flush(struct session *s);
int relay_maybe_flush(struct session *s);
void relay_send_err(struct session *s, uint8_t seq, uint16_t code, const char *state, const char *msg);
void relay_send_errf(struct session *s, uint8_t seq, uint16_t code, const char *state, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void relay_send_ok(struct session *s, uint8_t seq);
int relay_client_fill(struct session *s, size_t n, long timeout_ms);
int relay_client_packet(struct session *s, struct pkt *p, long timeout_ms);
int relay_client_prefix(struct session *s, struct pkt *p, size_t n);
size_t relay_client_have(const struct session *s, const struct pkt *p);
void relay_client_consume(struct session *s, const struct pkt *p);
int relay_client_discard(struct session *s, size_t n);
long relay_read_timeout(const struct session *s);
int relay_client_drop(struct session *s, const struct pkt *p);
int relay_be_fill(struct session *s, size_t n);
int relay_be_write(struct session *s, const void *p, size_t n);
/* Copy the next n bytes of the client's input to the backend as they arrive: 0, -1 (the backend
 * failed; the n bytes are read anyway), -2 (the client went away). */
int relay_pipe_to_backend(struct session *s, size_t n);
enum relay relay_pass(struct session *s, uint32_t len);
/* An ERR packet of the server's (whole, at the head of s->bin) for the client: noted as the
 * response's error, and said as MariaDB says it where mypool interrupted the statement. */
enum relay relay_err(struct session *s, uint32_t len);
int relay_be_packet(struct session *s, uint32_t *len, size_t need);
int relay_be_packet_whole(struct session *s, uint32_t *len);
enum relay relay_ok(struct session *s, uint32_t len, uint16_t *status);
enum relay relay_column(struct session *s, uint32_t len, bool field_list, struct buf *keep);
enum relay relay_rows(struct session *s, uint16_t *status, bool *done);
/* The column definitions of a prepared statement's result (binary protocol): `last`, what the
 * server last sent for that server statement (NULL: none known), fills in those it skips
 * (MariaDB's metadata cache); the ones it sends now are collected in `fresh`. `cursor`: the
 * execute asked for a cursor, so its result may end after the column definitions. */
struct relay_cols {
	const struct buf *last;
	struct buf fresh;
	bool cursor;
};
enum relay relay_result(struct session *s, bool *done, struct relay_cols *cols);
enum relay relay_field_list(struct session *s);
int relay_forward_command(struct session *s, const struct pkt *p, bool *too_large);

/* ---- session.c, for relay.c and prepared.c ---- */
/* Attach a backend in the client's state (waits for one); -1: the client has an error packet. */
int session_acquire(struct session *s, uint8_t seq);
void session_release(struct session *s);
void session_backend_lost(struct session *s);
/* The backend failed (session_backend_lost): the client gets 9003 (sequence id seq), or nothing
 * if the session ends with it (it sees its connection close). `when`: "" or " during query". */
void session_lost_backend_err(struct session *s, uint8_t seq, const char *when);
/* Start a command: clear per-command state; look at its SQL (NULL: none) for untracked state. */
void session_begin_command(struct session *s, const uint8_t *sql, size_t len);
/* Pin for what the SQL of the current command showed (after session_acquire). */
void session_apply_scan(struct session *s);
/* Forward the client's command to the backend: 0, 1 (failed, the client has an error), -1
 * (the session must end), or 2 (may_retry: the backend was gone before the command reached
 * it; it is released, take another and forward again). */
int session_forward(struct session *s, const struct pkt *p, bool may_retry);
/* Settle a relayed response: 0, or -1 if the session must end. */
int session_finish(struct session *s, enum relay r, uint8_t first_seq);

/* ---- kill.c ---- */
/* Whether this COM_QUERY text is a KILL statement (mypool answers those itself). */
bool kill_is_statement(const uint8_t *sql, size_t len);
/* KILL [CONNECTION|QUERY] id as COM_QUERY, and COM_PROCESS_KILL: 0, or -1 if the session must end. */
int kill_query(struct session *s, struct pkt *p);
int kill_command(struct session *s, struct pkt *p);
/* COM_STMT_EXECUTE (the whole packet p) of a KILL statement prepared by mypool itself (its ids
 * are mypool's, which the server does not know): as kill_query. */
int kill_execute(struct session *s, struct pkt *p, const char *sql, size_t len);
/* On the target's own coroutine, which holds the backend running its statement: KILL QUERY of
 * that backend (KILL CONNECTION when the session is killed: the backend is then broken), sent
 * over a connection of its own (so it can never reach another client). */
void kill_interrupt_statement(struct session *s);

/* ---- prepared.c ---- */
/* COM_STMT_PREPARE/EXECUTE/SEND_LONG_DATA/CLOSE/RESET/FETCH (p at the head of s->in): 0, or -1
 * if the session must end. */
int prepared_command(struct session *s, struct pkt *p, uint8_t cmd);
/* An open cursor or sent long data keeps the backend. */
bool prepared_holds_backend(const struct session *s);
/* The backend is being given up (broken, reset, disconnect): cursors and long data are gone. */
void prepared_backend_gone(struct session *s);
/* Follow what the server's session trackers report in an OK packet. */
void session_track_state(struct session *s, const struct proto_ok *ok);

#endif
