#include "autoconfig.h"

#include "config.h"

#include "auth.h"
#include "confval.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* How it works.
 *
 * keys[] below is the only place a key is described; confval.c parses and writes the value
 * types. Defaults are strings parsed by the same code as the file's values, so a default can
 * never bypass validation. inih (55, system library) does
 * the INI syntax; we feed it through our own reader, one line per call, which lets us:
 *  - know the line number in the handler (INI_HANDLER_LINENO is 0: the handler has none);
 *  - refuse lines longer than CONFIG_MAX_LINE instead of letting inih cut them;
 *  - strip leading whitespace, so an indented line is never a "continuation" of the previous key
 *    (inih would call the handler again with the previous name);
 *  - report every syntax error (inih returns only the first) and track the section ourselves.
 * Lines the reader rejects are handed to inih as empty lines, so each error is reported once. */

/* Largest file config_load reads (a [users] list can be long, but not this long). */
#define CONFIG_MAX_FILE (16 * MIB)
/* A [users] value that is an ed25519 public key rather than a password. */
#define ED25519_PREFIX "ed25519:"

/* User names longer than this are refused (MariaDB's own limit is 80 characters). */
#define CONFIG_MAX_USER_NAME 80

/* Longest system user or group name accepted for `user` / `group` (useradd's limit). */
#define CONFIG_MAX_SYSTEM_NAME 32

enum key_type {
	KT_STRING,
	KT_PATH,
	KT_UINT,
	KT_BOOL,
	KT_OCTAL,
	KT_DURATION,
	KT_SIZE,
	KT_ENUM,
	KT_HOSTPORT,
	KT_NAMES,   /* comma-separated user names, stored without spaces ("" = none) */
	KT_ADDRESS, /* a Unix socket path, or a loopback 127.0.0.1:PORT / [::1]:PORT */
};

static const char *const type_names[] = {
	[KT_STRING] = "string",   [KT_PATH] = "path",    [KT_UINT] = "integer",
	[KT_BOOL] = "boolean",    [KT_OCTAL] = "octal",  [KT_DURATION] = "duration",
	[KT_SIZE] = "size",       [KT_ENUM] = "choice",  [KT_HOSTPORT] = "host:port",
	[KT_NAMES] = "list",      [KT_ADDRESS] = "address",
};

struct key_def {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset; /* of the field in struct config */
	const char *def; /* as written in the file; NULL = unset */
	/* UINT, OCTAL: the value; DURATION: milliseconds; SIZE: bytes. STRING, PATH: max length in
	 * bytes in `max` (0 = no limit). */
	unsigned long long min, max;
	bool empty_ok; /* STRING: an empty value is allowed */
	bool bare_ms;  /* DURATION: a bare number is milliseconds, not seconds */
	bool reloadable;
	bool secret;   /* never shown (config_value) */
	int (*parse_enum)(const char *); /* ENUM: value or -1 */
	const char *(*enum_name)(int);    /* ENUM: the value's name */
	const char *choices;              /* ENUM, BOOL: for messages and docs */
	const char *doc;
	bool per_user; /* a key of the [user.NAME] sections: offset is in struct config_user */
};

static int pool_mode_parse(const char *s)
{
	if (strcasecmp(s, "session") == 0)
		return POOL_SESSION;
	if (strcasecmp(s, "transaction") == 0)
		return POOL_TRANSACTION;
	return -1;
}

static const char *pool_mode_name(int m)
{
	return m == POOL_SESSION ? "session" : "transaction";
}

static const char *log_level_str(int l)
{
	return log_level_name((enum log_level)l);
}

#define FIELD(f) offsetof(struct config, f)
/* The section name of the per-user keys in the table and the docs; in a file it is
 * [user.NAME] for the [users] entry NAME. */
#define USER_SECTION "user.NAME"
#define USER_PREFIX "user."
/* sockaddr_un.sun_path holds 108 bytes including the NUL. */
#define SUN_PATH_MAX 107

