/* Coroutines and the suspending I/O built on them: switch order, completion and cleanup, the
 * guard page, and io_wait's three outcomes (ready, timeout, woken) on a real event loop. */
#include "autoconfig.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "coro.h"
#include "io.h"

static int trace[16];
static int ntrace;

static void record(int v)
{
	if (ntrace < 16)
		trace[ntrace++] = v;
}

static void two_steps(void *arg)
{
	int base = *(int *)arg;
	record(base + 1);
	coro_yield();
	record(base + 2);
}

START_TEST(test_resume_yield_order)
{
	ntrace = 0;
	int a = 10, b = 20;
	struct coro *ca = coro_create(64 * 1024, two_steps, &a);
	struct coro *cb = coro_create(64 * 1024, two_steps, &b);
	ck_assert_ptr_nonnull(ca);
	ck_assert_ptr_nonnull(cb);
	ck_assert_ptr_null(coro_current());
	coro_resume(ca);
	coro_resume(cb);
	ck_assert(!coro_finished(ca));
	coro_resume(ca);
	ck_assert(coro_finished(ca));
	coro_resume(cb);
	ck_assert(coro_finished(cb));
	coro_resume(ca); /* resuming a finished coroutine does nothing */
	int want[] = { 11, 21, 12, 22 };
	ck_assert_int_eq(ntrace, 4);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(trace[i], want[i]);
	coro_free(ca);
	coro_free(cb);
}
END_TEST

static void see_current(void *arg)
{
	*(struct coro **)arg = coro_current();
}

static int cleanups;
static void count_cleanup(void *arg)
{
	struct coro **slot = arg;
	cleanups++;
	coro_free(*slot);
	*slot = NULL;
}

static void noop(void *arg) { (void)arg; }

START_TEST(test_current_and_cleanup)
{
	struct coro *seen = NULL;
	struct coro *c = coro_create(32 * 1024, see_current, &seen);
	coro_resume(c);
	ck_assert_ptr_eq(seen, c);
	ck_assert_ptr_null(coro_current());
	coro_free(c);

	cleanups = 0;
	struct coro *d = NULL;
	d = coro_create(32 * 1024, noop, &d);
	/* The cleanup receives the coroutine's own argument; here that is the slot holding d. */
	coro_set_cleanup(d, count_cleanup);
	coro_resume(d);
	ck_assert_int_eq(cleanups, 1);
	ck_assert_ptr_null(d);
}
END_TEST

static void deep(void *arg)
{
	volatile char big[512];
	memset((char *)big, 1, sizeof(big));
	int n = *(int *)arg;
	if (n > 0) {
		int m = n - 1;
		deep(&m);
	}
}

START_TEST(test_many_coroutines_and_deep_stacks)
{
	enum { N = 200 };
	struct coro *cs[N];
	int depth = 40; /* ~20 KiB of stack each */
	for (int i = 0; i < N; i++) {
		cs[i] = coro_create(64 * 1024, deep, &depth);
		ck_assert_ptr_nonnull(cs[i]);
	}
	for (int i = 0; i < N; i++) {
		coro_resume(cs[i]);
		ck_assert(coro_finished(cs[i]));
		coro_free(cs[i]);
	}
}
END_TEST

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
static void overflow(void *arg)
{
	int n = 100000; /* far more than the 32 KiB stack */
	(void)arg;
	deep(&n);
}

/* Running off the stack hits the guard page: a crash, never silent corruption. (Sanitizer
 * builds catch the overflow themselves and exit instead of taking the signal.) */
START_TEST(test_guard_page)
{
	struct coro *c = coro_create(32 * 1024, overflow, NULL);
	coro_resume(c);
}
END_TEST
#endif

/* ---- io_wait on a real loop ---- */

struct io_case {
	int fd;
	enum io_result result;
	long timeout;
	bool done;
	char got;
};

static void waiter(void *arg)
{
	struct io_case *k = arg;
	k->result = io_wait(k->fd, EV_READ, k->timeout, NULL);
	if (k->result == IO_READY && read(k->fd, &k->got, 1) != 1)
		k->got = '?';
	k->done = true;
}

static void on_write_later(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	int *peer = arg;
	ck_assert_int_eq(write(*peer, "x", 1), 1);
}

