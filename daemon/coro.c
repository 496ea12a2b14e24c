/* coro: stackful coroutines (see coro.h). */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "coro.h"
#include "log.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CORO_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define CORO_TSAN 1
#endif

struct coro {
	ucontext_t ctx;
	ucontext_t *caller; /* the scheduler context that resumed us */
	coro_fn fn;
	void (*cleanup)(void *arg);
	void *arg;
	void *map;      /* guard page + stack */
	size_t map_len;
	void *stack;    /* usable stack start (above the guard page) */
	size_t stack_len;
	bool finished;
	void *wait;     /* io.c: the event we are suspended on */
	const char *log_ctx;
#ifdef CORO_ASAN
	void *fake_stack;
#endif
#ifdef CORO_TSAN
	void *tsan_fiber;
	void *tsan_caller;
#endif
};

static __thread struct coro *current;
static __thread ucontext_t scheduler_ctx;
#ifdef CORO_ASAN
/* The scheduler's (thread's) stack, learnt on the coroutine side of each switch. */
static __thread const void *sched_bottom;
static __thread size_t sched_size;
#endif

struct coro *coro_current(void) { return current; }
bool coro_finished(const struct coro *c) { return c->finished; }
void **coro_wait_slot(struct coro *c) { return &c->wait; }
size_t coro_stack_size(const struct coro *c) { return c->stack_len; }

static void trampoline(unsigned hi, unsigned lo)
{
	struct coro *c = (struct coro *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(NULL, &sched_bottom, &sched_size);
#endif
	c->fn(c->arg);
	c->finished = true;
	current = NULL;
#ifdef CORO_ASAN
	/* NULL fake-stack save: this stack is about to die. */
	__sanitizer_start_switch_fiber(NULL, sched_bottom, sched_size);
#endif
#ifdef CORO_TSAN
	__tsan_switch_to_fiber(c->tsan_caller, 0);
#endif
	setcontext(c->caller);
}

struct coro *coro_create(size_t stack_size, coro_fn fn, void *arg)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pg = page > 0 ? (size_t)page : 4096;
	size_t len = (stack_size + pg - 1) / pg * pg;
	/* volatile: getcontext() returns twice as far as the compiler knows */
	struct coro *volatile c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->map_len = len + pg;
	c->map = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (c->map == MAP_FAILED) {
		free(c);
		return NULL;
	}
	/* Stacks grow down: the guard page is the lowest page. */
	if (mprotect(c->map, pg, PROT_NONE) != 0) {
		munmap(c->map, c->map_len);
		free(c);
		return NULL;
	}
	c->stack = (char *)c->map + pg;
	c->stack_len = len;
	c->fn = fn;
	c->arg = arg;
	if (getcontext(&c->ctx) != 0) {
		munmap(c->map, c->map_len);
		free(c);
		return NULL;
	}
	c->ctx.uc_stack.ss_sp = c->stack;
	c->ctx.uc_stack.ss_size = c->stack_len;
	c->ctx.uc_link = NULL;
	uintptr_t p = (uintptr_t)c;
	makecontext(&c->ctx, (void (*)(void))trampoline, 2, (unsigned)(p >> 32), (unsigned)(p & 0xffffffffu));
#ifdef CORO_TSAN
	c->tsan_fiber = __tsan_create_fiber(0);
#endif
	return c;
}

void coro_resume(struct coro *c)
{
	if (c->finished)
		return;
	struct coro *prev = current;
	c->caller = &scheduler_ctx;
	current = c;
#ifdef CORO_ASAN
	void *fake = NULL;
	__sanitizer_start_switch_fiber(&fake, c->stack, c->stack_len);
#endif
#ifdef CORO_TSAN
	c->tsan_caller = __tsan_get_current_fiber();
	__tsan_switch_to_fiber(c->tsan_fiber, 0);
#endif
	log_set_context(c->log_ctx);
	swapcontext(&scheduler_ctx, &c->ctx);
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
	current = prev;
	log_set_context(prev ? prev->log_ctx : NULL);
	if (c->finished && c->cleanup)
		c->cleanup(c->arg); /* may free c */
}

void coro_set_log_context(struct coro *c, const char *ctx)
{
	c->log_ctx = ctx;
}

void coro_set_cleanup(struct coro *c, void (*cleanup)(void *arg))
{
	c->cleanup = cleanup;
}

void coro_yield(void)
{
	struct coro *c = current;
	if (!c)
		return;
#ifdef CORO_ASAN
	__sanitizer_start_switch_fiber(&c->fake_stack, sched_bottom, sched_size);
#endif
#ifdef CORO_TSAN
	__tsan_switch_to_fiber(c->tsan_caller, 0);
#endif
	swapcontext(&c->ctx, c->caller);
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(c->fake_stack, &sched_bottom, &sched_size);
#endif
}

void coro_free(struct coro *c)
{
	if (!c)
		return;
#ifdef CORO_TSAN
	if (c->tsan_fiber)
		__tsan_destroy_fiber(c->tsan_fiber);
#endif
	munmap(c->map, c->map_len);
	free(c);
}
