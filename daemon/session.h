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

struct worker;
struct worker_thread;

/* Session ids: the handshake's connection id, CONNECTION_ID() (the server connection's
 * pseudo_thread_id is set to it) and the id KILL takes. They count up from SESSION_ID_BASE and
 * are never reused while the supervisor runs; a server's own thread ids stay far below. */
#define SESSION_ID_BASE 0x80000000u
uint32_t session_next_id(struct worker *w);

/* Start a session for an accepted, non-blocking client fd on thread t (runs until it waits);
 * tcp: the fd came from a TCP listener (its peer address is looked up). */
void session_start(struct worker_thread *t, int fd, uint32_t id, bool tcp);
/* Graceful shutdown: sessions waiting for their next command close now, the others after the
 * current command (and transaction). */
void session_drain_all(struct worker_thread *t);

#endif