static const struct key_def keys[] = {
	/* [mypoold] */
	{ "mypoold", "listen", KT_PATH, FIELD(listen), "/run/mypool/mypool.sock",
	  .max = SUN_PATH_MAX, .reloadable = false,
	  .doc = "Unix socket path that clients connect to." },
	{ "mypoold", "socket_mode", KT_OCTAL, FIELD(socket_mode), "0777",
	  .min = 0, .max = 0777, .reloadable = false,
	  .doc = "Permission bits of the Unix socket (clients still need a [users] password)." },
	{ "mypoold", "listen_tcp", KT_HOSTPORT, FIELD(listen_tcp), NULL,
	  .reloadable = false,
	  .doc = "Also listen on TCP at host:port, e.g. 127.0.0.1:6033 or [::1]:6033; unset = Unix socket only." },
	{ "mypoold", "threads", KT_UINT, FIELD(threads), "0",
	  .min = 0, .max = 256, .reloadable = false,
	  .doc = "Worker threads; 0 = one per online CPU." },
	{ "mypoold", "log_level", KT_ENUM, FIELD(log_level), "info",
	  .parse_enum = log_level_parse, .enum_name = log_level_str, .choices = "error|warning|info|debug",
	  .reloadable = true,
	  .doc = "Most verbose level that is logged." },
	{ "mypoold", "log_syslog", KT_BOOL, FIELD(log_syslog), "no",
	  .choices = "yes|no", .reloadable = true,
	  .doc = "Log to syslog instead of stderr." },
	{ "mypoold", "pool_mode", KT_ENUM, FIELD(pool_mode), "transaction",
	  .parse_enum = pool_mode_parse, .enum_name = pool_mode_name, .choices = "session|transaction",
	  .reloadable = false,
	  .doc = "transaction: a client holds a server connection only while a transaction or pinned state "
		 "needs it; session: from its first statement until it disconnects." },
	{ "mypoold", "pool_wait_timeout", KT_DURATION, FIELD(pool_wait_timeout_ms), "5s",
	  .min = 1, .max = MS_PER_H, .reloadable = true,
	  .doc = "How long a client waits for a free server connection before it gets an error." },
	{ "mypoold", "shutdown_timeout", KT_DURATION, FIELD(shutdown_timeout_ms), "30s",
	  .min = 0, .max = MS_PER_H, .reloadable = true,
	  .doc = "On shutdown, how long clients may finish their work before they are disconnected." },
	{ "mypoold", "max_client_conn", KT_UINT, FIELD(max_client_conn), "10000",
	  .min = 1, .max = 1000000, .reloadable = true,
	  .doc = "Maximum number of client connections; further ones are refused." },
	{ "mypoold", "max_allowed_packet", KT_SIZE, FIELD(max_allowed_packet), "64M",
	  .min = KIB, .max = GIB, .reloadable = true,
	  .doc = "Largest packet (after reassembly) a client may send." },
	{ "mypoold", "coro_stack_size", KT_SIZE, FIELD(coro_stack_size), "128K",
	  .min = 32 * KIB, .max = 8 * MIB, .reloadable = false,
	  .doc = "Stack size of each client session coroutine." },
	{ "mypoold", "client_idle_timeout", KT_DURATION, FIELD(client_idle_timeout_ms), "0",
	  .min = 0, .max = 720 * MS_PER_H, .reloadable = true,
	  .doc = "Disconnect clients that send nothing for this long; 0 = never." },
	{ "mypoold", "client_login_timeout", KT_DURATION, FIELD(client_login_timeout_ms), "10s",
	  .min = 1, .max = MS_PER_H, .reloadable = true,
	  .doc = "Disconnect clients that have not finished logging in this long after connecting (or "
		 "after sending COM_CHANGE_USER)." },
	{ "mypoold", "client_write_timeout", KT_DURATION, FIELD(client_write_timeout_ms), "60s",
	  .min = 0, .max = MS_PER_H, .reloadable = true,
	  .doc = "Disconnect a client that takes no output for this long while mypool has some for it (its "
		 "server connection is closed); 0 = never. MariaDB's net_write_timeout." },
	{ "mypoold", "client_read_timeout", KT_DURATION, FIELD(client_read_timeout_ms), "30s",
	  .min = 0, .max = MS_PER_H, .reloadable = true,
	  .doc = "Disconnect a client that sends nothing for this long in the middle of a packet or of a "
		 "LOAD DATA LOCAL file (its server connection is closed); 0 = never. MariaDB's "
		 "net_read_timeout." },
	{ "mypoold", "idle_transaction_timeout", KT_DURATION, FIELD(idle_transaction_timeout_ms), "0",
	  .min = 0, .max = 720 * MS_PER_H, .reloadable = true,
	  .doc = "Disconnect clients idle this long inside a transaction or, with transaction pooling, "
		 "pinned to a server connection (rolled back, the connection freed); 0 = never." },
	{ "mypoold", "auth_failure_threshold", KT_UINT, FIELD(auth_failure_threshold), "3",
	  .min = 0, .max = 1000, .reloadable = true,
	  .doc = "After this many failed logins in a row for a user (or from a TCP address), its next "
		 "login attempts wait before the password is checked; 0 = never." },
	{ "mypoold", "auth_failure_delay", KT_DURATION, FIELD(auth_failure_delay_ms), "1s",
	  .min = 1, .max = MS_PER_H, .reloadable = true,
	  .doc = "The first of those waits; it doubles with each further failure." },
	{ "mypoold", "auth_failure_delay_max", KT_DURATION, FIELD(auth_failure_delay_max_ms), "30s",
	  .min = 1, .max = MS_PER_H, .reloadable = true,
	  .doc = "The longest of those waits (client_login_timeout still ends the login)." },
	{ "mypoold", "server_version", KT_STRING, FIELD(server_version), "10.11.99-MariaDB-mypool",
	  .max = 60, .reloadable = true,
	  .doc = "Server version string announced to clients in the handshake." },
	{ "mypoold", "user", KT_STRING, FIELD(user), NULL,
	  .max = CONFIG_MAX_SYSTEM_NAME, .reloadable = false,
	  .doc = "Started as root, switch to this system user once the sockets are open (before any "
		 "client is served); unset = keep the current user." },
	{ "mypoold", "group", KT_STRING, FIELD(group), NULL,
	  .max = CONFIG_MAX_SYSTEM_NAME, .reloadable = false,
	  .doc = "Group of the Unix socket and of the process after the switch; unset = the user's primary "
		 "group." },
	{ "mypoold", "pidfile", KT_PATH, FIELD(pidfile), NULL,
	  .max = 4095, .reloadable = false,
	  .doc = "Write the supervisor's process id to this file (removed at exit); unset = no file." },
	{ "mypoold", "admin_users", KT_NAMES, FIELD(admin_users), "",
	  .max = CONFIG_MAX_USER_NAME, .reloadable = true,
	  .doc = "Users (from [users]) that may connect to the admin console (database mypool), e.g. "
		 "admin, ops; empty = nobody." },
	{ "mypoold", "metrics_listen", KT_ADDRESS, FIELD(metrics_listen), NULL,
	  .max = SUN_PATH_MAX, .reloadable = false,
	  .doc = "Serve Prometheus metrics over HTTP on this Unix socket path or loopback address; "
		 "unset = off." },
	{ "mypoold", "max_prepared_statements", KT_UINT, FIELD(max_prepared_statements), "16382",
	  .min = 1, .max = 1048576, .reloadable = true,
	  .doc = "Most prepared statements one client session may keep open (MariaDB's "
		 "max_prepared_stmt_count, error 1461 past it)." },
	{ "mypoold", "max_prepared_statement_bytes", KT_SIZE, FIELD(max_prepared_statement_bytes), "16M",
	  .min = 64 * KIB, .max = GIB, .reloadable = true,
	  .doc = "Most memory the prepared statements of one client session may keep in mypool (their SQL "
		 "text and column definitions; error 1461 past it)." },
	{ "mypoold", "max_user_variable_bytes", KT_SIZE, FIELD(max_user_variable_bytes), "16K",
	  .min = 0, .max = 16 * MIB, .reloadable = true,
	  .doc = "Most memory the user variables of one client session may take in mypool for "
		 "transaction pooling to carry them (past it, they pin the client). 0: they always pin." },
	{ "mypoold", "metrics_socket_mode", KT_OCTAL, FIELD(metrics_socket_mode), "0660",
	  .min = 0, .max = 0777, .reloadable = false,
	  .doc = "Permission bits of metrics_listen when it is a Unix socket path." },
	{ "mypoold", "log_slow_ms", KT_DURATION, FIELD(log_slow_ms), "0",
	  .min = 0, .max = MS_PER_H, .bare_ms = true, .reloadable = true,
	  .doc = "Log statements that run longer than this (a bare number is milliseconds: 200 = 200ms); "
		 "0 = off." },

	/* [backend] */
	{ "backend", "socket", KT_PATH, FIELD(backend_socket), NULL,
	  .max = SUN_PATH_MAX, .reloadable = true,
	  .doc = "Unix socket of the MySQL/MariaDB server; set either socket or host." },
	{ "backend", "host", KT_STRING, FIELD(backend_host), NULL,
	  .max = 255, .reloadable = true,
	  .doc = "Host name or IP address of the server (with port); set either socket or host." },
	{ "backend", "port", KT_UINT, FIELD(backend_port), "3306",
	  .min = 1, .max = 65535, .reloadable = true,
	  .doc = "TCP port of the server, used with host." },
	{ "backend", "user", KT_STRING, FIELD(backend_user), NULL,
	  .max = CONFIG_MAX_USER_NAME, .reloadable = true,
	  .doc = "User that mypool logs in to the server as (required)." },
	{ "backend", "password", KT_STRING, FIELD(backend_password), "",
	  .empty_ok = true, .secret = true, .reloadable = true,
	  .doc = "Password of that user, in plain text; empty = no password." },
	{ "backend", "pool_size", KT_UINT, FIELD(pool_size), "20",
	  .min = 1, .max = 10000, .reloadable = true,
	  .doc = "Maximum number of server connections." },
	{ "backend", "min_idle", KT_UINT, FIELD(min_idle), "0",
	  .min = 0, .max = 10000, .reloadable = true,
	  .doc = "Idle server connections kept open in advance; at most pool_size." },
	{ "backend", "connect_timeout", KT_DURATION, FIELD(connect_timeout_ms), "5s",
	  .min = 1, .max = MS_PER_H, .reloadable = true,
	  .doc = "Timeout for connecting and logging in to the server." },
	{ "backend", "statement_cache_bytes", KT_SIZE, FIELD(statement_cache_bytes), "4M",
	  .min = 64 * KIB, .max = GIB, .reloadable = true,
	  .doc = "Most SQL text each server connection's cache of prepared statements keeps (the least "
		 "recently used are closed on the server past it)." },
	{ "backend", "tcp_keepalive", KT_DURATION, FIELD(tcp_keepalive_ms), "60s",
	  .min = 0, .max = 2 * MS_PER_H, .reloadable = true,
	  .doc = "A TCP server connection on which nothing is heard for about this long, even during a "
		 "long statement, is closed (keepalive probes, TCP_USER_TIMEOUT); 0 = the system's defaults." },
	{ "backend", "server_idle_timeout", KT_DURATION, FIELD(server_idle_timeout_ms), "600s",
	  .min = 0, .max = 720 * MS_PER_H, .reloadable = true,
	  .doc = "Close server connections that were idle this long; 0 = never." },
	{ "backend", "server_lifetime", KT_DURATION, FIELD(server_lifetime_ms), "3600s",
	  .min = 0, .max = 720 * MS_PER_H, .reloadable = true,
	  .doc = "Close server connections older than this when they are released; 0 = never." },

	/* [user.NAME], optional, one per [users] entry that runs as its own server account */
	{ USER_SECTION, "backend_user", KT_STRING, offsetof(struct config_user, backend_user), NULL,
	  .max = CONFIG_MAX_USER_NAME, .reloadable = true, .per_user = true,
	  .doc = "Server account that this user's statements run as, instead of [backend] user "
		 "(required in the section)." },
	{ USER_SECTION, "backend_password", KT_STRING, offsetof(struct config_user, backend_password), "",
	  .empty_ok = true, .secret = true, .reloadable = true, .per_user = true,
	  .doc = "Password of that account, in plain text; empty = no password." },
	{ USER_SECTION, "max_server_connections", KT_UINT, offsetof(struct config_user, backend_max_connections), "0",
	  .min = 0, .max = 10000, .reloadable = true, .per_user = true,
	  .doc = "Most server connections that account may hold at once, within pool_size (the same "
		 "wherever the account appears); 0 = no cap of its own." },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

_Static_assert(sizeof(enum pool_mode) == sizeof(int), "pool_mode is stored as an int");

/* ---------------------------------------------------------------------------------------------
 * Formatting numbers the way they are written in the file. */

static void format_number(const struct key_def *k, unsigned long long v, char *buf, size_t n)
{
	switch (k->type) {
	case KT_DURATION:
		confval_format_duration(v, buf, n);
		break;
	case KT_SIZE:
		confval_format_size(v, buf, n);
		break;
	case KT_OCTAL:
		if (v == 0)
			snprintf(buf, n, "0");
		else
			snprintf(buf, n, "0%llo", v);
		break;
	case KT_UINT:
	case KT_STRING:
	case KT_PATH:
	case KT_BOOL:
	case KT_ENUM:
	case KT_HOSTPORT:
	case KT_NAMES:
	case KT_ADDRESS:
		snprintf(buf, n, "%llu", v);
		break;
	}
}

/* The allowed values as shown in docs: "1..10000", "1ms..1h", "session|transaction",
 * "at most 60 bytes"; empty if there is nothing to say. */
static void format_range(const struct key_def *k, char *buf, size_t n)
{
	char lo[32], hi[32];
	buf[0] = '\0';
	switch (k->type) {
	case KT_UINT:
	case KT_OCTAL:
	case KT_DURATION:
	case KT_SIZE:
		format_number(k, k->min, lo, sizeof(lo));
		format_number(k, k->max, hi, sizeof(hi));
		snprintf(buf, n, "%s..%s", lo, hi);
		break;
	case KT_BOOL:
	case KT_ENUM:
		snprintf(buf, n, "%s", k->choices);
		break;
	case KT_STRING:
	case KT_PATH:
		if (k->max != 0)
			snprintf(buf, n, "at most %llu bytes", k->max);
		break;
	case KT_NAMES:
		snprintf(buf, n, "comma-separated names of at most %llu bytes", k->max);
		break;
	case KT_ADDRESS:
		snprintf(buf, n, "/path, 127.0.0.1:PORT or [::1]:PORT");
		break;
	case KT_HOSTPORT:
		break;
	}
}

/* The field of key k in base: a struct config, or a struct config_user for per_user keys. */
static void *field_ptr(void *base, const struct key_def *k)
{
	return (char *)base + k->offset;
}

/* Stored as a char * (NULL = unset)? Otherwise an unsigned, a bool or an int (enum). */
static bool key_is_string(const struct key_def *k)
{
	switch (k->type) {
	case KT_STRING:
	case KT_PATH:
	case KT_HOSTPORT:
	case KT_NAMES:
	case KT_ADDRESS:
		return true;
	case KT_UINT:
	case KT_BOOL:
	case KT_OCTAL:
	case KT_DURATION:
	case KT_SIZE:
	case KT_ENUM:
		return false;
	}
	return false;
}

/* Parse v for key k and store it in c. */
static bool parse_value(const struct key_def *k, const char *v, void *c, char *err, size_t errlen)
{
	unsigned long long n = 0;
	char lo[32], hi[32];

	if (v[0] == '\0' && !(k->type == KT_STRING && k->empty_ok) && k->type != KT_NAMES) {
		snprintf(err, errlen, "must not be empty (comment the line out to use the default)");
		return false;
	}
	switch (k->type) {
	case KT_PATH:
		if (v[0] != '/') {
			snprintf(err, errlen, "must be an absolute path, got '%s'", v);
			return false;
		}
		/* fall through */
	case KT_STRING:
	case KT_HOSTPORT:
	case KT_NAMES:
	case KT_ADDRESS: {
		size_t len = strlen(v);
		char *dup;
		if (k->type == KT_NAMES) {
			dup = confval_parse_names(v, k->max, err, errlen);
			if (dup == NULL)
				return false;
			goto store;
		}
		if (k->type == KT_ADDRESS) {
			if (!confval_check_address(v, k->max, err, errlen))
				return false;
		} else if (k->max != 0 && len > k->max) {
			snprintf(err, errlen, "must be at most %llu bytes, got %zu", k->max, len);
			return false;
		}
		if (k->type == KT_HOSTPORT && !confval_check_hostport(v, err, errlen))
			return false;
		dup = strdup(v);
		if (dup == NULL) {
			snprintf(err, errlen, "out of memory");
			return false;
		}
	store:;
		char **fp = field_ptr(c, k);
		if (*fp != NULL) {
			explicit_bzero(*fp, strlen(*fp));
			free(*fp);
		}
		*fp = dup;
		return true;
	}
	case KT_BOOL: {
		int b = confval_parse_bool(v);
		if (b < 0) {
			snprintf(err, errlen, "expected yes or no (or true/false, on/off, 1/0), got '%s'", v);
			return false;
		}
		*(bool *)field_ptr(c, k) = b != 0;
		return true;
	}
	case KT_ENUM: {
		int e = k->parse_enum(v);
		if (e < 0) {
			snprintf(err, errlen, "expected one of %s, got '%s'", k->choices, v);
			return false;
		}
		*(int *)field_ptr(c, k) = e;
		return true;
	}
	case KT_UINT:
		if (!confval_parse_uint(v, &n)) {
			snprintf(err, errlen, "expected a whole number, got '%s'", v);
			return false;
		}
		break;
	case KT_OCTAL:
		if (!confval_parse_octal(v, &n, err, errlen))
			return false;
		break;
	case KT_DURATION:
		if (!confval_parse_duration(v, k->bare_ms ? 1 : MS_PER_S, &n, err, errlen))
			return false;
		break;
	case KT_SIZE:
		if (!confval_parse_size(v, &n, err, errlen))
			return false;
		break;
	}
	if (n < k->min || n > k->max) {
		format_number(k, k->min, lo, sizeof(lo));
		format_number(k, k->max, hi, sizeof(hi));
		snprintf(err, errlen, "must be %s..%s, got %s", lo, hi, v);
		return false;
	}
	*(unsigned *)field_ptr(c, k) = (unsigned)n;
	return true;
}

/* ---------------------------------------------------------------------------------------------
 * Parsing a file. */

enum section { SEC_NONE, SEC_BAD, SEC_MYPOOLD, SEC_BACKEND, SEC_USERS, SEC_USER };

static const char *const section_names[] = {
	[SEC_MYPOOLD] = "mypoold",
	[SEC_BACKEND] = "backend",
	[SEC_USERS] = "users",
};

struct parse {
	const char *name; /* file name for messages */
	FILE *errs;
	int nerr;
	/* the reader */
	const char *p, *end;
	int lineno;
	enum section section;
	/* results */
	struct config *c;
	int key_line[N_KEYS]; /* line that set each key; 0 = not set */
	bool key_bad[N_KEYS]; /* the key had an invalid value */
	int *user_line;       /* line of each user, parallel to c->users */
	size_t users_cap;
	/* [user.NAME] sections, matched with [users] at the end; the last one is current */
	struct user_section {
		char *name;
		int line;
		struct config_user u; /* only the per_user keys */
		int key_line[N_KEYS];
	} *usecs;
	size_t n_usecs;
};

static void perr(struct parse *ps, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void perr(struct parse *ps, int line, const char *fmt, ...)
{
	va_list ap;
	ps->nerr++;
	if (ps->errs == NULL)
		return;
	if (line > 0)
		fprintf(ps->errs, "%s:%d: ", ps->name, line);
	else
		fprintf(ps->errs, "%s: ", ps->name);
	va_start(ap, fmt);
	vfprintf(ps->errs, fmt, ap);
	va_end(ap);
	fputc('\n', ps->errs);
}

/* Edit distance (for "did you mean"); case-insensitive; strings are short. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[CONFIG_MAX_LINE + 2];
	if (la > CONFIG_MAX_LINE || lb > CONFIG_MAX_LINE)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static bool close_enough(const char *typed, const char *known)
{
	size_t d = edit_distance(typed, known);
	return d <= 2 && d < strlen(known);
}

static int find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* `section` as in the table ("user.NAME" for the per-user sections), `shown` as in the file. */
static void report_unknown_key(struct parse *ps, const char *section, const char *shown, const char *name)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(keys[i].name, name) == 0 && strcmp(keys[i].section, section) != 0) {
			perr(ps, ps->lineno, "key '%s': unknown key in [%s] (it belongs in [%s])", name, shown,
			     keys[i].section);
			return;
		}
		if (strcmp(keys[i].section, section) == 0 && close_enough(name, keys[i].name)) {
			size_t d = edit_distance(name, keys[i].name);
			if (d < best_d) {
				best_d = d;
				best = keys[i].name;
			}
		}
	}
	if (best != NULL)
		perr(ps, ps->lineno, "key '%s': unknown key in [%s] (did you mean '%s'?)", name, shown, best);
	else
		perr(ps, ps->lineno, "key '%s': unknown key in [%s]", name, shown);
}

