/* tx_binary: binary-protocol scenarios for test_transaction.py (libmariadb's mysql_stmt_* API).
 *
 *   tx_binary SOCKET USER PASSWORD DB MODE
 *
 * MODE is one of: params, cursor, longdata, many, cursor_many, sp_cursor, collation. Every result goes to stdout as
 * one line ("R tag a|b|NULL" for a row, "OK tag affected=N insert_id=N" for a statement without
 * result set, "E tag ERRNO message" for an error, "END tag" after the last row), compared by the
 * test with the expected transcript. At "SYNC tag BACKEND" (BACKEND: @@pseudo_thread_id, the
 * server connection the text protocol runs on now) the program waits for a line on stdin: the
 * test uses the pause to move the client to another backend or to check who holds which one.
 * Exit status 0 when the scenario ran to the end (whatever the results), 2 on a usage or setup
 * error. Built by the test: gcc tx_binary.c $(pkg-config --cflags --libs libmariadb). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>

static MYSQL *m;

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("FATAL ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	exit(2);
}

/* The server connection id the text protocol lands on now (never CONNECTION_ID(): it pins). */
static unsigned long backend_id(void)
{
	if (mysql_query(m, "SELECT @@pseudo_thread_id") != 0) {
		printf("E backend_id %u %s\n", mysql_errno(m), mysql_error(m));
		return 0;
	}
	MYSQL_RES *r = mysql_store_result(m);
	if (!r) {
		printf("E backend_id %u %s\n", mysql_errno(m), mysql_error(m));
		return 0;
	}
	MYSQL_ROW row = mysql_fetch_row(r);
	unsigned long id = row && row[0] ? strtoul(row[0], NULL, 10) : 0;
	mysql_free_result(r);
	return id;
}

static void sync_point(const char *fmt, ...)
{
	char tag[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tag, sizeof(tag), fmt, ap);
	va_end(ap);
	printf("SYNC %s %lu\n", tag, backend_id());
	fflush(stdout);
	char line[64];
	if (!fgets(line, sizeof(line), stdin))
		fail("stdin closed at %s", tag);
}

/* A text query; rows printed as "T tag a|b". */
static void text(const char *tag, const char *sql)
{
	if (mysql_query(m, sql) != 0) {
		printf("E %s %u %s\n", tag, mysql_errno(m), mysql_error(m));
		return;
	}
	MYSQL_RES *r = mysql_store_result(m);
	if (!r) {
		printf("OK %s affected=%llu\n", tag, (unsigned long long)mysql_affected_rows(m));
		return;
	}
	unsigned n = mysql_num_fields(r);
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(r))) {
		printf("T %s", tag);
		for (unsigned i = 0; i < n; i++)
			printf("%s%s", i ? "|" : " ", row[i] ? row[i] : "NULL");
		printf("\n");
	}
	mysql_free_result(r);
}

static MYSQL_STMT *prepare(const char *tag, const char *sql)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	if (!st)
		fail("mysql_stmt_init");
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		printf("E %s %u %s\n", tag, mysql_stmt_errno(st), mysql_stmt_error(st));
		mysql_stmt_close(st);
		return NULL;
	}
	printf("P %s params=%lu cols=%u\n", tag, mysql_stmt_param_count(st), mysql_stmt_field_count(st));
	return st;
}

#define MAXCOLS 8
struct out {
	MYSQL_BIND b[MAXCOLS];
	char buf[MAXCOLS][512];
	unsigned long len[MAXCOLS];
	my_bool null[MAXCOLS], err[MAXCOLS];
	unsigned n;
};

/* Bind every result column as a string. */
static void bind_out(MYSQL_STMT *st, struct out *o)
{
	memset(o, 0, sizeof(*o));
	o->n = mysql_stmt_field_count(st);
	if (o->n > MAXCOLS)
		fail("too many columns");
	for (unsigned i = 0; i < o->n; i++) {
		o->b[i].buffer_type = MYSQL_TYPE_STRING;
		o->b[i].buffer = o->buf[i];
		o->b[i].buffer_length = sizeof(o->buf[i]) - 1;
		o->b[i].length = &o->len[i];
		o->b[i].is_null = &o->null[i];
		o->b[i].error = &o->err[i];
	}
	if (o->n && mysql_stmt_bind_result(st, o->b) != 0)
		fail("bind_result: %s", mysql_stmt_error(st));
}

