/* Unit tests for daemon/pure/proto.c: golden packets (each field annotated with what it decodes to),
 * round trips, and hostile input (every truncation of every golden packet is parsed from an
 * exactly-sized heap copy, so ASan catches any read past the end).
 *
 * Golden packets are written as concatenated string literals, one field per line; sizeof - 1
 * drops the literal's own terminating NUL. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "proto.h"

#define LIT_LEN(a) (sizeof(a) - 1)

/* An exactly-sized heap copy: any read past n is an ASan error. */
static uint8_t *dup_exact(const void *p, size_t n)
{
	uint8_t *d = malloc(n);
	ck_assert_ptr_nonnull(d);
	if (n)
		memcpy(d, p, n);
	return d;
}

/* A pointer/length pair returned by a parser must lie inside the input. */
#define ASSERT_INSIDE(base, n, ptr, len)                                                         \
	do {                                                                                     \
		if ((ptr) != NULL) {                                                             \
			ck_assert((const uint8_t *)(ptr) >= (const uint8_t *)(base));            \
			ck_assert((size_t)((const uint8_t *)(ptr) - (const uint8_t *)(base)) +   \
					  (len) <= (n));                                         \
		} else {                                                                         \
			ck_assert_uint_eq((len), 0);                                             \
		}                                                                                \
	} while (0)

/* The buffer holds exactly one packet with this seq and payload. */
static void expect_packet(const struct buf *b, uint8_t seq, const void *payload, size_t n)
{
	ck_assert(!b->failed);
	ck_assert_uint_eq(buf_avail(b), PROTO_HEADER_LEN + n);
	ck_assert_uint_eq(proto_hdr_len(buf_head(b)), n);
	ck_assert_uint_eq(proto_hdr_seq(buf_head(b)), seq);
	ck_assert_mem_eq(buf_head(b) + PROTO_HEADER_LEN, payload, n);
}

/* ======================================================================================== */
/* framing                                                                                   */
/* ======================================================================================== */

START_TEST(header_put_get)
{
	uint8_t h[4];

	proto_hdr_put(h, 0x123456, 0xab);
	ck_assert_uint_eq(h[0], 0x56);
	ck_assert_uint_eq(h[1], 0x34);
	ck_assert_uint_eq(h[2], 0x12);
	ck_assert_uint_eq(h[3], 0xab);
	ck_assert_uint_eq(proto_hdr_len(h), 0x123456);
	ck_assert_uint_eq(proto_hdr_seq(h), 0xab);
}
END_TEST

START_TEST(put_packet_small)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_uint_eq(proto_put_packet(&b, 3, "\x0e", 1), 4); /* COM_PING, seq 3 */
	expect_packet(&b, 3, "\x0e", 1);
	buf_reset(&b);
	/* An empty payload is one empty packet. */
	ck_assert_uint_eq(proto_put_packet(&b, 0, NULL, 0), 1);
	ck_assert_uint_eq(buf_avail(&b), 4);
	ck_assert_mem_eq(buf_head(&b), "\x00\x00\x00\x00", 4);
	buf_free(&b);
}
END_TEST

/* Check a train of packets: sizes and seqs as expected, payload reassembles to the original. */
static void check_train(const struct buf *b, const uint8_t *payload, size_t n, uint8_t seq0,
			const size_t *sizes, size_t npackets)
{
	const uint8_t *p = buf_head(b);
	size_t off = 0, pos = 0;

	for (size_t i = 0; i < npackets; i++) {
		ck_assert_uint_le(pos + PROTO_HEADER_LEN, buf_avail(b));
		ck_assert_uint_eq(proto_hdr_len(p + pos), sizes[i]);
		ck_assert_uint_eq(proto_hdr_seq(p + pos), (uint8_t)(seq0 + i));
		pos += PROTO_HEADER_LEN;
		ck_assert(memcmp(p + pos, payload + off, sizes[i]) == 0);
		pos += sizes[i];
		off += sizes[i];
	}
	ck_assert_uint_eq(off, n);
	ck_assert_uint_eq(pos, buf_avail(b));
}

START_TEST(put_packet_split)
{
	const size_t M = PROTO_MAX_PAYLOAD;
	size_t n = 2 * M;
	uint8_t *payload = malloc(n);
	struct buf b;

	ck_assert_ptr_nonnull(payload);
	for (size_t i = 0; i < n; i++)
		payload[i] = (uint8_t)(i * 31 + (i >> 16));

	buf_init(&b, 0);
	/* Exactly 0xffffff: a full packet, then an empty one ends the payload. */
	{
		const size_t sizes[] = { M, 0 };
		ck_assert_uint_eq(proto_put_packet(&b, 7, payload, M), 9);
		ck_assert(!b.failed);
		check_train(&b, payload, M, 7, sizes, 2);
	}
	/* 0xffffff + 1: a full packet and a 1-byte one; the seq wraps from 0xff to 0x00. */
	buf_reset(&b);
	{
		const size_t sizes[] = { M, 1 };
		ck_assert_uint_eq(proto_put_packet(&b, 0xff, payload, M + 1), 0x01);
		check_train(&b, payload, M + 1, 0xff, sizes, 2);
	}
	/* 0xffffff - 1: one packet. */
	buf_reset(&b);
	{
		const size_t sizes[] = { M - 1 };
		ck_assert_uint_eq(proto_put_packet(&b, 0, payload, M - 1), 1);
		check_train(&b, payload, M - 1, 0, sizes, 1);
	}
	/* 2 * 0xffffff: two full packets and the empty terminator. */
	buf_reset(&b);
	{
		const size_t sizes[] = { M, M, 0 };
		ck_assert_uint_eq(proto_put_packet(&b, 1, payload, n), 4);
		check_train(&b, payload, n, 1, sizes, 3);
	}
	buf_free(&b);
	free(payload);
}
END_TEST

START_TEST(put_packet_limit)
{
	struct buf b;
	uint8_t data[100] = { 0 };

	buf_init(&b, 64);
	proto_put_packet(&b, 0, data, sizeof(data));
	ck_assert(b.failed);
	buf_free(&b);
}
END_TEST

START_TEST(begin_end_packet_survives_compaction)
{
	struct buf b;
	uint8_t big[1000];

	memset(big, 'q', sizeof(big));
	buf_init(&b, 0);
	/* 200 bytes of older output, 150 of them already sent: off > 0. */
	buf_put_zeros(&b, 200);
	buf_consume(&b, 150);
	ck_assert_uint_eq(b.off, 150);

	size_t start = proto_begin_packet(&b, 5);
	buf_put(&b, big, sizeof(big)); /* forces buf_reserve to move the data */
	proto_end_packet(&b, start);
	ck_assert(!b.failed);
	ck_assert_uint_eq(buf_avail(&b), 50 + 4 + sizeof(big));
	const uint8_t *h = buf_head(&b) + 50;
	ck_assert_uint_eq(proto_hdr_len(h), sizeof(big));
	ck_assert_uint_eq(proto_hdr_seq(h), 5);
	buf_free(&b);
}
END_TEST

START_TEST(end_packet_too_large)
{
	struct buf b;

	buf_init(&b, 0);
	size_t start = proto_begin_packet(&b, 0);
	buf_put_zeros(&b, PROTO_MAX_PAYLOAD);
	proto_end_packet(&b, start);
	ck_assert(b.failed); /* would need splitting: refused */
	buf_free(&b);
}
END_TEST

START_TEST(cmd_names)
{
	ck_assert_str_eq(proto_cmd_name(COM_QUERY), "COM_QUERY");
	ck_assert_str_eq(proto_cmd_name(0x00), "COM_SLEEP");
	ck_assert_str_eq(proto_cmd_name(0x11), "COM_CHANGE_USER");
	ck_assert_str_eq(proto_cmd_name(0x1f), "COM_RESET_CONNECTION");
	ck_assert_str_eq(proto_cmd_name(0xfa), "COM_STMT_BULK_EXECUTE");
	ck_assert_str_eq(proto_cmd_name(0x42), "COM_0x42");
	ck_assert_str_eq(proto_cmd_name(0x20), "COM_0x20");
	ck_assert_str_eq(proto_cmd_name(0xff), "COM_0xff");
	for (int c = 0; c < 256; c++) {
		const char *s = proto_cmd_name((uint8_t)c);
		ck_assert_ptr_nonnull(s);
		ck_assert(strncmp(s, "COM_", 4) == 0);
		ck_assert_uint_gt(strlen(s), 4);
	}
}
END_TEST

/* ======================================================================================== */
/* handshake                                                                                 */
/* ======================================================================================== */

