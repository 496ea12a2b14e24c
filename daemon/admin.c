/* admin: the admin console, a virtual database `mypool` on the client socket.
 *
 *     mariadb -S /run/mypool/mypool.sock -u admin -p mypool -e 'SHOW POOLS'
 *
 * Users listed in admin_users who connect to the database `mypool` get this console instead of
 * a server session; anyone else gets ERR 1044 for it. Answers are real result sets. What lives
 * on the worker threads (their sessions, their counters) is collected by sending a function to
 * each thread's mailbox (thread_call) and waiting until the last one has answered: no thread
 * reads another's data. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "admin.h"
#include "backend.h"
#include "config.h"
#include "errors.h"
#include "coro.h"
#include "io.h"
#include "log.h"
#include "pool.h"
#include "proto.h"
#include "session.h"
#include "sqlscan.h"
#include "stats.h"
#include "thread.h"


bool admin_is_console(const char *db)
{
	return db && strcmp(db, ADMIN_DATABASE) == 0;
}

bool admin_allowed(const struct config *cfg, const char *user)
{
	size_t n = strlen(user);
	for (const char *p = cfg->admin_users; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && memcmp(p, user, n) == 0)
			return true;
		p = end ? end + 1 : p + len;
	}
	return false;
}

/* ---- result sets ---- */

/* Write the table as a text result set. */
static void send_table(struct session *s, const char *const *names, const struct stats_table *tb)
{
	session_reply_table(s, names, tb->ncols, tb->cells, tb->n);
}

static void pins_text(unsigned pins, char *out, size_t len)
{
	out[0] = 0;
	for (int r = 0; r < PIN_COUNT; r++) {
		if (!(pins & (1u << r)))
			continue;
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%s", used ? ", " : "", pin_reason_name((enum pin_reason)r));
	}
}

static void client_row(const struct session_view *v, void *arg)
{
	struct stats_table *tb = arg;
	char pins[256];
	pins_text(v->pins, pins, sizeof(pins));
	stats_cell(tb, "%" PRIu32, v->id);
	stats_cell(tb, "%s", v->user);
	stats_cell(tb, "%s", v->addr);
	stats_cell(tb, v->db ? "%s" : NULL, v->db);
	stats_cell(tb, "%s", v->state);
	if (v->server_id) {
		stats_cell(tb, "%" PRIu32, v->server_id);
		stats_cell(tb, v->held_for == HOLD_NONE ? NULL : "%s", hold_reason_name(v->held_for));
	} else {
		stats_cell(tb, NULL);
		stats_cell(tb, NULL);
	}
	stats_cell(tb, "%s", v->in_transaction ? "yes" : "no");
	stats_cell(tb, "%s", pins);
	stats_cell(tb, "%u", v->thread);
	stats_cell(tb, "%" PRIu64, v->age_ms / 1000);
}

static void clients_on_thread(struct worker_thread *t, struct stats *c)
{
	session_each(t, client_row, &c->tb);
}

/* A row of SHOW SERVERS for the server connection a client holds. */
static void server_row(const struct session_view *v, void *arg)
{
	struct stats_table *tb = arg;
	if (!v->server_id || !v->server_active)
		return; /* none, or being reset: then the pool lists it */
	stats_cell(tb, "%" PRIu32, v->server_id);
	stats_cell(tb, "%s", "active");
	stats_cell(tb, "%" PRIu32, v->id);
	stats_cell(tb, v->server_db ? "%s" : NULL, v->server_db);
	stats_cell(tb, "%s", v->server_account);
	stats_cell(tb, "%s", v->server_found_rows ? "yes" : "no");
	stats_cell(tb, "%" PRIu64, v->server_age_ms / 1000);
}

static void servers_on_thread(struct worker_thread *t, struct stats *c)
{
	session_each(t, server_row, &c->tb);
}

/* ---- commands ---- */

