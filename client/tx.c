/* tx: transactions, and the helper that retries one on deadlock or lock wait timeout. */
#include "autoconfig.h"

#include <stdlib.h>
#include <time.h>

#include "internal.h"

#define ER_LOCK_WAIT_TIMEOUT_ 1205
#define ER_LOCK_DEADLOCK_ 1213
#define BACKOFF_MAX_MS 100

int mypool_begin(mypool_conn *conn)
{
	return mypool_exec(conn, "START TRANSACTION", NULL, NULL);
}

int mypool_commit(mypool_conn *conn)
{
	return mypool_exec(conn, "COMMIT", NULL, NULL);
}

int mypool_rollback(mypool_conn *conn)
{
	return mypool_exec(conn, "ROLLBACK", NULL, NULL);
}

static bool retryable(const struct mypool_conn *conn, int rc)
{
	return rc == MYPOOL_ERR_SERVER &&
	       (conn->err_no == ER_LOCK_DEADLOCK_ || conn->err_no == ER_LOCK_WAIT_TIMEOUT_);
}

/* Roll back after a failure, keeping the failure's error state for the caller. */
static void rollback_keep_error(struct mypool_conn *conn)
{
	struct mypool__saved_error e;

	mypool__conn_save_error(conn, &e);
	(void)mypool_rollback(conn); /* may fail too (connection lost): the first error matters */
	mypool__conn_restore_error(conn, &e);
}

/* A random pause of 1 to 2^failures ms (at most BACKOFF_MAX_MS), so that two transactions
 * that deadlocked do not meet again at once. */
static void backoff(struct mypool_conn *conn, unsigned failures)
{
	unsigned max_ms = failures < 7 ? 1u << failures : BACKOFF_MAX_MS;
	struct timespec ts;
	unsigned ms;

	if (max_ms > BACKOFF_MAX_MS)
		max_ms = BACKOFF_MAX_MS;
	ms = 1 + (unsigned)rand_r(&conn->rand_state) % max_ms;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)ms * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

int mypool_transaction(mypool_conn *conn, unsigned max_attempts, mypool_tx_fn fn, void *arg)
{
	unsigned attempt;
	int rc = 0;

	if (conn == NULL)
		return MYPOOL_ERR_INVAL;
	if (max_attempts == 0 || fn == NULL) {
		mypool__conn_clear_error(conn);
		return mypool__conn_fail(conn, MYPOOL_ERR_INVAL,
					 "mypool_transaction: max_attempts is 0 or fn is NULL");
	}
	for (attempt = 1; attempt <= max_attempts; attempt++) {
		if (attempt > 1)
			backoff(conn, attempt - 1);
		rc = mypool_begin(conn);
		if (rc < 0)
			return rc;
		rc = fn(conn, arg);
		if (rc > 0) {
			/* The application's own reason to give up: not an error of the library. */
			(void)mypool_rollback(conn);
			return rc;
		}
		if (rc == 0) {
			rc = mypool_commit(conn);
			if (rc == 0)
				return 0;
		} else if (conn->last_error == 0) {
			/* fn failed with a code it did not get from this connection */
			mypool__conn_fail(conn, rc, "the transaction function failed: %s",
					  mypool_strerror(rc));
		}
		rollback_keep_error(conn);
		if (!retryable(conn, rc))
			return rc;
	}
	return rc;
}
