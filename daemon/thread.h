/* thread: one worker thread — its event loop, its mailbox and its sessions — and the state of
 * the worker process that its threads share (struct worker).
 *
 * Shared-nothing threads: a thread touches only its own sessions and events. Work crosses
 * threads only as calls posted to a thread's mailbox (a mutex-protected list woken by an
 * eventfd): a new client, a pool hand-off wake-up, a drain request, a console collection. The
 * pool is the one shared structure (pool.h). worker.c starts the threads and runs the process;
 * the session layer sees only this. */
#ifndef MYPOOL_THREAD_H
#define MYPOOL_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hold.h"

struct config;
struct coro;
struct event;
struct event_base;
struct msg;
struct pool;
struct pool_waiter;
struct session;
struct worker;

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

/* Set up thread t of w (index idx, not started): its event loop and its mailbox. 0, or -1
 * with errno set. worker_main does it for each thread; tests drive one loop themselves. */
int thread_init(struct worker *w, struct worker_thread *t, unsigned idx);
/* Free what thread_init made, after t's loop has ended. */
void thread_free(struct worker_thread *t);

/* Run fn(t, arg) on thread t (from any thread): how work crosses threads. 0, or -1 out of
 * memory (nothing will run). */
int thread_call(struct worker_thread *t, void (*fn)(struct worker_thread *t, void *arg), void *arg);
/* The pool's wake function (pool_wake_fn): the waiter hears of its grant on its own thread. */
void thread_wake_waiter(struct pool_waiter *w);

/* A session ended (called by session.c on its own thread). */
void thread_session_done(struct worker_thread *t);
/* A draining thread whose sessions and upkeep are done ends its loop. */
void thread_maybe_finish(struct worker_thread *t);

#endif
