/* worker: the worker process: its threads, the acceptor, the upkeep, reload and shutdown
 * (see worker.h; one thread's loop and mailbox are thread.c's). */
#include "autoconfig.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin.h"
#include "backend.h"
#include "buf.h"
#include "config.h"
#include "errors.h"
#include "coro.h"
#include "io.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "proto.h"
#include "session.h"
#include "thread.h"
#include "worker.h"

/* What the pool does to its server connections: backend.c's functions. */
static const struct pool_ops backend_ops = {
	.create = backend_new,
	.connect = backend_open,
	.reset = backend_reset,
	.alive = backend_alive,
	.disconnect = backend_disconnect,
	.destroy = backend_free,
};

/* On the chosen thread: a new client (arg: its fd, shifted left, and 1 if over TCP). */
static void start_client(struct worker_thread *t, void *arg)
{
	intptr_t v = (intptr_t)arg;
	int fd = (int)(v >> 1);
	if (t->draining) {
		close(fd);
		__atomic_fetch_sub(&t->w->n_clients, 1, __ATOMIC_RELAXED);
		return;
	}
	t->n_sessions++;
	t->stats.clients_accepted++;
	session_start(t, fd, session_next_id(t->w), v & 1);
}

/* On each thread at a graceful shutdown. */
static void drain_thread(struct worker_thread *t, void *arg)
{
	(void)arg;
	t->draining = true;
	session_drain_all(t);
	if (t->maint)
		io_wake(t->maint);
	thread_maybe_finish(t);
}

/* Pool upkeep, once a second, on thread 0. */
static void maint_main(void *arg)
{
	struct worker_thread *t = arg;
	pool_warm(t->w->pool);
	pool_maintain(t->w->pool);
	while (!t->draining) {
		if (io_sleep(1000) == IO_WOKEN)
			break;
		pool_maintain(t->w->pool);
	}
}

static void maint_cleanup(void *arg)
{
	struct worker_thread *t = arg;
	coro_free(t->maint);
	t->maint = NULL;
	thread_maybe_finish(t);
}

static void *thread_main(void *arg)
{
	struct worker_thread *t = arg;
	io_set_base(t->base);
	if (t->idx == 0) {
		t->maint = coro_create(worker_config(t->w)->coro_stack_size, maint_main, t);
		if (t->maint) {
			coro_set_cleanup(t->maint, maint_cleanup);
			coro_resume(t->maint);
		}
	}
	event_base_dispatch(t->base);
	return NULL;
}

/* ---- the main thread: accept and signals ---- */

struct acceptor {
	struct worker *w;
	struct event *ev;
	int fd;
	bool tcp; /* else a Unix socket: no peer address to look up */
};

static void reject_client(int fd, uint16_t code, const char *state, const char *msg)
{
	struct buf b;
	buf_init(&b, 0);
	proto_write_err(&b, 0, code, state, msg);
	if (!b.failed) {
		ssize_t r = send(fd, b.data, b.len, MSG_DONTWAIT | MSG_NOSIGNAL);
		(void)r;
	}
	buf_free(&b);
	close(fd);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	(void)what;
	struct acceptor *a = arg;
	struct worker *w = a->w;
	for (int i = 0; i < 64; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		if (w->draining) {
			reject_client(fd, ERR(SERVER_SHUTDOWN), "mypool: server shutdown in progress");
			continue;
		}
		unsigned n = __atomic_add_fetch(&w->n_clients, 1, __ATOMIC_RELAXED);
		unsigned max = worker_config(w)->max_client_conn;
		if (n > max) {
			__atomic_fetch_sub(&w->n_clients, 1, __ATOMIC_RELAXED);
			log_warn("refusing a client: max_client_conn (%u) reached", max);
			reject_client(fd, ERR(CON_COUNT), "Too many connections");
			continue;
		}
		struct worker_thread *t = &w->threads[w->next_thread++ % w->n_threads];
		if (thread_call(t, start_client, (void *)(((intptr_t)fd << 1) | a->tcp)) != 0) {
			__atomic_fetch_sub(&w->n_clients, 1, __ATOMIC_RELAXED);
			close(fd);
		}
	}
}

struct main_state {
	struct worker *w;
	struct event_base *base;
	struct acceptor *acc;
	unsigned n_acc;
	struct event *drain_timer;
	struct event *join_check;
	unsigned threads_done;
};

static void stop_accepting(struct main_state *ms)
{
	for (unsigned i = 0; i < ms->n_acc; i++) {
		if (ms->acc[i].ev) {
			event_free(ms->acc[i].ev);
			ms->acc[i].ev = NULL;
		}
	}
}

static void on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_warn("shutdown_timeout passed with clients still busy: closing them now");
	_exit(0);
}

static void on_join_check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct main_state *ms = arg;
	bool done = true;
	for (unsigned i = 0; i < ms->w->n_threads; i++) {
		struct worker_thread *t = &ms->w->threads[i];
		if (t->tid && pthread_tryjoin_np(t->tid, NULL) == 0)
			t->tid = 0;
		if (t->tid)
			done = false;
	}
	if (done)
		event_base_loopbreak(ms->base);
}

/* SIGHUP (sent on by the supervisor, which has checked the file): read the configuration again
 * and switch to it. New sessions get the new snapshot, running ones keep theirs; the pool takes
 * the new sizes and timeouts (and a new generation if the server changed); keys that need a
 * restart keep their running values. */