/* What MariaDB 10.11 sends (tech-notes section 3), with our version string and scramble. */
static const uint8_t golden_handshake_mariadb[] =
	"\x0a"                                  /* protocol version 10 */
	"5.5.5-10.11.19-MariaDB-mypool" "\0"    /* server version, NUL */
	"\x2a\x00\x00\x00"                      /* connection id 42 */
	"ABCDEFGH"                              /* scramble[0..7] */
	"\x00"                                  /* filler */
	"\xfe\xf7"                              /* caps low 16: 0xf7fe (bit0 CLIENT_MYSQL clear) */
	"\x08"                                  /* charset 8 latin1_swedish_ci */
	"\x02\x00"                              /* status AUTOCOMMIT */
	"\xff\x81"                              /* caps high 16: 0x81ff -> caps 0x81fff7fe */
	"\x15"                                  /* auth data length 21 */
	"\x00\x00\x00\x00\x00\x00"              /* reserved */
	"\x1d\x00\x00\x00"                      /* MariaDB ext caps 0x1d: PROGRESS|STMT_BULK|
						   EXTENDED_METADATA|CACHE_METADATA */
	"IJKLMNOPQRST" "\0"                     /* scramble[8..19], NUL */
	"mysql_native_password" "\0";           /* auth plugin */

START_TEST(handshake_mariadb_golden)
{
	struct buf b;
	struct proto_handshake hs = {
		.server_version = "5.5.5-10.11.19-MariaDB-mypool",
		.conn_id = 42,
		.caps = 0x1dull << 32 | 0x81fff7fe,
		.charset = 8,
		.status = STATUS_AUTOCOMMIT,
		.auth_plugin = "mysql_native_password",
	};
	memcpy(hs.scramble, "ABCDEFGHIJKLMNOPQRST", 20);

	buf_init(&b, 0);
	proto_write_handshake(&b, &hs);
	expect_packet(&b, 0, golden_handshake_mariadb, LIT_LEN(golden_handshake_mariadb));
	buf_free(&b);
}
END_TEST

/* mypool's own advertisement: bit0 set (MySQL-style), so the ext caps bytes must be zero even if
 * the high bits of .caps are set. */
static const uint8_t golden_handshake_mysql[] =
	"\x0a"                                  /* protocol version 10 */
	"8.0.99" "\0"                           /* server version */
	"\x01\x02\x03\x04"                      /* connection id 0x04030201 */
	"abcdefgh"                              /* scramble[0..7] */
	"\x00"                                  /* filler */
	"\x0f\xa6"                              /* caps low 16 0xa60f: LONG_PASSWORD FOUND_ROWS LONG_FLAG
						   CONNECT_WITH_DB PROTOCOL_41 INTERACTIVE TRANSACTIONS
						   SECURE_CONNECTION */
	"\x21"                                  /* charset 33 utf8mb3_general_ci */
	"\x00\x00"                              /* status 0 */
	"\xbb\x00"                              /* caps high 16 0x00bb: MULTI_STATEMENTS MULTI_RESULTS
						   PLUGIN_AUTH CONNECT_ATTRS LENENC_DATA SESSION_TRACK */
	"\x15"                                  /* auth data length 21 */
	"\x00\x00\x00\x00\x00\x00"              /* reserved */
	"\x00\x00\x00\x00"                      /* ext caps: zero because bit0 is set */
	"ijklmnopqrst" "\0"                     /* scramble[8..19], NUL */
	"caching_sha2_password" "\0";           /* auth plugin */

START_TEST(handshake_mysql_golden)
{
	struct buf b;
	struct proto_handshake hs = {
		.server_version = "8.0.99",
		.conn_id = 0x04030201,
		.caps = 0xffull << 32 | 0x00bba60f,
		.charset = 33,
		.status = 0,
		.auth_plugin = "caching_sha2_password",
	};
	memcpy(hs.scramble, "abcdefghijklmnopqrst", 20);

	buf_init(&b, 0);
	proto_write_handshake(&b, &hs);
	expect_packet(&b, 0, golden_handshake_mysql, LIT_LEN(golden_handshake_mysql));
	buf_free(&b);
}
END_TEST

/* ---- HandshakeResponse41 ---- */

/* libmariadb (mariadb CLI 3.3) asking for a database: bit0 clear, so the ext caps count. */
static const uint8_t golden_resp_libmariadb[] =
	"\x8c\xa2\xbf\x00"                      /* caps 0x00bfa28c: LONG_FLAG CONNECT_WITH_DB LOCAL_FILES
						   PROTOCOL_41 TRANSACTIONS SECURE_CONNECTION
						   MULTI_STATEMENTS MULTI_RESULTS PS_MULTI_RESULTS
						   PLUGIN_AUTH CONNECT_ATTRS LENENC_DATA SESSION_TRACK */
	"\x00\x00\x00\x01"                      /* max packet 16 MiB */
	"\x21"                                  /* charset 33 */
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00"  /* 19 filler */
	"\x1c\x00\x00\x00"                      /* ext caps 0x1c: STMT_BULK EXTENDED_METADATA
						   CACHE_METADATA */
	"app" "\0"                              /* user "app" */
	"\x14"                                  /* auth: lenenc length 20 */
	"\x82\xa4\x21\x52\xb6\x35\x0e\x93\x2a\x46"
	"\xce\x46\x69\xa9\x28\x21\xff\xd9\x75\xd8" /* the 20-byte native token */
	"test" "\0"                             /* db "test" */
	"mysql_native_password" "\0"            /* client plugin */
	"\x2f"                                  /* attrs: lenenc length 47 */
	"\x0c" "_client_name" "\x0a" "libmariadb"
	"\x0f" "_client_version" "\x06" "3.3.20";

/* Every pointer of a successful parse lies inside the input. */
static void resp_inside(const uint8_t *p, size_t n, const struct proto_handshake_response *r)
{
	ASSERT_INSIDE(p, n, r->user, r->user_len);
	ASSERT_INSIDE(p, n, r->auth, r->auth_len);
	ASSERT_INSIDE(p, n, r->db, r->db_len);
	ASSERT_INSIDE(p, n, r->plugin, r->plugin_len);
	ASSERT_INSIDE(p, n, r->attrs, r->attrs_len);
}

/* Parse every strict prefix of a packet from an exact-size copy: never a crash or an overread;
 * a success must be self-consistent. Returns how many prefixes parsed successfully. */
static int resp_prefixes(const uint8_t *pkt, size_t n)
{
	int ok = 0;

	for (size_t k = 0; k < n; k++) {
		uint8_t *d = dup_exact(pkt, k);
		struct proto_handshake_response r;
		int rc = proto_parse_handshake_response(d, k, &r);
		ck_assert_msg(rc == -1 || rc == 0 || (rc == -2 && k == 32), "prefix %zu: rc %d", k, rc);
		if (rc == 0) {
			resp_inside(d, k, &r);
			ok++;
		}
		free(d);
	}
	return ok;
}

START_TEST(response_libmariadb)
{
	size_t n = LIT_LEN(golden_resp_libmariadb);
	uint8_t *d = dup_exact(golden_resp_libmariadb, n);
	struct proto_handshake_response r;

	ck_assert_int_eq(proto_parse_handshake_response(d, n, &r), 0);
	ck_assert(r.caps == (0x1cull << 32 | 0x00bfa28c));
	ck_assert(r.caps & MARIADB_CAP_EXTENDED_METADATA);
	ck_assert_uint_eq(r.max_packet, 16u << 20);
	ck_assert_uint_eq(r.charset, 33);
	ck_assert_uint_eq(r.user_len, 3);
	ck_assert_mem_eq(r.user, "app", 3);
	ck_assert_uint_eq(r.auth_len, 20);
	ck_assert_mem_eq(r.auth, golden_resp_libmariadb + 32 + 4 + 1, 20);
	ck_assert_uint_eq(r.db_len, 4);
	ck_assert_mem_eq(r.db, "test", 4);
	ck_assert_uint_eq(r.plugin_len, 21);
	ck_assert_mem_eq(r.plugin, "mysql_native_password", 21);
	ck_assert_uint_eq(r.attrs_len, 47);
	ck_assert_mem_eq(r.attrs, "\x0c_client_name", 13);
	ck_assert_ptr_eq(r.attrs + r.attrs_len, d + n);
	free(d);

	/* Prefixes: the ones that end right after auth (no db), after db, after the plugin. */
	ck_assert_int_eq(resp_prefixes(golden_resp_libmariadb, n), 3);
}
END_TEST

/* PyMySQL 1.0.2: caps 0x003aa205, bit0 set, no database. */
static const uint8_t golden_resp_pymysql[] =
	"\x05\xa2\x3a\x00"                      /* caps 0x003aa205: LONG_PASSWORD LONG_FLAG PROTOCOL_41
						   TRANSACTIONS SECURE_CONNECTION MULTI_RESULTS
						   PLUGIN_AUTH CONNECT_ATTRS LENENC_DATA */
	"\x00\x00\x00\x01"                      /* max packet 16 MiB */
	"\x2d"                                  /* charset 45 utf8mb4_general_ci */
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00"  /* 19 filler */
	"\xff\xff\xff\xff"                      /* junk where MariaDB keeps ext caps: ignored (bit0) */
	"app" "\0"                              /* user */
	"\x14"                                  /* auth: lenenc 20 */
	"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"
	"\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14"
	"mysql_native_password" "\0"            /* plugin (no db: CONNECT_WITH_DB clear) */
	"\x1f"                                  /* attrs: lenenc 31 */
	"\x0c" "_client_name" "\x07" "pymysql"
	"\x04" "_pid" "\x04" "4242";

