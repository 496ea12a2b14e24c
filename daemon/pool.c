/* pool: backend connections shared by the threads of a worker process (see pool.h). */
#include "autoconfig.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "config.h"
#include "coro.h"
#include "io.h"
#include "log.h"
#include "pool.h"

/* Lock order: a pool lock is a leaf; nothing else is taken while it is held, except the
 * worker mailbox lock inside pool_wake_fn. */

#define SCHEMA_CACHE 32
#define SCHEMA_TTL_MS 60000

struct schema_seen {
	const struct pool_account *acct; /* databases are seen per account: privileges differ */
	char name[65];
	uint64_t at_ms;
};

/* A server account the pool logs in as. A failed login puts only its own account in backoff: a
 * refused password must not fail the clients of other accounts (when the server itself is
 * down, each account finds out at its next try). Never freed before the pool. */
struct pool_account {
	struct pool_account *next;
	char name[81];
	uint64_t down_until_ms;  /* fail fast until then */
	unsigned backoff_ms;
	char down_reason[256];
	unsigned n_total, n_connecting; /* its share of the pool's */
	unsigned max;            /* its cap (max_server_connections); 0 = pool_size only */
	enum pool_ids ids;       /* what its connections do for CONNECTION_ID() */
};

/* Locked: may account a open one more backend? */
static bool can_open(const struct pool_account *a)
{
	return !a->max || a->n_total < a->max;
}

/* What makes backends interchangeable. */
struct kind {
	struct pool_account *acct;
	bool found_rows;
	unsigned globals; /* not part of the kind: which backend of it to prefer (take_idle) */
};

enum waiter_state {
	W_QUEUED,     /* in the queue */
	W_BACKEND,    /* granted: w->granted is ours */
	W_SLOT,       /* granted a free slot: the waiter connects itself */
	W_FAILED,     /* the backend is down, or shutdown */
	W_GONE,       /* left the queue on timeout */
};

struct pool {
	pthread_mutex_t lock;
	const struct config *cfg;   /* replaced on reload: read with pool_cfg() */
	unsigned gen;               /* bumped when the server address or account changes */
	unsigned globals;           /* SET GLOBAL statements seen (atomic; pool_globals()) */
	unsigned server_charset;    /* from the server's handshake (atomic) */
	pool_wake_fn wake;
	struct backend *idle;       /* LIFO */
	unsigned n_idle, n_total, n_connecting;
	struct pool_waiter *wait_head, *wait_tail;
	unsigned n_waiting;
	bool shutting_down;
	struct pool_account *accounts;
	uint64_t connects, connect_failures, resets, closes, timeouts;
	uint64_t waits, wait_ms_total;
	struct schema_seen schemas[SCHEMA_CACHE];
};

/* A backend idle for less than this is taken without checking that the server still has it. */
#define IDLE_CHECK_MS 1000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct pool *pool_create(const struct config *cfg, pool_wake_fn wake)
{
	struct pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->cfg = cfg;
	p->wake = wake;
	return p;
}

static const struct config *pool_cfg(struct pool *p)
{
	return __atomic_load_n(&p->cfg, __ATOMIC_ACQUIRE);
}