static void print_row(const char *tag, struct out *o)
{
	printf("R %s", tag);
	for (unsigned i = 0; i < o->n; i++) {
		if (o->null[i]) {
			printf("%sNULL", i ? "|" : " ");
		} else {
			unsigned long l = o->len[i] < sizeof(o->buf[i]) - 1 ? o->len[i] : sizeof(o->buf[i]) - 1;
			o->buf[i][l] = 0;
			printf("%s%s", i ? "|" : " ", o->buf[i]);
		}
	}
	printf("\n");
}

/* Fetch and print whatever is left of the result. */
static void fetch_all(MYSQL_STMT *st, const char *tag, struct out *o)
{
	int rc;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED)
		print_row(tag, o);
	if (rc == 1)
		printf("E %s %u %s\n", tag, mysql_stmt_errno(st), mysql_stmt_error(st));
	else
		printf("END %s\n", tag);
}

/* Execute and print the whole result (stored), or the OK. */
static void exec(MYSQL_STMT *st, const char *tag)
{
	if (mysql_stmt_execute(st) != 0) {
		printf("E %s %u %s\n", tag, mysql_stmt_errno(st), mysql_stmt_error(st));
		return;
	}
	if (mysql_stmt_field_count(st) == 0) {
		printf("OK %s affected=%llu insert_id=%llu\n", tag, (unsigned long long)mysql_stmt_affected_rows(st),
		       (unsigned long long)mysql_stmt_insert_id(st));
		return;
	}
	struct out o;
	bind_out(st, &o);
	if (mysql_stmt_store_result(st) != 0) {
		printf("E %s %u %s\n", tag, mysql_stmt_errno(st), mysql_stmt_error(st));
		return;
	}
	fetch_all(st, tag, &o);
	mysql_stmt_free_result(st);
}

static void bind_long(MYSQL_BIND *b, long long *v)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = v;
}

static void bind_double(MYSQL_BIND *b, double *v)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_DOUBLE;
	b->buffer = v;
}

static void bind_str(MYSQL_BIND *b, char *buf, unsigned long *len, my_bool *is_null)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = buf;
	b->buffer_length = 256;
	b->length = len;
	b->is_null = is_null;
}

static void set_str(char *buf, unsigned long *len, const char *v)
{
	strcpy(buf, v);
	*len = strlen(v);
}

/* Parameters of several types, NULL, rebinding, and statements prepared on one backend and
 * executed on others. */