/* Set key `name` of the table's `section` (written [shown] in the file) in base, a struct config
 * or a [user.NAME] section's struct config_user; key_line and key_bad are that section's. */
static void set_key(struct parse *ps, const char *section, const char *shown, void *base, int *key_line,
		    bool *key_bad, const char *name, const char *value)
{
	char err[CONFIG_MAX_LINE + 200];
	int i = find_key(section, name);
	if (i < 0) {
		report_unknown_key(ps, section, shown, name);
		return;
	}
	if (key_line[i] != 0) {
		perr(ps, ps->lineno, "key '%s': set twice in [%s] (first on line %d)", name, shown, key_line[i]);
		return;
	}
	key_line[i] = ps->lineno;
	if (!parse_value(&keys[i], value, base, err, sizeof(err))) {
		key_bad[i] = true;
		perr(ps, ps->lineno, "key '%s': %s", name, err);
	}
}

static void add_user(struct parse *ps, const char *name, const char *value)
{
	struct config *c = ps->c;
	struct config_user u;
	size_t len = strlen(name);

	if (len > CONFIG_MAX_USER_NAME) {
		perr(ps, ps->lineno, "key '%s': user name is %zu bytes long, the limit is %d", name, len,
		     CONFIG_MAX_USER_NAME);
		return;
	}
	for (size_t i = 0; i < c->n_users; i++) {
		if (strcmp(c->users[i].name, name) == 0) {
			perr(ps, ps->lineno, "key '%s': user defined twice in [users] (first on line %d)", name,
			     ps->user_line[i]);
			return;
		}
	}
	memset(&u, 0, sizeof(u));
	if (strncmp(value, ED25519_PREFIX, strlen(ED25519_PREFIX)) == 0) {
		if (auth_ed25519_parse_key(value + strlen(ED25519_PREFIX), u.ed25519_key) != 0) {
			perr(ps, ps->lineno, "key '%s': an ed25519 key is '" ED25519_PREFIX "' and the 43 base64 "
			     "characters MariaDB stores for the account (SHOW CREATE USER)", name);
			return;
		}
		u.has_ed25519 = u.has_password = true;
	} else if (auth_parse_password(value, u.stage2, &u.has_password) != 0) {
		/* Never echo the value: it may be a password. */
		size_t n = strlen(value) - 1;
		if (n == 40)
			perr(ps, ps->lineno, "key '%s': a password hash '*...' must have 40 hex digits, "
			     "this one has other characters", name);
		else
			perr(ps, ps->lineno, "key '%s': a password starting with '*' must be a MySQL hash: "
			     "'*' and 40 hex digits (got %zu characters after '*')", name, n);
		return;
	}
	if (u.has_password && !u.has_ed25519 && value[0] != '*') {
		auth_sha2_stage2(value, strlen(value), u.sha2_stage2);
		u.has_sha2 = true;
	}
	if (c->n_users == ps->users_cap) {
		size_t cap = ps->users_cap ? 2 * ps->users_cap : 8;
		struct config_user *nu = realloc(c->users, cap * sizeof(*nu));
		if (nu == NULL) {
			perr(ps, ps->lineno, "out of memory");
			return;
		}
		c->users = nu;
		int *nl = realloc(ps->user_line, cap * sizeof(*nl));
		if (nl == NULL) {
			perr(ps, ps->lineno, "out of memory");
			return;
		}
		ps->user_line = nl;
		ps->users_cap = cap;
	}
	u.name = strdup(name);
	if (u.name == NULL) {
		perr(ps, ps->lineno, "out of memory");
		return;
	}
	ps->user_line[c->n_users] = ps->lineno;
	c->users[c->n_users++] = u;
	explicit_bzero(&u, sizeof(u));
}