START_TEST(response_pymysql)
{
	size_t n = LIT_LEN(golden_resp_pymysql);
	uint8_t *d = dup_exact(golden_resp_pymysql, n);
	struct proto_handshake_response r;

	ck_assert_int_eq(proto_parse_handshake_response(d, n, &r), 0);
	ck_assert(r.caps == 0x003aa205); /* high bits stay clear */
	ck_assert_uint_eq(r.charset, 45);
	ck_assert_mem_eq(r.user, "app", 3);
	ck_assert_uint_eq(r.auth_len, 20);
	ck_assert_uint_eq(r.auth[0], 0x01);
	ck_assert_uint_eq(r.auth[19], 0x14);
	ck_assert_ptr_null(r.db);
	ck_assert_uint_eq(r.db_len, 0);
	ck_assert_uint_eq(r.plugin_len, 21);
	ck_assert_uint_eq(r.attrs_len, 31);
	ck_assert_ptr_eq(r.attrs + r.attrs_len, d + n);
	free(d);
	/* After auth (no plugin), after the plugin (no attrs). */
	ck_assert_int_eq(resp_prefixes(golden_resp_pymysql, n), 2);
}
END_TEST

/* node mysql2 3.24: caps 0x08baf3cf, sends an empty database "". */
static const uint8_t golden_resp_mysql2[] =
	"\xcf\xf3\xba\x08"                      /* caps 0x08baf3cf: + FOUND_ROWS CONNECT_WITH_DB ODBC
						   LOCAL_FILES IGNORE_SPACE ... QUERY_ATTRIBUTES (bit 27) */
	"\x00\x00\x00\x00"                      /* max packet 0 */
	"\xe0"                                  /* charset 224 utf8mb4_unicode_ci */
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00"  /* 19 filler */
	"\x00\x00\x00\x00"                      /* ext caps area, ignored */
	"u" "\0"                                /* user "u" */
	"\x00"                                  /* auth: lenenc 0 (empty password) */
	"" "\0"                                 /* db "" */
	"mysql_native_password" "\0"            /* plugin */
	"\x00";                                 /* attrs: empty block */

START_TEST(response_mysql2_empty_db)
{
	size_t n = LIT_LEN(golden_resp_mysql2);
	uint8_t *d = dup_exact(golden_resp_mysql2, n);
	struct proto_handshake_response r;

	ck_assert_int_eq(proto_parse_handshake_response(d, n, &r), 0);
	ck_assert(r.caps == 0x08baf3cf);
	ck_assert(r.caps & CAP_QUERY_ATTRIBUTES);
	ck_assert_uint_eq(r.charset, 224);
	ck_assert_uint_eq(r.user_len, 1);
	ck_assert_uint_eq(r.auth_len, 0);
	ck_assert_ptr_nonnull(r.auth);
	ck_assert_ptr_nonnull(r.db); /* "" is a database name, not "no database" */
	ck_assert_uint_eq(r.db_len, 0);
	ck_assert_uint_eq(r.plugin_len, 21);
	ck_assert_ptr_nonnull(r.attrs); /* an empty attrs block is not an absent one */
	ck_assert_uint_eq(r.attrs_len, 0);
	free(d);
	ck_assert_int_eq(resp_prefixes(golden_resp_mysql2, n), 3);
}
END_TEST

/* Older auth encodings: u8 length (SECURE_CONNECTION only) and NUL-terminated (neither). */
START_TEST(response_auth_encodings)
{
	static const uint8_t secure[] =
		"\x00\x82\x00\x00"              /* caps 0x8200: PROTOCOL_41 SECURE_CONNECTION */
		"\x00\x00\x00\x01" "\x08"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00"
		"bob" "\0"
		"\x03" "\xfb\xfc\xfd";          /* u8 length 3: no lenenc meaning for 0xfb.. here */
	static const uint8_t plain[] =
		"\x08\x02\x00\x00"              /* caps 0x0208: CONNECT_WITH_DB PROTOCOL_41 */
		"\x00\x00\x00\x01" "\x08"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00"
		"bob" "\0"
		"tok" "\0"                      /* NUL-terminated auth */
		"db1" "\0";
	struct proto_handshake_response r;

	ck_assert_int_eq(proto_parse_handshake_response(secure, LIT_LEN(secure), &r), 0);
	ck_assert_uint_eq(r.auth_len, 3);
	ck_assert_mem_eq(r.auth, "\xfb\xfc\xfd", 3);
	ck_assert_ptr_null(r.db);
	ck_assert_ptr_null(r.plugin);
	ck_assert_ptr_null(r.attrs);
	resp_prefixes(secure, LIT_LEN(secure));

	ck_assert_int_eq(proto_parse_handshake_response(plain, LIT_LEN(plain), &r), 0);
	ck_assert_uint_eq(r.auth_len, 3);
	ck_assert_mem_eq(r.auth, "tok", 3);
	ck_assert_uint_eq(r.db_len, 3);
	ck_assert_mem_eq(r.db, "db1", 3);
	resp_prefixes(plain, LIT_LEN(plain));
}
END_TEST

START_TEST(response_ssl_and_rejects)
{
	static const uint8_t ssl[] =
		"\x8c\xaa\xbf\x00"              /* caps 0x00bfaa8c: as libmariadb, plus SSL (0x800) */
		"\x00\x00\x00\x01" "\x21"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00";
	static const uint8_t pre41[] =
		"\x8c\xa0\xbf\x00"              /* caps without PROTOCOL_41 (0x200) */
		"\x00\x00\x00\x01" "\x21"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00"
		"app" "\0" "\x00";
	static const uint8_t no_user_nul[] =
		"\x00\x82\x00\x00" "\x00\x00\x00\x01" "\x21"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00"
		"app";                          /* user without NUL */
	static const uint8_t auth_past_end[] =
		"\x00\x82\x28\x00"              /* PROTOCOL_41 SECURE_CONNECTION PLUGIN_AUTH LENENC_DATA */
		"\x00\x00\x00\x01" "\x21"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00"
		"app" "\0"
		"\xfe\xff\xff\xff\xff\xff\xff\xff\x7f" /* auth length 2^63-1 */
		"xx";
	static const uint8_t attrs_past_end[] =
		"\x00\x82\x18\x00"              /* PROTOCOL_41 SECURE_CONNECTION PLUGIN_AUTH CONNECT_ATTRS */
		"\x00\x00\x00\x01" "\x21"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00"
		"app" "\0" "\x00" "p" "\0"
		"\xfc\x00\x01" "ab";            /* attrs length 256, 2 bytes present */
	static const uint8_t db_no_nul[] =
		"\x08\x82\x00\x00"              /* CONNECT_WITH_DB PROTOCOL_41 SECURE_CONNECTION */
		"\x00\x00\x00\x01" "\x21"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00"
		"app" "\0" "\x00" "tes";        /* db present but unterminated */
	struct proto_handshake_response r;

	ck_assert_int_eq(proto_parse_handshake_response(ssl, 32, &r), -2);
	ck_assert_int_eq(proto_parse_handshake_response(ssl, 31, &r), -1);
	ck_assert_int_eq(proto_parse_handshake_response(pre41, LIT_LEN(pre41), &r), -1);
	ck_assert_int_eq(proto_parse_handshake_response(no_user_nul, LIT_LEN(no_user_nul), &r), -1);
	ck_assert_int_eq(proto_parse_handshake_response(auth_past_end, LIT_LEN(auth_past_end), &r), -1);
	ck_assert_int_eq(proto_parse_handshake_response(attrs_past_end, LIT_LEN(attrs_past_end), &r), -1);
	ck_assert_int_eq(proto_parse_handshake_response(db_no_nul, LIT_LEN(db_no_nul), &r), -1);
	ck_assert_ptr_null(r.user); /* zeroed on failure */
	ck_assert_int_eq(proto_parse_handshake_response(NULL, 0, &r), -1);
	resp_prefixes(auth_past_end, LIT_LEN(auth_past_end));
	resp_prefixes(attrs_past_end, LIT_LEN(attrs_past_end));
}
END_TEST

/* Regression (fuzz_handshake, corpus file regress-pre41-caps-kept): a response without
 * PROTOCOL_41 returned -1 with caps, max_packet and charset still filled in, although a failed
 * parse zeroes its result. */
START_TEST(response_pre41_zeroed)
{
	static const uint8_t pre41[] =
		"\x8c\xa0\xbf\x00"              /* caps 0x00bfa08c: no PROTOCOL_41 (0x200) */
		"\x00\x00\x00\x01" "\x21"      /* max packet 16 MiB, charset 33 */
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00"
		"app" "\0" "\x00";
	struct proto_handshake_response r;
	uint8_t *d = dup_exact(pre41, LIT_LEN(pre41));

	memset(&r, 0xa5, sizeof(r));
	ck_assert_int_eq(proto_parse_handshake_response(d, LIT_LEN(pre41), &r), -1);
	ck_assert(r.caps == 0);
	ck_assert_uint_eq(r.max_packet, 0);
	ck_assert_uint_eq(r.charset, 0);
	ck_assert_ptr_null(r.user);
	free(d);
}
END_TEST

/* ---- COM_CHANGE_USER ---- */

