/* session: a client connection as a coroutine (see session.h). */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "authfail.h"
#include "backend.h"
#include "buf.h"
#include "config.h"
#include "coro.h"
#include "io.h"
#include "listen.h"
#include "log.h"
#include "pool.h"
#include "proto.h"
#include "session_priv.h"
#include "sqlscan.h"
#include "varset.h"
#include "thread.h"

/* How much of a slow statement the log shows. */
#define SLOW_LOG_TEXT 200

static bool transaction_pooling(const struct session *s)
{
	return s->cfg->pool_mode == POOL_TRANSACTION;
}

static void pin(struct session *s, enum pin_reason r)
{
	if (!hold_pin(&s->hold, r))
		return;
	s->t->stats.pins[r]++;
	log_debug("pinned to backend %u: %s", s->be ? s->be->server_id : 0, pin_reason_name(r));
}

static const char *end_status_name(enum end_status e)
{
	switch (e) {
	case END_QUIT: return "quit";
	case END_CLIENT_GONE: return "client closed the connection";
	case END_AUTH_FAILED: return "authentication failed";
	case END_PROTOCOL: return "protocol error";
	case END_DRAINED: return "shutdown";
	case END_INTERNAL: return "internal error";
	case END_KILLED: return "killed";
	case END_IDLE: return "idle timeout";
	case END_BACKEND_LOST: return "server connection lost with the session's state";
	}
	return "?";
}

static bool is_charset_var(const uint8_t *name, size_t n)
{
	static const char *const names[] = { "character_set_client", "character_set_connection",
					     "character_set_results", "collation_connection" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncasecmp((const char *)name, names[i], n) == 0)
			return true;
	return false;
}

/* Session variables the server changes by itself and nobody may set (1238): reported by the
 * trackers, never restored. last_gtid comes after every commit on a server that writes a binary
 * log. */
static bool is_read_only_var(const uint8_t *name, size_t n)
{
	static const char *const names[] = { "last_gtid", "in_transaction", "external_user", "proxy_user",
					     "warning_count", "error_count" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncasecmp((const char *)name, names[i], n) == 0)
			return true;
	return false;
}

/* A system variable's new value (from the trackers or read back): it follows the client to
 * every backend, or pins it where mypool cannot carry it. */
static void track_var(struct session *s, const uint8_t *name, size_t name_len, const uint8_t *value, size_t value_len)
{
	struct backend *b = s->be;
	if (is_read_only_var(name, name_len))
		return;
	/* (A value with a NUL is one a C string cannot carry.) */
	if (!varset_name_ok((const char *)name, name_len) || memchr(value, 0, value_len) ||
	    (name_len > 14 && strncasecmp((const char *)name, "session_track_", 14) == 0)) {
		/* The client turned our eyes off, or a name mypool would not write into a
		 * statement: the state stays where it is. */
		pin(s, PIN_STATE);
		return;
	}
	log_debug("session variable %.*s = %.*s", (int)name_len, (const char *)name, (int)value_len,
		  (const char *)value);
	varset_set(&s->vars, (const char *)name, name_len, (const char *)value, value_len);
	if (is_charset_var(name, name_len)) {
		b->charset = 0; /* no longer what a collation id describes */
		b->names[0] = 0;
		s->need_collation = true;
	} else {
		varset_set(&b->vars, (const char *)name, name_len, (const char *)value, value_len);
	}
}

/* What the server's session trackers say changed: restorable state follows the client
 * (schema, system variables), the rest pins it to this backend. */
void session_track_state(struct session *s, const struct proto_ok *ok)
{
	if (!ok->session || !(ok->status & STATUS_SESSION_STATE_CHANGED))
		return;
	struct backend *b = s->be;
	struct proto_track_iter it;
	struct proto_track_item item;
	bool state_change = false, explained = false;
	proto_track_begin(&it, ok->session, ok->session_len);
	while (proto_track_next(&it, &item) == 1) {
		switch (item.type) {
		case TRACK_SCHEMA: {
			explained = true;
			char *db = strndup((const char *)item.name, item.name_len);
			if (!db)
				break;
			free(b->schema);
			b->schema = strdup(db);
			free(s->schema);
			s->schema = db;
			break;
		}
		case TRACK_SYSTEM_VARIABLES:
			explained = true;
			if (item.value)
				track_var(s, item.name, item.name_len, item.value, item.value_len);
			break;
		case TRACK_STATE_CHANGE:
			state_change = true;
			break;
		case TRACK_TRANSACTION_CHARACTERISTICS:
			explained = true;
			hold_trx_characteristics(&s->hold, (unsigned)item.name_len);
			break;
		case TRACK_TRANSACTION_STATE:
			explained = true;
			hold_trx_state(&s->hold, (const char *)item.name, (unsigned)item.name_len);
			break;
		default:
			break;
		}
	}
	/* A change with no item that says what it was: user variables, temporary tables,
	 * prepared statements... none of which can be moved to another connection. */
	if (state_change && !explained && !s->read_users)
		pin(s, PIN_STATE);
}

/* ---- backends ---- */

/* Whether the client holds state on its backend that no other backend can be given: then a
 * lost backend ends the session (as a lost connection would, directly), instead of the next
 * statement running on another backend outside the transaction the client believes open. */
/* The hold rule, with what prepared.c knows (cursors, long data) brought up to date. */
static const struct hold *held(struct session *s)
{
	s->hold.cursors = prepared_holds_backend(s);
	return &s->hold;
}

static bool holds_state(struct session *s)
{
	if (s->be_fresh)
		return false; /* taken for this command: all it has came from s (sync_backend) */
	return hold_state_on_connection(held(s));
}

void session_backend_lost(struct session *s)
{
	log_warn("backend %u failed: %s", s->be->server_id, s->be->error);
	if (holds_state(s))
		s->state_lost = true;
}

void session_lost_backend_err(struct session *s, uint8_t seq, const char *when)
{
	session_backend_lost(s);
	/* If the session ends with it, the client sees what it would directly when its server
	 * goes away: its connection closes (the connector says 2013 or 2006, the codes that make
	 * applications and pools drop a connection). A server-sent 2013 would not do: libmariadb
	 * reads one in the middle of LOAD DATA LOCAL as a malformed packet. */
	if (!s->state_lost)
		relay_send_errf(s, seq, ERR(BACKEND_LOST), "mypool: lost connection to backend%s: %s", when,
				s->be->error);
}

/* Give the backend back. It is reset before anyone else gets it if it may carry state of this
 * client that mypool does not track: always in session pooling; in transaction pooling when
 * the client pinned it or leaves in the middle of a transaction. */
void session_release(struct session *s)
{
	if (!s->be)
		return;
	struct backend *b = s->be;
	if (hold_state_on_connection(held(s)))
		b->dirty = true; /* the reset clears it before anyone else gets the connection */
	if (s->hold.cursors)
		prepared_backend_gone(s);
	s->be = NULL;
	/* Nobody else sees this client's warnings or errors (a reset clears them anyway). */
	if (b->diag_pending && !b->broken && !b->dirty)
		backend_clear_diagnostics(b);
	buf_reset(&s->bin);
	pool_release(s->t->w->pool, b);
}

/* If the client's character set variables are what SET NAMES cs COLLATE coll gives (client,
 * connection and results alike, the collation known), that statement's arguments. */
