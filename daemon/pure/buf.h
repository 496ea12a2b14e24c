/* buf: a growable byte buffer with a read position and a sticky error flag.
 *
 * Writers append at `len`; readers consume from `off`. A failed allocation or a write past
 * `limit` sets `failed` and every later write is a no-op, so a caller checks once at the end
 * (the PgBouncer pktbuf idea). No I/O here. */
#ifndef MYPOOL_BUF_H
#define MYPOOL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t off;   /* first unread byte */
	size_t len;   /* end of valid data */
	size_t cap;   /* allocated bytes */
	size_t limit; /* never grow beyond this (0 = no limit) */
	bool failed;  /* sticky: an allocation or the limit failed */
};

void buf_init(struct buf *b, size_t limit);
void buf_free(struct buf *b);
/* Forget all data (keeps the allocation) and clear the error flag. */
void buf_reset(struct buf *b);
/* Unread bytes. */
static inline size_t buf_avail(const struct buf *b) { return b->len - b->off; }
static inline uint8_t *buf_head(const struct buf *b) { return b->data + b->off; }
/* Make room for n more bytes at the end (moving unread data to the front first if that helps).
 * Returns a pointer to the free space, or NULL (and sets failed). */
uint8_t *buf_reserve(struct buf *b, size_t n);
/* Free space at the end without growing. */
static inline size_t buf_room(const struct buf *b) { return b->cap - b->len; }
void buf_consume(struct buf *b, size_t n);
/* Move unread bytes to the front. */
void buf_compact(struct buf *b);

void buf_put(struct buf *b, const void *p, size_t n);
void buf_put_u8(struct buf *b, uint8_t v);
void buf_put_u16(struct buf *b, uint16_t v);
void buf_put_u24(struct buf *b, uint32_t v);
void buf_put_u32(struct buf *b, uint32_t v);
void buf_put_u64(struct buf *b, uint64_t v);
void buf_put_zeros(struct buf *b, size_t n);
/* MySQL length-encoded integer and string. */
void buf_put_lenenc(struct buf *b, uint64_t v);
void buf_put_lenenc_str(struct buf *b, const void *p, size_t n);
/* NUL-terminated string (the NUL is written). */
void buf_put_cstr(struct buf *b, const char *s);

/* A bounds-checked reader over a byte range; `failed` is sticky, reads after a failure return 0. */
struct rd {
	const uint8_t *p;
	const uint8_t *end;
	bool failed;
};

static inline struct rd rd_make(const void *p, size_t n)
{
	struct rd r = { (const uint8_t *)p, (const uint8_t *)p + n, false };
	return r;
}
static inline size_t rd_left(const struct rd *r) { return r->failed ? 0 : (size_t)(r->end - r->p); }
uint8_t rd_u8(struct rd *r);
uint16_t rd_u16(struct rd *r);
uint32_t rd_u24(struct rd *r);
uint32_t rd_u32(struct rd *r);
uint64_t rd_u64(struct rd *r);
/* Length-encoded integer; *is_null is set for 0xFB (may be NULL if the caller does not care). */
uint64_t rd_lenenc(struct rd *r, bool *is_null);
/* Returns a pointer into the input (not NUL-terminated) and its length, or NULL on failure. */
const uint8_t *rd_bytes(struct rd *r, size_t n);
const uint8_t *rd_lenenc_str(struct rd *r, size_t *n);
/* NUL-terminated string: returns the start, sets *n to its length (without the NUL), skips the NUL. */
const uint8_t *rd_cstr(struct rd *r, size_t *n);
/* The rest of the input. */
const uint8_t *rd_rest(struct rd *r, size_t *n);
void rd_skip(struct rd *r, size_t n);

#endif
