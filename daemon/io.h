/* io: suspending I/O for coroutines, driven by the current thread's libevent loop.
 *
 * A coroutine that must wait (a socket not ready, a timer, a hand-off from another thread)
 * registers one event whose callback resumes it, then yields. io_wake() lets the owning thread
 * end such a wait early (shutdown, pool hand-off). Everything here runs on one thread. */
#ifndef MYPOOL_IO_H
#define MYPOOL_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct event;
struct event_base;
struct coro;
struct io_waiter;

enum io_result {
	IO_READY = 0,   /* the fd is ready for what was asked */
	IO_TIMEOUT = 1, /* the timeout passed */
	IO_WOKEN = 2,   /* io_wake() ended the wait */
};

/* The event loop of the calling thread (set once per thread). */
void io_set_base(struct event_base *base);
struct event_base *io_get_base(void);

/* Suspend the current coroutine until fd is ready for `events` (EV_READ and/or EV_WRITE), or
 * timeout_ms milliseconds pass (< 0: no timeout), or io_wake(). fd < 0 waits only for the timer
 * or a wake. *ready (may be NULL) receives the libevent flags that fired. */
enum io_result io_wait(int fd, short events, long timeout_ms, short *ready);
/* End c's current io_wait with IO_WOKEN; false if c is not waiting. Same thread only. */
bool io_wake(struct coro *c);
/* Suspend for ms milliseconds (or until woken). */
enum io_result io_sleep(long ms);

/* A socket that one coroutine after another waits on, on whichever thread holds it (a
 * backend's): registered once per thread as a persistent edge-triggered read event, so a wait
 * on it costs no epoll_ctl (a one-shot io_wait costs two). Readiness that arrives while nobody
 * waits is remembered. Once an io_fd is in use, every wait on its fd must go through it, and
 * io_fd_release() must come before the fd is closed. Only the coroutine holding the socket uses
 * it; release may run on any thread. */
struct io_fd {
	int fd;                  /* -1: not set up, waits fall back to io_wait */
	struct event *ev;        /* NULL until the first wait */
	struct event_base *base; /* the loop it is registered on */
	short events;            /* registered interest: EV_READ, plus EV_WRITE while a write waits */
	short ready;             /* edges seen while nobody waited for them */
	struct io_waiter *waiter;
};

void io_fd_init(struct io_fd *f, int fd);
/* Unregister (from any thread); the fd itself stays open. Idempotent. */
void io_fd_release(struct io_fd *f);
/* io_wait on f's fd. */
enum io_result io_fd_wait(struct io_fd *f, short events, long timeout_ms, short *ready);

/* Read at least one byte: >0 bytes read, 0 at EOF, -1 on error with errno set (ETIMEDOUT after
 * timeout_ms, ECANCELED if woken). */
ssize_t io_read(int fd, void *p, size_t n, long timeout_ms);
/* The same, but wait for readability first: for a reply that cannot have arrived yet (saves
 * the read that would fail). */
ssize_t io_read_later(int fd, void *p, size_t n, long timeout_ms);
/* Write all n bytes: 0, or -1 with errno (EPIPE, ETIMEDOUT, ECANCELED ...). */
int io_write_all(int fd, const void *p, size_t n, long timeout_ms);
/* The same three on an io_fd. */
ssize_t io_fd_read(struct io_fd *f, void *p, size_t n, long timeout_ms);
ssize_t io_fd_read_later(struct io_fd *f, void *p, size_t n, long timeout_ms);
int io_fd_write_all(struct io_fd *f, const void *p, size_t n, long timeout_ms);

#endif
