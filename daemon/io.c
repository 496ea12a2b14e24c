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
	struct event ev;
	struct coro *co;
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

enum io_result io_wait(int fd, short events, long timeout_ms, short *ready)
{
	struct coro *c = coro_current();
	struct io_waiter w = { .co = c };
	struct timeval tv, *ptv = NULL;

	if (timeout_ms >= 0) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		ptv = &tv;
	}
	event_assign(&w.ev, base, fd, fd >= 0 ? events : 0, on_event, &w);
	if (fd >= 0 || ptv)
		event_add(&w.ev, ptv);
	void **slot = coro_wait_slot(c);
	*slot = &w;
	coro_yield();
	*slot = NULL;
	event_del(&w.ev);
	if (ready)
		*ready = w.fired;
	if (w.woken)
		return IO_WOKEN;
	if ((w.fired & (EV_READ | EV_WRITE)) == 0 && (w.fired & EV_TIMEOUT))
		return IO_TIMEOUT;
	return IO_READY;
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

static ssize_t read_loop(int fd, void *p, size_t n, long timeout_ms, bool wait_first)
{
	for (;;) {
		ssize_t r = -1;
		if (wait_first) {
			wait_first = false;
			errno = EAGAIN;
		} else {
			r = read(fd, p, n);
		}
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		switch (io_wait(fd, EV_READ, timeout_ms, NULL)) {
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
	return read_loop(fd, p, n, timeout_ms, false);
}

ssize_t io_read_later(int fd, void *p, size_t n, long timeout_ms)
{
	return read_loop(fd, p, n, timeout_ms, true);
}

int io_write_all(int fd, const void *p, size_t n, long timeout_ms)
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
		switch (io_wait(fd, EV_WRITE, timeout_ms, NULL)) {
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