static const char *backend_address(const struct config *cfg, char *buf, size_t len)
{
	if (cfg->backend_socket)
		snprintf(buf, len, "%s", cfg->backend_socket);
	else
		snprintf(buf, len, "%s:%u", cfg->backend_host, cfg->backend_port);
	return buf;
}

/* SHOW POOLS: a row per server account. What the pool has for each comes from the pool;
 * clients and their pins are counted per account on every thread. */
struct pools_rows {
	struct stats st;             /* first: the collection hands this back */
	const struct config *cfg;    /* to find each client's account */
	struct pool_account_stats *acc;
	struct pool_row_clients {
		unsigned clients;
		unsigned pinned[PIN_COUNT];
	} *per;
	size_t n, cap;
};

static size_t pools_row_of(struct pools_rows *r, const char *account)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->acc[i].name, account) == 0)
			return i;
	if (r->n == r->cap)
		return r->cap; /* cannot happen: cap counts every account a user can have */
	memset(&r->acc[r->n], 0, sizeof(r->acc[r->n]));
	snprintf(r->acc[r->n].name, sizeof(r->acc[r->n].name), "%s", account);
	return r->n++;
}

static void pools_client(const struct session_view *v, void *arg)
{
	struct pools_rows *r = arg;
	const struct config_user *u = v->console ? NULL : config_find_user(r->cfg, v->user, strlen(v->user));
	const char *account, *password;
	if (!u)
		return; /* the console, a login in progress, or a user a reload removed */
	config_user_account(r->cfg, u, &account, &password);
	size_t i = pools_row_of(r, account);
	if (i == r->cap)
		return;
	r->per[i].clients++;
	for (int p = 0; p < PIN_COUNT; p++)
		if (v->pins & (1u << p))
			r->per[i].pinned[p]++;
}

static void pools_on_thread(struct worker_thread *t, struct stats *st)
{
	session_each(t, pools_client, st);
}

static void show_pools(struct session *s)
{
	static const char *const names[] = {
		"backend", "account", "pool_mode", "pool_size", "server_total", "server_active", "server_idle",
		"server_connecting", "clients", "clients_waiting", "max_wait_ms", "pinned_user_variable",
		"pinned_temporary_table", "pinned_named_lock", "pinned_connection_id", "pinned_sql_prepare",
		"pinned_table_lock", "pinned_untracked_state", "connection_id",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) == 12 + PIN_COUNT, "a column per pin reason");
	struct worker_thread *t = session_thread(s);
	struct pool *pool = t->w->pool;
	struct pools_rows r = { .st = { .each = pools_on_thread }, .cfg = worker_config(t->w) };
	r.cap = pool_get_account_stats(pool, NULL, 0) + r.cfg->n_users + 1;
	r.acc = calloc(r.cap, sizeof(*r.acc));
	r.per = calloc(r.cap, sizeof(*r.per));
	if (!r.acc || !r.per) {
		free(r.acc);
		free(r.per);
		session_reply_err(s, ERR(OUT_OF_MEMORY), "mypool: out of memory");
		return;
	}
	r.n = pool_get_account_stats(pool, r.acc, r.cap);
	if (r.n > r.cap)
		r.n = r.cap;
	pools_row_of(&r, r.cfg->backend_user); /* always a row, even before its first connection */
	stats_collect_wait(t->w, t, &r.st);

	struct stats_table tb = { .ncols = sizeof(names) / sizeof(names[0]) };
	char addr[300];
	backend_address(session_config(s), addr, sizeof(addr));
	/* The [backend] account first, then the others by name; accounts nobody uses now are left
	 * out. */
	bool *done = calloc(r.n + 1, sizeof(*done));
	for (size_t k = 0; k < r.n && done; k++) {
		size_t i = r.n;
		for (size_t j = 0; j < r.n; j++) {
			if (done[j])
				continue;
			if (strcmp(r.acc[j].name, r.cfg->backend_user) == 0) {
				i = j;
				break;
			}
			if (i == r.n || strcmp(r.acc[j].name, r.acc[i].name) < 0)
				i = j;
		}
		done[i] = true;
		const struct pool_account_stats *a = &r.acc[i];
		if (!a->total && !a->waiting && !r.per[i].clients && strcmp(a->name, r.cfg->backend_user) != 0)
			continue;
		stats_cell(&tb, "%s", addr);
		stats_cell(&tb, "%s", a->name);
		stats_cell(&tb, "%s", session_config(s)->pool_mode == POOL_TRANSACTION ? "transaction" : "session");
		stats_cell(&tb, "%u", r.st.pool.size);
		stats_cell(&tb, "%u", a->total);
		stats_cell(&tb, "%u", a->total - a->idle - a->connecting);
		stats_cell(&tb, "%u", a->idle);
		stats_cell(&tb, "%u", a->connecting);
		stats_cell(&tb, "%u", r.per[i].clients);
		stats_cell(&tb, "%u", a->waiting);
		stats_cell(&tb, "%" PRIu64, a->max_wait_ms);
		for (int p = 0; p < PIN_COUNT; p++)
			stats_cell(&tb, "%u", r.per[i].pinned[p]);
		static const char *const ids[] = { "unknown", "session", "pins" };
		stats_cell(&tb, "%s", ids[a->ids]);
	}
	send_table(s, names, &tb);
	stats_table_free(&tb);
	stats_free(&r.st);
	free(done);
	free(r.acc);
	free(r.per);
}

