/* prepared: the binary protocol's commands across pooled backends (see session_priv.h, stmt.h).
 *
 * The client sees mypool's statement ids. A statement is prepared on whichever backend runs it
 * (backend->stmts caches the server's ids by SQL text), so a client that moved to another
 * backend between PREPARE and EXECUTE notices nothing: the execute is rewritten with the
 * server's id, and with the parameter types when the client relies on types bound earlier.
 * When the server skips column definitions it sent before (MariaDB's CACHE_METADATA), the
 * ones this client got at PREPARE are filled in. An open cursor or long data sent for the next
 * execute keeps the backend. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "config.h"
#include "errors.h"
#include "log.h"
#include "session_priv.h"

#define CURSOR_TYPE_READ_ONLY 1

/* The key of st in a backend's statement cache: what the server prepared depends on the SQL
 * text and on the database it was prepared in (unqualified names are bound to it), sql_mode
 * (ANSI_QUOTES, PIPES_AS_CONCAT...) and the character set of the connection. The database is
 * the one the client prepared st in; the others are the client's now (which its backend has). */
static bool cache_key(const struct session *s, const struct stmt *st, struct buf *key)
{
	const char *mode = varset_get(&s->vars, "sql_mode"), *cs = varset_get(&s->vars, "character_set_client"),
		   *coll = varset_get(&s->vars, "collation_connection");
	buf_reset(key);
	buf_put_cstr(key, st->schema ? st->schema : "");
	buf_put_cstr(key, mode ? mode : "");
	buf_put_u8(key, s->charset);
	buf_put_cstr(key, cs ? cs : "");
	buf_put_cstr(key, coll ? coll : "");
	buf_put(key, st->sql, st->sql_len);
	return !key->failed;
}

/* The server's id of st on the attached backend, 0 if it is not prepared there. */
static uint32_t cached_id(struct session *s, const struct stmt *st)
{
	struct buf key;
	buf_init(&key, 0);
	uint32_t id = cache_key(s, st, &key) ? stmt_cache_get(&s->be->stmts, (const char *)key.data, key.len) : 0;
	buf_free(&key);
	return id;
}

/* A statement with an open cursor or long data sent lives on the server: its entry in the
 * backend's cache must not be evicted meanwhile. */
