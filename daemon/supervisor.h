/* supervisor: the mypoold process — command line, config check, listening sockets, privileges,
 * and the worker process it forks, reaps and respawns.
 *
 * Single-threaded and dumb on purpose: no database code; signal callbacks only act through the
 * event loop; every child is reaped in a waitpid(WNOHANG) loop (no zombies); a crashing worker
 * is respawned with exponential backoff, one that failed on its configuration is not; SIGTERM
 * (graceful) and SIGINT (fast) are relayed to the worker, and the supervisor exits 0 once it
 * has been reaped, removing the socket file and the pid file. The worker dies with the
 * supervisor (PR_SET_PDEATHSIG), so nothing is orphaned.
 *
 * Startup: the listening sockets are opened (or taken from systemd: LISTEN_FDS), the pid file is
 * written, and, when started as root with `user` set, the supervisor switches to that user for
 * good (initgroups, setgid, setuid) before the worker is forked: no client is served as root.
 * systemd is told READY=1 after the fork, RELOADING=1 / READY=1 around a reload and STOPPING=1
 * at shutdown (the sd_notify protocol, without libsystemd; nothing when NOTIFY_SOCKET is unset).
 *
 * Reload (SIGHUP): the file is read and checked again; with errors, each is logged ("reload
 * refused: ...") and nothing changes. Otherwise the keys that cannot change at runtime keep their
 * running values (and are logged), the new snapshot becomes the supervisor's (a respawned worker
 * starts with it), and the worker gets SIGHUP and re-reads the file itself. */
#ifndef MYPOOL_SUPERVISOR_H
#define MYPOOL_SUPERVISOR_H

/* The whole program: parse argv, then check the config (-t) or run. Returns the exit status. */
int mypoold_main(int argc, char **argv);

/* Worker exit status meaning "do not respawn me: the configuration is unusable". */
#define WORKER_EXIT_CONFIG 78

#endif
