/* fuzz_relay: a server's response as the relay reads it (relay.c, prepared.c, the session
 * trackers of session.c), on real sockets and a real coroutine.
 *
 * Input: 3 bytes, then the server's bytes.
 *   byte 0  what the client sent: bits 0-2 the entry point (COM_QUERY results as relay_command
 *           loops over them, with one of four statements (bits 3-4), one a LOAD DATA LOCAL;
 *           COM_FIELD_LIST; rows of an open cursor (relay_rows); COM_STMT_PREPARE and, if the
 *           statement was made, COM_STMT_EXECUTE, FETCH, RESET and CLOSE of it, all through
 *           prepared_command); bit 5 the execute asks for a cursor; bit 6 the backend's
 *           statement cache is cleared before the execute (it prepares again); bit 7 the
 *           backend's cache holds one entry (evictions: COM_STMT_CLOSE to the server)
 *   byte 1  the backend's capabilities: SESSION_TRACK, DEPRECATE_EOF, MariaDB's
 *           EXTENDED_METADATA, CACHE_METADATA (bits 0-3); bit 4 transaction pooling, else
 *           session pooling; bit 5 the transaction is open (status IN_TRANS)
 *   byte 2  the client's: LOCAL_FILES, EXTENDED_METADATA (bits 0-1); bit 2 the client sends a
 *           small file when the server asks for one (else it closes)
 * The server's bytes go into one end of a socketpair whose other end is the backend's fd, one
 * packet each time the relay waits for more with nothing unread (as a server answers a command
 * after it came); when they are all sent, that end is shut down: the relay sees EOF after
 * them, a server that failed. The client's
 * socket is another socketpair, drained; what the relay writes to the server is drained too.
 *
 * session_release() gives the backend back to the pool: pool_release is replaced at link time
 * (-Wl,--wrap=pool_release) by one that keeps the backend for the target to close, since a
 * real pool can only take back a backend it connected to a real server. Paths that need
 * Connector/C on a connected server (session_acquire without a backend, a COM_INIT_DB of
 * sync_backend, backend_collation after SET NAMES) are not reached. */
#include "autoconfig.h"

#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "config.h"
#include "coro.h"
#include "fuzz.h"
#include "io.h"
#include "log.h"
#include "pool.h"
#include "session_priv.h"
#include "thread.h"

#define CFG_TEXT                                        \
	"[mypoold]\n"                                   \
	"listen = /nonexistent/mypool.sock\n"           \
	"client_read_timeout = 2s\n"                    \
	"client_write_timeout = 2s\n"                   \
	"pool_mode = %s\n"                              \
	"[backend]\n"                                   \
	"socket = /nonexistent/mysqld.sock\n"           \
	"user = mypool\n"                               \
	"password = mypool-secret\n"                    \
	"[users]\n"                                     \
	"app = app-secret\n"

static struct event_base *base;
static struct config *cfg_session, *cfg_trans;
static struct worker worker;
static struct worker_thread thread;
static struct backend *released; /* what session_release gave back */

/* The pool's side of session_release: keep the backend, the target closes it. */
void __wrap_pool_release(struct pool *p, struct backend *b);
void __wrap_pool_release(struct pool *p, struct backend *b)
{
	(void)p;
	if (released)
		abort(); /* one backend, given back twice */
	released = b;
}

/* The server's end: writes the response, then shuts down; reads and drops what the relay sends. */
struct server {
	int fd;
	const uint8_t *p, *end; /* what is written now: [p, end) */
	size_t left;
	struct event *wev, *rev;
};

static void on_server_write(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct server *sv = arg;
	while (sv->p < sv->end) {
		ssize_t n = write(fd, sv->p, (size_t)(sv->end - sv->p));
		if (n <= 0)
			break;
		sv->p += n;
		sv->left -= (size_t)n;
	}
	if (sv->p < sv->end)
		event_add(sv->wev, NULL); /* the rest when the socket has room */
	else
		event_del(sv->wev);
}

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct event **ev = arg;
	uint8_t tmp[65536];
	ssize_t n;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		;
	if (n == 0)
		event_del(*ev);
}

struct run {
	struct session *s;
	uint8_t mode;
};

static const char *const statements[] = {
	"SELECT a, b FROM t",
	"LOAD DATA LOCAL INFILE 'f.csv' INTO TABLE t",
	"SET @a = 1; SHOW WARNINGS",
	"INSERT INTO t VALUES (LAST_INSERT_ID(5))",
};

/* Put one client packet (sequence id 0) at the head of s->in. */
static void client_packet(struct session *s, struct pkt *p, const struct buf *payload)
{
	buf_reset(&s->in);
	proto_put_packet(&s->in, 0, payload->data, payload->len);
	if (s->in.failed)
		abort();
	p->len = (uint32_t)payload->len;
	p->seq = 0;
	p->whole = true;
	p->data = buf_head(&s->in) + PROTO_HEADER_LEN;
}

