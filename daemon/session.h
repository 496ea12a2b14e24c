/* session: one client connection, run as a coroutine on its worker thread.
 *
 * It reads top-down: handshake, authentication, then a loop that reads a command, makes sure a
 * backend is attached and matches the client's session state (schema, character set,
 * multi-statements), relays the command as raw packets and streams the response back through a
 * bounded output buffer. When that buffer passes its high watermark the session writes it out
 * before reading more from the backend, so a slow client slows the backend down instead of
 * growing memory. Every exit goes through one place that decides the backend's fate. */
#ifndef MYPOOL_SESSION_H
#define MYPOOL_SESSION_H

#include <stdint.h>

struct worker_thread;

/* Start a session for an accepted, non-blocking client fd on thread t (runs until it waits). */
void session_start(struct worker_thread *t, int fd, uint32_t id);
/* Graceful shutdown: sessions waiting for their next command close now, the others after the
 * current command (and transaction). */
void session_drain_all(struct worker_thread *t);

#endif
