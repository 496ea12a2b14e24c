/* command: a session's command loop and the table from command to handler (see
 * session_priv.h). */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "proto.h"
#include "session_priv.h"
#include "sqlscan.h"
#include "thread.h"

/* How much of a slow statement the log shows. */
#define SLOW_LOG_TEXT 200

/* Relay one text-protocol command to the backend and its response to the client. Returns 0, or
 * -1 if the session must end (the client went away or the stream cannot be repaired). */
static int relay_command(struct session *s, const struct pkt *p, uint8_t cmd, uint8_t opt)
{
	if (cmd == COM_QUERY && p->len > 1) {
		/* A command larger than the input buffer is scanned as far as it is buffered. */
		session_begin_command(s, p->data + 1, relay_client_have(s, p) - 1);
	} else {
		session_begin_command(s, NULL, 0);
	}
	char *init_db = NULL; /* COM_INIT_DB's database, followed even without a session tracker */
	if (cmd == COM_INIT_DB && p->whole)
		init_db = strndup((const char *)p->data + 1, p->len - 1);
	/* The slow-query log shows the start of the statement (never more), its string
	 * literals masked: they may hold passwords. */
	char slow[SLOW_LOG_TEXT + 1] = "";
	bool slow_cut = false;
	uint64_t started = 0;
	if (s->cfg->log_slow_ms && cmd == COM_QUERY) {
		size_t n = relay_client_have(s, p) - 1;
		slow_cut = sqlscan_mask_literals((const char *)p->data + 1, n, slow, sizeof(slow)) < p->len - 1;
		started = mono_ms();
	}
	if ((s->scan & SQL_LOAD_LOCAL) && !(s->caps & CAP_LOCAL_FILES)) {
		/* What the server answers a client that did not offer to send files. */
		free(init_db);
		if (relay_client_drop(s, p) != 0)
			return -1;
		relay_send_err(s, 1, ERR(LOAD_INFILE_CAPABILITY_DISABLED),
			       "The used command is not allowed because the MariaDB server or client has disabled the "
			       "local infile capability");
		return 0;
	}
	int fw;
	for (int attempt = 0;; attempt++) {
		if (session_acquire(s, (uint8_t)(p->seq + 1)) != 0) {
			free(init_db);
			return relay_client_drop(s, p);
		}
		session_apply_scan(s);
		if (!p->whole)
			/* Scanned only as far as it was buffered: whatever session state its rest left
			 * (a named lock, a user variable set in a SELECT) is reset before anyone else
			 * gets this connection. */
			s->be->dirty = true;
		fw = session_forward(s, p, attempt < 3);
		if (fw != 2)
			break;
	}
	struct backend *b = s->be;
	if (fw != 0) {
		free(init_db);
		return fw < 0 ? -1 : 0;
	}

	enum relay r = RELAY_DONE;
	bool done = false;
	switch (cmd) {
	case COM_QUERY:
		while (!done && r == RELAY_DONE)
			r = relay_result(s, &done, NULL);
		break;
	case COM_FIELD_LIST:
		r = relay_field_list(s);
		break;
	case COM_STATISTICS: {
		uint32_t len;
		r = relay_be_packet(s, &len, 0) != 0 ? RELAY_BACKEND_GONE : relay_pass(s, len);
		break;
	}
	default:
		r = relay_result(s, &done, NULL);
		break;
	}
	if (r == RELAY_DONE && !s->resp_err && cmd == COM_SET_OPTION)
		s->multi_stmt = b->multi_stmt = opt == 0; /* MYSQL_OPTION_MULTI_STATEMENTS_ON is 0 */
	if (r == RELAY_DONE && !s->resp_err && init_db) {
		free(s->schema);
		s->schema = init_db;
		free(b->schema);
		b->schema = strdup(init_db);
		init_db = NULL;
	}
	free(init_db);
	if (started) {
		uint64_t ms = mono_ms() - started;
		if (ms >= s->cfg->log_slow_ms)
			log_warn("slow query (%llu ms): %s%s", (unsigned long long)ms, slow, slow_cut ? "..." : "");
	}
	return session_finish(s, r, (uint8_t)(p->seq + 1));
}