static const uint8_t golden_change_user[] =
	"\x11"                                  /* COM_CHANGE_USER */
	"app2" "\0"                             /* user */
	"\x14"                                  /* auth: u8 length 20 */
	"ABCDEFGHIJKLMNOPQRST"
	"shop" "\0"                             /* db */
	"\x2d\x00"                              /* charset 45 */
	"mysql_native_password" "\0"            /* plugin */
	"\x13"                                  /* attrs: lenenc 19 */
	"\x0c" "_client_name" "\x05" "mysql";
#define CU_CAPS (CAP_PROTOCOL_41 | CAP_SECURE_CONNECTION | CAP_PLUGIN_AUTH | CAP_CONNECT_ATTRS)

START_TEST(change_user_golden)
{
	size_t n = LIT_LEN(golden_change_user);
	uint8_t *d = dup_exact(golden_change_user, n);
	struct proto_change_user cu;

	ck_assert_int_eq(proto_parse_change_user(d, n, CU_CAPS, &cu), 0);
	ck_assert_uint_eq(cu.user_len, 4);
	ck_assert_mem_eq(cu.user, "app2", 4);
	ck_assert_uint_eq(cu.auth_len, 20);
	ck_assert_mem_eq(cu.auth, "ABCDEFGHIJKLMNOPQRST", 20);
	ck_assert_uint_eq(cu.db_len, 4);
	ck_assert_mem_eq(cu.db, "shop", 4);
	ck_assert(cu.has_charset);
	ck_assert_uint_eq(cu.charset, 45);
	ck_assert_uint_eq(cu.plugin_len, 21);
	ck_assert_uint_eq(cu.attrs_len, 19);
	ck_assert_ptr_eq(cu.attrs + cu.attrs_len, d + n);
	free(d);

	/* Without PLUGIN_AUTH / CONNECT_ATTRS the tail is not interpreted. */
	ck_assert_int_eq(proto_parse_change_user(golden_change_user, n, CAP_SECURE_CONNECTION, &cu), 0);
	ck_assert(cu.has_charset);
	ck_assert_ptr_null(cu.plugin);
	ck_assert_ptr_null(cu.attrs);

	for (size_t k = 0; k < n; k++) {
		d = dup_exact(golden_change_user, k);
		int rc = proto_parse_change_user(d, k, CU_CAPS, &cu);
		ck_assert(rc == 0 || rc == -1);
		if (rc == 0) {
			ASSERT_INSIDE(d, k, cu.user, cu.user_len);
			ASSERT_INSIDE(d, k, cu.auth, cu.auth_len);
			ASSERT_INSIDE(d, k, cu.db, cu.db_len);
			ASSERT_INSIDE(d, k, cu.plugin, cu.plugin_len);
			ASSERT_INSIDE(d, k, cu.attrs, cu.attrs_len);
		}
		free(d);
	}
}
END_TEST

START_TEST(change_user_minimal_and_bad)
{
	static const uint8_t minimal[] =
		"\x11" "u" "\0"
		"\x00"                          /* empty auth */
		"" "\0";                        /* empty db; nothing else: no charset */
	static const uint8_t odd_tail[] =
		"\x11" "u" "\0" "\x00" "" "\0"
		"\x21";                         /* one byte where a u16 charset belongs */
	static const uint8_t plain_auth[] =
		"\x11" "u" "\0"
		"pw" "\0"                       /* NUL-terminated auth (no SECURE_CONNECTION) */
		"d" "\0";
	struct proto_change_user cu;

	ck_assert_int_eq(proto_parse_change_user(minimal, LIT_LEN(minimal), CU_CAPS, &cu), 0);
	ck_assert_uint_eq(cu.auth_len, 0);
	ck_assert_ptr_nonnull(cu.db);
	ck_assert_uint_eq(cu.db_len, 0);
	ck_assert(!cu.has_charset);
	ck_assert_ptr_null(cu.plugin);
	ck_assert_int_eq(proto_parse_change_user(odd_tail, LIT_LEN(odd_tail), CU_CAPS, &cu), -1);
	ck_assert_int_eq(proto_parse_change_user(plain_auth, LIT_LEN(plain_auth), 0, &cu), 0);
	ck_assert_mem_eq(cu.auth, "pw", 2);
	ck_assert_mem_eq(cu.db, "d", 1);
	/* Not a COM_CHANGE_USER. */
	ck_assert_int_eq(proto_parse_change_user((const uint8_t *)"\x03" "u\0\0\0", 5, CU_CAPS, &cu), -1);
	ck_assert_int_eq(proto_parse_change_user(NULL, 0, CU_CAPS, &cu), -1);
}
END_TEST

/* ======================================================================================== */
/* OK / ERR / EOF                                                                            */
/* ======================================================================================== */

/* UPDATE on a client without SESSION_TRACK: the info string, length-encoded as MariaDB sends
 * it (the protocol docs say string<EOF>; libmariadb reads a length, so mypool writes one). */
static const uint8_t golden_ok_plain[] =
	"\x00"                                  /* OK */
	"\x01"                                  /* affected rows 1 */
	"\x00"                                  /* insert id 0 */
	"\x22\x00"                              /* status AUTOCOMMIT|NO_INDEX (0x22) */
	"\x00\x00"                              /* warnings 0 */
	"\x28"                                  /* info: 40 bytes */
	"Rows matched: 1  Changed: 1  Warnings: 0";

/* SET autocommit=0 etc. with SESSION_TRACK: lenenc info "" then the state block. */
static const uint8_t golden_session_block[] =
	"\x00" "\x0f"                           /* SYSTEM_VARIABLES, entry length 15 */
	"\x0a" "autocommit" "\x03" "OFF"        /*   autocommit = OFF */
	"\x01" "\x05"                           /* SCHEMA, entry length 5 */
	"\x04" "test"                           /*   test */
	"\x02" "\x02"                           /* STATE_CHANGE, entry length 2 */
	"\x01" "1"                              /*   "1" (MySQL's length-encoded form) */
	"\x05" "\x09"                           /* TRANSACTION_STATE, entry length 9 */
	"\x08" "T___W___";                      /*   T___W___ */
static const uint8_t golden_ok_tracked[] =
	"\x00"                                  /* OK */
	"\xfc\x2c\x01"                          /* affected rows 300 */
	"\x07"                                  /* insert id 7 */
	"\x03\x40"                              /* status IN_TRANS|AUTOCOMMIT|SESSION_STATE_CHANGED */
	"\x01\x00"                              /* warnings 1 */
	"\x00"                                  /* info "" */
	"\x27"                                  /* session state block: 39 bytes */
	"\x00" "\x0f" "\x0a" "autocommit" "\x03" "OFF"
	"\x01" "\x05" "\x04" "test"
	"\x02" "\x02" "\x01" "1"
	"\x05" "\x09" "\x08" "T___W___";

START_TEST(ok_plain)
{
	size_t n = LIT_LEN(golden_ok_plain);
	struct proto_ok ok;

	ck_assert_int_eq(proto_parse_ok(golden_ok_plain, n, CAP_PROTOCOL_41, &ok), 0);
	ck_assert(ok.affected_rows == 1);
	ck_assert(ok.insert_id == 0);
	ck_assert_uint_eq(ok.status, 0x22);
	ck_assert_uint_eq(ok.warnings, 0);
	ck_assert_uint_eq(ok.info_len, 40);
	ck_assert_mem_eq(ok.info, "Rows matched: 1", 15);
	ck_assert_ptr_null(ok.session);
	ck_assert(!ok.is_eof_header);

	/* Write it back for the same client: byte-identical. */
	struct buf b;
	buf_init(&b, 0);
	proto_write_ok(&b, 1, CAP_PROTOCOL_41, &ok);
	expect_packet(&b, 1, golden_ok_plain, n);
	buf_free(&b);
}
END_TEST

START_TEST(ok_session_track_minimal)
{
	/* Connector/C asks for SESSION_TRACK, and MariaDB then still may end the OK after the
	 * warnings: the info string is absent, which means empty. */
	static const uint8_t p[] = "\x00\x00\x00\x02\x00\x00\x00";
	struct proto_ok ok;

	ck_assert_int_eq(proto_parse_ok(p, LIT_LEN(p), CAP_SESSION_TRACK, &ok), 0);
	ck_assert_uint_eq(ok.status, STATUS_AUTOCOMMIT);
	ck_assert_uint_eq(ok.info_len, 0);
	ck_assert_ptr_null(ok.session);

	/* SESSION_STATE_CHANGED set, but the packet ends after info: no block. */
	static const uint8_t q[] = "\x00\x00\x00\x02\x40\x00\x00\x00";
	ck_assert_int_eq(proto_parse_ok(q, LIT_LEN(q), CAP_SESSION_TRACK, &ok), 0);
	ck_assert_ptr_null(ok.session);

	/* Writing with SESSION_TRACK always writes the (empty) lenenc info. */
	struct buf b;
	struct proto_ok w = { .status = STATUS_AUTOCOMMIT };
	buf_init(&b, 0);
	proto_write_ok(&b, 2, CAP_SESSION_TRACK, &w);
	expect_packet(&b, 2, "\x00\x00\x00\x02\x00\x00\x00\x00", 8);
	buf_reset(&b);
	/* ...and without it, nothing after the warnings. */
	proto_write_ok(&b, 2, 0, &w);
	expect_packet(&b, 2, "\x00\x00\x00\x02\x00\x00\x00", 7);
	buf_free(&b);
}
END_TEST

