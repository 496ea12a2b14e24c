/* The transaction-pooling rule (hold.c): every row of docs/architecture.md's "kept while" and
 * "pinned" tables, in the order hold_why() gives them, and what a lost or given-up connection
 * means for each. */
#include "autoconfig.h"

#include <check.h>

#include "check_main.h"
#include "hold.h"
#include "proto.h"

static struct hold fresh(void)
{
	struct hold h;
	hold_init(&h, false);
	return h;
}

START_TEST(test_nothing_holds_a_fresh_client)
{
	struct hold h = fresh();
	ck_assert_int_eq(hold_why(&h), HOLD_NONE);
	ck_assert(!hold_state_on_connection(&h));
	ck_assert_str_eq(hold_reason_name(HOLD_NONE), "");
}
END_TEST

START_TEST(test_session_pooling_holds_always_and_never_pins)
{
	struct hold h;
	hold_init(&h, true);
	ck_assert_int_eq(hold_why(&h), HOLD_SESSION_POOLING);
	ck_assert(hold_state_on_connection(&h));
	ck_assert(!hold_pin(&h, PIN_TEMP_TABLE)); /* nothing to count: it holds anyway */
	ck_assert_uint_eq(h.pins, 0);
	hold_forget(&h); /* COM_RESET_CONNECTION: still session pooling */
	ck_assert_int_eq(hold_why(&h), HOLD_SESSION_POOLING);
}
END_TEST

START_TEST(test_pins_last_until_forgotten)
{
	for (int r = 0; r < PIN_COUNT; r++) {
		struct hold h = fresh();
		ck_assert(hold_pin(&h, (enum pin_reason)r));
		ck_assert(!hold_pin(&h, (enum pin_reason)r)); /* counted once */
		ck_assert_int_eq(hold_why(&h), HOLD_PINNED);
		hold_command(&h);
		hold_status(&h, STATUS_AUTOCOMMIT, false);
		ck_assert_int_eq(hold_why(&h), HOLD_PINNED); /* commands do not end it */
		ck_assert(hold_state_on_connection(&h));
		ck_assert_str_ne(pin_reason_name((enum pin_reason)r), "?");
		hold_forget(&h);
		ck_assert_int_eq(hold_why(&h), HOLD_NONE);
	}
	ck_assert_str_eq(pin_reason_name(PIN_COUNT), "?");
}
END_TEST

START_TEST(test_transaction)
{
	struct hold h = fresh();
	hold_status(&h, STATUS_IN_TRANS | STATUS_AUTOCOMMIT, false);
	ck_assert_int_eq(hold_why(&h), HOLD_TRANSACTION);
	ck_assert(hold_state_on_connection(&h));
	hold_command(&h);
	ck_assert_int_eq(hold_why(&h), HOLD_TRANSACTION);
	hold_status(&h, STATUS_AUTOCOMMIT, false); /* COMMIT */
	ck_assert_int_eq(hold_why(&h), HOLD_NONE);
}
END_TEST

/* An ERR carries no status: with autocommit off the failed statement may have begun a
 * transaction (MariaDB's unsafe_binlog_innodb), with autocommit on it cannot have. */
START_TEST(test_error_with_autocommit_off)
{
	struct hold h = fresh();
	hold_error(&h);
	ck_assert_int_eq(hold_why(&h), HOLD_NONE);
	hold_status(&h, 0, false); /* SET autocommit = 0 */
	ck_assert_int_eq(hold_why(&h), HOLD_NONE);
	hold_command(&h);
	hold_error(&h);
	ck_assert_int_eq(hold_why(&h), HOLD_TRANSACTION);
	ck_assert(hold_state_on_connection(&h));
	hold_command(&h);
	hold_status(&h, 0, false); /* the next response says there is none */
	ck_assert_int_eq(hold_why(&h), HOLD_NONE);
}
END_TEST

