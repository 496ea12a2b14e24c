/* mypool-report: stream a table (or a query) to CSV on stdout, one row at a time.
 *
 *   mypool-report [-S socket|host:port] [-u user] [-p password] [-d database] [-n max-rows]
 *                 (TABLE | -q SQL)
 *
 * Defaults: $MYPOOL_SOCKET or /run/mypool/mypool.sock, $MYPOOL_USER or app, $MYPOOL_PASSWORD (or
 * none), $MYPOOL_DB or test. The output is RFC 4180 CSV with a header line; NULL is an empty
 * field, an empty string is "". Memory stays flat whatever the size of the table: the cursor
 * holds one row at a time. With -n the cursor is closed after that many rows, mid-result.
 *
 * Build: cc report.c $(pkg-config --cflags --libs mypool) -o mypool-report */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mypool.h>

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : dflt;
}

static void usage(void)
{
	fprintf(stderr, "usage: mypool-report [-S socket|host:port] [-u user] [-p password] "
			"[-d database] [-n max-rows] (TABLE | -q SQL)\n");
	exit(2);
}

/* One CSV field: quoted when it holds a comma, a quote, CR or LF, or is empty (so that an
 * empty string differs from NULL). */
static void put_field(const char *s, size_t len, FILE *out)
{
	size_t i;

	if (len > 0 && strcspn(s, ",\"\r\n") >= len && memchr(s, '\0', len) == NULL) {
		fwrite(s, 1, len, out);
		return;
	}
	putc('"', out);
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			putc('"', out);
		putc(s[i], out);
	}
	putc('"', out);
}

/* `db`.`table` from "table" or "db.table", backquotes doubled. */
static char *quote_table(const char *name)
{
	size_t n = strlen(name), i, o = 0;
	char *q = malloc(2 * n + 8);

	if (q == NULL)
		return NULL;
	q[o++] = '`';
	for (i = 0; i < n; i++) {
		if (name[i] == '.') {
			q[o++] = '`';
			q[o++] = '.';
			q[o++] = '`';
			continue;
		}
		if (name[i] == '`')
			q[o++] = '`';
		q[o++] = name[i];
	}
	q[o++] = '`';
	q[o] = '\0';
	return q;
}

int main(int argc, char **argv)
{
	const char *target = NULL, *user = env_or("MYPOOL_USER", "app");
	const char *password = env_or("MYPOOL_PASSWORD", NULL), *database = env_or("MYPOOL_DB", "test");
	const char *sql = NULL;
	char *query = NULL, *table;
	unsigned long long max_rows = 0, rows = 0;
	static char outbuf[1 << 16];
	struct timespec t0, t1;
	mypool_conn *conn;
	mypool_cursor *cur;
	mypool_row *row;
	unsigned ncols, i;
	int opt, rc, status = 0;

	while ((opt = getopt(argc, argv, "S:u:p:d:n:q:h")) != -1) {
		switch (opt) {
		case 'S': target = optarg; break;
		case 'u': user = optarg; break;
		case 'p': password = optarg; break;
		case 'd': database = optarg; break;
		case 'n': max_rows = strtoull(optarg, NULL, 10); break;
		case 'q': sql = optarg; break;
		default: usage();
		}
	}
	if ((sql == NULL) == (optind >= argc) || optind + (sql == NULL) != argc)
		usage();
	if (sql == NULL) {
		table = quote_table(argv[optind]);
		if (table == NULL || (query = malloc(strlen(table) + 16)) == NULL) {
			fprintf(stderr, "mypool-report: out of memory\n");
			return 1;
		}
		sprintf(query, "SELECT * FROM %s", table);
		free(table);
		sql = query;
	}

	/* The connection belongs to us: mypool_conn_free() at the end. */
	conn = mypool_conn_new();
	if (conn == NULL) {
		fprintf(stderr, "mypool-report: out of memory\n");
		return 1;
	}
	if (mypool_connect(conn, target, user, password, database) < 0) {
		fprintf(stderr, "mypool-report: connect: %s (%u)\n", mypool_errmsg(conn),
			mypool_errno(conn));
		mypool_conn_free(conn);
		return 1;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The cursor is ours too (mypool_cursor_close()); rows are streamed as we read them. */
	cur = mypool_query(conn, sql);
	if (cur == NULL) {
		fprintf(stderr, "mypool-report: %s: %s (%u, SQLSTATE %s)\n", sql, mypool_errmsg(conn),
			mypool_errno(conn), mypool_sqlstate(conn));
		mypool_conn_free(conn);
		free(query);
		return 1;
	}
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	ncols = mypool_column_count(cur);
	for (i = 0; i < ncols; i++) {
		const char *name = mypool_column_name(cur, i);

		if (i > 0)
			putchar(',');
		put_field(name, strlen(name), stdout);
	}
	putchar('\n');

	mypool_foreach_row (cur, row, rc) {
		for (i = 0; i < ncols; i++) {
			const char *s;
			size_t len;

			if (i > 0)
				putchar(',');
			/* NULL stays an empty field; every other value has a text form. */
			if (mypool_row_string(row, i, &s, &len) == 0)
				put_field(s, len, stdout);
		}
		putchar('\n');
		if (ferror(stdout))
			break;
		if (++rows == max_rows)
			break; /* closing the cursor below discards the rest of the result */
	}
	if (rc < 0) {
		fprintf(stderr, "mypool-report: after %llu rows: %s (%u)\n", rows, mypool_errmsg(conn),
			mypool_errno(conn));
		status = 1;
	}
	mypool_cursor_close(cur);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mypool-report: writing the output: %s\n", strerror(errno));
		status = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "mypool-report: %llu rows in %.2f s\n", rows,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	mypool_conn_free(conn);
	free(query);
	return status;
}
