/* login: the handshake, the authentication plugins and COM_CHANGE_USER (see
 * session_priv.h). */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "authfail.h"
#include "backend.h"
#include "config.h"
#include "io.h"
#include "log.h"
#include "pool.h"
#include "proto.h"
#include "session_priv.h"
#include "thread.h"

#define SHA2_PLUGIN "caching_sha2_password"

/* The user a client logs in as (shorter than s->user); the log context names it, and the
 * client's address if it came over TCP. */
void login_set_user(struct session *s, const uint8_t *user, size_t len)
{
	memcpy(s->user, user, len);
	s->user[len] = 0;
	char addr[64] = "";
	if (s->port)
		session_addr(s, addr, sizeof(addr));
	snprintf(s->ctx, sizeof(s->ctx), "s%u%s%s%s%s", s->id, len ? " " : "", s->user, s->port ? " " : "", addr);
}

static long login_time_left(const struct session *s);

/* The client's address for counting failed logins: NULL over the Unix socket, which all local
 * clients share (there only the user counts). */
static const char *login_addr(const struct session *s)
{
	return s->port ? s->host : NULL;
}

/* A login attempt for a user (or from an address) that failed several times in a row waits
 * before its password is checked (authfail.h): its own coroutine does, nobody else. */
static void login_delay(struct session *s)
{
	const struct config *c = s->cfg;
	struct authfail_limits l = { c->auth_failure_threshold, c->auth_failure_delay_ms, c->auth_failure_delay_max_ms };
	unsigned ms = authfail_delay(&l, s->user, login_addr(s), mono_ms());
	if (ms) {
		/* Never past the login's own deadline: the session ends there anyway. */
		long left = login_time_left(s);
		log_info("login attempt for user '%s' waits %u ms after failed ones", s->user, ms);
		io_sleep((long)ms < left ? (long)ms : left);
	}
}

static enum end_status deny(struct session *s, uint8_t seq, bool with_password, const struct config_user *u)
{
	authfail_failed(s->user, login_addr(s), mono_ms());
	log_info("access denied for user '%s'%s", s->user, u ? "" : " (unknown user)");
	relay_send_errf(s, seq, ERR(ACCESS_DENIED), "Access denied for user '%s'@'%s' (using password: %s)",
			s->user, s->host, with_password ? "YES" : "NO");
	relay_flush(s);
	return END_AUTH_FAILED;
}

/* What is left of client_login_timeout for the current login (at least 1 ms). */
static long login_time_left(const struct session *s)
{
	uint64_t spent = mono_ms() - s->login_ms;
	return spent < s->cfg->client_login_timeout_ms ? (long)(s->cfg->client_login_timeout_ms - spent) : 1;
}

/* Read the next authentication packet of the client into token. */
static enum end_status auth_read(struct session *s, struct pkt *p, uint8_t *seq, uint8_t *token, size_t cap,
				 size_t *len)
{
	if (relay_flush(s) != 0 || relay_client_packet(s, p, login_time_left(s)) != 0)
		return END_CLIENT_GONE;
	if (!p->whole || p->seq != (uint8_t)(*seq + 1) || p->len > cap) {
		relay_send_err(s, (uint8_t)(*seq + 2), ERR(HANDSHAKE), "Bad handshake");
		relay_flush(s);
		return END_PROTOCOL;
	}
	memcpy(token, p->data, p->len);
	*len = p->len;
	*seq = (uint8_t)(p->seq + 1);
	relay_client_consume(s, p);
	return END_QUIT;
}

/* caching_sha2_password: the fast path when the hash is known and the token verifies, else full
 * authentication (the client sends the password itself, which it does only over a Unix
 * socket). Returns true with the outcome in *st, or false: the client goes on with
 * mysql_native_password (over TCP, where full authentication would need an RSA key or TLS).
 * An unknown user (u NULL), a user whose hash mypool does not know and a wrong token all get
 * the same replies until the final error, so the replies do not tell which users exist. */
