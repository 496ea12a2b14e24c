/* thread: a worker thread's mailbox and its share of the worker (see thread.h). */
#include "autoconfig.h"

#include <event2/event.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "pool.h"
#include "thread.h"

enum msg_type { MSG_WAKE, MSG_CALL };

struct msg {
	struct msg *next;
	enum msg_type type;
	struct pool_waiter *waiter;
	void (*fn)(struct worker_thread *t, void *arg);
	void *arg;
};

static int post(struct worker_thread *t, enum msg_type type, struct pool_waiter *w,
		void (*fn)(struct worker_thread *t, void *arg), void *arg)
{
	struct msg *m = calloc(1, sizeof(*m));
	if (!m) {
		log_error("out of memory posting a message to thread %u", t->idx);
		return -1;
	}
	*m = (struct msg){ .type = type, .waiter = w, .fn = fn, .arg = arg };
	pthread_mutex_lock(&t->mlock);
	if (t->mtail)
		t->mtail->next = m;
	else
		t->mhead = m;
	t->mtail = m;
	pthread_mutex_unlock(&t->mlock);
	uint64_t one = 1;
	ssize_t r = write(t->efd, &one, sizeof(one));
	(void)r; /* an eventfd write only fails when the counter would overflow: it is awake then */
	return 0;
}

int thread_call(struct worker_thread *t, void (*fn)(struct worker_thread *t, void *arg), void *arg)
{
	return post(t, MSG_CALL, NULL, fn, arg);
}

void thread_wake_waiter(struct pool_waiter *w)
{
	post(w->thread, MSG_WAKE, w, NULL, NULL);
}

void thread_maybe_finish(struct worker_thread *t)
{
	if (t->draining && t->n_sessions == 0 && !t->maint)
		event_base_loopbreak(t->base);
}

void thread_session_done(struct worker_thread *t)
{
	t->n_sessions--;
	__atomic_fetch_sub(&t->w->n_clients, 1, __ATOMIC_RELAXED);
	thread_maybe_finish(t);
}

static void on_mailbox(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct worker_thread *t = arg;
	uint64_t n;
	ssize_t r = read(fd, &n, sizeof(n));
	(void)r;
	pthread_mutex_lock(&t->mlock);
	struct msg *m = t->mhead;
	t->mhead = t->mtail = NULL;
	pthread_mutex_unlock(&t->mlock);
	while (m) {
		struct msg *next = m->next;
		if (m->type == MSG_WAKE)
			pool_waiter_woken(m->waiter);
		else
			m->fn(t, m->arg);
		free(m);
		m = next;
	}
}

int thread_init(struct worker *w, struct worker_thread *t, unsigned idx)
{
	t->w = w;
	t->idx = idx;
	pthread_mutex_init(&t->mlock, NULL);
	/* Not EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST: it defers the deletion of a closed fd's
	 * event, and a new connection that gets the same fd number on this thread before
	 * the loop polls again would then never be registered (ThreadSanitizer showed the
	 * fd reuse). */
	t->base = event_base_new();
	t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!t->base || t->efd < 0)
		return -1;
	t->efd_ev = event_new(t->base, t->efd, EV_READ | EV_PERSIST, on_mailbox, t);
	event_add(t->efd_ev, NULL);
	return 0;
}

void thread_free(struct worker_thread *t)
{
	event_free(t->efd_ev);
	close(t->efd);
	event_base_free(t->base);
	pthread_mutex_destroy(&t->mlock);
}
