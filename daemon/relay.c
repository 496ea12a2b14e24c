/* relay: moving packets between a client and its backend (see session_priv.h).
 *
 * Client input is buffered whole up to CLIENT_WHOLE_MAX per packet, larger commands are
 * streamed to the backend; backend packets that must be inspected (OK, ERR, EOF, column
 * definitions) are buffered whole, rows are streamed, runs of complete rows copied at once;
 * output is written out past OUT_HIGH_WATER before more is read from the backend, which is
 * how a slow client slows the backend down. */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "config.h"
#include "io.h"
#include "log.h"
#include "session_priv.h"
#include "sqlscan.h"
#include "thread.h"

/* ---- client output ---- */

int relay_flush(struct session *s)
{
	if (buf_avail(&s->out) == 0)
		return 0;
	if (s->out.failed)
		return -1;
	size_t n = buf_avail(&s->out);
	/* client_write_timeout: how long the client may take no output at all (each wait for it
	 * to read counts anew); a client that stops reading cannot hold its backend for ever. */
	long timeout = s->cfg->client_write_timeout_ms ? (long)s->cfg->client_write_timeout_ms : -1;
	errno = 0;
	int rc = io_fd_write_all(&s->cio, buf_head(&s->out), n, timeout);
	if (rc != 0 && errno == ETIMEDOUT)
		log_info("the client took no output for %ld ms (client_write_timeout): disconnecting", timeout);
	s->t->stats.bytes_out += n;
	s->flushes++;
	buf_reset(&s->out);
	return rc;
}

/* Write out once past the high watermark: the backpressure point. */
int relay_maybe_flush(struct session *s)
{
	return buf_avail(&s->out) >= OUT_HIGH_WATER ? relay_flush(s) : 0;
}

void relay_send_err(struct session *s, uint8_t seq, uint16_t code, const char *state, const char *msg)
{
	proto_write_err(&s->out, seq, code, state, msg);
	s->last_seq = seq;
}

void relay_send_errf(struct session *s, uint8_t seq, uint16_t code, const char *state, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	relay_send_err(s, seq, code, state, msg);
}

void relay_send_ok(struct session *s, uint8_t seq)
{
	struct proto_ok ok = { .status = s->hold.status };
	proto_write_ok(&s->out, seq, s->caps, &ok);
	s->last_seq = seq;
}

/* ---- client input ---- */


/* Make at least n bytes available in s->in within timeout_ms (< 0: no limit): a deadline for
 * all n bytes, so a client trickling them cannot stretch it. 0, or -1 (client gone, timeout
 * (errno ETIMEDOUT), woken). */
int relay_client_fill(struct session *s, size_t n, long timeout_ms)
{
	uint64_t deadline = timeout_ms >= 0 ? mono_ms() + (uint64_t)timeout_ms : 0;
	while (buf_avail(&s->in) < n) {
		long left = -1;
		if (deadline) {
			uint64_t now = mono_ms();
			if (now >= deadline) {
				errno = ETIMEDOUT;
				return -1;
			}
			left = (long)(deadline - now);
		}
		size_t want = n - buf_avail(&s->in);
		if (want < 16384)
			want = 16384;
		uint8_t *p = buf_reserve(&s->in, want);
		if (!p)
			return -1;
		ssize_t r = io_fd_read(&s->cio, p, buf_room(&s->in), left);
		if (r <= 0)
			return -1;
		s->in.len += (size_t)r;
		s->t->stats.bytes_in += (uint64_t)r;
	}
	return 0;
}

/* Read the next packet header within timeout_ms (< 0: no limit) and, if it fits, its whole
 * payload: within what is left of timeout_ms, and within client_read_timeout, since a client
 * that has started a packet is no longer idle. */