static bool auth_sha2(struct session *s, struct pkt *p, const struct config_user *u, const uint8_t *token,
		      size_t token_len, uint8_t *seq, enum end_status *st)
{
	uint8_t m2[32];
	uint8_t again[64];
	if (token_len == 0 && u && !u->has_password)
		return (*st = END_QUIT, true);
	if (token_len == 0) {
		/* The greeting named another plugin, so the client answered nothing (libmariadb
		 * does): switch it to caching_sha2_password with the same scramble. */
		uint8_t data[AUTH_SCRAMBLE_LEN + 1];
		memcpy(data, s->scramble, AUTH_SCRAMBLE_LEN);
		data[AUTH_SCRAMBLE_LEN] = 0;
		proto_write_auth_switch(&s->out, *seq, SHA2_PLUGIN, data, sizeof(data));
		*st = auth_read(s, p, seq, again, sizeof(again), &token_len);
		if (*st != END_QUIT)
			return true;
		token = again;
		if (token_len == 0)
			return (*st = deny(s, *seq, false, u), true);
	}
	if (u && auth_sha2_known(u->name, u->stage2, u->has_sha2 ? u->sha2_stage2 : NULL, m2)) {
		/* The nonce is the 20-byte scramble; some clients hash its trailing NUL too. */
		uint8_t nonce[AUTH_SCRAMBLE_LEN + 1];
		memcpy(nonce, s->scramble, AUTH_SCRAMBLE_LEN);
		nonce[AUTH_SCRAMBLE_LEN] = 0;
		if (auth_sha2_verify(nonce, AUTH_SCRAMBLE_LEN, token, token_len, m2) ||
		    auth_sha2_verify(nonce, AUTH_SCRAMBLE_LEN + 1, token, token_len, m2)) {
			static const uint8_t fast_ok = 0x03;
			log_debug("caching_sha2_password: fast authentication");
			proto_write_auth_more(&s->out, *seq, &fast_ok, 1);
			*seq = (uint8_t)(*seq + 1);
			return (*st = END_QUIT, true);
		}
	}
	if (s->port) {
		/* Over TCP a client sends the password itself only encrypted with the server's RSA
		 * key or over TLS, neither of which mypool has: mysql_native_password instead. */
		log_debug("caching_sha2_password: switching a TCP client to mysql_native_password");
		return false;
	}
	static const uint8_t full = 0x04;
	log_debug("caching_sha2_password: full authentication");
	proto_write_auth_more(&s->out, *seq, &full, 1);
	uint8_t pw[256];
	size_t n;
	*st = auth_read(s, p, seq, pw, sizeof(pw), &n);
	if (*st != END_QUIT)
		return true;
	if (n == 1 && pw[0] == 0x02) {
		/* A client that insists on the server's RSA key even over the Unix socket. */
		relay_send_err(s, *seq, ERR(ACCESS_DENIED),
			       "mypool: caching_sha2_password full authentication needs the Unix socket (mypool has no TLS)");
		relay_flush(s);
		return (*st = END_AUTH_FAILED, true);
	}
	bool ok = u && auth_cleartext_verify(pw, n, u->stage2, u->has_password);
	if (ok)
		auth_sha2_learn(u->name, u->stage2, pw, n && pw[n - 1] == 0 ? n - 1 : n);
	memset(pw, 0, sizeof(pw));
	if (!ok)
		return (*st = deny(s, *seq, true, u), true);
	return (*st = END_QUIT, true);
}

/* A user given by its ed25519 public key: only MariaDB's client_ed25519 can log in as it. The
 * client signs a fresh 32-byte nonce with the key it derives from the password. */
static enum end_status auth_ed25519(struct session *s, struct pkt *p, const struct config_user *u, uint8_t *seq)
{
	uint8_t nonce[AUTH_ED25519_NONCE_LEN], sig[64];
	size_t sig_len = 0;
	if (!(s->caps & CAP_PLUGIN_AUTH) || auth_random(nonce, sizeof(nonce)) != 0)
		return deny(s, *seq, true, u);
	proto_write_auth_switch(&s->out, *seq, "client_ed25519", nonce, sizeof(nonce));
	enum end_status st = auth_read(s, p, seq, sig, sizeof(sig), &sig_len);
	if (st != END_QUIT)
		return st;
	if (!auth_ed25519_verify(u->ed25519_key, nonce, sizeof(nonce), sig, sig_len))
		return deny(s, *seq, sig_len > 0, u);
	return END_QUIT;
}

/* Check the password of s->user: with the token the client sent for `plugin`
 * (mysql_native_password or caching_sha2_password), or after switching it to
 * mysql_native_password if it started with another plugin. The packet that carried the token
 * (p) is consumed. On success *seq is the sequence id to answer with. */