static void reload(struct worker *w)
{
	const struct config *cur = worker_config(w);
	struct config *next = NULL;
	char *errs = NULL;
	size_t errs_len = 0;
	FILE *ef = open_memstream(&errs, &errs_len);
	int n = ef ? config_load(cur->path, ef, &next) : -1;
	if (ef)
		fclose(ef);
	if (n != 0) {
		log_error("reload refused, keeping the running configuration: %s", errs ? errs : "cannot read it");
		free(errs);
		return;
	}
	free(errs);
	char fixed[256]; /* the supervisor has logged which ones */
	config_keep_fixed(next, cur, fixed, sizeof(fixed));
	struct config **r = realloc(w->retired, (w->n_retired + 1) * sizeof(*r));
	if (!r) {
		config_free(next);
		log_error("reload refused: out of memory");
		return;
	}
	w->retired = r;
	w->retired[w->n_retired++] = next;
	log_set_level((enum log_level)next->log_level);
	pool_set_config(w->pool, next);
	__atomic_store_n(&w->cfg, next, __ATOMIC_RELEASE);
	log_info("configuration reloaded from %s", next->path);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct main_state *ms = arg;
	struct worker *w = ms->w;
	if (sig == SIGINT || sig == SIGQUIT) {
		log_info("fast shutdown: closing all connections");
		_exit(0);
	}
	if (sig == SIGTERM && !w->draining) {
		log_info("graceful shutdown: finishing running statements and transactions (up to %u ms)",
			 w->cfg->shutdown_timeout_ms);
		w->draining = true;
		stop_accepting(ms);
		pool_shutdown(w->pool);
		for (unsigned i = 0; i < w->n_threads; i++)
			thread_call(&w->threads[i], drain_thread, NULL);
		struct timeval tv = { w->cfg->shutdown_timeout_ms / 1000, (w->cfg->shutdown_timeout_ms % 1000) * 1000 };
		ms->drain_timer = evtimer_new(ms->base, on_drain_timeout, ms);
		evtimer_add(ms->drain_timer, &tv);
		struct timeval poll = { 0, 20000 };
		ms->join_check = event_new(ms->base, -1, EV_PERSIST, on_join_check, ms);
		event_add(ms->join_check, &poll);
	}
	if (sig == SIGHUP && !w->draining)
		reload(w);
}

int worker_main(const struct config *cfg, const int *listen_fds, unsigned n_listen, int metrics_fd,
		uint32_t *session_ids)
{
	pid_t parent = getppid();
	/* Die with the supervisor: a fast shutdown (no orphans). */
	prctl(PR_SET_PDEATHSIG, SIGINT);
	if (getppid() != parent)
		_exit(0);
	log_set_role("worker");
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();

	struct worker w = { .cfg = cfg, .session_ids = session_ids };
	w.n_threads = cfg->threads ? cfg->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (w.n_threads < 1)
		w.n_threads = 1;
	session_set_console(&admin_console);
	w.pool = pool_create(cfg, thread_wake_waiter, &backend_ops);
	w.threads = calloc(w.n_threads, sizeof(*w.threads));
	if (!w.pool || !w.threads) {
		log_error("out of memory");
		return 1;
	}
	for (unsigned i = 0; i < w.n_threads; i++) {
		if (thread_init(&w, &w.threads[i], i) != 0) {
			log_error("cannot create thread %u's event loop: %s", i, strerror(errno));
			return 1;
		}
	}
	struct metrics *metrics = cfg->metrics_listen && metrics_fd >= 0
					  ? metrics_start(&w, &w.threads[0], metrics_fd, cfg->metrics_listen)
					  : NULL;
	for (unsigned i = 0; i < w.n_threads; i++) {
		int rc = pthread_create(&w.threads[i].tid, NULL, thread_main, &w.threads[i]);
		if (rc != 0) {
			log_error("pthread_create: %s", strerror(rc));
			return 1;
		}
	}

	struct main_state ms = { .w = &w };
	ms.base = event_base_new();
	io_set_base(ms.base);
	ms.acc = calloc(n_listen, sizeof(*ms.acc));
	ms.n_acc = n_listen;
	for (unsigned i = 0; i < n_listen; i++) {
		ms.acc[i].w = &w;
		ms.acc[i].fd = listen_fds[i];
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		ms.acc[i].tcp = getsockname(listen_fds[i], (struct sockaddr *)&sa, &salen) == 0 && sa.ss_family != AF_UNIX;
		ms.acc[i].ev = event_new(ms.base, listen_fds[i], EV_READ | EV_PERSIST, on_accept, &ms.acc[i]);
		event_add(ms.acc[i].ev, NULL);
	}
	int sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP };
	struct event *sigev[4];
	for (int i = 0; i < 4; i++) {
		sigev[i] = evsignal_new(ms.base, sigs[i], on_signal, &ms);
		event_add(sigev[i], NULL);
	}
	log_info("worker ready: %u threads, pool_size %u, pool_mode %s", w.n_threads, cfg->pool_size,
		 cfg->pool_mode == POOL_TRANSACTION ? "transaction" : "session");
	event_base_dispatch(ms.base);

	/* All threads have finished their sessions and were joined. */
	for (int i = 0; i < 4; i++)
		event_free(sigev[i]);
	stop_accepting(&ms);
	if (ms.drain_timer)
		event_free(ms.drain_timer);
	if (ms.join_check)
		event_free(ms.join_check);
	free(ms.acc);
	metrics_stop(metrics);
	pool_destroy(w.pool);
	for (unsigned i = 0; i < w.n_threads; i++)
		thread_free(&w.threads[i]);
	free(w.threads);
	event_base_free(ms.base);
	/* Snapshots from reloads (the first one belongs to the supervisor). */
	for (size_t i = 0; i < w.n_retired; i++)
		config_free(w.retired[i]);
	free(w.retired);
	log_info("worker stopped");
	return 0;
}
