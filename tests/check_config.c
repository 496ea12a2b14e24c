#include "autoconfig.h"

#include "check_main.h"

#include "auth.h"
#include "config.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SRCDIR
#define SRCDIR "."
#endif

#define REFERENCE_INI SRCDIR "/conf/mypoold.ini"
#define MINIMAL_INI SRCDIR "/conf/minimal.ini"

/* --- helpers ----------------------------------------------------------------------------- */

/* Load `text` as file "t.ini"; returns the error count, the messages in *errs (caller frees). */
static int load(const char *text, char **errs, struct config **out)
{
	size_t len = 0;
	FILE *f = open_memstream(errs, &len);
	ck_assert_ptr_nonnull(f);
	int n = config_load_string(text, "t.ini", f, out);
	fclose(f);
	return n;
}

static struct config *load_ok(const char *text)
{
	char *errs = NULL;
	struct config *c = NULL;
	int n = load(text, &errs, &c);
	ck_assert_msg(n == 0, "expected no errors, got %d:\n%s", n, errs);
	ck_assert_str_eq(errs, "");
	ck_assert_ptr_nonnull(c);
	free(errs);
	return c;
}

/* The load must fail with exactly `expected` (one message per line) and leave *out alone. */
static void load_err(const char *text, const char *expected)
{
	char *errs = NULL;
	struct config *sentinel = (struct config *)&sentinel, *c = sentinel;
	int lines = 0;
	for (const char *p = expected; *p != '\0'; p++)
		lines += *p == '\n';
	int n = load(text, &errs, &c);
	ck_assert_str_eq(errs, expected);
	ck_assert_int_eq(n, lines);
	ck_assert_ptr_eq(c, sentinel);
	free(errs);
}

/* A valid base config with one extra "key = value" in `section` on line 7. */
#define BASE "[backend]\nsocket = /tmp/db.sock\nuser = u\n[users]\napp = pw\n"
#define BASE_ACCOUNTS "[backend]\nsocket = /tmp/db.sock\nuser = svc\npassword = svcpw\n" \
	"[users]\nrep = pw\n[user.rep]\nbackend_user = report_ro\nbackend_password = s3cret\n"
static char *with_key(const char *section, const char *key, const char *value)
{
	char *s = NULL;
	ck_assert_int_gt(asprintf(&s, BASE "[%s]\n%s = %s\n", section, key, value), 0);
	return s;
}

static struct config *load_key_ok(const char *section, const char *key, const char *value)
{
	char *text = with_key(section, key, value);
	struct config *c = load_ok(text);
	free(text);
	return c;
}

/* Expect "t.ini:7: key 'KEY': MESSAGE". */
static void load_key_err(const char *section, const char *key, const char *value, const char *message)
{
	char *text = with_key(section, key, value), *expected = NULL;
	ck_assert_int_gt(asprintf(&expected, "t.ini:7: key '%s': %s\n", key, message), 0);
	load_err(text, expected);
	free(text);
	free(expected);
}

