/* idleconns: open many client connections (full handshake and authentication with libmariadb)
 * and keep them open and idle, so that the memory a server or proxy spends on them can be read.
 *
 *   gcc -O2 bench/idleconns.c $(pkg-config --cflags --libs libmariadb) -lpthread -o idleconns
 *   idleconns -S SOCKET -u USER [-p PASSWORD] [-D DB] -n COUNT [-j THREADS] [-q] [-x]
 *
 *   -j  threads that open the connections (default 4)
 *   -q  once all are open, run SELECT 1 on each of them, in order, keeping all of them open
 *       (a multiplexing probe: over pool_size backends, more clients than pool_size only get an
 *       answer if the pool hands backends back between statements)
 *   -x  exit right after the report instead of holding the connections
 *
 * Prints one line on stdout once everything is open (and queried):
 *   READY ok=N failed=F query_ok=Q query_failed=E seconds=S
 * then, without -x, holds the connections until SIGTERM or SIGINT.
 * Raise the open-file limit first (ulimit -n): every connection is a file descriptor.
 */
#include <mysql.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *sock, *user, *pass = "", *db;
static MYSQL **conns;
static long count;
static int nthreads = 4;
static atomic_long next_idx, n_failed, n_printed;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *opener(void *arg)
{
	(void)arg;
	mysql_thread_init();
	for (;;) {
		long i = atomic_fetch_add(&next_idx, 1);
		if (i >= count)
			break;
		MYSQL *m = mysql_init(NULL);
		unsigned timeout = 60;
		mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
		mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
		mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
		if (!mysql_real_connect(m, NULL, user, pass, db, 0, sock, 0)) {
			if (atomic_fetch_add(&n_printed, 1) < 5)
				fprintf(stderr, "idleconns: connect #%ld: %u %s\n", i, mysql_errno(m), mysql_error(m));
			atomic_fetch_add(&n_failed, 1);
			mysql_close(m);
			m = NULL;
		}
		conns[i] = m;
	}
	mysql_thread_end();
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: idleconns -S SOCKET -u USER [-p PASSWORD] [-D DB] -n COUNT [-j THREADS] [-q] [-x]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int c, query = 0, exit_now = 0;
	while ((c = getopt(argc, argv, "S:u:p:D:n:j:qx")) != -1) {
		switch (c) {
		case 'S': sock = optarg; break;
		case 'u': user = optarg; break;
		case 'p': pass = optarg; break;
		case 'D': db = optarg; break;
		case 'n': count = atol(optarg); break;
		case 'j': nthreads = atoi(optarg); break;
		case 'q': query = 1; break;
		case 'x': exit_now = 1; break;
		default: usage();
		}
	}
	if (!sock || !user || count < 1 || nthreads < 1)
		usage();
	/* Block the signals that end the hold, before any thread exists; sigwait() takes them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	mysql_library_init(0, NULL, NULL);
	conns = calloc((size_t)count, sizeof(*conns));
	double t0 = now();
	pthread_t *tid = calloc((size_t)nthreads, sizeof(*tid));
	for (int i = 0; i < nthreads; i++)
		pthread_create(&tid[i], NULL, opener, NULL);
	for (int i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	long q_ok = 0, q_failed = 0;
	if (query) {
		for (long i = 0; i < count; i++) {
			if (!conns[i])
				continue;
			MYSQL_RES *r = NULL;
			if (mysql_query(conns[i], "SELECT 1") == 0 && (r = mysql_store_result(conns[i])) != NULL) {
				mysql_free_result(r);
				q_ok++;
			} else {
				if (atomic_fetch_add(&n_printed, 1) < 5)
					fprintf(stderr, "idleconns: SELECT 1 on #%ld: %u %s\n", i, mysql_errno(conns[i]),
						mysql_error(conns[i]));
				q_failed++;
			}
		}
	}
	long failed = atomic_load(&n_failed);
	printf("READY ok=%ld failed=%ld query_ok=%ld query_failed=%ld seconds=%.2f\n", count - failed, failed, q_ok,
	       q_failed, now() - t0);
	fflush(stdout);
	if (!exit_now) {
		int sig;
		sigwait(&set, &sig);
	}
	/* Close politely (COM_QUIT), so the other side sees ordinary disconnects. */
	for (long i = 0; i < count; i++)
		if (conns[i])
			mysql_close(conns[i]);
	mysql_library_end();
	return failed == 0 && q_failed == 0 ? 0 : 1;
}
