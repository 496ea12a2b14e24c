/* varset: tracked session variables and the SET that restores them. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "varset.h"

static void set(struct varset *vs, const char *n, const char *v)
{
	ck_assert_int_eq(varset_set(vs, n, strlen(n), v, strlen(v)), 0);
}

static char *diff(const struct varset *have, const struct varset *want, size_t *count)
{
	static char out[512];
	struct buf b;
	buf_init(&b, 0);
	*count = varset_diff_sql(have, want, &b);
	buf_put_u8(&b, 0);
	ck_assert(!b.failed);
	snprintf(out, sizeof(out), "%s", (char *)b.data);
	buf_free(&b);
	return out;
}

START_TEST(test_set_get_replace)
{
	struct varset vs;
	varset_init(&vs);
	set(&vs, "SQL_MODE", "ANSI");
	set(&vs, "time_zone", "+00:00");
	ck_assert_str_eq(varset_get(&vs, "sql_mode"), "ANSI");
	set(&vs, "sql_mode", "TRADITIONAL"); /* names are case-insensitive, stored lower case */
	ck_assert_uint_eq(vs.n, 2);
	ck_assert_str_eq(vs.v[0].name, "sql_mode");
	ck_assert_str_eq(varset_get(&vs, "Sql_Mode"), "TRADITIONAL");
	ck_assert_ptr_null(varset_get(&vs, "autocommit"));
	struct varset copy;
	varset_init(&copy);
	ck_assert_int_eq(varset_copy(&copy, &vs), 0);
	ck_assert(varset_equal(&copy, &vs));
	set(&copy, "autocommit", "OFF");
	ck_assert(!varset_equal(&copy, &vs));
	varset_free(&vs);
	varset_free(&copy);
}
END_TEST

START_TEST(test_diff_sql)
{
	struct varset have, want;
	varset_init(&have);
	varset_init(&want);
	size_t n;
	ck_assert_str_eq(diff(&have, &want, &n), "");
	ck_assert_uint_eq(n, 0);

	set(&want, "autocommit", "OFF");
	set(&want, "wait_timeout", "100");
	ck_assert_str_eq(diff(&have, &want, &n), "@@session.autocommit=_binary X'4f4646', @@session.wait_timeout=100");
	ck_assert_uint_eq(n, 2);

	/* The backend has what the client wants, plus something the client never set. */
	set(&have, "wait_timeout", "100");
	set(&have, "autocommit", "OFF");
	set(&have, "sql_mode", "ANSI_QUOTES");
	ck_assert_str_eq(diff(&have, &want, &n), "@@session.sql_mode=DEFAULT");
	ck_assert_uint_eq(n, 1);

	/* A collation the client set after its character set is restored after it, whatever order
	 * the tracker reported them in. */
	struct varset cs;
	varset_init(&cs);
	set(&cs, "collation_connection", "utf8mb4_bin");
	set(&cs, "character_set_connection", "utf8mb4");
	struct varset none;
	varset_init(&none);
	ck_assert_str_eq(diff(&none, &cs, &n),
			 "@@session.character_set_connection=_binary X'757466386d6234', "
			 "@@session.collation_connection=_binary X'757466386d62345f62696e'");
	/* SET character_set_results = NULL comes back from the tracker as "". */
	set(&cs, "character_set_results", "");
	ck_assert_str_eq(diff(&none, &cs, &n), "@@session.character_set_connection=_binary X'757466386d6234', "
					       "@@session.character_set_results=NULL, "
					       "@@session.collation_connection=_binary X'757466386d62345f62696e'");
	varset_free(&cs);
	varset_free(&none);

	/* Same state: nothing to send. */
	set(&want, "sql_mode", "ANSI_QUOTES");
	ck_assert_str_eq(diff(&have, &want, &n), "");
	varset_free(&have);
	varset_free(&want);
}
END_TEST

/* User variables: literals as they are, only those that differ. */
START_TEST(test_diff_user_sql)
{
	struct varset have, want;
	struct buf sql;
	varset_init(&have);
	varset_init(&want);
	buf_init(&sql, 0);
	varset_set(&have, "old", 3, "5", 1);
	varset_set(&have, "same", 4, "_binary X'00'", 13);
	varset_set(&have, "gone_null", 9, "NULL", 4);
	varset_set(&want, "same", 4, "_binary X'00'", 13);
	varset_set(&want, "New", 3, "1.5e0", 5);
	ck_assert_uint_eq(varset_diff_user_sql(&have, &want, &sql), 1);
	buf_put_u8(&sql, 0);
	ck_assert_str_eq((const char *)sql.data, "@new=1.5e0");
	buf_free(&sql);
	varset_free(&have);
	varset_free(&want);
}
END_TEST

