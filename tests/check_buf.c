/* Unit tests for daemon/pure/buf.c: the growable buffer (limits, compaction, sticky failure) and the
 * bounds-checked reader (lenenc boundaries, failure stickiness, lengths past the end). */
#include "autoconfig.h"

#include <string.h>

#include "buf.h"
#include "check_main.h"

/* ---- writer ---- */

START_TEST(put_fixed_ints_little_endian)
{
	struct buf b;
	static const uint8_t want[] = {
		0xab,                                           /* u8 */
		0x34, 0x12,                                     /* u16 0x1234 */
		0x56, 0x34, 0x12,                               /* u24 0x123456 */
		0x78, 0x56, 0x34, 0x12,                         /* u32 0x12345678 */
		0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01, /* u64 0x0123456789abcdef */
		0x00, 0x00, 0x00,                               /* 3 zeros */
		'h', 'i', 0x00,                                 /* cstr "hi" */
	};

	buf_init(&b, 0);
	buf_put_u8(&b, 0xab);
	buf_put_u16(&b, 0x1234);
	buf_put_u24(&b, 0x123456);
	buf_put_u32(&b, 0x12345678);
	buf_put_u64(&b, 0x0123456789abcdefull);
	buf_put_zeros(&b, 3);
	buf_put_cstr(&b, "hi");
	ck_assert(!b.failed);
	ck_assert_uint_eq(buf_avail(&b), sizeof(want));
	ck_assert_mem_eq(buf_head(&b), want, sizeof(want));

	struct rd r = rd_make(buf_head(&b), buf_avail(&b));
	size_t n;
	ck_assert_uint_eq(rd_u8(&r), 0xab);
	ck_assert_uint_eq(rd_u16(&r), 0x1234);
	ck_assert_uint_eq(rd_u24(&r), 0x123456);
	ck_assert_uint_eq(rd_u32(&r), 0x12345678);
	ck_assert(rd_u64(&r) == 0x0123456789abcdefull);
	rd_skip(&r, 3);
	const uint8_t *s = rd_cstr(&r, &n);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(s, "hi", 2);
	ck_assert_uint_eq(rd_left(&r), 0);
	ck_assert(!r.failed);
	buf_free(&b);
}
END_TEST

