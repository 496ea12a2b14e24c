/* proto: the MySQL client/server protocol as a pure codec.
 *
 * Bytes in, structs out; structs in, bytes out. No sockets, no libevent, no Connector/C, so every
 * function here is unit-tested on golden bytes (tests/check_proto.c). Parsers never read past the
 * given length and return -1 on malformed input. Writers append whole packets (4-byte header:
 * 3-byte little-endian payload length + 1-byte sequence id) to a struct buf and rely on its sticky
 * error flag. */
#ifndef MYPOOL_PROTO_H
#define MYPOOL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define PROTO_HEADER_LEN 4
#define PROTO_MAX_PAYLOAD 0xffffffu /* a payload of exactly this size continues in the next packet */

/* Capability flags (low 32 bits are MySQL's, high 32 bits MariaDB's extended ones). */
#define CAP_LONG_PASSWORD (1u << 0) /* "CLIENT_MYSQL" for MariaDB: clear = MariaDB ext caps valid */
#define CAP_FOUND_ROWS (1u << 1)
#define CAP_LONG_FLAG (1u << 2)
#define CAP_CONNECT_WITH_DB (1u << 3)
#define CAP_NO_SCHEMA (1u << 4)
#define CAP_COMPRESS (1u << 5)
#define CAP_ODBC (1u << 6)
#define CAP_LOCAL_FILES (1u << 7)
#define CAP_IGNORE_SPACE (1u << 8)
#define CAP_PROTOCOL_41 (1u << 9)
#define CAP_INTERACTIVE (1u << 10)
#define CAP_SSL (1u << 11)
#define CAP_IGNORE_SIGPIPE (1u << 12)
#define CAP_TRANSACTIONS (1u << 13)
#define CAP_RESERVED (1u << 14)
#define CAP_SECURE_CONNECTION (1u << 15)
#define CAP_MULTI_STATEMENTS (1u << 16)
#define CAP_MULTI_RESULTS (1u << 17)
#define CAP_PS_MULTI_RESULTS (1u << 18)
#define CAP_PLUGIN_AUTH (1u << 19)
#define CAP_CONNECT_ATTRS (1u << 20)
#define CAP_PLUGIN_AUTH_LENENC_DATA (1u << 21)
#define CAP_CAN_HANDLE_EXPIRED_PASSWORDS (1u << 22)
#define CAP_SESSION_TRACK (1u << 23)
#define CAP_DEPRECATE_EOF (1u << 24)
#define CAP_QUERY_ATTRIBUTES (1u << 27)
#define MARIADB_CAP_PROGRESS (1ull << 32)
#define MARIADB_CAP_STMT_BULK (1ull << 34)
#define MARIADB_CAP_EXTENDED_METADATA (1ull << 35)
#define MARIADB_CAP_CACHE_METADATA (1ull << 36)

/* Server status flags. */
#define STATUS_IN_TRANS 0x0001
#define STATUS_AUTOCOMMIT 0x0002
#define STATUS_MORE_RESULTS 0x0008
#define STATUS_NO_GOOD_INDEX 0x0010
#define STATUS_NO_INDEX 0x0020
#define STATUS_CURSOR_EXISTS 0x0040
#define STATUS_LAST_ROW_SENT 0x0080
#define STATUS_DB_DROPPED 0x0100
#define STATUS_NO_BACKSLASH_ESCAPES 0x0200
#define STATUS_METADATA_CHANGED 0x0400
#define STATUS_QUERY_WAS_SLOW 0x0800
#define STATUS_PS_OUT_PARAMS 0x1000
#define STATUS_IN_TRANS_READONLY 0x2000
#define STATUS_SESSION_STATE_CHANGED 0x4000
#define STATUS_ANSI_QUOTES 0x8000

