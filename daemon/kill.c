/* kill: KILL [CONNECTION|QUERY] and COM_PROCESS_KILL with the ids clients see.
 *
 * A client knows its session id (the handshake's connection id, CONNECTION_ID()) and may see
 * server ids (SHOW PROCESSLIST, or CONNECTION_ID() where the account may not set
 * pseudo_thread_id). Relayed as they are, a KILL would hit whatever client uses that server
 * connection now, and the backends of many users run as one account. So mypool finds the
 * session itself: by session id or by the server id of the backend it holds, among the
 * sessions of the same user only (another user's id is "unknown", as on the server). Session
 * ids count from 2^31 (session.h), far above a server's ids; where one number is both, the
 * session id wins. KILL QUERY interrupts the statement that session
 * runs (KILL QUERY of its backend's server id, sent over the caller's own backend); KILL
 * CONNECTION does that and closes the session. KILL USER and KILL QUERY ID are refused. An id
 * given as an expression (KILL @id) is evaluated on the client's own server connection. */
#include "autoconfig.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"
#include "config.h"
#include "errors.h"
#include "io.h"
#include "log.h"
#include "session_priv.h"
#include "sqlscan.h"
#include "stats.h"
#include "thread.h"


struct lookup {
	struct stats st; /* the collection (its `each` finds the target) */
	uint32_t id;
	const char *user;
	bool found;
	bool by_session;     /* matched a session id (which wins over a server id) */
	struct worker_thread *thread;
	uint32_t session_id;
	uint32_t server_id;  /* of the backend the target holds, 0 if none */
};

struct on_thread {
	struct lookup *lk;
	struct worker_thread *t;
};

static void consider(const struct session_view *v, void *arg)
{
	const struct on_thread *o = arg;
	struct lookup *lk = o->lk;
	bool by_session = v->id == lk->id;
	if (!by_session && v->server_id != lk->id)
		return;
	if (strcmp(v->user, lk->user) != 0 || v->console)
		return; /* another user's session does not exist for this one */
	if (lk->found && lk->by_session && !by_session)
		return; /* both kinds of ids count from 1: a session id wins */
	lk->found = true;
	lk->by_session = by_session;
	lk->thread = o->t;
	lk->session_id = v->id;
	lk->server_id = v->server_id;
}

static void find_on_thread(struct worker_thread *t, struct stats *st)
{
	struct on_thread o = { (struct lookup *)((char *)st - offsetof(struct lookup, st)), t };
	session_each(t, consider, &o);
}

struct kill_order {
	uint32_t session_id;
	char mode; /* 'C' connection, 'Q' query */
};

/* On the target's thread: mark it (session_kill). Its server connection is used only by the
 * target itself, so the KILL QUERY can never reach a statement of another client. */
static void kill_on_thread(struct worker_thread *t, void *arg)
{
	struct kill_order *o = arg;
	session_kill(t, o->session_id, o->mode == 'C');
	free(o);
}

void kill_interrupt_statement(struct session *s)
{
	const struct config *cfg = worker_config(s->t->w);
	const struct config_user *u = config_find_user(cfg, s->user, strlen(s->user));
	if (!u || !s->be)
		return;
	const char *account, *password;
	config_user_account(cfg, u, &account, &password);
	/* As the mariadb client does for Ctrl-C: a connection of its own for the KILL. */
	char err[256], sql[64];
	struct backend *k = backend_connect(cfg, account, password, false, err, sizeof(err));
	if (!k) {
		log_warn("KILL QUERY: cannot connect to send it: %s", err);
		return;
	}
	/* KILL CONNECTION of the session ends its server connection too: KILL QUERY does not stop
	 * every stored program (a LOOP of DO statements goes on, measured on MariaDB 10.11), and the
	 * session ends either way. */
	const char *what = s->killed ? "KILL CONNECTION" : "KILL QUERY";
	int n = snprintf(sql, sizeof(sql), "%s %u", what, s->be->server_id);
	if (backend_query(k, sql, (size_t)n) != 0) {
		log_warn("%s %u: %s", what, s->be->server_id, k->error);
	} else if (s->killed) {
		log_info("server connection %u killed with its session", s->be->server_id);
		s->be->broken = true;
		snprintf(s->be->error, sizeof(s->be->error), "killed with its session");
	} else {
		log_info("statement on server connection %u interrupted", s->be->server_id);
	}
	k->broken = true; /* nothing to say to it */
	backend_close(k);
}

/* The next word of sql from *i on, if it is `kw` (any case) followed by a blank or the end: *i
 * moves past it. */