/* inih handler; the section comes from our reader (the same text inih saw). */
static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	switch (ps->section) {
	case SEC_NONE:
		perr(ps, ps->lineno, "key '%s': outside of any section (start with [mypoold], [backend] or [users])",
		     name);
		break;
	case SEC_BAD:
		break; /* the section header was reported */
	case SEC_USERS:
		add_user(ps, name, value);
		break;
	case SEC_USER: {
		struct user_section *us = &ps->usecs[ps->n_usecs - 1];
		bool bad[N_KEYS] = { false }; /* check_whole only needs to know what is set */
		set_key(ps, USER_SECTION, section, &us->u, us->key_line, bad, name, value);
		break;
	}
	case SEC_MYPOOLD:
	case SEC_BACKEND:
		set_key(ps, section_names[ps->section], section, ps->c, ps->key_line, ps->key_bad, name, value);
		break;
	}
	return 1; /* errors are counted by us; inih's return value is for its own syntax errors */
}

/* inih's rule for where a value or section name ends: at one of `chars`, or at ';' after
 * whitespace (an inline comment). */
static char *find_chars_or_comment(char *s, const char *chars)
{
	bool was_space = false;
	while (*s != '\0' && (chars == NULL || strchr(chars, *s) == NULL) && !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s) != 0;
		s++;
	}
	return s;
}