static void mode_params(void)
{
	MYSQL_STMT *p1 = prepare("p1", "SELECT ? + 1, CONCAT('<', ?, '>'), COALESCE(?, 'null')");
	MYSQL_STMT *p2 = prepare("p2", "INSERT INTO tx_bin (s, n) VALUES (?, ?)");
	MYSQL_STMT *p3 = prepare("p3", "SELECT id, s, n FROM tx_bin_rows WHERE id BETWEEN ? AND ? ORDER BY id");
	if (!p1 || !p2 || !p3)
		return;
	MYSQL_BIND b[3];
	long long a = 41;
	char s1[256], s2[256];
	unsigned long l1, l2;
	my_bool n1 = 0, n2 = 1;
	bind_long(&b[0], &a);
	bind_str(&b[1], s1, &l1, &n1);
	bind_str(&b[2], s2, &l2, &n2);
	set_str(s1, &l1, "abc");
	set_str(s2, &l2, "");
	if (mysql_stmt_bind_param(p1, b) != 0)
		fail("bind p1: %s", mysql_stmt_error(p1));
	sync_point("move1");
	exec(p1, "e1");
	sync_point("move2");
	/* New values, same bindings: the execute does not resend the types. */
	a = 1;
	set_str(s1, &l1, "");
	set_str(s2, &l2, "x");
	n2 = 0;
	exec(p1, "e2");
	sync_point("move3");
	/* Rebound with other types. */
	double d = 1.5;
	long long k = 7;
	bind_double(&b[0], &d);
	bind_long(&b[1], &k);
	set_str(s2, &l2, "9");
	if (mysql_stmt_bind_param(p1, b) != 0)
		fail("bind p1: %s", mysql_stmt_error(p1));
	exec(p1, "e3");
	sync_point("move4");
	d = -0.25;
	k = -3;
	n2 = 1;
	exec(p1, "e4");
	sync_point("move5");
	/* A string with quotes, a backslash and UTF-8 travels as a parameter, untouched. */
	MYSQL_BIND c[3];
	long long z = 0;
	bind_long(&c[0], &z);
	bind_str(&c[1], s1, &l1, &n1);
	bind_str(&c[2], s2, &l2, &n2);
	set_str(s1, &l1, "it's \"q\" \\ \xc3\xa9");
	n1 = 0;
	n2 = 1;
	if (mysql_stmt_bind_param(p1, c) != 0)
		fail("bind p1: %s", mysql_stmt_error(p1));
	exec(p1, "e5");

	/* Inserts on alternating backends. */
	MYSQL_BIND ib[2];
	char is[256];
	unsigned long il;
	my_bool inull = 0;
	long long in = 0;
	bind_str(&ib[0], is, &il, &inull);
	bind_long(&ib[1], &in);
	if (mysql_stmt_bind_param(p2, ib) != 0)
		fail("bind p2: %s", mysql_stmt_error(p2));
	for (int i = 1; i <= 4; i++) {
		char tag[16];
		snprintf(tag, sizeof(tag), "i%d", i);
		snprintf(is, sizeof(is), "ins-%d", i);
		il = strlen(is);
		in = i * 100;
		inull = i == 3; /* s is NULL for the third */
		sync_point("move_i%d", i);
		exec(p2, tag);
	}

	/* Result sets with metadata, on several backends. */
	MYSQL_BIND rb[2];
	long long lo = 2, hi = 4;
	bind_long(&rb[0], &lo);
	bind_long(&rb[1], &hi);
	if (mysql_stmt_bind_param(p3, rb) != 0)
		fail("bind p3: %s", mysql_stmt_error(p3));
	exec(p3, "r1");
	sync_point("move6");
	lo = 49;
	hi = 60;
	exec(p3, "r2");
	sync_point("move7");
	lo = 5;
	hi = 4;
	exec(p3, "r3");
	/* An error on one backend, then the statement still works on another. */
	sync_point("move8");
	MYSQL_STMT *p4 = prepare("p4", "INSERT INTO tx_bin_rows (id, s) VALUES (?, 'dup')");
	long long dup = 1;
	MYSQL_BIND db[1];
	bind_long(&db[0], &dup);
	if (p4 && mysql_stmt_bind_param(p4, db) == 0) {
		exec(p4, "d1");
		sync_point("move9");
		exec(p1, "e6");
		mysql_stmt_close(p4);
	}
	mysql_stmt_close(p1);
	mysql_stmt_close(p2);
	mysql_stmt_close(p3);
}

/* A read-only cursor fetched row by row keeps its backend; once exhausted or reset, the client
 * moves again. */