START_TEST(ok_session_track_block)
{
	size_t n = LIT_LEN(golden_ok_tracked);
	uint8_t *d = dup_exact(golden_ok_tracked, n);
	struct proto_ok ok;
	struct proto_track_iter it;
	struct proto_track_item item;

	ck_assert_int_eq(proto_parse_ok(d, n, CAP_PROTOCOL_41 | CAP_SESSION_TRACK, &ok), 0);
	ck_assert(ok.affected_rows == 300);
	ck_assert(ok.insert_id == 7);
	ck_assert_uint_eq(ok.status, STATUS_IN_TRANS | STATUS_AUTOCOMMIT | STATUS_SESSION_STATE_CHANGED);
	ck_assert_uint_eq(ok.warnings, 1);
	ck_assert_uint_eq(ok.info_len, 0);
	ck_assert_uint_eq(ok.session_len, 39);
	ck_assert_mem_eq(ok.session, golden_session_block, 39);

	proto_track_begin(&it, ok.session, ok.session_len);
	ck_assert_int_eq(proto_track_next(&it, &item), 1);
	ck_assert_uint_eq(item.type, TRACK_SYSTEM_VARIABLES);
	ck_assert_uint_eq(item.name_len, 10);
	ck_assert_mem_eq(item.name, "autocommit", 10);
	ck_assert_uint_eq(item.value_len, 3);
	ck_assert_mem_eq(item.value, "OFF", 3);
	ck_assert_int_eq(proto_track_next(&it, &item), 1);
	ck_assert_uint_eq(item.type, TRACK_SCHEMA);
	ck_assert_uint_eq(item.name_len, 4);
	ck_assert_mem_eq(item.name, "test", 4);
	ck_assert_ptr_null(item.value);
	ck_assert_int_eq(proto_track_next(&it, &item), 1);
	ck_assert_uint_eq(item.type, TRACK_STATE_CHANGE);
	ck_assert_uint_eq(item.name_len, 1);
	ck_assert_uint_eq(item.name[0], '1');
	ck_assert_int_eq(proto_track_next(&it, &item), 1);
	ck_assert_uint_eq(item.type, TRACK_TRANSACTION_STATE);
	ck_assert_uint_eq(item.name_len, 8);
	ck_assert_mem_eq(item.name, "T___W___", 8);
	ck_assert_int_eq(proto_track_next(&it, &item), 0);
	ck_assert_int_eq(proto_track_next(&it, &item), 0); /* end stays end */

	/* Round trip: the parsed struct writes the same bytes. */
	struct buf b;
	buf_init(&b, 0);
	proto_write_ok(&b, 1, CAP_SESSION_TRACK, &ok);
	expect_packet(&b, 1, golden_ok_tracked, n);
	buf_reset(&b);
	/* For a client without SESSION_TRACK the block is dropped and info is string<EOF>. */
	proto_write_ok(&b, 1, 0, &ok);
	expect_packet(&b, 1, "\x00\xfc\x2c\x01\x07\x03\x40\x01\x00", 9);
	buf_free(&b);
	free(d);
}
END_TEST

/* MariaDB 10.11 writes the state-change item as the bare byte '1' (seen on the wire after
 * CALL of a procedure that sets a user variable): 02 01 31. */
START_TEST(track_state_change_bare)
{
	static const uint8_t block[] = "\x02\x01" "1" "\x01\x05\x04test";
	struct proto_track_iter it;
	struct proto_track_item item;
	proto_track_begin(&it, block, LIT_LEN(block));
	ck_assert_int_eq(proto_track_next(&it, &item), 1);
	ck_assert_uint_eq(item.type, TRACK_STATE_CHANGE);
	ck_assert_uint_eq(item.name_len, 1);
	ck_assert_uint_eq(item.name[0], '1');
	ck_assert_int_eq(proto_track_next(&it, &item), 1);
	ck_assert_uint_eq(item.type, TRACK_SCHEMA);
	ck_assert_mem_eq(item.name, "test", 4);
	ck_assert_int_eq(proto_track_next(&it, &item), 0);
}
END_TEST

START_TEST(ok_round_trip)
{
	static const uint8_t session[] = "\x01\x05\x04mydb";
	const struct proto_ok cases[] = {
		{ .affected_rows = 0, .insert_id = 0, .status = 2 },
		{ .affected_rows = 250, .insert_id = 251, .status = 0x0003, .warnings = 0xffff,
		  .info = (const uint8_t *)"hello", .info_len = 5 },
		{ .affected_rows = 65536, .insert_id = 16777216, .status = 0x4002,
		  .info = (const uint8_t *)"", .info_len = 0,
		  .session = session, .session_len = LIT_LEN(session) },
		{ .affected_rows = UINT64_MAX, .insert_id = 1ull << 40, .status = 0x000a,
		  .is_eof_header = true },
	};
	const uint64_t capsets[] = { CAP_PROTOCOL_41, CAP_PROTOCOL_41 | CAP_SESSION_TRACK };

	for (size_t c = 0; c < sizeof(capsets) / sizeof(capsets[0]); c++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct buf b;
			struct proto_ok ok;

			buf_init(&b, 0);
			proto_write_ok(&b, 9, capsets[c], &cases[i]);
			ck_assert(!b.failed);
			ck_assert_uint_eq(proto_hdr_seq(buf_head(&b)), 9);
			ck_assert_uint_eq(proto_hdr_len(buf_head(&b)), buf_avail(&b) - 4);
			ck_assert_int_eq(proto_parse_ok(buf_head(&b) + 4, buf_avail(&b) - 4, capsets[c], &ok), 0);
			ck_assert(ok.affected_rows == cases[i].affected_rows);
			ck_assert(ok.insert_id == cases[i].insert_id);
			ck_assert_uint_eq(ok.status, cases[i].status);
			ck_assert_uint_eq(ok.warnings, cases[i].warnings);
			ck_assert_uint_eq(ok.info_len, cases[i].info_len);
			if (ok.info_len)
				ck_assert_mem_eq(ok.info, cases[i].info, ok.info_len);
			ck_assert(ok.is_eof_header == cases[i].is_eof_header);
			if (cases[i].session && (capsets[c] & CAP_SESSION_TRACK)) {
				ck_assert_uint_eq(ok.session_len, cases[i].session_len);
				ck_assert_mem_eq(ok.session, cases[i].session, ok.session_len);
			} else {
				ck_assert_ptr_null(ok.session);
			}
			buf_free(&b);
		}
	}
}
END_TEST

START_TEST(ok_hostile)
{
	static const uint8_t bad_header[] = "\x01\x00\x00\x02\x00\x00\x00";
	static const uint8_t null_affected[] = "\x00\xfb\x00\x02\x00\x00\x00";
	static const uint8_t info_past_end[] = "\x00\x00\x00\x02\x00\x00\x00" "\x05" "abc";
	static const uint8_t block_past_end[] = "\x00\x00\x00\x02\x40\x00\x00" "\x00" "\xfd\x00\x00\x01" "x";
	static const uint8_t huge_affected[] = "\x00\xfe\x01\x02\x03";
	struct proto_ok ok;

	ck_assert_int_eq(proto_parse_ok(bad_header, LIT_LEN(bad_header), 0, &ok), -1);
	ck_assert_int_eq(proto_parse_ok(null_affected, LIT_LEN(null_affected), 0, &ok), -1);
	ck_assert_int_eq(proto_parse_ok(info_past_end, LIT_LEN(info_past_end), CAP_SESSION_TRACK, &ok), -1);
	/* The same bytes without SESSION_TRACK are a fine string<EOF> info. */
	ck_assert_int_eq(proto_parse_ok(info_past_end, LIT_LEN(info_past_end), 0, &ok), 0);
	ck_assert_uint_eq(ok.info_len, 4);
	ck_assert_int_eq(proto_parse_ok(block_past_end, LIT_LEN(block_past_end), CAP_SESSION_TRACK, &ok), -1);
	ck_assert_int_eq(proto_parse_ok(huge_affected, LIT_LEN(huge_affected), 0, &ok), -1);
	ck_assert_int_eq(proto_parse_ok(NULL, 0, 0, &ok), -1);

	/* Every strict prefix of the tracked OK: shorter than 7 bytes fails; otherwise either a
	 * failure or a result that stays inside the input. */
	size_t n = LIT_LEN(golden_ok_tracked);
	for (size_t k = 0; k < n; k++) {
		uint8_t *d = dup_exact(golden_ok_tracked, k);
		int rc = proto_parse_ok(d, k, CAP_SESSION_TRACK, &ok);
		if (k < 9) /* header + 3-byte lenenc + 1 + 2 + 2 */
			ck_assert_int_eq(rc, -1);
		ck_assert(rc == 0 || rc == -1);
		if (rc == 0) {
			ASSERT_INSIDE(d, k, ok.info, ok.info_len);
			ASSERT_INSIDE(d, k, ok.session, ok.session_len);
		}
		free(d);
		d = dup_exact(golden_ok_tracked, k);
		rc = proto_parse_ok(d, k, 0, &ok);
		ck_assert(rc == 0 || rc == -1);
		if (rc == 0)
			ASSERT_INSIDE(d, k, ok.info, ok.info_len);
		free(d);
	}
}
END_TEST

