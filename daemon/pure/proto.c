/* proto: the MySQL client/server protocol as a pure codec (see proto.h).
 *
 * Every parser reads through a struct rd, so it can never step past the given length; a reader
 * failure anywhere turns into -1 at the end. Every writer appends to a struct buf and relies on its
 * sticky error flag. Wire layouts follow the project's tech notes (section 3, measured against
 * MariaDB 10.11 and eight real clients) and the MariaDB/MySQL protocol documentation. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

#define PROTO_SCRAMBLE_HEAD 8   /* scramble bytes before the caps/status block */
#define PROTO_AUTH_DATA_LEN 21  /* 20-byte scramble + its NUL, as MariaDB announces it */
#define PROTO_RESPONSE_FIXED 32 /* caps, max_packet, charset, 19 filler, 4 MariaDB ext caps */
#define PROTO_COLUMN_FIXED 0x0c /* length of the fixed-size tail of a ColumnDefinition41 */

/* ---- framing ---- */

void proto_hdr_put(uint8_t *h, uint32_t len, uint8_t seq)
{
	h[0] = (uint8_t)len;
	h[1] = (uint8_t)(len >> 8);
	h[2] = (uint8_t)(len >> 16);
	h[3] = seq;
}

uint8_t proto_put_packet(struct buf *b, uint8_t seq, const void *payload, size_t n)
{
	const uint8_t *p = payload;
	size_t done = 0;

	/* One allocation for the whole train of packets. */
	if (!buf_reserve(b, n + PROTO_HEADER_LEN * (n / PROTO_MAX_PAYLOAD + 1)))
		return seq;
	for (;;) {
		size_t chunk = n - done > PROTO_MAX_PAYLOAD ? PROTO_MAX_PAYLOAD : n - done;
		uint8_t h[PROTO_HEADER_LEN];

		proto_hdr_put(h, (uint32_t)chunk, seq++);
		buf_put(b, h, sizeof(h));
		if (chunk)
			buf_put(b, p + done, chunk);
		done += chunk;
		/* A full-size packet always announces a continuation, even an empty one. */
		if (chunk < PROTO_MAX_PAYLOAD)
			break;
	}
	return seq;
}

/* The returned position is relative to the unread head (b->off), so it stays valid when a later
 * buf_reserve() compacts the buffer. */
size_t proto_begin_packet(struct buf *b, uint8_t seq)
{
	size_t start = b->len - b->off;
	uint8_t h[PROTO_HEADER_LEN];

	proto_hdr_put(h, 0, seq);
	buf_put(b, h, sizeof(h));
	return start;
}

void proto_end_packet(struct buf *b, size_t start)
{
	if (b->failed)
		return;
	size_t abs = b->off + start;
	if (abs + PROTO_HEADER_LEN > b->len) {
		b->failed = true;
		return;
	}
	size_t n = b->len - abs - PROTO_HEADER_LEN;
	if (n >= PROTO_MAX_PAYLOAD) {
		/* Only proto_put_packet() can split; a built packet this large is a bug. */
		b->failed = true;
		return;
	}
	proto_hdr_put(b->data + abs, (uint32_t)n, b->data[abs + 3]);
}

/* ---- command names ---- */

