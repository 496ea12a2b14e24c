/* The pool's rules, driven through its ops with a fake backend: clients are coroutines on a
 * real event loop (the real coro and io modules), the server connections plain structs whose
 * connect, reset and close take the time a test gives them. */
#include "autoconfig.h"

#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "check_main.h"
#include "config.h"
#include "coro.h"
#include "io.h"
#include "log.h"
#include "pool.h"

/* ---- the fake server connections ---- */

static struct {
	int creates, connects, failures, resets, disconnects, destroys;
	int fail_next;        /* connects to fail from now on */
	long connect_ms;      /* how long each connect takes */
	long reset_ms;
	uint32_t next_id;
	bool all_dead;        /* alive() says no */
} F;

static struct backend *f_create(const char *account, bool found_rows)
{
	struct backend *b = calloc(1, sizeof(*b));
	snprintf(b->account, sizeof(b->account), "%s", account);
	b->found_rows = found_rows;
	F.creates++;
	return b;
}

static int f_connect(struct backend *b, const struct config *cfg, const char *password, char *err, size_t errlen)
{
	(void)cfg, (void)password;
	if (F.connect_ms)
		io_sleep(F.connect_ms);
	if (F.fail_next > 0) {
		F.fail_next--;
		F.failures++;
		snprintf(err, errlen, "refused by the fake");
		return -1;
	}
	F.connects++;
	b->server_id = ++F.next_id;
	b->created_ms = b->idle_since_ms = mono_ms();
	return 0;
}

static int f_reset(struct backend *b)
{
	if (F.reset_ms)
		io_sleep(F.reset_ms);
	F.resets++;
	b->dirty = false;
	return 0;
}

static bool f_alive(struct backend *b, unsigned min_idle_ms)
{
	(void)min_idle_ms;
	return !b->broken && !F.all_dead;
}

static void f_disconnect(struct backend *b)
{
	(void)b;
	F.disconnects++;
}

static void f_destroy(struct backend *b)
{
	F.destroys++;
	free(b);
}

static const struct pool_ops fake_ops = {
	.create = f_create, .connect = f_connect, .reset = f_reset,
	.alive = f_alive, .disconnect = f_disconnect, .destroy = f_destroy,
};

/* ---- the loop, the pool and its clients ---- */

static struct event_base *base;
static struct pool *P;
static struct config *cfg;

static void woken(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	pool_waiter_woken(arg);
}

/* As the worker does: the waiter hears of it on its thread, from the loop (never under the
 * pool lock). */
static void wake(struct pool_waiter *w)
{
	struct timeval now = { 0, 0 };
	event_base_once(base, -1, EV_TIMEOUT, woken, w, &now);
}

#define CONF(extra)                                                                                \
	"[mypoold]\npool_wait_timeout = 300ms\n" extra "[backend]\nsocket = /nonexistent.sock\nuser = pool\n" \
	"password = pw\n"

static struct config *load(const char *text)
{
	struct config *c = NULL;
	ck_assert_int_eq(config_load_string(text, "t.ini", stderr, &c), 0);
	return c;
}

static void setup_with(const char *text)
{
	memset(&F, 0, sizeof(F));
	base = event_base_new();
	io_set_base(base);
	cfg = load(text);
	P = pool_create(cfg, wake, &fake_ops);
}

static void teardown(void)
{
	pool_shutdown(P);
	pool_destroy(P);
	config_free(cfg);
	event_base_free(base);
	ck_assert_int_eq(F.destroys, F.creates); /* nothing leaks */
}

struct client {
	const char *user;
	long start_ms, hold_ms;  /* when it asks, and how long it keeps what it got */
	unsigned globals;
	bool dirty, broken;      /* what it leaves the backend as */
	bool keep;               /* do not release: the test does */
	struct coro *co;
	struct backend *got;
	enum pool_error err;
	char msg[256];
	int order;               /* in which order clients got a backend (from 1) */
	uint64_t waited_ms;
	bool done;
};

static int granted;

static void client_main(void *arg)
{
	struct client *c = arg;
	if (c->start_ms)
		io_sleep(c->start_ms);
	uint64_t t0 = mono_ms();
	c->got = pool_checkout(P, c->user ? c->user : "app", false, c->globals, NULL, &c->err, c->msg, sizeof(c->msg));
	c->waited_ms = mono_ms() - t0;
	if (c->got) {
		c->order = ++granted;
		if (c->hold_ms)
			io_sleep(c->hold_ms);
		c->got->dirty = c->dirty;
		c->got->broken = c->broken;
		if (!c->keep)
			pool_release(P, c->got);
	}
	c->done = true;
}