static bool next_is(const char *sql, size_t len, size_t *i, const char *kw)
{
	size_t j = *i, n = strlen(kw);
	while (j < len && isspace((unsigned char)sql[j]))
		j++;
	if (len - j < n || strncasecmp(sql + j, kw, n) != 0 || (j + n < len && !isspace((unsigned char)sql[j + n])))
		return false;
	*i = j + n;
	return true;
}

/* Parse "KILL [HARD|SOFT] [CONNECTION|QUERY] <id>". Returns 0 (mode 'C' or 'Q'; *id set if the
 * id is a number, else *expr and *expr_len give the expression), 1 for the forms mypool refuses
 * (USER, QUERY ID), -1 if it is not a KILL statement. */
static int parse(const char *sql, size_t len, char *mode, uint32_t *id, const char **expr, size_t *expr_len)
{
	size_t i = 0;
	if (!next_is(sql, len, &i, "KILL"))
		return -1;
	if (!next_is(sql, len, &i, "HARD"))
		next_is(sql, len, &i, "SOFT");
	*mode = 'C';
	if (next_is(sql, len, &i, "USER"))
		return 1;
	if (next_is(sql, len, &i, "QUERY")) {
		*mode = 'Q';
		if (next_is(sql, len, &i, "ID"))
			return 1;
	} else {
		next_is(sql, len, &i, "CONNECTION");
	}
	while (len > i && (isspace((unsigned char)sql[len - 1]) || sql[len - 1] == ';'))
		len--;
	while (i < len && isspace((unsigned char)sql[i]))
		i++;
	if (i == len)
		return -1;
	*expr = sql + i;
	*expr_len = len - i;
	unsigned long long v = 0;
	size_t j = i;
	while (j < len && isdigit((unsigned char)sql[j]) && v <= UINT32_MAX)
		v = v * 10 + (unsigned)(sql[j++] - '0');
	if (j == len && v <= UINT32_MAX) {
		*expr = NULL;
		*id = (uint32_t)v;
	}
	return 0;
}

/* What would end a statement early or change what mypool follows of the session: an expression
 * with any of these is not evaluated for a KILL. */
#define KILL_EXPR_REFUSED                                                                                  \
	(SQL_USER_VAR | SQL_TEMP_TABLE | SQL_GET_LOCK | SQL_PREPARE | SQL_LOCKING | SQL_LOAD_LOCAL |       \
	 SQL_SET_LAST_INSERT_ID | SQL_MULTI | SQL_SYSVAR_UNTRACKED | SQL_SET_GLOBAL)

static void take_id(void *arg, const char *name, enum value_kind kind, const char *value, size_t len)
{
	(void)name, (void)kind, (void)len;
	*(long long *)arg = value ? strtoll(value, NULL, 10) : 0;
}

/* Whether a KILL's id expression reads a table, which MariaDB refuses: a subquery FROM one, or a
 * sequence function (words outside quotes; a stored function the text cannot tell from a
 * built-in one, and `(SELECT 1)` reads none). */
static bool reads_tables(const char *expr, size_t len)
{
	static const char *const words[] = { "FROM", "NEXTVAL", "LASTVAL", "SETVAL", "VALUE" };
	for (size_t i = 0; i < len;) {
		char c = expr[i];
		if (c == '\'' || c == '"' || c == '`') {
			for (i++; i < len && expr[i] != c; i++)
				if (expr[i] == '\\' && c != '`')
					i++;
			i++;
			continue;
		}
		if (!isalpha((unsigned char)c) && c != '_') {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && (isalnum((unsigned char)expr[i]) || expr[i] == '_' || expr[i] == '$'))
			i++;
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
			if (i - start == strlen(words[w]) && strncasecmp(expr + start, words[w], i - start) == 0)
				return true;
	}
	return false;
}

/* KILL <expression>: MariaDB evaluates it (KILL @id, KILL CONNECTION_ID()); so does mypool, on
 * the client's own server connection in its session state, as the client's account. 0 with the
 * id (an id out of range is 0: unknown), or -1 when the client has the error. */