static void show_stats(struct session *s)
{
	struct stats c = { 0 };
	stats_collect_wait(session_thread(s)->w, session_thread(s), &c);
	struct pool_stats ps = c.pool;
	static const char *const names[] = { "name", "value" };
	struct stats_table tb = { .ncols = 2 };
#define STAT(n, fmt, v)                \
	do {                           \
		stats_cell(&tb, "%s", n);    \
		stats_cell(&tb, fmt, v);     \
	} while (0)
	STAT("clients_accepted", "%" PRIu64, c.sum.clients_accepted);
	STAT("clients_connected", "%u", c.clients);
	STAT("commands", "%" PRIu64, c.sum.queries);
	STAT("transactions_released", "%" PRIu64, c.sum.releases);
	STAT("bytes_from_clients", "%" PRIu64, c.sum.bytes_in);
	STAT("bytes_to_clients", "%" PRIu64, c.sum.bytes_out);
	STAT("errors", "%" PRIu64, c.sum.errors);
	STAT("server_connects", "%" PRIu64, ps.connects);
	STAT("server_connect_failures", "%" PRIu64, ps.connect_failures);
	STAT("server_resets", "%" PRIu64, ps.resets);
	STAT("server_closes", "%" PRIu64, ps.closes);
	STAT("pool_waits", "%" PRIu64, ps.waits);
	STAT("pool_wait_ms_total", "%" PRIu64, ps.wait_ms_total);
	STAT("pool_wait_timeouts", "%" PRIu64, ps.timeouts);
	for (int r = 0; r < PIN_COUNT; r++) {
		char name[64];
		snprintf(name, sizeof(name), "pins_%s", pin_reason_name((enum pin_reason)r));
		for (char *p = name; *p; p++)
			if (*p == ' ')
				*p = '_';
		STAT(name, "%" PRIu64, c.sum.pins[r]);
	}
#undef STAT
	send_table(s, names, &tb);
	stats_table_free(&tb);
}

static void show_clients(struct session *s)
{
	static const char *const names[] = { "id", "user", "addr", "db", "state", "server_id", "held_for",
					     "in_transaction", "pinned_by", "thread", "age_s" };
	struct stats c = { .each = clients_on_thread, .tb = { .ncols = 11 } };
	stats_collect_wait(session_thread(s)->w, session_thread(s), &c);
	send_table(s, names, &c.tb);
	stats_table_free(&c.tb);
}

