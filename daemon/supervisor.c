/* supervisor: mypoold's main process (see supervisor.h). */
#include "autoconfig.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
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

/* ---------------------------------------------------------------------------------------------
 * sd_notify(3), hand-rolled: one datagram of "KEY=value" lines to $NOTIFY_SOCKET, a path or an
 * abstract name written with a leading '@'. Without NOTIFY_SOCKET every call does nothing. */

struct notify {
	int fd; /* -1: not under a service manager that listens */
	struct sockaddr_un sa;
	socklen_t salen;
};

static void notify_open(struct notify *n)
{
	const char *e = getenv("NOTIFY_SOCKET");
	size_t len;

	n->fd = -1;
	if (e == NULL || e[0] == '\0')
		return;
	len = strlen(e);
	if ((e[0] != '/' && e[0] != '@') || len >= sizeof(n->sa.sun_path)) {
		log_warn("NOTIFY_SOCKET=%s is not a Unix socket path or an abstract name: not notifying", e);
		goto out;
	}
	memset(&n->sa, 0, sizeof(n->sa));
	n->sa.sun_family = AF_UNIX;
	memcpy(n->sa.sun_path, e, len);
	if (e[0] == '@')
		n->sa.sun_path[0] = '\0'; /* abstract: the length below delimits the name */
	n->salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (e[0] == '/'));
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->fd < 0)
		log_warn("NOTIFY_SOCKET: socket: %s", strerror(errno));
out:
	/* Our children must not talk to the service manager as if they were us. */
	unsetenv("NOTIFY_SOCKET");
}

static void notify(struct notify *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void notify(struct notify *n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int len;

	if (n->fd < 0)
		return;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(msg))
		len = sizeof(msg) - 1;
	if (sendto(n->fd, msg, (size_t)len, MSG_NOSIGNAL, (struct sockaddr *)&n->sa, n->salen) < 0)
		log_debug("sd_notify: %s", strerror(errno));
}