static bool client_names(const struct session *s, char *out, size_t len)
{
	const char *cc = varset_get(&s->vars, "character_set_client");
	const char *cn = varset_get(&s->vars, "character_set_connection");
	const char *cr = varset_get(&s->vars, "character_set_results");
	const char *co = varset_get(&s->vars, "collation_connection");
	out[0] = 0;
	if (!cc || !cn || !cr || !co || strcmp(cc, cn) != 0 || strcmp(cc, cr) != 0)
		return false;
	/* SET NAMES takes names, not string literals: only plain names are written (a server
	 * that reported anything else gets the collation id path instead). */
	if (!varset_name_ok(cc, strlen(cc)) || !varset_name_ok(co, strlen(co)))
		return false;
	return snprintf(out, len, "%s COLLATE %s", cc, co) < (int)len;
}

/* The backend failed to take the client's state: the client gets why. */
static void sync_failed(struct session *s, uint8_t seq)
{
	struct backend *b = s->be;
	if (b->broken) {
		session_lost_backend_err(s, seq, "");
	} else {
		relay_send_err(s, seq, (uint16_t)backend_errno(b), backend_sqlstate(b), backend_error(b));
	}
}

/* The client's multi-statements option, checked before every command, also on a backend the
 * client holds. Server connections keep them off (mypool's own statements must never run with
 * them: backend.c) and get them on only for a command of several statements from a client that
 * has them on; a single statement runs the same either way. */
static int sync_multi_statements(struct session *s, uint8_t seq)
{
	bool want = s->multi_stmt && (s->scan & SQL_MULTI);
	if (s->be->multi_stmt == want || backend_set_multi_statements(s->be, want) == 0)
		return 0;
	sync_failed(s, seq);
	return -1;
}

/* CONNECTION_ID() is the session's pseudo_thread_id, which only an account with BINLOG REPLAY
 * or SUPER may set: the client's session id when its statement reads it, where the account may
 * (sync_backend folds that into its SET once it is known), else the server's own id, and the
 * client is pinned (session_apply_scan). The first client that asks finds out, here. */
static int sync_connection_id(struct session *s, uint8_t seq)
{
	struct backend *b = s->be;
	if (!(s->scan & SQL_CONNECTION_ID) || b->client_id == s->id || pool_account_ids(b->acct) == POOL_IDS_PINNED)
		return 0;
	char sql[64];
	int n = snprintf(sql, sizeof(sql), "SET @@session.pseudo_thread_id=%u", s->id);
	if (backend_query(b, sql, (size_t)n) == 0) {
		pool_account_learn_ids(b->acct, true);
		b->client_id = s->id;
		return 0;
	}
	if (!b->broken && backend_errno(b) == ER_SPECIFIC_ACCESS_DENIED) {
		pool_account_learn_ids(b->acct, false);
		if (backend_clear_diagnostics(b) == 0) /* the 1227 is not the client's */
			return 0;
	}
	sync_failed(s, seq);
	return -1;
}

/* Bring the backend to the client's session state in at most one statement (plus
 * COM_INIT_DB and COM_SET_OPTION when those differ). On a server error the client gets it
 * and -1 is returned. */
static int sync_backend(struct session *s, uint8_t seq)
{
	struct backend *b = s->be;
	/* User variables another client left here: only a reset makes them as if never set
	 * (MariaDB keeps a variable's type when it is set to NULL). The same client, or one
	 * using the same names, needs none. */
	for (size_t i = 0; i < b->uvars.n; i++) {
		if (!varset_get(&s->uvars, b->uvars.v[i].name)) {
			if (pool_reset(s->t->w->pool, b) != 0)
				goto fail;
			break;
		}
	}
	if (s->schema && (!b->schema || strcmp(b->schema, s->schema) != 0)) {
		if (backend_select_db(b, s->schema) != 0)
			goto fail;
	} else if (!s->schema && b->schema) {
		if (backend_clear_db(b) != 0)
			goto fail;
	}
	if (s->ignore_space && !varset_get(&s->vars, "sql_mode")) {
		/* The server adds IGNORE_SPACE to a CLIENT_IGNORE_SPACE client's sql_mode at login:
		 * make that the client's own setting, applied like any other. */
		char mode[1024], with[1100];
		if (backend_global_sql_mode(b, mode, sizeof(mode)) != 0)
			goto fail;
		int len = snprintf(with, sizeof(with), "%s%sIGNORE_SPACE", mode, mode[0] ? "," : "");
		varset_set(&s->vars, "sql_mode", 8, with, (size_t)len);
	}
	bool ids = pool_account_ids(b->acct) == POOL_IDS_RESTORED;
	uint32_t want_id = (s->scan & SQL_CONNECTION_ID) && ids ? s->id : 0;
	struct buf sql;
	buf_init(&sql, 0);
	buf_put(&sql, "SET ", 4);
	size_t n = 0;
	char want_names[160];
	struct varset rest;
	const struct varset *want = &s->vars;
	varset_init(&rest);
	if (client_names(s, want_names, sizeof(want_names))) {
		/* The client ran SET NAMES: replay that (it also sets what the variables alone do
		 * not, such as the collation of result metadata). */
		if (strcmp(b->names, want_names) != 0) {
			buf_put(&sql, "NAMES ", 6);
			buf_put(&sql, want_names, strlen(want_names));
			n++;
		}
		for (size_t i = 0; i < s->vars.n; i++)
			if (!is_charset_var((const uint8_t *)s->vars.v[i].name, strlen(s->vars.v[i].name)))
				varset_set(&rest, s->vars.v[i].name, strlen(s->vars.v[i].name), s->vars.v[i].value,
					   strlen(s->vars.v[i].value));
		want = &rest;
	} else if (b->charset != s->charset || b->names[0]) {
		char names[160];
		int rc = backend_charset_names(b, s->charset, names, sizeof(names));
		if (rc < 0) {
			buf_free(&sql);
			varset_free(&rest);
			goto fail;
		}
		if (rc == 0) {
			buf_put(&sql, "NAMES ", 6);
			buf_put(&sql, names, strlen(names));
			n++;
		}
	}
	{
		if (n)
			buf_put(&sql, ", ", 2);
		size_t k = varset_diff_sql(&b->vars, want, &sql);
		if (k == 0 && n)
			sql.len -= 2;
		n += k;
		/* LAST_INSERT_ID() is the value of whoever last inserted on this connection: put
		 * this client's back (0 if it never inserted) when that was someone else. */
		if ((s->scan & SQL_LAST_INSERT_ID) && (b->lid_owner != s->id || b->lid_version != s->lid_version) &&
		    !(b->lid_owner == 0 && s->last_insert_id == 0)) {
			char lid[64];
			int len = snprintf(lid, sizeof(lid), "%s@@session.last_insert_id=%llu", n ? ", " : "",
					   (unsigned long long)s->last_insert_id);
			buf_put(&sql, lid, (size_t)len);
			n++;
		}
		/* The client's user variables (the backend has no others: see above). */
		if (s->uvars.n) {
			if (n)
				buf_put(&sql, ", ", 2);
			size_t u = varset_diff_user_sql(&b->uvars, &s->uvars, &sql);
			if (u == 0 && n)
				sql.len -= 2;
			n += u;
		}
		/* CONNECTION_ID() is pseudo_thread_id: the client's session id when it reads it,
		 * else the server's own again (never the id of the client before). */
		if (ids && b->client_id != want_id) {
			char id[64];
			int len = snprintf(id, sizeof(id), "%s@@session.pseudo_thread_id=%u", n ? ", " : "",
					   want_id ? want_id : b->server_id);
			buf_put(&sql, id, (size_t)len);
			n++;
		}
	}
	varset_free(&rest);
	if (n) {
		int rc = sql.failed ? -1 : backend_query(b, (const char *)sql.data, sql.len);
		if (rc != 0) {
			buf_free(&sql);
			goto fail;
		}
		/* What the backend has now: the client's variables (character set variables are
		 * described by b->names or b->charset, or unknown). */
		b->charset = s->charset;
		b->names[0] = 0;
		varset_clear(&b->vars);
		for (size_t i = 0; i < s->vars.n; i++) {
			const struct var *v = &s->vars.v[i];
			if (is_charset_var((const uint8_t *)v->name, strlen(v->name)))
				b->charset = 0;
			else
				varset_set(&b->vars, v->name, strlen(v->name), v->value, strlen(v->value));
		}
		if (want_names[0])
			snprintf(b->names, sizeof(b->names), "%s", want_names);
		if (s->scan & SQL_LAST_INSERT_ID) {
			b->lid_owner = s->id;
			b->lid_version = s->lid_version;
		}
		if (ids)
			b->client_id = want_id;
		varset_copy(&b->uvars, &s->uvars);
	}
	buf_free(&sql);
	if (sync_connection_id(s, seq) != 0)
		return -1;
	return sync_multi_statements(s, seq);
fail:
	sync_failed(s, seq);
	return -1;
}