/* How long the client may stay silent now (-1 = for ever), and which key says so:
 * client_idle_timeout, or idle_transaction_timeout if shorter while it keeps a server connection
 * busy (an open transaction; with transaction pooling also a pin). */
static long idle_limit(const struct session *s, const char **key)
{
	unsigned t = s->cfg->client_idle_timeout_ms, tx = s->cfg->idle_transaction_timeout_ms;
	bool holding = (s->hold.status & STATUS_IN_TRANS) || (transaction_pooling(s) && s->be);
	*key = "client_idle_timeout";
	if (holding && tx && (!t || tx < t)) {
		t = tx;
		*key = "idle_transaction_timeout";
	}
	return t ? (long)t : -1;
}

/* Commands that may be larger than CLIENT_WHOLE_MAX: they are streamed to the server, and their
 * handlers read only the start of them (relay_client_prefix). Every other command is handled
 * whole or refused. */
static bool streams(const struct session *s, uint8_t cmd)
{
	return !s->admin && (cmd == COM_QUERY || cmd == COM_STMT_EXECUTE || cmd == COM_STMT_SEND_LONG_DATA);
}

/* ---- the handlers: each gets the command at the head of s->in; END_NONE: the session goes on ---- */

static enum end_status quit(struct session *s, struct pkt *p)
{
	(void)s, (void)p;
	return END_QUIT;
}

static enum end_status ping(struct session *s, struct pkt *p)
{
	relay_client_consume(s, p);
	relay_send_ok(s, 1);
	return END_NONE;
}

static enum end_status change_user(struct session *s, struct pkt *p)
{
	enum end_status st = login_change_user(s, p);
	return st == END_QUIT ? END_NONE : st; /* END_QUIT: logged in */
}

static enum end_status reset_connection(struct session *s, struct pkt *p)
{
	relay_client_consume(s, p);
	session_forget_state(s); /* the schema stays, as on the server */
	relay_send_ok(s, 1);
	return END_NONE;
}

static enum end_status statement(struct session *s, struct pkt *p)
{
	if (prepared_command(s, p, p->data[0]) == 0)
		return END_NONE;
	relay_flush(s);
	return END_CLIENT_GONE;
}

static enum end_status process_kill(struct session *s, struct pkt *p)
{
	return kill_command(s, p) == 0 ? END_NONE : END_CLIENT_GONE;
}

/* Relayed to the server as they are. */
static enum end_status relayed(struct session *s, struct pkt *p)
{
	uint8_t opt = p->whole && p->len >= 3 ? p->data[1] : 0;
	if (relay_command(s, p, p->data[0], opt) == 0)
		return END_NONE;
	relay_flush(s);
	return END_CLIENT_GONE;
}

static enum end_status query(struct session *s, struct pkt *p)
{
	if (p->whole && p->len > 5 && kill_is_statement(p->data + 1, p->len - 1)) /* mypool answers KILL */
		return kill_query(s, p) == 0 ? END_NONE : END_CLIENT_GONE;
	return relayed(s, p);
}

static enum end_status unsupported(struct session *s, struct pkt *p)
{
	uint8_t cmd = p->data[0];
	log_info("unsupported command %s", proto_cmd_name(cmd));
	if (relay_client_drop(s, p) != 0)
		return END_CLIENT_GONE;
	relay_send_errf(s, 1, ERR(UNKNOWN_COM), "mypool: command %s is not supported", proto_cmd_name(cmd));
	return END_NONE;
}