int relay_client_packet(struct session *s, struct pkt *p, long timeout_ms)
{
	uint64_t start = mono_ms();
	if (relay_client_fill(s, PROTO_HEADER_LEN, timeout_ms) != 0)
		return -1;
	uint8_t *h = buf_head(&s->in);
	p->len = proto_hdr_len(h);
	p->seq = proto_hdr_seq(h);
	p->whole = p->len <= CLIENT_WHOLE_MAX;
	size_t want = PROTO_HEADER_LEN + (p->whole ? p->len : 1);
	long body = relay_read_timeout(s);
	if (timeout_ms >= 0) {
		uint64_t spent = mono_ms() - start;
		long left = spent < (uint64_t)timeout_ms ? timeout_ms - (long)spent : 0;
		if (body < 0 || left < body)
			body = left;
	}
	if (buf_avail(&s->in) < want && relay_client_fill(s, want, body) != 0)
		return -1;
	p->data = buf_head(&s->in) + PROTO_HEADER_LEN;
	return 0;
}

/* Make the first n payload bytes of packet p (all of it if shorter) available at p->data:
 * what the handler of a packet larger than CLIENT_WHOLE_MAX may read (n <= CLIENT_WHOLE_MAX).
 * 0, or -1 (the client is gone or stalled). */
int relay_client_prefix(struct session *s, struct pkt *p, size_t n)
{
	if (n > p->len)
		n = p->len;
	if (relay_client_fill(s, PROTO_HEADER_LEN + n, relay_read_timeout(s)) != 0)
		return -1;
	p->data = buf_head(&s->in) + PROTO_HEADER_LEN; /* the buffer may have moved */
	return 0;
}

/* How many payload bytes of packet p are in s->in now. */
size_t relay_client_have(const struct session *s, const struct pkt *p)
{
	size_t avail = buf_avail(&s->in) - PROTO_HEADER_LEN;
	return p->whole || avail > p->len ? p->len : avail;
}

/* Drop the current packet from s->in (whole packets only). */
void relay_client_consume(struct session *s, const struct pkt *p)
{
	buf_consume(&s->in, PROTO_HEADER_LEN + p->len);
}

/* How long a client may send nothing in the middle of a packet or a LOAD DATA LOCAL file
 * (client_read_timeout; -1 = no limit). */
long relay_read_timeout(const struct session *s)
{
	return s->cfg->client_read_timeout_ms ? (long)s->cfg->client_read_timeout_ms : -1;
}

/* Read and throw away `n` more bytes of the client's input (the rest of a packet). */
int relay_client_discard(struct session *s, size_t n)
{
	while (n > 0) {
		if (buf_avail(&s->in) == 0 && relay_client_fill(s, 1, relay_read_timeout(s)) != 0)
			return -1;
		size_t k = buf_avail(&s->in) < n ? buf_avail(&s->in) : n;
		buf_consume(&s->in, k);
		n -= k;
	}
	return 0;
}

/* Drop the current packet, streaming away the payload of a large one. */
int relay_client_drop(struct session *s, const struct pkt *p)
{
	if (p->whole) {
		relay_client_consume(s, p);
		return 0;
	}
	buf_consume(&s->in, PROTO_HEADER_LEN);
	return relay_client_discard(s, p->len);
}

/* ---- backend input ---- */

/* Make at least n bytes available in s->bin. 0, or -1 (backend gone: s->be->broken set). */
int relay_be_fill(struct session *s, size_t n)
{
	while (buf_avail(&s->bin) < n) {
		size_t want = n - buf_avail(&s->bin);
		if (want < BACKEND_READ_CHUNK)
			want = BACKEND_READ_CHUNK;
		uint8_t *p = buf_reserve(&s->bin, want);
		if (!p) {
			s->be->broken = true;
			return -1;
		}
		if (s->kill_query) {
			/* KILL QUERY came for the statement this response belongs to. */
			s->kill_query = false;
			kill_interrupt_statement(s);
		}
		/* Right after a command went out its reply cannot be there yet: wait first. */
		s->be_reading = true;
		ssize_t r = s->be_await ? io_fd_read_later(&s->be->io, p, buf_room(&s->bin), -1)
					: io_fd_read(&s->be->io, p, buf_room(&s->bin), -1);
		s->be_reading = false;
		if (r < 0 && errno == ECANCELED && (s->kill_query || s->killed)) {
			/* Woken by a KILL: interrupt the statement, then go on reading its end. */
			s->kill_query = true;
			continue;
		}
		s->be_await = false;
		if (r <= 0) {
			snprintf(s->be->error, sizeof(s->be->error), "%s",
				 r == 0 ? "server closed the connection" : strerror(errno));
			s->be->broken = true;
			return -1;
		}
		s->bin.len += (size_t)r;
	}
	return 0;
}