/* Transaction pooling: after each command, give the backend back unless something keeps it. */
static void after_command(struct session *s)
{
	if (!s->be)
		return;
	if (s->be->broken) {
		session_release(s);
		return;
	}
	if (hold_why(held(s)) != HOLD_NONE)
		return;
	struct backend *b = s->be;
	if (s->lid_dirty) {
		/* The OK packet's insert id is not always LAST_INSERT_ID() (an explicit id, ON
		 * DUPLICATE KEY UPDATE, LAST_INSERT_ID(expr)): take the server's word for it. */
		uint64_t id;
		if (backend_last_insert_id(b, &id) == 0) {
			s->last_insert_id = id;
			b->lid_owner = s->id;
			b->lid_version = ++s->lid_version;
		}
		s->lid_dirty = false;
	}
	s->t->stats.releases++;
	session_release(s);
}

/* KILL of this session, or of its statement, while it waits to run one: the client gets what
 * MariaDB says to it (true), or nothing happened (false). */
static bool interrupted(struct session *s, uint8_t seq)
{
	if (s->killed) {
		relay_send_err(s, seq, ERR(CONNECTION_KILLED), "Connection was killed");
		return true;
	}
	if (s->kill_query) {
		s->kill_query = false;
		relay_send_err(s, seq, ERR(QUERY_INTERRUPTED), "Query execution was interrupted");
		return true;
	}
	return false;
}

/* Attach a backend in the client's state. On failure the client has an error packet. */
int session_acquire(struct session *s, uint8_t seq)
{
	/* A backend the client holds has its state already: what the client changed, it changed
	 * there. Only one taken from the pool is brought to the client's state. */
	if (s->be)
		return sync_connection_id(s, seq) == 0 ? sync_multi_statements(s, seq) : -1;
	while (__atomic_load_n(&s->t->w->paused, __ATOMIC_RELAXED) && !s->drain && !s->killed && !s->kill_query) {
		/* Admin PAUSE: running transactions finish, new ones wait for RESUME. */
		s->paused = true;
		s->phase = PH_WAITING;
		io_wait(-1, 0, -1, NULL);
		s->paused = false;
		s->phase = PH_ACTIVE;
	}
	if (interrupted(s, seq))
		return -1;
	enum pool_error pe;
	char err[256];
	s->phase = PH_WAITING;
	s->be = pool_checkout(s->t->w->pool, s->user, s->caps & CAP_FOUND_ROWS, s->globals, s->t, &pe, err,
			      sizeof(err));
	s->be_fresh = true;
	s->phase = PH_ACTIVE;
	if (s->be && (s->killed || s->kill_query)) {
		/* KILLed while it waited, as the grant came. */
		session_release(s);
		interrupted(s, seq);
		return -1;
	}
	if (!s->be && interrupted(s, seq))
		return -1;
	if (!s->be) {
		switch (pe) {
		case POOL_TIMEOUT:
		case POOL_CANCELLED:
			relay_send_errf(s, seq, ERR(POOL_TIMEOUT), "mypool: %s", err);
			break;
		case POOL_SHUTDOWN:
			relay_send_err(s, seq, ERR(SERVER_SHUTDOWN), "mypool: server shutdown in progress");
			break;
		case POOL_UNAVAILABLE:
		case POOL_OK:
			relay_send_errf(s, seq, ERR(BACKEND_DOWN), "mypool: backend unavailable: %s", err);
			break;
		}
		s->t->stats.errors++;
		return -1;
	}
	log_debug("attached backend %u", s->be->server_id);
	if (sync_backend(s, seq) == 0)
		return 0;
	session_release(s); /* the client has the error */
	return -1;
}

/* ---- commands ---- */

void session_begin_command(struct session *s, const uint8_t *sql, size_t len)
{
	s->scan = sql ? sqlscan((const char *)sql, len) : 0;
	free(s->read_back);
	s->read_back = (s->scan & SQL_SYSVAR_UNTRACKED) ? sqlscan_read_back_sql((const char *)sql, len, false) : NULL;
	free(s->read_users);
	s->read_users = (s->scan & SQL_USER_VAR) && transaction_pooling(s)
				? sqlscan_read_back_sql((const char *)sql, len, true)
				: NULL;
	hold_command(&s->hold);
	s->kill_query = false; /* a KILL QUERY for the previous statement came too late */
	s->be_sent = false;
	s->err_ok = true;
	s->torn = false;
	s->resp_err = false;
	s->seq_shift = 0;
	s->be_fresh = false;
}

void session_apply_scan(struct session *s)
{
	if ((s->scan & SQL_USER_VAR) && !s->read_users)
		pin(s, PIN_USER_VAR);
	if (s->scan & SQL_TEMP_TABLE)
		pin(s, PIN_TEMP_TABLE);
	if (s->scan & SQL_GET_LOCK)
		pin(s, PIN_LOCK);
	if ((s->scan & SQL_CONNECTION_ID) && pool_account_ids(s->be->acct) == POOL_IDS_PINNED)
		pin(s, PIN_CONNECTION_ID); /* the server's id: it must stay the client's */
	if (s->scan & SQL_PREPARE)
		pin(s, PIN_PREPARE);
	if (s->scan & SQL_LOCKING)
		pin(s, PIN_TABLE_LOCK);
	if (s->scan & SQL_CALC_FOUND_ROWS)
		hold_next(&s->hold, HOLD_FOUND_ROWS);
	if ((s->scan & SQL_SYSVAR_UNTRACKED) && !s->read_back)
		pin(s, PIN_STATE);
}