/* The header [user.NAME]: a new section for the [users] entry NAME (matched in check_whole). */
static void user_section(struct parse *ps, const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > CONFIG_MAX_USER_NAME) {
		perr(ps, ps->lineno, "section [%s%s]: a user name of 1 to %d bytes must follow '%s'", USER_PREFIX,
		     name, CONFIG_MAX_USER_NAME, USER_PREFIX);
		return;
	}
	for (size_t i = 0; i < ps->n_usecs; i++) {
		if (strcmp(ps->usecs[i].name, name) == 0) {
			perr(ps, ps->lineno, "section [%s%s] is already on line %d", USER_PREFIX, name,
			     ps->usecs[i].line);
			return;
		}
	}
	struct user_section *n = realloc(ps->usecs, (ps->n_usecs + 1) * sizeof(*n));
	if (n == NULL) {
		perr(ps, ps->lineno, "out of memory");
		return;
	}
	ps->usecs = n;
	struct user_section *us = memset(&n[ps->n_usecs], 0, sizeof(*us));
	us->name = strdup(name);
	if (us->name == NULL) {
		perr(ps, ps->lineno, "out of memory");
		return;
	}
	us->line = ps->lineno;
	ps->n_usecs++;
	ps->section = SEC_USER;
}

static void section_header(struct parse *ps, char *line)
{
	char *end = find_chars_or_comment(line + 1, "]");
	if (*end != ']') {
		perr(ps, ps->lineno, "section header without ']'");
		ps->section = SEC_BAD;
		line[0] = '\0';
		return;
	}
	char *rest = end + 1;
	while (isspace((unsigned char)*rest))
		rest++;
	if (*rest != '\0' && *rest != ';' && *rest != '#')
		perr(ps, ps->lineno, "unexpected text after ']'");

	size_t n = (size_t)(end - (line + 1));
	char name[CONFIG_MAX_LINE + 1];
	memcpy(name, line + 1, n);
	name[n] = '\0';
	for (int s = SEC_MYPOOLD; s <= SEC_USERS; s++) {
		if (strcmp(name, section_names[s]) == 0) {
			ps->section = (enum section)s;
			return;
		}
	}
	ps->section = SEC_BAD;
	if (strncmp(name, USER_PREFIX, strlen(USER_PREFIX)) == 0) {
		user_section(ps, name + strlen(USER_PREFIX));
		return;
	}
	for (int s = SEC_MYPOOLD; s <= SEC_USERS; s++) {
		if (close_enough(name, section_names[s])) {
			perr(ps, ps->lineno, "unknown section [%s] (did you mean [%s]?)", name, section_names[s]);
			return;
		}
	}
	perr(ps, ps->lineno, "unknown section [%s] (expected [mypoold], [backend], [users] or [user.NAME])", name);
}