START_TEST(test_lock_tables_and_set_transaction)
{
	struct hold h = fresh();
	hold_trx_state(&h, "_______L", 8); /* the transaction state tracker under LOCK TABLES */
	ck_assert_int_eq(hold_why(&h), HOLD_TABLE_LOCKS);
	ck_assert(hold_state_on_connection(&h));
	hold_trx_state(&h, "________", 8); /* UNLOCK TABLES */
	ck_assert_int_eq(hold_why(&h), HOLD_NONE);
	hold_trx_state(&h, "L", 1); /* too short to say */
	ck_assert_int_eq(hold_why(&h), HOLD_NONE);
	hold_trx_characteristics(&h, 30); /* SET TRANSACTION READ ONLY */
	ck_assert_int_eq(hold_why(&h), HOLD_TRX_CHARACTERISTICS);
	ck_assert(hold_state_on_connection(&h));
	hold_trx_characteristics(&h, 0); /* used by the transaction it was for */
	ck_assert_int_eq(hold_why(&h), HOLD_NONE);
}
END_TEST

START_TEST(test_cursors)
{
	struct hold h = fresh();
	h.cursors = true;
	ck_assert_int_eq(hold_why(&h), HOLD_CURSOR);
	ck_assert(hold_state_on_connection(&h));
}
END_TEST

START_TEST(test_one_more_command)
{
	static const enum hold_reason once[] = { HOLD_DIAGNOSTICS, HOLD_FOUND_ROWS, HOLD_STATE_DETAILS };
	for (unsigned i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		struct hold h = fresh();
		hold_next(&h, once[i]);
		ck_assert_int_eq(hold_why(&h), once[i]);
		/* Kept, but nothing on the connection is the client's: lost, the session goes on;
		 * given up, no reset is needed. */
		ck_assert(!hold_state_on_connection(&h));
		hold_command(&h);
		ck_assert_int_eq(hold_why(&h), HOLD_NONE);
	}
	struct hold h = fresh();
	hold_status(&h, STATUS_SESSION_STATE_CHANGED, true); /* an EOF: details with the next OK */
	ck_assert_int_eq(hold_why(&h), HOLD_STATE_DETAILS);
	h = fresh();
	hold_status(&h, STATUS_SESSION_STATE_CHANGED, false); /* an OK carries them itself */
	ck_assert_int_eq(hold_why(&h), HOLD_NONE);
}
END_TEST

START_TEST(test_first_reason_wins)
{
	struct hold h = fresh();
	hold_next(&h, HOLD_DIAGNOSTICS);
	h.cursors = true;
	hold_trx_characteristics(&h, 5);
	hold_trx_state(&h, "_______L", 8);
	hold_status(&h, STATUS_IN_TRANS, false);
	hold_pin(&h, PIN_LOCK);
	static const enum hold_reason order[] = { HOLD_PINNED, HOLD_TRANSACTION, HOLD_TABLE_LOCKS,
						   HOLD_TRX_CHARACTERISTICS, HOLD_CURSOR, HOLD_DIAGNOSTICS };
	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		ck_assert_int_eq(hold_why(&h), order[i]);
		ck_assert_str_ne(hold_reason_name(order[i]), "?");
		switch (order[i]) { /* take that one away: the next shows */
		case HOLD_PINNED: h.pins = 0; break;
		case HOLD_TRANSACTION: hold_status(&h, 0, false); break;
		case HOLD_TABLE_LOCKS: h.locked = false; break;
		case HOLD_TRX_CHARACTERISTICS: h.trx_chars = false; break;
		case HOLD_CURSOR: h.cursors = false; break;
		default: hold_command(&h); break;
		}
	}
	ck_assert_int_eq(hold_why(&h), HOLD_NONE);
}
END_TEST

static Suite *hold_suite(void)
{
	Suite *su = suite_create("hold");
	TCase *tc = tcase_create("rule");
	tcase_add_test(tc, test_nothing_holds_a_fresh_client);
	tcase_add_test(tc, test_session_pooling_holds_always_and_never_pins);
	tcase_add_test(tc, test_pins_last_until_forgotten);
	tcase_add_test(tc, test_transaction);
	tcase_add_test(tc, test_error_with_autocommit_off);
	tcase_add_test(tc, test_lock_tables_and_set_transaction);
	tcase_add_test(tc, test_cursors);
	tcase_add_test(tc, test_one_more_command);
	tcase_add_test(tc, test_first_reason_wins);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(hold_suite)