int session_forward(struct session *s, const struct pkt *p, bool may_retry)
{
	struct backend *b = s->be;
	bool too_large;
	int fw = relay_forward_command(s, p, &too_large);
	if (fw == 0)
		return 0;
	if (fw == -2) {
		/* The client vanished halfway through its command: the backend has half of it. */
		b->broken = true;
		snprintf(b->error, sizeof(b->error), "client went away while sending a command");
		return -1;
	}
	if (too_large) {
		relay_send_err(s, (uint8_t)(p->seq + 1), ERR(NET_PACKET_TOO_LARGE),
			       "Got a packet bigger than 'max_allowed_packet' bytes");
		session_release(s);
		return -1;
	}
	if (fw == -3 && may_retry && s->be_fresh && !s->hold.pins && !(s->hold.status & STATUS_IN_TRANS)) {
		/* The server closed a connection that was idle in the pool (restarted, killed,
		 * wait_timeout): the command never reached it, and the client holds nothing on
		 * it. Run the command on another connection. */
		log_info("backend %u was gone (%s); running the command on another one", b->server_id, b->error);
		session_release(s);
		return 2;
	}
	if (fw == -3)
		relay_client_consume(s, p); /* a whole command: it is not run anywhere */
	session_lost_backend_err(s, (uint8_t)(p->seq + 1), "");
	session_release(s);
	return fw == -3 ? 1 : -1;
}

static void read_back_var(void *arg, const char *name, enum value_kind kind, const char *value, size_t len)
{
	(void)kind;
	struct session *s = arg;
	const char *dot = strrchr(name, '.');
	name = dot ? dot + 1 : name; /* "@@session.x" */
	size_t name_len = strlen(name);
	if (!value && name_len > 14 && strncasecmp(name, "character_set_", 14) == 0)
		value = ""; /* as the trackers report NULL (character_set_results = NULL) */
	if (value)
		track_var(s, (const uint8_t *)name, name_len, (const uint8_t *)value, len);
	else
		pin(s, PIN_STATE);
}

/* read_users' row: four columns per variable (value, HEX, CHARSET, COLLATION). */
struct user_row {
	struct session *s;
	unsigned col;
	const char *name, *value, *hex, *cs;
	enum value_kind kind;
	size_t bytes; /* of the literals kept so far */
};

static void read_user_col(void *arg, const char *name, enum value_kind kind, const char *value, size_t len)
{
	(void)len;
	struct user_row *r = arg;
	switch (r->col++ % 4) {
	case 0:
		r->name = name + (name[0] == '@');
		r->kind = kind;
		r->value = value;
		return;
	case 1:
		r->hex = value;
		return;
	case 2:
		r->cs = value;
		return;
	}
	struct session *s = r->s;
	struct buf lit;
	buf_init(&lit, 0);
	bool ok = varset_name_ok(r->name, strlen(r->name)) &&
		  varset_user_literal(&lit, r->kind, r->value, r->hex, r->cs, value) && !lit.failed;
	buf_put_u8(&lit, 0);
	const char *old = varset_get(&s->uvars, r->name);
	if (old)
		r->bytes -= strlen(old) + 1; /* replaced: counted once, at its new size */
	if (ok && (r->bytes += lit.len) <= s->cfg->max_user_variable_bytes) {
		varset_set(&s->uvars, r->name, strlen(r->name), (const char *)lit.data, lit.len - 1);
		varset_set(&s->be->uvars, r->name, strlen(r->name), (const char *)lit.data, lit.len - 1);
	} else {
		pin(s, PIN_USER_VAR); /* too large to carry, or a value mypool cannot write back */
	}
	buf_free(&lit);
}

/* After a command, what the trackers could not say: the values of variables it set as @@name,
 * the user variables it set, and the collation SET NAMES ... COLLATE chose (the trackers name
 * the character sets only). */
static void read_back(struct session *s)
{
	struct backend *b = s->be;
	if (s->read_users && transaction_pooling(s)) {
		struct user_row r = { .s = s };
		for (size_t i = 0; i < s->uvars.n; i++)
			r.bytes += strlen(s->uvars.v[i].value) + 1;
		if (backend_select_row(b, s->read_users, read_user_col, &r) != 0 && !b->broken)
			pin(s, PIN_USER_VAR);
		/* A stored program it called may have set user variables the text does not name:
		 * reset before anyone else gets the connection. */
		if (s->scan & SQL_CALLS)
			b->dirty = true;
	}
	free(s->read_users);
	s->read_users = NULL;
	if (s->read_back && transaction_pooling(s)) {
		if (s->resp_err && (s->scan & SQL_MULTI))
			pin(s, PIN_STATE); /* some of its statements may have run */
		else if (!s->resp_err && backend_select_row(b, s->read_back, read_back_var, s) != 0 && !b->broken)
			pin(s, PIN_STATE);
	}
	free(s->read_back);
	s->read_back = NULL;
	if (s->need_collation && !b->broken) {
		char coll[64];
		s->need_collation = false;
		if (backend_collation(b, coll, sizeof(coll)) == 0) {
			varset_set(&s->vars, "collation_connection", 20, coll, strlen(coll));
			client_names(s, b->names, sizeof(b->names)); /* what this backend has now */
		}
	}
}

int session_finish(struct session *s, enum relay r, uint8_t first_seq)
{
	struct backend *b = s->be;
	if (b && r == RELAY_DONE && !b->broken)
		read_back(s);
	if (b && r == RELAY_DONE) {
		/* A statement sets the diagnostics area; SHOW WARNINGS and the like only read it. */
		if (!(s->scan & SQL_DIAGNOSTICS))
			b->diag_pending = s->warnings != 0;
		if (s->scan & SQL_SET_LAST_INSERT_ID)
			s->lid_dirty = true;
	}
	if (s->scan & SQL_SET_GLOBAL)
		pool_globals_changed(s->t->w->pool); /* clients from now on must see it */
	if (b && b->diag_pending)
		hold_next(&s->hold, HOLD_DIAGNOSTICS); /* SHOW WARNINGS and the like must see them */
	switch (r) {
	case RELAY_DONE:
		return 0;
	case RELAY_CLIENT_GONE:
		/* The backend may still be sending: never hand it to anyone else. */
		b->broken = true;
		snprintf(b->error, sizeof(b->error), "client went away during the response");
		return -1;
	case RELAY_BACKEND_GONE:
		if (!s->torn && (!s->be_sent || s->err_ok)) {
			/* Nothing of the response yet, between rows or between results: an ERR may
			 * stand there and ends the response. */
			session_lost_backend_err(s, (uint8_t)(s->be_sent ? s->last_seq + 1 : first_seq), " during query");
		} else {
			/* In the middle of a packet or of a result set's metadata: the stream cannot
			 * be repaired, closing it is how the client learns. */
			session_backend_lost(s);
			buf_reset(&s->out);
			s->state_lost = true;
		}
		session_release(s);
		return 0;
	}
	return 0;
}

/* Relay one text-protocol command to the backend and its response to the client. Returns 0, or
 * -1 if the session must end (the client went away or the stream cannot be repaired). */
