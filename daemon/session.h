/* session: one client connection, run as a coroutine on its worker thread.
 *
 * It reads top-down: handshake, authentication, then a loop that reads a command, makes sure a
 * backend is attached and matches the client's session state (schema, character set,
 * multi-statements), relays the command as raw packets and streams the response back through a
 * bounded output buffer. When that buffer passes its high watermark the session writes it out
 * before reading more from the backend, so a slow client slows the backend down instead of
 * growing memory. Every exit goes through one place that decides the backend's fate. */
#ifndef MYPOOL_SESSION_H
#define MYPOOL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hold.h"

struct session;
struct worker;
struct worker_thread;

/* Session ids: the handshake's connection id, CONNECTION_ID() (the server connection's
 * pseudo_thread_id is set to it) and the id KILL takes. They count up from SESSION_ID_BASE and
 * are never reused while the supervisor runs; a server's own thread ids stay far below. */
#define SESSION_ID_BASE 0x80000000u
uint32_t session_next_id(struct worker *w);

struct config;

/* Start a session for an accepted, non-blocking client fd on thread t (runs until it waits);
 * tcp: the fd came from a TCP listener (its peer address is looked up). */
void session_start(struct worker_thread *t, int fd, uint32_t id, bool tcp);
/* Graceful shutdown: sessions waiting for their next command close now, the others after the
 * current command (and transaction). */
void session_drain_all(struct worker_thread *t);

/* ---- what others see of the sessions (sessions.c): no file outside the session layer reads a
 * session's fields ---- */

/* A session as the console, the statistics and KILL see it; taken on its own thread, valid
 * during the callback only. */
struct session_view {
	uint32_t id;
	const char *user;
	char addr[64];             /* "unix", "IP:PORT" or "[IPv6]:PORT" */
	const char *db;            /* NULL: none */
	const char *state;         /* login, idle, active, waiting (for a server connection), console */
	bool console, waiting, in_transaction;
	unsigned pins;             /* 1 << enum pin_reason */
	unsigned thread;
	uint64_t age_ms;
	/* The server connection it holds (server_id 0: none). */
	uint32_t server_id;
	enum hold_reason held_for; /* why it holds it (HOLD_NONE: about to give it back) */
	bool server_active;        /* not being reset by the pool (then the pool lists it) */
	const char *server_db, *server_account;
	bool server_found_rows;
	uint64_t server_age_ms;
};
/* Call fn for each session of thread t, on t's own thread. */
void session_each(struct worker_thread *t, void (*fn)(const struct session_view *v, void *arg), void *arg);
/* KILL of session `id` of thread t, on t's thread: its statement is interrupted (KILL QUERY) or,
 * if `connection`, the session ends after it. A session waiting for its next command is left
 * alone by KILL QUERY, as the server does. False if there is no such session now. */
bool session_kill(struct worker_thread *t, uint32_t id, bool connection);
/* Admin RESUME, on each thread: sessions waiting for it go on. */
void session_resume_paused(struct worker_thread *t);

/* The admin console (admin.c registers it at startup, so that the session layer does not depend
 * on it): a login to a database it claims runs its commands instead of a server session. */
struct session_console {
	bool (*is_console)(const char *db);
	bool (*allowed)(const struct config *cfg, const char *user);
	/* One command and its payload (valid during the call); it answers with session_reply_*. 0,
	 * or -1 if the session must end. */
	int (*command)(struct session *s, uint8_t cmd, const uint8_t *arg, size_t len);
};
void session_set_console(const struct session_console *c);
/* For the console: who and where it is, and its answers. */
const char *session_user(const struct session *s);
const struct config *session_config(const struct session *s);
struct worker_thread *session_thread(const struct session *s);
void session_reply_ok(struct session *s);
void session_reply_err(struct session *s, uint16_t code, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A text result set of ncols string columns; cells row-major, NULL = SQL NULL. */
void session_reply_table(struct session *s, const char *const *names, unsigned ncols, char *const *cells,
			 size_t n_cells);
/* Write out what is buffered for the client now: 0, or -1 if it is gone. */
int session_flush(struct session *s);

#endif