/* Commands (first payload byte of a client request). */
enum proto_cmd {
	COM_SLEEP = 0x00,
	COM_QUIT = 0x01,
	COM_INIT_DB = 0x02,
	COM_QUERY = 0x03,
	COM_FIELD_LIST = 0x04,
	COM_CREATE_DB = 0x05,
	COM_DROP_DB = 0x06,
	COM_REFRESH = 0x07,
	COM_SHUTDOWN = 0x08,
	COM_STATISTICS = 0x09,
	COM_PROCESS_INFO = 0x0a,
	COM_CONNECT = 0x0b,
	COM_PROCESS_KILL = 0x0c,
	COM_DEBUG = 0x0d,
	COM_PING = 0x0e,
	COM_TIME = 0x0f,
	COM_DELAYED_INSERT = 0x10,
	COM_CHANGE_USER = 0x11,
	COM_BINLOG_DUMP = 0x12,
	COM_TABLE_DUMP = 0x13,
	COM_CONNECT_OUT = 0x14,
	COM_REGISTER_SLAVE = 0x15,
	COM_STMT_PREPARE = 0x16,
	COM_STMT_EXECUTE = 0x17,
	COM_STMT_SEND_LONG_DATA = 0x18,
	COM_STMT_CLOSE = 0x19,
	COM_STMT_RESET = 0x1a,
	COM_SET_OPTION = 0x1b,
	COM_STMT_FETCH = 0x1c,
	COM_DAEMON = 0x1d,
	COM_BINLOG_DUMP_GTID = 0x1e,
	COM_RESET_CONNECTION = 0x1f,
	COM_STMT_BULK_EXECUTE = 0xfa,
};
/* "COM_QUERY", ... or "COM_0x42" style for unknown values (static buffer per thread). */
const char *proto_cmd_name(uint8_t cmd);

/* Session-state tracker item types (OK packet, SESSION_TRACK). */
enum proto_track_type {
	TRACK_SYSTEM_VARIABLES = 0,
	TRACK_SCHEMA = 1,
	TRACK_STATE_CHANGE = 2,
	TRACK_GTIDS = 3,
	TRACK_TRANSACTION_CHARACTERISTICS = 4,
	TRACK_TRANSACTION_STATE = 5,
};