int relay_be_write(struct session *s, const void *p, size_t n)
{
	if (io_fd_write_all(&s->be->io, p, n, -1) != 0) {
		snprintf(s->be->error, sizeof(s->be->error), "write: %s", strerror(errno));
		s->be->broken = true;
		return -1;
	}
	s->be_await = true;
	return 0;
}

/* ---- relaying a response ---- */


/* Copy the packet at the head of s->bin (header included, `len` payload bytes) to the client,
 * streaming it if it is larger than what is buffered. */
/* The sequence id of the backend packet at the head of s->bin as the client must see it: packets
 * mypool inserted into this response (skipped metadata it filled in) shift the rest. The header
 * in the buffer is patched. */
static uint8_t client_seq(struct session *s)
{
	uint8_t *h = buf_head(&s->bin);
	h[3] = (uint8_t)(h[3] + s->seq_shift);
	return h[3];
}

/* An EOF packet at the head of s->bin keeps its status flags, less the session-state flag for a
 * client that has no session tracking (the server sets it for mypool's trackers). */
static void eof_fix_status(struct session *s)
{
	uint8_t *p = buf_head(&s->bin) + PROTO_HEADER_LEN;
	if (!(s->caps & CAP_SESSION_TRACK) && proto_is_eof(p, proto_hdr_len(buf_head(&s->bin))) &&
	    proto_hdr_len(buf_head(&s->bin)) >= 5)
		p[4] &= (uint8_t)~(STATUS_SESSION_STATE_CHANGED >> 8);
}

enum relay relay_err(struct session *s, uint32_t len)
{
	s->resp_err = true;
	s->warnings = 1; /* the error is in the diagnostics area */
	hold_error(&s->hold);
	const uint8_t *p = buf_head(&s->bin) + PROTO_HEADER_LEN;
	if (s->killed && len >= 3 && (p[1] | p[2] << 8) == ER_QUERY_INTERRUPTED) {
		/* KILL CONNECTION interrupted the statement (kill.c) and the session ends after it:
		 * its client hears what MariaDB tells the victim of a KILL. */
		uint8_t seq = client_seq(s);
		buf_consume(&s->bin, PROTO_HEADER_LEN + len);
		relay_send_err(s, seq, ERR(CONNECTION_KILLED), "Connection was killed");
		s->be_sent = true;
		return relay_maybe_flush(s) == 0 ? RELAY_DONE : RELAY_CLIENT_GONE;
	}
	return relay_pass(s, len);
}

enum relay relay_pass(struct session *s, uint32_t len)
{
	size_t left = PROTO_HEADER_LEN + (size_t)len;
	/* If the backend fails halfway, the part not written out yet is taken back; if some of it
	 * was written, the client's stream is torn and only closing it tells the client. */
	size_t start = s->out.len;
	unsigned flushes = s->flushes;
	uint8_t last_seq = s->last_seq;
	bool be_sent = s->be_sent;
	s->last_seq = client_seq(s);
	s->be_sent = true;
	while (left > 0) {
		if (buf_avail(&s->bin) == 0 && relay_be_fill(s, 1) != 0) {
			if (s->flushes != flushes) {
				s->torn = true;
			} else {
				s->out.len = start;
				s->last_seq = last_seq;
				s->be_sent = be_sent;
			}
			return RELAY_BACKEND_GONE;
		}
		size_t k = buf_avail(&s->bin) < left ? buf_avail(&s->bin) : left;
		buf_put(&s->out, buf_head(&s->bin), k);
		buf_consume(&s->bin, k);
		left -= k;
		if (relay_maybe_flush(s) != 0)
			return RELAY_CLIENT_GONE;
	}
	return RELAY_DONE;
}

/* Make the next backend packet's header and at most `need` payload bytes available. */
int relay_be_packet(struct session *s, uint32_t *len, size_t need)
{
	if (relay_be_fill(s, PROTO_HEADER_LEN) != 0)
		return -1;
	*len = proto_hdr_len(buf_head(&s->bin));
	if (need > *len)
		need = *len;
	return relay_be_fill(s, PROTO_HEADER_LEN + need);
}

