/* Unit tests for daemon/pure/proto.c, the server's replies as mypool reads them to decide what a
 * response is: the kind of its first packet, and COM_STMT_PREPARE's OK. Every truncation is parsed
 * from an exactly-sized heap copy, so ASan catches any read past the end (as in check_proto). */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "proto.h"

/* An exactly-sized heap copy: any read past n is an ASan error. */
static uint8_t *dup_exact(const void *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);
	ck_assert_ptr_nonnull(d);
	if (n)
		memcpy(d, p, n);
	return d;
}

/* ---- what a response is; COM_STMT_PREPARE's OK ---- */

START_TEST(response_kinds)
{
	static const struct {
		const char *bytes;
		size_t n;
		enum proto_kind kind;
	} cases[] = {
		{ "\x00\x00\x00\x02\x00\x00\x00", 7, PK_OK },  /* OK: 0 rows, no id, AUTOCOMMIT */
		{ "\xff\x28\x04#42000x", 10, PK_ERR },       /* ERR 1064 */
		{ "\xfb/tmp/f", 7, PK_LOCAL_INFILE },          /* LOAD DATA LOCAL: the file name */
		{ "\xfe\x00\x00\x02\x00", 5, PK_EOF },
		{ "\x01", 1, PK_RESULT },                      /* one column */
		{ "\xfc\x00\x01", 3, PK_RESULT },            /* 256 columns (lenenc) */
		{ "\xfe\x00\x00\x00\x00\x00\x00\x00\x00", 9, PK_RESULT }, /* 0xFE, 9 bytes: a lenenc count */
		{ "", 0, PK_EMPTY },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *d = dup_exact((const uint8_t *)cases[i].bytes, cases[i].n);
		ck_assert_int_eq(proto_response_kind(d, cases[i].n), cases[i].kind);
		free(d);
	}
	ck_assert(proto_is_err((const uint8_t *)"\xff", 1));
	ck_assert(!proto_is_err((const uint8_t *)"\x00", 1));
	ck_assert(!proto_is_err(NULL, 0));
}
END_TEST

START_TEST(prepare_ok_golden)
{
	/* MariaDB 10.11's answer to COM_STMT_PREPARE "SELECT ?, ?": id 7, 2 columns, 2 parameters,
	 * filler, 1 warning. */
	static const uint8_t p[] = "\x00\x07\x00\x00\x00\x02\x00\x02\x00\x00\x01\x00";
	struct proto_prepare_ok ok;
	ck_assert_int_eq(proto_parse_prepare_ok(p, 12, &ok), 0);
	ck_assert_uint_eq(ok.stmt_id, 7);
	ck_assert_uint_eq(ok.ncols, 2);
	ck_assert_uint_eq(ok.nparams, 2);
	ck_assert_uint_eq(ok.warnings, 1);
	for (size_t k = 0; k < 12; k++) { /* cut anywhere: refused */
		uint8_t *d = dup_exact(p, k);
		ck_assert_int_eq(proto_parse_prepare_ok(d, k, &ok), -1);
		free(d);
	}
	static const uint8_t err[] = "\xff\x28\x04#42000x\x00\x00";
	ck_assert_int_eq(proto_parse_prepare_ok(err, 12, &ok), -1);
}
END_TEST

static Suite *replies_suite(void)
{
	Suite *su = suite_create("replies");
	TCase *tc = tcase_create("kinds");
	tcase_add_test(tc, response_kinds);
	tcase_add_test(tc, prepare_ok_golden);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(replies_suite)
