/* fuzz.h: what the libFuzzer targets in tests/fuzz share.
 *
 * Each target is one LLVMFuzzerTestOneInput over a parser of daemon/libmypoold.a, built with
 * ASan and UBSan (configure --enable-fuzzing). libFuzzer hands the input in a heap block of
 * exactly its size, so a parser that reads one byte too far is an ASan report; a parser that
 * returns a pointer/length pair past its input is caught by fuzz_touch(), which reads every
 * byte the pair claims. */
#ifndef MYPOOL_FUZZ_H
#define MYPOOL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps the compiler from dropping the reads of fuzz_touch(). */
static volatile uint32_t fuzz_sink;

/* Read all n bytes at p (p may be NULL only with n == 0). */
static inline void fuzz_touch(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	if (!p && n)
		abort(); /* a length without its bytes */
	for (size_t i = 0; i < n; i++)
		sum = sum * 31 + b[i];
	fuzz_sink += sum;
}

/* Abort unless [q, q+n) lies inside [p, p+size): a returned pointer must point into the input. */
static inline void fuzz_inside(const uint8_t *p, size_t size, const uint8_t *q, size_t n)
{
	if (!q) {
		if (n)
			abort();
		return;
	}
	uintptr_t lo = (uintptr_t)p, at = (uintptr_t)q;

	if (at < lo || at > lo + size || n > lo + size - at)
		abort();
	fuzz_touch(q, n);
}

#endif
