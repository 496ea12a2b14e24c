/* stats: gathering counters from every worker thread (see stats.h). */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coro.h"
#include "io.h"
#include "log.h"
#include "session.h"
#include "stats.h"
#include "thread.h"

void stats_cell(struct stats_table *tb, const char *fmt, ...)
{
	if (tb->n == tb->cap) {
		size_t cap = tb->cap ? tb->cap * 2 : 64;
		char **nc = realloc(tb->cells, cap * sizeof(*nc));
		if (!nc)
			return;
		tb->cells = nc;
		tb->cap = cap;
	}
	char *v = NULL;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&v, fmt, ap) < 0)
			v = NULL;
		va_end(ap);
	}
	tb->cells[tb->n++] = v;
}

void stats_table_free(struct stats_table *tb)
{
	for (size_t i = 0; i < tb->n; i++)
		free(tb->cells[i]);
	free(tb->cells);
	tb->cells = NULL;
	tb->n = tb->cap = 0;
}

void stats_free(struct stats *st)
{
	stats_table_free(&st->tb);
}

static void count_session(const struct session_view *v, void *arg)
{
	struct stats *st = arg;
	st->clients++;
	if (v->server_id)
		st->with_backend++;
	if (v->waiting)
		st->waiting++;
	for (int r = 0; r < PIN_COUNT; r++)
		if (v->pins & (1u << r))
			st->pinned[r]++;
}

/* The counters every collection sums. */
static void add_counts(struct worker_thread *t, struct stats *st)
{
	struct worker_stats *a = &st->sum, *b = &t->stats;
	a->clients_accepted += b->clients_accepted;
	a->queries += b->queries;
	a->bytes_in += b->bytes_in;
	a->bytes_out += b->bytes_out;
	a->errors += b->errors;
	a->releases += b->releases;
	for (int r = 0; r < PIN_COUNT; r++)
		a->pins[r] += b->pins[r];
	session_each(t, count_session, st);
}

static void finish(struct worker_thread *t, void *arg)
{
	(void)t;
	struct stats *st = arg;
	pthread_mutex_destroy(&st->lock);
	st->done(st);
}

static void on_thread(struct worker_thread *t, void *arg)
{
	struct stats *st = arg;
	pthread_mutex_lock(&st->lock);
	add_counts(t, st);
	if (st->each)
		st->each(t, st);
	bool last = --st->pending == 0;
	pthread_mutex_unlock(&st->lock);
	if (last)
		thread_call(st->origin, finish, st);
}

void stats_collect(struct worker *w, struct worker_thread *origin, struct stats *st)
{
	pthread_mutex_init(&st->lock, NULL);
	st->origin = origin;
	st->pending = w->n_threads;
	pool_get_stats(w->pool, &st->pool);
	for (unsigned i = 0; i < w->n_threads; i++)
		thread_call(&w->threads[i], on_thread, st);
}

static void wake(struct stats *st)
{
	io_wake(st->arg);
}

void stats_collect_wait(struct worker *w, struct worker_thread *origin, struct stats *st)
{
	st->done = wake;
	st->arg = coro_current();
	stats_collect(w, origin, st);
	while (io_wait(-1, 0, -1, NULL) != IO_WOKEN)
		;
}
