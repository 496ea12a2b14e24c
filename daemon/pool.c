/* pool: backend connections shared by the threads of a worker process (see pool.h).
 *
 * Every server connection is on exactly one list of its account, the one of its state
 * (connecting, idle, active, resetting, closing); move() is the only place that changes a
 * state, and it keeps the counters. hand_over() alone decides who gets what was freed. The
 * lock is a leaf, never held across I/O, a config lookup or an allocation. */
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
	struct backend *list[POOL_STATES]; /* its connections by state; idle: the warmest first */
	unsigned n[POOL_STATES];
	unsigned reserved;       /* slots promised to clients that open a connection themselves */
	unsigned evicting;       /* closing ones whose slot another account took already */
	unsigned max;            /* its cap (max_server_connections); 0 = pool_size only */
	enum pool_ids ids;       /* what its connections do for CONNECTION_ID() */
};

/* What a client asks for, resolved from the config before the lock is taken. */
struct want {
	struct pool_account *acct;
	bool found_rows;
	unsigned globals; /* not part of the kind: which of its backends to prefer (take_idle) */
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
	const struct pool_ops *ops;
	unsigned gen;               /* bumped when the server address or account changes */
	unsigned globals;           /* SET GLOBAL statements seen (atomic; pool_globals()) */
	unsigned server_charset;    /* from the server's handshake (atomic) */
	pool_wake_fn wake;
	unsigned n[POOL_STATES];    /* the sums of the accounts' */
	unsigned reserved, evicting;
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

static const char *const state_names[POOL_STATES] = {
	[PS_CONNECTING] = "connecting", [PS_IDLE] = "idle", [PS_ACTIVE] = "active",
	[PS_RESETTING] = "resetting", [PS_CLOSING] = "closing",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == POOL_STATES, "a name for every state");

const char *pool_state_name(enum pool_state st) { return st < POOL_STATES ? state_names[st] : "?"; }

struct pool *pool_create(const struct config *cfg, pool_wake_fn wake, const struct pool_ops *ops)
{
	struct pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->cfg = cfg;
	p->wake = wake;
	p->ops = ops;
	return p;
}

static const struct config *pool_cfg(struct pool *p)
{
	return __atomic_load_n(&p->cfg, __ATOMIC_ACQUIRE);
}

/* ---- counting ---- */

/* Locked: the slots in use: every connection but the evicted ones on their way out, and the
 * slots promised to clients about to open one. */
static unsigned total(const struct pool *p)
{
	unsigned t = p->reserved - p->evicting;
	for (int i = 0; i < POOL_STATES; i++)
		t += p->n[i];
	return t;
}

static unsigned account_total(const struct pool_account *a)
{
	unsigned t = a->reserved - a->evicting;
	for (int i = 0; i < POOL_STATES; i++)
		t += a->n[i];
	return t;
}

/* Its cap, which any thread may update from the config (want_of). */
static unsigned account_max(const struct pool_account *a)
{
	return __atomic_load_n(&a->max, __ATOMIC_RELAXED);
}

/* Locked: may account a open one more backend? */
static bool can_open(const struct pool_account *a)
{
	unsigned max = account_max(a);
	return !max || account_total(a) < max;
}

/* Locked: is there a free slot for account a? */
static bool room_for(struct pool *p, const struct pool_account *a, unsigned pool_size)
{
	return total(p) < pool_size && can_open(a);
}

/* Locked: b goes to state `to`, or off every list (POOL_STATES: it is about to be freed); the
 * counters follow. The one place a backend changes state. */
static void move(struct pool *p, struct backend *b, enum pool_state to)
{
	struct pool_account *a = b->acct;
	if (b->pool_listed) {
		enum pool_state from = b->pool_state;
		if (b->pool_prev)
			b->pool_prev->pool_next = b->pool_next;
		else
			a->list[from] = b->pool_next;
		if (b->pool_next)
			b->pool_next->pool_prev = b->pool_prev;
		a->n[from]--;
		p->n[from]--;
		b->pool_listed = false;
	}
	b->pool_prev = b->pool_next = NULL;
	if (to >= POOL_STATES)
		return;
	b->pool_next = a->list[to];
	if (b->pool_next)
		b->pool_next->pool_prev = b;
	a->list[to] = b;
	a->n[to]++;
	p->n[to]++;
	b->pool_state = to;
	b->pool_listed = true;
}

/* Locked: a slot is promised to (or given back by) a client of account a that opens a backend. */
static void reserve(struct pool *p, struct pool_account *a, int delta)
{
	a->reserved = (unsigned)((int)a->reserved + delta);
	p->reserved = (unsigned)((int)p->reserved + delta);
}

/* ---- accounts ---- */

/* Locked: the account named `name`, NULL if there is none yet. */
static struct pool_account *account_find(struct pool *p, const char *name)
{
	for (struct pool_account *a = p->accounts; a; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/* The account named `name` (added if new, allocated outside the lock); NULL if out of memory. */
static struct pool_account *account_get(struct pool *p, const char *name)
{
	pthread_mutex_lock(&p->lock);
	struct pool_account *a = account_find(p, name);
	pthread_mutex_unlock(&p->lock);
	if (a)
		return a;
	struct pool_account *fresh = calloc(1, sizeof(*fresh));
	if (!fresh)
		return NULL;
	snprintf(fresh->name, sizeof(fresh->name), "%s", name);
	pthread_mutex_lock(&p->lock);
	a = account_find(p, name); /* another thread may have added it meanwhile */
	if (!a) {
		fresh->next = p->accounts;
		p->accounts = a = fresh;
		fresh = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	free(fresh);
	return a;
}

/* What a client of `user` (a [users] entry) needs under the current config: its account (and
 * that account's cap, which the user's entry sets). On failure (the user was removed by a
 * reload) writes why into err. */
static bool want_of(struct pool *p, const char *user, bool found_rows, unsigned globals, struct want *k, char *err,
		    size_t errlen)
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
	k->globals = globals;
	if (!k->acct) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	__atomic_store_n(&k->acct->max, u->backend_max_connections, __ATOMIC_RELAXED);
	return true;
}

void pool_set_config(struct pool *p, const struct config *cfg)
{
	bool changed = config_accounts_changed(pool_cfg(p), cfg);
	pthread_mutex_lock(&p->lock);
	if (changed) {
		/* A new generation: connections to the old server or with a changed account are
		 * closed as they come back (idle ones by the next upkeep). */
		p->gen++;
		for (struct pool_account *a = p->accounts; a; a = a->next)
			a->down_until_ms = 0;
	}
	__atomic_store_n(&p->cfg, cfg, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&p->lock);
	if (changed)
		log_info("backend changed: new connections go to the new one, old ones drain");
}

/* ---- waiters ---- */

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

/* Locked: who gets what was just freed, the waiters first come first served. An idle backend
 * b: the first waiter that can use it gets it, one of its kind by taking it (b becomes
 * active), one whose account may open a backend once b is closed by getting b's slot (then
 * true is returned: b is the caller's to close; a waiter whose account is at its cap waits
 * for one of its own). A free slot (b NULL): the first waiter whose account may open one. */
static bool hand_over(struct pool *p, struct backend *b)
{
	if (p->shutting_down)
		return false;
	if (!b) {
		if (total(p) >= pool_cfg(p)->pool_size)
			return false; /* a reload lowered pool_size: no slot is free until below it */
		for (struct pool_waiter *w = p->wait_head; w; w = w->next) {
			if (!can_open(w->acct))
				continue; /* it waits for a backend of its own account */
			queue_remove(p, w);
			w->state = W_SLOT;
			reserve(p, w->acct, 1);
			notify(p, w);
			return false;
		}
		return false;
	}
	for (struct pool_waiter *w = p->wait_head; w; w = w->next) {
		struct pool_account *a = w->acct;
		if (a == b->acct && w->found_rows == b->found_rows) {
			queue_remove(p, w);
			move(p, b, PS_ACTIVE);
			w->state = W_BACKEND;
			w->granted = b;
			notify(p, w);
			return false;
		}
		unsigned max = account_max(a);
		if (!max || account_total(a) - (a == b->acct) < max) {
			move(p, b, PS_ACTIVE); /* nobody else takes it while the caller closes it */
			return true;
		}
	}
	return false;
}

/* ---- opening and closing ---- */

/* Locked: b (taken, not idle) starts closing. Its slot stays taken until it is closed, but an
 * evicted one (closed to make room for another account) has given its slot away already. */
static void closing(struct pool *p, struct backend *b, bool evicted)
{
	move(p, b, PS_CLOSING);
	b->evicted = evicted;
	if (evicted) {
		b->acct->evicting++;
		p->evicting++;
	}
}

/* Close b, which closing() was called for (suspends); its slot goes to a waiter (hand_over). */
static void close_backend(struct pool *p, struct backend *b)
{
	p->ops->disconnect(b);
	pthread_mutex_lock(&p->lock);
	move(p, b, POOL_STATES);
	if (b->evicted) {
		b->acct->evicting--;
		p->evicting--;
	}
	p->closes++;
	hand_over(p, NULL);
	pthread_mutex_unlock(&p->lock);
	p->ops->destroy(b);
}

/* Close b, which the caller holds (suspends). */
static void close_now(struct pool *p, struct backend *b)
{
	pthread_mutex_lock(&p->lock);
	closing(p, b, false);
	pthread_mutex_unlock(&p->lock);
	close_backend(p, b);
}

/* Open a backend of kind k in a slot reserved for it (suspends). */
static struct backend *open_reserved(struct pool *p, const struct want *k, enum pool_error *perr, char *err,
				     size_t errlen)
{
	const struct config *cfg = pool_cfg(p);
	struct pool_account *a = k->acct;
	/* The account's password under the config that is in effect now. */
	const char *password = config_account_password(cfg, a->name);
	struct backend *b = password ? p->ops->create(a->name, k->found_rows) : NULL;
	pthread_mutex_lock(&p->lock);
	unsigned gen = p->gen;
	reserve(p, a, -1);
	if (b) {
		b->acct = a;
		b->gen = gen;
		move(p, b, PS_CONNECTING);
	}
	pthread_mutex_unlock(&p->lock);
	unsigned globals = pool_globals(p); /* before the server session begins */
	int rc = -1;
	if (!password)
		snprintf(err, errlen, "no user runs as account '%s' any more", a->name);
	else if (!b)
		snprintf(err, errlen, "out of memory");
	else
		rc = p->ops->connect(b, cfg, password, err, errlen);
	pthread_mutex_lock(&p->lock);
	unsigned backoff = 0;
	if (rc == 0) {
		b->globals = globals;
		move(p, b, PS_ACTIVE);
		__atomic_store_n(&p->server_charset, b->server_charset, __ATOMIC_RELAXED);
		p->connects++;
		a->down_until_ms = 0;
		a->backoff_ms = 0;
	} else {
		if (b)
			move(p, b, POOL_STATES);
		p->connect_failures++;
		a->backoff_ms = a->backoff_ms ? a->backoff_ms * 2 : BACKOFF_MIN_MS;
		if (a->backoff_ms > BACKOFF_MAX_MS)
			a->backoff_ms = BACKOFF_MAX_MS;
		backoff = a->backoff_ms;
		a->down_until_ms = mono_ms() + a->backoff_ms;
		snprintf(a->down_reason, sizeof(a->down_reason), "%s", err);
		fail_waiters(p, a);
		hand_over(p, NULL); /* to a waiter of another account, if any */
		*perr = POOL_UNAVAILABLE;
	}
	pthread_mutex_unlock(&p->lock);
	if (rc == 0)
		return b;
	if (b)
		p->ops->destroy(b);
	log_warn("backend connect as '%s' failed: %s (retry in %u ms)", a->name, err, backoff);
	return NULL;
}

/* Locked: take the warmest idle backend of kind k (any: of any other kind), if any, and make
 * it active. Preferred: one whose server session began under the global values of the
 * client's login (k->globals: an older one is reset first, and a newer one shows the client
 * global values it did not log in with), and one that the calling thread's loop already
 * watches (moving a socket to another loop costs system calls on both). */
static struct backend *take_idle(struct pool *p, const struct want *k, bool any)
{
	struct backend *found = NULL;
	int best = -1;
	const struct event_base *mine = io_get_base();
	for (struct pool_account *a = any ? p->accounts : k->acct; a && best < 3; a = any ? a->next : NULL) {
		for (struct backend *b = a->list[PS_IDLE]; b && best < 3; b = b->pool_next) {
			if ((a == k->acct && b->found_rows == k->found_rows) == any)
				continue;
			int score = 2 * (b->globals == k->globals) + (b->io.base == mine);
			if (score > best) {
				found = b;
				best = score;
			}
		}
	}
	if (found)
		move(p, found, PS_ACTIVE);
	return found;
}

/* Locked: what ends the wait of a client now, if anything: shutdown, or its account is down. */
static enum pool_error refused(struct pool *p, const struct pool_account *a, char *err, size_t errlen)
{
	if (p->shutting_down) {
		snprintf(err, errlen, "shutting down");
		return POOL_SHUTDOWN;
	}
	if (a->down_until_ms && mono_ms() < a->down_until_ms) {
		snprintf(err, errlen, "%s", a->down_reason);
		return POOL_UNAVAILABLE;
	}
	return POOL_OK;
}

/* Queue w and wait for a grant, pool_wait_timeout or a KILL. Called locked, returns unlocked
 * with w->state saying what happened (W_GONE: nothing was granted, *perr says why). */
static void wait_in_queue(struct pool *p, struct pool_waiter *w, enum pool_error *perr, char *err, size_t errlen)
{
	if (p->wait_tail)
		p->wait_tail->next = w;
	else
		p->wait_head = w;
	p->wait_tail = w;
	p->n_waiting++;
	unsigned timeout = pool_cfg(p)->pool_wait_timeout_ms;
	pthread_mutex_unlock(&p->lock);

	enum io_result r = io_wait(-1, 0, (long)timeout, NULL);
	pthread_mutex_lock(&p->lock);
	p->waits++;
	p->wait_ms_total += mono_ms() - w->since_ms;
	if (w->state == W_QUEUED) {
		/* Timed out, or woken by someone else (KILL), while still queued: nothing was
		 * granted, no message is on its way. */
		queue_remove(p, w);
		w->state = W_GONE;
		if (r == IO_WOKEN) {
			*perr = POOL_CANCELLED;
			snprintf(err, errlen, "the wait for a backend connection was cancelled");
		} else {
			p->timeouts++;
			*perr = POOL_TIMEOUT;
			snprintf(err, errlen, "no backend connection available within %u ms", timeout);
		}
		pthread_mutex_unlock(&p->lock);
		return;
	}
	pthread_mutex_unlock(&p->lock);
	/* Granted (or failed): the message that says so may still be on its way, whatever ended
	 * the wait, and it refers to this stack frame: wait for it. Only this thread clears the
	 * flag (pool_waiter_woken), so it needs no lock here. */
	while (__atomic_load_n(&w->wake_pending, __ATOMIC_ACQUIRE))
		io_wait(-1, 0, -1, NULL);
}

/* One try: an idle backend, a new one in a free slot, one made room for by closing another
 * account's idle one, or a wait for what is freed. NULL with *perr POOL_OK: try again. */
static struct backend *checkout_once(struct pool *p, const struct want *k, void *thread, enum pool_error *perr,
				     char *err, size_t errlen)
{
	unsigned pool_size = pool_cfg(p)->pool_size;
	pthread_mutex_lock(&p->lock);
	if (p->shutting_down) {
		*perr = refused(p, k->acct, err, errlen);
		pthread_mutex_unlock(&p->lock);
		return NULL;
	}
	struct backend *b = take_idle(p, k, false);
	if (b && (int)(k->globals - b->globals) > 0 && room_for(p, k->acct, pool_size)) {
		/* It began before a SET GLOBAL the client saw: a reset would make it unfit for the
		 * clients that logged in before, so a new one is opened and it stays theirs. */
		move(p, b, PS_IDLE);
		b = NULL;
	}
	if (b) {
		pthread_mutex_unlock(&p->lock);
		if (p->ops->alive(b, IDLE_CHECK_MS))
			return b;
		log_info("backend %u was closed while idle; replacing it", b->server_id);
		close_now(p, b);
		return NULL;
	}
	if ((*perr = refused(p, k->acct, err, errlen)) != POOL_OK) {
		pthread_mutex_unlock(&p->lock);
		return NULL;
	}
	if (room_for(p, k->acct, pool_size)) {
		reserve(p, k->acct, 1);
		pthread_mutex_unlock(&p->lock);
		return open_reserved(p, k, perr, err, errlen);
	}
	/* Full: an idle backend of another account makes room for ours (unless our account has
	 * all it may have: then only one of its own will do). */
	struct backend *victim = can_open(k->acct) ? take_idle(p, k, true) : NULL;
	if (victim) {
		closing(p, victim, true);
		reserve(p, k->acct, 1);
		pthread_mutex_unlock(&p->lock);
		close_backend(p, victim);
		return open_reserved(p, k, perr, err, errlen);
	}
	struct pool_waiter w = {
		.co = coro_current(), .thread = thread, .acct = k->acct, .found_rows = k->found_rows,
		.state = W_QUEUED, .since_ms = mono_ms(),
	};
	wait_in_queue(p, &w, perr, err, errlen); /* unlocks */
	switch (w.state) {
	case W_BACKEND:
		if (p->ops->alive(w.granted, IDLE_CHECK_MS))
			return w.granted;
		close_now(p, w.granted);
		return NULL;
	case W_SLOT:
		return open_reserved(p, k, perr, err, errlen);
	case W_FAILED:
		pthread_mutex_lock(&p->lock);
		if ((*perr = refused(p, k->acct, err, errlen)) == POOL_OK) {
			*perr = POOL_UNAVAILABLE; /* the backoff ended meanwhile: the reason stays */
			snprintf(err, errlen, "%s", k->acct->down_reason);
		}
		pthread_mutex_unlock(&p->lock);
		return NULL;
	default:
		return NULL; /* W_GONE: *perr says why */
	}
}

struct backend *pool_checkout(struct pool *p, const char *user, bool found_rows, unsigned globals, void *thread,
			      enum pool_error *perr, char *err, size_t errlen)
{
	struct want k;
	for (;;) {
		*perr = POOL_OK;
		if (!want_of(p, user, found_rows, globals, &k, err, errlen)) {
			*perr = POOL_UNAVAILABLE;
			return NULL;
		}
		struct backend *b = checkout_once(p, &k, thread, perr, err, errlen);
		if (!b && *perr != POOL_OK)
			return NULL;
		/* Older than the client's login, and a SET GLOBAL came between (the counter may
		 * wrap: the difference decides). */
		if (b && ((int)(globals - b->globals) <= 0 || pool_reset(p, b) == 0))
			return b;
		if (b) {
			log_info("backend %u failed its reset: %s", b->server_id, b->error);
			close_now(p, b);
		}
	}
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
	pthread_mutex_lock(&p->lock);
	enum pool_state was = b->pool_state;
	move(p, b, PS_RESETTING);
	pthread_mutex_unlock(&p->lock);
	int rc = p->ops->reset(b);
	pthread_mutex_lock(&p->lock);
	move(p, b, was);
	if (rc == 0) {
		b->globals = globals;
		p->resets++;
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
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
	bool too_many = total(p) > cfg->pool_size; /* a reload lowered pool_size */
	bool old = b->gen != p->gen || (cfg->server_lifetime_ms && now - b->created_ms > cfg->server_lifetime_ms);
	bool close = b->broken || too_many || old;
	if (!close) {
		b->idle_since_ms = now;
		move(p, b, PS_IDLE);
		close = hand_over(p, b);
	}
	if (close)
		closing(p, b, false);
	pthread_mutex_unlock(&p->lock);
	if (!close)
		return;
	if (b->broken)
		log_info("closing broken backend %u: %s", b->server_id, b->error);
	else if (too_many)
		log_info("closing backend %u: more server connections than pool_size (%u)", b->server_id, cfg->pool_size);
	close_backend(p, b);
}

/* Locked: an idle backend to close now (closing() is called for it): past
 * server_lifetime or of an old generation, idle past server_idle_timeout (above min_idle), or
 * one too many after a reload lowered pool_size. */
static struct backend *stale_idle(struct pool *p, const struct config *cfg, uint64_t now)
{
	for (struct pool_account *a = p->accounts; a; a = a->next) {
		for (struct backend *b = a->list[PS_IDLE]; b; b = b->pool_next) {
			bool too_old = (cfg->server_lifetime_ms && now - b->created_ms > cfg->server_lifetime_ms) ||
				       b->gen != p->gen;
			bool too_idle = cfg->server_idle_timeout_ms && total(p) > cfg->min_idle &&
					now - b->idle_since_ms > cfg->server_idle_timeout_ms;
			bool too_many = total(p) > cfg->pool_size;
			if (too_old || too_idle || too_many) {
				closing(p, b, false);
				return b;
			}
		}
	}
	return NULL;
}

void pool_maintain(struct pool *p)
{
	const struct config *cfg = pool_cfg(p);
	uint64_t now = mono_ms();
	for (;;) {
		/* Close at most one stale backend per pass through the lock. */
		pthread_mutex_lock(&p->lock);
		struct backend *victim = p->shutting_down ? NULL : stale_idle(p, cfg, now);
		pthread_mutex_unlock(&p->lock);
		if (!victim)
			break;
		log_debug("closing idle backend %u", victim->server_id);
		close_backend(p, victim);
	}
	/* min_idle backends, and the retries of a down server, are of the [backend] account. */
	struct want k = { account_get(p, cfg->backend_user), false, 0 };
	if (!k.acct)
		return;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		uint64_t down_until = k.acct->down_until_ms;
		bool up = !down_until || mono_ms() >= down_until;
		bool room = !p->shutting_down && total(p) < cfg->pool_size;
		bool want = room && up && p->n[PS_IDLE] < cfg->min_idle;
		/* A down backend is retried even without min_idle, so it recovers by itself. */
		bool retry = room && !want && down_until && up;
		if (want || retry)
			reserve(p, k.acct, 1);
		pthread_mutex_unlock(&p->lock);
		if (!want && !retry)
			break;
		enum pool_error e;
		char err[256];
		struct backend *b = open_reserved(p, &k, &e, err, sizeof(err));
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
	for (;;) {
		pthread_mutex_lock(&p->lock);
		struct backend *b = NULL;
		for (struct pool_account *a = p->accounts; a && !b; a = a->next)
			b = a->list[PS_IDLE];
		if (b)
			move(p, b, POOL_STATES);
		pthread_mutex_unlock(&p->lock);
		if (!b)
			break;
		p->ops->disconnect(b);
		p->ops->destroy(b);
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
	st->total = total(p);
	st->idle = p->n[PS_IDLE];
	st->connecting = p->n[PS_CONNECTING] + p->reserved;
	st->active = st->total - st->idle - st->connecting;
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

/* The account a client of `user` runs as, NULL if none (removed, out of memory). */
static const struct pool_account *account_of(struct pool *p, const char *user)
{
	struct want k;
	char err[128];
	return want_of(p, user, false, 0, &k, err, sizeof(err)) ? k.acct : NULL;
}

bool pool_schema_known(struct pool *p, const char *user, const char *db)
{
	uint64_t now = mono_ms();
	bool known = false;
	const struct pool_account *a = account_of(p, user);
	pthread_mutex_lock(&p->lock);
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
	const struct pool_account *a = account_of(p, user);
	if (!a)
		return;
	pthread_mutex_lock(&p->lock);
	int slot = 0;
	for (int i = 0; i < SCHEMA_CACHE; i++) {
		if (p->schemas[i].acct == a && strcmp(p->schemas[i].name, db) == 0) {
			slot = i;
			break;
		}
		if (p->schemas[i].at_ms < p->schemas[slot].at_ms)
			slot = i; /* the oldest entry makes room */
	}
	p->schemas[slot].acct = a;
	snprintf(p->schemas[slot].name, sizeof(p->schemas[slot].name), "%s", db);
	p->schemas[slot].at_ms = now;
	pthread_mutex_unlock(&p->lock);
}

void pool_foreach(struct pool *p, void (*fn)(const struct pool_server *srv, void *arg), void *arg)
{
	pthread_mutex_lock(&p->lock);
	for (const struct pool_account *a = p->accounts; a; a = a->next) {
		for (int st = 0; st < POOL_STATES; st++) {
			if (st == PS_ACTIVE)
				continue; /* their clients' threads tell (see pool.h) */
			for (const struct backend *b = a->list[st]; b; b = b->pool_next) {
				/* A connecting one's fields are being written: only what the pool set. */
				struct pool_server srv = {
					.state = (enum pool_state)st, .account = a->name, .found_rows = b->found_rows,
					.server_id = st == PS_CONNECTING ? 0 : b->server_id,
					.schema = st == PS_CONNECTING ? NULL : b->schema,
					.created_ms = st == PS_CONNECTING ? 0 : b->created_ms,
				};
				fn(&srv, arg);
			}
		}
	}
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
		st->total = account_total(a);
		st->connecting = a->n[PS_CONNECTING] + a->reserved;
		st->idle = a->n[PS_IDLE];
		st->ids = __atomic_load_n(&a->ids, __ATOMIC_RELAXED);
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
	struct want k = { account_get(p, pool_cfg(p)->backend_user), false, 0 };
	if (!k.acct)
		return;
	pthread_mutex_lock(&p->lock);
	bool want = !p->shutting_down && total(p) == 0 && pool_cfg(p)->pool_size > 0;
	if (want)
		reserve(p, k.acct, 1);
	pthread_mutex_unlock(&p->lock);
	if (!want)
		return;
	enum pool_error e;
	char err[256];
	struct backend *b = open_reserved(p, &k, &e, err, sizeof(err));
	if (b)
		pool_release(p, b);
}
