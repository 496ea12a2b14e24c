/* authfail: the wait before a login attempt after failures in a row. */
#include "autoconfig.h"

#include <stdio.h>

#include "authfail.h"
#include "check_main.h"

static const struct authfail_limits limits = { .threshold = 3, .delay_ms = 1000, .max_ms = 5000 };

START_TEST(test_threshold_doubling_cap)
{
	authfail_reset();
	uint64_t t = 1000;
	ck_assert_uint_eq(authfail_delay(&limits, "app", NULL, t), 0);
	authfail_failed("app", NULL, t);
	authfail_failed("app", NULL, t);
	ck_assert_uint_eq(authfail_delay(&limits, "app", NULL, t), 0); /* 2 failures: not yet */
	authfail_failed("app", NULL, t);
	ck_assert_uint_eq(authfail_delay(&limits, "app", NULL, t), 1000);
	authfail_failed("app", NULL, t);
	ck_assert_uint_eq(authfail_delay(&limits, "app", NULL, t), 2000);
	authfail_failed("app", NULL, t);
	ck_assert_uint_eq(authfail_delay(&limits, "app", NULL, t), 4000);
	authfail_failed("app", NULL, t);
	ck_assert_uint_eq(authfail_delay(&limits, "app", NULL, t), 5000); /* at most max */
	/* Other users wait for nothing. */
	ck_assert_uint_eq(authfail_delay(&limits, "other", NULL, t), 0);
	/* A success clears the count. */
	authfail_succeeded("app", NULL);
	ck_assert_uint_eq(authfail_delay(&limits, "app", NULL, t), 0);
}
END_TEST

START_TEST(test_address_and_forgetting)
{
	authfail_reset();
	uint64_t t = 5000;
	/* One address guessing many users waits as much as a user guessed from many places. */
	authfail_failed("u1", "10.0.0.9", t);
	authfail_failed("u2", "10.0.0.9", t);
	authfail_failed("u3", "10.0.0.9", t);
	ck_assert_uint_eq(authfail_delay(&limits, "u4", "10.0.0.9", t), 1000);
	ck_assert_uint_eq(authfail_delay(&limits, "u4", "10.0.0.8", t), 0);
	ck_assert_uint_eq(authfail_delay(&limits, "u4", NULL, t), 0);
	/* Idle for long enough, the count is forgotten. */
	ck_assert_uint_eq(authfail_delay(&limits, "u4", "10.0.0.9", t + AUTHFAIL_FORGET_MS + 1), 0);
	/* threshold 0: never. */
	struct authfail_limits off = { 0, 1000, 5000 };
	for (int i = 0; i < 10; i++)
		authfail_failed("x", NULL, t);
	ck_assert_uint_eq(authfail_delay(&off, "x", NULL, t), 0);
}
END_TEST

START_TEST(test_table_full)
{
	authfail_reset();
	char name[32];
	for (int i = 0; i < AUTHFAIL_SLOTS + 10; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		authfail_failed(name, NULL, (uint64_t)1000 + (uint64_t)i);
	}
	/* The newest are kept; the oldest made room. */
	for (int k = 0; k < 3; k++)
		authfail_failed("user1033", NULL, 3000);
	ck_assert_uint_eq(authfail_delay(&limits, "user1033", NULL, 3000), 2000);
}
END_TEST

static Suite *authfail_suite(void)
{
	Suite *s = suite_create("authfail");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_threshold_doubling_cap);
	tcase_add_test(tc, test_address_and_forgetting);
	tcase_add_test(tc, test_table_full);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(authfail_suite)
