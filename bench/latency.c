/* latency: the round trip of one SELECT 1 on one connection, as a client sees it.
 * Times mysql_query + mysql_store_result + mysql_free_result with CLOCK_MONOTONIC, after a
 * warm-up, and prints percentiles in microseconds.
 *
 *   gcc -O2 bench/latency.c $(pkg-config --cflags --libs libmariadb) -o latency
 *   latency -S SOCKET -u USER [-p PASSWORD] [-D DB] [-n ITERATIONS] [-w WARMUP]
 *
 * Output (one line on stdout):
 *   n=N p50_us=.. p90_us=.. p99_us=.. mean_us=.. min_us=.. max_us=..
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int one(MYSQL *m)
{
	if (mysql_query(m, "SELECT 1") != 0)
		return -1;
	MYSQL_RES *r = mysql_store_result(m);
	if (!r)
		return -1;
	mysql_free_result(r);
	return 0;
}

/* The value at quantile q of sorted v[0..n-1] (nearest rank). */
static double pct(const double *v, long n, double q)
{
	long i = (long)(q * (double)n + 0.5) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

static void usage(void)
{
	fprintf(stderr, "usage: latency -S SOCKET -u USER [-p PASSWORD] [-D DB] [-n ITERATIONS] [-w WARMUP]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *sock = NULL, *user = NULL, *pass = "", *db = NULL;
	long n = 20000, warm = 2000;
	int c;
	while ((c = getopt(argc, argv, "S:u:p:D:n:w:")) != -1) {
		switch (c) {
		case 'S': sock = optarg; break;
		case 'u': user = optarg; break;
		case 'p': pass = optarg; break;
		case 'D': db = optarg; break;
		case 'n': n = atol(optarg); break;
		case 'w': warm = atol(optarg); break;
		default: usage();
		}
	}
	if (!sock || !user || n < 1 || warm < 0)
		usage();
	MYSQL *m = mysql_init(NULL);
	unsigned timeout = 30;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
	if (!mysql_real_connect(m, NULL, user, pass, db, 0, sock, 0)) {
		fprintf(stderr, "latency: connect: %u %s\n", mysql_errno(m), mysql_error(m));
		return 1;
	}
	for (long i = 0; i < warm; i++) {
		if (one(m) != 0) {
			fprintf(stderr, "latency: SELECT 1 (warm-up): %u %s\n", mysql_errno(m), mysql_error(m));
			return 1;
		}
	}
	double *v = malloc((size_t)n * sizeof(*v));
	double sum = 0;
	for (long i = 0; i < n; i++) {
		double t0 = now_us();
		if (one(m) != 0) {
			fprintf(stderr, "latency: SELECT 1: %u %s\n", mysql_errno(m), mysql_error(m));
			return 1;
		}
		v[i] = now_us() - t0;
		sum += v[i];
	}
	mysql_close(m);
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("n=%ld p50_us=%.1f p90_us=%.1f p99_us=%.1f mean_us=%.1f min_us=%.1f max_us=%.1f\n", n,
	       pct(v, n, 0.50), pct(v, n, 0.90), pct(v, n, 0.99), sum / (double)n, v[0], v[n - 1]);
	free(v);
	return 0;
}
