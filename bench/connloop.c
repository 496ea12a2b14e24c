/* connloop: the PHP-style workload. N threads, each in a loop for T seconds:
 * connect, SELECT 1, read the result, disconnect. Prints the connections per second.
 *
 *   gcc -O2 bench/connloop.c $(pkg-config --cflags --libs libmariadb) -lpthread -o connloop
 *   connloop -S SOCKET -u USER -p PASSWORD [-D DB] [-t THREADS] [-T SECONDS]
 *
 * Output (one line on stdout):
 *   conns=N errors=E seconds=S conn_per_s=R
 * The first few errors are printed on stderr. Exit status 0, or 1 if nothing succeeded.
 */
#include <errno.h>
#include <mysql.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *sock, *user, *pass = "", *db;
static double seconds = 10;
static atomic_int stop;
static atomic_long n_errors_printed;

struct result {
	long conns, errors;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report_error(const char *what, MYSQL *m)
{
	if (atomic_fetch_add(&n_errors_printed, 1) < 5)
		fprintf(stderr, "connloop: %s: %u %s\n", what, mysql_errno(m), mysql_error(m));
}

static void *run(void *arg)
{
	struct result *r = arg;
	mysql_thread_init();
	while (!atomic_load(&stop)) {
		MYSQL *m = mysql_init(NULL);
		if (!m) {
			r->errors++;
			continue;
		}
		unsigned timeout = 30;
		mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
		mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
		mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
		if (!mysql_real_connect(m, NULL, user, pass, db, 0, sock, 0)) {
			report_error("connect", m);
			r->errors++;
			mysql_close(m);
			continue;
		}
		if (mysql_query(m, "SELECT 1") != 0) {
			report_error("SELECT 1", m);
			r->errors++;
			mysql_close(m);
			continue;
		}
		MYSQL_RES *res = mysql_store_result(m);
		if (!res) {
			report_error("store_result", m);
			r->errors++;
			mysql_close(m);
			continue;
		}
		mysql_free_result(res);
		mysql_close(m);
		r->conns++;
	}
	mysql_thread_end();
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: connloop -S SOCKET -u USER [-p PASSWORD] [-D DB] [-t THREADS] [-T SECONDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int threads = 1, c;
	while ((c = getopt(argc, argv, "S:u:p:D:t:T:")) != -1) {
		switch (c) {
		case 'S': sock = optarg; break;
		case 'u': user = optarg; break;
		case 'p': pass = optarg; break;
		case 'D': db = optarg; break;
		case 't': threads = atoi(optarg); break;
		case 'T': seconds = atof(optarg); break;
		default: usage();
		}
	}
	if (!sock || !user || threads < 1 || seconds <= 0)
		usage();
	if (mysql_library_init(0, NULL, NULL) != 0) {
		fprintf(stderr, "connloop: mysql_library_init failed\n");
		return 1;
	}
	pthread_t *tid = calloc((size_t)threads, sizeof(*tid));
	struct result *res = calloc((size_t)threads, sizeof(*res));
	double t0 = now();
	for (int i = 0; i < threads; i++) {
		int rc = pthread_create(&tid[i], NULL, run, &res[i]);
		if (rc != 0) {
			fprintf(stderr, "connloop: pthread_create: %s\n", strerror(rc));
			return 1;
		}
	}
	struct timespec ts = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	atomic_store(&stop, 1);
	long conns = 0, errors = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		conns += res[i].conns;
		errors += res[i].errors;
	}
	double elapsed = now() - t0;
	printf("conns=%ld errors=%ld seconds=%.3f conn_per_s=%.1f\n", conns, errors, elapsed,
	       (double)conns / elapsed);
	mysql_library_end();
	return conns > 0 ? 0 : 1;
}