static int relay_command(struct session *s, const struct pkt *p, uint8_t cmd, uint8_t opt)
{
	if (cmd == COM_QUERY && p->len > 1) {
		/* A command larger than the input buffer is scanned as far as it is buffered. */
		session_begin_command(s, p->data + 1, relay_client_have(s, p) - 1);
	} else {
		session_begin_command(s, NULL, 0);
	}
	char *init_db = NULL; /* COM_INIT_DB's database, followed even without a session tracker */
	if (cmd == COM_INIT_DB && p->whole)
		init_db = strndup((const char *)p->data + 1, p->len - 1);
	/* The slow-query log shows the start of the statement (never more), its string
	 * literals masked: they may hold passwords. */
	char slow[SLOW_LOG_TEXT + 1] = "";
	bool slow_cut = false;
	uint64_t started = 0;
	if (s->cfg->log_slow_ms && cmd == COM_QUERY) {
		size_t n = relay_client_have(s, p) - 1;
		slow_cut = sqlscan_mask_literals((const char *)p->data + 1, n, slow, sizeof(slow)) < p->len - 1;
		started = mono_ms();
	}
	if ((s->scan & SQL_LOAD_LOCAL) && !(s->caps & CAP_LOCAL_FILES)) {
		/* What the server answers a client that did not offer to send files. */
		free(init_db);
		if (relay_client_drop(s, p) != 0)
			return -1;
		relay_send_err(s, 1, ERR(LOAD_INFILE_CAPABILITY_DISABLED),
			       "The used command is not allowed because the MariaDB server or client has disabled the "
			       "local infile capability");
		return 0;
	}
	int fw;
	for (int attempt = 0;; attempt++) {
		if (session_acquire(s, (uint8_t)(p->seq + 1)) != 0) {
			free(init_db);
			return relay_client_drop(s, p);
		}
		session_apply_scan(s);
		if (!p->whole)
			/* Scanned only as far as it was buffered: whatever session state its rest left
			 * (a named lock, a user variable set in a SELECT) is reset before anyone else
			 * gets this connection. */
			s->be->dirty = true;
		fw = session_forward(s, p, attempt < 3);
		if (fw != 2)
			break;
	}
	struct backend *b = s->be;
	if (fw != 0) {
		free(init_db);
		return fw < 0 ? -1 : 0;
	}

	enum relay r = RELAY_DONE;
	bool done = false;
	switch (cmd) {
	case COM_QUERY:
		while (!done && r == RELAY_DONE)
			r = relay_result(s, &done, NULL);
		break;
	case COM_FIELD_LIST:
		r = relay_field_list(s);
		break;
	case COM_STATISTICS: {
		uint32_t len;
		r = relay_be_packet(s, &len, 0) != 0 ? RELAY_BACKEND_GONE : relay_pass(s, len);
		break;
	}
	default:
		r = relay_result(s, &done, NULL);
		break;
	}
	if (r == RELAY_DONE && !s->resp_err && cmd == COM_SET_OPTION)
		s->multi_stmt = b->multi_stmt = opt == 0; /* MYSQL_OPTION_MULTI_STATEMENTS_ON is 0 */
	if (r == RELAY_DONE && !s->resp_err && init_db) {
		free(s->schema);
		s->schema = init_db;
		free(b->schema);
		b->schema = strdup(init_db);
		init_db = NULL;
	}
	free(init_db);
	if (started) {
		uint64_t ms = mono_ms() - started;
		if (ms >= s->cfg->log_slow_ms)
			log_warn("slow query (%llu ms): %s%s", (unsigned long long)ms, slow, slow_cut ? "..." : "");
	}
	return session_finish(s, r, (uint8_t)(p->seq + 1));
}

/* The client's session state goes back to what it had right after login (COM_RESET_CONNECTION,
 * and the start of COM_CHANGE_USER). The backend is reset before anyone else uses it. */
static void forget_state(struct session *s)
{
	if (s->be) {
		s->be->dirty = true;
		session_release(s);
	}
	varset_clear(&s->vars);
	varset_clear(&s->uvars);
	stmt_table_clear(&s->stmts); /* the server deallocates them too */
	hold_forget(&s->hold);
	s->last_insert_id = 0;
	s->multi_stmt = s->caps & CAP_MULTI_STATEMENTS;
	s->globals = pool_globals(s->t->w->pool); /* the server takes today's global values too */
}

#define SHA2_PLUGIN "caching_sha2_password"

/* The user a client logs in as (shorter than s->user); the log context names it, and the
 * client's address if it came over TCP. */
static void set_user(struct session *s, const uint8_t *user, size_t len)
{
	memcpy(s->user, user, len);
	s->user[len] = 0;
	char addr[64] = "";
	if (s->port)
		session_addr(s, addr, sizeof(addr));
	snprintf(s->ctx, sizeof(s->ctx), "s%u%s%s%s%s", s->id, len ? " " : "", s->user, s->port ? " " : "", addr);
}

static long login_time_left(const struct session *s);

/* The client's address for counting failed logins: NULL over the Unix socket, which all local
 * clients share (there only the user counts). */
static const char *login_addr(const struct session *s)
{
	return s->port ? s->host : NULL;
}

/* A login attempt for a user (or from an address) that failed several times in a row waits
 * before its password is checked (authfail.h): its own coroutine does, nobody else. */
static void login_delay(struct session *s)
{
	const struct config *c = s->cfg;
	struct authfail_limits l = { c->auth_failure_threshold, c->auth_failure_delay_ms, c->auth_failure_delay_max_ms };
	unsigned ms = authfail_delay(&l, s->user, login_addr(s), mono_ms());
	if (ms) {
		/* Never past the login's own deadline: the session ends there anyway. */
		long left = login_time_left(s);
		log_info("login attempt for user '%s' waits %u ms after failed ones", s->user, ms);
		io_sleep((long)ms < left ? (long)ms : left);
	}
}

static enum end_status deny(struct session *s, uint8_t seq, bool with_password, const struct config_user *u)
{
	authfail_failed(s->user, login_addr(s), mono_ms());
	log_info("access denied for user '%s'%s", s->user, u ? "" : " (unknown user)");
	relay_send_errf(s, seq, ERR(ACCESS_DENIED), "Access denied for user '%s'@'%s' (using password: %s)",
			s->user, s->host, with_password ? "YES" : "NO");
	relay_flush(s);
	return END_AUTH_FAILED;
}

/* What is left of client_login_timeout for the current login (at least 1 ms). */
static long login_time_left(const struct session *s)
{
	uint64_t spent = mono_ms() - s->login_ms;
	return spent < s->cfg->client_login_timeout_ms ? (long)(s->cfg->client_login_timeout_ms - spent) : 1;
}

/* Read the next authentication packet of the client into token. */
static enum end_status auth_read(struct session *s, struct pkt *p, uint8_t *seq, uint8_t *token, size_t cap,
				 size_t *len)
{
	if (relay_flush(s) != 0 || relay_client_packet(s, p, login_time_left(s)) != 0)
		return END_CLIENT_GONE;
	if (!p->whole || p->seq != (uint8_t)(*seq + 1) || p->len > cap) {
		relay_send_err(s, (uint8_t)(*seq + 2), ERR(HANDSHAKE), "Bad handshake");
		relay_flush(s);
		return END_PROTOCOL;
	}
	memcpy(token, p->data, p->len);
	*len = p->len;
	*seq = (uint8_t)(p->seq + 1);
	relay_client_consume(s, p);
	return END_QUIT;
}

/* caching_sha2_password: the fast path when the hash is known and the token verifies, else full
 * authentication (the client sends the password itself, which it does only over a Unix
 * socket). Returns true with the outcome in *st, or false: the client goes on with
 * mysql_native_password (over TCP, where full authentication would need an RSA key or TLS).
 * An unknown user (u NULL), a user whose hash mypool does not know and a wrong token all get
 * the same replies until the final error, so the replies do not tell which users exist. */