/* fgets-style reader for ini_parse_stream: returns exactly one line of the text per call. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	if (ps->p >= ps->end || num < 2)
		return NULL;

	const char *start = ps->p;
	const char *nl = memchr(start, '\n', (size_t)(ps->end - start));
	size_t len = (size_t)((nl != NULL ? nl : ps->end) - start);
	ps->p = nl != NULL ? nl + 1 : ps->end;
	ps->lineno++;
	str[0] = '\0';

	if (len > 0 && start[len - 1] == '\r')
		len--;
	if (ps->lineno == 1 && len >= 3 && memcmp(start, "\xef\xbb\xbf", 3) == 0) {
		start += 3;
		len -= 3;
	}
	size_t limit = (size_t)num - 1 < CONFIG_MAX_LINE ? (size_t)num - 1 : CONFIG_MAX_LINE;
	if (len > limit) {
		perr(ps, ps->lineno, "line is %zu characters long, the limit is %zu", len, limit);
		return str;
	}
	if (memchr(start, '\0', len) != NULL) {
		perr(ps, ps->lineno, "NUL byte in line");
		return str;
	}
	/* No continuation lines: leading whitespace is just indentation. */
	while (len > 0 && isspace((unsigned char)*start)) {
		start++;
		len--;
	}
	memcpy(str, start, len);
	str[len] = '\0';

	if (str[0] == '\0' || str[0] == ';' || str[0] == '#')
		return str;
	if (str[0] == '[') {
		section_header(ps, str);
		return str;
	}
	char *sep = find_chars_or_comment(str, "=:");
	if (*sep != '=' && *sep != ':') {
		perr(ps, ps->lineno, "expected 'key = value' or '[section]'");
		str[0] = '\0';
	} else if (sep == str) {
		perr(ps, ps->lineno, "missing key name before '%c'", *sep);
		str[0] = '\0';
	}
	return str;
}

static char *str_take(char **p)
{
	char *v = *p;
	*p = NULL;
	return v;
}

/* Give the [users] entry of a [user.NAME] section its server account. */
static void apply_user_section(struct parse *ps, struct user_section *us)
{
	struct config *c = ps->c;
	struct config_user *u = NULL;
	for (size_t i = 0; i < c->n_users && u == NULL; i++)
		if (strcmp(c->users[i].name, us->name) == 0)
			u = &c->users[i];
	if (u == NULL) {
		perr(ps, us->line, "section [%s%s]: there is no user '%s' in [users]", USER_PREFIX, us->name,
		     us->name);
		return;
	}
	const char *acct = us->u.backend_user;
	if (acct == NULL) {
		if (us->key_line[find_key(USER_SECTION, "backend_user")] == 0) /* else it was reported */
			perr(ps, us->line, "section [%s%s]: key 'backend_user' is required", USER_PREFIX, us->name);
		return;
	}
	if (us->u.backend_password == NULL && (us->u.backend_password = strdup("")) == NULL) {
		perr(ps, us->line, "out of memory");
		return;
	}
	/* mypool tells server accounts apart by their name: one name, one password, one cap (the
	 * [backend] account has none but pool_size). */
	const char *pw = us->u.backend_password, *other = NULL, *what = NULL;
	unsigned max = us->u.backend_max_connections;
	if (c->backend_user != NULL && strcmp(c->backend_user, acct) == 0) {
		other = "[backend]";
		what = strcmp(c->backend_password, pw) != 0 ? "backend_password" : max ? "max_server_connections" : NULL;
	}
	for (size_t i = 0; i < c->n_users && what == NULL; i++) {
		const struct config_user *o = &c->users[i];
		if (o->backend_user == NULL || strcmp(o->backend_user, acct) != 0)
			continue;
		other = o->name;
		what = strcmp(o->backend_password, pw) != 0	 ? "backend_password"
		       : o->backend_max_connections != max ? "max_server_connections"
							    : NULL;
	}
	if (what != NULL) {
		perr(ps, us->line, "section [%s%s]: account '%s' has another %s in %s%s%s", USER_PREFIX, us->name,
		     acct, what, other[0] == '[' ? "" : "[" USER_PREFIX, other, other[0] == '[' ? "" : "]");
		return;
	}
	u->backend_max_connections = max;
	u->backend_user = str_take(&us->u.backend_user);
	u->backend_password = str_take(&us->u.backend_password);
}