/* ---- session tracker items ---- */

START_TEST(track_other_types)
{
	static const uint8_t block[] =
		"\x04" "\x30"                   /* TRANSACTION_CHARACTERISTICS, entry length 48 */
		"\x2f" "SET TRANSACTION ISOLATION LEVEL READ COMMITTED;"
		"\x03" "\x0a"                   /* GTIDS, entry length 10 */
		"\x00"                          /*   encoding spec 0 */
		"\x08" "3E11FA47"               /*   gtid text */
		"\x7f" "\x03" "abc"             /* unknown type 0x7f: raw entry */
		"\x00" "\x06"                   /* SYSTEM_VARIABLES with an empty value */
		"\x04" "x_yz" "\x00";
	struct proto_track_iter it;
	struct proto_track_item item;
	size_t n = LIT_LEN(block);
	uint8_t *d = dup_exact(block, n);

	proto_track_begin(&it, d, n);
	ck_assert_int_eq(proto_track_next(&it, &item), 1);
	ck_assert_uint_eq(item.type, TRACK_TRANSACTION_CHARACTERISTICS);
	ck_assert_uint_eq(item.name_len, 47);
	ck_assert_mem_eq(item.name, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED;", 47);
	ck_assert_int_eq(proto_track_next(&it, &item), 1);
	ck_assert_uint_eq(item.type, TRACK_GTIDS);
	ck_assert_uint_eq(item.name_len, 8);
	ck_assert_mem_eq(item.name, "3E11FA47", 8);
	ck_assert_int_eq(proto_track_next(&it, &item), 1);
	ck_assert_uint_eq(item.type, 0x7f);
	ck_assert_uint_eq(item.name_len, 3);
	ck_assert_mem_eq(item.name, "abc", 3);
	ck_assert_ptr_null(item.value);
	ck_assert_int_eq(proto_track_next(&it, &item), 1);
	ck_assert_uint_eq(item.type, TRACK_SYSTEM_VARIABLES);
	ck_assert_mem_eq(item.name, "x_yz", 4);
	ck_assert_ptr_nonnull(item.value);
	ck_assert_uint_eq(item.value_len, 0);
	ck_assert_int_eq(proto_track_next(&it, &item), 0);
	free(d);

	/* An empty block has no items. */
	proto_track_begin(&it, NULL, 0);
	ck_assert_int_eq(proto_track_next(&it, &item), 0);
}
END_TEST

START_TEST(track_hostile)
{
	static const uint8_t entry_past_end[] = "\x01" "\x09" "\x04" "test";
	static const uint8_t inner_past_end[] = "\x01" "\x05" "\x09" "test"; /* schema len 9 in 5 */
	static const uint8_t sysvar_no_value[] = "\x00" "\x05" "\x04" "abcd";
	static const uint8_t type_only[] = "\x02";
	const struct { const uint8_t *p; size_t n; } bad[] = {
		{ entry_past_end, LIT_LEN(entry_past_end) },
		{ inner_past_end, LIT_LEN(inner_past_end) },
		{ sysvar_no_value, LIT_LEN(sysvar_no_value) },
		{ type_only, LIT_LEN(type_only) },
	};
	struct proto_track_iter it;
	struct proto_track_item item;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *d = dup_exact(bad[i].p, bad[i].n);
		proto_track_begin(&it, d, bad[i].n);
		ck_assert_int_eq(proto_track_next(&it, &item), -1);
		ck_assert_int_eq(proto_track_next(&it, &item), -1); /* sticky */
		free(d);
	}

	/* Every prefix of a good block: some items, then 0 (prefix ends on an item boundary) or -1,
	 * never an item outside the input. */
	size_t n = LIT_LEN(golden_session_block);
	for (size_t k = 0; k <= n; k++) {
		uint8_t *d = dup_exact(golden_session_block, k);
		int rc, items = 0;

		proto_track_begin(&it, d, k);
		while ((rc = proto_track_next(&it, &item)) == 1) {
			ASSERT_INSIDE(d, k, item.name, item.name_len);
			ASSERT_INSIDE(d, k, item.value, item.value_len);
			items++;
		}
		ck_assert(rc == 0 || rc == -1);
		if (k == 0 || k == 17 || k == 24 || k == 28 || k == n)
			ck_assert_int_eq(rc, 0);
		else
			ck_assert_int_eq(rc, -1);
		if (k == n)
			ck_assert_int_eq(items, 4);
		free(d);
	}
}
END_TEST

/* ---- ERR ---- */

static const uint8_t golden_err[] =
	"\xff"                                  /* ERR */
	"\x7a\x04"                              /* code 1146 ER_NO_SUCH_TABLE */
	"#" "42S02"                             /* sqlstate */
	"Table 'test.nope' doesn't exist";      /* message */

START_TEST(err_golden)
{
	size_t n = LIT_LEN(golden_err);
	struct proto_err e;

	ck_assert_int_eq(proto_parse_err(golden_err, n, &e), 0);
	ck_assert_uint_eq(e.code, 1146);
	ck_assert_str_eq(e.sqlstate, "42S02");
	ck_assert_uint_eq(e.msg_len, 31);
	ck_assert_mem_eq(e.msg, "Table 'test.nope' doesn't exist", 31);

	struct buf b;
	buf_init(&b, 0);
	proto_write_err(&b, 1, 1146, "42S02", "Table 'test.nope' doesn't exist");
	expect_packet(&b, 1, golden_err, n);
	buf_reset(&b);
	proto_write_errf(&b, 1, 1146, "42S02", "Table '%s.%s' doesn't exist", "test", "nope");
	expect_packet(&b, 1, golden_err, n);
	buf_free(&b);

	for (size_t k = 0; k < n; k++) {
		uint8_t *d = dup_exact(golden_err, k);
		int rc = proto_parse_err(d, k, &e);
		if (k < 3 || (k > 3 && k < 9)) /* no code, or '#' with a short sqlstate */
			ck_assert_int_eq(rc, -1);
		else
			ck_assert_int_eq(rc, 0);
		if (rc == 0)
			ASSERT_INSIDE(d, k, e.msg, e.msg_len);
		free(d);
	}
}
END_TEST

START_TEST(err_without_sqlstate)
{
	/* Pre-4.1 style (and some handshake-time errors): no '#'. */
	static const uint8_t p[] = "\xff" "\x15\x04" "Access denied";
	struct proto_err e;

	ck_assert_int_eq(proto_parse_err(p, LIT_LEN(p), &e), 0);
	ck_assert_uint_eq(e.code, 1045);
	ck_assert_str_eq(e.sqlstate, "HY000");
	ck_assert_uint_eq(e.msg_len, 13);
	ck_assert_mem_eq(e.msg, "Access denied", 13);

	/* Just the code. */
	ck_assert_int_eq(proto_parse_err((const uint8_t *)"\xff\x15\x04", 3, &e), 0);
	ck_assert_str_eq(e.sqlstate, "HY000");
	ck_assert_uint_eq(e.msg_len, 0);
	/* Not an ERR. */
	ck_assert_int_eq(proto_parse_err((const uint8_t *)"\x00\x15\x04", 3, &e), -1);
	ck_assert_int_eq(proto_parse_err(NULL, 0, &e), -1);
}
END_TEST

START_TEST(err_progress_report)
{
	static const uint8_t p[] =
		"\xff"                          /* ERR header... */
		"\xff\xff"                      /* ...code 0xFFFF: MariaDB progress report */
		"\x01"                          /* number of strings */
		"\x01" "\x02"                   /* stage 1 of 2 */
		"\x50\xc3\x00"                  /* 50000 = 50.000% */
		"\x0b" "copy to tmp";           /* proc info */
	struct proto_err e;

	ck_assert_int_eq(proto_parse_err(p, LIT_LEN(p), &e), 1);
	ck_assert_uint_eq(e.code, 0xffff);
	ck_assert_uint_eq(e.msg_len, LIT_LEN(p) - 3);
	ck_assert_uint_eq(e.msg[0], 0x01);
}
END_TEST

START_TEST(err_write_defaults_and_cap)
{
	struct buf b;
	char longmsg[2000];

	buf_init(&b, 0);
	/* NULL or malformed sqlstate -> HY000; NULL message -> empty. */
	proto_write_err(&b, 3, 1105, NULL, NULL);
	expect_packet(&b, 3, "\xff\x51\x04#HY000", 9);
	buf_reset(&b);
	proto_write_err(&b, 3, 1105, "42", "x");
	expect_packet(&b, 3, "\xff\x51\x04#HY000x", 10);
	buf_reset(&b);
	proto_write_err(&b, 3, 1105, "420000", "x");
	expect_packet(&b, 3, "\xff\x51\x04#HY000x", 10);
	buf_reset(&b);

	/* The formatted message is cut at PROTO_ERRMSG_MAX bytes. */
	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	proto_write_errf(&b, 1, 1105, "HY000", "mypool: %s", longmsg);
	ck_assert(!b.failed);
	ck_assert_uint_eq(proto_hdr_len(buf_head(&b)), 9 + PROTO_ERRMSG_MAX);
	struct proto_err e;
	ck_assert_int_eq(proto_parse_err(buf_head(&b) + 4, buf_avail(&b) - 4, &e), 0);
	ck_assert_uint_eq(e.msg_len, PROTO_ERRMSG_MAX);
	ck_assert_mem_eq(e.msg, "mypool: mmm", 11);
	buf_reset(&b);
	proto_write_err(&b, 1, 1105, "HY000", longmsg);
	ck_assert_uint_eq(proto_hdr_len(buf_head(&b)), 9 + PROTO_ERRMSG_MAX);
	buf_free(&b);
}
END_TEST

