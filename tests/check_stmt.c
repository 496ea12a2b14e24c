/* stmt: client statement tables and the per-backend statement cache. */
#include "autoconfig.h"

#include <string.h>

#include "check_main.h"
#include "stmt.h"

START_TEST(test_table)
{
	struct stmt_table t;
	stmt_table_init(&t);
	struct stmt *a = stmt_add(&t, "SELECT ?", 8, 1, 1);
	struct stmt *b = stmt_add(&t, "SELECT 2", 8, 0, 1);
	ck_assert_uint_eq(a->id, 1);
	ck_assert_uint_eq(b->id, 2);
	ck_assert_ptr_eq(stmt_find(&t, 1), a);
	ck_assert_str_eq(stmt_find(&t, 2)->sql, "SELECT 2");
	ck_assert_ptr_null(stmt_find(&t, 3));
	uint8_t types[2] = { 0x08, 0x00 };
	ck_assert_int_eq(stmt_set_types(a, types), 0);
	ck_assert_int_eq(a->types[0], 0x08);
	stmt_remove(&t, 1);
	ck_assert_ptr_null(stmt_find(&t, 1));
	ck_assert_uint_eq(t.n, 1);
	/* Ids are never reused while the session lives. */
	ck_assert_uint_eq(stmt_add(&t, "x", 1, 0, 0)->id, 3);
	stmt_table_clear(&t);
	ck_assert_uint_eq(t.n, 0);
}
END_TEST

START_TEST(test_cache_lru)
{
	struct stmt_cache c;
	stmt_cache_init(&c, 2, 0);
	uint32_t ev;
	ck_assert_int_eq(stmt_cache_put(&c, "A", 1, 10, &ev), 0);
	ck_assert_uint_eq(ev, 0);
	ck_assert_int_eq(stmt_cache_put(&c, "B", 1, 11, &ev), 0);
	ck_assert_uint_eq(stmt_cache_get(&c, "A", 1), 10); /* A is now the most recent */
	ck_assert_int_eq(stmt_cache_put(&c, "C", 1, 12, &ev), 0);
	ck_assert_uint_eq(ev, 11); /* B was least recently used: close it on the server */
	ck_assert_uint_eq(stmt_cache_get(&c, "B", 1), 0);
	ck_assert_uint_eq(stmt_cache_get(&c, "C", 1), 12);
	/* Re-preparing the same text replaces the id and hands back the old one. */
	ck_assert_int_eq(stmt_cache_put(&c, "A", 1, 20, &ev), 0);
	ck_assert_uint_eq(ev, 10);
	ck_assert_uint_eq(stmt_cache_get(&c, "A", 1), 20);
	/* A held entry (open cursor) is never the one evicted. */
	stmt_cache_hold(&c, 20, +1); /* A */
	ck_assert_uint_eq(stmt_cache_get(&c, "C", 1), 12); /* A is now least recently used */
	ck_assert_int_eq(stmt_cache_put(&c, "D", 1, 13, &ev), 0);
	ck_assert_uint_eq(ev, 12); /* C went, not A */
	ck_assert_uint_eq(stmt_cache_get(&c, "A", 1), 20);
	stmt_cache_hold(&c, 13, +1); /* D: now everything is held */
	ck_assert_int_eq(stmt_cache_put(&c, "E", 1, 14, &ev), 0);
	ck_assert_uint_eq(ev, 0);   /* nothing evictable: the cache grows */
	ck_assert_uint_eq(stmt_cache_get(&c, "E", 1), 14);
	stmt_cache_hold(&c, 20, -1);
	ck_assert_int_eq(stmt_cache_put(&c, "F", 1, 15, &ev), 0);
	ck_assert_uint_eq(ev, 20);  /* A, let go, is evicted first */
	stmt_cache_clear(&c);
	ck_assert_uint_eq(stmt_cache_get(&c, "A", 1), 0);
	stmt_cache_free(&c);
}
END_TEST

/* Regression (security review, client-controlled memory): the cache kept any amount of SQL
 * text; with a byte budget the least recently used entries go until it fits. */
START_TEST(test_cache_byte_budget)
{
	struct stmt_cache c;
	stmt_cache_init(&c, 100, 10);
	uint32_t ev;
	ck_assert_int_eq(stmt_cache_put(&c, "aaaa", 4, 1, &ev), 0);
	ck_assert_int_eq(stmt_cache_put(&c, "bbbb", 4, 2, &ev), 0);
	ck_assert_uint_eq(stmt_cache_trim(&c), 0); /* 8 of 10 bytes */
	ck_assert_int_eq(stmt_cache_put(&c, "cccccc", 6, 3, &ev), 0);
	ck_assert_uint_eq(stmt_cache_trim(&c), 1); /* 14: the oldest goes... */
	ck_assert_uint_eq(stmt_cache_trim(&c), 0); /* ... and 10 fit */
	ck_assert_uint_eq(c.bytes, 10);
	stmt_cache_hold(&c, 2, +1);
	ck_assert_int_eq(stmt_cache_put(&c, "dddd", 4, 4, &ev), 0);
	ck_assert_uint_eq(stmt_cache_trim(&c), 3); /* not the held one */
	ck_assert_uint_eq(stmt_cache_trim(&c), 0);
	ck_assert_uint_eq(stmt_cache_get(&c, "bbbb", 4), 2);
	stmt_cache_free(&c);
}
END_TEST

START_TEST(test_table_bytes)
{
	struct stmt_table t;
	stmt_table_init(&t);
	ck_assert_uint_eq(stmt_table_bytes(&t), 0);
	stmt_add(&t, "SELECT ?", 8, 1, 0);
	ck_assert_uint_eq(stmt_table_bytes(&t), 8);
	uint8_t types[2] = { 0x08, 0x00 };
	stmt_set_types(t.head, types);
	ck_assert_uint_eq(stmt_table_bytes(&t), 10);
	stmt_table_clear(&t);
}
END_TEST

static Suite *stmt_suite(void)
{
	Suite *s = suite_create("stmt");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_cache_lru);
	tcase_add_test(tc, test_cache_byte_budget);
	tcase_add_test(tc, test_table_bytes);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(stmt_suite)
