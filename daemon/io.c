/* io: suspending I/O for coroutines (see io.h). */
#include "autoconfig.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <unistd.h>

#include "coro.h"
#include "io.h"

static __thread struct event_base *base;

struct io_waiter {
	struct event ev;   /* the fd (io_wait), or just the timer and wake-ups (io_fd_wait) */
	struct coro *co;
	short want;        /* io_fd_wait: what it waits for */
	short fired;
	bool woken;
};

void io_set_base(struct event_base *b) { base = b; }
struct event_base *io_get_base(void) { return base; }

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	struct io_waiter *w = arg;
	w->fired = what;
	coro_resume(w->co);
}

/* Suspend in w (set up by the caller) until its event, the timeout or a wake. */
static enum io_result suspend(struct io_waiter *w, int fd, long timeout_ms, short *ready)
{
	struct timeval tv, *ptv = NULL;
	if (timeout_ms >= 0) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		ptv = &tv;
	}
	if (fd >= 0 || ptv)
		event_add(&w->ev, ptv);
	void **slot = coro_wait_slot(w->co);
	*slot = w;
	coro_yield();
	*slot = NULL;
	event_del(&w->ev);
	if (ready)
		*ready = w->fired;
	if (w->woken)
		return IO_WOKEN;
	if ((w->fired & (EV_READ | EV_WRITE)) == 0 && (w->fired & EV_TIMEOUT))
		return IO_TIMEOUT;
	return IO_READY;
}

enum io_result io_wait(int fd, short events, long timeout_ms, short *ready)
{
	struct io_waiter w = { .co = coro_current() };
	event_assign(&w.ev, base, fd, fd >= 0 ? events : 0, on_event, &w);
	return suspend(&w, fd, timeout_ms, ready);
}

/* ---- io_fd ---- */

void io_fd_init(struct io_fd *f, int fd)
{
	*f = (struct io_fd){ .fd = fd };
}

/* Never runs a coroutine itself: the waiter resumes from its own event. Another thread that
 * takes the socket over deletes this event, which waits for a running callback; were that
 * callback running a coroutine, two threads doing so at once would wait for each other. */
static void on_fd_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	struct io_fd *f = arg;
	struct io_waiter *w = f->waiter;
	if (what & EV_CLOSED)
		what |= EV_READ; /* the peer's end of the stream: a read returns it at once */
	f->ready |= (short)(what & EV_CLOSED); /* sticky: no edge will come again */
	if (w && (what & w->want)) {
		f->waiter = NULL;
		f->ready |= (short)(what & ~w->want & (EV_READ | EV_WRITE));
		event_active(&w->ev, what & w->want, 0);
		return;
	}
	f->ready |= (short)(what & (EV_READ | EV_WRITE));
}

/* Register f on this thread's loop with interest `events` (from any other loop first). An
 * edge-triggered registration reports the readiness the socket already has, so none is lost.
 * false if out of memory. */
static bool fd_register(struct io_fd *f, short events)
{
	f->base = NULL;
	if (f->ev)
		event_del(f->ev); /* from another thread too: libevent waits for a running callback */
	else if (!(f->ev = event_new(base, f->fd, 0, on_fd_event, f)))
		return false;
	/* EV_CLOSED (EPOLLRDHUP): the peer's FIN can come in the same edge as its last bytes, and a
	 * short read of those would otherwise pass for "drained" and wait for an edge that never
	 * comes. */
	event_assign(f->ev, base, f->fd, (short)(events | EV_PERSIST | EV_ET | EV_CLOSED), on_fd_event, f);
	if (event_add(f->ev, NULL) != 0)
		return false;
	f->base = base;
	f->events = events;
	f->ready = 0;
	return true;
}

void io_fd_release(struct io_fd *f)
{
	if (f->ev)
		event_free(f->ev);
	f->ev = NULL;
	f->base = NULL;
	f->fd = -1;
}