/* Each lenenc boundary: value, encoded bytes. */
static const struct {
	uint64_t v;
	size_t len;
	uint8_t enc[9];
} lenenc_cases[] = {
	{ 0, 1, { 0x00 } },
	{ 250, 1, { 0xfa } },                                   /* largest 1-byte value */
	{ 251, 3, { 0xfc, 0xfb, 0x00 } },                       /* 0xfb would mean NULL */
	{ 65535, 3, { 0xfc, 0xff, 0xff } },
	{ 65536, 4, { 0xfd, 0x00, 0x00, 0x01 } },
	{ 16777215, 4, { 0xfd, 0xff, 0xff, 0xff } },
	{ 16777216, 9, { 0xfe, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00 } },
	{ UINT64_MAX, 9, { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
};

START_TEST(lenenc_boundaries)
{
	struct buf b;
	bool is_null = true;

	buf_init(&b, 0);
	buf_put_lenenc(&b, lenenc_cases[_i].v);
	ck_assert(!b.failed);
	ck_assert_uint_eq(buf_avail(&b), lenenc_cases[_i].len);
	ck_assert_mem_eq(buf_head(&b), lenenc_cases[_i].enc, lenenc_cases[_i].len);

	struct rd r = rd_make(buf_head(&b), buf_avail(&b));
	ck_assert(rd_lenenc(&r, &is_null) == lenenc_cases[_i].v);
	ck_assert(!is_null);
	ck_assert(!r.failed);
	ck_assert_uint_eq(rd_left(&r), 0);

	/* Every truncation of the encoding fails. */
	for (size_t cut = 0; cut < lenenc_cases[_i].len; cut++) {
		r = rd_make(lenenc_cases[_i].enc, cut);
		(void)rd_lenenc(&r, NULL);
		ck_assert(r.failed);
	}
	buf_free(&b);
}
END_TEST

START_TEST(lenenc_null_and_ff)
{
	static const uint8_t null_then_one[] = { 0xfb, 0x01 };
	static const uint8_t ff[] = { 0xff, 0x00, 0x00 };
	bool is_null = false;

	struct rd r = rd_make(null_then_one, sizeof(null_then_one));
	ck_assert(rd_lenenc(&r, &is_null) == 0);
	ck_assert(is_null);
	ck_assert(!r.failed);
	ck_assert(rd_lenenc(&r, &is_null) == 1);
	ck_assert(!is_null);

	/* 0xfb as a string length is NULL, not a string: rd_lenenc_str fails. */
	size_t n = 99;
	r = rd_make(null_then_one, sizeof(null_then_one));
	ck_assert_ptr_null(rd_lenenc_str(&r, &n));
	ck_assert(r.failed);
	ck_assert_uint_eq(n, 0);

	/* 0xff is not a valid lenenc prefix (it is the ERR header). */
	r = rd_make(ff, sizeof(ff));
	(void)rd_lenenc(&r, NULL);
	ck_assert(r.failed);
}
END_TEST

START_TEST(lenenc_str_round_trip)
{
	struct buf b;
	static uint8_t big[70000];
	size_t n;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	buf_init(&b, 0);
	buf_put_lenenc_str(&b, "", 0);
	buf_put_lenenc_str(&b, "abc", 3);
	buf_put_lenenc_str(&b, big, 251);
	buf_put_lenenc_str(&b, big, sizeof(big));
	ck_assert(!b.failed);
	ck_assert_uint_eq(buf_avail(&b), 1 + 4 + 3 + 251 + 4 + sizeof(big));

	struct rd r = rd_make(buf_head(&b), buf_avail(&b));
	const uint8_t *s = rd_lenenc_str(&r, &n);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(n, 0);
	s = rd_lenenc_str(&r, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(s, "abc", 3);
	s = rd_lenenc_str(&r, &n);
	ck_assert_uint_eq(n, 251);
	ck_assert_mem_eq(s, big, 251);
	s = rd_lenenc_str(&r, &n);
	ck_assert_uint_eq(n, sizeof(big));
	ck_assert(memcmp(s, big, sizeof(big)) == 0);
	ck_assert_uint_eq(rd_left(&r), 0);
	ck_assert(!r.failed);
	buf_free(&b);
}
END_TEST

START_TEST(lenenc_str_past_end)
{
	/* Lengths that point past the end of the input, including ones that would overflow a
	 * pointer addition. */
	static const uint8_t one_short[] = { 0x04, 'a', 'b', 'c' };
	static const uint8_t two_byte[] = { 0xfc, 0x00, 0x01, 'x' };
	static const uint8_t huge[] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'x' };
	static const uint8_t huge2[] = { 0xfe, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 'x' };
	const struct { const uint8_t *p; size_t n; } cases[] = {
		{ one_short, sizeof(one_short) },
		{ two_byte, sizeof(two_byte) },
		{ huge, sizeof(huge) },
		{ huge2, sizeof(huge2) },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = 12345;
		struct rd r = rd_make(cases[i].p, cases[i].n);
		ck_assert_ptr_null(rd_lenenc_str(&r, &n));
		ck_assert(r.failed);
		ck_assert_uint_eq(n, 0);
		ck_assert_uint_eq(rd_left(&r), 0);
	}
}
END_TEST

/* ---- reader ---- */

START_TEST(reader_failure_is_sticky)
{
	static const uint8_t data[] = { 0x01, 0x02, 0x03, 'a', 0x00, 0x05 };
	size_t n = 77;

	struct rd r = rd_make(data, sizeof(data));
	ck_assert_uint_eq(rd_u8(&r), 0x01);
	/* Too much: fails and consumes nothing... */
	ck_assert_ptr_null(rd_bytes(&r, 100));
	ck_assert(r.failed);
	/* ...and every later read fails too, although the data is there. */
	ck_assert_uint_eq(rd_left(&r), 0);
	ck_assert_uint_eq(rd_u8(&r), 0);
	ck_assert_uint_eq(rd_u16(&r), 0);
	ck_assert_uint_eq(rd_u24(&r), 0);
	ck_assert_uint_eq(rd_u32(&r), 0);
	ck_assert(rd_u64(&r) == 0);
	ck_assert(rd_lenenc(&r, NULL) == 0);
	ck_assert_ptr_null(rd_bytes(&r, 0));
	ck_assert_ptr_null(rd_bytes(&r, 1));
	ck_assert_ptr_null(rd_lenenc_str(&r, &n));
	ck_assert_uint_eq(n, 0);
	n = 77;
	ck_assert_ptr_null(rd_rest(&r, &n));
	ck_assert_uint_eq(n, 0);
	n = 77;
	ck_assert_ptr_null(rd_cstr(&r, &n));
	ck_assert_uint_eq(n, 0);
	rd_skip(&r, 0);
	ck_assert(r.failed);
}
END_TEST

START_TEST(reader_exact_and_short)
{
	static const uint8_t data[] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };

	/* Reading exactly to the end is fine; one more byte is not. */
	struct rd r = rd_make(data, sizeof(data));
	ck_assert_uint_eq(rd_u32(&r), 0x44332211);
	ck_assert_uint_eq(rd_u24(&r), 0x776655);
	ck_assert(!r.failed);
	ck_assert_ptr_nonnull(rd_bytes(&r, 0)); /* zero bytes at the end: ok */
	ck_assert_uint_eq(rd_u8(&r), 0);
	ck_assert(r.failed);

	/* Each fixed-size read on one byte too few. */
	r = rd_make(data, 1);
	(void)rd_u16(&r);
	ck_assert(r.failed);
	r = rd_make(data, 2);
	(void)rd_u24(&r);
	ck_assert(r.failed);
	r = rd_make(data, 3);
	(void)rd_u32(&r);
	ck_assert(r.failed);
	r = rd_make(data, 7);
	(void)rd_u64(&r);
	ck_assert(r.failed);
	r = rd_make(data, 0);
	(void)rd_u8(&r);
	ck_assert(r.failed);
}
END_TEST

START_TEST(reader_cstr)
{
	static const uint8_t data[] = { 'r', 'o', 'o', 't', 0x00, 0x00, 'x', 'y' };
	size_t n;

	struct rd r = rd_make(data, sizeof(data));
	const uint8_t *s = rd_cstr(&r, &n);
	ck_assert_ptr_eq(s, data);
	ck_assert_uint_eq(n, 4);
	s = rd_cstr(&r, &n); /* the empty string */
	ck_assert_ptr_eq(s, data + 5);
	ck_assert_uint_eq(n, 0);
	/* "xy" has no NUL before the end: malformed. */
	n = 5;
	ck_assert_ptr_null(rd_cstr(&r, &n));
	ck_assert(r.failed);
	ck_assert_uint_eq(n, 0);

	/* An empty reader over no memory at all. */
	r = rd_make(NULL, 0);
	ck_assert_ptr_null(rd_cstr(&r, &n));
	ck_assert(r.failed);
}
END_TEST

START_TEST(reader_rest)
{
	static const uint8_t data[] = { 0x01, 'a', 'b', 'c' };
	size_t n;

	struct rd r = rd_make(data, sizeof(data));
	rd_skip(&r, 1);
	const uint8_t *s = rd_rest(&r, &n);
	ck_assert_ptr_eq(s, data + 1);
	ck_assert_uint_eq(n, 3);
	/* At the end, rest is empty but not a failure. */
	s = rd_rest(&r, &n);
	ck_assert_ptr_eq(s, data + 4);
	ck_assert_uint_eq(n, 0);
	ck_assert(!r.failed);
}
END_TEST

/* ---- buffer management ---- */

START_TEST(limit_enforced)
{
	struct buf b;
	uint8_t block[100];

	memset(block, 'z', sizeof(block));
	buf_init(&b, 100);
	buf_put(&b, block, 60);
	buf_put(&b, block, 40); /* exactly the limit */
	ck_assert(!b.failed);
	ck_assert_uint_eq(buf_avail(&b), 100);
	ck_assert_uint_le(b.cap, 100);

	buf_put_u8(&b, 1); /* one past the limit */
	ck_assert(b.failed);
	ck_assert_uint_eq(b.len, 100);
	/* Sticky: even a write that would fit after consuming is refused until buf_reset. */
	buf_consume(&b, 50);
	buf_put_u8(&b, 1);
	ck_assert(b.failed);
	ck_assert_uint_eq(buf_avail(&b), 50);
	ck_assert_ptr_null(buf_reserve(&b, 1));

	buf_reset(&b);
	ck_assert(!b.failed);
	ck_assert_uint_eq(buf_avail(&b), 0);
	buf_put(&b, block, 100);
	ck_assert(!b.failed);

	/* A single write larger than the limit fails at once and writes nothing. */
	buf_reset(&b);
	buf_put_u8(&b, 7);
	buf_put(&b, block, 100);
	ck_assert(b.failed);
	ck_assert_uint_eq(buf_avail(&b), 1);
	buf_free(&b);
}
END_TEST

START_TEST(limit_counts_unread_bytes_only)
{
	struct buf b;
	uint8_t block[100];

	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)i;
	buf_init(&b, 100);
	buf_put(&b, block, 100);
	buf_consume(&b, 60);
	/* 40 unread + 60 new = the limit: the buffer compacts instead of failing. */
	buf_put(&b, block, 60);
	ck_assert(!b.failed);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_uint_eq(buf_avail(&b), 100);
	ck_assert_mem_eq(buf_head(&b), block + 60, 40);
	ck_assert_mem_eq(buf_head(&b) + 40, block, 60);
	buf_free(&b);
}
END_TEST