START_TEST(test_io_wait_ready)
{
	struct event_base *base = event_base_new();
	io_set_base(base);
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct io_case k = { .fd = sv[0], .timeout = 5000 };
	struct coro *c = coro_create(64 * 1024, waiter, &k);
	coro_resume(c);
	ck_assert(!k.done); /* suspended: nothing to read yet */
	struct timeval tv = { 0, 10000 };
	event_base_once(base, -1, EV_TIMEOUT, on_write_later, &sv[1], &tv);
	event_base_dispatch(base); /* returns when no events are left */
	ck_assert(k.done);
	ck_assert_int_eq(k.result, IO_READY);
	ck_assert_int_eq(k.got, 'x');
	coro_free(c);
	close(sv[0]);
	close(sv[1]);
	event_base_free(base);
}
END_TEST

START_TEST(test_io_wait_timeout)
{
	struct event_base *base = event_base_new();
	io_set_base(base);
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct io_case k = { .fd = sv[0], .timeout = 20 };
	struct coro *c = coro_create(64 * 1024, waiter, &k);
	coro_resume(c);
	event_base_dispatch(base);
	ck_assert(k.done);
	ck_assert_int_eq(k.result, IO_TIMEOUT);
	coro_free(c);
	close(sv[0]);
	close(sv[1]);
	event_base_free(base);
}
END_TEST

static void on_wake_later(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ck_assert(io_wake(arg));
	ck_assert(!io_wake(arg)); /* a second wake of the same wait is refused */
}

START_TEST(test_io_wake)
{
	struct event_base *base = event_base_new();
	io_set_base(base);
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct io_case k = { .fd = sv[0], .timeout = -1 };
	struct coro *c = coro_create(64 * 1024, waiter, &k);
	coro_resume(c);
	struct timeval tv = { 0, 5000 };
	event_base_once(base, -1, EV_TIMEOUT, on_wake_later, c, &tv);
	event_base_dispatch(base);
	ck_assert(k.done);
	ck_assert_int_eq(k.result, IO_WOKEN);
	ck_assert(!io_wake(c)); /* not waiting any more */
	coro_free(c);
	close(sv[0]);
	close(sv[1]);
	event_base_free(base);
}
END_TEST

static void reader(void *arg)
{
	struct io_case *k = arg;
	char buf[8];
	ssize_t r = io_read(k->fd, buf, sizeof(buf), k->timeout);
	k->result = r < 0 && errno == ETIMEDOUT ? IO_TIMEOUT : IO_READY;
	k->got = r > 0 ? buf[0] : (r == 0 ? 'E' : '!');
	k->done = true;
}

START_TEST(test_io_read_eof_and_timeout)
{
	struct event_base *base = event_base_new();
	io_set_base(base);
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	struct io_case k = { .fd = sv[0], .timeout = 20 };
	struct coro *c = coro_create(64 * 1024, reader, &k);
	coro_resume(c);
	event_base_dispatch(base);
	ck_assert_int_eq(k.result, IO_TIMEOUT);
	ck_assert_int_eq(k.got, '!');
	coro_free(c);

	close(sv[1]); /* the peer closes: a read sees EOF */
	struct io_case k2 = { .fd = sv[0], .timeout = 1000 };
	c = coro_create(64 * 1024, reader, &k2);
	coro_resume(c);
	event_base_dispatch(base);
	ck_assert(k2.done);
	ck_assert_int_eq(k2.got, 'E');
	coro_free(c);
	close(sv[0]);
	event_base_free(base);
}
END_TEST

static Suite *coro_suite(void)
{
	Suite *s = suite_create("coro");
	TCase *tc = tcase_create("switch");
	tcase_add_test(tc, test_resume_yield_order);
	tcase_add_test(tc, test_current_and_cleanup);
	tcase_add_test(tc, test_many_coroutines_and_deep_stacks);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	tcase_add_test_raise_signal(tc, test_guard_page, SIGSEGV);
#endif
	suite_add_tcase(s, tc);
	TCase *io = tcase_create("io");
	tcase_add_test(io, test_io_wait_ready);
	tcase_add_test(io, test_io_wait_timeout);
	tcase_add_test(io, test_io_wake);
	tcase_add_test(io, test_io_read_eof_and_timeout);
	suite_add_tcase(s, io);
	return s;
}

CHECK_MAIN(coro_suite)
