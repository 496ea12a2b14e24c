/* Every unit-test file defines one suite and ends with CHECK_MAIN(name_suite): nothing to register
 * by hand, and each suite is its own program (automake runs it through the TAP driver). */
#ifndef MYPOOL_CHECK_MAIN_H
#define MYPOOL_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#define CHECK_MAIN(suite_fn)                                          \
	int main(void)                                                \
	{                                                             \
		SRunner *sr = srunner_create(suite_fn());             \
		srunner_run_all(sr, CK_NORMAL);                       \
		int failed = srunner_ntests_failed(sr);               \
		srunner_free(sr);                                     \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;          \
	}

#endif
