/* metrics: the Prometheus text endpoint on metrics_listen (libevent's evhttp).
 *
 *     curl --unix-socket /run/mypool/metrics.sock http://localhost/metrics
 *
 * It runs on worker thread 0's loop; a scrape gathers the same counters as the admin console
 * from every thread (stats.c) and answers when the last one has replied. */
#include "autoconfig.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hold.h"
#include "log.h"
#include "metrics.h"
#include "stats.h"
#include "thread.h"

/* Limits of a metrics request (a scrape is a GET with a few headers). */
#define METRICS_MAX_HEADERS 8192
#define METRICS_MAX_BODY 1024

struct metrics {
	struct worker *w;
	struct worker_thread *t;
	struct evhttp *http;
};

struct scrape {
	struct stats st;
	struct evhttp_request *req;
	struct pool *pool;
};

static void counter(struct evbuffer *b, const char *name, const char *help, uint64_t v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name, help, name, name, v);
}

static void gauge(struct evbuffer *b, const char *name, const char *help, double v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %.15g\n", name, help, name, name, v);
}

/* One sample of a per-account series: NAME{account="A"[,state="S"]} V, the account name
 * escaped as the text format wants (backslash, double quote, newline). */
static void account_sample(struct evbuffer *b, const char *name, const char *account, const char *state,
			   unsigned v)
{
	evbuffer_add_printf(b, "%s{account=\"", name);
	for (const char *c = account; *c; c++) {
		if (*c == '\\' || *c == '"')
			evbuffer_add_printf(b, "\\%c", *c);
		else if (*c == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, c, 1);
	}
	if (state)
		evbuffer_add_printf(b, "\",state=\"%s", state);
	evbuffer_add_printf(b, "\"} %u\n", v);
}

/* Each server account's share of the server connections (see SHOW POOLS). */
static void per_account(struct evbuffer *b, struct pool *pool)
{
	size_t n = pool_get_account_stats(pool, NULL, 0);
	struct pool_account_stats *acc = calloc(n ? n : 1, sizeof(*acc));
	if (!acc)
		return;
	n = pool_get_account_stats(pool, acc, n);
	const char *conns = "mypool_account_server_connections", *waiting = "mypool_account_clients_waiting";
	evbuffer_add_printf(b, "# HELP %s Server connections of each server account now, by state.\n"
			       "# TYPE %s gauge\n", conns, conns);
	for (size_t i = 0; i < n; i++) {
		const struct pool_account_stats *a = &acc[i];
		account_sample(b, conns, a->name, "active", a->total - a->idle - a->connecting);
		account_sample(b, conns, a->name, "idle", a->idle);
		account_sample(b, conns, a->name, "connecting", a->connecting);
	}
	evbuffer_add_printf(b, "# HELP %s Clients waiting for a server connection of each server account now.\n"
			       "# TYPE %s gauge\n", waiting, waiting);
	for (size_t i = 0; i < n; i++)
		account_sample(b, waiting, acc[i].name, NULL, acc[i].waiting);
	free(acc);
}