static enum end_status check_password(struct session *s, struct pkt *p, const uint8_t *plugin, size_t plugin_len,
				      const uint8_t *auth, size_t auth_len, uint8_t *seq)
{
	uint8_t token[64];
	size_t token_len = auth_len < sizeof(token) ? auth_len : sizeof(token);
	memcpy(token, auth, token_len);
	bool native = !plugin || (plugin_len == strlen(NATIVE_PLUGIN) && memcmp(plugin, NATIVE_PLUGIN, plugin_len) == 0);
	bool sha2 = plugin && plugin_len == strlen(SHA2_PLUGIN) && memcmp(plugin, SHA2_PLUGIN, plugin_len) == 0;
	relay_client_consume(s, p);
	const struct config_user *u = config_find_user(s->cfg, s->user, strlen(s->user));
	enum end_status st;
	if (u && u->has_ed25519)
		return auth_ed25519(s, p, u, seq);
	if (sha2 && (s->caps & CAP_PLUGIN_AUTH) && auth_sha2(s, p, u, token, token_len, seq, &st))
		return st;
	if (!native && (s->caps & CAP_PLUGIN_AUTH)) {
		uint8_t data[AUTH_SCRAMBLE_LEN + 1];
		memcpy(data, s->scramble, AUTH_SCRAMBLE_LEN);
		data[AUTH_SCRAMBLE_LEN] = 0;
		proto_write_auth_switch(&s->out, *seq, NATIVE_PLUGIN, data, sizeof(data));
		st = auth_read(s, p, seq, token, sizeof(token), &token_len);
		if (st != END_QUIT)
			return st;
	}
	if (!u || !auth_native_verify(s->scramble, token, token_len, u->stage2, u->has_password))
		return deny(s, *seq, token_len > 0, u);
	return END_QUIT; /* = no error */
}

/* A login's password check (check_password), slowed down after failed ones. */
static enum end_status auth_user(struct session *s, struct pkt *p, const uint8_t *plugin, size_t plugin_len,
				 const uint8_t *auth, size_t auth_len, uint8_t *seq)
{
	login_delay(s);
	enum end_status st = check_password(s, p, plugin, plugin_len, auth, auth_len, seq);
	if (st == END_QUIT)
		authfail_succeeded(s->user, login_addr(s));
	return st;
}

/* The database named at login or in COM_CHANGE_USER must exist, as the server would check. */
static int check_schema(struct session *s, uint8_t seq)
{
	if (!s->schema || (transaction_pooling(s) && pool_schema_known(s->t->w->pool, s->user, s->schema)))
		return 0;
	if (session_acquire(s, seq) != 0)
		return -1;
	pool_schema_seen(s->t->w->pool, s->user, s->schema);
	return 0;
}

/* COM_CHANGE_USER: a new login on the same connection. All session state is dropped. */
enum end_status login_change_user(struct session *s, struct pkt *p)
{
	struct proto_change_user cu;
	if (!p->whole || proto_parse_change_user(p->data, p->len, s->caps, &cu) != 0 || cu.user_len >= sizeof(s->user) ||
	    cu.user_len == 0) {
		log_info("malformed COM_CHANGE_USER");
		relay_send_err(s, 1, ERR(HANDSHAKE), "Bad handshake");
		relay_flush(s);
		return END_PROTOCOL;
	}
	if (s->failed_change_users >= 3) {
		/* As MariaDB: no more guessing passwords on this connection. */
		if (relay_client_drop(s, p) != 0)
			return END_CLIENT_GONE;
		relay_send_err(s, 1, ERR(UNKNOWN_COM), "Unknown command");
		return relay_flush(s) == 0 ? END_QUIT : END_CLIENT_GONE;
	}
	s->login_ms = mono_ms();
	session_forget_state(s);
	char was_user[sizeof(s->user)];
	memcpy(was_user, s->user, sizeof(was_user));
	char *was_schema = s->schema;
	uint8_t was_charset = s->charset;
	s->schema = cu.db && cu.db_len ? strndup((const char *)cu.db, cu.db_len) : NULL;
	login_set_user(s, cu.user, cu.user_len);
	if (cu.has_charset && cu.charset && cu.charset < 256)
		s->charset = (uint8_t)cu.charset;
	uint8_t seq = 1;
	enum end_status st = auth_user(s, p, cu.plugin, cu.plugin_len, cu.auth, cu.auth_len, &seq);
	if (st == END_QUIT && check_schema(s, seq) != 0) {
		relay_flush(s);
		st = END_AUTH_FAILED; /* an unknown database (1049), as the server refuses it */
	}
	if (st == END_AUTH_FAILED) {
		/* The error is out; as MariaDB, the connection stays, as the user it was, with its
		 * database and character set (its session state is gone all the same). */
		s->failed_change_users++;
		free(s->schema);
		s->schema = was_schema;
		login_set_user(s, (const uint8_t *)was_user, strlen(was_user));
		s->charset = was_charset;
		return END_QUIT;
	}
	free(was_schema);
	if (st != END_QUIT)
		return st;
	session_after_command(s);
	relay_send_ok(s, seq);
	log_debug("changed user");
	return END_QUIT;
}

