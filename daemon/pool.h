/* pool: the backend connections of one worker process, shared by its threads.
 *
 * A small mutex guards the lists and counters and is never held across I/O. Idle backends are a
 * LIFO stack (the warmest first); clients that find none and no free slot wait in a FIFO queue
 * up to pool_wait_timeout. A released backend goes straight to the first waiter, whose thread
 * is woken by a message (pool_wake_fn). The pool never has more than pool_size connections,
 * counting those being opened. Backends are of a kind: the server account they are logged in
 * as (the [backend] one, or a user's own from [user.NAME]) and CLIENT_FOUND_ROWS; a client only
 * gets its own kind, and when the pool is full an idle backend of another kind is closed to make
 * room. After a failed connect the account counts as down for a backoff period: its checkouts
 * then fail at once with the reason instead of hanging. */
#ifndef MYPOOL_POOL_H
#define MYPOOL_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct backend;
struct config;
struct coro;
struct pool;

/* The state of a server connection in the pool: it is on its account's list of that state. */
enum pool_state {
	PS_CONNECTING, /* being opened */
	PS_IDLE,       /* in the pool */
	PS_ACTIVE,     /* a client's, or mypool's own (upkeep) */
	PS_RESETTING,  /* COM_RESET_CONNECTION on its way */
	PS_CLOSING,    /* COM_QUIT on its way */
	POOL_STATES
};
const char *pool_state_name(enum pool_state st);

/* What the pool does to a server connection (each may suspend); the daemon's are backend.c's
 * (backend_pool_ops), the unit tests' a fake. */
struct pool_ops {
	/* A backend not connected yet, of `account` (at most 80 bytes); NULL if out of memory. */
	struct backend *(*create)(const char *account, bool found_rows);
	/* Connect and log in: 0, or -1 with the reason in err. */
	int (*connect)(struct backend *b, const struct config *cfg, const char *password, char *err, size_t errlen);
	/* COM_RESET_CONNECTION: 0, or -1 (then b->broken). */
	int (*reset)(struct backend *b);
	/* false if the server closed it while idle (checked only past min_idle_ms idle). */
	bool (*alive)(struct backend *b, unsigned min_idle_ms);
	/* Say goodbye (COM_QUIT, unless broken) and close the socket; then destroy frees it. */
	void (*disconnect)(struct backend *b);
	void (*destroy)(struct backend *b);
};

/* A client waiting for a backend; lives on the waiting coroutine's stack. */
struct pool_waiter {
	struct pool_waiter *next;
	struct coro *co;
	void *thread;            /* owner thread, passed to the wake function */
	struct pool_account *acct; /* the kind of backend it waits for */
	bool found_rows;
	int state;               /* see pool.c */
	struct backend *granted; /* set when a backend is handed over */
	bool wake_pending;       /* a message about it is on its way to its thread */
	uint64_t since_ms;
};

/* Called with the pool lock held to wake waiter w on its own thread (must not block). */
typedef void (*pool_wake_fn)(struct pool_waiter *w);

enum pool_error {
	POOL_OK = 0,
	POOL_TIMEOUT,     /* no backend within pool_wait_timeout */
	POOL_UNAVAILABLE, /* the backend could not be reached */
	POOL_SHUTDOWN,
	POOL_CANCELLED,   /* the waiting client was woken by someone else (KILL) */
};

struct pool_stats {
	unsigned total, idle, active, connecting, waiting, size;
	uint64_t max_wait_ms;      /* longest current wait */
	uint64_t connects, connect_failures, resets, closes, timeouts;
	uint64_t waits, wait_ms_total; /* checkouts that had to wait, and how long in all */
};

struct pool *pool_create(const struct config *cfg, pool_wake_fn wake, const struct pool_ops *ops);
/* Close every idle backend (suspends) and free the pool; all backends must be back. */
void pool_destroy(struct pool *p);
void pool_set_config(struct pool *p, const struct config *cfg);