static void start(struct client *c)
{
	c->co = coro_create(128 * 1024, client_main, c);
	ck_assert_ptr_nonnull(c->co);
	coro_resume(c->co);
}

static void stop_loop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	event_base_loopbreak(base);
}

/* Run the loop until every client is done (at most 5 s). */
static void run(struct client *cs, int n)
{
	struct event *guard = evtimer_new(base, stop_loop, NULL);
	struct timeval five = { 5, 0 };
	evtimer_add(guard, &five);
	for (;;) {
		bool all = true;
		for (int i = 0; i < n; i++)
			all = all && cs[i].done;
		if (all)
			break;
		ck_assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
		ck_assert_msg(evtimer_pending(guard, NULL), "clients still waiting after 5 s");
	}
	event_free(guard);
	for (int i = 0; i < n; i++) {
		coro_free(cs[i].co);
		cs[i].co = NULL;
	}
}

/* A coroutine of the test's own: fn(arg) on the loop. */
struct task {
	void (*fn)(void *arg);
	void *arg;
	bool done;
	struct coro *co;
};

static void task_main(void *arg)
{
	struct task *t = arg;
	t->fn(t->arg);
	t->done = true;
}

static void run_task(void (*fn)(void *), void *arg)
{
	struct task t = { .fn = fn, .arg = arg };
	t.co = coro_create(128 * 1024, task_main, &t);
	coro_resume(t.co);
	while (!t.done)
		event_base_loop(base, EVLOOP_ONCE);
	coro_free(t.co);
}

static void maintain(void *arg)
{
	(void)arg;
	pool_maintain(P);
}

static struct pool_stats stats(void)
{
	struct pool_stats st;
	pool_get_stats(P, &st);
	return st;
}

/* ---- the rules ---- */

START_TEST(test_idle_backend_is_reused)
{
	setup_with(CONF("") "pool_size = 2\n[users]\napp = a\n");
	struct client c[2] = { { 0 }, { .start_ms = 10 } };
	start(&c[0]);
	start(&c[1]);
	run(c, 2);
	ck_assert_int_eq(c[0].err, POOL_OK);
	ck_assert_int_eq(c[1].err, POOL_OK);
	ck_assert_int_eq(F.connects, 1); /* the second got the first one's, from the idle list */
	ck_assert_uint_eq(stats().idle, 1);
	teardown();
}
END_TEST

START_TEST(test_waiters_are_served_in_order)
{
	setup_with(CONF("") "pool_size = 1\n[users]\napp = a\n");
	struct client c[4] = {
		{ .hold_ms = 30 }, { .start_ms = 5, .hold_ms = 5 }, { .start_ms = 10, .hold_ms = 5 },
		{ .start_ms = 15, .hold_ms = 5 },
	};
	for (int i = 0; i < 4; i++)
		start(&c[i]);
	run(c, 4);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(c[i].err, POOL_OK);
		ck_assert_int_eq(c[i].order, i + 1);
		ck_assert_ptr_eq(c[i].got, c[0].got); /* the one connection, handed on */
	}
	ck_assert_int_eq(F.connects, 1);
	ck_assert_uint_eq(stats().waits, 3);
	teardown();
}
END_TEST

START_TEST(test_never_more_than_pool_size)
{
	setup_with(CONF("") "pool_size = 2\n[users]\napp = a\n");
	F.connect_ms = 20; /* all three ask while the first two are still connecting */
	struct client c[3] = { { .hold_ms = 20 }, { .hold_ms = 20 }, { .hold_ms = 20 } };
	for (int i = 0; i < 3; i++)
		start(&c[i]);
	struct pool_stats st = stats();
	ck_assert_uint_eq(st.connecting, 2);
	ck_assert_uint_eq(st.waiting, 1);
	run(c, 3);
	ck_assert_int_eq(F.connects, 2);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(c[i].err, POOL_OK);
	teardown();
}
END_TEST

