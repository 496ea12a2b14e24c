/* metrics: a Prometheus text endpoint (see metrics.c). */
#ifndef MYPOOL_METRICS_H
#define MYPOOL_METRICS_H

struct metrics;
struct worker;
struct worker_thread;

/* Serve /metrics on the listening socket fd (metrics_listen, opened by the supervisor; `where`
 * names it in the log) from thread t's loop. Call before t's loop runs. NULL (logged) if it
 * cannot. The socket stays the supervisor's. */
struct metrics *metrics_start(struct worker *w, struct worker_thread *t, int fd, const char *where);
/* After t's loop has ended. */
void metrics_stop(struct metrics *m);

#endif
