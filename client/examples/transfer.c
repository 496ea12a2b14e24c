/* mypool-transfer: move money between two accounts in one transaction, retried on deadlock.
 *
 *   mypool-transfer [-S socket|host:port] [-u user] [-p password] [-d database] -i
 *       create the table `accounts` (if needed) with accounts 1 and 2 holding 1000 each
 *   mypool-transfer [connection options] [-r repeat] FROM TO AMOUNT
 *       move AMOUNT (an integer, e.g. cents) from account FROM to account TO, repeat times
 *
 * Defaults: $MYPOOL_SOCKET or /run/mypool/mypool.sock, $MYPOOL_USER or app, $MYPOOL_PASSWORD (or
 * none), $MYPOOL_DB or test. Exit status: 0 done, 1 refused (insufficient funds, no such
 * account), 2 error.
 *
 * The rows are locked in the order FROM, TO, so two transfers in opposite directions can
 * deadlock; try `mypool-transfer -r 200 1 2 1 & mypool-transfer -r 200 2 1 1; wait`. The server
 * then rolls one back (error 1213) and mypool_transaction() runs it again: the body computes
 * everything from what it reads, so running it twice is safe. Values are bound as parameters of
 * server-side prepared statements, never pasted into the SQL.
 *
 * Build: cc transfer.c $(pkg-config --cflags --libs mypool) -o mypool-transfer */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <mypool.h>

#define REFUSED 1 /* the transaction body's "roll back, this is not an error" */

struct transfer {
	int64_t from, to, amount;
	unsigned attempts;   /* runs of the body, for the report */
	const char *refusal; /* why it was refused */
	int64_t from_balance, to_balance;
};

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : dflt;
}

static void usage(void)
{
	fprintf(stderr, "usage: mypool-transfer [-S socket|host:port] [-u user] [-p password] "
			"[-d database] (-i | [-r repeat] FROM TO AMOUNT)\n");
	exit(2);
}

static int64_t parse_int(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0')
		usage();
	return v;
}

/* Lock one account's row and read its balance. Returns 1 (found), 0 (no such account) or a
 * negative mypool error. */
static int lock_account(mypool_conn *conn, int64_t id, int64_t *balance)
{
	mypool_param p[] = { MYPOOL_INT64(id) };
	mypool_cursor *cur = mypool_query_params(
		conn, "SELECT balance FROM accounts WHERE id = ? FOR UPDATE", p, MYPOOL_NPARAMS(p));
	mypool_row *row;
	int rc;

	if (cur == NULL)
		return mypool_last_error(conn);
	rc = mypool_next(cur, &row);
	if (rc == 1 && (rc = mypool_row_int64(row, 0, balance)) == 0)
		rc = 1;
	mypool_cursor_close(cur); /* always: the body must not leave cursors open */
	return rc;
}

static int add(mypool_conn *conn, int64_t id, int64_t delta)
{
	mypool_param p[] = { MYPOOL_INT64(delta), MYPOOL_INT64(id) };

	return mypool_exec_params(conn, "UPDATE accounts SET balance = balance + ? WHERE id = ?", p,
				  MYPOOL_NPARAMS(p), NULL, NULL);
}

/* The transaction body: run by mypool_transaction() between BEGIN and COMMIT, perhaps more
 * than once. Returns 0 (commit), REFUSED (roll back), or a negative mypool error (roll back;
 * retried if it was a deadlock or a lock wait timeout). */
static int transfer_body(mypool_conn *conn, void *arg)
{
	struct transfer *t = arg;
	int rc;

	t->attempts++;
	rc = lock_account(conn, t->from, &t->from_balance);
	if (rc <= 0) {
		t->refusal = "no such account (from)";
		return rc < 0 ? rc : REFUSED;
	}
	rc = lock_account(conn, t->to, &t->to_balance);
	if (rc <= 0) {
		t->refusal = "no such account (to)";
		return rc < 0 ? rc : REFUSED;
	}
	if (t->from_balance < t->amount) {
		t->refusal = "insufficient funds";
		return REFUSED;
	}
	if ((rc = add(conn, t->from, -t->amount)) < 0 || (rc = add(conn, t->to, t->amount)) < 0)
		return rc;
	t->from_balance -= t->amount;
	t->to_balance += t->amount;
	return 0;
}

