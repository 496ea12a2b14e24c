/* coro: stackful coroutines for client sessions (ucontext + mmap'd stacks with a guard page).
 *
 * A worker thread's event loop resumes a coroutine when the thing it waits for happens; the
 * coroutine runs until it waits again (coro_yield) or returns. Coroutines never move between
 * threads. Switches are annotated for AddressSanitizer and ThreadSanitizer builds. */
#ifndef MYPOOL_CORO_H
#define MYPOOL_CORO_H

#include <stdbool.h>
#include <stddef.h>

struct coro;
typedef void (*coro_fn)(void *arg);

/* Create a coroutine that will run fn(arg) on its own stack of `stack_size` bytes (rounded up to
 * pages; one more guard page below it). Returns NULL if the stack cannot be mapped. */
struct coro *coro_create(size_t stack_size, coro_fn fn, void *arg);
/* Run c until it yields or finishes. Must be called from the thread's scheduler, not from
 * inside another coroutine. */
void coro_resume(struct coro *c);
/* Give control back to whoever resumed the current coroutine. */
void coro_yield(void);
/* The coroutine running on this thread, or NULL in the scheduler. */
struct coro *coro_current(void);
bool coro_finished(const struct coro *c);
/* Called on the scheduler's stack right after c finished (it may free c). */
void coro_set_cleanup(struct coro *c, void (*cleanup)(void *arg));
/* Log context shown while c runs (log_set_context on every switch); must outlive c. */
void coro_set_log_context(struct coro *c, const char *ctx);
/* Free a finished (or never started) coroutine and its stack. */
void coro_free(struct coro *c);
/* Opaque per-coroutine slot used by io.c for the event it currently waits on. */
void **coro_wait_slot(struct coro *c);
/* Bytes of stack the coroutine has touched (pages resident), for memory reports. */
size_t coro_stack_size(const struct coro *c);

#endif