START_TEST(reserve_compacts_and_grows)
{
	struct buf b;
	uint8_t data[300];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	buf_init(&b, 0);
	buf_put(&b, data, 200);
	size_t cap = b.cap;
	ck_assert_uint_ge(cap, 200);
	buf_consume(&b, 150);
	ck_assert_uint_eq(buf_avail(&b), 50);

	/* Room at the end is cap-200; asking for more than that but less than cap-50 compacts
	 * (no reallocation) and keeps the unread bytes. */
	size_t want = cap - 200 + 1;
	uint8_t *p = buf_reserve(&b, want);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_uint_eq(b.len, 50);
	ck_assert_ptr_eq(p, b.data + 50);
	ck_assert_mem_eq(buf_head(&b), data + 150, 50);
	ck_assert_uint_ge(buf_room(&b), want);

	/* Asking for more than the capacity grows and still keeps the data. */
	p = buf_reserve(&b, cap * 3);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_ge(buf_room(&b), cap * 3);
	ck_assert_mem_eq(buf_head(&b), data + 150, 50);

	/* Reserve does not change the content length. */
	ck_assert_uint_eq(buf_avail(&b), 50);
	buf_free(&b);
}
END_TEST

START_TEST(compact_and_consume)
{
	struct buf b;

	buf_init(&b, 0);
	buf_put(&b, "0123456789", 10);
	buf_consume(&b, 4);
	ck_assert_uint_eq(b.off, 4);
	buf_compact(&b);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_uint_eq(b.len, 6);
	ck_assert_mem_eq(b.data, "456789", 6);
	buf_compact(&b); /* nothing to do */
	ck_assert_uint_eq(b.len, 6);

	/* Consuming more than is there consumes everything and rewinds. */
	buf_consume(&b, 100);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(buf_avail(&b), 0);

	/* Consuming exactly everything rewinds too, so the space is reused. */
	buf_put(&b, "ab", 2);
	buf_consume(&b, 2);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(empty_writes)
{
	struct buf b;

	/* Zero-length writes on a fresh buffer neither allocate nor fail. */
	buf_init(&b, 0);
	buf_put(&b, NULL, 0);
	buf_put_zeros(&b, 0);
	ck_assert(!b.failed);
	ck_assert_uint_eq(buf_avail(&b), 0);
	buf_put_lenenc_str(&b, NULL, 0);
	ck_assert(!b.failed);
	ck_assert_uint_eq(buf_avail(&b), 1);
	ck_assert_uint_eq(buf_head(&b)[0], 0x00);
	buf_free(&b);
}
END_TEST

static Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("writer");
	tcase_add_test(tc, put_fixed_ints_little_endian);
	tcase_add_loop_test(tc, lenenc_boundaries, 0, (int)(sizeof(lenenc_cases) / sizeof(lenenc_cases[0])));
	tcase_add_test(tc, lenenc_null_and_ff);
	tcase_add_test(tc, lenenc_str_round_trip);
	tcase_add_test(tc, lenenc_str_past_end);
	suite_add_tcase(s, tc);

	tc = tcase_create("reader");
	tcase_add_test(tc, reader_failure_is_sticky);
	tcase_add_test(tc, reader_exact_and_short);
	tcase_add_test(tc, reader_cstr);
	tcase_add_test(tc, reader_rest);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory");
	tcase_add_test(tc, limit_enforced);
	tcase_add_test(tc, limit_counts_unread_bytes_only);
	tcase_add_test(tc, reserve_compacts_and_grows);
	tcase_add_test(tc, compact_and_consume);
	tcase_add_test(tc, empty_writes);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(buf_suite)