/* As relay_be_packet, for a packet that begins something (a result, a column definition, a
 * row, an EOF): MariaDB's progress reports before it are dropped (the server sends them, before
 * and in the middle of a response, to connections that announced MARIADB_CAP_PROGRESS, as
 * Connector/C does for mypool's; mypool offers none to its clients), and the packets after them
 * renumbered. Never for the continuation of a 0xffffff-byte packet, which may begin with any byte. */
static int relay_be_next(struct session *s, uint32_t *len, size_t need)
{
	for (;;) {
		if (relay_be_packet(s, len, need > 3 ? need : 3) != 0)
			return -1;
		if (!proto_is_progress(buf_head(&s->bin) + PROTO_HEADER_LEN, *len))
			return 0;
		if (relay_be_packet_whole(s, len) != 0)
			return -1;
		buf_consume(&s->bin, PROTO_HEADER_LEN + *len);
		s->seq_shift--;
	}
}

/* The next packet must be inspected whole (OK, ERR, EOF, column definitions...). */
int relay_be_packet_whole(struct session *s, uint32_t *len)
{
	if (relay_be_fill(s, PROTO_HEADER_LEN) != 0)
		return -1;
	*len = proto_hdr_len(buf_head(&s->bin));
	if (*len > BACKEND_WHOLE_MAX) {
		snprintf(s->be->error, sizeof(s->be->error), "unexpected %u-byte packet", *len);
		s->be->broken = true;
		return -1;
	}
	return relay_be_fill(s, PROTO_HEADER_LEN + *len);
}

/* An OK packet from the backend, re-encoded for the client's capabilities (the backend has
 * session tracking, the client may not). */
enum relay relay_ok(struct session *s, uint32_t len, uint16_t *status)
{
	const uint8_t *p = buf_head(&s->bin) + PROTO_HEADER_LEN;
	uint8_t seq = client_seq(s);
	struct proto_ok ok;
	if (proto_parse_ok(p, len, s->be->caps, &ok) != 0) {
		snprintf(s->be->error, sizeof(s->be->error), "malformed OK packet");
		s->be->broken = true;
		return RELAY_BACKEND_GONE;
	}
	session_track_state(s, &ok);
	*status = ok.status;
	s->warnings = ok.warnings;
	if (ok.insert_id) {
		s->last_insert_id = ok.insert_id; /* usually LAST_INSERT_ID(); read back before letting go */
		s->lid_dirty = true;
		s->be->lid_owner = s->id;
		s->be->lid_version = ++s->lid_version;
	}
	ok.session = NULL;
	ok.session_len = 0;
	ok.status &= (uint16_t)~STATUS_SESSION_STATE_CHANGED;
	proto_write_ok(&s->out, seq, s->caps, &ok);
	s->last_seq = seq;
	s->be_sent = true;
	buf_consume(&s->bin, PROTO_HEADER_LEN + len);
	return relay_maybe_flush(s) ? RELAY_CLIENT_GONE : RELAY_DONE;
}

/* Write the server's column definition p (len bytes) to the client as packet seq, without
 * MariaDB's extended metadata if the client did not ask for it. 0, or -1 if it is malformed
 * (the backend is marked broken). */
static int column_out(struct session *s, const uint8_t *p, uint32_t len, uint8_t seq, bool field_list)
{
	bool be_ext = s->be->caps & MARIADB_CAP_EXTENDED_METADATA;
	bool cl_ext = s->caps & MARIADB_CAP_EXTENDED_METADATA;
	if (be_ext == cl_ext) {
		proto_put_packet(&s->out, seq, p, len);
		return 0;
	}
	struct proto_column col;
	if (proto_parse_column(p, len, be_ext, field_list, &col) != 0) {
		snprintf(s->be->error, sizeof(s->be->error), "malformed column definition");
		s->be->broken = true;
		return -1;
	}
	proto_write_column(&s->out, seq, &col, cl_ext, field_list);
	return 0;
}

/* A column definition, without MariaDB's extended metadata if the client did not ask for it;
 * the packet as the server sent it goes to `keep` too (if not NULL). */
