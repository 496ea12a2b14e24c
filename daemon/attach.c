/* attach: a session and its server connection (see session_priv.h): acquire one in the
 * client's session state, forward a command, settle the response (what the trackers and the
 * read-backs say), give it back when the hold rule (hold.c) says so. */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "buf.h"
#include "io.h"
#include "log.h"
#include "pool.h"
#include "proto.h"
#include "session_priv.h"
#include "sqlscan.h"
#include "varset.h"
#include "thread.h"

static void pin(struct session *s, enum pin_reason r)
{
	if (!hold_pin(&s->hold, r))
		return;
	s->t->stats.pins[r]++;
	log_debug("pinned to backend %u: %s", s->be ? s->be->server_id : 0, pin_reason_name(r));
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
	if (s->killed) {
		/* KILL CONNECTION of this session took its server connection with it. */
		relay_send_err(s, seq, ERR(CONNECTION_KILLED), "Connection was killed");
		return;
	}
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
void session_after_command(struct session *s)
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
 * the user variables it set, and the connection's character set and collation (the trackers
 * name only the variable a statement set). */
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
		char cs[64], coll[64];
		s->need_collation = false;
		if (backend_collation(b, cs, sizeof(cs), coll, sizeof(coll)) == 0) {
			varset_set(&s->vars, "character_set_connection", 24, cs, strlen(cs));
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
		/* LAST_INSERT_ID() may have changed with no OK that says so: read it back. */
		if ((s->scan & (SQL_SET_LAST_INSERT_ID | SQL_PROGRAM)) || ((s->scan & SQL_INSERT) && s->resp_err))
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

/* The client's session state goes back to what it had right after login (COM_RESET_CONNECTION,
 * and the start of COM_CHANGE_USER). The backend is reset before anyone else uses it. */
void session_forget_state(struct session *s)
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
