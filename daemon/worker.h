/* worker: the worker process — a main thread that accepts clients, and N worker threads
 * (thread.h), each with its own event loop and the coroutines of its client sessions; the pool
 * upkeep on thread 0; reload (SIGHUP) and graceful shutdown (SIGTERM). */
#ifndef MYPOOL_WORKER_H
#define MYPOOL_WORKER_H

#include <stdint.h>

struct config;

/* Run the worker process until shutdown; returns the process exit status. The listening fds
 * belong to the supervisor and are inherited; session_ids (NULL: none) counts the sessions of
 * every worker the supervisor started; metrics_fd (-1: none) is the metrics listener's. */
int worker_main(const struct config *cfg, const int *listen_fds, unsigned n_listen, int metrics_fd,
		uint32_t *session_ids);

#endif