/* Issue 11, item 5: what restores a user variable exactly. */
START_TEST(test_user_literal)
{
	struct buf b;
	buf_init(&b, 0);
#define LIT(kind, v, hex, cs, coll, want)                                          \
	do {                                                                       \
		b.len = 0;                                                         \
		ck_assert(varset_user_literal(&b, kind, v, hex, cs, coll));        \
		buf_put_u8(&b, 0);                                                 \
		ck_assert_str_eq((const char *)b.data, want);                      \
	} while (0)
	LIT(VK_INT, "-3", "FFFFFFFFFFFFFFFD", "binary", "binary", "-3");
	LIT(VK_UINT, "18446744073709551615", NULL, NULL, NULL, "18446744073709551615");
	LIT(VK_DECIMAL, "1.50", NULL, NULL, NULL, "1.50");
	LIT(VK_DOUBLE, "0.30000000000000004", NULL, NULL, NULL, "0.30000000000000004e0");
	LIT(VK_DOUBLE, "1e300", NULL, NULL, NULL, "1e300");
	LIT(VK_NULL, NULL, NULL, NULL, NULL, "NULL");
	LIT(VK_STRING, "\xe9", "E9", "latin1", "latin1_german2_ci", "_latin1 X'E9' COLLATE latin1_german2_ci");
	LIT(VK_STRING, "", "", "utf8mb4", "utf8mb4_general_ci", "_utf8mb4 X'' COLLATE utf8mb4_general_ci");
	LIT(VK_STRING, "\x00\xff", "00FF", "binary", "binary", "_binary X'00FF'");
#undef LIT
	/* Not what the kind says, or names that cannot be written into SQL: refused. */
	ck_assert(!varset_user_literal(&b, VK_INT, "1; DROP", NULL, NULL, NULL));
	ck_assert(!varset_user_literal(&b, VK_DOUBLE, "", NULL, NULL, NULL));
	ck_assert(!varset_user_literal(&b, VK_STRING, "x", "7'", "latin1", "latin1_bin"));
	ck_assert(!varset_user_literal(&b, VK_STRING, "x", "78", "latin1 x", "latin1_bin"));
	ck_assert(!varset_user_literal(&b, VK_STRING, "x", NULL, "latin1", "latin1_bin"));
	buf_free(&b);
}
END_TEST

START_TEST(test_literals)
{
	struct buf b;
	buf_init(&b, 0);
	varset_put_literal(&b, "-12.5");
	buf_put_u8(&b, ' ');
	varset_put_literal(&b, "it's a \\ test");
	buf_put_u8(&b, ' ');
	varset_put_literal(&b, "1e5"); /* not a plain number: a string */
	buf_put_u8(&b, ' ');
	varset_put_literal(&b, "");
	buf_put_u8(&b, 0);
	ck_assert_str_eq((char *)b.data, "-12.5 _binary X'697427732061205c2074657374' _binary X'316535' _binary X''");
	buf_free(&b);
}
END_TEST

/* Regression (security review, SQL injection): GBK's 0x95 0x5C is one character, so a value
 * escaped byte by byte ('\x95\\'' + "''") ended its literal when the server read the statement
 * in GBK. A hex literal holds no byte of the value at all. */
START_TEST(test_literal_charset_proof)
{
	static const char value[] = "\x95\\', @@session.wait_timeout=1 #";
	struct buf b;
	buf_init(&b, 0);
	varset_put_literal(&b, value);
	buf_put_u8(&b, 0);
	const char *sql = (const char *)b.data;
	ck_assert_str_eq(sql, "_binary X'955c272c20404073657373696f6e2e776169745f74696d656f75743d312023'");
	for (const char *p = sql; *p; p++)
		ck_assert(*p == '_' || *p == ' ' || *p == '\'' || (*p >= '0' && *p <= '9') ||
			  (*p >= 'a' && *p <= 'z') || *p == 'X');
	buf_free(&b);
}
END_TEST

/* Names from the server's trackers are written into SQL as they are, so only plain ones are
 * kept. */
START_TEST(test_names)
{
	ck_assert(varset_name_ok("sql_mode", 8));
	ck_assert(varset_name_ok("utf8mb4_unicode_520_ci", 22));
	ck_assert(!varset_name_ok("", 0));
	ck_assert(!varset_name_ok("a=1, b", 6));
	ck_assert(!varset_name_ok("x`y", 3));
	ck_assert(!varset_name_ok("sql mode", 8));
	struct varset vs;
	varset_init(&vs);
	ck_assert_int_eq(varset_set(&vs, "x=1,y", 5, "v", 1), -1);
	ck_assert_uint_eq(vs.n, 0);
	varset_free(&vs);
}
END_TEST

static Suite *varset_suite(void)
{
	Suite *s = suite_create("varset");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_set_get_replace);
	tcase_add_test(tc, test_diff_sql);
	tcase_add_test(tc, test_diff_user_sql);
	tcase_add_test(tc, test_user_literal);
	tcase_add_test(tc, test_literals);
	tcase_add_test(tc, test_literal_charset_proof);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(varset_suite)