static void run_query(struct session *s, const char *sql)
{
	session_begin_command(s, (const uint8_t *)sql, strlen(sql));
	session_apply_scan(s);
	s->be_await = true;
	enum relay r = RELAY_DONE;
	bool done = false;
	while (!done && r == RELAY_DONE)
		r = relay_result(s, &done, NULL);
	session_finish(s, r, 1);
}

static void run_prepared(struct session *s, uint8_t mode)
{
	struct buf b;
	struct pkt p;
	buf_init(&b, 0);
	buf_put_u8(&b, COM_STMT_PREPARE);
	buf_put_cstr(&b, "SELECT a, b FROM t WHERE c = ? AND d = ?");
	b.len--; /* no NUL */
	client_packet(s, &p, &b);
	prepared_command(s, &p, COM_STMT_PREPARE);
	struct stmt *st = s->stmts.head;
	if (!st || !s->be)
		goto out;

	if (mode & 0x40)
		stmt_cache_clear(&s->be->stmts);
	/* Every parameter NULL, types bound with this execute. */
	buf_reset(&b);
	buf_put_u8(&b, COM_STMT_EXECUTE);
	buf_put_u32(&b, st->id);
	buf_put_u8(&b, mode & 0x20 ? 1 : 0); /* CURSOR_TYPE_READ_ONLY */
	buf_put_u32(&b, 1);
	if (st->nparams) {
		for (unsigned i = 0; i < (st->nparams + 7u) / 8; i++)
			buf_put_u8(&b, 0xff);
		buf_put_u8(&b, 1);
		for (unsigned i = 0; i < st->nparams; i++)
			buf_put_u16(&b, 6); /* MYSQL_TYPE_NULL */
	}
	client_packet(s, &p, &b);
	prepared_command(s, &p, COM_STMT_EXECUTE);
	if (!s->be || !stmt_find(&s->stmts, st->id))
		goto out;

	if (st->cursor) {
		buf_reset(&b);
		buf_put_u8(&b, COM_STMT_FETCH);
		buf_put_u32(&b, st->id);
		buf_put_u32(&b, 10);
		client_packet(s, &p, &b);
		prepared_command(s, &p, COM_STMT_FETCH);
		if (!s->be)
			goto out;
	}
	buf_reset(&b);
	buf_put_u8(&b, COM_STMT_RESET);
	buf_put_u32(&b, st->id);
	client_packet(s, &p, &b);
	prepared_command(s, &p, COM_STMT_RESET);
	if (!s->be)
		goto out;
	buf_reset(&b);
	buf_put_u8(&b, COM_STMT_CLOSE);
	buf_put_u32(&b, st->id);
	client_packet(s, &p, &b);
	prepared_command(s, &p, COM_STMT_CLOSE);
out:
	buf_free(&b);
}

static void run_main(void *arg)
{
	struct run *rn = arg;
	struct session *s = rn->s;
	switch (rn->mode & 7) {
	case 0:
	case 1:
	case 2:
		run_query(s, statements[(rn->mode >> 3) & 3]);
		break;
	case 3:
		run_query(s, statements[1]);
		break;
	case 4: {
		session_begin_command(s, NULL, 0);
		s->be_await = true;
		session_finish(s, relay_field_list(s), 1);
		break;
	}
	case 5: {
		/* COM_STMT_FETCH's rows: the session has read the execute's response before, so its
		 * backend buffer is allocated (relay_rows takes buf_head of it before any read). */
		if (!buf_reserve(&s->bin, BACKEND_READ_CHUNK))
			abort();
		session_begin_command(s, NULL, 0);
		s->be_await = true;
		uint16_t status = s->hold.status;
		bool done = false;
		enum relay r = relay_rows(s, &status, &done);
		s->hold.status = status;
		session_finish(s, r, 1);
		break;
	}
	default:
		run_prepared(s, rn->mode);
		break;
	}
}

static void nonblock(int fd)
{
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
		abort();
}

static struct config *load(const char *mode)
{
	char text[1024];
	struct config *c = NULL;
	snprintf(text, sizeof(text), CFG_TEXT, mode);
	if (config_load_string(text, "fuzz_relay.ini", stderr, &c) != 0 || !c)
		abort();
	return c;
}