/* ---- EOF ---- */

START_TEST(eof_golden)
{
	static const uint8_t p[] =
		"\xfe"                          /* EOF */
		"\x01\x00"                      /* warnings 1 */
		"\x22\x00";                     /* status AUTOCOMMIT|NO_INDEX */
	struct proto_eof e;
	struct buf b;

	ck_assert(proto_is_eof(p, 5));
	ck_assert_int_eq(proto_parse_eof(p, 5, &e), 0);
	ck_assert_uint_eq(e.warnings, 1);
	ck_assert_uint_eq(e.status, 0x22);
	buf_init(&b, 0);
	proto_write_eof(&b, 4, 1, 0x22);
	expect_packet(&b, 4, p, 5);
	buf_free(&b);
	for (size_t k = 0; k < 5; k++) {
		uint8_t *d = dup_exact(p, k);
		ck_assert_int_eq(proto_parse_eof(d, k, &e), -1);
		free(d);
	}
	ck_assert_int_eq(proto_parse_eof((const uint8_t *)"\x00\x01\x00\x02\x00", 5, &e), -1);
	/* A 0xFE row of 9+ bytes (a lenenc 8-byte length) is not an EOF. */
	ck_assert(!proto_is_eof((const uint8_t *)"\xfe\x00\x00\x00\x00\x00\x00\x00\x00", 9));
	ck_assert(!proto_is_eof(NULL, 0));
}
END_TEST

/* ---- auth switch / more data ---- */

START_TEST(auth_switch_and_more)
{
	struct buf b;
	static const uint8_t sw[] =
		"\xfe"                                  /* AuthSwitchRequest */
		"caching_sha2_password" "\0"            /* plugin */
		"ABCDEFGHIJKLMNOPQRST" "\0";            /* scramble + NUL */

	buf_init(&b, 0);
	proto_write_auth_switch(&b, 2, "caching_sha2_password", "ABCDEFGHIJKLMNOPQRST", 21);
	expect_packet(&b, 2, sw, LIT_LEN(sw));
	buf_reset(&b);
	proto_write_auth_more(&b, 4, "\x03", 1); /* fast auth success */
	expect_packet(&b, 4, "\x01\x03", 2);
	buf_reset(&b);
	proto_write_auth_more(&b, 4, NULL, 0);
	expect_packet(&b, 4, "\x01", 1);
	buf_free(&b);
}
END_TEST

/* ======================================================================================== */
/* result sets                                                                               */
/* ======================================================================================== */

/* SELECT 1 on MariaDB 10.11 (tech-notes section 3). */
static const uint8_t golden_col_select1[] =
	"\x03" "def"                            /* catalog */
	"\x00"                                  /* schema "" */
	"\x00"                                  /* table "" */
	"\x00"                                  /* org_table "" */
	"\x01" "1"                              /* name "1" */
	"\x00"                                  /* org_name "" */
	"\x0c"                                  /* length of fixed fields */
	"\x3f\x00"                              /* charset 63 binary */
	"\x01\x00\x00\x00"                      /* column length 1 */
	"\x08"                                  /* type LONGLONG */
	"\x81\x00"                              /* flags NOT_NULL|BINARY */
	"\x00"                                  /* decimals 0 */
	"\x00\x00";                             /* filler */

/* The same with MariaDB EXTENDED_METADATA: an empty extended-info string after org_name. */
static const uint8_t golden_col_select1_ext[] =
	"\x03" "def" "\x00" "\x00" "\x00" "\x01" "1" "\x00"
	"\x00"                                  /* extended metadata: lenenc "" */
	"\x0c" "\x3f\x00" "\x01\x00\x00\x00" "\x08" "\x81\x00" "\x00" "\x00\x00";

/* A JSON column with extended metadata, as MariaDB 10.5+ sends it. */
static const uint8_t golden_col_json_ext[] =
	"\x03" "def"                            /* catalog */
	"\x04" "test"                           /* schema */
	"\x01" "t"                              /* table alias */
	"\x01" "t"                              /* table */
	"\x01" "j"                              /* column alias */
	"\x01" "j"                              /* column */
	"\x06"                                  /* extended metadata: 6 bytes */
	"\x00" "\x04" "json"                    /*   key 0 (data type name), length 4, "json" */
	"\x0c"                                  /* fixed fields */
	"\x2d\x00"                              /* charset 45 */
	"\xff\xff\xff\xff"                      /* length 4294967295 (LONGTEXT) */
	"\xfc"                                  /* type BLOB */
	"\x10\x00"                              /* flags BLOB_FLAG */
	"\x00"                                  /* decimals */
	"\x00\x00";                             /* filler */

static void column_round_trip(const uint8_t *golden, size_t n, bool extended, bool field_list)
{
	uint8_t *d = dup_exact(golden, n);
	struct proto_column c;
	struct buf b;

	ck_assert_int_eq(proto_parse_column(d, n, extended, field_list, &c), 0);
	buf_init(&b, 0);
	proto_write_column(&b, 2, &c, extended, field_list);
	expect_packet(&b, 2, golden, n);
	buf_free(&b);
	free(d);
}

START_TEST(column_select1)
{
	size_t n = LIT_LEN(golden_col_select1);
	struct proto_column c;

	ck_assert_int_eq(proto_parse_column(golden_col_select1, n, false, false, &c), 0);
	ck_assert_uint_eq(c.catalog_len, 3);
	ck_assert_mem_eq(c.catalog, "def", 3);
	ck_assert_uint_eq(c.schema_len, 0);
	ck_assert_uint_eq(c.table_len, 0);
	ck_assert_uint_eq(c.org_table_len, 0);
	ck_assert_uint_eq(c.name_len, 1);
	ck_assert_uint_eq(c.name[0], '1');
	ck_assert_uint_eq(c.org_name_len, 0);
	ck_assert_ptr_null(c.ext);
	ck_assert_uint_eq(c.charset, 63);
	ck_assert_uint_eq(c.length, 1);
	ck_assert_uint_eq(c.type, FIELD_TYPE_LONGLONG);
	ck_assert_uint_eq(c.flags, 0x81);
	ck_assert_uint_eq(c.decimals, 0);
	ck_assert_ptr_null(c.default_value);
	column_round_trip(golden_col_select1, n, false, false);

	/* Parsed as if EXTENDED_METADATA were on, the 0x0c would be taken as the ext length and
	 * the packet no longer fits: -1, never a misread. */
	ck_assert_int_eq(proto_parse_column(golden_col_select1, n, true, false, &c), -1);
}
END_TEST

START_TEST(column_extended)
{
	size_t n = LIT_LEN(golden_col_select1_ext);
	struct proto_column c;

	ck_assert_int_eq(proto_parse_column(golden_col_select1_ext, n, true, false, &c), 0);
	ck_assert_ptr_nonnull(c.ext);
	ck_assert_uint_eq(c.ext_len, 0);
	ck_assert_uint_eq(c.type, FIELD_TYPE_LONGLONG);
	ck_assert_uint_eq(c.flags, 0x81);
	column_round_trip(golden_col_select1_ext, n, true, false);

	n = LIT_LEN(golden_col_json_ext);
	ck_assert_int_eq(proto_parse_column(golden_col_json_ext, n, true, false, &c), 0);
	ck_assert_mem_eq(c.schema, "test", 4);
	ck_assert_uint_eq(c.ext_len, 6);
	ck_assert_mem_eq(c.ext, "\x00\x04json", 6);
	ck_assert_uint_eq(c.charset, 45);
	ck_assert_uint_eq(c.length, 0xffffffff);
	ck_assert_uint_eq(c.type, 0xfc);
	column_round_trip(golden_col_json_ext, n, true, false);

	/* The select1 column written for an extended client gets the empty ext string. */
	struct buf b;
	ck_assert_int_eq(proto_parse_column(golden_col_select1, LIT_LEN(golden_col_select1), false, false, &c), 0);
	buf_init(&b, 0);
	proto_write_column(&b, 2, &c, true, false);
	expect_packet(&b, 2, golden_col_select1_ext, LIT_LEN(golden_col_select1_ext));
	buf_free(&b);
}
END_TEST