START_TEST(test_pool_wait_timeout)
{
	setup_with(CONF("") "pool_size = 1\n[users]\napp = a\n");
	struct client c[2] = { { .hold_ms = 600 }, { .start_ms = 5 } };
	start(&c[0]);
	start(&c[1]);
	run(c, 2);
	ck_assert_int_eq(c[1].err, POOL_TIMEOUT);
	ck_assert_str_eq(c[1].msg, "no backend connection available within 300 ms");
	ck_assert_uint_ge(c[1].waited_ms, 290);
	ck_assert_uint_eq(stats().timeouts, 1);
	teardown();
}
END_TEST

#define TWO_ACCOUNTS                                                                               \
	"[users]\napp = a\nrep = r\n[user.rep]\nbackend_user = ro\nbackend_password = x\n"         \
	"max_server_connections = 1\n"

START_TEST(test_account_cap)
{
	setup_with(CONF("") "pool_size = 3\n" TWO_ACCOUNTS);
	/* rep may have one server connection: its second client waits for it, though the pool
	 * has room; app's client opens one of its own meanwhile. */
	struct client c[3] = {
		{ .user = "rep", .hold_ms = 40 }, { .user = "rep", .start_ms = 5 }, { .user = "app", .start_ms = 10 },
	};
	for (int i = 0; i < 3; i++)
		start(&c[i]);
	run(c, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(c[i].err, POOL_OK);
	ck_assert_ptr_eq(c[1].got, c[0].got);
	ck_assert_str_eq(c[0].got->account, "ro");
	ck_assert_str_eq(c[2].got->account, "pool");
	ck_assert_int_eq(c[2].order, 2); /* app did not wait behind rep's second client */
	ck_assert_int_eq(F.connects, 2);
	teardown();
}
END_TEST

START_TEST(test_idle_of_another_account_makes_room)
{
	setup_with(CONF("") "pool_size = 1\n" TWO_ACCOUNTS);
	struct client c[2] = { { .user = "app" }, { .user = "rep", .start_ms = 10 } };
	start(&c[0]);
	start(&c[1]);
	run(c, 2);
	ck_assert_int_eq(c[1].err, POOL_OK);
	ck_assert_str_eq(c[1].got->account, "ro");
	ck_assert_int_eq(F.disconnects, 1); /* app's idle one was closed for it */
	ck_assert_int_eq(F.connects, 2);
	struct pool_stats st = stats();
	ck_assert_uint_eq(st.total, 1);
	ck_assert_uint_eq(st.idle, 1);
	teardown();
}
END_TEST

START_TEST(test_released_one_goes_to_a_waiter_of_another_account)
{
	setup_with(CONF("") "pool_size = 1\n" TWO_ACCOUNTS);
	/* app holds the only slot; rep waits; when app's comes back it is closed and rep opens
	 * one in its slot. */
	struct client c[2] = { { .user = "app", .hold_ms = 30 }, { .user = "rep", .start_ms = 5 } };
	start(&c[0]);
	start(&c[1]);
	run(c, 2);
	ck_assert_int_eq(c[1].err, POOL_OK);
	ck_assert_str_eq(c[1].got->account, "ro");
	ck_assert_int_eq(F.disconnects, 1);
	teardown();
}
END_TEST

START_TEST(test_failed_connect_backs_off_and_fails_waiters)
{
	setup_with(CONF("") "pool_size = 1\n[users]\napp = a\n");
	F.fail_next = 1;
	F.connect_ms = 30;
	/* The second asks while the first connects (no free slot): the failure fails it too,
	 * with the reason; the third, inside the backoff, fails at once without a connect. */
	struct client c[3] = { { 0 }, { .start_ms = 5 }, { .start_ms = 40 } };
	for (int i = 0; i < 3; i++)
		start(&c[i]);
	run(c, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(c[i].err, POOL_UNAVAILABLE);
		ck_assert_str_eq(c[i].msg, "refused by the fake");
	}
	ck_assert_int_eq(F.failures, 1);
	ck_assert_uint_lt(c[2].waited_ms, 20);
	/* After the backoff (100 ms at first) the account is tried again. */
	struct client d = { .start_ms = 120 };
	start(&d);
	run(&d, 1);
	ck_assert_int_eq(d.err, POOL_OK);
	teardown();
}
END_TEST

START_TEST(test_reload_drains_the_old_generation)
{
	setup_with(CONF("") "pool_size = 2\n[users]\napp = a\n");
	struct client c[2] = { { 0 }, { .keep = true } };
	start(&c[0]);
	run(c, 1);
	start(&c[1]); /* c[1] holds the idle one now */
	run(c + 1, 1);
	struct client e = { 0 };
	start(&e); /* and e opens a second one, which goes back idle */
	run(&e, 1);
	ck_assert_int_eq(F.connects, 2);
	struct config *next = load("[mypoold]\npool_wait_timeout = 300ms\n[backend]\nsocket = /other.sock\nuser = pool\n"
				   "password = pw\npool_size = 2\n[users]\napp = a\n");
	pool_set_config(P, next);
	run_task(maintain, NULL); /* the idle old one is closed by the upkeep */
	ck_assert_int_eq(F.disconnects, 1);
	pool_release(P, c[1].got); /* the held old one when it comes back */
	ck_assert_int_eq(F.disconnects, 2);
	ck_assert_uint_eq(stats().total, 0);
	pool_set_config(P, cfg);
	config_free(next);
	teardown();
}
END_TEST

START_TEST(test_idle_timeout_lifetime_and_min_idle)
{
	setup_with(CONF("") "pool_size = 4\nmin_idle = 1\nserver_idle_timeout = 20ms\nserver_lifetime = 60ms\n"
		   "[users]\napp = a\n");
	run_task(maintain, NULL); /* min_idle: one is opened */
	ck_assert_int_eq(F.connects, 1);
	struct client c[2] = { { .hold_ms = 10 }, { .hold_ms = 10 } };
	start(&c[0]);
	start(&c[1]);
	run(c, 2);
	ck_assert_uint_eq(stats().idle, 2);
	io_set_base(base);
	struct timeval t = { 0, 40000 };
	event_base_loopexit(base, &t);
	event_base_dispatch(base);
	run_task(maintain, NULL); /* idle past 20 ms: closed down to min_idle */
	ck_assert_uint_eq(stats().total, 1);
	struct client d = { .hold_ms = 40 }; /* past its 60 ms lifetime when it comes back */
	start(&d);
	run(&d, 1);
	ck_assert_uint_eq(stats().total, 0);
	ck_assert_int_eq(F.disconnects, 2);
	teardown();
}
END_TEST

START_TEST(test_kill_cancels_a_wait)
{
	setup_with(CONF("") "pool_size = 1\n[users]\napp = a\n");
	struct client c[2] = { { .hold_ms = 100 }, { .start_ms = 5 } };
	start(&c[0]);
	start(&c[1]);
	while (stats().waiting == 0)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert(io_wake(c[1].co)); /* what KILL does to a waiting session */
	run(c, 2);
	ck_assert_int_eq(c[1].err, POOL_CANCELLED);
	ck_assert_uint_eq(stats().waiting, 0);
	teardown();
}
END_TEST

START_TEST(test_shutdown_fails_waiters)
{
	setup_with(CONF("") "pool_size = 1\n[users]\napp = a\n");
	struct client c[2] = { { .hold_ms = 50 }, { .start_ms = 5 } };
	start(&c[0]);
	start(&c[1]);
	while (stats().waiting == 0)
		event_base_loop(base, EVLOOP_ONCE);
	pool_shutdown(P);
	run(c, 2);
	ck_assert_int_eq(c[1].err, POOL_SHUTDOWN);
	struct client late = { 0 };
	start(&late);
	run(&late, 1);
	ck_assert_int_eq(late.err, POOL_SHUTDOWN);
	teardown();
}
END_TEST

START_TEST(test_dirty_is_reset_broken_is_closed)
{
	setup_with(CONF("") "pool_size = 1\n[users]\napp = a\n");
	struct client c[3] = { { .dirty = true }, { .start_ms = 5, .broken = true }, { .start_ms = 10 } };
	for (int i = 0; i < 3; i++)
		start(&c[i]);
	run(c, 3);
	ck_assert_int_eq(F.resets, 1);
	ck_assert_int_eq(F.disconnects, 1);
	ck_assert_int_eq(F.connects, 2); /* the third got a new one in the broken one's slot */
	ck_assert_ptr_eq(c[1].got, c[0].got);
	ck_assert_uint_eq(stats().resets, 1);
	teardown();
}
END_TEST

START_TEST(test_a_dead_idle_one_is_replaced)
{
	setup_with(CONF("") "pool_size = 1\n[users]\napp = a\n");
	struct client c = { 0 };
	start(&c);
	run(&c, 1);
	F.all_dead = true;
	struct client d = { 0 };
	start(&d);
	F.all_dead = false; /* the replacement is fine */
	run(&d, 1);
	ck_assert_int_eq(d.err, POOL_OK);
	ck_assert_int_eq(F.connects, 2);
	ck_assert_int_eq(F.disconnects, 1);
	teardown();
}
END_TEST

START_TEST(test_globals_prefer_fitting_then_open_then_reset)
{
	setup_with(CONF("") "pool_size = 2\n[users]\napp = a\n");
	struct client c = { 0 };
	start(&c);
	run(&c, 1);
	pool_globals_changed(P);
	/* A client that logged in after the SET GLOBAL: room in the pool, so a new connection,
	 * and the old one stays for the clients that logged in before. */
	struct client after = { .globals = pool_globals(P), .keep = true };
	start(&after);
	run(&after, 1);
	ck_assert_ptr_ne(after.got, c.got);
	ck_assert_int_eq(F.resets, 0);
	struct client before = { .keep = true };
	start(&before);
	run(&before, 1);
	ck_assert_ptr_eq(before.got, c.got);
	pool_release(P, before.got);
	pool_release(P, after.got);
	/* Both idle: the new one fits a new client; with the pool full, an old one is reset. */
	struct client n1 = { .globals = pool_globals(P), .keep = true };
	start(&n1);
	run(&n1, 1);
	ck_assert_ptr_eq(n1.got, after.got);
	struct client n2 = { .globals = pool_globals(P) };
	start(&n2);
	run(&n2, 1);
	ck_assert_ptr_eq(n2.got, c.got);
	ck_assert_int_eq(F.resets, 1);
	pool_release(P, n1.got);
	teardown();
}
END_TEST

struct seen {
	int n[POOL_STATES];
};

static void count_state(const struct pool_server *srv, void *arg)
{
	((struct seen *)arg)->n[srv->state]++;
}

START_TEST(test_states_are_listed)
{
	setup_with(CONF("") "pool_size = 2\n[users]\napp = a\n");
	F.connect_ms = 20;
	F.reset_ms = 20;
	struct client c[2] = { { .dirty = true }, { .hold_ms = 100 } };
	start(&c[0]);
	start(&c[1]);
	struct seen s = { 0 };
	pool_foreach(P, count_state, &s);
	ck_assert_int_eq(s.n[PS_CONNECTING], 2);
	while (F.connects < 2)
		event_base_loop(base, EVLOOP_ONCE);
	while (F.resets == 0) { /* c[0] gives its back, dirty: it is reset before it is idle */
		memset(&s, 0, sizeof(s));
		pool_foreach(P, count_state, &s);
		if (s.n[PS_RESETTING])
			break;
		event_base_loop(base, EVLOOP_ONCE);
	}
	ck_assert_int_eq(s.n[PS_RESETTING], 1);
	ck_assert_int_eq(s.n[PS_ACTIVE], 0); /* the clients' threads list those */
	run(c, 2);
	memset(&s, 0, sizeof(s));
	pool_foreach(P, count_state, &s);
	ck_assert_int_eq(s.n[PS_IDLE], 2);
	teardown();
}
END_TEST

static Suite *pool_suite(void)
{
	log_set_level(LL_ERROR);
	Suite *su = suite_create("pool");
	TCase *tc = tcase_create("rules");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_idle_backend_is_reused);
	tcase_add_test(tc, test_waiters_are_served_in_order);
	tcase_add_test(tc, test_never_more_than_pool_size);
	tcase_add_test(tc, test_pool_wait_timeout);
	tcase_add_test(tc, test_account_cap);
	tcase_add_test(tc, test_idle_of_another_account_makes_room);
	tcase_add_test(tc, test_released_one_goes_to_a_waiter_of_another_account);
	tcase_add_test(tc, test_failed_connect_backs_off_and_fails_waiters);
	tcase_add_test(tc, test_reload_drains_the_old_generation);
	tcase_add_test(tc, test_idle_timeout_lifetime_and_min_idle);
	tcase_add_test(tc, test_kill_cancels_a_wait);
	tcase_add_test(tc, test_shutdown_fails_waiters);
	tcase_add_test(tc, test_dirty_is_reset_broken_is_closed);
	tcase_add_test(tc, test_a_dead_idle_one_is_replaced);
	tcase_add_test(tc, test_globals_prefer_fitting_then_open_then_reset);
	tcase_add_test(tc, test_states_are_listed);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(pool_suite)