static void set_busy(struct session *s, struct stmt *st, bool cursor, bool long_data)
{
	bool was = st->cursor || st->long_data, now = cursor || long_data;
	st->cursor = cursor;
	st->long_data = long_data;
	if (was == now || !s->be)
		return;
	uint32_t id = cached_id(s, st);
	if (id)
		stmt_cache_hold(&s->be->stmts, id, now ? +1 : -1);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Send mypool's own command (a payload it built) to the backend. */
static int backend_send(struct session *s, const uint8_t *payload, size_t n)
{
	struct buf b;
	buf_init(&b, 0);
	proto_put_packet(&b, 0, payload, n);
	int rc = b.failed ? -1 : relay_be_write(s, b.data, b.len);
	buf_free(&b);
	return rc;
}

static int backend_send_id(struct session *s, uint8_t cmd, uint32_t id)
{
	uint8_t payload[5] = { cmd };
	put_u32(payload + 1, id);
	return backend_send(s, payload, sizeof(payload));
}

/* Read past n definitions and their EOF (a prepare response mypool does not relay); the
 * definitions go to keep (if not NULL) as the server sent them. */
static int skip_definitions(struct session *s, unsigned n, struct buf *keep)
{
	if (n == 0)
		return 0;
	for (unsigned i = 0; i <= n; i++) {
		uint32_t len;
		if (relay_be_packet_whole(s, &len) != 0)
			return -1;
		if (keep && i < n)
			buf_put(keep, buf_head(&s->bin), PROTO_HEADER_LEN + len);
		buf_consume(&s->bin, PROTO_HEADER_LEN + len);
	}
	return 0;
}

/* The server's ERR packet at the head of s->bin, to the client with sequence id seq. */
static void forward_error(struct session *s, uint32_t len, uint8_t seq)
{
	struct proto_err e;
	char msg[PROTO_ERRMSG_MAX + 1];
	if (proto_parse_err(buf_head(&s->bin) + PROTO_HEADER_LEN, len, &e) != 0) {
		e.code = ER_UNKNOWN_ERROR;
		snprintf(e.sqlstate, sizeof(e.sqlstate), "%s", SQLSTATE_UNKNOWN_ERROR);
		e.msg = (const uint8_t *)"unknown error";
		e.msg_len = 13;
	}
	snprintf(msg, sizeof(msg), "%.*s", (int)e.msg_len, (const char *)e.msg);
	relay_send_err(s, seq, e.code, e.sqlstate, msg);
	buf_consume(&s->bin, PROTO_HEADER_LEN + len);
}

/* Put (key -> id) into the backend's cache and close on the server whatever that pushes out
 * (the entry count or the byte budget, statement_cache_bytes). 0, or -1 if the backend failed. */
static int cache_put(struct session *s, const struct buf *key, uint32_t id)
{
	struct stmt_cache *c = &s->be->stmts;
	uint32_t evicted;
	if (stmt_cache_put(c, (const char *)key->data, key->len, id, &evicted) == 0 && evicted &&
	    backend_send_id(s, COM_STMT_CLOSE, evicted) != 0)
		return -1;
	while ((evicted = stmt_cache_trim(c)) != 0)
		if (backend_send_id(s, COM_STMT_CLOSE, evicted) != 0)
			return -1;
	return 0;
}

/* COM_STMT_PREPARE of st on the attached backend, which is in the database st was prepared in;
 * the response is read and not relayed (its column definitions go to cols). The server's id, or
 * 0 (the client has an error packet, or *lost: the backend failed). */
static uint32_t prepare_here(struct session *s, struct stmt *st, uint8_t seq, bool *lost, struct buf *cols)
{
	struct backend *b = s->be;
	uint8_t *payload = malloc(st->sql_len + 1);
	if (!payload) {
		relay_send_err(s, seq, ERR(OUT_OF_MEMORY), "mypool: out of memory");
		return 0;
	}
	payload[0] = COM_STMT_PREPARE;
	memcpy(payload + 1, st->sql, st->sql_len);
	int rc = backend_send(s, payload, st->sql_len + 1);
	free(payload);
	uint32_t len;
	if (rc != 0 || relay_be_packet_whole(s, &len) != 0)
		return (*lost = true, 0);
	const uint8_t *p = buf_head(&s->bin) + PROTO_HEADER_LEN;
	if (proto_is_err(p, len)) {
		forward_error(s, len, seq);
		return 0;
	}
	struct proto_prepare_ok ok;
	if (proto_parse_prepare_ok(p, len, &ok) != 0) {
		snprintf(b->error, sizeof(b->error), "malformed prepare response");
		b->broken = true;
		return (*lost = true, 0);
	}
	buf_consume(&s->bin, PROTO_HEADER_LEN + len);
	if (skip_definitions(s, ok.nparams, NULL) != 0 || skip_definitions(s, ok.ncols, cols) != 0)
		return (*lost = true, 0);
	return ok.stmt_id;
}

/* Make sure st is prepared on the attached backend. Returns the server's id, or 0: the client
 * has an error packet (sequence id seq), or the backend broke. */
static uint32_t on_backend(struct session *s, struct stmt *st, uint8_t seq)
{
	struct backend *b = s->be;
	struct buf key;
	buf_init(&key, 0);
	uint32_t id = 0;
	bool lost = false;
	if (!cache_key(s, st, &key)) {
		relay_send_err(s, seq, ERR(OUT_OF_MEMORY), "mypool: out of memory");
		goto out;
	}
	id = stmt_cache_get(&b->stmts, (const char *)key.data, key.len);
	if (id)
		goto out;
	/* The server binds unqualified names to the database of the prepare: prepare it in the
	 * client's database of then, and come back to the one it uses now. (A client with no
	 * database now stays in that one: no command unselects a database.) */
	char *back = NULL;
	bool moved = st->schema && (!b->schema || strcmp(b->schema, st->schema) != 0);
	if (moved) {
		back = b->schema ? strdup(b->schema) : NULL;
		if (backend_select_db(b, st->schema) != 0) {
			free(back);
			if (b->broken)
				lost = true;
			else
				relay_send_err(s, seq, (uint16_t)backend_errno(b), backend_sqlstate(b), backend_error(b));
			goto out;
		}
	}
	struct buf cols;
	buf_init(&cols, 0);
	id = prepare_here(s, st, seq, &lost, &cols);
	if (moved && back && !lost && backend_select_db(b, back) != 0)
		lost = true; /* the client's database is gone meanwhile: start afresh elsewhere */
	free(back);
	if (id && !lost && cache_put(s, &key, id) != 0)
		lost = true;
	if (id && !lost)
		stmt_cache_set_cols(&b->stmts, id, &cols); /* what the server counts as sent */
	buf_free(&cols);
	if (id && !lost)
		log_debug("statement %u prepared on backend %u as %u", st->id, b->server_id, id);
out:
	buf_free(&key);
	if (!lost)
		return id;
	if (!b->broken) {
		b->broken = true;
		snprintf(b->error, sizeof(b->error), "cannot go back to database after a prepare");
	}
	session_lost_backend_err(s, seq, "");
	session_release(s);
	return 0;
}

/* Start a command on statement st (the client's packet p names it): a backend in the client's
 * state on which st is prepared, its id there written into the packet. 1, or 0 if the client
 * has an error (or the backend failed) and the packet is to be dropped. */
static int attach(struct session *s, struct pkt *p, struct stmt *st, uint32_t *server_id)
{
	session_begin_command(s, (const uint8_t *)st->sql, st->sql_len);
	if (session_acquire(s, 1) != 0 || !(*server_id = on_backend(s, st, 1)))
		return 0;
	put_u32(p->data + 1, *server_id);
	return 1;
}

static int unknown_statement(struct session *s, struct pkt *p, uint32_t id, const char *where)
{
	if (relay_client_drop(s, p) != 0)
		return -1;
	relay_send_errf(s, 1, ERR(UNKNOWN_STMT_HANDLER), "Unknown prepared statement handler (%u) given to %s",
			id, where);
	return 0;
}

static int cmd_prepare(struct session *s, struct pkt *p)
{
	if (!p->whole) {
		if (relay_client_drop(s, p) != 0)
			return -1;
		relay_send_err(s, 1, ERR(NET_PACKET_TOO_LARGE), "mypool: statement too large to prepare");
		return 0;
	}
	size_t sql_len = p->len - 1;
	const struct config *cfg = s->cfg;
	if (s->stmts.n >= cfg->max_prepared_statements) {
		if (relay_client_drop(s, p) != 0)
			return -1;
		relay_send_errf(s, 1, ERR(MAX_PREPARED_STMT_COUNT_REACHED),
				"Can't create more than max_prepared_stmt_count statements (current value: %u)",
				cfg->max_prepared_statements);
		return 0;
	}
	if (stmt_table_bytes(&s->stmts) + sql_len > cfg->max_prepared_statement_bytes) {
		if (relay_client_drop(s, p) != 0)
			return -1;
		relay_send_errf(s, 1, ERR(MAX_PREPARED_STMT_COUNT_REACHED),
				"mypool: the prepared statements of this session would keep more than %u bytes "
				"(max_prepared_statement_bytes)",
				cfg->max_prepared_statement_bytes);
		return 0;
	}
	if (kill_is_statement(p->data + 1, sql_len) && !memchr(p->data + 1, '?', sql_len)) {
		/* KILL takes mypool's session ids, which no server knows: prepared here, run by
		 * kill.c when it is executed, as the same statement in text. */
		struct stmt *st = stmt_add(&s->stmts, (const char *)p->data + 1, sql_len, 0, 0);
		relay_client_consume(s, p);
		if (!st)
			return -1;
		st->kill = true;
		uint8_t ok[12] = { 0 };
		put_u32(ok + 1, st->id);
		proto_put_packet(&s->out, 1, ok, sizeof(ok));
		return 0;
	}
	char *sql = malloc(sql_len + 1);
	if (!sql)
		return -1;
	memcpy(sql, p->data + 1, sql_len);
	sql[sql_len] = 0;
	session_begin_command(s, (const uint8_t *)sql, sql_len);
	if (session_acquire(s, 1) != 0) {
		free(sql);
		return relay_client_drop(s, p);
	}
	session_apply_scan(s);
	int fw = session_forward(s, p, false);
	if (fw != 0) {
		free(sql);
		return fw < 0 ? -1 : 0;
	}

	enum relay r = RELAY_DONE;
	uint32_t len;
	struct buf cols; /* the column definitions as the server sent them */
	buf_init(&cols, 0);
	if (relay_be_packet_whole(s, &len) != 0) {
		r = RELAY_BACKEND_GONE;
		goto out;
	}
	uint8_t *q = buf_head(&s->bin) + PROTO_HEADER_LEN;
	if (proto_is_err(q, len)) {
		r = relay_err(s, len);
		goto out;
	}
	struct proto_prepare_ok ok;
	if (proto_parse_prepare_ok(q, len, &ok) != 0) {
		snprintf(s->be->error, sizeof(s->be->error), "malformed prepare response");
		s->be->broken = true;
		r = RELAY_BACKEND_GONE;
		goto out;
	}
	uint32_t server_id = ok.stmt_id;
	unsigned ncols = ok.ncols, nparams = ok.nparams;
	s->warnings = ok.warnings;
	struct stmt *st = stmt_add(&s->stmts, sql, sql_len, (uint16_t)nparams, (uint16_t)ncols);
	if (st && s->schema && !(st->schema = strdup(s->schema))) {
		stmt_remove(&s->stmts, st->id);
		st = NULL;
	}
	if (!st) {
		s->be->broken = true;
		snprintf(s->be->error, sizeof(s->be->error), "out of memory");
		r = RELAY_BACKEND_GONE;
		goto out;
	}
	put_u32(q + 1, st->id); /* the client knows mypool's id */
	r = relay_pass(s, len);
	for (unsigned i = 0; i < nparams && r == RELAY_DONE; i++)
		r = relay_be_packet(s, &len, 0) != 0 ? RELAY_BACKEND_GONE : relay_column(s, len, false, NULL);
	if (nparams && r == RELAY_DONE)
		r = relay_be_packet_whole(s, &len) != 0 ? RELAY_BACKEND_GONE : relay_pass(s, len);
	for (unsigned i = 0; i < ncols && r == RELAY_DONE; i++)
		r = relay_be_packet(s, &len, 0) != 0 ? RELAY_BACKEND_GONE : relay_column(s, len, false, &cols);
	if (ncols && r == RELAY_DONE)
		r = relay_be_packet_whole(s, &len) != 0 ? RELAY_BACKEND_GONE : relay_pass(s, len);
	if (r == RELAY_DONE) {
		struct buf key;
		buf_init(&key, 0);
		if (cache_key(s, st, &key) && cache_put(s, &key, server_id) != 0)
			r = RELAY_BACKEND_GONE;
		else
			stmt_cache_set_cols(&s->be->stmts, server_id, &cols); /* what the server counts as sent */
		buf_free(&key);
	}
out:
	buf_free(&cols);
	free(sql);
	return session_finish(s, r, 1);
}

static int malformed(struct session *s, struct pkt *p, uint16_t code, const char *sqlstate, const char *msg)
{
	if (relay_client_drop(s, p) != 0)
		return -1;
	relay_send_err(s, 1, code, sqlstate, msg);
	return 0;
}

/* Send an execute whose client relies on parameter types bound earlier, with those types
 * (`bound_at`: the offset of its "new params bound" byte): the part buffered now, rewritten,
 * then the rest of the client's packet as it arrives. 0, -1 (the backend failed; the client
 * has an error), -2 (the client went away). */
static int send_with_types(struct session *s, struct pkt *p, const struct stmt *st, size_t bound_at)
{
	size_t have = relay_client_have(s, p), types = 2u * st->nparams;
	struct buf b;
	buf_init(&b, 0);
	uint8_t *h = buf_reserve(&b, PROTO_HEADER_LEN);
	if (h)
		proto_hdr_put(h, (uint32_t)(p->len + types), p->seq);
	b.len += h ? PROTO_HEADER_LEN : 0;
	buf_put(&b, p->data, bound_at);
	buf_put_u8(&b, 1);
	buf_put(&b, st->types, types);
	buf_put(&b, p->data + bound_at + 1, have - bound_at - 1);
	int rc = b.failed ? -1 : relay_be_write(s, b.data, b.len);
	buf_free(&b);
	buf_consume(&s->in, PROTO_HEADER_LEN + have);
	int tail = relay_pipe_to_backend(s, p->len - have);
	if (tail == -2)
		return -2;
	if (rc != 0 || tail != 0) {
		session_lost_backend_err(s, 1, "");
		session_release(s);
		return -1;
	}
	return 0;
}

static int cmd_execute(struct session *s, struct pkt *p)
{
	/* A large execute (long parameters) is streamed: its handler reads only its start,
	 * made available first. */
	if (p->len < 10)
		return malformed(s, p, ERR(MALFORMED_PACKET), "Malformed communication packet");
	if (!p->whole && relay_client_prefix(s, p, 10) != 0)
		return -1;
	uint32_t id = get_u32(p->data + 1);
	struct stmt *st = stmt_find(&s->stmts, id);
	if (!st)
		return unknown_statement(s, p, id, "mysqld_stmt_execute");
	if (st->kill)
		return p->whole ? kill_execute(s, p, st->sql, st->sql_len)
				: malformed(s, p, ERR(MALFORMED_PACKET), "Malformed communication packet");
	uint8_t flags = p->data[5];

	/* Parameters: null bitmap, "new params bound" flag, then the types if it is 1. */
	size_t bound_at = 10 + (st->nparams + 7u) / 8, types_end = bound_at + 1 + 2u * st->nparams;
	bool rewrite_types = false;
	if (st->nparams) {
		if (p->len <= bound_at)
			return malformed(s, p, ERR(MALFORMED_PACKET), "Malformed communication packet");
		if (!p->whole && relay_client_prefix(s, p, types_end) != 0)
			return -1;
		if (p->data[bound_at] == 1) {
			if (relay_client_have(s, p) >= types_end)
				stmt_set_types(st, p->data + bound_at + 1);
		} else if (!st->types) {
			return malformed(s, p, ERR(WRONG_ARGUMENTS), "Incorrect arguments to mysqld_stmt_execute");
		} else {
			/* The backend may never have seen these types: send them again. */
			rewrite_types = true;
			if ((size_t)p->len + 2u * st->nparams >= PROTO_MAX_PAYLOAD)
				return malformed(s, p, ERR(NET_PACKET_TOO_LARGE), "mypool: execute too large to add the parameter types to");
		}
	}
	uint32_t server_id;
	if (attach(s, p, st, &server_id) != 1)
		return relay_client_drop(s, p);
	if (rewrite_types) {
		int rc = send_with_types(s, p, st, bound_at);
		if (rc != 0)
			return rc == -2 ? -1 : 0;
	} else {
		int fw = session_forward(s, p, false);
		if (fw != 0)
			return fw < 0 ? -1 : 0;
	}
	enum relay r = RELAY_DONE;
	bool done = false;
	struct relay_cols cols = { .last = stmt_cache_cols(&s->be->stmts, server_id),
				   .cursor = flags & CURSOR_TYPE_READ_ONLY };
	buf_init(&cols.fresh, 0);
	while (!done && r == RELAY_DONE)
		r = relay_result(s, &done, &cols);
	if (cols.fresh.len && s->be)
		stmt_cache_set_cols(&s->be->stmts, server_id, &cols.fresh);
	buf_free(&cols.fresh);
	set_busy(s, st, r == RELAY_DONE && (flags & CURSOR_TYPE_READ_ONLY) && (s->hold.status & STATUS_CURSOR_EXISTS), false);
	return session_finish(s, r, 1);
}

static int cmd_fetch(struct session *s, struct pkt *p)
{
	uint32_t id = p->len >= 5 ? get_u32(p->data + 1) : 0;
	struct stmt *st = stmt_find(&s->stmts, id);
	if (!st)
		return unknown_statement(s, p, id, "mysqld_stmt_fetch");
	if (!st->cursor || !s->be) {
		if (relay_client_drop(s, p) != 0)
			return -1;
		relay_send_errf(s, 1, ERR(STMT_HAS_NO_OPEN_CURSOR), "The statement (%u) has no open cursor", id);
		return 0;
	}
	session_begin_command(s, NULL, 0);
	put_u32(p->data + 1, cached_id(s, st));
	int fw = session_forward(s, p, false);
	if (fw != 0)
		return fw < 0 ? -1 : 0;
	uint16_t status = s->hold.status;
	bool done;
	enum relay r = relay_rows(s, &status, &done);
	s->hold.status = status;
	if (r != RELAY_DONE || s->resp_err || !(status & STATUS_CURSOR_EXISTS) || (status & STATUS_LAST_ROW_SENT))
		set_busy(s, st, false, st->long_data);
	return session_finish(s, r, 1);
}

static int cmd_send_long_data(struct session *s, struct pkt *p)
{
	if (!p->whole && relay_client_prefix(s, p, 7) != 0)
		return -1;
	uint32_t id = p->len >= 5 ? get_u32(p->data + 1) : 0;
	struct stmt *st = stmt_find(&s->stmts, id);
	if (!st)
		return relay_client_drop(s, p); /* no reply, as on the server; the execute fails */
	uint32_t server_id;
	if (attach(s, p, st, &server_id) != 1)
		return relay_client_drop(s, p);
	int fw = session_forward(s, p, false);
	if (fw != 0)
		return fw < 0 ? -1 : 0;
	set_busy(s, st, st->cursor, true);
	/* There is no reply: whatever session_acquire or on_backend wrote is an error nobody
	 * expects, so the output is dropped. */
	buf_reset(&s->out);
	return 0;
}

static int cmd_reset(struct session *s, struct pkt *p)
{
	uint32_t id = p->len >= 5 ? get_u32(p->data + 1) : 0;
	struct stmt *st = stmt_find(&s->stmts, id);
	if (!st)
		return unknown_statement(s, p, id, "mysqld_stmt_reset");
	session_begin_command(s, NULL, 0);
	if (!s->be || !(st->cursor || st->long_data)) {
		/* Nothing of it lives on a server: there is nothing to reset. */
		relay_client_consume(s, p);
		set_busy(s, st, false, false);
		relay_send_ok(s, 1);
		return 0;
	}
	put_u32(p->data + 1, cached_id(s, st));
	set_busy(s, st, false, false);
	int fw = session_forward(s, p, false);
	if (fw != 0)
		return fw < 0 ? -1 : 0;
	bool done;
	return session_finish(s, relay_result(s, &done, NULL), 1);
}

static int cmd_close(struct session *s, struct pkt *p)
{
	uint32_t id = p->len >= 5 ? get_u32(p->data + 1) : 0;
	relay_client_consume(s, p);
	struct stmt *st = stmt_find(&s->stmts, id);
	if (!st)
		return 0; /* no reply either way */
	if (st->cursor && s->be) {
		/* Close the cursor; the statement itself stays in the backend's cache. */
		uint32_t server_id = cached_id(s, st);
		uint32_t len;
		if (backend_send_id(s, COM_STMT_RESET, server_id) != 0 || relay_be_packet_whole(s, &len) != 0) {
			session_backend_lost(s);
			session_release(s);
		} else {
			buf_consume(&s->bin, PROTO_HEADER_LEN + len);
		}
	}
	set_busy(s, st, false, false);
	stmt_remove(&s->stmts, id);
	return 0;
}

int prepared_command(struct session *s, struct pkt *p, uint8_t cmd)
{
	switch (cmd) {
	case COM_STMT_PREPARE:
		return cmd_prepare(s, p);
	case COM_STMT_EXECUTE:
		return cmd_execute(s, p);
	case COM_STMT_FETCH:
		return cmd_fetch(s, p);
	case COM_STMT_SEND_LONG_DATA:
		return cmd_send_long_data(s, p);
	case COM_STMT_RESET:
		return cmd_reset(s, p);
	case COM_STMT_CLOSE:
		return cmd_close(s, p);
	default:
		return relay_client_drop(s, p);
	}
}

void prepared_backend_gone(struct session *s)
{
	for (struct stmt *st = s->stmts.head; st; st = st->next)
		st->cursor = st->long_data = false;
}

bool prepared_holds_backend(const struct session *s)
{
	for (const struct stmt *st = s->stmts.head; st; st = st->next)
		if (st->cursor || st->long_data)
			return true;
	return false;
}
