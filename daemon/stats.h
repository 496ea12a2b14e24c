/* stats: counters and session facts gathered from every worker thread, summed on read.
 *
 * Each thread owns its counters and sessions; a collection sends a function to every thread's
 * mailbox (thread_call), each adds what it owns under the collection's lock, and the last one
 * hands the result back to the thread that asked (done, on that thread). The admin console
 * waits for it in a coroutine; the metrics endpoint answers from the callback. */
#ifndef MYPOOL_STATS_H
#define MYPOOL_STATS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "hold.h"
#include "pool.h"
#include "thread.h"

struct stats_table {
	unsigned ncols;
	char **cells; /* row-major, ncols per row; NULL = SQL NULL */
	size_t n, cap;
};

struct stats {
	pthread_mutex_t lock;
	unsigned pending;
	struct worker_thread *origin;
	/* What each thread adds (NULL: the counters below only). */
	void (*each)(struct worker_thread *t, struct stats *st);
	void (*done)(struct stats *st);
	void *arg;
	struct stats_table tb;
	struct worker_stats sum;            /* per-thread counters, summed */
	unsigned pinned[PIN_COUNT];         /* clients pinned now, by reason */
	unsigned clients, with_backend, waiting;
	struct pool_stats pool;
};

/* Start a collection on all threads of w; st->done runs on `origin` when it is complete.
 * st must stay valid until then. */
void stats_collect(struct worker *w, struct worker_thread *origin, struct stats *st);
/* From inside a coroutine on `origin`: collect and wait for the result. */
void stats_collect_wait(struct worker *w, struct worker_thread *origin, struct stats *st);
void stats_free(struct stats *st);

void stats_cell(struct stats_table *tb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void stats_table_free(struct stats_table *tb);

#endif