/* The commands a session runs (the console's are admin.c's); the others are unsupported. */
static enum end_status (*const commands[256])(struct session *s, struct pkt *p) = {
	[COM_QUIT] = quit,
	[COM_PING] = ping,
	[COM_CHANGE_USER] = change_user,
	[COM_RESET_CONNECTION] = reset_connection,
	[COM_STMT_PREPARE] = statement,
	[COM_STMT_EXECUTE] = statement,
	[COM_STMT_SEND_LONG_DATA] = statement,
	[COM_STMT_CLOSE] = statement,
	[COM_STMT_RESET] = statement,
	[COM_STMT_FETCH] = statement,
	[COM_PROCESS_KILL] = process_kill,
	[COM_QUERY] = query,
	[COM_PROCESS_INFO] = relayed,
	[COM_INIT_DB] = relayed,
	[COM_FIELD_LIST] = relayed,
	[COM_STATISTICS] = relayed,
	[COM_SET_OPTION] = relayed,
};

enum end_status command_loop(struct session *s)
{
	for (;;) {
		if (relay_flush(s) != 0)
			return END_CLIENT_GONE;
		if (s->state_lost)
			return END_BACKEND_LOST;
		if (s->killed)
			return END_KILLED;
		if (s->drain && !(s->hold.status & STATUS_IN_TRANS))
			return END_DRAINED;
		s->phase = PH_IDLE;
		struct pkt p;
		const char *key;
		long idle = idle_limit(s, &key);
		errno = 0; /* ETIMEDOUT below must be this read's */
		int rc = relay_client_packet(s, &p, idle);
		s->phase = PH_ACTIVE;
		if (rc != 0 && errno == ETIMEDOUT) {
			log_info("idle for %ld ms (%s): disconnecting", idle, key);
			return END_IDLE;
		}
		if (rc != 0)
			return s->killed ? END_KILLED : s->drain ? END_DRAINED : END_CLIENT_GONE;
		if (p.len == 0) {
			log_info("empty command packet");
			relay_send_err(s, (uint8_t)(p.seq + 1), ERR(HANDSHAKE), "mypool: malformed packet");
			relay_flush(s);
			return END_PROTOCOL;
		}
		if (p.seq != 0) {
			log_info("command packet with sequence id %u", p.seq);
			relay_send_err(s, 1, ERR(NET_PACKETS_OUT_OF_ORDER), "Got packets out of order");
			relay_flush(s);
			return END_PROTOCOL;
		}
		if (p.len > s->cfg->max_allowed_packet) {
			relay_send_err(s, 1, ERR(NET_PACKET_TOO_LARGE), "Got a packet bigger than 'max_allowed_packet' bytes");
			relay_flush(s);
			return END_PROTOCOL;
		}
		uint8_t cmd = p.data[0];
		s->t->stats.queries++;
		if (!p.whole && !streams(s, cmd)) {
			/* Larger than mypool buffers, and a command whose handler needs it whole:
			 * read past it, so its rest is not taken for commands. */
			log_info("%s of %u bytes refused", proto_cmd_name(cmd), p.len);
			if (relay_client_drop(s, &p) != 0)
				return END_CLIENT_GONE;
			relay_send_errf(s, 1, ERR(NET_PACKET_TOO_LARGE), "mypool: %s of %u bytes is too large",
					proto_cmd_name(cmd), p.len);
			continue;
		}
		if (s->admin && cmd != COM_QUIT) {
			if (!p.whole) { /* the console's commands are short */
				if (relay_client_drop(s, &p) != 0)
					return END_CLIENT_GONE;
				relay_send_err(s, 1, ERR(NET_PACKET_TOO_LARGE),
					       "Got a packet bigger than 'max_allowed_packet' bytes");
				continue;
			}
			int crc = session_console_command(s, cmd, p.data + 1, p.len - 1);
			relay_client_consume(s, &p);
			if (crc != 0)
				return END_CLIENT_GONE;
			continue;
		}
		enum end_status st = (commands[cmd] ? commands[cmd] : unsupported)(s, &p);
		if (st != END_NONE)
			return st;
		session_after_command(s);
	}
}