static void reply(struct stats *st)
{
	struct scrape *sc = st->arg;
	struct evbuffer *b = evbuffer_new();
	const struct worker_stats *sum = &st->sum;
	const struct pool_stats *ps = &st->pool;
	if (!b) {
		evhttp_send_error(sc->req, 500, "out of memory");
		free(sc);
		return;
	}
	gauge(b, "mypool_clients_connected", "Client connections now.", st->clients);
	gauge(b, "mypool_clients_with_server", "Clients holding a server connection now.", st->with_backend);
	gauge(b, "mypool_clients_waiting", "Clients waiting for a server connection now.", ps->waiting);
	gauge(b, "mypool_pool_max_wait_seconds", "How long the longest waiting client has waited.",
	      (double)ps->max_wait_ms / 1000.0);
	gauge(b, "mypool_pool_size", "pool_size: the most server connections mypool opens.", ps->size);
	evbuffer_add_printf(b, "# HELP mypool_server_connections Server connections now, by state.\n"
			       "# TYPE mypool_server_connections gauge\n");
	evbuffer_add_printf(b, "mypool_server_connections{state=\"active\"} %u\n", ps->active);
	evbuffer_add_printf(b, "mypool_server_connections{state=\"idle\"} %u\n", ps->idle);
	evbuffer_add_printf(b, "mypool_server_connections{state=\"connecting\"} %u\n", ps->connecting);
	evbuffer_add_printf(b, "# HELP mypool_clients_pinned Clients pinned to their server connection now, by reason.\n"
			       "# TYPE mypool_clients_pinned gauge\n");
	for (int r = 0; r < PIN_COUNT; r++)
		evbuffer_add_printf(b, "mypool_clients_pinned{reason=\"%s\"} %u\n", pin_reason_name((enum pin_reason)r),
				    st->pinned[r]);
	evbuffer_add_printf(b, "# HELP mypool_pins_total Clients that got pinned, by reason.\n"
			       "# TYPE mypool_pins_total counter\n");
	for (int r = 0; r < PIN_COUNT; r++)
		evbuffer_add_printf(b, "mypool_pins_total{reason=\"%s\"} %" PRIu64 "\n",
				    pin_reason_name((enum pin_reason)r), sum->pins[r]);
	counter(b, "mypool_clients_accepted_total", "Client connections accepted.", sum->clients_accepted);
	counter(b, "mypool_commands_total", "Client commands.", sum->queries);
	counter(b, "mypool_transactions_released_total", "Server connections given back at a transaction boundary.",
		sum->releases);
	counter(b, "mypool_client_received_bytes_total", "Bytes received from clients.", sum->bytes_in);
	counter(b, "mypool_client_sent_bytes_total", "Bytes sent to clients.", sum->bytes_out);
	counter(b, "mypool_errors_total", "Errors mypool itself returned to clients.", sum->errors);
	counter(b, "mypool_server_connects_total", "Server connections opened.", ps->connects);
	counter(b, "mypool_server_connect_failures_total", "Server connections that failed to open.",
		ps->connect_failures);
	counter(b, "mypool_server_resets_total", "COM_RESET_CONNECTION sent before reuse.", ps->resets);
	counter(b, "mypool_server_closes_total", "Server connections closed.", ps->closes);
	counter(b, "mypool_pool_waits_total", "Checkouts that had to wait for a server connection.", ps->waits);
	gauge(b, "mypool_pool_wait_seconds_total", "Time spent waiting for server connections, in all.",
	      (double)ps->wait_ms_total / 1000.0);
	counter(b, "mypool_pool_wait_timeouts_total", "Clients that got the pool_wait_timeout error.", ps->timeouts);
	per_account(b, sc->pool);
	evhttp_add_header(evhttp_request_get_output_headers(sc->req), "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(sc->req, 200, "OK", b);
	evbuffer_free(b);
	stats_free(st);
	free(sc);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || !path || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, 404, "mypool serves /metrics");
		return;
	}
	struct scrape *sc = calloc(1, sizeof(*sc));
	if (!sc) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	sc->req = req;
	sc->pool = m->w->pool;
	sc->st.done = reply;
	sc->st.arg = sc;
	stats_collect(m->w, m->t, &sc->st);
}

struct metrics *metrics_start(struct worker *w, struct worker_thread *t, int fd, const char *where)
{
	struct metrics *m = calloc(1, sizeof(*m));
	if (!m || !(m->http = evhttp_new(t->base)) || !evhttp_accept_socket_with_handle(m->http, fd)) {
		log_error("metrics_listen: cannot start the HTTP server; metrics are off");
		if (m && m->http)
			evhttp_free(m->http);
		free(m);
		return NULL;
	}
	m->w = w;
	m->t = t;
	/* Whoever can reach the socket may send anything: bounded headers and body, and as long
	 * to send a request as a client has to log in (client_login_timeout; restart to change). */
	const struct config *cfg = worker_config(w);
	evhttp_set_max_headers_size(m->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, METRICS_MAX_BODY);
	evhttp_set_timeout(m->http, (int)((cfg->client_login_timeout_ms + 999) / 1000));
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET);
	evhttp_set_gencb(m->http, on_request, m);
	log_info("metrics on %s", where);
	return m;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	evhttp_free(m->http);
	free(m);
}