enum io_result io_fd_wait(struct io_fd *f, short events, long timeout_ms, short *ready)
{
	/* Writable edges come with every read the peer makes: listen for them only from a write
	 * wait to the next read wait (a stream of writes to a slow client registers once). */
	short want = (short)(EV_READ | (events & EV_WRITE));
	if (f->fd < 0 || ((f->base != base || want != f->events) && !fd_register(f, want))) {
		/* Released, or out of memory: nothing to wait for; the caller sees a timeout. */
		if (ready)
			*ready = 0;
		return IO_TIMEOUT;
	}
	enum io_result r = IO_READY;
	if ((events & EV_READ) && (f->ready & EV_CLOSED))
		f->ready |= EV_READ; /* a read returns the end of the stream at once */
	if (f->ready & events) {
		if (ready)
			*ready = f->ready & events;
		f->ready &= (short)~events;
	} else {
		struct io_waiter w = { .co = coro_current(), .want = events };
		event_assign(&w.ev, base, -1, 0, on_event, &w);
		f->waiter = &w;
		r = suspend(&w, -1, timeout_ms, ready);
		f->waiter = NULL;
		if (r != IO_READY) /* the socket may have become ready too: keep that for later */
			f->ready |= (short)(w.fired & events);
	}
	return r;
}

bool io_wake(struct coro *c)
{
	struct io_waiter *w = *coro_wait_slot(c);
	if (!w || w->woken)
		return false;
	w->woken = true;
	event_active(&w->ev, EV_TIMEOUT, 0);
	return true;
}

enum io_result io_sleep(long ms)
{
	return io_wait(-1, 0, ms, NULL);
}

/* Wait on f if there is one, else on fd. */
static enum io_result wait_on(struct io_fd *f, int fd, short events, long timeout_ms)
{
	return f ? io_fd_wait(f, events, timeout_ms, NULL) : io_wait(fd, events, timeout_ms, NULL);
}

static ssize_t read_loop(struct io_fd *f, int fd, void *p, size_t n, long timeout_ms, bool wait_first)
{
	for (;;) {
		ssize_t r = -1;
		/* f->ready is this thread's only while f is registered on its loop (a wait moves it
		 * here, and a fresh registration reports what the socket has). */
		bool mine = f && f->base == base;
		if (wait_first && !(mine && (f->ready & EV_CLOSED))) {
			wait_first = false;
			errno = EAGAIN;
		} else {
			wait_first = false;
			r = read(fd, p, n);
		}
		if (r >= 0) {
			/* A short read drained the socket: an edge seen before it is stale. (One
			 * after it is still queued in the loop and will be seen.) */
			if (mine && (size_t)r < n)
				f->ready &= (short)~EV_READ;
			return r;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		switch (wait_on(f, fd, EV_READ, timeout_ms)) {
		case IO_READY:
			break;
		case IO_TIMEOUT:
			errno = ETIMEDOUT;
			return -1;
		case IO_WOKEN:
			errno = ECANCELED;
			return -1;
		}
	}
}

ssize_t io_read(int fd, void *p, size_t n, long timeout_ms)
{
	return read_loop(NULL, fd, p, n, timeout_ms, false);
}

ssize_t io_read_later(int fd, void *p, size_t n, long timeout_ms)
{
	return read_loop(NULL, fd, p, n, timeout_ms, true);
}

ssize_t io_fd_read(struct io_fd *f, void *p, size_t n, long timeout_ms)
{
	return read_loop(f, f->fd, p, n, timeout_ms, false);
}

ssize_t io_fd_read_later(struct io_fd *f, void *p, size_t n, long timeout_ms)
{
	return read_loop(f, f->fd, p, n, timeout_ms, true);
}

static int write_loop(struct io_fd *f, int fd, const void *p, size_t n, long timeout_ms)
{
	const char *s = p;
	while (n > 0) {
		ssize_t r = write(fd, s, n);
		if (r > 0) {
			s += r;
			n -= (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		switch (wait_on(f, fd, EV_WRITE, timeout_ms)) {
		case IO_READY:
			break;
		case IO_TIMEOUT:
			errno = ETIMEDOUT;
			return -1;
		case IO_WOKEN:
			errno = ECANCELED;
			return -1;
		}
	}
	return 0;
}

int io_write_all(int fd, const void *p, size_t n, long timeout_ms)
{
	return write_loop(NULL, fd, p, n, timeout_ms);
}

int io_fd_write_all(struct io_fd *f, const void *p, size_t n, long timeout_ms)
{
	return write_loop(f, f->fd, p, n, timeout_ms);
}