static void mode_cursor(void)
{
	MYSQL_STMT *st = prepare("c", "SELECT id, s FROM tx_bin_rows WHERE id <= ? ORDER BY id");
	if (!st)
		return;
	unsigned long type = CURSOR_TYPE_READ_ONLY, prefetch = 1;
	mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &type);
	mysql_stmt_attr_set(st, STMT_ATTR_PREFETCH_ROWS, &prefetch);
	long long lim = 20;
	MYSQL_BIND b[1];
	bind_long(&b[0], &lim);
	mysql_stmt_bind_param(st, b);
	sync_point("move1");
	if (mysql_stmt_execute(st) != 0) {
		printf("E c1 %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		return;
	}
	struct out o;
	bind_out(st, &o);
	for (int i = 1; i <= 20; i++) {
		int rc = mysql_stmt_fetch(st);
		if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
			printf("E c1 %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
			return;
		}
		print_row("c1", &o);
		if (i % 5 == 0)
			sync_point("hold%d", i);
	}
	fetch_all(st, "c1", &o); /* nothing left: END */
	mysql_stmt_free_result(st);
	sync_point("move2");
	lim = 3;
	if (mysql_stmt_execute(st) != 0) {
		printf("E c2 %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		return;
	}
	bind_out(st, &o);
	fetch_all(st, "c2", &o);
	mysql_stmt_free_result(st);
	sync_point("move3");
	/* Closed early with mysql_stmt_reset. */
	lim = 30;
	if (mysql_stmt_execute(st) != 0) {
		printf("E c3 %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		return;
	}
	bind_out(st, &o);
	for (int i = 0; i < 2; i++) {
		int rc = mysql_stmt_fetch(st);
		if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
			printf("E c3 %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
			return;
		}
		print_row("c3", &o);
	}
	sync_point("hold_c3");
	if (mysql_stmt_reset(st) != 0)
		printf("E reset %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
	else
		printf("OK reset\n");
	sync_point("move4");
	lim = 2;
	if (mysql_stmt_execute(st) != 0) {
		printf("E c4 %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		return;
	}
	bind_out(st, &o);
	fetch_all(st, "c4", &o);
	mysql_stmt_close(st);
}

/* COM_STMT_SEND_LONG_DATA: 100 KiB in four pieces keeps the backend until the execute;
 * mysql_stmt_reset drops pending long data. */
static void mode_longdata(void)
{
	MYSQL_STMT *st = prepare("l", "INSERT INTO tx_blob (id, b) VALUES (?, ?)");
	if (!st)
		return;
	long long id = 1;
	MYSQL_BIND b[2];
	bind_long(&b[0], &id);
	memset(&b[1], 0, sizeof(b[1]));
	b[1].buffer_type = MYSQL_TYPE_LONG_BLOB;
	if (mysql_stmt_bind_param(st, b) != 0)
		fail("bind: %s", mysql_stmt_error(st));
	sync_point("move1");
	static char chunk[25600];
	for (int k = 0; k < 4; k++) {
		for (int i = 0; i < (int)sizeof(chunk); i++)
			chunk[i] = (char)((k * (int)sizeof(chunk) + i) % 251);
		if (mysql_stmt_send_long_data(st, 1, chunk, sizeof(chunk)) != 0)
			printf("E long%d %u %s\n", k, mysql_stmt_errno(st), mysql_stmt_error(st));
		sync_point("hold%d", k);
	}
	exec(st, "l1");
	sync_point("move2");
	text("v1", "SELECT LENGTH(b), MD5(b) FROM tx_blob WHERE id = 1");

	/* Long data, then a reset: the execute must not see it. */
	id = 2;
	if (mysql_stmt_send_long_data(st, 1, "garbage", 7) != 0)
		printf("E long_r %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
	sync_point("hold_r");
	if (mysql_stmt_reset(st) != 0)
		printf("E reset %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
	else
		printf("OK reset\n");
	sync_point("move3");
	char small[256];
	unsigned long sl;
	my_bool sn = 0;
	bind_long(&b[0], &id);
	bind_str(&b[1], small, &sl, &sn);
	set_str(small, &sl, "small");
	if (mysql_stmt_bind_param(st, b) != 0)
		fail("bind: %s", mysql_stmt_error(st));
	exec(st, "l2");
	sync_point("move4");
	text("v2", "SELECT id, LENGTH(b), MD5(b) FROM tx_blob ORDER BY id");
	mysql_stmt_close(st);
}

#define MANY 310

/* More distinct statements than a backend keeps (256): all of them still work, everywhere. */
static void mode_many(void)
{
	static MYSQL_STMT *sts[MANY];
	static long long vals[MANY];
	MYSQL_BIND b[MANY];
	int prepared = 0;
	for (int i = 0; i < MANY; i++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "SELECT ? + %d", i);
		sts[i] = mysql_stmt_init(m);
		if (mysql_stmt_prepare(sts[i], sql, strlen(sql)) != 0) {
			printf("E prep%d %u %s\n", i, mysql_stmt_errno(sts[i]), mysql_stmt_error(sts[i]));
			mysql_stmt_close(sts[i]);
			sts[i] = NULL;
			continue;
		}
		prepared++;
		bind_long(&b[i], &vals[i]);
		mysql_stmt_bind_param(sts[i], &b[i]);
	}
	printf("P many %d\n", prepared);
	sync_point("count1");
	for (int i = 0; i < MANY; i++) {
		if (!sts[i])
			continue;
		if (i % 100 == 0)
			sync_point("move%d", i);
		char tag[16];
		snprintf(tag, sizeof(tag), "m%d", i);
		vals[i] = 2 * i;
		exec(sts[i], tag);
	}
	sync_point("count2");
	/* Backwards, so that the least recently used are needed first. */
	for (int i = MANY - 1; i >= 0; i -= 7) {
		if (!sts[i])
			continue;
		char tag[16];
		snprintf(tag, sizeof(tag), "b%d", i);
		vals[i] = 1;
		exec(sts[i], tag);
	}
	sync_point("count3");
	for (int i = 0; i < MANY; i++)
		if (sts[i])
			mysql_stmt_close(sts[i]);
}

/* A cursor stays open while the same client prepares and runs 300 other statements on the
 * backend the cursor holds. */
static void mode_cursor_many(void)
{
	MYSQL_STMT *st = prepare("c", "SELECT id FROM tx_bin_rows WHERE id <= ? ORDER BY id");
	if (!st)
		return;
	unsigned long type = CURSOR_TYPE_READ_ONLY, prefetch = 1;
	mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &type);
	mysql_stmt_attr_set(st, STMT_ATTR_PREFETCH_ROWS, &prefetch);
	long long lim = 10;
	MYSQL_BIND b[1];
	bind_long(&b[0], &lim);
	mysql_stmt_bind_param(st, b);
	if (mysql_stmt_execute(st) != 0) {
		printf("E c %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		return;
	}
	struct out o;
	bind_out(st, &o);
	for (int i = 0; i < 3; i++) {
		int rc = mysql_stmt_fetch(st);
		if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
			printf("E c %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
			return;
		}
		print_row("c", &o);
	}
	int ok = 0;
	for (int i = 0; i < 300; i++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "SELECT %d + 1000", i);
		MYSQL_STMT *x = mysql_stmt_init(m);
		if (mysql_stmt_prepare(x, sql, strlen(sql)) != 0 || mysql_stmt_execute(x) != 0 ||
		    mysql_stmt_store_result(x) != 0) {
			printf("E x%d %u %s\n", i, mysql_stmt_errno(x), mysql_stmt_error(x));
		} else {
			ok++;
		}
		mysql_stmt_close(x);
	}
	printf("OK others %d\n", ok);
	fetch_all(st, "c", &o);
	mysql_stmt_close(st);
}

/* Stored programs with cursors of their own (issue 11, item 2): while such a cursor is open,
 * every result the program sends is flagged CURSOR_EXISTS; each result set is printed. (Not
 * with a cursor asked for: Connector/C itself loses its way there, on a direct connection.) */
static void mode_sp_cursor(void)
{
	static const char *const sqls[] = {
		"CALL tx_sp_cursor()",
		"BEGIN NOT ATOMIC DECLARE v INT; DECLARE cur CURSOR FOR VALUES(7); OPEN cur; FETCH cur INTO v; "
		"SELECT v; END",
	};
	for (int k = 0; k < 2; k++) {
		char tag[16];
		snprintf(tag, sizeof(tag), "s%d", k);
		MYSQL_STMT *st = prepare(tag, sqls[k]);
		if (!st)
			continue;
		if (mysql_stmt_execute(st) != 0) {
			printf("E %s %u %s\n", tag, mysql_stmt_errno(st), mysql_stmt_error(st));
			mysql_stmt_close(st);
			continue;
		}
		int more;
		do {
			if (mysql_stmt_field_count(st) > 0) {
				struct out o;
				bind_out(st, &o);
				if (mysql_stmt_store_result(st) != 0) {
					printf("E %s %u %s\n", tag, mysql_stmt_errno(st), mysql_stmt_error(st));
					break;
				}
				fetch_all(st, tag, &o);
				mysql_stmt_free_result(st);
			} else {
				printf("OK %s\n", tag);
			}
			more = mysql_stmt_next_result(st);
			if (more > 0)
				printf("E %s %u %s\n", tag, mysql_stmt_errno(st), mysql_stmt_error(st));
		} while (more == 0);
		mysql_stmt_close(st);
	}
	text("after", "SELECT 'still here'");
}

/* The connection's character set and collation in both protocols (issue 11, item 2b). A second
 * client runs a statement between any two of this one's: with pool_size = 1 every statement of
 * this client then lands on a server connection the other one used, in its default state. */
static MYSQL *other;

static void other_client(void)
{
	if (mysql_query(other, "SELECT 1") != 0)
		fail("other client: %u %s", mysql_errno(other), mysql_error(other));
	mysql_free_result(mysql_store_result(other));
}

static void ps(const char *tag, const char *sql)
{
	MYSQL_STMT *st = prepare(tag, sql);
	if (st) {
		exec(st, tag);
		mysql_stmt_close(st);
	}
	other_client();
}

static void both(const char *tag, const char *sql)
{
	char t2[32];
	ps(tag, sql);
	snprintf(t2, sizeof(t2), "%s_text", tag);
	text(t2, sql);
	other_client();
}

static void mode_collation(const char *sock, const char *user, const char *pass, const char *db)
{
	other = mysql_init(NULL);
	if (!other || !mysql_real_connect(other, NULL, user, pass, db, 0, sock, 0))
		fail("connect other: %u %s", mysql_errno(other), mysql_error(other));
	static const char show[] = "SELECT @@character_set_client, @@character_set_connection, "
				   "@@character_set_results, @@collation_connection, COLLATION('a'), 'a' = 'A', "
				   "'ß' = 'ss'";
	text("n1", "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci");
	other_client();
	both("c1", show);
	ps("n2", "SET NAMES latin1 COLLATE latin1_german2_ci");
	both("c2", show);
	both("m2", "SELECT 'a' COLLATE latin1_bin, 'b' COLLATE latin1_swedish_ci");
	ps("n3", "SET character_set_results = NULL");
	both("c3", show);
	ps("n4", "SET collation_connection = utf8mb4_bin");
	both("c4", show);
	both("m4", "SELECT 'a' COLLATE utf8mb4_unicode_ci");
	text("n5", "SET NAMES utf8mb4");
	other_client();
	both("c5", show);
	mysql_close(other);
}

/* KILL as a prepared statement names mypool's session ids, as in text (MariaDB's lock_kill under
 * --ps-protocol): KILL QUERY of an idle connection, an unknown id, KILL CONNECTION. */
static void mode_kill(const char *sock, const char *user, const char *pass, const char *db)
{
	other = mysql_init(NULL);
	if (!other || !mysql_real_connect(other, NULL, user, pass, db, 0, sock, 0))
		fail("connect other: %u %s", mysql_errno(other), mysql_error(other));
	if (mysql_query(other, "SELECT CONNECTION_ID()") != 0)
		fail("other client: %u %s", mysql_errno(other), mysql_error(other));
	MYSQL_RES *r = mysql_store_result(other);
	MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
	char sql[64];
	if (!row || !row[0])
		fail("no CONNECTION_ID()");
	snprintf(sql, sizeof(sql), "KILL QUERY %s", row[0]);
	ps("q", sql);
	ps("unknown", "KILL 4000000000");
	snprintf(sql, sizeof(sql), "KILL CONNECTION %s", row[0]);
	mysql_free_result(r);
	MYSQL_STMT *st = prepare("c", sql);
	if (st) {
		exec(st, "c");
		mysql_stmt_close(st);
	}
	usleep(200000);
	unsigned e = mysql_query(other, "SELECT 1") != 0 ? mysql_errno(other) : 0;
	printf("other %s\n", e == 1927 || e == 2006 || e == 2013 ? "killed" : e ? "failed otherwise" : "still there");
	mysql_close(other);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: %s SOCKET USER PASSWORD DB MODE\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	m = mysql_init(NULL);
	if (!m)
		fail("mysql_init");
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (!mysql_real_connect(m, NULL, argv[2], argv[3], argv[4], 0, argv[1], 0))
		fail("connect: %u %s", mysql_errno(m), mysql_error(m));
	const char *mode = argv[5];
	if (strcmp(mode, "params") == 0)
		mode_params();
	else if (strcmp(mode, "cursor") == 0)
		mode_cursor();
	else if (strcmp(mode, "longdata") == 0)
		mode_longdata();
	else if (strcmp(mode, "many") == 0)
		mode_many();
	else if (strcmp(mode, "cursor_many") == 0)
		mode_cursor_many();
	else if (strcmp(mode, "sp_cursor") == 0)
		mode_sp_cursor();
	else if (strcmp(mode, "collation") == 0)
		mode_collation(argv[1], argv[2], argv[3], argv[4]);
	else if (strcmp(mode, "kill") == 0)
		mode_kill(argv[1], argv[2], argv[3], argv[4]);
	else
		fail("unknown mode %s", mode);
	printf("DONE\n");
	fflush(stdout);
	mysql_close(m);
	return 0;
}
