#include "autoconfig.h"
#include "check_main.h"
START_TEST(placeholder) { ck_assert_int_eq(1, 1); }
END_TEST
static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, placeholder);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_MAIN(config_suite)
