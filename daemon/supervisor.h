/* supervisor: the mypoold process — command line, config check, listening sockets, and the
 * worker process it forks, reaps and respawns.
 *
 * Single-threaded and dumb on purpose: no database code; signal callbacks only act through the
 * event loop; every child is reaped in a waitpid(WNOHANG) loop (no zombies); a crashing worker
 * is respawned with exponential backoff, one that failed on its configuration is not; SIGTERM
 * (graceful) and SIGINT (fast) are relayed to the worker, and the supervisor exits 0 once it
 * has been reaped, removing the socket file. The worker dies with the supervisor
 * (PR_SET_PDEATHSIG), so nothing is orphaned. */
#ifndef MYPOOL_SUPERVISOR_H
#define MYPOOL_SUPERVISOR_H

/* The whole program: parse argv, then check the config (-t) or run. Returns the exit status. */
int mypoold_main(int argc, char **argv);

/* Worker exit status meaning "do not respawn me: the configuration is unusable". */
#define WORKER_EXIT_CONFIG 78

#endif