/* strcmp order, which config_find_user's search follows (names have no NUL inside). */
static int user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct config_user *)a)->name, ((const struct config_user *)b)->name);
}

static void free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void check_whole(struct parse *ps)
{
	struct config *c = ps->c;
	int i_socket = find_key("backend", "socket"), i_host = find_key("backend", "host");
	int i_pool = find_key("backend", "pool_size"), i_idle = find_key("backend", "min_idle");
	int i_user = find_key("backend", "user");

	if (c->backend_user == NULL && !ps->key_bad[i_user])
		perr(ps, 0, "key 'user': required in [backend], not set");
	if (c->backend_socket != NULL && c->backend_host != NULL)
		perr(ps, 0, "[backend]: set either 'socket' (line %d) or 'host' (line %d), not both",
		     ps->key_line[i_socket], ps->key_line[i_host]);
	else if (c->backend_socket == NULL && c->backend_host == NULL && !ps->key_bad[i_socket] &&
		 !ps->key_bad[i_host])
		perr(ps, 0, "[backend]: set 'socket' (a Unix socket) or 'host' (TCP) for the server");
	if (c->min_idle > c->pool_size && !ps->key_bad[i_pool] && !ps->key_bad[i_idle])
		perr(ps, ps->key_line[i_idle], "key 'min_idle': must be at most pool_size (%u), got %u",
		     c->pool_size, c->min_idle);
	if (c->n_users == 0)
		perr(ps, 0, "[users]: at least one user is required");
	for (size_t i = 0; i < ps->n_usecs; i++)
		apply_user_section(ps, &ps->usecs[i]);
	if (c->group != NULL && c->user == NULL && !ps->key_bad[find_key("mypoold", "user")])
		perr(ps, ps->key_line[find_key("mypoold", "group")],
		     "key 'group': only used with 'user' (set user too, or remove group)");
	if (c->metrics_listen != NULL && c->listen != NULL && strcmp(c->metrics_listen, c->listen) == 0)
		perr(ps, ps->key_line[find_key("mypoold", "metrics_listen")],
		     "key 'metrics_listen': must differ from listen (%s)", c->listen);
	if (c->pidfile != NULL && c->listen != NULL && strcmp(c->pidfile, c->listen) == 0)
		perr(ps, ps->key_line[find_key("mypoold", "pidfile")], "key 'pidfile': must differ from listen (%s)",
		     c->listen);
}

static struct config *config_new(const char *name)
{
	char err[256];
	struct config *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->path = strdup(name);
	if (c->path == NULL) {
		free(c);
		return NULL;
	}
	for (size_t i = 0; i < N_KEYS; i++) {
		if (keys[i].def == NULL || keys[i].per_user)
			continue;
		if (!parse_value(&keys[i], keys[i].def, c, err, sizeof(err))) {
			/* A bug in the table; the unit test loads the defaults. */
			fprintf(stderr, "config: bad default for '%s': %s\n", keys[i].name, err);
			abort();
		}
	}
	return c;
}

static int parse_text(const char *text, size_t len, const char *name, FILE *errs, struct config **out)
{
	struct parse *ps = calloc(1, sizeof(*ps));
	int n;
	if (ps == NULL) {
		if (errs != NULL)
			fprintf(errs, "%s: out of memory\n", name);
		return 1;
	}
	ps->name = name;
	ps->errs = errs;
	ps->p = text;
	ps->end = text + len;
	ps->section = SEC_NONE;
	ps->c = config_new(name);
	if (ps->c == NULL) {
		perr(ps, 0, "out of memory");
		free(ps);
		return 1;
	}

	int r = ini_parse_stream(reader, ps, handler, ps);
	if (r > 0)
		perr(ps, r, "syntax error");
	else if (r < 0)
		perr(ps, 0, "cannot parse (inih error %d)", r);
	check_whole(ps);

	n = ps->nerr;
	if (n == 0) {
		/* By name, for config_find_user's binary search (every login and checkout). */
		qsort(ps->c->users, ps->c->n_users, sizeof(*ps->c->users), user_cmp);
		*out = ps->c;
	} else {
		config_free(ps->c);
	}
	free(ps->user_line);
	for (size_t i = 0; i < ps->n_usecs; i++) {
		free(ps->usecs[i].name);
		free_secret(ps->usecs[i].u.backend_user);
		free_secret(ps->usecs[i].u.backend_password);
	}
	free(ps->usecs);
	free(ps);
	return n;
}

int config_load_string(const char *text, const char *name, FILE *errs, struct config **out)
{
	return parse_text(text, strlen(text), name, errs, out);
}

int config_load(const char *path, FILE *errs, struct config **out)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	char *text;
	size_t len = 0;
	int n;

	if (f == NULL) {
		if (errs != NULL)
			fprintf(errs, "%s: cannot open: %s\n", path, strerror(errno));
		return 1;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		if (errs != NULL)
			fprintf(errs, "%s: not a regular file\n", path);
		fclose(f);
		return 1;
	}
	if ((unsigned long long)st.st_size > CONFIG_MAX_FILE) {
		if (errs != NULL)
			fprintf(errs, "%s: file is larger than %llu bytes\n", path, CONFIG_MAX_FILE);
		fclose(f);
		return 1;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		if (errs != NULL)
			fprintf(errs, "%s: out of memory\n", path);
		fclose(f);
		return 1;
	}
	len = fread(text, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		if (errs != NULL)
			fprintf(errs, "%s: read error: %s\n", path, strerror(errno));
		fclose(f);
		free(text);
		return 1;
	}
	fclose(f);
	text[len] = '\0';
	n = parse_text(text, len, path, errs, out);
	explicit_bzero(text, len); /* passwords */
	free(text);
	return n;
}