static void notify_close(struct notify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

static unsigned long long monotonic_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------------------------------------------
 * Privileges: resolve `user` / `group` at startup, then switch for good. */

struct priv {
	bool drop;      /* started as root with `user` set: switch before forking the worker */
	uid_t uid;      /* owner for the sockets we create; (uid_t)-1 = leave as is */
	gid_t gid;
	char user[64];
};

/* Fills p; returns 0, or -1 after printing the reason to errs. */
static int priv_resolve(const struct config *cfg, struct priv *p, FILE *errs)
{
	struct passwd *pw;
	struct group *gr;

	memset(p, 0, sizeof(*p));
	p->uid = (uid_t)-1;
	p->gid = (gid_t)-1;
	if (cfg->user == NULL)
		return 0;
	errno = 0;
	pw = getpwnam(cfg->user);
	if (pw == NULL) {
		fprintf(errs, "%s: user '%s' does not exist%s%s\n", cfg->path, cfg->user, errno ? ": " : "",
			errno ? strerror(errno) : "");
		return -1;
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	snprintf(p->user, sizeof(p->user), "%s", pw->pw_name);
	if (cfg->group != NULL) {
		errno = 0;
		gr = getgrnam(cfg->group);
		if (gr == NULL) {
			fprintf(errs, "%s: group '%s' does not exist%s%s\n", cfg->path, cfg->group, errno ? ": " : "",
				errno ? strerror(errno) : "");
			return -1;
		}
		p->gid = gr->gr_gid;
	}
	if (geteuid() == 0) {
		p->drop = true;
		return 0;
	}
	/* Not root: only "switching" to who we already are is possible. */
	if (p->uid != geteuid()) {
		pw = getpwuid(geteuid());
		fprintf(errs, "%s: mypoold runs as %s (uid %ld), not as root: it cannot switch to user '%s' "
			"(start it as root, or as that user)\n", cfg->path, pw ? pw->pw_name : "?", (long)geteuid(),
			cfg->user);
		return -1;
	}
	if (cfg->group != NULL && p->gid != getegid()) {
		fprintf(errs, "%s: mypoold runs with group id %ld, not as root: it cannot switch to group '%s'\n",
			cfg->path, (long)getegid(), cfg->group);
		return -1;
	}
	p->uid = p->gid = (uid_t)-1; /* our sockets already belong to us */
	return 0;
}

/* Switch to p's user and group for good; returns 0 or -1 (logged). */
static int priv_drop(const struct priv *p)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (initgroups(p->user, p->gid) != 0) {
		log_error("initgroups(%s, %ld): %s", p->user, (long)p->gid, strerror(errno));
		return -1;
	}
	if (setgid(p->gid) != 0) {
		log_error("setgid(%ld): %s", (long)p->gid, strerror(errno));
		return -1;
	}
	if (setuid(p->uid) != 0) {
		log_error("setuid(%ld): %s", (long)p->uid, strerror(errno));
		return -1;
	}
	/* Real, effective and saved ids all changed, and root cannot be had back. */
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != p->uid || eu != p->uid ||
	    su != p->uid || rg != p->gid || eg != p->gid || sg != p->gid) {
		log_error("privileges not dropped: uid %ld/%ld/%ld gid %ld/%ld/%ld", (long)ru, (long)eu, (long)su,
			  (long)rg, (long)eg, (long)sg);
		return -1;
	}
	if (p->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		log_error("privileges not dropped: uid 0 could be regained");
		return -1;
	}
	if (p->gid != 0 && (setgid(0) == 0 || setegid(0) == 0)) {
		log_error("privileges not dropped: gid 0 could be regained");
		return -1;
	}
	log_info("running as user %s (uid %ld, gid %ld)", p->user, (long)p->uid, (long)p->gid);
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * The pid file: written whole (a temporary file renamed over it), removed at exit if it still
 * holds our pid. */

static int pidfile_write(const char *path)
{
	char tmp[PATH_MAX], buf[32];
	int fd, len;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		log_error("pidfile %s: path too long", path);
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		log_error("pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (fchmod(fd, 0644) != 0 || write(fd, buf, (size_t)len) != len || close(fd) != 0) {
		log_error("pidfile %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		log_error("pidfile %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void pidfile_remove(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (strtol(buf, NULL, 10) != (long)getpid())
		return; /* not ours any more */
	if (unlink(path) != 0)
		log_info("cannot remove the pid file %s: %s (its directory is not writable by this user)", path,
			 strerror(errno));
}

/* ---------------------------------------------------------------------------------------------
 * The supervisor proper. */

struct supervisor {
	const char *path;  /* the config file, read again on SIGHUP */
	struct config *cfg; /* the running snapshot (owned); a respawned worker gets it */
	struct event_base *base;
	int fds[2]; /* client listening sockets: the Unix socket, then TCP if configured */
	unsigned n_fds;
	bool unlink_listen;  /* we created cfg->listen (it was not passed by systemd) */
	bool unlink_metrics; /* same for a metrics_listen socket file */
	bool pidfile;        /* we wrote cfg->pidfile */
	struct notify notify;
	bool ready_sent;
	pid_t worker;
	uint64_t worker_started_ms;
	unsigned backoff_ms;
	bool stopping;
	int exit_status;
	struct event *respawn_timer;
	struct event *sigev[5];
	uint32_t *session_ids; /* shared with the workers (session_next_id): NULL if no memory */
};

static const int handled_signals[5] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP };

/* The metrics listener (inherited by each worker): set once at startup, before a worker is forked. */
static int metrics_fd = -1;

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
	if (!sv->session_ids) {
		/* Session ids count on across workers: one counter in memory the workers share. */
		void *m = mmap(NULL, sizeof(uint32_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			log_warn("mmap: %s: session ids start again with each worker", strerror(errno));
		else
			sv->session_ids = m;
	}
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
		notify_close(&sv->notify);
		for (int i = 0; i < 5; i++)
			signal(handled_signals[i], SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		exit(worker_main(sv->cfg, sv->fds, sv->n_fds, metrics_fd, sv->session_ids));
	}
	sv->worker = pid;
	sv->worker_started_ms = mono_ms();
	log_info("started worker process %d", (int)pid);
	/* The sockets are listening already: from now on connections are served (the kernel queues
	 * them until the worker accepts). */
	if (!sv->ready_sent) {
		sv->ready_sent = true;
		notify(&sv->notify, "READY=1\nMAINPID=%ld\nSTATUS=accepting connections on %s%s%s (worker %ld)",
		       (long)getpid(), sv->cfg->listen, sv->cfg->listen_tcp ? " and " : "",
		       sv->cfg->listen_tcp ? sv->cfg->listen_tcp : "", (long)pid);
	} else {
		notify(&sv->notify, "STATUS=worker restarted (pid %ld)", (long)pid);
	}
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
			notify(&sv->notify, "STOPPING=1\nSTATUS=the worker failed on its configuration");
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
		notify(&sv->notify, "STATUS=worker process %d died; restarting it in %u ms", (int)pid, sv->backoff_ms);
		struct timeval tv = { sv->backoff_ms / 1000, (sv->backoff_ms % 1000) * 1000 };
		evtimer_add(sv->respawn_timer, &tv);
	}
}

/* Log settings are reloadable: the supervisor's own lines follow the new file too. */
static void apply_log_settings(const struct config *cfg)
{
	log_set_level((enum log_level)cfg->log_level);
	log_open(cfg->log_syslog, getenv("JOURNAL_STREAM") == NULL, "mypoold");
}

static void reload(struct supervisor *sv)
{
	struct config *next = NULL;
	char *errs = NULL, changed[512];
	size_t errs_len = 0;
	int n, kept;

	if (sv->stopping)
		return;
	notify(&sv->notify, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s", monotonic_usec(), sv->path);
	log_info("SIGHUP: reloading %s", sv->path);
	FILE *f = open_memstream(&errs, &errs_len);
	if (f == NULL) {
		log_error("reload refused: out of memory");
		goto done;
	}
	n = config_load(sv->path, f, &next);
	fclose(f);
	if (n != 0) {
		char *save = NULL;
		for (char *line = strtok_r(errs, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
			log_error("reload refused: %s", line);
		log_error("reload refused: %d error%s; still running with the previous configuration", n,
			  n == 1 ? "" : "s");
		notify(&sv->notify, "READY=1\nSTATUS=reload refused (%d error%s); running with the previous "
				    "configuration", n, n == 1 ? "" : "s");
		free(errs);
		return;
	}
	kept = config_keep_fixed(next, sv->cfg, changed, sizeof(changed));
	if (kept < 0) {
		log_error("reload refused: out of memory");
		config_free(next);
		goto done;
	}
	if (kept > 0)
		log_warn("reload: %s changed; ignored until a restart (the key%s cannot change at runtime)", changed,
			 kept == 1 ? "" : "s");
	config_free(sv->cfg);
	sv->cfg = next;
	apply_log_settings(sv->cfg);
	if (sv->worker != 0)
		kill(sv->worker, SIGHUP);
	log_info("configuration reloaded from %s", sv->path);
done:
	free(errs);
	notify(&sv->notify, "READY=1\nSTATUS=accepting connections on %s%s%s (configuration reloaded)",
	       sv->cfg->listen, sv->cfg->listen_tcp ? " and " : "", sv->cfg->listen_tcp ? sv->cfg->listen_tcp : "");
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
		reload(sv);
		return;
	default:
		break;
	}
	/* SIGTERM: graceful; SIGINT/SIGQUIT: fast. A second signal escalates to fast. */
	int relay = sig == SIGTERM && !sv->stopping ? SIGTERM : SIGINT;
	log_info("%s shutdown requested", relay == SIGTERM ? "graceful" : "fast");
	notify(&sv->notify, "STOPPING=1\nSTATUS=%s shutdown", relay == SIGTERM ? "graceful" : "fast");
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
		"Signals: SIGTERM = graceful shutdown, SIGINT = fast shutdown, SIGHUP = reload.\n"
		"Under systemd: Type=notify (NOTIFY_SOCKET) and socket activation (LISTEN_FDS).\n",
		SYSCONFDIR);
}

/* Take the sockets systemd passed (socket activation), matched to the configuration by their
 * addresses. Returns 0, or -1 (logged: a socket that matches nothing is a unit/config mismatch
 * that would leave clients hanging in its backlog). */
static int take_inherited(struct supervisor *sv, int *unix_fd, int *tcp_fd)
{
	char err[256], desc[160];
	const struct config *cfg = sv->cfg;
	int n = listen_inherited(err, sizeof(err));
	if (n < 0) {
		log_error("%s", err);
		return -1;
	}
	for (int fd = LISTEN_FDS_START; fd < LISTEN_FDS_START + n; fd++) {
		enum listen_match m = listen_match(fd, cfg->listen, cfg->listen_tcp, cfg->metrics_listen, desc,
						   sizeof(desc));
		int *slot = m == LISTEN_MATCH_UNIX ? unix_fd
			  : m == LISTEN_MATCH_TCP  ? tcp_fd
			  : m == LISTEN_MATCH_OTHER ? &metrics_fd
						    : NULL;
		if (slot == NULL) {
			log_error("socket activation: fd %d (%s) matches none of listen (%s), listen_tcp (%s), "
				  "metrics_listen (%s): make the socket unit and the configuration agree",
				  fd, desc, cfg->listen, cfg->listen_tcp ? cfg->listen_tcp : "unset",
				  cfg->metrics_listen ? cfg->metrics_listen : "unset");
			return -1;
		}
		if (*slot >= 0) {
			log_error("socket activation: fd %d (%s) was passed twice", fd, desc);
			return -1;
		}
		*slot = fd;
		log_info("socket activation: using fd %d (%s)", fd, desc);
	}
	return 0;
}

static void close_sockets(struct supervisor *sv)
{
	for (unsigned i = 0; i < sv->n_fds; i++)
		close(sv->fds[i]);
	sv->n_fds = 0;
	if (metrics_fd >= 0)
		close(metrics_fd);
	metrics_fd = -1;
	if (sv->unlink_listen && unlink(sv->cfg->listen) != 0 && errno != ENOENT)
		log_info("cannot remove the socket file %s: %s (its directory is not writable by this user; "
			 "the next start replaces it)", sv->cfg->listen, strerror(errno));
	if (sv->unlink_metrics && unlink(sv->cfg->metrics_listen) != 0 && errno != ENOENT)
		log_info("cannot remove the socket file %s: %s", sv->cfg->metrics_listen, strerror(errno));
	sv->unlink_listen = sv->unlink_metrics = false;
}

/* Everything before the worker runs as the right user: sockets, pid file, privileges.
 * Returns 0, or -1 (logged; everything opened is closed again). */
static int setup(struct supervisor *sv, const struct priv *priv)
{
	char err[512];
	const struct config *cfg = sv->cfg;
	int unix_fd = -1, tcp_fd = -1;

	if (take_inherited(sv, &unix_fd, &tcp_fd) != 0)
		goto fail_inherited;
	if (unix_fd < 0) {
		unix_fd = listen_unix(cfg->listen, cfg->socket_mode, priv->uid, priv->gid, err, sizeof(err));
		if (unix_fd < 0) {
			log_error("%s", err);
			goto fail_inherited;
		}
		sv->unlink_listen = true;
	}
	sv->fds[sv->n_fds++] = unix_fd;
	if (cfg->listen_tcp != NULL) {
		if (tcp_fd < 0 && (tcp_fd = listen_tcp(cfg->listen_tcp, err, sizeof(err))) < 0) {
			log_error("%s", err);
			goto fail;
		}
		sv->fds[sv->n_fds++] = tcp_fd;
	}
	if (cfg->metrics_listen != NULL && metrics_fd < 0) {
		if (cfg->metrics_listen[0] == '/') {
			metrics_fd = listen_unix(cfg->metrics_listen, cfg->metrics_socket_mode, priv->uid, priv->gid, err,
						 sizeof(err));
			sv->unlink_metrics = metrics_fd >= 0;
		} else {
			metrics_fd = listen_tcp(cfg->metrics_listen, err, sizeof(err));
		}
		if (metrics_fd < 0) {
			log_error("metrics_listen: %s", err);
			goto fail;
		}
	}
	/* After the sockets: a second instance that fails on a busy socket leaves the pid file of
	 * the first alone. */
	if (cfg->pidfile != NULL) {
		if (pidfile_write(cfg->pidfile) != 0)
			goto fail;
		sv->pidfile = true;
	}
	if (priv->drop) {
		if (priv_drop(priv) != 0)
			goto fail;
		/* Reloads read the file as this user. */
		int fd = open(sv->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			log_warn("user %s cannot read %s (%s): reloads will be refused", priv->user, sv->path,
				 strerror(errno));
		else
			close(fd);
	} else if (geteuid() == 0) {
		log_warn("running as root: set 'user' in [mypoold] to serve clients as an unprivileged user");
	}
	return 0;

fail_inherited:
	/* An fd taken from systemd but not stored yet is still ours to close. */
	if (unix_fd >= 0)
		close(unix_fd);
	if (tcp_fd >= 0)
		close(tcp_fd);
fail:
	close_sockets(sv);
	if (sv->pidfile)
		pidfile_remove(cfg->pidfile);
	sv->pidfile = false;
	return -1;
}

/* Runs until shutdown; takes over cfg (a reload replaces it). Returns the exit status. */
static int run(const char *path, struct config *cfg, const struct priv *priv)
{
	struct supervisor sv = { .path = path, .cfg = cfg };
	log_set_role("supervisor");
	notify_open(&sv.notify);
	if (setup(&sv, priv) != 0) {
		notify(&sv.notify, "STATUS=startup failed (see the log)");
		goto fail;
	}
	sv.base = event_base_new();
	if (!sv.base) {
		log_error("cannot create the event loop");
		close_sockets(&sv);
		if (sv.pidfile)
			pidfile_remove(sv.cfg->pidfile);
		goto fail;
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
	close_sockets(&sv);
	if (sv.pidfile)
		pidfile_remove(sv.cfg->pidfile);
	for (int i = 0; i < 5; i++)
		event_free(sv.sigev[i]);
	event_free(sv.respawn_timer);
	event_base_free(sv.base);
	notify_close(&sv.notify);
	log_info("mypoold stopped");
	config_free(sv.cfg); /* the latest snapshot; the caller's was freed by a reload, or is this one */
	return sv.exit_status;
fail:
	notify_close(&sv.notify);
	config_free(sv.cfg);
	return 1;
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
	struct priv priv;
	int errors = config_load(path, stderr, &cfg);
	if (errors != 0) {
		fprintf(stderr, "mypoold: %s: %d error%s\n", path, errors, errors == 1 ? "" : "s");
		return 1;
	}
	/* Whether `user` and `group` exist, and can be switched to, is checked by -t as well. */
	if (priv_resolve(cfg, &priv, stderr) != 0) {
		fprintf(stderr, "mypoold: %s: 1 error\n", path);
		config_free(cfg);
		return 1;
	}
	if (test_only) {
		printf("mypoold: %s: configuration is valid\n", path);
		config_free(cfg);
		return 0;
	}
	apply_log_settings(cfg);
	return run(path, cfg, &priv);
}
