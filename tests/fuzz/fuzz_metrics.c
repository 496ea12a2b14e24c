/* fuzz_metrics: the metrics endpoint (metrics.c on libevent's evhttp) fed one HTTP request.
 *
 * The input is what a client sends on a connection to metrics_listen, after which it shuts its
 * side down (a client that has nothing more to say) and reads until the server closes. The
 * endpoint runs as in the worker: metrics_start() on a listening Unix socket (in the abstract
 * namespace: no file to clean up), on the loop of worker thread 0 set up by
 * thread_init(), with a real pool (pool_create, no backends), so a GET /metrics is
 * answered after stats_collect() went through the thread's mailbox. Checks beyond the
 * sanitizers: the connection always ends, within 5 s (evhttp's own timeout is 1 s here). */
#include "autoconfig.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "io.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "thread.h"

static const char cfg_text[] = "[mypoold]\n"
			       "listen = /nonexistent/mypool.sock\n"
			       "client_login_timeout = 1s\n"
			       "[backend]\n"
			       "socket = /nonexistent/mysqld.sock\n"
			       "user = mypool\n"
			       "password = mypool-secret\n"
			       "[users]\n"
			       "app = app-secret\n";

static struct worker worker;
static struct worker_thread thread;
static struct sockaddr_un addr;
static socklen_t addr_len;

static void no_wake(struct pool_waiter *w)
{
	(void)w;
	abort(); /* nobody waits for a backend here */
}

static void init(void)
{
	struct config *cfg = NULL;
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LL_ERROR);
	if (config_load_string(cfg_text, "fuzz_metrics.ini", stderr, &cfg) != 0 || !cfg)
		abort();
	worker.cfg = cfg;
	worker.pool = pool_create(cfg, no_wake, NULL); /* no backends: no ops */
	worker.threads = &thread;
	worker.n_threads = 1;
	if (!worker.pool || thread_init(&worker, &thread, 0) != 0)
		abort();
	io_set_base(thread.base);

	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); /* as listen.c makes it */
	addr.sun_family = AF_UNIX;
	int n = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "mypool-fuzz-metrics-%d", (int)getpid());
	addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, addr_len) != 0 || listen(lfd, 64) != 0)
		abort();
	if (!metrics_start(&worker, &thread, lfd, "fuzz"))
		abort();
}

struct client {
	const uint8_t *p;
	size_t left;
	bool closed, timed_out;
	struct event *ev, *timer;
};

static void on_client(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	if (what & EV_WRITE) {
		while (c->left > 0) {
			ssize_t n = write(fd, c->p, c->left);
			if (n <= 0)
				break;
			c->p += n;
			c->left -= (size_t)n;
		}
		if (c->left == 0) {
			shutdown(fd, SHUT_WR);
			event_del(c->ev);
			event_assign(c->ev, thread.base, fd, EV_READ | EV_PERSIST, on_client, c);
			event_add(c->ev, NULL);
		}
	}
	if (what & EV_READ) {
		uint8_t tmp[16384];
		ssize_t n;
		while ((n = read(fd, tmp, sizeof(tmp))) > 0)
			;
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			c->closed = true;
			event_del(c->ev);
		}
	}
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct client *c = arg;
	c->timed_out = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!worker.cfg)
		init();
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, addr_len) != 0)
		abort();
	struct client c = { .p = data, .left = size };
	c.ev = event_new(thread.base, fd, EV_READ | EV_WRITE | EV_PERSIST, on_client, &c);
	c.timer = evtimer_new(thread.base, on_timeout, &c);
	if (!c.ev || !c.timer)
		abort();
	struct timeval limit = { 5, 0 };
	event_add(c.ev, NULL);
	evtimer_add(c.timer, &limit);
	while (!c.closed && !c.timed_out)
		event_base_loop(thread.base, EVLOOP_ONCE);
	if (c.timed_out) {
		fprintf(stderr, "fuzz_metrics: the connection did not end within %ld s\n", (long)limit.tv_sec);
		abort();
	}
	/* Whatever is still on its way (a scrape whose client left) finishes now. */
	for (int i = 0; i < 4; i++)
		event_base_loop(thread.base, EVLOOP_NONBLOCK);
	event_free(c.ev);
	event_free(c.timer);
	close(fd);
	return 0;
}