enum relay relay_column(struct session *s, uint32_t len, bool field_list, struct buf *keep)
{
	bool be_ext = s->be->caps & MARIADB_CAP_EXTENDED_METADATA;
	bool cl_ext = s->caps & MARIADB_CAP_EXTENDED_METADATA;
	if (be_ext == cl_ext && !keep)
		return relay_pass(s, len);
	if (relay_be_packet_whole(s, &len) != 0)
		return RELAY_BACKEND_GONE;
	const uint8_t *p = buf_head(&s->bin) + PROTO_HEADER_LEN;
	if (keep)
		buf_put(keep, buf_head(&s->bin), PROTO_HEADER_LEN + len);
	uint8_t seq = client_seq(s);
	if (column_out(s, p, len, seq, field_list) != 0)
		return RELAY_BACKEND_GONE;
	s->last_seq = seq;
	s->be_sent = true;
	buf_consume(&s->bin, PROTO_HEADER_LEN + len);
	return relay_maybe_flush(s) ? RELAY_CLIENT_GONE : RELAY_DONE;
}

/* Rows until EOF or ERR. Runs of complete row packets are copied in one go. */
enum relay relay_rows(struct session *s, uint16_t *status, bool *done)
{
	bool cont = false; /* the previous packet was 0xffffff bytes: this one continues it */
	s->err_ok = true;
	for (;;) {
		size_t avail = buf_avail(&s->bin), scan = 0, last_hdr = 0;
		const uint8_t *h = buf_head(&s->bin);
		while (scan + PROTO_HEADER_LEN < avail) {
			uint32_t len = proto_hdr_len(h + scan);
			if (scan + PROTO_HEADER_LEN + len > avail)
				break;
			uint8_t first = len ? h[scan + PROTO_HEADER_LEN] : 0;
			if (!cont && len > 0 && (first == 0xff || (first == 0xfe && len < 9))) /* ERR, EOF */
				break;
			cont = len == PROTO_MAX_PAYLOAD;
			last_hdr = scan;
			if (s->seq_shift)
				((uint8_t *)h)[scan + 3] = (uint8_t)(h[scan + 3] + s->seq_shift);
			scan += PROTO_HEADER_LEN + len;
		}
		if (scan > 0) {
			s->last_seq = proto_hdr_seq(h + last_hdr);
			buf_put(&s->out, h, scan);
			buf_consume(&s->bin, scan);
			s->be_sent = true;
			if (relay_maybe_flush(s) != 0)
				return RELAY_CLIENT_GONE;
			continue;
		}
		uint32_t len;
		if ((cont ? relay_be_packet(s, &len, 1) : relay_be_next(s, &len, 1)) != 0)
			return RELAY_BACKEND_GONE;
		const uint8_t *p = buf_head(&s->bin) + PROTO_HEADER_LEN;
		if (!cont && proto_is_eof(p, len)) {
			if (relay_be_packet_whole(s, &len) != 0)
				return RELAY_BACKEND_GONE;
			struct proto_eof eof;
			if (proto_parse_eof(buf_head(&s->bin) + PROTO_HEADER_LEN, len, &eof) == 0) {
				*status = eof.status;
				s->warnings = eof.warnings;
				/* The details of a change flagged in an EOF arrive with the next OK:
				 * keep the backend until then. */
				if (eof.status & STATUS_SESSION_STATE_CHANGED)
					hold_next(&s->hold, HOLD_STATE_DETAILS);
			}
			s->err_ok = false;
			*done = !(*status & STATUS_MORE_RESULTS);
			eof_fix_status(s);
			return relay_pass(s, len);
		}
		if (!cont && proto_is_err(p, len)) {
			s->err_ok = false;
			*done = true;
			if (relay_be_packet_whole(s, &len) != 0)
				return RELAY_BACKEND_GONE;
			return relay_err(s, len);
		}
		/* A row larger than what is buffered: stream it. */
		cont = len == PROTO_MAX_PAYLOAD;
		enum relay r = relay_pass(s, len);
		if (r != RELAY_DONE)
			return r;
	}
}

/* Copy n bytes of the client's input to the backend as they arrive (through the bounded input
 * buffer). 0, -1 (the backend failed: the rest of the n bytes is read and dropped, so the
 * client's stream stays in step), -2 (the client went away). */
