/* worker: the worker process — a main thread that accepts clients and N worker threads, each
 * with its own event loop and the coroutines of its client sessions.
 *
 * Shared-nothing threads: a thread touches only its own sessions and events. Work crosses
 * threads only as messages on a thread's mailbox (a mutex-protected list woken by an eventfd):
 * a new client fd, a pool hand-off wake-up, a drain request. The pool is the one shared
 * structure (pool.h). */
#ifndef MYPOOL_WORKER_H
#define MYPOOL_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hold.h"

struct config;
struct event;
struct event_base;
struct pool;
struct session;
struct coro;
struct worker;
struct msg;

/* Per-thread counters, summed on read. */
struct worker_stats {
	uint64_t clients_accepted;
	uint64_t queries;
	uint64_t bytes_in;  /* from clients */
	uint64_t bytes_out; /* to clients */
	uint64_t errors;
	uint64_t pins[PIN_COUNT]; /* clients pinned, by enum pin_reason */
	uint64_t releases;  /* backends returned at a transaction boundary */
};

struct worker_thread {
	struct worker *w;
	unsigned idx;
	pthread_t tid;
	struct event_base *base;
	int efd;
	struct event *efd_ev;
	pthread_mutex_t mlock;
	struct msg *mhead, *mtail;
	struct session *sessions; /* all sessions of this thread (session.c keeps the list) */
	unsigned n_sessions;
	bool draining;            /* graceful shutdown: finish work, take nothing new */
	struct coro *maint;       /* pool upkeep coroutine (thread 0 only) */
	struct worker_stats stats;
};

struct worker {
	const struct config *cfg; /* the current snapshot: read with worker_config() */
	struct config **retired;  /* snapshots replaced by reloads (sessions may still use them) */
	size_t n_retired;
	struct pool *pool;
	struct worker_thread *threads;
	unsigned n_threads;
	unsigned next_thread;
	unsigned n_clients;       /* atomic */
	uint32_t *session_ids;    /* atomic: the sessions counted so far, in memory shared with the
	                             supervisor so that a new worker never reuses an id */
	uint32_t own_ids;         /* the count when there is no shared memory */
	bool draining;
	bool paused;              /* admin PAUSE: no new backend checkouts (atomic) */
};

static inline const struct config *worker_config(struct worker *w)
{
	return __atomic_load_n(&w->cfg, __ATOMIC_ACQUIRE);
}

/* Run the worker process until shutdown; returns the process exit status. The listening fds
 * belong to the supervisor and are inherited; session_ids (NULL: none) counts the sessions of
 * every worker the supervisor started. */
int worker_main(const struct config *cfg, const int *listen_fds, unsigned n_listen, uint32_t *session_ids);

/* Set up thread t of w (index idx, not started): its event loop and its mailbox. 0, or -1
 * with errno set. worker_main does it for each thread; tests drive one loop themselves. */
int worker_thread_init(struct worker *w, struct worker_thread *t, unsigned idx);
/* Free what worker_thread_init made, after t's loop has ended. */
void worker_thread_free(struct worker_thread *t);

/* Post a wake-up for a pool waiter (called with the pool lock held). */
void worker_wake_waiter(void *thread, void *waiter);

/* Run fn(t, arg) on thread t (from any thread): how work crosses threads. */
void worker_call(struct worker_thread *t, void (*fn)(struct worker_thread *t, void *arg), void *arg);

/* A session ended (called by session.c on its own thread). */
void worker_session_done(struct worker_thread *t);

#endif