const char *proto_cmd_name(uint8_t cmd)
{
	static __thread char unknown[sizeof("COM_0xff")];

	switch ((enum proto_cmd)cmd) {
	case COM_SLEEP: return "COM_SLEEP";
	case COM_QUIT: return "COM_QUIT";
	case COM_INIT_DB: return "COM_INIT_DB";
	case COM_QUERY: return "COM_QUERY";
	case COM_FIELD_LIST: return "COM_FIELD_LIST";
	case COM_CREATE_DB: return "COM_CREATE_DB";
	case COM_DROP_DB: return "COM_DROP_DB";
	case COM_REFRESH: return "COM_REFRESH";
	case COM_SHUTDOWN: return "COM_SHUTDOWN";
	case COM_STATISTICS: return "COM_STATISTICS";
	case COM_PROCESS_INFO: return "COM_PROCESS_INFO";
	case COM_CONNECT: return "COM_CONNECT";
	case COM_PROCESS_KILL: return "COM_PROCESS_KILL";
	case COM_DEBUG: return "COM_DEBUG";
	case COM_PING: return "COM_PING";
	case COM_TIME: return "COM_TIME";
	case COM_DELAYED_INSERT: return "COM_DELAYED_INSERT";
	case COM_CHANGE_USER: return "COM_CHANGE_USER";
	case COM_BINLOG_DUMP: return "COM_BINLOG_DUMP";
	case COM_TABLE_DUMP: return "COM_TABLE_DUMP";
	case COM_CONNECT_OUT: return "COM_CONNECT_OUT";
	case COM_REGISTER_SLAVE: return "COM_REGISTER_SLAVE";
	case COM_STMT_PREPARE: return "COM_STMT_PREPARE";
	case COM_STMT_EXECUTE: return "COM_STMT_EXECUTE";
	case COM_STMT_SEND_LONG_DATA: return "COM_STMT_SEND_LONG_DATA";
	case COM_STMT_CLOSE: return "COM_STMT_CLOSE";
	case COM_STMT_RESET: return "COM_STMT_RESET";
	case COM_SET_OPTION: return "COM_SET_OPTION";
	case COM_STMT_FETCH: return "COM_STMT_FETCH";
	case COM_DAEMON: return "COM_DAEMON";
	case COM_BINLOG_DUMP_GTID: return "COM_BINLOG_DUMP_GTID";
	case COM_RESET_CONNECTION: return "COM_RESET_CONNECTION";
	case COM_STMT_BULK_EXECUTE: return "COM_STMT_BULK_EXECUTE";
	}
	snprintf(unknown, sizeof(unknown), "COM_0x%02x", cmd);
	return unknown;
}

/* ---- handshake ---- */

void proto_write_handshake(struct buf *b, const struct proto_handshake *hs)
{
	uint32_t caps = (uint32_t)hs->caps;
	/* MariaDB reuses 4 filler bytes for its extended caps, valid only without CLIENT_MYSQL. */
	uint32_t ext = caps & CAP_LONG_PASSWORD ? 0 : (uint32_t)(hs->caps >> 32);
	size_t start = proto_begin_packet(b, 0);

	buf_put_u8(b, 0x0a);                               /* protocol version 10 */
	buf_put_cstr(b, hs->server_version);
	buf_put_u32(b, hs->conn_id);
	buf_put(b, hs->scramble, PROTO_SCRAMBLE_HEAD);     /* auth-plugin-data part 1 */
	buf_put_u8(b, 0);                                  /* filler */
	buf_put_u16(b, (uint16_t)caps);                    /* capability flags, low 16 */
	buf_put_u8(b, hs->charset);
	buf_put_u16(b, hs->status);
	buf_put_u16(b, (uint16_t)(caps >> 16));            /* capability flags, high 16 */
	buf_put_u8(b, PROTO_AUTH_DATA_LEN);
	buf_put_zeros(b, 6);                               /* reserved */
	buf_put_u32(b, ext);                               /* MariaDB extended caps */
	buf_put(b, hs->scramble + PROTO_SCRAMBLE_HEAD,     /* auth-plugin-data part 2 + NUL */
		sizeof(hs->scramble) - PROTO_SCRAMBLE_HEAD);
	buf_put_u8(b, 0);
	if (caps & CAP_PLUGIN_AUTH)
		buf_put_cstr(b, hs->auth_plugin ? hs->auth_plugin : "mysql_native_password");
	proto_end_packet(b, start);
}

/* A NUL-terminated string that may be missing entirely at the end of the packet. */
static const uint8_t *opt_cstr(struct rd *r, size_t *n)
{
	if (!r->failed && r->p == r->end) {
		*n = 0;
		return NULL;
	}
	return rd_cstr(r, n);
}

/* An auth response: one length byte under CLIENT_SECURE_CONNECTION, else NUL-terminated. */
static const uint8_t *rd_auth(struct rd *r, uint64_t caps, size_t *n)
{
	if (caps & CAP_SECURE_CONNECTION) {
		*n = rd_u8(r);
		return rd_bytes(r, *n);
	}
	return rd_cstr(r, n);
}