static bool auth_sha2(struct session *s, struct pkt *p, const struct config_user *u, const uint8_t *token,
		      size_t token_len, uint8_t *seq, enum end_status *st)
{
	uint8_t m2[32];
	uint8_t again[64];
	if (token_len == 0 && u && !u->has_password)
		return (*st = END_QUIT, true);
	if (token_len == 0) {
		/* The greeting named another plugin, so the client answered nothing (libmariadb
		 * does): switch it to caching_sha2_password with the same scramble. */
		uint8_t data[AUTH_SCRAMBLE_LEN + 1];
		memcpy(data, s->scramble, AUTH_SCRAMBLE_LEN);
		data[AUTH_SCRAMBLE_LEN] = 0;
		proto_write_auth_switch(&s->out, *seq, SHA2_PLUGIN, data, sizeof(data));
		*st = auth_read(s, p, seq, again, sizeof(again), &token_len);
		if (*st != END_QUIT)
			return true;
		token = again;
		if (token_len == 0)
			return (*st = deny(s, *seq, false, u), true);
	}
	if (u && auth_sha2_known(u->name, u->stage2, u->has_sha2 ? u->sha2_stage2 : NULL, m2)) {
		/* The nonce is the 20-byte scramble; some clients hash its trailing NUL too. */
		uint8_t nonce[AUTH_SCRAMBLE_LEN + 1];
		memcpy(nonce, s->scramble, AUTH_SCRAMBLE_LEN);
		nonce[AUTH_SCRAMBLE_LEN] = 0;
		if (auth_sha2_verify(nonce, AUTH_SCRAMBLE_LEN, token, token_len, m2) ||
		    auth_sha2_verify(nonce, AUTH_SCRAMBLE_LEN + 1, token, token_len, m2)) {
			static const uint8_t fast_ok = 0x03;
			log_debug("caching_sha2_password: fast authentication");
			proto_write_auth_more(&s->out, *seq, &fast_ok, 1);
			*seq = (uint8_t)(*seq + 1);
			return (*st = END_QUIT, true);
		}
	}
	if (s->port) {
		/* Over TCP a client sends the password itself only encrypted with the server's RSA
		 * key or over TLS, neither of which mypool has: mysql_native_password instead. */
		log_debug("caching_sha2_password: switching a TCP client to mysql_native_password");
		return false;
	}
	static const uint8_t full = 0x04;
	log_debug("caching_sha2_password: full authentication");
	proto_write_auth_more(&s->out, *seq, &full, 1);
	uint8_t pw[256];
	size_t n;
	*st = auth_read(s, p, seq, pw, sizeof(pw), &n);
	if (*st != END_QUIT)
		return true;
	if (n == 1 && pw[0] == 0x02) {
		/* A client that insists on the server's RSA key even over the Unix socket. */
		relay_send_err(s, *seq, ERR(ACCESS_DENIED),
			       "mypool: caching_sha2_password full authentication needs the Unix socket (mypool has no TLS)");
		relay_flush(s);
		return (*st = END_AUTH_FAILED, true);
	}
	bool ok = u && auth_cleartext_verify(pw, n, u->stage2, u->has_password);
	if (ok)
		auth_sha2_learn(u->name, u->stage2, pw, n && pw[n - 1] == 0 ? n - 1 : n);
	memset(pw, 0, sizeof(pw));
	if (!ok)
		return (*st = deny(s, *seq, true, u), true);
	return (*st = END_QUIT, true);
}

/* A user given by its ed25519 public key: only MariaDB's client_ed25519 can log in as it. The
 * client signs a fresh 32-byte nonce with the key it derives from the password. */
static enum end_status auth_ed25519(struct session *s, struct pkt *p, const struct config_user *u, uint8_t *seq)
{
	uint8_t nonce[AUTH_ED25519_NONCE_LEN], sig[64];
	size_t sig_len = 0;
	if (!(s->caps & CAP_PLUGIN_AUTH) || auth_random(nonce, sizeof(nonce)) != 0)
		return deny(s, *seq, true, u);
	proto_write_auth_switch(&s->out, *seq, "client_ed25519", nonce, sizeof(nonce));
	enum end_status st = auth_read(s, p, seq, sig, sizeof(sig), &sig_len);
	if (st != END_QUIT)
		return st;
	if (!auth_ed25519_verify(u->ed25519_key, nonce, sizeof(nonce), sig, sig_len))
		return deny(s, *seq, sig_len > 0, u);
	return END_QUIT;
}

/* Check the password of s->user: with the token the client sent for `plugin`
 * (mysql_native_password or caching_sha2_password), or after switching it to
 * mysql_native_password if it started with another plugin. The packet that carried the token
 * (p) is consumed. On success *seq is the sequence id to answer with. */
static enum end_status check_password(struct session *s, struct pkt *p, const uint8_t *plugin, size_t plugin_len,
				      const uint8_t *auth, size_t auth_len, uint8_t *seq)
{
	uint8_t token[64];
	size_t token_len = auth_len < sizeof(token) ? auth_len : sizeof(token);
	memcpy(token, auth, token_len);
	bool native = !plugin || (plugin_len == strlen(NATIVE_PLUGIN) && memcmp(plugin, NATIVE_PLUGIN, plugin_len) == 0);
	bool sha2 = plugin && plugin_len == strlen(SHA2_PLUGIN) && memcmp(plugin, SHA2_PLUGIN, plugin_len) == 0;
	relay_client_consume(s, p);
	const struct config_user *u = config_find_user(s->cfg, s->user, strlen(s->user));
	enum end_status st;
	if (u && u->has_ed25519)
		return auth_ed25519(s, p, u, seq);
	if (sha2 && (s->caps & CAP_PLUGIN_AUTH) && auth_sha2(s, p, u, token, token_len, seq, &st))
		return st;
	if (!native && (s->caps & CAP_PLUGIN_AUTH)) {
		uint8_t data[AUTH_SCRAMBLE_LEN + 1];
		memcpy(data, s->scramble, AUTH_SCRAMBLE_LEN);
		data[AUTH_SCRAMBLE_LEN] = 0;
		proto_write_auth_switch(&s->out, *seq, NATIVE_PLUGIN, data, sizeof(data));
		st = auth_read(s, p, seq, token, sizeof(token), &token_len);
		if (st != END_QUIT)
			return st;
	}
	if (!u || !auth_native_verify(s->scramble, token, token_len, u->stage2, u->has_password))
		return deny(s, *seq, token_len > 0, u);
	return END_QUIT; /* = no error */
}

/* A login's password check (check_password), slowed down after failed ones. */
static enum end_status auth_user(struct session *s, struct pkt *p, const uint8_t *plugin, size_t plugin_len,
				 const uint8_t *auth, size_t auth_len, uint8_t *seq)
{
	login_delay(s);
	enum end_status st = check_password(s, p, plugin, plugin_len, auth, auth_len, seq);
	if (st == END_QUIT)
		authfail_succeeded(s->user, login_addr(s));
	return st;
}

/* The database named at login or in COM_CHANGE_USER must exist, as the server would check. */
static int check_schema(struct session *s, uint8_t seq)
{
	if (!s->schema || (transaction_pooling(s) && pool_schema_known(s->t->w->pool, s->user, s->schema)))
		return 0;
	if (session_acquire(s, seq) != 0)
		return -1;
	pool_schema_seen(s->t->w->pool, s->user, s->schema);
	return 0;
}