/* n copies of ch (caller frees). */
static char *line_of(char ch, size_t n)
{
	char *s = malloc(n + 1);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

/* --- the shipped files ------------------------------------------------------------------- */

START_TEST(reference_file_loads)
{
	char *errs = NULL;
	size_t len = 0;
	struct config *c = NULL;
	FILE *f = open_memstream(&errs, &len);
	int n = config_load(REFERENCE_INI, f, &c);
	fclose(f);
	ck_assert_msg(n == 0, "%s", errs);
	ck_assert_str_eq(errs, "");
	ck_assert_str_eq(c->path, REFERENCE_INI);
	ck_assert_str_eq(c->backend_socket, "/run/mysqld/mysqld.sock");
	ck_assert_ptr_null(c->backend_host);
	ck_assert_uint_eq(c->n_users, 2);
	/* "app" is a plain password, "reporting" the hash of the same password. */
	const struct config_user *app = config_find_user(c, "app", 3);
	const struct config_user *rep = config_find_user(c, "reporting", 9);
	ck_assert_ptr_nonnull(app);
	ck_assert_ptr_nonnull(rep);
	ck_assert(app->has_password && app->has_sha2);
	ck_assert(rep->has_password && !rep->has_sha2);
	ck_assert_mem_eq(app->stage2, rep->stage2, 20);
	/* [user.reporting] gives "reporting" its own server account. */
	const char *user, *pw;
	config_user_account(c, rep, &user, &pw);
	ck_assert_str_eq(user, "report_ro");
	config_user_account(c, app, &user, &pw);
	ck_assert_str_eq(user, c->backend_user);
	free(errs);
	config_free(c);
}
END_TEST

START_TEST(minimal_file_loads)
{
	char *errs = NULL;
	size_t len = 0;
	struct config *c = NULL;
	FILE *f = open_memstream(&errs, &len);
	int n = config_load(MINIMAL_INI, f, &c);
	fclose(f);
	ck_assert_msg(n == 0, "%s", errs);
	ck_assert_str_eq(c->listen, "/tmp/mypool-demo/mypool.sock");
	ck_assert_ptr_nonnull(c->backend_socket);
	ck_assert_ptr_nonnull(c->backend_user);
	ck_assert_uint_eq(c->pool_size, 4);
	ck_assert_uint_eq(c->n_users, 1);
	ck_assert_ptr_nonnull(config_find_user(c, "app", 3));
	free(errs);
	config_free(c);
}
END_TEST

/* Every key of the table appears exactly once in conf/mypoold.ini (set, or commented out as
 * ";key = default"), right after its doc line and its "type, range, default" line, and the file
 * has no key that the table lacks. */
#define MAX_REF_LINES 2000
START_TEST(reference_file_matches_table)
{
	const struct config_key_info *k;
	size_t nk = config_keys(&k);
	int *seen = calloc(nk, sizeof(*seen));
	char(*lines)[256] = calloc(MAX_REF_LINES, sizeof(*lines));
	int nl = 0;
	char section[64] = "";
	FILE *f = fopen(REFERENCE_INI, "r");
	ck_assert_msg(f != NULL, "%s: %s", REFERENCE_INI, strerror(errno));
	while (nl < MAX_REF_LINES && fgets(lines[nl], sizeof(lines[nl]), f) != NULL) {
		lines[nl][strcspn(lines[nl], "\r\n")] = '\0';
		nl++;
	}
	fclose(f);
	ck_assert_int_lt(nl, MAX_REF_LINES);

	for (int i = 0; i < nl; i++) {
		const char *s = lines[i];
		bool commented = false;
		s += strspn(s, " \t");
		if (s[0] == '[') {
			size_t n = strcspn(s + 1, "]");
			ck_assert_uint_lt(n, sizeof(section));
			memcpy(section, s + 1, n);
			section[n] = '\0';
			if (strncmp(section, "user.", 5) == 0)
				snprintf(section, sizeof(section), "user.NAME"); /* the table's name for them */
			continue;
		}
		if (strcmp(section, "users") == 0)
			continue; /* user entries, not keys */
		if (s[0] == ';' || s[0] == '#') {
			commented = true;
			s++;
			s += strspn(s, " \t");
		}
		size_t nlen = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");
		const char *after = s + nlen + strspn(s + nlen, " \t");
		if (nlen == 0 || *after != '=')
			continue; /* prose */
		char name[64];
		ck_assert_uint_lt(nlen, sizeof(name));
		memcpy(name, s, nlen);
		name[nlen] = '\0';
		const char *value = after + 1 + strspn(after + 1, " \t");

		size_t idx = nk;
		for (size_t j = 0; j < nk; j++)
			if (strcmp(k[j].section, section) == 0 && strcmp(k[j].name, name) == 0)
				idx = j;
		ck_assert_msg(idx < nk, "mypoold.ini:%d: key [%s] %s is not in the config table", i + 1, section,
			      name);
		ck_assert_msg(seen[idx] == 0, "mypoold.ini:%d: key [%s] %s also on line %d", i + 1, section, name,
			      seen[idx]);
		seen[idx] = i + 1;

		/* The two comment lines above: the doc, then "type, range, default d[, restart required]". */
		char doc[256], meta[256];
		const char *dv = k[idx].default_value;
		snprintf(doc, sizeof(doc), "; %s", k[idx].doc);
		snprintf(meta, sizeof(meta), "; %s%s%s, default %s%s", k[idx].type, k[idx].range ? ", " : "",
			 k[idx].range ? k[idx].range : "", dv == NULL ? "none" : dv[0] == '\0' ? "empty" : dv,
			 k[idx].reloadable ? "" : ", restart required");
		ck_assert_msg(i >= 2 && strcmp(lines[i - 2], doc) == 0, "mypoold.ini:%d: expected doc line '%s'",
			      i - 1, doc);
		ck_assert_msg(strcmp(lines[i - 1], meta) == 0, "mypoold.ini:%d: expected '%s', got '%s'", i,
			      meta, lines[i - 1]);
		if (commented && dv != NULL)
			ck_assert_msg(strcmp(value, dv) == 0, "mypoold.ini:%d: ;%s shows '%s', the default is '%s'",
				      i + 1, name, value, dv);
	}
	for (size_t j = 0; j < nk; j++)
		ck_assert_msg(seen[j] != 0, "key [%s] %s is in the table but not in conf/mypoold.ini", k[j].section,
			      k[j].name);
	free(seen);
	free(lines);
}
END_TEST

START_TEST(key_table)
{
	const struct config_key_info *k;
	size_t n = config_keys(&k);
	const char *fixed[] = { "listen",	  "socket_mode", "listen_tcp", "threads",	 "coro_stack_size",
				"pool_mode", "user",	     "group",	   "pidfile", "metrics_listen", "metrics_socket_mode" };
	for (size_t i = 0; i < n; i++) {
		bool is_fixed = false;
		for (size_t j = 0; j < sizeof(fixed) / sizeof(fixed[0]); j++)
			is_fixed |= strcmp(k[i].name, fixed[j]) == 0 && strcmp(k[i].section, "mypoold") == 0;
		ck_assert_msg(k[i].reloadable == !is_fixed, "%s", k[i].name);
		ck_assert_ptr_nonnull(k[i].doc);
		ck_assert_ptr_nonnull(k[i].type);
		for (size_t j = 0; j < i; j++) /* [mypoold] user and [backend] user are two keys */
			ck_assert_msg(strcmp(k[i].name, k[j].name) != 0 || strcmp(k[i].section, k[j].section) != 0,
				      "duplicate [%s] %s", k[i].section, k[i].name);
		if (strcmp(k[i].name, "pool_size") == 0) {
			ck_assert_str_eq(k[i].range, "1..10000");
			ck_assert_str_eq(k[i].default_value, "20");
		}
		if (strcmp(k[i].name, "pool_wait_timeout") == 0)
			ck_assert_str_eq(k[i].range, "1ms..1h");
		if (strcmp(k[i].name, "coro_stack_size") == 0)
			ck_assert_str_eq(k[i].range, "32K..8M");
		if (strcmp(k[i].name, "admin_users") == 0) {
			ck_assert_str_eq(k[i].type, "list");
			ck_assert_str_eq(k[i].default_value, "");
		}
		if (strcmp(k[i].name, "log_slow_ms") == 0)
			ck_assert_str_eq(k[i].range, "0..1h");
	}
}
END_TEST

/* --- values -------------------------------------------------------------------------------- */

START_TEST(defaults_applied)
{
	struct config *c = load_ok(BASE);
	ck_assert_str_eq(c->path, "t.ini");
	ck_assert_str_eq(c->listen, "/run/mypool/mypool.sock");
	ck_assert_uint_eq(c->socket_mode, 0777);
	ck_assert_ptr_null(c->listen_tcp);
	ck_assert_uint_eq(c->threads, 0);
	ck_assert_int_eq(c->log_level, LL_INFO);
	ck_assert(!c->log_syslog);
	ck_assert_int_eq(c->pool_mode, POOL_TRANSACTION);
	ck_assert_uint_eq(c->pool_wait_timeout_ms, 5000);
	ck_assert_uint_eq(c->shutdown_timeout_ms, 30000);
	ck_assert_uint_eq(c->max_client_conn, 10000);
	ck_assert_uint_eq(c->max_allowed_packet, 64u << 20);
	ck_assert_uint_eq(c->coro_stack_size, 128u << 10);
	ck_assert_uint_eq(c->client_idle_timeout_ms, 0);
	ck_assert_str_eq(c->server_version, "10.11.99-MariaDB-mypool");
	ck_assert_ptr_null(c->user);
	ck_assert_ptr_null(c->group);
	ck_assert_ptr_null(c->pidfile);
	ck_assert_str_eq(c->admin_users, "");
	ck_assert_ptr_null(c->metrics_listen);
	ck_assert_uint_eq(c->log_slow_ms, 0);
	ck_assert_str_eq(c->backend_socket, "/tmp/db.sock");
	ck_assert_ptr_null(c->backend_host);
	ck_assert_uint_eq(c->backend_port, 3306);
	ck_assert_str_eq(c->backend_user, "u");
	ck_assert_str_eq(c->backend_password, "");
	ck_assert_uint_eq(c->pool_size, 20);
	ck_assert_uint_eq(c->min_idle, 0);
	ck_assert_uint_eq(c->connect_timeout_ms, 5000);
	ck_assert_uint_eq(c->server_idle_timeout_ms, 600000);
	ck_assert_uint_eq(c->server_lifetime_ms, 3600000);
	ck_assert_uint_eq(c->n_users, 1);
	config_free(c);
}
END_TEST

static const struct {
	const char *value;
	unsigned ms;
} durations[] = {
	{ "500ms", 500 }, { "0.5", 500 },	  { "2min", 120000 }, { "5", 5000 },   { "5s", 5000 },
	{ "1.5s", 1500 }, { "1h", 3600000 },	  { "250 ms", 250 },  { "2MIN", 120000 }, { "0.001", 1 },
	{ "1ms", 1 },	  { "0.25min", 15000 }, { "3600", 3600000 },
};

START_TEST(duration_values)
{
	struct config *c = load_key_ok("mypoold", "pool_wait_timeout", durations[_i].value);
	ck_assert_msg(c->pool_wait_timeout_ms == durations[_i].ms, "'%s' gave %u ms", durations[_i].value,
		      c->pool_wait_timeout_ms);
	config_free(c);
}
END_TEST

START_TEST(duration_errors)
{
	load_key_err("mypoold", "pool_wait_timeout", "2h", "must be 1ms..1h, got 2h");
	load_key_err("mypoold", "pool_wait_timeout", "0", "must be 1ms..1h, got 0");
	load_key_err("mypoold", "pool_wait_timeout", "3601", "must be 1ms..1h, got 3601");
	load_key_err("mypoold", "pool_wait_timeout", "99999999999999999999h",
	             "must be 1ms..1h, got 99999999999999999999h");
	load_key_err("mypoold", "pool_wait_timeout", "5m",
		     "ambiguous unit in '5m': write 'min' for minutes or 'ms' for milliseconds");
	load_key_err("mypoold", "pool_wait_timeout", "0.0005",
	             "'0.0005' is not a whole number of milliseconds");
	load_key_err("mypoold", "pool_wait_timeout", "-1",
		     "expected a duration like 500ms, 5s, 0.5, 2min or 1h (a bare number is seconds), got '-1'");
	load_key_err("mypoold", "pool_wait_timeout", "5 days",
		     "expected a duration like 500ms, 5s, 0.5, 2min or 1h (a bare number is seconds), got '5 days'");
	load_key_err("backend", "server_lifetime", "721h", "must be 0..720h, got 721h");
	/* 0 = never where allowed */
	struct config *c = load_key_ok("backend", "server_lifetime", "0");
	ck_assert_uint_eq(c->server_lifetime_ms, 0);
	config_free(c);
}
END_TEST

START_TEST(size_values)
{
	struct config *c = load_key_ok("mypoold", "max_allowed_packet", "64M");
	ck_assert_uint_eq(c->max_allowed_packet, 64u << 20);
	config_free(c);
	c = load_key_ok("mypoold", "max_allowed_packet", "1G");
	ck_assert_uint_eq(c->max_allowed_packet, 1u << 30);
	config_free(c);
	c = load_key_ok("mypoold", "max_allowed_packet", "4096");
	ck_assert_uint_eq(c->max_allowed_packet, 4096);
	config_free(c);
	c = load_key_ok("mypoold", "coro_stack_size", "256k");
	ck_assert_uint_eq(c->coro_stack_size, 256u << 10);
	config_free(c);

	load_key_err("mypoold", "max_allowed_packet", "2G", "must be 1K..1G, got 2G");
	load_key_err("mypoold", "max_allowed_packet", "1023", "must be 1K..1G, got 1023");
	load_key_err("mypoold", "coro_stack_size", "16K", "must be 32K..8M, got 16K");
	load_key_err("mypoold", "max_allowed_packet", "64MB",
		     "expected a size like 65536, 64K, 16M or 1G (K, M, G = KiB, MiB, GiB), got '64MB'");
	load_key_err("mypoold", "max_allowed_packet", "1.5M",
		     "expected a size like 65536, 64K, 16M or 1G (K, M, G = KiB, MiB, GiB), got '1.5M'");
}
END_TEST

START_TEST(octal_values)
{
	struct config *c = load_key_ok("mypoold", "socket_mode", "0660");
	ck_assert_uint_eq(c->socket_mode, 0660);
	config_free(c);
	c = load_key_ok("mypoold", "socket_mode", "700");
	ck_assert_uint_eq(c->socket_mode, 0700);
	config_free(c);
	load_key_err("mypoold", "socket_mode", "0800", "expected an octal mode like 0660, got '0800'");
	load_key_err("mypoold", "socket_mode", "01777", "must be 0..0777, got 01777");
}
END_TEST

START_TEST(bool_values)
{
	const char *yes[] = { "yes", "true", "on", "1", "YES", "True" };
	const char *no[] = { "no", "false", "off", "0", "No", "OFF" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		struct config *c = load_key_ok("mypoold", "log_syslog", yes[i]);
		ck_assert_msg(c->log_syslog, "%s", yes[i]);
		config_free(c);
		c = load_key_ok("mypoold", "log_syslog", no[i]);
		ck_assert_msg(!c->log_syslog, "%s", no[i]);
		config_free(c);
	}
	load_key_err("mypoold", "log_syslog", "maybe",
	             "expected yes or no (or true/false, on/off, 1/0), got 'maybe'");
}
END_TEST

START_TEST(enum_values)
{
	struct config *c = load_key_ok("mypoold", "pool_mode", "transaction");
	ck_assert_int_eq(c->pool_mode, POOL_TRANSACTION);
	config_free(c);
	c = load_key_ok("mypoold", "pool_mode", "Session");
	ck_assert_int_eq(c->pool_mode, POOL_SESSION);
	config_free(c);
	c = load_key_ok("mypoold", "log_level", "debug");
	ck_assert_int_eq(c->log_level, LL_DEBUG);
	config_free(c);
	c = load_key_ok("mypoold", "log_level", "warn");
	ck_assert_int_eq(c->log_level, LL_WARN);
	config_free(c);
	c = load_key_ok("mypoold", "log_level", "ERROR");
	ck_assert_int_eq(c->log_level, LL_ERROR);
	config_free(c);
	load_key_err("mypoold", "pool_mode", "statement",
	             "expected one of session|transaction, got 'statement'");
	load_key_err("mypoold", "log_level", "verbose",
	             "expected one of error|warning|info|debug, got 'verbose'");
}
END_TEST

START_TEST(uint_values)
{
	struct config *c = load_key_ok("backend", "pool_size", "10000");
	ck_assert_uint_eq(c->pool_size, 10000);
	config_free(c);
	c = load_key_ok("mypoold", "threads", "256");
	ck_assert_uint_eq(c->threads, 256);
	config_free(c);
	/* an inline comment after whitespace is not part of the value */
	c = load_key_ok("backend", "pool_size", "50 ; peak load");
	ck_assert_uint_eq(c->pool_size, 50);
	config_free(c);

	load_key_err("backend", "pool_size", "0", "must be 1..10000, got 0");
	load_key_err("backend", "pool_size", "10001", "must be 1..10000, got 10001");
	load_key_err("backend", "pool_size", "99999999999999999999999",
	             "must be 1..10000, got 99999999999999999999999");
	load_key_err("backend", "pool_size", "ten", "expected a whole number, got 'ten'");
	load_key_err("backend", "pool_size", "-5", "expected a whole number, got '-5'");
	load_key_err("backend", "pool_size", "", "must not be empty (comment the line out to use the default)");
	load_key_err("backend", "port", "0", "must be 1..65535, got 0");
	load_key_err("backend", "port", "65536", "must be 1..65535, got 65536");
	load_key_err("mypoold", "threads", "257", "must be 0..256, got 257");
	load_key_err("mypoold", "max_client_conn", "0", "must be 1..1000000, got 0");
}
END_TEST

START_TEST(string_values)
{
	struct config *c = load_key_ok("mypoold", "listen_tcp", "127.0.0.1:6033");
	ck_assert_str_eq(c->listen_tcp, "127.0.0.1:6033");
	config_free(c);
	c = load_key_ok("mypoold", "listen_tcp", "[::1]:6033");
	ck_assert_str_eq(c->listen_tcp, "[::1]:6033");
	config_free(c);
	c = load_key_ok("mypoold", "server_version", "8.0.36-mypool");
	ck_assert_str_eq(c->server_version, "8.0.36-mypool");
	config_free(c);
	c = load_key_ok("mypoold", "listen", "/tmp/p.sock");
	ck_assert_str_eq(c->listen, "/tmp/p.sock");
	config_free(c);
	c = load_key_ok("backend", "password", "s3cret=x:y");
	ck_assert_str_eq(c->backend_password, "s3cret=x:y");
	config_free(c);

	load_key_err("mypoold", "listen_tcp", "::1:6033",
	             "an IPv6 address needs brackets, e.g. [::1]:6033, got '::1:6033'");
	load_key_err("mypoold", "listen_tcp", "127.0.0.1",
		     "expected host:port, e.g. 127.0.0.1:6033 or [::1]:6033, got '127.0.0.1'");
	load_key_err("mypoold", "listen_tcp", ":6033",
	             "expected host:port, e.g. 127.0.0.1:6033 or [::1]:6033, got ':6033'");
	load_key_err("mypoold", "listen_tcp", "h:99999", "port must be 1..65535, got 'h:99999'");
	load_key_err("mypoold", "server_version", "1234567890123456789012345678901234567890123456789012345678901",
		     "must be at most 60 bytes, got 61");
	load_key_err("mypoold", "listen", "run/p.sock", "must be an absolute path, got 'run/p.sock'");
	load_key_err("mypoold", "listen", "", "must not be empty (comment the line out to use the default)");
}
END_TEST

START_TEST(privilege_keys)
{
	struct config *c = load_ok(BASE "[mypoold]\nuser = mypool\ngroup = www-data\npidfile = /run/mypool/p.pid\n");
	ck_assert_str_eq(c->user, "mypool");
	ck_assert_str_eq(c->group, "www-data");
	ck_assert_str_eq(c->pidfile, "/run/mypool/p.pid");
	config_free(c);
	c = load_key_ok("mypoold", "user", "nobody"); /* group defaults to the user's primary group */
	ck_assert_str_eq(c->user, "nobody");
	ck_assert_ptr_null(c->group);
	config_free(c);

	load_key_err("mypoold", "user", "", "must not be empty (comment the line out to use the default)");
	load_key_err("mypoold", "user", "a23456789012345678901234567890123", "must be at most 32 bytes, got 33");
	load_key_err("mypoold", "pidfile", "mypoold.pid", "must be an absolute path, got 'mypoold.pid'");
	load_err(BASE "[mypoold]\ngroup = mypool\n",
		 "t.ini:7: key 'group': only used with 'user' (set user too, or remove group)\n");
	load_err(BASE "[mypoold]\nlisten = /tmp/x.sock\npidfile = /tmp/x.sock\n",
		 "t.ini:8: key 'pidfile': must differ from listen (/tmp/x.sock)\n");
}
END_TEST

START_TEST(admin_users_values)
{
	static const struct {
		const char *value, *stored;
	} ok[] = {
		{ "admin", "admin" },
		{ "admin,ops", "admin,ops" },
		{ "admin, ops ,  root", "admin,ops,root" },
		{ "a-b.c@d", "a-b.c@d" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct config *c = load_key_ok("mypoold", "admin_users", ok[i].value);
		ck_assert_str_eq(c->admin_users, ok[i].stored);
		config_free(c);
	}
	/* empty = nobody; an empty value is allowed (it is the default) */
	struct config *c = load_key_ok("mypoold", "admin_users", "");
	ck_assert_str_eq(c->admin_users, "");
	config_free(c);

	char *n80 = line_of('n', 80), *n81 = line_of('n', 81), *v = NULL;
	ck_assert_int_gt(asprintf(&v, "admin,%s", n80), 0);
	c = load_key_ok("mypoold", "admin_users", v);
	ck_assert_str_eq(c->admin_users, v);
	config_free(c);
	free(v);
	ck_assert_int_gt(asprintf(&v, "admin,%s", n81), 0);
	load_key_err("mypoold", "admin_users", v, "name 2 of the list is 81 bytes long, the limit is 80");
	free(v);
	free(n80);
	free(n81);

	load_key_err("mypoold", "admin_users", "admin,,ops", "name 2 of the list is empty, got 'admin,,ops'");
	load_key_err("mypoold", "admin_users", "admin,", "name 2 of the list is empty, got 'admin,'");
	load_key_err("mypoold", "admin_users", ",admin", "name 1 of the list is empty, got ',admin'");
	load_key_err("mypoold", "admin_users", "admin ops",
		     "name 1 of the list contains a space (separate names with ','), got 'admin ops'");
	load_key_err("mypoold", "admin_users", "root, admin, root", "'root' is listed twice");
}
END_TEST

START_TEST(metrics_listen_values)
{
	const char *ok[] = { "/run/mypool/metrics.sock", "127.0.0.1:9187", "[::1]:1", "127.0.0.1:65535" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct config *c = load_key_ok("mypoold", "metrics_listen", ok[i]);
		ck_assert_str_eq(c->metrics_listen, ok[i]);
		config_free(c);
	}
#define FORM "expected a Unix socket path (/...), 127.0.0.1:PORT or [::1]:PORT, got '%s'"
	const char *bad_form[] = { "0.0.0.0:9187", "localhost:9187", "metrics.sock", "9187", "[::]:9187" };
	for (size_t i = 0; i < sizeof(bad_form) / sizeof(bad_form[0]); i++) {
		char *msg = NULL;
		ck_assert_int_gt(asprintf(&msg, FORM, bad_form[i]), 0);
		load_key_err("mypoold", "metrics_listen", bad_form[i], msg);
		free(msg);
	}
#undef FORM
	load_key_err("mypoold", "metrics_listen", "127.0.0.1:0", "port must be 1..65535, got '127.0.0.1:0'");
	load_key_err("mypoold", "metrics_listen", "127.0.0.1:65536", "port must be 1..65535, got '127.0.0.1:65536'");
	load_key_err("mypoold", "metrics_listen", "127.0.0.1:", "port must be 1..65535, got '127.0.0.1:'");
	load_key_err("mypoold", "metrics_listen", "[::1]:http", "port must be 1..65535, got '[::1]:http'");
	char *p108 = line_of('p', 108);
	p108[0] = '/';
	load_key_err("mypoold", "metrics_listen", p108, "a socket path must be at most 107 bytes, got 108");
	free(p108);
	load_key_err("mypoold", "metrics_listen", "", "must not be empty (comment the line out to use the default)");
	load_err(BASE "[mypoold]\nlisten = /tmp/x.sock\nmetrics_listen = /tmp/x.sock\n",
		 "t.ini:8: key 'metrics_listen': must differ from listen (/tmp/x.sock)\n");
}
END_TEST

START_TEST(log_slow_ms_values)
{
	/* a bare number is milliseconds for this key (its name says so); units work as elsewhere */
	static const struct {
		const char *value;
		unsigned ms;
	} ok[] = { { "0", 0 },	     { "200", 200 },	   { "200ms", 200 },
		   { "1.5s", 1500 }, { "2min", 120000 }, { "1h", 3600000 } };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct config *c = load_key_ok("mypoold", "log_slow_ms", ok[i].value);
		ck_assert_msg(c->log_slow_ms == ok[i].ms, "'%s' gave %u", ok[i].value, c->log_slow_ms);
		config_free(c);
	}
	load_key_err("mypoold", "log_slow_ms", "3600001", "must be 0..1h, got 3600001");
	load_key_err("mypoold", "log_slow_ms", "0.5", "'0.5' is not a whole number of milliseconds");
	load_key_err("mypoold", "log_slow_ms", "fast",
		     "expected a duration like 200, 500ms, 5s, 2min or 1h (a bare number is milliseconds), got 'fast'");
	/* other durations keep seconds */
	struct config *c = load_key_ok("mypoold", "pool_wait_timeout", "2");
	ck_assert_uint_eq(c->pool_wait_timeout_ms, 2000);
	config_free(c);
}
END_TEST

START_TEST(keep_fixed_on_reload)
{
	struct config *cur = load_ok(BASE "[mypoold]\nlisten = /tmp/a.sock\nthreads = 2\nuser = nobody\n"
					  "log_level = info\npool_mode = session\n");
	/* listen, threads, pool_mode, user and metrics_listen changed (not reloadable); log_level and
	 * pool_size changed (reloadable); listen_tcp stays unset. */
	struct config *next = load_ok("[mypoold]\nlisten = /tmp/b.sock\nthreads = 4\nlog_level = debug\n"
				      "pool_mode = transaction\nmetrics_listen = 127.0.0.1:9187\n"
				      "[backend]\nsocket = /tmp/db.sock\nuser = u\npool_size = 3\n[users]\napp = pw\n");
	char changed[256];
	ck_assert_int_eq(config_keep_fixed(next, cur, changed, sizeof(changed)), 5);
	ck_assert_str_eq(changed, "listen, threads, pool_mode, user, metrics_listen");
	ck_assert_str_eq(next->listen, "/tmp/a.sock");
	ck_assert_uint_eq(next->threads, 2);
	ck_assert_int_eq(next->pool_mode, POOL_SESSION);
	ck_assert_str_eq(next->user, "nobody");
	ck_assert_ptr_null(next->metrics_listen);
	ck_assert_ptr_null(next->listen_tcp);
	ck_assert_int_eq(next->log_level, LL_DEBUG); /* reloadable: the new values */
	ck_assert_uint_eq(next->pool_size, 3);
	/* again: nothing left to keep */
	ck_assert_int_eq(config_keep_fixed(next, cur, changed, sizeof(changed)), 0);
	ck_assert_str_eq(changed, "");
	/* a short buffer cuts the list but still counts */
	struct config *third = load_ok(BASE "[mypoold]\nlisten = /tmp/c.sock\nthreads = 8\n");
	char small[8];
	ck_assert_int_eq(config_keep_fixed(third, cur, small, sizeof(small)), 4); /* and pool_mode, user */
	ck_assert_str_eq(small, "listen,");
	config_free(third);
	config_free(next);
	config_free(cur);
}
END_TEST

START_TEST(values_as_written)
{
	struct config *c = load_ok(BASE "[mypoold]\nsocket_mode = 0660\npool_wait_timeout = 1.5\nlog_level = warn\n"
				    "log_syslog = on\nadmin_users = a , b\nmax_allowed_packet = 2048K\n"
				    "[backend]\npassword = s3cret\nserver_lifetime = 3600\n");
	char v[64];
	static const struct {
		const char *section, *name, *value;
	} want[] = {
		{ "mypoold", "socket_mode", "0660" },	     { "mypoold", "pool_wait_timeout", "1500ms" },
		{ "mypoold", "log_level", "warning" },	     { "mypoold", "log_syslog", "yes" },
		{ "mypoold", "admin_users", "a,b" },	     { "mypoold", "max_allowed_packet", "2M" },
		{ "mypoold", "pool_mode", "transaction" },   { "mypoold", "threads", "0" },
		{ "mypoold", "listen", "/run/mypool/mypool.sock" },
		{ "backend", "password", "(hidden)" },	     { "backend", "server_lifetime", "1h" },
		{ "backend", "user", "u" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_msg(config_value(c, want[i].section, want[i].name, v, sizeof(v)) == 0, "%s", want[i].name);
		ck_assert_str_eq(v, want[i].value);
	}
	ck_assert_int_eq(config_value(c, "mypoold", "listen_tcp", v, sizeof(v)), -1); /* unset */
	ck_assert_int_eq(config_value(c, "mypoold", "user", v, sizeof(v)), -1);
	ck_assert_int_eq(config_value(c, "mypoold", "nosuchkey", v, sizeof(v)), -1);
	config_free(c);
	c = load_ok(BASE);
	ck_assert_int_eq(config_value(c, "backend", "password", v, sizeof(v)), 0);
	ck_assert_str_eq(v, ""); /* no password: nothing to hide */

	/* Every value reads back as the same value. */
	const struct config_key_info *k;
	size_t nk = config_keys(&k);
	for (size_t i = 0; i < nk; i++) {
		char v2[600];
		bool in_base = strcmp(k[i].section, "backend") == 0 &&
			       (strcmp(k[i].name, "socket") == 0 || strcmp(k[i].name, "user") == 0);
		if (in_base || strcmp(k[i].name, "password") == 0 ||
		    config_value(c, k[i].section, k[i].name, v, sizeof(v)) != 0)
			continue;
		char *text = with_key(k[i].section, k[i].name, v);
		struct config *c2 = load_ok(text);
		ck_assert_int_eq(config_value(c2, k[i].section, k[i].name, v2, sizeof(v2)), 0);
		ck_assert_msg(strcmp(v, v2) == 0, "%s: '%s' read back as '%s'", k[i].name, v, v2);
		config_free(c2);
		free(text);
	}
	config_free(c);
}
END_TEST

/* --- structure errors ------------------------------------------------------------------- */

START_TEST(unknown_key)
{
	load_err(BASE "[backend]\npool_sise = 3\n",
		 "t.ini:7: key 'pool_sise': unknown key in [backend] (did you mean 'pool_size'?)\n");
	load_err(BASE "[mypoold]\npool_size = 3\n",
	         "t.ini:7: key 'pool_size': unknown key in [mypoold] (it belongs in [backend])\n");
	load_err(BASE "[mypoold]\nfrobnicate = 3\n", "t.ini:7: key 'frobnicate': unknown key in [mypoold]\n");
	load_err("pool_size = 3\n" BASE,
		 "t.ini:1: key 'pool_size': outside of any section (start with [mypoold], [backend] or [users])\n");
}
END_TEST

START_TEST(unknown_section)
{
	/* keys inside an unknown section are not reported one by one */
	load_err(BASE "[mypool]\nthreads = 2\nlisten = x\n",
	         "t.ini:6: unknown section [mypool] (did you mean [mypoold]?)\n");
	load_err(BASE "[pgbouncer]\nthreads = 2\n",
		 "t.ini:6: unknown section [pgbouncer] (expected [mypoold], [backend], [users] or [user.NAME])\n");
	load_err(BASE "[mypoold\n", "t.ini:6: section header without ']'\n");
}
END_TEST

START_TEST(duplicate_key)
{
	load_err("[backend]\nsocket = /tmp/db.sock\nuser = u\npool_size = 5\npool_size = 6\n[users]\napp = pw\n",
		 "t.ini:5: key 'pool_size': set twice in [backend] (first on line 4)\n");
}
END_TEST

START_TEST(missing_user)
{
	load_err("[backend]\nsocket = /tmp/db.sock\n[users]\napp = pw\n",
	         "t.ini: key 'user': required in [backend], not set\n");
}
END_TEST

START_TEST(socket_and_host)
{
	load_err("[backend]\nsocket = /tmp/db.sock\nhost = db1\nuser = u\n[users]\napp = pw\n",
		 "t.ini: [backend]: set either 'socket' (line 2) or 'host' (line 3), not both\n");
	load_err("[backend]\nuser = u\n[users]\napp = pw\n",
		 "t.ini: [backend]: set 'socket' (a Unix socket) or 'host' (TCP) for the server\n");
	struct config *c = load_ok("[backend]\nhost = db1.example\nport = 3307\nuser = u\n[users]\napp = pw\n");
	ck_assert_str_eq(c->backend_host, "db1.example");
	ck_assert_ptr_null(c->backend_socket);
	ck_assert_uint_eq(c->backend_port, 3307);
	config_free(c);
}
END_TEST

START_TEST(min_idle_vs_pool_size)
{
	load_err(BASE "[backend]\npool_size = 5\nmin_idle = 6\n",
	         "t.ini:8: key 'min_idle': must be at most pool_size (5), got 6\n");
	struct config *c = load_ok(BASE "[backend]\npool_size = 5\nmin_idle = 5\n");
	ck_assert_uint_eq(c->min_idle, 5);
	config_free(c);
}
END_TEST

START_TEST(long_line_refused)
{
	char *x300 = line_of('x', 300 - strlen("app2 = ")), *text = NULL, *expected = NULL;
	/* line 6 is 300 characters; the error on line 8 keeps its line number */
	ck_assert_int_gt(asprintf(&text, BASE "app2 = %s\n[backend]\npool_size = 0\n", x300), 0);
	ck_assert_int_gt(asprintf(&expected, "t.ini:6: line is 300 characters long, the limit is 199\n"
					     "t.ini:8: key 'pool_size': must be 1..10000, got 0\n"),
			 0);
	load_err(text, expected);
	free(text);
	free(expected);
	free(x300);

	/* 199 characters is fine (with CRLF too), 200 is not */
	char *p192 = line_of('p', 199 - strlen("app2 = ")), *p193 = line_of('p', 200 - strlen("app2 = "));
	ck_assert_int_gt(asprintf(&text, BASE "app2 = %s\r\n", p192), 0);
	struct config *c = load_ok(text);
	const struct config_user *u = config_find_user(c, "app2", 4);
	ck_assert_ptr_nonnull(u);
	uint8_t want[20];
	auth_native_stage2(p192, strlen(p192), want);
	ck_assert_mem_eq(u->stage2, want, 20);
	config_free(c);
	free(text);
	char *c199 = line_of('c', 199);
	ck_assert_int_gt(asprintf(&text, "; %s\n" BASE, c199), 0); /* a long comment counts too */
	load_err(text, "t.ini:1: line is 201 characters long, the limit is 199\n");
	free(text);
	free(c199);
	ck_assert_int_gt(asprintf(&text, BASE "app2 = %s\n", p193), 0);
	load_err(text, "t.ini:6: line is 200 characters long, the limit is 199\n");
	free(text);
	free(p192);
	free(p193);
}
END_TEST

START_TEST(key_without_value)
{
	load_err("[backend]\nsocket = /tmp/db.sock\nuser = u\ncompress\n[users]\napp = pw\n",
		 "t.ini:4: expected 'key = value' or '[section]'\n");
	load_err(BASE "= 5\n", "t.ini:6: missing key name before '='\n");
}
END_TEST

START_TEST(users)
{
	struct config *c = load_ok("[backend]\nsocket = /tmp/db.sock\nuser = u\n[users]\n"
				   "app = pw\n"
				   "hashed = *2470c0c06dee42fd1618bb99005adca2ec9d1e19\n"
				   "nopw =\n"
				   "ed = ed25519:PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw\n");
	ck_assert_uint_eq(c->n_users, 4);
	const struct config_user *u = config_find_user(c, "app", 3);
	uint8_t want[20], want2[32];
	auth_native_stage2("pw", 2, want);
	auth_sha2_stage2("pw", 2, want2);
	ck_assert(u->has_password && u->has_sha2);
	ck_assert_mem_eq(u->stage2, want, 20);
	ck_assert_mem_eq(u->sha2_stage2, want2, 32);
	/* *2470C0C0...: MySQL's PASSWORD('password') */
	u = config_find_user(c, "hashed", 6);
	auth_native_stage2("password", 8, want);
	ck_assert(u->has_password && !u->has_sha2);
	ck_assert_mem_eq(u->stage2, want, 20);
	u = config_find_user(c, "nopw", 4);
	ck_assert(!u->has_password && !u->has_sha2 && !u->has_ed25519);
	u = config_find_user(c, "ed", 2);
	ck_assert(u->has_ed25519 && u->has_password && !u->has_sha2);
	ck_assert_uint_eq(u->ed25519_key[0], 0x3d); /* RFC 8032 TEST 2's public key */
	ck_assert_uint_eq(u->ed25519_key[31], 0x0c);
	/* exact, case-sensitive, by length */
	ck_assert_ptr_null(config_find_user(c, "App", 3));
	ck_assert_ptr_null(config_find_user(c, "ap", 2));
	ck_assert_ptr_null(config_find_user(c, "appx", 4));
	ck_assert_ptr_nonnull(config_find_user(c, "appx", 3));
	config_free(c);
}
END_TEST

START_TEST(user_errors)
{
	load_err(BASE "app = other\n", "t.ini:6: key 'app': user defined twice in [users] (first on line 5)\n");
	load_err(BASE "h = *2470C0C06DEE42FD1618BB99005ADCA2EC9D1E1\n",
		 "t.ini:6: key 'h': a password starting with '*' must be a MySQL hash: '*' and 40 hex digits "
		 "(got 39 characters after '*')\n");
	load_err(BASE "h = *2470C0C06DEE42FD1618BB99005ADCA2EC9D1E1X\n",
		 "t.ini:6: key 'h': a password hash '*...' must have 40 hex digits, this one has other characters\n");
	load_err("[backend]\nsocket = /tmp/db.sock\nuser = u\n[users]\n",
	         "t.ini: [users]: at least one user is required\n");
	load_err(BASE "e = ed25519:PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=\n",
		 "t.ini:6: key 'e': an ed25519 key is 'ed25519:' and the 43 base64 characters MariaDB stores "
		 "for the account (SHOW CREATE USER)\n");

	char *n80 = line_of('n', 80), *n81 = line_of('n', 81), *text = NULL, *expected = NULL;
	ck_assert_int_gt(asprintf(&text, BASE "%s = pw\n", n80), 0);
	struct config *c = load_ok(text);
	ck_assert_ptr_nonnull(config_find_user(c, n80, 80));
	config_free(c);
	free(text);
	ck_assert_int_gt(asprintf(&text, BASE "%s = pw\n", n81), 0);
	ck_assert_int_gt(asprintf(&expected, "t.ini:6: key '%s': user name is 81 bytes long, the limit is 80\n",
				  n81),
			 0);
	load_err(text, expected);
	free(text);
	free(expected);
	free(n80);
	free(n81);
}
END_TEST

/* [user.NAME]: a user's own server account. */
START_TEST(user_accounts)
{
	struct config *c = load_ok("[user.rep]\nbackend_user = report_ro\nbackend_password = s3cret\n"
				   "[backend]\nsocket = /tmp/db.sock\nuser = svc\npassword = svcpw\n"
				   "[users]\napp = pw\nrep = pw2\nops = pw3\n"
				   "[user.ops]\nbackend_user = svc\nbackend_password = svcpw\n"
				   "[user.audit]\nbackend_user = report_ro\nbackend_password = s3cret\n"
				   "[users]\naudit = pw4\n");
	const char *user, *pw;
	config_user_account(c, config_find_user(c, "app", 3), &user, &pw);
	ck_assert_str_eq(user, "svc");
	ck_assert_str_eq(pw, "svcpw");
	config_user_account(c, config_find_user(c, "rep", 3), &user, &pw);
	ck_assert_str_eq(user, "report_ro");
	ck_assert_str_eq(pw, "s3cret");
	config_user_account(c, config_find_user(c, "audit", 5), &user, &pw);
	ck_assert_str_eq(user, "report_ro");
	ck_assert_str_eq(config_account_password(c, "svc"), "svcpw");
	ck_assert_str_eq(config_account_password(c, "report_ro"), "s3cret");
	ck_assert_ptr_null(config_account_password(c, "nobody"));
	char v[64];
	ck_assert_int_eq(config_value(c, "user.NAME", "backend_user", v, sizeof(v)), -1);

	/* What a reload may change without closing the server connections already open. */
	struct config *same = load_ok(BASE_ACCOUNTS "[users]\nnew = pw\n[user.new]\nbackend_user = other\n");
	struct config *moved = load_ok("[backend]\nsocket = /tmp/db.sock\nuser = svc\npassword = svcpw\n"
				       "[users]\nrep = pw\n[user.rep]\nbackend_user = report_ro\n"
				       "backend_password = changed\n");
	ck_assert(!config_accounts_changed(c, same));
	ck_assert(config_accounts_changed(c, moved)); /* report_ro's password changed */
	ck_assert(config_accounts_changed(same, moved)); /* and 'other' is gone */
	ck_assert(!config_accounts_changed(c, c));
	config_free(same);
	config_free(moved);
	config_free(c);

	c = load_ok(BASE "[user.app]\nbackend_user = nopw\n");
	config_user_account(c, config_find_user(c, "app", 3), &user, &pw);
	ck_assert_str_eq(user, "nopw");
	ck_assert_str_eq(pw, "");
	config_free(c);

	load_err(BASE "[user.nobody]\nbackend_user = x\n",
		 "t.ini:6: section [user.nobody]: there is no user 'nobody' in [users]\n");
	load_err(BASE "[user.app]\nbackend_password = x\n",
		 "t.ini:6: section [user.app]: key 'backend_user' is required\n");
	load_err(BASE "[user.app]\nbackend_user = x\nbackend_user = y\n",
		 "t.ini:8: key 'backend_user': set twice in [user.app] (first on line 7)\n");
	load_err(BASE "[user.app]\nbackend_user = x\npool_size = 3\n",
		 "t.ini:8: key 'pool_size': unknown key in [user.app] (it belongs in [backend])\n");
	load_err(BASE "[user.app]\nbackend_usr = x\n",
		 "t.ini:7: key 'backend_usr': unknown key in [user.app] (did you mean 'backend_user'?)\n"
		 "t.ini:6: section [user.app]: key 'backend_user' is required\n");
	load_err(BASE "[user.app]\nbackend_user = x\n[user.app]\n",
		 "t.ini:8: section [user.app] is already on line 6\n");
	load_err(BASE "[user.]\n", "t.ini:6: section [user.]: a user name of 1 to 80 bytes must follow 'user.'\n");
	load_err(BASE "[user.app]\nbackend_user = u\nbackend_password = other\n",
		 "t.ini:6: section [user.app]: account 'u' has another backend_password in [backend]\n");
	load_err(BASE "x = pw\n[user.app]\nbackend_user = a\nbackend_password = 1\n"
		 "[user.x]\nbackend_user = a\nbackend_password = 2\n",
		 "t.ini:10: section [user.x]: account 'a' has another backend_password in [user.app]\n");

	/* max_server_connections: one cap per account; none for the [backend] one. */
	c = load_ok(BASE "x = pw\n[user.app]\nbackend_user = a\nmax_server_connections = 3\n"
		    "[user.x]\nbackend_user = a\nmax_server_connections = 3\n");
	ck_assert_uint_eq(config_find_user(c, "app", 3)->backend_max_connections, 3);
	ck_assert_uint_eq(config_find_user(c, "x", 1)->backend_max_connections, 3);
	config_free(c);
	load_err(BASE "x = pw\n[user.app]\nbackend_user = a\nmax_server_connections = 3\n"
		 "[user.x]\nbackend_user = a\n",
		 "t.ini:10: section [user.x]: account 'a' has another max_server_connections in [user.app]\n");
	load_err(BASE "[user.app]\nbackend_user = u\nmax_server_connections = 2\n",
		 "t.ini:6: section [user.app]: account 'u' has another max_server_connections in [backend]\n");
	load_err(BASE "[user.app]\nbackend_user = a\nmax_server_connections = 10001\n",
		 "t.ini:8: key 'max_server_connections': must be 0..10000, got 10001\n");
}
END_TEST

START_TEST(many_errors_one_run)
{
	load_err("[mypoold]\n"		   /* 1 */
		 "threads = 999\n"	   /* 2 */
		 "pool_mode = fast\n"	   /* 3 */
		 "[backend]\n"		   /* 4 */
		 "socket = /tmp/db.sock\n" /* 5 */
		 "host = db\n"		   /* 6 */
		 "pool_size = 0\n"	   /* 7 */
		 "pool_size = 1\n"	   /* 8 */
		 "timeout = 5\n"	   /* 9 */
		 "[users]\n"		   /* 10 */
		 "a = pw\n"		   /* 11 */
		 "a = pw\n"		   /* 12 */
		 "b\n",			   /* 13 */
		 "t.ini:2: key 'threads': must be 0..256, got 999\n"
		 "t.ini:3: key 'pool_mode': expected one of session|transaction, got 'fast'\n"
		 "t.ini:7: key 'pool_size': must be 1..10000, got 0\n"
		 "t.ini:8: key 'pool_size': set twice in [backend] (first on line 7)\n"
		 "t.ini:9: key 'timeout': unknown key in [backend]\n"
		 "t.ini:12: key 'a': user defined twice in [users] (first on line 11)\n"
		 "t.ini:13: expected 'key = value' or '[section]'\n"
		 "t.ini: key 'user': required in [backend], not set\n"
		 "t.ini: [backend]: set either 'socket' (line 5) or 'host' (line 6), not both\n");
}
END_TEST

START_TEST(syntax_variants)
{
	/* indentation is not a continuation line; CRLF, a BOM, comments and ':' work */
	struct config *c = load_ok("\xef\xbb\xbf; comment\r\n"
				   "[backend]\r\n"
				   "  socket = /tmp/db.sock\r\n"
				   "\tuser = u\r\n"
				   "    pool_size = 7   ; inline\r\n"
				   "# another comment\r\n"
				   "min_idle: 2\r\n"
				   "[users] ; the clients\r\n"
				   "  app = pw\r\n");
	ck_assert_str_eq(c->backend_user, "u");
	ck_assert_uint_eq(c->pool_size, 7);
	ck_assert_uint_eq(c->min_idle, 2);
	ck_assert_ptr_nonnull(config_find_user(c, "app", 3));
	config_free(c);
	load_err(BASE "[backend] pool_size = 3\n", "t.ini:6: unexpected text after ']'\n");
}
END_TEST

START_TEST(missing_file)
{
	char *errs = NULL;
	size_t len = 0;
	struct config *c = NULL;
	FILE *f = open_memstream(&errs, &len);
	int n = config_load("/nonexistent/mypool.ini", f, &c);
	fclose(f);
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(errs, "/nonexistent/mypool.ini: cannot open: No such file or directory\n");
	free(errs);
}
END_TEST

/* --- log ----------------------------------------------------------------------------------- */

START_TEST(log_level_names)
{
	for (int l = LL_ERROR; l <= LL_DEBUG; l++)
		ck_assert_int_eq(log_level_parse(log_level_name((enum log_level)l)), l);
	ck_assert_str_eq(log_level_name(LL_WARN), "warning");
	ck_assert_int_eq(log_level_parse("WARN"), LL_WARN);
	ck_assert_int_eq(log_level_parse("Debug"), LL_DEBUG);
	ck_assert_int_eq(log_level_parse("verbose"), -1);
	ck_assert_int_eq(log_level_parse(""), -1);
}
END_TEST

/* Capture what is written to fd 2 (log output) through a pipe. */
struct capture {
	int saved;
	int rd;
};

static struct capture capture_begin(void)
{
	int p[2];
	struct capture cap;
	ck_assert_int_eq(pipe(p), 0);
	cap.saved = dup(STDERR_FILENO);
	cap.rd = p[0];
	ck_assert_int_ge(dup2(p[1], STDERR_FILENO), 0);
	close(p[1]);
	return cap;
}

/* Returns everything written since capture_begin (caller frees). */
static char *capture_end(struct capture cap)
{
	size_t len = 0, size = 65536;
	char *out = malloc(size + 1);
	dup2(cap.saved, STDERR_FILENO);
	close(cap.saved);
	for (;;) {
		ssize_t n = read(cap.rd, out + len, size - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(cap.rd);
	out[len] = '\0';
	return out;
}

static int evaluated;
static int side_effect(void)
{
	return ++evaluated;
}

START_TEST(log_filtering)
{
	log_open(false, false, NULL);
	log_set_role("tester");
	log_set_level(LL_WARN);
	struct capture cap = capture_begin();
	log_info("not shown %d", side_effect());
	log_debug("not shown %d", side_effect());
	log_warn("shown %d", 1);
	log_error("shown %d", 2);
	char *out = capture_end(cap);
	char *expected = NULL;
	ck_assert_int_gt(asprintf(&expected, "tester[%ld] WARN shown 1\ntester[%ld] ERROR shown 2\n", (long)getpid(),
				  (long)getpid()),
			 0);
	ck_assert_str_eq(out, expected);
	ck_assert_int_eq(evaluated, 0); /* arguments of filtered lines are not evaluated */
	log_set_level(LL_DEBUG);
	ck_assert_int_eq(__atomic_load_n(&log_level_max, __ATOMIC_RELAXED), LL_DEBUG);
	free(out);
	free(expected);
}
END_TEST

START_TEST(log_format)
{
	log_open(false, false, NULL);
	log_set_role("worker");
	log_set_level(LL_INFO);
	struct capture cap = capture_begin();
	log_set_context("s12 app@unix");
	ck_assert_str_eq(log_get_context(), "s12 app@unix");
	log_info("hello %s %d", "world", 42);
	log_set_context(NULL);
	ck_assert_ptr_null(log_get_context());
	log_info("multi\nline");
	log_open(false, true, NULL);
	log_warn("stamped");
	char *out = capture_end(cap);
	char *expected = NULL;
	long pid = (long)getpid();
	ck_assert_int_gt(asprintf(&expected,
				  "worker[%ld] INFO [s12 app@unix] hello world 42\n"
				  "worker[%ld] INFO multi line\n",
				  pid, pid),
			 0);
	ck_assert_int_eq(strncmp(out, expected, strlen(expected)), 0);
	regex_t re;
	char pattern[128];
	snprintf(pattern, sizeof(pattern),
		 "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} worker\\[%ld\\] WARN stamped\n$", pid);
	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED), 0);
	ck_assert_msg(regexec(&re, out + strlen(expected), 0, NULL, 0) == 0, "got '%s'", out + strlen(expected));
	regfree(&re);
	free(out);
	free(expected);
}
END_TEST

START_TEST(log_truncation)
{
	char *big = line_of('z', 5000);
	log_open(false, false, NULL);
	log_set_role("t");
	struct capture cap = capture_begin();
	log_error("%s", big);
	char *out = capture_end(cap);
	size_t len = strlen(out);
	ck_assert_uint_le(len, 2048);
	ck_assert_uint_gt(len, 2000);
	ck_assert_str_eq(out + len - 4, "...\n");
	ck_assert_ptr_eq(strchr(out, '\n'), out + len - 1); /* one line */
	free(out);
	free(big);
}
END_TEST

START_TEST(log_signal_safe)
{
	log_open(false, false, NULL);
	log_set_role("supervisor");
	log_set_level(LL_INFO);
	struct capture cap = capture_begin();
	log_signal(LL_WARN, "got SIGTERM");
	log_signal(LL_DEBUG, "filtered");
	log_open(false, true, NULL);
	log_signal(LL_ERROR, "stamped");
	char *out = capture_end(cap);
	char *expected = NULL;
	ck_assert_int_gt(asprintf(&expected, "supervisor[%ld] WARN got SIGTERM\n", (long)getpid()), 0);
	ck_assert_int_eq(strncmp(out, expected, strlen(expected)), 0);
	regex_t re;
	ck_assert_int_eq(regcomp(&re,
				 "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} supervisor\\[[0-9]+\\] "
				 "ERROR stamped\n$",
				 REG_EXTENDED),
			 0);
	ck_assert_msg(regexec(&re, out + strlen(expected), 0, NULL, 0) == 0, "got '%s'", out + strlen(expected));
	regfree(&re);
	/* the signal path's date agrees with localtime's */
	char today[16];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	ck_assert_int_eq(strncmp(out + strlen(expected), today, 10), 0);
	free(out);
	free(expected);
}
END_TEST

static void *other_thread(void *arg)
{
	(void)arg;
	return (void *)log_get_context();
}

START_TEST(log_context_per_thread)
{
	pthread_t t;
	void *ctx = (void *)1;
	log_set_context("main ctx");
	ck_assert_int_eq(pthread_create(&t, NULL, other_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(t, &ctx), 0);
	ck_assert_ptr_null(ctx);
	ck_assert_str_eq(log_get_context(), "main ctx");
	log_set_context(NULL);
}
END_TEST

static void *log_many(void *arg)
{
	char ctx[16];
	snprintf(ctx, sizeof(ctx), "t%d", (int)(intptr_t)arg);
	log_set_context(ctx);
	for (int i = 0; i < 100; i++)
		log_info("line %d of %s", i, ctx);
	log_set_context(NULL);
	return NULL;
}

/* Lines from concurrent threads never interleave (one write each). */
START_TEST(log_threads)
{
	pthread_t t[4];
	log_open(false, false, NULL);
	log_set_role("w");
	log_set_level(LL_INFO);
	struct capture cap = capture_begin();
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, log_many, (void *)(intptr_t)i), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	char *out = capture_end(cap);
	int counts[4] = { 0 }, lines = 0;
	char *save = NULL;
	for (char *l = strtok_r(out, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		long pid;
		int n, c1, c2;
		char tail[8];
		ck_assert_msg(sscanf(l, "w[%ld] INFO [t%d] line %d of t%d%7s", &pid, &c1, &n, &c2, tail) == 4,
			      "bad line '%s'", l);
		ck_assert_int_eq(c1, c2);
		ck_assert_int_eq(n, counts[c1]++); /* in order within a thread */
		lines++;
	}
	ck_assert_int_eq(lines, 400);
	free(out);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("files");
	tcase_add_test(tc, reference_file_loads);
	tcase_add_test(tc, minimal_file_loads);
	tcase_add_test(tc, reference_file_matches_table);
	tcase_add_test(tc, key_table);
	tcase_add_test(tc, missing_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, defaults_applied);
	tcase_add_loop_test(tc, duration_values, 0, (int)(sizeof(durations) / sizeof(durations[0])));
	tcase_add_test(tc, duration_errors);
	tcase_add_test(tc, size_values);
	tcase_add_test(tc, octal_values);
	tcase_add_test(tc, bool_values);
	tcase_add_test(tc, enum_values);
	tcase_add_test(tc, uint_values);
	tcase_add_test(tc, string_values);
	tcase_add_test(tc, privilege_keys);
	tcase_add_test(tc, admin_users_values);
	tcase_add_test(tc, metrics_listen_values);
	tcase_add_test(tc, log_slow_ms_values);
	tcase_add_test(tc, keep_fixed_on_reload);
	tcase_add_test(tc, values_as_written);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, unknown_key);
	tcase_add_test(tc, unknown_section);
	tcase_add_test(tc, duplicate_key);
	tcase_add_test(tc, missing_user);
	tcase_add_test(tc, socket_and_host);
	tcase_add_test(tc, min_idle_vs_pool_size);
	tcase_add_test(tc, long_line_refused);
	tcase_add_test(tc, key_without_value);
	tcase_add_test(tc, users);
	tcase_add_test(tc, user_errors);
	tcase_add_test(tc, user_accounts);
	tcase_add_test(tc, many_errors_one_run);
	tcase_add_test(tc, syntax_variants);
	suite_add_tcase(s, tc);

	tc = tcase_create("log");
	tcase_add_test(tc, log_level_names);
	tcase_add_test(tc, log_filtering);
	tcase_add_test(tc, log_format);
	tcase_add_test(tc, log_truncation);
	tcase_add_test(tc, log_signal_safe);
	tcase_add_test(tc, log_context_per_thread);
	tcase_add_test(tc, log_threads);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(config_suite)