/* A length-encoded string that may be missing entirely at the end of the packet. */
static const uint8_t *opt_lenenc_str(struct rd *r, size_t *n)
{
	if (!r->failed && r->p == r->end) {
		*n = 0;
		return NULL;
	}
	return rd_lenenc_str(r, n);
}

int proto_parse_handshake_response(const uint8_t *p, size_t n, struct proto_handshake_response *out)
{
	memset(out, 0, sizeof(*out));
	if (n < PROTO_RESPONSE_FIXED)
		return -1;

	struct rd r = rd_make(p, n);
	uint32_t caps = rd_u32(&r);
	out->max_packet = rd_u32(&r);
	out->charset = rd_u8(&r);
	rd_skip(&r, 19);
	uint32_t ext = rd_u32(&r);

	out->caps = caps;
	if (!(caps & CAP_LONG_PASSWORD))
		out->caps |= (uint64_t)ext << 32;
	if (!(caps & CAP_PROTOCOL_41)) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	if ((caps & CAP_SSL) && n == PROTO_RESPONSE_FIXED)
		return -2; /* SSLRequest: the real response would follow after TLS */

	out->user = rd_cstr(&r, &out->user_len);
	if (caps & CAP_PLUGIN_AUTH_LENENC_DATA) {
		out->auth = rd_lenenc_str(&r, &out->auth_len);
	} else {
		out->auth = rd_auth(&r, caps, &out->auth_len);
	}
	if (caps & CAP_CONNECT_WITH_DB)
		out->db = opt_cstr(&r, &out->db_len);
	if (caps & CAP_PLUGIN_AUTH)
		out->plugin = opt_cstr(&r, &out->plugin_len);
	if (caps & CAP_CONNECT_ATTRS)
		out->attrs = opt_lenenc_str(&r, &out->attrs_len);
	if (r.failed) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

int proto_parse_change_user(const uint8_t *p, size_t n, uint64_t caps, struct proto_change_user *out)
{
	struct rd r = rd_make(p, n);

	memset(out, 0, sizeof(*out));
	if (rd_u8(&r) != COM_CHANGE_USER)
		return -1;
	out->user = rd_cstr(&r, &out->user_len);
	out->auth = rd_auth(&r, caps, &out->auth_len);
	out->db = rd_cstr(&r, &out->db_len);
	/* Everything after the schema is optional (old clients stop here). */
	if (rd_left(&r) > 0) {
		out->has_charset = true;
		out->charset = rd_u16(&r);
	}
	if (caps & CAP_PLUGIN_AUTH)
		out->plugin = opt_cstr(&r, &out->plugin_len);
	if (caps & CAP_CONNECT_ATTRS)
		out->attrs = opt_lenenc_str(&r, &out->attrs_len);
	if (r.failed) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

/* ---- OK / ERR / EOF ---- */

int proto_parse_ok(const uint8_t *p, size_t n, uint64_t caps, struct proto_ok *out)
{
	struct rd r = rd_make(p, n);
	bool is_null_a, is_null_i;

	memset(out, 0, sizeof(*out));
	uint8_t hdr = rd_u8(&r);
	if (r.failed || (hdr != 0x00 && hdr != 0xfe))
		return -1;
	out->is_eof_header = hdr == 0xfe;
	out->affected_rows = rd_lenenc(&r, &is_null_a);
	out->insert_id = rd_lenenc(&r, &is_null_i);
	out->status = rd_u16(&r);
	out->warnings = rd_u16(&r);
	if (r.failed || is_null_a || is_null_i)
		goto bad;

	if (caps & CAP_SESSION_TRACK) {
		/* The info string may be left out entirely when nothing follows it. */
		out->info = opt_lenenc_str(&r, &out->info_len);
		if (!out->info)
			out->info = r.p;
		if ((out->status & STATUS_SESSION_STATE_CHANGED) && rd_left(&r) > 0)
			out->session = rd_lenenc_str(&r, &out->session_len);
	} else {
		/* Servers length-encode it even here; take the raw rest only if it is not that. */
		struct rd probe = r;
		size_t len = 0;
		const uint8_t *info = rd_left(&r) ? rd_lenenc_str(&probe, &len) : NULL;
		if (info && !probe.failed && rd_left(&probe) == 0) {
			out->info = info;
			out->info_len = len;
			r = probe;
		} else {
			out->info = rd_rest(&r, &out->info_len);
		}
	}
	if (r.failed)
		goto bad;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -1;
}

void proto_write_ok(struct buf *b, uint8_t seq, uint64_t caps, const struct proto_ok *ok)
{
	size_t start = proto_begin_packet(b, seq);

	buf_put_u8(b, ok->is_eof_header ? 0xfe : 0x00);
	buf_put_lenenc(b, ok->affected_rows);
	buf_put_lenenc(b, ok->insert_id);
	buf_put_u16(b, ok->status);
	buf_put_u16(b, ok->warnings);
	if (caps & CAP_SESSION_TRACK) {
		buf_put_lenenc_str(b, ok->info, ok->info ? ok->info_len : 0);
		if (ok->session && (ok->status & STATUS_SESSION_STATE_CHANGED))
			buf_put_lenenc_str(b, ok->session, ok->session_len);
	} else if (ok->info && ok->info_len) {
		/* The protocol documents string<EOF> here, but MariaDB and MySQL servers write a
		 * length-encoded string, and libmariadb-based clients read it that way. */
		buf_put_lenenc_str(b, ok->info, ok->info_len);
	}
	proto_end_packet(b, start);
}

int proto_parse_err(const uint8_t *p, size_t n, struct proto_err *out)
{
	struct rd r = rd_make(p, n);

	memset(out, 0, sizeof(*out));
	memcpy(out->sqlstate, "HY000", 6);
	if (rd_u8(&r) != 0xff)
		return -1;
	out->code = rd_u16(&r);
	if (r.failed)
		return -1;
	if (out->code == 0xffff) {
		/* MariaDB progress report: stage data follows, not a message. */
		out->msg = rd_rest(&r, &out->msg_len);
		return 1;
	}
	if (rd_left(&r) > 0 && r.p[0] == '#') {
		rd_skip(&r, 1);
		const uint8_t *st = rd_bytes(&r, 5);
		if (!st)
			return -1;
		memcpy(out->sqlstate, st, 5);
		out->sqlstate[5] = '\0';
	}
	out->msg = rd_rest(&r, &out->msg_len);
	return 0;
}

static bool sqlstate_ok(const char *s)
{
	if (!s)
		return false;
	for (int i = 0; i < 5; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return s[5] == '\0';
}

void proto_write_err(struct buf *b, uint8_t seq, uint16_t code, const char *sqlstate, const char *msg)
{
	size_t start = proto_begin_packet(b, seq);

	buf_put_u8(b, 0xff);
	buf_put_u16(b, code);
	buf_put_u8(b, '#');
	buf_put(b, sqlstate_ok(sqlstate) ? sqlstate : "HY000", 5);
	if (msg)
		buf_put(b, msg, strnlen(msg, PROTO_ERRMSG_MAX));
	proto_end_packet(b, start);
}

void proto_write_errf(struct buf *b, uint8_t seq, uint16_t code, const char *sqlstate, const char *fmt, ...)
{
	char msg[PROTO_ERRMSG_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	proto_write_err(b, seq, code, sqlstate, msg);
}

enum proto_kind proto_response_kind(const uint8_t *p, size_t n)
{
	if (n == 0)
		return PK_EMPTY;
	switch (p[0]) {
	case 0x00: return PK_OK;
	case 0xff: return PK_ERR;
	case 0xfb: return PK_LOCAL_INFILE;
	default: return proto_is_eof(p, n) ? PK_EOF : PK_RESULT;
	}
}

int proto_parse_prepare_ok(const uint8_t *p, size_t n, struct proto_prepare_ok *out)
{
	memset(out, 0, sizeof(*out));
	if (n < 12 || p[0] != 0x00)
		return -1;
	struct rd r = rd_make(p + 1, n - 1);
	out->stmt_id = rd_u32(&r);
	out->ncols = rd_u16(&r);
	out->nparams = rd_u16(&r);
	rd_u8(&r); /* filler */
	out->warnings = rd_u16(&r);
	return r.failed ? -1 : 0;
}

int proto_parse_eof(const uint8_t *p, size_t n, struct proto_eof *out)
{
	struct rd r = rd_make(p, n);

	memset(out, 0, sizeof(*out));
	if (rd_u8(&r) != 0xfe)
		return -1;
	out->warnings = rd_u16(&r);
	out->status = rd_u16(&r);
	if (r.failed) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

void proto_write_eof(struct buf *b, uint8_t seq, uint16_t warnings, uint16_t status)
{
	size_t start = proto_begin_packet(b, seq);

	buf_put_u8(b, 0xfe);
	buf_put_u16(b, warnings);
	buf_put_u16(b, status);
	proto_end_packet(b, start);
}

void proto_write_auth_switch(struct buf *b, uint8_t seq, const char *plugin, const void *data, size_t n)
{
	size_t start = proto_begin_packet(b, seq);

	buf_put_u8(b, 0xfe);
	buf_put_cstr(b, plugin);
	if (n)
		buf_put(b, data, n);
	proto_end_packet(b, start);
}

void proto_write_auth_more(struct buf *b, uint8_t seq, const void *data, size_t n)
{
	size_t start = proto_begin_packet(b, seq);

	buf_put_u8(b, 0x01);
	if (n)
		buf_put(b, data, n);
	proto_end_packet(b, start);
}

/* ---- session-state tracker ---- */

void proto_track_begin(struct proto_track_iter *it, const uint8_t *p, size_t n)
{
	it->r = rd_make(p, n);
}

int proto_track_next(struct proto_track_iter *it, struct proto_track_item *item)
{
	memset(item, 0, sizeof(*item));
	if (it->r.failed)
		return -1;
	if (it->r.p == it->r.end)
		return 0;

	size_t len;
	item->type = rd_u8(&it->r);
	const uint8_t *data = rd_lenenc_str(&it->r, &len);
	if (!data)
		goto bad;

	struct rd e = rd_make(data, len);
	switch ((enum proto_track_type)item->type) {
	case TRACK_SYSTEM_VARIABLES:
		item->name = rd_lenenc_str(&e, &item->name_len);
		item->value = rd_lenenc_str(&e, &item->value_len);
		break;
	case TRACK_GTIDS:
		rd_skip(&e, 1); /* encoding specification (0 = plain text) */
		item->name = rd_lenenc_str(&e, &item->name_len);
		break;
	case TRACK_STATE_CHANGE:
		/* MySQL writes a length-encoded "1" (02 02 01 31); MariaDB the bare byte (02 01 31). */
		if (len == 1) {
			item->name = data;
			item->name_len = 1;
			break;
		}
		item->name = rd_lenenc_str(&e, &item->name_len);
		break;
	case TRACK_SCHEMA:
	case TRACK_TRANSACTION_CHARACTERISTICS:
	case TRACK_TRANSACTION_STATE:
		item->name = rd_lenenc_str(&e, &item->name_len);
		break;
	default:
		/* Unknown tracker: hand the raw entry to the caller. */
		item->name = data;
		item->name_len = len;
		break;
	}
	if (e.failed)
		goto bad;
	return 1;
bad:
	it->r.failed = true;
	memset(item, 0, sizeof(*item));
	return -1;
}

/* ---- result sets ---- */

int proto_parse_column(const uint8_t *p, size_t n, bool extended, bool field_list, struct proto_column *out)
{
	struct rd r = rd_make(p, n);
	bool is_null;

	memset(out, 0, sizeof(*out));
	out->catalog = rd_lenenc_str(&r, &out->catalog_len);
	out->schema = rd_lenenc_str(&r, &out->schema_len);
	out->table = rd_lenenc_str(&r, &out->table_len);
	out->org_table = rd_lenenc_str(&r, &out->org_table_len);
	out->name = rd_lenenc_str(&r, &out->name_len);
	out->org_name = rd_lenenc_str(&r, &out->org_name_len);
	/* MariaDB >= 10.5 with EXTENDED_METADATA: one lenenc string holding (u8 key, u8 length,
	 * value) chunks (0 = data type name such as "json", 1 = format name); an empty string
	 * (a single 0x00 byte) when the column has no extended type info. */
	if (extended)
		out->ext = rd_lenenc_str(&r, &out->ext_len);
	uint64_t fixed = rd_lenenc(&r, &is_null);
	if (r.failed || is_null || fixed != PROTO_COLUMN_FIXED)
		goto bad;
	out->charset = rd_u16(&r);
	out->length = rd_u32(&r);
	out->type = rd_u8(&r);
	out->flags = rd_u16(&r);
	out->decimals = rd_u8(&r);
	rd_skip(&r, 2); /* filler */
	if (field_list && !r.failed && r.p < r.end) {
		if (r.p[0] == 0xfb)
			rd_skip(&r, 1); /* NULL default: same as none */
		else
			out->default_value = rd_lenenc_str(&r, &out->default_len);
	}
	if (r.failed)
		goto bad;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -1;
}

void proto_write_column(struct buf *b, uint8_t seq, const struct proto_column *c, bool extended, bool field_list)
{
	size_t start = proto_begin_packet(b, seq);

	buf_put_lenenc_str(b, c->catalog, c->catalog ? c->catalog_len : 0);
	buf_put_lenenc_str(b, c->schema, c->schema ? c->schema_len : 0);
	buf_put_lenenc_str(b, c->table, c->table ? c->table_len : 0);
	buf_put_lenenc_str(b, c->org_table, c->org_table ? c->org_table_len : 0);
	buf_put_lenenc_str(b, c->name, c->name ? c->name_len : 0);
	buf_put_lenenc_str(b, c->org_name, c->org_name ? c->org_name_len : 0);
	if (extended)
		buf_put_lenenc_str(b, c->ext, c->ext ? c->ext_len : 0);
	buf_put_lenenc(b, PROTO_COLUMN_FIXED);
	buf_put_u16(b, c->charset);
	buf_put_u32(b, c->length);
	buf_put_u8(b, c->type);
	buf_put_u16(b, c->flags);
	buf_put_u8(b, c->decimals);
	buf_put_zeros(b, 2);
	if (field_list) {
		/* libmariadb reads one more field for COM_FIELD_LIST: NULL if no default. */
		if (c->default_value)
			buf_put_lenenc_str(b, c->default_value, c->default_len);
		else
			buf_put_u8(b, 0xfb);
	}
	proto_end_packet(b, start);
}

/* For mypool's own result sets (admin console). mypool never advertises MariaDB's
 * EXTENDED_METADATA, so these columns carry no extended metadata. */
void proto_write_column_simple(struct buf *b, uint8_t seq, const char *name, uint8_t type, bool extended)
{
	bool is_string = type == FIELD_TYPE_VAR_STRING;
	size_t len = strlen(name);
	struct proto_column c = {
		.catalog = (const uint8_t *)"def", .catalog_len = 3,
		.schema = (const uint8_t *)"", .table = (const uint8_t *)"",
		.org_table = (const uint8_t *)"",
		.name = (const uint8_t *)name, .name_len = len,
		.org_name = (const uint8_t *)name, .org_name_len = len,
		.charset = is_string ? PROTO_CHARSET_UTF8MB3 : PROTO_CHARSET_BINARY,
		.length = is_string ? 1024 : 20,
		.type = type,
		.flags = 0,
		.decimals = 0,
	};
	proto_write_column(b, seq, &c, extended, false);
}

void proto_write_text_row(struct buf *b, uint8_t seq, const char *const *values, const size_t *lens, size_t n)
{
	size_t start = proto_begin_packet(b, seq);

	for (size_t i = 0; i < n; i++) {
		if (!values[i])
			buf_put_u8(b, 0xfb);
		else
			buf_put_lenenc_str(b, values[i], lens ? lens[i] : strlen(values[i]));
	}
	proto_end_packet(b, start);
}