int relay_pipe_to_backend(struct session *s, size_t n)
{
	bool failed = false;
	while (n > 0) {
		if (buf_avail(&s->in) == 0 && relay_client_fill(s, 1, relay_read_timeout(s)) != 0)
			return -2;
		size_t k = buf_avail(&s->in) < n ? buf_avail(&s->in) : n;
		if (!failed && relay_be_write(s, buf_head(&s->in), k) != 0)
			failed = true;
		buf_consume(&s->in, k);
		n -= k;
	}
	return failed ? -1 : 0;
}

/* LOAD DATA LOCAL INFILE: the server asks for a file (0xFB + name). The request goes to the
 * client, whose file comes back as packets up to an empty one, streamed to the server through
 * the bounded input buffer; then the server's OK or ERR ends it like any result. */
static enum relay relay_local_infile(struct session *s, uint32_t len, bool *done)
{
	if (!(s->caps & CAP_LOCAL_FILES) || !(s->scan & SQL_LOAD_LOCAL)) {
		/* A file request is relayed only as the answer to the client's own LOAD DATA LOCAL
		 * (mypool sends those only for clients that have the capability): anything else is
		 * a server asking for a file nobody offered, and the connection is not used again. */
		snprintf(s->be->error, sizeof(s->be->error), "the server asked for a local file the statement did not name");
		log_warn("backend %u asked for a local file in reply to a statement that is no LOAD DATA LOCAL: "
			 "closing it",
			 s->be->server_id);
		s->be->broken = true;
		return RELAY_BACKEND_GONE;
	}
	enum relay r = relay_pass(s, len);
	if (r != RELAY_DONE || relay_flush(s) != 0)
		return RELAY_CLIENT_GONE;
	bool backend_failed = false;
	uint8_t seq = s->last_seq; /* the request's, as the client saw it */
	for (;;) {
		if (relay_client_fill(s, PROTO_HEADER_LEN, relay_read_timeout(s)) != 0)
			goto client_gone;
		uint8_t *h = buf_head(&s->in);
		uint32_t n = proto_hdr_len(h);
		if (h[3] != ++seq) {
			/* The server would wait for the packet that should have come: the stream is
			 * broken (MariaDB answers a client so with 1156 and closes). */
			relay_send_err(s, seq, ERR(NET_PACKETS_OUT_OF_ORDER), "Got packets out of order");
			snprintf(s->be->error, sizeof(s->be->error), "client sent LOAD DATA LOCAL packets out of order");
			s->be->broken = true;
			return RELAY_CLIENT_GONE;
		}
		h[3] = (uint8_t)(h[3] - s->seq_shift); /* the server's numbering (progress reports dropped) */
		int rc = backend_failed ? (relay_client_discard(s, PROTO_HEADER_LEN + (size_t)n) ? -2 : 0)
					: relay_pipe_to_backend(s, PROTO_HEADER_LEN + (size_t)n);
		if (rc == -2)
			goto client_gone;
		if (rc != 0)
			backend_failed = true; /* the rest of the file is read and dropped */
		if (n == 0)
			break; /* the end of the file */
	}
	if (backend_failed) {
		s->err_ok = true; /* the client waits for the load's OK or ERR */
		return RELAY_BACKEND_GONE;
	}
	return relay_result(s, done, NULL); /* the server's OK or ERR for the load */
client_gone:
	/* The server waits for the rest of a file that will never come. */
	snprintf(s->be->error, sizeof(s->be->error), "client went away during LOAD DATA LOCAL");
	s->be->broken = true;
	return RELAY_CLIENT_GONE;
}

