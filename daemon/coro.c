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
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define CORO_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define CORO_TSAN 1
#endif

/* The context switch. On x86-64 a dozen instructions that save the callee-saved registers and
 * the stack pointer (glibc's swapcontext also saves the signal mask: two system calls per
 * switch, and a session switches twice per wait). Elsewhere, ucontext. */
#if defined(__x86_64__) && !defined(MYPOOL_UCONTEXT)
#define CORO_ASM 1
struct ctx {
	void *sp;
};
/* Save the current context in *from and continue in to. */
void coro_switch(struct ctx *from, struct ctx *to);
__asm__(".text\n"
	".globl coro_switch\n"
	".type coro_switch,@function\n"
	".hidden coro_switch\n"
	"coro_switch:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	subq $8, %rsp\n"
	"	stmxcsr (%rsp)\n"
	"	fnstcw 4(%rsp)\n"
	"	movq %rsp, (%rdi)\n"
	"	movq (%rsi), %rsp\n"
	"	ldmxcsr (%rsp)\n"
	"	fldcw 4(%rsp)\n"
	"	addq $8, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size coro_switch,.-coro_switch\n"
	/* A new coroutine's first switch returns here with the coroutine in r12. */
	".globl coro_start\n"
	".type coro_start,@function\n"
	".hidden coro_start\n"
	"coro_start:\n"
	"	movq %r12, %rdi\n"
	"	call coro_entry\n"
	"	ud2\n"
	".size coro_start,.-coro_start\n");
void coro_start(void);
#else
struct ctx {
	ucontext_t uc;
};
static void coro_switch(struct ctx *from, struct ctx *to)
{
	swapcontext(&from->uc, &to->uc);
}
#endif

struct coro {
	struct ctx ctx;
	struct ctx *caller; /* the scheduler context that resumed us */
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
static __thread struct ctx scheduler_ctx;
#ifdef CORO_ASAN
/* The scheduler's (thread's) stack, learnt on the coroutine side of each switch. */
static __thread const void *sched_bottom;
static __thread size_t sched_size;
#endif

struct coro *coro_current(void) { return current; }
bool coro_finished(const struct coro *c) { return c->finished; }
void **coro_wait_slot(struct coro *c) { return &c->wait; }
size_t coro_stack_size(const struct coro *c) { return c->stack_len; }

/* Where a coroutine begins; it never returns (its last switch leaves for good). */
void coro_entry(struct coro *c);
void coro_entry(struct coro *c)
{
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
	struct ctx dead;
	coro_switch(&dead, c->caller);
	__builtin_unreachable();
}

#ifndef CORO_ASM
static void trampoline(unsigned hi, unsigned lo)
{
	coro_entry((struct coro *)(((uintptr_t)hi << 32) | (uintptr_t)lo));
}
#endif

/* Stacks of finished coroutines, kept per thread for the next ones (a client connection would
 * otherwise cost an mmap, an mprotect and a munmap). */
#define STACK_CACHE 32
static __thread struct {
	void *map;
	size_t len;
} stack_cache[STACK_CACHE];
static __thread unsigned stacks_cached;

static void *cached_stack(size_t len)
{
	for (unsigned i = stacks_cached; i-- > 0;) {
		if (stack_cache[i].len == len) {
			void *map = stack_cache[i].map;
			stack_cache[i] = stack_cache[--stacks_cached];
			return map;
		}
	}
	return NULL;
}

static void release_stack(void *map, size_t len)
{
	if (stacks_cached < STACK_CACHE) {
		stack_cache[stacks_cached].map = map;
		stack_cache[stacks_cached].len = len;
		stacks_cached++;
		return;
	}
	munmap(map, len);
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
	c->map = cached_stack(c->map_len);
	if (!c->map) {
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
	}
	c->stack = (char *)c->map + pg;
	c->stack_len = len;
	c->fn = fn;
	c->arg = arg;
#ifdef CORO_ASAN
	/* The mapping may reuse a dead coroutine's addresses, whose frames left poisoned shadow. */
	ASAN_UNPOISON_MEMORY_REGION(c->stack, c->stack_len);
#endif
#ifdef CORO_ASM
	/* The frame coro_switch pops: mxcsr/x87 control word, r15..r12 (r12 = the coroutine),
	 * rbx, rbp, then the return address coro_start. After the ret, rsp is 16-byte aligned, so
	 * coro_start's call leaves coro_entry with the ABI's alignment. */
	uint64_t *top = (uint64_t *)((char *)c->stack + c->stack_len);
	uint64_t *sp = top - 10;
	uint32_t mxcsr;
	uint16_t fpucw;
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(fpucw));
	sp[0] = (uint64_t)mxcsr | (uint64_t)fpucw << 32;
	sp[1] = 0;                  /* r15 */
	sp[2] = 0;                  /* r14 */
	sp[3] = 0;                  /* r13 */
	sp[4] = (uint64_t)(uintptr_t)c; /* r12 */
	sp[5] = 0;                  /* rbx */
	sp[6] = 0;                  /* rbp */
	sp[7] = (uint64_t)(uintptr_t)coro_start;
	c->ctx.sp = sp;
#else
	if (getcontext(&c->ctx.uc) != 0) {
		munmap(c->map, c->map_len);
		free(c);
		return NULL;
	}
	c->ctx.uc.uc_stack.ss_sp = c->stack;
	c->ctx.uc.uc_stack.ss_size = c->stack_len;
	c->ctx.uc.uc_link = NULL;
	uintptr_t p = (uintptr_t)c;
	makecontext(&c->ctx.uc, (void (*)(void))trampoline, 2, (unsigned)(p >> 32), (unsigned)(p & 0xffffffffu));
#endif
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
	coro_switch(&scheduler_ctx, &c->ctx);
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
	coro_switch(&c->ctx, c->caller);
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
	release_stack(c->map, c->map_len);
	free(c);
}
