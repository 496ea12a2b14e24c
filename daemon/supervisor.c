/* supervisor: mypoold's main process (see supervisor.h). */
#include "autoconfig.h"

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "config.h"
#include "listen.h"
#include "log.h"
#include "supervisor.h"
#include "worker.h"

#define RESPAWN_MIN_MS 100
#define RESPAWN_MAX_MS 10000
#define STABLE_AFTER_MS 10000 /* a worker that lived this long resets the backoff */

struct supervisor {
	const struct config *cfg;
	struct event_base *base;
	int fds[2];
	unsigned n_fds;
	pid_t worker;
	uint64_t worker_started_ms;
	unsigned backoff_ms;
	bool stopping;
	int stop_signal;
	int exit_status;
	struct event *respawn_timer;
	struct event *sigev[5];
};

static const int handled_signals[5] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP };

static void spawn_worker(struct supervisor *sv);

static void on_respawn(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct supervisor *sv = arg;
	if (!sv->stopping)
		spawn_worker(sv);
}

static void spawn_worker(struct supervisor *sv)
{
	pid_t pid = fork();
	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		sv->backoff_ms = RESPAWN_MAX_MS;
		struct timeval tv = { RESPAWN_MAX_MS / 1000, 0 };
		evtimer_add(sv->respawn_timer, &tv);
		return;
	}
	if (pid == 0) {
		/* The child: give up the supervisor's event loop. event_reinit() first, so that
		 * freeing it cannot touch the epoll instance the parent still uses; then default
		 * signal handling, and the worker. */
		event_reinit(sv->base);
		for (int i = 0; i < 5; i++)
			event_free(sv->sigev[i]);
		event_free(sv->respawn_timer);
		event_base_free(sv->base);
		for (int i = 0; i < 5; i++)
			signal(handled_signals[i], SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		exit(worker_main(sv->cfg, sv->fds, sv->n_fds));
	}
	sv->worker = pid;
	sv->worker_started_ms = mono_ms();
	log_info("started worker process %d", (int)pid);
}

static void on_sigchld(struct supervisor *sv)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != sv->worker) {
			log_debug("reaped process %d", (int)pid);
			continue;
		}
		sv->worker = 0;
		if (sv->stopping) {
			log_info("worker process %d exited", (int)pid);
			event_base_loopbreak(sv->base);
			continue;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_CONFIG) {
			log_error("worker process %d failed on its configuration; not restarting it", (int)pid);
			sv->exit_status = 1;
			sv->stopping = true;
			event_base_loopbreak(sv->base);
			continue;
		}
		if (WIFSIGNALED(status))
			log_error("worker process %d was killed by signal %d", (int)pid, WTERMSIG(status));
		else
			log_error("worker process %d exited with status %d", (int)pid, WEXITSTATUS(status));
		uint64_t lived = mono_ms() - sv->worker_started_ms;
		if (lived > STABLE_AFTER_MS || sv->backoff_ms == 0)
			sv->backoff_ms = RESPAWN_MIN_MS;
		else if ((sv->backoff_ms *= 2) > RESPAWN_MAX_MS)
			sv->backoff_ms = RESPAWN_MAX_MS;
		log_info("restarting the worker in %u ms", sv->backoff_ms);
		struct timeval tv = { sv->backoff_ms / 1000, (sv->backoff_ms % 1000) * 1000 };
		evtimer_add(sv->respawn_timer, &tv);
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct supervisor *sv = arg;
	switch (sig) {
	case SIGCHLD:
		on_sigchld(sv);
		return;
	case SIGHUP:
		if (sv->worker)
			kill(sv->worker, SIGHUP);
		return;
	default:
		break;
	}
	/* SIGTERM: graceful; SIGINT/SIGQUIT: fast. A second signal escalates to fast. */
	int relay = sig == SIGTERM && !sv->stopping ? SIGTERM : SIGINT;
	log_info("%s shutdown requested", relay == SIGTERM ? "graceful" : "fast");
	sv->stopping = true;
	evtimer_del(sv->respawn_timer);
	if (sv->worker)
		kill(sv->worker, relay);
	else
		event_base_loopbreak(sv->base);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mypoold [-c FILE] [-t] [-V] [-h]\n"
		"A connection pool for MySQL and MariaDB.\n\n"
		"  -c, --config FILE  configuration file (default %s/mypoold.ini)\n"
		"  -t, --test         check the configuration, print every error, and exit\n"
		"                     (0 = valid, 1 = errors)\n"
		"  -V, --version      print the version and exit\n"
		"  -h, --help         this help\n\n"
		"Signals: SIGTERM = graceful shutdown, SIGINT = fast shutdown, SIGHUP = reload.\n",
		SYSCONFDIR);
}

static int run(const char *path, const struct config *cfg)
{
	struct supervisor sv = { .cfg = cfg };
	char err[512];
	log_set_role("supervisor");
	int fd = listen_unix(cfg->listen, cfg->socket_mode, err, sizeof(err));
	if (fd < 0) {
		log_error("%s", err);
		return 1;
	}
	sv.fds[sv.n_fds++] = fd;
	if (cfg->listen_tcp) {
		fd = listen_tcp(cfg->listen_tcp, err, sizeof(err));
		if (fd < 0) {
			log_error("%s", err);
			close(sv.fds[0]);
			unlink(cfg->listen);
			return 1;
		}
		sv.fds[sv.n_fds++] = fd;
	}
	sv.base = event_base_new();
	if (!sv.base) {
		log_error("cannot create the event loop");
		return 1;
	}
	sv.respawn_timer = evtimer_new(sv.base, on_respawn, &sv);
	for (int i = 0; i < 5; i++) {
		sv.sigev[i] = evsignal_new(sv.base, handled_signals[i], on_signal, &sv);
		event_add(sv.sigev[i], NULL);
	}
	signal(SIGPIPE, SIG_IGN);
	log_info("mypoold %s starting: config %s, listening on %s%s%s", PACKAGE_VERSION, path, cfg->listen,
		 cfg->listen_tcp ? " and " : "", cfg->listen_tcp ? cfg->listen_tcp : "");
	spawn_worker(&sv);
	event_base_dispatch(sv.base);

	/* Reap anything left (the worker was reaped already when we get here normally). */
	if (sv.worker) {
		kill(sv.worker, SIGKILL);
		waitpid(sv.worker, NULL, 0);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	for (unsigned i = 0; i < sv.n_fds; i++)
		close(sv.fds[i]);
	unlink(cfg->listen);
	for (int i = 0; i < 5; i++)
		event_free(sv.sigev[i]);
	event_free(sv.respawn_timer);
	event_base_free(sv.base);
	log_info("mypoold stopped");
	return sv.exit_status;
}

int mypoold_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = SYSCONFDIR "/mypoold.ini";
	bool test_only = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:tVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 't':
			test_only = true;
			break;
		case 'V':
			printf("mypoold %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mypoold: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	struct config *cfg = NULL;
	int errors = config_load(path, stderr, &cfg);
	if (errors != 0) {
		fprintf(stderr, "mypoold: %s: %d error%s\n", path, errors, errors == 1 ? "" : "s");
		return 1;
	}
	if (test_only) {
		printf("mypoold: %s: configuration is valid\n", path);
		config_free(cfg);
		return 0;
	}
	log_set_level((enum log_level)cfg->log_level);
	log_open(cfg->log_syslog, getenv("JOURNAL_STREAM") == NULL, "mypoold");
	int rc = run(path, cfg);
	config_free(cfg);
	return rc;
}