/* One result of a COM_QUERY (or the reply to a simple command): OK, ERR, or a result set. */
enum relay relay_result(struct session *s, bool *done, struct relay_cols *cols)
{
	uint32_t len;
	const uint8_t *p;
	s->err_ok = true; /* a result may be an ERR, also the next one of several */
	if (relay_be_next(s, &len, 0) != 0 || relay_be_packet_whole(s, &len) != 0)
		return RELAY_BACKEND_GONE;
	p = buf_head(&s->bin) + PROTO_HEADER_LEN;
	*done = true;
	enum proto_kind kind = proto_response_kind(p, len);
	if (kind == PK_EMPTY) {
		snprintf(s->be->error, sizeof(s->be->error), "empty response packet");
		s->be->broken = true;
		return RELAY_BACKEND_GONE;
	}
	if (kind != PK_OK && kind != PK_ERR)
		s->err_ok = false; /* a result set's metadata, a file request: no ERR in between */
	switch (kind) {
	case PK_OK: {
		uint16_t status = 0;
		enum relay r = relay_ok(s, len, &status);
		s->hold.status = status;
		*done = !(status & STATUS_MORE_RESULTS);
		return r;
	}
	case PK_ERR:
		return relay_err(s, len);
	case PK_LOCAL_INFILE:
		return relay_local_infile(s, len, done);
	default:
		break;
	}
	if (kind == PK_EOF) {
		struct proto_eof eof;
		if (proto_parse_eof(p, len, &eof) == 0)
			s->hold.status = eof.status;
		eof_fix_status(s);
		return relay_pass(s, len);
	}
	/* A result set: column count, column definitions, EOF, rows, EOF. */
	struct rd r = rd_make(p, len);
	uint64_t ncols = rd_lenenc(&r, NULL);
	if (r.failed || ncols == 0) {
		snprintf(s->be->error, sizeof(s->be->error), "malformed result set header");
		s->be->broken = true;
		return RELAY_BACKEND_GONE;
	}
	/* With MARIADB_CLIENT_CACHE_METADATA the count is followed by "metadata follows" (0/1),
	 * and 0 means the server skipped the column definitions it sent before. */
	size_t count_len = len - rd_left(&r);
	bool has_flag = (s->be->caps & MARIADB_CAP_CACHE_METADATA) && rd_left(&r) == 1;
	bool metadata = has_flag ? rd_u8(&r) != 0 : true;
	enum relay rr = RELAY_DONE;
	if (has_flag && !(s->caps & MARIADB_CAP_CACHE_METADATA)) {
		uint8_t seq = client_seq(s);
		proto_put_packet(&s->out, seq, p, count_len);
		s->last_seq = seq;
		s->be_sent = true;
		buf_consume(&s->bin, PROTO_HEADER_LEN + len);
	} else {
		rr = relay_pass(s, len);
	}
	bool eof_done = false;
	if (metadata) {
		if (cols)
			buf_reset(&cols->fresh);
		for (uint64_t i = 0; i < ncols && rr == RELAY_DONE; i++) {
			if (relay_be_next(s, &len, 0) != 0)
				return RELAY_BACKEND_GONE;
			rr = relay_column(s, len, false, cols ? &cols->fresh : NULL);
		}
	} else {
		/* The server skipped the definitions it last sent for this statement (to whichever
		 * client ran it on this backend): fill those in. */
		if (!cols || !cols->last || cols->last->len == 0) {
			snprintf(s->be->error, sizeof(s->be->error), "column definitions skipped for an unknown statement");
			s->be->broken = true;
			return RELAY_BACKEND_GONE;
		}
		size_t off = 0;
		uint8_t added = 0;
		while (off + PROTO_HEADER_LEN <= cols->last->len) {
			const uint8_t *h = cols->last->data + off;
			uint32_t n = proto_hdr_len(h);
			if (column_out(s, h + PROTO_HEADER_LEN, n, ++s->last_seq, false) != 0)
				return RELAY_BACKEND_GONE;
			off += PROTO_HEADER_LEN + n;
			added++;
		}
		s->seq_shift = (uint8_t)(s->seq_shift + added);
		if (relay_be_next(s, &len, 1) != 0)
			return RELAY_BACKEND_GONE;
		const uint8_t *q = buf_head(&s->bin) + PROTO_HEADER_LEN;
		if (!proto_is_eof(q, len)) {
			/* The server skipped the EOF after the definitions too: write it. */
			proto_write_eof(&s->out, ++s->last_seq, 0, s->hold.status);
			s->seq_shift++;
			eof_done = true;
		}
	}
	if (rr != RELAY_DONE)
		return rr;
	if (!(s->be->caps & CAP_DEPRECATE_EOF) && !eof_done) {
		if (relay_be_next(s, &len, 0) != 0 || relay_be_packet_whole(s, &len) != 0)
			return RELAY_BACKEND_GONE;
		/* An execute that asked for a cursor and got one ends here: its rows come with
		 * COM_STMT_FETCH. Only then: a stored program with a cursor open (text protocol
		 * too) flags CURSOR_EXISTS on every result it sends while it runs, each followed
		 * by its rows and by more results (MORE_RESULTS, measured on MariaDB 10.11). */
		struct proto_eof eof;
		bool cursor = cols && cols->cursor &&
			      proto_parse_eof(buf_head(&s->bin) + PROTO_HEADER_LEN, len, &eof) == 0 &&
			      (eof.status & STATUS_CURSOR_EXISTS) && !(eof.status & STATUS_MORE_RESULTS);
		eof_fix_status(s);
		rr = relay_pass(s, len);
		if (rr != RELAY_DONE || cursor) {
			if (cursor)
				s->hold.status = eof.status;
			return rr;
		}
	}
	uint16_t status = s->hold.status;
	rr = relay_rows(s, &status, done);
	s->hold.status = status;
	return rr;
}