/* ---- handshake and authentication ---- */

enum end_status login_authenticate(struct session *s)
{
	struct proto_handshake hs = {
		.conn_id = s->id,
		.caps = SERVER_CAPS,
		.charset = DEFAULT_COLLATION,
		.status = STATUS_AUTOCOMMIT,
		.auth_plugin = NATIVE_PLUGIN,
	};
	char version[96];
	snprintf(version, sizeof(version), "5.5.5-%s", s->cfg->server_version);
	hs.server_version = version;
	/* Announce the server's own character set (clients such as PHP's mysqlnd take it as their
	 * default), once a connection has told us what it is. */
	unsigned server_cs = pool_server_charset(s->t->w->pool);
	if (server_cs)
		hs.charset = (uint8_t)server_cs;
	if (auth_scramble(s->scramble) != 0) {
		log_error("no randomness for the scramble");
		return END_INTERNAL;
	}
	memcpy(hs.scramble, s->scramble, sizeof(s->scramble));
	proto_write_handshake(&s->out, &hs);
	if (relay_flush(s) != 0)
		return END_CLIENT_GONE;

	struct pkt p;
	if (relay_client_packet(s, &p, login_time_left(s)) != 0)
		return END_CLIENT_GONE;
	if (!p.whole || p.seq != 1) {
		log_info("bad handshake response (seq %u, %u bytes)", p.seq, p.len);
		relay_send_err(s, 2, ERR(HANDSHAKE), "Bad handshake");
		relay_flush(s);
		return END_PROTOCOL;
	}
	struct proto_handshake_response hr;
	int rc = proto_parse_handshake_response(p.data, p.len, &hr);
	if (rc == -2) {
		log_info("client asked for TLS, which mypool does not offer");
		relay_send_err(s, 2, ERR(HANDSHAKE), "mypool: SSL is not supported");
		relay_flush(s);
		return END_PROTOCOL;
	}
	if (rc != 0 || hr.user_len >= sizeof(s->user)) {
		log_info("malformed handshake response (%u bytes)", p.len);
		relay_send_err(s, 2, ERR(HANDSHAKE), "Bad handshake");
		relay_flush(s);
		return END_PROTOCOL;
	}
	s->caps = hr.caps & SERVER_CAPS;
	s->charset = hr.charset ? hr.charset : DEFAULT_COLLATION;
	s->multi_stmt = s->caps & CAP_MULTI_STATEMENTS;
	s->ignore_space = s->caps & CAP_IGNORE_SPACE;
	login_set_user(s, hr.user, hr.user_len);
	if (hr.db && hr.db_len > 0)
		s->schema = strndup((const char *)hr.db, hr.db_len);

	uint8_t seq = 2;
	enum end_status st = auth_user(s, &p, hr.plugin, hr.plugin_len, hr.auth, hr.auth_len, &seq);
	if (st != END_QUIT)
		return st;
	if (session_console_claims(s->schema)) {
		if (!session_console_allows(s)) {
			log_info("user '%s' is not an admin", s->user);
			relay_send_errf(s, seq, ERR(DBACCESS_DENIED), "Access denied for user '%s'@'localhost' to database '%s'",
					s->user, s->schema);
			relay_flush(s);
			return END_AUTH_FAILED;
		}
		s->admin = true;
		relay_send_ok(s, seq);
		log_info("admin console session");
		return END_QUIT;
	}
	if (check_schema(s, seq) != 0) {
		relay_flush(s);
		return END_AUTH_FAILED;
	}
	session_after_command(s);
	relay_send_ok(s, seq);
	log_debug("logged in (caps 0x%llx, charset %u%s%s)", (unsigned long long)s->caps, s->charset,
		  s->schema ? ", db " : "", s->schema ? s->schema : "");
	return END_QUIT; /* = no error */
}