START_TEST(column_field_list_default)
{
	/* COM_FIELD_LIST reply: a lenenc default value follows the fixed fields. */
	static const uint8_t with_default[] =
		"\x03" "def" "\x04" "test" "\x01" "t" "\x01" "t" "\x01" "n" "\x01" "n"
		"\x0c" "\x3f\x00" "\x0b\x00\x00\x00" "\x03" "\x00\x00" "\x00" "\x00\x00"
		"\x01" "5";                     /* default '5' */
	static const uint8_t null_default[] =
		"\x03" "def" "\x04" "test" "\x01" "t" "\x01" "t" "\x01" "n" "\x01" "n"
		"\x0c" "\x3f\x00" "\x0b\x00\x00\x00" "\x03" "\x00\x00" "\x00" "\x00\x00"
		"\xfb";                         /* NULL default: same as none */
	struct proto_column c;

	ck_assert_int_eq(proto_parse_column(with_default, LIT_LEN(with_default), false, true, &c), 0);
	ck_assert_uint_eq(c.default_len, 1);
	ck_assert_uint_eq(c.default_value[0], '5');
	column_round_trip(with_default, LIT_LEN(with_default), false, true);

	ck_assert_int_eq(proto_parse_column(null_default, LIT_LEN(null_default), false, true, &c), 0);
	ck_assert_ptr_null(c.default_value);
	column_round_trip(null_default, LIT_LEN(null_default), false, true);

	/* Absent entirely is accepted too; not a field-list reply: the trailing bytes are ignored. */
	ck_assert_int_eq(proto_parse_column(with_default, LIT_LEN(with_default) - 2, false, true, &c), 0);
	ck_assert_ptr_null(c.default_value);
	ck_assert_int_eq(proto_parse_column(with_default, LIT_LEN(with_default), false, false, &c), 0);
	ck_assert_ptr_null(c.default_value);
	/* A default whose length runs past the end. */
	ck_assert_int_eq(proto_parse_column(with_default, LIT_LEN(with_default) - 1, false, true, &c), -1);
}
END_TEST

START_TEST(column_hostile)
{
	static const uint8_t bad_fixed[] =
		"\x03" "def" "\x00\x00\x00" "\x01" "1" "\x00"
		"\x0b"                          /* fixed-field length 11, not 12 */
		"\x3f\x00" "\x01\x00\x00\x00" "\x08" "\x81\x00" "\x00" "\x00";
	static const uint8_t name_past_end[] =
		"\x03" "def" "\x00\x00\x00" "\xfc\xff\x7f" "1";
	static const uint8_t null_catalog[] = "\xfb" "\x00\x00\x00\x00\x00\x00";
	struct proto_column c;

	ck_assert_int_eq(proto_parse_column(bad_fixed, LIT_LEN(bad_fixed), false, false, &c), -1);
	ck_assert_int_eq(proto_parse_column(name_past_end, LIT_LEN(name_past_end), false, false, &c), -1);
	ck_assert_int_eq(proto_parse_column(null_catalog, LIT_LEN(null_catalog), false, false, &c), -1);
	ck_assert_int_eq(proto_parse_column(NULL, 0, false, false, &c), -1);

	const struct { const uint8_t *p; size_t n; bool ext; } goods[] = {
		{ golden_col_select1, LIT_LEN(golden_col_select1), false },
		{ golden_col_select1_ext, LIT_LEN(golden_col_select1_ext), true },
		{ golden_col_json_ext, LIT_LEN(golden_col_json_ext), true },
	};
	for (size_t g = 0; g < sizeof(goods) / sizeof(goods[0]); g++) {
		for (size_t k = 0; k < goods[g].n; k++) {
			for (int fl = 0; fl < 2; fl++) {
				uint8_t *d = dup_exact(goods[g].p, k);
				ck_assert_int_eq(proto_parse_column(d, k, goods[g].ext, fl, &c), -1);
				free(d);
			}
		}
	}
}
END_TEST

START_TEST(column_simple)
{
	static const uint8_t want_str[] =
		"\x03" "def" "\x00" "\x00" "\x00"
		"\x08" "database" "\x08" "database"     /* name = org_name */
		"\x0c"
		"\x21\x00"                              /* charset 33 utf8mb3_general_ci */
		"\x00\x04\x00\x00"                      /* length 1024 */
		"\xfd"                                  /* VAR_STRING */
		"\x00\x00" "\x00" "\x00\x00";           /* flags 0, decimals 0, filler */
	static const uint8_t want_int[] =
		"\x03" "def" "\x00" "\x00" "\x00"
		"\x06" "cl_act" "\x06" "cl_act"
		"\x0c"
		"\x3f\x00"                              /* charset 63 binary */
		"\x14\x00\x00\x00"                      /* length 20 */
		"\x08"                                  /* LONGLONG */
		"\x00\x00" "\x00" "\x00\x00";
	struct buf b;

	buf_init(&b, 0);
	proto_write_column_simple(&b, 2, "database", FIELD_TYPE_VAR_STRING, false);
	expect_packet(&b, 2, want_str, LIT_LEN(want_str));
	buf_reset(&b);
	proto_write_column_simple(&b, 3, "cl_act", FIELD_TYPE_LONGLONG, false);
	expect_packet(&b, 3, want_int, LIT_LEN(want_int));
	/* For a client with EXTENDED_METADATA: an empty extended-metadata string after org_name,
	 * which only an extended parse accepts. */
	buf_reset(&b);
	proto_write_column_simple(&b, 4, "x", FIELD_TYPE_VAR_STRING, true);
	struct proto_column col;
	ck_assert_int_eq(proto_parse_column(buf_head(&b) + 4, buf_avail(&b) - 4, true, false, &col), 0);
	ck_assert_uint_eq(col.name_len, 1);
	ck_assert_uint_eq(col.ext_len, 0);
	ck_assert_uint_eq(col.type, FIELD_TYPE_VAR_STRING);
	ck_assert_int_eq(proto_parse_column(buf_head(&b) + 4, buf_avail(&b) - 4, false, false, &col), -1);
	buf_free(&b);
}
END_TEST

START_TEST(text_rows)
{
	struct buf b;
	char big[300];
	const char *const values[] = { "1", NULL, "", big };
	const size_t lens[] = { 1, 0, 0, sizeof(big) };

	memset(big, 'x', sizeof(big));
	buf_init(&b, 0);
	proto_write_text_row(&b, 5, values, lens, 4);
	ck_assert(!b.failed);
	const uint8_t *p = buf_head(&b);
	ck_assert_uint_eq(proto_hdr_len(p), 2 + 1 + 1 + 3 + 300);
	ck_assert_uint_eq(proto_hdr_seq(p), 5);
	ck_assert_mem_eq(p + 4,
			 "\x01" "1"             /* "1" */
			 "\xfb"                 /* NULL */
			 "\x00"                 /* "" */
			 "\xfc\x2c\x01",        /* 300 bytes follow */
			 7);
	ck_assert_uint_eq(p[4 + 7], 'x');
	ck_assert_uint_eq(p[4 + 7 + 299], 'x');
	buf_reset(&b);

	/* lens == NULL: NUL-terminated values. */
	const char *const v2[] = { "ab", NULL };
	proto_write_text_row(&b, 6, v2, NULL, 2);
	expect_packet(&b, 6, "\x02" "ab" "\xfb", 4);
	buf_reset(&b);
	/* No columns at all: an empty payload. */
	proto_write_text_row(&b, 6, NULL, NULL, 0);
	expect_packet(&b, 6, "", 0);
	buf_free(&b);
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("framing");
	tcase_set_timeout(tc, 30); /* 32 MiB payloads under ASan */
	tcase_add_test(tc, header_put_get);
	tcase_add_test(tc, put_packet_small);
	tcase_add_test(tc, put_packet_split);
	tcase_add_test(tc, put_packet_limit);
	tcase_add_test(tc, begin_end_packet_survives_compaction);
	tcase_add_test(tc, end_packet_too_large);
	tcase_add_test(tc, cmd_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("handshake");
	tcase_add_test(tc, handshake_mariadb_golden);
	tcase_add_test(tc, handshake_mysql_golden);
	tcase_add_test(tc, response_libmariadb);
	tcase_add_test(tc, response_pymysql);
	tcase_add_test(tc, response_mysql2_empty_db);
	tcase_add_test(tc, response_auth_encodings);
	tcase_add_test(tc, response_ssl_and_rejects);
	tcase_add_test(tc, response_pre41_zeroed);
	tcase_add_test(tc, change_user_golden);
	tcase_add_test(tc, change_user_minimal_and_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("replies");
	tcase_add_test(tc, ok_plain);
	tcase_add_test(tc, ok_session_track_minimal);
	tcase_add_test(tc, ok_session_track_block);
	tcase_add_test(tc, ok_round_trip);
	tcase_add_test(tc, track_state_change_bare);
	tcase_add_test(tc, ok_hostile);
	tcase_add_test(tc, track_other_types);
	tcase_add_test(tc, track_hostile);
	tcase_add_test(tc, err_golden);
	tcase_add_test(tc, err_without_sqlstate);
	tcase_add_test(tc, err_progress_report);
	tcase_add_test(tc, err_write_defaults_and_cap);
	tcase_add_test(tc, eof_golden);
	tcase_add_test(tc, auth_switch_and_more);
	suite_add_tcase(s, tc);

	tc = tcase_create("resultset");
	tcase_add_test(tc, column_select1);
	tcase_add_test(tc, column_extended);
	tcase_add_test(tc, column_field_list_default);
	tcase_add_test(tc, column_hostile);
	tcase_add_test(tc, column_simple);
	tcase_add_test(tc, text_rows);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(proto_suite)