/* COM_FIELD_LIST: column definitions (with defaults) until EOF, or ERR. */
enum relay relay_field_list(struct session *s)
{
	for (;;) {
		uint32_t len;
		if (relay_be_packet(s, &len, 1) != 0)
			return RELAY_BACKEND_GONE;
		const uint8_t *p = buf_head(&s->bin) + PROTO_HEADER_LEN;
		if (proto_is_err(p, len) || proto_is_eof(p, len)) {
			if (relay_be_packet_whole(s, &len) != 0)
				return RELAY_BACKEND_GONE;
			return relay_pass(s, len);
		}
		enum relay r = relay_column(s, len, true, NULL);
		if (r != RELAY_DONE)
			return r;
	}
}

/* Forward the client's command (its packet is at the head of s->in) to the backend; large
 * commands are streamed, continuation packets included. Whatever happens, the whole command is
 * read from the client (or the client is gone), so its next packet is a command again.
 * 0; -1 the backend failed while the command was streamed (or it passed max_allowed_packet:
 * *too_large); -2 the client went away; -3 a whole command could not be written (it is still
 * in s->in: the caller may run it on another backend). */
int relay_forward_command(struct session *s, const struct pkt *p, bool *too_large)
{
	*too_large = false;
	size_t total = p->len;
	bool failed = false;
	if (p->whole) {
		if (relay_be_write(s, buf_head(&s->in), PROTO_HEADER_LEN + p->len) != 0 && p->len < PROTO_MAX_PAYLOAD)
			return -3;
		failed = s->be->broken;
		relay_client_consume(s, p);
	} else {
		/* Stream: header and what is buffered, then the rest as it arrives. */
		int rc = relay_pipe_to_backend(s, PROTO_HEADER_LEN + (size_t)p->len);
		if (rc == -2)
			return -2;
		failed = rc != 0;
	}
	/* Continuation packets until one shorter than 0xffffff. */
	uint8_t seq = p->seq;
	for (uint32_t len = p->len; len == PROTO_MAX_PAYLOAD;) {
		if (relay_client_fill(s, PROTO_HEADER_LEN, relay_read_timeout(s)) != 0)
			return -2;
		len = proto_hdr_len(buf_head(&s->in));
		if (buf_head(&s->in)[3] != ++seq) {
			/* Out of order: the server would wait for the packet that should have come. */
			log_info("continuation packet out of order");
			s->be->broken = true;
			snprintf(s->be->error, sizeof(s->be->error), "client sent a command's packets out of order");
			return -2;
		}
		total += len;
		if (total > s->cfg->max_allowed_packet && !*too_large) {
			*too_large = failed = true;
			s->be->broken = true;
			snprintf(s->be->error, sizeof(s->be->error), "client command exceeded max_allowed_packet");
		}
		int rc = failed ? (relay_client_discard(s, PROTO_HEADER_LEN + (size_t)len) ? -2 : 0)
				: relay_pipe_to_backend(s, PROTO_HEADER_LEN + (size_t)len);
		if (rc == -2)
			return -2;
		failed = failed || rc != 0;
	}
	return failed ? -1 : 0;
}