static int evaluate(struct session *s, const char *expr, size_t len, uint32_t *id)
{
	session_begin_command(s, (const uint8_t *)expr, len);
	if ((s->scan & KILL_EXPR_REFUSED) || memchr(expr, 0, len)) {
		relay_send_err(s, 1, ERR(PARSE), "mypool: KILL takes a number, or an expression that sets nothing");
		return -1;
	}
	if (reads_tables(expr, len)) {
		relay_send_err(s, 1, ERR(SUBQUERIES_NOT_SUPPORTED), "KILL does not support subqueries or stored functions");
		return -1;
	}
	char *sql = malloc(len + 32);
	if (!sql) {
		relay_send_err(s, 1, ERR(OUT_OF_MEMORY), "mypool: out of memory");
		return -1;
	}
	snprintf(sql, len + 32, "SELECT CAST((%.*s) AS SIGNED)", (int)len, expr);
	long long v = 0;
	int rc = session_acquire(s, 1);
	if (rc == 0) {
		rc = backend_select_row(s->be, sql, take_id, &v);
		if (s->scan & SQL_CALLS)
			s->be->dirty = true; /* a stored function may have changed the session */
	}
	free(sql);
	if (rc == 0) {
		*id = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
		return 0;
	}
	if (!s->be)
		return -1; /* session_acquire sent the error */
	if (s->be->broken) {
		session_lost_backend_err(s, 1, "");
		session_release(s);
	} else {
		s->be->diag_pending = true; /* the error is cleared before anyone else gets it */
		relay_send_err(s, 1, (uint16_t)backend_errno(s->be), backend_sqlstate(s->be), backend_error(s->be));
	}
	return -1;
}

static int run(struct session *s, char mode, uint32_t id)
{
	struct lookup lk = { .id = id, .user = s->user };
	if (id != s->id) {
		lk.st.each = find_on_thread;
		stats_collect_wait(s->t->w, s->t, &lk.st);
		stats_free(&lk.st);
	}
	if (id == s->id || (lk.found && lk.session_id == s->id)) {
		/* What the server says to a connection that kills itself. */
		if (mode == 'Q') {
			relay_send_err(s, 1, ERR(QUERY_INTERRUPTED), "Query execution was interrupted");
			return 0;
		}
		relay_send_err(s, 1, ERR(CONNECTION_KILLED), "Connection was killed");
		s->killed = true;
		return 0;
	}
	if (!lk.found) {
		relay_send_errf(s, 1, ERR(NO_SUCH_THREAD), "Unknown thread id: %u", id);
		return 0;
	}
	log_info("KILL %s %u (session %u)", mode == 'Q' ? "QUERY" : "CONNECTION", id, lk.session_id);
	struct kill_order *o = malloc(sizeof(*o));
	if (!o) {
		relay_send_err(s, 1, ERR(OUT_OF_MEMORY), "mypool: out of memory");
		return 0;
	}
	*o = (struct kill_order){ .session_id = lk.session_id, .mode = mode };
	thread_call(lk.thread, kill_on_thread, o);
	relay_send_ok(s, 1);
	return 0;
}

bool kill_is_statement(const uint8_t *sql, size_t len)
{
	size_t i = 0;
	while (i < len && isspace(sql[i]))
		i++;
	return len - i > 5 && strncasecmp((const char *)sql + i, "KILL", 4) == 0 && isspace(sql[i + 4]);
}

/* The KILL statement `sql` (in the packet p, or a prepared statement's text), then p consumed. */
static int kill_text(struct session *s, struct pkt *p, const char *sql, size_t len)
{
	char mode;
	uint32_t id = 0;
	const char *expr = NULL;
	size_t expr_len = 0;
	int rc = parse(sql, len, &mode, &id, &expr, &expr_len);
	if (rc > 0) {
		relay_client_consume(s, p);
		relay_send_err(s, 1, ERR(NOT_SUPPORTED_YET),
			       "mypool: KILL USER and KILL QUERY ID are not supported: they would reach every client");
		return 0;
	}
	if (rc < 0) {
		relay_client_consume(s, p);
		relay_send_err(s, 1, ERR(PARSE), "mypool: cannot read this KILL statement (KILL [CONNECTION|QUERY] id)");
		return 0;
	}
	/* The expression is in s->in until the packet is consumed. */
	rc = expr ? evaluate(s, expr, expr_len, &id) : 0;
	relay_client_consume(s, p);
	return rc == 0 ? run(s, mode, id) : 0;
}

int kill_query(struct session *s, struct pkt *p) { return kill_text(s, p, (const char *)p->data + 1, p->len - 1); }

int kill_execute(struct session *s, struct pkt *p, const char *sql, size_t len) { return kill_text(s, p, sql, len); }

int kill_command(struct session *s, struct pkt *p)
{
	uint32_t id = p->len >= 5 ? (uint32_t)p->data[1] | (uint32_t)p->data[2] << 8 | (uint32_t)p->data[3] << 16 |
					    (uint32_t)p->data[4] << 24
				  : 0;
	relay_client_consume(s, p);
	return run(s, 'C', id);
}