static void pool_server_row(const struct pool_server *srv, void *arg)
{
	struct stats_table *tb = arg;
	if (srv->server_id)
		stats_cell(tb, "%" PRIu32, srv->server_id);
	else
		stats_cell(tb, NULL);
	stats_cell(tb, "%s", pool_state_name(srv->state));
	stats_cell(tb, NULL);
	stats_cell(tb, srv->schema ? "%s" : NULL, srv->schema);
	stats_cell(tb, "%s", srv->account);
	stats_cell(tb, "%s", srv->found_rows ? "yes" : "no");
	if (srv->created_ms)
		stats_cell(tb, "%" PRIu64, (mono_ms() - srv->created_ms) / 1000);
	else
		stats_cell(tb, NULL);
}

static void show_servers(struct session *s)
{
	static const char *const names[] = { "server_id", "state", "client_id", "db", "account", "found_rows",
					     "age_s" };
	struct stats c = { .each = servers_on_thread, .tb = { .ncols = 7 } };
	stats_collect_wait(session_thread(s)->w, session_thread(s), &c);
	pool_foreach(session_thread(s)->w->pool, pool_server_row, &c.tb);
	send_table(s, names, &c.tb);
	stats_table_free(&c.tb);
}

static void config_row(struct stats_table *tb, const char *section, const char *key, const char *value,
		       const char *def, bool reloadable)
{
	stats_cell(tb, "%s", section);
	stats_cell(tb, "%s", key);
	stats_cell(tb, value ? "%s" : NULL, value);
	stats_cell(tb, def ? "%s" : NULL, def);
	stats_cell(tb, "%s", reloadable ? "yes" : "no");
}

static void show_config(struct session *s)
{
	const struct config *cfg = session_config(s);
	static const char *const names[] = { "section", "key", "value", "default", "reloadable" };
	struct stats_table tb = { .ncols = 5 };
	const struct config_key_info *keys;
	size_t n = config_keys(&keys);
	for (size_t i = 0; i < n; i++) {
		char value[512];
		if (strcmp(keys[i].section, "user.NAME") == 0)
			continue; /* per user, below */
		bool set = config_value(cfg, keys[i].section, keys[i].name, value, sizeof(value)) == 0;
		config_row(&tb, keys[i].section, keys[i].name, set ? value : NULL, keys[i].default_value,
			   keys[i].reloadable);
	}
	for (size_t i = 0; i < cfg->n_users; i++) {
		const struct config_user *u = &cfg->users[i];
		char section[96];
		if (!u->backend_user)
			continue;
		snprintf(section, sizeof(section), "user.%s", u->name);
		config_row(&tb, section, "backend_user", u->backend_user, NULL, true);
		config_row(&tb, section, "backend_password", u->backend_password[0] ? "(hidden)" : "", "", true);
		char max[16];
		snprintf(max, sizeof(max), "%u", u->backend_max_connections);
		config_row(&tb, section, "max_server_connections", max, "0", true);
	}
	send_table(s, names, &tb);
	stats_table_free(&tb);
}

static void show_one(struct session *s, const char *name, const char *value)
{
	const char *const names[] = { name };
	struct stats_table tb = { .ncols = 1 };
	stats_cell(&tb, "%s", value);
	send_table(s, names, &tb);
	stats_table_free(&tb);
}

static void resume_on_thread(struct worker_thread *t, void *arg)
{
	(void)arg;
	session_resume_paused(t);
}