/* Get a backend for a client of `user` (its [users] entry), logged in as the server account
 * the current config gives that user, with or without CLIENT_FOUND_ROWS (suspends while
 * connecting or waiting). `globals`: pool_globals() when the client's session began; a backend
 * whose server session is older than that is reset first. On failure returns NULL, sets *perr
 * and writes the reason into err. `thread` identifies the caller for the wake-up. */
struct backend *pool_checkout(struct pool *p, const char *user, bool found_rows, unsigned globals, void *thread,
			      enum pool_error *perr, char *err, size_t errlen);
/* A server session takes its variables from the global values when it begins (connect,
 * reset); a pooled one began earlier. pool_globals() counts the SET GLOBAL statements clients
 * ran through this pool (pool_globals_changed(), after each), so that a client sees the global
 * values of its own login time, as directly. */
unsigned pool_globals(struct pool *p);
void pool_globals_changed(struct pool *p);
/* COM_RESET_CONNECTION on b (suspends): its server session begins again, from today's global
 * values; counted in the pool's resets. 0, or -1 (b is broken). */
int pool_reset(struct pool *p, struct backend *b);
/* Return a backend: broken ones are closed, dirty ones reset first (suspends). */
void pool_release(struct pool *p, struct backend *b);
/* Periodic upkeep from a maintenance coroutine: close idle backends past server_idle_timeout
 * (keeping min_idle) and past server_lifetime; open new ones up to min_idle; retry a down
 * backend. Suspends. */
void pool_maintain(struct pool *p);
/* Call fn for each server connection that no client holds (connecting, idle, resetting,
 * closing), with the pool lock held (fn must not block or call the pool). Active ones are their
 * clients': only the client's own thread may read them. */
struct pool_server {
	enum pool_state state;
	const char *account;
	bool found_rows;
	uint32_t server_id;  /* 0 while connecting */
	const char *schema;  /* NULL: none, or connecting */
	uint64_t created_ms; /* 0 while connecting */
};
void pool_foreach(struct pool *p, void (*fn)(const struct pool_server *srv, void *arg), void *arg);
/* At startup: open one connection (if there is none) to learn what the server announces, and
 * keep it idle in the pool. Suspends. */
void pool_warm(struct pool *p);
/* Refuse new checkouts and fail all waiters with POOL_SHUTDOWN. */
void pool_shutdown(struct pool *p);
void pool_get_stats(struct pool *p, struct pool_stats *st);

/* The same per server account (the pool has a share of its backends for each account it was
 * asked for). Fills up to n entries, the most recently added account first; returns how many
 * accounts there are. */
enum pool_ids {
	POOL_IDS_UNKNOWN,  /* no client read CONNECTION_ID() yet */
	POOL_IDS_RESTORED, /* CONNECTION_ID() gives each client its session id */
	POOL_IDS_PINNED,   /* the account may not set pseudo_thread_id: CONNECTION_ID() pins */
};
struct pool_account_stats {
	char name[81];
	unsigned total, idle, connecting, waiting;
	uint64_t max_wait_ms;
	enum pool_ids ids;
};
size_t pool_get_account_stats(struct pool *p, struct pool_account_stats *out, size_t n);
/* What CONNECTION_ID() does on an account's connections; learnt from the first client that
 * reads it (setting pseudo_thread_id succeeded, or failed with 1227: logged once). */
enum pool_ids pool_account_ids(const struct pool_account *a);
void pool_account_learn_ids(struct pool_account *a, bool settable);
/* Databases recently seen to exist for the account of `user`, so a login naming one need not
 * wait for a backend to check it (a database dropped meanwhile fails at the first statement
 * instead). */
bool pool_schema_known(struct pool *p, const char *user, const char *db);
void pool_schema_seen(struct pool *p, const char *user, const char *db);

/* The collation id the server announces in its handshake (its character_set_server), learnt
 * from the first connection; 0 until then. mypool announces the same to its clients. */
unsigned pool_server_charset(struct pool *p);

/* The waiter's wake-up arrived (called on the waiter's thread). */
void pool_waiter_woken(struct pool_waiter *w);

#endif