static void init(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LL_ERROR);
	base = event_base_new();
	if (!base)
		abort();
	io_set_base(base);
	cfg_session = load("session");
	cfg_trans = load("transaction");
	worker.cfg = cfg_trans;
	worker.threads = &thread;
	worker.n_threads = 1;
	thread.w = &worker;
	thread.base = base;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!base)
		init();
	if (size < 3)
		return 0;
	uint8_t mode = data[0], bcaps = data[1], ccaps = data[2];
	const struct config *cfg = bcaps & 0x10 ? cfg_trans : cfg_session;
	int be[2], cl[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, be) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, cl) != 0)
		abort();
	for (int i = 0; i < 2; i++) {
		nonblock(be[i]);
		nonblock(cl[i]);
	}

	struct backend *b = calloc(1, sizeof(*b));
	struct session *s = calloc(1, sizeof(*s));
	if (!b || !s)
		abort();
	b->fd = be[0];
	io_fd_init(&b->io, be[0]);
	b->caps = CAP_PROTOCOL_41 | CAP_SECURE_CONNECTION | CAP_TRANSACTIONS | CAP_MULTI_RESULTS |
		  CAP_PS_MULTI_RESULTS | CAP_PLUGIN_AUTH | CAP_LOCAL_FILES;
	if (bcaps & 1)
		b->caps |= CAP_SESSION_TRACK;
	if (bcaps & 2)
		b->caps |= CAP_DEPRECATE_EOF;
	if (bcaps & 4)
		b->caps |= MARIADB_CAP_EXTENDED_METADATA;
	if (bcaps & 8)
		b->caps |= MARIADB_CAP_CACHE_METADATA;
	b->server_id = 7;
	/* Connector/C is never connected here: mypool's own statements (the read-backs after a
	 * command) fail at once with 2006, as on a connection that broke. */
	if (backend_init_unconnected(b) != 0)
		abort();
	b->track = cfg->pool_mode == POOL_TRANSACTION;
	varset_init(&b->vars);
	stmt_cache_init(&b->stmts, mode & 0x80 ? 1 : 16, cfg->statement_cache_bytes);

	s->t = &thread;
	s->cfg = cfg;
	s->fd = cl[0];
	io_fd_init(&s->cio, cl[0]);
	s->id = 1;
	s->phase = PH_ACTIVE;
	s->caps = SERVER_CAPS & ~(uint64_t)(CAP_LOCAL_FILES | MARIADB_CAP_EXTENDED_METADATA);
	if (ccaps & 1)
		s->caps |= CAP_LOCAL_FILES;
	if (ccaps & 2)
		s->caps |= MARIADB_CAP_EXTENDED_METADATA;
	hold_init(&s->hold, cfg->pool_mode != POOL_TRANSACTION);
	s->hold.status = STATUS_AUTOCOMMIT | (bcaps & 0x20 ? STATUS_IN_TRANS : 0);
	buf_init(&s->in, 0);
	buf_init(&s->out, 0);
	buf_init(&s->bin, 0);
	varset_init(&s->vars);
	stmt_table_init(&s->stmts);
	snprintf(s->user, sizeof(s->user), "app");
	snprintf(s->host, sizeof(s->host), "localhost");
	s->be = b;

	/* The client's side: a small file if the server asks for one, then EOF. */
	if (ccaps & 4) {
		static const uint8_t file[] = { 4, 0, 0, 2, '1', ',', '2', '\n', 0, 0, 0, 3 };
		if (write(cl[1], file, sizeof(file)) != (ssize_t)sizeof(file))
			abort();
	}
	shutdown(cl[1], SHUT_WR);

	struct server sv = { .fd = be[1], .p = data + 3, .left = size - 3 };
	struct event *cev = NULL;
	sv.wev = event_new(base, be[1], EV_WRITE | EV_PERSIST, on_server_write, &sv);
	sv.rev = event_new(base, be[1], EV_READ | EV_PERSIST, on_drain, &sv.rev);
	cev = event_new(base, cl[1], EV_READ | EV_PERSIST, on_drain, &cev);
	if (!sv.wev || !sv.rev || !cev)
		abort();
	event_add(sv.rev, NULL);
	event_add(cev, NULL);

	struct run rn = { .s = s, .mode = mode };
	released = NULL;
	struct coro *co = coro_create(cfg->coro_stack_size, run_main, &rn);
	if (!co)
		abort();
	coro_resume(co);
	bool shut = false;
	while (!coro_finished(co)) {
		/* The server answers only while the relay waits for it, with nothing unread: as a
		 * server answers a command after it came (bytes there before the command would
		 * void relay_be_fill's "the reply cannot be there yet", be_await). Once it has said
		 * all, it closes its side. */
		int unread = 0;
		if (!shut && s->be_reading && ioctl(be[0], FIONREAD, &unread) == 0 && unread == 0) {
			if (sv.left > 0) {
				/* One packet (as its header says) at a time. */
				size_t n = sv.left < PROTO_HEADER_LEN ? sv.left : PROTO_HEADER_LEN + proto_hdr_len(sv.p);
				sv.end = sv.p + (n < sv.left ? n : sv.left);
				on_server_write(be[1], EV_WRITE, &sv);
			} else {
				shutdown(be[1], SHUT_WR);
				shut = true;
			}
		}
		event_base_loop(base, EVLOOP_ONCE);
	}
	coro_free(co);

	/* Nothing may stay behind: the session let go of the backend or still holds it. */
	if (released && s->be)
		abort();
	backend_close(released ? released : s->be);
	close(be[0]);
	io_fd_release(&s->cio);
	close(cl[0]);
	event_free(sv.wev);
	event_free(sv.rev);
	event_free(cev);
	close(be[1]);
	close(cl[1]);
	buf_free(&s->in);
	buf_free(&s->out);
	buf_free(&s->bin);
	varset_free(&s->vars);
	stmt_table_clear(&s->stmts);
	free(s->schema);
	free(s);
	return 0;
}