/* Locked: the account named `name`, added if new; NULL if out of memory. */
static struct pool_account *account_get(struct pool *p, const char *name)
{
	struct pool_account *a;
	for (a = p->accounts; a; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a;
	a = calloc(1, sizeof(*a));
	if (a) {
		snprintf(a->name, sizeof(a->name), "%s", name);
		a->next = p->accounts;
		p->accounts = a;
	}
	return a;
}

/* Locked: the kind of backend a client of `user` (a [users] entry) needs, under the current
 * config. On failure (the user was removed by a reload) writes why into err. */
static bool kind_of(struct pool *p, const char *user, bool found_rows, struct kind *k, char *err, size_t errlen)
{
	const struct config *cfg = pool_cfg(p);
	const struct config_user *u = config_find_user(cfg, user, strlen(user));
	const char *name, *password;
	if (!u) {
		snprintf(err, errlen, "user '%s' is no longer in the configuration", user);
		return false;
	}
	config_user_account(cfg, u, &name, &password);
	k->acct = account_get(p, name);
	k->found_rows = found_rows;
	if (!k->acct) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	k->acct->max = u->backend_max_connections;
	return true;
}

static bool kind_is(const struct backend *b, const struct kind *k)
{
	return b->acct == k->acct && b->found_rows == k->found_rows;
}

void pool_set_config(struct pool *p, const struct config *cfg)
{
	pthread_mutex_lock(&p->lock);
	const struct config *old = p->cfg;
	if (config_accounts_changed(old, cfg)) {
		/* A new generation: connections to the old server or with a changed account are
		 * closed as they come back (idle ones by the next upkeep). */
		p->gen++;
		for (struct pool_account *a = p->accounts; a; a = a->next)
			a->down_until_ms = 0;
		log_info("backend changed: new connections go to the new one, old ones drain");
	}
	__atomic_store_n(&p->cfg, cfg, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&p->lock);
}

/* Locked: tell waiter w (taken off the queue, its state set) on its own thread. Until that
 * message has arrived (pool_waiter_woken) the waiter does not leave pool_checkout: the message
 * refers to its stack frame, whatever else ends its wait first (KILL, a timeout). */
static void notify(struct pool *p, struct pool_waiter *w)
{
	__atomic_store_n(&w->wake_pending, true, __ATOMIC_RELEASE);
	p->wake(w);
}

static void queue_remove(struct pool *p, struct pool_waiter *w)
{
	struct pool_waiter **pp = &p->wait_head, *prev = NULL;
	while (*pp && *pp != w) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = w->next;
	if (p->wait_tail == w)
		p->wait_tail = prev;
	w->next = NULL;
	p->n_waiting--;
}

/* Locked: fail the waiters of account a (it is down), or all of them (a NULL: shutdown). */
static void fail_waiters(struct pool *p, const struct pool_account *a)
{
	struct pool_waiter *w = p->wait_head;
	while (w) {
		struct pool_waiter *next = w->next;
		if (!a || w->acct == a) {
			queue_remove(p, w);
			w->state = W_FAILED;
			notify(p, w);
		}
		w = next;
	}
}

/* Locked: a slot is taken for a backend of account a that is about to be opened. */
static void slot_take(struct pool *p, struct pool_account *a)
{
	p->n_total++;
	p->n_connecting++;
	a->n_total++;
	a->n_connecting++;
}

/* Locked: the slot of an open backend of account a is free again. */
static void slot_drop(struct pool *p, struct pool_account *a)
{
	p->n_total--;
	a->n_total--;
}

/* Locked: a slot became free (a backend was closed): hand it to the first waiter whose account
 * may open one. */
static void slot_freed(struct pool *p)
{
	if (p->n_total >= pool_cfg(p)->pool_size)
		return; /* a reload lowered pool_size: no slot is free until below it */
	for (struct pool_waiter *w = p->wait_head; w; w = w->next) {
		if (!can_open(w->acct))
			continue; /* it waits for a backend of its own account */
		queue_remove(p, w);
		w->state = W_SLOT;
		slot_take(p, w->acct);
		notify(p, w);
		return;
	}
}

static void close_backend(struct pool *p, struct backend *b)
{
	struct pool_account *a = b->acct;
	backend_close(b);
	pthread_mutex_lock(&p->lock);
	slot_drop(p, a);
	p->closes++;
	slot_freed(p);
	pthread_mutex_unlock(&p->lock);
}

/* Open a backend of kind k in a slot already counted in n_total/n_connecting. */
static struct backend *connect_in_slot(struct pool *p, const struct kind *k, enum pool_error *perr, char *err,
				       size_t errlen)
{
	const struct config *cfg = pool_cfg(p);
	struct pool_account *a = k->acct;
	pthread_mutex_lock(&p->lock);
	unsigned gen = p->gen;
	pthread_mutex_unlock(&p->lock);
	unsigned globals = pool_globals(p); /* before the server session begins */
	/* The account's password under the config that is in effect now. */
	const char *password = config_account_password(cfg, a->name);
	struct backend *b = NULL;
	if (password)
		b = backend_connect(cfg, a->name, password, k->found_rows, err, errlen);
	else
		snprintf(err, errlen, "no user runs as account '%s' any more", a->name);
	pthread_mutex_lock(&p->lock);
	if (b) {
		b->gen = gen;
		b->globals = globals;
		b->acct = a;
		__atomic_store_n(&p->server_charset, b->server_charset, __ATOMIC_RELAXED);
	}
	p->n_connecting--;
	a->n_connecting--;
	unsigned backoff = 0;
	if (b) {
		p->connects++;
		a->down_until_ms = 0;
		a->backoff_ms = 0;
	} else {
		slot_drop(p, a);
		p->connect_failures++;
		a->backoff_ms = a->backoff_ms ? a->backoff_ms * 2 : BACKOFF_MIN_MS;
		if (a->backoff_ms > BACKOFF_MAX_MS)
			a->backoff_ms = BACKOFF_MAX_MS;
		backoff = a->backoff_ms;
		a->down_until_ms = mono_ms() + a->backoff_ms;
		snprintf(a->down_reason, sizeof(a->down_reason), "%s", err);
		fail_waiters(p, a);
		slot_freed(p); /* to a waiter of another account, if any */
		*perr = POOL_UNAVAILABLE;
	}
	pthread_mutex_unlock(&p->lock);
	if (!b)
		log_warn("backend connect as '%s' failed: %s (retry in %u ms)", a->name, err, backoff);
	return b;
}

/* Locked: b is idle, the warmest. */
static void idle_push(struct pool *p, struct backend *b)
{
	b->next = p->idle;
	p->idle = b;
	p->n_idle++;
}

/* Locked: take the warmest idle backend of kind k (or of any kind), if any. Preferred: one whose
 * server session began under the global values of the client's login (k->globals: an older one
 * is reset first, and a newer one shows the client global values it did not log in with), and
 * one that the calling thread's loop already watches (moving a socket to another loop costs
 * system calls on both). */
static struct backend *take_idle(struct pool *p, const struct kind *k, bool any)
{
	struct backend **found = NULL;
	int best = -1;
	const struct event_base *mine = io_get_base();
	for (struct backend **pp = &p->idle; *pp && best < 3; pp = &(*pp)->next) {
		if (any || kind_is(*pp, k)) {
			int score = 2 * ((*pp)->globals == k->globals) + ((*pp)->io.base == mine);
			if (score > best) {
				found = pp;
				best = score;
			}
		}
	}
	if (!found)
		return NULL;
	struct backend *b = *found;
	*found = b->next;
	b->next = NULL;
	p->n_idle--;
	return b;
}

unsigned pool_globals(struct pool *p)
{
	return __atomic_load_n(&p->globals, __ATOMIC_ACQUIRE);
}

void pool_globals_changed(struct pool *p)
{
	__atomic_add_fetch(&p->globals, 1, __ATOMIC_RELEASE);
}

int pool_reset(struct pool *p, struct backend *b)
{
	unsigned globals = pool_globals(p);
	if (backend_reset(b) != 0)
		return -1;
	b->globals = globals;
	pthread_mutex_lock(&p->lock);
	p->resets++;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static struct backend *checkout(struct pool *p, const char *user, bool found_rows, unsigned globals, void *thread,
				enum pool_error *perr, char *err, size_t errlen)
{
	*perr = POOL_OK;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (p->shutting_down) {
			pthread_mutex_unlock(&p->lock);
			*perr = POOL_SHUTDOWN;
			snprintf(err, errlen, "shutting down");
			return NULL;
		}
		struct kind k;
		if (!kind_of(p, user, found_rows, &k, err, errlen)) {
			pthread_mutex_unlock(&p->lock);
			*perr = POOL_UNAVAILABLE;
			return NULL;
		}
		k.globals = globals;
		struct backend *b = take_idle(p, &k, false);
		if (b && (int)(globals - b->globals) > 0 && p->n_total < pool_cfg(p)->pool_size && can_open(k.acct)) {
			/* It began before a SET GLOBAL the client saw: a reset would make it unfit for
			 * the clients that logged in before, so a new one is opened and it stays theirs. */
			idle_push(p, b);
			b = NULL;
		}
		if (b) {
			pthread_mutex_unlock(&p->lock);
			if (backend_alive(b, IDLE_CHECK_MS))
				return b;
			log_info("backend %u was closed while idle; replacing it", b->server_id);
			close_backend(p, b);
			continue;
		}
		if (k.acct->down_until_ms && mono_ms() < k.acct->down_until_ms) {
			snprintf(err, errlen, "%s", k.acct->down_reason);
			pthread_mutex_unlock(&p->lock);
			*perr = POOL_UNAVAILABLE;
			return NULL;
		}
		if (p->n_total < pool_cfg(p)->pool_size && can_open(k.acct)) {
			slot_take(p, k.acct);
			pthread_mutex_unlock(&p->lock);
			return connect_in_slot(p, &k, perr, err, errlen);
		}
		/* Full: an idle backend of another kind makes room for ours (unless our account has
		 * all it may have: then only one of its own will do). */
		b = can_open(k.acct) ? take_idle(p, &k, true) : NULL;
		if (b) {
			slot_drop(p, b->acct);
			slot_take(p, k.acct);
			pthread_mutex_unlock(&p->lock);
			backend_close(b);
			pthread_mutex_lock(&p->lock);
			p->closes++;
			pthread_mutex_unlock(&p->lock);
			return connect_in_slot(p, &k, perr, err, errlen);
		}

		struct pool_waiter w = {
			.co = coro_current(), .thread = thread, .acct = k.acct, .found_rows = found_rows,
			.state = W_QUEUED, .since_ms = mono_ms(),
		};
		if (p->wait_tail)
			p->wait_tail->next = &w;
		else
			p->wait_head = &w;
		p->wait_tail = &w;
		p->n_waiting++;
		unsigned timeout = pool_cfg(p)->pool_wait_timeout_ms;
		pthread_mutex_unlock(&p->lock);

		enum io_result r = io_wait(-1, 0, (long)timeout, NULL);
		pthread_mutex_lock(&p->lock);
		p->waits++;
		p->wait_ms_total += mono_ms() - w.since_ms;
		if (w.state == W_QUEUED) {
			/* Timed out, or woken by someone else (KILL), while still queued: nothing
			 * was granted, no message is on its way. */
			queue_remove(p, &w);
			w.state = W_GONE;
			if (r == IO_WOKEN) {
				pthread_mutex_unlock(&p->lock);
				*perr = POOL_CANCELLED;
				snprintf(err, errlen, "the wait for a backend connection was cancelled");
				return NULL;
			}
			p->timeouts++;
			pthread_mutex_unlock(&p->lock);
			*perr = POOL_TIMEOUT;
			snprintf(err, errlen, "no backend connection available within %u ms", timeout);
			return NULL;
		}
		pthread_mutex_unlock(&p->lock);
		/* Granted (or failed): the message that says so may still be on its way, whatever
		 * ended the wait, and it refers to this stack frame: wait for it. Only this thread
		 * clears the flag (pool_waiter_woken), so it needs no lock here. */
		while (__atomic_load_n(&w.wake_pending, __ATOMIC_ACQUIRE))
			io_wait(-1, 0, -1, NULL);
		switch (w.state) {
		case W_BACKEND:
			if (backend_alive(w.granted, IDLE_CHECK_MS))
				return w.granted;
			close_backend(p, w.granted);
			continue;
		case W_SLOT:
			return connect_in_slot(p, &k, perr, err, errlen);
		case W_FAILED:
			pthread_mutex_lock(&p->lock);
			*perr = p->shutting_down ? POOL_SHUTDOWN : POOL_UNAVAILABLE;
			snprintf(err, errlen, "%s", p->shutting_down ? "shutting down" : k.acct->down_reason);
			pthread_mutex_unlock(&p->lock);
			return NULL;
		default:
			continue;
		}
	}
}

struct backend *pool_checkout(struct pool *p, const char *user, bool found_rows, unsigned globals, void *thread,
			      enum pool_error *perr, char *err, size_t errlen)
{
	for (;;) {
		struct backend *b = checkout(p, user, found_rows, globals, thread, perr, err, errlen);
		/* Older than the client's login, and a SET GLOBAL came between (the counter may
		 * wrap: the difference decides). */
		if (!b || (int)(globals - b->globals) <= 0 || pool_reset(p, b) == 0)
			return b;
		log_info("backend %u failed its reset: %s", b->server_id, b->error);
		close_backend(p, b);
	}
}

void pool_waiter_woken(struct pool_waiter *w)
{
	__atomic_store_n(&w->wake_pending, false, __ATOMIC_RELEASE);
	io_wake(w->co);
}

void pool_release(struct pool *p, struct backend *b)
{
	const struct config *cfg = pool_cfg(p);
	if (!b->broken && b->dirty)
		pool_reset(p, b);
	uint64_t now = mono_ms();
	pthread_mutex_lock(&p->lock);
	bool too_many = p->n_total > cfg->pool_size; /* a reload lowered pool_size */
	pthread_mutex_unlock(&p->lock);
	if (b->broken || too_many || b->gen != __atomic_load_n(&p->gen, __ATOMIC_RELAXED) ||
	    (cfg->server_lifetime_ms && now - b->created_ms > cfg->server_lifetime_ms)) {
		if (b->broken)
			log_info("closing broken backend %u: %s", b->server_id, b->error);
		else if (too_many)
			log_info("closing backend %u: more server connections than pool_size (%u)", b->server_id,
				 cfg->pool_size);
		close_backend(p, b);
		return;
	}
	b->idle_since_ms = now;
	pthread_mutex_lock(&p->lock);
	/* The first waiter that can use it: one of its kind gets it; one whose account may open a
	 * backend once this one is closed gets its slot (a waiter whose account is at its cap
	 * waits for one of its own). */
	struct pool_waiter *w = p->shutting_down ? NULL : p->wait_head;
	bool same = false;
	for (; w; w = w->next) {
		same = w->acct == b->acct && w->found_rows == b->found_rows;
		if (same || !w->acct->max || w->acct->n_total - (w->acct == b->acct) < w->acct->max)
			break;
	}
	if (w && same) {
		queue_remove(p, w);
		w->state = W_BACKEND;
		w->granted = b;
		notify(p, w);
		pthread_mutex_unlock(&p->lock);
		return;
	}
	if (w) {
		pthread_mutex_unlock(&p->lock);
		close_backend(p, b);
		return;
	}
	idle_push(p, b);
	pthread_mutex_unlock(&p->lock);
}

void pool_maintain(struct pool *p)
{
	const struct config *cfg = pool_cfg(p);
	uint64_t now = mono_ms();
	for (;;) {
		/* Close at most one stale backend per pass through the lock. */
		pthread_mutex_lock(&p->lock);
		struct backend *victim = NULL;
		if (!p->shutting_down) {
			for (struct backend **pp = &p->idle; *pp; pp = &(*pp)->next) {
				struct backend *b = *pp;
				bool too_old = (cfg->server_lifetime_ms && now - b->created_ms > cfg->server_lifetime_ms) ||
					       b->gen != p->gen;
				bool too_idle = cfg->server_idle_timeout_ms && p->n_total > cfg->min_idle &&
						now - b->idle_since_ms > cfg->server_idle_timeout_ms;
				bool too_many = p->n_total > cfg->pool_size; /* pool_size lowered by a reload */
				if (too_old || too_idle || too_many) {
					*pp = b->next;
					p->n_idle--;
					victim = b;
					break;
				}
			}
		}
		pthread_mutex_unlock(&p->lock);
		if (!victim)
			break;
		log_debug("closing idle backend %u", victim->server_id);
		close_backend(p, victim);
	}
	/* min_idle backends, and the retries of a down server, are of the [backend] account. */
	for (;;) {
		pthread_mutex_lock(&p->lock);
		struct kind k = { account_get(p, cfg->backend_user), false, 0 };
		uint64_t down_until = k.acct ? k.acct->down_until_ms : 0;
		bool want = k.acct && !p->shutting_down && p->n_idle < cfg->min_idle && p->n_total < cfg->pool_size &&
			    (!down_until || mono_ms() >= down_until);
		/* A down backend is retried even without min_idle, so it recovers by itself. */
		bool retry = k.acct && !want && !p->shutting_down && down_until && mono_ms() >= down_until &&
			     p->n_total < cfg->pool_size;
		if (want || retry)
			slot_take(p, k.acct);
		pthread_mutex_unlock(&p->lock);
		if (!want && !retry)
			break;
		enum pool_error e;
		char err[256];
		struct backend *b = connect_in_slot(p, &k, &e, err, sizeof(err));
		if (!b)
			break;
		if (retry)
			log_info("backend is reachable again");
		pool_release(p, b);
		if (retry)
			break;
	}
}

void pool_shutdown(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->shutting_down = true;
	fail_waiters(p, NULL);
	pthread_mutex_unlock(&p->lock);
}

void pool_destroy(struct pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	struct backend *b = p->idle;
	p->idle = NULL;
	p->n_idle = 0;
	pthread_mutex_unlock(&p->lock);
	while (b) {
		struct backend *next = b->next;
		backend_close(b);
		b = next;
	}
	while (p->accounts) {
		struct pool_account *a = p->accounts;
		p->accounts = a->next;
		free(a);
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void pool_get_stats(struct pool *p, struct pool_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&p->lock);
	st->total = p->n_total;
	st->idle = p->n_idle;
	st->connecting = p->n_connecting;
	st->active = p->n_total - p->n_idle - p->n_connecting;
	st->waiting = p->n_waiting;
	st->size = pool_cfg(p)->pool_size;
	if (p->wait_head)
		st->max_wait_ms = mono_ms() - p->wait_head->since_ms;
	st->connects = p->connects;
	st->connect_failures = p->connect_failures;
	st->resets = p->resets;
	st->closes = p->closes;
	st->timeouts = p->timeouts;
	st->waits = p->waits;
	st->wait_ms_total = p->wait_ms_total;
	pthread_mutex_unlock(&p->lock);
}

/* Locked: the account a client of `user` runs as, NULL if none (removed, out of memory). */
static const struct pool_account *account_of(struct pool *p, const char *user)
{
	struct kind k;
	char err[128];
	return kind_of(p, user, false, &k, err, sizeof(err)) ? k.acct : NULL;
}

bool pool_schema_known(struct pool *p, const char *user, const char *db)
{
	uint64_t now = mono_ms();
	bool known = false;
	pthread_mutex_lock(&p->lock);
	const struct pool_account *a = account_of(p, user);
	for (int i = 0; i < SCHEMA_CACHE && !known && a; i++)
		known = p->schemas[i].acct == a && now - p->schemas[i].at_ms < SCHEMA_TTL_MS &&
			strcmp(p->schemas[i].name, db) == 0;
	pthread_mutex_unlock(&p->lock);
	return known;
}

void pool_schema_seen(struct pool *p, const char *user, const char *db)
{
	if (strlen(db) >= sizeof(p->schemas[0].name))
		return;
	uint64_t now = mono_ms();
	pthread_mutex_lock(&p->lock);
	const struct pool_account *a = account_of(p, user);
	int slot = 0;
	for (int i = 0; i < SCHEMA_CACHE && a; i++) {
		if (p->schemas[i].acct == a && strcmp(p->schemas[i].name, db) == 0) {
			slot = i;
			break;
		}
		if (p->schemas[i].at_ms < p->schemas[slot].at_ms)
			slot = i; /* the oldest entry makes room */
	}
	if (a) {
		p->schemas[slot].acct = a;
		snprintf(p->schemas[slot].name, sizeof(p->schemas[slot].name), "%s", db);
		p->schemas[slot].at_ms = now;
	}
	pthread_mutex_unlock(&p->lock);
}

void pool_foreach_idle(struct pool *p, void (*fn)(const struct backend *b, void *arg), void *arg)
{
	pthread_mutex_lock(&p->lock);
	for (const struct backend *b = p->idle; b; b = b->next)
		fn(b, arg);
	pthread_mutex_unlock(&p->lock);
}

enum pool_ids pool_account_ids(const struct pool_account *a)
{
	return __atomic_load_n(&a->ids, __ATOMIC_RELAXED);
}

void pool_account_learn_ids(struct pool_account *a, bool settable)
{
	enum pool_ids now = settable ? POOL_IDS_RESTORED : POOL_IDS_PINNED;
	if (__atomic_exchange_n(&a->ids, now, __ATOMIC_RELAXED) != now && !settable)
		log_warn("account '%s' may not set pseudo_thread_id (it needs BINLOG REPLAY or SUPER): a client "
			 "that reads CONNECTION_ID() keeps its server connection, and gets the server's id",
			 a->name);
}

size_t pool_get_account_stats(struct pool *p, struct pool_account_stats *out, size_t n)
{
	size_t count = 0;
	uint64_t now = mono_ms();
	pthread_mutex_lock(&p->lock);
	for (const struct pool_account *a = p->accounts; a; a = a->next, count++) {
		if (count >= n)
			continue;
		struct pool_account_stats *st = &out[count];
		memset(st, 0, sizeof(*st));
		snprintf(st->name, sizeof(st->name), "%s", a->name);
		st->total = a->n_total;
		st->connecting = a->n_connecting;
		st->ids = __atomic_load_n(&a->ids, __ATOMIC_RELAXED);
		for (const struct backend *b = p->idle; b; b = b->next)
			st->idle += b->acct == a;
		for (const struct pool_waiter *w = p->wait_head; w; w = w->next) {
			if (w->acct != a)
				continue;
			if (st->waiting++ == 0)
				st->max_wait_ms = now - w->since_ms; /* the queue is oldest first */
		}
	}
	pthread_mutex_unlock(&p->lock);
	return count;
}

unsigned pool_server_charset(struct pool *p)
{
	return __atomic_load_n(&p->server_charset, __ATOMIC_RELAXED);
}

void pool_warm(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	struct kind k = { account_get(p, pool_cfg(p)->backend_user), false, 0 };
	bool want = k.acct && !p->shutting_down && p->n_total == 0 && pool_cfg(p)->pool_size > 0;
	if (want)
		slot_take(p, k.acct);
	pthread_mutex_unlock(&p->lock);
	if (!want)
		return;
	enum pool_error e;
	char err[256];
	struct backend *b = connect_in_slot(p, &k, &e, err, sizeof(err));
	if (b)
		pool_release(p, b);
}