/* ---- packet framing ---- */
static inline uint32_t proto_hdr_len(const uint8_t *h) { return (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16; }
static inline uint8_t proto_hdr_seq(const uint8_t *h) { return h[3]; }
void proto_hdr_put(uint8_t *h, uint32_t len, uint8_t seq);
/* Append a whole packet with this payload; payloads >= 16 MiB are split into several packets
 * (and an exact multiple of 0xffffff ends with an empty packet). Returns the next sequence id. */
uint8_t proto_put_packet(struct buf *b, uint8_t seq, const void *payload, size_t n);
/* Start a packet whose payload is written next with buf_put_*; proto_end_packet fills in the
 * length. Only for payloads < 16 MiB (all packets mypool builds itself). */
size_t proto_begin_packet(struct buf *b, uint8_t seq);
void proto_end_packet(struct buf *b, size_t start);

/* ---- handshake (server -> client) ---- */
struct proto_handshake {
	const char *server_version; /* e.g. "5.5.5-10.11.19-MariaDB-mypool" */
	uint32_t conn_id;
	uint8_t scramble[20];       /* bytes 1..255, never 0 */
	uint64_t caps;              /* low 32: capabilities; high 32: MariaDB ext caps */
	uint8_t charset;            /* collation id */
	uint16_t status;
	const char *auth_plugin;    /* "mysql_native_password" */
};
void proto_write_handshake(struct buf *b, const struct proto_handshake *hs); /* seq 0 */

/* ---- handshake response (client -> server) ---- */
struct proto_handshake_response {
	uint64_t caps;           /* client caps; high 32 bits = MariaDB ext caps when present */
	uint32_t max_packet;
	uint8_t charset;
	const uint8_t *user;     /* points into the packet; not NUL-terminated */
	size_t user_len;
	const uint8_t *auth;     /* auth response */
	size_t auth_len;
	const uint8_t *db;       /* NULL if CONNECT_WITH_DB unset; may be empty ("" from mysql2) */
	size_t db_len;
	const uint8_t *plugin;   /* NULL if PLUGIN_AUTH unset or absent */
	size_t plugin_len;
	const uint8_t *attrs;    /* raw lenenc attrs block (without its length), NULL if none */
	size_t attrs_len;
};
/* An SSLRequest (32 bytes, CAP_SSL set) is reported as -2 so the caller can refuse it. */
int proto_parse_handshake_response(const uint8_t *p, size_t n, struct proto_handshake_response *out);

/* ---- COM_CHANGE_USER (client -> server) ---- */
struct proto_change_user {
	const uint8_t *user; size_t user_len;
	const uint8_t *auth; size_t auth_len;
	const uint8_t *db; size_t db_len;
	bool has_charset; uint16_t charset;
	const uint8_t *plugin; size_t plugin_len;
	const uint8_t *attrs; size_t attrs_len;
};
/* p points at the payload including the command byte. `caps` are the client's effective caps. */
int proto_parse_change_user(const uint8_t *p, size_t n, uint64_t caps, struct proto_change_user *out);

/* ---- generic replies ---- */
struct proto_ok {
	uint64_t affected_rows;
	uint64_t insert_id;
	uint16_t status;
	uint16_t warnings;
	const uint8_t *info;    size_t info_len;    /* human-readable info, may be empty */
	const uint8_t *session; size_t session_len; /* raw session-state block (SESSION_TRACK and
	                                               STATUS_SESSION_STATE_CHANGED), else NULL */
	bool is_eof_header;     /* 0xFE-headed OK (DEPRECATE_EOF end of result set) */
};
/* Parse an OK packet payload (first byte 0x00 or 0xFE) sent under capabilities `caps`. */
int proto_parse_ok(const uint8_t *p, size_t n, uint64_t caps, struct proto_ok *out);
/* Write an OK packet for a client with capabilities `caps` (the info string is written as
 * lenenc if SESSION_TRACK is in caps, else as the rest of the packet; session state only with
 * SESSION_TRACK and STATUS_SESSION_STATE_CHANGED). */
void proto_write_ok(struct buf *b, uint8_t seq, uint64_t caps, const struct proto_ok *ok);

struct proto_err {
	uint16_t code;
	char sqlstate[6];       /* NUL-terminated; "HY000" if the packet had none */
	const uint8_t *msg; size_t msg_len;
};
/* Parse an ERR payload (first byte 0xFF). A MariaDB progress report (code 0xFFFF) returns 1. */
int proto_parse_err(const uint8_t *p, size_t n, struct proto_err *out);
void proto_write_err(struct buf *b, uint8_t seq, uint16_t code, const char *sqlstate, const char *msg);
void proto_write_errf(struct buf *b, uint8_t seq, uint16_t code, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

struct proto_eof { uint16_t warnings; uint16_t status; };
/* True if this payload is an EOF packet (0xFE and shorter than 9 bytes). */
static inline bool proto_is_eof(const uint8_t *p, size_t n) { return n >= 1 && n < 9 && p[0] == 0xfe; }
int proto_parse_eof(const uint8_t *p, size_t n, struct proto_eof *out);
void proto_write_eof(struct buf *b, uint8_t seq, uint16_t warnings, uint16_t status);

/* What the first packet of a server's response is. Only there: inside a result set a row may
 * start with any byte (0x00 an empty string, 0xFB a NULL); rows end with proto_is_err() or
 * proto_is_eof(). */
enum proto_kind {
	PK_OK,          /* 0x00 */
	PK_ERR,         /* 0xFF */
	PK_LOCAL_INFILE, /* 0xFB: the server asks for the file of LOAD DATA LOCAL */
	PK_EOF,         /* 0xFE, shorter than 9 bytes */
	PK_RESULT,      /* anything else: a result set's column count */
	PK_EMPTY,       /* no payload at all: malformed */
};
enum proto_kind proto_response_kind(const uint8_t *p, size_t n);
static inline bool proto_is_err(const uint8_t *p, size_t n) { return n >= 1 && p[0] == 0xff; }
/* A MariaDB progress report (an ERR with code 0xFFFF): the server sends them to connections that
 * announced MARIADB_CAP_PROGRESS, before and in the middle of a response. */
static inline bool proto_is_progress(const uint8_t *p, size_t n)
{
	return n >= 3 && p[0] == 0xff && p[1] == 0xff && p[2] == 0xff;
}

/* COM_STMT_PREPARE's OK: 0x00, statement id, columns, parameters, a filler, warnings. */
struct proto_prepare_ok {
	uint32_t stmt_id;
	uint16_t ncols, nparams, warnings;
};
/* 0, or -1 if p is not one (shorter than 12 bytes, or not starting with 0x00). */
int proto_parse_prepare_ok(const uint8_t *p, size_t n, struct proto_prepare_ok *out);

/* AuthSwitchRequest: 0xFE, plugin name NUL, data. */
void proto_write_auth_switch(struct buf *b, uint8_t seq, const char *plugin, const void *data, size_t n);
/* AuthMoreData: 0x01 + data. */
void proto_write_auth_more(struct buf *b, uint8_t seq, const void *data, size_t n);

/* ---- session-state tracker items (the block from proto_ok.session) ---- */
struct proto_track_iter { struct rd r; };
struct proto_track_item {
	uint8_t type;                 /* enum proto_track_type (unknown types are returned too) */
	const uint8_t *name; size_t name_len;   /* SYSTEM_VARIABLES: variable name; SCHEMA: schema;
	                                           STATE_CHANGE: "1"; TRANSACTION_*: the text */
	const uint8_t *value; size_t value_len; /* SYSTEM_VARIABLES only: its value; else NULL */
};
void proto_track_begin(struct proto_track_iter *it, const uint8_t *p, size_t n);
/* 1 = an item, 0 = end, -1 = malformed. */
int proto_track_next(struct proto_track_iter *it, struct proto_track_item *item);

/* ---- result sets ---- */
struct proto_column {
	const uint8_t *catalog; size_t catalog_len; /* "def" */
	const uint8_t *schema; size_t schema_len;
	const uint8_t *table; size_t table_len;
	const uint8_t *org_table; size_t org_table_len;
	const uint8_t *name; size_t name_len;
	const uint8_t *org_name; size_t org_name_len;
	const uint8_t *ext; size_t ext_len;   /* MariaDB extended metadata; NULL if absent */
	uint16_t charset;
	uint32_t length;
	uint8_t type;
	uint16_t flags;
	uint8_t decimals;
	const uint8_t *default_value; size_t default_len; /* COM_FIELD_LIST only; NULL if absent */
};
/* Parse a ColumnDefinition41 payload. `extended` = MariaDB EXTENDED_METADATA was negotiated;
 * `field_list` = the reply to COM_FIELD_LIST (a default value may follow). */
int proto_parse_column(const uint8_t *p, size_t n, bool extended, bool field_list, struct proto_column *out);
/* Write a ColumnDefinition41 packet; ext metadata only if `extended`. */
void proto_write_column(struct buf *b, uint8_t seq, const struct proto_column *c, bool extended, bool field_list);
/* Convenience for result sets mypool builds itself (admin console): a VAR_STRING column;
 * `extended`: the client has MariaDB's EXTENDED_METADATA (an empty one is written). */
void proto_write_column_simple(struct buf *b, uint8_t seq, const char *name, uint8_t type, bool extended);
/* Text row: n values, NULL pointers are SQL NULL. */
void proto_write_text_row(struct buf *b, uint8_t seq, const char *const *values, const size_t *lens, size_t n);

/* MySQL field types used by mypool itself. */
#define FIELD_TYPE_LONGLONG 0x08
#define FIELD_TYPE_VAR_STRING 0xfd

/* Collation ids used by proto_write_column_simple(). */
#define PROTO_CHARSET_UTF8MB3 33 /* utf8mb3_general_ci: VAR_STRING columns */
#define PROTO_CHARSET_BINARY 63  /* binary: numeric columns */
/* proto_write_err() and proto_write_errf() cut the message at this many bytes (MYSQL_ERRMSG_SIZE). */
#define PROTO_ERRMSG_MAX 512

/* Notes on the codec above (behaviour the callers may rely on):
 * - Parsers zero *out first and zero it again on failure.
 * - proto_parse_handshake_response: < 32 bytes or no PROTOCOL_41 -> -1. db, plugin and attrs may be
 *   absent at the very end of the packet although their flag is set (-> NULL); a present but
 *   unterminated string or an attrs length past the end is -1.
 * - proto_parse_ok: with SESSION_TRACK an absent info string is empty (info points at the end,
 *   info_len 0); proto_write_ok never writes the session block unless ok->session != NULL.
 * - proto_parse_err with a progress report (code 0xFFFF) returns 1 with msg = the raw progress data.
 * - proto_track_next: TRACK_GTIDS returns the GTID text in name (the encoding byte is skipped).
 * - proto_parse_column: `ext` is MariaDB's extended metadata exactly as on the wire: one lenenc
 *   string of (u8 key, u8 len, value) chunks, key 0 = type name ("json", "point"...), key 1 =
 *   format name; it may be empty. With field_list, a 0xFB (NULL) default leaves default_value
 *   NULL, and proto_write_column writes 0xFB for a NULL default_value.
 * - proto_write_text_row: lens may be NULL (then strlen() of each value).
 * - proto_begin_packet returns a position relative to the buffer's unread head, so a compaction
 *   by a later write does not invalidate it; do not consume from the buffer before
 *   proto_end_packet. A payload of 16 MiB or more sets b->failed there. */

#endif
