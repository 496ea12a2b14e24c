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
	ck_assert_str_eq(diff(&have, &want, &n), "@@session.autocommit='OFF', @@session.wait_timeout=100");
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
			 "@@session.character_set_connection='utf8mb4', @@session.collation_connection='utf8mb4_bin'");
	/* SET character_set_results = NULL comes back from the tracker as "". */
	set(&cs, "character_set_results", "");
	ck_assert_str_eq(diff(&none, &cs, &n), "@@session.character_set_connection='utf8mb4', "
					       "@@session.character_set_results=NULL, @@session.collation_connection='utf8mb4_bin'");
	varset_free(&cs);
	varset_free(&none);

	/* Same state: nothing to send. */
	set(&want, "sql_mode", "ANSI_QUOTES");
	ck_assert_str_eq(diff(&have, &want, &n), "");
	varset_free(&have);
	varset_free(&want);
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
	varset_put_literal(&b, "1e5"); /* not a plain number: quoted */
	buf_put_u8(&b, ' ');
	varset_put_literal(&b, "");
	buf_put_u8(&b, 0);
	ck_assert_str_eq((char *)b.data, "-12.5 'it''s a \\\\ test' '1e5' ''");
	buf_free(&b);
}
END_TEST

static Suite *varset_suite(void)
{
	Suite *s = suite_create("varset");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_set_get_replace);
	tcase_add_test(tc, test_diff_sql);
	tcase_add_test(tc, test_literals);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(varset_suite)
