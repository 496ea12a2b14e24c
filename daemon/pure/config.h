/* config: the INI configuration, parsed into an immutable snapshot.
 *
 * One table in config.c (name, section, type, default, range, reloadable, one-line doc) drives
 * parsing, validation, defaults, `mypoold -t` and the reference file conf/mypoold.ini. Every error
 * is reported as "FILE:LINE: key 'x': message", all of them in one run; unknown keys and sections
 * are errors; lines longer than inih's limit are refused instead of being cut. */
#ifndef MYPOOL_CONFIG_H
#define MYPOOL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum pool_mode { POOL_SESSION = 0, POOL_TRANSACTION = 1 };

/* Longest line accepted in a config file (inih's buffer is 200 bytes including the NUL); longer
 * lines are refused with an error rather than cut. */
#define CONFIG_MAX_LINE 199

struct config_user {
	char *name;
	/* SHA1(SHA1(password)), from a plain password or a "*HEX" hash; all zero if !has_password. */
	uint8_t stage2[20];
	bool has_password; /* false: the user logs in with an empty password */
	/* SHA256(SHA256(password)) for caching_sha2_password's fast path; only known for plain
	 * passwords given in the file (has_sha2 false for "*HEX" entries and empty passwords). */
	uint8_t sha2_stage2[32];
	bool has_sha2;
	/* "ed25519:KEY": only MariaDB's ed25519 plugin checks this user, against the public key. */
	uint8_t ed25519_key[32];
	bool has_ed25519;
	/* From its [user.NAME] section: the server account its statements run as, and that
	 * account's password (never NULL when backend_user is set); NULL = the [backend] account. */
	char *backend_user;
	char *backend_password;
	/* That account's share of pool_size at most (the same for every user of the account);
	 * 0 = no cap. */
	unsigned backend_max_connections;
};

struct config {
	char *path; /* the file this was read from */

	/* [mypoold] */
	char *listen;          /* Unix socket path */
	unsigned socket_mode;  /* octal, e.g. 0777 */
	char *listen_tcp;      /* optional "host:port", NULL if unset */
	unsigned threads;      /* 0 = online CPUs */
	int log_level;         /* enum log_level */
	bool log_syslog;
	enum pool_mode pool_mode;
	unsigned pool_wait_timeout_ms;
	unsigned shutdown_timeout_ms;
	unsigned max_client_conn;
	unsigned max_allowed_packet; /* bytes, largest logical packet a client may send */
	unsigned coro_stack_size;    /* bytes per client session coroutine */
	unsigned client_idle_timeout_ms; /* 0 = never */
	unsigned client_login_timeout_ms; /* for the handshake response and authentication */
	unsigned client_write_timeout_ms; /* no progress writing to a client for this long; 0 = never */
	unsigned client_read_timeout_ms;  /* ... reading within a packet or a LOAD DATA file; 0 = never */
	unsigned idle_transaction_timeout_ms; /* ... while holding a server connection; 0 = never */
	unsigned auth_failure_threshold;    /* failed logins in a row before attempts wait; 0 = never */
	unsigned auth_failure_delay_ms;     /* the first wait, doubling */
	unsigned auth_failure_delay_max_ms; /* the longest */
	char *server_version;        /* version string announced to clients */
	char *user;                  /* switch to this user after opening the sockets; NULL = stay */
	char *group;                 /* ... and this group; NULL = the user's primary group */
	char *pidfile;               /* the supervisor's pid file; NULL = none */
	/* Users allowed on the admin console: names separated by ',' with no spaces (the parser
	 * drops spaces around them), each 1..80 bytes, no duplicates; "" = nobody. Never NULL. */
	char *admin_users;
	/* Prometheus endpoint: a Unix socket path ("/..."), "127.0.0.1:PORT" or "[::1]:PORT";
	 * NULL = off. */
	char *metrics_listen;
	unsigned log_slow_ms;        /* log statements slower than this; 0 = off */
	unsigned max_prepared_statements;      /* per client session */
	unsigned max_prepared_statement_bytes; /* per client session: SQL text, types, columns */
	unsigned max_user_variable_bytes;      /* per client session, carried by transaction pooling */
	unsigned metrics_socket_mode;          /* octal, for a metrics_listen socket path */

	/* [backend] */
	char *backend_socket; /* either socket ... */
	char *backend_host;   /* ... or host + port */
	unsigned backend_port;
	char *backend_user;
	char *backend_password;
	unsigned pool_size;
	unsigned min_idle;
	unsigned connect_timeout_ms;
	unsigned statement_cache_bytes;  /* per server connection: SQL text of its cache */
	unsigned tcp_keepalive_ms;       /* a silent TCP server is dropped after about this; 0 = OS */
	unsigned server_idle_timeout_ms; /* close idle backends after this; 0 = never */
	unsigned server_lifetime_ms;     /* close backends older than this when released; 0 = never */

	/* [users] */
	struct config_user *users;
	size_t n_users;
};

/* Read and validate FILE. On success returns 0 and stores a new snapshot in *out. On failure
 * returns the number of errors (>0), each already printed to `errs` as "FILE:LINE: ...", and
 * *out is untouched. */
int config_load(const char *path, FILE *errs, struct config **out);
/* Same, from a string (tests); `name` stands for the file name in messages. */
int config_load_string(const char *text, const char *name, FILE *errs, struct config **out);
void config_free(struct config *c);

/* The value of [section] name in c, written as in the file (durations "5s", sizes "64M", modes
 * "0660", booleans "yes"/"no", choices by name); a secret (the backend password) reads
 * "(hidden)" unless it is empty. Returns 0, or -1 if the key is unset (NULL) or unknown. */
int config_value(const struct config *c, const char *section, const char *name, char *buf, size_t len);

/* For a reload: each key that cannot change at runtime (reloadable false in the table) and
 * differs between the running `cur` and the newly loaded `next` gets cur's value back in next,
 * so next describes what actually runs. Their names go to `changed` as "listen, threads" ("" if
 * none; cut to len). Returns how many keys were kept, or -1 if out of memory. */
int config_keep_fixed(struct config *next, const struct config *cur, char *changed, size_t len);

const struct config_user *config_find_user(const struct config *c, const char *name, size_t name_len);

/* The server account (user name and password) that user u's statements run as: its own
 * [user.NAME] account, or the [backend] one. */
void config_user_account(const struct config *c, const struct config_user *u, const char **user,
			 const char **password);
/* The password of server account `user` in c, or NULL if no user runs as that account. */
const char *config_account_password(const struct config *c, const char *user);
/* Whether a server connection logged in as some account under `old` may no longer be used under
 * `next`: the server address changed, or an account of `old` is gone or has another password. */
bool config_accounts_changed(const struct config *old, const struct config *next);

/* The table, for docs and for the test that compares it with conf/mypoold.ini. */
struct config_key_info {
	const char *section;
	const char *name;
	const char *default_value; /* as written in the file; NULL = no default (required or unset) */
	const char *doc;           /* one line */
	bool reloadable;
	const char *type;  /* "string", "path", "integer", "boolean", "octal", "duration", "size",
			    * "choice", "host:port" */
	const char *range; /* allowed values as documented, e.g. "1..10000", "1ms..1h", "32K..8M",
			    * "session|transaction", "at most 60 bytes"; NULL if nothing to say */
};
/* Returns the number of keys and sets *keys to the static table. [users] entries are not keys;
 * the keys of the [user.NAME] sections have the section "user.NAME". */
size_t config_keys(const struct config_key_info **keys);

#endif
