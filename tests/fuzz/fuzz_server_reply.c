/* fuzz_server_reply: what a server sends and mypool parses while it relays.
 *
 * The whole input is one packet payload, read as each reply mypool understands: an OK packet
 * (without and with SESSION_TRACK; then every session-state tracker item of its block), an ERR, an
 * EOF, and a column definition (plain, extended metadata, COM_FIELD_LIST, both). A parsed OK or
 * column is written back with proto_write_ok / proto_write_column and parsed again: the second
 * parse must give the same fields (the relay forwards what it rewrites). */
#include "autoconfig.h"

#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "proto.h"

static bool same_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	if (!a || !b)
		return !a && !b && an == 0 && bn == 0;
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* The payload of the single packet b holds. */
static const uint8_t *only_payload(const struct buf *b, size_t *n)
{
	if (b->failed || buf_avail(b) < PROTO_HEADER_LEN)
		abort();
	*n = proto_hdr_len(buf_head(b));
	if (*n != buf_avail(b) - PROTO_HEADER_LEN)
		abort();
	return buf_head(b) + PROTO_HEADER_LEN;
}

static void check_tracker(const uint8_t *p, size_t n, const uint8_t *block, size_t len)
{
	struct proto_track_iter it;
	struct proto_track_item item;
	int rc;

	proto_track_begin(&it, block, len);
	while ((rc = proto_track_next(&it, &item)) == 1) {
		fuzz_inside(p, n, item.name, item.name_len);
		fuzz_inside(p, n, item.value, item.value_len);
		if (item.value && item.type != TRACK_SYSTEM_VARIABLES)
			abort();
	}
	if (rc != 0 && rc != -1)
		abort();
	if (proto_track_next(&it, &item) != rc || item.name)
		abort(); /* the end, or the error, is sticky */
}

static void check_ok(const uint8_t *p, size_t n, uint64_t caps)
{
	struct proto_ok ok, again;
	struct buf b;
	const uint8_t *q;
	size_t qn;

	if (proto_parse_ok(p, n, caps, &ok) != 0) {
		if (ok.info || ok.session || ok.status)
			abort();
		return;
	}
	fuzz_inside(p, n, ok.info, ok.info_len);
	fuzz_inside(p, n, ok.session, ok.session_len);
	if (ok.session)
		check_tracker(p, n, ok.session, ok.session_len);

	buf_init(&b, 0);
	proto_write_ok(&b, 1, caps, &ok);
	q = only_payload(&b, &qn);
	if (proto_parse_ok(q, qn, caps, &again) != 0)
		abort();
	if (again.affected_rows != ok.affected_rows || again.insert_id != ok.insert_id ||
	    again.status != ok.status || again.warnings != ok.warnings ||
	    again.is_eof_header != ok.is_eof_header ||
	    !same_bytes(again.info, again.info_len, ok.info, ok.info_len) ||
	    !same_bytes(again.session, again.session_len, ok.session, ok.session_len))
		abort();
	buf_free(&b);
}

static void check_column(const uint8_t *p, size_t n, bool extended, bool field_list)
{
	struct proto_column c, again;
	struct buf b;
	const uint8_t *q;
	size_t qn;

	if (proto_parse_column(p, n, extended, field_list, &c) != 0) {
		if (c.catalog || c.name || c.type)
			abort();
		return;
	}
	fuzz_inside(p, n, c.catalog, c.catalog_len);
	fuzz_inside(p, n, c.schema, c.schema_len);
	fuzz_inside(p, n, c.table, c.table_len);
	fuzz_inside(p, n, c.org_table, c.org_table_len);
	fuzz_inside(p, n, c.name, c.name_len);
	fuzz_inside(p, n, c.org_name, c.org_name_len);
	fuzz_inside(p, n, c.ext, c.ext_len);
	fuzz_inside(p, n, c.default_value, c.default_len);
	if ((c.ext != NULL) != extended || (c.default_value && !field_list))
		abort();

	buf_init(&b, 0);
	proto_write_column(&b, 2, &c, extended, field_list);
	q = only_payload(&b, &qn);
	if (proto_parse_column(q, qn, extended, field_list, &again) != 0)
		abort();
	if (!same_bytes(again.catalog, again.catalog_len, c.catalog, c.catalog_len) ||
	    !same_bytes(again.schema, again.schema_len, c.schema, c.schema_len) ||
	    !same_bytes(again.table, again.table_len, c.table, c.table_len) ||
	    !same_bytes(again.org_table, again.org_table_len, c.org_table, c.org_table_len) ||
	    !same_bytes(again.name, again.name_len, c.name, c.name_len) ||
	    !same_bytes(again.org_name, again.org_name_len, c.org_name, c.org_name_len) ||
	    !same_bytes(again.ext, again.ext_len, c.ext, c.ext_len) ||
	    !same_bytes(again.default_value, again.default_len, c.default_value, c.default_len) ||
	    again.charset != c.charset || again.length != c.length || again.type != c.type ||
	    again.flags != c.flags || again.decimals != c.decimals)
		abort();
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_err err;
	struct proto_eof eof;
	int rc;

	check_ok(data, size, 0);
	check_ok(data, size, CAP_SESSION_TRACK);
	check_ok(data, size, CAP_SESSION_TRACK | CAP_DEPRECATE_EOF | CAP_PROTOCOL_41);

	rc = proto_parse_err(data, size, &err);
	if (rc == 0 || rc == 1) {
		fuzz_inside(data, size, err.msg, err.msg_len);
		if (err.sqlstate[5] != '\0')
			abort();
		if ((rc == 1) != (err.code == 0xffff))
			abort();
	} else if (rc != -1) {
		abort();
	}

	rc = proto_parse_eof(data, size, &eof);
	if (rc != 0 && (rc != -1 || eof.status || eof.warnings))
		abort();

	for (int v = 0; v < 4; v++)
		check_column(data, size, v & 1, v & 2);
	return 0;
}