void config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < N_KEYS; i++)
		if (key_is_string(&keys[i]) && !keys[i].per_user)
			free_secret(*(char **)field_ptr(c, &keys[i]));
	for (size_t i = 0; i < c->n_users; i++) {
		free(c->users[i].name);
		free_secret(c->users[i].backend_user);
		free_secret(c->users[i].backend_password);
	}
	if (c->users != NULL)
		explicit_bzero(c->users, c->n_users * sizeof(*c->users));
	free(c->users);
	free(c->path);
	free(c);
}

int config_keep_fixed(struct config *next, const struct config *cur, char *changed, size_t len)
{
	int n = 0;
	size_t used = 0;
	if (len > 0)
		changed[0] = '\0';
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_def *k = &keys[i];
		if (k->reloadable || k->per_user)
			continue;
		void *np = field_ptr(next, k);
		const void *cp = (const char *)cur + k->offset;
		if (key_is_string(k)) {
			char **ns = np;
			const char *cs = *(char *const *)cp;
			if ((*ns == NULL && cs == NULL) || (*ns != NULL && cs != NULL && strcmp(*ns, cs) == 0))
				continue;
			char *dup = NULL;
			if (cs != NULL && (dup = strdup(cs)) == NULL)
				return -1;
			free(*ns);
			*ns = dup;
		} else if (k->type == KT_BOOL) {
			if (*(bool *)np == *(const bool *)cp)
				continue;
			*(bool *)np = *(const bool *)cp;
		} else if (k->type == KT_ENUM) {
			if (*(int *)np == *(const int *)cp)
				continue;
			*(int *)np = *(const int *)cp;
		} else {
			if (*(unsigned *)np == *(const unsigned *)cp)
				continue;
			*(unsigned *)np = *(const unsigned *)cp;
		}
		if (used < len) {
			int w = snprintf(changed + used, len - used, "%s%s", n > 0 ? ", " : "", k->name);
			used += w > 0 ? (size_t)w : 0;
		}
		n++;
	}
	return n;
}

int config_value(const struct config *c, const char *section, const char *name, char *buf, size_t len)
{
	int i = find_key(section, name);
	if (i < 0 || len == 0 || keys[i].per_user)
		return -1;
	const struct key_def *k = &keys[i];
	const void *fp = (const char *)c + k->offset;
	if (key_is_string(k)) {
		const char *v = *(char *const *)fp;
		if (v == NULL)
			return -1;
		snprintf(buf, len, "%s", k->secret && v[0] != '\0' ? "(hidden)" : v);
		return 0;
	}
	switch (k->type) {
	case KT_BOOL:
		snprintf(buf, len, "%s", *(const bool *)fp ? "yes" : "no");
		break;
	case KT_ENUM:
		snprintf(buf, len, "%s", k->enum_name(*(const int *)fp));
		break;
	case KT_UINT:
	case KT_OCTAL:
	case KT_DURATION:
	case KT_SIZE:
		format_number(k, *(const unsigned *)fp, buf, len);
		break;
	case KT_STRING:
	case KT_PATH:
	case KT_HOSTPORT:
	case KT_NAMES:
	case KT_ADDRESS:
		return -1; /* handled above */
	}
	return 0;
}

const struct config_user *config_find_user(const struct config *c, const char *name, size_t name_len)
{
	size_t lo = 0, hi = c->n_users;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct config_user *u = &c->users[mid];
		size_t ul = strlen(u->name);
		int r = memcmp(u->name, name, ul < name_len ? ul : name_len);
		if (r == 0)
			r = (ul > name_len) - (ul < name_len);
		if (r == 0)
			return u;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void config_user_account(const struct config *c, const struct config_user *u, const char **user,
			 const char **password)
{
	*user = u->backend_user != NULL ? u->backend_user : c->backend_user;
	*password = u->backend_user != NULL ? u->backend_password : c->backend_password;
}

const char *config_account_password(const struct config *c, const char *user)
{
	if (strcmp(c->backend_user, user) == 0)
		return c->backend_password;
	for (size_t i = 0; i < c->n_users; i++)
		if (c->users[i].backend_user != NULL && strcmp(c->users[i].backend_user, user) == 0)
			return c->users[i].backend_password;
	return NULL;
}

static bool str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

bool config_accounts_changed(const struct config *old, const struct config *next)
{
	if (str_differs(old->backend_socket, next->backend_socket) ||
	    str_differs(old->backend_host, next->backend_host) || old->backend_port != next->backend_port ||
	    str_differs(old->backend_password, config_account_password(next, old->backend_user)))
		return true;
	for (size_t i = 0; i < old->n_users; i++) {
		const struct config_user *u = &old->users[i];
		if (u->backend_user != NULL && str_differs(u->backend_password, config_account_password(next, u->backend_user)))
			return true;
	}
	return false;
}

/* ---------------------------------------------------------------------------------------------
 * The public view of the table. */

static struct config_key_info key_infos[N_KEYS];
static char key_ranges[N_KEYS][72];
static pthread_once_t key_infos_once = PTHREAD_ONCE_INIT;

static void key_infos_init(void)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		format_range(&keys[i], key_ranges[i], sizeof(key_ranges[i]));
		key_infos[i] = (struct config_key_info){
			.section = keys[i].section,
			.name = keys[i].name,
			.default_value = keys[i].def,
			.doc = keys[i].doc,
			.reloadable = keys[i].reloadable,
			.type = type_names[keys[i].type],
			.range = key_ranges[i][0] != '\0' ? key_ranges[i] : NULL,
		};
	}
}

size_t config_keys(const struct config_key_info **out)
{
	pthread_once(&key_infos_once, key_infos_init);
	*out = key_infos;
	return N_KEYS;
}