static int init_accounts(mypool_conn *conn)
{
	static const char *const sql[] = {
		"CREATE TABLE IF NOT EXISTS accounts (id BIGINT PRIMARY KEY, "
		"balance BIGINT NOT NULL) ENGINE=InnoDB",
		"INSERT IGNORE INTO accounts VALUES (1, 1000), (2, 1000)",
	};
	size_t i;

	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		if (mypool_exec(conn, sql[i], NULL, NULL) < 0)
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *target = NULL, *user = env_or("MYPOOL_USER", "app");
	const char *password = env_or("MYPOOL_PASSWORD", NULL), *database = env_or("MYPOOL_DB", "test");
	struct transfer t = { 0 };
	unsigned long repeat = 1, done, retried = 0;
	int opt, init = 0, rc = 0, status = 0;
	mypool_conn *conn;

	while ((opt = getopt(argc, argv, "S:u:p:d:r:ih")) != -1) {
		switch (opt) {
		case 'S': target = optarg; break;
		case 'u': user = optarg; break;
		case 'p': password = optarg; break;
		case 'd': database = optarg; break;
		case 'r': repeat = strtoul(optarg, NULL, 10); break;
		case 'i': init = 1; break;
		default: usage();
		}
	}
	if (init ? optind != argc : optind + 3 != argc)
		usage();

	conn = mypool_conn_new(); /* ours: freed with mypool_conn_free() */
	if (conn == NULL) {
		fprintf(stderr, "mypool-transfer: out of memory\n");
		return 2;
	}
	if (mypool_connect(conn, target, user, password, database) < 0) {
		fprintf(stderr, "mypool-transfer: connect: %s (%u)\n", mypool_errmsg(conn),
			mypool_errno(conn));
		mypool_conn_free(conn);
		return 2;
	}
	if (init) {
		if (init_accounts(conn) < 0) {
			fprintf(stderr, "mypool-transfer: %s (%u)\n", mypool_errmsg(conn),
				mypool_errno(conn));
			status = 2;
		}
		mypool_conn_free(conn);
		return status;
	}

	t.from = parse_int(argv[optind]);
	t.to = parse_int(argv[optind + 1]);
	t.amount = parse_int(argv[optind + 2]);
	if (t.amount <= 0 || t.from == t.to) {
		fprintf(stderr, "mypool-transfer: the amount must be positive and the accounts "
				"different\n");
		mypool_conn_free(conn);
		return 2;
	}
	for (done = 0; done < repeat; done++) {
		t.attempts = 0;
		/* Up to 10 runs of the body; deadlocks (1213) and lock wait timeouts (1205) retry. */
		rc = mypool_transaction(conn, 10, transfer_body, &t);
		if (t.attempts > 1)
			retried++;
		if (rc != 0)
			break;
	}
	if (rc == REFUSED) {
		fprintf(stderr, "mypool-transfer: refused: %s\n", t.refusal);
		status = 1;
	} else if (rc < 0) {
		fprintf(stderr, "mypool-transfer: %s: %s (%u, SQLSTATE %s)\n", mypool_strerror(rc),
			mypool_errmsg(conn), mypool_errno(conn), mypool_sqlstate(conn));
		status = 2;
	}
	printf("%lu transfer(s) of %" PRId64 " from %" PRId64 " to %" PRId64 ", %lu retried after "
	       "a deadlock or lock wait timeout", done, t.amount, t.from, t.to, retried);
	if (status == 0)
		printf("; balances now %" PRId64 " and %" PRId64, t.from_balance, t.to_balance);
	printf("\n");
	mypool_conn_free(conn);
	return status;
}