/* COM_CHANGE_USER: a new login on the same connection. All session state is dropped. */
static enum end_status change_user(struct session *s, struct pkt *p)
{
	struct proto_change_user cu;
	if (!p->whole || proto_parse_change_user(p->data, p->len, s->caps, &cu) != 0 || cu.user_len >= sizeof(s->user) ||
	    cu.user_len == 0) {
		log_info("malformed COM_CHANGE_USER");
		relay_send_err(s, 1, ERR(HANDSHAKE), "Bad handshake");
		relay_flush(s);
		return END_PROTOCOL;
	}
	s->login_ms = mono_ms();
	forget_state(s);
	free(s->schema);
	s->schema = cu.db && cu.db_len ? strndup((const char *)cu.db, cu.db_len) : NULL;
	set_user(s, cu.user, cu.user_len);
	if (cu.has_charset && cu.charset && cu.charset < 256)
		s->charset = (uint8_t)cu.charset;
	uint8_t seq = 1;
	enum end_status st = auth_user(s, p, cu.plugin, cu.plugin_len, cu.auth, cu.auth_len, &seq);
	if (st != END_QUIT)
		return st;
	if (check_schema(s, seq) != 0) {
		relay_flush(s);
		return END_AUTH_FAILED;
	}
	after_command(s);
	relay_send_ok(s, seq);
	log_debug("changed user");
	return END_QUIT;
}

/* How long the client may stay silent now (-1 = for ever), and which key says so:
 * client_idle_timeout, or idle_transaction_timeout if shorter while it keeps a server connection
 * busy (an open transaction; with transaction pooling also a pin). */
static long idle_limit(const struct session *s, const char **key)
{
	unsigned t = s->cfg->client_idle_timeout_ms, tx = s->cfg->idle_transaction_timeout_ms;
	bool holding = (s->hold.status & STATUS_IN_TRANS) || (transaction_pooling(s) && s->be);
	*key = "client_idle_timeout";
	if (holding && tx && (!t || tx < t)) {
		t = tx;
		*key = "idle_transaction_timeout";
	}
	return t ? (long)t : -1;
}

/* Commands that may be larger than CLIENT_WHOLE_MAX: they are streamed to the server, and their
 * handlers read only the start of them (relay_client_prefix). Every other command is handled
 * whole or refused. */
static bool streams(const struct session *s, uint8_t cmd)
{
	return !s->admin && (cmd == COM_QUERY || cmd == COM_STMT_EXECUTE || cmd == COM_STMT_SEND_LONG_DATA);
}

static enum end_status command_loop(struct session *s)
{
	for (;;) {
		if (relay_flush(s) != 0)
			return END_CLIENT_GONE;
		if (s->state_lost)
			return END_BACKEND_LOST;
		if (s->killed)
			return END_KILLED;
		if (s->drain && !(s->hold.status & STATUS_IN_TRANS))
			return END_DRAINED;
		s->phase = PH_IDLE;
		struct pkt p;
		const char *key;
		long idle = idle_limit(s, &key);
		errno = 0; /* ETIMEDOUT below must be this read's */
		int rc = relay_client_packet(s, &p, idle);
		s->phase = PH_ACTIVE;
		if (rc != 0 && errno == ETIMEDOUT) {
			log_info("idle for %ld ms (%s): disconnecting", idle, key);
			return END_IDLE;
		}
		if (rc != 0)
			return s->killed ? END_KILLED : s->drain ? END_DRAINED : END_CLIENT_GONE;
		if (p.len == 0) {
			log_info("empty command packet");
			relay_send_err(s, (uint8_t)(p.seq + 1), ERR(HANDSHAKE), "mypool: malformed packet");
			relay_flush(s);
			return END_PROTOCOL;
		}
		if (p.seq != 0) {
			log_info("command packet with sequence id %u", p.seq);
			relay_send_err(s, 1, ERR(NET_PACKETS_OUT_OF_ORDER), "Got packets out of order");
			relay_flush(s);
			return END_PROTOCOL;
		}
		if (p.len > s->cfg->max_allowed_packet) {
			relay_send_err(s, 1, ERR(NET_PACKET_TOO_LARGE), "Got a packet bigger than 'max_allowed_packet' bytes");
			relay_flush(s);
			return END_PROTOCOL;
		}
		uint8_t cmd = p.data[0];
		s->t->stats.queries++;
		if (!p.whole && !streams(s, cmd)) {
			/* Larger than mypool buffers, and a command whose handler needs it whole:
			 * read past it, so its rest is not taken for commands. */
			log_info("%s of %u bytes refused", proto_cmd_name(cmd), p.len);
			if (relay_client_drop(s, &p) != 0)
				return END_CLIENT_GONE;
			relay_send_errf(s, 1, ERR(NET_PACKET_TOO_LARGE), "mypool: %s of %u bytes is too large",
					proto_cmd_name(cmd), p.len);
			continue;
		}
		uint8_t opt = p.whole && p.len >= 3 ? p.data[1] : 0;
		if (s->admin && cmd != COM_QUIT) {
			if (!p.whole) { /* the console's commands are short */
				if (relay_client_drop(s, &p) != 0)
					return END_CLIENT_GONE;
				relay_send_err(s, 1, ERR(NET_PACKET_TOO_LARGE),
					       "Got a packet bigger than 'max_allowed_packet' bytes");
				continue;
			}
			int crc = session_console_command(s, cmd, p.data + 1, p.len - 1);
			relay_client_consume(s, &p);
			if (crc != 0)
				return END_CLIENT_GONE;
			continue;
		}
		switch (cmd) {
		case COM_QUIT:
			return END_QUIT;
		case COM_PING:
			relay_client_consume(s, &p);
			relay_send_ok(s, 1);
			break;
		case COM_CHANGE_USER: {
			enum end_status st = change_user(s, &p);
			if (st != END_QUIT)
				return st;
			break;
		}
		case COM_RESET_CONNECTION:
			relay_client_consume(s, &p);
			forget_state(s); /* the schema stays, as on the server */
			relay_send_ok(s, 1);
			break;
		case COM_STMT_PREPARE:
		case COM_STMT_EXECUTE:
		case COM_STMT_SEND_LONG_DATA:
		case COM_STMT_CLOSE:
		case COM_STMT_RESET:
		case COM_STMT_FETCH:
			if (prepared_command(s, &p, cmd) != 0) {
				relay_flush(s);
				return END_CLIENT_GONE;
			}
			break;
		case COM_PROCESS_KILL:
			if (kill_command(s, &p) != 0)
				return END_CLIENT_GONE;
			break;
		case COM_QUERY:
			if (p.whole && p.len > 5 && kill_is_statement(p.data + 1, p.len - 1)) {
				if (kill_query(s, &p) != 0)
					return END_CLIENT_GONE;
				break;
			}
			/* fall through */
		case COM_PROCESS_INFO:
		case COM_INIT_DB:
		case COM_FIELD_LIST:
		case COM_STATISTICS:
		case COM_SET_OPTION:
			if (relay_command(s, &p, cmd, opt) != 0) {
				relay_flush(s);
				return END_CLIENT_GONE;
			}
			break;
		default:
			log_info("unsupported command %s", proto_cmd_name(cmd));
			if (relay_client_drop(s, &p) != 0)
				return END_CLIENT_GONE;
			relay_send_errf(s, 1, ERR(UNKNOWN_COM), "mypool: command %s is not supported", proto_cmd_name(cmd));
			break;
		}
		after_command(s);
	}
}

/* ---- handshake and authentication ---- */

