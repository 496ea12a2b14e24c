/* sessions: what the rest of the daemon sees of the sessions (session.h): a view of each for the
 * console and the statistics, KILL's delivery, graceful drain and RESUME, and the console's
 * way in and out. The session layer's own files (session.c, relay.c, prepared.c, kill.c) read
 * a session's fields; everyone else goes through these. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "coro.h"
#include "io.h"
#include "pool.h"
#include "session_priv.h"
#include "thread.h"

static const char *phase_name(enum phase p)
{
	switch (p) {
	case PH_HANDSHAKE: return "login";
	case PH_IDLE: return "idle";
	case PH_ACTIVE: return "active";
	case PH_WAITING: return "waiting";
	}
	return "?";
}

void session_addr(const struct session *s, char *out, size_t len)
{
	if (!s->port)
		snprintf(out, len, "unix");
	else if (strchr(s->host, ':'))
		snprintf(out, len, "[%s]:%u", s->host, s->port);
	else
		snprintf(out, len, "%s:%u", s->host, s->port);
}

void session_each(struct worker_thread *t, void (*fn)(const struct session_view *v, void *arg), void *arg)
{
	uint64_t now = mono_ms();
	for (struct session *s = t->sessions; s; s = s->next) {
		struct session_view v = {
			.id = s->id, .user = s->user, .db = s->schema, .console = s->admin,
			.state = s->admin ? "console" : phase_name(s->phase), .waiting = s->phase == PH_WAITING,
			.in_transaction = s->hold.status & STATUS_IN_TRANS, .pins = s->hold.pins, .thread = t->idx,
			.age_ms = now - s->started_ms,
		};
		session_addr(s, v.addr, sizeof(v.addr));
		const struct backend *b = s->be;
		if (b) {
			v.server_id = b->server_id;
			v.held_for = hold_why(&s->hold);
			v.server_active = b->pool_state == PS_ACTIVE;
			v.server_db = b->schema;
			v.server_account = b->account;
			v.server_found_rows = b->found_rows;
			v.server_age_ms = now - b->created_ms;
		}
		fn(&v, arg);
	}
}

bool session_kill(struct worker_thread *t, uint32_t id, bool connection)
{
	for (struct session *s = t->sessions; s; s = s->next) {
		if (s->id != id)
			continue;
		bool running = s->phase == PH_ACTIVE || s->phase == PH_WAITING;
		if (running)
			s->kill_query = true; /* it runs a command: interrupt it */
		if (connection)
			s->killed = true;
		/* KILL QUERY of an idle session does nothing, as on the server: only a wait for
		 * the backend's response, for a backend or for RESUME is ended. */
		if (connection ? s->phase != PH_ACTIVE || s->be_reading
			       : s->phase == PH_WAITING || (s->phase == PH_ACTIVE && s->be_reading))
			io_wake(s->co);
		return true;
	}
	return false;
}

void session_resume_paused(struct worker_thread *t)
{
	for (struct session *s = t->sessions; s; s = s->next)
		if (s->paused)
			io_wake(s->co);
}

void session_drain_all(struct worker_thread *t)
{
	for (struct session *s = t->sessions; s;) {
		struct session *next = s->next;
		s->drain = true;
		if ((s->phase == PH_IDLE || s->phase == PH_HANDSHAKE) && !(s->hold.status & STATUS_IN_TRANS))
			io_wake(s->co); /* may finish and free s */
		s = next;
	}
}

/* ---- the console ---- */

static const struct session_console *console;

void session_set_console(const struct session_console *c) { console = c; }

bool session_console_claims(const char *db) { return console && console->is_console(db); }

bool session_console_allows(const struct session *s) { return console && console->allowed(s->cfg, s->user); }

int session_console_command(struct session *s, uint8_t cmd, const uint8_t *arg, size_t len)
{
	return console->command(s, cmd, arg, len);
}

const char *session_user(const struct session *s) { return s->user; }

const struct config *session_config(const struct session *s) { return s->cfg; }

struct worker_thread *session_thread(const struct session *s) { return s->t; }

void session_reply_ok(struct session *s) { relay_send_ok(s, 1); }

void session_reply_err(struct session *s, uint16_t code, const char *sqlstate, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	relay_send_err(s, 1, code, sqlstate, msg);
}

void session_reply_table(struct session *s, const char *const *names, unsigned ncols, char *const *cells,
			 size_t n_cells)
{
	uint8_t seq = 1;
	size_t start = proto_begin_packet(&s->out, seq++);
	buf_put_lenenc(&s->out, ncols);
	proto_end_packet(&s->out, start);
	for (unsigned i = 0; i < ncols; i++)
		proto_write_column_simple(&s->out, seq++, names[i], FIELD_TYPE_VAR_STRING,
					  s->caps & MARIADB_CAP_EXTENDED_METADATA);
	proto_write_eof(&s->out, seq++, 0, STATUS_AUTOCOMMIT);
	for (size_t r = 0; ncols && r + ncols <= n_cells; r += ncols)
		proto_write_text_row(&s->out, seq++, (const char *const *)cells + r, NULL, ncols);
	proto_write_eof(&s->out, seq, 0, STATUS_AUTOCOMMIT);
}

int session_flush(struct session *s) { return relay_flush(s); }
