/* session: a client connection as a coroutine, its life from accept to close (see session.h;
 * login.c logs it in, command.c runs its commands, attach.c gives it a server connection). */
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
#include "coro.h"
#include "io.h"
#include "listen.h"
#include "log.h"
#include "pool.h"
#include "session_priv.h"
#include "varset.h"
#include "thread.h"

static const char *end_status_name(enum end_status e)
{
	switch (e) {
	case END_NONE: return "not ended";
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
	case END_NONE:
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
	enum end_status st = login_authenticate(s);
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
	login_set_user(s, (const uint8_t *)"", 0);
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