static enum end_status authenticate(struct session *s)
{
	struct proto_handshake hs = {
		.conn_id = s->id,
		.caps = SERVER_CAPS,
		.charset = DEFAULT_COLLATION,
		.status = STATUS_AUTOCOMMIT,
		.auth_plugin = NATIVE_PLUGIN,
	};
	char version[96];
	snprintf(version, sizeof(version), "5.5.5-%s", s->cfg->server_version);
	hs.server_version = version;
	/* Announce the server's own character set (clients such as PHP's mysqlnd take it as their
	 * default), once a connection has told us what it is. */
	unsigned server_cs = pool_server_charset(s->t->w->pool);
	if (server_cs)
		hs.charset = (uint8_t)server_cs;
	if (auth_scramble(s->scramble) != 0) {
		log_error("no randomness for the scramble");
		return END_INTERNAL;
	}
	memcpy(hs.scramble, s->scramble, sizeof(s->scramble));
	proto_write_handshake(&s->out, &hs);
	if (relay_flush(s) != 0)
		return END_CLIENT_GONE;

	struct pkt p;
	if (relay_client_packet(s, &p, login_time_left(s)) != 0)
		return END_CLIENT_GONE;
	if (!p.whole || p.seq != 1) {
		log_info("bad handshake response (seq %u, %u bytes)", p.seq, p.len);
		relay_send_err(s, 2, ERR(HANDSHAKE), "Bad handshake");
		relay_flush(s);
		return END_PROTOCOL;
	}
	struct proto_handshake_response hr;
	int rc = proto_parse_handshake_response(p.data, p.len, &hr);
	if (rc == -2) {
		log_info("client asked for TLS, which mypool does not offer");
		relay_send_err(s, 2, ERR(HANDSHAKE), "mypool: SSL is not supported");
		relay_flush(s);
		return END_PROTOCOL;
	}
	if (rc != 0 || hr.user_len >= sizeof(s->user)) {
		log_info("malformed handshake response (%u bytes)", p.len);
		relay_send_err(s, 2, ERR(HANDSHAKE), "Bad handshake");
		relay_flush(s);
		return END_PROTOCOL;
	}
	s->caps = hr.caps & SERVER_CAPS;
	s->charset = hr.charset ? hr.charset : DEFAULT_COLLATION;
	s->multi_stmt = s->caps & CAP_MULTI_STATEMENTS;
	s->ignore_space = s->caps & CAP_IGNORE_SPACE;
	set_user(s, hr.user, hr.user_len);
	if (hr.db && hr.db_len > 0)
		s->schema = strndup((const char *)hr.db, hr.db_len);

	uint8_t seq = 2;
	enum end_status st = auth_user(s, &p, hr.plugin, hr.plugin_len, hr.auth, hr.auth_len, &seq);
	if (st != END_QUIT)
		return st;
	if (session_console_claims(s->schema)) {
		if (!session_console_allows(s)) {
			log_info("user '%s' is not an admin", s->user);
			relay_send_errf(s, seq, ERR(DBACCESS_DENIED), "Access denied for user '%s'@'localhost' to database '%s'",
					s->user, s->schema);
			relay_flush(s);
			return END_AUTH_FAILED;
		}
		s->admin = true;
		relay_send_ok(s, seq);
		log_info("admin console session");
		return END_QUIT;
	}
	if (check_schema(s, seq) != 0) {
		relay_flush(s);
		return END_AUTH_FAILED;
	}
	after_command(s);
	relay_send_ok(s, seq);
	log_debug("logged in (caps 0x%llx, charset %u%s%s)", (unsigned long long)s->caps, s->charset,
		  s->schema ? ", db " : "", s->schema ? s->schema : "");
	return END_QUIT; /* = no error */
}

/* ---- lifecycle ---- */

static void session_list_add(struct session *s)
{
	struct worker_thread *t = s->t;
	s->next = t->sessions;
	if (t->sessions)
		t->sessions->prev = s;
	t->sessions = s;
}

static void session_list_remove(struct session *s)
{
	struct worker_thread *t = s->t;
	if (s->prev)
		s->prev->next = s->next;
	else
		t->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

/* The one exit path: log, decide the backend's fate, close. */
static void session_close(struct session *s, enum end_status st)
{
	switch (st) {
	case END_QUIT:
	case END_DRAINED:
		log_debug("session ended: %s", end_status_name(st));
		break;
	case END_KILLED:
	case END_IDLE:
	case END_BACKEND_LOST:
		log_info("session ended: %s", end_status_name(st));
		break;
	case END_CLIENT_GONE:
		log_debug("session ended: %s", end_status_name(st));
		break;
	case END_AUTH_FAILED:
	case END_PROTOCOL:
	case END_INTERNAL:
		log_info("session ended: %s", end_status_name(st));
		break;
	}
	if (s->be && buf_avail(&s->bin) > 0) {
		s->be->broken = true;
		snprintf(s->be->error, sizeof(s->be->error), "unread response data at disconnect");
	}
	session_release(s);
	io_fd_release(&s->cio);
	close(s->fd);
	s->fd = -1;
}

static void session_main(void *arg)
{
	struct session *s = arg;
	enum end_status st = authenticate(s);
	if (st == END_QUIT)
		st = command_loop(s);
	session_close(s, st);
}

uint32_t session_next_id(struct worker *w)
{
	uint32_t *n = w->session_ids ? w->session_ids : &w->own_ids;
	/* 2^31 sessions, then the count starts again (a server's thread ids never get there). */
	return SESSION_ID_BASE | (__atomic_add_fetch(n, 1, __ATOMIC_RELAXED) & ~SESSION_ID_BASE);
}

static void session_free(void *arg)
{
	struct session *s = arg;
	struct worker_thread *t = s->t;
	session_list_remove(s);
	coro_free(s->co);
	buf_free(&s->in);
	buf_free(&s->out);
	buf_free(&s->bin);
	free(s->schema);
	free(s->read_back);
	free(s->read_users);
	varset_free(&s->vars);
	varset_free(&s->uvars);
	stmt_table_clear(&s->stmts);
	free(s);
	thread_session_done(t);
}

/* Where the client is, named as MariaDB names a client's host. */
static void peer_of(struct session *s)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	unsigned port;
	if (getpeername(s->fd, (struct sockaddr *)&sa, &len) == 0 && listen_ip_port(&sa, s->host, sizeof(s->host), &port))
		s->port = (uint16_t)port;
}

void session_start(struct worker_thread *t, int fd, uint32_t id, bool tcp)
{
	struct session *s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		thread_session_done(t);
		return;
	}
	s->t = t;
	s->cfg = worker_config(t->w);
	s->fd = fd;
	io_fd_init(&s->cio, fd);
	s->id = id;
	snprintf(s->host, sizeof(s->host), "localhost");
	if (tcp)
		peer_of(s);
	s->phase = PH_HANDSHAKE;
	s->started_ms = s->login_ms = mono_ms();
	s->globals = pool_globals(t->w->pool);
	hold_init(&s->hold, !transaction_pooling(s));
	buf_init(&s->in, 0);
	buf_init(&s->out, 0);
	buf_init(&s->bin, 0);
	varset_init(&s->vars);
	varset_init(&s->uvars);
	stmt_table_init(&s->stmts);
	set_user(s, (const uint8_t *)"", 0);
	s->co = coro_create(s->cfg->coro_stack_size, session_main, s);
	if (!s->co) {
		log_error("cannot allocate a session stack");
		close(fd);
		free(s);
		thread_session_done(t);
		return;
	}
	session_list_add(s);
	coro_set_log_context(s->co, s->ctx);
	coro_set_cleanup(s->co, session_free);
	coro_resume(s->co);
}