static void run_query(struct session *s, const char *sql, size_t len)
{
	char w[4][32] = { { 0 } };
	int n = sqlscan_words(sql, len, w, 4);
	for (int i = 0; i < n; i++)
		for (char *c = w[i]; *c; c++)
			*c = (char)toupper((unsigned char)*c);
	struct worker *wk = session_thread(s)->w;
	if (n >= 1 && strcmp(w[0], "SELECT") == 0 && len < 200 && strcasestr(sql, "@@version_comment")) {
		/* The mariadb CLI asks this when it starts. */
		show_one(s, "@@version_comment", "mypool admin console");
	} else if (n == 2 && strcmp(w[0], "SHOW") == 0 && strcmp(w[1], "POOLS") == 0) {
		show_pools(s);
	} else if (n == 2 && strcmp(w[0], "SHOW") == 0 && strcmp(w[1], "STATS") == 0) {
		show_stats(s);
	} else if (n == 2 && strcmp(w[0], "SHOW") == 0 && strcmp(w[1], "CLIENTS") == 0) {
		show_clients(s);
	} else if (n == 2 && strcmp(w[0], "SHOW") == 0 && strcmp(w[1], "SERVERS") == 0) {
		show_servers(s);
	} else if (n == 2 && strcmp(w[0], "SHOW") == 0 && strcmp(w[1], "CONFIG") == 0) {
		show_config(s);
	} else if (n == 2 && strcmp(w[0], "SHOW") == 0 && strcmp(w[1], "VERSION") == 0) {
		show_one(s, "version", "mypoold " PACKAGE_VERSION);
	} else if (n == 1 && strcmp(w[0], "RELOAD") == 0) {
		/* The supervisor checks the file and passes the reload on to this worker. */
		log_info("admin %s: RELOAD", session_user(s));
		kill(getppid(), SIGHUP);
		session_reply_ok(s);
	} else if (n == 1 && strcmp(w[0], "PAUSE") == 0) {
		log_info("admin %s: PAUSE", session_user(s));
		__atomic_store_n(&wk->paused, true, __ATOMIC_RELAXED);
		session_reply_ok(s);
	} else if (n == 1 && strcmp(w[0], "RESUME") == 0) {
		log_info("admin %s: RESUME", session_user(s));
		__atomic_store_n(&wk->paused, false, __ATOMIC_RELAXED);
		for (unsigned i = 0; i < wk->n_threads; i++)
			thread_call(&wk->threads[i], resume_on_thread, NULL);
		session_reply_ok(s);
	} else if ((n == 1 || n == 2) && strcmp(w[0], "SHUTDOWN") == 0 && (n == 1 || strcmp(w[1], "WAIT") == 0)) {
		/* SHUTDOWN: fast (running transactions roll back); SHUTDOWN WAIT: graceful. */
		log_info("admin %s: SHUTDOWN%s", session_user(s), n == 2 ? " WAIT" : "");
		session_reply_ok(s);
		session_flush(s);
		kill(getppid(), n == 2 ? SIGTERM : SIGINT);
	} else {
		session_reply_err(s, ERR(PARSE),
				"mypool: unknown admin command; try SHOW POOLS|CLIENTS|SERVERS|STATS|CONFIG|VERSION, "
				"RELOAD, PAUSE, RESUME, SHUTDOWN [WAIT]");
	}
}

static int admin_command(struct session *s, uint8_t cmd, const uint8_t *arg, size_t len)
{
	switch (cmd) {
	case COM_QUERY: {
		char *sql = strndup((const char *)arg, len);
		if (!sql)
			return -1;
		run_query(s, sql, strlen(sql));
		free(sql);
		return 0;
	}
	case COM_INIT_DB:
		if (len == strlen(ADMIN_DATABASE) && memcmp(arg, ADMIN_DATABASE, len) == 0)
			session_reply_ok(s);
		else
			session_reply_err(s, ERR(DBACCESS_DENIED), "mypool: the admin console has only the database 'mypool'");
		return 0;
	case COM_PING:
		session_reply_ok(s);
		return 0;
	default:
		session_reply_err(s, ERR(UNKNOWN_COM), "mypool: command %s is not supported on the admin console",
				  proto_cmd_name(cmd));
		return 0;
	}
}

const struct session_console admin_console = {
	.is_console = admin_is_console,
	.allowed = admin_allowed,
	.command = admin_command,
};
